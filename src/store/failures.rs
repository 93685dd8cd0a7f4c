//! The failure outbox (`bandwidth_send_failures`): written by the callback path in the
//! transaction that fails a message, drained by `services::failures`.

use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
};

use super::entities::send_failure;

pub use send_failure::Model as SendFailure;

/// Records a failed message (by our id) in the outbox: one `INSERT … SELECT` from the message row.
pub async fn record(
    db: &impl ConnectionTrait,
    message_id: i64,
    error_code: Option<i32>,
) -> Result<(), DbErr> {
    use crate::store::entities::message::Column as M;
    use send_failure::Column as F;
    let select = Query::select()
        .columns([M::OrganizationId, M::Id, M::UserNumber, M::ContactNumber])
        .expr(Expr::val(error_code))
        .column(M::Text)
        .expr(Expr::val(chrono::Utc::now()))
        .from(crate::store::entities::message::Entity)
        .and_where(Expr::col(M::Id).eq(message_id))
        .to_owned();
    let insert = Query::insert()
        .into_table(send_failure::Entity)
        .columns([
            F::OrganizationId,
            F::MessageId,
            F::UserNumber,
            F::ContactNumber,
            F::ErrorCode,
            F::Text,
            F::CreatedAt,
        ])
        .select_from(select)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    db.execute(&insert).await.map(|_| ())
}

/// The oldest `limit` failures not yet accounted, oldest first, except those in `skip`. On
/// PostgreSQL the rows are locked for the caller's transaction and rows another replica holds are
/// skipped.
pub async fn take(
    db: &impl ConnectionTrait,
    limit: u64,
    skip: &[i64],
) -> Result<Vec<SendFailure>, DbErr> {
    let mut select = Query::select();
    select
        .columns([
            send_failure::Column::Id,
            send_failure::Column::OrganizationId,
            send_failure::Column::MessageId,
            send_failure::Column::UserNumber,
            send_failure::Column::ContactNumber,
            send_failure::Column::ErrorCode,
            send_failure::Column::Text,
            send_failure::Column::CreatedAt,
        ])
        .from(send_failure::Entity)
        .and_where(Expr::col(send_failure::Column::Id).is_not_in(skip.iter().copied()))
        .order_by(send_failure::Column::Id, sea_orm::sea_query::Order::Asc)
        .limit(limit);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let statement = db.get_database_backend().build(&select);
    SendFailure::find_by_statement(statement).all(db).await
}

/// Removes accounted failures.
pub async fn delete(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbErr> {
    send_failure::Entity::delete_many()
        .filter(send_failure::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await
        .map(|_| ())
}

/// How many failures wait to be accounted (for tests and `/metrics`).
pub async fn pending(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    send_failure::Entity::find().count(db).await
}
