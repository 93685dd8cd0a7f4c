//! Durable background jobs: enqueued by mutations, worked by a runner inside `serve`.
//!
//! What is guaranteed (README "Background jobs"):
//! - **One runner at a time.** A job is claimed with a lease (see `store::jobs::claim`), also
//!   across several replicas on one PostgreSQL. The lease is renewed by a heartbeat while the job
//!   runs, so a long job is never taken over while its runner lives; a runner that lost its lease
//!   (stalled past it, or its job was taken over) stops the job and writes nothing: the outcome,
//!   the payload and the job's effects are written only under a lease check on the job's row.
//! - **Crashes count.** A job whose runner died is taken over when its lease expires, and that
//!   takeover counts an attempt; after `MAX_ATTEMPTS` the job ends `FAILED` saying so.
//! - **Supervised.** Each job runs in its own task: a panic fails that attempt (retried with
//!   backoff up to the cap), and the runner goes on with other jobs.
//! - **Concurrent, one lane at a time.** Up to `JOB_CONCURRENCY` jobs run at once per replica;
//!   jobs of one organization that share a lane (every inventory job: orders, disconnects and
//!   syncs must not interleave at Bandwidth) run one after the other.
//! - Transient failures (Bandwidth 429/5xx, timeouts) retry with exponential backoff up to the
//!   attempt limit; the outcome and its message are kept (Spoke deletes its job rows).
//!
//! A job's effects at Bandwidth are at least once; each job kind makes them idempotent (a buy
//! records its order's customer order id before placing it, see `number_jobs`).

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use sea_orm::{DatabaseTransaction, SqlErr, TransactionTrait};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::config::Settings;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::store;
use crate::store::entities::job;

/// Attempts a job gets, crashed and panicked runs included.
pub const MAX_ATTEMPTS: i32 = 5;
/// The lane of inventory jobs: one at a time per organization.
pub const NUMBERS_LANE: &str = "numbers";

/// How a runner works: its pool, its lease and its retry delays (from `JOB_*` settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerOptions {
    /// Jobs run at once by one runner (`JOB_CONCURRENCY`).
    pub concurrency: usize,
    /// How long a claim or a heartbeat holds a job (`JOB_LEASE_MS`); the heartbeat renews it
    /// every third of it, so a crashed runner's job is taken over about this long after.
    pub lease: Duration,
    /// How often an idle runner looks for due jobs (it is also woken when this replica enqueues).
    pub poll_interval: Duration,
    /// Delay before the first retry of a transient failure (`JOB_RETRY_BASE_MS`); it doubles
    /// for every further attempt, up to `retry_max`.
    pub retry_base: Duration,
    /// Longest delay between two attempts.
    pub retry_max: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
        }
    }
}

impl RunnerOptions {
    /// The options `serve` reads from its settings.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            concurrency: usize::from(settings.job_concurrency.max(1)),
            lease: Duration::from_millis(settings.job_lease_ms),
            retry_base: Duration::from_millis(settings.job_retry_base_ms),
            ..Self::default()
        }
    }

    /// How often a running job's lease is renewed.
    pub fn heartbeat(&self) -> Duration {
        (self.lease / 3).max(Duration::from_millis(10))
    }

    fn lease_ms(&self) -> i64 {
        self.lease.as_millis() as i64
    }
}

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
        /// The `CustomerOrderId` of the job's order, recorded before the order is placed: a
        /// run that finds it without an `order_id` looks the order up by it before ordering.
        #[serde(
            rename = "customerOrderId",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        customer_order_id: Option<String>,
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
    /// Put numbers on a 10DLC campaign, or take them off it (`campaignId` null), through a TN
    /// option order polled to its end (issue #16, `services::registration`).
    AssignCampaign {
        #[serde(rename = "campaignId", default)]
        campaign_id: Option<String>,
        /// E.164 numbers.
        numbers: Vec<String>,
        /// Bandwidth's id of the TN option order once placed, so a retry polls it.
        #[serde(rename = "orderId", default, skip_serializing_if = "Option::is_none")]
        order_id: Option<String>,
    },
    /// Re-read campaigns, numbers' campaigns and toll-free verifications from Bandwidth.
    RefreshRegistrations,
    /// Answer a contact's consent keyword (`reply`: `opt_out`, `opt_in` or `help`) to the
    /// inbound message `messageId`; queued by the callback path in the transaction that stored
    /// the message (`services::consent_replies` sends it).
    ConsentReply {
        reply: String,
        #[serde(rename = "messageId")]
        message_id: i64,
    },
}

impl JobSpec {
    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            JobSpec::SyncPhoneNumbers => "sync_phone_numbers",
            JobSpec::BuyPhoneNumbers { .. } => "buy_phone_numbers",
            JobSpec::DeletePhoneNumbers { .. } => "delete_phone_numbers",
            JobSpec::AssignCampaign {
                campaign_id: Some(_),
                ..
            } => "assign_phone_numbers_to_campaign",
            JobSpec::AssignCampaign { .. } => "remove_phone_numbers_from_campaign",
            JobSpec::RefreshRegistrations => "refresh_registrations",
            JobSpec::ConsentReply { .. } => crate::store::consent::REPLY_JOB_KIND,
        }
    }

    /// The lane the job runs in: every inventory job of an organization runs alone, since an
    /// order, a disconnect and a sync of one location must not interleave.
    pub fn lane(&self) -> Option<&'static str> {
        match self {
            JobSpec::ConsentReply { .. } => None,
            _ => Some(NUMBERS_LANE),
        }
    }

    /// The idempotency key of a job that must not be queued twice: a second identical
    /// `buyPhoneNumbers` while the first is queued or running gets the first job. Syncs and
    /// deletes are harmless to repeat, and a repeat asked for while one runs wants a fresh look.
    pub fn active_key(&self) -> Option<String> {
        match self {
            JobSpec::BuyPhoneNumbers {
                area_code, limit, ..
            } => Some(format!("buy_phone_numbers:{area_code}:{limit}")),
            _ => None,
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
    /// The lease this run holds (unique to the claim, so a later run of the same runner is
    /// another holder).
    pub owner: String,
    /// How long a lease check extends the lease.
    pub lease: Duration,
}

fn lost_lease(job: &JobContext) -> AppError {
    AppError::Conflict(format!(
        "job {} was taken over by another runner; this run stops without writing",
        job.id
    ))
}

/// Opens the transaction a job writes its effects in, after checking in it that this run still
/// holds the job (and extending the lease). On PostgreSQL the check locks the job's row until
/// commit, so no takeover can come between the check and the writes; SQLite serialises writers.
pub async fn begin_effects(state: &AppState, job: &JobContext) -> Result<DatabaseTransaction> {
    let txn = state.db.begin().await?;
    let until = now_ms() + job.lease.as_millis() as i64;
    if store::jobs::renew(&txn, job.id, &job.owner, until).await? {
        Ok(txn)
    } else {
        Err(lost_lease(job))
    }
}

/// Replaces the running job's spec in its stored payload, so a retry after a crash or a
/// transient failure continues from there (e.g. with a Bandwidth order id already placed).
pub async fn update_spec(state: &AppState, job: &JobContext, spec: &JobSpec) -> Result<()> {
    let payload = serde_json::to_string(spec).map_err(anyhow::Error::from)?;
    if store::jobs::update_payload(&state.db, job.id, &job.owner, &payload).await? {
        Ok(())
    } else {
        Err(lost_lease(job))
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

/// Stores a job for the runner and wakes this replica's runner. A job with an idempotency key
/// ([`JobSpec::active_key`]) that is already queued or running is returned instead of a new
/// one; the unique index on the key makes this hold for concurrent calls too.
pub async fn enqueue(state: &AppState, organization_id: i32, spec: JobSpec) -> Result<Job> {
    let payload = serde_json::to_string(&spec).map_err(anyhow::Error::from)?;
    let active_key = spec.active_key();
    // A duplicate is read back; when it ended between the insert and the read, insert again.
    for _ in 0..3 {
        let inserted = store::jobs::insert(
            &state.db,
            store::jobs::NewJob {
                organization_id,
                kind: spec.kind(),
                payload: payload.clone(),
                max_attempts: MAX_ATTEMPTS,
                run_at: now_ms(),
                lane: spec.lane(),
                active_key: active_key.clone(),
            },
        )
        .await;
        match (inserted, &active_key) {
            (Ok(model), _) => {
                state.jobs_wakeup.notify_one();
                return Ok(model.into());
            }
            (Err(e), Some(key))
                if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
            {
                if let Some(first) =
                    store::jobs::find_active(&state.db, organization_id, key).await?
                {
                    tracing::info!(
                        job_id = first.id,
                        "an identical job is already queued; returning it"
                    );
                    return Ok(first.into());
                }
            }
            (Err(e), _) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict(
        "an identical job keeps being queued and finished concurrently; try again".into(),
    ))
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

/// Works jobs until `shutdown` resolves: up to `options.concurrency` at once, each in its own
/// supervised task (see [`work_claimed`]). `execute` runs one job's work; it gets the job's
/// [`JobContext`] so it can record progress with [`update_spec`] and guard its writes with
/// [`begin_effects`]. On shutdown the jobs still running are stopped and handed back to the
/// queue without counting the attempt.
pub async fn run_jobs<F, Fut>(
    state: AppState,
    owner: String,
    options: RunnerOptions,
    execute: F,
    shutdown: impl Future<Output = ()>,
) where
    F: Fn(AppState, JobContext, JobSpec) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<String, JobFailure>> + Send + 'static,
{
    tokio::pin!(shutdown);
    let mut running = tokio::task::JoinSet::new();
    let mut leases: HashMap<tokio::task::Id, (i32, String)> = HashMap::new();
    loop {
        while running.len() < options.concurrency.max(1) {
            let lease = lease_token(&owner);
            match store::jobs::claim(&state.db, &lease, now_ms(), options.lease_ms()).await {
                Ok(Some(claimed)) => {
                    let id = claimed.id;
                    let task = running.spawn(work_claimed(
                        state.clone(),
                        claimed,
                        options.clone(),
                        execute.clone(),
                    ));
                    leases.insert(task.id(), (id, lease));
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "job runner could not reach the database");
                    break;
                }
            }
        }
        tokio::select! {
            _ = &mut shutdown => break,
            Some(joined) = running.join_next_with_id(), if !running.is_empty() => {
                let id = match joined {
                    Ok((id, ())) => id,
                    Err(e) => {
                        tracing::error!(error = %e, "a job supervisor failed; its job is taken over when its lease expires");
                        e.id()
                    }
                };
                leases.remove(&id);
            }
            _ = state.jobs_wakeup.notified() => {}
            _ = tokio::time::sleep(options.poll_interval) => {}
        }
    }
    running.shutdown().await;
    for (id, lease) in leases.into_values() {
        match store::jobs::hand_back(&state.db, id, &lease, now_ms()).await {
            Ok(true) => tracing::info!(job_id = id, "handed a running job back to the queue"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(job_id = id, error = %e, "could not hand a job back; it is taken over when its lease expires")
            }
        }
    }
}

/// Claims and runs one due job to its end (in the calling task, its work in its own task);
/// false when none was due.
pub async fn work_one<F, Fut>(
    state: &AppState,
    owner: &str,
    options: &RunnerOptions,
    execute: &F,
) -> std::result::Result<bool, sea_orm::DbErr>
where
    F: Fn(AppState, JobContext, JobSpec) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<String, JobFailure>> + Send + 'static,
{
    let lease = lease_token(owner);
    let Some(claimed) = store::jobs::claim(&state.db, &lease, now_ms(), options.lease_ms()).await?
    else {
        return Ok(false);
    };
    work_claimed(state.clone(), claimed, options.clone(), execute.clone()).await;
    Ok(true)
}

/// A lease token unique to one claim: the runner's name and a random suffix.
fn lease_token(owner: &str) -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{owner}/{}", &suffix[..12])
}

/// Aborts the task when dropped, so a job's work never outlives its supervisor.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs a claimed job: its work in its own task (a panic is caught as a failed attempt), its
/// lease renewed every [`RunnerOptions::heartbeat`], and its outcome written while the lease
/// is held. When the lease is lost the work is stopped and nothing is written.
pub async fn work_claimed<F, Fut>(
    state: AppState,
    claimed: job::Model,
    options: RunnerOptions,
    execute: F,
) where
    F: Fn(AppState, JobContext, JobSpec) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<String, JobFailure>> + Send + 'static,
{
    let span = tracing::info_span!("job", id = claimed.id, kind = %claimed.kind, org_id = claimed.organization_id, attempt = claimed.attempts);
    async move {
        let lease = claimed.lease_owner.clone().unwrap_or_default();
        let outcome = match serde_json::from_str::<JobSpec>(&claimed.payload) {
            Ok(spec) => {
                let context = JobContext {
                    id: claimed.id,
                    organization_id: claimed.organization_id,
                    attempt: claimed.attempts,
                    owner: lease.clone(),
                    lease: options.lease,
                };
                let work = tokio::spawn(
                    execute(state.clone(), context, spec).instrument(tracing::Span::current()),
                );
                match hold_lease(&state, &claimed, &lease, &options, work).await {
                    Some(outcome) => outcome,
                    None => return,
                }
            }
            Err(e) => Err(JobFailure::permanent(format!(
                "the job's payload is unreadable: {e}"
            ))),
        };
        if let Err(e) = record_outcome(&state, &claimed, &lease, &options, outcome).await {
            tracing::warn!(error = %e, "could not record the job's outcome; it runs again when its lease expires");
        }
    }
    .instrument(span)
    .await
}

/// Waits for the job's work while renewing its lease; `None` when the lease was lost (the
/// work is stopped). A panic comes back as a transient failure.
async fn hold_lease(
    state: &AppState,
    claimed: &job::Model,
    lease: &str,
    options: &RunnerOptions,
    work: tokio::task::JoinHandle<std::result::Result<String, JobFailure>>,
) -> Option<std::result::Result<String, JobFailure>> {
    let mut work = AbortOnDrop(work);
    let heartbeat = options.heartbeat();
    let mut held_until = claimed
        .lease_expires_at
        .unwrap_or_else(|| now_ms() + options.lease_ms());
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            joined = &mut work.0 => {
                return Some(match joined {
                    Ok(outcome) => outcome,
                    Err(e) if e.is_panic() => {
                        let panic = e.into_panic();
                        let text = panic
                            .downcast_ref::<&str>()
                            .map(|s| (*s).to_owned())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "no message".to_owned());
                        tracing::error!(panic = %text, "the job panicked");
                        Err(JobFailure {
                            message: format!("the job stopped on an internal error (a panic: {text})"),
                            transient: true,
                        })
                    }
                    Err(_) => Err(JobFailure {
                        message: "the job's task was cancelled".into(),
                        transient: true,
                    }),
                });
            }
            _ = beat.tick() => {
                let until = now_ms() + options.lease_ms();
                match store::jobs::renew(&state.db, claimed.id, lease, until).await {
                    Ok(true) => held_until = until,
                    Ok(false) => {
                        tracing::warn!("the job's lease was lost; stopping it without writing");
                        return None;
                    }
                    Err(e) if now_ms() + heartbeat.as_millis() as i64 >= held_until => {
                        tracing::warn!(error = %e, "could not renew the job's lease before it ends; stopping it without writing");
                        return None;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not renew the job's lease; trying again"),
                }
            }
        }
    }
}

async fn record_outcome(
    state: &AppState,
    claimed: &job::Model,
    lease: &str,
    options: &RunnerOptions,
    outcome: std::result::Result<String, JobFailure>,
) -> std::result::Result<(), sea_orm::DbErr> {
    let db = &state.db;
    let recorded = match outcome {
        Ok(message) => {
            tracing::info!(%message, "job succeeded");
            store::jobs::finish(db, claimed.id, lease, "SUCCEEDED", &message).await?
        }
        Err(failure) if failure.transient && claimed.attempts < claimed.max_attempts => {
            let delay = backoff(options, claimed.attempts);
            tracing::warn!(message = %failure.message, retry_in_ms = delay.as_millis() as u64, "job will be retried");
            let message = format!(
                "{} (attempt {} of {}; retrying)",
                failure.message, claimed.attempts, claimed.max_attempts
            );
            let run_at = now_ms() + delay.as_millis() as i64;
            store::jobs::reschedule(db, claimed.id, lease, run_at, &message).await?
        }
        Err(failure) => {
            let message = if failure.transient {
                format!(
                    "{} (gave up after {} attempts)",
                    failure.message, claimed.attempts
                )
            } else {
                failure.message
            };
            tracing::warn!(%message, "job failed");
            store::jobs::finish(db, claimed.id, lease, "FAILED", &message).await?
        }
    };
    if !recorded {
        tracing::warn!("the job's lease was lost before its outcome was written; nothing written");
    }
    Ok(())
}

fn backoff(options: &RunnerOptions, attempts: i32) -> Duration {
    let exponent = (attempts - 1).clamp(0, 16) as u32;
    (options.retry_base * 2u32.pow(exponent)).min(options.retry_max)
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
        let options = RunnerOptions::default();
        assert_eq!(backoff(&options, 1), Duration::from_secs(2));
        assert_eq!(backoff(&options, 2), Duration::from_secs(4));
        assert_eq!(backoff(&options, 3), Duration::from_secs(8));
        assert_eq!(backoff(&options, 30), options.retry_max);
    }

    #[test]
    fn only_a_buy_has_an_idempotency_key_and_every_inventory_job_shares_a_lane() {
        let buy = JobSpec::BuyPhoneNumbers {
            area_code: "919".into(),
            limit: 3,
            customer_order_id: None,
            order_id: None,
        };
        assert_eq!(buy.active_key().as_deref(), Some("buy_phone_numbers:919:3"));
        assert_eq!(JobSpec::SyncPhoneNumbers.active_key(), None);
        assert_eq!(buy.lane(), JobSpec::SyncPhoneNumbers.lane());
    }

    #[test]
    fn a_spec_round_trips_through_its_payload() {
        let spec = JobSpec::BuyPhoneNumbers {
            area_code: "919".into(),
            limit: 3,
            customer_order_id: Some("sbw-1-job-2-0a1b2c3d".into()),
            order_id: None,
        };
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.contains("\"areaCode\":\"919\""), "{json}");
        assert_eq!(serde_json::from_str::<JobSpec>(&json).unwrap(), spec);
    }
}
