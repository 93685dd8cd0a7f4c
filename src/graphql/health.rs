//! Number health in the schema (issue #17): `PhoneNumber.health`, the organization's flagged
//! texts, health settings and contacts' sender history, and the owners' mutations that put a
//! number back into rotation, clear a flagged text and change the settings.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::settings::member_of;
use super::types::PhoneNumber;
use super::{IntoGql, caller, state};
use crate::services::access::Role;
use crate::services::health::{
    self, HealthSettings, NumberHealth as Health, event, flagged_text, sender_history as history,
};

/// Where a number stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum NumberHealthState {
    /// Picked and counted.
    Healthy,
    /// Spam/block failures past the threshold: not picked until the cool-down is over.
    Quarantined,
    /// Picked again and watched: a strike quarantines it again, enough deliveries make it healthy.
    Probation,
    /// Never picked again (4481, or relapses); suggested for release.
    Retired,
}

impl NumberHealthState {
    fn from_stored(s: &str) -> Self {
        match s {
            health::QUARANTINED => Self::Quarantined,
            health::PROBATION => Self::Probation,
            health::RETIRED => Self::Retired,
            _ => Self::Healthy,
        }
    }
}

/// How often an error code was seen.
#[derive(Debug, Clone, SimpleObject)]
pub struct ErrorCodeCount {
    pub code: i32,
    pub count: i32,
}

fn code_counts(json: &str) -> Vec<ErrorCodeCount> {
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).unwrap_or_default();
    parsed
        .iter()
        .filter_map(|(code, n)| {
            Some(ErrorCodeCount {
                code: code.parse().ok()?,
                count: n.as_i64()? as i32,
            })
        })
        .collect()
}

/// A transition of a number's health, with its cause.
#[derive(Debug, Clone, SimpleObject)]
pub struct NumberHealthEvent {
    pub from: NumberHealthState,
    pub to: NumberHealthState,
    /// `strikes`, `relapse`, `blacklisted`, `relapses`, `cooldown_over`, `probation_passed`,
    /// `volume_pause` or `manual`.
    pub cause: String,
    /// The failures that triggered it.
    pub codes: Vec<ErrorCodeCount>,
    pub detail: String,
    /// The member who made a manual change.
    pub user_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<event::Model> for NumberHealthEvent {
    fn from(e: event::Model) -> Self {
        Self {
            from: NumberHealthState::from_stored(&e.from_state),
            to: NumberHealthState::from_stored(&e.to_state),
            codes: code_counts(&e.codes),
            cause: e.cause,
            detail: e.detail,
            user_id: e.user_id.map(|id| id.to_string()),
            at: e.created_at,
        }
    }
}

/// A number's health.
#[derive(Debug, Clone, SimpleObject)]
pub struct NumberHealth {
    pub state: NumberHealthState,
    /// When it entered this state (absent: healthy since it was added).
    pub since: Option<DateTime<Utc>>,
    /// Why it is in this state (codes and counts).
    pub reason: Option<String>,
    /// Until when a volume violation keeps it from being picked.
    pub paused_until: Option<DateTime<Utc>>,
    /// How many times it was quarantined.
    pub quarantines: i32,
    /// Spam/block failures within the strike window, by code.
    pub recent_counts: Vec<ErrorCodeCount>,
    /// Retired numbers are best released.
    pub release_suggested: bool,
    /// The latest transitions, newest first (at most 20).
    pub events: Vec<NumberHealthEvent>,
}

impl From<Health> for NumberHealth {
    fn from(h: Health) -> Self {
        Self {
            state: NumberHealthState::from_stored(&h.state),
            since: h.since,
            reason: h.reason,
            paused_until: h.paused_until,
            quarantines: h.quarantines,
            recent_counts: h
                .recent_counts
                .into_iter()
                .map(|(code, count)| ErrorCodeCount {
                    code,
                    count: count as i32,
                })
                .collect(),
            release_suggested: h.release_suggested,
            events: h.events.into_iter().map(Into::into).collect(),
        }
    }
}

#[ComplexObject]
impl PhoneNumber {
    /// The number's health: state, since, reason, recent failure counts and transitions.
    async fn health(&self, ctx: &Context<'_>) -> Result<NumberHealth> {
        Ok(health::health_of(state(ctx), &self.model)
            .await
            .gql()?
            .into())
    }

    /// The 10DLC campaign the number is on (local numbers; issue #16).
    async fn campaign_id(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        super::registration::campaign_id_of(self, ctx).await
    }

    /// Local numbers: UNREGISTERED, PENDING, REGISTERED, FAILED or BROKEN; toll-free: UNVERIFIED,
    /// PENDING, VERIFIED or BROKEN.
    async fn registration_status(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::registration::RegistrationStatus> {
        super::registration::registration_status_of(self, ctx).await
    }

    /// Bandwidth's code of the last assignment failure, denial or send failure.
    async fn registration_error_code(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        super::registration::registration_error_code_of(self, ctx).await
    }

    /// Bandwidth's text of the last assignment failure, the denial reason, or the send failure.
    async fn registration_detail(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        super::registration::registration_detail_of(self, ctx).await
    }

    /// Toll-free: whether Bandwidth allows resubmitting a denied verification.
    async fn resubmit_allowed(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        super::registration::resubmit_allowed_of(self, ctx).await
    }

    /// Whether the number can deliver (what the picker needs when registration is enforced).
    async fn deliverable(&self, ctx: &Context<'_>) -> Result<bool> {
        super::registration::deliverable_of(self, ctx).await
    }
}

/// A text flagged for the organization: its spam failures came from several numbers.
#[derive(Debug, Clone, SimpleObject)]
pub struct FlaggedText {
    pub id: String,
    /// The text of the failure that flagged it (texts count as the same once normalised).
    pub text: String,
    /// Spam failures of the text within the window.
    pub failures: i32,
    /// Distinct numbers they came from.
    pub numbers: i32,
    pub codes: Vec<ErrorCodeCount>,
    pub flagged_at: DateTime<Utc>,
}

impl From<flagged_text::Model> for FlaggedText {
    fn from(f: flagged_text::Model) -> Self {
        Self {
            id: f.id.to_string(),
            codes: code_counts(&f.codes),
            text: f.text,
            failures: f.failures,
            numbers: f.numbers,
            flagged_at: f.flagged_at,
        }
    }
}

/// A change of the number that serves a contact.
#[derive(Debug, Clone, SimpleObject)]
pub struct SenderChange {
    pub from_number: Option<String>,
    /// Absent when no healthy number could take the contact (the picker chooses at its next send).
    pub to_number: Option<String>,
    /// `quarantined`, `retired` or `released`: what happened to `fromNumber`.
    pub reason: String,
    pub at: DateTime<Utc>,
}

impl From<history::Model> for SenderChange {
    fn from(h: history::Model) -> Self {
        Self {
            from_number: h.from_number,
            to_number: h.to_number,
            reason: h.reason,
            at: h.created_at,
        }
    }
}

/// The organization's number-health settings (README "Number health" lists the defaults).
#[derive(Debug, Clone, SimpleObject)]
pub struct NumberHealthSettings {
    pub quarantine_strikes: i32,
    pub strike_window_minutes: i32,
    pub cooldown_minutes: i32,
    pub probation_deliveries: i32,
    pub retire_after_quarantines: i32,
    pub content_flag_numbers: i32,
    pub content_window_minutes: i32,
    pub number_pause_minutes: i32,
    pub campaign_pause_minutes: i32,
    pub segments_per_second: i32,
}

impl From<HealthSettings> for NumberHealthSettings {
    fn from(s: HealthSettings) -> Self {
        Self {
            quarantine_strikes: s.quarantine_strikes as i32,
            strike_window_minutes: s.strike_window_minutes as i32,
            cooldown_minutes: s.cooldown_minutes as i32,
            probation_deliveries: s.probation_deliveries as i32,
            retire_after_quarantines: s.retire_after_quarantines as i32,
            content_flag_numbers: s.content_flag_numbers as i32,
            content_window_minutes: s.content_window_minutes as i32,
            number_pause_minutes: s.number_pause_minutes as i32,
            campaign_pause_minutes: s.campaign_pause_minutes as i32,
            segments_per_second: s.segments_per_second as i32,
        }
    }
}

/// Settings to change; absent fields keep their value.
#[derive(Debug, Clone, InputObject)]
pub struct NumberHealthSettingsInput {
    pub quarantine_strikes: Option<i32>,
    pub strike_window_minutes: Option<i32>,
    pub cooldown_minutes: Option<i32>,
    pub probation_deliveries: Option<i32>,
    pub retire_after_quarantines: Option<i32>,
    pub content_flag_numbers: Option<i32>,
    pub content_window_minutes: Option<i32>,
    pub number_pause_minutes: Option<i32>,
    pub campaign_pause_minutes: Option<i32>,
    pub segments_per_second: Option<i32>,
}

impl NumberHealthSettingsInput {
    fn changes(&self) -> serde_json::Map<String, serde_json::Value> {
        let fields = [
            ("quarantineStrikes", self.quarantine_strikes),
            ("strikeWindowMinutes", self.strike_window_minutes),
            ("cooldownMinutes", self.cooldown_minutes),
            ("probationDeliveries", self.probation_deliveries),
            ("retireAfterQuarantines", self.retire_after_quarantines),
            ("contentFlagNumbers", self.content_flag_numbers),
            ("contentWindowMinutes", self.content_window_minutes),
            ("numberPauseMinutes", self.number_pause_minutes),
            ("campaignPauseMinutes", self.campaign_pause_minutes),
            ("segmentsPerSecond", self.segments_per_second),
        ];
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.into())))
            .collect()
    }
}

/// `Organization.flaggedTexts` (admins and owners).
pub async fn flagged_texts(ctx: &Context<'_>, org: i32) -> Result<Vec<FlaggedText>> {
    caller(ctx).gql()?.require(org, Role::Admin).gql()?;
    Ok(health::flagged_texts(state(ctx), org)
        .await
        .gql()?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// `Organization.numberHealthSettings` (admins and owners).
pub async fn settings(ctx: &Context<'_>, org: i32) -> Result<NumberHealthSettings> {
    caller(ctx).gql()?.require(org, Role::Admin).gql()?;
    Ok(health::settings_for(state(ctx), org).await.gql()?.into())
}

/// `Organization.senderHistory` (admins and owners).
pub async fn sender_history(
    ctx: &Context<'_>,
    org: i32,
    contact_number: &str,
) -> Result<Vec<SenderChange>> {
    caller(ctx).gql()?.require(org, Role::Admin).gql()?;
    Ok(health::sender_history(state(ctx), org, contact_number)
        .await
        .gql()?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The owners' number-health mutations.
#[derive(Default)]
pub struct HealthMutation;

#[Object]
impl HealthMutation {
    /// Puts a quarantined, probation or retired (or paused) number back into rotation as
    /// healthy (owners); recorded as a manual transition. No contacts come back to it.
    async fn restore_phone_number(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        phone_number: String,
    ) -> Result<PhoneNumber> {
        let org = member_of(ctx, &organization_id, Role::Owner)?;
        let caller = caller(ctx).gql()?;
        Ok(
            health::restore_number(state(ctx), caller, org, &phone_number)
                .await
                .gql()?
                .into(),
        )
    }

    /// Clears a flagged text so it may be sent again (owners).
    async fn clear_flagged_text(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        id: String,
    ) -> Result<bool> {
        let org = member_of(ctx, &organization_id, Role::Owner)?;
        let caller = caller(ctx).gql()?;
        health::clear_flagged_text(state(ctx), caller, org, &id)
            .await
            .gql()?;
        Ok(true)
    }

    /// Changes number-health thresholds, windows and cool-downs (owners); a value out of its
    /// bounds is refused, naming them.
    async fn update_number_health_settings(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        input: NumberHealthSettingsInput,
    ) -> Result<NumberHealthSettings> {
        let org = member_of(ctx, &organization_id, Role::Owner)?;
        Ok(health::update_settings(state(ctx), org, input.changes())
            .await
            .gql()?
            .into())
    }
}
