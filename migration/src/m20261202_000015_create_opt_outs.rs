//! The organization-wide opt-out list (issue #15): one row per organization and contact while the
//! contact is opted out, saying when, why (a keyword, an expression's reason, a carrier code or a
//! manual entry) and from which message. The row is deleted when the contact opts back in.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OptOuts::Table)
                    .col(big_integer(OptOuts::Id).auto_increment().primary_key())
                    .col(integer(OptOuts::OrganizationId))
                    .col(string_len(OptOuts::ContactNumber, 32))
                    // keyword | expression | carrier | manual
                    .col(string_len(OptOuts::Source, 16))
                    .col(string_len(OptOuts::Reason, 200))
                    // The inbound message that opted out, or the outbound one a carrier refused.
                    .col(big_integer_null(OptOuts::MessageId))
                    // The member who added it by hand.
                    .col(integer_null(OptOuts::CreatedBy))
                    .col(timestamp_with_time_zone(OptOuts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OptOuts::Table, OptOuts::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The send gate's lookup, and what makes an opt-out exactly-once (ON CONFLICT DO NOTHING).
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_opt_outs_contact")
                    .table(OptOuts::Table)
                    .col(OptOuts::OrganizationId)
                    .col(OptOuts::ContactNumber)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Paging `Organization.optOuts`, newest first.
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_opt_outs_recent")
                    .table(OptOuts::Table)
                    .col(OptOuts::OrganizationId)
                    .col(OptOuts::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OptOuts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OptOuts {
    #[sea_orm(iden = "bandwidth_opt_outs")]
    Table,
    Id,
    OrganizationId,
    ContactNumber,
    Source,
    Reason,
    MessageId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    #[sea_orm(iden = "bandwidth_organizations")]
    Table,
    Id,
}
