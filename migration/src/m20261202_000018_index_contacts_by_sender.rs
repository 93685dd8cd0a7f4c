//! A number's contacts in order (organization, sticky sender, contact number), so that moving
//! them off a quarantined, retired or released number reads them a page at a time from the
//! index alone, however many it holds. Replaces the two-column index of the same purpose.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Same SQL on SQLite and PostgreSQL.
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX bandwidth_contacts_user_number")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX bandwidth_contacts_user_number ON bandwidth_contacts (organization_id, user_number, contact_number)",
        )
        .await
        .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX bandwidth_contacts_user_number")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX bandwidth_contacts_user_number ON bandwidth_contacts (organization_id, user_number)",
        )
        .await
        .map(|_| ())
    }
}
