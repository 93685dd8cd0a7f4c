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

use serde::{Deserialize, Serialize};

use crate::bandwidth;
use crate::error::{AppError, Result};
use crate::services::credentials::{self, Address};
use crate::services::{bandwidth_api, managers, organizations};
use crate::state::AppState;
use crate::store;

mod log;
mod run;

use log::Log;
use run::{Ids, Run};

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
    pub(crate) fn is_finished(self) -> bool {
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
    // Run on a task of its own: a caller that goes away (a closed browser tab, a timed-out
    // request) does not cut a run off between a Bandwidth create and the save of its id.
    let state = state.clone();
    tokio::spawn(async move { run_to_the_end(&state, organization_id, address).await })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the provisioning run failed: {e}")))?
}

async fn run_to_the_end(
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
    let ids = Ids {
        site: account.site_id,
        peer: account.sip_peer_id,
        app: account.application_id,
    };
    let mut run = Run {
        state,
        client,
        organization_id,
        organization_name: organization.name,
        stored_ids: ids.clone(),
        ids,
        address: merged,
        address_given: address.is_some(),
        address_to_store: None,
        log: Log::parse(stored_log.as_deref()),
        written: String::new(),
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
/// valid service-manager list with a number picker in it (without one, a contact who has no
/// sticky number cannot be texted), and at least one active number that can deliver (on an
/// active 10DLC campaign or verified toll-free, when the organization enforces registration).
pub async fn is_fully_configured(state: &AppState, organization_id: i32) -> Result<bool> {
    let Some(account) = store::accounts::find(&state.db, organization_id).await? else {
        return Ok(false);
    };
    if account.password_ciphertext.is_empty() || account.application_id.is_none() {
        return Ok(false);
    }
    let settings = organizations::settings(state, organization_id).await?;
    match managers::for_org(&state.settings.service_managers, &settings) {
        Ok(list) if list.iter().any(|m| m.is_picker()) => {}
        _ => return Ok(false),
    }
    // Issue #16: with registration enforced, only a number that can deliver counts.
    crate::services::registration::has_deliverable_number(state, organization_id).await
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
pub(crate) fn site_address(address: &Address) -> Result<bandwidth::Address> {
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
    fn an_unread_step_log_lists_every_step_pending() {
        let steps = steps_of(None);
        assert_eq!(steps.len(), StepName::ALL.len());
        assert!(steps.iter().all(|s| s.status == StepStatus::Pending));
        assert_eq!(steps_of(Some("not json")).len(), 7);
    }
}
