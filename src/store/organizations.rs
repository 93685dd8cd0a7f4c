//! Queries on organizations.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};

use super::entities::organization;

/// Inserts an organization with empty settings.
pub async fn insert(db: &impl ConnectionTrait, name: &str) -> Result<organization::Model, DbErr> {
    organization::ActiveModel {
        name: Set(name.to_owned()),
        settings: Set("{}".to_owned()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Finds an organization by id.
pub async fn find(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find_by_id(id).one(db).await
}
