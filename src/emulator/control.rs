//! Control routes under `/_emulator/` (JSON, no auth): inject an inbound message, read the
//! recorded API requests and callback attempts, inject faults, mark destinations opted out at
//! the carrier, inspect and reset the state.
//! These routes are not part of Bandwidth's API and are never recorded.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::callbacks::spawn_deliveries;
use super::http::json_response;
use super::messaging::inbound_message;
use super::rules;
use super::state::{EmulatorState, Fault, FaultAction};

/// Routes relative to `/_emulator`.
pub fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/inbound", post(inject_inbound))
        .route("/requests", get(list_requests))
        .route("/callbacks", get(list_callbacks))
        .route(
            "/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route(
            "/carrier-opt-outs",
            post(add_carrier_opt_out).get(list_carrier_opt_outs),
        )
        .route("/reset", post(reset))
        .route("/state", get(show_state))
}

fn control_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({"error": message}))
}

/// Body of `POST /_emulator/inbound`.
#[derive(Debug, Deserialize)]
pub struct InboundRequest {
    /// The contact's number (E.164).
    pub from: String,
    /// Our Bandwidth number that receives it (E.164).
    pub to: String,
    /// Message text.
    #[serde(default)]
    pub text: String,
    /// Media URLs (makes it MMS).
    #[serde(default)]
    pub media: Vec<String>,
}

/// `POST /_emulator/inbound {from, to, text, media}`: posts `message-received` to the
/// `InboundCallbackUrl` of the application on the location owning `to`. 202
/// `{messageId, applicationId, callbackUrl}`; 400 for non-E.164 numbers; 404 when `to` is not a
/// number on the account; 409 when its location has no application (or it has no inbound URL).
async fn inject_inbound(
    State(state): State<EmulatorState>,
    axum::Json(request): axum::Json<InboundRequest>,
) -> Response {
    if !rules::is_e164(&request.from) || !rules::is_e164(&request.to) {
        return control_error(StatusCode::BAD_REQUEST, "from and to must be E.164 numbers");
    }
    let (record, delivery, app_id) = {
        let world = state.world();
        let Some(owned) = rules::nanp_digits(&request.to).and_then(|d| world.numbers.get(&d))
        else {
            return control_error(StatusCode::NOT_FOUND, "'to' is not a number on the account");
        };
        let Some(app) = world
            .peers
            .get(&owned.peer_id)
            .and_then(|p| p.application_id.as_ref())
            .and_then(|id| world.applications.get(id))
        else {
            return control_error(
                StatusCode::CONFLICT,
                "the number's location has no messaging application",
            );
        };
        let (record, delivery) = inbound_message(
            app,
            &state.config().account_id,
            &request.from,
            &request.to,
            &request.text,
            &request.media,
        );
        (record, delivery, app.id.clone())
    };
    let Some(delivery) = delivery else {
        return control_error(
            StatusCode::CONFLICT,
            "the application has no InboundCallbackUrl",
        );
    };
    let body = json!({"messageId": record.message_id, "applicationId": app_id,
                      "callbackUrl": delivery.url});
    state.world().messages.push(record);
    spawn_deliveries(&state, vec![delivery]);
    json_response(StatusCode::ACCEPTED, &body)
}

/// `GET /_emulator/requests`: every API request, oldest first:
/// `[{method, path, body, status, at}]`.
async fn list_requests(State(state): State<EmulatorState>) -> Response {
    let journal = state.journal();
    json_response(StatusCode::OK, &json!(journal.requests))
}

/// `GET /_emulator/callbacks`: every callback attempt, oldest first:
/// `[{url, authorized, eventTypes, messageId, status, error, outcome, at}]`.
async fn list_callbacks(State(state): State<EmulatorState>) -> Response {
    let journal = state.journal();
    json_response(StatusCode::OK, &json!(journal.callbacks))
}

/// Body of `POST /_emulator/faults`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRequest {
    /// HTTP method to match (any when absent or `*`).
    pub method: Option<String>,
    /// Substring of the path (with query) to match; empty matches every API request.
    #[serde(default)]
    pub path: String,
    /// Status to answer with (a Bandwidth-shaped error body); absent: only delay.
    pub status: Option<u16>,
    /// How many matching requests the fault applies to (default 1).
    pub times: Option<u32>,
    /// Delay before answering, in milliseconds (capped at 120 000).
    pub delay_ms: Option<u64>,
    /// `refuse` (default), `acceptThenDelay` or `acceptThenGarble` (see [`FaultAction`]).
    #[serde(default)]
    pub action: FaultAction,
    /// A matching send is accepted but its callbacks are never posted.
    #[serde(default)]
    pub drop_callbacks: bool,
    /// Shorthand for `action: acceptThenDrop`: serve the request, then cut the connection.
    #[serde(default)]
    pub drop_answer: bool,
    /// A message fault: matching sends are accepted, then fail with this messaging error code.
    pub error_code: Option<u32>,
    /// With `errorCode`: sends from this number (E.164) match.
    pub from: Option<String>,
    /// With `errorCode`: sends whose text matches this regular expression match (any number).
    pub text_matches: Option<String>,
    /// With `errorCode`: sends match from this time on (RFC 3339) instead of at once.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// The queue rule: the account queue holds this many segments…
    pub queue_capacity: Option<f64>,
    /// …and drains this many per second (default 1).
    pub rate_per_second: Option<f64>,
}

/// `POST /_emulator/faults {method, path, status, times, delayMs, action, dropCallbacks}`: 201
/// with the stored fault. With `errorCode` (and `from` and/or `textMatches`, `times`, `since`) it
/// is a message fault instead: matching sends are accepted and then fail with that code. With
/// `queueCapacity` (and `ratePerSecond`) it sets the account queue rule (429 when full). Faults match in the order they were added. `action` `acceptThenDelay`
/// handles the request and answers after `delayMs` (an answer the client gave up on);
/// `acceptThenGarble` handles it and answers a body cut short (an answer the client cannot
/// read); `acceptThenDrop` (or `dropAnswer: true`) handles it and cuts the connection instead
/// of answering; `dropCallbacks` keeps a send's callbacks from ever being posted.
async fn add_fault(
    State(state): State<EmulatorState>,
    axum::Json(request): axum::Json<FaultRequest>,
) -> Response {
    if request.error_code.is_some() {
        return add_message_fault(&state, request);
    }
    if request.queue_capacity.is_some() {
        return set_queue(&state, &request);
    }
    if request.status.is_some_and(|s| !(100..=599).contains(&s)) {
        return control_error(StatusCode::BAD_REQUEST, "status must be 100..=599");
    }
    let mut request = request;
    if request.drop_answer {
        request.action = FaultAction::AcceptThenDrop;
    }
    let does_something = request.status.is_some()
        || request.action == FaultAction::AcceptThenDrop
        || request.delay_ms.unwrap_or(0) > 0
        || request.action == FaultAction::AcceptThenGarble
        || request.drop_callbacks;
    if !does_something {
        return control_error(
            StatusCode::BAD_REQUEST,
            "give a status, a delayMs, action acceptThenGarble or dropCallbacks",
        );
    }
    if request.action != FaultAction::Refuse && request.status.is_some() {
        return control_error(
            StatusCode::BAD_REQUEST,
            "an accept… action answers the request's own status: leave status out",
        );
    }
    let mut journal = state.journal();
    journal.next_fault_id += 1;
    let fault = Fault {
        id: journal.next_fault_id,
        method: request.method.filter(|m| !m.is_empty()),
        path: request.path,
        status: request.status,
        remaining: request.times.unwrap_or(1),
        delay_ms: request.delay_ms.unwrap_or(0).min(120_000),
        action: request.action,
        drop_callbacks: request.drop_callbacks,
    };
    let body = json!(fault);
    if fault.remaining > 0 {
        journal.faults.push(fault);
    }
    json_response(StatusCode::CREATED, &body)
}

/// A message fault: `errorCode` with `from` and/or `textMatches`, `times` (default 1, or every
/// send when `since` is given) and `since`.
fn add_message_fault(state: &EmulatorState, request: FaultRequest) -> Response {
    let code = request.error_code.unwrap_or_default();
    if rules::error_code_name(code).is_none() {
        return control_error(
            StatusCode::BAD_REQUEST,
            "errorCode must be a Bandwidth messaging error code (see messaging-error-codes.csv)",
        );
    }
    if request.from.is_none() && request.text_matches.is_none() {
        return control_error(
            StatusCode::BAD_REQUEST,
            "a message fault needs from (a number) or textMatches (a pattern)",
        );
    }
    if request.from.as_deref().is_some_and(|f| !rules::is_e164(f)) {
        return control_error(StatusCode::BAD_REQUEST, "from must be an E.164 number");
    }
    let text_regex = match request.text_matches.as_deref() {
        None => None,
        Some(p) if p.len() > 1000 => {
            return control_error(
                StatusCode::BAD_REQUEST,
                "textMatches is limited to 1000 characters",
            );
        }
        Some(p) => match regex::RegexBuilder::new(p).size_limit(1 << 20).build() {
            Ok(re) => Some(re),
            Err(e) => {
                return control_error(
                    StatusCode::BAD_REQUEST,
                    &format!("textMatches is not a regular expression: {e}"),
                );
            }
        },
    };
    let remaining = match (request.times, request.since) {
        (Some(times), _) => Some(times),
        (None, Some(_)) => None,
        (None, None) => Some(1),
    };
    let mut journal = state.journal();
    journal.next_fault_id += 1;
    let fault = super::state::MessageFault {
        id: journal.next_fault_id,
        from: request.from,
        text_matches: request.text_matches,
        text_regex,
        error_code: code,
        remaining,
        since: request.since,
    };
    let body = json!(fault);
    journal.message_faults.push(fault);
    json_response(StatusCode::CREATED, &body)
}

/// The queue rule: `queueCapacity` segments, draining `ratePerSecond` (default 1); a capacity
/// of 0 removes it.
fn set_queue(state: &EmulatorState, request: &FaultRequest) -> Response {
    let capacity = request.queue_capacity.unwrap_or_default();
    let rate = request.rate_per_second.unwrap_or(1.0);
    let valid = (0.0..=1e9).contains(&capacity) && rate > 0.0 && rate <= 1e6;
    if !valid {
        return control_error(
            StatusCode::BAD_REQUEST,
            "queueCapacity must be 0..=1e9 segments and ratePerSecond above 0 (at most 1e6)",
        );
    }
    let mut journal = state.journal();
    journal.next_fault_id += 1;
    let rule = super::state::QueueRule {
        id: journal.next_fault_id,
        capacity,
        rate_per_second: rate,
        depth: 0.0,
        drained_at: None,
    };
    let body = json!(rule);
    journal.queue = (capacity > 0.0).then_some(rule);
    json_response(StatusCode::CREATED, &body)
}

/// `GET /_emulator/faults`: faults with uses left.
async fn list_faults(State(state): State<EmulatorState>) -> Response {
    let journal = state.journal();
    json_response(StatusCode::OK, &json!(journal.faults))
}

/// `DELETE /_emulator/faults`: removes every fault.
async fn clear_faults(State(state): State<EmulatorState>) -> Response {
    let mut journal = state.journal();
    journal.faults.clear();
    journal.message_faults.clear();
    journal.queue = None;
    json_response(StatusCode::OK, &json!({"cleared": true}))
}

/// Body of `POST /_emulator/carrier-opt-outs`.
#[derive(Debug, Deserialize)]
pub struct CarrierOptOutRequest {
    /// The destination (E.164) whose subscriber opted out.
    pub number: String,
}

/// `POST /_emulator/carrier-opt-outs {number}`: from now on every send to `number` fails with
/// `message-failed` 4775 `destination-rejected-due-to-user-opt-out` (a subscriber who opted
/// out at the carrier). 201 `{number}`; 400 for a number that is not E.164.
async fn add_carrier_opt_out(
    State(state): State<EmulatorState>,
    axum::Json(request): axum::Json<CarrierOptOutRequest>,
) -> Response {
    if !rules::is_e164(&request.number) {
        return control_error(StatusCode::BAD_REQUEST, "number must be an E.164 number");
    }
    state
        .world()
        .carrier_opt_outs
        .insert(request.number.clone());
    json_response(StatusCode::CREATED, &json!({"number": request.number}))
}

/// `GET /_emulator/carrier-opt-outs`: the destinations opted out at the carrier.
async fn list_carrier_opt_outs(State(state): State<EmulatorState>) -> Response {
    let world = state.world();
    json_response(StatusCode::OK, &json!(world.carrier_opt_outs))
}

/// `POST /_emulator/reset`: forgets all resources, records, faults and pending callbacks.
async fn reset(State(state): State<EmulatorState>) -> Response {
    state.reset();
    json_response(StatusCode::OK, &json!({"reset": true}))
}

/// `GET /_emulator/state`: `{accountId, sites, sipPeers, applications, numbers, orders,
/// disconnects, messageCount}` (application credentials show the user id only).
async fn show_state(State(state): State<EmulatorState>) -> Response {
    let world = state.world();
    let sites: Vec<Value> = world
        .sites
        .values()
        .map(|s| json!({"id": s.id, "name": s.name}))
        .collect();
    let peers: Vec<Value> = world
        .peers
        .values()
        .map(|p| {
            json!({"id": p.id, "siteId": p.site_id, "name": p.name, "isDefault": p.is_default,
                   "smsProtocol": p.sms.as_ref().and_then(|s| s.protocol.clone()),
                   "mmsProtocol": p.mms_protocol, "applicationId": p.application_id})
        })
        .collect();
    let apps: Vec<Value> = world
        .applications
        .values()
        .map(|a| {
            json!({"id": a.id, "name": a.name, "serviceType": a.service_type,
                   "inboundCallbackUrl": a.inbound_url, "outboundCallbackUrl": a.outbound_url,
                   "inboundCallbackUser": a.inbound_creds.as_ref().map(|c| c.user_id.clone()),
                   "outboundCallbackUser": a.outbound_creds.as_ref().map(|c| c.user_id.clone()),
                   "requestedCallbackTypes": a.callback_types})
        })
        .collect();
    let orders: Vec<Value> = world
        .orders
        .values()
        .map(|o| json!({"id": o.id, "status": o.status, "completedNumbers": o.completed}))
        .collect();
    let disconnects: Vec<Value> = world
        .disconnects
        .values()
        .map(|d| json!({"id": d.id, "status": d.status, "disconnected": d.disconnected}))
        .collect();
    let numbers: Vec<&super::state::OwnedNumber> = world.numbers.values().collect();
    json_response(
        StatusCode::OK,
        &json!({
            "accountId": state.config().account_id, "sites": sites, "sipPeers": peers,
            "applications": apps, "numbers": numbers, "orders": orders,
            "disconnects": disconnects, "messageCount": world.messages.len(),
        }),
    )
}
