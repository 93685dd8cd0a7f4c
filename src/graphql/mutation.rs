//! Root mutations.

use async_graphql::{Context, ID, Json, MergedObject, Object, Result};

use super::consent::ConsentMutation;
use super::health::HealthMutation;
use super::settings::{SettingsMutation, member_of};
use super::types::{
    BandwidthAccount, BandwidthCredentialsInput, JobRequest, Message, ProvisionBandwidthInput,
    ProvisioningResult, SendMessageInput, ServiceManager, ServiceVendor,
};
use super::{IntoGql, caller, state};
use crate::error::AppError;
use crate::services::access::{self, Role};
use crate::services::{credentials, managers, messaging, numbers, provisioning, vendor};

/// Root mutation type: the core mutations, those of Spoke's Settings page, consent's, number
/// health's and registration's.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    CoreMutation,
    SettingsMutation,
    ConsentMutation,
    HealthMutation,
    super::registration::RegistrationMutation,
);

/// Credentials, provisioning, numbers, sending and Spoke's service sections.
#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
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

    /// Queues a purchase of numbers in an area code (admins and owners, as in Spoke); `800` and
    /// other 8XX prefixes buy toll-free.
    async fn buy_phone_numbers(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        area_code: String,
        limit: i32,
        #[graphql(
            desc = "Ignored: older Spoke releases send it for Twilio messaging services, which Bandwidth does not have."
        )]
        add_to_organization_messaging_service: Option<bool>,
    ) -> Result<Option<JobRequest>> {
        let _ = add_to_organization_messaging_service;
        let org_id = member_of(ctx, &organization_id, Role::Admin)?;
        Ok(Some(
            numbers::request_purchase(state(ctx), org_id, &area_code, limit)
                .await
                .gql()?
                .into(),
        ))
    }

    /// Queues the release of the organization's unused numbers in an area code (admins and
    /// owners, as Spoke's Phone Numbers page allows).
    async fn delete_phone_numbers(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        area_code: String,
    ) -> Result<Option<JobRequest>> {
        let org_id = member_of(ctx, &organization_id, Role::Admin)?;
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

    /// Spoke's Settings-page save of the Bandwidth form (owners). `config` is the form as a JSON
    /// string (what Spoke's client sends) or an object; a password of `"<Encrypted>"` keeps the
    /// stored one. Checks the credentials with Bandwidth (a rejection is an error and nothing is
    /// saved), then provisions what is missing; a failed provisioning does not fail the mutation
    /// but shows as `config.autoConfigError` with Bandwidth's reason.
    async fn update_service_vendor_config(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        service_name: String,
        config: Json<serde_json::Value>,
    ) -> Result<Option<ServiceVendor>> {
        let org_id = owner_of(ctx, &organization_id)?;
        let state = state(ctx);
        let config = vendor::update_config(state, org_id, &service_name, &config.0)
            .await
            .gql()?;
        Ok(Some(ServiceVendor::new(state, org_id, config).await.gql()?))
    }

    /// Spoke's Settings-page change of a service manager's organization-level data (owners):
    /// `updateData` takes `enabled`, `position` and the manager's options (numpicker-basic:
    /// `matchAreaCode`, `matchState`). These managers have no campaign settings: a `campaignId`
    /// is refused.
    async fn update_service_manager(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        service_manager_name: String,
        update_data: Json<serde_json::Value>,
        campaign_id: Option<String>,
        from_campaign_stats_page: Option<bool>,
    ) -> Result<Option<ServiceManager>> {
        let org_id = owner_of(ctx, &organization_id)?;
        if let Some(campaign) = campaign_id.filter(|c| !c.is_empty()) {
            return Err(AppError::InvalidInput(format!(
                "{service_manager_name} has no campaign settings (campaign {campaign}); send updateData without campaignId"
            )))
            .gql();
        }
        let status = managers::update(state(ctx), org_id, &service_manager_name, &update_data.0)
            .await
            .gql()?;
        let suffix = if from_campaign_stats_page == Some(true) {
            "stats"
        } else {
            ""
        };
        Ok(Some(ServiceManager::from_status(status, org_id, suffix)))
    }
}

/// The organization id, once the caller is known to be its owner.
fn owner_of(ctx: &Context<'_>, organization_id: &str) -> Result<i32> {
    member_of(ctx, organization_id, Role::Owner)
}
