//! PostgreSQL: a few statements apply a batch of events of one organization. Arrays are bound
//! whole, so the SQL text is the same whatever the batch size and stays prepared on the
//! connection.
//!
//! Lookups are scalar subqueries on unique keys, which the planner cannot turn into joins: each
//! event costs one index probe whatever the table's size or statistics (a join it may plan as a
//! sequential scan of a small table, then keep).
//!
//! The statements run on connections the writer holds ([`HeldConnections`]) through sqlx
//! itself: a pooled connection is pinged, one more round trip, each time it goes back to the
//! pool, which on this path is once per batch.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, ConnectOptions as _, Row as _};
use sea_orm::{DatabaseConnection, DbErr, RuntimeErr};

/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a batch waits for a row lock another transaction holds (a send, the sweeper, a
/// job). Past it the batch fails, its requests are retried one by one and answered 503 if they
/// fail again, and the writer goes on with the next batch instead of every callback waiting
/// behind one lock until its 8 s run out. Ordinary waits last one short transaction, about a
/// millisecond.
pub const LOCK_TIMEOUT: &str = "100ms";

/// How the held connections plan their prepared statements: once, for any parameters. The
/// batch statements bind arrays whose length PostgreSQL's generic plan guesses (10) and each
/// custom plan knows. Left to choose, PostgreSQL plans the first five executions for their
/// values and then keeps doing so while the generic plan looks dearer, which against a table of
/// 400,000 messages was always: planning eight deliveries took 0.18 ms, executing them
/// 0.13 ms, and a reply batch's plan 0.4 ms. Every lookup in these statements is an index probe
/// by its keys, whose plan does not depend on the values, and a plan is made again after
/// `ANALYZE`.
pub const PLAN_CACHE_MODE: &str = "force_generic_plan";

/// PostgreSQL connections held by the callback writer instead of pooled.
pub struct HeldConnections {
    options: Arc<PgConnectOptions>,
    idle: Mutex<Vec<PgConnection>>,
}

impl HeldConnections {
    /// Connections to the database of `db`'s pool, with its options, [`LOCK_TIMEOUT`] and
    /// [`PLAN_CACHE_MODE`], opened when first needed.
    pub fn to_database_of(db: &DatabaseConnection) -> Self {
        let options = (*db.get_postgres_connection_pool().connect_options()).clone();
        Self {
            options: Arc::new(options.options([
                ("lock_timeout", LOCK_TIMEOUT),
                ("plan_cache_mode", PLAN_CACHE_MODE),
            ])),
            idle: Mutex::default(),
        }
    }

    /// An idle connection, or a new one (given up after [`CONNECT_TIMEOUT`], as the pool does).
    pub async fn take(&self) -> Result<PgConnection, DbErr> {
        let idle = self.idle.lock().expect("not poisoned").pop();
        if let Some(connection) = idle {
            return Ok(connection);
        }
        match tokio::time::timeout(CONNECT_TIMEOUT, self.options.connect()).await {
            Ok(connected) => connected.map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(e.into()))),
            Err(_) => Err(DbErr::Conn(RuntimeErr::Internal(format!(
                "no connection to PostgreSQL within {CONNECT_TIMEOUT:?}"
            )))),
        }
    }

    /// Keeps a connection that just served a batch without error for the next one (one that
    /// failed is dropped, hence closed, instead).
    pub fn give_back(&self, connection: PgConnection) {
        self.idle.lock().expect("not poisoned").push(connection);
    }
}

fn query_error(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(e.into()))
}

/// The status of each outbound message of the organization named by these Bandwidth ids, in
/// their order; `None` where there is no such message.
pub async fn statuses(
    conn: &mut PgConnection,
    org: i32,
    service_ids: &[&str],
) -> Result<Vec<Option<String>>, DbErr> {
    let sql = "SELECT (SELECT m.send_status FROM bandwidth_messages m
                       WHERE m.service_id = e.service_id AND m.organization_id = $1 AND NOT m.is_from_contact) AS status
               FROM unnest($2::text[]) WITH ORDINALITY AS e(service_id, n) ORDER BY e.n";
    let rows = sqlx::query(sql)
        .bind(org)
        .bind(service_ids)
        .fetch_all(conn)
        .await
        .map_err(query_error)?;
    rows.iter()
        .map(|row| row.try_get::<Option<String>, _>("status"))
        .collect::<Result<_, _>>()
        .map_err(query_error)
}

/// Applies the plans: one statement per organization and kind of change; one change needs no
/// transaction (the statement is its own), several share one. A plan of nothing writes nothing.
///
/// Returns the reported messages (organization, Bandwidth id) that are not stored: each status
/// statement names those of its own ids it found no message for, read in the statement's own
/// snapshot, so a batch whose messages are all stored costs no read before its write.
pub async fn apply(
    conn: &mut PgConnection,
    plans: &[super::OrgPlan],
    open: &[&str],
) -> Result<Vec<(i32, String)>, DbErr> {
    let statements: usize = plans
        .iter()
        .map(|p| {
            usize::from(!p.deliver.is_empty())
                + usize::from(!p.fail.is_empty())
                + usize::from(!p.receive.is_empty())
        })
        .sum();
    if statements <= 1 {
        return apply_each(conn, plans, open).await;
    }
    use sqlx::Connection as _;
    let failed = |e: sqlx::Error| DbErr::Exec(RuntimeErr::SqlxError(e.into()));
    let mut txn = conn.begin().await.map_err(failed)?;
    let missing = apply_each(&mut txn, plans, open).await?;
    txn.commit().await.map_err(failed)?;
    Ok(missing)
}

async fn apply_each(
    conn: &mut PgConnection,
    plans: &[super::OrgPlan],
    open: &[&str],
) -> Result<Vec<(i32, String)>, DbErr> {
    let mut missing = Vec::new();
    for plan in plans {
        if !plan.deliver.is_empty() {
            for id in deliver(conn, plan.org, &plan.deliver, plan.sticky, open).await? {
                missing.push((plan.org, id));
            }
        }
        if !plan.fail.is_empty() {
            for id in fail(conn, plan.org, &plan.fail, open).await? {
                missing.push((plan.org, id));
            }
        }
        if !plan.receive.is_empty() {
            receive(conn, plan.org, &plan.receive, plan.sticky).await?;
        }
    }
    Ok(missing)
}

/// The tail of a status statement: those of its ids ($2) with no outbound message of the
/// organization ($1). It reads the snapshot the statement started with, before its own changes.
const NOT_STORED: &str = "SELECT e.service_id FROM unnest($2::text[]) AS e(service_id)
         WHERE NOT EXISTS (SELECT 1 FROM bandwidth_messages m
           WHERE m.service_id = e.service_id AND m.organization_id = $1 AND NOT m.is_from_contact)";

/// `message-delivered`: moves these messages to DELIVERED where their status is still one of
/// `open` and, with `sticky`, makes each one's sender its contact's sticky number (the last in
/// the list for a contact named twice, as on SQLite). Returns the ids not stored.
async fn deliver(
    conn: &mut PgConnection,
    org: i32,
    service_ids: &[String],
    sticky: bool,
    open: &[&str],
) -> Result<Vec<String>, DbErr> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("WITH moved AS (
           UPDATE bandwidth_messages SET send_status = 'DELIVERED', updated_at = now()
           WHERE service_id = ANY($2::text[]) AND organization_id = $1 AND NOT is_from_contact
             AND send_status = ANY($4::text[])
           RETURNING service_id, contact_number, user_number
         ),
         pinned AS (
           INSERT INTO bandwidth_contacts (organization_id, contact_number, user_number, opted_out, updated_at)
           SELECT DISTINCT ON (contact_number) $1, contact_number, user_number, false, now() FROM moved
           WHERE $3 ORDER BY contact_number, array_position($2::text[], service_id) DESC
           ON CONFLICT (organization_id, contact_number)
           DO UPDATE SET user_number = excluded.user_number, updated_at = excluded.updated_at
           WHERE bandwidth_contacts.user_number IS DISTINCT FROM excluded.user_number
         )
         {NOT_STORED}")
    });
    let query = sqlx::query(SQL.as_str())
        .bind(org)
        .bind(service_ids)
        .bind(sticky)
        .bind(open);
    not_stored(conn, query).await
}

/// `message-failed`: moves these messages to ERROR with the code and description where their
/// status is still one of `open`, leaves each in the failure outbox (`store::failures`), and
/// remembers each contact's last error (the last in the list for a contact named twice).
/// Returns the ids not stored.
async fn fail(
    conn: &mut PgConnection,
    org: i32,
    failures: &[super::Failure],
    open: &[&str],
) -> Result<Vec<String>, DbErr> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("WITH ev AS (SELECT * FROM unnest($2::text[], $3::int4[], $4::text[]) WITH ORDINALITY AS e(service_id, code, description, n)),
         failed AS (
           UPDATE bandwidth_messages m SET send_status = 'ERROR', error_code = ev.code,
             error_description = ev.description, updated_at = now()
           FROM ev
           WHERE m.service_id = ev.service_id AND m.organization_id = $1 AND NOT m.is_from_contact
             AND m.send_status = ANY($5::text[])
           RETURNING ev.n, m.id, m.contact_number, m.user_number, m.text, m.error_code
         ),
         outbox AS (
           INSERT INTO bandwidth_send_failures (organization_id, message_id, user_number, contact_number, error_code, text, created_at)
           SELECT $1, id, user_number, contact_number, error_code, text, now() FROM failed ORDER BY n
         ),
         remembered AS (
           INSERT INTO bandwidth_contacts (organization_id, contact_number, opted_out, last_error_code, updated_at)
           SELECT DISTINCT ON (contact_number) $1, contact_number, false, error_code, now() FROM failed
           ORDER BY contact_number, n DESC
           ON CONFLICT (organization_id, contact_number)
           DO UPDATE SET last_error_code = excluded.last_error_code, updated_at = excluded.updated_at
         )
         {NOT_STORED}")
    });
    let (mut ids, mut codes, mut descriptions) = (Vec::new(), Vec::new(), Vec::new());
    for f in failures {
        ids.push(f.service_id.as_str());
        codes.push(f.code);
        descriptions.push(f.description.as_str());
    }
    let query = sqlx::query(SQL.as_str())
        .bind(org)
        .bind(ids)
        .bind(codes)
        .bind(descriptions)
        .bind(open);
    not_stored(conn, query).await
}

/// `message-received`: stores new inbound messages (an id already stored for the organization
/// is skipped), each attached to the last outbound message to that contact from the number it
/// texted, and with `sticky` makes that number (when it is one of our active numbers) the
/// contact's sticky sender (the last reply's, for a contact who sent several).
///
/// In the same statement, the consent keywords of the messages stored now act (as
/// `store::consent::apply_inbound` does on SQLite): an opt-out is recorded (`ON CONFLICT DO
/// NOTHING` on the contact), an opt-in deletes the contact's opt-out, and the replies are queued
/// as jobs: the confirmation of an opt-out recorded now (when asked for), of an opt-out deleted
/// now, and the help text for a contact not opted out. A redelivered message inserts nothing,
/// so nothing follows from it.
async fn receive(
    conn: &mut PgConnection,
    org: i32,
    rows: &[super::Inbound],
    sticky: bool,
) -> Result<(), DbErr> {
    let sql = "WITH ev AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int4[],
                                               $9::text[], $10::text[], $11::text[], $12::bool[])
                          WITH ORDINALITY AS e(service_id, contact_number, user_number, body, media, segments,
                                               action, source, reason, confirm, n)),
         inserted AS (
           INSERT INTO bandwidth_messages (organization_id, contact_number, user_number, is_from_contact, text, media,
             send_status, service_id, segment_count, in_reply_to, created_at, updated_at)
           SELECT $1, ev.contact_number, ev.user_number, true, ev.body, ev.media, 'DELIVERED', ev.service_id,
             ev.segments,
             (SELECT m.id FROM bandwidth_messages m WHERE m.contact_number = ev.contact_number AND m.organization_id = $1
                AND NOT m.is_from_contact AND m.user_number = ev.user_number ORDER BY m.id DESC LIMIT 1),
             now(), now()
           FROM ev ORDER BY ev.n
           ON CONFLICT (organization_id, service_id) DO NOTHING
           RETURNING id, service_id, contact_number, user_number
         ),
         acted AS (
           SELECT i.id, i.contact_number, ev.action, ev.source, ev.reason, ev.confirm, ev.n
           FROM inserted i JOIN ev ON ev.service_id = i.service_id
           WHERE ev.action IS NOT NULL
         ),
         opted_out AS (
           INSERT INTO bandwidth_opt_outs (organization_id, contact_number, source, reason, message_id, created_at)
           SELECT $1, a.contact_number, a.source, a.reason, a.id, now() FROM acted a WHERE a.action = 'opt_out'
           ON CONFLICT (organization_id, contact_number) DO NOTHING
           RETURNING message_id
         ),
         opted_in AS (
           DELETE FROM bandwidth_opt_outs o USING acted a
           WHERE a.action = 'opt_in' AND o.organization_id = $1 AND o.contact_number = a.contact_number
           RETURNING a.id, a.n
         ),
         replies AS (
           SELECT a.id, 'opt_out' AS reply, a.n FROM acted a JOIN opted_out o ON o.message_id = a.id WHERE a.confirm
           UNION ALL
           SELECT id, 'opt_in', n FROM opted_in
           UNION ALL
           SELECT a.id, 'help', a.n FROM acted a
           WHERE a.action = 'help' AND NOT EXISTS (
             SELECT 1 FROM bandwidth_opt_outs o WHERE o.organization_id = $1 AND o.contact_number = a.contact_number
           )
         ),
         queued AS (
           INSERT INTO bandwidth_jobs (organization_id, kind, payload, state, attempts, max_attempts, run_at,
             created_at, updated_at)
           SELECT $1, $13::text, json_build_object('kind', $13::text, 'reply', r.reply, 'messageId', r.id)::text, 'PENDING', 0,
             $14, $15, now(), now()
           FROM replies r ORDER BY r.n
         )
         INSERT INTO bandwidth_contacts (organization_id, contact_number, user_number, opted_out, updated_at)
         SELECT DISTINCT ON (i.contact_number) $1, i.contact_number, i.user_number, false, now()
         FROM inserted i
         WHERE $8 AND EXISTS (
           SELECT 1 FROM bandwidth_phone_numbers p
           WHERE p.phone_number = i.user_number AND p.organization_id = $1 AND p.status = 'active'
         )
         ORDER BY i.contact_number, array_position($2::text[], i.service_id) DESC
         ON CONFLICT (organization_id, contact_number)
         DO UPDATE SET user_number = excluded.user_number, updated_at = excluded.updated_at
         WHERE bandwidth_contacts.user_number IS DISTINCT FROM excluded.user_number";
    let column = |f: fn(&super::Inbound) -> &str| rows.iter().map(f).collect::<Vec<_>>();
    let consent = |f: fn(&super::InboundConsent) -> &str| {
        rows.iter()
            .map(|r| r.consent.as_ref().map(f))
            .collect::<Vec<Option<&str>>>()
    };
    let query = sqlx::query(sql)
        .bind(org)
        .bind(column(|r| &r.service_id))
        .bind(column(|r| &r.contact_number))
        .bind(column(|r| &r.user_number))
        .bind(column(|r| &r.text))
        .bind(column(|r| &r.media))
        .bind(rows.iter().map(|r| r.segment_count).collect::<Vec<_>>())
        .bind(sticky)
        .bind(consent(|c| c.action))
        .bind(consent(|c| c.source))
        .bind(consent(|c| &c.reason))
        .bind(
            rows.iter()
                .map(|r| r.consent.as_ref().is_some_and(|c| c.confirm))
                .collect::<Vec<bool>>(),
        )
        .bind(crate::store::consent::REPLY_JOB_KIND)
        .bind(crate::store::consent::REPLY_JOB_ATTEMPTS)
        .bind(chrono::Utc::now().timestamp_millis());
    execute(conn, query).await
}

async fn not_stored(
    conn: &mut PgConnection,
    query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
) -> Result<Vec<String>, DbErr> {
    let rows = query.fetch_all(conn).await.map_err(query_error)?;
    rows.iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<_, _>>()
        .map_err(query_error)
}

async fn execute(
    conn: &mut PgConnection,
    query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
) -> Result<(), DbErr> {
    query.execute(conn).await.map(|_| ()).map_err(query_error)
}
