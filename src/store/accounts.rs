//! Queries on Bandwidth accounts (one per organization).

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};

use super::entities::bandwidth_account;

/// The organization's Bandwidth account, if credentials were stored.
pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: i32,
) -> Result<Option<bandwidth_account::Model>, DbErr> {
    bandwidth_account::Entity::find_by_id(organization_id)
        .one(db)
        .await
}

/// Inserts or replaces the organization's account row (one statement, so concurrent saves cannot race).
pub async fn upsert(
    db: &impl ConnectionTrait,
    account: bandwidth_account::Model,
) -> Result<(), DbErr> {
    use bandwidth_account::Column as C;
    let active: bandwidth_account::ActiveModel = account.into();
    bandwidth_account::Entity::insert(active)
        .on_conflict(
            OnConflict::column(C::OrganizationId)
                .update_columns([
                    C::AccountId,
                    C::UserName,
                    C::PasswordCiphertext,
                    C::PasswordNonce,
                    C::PasswordKeyId,
                    C::SiteId,
                    C::SipPeerId,
                    C::ApplicationId,
                    C::Address,
                    C::VerifiedAt,
                    C::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}
