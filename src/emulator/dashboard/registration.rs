//! 10DLC and toll-free verification on the emulated Dashboard (contract-2 §2, §3, §5, §11):
//! Campaign Management lists and imports, TN option orders (RECEIVED → PROCESSING → COMPLETE /
//! PARTIAL / FAILED), TN details showing a number's campaign, and toll-free verification with
//! its webhook subscriptions.
//!
//! Decisions for what Bandwidth does not document:
//! - A TN option order answers PROCESSING to its first GET and is applied at its second.
//! - Per-number failures (HTTP 200, `ErrorList`): 5076 number not on the account, 5145 no SMS
//!   on the number's location, 5133 the location's `A2pLongCode` is `ON`/`OFF` (absent counts as
//!   permissive), 12128 campaign not authorised on the account, 12192 campaign not ACTIVE, and
//!   **12230** for T-Mobile's 49-number cap (Bandwidth's real code for the cap is unconfirmed;
//!   this one is the emulator's choice). A number set by `POST /_emulator/tnoptions/failures`
//!   fails with the code given there.
//! - Synchronous refusals (400 `ResponseStatus`): 5081 no telephone number, 5138 an unknown
//!   action, 12822 `asSpecified` without a campaign id, 5134 a campaign id with another action.
//! - Toll-free verification answers 202 and makes each number PENDING; `POST
//!   /_emulator/tollfree/decide` decides and posts the webhook (Basic credentials sent at once).

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{error_list, parse_body};
use crate::emulator::http::{
    json_error, json_response, location, response_status, xml, xml_created,
};
use crate::emulator::rules;
use crate::emulator::state::{
    EmulatorState, ListError, OrderStatus, TenDlcCampaign, TfvSubscription, TnOptionOrder,
    TollFreeVerification, World, now_rfc3339,
};
use crate::emulator::xml::Element;

/// T-Mobile's cap of numbers per campaign without a number pool (K-pool).
pub const CAMPAIGN_CAP: usize = 49;
/// The emulator's code for an order passing the cap (see the module comment).
pub const CAP_CODE: u32 = 12230;

const TN_OPTION_ROOT: &str = "TnOptionOrderResponse";

fn refusal(world: &World, root: &str) -> Option<Response> {
    world
        .campaign_management_refusal
        .as_ref()
        .map(|(status, code, text)| {
            response_status(
                StatusCode::from_u16(*status).unwrap_or(StatusCode::FORBIDDEN),
                root,
                *code,
                text,
            )
        })
}

fn campaign_element(name: &str, c: &TenDlcCampaign) -> Element {
    let mno = Element::new("MnoStatusList").with_all(c.mno.iter().map(|(n, id, s)| {
        Element::new("MnoStatus")
            .with_leaf("MnoName", n.clone())
            .with_leaf("MnoId", id.clone())
            .with_leaf("Status", s.clone())
    }));
    Element::new(name)
        .with_leaf("CampaignId", c.campaign_id.clone())
        .with_leaf("Description", c.description.clone())
        .with_leaf("Status", c.status.clone())
        .with_leaf("NumberPool", c.number_pool.to_string())
        .with_leaf("CreateDate", "2026-01-05T10:00:00")
        .with(mno)
}

/// `GET …/campaignManagement/10dlc/campaigns`: the CSP campaigns.
pub async fn list_campaigns(State(state): State<EmulatorState>) -> Response {
    let world = state.world();
    if let Some(r) = refusal(&world, "CampaignsResponse") {
        return r;
    }
    let list: Vec<&TenDlcCampaign> = world.campaigns.values().filter(|c| !c.imported).collect();
    let body = Element::new("CampaignsResponse")
        .with(
            Element::new("Campaigns")
                .with_all(list.iter().map(|c| campaign_element("Campaign", c))),
        )
        .with_leaf("TotalCount", list.len().to_string());
    xml(StatusCode::OK, &body)
}

/// `GET …/campaignManagement/10dlc/campaigns/imports`: the imported campaigns.
pub async fn list_imported(State(state): State<EmulatorState>) -> Response {
    let world = state.world();
    if let Some(r) = refusal(&world, "LongCodeImportCampaignsResponse") {
        return r;
    }
    let list: Vec<&TenDlcCampaign> = world.campaigns.values().filter(|c| c.imported).collect();
    let body = Element::new("LongCodeImportCampaignsResponse")
        .with(
            Element::new("ImportedCampaigns")
                .with_all(list.iter().map(|c| campaign_element("ImportedCampaign", c))),
        )
        .with_leaf("TotalCount", list.len().to_string());
    xml(StatusCode::OK, &body)
}

/// `POST …/campaignManagement/10dlc/campaigns/imports`: 201; 400 1011 for an id over 12
/// characters. An id the account does not know yet is taken as a campaign approved in TCR and
/// shared with Bandwidth (only those can be imported, A-imp).
pub async fn import_campaign(
    State(state): State<EmulatorState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: String,
) -> Response {
    const ROOT: &str = "LongCodeImportCampaignResponse";
    let doc = match parse_body(&body, ROOT) {
        Ok(doc) => doc,
        Err(r) => return r,
    };
    let Some(id) = doc
        .text_at(&["CampaignId"])
        .map(str::to_string)
        .filter(|s| !s.is_empty())
    else {
        return response_status(
            StatusCode::BAD_REQUEST,
            ROOT,
            1003,
            "CampaignId is required",
        );
    };
    if id.len() > 12 {
        return response_status(
            StatusCode::BAD_REQUEST,
            ROOT,
            1011,
            "CampaignId must be 12 characters or less",
        );
    }
    let mut world = state.world();
    if let Some(r) = refusal(&world, ROOT) {
        return r;
    }
    let campaign = world
        .campaigns
        .entry(id.clone())
        .or_insert_with(|| approved(&id, true, false))
        .clone();
    let body = Element::new(ROOT).with(campaign_element("ImportedCampaign", &campaign));
    xml_created(&location(&headers, uri.path(), &id), &body)
}

/// A campaign ACTIVE and approved by AT&T and T-Mobile.
pub fn approved(id: &str, imported: bool, number_pool: bool) -> TenDlcCampaign {
    TenDlcCampaign {
        campaign_id: id.to_string(),
        status: "ACTIVE".into(),
        description: format!("Campaign {id}"),
        mno: vec![
            ("ATT".into(), "10017".into(), "APPROVED".into()),
            ("TMO".into(), "10035".into(), "APPROVED".into()),
        ],
        number_pool,
        imported,
    }
}

/// `GET …/campaignManagement/10dlc/campaigns/{id}/tn`: the numbers on a campaign.
pub async fn campaign_numbers(
    State(state): State<EmulatorState>,
    Path((_account, campaign)): Path<(String, String)>,
) -> Response {
    const ROOT: &str = "CampaignTnsResponse";
    let world = state.world();
    if let Some(r) = refusal(&world, ROOT) {
        return r;
    }
    if !world.campaigns.contains_key(&campaign) {
        return response_status(StatusCode::NOT_FOUND, ROOT, 12189, "Campaign not found");
    }
    let numbers: Vec<&String> = world
        .tn_campaigns
        .iter()
        .filter(|(_, c)| **c == campaign)
        .map(|(n, _)| n)
        .collect();
    let body = Element::new(ROOT)
        .with_leaf("TotalCount", numbers.len().to_string())
        .with(
            Element::new("TelephoneNumbers").with_all(
                numbers
                    .iter()
                    .map(|n| Element::leaf("TelephoneNumber", (*n).clone())),
            ),
        );
    xml(StatusCode::OK, &body)
}

fn order_element(world: &World, account: &str, order: &TnOptionOrder) -> Element {
    let mut a2p = Element::new("A2pSettings").with_leaf("Action", order.action.clone());
    if let Some(c) = &order.campaign_id {
        a2p = a2p.with_leaf("CampaignId", c.clone());
    }
    let group = Element::new("TnOptionGroup")
        .with_leaf("Sms", "on")
        .with(a2p)
        .with(
            Element::new("TelephoneNumbers").with_all(
                order
                    .numbers
                    .iter()
                    .map(|n| Element::leaf("TelephoneNumber", n.clone())),
            ),
        );
    let _ = world;
    Element::new("TnOptionOrder")
        .with_leaf("OrderCreateDate", order.created.clone())
        .with_leaf("AccountId", account)
        .with_leaf("CreatedByUser", "emulator")
        .with_leaf("OrderId", order.id.clone())
        .with_opt("CustomerOrderId", order.customer_order_id.as_deref())
        .with_leaf("LastModifiedDate", order.modified.clone())
        .with_leaf("ProcessingStatus", order.status.as_str())
        .with(Element::new("TnOptionGroups").with(group))
        .with(error_list(&order.errors))
        .with(Element::new("Warnings"))
}

/// `POST /accounts/{a}/tnoptions`: 201 RECEIVED, or 400 for an order that cannot be read.
pub async fn create_tn_option_order(
    State(state): State<EmulatorState>,
    Path(account): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let doc = match parse_body(&body, TN_OPTION_ROOT) {
        Ok(doc) => doc,
        Err(r) => return r,
    };
    let Some(group) = doc.path(&["TnOptionGroups", "TnOptionGroup"]) else {
        return response_status(
            StatusCode::BAD_REQUEST,
            TN_OPTION_ROOT,
            5081,
            "At least one TnOptionGroup with telephone numbers is required",
        );
    };
    let numbers: Vec<String> = group
        .child("TelephoneNumbers")
        .map(|t| {
            t.children_named("TelephoneNumber")
                .map(|n| n.text.clone())
                .collect()
        })
        .unwrap_or_default();
    if numbers.is_empty() {
        return response_status(
            StatusCode::BAD_REQUEST,
            TN_OPTION_ROOT,
            5081,
            "At least one telephone number is required",
        );
    }
    let action = group
        .text_at(&["A2pSettings", "Action"])
        .unwrap_or("asSpecified")
        .to_string();
    let campaign_id = group
        .text_at(&["A2pSettings", "CampaignId"])
        .map(str::to_string)
        .filter(|c| !c.is_empty());
    let known = ["asSpecified", "delete", "off", "systemDefault", "unchanged"];
    let Some(action) = known
        .iter()
        .find(|a| a.eq_ignore_ascii_case(&action))
        .map(|a| a.to_string())
    else {
        return response_status(
            StatusCode::BAD_REQUEST,
            TN_OPTION_ROOT,
            5138,
            &format!("Invalid A2P action '{action}'"),
        );
    };
    if action == "asSpecified" && campaign_id.is_none() {
        return response_status(
            StatusCode::BAD_REQUEST,
            TN_OPTION_ROOT,
            12822,
            "CampaignId is required for action asSpecified",
        );
    }
    if action != "asSpecified" && campaign_id.is_some() {
        return response_status(
            StatusCode::BAD_REQUEST,
            TN_OPTION_ROOT,
            5134,
            "CampaignId and MessageClass are only allowed with action asSpecified",
        );
    }
    let now = now_rfc3339();
    let order = TnOptionOrder {
        id: uuid::Uuid::new_v4().to_string(),
        customer_order_id: doc.text_at(&["CustomerOrderId"]).map(str::to_string),
        created: now.clone(),
        action,
        campaign_id,
        numbers,
        polls: 0,
        status: OrderStatus::Received,
        errors: Vec::new(),
        modified: now,
    };
    let mut world = state.world();
    let body = Element::new(TN_OPTION_ROOT).with(order_element(&world, &account, &order));
    world
        .tn_option_orders
        .insert(order.id.clone(), order.clone());
    xml_created(&location(&headers, uri.path(), &order.id), &body)
}

/// Applies an order to the world: each number assigned, removed or failed.
fn apply(world: &mut World, order: &mut TnOptionOrder) {
    let mut errors = Vec::new();
    for number in order.numbers.clone() {
        if let Some(e) = number_problem(world, order, &number) {
            errors.push(ListError {
                code: e.0,
                description: e.1,
                telephone_number: Some(number),
            });
            continue;
        }
        match (order.action.as_str(), &order.campaign_id) {
            ("asSpecified", Some(c)) => {
                world.tn_campaigns.insert(number, c.clone());
            }
            ("delete" | "off" | "systemDefault", _) => {
                world.tn_campaigns.remove(&number);
            }
            _ => {}
        }
    }
    order.status = if errors.is_empty() {
        OrderStatus::Complete
    } else if errors.len() == order.numbers.len() {
        OrderStatus::Failed
    } else {
        OrderStatus::Partial
    };
    order.errors = errors;
    order.modified = now_rfc3339();
}

fn number_problem(world: &World, order: &TnOptionOrder, number: &str) -> Option<(u32, String)> {
    let Some(owned) = world.numbers.get(number) else {
        return Some((5076, "Telephone number is not available.".into()));
    };
    if let Some(failure) = world.tn_option_failures.get(number) {
        return Some(failure.clone());
    }
    let sms = world.peers.get(&owned.peer_id).and_then(|p| p.sms.as_ref());
    let Some(sms) = sms else {
        return Some((
            5145,
            "SMS is not enabled on the location of this telephone number".into(),
        ));
    };
    let long_code = sms
        .settings
        .iter()
        .find(|(n, _)| n == "A2pLongCode")
        .map(|(_, t)| t.trim().to_ascii_uppercase().replace('_', ""));
    if order.action == "asSpecified" {
        if let Some(v) =
            long_code.filter(|v| v != "DEFAULTON" && v != "DEFAULTOFF" && !v.is_empty())
        {
            return Some((
                5133,
                format!(
                    "The location's A2pLongCode is {v}: it must be DefaultOn or DefaultOff for per-number A2P settings"
                ),
            ));
        }
        let campaign_id = order.campaign_id.as_deref().unwrap_or_default();
        let Some(campaign) = world.campaigns.get(campaign_id) else {
            return Some((
                12128,
                format!(
                    "CampaignId {campaign_id} was not found in list of authorized Campaign IDs"
                ),
            ));
        };
        if !campaign.status.eq_ignore_ascii_case("ACTIVE") {
            return Some((12192, format!("Campaign {campaign_id} is not active")));
        }
        let already = world
            .tn_campaigns
            .get(number)
            .is_some_and(|c| c == campaign_id);
        let on = world
            .tn_campaigns
            .values()
            .filter(|c| *c == campaign_id)
            .count();
        if !already && !campaign.number_pool && on >= CAMPAIGN_CAP {
            return Some((
                CAP_CODE,
                format!(
                    "Campaign {campaign_id} already has {CAMPAIGN_CAP} telephone numbers, T-Mobile's maximum without a number pool"
                ),
            ));
        }
    }
    None
}

/// `GET /accounts/{a}/tnoptions/{id}`: PROCESSING at the first GET, final at the second.
pub async fn get_tn_option_order(
    State(state): State<EmulatorState>,
    Path((account, id)): Path<(String, String)>,
) -> Response {
    let mut world = state.world();
    let Some(mut order) = world.tn_option_orders.get(&id).cloned() else {
        let body = Element::new("TnOptionOrderReportResponse").with(
            Element::new("ResponseStatus").with_leaf("Description", "The resource does not exist"),
        );
        return xml(StatusCode::NOT_FOUND, &body);
    };
    order.polls += 1;
    if order.polls == 1 && order.status == OrderStatus::Received {
        order.status = OrderStatus::Processing;
        order.modified = now_rfc3339();
    } else if order.status == OrderStatus::Processing {
        apply(&mut world, &mut order);
    }
    world.tn_option_orders.insert(id, order.clone());
    xml(StatusCode::OK, &order_element(&world, &account, &order))
}

/// `GET /tns/{tn}/tndetails`: the number's messaging settings, with its campaign.
pub async fn tn_details(State(state): State<EmulatorState>, Path(tn): Path<String>) -> Response {
    let world = state.world();
    if !world.numbers.contains_key(&tn) {
        return response_status(
            StatusCode::NOT_FOUND,
            "TelephoneNumberResponse",
            404,
            "Telephone number not found",
        );
    }
    let campaign = world.tn_campaigns.get(&tn);
    let mut settings = Element::new("MessagingSettings").with_leaf("SmsEnabled", "true");
    settings = match campaign {
        Some(c) => settings
            .with_leaf("CampaignId", c.clone())
            .with_leaf("MessageClass", "Campaign-E")
            .with_leaf("A2pState", "overridden"),
        None => settings
            .with_leaf("MessageClass", "UNREGISTERED")
            .with_leaf("A2pState", "system_default"),
    };
    let body = Element::new("TelephoneNumberResponse").with(
        Element::new("TelephoneNumberDetails")
            .with_leaf("FullNumber", tn.clone())
            .with_leaf("Status", "Inservice")
            .with(settings),
    );
    xml(StatusCode::OK, &body)
}

/// Why a send from this number fails when registration is enforced: (code, description).
pub fn registration_failure(world: &World, ten_digits: &str) -> Option<u32> {
    if rules::is_toll_free(ten_digits.get(..3).unwrap_or("")) {
        let verified = world
            .toll_free_verifications
            .get(&format!("+1{ten_digits}"))
            .is_some_and(|v| v.status == "VERIFIED");
        return (!verified).then_some(4795);
    }
    let Some(campaign) = world.tn_campaigns.get(ten_digits) else {
        return Some(4476);
    };
    match world.campaigns.get(campaign) {
        Some(c)
            if c.status.eq_ignore_ascii_case("ACTIVE")
                && !c
                    .mno
                    .iter()
                    .any(|(_, _, s)| s == "REJECTED" || s == "SUSPENDED") =>
        {
            None
        }
        _ => Some(4773),
    }
}

fn tfv_error(status: StatusCode, description: &str, errors: Value) -> Response {
    json_response(
        status,
        &json!({"description": description, "errors": errors}),
    )
}

/// `POST /accounts/{a}/tollFreeVerification`: 202 and each number PENDING; 400 with field errors.
pub async fn submit_tfv(State(state): State<EmulatorState>, body: String) -> Response {
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return tfv_error(
            StatusCode::BAD_REQUEST,
            "cannot process request.",
            json!({"body": "not JSON"}),
        );
    };
    let mut errors = serde_json::Map::new();
    for field in [
        "businessAddress",
        "businessContact",
        "messageVolume",
        "useCase",
        "useCaseSummary",
        "productionMessageContent",
        "optInWorkflow",
        "businessEntityType",
    ] {
        if request.get(field).is_none_or(Value::is_null) {
            errors.insert(field.into(), json!(format!("{field} is required")));
        }
    }
    let numbers: Vec<String> = request["phoneNumbers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if numbers.is_empty() || numbers.len() > 10 {
        errors.insert(
            "phoneNumbers".into(),
            json!("1 to 10 toll-free numbers are required"),
        );
    }
    let mut world = state.world();
    for n in &numbers {
        let owned = rules::nanp_digits(n)
            .is_some_and(|d| world.numbers.contains_key(&d) && rules::is_toll_free(&d[..3]));
        if !owned {
            errors.insert(
                "phoneNumbers".into(),
                json!(format!("{n} is not a toll-free number on this account")),
            );
        }
    }
    if !errors.is_empty() {
        return tfv_error(
            StatusCode::BAD_REQUEST,
            "cannot process request.",
            Value::Object(errors),
        );
    }
    let now = now_rfc3339();
    for n in numbers {
        world.toll_free_verifications.insert(
            n.clone(),
            TollFreeVerification {
                phone_number: n,
                status: "PENDING".into(),
                internal_ticket_number: uuid::Uuid::new_v4().to_string(),
                decline_reason_description: None,
                denial_status_code: None,
                resubmit_allowed: None,
                created: now.clone(),
                modified: now.clone(),
            },
        );
    }
    StatusCode::ACCEPTED.into_response()
}

/// The `tfvStatus` JSON of a verification.
pub fn tfv_status_json(v: &TollFreeVerification) -> Value {
    json!({
        "phoneNumber": v.phone_number, "status": v.status,
        "internalTicketNumber": v.internal_ticket_number,
        "declineReasonDescription": v.decline_reason_description,
        "denialStatusCode": v.denial_status_code,
        "resubmitAllowed": v.resubmit_allowed,
        "createdDateTime": v.created, "modifiedDateTime": v.modified,
    })
}

/// `GET /accounts/{a}/phoneNumbers/{tfn}/tollFreeVerification`: 200 status, 404 never submitted.
pub async fn get_tfv(
    State(state): State<EmulatorState>,
    Path((_account, number)): Path<(String, String)>,
) -> Response {
    let world = state.world();
    match world.toll_free_verifications.get(&number) {
        Some(v) => json_response(StatusCode::OK, &tfv_status_json(v)),
        None => json_error(
            StatusCode::NOT_FOUND,
            "Not Found",
            "Cannot find the requested resource.",
        ),
    }
}

/// `GET …/tollFreeVerification/webhooks/subscriptions` (passwords never echoed).
pub async fn list_tfv_subscriptions(State(state): State<EmulatorState>) -> Response {
    let world = state.world();
    let data: Vec<Value> = world
        .tfv_subscriptions
        .iter()
        .map(|s| json!({"id": s.id, "callbackUrl": s.callback_url, "type": "TOLLFREE_VERIFICATION_STATUS",
                        "basicAuthentication": {"username": s.username, "password": null}, "createdDate": s.created}))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"links": {}, "errors": [], "data": data}),
    )
}

/// `POST …/tollFreeVerification/webhooks/subscriptions`: 201.
pub async fn create_tfv_subscription(
    State(state): State<EmulatorState>,
    Path(account): Path<String>,
    body: String,
) -> Response {
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return tfv_error(
            StatusCode::BAD_REQUEST,
            "cannot process request.",
            json!({"body": "not JSON"}),
        );
    };
    let Some(url) = request["callbackUrl"]
        .as_str()
        .filter(|u| u.starts_with("http"))
    else {
        return tfv_error(
            StatusCode::BAD_REQUEST,
            "cannot process request.",
            json!({"callbackUrl": "an http(s) URL is required"}),
        );
    };
    let subscription = TfvSubscription {
        id: uuid::Uuid::new_v4().to_string(),
        callback_url: url.to_string(),
        username: request["basicAuthentication"]["username"]
            .as_str()
            .map(str::to_string),
        password: request["basicAuthentication"]["password"]
            .as_str()
            .map(str::to_string),
        created: now_rfc3339(),
    };
    let body = json!({"id": subscription.id, "accountId": account, "callbackUrl": subscription.callback_url,
                      "type": "TOLLFREE_VERIFICATION_STATUS", "basicAuthentication": {"username": subscription.username, "password": null},
                      "createdDate": subscription.created, "modifiedDate": subscription.created});
    state.world().tfv_subscriptions.push(subscription);
    json_response(StatusCode::CREATED, &body)
}
