//! Dashboard DTOs for telephone numbers: a sip peer's numbers and available-number searches
//! (contract §2.10–§2.11). Phone numbers are 10-digit NANP strings without `+1`, exactly as
//! Bandwidth sends them.

use serde::{Deserialize, Serialize};

/// One `<SipPeerTelephoneNumber>` of `GET …/sippeers/{id}/tns`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipPeerTelephoneNumber {
    /// `FullNumber`, 10 digits, e.g. `2052160148`.
    #[serde(rename = "FullNumber", default)]
    pub full_number: String,
    /// `CallingNameDisplay`.
    #[serde(
        rename = "CallingNameDisplay",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub calling_name_display: Option<bool>,
    /// `CallForward`.
    #[serde(
        rename = "CallForward",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub call_forward: Option<String>,
    /// `TnAttributes/TnAttribute`, e.g. `Protected`.
    #[serde(
        rename = "TnAttributes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tn_attributes: Option<TnAttributes>,
    /// `MessagingSettings`.
    #[serde(
        rename = "MessagingSettings",
        default,
        skip_serializing_if = "Option::is_none"
    )]
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
    #[serde(
        rename = "SmsEnabled",
        default,
        skip_serializing_if = "Option::is_none"
    )]
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
    #[serde(
        rename = "RateCenter",
        default,
        skip_serializing_if = "Option::is_none"
    )]
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
    #[serde(
        rename = "VendorName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
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
    #[serde(
        rename = "ResultCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub result_count: Option<u32>,
    /// `TelephoneNumberList` (plain searches).
    #[serde(
        rename = "TelephoneNumberList",
        default,
        skip_serializing_if = "Option::is_none"
    )]
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
