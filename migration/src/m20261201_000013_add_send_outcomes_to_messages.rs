use sea_orm_migration::{prelude::*, schema::*};

/// Exactly-once sends (issue #13): a client's idempotency key per organization, how many times
/// a message was posted to Bandwidth and when the last post started (what reconciliation asks
/// Bandwidth about), and an index for the sweeper that finds sends whose outcome is not known.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            string_len_null(Messages::IdempotencyKey, 255),
            integer(Messages::SendAttempts).default(0).to_owned(),
            timestamp_with_time_zone_null(Messages::AttemptedAt),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Messages::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // The same key for the same organization names one message; NULLs (no key) never clash.
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_messages_idempotency_key")
                    .table(Messages::Table)
                    .col(Messages::OrganizationId)
                    .col(Messages::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The sweeper reads only the few messages in QUEUED, SENDING or UNKNOWN.
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_messages_open_sends")
                    .table(Messages::Table)
                    .col(Messages::SendStatus)
                    .col(Messages::UpdatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "bandwidth_messages_open_sends",
            "bandwidth_messages_idempotency_key",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Messages::Table).to_owned())
                .await?;
        }
        for column in [
            Messages::AttemptedAt,
            Messages::SendAttempts,
            Messages::IdempotencyKey,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Messages::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Messages {
    #[sea_orm(iden = "bandwidth_messages")]
    Table,
    IdempotencyKey,
    SendAttempts,
    AttemptedAt,
    SendStatus,
    UpdatedAt,
    OrganizationId,
}
