//! A callback body, as Bandwidth (or anyone) may post it to `/bandwidth/{orgId}`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spoke_bandwidth::services::callbacks::{Effect, MAX_ID, parse_events};

fuzz_target!(|body: &[u8]| {
    if let Ok(effects) = parse_events(body) {
        for effect in effects {
            let id = match &effect {
                Effect::Received { message, .. } => &message.service_id,
                Effect::Status { report, .. } => &report.service_id,
            };
            assert!(!id.is_empty() && id.len() <= MAX_ID, "accepted an id past the limit");
        }
    }
});
