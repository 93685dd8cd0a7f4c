//! The opt-out list (`bandwidth_opt_outs`) and the consent replies queued beside it. Every write
//! is guarded by the unique (organization, contact) key, so an opt-out recorded twice, or removed
//! twice, changes nothing the second time. No business rules here.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::opt_out;

pub use opt_out::Model as OptOut;

/// The job kind of a consent reply (`services::jobs::JobSpec::ConsentReply`).
pub const REPLY_JOB_KIND: &str = "consent_reply";
/// Attempts a consent reply job gets.
pub const REPLY_JOB_ATTEMPTS: i32 = 5;

/// An opt-out to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOptOut<'a> {
    pub organization_id: i32,
    pub contact_number: &'a str,
    /// `keyword`, `expression`, `carrier` or `manual`.
    pub source: &'a str,
    pub reason: &'a str,
    pub message_id: Option<i64>,
    pub created_by: Option<i32>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Records an opt-out unless the contact is already opted out; true when it was recorded.
pub async fn insert_opt_out(db: &impl ConnectionTrait, new: NewOptOut<'_>) -> Result<bool, DbErr> {
    use opt_out::Column as C;
    let mut insert = Query::insert();
    insert
        .into_table(opt_out::Entity)
        .columns([
            C::OrganizationId,
            C::ContactNumber,
            C::Source,
            C::Reason,
            C::MessageId,
            C::CreatedBy,
            C::CreatedAt,
        ])
        .values_panic([
            new.organization_id.into(),
            new.contact_number.into(),
            new.source.into(),
            new.reason.into(),
            new.message_id.into(),
            new.created_by.into(),
            new.created_at.into(),
        ])
        .on_conflict(
            OnConflict::columns([C::OrganizationId, C::ContactNumber])
                .do_nothing()
                .to_owned(),
        );
    Ok(db.execute(&insert).await?.rows_affected() == 1)
}

/// Removes the contact's opt-out; true when there was one.
pub async fn delete_opt_out(
    db: &impl ConnectionTrait,
    organization_id: i32,
    contact_number: &str,
) -> Result<bool, DbErr> {
    let deleted = opt_out::Entity::delete_many()
        .filter(opt_out::Column::OrganizationId.eq(organization_id))
        .filter(opt_out::Column::ContactNumber.eq(contact_number))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The contact's opt-out, if it is opted out (one probe of the unique index).
pub async fn find_opt_out(
    db: &impl ConnectionTrait,
    organization_id: i32,
    contact_number: &str,
) -> Result<Option<OptOut>, DbErr> {
    opt_out::Entity::find()
        .filter(opt_out::Column::OrganizationId.eq(organization_id))
        .filter(opt_out::Column::ContactNumber.eq(contact_number))
        .one(db)
        .await
}

/// One page of the organization's opt-outs, newest first: at most `limit` with an id below
/// `before` (all when `None`).
pub async fn list_opt_outs(
    db: &impl ConnectionTrait,
    organization_id: i32,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<OptOut>, DbErr> {
    let mut select =
        opt_out::Entity::find().filter(opt_out::Column::OrganizationId.eq(organization_id));
    if let Some(before) = before {
        select = select.filter(opt_out::Column::Id.lt(before));
    }
    select
        .order_by_desc(opt_out::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// How many contacts of the organization are opted out.
pub async fn count_opt_outs(db: &impl ConnectionTrait, organization_id: i32) -> Result<u64, DbErr> {
    opt_out::Entity::find()
        .filter(opt_out::Column::OrganizationId.eq(organization_id))
        .count(db)
        .await
}

/// A stored inbound message, as a consent reply job reads it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct InboundForReply {
    pub id: i64,
    pub contact_number: String,
    pub user_number: String,
}

/// The organization's inbound message `id`.
pub async fn find_inbound(
    db: &impl ConnectionTrait,
    organization_id: i32,
    id: i64,
) -> Result<Option<InboundForReply>, DbErr> {
    use super::entities::message::{Column as M, Entity};
    let select = Query::select()
        .columns([M::Id, M::ContactNumber, M::UserNumber])
        .from(Entity)
        .and_where(Expr::col(M::Id).eq(id))
        .and_where(Expr::col(M::OrganizationId).eq(organization_id))
        .and_where(Expr::col(M::IsFromContact).eq(true))
        .to_owned();
    let statement = db.get_database_backend().build(&select);
    InboundForReply::find_by_statement(statement).one(db).await
}

/// Queues a consent reply to an inbound message (the job's payload is built by the caller, the
/// same JSON the PostgreSQL statement builds; see `callbacks::postgres::receive`).
pub async fn insert_reply_job(
    db: &impl ConnectionTrait,
    organization_id: i32,
    payload: String,
    run_at_ms: i64,
) -> Result<(), DbErr> {
    super::jobs::insert(
        db,
        super::jobs::NewJob {
            organization_id,
            kind: REPLY_JOB_KIND,
            payload,
            max_attempts: REPLY_JOB_ATTEMPTS,
            run_at: run_at_ms,
            lane: None,
            active_key: None,
        },
    )
    .await
    .map(|_| ())
}

/// The payload of a consent reply job: `{"kind":"consent_reply","reply":…,"messageId":…}`.
pub fn reply_payload(reply: &str, message_id: i64) -> String {
    serde_json::json!({"kind": REPLY_JOB_KIND, "reply": reply, "messageId": message_id}).to_string()
}

/// The portable path (SQLite) of the consent keywords of a callback batch, in the caller's
/// transaction: for each message of `rows` that this batch `stored` (in the batch's order), an
/// opt-out is recorded (and its confirmation queued when asked for and the contact was not
/// opted out yet), an opt-in removes the contact's opt-out (and queues its confirmation when
/// there was one), and a help keyword queues the help text unless the contact is opted out.
/// PostgreSQL does the same in the statement that stores the messages
/// (`callbacks::postgres::receive`).
pub async fn apply_inbound(
    db: &impl ConnectionTrait,
    organization_id: i32,
    rows: &[super::callbacks::Inbound],
    stored: &[super::callbacks::StoredInbound],
) -> Result<(), DbErr> {
    let ids: std::collections::HashMap<&str, i64> = stored
        .iter()
        .map(|s| (s.service_id.as_str(), s.id))
        .collect();
    let now = chrono::Utc::now();
    for row in rows {
        let (Some(consent), Some(&id)) = (&row.consent, ids.get(row.service_id.as_str())) else {
            continue;
        };
        let reply = match consent.action {
            "opt_out" => {
                let recorded = insert_opt_out(
                    db,
                    NewOptOut {
                        organization_id,
                        contact_number: &row.contact_number,
                        source: consent.source,
                        reason: &consent.reason,
                        message_id: Some(id),
                        created_by: None,
                        created_at: now,
                    },
                )
                .await?;
                recorded && consent.confirm
            }
            "opt_in" => delete_opt_out(db, organization_id, &row.contact_number).await?,
            _ => find_opt_out(db, organization_id, &row.contact_number)
                .await?
                .is_none(),
        };
        if reply {
            insert_reply_job(
                db,
                organization_id,
                reply_payload(consent.action, id),
                now.timestamp_millis(),
            )
            .await?;
        }
    }
    Ok(())
}
