use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Shown as Spoke's `displayName`.
    pub name: String,
    pub email: String,
    pub is_superadmin: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
