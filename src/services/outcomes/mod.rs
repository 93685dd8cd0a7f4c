//! Knowing what became of every send (issue #13): one post to Bandwidth and the outcome it
//! leaves, the tag that lets Bandwidth's callbacks find a message that has no Bandwidth id yet,
//! and (in `reconcile` and `sweeper`) how a send whose answer was lost is settled without a
//! restart.
//!
//! The rule that keeps a send from doubling: a message is posted again only when Bandwidth is
//! known not to have it — it answered an error that means "not accepted" (4xx, 429, 5xx: none
//! of those is sent or billed, contract §3.3; or the connection could not even be opened), or
//! its message list shows no such message after [`Settings::send_lookup_grace_ms`]. A timeout,
//! a connection dropped mid-answer or an answer we could not read may hide an accepted message:
//! that is `UNKNOWN`, never `ERROR`.
//!
//! [`Settings::send_lookup_grace_ms`]: crate::config::Settings::send_lookup_grace_ms

mod reconcile;
pub mod sweeper;

use std::time::Duration;

use chrono::Utc;

use crate::bandwidth::{self, BandwidthClient, MessageRequest};
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::store;
use crate::store::entities::message;
use crate::store::sends::Outcome;

pub use reconcile::reconcile;

/// How many times one post is tried when Bandwidth answers 429 or 5xx or cannot be reached.
const POST_TRIES: u32 = 3;
const RETRY_BASE: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// The statuses a post's outcome may still be written over: its own `SENDING`, and `UNKNOWN`
/// when the sweeper gave up on the answer just before it came.
const SETTLE_FROM: &[&str] = &["SENDING", "UNKNOWN"];
/// What a tag carries after Spoke's `orgId|campaignId|contactId`: our message id.
const TAG_MESSAGE_PREFIX: &str = "sb:";

/// What an error of a post says about whether Bandwidth has the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Bandwidth certainly does not have it (it refused, or was never reached).
    NotAccepted,
    /// Bandwidth may have it: the answer was lost or could not be read.
    Ambiguous,
}

/// Whether Bandwidth may have accepted a message whose post failed with `e`.
pub fn verdict(e: &bandwidth::Error) -> Verdict {
    match e {
        bandwidth::Error::Rejected { .. }
        | bandwidth::Error::RateLimited { .. }
        | bandwidth::Error::Unreachable { .. }
        | bandwidth::Error::Encode(_)
        | bandwidth::Error::Config(_) => Verdict::NotAccepted,
        _ => Verdict::Ambiguous,
    }
}

/// The tag of a message: Spoke's `orgId|campaignId|contactId`, then `|sb:<our message id>`, which
/// Bandwidth echoes in every callback, so a callback finds the message even when its Bandwidth id
/// was never stored.
pub fn tag_for(message: &message::Model) -> String {
    format!(
        "{}|{}|{}|{TAG_MESSAGE_PREFIX}{}",
        message.organization_id,
        message.campaign_id.as_deref().unwrap_or(""),
        message.contact_id.as_deref().unwrap_or(""),
        message.id
    )
}

/// Our message id in a tag written by [`tag_for`].
pub fn message_in_tag(tag: &str) -> Option<i64> {
    tag.rsplit('|')
        .next()
        .and_then(|last| last.strip_prefix(TAG_MESSAGE_PREFIX))
        .and_then(|id| id.parse().ok())
}

/// The Messaging API request for a stored message (the same for every post of it).
pub fn request_for(message: &message::Model) -> MessageRequest {
    let media: Vec<String> = serde_json::from_str(&message.media).unwrap_or_default();
    MessageRequest {
        application_id: message.application_id.clone().unwrap_or_default(),
        to: vec![message.contact_number.clone()],
        from: message.user_number.clone(),
        text: (!message.text.is_empty()).then(|| message.text.clone()),
        expiration: message.send_before.filter(|_| media.is_empty()),
        media: (!media.is_empty()).then_some(media),
        tag: Some(tag_for(message)),
        priority: None,
    }
}

/// Posts a message that is `SENDING` (see `store::sends::begin_attempt`) and records what
/// Bandwidth's answer says: `SENT` with its id, `ERROR` when it certainly did not take the
/// message, `UNKNOWN` when its answer was lost. Returns the message as stored.
///
/// When the outcome cannot be written (the database failed after Bandwidth answered), the
/// message stays `SENDING` and the sweeper settles it; the caller gets the database error.
#[tracing::instrument(skip_all, fields(message_id = message.id, org_id = message.organization_id))]
pub async fn post(
    state: &AppState,
    client: &BandwidthClient,
    message: &message::Model,
) -> Result<message::Model> {
    let request = request_for(message);
    let answer = post_with_retries(state, client, message, &request).await;
    let outcome = match answer {
        Ok(Ok(sent)) => Outcome {
            send_status: "SENT",
            service_id: Some(sent.id),
            segment_count: sent.segment_count.and_then(|n| i32::try_from(n).ok()),
            ..Default::default()
        },
        Ok(Err(e)) if verdict(&e) == Verdict::NotAccepted => {
            tracing::warn!(error = %e, "Bandwidth did not take the message");
            let description = if is_queue_full(&e) {
                format!(
                    "Bandwidth's message queue stayed full for as long as the message could wait (sendBefore or SEND_TIMEOUT_MS): not sent; {e}"
                )
            } else {
                format!("Bandwidth did not take the message: {e}")
            };
            Outcome {
                send_status: "ERROR",
                error_code: e.status().map(i32::from),
                error_description: Some(description),
                ..Default::default()
            }
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "Bandwidth's answer to a send was lost; checking the outcome");
            unknown(format!("{e}"))
        }
        Err(_) => {
            tracing::warn!("Bandwidth did not answer a send in time; checking the outcome");
            unknown(format!(
                "Bandwidth did not answer within {} ms",
                state.settings.send_timeout_ms
            ))
        }
    };
    let segments = outcome.segment_count;
    if let Some(settled) = store::sends::settle(&state.db, message.id, SETTLE_FROM, outcome).await?
    {
        return Ok(settled);
    }
    if let Some(segments) = segments {
        // Its callback got there first (found by the tag); keep what only the answer says.
        store::sends::record_segment_count(&state.db, message.id, segments).await?;
    }
    store::sends::find(&state.db, message.id)
        .await?
        .ok_or_else(|| AppError::NotFound("the message is gone".into()))
}

fn unknown(why: String) -> Outcome {
    Outcome {
        send_status: "UNKNOWN",
        error_description: Some(format!(
            "Bandwidth's answer was lost ({why}); its outcome is being checked with Bandwidth"
        )),
        ..Default::default()
    }
}

/// Bandwidth's 429 when its account-wide message queue is full (contract-2 §7).
pub const QUEUE_FULL: &str = "max-message-queue-size-exceeded";

/// Whether a post failed because Bandwidth's message queue is full (not accepted: wait).
pub fn is_queue_full(e: &bandwidth::Error) -> bool {
    matches!(e, bandwidth::Error::RateLimited { .. }) && e.has_code(QUEUE_FULL)
}

/// Posts the message, retrying answers that mean "not accepted, try later" (429, 5xx, no
/// connection) with bounded backoff; each post is bounded by `SEND_TIMEOUT_MS` (`Err`: no answer
/// in time). A full queue (pacing, issue #17) is waited out with backoff for as long as the
/// message may still go: until its `sendBefore`, at most `SEND_TIMEOUT_MS` after the first
/// post, keeping the message fresh for the sweeper. Nothing ambiguous is retried here.
async fn post_with_retries(
    state: &AppState,
    client: &BandwidthClient,
    message: &message::Model,
    request: &MessageRequest,
) -> std::result::Result<
    std::result::Result<bandwidth::Message, bandwidth::Error>,
    tokio::time::error::Elapsed,
> {
    let started = Utc::now();
    let mut queue_deadline =
        started + chrono::Duration::from_std(state.settings.send_timeout()).unwrap_or_default();
    if let Some(send_before) = message.send_before {
        queue_deadline = queue_deadline.min(send_before);
    }
    let mut attempt = 1;
    let mut queue_waits = 0u32;
    loop {
        let answer =
            tokio::time::timeout(state.settings.send_timeout(), client.send_message(request))
                .await?;
        match answer {
            Ok(sent) => return Ok(Ok(sent)),
            Err(e) if is_queue_full(&e) => {
                let wait = (RETRY_BASE * 2u32.saturating_pow(queue_waits.min(8))).min(RETRY_MAX);
                let wake = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                if wake >= queue_deadline {
                    return Ok(Err(e));
                }
                tracing::info!(
                    waits = queue_waits,
                    wait_ms = wait.as_millis() as u64,
                    "Bandwidth's queue is full; the send waits"
                );
                if let Err(db) = store::sends::touch(&state.db, message.id).await {
                    tracing::warn!(error = %db, "could not mark a waiting send fresh");
                }
                tokio::time::sleep(wait).await;
                queue_waits += 1;
            }
            Err(e) if attempt < POST_TRIES && retryable(&e) => {
                let wait = e
                    .retry_at()
                    .and_then(|at| (at - Utc::now()).to_std().ok())
                    .unwrap_or(RETRY_BASE * 2u32.pow(attempt - 1))
                    .min(RETRY_MAX);
                tracing::info!(error = %e, attempt, wait_ms = wait.as_millis() as u64, "retrying the send");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Ok(Err(e)),
        }
    }
}

fn retryable(e: &bandwidth::Error) -> bool {
    matches!(
        e,
        bandwidth::Error::RateLimited { .. } | bandwidth::Error::Unreachable { .. }
    ) || (matches!(e, bandwidth::Error::Rejected { .. }) && e.status().is_some_and(|s| s >= 500))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(campaign: Option<&str>, contact: Option<&str>) -> message::Model {
        message::Model {
            id: 42,
            organization_id: 7,
            contact_number: "+19195550100".into(),
            user_number: "+19195550199".into(),
            is_from_contact: false,
            text: "hi".into(),
            media: "[]".into(),
            send_status: "SENDING".into(),
            error_code: None,
            error_description: None,
            service_id: None,
            segment_count: None,
            application_id: Some("app".into()),
            campaign_id: campaign.map(Into::into),
            contact_id: contact.map(Into::into),
            in_reply_to: None,
            send_before: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            idempotency_key: None,
            send_attempts: 1,
            attempted_at: None,
        }
    }

    #[test]
    fn the_tag_keeps_spokes_prefix_and_names_the_message() {
        let tag = tag_for(&message(Some("12"), Some("34")));
        assert_eq!(tag, "7|12|34|sb:42");
        assert_eq!(message_in_tag(&tag), Some(42));
        assert_eq!(tag_for(&message(None, None)), "7|||sb:42");
    }

    #[test]
    fn a_tag_without_our_message_id_names_no_message() {
        for tag in ["7|12|34", "7|12|sb:x", "", "sb:"] {
            assert_eq!(message_in_tag(tag), None, "{tag}");
        }
    }

    #[test]
    fn only_answers_that_mean_not_accepted_are_final() {
        let rejected = bandwidth::Error::Rejected {
            api: bandwidth::Api::Messaging,
            status: 400,
            errors: Vec::new(),
            field_errors: Vec::new(),
        };
        assert_eq!(verdict(&rejected), Verdict::NotAccepted);
        let unreadable = bandwidth::Error::Decode {
            api: bandwidth::Api::Messaging,
            status: 202,
            reason: "eof".into(),
        };
        assert_eq!(verdict(&unreadable), Verdict::Ambiguous);
    }
}
