//! Whether the callback writer can commit: what `/readyz` reports besides the database itself.
//!
//! Unready while a batch has been committing for longer than [`STALLED_AFTER`] (a lock held on
//! the messages table, a database that stopped answering), for [`FAILED_HOLD`] after a batch
//! failed unless one committed since, and while more than [`MAX_BACKLOG`] requests wait. Each
//! clears by itself: nothing needs to be reset by hand.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Whether the database can take the callback path's writes now (`store::probe`): the other
/// half of `/readyz`.
pub async fn database_ready(db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    crate::store::probe(db).await
}

/// A batch committing longer than this makes the writer unready.
pub const STALLED_AFTER: Duration = Duration::from_secs(3);
/// How long a failed batch keeps the writer unready when nothing has committed since.
pub const FAILED_HOLD: Duration = Duration::from_secs(10);
/// Requests waiting for the writer beyond which it is unready.
pub const MAX_BACKLOG: usize = super::MAX_BATCH * 8;

/// The writer's state as `/readyz` reads it; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct WriterHealth(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// Requests submitted and not answered yet.
    waiting: AtomicUsize,
    /// When the batch being committed started (ms since [`epoch`], plus 1); 0 when idle.
    batch_started: AtomicU64,
    last_success: AtomicU64,
    last_failure: AtomicU64,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64 + 1
}

impl WriterHealth {
    pub(super) fn request_waiting(&self) {
        self.0.waiting.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn request_answered(&self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }

    pub(super) fn batch_started(&self) {
        self.0.batch_started.store(now_ms(), Ordering::Relaxed);
    }

    pub(super) fn batch_ended(&self, committed: bool) {
        self.0.batch_started.store(0, Ordering::Relaxed);
        let field = if committed {
            &self.0.last_success
        } else {
            &self.0.last_failure
        };
        field.store(now_ms(), Ordering::Relaxed);
    }

    /// Requests waiting for the writer now.
    pub fn backlog(&self) -> usize {
        self.0.waiting.load(Ordering::Relaxed)
    }

    /// `Ok` when the writer can take callbacks; otherwise why not, in words for the log.
    pub fn readiness(&self) -> Result<(), String> {
        let now = now_ms();
        let started = self.0.batch_started.load(Ordering::Relaxed);
        if started != 0 && now.saturating_sub(started) > STALLED_AFTER.as_millis() as u64 {
            return Err(format!(
                "the callback writer has been committing one batch for {} ms",
                now - started
            ));
        }
        let failure = self.0.last_failure.load(Ordering::Relaxed);
        let success = self.0.last_success.load(Ordering::Relaxed);
        if failure > success && now.saturating_sub(failure) < FAILED_HOLD.as_millis() as u64 {
            return Err("the callback writer's last batch failed to commit".into());
        }
        let backlog = self.backlog();
        if backlog > MAX_BACKLOG {
            return Err(format!(
                "{backlog} callback requests are waiting for the writer (bound {MAX_BACKLOG})"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_batch_is_unready_until_one_commits() {
        let health = WriterHealth::default();
        assert!(health.readiness().is_ok());
        health.batch_started();
        health.batch_ended(false);
        assert!(health.readiness().is_err());
        health.batch_started();
        health.batch_ended(true);
        assert!(health.readiness().is_ok());
    }

    #[test]
    fn a_backlog_past_the_bound_is_unready() {
        let health = WriterHealth::default();
        for _ in 0..=MAX_BACKLOG {
            health.request_waiting();
        }
        assert!(health.readiness().unwrap_err().contains("waiting"));
        health.request_answered();
        assert!(health.readiness().is_ok());
    }
}
