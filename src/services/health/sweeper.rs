//! The health sweeper: every second, quarantined numbers whose cool-down is over (by
//! `state.clock`) go to probation, and numbers in probation with enough deliveries since it
//! began go back to healthy; then the per-state gauges are refreshed from the database (so every
//! replica reports the same totals). Each move is conditional on the state it leaves, so
//! replicas sweeping one PostgreSQL never take a step twice.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

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

/// Sweeps until the task is dropped.
pub async fn run(state: AppState) {
    loop {
        if let Err(e) = sweep_once(&state).await {
            tracing::warn!(error = %e, "the health sweep failed; trying again later");
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
        if store::health::change_health(
            &state.db,
            number.organization_id,
            &number.phone_number,
            QUARANTINED,
            change,
        )
        .await?
        {
            accounting::event(
                &state.db,
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
        if store::health::change_health(
            &state.db,
            number.organization_id,
            &number.phone_number,
            PROBATION,
            change,
        )
        .await?
        {
            accounting::event(
                &state.db,
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
    }
    refresh_gauges(state).await?;
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
