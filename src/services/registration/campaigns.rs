//! The account's 10DLC campaigns (contract-2 §3): read from Bandwidth's Campaign Management API
//! by the refresh job, stored per organization, imported on request; plus the organization's
//! own registration settings (enforcement, default campaign, number-pool marks).
//!
//! Both kinds of account are served: campaigns created on Bandwidth (CSP, `…/campaigns`) and
//! campaigns imported from another registrar (`…/campaigns/imports`). The two features are
//! mutually exclusive (12191), so the refresh asks both and keeps what answers; only when both
//! refuse is the refresh a failure, with what to ask Bandwidth for.

use chrono::Utc;
use serde_json::Value;

use crate::bandwidth::{self, Campaign};
use crate::error::{AppError, Result};
use crate::services::jobs::{self, JobContext, JobFailure};
use crate::services::registration::{
    DEFAULT_CAMPAIGN_KEY, ENFORCED_KEY, default_campaign, enforced,
};
use crate::services::{bandwidth_api, organizations};
use crate::state::AppState;
use crate::store;
use crate::store::registration::NewCampaign;
use crate::store::registration::campaign;

/// Longest campaign id Bandwidth imports (1011 beyond it).
pub const MAX_IMPORT_ID: usize = 12;
/// Longest campaign id accepted anywhere (Bandwidth's schema allows 1–64).
pub const MAX_CAMPAIGN_ID: usize = 64;

/// Checks a campaign id as typed: 1–64 letters, digits, `.`, `_`, `-` (12822's rule).
pub fn parse_campaign_id(raw: &str) -> Result<String> {
    let id = raw.trim();
    if id.is_empty()
        || id.len() > MAX_CAMPAIGN_ID
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(AppError::InvalidInput(format!(
            "campaign id {id:?} must be 1 to {MAX_CAMPAIGN_ID} letters, digits, '.', '_' or '-' (TCR ids look like CA114BN)"
        )));
    }
    Ok(id.to_uppercase())
}

/// What Bandwidth's refusal of a campaign call means for the person who must fix it.
pub fn explain_refusal(e: &bandwidth::Error) -> String {
    let feature_off = e.has_code("12055") || e.has_code("12189") || e.has_code("12191");
    if e.status() == Some(403) && !feature_off {
        format!(
            "Bandwidth refused the Campaign Management API ({e}): ask Bandwidth to give this API user the Campaign Management role"
        )
    } else if feature_off || e.status() == Some(403) {
        format!(
            "the 10DLC campaign feature is not enabled on this Bandwidth account ({e}): ask Bandwidth to enable 10DLC (campaigns registered through Bandwidth) or 10DLCImportCampaign (campaigns registered with another registrar) on the account"
        )
    } else {
        format!("Bandwidth did not list the campaigns: {e}")
    }
}

fn new_campaign(c: &Campaign) -> NewCampaign {
    NewCampaign {
        campaign_id: c.campaign_id.to_uppercase(),
        status: c.status.clone(),
        description: c.description.clone(),
        mno_statuses: serde_json::to_string(&c.mno_statuses).unwrap_or_else(|_| "[]".into()),
        imported: c.imported,
    }
}

/// Whether a stored campaign can take traffic: TCR status `ACTIVE` (12192 refuses numbers on
/// any other). A carrier's REJECTED shows up as 4773 failures, handled by `failures`.
pub fn is_active(campaign: &campaign::Model) -> bool {
    campaign.listed && campaign.status.eq_ignore_ascii_case("ACTIVE")
}

/// Reads both campaign lists and stores them under the job's lease; the numbers of campaigns
/// that stopped being active stop being deliverable, and those of active ones become so again.
pub async fn refresh(
    state: &AppState,
    job: &JobContext,
) -> std::result::Result<String, JobFailure> {
    let (client, _) = bandwidth_api::client_for_org(state, job.organization_id).await?;
    let csp = client.list_campaigns().await;
    let imported = client.list_imported_campaigns().await;
    let mut found: Vec<NewCampaign> = Vec::new();
    let mut refusals = Vec::new();
    for answer in [csp, imported] {
        match answer {
            Ok(list) => found.extend(list.iter().map(new_campaign)),
            Err(e) if e.is_transient() => {
                return Err(super::bandwidth_failure(
                    "Bandwidth did not list the campaigns",
                    e,
                ));
            }
            Err(e) => refusals.push(e),
        }
    }
    if refusals.len() == 2 {
        let e = &refusals[0];
        return Err(JobFailure::permanent(explain_refusal(e)));
    }
    let txn = jobs::begin_effects(state, job).await?;
    store::registration::replace_campaigns(&txn, job.organization_id, &found, Utc::now())
        .await
        .map_err(AppError::from)?;
    for stored in store::registration::list_campaigns(&txn, job.organization_id)
        .await
        .map_err(AppError::from)?
    {
        store::registration::set_campaign_deliverable(
            &txn,
            job.organization_id,
            &stored.campaign_id,
            is_active(&stored),
        )
        .await
        .map_err(AppError::from)?;
    }
    txn.commit().await.map_err(AppError::from)?;
    let active = found.iter().filter(|c| c.status == "ACTIVE").count();
    Ok(format!(
        "{} campaign(s) on the Bandwidth account, {active} active",
        found.len()
    ))
}

/// The organization's stored campaigns.
pub async fn list(state: &AppState, organization_id: i32) -> Result<Vec<campaign::Model>> {
    Ok(store::registration::list_campaigns(&state.db, organization_id).await?)
}

/// How many of the organization's numbers are on (or being put on) a campaign.
pub async fn number_count(
    state: &AppState,
    organization_id: i32,
    campaign_id: &str,
) -> Result<u64> {
    Ok(store::registration::count_on_campaign(
        &state.db,
        organization_id,
        campaign_id,
        &["REGISTERED", "PENDING"],
    )
    .await?)
}

/// Imports a campaign registered with another registrar (import accounts) and stores it.
pub async fn import(
    state: &AppState,
    organization_id: i32,
    raw_id: &str,
) -> Result<campaign::Model> {
    let id = parse_campaign_id(raw_id)?;
    if id.len() > MAX_IMPORT_ID {
        return Err(AppError::InvalidInput(format!(
            "campaign id {id:?} is longer than the {MAX_IMPORT_ID} characters Bandwidth imports"
        )));
    }
    let (client, _) = bandwidth_api::client_for_org(state, organization_id).await?;
    let imported = client.import_campaign(&id).await.map_err(|e| {
        if e.status().is_some_and(|s| s == 403 || s == 400) || e.has_code("12055") {
            AppError::Upstream(explain_refusal(&e))
        } else {
            bandwidth_api::upstream(e)
        }
    })?;
    store::registration::upsert_campaigns(
        &state.db,
        organization_id,
        &[new_campaign(&imported)],
        Utc::now(),
    )
    .await?;
    store::registration::find_campaign(&state.db, organization_id, &id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the imported campaign was not stored")))
}

/// Marks (or unmarks) a campaign as an approved T-Mobile number pool, lifting the 49-number cap.
/// Bandwidth grants pools per campaign through support (K-pool); the TCR `NumberPool` attribute
/// alone does not, so this is the organization's statement, not read from Bandwidth.
pub async fn set_number_pool(
    state: &AppState,
    organization_id: i32,
    raw_id: &str,
    number_pool: bool,
) -> Result<campaign::Model> {
    let id = parse_campaign_id(raw_id)?;
    if !store::registration::set_number_pool(&state.db, organization_id, &id, number_pool).await? {
        return Err(not_stored(&id));
    }
    store::registration::find_campaign(&state.db, organization_id, &id)
        .await?
        .ok_or_else(|| not_stored(&id))
}

pub(crate) fn not_stored(id: &str) -> AppError {
    AppError::NotFound(format!(
        "campaign {id} is not among this organization's campaigns: run refreshRegistrations (or importTenDlcCampaign) first"
    ))
}

/// The organization's registration settings as they apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationSettings {
    pub enforced: bool,
    pub default_campaign_id: Option<String>,
}

/// The settings in force for the organization.
pub async fn settings(state: &AppState, organization_id: i32) -> Result<RegistrationSettings> {
    let stored = organizations::settings(state, organization_id).await?;
    Ok(RegistrationSettings {
        enforced: enforced(state, &stored),
        default_campaign_id: default_campaign(&stored),
    })
}

/// Changes enforcement and/or the default campaign (`Some("")` clears it). A default campaign
/// must be one of the organization's active campaigns.
pub async fn update_settings(
    state: &AppState,
    organization_id: i32,
    enforced_now: Option<bool>,
    default_campaign_id: Option<String>,
) -> Result<RegistrationSettings> {
    let default = match default_campaign_id.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(raw) => {
            let id = parse_campaign_id(raw)?;
            let stored = store::registration::find_campaign(&state.db, organization_id, &id)
                .await?
                .ok_or_else(|| not_stored(&id))?;
            if !is_active(&stored) {
                return Err(AppError::InvalidInput(format!(
                    "campaign {id} is {}, not ACTIVE: numbers cannot be put on it",
                    stored.status
                )));
            }
            Some(Some(id))
        }
    };
    organizations::update_settings(state, organization_id, |s| {
        if let Some(on) = enforced_now {
            s.0.insert(ENFORCED_KEY.to_owned(), Value::Bool(on));
        }
        match &default {
            Some(Some(id)) => {
                s.0.insert(DEFAULT_CAMPAIGN_KEY.to_owned(), Value::String(id.clone()));
            }
            Some(None) => {
                s.0.remove(DEFAULT_CAMPAIGN_KEY);
            }
            None => {}
        }
        Ok(())
    })
    .await?;
    settings(state, organization_id).await
}
