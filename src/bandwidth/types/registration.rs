//! Our typed view of the 10DLC and toll-free verification answers (contract-2 §2, §3, §5).
//! 10DLC documents are read through the tolerant tree in `tree.rs` (their shapes drift between
//! sources); toll-free verification is JSON and uses serde.

// Field names mirror Bandwidth's own (contract-2 §2, §3, §5 describe each); only the ones whose
// meaning is not evident from the name carry a comment.
#![allow(missing_docs)]

use serde::{Deserialize, Serialize};

use crate::bandwidth::error::ApiError;

/// What a TN option order does to the A2P settings of its numbers (`A2pSettings/Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum A2pAction {
    /// `asSpecified`: put the numbers on the campaign.
    AsSpecified,
    /// `delete`: take the campaign off the numbers (no `CampaignId` is sent).
    Delete,
}

impl A2pAction {
    /// The word Bandwidth expects.
    pub fn as_str(self) -> &'static str {
        match self {
            A2pAction::AsSpecified => "asSpecified",
            A2pAction::Delete => "delete",
        }
    }
}

/// A TN option order to create (`POST /accounts/{a}/tnoptions`): one group, `Sms` on, the
/// A2P action for every number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTnOptionOrder {
    /// Our reference (≤ 40 characters: letters, digits, dashes, spaces), to find the order again.
    pub customer_order_id: Option<String>,
    pub action: A2pAction,
    /// Required with [`A2pAction::AsSpecified`], refused with [`A2pAction::Delete`].
    pub campaign_id: Option<String>,
    /// 10-digit NANP numbers (the Dashboard's format, contract-2 §1).
    pub telephone_numbers: Vec<String>,
}

/// `ProcessingStatus` of a TN option order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TnOptionStatus {
    Received,
    Processing,
    Complete,
    Partial,
    Failed,
    /// A value none of the sources lists, kept as sent.
    Other(String),
}

impl TnOptionStatus {
    /// Reads Bandwidth's word, in any case.
    pub fn parse(text: &str) -> Self {
        match text.trim().to_ascii_uppercase().as_str() {
            "RECEIVED" => Self::Received,
            "PROCESSING" => Self::Processing,
            "COMPLETE" => Self::Complete,
            "PARTIAL" => Self::Partial,
            "FAILED" => Self::Failed,
            _ => Self::Other(text.trim().to_owned()),
        }
    }

    /// COMPLETE, PARTIAL and FAILED are final (A-num; C treats them so too).
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Complete | Self::Partial | Self::Failed)
    }
}

/// A TN option order as Bandwidth reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TnOptionOrder {
    /// `OrderId` (UUID).
    pub order_id: String,
    pub status: TnOptionStatus,
    /// Per-number problems (`ErrorList/Error{Code, Description, TelephoneNumber}`), trimmed.
    pub errors: Vec<ApiError>,
    /// Informational `Warnings/Warning{TelephoneNumber, Description}`.
    pub warnings: Vec<ApiError>,
    /// The numbers the order covers, as echoed (10 digits).
    pub telephone_numbers: Vec<String>,
}

/// One carrier's view of a campaign (`MnoStatus{MnoName, MnoId, Status}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MnoStatus {
    pub mno: String,
    pub mno_id: Option<String>,
    /// `REVIEW`, `APPROVED`, `REJECTED` or `SUSPENDED`.
    pub status: String,
}

/// A 10DLC campaign on the account: created on Bandwidth (CSP) or imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub campaign_id: String,
    /// `ACTIVE` or `EXPIRED` (TCR's view); imported campaigns may say other words.
    pub status: String,
    pub description: Option<String>,
    /// The TCR `NumberPool` attribute (it does not grant a T-Mobile pool by itself, K-pool).
    pub number_pool: Option<bool>,
    pub mno_statuses: Vec<MnoStatus>,
    /// Read from the imports API.
    pub imported: bool,
}

/// `GET /tns/{tn}/tndetails` → `MessagingSettings`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TnMessagingSettings {
    pub sms_enabled: Option<bool>,
    pub campaign_id: Option<String>,
    /// e.g. `UNREGISTERED` for a number on no campaign.
    pub message_class: Option<String>,
    /// `OFF`, `SYSTEM_DEFAULT` or `OVERRIDDEN` (any case).
    pub a2p_state: Option<String>,
}

/// `businessAddress` of a toll-free verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TfvBusinessAddress {
    pub name: String,
    pub addr1: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub addr2: Option<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub url: String,
}

/// `businessContact` of a toll-free verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TfvBusinessContact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// E.164.
    pub phone_number: String,
}

/// `optInWorkflow` of a toll-free verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TfvOptInWorkflow {
    pub description: String,
    pub image_urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confirmation_response: Option<String>,
}

/// `POST /accounts/{a}/tollFreeVerification` body (contract-2 §5.1, S).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TollFreeVerificationRequest {
    pub business_address: TfvBusinessAddress,
    pub business_contact: TfvBusinessContact,
    pub message_volume: u32,
    /// E.164 toll-free numbers (1–10).
    pub phone_numbers: Vec<String>,
    pub use_case: String,
    pub use_case_summary: String,
    pub production_message_content: String,
    pub opt_in_workflow: TfvOptInWorkflow,
    pub business_entity_type: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub additional_information: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub privacy_policy_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub terms_and_conditions_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub business_dba: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub business_registration_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub business_registration_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub business_registration_issuing_country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub help_message_response: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub age_gated_content: Option<bool>,
}

/// `GET /accounts/{a}/phoneNumbers/{tfn}/tollFreeVerification` 200 (`tfvStatus`), the fields we use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TollFreeVerificationStatus {
    #[serde(default)]
    pub phone_number: Option<String>,
    /// `VERIFIED`, `UNVERIFIED` or `PENDING` (S); older accounts may send legacy words.
    #[serde(default)]
    pub status: Option<String>,
    /// The first spec's `{"isVerified": true}` shape.
    #[serde(default)]
    pub is_verified: Option<bool>,
    #[serde(default)]
    pub decline_reason_description: Option<String>,
    #[serde(default)]
    pub denial_status_code: Option<i64>,
    #[serde(default)]
    pub resubmit_allowed: Option<bool>,
    #[serde(default)]
    pub blocked: Option<bool>,
    #[serde(default)]
    pub blocked_reason: Option<String>,
}

impl TollFreeVerificationStatus {
    /// Whether Bandwidth says the number is verified (unknown words read as not verified).
    pub fn is_verified(&self) -> bool {
        self.is_verified == Some(true)
            || self
                .status
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("VERIFIED"))
                && self.blocked != Some(true)
    }

    /// Whether a review is still running.
    pub fn is_pending(&self) -> bool {
        self.status.as_deref().is_some_and(|s| {
            let s = s.trim().to_ascii_uppercase();
            s == "PENDING"
                || s.contains("PROGRESS")
                || s.contains("REQUESTED")
                || s.starts_with("WAITING")
        })
    }
}

/// A toll-free verification status webhook body (contract-2 §5.5): verified, denied, failure or
/// blocked, told apart by `errorCode` / `status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TollFreeVerificationWebhook {
    #[serde(default)]
    pub account_id: Option<String>,
    pub phone_number: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub decline_reason_description: Option<String>,
    #[serde(default)]
    pub denial_status_code: Option<i64>,
    #[serde(default)]
    pub resubmit_allowed: Option<bool>,
    #[serde(default)]
    pub blocked: Option<bool>,
    #[serde(default)]
    pub blocked_reason: Option<String>,
    /// Present on a failure callback (e.g. `"400"`).
    #[serde(default)]
    pub error_code: Option<serde_json::Value>,
    #[serde(default)]
    pub error_message: Option<String>,
}

/// A toll-free verification webhook subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TfvSubscription {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub callback_url: Option<String>,
}
