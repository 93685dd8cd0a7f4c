//! Consent (issue #15): STOP, START and HELP on every inbound message, the organization-wide
//! opt-out list, the replies the rules require, and texting hours in the contact's time zone.
//!
//! - `keywords`: what a reply asks for (pure).
//! - `hours`: the contact's zones and whether a time is inside the hours there (pure).
//! - `settings`: the organization's consent settings and their checks.
//! - `gate`: the check at the start of `sendMessage` (`OPTED_OUT`, `OUTSIDE_TEXTING_HOURS`).
//! - Here: the opt-out list's service functions, the rules the callback planner classifies
//!   replies with, and the failure handler that records a carrier's 4775 as an opt-out.
//!
//! The keyword of an inbound message is applied by the callback path (`store::callbacks`) in
//! the transaction that stores the message, and only for a message stored then (a redelivery
//! changes nothing); the reply is a durable job (`consent_replies` sends it) queued in that same
//! transaction. Must not import `messaging`, `callbacks` or `settings_page` (they use this).

pub mod gate;
pub mod hours;
pub mod keywords;
pub mod settings;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, DbErr};

pub use keywords::{Action, Recognised};
pub use settings::{ConsentSettings, DEFAULT_OPT_OUT_MESSAGE, check_settings};

use crate::clock::Clock;
use crate::error::{AppError, Result};
use crate::services::organizations::{self, OrgSettings};
use crate::services::phone::PhoneNumber;
use crate::state::AppState;
use crate::store;
use crate::store::failures::SendFailure;

/// The reply a consent keyword calls for (the same names as the actions).
pub type Reply = Action;

/// Bandwidth's code for a send the carrier refused because the person opted out (contract-2 §6).
pub const CARRIER_OPT_OUT_CODE: i32 = 4775;
/// The most opt-outs one page of `Organization.optOuts` returns.
pub const MAX_OPT_OUT_PAGE: i32 = 100;

/// How an opt-out came about, in words (for messages to clients).
pub fn describe_opt_out(source: &str, reason: &str) -> String {
    match source {
        "keyword" => format!("they texted {}", reason.to_uppercase()),
        "expression" => format!("their reply matched the opt-out expression {reason:?}"),
        "carrier" => format!("the carrier refused a message because they opted out ({reason})"),
        _ => format!("added by hand: {reason}"),
    }
}

/// What the callback planner needs to classify an organization's replies; built from its
/// settings (and cached with them by the callback writer).
#[derive(Debug, Clone)]
pub struct InboundRules {
    expressions: Vec<keywords::Expression>,
    /// Whether a new opt-out is confirmed with the opt-out message.
    pub confirm_opt_out: bool,
}

impl InboundRules {
    /// The rules of an organization's settings.
    pub fn from_settings(settings: &OrgSettings) -> Self {
        let consent = ConsentSettings::from_settings(settings);
        Self {
            expressions: consent.compiled_expressions(),
            confirm_opt_out: consent.opt_out_confirmation,
        }
    }

    /// What a reply's text asks for, if anything.
    pub fn classify(&self, text: &str) -> Option<Recognised> {
        keywords::classify(text, &self.expressions)
    }
}

impl Default for InboundRules {
    fn default() -> Self {
        Self::from_settings(&OrgSettings::default())
    }
}

/// The organization's consent settings.
pub async fn settings(state: &AppState, organization_id: i32) -> Result<ConsentSettings> {
    Ok(ConsentSettings::from_settings(
        &organizations::settings(state, organization_id).await?,
    ))
}

/// A change of the consent settings; `None` leaves a setting alone.
#[derive(Debug, Clone, Default)]
pub struct ConsentUpdate {
    pub opt_out_confirmation: Option<bool>,
    /// An empty text goes back to the default help text.
    pub help_message: Option<String>,
    /// An empty name removes the default zone.
    pub default_time_zone: Option<String>,
    /// An empty list goes back to Spoke's default expression.
    pub opt_out_expressions: Option<Vec<settings::ExpressionEntry>>,
}

/// Changes the consent settings after checking every part.
pub async fn update_settings(
    state: &AppState,
    organization_id: i32,
    update: ConsentUpdate,
) -> Result<ConsentSettings> {
    if let Some(text) = update
        .help_message
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        settings::check_reply_text("helpMessage", text)?;
    }
    if let Some(name) = update
        .default_time_zone
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        settings::parse_zone("defaultTimeZone", name)?;
    }
    if let Some(list) = &update.opt_out_expressions {
        settings::check_expressions(list)?;
    }
    let stored = organizations::update_settings(state, organization_id, |s| {
        if let Some(on) = update.opt_out_confirmation {
            s.0.insert(settings::CONFIRMATION_KEY.into(), on.into());
        }
        match update.help_message.as_deref().map(str::trim) {
            Some("") => {
                s.0.remove(settings::HELP_MESSAGE_KEY);
            }
            Some(text) => {
                s.0.insert(settings::HELP_MESSAGE_KEY.into(), text.into());
            }
            None => {}
        }
        match update.default_time_zone.as_deref().map(str::trim) {
            Some("") => {
                s.0.remove(settings::DEFAULT_ZONE_KEY);
            }
            Some(name) => {
                s.0.insert(settings::DEFAULT_ZONE_KEY.into(), name.into());
            }
            None => {}
        }
        match &update.opt_out_expressions {
            Some(list) if list.is_empty() => {
                s.0.remove(settings::EXPRESSIONS_KEY);
            }
            Some(list) => {
                let value = serde_json::to_value(list).map_err(anyhow::Error::from)?;
                s.0.insert(settings::EXPRESSIONS_KEY.into(), value);
            }
            None => {}
        }
        check_settings(s)
    })
    .await?;
    Ok(ConsentSettings::from_settings(&stored))
}

/// One page of the organization's opt-outs, newest first: at most `first` (1 to
/// [`MAX_OPT_OUT_PAGE`]) older than the opt-out `after` (an id from an earlier page).
pub async fn list_opt_outs(
    state: &AppState,
    organization_id: i32,
    first: i32,
    after: Option<&str>,
) -> Result<Vec<store::consent::OptOut>> {
    if !(1..=MAX_OPT_OUT_PAGE).contains(&first) {
        return Err(AppError::InvalidInput(format!(
            "first must be between 1 and {MAX_OPT_OUT_PAGE}, not {first}"
        )));
    }
    let before = match after.map(str::trim) {
        None | Some("") => None,
        Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| {
            AppError::InvalidInput(format!(
                "after must be the id of an opt-out from an earlier page, not {cursor:?}"
            ))
        })?),
    };
    Ok(store::consent::list_opt_outs(&state.db, organization_id, before, first as u64).await?)
}

/// How many contacts of the organization are opted out.
pub async fn count_opt_outs(state: &AppState, organization_id: i32) -> Result<u64> {
    Ok(store::consent::count_opt_outs(&state.db, organization_id).await?)
}

/// Opts a contact out by hand (recorded as `manual`, with the member and the reason); an
/// existing opt-out is kept as it is. Returns the contact's opt-out.
pub async fn add_opt_out(
    state: &AppState,
    organization_id: i32,
    user_id: i32,
    cell: &str,
    reason: Option<&str>,
) -> Result<store::consent::OptOut> {
    let contact = PhoneNumber::parse(cell).map_err(AppError::InvalidInput)?;
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("manual");
    settings::check_reason(reason)?;
    store::consent::insert_opt_out(
        &state.db,
        store::consent::NewOptOut {
            organization_id,
            contact_number: contact.as_str(),
            source: "manual",
            reason,
            message_id: None,
            created_by: Some(user_id),
            created_at: state.clock.now(),
        },
    )
    .await?;
    store::consent::find_opt_out(&state.db, organization_id, contact.as_str())
        .await?
        .ok_or_else(|| AppError::Conflict("the opt-out was removed meanwhile; try again".into()))
}

/// Removes a contact's opt-out by hand; false when the contact was not opted out.
pub async fn remove_opt_out(state: &AppState, organization_id: i32, cell: &str) -> Result<bool> {
    let contact = PhoneNumber::parse(cell).map_err(AppError::InvalidInput)?;
    Ok(store::consent::delete_opt_out(&state.db, organization_id, contact.as_str()).await?)
}

/// The failure handler (`services::failures`): a send the carrier refused with 4775 opts its
/// contact out (recorded as `carrier`, from that message); no confirmation is sent, since the
/// contact did not text us. A contact already opted out keeps its first opt-out.
pub async fn on_failures(
    txn: &DatabaseTransaction,
    clock: &Clock,
    failures: &[SendFailure],
) -> Result<(), DbErr> {
    let now: DateTime<Utc> = clock.now();
    for failure in failures
        .iter()
        .filter(|f| f.error_code == Some(CARRIER_OPT_OUT_CODE))
    {
        let recorded = store::consent::insert_opt_out(
            txn,
            store::consent::NewOptOut {
                organization_id: failure.organization_id,
                contact_number: &failure.contact_number,
                source: "carrier",
                reason: "4775 destination-rejected-due-to-user-opt-out",
                message_id: Some(failure.message_id),
                created_by: None,
                created_at: now,
            },
        )
        .await?;
        if recorded {
            tracing::info!(
                org_id = failure.organization_id,
                message_id = failure.message_id,
                "the carrier says a contact opted out (4775); recorded"
            );
        }
    }
    Ok(())
}
