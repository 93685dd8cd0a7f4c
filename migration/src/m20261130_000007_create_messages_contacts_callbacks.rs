use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(big_pk_auto(Messages::Id))
                    .col(integer(Messages::OrganizationId))
                    .col(string_len(Messages::ContactNumber, 16))
                    // Our number: the sender of an outbound message, the receiver of an inbound one.
                    .col(string_len(Messages::UserNumber, 16).default(""))
                    .col(boolean(Messages::IsFromContact))
                    .col(text(Messages::Text).default(""))
                    // JSON array of media URLs.
                    .col(text(Messages::Media).default("[]"))
                    // QUEUED | SENDING | SENT | DELIVERED | ERROR (Spoke's words)
                    .col(string_len(Messages::SendStatus, 16))
                    .col(integer_null(Messages::ErrorCode))
                    .col(text_null(Messages::ErrorDescription))
                    // Bandwidth's message id.
                    .col(string_null(Messages::ServiceId))
                    .col(integer_null(Messages::SegmentCount))
                    .col(string_null(Messages::ApplicationId))
                    .col(string_null(Messages::CampaignId))
                    .col(string_null(Messages::ContactId))
                    // For a reply: the outbound message it answers.
                    .col(big_integer_null(Messages::InReplyTo))
                    .col(timestamp_with_time_zone_null(Messages::SendBefore))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .col(timestamp_with_time_zone(Messages::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Messages::Table, Messages::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Callbacks find a message by Bandwidth's id within the org; inbound ids deduplicate here.
        // The id leads: it is what makes a lookup selective, so no plan prefers another index
        // that merely starts with the organization.
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_messages_service_id_org")
                    .table(Messages::Table)
                    .col(Messages::ServiceId)
                    .col(Messages::OrganizationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Conversations, and the last outbound message to a contact from one of our numbers.
        manager
            .create_index(
                Index::create()
                    .name("bandwidth_messages_thread")
                    .table(Messages::Table)
                    .col(Messages::OrganizationId)
                    .col(Messages::ContactNumber)
                    .col(Messages::UserNumber)
                    .col(Messages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(integer(Contacts::OrganizationId))
                    .col(string_len(Contacts::ContactNumber, 16))
                    // The sticky sender: the number this contact hears from.
                    .col(string_len_null(Contacts::UserNumber, 16))
                    .col(boolean(Contacts::OptedOut).default(false))
                    .col(integer_null(Contacts::LastErrorCode))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Contacts::OrganizationId)
                            .col(Contacts::ContactNumber),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contacts::Table, Contacts::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CallbackKeys::Table)
                    .col(integer(CallbackKeys::OrganizationId))
                    // "<type>:<message id>:<to>": one effect per event, however often Bandwidth retries it.
                    .col(string(CallbackKeys::Key))
                    .col(timestamp_with_time_zone(CallbackKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CallbackKeys::OrganizationId)
                            .col(CallbackKeys::Key),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CallbackKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Contacts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Messages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Messages {
    #[sea_orm(iden = "bandwidth_messages")]
    Table,
    Id,
    OrganizationId,
    ContactNumber,
    UserNumber,
    IsFromContact,
    Text,
    Media,
    SendStatus,
    ErrorCode,
    ErrorDescription,
    ServiceId,
    SegmentCount,
    ApplicationId,
    CampaignId,
    ContactId,
    InReplyTo,
    SendBefore,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Contacts {
    #[sea_orm(iden = "bandwidth_contacts")]
    Table,
    OrganizationId,
    ContactNumber,
    UserNumber,
    OptedOut,
    LastErrorCode,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CallbackKeys {
    #[sea_orm(iden = "bandwidth_callback_keys")]
    Table,
    OrganizationId,
    Key,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    #[sea_orm(iden = "bandwidth_organizations")]
    Table,
    Id,
}
