//! Queries on users, their API tokens and their memberships.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::entities::{api_token, membership, user};

/// Inserts a user.
pub async fn insert_user(
    db: &impl ConnectionTrait,
    name: &str,
    email: &str,
    is_superadmin: bool,
) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        name: Set(name.to_owned()),
        email: Set(email.to_owned()),
        is_superadmin: Set(is_superadmin),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Inserts a token hash for a user.
pub async fn insert_token(
    db: &impl ConnectionTrait,
    user_id: i32,
    token_hash: &str,
) -> Result<api_token::Model, DbErr> {
    api_token::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token_hash.to_owned()),
        created_at: Set(chrono::Utc::now()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Gives a user a role in an organization.
pub async fn insert_membership(
    db: &impl ConnectionTrait,
    user_id: i32,
    organization_id: i32,
    role: &str,
) -> Result<(), DbErr> {
    membership::ActiveModel {
        user_id: Set(user_id),
        organization_id: Set(organization_id),
        role: Set(role.to_owned()),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// The user holding an unrevoked token with this hash.
pub async fn find_user_by_token_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<user::Model>, DbErr> {
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    user::Entity::find_by_id(token.user_id).one(db).await
}

/// Every membership of a user.
pub async fn list_memberships(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(db)
        .await
}
