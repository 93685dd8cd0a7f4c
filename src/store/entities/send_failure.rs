use sea_orm::entity::prelude::*;

/// A failed send not yet accounted by the failure handlers (the failure outbox).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_send_failures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i32,
    /// Our message id.
    pub message_id: i64,
    /// The number of ours that sent it.
    pub user_number: String,
    pub contact_number: String,
    /// Bandwidth's code, when it gave one.
    pub error_code: Option<i32>,
    /// The message's text.
    pub text: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
