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

use super::Shared;
use crate::services::{callbacks, webhook_auth};

/// Largest callback body accepted (Bandwidth batches are far smaller).
pub const MAX_BODY: usize = 1024 * 1024;

/// Takes one callback request.
pub async fn receive(
    State(state): State<Shared>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(org_id) = parse_org(&org) else {
        return challenge();
    };
    match authorize(&state, org_id, &headers).await {
        Access::Granted => {}
        Access::Challenged => {
            tracing::debug!(org = %org, "callback without valid credentials: challenging");
            return challenge();
        }
        Access::UnknownOrg => {
            return (StatusCode::NOT_FOUND, "unknown organization").into_response();
        }
        Access::Unavailable => {
            return unavailable(org_id, "org_lookup", "the database is unavailable");
        }
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
        Err(e) => unavailable(org_id, e.cause(), &e.to_string()),
    }
}

/// A 503 (Bandwidth retries), logged with its cause and counted in
/// `callback_unavailable_total{cause}`.
fn unavailable(org_id: i32, cause: &'static str, text: &str) -> Response {
    metrics::counter!("callback_unavailable_total", "cause" => cause).increment(1);
    tracing::warn!(org_id, cause, "callback answered 503: {text}");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "5")],
        text.to_owned(),
    )
        .into_response()
}

/// A decimal organization id as written in the route (no sign, no leading zeros).
pub(super) fn parse_org(org: &str) -> Option<i32> {
    org.parse()
        .ok()
        .filter(|id: &i32| *id > 0 && id.to_string() == org)
}

pub(super) enum Access {
    Granted,
    Challenged,
    UnknownOrg,
    Unavailable,
}

/// Compares the credentials sent with the organization's, in constant time. The expected value
/// is cached once the organization is known to exist; the database is asked only the first time
/// right credentials arrive for an organization.
pub(super) async fn authorize(
    state: &super::HttpState,
    org_id: i32,
    headers: &HeaderMap,
) -> Access {
    let Some(sent) = headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
    else {
        return Access::Challenged;
    };
    let cached = state
        .callback_auth
        .read()
        .expect("not poisoned")
        .get(&org_id)
        .map(|e| sent.ct_eq(e.as_bytes()).into());
    match cached {
        Some(true) => return Access::Granted,
        Some(false) => return Access::Challenged,
        None => {}
    }
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
    if !bool::from(sent.ct_eq(expected.as_bytes())) {
        return Access::Challenged;
    }
    match crate::services::organizations::find(&state.app, org_id).await {
        Ok(_) => {
            state
                .callback_auth
                .write()
                .expect("not poisoned")
                .insert(org_id, expected);
            Access::Granted
        }
        Err(crate::error::AppError::NotFound(_)) => Access::UnknownOrg,
        Err(e) => {
            tracing::warn!(error = %e, "cannot check the callback's organization");
            Access::Unavailable
        }
    }
}

pub(super) fn challenge() -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, "callback credentials required").into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"spoke-bandwidth\""),
    );
    response
}
