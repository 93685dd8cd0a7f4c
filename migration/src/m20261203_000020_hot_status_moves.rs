//! Status moves that touch no index: `send_status` and `updated_at` leave every index of
//! `bandwidth_messages`, so on PostgreSQL a delivery report's SENT → DELIVERED move is a HOT
//! update (a new row version on the same page, no index entries) instead of a new entry in each
//! of the table's six indexes.
//!
//! The two indexes that held them served the reads of open sends (QUEUED, SENDING, UNKNOWN):
//! the sweeper's stale sends and the callback path's sends in flight. Both now read
//! `open_since`, a generated column that is the message's `updated_at` while its send is open
//! and NULL otherwise, through one partial index of the few open rows. A report's move from
//! SENT (to DELIVERED or ERROR) leaves it NULL, so it blocks nothing.
//!
//! On PostgreSQL the table also gets a fillfactor, so that a row's page has room for its next
//! version (HOT needs the new version on the same page).
//!
//! The idempotency keys' unique index becomes partial, over the messages that have a key: an
//! inbound message (and an outbound one sent without a key) no longer writes an entry to it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The open statuses, as the generated column names them.
const OPEN_SINCE: &str =
    "CASE WHEN send_status IN ('QUEUED', 'SENDING', 'UNKNOWN') THEN updated_at END";

/// Percent of each new heap page filled by inserts; the rest waits for the row's later versions.
const FILLFACTOR: u32 = 60;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let column = if postgres {
            // Stored: PostgreSQL has no virtual generated columns before 18.
            format!("open_since timestamptz GENERATED ALWAYS AS ({OPEN_SINCE}) STORED")
        } else {
            // SQLite adds only virtual generated columns to an existing table; an index over
            // one stores its value all the same.
            format!(
                "open_since timestamp_with_timezone_text GENERATED ALWAYS AS ({OPEN_SINCE}) VIRTUAL"
            )
        };
        let mut statements = vec![
            format!("ALTER TABLE bandwidth_messages ADD COLUMN {column}"),
            "CREATE INDEX bandwidth_messages_open ON bandwidth_messages (open_since) \
             WHERE open_since IS NOT NULL"
                .to_owned(),
            "DROP INDEX bandwidth_messages_open_sends".to_owned(),
            "DROP INDEX bandwidth_messages_sending".to_owned(),
            "DROP INDEX bandwidth_messages_idempotency_key".to_owned(),
            "CREATE UNIQUE INDEX bandwidth_messages_idempotency_key ON bandwidth_messages \
             (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL"
                .to_owned(),
        ];
        if postgres {
            statements.push(format!(
                "ALTER TABLE bandwidth_messages SET (fillfactor = {FILLFACTOR})"
            ));
        }
        run(manager, &statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements = vec![
            "DROP INDEX bandwidth_messages_idempotency_key",
            "CREATE UNIQUE INDEX bandwidth_messages_idempotency_key ON bandwidth_messages \
             (organization_id, idempotency_key)",
            "CREATE INDEX bandwidth_messages_open_sends ON bandwidth_messages (send_status, updated_at)",
            "CREATE INDEX bandwidth_messages_sending ON bandwidth_messages (organization_id, updated_at) \
             WHERE send_status = 'SENDING'",
            "DROP INDEX bandwidth_messages_open",
            "ALTER TABLE bandwidth_messages DROP COLUMN open_since",
        ];
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            statements.push("ALTER TABLE bandwidth_messages RESET (fillfactor)");
        }
        run(manager, &statements).await
    }
}

async fn run(manager: &SchemaManager<'_>, statements: &[impl AsRef<str>]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement.as_ref()).await?;
    }
    Ok(())
}
