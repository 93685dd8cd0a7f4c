use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(pk_auto(Jobs::Id))
                    .col(integer(Jobs::OrganizationId))
                    // sync_phone_numbers | buy_phone_numbers | delete_phone_numbers
                    .col(string_len(Jobs::Kind, 32))
                    .col(text(Jobs::Payload))
                    // PENDING | RUNNING | SUCCEEDED | FAILED
                    .col(string_len(Jobs::State, 16))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer(Jobs::MaxAttempts))
                    // Epoch milliseconds: when the job may run next.
                    .col(big_integer(Jobs::RunAt))
                    // The runner holding the job, and until when (epoch ms); an expired lease is taken over.
                    .col(string_null(Jobs::LeaseOwner))
                    .col(big_integer_null(Jobs::LeaseExpiresAt))
                    .col(text_null(Jobs::ResultMessage))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Jobs::Table, Jobs::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_jobs_due")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_jobs_org")
                    .table(Jobs::Table)
                    .col(Jobs::OrganizationId)
                    .col(Jobs::UpdatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Jobs {
    #[sea_orm(iden = "bandwidth_jobs")]
    Table,
    Id,
    OrganizationId,
    Kind,
    Payload,
    State,
    Attempts,
    MaxAttempts,
    RunAt,
    LeaseOwner,
    LeaseExpiresAt,
    ResultMessage,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    #[sea_orm(iden = "bandwidth_organizations")]
    Table,
    Id,
}
