//! Registration (issue #16): numbers on a 10DLC campaign, toll-free verification, and no send
//! from a number that cannot deliver.
//!
//! - `campaigns`: the account's campaigns (CSP and imported), refreshed by a job; the import
//!   call; the organization's number-pool marks, default campaign and enforcement setting.
//! - `assign`: `assignPhoneNumbersToCampaign` / removal as TN option orders, jobs polled to
//!   their end; the T-Mobile 49-number cap; the buy job's default-campaign hook.
//! - `tollfree`: toll-free verification submit, status refresh and the status webhook.
//! - `failures`: the failure-outbox handler marking a number broken on 4476/4773/4774/4795.
//! - here: what "deliverable" means, the preflight refusal, and the job dispatch.
//!
//! A number is deliverable when its registration row says so: a local number on an `ACTIVE`
//! campaign (assigned by a TN option order that completed for it, or confirmed by a refresh of
//! its TN details), or a toll-free number whose verification is `VERIFIED`; a failure with one
//! of [`BROKEN_CODES`] makes it undeliverable until a refresh says otherwise. The picker and the
//! sticky sender use that row only when the organization enforces registration ([`enforced`]).
//!
//! Depends on `jobs`, `organizations`, `bandwidth_api`, `area_codes`, `webhook_auth`; nothing
//! of messaging, senders or the inventory imports it back except the buy hook in
//! `number_jobs` and the dispatch in `numbers`.

pub mod assign;
pub mod campaigns;
pub mod failures;
pub mod schedule;
pub mod tollfree;

use std::time::Duration;

use crate::error::{AppError, Result};
use crate::services::area_codes;
use crate::services::jobs::{JobContext, JobFailure, JobSpec};
use crate::services::organizations::{self, OrgSettings};
use crate::state::AppState;
use crate::store;
use crate::store::entities::phone_number;

/// The organization setting turning enforcement on or off (unset: `REGISTRATION_ENFORCED_DEFAULT`).
pub const ENFORCED_KEY: &str = "REGISTRATION_ENFORCED";
/// The organization setting naming the campaign bought numbers are put on.
pub const DEFAULT_CAMPAIGN_KEY: &str = "DEFAULT_10DLC_CAMPAIGN";
/// Failure codes that mean the sending number's registration is broken (contract-2 §9):
/// 4476 not on a campaign, 4773 campaign inactive at a carrier, 4774 10DLC provisioning
/// missing, 4795 toll-free not verified.
pub const BROKEN_CODES: &[i32] = &[4476, 4773, 4774, 4795];

/// Most broken numbers a refusal names one by one.
const MAX_NAMED: usize = 5;

/// Registration kinds.
pub const LOCAL: &str = "LOCAL";
/// Toll-free numbers are verified, not registered on a campaign.
pub const TOLL_FREE: &str = "TOLL_FREE";

/// Delay before the first poll of a TN option order; it doubles up to [`POLL_MAX_DELAY`].
pub const POLL_FIRST_DELAY: Duration = Duration::from_millis(250);
/// Longest wait between two polls.
pub const POLL_MAX_DELAY: Duration = Duration::from_secs(5);
/// How long one run polls before handing the job back (a retry polls the same order).
/// Bandwidth gives no completion time (contract-2 §2.2); the job retries with backoff up to
/// its attempt limit and then says the order is still pending.
pub const POLL_BUDGET: Duration = Duration::from_secs(120);

/// Whether the organization enforces registration: its `REGISTRATION_ENFORCED` setting, or the
/// server's `REGISTRATION_ENFORCED_DEFAULT` when it never set one.
pub fn enforced(state: &AppState, settings: &OrgSettings) -> bool {
    settings
        .flag(ENFORCED_KEY)
        .unwrap_or(state.settings.registration_enforced_default)
}

/// The organization's default campaign, when it named one.
pub fn default_campaign(settings: &OrgSettings) -> Option<String> {
    settings
        .get(DEFAULT_CAMPAIGN_KEY)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `LOCAL` or `TOLL_FREE` for an E.164 NANP number.
pub fn kind_of(e164: &str) -> &'static str {
    let area_code = e164
        .strip_prefix("+1")
        .and_then(|d| d.get(..3))
        .unwrap_or("");
    if area_codes::is_toll_free(area_code) {
        TOLL_FREE
    } else {
        LOCAL
    }
}

/// The 10 NANP digits of an E.164 `+1` number (the Dashboard's format).
pub fn ten_digits(e164: &str) -> Option<String> {
    let digits = e164.strip_prefix("+1")?;
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_owned())
}

/// Whether the organization has at least one number that can deliver: any active number when
/// enforcement is off, else an active number whose registration is deliverable.
pub async fn has_deliverable_number(state: &AppState, organization_id: i32) -> Result<bool> {
    let settings = organizations::settings(state, organization_id).await?;
    if !enforced(state, &settings) {
        return Ok(store::phone_numbers::has_active(&state.db, organization_id).await?);
    }
    Ok(store::registration::has_deliverable_active(&state.db, organization_id).await?)
}

/// The refusal of a send when enforcement is on and no number can deliver: `NO_REGISTERED_NUMBER`
/// with what is missing (how many local numbers lack a campaign, toll-free numbers lack a
/// verification, numbers are broken) and what to do. `None` when a number could deliver (the
/// send found none for another reason).
pub async fn preflight_refusal(state: &AppState, organization_id: i32) -> Result<Option<AppError>> {
    let settings = organizations::settings(state, organization_id).await?;
    if !enforced(state, &settings) {
        return Ok(None);
    }
    let held = store::phone_numbers::list_held(&state.db, organization_id, None).await?;
    let active: Vec<&phone_number::Model> = held
        .iter()
        .filter(|n| n.status == store::phone_numbers::ACTIVE)
        .collect();
    if active.is_empty() {
        return Ok(None);
    }
    let registrations: std::collections::HashMap<String, store::registration::number::Model> =
        store::registration::list_all_numbers(&state.db, organization_id)
            .await?
            .into_iter()
            .map(|r| (r.phone_number.clone(), r))
            .collect();
    let (mut local_missing, mut toll_free_missing, mut broken) = (0usize, 0usize, Vec::new());
    let mut broken_unnamed = 0usize;
    for number in &active {
        match registrations.get(&number.phone_number) {
            Some(r) if r.deliverable => return Ok(None),
            Some(r) if r.status == "BROKEN" && broken.len() < MAX_NAMED => broken.push(format!(
                "{} (Bandwidth failed a send with {}: {})",
                r.phone_number,
                r.error_code.as_deref().unwrap_or("no code"),
                r.error_text.as_deref().unwrap_or("")
            )),
            Some(r) if r.status == "BROKEN" => broken_unnamed += 1,
            _ if kind_of(&number.phone_number) == TOLL_FREE => toll_free_missing += 1,
            _ => local_missing += 1,
        }
    }
    let mut missing = Vec::new();
    if local_missing > 0 {
        missing.push(format!(
            "{local_missing} local number(s) on no active 10DLC campaign (put them on an approved campaign with assignPhoneNumbersToCampaign)"
        ));
    }
    if toll_free_missing > 0 {
        missing.push(format!(
            "{toll_free_missing} toll-free number(s) not VERIFIED (submit them with submitTollFreeVerification and wait for Bandwidth's review)"
        ));
    }
    if !broken.is_empty() {
        let more = if broken_unnamed > 0 {
            format!(" and {broken_unnamed} more")
        } else {
            String::new()
        };
        missing.push(format!(
            "{} number(s) whose registration Bandwidth reported broken: {}{more} (fix it at Bandwidth, then run refreshRegistrations)",
            broken.len() + broken_unnamed,
            broken.join(", ")
        ));
    }
    Ok(Some(AppError::Refused(
        "NO_REGISTERED_NUMBER",
        format!(
            "the message was not sent: this organization enforces registration and none of its {} active number(s) can deliver: {}. Accounts Bandwidth exempts can turn enforcement off with updateRegistrationSettings(enforced: false).",
            active.len(),
            missing.join("; ")
        ),
    )))
}

/// Queues a refresh of campaigns, numbers' campaigns and toll-free verifications.
pub async fn request_refresh(
    state: &AppState,
    organization_id: i32,
) -> Result<crate::services::jobs::Job> {
    crate::services::jobs::enqueue(state, organization_id, JobSpec::RefreshRegistrations).await
}

/// Refuses a sender the request names itself (a consent reply) when it cannot deliver; the
/// caller checks only when the organization enforces registration.
pub async fn check_named_sender(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: i32,
    phone_number: &str,
) -> Result<()> {
    if store::registration::is_deliverable(db, organization_id, phone_number).await? {
        return Ok(());
    }
    Err(AppError::Refused(
        "NO_REGISTERED_NUMBER",
        format!(
            "the message was not sent: this organization enforces registration and {phone_number} cannot deliver (a local number on no active 10DLC campaign, or a toll-free number not VERIFIED): assign it with assignPhoneNumbersToCampaign or verify it with submitTollFreeVerification"
        ),
    ))
}

/// A number's stored registration, if any.
pub async fn number_registration(
    state: &AppState,
    organization_id: i32,
    phone_number: &str,
) -> Result<Option<store::registration::number::Model>> {
    Ok(store::registration::find_number(&state.db, organization_id, phone_number).await?)
}

/// Runs a registration job (assignment or refresh) for the job runner.
pub async fn run_job(
    state: &AppState,
    job: &JobContext,
    spec: JobSpec,
) -> std::result::Result<String, JobFailure> {
    match spec {
        JobSpec::AssignCampaign {
            campaign_id,
            numbers,
            order_id,
        } => assign::run(state, job, campaign_id, numbers, order_id).await,
        JobSpec::RefreshRegistrations => refresh(state, job).await,
        other => Err(JobFailure::permanent(format!(
            "{} is not a registration job",
            other.kind()
        ))),
    }
}

/// The refresh job: campaigns, then local numbers' campaigns, then toll-free verifications.
///
/// A refused campaign listing (a missing role or feature) does not stop the rest: numbers'
/// details and toll-free verifications need neither, so they are refreshed, and the job then
/// fails with what to ask Bandwidth for.
async fn refresh(state: &AppState, job: &JobContext) -> std::result::Result<String, JobFailure> {
    let campaigns = match campaigns::refresh(state, job).await {
        Ok(message) => Ok(message),
        Err(f) if f.transient => return Err(f),
        Err(f) => Err(f),
    };
    let local = assign::refresh_numbers(state, job).await?;
    let toll_free = tollfree::refresh(state, job).await?;
    match campaigns {
        Ok(campaigns) => Ok(format!("{campaigns}; {local}; {toll_free}")),
        Err(f) => Err(JobFailure::permanent(format!(
            "{}; {local}; {toll_free}",
            f.message
        ))),
    }
}

/// Bandwidth's failure as a job failure (transient for 429/5xx/timeouts).
pub(crate) fn bandwidth_failure(what: &str, e: crate::bandwidth::Error) -> JobFailure {
    JobFailure {
        message: format!("{what}: {e}"),
        transient: e.is_transient(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toll_free_numbers_are_verified_and_others_registered() {
        assert_eq!(kind_of("+18005552000"), TOLL_FREE);
        assert_eq!(kind_of("+19195550100"), LOCAL);
        assert_eq!(ten_digits("+19195550100").as_deref(), Some("9195550100"));
        assert_eq!(ten_digits("9195550100"), None);
    }
}
