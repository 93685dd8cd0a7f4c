//! A Dashboard API answer, through every reader the client has for one.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    spoke_bandwidth::bandwidth::fuzzing::read_dashboard_answers(body);
});
