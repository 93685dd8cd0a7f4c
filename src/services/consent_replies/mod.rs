//! Sending the replies consent keywords call for (issue #15): the opt-out confirmation, the
//! help text and the opt-in confirmation, each once, from the number the contact texted.
//!
//! A reply is a durable job queued by the callback path in the transaction that stored the
//! contact's message, so a crash loses none; it goes out through the normal send path
//! (`messaging::send_message`: stored, sticky, exactly once) with an idempotency key derived
//! from the inbound message id, so a job that runs twice (a crash after the post) sends once.
//! The consent gate refuses a help or opt-in reply to a contact who is opted out by then; only
//! the opt-out confirmation goes to an opted-out contact.
//!
//! Separate from `consent` because it sends through `messaging`, which uses `consent`'s gate.

use crate::error::AppError;
use crate::services::consent::{self, ConsentSettings, Reply};
use crate::services::jobs::{JobContext, JobFailure};
use crate::services::messaging::{self, SendRequest};
use crate::services::organizations::{self, OrgSettings};
use crate::state::AppState;
use crate::store;

/// The idempotency key of the reply to an inbound message.
pub fn reply_key(message_id: i64) -> String {
    format!("{}{message_id}", messaging::CONSENT_KEY_PREFIX)
}

/// Runs a consent reply job: sends the reply, or says why it was not sent.
pub async fn run(
    state: &AppState,
    job: &JobContext,
    reply: &str,
    message_id: i64,
) -> Result<String, JobFailure> {
    let org_id = job.organization_id;
    let reply = Reply::parse(reply)
        .ok_or_else(|| JobFailure::permanent(format!("unknown consent reply {reply:?}")))?;
    let key = reply_key(message_id);
    if let Some(first) = store::sends::find_by_key(&state.db, org_id, &key)
        .await
        .map_err(AppError::from)?
    {
        return Ok(format!(
            "the {} reply was already sent as message {} ({})",
            reply.as_str(),
            first.id,
            first.send_status
        ));
    }
    let Some(inbound) = store::consent::find_inbound(&state.db, org_id, message_id)
        .await
        .map_err(AppError::from)?
    else {
        return Err(JobFailure::permanent(format!(
            "the contact's message {message_id} is gone; no reply sent"
        )));
    };
    let organization = organizations::find(state, org_id).await?;
    let consent = ConsentSettings::from_settings(&OrgSettings::parse(&organization.settings));
    let text = match reply {
        Reply::OptOut => consent.opt_out_message.clone(),
        Reply::Help => consent.help_text(&organization.name),
        Reply::OptIn => consent::settings::opt_in_message(&organization.name),
    };
    let request = SendRequest {
        contact_number: inbound.contact_number,
        text,
        idempotency_key: Some(key),
        from_number: Some(inbound.user_number),
        consent_reply: Some(reply),
        ..SendRequest::default()
    };
    match messaging::send_message(state, org_id, request).await {
        Ok(sent) => Ok(format!(
            "the {} reply went out as message {} ({})",
            reply.as_str(),
            sent.id,
            sent.send_status
        )),
        Err(AppError::Refused(code, why)) => Ok(format!(
            "the {} reply was not sent ({code}): {why}",
            reply.as_str()
        )),
        Err(e) => Err(e.into()),
    }
}
