//! The consent gate of `sendMessage`: refuses a send to an opted-out contact (`OPTED_OUT`) or,
//! when texting hours are enforced, outside them in the contact's local time
//! (`OUTSIDE_TEXTING_HOURS`), before anything is stored or posted; and caps `sendBefore` at the
//! end of the contact's window, so Bandwidth's `expiration` drops a message that would arrive
//! at night.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::hours::{self, Verdict, ZoneSource};
use super::settings::{ConsentSettings, texting_hours};
use super::{Reply, describe_opt_out};
use crate::error::{AppError, Result};
use crate::services::organizations::OrgSettings;
use crate::services::phone::PhoneNumber;
use crate::store;

/// Checks a send and returns its `sendBefore`, capped at the end of the contact's texting
/// window when hours are enforced. A consent reply (`reply`) skips the texting hours (it answers
/// a message the contact just sent), and the opt-out confirmation alone goes to a contact who
/// is opted out. The opt-out is read only when `maybe_opted_out` (`store::sends::in_the_way`
/// found one).
pub async fn check_send(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    organization_id: i32,
    settings: &OrgSettings,
    contact: &PhoneNumber,
    reply: Option<Reply>,
    send_before: Option<DateTime<Utc>>,
    maybe_opted_out: bool,
) -> Result<Option<DateTime<Utc>>> {
    if maybe_opted_out
        && reply != Some(Reply::OptOut)
        && let Some(opt_out) =
            store::consent::find_opt_out(db, organization_id, contact.as_str()).await?
    {
        return Err(AppError::Refused(
            "OPTED_OUT",
            format!(
                "{} opted out of this organization's texts on {} ({}); nothing is sent to them from any number until they text START or an owner removes the opt-out (removeOptOut)",
                contact.as_str(),
                opt_out
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                describe_opt_out(&opt_out.source, &opt_out.reason),
            ),
        ));
    }
    let hours = texting_hours(settings);
    if reply.is_some() || !hours.enforced {
        return Ok(send_before);
    }
    let default_zone = ConsentSettings::from_settings(settings).default_time_zone;
    let (zones, source) = hours::zones_for(contact.as_str(), default_zone);
    match hours::judge(now, &zones, hours.window) {
        Verdict::Inside { until } => Ok(Some(send_before.map_or(until, |t| t.min(until)))),
        Verdict::Outside { zone, local } => {
            let why = match source {
                ZoneSource::Prefix if zones.len() > 1 => format!(
                    "; the number's prefix spans {}, and a send must be inside the hours in all of them",
                    zones.iter().map(|z| z.name()).collect::<Vec<_>>().join(", ")
                ),
                ZoneSource::Prefix => String::new(),
                ZoneSource::OrganizationDefault => {
                    "; the number has no known zone, so the organization's defaultTimeZone is used"
                        .into()
                }
                ZoneSource::Fallback => "; the number has no known zone and the organization no defaultTimeZone, so the hours must hold in every contiguous US zone (Spoke's fallback)".into(),
            };
            Err(AppError::Refused(
                "OUTSIDE_TEXTING_HOURS",
                format!(
                    "it is {} {} ({}) for {}, outside the texting hours {}:00–{}:00 in the contact's local time{why}; send again within the hours",
                    local.format("%H:%M"),
                    local.format("%Z"),
                    zone.name(),
                    contact.as_str(),
                    hours.window.start,
                    hours.window.end,
                ),
            ))
        }
    }
}
