//! Health accounting: what each `message-failed` does to its sending number, in the failure
//! drainer's transaction (so it happens exactly once per failure). Spam and block failures are
//! strikes; a text failing with spam codes on several numbers is flagged instead of counting
//! against them; 4481 retires at once; volume violations pause; everything else is ignored.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::classify::{Class, classify};
use super::content::content_hash;
use super::settings::HealthSettings;
use super::{HEALTHY, PROBATION, QUARANTINED, RETIRED, follow};
use crate::services::organizations::OrgSettings;
use crate::store;
use crate::store::entities::phone_number;
use crate::store::health::StrikesOf;
use crate::store::health::{HealthChange, NewEvent, NewFlag, NewStrike};
use crate::store::phone_numbers::QUARANTINED as STATUS_QUARANTINED;

/// `status` of a retired number (never picked; suggested for release).
pub const STATUS_RETIRED: &str = "retired";

/// One failed outbound message, as the failure outbox reports it.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    pub organization_id: i32,
    pub message_id: i64,
    pub user_number: &'a str,
    pub contact_number: &'a str,
    pub error_code: Option<i32>,
    pub text: &'a str,
}

/// Accounts failures in order, reading each organization's settings once.
pub async fn account(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    failures: &[Failure<'_>],
) -> Result<(), DbErr> {
    let mut settings: HashMap<i32, HealthSettings> = HashMap::new();
    for failure in failures {
        let Some(code) = failure.error_code else {
            continue;
        };
        let class = classify(code);
        if class == Class::Ignored {
            continue;
        }
        let org = failure.organization_id;
        let s = match settings.get(&org) {
            Some(s) => *s,
            None => {
                let stored = store::organizations::find(db, org).await?;
                let s = HealthSettings::from_settings(&OrgSettings::parse(
                    stored.as_ref().map_or("{}", |o| o.settings.as_str()),
                ));
                settings.insert(org, s);
                s
            }
        };
        let Some(number) = store::health::find_number(db, org, failure.user_number).await? else {
            continue;
        };
        account_one(db, now, &s, failure, code, class, &number).await?;
    }
    Ok(())
}

async fn account_one(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    s: &HealthSettings,
    failure: &Failure<'_>,
    code: i32,
    class: Class,
    number: &phone_number::Model,
) -> Result<(), DbErr> {
    let org = failure.organization_id;
    match class {
        Class::Ignored => Ok(()),
        Class::Blacklisted => {
            if number.health == RETIRED {
                return Ok(());
            }
            let codes = BTreeMap::from([(code, 1)]);
            let reason =
                format!("{code} rejected-from-number-in-blacklist: Bandwidth bars this number");
            retire(db, now, number, "blacklisted", &codes, reason).await
        }
        Class::NumberVolume => {
            let until = now + Duration::minutes(s.number_pause_minutes);
            store::health::pause_number(db, org, &number.phone_number, until.timestamp_millis())
                .await?;
            event(
                db,
                now,
                number,
                &number.health,
                "volume_pause",
                &BTreeMap::from([(code, 1)]),
                format!(
                    "{code} volumetric violation: not picked until {}",
                    until.to_rfc3339()
                ),
            )
            .await
        }
        Class::DailyCap | Class::CampaignVolume => {
            let until = if class == Class::DailyCap {
                next_pacific_midnight(now)
            } else {
                now + Duration::minutes(s.campaign_pause_minutes)
            };
            let campaign = store::health::campaign_of(db, org, failure.message_id)
                .await?
                .unwrap_or_default();
            store::health::upsert_pause(db, org, &campaign, until, code, now).await?;
            let scope = if campaign.is_empty() {
                "the organization's sends".to_owned()
            } else {
                format!("campaign {campaign}")
            };
            event(
                db,
                now,
                number,
                &number.health,
                "volume_pause",
                &BTreeMap::from([(code, 1)]),
                format!(
                    "{code} volume violation: {scope} paused until {}",
                    until.to_rfc3339()
                ),
            )
            .await
        }
        Class::Spam | Class::Block => strike(db, now, s, failure, code, class, number).await,
    }
}

async fn strike(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    s: &HealthSettings,
    failure: &Failure<'_>,
    code: i32,
    class: Class,
    number: &phone_number::Model,
) -> Result<(), DbErr> {
    let org = failure.organization_id;
    let hash = content_hash(failure.text);
    store::health::insert_strike(
        db,
        NewStrike {
            organization_id: org,
            user_number: number.phone_number.clone(),
            contact_number: failure.contact_number.to_owned(),
            error_code: code,
            message_id: failure.message_id,
            content_hash: hash.clone(),
            created_at: now,
        },
    )
    .await?;
    if class == Class::Spam && !failure.text.trim().is_empty() {
        let flag = store::health::find_flagged(db, org, &hash).await?;
        if flag.as_ref().is_some_and(|f| f.cleared_at.is_none()) {
            return Ok(()); // the text's, not the number's
        }
        let mut since = now - Duration::minutes(s.content_window_minutes);
        if let Some(cleared) = flag.and_then(|f| f.cleared_at) {
            since = since.max(cleared);
        }
        let strikes =
            store::health::list_strikes(db, org, StrikesOf::Content(&hash), since).await?;
        let spam: Vec<_> = strikes
            .iter()
            .filter(|st| classify(st.error_code) == Class::Spam)
            .collect();
        let mut numbers: Vec<&str> = spam.iter().map(|st| st.user_number.as_str()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.len() as i64 >= s.content_flag_numbers {
            let codes = count_codes(spam.iter().map(|st| st.error_code));
            store::health::upsert_flag(
                db,
                NewFlag {
                    organization_id: org,
                    content_hash: hash,
                    text: failure.text.to_owned(),
                    failures: spam.len() as i32,
                    numbers: numbers.len() as i32,
                    codes: codes_json(&codes),
                    flagged_at: now,
                },
            )
            .await?;
            tracing::info!(org_id = org, numbers = numbers.len(), "a text was flagged");
            return Ok(());
        }
    }
    let (since, threshold) = match number.health.as_str() {
        HEALTHY => (
            now - Duration::minutes(s.strike_window_minutes),
            s.quarantine_strikes,
        ),
        // Watched: one strike in probation is a relapse.
        PROBATION => (number.health_since.unwrap_or(now), 1),
        _ => return Ok(()),
    };
    let strikes =
        store::health::list_strikes(db, org, StrikesOf::Number(&number.phone_number), since)
            .await?;
    let hashes: Vec<String> = strikes.iter().map(|st| st.content_hash.clone()).collect();
    let flagged = store::health::flagged_among(db, org, &hashes).await?;
    let counted: Vec<_> = strikes
        .iter()
        .filter(|st| !flagged.contains(&st.content_hash))
        .collect();
    let mut contacts: Vec<&str> = counted
        .iter()
        .map(|st| st.contact_number.as_str())
        .collect();
    contacts.sort_unstable();
    contacts.dedup();
    if (contacts.len() as i64) < threshold {
        return Ok(());
    }
    let codes = count_codes(counted.iter().map(|st| st.error_code));
    let relapse = number.health == PROBATION;
    let what = if relapse {
        format!("failed in probation ({})", describe(&codes))
    } else {
        format!(
            "{} spam/block failures to {} contacts within {} min ({})",
            counted.len(),
            contacts.len(),
            s.strike_window_minutes,
            describe(&codes)
        )
    };
    if i64::from(number.quarantines) >= s.retire_after_quarantines {
        let reason = format!("{what}, after {} quarantines: retired", number.quarantines);
        return retire(db, now, number, "relapses", &codes, reason).await;
    }
    let changed = store::health::change_health(
        db,
        org,
        &number.phone_number,
        &number.health,
        HealthChange {
            to: QUARANTINED,
            status: STATUS_QUARANTINED,
            since: now,
            reason: what.clone(),
            count_quarantine: true,
            probation_after_message_id: None,
        },
    )
    .await?;
    if changed {
        let cause = if relapse { "relapse" } else { "strikes" };
        event(db, now, number, QUARANTINED, cause, &codes, what).await?;
        let moved = follow::move_contacts_off(db, number, QUARANTINED, now).await?;
        tracing::info!(org_id = org, moved, "a number was quarantined");
    }
    Ok(())
}

async fn retire(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    number: &phone_number::Model,
    cause: &str,
    codes: &BTreeMap<i32, i64>,
    reason: String,
) -> Result<(), DbErr> {
    let changed = store::health::change_health(
        db,
        number.organization_id,
        &number.phone_number,
        &number.health,
        HealthChange {
            to: RETIRED,
            status: STATUS_RETIRED,
            since: now,
            reason: reason.clone(),
            count_quarantine: false,
            probation_after_message_id: None,
        },
    )
    .await?;
    if changed {
        event(db, now, number, RETIRED, cause, codes, reason).await?;
        follow::move_contacts_off(db, number, RETIRED, now).await?;
        tracing::info!(org_id = number.organization_id, "a number was retired");
    }
    Ok(())
}

/// Records a transition of `number` (from its current state) to `to`.
pub(super) async fn event(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    number: &phone_number::Model,
    to: &str,
    cause: &str,
    codes: &BTreeMap<i32, i64>,
    detail: String,
) -> Result<(), DbErr> {
    store::health::insert_event(
        db,
        NewEvent {
            organization_id: number.organization_id,
            phone_number: number.phone_number.clone(),
            from_state: number.health.clone(),
            to_state: to.to_owned(),
            cause: cause.to_owned(),
            codes: codes_json(codes),
            detail,
            user_id: None,
            created_at: now,
        },
    )
    .await
}

/// Error code → how many times.
pub fn count_codes(codes: impl Iterator<Item = i32>) -> BTreeMap<i32, i64> {
    let mut counts = BTreeMap::new();
    for code in codes {
        *counts.entry(code).or_insert(0) += 1;
    }
    counts
}

/// `{"4470": 3}`.
pub fn codes_json(codes: &BTreeMap<i32, i64>) -> String {
    let map: serde_json::Map<String, serde_json::Value> = codes
        .iter()
        .map(|(code, n)| (code.to_string(), (*n).into()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// `4470×3, 4770×1`.
fn describe(codes: &BTreeMap<i32, i64>) -> String {
    codes
        .iter()
        .map(|(code, n)| format!("{code}×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// T-Mobile's daily cap resets at midnight Pacific time (reset time UNCONFIRMED, contract-2 §9).
fn next_pacific_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::TimeZone;
    let pacific = now.with_timezone(&chrono_tz::America::Los_Angeles);
    let tomorrow = pacific.date_naive() + Duration::days(1);
    chrono_tz::America::Los_Angeles
        .from_local_datetime(&tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(now + Duration::hours(24), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_cap_pause_ends_at_the_next_pacific_midnight() {
        let now = DateTime::parse_from_rfc3339("2026-07-01T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        // 13:00 PDT → midnight PDT = 07:00Z next day.
        assert_eq!(
            next_pacific_midnight(now).to_rfc3339(),
            "2026-07-02T07:00:00+00:00"
        );
    }

    #[test]
    fn codes_are_counted_and_shown_with_their_counts() {
        let codes = count_codes([4470, 4770, 4470].into_iter());
        assert_eq!(codes_json(&codes), r#"{"4470":2,"4770":1}"#);
        assert_eq!(describe(&codes), "4470×2, 4770×1");
    }
}
