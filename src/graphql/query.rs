//! Root queries.

use async_graphql::{Context, Object, Result};

use super::organization::Organization;
use super::{IntoGql, caller, state};
use crate::error::AppError;
use crate::services::access::{self, Role};
use crate::store;

/// Root query type.
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// An organization the caller belongs to (any role); `FORBIDDEN` otherwise, existing or not.
    async fn organization(&self, ctx: &Context<'_>, id: String) -> Result<Option<Organization>> {
        let caller = caller(ctx).gql()?;
        let org_id = access::parse_organization_id(&id).gql()?;
        caller.require(org_id, Role::Texter).gql()?;
        let model = store::organizations::find(&state(ctx).db, org_id)
            .await
            .map_err(AppError::from)
            .and_then(|m| m.ok_or(AppError::Forbidden))
            .gql()?;
        Ok(Some(Organization(model)))
    }
}
