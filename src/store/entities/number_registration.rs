//! Entity of `bandwidth_number_registrations`: a number's 10DLC campaign or toll-free
//! verification, and whether it may send.

use sea_orm::entity::prelude::*;

/// One number's registration.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_number_registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organization_id: i32,
    /// E.164.
    pub phone_number: String,
    /// `LOCAL` or `TOLL_FREE`.
    pub kind: String,
    pub campaign_id: Option<String>,
    /// See the migration for the values per kind.
    pub status: String,
    /// Whether the picker may choose it when enforcement is on.
    pub deliverable: bool,
    /// Bandwidth's code of the last failure or denial.
    pub error_code: Option<String>,
    /// Bandwidth's text of the last failure or denial.
    pub error_text: Option<String>,
    /// Toll-free: whether Bandwidth allows a resubmission.
    pub resubmit_allowed: Option<bool>,
    /// The TN option order that last changed it.
    pub order_id: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
