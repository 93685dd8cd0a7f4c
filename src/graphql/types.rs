//! GraphQL output and input types; separate from entities so stored secrets cannot reach the schema.

use async_graphql::{Enum, InputObject, Json, SimpleObject};
use chrono::{DateTime, Utc};

use crate::services::credentials::{self, Account};
use crate::services::provisioning;

/// A postal address (Bandwidth needs one to create a sub-account).
#[derive(Debug, Clone, SimpleObject, InputObject)]
#[graphql(input_name = "AddressInput")]
pub struct Address {
    pub house_number: Option<String>,
    pub street_name: Option<String>,
    pub city: Option<String>,
    pub state_code: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
}

impl From<credentials::Address> for Address {
    fn from(a: credentials::Address) -> Self {
        Self {
            house_number: a.house_number,
            street_name: a.street_name,
            city: a.city,
            state_code: a.state_code,
            zip: a.zip,
            country: a.country,
        }
    }
}

impl From<Address> for credentials::Address {
    fn from(a: Address) -> Self {
        Self {
            house_number: a.house_number,
            street_name: a.street_name,
            city: a.city,
            state_code: a.state_code,
            zip: a.zip,
            country: a.country,
        }
    }
}

/// An organization's Bandwidth account. The password is write-only: only `passwordSet` shows.
#[derive(Debug, Clone, SimpleObject)]
pub struct BandwidthAccount {
    pub account_id: String,
    pub user_name: String,
    pub password_set: bool,
    pub site_id: Option<String>,
    pub sip_peer_id: Option<String>,
    pub application_id: Option<String>,
    pub address: Option<Address>,
    /// The URL Bandwidth posts callbacks to for this organization.
    pub callback_url: String,
    /// When Bandwidth last accepted these credentials; null when stored with `skipVerification`.
    pub verified_at: Option<DateTime<Utc>>,
    /// Whether Bandwidth accepted these credentials.
    pub verified: bool,
    /// Every provisioning step and where it stands (all `PENDING` before the first run).
    pub provisioning: Vec<ProvisioningStep>,
}

impl From<Account> for BandwidthAccount {
    fn from(a: Account) -> Self {
        Self {
            account_id: a.account_id,
            user_name: a.user_name,
            password_set: a.password_set,
            site_id: a.site_id,
            sip_peer_id: a.sip_peer_id,
            application_id: a.application_id,
            address: a.address.map(Into::into),
            callback_url: a.callback_url,
            verified: a.verified_at.is_some(),
            verified_at: a.verified_at,
            provisioning: provisioning::steps_of(a.provisioning_log.as_deref())
                .into_iter()
                .map(Into::into)
                .collect(),
        }
    }
}

/// Spoke's service-vendor shape; in `config` the password reads `"<Encrypted>"`, never the secret.
#[derive(Debug, Clone, SimpleObject)]
pub struct ServiceVendor {
    pub id: String,
    pub name: String,
    pub supports_org_config: bool,
    pub config: Option<Json<serde_json::Value>>,
    pub fully_configured: bool,
}

impl ServiceVendor {
    /// Bandwidth's entry with the given (already password-free) config.
    pub async fn new(
        state: &crate::state::AppState,
        organization_id: i32,
        config: serde_json::Value,
    ) -> crate::error::Result<Self> {
        use crate::services::vendor;
        Ok(Self {
            id: vendor::id(organization_id),
            name: vendor::NAME.into(),
            supports_org_config: true,
            config: Some(Json(config)),
            fully_configured: provisioning::is_fully_configured(state, organization_id).await?,
        })
    }
}

/// Bandwidth credentials as entered by an owner (no `Debug`: it holds the password).
#[derive(Clone, InputObject)]
pub struct BandwidthCredentialsInput {
    pub account_id: String,
    pub user_name: String,
    /// Optional once set: omitted or `"<Encrypted>"` keeps the stored password.
    pub password: Option<String>,
    /// Sub-account (site) id entered by hand; empty clears it.
    pub site_id: Option<String>,
    /// Location (sip peer) id entered by hand; empty clears it.
    pub sip_peer_id: Option<String>,
    /// Messaging application id entered by hand; empty clears it.
    pub application_id: Option<String>,
    /// Billing address for the sub-account.
    pub address: Option<Address>,
    /// Store without checking with Bandwidth (offline setup); the account then reads unverified.
    #[graphql(default = false)]
    pub skip_verification: bool,
}

impl From<BandwidthCredentialsInput> for credentials::CredentialsUpdate {
    fn from(i: BandwidthCredentialsInput) -> Self {
        Self {
            account_id: i.account_id,
            user_name: i.user_name,
            password: i.password,
            site_id: i.site_id,
            sip_peer_id: i.sip_peer_id,
            application_id: i.application_id,
            address: i.address.map(Into::into),
            skip_verification: i.skip_verification,
        }
    }
}

/// A background job (Spoke's `JobRequest` / `BuyPhoneNumbersJobRequest` shape, plus `kind` and `state`).
#[derive(Debug, Clone, SimpleObject)]
pub struct JobRequest {
    pub id: String,
    /// `sync_phone_numbers`, `buy_phone_numbers`, `delete_phone_numbers` or `consent_reply`.
    pub kind: String,
    /// `PENDING`, `RUNNING`, `SUCCEEDED` or `FAILED`.
    pub state: String,
    /// Whether a runner has taken the job (Spoke's `assigned`).
    pub assigned: bool,
    /// Spoke's numeric status: 0 pending, 1 running, 2 succeeded, -1 failed.
    pub status: i32,
    /// The outcome, or the reason of a failure or of a pending retry.
    pub result_message: Option<String>,
    /// The area code of a buy or delete job ("" for a sync).
    pub area_code: String,
    /// How many numbers a buy job orders (0 otherwise).
    pub limit: i32,
    /// How many times a runner has started the job.
    pub attempts: i32,
}

impl From<crate::services::jobs::Job> for JobRequest {
    fn from(job: crate::services::jobs::Job) -> Self {
        use crate::services::jobs::JobSpec;
        let (area_code, limit) = match job.spec {
            Some(JobSpec::BuyPhoneNumbers {
                area_code, limit, ..
            }) => (area_code, limit as i32),
            Some(JobSpec::DeletePhoneNumbers { area_code }) => (area_code, 0),
            _ => (String::new(), 0),
        };
        let status = match job.state.as_str() {
            "PENDING" => 0,
            "RUNNING" => 1,
            "SUCCEEDED" => 2,
            _ => -1,
        };
        Self {
            id: job.id.to_string(),
            kind: job.kind,
            assigned: job.state != "PENDING",
            state: job.state,
            status,
            result_message: job.result_message,
            area_code,
            limit,
            attempts: job.attempts,
        }
    }
}

/// One of the organization's numbers.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct PhoneNumber {
    pub id: String,
    /// E.164.
    pub phone_number: String,
    pub area_code: String,
    /// Region of the area code, or "N/A".
    pub state: String,
    /// `active`, `quarantined` or `retired` (released numbers are not listed); see `health`.
    pub status: String,
    /// Spoke's `service_id`: `<sipPeerId>.<10 digits>`.
    pub service_id: Option<String>,
    /// When a message was last sent from this number.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The stored row, for `health` (graphql/health.rs).
    #[graphql(skip)]
    pub model: crate::store::entities::phone_number::Model,
}

impl From<crate::store::entities::phone_number::Model> for PhoneNumber {
    fn from(n: crate::store::entities::phone_number::Model) -> Self {
        Self {
            model: n.clone(),
            id: n.id.to_string(),
            phone_number: n.phone_number,
            area_code: n.area_code,
            state: n.state,
            status: n.status,
            service_id: n.service_id,
            last_used_at: (n.last_used_at > 0)
                .then(|| DateTime::from_timestamp_millis(n.last_used_at))
                .flatten(),
        }
    }
}

/// Active numbers of one area code (Spoke's shape).
#[derive(Debug, Clone, SimpleObject)]
pub struct PhoneNumberCounts {
    pub area_code: String,
    pub state: String,
    pub available_count: i32,
    pub allocated_count: i32,
}

impl From<crate::services::numbers::AreaCodeCount> for PhoneNumberCounts {
    fn from(c: crate::services::numbers::AreaCodeCount) -> Self {
        Self {
            area_code: c.area_code,
            state: c.state,
            available_count: c.available as i32,
            allocated_count: c.allocated as i32,
        }
    }
}

/// What Bandwidth must send with callbacks to this organization.
#[derive(Debug, Clone, SimpleObject)]
pub struct CallbackCredentials {
    pub callback_url: String,
    pub user_id: String,
    pub password: String,
}

/// A delivery report Bandwidth sent for a message this organization never stored, when no send
/// in flight could own it: acknowledged (so Bandwidth stops retrying) and kept here.
#[derive(Debug, Clone, SimpleObject)]
pub struct OrphanReport {
    /// Bandwidth's message id.
    pub service_id: String,
    /// `message-delivered` or `message-failed`.
    pub kind: String,
    pub error_code: Option<i32>,
    /// How many times Bandwidth delivered it.
    pub times: i32,
    pub first_seen_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
}

impl From<crate::store::entities::orphan_report::Model> for OrphanReport {
    fn from(m: crate::store::entities::orphan_report::Model) -> Self {
        Self {
            service_id: m.service_id,
            kind: m.kind,
            error_code: m.error_code,
            times: m.times,
            first_seen_at: m.first_seen_at,
            last_seen_at: m.last_seen_at,
        }
    }
}

/// Where a provisioning step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProvisioningStepStatus {
    /// Done by this server.
    Done,
    /// An id entered by hand, checked with Bandwidth and used as is (never recreated).
    Existing,
    /// Bandwidth refused; `detail` has its error text.
    Failed,
    /// Not reached yet, or to be redone because an id it depended on changed.
    Pending,
}

impl From<provisioning::StepStatus> for ProvisioningStepStatus {
    fn from(s: provisioning::StepStatus) -> Self {
        match s {
            provisioning::StepStatus::Done => Self::Done,
            provisioning::StepStatus::Existing => Self::Existing,
            provisioning::StepStatus::Failed => Self::Failed,
            provisioning::StepStatus::Pending => Self::Pending,
        }
    }
}

/// One provisioning step: `sub-account`, `location`, `sms-settings`, `mms-settings`,
/// `messaging-application`, `application-location` or `number-sync`.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProvisioningStep {
    pub name: String,
    pub status: ProvisioningStepStatus,
    /// What was done, or Bandwidth's own error text when the step failed.
    pub detail: Option<String>,
}

impl From<provisioning::Step> for ProvisioningStep {
    fn from(s: provisioning::Step) -> Self {
        Self {
            name: s.name.to_owned(),
            status: s.status.into(),
            detail: s.detail,
        }
    }
}

/// How a provisioning run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProvisioningState {
    /// Every step is done (or used as entered).
    Complete,
    /// A step failed; run provisionBandwidth again to resume there.
    Failed,
}

/// The outcome of `provisionBandwidth`: every step with its status, and the account after it.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProvisioningResult {
    pub state: ProvisioningState,
    pub steps: Vec<ProvisioningStep>,
    pub account: Option<BandwidthAccount>,
}

impl From<provisioning::Provisioning> for ProvisioningResult {
    fn from(p: provisioning::Provisioning) -> Self {
        Self {
            state: match p.state {
                provisioning::ProvisioningState::Complete => ProvisioningState::Complete,
                provisioning::ProvisioningState::Failed => ProvisioningState::Failed,
            },
            steps: p.steps.into_iter().map(Into::into).collect(),
            account: Some(p.account.into()),
        }
    }
}

/// Input of `provisionBandwidth`.
#[derive(Debug, Clone, Default, InputObject)]
pub struct ProvisionBandwidthInput {
    /// Billing address for the sub-account; fills in the one saved with the credentials.
    pub address: Option<Address>,
}

/// Where a message is in its life (Spoke's words, plus `UNKNOWN`; README "Message states").
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum SendStatus {
    /// Stored; not posted to Bandwidth yet.
    Queued,
    /// Being posted to Bandwidth.
    Sending,
    /// Bandwidth's answer to the post was lost; the outcome is being checked with Bandwidth
    /// (bounded, see README). Never sent twice meanwhile.
    Unknown,
    /// Bandwidth accepted it.
    Sent,
    Delivered,
    Error,
}

/// A message of a conversation, in either direction.
#[derive(Debug, Clone, SimpleObject)]
pub struct Message {
    pub id: String,
    pub contact_number: String,
    /// Our number: the sender of an outbound message, the receiver of a reply.
    pub user_number: String,
    pub text: String,
    pub media_urls: Vec<String>,
    pub is_from_contact: bool,
    pub send_status: SendStatus,
    /// Bandwidth's messaging error code (or the HTTP status when Bandwidth refused the send).
    pub error_code: Option<i32>,
    pub error_description: Option<String>,
    /// Bandwidth's message id.
    pub service_id: Option<String>,
    pub segment_count: Option<i32>,
    /// For a reply: the id of the outbound message it answers.
    pub in_reply_to: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<crate::store::entities::message::Model> for Message {
    fn from(m: crate::store::entities::message::Model) -> Self {
        Self {
            id: m.id.to_string(),
            contact_number: m.contact_number,
            user_number: m.user_number,
            media_urls: serde_json::from_str(&m.media).unwrap_or_default(),
            text: m.text,
            is_from_contact: m.is_from_contact,
            send_status: match m.send_status.as_str() {
                "QUEUED" => SendStatus::Queued,
                "SENDING" => SendStatus::Sending,
                "UNKNOWN" => SendStatus::Unknown,
                "SENT" => SendStatus::Sent,
                "DELIVERED" => SendStatus::Delivered,
                _ => SendStatus::Error,
            },
            error_code: m.error_code,
            error_description: m.error_description,
            service_id: m.service_id,
            segment_count: m.segment_count,
            in_reply_to: m.in_reply_to.map(|id| id.to_string()),
            created_at: m.created_at,
        }
    }
}

/// A message to send.
#[derive(Debug, Clone, InputObject)]
pub struct SendMessageInput {
    /// The contact's number; NANP numbers may omit `+1`.
    pub contact_number: String,
    #[graphql(default)]
    pub text: String,
    #[graphql(default)]
    pub media_urls: Vec<String>,
    pub campaign_id: Option<String>,
    pub contact_id: Option<String>,
    /// Bandwidth drops the message if it cannot be sent by then.
    pub send_before: Option<DateTime<Utc>>,
    /// The client's key for this send (Spoke's message or contact id fits; 1 to 255
    /// characters): the same key for the same organization returns the first message and never
    /// sends again. Retry with the same key after any error or lost answer.
    pub idempotency_key: Option<String>,
}

impl From<SendMessageInput> for crate::services::messaging::SendRequest {
    fn from(i: SendMessageInput) -> Self {
        Self {
            contact_number: i.contact_number,
            text: i.text,
            media_urls: i.media_urls,
            campaign_id: i.campaign_id,
            contact_id: i.contact_id,
            send_before: i.send_before,
            idempotency_key: i.idempotency_key,
            ..Self::default()
        }
    }
}

/// A service manager of the organization, in the order they run (Spoke's shape).
#[derive(Debug, Clone, SimpleObject)]
pub struct ServiceManager {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub supports_org_config: bool,
    pub supports_campaign_config: bool,
    /// `{ "enabled": bool, "position": n | null }` and the manager's own options
    /// (numpicker-basic: `matchAreaCode`, `matchState`).
    pub data: Option<Json<serde_json::Value>>,
    pub fully_configured: Option<bool>,
    /// Spoke's campaign-page flags; always null here (these managers have no campaign settings).
    pub start_polling: Option<bool>,
    #[graphql(name = "unArchiveable")]
    pub un_archiveable: Option<bool>,
}

/// Spoke's `OrgSettings` (the Settings page's "Overriding default settings" card).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "OrgSettings")]
pub struct OrgSettingsView {
    /// The organization's `MESSAGE_HANDLERS` (none unless set).
    pub message_handlers: Vec<String>,
    /// The organization's `ACTION_HANDLERS` (none unless set).
    pub action_handlers: Vec<String>,
    /// The organization's settings as a JSON string.
    #[graphql(name = "featuresJSON")]
    pub features_json: String,
    /// Feature keys this server reads that the organization has not set.
    pub unset_features: Vec<String>,
}

/// Spoke's `TexterUIConfig`.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "TexterUIConfig")]
pub struct TexterUiConfig {
    /// The organization's `TEXTER_UI_SETTINGS` (a JSON string), when set.
    pub options: Option<String>,
    /// The organization's `TEXTER_SIDEBOXES` (none unless set).
    pub sidebox_choices: Vec<String>,
}

impl From<&crate::services::settings_page::SpokeSettings> for OrgSettingsView {
    fn from(s: &crate::services::settings_page::SpokeSettings) -> Self {
        Self {
            message_handlers: s.message_handlers.clone(),
            action_handlers: s.action_handlers.clone(),
            features_json: s.features_json.clone(),
            unset_features: s.unset_features.clone(),
        }
    }
}

impl ServiceManager {
    /// Spoke's shape of a manager's status; the id is `<name>-org<orgId>-<campaignId><"stats">`.
    pub fn from_status(
        status: crate::services::managers::ManagerStatus,
        organization_id: i32,
        id_suffix: &str,
    ) -> Self {
        Self {
            id: format!("{}-org{organization_id}-{id_suffix}", status.manager.name()),
            name: status.manager.name().into(),
            display_name: status.manager.display_name().into(),
            // Spoke's metadata of sticky-sender and numpicker-basic: no org config component.
            supports_org_config: false,
            supports_campaign_config: false,
            data: Some(Json(status.data())),
            fully_configured: Some(status.fully_configured),
            start_polling: None,
            un_archiveable: None,
        }
    }
}
