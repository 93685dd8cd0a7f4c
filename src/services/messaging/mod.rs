//! Sending a message (SPEC §4): record it (once per idempotency key), let the service managers
//! choose the sender (`services::senders`), post it to Bandwidth's Messaging API and record the
//! outcome (`services::outcomes`, which also settles sends whose answer was lost).

pub mod context;

use std::time::Duration;

use chrono::{DateTime, Utc};

use sea_orm::{ConnectionTrait, SqlErr, TransactionTrait};

use crate::error::{AppError, Result};
use crate::services::phone::PhoneNumber;
use crate::services::{bandwidth_api, consent, health, outcomes, registration, senders};
use crate::state::AppState;
use crate::store;
use crate::store::entities::message;
use crate::store::messages::{NewOutbound, Sending};
use crate::store::sends::Outcome;

/// Bandwidth's limit on text length.
pub const MAX_TEXT: usize = 2048;
/// Longest idempotency key, campaign id or contact id accepted (the tag they go into is limited
/// to 1024 characters by Bandwidth).
pub const MAX_ID: usize = 255;
/// The idempotency keys of consent replies start with this (`consent_replies::reply_key`).
pub const CONSENT_KEY_PREFIX: &str = "consent-reply:";
/// How often a request that found its key taken looks again until the first send settles.
const KEY_POLL: Duration = Duration::from_millis(50);

/// A message to send.
#[derive(Debug, Clone, Default)]
pub struct SendRequest {
    pub contact_number: String,
    pub text: String,
    pub media_urls: Vec<String>,
    pub campaign_id: Option<String>,
    pub contact_id: Option<String>,
    /// Bandwidth drops the message if it cannot send it by then (`expiration`).
    pub send_before: Option<DateTime<Utc>>,
    /// The client's key for this send: the same key for the same organization returns the
    /// first message and never posts again.
    pub idempotency_key: Option<String>,
    /// Send from this number of the organization's (an active one) instead of the one the
    /// service managers would choose: a consent reply leaves from the number the contact texted.
    pub from_number: Option<String>,
    /// The consent reply this is (`services::consent_replies`): it skips the texting hours, and
    /// the opt-out confirmation alone may go to an opted-out contact.
    pub consent_reply: Option<consent::Reply>,
}

/// Sends a message from the number the service managers choose and returns it as stored.
///
/// Input errors and an organization that cannot send yet are refused before anything is stored.
/// Once stored, the message ends `SENT`, `DELIVERED` or `ERROR`, or `UNKNOWN` while its outcome
/// is checked with Bandwidth (see `services::outcomes`). With an idempotency key already used
/// by the organization, the first message is returned and nothing is posted.
#[tracing::instrument(skip_all, fields(org_id = organization_id))]
pub async fn send_message(
    state: &AppState,
    organization_id: i32,
    request: SendRequest,
) -> Result<message::Model> {
    let contact = PhoneNumber::parse(&request.contact_number).map_err(AppError::InvalidInput)?;
    validate_content(&request)?;
    // Read before the transaction: on a miss it reads the database on a connection of its own,
    // and SQLite's pool has one.
    let context = context::for_org(state, organization_id).await?;
    // Everything up to the post runs on one connection in one transaction: one commit instead
    // of one per write, and no pooled connection's release (which costs a round trip) per
    // statement. A refusal rolls it back: nothing is stored.
    let txn = state.db.begin().await?;
    let in_the_way = store::sends::in_the_way(
        &txn,
        organization_id,
        request.idempotency_key.as_deref(),
        health::content_hash_of(&request.text).as_deref(),
        request.campaign_id.as_deref().unwrap_or(""),
        contact.as_str(),
    )
    .await?;
    if in_the_way.keyed
        && let Some(key) = &request.idempotency_key
        && let Some(first) = store::sends::find_by_key(&txn, organization_id, key).await?
    {
        txn.rollback().await?;
        return first_send(state, first, &contact, &request).await;
    }
    if request.send_before.is_some_and(|t| t <= Utc::now()) {
        return Err(AppError::InvalidInput(
            "sendBefore is in the past: the message could not be sent in time".into(),
        ));
    }
    if request.consent_reply.is_none() {
        // Number health: a flagged text or a paused campaign is refused (a consent reply never).
        health::check_send(
            &txn,
            state.clock.now(),
            organization_id,
            &request.text,
            request.campaign_id.as_deref(),
            in_the_way,
        )
        .await?;
    }
    let settings = &context.settings;
    // Consent first: an opted-out contact, or one outside the texting hours, is refused before
    // anything is stored or posted.
    let send_before = consent::gate::check_send(
        &txn,
        state.clock.now(),
        organization_id,
        settings,
        &contact,
        request.consent_reply,
        request.send_before,
        in_the_way.opted_out,
    )
    .await?;
    let manager_list = context.managers()?;
    let registered_only = context.registered_only;
    let (client, account) = match context.bandwidth.clone() {
        Some(bandwidth) => bandwidth,
        None => bandwidth_api::client_for_org_on(state, &txn, organization_id).await?,
    };
    let application_id = account.application_id.clone().ok_or_else(|| {
        AppError::Conflict("this organization has no Bandwidth messaging application yet: run provisionBandwidth first".into())
    })?;

    // A sender the request names is checked before anything is stored.
    let given = match &request.from_number {
        Some(number) => {
            let number = given_sender(&txn, organization_id, number).await?;
            if registered_only {
                registration::check_named_sender(&txn, organization_id, &number).await?;
            }
            Some(number)
        }
        None => None,
    };

    let media = serde_json::to_string(&request.media_urls).map_err(anyhow::Error::from)?;
    let segments = health::segments::segment_count(&request.text, !request.media_urls.is_empty());
    let user_number = match given {
        Some(number) => Some(number),
        None => senders::choose_sender(
            &txn,
            state.clock.now_ms(),
            organization_id,
            manager_list,
            context.picker,
            &contact,
            health::pace_cost_ms(settings, segments),
            registered_only,
        )
        .await?
        .map(|proposal| {
            tracing::debug!(by = proposal.by.name(), "sender chosen");
            proposal.user_number
        }),
    };
    let inserted = store::messages::insert_outbound(
        &txn,
        NewOutbound {
            organization_id,
            contact_number: contact.as_str().to_owned(),
            text: request.text.clone(),
            media,
            campaign_id: request.campaign_id.clone(),
            contact_id: request.contact_id.clone(),
            send_before,
            idempotency_key: request.idempotency_key.clone(),
            segment_count: Some(segments),
            sending: user_number.map(|user_number| Sending {
                user_number,
                application_id,
            }),
        },
    )
    .await;
    let stored = match inserted {
        Ok(stored) => stored,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            // A concurrent request with the same key stored its message first; the pick and
            // the pin roll back with this one.
            txn.rollback().await?;
            let key = request.idempotency_key.as_deref().unwrap_or_default();
            let first = store::sends::find_by_key(&state.db, organization_id, key)
                .await?
                .ok_or(AppError::Db(e))?;
            return first_send(state, first, &contact, &request).await;
        }
        Err(e) => return Err(e.into()),
    };
    txn.commit().await?;
    if stored.send_status == "QUEUED" {
        // No sender: stored, then refused. Under enforcement, say which registration is
        // missing; otherwise there is no number.
        let refusal = registration::preflight_refusal(state, organization_id)
            .await?
            .unwrap_or_else(|| AppError::Conflict("the message was not sent: no active sending number: buy numbers (buyPhoneNumbers) or sync them (syncPhoneNumbers)".into()));
        store::sends::settle(
            &state.db,
            stored.id,
            &["QUEUED"],
            Outcome {
                send_status: "ERROR",
                error_description: Some(refusal.to_string()),
                ..Default::default()
            },
        )
        .await?;
        return Err(refusal);
    }
    outcomes::post(state, &client, &stored).await
}

/// The sender a request names itself (the picker is bypassed): it must be an active number
/// of the organization.
async fn given_sender(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
) -> Result<String> {
    let number = PhoneNumber::parse(number).map_err(AppError::InvalidInput)?;
    let ours =
        store::callbacks::active_numbers_among(db, organization_id, &[number.as_str().to_owned()])
            .await?;
    if !ours.contains(number.as_str()) {
        return Err(AppError::Conflict(format!(
            "{} is not an active number of this organization; the message was not sent",
            number.as_str()
        )));
    }
    tracing::debug!("sender given by the request");
    Ok(number.as_str().to_owned())
}

/// The answer to a request whose key names a message already stored: that message, once its
/// send has settled (bounded by `SEND_TIMEOUT_MS`), provided the request asks for the same thing
/// (contact, text, media, campaign and contact ids).
async fn first_send(
    state: &AppState,
    mut first: message::Model,
    contact: &PhoneNumber,
    request: &SendRequest,
) -> Result<message::Model> {
    let media = serde_json::to_string(&request.media_urls).map_err(anyhow::Error::from)?;
    if first.contact_number != contact.as_str()
        || first.text != request.text
        || first.media != media
        || first.campaign_id != request.campaign_id
        || first.contact_id != request.contact_id
    {
        return Err(AppError::Conflict(
            "this idempotency key was already used for a different message".into(),
        ));
    }
    let deadline = tokio::time::Instant::now() + state.settings.send_timeout();
    while matches!(first.send_status.as_str(), "QUEUED" | "SENDING")
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(KEY_POLL).await;
        match store::sends::find(&state.db, first.id).await? {
            Some(now) => first = now,
            None => break,
        }
    }
    Ok(first)
}

/// The conversation with a contact, oldest first.
pub async fn conversation(
    state: &AppState,
    organization_id: i32,
    contact_number: &str,
) -> Result<Vec<message::Model>> {
    let contact = PhoneNumber::parse(contact_number).map_err(AppError::InvalidInput)?;
    Ok(store::messages::conversation(&state.db, organization_id, contact.as_str()).await?)
}

fn validate_content(request: &SendRequest) -> Result<()> {
    if request.text.trim().is_empty() && request.media_urls.is_empty() {
        return Err(AppError::InvalidInput(
            "a message needs text or media".into(),
        ));
    }
    if request.text.chars().count() > MAX_TEXT {
        return Err(AppError::InvalidInput(format!(
            "the text is longer than Bandwidth's {MAX_TEXT} characters"
        )));
    }
    for (field, value) in [
        ("idempotencyKey", &request.idempotency_key),
        ("campaignId", &request.campaign_id),
        ("contactId", &request.contact_id),
    ] {
        if let Some(value) = value
            && (value.trim().is_empty() || value.chars().count() > MAX_ID || value.contains('|'))
        {
            return Err(AppError::InvalidInput(format!(
                "{field} must be 1 to {MAX_ID} characters without '|'"
            )));
        }
    }
    if request.consent_reply.is_none()
        && request
            .idempotency_key
            .as_deref()
            .is_some_and(|k| k.starts_with(CONSENT_KEY_PREFIX))
    {
        return Err(AppError::InvalidInput(format!(
            "idempotencyKey may not start with {CONSENT_KEY_PREFIX:?}: those keys are the consent replies'"
        )));
    }
    for url in &request.media_urls {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 4096 {
            return Err(AppError::InvalidInput(format!(
                "media URL {url:?} must be an http(s) URL of at most 4096 characters"
            )));
        }
    }
    Ok(())
}
