//! Toll-free verification (contract-2 §5): submitting the organization's toll-free numbers,
//! validated here first; their status read by the refresh job; and Bandwidth's status webhook.
//!
//! Decisions:
//! - The webhook is subscribed once per account, on the first submission, to
//!   `{BASE_URL}/bandwidth/{orgId}/tollfree-verification` with the organization's callback
//!   credentials (the same Basic user and password as messaging callbacks). The optional HMAC
//!   header is not used: its canonicalisation is unconfirmed (§5.5), Basic auth is.
//! - Statuses: `VERIFIED` (and the first spec's `isVerified: true`) is verified unless
//!   `blocked`; `PENDING` and the legacy in-review words are pending; everything else, unknown
//!   words included (C's `REJECTED`), is unverified (§5.2).
//! - Use cases are not checked against `GET /tollFreeVerification/useCases` (Bandwidth's list
//!   changes, and a wrong one comes back as a 400 field error with its text).

use chrono::Utc;

use crate::bandwidth::{
    TollFreeVerificationRequest, TollFreeVerificationStatus, TollFreeVerificationWebhook,
};
use crate::error::{AppError, Result};
use crate::services::jobs::{self, JobContext, JobFailure};
use crate::services::phone::PhoneNumber;
use crate::services::registration::{TOLL_FREE, bandwidth_failure, kind_of};
use crate::services::{bandwidth_api, webhook_auth};
use crate::state::AppState;
use crate::store;
use crate::store::registration::NumberState;

/// Most numbers in one submission (S).
pub const MAX_NUMBERS_PER_SUBMISSION: usize = 10;
/// Longest string field (S).
pub const MAX_FIELD: usize = 500;
/// Monthly message volume bounds (S).
pub const MESSAGE_VOLUME: std::ops::RangeInclusive<u32> = 10..=10_000_000;
/// Most opt-in image URLs accepted.
pub const MAX_IMAGE_URLS: usize = 10;
/// Business entity types (S).
pub const ENTITY_TYPES: &[&str] = &[
    "SOLE_PROPRIETOR",
    "PRIVATE_PROFIT",
    "PUBLIC_PROFIT",
    "NON_PROFIT",
    "GOVERNMENT",
];

/// The webhook path of an organization.
pub fn webhook_url(base_url: &str, organization_id: i32) -> String {
    format!(
        "{}/tollfree-verification",
        webhook_auth::callback_url(base_url, organization_id)
    )
}

fn check_text(errors: &mut Vec<String>, field: &str, value: &str, required: bool) {
    let trimmed = value.trim();
    if required && trimmed.is_empty() {
        errors.push(format!("{field} is required"));
    } else if trimmed.chars().count() > MAX_FIELD {
        errors.push(format!("{field} is longer than {MAX_FIELD} characters"));
    }
}

fn check_url(errors: &mut Vec<String>, field: &str, value: &str) {
    let v = value.trim();
    if !(v.starts_with("https://") || v.starts_with("http://"))
        || v.len() > MAX_FIELD
        || v.contains(' ')
    {
        errors.push(format!(
            "{field} must be an http(s) URL of at most {MAX_FIELD} characters"
        ));
    }
}

/// Whether `e164` is a toll-free number as Bandwidth's schema writes it.
pub fn is_toll_free_e164(e164: &str) -> bool {
    let Some(digits) = e164.strip_prefix("+1") else {
        return false;
    };
    digits.len() == 10
        && digits.bytes().all(|b| b.is_ascii_digit())
        && crate::services::area_codes::is_toll_free(&digits[..3])
        && (b'2'..=b'9').contains(&digits.as_bytes()[3])
}

/// Checks a submission the way Bandwidth's schema does (§5.1), naming every problem at once.
pub fn validate(request: &TollFreeVerificationRequest) -> Result<()> {
    let mut errors = Vec::new();
    let a = &request.business_address;
    for (field, value) in [
        ("businessAddress.name", &a.name),
        ("businessAddress.addr1", &a.addr1),
        ("businessAddress.city", &a.city),
        ("businessAddress.state", &a.state),
        ("businessAddress.zip", &a.zip),
    ] {
        check_text(&mut errors, field, value, true);
    }
    check_text(
        &mut errors,
        "businessAddress.addr2",
        a.addr2.as_deref().unwrap_or(""),
        false,
    );
    check_url(&mut errors, "businessAddress.url", &a.url);
    let c = &request.business_contact;
    check_text(
        &mut errors,
        "businessContact.firstName",
        &c.first_name,
        true,
    );
    check_text(&mut errors, "businessContact.lastName", &c.last_name, true);
    if !c.email.contains('@') || c.email.trim().len() > MAX_FIELD || c.email.contains(' ') {
        errors.push("businessContact.email must be an email address".into());
    }
    if PhoneNumber::parse(&c.phone_number).is_err() {
        errors.push("businessContact.phoneNumber must be a phone number, e.g. +19195551234".into());
    }
    if !MESSAGE_VOLUME.contains(&request.message_volume) {
        errors.push(format!(
            "messageVolume must be between {} and {} messages a month",
            MESSAGE_VOLUME.start(),
            MESSAGE_VOLUME.end()
        ));
    }
    if request.phone_numbers.is_empty() || request.phone_numbers.len() > MAX_NUMBERS_PER_SUBMISSION
    {
        errors.push(format!(
            "phoneNumbers must list 1 to {MAX_NUMBERS_PER_SUBMISSION} toll-free numbers"
        ));
    }
    for number in &request.phone_numbers {
        if !is_toll_free_e164(number) {
            errors.push(format!(
                "{number} is not a toll-free number (+1 8XX NXX XXXX)"
            ));
        }
    }
    check_text(&mut errors, "useCase", &request.use_case, true);
    check_text(
        &mut errors,
        "useCaseSummary",
        &request.use_case_summary,
        true,
    );
    check_text(
        &mut errors,
        "productionMessageContent",
        &request.production_message_content,
        true,
    );
    check_text(
        &mut errors,
        "optInWorkflow.description",
        &request.opt_in_workflow.description,
        true,
    );
    if request.opt_in_workflow.image_urls.len() > MAX_IMAGE_URLS {
        errors.push(format!(
            "optInWorkflow.imageUrls takes at most {MAX_IMAGE_URLS} URLs"
        ));
    }
    for url in &request.opt_in_workflow.image_urls {
        check_url(&mut errors, "optInWorkflow.imageUrls[]", url);
    }
    if !ENTITY_TYPES.contains(&request.business_entity_type.as_str()) {
        errors.push(format!(
            "businessEntityType must be one of {}",
            ENTITY_TYPES.join(", ")
        ));
    }
    for (field, value) in [
        ("additionalInformation", &request.additional_information),
        ("businessDba", &request.business_dba),
        ("helpMessageResponse", &request.help_message_response),
        (
            "businessRegistrationNumber",
            &request.business_registration_number,
        ),
    ] {
        check_text(&mut errors, field, value.as_deref().unwrap_or(""), false);
    }
    for (field, value) in [
        ("privacyPolicyUrl", &request.privacy_policy_url),
        ("termsAndConditionsUrl", &request.terms_and_conditions_url),
    ] {
        if let Some(v) = value {
            check_url(&mut errors, field, v);
        }
    }
    let registration = [
        request.business_registration_number.is_some(),
        request.business_registration_type.is_some(),
        request.business_registration_issuing_country.is_some(),
    ];
    if request.business_entity_type == "SOLE_PROPRIETOR" && registration.iter().any(|r| *r) {
        errors.push("a SOLE_PROPRIETOR sends no businessRegistration* fields".into());
    } else if registration.iter().any(|r| *r) && !registration.iter().all(|r| *r) {
        errors.push(
            "businessRegistrationNumber, businessRegistrationType and businessRegistrationIssuingCountry go together"
                .into(),
        );
    }
    if let Some(country) = &request.business_registration_issuing_country
        && !(country.len() == 3 && country.bytes().all(|b| b.is_ascii_uppercase()))
    {
        errors.push(
            "businessRegistrationIssuingCountry is an ISO 3166 alpha-3 code, e.g. USA".into(),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::InvalidInput(format!(
            "the toll-free verification was not sent: {}",
            errors.join("; ")
        )))
    }
}

/// A number's registration from a status Bandwidth reported.
fn state_from(
    phone_number: &str,
    verified: bool,
    pending: bool,
    reason: Option<String>,
    code: Option<i64>,
    resubmit_allowed: Option<bool>,
) -> NumberState {
    NumberState {
        phone_number: phone_number.to_owned(),
        kind: TOLL_FREE,
        campaign_id: None,
        status: if verified {
            "VERIFIED"
        } else if pending {
            "PENDING"
        } else {
            "UNVERIFIED"
        },
        deliverable: verified,
        error_code: if verified {
            None
        } else {
            code.map(|c| c.to_string())
        },
        error_text: if verified { None } else { reason },
        resubmit_allowed: if verified { None } else { resubmit_allowed },
        order_id: None,
    }
}

fn from_status(phone_number: &str, status: &TollFreeVerificationStatus) -> NumberState {
    let reason = status.decline_reason_description.clone().or_else(|| {
        status
            .blocked_reason
            .clone()
            .map(|r| format!("blocked: {r}"))
    });
    state_from(
        phone_number,
        status.is_verified(),
        status.is_pending(),
        reason,
        status.denial_status_code,
        status.resubmit_allowed,
    )
}

/// Submits a verification for toll-free numbers of the organization (validated first), makes
/// sure Bandwidth's status webhook reaches us, and marks the numbers `PENDING`.
pub async fn submit(
    state: &AppState,
    organization_id: i32,
    mut request: TollFreeVerificationRequest,
) -> Result<Vec<String>> {
    let mut numbers = Vec::new();
    for raw in &request.phone_numbers {
        let parsed = PhoneNumber::parse(raw).map_err(AppError::InvalidInput)?;
        numbers.push(parsed.as_str().to_owned());
    }
    request.phone_numbers = numbers.clone();
    validate(&request)?;
    let held = store::phone_numbers::list_held(&state.db, organization_id, None).await?;
    for number in &numbers {
        if !held
            .iter()
            .any(|n| &n.phone_number == number && n.status == store::phone_numbers::ACTIVE)
        {
            return Err(AppError::InvalidInput(format!(
                "{number} is not an active number of this organization (buy it with buyPhoneNumbers(areaCode: \"800\") first)"
            )));
        }
    }
    let (client, _) = bandwidth_api::client_for_org(state, organization_id).await?;
    ensure_webhook(state, organization_id, &client).await?;
    client
        .submit_toll_free_verification(&request)
        .await
        .map_err(|e| match &e {
            crate::bandwidth::Error::Rejected { status: 403, .. } => AppError::Upstream(format!(
                "Bandwidth refused toll-free verification ({e}): ask Bandwidth to give this API user the toll-free verification role"
            )),
            _ => AppError::Upstream(format!("Bandwidth did not take the toll-free verification: {e}")),
        })?;
    let pending: Vec<NumberState> = numbers
        .iter()
        .map(|n| state_from(n, false, true, None, None, None))
        .collect();
    store::registration::save_numbers(&state.db, organization_id, &pending, Utc::now()).await?;
    Ok(numbers)
}

async fn ensure_webhook(
    state: &AppState,
    organization_id: i32,
    client: &crate::bandwidth::BandwidthClient,
) -> Result<()> {
    let url = webhook_url(state.settings.base_url(), organization_id);
    let existing = client
        .list_toll_free_verification_subscriptions()
        .await
        .map_err(bandwidth_api::upstream)?;
    if existing
        .iter()
        .any(|s| s.callback_url.as_deref() == Some(url.as_str()))
    {
        return Ok(());
    }
    let password = webhook_auth::password_for(
        &state.session_secret,
        state.settings.base_url(),
        organization_id,
    );
    client
        .create_toll_free_verification_subscription(
            &url,
            webhook_auth::CALLBACK_USER,
            password.expose(),
        )
        .await
        .map_err(bandwidth_api::upstream)?;
    Ok(())
}

/// The refresh of toll-free numbers: each active toll-free number's verification status.
pub async fn refresh(
    state: &AppState,
    job: &JobContext,
) -> std::result::Result<String, JobFailure> {
    let org = job.organization_id;
    let held = store::phone_numbers::list_held(&state.db, org, None)
        .await
        .map_err(AppError::from)?;
    let toll_free: Vec<String> = held
        .iter()
        .filter(|n| {
            n.status == store::phone_numbers::ACTIVE && kind_of(&n.phone_number) == TOLL_FREE
        })
        .map(|n| n.phone_number.clone())
        .take(super::assign::MAX_REFRESH_CHECKS)
        .collect();
    if toll_free.is_empty() {
        return Ok("no toll-free number".into());
    }
    let (client, _) = bandwidth_api::client_for_org(state, org).await?;
    let mut states = Vec::new();
    for number in &toll_free {
        let status = client
            .get_toll_free_verification(number)
            .await
            .map_err(|e| {
                bandwidth_failure("Bandwidth did not report a toll-free verification", e)
            })?;
        states.push(match status {
            Some(s) => from_status(number, &s),
            None => state_from(
                number,
                false,
                false,
                Some("never submitted".into()),
                None,
                Some(true),
            ),
        });
    }
    let verified = states.iter().filter(|s| s.deliverable).count();
    let txn = jobs::begin_effects(state, job).await?;
    store::registration::save_numbers(&txn, org, &states, Utc::now())
        .await
        .map_err(AppError::from)?;
    txn.commit().await.map_err(AppError::from)?;
    Ok(format!(
        "{} toll-free number(s) checked, {verified} verified",
        states.len()
    ))
}

/// Applies Bandwidth's status webhook for one of the organization's numbers. A failure callback
/// (`errorCode`) records the error and leaves the number unverified.
pub async fn apply_webhook(state: &AppState, organization_id: i32, body: &[u8]) -> Result<()> {
    let event: TollFreeVerificationWebhook = serde_json::from_slice(body).map_err(|e| {
        AppError::InvalidInput(format!("not a toll-free verification webhook: {e}"))
    })?;
    let number = PhoneNumber::parse(&event.phone_number)
        .map_err(AppError::InvalidInput)?
        .as_str()
        .to_owned();
    let held = store::phone_numbers::list_held(&state.db, organization_id, None).await?;
    if !held.iter().any(|n| n.phone_number == number) {
        tracing::info!(
            org_id = organization_id,
            "toll-free verification webhook for a number this organization does not hold: ignored"
        );
        return Ok(());
    }
    let new = if let Some(code) = &event.error_code {
        let code = code
            .as_str()
            .map_or_else(|| code.to_string(), str::to_owned);
        NumberState {
            error_code: Some(code),
            ..state_from(
                &number,
                false,
                false,
                event.error_message.clone(),
                None,
                None,
            )
        }
    } else {
        let status = TollFreeVerificationStatus {
            phone_number: Some(number.clone()),
            status: event.status.clone(),
            is_verified: None,
            decline_reason_description: event.decline_reason_description.clone(),
            denial_status_code: event.denial_status_code,
            resubmit_allowed: event.resubmit_allowed,
            blocked: event.blocked,
            blocked_reason: event.blocked_reason.clone(),
        };
        from_status(&number, &status)
    };
    store::registration::save_numbers(&state.db, organization_id, &[new], Utc::now()).await?;
    Ok(())
}
