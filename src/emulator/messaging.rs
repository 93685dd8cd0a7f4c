//! The emulated Messaging API v2 (JSON) under `/api/v2`: send a message (202 + callbacks) and
//! list recorded messages (contract §3), plus the construction of the callback events that
//! follow a send or an inbound message.
//!
//! Decisions for undocumented cases:
//! - Malformed JSON, bad fields, and an `applicationId` that is not an application of this
//!   account answer 400 `request-validation` with `fieldErrors` naming each field.
//! - A well-formed send whose `from` is not a number on the account is accepted (202) and then
//!   fails with `message-failed` 4405 `rejected-unallocated-from-number`; a `from` whose location
//!   is associated with another (or no) application fails with 4452
//!   `rejected-wrong-application-id`. Both go to the named application's `OutboundCallbackUrl`.
//! - A recipient marked opted out at the carrier (`POST /_emulator/carrier-opt-outs`) fails with
//!   4775 `destination-rejected-due-to-user-opt-out`.
//! - A message fault (`POST /_emulator/faults` with `errorCode`) makes sends from a number, or
//!   with a text matching a pattern, fail with its code for every recipient; the queue rule
//!   answers 429 `max-message-queue-size-exceeded` while the account queue is full.
//! - Otherwise a recipient whose last four digits are a messaging error code fails with it
//!   (`description` = the code's kebab-case name); every other recipient is delivered
//!   (`description` "ok"). MMS first gets `message-sending` when the application asks for it.
//! - Text containing `autorespond` (any case) makes each delivered recipient reply
//!   "Auto-reply: message received" as a `message-received` to the application's
//!   `InboundCallbackUrl`, after the delivered event.
//! - `GET …/messages` lists newest first; phone filters compare digits only (so a `+` that
//!   arrived as a space still matches) and accept a comma list or a ≥5-digit prefix.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::callbacks::{Delivery, spawn_deliveries};
use super::http::{DropCallbacks, json_error, json_response};
use super::rules;
use super::state::{Application, EmulatorState, MessageRecord, World, now_rfc3339};

/// The text the contact sends back to an `autorespond` message.
pub const AUTO_REPLY_TEXT: &str = "Auto-reply: message received";
/// Carrier name recorded for every message.
const CARRIER_NAME: &str = "Emulator Wireless";

/// Routes relative to `/api/v2`, without auth (added by the caller).
pub fn routes() -> Router<EmulatorState> {
    Router::new().route(
        "/users/{account}/messages",
        get(list_messages).post(send_message),
    )
}

fn field_error(field: &str, description: String) -> Value {
    json!({"fieldName": field, "description": description})
}

fn validation_error(field_errors: Vec<Value>) -> Response {
    let mut body = json!({"type": "request-validation",
                          "description": "Your request could not be accepted"});
    if !field_errors.is_empty() {
        body["fieldErrors"] = Value::Array(field_errors);
    }
    json_response(StatusCode::BAD_REQUEST, &body)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A validated send request.
struct SendRequest {
    application_id: String,
    to: Vec<String>,
    from: String,
    text: String,
    media: Vec<String>,
    tag: Option<String>,
    priority: String,
    expiration: Option<String>,
}

fn validate(body: &Value) -> Result<SendRequest, Vec<Value>> {
    let mut errors = Vec::new();
    let string = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    let application_id = string("applicationId").unwrap_or_default();
    if application_id.trim().is_empty() {
        errors.push(field_error(
            "applicationId",
            "'applicationId' must not be empty".into(),
        ));
    }
    let to: Vec<String> = match body.get("to") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => Vec::new(),
    };
    if to.is_empty() {
        errors.push(field_error(
            "to",
            "'to' must hold at least one recipient".into(),
        ));
    } else if to.len() > 10 {
        errors.push(field_error(
            "to",
            "'to' may hold at most 10 recipients".into(),
        ));
    }
    for number in to.iter().filter(|n| !rules::is_e164(n)) {
        errors.push(field_error(
            "to",
            format!("'{number}' must be replaced with a valid E164 formatted telephone number"),
        ));
    }
    let from = string("from").unwrap_or_default();
    if !rules::is_e164(&from) {
        errors.push(field_error(
            "from",
            format!("'{from}' must be replaced with a valid E164 formatted telephone number"),
        ));
    }
    let text = string("text").unwrap_or_default();
    if text.chars().count() > 2048 {
        errors.push(field_error(
            "text",
            "'text' must be at most 2048 characters".into(),
        ));
    }
    let media: Vec<String> = match body.get("media") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    if media.iter().any(|m| m.len() > 4096) {
        errors.push(field_error(
            "media",
            "each media URL must be at most 4096 characters".into(),
        ));
    }
    if text.is_empty() && media.is_empty() {
        errors.push(field_error("text", "'text' or 'media' is required".into()));
    }
    let tag = string("tag");
    if tag.as_ref().is_some_and(|t| t.chars().count() > 1024) {
        errors.push(field_error(
            "tag",
            "'tag' must be at most 1024 characters".into(),
        ));
    }
    let priority = string("priority").unwrap_or_else(|| "default".into());
    if priority != "default" && priority != "high" {
        errors.push(field_error(
            "priority",
            format!("'{priority}' must be one of default, high"),
        ));
    }
    let expiration = string("expiration");
    if let Some(exp) = &expiration {
        if chrono::DateTime::parse_from_rfc3339(exp).is_err() {
            errors.push(field_error(
                "expiration",
                format!("'{exp}' must be an RFC 3339 date-time"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(SendRequest {
            application_id,
            to,
            from,
            text,
            media,
            tag,
            priority,
            expiration,
        })
    } else {
        Err(errors)
    }
}

/// The failure every recipient of a send shares, from the sending number's side.
fn sender_failure(world: &World, request: &SendRequest, enforce_registration: bool) -> Option<u32> {
    let owned = rules::nanp_digits(&request.from).and_then(|d| world.numbers.get(&d));
    let Some(owned) = owned else {
        return Some(4405);
    };
    let app = world
        .peers
        .get(&owned.peer_id)
        .and_then(|p| p.application_id.as_deref());
    if app != Some(request.application_id.as_str()) {
        return Some(4452);
    }
    if enforce_registration {
        return super::dashboard::registration::registration_failure(world, &owned.number);
    }
    None
}

/// 429 `max-message-queue-size-exceeded` when the account queue rule is set and full
/// (contract-2 §7; Bandwidth sends no `Retry-After` with it); otherwise the send joins the queue.
fn queue_refusal(state: &EmulatorState, segments: u32) -> Option<Response> {
    let mut journal = state.journal();
    let rule = journal.queue.as_mut()?;
    let now = std::time::Instant::now();
    let elapsed = rule
        .drained_at
        .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
    let (admitted, depth) = rules::queue_admits(
        rule.depth,
        elapsed,
        rule.rate_per_second,
        rule.capacity,
        segments,
    );
    rule.depth = depth;
    rule.drained_at = Some(now);
    if admitted {
        return None;
    }
    let per_minute = (rule.rate_per_second * 60.0).round();
    let description = format!(
        "Failed to send message. Your allowed rate is {per_minute} messages per minute. The capacity of this queue is {} messages (15 minutes). Please try again later.",
        rule.capacity
    );
    Some(json_error(
        StatusCode::TOO_MANY_REQUESTS,
        "max-message-queue-size-exceeded",
        &description,
    ))
}

/// The code of the first message fault that matches the send (using up one of its times).
fn message_fault(state: &EmulatorState, request: &SendRequest) -> Option<u32> {
    let now = chrono::Utc::now();
    let mut journal = state.journal();
    let fault = journal.message_faults.iter_mut().find(|f| {
        f.remaining != Some(0)
            && f.since.is_none_or(|since| since <= now)
            && f.from.as_ref().is_none_or(|from| *from == request.from)
            && f.text_regex
                .as_ref()
                .is_none_or(|re| re.is_match(&request.text))
    })?;
    if let Some(left) = fault.remaining.as_mut() {
        *left -= 1;
    }
    Some(fault.error_code)
}

/// `POST /users/{a}/messages`: 415 unless JSON; 400 `request-validation`; 202 with the message.
pub async fn send_message(
    State(state): State<EmulatorState>,
    Path(account): Path<String>,
    drop_callbacks: Option<Extension<DropCallbacks>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delay = state.config().answer_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-content-type",
            &format!("Content type '{content_type}' not supported. Please use 'application/json'"),
        );
    }
    let Ok(parsed) = serde_json::from_slice::<Value>(&body) else {
        return validation_error(Vec::new());
    };
    if !parsed.is_object() {
        return validation_error(Vec::new());
    }
    let request = match validate(&parsed) {
        Ok(request) => request,
        Err(errors) => return validation_error(errors),
    };

    let id = rules::message_id();
    let time = now_rfc3339();
    let is_mms = !request.media.is_empty();
    let segments = rules::segment_count(&request.text, is_mms);
    let (app, sender_error, opted_out) = {
        let world = state.world();
        let Some(app) = world.applications.get(&request.application_id).cloned() else {
            return validation_error(vec![field_error(
                "applicationId",
                format!(
                    "'{}' is not a valid application id for this account",
                    request.application_id
                ),
            )]);
        };
        let opted_out: Vec<bool> = request
            .to
            .iter()
            .map(|to| world.carrier_opt_outs.contains(to))
            .collect();
        (
            app,
            sender_failure(&world, &request, state.config().enforce_registration),
            opted_out,
        )
    };

    if let Some(refusal) = queue_refusal(&state, segments) {
        return refusal;
    }
    let sender_error = sender_error.or_else(|| message_fault(&state, &request));

    let mut response = json!({
        "id": id, "owner": request.from, "applicationId": request.application_id,
        "time": time, "segmentCount": segments, "direction": "out", "to": request.to,
        "from": request.from, "text": request.text,
    });
    if is_mms {
        response["media"] = json!(request.media);
    }
    if let Some(tag) = &request.tag {
        response["tag"] = json!(tag);
    }
    response["priority"] = json!(request.priority);
    if let Some(expiration) = &request.expiration {
        response["expiration"] = json!(expiration);
    }

    let mut deliveries = Vec::new();
    let mut records = Vec::new();
    let autorespond = request.text.to_lowercase().contains("autorespond");
    for (recipient, opted_out) in request.to.iter().zip(opted_out) {
        let failure = sender_error
            .or(opted_out.then_some(rules::CARRIER_OPT_OUT_CODE))
            .map(|code| {
                (
                    code,
                    rules::error_code_name(code)
                        .or_else(|| rules::registration_error_name(code))
                        .unwrap_or("unknown-error"),
                )
            })
            .or_else(|| rules::destination_error(recipient));
        records.push(MessageRecord {
            message_id: id.clone(),
            account_id: account.clone(),
            source_tn: request.from.clone(),
            destination_tn: recipient.clone(),
            message_status: if failure.is_some() {
                "FAILED"
            } else {
                "DELIVERED"
            }
            .into(),
            message_direction: "OUTBOUND".into(),
            message_type: if is_mms { "mms" } else { "sms" }.into(),
            segment_count: segments,
            error_code: failure.map_or(0, |(code, _)| code),
            receive_time: time.clone(),
            carrier_name: Some(CARRIER_NAME.into()),
            message_size: Some(request.text.len()),
            message_length: request.text.chars().count(),
            attachment_count: Some(request.media.len()),
            recipient_count: Some(request.to.len()),
            campaign_class: None,
        });
        let status_message = status_message(&id, &time, segments, &request);
        let outbound = |events: Vec<Value>| {
            app.outbound_url.as_ref().map(|url| Delivery {
                url: url.clone(),
                creds: app.outbound_creds.clone(),
                events,
                message_id: id.clone(),
            })
        };
        let wants = |t: &str| app.callback_types.iter().any(|c| c == t);
        if is_mms && wants("message-sending") {
            deliveries.extend(outbound(vec![json!({
                "type": "message-sending", "time": now_rfc3339(),
                "description": "Message is sending to carrier", "to": recipient,
                "message": status_message.clone(),
            })]));
        }
        match failure {
            Some((code, name)) => {
                if wants("message-failed") {
                    deliveries.extend(outbound(vec![json!({
                        "type": "message-failed", "time": now_rfc3339(), "description": name,
                        "to": recipient, "errorCode": code, "message": status_message,
                    })]));
                }
            }
            None => {
                if wants("message-delivered") {
                    deliveries.extend(outbound(vec![json!({
                        "type": "message-delivered", "time": now_rfc3339(), "description": "ok",
                        "to": recipient, "message": status_message,
                    })]));
                }
                if autorespond {
                    let (record, delivery) = inbound_message(
                        &app,
                        &account,
                        recipient,
                        &request.from,
                        AUTO_REPLY_TEXT,
                        &[],
                    );
                    records.push(record);
                    deliveries.extend(delivery);
                }
            }
        }
    }
    state.world().messages.extend(records);
    if drop_callbacks.is_none() {
        spawn_deliveries(&state, deliveries);
    }
    json_response(StatusCode::ACCEPTED, &response)
}

/// The `message` object of a status callback: `text` is empty, `tag` and `media` echoed.
fn status_message(id: &str, time: &str, segments: u32, request: &SendRequest) -> Value {
    let mut message = json!({
        "id": id, "owner": request.from, "applicationId": request.application_id,
        "time": time, "segmentCount": segments, "direction": "out", "to": request.to,
        "from": request.from, "text": "",
    });
    if !request.media.is_empty() {
        message["media"] = json!(request.media);
    }
    if let Some(tag) = &request.tag {
        message["tag"] = json!(tag);
    }
    message
}

/// A `message-received` from `contact` to our number `ours` for `app`: the record for the list
/// endpoint and the delivery to the application's `InboundCallbackUrl` (none without one).
pub fn inbound_message(
    app: &Application,
    account: &str,
    contact: &str,
    ours: &str,
    text: &str,
    media: &[String],
) -> (MessageRecord, Option<Delivery>) {
    let id = rules::message_id();
    let time = now_rfc3339();
    let is_mms = !media.is_empty();
    let segments = rules::segment_count(text, is_mms);
    let mut message = json!({
        "id": id, "time": time, "to": [ours], "from": contact, "text": text,
        "applicationId": app.id, "owner": ours, "direction": "in", "segmentCount": segments,
    });
    if is_mms {
        message["media"] = json!(media);
    }
    let event = json!({
        "type": "message-received", "time": time, "description": "Incoming message received",
        "to": ours, "message": message,
    });
    let record = MessageRecord {
        message_id: id.clone(),
        account_id: account.to_string(),
        source_tn: contact.to_string(),
        destination_tn: ours.to_string(),
        message_status: "RECEIVED".into(),
        message_direction: "INBOUND".into(),
        message_type: if is_mms { "mms" } else { "sms" }.into(),
        segment_count: segments,
        error_code: 0,
        receive_time: time,
        carrier_name: Some(CARRIER_NAME.into()),
        message_size: Some(text.len()),
        message_length: text.chars().count(),
        attachment_count: Some(media.len()),
        recipient_count: Some(1),
        campaign_class: None,
    };
    let delivery = app.inbound_url.as_ref().map(|url| Delivery {
        url: url.clone(),
        creds: app.inbound_creds.clone(),
        events: vec![event],
        message_id: id,
    });
    (record, delivery)
}

fn phone_matches(filter: &str, value: &str) -> bool {
    let value = digits(value);
    filter.split(',').any(|item| {
        let item = digits(item);
        !item.is_empty() && (item == value || (item.len() >= 5 && value.starts_with(&item)))
    })
}

/// `GET /users/{a}/messages`: at least one query parameter (else 400); filters `messageId`,
/// `sourceTn`, `destinationTn`, `messageStatus`, `messageDirection`, `messageType`,
/// `errorCode`, `carrierName`; `limit` 1..=1000 (default 100).
pub async fn list_messages(
    State(state): State<EmulatorState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if query.is_empty() {
        return json_error(
            StatusCode::BAD_REQUEST,
            "request-validation",
            "Your request could not be accepted",
        );
    }
    let get = |key: &str| query.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let limit = match get("limit").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return validation_error(vec![field_error(
                "limit",
                "'limit' must be between 1 and 1000".into(),
            )]);
        }
    };
    let world = state.world();
    let eq =
        |filter: Option<&str>, value: &str| filter.is_none_or(|f| f.eq_ignore_ascii_case(value));
    let matched: Vec<&MessageRecord> = world
        .messages
        .iter()
        .rev()
        .filter(|m| {
            eq(get("messageId"), &m.message_id)
                && get("sourceTn").is_none_or(|f| phone_matches(f, &m.source_tn))
                && get("destinationTn").is_none_or(|f| phone_matches(f, &m.destination_tn))
                && eq(get("messageStatus"), &m.message_status)
                && eq(get("messageDirection"), &m.message_direction)
                && eq(get("messageType"), &m.message_type)
                && eq(get("errorCode"), &m.error_code.to_string())
                && eq(
                    get("carrierName"),
                    m.carrier_name.as_deref().unwrap_or_default(),
                )
        })
        .collect();
    let total = matched.len();
    let messages: Vec<Value> = matched
        .into_iter()
        .take(limit)
        .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"totalCount": total, "pageInfo": Map::new(), "messages": messages}),
    )
}
