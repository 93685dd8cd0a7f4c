//! Number search, disconnects and a location's number list (contract §2.10, §2.11, §2.14),
//! with the decisions for orders (`orders`, §2.12–§2.13) listed here beside them.
//!
//! Decisions for undocumented cases:
//! - Every area code supplies the same fixed numbers (`rules::supply`); `999` supplies none.
//!   Search parameters the emulator has no geography for (`state`, `zip`, `city`, …) find nothing.
//! - An order resolves on its `order_polls_to_complete`-th GET; numbers are taken from the supply
//!   at that moment and assigned to the order's `PeerId`, or the site's default peer.
//! - Too few numbers: `PARTIAL` with one `5005` error (no `TelephoneNumber`, as none was named)
//!   when `PartialAllowed` is true (the default); `FAILED` with `5018` and nothing assigned when it
//!   is false. No numbers at all: `FAILED` with `5018`.
//! - An order with no recognised order type (e.g. Spoke's flat toll-free body, or a quantity
//!   outside 1..=5000) is refused with 400 `5087`.
//! - A disconnect takes effect when it is created; its GET always reports the final state
//!   (`COMPLETE`, `PARTIAL`, or `FAILED` with `5006` per number not on the account).
//!   Disconnected numbers return to the supply.

use std::collections::HashMap;

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::orders::order_error;
use super::{error_list, find_peer, parse_body, parse_bool};
use crate::emulator::http::{location, response_status, xml, xml_created};
use crate::emulator::rules;
use crate::emulator::state::{Disconnect, EmulatorState, OrderStatus, World, now_rfc3339};
use crate::emulator::xml::Element;

/// Most numbers one order or search may ask for (Bandwidth's documented `quantity` maximum).
pub(super) const MAX_QUANTITY: u32 = 5000;

/// `GET …/sippeers/{p}/tns?page&size&includeAttributes`: the peer's numbers, sorted, paginated
/// (`page` from 1, `size` 1..=5000, out-of-range values clamped). No numbers →
/// `<SipPeerTelephoneNumbers/>`.
pub async fn list_peer_numbers(
    State(state): State<EmulatorState>,
    Path((account, site, peer)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    const ROOT: &str = "SipPeerTelephoneNumbersResponse";
    let world = state.world();
    let id = match find_peer(&world, &account, &site, &peer, ROOT) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let number = |key: &str, default: usize| {
        query
            .get(key)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let page = number("page", 1).max(1);
    let size = number("size", 5000).clamp(1, MAX_QUANTITY as usize);
    let attributes = parse_bool(query.get("includeAttributes").map(String::as_str)).unwrap_or(true);
    let sms_enabled = world.peers[&id].sms.is_some();
    let numbers = world
        .numbers
        .values()
        .filter(|n| n.peer_id == id)
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|n| {
            let el =
                Element::new("SipPeerTelephoneNumber").with_leaf("FullNumber", n.number.clone());
            if attributes {
                el.with_leaf("CallingNameDisplay", "false").with(
                    Element::new("MessagingSettings")
                        .with_leaf("SmsEnabled", sms_enabled.to_string()),
                )
            } else {
                el
            }
        });
    let body = Element::new(ROOT).with(Element::new("SipPeerTelephoneNumbers").with_all(numbers));
    xml(StatusCode::OK, &body)
}

/// `GET /accounts/{a}/inserviceNumbers/{tn}`: 200 with no body when the number is on the
/// account (any site or location), 404 when it is not (contract-2 §12).
pub async fn get_in_service_number(
    State(state): State<EmulatorState>,
    Path((_account, tn)): Path<(String, String)>,
) -> Response {
    let digits = tn.trim_start_matches("+1");
    if state.world().numbers.contains_key(digits) {
        StatusCode::OK.into_response()
    } else {
        crate::emulator::http::response_status(
            StatusCode::NOT_FOUND,
            "TelephoneNumberResponse",
            5006,
            &format!("Telephone number {digits} is not in service on this account"),
        )
    }
}

pub(super) fn available(world: &World, npa: &str) -> Vec<String> {
    rules::supply(npa)
        .into_iter()
        .filter(|n| !world.numbers.contains_key(n))
        .collect()
}

/// `GET /accounts/{a}/availableNumbers`: by `areaCode`, `npaNxx` or `tollFreeWildCardPattern`;
/// 400 `4010` without any search parameter.
pub async fn search_available_numbers(
    State(state): State<EmulatorState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    const SEARCH_KEYS: [&str; 13] = [
        "areaCode",
        "npaNxx",
        "npaNxxx",
        "rateCenter",
        "city",
        "state",
        "zip",
        "lata",
        "localVanity",
        "tollFreeVanity",
        "tollFreeWildCardPattern",
        "endsIn",
        "orderBy",
    ];
    let param = |key: &str| {
        query
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    };
    if !SEARCH_KEYS.iter().any(|k| param(k).is_some()) {
        let body = Element::new("SearchResult").with(
            Element::new("Error")
                .with_leaf("Code", "4010")
                .with_leaf(
                    "Description",
                    "One of more required search parameters are null or empty, please refer to the api documentation",
                ),
        );
        return xml(StatusCode::BAD_REQUEST, &body);
    }
    let quantity = param("quantity")
        .and_then(|q| q.parse::<usize>().ok())
        .unwrap_or(MAX_QUANTITY as usize)
        .clamp(1, MAX_QUANTITY as usize);
    let world = state.world();
    let found: Vec<String> = if let Some(pattern) = param("tollFreeWildCardPattern") {
        rules::toll_free_prefixes_matching(&pattern)
            .into_iter()
            .flat_map(|npa| available(&world, npa))
            .collect()
    } else if let Some(code) = param("areaCode") {
        available(&world, &code)
    } else if let Some(npa_nxx) = param("npaNxx").or_else(|| param("npaNxxx")) {
        let npa: String = npa_nxx.chars().take(3).collect();
        available(&world, &npa)
            .into_iter()
            .filter(|n| n.starts_with(&npa_nxx))
            .collect()
    } else {
        Vec::new()
    };
    let found: Vec<String> = found.into_iter().take(quantity).collect();
    let mut body = Element::new("SearchResult").with_leaf("ResultCount", found.len().to_string());
    if parse_bool(param("enableTNDetail").as_deref()) == Some(true) {
        if !found.is_empty() {
            body = body.with(
                Element::new("TelephoneNumberDetailList").with_all(found.iter().map(|n| {
                    Element::new("TelephoneNumberDetail")
                        .with_leaf("FullNumber", n.clone())
                        .with_leaf("Tier", "0")
                        .with_leaf("VendorId", "49")
                        .with_leaf("VendorName", "Bandwidth CLEC")
                })),
            );
        }
    } else if !found.is_empty() {
        body = body.with(
            Element::new("TelephoneNumberList").with_all(
                found
                    .iter()
                    .map(|n| Element::leaf("TelephoneNumber", n.clone())),
            ),
        );
    }
    xml(StatusCode::OK, &body)
}

// ---- Disconnects ----

const DISCONNECT_ROOT: &str = "DisconnectTelephoneNumberOrderResponse";

fn disconnect_request_element(d: &Disconnect, with_id: bool) -> Element {
    let mut el = Element::new("orderRequest")
        .with_opt("CustomerOrderId", d.customer_order_id.as_deref())
        .with_opt("Name", d.name.as_deref())
        .with_leaf("OrderCreateDate", d.created.clone());
    if with_id {
        el = el.with_leaf("id", d.id.clone());
    }
    el.with(
        Element::new("DisconnectTelephoneNumberOrderType")
            .with(
                Element::new("TelephoneNumberList").with_all(
                    d.requested
                        .iter()
                        .map(|n| Element::leaf("TelephoneNumber", n.clone())),
                ),
            )
            .with_leaf("DisconnectMode", "normal"),
    )
}

/// `POST /accounts/{a}/disconnects` (`<name>` or `<Name>`): 201 + `Location` + `RECEIVED`.
/// Numbers on the account are released at once; 400 `ErrorList` for an empty list (code 400,
/// undocumented) or a malformed number (`5070`).
pub async fn create_disconnect(
    State(state): State<EmulatorState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let doc = match parse_body(&body, DISCONNECT_ROOT) {
        Ok(doc) => doc,
        Err(response) => return response,
    };
    let requested: Vec<String> = doc
        .path(&["DisconnectTelephoneNumberOrderType", "TelephoneNumberList"])
        .map(|l| {
            l.children_named("TelephoneNumber")
                .map(|n| n.text.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut disconnect = Disconnect {
        id: uuid::Uuid::new_v4().to_string(),
        name: doc.text_at(&["name"]).map(str::to_string),
        customer_order_id: doc.text_at(&["CustomerOrderId"]).map(str::to_string),
        created: now_rfc3339(),
        requested,
        disconnected: Vec::new(),
        errors: Vec::new(),
        status: OrderStatus::Received,
    };
    let invalid =
        if disconnect.requested.is_empty() || disconnect.requested.len() > MAX_QUANTITY as usize {
            Some(order_error(
                400,
                "TelephoneNumberList must hold 1 to 5000 numbers.",
                None,
            ))
        } else {
            disconnect
                .requested
                .iter()
                .find(|n| n.len() != 10 || !n.bytes().all(|b| b.is_ascii_digit()))
                .map(|bad| order_error(5070, "Telephone number is invalid.", Some(bad.clone())))
        };
    if let Some(error) = invalid {
        let body = Element::new(DISCONNECT_ROOT)
            .with(error_list(&[error]))
            .with(disconnect_request_element(&disconnect, false));
        return xml(StatusCode::BAD_REQUEST, &body);
    }
    let body = Element::new(DISCONNECT_ROOT)
        .with(disconnect_request_element(&disconnect, true))
        .with_leaf("OrderStatus", OrderStatus::Received.as_str());
    let mut world = state.world();
    for number in disconnect.requested.clone() {
        if world.numbers.remove(&number).is_some() {
            disconnect.disconnected.push(number);
        } else if !disconnect.disconnected.contains(&number) {
            disconnect.errors.push(order_error(
                5006,
                "Telephone number could not be disconnected since it is not associated with your account",
                Some(number),
            ));
        }
    }
    disconnect.status = match (
        disconnect.disconnected.is_empty(),
        disconnect.errors.is_empty(),
    ) {
        (false, true) => OrderStatus::Complete,
        (false, false) => OrderStatus::Partial,
        (true, _) => OrderStatus::Failed,
    };
    let id = disconnect.id.clone();
    world.disconnects.insert(id.clone(), disconnect);
    xml_created(&location(&headers, uri.path(), &id), &body)
}

/// `GET /accounts/{a}/disconnects/{id}`: the final state, with `DisconnectedTelephoneNumberList`
/// and `ErrorList` (empty when every number was released).
pub async fn get_disconnect(
    State(state): State<EmulatorState>,
    Path((_account, id)): Path<(String, String)>,
) -> Response {
    let world = state.world();
    let Some(d) = world.disconnects.get(&id) else {
        return response_status(
            StatusCode::NOT_FOUND,
            DISCONNECT_ROOT,
            404,
            &format!("Order id '{id}' is invalid or does not exist"),
        );
    };
    let mut body = Element::new(DISCONNECT_ROOT);
    if !d.disconnected.is_empty() {
        body = body.with(
            Element::new("DisconnectedTelephoneNumberList").with_all(
                d.disconnected
                    .iter()
                    .map(|n| Element::leaf("TelephoneNumber", n.clone())),
            ),
        );
    }
    let body = body
        .with(error_list(&d.errors))
        .with(disconnect_request_element(d, true))
        .with_leaf("OrderStatus", d.status.as_str());
    xml(StatusCode::OK, &body)
}
