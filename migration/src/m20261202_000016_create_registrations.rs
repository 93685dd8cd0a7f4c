//! 10DLC campaigns per organization and each number's registration (issue #16).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(pk_auto(Campaigns::Id))
                    .col(integer(Campaigns::OrganizationId))
                    // TCR id, e.g. CA114BN (Bandwidth allows 1-64 characters).
                    .col(string_len(Campaigns::CampaignId, 64))
                    // ACTIVE | EXPIRED (TCR), as Bandwidth last reported it.
                    .col(string_len(Campaigns::Status, 32))
                    .col(text_null(Campaigns::Description))
                    // JSON array of {mno, mnoId, status}.
                    .col(text(Campaigns::MnoStatuses))
                    // true when read from the imports API (campaign registered elsewhere).
                    .col(boolean(Campaigns::Imported).default(false))
                    // Set by the organization: Bandwidth granted a T-Mobile number pool.
                    .col(boolean(Campaigns::NumberPool).default(false))
                    // false once a refresh no longer lists it.
                    .col(boolean(Campaigns::Listed).default(true))
                    .col(timestamp_with_time_zone(Campaigns::RefreshedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Campaigns::Table, Campaigns::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_tendlc_campaigns_org_campaign")
                    .table(Campaigns::Table)
                    .col(Campaigns::OrganizationId)
                    .col(Campaigns::CampaignId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Registrations::Table)
                    .col(pk_auto(Registrations::Id))
                    .col(integer(Registrations::OrganizationId))
                    // E.164.
                    .col(string_len(Registrations::PhoneNumber, 16))
                    // LOCAL | TOLL_FREE
                    .col(string_len(Registrations::Kind, 16))
                    .col(string_len_null(Registrations::CampaignId, 64))
                    // LOCAL: UNREGISTERED | PENDING | REGISTERED | FAILED | BROKEN;
                    // TOLL_FREE: UNVERIFIED | PENDING | VERIFIED | BROKEN.
                    .col(string_len(Registrations::Status, 16))
                    // The picker's predicate: may this number send when enforcement is on.
                    .col(boolean(Registrations::Deliverable).default(false))
                    .col(string_len_null(Registrations::ErrorCode, 32))
                    .col(text_null(Registrations::ErrorText))
                    .col(boolean_null(Registrations::ResubmitAllowed))
                    // The TN option order that last changed it.
                    .col(string_len_null(Registrations::OrderId, 64))
                    .col(timestamp_with_time_zone(Registrations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Registrations::Table, Registrations::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_number_registrations_org_number")
                    .table(Registrations::Table)
                    .col(Registrations::OrganizationId)
                    .col(Registrations::PhoneNumber)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The picker's subquery: deliverable numbers of an organization.
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_number_registrations_deliverable")
                    .table(Registrations::Table)
                    .col(Registrations::OrganizationId)
                    .col(Registrations::Deliverable)
                    .col(Registrations::PhoneNumber)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_number_registrations_campaign")
                    .table(Registrations::Table)
                    .col(Registrations::OrganizationId)
                    .col(Registrations::CampaignId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Registrations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Campaigns::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Campaigns {
    #[sea_orm(iden = "bandwidth_tendlc_campaigns")]
    Table,
    Id,
    OrganizationId,
    CampaignId,
    Status,
    Description,
    MnoStatuses,
    Imported,
    NumberPool,
    Listed,
    RefreshedAt,
}

#[derive(DeriveIden)]
enum Registrations {
    #[sea_orm(iden = "bandwidth_number_registrations")]
    Table,
    Id,
    OrganizationId,
    PhoneNumber,
    Kind,
    CampaignId,
    Status,
    Deliverable,
    ErrorCode,
    ErrorText,
    ResubmitAllowed,
    OrderId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    #[sea_orm(iden = "bandwidth_organizations")]
    Table,
    Id,
}
