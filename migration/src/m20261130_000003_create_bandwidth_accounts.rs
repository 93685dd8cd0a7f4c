use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(integer(Accounts::OrganizationId).primary_key())
                    .col(string(Accounts::AccountId))
                    .col(string(Accounts::UserName))
                    // AES-256-GCM: base64 ciphertext, base64 nonce, and the id of the key that sealed it.
                    .col(text(Accounts::PasswordCiphertext))
                    .col(string(Accounts::PasswordNonce))
                    .col(string(Accounts::PasswordKeyId))
                    .col(string_null(Accounts::SiteId))
                    .col(string_null(Accounts::SipPeerId))
                    .col(string_null(Accounts::ApplicationId))
                    .col(text_null(Accounts::Address))
                    .col(timestamp_with_time_zone_null(Accounts::VerifiedAt))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Accounts::Table, Accounts::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Accounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Accounts {
    #[sea_orm(iden = "bandwidth_accounts")]
    Table,
    OrganizationId,
    AccountId,
    UserName,
    PasswordCiphertext,
    PasswordNonce,
    PasswordKeyId,
    SiteId,
    SipPeerId,
    ApplicationId,
    Address,
    VerifiedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    #[sea_orm(iden = "bandwidth_organizations")]
    Table,
    Id,
}
