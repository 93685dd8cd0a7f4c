//! HTTP routes (SPEC §1.3): GraphQL, health, metrics. Imports `graphql` and `services`, never the reverse.

mod graphql;
mod health;
pub mod metrics;

use axum::Router;
use axum::routing::get;

use crate::graphql::{AppSchema, build_schema};
use crate::state::AppState;

/// What route handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
}

/// The whole application as a router; a pure function so tests can drive it directly.
pub fn router(state: AppState) -> Router {
    let shared = HttpState {
        schema: build_schema(state.clone()),
        app: state,
    };
    Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::execute))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(shared)
}
