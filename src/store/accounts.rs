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

/// Inserts the organization's first account row; false when one exists already (a concurrent
/// first save won: the caller re-reads and updates instead).
pub async fn insert_if_absent(
    db: &impl ConnectionTrait,
    account: bandwidth_account::Model,
) -> Result<bool, DbErr> {
    use bandwidth_account::Column as C;
    let active: bandwidth_account::ActiveModel = account.into();
    let inserted = bandwidth_account::Entity::insert(active)
        .on_conflict(
            OnConflict::column(C::OrganizationId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Replaces the credentials columns and ids of the row only if the ids and the provisioning
/// log still read as in `read` (compare-and-swap): a provisioning run that saved ids in between
/// makes this return false, and the caller re-reads and merges instead of overwriting them.
pub async fn update_credentials_if(
    db: &impl ConnectionTrait,
    account: &bandwidth_account::Model,
    read: &bandwidth_account::Model,
) -> Result<bool, DbErr> {
    use bandwidth_account::Column as C;
    let result = bandwidth_account::Entity::update_many()
        .col_expr(C::AccountId, Expr::value(account.account_id.clone()))
        .col_expr(C::UserName, Expr::value(account.user_name.clone()))
        .col_expr(
            C::PasswordCiphertext,
            Expr::value(account.password_ciphertext.clone()),
        )
        .col_expr(
            C::PasswordNonce,
            Expr::value(account.password_nonce.clone()),
        )
        .col_expr(
            C::PasswordKeyId,
            Expr::value(account.password_key_id.clone()),
        )
        .col_expr(C::SiteId, Expr::value(account.site_id.clone()))
        .col_expr(C::SipPeerId, Expr::value(account.sip_peer_id.clone()))
        .col_expr(
            C::ApplicationId,
            Expr::value(account.application_id.clone()),
        )
        .col_expr(C::Address, Expr::value(account.address.clone()))
        .col_expr(C::VerifiedAt, Expr::value(account.verified_at))
        .col_expr(C::UpdatedAt, Expr::value(account.updated_at))
        .filter(C::OrganizationId.eq(read.organization_id))
        .filter(same(C::SiteId, &read.site_id))
        .filter(same(C::SipPeerId, &read.sip_peer_id))
        .filter(same(C::ApplicationId, &read.application_id))
        .filter(same(C::Provisioning, &read.provisioning))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// `column` equals `value`, NULL included.
fn same(column: bandwidth_account::Column, value: &Option<String>) -> sea_orm::Condition {
    match value {
        Some(v) => sea_orm::Condition::all().add(column.eq(v.clone())),
        None => sea_orm::Condition::all().add(column.is_null()),
    }
}

/// What provisioning writes after a step: the ids it created (`None` leaves a column alone), the
/// address a sub-account was created with, and its step log (JSON).
#[derive(Debug, Clone, Default)]
pub struct ProvisioningUpdate {
    pub site_id: Option<String>,
    pub sip_peer_id: Option<String>,
    pub application_id: Option<String>,
    /// `Some` replaces the stored address JSON; `None` keeps it.
    pub address: Option<String>,
    pub provisioning: String,
}

/// Writes provisioning's ids and step log only while the stored log still reads `expected`
/// (the run's own last write, holding its lease): a run whose lease was taken over writes
/// nothing. Only the ids given change, so a credentials update racing with it keeps its own.
pub async fn update_provisioning(
    db: &impl ConnectionTrait,
    organization_id: i32,
    expected: &str,
    update: ProvisioningUpdate,
) -> Result<bool, DbErr> {
    use bandwidth_account::Column as C;
    let mut query = bandwidth_account::Entity::update_many()
        .col_expr(C::Provisioning, Expr::value(update.provisioning))
        .col_expr(C::UpdatedAt, Expr::value(chrono::Utc::now()));
    for (column, value) in [
        (C::SiteId, update.site_id),
        (C::SipPeerId, update.sip_peer_id),
        (C::ApplicationId, update.application_id),
        (C::Address, update.address),
    ] {
        if let Some(value) = value {
            query = query.col_expr(column, Expr::value(value));
        }
    }
    let result = query
        .filter(C::OrganizationId.eq(organization_id))
        .filter(C::Provisioning.eq(expected))
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

/// Every organization's account (the few rows `rotate-secrets` walks through).
pub async fn list_all(db: &impl ConnectionTrait) -> Result<Vec<bandwidth_account::Model>, DbErr> {
    bandwidth_account::Entity::find().all(db).await
}

/// Replaces the sealed password only if it is still the one read (a save in between wins).
pub async fn update_password_if(
    db: &impl ConnectionTrait,
    organization_id: i32,
    read_ciphertext: &str,
    ciphertext: &str,
    nonce: &str,
    key_id: &str,
) -> Result<bool, DbErr> {
    use bandwidth_account::Column as C;
    let result = bandwidth_account::Entity::update_many()
        .col_expr(C::PasswordCiphertext, Expr::value(ciphertext))
        .col_expr(C::PasswordNonce, Expr::value(nonce))
        .col_expr(C::PasswordKeyId, Expr::value(key_id))
        .filter(C::OrganizationId.eq(organization_id))
        .filter(C::PasswordCiphertext.eq(read_ciphertext))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
