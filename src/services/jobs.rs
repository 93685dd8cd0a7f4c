//! Durable background jobs: enqueued by mutations, worked by a runner inside `serve`.
//!
//! A job is claimed with a lease (see `store::jobs::claim`), so it runs once even with several
//! replicas on one PostgreSQL, and a job whose runner died is taken over when its lease expires.
//! Transient failures (Bandwidth 429/5xx, timeouts) retry with exponential backoff up to the job's
//! attempt limit; the outcome and its message are kept (Spoke deletes its job rows).

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::store;
use crate::store::entities::job;

/// How long a runner holds a job before another may take it over.
pub const LEASE: Duration = Duration::from_secs(300);
/// How often an idle runner looks for due jobs (it is also woken when this replica enqueues one).
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
const MAX_ATTEMPTS: i32 = 5;
const BACKOFF_BASE: Duration = Duration::from_secs(2);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobSpec {
    /// Reconcile the store with the location's numbers.
    SyncPhoneNumbers,
    /// Order numbers in an area code (toll-free for 8xx).
    BuyPhoneNumbers {
        #[serde(rename = "areaCode")]
        area_code: String,
        limit: u32,
        /// Bandwidth's id of the order once placed, so a retried job polls that order instead
        /// of ordering again.
        #[serde(rename = "orderId", default, skip_serializing_if = "Option::is_none")]
        order_id: Option<String>,
    },
    /// Disconnect the organization's unused numbers in an area code.
    DeletePhoneNumbers {
        #[serde(rename = "areaCode")]
        area_code: String,
    },
}

impl JobSpec {
    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            JobSpec::SyncPhoneNumbers => "sync_phone_numbers",
            JobSpec::BuyPhoneNumbers { .. } => "buy_phone_numbers",
            JobSpec::DeletePhoneNumbers { .. } => "delete_phone_numbers",
        }
    }
}

/// Kinds shown on Spoke's Phone Numbers page.
pub const PHONE_NUMBER_KINDS: &[&str] = &["buy_phone_numbers", "delete_phone_numbers"];

/// How a job ended when it did not succeed.
#[derive(Debug)]
pub struct JobFailure {
    /// Shown to the user as the job's result message.
    pub message: String,
    /// Worth another attempt later (rate limit, 5xx, timeout, database unavailable).
    pub transient: bool,
}

impl JobFailure {
    /// A failure that another attempt will not fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: false,
        }
    }
}

impl From<AppError> for JobFailure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Db(db) => {
                tracing::warn!(error = %db, "job hit a database error; it will be retried");
                Self {
                    message: "the database was unavailable; retrying".into(),
                    transient: true,
                }
            }
            AppError::Internal(inner) => {
                tracing::error!(error = ?inner, "job failed unexpectedly");
                Self::permanent("internal error; the server log has the details")
            }
            other => Self::permanent(other.to_string()),
        }
    }
}

/// The job a runner is working on, as its work function sees it.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The job's id.
    pub id: i32,
    /// The organization the job belongs to.
    pub organization_id: i32,
    /// Which run this is (1 for the first).
    pub attempt: i32,
    /// The runner holding the job's lease.
    pub owner: String,
}

/// Replaces the running job's spec in its stored payload, so a retry after a crash or a
/// transient failure continues from there (e.g. with a Bandwidth order id already placed).
pub async fn update_spec(state: &AppState, job: &JobContext, spec: &JobSpec) -> Result<()> {
    let payload = serde_json::to_string(spec).map_err(anyhow::Error::from)?;
    if store::jobs::update_payload(&state.db, job.id, &job.owner, &payload).await? {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "job {} was taken over by another runner",
            job.id
        )))
    }
}

/// A job as callers see it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i32,
    pub organization_id: i32,
    pub spec: Option<JobSpec>,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub result_message: Option<String>,
}

impl From<job::Model> for Job {
    fn from(m: job::Model) -> Self {
        let spec = serde_json::from_str(&m.payload).ok();
        Self {
            id: m.id,
            organization_id: m.organization_id,
            spec,
            kind: m.kind,
            state: m.state,
            attempts: m.attempts,
            result_message: m.result_message,
        }
    }
}

/// Stores a job for the runner and wakes this replica's runner.
pub async fn enqueue(state: &AppState, organization_id: i32, spec: JobSpec) -> Result<Job> {
    let payload = serde_json::to_string(&spec).map_err(anyhow::Error::from)?;
    let model = store::jobs::insert(
        &state.db,
        store::jobs::NewJob {
            organization_id,
            kind: spec.kind(),
            payload,
            max_attempts: MAX_ATTEMPTS,
            run_at: now_ms(),
        },
    )
    .await?;
    state.jobs_wakeup.notify_one();
    Ok(model.into())
}

/// A job of the organization; `NOT_FOUND` for an unknown (or another organization's) id.
pub async fn find(state: &AppState, organization_id: i32, id: &str) -> Result<Job> {
    let not_found = || AppError::NotFound(format!("there is no job {id:?} in this organization"));
    let id: i32 = id.trim().parse().map_err(|_| not_found())?;
    store::jobs::find(&state.db, organization_id, id)
        .await?
        .map(Into::into)
        .ok_or_else(not_found)
}

/// The most jobs one list returns (pending jobs, or one page of the history).
pub const MAX_LISTED_JOBS: u64 = 100;

/// Buy and delete jobs that are still queued or running (Spoke's `pendingPhoneNumberJobs`: its
/// page shows a spinner for each, so a finished job must leave the list; read it with
/// [`find`] or [`history`]).
pub async fn list_pending_phone_number_jobs(
    state: &AppState,
    organization_id: i32,
) -> Result<Vec<Job>> {
    let filter = store::jobs::JobFilter {
        kinds: Some(PHONE_NUMBER_KINDS),
        states: Some(&["PENDING", "RUNNING"]),
        limit: MAX_LISTED_JOBS,
    };
    Ok(store::jobs::list(&state.db, organization_id, filter)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The organization's jobs of every kind and state, newest first: at most `first` (1 to
/// [`MAX_LISTED_JOBS`]), so an outcome, failures with Bandwidth's reason included, stays readable.
pub async fn history(state: &AppState, organization_id: i32, first: i32) -> Result<Vec<Job>> {
    if !(1..=MAX_LISTED_JOBS as i32).contains(&first) {
        return Err(AppError::InvalidInput(format!(
            "first must be between 1 and {MAX_LISTED_JOBS}, not {first}"
        )));
    }
    let filter = store::jobs::JobFilter {
        kinds: None,
        states: None,
        limit: first as u64,
    };
    Ok(store::jobs::list(&state.db, organization_id, filter)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Works jobs until `shutdown` resolves. `execute` runs one job's work; it gets the job's
/// [`JobContext`] so it can record progress with [`update_spec`].
pub async fn run_jobs<F, Fut>(
    state: AppState,
    owner: String,
    execute: F,
    shutdown: impl Future<Output = ()>,
) where
    F: Fn(AppState, JobContext, JobSpec) -> Fut,
    Fut: Future<Output = std::result::Result<String, JobFailure>>,
{
    tokio::pin!(shutdown);
    loop {
        let worked = match work_one(&state, &owner, &execute).await {
            Ok(worked) => worked,
            Err(e) => {
                tracing::warn!(error = %e, "job runner could not reach the database");
                false
            }
        };
        if worked {
            continue;
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = state.jobs_wakeup.notified() => {}
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}

/// Claims and runs one due job; false when none was due.
pub async fn work_one<F, Fut>(
    state: &AppState,
    owner: &str,
    execute: &F,
) -> std::result::Result<bool, sea_orm::DbErr>
where
    F: Fn(AppState, JobContext, JobSpec) -> Fut,
    Fut: Future<Output = std::result::Result<String, JobFailure>>,
{
    let Some(job) =
        store::jobs::claim(&state.db, owner, now_ms(), LEASE.as_millis() as i64).await?
    else {
        return Ok(false);
    };
    let span = tracing::info_span!("job", id = job.id, kind = %job.kind, org_id = job.organization_id, attempt = job.attempts);
    let _guard = span.enter();
    let outcome = match serde_json::from_str::<JobSpec>(&job.payload) {
        Ok(spec) => {
            let context = JobContext {
                id: job.id,
                organization_id: job.organization_id,
                attempt: job.attempts,
                owner: owner.to_owned(),
            };
            execute(state.clone(), context, spec).await
        }
        Err(e) => Err(JobFailure::permanent(format!(
            "the job's payload is unreadable: {e}"
        ))),
    };
    let db = &state.db;
    match outcome {
        Ok(message) => {
            tracing::info!(%message, "job succeeded");
            store::jobs::finish(db, job.id, owner, "SUCCEEDED", &message).await?;
        }
        Err(failure) if failure.transient && job.attempts < job.max_attempts => {
            let delay = backoff(job.attempts);
            tracing::warn!(message = %failure.message, retry_in_ms = delay.as_millis() as u64, "job will be retried");
            let message = format!(
                "{} (attempt {} of {}; retrying)",
                failure.message, job.attempts, job.max_attempts
            );
            store::jobs::reschedule(
                db,
                job.id,
                owner,
                now_ms() + delay.as_millis() as i64,
                &message,
            )
            .await?;
        }
        Err(failure) => {
            tracing::warn!(message = %failure.message, "job failed");
            store::jobs::finish(db, job.id, owner, "FAILED", &failure.message).await?;
        }
    }
    Ok(true)
}

fn backoff(attempts: i32) -> Duration {
    let exponent = (attempts - 1).clamp(0, 16) as u32;
    (BACKOFF_BASE * 2u32.pow(exponent)).min(BACKOFF_MAX)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(2), Duration::from_secs(4));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(30), BACKOFF_MAX);
    }

    #[test]
    fn a_spec_round_trips_through_its_payload() {
        let spec = JobSpec::BuyPhoneNumbers {
            area_code: "919".into(),
            limit: 3,
            order_id: None,
        };
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.contains("\"areaCode\":\"919\""), "{json}");
        assert_eq!(serde_json::from_str::<JobSpec>(&json).unwrap(), spec);
    }
}
