//! The send sweeper: a task `serve` runs beside the job runner, every `SEND_SWEEP_INTERVAL_MS`,
//! that ends every intermediate state within a bounded time (README "Message states"):
//! - `QUEUED` for longer than `SEND_TIMEOUT_MS` + [`MARGIN`]: the server stopped before posting
//!   it, so Bandwidth never saw it → `ERROR`;
//! - `SENDING` for that long: the answer was lost, or writing it failed → `UNKNOWN`;
//! - `UNKNOWN`: reconciled with Bandwidth's message list (see `reconcile`).
//!
//! Every step is conditional on the status it moves from, so replicas sweeping one PostgreSQL
//! never take a step twice.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;

use super::reconcile::{Settled, reconcile};
use crate::error::Result;
use crate::state::AppState;
use crate::store;
use crate::store::sends::Outcome;

/// Slack after `SEND_TIMEOUT_MS` before a send is considered abandoned (its outcome is written
/// right after the timeout; this leaves room for a slow write).
pub const MARGIN: Duration = Duration::from_secs(2);
/// Most messages of each kind handled per sweep (lookups count against Bandwidth's list limit).
const PER_SWEEP: u64 = 50;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub abandoned_queued: usize,
    pub lost_answers: usize,
    pub reconciled: usize,
}

/// Sweeps every `SEND_SWEEP_INTERVAL_MS` until `stop` resolves (the first sweep at once, so a
/// restart settles what a stopped server left).
pub async fn run(state: AppState, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let interval = Duration::from_millis(state.settings.send_sweep_interval_ms);
    loop {
        match sweep_once(&state).await {
            Ok(swept) if swept != Swept::default() => tracing::info!(?swept, "send sweep"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the send sweep failed; trying again later"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

/// One pass over the messages whose outcome is not known.
pub async fn sweep_once(state: &AppState) -> Result<Swept> {
    let mut swept = Swept::default();
    let stale = state.settings.send_timeout() + MARGIN;
    let cutoff = Utc::now() - chrono::Duration::from_std(stale).unwrap_or_default();

    for message in store::sends::list_stale(&state.db, "QUEUED", cutoff, PER_SWEEP).await? {
        let outcome = Outcome {
            send_status: "ERROR",
            error_description: Some(
                "not sent: the server stopped before posting the message to Bandwidth".into(),
            ),
            ..Default::default()
        };
        if store::sends::settle(&state.db, message.id, &["QUEUED"], outcome)
            .await?
            .is_some()
        {
            swept.abandoned_queued += 1;
        }
    }
    for message in store::sends::list_stale(&state.db, "SENDING", cutoff, PER_SWEEP).await? {
        let outcome = Outcome {
            send_status: "UNKNOWN",
            error_description: Some(
                "Bandwidth's answer never reached us (or could not be stored); its outcome is being checked with Bandwidth".into(),
            ),
            ..Default::default()
        };
        if store::sends::settle(&state.db, message.id, &["SENDING"], outcome)
            .await?
            .is_some()
        {
            swept.lost_answers += 1;
        }
    }
    let unknown = store::sends::list_stale(&state.db, "UNKNOWN", Utc::now(), PER_SWEEP).await?;
    for message in unknown {
        match reconcile(state, &message).await {
            Ok(Settled::Pending) => {}
            Ok(_) => swept.reconciled += 1,
            Err(e) => {
                tracing::warn!(error = %e, message_id = message.id, "could not reconcile a message")
            }
        }
    }
    Ok(swept)
}
