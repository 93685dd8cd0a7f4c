//! Control routes of registration under `/_emulator/` (JSON, no auth; contract-2 §11):
//! - `POST /campaigns {campaignId, status?, imported?, numberPool?, mno?: [{mno, mnoId, status}]}`
//!   seeds (or replaces) a campaign of the account; `GET /campaigns` shows the campaigns and the
//!   campaign of every number.
//! - `POST /campaigns/refusal {status, code, description}` makes Campaign Management refuse
//!   (a missing role: 403; a feature off: 400/12055); `{}` clears it.
//! - `POST /campaigns/unassign {number}` takes a number off its campaign behind the server's back.
//! - `POST /tnoptions/failures {number, code?, description?}` makes TN option orders fail that
//!   number (default 5132 "SMS attribute should be 'ON' for provisioning A2P"); `DELETE` clears.
//! - `POST /tollfree/decide {phoneNumber, status, declineReasonDescription?, denialStatusCode?,
//!   resubmitAllowed?}` decides a verification and posts the webhook to every subscription with
//!   its Basic credentials; answers `{deliveries: [{url, status}]}`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

use super::dashboard::registration::approved;
use super::http::json_response;
use super::rules;
use super::state::{EmulatorState, TenDlcCampaign, now_rfc3339};

/// Routes relative to `/_emulator`.
pub fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/campaigns", post(seed_campaign).get(show_campaigns))
        .route("/campaigns/refusal", post(set_refusal))
        .route("/campaigns/unassign", post(unassign))
        .route(
            "/tnoptions/failures",
            post(add_failure).delete(clear_failures),
        )
        .route("/tollfree/decide", post(decide))
}

fn bad(message: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"error": message}))
}

fn digits_of(number: &str) -> Option<String> {
    rules::nanp_digits(number).or_else(|| {
        (number.len() == 10 && number.bytes().all(|b| b.is_ascii_digit()))
            .then(|| number.to_string())
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mno {
    mno: String,
    #[serde(default)]
    mno_id: String,
    status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedCampaign {
    campaign_id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    imported: bool,
    #[serde(default)]
    number_pool: bool,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    mno: Option<Vec<Mno>>,
}

async fn seed_campaign(
    State(state): State<EmulatorState>,
    axum::Json(seed): axum::Json<SeedCampaign>,
) -> Response {
    if seed.campaign_id.trim().is_empty() || seed.campaign_id.len() > 64 {
        return bad("campaignId must be 1 to 64 characters");
    }
    let mut campaign: TenDlcCampaign = approved(&seed.campaign_id, seed.imported, seed.number_pool);
    if let Some(status) = seed.status {
        campaign.status = status.to_ascii_uppercase();
    }
    if let Some(description) = seed.description {
        campaign.description = description;
    }
    if let Some(mno) = seed.mno {
        campaign.mno = mno
            .into_iter()
            .map(|m| (m.mno, m.mno_id, m.status.to_ascii_uppercase()))
            .collect();
    }
    let body = serde_json::to_value(&campaign).unwrap_or(Value::Null);
    state
        .world()
        .campaigns
        .insert(campaign.campaign_id.clone(), campaign);
    json_response(StatusCode::CREATED, &body)
}

async fn show_campaigns(State(state): State<EmulatorState>) -> Response {
    let world = state.world();
    json_response(
        StatusCode::OK,
        &json!({"campaigns": world.campaigns.values().collect::<Vec<_>>(), "numbers": world.tn_campaigns,
                "tollFree": world.toll_free_verifications.values().collect::<Vec<_>>()}),
    )
}

#[derive(Debug, Deserialize)]
struct Refusal {
    status: Option<u16>,
    code: Option<u32>,
    description: Option<String>,
}

async fn set_refusal(
    State(state): State<EmulatorState>,
    axum::Json(r): axum::Json<Refusal>,
) -> Response {
    let refusal = r.status.map(|status| {
        (
            status,
            r.code.unwrap_or(12055),
            r.description
                .unwrap_or_else(|| "'10DLC' feature is not enabled on account".into()),
        )
    });
    state.world().campaign_management_refusal = refusal.clone();
    json_response(StatusCode::OK, &json!({"refusing": refusal.is_some()}))
}

#[derive(Debug, Deserialize)]
struct NumberOnly {
    number: String,
    #[serde(default)]
    code: Option<u32>,
    #[serde(default)]
    description: Option<String>,
}

async fn unassign(
    State(state): State<EmulatorState>,
    axum::Json(n): axum::Json<NumberOnly>,
) -> Response {
    let Some(digits) = digits_of(&n.number) else {
        return bad("number must be E.164 or 10 digits");
    };
    let removed = state.world().tn_campaigns.remove(&digits);
    json_response(StatusCode::OK, &json!({"removedFrom": removed}))
}

async fn add_failure(
    State(state): State<EmulatorState>,
    axum::Json(n): axum::Json<NumberOnly>,
) -> Response {
    let Some(digits) = digits_of(&n.number) else {
        return bad("number must be E.164 or 10 digits");
    };
    let failure = (
        n.code.unwrap_or(5132),
        n.description
            .unwrap_or_else(|| "SMS attribute should be 'ON' for provisioning A2P".into()),
    );
    state
        .world()
        .tn_option_failures
        .insert(digits.clone(), failure.clone());
    json_response(
        StatusCode::CREATED,
        &json!({"number": digits, "code": failure.0, "description": failure.1}),
    )
}

async fn clear_failures(State(state): State<EmulatorState>) -> Response {
    state.world().tn_option_failures.clear();
    json_response(StatusCode::OK, &json!({"cleared": true}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Decision {
    phone_number: String,
    status: String,
    #[serde(default)]
    decline_reason_description: Option<String>,
    #[serde(default)]
    denial_status_code: Option<u32>,
    #[serde(default)]
    resubmit_allowed: Option<bool>,
}

async fn decide(
    State(state): State<EmulatorState>,
    axum::Json(d): axum::Json<Decision>,
) -> Response {
    let status = d.status.to_ascii_uppercase();
    if !["VERIFIED", "UNVERIFIED", "PENDING"].contains(&status.as_str()) {
        return bad("status must be VERIFIED, UNVERIFIED or PENDING");
    }
    let (body, subscriptions) = {
        let mut world = state.world();
        let account = state.config().account_id.clone();
        let Some(v) = world.toll_free_verifications.get_mut(&d.phone_number) else {
            return json_response(
                StatusCode::NOT_FOUND,
                &json!({"error": "no verification was submitted for this number"}),
            );
        };
        v.status = status.clone();
        v.modified = now_rfc3339();
        let mut body = json!({"accountId": account, "phoneNumber": v.phone_number, "status": status,
                              "internalTicketNumber": v.internal_ticket_number});
        if status == "UNVERIFIED" {
            v.decline_reason_description = d
                .decline_reason_description
                .clone()
                .or(Some("Opt-in workflow is insufficient".into()));
            v.denial_status_code = d.denial_status_code.or(Some(511));
            v.resubmit_allowed = d.resubmit_allowed.or(Some(true));
            body["declineReasonDescription"] = json!(v.decline_reason_description);
            body["denialStatusCode"] = json!(v.denial_status_code);
            body["resubmitAllowed"] = json!(v.resubmit_allowed);
            body["additionalDenialReasons"] = json!([]);
        } else {
            v.decline_reason_description = None;
            v.denial_status_code = None;
            v.resubmit_allowed = None;
        }
        (body, world.tfv_subscriptions.clone())
    };
    let mut deliveries = Vec::new();
    for s in subscriptions {
        let mut request = state.inner.http.post(&s.callback_url).json(&body);
        if let Some(user) = &s.username {
            request = request.basic_auth(user, s.password.as_deref());
        }
        let outcome = match request.send().await {
            Ok(r) => json!({"url": s.callback_url, "status": r.status().as_u16()}),
            Err(e) => json!({"url": s.callback_url, "error": e.to_string()}),
        };
        deliveries.push(outcome);
    }
    json_response(StatusCode::OK, &json!({"deliveries": deliveries}))
}
