use sea_orm::entity::prelude::*;

/// A delivery report for a message the organization never stored, acknowledged to Bandwidth.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_orphan_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_id: String,
    /// `message-delivered` or `message-failed`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    pub error_code: Option<i32>,
    /// How many times Bandwidth delivered it.
    pub times: i32,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
