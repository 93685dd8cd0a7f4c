//! The failure outbox: every outbound message a `message-failed` callback moves to ERROR leaves
//! a row here in the same transaction, and the failure handlers (consent, registration, number
//! health) take the rows in order and delete them in their own transaction: each failure is
//! accounted exactly once, even across a crash between the two.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SendFailures::Table)
                    .col(big_integer(SendFailures::Id).auto_increment().primary_key())
                    .col(integer(SendFailures::OrganizationId))
                    .col(big_integer(SendFailures::MessageId))
                    .col(string_len(SendFailures::UserNumber, 32))
                    .col(string_len(SendFailures::ContactNumber, 32))
                    .col(integer_null(SendFailures::ErrorCode))
                    .col(text(SendFailures::Text))
                    .col(timestamp_with_time_zone(SendFailures::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SendFailures::Table, SendFailures::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SendFailures::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SendFailures {
    #[sea_orm(iden = "bandwidth_send_failures")]
    Table,
    Id,
    OrganizationId,
    MessageId,
    UserNumber,
    ContactNumber,
    ErrorCode,
    Text,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    #[sea_orm(iden = "bandwidth_organizations")]
    Table,
    Id,
}
