//! `POST /graphql` (bearer token → caller) and the GraphiQL explorer at `GET /graphql`.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::GraphQLResponse;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::Shared;
use crate::error::AppError;
use crate::graphql::RequestCaller;
use crate::services::access;

/// Runs a GraphQL request as the caller its bearer token names (or as nobody).
///
/// The body is read only up to `GRAPHQL_MAX_BODY` (the route's limit answers 413 beyond it), and
/// only as one JSON request: multipart is refused, since no field takes a file, and so are
/// batches (Spoke sends one operation per request).
pub async fn execute(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match read_request(&headers, &body) {
        Ok(request) => request,
        Err((status, code, message)) => return refuse(status, code, &message),
    };
    let caller = match bearer_token(&headers) {
        None => None,
        Some(token) => match access::authenticate(&state.app.db, token).await {
            Ok(caller) => Some(caller),
            Err(AppError::Unauthenticated) => None,
            Err(e) => {
                use async_graphql::ErrorExtensions;
                let error = e.extend().into_server_error(Default::default());
                return GraphQLResponse::from(async_graphql::Response::from_errors(vec![error]))
                    .into_response();
            }
        },
    };
    GraphQLResponse::from(
        state
            .schema
            .execute(request.data(RequestCaller(caller)))
            .await,
    )
    .into_response()
}

/// The request in the body, or the refusal to answer: 415 for multipart and other media types,
/// 400 for a body that is not one GraphQL request in JSON.
fn read_request(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<async_graphql::Request, (StatusCode, &'static str, String)> {
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    match media_type.as_deref() {
        None | Some("application/json") | Some("application/graphql-response+json") => {}
        Some(other) if other.starts_with("multipart/") => {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "multipart requests are not accepted: no field of this API takes a file; send application/json".into(),
            ));
        }
        Some(_) => {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "send the GraphQL request as application/json".into(),
            ));
        }
    }
    serde_json::from_slice(body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("the body is not one GraphQL request in JSON: {e}"),
        )
    })
}

/// A refusal in GraphQL's error shape, with its code.
pub(super) fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "data": null,
        "errors": [{ "message": message, "extensions": { "code": code } }],
    });
    (status, axum::Json(body)).into_response()
}

/// The GraphiQL explorer.
pub async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("spoke-bandwidth")
            .finish(),
    )
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
