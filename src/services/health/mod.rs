//! Number health (issue #17): every number is `healthy`, `quarantined` (spam/block failures
//! past a threshold within a window; not picked for a cool-down), `probation` (picked again and
//! watched: a strike sends it back, enough deliveries make it healthy) or `retired` (4481, or a
//! relapse after too many quarantines: never picked again, suggested for release). Volume
//! violations pause the number or the campaign instead; contact-level codes never count. A text
//! failing with spam codes on several numbers is flagged for the organization and refused
//! (`CONTENT_FLAGGED`) until an owner clears it; those failures do not count against numbers.
//!
//! Accounting runs in the failure drainer's transaction ([`on_failures`]); time-driven moves in
//! [`sweeper`]; the send path calls [`check_send`]; the picker filters with
//! `store::health::pickable`. Every rule reads `state.clock`. Imports no other capability but
//! `organizations` and `area_codes`.

mod accounting;
pub mod classify;
pub mod content;
mod follow;
pub mod segments;
pub mod settings;
pub mod sweeper;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

use crate::store::failures::SendFailure;

pub use accounting::{Failure, account};
pub use settings::HealthSettings;

use crate::clock::Clock;
use crate::error::{AppError, Result};
use crate::services::access::Caller;
use crate::services::organizations;
use crate::state::AppState;
use crate::store;
use crate::store::entities::phone_number;
use crate::store::health::NewEvent;
use crate::store::health::StrikesOf;
/// The stored rows number health hands to the GraphQL layer (entities, like `store::entities`).
pub use crate::store::health::entities::{event, flagged_text, sender_history};
use crate::store::phone_numbers::ACTIVE;

/// Picked, counted.
pub const HEALTHY: &str = "healthy";
/// Resting: not picked until the cool-down is over.
pub const QUARANTINED: &str = "quarantined";
/// Picked again and watched.
pub const PROBATION: &str = "probation";
/// Never picked again.
pub const RETIRED: &str = "retired";

/// Most transitions `PhoneNumber.health.events` shows.
pub const EVENTS_SHOWN: u64 = 20;
/// Most sender changes a contact's history shows.
pub const HISTORY_SHOWN: u64 = 50;

/// Whether a number in `health`, paused until `paused_until_ms`, may send now.
pub fn may_send_from(health: &str, paused_until_ms: i64, now_ms: i64) -> bool {
    matches!(health, HEALTHY | PROBATION) && paused_until_ms <= now_ms
}

/// The milliseconds a message of `segments` occupies a number at the organization's pace.
pub fn pace_cost_ms(settings: &organizations::OrgSettings, segments: i32) -> i64 {
    HealthSettings::from_settings(settings).segment_ms() * i64::from(segments.max(1))
}

/// The hash a send's text is flagged under, `None` for a send without text.
pub fn content_hash_of(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| content::content_hash(text))
}

/// Refuses a send whose text is flagged for the organization (`CONTENT_FLAGGED`) or whose
/// campaign (or organization) is paused after a volume violation (`SENDING_PAUSED`). Reads only
/// what `in_the_way` found there (`store::sends::in_the_way`, read with [`content_hash_of`]).
pub async fn check_send(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    organization_id: i32,
    text: &str,
    campaign_id: Option<&str>,
    in_the_way: store::sends::InTheWay,
) -> Result<()> {
    if in_the_way.flagged {
        let hash = content::content_hash(text);
        if let Some(flag) = store::health::find_flagged(db, organization_id, &hash).await?
            && flag.cleared_at.is_none()
        {
            return Err(AppError::Refused(
                "CONTENT_FLAGGED",
                format!(
                    "this text failed as spam on {} of the organization's numbers and is flagged (id {}); reword it, or ask an owner to clear it with clearFlaggedText",
                    flag.numbers, flag.id
                ),
            ));
        }
    }
    if !in_the_way.paused {
        return Ok(());
    }
    let pauses = store::health::find_pauses(db, organization_id, campaign_id.unwrap_or("")).await?;
    if let Some(pause) = pauses
        .iter()
        .filter(|p| p.until > now)
        .max_by_key(|p| p.until)
    {
        let scope = if pause.campaign_key.is_empty() {
            "the organization's sending".to_owned()
        } else {
            format!("campaign {}", pause.campaign_key)
        };
        return Err(AppError::Refused(
            "SENDING_PAUSED",
            format!(
                "{scope} is paused until {} after volume violation {}; send again after that",
                pause.until.to_rfc3339(),
                pause.error_code
            ),
        ));
    }
    Ok(())
}

/// The failure drainer's handler (`services::failures`): accounts each failed send against its
/// number or text (see [`account`]), in the drainer's transaction.
pub async fn on_failures(
    txn: &DatabaseTransaction,
    clock: &Clock,
    failures: &[SendFailure],
) -> Result<(), DbErr> {
    let failures: Vec<Failure<'_>> = failures
        .iter()
        .map(|f| Failure {
            organization_id: f.organization_id,
            message_id: f.message_id,
            user_number: &f.user_number,
            contact_number: &f.contact_number,
            error_code: f.error_code,
            text: &f.text,
        })
        .collect();
    account(txn, clock.now(), &failures).await
}

/// Sticky contacts of released numbers follow them to siblings (call after the release, in
/// its transaction).
pub async fn on_released(
    db: &impl ConnectionTrait,
    clock: &Clock,
    organization_id: i32,
    numbers: &[String],
) -> Result<(), DbErr> {
    for number in numbers {
        if let Some(model) = store::health::find_number_any(db, organization_id, number).await? {
            follow::move_contacts_off(db, &model, "released", clock.now()).await?;
        }
    }
    Ok(())
}

/// A number's health as shown.
#[derive(Debug, Clone)]
pub struct NumberHealth {
    pub state: String,
    pub since: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub paused_until: Option<DateTime<Utc>>,
    pub quarantines: i32,
    /// Strikes within the strike window: (code, count), by code.
    pub recent_counts: Vec<(i32, i64)>,
    pub release_suggested: bool,
    pub events: Vec<event::Model>,
}

/// The health of one of the organization's numbers, with its recent counts and transitions.
pub async fn health_of(state: &AppState, number: &phone_number::Model) -> Result<NumberHealth> {
    let org = number.organization_id;
    let s = HealthSettings::from_settings(&organizations::settings(state, org).await?);
    let now = state.clock.now();
    let since = now - chrono::Duration::minutes(s.strike_window_minutes);
    let strikes = store::health::list_strikes(
        &state.db,
        org,
        StrikesOf::Number(&number.phone_number),
        since,
    )
    .await?;
    let counts = accounting::count_codes(strikes.iter().map(|st| st.error_code));
    let events =
        store::health::list_events(&state.db, org, &number.phone_number, EVENTS_SHOWN).await?;
    Ok(NumberHealth {
        state: number.health.clone(),
        since: number.health_since,
        reason: number.health_reason.clone(),
        paused_until: (number.paused_until_ms > now.timestamp_millis())
            .then(|| DateTime::from_timestamp_millis(number.paused_until_ms))
            .flatten(),
        quarantines: number.quarantines,
        recent_counts: counts.into_iter().collect(),
        release_suggested: number.health == RETIRED,
        events,
    })
}

/// Puts a quarantined, probation or retired number back into rotation as healthy (owners; the
/// graphql layer checks the role), recorded as a manual transition by the caller. Its pause is
/// lifted; no contacts come back to it.
pub async fn restore_number(
    state: &AppState,
    caller: &Caller,
    organization_id: i32,
    phone_number: &str,
) -> Result<phone_number::Model> {
    let parsed =
        crate::services::phone::PhoneNumber::parse(phone_number).map_err(AppError::InvalidInput)?;
    let number = store::health::find_number(&state.db, organization_id, parsed.as_str())
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "{} is not one of the organization's numbers",
                parsed.as_str()
            ))
        })?;
    let now = state.clock.now();
    if number.health == HEALTHY && number.paused_until_ms <= now.timestamp_millis() {
        return Ok(number);
    }
    let reason = "put back into rotation by an owner".to_owned();
    let change = store::health::HealthChange {
        to: HEALTHY,
        status: ACTIVE,
        since: now,
        reason: reason.clone(),
        count_quarantine: false,
        probation_after_message_id: None,
    };
    if !store::health::change_health(
        &state.db,
        organization_id,
        &number.phone_number,
        &number.health,
        change,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "the number's health changed meanwhile; read it again and retry".into(),
        ));
    }
    store::health::unpause_number(&state.db, organization_id, &number.phone_number).await?;
    store::health::insert_event(
        &state.db,
        NewEvent {
            organization_id,
            phone_number: number.phone_number.clone(),
            from_state: number.health.clone(),
            to_state: HEALTHY.into(),
            cause: "manual".into(),
            codes: "{}".into(),
            detail: reason,
            user_id: Some(caller.user_id),
            created_at: now,
        },
    )
    .await?;
    store::health::find_number(&state.db, organization_id, &number.phone_number)
        .await?
        .ok_or_else(|| AppError::NotFound("the number is gone".into()))
}

/// The organization's flagged texts, newest first.
pub async fn flagged_texts(
    state: &AppState,
    organization_id: i32,
) -> Result<Vec<flagged_text::Model>> {
    Ok(store::health::list_flagged(&state.db, organization_id).await?)
}

/// Clears a flagged text (owners): it may be sent again, and only failures after now count
/// towards flagging it again.
pub async fn clear_flagged_text(
    state: &AppState,
    caller: &Caller,
    organization_id: i32,
    id: &str,
) -> Result<()> {
    let id: i64 = id.trim().parse().map_err(|_| {
        AppError::InvalidInput(format!(
            "{id:?} is not a flagged text id (see Organization.flaggedTexts)"
        ))
    })?;
    if store::health::clear_flag(
        &state.db,
        organization_id,
        id,
        Some(caller.user_id),
        state.clock.now(),
    )
    .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "the organization has no flagged text {id} (it may be cleared already)"
        )))
    }
}

/// The organization's number-health settings.
pub async fn settings_for(state: &AppState, organization_id: i32) -> Result<HealthSettings> {
    Ok(HealthSettings::from_settings(
        &organizations::settings(state, organization_id).await?,
    ))
}

/// Changes some number-health settings (owners), validated; returns them all.
pub async fn update_settings(
    state: &AppState,
    organization_id: i32,
    changes: serde_json::Map<String, serde_json::Value>,
) -> Result<HealthSettings> {
    let mut result = HealthSettings::default();
    organizations::update_settings(state, organization_id, |stored| {
        let merged = HealthSettings::from_settings(stored).merged_with(&changes)?;
        stored.0.insert(
            settings::KEY.into(),
            serde_json::to_value(merged).map_err(anyhow::Error::from)?,
        );
        result = merged;
        Ok(())
    })
    .await?;
    Ok(result)
}

/// Which numbers served a contact and why they changed, newest first.
pub async fn sender_history(
    state: &AppState,
    organization_id: i32,
    contact_number: &str,
) -> Result<Vec<sender_history::Model>> {
    let contact = crate::services::phone::PhoneNumber::parse(contact_number)
        .map_err(AppError::InvalidInput)?;
    Ok(
        store::health::list_history(&state.db, organization_id, contact.as_str(), HISTORY_SHOWN)
            .await?,
    )
}
