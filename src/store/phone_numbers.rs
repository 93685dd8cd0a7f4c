//! Queries on an organization's phone numbers.

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entities::{contact, phone_number};

/// Status of a number that can send.
pub const ACTIVE: &str = "active";
/// Status of a number that left the account.
pub const RELEASED: &str = "released";
/// Status of a number taken out of rotation (e.g. flagged by carriers).
pub const QUARANTINED: &str = "quarantined";

/// A number to add.
#[derive(Debug, Clone)]
pub struct NewNumber {
    pub phone_number: String,
    pub area_code: String,
    pub state: String,
    pub service_id: Option<String>,
}

/// Adds numbers as active; a number already known to the organization becomes active again.
pub async fn upsert_active(
    db: &impl ConnectionTrait,
    organization_id: i32,
    numbers: &[NewNumber],
) -> Result<(), DbErr> {
    use phone_number::Column as C;
    let now = chrono::Utc::now();
    for chunk in numbers.chunks(500) {
        let rows = chunk.iter().map(|n| phone_number::ActiveModel {
            organization_id: Set(organization_id),
            phone_number: Set(n.phone_number.clone()),
            area_code: Set(n.area_code.clone()),
            state: Set(n.state.clone()),
            status: Set(ACTIVE.into()),
            service_id: Set(n.service_id.clone()),
            last_used_at: Set(0),
            created_at: Set(now),
            released_at: Set(None),
            health: Set("healthy".into()),
            ..Default::default()
        });
        phone_number::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::OrganizationId, C::PhoneNumber])
                    .update_columns([C::ServiceId, C::ReleasedAt])
                    // Number health keeps a quarantined or retired number out of rotation.
                    .value(C::Status, super::health::status_after_sync())
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Refreshes PostgreSQL's statistics of the numbers and registrations tables, after a job that
/// may have stored many rows in them (SQLite plans by index shape and needs none). Without them
/// the planner knows nothing of a freshly filled table until autovacuum analyzes it (a minute
/// later or more) and serves an area-code or state pick from the any-number index, filtering as
/// it walks, or drives the registration filter from every deliverable registration: at 100,000
/// numbers a pick then takes 16–165 ms instead of under 1 ms (BENCHMARKS.md, picker). Waits at
/// most a second for a table's lock (autovacuum may hold it); the statistics only steer plans,
/// so the caller logs a failure and goes on.
pub async fn refresh_statistics(db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::TransactionTrait;
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL lock_timeout = '1s'")
        .await?;
    txn.execute_unprepared("ANALYZE bandwidth_phone_numbers, bandwidth_number_registrations")
        .await?;
    txn.commit().await
}

/// Marks numbers of the organization released.
pub async fn release(
    db: &impl ConnectionTrait,
    organization_id: i32,
    numbers: &[String],
) -> Result<u64, DbErr> {
    let mut released = 0;
    for chunk in numbers.chunks(500) {
        released += phone_number::Entity::update_many()
            .col_expr(phone_number::Column::Status, Expr::value(RELEASED))
            .col_expr(
                phone_number::Column::ReleasedAt,
                Expr::value(chrono::Utc::now()),
            )
            .filter(phone_number::Column::OrganizationId.eq(organization_id))
            .filter(phone_number::Column::PhoneNumber.is_in(chunk.iter().cloned()))
            .filter(phone_number::Column::Status.ne(RELEASED))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(released)
}

/// The organization's numbers that are not released, optionally in one area code.
pub async fn list_held(
    db: &impl ConnectionTrait,
    organization_id: i32,
    area_code: Option<&str>,
) -> Result<Vec<phone_number::Model>, DbErr> {
    let mut query = phone_number::Entity::find()
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::Status.ne(RELEASED));
    if let Some(area_code) = area_code {
        query = query.filter(phone_number::Column::AreaCode.eq(area_code));
    }
    query
        .order_by_asc(phone_number::Column::PhoneNumber)
        .all(db)
        .await
}

/// Active numbers per area code, and how many of them a delete would release.
#[derive(Debug, Clone, FromQueryResult)]
pub struct AreaCodeCount {
    pub area_code: String,
    pub count: i64,
    pub releasable: i64,
}

/// Counts the organization's active numbers by area code, and those of them a delete would
/// release ([`releasable`]). One statement, so both counts come from one snapshot: two reads
/// straddling a release's commit once showed its number as neither active nor releasable.
pub async fn count_active_by_area_code(
    db: &impl ConnectionTrait,
    organization_id: i32,
) -> Result<Vec<AreaCodeCount>, DbErr> {
    // COUNT of a CASE without ELSE counts the rows it matches (SUM is NUMERIC on PostgreSQL).
    let releasable_one: Expr = Expr::case(releasable(organization_id), 1i64).into();
    phone_number::Entity::find()
        .select_only()
        .column(phone_number::Column::AreaCode)
        .column_as(phone_number::Column::Id.count(), "count")
        .column_as(
            Expr::from(sea_orm::sea_query::Func::count(releasable_one)),
            "releasable",
        )
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::Status.eq(ACTIVE))
        .group_by(phone_number::Column::AreaCode)
        .order_by_asc(phone_number::Column::AreaCode)
        .into_model::<AreaCodeCount>()
        .all(db)
        .await
}

/// The one definition of a number a delete may release, shared by `deletePhoneNumbers` and the
/// counts Spoke's page shows for it: no contact of the organization has it as its sticky sender
/// (`bandwidth_contacts.user_number`). Applies to the organization's active numbers.
fn releasable(organization_id: i32) -> sea_orm::Condition {
    let sticky = Query::select()
        .column(contact::Column::UserNumber)
        .from(contact::Entity)
        .and_where(contact::Column::OrganizationId.eq(organization_id))
        .and_where(contact::Column::UserNumber.is_not_null())
        .to_owned();
    sea_orm::Condition::all().add(phone_number::Column::PhoneNumber.not_in_subquery(sticky))
}

/// Whether the organization has at least one active number.
pub async fn has_active(db: &impl ConnectionTrait, organization_id: i32) -> Result<bool, DbErr> {
    Ok(phone_number::Entity::find()
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::Status.eq(ACTIVE))
        .one(db)
        .await?
        .is_some())
}

/// Which active numbers the picker may choose from.
#[derive(Debug, Clone, Copy)]
pub enum PickFrom<'a> {
    AreaCode(&'a str),
    State(&'a str),
    Any,
}

/// Takes the organization's least busy active number of the given kind and marks it used now,
/// in one statement: healthy or in probation and not paused (`health::pickable`), ordered by
/// when it is under its per-number rate again (`free_at_ms`, which picking pushes `cost_ms`
/// on: least recently used when every message costs the same). Served by an index ending in
/// `free_at_ms`, so its cost does not grow with the pool's size (on PostgreSQL once the planner
/// has statistics: [`refresh_statistics`]).
/// With `registered_only` (the organization enforces registration, issue #16), only numbers
/// whose registration is deliverable are candidates, read from partial indexes over those alone,
/// so the numbers that cannot deliver (never picked, hence always first by pace) are not walked.
///
/// On PostgreSQL a number another send is taking right now is skipped (`FOR UPDATE SKIP
/// LOCKED`), so concurrent sends take different numbers instead of queueing on one row (each
/// waiter holding a pooled connection, which stalled every other query under load); only when
/// every candidate is being taken does it wait for one, so a busy tier is not passed over.
pub async fn take_least_recently_used(
    db: &impl ConnectionTrait,
    organization_id: i32,
    from: PickFrom<'_>,
    now_ms: i64,
    cost_ms: i64,
    registered_only: bool,
) -> Result<Option<phone_number::Model>, DbErr> {
    let take = |skip_locked| {
        let statement = take_statement(
            db.get_database_backend(),
            organization_id,
            from,
            now_ms,
            cost_ms,
            registered_only,
            skip_locked,
        );
        phone_number::Model::find_by_statement(statement).one(db)
    };
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres
        && let Some(number) = take(true).await?
    {
        return Ok(Some(number));
    }
    take(false).await
}

/// The picker's statement (public so tests can read its plan).
pub fn take_statement(
    backend: sea_orm::DatabaseBackend,
    organization_id: i32,
    from: PickFrom<'_>,
    now_ms: i64,
    cost_ms: i64,
    registered_only: bool,
    skip_locked: bool,
) -> sea_orm::Statement {
    use sea_orm::sea_query::ExprTrait;
    let mut pick = Query::select();
    pick.column(phone_number::Column::Id)
        .from(phone_number::Entity)
        .and_where(Expr::col(phone_number::Column::OrganizationId).eq(organization_id))
        .and_where(Expr::col(phone_number::Column::Status).eq(ACTIVE));
    match from {
        PickFrom::AreaCode(area_code) => {
            pick.and_where(Expr::col(phone_number::Column::AreaCode).eq(area_code))
        }
        PickFrom::State(state) => pick.and_where(Expr::col(phone_number::Column::State).eq(state)),
        PickFrom::Any => &mut pick,
    };
    pick.and_where(super::health::pickable(now_ms));
    if registered_only {
        // The bare column, not `= $n`: PostgreSQL serves it from the partial indexes over
        // deliverable numbers only when the predicate is in the SQL text.
        pick.and_where(Expr::col(phone_number::Column::Deliverable));
    }
    pick.order_by(
        phone_number::Column::FreeAtMs,
        sea_orm::sea_query::Order::Asc,
    )
    .limit(1);
    if skip_locked {
        pick.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let mut update = Query::update();
    update
        .table(phone_number::Entity)
        .value(phone_number::Column::LastUsedAt, now_ms)
        .value(
            phone_number::Column::FreeAtMs,
            super::health::charge(now_ms, cost_ms),
        )
        .and_where(Expr::col(phone_number::Column::Id).in_subquery(pick.to_owned()))
        .returning_all();
    backend.build(&update)
}

/// The contact's sticky number when it is still one of the organization's active numbers.
pub async fn find_active_sticky(
    db: &impl ConnectionTrait,
    organization_id: i32,
    contact_number: &str,
) -> Result<Option<String>, DbErr> {
    let Some(user_number) =
        contact::Entity::find_by_id((organization_id, contact_number.to_owned()))
            .one(db)
            .await?
            .and_then(|c| c.user_number)
    else {
        return Ok(None);
    };
    let active = phone_number::Entity::find()
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::PhoneNumber.eq(user_number.as_str()))
        .filter(phone_number::Column::Status.eq(ACTIVE))
        .one(db)
        .await?;
    Ok(active.map(|n| n.phone_number))
}

/// Marks a number used now, busy for `cost_ms` more (its pace, see [`take_least_recently_used`]).
pub async fn touch(
    db: &impl ConnectionTrait,
    organization_id: i32,
    number: &str,
    now_ms: i64,
    cost_ms: i64,
) -> Result<(), DbErr> {
    phone_number::Entity::update_many()
        .col_expr(phone_number::Column::LastUsedAt, Expr::value(now_ms))
        .col_expr(
            phone_number::Column::FreeAtMs,
            super::health::charge(now_ms, cost_ms),
        )
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::PhoneNumber.eq(number))
        .exec(db)
        .await
        .map(|_| ())
}

/// The organization's active numbers in an area code that a delete may release ([`releasable`]).
pub async fn list_unused_in_area_code(
    db: &impl ConnectionTrait,
    organization_id: i32,
    area_code: &str,
) -> Result<Vec<phone_number::Model>, DbErr> {
    phone_number::Entity::find()
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::AreaCode.eq(area_code))
        .filter(phone_number::Column::Status.eq(ACTIVE))
        .filter(releasable(organization_id))
        .order_by_asc(phone_number::Column::PhoneNumber)
        .all(db)
        .await
}
