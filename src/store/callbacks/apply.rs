//! Applying a callback plan: the changes a batch of events makes, decided before any write (by
//! `services::callbacks::plan`), applied the same way on both backends. Every change is still
//! guarded in SQL by the state it moves from (an open status, a new Bandwidth id), so a batch
//! applied concurrently with another, or twice, changes nothing more.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::{Inbound, Pair};
use crate::store::entities::message;

/// A `message-failed` event to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub service_id: String,
    /// Bandwidth's code, when it gave one.
    pub code: Option<i32>,
    pub description: String,
}

/// What one organization's events in a batch change: each outbound message at most once (the
/// first status reported for it in the batch), each inbound message once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgPlan {
    pub org: i32,
    /// Whether sticky-sender is on: deliveries and replies then write the contact's number.
    pub sticky: bool,
    /// Outbound messages (Bandwidth ids) to move to DELIVERED.
    pub deliver: Vec<String>,
    /// Outbound messages to move to ERROR.
    pub fail: Vec<Failure>,
    /// Inbound messages to store.
    pub receive: Vec<Inbound>,
}

impl OrgPlan {
    /// Whether the plan writes nothing.
    pub fn is_empty(&self) -> bool {
        self.deliver.is_empty() && self.fail.is_empty() && self.receive.is_empty()
    }
}

const CHUNK: usize = 200;

/// The send status of each outbound message of the organization among these Bandwidth ids
/// (ids with no such message are absent).
pub async fn statuses(
    db: &impl ConnectionTrait,
    organization_id: i32,
    service_ids: &[&str],
) -> Result<HashMap<String, String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        service_id: String,
        send_status: String,
    }
    let mut found = HashMap::new();
    for chunk in service_ids.chunks(CHUNK) {
        let select = Query::select()
            .columns([message::Column::ServiceId, message::Column::SendStatus])
            .from(message::Entity)
            .and_where(Expr::col(message::Column::OrganizationId).eq(organization_id))
            .and_where(Expr::col(message::Column::IsFromContact).eq(false))
            .and_where(Expr::col(message::Column::ServiceId).is_in(chunk.iter().copied()))
            .to_owned();
        let statement = db.get_database_backend().build(&select);
        for row in Row::find_by_statement(statement).all(db).await? {
            found.insert(row.service_id, row.send_status);
        }
    }
    Ok(found)
}

/// Most sends in flight read for one organization at once.
const IN_FLIGHT_ROWS: u64 = 10_000;

/// The conversations (contact, our number) of the organization's outbound messages being sent
/// right now: posted to Bandwidth (or about to be) since `since`, with no Bandwidth id recorded
/// yet. A status report for a message not stored may belong to one of them.
pub async fn sends_in_flight(
    db: &impl ConnectionTrait,
    organization_id: i32,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<HashSet<Pair>, DbErr> {
    use message::Column as C;
    let select = Query::select()
        .columns([C::ContactNumber, C::UserNumber])
        .from(message::Entity)
        .and_where(Expr::col(C::OrganizationId).eq(organization_id))
        .and_where(Expr::col(C::IsFromContact).eq(false))
        .and_where(Expr::col(message::OPEN_SINCE).gt(since))
        .and_where(Expr::col(C::SendStatus).eq("SENDING"))
        .and_where(Expr::col(C::ServiceId).is_null())
        .limit(IN_FLIGHT_ROWS)
        .to_owned();
    let statement = db.get_database_backend().build(&select);
    Ok(Pair::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The portable path (SQLite): applies the plans in the caller's transaction, a few statements
/// per organization.
pub async fn apply_portable(
    db: &impl ConnectionTrait,
    plans: &[OrgPlan],
    open: &[&str],
) -> Result<(), DbErr> {
    for plan in plans.iter().filter(|p| !p.is_empty()) {
        let org = plan.org;
        let mut sticky_pairs: Vec<Pair> = Vec::new();
        if !plan.deliver.is_empty() {
            let mut changed =
                super::advance_status(db, org, &plan.deliver, "DELIVERED", open).await?;
            // In the plan's order, so the last delivery to a contact names its sticky number.
            let position: HashMap<&str, usize> = plan
                .deliver
                .iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), i))
                .collect();
            changed.sort_by_key(|c| position.get(c.service_id.as_str()).copied());
            sticky_pairs.extend(changed.iter().map(|c| c.pair()));
        }
        for failure in &plan.fail {
            if let Some(changed) = super::fail_message(
                db,
                org,
                &failure.service_id,
                failure.code,
                &failure.description,
                open,
            )
            .await?
            {
                super::record_contact_error(db, org, &changed.contact_number, failure.code).await?;
                crate::store::failures::record(db, changed.id, failure.code).await?;
            }
        }
        if !plan.receive.is_empty() {
            let stored = super::insert_inbound(db, org, &plan.receive).await?;
            // Consent keywords act for the messages stored now, in this transaction.
            crate::store::consent::apply_inbound(db, org, &plan.receive, &stored).await?;
            // A contact who texts one of our active numbers keeps hearing from it.
            let numbers: Vec<String> = stored.iter().map(|p| p.user_number.clone()).collect();
            let ours = super::active_numbers_among(db, org, &numbers).await?;
            sticky_pairs.extend(
                stored
                    .iter()
                    .filter(|p| ours.contains(&p.user_number))
                    .map(|p| p.pair()),
            );
        }
        if plan.sticky && !sticky_pairs.is_empty() {
            super::upsert_sticky(db, org, &sticky_pairs).await?;
        }
    }
    Ok(())
}
