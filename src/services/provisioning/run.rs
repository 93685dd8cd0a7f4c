//! One provisioning run: the steps themselves, each against the Bandwidth client, and the
//! bookkeeping around them (lease, skip rules, saves).

use super::log::{Lease, Log, Record, record};
use super::{CALLBACK_TYPES, StepName, StepStatus, display_name, short_name, site_address};
use crate::bandwidth::{
    self, Application, BandwidthClient, CallbackCredentials, CallbackTypes, MmsFeature, SipPeer,
    Site, SmsFeature,
};
use crate::error::{AppError, Result};
use crate::services::credentials::Address;
use crate::services::number_jobs::{self, Failure};
use crate::services::{jobs, webhook_auth};
use crate::state::AppState;
use crate::store;

/// How long a run holds the organization's provisioning lease past its last save. Every step
/// saves (and so renews it), each Bandwidth call is bounded by the HTTP client's timeout, and a
/// run is never cancelled by its request going away, so a lease older than this belongs to a
/// run whose process is gone: the next run takes it over.
pub(super) const LEASE_MS: i64 = 60 * 1000;

/// The ids provisioning works with (stored ones, then the ones it creates).
#[derive(Debug, Clone, Default)]
pub(super) struct Ids {
    pub(super) site: Option<String>,
    pub(super) peer: Option<String>,
    pub(super) app: Option<String>,
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
pub(super) struct Run<'a> {
    pub(super) state: &'a AppState,
    pub(super) client: BandwidthClient,
    pub(super) organization_id: i32,
    pub(super) organization_name: String,
    pub(super) ids: Ids,
    pub(super) address: Address,
    pub(super) address_given: bool,
    /// The address JSON to store with the next save (set when a site was created from input).
    pub(super) address_to_store: Option<String>,
    pub(super) log: Log,
    /// The ids as stored; a save writes only those this run changed.
    pub(super) stored_ids: Ids,
    /// The step log as this run last wrote it: every save is a compare-and-swap on it, so a
    /// run whose lease was taken over writes nothing.
    pub(super) written: String,
}

impl Run<'_> {
    pub(super) async fn take_lease(&mut self, stored: Option<&str>) -> Result<()> {
        let now = jobs::now_ms();
        let busy = || {
            AppError::Conflict(
                "provisioning is already running for this organization; try again when it has finished (a run that died frees it within a minute)".into(),
            )
        };
        if self.log.lease.as_ref().is_some_and(|l| l.until_ms > now) {
            return Err(busy());
        }
        self.log.lease = Some(Lease {
            owner: uuid::Uuid::new_v4().simple().to_string(),
            until_ms: now + LEASE_MS,
        });
        let json = self.log.to_json()?;
        let taken =
            store::accounts::swap_provisioning(&self.state.db, self.organization_id, stored, &json)
                .await?;
        if taken {
            self.written = json;
            Ok(())
        } else {
            Err(busy())
        }
    }

    /// Stores the step log (renewing the lease while the run holds one) and the ids this run
    /// changed; fails with `CONFLICT` when another run has taken the lease over.
    pub(super) async fn save(&mut self) -> Result<()> {
        if let Some(lease) = self.log.lease.as_mut() {
            lease.until_ms = jobs::now_ms() + LEASE_MS;
        }
        let changed = |now: &Option<String>, stored: &Option<String>| {
            (now != stored).then(|| now.clone()).flatten()
        };
        let json = self.log.to_json()?;
        let update = store::accounts::ProvisioningUpdate {
            site_id: changed(&self.ids.site, &self.stored_ids.site),
            sip_peer_id: changed(&self.ids.peer, &self.stored_ids.peer),
            application_id: changed(&self.ids.app, &self.stored_ids.app),
            address: self.address_to_store.take(),
            provisioning: json.clone(),
        };
        let saved = store::accounts::update_provisioning(
            &self.state.db,
            self.organization_id,
            &self.written,
            update,
        )
        .await?;
        self.state.forget_organization(self.organization_id);
        if !saved {
            return Err(AppError::Conflict(
                "another provisioning run took over this organization's setup; its result is the one kept".into(),
            ));
        }
        self.written = json;
        self.stored_ids = self.ids.clone();
        Ok(())
    }

    /// Records that a step is about to create `what` on Bandwidth, before the call: if the run
    /// dies after Bandwidth made it, the next run finds it by its name instead of making another.
    async fn record_intent(&mut self, name: StepName, what: &str) -> Result<()> {
        let basis = self.basis(name);
        self.log.set(record(
            name,
            StepStatus::Pending,
            Some(format!(
                "creating {what}; a run interrupted here finds it on Bandwidth by its name"
            )),
            basis,
            None,
        ));
        self.save().await
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
    pub(super) async fn run_steps(&mut self) -> Result<bool> {
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
        if let Some(found) = self
            .client
            .list_sites()
            .await?
            .into_iter()
            .find(|s| s.name == name && s.id.is_some())
        {
            let id = found.id.expect("filtered on an id");
            self.ids.site = Some(id.clone());
            return Ok(Finished::created(
                &id,
                format!("found sub-account {id} named {name}, made by an earlier run; used"),
            ));
        }
        self.record_intent(StepName::SubAccount, &format!("sub-account {name}"))
            .await?;
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
        if let Some(found) = self
            .client
            .list_sip_peers(&site)
            .await?
            .into_iter()
            .find(|p| p.peer_name == name && p.peer_id.is_some())
        {
            let id = found.peer_id.expect("filtered on an id");
            self.ids.peer = Some(id.clone());
            return Ok(Finished::created(
                &id,
                format!(
                    "found location {id} named {name} on sub-account {site}, made by an earlier run; used"
                ),
            ));
        }
        self.record_intent(StepName::Location, &format!("location {name}"))
            .await?;
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
        // Issue #16: per-number 10DLC campaigns need a permissive location A2P setting.
        wanted.settings.a2p_long_code = Some(A2P_PER_NUMBER.to_owned());
        match self.client.get_sms_feature(&site, &peer).await {
            Ok(current) => {
                // Keep what else is set there (A2P campaign, other zones).
                let mut feature = current;
                feature.settings.toll_free = Some(true);
                feature.settings.short_code = Some(true);
                feature.settings.protocol = Some("HTTP".to_owned());
                feature.settings.zone1 = Some(true);
                let before = feature.settings.a2p_long_code.clone();
                let mut a2p_note = a2p_check(&mut feature);
                if let Err(e) = self.client.update_sms_feature(&site, &peer, &feature).await {
                    if before.is_some() || !refuses_a2p(&e) {
                        return Err(e.into());
                    }
                    // The account takes no A2P setting (not A2P-enabled): save SMS without it.
                    feature.settings.a2p_long_code = None;
                    self.client
                        .update_sms_feature(&site, &peer, &feature)
                        .await?;
                    a2p_note = a2p_refused_note(&e);
                }
                Ok(Finished::done(format!(
                    "updated SMS on location {peer}: HTTP (Messaging v2), toll-free and short codes on{a2p_note}"
                )))
            }
            Err(e) if is_absent(&e) => {
                let mut note = format!(", per-number A2P allowed (A2pLongCode {A2P_PER_NUMBER})");
                if let Err(e) = self.client.create_sms_feature(&site, &peer, &wanted).await {
                    if !refuses_a2p(&e) {
                        return Err(e.into());
                    }
                    wanted.settings.a2p_long_code = None;
                    self.client
                        .create_sms_feature(&site, &peer, &wanted)
                        .await?;
                    note = a2p_refused_note(&e);
                }
                Ok(Finished::done(format!(
                    "enabled SMS on location {peer}: HTTP (Messaging v2), toll-free and short codes on{note}"
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
        let prefix = application_name_prefix(self.organization_id);
        if let Some(found) = self
            .client
            .list_applications()
            .await?
            .into_iter()
            .find(|a| {
                a.service_type.as_deref() == Some("Messaging-V2")
                    && a.app_name
                        .as_deref()
                        .is_some_and(|n| n.starts_with(&prefix))
                    && a.application_id.is_some()
            })
        {
            let id = found.application_id.expect("filtered on an id");
            self.ids.app = Some(id.clone());
            return Ok(Finished::created(
                &id,
                format!("found messaging application {id}, made by an earlier run; used"),
            ));
        }
        self.record_intent(StepName::MessagingApplication, "the messaging application")
            .await?;
        let password =
            webhook_auth::password_for(&self.state.session_secret, base_url, self.organization_id);
        let creds = CallbackCredentials {
            user_id: webhook_auth::CALLBACK_USER.to_owned(),
            password: Some(password.expose().to_owned()),
        };
        let application = Application {
            service_type: Some("Messaging-V2".to_owned()),
            app_name: Some(display_name(&format!(
                "{}{}",
                application_name_prefix(self.organization_id),
                self.organization_name
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

/// How the names of the applications this server creates for an organization begin: the part
/// that does not change when the organization is renamed, to find one an interrupted run made.
fn application_name_prefix(organization_id: i32) -> String {
    format!("Spoke org {organization_id} ")
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
    fn loopback_base_urls_are_recognised() {
        assert!(is_local("http://127.0.0.1:3000"));
        assert!(is_local("http://localhost:3000/"));
        assert!(is_local("http://[::1]:3000"));
        assert!(!is_local("https://spoke.example.org"));
        assert!(!is_local("http://[2001:db8::1]:3000"));
    }
}

/// Whether Bandwidth refused the SMS feature for its A2P setting: the account is not A2P
/// enabled (5139) or the location-level A2P validation failed (13636–13642, contract-2 §2.0).
fn refuses_a2p(e: &crate::bandwidth::Error) -> bool {
    ["5139", "13636", "13637", "13638", "13641", "13642"]
        .iter()
        .any(|code| e.has_code(code))
}

fn a2p_refused_note(e: &crate::bandwidth::Error) -> String {
    format!(
        "; WARNING: Bandwidth refused the per-number A2P setting ({e}), so SMS was saved without it: ask Bandwidth to enable A2P (10DLC) on the account, then run provisionBandwidth again before assigning numbers to campaigns"
    )
}

/// The location A2P setting that lets each number carry its own 10DLC campaign (contract-2 §2.0:
/// `DefaultOn`/`DefaultOff` are permissive; numbers without a campaign stay person-to-person).
const A2P_PER_NUMBER: &str = "DefaultOff";

/// Checks an existing location's A2P setting: an absent one is set to [`A2P_PER_NUMBER`]; a
/// permissive one is kept; `ON`/`OFF` (which refuse per-number campaigns, 5133) is kept too, since
/// someone chose it, and the step says how to fix it.
fn a2p_check(feature: &mut SmsFeature) -> String {
    let current = feature.settings.a2p_long_code.clone();
    match current
        .as_deref()
        .map(|v| v.trim().to_ascii_uppercase().replace('_', ""))
    {
        None => {
            feature.settings.a2p_long_code = Some(A2P_PER_NUMBER.to_owned());
            format!(", per-number A2P allowed (A2pLongCode {A2P_PER_NUMBER})")
        }
        Some(v) if v.is_empty() => {
            feature.settings.a2p_long_code = Some(A2P_PER_NUMBER.to_owned());
            format!(", per-number A2P allowed (A2pLongCode {A2P_PER_NUMBER})")
        }
        Some(v) if v == "DEFAULTON" || v == "DEFAULTOFF" => ", per-number A2P allowed".to_owned(),
        Some(_) => format!(
            "; WARNING: the location's A2pLongCode is {}, which refuses per-number 10DLC campaigns (Bandwidth error 5133): change it to DefaultOff in Bandwidth's portal (location > SMS settings), or ask Bandwidth to turn off \"Enforce Location Long Code Settings\", then run assignPhoneNumbersToCampaign",
            current.unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod a2p_tests {
    use super::*;

    #[test]
    fn an_existing_location_gets_per_number_a2p_unless_someone_chose_otherwise_and_is_told_the_fix()
    {
        let mut absent = SmsFeature::http(true);
        assert!(a2p_check(&mut absent).contains("per-number A2P allowed"));
        assert_eq!(
            absent.settings.a2p_long_code.as_deref(),
            Some(A2P_PER_NUMBER)
        );

        let mut permissive = SmsFeature::http(true);
        permissive.settings.a2p_long_code = Some("DEFAULT_ON".into());
        assert_eq!(a2p_check(&mut permissive), ", per-number A2P allowed");
        assert_eq!(
            permissive.settings.a2p_long_code.as_deref(),
            Some("DEFAULT_ON")
        );

        let mut enforced = SmsFeature::http(true);
        enforced.settings.a2p_long_code = Some("ON".into());
        let note = a2p_check(&mut enforced);
        assert!(
            note.contains("5133") && note.contains("DefaultOff"),
            "{note}"
        );
        assert_eq!(
            enforced.settings.a2p_long_code.as_deref(),
            Some("ON"),
            "kept as chosen"
        );
    }
}
