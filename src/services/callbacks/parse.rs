//! Reading a callback body into effects, and the one validation every event passes before either
//! backend sees it: an event our limits call malformed is refused here with 400, so no database
//! can turn it into a 503 (PostgreSQL refuses NUL bytes, over-long index keys and numbers past
//! their column) or store it where the other would not.

use serde::Deserialize;
use serde_json::Value;

use super::{Effect, InboundMessage, Malformed, Outcome, StatusReport};
use crate::services::error_codes;

/// Longest Bandwidth message id accepted (theirs are about 30 characters).
pub const MAX_ID: usize = 128;
/// Bandwidth's limit on a message's text, in characters.
pub const MAX_TEXT: usize = 2048;
/// Longest `tag` (Bandwidth's limit).
pub const MAX_TAG: usize = 1024;
/// Longest `description`, in characters.
pub const MAX_DESCRIPTION: usize = 2048;
/// Most media URLs on one message, and the longest URL.
pub const MAX_MEDIA: usize = 50;
pub const MAX_MEDIA_URL: usize = 4096;
/// Most segments one message can count (2,048 UCS-2 characters are 32).
pub const MAX_SEGMENTS: i32 = 1_000;

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
    segment_count: Option<i64>,
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

/// A text field: no NUL byte, at most `max` characters.
fn text_field(name: &str, value: &str, max: usize) -> Result<(), String> {
    if value.contains('\0') {
        return Err(format!("{name} contains a NUL character"));
    }
    // Counting characters stops early: a huge value costs no more than `max` steps.
    if value.len() > max && value.chars().nth(max).is_some() {
        return Err(format!("{name} is longer than {max} characters"));
    }
    Ok(())
}

/// A phone number as Bandwidth writes ours and our contacts': E.164 (`+` and 8 to 15 digits),
/// or a short code (3 to 8 digits).
fn phone_field(name: &str, value: &str) -> Result<(), String> {
    let digits = value.strip_prefix('+').unwrap_or(value);
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let ok = all_digits
        && if value.starts_with('+') {
            (8..=15).contains(&digits.len()) && !digits.starts_with('0')
        } else {
            (3..=8).contains(&digits.len())
        };
    if ok {
        Ok(())
    } else {
        let shown: String = value.chars().take(24).collect();
        Err(format!(
            "{name} {shown:?}{} is not an E.164 number or a short code",
            if shown.len() < value.len() { "…" } else { "" }
        ))
    }
}

fn validate(event: &RawEvent, message: &RawMessage) -> Result<(), String> {
    if message.id.is_empty() {
        return Err("message.id is empty".into());
    }
    if message.id.len() > MAX_ID || message.id.bytes().any(|b| b.is_ascii_control()) {
        return Err(format!(
            "message.id must be at most {MAX_ID} printable characters"
        ));
    }
    for (name, value) in [
        ("to", &event.to),
        ("message.from", &message.from),
        ("message.owner", &message.owner),
    ] {
        if let Some(value) = value {
            phone_field(name, value)?;
        }
    }
    if let Some(text) = &message.text {
        text_field("message.text", text, MAX_TEXT)?;
    }
    if let Some(tag) = &message.tag {
        text_field("message.tag", tag, MAX_TAG)?;
    }
    if let Some(description) = &event.description {
        text_field("description", description, MAX_DESCRIPTION)?;
    }
    if let Some(media) = &message.media {
        if media.len() > MAX_MEDIA {
            return Err(format!("message.media has more than {MAX_MEDIA} URLs"));
        }
        for url in media {
            text_field("a message.media URL", url, MAX_MEDIA_URL)?;
        }
    }
    if let Some(n) = message.segment_count
        && !(0..=i64::from(MAX_SEGMENTS)).contains(&n)
    {
        return Err(format!(
            "message.segmentCount {n} is not between 0 and {MAX_SEGMENTS}"
        ));
    }
    if let Some(code) = event.error_code
        && i32::try_from(code).is_err()
    {
        return Err(format!("errorCode {code} is out of range"));
    }
    Ok(())
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
        .as_ref()
        .ok_or_else(|| format!("a {} event needs a message", event.kind))?;
    validate(&event, message)?;
    let message = event.message.expect("checked above");
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
    let segment_count = message.segment_count.map(|n| n as i32);
    let outcome = match event.kind.as_str() {
        "message-received" => {
            let contact_number = message
                .from
                .ok_or("a message-received event needs message.from")?;
            let user_number = event
                .to
                .or(message.owner)
                .ok_or("a message-received event needs `to`")?;
            return Ok(Some(Effect::Received {
                key,
                message: InboundMessage {
                    service_id: message.id,
                    contact_number,
                    user_number,
                    text: message.text.unwrap_or_default(),
                    media: message.media.unwrap_or_default(),
                    segment_count,
                },
            }));
        }
        "message-delivered" => Outcome::Delivered,
        _ => {
            let error_code = event.error_code.map(|c| c as i32);
            Outcome::Failed {
                description: error_codes::describe(error_code, event.description.as_deref()),
                error_code,
            }
        }
    };
    Ok(Some(Effect::Status {
        key,
        report: StatusReport {
            service_id: message.id,
            tagged_org,
            tagged_message,
            contact_number: event.to,
            user_number: message.from.or(message.owner),
            outcome,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, message: serde_json::Value) -> Vec<u8> {
        serde_json::json!([{"type": kind, "to": "+19195550123", "message": message}])
            .to_string()
            .into_bytes()
    }

    #[test]
    fn events_past_our_limits_are_malformed() {
        let long_id = "x".repeat(MAX_ID + 1);
        let long_from = "1".repeat(500 * 1024);
        let long_text = "é".repeat(MAX_TEXT + 1);
        let cases = [
            event("message-delivered", serde_json::json!({"id": long_id})),
            event(
                "message-received",
                serde_json::json!({"id": "m", "from": long_from, "text": "hi"}),
            ),
            event(
                "message-received",
                serde_json::json!({"id": "m", "from": "+19195550100", "text": "a\u{0}b"}),
            ),
            event(
                "message-received",
                serde_json::json!({"id": "m", "from": "+19195550100", "text": long_text}),
            ),
            event(
                "message-received",
                serde_json::json!({"id": "m", "from": "not a number", "text": "hi"}),
            ),
            event(
                "message-delivered",
                serde_json::json!({"id": "m", "tag": "1|\u{0}"}),
            ),
            event(
                "message-delivered",
                serde_json::json!({"id": "m", "segmentCount": -1}),
            ),
            event("message-delivered", serde_json::json!({"id": ""})),
        ];
        for body in cases {
            let shown: String = String::from_utf8_lossy(&body).chars().take(120).collect();
            assert!(parse_events(&body).is_err(), "{shown}");
        }
        let mut failed = serde_json::json!([{"type": "message-failed", "errorCode": 1_i64 << 40, "message": {"id": "m"}}]);
        assert!(parse_events(failed.to_string().as_bytes()).is_err());
        failed[0]["errorCode"] = 4720.into();
        assert!(parse_events(failed.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn texts_at_the_limit_and_short_codes_are_accepted() {
        let body = event(
            "message-received",
            serde_json::json!({"id": "m", "from": "12345", "text": "é".repeat(MAX_TEXT)}),
        );
        assert_eq!(parse_events(&body).unwrap().len(), 1);
    }
}
