use sea_orm_migration::{prelude::*, schema::*};

/// Number health (issue #17): each number's health state and pacing on its row (what the picker
/// filters and orders by), the failures that count against numbers or texts, every transition
/// with its cause, texts flagged for an organization, sending pauses after volume violations,
/// and the history of which number served each contact.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            // healthy | quarantined | probation | retired
            string_len(PhoneNumbers::Health, 16)
                .default("healthy")
                .to_owned(),
            timestamp_with_time_zone_null(PhoneNumbers::HealthSince),
            text_null(PhoneNumbers::HealthReason),
            // How many times the number was quarantined (relapses retire it).
            integer(PhoneNumbers::Quarantines).default(0).to_owned(),
            // Probation watches the deliveries of messages with a larger id than this.
            big_integer_null(PhoneNumbers::ProbationAfterMessageId),
            // Epoch ms until which a volume violation keeps the number from being picked.
            big_integer(PhoneNumbers::PausedUntilMs)
                .default(0)
                .to_owned(),
            // Epoch ms from which the number is under its per-number rate again: the picker's order.
            big_integer(PhoneNumbers::FreeAtMs).default(0).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(PhoneNumbers::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // The picker orders by when a number is free again (least recently used when every
        // message is one segment); these replace the last-used indexes.
        for name in [
            "bandwidth_phone_numbers_pick_area_code",
            "bandwidth_phone_numbers_pick_state",
            "bandwidth_phone_numbers_pick_any",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(PhoneNumbers::Table)
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in [
            (
                "bandwidth_phone_numbers_pace_area_code",
                Some(PhoneNumbers::AreaCode),
            ),
            (
                "bandwidth_phone_numbers_pace_state",
                Some(PhoneNumbers::State),
            ),
            ("bandwidth_phone_numbers_pace_any", None),
        ] {
            let mut index = Index::create();
            index
                .name(name)
                .table(PhoneNumbers::Table)
                .col(PhoneNumbers::OrganizationId)
                .col(PhoneNumbers::Status);
            if let Some(column) = column {
                index.col(column);
            }
            index.col(PhoneNumbers::FreeAtMs);
            manager.create_index(index.to_owned()).await?;
        }
        // The health sweeper reads the few numbers in quarantine or probation.
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_phone_numbers_health")
                    .table(PhoneNumbers::Table)
                    .col(PhoneNumbers::Health)
                    .to_owned(),
            )
            .await?;
        // A number's contacts, when they follow it to a sibling.
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_contacts_user_number")
                    .table(Contacts::Table)
                    .col(Contacts::OrganizationId)
                    .col(Contacts::UserNumber)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Strikes::Table)
                    .col(big_pk_auto(Strikes::Id))
                    .col(integer(Strikes::OrganizationId))
                    .col(string_len(Strikes::UserNumber, 16))
                    .col(string_len(Strikes::ContactNumber, 16))
                    .col(integer(Strikes::ErrorCode))
                    .col(big_integer(Strikes::MessageId))
                    // sha256 of the normalised text, hex.
                    .col(string_len(Strikes::ContentHash, 64))
                    .col(timestamp_with_time_zone(Strikes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Strikes::Table, Strikes::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("bandwidth_number_strikes_number", Strikes::UserNumber),
            ("bandwidth_number_strikes_content", Strikes::ContentHash),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Strikes::Table)
                        .col(Strikes::OrganizationId)
                        .col(column)
                        .col(Strikes::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Id))
                    .col(integer(Events::OrganizationId))
                    .col(string_len(Events::PhoneNumber, 16))
                    .col(string_len(Events::FromState, 16))
                    .col(string_len(Events::ToState, 16))
                    // strikes | blacklisted | relapse | cooldown_over | probation_passed |
                    // manual | volume_pause
                    .col(string_len(Events::Cause, 32))
                    // JSON object: error code → count, the failures that triggered it.
                    .col(text(Events::Codes).default("{}"))
                    .col(text(Events::Detail))
                    .col(integer_null(Events::UserId))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Events::Table, Events::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_number_health_events_number")
                    .table(Events::Table)
                    .col(Events::OrganizationId)
                    .col(Events::PhoneNumber)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Flagged::Table)
                    .col(big_pk_auto(Flagged::Id))
                    .col(integer(Flagged::OrganizationId))
                    .col(string_len(Flagged::ContentHash, 64))
                    // The text of the failure that flagged it (a sample: texts differ in names).
                    .col(text(Flagged::Text))
                    .col(integer(Flagged::Failures))
                    .col(integer(Flagged::Numbers))
                    .col(text(Flagged::Codes).default("{}"))
                    .col(timestamp_with_time_zone(Flagged::FlaggedAt))
                    .col(timestamp_with_time_zone_null(Flagged::ClearedAt))
                    .col(integer_null(Flagged::ClearedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Flagged::Table, Flagged::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_flagged_texts_hash")
                    .table(Flagged::Table)
                    .col(Flagged::OrganizationId)
                    .col(Flagged::ContentHash)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Pauses::Table)
                    .col(integer(Pauses::OrganizationId))
                    // The Spoke campaign id, or "" for all of the organization's sends.
                    .col(string_len(Pauses::CampaignKey, 255))
                    .col(timestamp_with_time_zone(Pauses::Until))
                    .col(integer(Pauses::ErrorCode))
                    .col(timestamp_with_time_zone(Pauses::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Pauses::OrganizationId)
                            .col(Pauses::CampaignKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Pauses::Table, Pauses::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(History::Table)
                    .col(big_pk_auto(History::Id))
                    .col(integer(History::OrganizationId))
                    .col(string_len(History::ContactNumber, 16))
                    .col(string_len_null(History::FromNumber, 16))
                    .col(string_len_null(History::ToNumber, 16))
                    // quarantined | retired | released
                    .col(string_len(History::Reason, 32))
                    .col(timestamp_with_time_zone(History::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(History::Table, History::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_sender_history_contact")
                    .table(History::Table)
                    .col(History::OrganizationId)
                    .col(History::ContactNumber)
                    .col(History::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            History::Table.into_iden(),
            Pauses::Table.into_iden(),
            Flagged::Table.into_iden(),
            Events::Table.into_iden(),
            Strikes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("bandwidth_contacts_user_number")
                    .table(Contacts::Table)
                    .to_owned(),
            )
            .await?;
        for name in [
            "bandwidth_phone_numbers_health",
            "bandwidth_phone_numbers_pace_area_code",
            "bandwidth_phone_numbers_pace_state",
            "bandwidth_phone_numbers_pace_any",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(PhoneNumbers::Table)
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in [
            (
                "bandwidth_phone_numbers_pick_area_code",
                Some(PhoneNumbers::AreaCode),
            ),
            (
                "bandwidth_phone_numbers_pick_state",
                Some(PhoneNumbers::State),
            ),
            ("bandwidth_phone_numbers_pick_any", None),
        ] {
            let mut index = Index::create();
            index
                .name(name)
                .table(PhoneNumbers::Table)
                .col(PhoneNumbers::OrganizationId)
                .col(PhoneNumbers::Status);
            if let Some(column) = column {
                index.col(column);
            }
            index.col(PhoneNumbers::LastUsedAt);
            manager.create_index(index.to_owned()).await?;
        }
        for column in [
            PhoneNumbers::FreeAtMs,
            PhoneNumbers::PausedUntilMs,
            PhoneNumbers::ProbationAfterMessageId,
            PhoneNumbers::Quarantines,
            PhoneNumbers::HealthReason,
            PhoneNumbers::HealthSince,
            PhoneNumbers::Health,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PhoneNumbers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum PhoneNumbers {
    #[sea_orm(iden = "bandwidth_phone_numbers")]
    Table,
    OrganizationId,
    Status,
    AreaCode,
    State,
    LastUsedAt,
    Health,
    HealthSince,
    HealthReason,
    Quarantines,
    ProbationAfterMessageId,
    PausedUntilMs,
    FreeAtMs,
}

#[derive(DeriveIden)]
enum Contacts {
    #[sea_orm(iden = "bandwidth_contacts")]
    Table,
    OrganizationId,
    UserNumber,
}

#[derive(DeriveIden)]
enum Organizations {
    #[sea_orm(iden = "bandwidth_organizations")]
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Strikes {
    #[sea_orm(iden = "bandwidth_number_strikes")]
    Table,
    Id,
    OrganizationId,
    UserNumber,
    ContactNumber,
    ErrorCode,
    MessageId,
    ContentHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Events {
    #[sea_orm(iden = "bandwidth_number_health_events")]
    Table,
    Id,
    OrganizationId,
    PhoneNumber,
    FromState,
    ToState,
    Cause,
    Codes,
    Detail,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)]
enum Flagged {
    #[sea_orm(iden = "bandwidth_flagged_texts")]
    Table,
    Id,
    OrganizationId,
    ContentHash,
    Text,
    Failures,
    Numbers,
    Codes,
    FlaggedAt,
    ClearedAt,
    ClearedBy,
}

#[derive(DeriveIden)]
enum Pauses {
    #[sea_orm(iden = "bandwidth_sending_pauses")]
    Table,
    OrganizationId,
    CampaignKey,
    Until,
    ErrorCode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum History {
    #[sea_orm(iden = "bandwidth_sender_history")]
    Table,
    Id,
    OrganizationId,
    ContactNumber,
    FromNumber,
    ToNumber,
    Reason,
    CreatedAt,
}
