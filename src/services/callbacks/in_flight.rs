//! Reports for messages we have not stored: deferred or orphaned.
//!
//! Bandwidth may report on a message before the send path has recorded its id: the send posted
//! it, Bandwidth answered, and the answer is being written. Such a report is deferred (503, so
//! Bandwidth delivers it again) — but only while a send that could own it is really in flight:
//! a message of that organization in `SENDING`, with no Bandwidth id yet, to the report's
//! contact from the report's number, whose send started less than [`DEFER_WINDOW`] ago. The
//! database says so, so it holds across replicas. A report is also deferred at most
//! [`DEFER_WINDOW`] after this replica first saw it. Any other report tagged for the
//! organization is acknowledged and counted as an orphan (`callback_orphan_events_total`, a log
//! line), so Bandwidth stops retrying it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbErr};

use super::StatusReport;
use crate::store;

/// How long a report may be deferred for a send in flight. The send path gives Bandwidth 30 s
/// per attempt and up to three attempts with backoff (about 100 s at worst); two minutes covers
/// it, and bounds how long a request's answer can be held back by one of its events.
pub const DEFER_WINDOW: Duration = Duration::from_secs(120);

/// Most reports remembered as deferred at once (older ones are forgotten first).
const REMEMBERED: usize = 50_000;

/// What became of a report whose message is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Answer 503: a send that could own it is in flight.
    Deferred,
    /// Tagged for this organization, but no send could own it: acknowledged and counted.
    Orphan,
    /// Not tagged for this organization: not ours, nothing to do.
    NotOurs,
}

/// When this replica first deferred each report.
#[derive(Debug, Default)]
pub struct Deferrals {
    first_seen: Mutex<HashMap<(i32, String), Instant>>,
}

impl Deferrals {
    /// Classifies the reports of one organization whose messages are not stored.
    pub async fn classify(
        &self,
        db: &impl ConnectionTrait,
        org: i32,
        reports: &[(&str, &StatusReport)],
    ) -> Result<Vec<Missing>, DbErr> {
        let ours = |r: &StatusReport| r.tagged_org == Some(org);
        if !reports.iter().any(|(_, r)| ours(r)) {
            return Ok(vec![Missing::NotOurs; reports.len()]);
        }
        let since = chrono::Utc::now()
            - chrono::Duration::from_std(DEFER_WINDOW).expect("a small duration");
        let in_flight = store::callbacks::sends_in_flight(db, org, since).await?;
        let now = Instant::now();
        let mut first_seen = self.first_seen.lock().expect("not poisoned");
        if first_seen.len() >= REMEMBERED {
            first_seen.retain(|_, at| now.duration_since(*at) < DEFER_WINDOW);
            if first_seen.len() >= REMEMBERED {
                first_seen.clear();
            }
        }
        Ok(reports
            .iter()
            .map(|(key, report)| {
                if !ours(report) {
                    return Missing::NotOurs;
                }
                let could_own = match (&report.contact_number, &report.user_number) {
                    (Some(contact), Some(user)) => in_flight.iter().any(|p| {
                        &p.contact_number == contact
                            && (p.user_number == *user || p.user_number.is_empty())
                    }),
                    _ => !in_flight.is_empty(),
                };
                let id = (org, (*key).to_owned());
                if !could_own {
                    first_seen.remove(&id);
                    return Missing::Orphan;
                }
                let seen = *first_seen.entry(id).or_insert(now);
                if now.duration_since(seen) < DEFER_WINDOW {
                    Missing::Deferred
                } else {
                    Missing::Orphan
                }
            })
            .collect())
    }
}

/// Logs and counts an orphan; returns the row that keeps it for the owner.
pub fn record_orphan(org: i32, report: &StatusReport) -> store::callbacks::NewOrphan {
    metrics::counter!("callback_orphan_events_total").increment(1);
    tracing::warn!(
        org_id = org,
        service_id = %report.service_id,
        "a delivery report tagged for this organization names a message it never stored and no send in flight could own: acknowledged as an orphan"
    );
    let (kind, error_code) = match &report.outcome {
        super::Outcome::Delivered => ("message-delivered", None),
        super::Outcome::Failed { error_code, .. } => ("message-failed", *error_code),
    };
    store::callbacks::NewOrphan {
        service_id: report.service_id.clone(),
        kind,
        error_code,
    }
}
