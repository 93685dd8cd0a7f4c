use sea_orm_migration::{prelude::*, schema::*};

/// Jobs gain what exactly-once needs:
/// - `lane`: jobs of one organization with the same lane run one at a time (Bandwidth's number
///   orders, disconnects and syncs of one organization must not interleave). Every job stored so
///   far is an inventory job, so each gets the `numbers` lane.
/// - `active_key`: a job's idempotency key while it is queued or running, `NULL` once it ended.
///   Unique per organization, so two identical `buyPhoneNumbers` calls racing each other store
///   one job (NULLs never collide, on SQLite as on PostgreSQL).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(string_len_null(Jobs::Lane, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(string_len_null(Jobs::ActiveKey, 128))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE bandwidth_jobs SET lane = 'numbers'")
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_jobs_active_key")
                    .table(Jobs::Table)
                    .col(Jobs::OrganizationId)
                    .col(Jobs::ActiveKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_jobs_lane")
                    .table(Jobs::Table)
                    .col(Jobs::OrganizationId)
                    .col(Jobs::Lane)
                    .col(Jobs::State)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["bandwidth_jobs_lane", "bandwidth_jobs_active_key"] {
            manager
                .drop_index(Index::drop().name(name).table(Jobs::Table).to_owned())
                .await?;
        }
        for column in [Jobs::ActiveKey, Jobs::Lane] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Jobs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Jobs {
    #[sea_orm(iden = "bandwidth_jobs")]
    Table,
    OrganizationId,
    State,
    Lane,
    ActiveKey,
}
