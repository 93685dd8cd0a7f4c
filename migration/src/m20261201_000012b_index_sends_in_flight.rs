//! An index of the messages being sent (`SENDING`), so that the callback path's question "is a
//! send that could own this report in flight?" reads a handful of rows, not the organization's
//! history. Partial: rows leave it as soon as their send is recorded.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Same SQL on SQLite and PostgreSQL (both have partial indexes).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX bandwidth_messages_sending ON bandwidth_messages (organization_id, updated_at) WHERE send_status = 'SENDING'",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX bandwidth_messages_sending")
            .await
            .map(|_| ())
    }
}
