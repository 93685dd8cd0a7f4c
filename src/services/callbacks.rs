//! Bandwidth's messaging callbacks (SPEC §5): parsed into effects, applied exactly once, and
//! coalesced: the events of concurrent requests are applied together in one transaction with
//! set-based statements, and each request is answered only after its batch commits.
//!
//! Exactly-once comes from `bandwidth_callback_keys` (one key per event, inserted in the same
//! transaction as the effects) and from the unique Bandwidth id of inbound messages.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr, TransactionTrait};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::services::error_codes;
use crate::services::managers::{self, Manager};
use crate::services::organizations::OrgSettings;
use crate::store;
use crate::store::callbacks::{Inbound, Pair};

/// Statuses an outbound message may still leave (the status only moves forward).
const OPEN_STATUSES: &[&str] = &["QUEUED", "SENDING", "SENT"];
/// Most requests applied in one transaction.
pub const MAX_BATCH: usize = 256;
/// How long a request waits for its batch before it is answered 503.
pub const MAX_WAIT: Duration = Duration::from_secs(8);

/// One event's effect on the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A contact texted one of our numbers.
    Received {
        key: String,
        message: InboundMessage,
    },
    /// An outbound message reached the handset (or the carrier).
    Delivered {
        key: String,
        service_id: String,
        /// The organization named by the message's tag, if any.
        tagged_org: Option<i32>,
    },
    /// An outbound message failed.
    Failed {
        key: String,
        service_id: String,
        tagged_org: Option<i32>,
        error_code: Option<i32>,
        description: String,
    },
}

/// An inbound message as Bandwidth described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub service_id: String,
    pub contact_number: String,
    pub user_number: String,
    pub text: String,
    pub media: Vec<String>,
    pub segment_count: Option<i32>,
}

impl Effect {
    /// Orders kinds of effects (each kind is one statement on PostgreSQL).
    fn kind_rank(&self) -> u8 {
        match self {
            Effect::Received { .. } => 0,
            Effect::Delivered { .. } => 1,
            Effect::Failed { .. } => 2,
        }
    }

    fn key(&self) -> &str {
        match self {
            Effect::Received { key, .. }
            | Effect::Delivered { key, .. }
            | Effect::Failed { key, .. } => key,
        }
    }
}

/// Why a callback body was refused with 400.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    message: Option<RawMessage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessage {
    id: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    media: Option<Vec<String>>,
    #[serde(default)]
    segment_count: Option<i32>,
    #[serde(default)]
    tag: Option<String>,
}

/// Parses a callback body: a JSON array of events (Bandwidth's form) or a single event object.
/// `message-sending` and unknown types have no effect and yield nothing.
pub fn parse_events(body: &[u8]) -> Result<Vec<Effect>, Malformed> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Malformed(format!("the body is not JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(Malformed(
                "the body must be a JSON array of events or one event object".into(),
            ));
        }
    };
    let mut effects = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let event: RawEvent = serde_json::from_value(item)
            .map_err(|e| Malformed(format!("event {index} is not a Bandwidth event: {e}")))?;
        if let Some(effect) =
            effect_of(event).map_err(|e| Malformed(format!("event {index}: {e}")))?
        {
            effects.push(effect);
        }
    }
    Ok(effects)
}

fn effect_of(event: RawEvent) -> Result<Option<Effect>, String> {
    let needs_message = matches!(
        event.kind.as_str(),
        "message-received" | "message-delivered" | "message-failed"
    );
    if !needs_message {
        return Ok(None);
    }
    let message = event
        .message
        .ok_or_else(|| format!("a {} event needs a message", event.kind))?;
    let to = event.to.clone().unwrap_or_default();
    let key = format!("{}:{}:{}", event.kind, message.id, to);
    // Our tag is `orgId|campaignId|contactId`: it says which organization sent the message.
    let tagged_org = message
        .tag
        .as_deref()
        .and_then(|t| t.split('|').next())
        .and_then(|o| o.parse().ok());
    Ok(Some(match event.kind.as_str() {
        "message-received" => {
            let contact_number = message
                .from
                .ok_or("a message-received event needs message.from")?;
            let user_number = event
                .to
                .or(message.owner)
                .ok_or("a message-received event needs `to`")?;
            Effect::Received {
                key,
                message: InboundMessage {
                    service_id: message.id,
                    contact_number,
                    user_number,
                    text: message.text.unwrap_or_default(),
                    media: message.media.unwrap_or_default(),
                    segment_count: message.segment_count,
                },
            }
        }
        "message-delivered" => Effect::Delivered {
            key,
            service_id: message.id,
            tagged_org,
        },
        _ => {
            let error_code = event.error_code.and_then(|c| i32::try_from(c).ok());
            Effect::Failed {
                key,
                service_id: message.id,
                tagged_org,
                description: error_codes::describe(error_code, event.description.as_deref()),
                error_code,
            }
        }
    }))
}

/// The effects could not be made durable: answer 503 so Bandwidth retries.
#[derive(Debug, thiserror::Error)]
#[error("the callback could not be stored; Bandwidth should retry")]
pub struct NotStored;

struct Submission {
    organization_id: i32,
    effects: Vec<Effect>,
    done: oneshot::Sender<Result<(), NotStored>>,
}

/// Hands callback effects to the batch writer; cheap to clone.
#[derive(Clone)]
pub struct CallbackWriter {
    queue: mpsc::Sender<Submission>,
}

impl std::fmt::Debug for CallbackWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackWriter")
    }
}

/// What the batch writer needs to apply effects.
struct Writer {
    db: DatabaseConnection,
    /// `SERVICE_MANAGERS`, for organizations without their own list.
    default_managers: String,
    /// Whether sticky-sender is on, per organization, read at most every [`STICKY_TTL`].
    sticky: Mutex<HashMap<i32, (bool, Instant)>>,
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
        let slots = match db.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_SLOTS,
            _ => 1,
        };
        let writer = Arc::new(Writer {
            db,
            default_managers,
            sticky: Mutex::default(),
        });
        tokio::spawn(collect(receiver, Arc::new(Semaphore::new(slots)), writer));
        Self { queue }
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
    /// that is not stored yet, because its send is still being recorded; their keys are not kept,
    /// so Bandwidth's next delivery applies them.
    async fn apply(&self, requests: &[(i32, &[Effect])]) -> Result<HashSet<(i32, String)>, DbErr> {
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
        let deferred = match self.db.get_database_backend() {
            DatabaseBackend::Postgres => apply_postgres(&self.db, plan).await?,
            _ => {
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
/// events are committed and will be recognised as duplicates.
fn answer_for(submission: &Submission, deferred: &HashSet<(i32, String)>) -> Result<(), NotStored> {
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

/// PostgreSQL: one statement per organization and kind of event (see `store::callbacks::postgres`);
/// a batch of one statement needs no explicit transaction, several share one.
async fn apply_postgres(
    db: &DatabaseConnection,
    plan: Vec<(i32, bool, Vec<&Effect>)>,
) -> Result<Vec<(i32, String)>, DbErr> {
    let kinds = |effects: &[&Effect]| {
        let mut kinds: Vec<u8> = effects.iter().map(|e| e.kind_rank()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds.len()
    };
    let statements: usize = plan.iter().map(|(_, _, effects)| kinds(effects)).sum();
    if statements <= 1 {
        let mut deferred = Vec::new();
        for (org, sticky, effects) in plan {
            deferred.extend(
                apply_org_postgres(db, org, sticky, &effects)
                    .await?
                    .into_iter()
                    .map(|k| (org, k)),
            );
        }
        return Ok(deferred);
    }
    let txn = db.begin().await?;
    let mut deferred = Vec::new();
    for (org, sticky, effects) in plan {
        deferred.extend(
            apply_org_postgres(&txn, org, sticky, &effects)
                .await?
                .into_iter()
                .map(|k| (org, k)),
        );
    }
    txn.commit().await?;
    Ok(deferred)
}

async fn apply_org_postgres(
    db: &impl sea_orm::ConnectionTrait,
    org: i32,
    sticky: bool,
    effects: &[&Effect],
) -> Result<Vec<String>, DbErr> {
    use store::callbacks::postgres::{self, StatusEvents};
    let events = || StatusEvents {
        service_ids: Vec::new(),
        keys: Vec::new(),
        ours: Vec::new(),
    };
    let (mut delivered, mut failed) = (events(), events());
    let (mut codes, mut descriptions) = (Vec::new(), Vec::new());
    let (mut inbound_keys, mut inbound) = (Vec::new(), Vec::new());
    for effect in effects {
        match effect {
            Effect::Delivered {
                key,
                service_id,
                tagged_org,
            } => {
                delivered.service_ids.push(service_id.clone());
                delivered.keys.push(key.clone());
                delivered.ours.push(*tagged_org == Some(org));
            }
            Effect::Failed {
                key,
                service_id,
                tagged_org,
                error_code,
                description,
            } => {
                failed.service_ids.push(service_id.clone());
                failed.keys.push(key.clone());
                failed.ours.push(*tagged_org == Some(org));
                codes.push(error_code.unwrap_or(0));
                descriptions.push(description.clone());
            }
            Effect::Received { key, message } => {
                inbound_keys.push(key.clone());
                inbound.push(inbound_row(message));
            }
        }
    }
    let mut deferred = Vec::new();
    if !delivered.keys.is_empty() {
        deferred.extend(postgres::delivered(db, org, delivered, sticky, OPEN_STATUSES).await?);
    }
    if !failed.keys.is_empty() {
        deferred
            .extend(postgres::failed(db, org, failed, codes, descriptions, OPEN_STATUSES).await?);
    }
    if !inbound.is_empty() {
        postgres::received(db, org, inbound_keys, &inbound, sticky).await?;
    }
    Ok(deferred)
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

/// The portable path (SQLite): several statements in the caller's transaction. Records the keys,
/// applies the new events, and forgets the keys of deferred ones.
async fn apply_org(
    db: &impl sea_orm::ConnectionTrait,
    org: i32,
    sticky: bool,
    effects: &[&Effect],
) -> Result<Vec<String>, DbErr> {
    let keys: Vec<(i32, String)> = effects.iter().map(|e| (org, e.key().to_owned())).collect();
    let new = store::callbacks::insert_new_keys(db, &keys).await?;
    let effects: Vec<&Effect> = effects
        .iter()
        .copied()
        .filter(|e| new.contains(&(org, e.key().to_owned())))
        .collect();
    let mut delivered = Vec::new();
    let mut inbound = Vec::new();
    let mut sticky_pairs: Vec<Pair> = Vec::new();
    let mut missing: Vec<&Effect> = Vec::new();
    for effect in &effects {
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
        store::callbacks::insert_inbound(db, org, &inbound).await?;
        // A contact who texts one of our active numbers keeps hearing from it.
        let numbers: Vec<String> = inbound.iter().map(|m| m.user_number.clone()).collect();
        let ours = store::callbacks::active_numbers_among(db, org, &numbers).await?;
        sticky_pairs.extend(
            inbound
                .iter()
                .filter(|m| ours.contains(&m.user_number))
                .map(|m| Pair {
                    contact_number: m.contact_number.clone(),
                    user_number: m.user_number.clone(),
                }),
        );
    }
    if sticky && !sticky_pairs.is_empty() {
        store::callbacks::upsert_sticky(db, org, &sticky_pairs).await?;
    }
    let deferred = deferred_among(db, org, &missing).await?;
    let forget: Vec<(i32, String)> = deferred.iter().map(|k| (org, k.clone())).collect();
    store::callbacks::delete_keys(db, &forget).await?;
    Ok(deferred)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn every_callback_fixture_parses() {
        let received = parse_events(&fixture("callback-message-received.json")).unwrap();
        assert!(
            matches!(&received[0], Effect::Received { message, .. } if message.contact_number == "+12345678901" && message.user_number == "+12345678902")
        );
        let failed = parse_events(&fixture("callback-message-failed.json")).unwrap();
        assert!(
            matches!(&failed[0], Effect::Failed { error_code: Some(4432), description, .. } if description.starts_with("rejected-forbidden-country"))
        );
        assert!(matches!(
            parse_events(&fixture("callback-message-delivered.json")).unwrap()[0],
            Effect::Delivered { .. }
        ));
        assert!(
            parse_events(&fixture("callback-message-sending.json"))
                .unwrap()
                .is_empty(),
            "sending has no effect"
        );
        for name in [
            "callback-message-delivered-mms.json",
            "callback-message-delivered-tollfree.json",
            "callback-message-received-group-mms.json",
            "callback-message-failed.node-sdk-element.json",
            "callback-message-sent.node-sdk-element.json",
        ] {
            parse_events(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn a_single_event_object_is_accepted_like_an_array() {
        let one = br#"{"type":"message-delivered","to":"+1","message":{"id":"m1","tag":"7|c|k"}}"#;
        assert!(matches!(
            parse_events(one).unwrap()[0],
            Effect::Delivered {
                tagged_org: Some(7),
                ..
            }
        ));
        assert_eq!(parse_events(one).unwrap().len(), 1);
    }

    #[test]
    fn unknown_types_are_acknowledged_without_effect() {
        assert!(
            parse_events(br#"[{"type":"message-read","message":{"id":"x"}}]"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            &b"not json"[..],
            b"42",
            br#"[{"no":"type"}]"#,
            br#"[{"type":"message-delivered"}]"#,
        ] {
            assert!(
                parse_events(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn the_same_event_twice_has_the_same_key() {
        let body = br#"[{"type":"message-delivered","to":"+1","message":{"id":"m1"}},{"type":"message-delivered","to":"+1","message":{"id":"m1"}}]"#;
        let effects = parse_events(body).unwrap();
        assert_eq!(effects[0].key(), effects[1].key());
    }
}
