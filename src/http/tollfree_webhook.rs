//! `POST /bandwidth/{orgId}/tollfree-verification`: Bandwidth's toll-free verification status
//! webhook (contract-2 §5.5). Authenticated like the messaging callbacks: HTTP Basic with the
//! organization's callback credentials, compared in constant time, a 401 challenge otherwise.
//! Answers 204 once the new status is stored; 400 for a body that is not a status update.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Shared;
use super::bandwidth_webhook::{Access, authorize, challenge, parse_org};
use crate::error::AppError;
use crate::services::registration::tollfree;

/// Largest webhook body accepted (one status update is well under a kilobyte).
pub const MAX_BODY: usize = 64 * 1024;

/// Takes one status update.
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
            tracing::debug!(org = %org, "toll-free verification webhook without valid credentials: challenging");
            return challenge();
        }
        Access::UnknownOrg => {
            return (StatusCode::NOT_FOUND, "unknown organization").into_response();
        }
        Access::Unavailable => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable",
            )
                .into_response();
        }
    }
    match tollfree::apply_webhook(&state.app, org_id, &body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(AppError::InvalidInput(message)) => (StatusCode::BAD_REQUEST, message).into_response(),
        Err(e) => {
            tracing::warn!(org_id, error = %e, "toll-free verification webhook not stored");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the status could not be stored",
            )
                .into_response()
        }
    }
}
