//! Queries on the durable job table, including the claim that hands each job to one runner.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use super::entities::job;

/// A job to insert.
pub struct NewJob<'a> {
    pub organization_id: i32,
    pub kind: &'a str,
    pub payload: String,
    pub max_attempts: i32,
    pub run_at: i64,
}

/// Inserts a pending job.
pub async fn insert(db: &impl ConnectionTrait, new: NewJob<'_>) -> Result<job::Model, DbErr> {
    let now = chrono::Utc::now();
    job::ActiveModel {
        organization_id: Set(new.organization_id),
        kind: Set(new.kind.to_owned()),
        payload: Set(new.payload),
        state: Set("PENDING".into()),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts),
        run_at: Set(new.run_at),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        result_message: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Takes the next due job (or one whose runner's lease expired) for `owner`, in one statement:
/// `FOR UPDATE SKIP LOCKED` on PostgreSQL so replicas never take the same row; SQLite serialises
/// writers, so its single `UPDATE … RETURNING` is atomic on its own.
pub async fn claim(
    db: &impl ConnectionTrait,
    owner: &str,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Option<job::Model>, DbErr> {
    let backend = db.get_database_backend();
    let lock = match backend {
        DatabaseBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let p = |n: usize| match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let sql = format!(
        "UPDATE bandwidth_jobs SET state = 'RUNNING', lease_owner = {owner}, lease_expires_at = {expires}, \
         attempts = attempts + 1, updated_at = {updated} \
         WHERE id = (SELECT id FROM bandwidth_jobs \
           WHERE (state = 'PENDING' AND run_at <= {now1}) OR (state = 'RUNNING' AND lease_expires_at < {now2}) \
           ORDER BY run_at, id LIMIT 1 {lock}) \
         RETURNING *",
        owner = p(1),
        expires = p(2),
        updated = p(3),
        now1 = p(4),
        now2 = p(5),
    );
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            owner.into(),
            (now_ms + lease_ms).into(),
            chrono::Utc::now().into(),
            now_ms.into(),
            now_ms.into(),
        ],
    );
    job::Entity::find().from_raw_sql(statement).one(db).await
}

/// Ends a job this runner holds, as `SUCCEEDED` or `FAILED`; false when the lease was lost.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    state: &str,
    message: &str,
) -> Result<bool, DbErr> {
    release(db, id, owner, state, None, message).await
}

/// Puts a job this runner holds back to `PENDING` until `run_at`, keeping the message.
pub async fn reschedule(
    db: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    run_at: i64,
    message: &str,
) -> Result<bool, DbErr> {
    release(db, id, owner, "PENDING", Some(run_at), message).await
}

/// Gives up the lease of a job this runner holds, leaving it in `state` with `message` (and due
/// at `run_at`, when given); false when the lease was lost.
async fn release(
    db: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    state: &str,
    run_at: Option<i64>,
    message: &str,
) -> Result<bool, DbErr> {
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::State, state.into())
        .col_expr(job::Column::ResultMessage, message.into())
        .col_expr(job::Column::LeaseOwner, Option::<String>::None.into())
        .col_expr(job::Column::LeaseExpiresAt, Option::<i64>::None.into())
        .col_expr(job::Column::UpdatedAt, chrono::Utc::now().into());
    if let Some(run_at) = run_at {
        update = update.col_expr(job::Column::RunAt, run_at.into());
    }
    let result = update
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A job of an organization.
pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: i32,
    id: i32,
) -> Result<Option<job::Model>, DbErr> {
    job::Entity::find_by_id(id)
        .filter(job::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
}

/// Which of an organization's jobs to list.
#[derive(Debug, Clone, Copy)]
pub struct JobFilter<'a> {
    /// Only these kinds (all kinds when `None`).
    pub kinds: Option<&'a [&'a str]>,
    /// Only jobs in these states (all states when `None`).
    pub states: Option<&'a [&'a str]>,
    /// At most this many.
    pub limit: u64,
}

/// An organization's jobs matching the filter, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i32,
    filter: JobFilter<'_>,
) -> Result<Vec<job::Model>, DbErr> {
    let mut query = job::Entity::find().filter(job::Column::OrganizationId.eq(organization_id));
    if let Some(kinds) = filter.kinds {
        query = query.filter(job::Column::Kind.is_in(kinds.iter().copied()));
    }
    if let Some(states) = filter.states {
        query = query.filter(job::Column::State.is_in(states.iter().copied()));
    }
    query
        .order_by_desc(job::Column::Id)
        .limit(filter.limit)
        .all(db)
        .await
}

/// Rewrites the payload of a job this runner holds (e.g. to remember a Bandwidth order id
/// before waiting on it); false when the lease was lost.
pub async fn update_payload(
    db: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    payload: &str,
) -> Result<bool, DbErr> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::Payload, payload.into())
        .col_expr(job::Column::UpdatedAt, chrono::Utc::now().into())
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
