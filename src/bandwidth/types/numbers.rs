//! Dashboard DTOs for telephone numbers: a sip peer's numbers, available-number searches,
//! number orders and disconnect orders (contract §2.10–§2.14).
//!
//! Phone numbers are 10-digit NANP strings without `+1`, exactly as Bandwidth sends them.
//! PARTIAL/FAILED orders arrive as HTTP 200 with an `ErrorList`; that list is plain data here.

use serde::{Deserialize, Serialize};

use crate::bandwidth::error::ApiError;

/// One `<SipPeerTelephoneNumber>` of `GET …/sippeers/{id}/tns`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipPeerTelephoneNumber {
    /// `FullNumber`, 10 digits, e.g. `2052160148`.
    #[serde(rename = "FullNumber", default)]
    pub full_number: String,
    /// `CallingNameDisplay`.
    #[serde(rename = "CallingNameDisplay", default, skip_serializing_if = "Option::is_none")]
    pub calling_name_display: Option<bool>,
    /// `CallForward`.
    #[serde(rename = "CallForward", default, skip_serializing_if = "Option::is_none")]
    pub call_forward: Option<String>,
    /// `TnAttributes/TnAttribute`, e.g. `Protected`.
    #[serde(rename = "TnAttributes", default, skip_serializing_if = "Option::is_none")]
    pub tn_attributes: Option<TnAttributes>,
    /// `MessagingSettings`.
    #[serde(rename = "MessagingSettings", default, skip_serializing_if = "Option::is_none")]
    pub messaging_settings: Option<MessagingSettings>,
}

/// `<TnAttributes>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TnAttributes {
    /// `TnAttribute` entries.
    #[serde(rename = "TnAttribute", default)]
    pub attributes: Vec<String>,
}

/// `<MessagingSettings>` of a number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagingSettings {
    /// `SmsEnabled`.
    #[serde(rename = "SmsEnabled", default, skip_serializing_if = "Option::is_none")]
    pub sms_enabled: Option<bool>,
}

/// `<SipPeerTelephoneNumbersResponse>`; an empty list may be `<SipPeerTelephoneNumbers/>` or
/// missing altogether.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SipPeerTelephoneNumbersResponse {
    #[serde(rename = "SipPeerTelephoneNumbers", default)]
    pub numbers: Option<SipPeerTelephoneNumbers>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SipPeerTelephoneNumbers {
    #[serde(rename = "SipPeerTelephoneNumber", default)]
    pub items: Vec<SipPeerTelephoneNumber>,
}

/// A list of bare numbers: `<TelephoneNumberList>` (and the same shape under other names,
/// e.g. `DisconnectedTelephoneNumberList`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelephoneNumberList {
    /// `TelephoneNumber` entries.
    #[serde(rename = "TelephoneNumber", default)]
    pub numbers: Vec<String>,
}

impl TelephoneNumberList {
    /// A list holding these numbers.
    pub fn new<I, S>(numbers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        TelephoneNumberList {
            numbers: numbers.into_iter().map(Into::into).collect(),
        }
    }
}

/// Query of `GET /accounts/{a}/availableNumbers`. Set one search criterion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailableNumbersQuery {
    /// `areaCode`, 3 digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_code: Option<String>,
    /// `tollFreeWildCardPattern`, 3 characters whose last is `*`, e.g. `8**` or `80*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toll_free_wild_card_pattern: Option<String>,
    /// `quantity`, 1–5000 (Bandwidth's default is 5000). Fewer may come back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    /// `enableTNDetail`: answer with `TelephoneNumberDetailList` instead of bare numbers.
    #[serde(rename = "enableTNDetail", skip_serializing_if = "Option::is_none")]
    pub enable_tn_detail: Option<bool>,
}

impl AvailableNumbersQuery {
    /// Search by area code.
    pub fn area_code(area_code: impl Into<String>, quantity: u32) -> Self {
        AvailableNumbersQuery {
            area_code: Some(area_code.into()),
            quantity: Some(quantity),
            ..Self::default()
        }
    }

    /// Search toll-free numbers by wildcard pattern, e.g. `8**`.
    pub fn toll_free(pattern: impl Into<String>, quantity: u32) -> Self {
        AvailableNumbersQuery {
            toll_free_wild_card_pattern: Some(pattern.into()),
            quantity: Some(quantity),
            ..Self::default()
        }
    }
}

/// `<TelephoneNumberDetail>` (with `enableTNDetail=true`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelephoneNumberDetail {
    /// `FullNumber`.
    #[serde(rename = "FullNumber", default)]
    pub full_number: String,
    /// `City`.
    #[serde(rename = "City", default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// `LATA`.
    #[serde(rename = "LATA", default, skip_serializing_if = "Option::is_none")]
    pub lata: Option<String>,
    /// `RateCenter`.
    #[serde(rename = "RateCenter", default, skip_serializing_if = "Option::is_none")]
    pub rate_center: Option<String>,
    /// `State`.
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `Tier`.
    #[serde(rename = "Tier", default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// `VendorId`.
    #[serde(rename = "VendorId", default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// `VendorName`.
    #[serde(rename = "VendorName", default, skip_serializing_if = "Option::is_none")]
    pub vendor_name: Option<String>,
}

/// `<TelephoneNumberDetailList>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelephoneNumberDetailList {
    /// `TelephoneNumberDetail` entries.
    #[serde(rename = "TelephoneNumberDetail", default)]
    pub details: Vec<TelephoneNumberDetail>,
}

/// `<SearchResult>` of an available-number search. No hits is an empty `SearchResult`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "SearchResult")]
pub struct SearchResult {
    /// `ResultCount`.
    #[serde(rename = "ResultCount", default, skip_serializing_if = "Option::is_none")]
    pub result_count: Option<u32>,
    /// `TelephoneNumberList` (plain searches).
    #[serde(rename = "TelephoneNumberList", default, skip_serializing_if = "Option::is_none")]
    pub telephone_number_list: Option<TelephoneNumberList>,
    /// `TelephoneNumberDetailList` (with `enableTNDetail=true`).
    #[serde(
        rename = "TelephoneNumberDetailList",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub telephone_number_detail_list: Option<TelephoneNumberDetailList>,
}

impl SearchResult {
    /// Every number found, from either list shape.
    pub fn numbers(&self) -> Vec<String> {
        let plain = self
            .telephone_number_list
            .iter()
            .flat_map(|l| l.numbers.iter().cloned());
        let detailed = self
            .telephone_number_detail_list
            .iter()
            .flat_map(|l| l.details.iter().map(|d| d.full_number.clone()));
        plain.chain(detailed).collect()
    }
}

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
    #[serde(rename = "ReservationIdList", default, skip_serializing_if = "Option::is_none")]
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
    pub fn area_code(site_id: impl Into<String>, area_code: impl Into<String>, quantity: u32) -> Self {
        Self::new(
            site_id,
            OrderType::AreaCode(AreaCodeSearchAndOrder {
                area_code: area_code.into(),
                quantity,
            }),
        )
    }

    /// Order `quantity` toll-free numbers matching `pattern`, e.g. `8**`.
    pub fn toll_free(site_id: impl Into<String>, pattern: impl Into<String>, quantity: u32) -> Self {
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

/// `<DisconnectTelephoneNumberOrderType>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisconnectOrderType {
    /// `TelephoneNumberList`.
    #[serde(rename = "TelephoneNumberList", default)]
    pub telephone_number_list: TelephoneNumberList,
    /// `DisconnectMode`: `NORMAL` or `PURGE` (Bandwidth echoes lowercase).
    #[serde(rename = "DisconnectMode", default, skip_serializing_if = "Option::is_none")]
    pub disconnect_mode: Option<String>,
    /// `Protected`: `TRUE`, `FALSE` or `UNCHANGED`.
    #[serde(rename = "Protected", default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<String>,
}

/// The request body of `POST /accounts/{a}/disconnects`. The name goes out as lowercase
/// `<name>`, as Bandwidth's guide and SDKs send it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "DisconnectTelephoneNumberOrder")]
pub struct NewDisconnect {
    /// `name` (≤50 chars).
    #[serde(
        rename = "name",
        alias = "Name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// `CustomerOrderId` (≤40 chars).
    #[serde(rename = "CustomerOrderId", default, skip_serializing_if = "Option::is_none")]
    pub customer_order_id: Option<String>,
    /// `DisconnectTelephoneNumberOrderType`.
    #[serde(rename = "DisconnectTelephoneNumberOrderType", default)]
    pub order_type: DisconnectOrderType,
}

impl NewDisconnect {
    /// Disconnect these numbers under an order name.
    pub fn new<I, S>(name: impl Into<String>, numbers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        NewDisconnect {
            name: Some(name.into()),
            customer_order_id: None,
            order_type: DisconnectOrderType {
                telephone_number_list: TelephoneNumberList::new(numbers),
                ..DisconnectOrderType::default()
            },
        }
    }
}

/// `<orderRequest>` (lowercase) inside a disconnect response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct DisconnectOrderRequest {
    /// `id`: the disconnect order id.
    #[serde(rename = "id", alias = "Id", default)]
    pub id: Option<String>,
    /// `name` / `Name`.
    #[serde(rename = "name", alias = "Name", default)]
    pub name: Option<String>,
    /// `CustomerOrderId`.
    #[serde(rename = "CustomerOrderId", default)]
    pub customer_order_id: Option<String>,
    /// `OrderCreateDate`.
    #[serde(rename = "OrderCreateDate", default)]
    pub order_create_date: Option<String>,
    /// `DisconnectTelephoneNumberOrderType`.
    #[serde(rename = "DisconnectTelephoneNumberOrderType", default)]
    pub order_type: Option<DisconnectOrderType>,
}

/// `<DisconnectTelephoneNumberOrderResponse>`: the answer to create (201) and get (200)
/// disconnect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct DisconnectResponse {
    /// `orderRequest` (spelled `OrderRequest` is accepted too).
    #[serde(rename = "orderRequest", alias = "OrderRequest", default)]
    pub order_request: Option<DisconnectOrderRequest>,
    /// `OrderStatus`.
    #[serde(rename = "OrderStatus", default)]
    pub order_status: Option<OrderStatus>,
    /// `DisconnectedTelephoneNumberList`.
    #[serde(rename = "DisconnectedTelephoneNumberList", default)]
    pub disconnected_numbers: Option<TelephoneNumberList>,
    /// `ErrorList` (empty when all went well).
    #[serde(rename = "ErrorList", default)]
    pub error_list: Option<ErrorList>,
}

impl DisconnectResponse {
    /// The disconnect order id (`orderRequest/id`).
    pub fn id(&self) -> Option<&str> {
        self.order_request.as_ref().and_then(|o| o.id.as_deref())
    }

    /// The numbers Bandwidth disconnected.
    pub fn disconnected_numbers(&self) -> Vec<String> {
        self.disconnected_numbers
            .iter()
            .flat_map(|l| l.numbers.iter().cloned())
            .collect()
    }

    /// The errors of a PARTIAL or FAILED disconnect.
    pub fn errors(&self) -> Vec<ApiError> {
        self.error_list
            .iter()
            .flat_map(|l| l.errors.iter().map(ApiError::from))
            .collect()
    }
}
