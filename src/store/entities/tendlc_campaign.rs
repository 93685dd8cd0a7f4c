//! Entity of `bandwidth_tendlc_campaigns`: a 10DLC campaign Bandwidth lists for the
//! organization's account, as last refreshed.

use sea_orm::entity::prelude::*;

/// One campaign of one organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_tendlc_campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organization_id: i32,
    /// TCR campaign id.
    pub campaign_id: String,
    /// `ACTIVE` or `EXPIRED` (TCR's view).
    pub status: String,
    pub description: Option<String>,
    /// JSON array of `{mno, mnoId, status}`.
    pub mno_statuses: String,
    /// Read from the imports API.
    pub imported: bool,
    /// The organization says Bandwidth granted a T-Mobile number pool.
    pub number_pool: bool,
    /// Whether the last refresh listed it.
    pub listed: bool,
    pub refreshed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
