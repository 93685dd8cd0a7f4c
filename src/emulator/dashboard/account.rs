//! Sites, sip peers (locations), SMS/MMS features, messaging applications and the
//! application ↔ location association of the emulated Dashboard (contract §2.1–§2.9).

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{find_peer, parse_body, parse_bool};
use crate::emulator::http::{created_without_body, location, response_status, xml, xml_created};
use crate::emulator::state::{
    Address, Application, Creds, EmulatorState, SipPeer, Site, SmsFeature,
};
use crate::emulator::xml::Element;

/// The account-level HTTP proxy peer Bandwidth reports in `HttpSettings` (fixed for the account).
const PROXY_PEER_ID: &str = "539692";

const ADDRESS_FIELDS: [&str; 15] = [
    "HouseNumber",
    "HousePrefix",
    "HouseSuffix",
    "PreDirectional",
    "StreetName",
    "StreetSuffix",
    "PostDirectional",
    "AddressLine2",
    "City",
    "StateCode",
    "Zip",
    "PlusFour",
    "County",
    "Country",
    "AddressType",
];

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

/// Default `RequestedCallbackTypes` when an application names none (A-setup's response shows
/// Bandwidth filling in all three for a request that had none).
const DEFAULT_CALLBACK_TYPES: [&str; 3] =
    ["message-failed", "message-delivered", "message-sending"];

fn canonical(name: &str, known: &[&str]) -> String {
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |k| (*k).to_string())
}

fn site_element(site: &Site) -> Element {
    Element::new("Site")
        .with_leaf("Id", site.id.to_string())
        .with_opt("Name", site.name.as_deref())
        .with_opt("Description", site.description.as_deref())
        .with_opt("CustomerName", site.customer_name.as_deref())
        .with_opt("CustomerProvidedId", site.customer_provided_id.as_deref())
        .with(
            Element::new("Address").with_all(
                site.address
                    .iter()
                    .map(|(name, text)| Element::leaf(name.clone(), text.clone())),
            ),
        )
}

/// `POST /accounts/{a}/sites`: 201 + `Location` + the site with `Id` and `Country` filled;
/// 400 `1003` without an address.
pub async fn create_site(
    State(state): State<EmulatorState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: String,
) -> Response {
    const ROOT: &str = "SiteResponse";
    let doc = match parse_body(&body, ROOT) {
        Ok(doc) => doc,
        Err(response) => return response,
    };
    let Some(address) = doc.child("Address").filter(|a| !a.children.is_empty()) else {
        return response_status(StatusCode::BAD_REQUEST, ROOT, 1003, "Address is required");
    };
    let mut fields: Address = address
        .children
        .iter()
        .map(|c| (canonical(&c.name, &ADDRESS_FIELDS), c.text.clone()))
        .collect();
    if !fields.iter().any(|(name, _)| name == "Country") {
        let at = fields
            .iter()
            .position(|(name, _)| name == "AddressType")
            .unwrap_or(fields.len());
        fields.insert(at, ("Country".to_string(), "United States".to_string()));
    }
    let text = |name: &str| doc.text_at(&[name]).map(str::to_string);
    let site = {
        let mut world = state.world();
        let id = world.next_site_id;
        world.next_site_id += 1;
        let site = Site {
            id,
            name: text("Name"),
            description: text("Description"),
            customer_name: text("CustomerName"),
            customer_provided_id: text("CustomerProvidedId"),
            address: fields,
        };
        world.sites.insert(id, site.clone());
        site
    };
    let body = Element::new(ROOT).with(site_element(&site));
    xml_created(&location(&headers, uri.path(), &site.id.to_string()), &body)
}

/// `GET /accounts/{a}/sites`.
pub async fn list_sites(State(state): State<EmulatorState>) -> Response {
    let world = state.world();
    let body = Element::new("SitesResponse")
        .with(Element::new("Sites").with_all(world.sites.values().map(site_element)));
    xml(StatusCode::OK, &body)
}

/// `GET /accounts/{a}/sites/{s}`: 200, or 404 `12016`.
pub async fn get_site(
    State(state): State<EmulatorState>,
    Path((_account, site)): Path<(String, String)>,
) -> Response {
    const ROOT: &str = "SiteResponse";
    let world = state.world();
    match site.parse::<u64>().ok().and_then(|id| world.sites.get(&id)) {
        Some(found) => xml(
            StatusCode::OK,
            &Element::new(ROOT).with(site_element(found)),
        ),
        None => response_status(
            StatusCode::NOT_FOUND,
            ROOT,
            12016,
            &format!("Site '{site}' does not exist"),
        ),
    }
}

fn peer_element(peer: &SipPeer) -> Element {
    Element::new("SipPeer")
        .with_leaf("PeerId", peer.id.to_string())
        .with_leaf("PeerName", peer.name.clone())
        .with_opt("Description", peer.description.as_deref())
        .with_leaf("IsDefaultPeer", peer.is_default.to_string())
}

/// `POST /accounts/{a}/sites/{s}/sippeers`: 201 + `Location`, no body. Unknown elements (Spoke's
/// `<SiteId>`) are ignored. The first peer of a site is its default; a later peer sent with
/// `IsDefaultPeer=true` takes the default over (one default per site).
pub async fn create_peer(
    State(state): State<EmulatorState>,
    Path((_account, site)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: String,
) -> Response {
    const ROOT: &str = "SipPeerResponse";
    let doc = match parse_body(&body, ROOT) {
        Ok(doc) => doc,
        Err(response) => return response,
    };
    let mut world = state.world();
    let Some(site_id) = site
        .parse::<u64>()
        .ok()
        .filter(|id| world.sites.contains_key(id))
    else {
        return response_status(
            StatusCode::NOT_FOUND,
            ROOT,
            12016,
            &format!("Site '{site}' does not exist"),
        );
    };
    let Some(name) = doc.text_at(&["PeerName"]).map(str::to_string) else {
        return response_status(StatusCode::BAD_REQUEST, ROOT, 400, "PeerName is required");
    };
    if world
        .peers
        .values()
        .any(|p| p.site_id == site_id && p.name == name)
    {
        return response_status(
            StatusCode::CONFLICT,
            ROOT,
            13524,
            &format!(
                "SipPeer name '{name}' already exists for Account '{}' and Site '{site_id}'",
                state.config().account_id
            ),
        );
    }
    let first_in_site = world.default_peer(site_id).is_none();
    let is_default = first_in_site || parse_bool(doc.text_at(&["IsDefaultPeer"])) == Some(true);
    if is_default {
        for peer in world.peers.values_mut().filter(|p| p.site_id == site_id) {
            peer.is_default = false;
        }
    }
    let id = world.next_peer_id;
    world.next_peer_id += 1;
    world.peers.insert(
        id,
        SipPeer {
            id,
            site_id,
            name,
            description: doc.text_at(&["Description"]).map(str::to_string),
            is_default,
            sms: None,
            mms_protocol: None,
            application_id: None,
        },
    );
    created_without_body(&location(&headers, uri.path(), &id.to_string()))
}

/// `GET /accounts/{a}/sites/{s}/sippeers`.
pub async fn list_peers(
    State(state): State<EmulatorState>,
    Path((_account, site)): Path<(String, String)>,
) -> Response {
    let world = state.world();
    let Some(site_id) = site
        .parse::<u64>()
        .ok()
        .filter(|id| world.sites.contains_key(id))
    else {
        return response_status(
            StatusCode::NOT_FOUND,
            "TNSipPeersResponse",
            12016,
            &format!("Site '{site}' does not exist"),
        );
    };
    let peers = world
        .peers
        .values()
        .filter(|p| p.site_id == site_id)
        .map(peer_element);
    let body = Element::new("TNSipPeersResponse").with(Element::new("SipPeers").with_all(peers));
    xml(StatusCode::OK, &body)
}

/// `GET /accounts/{a}/sites/{s}/sippeers/{p}`: 200, or 400 `13563`.
pub async fn get_peer(
    State(state): State<EmulatorState>,
    Path((account, site, peer)): Path<(String, String, String)>,
) -> Response {
    const ROOT: &str = "SipPeerResponse";
    let world = state.world();
    match find_peer(&world, &account, &site, &peer, ROOT) {
        Ok(id) => {
            let body = Element::new(ROOT).with(peer_element(&world.peers[&id]));
            xml(StatusCode::OK, &body)
        }
        Err(response) => response,
    }
}

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

// ---- Applications ----

const APP_ROOT: &str = "ApplicationProvisioningResponse";

fn parse_creds(doc: &Element, name: &str) -> Option<Creds> {
    let el = doc.child(name)?;
    let user_id = el.text_at(&["UserId"])?.to_string();
    Some(Creds {
        user_id,
        password: el.text_at(&["Password"]).map(str::to_string),
    })
}

/// Reads an `<Application>`: deprecated `MsgCallbackUrl`/`CallbackUrl` fan out to the inbound
/// and outbound URLs, and legacy `CallbackCreds` apply to both directions when the specific
/// credentials are absent (A-setup's response shows Bandwidth doing both).
fn parse_application(id: String, doc: &Element) -> Result<Application, Response> {
    let text = |name: &str| doc.text_at(&[name]).map(str::to_string);
    let Some(name) = text("AppName") else {
        return Err(response_status(
            StatusCode::BAD_REQUEST,
            APP_ROOT,
            12806,
            "Application Name required",
        ));
    };
    let service_type = match text("ServiceType") {
        None => "Messaging-V2".to_string(),
        Some(t) if t.eq_ignore_ascii_case("Messaging") => "Messaging-V2".to_string(),
        Some(t) => t,
    };
    let msg_url = text("MsgCallbackUrl").or_else(|| text("CallbackUrl"));
    let callback_creds = parse_creds(doc, "CallbackCreds");
    let mut callback_types: Vec<String> = doc
        .child("RequestedCallbackTypes")
        .map(|t| {
            t.children_named("CallbackType")
                .map(|c| c.text.clone())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if callback_types.is_empty() {
        callback_types = DEFAULT_CALLBACK_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect();
    }
    Ok(Application {
        id,
        service_type,
        name,
        callback_url: text("CallbackUrl").or_else(|| msg_url.clone()),
        inbound_url: text("InboundCallbackUrl").or_else(|| msg_url.clone()),
        outbound_url: text("OutboundCallbackUrl").or_else(|| msg_url.clone()),
        msg_callback_url: msg_url,
        inbound_creds: parse_creds(doc, "InboundCallbackCreds").or_else(|| callback_creds.clone()),
        outbound_creds: parse_creds(doc, "OutboundCallbackCreds")
            .or_else(|| callback_creds.clone()),
        callback_creds,
        callback_types,
    })
}

/// The application as Bandwidth shows it: credentials carry `UserId` only, never the password.
fn application_element(app: &Application) -> Element {
    let creds = |name: &str, c: &Option<Creds>| {
        c.as_ref()
            .map(|c| Element::new(name).with_leaf("UserId", c.user_id.clone()))
    };
    let mut el = Element::new("Application")
        .with_leaf("ApplicationId", app.id.clone())
        .with_leaf("ServiceType", app.service_type.clone())
        .with_leaf("AppName", app.name.clone())
        .with_opt("CallbackUrl", app.callback_url.as_deref())
        .with_opt("MsgCallbackUrl", app.msg_callback_url.as_deref())
        .with_opt("InboundCallbackUrl", app.inbound_url.as_deref())
        .with_opt("OutboundCallbackUrl", app.outbound_url.as_deref())
        .with(
            Element::new("RequestedCallbackTypes").with_all(
                app.callback_types
                    .iter()
                    .map(|t| Element::leaf("CallbackType", t.clone())),
            ),
        );
    el = el.with_all(
        [
            creds("CallbackCreds", &app.callback_creds),
            creds("InboundCallbackCreds", &app.inbound_creds),
            creds("OutboundCallbackCreds", &app.outbound_creds),
        ]
        .into_iter()
        .flatten(),
    );
    el
}

fn application_not_found(id: &str) -> Response {
    response_status(
        StatusCode::NOT_FOUND,
        APP_ROOT,
        23019,
        &format!("Application with id '{id}' not found"),
    )
}

/// `POST /accounts/{a}/applications`: 201 + `Location` + `ApplicationProvisioningResponse`.
pub async fn create_application(
    State(state): State<EmulatorState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let doc = match parse_body(&body, APP_ROOT) {
        Ok(doc) => doc,
        Err(response) => return response,
    };
    let app = match parse_application(uuid::Uuid::new_v4().to_string(), &doc) {
        Ok(app) => app,
        Err(response) => return response,
    };
    let body = Element::new(APP_ROOT).with(application_element(&app));
    let id = app.id.clone();
    state.world().applications.insert(id.clone(), app);
    xml_created(&location(&headers, uri.path(), &id), &body)
}

/// `GET /accounts/{a}/applications`: every application in an `ApplicationList`.
pub async fn list_applications(State(state): State<EmulatorState>) -> Response {
    let world = state.world();
    let body = Element::new(APP_ROOT).with(
        Element::new("ApplicationList")
            .with_all(world.applications.values().map(application_element)),
    );
    xml(StatusCode::OK, &body)
}

/// `GET /accounts/{a}/applications/{id}`: 200, or 404 `23019`.
pub async fn get_application(
    State(state): State<EmulatorState>,
    Path((_account, app)): Path<(String, String)>,
) -> Response {
    let world = state.world();
    match world.applications.get(&app) {
        Some(found) => xml(
            StatusCode::OK,
            &Element::new(APP_ROOT).with(application_element(found)),
        ),
        None => application_not_found(&app),
    }
}

/// `PUT /accounts/{a}/applications/{id}`: replaces the application; 400 `12964` when the
/// service type would change.
pub async fn update_application(
    State(state): State<EmulatorState>,
    Path((_account, app)): Path<(String, String)>,
    body: String,
) -> Response {
    let doc = match parse_body(&body, APP_ROOT) {
        Ok(doc) => doc,
        Err(response) => return response,
    };
    let updated = match parse_application(app.clone(), &doc) {
        Ok(updated) => updated,
        Err(response) => return response,
    };
    let mut world = state.world();
    let Some(existing) = world.applications.get_mut(&app) else {
        return application_not_found(&app);
    };
    if existing.service_type != updated.service_type {
        return response_status(
            StatusCode::BAD_REQUEST,
            APP_ROOT,
            12964,
            "Service Type of Application could not be changed",
        );
    }
    *existing = updated;
    xml(
        StatusCode::OK,
        &Element::new(APP_ROOT).with(application_element(existing)),
    )
}

/// `DELETE /accounts/{a}/applications/{id}`: 200 empty; 400 `12107` while a location uses it.
pub async fn delete_application(
    State(state): State<EmulatorState>,
    Path((_account, app)): Path<(String, String)>,
) -> Response {
    let mut world = state.world();
    if !world.applications.contains_key(&app) {
        return application_not_found(&app);
    }
    let users: Vec<String> = world
        .peers
        .values()
        .filter(|p| p.application_id.as_deref() == Some(app.as_str()))
        .map(|p| p.id.to_string())
        .collect();
    if !users.is_empty() {
        return response_status(
            StatusCode::BAD_REQUEST,
            APP_ROOT,
            12107,
            &format!(
                "The Application cannot be removed until references in the following Locations are removed: {}",
                users.join(", ")
            ),
        );
    }
    world.applications.remove(&app);
    StatusCode::OK.into_response()
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
