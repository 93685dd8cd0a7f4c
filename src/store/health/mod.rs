//! Queries of number health (issue #17): the health columns of `bandwidth_phone_numbers`,
//! strikes, transitions, flagged texts, sending pauses and the sender history of contacts.
//! No business rules here: `services::health` decides, these read and write.

pub mod entities;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use self::entities::{event, flagged_text, pause, sender_history, strike};
use super::entities::{contact, message, phone_number};
use super::phone_numbers::{ACTIVE, RELEASED};

/// Most rows any one read here returns (windows are short; this bounds a pathological one).
const READ_CAP: u64 = 2000;

/// One of the organization's numbers that is not released.
pub async fn find_number(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
) -> Result<Option<phone_number::Model>, DbErr> {
    phone_number::Entity::find()
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::PhoneNumber.eq(number))
        .filter(phone_number::Column::Status.ne(RELEASED))
        .one(db)
        .await
}

/// Numbers (of every organization) in a health state, for the sweeper.
pub async fn list_in_state(
    db: &impl ConnectionTrait,
    health: &str,
) -> Result<Vec<phone_number::Model>, DbErr> {
    phone_number::Entity::find()
        .filter(phone_number::Column::Health.eq(health))
        .filter(phone_number::Column::Status.ne(RELEASED))
        .order_by_asc(phone_number::Column::Id)
        .limit(READ_CAP)
        .all(db)
        .await
}

/// A health state to move a number to.
#[derive(Debug, Clone)]
pub struct HealthChange<'a> {
    pub to: &'a str,
    /// The `status` that goes with it (`active` while it may be picked).
    pub status: &'a str,
    pub since: DateTime<Utc>,
    pub reason: String,
    pub count_quarantine: bool,
    pub probation_after_message_id: Option<i64>,
}

/// Moves a number from `from` (its health now) to a new state; false when it was no longer in
/// `from` (another actor moved it first).
pub async fn change_health(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
    from: &str,
    change: HealthChange<'_>,
) -> Result<bool, DbErr> {
    use phone_number::Column as C;
    let mut update = phone_number::Entity::update_many()
        .col_expr(C::Health, Expr::value(change.to))
        .col_expr(C::Status, Expr::value(change.status))
        .col_expr(C::HealthSince, Expr::value(change.since))
        .col_expr(C::HealthReason, Expr::value(change.reason))
        .col_expr(
            C::ProbationAfterMessageId,
            Expr::value(change.probation_after_message_id),
        );
    if change.count_quarantine {
        update = update.col_expr(
            C::Quarantines,
            sea_orm::sea_query::ExprTrait::add(Expr::col(C::Quarantines), 1),
        );
    }
    let result = update
        .filter(C::OrganizationId.eq(organization_id))
        .filter(C::PhoneNumber.eq(number))
        .filter(C::Health.eq(from))
        .filter(C::Status.ne(RELEASED))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Keeps a number from being picked until `until_ms` (and orders it last until then).
pub async fn pause_number(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
    until_ms: i64,
) -> Result<(), DbErr> {
    use phone_number::Column as C;
    phone_number::Entity::update_many()
        .col_expr(C::PausedUntilMs, Expr::value(until_ms))
        .col_expr(C::FreeAtMs, Expr::value(until_ms))
        .filter(C::OrganizationId.eq(organization_id))
        .filter(C::PhoneNumber.eq(number))
        .filter(C::PausedUntilMs.lt(until_ms))
        .exec(db)
        .await
        .map(|_| ())
}

/// A failure to count.
#[derive(Debug, Clone)]
pub struct NewStrike {
    pub organization_id: i32,
    pub user_number: String,
    pub contact_number: String,
    pub error_code: i32,
    pub message_id: i64,
    pub content_hash: String,
    pub created_at: DateTime<Utc>,
}

/// Records a failure that counts.
pub async fn insert_strike(db: &impl ConnectionTrait, new: NewStrike) -> Result<(), DbErr> {
    strike::Entity::insert(strike::ActiveModel {
        organization_id: Set(new.organization_id),
        user_number: Set(new.user_number),
        contact_number: Set(new.contact_number),
        error_code: Set(new.error_code),
        message_id: Set(new.message_id),
        content_hash: Set(new.content_hash),
        created_at: Set(new.created_at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// Whose strikes to list: a number's, or a text's (by hash).
#[derive(Debug, Clone, Copy)]
pub enum StrikesOf<'a> {
    Number(&'a str),
    Content(&'a str),
}

/// The strikes of a number or a text since `since`, oldest first.
pub async fn list_strikes(
    db: &impl ConnectionTrait,
    organization_id: i32,
    of: StrikesOf<'_>,
    since: DateTime<Utc>,
) -> Result<Vec<strike::Model>, DbErr> {
    let which = match of {
        StrikesOf::Number(number) => strike::Column::UserNumber.eq(number),
        StrikesOf::Content(hash) => strike::Column::ContentHash.eq(hash),
    };
    strike::Entity::find()
        .filter(strike::Column::OrganizationId.eq(organization_id))
        .filter(which)
        .filter(strike::Column::CreatedAt.gte(since))
        .order_by_asc(strike::Column::CreatedAt)
        .limit(READ_CAP)
        .all(db)
        .await
}

/// Which of these text hashes are flagged (and not cleared) for the organization.
pub async fn flagged_among(
    db: &impl ConnectionTrait,
    organization_id: i32,
    hashes: &[String],
) -> Result<HashSet<String>, DbErr> {
    if hashes.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(flagged_text::Entity::find()
        .filter(flagged_text::Column::OrganizationId.eq(organization_id))
        .filter(flagged_text::Column::ContentHash.is_in(hashes.iter().cloned()))
        .filter(flagged_text::Column::ClearedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.content_hash)
        .collect())
}

/// The organization's record of a text (flagged, or cleared).
pub async fn find_flagged(
    db: &impl ConnectionTrait,
    organization_id: i32,
    content_hash: &str,
) -> Result<Option<flagged_text::Model>, DbErr> {
    flagged_text::Entity::find()
        .filter(flagged_text::Column::OrganizationId.eq(organization_id))
        .filter(flagged_text::Column::ContentHash.eq(content_hash))
        .one(db)
        .await
}

/// A text to flag.
#[derive(Debug, Clone)]
pub struct NewFlag {
    pub organization_id: i32,
    pub content_hash: String,
    pub text: String,
    pub failures: i32,
    pub numbers: i32,
    pub codes: String,
    pub flagged_at: DateTime<Utc>,
}

/// Flags a text (again, if it was cleared) with its counts.
pub async fn upsert_flag(db: &impl ConnectionTrait, new: NewFlag) -> Result<(), DbErr> {
    use flagged_text::Column as C;
    flagged_text::Entity::insert(flagged_text::ActiveModel {
        organization_id: Set(new.organization_id),
        content_hash: Set(new.content_hash),
        text: Set(new.text),
        failures: Set(new.failures),
        numbers: Set(new.numbers),
        codes: Set(new.codes),
        flagged_at: Set(new.flagged_at),
        cleared_at: Set(None),
        cleared_by: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([C::OrganizationId, C::ContentHash])
            .update_columns([
                C::Text,
                C::Failures,
                C::Numbers,
                C::Codes,
                C::FlaggedAt,
                C::ClearedAt,
                C::ClearedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// The organization's flagged texts (not cleared), newest first.
pub async fn list_flagged(
    db: &impl ConnectionTrait,
    organization_id: i32,
) -> Result<Vec<flagged_text::Model>, DbErr> {
    flagged_text::Entity::find()
        .filter(flagged_text::Column::OrganizationId.eq(organization_id))
        .filter(flagged_text::Column::ClearedAt.is_null())
        .order_by_desc(flagged_text::Column::FlaggedAt)
        .limit(READ_CAP)
        .all(db)
        .await
}

/// Clears a flagged text; false when the organization has no such flagged text.
pub async fn clear_flag(
    db: &impl ConnectionTrait,
    organization_id: i32,
    id: i64,
    user_id: Option<i32>,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = flagged_text::Entity::update_many()
        .col_expr(flagged_text::Column::ClearedAt, Expr::value(at))
        .col_expr(flagged_text::Column::ClearedBy, Expr::value(user_id))
        .filter(flagged_text::Column::OrganizationId.eq(organization_id))
        .filter(flagged_text::Column::Id.eq(id))
        .filter(flagged_text::Column::ClearedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A transition to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub organization_id: i32,
    pub phone_number: String,
    pub from_state: String,
    pub to_state: String,
    pub cause: String,
    pub codes: String,
    pub detail: String,
    pub user_id: Option<i32>,
    pub created_at: DateTime<Utc>,
}

/// Records a transition.
pub async fn insert_event(db: &impl ConnectionTrait, new: NewEvent) -> Result<(), DbErr> {
    event::Entity::insert(event::ActiveModel {
        organization_id: Set(new.organization_id),
        phone_number: Set(new.phone_number),
        from_state: Set(new.from_state),
        to_state: Set(new.to_state),
        cause: Set(new.cause),
        codes: Set(new.codes),
        detail: Set(new.detail),
        user_id: Set(new.user_id),
        created_at: Set(new.created_at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// A number's latest transitions, newest first.
pub async fn list_events(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
    limit: u64,
) -> Result<Vec<event::Model>, DbErr> {
    event::Entity::find()
        .filter(event::Column::OrganizationId.eq(organization_id))
        .filter(event::Column::PhoneNumber.eq(number))
        .order_by_desc(event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Pauses the organization's sends of a campaign (`""`: all) until `until`, unless a longer
/// pause is already in place.
pub async fn upsert_pause(
    db: &impl ConnectionTrait,
    organization_id: i32,
    campaign_key: &str,
    until: DateTime<Utc>,
    error_code: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use pause::Column as C;
    let current = pause::Entity::find_by_id((organization_id, campaign_key.to_owned()))
        .one(db)
        .await?;
    if current.as_ref().is_some_and(|p| p.until >= until) {
        return Ok(());
    }
    pause::Entity::insert(pause::ActiveModel {
        organization_id: Set(organization_id),
        campaign_key: Set(campaign_key.to_owned()),
        until: Set(until),
        error_code: Set(error_code),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([C::OrganizationId, C::CampaignKey])
            .update_columns([C::Until, C::ErrorCode, C::CreatedAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// The pauses that apply to a send of `campaign_key` (its own and the organization's).
pub async fn find_pauses(
    db: &impl ConnectionTrait,
    organization_id: i32,
    campaign_key: &str,
) -> Result<Vec<pause::Model>, DbErr> {
    pause::Entity::find()
        .filter(pause::Column::OrganizationId.eq(organization_id))
        .filter(pause::Column::CampaignKey.is_in([campaign_key.to_owned(), String::new()]))
        .all(db)
        .await
}

/// The campaign of one of the organization's messages.
pub async fn campaign_of(
    db: &impl ConnectionTrait,
    organization_id: i32,
    message_id: i64,
) -> Result<Option<String>, DbErr> {
    Ok(message::Entity::find_by_id(message_id)
        .filter(message::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .and_then(|m| m.campaign_id))
}

/// Up to `limit` contacts whose sticky sender is `number`, in order, after `after` when given
/// (read from the index on organization, sender and contact number alone).
pub async fn contacts_of(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        contact_number: String,
    }
    let mut query = contact::Entity::find()
        .select_only()
        .column(contact::Column::ContactNumber)
        .filter(contact::Column::OrganizationId.eq(organization_id))
        .filter(contact::Column::UserNumber.eq(number));
    if let Some(after) = after {
        query = query.filter(contact::Column::ContactNumber.gt(after));
    }
    Ok(query
        .order_by_asc(contact::Column::ContactNumber)
        .limit(limit)
        .into_model::<Row>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.contact_number)
        .collect())
}

/// Which numbers a sibling search looks among.
#[derive(Debug, Clone, Copy)]
pub enum Siblings<'a> {
    AreaCode(&'a str),
    State(&'a str),
    Any,
}

/// The organization's healthy active numbers of a kind, except `except`, least busy first.
pub async fn healthy_siblings(
    db: &impl ConnectionTrait,
    organization_id: i32,
    of: Siblings<'_>,
    except: &str,
) -> Result<Vec<String>, DbErr> {
    use phone_number::Column as C;
    let mut query = phone_number::Entity::find()
        .filter(C::OrganizationId.eq(organization_id))
        .filter(C::Status.eq(ACTIVE))
        .filter(C::Health.eq("healthy"))
        .filter(C::PhoneNumber.ne(except));
    query = match of {
        Siblings::AreaCode(a) => query.filter(C::AreaCode.eq(a)),
        Siblings::State(s) => query.filter(C::State.eq(s)),
        Siblings::Any => query,
    };
    Ok(query
        .order_by_asc(C::FreeAtMs)
        .order_by_asc(C::Id)
        .limit(READ_CAP)
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.phone_number)
        .collect())
}

/// Moves these contacts' sticky sender from `from` to `to` (only those still on `from`), and
/// forgets their last failure, which was about `from`.
pub async fn move_contacts(
    db: &impl ConnectionTrait,
    organization_id: i32,
    from: &str,
    to: Option<&str>,
    contacts: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use contact::Column as C;
    for chunk in contacts.chunks(500) {
        contact::Entity::update_many()
            .col_expr(C::UserNumber, Expr::value(to.map(str::to_owned)))
            .col_expr(C::LastErrorCode, Expr::value(Option::<i32>::None))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::OrganizationId.eq(organization_id))
            .filter(C::UserNumber.eq(from))
            .filter(C::ContactNumber.is_in(chunk.iter().cloned()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// A change of a contact's sender.
#[derive(Debug, Clone)]
pub struct NewHistory {
    pub contact_number: String,
    pub from_number: Option<String>,
    pub to_number: Option<String>,
}

/// Records changes of contacts' senders, all for one reason.
pub async fn insert_history(
    db: &impl ConnectionTrait,
    organization_id: i32,
    rows: Vec<NewHistory>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<sender_history::ActiveModel> = rows
            .by_ref()
            .take(200)
            .map(|r| sender_history::ActiveModel {
                organization_id: Set(organization_id),
                contact_number: Set(r.contact_number),
                from_number: Set(r.from_number),
                to_number: Set(r.to_number),
                reason: Set(reason.to_owned()),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        sender_history::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A contact's sender changes, newest first.
pub async fn list_history(
    db: &impl ConnectionTrait,
    organization_id: i32,
    contact_number: &str,
    limit: u64,
) -> Result<Vec<sender_history::Model>, DbErr> {
    sender_history::Entity::find()
        .filter(sender_history::Column::OrganizationId.eq(organization_id))
        .filter(sender_history::Column::ContactNumber.eq(contact_number))
        .order_by_desc(sender_history::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The organization's largest message id (0 when it has none).
pub async fn last_message_id(
    db: &impl ConnectionTrait,
    organization_id: i32,
) -> Result<i64, DbErr> {
    Ok(message::Entity::find()
        .filter(message::Column::OrganizationId.eq(organization_id))
        .order_by_desc(message::Column::Id)
        .one(db)
        .await?
        .map_or(0, |m| m.id))
}

/// How many messages from `number` with an id above `after` were delivered (at most `cap`).
pub async fn count_deliveries_after(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
    after: i64,
    cap: u64,
) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        #[allow(dead_code)]
        id: i64,
    }
    Ok(message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .filter(message::Column::Id.gt(after))
        .filter(message::Column::OrganizationId.eq(organization_id))
        .filter(message::Column::UserNumber.eq(number))
        .filter(message::Column::IsFromContact.eq(false))
        .filter(message::Column::SendStatus.eq("DELIVERED"))
        .limit(cap)
        .into_model::<Row>()
        .all(db)
        .await?
        .len() as u64)
}

/// Numbers that are not released, per health state (all organizations).
#[derive(Debug, Clone, FromQueryResult)]
pub struct HealthCount {
    pub health: String,
    pub count: i64,
}

/// Counts numbers that are not released by health state.
pub async fn count_by_health(db: &impl ConnectionTrait) -> Result<Vec<HealthCount>, DbErr> {
    phone_number::Entity::find()
        .select_only()
        .column(phone_number::Column::Health)
        .column_as(phone_number::Column::Id.count(), "count")
        .filter(phone_number::Column::Status.ne(RELEASED))
        .group_by(phone_number::Column::Health)
        .into_model::<HealthCount>()
        .all(db)
        .await
}

/// One of the organization's numbers, released or not.
pub async fn find_number_any(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
) -> Result<Option<phone_number::Model>, DbErr> {
    phone_number::Entity::find()
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::PhoneNumber.eq(number))
        .one(db)
        .await
}

/// Lifts a number's pause.
pub async fn unpause_number(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
) -> Result<(), DbErr> {
    phone_number::Entity::update_many()
        .col_expr(phone_number::Column::PausedUntilMs, Expr::value(0i64))
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::PhoneNumber.eq(number))
        .exec(db)
        .await
        .map(|_| ())
}

/// The picker's health predicates: a number is picked only when healthy or in probation and
/// not paused at `now_ms`.
pub fn pickable(now_ms: i64) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    Expr::col(phone_number::Column::Health)
        .is_in(["healthy", "probation"])
        .and(Expr::col(phone_number::Column::PausedUntilMs).lte(now_ms))
}

/// What picking a number costs its pace: it is busy `cost_ms` more from `now_ms` or from when
/// it was to be free, whichever is later (`free_at_ms`, the picker's order).
pub fn charge(now_ms: i64, cost_ms: i64) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    let free_at = Expr::col(phone_number::Column::FreeAtMs);
    sea_orm::sea_query::CaseStatement::new()
        .case(free_at.clone().gt(now_ms), free_at.add(cost_ms))
        .finally(Expr::value(now_ms + cost_ms))
        .into()
}

/// The status a synced number that is already known gets: its own while number health keeps it
/// out of rotation (quarantined or retired), else active.
pub fn status_after_sync() -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    sea_orm::sea_query::CaseStatement::new()
        .case(
            Expr::col((phone_number::Entity, phone_number::Column::Health))
                .is_in(["quarantined", "retired"])
                .and(Expr::col((phone_number::Entity, phone_number::Column::Status)).ne(RELEASED)),
            Expr::col((phone_number::Entity, phone_number::Column::Status)),
        )
        .finally(Expr::value(ACTIVE))
        .into()
}

/// Deletes strikes recorded before `before`; returns how many.
pub async fn delete_strikes_before(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(strike::Entity::delete_many()
        .filter(strike::Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
