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
    /// `active`, `quarantined`, `retired` (by number health, see `health`) or `released`.
    pub status: String,
    /// Spoke's `service_id`: `<sipPeerId>.<10 digits>`.
    pub service_id: Option<String>,
    /// Epoch milliseconds of the last send (0 = never).
    pub last_used_at: i64,
    pub created_at: DateTimeUtc,
    pub released_at: Option<DateTimeUtc>,
    /// Number health: `healthy`, `quarantined`, `probation` or `retired`.
    pub health: String,
    /// When the number entered its health state (`None`: healthy since it was added).
    pub health_since: Option<DateTimeUtc>,
    /// Why it is in that state (codes and counts), for people.
    #[sea_orm(column_type = "Text", nullable)]
    pub health_reason: Option<String>,
    /// How many times it was quarantined.
    pub quarantines: i32,
    /// In probation: deliveries of messages with a larger id count.
    pub probation_after_message_id: Option<i64>,
    /// Epoch ms until which a volume violation keeps it from being picked (clock time).
    pub paused_until_ms: i64,
    /// Epoch ms from which it is under its per-number rate again (the picker's order).
    pub free_at_ms: i64,
    /// Whether its registration can deliver (copied from `bandwidth_number_registrations` by
    /// triggers; the registration-enforcing picker reads partial indexes over these).
    pub deliverable: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
