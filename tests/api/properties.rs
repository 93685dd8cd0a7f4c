//! Bounded property tests (the normal suite's version of the fuzz targets in `fuzz/`): the
//! callback parser, the Dashboard XML readers and the GraphQL request path take any input
//! without panicking, on a thread with a worker's 2 MiB stack, and what they accept is within
//! our limits.

use proptest::prelude::*;
use spoke_bandwidth::bandwidth::fuzzing::read_dashboard_answers;
use spoke_bandwidth::graphql::limits::{Limits, MAX_NESTING, check_document, check_nesting};
use spoke_bandwidth::services::callbacks::{self, Effect, MAX_ID, MAX_TEXT, parse_events};

/// Runs `f` on a thread with the stack of a tokio worker (2 MiB), so a recursion that needs
/// more fails the test instead of passing on the test harness's larger stack.
fn on_worker_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("no panic");
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings that probe our limits: empty, NUL, long, digits, E.164-like, unicode.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\u{0}".to_owned()),
        "[+]?[0-9]{0,20}",
        "\\PC{0,40}",
        (0usize..5000).prop_map(|n| "x".repeat(n)),
        (2040usize..2060).prop_map(|n| "é".repeat(n)),
    ]
}

fn event_json() -> impl Strategy<Value = serde_json::Value> {
    (
        prop_oneof![
            Just("message-received"),
            Just("message-delivered"),
            Just("message-failed"),
            Just("message-sending"),
            Just("other")
        ],
        tricky_string(),
        tricky_string(),
        tricky_string(),
        tricky_string(),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::collection::vec(tricky_string(), 0..3),
    )
        .prop_map(|(kind, id, to, from, text, code, segments, media)| {
            serde_json::json!({
                "type": kind, "to": to, "errorCode": code,
                "message": {"id": id, "from": from, "text": text, "segmentCount": segments,
                            "media": media, "tag": format!("1|{id}")}
            })
        })
}

fn is_phone(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_callback_parser_takes_any_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        on_worker_stack(move || { let _ = parse_events(&body); });
    }

    #[test]
    fn what_the_callback_parser_accepts_is_within_our_limits(events in proptest::collection::vec(event_json(), 1..6)) {
        let body = serde_json::to_vec(&events).unwrap();
        if let Ok(effects) = parse_events(&body) {
            for effect in effects {
                match effect {
                    Effect::Received { message, .. } => {
                        prop_assert!(!message.service_id.is_empty() && message.service_id.len() <= MAX_ID);
                        prop_assert!(is_phone(&message.contact_number) && is_phone(&message.user_number));
                        prop_assert!(message.text.chars().count() <= MAX_TEXT && !message.text.contains('\0'));
                        prop_assert!(message.media.iter().all(|m| !m.contains('\0')));
                    }
                    Effect::Status { report, .. } => {
                        prop_assert!(!report.service_id.is_empty() && report.service_id.len() <= MAX_ID);
                        prop_assert!(report.contact_number.as_deref().is_none_or(is_phone));
                        if let callbacks::Outcome::Failed { description, .. } = &report.outcome {
                            prop_assert!(!description.contains('\0'));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn deep_json_in_a_callback_is_refused_not_a_crash(depth in 1usize..100_000) {
        let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        on_worker_stack(move || { let _ = parse_events(body.as_bytes()); });
    }

    #[test]
    fn the_dashboard_readers_take_any_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        on_worker_stack(move || { read_dashboard_answers(&body); });
    }

    #[test]
    fn the_graphql_request_path_takes_any_text(
        pieces in proptest::collection::vec(prop_oneof![
            Just("{"), Just("}"), Just("["), Just("]"), Just("("), Just(")"), Just("\""), Just("\"\"\""),
            Just("#"), Just("\n"), Just("query"), Just("mutation"), Just("a"), Just("__typename"),
            Just("..."), Just("fragment F on Query"), Just("...F"), Just(":"), Just("$v"), Just("1"),
            Just(" "), Just("\\"), Just("@skip(if: true)"),
        ], 0..400),
        depth in 0usize..20_000,
    ) {
        let text = format!("{}{}{}", "{a(x:".repeat(depth / 8), pieces.concat(), "[".repeat(depth));
        on_worker_stack(move || {
            let limits = Limits { max_fields: 2_000, max_mutation_fields: 10, introspection: false };
            if check_nesting(&text).is_ok()
                && let Ok(document) = async_graphql::parser::parse_query(&text)
            {
                let _ = check_document(&document, limits);
            }
        });
    }

    #[test]
    fn any_text_the_nesting_check_passes_is_no_deeper_than_its_bound(depth in 0usize..200) {
        let text = format!("{{ a(x: {}1{}) }}", "[".repeat(depth), "]".repeat(depth));
        prop_assert_eq!(check_nesting(&text).is_ok(), depth + 2 <= MAX_NESTING);
    }
}

proptest! {
    // Each case runs a dozen decoders over thousands of levels: fewer cases keep the suite quick.
    #![proptest_config(ProptestConfig { cases: 32, ..config() })]

    #[test]
    fn the_dashboard_readers_take_any_nesting_of_their_elements(
        names in proptest::collection::vec(prop_oneof![
            Just("Site"), Just("Sites"), Just("SiteResponse"), Just("ErrorList"), Just("Error"),
            Just("ResponseStatus"), Just("Order"), Just("OrderResponse"), Just("TelephoneNumbers"),
            Just("SearchResult"), Just("Unknown"), Just("Description"), Just("ErrorCode"),
        ], 1..40),
        depth in 1usize..5_000,
        text in "\\PC{0,20}",
    ) {
        let open: String = names.iter().cycle().take(depth).map(|n| format!("<{n}>")).collect();
        let close: String = names.iter().cycle().take(depth).collect::<Vec<_>>().into_iter().rev().map(|n| format!("</{n}>")).collect();
        let body = format!("<?xml version=\"1.0\"?>{open}{}{close}", text.replace('<', ""));
        on_worker_stack(move || { read_dashboard_answers(body.as_bytes()); });
    }
}
