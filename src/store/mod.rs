//! Persistence: SeaORM entities and one file of query functions per aggregate.
//!
//! Query functions take `&impl ConnectionTrait` so they work inside transactions; they hold no
//! business rules and return `DbErr` unchanged. Must not import `bandwidth`, `services` or above.

pub mod accounts;
pub mod callbacks;
pub mod consent;
pub mod entities;
pub mod failures;
pub mod health;
pub mod jobs;
pub mod messages;
pub mod organizations;
pub mod phone_numbers;
pub mod registration;
pub mod sends;
pub mod users;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// How SQLite makes a commit durable (`PRAGMA synchronous`; PostgreSQL has its own settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// The WAL is synced at every commit: an acknowledged callback survives a power loss.
    #[default]
    Full,
    /// Synced at checkpoints only: faster, but the last commits may be lost on power loss
    /// (never on a crash of the process alone).
    Normal,
}

/// Opens the pool for `url` with durable SQLite commits (see [`connect_with`]).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, SqliteSync::Full).await
}

/// Opens the pool for `url`: SQLite (WAL, `synchronous` as given, busy timeout, foreign keys)
/// or PostgreSQL.
///
/// SQLite gets one connection: it allows one writer at a time anyway, and a transaction that
/// reads and then writes on one connection while another connection commits fails at once with
/// `SQLITE_BUSY` (no busy timeout applies to that upgrade). One connection serialises writers
/// in the pool's queue instead.
pub async fn connect_with(url: &str, sync: SqliteSync) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // A ping round trip before every statement doubles the callback path's latency; check
        // only connections that sat idle long enough for the server to have dropped them.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        use sea_orm::sqlx::sqlite::SqliteSynchronous;
        let synchronous = match sync {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        };
        options
            .max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(synchronous)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
            });
    } else {
        options.max_connections(16);
    }
    Database::connect(options).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// `SELECT 1`: whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

/// The readiness probe: on PostgreSQL, whether the messages table can be written now (the lock
/// every `UPDATE` and `INSERT` takes, asked with a 1 s `lock_timeout` and released at once; it
/// waits for nobody but a lock that blocks writers); on SQLite, a ping.
pub async fn probe(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return db.ping().await;
    }
    let txn = db.begin().await?;
    txn.execute_unprepared(
        "SET LOCAL lock_timeout = '1s'; LOCK TABLE bandwidth_messages IN ROW EXCLUSIVE MODE",
    )
    .await?;
    txn.rollback().await
}
