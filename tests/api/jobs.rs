//! The durable job runner: leases renewed while a job runs, takeovers after a crash counted
//! and capped, panics caught, a bounded pool with one job at a time per organization's lane,
//! idempotent enqueues, and replicas racing on one database. Leases here last a few hundred
//! milliseconds, so every test lets a lease expire while a runner lives or after it died.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use spoke_bandwidth::services::jobs::{self, JobContext, JobFailure, JobSpec, RunnerOptions};
use spoke_bandwidth::state::AppState;
use spoke_bandwidth::store;
use spoke_bandwidth::store::entities::job;

use spoke_bandwidth::config::Settings;

use crate::helpers::{SESSION_SECRET, TestDatabase, fresh_database};

/// A database with one organization and no server (so no runner but the test's own).
async fn database_with_org() -> (TestDatabase, i32) {
    let database = fresh_database().await;
    let db = store::connect(&database.url).await.unwrap();
    store::migrate(&db).await.unwrap();
    let org = spoke_bandwidth::services::access::create_organization(&db, "Org")
        .await
        .unwrap();
    (database, org)
}

/// A replica's state over the database: its own connection pool, as another server would have.
async fn replica(database: &TestDatabase) -> AppState {
    let db = store::connect(&database.url).await.unwrap();
    AppState::new(
        db,
        Settings::for_database(&database.url, Some(SESSION_SECRET)),
    )
    .unwrap()
}

/// Short leases and retries, so takeovers and backoffs happen within a test.
fn quick(concurrency: usize) -> RunnerOptions {
    RunnerOptions {
        concurrency,
        lease: Duration::from_millis(300),
        poll_interval: Duration::from_millis(20),
        retry_base: Duration::from_millis(10),
        retry_max: Duration::from_millis(40),
    }
}

async fn row(state: &AppState, id: i32) -> job::Model {
    job::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .unwrap()
        .unwrap()
}

/// Waits (bounded) until every listed job ended.
async fn until_ended(state: &AppState, ids: &[i32]) -> Vec<job::Model> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = job::Entity::find()
            .filter(job::Column::Id.is_in(ids.iter().copied()))
            .all(&state.db)
            .await
            .unwrap();
        if rows
            .iter()
            .all(|j| j.state == "SUCCEEDED" || j.state == "FAILED")
        {
            return rows;
        }
        assert!(Instant::now() < deadline, "jobs did not end: {rows:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A runner in its own task, stopped (gracefully) by sending on the returned channel.
fn start_runner<F, Fut>(
    state: AppState,
    owner: &str,
    options: RunnerOptions,
    execute: F,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
)
where
    F: Fn(AppState, JobContext, JobSpec) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<String, JobFailure>> + Send + 'static,
{
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(jobs::run_jobs(
        state,
        owner.to_owned(),
        options,
        execute,
        async move {
            let _ = stopped.await;
        },
    ));
    (stop, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_on_one_database_never_run_the_same_job_twice() {
    let database = fresh_database().await;
    let replica_a = replica(&database).await;
    store::migrate(&replica_a.db).await.unwrap();
    let replica_b = replica(&database).await;
    let count = 40;
    // Jobs of distinct organizations, so both runners' pools stay busy.
    for i in 0..count {
        let org = spoke_bandwidth::services::access::create_organization(
            &replica_a.db,
            &format!("Org {i}"),
        )
        .await
        .unwrap();
        jobs::enqueue(&replica_a, org, JobSpec::SyncPhoneNumbers)
            .await
            .unwrap();
    }

    let runs = Arc::new(Mutex::new(Vec::new()));
    let execute = {
        let runs = runs.clone();
        move |_: AppState, job: JobContext, _: JobSpec| {
            let runs = runs.clone();
            async move {
                // Long enough that one runner cannot drain the queue before the other polls.
                tokio::time::sleep(Duration::from_millis(25)).await;
                runs.lock().unwrap().push(job.id);
                Ok::<_, JobFailure>(format!("done by {}", job.owner))
            }
        }
    };
    // A lease no heartbeat misses even on a loaded machine: what is tested is that two live
    // runners never claim one job (a lease that lapses hands its job on by design, tested apart).
    let options = || RunnerOptions {
        lease: Duration::from_secs(10),
        ..quick(4)
    };
    let (stop_a, a) = start_runner(replica_a.clone(), "runner-a", options(), execute.clone());
    let (stop_b, b) = start_runner(replica_b, "runner-b", options(), execute);
    let ids: Vec<i32> = (1..=count).collect();
    let rows = until_ended(&replica_a, &ids).await;
    stop_a.send(()).unwrap();
    stop_b.send(()).unwrap();
    a.await.unwrap();
    b.await.unwrap();

    assert_eq!(rows.len(), count as usize);
    assert_eq!(
        runs.lock().unwrap().len(),
        count as usize,
        "each job ran exactly once"
    );
    assert!(
        rows.iter()
            .all(|j| j.state == "SUCCEEDED" && j.attempts == 1),
        "{rows:?}"
    );
    let owners: HashSet<_> = rows
        .iter()
        .map(|j| {
            let message = j.result_message.clone().unwrap();
            message.split('/').next().unwrap().to_owned()
        })
        .collect();
    assert_eq!(owners.len(), 2, "both runners worked: {owners:?}");
}

#[tokio::test]
async fn a_transient_failure_is_retried_later_and_a_permanent_one_keeps_its_reason() {
    let (database, org) = database_with_org().await;
    let state = replica(&database).await;
    let options = RunnerOptions {
        retry_base: Duration::from_secs(2),
        ..quick(1)
    };
    let flaky = jobs::enqueue(&state, org, JobSpec::SyncPhoneNumbers)
        .await
        .unwrap();
    let execute = |_: AppState, _: JobContext, _: JobSpec| async {
        Err::<String, _>(JobFailure {
            message: "Bandwidth answered 503".into(),
            transient: true,
        })
    };
    assert!(
        jobs::work_one(&state, "runner", &options, &execute)
            .await
            .unwrap()
    );
    let flaky_row = row(&state, flaky.id).await;
    assert_eq!(flaky_row.state, "PENDING");
    assert!(
        flaky_row.run_at > jobs::now_ms(),
        "rescheduled with backoff"
    );
    assert!(flaky_row.result_message.unwrap().contains("503"));
    assert!(
        !jobs::work_one(&state, "runner", &options, &execute)
            .await
            .unwrap(),
        "not due before its backoff"
    );

    let (other_db, other_org) = database_with_org().await;
    let other = replica(&other_db).await;
    let broken = jobs::enqueue(
        &other,
        other_org,
        JobSpec::DeletePhoneNumbers {
            area_code: "919".into(),
        },
    )
    .await
    .unwrap();
    let refuse = |_: AppState, _: JobContext, _: JobSpec| async {
        Err::<String, _>(JobFailure::permanent("Bandwidth said no: 5006"))
    };
    assert!(
        jobs::work_one(&other, "runner", &options, &refuse)
            .await
            .unwrap()
    );
    let broken_row = row(&other, broken.id).await;
    assert_eq!(broken_row.state, "FAILED");
    assert_eq!(
        broken_row.result_message.as_deref(),
        Some("Bandwidth said no: 5006")
    );
}

#[tokio::test]
async fn a_job_whose_runner_died_is_taken_over_after_its_lease() {
    let (database, org) = database_with_org().await;
    let state = replica(&database).await;
    let queued = jobs::enqueue(&state, org, JobSpec::SyncPhoneNumbers)
        .await
        .unwrap();
    let lease_ms = 300;
    let claimed = store::jobs::claim(&state.db, "dead-runner", jobs::now_ms(), lease_ms)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, queued.id);
    assert!(
        store::jobs::claim(&state.db, "other", jobs::now_ms(), lease_ms)
            .await
            .unwrap()
            .is_none()
    );

    tokio::time::sleep(Duration::from_millis(lease_ms as u64 + 50)).await;
    let retaken = store::jobs::claim(&state.db, "survivor", jobs::now_ms(), lease_ms)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retaken.id, queued.id);
    assert_eq!(retaken.attempts, 2, "the takeover counts an attempt");
    assert!(
        !store::jobs::finish(&state.db, queued.id, "dead-runner", "SUCCEEDED", "late")
            .await
            .unwrap(),
        "the dead runner lost its lease"
    );
    assert!(
        !store::jobs::update_payload(&state.db, queued.id, "dead-runner", "{}")
            .await
            .unwrap(),
        "nor may it rewrite the payload"
    );
    assert!(
        store::jobs::finish(&state.db, queued.id, "survivor", "SUCCEEDED", "ok")
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_outlives_its_lease_while_a_second_runner_polls_runs_once() {
    const LEASE: Duration = Duration::from_secs(1);
    let (database, org) = database_with_org().await;
    let replica_a = replica(&database).await;
    let replica_b = replica(&database).await;
    let queued = jobs::enqueue(&replica_a, org, JobSpec::SyncPhoneNumbers)
        .await
        .unwrap();
    let runs = Arc::new(Mutex::new(Vec::new()));
    let started = Arc::new(tokio::sync::Notify::new());
    let execute = {
        let (runs, started) = (runs.clone(), started.clone());
        move |_: AppState, job: JobContext, _: JobSpec| {
            let (runs, started) = (runs.clone(), started.clone());
            async move {
                runs.lock().unwrap().push(job.owner.clone());
                started.notify_one();
                // Four leases long.
                tokio::time::sleep(4 * LEASE).await;
                Ok::<_, JobFailure>("slow but done".to_owned())
            }
        }
    };
    // A lease of 1 s, renewed every third of it: a heartbeat late by a whole lease on a slow
    // machine is not what is tested here (300 ms lapsed once under CPU steal in CI).
    let options = || RunnerOptions {
        lease: LEASE,
        ..quick(2)
    };
    let (stop_a, a) = start_runner(replica_a.clone(), "runner-a", options(), execute.clone());
    started.notified().await;
    let (stop_b, b) = start_runner(replica_b, "runner-b", options(), execute);

    let ended = until_ended(&replica_a, &[queued.id]).await;
    stop_a.send(()).unwrap();
    stop_b.send(()).unwrap();
    a.await.unwrap();
    b.await.unwrap();
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 1, "ran once: {runs:?}");
    assert!(runs[0].starts_with("runner-a/"), "{runs:?}");
    assert_eq!(ended[0].state, "SUCCEEDED", "{ended:?}");
    assert_eq!(ended[0].attempts, 1, "never taken over: {ended:?}");
}

#[tokio::test]
async fn a_runner_that_lost_its_lease_stops_the_job_and_writes_nothing() {
    let (database, org) = database_with_org().await;
    let state = replica(&database).await;
    let queued = jobs::enqueue(&state, org, JobSpec::SyncPhoneNumbers)
        .await
        .unwrap();
    let continued = Arc::new(AtomicUsize::new(0));
    let execute = {
        let continued = continued.clone();
        move |state: AppState, job: JobContext, _: JobSpec| {
            let continued = continued.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(600)).await;
                continued.fetch_add(1, Ordering::SeqCst);
                let spec = JobSpec::DeletePhoneNumbers {
                    area_code: "212".into(),
                };
                jobs::update_spec(&state, &job, &spec).await?;
                Ok::<_, JobFailure>("wrote after losing the lease".to_owned())
            }
        }
    };
    let runner = {
        let state = state.clone();
        tokio::spawn(async move {
            jobs::work_one(&state, "runner", &quick(1), &execute)
                .await
                .unwrap()
        })
    };
    // Another runner takes the job over while the first one runs (as after a stall).
    tokio::time::sleep(Duration::from_millis(150)).await;
    let before = row(&state, queued.id).await;
    assert_eq!(before.state, "RUNNING");
    use sea_orm::ConnectionTrait;
    state
        .db
        .execute_unprepared(&format!(
            "UPDATE bandwidth_jobs SET lease_owner = 'thief' WHERE id = {}",
            queued.id
        ))
        .await
        .unwrap();
    assert!(runner.await.unwrap(), "it had claimed the job");
    tokio::time::sleep(Duration::from_millis(700)).await;

    assert_eq!(
        continued.load(Ordering::SeqCst),
        0,
        "the work was stopped once the lease was lost"
    );
    let after = row(&state, queued.id).await;
    assert_eq!(after.state, "RUNNING");
    assert_eq!(after.lease_owner.as_deref(), Some("thief"));
    assert_eq!(after.payload, before.payload, "the payload is untouched");
    assert_eq!(after.result_message, None, "no outcome written");

    // The job's effects check the lease too: the run that lost it cannot open their transaction.
    let stale = JobContext {
        id: queued.id,
        organization_id: org,
        attempt: before.attempts,
        owner: before.lease_owner.clone().unwrap(),
        lease: Duration::from_millis(300),
    };
    let refused = jobs::begin_effects(&state, &stale).await;
    assert!(
        matches!(refused, Err(spoke_bandwidth::error::AppError::Conflict(_))),
        "{refused:?}"
    );
    let holder = JobContext {
        owner: "thief".into(),
        ..stale
    };
    assert!(jobs::begin_effects(&state, &holder).await.is_ok());
}

#[tokio::test]
async fn a_job_whose_runner_is_killed_every_time_ends_failed_after_the_cap() {
    let (database, org) = database_with_org().await;
    let state = replica(&database).await;
    let queued = jobs::enqueue(&state, org, JobSpec::SyncPhoneNumbers)
        .await
        .unwrap();
    let started = Arc::new(tokio::sync::Notify::new());
    let execute = {
        let started = started.clone();
        move |_: AppState, _: JobContext, _: JobSpec| {
            let started = started.clone();
            async move {
                started.notify_one();
                std::future::pending::<()>().await;
                Ok::<_, JobFailure>("never".to_owned())
            }
        }
    };
    let mut kills = 0;
    for i in 0..jobs::MAX_ATTEMPTS + 3 {
        let (_stop, runner) = start_runner(
            state.clone(),
            &format!("runner-{i}"),
            quick(1),
            execute.clone(),
        );
        let began = tokio::time::timeout(Duration::from_secs(2), started.notified()).await;
        // The process dies mid-job: no outcome, no hand-back, the lease is left to expire.
        runner.abort();
        let _ = runner.await;
        if began.is_err() {
            break;
        }
        kills += 1;
    }

    let ended = row(&state, queued.id).await;
    assert_eq!(kills, jobs::MAX_ATTEMPTS, "{ended:?}");
    assert_eq!(ended.state, "FAILED", "{ended:?}");
    assert_eq!(ended.attempts, jobs::MAX_ATTEMPTS);
    let message = ended.result_message.unwrap();
    assert!(
        message.contains(&format!("gave up after {} attempts", jobs::MAX_ATTEMPTS))
            && message.contains("runner stopped"),
        "{message}"
    );
    assert_eq!(ended.lease_owner, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_job_fails_after_the_cap_and_the_runner_goes_on_with_other_jobs() {
    let database = fresh_database().await;
    let state = replica(&database).await;
    store::migrate(&state.db).await.unwrap();
    let create = |name: &'static str| {
        let db = state.db.clone();
        async move {
            spoke_bandwidth::services::access::create_organization(&db, name)
                .await
                .unwrap()
        }
    };
    let (bad_org, good_org) = (create("Bad").await, create("Good").await);
    let bad = jobs::enqueue(&state, bad_org, JobSpec::SyncPhoneNumbers)
        .await
        .unwrap();
    let mut good = Vec::new();
    for area_code in ["212", "919"] {
        let spec = JobSpec::DeletePhoneNumbers {
            area_code: area_code.into(),
        };
        good.push(jobs::enqueue(&state, good_org, spec).await.unwrap().id);
    }
    let execute = move |_: AppState, job: JobContext, _: JobSpec| async move {
        if job.organization_id == bad_org {
            panic!("a bug in job {}", job.id);
        }
        Ok::<_, JobFailure>("fine".to_owned())
    };
    let (stop, runner) = start_runner(state.clone(), "runner", quick(1), execute);

    let failed = until_ended(&state, &[bad.id]).await.remove(0);
    assert_eq!(failed.state, "FAILED", "{failed:?}");
    assert_eq!(failed.attempts, jobs::MAX_ATTEMPTS);
    let message = failed.result_message.unwrap();
    assert!(
        message.contains("panic")
            && message.contains("a bug in job")
            && message.contains(&format!("gave up after {} attempts", jobs::MAX_ATTEMPTS)),
        "{message}"
    );
    let done = until_ended(&state, &good).await;
    assert!(done.iter().all(|j| j.state == "SUCCEEDED"), "{done:?}");
    // The runner still works jobs queued after the panics.
    let later = jobs::enqueue(&state, good_org, JobSpec::SyncPhoneNumbers)
        .await
        .unwrap();
    assert_eq!(until_ended(&state, &[later.id]).await[0].state, "SUCCEEDED");
    stop.send(()).unwrap();
    runner.await.unwrap();
}

/// One job's run, boxed.
type BoxedRun =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, JobFailure>> + Send>>;

/// Spans of jobs as they ran: (organization, start, end).
type Spans = Arc<Mutex<Vec<(i32, Instant, Instant)>>>;

fn timed(
    spans: Spans,
    in_flight: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
) -> impl Fn(AppState, JobContext, JobSpec) -> BoxedRun + Clone + Send + Sync + 'static {
    move |_: AppState, job: JobContext, _: JobSpec| {
        let (spans, in_flight, most) = (spans.clone(), in_flight.clone(), most.clone());
        Box::pin(async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            let start = Instant::now();
            tokio::time::sleep(Duration::from_millis(150)).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            spans
                .lock()
                .unwrap()
                .push((job.organization_id, start, Instant::now()));
            Ok("timed".to_owned())
        })
    }
}

fn overlapping_jobs_of_one_org(spans: &[(i32, Instant, Instant)]) -> Vec<i32> {
    let mut found = Vec::new();
    for (i, a) in spans.iter().enumerate() {
        for b in &spans[i + 1..] {
            if a.0 == b.0 && a.1 < b.2 && b.1 < a.2 {
                found.push(a.0);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_of_different_organizations_run_at_once_up_to_the_pool_and_one_organizations_one_at_a_time()
 {
    let database = fresh_database().await;
    let state = replica(&database).await;
    store::migrate(&state.db).await.unwrap();
    let mut ids = Vec::new();
    for name in ["A", "B", "C", "D"] {
        let org = spoke_bandwidth::services::access::create_organization(&state.db, name)
            .await
            .unwrap();
        for area_code in ["212", "919"] {
            let spec = JobSpec::DeletePhoneNumbers {
                area_code: area_code.into(),
            };
            ids.push(jobs::enqueue(&state, org, spec).await.unwrap().id);
        }
    }
    let spans: Spans = Arc::default();
    let (in_flight, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let execute = timed(spans.clone(), in_flight, most.clone());
    let (stop, runner) = start_runner(state.clone(), "runner", quick(3), execute);
    let rows = until_ended(&state, &ids).await;
    stop.send(()).unwrap();
    runner.await.unwrap();

    assert!(rows.iter().all(|j| j.state == "SUCCEEDED"), "{rows:?}");
    assert_eq!(
        most.load(Ordering::SeqCst),
        3,
        "three organizations' jobs ran at once, never more"
    );
    let spans = spans.lock().unwrap().clone();
    assert_eq!(spans.len(), ids.len());
    assert_eq!(overlapping_jobs_of_one_org(&spans), Vec::<i32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_run_two_jobs_of_one_organization_at_once() {
    let (database, org) = database_with_org().await;
    let replica_a = replica(&database).await;
    let replica_b = replica(&database).await;
    let mut ids = Vec::new();
    for area_code in ["201", "202", "203", "204", "205", "206"] {
        let spec = JobSpec::DeletePhoneNumbers {
            area_code: area_code.into(),
        };
        ids.push(jobs::enqueue(&replica_a, org, spec).await.unwrap().id);
    }
    let spans: Spans = Arc::default();
    let (in_flight, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let execute = timed(spans.clone(), in_flight, most.clone());
    let (stop_a, a) = start_runner(replica_a.clone(), "runner-a", quick(3), execute.clone());
    let (stop_b, b) = start_runner(replica_b, "runner-b", quick(3), execute);
    let rows = until_ended(&replica_a, &ids).await;
    stop_a.send(()).unwrap();
    stop_b.send(()).unwrap();
    a.await.unwrap();
    b.await.unwrap();

    assert!(
        rows.iter()
            .all(|j| j.state == "SUCCEEDED" && j.attempts == 1),
        "{rows:?}"
    );
    assert_eq!(most.load(Ordering::SeqCst), 1, "one at a time");
    assert_eq!(spans.lock().unwrap().len(), ids.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_purchases_queued_at_once_store_one_job_until_it_ends() {
    let (database, org) = database_with_org().await;
    let replica_a = replica(&database).await;
    let replica_b = replica(&database).await;
    let buy = || JobSpec::BuyPhoneNumbers {
        area_code: "919".into(),
        limit: 2,
        customer_order_id: None,
        order_id: None,
    };
    let mut calls = Vec::new();
    for i in 0..8 {
        let state = if i % 2 == 0 {
            replica_a.clone()
        } else {
            replica_b.clone()
        };
        calls.push(tokio::spawn(async move {
            jobs::enqueue(&state, org, buy()).await.unwrap().id
        }));
    }
    let mut ids = HashSet::new();
    for call in calls {
        ids.insert(call.await.unwrap());
    }
    assert_eq!(ids.len(), 1, "one job for every call: {ids:?}");
    let other_limit = JobSpec::BuyPhoneNumbers {
        area_code: "919".into(),
        limit: 3,
        customer_order_id: None,
        order_id: None,
    };
    let other = jobs::enqueue(&replica_a, org, other_limit).await.unwrap();
    assert!(
        !ids.contains(&other.id),
        "another limit is another purchase"
    );

    let done = |_: AppState, _: JobContext, _: JobSpec| async { Ok::<_, JobFailure>("ok".into()) };
    let first = *ids.iter().next().unwrap();
    while row(&replica_a, first).await.state != "SUCCEEDED" {
        assert!(
            jobs::work_one(&replica_a, "runner", &quick(1), &done)
                .await
                .unwrap()
        );
    }
    let again = jobs::enqueue(&replica_a, org, buy()).await.unwrap();
    assert_ne!(
        again.id, first,
        "once it ended, the same purchase is a new job"
    );
}

#[tokio::test]
async fn a_stopping_runner_hands_its_running_job_back_without_counting_the_attempt() {
    let (database, org) = database_with_org().await;
    let state = replica(&database).await;
    let queued = jobs::enqueue(&state, org, JobSpec::SyncPhoneNumbers)
        .await
        .unwrap();
    let started = Arc::new(tokio::sync::Notify::new());
    let execute = {
        let started = started.clone();
        move |_: AppState, _: JobContext, _: JobSpec| {
            let started = started.clone();
            async move {
                started.notify_one();
                std::future::pending::<()>().await;
                Ok::<_, JobFailure>("never".to_owned())
            }
        }
    };
    let (stop, runner) = start_runner(state.clone(), "runner", quick(1), execute);
    started.notified().await;
    assert_eq!(row(&state, queued.id).await.attempts, 1);
    stop.send(()).unwrap();
    runner.await.unwrap();

    let handed_back = row(&state, queued.id).await;
    assert_eq!(handed_back.state, "PENDING", "{handed_back:?}");
    assert_eq!(handed_back.attempts, 0);
    assert_eq!(handed_back.lease_owner, None);
    assert!(handed_back.run_at <= jobs::now_ms(), "due at once");
}
