//! Putting numbers on a 10DLC campaign and taking them off (contract-2 §2): one TN option order
//! per job (`Sms` on, `A2pSettings` `asSpecified` with the campaign id, or `delete`), polled to
//! its end; each number's outcome is stored with Bandwidth's code and text when it failed.
//!
//! Decisions:
//! - An order is placed at most once per job run and its id recorded in the job before polling;
//!   a retry polls the recorded order. A crash between placing and recording places the same
//!   order again on retry, which is harmless: `asSpecified` with the same campaign (or `delete`)
//!   is idempotent at Bandwidth.
//! - Moving a number from one campaign to another is one `asSpecified` order (A-* are silent on
//!   whether `delete` must come first; the CLI assigns directly).
//! - T-Mobile's cap of 49 numbers per campaign (K-pool) is checked before the order, counting the
//!   organization's numbers on the campaign or on their way to it; a campaign the organization
//!   marked as an approved number pool has no cap here.

use std::collections::HashMap;

use chrono::Utc;

use crate::bandwidth::{
    A2pAction, ApiError, BandwidthClient, NewTnOptionOrder, TnOptionOrder, TnOptionStatus,
};
use crate::error::{AppError, Result};
use crate::services::jobs::{self, Job, JobContext, JobFailure, JobSpec};
use crate::services::phone::PhoneNumber;
use crate::services::registration::campaigns::{self, is_active, not_stored, parse_campaign_id};
use crate::services::registration::{
    LOCAL, POLL_BUDGET, POLL_FIRST_DELAY, POLL_MAX_DELAY, bandwidth_failure, default_campaign,
    kind_of, ten_digits,
};
use crate::services::{bandwidth_api, organizations};
use crate::state::AppState;
use crate::store;
use crate::store::registration::{NumberState, campaign};

/// T-Mobile's limit of numbers on one campaign without a number pool (K-pool).
pub const MAX_NUMBERS_PER_CAMPAIGN: u64 = 49;
/// Most numbers one assignment takes (Bandwidth's per-order maximum is unconfirmed, 5095).
pub const MAX_NUMBERS_PER_ASSIGNMENT: usize = 500;
/// Most local numbers one refresh checks one by one (`GET /tns/{tn}/tndetails`).
pub const MAX_REFRESH_CHECKS: usize = 500;

/// Which numbers an assignment names: a list, or every active local number of an area code.
#[derive(Debug, Clone)]
pub enum Selection {
    Numbers(Vec<String>),
    AreaCode(String),
}

impl Selection {
    /// Exactly one of the two inputs.
    pub fn from_input(numbers: Option<Vec<String>>, area_code: Option<String>) -> Result<Self> {
        match (numbers, area_code) {
            (Some(n), None) if !n.is_empty() => Ok(Selection::Numbers(n)),
            (None, Some(a)) => Ok(Selection::AreaCode(a)),
            _ => Err(AppError::InvalidInput(
                "give either phoneNumbers (a non-empty list) or areaCode, not both".into(),
            )),
        }
    }
}

/// The organization's active local numbers the selection names (E.164), checked.
async fn select(
    state: &AppState,
    organization_id: i32,
    selection: Selection,
) -> Result<Vec<String>> {
    let held = store::phone_numbers::list_held(&state.db, organization_id, None).await?;
    let active: HashMap<&str, &str> = held
        .iter()
        .filter(|n| n.status == store::phone_numbers::ACTIVE)
        .map(|n| (n.phone_number.as_str(), n.area_code.as_str()))
        .collect();
    let numbers: Vec<String> = match selection {
        Selection::Numbers(raw) => {
            if raw.len() > MAX_NUMBERS_PER_ASSIGNMENT {
                return Err(AppError::InvalidInput(format!(
                    "at most {MAX_NUMBERS_PER_ASSIGNMENT} numbers per assignment, not {}",
                    raw.len()
                )));
            }
            let mut out = Vec::new();
            for number in raw {
                let parsed = PhoneNumber::parse(&number).map_err(AppError::InvalidInput)?;
                let e164 = parsed.as_str().to_owned();
                if !active.contains_key(e164.as_str()) {
                    return Err(AppError::InvalidInput(format!(
                        "{e164} is not an active number of this organization (buy or sync it first)"
                    )));
                }
                if !out.contains(&e164) {
                    out.push(e164);
                }
            }
            out
        }
        Selection::AreaCode(raw) => {
            let area_code = raw.trim().to_owned();
            if area_code.len() != 3 || !area_code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AppError::InvalidInput(format!(
                    "area code {area_code:?} must be exactly three digits, e.g. \"919\""
                )));
            }
            let mut out: Vec<String> = active
                .iter()
                .filter(|(_, a)| **a == area_code)
                .map(|(n, _)| (*n).to_owned())
                .collect();
            out.sort();
            if out.is_empty() {
                return Err(AppError::InvalidInput(format!(
                    "this organization has no active number in area code {area_code}"
                )));
            }
            if out.len() > MAX_NUMBERS_PER_ASSIGNMENT {
                return Err(AppError::InvalidInput(format!(
                    "area code {area_code} has {} numbers; assign at most {MAX_NUMBERS_PER_ASSIGNMENT} at a time with phoneNumbers",
                    out.len()
                )));
            }
            out
        }
    };
    if let Some(toll_free) = numbers.iter().find(|n| kind_of(n) != LOCAL) {
        return Err(AppError::InvalidInput(format!(
            "{toll_free} is toll-free: toll-free numbers are verified (submitTollFreeVerification), not put on a 10DLC campaign"
        )));
    }
    Ok(numbers)
}

/// How many more numbers a campaign takes: `None` when it has no cap (an approved number pool).
async fn room_on(
    state: &AppState,
    organization_id: i32,
    campaign: &campaign::Model,
    numbers: &[String],
) -> Result<Option<u64>> {
    if campaign.number_pool {
        return Ok(None);
    }
    let mut on = store::registration::count_on_campaign(
        &state.db,
        organization_id,
        &campaign.campaign_id,
        &["REGISTERED", "PENDING"],
    )
    .await?;
    for number in numbers {
        if let Some(r) =
            store::registration::find_number(&state.db, organization_id, number).await?
            && r.campaign_id.as_deref() == Some(campaign.campaign_id.as_str())
            && matches!(r.status.as_str(), "REGISTERED" | "PENDING")
        {
            on = on.saturating_sub(1);
        }
    }
    Ok(Some(MAX_NUMBERS_PER_CAMPAIGN.saturating_sub(on)))
}

/// Queues a TN option order putting the selected numbers on `campaign_id`, after checking the
/// campaign (stored, ACTIVE) and T-Mobile's 49-number cap.
pub async fn request_assignment(
    state: &AppState,
    organization_id: i32,
    raw_campaign_id: &str,
    selection: Selection,
) -> Result<Job> {
    let campaign_id = parse_campaign_id(raw_campaign_id)?;
    let campaign = store::registration::find_campaign(&state.db, organization_id, &campaign_id)
        .await?
        .ok_or_else(|| not_stored(&campaign_id))?;
    if !is_active(&campaign) {
        return Err(AppError::InvalidInput(format!(
            "campaign {campaign_id} is {}, not ACTIVE: Bandwidth refuses numbers on it (12192)",
            campaign.status
        )));
    }
    let numbers = select(state, organization_id, selection).await?;
    if let Some(room) = room_on(state, organization_id, &campaign, &numbers).await?
        && numbers.len() as u64 > room
    {
        let on = MAX_NUMBERS_PER_CAMPAIGN - room;
        return Err(AppError::InvalidInput(format!(
            "campaign {campaign_id} has {on} number(s) and T-Mobile takes at most {MAX_NUMBERS_PER_CAMPAIGN} per campaign: {} more would exceed it. Put them on another campaign, or, once Bandwidth has granted this campaign a number pool, mark it with updateTenDlcCampaign(numberPool: true)",
            numbers.len()
        )));
    }
    jobs::enqueue(
        state,
        organization_id,
        JobSpec::AssignCampaign {
            campaign_id: Some(campaign_id),
            numbers,
            order_id: None,
        },
    )
    .await
}

/// Queues a TN option order taking the selected numbers off their campaign (`delete`).
pub async fn request_removal(
    state: &AppState,
    organization_id: i32,
    selection: Selection,
) -> Result<Job> {
    let numbers = select(state, organization_id, selection).await?;
    jobs::enqueue(
        state,
        organization_id,
        JobSpec::AssignCampaign {
            campaign_id: None,
            numbers,
            order_id: None,
        },
    )
    .await
}

/// Each number's outcome of a finished order: `Ok` or Bandwidth's error for it.
fn outcomes(numbers: &[String], order: &TnOptionOrder) -> Vec<(String, Option<ApiError>)> {
    let order_wide: Option<&ApiError> = order.errors.iter().find(|e| e.telephone_number.is_none());
    numbers
        .iter()
        .map(|n| {
            let digits = ten_digits(n).unwrap_or_default();
            let own = order.errors.iter().find(|e| {
                e.telephone_number
                    .as_deref()
                    .is_some_and(|t| t.trim_start_matches("+1") == digits)
            });
            let failed = own.cloned().or_else(|| {
                (order.status == TnOptionStatus::Failed).then(|| {
                    order_wide.cloned().unwrap_or(ApiError {
                        code: String::new(),
                        description: "Bandwidth failed the TN option order without a reason".into(),
                        telephone_number: None,
                    })
                })
            });
            (n.clone(), failed)
        })
        .collect()
}

/// Places the order and polls it to its end; `Ok(None)` when it is still running after the budget.
async fn place_and_poll(
    state: &AppState,
    job: Option<&JobContext>,
    client: &BandwidthClient,
    campaign_id: Option<&str>,
    numbers: &[String],
    order_id: Option<String>,
) -> std::result::Result<(String, Option<TnOptionOrder>), JobFailure> {
    let order_id = match order_id {
        Some(id) => id,
        None => {
            let order = NewTnOptionOrder {
                customer_order_id: job.map(|j| format!("sbw-{}-job-{}", j.organization_id, j.id)),
                action: if campaign_id.is_some() {
                    A2pAction::AsSpecified
                } else {
                    A2pAction::Delete
                },
                campaign_id: campaign_id.map(str::to_owned),
                telephone_numbers: numbers.iter().filter_map(|n| ten_digits(n)).collect(),
            };
            let placed = client
                .create_tn_option_order(&order)
                .await
                .map_err(|e| bandwidth_failure("Bandwidth refused the TN option order", e))?;
            if let Some(job) = job {
                jobs::update_spec(
                    state,
                    job,
                    &JobSpec::AssignCampaign {
                        campaign_id: campaign_id.map(str::to_owned),
                        numbers: numbers.to_vec(),
                        order_id: Some(placed.order_id.clone()),
                    },
                )
                .await?;
            }
            tracing::info!(order_id = %placed.order_id, "placed a TN option order");
            placed.order_id
        }
    };
    let mut delay = POLL_FIRST_DELAY;
    let mut waited = std::time::Duration::ZERO;
    while waited < POLL_BUDGET {
        tokio::time::sleep(delay).await;
        waited += delay;
        let order = client
            .get_tn_option_order(&order_id)
            .await
            .map_err(|e| bandwidth_failure("Bandwidth did not report the TN option order", e))?;
        if order.status.is_final() {
            return Ok((order_id, Some(order)));
        }
        delay = (delay * 2).min(POLL_MAX_DELAY);
    }
    Ok((order_id, None))
}

/// Writes each number's outcome; returns (succeeded, failure descriptions).
fn states_for(
    campaign: Option<&campaign::Model>,
    order_id: &str,
    outcomes: &[(String, Option<ApiError>)],
) -> (Vec<NumberState>, usize, Vec<String>) {
    let mut states = Vec::new();
    let mut ok = 0;
    let mut failed = Vec::new();
    for (number, error) in outcomes {
        let state = match (error, campaign) {
            (Some(e), _) => {
                failed.push(format!("{number} (code {}) {}", e.code, e.description));
                NumberState {
                    phone_number: number.clone(),
                    kind: LOCAL,
                    campaign_id: None,
                    status: "FAILED",
                    deliverable: false,
                    error_code: Some(e.code.clone()).filter(|c| !c.is_empty()),
                    error_text: Some(e.description.clone()),
                    resubmit_allowed: None,
                    order_id: Some(order_id.to_owned()),
                }
            }
            (None, Some(c)) => {
                ok += 1;
                NumberState {
                    phone_number: number.clone(),
                    kind: LOCAL,
                    campaign_id: Some(c.campaign_id.clone()),
                    status: "REGISTERED",
                    deliverable: is_active(c),
                    error_code: None,
                    error_text: None,
                    resubmit_allowed: None,
                    order_id: Some(order_id.to_owned()),
                }
            }
            (None, None) => {
                ok += 1;
                NumberState {
                    phone_number: number.clone(),
                    kind: LOCAL,
                    campaign_id: None,
                    status: "UNREGISTERED",
                    deliverable: false,
                    error_code: None,
                    error_text: None,
                    resubmit_allowed: None,
                    order_id: Some(order_id.to_owned()),
                }
            }
        };
        states.push(state);
    }
    (states, ok, failed)
}

fn pending(numbers: &[String], campaign_id: Option<&str>) -> Vec<NumberState> {
    numbers
        .iter()
        .map(|n| NumberState {
            phone_number: n.clone(),
            kind: LOCAL,
            campaign_id: campaign_id.map(str::to_owned),
            status: "PENDING",
            deliverable: false,
            error_code: None,
            error_text: None,
            resubmit_allowed: None,
            order_id: None,
        })
        .collect()
}

/// The assignment job (`assign_phone_numbers_to_campaign` / `remove_phone_numbers_from_campaign`).
#[tracing::instrument(skip_all, fields(org_id = job.organization_id, job_id = job.id))]
pub async fn run(
    state: &AppState,
    job: &JobContext,
    campaign_id: Option<String>,
    numbers: Vec<String>,
    order_id: Option<String>,
) -> std::result::Result<String, JobFailure> {
    let org = job.organization_id;
    let (client, _) = bandwidth_api::client_for_org(state, org).await?;
    let campaign = match &campaign_id {
        Some(id) => Some(
            store::registration::find_campaign(&state.db, org, id)
                .await
                .map_err(AppError::from)?
                .ok_or_else(|| JobFailure::permanent(not_stored(id).to_string()))?,
        ),
        None => None,
    };
    if order_id.is_none() {
        let txn = jobs::begin_effects(state, job).await?;
        store::registration::save_numbers(
            &txn,
            org,
            &pending(&numbers, campaign_id.as_deref()),
            Utc::now(),
        )
        .await
        .map_err(AppError::from)?;
        txn.commit().await.map_err(AppError::from)?;
    }
    let placed = place_and_poll(
        state,
        Some(job),
        &client,
        campaign_id.as_deref(),
        &numbers,
        order_id,
    )
    .await;
    let (order_id, order) = match placed {
        Ok(pair) => pair,
        Err(f) => {
            if !f.transient {
                // A synchronous refusal: every number failed with Bandwidth's reason.
                let txn = jobs::begin_effects(state, job).await?;
                let failed: Vec<NumberState> = numbers
                    .iter()
                    .map(|n| NumberState {
                        phone_number: n.clone(),
                        kind: LOCAL,
                        campaign_id: None,
                        status: "FAILED",
                        deliverable: false,
                        error_code: None,
                        error_text: Some(f.message.clone()),
                        resubmit_allowed: None,
                        order_id: None,
                    })
                    .collect();
                store::registration::save_numbers(&txn, org, &failed, Utc::now())
                    .await
                    .map_err(AppError::from)?;
                txn.commit().await.map_err(AppError::from)?;
            }
            return Err(f);
        }
    };
    let Some(order) = order else {
        return Err(JobFailure {
            message: format!(
                "Bandwidth TN option order {order_id} is still processing; checking again later"
            ),
            transient: true,
        });
    };
    let (states, ok, failed) =
        states_for(campaign.as_ref(), &order_id, &outcomes(&numbers, &order));
    let txn = jobs::begin_effects(state, job).await?;
    store::registration::save_numbers(&txn, org, &states, Utc::now())
        .await
        .map_err(AppError::from)?;
    txn.commit().await.map_err(AppError::from)?;
    describe(campaign_id.as_deref(), &order_id, ok, &failed)
}

fn describe(
    campaign_id: Option<&str>,
    order_id: &str,
    ok: usize,
    failed: &[String],
) -> std::result::Result<String, JobFailure> {
    let done = match campaign_id {
        Some(c) => format!("{ok} number(s) put on campaign {c}"),
        None => format!("{ok} number(s) taken off their campaign"),
    };
    if failed.is_empty() {
        Ok(format!("{done} (TN option order {order_id})"))
    } else if ok > 0 {
        Ok(format!(
            "{done}; {} failed (TN option order {order_id}): {}",
            failed.len(),
            failed.join("; ")
        ))
    } else {
        Err(JobFailure::permanent(format!(
            "no number was changed (TN option order {order_id}): {}",
            failed.join("; ")
        )))
    }
}

/// The buy job's hook: puts numbers it just bought on the organization's default campaign, when
/// it named one, within the buy job (its lease is held; effects are written under it). Returns
/// what to add to the job's message; a failure here does not fail the purchase.
pub async fn assign_bought(
    state: &AppState,
    job: &JobContext,
    numbers: &[String],
) -> Option<String> {
    let org = job.organization_id;
    let settings = organizations::settings(state, org).await.ok()?;
    let campaign_id = default_campaign(&settings)?;
    let local: Vec<String> = numbers
        .iter()
        .filter(|n| kind_of(n) == LOCAL)
        .cloned()
        .collect();
    if local.is_empty() {
        return None;
    }
    let result = async {
        let campaign = store::registration::find_campaign(&state.db, org, &campaign_id)
            .await?
            .ok_or_else(|| not_stored(&campaign_id))?;
        if !is_active(&campaign) {
            return Err(AppError::InvalidInput(format!(
                "default campaign {campaign_id} is {}, not ACTIVE",
                campaign.status
            )));
        }
        let mut take = local.clone();
        let mut left_out = Vec::new();
        if let Some(room) = room_on(state, org, &campaign, &local).await? {
            let room = room as usize;
            if take.len() > room {
                left_out = take.split_off(room);
            }
        }
        Ok((campaign, take, left_out))
    }
    .await;
    let (campaign, take, left_out) = match result {
        Ok(v) => v,
        Err(e) => return Some(format!("not put on the default campaign: {e}")),
    };
    let mut note = String::new();
    if !left_out.is_empty() {
        note = format!(
            "; {} left off campaign {campaign_id}: T-Mobile takes at most {MAX_NUMBERS_PER_CAMPAIGN} numbers per campaign without a number pool",
            left_out.len()
        );
    }
    if take.is_empty() {
        return Some(note.trim_start_matches("; ").to_owned());
    }
    let outcome = async {
        let (client, _) = bandwidth_api::client_for_org(state, org).await?;
        let txn = jobs::begin_effects(state, job).await?;
        store::registration::save_numbers(&txn, org, &pending(&take, Some(&campaign_id)), Utc::now()).await?;
        txn.commit().await?;
        let (order_id, order) = place_and_poll(state, None, &client, Some(&campaign_id), &take, None)
            .await
            .map_err(|f| AppError::Upstream(f.message))?;
        let Some(order) = order else {
            return Ok(format!(
                "TN option order {order_id} for the default campaign is still processing: run refreshRegistrations later"
            ));
        };
        let (states, ok, failed) = states_for(Some(&campaign), &order_id, &outcomes(&take, &order));
        let txn = jobs::begin_effects(state, job).await?;
        store::registration::save_numbers(&txn, org, &states, Utc::now()).await?;
        txn.commit().await?;
        Ok::<String, AppError>(match describe(Some(&campaign_id), &order_id, ok, &failed) {
            Ok(m) => m,
            Err(f) => f.message,
        })
    }
    .await;
    Some(match outcome {
        Ok(message) => format!("{message}{note}"),
        Err(e) => format!("not put on default campaign {campaign_id}: {e}{note}"),
    })
}

/// The refresh of local numbers: each active local number's campaign as Bandwidth's TN details
/// show it (bounded by [`MAX_REFRESH_CHECKS`]). A number on an active campaign becomes
/// deliverable again (a broken mark is lifted), one on none becomes `UNREGISTERED`; numbers
/// with an order in flight (`PENDING`) are left to their job.
pub async fn refresh_numbers(
    state: &AppState,
    job: &JobContext,
) -> std::result::Result<String, JobFailure> {
    let org = job.organization_id;
    let (client, _) = bandwidth_api::client_for_org(state, org).await?;
    let held = store::phone_numbers::list_held(&state.db, org, None)
        .await
        .map_err(AppError::from)?;
    let campaigns: HashMap<String, campaign::Model> = campaigns::list(state, org)
        .await?
        .into_iter()
        .map(|c| (c.campaign_id.clone(), c))
        .collect();
    let mut states = Vec::new();
    let mut unchecked = 0;
    let local = held
        .iter()
        .filter(|n| n.status == store::phone_numbers::ACTIVE && kind_of(&n.phone_number) == LOCAL);
    for (i, number) in local.enumerate() {
        if i >= MAX_REFRESH_CHECKS {
            unchecked += 1;
            continue;
        }
        let current = store::registration::find_number(&state.db, org, &number.phone_number)
            .await
            .map_err(AppError::from)?;
        if current.as_ref().is_some_and(|r| r.status == "PENDING") {
            continue;
        }
        let Some(digits) = ten_digits(&number.phone_number) else {
            continue;
        };
        let settings = client
            .get_tn_messaging_settings(&digits)
            .await
            .map_err(|e| bandwidth_failure("Bandwidth did not show a number's details", e))?;
        let on = settings.campaign_id.map(|c| c.to_uppercase());
        let state_now = match on {
            Some(c) => NumberState {
                phone_number: number.phone_number.clone(),
                kind: LOCAL,
                deliverable: campaigns.get(&c).is_some_and(is_active),
                campaign_id: Some(c),
                status: "REGISTERED",
                error_code: None,
                error_text: None,
                resubmit_allowed: None,
                order_id: current.as_ref().and_then(|r| r.order_id.clone()),
            },
            None => NumberState {
                phone_number: number.phone_number.clone(),
                kind: LOCAL,
                campaign_id: None,
                status: if current.as_ref().is_some_and(|r| r.status == "FAILED") {
                    "FAILED"
                } else {
                    "UNREGISTERED"
                },
                deliverable: false,
                error_code: current.as_ref().and_then(|r| r.error_code.clone()),
                error_text: current.as_ref().and_then(|r| r.error_text.clone()),
                resubmit_allowed: None,
                order_id: current.as_ref().and_then(|r| r.order_id.clone()),
            },
        };
        states.push(state_now);
    }
    let registered = states.iter().filter(|s| s.status == "REGISTERED").count();
    let checked = states.len();
    let txn = jobs::begin_effects(state, job).await?;
    store::registration::save_numbers(&txn, org, &states, Utc::now())
        .await
        .map_err(AppError::from)?;
    txn.commit().await.map_err(AppError::from)?;
    let mut message = format!("{checked} local number(s) checked, {registered} on a campaign");
    if unchecked > 0 {
        message.push_str(&format!(
            "; {unchecked} not checked yet: run refreshRegistrations again"
        ));
    }
    Ok(message)
}
