//! Sending a message (SPEC §4): record it, let the service managers choose the sender, post it to
//! Bandwidth's Messaging API, and record the outcome — a message never stays in `SENDING`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::bandwidth::{self, MessageRequest};
use crate::error::{AppError, Result};
use crate::services::managers::{self, Manager, Proposal};
use crate::services::phone::PhoneNumber;
use crate::services::{area_codes, bandwidth_api, jobs, organizations};
use crate::state::AppState;
use crate::store;
use crate::store::entities::message;
use crate::store::messages::{NewOutbound, SendUpdate};
use crate::store::phone_numbers::PickFrom;

/// Bandwidth's limit on text length.
pub const MAX_TEXT: usize = 2048;
/// How many times a send is attempted when Bandwidth answers 429 or 5xx.
const SEND_ATTEMPTS: u32 = 3;
const RETRY_BASE: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(5);

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
}

/// Sends a message from the number the service managers choose and returns it as stored.
///
/// Input errors and an organization that cannot send yet are refused before anything is stored.
/// Once stored, every failure (no number, Bandwidth refusing) ends in `ERROR` with its reason.
#[tracing::instrument(skip_all, fields(org_id = organization_id))]
pub async fn send_message(
    state: &AppState,
    organization_id: i32,
    request: SendRequest,
) -> Result<message::Model> {
    let contact = PhoneNumber::parse(&request.contact_number).map_err(AppError::InvalidInput)?;
    validate_content(&request)?;
    if request.send_before.is_some_and(|t| t <= Utc::now()) {
        return Err(AppError::InvalidInput(
            "sendBefore is in the past: the message could not be sent in time".into(),
        ));
    }
    let settings = organizations::settings(state, organization_id).await?;
    let manager_list = managers::for_org(&state.settings.service_managers, &settings)?;
    let picker = managers::picker_options(&settings);
    let (client, account) = bandwidth_api::client_for_org(state, organization_id).await?;
    let application_id = account.application_id.clone().ok_or_else(|| {
        AppError::Conflict("this organization has no Bandwidth messaging application yet: run provisionBandwidth first".into())
    })?;

    let media = serde_json::to_string(&request.media_urls).map_err(anyhow::Error::from)?;
    let stored = store::messages::insert_outbound(
        &state.db,
        NewOutbound {
            organization_id,
            contact_number: contact.as_str().to_owned(),
            text: request.text.clone(),
            media,
            campaign_id: request.campaign_id.clone(),
            contact_id: request.contact_id.clone(),
            send_before: request.send_before,
        },
    )
    .await?;

    let Some(proposal) =
        choose_sender(state, organization_id, &manager_list, picker, &contact).await?
    else {
        let reason = "no active sending number: buy numbers (buyPhoneNumbers) or sync them (syncPhoneNumbers)";
        record(
            state,
            stored.id,
            SendUpdate {
                send_status: "ERROR",
                error_description: Some(reason.into()),
                ..Default::default()
            },
        )
        .await?;
        return Err(AppError::Conflict(format!(
            "the message was not sent: {reason}"
        )));
    };
    tracing::debug!(by = proposal.by.name(), "sender chosen");
    record(
        state,
        stored.id,
        SendUpdate {
            send_status: "SENDING",
            user_number: Some(proposal.user_number.clone()),
            application_id: Some(application_id.clone()),
            ..Default::default()
        },
    )
    .await?;

    let bandwidth_request = MessageRequest {
        application_id,
        to: vec![contact.as_str().to_owned()],
        from: proposal.user_number,
        text: (!request.text.is_empty()).then(|| request.text.clone()),
        media: (!request.media_urls.is_empty()).then(|| request.media_urls.clone()),
        tag: Some(format!(
            "{organization_id}|{}|{}",
            request.campaign_id.as_deref().unwrap_or(""),
            request.contact_id.as_deref().unwrap_or("")
        )),
        priority: None,
        expiration: request
            .send_before
            .filter(|_| request.media_urls.is_empty()),
    };
    let update = match post_with_retries(&client, &bandwidth_request).await {
        Ok(sent) => SendUpdate {
            send_status: "SENT",
            service_id: Some(sent.id),
            segment_count: sent.segment_count.map(|n| n as i32),
            ..Default::default()
        },
        Err(e) => {
            tracing::warn!(error = %e, "Bandwidth did not take the message");
            SendUpdate {
                send_status: "ERROR",
                error_code: e.status().map(i32::from),
                error_description: Some(format!("Bandwidth did not take the message: {e}")),
                ..Default::default()
            }
        }
    };
    record(state, stored.id, update).await
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
    for url in &request.media_urls {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 4096 {
            return Err(AppError::InvalidInput(format!(
                "media URL {url:?} must be an http(s) URL of at most 4096 characters"
            )));
        }
    }
    Ok(())
}

/// Runs the managers in order; each may propose the sender, later ones see earlier proposals.
async fn choose_sender(
    state: &AppState,
    org: i32,
    list: &[Manager],
    picker: managers::PickerOptions,
    contact: &PhoneNumber,
) -> Result<Option<Proposal>> {
    let mut proposal: Option<Proposal> = None;
    for manager in list {
        if proposal.is_some() {
            break;
        }
        proposal = match manager {
            Manager::StickySender => {
                store::phone_numbers::find_active_sticky(&state.db, org, contact.as_str())
                    .await?
                    .map(|user_number| Proposal {
                        user_number,
                        by: *manager,
                    })
            }
            Manager::NumpickerBasic => {
                pick_number(state, org, picker, contact)
                    .await?
                    .map(|user_number| Proposal {
                        user_number,
                        by: *manager,
                    })
            }
        };
    }
    if let Some(p) = &proposal
        && p.by == Manager::StickySender
    {
        store::phone_numbers::touch(&state.db, org, &p.user_number, jobs::now_ms()).await?;
    }
    Ok(proposal)
}

/// numpicker-basic: the contact's area code, then its state, then any active number (the first two
/// tiers unless the organization turned them off); the least recently used of those.
async fn pick_number(
    state: &AppState,
    org: i32,
    picker: managers::PickerOptions,
    contact: &PhoneNumber,
) -> Result<Option<String>> {
    let now = jobs::now_ms();
    let area_code = contact.area_code();
    let region = area_code
        .map(area_codes::region_of)
        .filter(|r| *r != area_codes::NO_REGION);
    let tiers = [
        area_code
            .filter(|_| picker.match_area_code)
            .map(PickFrom::AreaCode),
        region.filter(|_| picker.match_state).map(PickFrom::State),
        Some(PickFrom::Any),
    ];
    for tier in tiers.into_iter().flatten() {
        if let Some(number) =
            store::phone_numbers::take_least_recently_used(&state.db, org, tier, now).await?
        {
            return Ok(Some(number.phone_number));
        }
    }
    Ok(None)
}

/// Posts the message, retrying 429 and 5xx answers with backoff (bounded). Timeouts are not
/// retried: Bandwidth may have taken the message, and a retry could send it twice.
async fn post_with_retries(
    client: &bandwidth::BandwidthClient,
    request: &MessageRequest,
) -> Result<bandwidth::Message, bandwidth::Error> {
    let mut attempt = 1;
    loop {
        match client.send_message(request).await {
            Ok(sent) => return Ok(sent),
            Err(e) if attempt < SEND_ATTEMPTS && retryable(&e) => {
                let wait = e
                    .retry_at()
                    .and_then(|at| (at - Utc::now()).to_std().ok())
                    .unwrap_or(RETRY_BASE * 2u32.pow(attempt - 1))
                    .min(RETRY_MAX);
                tracing::info!(error = %e, attempt, wait_ms = wait.as_millis() as u64, "retrying the send");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

fn retryable(e: &bandwidth::Error) -> bool {
    matches!(e, bandwidth::Error::RateLimited { .. }) || e.status().is_some_and(|s| s >= 500)
}

async fn record(state: &AppState, id: i64, update: SendUpdate) -> Result<message::Model> {
    Ok(store::messages::update_send(&state.db, id, update).await?)
}
