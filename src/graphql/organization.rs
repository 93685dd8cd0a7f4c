//! The `Organization` type and its fields; each field checks the caller's role itself.

use async_graphql::{Context, ID, Json, Object, Result};

use super::types::{
    BandwidthAccount, CallbackCredentials, JobRequest, Message, PhoneNumber, PhoneNumberCounts,
    ServiceManager, ServiceVendor,
};
use super::{IntoGql, caller, state};
use crate::services::access::Role;
use crate::services::{
    credentials, jobs, managers, messaging, numbers, organizations, provisioning, webhook_auth,
};
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
        let state = state(ctx);
        let account = credentials::find_account(state, self.0.id).await.gql()?;
        let fully_configured = provisioning::is_fully_configured(state, self.0.id)
            .await
            .gql()?;
        Ok(Some(ServiceVendor {
            id: format!("org{}-bandwidth", self.0.id),
            name: "bandwidth".into(),
            supports_org_config: true,
            config: account.as_ref().map(|a| Json(a.vendor_config())),
            fully_configured,
        }))
    }

    /// Whether the organization can send: credentials, a messaging application, a valid
    /// service-manager list and at least one active number.
    async fn fully_configured(&self, ctx: &Context<'_>) -> Result<bool> {
        provisioning::is_fully_configured(state(ctx), self.0.id)
            .await
            .gql()
    }

    /// The URL, user and password Bandwidth must use for this organization's callbacks (owners).
    async fn callback_credentials(&self, ctx: &Context<'_>) -> Result<Option<CallbackCredentials>> {
        caller(ctx).gql()?.require(self.0.id, Role::Owner).gql()?;
        let state = state(ctx);
        let base_url = state.settings.base_url();
        Ok(Some(CallbackCredentials {
            callback_url: webhook_auth::callback_url(base_url, self.0.id),
            user_id: webhook_auth::CALLBACK_USER.into(),
            password: webhook_auth::password_for(&state.session_secret, base_url, self.0.id)
                .expose()
                .to_owned(),
        }))
    }

    /// Active numbers by area code (admins and owners).
    async fn phone_number_counts(&self, ctx: &Context<'_>) -> Result<Vec<PhoneNumberCounts>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let counts = numbers::counts(state(ctx), self.0.id).await.gql()?;
        Ok(counts.into_iter().map(Into::into).collect())
    }

    /// The organization's numbers that are not released, optionally in one area code (admins and owners).
    async fn phone_numbers(
        &self,
        ctx: &Context<'_>,
        area_code: Option<String>,
    ) -> Result<Vec<PhoneNumber>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let list = numbers::list(state(ctx), self.0.id, area_code.as_deref())
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Buy and delete jobs pending, running, or failed in the last day (admins and owners).
    async fn pending_phone_number_jobs(&self, ctx: &Context<'_>) -> Result<Vec<JobRequest>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let list = jobs::list_phone_number_jobs(state(ctx), self.0.id)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// One job of the organization (admins and owners); `NOT_FOUND` for an unknown id.
    async fn job(&self, ctx: &Context<'_>, id: String) -> Result<Option<JobRequest>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        Ok(Some(
            jobs::find(state(ctx), self.0.id, &id).await.gql()?.into(),
        ))
    }

    /// Whether the Phone Numbers page is on (on unless the organization's settings turn it off).
    async fn phone_inventory_enabled(&self) -> bool {
        organizations::phone_inventory_enabled(&organizations::OrgSettings::parse(&self.0.settings))
    }

    /// The service managers in the order they run (admins and owners).
    async fn service_managers(&self, ctx: &Context<'_>) -> Result<Vec<ServiceManager>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let statuses = managers::statuses(state(ctx), self.0.id).await.gql()?;
        Ok(statuses
            .into_iter()
            .map(|s| ServiceManager {
                id: format!("{}-org{}-", s.manager.name(), self.0.id),
                name: s.manager.name().into(),
                display_name: s.manager.display_name().into(),
                supports_org_config: true,
                supports_campaign_config: false,
                data: Some(Json(
                    serde_json::json!({ "position": s.position, "enabled": true }),
                )),
                fully_configured: Some(s.fully_configured),
            })
            .collect())
    }

    /// The conversation with a contact, oldest first, both directions (texters and up).
    async fn conversation(
        &self,
        ctx: &Context<'_>,
        contact_number: String,
    ) -> Result<Vec<Message>> {
        caller(ctx).gql()?.require(self.0.id, Role::Texter).gql()?;
        let thread = messaging::conversation(state(ctx), self.0.id, &contact_number)
            .await
            .gql()?;
        Ok(thread.into_iter().map(Into::into).collect())
    }
}
