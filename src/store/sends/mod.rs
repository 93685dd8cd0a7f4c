//! Queries of the exactly-once send path: messages by idempotency key, the conditional steps of a
//! send (each moves a message only from the statuses it names, so two actors — a send, a
//! callback, a sweeper on another replica — can never both take the same step), and the sweeper's
//! reads. No business rules here.

use std::collections::HashSet;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::{contact, message, phone_number};
use super::phone_numbers::ACTIVE;

/// What may stand in a new send's way, each `true` when a row is there: a message of the
/// organization's with the send's idempotency key, an uncleared flag on its text, a sending
/// pause of the organization or of the campaign (current or expired), an opt-out of the contact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromQueryResult)]
pub struct InTheWay {
    pub keyed: bool,
    pub flagged: bool,
    pub paused: bool,
    pub opted_out: bool,
}

/// Reads [`InTheWay`] in one statement instead of four (a round trip each). The send then reads
/// the rows themselves only for what is there, which on the common path is nothing. `key` and
/// `content_hash` are `None` for a send without a key or without text.
pub async fn in_the_way(
    db: &impl ConnectionTrait,
    organization_id: i32,
    key: Option<&str>,
    content_hash: Option<&str>,
    campaign_key: &str,
    contact_number: &str,
) -> Result<InTheWay, DbErr> {
    use super::entities::opt_out;
    use super::health::entities::{flagged_text, pause};
    use sea_orm::sea_query::{Condition, IntoTableRef};
    // Whether `table` has a row meeting `condition`.
    fn any_row(table: impl IntoTableRef, condition: Condition) -> Expr {
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(table)
                .cond_where(condition)
                .to_owned(),
        )
    }
    let keyed = key.map_or(Expr::val(false), |key| {
        any_row(
            message::Entity,
            Condition::all()
                .add(message::Column::OrganizationId.eq(organization_id))
                .add(message::Column::IdempotencyKey.eq(key)),
        )
    });
    let flagged = content_hash.map_or(Expr::val(false), |hash| {
        any_row(
            flagged_text::Entity,
            Condition::all()
                .add(flagged_text::Column::OrganizationId.eq(organization_id))
                .add(flagged_text::Column::ContentHash.eq(hash))
                .add(flagged_text::Column::ClearedAt.is_null()),
        )
    });
    let paused = any_row(
        pause::Entity,
        Condition::all()
            .add(pause::Column::OrganizationId.eq(organization_id))
            .add(pause::Column::CampaignKey.is_in([campaign_key, ""])),
    );
    let opted_out = any_row(
        opt_out::Entity,
        Condition::all()
            .add(opt_out::Column::OrganizationId.eq(organization_id))
            .add(opt_out::Column::ContactNumber.eq(contact_number)),
    );
    let select = Query::select()
        .expr_as(keyed, "keyed")
        .expr_as(flagged, "flagged")
        .expr_as(paused, "paused")
        .expr_as(opted_out, "opted_out")
        .to_owned();
    InTheWay::find_by_statement(db.get_database_backend().build(&select))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the probe of a send returned no row".into()))
}

/// The organization's message sent with this idempotency key, if any.
pub async fn find_by_key(
    db: &impl ConnectionTrait,
    organization_id: i32,
    key: &str,
) -> Result<Option<message::Model>, DbErr> {
    message::Entity::find()
        .filter(message::Column::OrganizationId.eq(organization_id))
        .filter(message::Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

/// One message by id.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<message::Model>, DbErr> {
    message::Entity::find_by_id(id).one(db).await
}

/// Moves a message from one of `from` to `SENDING` for a new post to Bandwidth, with its sender
/// and application: counts the attempt and stamps when it started. Returns the message as it
/// is now, in the same statement; `None` when another actor moved it first (then this one must
/// not post).
pub async fn begin_attempt(
    db: &impl ConnectionTrait,
    id: i64,
    from: &[&str],
    user_number: &str,
    application_id: &str,
) -> Result<Option<message::Model>, DbErr> {
    let now = chrono::Utc::now();
    let mut update = Query::update();
    update
        .table(message::Entity)
        .value(message::Column::SendStatus, "SENDING")
        .value(message::Column::UserNumber, user_number)
        .value(message::Column::ApplicationId, application_id)
        .value(
            message::Column::SendAttempts,
            Expr::col(message::Column::SendAttempts).add(1),
        )
        .value(message::Column::AttemptedAt, now)
        .value(message::Column::UpdatedAt, now)
        .and_where(Expr::col(message::Column::Id).eq(id))
        .and_where(Expr::col(message::Column::SendStatus).is_in(from.iter().copied()));
    returning_one(db, update).await
}

/// Runs an `UPDATE` of messages and reads back the row it changed (`RETURNING`, one round trip).
async fn returning_one(
    db: &impl ConnectionTrait,
    mut update: sea_orm::sea_query::UpdateStatement,
) -> Result<Option<message::Model>, DbErr> {
    update.returning_all();
    let statement = db.get_database_backend().build(&update);
    message::Model::find_by_statement(statement).one(db).await
}

/// The outcome of a step of the send path.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub send_status: &'static str,
    pub service_id: Option<String>,
    pub segment_count: Option<i32>,
    pub error_code: Option<i32>,
    pub error_description: Option<String>,
}

/// Records an outcome on a message still in one of `from` (fields that are `None` keep their
/// value, except the error fields, which the outcome replaces) and returns the message as it is
/// now, in the same statement. `None` when the message had already moved on (a callback got
/// there first).
pub async fn settle(
    db: &impl ConnectionTrait,
    id: i64,
    from: &[&str],
    outcome: Outcome,
) -> Result<Option<message::Model>, DbErr> {
    let mut update = Query::update();
    update
        .table(message::Entity)
        .value(message::Column::SendStatus, outcome.send_status)
        .value(message::Column::ErrorCode, outcome.error_code)
        .value(message::Column::ErrorDescription, outcome.error_description)
        .value(message::Column::UpdatedAt, chrono::Utc::now());
    if let Some(service_id) = outcome.service_id {
        update.value(message::Column::ServiceId, service_id);
    }
    if let Some(segments) = outcome.segment_count {
        update.value(message::Column::SegmentCount, segments);
    }
    update
        .and_where(Expr::col(message::Column::Id).eq(id))
        .and_where(Expr::col(message::Column::SendStatus).is_in(from.iter().copied()));
    returning_one(db, update).await
}

/// Records Bandwidth's segment count on a message that has none yet (a callback settled the
/// message before the answer to its post was written).
pub async fn record_segment_count(
    db: &impl ConnectionTrait,
    id: i64,
    segment_count: i32,
) -> Result<(), DbErr> {
    message::Entity::update_many()
        .col_expr(message::Column::SegmentCount, Expr::value(segment_count))
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::SegmentCount.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// Gives an outbound message of the organization Bandwidth's id when it has none yet (a callback
/// or a lookup found it by its tag). False when it already has one or is not ours.
pub async fn bind_service_id(
    db: &impl ConnectionTrait,
    organization_id: i32,
    id: i64,
    service_id: &str,
) -> Result<bool, DbErr> {
    let bound = message::Entity::update_many()
        .col_expr(message::Column::ServiceId, Expr::value(service_id))
        .col_expr(message::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::OrganizationId.eq(organization_id))
        .filter(message::Column::IsFromContact.eq(false))
        .filter(message::Column::ServiceId.is_null())
        .exec(db)
        .await;
    match bound {
        Ok(result) => Ok(result.rows_affected == 1),
        // Another message of the organization already holds this id: not this one's.
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Marks a message looked at now, so a sweep that cannot settle it moves on to others first.
pub async fn touch(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    message::Entity::update_many()
        .col_expr(message::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(message::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Outbound messages in `status` (an open one) not updated since `before`, oldest first. They
/// are read through `open_since` (`updated_at` while a send is open), whose partial index holds
/// only the open sends.
pub async fn list_stale(
    db: &impl ConnectionTrait,
    status: &str,
    before: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<message::Model>, DbErr> {
    message::Entity::find()
        .filter(Expr::col(message::OPEN_SINCE).lt(before))
        .filter(message::Column::SendStatus.eq(status))
        .filter(message::Column::IsFromContact.eq(false))
        .order_by_asc(Expr::col(message::OPEN_SINCE))
        .limit(limit)
        .all(db)
        .await
}

/// Which of these Bandwidth ids the organization already stores (either direction).
pub async fn known_service_ids(
    db: &impl ConnectionTrait,
    organization_id: i32,
    service_ids: &[String],
) -> Result<HashSet<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        service_id: String,
    }
    if service_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let select = Query::select()
        .column(message::Column::ServiceId)
        .from(message::Entity)
        .and_where(Expr::col(message::Column::OrganizationId).eq(organization_id))
        .and_where(Expr::col(message::Column::ServiceId).is_in(service_ids.iter().cloned()))
        .to_owned();
    let statement = db.get_database_backend().build(&select);
    Ok(Row::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.service_id)
        .collect())
}

/// A contact's sticky sender as stored, with the contact's last failure code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub user_number: String,
    /// Whether the number is still one of the organization's active numbers.
    pub active: bool,
    pub last_error_code: Option<i32>,
    /// The number's health and pause (number health decides whether the pin may send now).
    pub health: Option<String>,
    pub paused_until_ms: i64,
    /// Whether the number's registration is deliverable (issue #16).
    pub deliverable: bool,
}

/// The contact's pinned sender, if any, with its number and registration: one query (the
/// contact's row joined to its active number and that number's registration).
pub async fn find_pin(
    db: &impl ConnectionTrait,
    organization_id: i32,
    contact_number: &str,
) -> Result<Option<Pin>, DbErr> {
    use super::entities::number_registration as registration;
    use sea_orm::sea_query::{Condition, JoinType};
    #[derive(FromQueryResult)]
    struct Row {
        user_number: Option<String>,
        last_error_code: Option<i32>,
        number_id: Option<i32>,
        health: Option<String>,
        paused_until_ms: Option<i64>,
        deliverable: Option<bool>,
    }
    let select = Query::select()
        .expr_as(
            Expr::col((contact::Entity, contact::Column::UserNumber)),
            "user_number",
        )
        .expr_as(
            Expr::col((contact::Entity, contact::Column::LastErrorCode)),
            "last_error_code",
        )
        .expr_as(
            Expr::col((phone_number::Entity, phone_number::Column::Id)),
            "number_id",
        )
        .expr_as(
            Expr::col((phone_number::Entity, phone_number::Column::Health)),
            "health",
        )
        .expr_as(
            Expr::col((phone_number::Entity, phone_number::Column::PausedUntilMs)),
            "paused_until_ms",
        )
        .expr_as(
            Expr::col((registration::Entity, registration::Column::Deliverable)),
            "deliverable",
        )
        .from(contact::Entity)
        .join(
            JoinType::LeftJoin,
            phone_number::Entity,
            Condition::all()
                .add(
                    Expr::col((phone_number::Entity, phone_number::Column::OrganizationId))
                        .eq(organization_id),
                )
                .add(
                    Expr::col((phone_number::Entity, phone_number::Column::PhoneNumber))
                        .equals((contact::Entity, contact::Column::UserNumber)),
                )
                .add(Expr::col((phone_number::Entity, phone_number::Column::Status)).eq(ACTIVE)),
        )
        .join(
            JoinType::LeftJoin,
            registration::Entity,
            Condition::all()
                .add(
                    Expr::col((registration::Entity, registration::Column::OrganizationId))
                        .eq(organization_id),
                )
                .add(
                    Expr::col((registration::Entity, registration::Column::PhoneNumber))
                        .equals((contact::Entity, contact::Column::UserNumber)),
                ),
        )
        .and_where(
            Expr::col((contact::Entity, contact::Column::OrganizationId)).eq(organization_id),
        )
        .and_where(Expr::col((contact::Entity, contact::Column::ContactNumber)).eq(contact_number))
        .to_owned();
    let statement = db.get_database_backend().build(&select);
    let Some(row) = Row::find_by_statement(statement).one(db).await? else {
        return Ok(None);
    };
    let Some(user_number) = row.user_number else {
        return Ok(None);
    };
    Ok(Some(Pin {
        user_number,
        active: row.number_id.is_some(),
        last_error_code: row.last_error_code,
        health: row.health,
        paused_until_ms: row.paused_until_ms.unwrap_or(0),
        deliverable: row.deliverable.unwrap_or(false),
    }))
}

/// Pins `user_number` as the contact's sender unless another number already holds the pin and is
/// still active (`replacing`: the pinned number being moved away from, which may be replaced even
/// when active). One statement, so concurrent first sends agree; returns the number pinned now.
pub async fn pin(
    db: &impl ConnectionTrait,
    organization_id: i32,
    contact_number: &str,
    user_number: &str,
    replacing: Option<&str>,
) -> Result<Option<String>, DbErr> {
    use contact::Column as C;
    let active_numbers = Query::select()
        .column(phone_number::Column::PhoneNumber)
        .from(phone_number::Entity)
        .and_where(Expr::col(phone_number::Column::OrganizationId).eq(organization_id))
        .and_where(Expr::col(phone_number::Column::Status).eq(ACTIVE))
        .to_owned();
    let current = Expr::col((contact::Entity, C::UserNumber));
    let mut may_replace = current
        .clone()
        .is_null()
        .or(current.clone().not_in_subquery(active_numbers));
    if let Some(old) = replacing {
        may_replace = may_replace.or(current.eq(old));
    }
    let now = chrono::Utc::now();
    let mut insert = Query::insert();
    insert
        .into_table(contact::Entity)
        .columns([
            C::OrganizationId,
            C::ContactNumber,
            C::UserNumber,
            C::OptedOut,
            C::UpdatedAt,
        ])
        .values_panic([
            organization_id.into(),
            contact_number.into(),
            user_number.into(),
            false.into(),
            now.into(),
        ])
        .on_conflict(
            OnConflict::columns([C::OrganizationId, C::ContactNumber])
                .update_columns([C::UserNumber, C::UpdatedAt])
                .action_and_where(may_replace)
                .to_owned(),
        )
        .returning_col(C::UserNumber);
    #[derive(FromQueryResult)]
    struct Pinned {
        user_number: Option<String>,
    }
    let statement = db.get_database_backend().build(&insert);
    let written = Pinned::find_by_statement(statement).one(db).await?;
    if replacing.is_some() {
        // The failure that moved the pin is dealt with; it must not move the new one.
        contact::Entity::update_many()
            .col_expr(C::LastErrorCode, Expr::value(Option::<i32>::None))
            .filter(C::OrganizationId.eq(organization_id))
            .filter(C::ContactNumber.eq(contact_number))
            .filter(C::UserNumber.eq(user_number))
            .exec(db)
            .await?;
    }
    if let Some(written) = written {
        return Ok(written.user_number);
    }
    // The pin held: another active number keeps it.
    Ok(
        contact::Entity::find_by_id((organization_id, contact_number.to_owned()))
            .one(db)
            .await?
            .and_then(|c| c.user_number),
    )
}
