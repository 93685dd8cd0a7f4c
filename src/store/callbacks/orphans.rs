//! Orphan reports: delivery reports acknowledged for messages the organization never stored.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::store::entities::orphan_report;

/// One orphan report to remember.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrphan {
    pub service_id: String,
    pub kind: &'static str,
    pub error_code: Option<i32>,
}

/// Records orphan reports; one already recorded counts up its `times`.
pub async fn record_orphans(
    db: &impl ConnectionTrait,
    organization_id: i32,
    orphans: &[NewOrphan],
) -> Result<(), DbErr> {
    use orphan_report::Column as C;
    let now = chrono::Utc::now();
    // One statement per report: PostgreSQL refuses to upsert one key twice in a statement.
    for orphan in orphans {
        let mut insert = Query::insert();
        insert
            .into_table(orphan_report::Entity)
            .columns([
                C::OrganizationId,
                C::ServiceId,
                C::Kind,
                C::ErrorCode,
                C::Times,
                C::FirstSeenAt,
                C::LastSeenAt,
            ])
            .values_panic([
                organization_id.into(),
                orphan.service_id.clone().into(),
                orphan.kind.into(),
                orphan.error_code.into(),
                1.into(),
                now.into(),
                now.into(),
            ])
            .on_conflict(
                OnConflict::columns([C::OrganizationId, C::ServiceId, C::Kind])
                    .value(
                        C::Times,
                        Expr::col((orphan_report::Entity, C::Times)).add(1),
                    )
                    .update_column(C::LastSeenAt)
                    .to_owned(),
            );
        db.execute(&insert).await?;
    }
    Ok(())
}

/// The organization's most recent orphan reports, newest first.
pub async fn list_orphans(
    db: &impl ConnectionTrait,
    organization_id: i32,
    limit: u64,
) -> Result<Vec<orphan_report::Model>, DbErr> {
    orphan_report::Entity::find()
        .filter(orphan_report::Column::OrganizationId.eq(organization_id))
        .order_by_desc(orphan_report::Column::LastSeenAt)
        .limit(limit)
        .all(db)
        .await
}
