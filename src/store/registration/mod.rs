//! Queries on 10DLC campaigns and number registrations (issue #16). No business rules: which
//! status makes a number deliverable is decided in `services::registration`.

pub use super::entities::number_registration as number;
pub use super::entities::tendlc_campaign as campaign;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// A campaign as read from Bandwidth.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub campaign_id: String,
    pub status: String,
    pub description: Option<String>,
    pub mno_statuses: String,
    pub imported: bool,
}

/// Stores what a refresh read: listed campaigns upserted (keeping the organization's number-pool
/// mark), the others marked unlisted.
pub async fn replace_campaigns(
    db: &impl ConnectionTrait,
    organization_id: i32,
    campaigns: &[NewCampaign],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use campaign::Column as C;
    campaign::Entity::update_many()
        .col_expr(C::Listed, Expr::value(false))
        .filter(C::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    upsert_campaigns(db, organization_id, campaigns, now).await
}

/// Stores campaigns read from Bandwidth (insert or update), keeping number-pool marks.
pub async fn upsert_campaigns(
    db: &impl ConnectionTrait,
    organization_id: i32,
    campaigns: &[NewCampaign],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use campaign::Column as C;
    for chunk in campaigns.chunks(200) {
        let rows = chunk.iter().map(|c| campaign::ActiveModel {
            organization_id: Set(organization_id),
            campaign_id: Set(c.campaign_id.clone()),
            status: Set(c.status.clone()),
            description: Set(c.description.clone()),
            mno_statuses: Set(c.mno_statuses.clone()),
            imported: Set(c.imported),
            number_pool: Set(false),
            listed: Set(true),
            refreshed_at: Set(now),
            ..Default::default()
        });
        campaign::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::OrganizationId, C::CampaignId])
                    .update_columns([
                        C::Status,
                        C::Description,
                        C::MnoStatuses,
                        C::Imported,
                        C::Listed,
                        C::RefreshedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The organization's campaigns, listed ones first, by id.
pub async fn list_campaigns(
    db: &impl ConnectionTrait,
    organization_id: i32,
) -> Result<Vec<campaign::Model>, DbErr> {
    campaign::Entity::find()
        .filter(campaign::Column::OrganizationId.eq(organization_id))
        .order_by_desc(campaign::Column::Listed)
        .order_by_asc(campaign::Column::CampaignId)
        .all(db)
        .await
}

/// One campaign of the organization.
pub async fn find_campaign(
    db: &impl ConnectionTrait,
    organization_id: i32,
    campaign_id: &str,
) -> Result<Option<campaign::Model>, DbErr> {
    campaign::Entity::find()
        .filter(campaign::Column::OrganizationId.eq(organization_id))
        .filter(campaign::Column::CampaignId.eq(campaign_id))
        .one(db)
        .await
}

/// Sets the organization's number-pool mark of a campaign; false when it is not stored.
pub async fn set_number_pool(
    db: &impl ConnectionTrait,
    organization_id: i32,
    campaign_id: &str,
    number_pool: bool,
) -> Result<bool, DbErr> {
    Ok(campaign::Entity::update_many()
        .col_expr(campaign::Column::NumberPool, Expr::value(number_pool))
        .filter(campaign::Column::OrganizationId.eq(organization_id))
        .filter(campaign::Column::CampaignId.eq(campaign_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Numbers of the organization on a campaign (or being put on it), excluding `except`.
pub async fn count_on_campaign(
    db: &impl ConnectionTrait,
    organization_id: i32,
    campaign_id: &str,
    statuses: &[&str],
) -> Result<u64, DbErr> {
    number::Entity::find()
        .filter(number::Column::OrganizationId.eq(organization_id))
        .filter(number::Column::CampaignId.eq(campaign_id))
        .filter(number::Column::Status.is_in(statuses.iter().copied()))
        .count(db)
        .await
}

/// One number's registration.
pub async fn find_number(
    db: &impl ConnectionTrait,
    organization_id: i32,
    phone_number: &str,
) -> Result<Option<number::Model>, DbErr> {
    number::Entity::find()
        .filter(number::Column::OrganizationId.eq(organization_id))
        .filter(number::Column::PhoneNumber.eq(phone_number))
        .one(db)
        .await
}

/// The organization's registrations of one kind (`LOCAL` / `TOLL_FREE`), at most `limit`.
pub async fn list_numbers(
    db: &impl ConnectionTrait,
    organization_id: i32,
    kind: &str,
    limit: u64,
) -> Result<Vec<number::Model>, DbErr> {
    number::Entity::find()
        .filter(number::Column::OrganizationId.eq(organization_id))
        .filter(number::Column::Kind.eq(kind))
        .order_by_asc(number::Column::PhoneNumber)
        .limit(limit)
        .all(db)
        .await
}

/// A number's registration as a service decided it.
#[derive(Debug, Clone)]
pub struct NumberState {
    pub phone_number: String,
    pub kind: &'static str,
    pub campaign_id: Option<String>,
    pub status: &'static str,
    pub deliverable: bool,
    pub error_code: Option<String>,
    pub error_text: Option<String>,
    pub resubmit_allowed: Option<bool>,
    pub order_id: Option<String>,
}

/// Writes numbers' registrations (insert or replace).
pub async fn save_numbers(
    db: &impl ConnectionTrait,
    organization_id: i32,
    states: &[NumberState],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use number::Column as C;
    for chunk in states.chunks(200) {
        let rows = chunk.iter().map(|s| number::ActiveModel {
            organization_id: Set(organization_id),
            phone_number: Set(s.phone_number.clone()),
            kind: Set(s.kind.to_owned()),
            campaign_id: Set(s.campaign_id.clone()),
            status: Set(s.status.to_owned()),
            deliverable: Set(s.deliverable),
            error_code: Set(s.error_code.clone()),
            error_text: Set(s.error_text.clone()),
            resubmit_allowed: Set(s.resubmit_allowed),
            order_id: Set(s.order_id.clone()),
            updated_at: Set(now),
            ..Default::default()
        });
        number::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::OrganizationId, C::PhoneNumber])
                    .update_columns([
                        C::Kind,
                        C::CampaignId,
                        C::Status,
                        C::Deliverable,
                        C::ErrorCode,
                        C::ErrorText,
                        C::ResubmitAllowed,
                        C::OrderId,
                        C::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Marks a number's registration broken (not deliverable) with Bandwidth's failure; false when
/// the organization has no registration for it (nothing to break: it was never deliverable).
pub async fn mark_broken(
    db: &impl ConnectionTrait,
    organization_id: i32,
    phone_number: &str,
    error_code: Option<String>,
    error_text: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use number::Column as C;
    Ok(number::Entity::update_many()
        .col_expr(C::Status, Expr::value("BROKEN"))
        .col_expr(C::Deliverable, Expr::value(false))
        .col_expr(C::ErrorCode, Expr::value(error_code))
        .col_expr(C::ErrorText, Expr::value(error_text.to_owned()))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::OrganizationId.eq(organization_id))
        .filter(C::PhoneNumber.eq(phone_number))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Makes the REGISTERED numbers of a campaign deliverable or not (its status changed).
pub async fn set_campaign_deliverable(
    db: &impl ConnectionTrait,
    organization_id: i32,
    campaign_id: &str,
    deliverable: bool,
) -> Result<(), DbErr> {
    number::Entity::update_many()
        .col_expr(number::Column::Deliverable, Expr::value(deliverable))
        .filter(number::Column::OrganizationId.eq(organization_id))
        .filter(number::Column::CampaignId.eq(campaign_id))
        .filter(number::Column::Status.eq("REGISTERED"))
        .exec(db)
        .await
        .map(|_| ())
}

/// Whether one number is deliverable.
pub async fn is_deliverable(
    db: &impl ConnectionTrait,
    organization_id: i32,
    phone_number: &str,
) -> Result<bool, DbErr> {
    Ok(number::Entity::find()
        .filter(number::Column::OrganizationId.eq(organization_id))
        .filter(number::Column::PhoneNumber.eq(phone_number))
        .filter(number::Column::Deliverable.eq(true))
        .one(db)
        .await?
        .is_some())
}

/// Every registration of the organization (for a summary of what is missing).
pub async fn list_all_numbers(
    db: &impl ConnectionTrait,
    organization_id: i32,
) -> Result<Vec<number::Model>, DbErr> {
    number::Entity::find()
        .filter(number::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await
}

/// Whether one of the organization's active numbers is deliverable (the copy the picker reads,
/// so this says no exactly when an enforcing pick finds nothing).
pub async fn has_deliverable_active(
    db: &impl ConnectionTrait,
    organization_id: i32,
) -> Result<bool, DbErr> {
    use super::entities::phone_number;
    Ok(phone_number::Entity::find()
        .filter(phone_number::Column::OrganizationId.eq(organization_id))
        .filter(phone_number::Column::Status.eq(super::phone_numbers::ACTIVE))
        .filter(phone_number::Column::Deliverable.eq(true))
        .one(db)
        .await?
        .is_some())
}
