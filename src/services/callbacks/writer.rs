//! The batch writer: queueing and batching. The effects of concurrent requests are planned
//! together (`plan`), applied in one transaction by the store (`store::callbacks`: a few
//! set-based statements on PostgreSQL, the portable path on SQLite), and each request is
//! answered once its batch has committed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr, TransactionTrait};
use tokio::sync::{Notify, mpsc, oneshot};

use super::in_flight::{Deferrals, Missing, record_orphan};
use super::plan::{self, OrgEvents};
use super::{Effect, MAX_BATCH, MAX_WAIT, NotStored, OPEN_STATUSES, WriterHealth};
use crate::services::consent::InboundRules;
use crate::services::managers::{self, Manager};
use crate::services::organizations::OrgSettings;
use crate::store;
use crate::store::callbacks::OrgPlan;
use crate::store::callbacks::postgres::HeldConnections;

/// How long a request may wait for room in the queue before it is answered 503.
pub const ENQUEUE_WAIT: Duration = Duration::from_secs(1);

struct Submission {
    organization_id: i32,
    effects: Vec<Effect>,
    done: oneshot::Sender<Result<(), NotStored>>,
}

/// Hands callback effects to the batch writer; cheap to clone.
#[derive(Clone)]
pub struct CallbackWriter {
    queue: mpsc::Sender<Submission>,
    sticky: Arc<StickyCache>,
    health: WriterHealth,
}

/// What the callback path reads of an organization's settings: whether sticky-sender is on,
/// and the consent rules its replies are classified with (custom expressions compiled once).
#[derive(Clone)]
struct OrgRules {
    sticky: bool,
    consent: Arc<InboundRules>,
}

/// Each organization's [`OrgRules`], read at most every [`STICKY_TTL`].
type StickyCache = Mutex<HashMap<i32, (OrgRules, Instant)>>;

impl std::fmt::Debug for CallbackWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackWriter")
    }
}

/// What the batch writer needs to apply effects.
struct Writer {
    db: DatabaseConnection,
    /// On PostgreSQL, the connections batches are applied on.
    postgres: Option<HeldConnections>,
    /// `SERVICE_MANAGERS`, for organizations without their own list.
    default_managers: String,
    sticky: Arc<StickyCache>,
    deferrals: Deferrals,
    health: WriterHealth,
    /// Wakes the failure drainer after a batch failed messages.
    failures_wakeup: Arc<Notify>,
}

/// How long an organization's sticky-sender and consent settings are trusted before they are
/// read again.
const STICKY_TTL: Duration = Duration::from_secs(5);

impl CallbackWriter {
    /// Starts the batch writer over `db`. `default_managers` is `SERVICE_MANAGERS`;
    /// `failures_wakeup` is notified after a batch that failed messages commits.
    ///
    /// Batches form on their own: while a batch is applied, arriving requests queue, and the
    /// next batch takes everything queued (up to [`MAX_BATCH`]). At low load a request is applied
    /// at once; under load, many share a transaction. One batch is applied at a time, on both
    /// databases (BENCHMARKS.md has the measurements of concurrent batches on PostgreSQL).
    pub fn start(
        db: DatabaseConnection,
        default_managers: String,
        failures_wakeup: Arc<Notify>,
    ) -> Self {
        let (queue, receiver) = mpsc::channel(MAX_BATCH * 16);
        let postgres = match db.get_database_backend() {
            DatabaseBackend::Postgres => Some(HeldConnections::to_database_of(&db)),
            _ => None,
        };
        let health = WriterHealth::default();
        let sticky = Arc::new(StickyCache::default());
        let writer = Writer {
            db,
            postgres,
            default_managers,
            sticky: sticky.clone(),
            deferrals: Deferrals::default(),
            health: health.clone(),
            failures_wakeup,
        };
        tokio::spawn(collect(receiver, writer));
        Self {
            queue,
            sticky,
            health,
        }
    }

    /// Forgets what is cached of the organization's settings, so the next callback reads them
    /// again (after a settings change, and Spoke's `clearCachedOrgAndExtensionCaches`).
    pub fn forget_settings(&self, organization_id: i32) {
        self.sticky
            .lock()
            .expect("not poisoned")
            .remove(&organization_id);
    }

    /// Whether the writer is committing, for `/readyz`.
    pub fn health(&self) -> &WriterHealth {
        &self.health
    }

    /// Applies the effects of one request; returns once they are committed. Waits at most
    /// [`ENQUEUE_WAIT`] for room in the queue and [`MAX_WAIT`] in all.
    pub async fn submit(
        &self,
        organization_id: i32,
        effects: Vec<Effect>,
    ) -> Result<(), NotStored> {
        if effects.is_empty() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        let submission = Submission {
            organization_id,
            effects,
            done,
        };
        self.health.request_waiting();
        let result = async {
            match tokio::time::timeout(ENQUEUE_WAIT, self.queue.send(submission)).await {
                Err(_) => return Err(NotStored::QueueFull),
                Ok(Err(_)) => return Err(NotStored::Stopped),
                Ok(Ok(())) => {}
            }
            match tokio::time::timeout(MAX_WAIT - ENQUEUE_WAIT, answer).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(NotStored::Stopped),
                Err(_) => Err(NotStored::Timeout),
            }
        }
        .await;
        self.health.request_answered();
        result
    }
}

/// Applies batch after batch in this one task. A batch's answers wake their requests' tasks,
/// which run once this task waits for the next batch's statements, so the database works on
/// that batch while the answers are written (on one worker thread, a task spawned per batch
/// would start only after them).
async fn collect(mut receiver: mpsc::Receiver<Submission>, writer: Writer) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        writer.write_batch(batch).await;
    }
}

/// The events of a batch that held their request's answer back.
type Deferred = HashSet<(i32, String)>;

/// What a batch found besides its plan: deferred events, and orphans to keep for the owner.
#[derive(Default)]
struct Aside {
    deferred: Deferred,
    orphans: Vec<(i32, store::callbacks::NewOrphan)>,
    /// Whether the batch failed messages (the failure drainer has work).
    failed: bool,
}

impl Writer {
    /// Applies a batch at once; when that fails, each request is retried alone so one bad
    /// request cannot fail the others, and only what committed is acknowledged.
    async fn write_batch(&self, batch: Vec<Submission>) {
        metrics::histogram!("callback_batch_requests").record(batch.len() as f64);
        let started = Instant::now();
        let requests: Vec<(i32, &[Effect])> = batch
            .iter()
            .map(|s| (s.organization_id, s.effects.as_slice()))
            .collect();
        let applied = self.apply(&requests).await;
        metrics::histogram!("callback_batch_seconds").record(started.elapsed().as_secs_f64());
        match applied {
            Ok(deferred) => {
                for submission in batch {
                    let answer = answer_for(&submission, &deferred);
                    let _ = submission.done.send(answer);
                }
            }
            Err(e) if batch.len() == 1 => {
                tracing::error!(error = %e, "callback effects could not be stored; answering 503");
                let _ = batch
                    .into_iter()
                    .next()
                    .map(|s| s.done.send(Err(NotStored::StoreFailed)));
            }
            Err(e) => {
                tracing::warn!(error = %e, requests = batch.len(), "callback batch failed; applying its requests one by one");
                for submission in batch {
                    let answer = match self
                        .apply(&[(submission.organization_id, &submission.effects)])
                        .await
                    {
                        Ok(deferred) => answer_for(&submission, &deferred),
                        Err(e) => {
                            tracing::error!(error = %e, "callback effects could not be stored; answering 503");
                            Err(NotStored::StoreFailed)
                        }
                    };
                    let _ = submission.done.send(answer);
                }
            }
        }
    }

    /// Plans and applies the effects of several requests (possibly of several organizations)
    /// atomically, keeping the health record. Returns the events deferred.
    async fn apply(&self, requests: &[(i32, &[Effect])]) -> Result<Deferred, DbErr> {
        self.health.batch_started();
        let result = self.apply_inner(requests).await;
        self.health.batch_ended(result.is_ok());
        let aside = result?;
        if aside.failed {
            self.failures_wakeup.notify_one();
        }
        // Kept for the owner once the batch committed; the answer does not depend on it.
        for (org, orphan) in aside.orphans {
            if let Err(e) = store::callbacks::record_orphans(&self.db, org, &[orphan]).await {
                tracing::warn!(error = %e, org_id = org, "could not keep an orphan report");
            }
        }
        Ok(aside.deferred)
    }

    async fn apply_inner(&self, requests: &[(i32, &[Effect])]) -> Result<Aside, DbErr> {
        let groups = plan::group(requests);
        let mut sticky = Vec::with_capacity(groups.len());
        for events in &groups {
            sticky.push(self.org_rules(events.org).await?);
        }
        match &self.postgres {
            Some(connections) => {
                let mut conn = connections.take().await?;
                let mut aside = Aside::default();
                // First as if every reported message were stored and open: the statements move
                // only open ones, and name the reported messages they found no row for.
                let mut plans = Vec::with_capacity(groups.len());
                for (events, rules) in groups.iter().zip(&sticky) {
                    let assumed: HashMap<String, String> = events
                        .reported_ids()
                        .into_iter()
                        .map(|id| (id.to_owned(), OPEN_STATUSES[0].to_owned()))
                        .collect();
                    plans.push(plan::decide(events, rules.sticky, &assumed, &rules.consent).plan);
                }
                let missing: HashSet<(i32, String)> =
                    store::callbacks::postgres::apply(&mut conn, &plans, OPEN_STATUSES)
                        .await?
                        .into_iter()
                        .collect();
                aside.failed = plans.iter().any(|p| !p.fail.is_empty());
                if !missing.is_empty() {
                    // The rare path: reports for messages not stored (yet). Bind those the tag
                    // names, read their statuses again, and defer or orphan what is still missing.
                    let mut again = Vec::new();
                    for (events, rules) in groups.iter().zip(&sticky) {
                        let unstored = OrgEvents {
                            org: events.org,
                            reports: events
                                .reports
                                .iter()
                                .filter(|(_, r)| {
                                    missing.contains(&(events.org, r.service_id.clone()))
                                })
                                .copied()
                                .collect(),
                            inbound: Vec::new(),
                        };
                        if unstored.reports.is_empty() {
                            continue;
                        }
                        let ids = unstored.reported_ids();
                        let mut statuses = HashMap::new();
                        for round in 0..2 {
                            let found =
                                store::callbacks::postgres::statuses(&mut conn, events.org, &ids)
                                    .await?;
                            statuses = ids
                                .iter()
                                .zip(found)
                                .filter_map(|(id, s)| s.map(|s| ((*id).to_owned(), s)))
                                .collect();
                            if round == 1 || !bind_tagged(&self.db, &unstored, &statuses).await? {
                                break;
                            }
                        }
                        again.push(
                            self.decide(&self.db, &unstored, rules, &statuses, &mut aside)
                                .await?,
                        );
                    }
                    store::callbacks::postgres::apply(&mut conn, &again, OPEN_STATUSES).await?;
                    aside.failed |= again.iter().any(|p| !p.fail.is_empty());
                }
                connections.give_back(conn);
                Ok(aside)
            }
            None => {
                let txn = self.db.begin().await?;
                let mut plans = Vec::with_capacity(groups.len());
                let mut aside = Aside::default();
                for (events, rules) in groups.iter().zip(&sticky) {
                    let ids = events.reported_ids();
                    let mut statuses = HashMap::new();
                    for round in 0..2 {
                        if !ids.is_empty() {
                            statuses = store::callbacks::statuses(&txn, events.org, &ids).await?;
                        }
                        if round == 1 || !bind_tagged(&txn, events, &statuses).await? {
                            break;
                        }
                    }
                    plans.push(
                        self.decide(&txn, events, rules, &statuses, &mut aside)
                            .await?,
                    );
                }
                store::callbacks::apply_portable(&txn, &plans, OPEN_STATUSES).await?;
                txn.commit().await?;
                aside.failed = plans.iter().any(|p| !p.fail.is_empty());
                Ok(aside)
            }
        }
    }

    /// The organization's plan; reports for messages not stored are deferred or orphaned
    /// (added to `aside`).
    async fn decide(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        events: &OrgEvents<'_>,
        rules: &OrgRules,
        statuses: &HashMap<String, String>,
        aside: &mut Aside,
    ) -> Result<OrgPlan, DbErr> {
        let decided = plan::decide(events, rules.sticky, statuses, &rules.consent);
        if !decided.missing.is_empty() {
            let verdicts = self
                .deferrals
                .classify(db, events.org, &decided.missing)
                .await?;
            for ((key, report), verdict) in decided.missing.iter().zip(verdicts) {
                match verdict {
                    Missing::Deferred => {
                        tracing::info!(org_id = events.org, service_id = %report.service_id, "a delivery report for a message still being sent is deferred");
                        aside.deferred.insert((events.org, (*key).to_owned()));
                    }
                    Missing::Orphan => aside
                        .orphans
                        .push((events.org, record_orphan(events.org, report))),
                    Missing::NotOurs => {}
                }
            }
        }
        Ok(decided.plan)
    }

    /// Whether the organization's managers include sticky-sender (its delivery hook writes the
    /// mapping), and its consent rules; cached for [`STICKY_TTL`] (and forgotten when its
    /// settings change here), so the hot path reads the settings once per organization and TTL.
    async fn org_rules(&self, org: i32) -> Result<OrgRules, DbErr> {
        if let Some((rules, read_at)) = self.sticky.lock().expect("not poisoned").get(&org)
            && read_at.elapsed() < STICKY_TTL
        {
            return Ok(rules.clone());
        }
        let settings = store::organizations::find(&self.db, org)
            .await?
            .map(|o| OrgSettings::parse(&o.settings))
            .unwrap_or_default();
        let sticky = managers::for_org(&self.default_managers, &settings)
            .is_ok_and(|list| list.contains(&Manager::StickySender));
        let rules = OrgRules {
            sticky,
            consent: Arc::new(InboundRules::from_settings(&settings)),
        };
        self.sticky
            .lock()
            .expect("not poisoned")
            .insert(org, (rules.clone(), Instant::now()));
        Ok(rules)
    }
}

/// Gives Bandwidth's id to the messages that reports for unknown ids name in their tag (a send
/// whose answer was lost, or whose id was not written yet: `services::outcomes`); true when one
/// was bound or may have been written meanwhile, so the caller looks the statuses up again.
/// Reports that matched a message cost nothing here.
async fn bind_tagged(
    db: &impl sea_orm::ConnectionTrait,
    events: &OrgEvents<'_>,
    statuses: &HashMap<String, String>,
) -> Result<bool, DbErr> {
    let mut bound = false;
    for (_, report) in &events.reports {
        if statuses.contains_key(&report.service_id) {
            continue;
        }
        let Some(message_id) = report.tagged_message else {
            continue;
        };
        if report.tagged_org == Some(events.org) {
            // Look again even when nothing was bound: the send path may have written this very
            // id since the statuses were read (then the bind finds an id already there), and a
            // stale read would acknowledge the report as an orphan.
            store::sends::bind_service_id(db, events.org, message_id, &report.service_id).await?;
            bound = true;
        }
    }
    Ok(bound)
}

/// A request with a deferred event is answered 503 so Bandwidth delivers it again; its other
/// events are committed and change nothing the second time.
fn answer_for(submission: &Submission, deferred: &Deferred) -> Result<(), NotStored> {
    if deferred.is_empty() {
        return Ok(());
    }
    let org = submission.organization_id;
    if submission
        .effects
        .iter()
        .any(|e| deferred.contains(&(org, e.key().to_owned())))
    {
        Err(NotStored::Deferred)
    } else {
        Ok(())
    }
}
