//! The GraphQL schema: thin resolvers over `services`. Imports nothing from axum.
//!
//! `schema.graphql` at the repository root is generated from [`sdl`]; a test fails when they differ.

mod consent;
mod error;
mod health;
pub mod limits;
mod mutation;
mod organization;
mod query;
mod registration;
mod settings;
mod types;

use async_graphql::{Context, EmptySubscription, Schema};

pub use error::IntoGql;

use crate::error::AppError;
use crate::services::access::Caller;
use crate::state::AppState;

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<query::QueryRoot, mutation::MutationRoot, EmptySubscription>;

/// Builds the schema once, with the shared state as data.
pub fn build_schema(state: AppState) -> AppSchema {
    let settings = state.settings.clone();
    let builder = Schema::build(
        query::QueryRoot,
        mutation::MutationRoot::default(),
        EmptySubscription,
    )
    .data(state)
    .extension(limits::Limits {
        max_fields: settings.graphql_max_fields,
        max_mutation_fields: settings.graphql_max_mutation_fields,
        introspection: settings.graphql_introspection,
    })
    .limit_depth(16)
    .limit_complexity(2_000);
    if settings.graphql_introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The SDL of the schema, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        query::QueryRoot,
        mutation::MutationRoot::default(),
        EmptySubscription,
    )
    .finish()
    .sdl()
}

/// The per-request caller: `None` when no valid token was sent.
#[derive(Debug, Clone)]
pub struct RequestCaller(pub Option<Caller>);

fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

fn caller<'a>(ctx: &Context<'a>) -> Result<&'a Caller, AppError> {
    ctx.data_opt::<RequestCaller>()
        .and_then(|c| c.0.as_ref())
        .ok_or(AppError::Unauthenticated)
}
