//! The health sweeper: every second, quarantined numbers whose cool-down is over (by
//! `state.clock`) go to probation, and numbers in probation with enough deliveries since it
//! began go back to healthy. Every 15 s the per-state gauges are recounted from the database (so
//! every replica reports the same totals); every hour strikes older than the longest window a
//! setting allows are deleted. Each move is conditional on the state it leaves, so
//! replicas sweeping one PostgreSQL never take a step twice.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use sea_orm::TransactionTrait;

use super::settings::HealthSettings;
use super::{HEALTHY, PROBATION, QUARANTINED, RETIRED, accounting};
use crate::error::Result;
use crate::services::organizations;
use crate::state::AppState;
use crate::store;
use crate::store::health::HealthChange;
use crate::store::phone_numbers::ACTIVE;

/// How often the sweeper looks.
const INTERVAL: Duration = Duration::from_secs(1);

/// How often the gauges are recounted (a count over every number).
const GAUGE_INTERVAL: Duration = Duration::from_secs(15);
/// How often strikes older than the longest window a setting allows are deleted.
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);
/// The longest strike or content window a setting allows (7 days).
const LONGEST_WINDOW_MINUTES: i64 = 10_080;

/// Sweeps until the task is dropped; recounts the gauges every [`GAUGE_INTERVAL`] and prunes
/// old strikes every [`PRUNE_INTERVAL`] (both at start too).
pub async fn run(state: AppState) {
    let mut gauges_at: Option<std::time::Instant> = None;
    let mut pruned_at: Option<std::time::Instant> = None;
    loop {
        if let Err(e) = sweep_once(&state).await {
            tracing::warn!(error = %e, "the health sweep failed; trying again later");
        }
        if gauges_at.is_none_or(|t| t.elapsed() >= GAUGE_INTERVAL) {
            match refresh_gauges(&state).await {
                Ok(()) => gauges_at = Some(std::time::Instant::now()),
                Err(e) => tracing::warn!(error = %e, "the health gauges could not be counted"),
            }
        }
        if pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_INTERVAL) {
            let before = state.clock.now() - chrono::Duration::minutes(LONGEST_WINDOW_MINUTES);
            match store::health::delete_strikes_before(&state.db, before).await {
                Ok(n) => {
                    pruned_at = Some(std::time::Instant::now());
                    if n > 0 {
                        tracing::info!(deleted = n, "old strikes pruned");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "old strikes could not be pruned"),
            }
        }
        tokio::time::sleep(INTERVAL).await;
    }
}

/// What one sweep moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub to_probation: usize,
    pub to_healthy: usize,
}

/// One pass.
pub async fn sweep_once(state: &AppState) -> Result<Swept> {
    let now = state.clock.now();
    let mut swept = Swept::default();
    let mut settings: HashMap<i32, HealthSettings> = HashMap::new();
    for number in store::health::list_in_state(&state.db, QUARANTINED).await? {
        let s = settings_of(state, &mut settings, number.organization_id).await?;
        let rested = number
            .health_since
            .is_none_or(|since| since + chrono::Duration::minutes(s.cooldown_minutes) <= now);
        if !rested {
            continue;
        }
        let mark = store::health::last_message_id(&state.db, number.organization_id).await?;
        let reason = format!(
            "cool-down of {} min over: watched for {} deliveries",
            s.cooldown_minutes, s.probation_deliveries
        );
        let change = HealthChange {
            to: PROBATION,
            status: ACTIVE,
            since: now,
            reason: reason.clone(),
            count_quarantine: false,
            probation_after_message_id: Some(mark),
        };
        // The move and its event in one transaction: a reader never sees one without the other.
        let txn = state.db.begin().await?;
        if store::health::change_health(
            &txn,
            number.organization_id,
            &number.phone_number,
            QUARANTINED,
            change,
        )
        .await?
        {
            accounting::event(
                &txn,
                now,
                &number,
                PROBATION,
                "cooldown_over",
                &BTreeMap::new(),
                reason,
            )
            .await?;
            swept.to_probation += 1;
        }
        txn.commit().await?;
    }
    for number in store::health::list_in_state(&state.db, PROBATION).await? {
        let s = settings_of(state, &mut settings, number.organization_id).await?;
        let needed = s.probation_deliveries.max(1) as u64;
        let delivered = store::health::count_deliveries_after(
            &state.db,
            number.organization_id,
            &number.phone_number,
            number.probation_after_message_id.unwrap_or(0),
            needed,
        )
        .await?;
        if delivered < needed {
            continue;
        }
        let reason = format!("{delivered} deliveries in probation without a strike");
        let change = HealthChange {
            to: HEALTHY,
            status: ACTIVE,
            since: now,
            reason: reason.clone(),
            count_quarantine: false,
            probation_after_message_id: None,
        };
        // The move and its event in one transaction: a reader never sees one without the other.
        let txn = state.db.begin().await?;
        if store::health::change_health(
            &txn,
            number.organization_id,
            &number.phone_number,
            PROBATION,
            change,
        )
        .await?
        {
            accounting::event(
                &txn,
                now,
                &number,
                HEALTHY,
                "probation_passed",
                &BTreeMap::new(),
                reason,
            )
            .await?;
            swept.to_healthy += 1;
        }
        txn.commit().await?;
    }
    Ok(swept)
}

async fn settings_of(
    state: &AppState,
    cache: &mut HashMap<i32, HealthSettings>,
    org: i32,
) -> Result<HealthSettings> {
    if let Some(s) = cache.get(&org) {
        return Ok(*s);
    }
    let s = HealthSettings::from_settings(&organizations::settings(state, org).await?);
    cache.insert(org, s);
    Ok(s)
}

/// Sets `phone_numbers_health{state}` to the count of numbers (not released) in each state.
pub async fn refresh_gauges(state: &AppState) -> Result<()> {
    let counts = store::health::count_by_health(&state.db).await?;
    for health in [HEALTHY, PROBATION, QUARANTINED, RETIRED] {
        let n = counts
            .iter()
            .find(|c| c.health == health)
            .map_or(0, |c| c.count);
        metrics::gauge!("phone_numbers_health", "state" => health).set(n as f64);
    }
    Ok(())
}
