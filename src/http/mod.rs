//! HTTP routes (SPEC §1.3): GraphQL, health, metrics. Imports `graphql` and `services`, never the reverse.

mod bandwidth_webhook;
mod graphql;
mod health;
pub mod metrics;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::graphql::{AppSchema, build_schema};
use crate::state::AppState;

/// What route handlers share (behind one `Arc`: extracting it per request is one increment).
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
    /// The `Authorization` value Bandwidth must send, per organization known to exist
    /// (organizations are never renumbered), so a callback costs neither an HMAC nor a lookup.
    callback_auth: RwLock<HashMap<i32, String>>,
}

/// The state as handlers extract it.
pub type Shared = Arc<HttpState>;

/// The whole application as a router; a pure function so tests can drive it directly.
pub fn router(state: AppState) -> Router {
    let shared = Arc::new(HttpState {
        schema: build_schema(state.clone()),
        app: state,
        callback_auth: RwLock::default(),
    });
    Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::execute))
        .route(
            "/bandwidth/{org_id}",
            post(bandwidth_webhook::receive)
                .layer(DefaultBodyLimit::max(bandwidth_webhook::MAX_BODY)),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(shared)
}
