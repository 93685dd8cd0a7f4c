//! Dashboard DTOs for number orders (contract §2.12–§2.13).
//!
//! PARTIAL/FAILED orders arrive as HTTP 200 with an `ErrorList`; that list is plain data here.
//! The order id is the lowercase `<id>` element of the `<Order>` echo.

use serde::{Deserialize, Serialize};

use crate::bandwidth::error::ApiError;
use crate::bandwidth::types::numbers::TelephoneNumberList;

/// `<AreaCodeSearchAndOrderType>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaCodeSearchAndOrder {
    /// `AreaCode`.
    #[serde(rename = "AreaCode", default)]
    pub area_code: String,
    /// `Quantity`.
    #[serde(rename = "Quantity", default)]
    pub quantity: u32,
}

/// `<TollFreeWildCharSearchAndOrderType>` (the element says *WildChar*, its child *WildCard*).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TollFreeWildCardSearchAndOrder {
    /// `Quantity`.
    #[serde(rename = "Quantity", default)]
    pub quantity: u32,
    /// `TollFreeWildCardPattern`, e.g. `8**`.
    #[serde(rename = "TollFreeWildCardPattern", default)]
    pub pattern: String,
}

/// `<ReservationIdList>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationIdList {
    /// `ReservationId` entries.
    #[serde(rename = "ReservationId", default)]
    pub reservation_ids: Vec<String>,
}

/// `<ExistingTelephoneNumberOrderType>`: order numbers found by a search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingNumberOrder {
    /// `TelephoneNumberList`.
    #[serde(rename = "TelephoneNumberList", default)]
    pub telephone_number_list: TelephoneNumberList,
    /// `ReservationIdList`, for numbers reserved beforehand.
    #[serde(
        rename = "ReservationIdList",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reservation_id_list: Option<ReservationIdList>,
}

/// The one order-type element of a number order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum OrderType {
    /// `AreaCodeSearchAndOrderType`.
    #[serde(rename = "AreaCodeSearchAndOrderType")]
    AreaCode(AreaCodeSearchAndOrder),
    /// `TollFreeWildCharSearchAndOrderType`.
    #[serde(rename = "TollFreeWildCharSearchAndOrderType")]
    TollFreeWildCard(TollFreeWildCardSearchAndOrder),
    /// `ExistingTelephoneNumberOrderType`.
    #[serde(rename = "ExistingTelephoneNumberOrderType")]
    Existing(ExistingNumberOrder),
}

/// The request body of `POST /accounts/{a}/orders` (`<Order>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename = "Order")]
pub struct NewOrder {
    /// `Name` (≤50 chars).
    #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `CustomerOrderId` (≤40 chars), our own reference.
    #[serde(rename = "CustomerOrderId", skip_serializing_if = "Option::is_none")]
    pub customer_order_id: Option<String>,
    /// `SiteId` (required).
    #[serde(rename = "SiteId")]
    pub site_id: String,
    /// `PeerId`: the sip peer that gets the numbers (else the site's default peer).
    #[serde(rename = "PeerId", skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<String>,
    /// `PartialAllowed`: accept fewer numbers than asked for.
    #[serde(rename = "PartialAllowed", skip_serializing_if = "Option::is_none")]
    pub partial_allowed: Option<bool>,
    /// `BackOrderRequested`.
    #[serde(rename = "BackOrderRequested", skip_serializing_if = "Option::is_none")]
    pub back_order_requested: Option<bool>,
    /// The order-type element.
    #[serde(rename = "$value")]
    pub order_type: OrderType,
}

impl NewOrder {
    /// An order with only the required parts set.
    pub fn new(site_id: impl Into<String>, order_type: OrderType) -> Self {
        NewOrder {
            name: None,
            customer_order_id: None,
            site_id: site_id.into(),
            peer_id: None,
            partial_allowed: None,
            back_order_requested: None,
            order_type,
        }
    }

    /// Order `quantity` numbers in an area code.
    pub fn area_code(
        site_id: impl Into<String>,
        area_code: impl Into<String>,
        quantity: u32,
    ) -> Self {
        Self::new(
            site_id,
            OrderType::AreaCode(AreaCodeSearchAndOrder {
                area_code: area_code.into(),
                quantity,
            }),
        )
    }

    /// Order `quantity` toll-free numbers matching `pattern`, e.g. `8**`.
    pub fn toll_free(
        site_id: impl Into<String>,
        pattern: impl Into<String>,
        quantity: u32,
    ) -> Self {
        Self::new(
            site_id,
            OrderType::TollFreeWildCard(TollFreeWildCardSearchAndOrder {
                quantity,
                pattern: pattern.into(),
            }),
        )
    }

    /// Order these specific numbers (e.g. from a search).
    pub fn existing<I, S>(site_id: impl Into<String>, numbers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(
            site_id,
            OrderType::Existing(ExistingNumberOrder {
                telephone_number_list: TelephoneNumberList::new(numbers),
                reservation_id_list: None,
            }),
        )
    }
}

/// The `<Order>` echo inside an `OrderResponse`. Order types other than the three we send
/// (zip, rate center, …) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Order {
    /// `id` (lowercase in Bandwidth's XML): the order id, a UUID.
    #[serde(rename = "id", alias = "Id", default)]
    pub id: Option<String>,
    /// `Name`.
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
    /// `CustomerOrderId`.
    #[serde(rename = "CustomerOrderId", default)]
    pub customer_order_id: Option<String>,
    /// `OrderCreateDate`.
    #[serde(rename = "OrderCreateDate", default)]
    pub order_create_date: Option<String>,
    /// `SiteId`.
    #[serde(rename = "SiteId", default)]
    pub site_id: Option<String>,
    /// `PeerId`.
    #[serde(rename = "PeerId", default)]
    pub peer_id: Option<String>,
    /// `PartialAllowed`.
    #[serde(rename = "PartialAllowed", default)]
    pub partial_allowed: Option<bool>,
    /// `BackOrderRequested`.
    #[serde(rename = "BackOrderRequested", default)]
    pub back_order_requested: Option<bool>,
    /// `AreaCodeSearchAndOrderType`.
    #[serde(rename = "AreaCodeSearchAndOrderType", default)]
    pub area_code_search_and_order: Option<AreaCodeSearchAndOrder>,
    /// `TollFreeWildCharSearchAndOrderType`.
    #[serde(rename = "TollFreeWildCharSearchAndOrderType", default)]
    pub toll_free_wild_card_search_and_order: Option<TollFreeWildCardSearchAndOrder>,
    /// `ExistingTelephoneNumberOrderType`.
    #[serde(rename = "ExistingTelephoneNumberOrderType", default)]
    pub existing_number_order: Option<ExistingNumberOrder>,
}

/// `OrderStatus` of a number or disconnect order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(from = "String")]
pub enum OrderStatus {
    /// Accepted, not yet worked on.
    Received,
    /// Being worked on.
    Processing,
    /// Every number was ordered (or disconnected).
    Complete,
    /// Some numbers failed; see the order's `ErrorList`.
    Partial,
    /// Nothing was ordered; see the order's `ErrorList`.
    Failed,
    /// Waiting for inventory.
    Backordered,
    /// A status this client does not know, as Bandwidth spelled it.
    Other(String),
}

impl From<String> for OrderStatus {
    fn from(value: String) -> Self {
        match value.trim().to_ascii_uppercase().as_str() {
            "RECEIVED" => OrderStatus::Received,
            "PROCESSING" => OrderStatus::Processing,
            "COMPLETE" => OrderStatus::Complete,
            "PARTIAL" => OrderStatus::Partial,
            "FAILED" => OrderStatus::Failed,
            "BACKORDERED" => OrderStatus::Backordered,
            _ => OrderStatus::Other(value),
        }
    }
}

impl OrderStatus {
    /// Whether Bandwidth is done with the order (complete, partial or failed).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            OrderStatus::Complete | OrderStatus::Partial | OrderStatus::Failed
        )
    }
}

/// One `<Error>` of an order's `<ErrorList>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OrderError {
    /// `Code`, e.g. `5005`.
    #[serde(rename = "Code", default)]
    pub code: String,
    /// `Description`.
    #[serde(rename = "Description", default)]
    pub description: String,
    /// `TelephoneNumber` the error is about, if named.
    #[serde(rename = "TelephoneNumber", default)]
    pub telephone_number: Option<String>,
}

impl From<&OrderError> for ApiError {
    fn from(error: &OrderError) -> Self {
        ApiError {
            code: error.code.clone(),
            description: error.description.clone(),
            telephone_number: error.telephone_number.clone(),
        }
    }
}

/// `<ErrorList>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorList {
    /// `Error` entries.
    #[serde(rename = "Error", default)]
    pub errors: Vec<OrderError>,
}

/// `<FailedNumbers>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FailedNumbers {
    /// `FullNumber` entries.
    #[serde(rename = "FullNumber", default)]
    pub full_numbers: Vec<String>,
}

/// One `<TelephoneNumber>` of `<CompletedNumbers>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CompletedNumber {
    /// `FullNumber`.
    #[serde(rename = "FullNumber", default)]
    pub full_number: String,
}

/// `<CompletedNumbers>`: one container holding many `TelephoneNumber`s (self-closing when
/// none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CompletedNumbers {
    /// `TelephoneNumber` entries.
    #[serde(rename = "TelephoneNumber", default)]
    pub telephone_numbers: Vec<CompletedNumber>,
}

/// `<OrderResponse>`: the answer to create order (201) and get order (200).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OrderResponse {
    /// `Order`: the request echo, holding the order `id`.
    #[serde(rename = "Order", default)]
    pub order: Option<Order>,
    /// `OrderStatus` (missing in one spec example of the 201).
    #[serde(rename = "OrderStatus", default)]
    pub order_status: Option<OrderStatus>,
    /// `CompletedQuantity`.
    #[serde(rename = "CompletedQuantity", default)]
    pub completed_quantity: Option<u32>,
    /// `FailedQuantity`.
    #[serde(rename = "FailedQuantity", default)]
    pub failed_quantity: Option<u32>,
    /// `CompletedNumbers`.
    #[serde(rename = "CompletedNumbers", default)]
    pub completed_numbers: Option<CompletedNumbers>,
    /// `FailedNumbers`.
    #[serde(rename = "FailedNumbers", default)]
    pub failed_numbers: Option<FailedNumbers>,
    /// `ErrorList` (on PARTIAL and FAILED orders).
    #[serde(rename = "ErrorList", default)]
    pub error_list: Option<ErrorList>,
    /// `Summary`, e.g. `1 number ordered in (910)`.
    #[serde(rename = "Summary", default)]
    pub summary: Option<String>,
    /// `CreatedByUser`.
    #[serde(rename = "CreatedByUser", default)]
    pub created_by_user: Option<String>,
    /// `LastModifiedDate`.
    #[serde(rename = "LastModifiedDate", default)]
    pub last_modified_date: Option<String>,
    /// `OrderCompleteDate`.
    #[serde(rename = "OrderCompleteDate", default)]
    pub order_complete_date: Option<String>,
}

impl OrderResponse {
    /// The order id (`Order/id`).
    pub fn id(&self) -> Option<&str> {
        self.order.as_ref().and_then(|o| o.id.as_deref())
    }

    /// The numbers Bandwidth assigned (`CompletedNumbers/TelephoneNumber/FullNumber`).
    pub fn completed_numbers(&self) -> Vec<String> {
        self.completed_numbers
            .iter()
            .flat_map(|c| c.telephone_numbers.iter().map(|t| t.full_number.clone()))
            .collect()
    }

    /// The errors of a PARTIAL or FAILED order.
    pub fn errors(&self) -> Vec<ApiError> {
        self.error_list
            .iter()
            .flat_map(|l| l.errors.iter().map(ApiError::from))
            .collect()
    }
}

/// One order of `GET /accounts/{a}/orders` (a summary row).
///
/// The shape of this list for number orders is **UNCONFIRMED** (contract-2 §2.3 documents only
/// the TN option order list). Decided: `<ResponseSelectWrapper><ListOrderIdUserIdDate>
/// <TotalCount/><OrderIdUserIdDate>{accountId, CountOfTNs, CustomerOrderId, userId,
/// lastModifiedDate, OrderDate, OrderType, OrderStatus, OrderId}</OrderIdUserIdDate>…`, the
/// spelling Bandwidth's SDKs parse, with the same mixed casing as the TN option summaries; the
/// emulator serves exactly this. The reader takes `OrderId` or `id`, and `CustomerOrderId` in
/// either casing, and the list element under either wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OrderSummary {
    /// `OrderId`: the order id, a UUID.
    #[serde(rename = "OrderId", alias = "orderId", alias = "id", default)]
    pub order_id: Option<String>,
    /// `CustomerOrderId`, our own reference.
    #[serde(rename = "CustomerOrderId", alias = "customerOrderId", default)]
    pub customer_order_id: Option<String>,
    /// `OrderStatus`.
    #[serde(rename = "OrderStatus", alias = "orderStatus", default)]
    pub order_status: Option<OrderStatus>,
    /// `OrderDate`.
    #[serde(rename = "OrderDate", alias = "orderDate", default)]
    pub order_date: Option<String>,
    /// `CountOfTNs`.
    #[serde(rename = "CountOfTNs", default)]
    pub count_of_tns: Option<u32>,
}

/// `<ListOrderIdUserIdDate>` (see [`OrderSummary`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct OrderSummaryList {
    #[serde(rename = "TotalCount", default)]
    pub total_count: Option<u32>,
    #[serde(rename = "OrderIdUserIdDate", default)]
    pub items: Vec<OrderSummary>,
}

/// `<ResponseSelectWrapper>`: the body of `GET /accounts/{a}/orders` (see [`OrderSummary`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct OrderListResponse {
    #[serde(rename = "ListOrderIdUserIdDate", default)]
    pub list: Option<OrderSummaryList>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_order_list_by_customer_order_id() {
        let xml = "<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>1</TotalCount>\
            <OrderIdUserIdDate><accountId>9900000</accountId><CountOfTNs>2</CountOfTNs>\
            <CustomerOrderId>sbw-1-job-2-0a1b2c3d</CustomerOrderId><userId>emulator</userId>\
            <lastModifiedDate>2026-12-01T00:00:00.000Z</lastModifiedDate>\
            <OrderDate>2026-12-01T00:00:00.000Z</OrderDate><OrderType>new_number</OrderType>\
            <OrderStatus>RECEIVED</OrderStatus><OrderId>abc-123</OrderId></OrderIdUserIdDate>\
            </ListOrderIdUserIdDate></ResponseSelectWrapper>";
        let response: OrderListResponse = quick_xml::de::from_str(xml).expect("parses");
        let list = response.list.expect("a list");
        assert_eq!(list.total_count, Some(1));
        assert_eq!(list.items[0].order_id.as_deref(), Some("abc-123"));
        assert_eq!(
            list.items[0].customer_order_id.as_deref(),
            Some("sbw-1-job-2-0a1b2c3d")
        );
        assert_eq!(list.items[0].order_status, Some(OrderStatus::Received));
        let empty: OrderListResponse = quick_xml::de::from_str(
            "<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>0</TotalCount></ListOrderIdUserIdDate></ResponseSelectWrapper>",
        )
        .expect("parses");
        assert!(empty.list.unwrap().items.is_empty());
    }

    #[test]
    fn reads_every_documented_order_status_and_keeps_unknown_ones() {
        for (text, status) in [
            ("RECEIVED", OrderStatus::Received),
            ("PROCESSING", OrderStatus::Processing),
            ("COMPLETE", OrderStatus::Complete),
            ("PARTIAL", OrderStatus::Partial),
            ("FAILED", OrderStatus::Failed),
            ("BACKORDERED", OrderStatus::Backordered),
            ("complete", OrderStatus::Complete),
        ] {
            assert_eq!(OrderStatus::from(text.to_owned()), status);
        }
        assert_eq!(
            OrderStatus::from("EXPLODED".to_owned()),
            OrderStatus::Other("EXPLODED".to_owned())
        );
    }

    #[test]
    fn reads_an_order_id_spelled_id_or_capitalised() {
        for tag in ["id", "Id"] {
            let xml = format!("<OrderResponse><Order><{tag}>abc</{tag}></Order></OrderResponse>");
            let response: OrderResponse = quick_xml::de::from_str(&xml).expect("parses");
            assert_eq!(response.id(), Some("abc"), "{tag}");
        }
    }

    #[test]
    fn reads_empty_completed_numbers_as_none_completed() {
        let response: OrderResponse = quick_xml::de::from_str(
            "<OrderResponse><OrderStatus>FAILED</OrderStatus><CompletedNumbers/></OrderResponse>",
        )
        .expect("parses");
        assert!(response.completed_numbers().is_empty());
        assert_eq!(response.order_status, Some(OrderStatus::Failed));
    }
}
