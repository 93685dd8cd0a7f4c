use sea_orm::entity::prelude::*;

/// A durable background job.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organization_id: i32,
    pub kind: String,
    /// JSON payload of the kind.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// `PENDING`, `RUNNING`, `SUCCEEDED` or `FAILED`.
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Epoch ms when the job may run next.
    pub run_at: i64,
    pub lease_owner: Option<String>,
    /// Epoch ms when the lease ends.
    pub lease_expires_at: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub result_message: Option<String>,
    /// Jobs of one organization with the same lane run one at a time (`numbers` for inventory
    /// jobs); `None` runs beside anything.
    pub lane: Option<String>,
    /// The idempotency key while the job is `PENDING` or `RUNNING` (unique per organization);
    /// `None` once it ended, or for jobs that may be queued twice.
    pub active_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
