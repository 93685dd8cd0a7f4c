use sea_orm::entity::prelude::*;

/// A contact opted out of the organization's texts (every number, every campaign).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_opt_outs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i32,
    pub contact_number: String,
    /// `keyword`, `expression`, `carrier` or `manual`.
    pub source: String,
    /// The keyword texted, the matching expression's reason, the carrier's code, or the
    /// owner's note.
    pub reason: String,
    /// The inbound message that opted out, or the outbound one a carrier refused.
    pub message_id: Option<i64>,
    /// The member who added it by hand.
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
