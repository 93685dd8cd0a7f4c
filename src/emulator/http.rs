//! HTTP plumbing shared by the emulator's routes: Bandwidth-shaped responses (XML and JSON
//! error envelopes), HTTP Basic and account checks per API family, request recording and
//! fault injection. Imports only the emulator's state and XML types.

use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::state::{EmulatorState, FaultAction, RecordedRequest, now_rfc3339};
use super::xml::Element;

/// Largest request body the emulator reads (Bandwidth's payloads are a few kB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest delay a fault may inject, so a typo cannot hang a test run.
pub const MAX_FAULT_DELAY: Duration = Duration::from_secs(120);
/// Realm sent with the Dashboard's 401 challenge.
pub const DASHBOARD_REALM: &str = "Bandwidth Dashboard API";

/// Which of Bandwidth's two APIs a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Dashboard (XML) under `/api` and `/api/v1`.
    Dashboard,
    /// Messaging v2 (JSON) under `/api/v2`.
    Messaging,
}

impl Api {
    /// The API family a request path belongs to, or `None` for control and unknown routes.
    pub fn of_path(path: &str) -> Option<Self> {
        if path == "/api/v2" || path.starts_with("/api/v2/") {
            Some(Self::Messaging)
        } else if path == "/api" || path.starts_with("/api/") {
            Some(Self::Dashboard)
        } else {
            None
        }
    }
}

/// An XML response with Bandwidth's declaration and `Content-Type: application/xml`.
pub fn xml(status: StatusCode, body: &Element) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/xml")],
        body.to_document(),
    )
        .into_response()
}

/// An XML response that also carries a `Location` header (creates answer 201 this way).
pub fn xml_created(location: &str, body: &Element) -> Response {
    let mut response = xml(StatusCode::CREATED, body);
    insert_location(&mut response, location);
    response
}

/// 201 with a `Location` header and no body (how sip peers are created).
pub fn created_without_body(location: &str) -> Response {
    let mut response = (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/xml")],
    )
        .into_response();
    insert_location(&mut response, location);
    response
}

fn insert_location(response: &mut Response, location: &str) {
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
}

/// The `ResponseStatus` error envelope: `<{root}><ResponseStatus><ErrorCode>…`.
pub fn response_status(status: StatusCode, root: &str, code: u32, description: &str) -> Response {
    let body = Element::new(root).with(
        Element::new("ResponseStatus")
            .with_leaf("ErrorCode", code.to_string())
            .with_leaf("Description", description),
    );
    xml(status, &body)
}

/// The Messaging API's error body `{"type", "description"}`.
pub fn json_error(status: StatusCode, kind: &str, description: &str) -> Response {
    json_response(status, &json!({"type": kind, "description": description}))
}

/// A JSON response with `Content-Type: application/json; charset=utf-8`.
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

/// The Messaging API's Spring-style 404 body (contract §3.3: a different shape from other errors).
pub fn messaging_not_found(path: &str) -> Response {
    let timestamp = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string();
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"timestamp": timestamp, "status": 404, "error": "Not Found",
                "message": "Not Found", "path": path}),
    )
}

/// The root element name Bandwidth uses for errors of the resource a Dashboard path names.
pub fn dashboard_root_for(path: &str) -> &'static str {
    let segments: Vec<&str> = path.split(['/', '?']).collect();
    let has = |s: &str| segments.iter().any(|seg| seg.eq_ignore_ascii_case(s));
    if has("applicationSettings") {
        "ApplicationsSettingsResponse"
    } else if has("sms") {
        "SipPeerSmsFeatureResponse"
    } else if has("mms") {
        "MmsFeatureResponse"
    } else if has("tns") {
        "SipPeerTelephoneNumbersResponse"
    } else if has("sippeers") {
        "SipPeerResponse"
    } else if has("sites") {
        "SiteResponse"
    } else if has("applications") {
        "ApplicationProvisioningResponse"
    } else if has("orders") {
        "OrderResponse"
    } else if has("disconnects") {
        "DisconnectTelephoneNumberOrderResponse"
    } else if has("availableNumbers") {
        "SearchResult"
    } else {
        "ErrorResponse"
    }
}

/// Whether the request carries HTTP Basic credentials equal to the configured API user's.
pub fn has_valid_basic_auth(headers: &HeaderMap, username: &str, password: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{username}:{password}");
    // Length differences leak nothing useful here; the content comparison is constant-time.
    decoded.len() == expected.len() && bool::from(decoded.ct_eq(expected.as_bytes()))
}

/// The account id a path names (`/accounts/{a}/…` or `/users/{a}/…`).
fn account_in_path(path: &str) -> Option<&str> {
    let mut segments = path.split('/');
    while let Some(seg) = segments.by_ref().next() {
        if seg == "accounts" || seg == "users" {
            return segments.next();
        }
    }
    None
}

/// Middleware for the Dashboard routes: Basic auth (401, empty body, `WWW-Authenticate`),
/// then the account id in the path (403 `ResponseStatus` 1001).
pub async fn dashboard_auth(
    State(state): State<EmulatorState>,
    request: Request,
    next: Next,
) -> Response {
    let config = state.config();
    if !has_valid_basic_auth(request.headers(), &config.username, &config.password) {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                format!("Basic realm=\"{DASHBOARD_REALM}\""),
            )],
        )
            .into_response();
    }
    let path = request.uri().path().to_string();
    if account_in_path(&path).is_some_and(|account| account != config.account_id) {
        return response_status(
            StatusCode::FORBIDDEN,
            dashboard_root_for(&path),
            1001,
            "Access Denied",
        );
    }
    next.run(request).await
}

/// Middleware for the Messaging routes: Basic auth (401 JSON `unauthorized`), then the account
/// id in the path (403 JSON `forbidden`).
pub async fn messaging_auth(
    State(state): State<EmulatorState>,
    request: Request,
    next: Next,
) -> Response {
    let config = state.config();
    if !has_valid_basic_auth(request.headers(), &config.username, &config.password) {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication Failed",
        );
    }
    if account_in_path(request.uri().path()).is_some_and(|account| account != config.account_id) {
        return json_error(StatusCode::FORBIDDEN, "forbidden", "Access Denied");
    }
    next.run(request).await
}

/// Outermost middleware on API routes: applies a matching injected fault (delay and/or status),
/// then records the request with the status it was answered with.
pub async fn record_and_inject(
    State(state): State<EmulatorState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let Some(api) = Api::of_path(&path) else {
        return next.run(request).await;
    };
    let method = request.method().clone();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| path.clone());
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let response = StatusCode::PAYLOAD_TOO_LARGE.into_response();
            record(&state, &method, &path_and_query, &Bytes::new(), 413);
            return response;
        }
    };

    let fault = take_fault(&state, &method, &path_and_query);
    let handle = |mut parts: axum::http::request::Parts, drop_callbacks: bool| {
        if drop_callbacks {
            parts.extensions.insert(DropCallbacks);
        }
        next.run(Request::from_parts(parts, Body::from(bytes.clone())))
    };
    let response = match fault {
        Some(fault) => {
            let delay = fault.delay.min(MAX_FAULT_DELAY);
            match fault.action {
                FaultAction::Refuse => match fault.status {
                    Some(status) => {
                        // Recorded before the delay, so a client that gives up still shows in
                        // the log (with the status it would have got).
                        record(&state, &method, &path_and_query, &bytes, status.as_u16());
                        tokio::time::sleep(delay).await;
                        return fault_response(api, status, &path);
                    }
                    None => {
                        tokio::time::sleep(delay).await;
                        handle(parts, fault.drop_callbacks).await
                    }
                },
                FaultAction::AcceptThenDelay => {
                    // Recorded when handled: the request was accepted, only its answer is late.
                    let response = handle(parts, fault.drop_callbacks).await;
                    let status = response.status().as_u16();
                    record(&state, &method, &path_and_query, &bytes, status);
                    tokio::time::sleep(delay).await;
                    return response;
                }
                FaultAction::AcceptThenDrop => {
                    // Served in full (an order is created), then the answer is cut off.
                    let served = handle(parts, fault.drop_callbacks).await;
                    tokio::time::sleep(delay).await;
                    record(
                        &state,
                        &method,
                        &path_and_query,
                        &bytes,
                        served.status().as_u16(),
                    );
                    let (head, _) = served.into_parts();
                    return Response::from_parts(head, Body::new(CutOff));
                }
                FaultAction::AcceptThenGarble => {
                    let response = handle(parts, fault.drop_callbacks).await;
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    garble(response).await
                }
            }
        }
        None => handle(parts, false).await,
    };
    record(
        &state,
        &method,
        &path_and_query,
        &bytes,
        response.status().as_u16(),
    );
    response
}

fn record(state: &EmulatorState, method: &Method, path: &str, body: &Bytes, status: u16) {
    state.record_request(RecordedRequest {
        method: method.to_string(),
        path: path.to_string(),
        body: String::from_utf8_lossy(body).into_owned(),
        status,
        at: now_rfc3339(),
    });
}

/// A body that fails at once: the connection is cut before the answer's body arrives, so the
/// client sees a transport error although the request was served.
struct CutOff;

impl http_body::Body for CutOff {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "the emulator dropped the answer (injected fault)",
        ))))
    }
}

/// Marks a request whose callbacks must never be posted (a `dropCallbacks` fault).
#[derive(Debug, Clone, Copy)]
pub struct DropCallbacks;

/// The part of a matched fault that shapes the answer.
struct Matched {
    delay: Duration,
    status: Option<StatusCode>,
    action: FaultAction,
    drop_callbacks: bool,
}

/// The same status and headers with the body cut to its first half (at least one byte short).
async fn garble(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

/// Consumes one use of the first fault matching the request.
fn take_fault(state: &EmulatorState, method: &Method, path: &str) -> Option<Matched> {
    let mut journal = state.journal();
    let index = journal.faults.iter().position(|f| {
        f.remaining > 0
            && path.contains(&f.path)
            && f.method
                .as_deref()
                .is_none_or(|m| m == "*" || m.eq_ignore_ascii_case(method.as_str()))
    })?;
    let fault = &mut journal.faults[index];
    fault.remaining -= 1;
    let found = Matched {
        delay: Duration::from_millis(fault.delay_ms),
        status: fault.status.and_then(|s| StatusCode::from_u16(s).ok()),
        action: fault.action,
        drop_callbacks: fault.drop_callbacks,
    };
    journal.faults.retain(|f| f.remaining > 0);
    Some(found)
}

/// A Bandwidth-shaped error body for an injected status.
fn fault_response(api: Api, status: StatusCode, path: &str) -> Response {
    match api {
        Api::Dashboard => match status {
            StatusCode::TOO_MANY_REQUESTS => {
                let reset = chrono::Utc::now().timestamp() + 1;
                (
                    status,
                    [(
                        header::HeaderName::from_static("x-ratelimit-reset"),
                        reset.to_string(),
                    )],
                )
                    .into_response()
            }
            StatusCode::UNAUTHORIZED => (
                status,
                [(
                    header::WWW_AUTHENTICATE,
                    format!("Basic realm=\"{DASHBOARD_REALM}\""),
                )],
            )
                .into_response(),
            StatusCode::FORBIDDEN => {
                response_status(status, dashboard_root_for(path), 1001, "Access Denied")
            }
            _ => response_status(
                status,
                dashboard_root_for(path),
                u32::from(status.as_u16()),
                status.canonical_reason().unwrap_or("Injected fault"),
            ),
        },
        Api::Messaging => match status {
            StatusCode::NOT_FOUND => messaging_not_found(path),
            StatusCode::BAD_REQUEST => json_error(
                status,
                "request-validation",
                "Your request could not be accepted",
            ),
            StatusCode::UNAUTHORIZED => json_error(status, "unauthorized", "Authentication Failed"),
            StatusCode::FORBIDDEN => json_error(status, "forbidden", "Access Denied"),
            StatusCode::TOO_MANY_REQUESTS => {
                let mut response = json_error(
                    status,
                    "max-message-queue-size-exceeded",
                    "The SMS queue for your account is full and cannot accept more messages right now. Your allowed rate is 60 messages per minute. The capacity of this queue is 900 messages (15 minutes). Reduce your message sending rate, or contact support to increase your allowed rate.",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
            _ => json_error(
                status,
                "internal-server-error",
                status.canonical_reason().unwrap_or("Injected fault"),
            ),
        },
    }
}

/// Answers unknown routes: Spring-style JSON under `/api/v2`, an empty 404 elsewhere.
pub async fn fallback(request: Request) -> Response {
    let path = request.uri().path().to_string();
    match Api::of_path(&path) {
        Some(Api::Messaging) => messaging_not_found(&path),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The absolute URL of a newly created resource: the request's own URL plus `/{id}`.
pub fn location(headers: &HeaderMap, request_path: &str, id: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{}/{id}", request_path.trim_end_matches('/'))
}
