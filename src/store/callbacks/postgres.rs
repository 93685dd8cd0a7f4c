//! PostgreSQL: one statement (hence one round trip and one implicit transaction) applies a batch
//! of one kind of event for one organization. Arrays are bound whole, so the SQL text is the
//! same whatever the batch size and stays prepared on the connection.

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
    )";

const DEFERRED: &str = "SELECT key FROM found WHERE id IS NULL AND ours";

/// `message-delivered`: moves open messages to DELIVERED and, with `sticky`, writes the
/// contact's sticky number. Returns the keys of the events deferred (our message, not stored
/// yet).
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
           WHERE m.id = ANY(ARRAY(SELECT id FROM found WHERE id IS NOT NULL))
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
/// and remembers the contact's last error. Returns the keys of the events deferred.
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
           FROM found f
           WHERE m.id = f.id AND m.id = ANY(ARRAY(SELECT id FROM found WHERE id IS NOT NULL)) AND m.send_status = ANY($7::text[])
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
         inserted AS (
           INSERT INTO bandwidth_messages (organization_id, contact_number, user_number, is_from_contact, text, media,
             send_status, service_id, segment_count, in_reply_to, created_at, updated_at)
           SELECT $1, ev.contact_number, ev.user_number, true, ev.body, ev.media, 'DELIVERED', ev.service_id,
             NULLIF(ev.segments, 0),
             (SELECT m.id FROM bandwidth_messages m WHERE m.organization_id = $1 AND m.contact_number = ev.contact_number
                AND m.user_number = ev.user_number AND NOT m.is_from_contact ORDER BY m.id DESC LIMIT 1),
             now(), now()
           FROM ev
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
