//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;

use super::Shared;
use crate::services::callbacks;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// How long the database may take to answer the readiness probe.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Ready when the database answers within [`PROBE_TIMEOUT`] (on PostgreSQL: and the messages
/// table can be written, not locked) and the callback writer is committing; 503 otherwise, so a
/// load balancer stops sending traffic here. Each check clears by itself.
pub async fn readyz(State(state): State<Shared>) -> (StatusCode, String) {
    let probe = tokio::time::timeout(PROBE_TIMEOUT, callbacks::database_ready(&state.app.db)).await;
    let problem = match probe {
        Err(_) => Some(format!(
            "the database did not answer within {PROBE_TIMEOUT:?}"
        )),
        Ok(Err(e)) => Some(format!("the database does not answer: {e}")),
        Ok(Ok(())) => state.app.callbacks.health().readiness().err(),
    };
    match problem {
        None => (StatusCode::OK, "ready".into()),
        Some(problem) => {
            tracing::warn!(problem = %problem, "readiness check failed");
            metrics::counter!("readiness_failures_total").increment(1);
            (StatusCode::SERVICE_UNAVAILABLE, problem)
        }
    }
}
