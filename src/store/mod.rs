//! Persistence: SeaORM entities and one file of query functions per aggregate.
//!
//! Query functions take `&impl ConnectionTrait` so they work inside transactions; they hold no
//! business rules and return `DbErr` unchanged. Must not import `bandwidth`, `services` or above.

pub mod accounts;
pub mod callbacks;
pub mod entities;
pub mod jobs;
pub mod messages;
pub mod organizations;
pub mod phone_numbers;
pub mod sends;
pub mod users;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Opens the pool for `url`: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL.
///
/// SQLite gets one connection: it allows one writer at a time anyway, and a transaction that
/// reads and then writes on one connection while another connection commits fails at once with
/// `SQLITE_BUSY` (no busy timeout applies to that upgrade). One connection serialises writers
/// in the pool's queue instead.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // A ping round trip before every statement doubles the callback path's latency; check
        // only connections that sat idle long enough for the server to have dropped them.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        options
            .max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
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

/// `SELECT 1`: whether the database answers (for `/readyz`).
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
