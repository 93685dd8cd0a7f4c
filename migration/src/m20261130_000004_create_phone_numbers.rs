use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PhoneNumbers::Table)
                    .col(pk_auto(PhoneNumbers::Id))
                    .col(integer(PhoneNumbers::OrganizationId))
                    // E.164, e.g. +19195551234.
                    .col(string_len(PhoneNumbers::PhoneNumber, 16))
                    .col(string_len(PhoneNumbers::AreaCode, 3))
                    // Region of the area code (NANP table), or "N/A" for toll-free.
                    .col(string(PhoneNumbers::State))
                    // active | quarantined | released
                    .col(string_len(PhoneNumbers::Status, 16))
                    // Spoke's service_id: "<sipPeerId>.<10 digits>".
                    .col(string_null(PhoneNumbers::ServiceId))
                    // Epoch milliseconds of the last send from this number (0 = never): the picker's order.
                    .col(big_integer(PhoneNumbers::LastUsedAt).default(0))
                    .col(timestamp_with_time_zone(PhoneNumbers::CreatedAt))
                    .col(timestamp_with_time_zone_null(PhoneNumbers::ReleasedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PhoneNumbers::Table, PhoneNumbers::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_phone_numbers_number_org")
                    .table(PhoneNumbers::Table)
                    // The number leads, so a lookup by number is never served by an index that
                    // merely starts with the organization.
                    .col(PhoneNumbers::PhoneNumber)
                    .col(PhoneNumbers::OrganizationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The picker: active numbers of an org in an area code (or state), least recently used first.
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_phone_numbers_pick_area_code")
                    .table(PhoneNumbers::Table)
                    .col(PhoneNumbers::OrganizationId)
                    .col(PhoneNumbers::Status)
                    .col(PhoneNumbers::AreaCode)
                    .col(PhoneNumbers::LastUsedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_phone_numbers_pick_state")
                    .table(PhoneNumbers::Table)
                    .col(PhoneNumbers::OrganizationId)
                    .col(PhoneNumbers::Status)
                    .col(PhoneNumbers::State)
                    .col(PhoneNumbers::LastUsedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_phone_numbers_pick_any")
                    .table(PhoneNumbers::Table)
                    .col(PhoneNumbers::OrganizationId)
                    .col(PhoneNumbers::Status)
                    .col(PhoneNumbers::LastUsedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PhoneNumbers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PhoneNumbers {
    #[sea_orm(iden = "bandwidth_phone_numbers")]
    Table,
    Id,
    OrganizationId,
    PhoneNumber,
    AreaCode,
    State,
    Status,
    ServiceId,
    LastUsedAt,
    CreatedAt,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    #[sea_orm(iden = "bandwidth_organizations")]
    Table,
    Id,
}
