//! Root queries.

use async_graphql::{Context, ID, Object, Result};

use super::organization::Organization;
use super::{IntoGql, caller, state};
use crate::error::AppError;
use crate::services::access::{self, Caller, Role};
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

    /// The caller (Spoke's `currentUser`, as its admin pages ask for it).
    async fn current_user(&self, ctx: &Context<'_>) -> Result<Option<CurrentUser>> {
        Ok(Some(CurrentUser(caller(ctx).gql()?.clone())))
    }
}

/// The user a token belongs to.
pub struct CurrentUser(Caller);

#[Object(name = "User")]
impl CurrentUser {
    async fn id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }

    /// The caller's role in the organization in Spoke's words (`OWNER`, `ADMIN`, `TEXTER`); empty
    /// without one. A superadmin reads as `OWNER`.
    async fn roles(&self, organization_id: String) -> Vec<String> {
        access::parse_organization_id(&organization_id)
            .ok()
            .and_then(|org| self.0.role_in(org))
            .map(|role| vec![role.as_str().to_uppercase()])
            .unwrap_or_default()
    }
}
