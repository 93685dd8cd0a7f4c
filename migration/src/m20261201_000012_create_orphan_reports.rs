//! Delivery reports tagged for an organization that name a message it never stored (and no send
//! in flight could own): acknowledged to Bandwidth, kept here so the owner can see them. One row
//! per organization, message id and kind; Bandwidth's repeats count up `times`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrphanReports::Table)
                    .col(integer(OrphanReports::OrganizationId))
                    // Bandwidth's message id (at most 128 characters, checked at parse time).
                    .col(string_len(OrphanReports::ServiceId, 128))
                    // message-delivered | message-failed
                    .col(string_len(OrphanReports::Kind, 32))
                    .col(integer_null(OrphanReports::ErrorCode))
                    .col(integer(OrphanReports::Times).default(1))
                    .col(timestamp_with_time_zone(OrphanReports::FirstSeenAt))
                    .col(timestamp_with_time_zone(OrphanReports::LastSeenAt))
                    .primary_key(
                        Index::create()
                            .col(OrphanReports::OrganizationId)
                            .col(OrphanReports::ServiceId)
                            .col(OrphanReports::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrphanReports::Table, OrphanReports::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_orphan_reports_recent")
                    .table(OrphanReports::Table)
                    .col(OrphanReports::OrganizationId)
                    .col(OrphanReports::LastSeenAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrphanReports::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OrphanReports {
    #[sea_orm(iden = "bandwidth_orphan_reports")]
    Table,
    OrganizationId,
    ServiceId,
    Kind,
    ErrorCode,
    Times,
    FirstSeenAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Organizations {
    #[sea_orm(iden = "bandwidth_organizations")]
    Table,
    Id,
}
