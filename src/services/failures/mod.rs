//! What a failed send says, accounted exactly once: the callback path leaves every message it
//! moves to ERROR in the failure outbox (`store::failures`) in the transaction that fails it; this
//! drainer takes the rows in order, runs the handlers of each capability over them and deletes
//! them, all in one transaction. A crash before the commit leaves the rows for the next drain, so
//! nothing is lost or counted twice; on PostgreSQL, replicas skip each other's locked rows.
//!
//! A handler decides from the failure's code what it means for its capability (an opt-out, a
//! registration problem, a sick number …) and writes its effects in the given transaction.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use sea_orm::{DatabaseTransaction, DbErr, TransactionTrait};

use crate::clock::Clock;
use crate::state::AppState;
use crate::store;

pub use crate::store::failures::SendFailure;

/// Most failures accounted in one transaction.
const BATCH: u64 = 200;
/// How often the outbox is looked at without a wake-up (leftovers of a crash, other replicas).
const POLL: Duration = Duration::from_secs(1);

/// The handlers, in order (one line per capability); each sees every failure of the batch.
async fn apply_handlers(
    txn: &DatabaseTransaction,
    clock: &Clock,
    failures: &[SendFailure],
) -> Result<(), DbErr> {
    crate::services::consent::on_failures(txn, clock, failures).await?;
    crate::services::health::on_failures(txn, clock, failures).await?;
    crate::services::registration::failures::on_failures(txn, clock, failures).await?;
    Ok(())
}

/// Drains the outbox whenever the callback path wakes it (and every [`POLL`]) until `stop`.
pub async fn run(state: AppState, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let poisoned = Poisoned::default();
    loop {
        loop {
            match drain_once(&state.db, &state.clock, &poisoned).await {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "the failure outbox could not be drained; trying again later");
                    break;
                }
            }
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = state.failures_wakeup.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Ids a handler failed on even alone: left in the outbox (a restart tries them again) but not
/// retried by this process, so one bad row cannot hold back the others.
#[derive(Default)]
struct Poisoned(Mutex<HashSet<i64>>);

impl Poisoned {
    fn snapshot(&self) -> Vec<i64> {
        self.0
            .lock()
            .expect("not poisoned")
            .iter()
            .copied()
            .collect()
    }
    fn add(&self, id: i64) {
        self.0.lock().expect("not poisoned").insert(id);
    }
}

/// Accounts one batch; returns how many failures it accounted.
async fn drain_once(
    db: &sea_orm::DatabaseConnection,
    clock: &Clock,
    poisoned: &Poisoned,
) -> Result<usize, DbErr> {
    let txn = db.begin().await?;
    let taken = store::failures::take(&txn, BATCH, &poisoned.snapshot()).await?;
    if taken.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let ids: Vec<i64> = taken.iter().map(|f| f.id).collect();
    match apply_handlers(&txn, clock, &taken).await {
        Ok(()) => {
            store::failures::delete(&txn, &ids).await?;
            txn.commit().await?;
            metrics::counter!("send_failures_accounted_total").increment(ids.len() as u64);
            Ok(ids.len())
        }
        Err(e) if taken.len() == 1 => {
            txn.rollback().await?;
            tracing::error!(error = %e, failure_id = ids[0], org_id = taken[0].organization_id, "a failed send could not be accounted; it stays in the outbox");
            poisoned.add(ids[0]);
            Ok(1)
        }
        Err(e) => {
            txn.rollback().await?;
            tracing::warn!(error = %e, failures = taken.len(), "accounting a batch of failed sends failed; accounting them one by one");
            for failure in taken {
                let txn = db.begin().await?;
                match apply_handlers(&txn, clock, std::slice::from_ref(&failure)).await {
                    Ok(()) => {
                        store::failures::delete(&txn, &[failure.id]).await?;
                        txn.commit().await?;
                    }
                    Err(e) => {
                        txn.rollback().await?;
                        tracing::error!(error = %e, failure_id = failure.id, org_id = failure.organization_id, "a failed send could not be accounted; it stays in the outbox");
                        poisoned.add(failure.id);
                    }
                }
            }
            Ok(ids.len())
        }
    }
}
