//! HTTP routes (SPEC §1.3): GraphQL, health, metrics. Imports `graphql` and `services`, never the reverse.

mod bandwidth_webhook;
mod graphql;
mod health;
pub mod metrics;
mod tollfree_webhook;

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

/// Largest body of the routes that read none (health, metrics, GraphiQL).
pub const MAX_OTHER_BODY: usize = 16 * 1024;

/// The whole application as a router; a pure function so tests can drive it directly.
pub fn router(state: AppState) -> Router {
    let graphql_limit = state.settings.graphql_max_body;
    let shared = Arc::new(HttpState {
        schema: build_schema(state.clone()),
        app: state,
        callback_auth: RwLock::default(),
    });
    Router::new()
        .route(
            "/graphql",
            get(graphql::graphiql)
                .post(graphql::execute)
                .layer(DefaultBodyLimit::max(graphql_limit)),
        )
        .route(
            "/bandwidth/{org_id}",
            post(bandwidth_webhook::receive)
                .layer(DefaultBodyLimit::max(bandwidth_webhook::MAX_BODY)),
        )
        .route(
            "/bandwidth/{org_id}/tollfree-verification",
            post(tollfree_webhook::receive)
                .layer(DefaultBodyLimit::max(tollfree_webhook::MAX_BODY)),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .layer(DefaultBodyLimit::max(MAX_OTHER_BODY))
        .layer(axum::middleware::from_fn_with_state(
            BodyLimits {
                graphql: graphql_limit,
            },
            refuse_declared_oversize,
        ))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(shared)
}

/// The body limit of each route, for [`refuse_declared_oversize`].
#[derive(Clone, Copy)]
struct BodyLimits {
    graphql: usize,
}

/// Answers 413 at once to a request whose `Content-Length` passes its route's limit, before a
/// byte of the body is read (a chunked body is cut at the limit by the route's extractor).
async fn refuse_declared_oversize(
    axum::extract::State(limits): axum::extract::State<BodyLimits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let limit = if path == "/graphql" {
        limits.graphql
    } else if path.starts_with("/bandwidth/") {
        bandwidth_webhook::MAX_BODY
    } else {
        MAX_OTHER_BODY
    };
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => {
            tracing::debug!(path, length, limit, "request body over the limit refused");
            let message = format!("the body is {length} bytes; this route takes at most {limit}");
            let mut response = if path == "/graphql" {
                graphql::refuse(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    &message,
                )
            } else {
                use axum::response::IntoResponse;
                (axum::http::StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
            };
            // The rest of the body is not read: the connection cannot be reused.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            response
        }
        _ => next.run(request).await,
    }
}
