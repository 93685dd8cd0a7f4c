//! One-call Bandwidth setup (SPEC §3; contract §2.1–§2.10, §5): sub-account (site) → location
//! (sip peer) → SMS settings → MMS settings → messaging application → application on the
//! location → number sync. A resumable state machine: each step's outcome is stored as JSON in
//! `bandwidth_accounts.provisioning`, and a rerun skips the steps already finished for the same
//! ids and continues at the first one that is not.
//!
//! Decisions:
//! - Step statuses: `DONE` (this server did it), `EXISTING` (an id entered by hand, checked with
//!   a GET and used as is; never recreated), `FAILED` (with Bandwidth's own error text), and
//!   `PENDING` (not reached yet, or to be redone because an id it depended on changed).
//! - Each finished step remembers the ids it was done for. When the site id changes, every step
//!   that depended on the old one runs again, and a location this server created on the old
//!   site is replaced by a new one on the new site (a hand-entered location is checked again).
//! - Names obey the strictest documented limits (contract §7): the site `Name` and the sip
//!   peer's `PeerName` are at most 10 alphanumerics (`Spoke<orgId>`, or `S<orgId in base 36>`
//!   when that is too long); descriptions and the application name are at most 50 letters,
//!   digits and spaces.
//! - Errors versus results: what the caller must fix before anything can be sent to Bandwidth
//!   (no stored credentials, an unreadable stored password, address fields missing when a site
//!   must be created) is a `BAD_USER_INPUT` error and nothing is called. Everything Bandwidth
//!   answers, credentials rejected included, is a `FAILED` step in the result, so the step
//!   list always says where provisioning stopped. A database failure is an `INTERNAL` error;
//!   the steps stored before it keep their ids.
//! - One run at a time per organization, on any replica: a lease is taken in the stored JSON
//!   with a compare-and-swap; a second concurrent run gets `CONFLICT`.
//!
//! Must not import `graphql` or `http`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::bandwidth::{
    self, Application, BandwidthClient, CallbackCredentials, CallbackTypes, MmsFeature, SipPeer,
    Site, SmsFeature,
};
use crate::error::{AppError, Result};
use crate::services::credentials::{self, Address};
use crate::services::number_jobs::{self, Failure};
use crate::services::{bandwidth_api, jobs, managers, organizations, webhook_auth};
use crate::state::AppState;
use crate::store;

/// How long a run may hold the organization's provisioning lease.
const LEASE_MS: i64 = 10 * 60 * 1000;
/// Callback types the messaging application asks Bandwidth for.
pub const CALLBACK_TYPES: [&str; 3] = ["message-sending", "message-delivered", "message-failed"];

/// A provisioning step, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepName {
    /// Create (or check) the site.
    SubAccount,
    /// Create (or check) the default sip peer of the site.
    Location,
    /// SMS over HTTP (Messaging v2), toll-free and short codes on.
    SmsSettings,
    /// MMS over HTTP.
    MmsSettings,
    /// The Messaging v2 application with our callback URL and credentials.
    MessagingApplication,
    /// The application assigned to the location.
    ApplicationLocation,
    /// The location's numbers copied into the store.
    NumberSync,
}

impl StepName {
    /// Every step, in order.
    pub const ALL: [StepName; 7] = [
        StepName::SubAccount,
        StepName::Location,
        StepName::SmsSettings,
        StepName::MmsSettings,
        StepName::MessagingApplication,
        StepName::ApplicationLocation,
        StepName::NumberSync,
    ];

    /// The name shown in results and stored in the step log.
    pub fn as_str(self) -> &'static str {
        match self {
            StepName::SubAccount => "sub-account",
            StepName::Location => "location",
            StepName::SmsSettings => "sms-settings",
            StepName::MmsSettings => "mms-settings",
            StepName::MessagingApplication => "messaging-application",
            StepName::ApplicationLocation => "application-location",
            StepName::NumberSync => "number-sync",
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepStatus {
    /// Done by this server.
    Done,
    /// A hand-entered id, checked with Bandwidth and used as is.
    Existing,
    /// Bandwidth refused; `detail` has its text.
    Failed,
    /// Not reached yet, or to be redone.
    Pending,
}

impl StepStatus {
    fn is_finished(self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Existing)
    }
}

/// One step as callers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: &'static str,
    pub status: StepStatus,
    /// What was done, or Bandwidth's error text for a failed step.
    pub detail: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisioningState {
    /// Every step is finished.
    Complete,
    /// A step failed; later steps are pending.
    Failed,
}

/// The outcome of [`provision`].
#[derive(Debug, Clone)]
pub struct Provisioning {
    pub state: ProvisioningState,
    pub steps: Vec<Step>,
    /// The account after the run (ids filled in).
    pub account: credentials::Account,
}

/// The steps of a stored step log (every step, `PENDING` when never run).
pub fn steps_of(stored: Option<&str>) -> Vec<Step> {
    Log::parse(stored).steps()
}

/// Runs (or resumes) provisioning for the organization. `address` fills in, field by field,
/// the address stored with the credentials; it is needed only when a site must be created.
#[tracing::instrument(skip_all, fields(org_id = organization_id))]
pub async fn provision(
    state: &AppState,
    organization_id: i32,
    address: Option<Address>,
) -> Result<Provisioning> {
    let organization = organizations::find(state, organization_id).await?;
    let (client, account) = bandwidth_api::client_for_org(state, organization_id).await?;
    let stored_address: Option<Address> = account
        .address
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok());
    let merged = merge_address(stored_address, address.clone());
    if account.site_id.is_none() {
        site_address(&merged)?;
    }
    let stored_log = account.provisioning.clone();
    let mut run = Run {
        state,
        client,
        organization_id,
        organization_name: organization.name,
        ids: Ids {
            site: account.site_id,
            peer: account.sip_peer_id,
            app: account.application_id,
        },
        address: merged,
        address_given: address.is_some(),
        address_to_store: None,
        log: Log::parse(stored_log.as_deref()),
    };
    run.take_lease(stored_log.as_deref()).await?;
    let outcome = run.run_steps().await;
    run.log.lease = None;
    let saved = run.save().await;
    let complete = outcome?;
    saved?;
    let account = credentials::find_account(state, organization_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the account row disappeared")))?;
    Ok(Provisioning {
        state: if complete {
            ProvisioningState::Complete
        } else {
            ProvisioningState::Failed
        },
        steps: run.log.steps(),
        account,
    })
}

/// Whether the organization can send (SPEC §4): credentials stored, a messaging application, a
/// valid non-empty service-manager list, and at least one active number.
pub async fn is_fully_configured(state: &AppState, organization_id: i32) -> Result<bool> {
    let Some(account) = store::accounts::find(&state.db, organization_id).await? else {
        return Ok(false);
    };
    if account.password_ciphertext.is_empty() || account.application_id.is_none() {
        return Ok(false);
    }
    let settings = organizations::settings(state, organization_id).await?;
    match managers::for_org(&state.settings.service_managers, &settings) {
        Ok(list) if !list.is_empty() => {}
        _ => return Ok(false),
    }
    Ok(store::phone_numbers::has_active(&state.db, organization_id).await?)
}

/// A short name within Bandwidth's strictest limit (10 alphanumerics): `Spoke<orgId>`, or
/// `S<orgId in base 36>` for ids too long for that.
pub fn short_name(organization_id: i32) -> String {
    let name = format!("Spoke{organization_id}");
    if name.len() <= 10 {
        return name;
    }
    let mut n = organization_id.unsigned_abs();
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(char::from_digit(n % 36, 36).unwrap_or('0'));
        n /= 36;
    }
    digits.reverse();
    format!("S{}", digits.into_iter().collect::<String>().to_uppercase())
}

/// A free-text name for Bandwidth: letters, digits and single spaces, at most 50 characters.
pub fn display_name(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let mut name = words.join(" ");
    name.truncate(50);
    name.trim_end().to_owned()
}

/// The address fields Bandwidth needs to create a site, or `BAD_USER_INPUT` naming the missing ones.
fn site_address(address: &Address) -> Result<bandwidth::Address> {
    let field = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let required = [
        ("houseNumber", field(&address.house_number)),
        ("streetName", field(&address.street_name)),
        ("city", field(&address.city)),
        ("stateCode", field(&address.state_code)),
        ("zip", field(&address.zip)),
    ];
    let missing: Vec<&str> = required
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(AppError::InvalidInput(format!(
            "creating the Bandwidth sub-account needs a billing address; missing: {}. Give them in input.address, or save them with updateBandwidthCredentials",
            missing.join(", ")
        )));
    }
    let [house, street, city, state_code, zip] = required.map(|(_, v)| v);
    Ok(bandwidth::Address {
        house_number: house,
        street_name: street,
        city,
        state_code: state_code.map(|s| s.to_uppercase()),
        zip,
        country: field(&address.country),
        address_type: Some("Billing".to_owned()),
        ..bandwidth::Address::default()
    })
}

fn merge_address(stored: Option<Address>, given: Option<Address>) -> Address {
    let stored = stored.unwrap_or_default();
    let Some(given) = given else {
        return stored;
    };
    let pick =
        |new: Option<String>, old: Option<String>| new.filter(|v| !v.trim().is_empty()).or(old);
    Address {
        house_number: pick(given.house_number, stored.house_number),
        street_name: pick(given.street_name, stored.street_name),
        city: pick(given.city, stored.city),
        state_code: pick(given.state_code, stored.state_code),
        zip: pick(given.zip, stored.zip),
        country: pick(given.country, stored.country),
    }
}

/// The ids provisioning works with (stored ones, then the ones it creates).
#[derive(Debug, Clone, Default)]
struct Ids {
    site: Option<String>,
    peer: Option<String>,
    app: Option<String>,
}

/// The stored step log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Log {
    #[serde(default)]
    steps: Vec<Record>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease: Option<Lease>,
}

/// One stored step.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    name: String,
    status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    /// The ids the step was done for (see `Run::basis`).
    #[serde(default)]
    basis: String,
    /// The id this step created, when it created one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Lease {
    owner: String,
    until_ms: i64,
}

impl Log {
    fn parse(stored: Option<&str>) -> Self {
        stored
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }

    fn record(&self, name: StepName) -> Option<&Record> {
        self.steps.iter().find(|r| r.name == name.as_str())
    }

    fn set(&mut self, record: Record) {
        self.steps.retain(|r| r.name != record.name);
        self.steps.push(record);
        self.steps.sort_by_key(|r| {
            StepName::ALL
                .iter()
                .position(|n| n.as_str() == r.name)
                .unwrap_or(usize::MAX)
        });
    }

    fn steps(&self) -> Vec<Step> {
        StepName::ALL
            .iter()
            .map(|name| match self.record(*name) {
                Some(r) => Step {
                    name: name.as_str(),
                    status: r.status,
                    detail: r.detail.clone(),
                },
                None => Step {
                    name: name.as_str(),
                    status: StepStatus::Pending,
                    detail: None,
                },
            })
            .collect()
    }

    fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string(self).map_err(anyhow::Error::from)?)
    }
}

/// What a finished step reports.
struct Finished {
    status: StepStatus,
    detail: String,
    created: Option<String>,
}

impl Finished {
    fn done(detail: String) -> Self {
        Self {
            status: StepStatus::Done,
            detail,
            created: None,
        }
    }

    fn created(id: &str, detail: String) -> Self {
        Self {
            status: StepStatus::Done,
            detail,
            created: Some(id.to_owned()),
        }
    }

    fn existing(detail: String) -> Self {
        Self {
            status: StepStatus::Existing,
            detail,
            created: None,
        }
    }
}

/// One provisioning run.
struct Run<'a> {
    state: &'a AppState,
    client: BandwidthClient,
    organization_id: i32,
    organization_name: String,
    ids: Ids,
    address: Address,
    address_given: bool,
    /// The address JSON to store with the next save (set when a site was created from input).
    address_to_store: Option<String>,
    log: Log,
}

impl Run<'_> {
    async fn take_lease(&mut self, stored: Option<&str>) -> Result<()> {
        let now = jobs::now_ms();
        let busy = || {
            AppError::Conflict(
                "provisioning is already running for this organization; try again when it has finished (a run that died frees it within 10 minutes)".into(),
            )
        };
        if self.log.lease.as_ref().is_some_and(|l| l.until_ms > now) {
            return Err(busy());
        }
        self.log.lease = Some(Lease {
            owner: uuid::Uuid::new_v4().simple().to_string(),
            until_ms: now + LEASE_MS,
        });
        let taken = store::accounts::swap_provisioning(
            &self.state.db,
            self.organization_id,
            stored,
            &self.log.to_json()?,
        )
        .await?;
        if taken { Ok(()) } else { Err(busy()) }
    }

    async fn save(&mut self) -> Result<()> {
        let update = store::accounts::ProvisioningUpdate {
            site_id: self.ids.site.clone(),
            sip_peer_id: self.ids.peer.clone(),
            application_id: self.ids.app.clone(),
            address: self.address_to_store.take(),
            provisioning: self.log.to_json()?,
        };
        store::accounts::update_provisioning(&self.state.db, self.organization_id, update).await?;
        Ok(())
    }

    /// The ids a step depends on; a finished step is skipped while its basis is unchanged.
    fn basis(&self, name: StepName) -> String {
        let id = |v: &Option<String>| v.clone().unwrap_or_default();
        let (site, peer, app) = (id(&self.ids.site), id(&self.ids.peer), id(&self.ids.app));
        match name {
            StepName::SubAccount => site,
            StepName::MessagingApplication => app,
            StepName::ApplicationLocation => format!("{site}/{peer}/{app}"),
            StepName::Location
            | StepName::SmsSettings
            | StepName::MmsSettings
            | StepName::NumberSync => format!("{site}/{peer}"),
        }
    }

    /// Runs the steps in order; true when all are finished.
    async fn run_steps(&mut self) -> Result<bool> {
        let mut failed = false;
        for name in StepName::ALL {
            let previous = self.log.record(name).cloned();
            let basis = self.basis(name);
            let still_valid = previous
                .as_ref()
                .is_some_and(|r| r.status.is_finished() && r.basis == basis && !basis.is_empty());
            if still_valid {
                continue;
            }
            if failed {
                self.log
                    .set(record(name, StepStatus::Pending, None, basis, None));
                continue;
            }
            let outcome = self.run_step(name, previous.as_ref()).await;
            match outcome {
                Ok(finished) => {
                    let basis = self.basis(name);
                    self.log.set(record(
                        name,
                        finished.status,
                        Some(finished.detail),
                        basis,
                        finished.created,
                    ));
                }
                Err(Failure::Bandwidth(e)) => {
                    tracing::warn!(step = name.as_str(), error = %e, "a provisioning step failed");
                    self.log.set(record(
                        name,
                        StepStatus::Failed,
                        Some(failure_text(&e)),
                        basis,
                        None,
                    ));
                    failed = true;
                }
                Err(Failure::App(e)) => {
                    let detail = if e.is_internal() {
                        "internal error; the server log has the details".to_owned()
                    } else {
                        e.to_string()
                    };
                    self.log
                        .set(record(name, StepStatus::Failed, Some(detail), basis, None));
                    return Err(e);
                }
            }
            self.save().await?;
        }
        Ok(!failed)
    }

    async fn run_step(
        &mut self,
        name: StepName,
        previous: Option<&Record>,
    ) -> std::result::Result<Finished, Failure> {
        match name {
            StepName::SubAccount => self.sub_account().await,
            StepName::Location => self.location(previous).await,
            StepName::SmsSettings => self.sms_settings().await,
            StepName::MmsSettings => self.mms_settings().await,
            StepName::MessagingApplication => self.messaging_application().await,
            StepName::ApplicationLocation => self.application_location().await,
            StepName::NumberSync => {
                let (site, peer) = self.site_and_peer()?;
                let report = number_jobs::sync_location(
                    self.state,
                    self.organization_id,
                    &self.client,
                    &site,
                    &peer,
                )
                .await?;
                Ok(Finished::done(report.message()))
            }
        }
    }

    async fn sub_account(&mut self) -> std::result::Result<Finished, Failure> {
        if let Some(id) = self.ids.site.clone() {
            let site = self.client.get_site(&id).await?;
            return Ok(Finished::existing(format!(
                "sub-account {id} ({}) exists on Bandwidth; used as entered",
                site.name
            )));
        }
        let name = short_name(self.organization_id);
        let site = Site {
            name: name.clone(),
            description: Some(display_name(&format!(
                "Spoke org {} {}",
                self.organization_id, self.organization_name
            ))),
            address: Some(site_address(&self.address)?),
            ..Site::default()
        };
        let created = self.client.create_site(&site).await?;
        let id = created
            .id
            .ok_or_else(|| AppError::Upstream("Bandwidth created a site without an id".into()))?;
        self.ids.site = Some(id.clone());
        if self.address_given {
            self.address_to_store = Some(
                serde_json::to_string(&self.address)
                    .map_err(anyhow::Error::from)
                    .map_err(AppError::from)?,
            );
        }
        Ok(Finished::created(
            &id,
            format!("created sub-account {id} named {name}"),
        ))
    }

    async fn location(
        &mut self,
        previous: Option<&Record>,
    ) -> std::result::Result<Finished, Failure> {
        let site = self.site()?;
        if let Some(peer) = self.ids.peer.clone() {
            // A location this server created on a site that is no longer ours is replaced;
            // any other stored id was entered by hand and is only checked.
            let ours_on_an_old_site = previous.is_some_and(|r| {
                r.status == StepStatus::Done
                    && r.created.as_deref() == Some(peer.as_str())
                    && r.basis != self.basis(StepName::Location)
            });
            if !ours_on_an_old_site {
                let found = self.client.get_sip_peer(&site, &peer).await?;
                return Ok(Finished::existing(format!(
                    "location {peer} ({}) exists on sub-account {site}; used as entered",
                    found.peer_name
                )));
            }
        }
        let name = short_name(self.organization_id);
        let sip_peer = SipPeer {
            peer_name: name.clone(),
            description: Some(display_name(&format!(
                "Spoke org {} messaging",
                self.organization_id
            ))),
            is_default_peer: Some(true),
            ..SipPeer::default()
        };
        let id = self.client.create_sip_peer(&site, &sip_peer).await?;
        self.ids.peer = Some(id.clone());
        Ok(Finished::created(
            &id,
            format!(
                "created location {id} named {name} on sub-account {site} (the default location)"
            ),
        ))
    }

    async fn sms_settings(&mut self) -> std::result::Result<Finished, Failure> {
        let (site, peer) = self.site_and_peer()?;
        let mut wanted = SmsFeature::http(true);
        wanted.settings.short_code = Some(true);
        match self.client.get_sms_feature(&site, &peer).await {
            Ok(current) => {
                // Keep what else is set there (A2P campaign, other zones).
                let mut feature = current;
                feature.settings.toll_free = Some(true);
                feature.settings.short_code = Some(true);
                feature.settings.protocol = Some("HTTP".to_owned());
                feature.settings.zone1 = Some(true);
                self.client
                    .update_sms_feature(&site, &peer, &feature)
                    .await?;
                Ok(Finished::done(format!(
                    "updated SMS on location {peer}: HTTP (Messaging v2), toll-free and short codes on"
                )))
            }
            Err(e) if is_absent(&e) => {
                self.client
                    .create_sms_feature(&site, &peer, &wanted)
                    .await?;
                Ok(Finished::done(format!(
                    "enabled SMS on location {peer}: HTTP (Messaging v2), toll-free and short codes on"
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn mms_settings(&mut self) -> std::result::Result<Finished, Failure> {
        let (site, peer) = self.site_and_peer()?;
        let feature = MmsFeature::http();
        match self.client.get_mms_feature(&site, &peer).await {
            Ok(_) => {
                self.client
                    .update_mms_feature(&site, &peer, &feature)
                    .await?;
                Ok(Finished::done(format!(
                    "updated MMS on location {peer}: HTTP"
                )))
            }
            Err(e) if is_absent(&e) => {
                self.client
                    .create_mms_feature(&site, &peer, &feature)
                    .await?;
                Ok(Finished::done(format!(
                    "enabled MMS on location {peer}: HTTP"
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn messaging_application(&mut self) -> std::result::Result<Finished, Failure> {
        let base_url = self.state.settings.base_url();
        let url = webhook_auth::callback_url(base_url, self.organization_id);
        if let Some(id) = self.ids.app.clone() {
            let found = self.client.get_application(&id).await?;
            let mut detail =
                format!("messaging application {id} exists on Bandwidth; used as entered");
            let points_here = found.inbound_callback_url.as_deref() == Some(url.as_str())
                && found.outbound_callback_url.as_deref() == Some(url.as_str());
            if !points_here {
                detail.push_str(&format!(
                    "; warning: its callback URLs are not {url}, so Bandwidth's callbacks will not reach this server"
                ));
            }
            return Ok(Finished::existing(detail));
        }
        let password =
            webhook_auth::password_for(&self.state.session_secret, base_url, self.organization_id);
        let creds = CallbackCredentials {
            user_id: webhook_auth::CALLBACK_USER.to_owned(),
            password: Some(password.expose().to_owned()),
        };
        let application = Application {
            service_type: Some("Messaging-V2".to_owned()),
            app_name: Some(display_name(&format!(
                "Spoke org {} {}",
                self.organization_id, self.organization_name
            ))),
            inbound_callback_url: Some(url.clone()),
            outbound_callback_url: Some(url.clone()),
            inbound_callback_creds: Some(creds.clone()),
            outbound_callback_creds: Some(creds),
            requested_callback_types: Some(CallbackTypes {
                callback_types: CALLBACK_TYPES.map(str::to_owned).to_vec(),
            }),
            ..Application::default()
        };
        let created = self.client.create_application(&application).await?;
        let id = created.application_id.ok_or_else(|| {
            AppError::Upstream("Bandwidth created an application without an id".into())
        })?;
        self.ids.app = Some(id.clone());
        let mut detail = format!(
            "created messaging application {id} (Messaging-V2) with callbacks to {url} as user {}",
            webhook_auth::CALLBACK_USER
        );
        if is_local(base_url) {
            // Spoke silently skips the application here; we create it and say why it is mute.
            detail.push_str(
                "; warning: BASE_URL is a loopback address, which Bandwidth cannot reach: set BASE_URL to this server's public URL",
            );
        }
        Ok(Finished::created(&id, detail))
    }

    async fn application_location(&mut self) -> std::result::Result<Finished, Failure> {
        let (site, peer) = self.site_and_peer()?;
        let app = self.ids.app.clone().ok_or_else(|| {
            AppError::InvalidInput("there is no messaging application to assign".into())
        })?;
        let current = match self.client.get_application_settings(&site, &peer).await {
            Ok(current) => current,
            Err(e) if is_absent(&e) => None,
            Err(e) => return Err(e.into()),
        };
        if current.as_deref() == Some(app.as_str()) {
            return Ok(Finished::done(format!(
                "application {app} was already assigned to location {peer}"
            )));
        }
        self.client
            .associate_application(&site, &peer, &app)
            .await?;
        let mut detail = format!("assigned application {app} to location {peer}");
        if let Some(old) = current {
            detail.push_str(&format!(" (replacing {old})"));
        }
        Ok(Finished::done(detail))
    }

    fn site(&self) -> std::result::Result<String, Failure> {
        self.ids
            .site
            .clone()
            .ok_or_else(|| AppError::InvalidInput("there is no sub-account yet".into()).into())
    }

    fn site_and_peer(&self) -> std::result::Result<(String, String), Failure> {
        let peer = self
            .ids
            .peer
            .clone()
            .ok_or_else(|| AppError::InvalidInput("there is no location yet".into()))?;
        Ok((self.site()?, peer))
    }
}

fn record(
    name: StepName,
    status: StepStatus,
    detail: Option<String>,
    basis: String,
    created: Option<String>,
) -> Record {
    Record {
        name: name.as_str().to_owned(),
        status,
        detail,
        basis,
        created,
        at: Some(Utc::now()),
    }
}

/// Whether a base URL points at this machine (Bandwidth's callbacks could not reach it).
fn is_local(base_url: &str) -> bool {
    let authority = base_url
        .split("://")
        .nth(1)
        .unwrap_or(base_url)
        .split('/')
        .next()
        .unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    host == "localhost"
        || host.starts_with("localhost:")
        || host.starts_with("127.")
        || host.starts_with("[::1]")
}

/// Whether Bandwidth's answer to a GET means "there is none yet" (not a failure of the call).
fn is_absent(e: &bandwidth::Error) -> bool {
    e.status() == Some(404)
}

/// Bandwidth's own error text for a failed step, with a hint when the credentials are at fault.
fn failure_text(e: &bandwidth::Error) -> String {
    if e.is_auth_failure() {
        format!(
            "{e}; check the account id, API user and password with updateBandwidthCredentials (the API user needs the Configuration role)"
        )
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_fit_ten_alphanumerics() {
        assert_eq!(short_name(1), "Spoke1");
        assert_eq!(short_name(99_999), "Spoke99999");
        for id in [100_000, 123_456_789, i32::MAX] {
            let name = short_name(id);
            assert!(name.len() <= 10, "{name}");
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
        }
        assert_ne!(short_name(100_000), short_name(100_001));
    }

    #[test]
    fn display_names_keep_letters_digits_and_spaces_up_to_fifty() {
        assert_eq!(
            display_name("Spoke org 7 Vote!  Now_ & co"),
            "Spoke org 7 Vote Now co"
        );
        let long = display_name(&"a".repeat(80));
        assert_eq!(long.len(), 50);
    }

    #[test]
    fn missing_address_fields_are_named() {
        let address = Address {
            street_name: Some("Main St".into()),
            city: Some("Raleigh".into()),
            zip: Some("  ".into()),
            ..Address::default()
        };
        let error = site_address(&address).unwrap_err().to_string();
        assert!(error.contains("houseNumber, stateCode, zip"), "{error}");
    }

    #[test]
    fn a_given_address_fills_in_the_stored_one_field_by_field() {
        let stored = Address {
            house_number: Some("900".into()),
            city: Some("Raleigh".into()),
            ..Address::default()
        };
        let given = Address {
            city: Some("Durham".into()),
            zip: Some("27701".into()),
            ..Address::default()
        };
        let merged = merge_address(Some(stored), Some(given));
        assert_eq!(merged.house_number.as_deref(), Some("900"));
        assert_eq!(merged.city.as_deref(), Some("Durham"));
        assert_eq!(merged.zip.as_deref(), Some("27701"));
    }

    #[test]
    fn loopback_base_urls_are_recognised() {
        assert!(is_local("http://127.0.0.1:3000"));
        assert!(is_local("http://localhost:3000/"));
        assert!(is_local("http://[::1]:3000"));
        assert!(!is_local("https://spoke.example.org"));
        assert!(!is_local("http://[2001:db8::1]:3000"));
    }

    #[test]
    fn an_unread_step_log_lists_every_step_pending() {
        let steps = steps_of(None);
        assert_eq!(steps.len(), StepName::ALL.len());
        assert!(steps.iter().all(|s| s.status == StepStatus::Pending));
        assert_eq!(steps_of(Some("not json")).len(), 7);
    }
}
