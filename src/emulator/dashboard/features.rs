//! SMS and MMS features of a location and its application association (contract §2.5, §2.6,
//! §2.9).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{canonical, find_peer, parse_body};
use crate::emulator::http::{response_status, xml};
use crate::emulator::state::{EmulatorState, SmsFeature};
use crate::emulator::xml::Element;

/// The account-level HTTP proxy peer Bandwidth reports in `HttpSettings` (fixed for the account).
const PROXY_PEER_ID: &str = "539692";

const SMS_FIELDS: [&str; 11] = [
    "TollFree",
    "ShortCode",
    "A2pLongCode",
    "A2pMessageClass",
    "A2pCampaignId",
    "Protocol",
    "Zone1",
    "Zone2",
    "Zone3",
    "Zone4",
    "Zone5",
];

// ---- SMS feature ----

const SMS_ROOT: &str = "SipPeerSmsFeatureResponse";

fn sms_element(sms: &SmsFeature) -> Element {
    let settings = Element::new("SipPeerSmsFeatureSettings").with_all(
        sms.settings
            .iter()
            .map(|(n, t)| Element::leaf(n.clone(), t.clone())),
    );
    let mut feature = Element::new("SipPeerSmsFeature").with(settings);
    if sms.protocol.as_deref() == Some("HTTP") {
        feature =
            feature.with(Element::new("HttpSettings").with_leaf("ProxyPeerId", PROXY_PEER_ID));
    }
    Element::new(SMS_ROOT).with(feature)
}

fn parse_sms(body: &str) -> Result<SmsFeature, Response> {
    let doc = parse_body(body, SMS_ROOT)?;
    let Some(settings) = doc.child("SipPeerSmsFeatureSettings") else {
        return Err(response_status(
            StatusCode::BAD_REQUEST,
            SMS_ROOT,
            400,
            "SipPeerSmsFeatureSettings is required",
        ));
    };
    let mut fields: Vec<(String, String)> = settings
        .children
        .iter()
        .map(|c| {
            let name = canonical(&c.name, &SMS_FIELDS);
            let text = if name == "Protocol" {
                c.text.to_ascii_uppercase()
            } else {
                c.text.clone()
            };
            (name, text)
        })
        .collect();
    for (index, required) in ["TollFree", "ShortCode"].into_iter().enumerate() {
        if !fields.iter().any(|(n, _)| n == required) {
            fields.insert(
                index.min(fields.len()),
                (required.to_string(), "false".to_string()),
            );
        }
    }
    let protocol = fields
        .iter()
        .find(|(n, _)| n == "Protocol")
        .map(|(_, t)| t.clone());
    Ok(SmsFeature {
        settings: fields,
        protocol,
    })
}

async fn store_sms(
    state: EmulatorState,
    (account, site, peer): (String, String, String),
    body: String,
    status: StatusCode,
) -> Response {
    let sms = match parse_sms(&body) {
        Ok(sms) => sms,
        Err(response) => return response,
    };
    let mut world = state.world();
    let id = match find_peer(&world, &account, &site, &peer, SMS_ROOT) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let response = sms_element(&sms);
    if let Some(found) = world.peers.get_mut(&id) {
        found.sms = Some(sms);
    }
    xml(status, &response)
}

/// `POST …/features/sms`: 201 echo with `HttpSettings/ProxyPeerId`.
pub async fn create_sms(
    State(state): State<EmulatorState>,
    Path(ids): Path<(String, String, String)>,
    body: String,
) -> Response {
    store_sms(state, ids, body, StatusCode::CREATED).await
}

/// `PUT …/features/sms`: 200 echo.
pub async fn update_sms(
    State(state): State<EmulatorState>,
    Path(ids): Path<(String, String, String)>,
    body: String,
) -> Response {
    store_sms(state, ids, body, StatusCode::OK).await
}

/// `GET …/features/sms`: 200, or 404 when the feature was never set.
pub async fn get_sms(
    State(state): State<EmulatorState>,
    Path((account, site, peer)): Path<(String, String, String)>,
) -> Response {
    let world = state.world();
    let id = match find_peer(&world, &account, &site, &peer, SMS_ROOT) {
        Ok(id) => id,
        Err(response) => return response,
    };
    match &world.peers[&id].sms {
        Some(sms) => xml(StatusCode::OK, &sms_element(sms)),
        None => response_status(
            StatusCode::NOT_FOUND,
            SMS_ROOT,
            404,
            "SMS feature not found",
        ),
    }
}

/// `DELETE …/features/sms`: 200, or 404 when absent. Removing SMS also removes MMS, which
/// cannot exist without it (13623).
pub async fn delete_sms(
    State(state): State<EmulatorState>,
    Path((account, site, peer)): Path<(String, String, String)>,
) -> Response {
    let mut world = state.world();
    let id = match find_peer(&world, &account, &site, &peer, SMS_ROOT) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let Some(found) = world.peers.get_mut(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if found.sms.take().is_none() {
        return response_status(
            StatusCode::NOT_FOUND,
            SMS_ROOT,
            404,
            "SMS feature not found",
        );
    }
    found.mms_protocol = None;
    StatusCode::OK.into_response()
}

// ---- MMS feature ----

const MMS_ROOT: &str = "MmsFeatureResponse";

/// MMS responses use lowercase `protocol` and `proxyPeerId`, as Bandwidth's captured responses do.
fn mms_element(protocol: &str) -> Element {
    let mut protocols = Element::new("Protocols");
    if protocol == "HTTP" {
        protocols = protocols.with(
            Element::new("HTTP")
                .with(Element::new("HttpSettings").with_leaf("proxyPeerId", PROXY_PEER_ID)),
        );
    }
    Element::new(MMS_ROOT).with(
        Element::new("MmsFeature")
            .with(Element::new("MmsSettings").with_leaf("protocol", protocol))
            .with(protocols),
    )
}

async fn store_mms(
    state: EmulatorState,
    (account, site, peer): (String, String, String),
    body: String,
    status: StatusCode,
) -> Response {
    let doc = match parse_body(&body, MMS_ROOT) {
        Ok(doc) => doc,
        Err(response) => return response,
    };
    if doc.child("Protocols").is_some_and(|p| p.children.len() > 1) {
        return response_status(
            StatusCode::BAD_REQUEST,
            MMS_ROOT,
            13606,
            "Messaging feature may have only one protocol assigned.",
        );
    }
    let protocol = doc
        .text_at(&["MmsSettings", "Protocol"])
        .map(str::to_ascii_uppercase)
        .or_else(|| {
            doc.child("Protocols")
                .and_then(|p| p.children.first())
                .map(|c| c.name.to_ascii_uppercase())
        })
        .unwrap_or_else(|| "HTTP".to_string());
    let mut world = state.world();
    let id = match find_peer(&world, &account, &site, &peer, MMS_ROOT) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let Some(found) = world.peers.get_mut(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if found.sms.is_none() {
        return response_status(
            StatusCode::BAD_REQUEST,
            MMS_ROOT,
            13623,
            "MMS feature is not allowed without SMS feature enabled",
        );
    }
    found.mms_protocol = Some(protocol.clone());
    xml(status, &mms_element(&protocol))
}

/// `POST …/features/mms`: 201 (lowercase echo), or 400 `13623` before SMS is enabled.
pub async fn create_mms(
    State(state): State<EmulatorState>,
    Path(ids): Path<(String, String, String)>,
    body: String,
) -> Response {
    store_mms(state, ids, body, StatusCode::CREATED).await
}

/// `PUT …/features/mms`: 200.
pub async fn update_mms(
    State(state): State<EmulatorState>,
    Path(ids): Path<(String, String, String)>,
    body: String,
) -> Response {
    store_mms(state, ids, body, StatusCode::OK).await
}

/// `GET …/features/mms`: 200, or 404 when the feature was never set.
pub async fn get_mms(
    State(state): State<EmulatorState>,
    Path((account, site, peer)): Path<(String, String, String)>,
) -> Response {
    let world = state.world();
    let id = match find_peer(&world, &account, &site, &peer, MMS_ROOT) {
        Ok(id) => id,
        Err(response) => return response,
    };
    match &world.peers[&id].mms_protocol {
        Some(protocol) => xml(StatusCode::OK, &mms_element(protocol)),
        None => response_status(
            StatusCode::NOT_FOUND,
            MMS_ROOT,
            404,
            "MMS feature not found",
        ),
    }
}

/// `DELETE …/features/mms`: 200, or 404 when absent.
pub async fn delete_mms(
    State(state): State<EmulatorState>,
    Path((account, site, peer)): Path<(String, String, String)>,
) -> Response {
    let mut world = state.world();
    let id = match find_peer(&world, &account, &site, &peer, MMS_ROOT) {
        Ok(id) => id,
        Err(response) => return response,
    };
    match world.peers.get_mut(&id).and_then(|p| p.mms_protocol.take()) {
        Some(_) => StatusCode::OK.into_response(),
        None => response_status(
            StatusCode::NOT_FOUND,
            MMS_ROOT,
            404,
            "MMS feature not found",
        ),
    }
}

// ---- Application settings (association) ----

const SETTINGS_ROOT: &str = "ApplicationsSettingsResponse";

fn settings_element(app_id: Option<&str>) -> Element {
    Element::new(SETTINGS_ROOT)
        .with(Element::new("ApplicationsSettings").with_opt("HttpMessagingV2AppId", app_id))
}

/// `PUT …/products/messaging/applicationSettings`: associates (`HttpMessagingV2AppId`) or
/// unassigns (`REMOVE`). 400 `13628` for an empty value, `13645` before SMS uses HTTP,
/// `13629` for an unknown application. After `REMOVE` the answer is 200 with an empty
/// `ApplicationsSettings` (undocumented; chosen to match what a GET then shows).
pub async fn put_application_settings(
    State(state): State<EmulatorState>,
    Path((account, site, peer)): Path<(String, String, String)>,
    body: String,
) -> Response {
    let doc = match parse_body(&body, SETTINGS_ROOT) {
        Ok(doc) => doc,
        Err(response) => return response,
    };
    let value = doc
        .text_at(&["HttpMessagingV2AppId"])
        .unwrap_or(doc.text.as_str())
        .trim()
        .to_string();
    let mut world = state.world();
    let id = match find_peer(&world, &account, &site, &peer, SETTINGS_ROOT) {
        Ok(id) => id,
        Err(response) => return response,
    };
    if value.is_empty() {
        return response_status(
            StatusCode::BAD_REQUEST,
            SETTINGS_ROOT,
            13628,
            "The HttpMessagingV2AppId must either valid string or have 'REMOVE' value",
        );
    }
    if value.eq_ignore_ascii_case("REMOVE") {
        if let Some(found) = world.peers.get_mut(&id) {
            found.application_id = None;
        }
        return xml(StatusCode::OK, &settings_element(None));
    }
    let sms_http = world.peers[&id]
        .sms
        .as_ref()
        .is_some_and(|s| s.protocol.as_deref() == Some("HTTP"));
    if !sms_http {
        return response_status(
            StatusCode::BAD_REQUEST,
            SETTINGS_ROOT,
            13645,
            "Please assign SMS or MM4 protocol to HTTP before associating the application to the location",
        );
    }
    if !world.applications.contains_key(&value) {
        return response_status(
            StatusCode::BAD_REQUEST,
            SETTINGS_ROOT,
            13629,
            &format!("Application with id '{value}' not found"),
        );
    }
    if let Some(found) = world.peers.get_mut(&id) {
        found.application_id = Some(value.clone());
    }
    xml(StatusCode::OK, &settings_element(Some(&value)))
}

/// `GET …/products/messaging/applicationSettings`.
pub async fn get_application_settings(
    State(state): State<EmulatorState>,
    Path((account, site, peer)): Path<(String, String, String)>,
) -> Response {
    let world = state.world();
    match find_peer(&world, &account, &site, &peer, SETTINGS_ROOT) {
        Ok(id) => xml(
            StatusCode::OK,
            &settings_element(world.peers[&id].application_id.as_deref()),
        ),
        Err(response) => response,
    }
}
