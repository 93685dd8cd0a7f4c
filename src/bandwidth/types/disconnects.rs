//! Dashboard DTOs for disconnect orders (contract §2.14). The request's name element is
//! lowercase `<name>`, the response echo is the lowercase `<orderRequest>`; a FAILED or
//! PARTIAL disconnect is a 200 whose `ErrorList` is plain data.

use serde::{Deserialize, Serialize};

use crate::bandwidth::error::ApiError;
use crate::bandwidth::types::numbers::TelephoneNumberList;
use crate::bandwidth::types::orders::{ErrorList, OrderStatus};

/// `<DisconnectTelephoneNumberOrderType>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisconnectOrderType {
    /// `TelephoneNumberList`.
    #[serde(rename = "TelephoneNumberList", default)]
    pub telephone_number_list: TelephoneNumberList,
    /// `DisconnectMode`: `NORMAL` or `PURGE` (Bandwidth echoes lowercase).
    #[serde(
        rename = "DisconnectMode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
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
    #[serde(
        rename = "CustomerOrderId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
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
