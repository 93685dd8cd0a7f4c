//! The durable job runner: leases, retries, outcomes, and replicas racing on one database.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::EntityTrait;
use spoke_bandwidth::services::jobs::{self, JobFailure, JobSpec};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_on_one_database_never_run_the_same_job_twice() {
    let (database, org) = database_with_org().await;
    let replica_a = replica(&database).await;
    let replica_b = replica(&database).await;
    let count = 40;
    for _ in 0..count {
        jobs::enqueue(&replica_a, org, JobSpec::SyncPhoneNumbers)
            .await
            .unwrap();
    }

    let runs = Arc::new(Mutex::new(Vec::new()));
    let race = |state: AppState, owner: &'static str| {
        let runs = runs.clone();
        async move {
            let execute = |_: AppState, _: jobs::JobContext, _: JobSpec| {
                let runs = runs.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    runs.lock().unwrap().push(owner);
                    Ok::<_, JobFailure>(format!("done by {owner}"))
                }
            };
            for _ in 0..count * 2 {
                if !jobs::work_one(&state, owner, &execute).await.unwrap() {
                    break;
                }
            }
        }
    };
    tokio::join!(race(replica_a, "runner-a"), race(replica_b, "runner-b"));

    let rows = job::Entity::find()
        .all(&replica(&database).await.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), count);
    assert_eq!(
        runs.lock().unwrap().len(),
        count,
        "each job ran exactly once"
    );
    assert!(
        rows.iter()
            .all(|j| j.state == "SUCCEEDED" && j.attempts == 1),
        "{rows:?}"
    );
    let ids: HashSet<_> = rows.iter().map(|j| j.id).collect();
    assert_eq!(ids.len(), count);
}

#[tokio::test]
async fn a_transient_failure_is_retried_later_and_a_permanent_one_keeps_its_reason() {
    let (database, org) = database_with_org().await;
    let state = replica(&database).await;
    let flaky = jobs::enqueue(&state, org, JobSpec::SyncPhoneNumbers)
        .await
        .unwrap();
    let execute = |_: AppState, _: jobs::JobContext, _: JobSpec| async {
        Err::<String, _>(JobFailure {
            message: "Bandwidth answered 503".into(),
            transient: true,
        })
    };
    assert!(jobs::work_one(&state, "runner", &execute).await.unwrap());
    let row = job::Entity::find_by_id(flaky.id)
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, "PENDING");
    assert!(row.run_at > jobs::now_ms(), "rescheduled with backoff");
    assert!(row.result_message.unwrap().contains("503"));
    assert!(
        !jobs::work_one(&state, "runner", &execute).await.unwrap(),
        "not due before its backoff"
    );

    let broken = jobs::enqueue(
        &state,
        org,
        JobSpec::DeletePhoneNumbers {
            area_code: "919".into(),
        },
    )
    .await
    .unwrap();
    let refuse = |_: AppState, _: jobs::JobContext, _: JobSpec| async {
        Err::<String, _>(JobFailure::permanent("Bandwidth said no: 5006"))
    };
    assert!(jobs::work_one(&state, "runner", &refuse).await.unwrap());
    let row = job::Entity::find_by_id(broken.id)
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, "FAILED");
    assert_eq!(
        row.result_message.as_deref(),
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
    let lease_ms = 1_000;
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
    assert_eq!(retaken.attempts, 2);
    assert!(
        !store::jobs::finish(&state.db, queued.id, "dead-runner", "SUCCEEDED", "late")
            .await
            .unwrap(),
        "the dead runner lost its lease"
    );
    assert!(
        store::jobs::finish(&state.db, queued.id, "survivor", "SUCCEEDED", "ok")
            .await
            .unwrap()
    );
}
