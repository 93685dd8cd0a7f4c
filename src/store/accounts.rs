//! Queries on Bandwidth accounts (one per organization).

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

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

/// What provisioning writes after a step: the ids it created or confirmed, the address a
/// sub-account was created with, and its step log (JSON).
#[derive(Debug, Clone)]
pub struct ProvisioningUpdate {
    pub site_id: Option<String>,
    pub sip_peer_id: Option<String>,
    pub application_id: Option<String>,
    /// `Some` replaces the stored address JSON; `None` keeps it.
    pub address: Option<String>,
    pub provisioning: String,
}

/// Writes provisioning's ids and step log; false when the organization has no account row.
///
/// Only these columns change, so a credentials update racing with it keeps its own columns.
pub async fn update_provisioning(
    db: &impl ConnectionTrait,
    organization_id: i32,
    update: ProvisioningUpdate,
) -> Result<bool, DbErr> {
    use bandwidth_account::Column as C;
    let mut query = bandwidth_account::Entity::update_many()
        .col_expr(C::SiteId, Expr::value(update.site_id))
        .col_expr(C::SipPeerId, Expr::value(update.sip_peer_id))
        .col_expr(C::ApplicationId, Expr::value(update.application_id))
        .col_expr(C::Provisioning, Expr::value(update.provisioning))
        .col_expr(C::UpdatedAt, Expr::value(chrono::Utc::now()));
    if let Some(address) = update.address {
        query = query.col_expr(C::Address, Expr::value(address));
    }
    let result = query
        .filter(C::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Replaces the step log only if it still reads `expected` (compare-and-swap), so two runs of
/// provisioning (on any replica) cannot both take the lease recorded in it.
pub async fn swap_provisioning(
    db: &impl ConnectionTrait,
    organization_id: i32,
    expected: Option<&str>,
    provisioning: &str,
) -> Result<bool, DbErr> {
    use bandwidth_account::Column as C;
    let matches_expected = match expected {
        Some(old) => C::Provisioning.eq(old),
        None => C::Provisioning.is_null(),
    };
    let result = bandwidth_account::Entity::update_many()
        .col_expr(C::Provisioning, Expr::value(provisioning))
        .filter(C::OrganizationId.eq(organization_id))
        .filter(matches_expected)
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
