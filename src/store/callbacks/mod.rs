//! Set-based statements of the callback path: status changes, inbound messages and sticky
//! mappings, each applied for many events at once inside the caller's transaction.

use std::collections::HashSet;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};

use super::entities::{contact, message, phone_number};

const CHUNK: usize = 200;

/// A contact and the number of ours it is talking to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, FromQueryResult)]
pub struct Pair {
    pub contact_number: String,
    pub user_number: String,
}

/// An outbound message whose status a callback changed.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Changed {
    pub service_id: String,
    pub contact_number: String,
    pub user_number: String,
}

impl Changed {
    /// The conversation the message belongs to.
    pub fn pair(&self) -> Pair {
        Pair {
            contact_number: self.contact_number.clone(),
            user_number: self.user_number.clone(),
        }
    }
}

/// Moves outbound messages (by Bandwidth id, within the org) to `to_status`, when their status is
/// one of `from_statuses`; returns those it changed.
pub async fn advance_status(
    db: &impl ConnectionTrait,
    organization_id: i32,
    service_ids: &[String],
    to_status: &str,
    from_statuses: &[&str],
) -> Result<Vec<Changed>, DbErr> {
    let mut changed = Vec::new();
    for chunk in service_ids.chunks(CHUNK) {
        let mut update = Query::update();
        update
            .table(message::Entity)
            .value(message::Column::SendStatus, to_status)
            .value(message::Column::UpdatedAt, chrono::Utc::now())
            .and_where(Expr::col(message::Column::OrganizationId).eq(organization_id))
            .and_where(Expr::col(message::Column::IsFromContact).eq(false))
            .and_where(Expr::col(message::Column::ServiceId).is_in(chunk.iter().cloned()))
            .and_where(Expr::col(message::Column::SendStatus).is_in(from_statuses.iter().copied()))
            .returning(Query::returning().columns([
                message::Column::ServiceId,
                message::Column::ContactNumber,
                message::Column::UserNumber,
            ]));
        let statement = db.get_database_backend().build(&update);
        changed.extend(Changed::find_by_statement(statement).all(db).await?);
    }
    Ok(changed)
}

/// An outbound message a callback failed.
#[derive(Debug, Clone, FromQueryResult)]
pub struct FailedMessage {
    pub id: i64,
    pub contact_number: String,
}

/// Marks one outbound message failed with Bandwidth's code and its description (when its status
/// is one of `from_statuses`); returns it when it changed.
pub async fn fail_message(
    db: &impl ConnectionTrait,
    organization_id: i32,
    service_id: &str,
    error_code: Option<i32>,
    description: &str,
    from_statuses: &[&str],
) -> Result<Option<FailedMessage>, DbErr> {
    let mut update = Query::update();
    update
        .table(message::Entity)
        .value(message::Column::SendStatus, "ERROR")
        .value(message::Column::ErrorCode, error_code)
        .value(message::Column::ErrorDescription, description)
        .value(message::Column::UpdatedAt, chrono::Utc::now())
        .and_where(Expr::col(message::Column::OrganizationId).eq(organization_id))
        .and_where(Expr::col(message::Column::IsFromContact).eq(false))
        .and_where(Expr::col(message::Column::ServiceId).eq(service_id))
        .and_where(Expr::col(message::Column::SendStatus).is_in(from_statuses.iter().copied()))
        .returning(
            Query::returning().columns([message::Column::Id, message::Column::ContactNumber]),
        );
    let statement = db.get_database_backend().build(&update);
    FailedMessage::find_by_statement(statement).one(db).await
}

/// An inbound message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub service_id: String,
    pub contact_number: String,
    pub user_number: String,
    pub text: String,
    pub media: String,
    pub segment_count: Option<i32>,
    /// The consent keyword the message carries, if any; applied only when the message is
    /// stored by this batch (a redelivery changes nothing).
    pub consent: Option<InboundConsent>,
}

/// A consent keyword recognised in an inbound message (by `services::callbacks::plan`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundConsent {
    /// `opt_out`, `opt_in` or `help`.
    pub action: &'static str,
    /// `keyword` or `expression` (an opt-out's source).
    pub source: &'static str,
    /// The keyword or the expression's reason.
    pub reason: String,
    /// For an opt-out: whether a new one is confirmed (the organization's setting).
    pub confirm: bool,
}

/// An inbound message this batch stored.
#[derive(Debug, Clone, FromQueryResult)]
pub struct StoredInbound {
    pub id: i64,
    pub service_id: String,
    pub contact_number: String,
    pub user_number: String,
}

impl StoredInbound {
    /// The conversation the message belongs to.
    pub fn pair(&self) -> Pair {
        Pair {
            contact_number: self.contact_number.clone(),
            user_number: self.user_number.clone(),
        }
    }
}

/// Stores inbound messages (a Bandwidth id already stored for the org is skipped), each attached
/// to the last outbound message to that contact from the number it texted; returns those
/// stored.
pub async fn insert_inbound(
    db: &impl ConnectionTrait,
    organization_id: i32,
    rows: &[Inbound],
) -> Result<Vec<StoredInbound>, DbErr> {
    use message::Column as C;
    let now = chrono::Utc::now();
    let mut stored = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK / 2) {
        let mut insert = Query::insert();
        insert.into_table(message::Entity).columns([
            C::OrganizationId,
            C::ContactNumber,
            C::UserNumber,
            C::IsFromContact,
            C::Text,
            C::Media,
            C::SendStatus,
            C::ServiceId,
            C::SegmentCount,
            C::InReplyTo,
            C::CreatedAt,
            C::UpdatedAt,
        ]);
        for row in chunk {
            insert.values_panic([
                organization_id.into(),
                row.contact_number.clone().into(),
                row.user_number.clone().into(),
                true.into(),
                row.text.clone().into(),
                row.media.clone().into(),
                "DELIVERED".into(),
                row.service_id.clone().into(),
                row.segment_count.into(),
                Expr::SubQuery(
                    None,
                    Box::new(
                        last_outbound(organization_id, &row.contact_number, &row.user_number)
                            .into(),
                    ),
                ),
                now.into(),
                now.into(),
            ]);
        }
        insert
            .on_conflict(
                OnConflict::columns([C::OrganizationId, C::ServiceId])
                    .do_nothing()
                    .to_owned(),
            )
            .returning(Query::returning().columns([
                C::Id,
                C::ServiceId,
                C::ContactNumber,
                C::UserNumber,
            ]));
        let statement = db.get_database_backend().build(&insert);
        stored.extend(StoredInbound::find_by_statement(statement).all(db).await?);
    }
    Ok(stored)
}

fn last_outbound(organization_id: i32, contact_number: &str, user_number: &str) -> SelectStatement {
    use message::Column as C;
    Query::select()
        .column(C::Id)
        .from(message::Entity)
        .and_where(Expr::col(C::OrganizationId).eq(organization_id))
        .and_where(Expr::col(C::ContactNumber).eq(contact_number))
        .and_where(Expr::col(C::UserNumber).eq(user_number))
        .and_where(Expr::col(C::IsFromContact).eq(false))
        .order_by(C::Id, sea_orm::sea_query::Order::Desc)
        .limit(1)
        .to_owned()
}

/// Which of these numbers are active numbers of the organization.
pub async fn active_numbers_among(
    db: &impl ConnectionTrait,
    organization_id: i32,
    numbers: &[String],
) -> Result<HashSet<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        phone_number: String,
    }
    let mut active = HashSet::new();
    for chunk in numbers.chunks(CHUNK) {
        let select = Query::select()
            .column(phone_number::Column::PhoneNumber)
            .from(phone_number::Entity)
            .and_where(Expr::col(phone_number::Column::OrganizationId).eq(organization_id))
            .and_where(Expr::col(phone_number::Column::Status).eq(super::phone_numbers::ACTIVE))
            .and_where(Expr::col(phone_number::Column::PhoneNumber).is_in(chunk.iter().cloned()))
            .to_owned();
        let statement: Statement = db.get_database_backend().build(&select);
        active.extend(
            Row::find_by_statement(statement)
                .all(db)
                .await?
                .into_iter()
                .map(|r| r.phone_number),
        );
    }
    Ok(active)
}

/// Writes sticky mappings (contact → our number) with one upsert per chunk, so concurrent first
/// messages to a contact cannot race (Spoke's insert-then-update does).
pub async fn upsert_sticky(
    db: &impl ConnectionTrait,
    organization_id: i32,
    pairs: &[Pair],
) -> Result<(), DbErr> {
    use contact::Column as C;
    let now = chrono::Utc::now();
    // One row per contact per statement: PostgreSQL refuses to upsert the same key twice at once.
    let mut latest: Vec<&Pair> = Vec::with_capacity(pairs.len());
    let mut seen = HashSet::new();
    for pair in pairs.iter().rev() {
        if seen.insert(&pair.contact_number) {
            latest.push(pair);
        }
    }
    for chunk in latest.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(contact::Entity).columns([
            C::OrganizationId,
            C::ContactNumber,
            C::UserNumber,
            C::OptedOut,
            C::UpdatedAt,
        ]);
        for pair in chunk {
            insert.values_panic([
                organization_id.into(),
                pair.contact_number.clone().into(),
                pair.user_number.clone().into(),
                false.into(),
                now.into(),
            ]);
        }
        insert.on_conflict(
            OnConflict::columns([C::OrganizationId, C::ContactNumber])
                .update_columns([C::UserNumber, C::UpdatedAt])
                .to_owned(),
        );
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Remembers the last error code Bandwidth reported for a contact.
pub async fn record_contact_error(
    db: &impl ConnectionTrait,
    organization_id: i32,
    contact_number: &str,
    error_code: Option<i32>,
) -> Result<(), DbErr> {
    use contact::Column as C;
    let mut insert = Query::insert();
    insert
        .into_table(contact::Entity)
        .columns([
            C::OrganizationId,
            C::ContactNumber,
            C::OptedOut,
            C::LastErrorCode,
            C::UpdatedAt,
        ])
        .values_panic([
            organization_id.into(),
            contact_number.into(),
            false.into(),
            error_code.into(),
            chrono::Utc::now().into(),
        ])
        .on_conflict(
            OnConflict::columns([C::OrganizationId, C::ContactNumber])
                .update_columns([C::LastErrorCode, C::UpdatedAt])
                .to_owned(),
        );
    db.execute(&insert).await.map(|_| ())
}

mod apply;
mod orphans;
/// PostgreSQL: one statement (hence one round trip and one implicit transaction) applies a batch
/// of one kind of event for one organization. Arrays are bound whole, so the SQL text is the
/// same whatever the batch size and stays prepared on the connection.
pub mod postgres;

pub use apply::{Failure, OrgPlan, apply_portable, sends_in_flight, statuses};
pub use orphans::{NewOrphan, list_orphans, record_orphans};
