//! The `Organization` type and its fields; each field checks the caller's role itself.

use async_graphql::{Context, ID, Json, Object, Result};

use super::consent::{ConsentSettings, OptOut};
use super::types::{
    BandwidthAccount, CallbackCredentials, JobRequest, Message, OrgSettingsView, OrphanReport,
    PhoneNumber, PhoneNumberCounts, ServiceManager, ServiceVendor, TexterUiConfig,
};
use super::{IntoGql, caller, state};
use crate::services::access::Role;
use crate::services::{
    callbacks, consent, credentials, jobs, managers, messaging, numbers, organizations,
    provisioning, settings_page, vendor, webhook_auth,
};
use crate::store::entities::organization;

/// An organization (Spoke's shape, plus the Bandwidth account).
pub struct Organization(pub organization::Model);

impl Organization {
    fn stored_settings(&self) -> organizations::OrgSettings {
        organizations::OrgSettings::parse(&self.0.settings)
    }

    fn spoke(&self) -> settings_page::SpokeSettings {
        settings_page::SpokeSettings::from_settings(&self.stored_settings())
    }
}

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

    /// Spoke's service-vendor section (admins and owners); `config` never holds the password.
    async fn service_vendor(&self, ctx: &Context<'_>) -> Result<Option<ServiceVendor>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let state = state(ctx);
        let config = vendor::config(state, self.0.id).await.gql()?;
        Ok(Some(
            ServiceVendor::new(state, self.0.id, config).await.gql()?,
        ))
    }

    /// Whether the organization can send: credentials, a messaging application, a number
    /// picker among its service managers, and at least one active number.
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

    /// Delivery reports for messages this organization never stored, newest first (owners; at
    /// most 100, 20 by default). Bandwidth was answered 2xx for them.
    async fn orphan_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] limit: i32,
    ) -> Result<Vec<OrphanReport>> {
        caller(ctx).gql()?.require(self.0.id, Role::Owner).gql()?;
        Ok(callbacks::orphan_reports(state(ctx), self.0.id, limit)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
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

    /// Texts flagged for the organization because they failed as spam on several numbers; sends
    /// of them are refused with `CONTENT_FLAGGED` until an owner clears them (admins and owners).
    async fn flagged_texts(&self, ctx: &Context<'_>) -> Result<Vec<super::health::FlaggedText>> {
        super::health::flagged_texts(ctx, self.0.id).await
    }

    /// Number-health thresholds, windows and cool-downs (admins and owners).
    async fn number_health_settings(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::health::NumberHealthSettings> {
        super::health::settings(ctx, self.0.id).await
    }

    /// Which numbers served a contact and why they changed, newest first (admins and owners).
    async fn sender_history(
        &self,
        ctx: &Context<'_>,
        contact_number: String,
    ) -> Result<Vec<super::health::SenderChange>> {
        super::health::sender_history(ctx, self.0.id, &contact_number).await
    }

    /// Buy and delete jobs still queued or running (admins and owners). A job leaves this list
    /// when it ends, as in Spoke; its outcome stays readable through `job(id)` and `jobs`.
    async fn pending_phone_number_jobs(&self, ctx: &Context<'_>) -> Result<Vec<JobRequest>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let list = jobs::list_pending_phone_number_jobs(state(ctx), self.0.id)
            .await
            .gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// The organization's jobs of every kind, finished ones included, newest first (admins and
    /// owners): at most `first` (1–100, default 20).
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<JobRequest>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let list = jobs::history(state(ctx), self.0.id, first).await.gql()?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// One job of the organization (admins and owners); `NOT_FOUND` for an unknown id.
    async fn job(&self, ctx: &Context<'_>, id: String) -> Result<Option<JobRequest>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        Ok(Some(
            jobs::find(state(ctx), self.0.id, &id).await.gql()?.into(),
        ))
    }

    /// The 10DLC campaigns of the Bandwidth account as last refreshed (admins and owners).
    async fn ten_dlc_campaigns(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::registration::TenDlcCampaign>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        super::registration::ten_dlc_campaigns(ctx, self.0.id).await
    }

    /// Registration enforcement and the default campaign (admins and owners).
    async fn registration_settings(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::registration::RegistrationSettings> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        super::registration::registration_settings(ctx, self.0.id).await
    }

    /// Whether the Phone Numbers page is on (on unless the organization's settings turn it off).
    async fn phone_inventory_enabled(&self) -> bool {
        organizations::phone_inventory_enabled(&self.stored_settings())
    }

    /// Spoke's Settings-page list of service managers with an organization-level config
    /// component in Spoke's client. Spoke renders a component for every entry and has none for
    /// this server's managers (listing one blanks the page), so the list is empty; read and
    /// change them with `sendingServiceManagers` and `updateServiceManager`.
    async fn service_managers(&self, ctx: &Context<'_>) -> Result<Vec<ServiceManager>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        Ok(Vec::new())
    }

    /// The managers that choose each message's sending number, in the order they run, then
    /// those the organization turned off, with their options and whether each is fully
    /// configured (admins and owners).
    async fn sending_service_managers(&self, ctx: &Context<'_>) -> Result<Vec<ServiceManager>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let statuses = managers::statuses(state(ctx), self.0.id).await.gql()?;
        Ok(statuses
            .into_iter()
            .map(|s| ServiceManager::from_status(s, self.0.id, ""))
            .collect())
    }

    /// Whether Spoke's texting hours are enforced (default false).
    async fn texting_hours_enforced(&self) -> bool {
        self.spoke().texting_hours_enforced
    }

    /// Hour texting starts when enforced (default 9).
    async fn texting_hours_start(&self) -> i32 {
        self.spoke().texting_hours_start
    }

    /// Hour texting ends when enforced (default 21).
    async fn texting_hours_end(&self) -> i32 {
        self.spoke().texting_hours_end
    }

    /// The message sent when a contact opts out (Spoke's default unless set).
    async fn opt_out_message(&self) -> String {
        self.spoke().opt_out_message
    }

    /// The organization's theme for Spoke's UI, when set.
    async fn theme(&self) -> Option<Json<serde_json::Value>> {
        self.spoke().theme.map(Json)
    }

    /// Spoke's settings card: feature overrides and handlers (admins and owners).
    async fn settings(&self, ctx: &Context<'_>) -> Result<Option<OrgSettingsView>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        Ok(Some((&self.spoke()).into()))
    }

    /// Spoke's texter UI configuration.
    #[graphql(name = "texterUIConfig")]
    async fn texter_ui_config(&self) -> TexterUiConfig {
        let spoke = self.spoke();
        TexterUiConfig {
            options: spoke.texter_ui_options,
            sidebox_choices: spoke.sidebox_choices,
        }
    }

    /// Whether campaigns get their own numbers (Spoke's `EXPERIMENTAL_CAMPAIGN_PHONE_NUMBERS`
    /// setting; off by default).
    async fn campaign_phone_numbers_enabled(&self) -> bool {
        organizations::campaign_phone_numbers_enabled(&self.stored_settings())
    }

    /// Always null: a Twilio messaging-service id, selected by Spoke's Phone Numbers page.
    /// Bandwidth has no such thing (its messaging application is `bandwidth.applicationId`).
    async fn twilio_message_service_sid(&self) -> Option<String> {
        None
    }

    /// The organization's opt-outs, newest first (admins and owners): at most `first` (1–100,
    /// default 50) older than the opt-out `after` (the last id of the previous page). This
    /// server refuses every send to these contacts (`OPTED_OUT`).
    async fn opt_outs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        after: Option<ID>,
    ) -> Result<Vec<OptOut>> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        let page = consent::list_opt_outs(
            state(ctx),
            self.0.id,
            first,
            after.as_ref().map(|a| a.as_str()),
        )
        .await
        .gql()?;
        Ok(page.into_iter().map(Into::into).collect())
    }

    /// The organization's consent settings: opt-out confirmation, help text, default time
    /// zone and opt-out expressions (admins and owners).
    async fn consent_settings(&self, ctx: &Context<'_>) -> Result<ConsentSettings> {
        caller(ctx).gql()?.require(self.0.id, Role::Admin).gql()?;
        ConsentSettings::load(ctx, self.0.id, &self.0.name).await
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
