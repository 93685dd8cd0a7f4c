//! Root mutations.

use async_graphql::{Context, Object, Result};

use super::types::{BandwidthAccount, BandwidthCredentialsInput};
use super::{IntoGql, caller, state};
use crate::services::access::{self, Role};
use crate::services::credentials;

/// Root mutation type.
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Stores the organization's Bandwidth credentials (owners), after checking them with
    /// Bandwidth unless `skipVerification` is set.
    async fn update_bandwidth_credentials(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        input: BandwidthCredentialsInput,
    ) -> Result<Option<BandwidthAccount>> {
        let org_id = access::parse_organization_id(&organization_id).gql()?;
        caller(ctx).gql()?.require(org_id, Role::Owner).gql()?;
        let account = credentials::update_credentials(state(ctx), org_id, input.into())
            .await
            .gql()?;
        Ok(Some(account.into()))
    }
}
