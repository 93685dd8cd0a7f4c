//! HTTP routes (SPEC §1.3): GraphQL, health, metrics. Imports `graphql` and `services`, never the reverse.

mod bandwidth_webhook;
mod graphql;
mod health;
pub mod metrics;

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::graphql::{AppSchema, build_schema};
use crate::state::AppState;

/// What route handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
    /// Organizations known to exist (they are never renumbered), so callbacks skip the lookup.
    known_orgs: Arc<RwLock<HashSet<i32>>>,
}

impl HttpState {
    /// Whether the organization exists; remembered once seen.
    async fn known_org(&self, id: i32) -> bool {
        if self.known_orgs.read().expect("not poisoned").contains(&id) {
            return true;
        }
        match crate::store::organizations::find(&self.app.db, id).await {
            Ok(Some(_)) => {
                self.known_orgs.write().expect("not poisoned").insert(id);
                true
            }
            _ => false,
        }
    }
}

/// The whole application as a router; a pure function so tests can drive it directly.
pub fn router(state: AppState) -> Router {
    let shared = HttpState {
        schema: build_schema(state.clone()),
        app: state,
        known_orgs: Arc::default(),
    };
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
