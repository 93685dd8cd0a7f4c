//! Number orders (contract §2.12, §2.13); the decisions for undocumented cases are listed in
//! `numbers`.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::numbers::{MAX_QUANTITY, available};
use super::{error_list, parse_bool};
use crate::emulator::http::{location, response_status, xml, xml_created};
use crate::emulator::rules;
use crate::emulator::state::{
    EmulatorState, ListError, Order, OrderKind, OrderStatus, OwnedNumber, World, now_rfc3339,
};
use crate::emulator::xml::Element;

// ---- Orders ----

const ORDER_ROOT: &str = "OrderResponse";

pub(super) fn order_error(code: u32, description: &str, tn: Option<String>) -> ListError {
    ListError {
        code,
        description: description.to_string(),
        telephone_number: tn,
    }
}

fn kind_element(kind: &OrderKind) -> Element {
    match kind {
        OrderKind::AreaCode {
            area_code,
            quantity,
        } => Element::new("AreaCodeSearchAndOrderType")
            .with_leaf("AreaCode", area_code.clone())
            .with_leaf("Quantity", quantity.to_string()),
        OrderKind::TollFree { pattern, quantity } => {
            Element::new("TollFreeWildCharSearchAndOrderType")
                .with_leaf("Quantity", quantity.to_string())
                .with_leaf("TollFreeWildCardPattern", pattern.clone())
        }
        OrderKind::Existing { numbers } => Element::new("ExistingTelephoneNumberOrderType").with(
            Element::new("TelephoneNumberList").with_all(
                numbers
                    .iter()
                    .map(|n| Element::leaf("TelephoneNumber", n.clone())),
            ),
        ),
    }
}

/// The `<Order>` echo; `with_id` is false for 400 answers (Bandwidth echoes them without an id).
fn order_element(order: &Order, with_id: bool, show_peer: bool) -> Element {
    let mut el = Element::new("Order")
        .with_opt("CustomerOrderId", order.customer_order_id.as_deref())
        .with_opt("Name", order.name.as_deref())
        .with_leaf("OrderCreateDate", order.created.clone());
    if with_id {
        el = el.with_leaf("id", order.id.clone());
    }
    let peer = if show_peer {
        Some(order.target_peer_id)
    } else {
        order.peer_id
    };
    el.with_opt("PeerId", peer.map(|p| p.to_string()).as_deref())
        .with_leaf("BackOrderRequested", order.back_order_requested.to_string())
        .with(kind_element(&order.kind))
        .with_leaf("PartialAllowed", order.partial_allowed.to_string())
        .with_leaf("SiteId", order.site_id.to_string())
}

fn parse_quantity(text: Option<&str>) -> Option<u32> {
    match text {
        None => Some(1),
        Some(t) => t
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|q| (1..=MAX_QUANTITY).contains(q)),
    }
}

fn parse_kind(doc: &Element) -> Result<OrderKind, ListError> {
    let invalid = || order_error(5087, "The order type is not valid.", None);
    if let Some(t) = doc.child("AreaCodeSearchAndOrderType") {
        let area_code = t.text_at(&["AreaCode"]).unwrap_or_default().to_string();
        let quantity = parse_quantity(t.text_at(&["Quantity"])).ok_or_else(invalid)?;
        if !rules::is_area_code(&area_code) {
            return Err(invalid());
        }
        return Ok(OrderKind::AreaCode {
            area_code,
            quantity,
        });
    }
    if let Some(t) = doc.child("TollFreeWildCharSearchAndOrderType") {
        let pattern = t
            .text_at(&["TollFreeWildCardPattern"])
            .ok_or_else(invalid)?
            .to_string();
        let quantity = parse_quantity(t.text_at(&["Quantity"])).ok_or_else(invalid)?;
        return Ok(OrderKind::TollFree { pattern, quantity });
    }
    if let Some(t) = doc.child("ExistingTelephoneNumberOrderType") {
        let numbers: Vec<String> = t
            .child("TelephoneNumberList")
            .map(|l| {
                l.children_named("TelephoneNumber")
                    .map(|n| n.text.clone())
                    .collect()
            })
            .unwrap_or_default();
        if numbers.is_empty() || numbers.len() > MAX_QUANTITY as usize {
            return Err(invalid());
        }
        if let Some(bad) = numbers
            .iter()
            .find(|n| n.len() != 10 || !n.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(order_error(
                5070,
                "Telephone number is invalid.",
                Some(bad.clone()),
            ));
        }
        return Ok(OrderKind::Existing { numbers });
    }
    Err(invalid())
}

/// `POST /accounts/{a}/orders`: 201 + `Location` + `RECEIVED`; 400 `ErrorList` (`5016` invalid
/// site, `5022` missing site, `5023` invalid or missing peer, `5070` invalid number, `5087`).
pub async fn create_order(
    State(state): State<EmulatorState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let doc = match super::xml::parse(&body) {
        Ok(doc) => doc,
        Err(e) => {
            let body = Element::new(ORDER_ROOT).with(error_list(&[order_error(
                400,
                &format!("Invalid XML: {e}"),
                None,
            )]));
            return xml(StatusCode::BAD_REQUEST, &body);
        }
    };
    let text = |name: &str| doc.text_at(&[name]).map(str::to_string);
    let site_text = text("SiteId");
    let peer_id = text("PeerId").and_then(|p| p.parse::<u64>().ok());
    let mut order = Order {
        id: uuid::Uuid::new_v4().to_string(),
        name: text("Name"),
        customer_order_id: text("CustomerOrderId"),
        created: now_rfc3339(),
        site_id: site_text
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or_default(),
        peer_id,
        target_peer_id: 0,
        back_order_requested: parse_bool(text("BackOrderRequested").as_deref()).unwrap_or(false),
        partial_allowed: parse_bool(text("PartialAllowed").as_deref()).unwrap_or(true),
        kind: OrderKind::Existing {
            numbers: Vec::new(),
        },
        polls: 0,
        status: OrderStatus::Received,
        completed: Vec::new(),
        failed_numbers: Vec::new(),
        errors: Vec::new(),
        failed_quantity: 0,
        finished: None,
    };
    let kind = parse_kind(&doc);
    let mut world = state.world();
    let error = match (&site_text, kind) {
        (None, _) => Some(order_error(5022, "SiteId is required.", None)),
        (Some(_), _) if !world.sites.contains_key(&order.site_id) => {
            Some(order_error(5016, "The SiteId submitted is invalid.", None))
        }
        (_, Err(e)) => Some(e),
        (_, Ok(kind)) => {
            order.kind = kind;
            let target = match peer_id {
                Some(p) => world
                    .peers
                    .get(&p)
                    .filter(|peer| peer.site_id == order.site_id)
                    .map(|peer| peer.id),
                None => world.default_peer(order.site_id).map(|p| p.id),
            };
            match target {
                Some(t) => {
                    order.target_peer_id = t;
                    None
                }
                None => Some(order_error(
                    5023,
                    "The SIP peer submitted is invalid or the site has no default SIP peer.",
                    None,
                )),
            }
        }
    };
    if let Some(error) = error {
        let body = Element::new(ORDER_ROOT)
            .with(error_list(&[error]))
            .with(order_element(&order, false, false));
        return xml(StatusCode::BAD_REQUEST, &body);
    }
    let body = Element::new(ORDER_ROOT)
        .with(order_element(&order, true, false))
        .with_leaf("OrderStatus", OrderStatus::Received.as_str());
    let id = order.id.clone();
    world.orders.insert(id.clone(), order);
    xml_created(&location(&headers, uri.path(), &id), &body)
}

/// Query of `GET /accounts/{a}/orders` the emulator understands (others are ignored).
#[derive(Debug, serde::Deserialize)]
pub struct ListOrdersQuery {
    #[serde(rename = "customerOrderId")]
    customer_order_id: Option<String>,
}

/// `GET /accounts/{a}/orders[?customerOrderId=…]`: the number orders, oldest first, as
/// summaries. Bandwidth's shape for number orders is **UNCONFIRMED** (contract-2 §2.3 documents
/// the TN option list only); decided, and parsed the same way by the client:
/// `<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount/><OrderIdUserIdDate>{accountId,
/// CountOfTNs, CustomerOrderId, userId, lastModifiedDate, OrderDate, OrderType (new_number),
/// OrderStatus, OrderId}</OrderIdUserIdDate>…</ListOrderIdUserIdDate></ResponseSelectWrapper>`.
/// No match answers 200 with `TotalCount` 0.
pub async fn list_orders(
    State(state): State<EmulatorState>,
    Query(query): Query<ListOrdersQuery>,
) -> Response {
    let account = state.config().account_id.clone();
    let user = state.config().username.clone();
    let world = state.world();
    let mut orders: Vec<&Order> = world
        .orders
        .values()
        .filter(|o| {
            query
                .customer_order_id
                .as_deref()
                .is_none_or(|c| o.customer_order_id.as_deref() == Some(c))
        })
        .collect();
    orders.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
    let rows = orders.iter().map(|o| {
        let count = match &o.kind {
            OrderKind::AreaCode { quantity, .. } | OrderKind::TollFree { quantity, .. } => {
                *quantity as usize
            }
            OrderKind::Existing { numbers } => numbers.len(),
        };
        Element::new("OrderIdUserIdDate")
            .with_leaf("accountId", account.clone())
            .with_leaf("CountOfTNs", count.to_string())
            .with_opt("CustomerOrderId", o.customer_order_id.as_deref())
            .with_leaf("userId", user.clone())
            .with_leaf(
                "lastModifiedDate",
                o.finished.clone().unwrap_or_else(|| o.created.clone()),
            )
            .with_leaf("OrderDate", o.created.clone())
            .with_leaf("OrderType", "new_number")
            .with_leaf("OrderStatus", o.status.as_str())
            .with_leaf("OrderId", o.id.clone())
    });
    let list = Element::new("ListOrderIdUserIdDate")
        .with_leaf("TotalCount", orders.len().to_string())
        .with_all(rows);
    xml(
        StatusCode::OK,
        &Element::new("ResponseSelectWrapper").with(list),
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "number" } else { "numbers" }
}

/// Decides an order's outcome and assigns its numbers.
fn resolve_order(world: &mut World, order: &mut Order) {
    let (wanted, candidates): (usize, Vec<String>) = match &order.kind {
        OrderKind::AreaCode {
            area_code,
            quantity,
        } => (*quantity as usize, available(world, area_code)),
        OrderKind::TollFree { pattern, quantity } => (
            *quantity as usize,
            rules::toll_free_prefixes_matching(pattern)
                .into_iter()
                .flat_map(|npa| available(world, npa))
                .collect(),
        ),
        OrderKind::Existing { numbers } => {
            let mut ok = Vec::new();
            for n in numbers {
                if rules::is_suppliable(n) && !world.numbers.contains_key(n) && !ok.contains(n) {
                    ok.push(n.clone());
                } else {
                    order.failed_numbers.push(n.clone());
                    order.errors.push(order_error(
                        5005,
                        "The telephone number is unavailable for ordering",
                        Some(n.clone()),
                    ));
                }
            }
            (numbers.len(), ok)
        }
    };
    let mut got: Vec<String> = candidates.into_iter().take(wanted).collect();
    let short = wanted - got.len();
    if got.is_empty() {
        order.status = OrderStatus::Failed;
        if order.errors.is_empty() {
            order.errors.push(order_error(
                5018,
                "The entire quantity of telephone numbers ordered is unavailable",
                None,
            ));
        }
    } else if short > 0 && !order.partial_allowed {
        order.status = OrderStatus::Failed;
        got.clear();
        if order.errors.is_empty() {
            order.errors.push(order_error(
                5018,
                "The entire quantity of telephone numbers ordered is unavailable",
                None,
            ));
        }
    } else if short > 0 {
        order.status = OrderStatus::Partial;
        if order.errors.is_empty() {
            order.errors.push(order_error(
                5005,
                "The telephone number is unavailable for ordering",
                None,
            ));
        }
    } else {
        order.status = OrderStatus::Complete;
    }
    order.failed_quantity = u32::try_from(wanted - got.len()).unwrap_or(u32::MAX);
    for number in &got {
        world.numbers.insert(
            number.clone(),
            OwnedNumber {
                number: number.clone(),
                site_id: order.site_id,
                peer_id: order.target_peer_id,
                order_id: order.id.clone(),
            },
        );
    }
    order.completed = got;
    order.finished = Some(now_rfc3339());
}

fn summary(order: &Order) -> String {
    let npa = match &order.kind {
        OrderKind::AreaCode { area_code, .. } => area_code.clone(),
        OrderKind::TollFree { .. } => order
            .completed
            .first()
            .map(|n| n[..3].to_string())
            .unwrap_or_default(),
        OrderKind::Existing { numbers } => numbers
            .first()
            .map(|n| n[..3].to_string())
            .unwrap_or_default(),
    };
    let wanted = order.completed.len() + order.failed_quantity as usize;
    match order.status {
        OrderStatus::Complete => format!("{} {} ordered in ({npa})", wanted, plural(wanted)),
        OrderStatus::Partial => format!(
            "{} out of {wanted} numbers ordered in ({npa})",
            order.completed.len()
        ),
        _ => format!("{wanted} {} requested", plural(wanted)),
    }
}

/// `GET /accounts/{a}/orders/{id}`: `PROCESSING` until the configured number of GETs, then
/// `COMPLETE`/`PARTIAL`/`FAILED` (PARTIAL and FAILED with an `ErrorList`, still HTTP 200).
pub async fn get_order(
    State(state): State<EmulatorState>,
    Path((_account, id)): Path<(String, String)>,
) -> Response {
    let polls_needed = state.config().order_polls_to_complete.max(1);
    let created_by = state.config().username.clone();
    let mut world = state.world();
    let Some(mut order) = world.orders.remove(&id) else {
        return response_status(
            StatusCode::NOT_FOUND,
            ORDER_ROOT,
            404,
            &format!("Order id '{id}' is invalid or does not exist"),
        );
    };
    if matches!(
        order.status,
        OrderStatus::Received | OrderStatus::Processing
    ) {
        order.polls = order.polls.saturating_add(1);
        if order.polls >= polls_needed {
            resolve_order(&mut world, &mut order);
        } else {
            order.status = OrderStatus::Processing;
        }
    }
    let body = match order.finished.clone() {
        None => Element::new(ORDER_ROOT)
            .with(order_element(&order, true, false))
            .with_leaf("OrderStatus", order.status.as_str()),
        Some(finished) => {
            let mut body = Element::new(ORDER_ROOT)
                .with_leaf("CompletedQuantity", order.completed.len().to_string())
                .with_leaf("CreatedByUser", created_by);
            if !order.errors.is_empty() {
                body = body.with(error_list(&order.errors));
            }
            if !order.failed_numbers.is_empty() {
                body = body.with(
                    Element::new("FailedNumbers").with_all(
                        order
                            .failed_numbers
                            .iter()
                            .map(|n| Element::leaf("FullNumber", n.clone())),
                    ),
                );
            }
            body.with_leaf("LastModifiedDate", finished.clone())
                .with_leaf("OrderCompleteDate", finished)
                .with(order_element(&order, true, true))
                .with_leaf("OrderStatus", order.status.as_str())
                .with(Element::new("CompletedNumbers").with_all(
                    order.completed.iter().map(|n| {
                        Element::new("TelephoneNumber").with_leaf("FullNumber", n.clone())
                    }),
                ))
                .with_leaf("Summary", summary(&order))
                .with_leaf("FailedQuantity", order.failed_quantity.to_string())
        }
    };
    world.orders.insert(id, order);
    xml(StatusCode::OK, &body)
}
