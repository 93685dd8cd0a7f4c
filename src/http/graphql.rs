//! `POST /graphql` (bearer token → caller) and the GraphiQL explorer at `GET /graphql`.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::response::{Html, IntoResponse};

use super::Shared;
use crate::error::AppError;
use crate::graphql::RequestCaller;
use crate::services::access;

/// Runs a GraphQL request as the caller its bearer token names (or as nobody).
pub async fn execute(
    State(state): State<Shared>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let caller = match bearer_token(&headers) {
        None => None,
        Some(token) => match access::authenticate(&state.app.db, token).await {
            Ok(caller) => Some(caller),
            Err(AppError::Unauthenticated) => None,
            Err(e) => {
                use async_graphql::ErrorExtensions;
                let error = e.extend().into_server_error(Default::default());
                return async_graphql::Response::from_errors(vec![error]).into();
            }
        },
    };
    state
        .schema
        .execute(request.into_inner().data(RequestCaller(caller)))
        .await
        .into()
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
