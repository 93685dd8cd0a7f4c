//! Bandwidth's messaging callbacks (SPEC §5): parsed into effects, applied exactly once, and
//! coalesced: the events of concurrent requests are applied together in one transaction with
//! set-based statements, and each request is answered only after its batch commits.
//!
//! Exactly-once comes from the state each effect changes, checked in the statement that changes
//! it: an inbound message is stored only if its Bandwidth id is new for the organization, and a
//! status applies only to a message whose status is still open (it only moves forward), so a
//! duplicate event changes nothing. Sticky mappings and contact errors follow only the changes
//! made.

use std::time::Duration;

/// Statuses an outbound message may still leave (the status only moves forward).
/// `UNKNOWN` is open: a send whose answer was lost ends with its callbacks like any other.
pub(crate) const OPEN_STATUSES: &[&str] = &["QUEUED", "SENDING", "UNKNOWN", "SENT"];
/// Most requests applied in one transaction.
pub const MAX_BATCH: usize = 256;
/// How long a request waits for its batch before it is answered 503.
pub const MAX_WAIT: Duration = Duration::from_secs(8);

/// One event's effect on the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A contact texted one of our numbers.
    Received {
        key: String,
        message: InboundMessage,
    },
    /// Bandwidth reports what became of an outbound message.
    Status { key: String, report: StatusReport },
}

/// A delivery report (`message-delivered` or `message-failed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub service_id: String,
    /// The organization named by the message's tag, if any.
    pub tagged_org: Option<i32>,
    /// Our message id in the tag (`services::outcomes::tag_for`), if any: a report for a
    /// message whose send's answer was lost (no Bandwidth id stored yet) finds it by this.
    pub tagged_message: Option<i64>,
    /// The contact the message went to (`to`), and the number of ours it left from.
    pub contact_number: Option<String>,
    pub user_number: Option<String>,
    pub outcome: Outcome,
}

/// What a report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It reached the handset (or the carrier).
    Delivered,
    /// It failed, with Bandwidth's code and our description of it.
    Failed {
        error_code: Option<i32>,
        description: String,
    },
}

/// An inbound message as Bandwidth described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub service_id: String,
    pub contact_number: String,
    pub user_number: String,
    pub text: String,
    pub media: Vec<String>,
    pub segment_count: Option<i32>,
}

impl Effect {
    /// The event's identity (`<type>:<message id>:<to>`): the same event delivered twice in one
    /// batch is applied once, and a deferred event is found by it.
    pub fn key(&self) -> &str {
        match self {
            Effect::Received { key, .. } | Effect::Status { key, .. } => key,
        }
    }
}

/// Why a callback body was refused with 400.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(String);

/// Why a callback was answered 503 (Bandwidth retries it); [`NotStored::cause`] labels the
/// `callback_unavailable_total` counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotStored {
    #[error("the callback queue is full; Bandwidth should retry")]
    QueueFull,
    #[error("the callback could not be stored in time; Bandwidth should retry")]
    Timeout,
    #[error("the callback could not be stored; Bandwidth should retry")]
    StoreFailed,
    #[error("a report is for a message still being sent; Bandwidth should retry")]
    Deferred,
    #[error("the callback writer is stopped; Bandwidth should retry")]
    Stopped,
}

impl NotStored {
    /// A short label of the cause, for logs and metrics.
    pub fn cause(self) -> &'static str {
        match self {
            NotStored::QueueFull => "queue_full",
            NotStored::Timeout => "timeout",
            NotStored::StoreFailed => "store_failed",
            NotStored::Deferred => "deferred",
            NotStored::Stopped => "writer_stopped",
        }
    }
}

/// The organization's most recent orphan reports (`limit` clamped to 1..=100).
pub async fn orphan_reports(
    state: &crate::state::AppState,
    organization_id: i32,
    limit: i32,
) -> crate::error::Result<Vec<crate::store::entities::orphan_report::Model>> {
    let limit = limit.clamp(1, 100) as u64;
    Ok(crate::store::callbacks::list_orphans(&state.db, organization_id, limit).await?)
}

mod health;
mod in_flight;
mod parse;
pub mod plan;
mod writer;

pub use health::{WriterHealth, database_ready};
pub use in_flight::DEFER_WINDOW;
pub use parse::{
    MAX_DESCRIPTION, MAX_ID, MAX_MEDIA, MAX_MEDIA_URL, MAX_SEGMENTS, MAX_TAG, MAX_TEXT,
    parse_events,
};
pub use writer::CallbackWriter;

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn every_callback_fixture_parses() {
        let received = parse_events(&fixture("callback-message-received.json")).unwrap();
        assert!(
            matches!(&received[0], Effect::Received { message, .. } if message.contact_number == "+12345678901" && message.user_number == "+12345678902")
        );
        let failed = parse_events(&fixture("callback-message-failed.json")).unwrap();
        assert!(
            matches!(&failed[0], Effect::Status { report: StatusReport { outcome: Outcome::Failed { error_code: Some(4432), description }, .. }, .. } if description.starts_with("rejected-forbidden-country"))
        );
        assert!(matches!(
            &parse_events(&fixture("callback-message-delivered.json")).unwrap()[0],
            Effect::Status {
                report: StatusReport {
                    outcome: Outcome::Delivered,
                    ..
                },
                ..
            }
        ));
        assert!(
            parse_events(&fixture("callback-message-sending.json"))
                .unwrap()
                .is_empty(),
            "sending has no effect"
        );
        for name in [
            "callback-message-delivered-mms.json",
            "callback-message-delivered-tollfree.json",
            "callback-message-received-group-mms.json",
            "callback-message-failed.node-sdk-element.json",
            "callback-message-sent.node-sdk-element.json",
        ] {
            parse_events(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn a_single_event_object_is_accepted_like_an_array() {
        let one = br#"{"type":"message-delivered","to":"+19195550123","message":{"id":"m1","tag":"7|c|k"}}"#;
        assert!(matches!(
            &parse_events(one).unwrap()[0],
            Effect::Status {
                report: StatusReport {
                    tagged_org: Some(7),
                    tagged_message: None,
                    ..
                },
                ..
            }
        ));
        assert_eq!(parse_events(one).unwrap().len(), 1);
    }

    #[test]
    fn unknown_types_are_acknowledged_without_effect() {
        assert!(
            parse_events(br#"[{"type":"message-read","message":{"id":"x"}}]"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            &b"not json"[..],
            b"42",
            br#"[{"no":"type"}]"#,
            br#"[{"type":"message-delivered"}]"#,
        ] {
            assert!(
                parse_events(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn the_same_event_twice_has_the_same_key() {
        let body = br#"[{"type":"message-delivered","to":"+19195550123","message":{"id":"m1"}},{"type":"message-delivered","to":"+19195550123","message":{"id":"m1"}}]"#;
        let effects = parse_events(body).unwrap();
        assert_eq!(effects[0].key(), effects[1].key());
    }
}
