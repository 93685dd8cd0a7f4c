//! The `Organization` type and its fields; each field checks the caller's role itself.

use async_graphql::{Context, ID, Json, Object, Result};

use super::types::{BandwidthAccount, ServiceVendor};
use super::{IntoGql, caller, state};
use crate::services::access::Role;
use crate::services::credentials;
use crate::store::entities::organization;

/// An organization (Spoke's shape, plus the Bandwidth account).
pub struct Organization(pub organization::Model);

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The Bandwidth account (admins and owners).
    async fn bandwidth(&self, ctx: &Context<'_>) -> Result<Option<BandwidthAccount>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let account = credentials::find_account(state(ctx), self.0.id)
            .await
            .gql()?;
        Ok(account.map(Into::into))
    }

    /// Spoke's service-vendor section (admins and owners).
    async fn service_vendor(&self, ctx: &Context<'_>) -> Result<Option<ServiceVendor>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let account = credentials::find_account(state(ctx), self.0.id)
            .await
            .gql()?;
        Ok(Some(ServiceVendor {
            id: format!("org{}-bandwidth", self.0.id),
            name: "bandwidth".into(),
            supports_org_config: true,
            config: account.as_ref().map(|a| Json(a.vendor_config())),
            fully_configured: false,
        }))
    }

    /// Whether the organization can send: credentials, application, service managers and an
    /// active number. False until provisioning and numbers exist.
    async fn fully_configured(&self) -> bool {
        // TODO(issue 4): becomes real once provisioning and the number inventory exist; nothing
        // can send before then, so false is the true answer today.
        false
    }
}
