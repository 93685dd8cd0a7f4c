//! Root queries.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::organization::Organization;
use super::{IntoGql, caller, state};
use crate::error::AppError;
use crate::services::access::{self, Caller, Role};
use crate::services::organizations;

/// Root query type.
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// An organization the caller belongs to (any role); `FORBIDDEN` otherwise, existing or not.
    async fn organization(&self, ctx: &Context<'_>, id: String) -> Result<Option<Organization>> {
        let caller = caller(ctx).gql()?;
        let org_id = access::parse_organization_id(&id).gql()?;
        caller.require(org_id, Role::Texter).gql()?;
        // A superadmin asking for a missing organization gets the same answer as anyone.
        let model = organizations::find(state(ctx), org_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::Forbidden,
                other => other,
            })
            .gql()?;
        Ok(Some(Organization(model)))
    }

    /// The caller (Spoke's `currentUser`, as its admin pages ask for it).
    async fn current_user(&self, ctx: &Context<'_>) -> Result<Option<CurrentUser>> {
        Ok(Some(CurrentUser(caller(ctx).gql()?.clone())))
    }
}

/// The user a token belongs to (Spoke's `User`, as its admin shell and user menu read it).
pub struct CurrentUser(Caller);

#[Object(name = "User")]
impl CurrentUser {
    async fn id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }

    /// The name shown in Spoke's user menu.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Whether the token spans every organization.
    #[graphql(name = "is_superadmin")]
    async fn is_superadmin(&self) -> bool {
        self.0.superadmin
    }

    /// The caller's role in the organization and every role below it, lowest first (Spoke's
    /// semantics: an owner gets all six, a superadmin reads as an owner); empty without one.
    async fn roles(&self, organization_id: String) -> Vec<String> {
        access::parse_organization_id(&organization_id)
            .ok()
            .and_then(|org| self.0.role_in(org))
            .map(|role| role.with_lower().map(|r| r.as_str().to_owned()).collect())
            .unwrap_or_default()
    }

    /// The organizations where the caller holds at least `role` (Spoke's role names; a
    /// superadmin gets every organization). An unknown role is `BAD_USER_INPUT`.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        role: Option<String>,
    ) -> Result<Vec<OrganizationSummary>> {
        let role = match role.as_deref() {
            None | Some("") => Role::Texter,
            Some(name) => Role::parse(name)
                .ok_or_else(|| AppError::InvalidInput(format!("unknown role {name:?}")))
                .gql()?,
        };
        let list = organizations::list_for(state(ctx), &self.0, role)
            .await
            .gql()?;
        Ok(list
            .into_iter()
            .map(|o| OrganizationSummary {
                id: ID(o.id.to_string()),
                name: o.name,
            })
            .collect())
    }
}

/// An organization as Spoke's user menu lists it (`{ id name }`); open it with
/// `organization(id)` for the rest.
#[derive(SimpleObject)]
pub struct OrganizationSummary {
    pub id: ID,
    pub name: String,
}
