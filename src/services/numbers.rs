//! The phone-number inventory: what an organization holds, and the jobs that change it.

use crate::error::{AppError, Result};
use crate::services::jobs::{self, Job, JobSpec};
use crate::services::{area_codes, number_jobs};
use crate::state::AppState;
use crate::store;
use crate::store::entities::phone_number;

/// The most numbers one buy job may order.
pub const MAX_BUY_LIMIT: i32 = 1000;

/// Active numbers of one area code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaCodeCount {
    pub area_code: String,
    pub state: String,
    pub available: i64,
    pub allocated: i64,
}

/// Checks an area code as typed by a user: exactly three digits.
pub fn parse_area_code(area_code: &str) -> Result<String> {
    let area_code = area_code.trim();
    if area_code.len() == 3 && area_code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(area_code.to_owned())
    } else {
        Err(AppError::InvalidInput(format!(
            "area code {area_code:?} must be exactly three digits, e.g. \"919\""
        )))
    }
}

/// The organization's numbers that are not released, optionally in one area code.
pub async fn list(
    state: &AppState,
    organization_id: i32,
    area_code: Option<&str>,
) -> Result<Vec<phone_number::Model>> {
    let area_code = area_code.map(parse_area_code).transpose()?;
    Ok(store::phone_numbers::list_held(&state.db, organization_id, area_code.as_deref()).await?)
}

/// Active numbers grouped by area code, with the area code's region. `available` is exactly
/// what `deletePhoneNumbers` in that area code would release (Spoke's page promises that many);
/// the numbers a delete keeps (a contact's sticky sender) are `allocated`. Both use the store's
/// one definition of a releasable number.
pub async fn counts(state: &AppState, organization_id: i32) -> Result<Vec<AreaCodeCount>> {
    Ok(
        store::phone_numbers::count_active_by_area_code(&state.db, organization_id)
            .await?
            .into_iter()
            .map(|c| AreaCodeCount {
                state: area_codes::region_of(&c.area_code).to_owned(),
                available: c.releasable,
                allocated: c.count - c.releasable,
                area_code: c.area_code,
            })
            .collect(),
    )
}

/// Queues a purchase of `limit` numbers in an area code (toll-free for 8XX prefixes). While an
/// identical purchase (same area code and limit) is queued or running, that job is returned
/// instead, so a repeated `buyPhoneNumbers` never buys twice.
pub async fn request_purchase(
    state: &AppState,
    organization_id: i32,
    area_code: &str,
    limit: i32,
) -> Result<Job> {
    let area_code = parse_area_code(area_code)?;
    if !(1..=MAX_BUY_LIMIT).contains(&limit) {
        return Err(AppError::InvalidInput(format!(
            "limit must be between 1 and {MAX_BUY_LIMIT}, not {limit}"
        )));
    }
    jobs::enqueue(
        state,
        organization_id,
        JobSpec::BuyPhoneNumbers {
            area_code,
            limit: limit as u32,
            customer_order_id: None,
            order_id: None,
        },
    )
    .await
}

/// Queues the release of the organization's unused numbers in an area code.
pub async fn request_release(
    state: &AppState,
    organization_id: i32,
    area_code: &str,
) -> Result<Job> {
    let area_code = parse_area_code(area_code)?;
    jobs::enqueue(
        state,
        organization_id,
        JobSpec::DeletePhoneNumbers { area_code },
    )
    .await
}

/// Queues a reconciliation of the store with the location's numbers.
pub async fn request_sync(state: &AppState, organization_id: i32) -> Result<Job> {
    jobs::enqueue(state, organization_id, JobSpec::SyncPhoneNumbers).await
}

/// Runs one job for the job runner: sync, buy or release (see `number_jobs`), or a consent
/// reply (`consent_replies`).
/// Transient Bandwidth failures come back as transient so the runner retries with backoff.
pub async fn run_job(
    state: AppState,
    job: jobs::JobContext,
    spec: JobSpec,
) -> std::result::Result<String, jobs::JobFailure> {
    let (state, job) = (&state, &job);
    let inventory = !matches!(spec, JobSpec::ConsentReply { .. });
    let outcome = match spec {
        JobSpec::SyncPhoneNumbers => number_jobs::sync(state, job)
            .await
            .map(|report| report.message())
            .map_err(Into::into),
        JobSpec::BuyPhoneNumbers {
            area_code,
            limit,
            customer_order_id,
            order_id,
        } => number_jobs::buy(state, job, &area_code, limit, customer_order_id, order_id).await,
        JobSpec::DeletePhoneNumbers { area_code } => {
            number_jobs::release_unused(state, job, &area_code)
                .await
                .map_err(Into::into)
        }
        spec @ (JobSpec::AssignCampaign { .. } | JobSpec::RefreshRegistrations) => {
            crate::services::registration::run_job(state, job, spec).await
        }
        // The one job runner runs every kind; consent replies are not inventory jobs.
        JobSpec::ConsentReply { reply, message_id } => {
            crate::services::consent_replies::run(state, job, &reply, message_id).await
        }
    };
    if inventory {
        number_jobs::refresh_statistics(state).await;
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_area_code_must_be_three_digits() {
        assert_eq!(parse_area_code(" 919 ").unwrap(), "919");
        for bad in ["91", "9190", "abc", "", "9 1"] {
            assert!(
                matches!(parse_area_code(bad), Err(AppError::InvalidInput(_))),
                "{bad:?}"
            );
        }
    }
}
