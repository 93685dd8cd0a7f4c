//! The periodic refresh: every `REGISTRATION_REFRESH_INTERVAL_MS`, each provisioned organization
//! gets a `refresh_registrations` job, so campaign approvals, carriers' decisions and toll-free
//! verifications reach the picker without anyone asking (a `BROKEN` number comes back once a
//! refresh finds it on an active campaign again). Owners can still refresh at once with
//! `refreshRegistrations`.

use std::time::Duration;

use crate::services::jobs::{self, JobSpec};
use crate::state::AppState;
use crate::store;

/// Queues a refresh for every provisioned organization every interval (never when the interval is
/// 0). The first round comes one interval after start, so restarts do not stampede Bandwidth.
pub async fn run(state: AppState) {
    let interval = state.settings.registration_refresh_interval_ms;
    if interval == 0 {
        return;
    }
    loop {
        tokio::time::sleep(Duration::from_millis(interval)).await;
        match queue_refreshes(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(organizations = n, "registration refreshes queued"),
            Err(e) => {
                tracing::warn!(error = %e, "registration refreshes could not be queued; trying again next round")
            }
        }
    }
}

/// Queues one refresh per provisioned organization; returns how many.
async fn queue_refreshes(state: &AppState) -> crate::error::Result<usize> {
    let mut queued = 0;
    for account in store::accounts::list_all(&state.db).await? {
        if account.application_id.is_none() {
            continue; // not provisioned yet: nothing to refresh
        }
        jobs::enqueue(
            state,
            account.organization_id,
            JobSpec::RefreshRegistrations,
        )
        .await?;
        queued += 1;
    }
    Ok(queued)
}
