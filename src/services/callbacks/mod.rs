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

use serde::Deserialize;
use serde_json::Value;

use crate::services::error_codes;

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
    /// An outbound message reached the handset (or the carrier).
    Delivered {
        key: String,
        service_id: String,
        /// The organization named by the message's tag, if any.
        tagged_org: Option<i32>,
        /// Our message id in the tag (`services::outcomes::tag_for`), if any.
        tagged_message: Option<i64>,
    },
    /// An outbound message failed.
    Failed {
        key: String,
        service_id: String,
        tagged_org: Option<i32>,
        tagged_message: Option<i64>,
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
    /// Our message a status event's tag names, with Bandwidth's id for it.
    fn tagged_message(&self) -> Option<(i64, &str)> {
        match self {
            Effect::Delivered {
                service_id,
                tagged_message: Some(id),
                ..
            }
            | Effect::Failed {
                service_id,
                tagged_message: Some(id),
                ..
            } => Some((*id, service_id)),
            _ => None,
        }
    }

    /// The event's identity (`<type>:<message id>:<to>`): the same event delivered twice in one
    /// batch is applied once, and a deferred event is found by it.
    fn key(&self) -> &str {
        match self {
            Effect::Received { key, .. }
            | Effect::Delivered { key, .. }
            | Effect::Failed { key, .. } => key,
        }
    }
}

/// Why a callback body was refused with 400.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    message: Option<RawMessage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessage {
    id: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    media: Option<Vec<String>>,
    #[serde(default)]
    segment_count: Option<i32>,
    #[serde(default)]
    tag: Option<String>,
}

/// Parses a callback body: a JSON array of events (Bandwidth's form) or a single event object.
/// `message-sending` and unknown types have no effect and yield nothing.
pub fn parse_events(body: &[u8]) -> Result<Vec<Effect>, Malformed> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Malformed(format!("the body is not JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(Malformed(
                "the body must be a JSON array of events or one event object".into(),
            ));
        }
    };
    let mut effects = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let event: RawEvent = serde_json::from_value(item)
            .map_err(|e| Malformed(format!("event {index} is not a Bandwidth event: {e}")))?;
        if let Some(effect) =
            effect_of(event).map_err(|e| Malformed(format!("event {index}: {e}")))?
        {
            effects.push(effect);
        }
    }
    Ok(effects)
}

fn effect_of(event: RawEvent) -> Result<Option<Effect>, String> {
    let needs_message = matches!(
        event.kind.as_str(),
        "message-received" | "message-delivered" | "message-failed"
    );
    if !needs_message {
        return Ok(None);
    }
    let message = event
        .message
        .ok_or_else(|| format!("a {} event needs a message", event.kind))?;
    let to = event.to.clone().unwrap_or_default();
    let key = format!("{}:{}:{}", event.kind, message.id, to);
    // Our tag is `orgId|campaignId|contactId`: it says which organization sent the message.
    let tagged_org = message
        .tag
        .as_deref()
        .and_then(|t| t.split('|').next())
        .and_then(|o| o.parse().ok());
    let tagged_message = message
        .tag
        .as_deref()
        .and_then(crate::services::outcomes::message_in_tag);
    Ok(Some(match event.kind.as_str() {
        "message-received" => {
            let contact_number = message
                .from
                .ok_or("a message-received event needs message.from")?;
            let user_number = event
                .to
                .or(message.owner)
                .ok_or("a message-received event needs `to`")?;
            Effect::Received {
                key,
                message: InboundMessage {
                    service_id: message.id,
                    contact_number,
                    user_number,
                    text: message.text.unwrap_or_default(),
                    media: message.media.unwrap_or_default(),
                    segment_count: message.segment_count,
                },
            }
        }
        "message-delivered" => Effect::Delivered {
            key,
            service_id: message.id,
            tagged_org,
            tagged_message,
        },
        _ => {
            let error_code = event.error_code.and_then(|c| i32::try_from(c).ok());
            Effect::Failed {
                key,
                service_id: message.id,
                tagged_org,
                tagged_message,
                description: error_codes::describe(error_code, event.description.as_deref()),
                error_code,
            }
        }
    }))
}

/// The effects could not be made durable: answer 503 so Bandwidth retries.
#[derive(Debug, thiserror::Error)]
#[error("the callback could not be stored; Bandwidth should retry")]
pub struct NotStored;

mod writer;

pub use writer::{CallbackWriter, POSTGRES_SLOTS};

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
            matches!(&failed[0], Effect::Failed { error_code: Some(4432), description, .. } if description.starts_with("rejected-forbidden-country"))
        );
        assert!(matches!(
            parse_events(&fixture("callback-message-delivered.json")).unwrap()[0],
            Effect::Delivered { .. }
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
        let one = br#"{"type":"message-delivered","to":"+1","message":{"id":"m1","tag":"7|c|k"}}"#;
        assert!(matches!(
            parse_events(one).unwrap()[0],
            Effect::Delivered {
                tagged_org: Some(7),
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
        let body = br#"[{"type":"message-delivered","to":"+1","message":{"id":"m1"}},{"type":"message-delivered","to":"+1","message":{"id":"m1"}}]"#;
        let effects = parse_events(body).unwrap();
        assert_eq!(effects[0].key(), effects[1].key());
    }
}
