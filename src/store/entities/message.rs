use sea_orm::entity::prelude::*;

/// A message of a conversation, in either direction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i32,
    pub contact_number: String,
    /// Our number: the sender of an outbound message, the receiver of an inbound one.
    pub user_number: String,
    pub is_from_contact: bool,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    /// JSON array of media URLs.
    #[sea_orm(column_type = "Text")]
    pub media: String,
    /// QUEUED, SENDING, UNKNOWN, SENT, DELIVERED or ERROR (see README "Message states").
    pub send_status: String,
    pub error_code: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_description: Option<String>,
    /// Bandwidth's message id.
    pub service_id: Option<String>,
    pub segment_count: Option<i32>,
    pub application_id: Option<String>,
    pub campaign_id: Option<String>,
    pub contact_id: Option<String>,
    /// For a reply: the outbound message it answers.
    pub in_reply_to: Option<i64>,
    pub send_before: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The client's key for this send (unique per organization): a retry returns this message.
    pub idempotency_key: Option<String>,
    /// How many times the message was posted to Bandwidth.
    pub send_attempts: i32,
    /// When the last post to Bandwidth started (the window a lookup searches).
    pub attempted_at: Option<DateTimeUtc>,
}

/// `open_since`, a column the database generates from `send_status` and `updated_at`: the
/// message's `updated_at` while its send is open (QUEUED, SENDING or UNKNOWN), NULL otherwise.
/// Not a field, since nothing writes it; the reads of open sends filter and order on it, through
/// the partial index `bandwidth_messages_open`. (Indexing `send_status` or `updated_at` instead
/// would make every status move write index entries: see the migration `…_hot_status_moves`.)
pub const OPEN_SINCE: &str = "open_since";

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
