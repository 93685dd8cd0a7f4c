//! `POST /bandwidth/{orgId}`: Bandwidth's messaging callbacks (SPEC §5).
//!
//! HTTP Basic with the organization's HMAC password, compared in constant time; a missing or
//! wrong one gets the 401 challenge Bandwidth needs before it sends credentials. A 2xx is sent
//! only after the effects are committed; 503 when they cannot be, so Bandwidth retries.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use subtle::ConstantTimeEq;

use super::HttpState;
use crate::services::{callbacks, webhook_auth};

/// Largest callback body accepted (Bandwidth batches are far smaller).
pub const MAX_BODY: usize = 1024 * 1024;

/// Takes one callback request.
pub async fn receive(
    State(state): State<HttpState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(org_id) = authorized_org(&state, &org, &headers) else {
        tracing::debug!(org = %org, "callback without valid credentials: challenging");
        return challenge();
    };
    if !state.known_org(org_id).await {
        return (StatusCode::NOT_FOUND, "unknown organization").into_response();
    }
    let effects = match callbacks::parse_events(&body) {
        Ok(effects) => effects,
        Err(e) => {
            tracing::warn!(org_id, error = %e, "malformed callback refused");
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    };
    match state.app.callbacks.submit(org_id, effects).await {
        Ok(()) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"success":true}"#,
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            e.to_string(),
        )
            .into_response(),
    }
}

/// The organization id when the request carries that organization's callback credentials.
fn authorized_org(state: &HttpState, org: &str, headers: &HeaderMap) -> Option<i32> {
    let org_id: i32 = org
        .parse()
        .ok()
        .filter(|id: &i32| *id > 0 && id.to_string() == org)?;
    let sent = headers.get(header::AUTHORIZATION)?.as_bytes();
    let password = webhook_auth::password_for(
        &state.app.session_secret,
        state.app.settings.base_url(),
        org_id,
    );
    let expected = format!(
        "Basic {}",
        B64.encode(format!(
            "{}:{}",
            webhook_auth::CALLBACK_USER,
            password.expose()
        ))
    );
    bool::from(sent.ct_eq(expected.as_bytes())).then_some(org_id)
}

fn challenge() -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, "callback credentials required").into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"spoke-bandwidth\""),
    );
    response
}
