//! Queries on messages (the send path and conversations; the callback path is in `callbacks`).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::message;

/// An outbound message to record before it is sent.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub organization_id: i32,
    pub contact_number: String,
    pub text: String,
    pub media: String,
    pub campaign_id: Option<String>,
    pub contact_id: Option<String>,
    pub send_before: Option<chrono::DateTime<chrono::Utc>>,
    /// The client's idempotency key (unique per organization).
    pub idempotency_key: Option<String>,
    /// Segments as we count them (Bandwidth's count replaces it once it answers).
    pub segment_count: Option<i32>,
    /// The sender and application of its first post, when chosen: the message is recorded
    /// `SENDING`, its first attempt started now.
    pub sending: Option<Sending>,
}

/// Who a message is posted from.
#[derive(Debug, Clone)]
pub struct Sending {
    pub user_number: String,
    pub application_id: String,
}

/// Records an outbound message as `SENDING` (its sender given) or `QUEUED`. With a key another
/// message of the organization already holds, fails with a unique-constraint error
/// (`DbErr::sql_err`).
pub async fn insert_outbound(
    db: &impl ConnectionTrait,
    new: NewOutbound,
) -> Result<message::Model, DbErr> {
    let now = chrono::Utc::now();
    let started = new.sending.is_some();
    let (user_number, application_id) = new.sending.map_or((String::new(), None), |s| {
        (s.user_number, Some(s.application_id))
    });
    message::ActiveModel {
        organization_id: Set(new.organization_id),
        contact_number: Set(new.contact_number),
        user_number: Set(user_number),
        is_from_contact: Set(false),
        text: Set(new.text),
        media: Set(new.media),
        send_status: Set(if started { "SENDING" } else { "QUEUED" }.into()),
        error_code: Set(None),
        error_description: Set(None),
        service_id: Set(None),
        segment_count: Set(new.segment_count),
        application_id: Set(application_id),
        campaign_id: Set(new.campaign_id),
        contact_id: Set(new.contact_id),
        in_reply_to: Set(None),
        send_before: Set(new.send_before),
        created_at: Set(now),
        updated_at: Set(now),
        idempotency_key: Set(new.idempotency_key),
        send_attempts: Set(i32::from(started)),
        attempted_at: Set(started.then_some(now)),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// What changes on a message as it is sent.
#[derive(Debug, Clone, Default)]
pub struct SendUpdate {
    pub send_status: &'static str,
    pub user_number: Option<String>,
    pub application_id: Option<String>,
    pub service_id: Option<String>,
    pub segment_count: Option<i32>,
    pub error_code: Option<i32>,
    pub error_description: Option<String>,
}

/// Applies a step of the send path to a message (only fields that are `Some` change, besides
/// the status) and returns the message as stored.
pub async fn update_send(
    db: &impl ConnectionTrait,
    id: i64,
    update: SendUpdate,
) -> Result<message::Model, DbErr> {
    let mut model = message::ActiveModel {
        id: sea_orm::Unchanged(id),
        ..Default::default()
    };
    model.send_status = Set(update.send_status.to_owned());
    model.updated_at = Set(chrono::Utc::now());
    if let Some(v) = update.user_number {
        model.user_number = Set(v);
    }
    if let Some(v) = update.application_id {
        model.application_id = Set(Some(v));
    }
    if let Some(v) = update.service_id {
        model.service_id = Set(Some(v));
    }
    if update.segment_count.is_some() {
        model.segment_count = Set(update.segment_count);
    }
    if update.error_code.is_some() {
        model.error_code = Set(update.error_code);
    }
    if update.error_description.is_some() {
        model.error_description = Set(update.error_description);
    }
    model.update(db).await
}

/// The conversation with a contact, oldest first, both directions.
pub async fn conversation(
    db: &impl ConnectionTrait,
    organization_id: i32,
    contact_number: &str,
) -> Result<Vec<message::Model>, DbErr> {
    message::Entity::find()
        .filter(message::Column::OrganizationId.eq(organization_id))
        .filter(message::Column::ContactNumber.eq(contact_number))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await
}
