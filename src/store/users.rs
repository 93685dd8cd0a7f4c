//! Queries on users, their API tokens and their memberships.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, FromQueryResult, Set};

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

/// The user holding an unrevoked token with this hash, and every membership of theirs: one
/// statement (the token, its user and the memberships joined), as every API request asks it.
pub async fn find_user_by_token_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<(user::Model, Vec<membership::Model>)>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i32,
        name: String,
        email: String,
        is_superadmin: bool,
        created_at: chrono::DateTime<chrono::Utc>,
        organization_id: Option<i32>,
        role: Option<String>,
    }
    let mut query = Query::select();
    query
        .columns([
            (user::Entity, user::Column::Id),
            (user::Entity, user::Column::Name),
            (user::Entity, user::Column::Email),
            (user::Entity, user::Column::IsSuperadmin),
            (user::Entity, user::Column::CreatedAt),
        ])
        .columns([
            (membership::Entity, membership::Column::OrganizationId),
            (membership::Entity, membership::Column::Role),
        ])
        .from(api_token::Entity)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((api_token::Entity, api_token::Column::UserId)),
        )
        .left_join(
            membership::Entity,
            Expr::col((membership::Entity, membership::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .and_where(Expr::col((api_token::Entity, api_token::Column::TokenHash)).eq(token_hash))
        .and_where(Expr::col((api_token::Entity, api_token::Column::RevokedAt)).is_null());
    let rows = Row::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let user = user::Model {
        id: first.id,
        name: first.name.clone(),
        email: first.email.clone(),
        is_superadmin: first.is_superadmin,
        created_at: first.created_at,
    };
    let memberships = rows
        .into_iter()
        .filter_map(|row| {
            Some(membership::Model {
                user_id: row.id,
                organization_id: row.organization_id?,
                role: row.role?,
            })
        })
        .collect();
    Ok(Some((user, memberships)))
}
