//! Settling one `UNKNOWN` message by asking Bandwidth (Messaging's list-messages call, contract
//! §3.2): found → its real status; certainly not there → posted again (bounded) or `ERROR`;
//! Bandwidth cannot be asked → asked again on the next sweep, up to a deadline.
//!
//! Bandwidth's list has no tag or text, so a message without a Bandwidth id is matched by its
//! sender, recipient and time: the oldest outbound message from our number to the contact,
//! received since the post started and not already stored for the organization.

use chrono::{DateTime, Duration as ChronoDuration, Utc};

use super::{SETTLE_FROM, post};
use crate::bandwidth::{MessageRecord, MessagesQuery};
use crate::error::Result;
use crate::services::{bandwidth_api, error_codes};
use crate::state::AppState;
use crate::store;
use crate::store::entities::message;
use crate::store::sends::Outcome;

/// How far before the post started a listed message may be stamped (clocks differ).
const CLOCK_SKEW: ChronoDuration = ChronoDuration::seconds(60);

/// What one reconciliation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Bandwidth has it: the message took Bandwidth's status.
    Found,
    /// Bandwidth does not have it: posted again.
    Reposted,
    /// Bandwidth does not have it and the posts are used up (or too late): `ERROR`.
    Failed,
    /// Not settled yet: asked again on the next sweep.
    Pending,
    /// Bandwidth could not be asked before the deadline: `SENT`, with a note.
    GaveUp,
}

/// Settles an `UNKNOWN` message if Bandwidth's answer allows it.
#[tracing::instrument(skip_all, fields(message_id = message.id, org_id = message.organization_id))]
pub async fn reconcile(state: &AppState, message: &message::Model) -> Result<Settled> {
    let now = Utc::now();
    let attempted = message.attempted_at.unwrap_or(message.created_at);
    let age = now - attempted;
    let deadline = ChronoDuration::milliseconds(state.settings.send_unknown_deadline_ms as i64);
    let grace = ChronoDuration::milliseconds(state.settings.send_lookup_grace_ms as i64);

    let asked = match bandwidth_api::client_for_org(state, message.organization_id).await {
        Ok((client, _)) => client
            .list_messages(&query_for(message, attempted))
            .await
            .map(|page| (client, page)),
        Err(e) => {
            tracing::warn!(error = %e, "no Bandwidth client for a message whose outcome is unknown");
            return give_up_if_late(state, message, age > deadline).await;
        }
    };
    let (client, page) = match asked {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "could not ask Bandwidth about a message whose outcome is unknown");
            return give_up_if_late(state, message, age > deadline).await;
        }
    };

    let mut candidates: Vec<MessageRecord> = page
        .messages
        .into_iter()
        .filter(|r| {
            r.message_direction
                .as_deref()
                .is_none_or(|d| d.eq_ignore_ascii_case("OUTBOUND"))
        })
        .filter(|r| received_at(r).is_none_or(|t| t >= attempted - CLOCK_SKEW))
        .collect();
    if message.service_id.is_none() {
        let ids: Vec<String> = candidates.iter().map(|r| r.message_id.clone()).collect();
        let known =
            store::sends::known_service_ids(&state.db, message.organization_id, &ids).await?;
        candidates.retain(|r| !known.contains(&r.message_id));
    } else {
        candidates.retain(|r| Some(&r.message_id) == message.service_id.as_ref());
    }
    candidates.sort_by_key(received_at);

    if let Some(record) = candidates.into_iter().next() {
        adopt(state, message, &record).await?;
        return Ok(Settled::Found);
    }
    if age < grace {
        store::sends::touch(&state.db, message.id).await?;
        return Ok(Settled::Pending);
    }
    // Bandwidth does not have it: posting again cannot double it.
    let too_late = message.send_before.is_some_and(|t| t <= now);
    if message.send_attempts < state.settings.send_max_posts as i32 && !too_late {
        let application_id = message.application_id.clone().unwrap_or_default();
        if let Some(fresh) = store::sends::begin_attempt(
            &state.db,
            message.id,
            &["UNKNOWN"],
            &message.user_number,
            &application_id,
        )
        .await?
        {
            tracing::info!(
                attempt = message.send_attempts + 1,
                "Bandwidth has no such message; posting it again"
            );
            post(state, &client, &fresh).await?;
        }
        return Ok(Settled::Reposted);
    }
    let why = if too_late {
        "its sendBefore passed".to_owned()
    } else {
        format!("after {} posts", message.send_attempts)
    };
    store::sends::settle(
        &state.db,
        message.id,
        &["UNKNOWN"],
        Outcome {
            send_status: "ERROR",
            error_description: Some(format!(
                "not sent: Bandwidth has no record of the message ({why})"
            )),
            ..Default::default()
        },
    )
    .await?;
    Ok(Settled::Failed)
}

fn query_for(message: &message::Model, attempted: DateTime<Utc>) -> MessagesQuery {
    match &message.service_id {
        Some(id) => MessagesQuery {
            message_id: Some(id.clone()),
            ..Default::default()
        },
        None => MessagesQuery {
            source_tn: Some(message.user_number.clone()),
            destination_tn: Some(message.contact_number.clone()),
            message_direction: Some("OUTBOUND".into()),
            from_date_time: Some(
                (attempted - CLOCK_SKEW).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ),
            limit: Some(100),
            ..Default::default()
        },
    }
}

fn received_at(record: &MessageRecord) -> Option<DateTime<Utc>> {
    record
        .receive_time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Gives the message the Bandwidth id and status of the listed message.
async fn adopt(state: &AppState, message: &message::Model, record: &MessageRecord) -> Result<()> {
    if message.service_id.is_none()
        && !store::sends::bind_service_id(
            &state.db,
            message.organization_id,
            message.id,
            &record.message_id,
        )
        .await?
    {
        // A callback bound it meanwhile; it settles the status too.
        return Ok(());
    }
    let status = record
        .message_status
        .as_deref()
        .unwrap_or("")
        .to_ascii_uppercase();
    let outcome = match status.as_str() {
        "DELIVERED" => Outcome {
            send_status: "DELIVERED",
            ..Default::default()
        },
        "FAILED" | "UNDELIVERED" => {
            let code = record.error_code.filter(|c| *c != 0);
            Outcome {
                send_status: "ERROR",
                error_code: code,
                error_description: Some(error_codes::describe(code, None)),
                ..Default::default()
            }
        }
        // Accepted and on its way: callbacks (which now find it by its id) finish it.
        _ => Outcome {
            send_status: "SENT",
            ..Default::default()
        },
    };
    let outcome = Outcome {
        segment_count: record.segment_count.and_then(|n| i32::try_from(n).ok()),
        ..outcome
    };
    tracing::info!(status = outcome.send_status, "Bandwidth has the message");
    store::sends::settle(&state.db, message.id, SETTLE_FROM, outcome).await?;
    Ok(())
}

async fn give_up_if_late(
    state: &AppState,
    message: &message::Model,
    late: bool,
) -> Result<Settled> {
    if !late {
        store::sends::touch(&state.db, message.id).await?;
        return Ok(Settled::Pending);
    }
    store::sends::settle(
        &state.db,
        message.id,
        &["UNKNOWN"],
        Outcome {
            send_status: "SENT",
            error_description: Some(
                "Bandwidth could not be asked whether it has this message before the deadline (SEND_UNKNOWN_DEADLINE_MS); it may have been delivered".into(),
            ),
            ..Default::default()
        },
    )
    .await?;
    Ok(Settled::GaveUp)
}
