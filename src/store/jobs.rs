//! Queries on the durable job table, including the claim that hands each job to one runner.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};

use super::entities::job;

/// A job to insert.
pub struct NewJob<'a> {
    pub organization_id: i32,
    pub kind: &'a str,
    pub payload: String,
    pub max_attempts: i32,
    pub run_at: i64,
    /// Jobs of the organization with the same lane run one at a time.
    pub lane: Option<&'a str>,
    /// Idempotency key while the job is queued or running (see [`insert`]).
    pub active_key: Option<String>,
}

/// Inserts a pending job. With an `active_key`, a second insert of the same key in the same
/// organization while the first job is queued or running fails with a unique violation
/// (`DbErr::sql_err` gives `UniqueConstraintViolation`); read the first with [`find_active`].
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
        lane: Set(new.lane.map(str::to_owned)),
        active_key: Set(new.active_key),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The organization's queued or running job holding `active_key`.
pub async fn find_active(
    db: &impl ConnectionTrait,
    organization_id: i32,
    active_key: &str,
) -> Result<Option<job::Model>, DbErr> {
    job::Entity::find()
        .filter(job::Column::OrganizationId.eq(organization_id))
        .filter(job::Column::ActiveKey.eq(active_key))
        .one(db)
        .await
}

/// Any number; the advisory lock every PostgreSQL claim takes, so claims of all replicas run one
/// after the other (a claim is one short statement) and the lane check sees the claims before it.
const CLAIM_LOCK: i64 = 0x5b_77_6a_6f_62;

/// Takes the next due job (or one whose runner's lease expired) for `owner`:
/// - a job is skipped while another job of its organization and lane holds a live lease;
/// - a job whose lease expired after its last allowed attempt is not taken: it ends `FAILED`
///   with a reason saying its runner stopped during every attempt;
/// - every claim, takeovers included, counts an attempt.
///
/// `FOR UPDATE SKIP LOCKED` and a transaction-scoped advisory lock on PostgreSQL, so replicas
/// never take the same row nor two jobs of one lane; SQLite serialises writers on its own.
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Option<job::Model>, DbErr> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    if backend == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CLAIM_LOCK})"))
            .await?;
    }
    let p = |n: usize| match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let abandoned = format!(
        "UPDATE bandwidth_jobs SET state = 'FAILED', lease_owner = NULL, lease_expires_at = NULL, \
         active_key = NULL, updated_at = {updated}, result_message = 'gave up after ' || attempts || \
         ' attempts: the runner stopped (crashed, was killed or lost its lease) before the job finished' \
         WHERE state = 'RUNNING' AND lease_expires_at < {now} AND attempts >= max_attempts",
        updated = p(1),
        now = p(2),
    );
    let gave_up = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            abandoned,
            [chrono::Utc::now().into(), now_ms.into()],
        ))
        .await?
        .rows_affected();
    if gave_up > 0 {
        tracing::warn!(
            jobs = gave_up,
            "jobs failed: their runners stopped during every allowed attempt"
        );
    }
    let lock = match backend {
        DatabaseBackend::Postgres => "FOR UPDATE OF j SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE bandwidth_jobs SET state = 'RUNNING', lease_owner = {owner}, lease_expires_at = {expires}, \
         attempts = attempts + 1, updated_at = {updated} \
         WHERE id = (SELECT j.id FROM bandwidth_jobs j \
           WHERE ((j.state = 'PENDING' AND j.run_at <= {now1}) \
                  OR (j.state = 'RUNNING' AND j.lease_expires_at < {now2} AND j.attempts < j.max_attempts)) \
             AND (j.lane IS NULL OR NOT EXISTS (SELECT 1 FROM bandwidth_jobs r \
                  WHERE r.organization_id = j.organization_id AND r.lane = j.lane AND r.id <> j.id \
                    AND r.state = 'RUNNING' AND r.lease_expires_at >= {now3})) \
           ORDER BY j.run_at, j.id LIMIT 1 {lock}) \
         RETURNING *",
        owner = p(1),
        expires = p(2),
        updated = p(3),
        now1 = p(4),
        now2 = p(5),
        now3 = p(6),
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
            now_ms.into(),
        ],
    );
    let claimed = job::Entity::find()
        .from_raw_sql(statement)
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(claimed)
}

/// Extends the lease of a job `owner` holds to `expires_at_ms`; false when the lease was lost
/// (taken over, or the job ended). Inside a transaction on PostgreSQL this also locks the row
/// until commit, so a write guarded by it cannot interleave with a takeover.
pub async fn renew(
    db: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    expires_at_ms: i64,
) -> Result<bool, DbErr> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::LeaseExpiresAt, expires_at_ms.into())
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq("RUNNING"))
        .filter(job::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
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

/// Hands a job this runner holds back to the queue at once without counting the run as an
/// attempt (the runner is shutting down); false when the lease was lost.
pub async fn hand_back(
    db: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    now_ms: i64,
) -> Result<bool, DbErr> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::State, "PENDING".into())
        .col_expr(job::Column::RunAt, now_ms.into())
        .col_expr(
            job::Column::Attempts,
            sea_orm::sea_query::Expr::col(job::Column::Attempts).sub(1),
        )
        .col_expr(job::Column::LeaseOwner, Option::<String>::None.into())
        .col_expr(job::Column::LeaseExpiresAt, Option::<i64>::None.into())
        .col_expr(job::Column::UpdatedAt, chrono::Utc::now().into())
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq("RUNNING"))
        .filter(job::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives up the lease of a job this runner holds, leaving it in `state` with `message` (and due
/// at `run_at`, when given); a job that ended drops its idempotency key. False when the lease
/// was lost.
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
    if state != "PENDING" {
        update = update.col_expr(job::Column::ActiveKey, Option::<String>::None.into());
    }
    let result = update
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq("RUNNING"))
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
        .filter(job::Column::State.eq("RUNNING"))
        .filter(job::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
