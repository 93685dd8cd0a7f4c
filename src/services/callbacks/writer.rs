//! The batch writer: the effects of concurrent requests applied together, each request answered
//! once its batch has committed. One statement per organization and kind of event on PostgreSQL;
//! several statements in one transaction on SQLite.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, Connection as _, PgConnection};
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr, RuntimeErr, TransactionTrait};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{Effect, InboundMessage, MAX_BATCH, MAX_WAIT, NotStored, OPEN_STATUSES};
use crate::services::managers::{self, Manager};
use crate::services::organizations::OrgSettings;
use crate::store;
use crate::store::callbacks::postgres::HeldConnections;
use crate::store::callbacks::{Inbound, Pair};

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
}

/// Whether sticky-sender is on, per organization, read at most every [`STICKY_TTL`].
type StickyCache = Mutex<HashMap<i32, (bool, Instant)>>;

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
}

/// How long an organization's sticky-sender setting is trusted before it is read again.
const STICKY_TTL: Duration = Duration::from_secs(5);

impl CallbackWriter {
    /// Starts the batch writer over `db`. `default_managers` is `SERVICE_MANAGERS`.
    ///
    /// Batches form on their own: while every writer slot is busy, arriving requests queue, and a
    /// freed slot takes everything queued (up to [`MAX_BATCH`]). At low load a request is applied
    /// at once; under load, many share a transaction. SQLite gets one slot (one writer at a time),
    /// PostgreSQL [`POSTGRES_SLOTS`].
    pub fn start(db: DatabaseConnection, default_managers: String) -> Self {
        let (queue, receiver) = mpsc::channel(MAX_BATCH * 16);
        let (slots, postgres) = match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                (POSTGRES_SLOTS, Some(HeldConnections::to_database_of(&db)))
            }
            _ => (1, None),
        };
        let sticky = Arc::new(StickyCache::default());
        let writer = Arc::new(Writer {
            db,
            postgres,
            default_managers,
            sticky: sticky.clone(),
        });
        tokio::spawn(collect(receiver, Arc::new(Semaphore::new(slots)), writer));
        Self { queue, sticky }
    }

    /// Forgets what is cached of the organization's settings, so the next callback reads them
    /// again (after a settings change, and Spoke's `clearCachedOrgAndExtensionCaches`).
    pub fn forget_settings(&self, organization_id: i32) {
        self.sticky
            .lock()
            .expect("not poisoned")
            .remove(&organization_id);
    }

    /// Applies the effects of one request; returns once they are committed.
    pub async fn submit(
        &self,
        organization_id: i32,
        effects: Vec<Effect>,
    ) -> Result<(), NotStored> {
        if effects.is_empty() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Submission {
                organization_id,
                effects,
                done,
            })
            .await
            .map_err(|_| NotStored)?;
        match tokio::time::timeout(MAX_WAIT, answer).await {
            Ok(Ok(result)) => result,
            _ => Err(NotStored),
        }
    }
}

/// Concurrent batches on PostgreSQL. One measured best on the 2-core bench machine (bigger
/// batches, fewer commits; see BENCHMARKS.md); raise it when the database has cores to spare.
pub const POSTGRES_SLOTS: usize = 1;

async fn collect(
    mut receiver: mpsc::Receiver<Submission>,
    slots: Arc<Semaphore>,
    writer: Arc<Writer>,
) {
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = receiver.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let writer = writer.clone();
        tokio::spawn(async move {
            writer.write_batch(batch).await;
            drop(slot);
        });
    }
}

impl Writer {
    /// Applies a batch at once; when that fails, each request is retried alone so one bad
    /// request cannot fail the others, and only what committed is acknowledged.
    async fn write_batch(&self, batch: Vec<Submission>) {
        metrics::histogram!("callback_batch_requests").record(batch.len() as f64);
        let requests: Vec<(i32, &[Effect])> = batch
            .iter()
            .map(|s| (s.organization_id, s.effects.as_slice()))
            .collect();
        match self.apply(&requests).await {
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
                    .map(|s| s.done.send(Err(NotStored)));
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
                            Err(NotStored)
                        }
                    };
                    let _ = submission.done.send(answer);
                }
            }
        }
    }

    /// Applies the effects of several requests (possibly of several organizations) atomically.
    /// Returns the events deferred: status events for a message of this organization (by its tag)
    /// that is not stored yet, because its send is still being recorded; they changed nothing,
    /// so Bandwidth's next delivery applies them.
    async fn apply(&self, requests: &[(i32, &[Effect])]) -> Result<HashSet<(i32, String)>, DbErr> {
        let mut deferred = self.apply_once(requests).await?;
        if deferred.is_empty() {
            return Ok(deferred);
        }
        // A status event for a message we have no Bandwidth id for yet (its send's answer was
        // lost, or not written yet): the tag names the message, so give it the id and apply the
        // event again. Only events that matched nothing get here, so the usual path pays nothing.
        let mut retry: Vec<(i32, Vec<Effect>)> = Vec::new();
        for (org, effects) in requests {
            let mut bound = Vec::new();
            for effect in effects.iter() {
                let Some((message_id, service_id)) = effect.tagged_message() else {
                    continue;
                };
                if !deferred.contains(&(*org, effect.key().to_owned())) {
                    continue;
                }
                if store::sends::bind_service_id(&self.db, *org, message_id, service_id).await? {
                    deferred.remove(&(*org, effect.key().to_owned()));
                    bound.push(effect.clone());
                }
            }
            if !bound.is_empty() {
                retry.push((*org, bound));
            }
        }
        if !retry.is_empty() {
            let again: Vec<(i32, &[Effect])> = retry
                .iter()
                .map(|(org, effects)| (*org, effects.as_slice()))
                .collect();
            deferred.extend(self.apply_once(&again).await?);
        }
        Ok(deferred)
    }

    async fn apply_once(
        &self,
        requests: &[(i32, &[Effect])],
    ) -> Result<HashSet<(i32, String)>, DbErr> {
        let mut per_org: HashMap<i32, Vec<&Effect>> = HashMap::new();
        let mut seen = HashSet::new();
        for (org, effects) in requests {
            for effect in effects.iter() {
                if seen.insert((*org, effect.key())) {
                    per_org.entry(*org).or_default().push(effect);
                }
            }
        }
        let mut plan = Vec::with_capacity(per_org.len());
        for (org, effects) in per_org {
            plan.push((org, self.sticky_sender_on(org).await?, effects));
        }
        let deferred = match &self.postgres {
            Some(connections) => {
                let mut conn = connections.take().await?;
                let deferred = apply_postgres(&mut conn, plan).await?;
                connections.give_back(conn);
                deferred
            }
            None => {
                let txn = self.db.begin().await?;
                let mut deferred = Vec::new();
                for (org, sticky, effects) in plan {
                    deferred.extend(
                        apply_org(&txn, org, sticky, &effects)
                            .await?
                            .into_iter()
                            .map(|key| (org, key)),
                    );
                }
                txn.commit().await?;
                deferred
            }
        };
        Ok(deferred.into_iter().collect())
    }

    /// Whether the organization's managers include sticky-sender (its delivery hook writes the
    /// mapping); cached for [`STICKY_TTL`].
    async fn sticky_sender_on(&self, org: i32) -> Result<bool, DbErr> {
        if let Some((on, read_at)) = self.sticky.lock().expect("not poisoned").get(&org)
            && read_at.elapsed() < STICKY_TTL
        {
            return Ok(*on);
        }
        let settings = store::organizations::find(&self.db, org)
            .await?
            .map(|o| OrgSettings::parse(&o.settings))
            .unwrap_or_default();
        let on = managers::for_org(&self.default_managers, &settings)
            .is_ok_and(|list| list.contains(&Manager::StickySender));
        self.sticky
            .lock()
            .expect("not poisoned")
            .insert(org, (on, Instant::now()));
        Ok(on)
    }
}

/// A request with a deferred event is answered 503 so Bandwidth delivers it again; its other
/// events are committed and change nothing the second time.
fn answer_for(submission: &Submission, deferred: &HashSet<(i32, String)>) -> Result<(), NotStored> {
    if deferred.is_empty() {
        return Ok(());
    }
    let org = submission.organization_id;
    if submission
        .effects
        .iter()
        .any(|e| deferred.contains(&(org, e.key().to_owned())))
    {
        Err(NotStored)
    } else {
        Ok(())
    }
}

/// PostgreSQL: per organization, one lookup of the status events' messages, then one statement
/// per kind of change still to make (see `store::callbacks::postgres`). Lookups need no
/// transaction (every change re-checks the status it moves from); a batch with one change needs
/// none either, several share one. A batch of duplicates only reads.
async fn apply_postgres(
    conn: &mut PgConnection,
    plan: Vec<(i32, bool, Vec<&Effect>)>,
) -> Result<Vec<(i32, String)>, DbErr> {
    let mut deferred = Vec::new();
    let mut changes = Vec::new();
    for (org, sticky, effects) in plan {
        let (org_deferred, change) = plan_org_postgres(conn, org, sticky, &effects).await?;
        deferred.extend(org_deferred.into_iter().map(|key| (org, key)));
        changes.push(change);
    }
    let statements: usize = changes.iter().map(Changes::statements).sum();
    if statements <= 1 {
        for change in changes {
            change.apply(conn).await?;
        }
    } else {
        let failed = |e: sqlx::Error| DbErr::Exec(RuntimeErr::SqlxError(e.into()));
        let mut txn = conn.begin().await.map_err(failed)?;
        for change in changes {
            change.apply(&mut txn).await?;
        }
        txn.commit().await.map_err(failed)?;
    }
    Ok(deferred)
}

/// The changes one organization's events still make on PostgreSQL.
struct Changes {
    org: i32,
    sticky: bool,
    deliver: Vec<String>,
    fail: Vec<store::callbacks::postgres::Failure>,
    receive: Vec<Inbound>,
}

impl Changes {
    fn statements(&self) -> usize {
        [
            !self.deliver.is_empty(),
            !self.fail.is_empty(),
            !self.receive.is_empty(),
        ]
        .into_iter()
        .filter(|&s| s)
        .count()
    }

    async fn apply(self, conn: &mut PgConnection) -> Result<(), DbErr> {
        use store::callbacks::postgres;
        if !self.deliver.is_empty() {
            postgres::deliver(conn, self.org, self.deliver, self.sticky, OPEN_STATUSES).await?;
        }
        if !self.fail.is_empty() {
            postgres::fail(conn, self.org, self.fail, OPEN_STATUSES).await?;
        }
        if !self.receive.is_empty() {
            postgres::receive(conn, self.org, &self.receive, self.sticky).await?;
        }
        Ok(())
    }
}

/// Looks up the messages the organization's status events name; returns the keys of the events
/// deferred (our message, not stored yet) and the changes left to make: status events whose
/// message is still open, and every inbound message.
async fn plan_org_postgres(
    conn: &mut PgConnection,
    org: i32,
    sticky: bool,
    effects: &[&Effect],
) -> Result<(Vec<String>, Changes), DbErr> {
    let mut changes = Changes {
        org,
        sticky,
        deliver: Vec::new(),
        fail: Vec::new(),
        receive: Vec::new(),
    };
    let mut status_events = Vec::new();
    for effect in effects {
        match effect {
            Effect::Received { message, .. } => changes.receive.push(inbound_row(message)),
            Effect::Delivered { service_id, .. } | Effect::Failed { service_id, .. } => {
                status_events.push((*effect, service_id.as_str()))
            }
        }
    }
    let mut deferred = Vec::new();
    if status_events.is_empty() {
        return Ok((deferred, changes));
    }
    let ids: Vec<&str> = status_events.iter().map(|(_, id)| *id).collect();
    let statuses = store::callbacks::postgres::statuses(conn, org, &ids).await?;
    for ((effect, service_id), status) in status_events.into_iter().zip(statuses) {
        match (status, effect) {
            (
                None,
                Effect::Delivered {
                    tagged_org, key, ..
                }
                | Effect::Failed {
                    tagged_org, key, ..
                },
            ) if *tagged_org == Some(org) => deferred.push(key.clone()),
            (Some(status), _) if OPEN_STATUSES.contains(&status.as_str()) => match effect {
                Effect::Failed {
                    error_code,
                    description,
                    ..
                } => changes.fail.push(store::callbacks::postgres::Failure {
                    service_id: service_id.to_owned(),
                    code: error_code.unwrap_or(0),
                    description: description.clone(),
                }),
                _ => changes.deliver.push(service_id.to_owned()),
            },
            // Not ours, or already moved on: nothing to change.
            _ => {}
        }
    }
    Ok((deferred, changes))
}

fn inbound_row(message: &InboundMessage) -> Inbound {
    Inbound {
        service_id: message.service_id.clone(),
        contact_number: message.contact_number.clone(),
        user_number: message.user_number.clone(),
        text: message.text.clone(),
        media: serde_json::to_string(&message.media).unwrap_or_else(|_| "[]".into()),
        segment_count: message.segment_count,
    }
}

/// The portable path (SQLite): several statements in the caller's transaction. Each effect is
/// guarded by the state it changes (an open status, a new Bandwidth id), so a duplicate changes
/// nothing; returns the keys of deferred events.
async fn apply_org(
    db: &impl sea_orm::ConnectionTrait,
    org: i32,
    sticky: bool,
    effects: &[&Effect],
) -> Result<Vec<String>, DbErr> {
    let mut delivered = Vec::new();
    let mut inbound = Vec::new();
    let mut sticky_pairs: Vec<Pair> = Vec::new();
    let mut missing: Vec<&Effect> = Vec::new();
    for effect in effects {
        match effect {
            Effect::Delivered { service_id, .. } => delivered.push(service_id.clone()),
            Effect::Received { message, .. } => inbound.push(inbound_row(message)),
            Effect::Failed {
                service_id,
                error_code,
                description,
                ..
            } => {
                match store::callbacks::fail_message(
                    db,
                    org,
                    service_id,
                    *error_code,
                    description,
                    OPEN_STATUSES,
                )
                .await?
                {
                    Some(changed) => {
                        store::callbacks::record_contact_error(
                            db,
                            org,
                            &changed.contact_number,
                            *error_code,
                        )
                        .await?
                    }
                    None => missing.push(effect),
                }
            }
        }
    }
    if !delivered.is_empty() {
        let changed =
            store::callbacks::advance_status(db, org, &delivered, "DELIVERED", OPEN_STATUSES)
                .await?;
        let done: HashSet<&str> = changed.iter().map(|c| c.service_id.as_str()).collect();
        missing.extend(effects.iter().filter(|e| matches!(e, Effect::Delivered { service_id, .. } if !done.contains(service_id.as_str()))));
        sticky_pairs.extend(changed.iter().map(|c| c.pair()));
    }
    if !inbound.is_empty() {
        let stored = store::callbacks::insert_inbound(db, org, &inbound).await?;
        // A contact who texts one of our active numbers keeps hearing from it.
        let numbers: Vec<String> = stored.iter().map(|p| p.user_number.clone()).collect();
        let ours = store::callbacks::active_numbers_among(db, org, &numbers).await?;
        sticky_pairs.extend(stored.into_iter().filter(|p| ours.contains(&p.user_number)));
    }
    if sticky && !sticky_pairs.is_empty() {
        store::callbacks::upsert_sticky(db, org, &sticky_pairs).await?;
    }
    deferred_among(db, org, &missing).await
}

/// Of the status events that changed nothing, those for a message this organization sent (by its
/// tag) but has not stored yet. A message that exists already moved on (the status only moves
/// forward); one tagged for another organization is not ours, and changes nothing here.
async fn deferred_among(
    db: &impl sea_orm::ConnectionTrait,
    org: i32,
    missing: &[&Effect],
) -> Result<Vec<String>, DbErr> {
    let ours: Vec<(&str, &str)> = missing
        .iter()
        .filter_map(|e| match e {
            Effect::Delivered {
                key,
                service_id,
                tagged_org: Some(t),
                ..
            }
            | Effect::Failed {
                key,
                service_id,
                tagged_org: Some(t),
                ..
            } if *t == org => Some((key.as_str(), service_id.as_str())),
            _ => None,
        })
        .collect();
    if ours.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = ours.iter().map(|(_, id)| (*id).to_owned()).collect();
    let stored = store::callbacks::existing_outbound(db, org, &ids).await?;
    Ok(ours
        .into_iter()
        .filter(|(_, id)| !stored.contains(*id))
        .map(|(key, _)| key.to_owned())
        .collect())
}
