use sea_orm_migration::{prelude::*, schema::*};

/// Callbacks stop writing a key per event: the unique Bandwidth id per organization (inbound) and
/// the forward-only status (outbound), checked in the statement that applies an event, already
/// make every effect happen once, and the extra row per event doubled the writes (BENCHMARKS.md).
///
/// The thread index gains `is_from_contact`, so a reply finds the last outbound message to its
/// contact without walking the contact's earlier replies, and leads with the contact number, so
/// no plan mistakes it for a way to filter an organization's messages.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CallbackKeys::Table).to_owned())
            .await?;
        replace_thread_index(
            manager,
            [
                Messages::ContactNumber,
                Messages::OrganizationId,
                Messages::IsFromContact,
                Messages::UserNumber,
                Messages::Id,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace_thread_index(
            manager,
            [
                Messages::OrganizationId,
                Messages::ContactNumber,
                Messages::UserNumber,
                Messages::Id,
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(CallbackKeys::Table)
                    .col(integer(CallbackKeys::OrganizationId))
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
}

async fn replace_thread_index<const N: usize>(
    manager: &SchemaManager<'_>,
    columns: [Messages; N],
) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name("bandwidth_messages_thread")
                .table(Messages::Table)
                .to_owned(),
        )
        .await?;
    let mut index = Index::create();
    index
        .name("bandwidth_messages_thread")
        .table(Messages::Table);
    for column in columns {
        index.col(column);
    }
    manager.create_index(index).await
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
}

#[derive(DeriveIden)]
enum CallbackKeys {
    #[sea_orm(iden = "bandwidth_callback_keys")]
    Table,
    OrganizationId,
    Key,
    CreatedAt,
}
