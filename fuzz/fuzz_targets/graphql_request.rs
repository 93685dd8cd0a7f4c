//! A `POST /graphql` body, through everything done before a resolver runs: the JSON request,
//! the nesting check, the parser and the field and mutation counts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spoke_bandwidth::graphql::limits::{Limits, check_document, check_nesting};

const LIMITS: Limits = Limits {
    max_fields: 2_000,
    max_mutation_fields: 10,
    introspection: false,
};

fn run(query: &str) {
    if check_nesting(query).is_ok()
        && let Ok(document) = async_graphql::parser::parse_query(query)
    {
        let _ = check_document(&document, LIMITS);
    }
}

fuzz_target!(|body: &[u8]| {
    // As the route reads it (one JSON request), and as a bare query text.
    if let Ok(request) = serde_json::from_slice::<async_graphql::Request>(body) {
        run(&request.query);
    }
    if let Ok(text) = std::str::from_utf8(body) {
        run(text);
    }
});
