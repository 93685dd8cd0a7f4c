//! Sites (sub-accounts) and sip peers (locations) of the emulated Dashboard (contract §2.1–§2.4).

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{canonical, find_peer, parse_body, parse_bool};
use crate::emulator::http::{created_without_body, location, response_status, xml, xml_created};
use crate::emulator::state::{Address, EmulatorState, SipPeer, Site};
use crate::emulator::xml::Element;

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
