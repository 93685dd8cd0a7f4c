//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;

use super::Shared;
use crate::store;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers; 503 otherwise, so a load balancer stops sending traffic here.
pub async fn readyz(State(state): State<Shared>) -> (StatusCode, &'static str) {
    match store::ping(&state.app.db).await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
