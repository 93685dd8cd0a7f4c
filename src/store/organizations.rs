//! Queries on organizations.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

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

/// Organizations by id, ordered by id; every organization when `ids` is `None`.
pub async fn list(
    db: &impl ConnectionTrait,
    ids: Option<Vec<i32>>,
) -> Result<Vec<organization::Model>, DbErr> {
    let mut query = organization::Entity::find().order_by_asc(organization::Column::Id);
    if let Some(ids) = ids {
        query = query.filter(organization::Column::Id.is_in(ids));
    }
    query.all(db).await
}

/// Replaces the settings JSON only if it still reads `expected` (compare-and-swap); returns
/// whether it did. Callers re-read and retry when it did not, so a concurrent write of another
/// key is never lost (Spoke rewrites the whole features string without such a check).
pub async fn update_settings_if(
    db: &impl ConnectionTrait,
    id: i32,
    expected: &str,
    new: &str,
) -> Result<bool, DbErr> {
    let result = organization::Entity::update_many()
        .col_expr(organization::Column::Settings, Expr::value(new.to_owned()))
        .filter(organization::Column::Id.eq(id))
        .filter(organization::Column::Settings.eq(expected.to_owned()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
