//! Set-based statements of the callback path: processed keys, status changes, inbound messages
//! and sticky mappings, each applied for many events at once inside the caller's transaction.

use std::collections::HashSet;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};

use super::entities::{callback_key, contact, message, phone_number};

const CHUNK: usize = 200;

/// Records event keys; returns those that were new (the others were applied before).
pub async fn insert_new_keys(
    db: &impl ConnectionTrait,
    keys: &[(i32, String)],
) -> Result<HashSet<(i32, String)>, DbErr> {
    #[derive(FromQueryResult)]
    struct Inserted {
        organization_id: i32,
        key: String,
    }
    let now = chrono::Utc::now();
    let mut new = HashSet::with_capacity(keys.len());
    for chunk in keys.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(callback_key::Entity).columns([
            callback_key::Column::OrganizationId,
            callback_key::Column::Key,
            callback_key::Column::CreatedAt,
        ]);
        for (org, key) in chunk {
            insert.values_panic([(*org).into(), key.clone().into(), now.into()]);
        }
        insert
            .on_conflict(
                OnConflict::columns([
                    callback_key::Column::OrganizationId,
                    callback_key::Column::Key,
                ])
                .do_nothing()
                .to_owned(),
            )
            .returning(Query::returning().columns([
                callback_key::Column::OrganizationId,
                callback_key::Column::Key,
            ]));
        let statement = db.get_database_backend().build(&insert);
        for row in Inserted::find_by_statement(statement).all(db).await? {
            new.insert((row.organization_id, row.key));
        }
    }
    Ok(new)
}

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

/// Which of these Bandwidth ids belong to outbound messages of the organization.
pub async fn existing_outbound(
    db: &impl ConnectionTrait,
    organization_id: i32,
    service_ids: &[String],
) -> Result<HashSet<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        service_id: String,
    }
    let mut found = HashSet::new();
    for chunk in service_ids.chunks(CHUNK) {
        let select = Query::select()
            .column(message::Column::ServiceId)
            .from(message::Entity)
            .and_where(Expr::col(message::Column::OrganizationId).eq(organization_id))
            .and_where(Expr::col(message::Column::IsFromContact).eq(false))
            .and_where(Expr::col(message::Column::ServiceId).is_in(chunk.iter().cloned()))
            .to_owned();
        let statement = db.get_database_backend().build(&select);
        found.extend(
            Row::find_by_statement(statement)
                .all(db)
                .await?
                .into_iter()
                .map(|r| r.service_id),
        );
    }
    Ok(found)
}

/// Forgets event keys (of events that must be delivered again).
pub async fn delete_keys(db: &impl ConnectionTrait, keys: &[(i32, String)]) -> Result<(), DbErr> {
    for (org, key) in keys {
        let delete = Query::delete()
            .from_table(callback_key::Entity)
            .and_where(Expr::col(callback_key::Column::OrganizationId).eq(*org))
            .and_where(Expr::col(callback_key::Column::Key).eq(key.as_str()))
            .to_owned();
        db.execute(&delete).await?;
    }
    Ok(())
}

/// Marks one outbound message failed with Bandwidth's code and its description (when its status
/// is one of `from_statuses`); returns its conversation.
pub async fn fail_message(
    db: &impl ConnectionTrait,
    organization_id: i32,
    service_id: &str,
    error_code: Option<i32>,
    description: &str,
    from_statuses: &[&str],
) -> Result<Option<Changed>, DbErr> {
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
        .returning(Query::returning().columns([
            message::Column::ServiceId,
            message::Column::ContactNumber,
            message::Column::UserNumber,
        ]));
    let statement = db.get_database_backend().build(&update);
    Changed::find_by_statement(statement).one(db).await
}

/// An inbound message to store.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub service_id: String,
    pub contact_number: String,
    pub user_number: String,
    pub text: String,
    pub media: String,
    pub segment_count: Option<i32>,
}

/// Stores inbound messages (a Bandwidth id already stored for the org is skipped), each attached
/// to the last outbound message to that contact from the number it texted.
pub async fn insert_inbound(
    db: &impl ConnectionTrait,
    organization_id: i32,
    rows: &[Inbound],
) -> Result<(), DbErr> {
    use message::Column as C;
    let now = chrono::Utc::now();
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
        insert.on_conflict(
            OnConflict::columns([C::OrganizationId, C::ServiceId])
                .do_nothing()
                .to_owned(),
        );
        db.execute(&insert).await?;
    }
    Ok(())
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

/// PostgreSQL: one statement (hence one round trip and one implicit transaction) applies a batch
/// of one kind of event for one organization. Arrays are bound whole, so the SQL text is the
/// same whatever the batch size and stays prepared on the connection.
pub mod postgres {
    use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

    /// Status events to apply: (Bandwidth id, event key, tagged for this organization).
    pub struct StatusEvents {
        pub service_ids: Vec<String>,
        pub keys: Vec<String>,
        pub ours: Vec<bool>,
    }

    // Lookups go through LATERAL subqueries on unique keys (no LIMIT, which tempts the planner to
    // walk another index hoping for an early match) and `= ANY(ARRAY(...))`, so that every plan,
    // generic or custom, reads the messages table by the right index whatever its size.
    const FOUND: &str = "found AS (
          SELECT ev.*, m.id FROM ev LEFT JOIN LATERAL (
            SELECT id FROM bandwidth_messages
            WHERE service_id = ev.service_id AND organization_id = $1 AND NOT is_from_contact
          ) m ON true
        ), fresh AS (
          INSERT INTO bandwidth_callback_keys (organization_id, key, created_at)
          SELECT $1, key, now() FROM found WHERE id IS NOT NULL OR NOT ours
          ON CONFLICT DO NOTHING RETURNING key
        )";

    const DEFERRED: &str = "SELECT key FROM found WHERE id IS NULL AND ours";

    /// `message-delivered`: moves open messages to DELIVERED and, with `sticky`, writes the
    /// contact's sticky number. Returns the keys deferred (our message, not stored yet); their
    /// keys are not kept.
    pub async fn delivered(
        db: &impl ConnectionTrait,
        org: i32,
        events: StatusEvents,
        sticky: bool,
        open: &[&str],
    ) -> Result<Vec<String>, DbErr> {
        let sql = format!(
            "WITH ev AS (SELECT * FROM unnest($2::text[], $3::text[], $4::bool[]) AS e(service_id, key, ours)), {FOUND},
             moved AS (
               UPDATE bandwidth_messages m SET send_status = 'DELIVERED', updated_at = now()
               WHERE m.id = ANY(ARRAY(SELECT f.id FROM found f JOIN fresh ON fresh.key = f.key))
                 AND m.send_status = ANY($6::text[])
               RETURNING m.contact_number, m.user_number
             ), sticky AS (
               INSERT INTO bandwidth_contacts (organization_id, contact_number, user_number, opted_out, updated_at)
               SELECT DISTINCT ON (contact_number) $1, contact_number, user_number, false, now() FROM moved
               WHERE $5 ORDER BY contact_number
               ON CONFLICT (organization_id, contact_number)
               DO UPDATE SET user_number = excluded.user_number, updated_at = excluded.updated_at
             )
             {DEFERRED}"
        );
        let values: Vec<Value> = vec![
            org.into(),
            events.service_ids.into(),
            events.keys.into(),
            events.ours.into(),
            sticky.into(),
            open.iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
                .into(),
        ];
        keys(db, sql, values).await
    }

    /// `message-failed`: moves open messages to ERROR with the code (0 = none) and description,
    /// and remembers the contact's last error. Returns the keys deferred.
    pub async fn failed(
        db: &impl ConnectionTrait,
        org: i32,
        events: StatusEvents,
        codes: Vec<i32>,
        descriptions: Vec<String>,
        open: &[&str],
    ) -> Result<Vec<String>, DbErr> {
        let sql = format!(
            "WITH ev AS (SELECT * FROM unnest($2::text[], $3::text[], $4::bool[], $5::int4[], $6::text[])
                         AS e(service_id, key, ours, code, description)), {FOUND},
             failed AS (
               UPDATE bandwidth_messages m SET send_status = 'ERROR', error_code = NULLIF(f.code, 0),
                 error_description = f.description, updated_at = now()
               FROM found f JOIN fresh ON fresh.key = f.key
               WHERE m.id = f.id AND m.id = ANY(ARRAY(SELECT id FROM found)) AND m.send_status = ANY($7::text[])
               RETURNING m.contact_number, m.error_code
             ), contact_errors AS (
               INSERT INTO bandwidth_contacts (organization_id, contact_number, opted_out, last_error_code, updated_at)
               SELECT DISTINCT ON (contact_number) $1, contact_number, false, error_code, now() FROM failed
               ORDER BY contact_number
               ON CONFLICT (organization_id, contact_number)
               DO UPDATE SET last_error_code = excluded.last_error_code, updated_at = excluded.updated_at
             )
             {DEFERRED}"
        );
        let values: Vec<Value> = vec![
            org.into(),
            events.service_ids.into(),
            events.keys.into(),
            events.ours.into(),
            codes.into(),
            descriptions.into(),
            open.iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
                .into(),
        ];
        keys(db, sql, values).await
    }

    /// `message-received`: stores new inbound messages, each attached to the last outbound
    /// message to that contact from the number it texted, and with `sticky` makes that number
    /// (when it is one of our active numbers) the contact's sticky sender.
    pub async fn received(
        db: &impl ConnectionTrait,
        org: i32,
        keys_: Vec<String>,
        rows: &[super::Inbound],
        sticky: bool,
    ) -> Result<(), DbErr> {
        let sql = "WITH ev AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int4[])
                              AS e(key, service_id, contact_number, user_number, body, media, segments)),
             fresh AS (
               INSERT INTO bandwidth_callback_keys (organization_id, key, created_at)
               SELECT $1, key, now() FROM ev ON CONFLICT DO NOTHING RETURNING key
             ), inserted AS (
               INSERT INTO bandwidth_messages (organization_id, contact_number, user_number, is_from_contact, text, media,
                 send_status, service_id, segment_count, in_reply_to, created_at, updated_at)
               SELECT $1, ev.contact_number, ev.user_number, true, ev.body, ev.media, 'DELIVERED', ev.service_id,
                 NULLIF(ev.segments, 0),
                 (SELECT m.id FROM bandwidth_messages m WHERE m.organization_id = $1 AND m.contact_number = ev.contact_number
                    AND m.user_number = ev.user_number AND NOT m.is_from_contact ORDER BY m.id DESC LIMIT 1),
                 now(), now()
               FROM ev JOIN fresh ON fresh.key = ev.key
               ON CONFLICT (organization_id, service_id) DO NOTHING
               RETURNING contact_number, user_number
             ), sticky AS (
               INSERT INTO bandwidth_contacts (organization_id, contact_number, user_number, opted_out, updated_at)
               SELECT DISTINCT ON (i.contact_number) $1, i.contact_number, i.user_number, false, now()
               FROM inserted i JOIN LATERAL (
                 SELECT 1 FROM bandwidth_phone_numbers p
                 WHERE p.phone_number = i.user_number AND p.organization_id = $1 AND p.status = 'active'
               ) ours ON true
               WHERE $9 ORDER BY i.contact_number
               ON CONFLICT (organization_id, contact_number)
               DO UPDATE SET user_number = excluded.user_number, updated_at = excluded.updated_at
             )
             SELECT count(*) AS stored FROM inserted";
        let values: Vec<Value> = vec![
            org.into(),
            keys_.into(),
            rows.iter()
                .map(|r| r.service_id.clone())
                .collect::<Vec<_>>()
                .into(),
            rows.iter()
                .map(|r| r.contact_number.clone())
                .collect::<Vec<_>>()
                .into(),
            rows.iter()
                .map(|r| r.user_number.clone())
                .collect::<Vec<_>>()
                .into(),
            rows.iter()
                .map(|r| r.text.clone())
                .collect::<Vec<_>>()
                .into(),
            rows.iter()
                .map(|r| r.media.clone())
                .collect::<Vec<_>>()
                .into(),
            rows.iter()
                .map(|r| r.segment_count.unwrap_or(0))
                .collect::<Vec<_>>()
                .into(),
            sticky.into(),
        ];
        db.query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map(|_| ())
    }

    async fn keys(
        db: &impl ConnectionTrait,
        sql: String,
        values: Vec<Value>,
    ) -> Result<Vec<String>, DbErr> {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            ))
            .await?;
        rows.iter()
            .map(|row| row.try_get::<String>("", "key"))
            .collect()
    }
}
