//! The work of the inventory jobs against Bandwidth (contract §2.10–§2.14): reconcile the
//! store with a location's numbers, buy numbers through an order, release unused numbers
//! through a disconnect order. `numbers::run_job` dispatches here; provisioning calls
//! [`sync_location`] directly as its last step.
//!
//! Decisions:
//! - Toll-free: area code `800` means "any toll-free number" (Spoke's meaning) and orders with
//!   the wildcard `8**`; another toll-free prefix orders `<first two digits>*` (Bandwidth's
//!   wildcard always ends in `*`, so `888` asks for `88*`). Numbers are stored under their own
//!   prefix (an `800` order may bring `833…` numbers).
//! - An order is placed once per job, whatever crashes when: before the order is sent, the
//!   job's payload records its `CustomerOrderId` (`sbw-<org>-job-<id>-<8 hex>`: unique to the
//!   job, also across databases sharing one Bandwidth account, and at most 40 characters); once
//!   placed, the order id is recorded too. A run that finds a customer order id without an order
//!   id (the previous run was killed, or lost the answer, between the two) first looks the order
//!   up by its customer order id (`GET /orders?customerOrderId=`) and polls the one it finds; only
//!   when there is none does it place the order, with the same customer order id. So a create
//!   call that timed out or was cut off is a transient failure: the retry finds the order.
//!   One window stays open: a create call still in flight at Bandwidth when the retry looks (the
//!   retry waits `JOB_RETRY_BASE_MS` first; a takeover waits for the lease to expire).
//! - Every write to the store is made under the job's lease (`jobs::begin_effects`), so a run
//!   that lost its lease changes nothing.
//! - A disconnect is safe to repeat: numbers Bandwidth says are not on the account (5006) are
//!   released here too.
//!
//! Must not import `graphql` or `http`.

use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::time::Duration;

use crate::bandwidth::{self, BandwidthClient, NewDisconnect, NewOrder, OrderStatus};
use crate::error::AppError;
use crate::services::jobs::{self, JobContext, JobFailure, JobSpec};
use crate::services::{area_codes, bandwidth_api};
use crate::state::AppState;
use crate::store;
use crate::store::entities::bandwidth_account;
use crate::store::phone_numbers::NewNumber;

/// Delay before the first status poll of an order; it doubles up to [`POLL_MAX_DELAY`].
pub const POLL_FIRST_DELAY: Duration = Duration::from_millis(250);
/// Longest wait between two polls.
pub const POLL_MAX_DELAY: Duration = Duration::from_secs(5);
/// How long one run waits for an order to finish before handing the job back for a retry
/// (the runner renews the job's lease meanwhile; a retry polls the same order).
pub const POLL_BUDGET: Duration = Duration::from_secs(60);
/// Most numbers Bandwidth takes in one disconnect order.
const DISCONNECT_CHUNK: usize = 5000;

/// Inventory work that did not succeed: Bandwidth's answer, kept whole so callers can tell a
/// transient failure from a permanent one, or one of ours.
#[derive(Debug)]
pub enum Failure {
    /// Bandwidth refused, or could not be reached.
    Bandwidth(bandwidth::Error),
    /// Our own failure (missing setup, database).
    App(AppError),
}

impl From<bandwidth::Error> for Failure {
    fn from(e: bandwidth::Error) -> Self {
        Failure::Bandwidth(e)
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(e: sea_orm::DbErr) -> Self {
        Failure::App(e.into())
    }
}

impl From<Failure> for JobFailure {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Bandwidth(e) => JobFailure {
                message: e.to_string(),
                transient: e.is_transient(),
            },
            Failure::App(e) => e.into(),
        }
    }
}

/// What a sync changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Numbers Bandwidth lists on the location.
    pub on_bandwidth: usize,
    /// Numbers that became active here.
    pub added: usize,
    /// Numbers marked released because Bandwidth says they are no longer on the account.
    pub released: usize,
    /// Held numbers the location does not list but that are still in service on the account
    /// (another location or site): kept, never released by a configuration change.
    pub kept_elsewhere: usize,
    /// Held numbers not listed on the location and not yet checked with the account (more than
    /// [`MAX_SERVICE_CHECKS`] in one sync): kept until a later sync checks them.
    pub unchecked: usize,
}

/// The most held numbers one sync checks one by one against the account's in-service numbers.
pub const MAX_SERVICE_CHECKS: usize = 100;

impl SyncReport {
    /// The job's result message.
    pub fn message(&self) -> String {
        let mut message = format!(
            "{} on the Bandwidth location; {} added, {} released (no longer on the account)",
            count(self.on_bandwidth, "number"),
            self.added,
            self.released
        );
        if self.kept_elsewhere > 0 {
            message.push_str(&format!(
                "; {} not on this location but still in service on the account, kept (move them to this location in Bandwidth's portal to send from them here)",
                count(self.kept_elsewhere, "number")
            ));
        }
        if self.unchecked > 0 {
            message.push_str(&format!(
                "; {} not listed and not checked yet, kept: run syncPhoneNumbers again",
                count(self.unchecked, "number")
            ));
        }
        message
    }
}

/// Reconciles the organization's numbers with its location's (job `sync_phone_numbers`),
/// writing under the job's lease.
pub async fn sync(state: &AppState, job: &JobContext) -> Result<SyncReport, Failure> {
    let (client, account) = bandwidth_api::client_for_org(state, job.organization_id).await?;
    let (site_id, sip_peer_id) = location_of(&account)?;
    reconcile(
        state,
        job.organization_id,
        &client,
        site_id,
        sip_peer_id,
        Some(job),
    )
    .await
}

/// Reconciles the store with every page of a location's numbers: numbers Bandwidth lists become
/// active (a quarantined one stays quarantined). A held number the location does not list is
/// released only when the account itself says it is not in service (contract-2 §12), checked
/// number by number, so a changed or emptied location, or an empty or truncated answer, releases
/// nothing: those numbers are still on the account and billed.
#[tracing::instrument(skip_all, fields(org_id = organization_id))]
pub async fn sync_location(
    state: &AppState,
    organization_id: i32,
    client: &BandwidthClient,
    site_id: &str,
    sip_peer_id: &str,
) -> Result<SyncReport, Failure> {
    let report = reconcile(state, organization_id, client, site_id, sip_peer_id, None).await;
    refresh_statistics(state).await;
    report
}

/// After a write that may have stored many numbers or registrations (an inventory job, even a
/// failed one, as a partial order stores what arrived; provisioning's sync): PostgreSQL's
/// statistics of them, so the picker's plan keeps its indexes. A failure is logged, and
/// autovacuum will do it later.
pub(crate) async fn refresh_statistics(state: &AppState) {
    if let Err(e) = store::phone_numbers::refresh_statistics(&state.db).await {
        tracing::warn!(error = %e, "could not refresh the statistics of numbers and registrations; autovacuum will");
    }
}

/// [`sync_location`], its writes made under `job`'s lease when given.
async fn reconcile(
    state: &AppState,
    organization_id: i32,
    client: &BandwidthClient,
    site_id: &str,
    sip_peer_id: &str,
    job: Option<&JobContext>,
) -> Result<SyncReport, Failure> {
    let listed = client.list_sip_peer_numbers(site_id, sip_peer_id).await?;
    let on_bandwidth: BTreeSet<String> = listed
        .iter()
        .filter_map(|n| {
            let digits = ten_digits(&n.full_number);
            if digits.is_none() {
                tracing::warn!(number = %n.full_number, "Bandwidth listed a number that is not a 10-digit NANP number; skipped");
            }
            digits
        })
        .collect();
    let held = store::phone_numbers::list_held(&state.db, organization_id, None).await?;
    let held_numbers: HashSet<&str> = held.iter().map(|n| n.phone_number.as_str()).collect();
    let listed_e164: HashSet<String> = on_bandwidth.iter().map(|d| format!("+1{d}")).collect();
    let new: Vec<NewNumber> = on_bandwidth
        .iter()
        .filter(|d| !held_numbers.contains(format!("+1{d}").as_str()))
        .map(|d| new_number(sip_peer_id, d))
        .collect();
    let unlisted: Vec<&str> = held
        .iter()
        .filter(|n| !listed_e164.contains(&n.phone_number))
        .map(|n| n.phone_number.as_str())
        .collect();
    let mut gone = Vec::new();
    let mut kept_elsewhere = 0;
    for number in unlisted.iter().take(MAX_SERVICE_CHECKS) {
        let Some(digits) = ten_digits(number) else {
            continue;
        };
        if client.is_in_service(&digits).await? {
            kept_elsewhere += 1;
        } else {
            gone.push((*number).to_owned());
        }
    }
    let unchecked = unlisted.len().saturating_sub(MAX_SERVICE_CHECKS);
    if kept_elsewhere > 0 || unchecked > 0 {
        tracing::warn!(
            kept_elsewhere,
            unchecked,
            "held numbers are not on the synced location; kept, since the account still has them or they were not checked"
        );
    }
    let txn = match job {
        Some(job) => jobs::begin_effects(state, job).await?,
        None => sea_orm::TransactionTrait::begin(&state.db).await?,
    };
    store::phone_numbers::upsert_active(&txn, organization_id, &new).await?;
    let released = store::phone_numbers::release(&txn, organization_id, &gone).await?;
    crate::services::health::on_released(&txn, &state.clock, organization_id, &gone).await?;
    txn.commit().await?;
    Ok(SyncReport {
        on_bandwidth: on_bandwidth.len(),
        added: new.len(),
        released: released as usize,
        kept_elsewhere,
        unchecked,
    })
}

/// Buys numbers (job `buy_phone_numbers`): places one order (or resumes the one recorded in the
/// job, or finds the one an interrupted run placed), polls it with backoff, and stores what
/// arrived.
#[tracing::instrument(skip_all, fields(org_id = job.organization_id, job_id = job.id))]
pub async fn buy(
    state: &AppState,
    job: &JobContext,
    area_code: &str,
    limit: u32,
    customer_order_id: Option<String>,
    order_id: Option<String>,
) -> Result<String, JobFailure> {
    let (client, account) = bandwidth_api::client_for_org(state, job.organization_id)
        .await
        .map_err(Failure::from)?;
    let (site_id, sip_peer_id) = location_of(&account)?;
    let spec = |customer_order_id: &str, order_id: Option<&str>| JobSpec::BuyPhoneNumbers {
        area_code: area_code.to_owned(),
        limit,
        customer_order_id: Some(customer_order_id.to_owned()),
        order_id: order_id.map(str::to_owned),
    };
    let order_id = match order_id {
        Some(id) => id,
        None => {
            let (reference, maybe_placed) = match customer_order_id {
                Some(reference) => (reference, true),
                None => {
                    // The intent is on record before the order can exist at Bandwidth.
                    let reference = customer_order_id_for(job);
                    jobs::update_spec(state, job, &spec(&reference, None)).await?;
                    (reference, false)
                }
            };
            let earlier = if maybe_placed {
                find_earlier_order(&client, &reference).await?
            } else {
                None
            };
            let id = match earlier {
                Some(id) => {
                    tracing::info!(order_id = %id, customer_order_id = %reference, "found the order an interrupted run placed; not ordering again");
                    id
                }
                None => {
                    let order = new_order(job, site_id, sip_peer_id, area_code, limit, &reference);
                    let placed = client
                        .create_order(&order)
                        .await
                        .map_err(|e| placing_failure(e, &reference))?;
                    let id = placed
                        .id()
                        .ok_or_else(|| {
                            JobFailure::permanent("Bandwidth answered without an order id")
                        })?
                        .to_owned();
                    tracing::info!(order_id = %id, customer_order_id = %reference, "placed a number order");
                    id
                }
            };
            jobs::update_spec(state, job, &spec(&reference, Some(&id))).await?;
            id
        }
    };
    let polled = poll(
        || client.get_order(&order_id),
        |o| o.order_status.as_ref().is_some_and(OrderStatus::is_final),
    )
    .await
    .map_err(Failure::from)?;
    let Some(order) = polled else {
        return Err(JobFailure {
            message: format!(
                "Bandwidth order {order_id} is not finished yet; checking again later"
            ),
            transient: true,
        });
    };
    let arrived: Vec<NewNumber> = order
        .completed_numbers()
        .iter()
        .filter_map(|n| ten_digits(n))
        .map(|d| new_number(sip_peer_id, &d))
        .collect();
    let txn = jobs::begin_effects(state, job).await?;
    store::phone_numbers::upsert_active(&txn, job.organization_id, &arrived)
        .await
        .map_err(Failure::from)?;
    txn.commit().await.map_err(Failure::from)?;
    // Issue #16: numbers go onto the organization's default 10DLC campaign within this job.
    let bought: Vec<String> = arrived.iter().map(|n| n.phone_number.clone()).collect();
    let registered = crate::services::registration::assign::assign_bought(state, job, &bought)
        .await
        .map(|note| format!("; {note}"))
        .unwrap_or_default();
    let reasons = describe(&order.errors());
    let what = if area_codes::is_toll_free(area_code) {
        "toll-free numbers"
    } else {
        "numbers"
    };
    match order.order_status {
        Some(OrderStatus::Complete) => Ok(format!(
            "bought {} in {area_code} (Bandwidth order {order_id}){registered}",
            count(arrived.len(), "number")
        )),
        Some(OrderStatus::Partial) => Ok(format!(
            "partial order: {} of {limit} {what} arrived in {area_code} (Bandwidth order {order_id}); Bandwidth said: {reasons}{registered}",
            arrived.len()
        )),
        _ => Err(JobFailure::permanent(format!(
            "Bandwidth could not fill the order for {limit} {what} in {area_code} (order {order_id}): {reasons}"
        ))),
    }
}

/// The `CustomerOrderId` of a job's order: the organization, the job and 8 random hex digits
/// (a reused job id of another database on the same Bandwidth account never matches it);
/// at most 40 characters, letters, digits and dashes.
fn customer_order_id_for(job: &JobContext) -> String {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!("sbw-{}-job-{}-{}", job.organization_id, job.id, &nonce[..8])
}

/// The id of the order carrying `customer_order_id`, when an earlier run placed one.
async fn find_earlier_order(
    client: &BandwidthClient,
    customer_order_id: &str,
) -> Result<Option<String>, JobFailure> {
    let found = client
        .find_orders_by_customer_order_id(customer_order_id)
        .await
        .map_err(Failure::from)?;
    if found.len() > 1 {
        tracing::warn!(count = found.len(), %customer_order_id, "Bandwidth holds several orders with this job's customer order id; following the first");
    }
    Ok(found.into_iter().next().and_then(|o| o.order_id))
}

/// What a failed create-order call means for the job. An answer that never arrived (timeout,
/// connection cut) may hide a placed order, and a 2xx we could not read (cut short, no order id)
/// is one: that is transient, and the retry looks the order up by its customer order id before
/// ordering.
fn placing_failure(e: bandwidth::Error, customer_order_id: &str) -> JobFailure {
    match e {
        e @ (bandwidth::Error::Timeout { .. }
        | bandwidth::Error::Transport { .. }
        | bandwidth::Error::Decode { .. }
        | bandwidth::Error::Incomplete { .. }) => JobFailure {
            message: format!(
                "{e}; the order may have been placed, so the next attempt looks for order {customer_order_id} before ordering"
            ),
            transient: true,
        },
        e => Failure::Bandwidth(e).into(),
    }
}

/// Releases the organization's unused numbers in an area code (job `delete_phone_numbers`)
/// with disconnect orders; a number stays active when Bandwidth refuses to disconnect it.
#[tracing::instrument(skip_all, fields(org_id = job.organization_id))]
pub async fn release_unused(
    state: &AppState,
    job: &JobContext,
    area_code: &str,
) -> Result<String, Failure> {
    let organization_id = job.organization_id;
    let (client, _account) = bandwidth_api::client_for_org(state, organization_id).await?;
    let unused =
        store::phone_numbers::list_unused_in_area_code(&state.db, organization_id, area_code)
            .await?;
    if unused.is_empty() {
        return Ok(format!("no unused numbers in {area_code} to release"));
    }
    let digits: Vec<String> = unused
        .iter()
        .filter_map(|n| ten_digits(&n.phone_number))
        .collect();
    let mut released = Vec::new();
    let mut refused = Vec::new();
    let mut reasons = Vec::new();
    for chunk in digits.chunks(DISCONNECT_CHUNK) {
        let name = format!("Spoke org {organization_id} release {area_code}");
        let placed = client
            .create_disconnect(&NewDisconnect::new(name, chunk.iter().cloned()))
            .await?;
        let id = placed
            .id()
            .ok_or_else(|| AppError::Upstream("Bandwidth answered without a disconnect id".into()))?
            .to_owned();
        let done = match placed.order_status {
            Some(ref s) if s.is_final() => Some(placed),
            _ => {
                poll(
                    || client.get_disconnect(&id),
                    |d| d.order_status.as_ref().is_some_and(OrderStatus::is_final),
                )
                .await?
            }
        };
        let Some(done) = done else {
            return Err(AppError::Upstream(format!(
                "Bandwidth disconnect order {id} is not finished yet; run syncPhoneNumbers later to see which numbers left"
            ))
            .into());
        };
        let errors = done.errors();
        // Numbers Bandwidth says are not on the account (5006) are gone already.
        let not_on_account: HashSet<&str> = errors
            .iter()
            .filter(|e| e.code == "5006")
            .filter_map(|e| e.telephone_number.as_deref())
            .collect();
        let disconnected: HashSet<String> = done.disconnected_numbers().into_iter().collect();
        let refused_numbers: HashSet<&str> = errors
            .iter()
            .filter(|e| e.code != "5006")
            .filter_map(|e| e.telephone_number.as_deref())
            .collect();
        let mut gone_here = Vec::new();
        for number in chunk {
            let gone = disconnected.contains(number)
                || not_on_account.contains(number.as_str())
                || (done.order_status == Some(OrderStatus::Complete)
                    && !refused_numbers.contains(number.as_str()));
            if gone {
                gone_here.push(format!("+1{number}"));
            } else {
                refused.push(number.clone());
            }
        }
        if errors.iter().any(|e| e.code != "5006") {
            tracing::warn!(disconnect_id = %id, errors = %describe(&errors), "Bandwidth refused part of a disconnect");
            reasons.push(describe(&errors));
        }
        let txn = jobs::begin_effects(state, job).await?;
        let released_now = store::phone_numbers::release(&txn, organization_id, &gone_here).await?;
        crate::services::health::on_released(&txn, &state.clock, organization_id, &gone_here)
            .await?;
        txn.commit().await?;
        released.extend(gone_here);
        tracing::info!(disconnect_id = %id, released = released_now, "released numbers");
    }
    if released.is_empty() {
        return Err(AppError::Upstream(format!(
            "Bandwidth disconnected none of the {} unused numbers in {area_code}: {}",
            digits.len(),
            reasons.join("; ")
        ))
        .into());
    }
    let mut message = format!(
        "released {} in {area_code} with a Bandwidth disconnect order",
        count(released.len(), "unused number")
    );
    if !refused.is_empty() {
        message.push_str(&format!(
            "; {} stayed active because Bandwidth refused to disconnect them: {}",
            refused.len(),
            reasons.join("; ")
        ));
    }
    Ok(message)
}

/// The wildcard pattern for a toll-free prefix: `8**` for `800` (any toll-free number, as
/// Spoke means it), else the first two digits and `*`; `None` for a local area code.
pub fn toll_free_pattern(area_code: &str) -> Option<String> {
    if !area_codes::is_toll_free(area_code) {
        return None;
    }
    Some(if area_code == "800" {
        "8**".to_owned()
    } else {
        format!("{}*", &area_code[..2])
    })
}

/// The 10 NANP digits of a number written as 10 digits, `1` + 10 digits or `+1` + 10 digits.
pub fn ten_digits(number: &str) -> Option<String> {
    let number = number.trim();
    let digits = match number.strip_prefix('+') {
        Some(e164) => e164.strip_prefix('1')?,
        None if number.len() == 11 => number.strip_prefix('1')?,
        None => number,
    };
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_owned())
}

fn new_number(sip_peer_id: &str, digits: &str) -> NewNumber {
    let area_code = &digits[..3];
    NewNumber {
        phone_number: format!("+1{digits}"),
        area_code: area_code.to_owned(),
        state: area_codes::region_of(area_code).to_owned(),
        service_id: Some(format!("{sip_peer_id}.{digits}")),
    }
}

fn new_order(
    job: &JobContext,
    site_id: &str,
    sip_peer_id: &str,
    area_code: &str,
    limit: u32,
    customer_order_id: &str,
) -> NewOrder {
    let mut order = match toll_free_pattern(area_code) {
        Some(pattern) => NewOrder::toll_free(site_id, pattern, limit),
        None => NewOrder::area_code(site_id, area_code, limit),
    };
    order.name = Some(format!(
        "Spoke org {} buy {limit} in {area_code}",
        job.organization_id
    ));
    order.customer_order_id = Some(customer_order_id.to_owned());
    order.peer_id = Some(sip_peer_id.to_owned());
    order.partial_allowed = Some(true);
    order.back_order_requested = Some(false);
    order
}

/// The location numbers live on; an input error until provisioning has set it.
fn location_of(account: &bandwidth_account::Model) -> Result<(&str, &str), AppError> {
    match (account.site_id.as_deref(), account.sip_peer_id.as_deref()) {
        (Some(site), Some(peer)) => Ok((site, peer)),
        _ => Err(AppError::InvalidInput(
            "this organization has no Bandwidth sub-account and location yet: run provisionBandwidth first".into(),
        )),
    }
}

/// Calls `fetch` after growing delays until `done` holds; `None` when [`POLL_BUDGET`] ran out.
async fn poll<T, F, Fut>(
    mut fetch: F,
    done: impl Fn(&T) -> bool,
) -> Result<Option<T>, bandwidth::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, bandwidth::Error>>,
{
    let mut delay = POLL_FIRST_DELAY;
    let mut waited = Duration::ZERO;
    while waited < POLL_BUDGET {
        tokio::time::sleep(delay).await;
        waited += delay;
        let answer = fetch().await?;
        if done(&answer) {
            return Ok(Some(answer));
        }
        delay = (delay * 2).min(POLL_MAX_DELAY);
    }
    Ok(None)
}

fn describe(errors: &[bandwidth::ApiError]) -> String {
    if errors.is_empty() {
        return "no reason given".to_owned();
    }
    errors
        .iter()
        .map(|e| match &e.telephone_number {
            Some(n) => format!("(code {}) {} [{n}]", e.code, e.description),
            None => format!("(code {}) {}", e.code, e.description),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toll_free_prefixes_map_to_bandwidths_wildcards() {
        assert_eq!(toll_free_pattern("800").as_deref(), Some("8**"));
        assert_eq!(toll_free_pattern("888").as_deref(), Some("88*"));
        assert_eq!(toll_free_pattern("833").as_deref(), Some("83*"));
        assert_eq!(toll_free_pattern("919"), None);
    }

    #[test]
    fn numbers_are_read_as_ten_nanp_digits() {
        assert_eq!(ten_digits("9195550100").as_deref(), Some("9195550100"));
        assert_eq!(ten_digits("+19195550100").as_deref(), Some("9195550100"));
        assert_eq!(ten_digits("19195550100").as_deref(), Some("9195550100"));
        for bad in ["919555010", "29195550100", "+4420794600", "91955501a0"] {
            assert_eq!(ten_digits(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_new_number_carries_its_area_code_region_and_service_id() {
        let n = new_number("500000", "9195550100");
        assert_eq!(n.phone_number, "+19195550100");
        assert_eq!(n.area_code, "919");
        assert_eq!(n.state, "North Carolina");
        assert_eq!(n.service_id.as_deref(), Some("500000.9195550100"));
    }

    #[test]
    fn an_order_asks_for_an_area_code_or_a_toll_free_wildcard_on_our_location() {
        let job = JobContext {
            id: 7,
            organization_id: 3,
            attempt: 1,
            owner: "runner".into(),
            lease: Duration::from_secs(60),
        };
        let reference = customer_order_id_for(&job);
        assert!(reference.starts_with("sbw-3-job-7-") && reference.len() <= 40);
        assert!(
            reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        );
        assert_ne!(reference, customer_order_id_for(&job), "unique to the job");
        let local = new_order(&job, "10000", "500000", "919", 5, &reference);
        assert!(
            matches!(local.order_type, bandwidth::OrderType::AreaCode(ref a) if a.area_code == "919" && a.quantity == 5)
        );
        assert_eq!(local.peer_id.as_deref(), Some("500000"));
        assert_eq!(local.customer_order_id.as_deref(), Some(reference.as_str()));
        let free = new_order(&job, "10000", "500000", "800", 2, &reference);
        assert!(
            matches!(free.order_type, bandwidth::OrderType::TollFreeWildCard(ref t) if t.pattern == "8**" && t.quantity == 2)
        );
        assert!(free.name.unwrap().len() <= 50);
    }
}
