use sea_orm::entity::prelude::*;

/// A number of an organization's Bandwidth location.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_phone_numbers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organization_id: i32,
    /// E.164.
    pub phone_number: String,
    pub area_code: String,
    /// Region of the area code, or "N/A".
    pub state: String,
    /// `active`, `quarantined` or `released`.
    pub status: String,
    /// Spoke's `service_id`: `<sipPeerId>.<10 digits>`.
    pub service_id: Option<String>,
    /// Epoch milliseconds of the last send (0 = never).
    pub last_used_at: i64,
    pub created_at: DateTimeUtc,
    pub released_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
