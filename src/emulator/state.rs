//! The emulator's configuration and its in-memory world: sites, sip peers, applications,
//! numbers, orders, disconnects, messages, plus the recorded requests, callback attempts and
//! injected faults the control routes expose. Everything lives behind one `std::sync::Mutex`
//! that is never held across an `.await`. Imports nothing from axum handlers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

/// Most recorded requests and callback attempts kept; older entries are dropped first so a
/// long-running `demo` cannot grow memory without bound.
pub const MAX_RECORDS: usize = 10_000;

/// How the emulator behaves: the one account it serves, its API user, and callback delivery.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The Bandwidth account id served; any other id in a path gets 403.
    pub account_id: String,
    /// API user name for HTTP Basic (Dashboard and Messaging share it, as on Bandwidth).
    pub username: String,
    /// API user password for HTTP Basic.
    pub password: String,
    /// How many `GET /orders/{id}` an order needs before it reaches its final state
    /// (earlier GETs answer `PROCESSING`). `0` and `1` both finish on the first GET.
    pub order_polls_to_complete: u32,
    /// Per-attempt timeout for callback POSTs (Bandwidth uses 10 s).
    pub callback_timeout: Duration,
    /// Failed callback attempts (non-2xx, timeout, connection error) before an event is given up.
    pub callback_max_attempts: u32,
    /// Delay before the first retry; doubles for each further retry.
    pub callback_backoff_base: Duration,
    /// Whether sends need registration, as on Bandwidth since 2023/2024 (contract-2 §11): from a
    /// local number on no campaign they fail with 4476, on a campaign a carrier rejected or
    /// suspended with 4773, from a toll-free number not VERIFIED with 4795. Off by default so
    /// library users and tests that do not register can still send; the `emulator` command and
    /// `demo` turn it on.
    pub enforce_registration: bool,
    /// How long the Messaging API's send route waits before it answers, as a real API's round
    /// trip does (Bandwidth answers in tens of milliseconds); zero by default. For load tests of
    /// the send path (`bench/run.sh`'s `send` kind).
    pub answer_delay: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            account_id: "9900000".to_string(),
            username: "emulator".to_string(),
            password: "emulator-password".to_string(),
            order_polls_to_complete: 1,
            callback_timeout: Duration::from_secs(10),
            callback_max_attempts: 5,
            callback_backoff_base: Duration::from_secs(1),
            enforce_registration: false,
            answer_delay: Duration::ZERO,
        }
    }
}

/// A postal address kept as (element name, text) pairs in request order, so it echoes back
/// the way it came in (plus `Country` when missing).
pub type Address = Vec<(String, String)>;

/// A sub-account (`<Site>`).
#[derive(Debug, Clone)]
pub struct Site {
    pub id: u64,
    pub name: Option<String>,
    pub description: Option<String>,
    pub customer_name: Option<String>,
    pub customer_provided_id: Option<String>,
    pub address: Address,
}

/// SMS settings of a location, echoed back in canonical casing.
#[derive(Debug, Clone)]
pub struct SmsFeature {
    /// `SipPeerSmsFeatureSettings` children as (canonical name, text).
    pub settings: Vec<(String, String)>,
    pub protocol: Option<String>,
}

/// A location (`<SipPeer>`).
#[derive(Debug, Clone)]
pub struct SipPeer {
    pub id: u64,
    pub site_id: u64,
    pub name: String,
    pub description: Option<String>,
    pub is_default: bool,
    pub sms: Option<SmsFeature>,
    pub mms_protocol: Option<String>,
    pub application_id: Option<String>,
}

/// Callback credentials; the password is kept for delivery and never echoed.
#[derive(Debug, Clone)]
pub struct Creds {
    pub user_id: String,
    pub password: Option<String>,
}

/// A messaging application.
#[derive(Debug, Clone)]
pub struct Application {
    pub id: String,
    pub service_type: String,
    pub name: String,
    pub callback_url: Option<String>,
    pub msg_callback_url: Option<String>,
    pub inbound_url: Option<String>,
    pub outbound_url: Option<String>,
    pub callback_creds: Option<Creds>,
    pub inbound_creds: Option<Creds>,
    pub outbound_creds: Option<Creds>,
    pub callback_types: Vec<String>,
}

/// A telephone number on the account (10-digit NANP, no `+1`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnedNumber {
    pub number: String,
    pub site_id: u64,
    pub peer_id: u64,
    pub order_id: String,
}

/// What an order asks for.
#[derive(Debug, Clone)]
pub enum OrderKind {
    AreaCode { area_code: String, quantity: u32 },
    TollFree { pattern: String, quantity: u32 },
    Existing { numbers: Vec<String> },
}

/// Lifecycle of a number order as the Dashboard reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Received,
    Processing,
    Complete,
    Partial,
    Failed,
}

impl OrderStatus {
    /// The word Bandwidth uses in `<OrderStatus>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "RECEIVED",
            Self::Processing => "PROCESSING",
            Self::Complete => "COMPLETE",
            Self::Partial => "PARTIAL",
            Self::Failed => "FAILED",
        }
    }
}

/// One `<Error>` of an `ErrorList`.
#[derive(Debug, Clone)]
pub struct ListError {
    pub code: u32,
    pub description: String,
    pub telephone_number: Option<String>,
}

/// A number order.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: String,
    pub name: Option<String>,
    pub customer_order_id: Option<String>,
    pub created: String,
    pub site_id: u64,
    pub peer_id: Option<u64>,
    pub target_peer_id: u64,
    pub back_order_requested: bool,
    pub partial_allowed: bool,
    pub kind: OrderKind,
    pub polls: u32,
    pub status: OrderStatus,
    pub completed: Vec<String>,
    pub failed_numbers: Vec<String>,
    pub errors: Vec<ListError>,
    pub failed_quantity: u32,
    pub finished: Option<String>,
}

/// A disconnect order; its effect is applied when it is created.
#[derive(Debug, Clone)]
pub struct Disconnect {
    pub id: String,
    pub name: Option<String>,
    pub customer_order_id: Option<String>,
    pub created: String,
    pub requested: Vec<String>,
    pub disconnected: Vec<String>,
    pub errors: Vec<ListError>,
    pub status: OrderStatus,
}

/// One row of `GET /users/{a}/messages` (one per recipient).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecord {
    pub message_id: String,
    pub account_id: String,
    pub source_tn: String,
    pub destination_tn: String,
    pub message_status: String,
    pub message_direction: String,
    pub message_type: String,
    pub segment_count: u32,
    pub error_code: u32,
    pub receive_time: String,
    pub carrier_name: Option<String>,
    pub message_size: Option<usize>,
    pub message_length: usize,
    pub attachment_count: Option<usize>,
    pub recipient_count: Option<usize>,
    pub campaign_class: Option<String>,
}

/// A 10DLC campaign the account can use (seeded by `POST /_emulator/campaigns`, or imported).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenDlcCampaign {
    pub campaign_id: String,
    /// `ACTIVE` or `EXPIRED`.
    pub status: String,
    pub description: String,
    /// (carrier name, MNO id, status) per carrier.
    pub mno: Vec<(String, String, String)>,
    /// Bandwidth granted a T-Mobile number pool: no 49-number cap.
    pub number_pool: bool,
    /// Listed by the imports API rather than the CSP campaigns API.
    pub imported: bool,
}

/// A TN option order.
#[derive(Debug, Clone)]
pub struct TnOptionOrder {
    pub id: String,
    pub customer_order_id: Option<String>,
    pub created: String,
    pub action: String,
    pub campaign_id: Option<String>,
    pub numbers: Vec<String>,
    pub polls: u32,
    pub status: OrderStatus,
    pub errors: Vec<ListError>,
    pub modified: String,
}

/// A toll-free number's verification.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TollFreeVerification {
    /// E.164.
    pub phone_number: String,
    /// `PENDING`, `VERIFIED` or `UNVERIFIED`.
    pub status: String,
    pub internal_ticket_number: String,
    pub decline_reason_description: Option<String>,
    pub denial_status_code: Option<u32>,
    pub resubmit_allowed: Option<bool>,
    pub created: String,
    pub modified: String,
}

/// A toll-free verification webhook subscription; the password is kept for delivery only.
#[derive(Debug, Clone)]
pub struct TfvSubscription {
    pub id: String,
    pub callback_url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub created: String,
}

/// Everything Bandwidth would hold for the account.
#[derive(Debug, Default)]
pub struct World {
    pub next_site_id: u64,
    pub next_peer_id: u64,
    pub sites: BTreeMap<u64, Site>,
    pub peers: BTreeMap<u64, SipPeer>,
    pub applications: BTreeMap<String, Application>,
    pub numbers: BTreeMap<String, OwnedNumber>,
    pub orders: BTreeMap<String, Order>,
    pub disconnects: BTreeMap<String, Disconnect>,
    pub messages: Vec<MessageRecord>,
    /// 10DLC campaigns of the account, by id.
    pub campaigns: BTreeMap<String, TenDlcCampaign>,
    /// The campaign each number (10 digits) is on.
    pub tn_campaigns: BTreeMap<String, String>,
    pub tn_option_orders: BTreeMap<String, TnOptionOrder>,
    /// Numbers (10 digits) the next TN option orders fail, with (code, description).
    pub tn_option_failures: BTreeMap<String, (u32, String)>,
    /// Toll-free verifications by E.164 number.
    pub toll_free_verifications: BTreeMap<String, TollFreeVerification>,
    pub tfv_subscriptions: Vec<TfvSubscription>,
    /// When set, Campaign Management answers this (status, code, description): a missing role
    /// or feature.
    pub campaign_management_refusal: Option<(u16, u32, String)>,
    /// Destinations (E.164) whose subscriber opted out at the carrier: every send to one fails
    /// with 4775 `destination-rejected-due-to-user-opt-out`.
    pub carrier_opt_outs: std::collections::BTreeSet<String>,
}

impl World {
    fn fresh() -> Self {
        Self {
            next_site_id: 10_000,
            next_peer_id: 500_000,
            ..Self::default()
        }
    }

    /// The site's default peer (the first created, unless another later claimed the default).
    pub fn default_peer(&self, site_id: u64) -> Option<&SipPeer> {
        self.peers
            .values()
            .find(|p| p.site_id == site_id && p.is_default)
    }
}

/// One recorded API request (`GET /_emulator/requests`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub body: String,
    pub status: u16,
    pub at: String,
}

/// One callback POST attempt (`GET /_emulator/callbacks`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackAttempt {
    pub url: String,
    pub authorized: bool,
    pub event_types: Vec<String>,
    pub message_id: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// What the emulator did next: `delivered`, `challenged`, `retry`, `dropped` or `gave-up`.
    pub outcome: String,
    pub at: String,
}

/// What an injected fault does to the request it matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultAction {
    /// Waits `delayMs`, then answers `status` (without handling the request) or handles it.
    #[default]
    Refuse,
    /// Handles the request (a send is accepted and its callbacks go out), then waits `delayMs`
    /// before answering: with a delay longer than the client's timeout, the answer is lost.
    AcceptThenDelay,
    /// Handles the request, then answers its status with a body cut short, so the client cannot
    /// read what was accepted.
    AcceptThenGarble,
    /// Handles the request (an order is placed), then cuts the connection instead of answering:
    /// the client sees a transport error. Also requested as `dropAnswer: true`.
    AcceptThenDrop,
}

/// A fault injected with `POST /_emulator/faults`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub id: u64,
    pub method: Option<String>,
    pub path: String,
    pub status: Option<u16>,
    pub remaining: u32,
    pub delay_ms: u64,
    pub action: FaultAction,
    /// A send it matches is accepted but none of its callbacks is ever posted.
    pub drop_callbacks: bool,
}

/// A message-level fault (`POST /_emulator/faults` with `errorCode`): sends it matches are
/// accepted (202) and then fail with `message-failed` `error_code` for every recipient.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageFault {
    pub id: u64,
    /// Sends from this number (E.164) match; `None`: any number.
    pub from: Option<String>,
    /// Sends whose text matches this regular expression match; `None`: any text.
    pub text_matches: Option<String>,
    #[serde(skip)]
    pub text_regex: Option<regex::Regex>,
    pub error_code: u32,
    /// Matching sends left (`None`: every one).
    pub remaining: Option<u32>,
    /// Sends match from this time on (`None`: at once).
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

/// The account's outbound queue (`POST /_emulator/faults` with `queueCapacity`): segments
/// drain at `rate_per_second`; a send that would take the depth past `capacity` answers 429
/// `max-message-queue-size-exceeded`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRule {
    pub id: u64,
    pub capacity: f64,
    pub rate_per_second: f64,
    pub depth: f64,
    #[serde(skip)]
    pub drained_at: Option<std::time::Instant>,
}

/// Records and faults kept beside the world.
#[derive(Debug, Default)]
pub struct Journal {
    pub requests: VecDeque<RecordedRequest>,
    pub callbacks: VecDeque<CallbackAttempt>,
    pub faults: Vec<Fault>,
    pub next_fault_id: u64,
    pub message_faults: Vec<MessageFault>,
    pub queue: Option<QueueRule>,
}

/// Shared emulator state; cheap to clone.
#[derive(Clone)]
pub struct EmulatorState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: EmulatorConfig,
    pub world: Mutex<World>,
    pub journal: Mutex<Journal>,
    /// Bumped on reset so in-flight callback tasks from before it stop and record nothing.
    pub generation: AtomicU64,
    pub http: reqwest::Client,
}

impl EmulatorState {
    /// Fresh state for `config`.
    pub fn new(config: EmulatorConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.callback_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            inner: Arc::new(Inner {
                config,
                world: Mutex::new(World::fresh()),
                journal: Mutex::new(Journal::default()),
                generation: AtomicU64::new(0),
                http,
            }),
        }
    }

    /// The configuration this emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        // A poisoned lock only means a handler panicked mid-update; the emulator keeps serving.
        self.inner.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn journal(&self) -> MutexGuard<'_, Journal> {
        self.inner.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::SeqCst)
    }

    /// Adds an ACTIVE 10DLC campaign approved by every carrier to the account (what
    /// `POST /_emulator/campaigns {campaignId}` does), for `demo`.
    pub fn seed_campaign(&self, campaign_id: &str) {
        let campaign = super::dashboard::registration::approved(campaign_id, false, false);
        self.world()
            .campaigns
            .insert(campaign_id.to_owned(), campaign);
    }

    /// Forgets every resource, record and fault, and stops pending callback deliveries.
    pub fn reset(&self) {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        *self.world() = World::fresh();
        *self.journal() = Journal::default();
    }

    pub(crate) fn record_request(&self, request: RecordedRequest) {
        let mut journal = self.journal();
        if journal.requests.len() >= MAX_RECORDS {
            journal.requests.pop_front();
        }
        journal.requests.push_back(request);
    }

    pub(crate) fn record_callback(&self, generation: u64, attempt: CallbackAttempt) {
        if generation != self.generation() {
            return;
        }
        let mut journal = self.journal();
        if journal.callbacks.len() >= MAX_RECORDS {
            journal.callbacks.pop_front();
        }
        journal.callbacks.push_back(attempt);
    }
}

/// Current time as Bandwidth writes it: RFC 3339, milliseconds, `Z`.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
