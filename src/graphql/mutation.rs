//! Root mutations.

use async_graphql::{Context, ID, Object, Result};

use super::types::{
    BandwidthAccount, BandwidthCredentialsInput, JobRequest, Message, ProvisionBandwidthInput,
    ProvisioningResult, SendMessageInput,
};
use super::{IntoGql, caller, state};
use crate::services::access::{self, Role};
use crate::services::{credentials, messaging, numbers, provisioning};

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
        let org_id = owner_of(ctx, &organization_id)?;
        let account = credentials::update_credentials(state(ctx), org_id, input.into())
            .await
            .gql()?;
        Ok(Some(account.into()))
    }

    /// Sets up (or resumes setting up) the organization's Bandwidth sub-account, location,
    /// messaging settings and application, then syncs its numbers (owners). Bandwidth's
    /// refusals come back as a `FAILED` step with its text; rerun to resume.
    async fn provision_bandwidth(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        input: Option<ProvisionBandwidthInput>,
    ) -> Result<Option<ProvisioningResult>> {
        let org_id = owner_of(ctx, &organization_id)?;
        let address = input.and_then(|i| i.address).map(Into::into);
        let outcome = provisioning::provision(state(ctx), org_id, address)
            .await
            .gql()?;
        Ok(Some(outcome.into()))
    }

    /// Queues a purchase of numbers in an area code (owners); `800` and other 8XX prefixes buy toll-free.
    async fn buy_phone_numbers(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        area_code: String,
        limit: i32,
    ) -> Result<Option<JobRequest>> {
        let org_id = owner_of(ctx, &organization_id)?;
        Ok(Some(
            numbers::request_purchase(state(ctx), org_id, &area_code, limit)
                .await
                .gql()?
                .into(),
        ))
    }

    /// Queues the release of the organization's unused numbers in an area code (owners).
    async fn delete_phone_numbers(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        area_code: String,
    ) -> Result<Option<JobRequest>> {
        let org_id = owner_of(ctx, &organization_id)?;
        Ok(Some(
            numbers::request_release(state(ctx), org_id, &area_code)
                .await
                .gql()?
                .into(),
        ))
    }

    /// Queues a reconciliation with the numbers Bandwidth lists for the location (owners).
    async fn sync_phone_numbers(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
    ) -> Result<Option<JobRequest>> {
        let org_id = owner_of(ctx, &organization_id)?;
        Ok(Some(
            numbers::request_sync(state(ctx), org_id)
                .await
                .gql()?
                .into(),
        ))
    }

    /// Sends a message to a contact from the number the service managers choose (texters and up).
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        input: SendMessageInput,
    ) -> Result<Option<Message>> {
        let org_id = access::parse_organization_id(&organization_id).gql()?;
        caller(ctx).gql()?.require(org_id, Role::Texter).gql()?;
        Ok(Some(
            messaging::send_message(state(ctx), org_id, input.into())
                .await
                .gql()?
                .into(),
        ))
    }
}

/// The organization id, once the caller is known to be its owner.
fn owner_of(ctx: &Context<'_>, organization_id: &str) -> Result<i32> {
    let org_id = access::parse_organization_id(organization_id).gql()?;
    caller(ctx).gql()?.require(org_id, Role::Owner).gql()?;
    Ok(org_id)
}
