//! `POST /bandwidth/{orgId}` (SPEC §5): the challenge, exactly-once effects, org scoping,
//! honest status codes.

use std::sync::Arc;

use base64::Engine;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    Statement, TransactionTrait,
};
use serde_json::{Value, json};
use spoke_bandwidth::config::Secret;
use spoke_bandwidth::services::access::Role;
use spoke_bandwidth::services::webhook_auth;
use spoke_bandwidth::store;
use spoke_bandwidth::store::callbacks::OrgPlan;
use spoke_bandwidth::store::callbacks::postgres::{self, HeldConnections};
use spoke_bandwidth::store::entities::{contact, message};
use spoke_bandwidth::store::messages::{NewOutbound, SendUpdate};

use crate::helpers::{SESSION_SECRET, TestApp, spawn_app, texts};

pub(crate) const CONTACT: &str = "+19195550123";
pub(crate) const OUR_NUMBER: &str = "+19195550100";

pub(crate) fn basic(org: i32, base_url: &str) -> String {
    let password = webhook_auth::password_for(&Secret::new(SESSION_SECRET), base_url, org);
    let pair = format!("bandwidth.com:{}", password.expose());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

pub(crate) async fn post(
    app: &TestApp,
    route_org: i32,
    auth: Option<String>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/bandwidth/{route_org}", app.address))
        .header("content-type", "application/json; charset=utf-8")
        .body(body);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    request.send().await.expect("the server answers")
}

pub(crate) async fn post_events(app: &TestApp, org: i32, events: Value) -> u16 {
    post(app, org, Some(basic(org, &app.address)), events.to_string())
        .await
        .status()
        .as_u16()
}

/// An outbound message already sent through Bandwidth, as the send path leaves it.
pub(crate) async fn seed_sent(app: &TestApp, org: i32, service_id: &str) -> i64 {
    let stored = store::messages::insert_outbound(
        &app.db,
        NewOutbound {
            organization_id: org,
            contact_number: CONTACT.into(),
            text: "Hi from the campaign".into(),
            media: "[]".into(),
            campaign_id: Some("7".into()),
            contact_id: Some("70".into()),
            send_before: None,
            idempotency_key: None,
            segment_count: None,
            sending: None,
        },
    )
    .await
    .unwrap();
    let update = SendUpdate {
        send_status: "SENT",
        user_number: Some(OUR_NUMBER.into()),
        service_id: Some(service_id.into()),
        ..Default::default()
    };
    store::messages::update_send(&app.db, stored.id, update)
        .await
        .unwrap();
    stored.id
}

pub(crate) fn status_event(kind: &str, org: i32, service_id: &str) -> Value {
    json!({
        "type": kind, "time": "2026-11-30T10:00:00.123Z", "description": "ok", "to": CONTACT,
        "message": {"id": service_id, "owner": OUR_NUMBER, "applicationId": "app", "time": "2026-11-30T10:00:00Z",
                    "segmentCount": 1, "direction": "out", "to": [CONTACT], "from": OUR_NUMBER, "text": "",
                    "tag": format!("{org}|7|70")}
    })
}

pub(crate) fn received_event(id: &str, text: &str) -> Value {
    json!({
        "type": "message-received", "time": "2026-11-30T10:01:00Z", "description": "Incoming message received", "to": OUR_NUMBER,
        "message": {"id": id, "owner": OUR_NUMBER, "applicationId": "app", "time": "2026-11-30T10:01:00Z", "segmentCount": 1,
                    "direction": "in", "to": [OUR_NUMBER], "from": CONTACT, "text": text}
    })
}

pub(crate) async fn message_row(app: &TestApp, id: i64) -> message::Model {
    message::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

pub(crate) async fn inbound_count(app: &TestApp, org: i32) -> u64 {
    message::Entity::find()
        .filter(message::Column::OrganizationId.eq(org))
        .filter(message::Column::IsFromContact.eq(true))
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_callback_without_or_with_wrong_credentials_gets_the_401_challenge() {
    let app = spawn_app().await;
    let org1 = app.create_org("One").await;
    let org2 = app.create_org("Two").await;
    let body = json!([received_event("in-1", "hello")]).to_string();

    for auth in [
        None,
        Some("Basic Ym9ndXM6Ym9ndXM=".to_owned()),
        Some(basic(org1, &app.address)),
    ] {
        let response = post(&app, org2, auth, body.clone()).await;
        assert_eq!(response.status(), 401);
        let challenge = response
            .headers()
            .get("www-authenticate")
            .expect("a challenge")
            .to_str()
            .unwrap();
        assert!(challenge.starts_with("Basic realm="), "{challenge}");
    }
    assert_eq!(inbound_count(&app, org2).await, 0);
    assert_eq!(
        post_events(&app, org2, json!([received_event("in-1", "hello")])).await,
        200
    );
}

#[tokio::test]
async fn a_delivery_moves_the_message_to_delivered_and_makes_the_sender_sticky() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let id = seed_sent(&app, org, "bw-delivered-1").await;

    let status = post_events(
        &app,
        org,
        json!([status_event("message-delivered", org, "bw-delivered-1")]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(message_row(&app, id).await.send_status, "DELIVERED");
    let mapping = contact::Entity::find_by_id((org, CONTACT.to_owned()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mapping.user_number.as_deref(), Some(OUR_NUMBER));
}

#[tokio::test]
async fn a_failure_keeps_bandwidths_code_and_its_description() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let id = seed_sent(&app, org, "bw-failed-1").await;
    let mut event = status_event("message-failed", org, "bw-failed-1");
    event["errorCode"] = json!(4720);
    event["description"] = json!("invalid-destination-address");

    assert_eq!(post_events(&app, org, json!([event])).await, 200);
    let row = message_row(&app, id).await;
    assert_eq!(row.send_status, "ERROR");
    assert_eq!(row.error_code, Some(4720));
    assert!(
        row.error_description
            .unwrap()
            .starts_with("invalid-destination-address: ")
    );
}

#[tokio::test]
async fn the_delivery_status_only_moves_forward() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let id = seed_sent(&app, org, "bw-forward-1").await;
    assert_eq!(
        post_events(
            &app,
            org,
            json!([status_event("message-delivered", org, "bw-forward-1")])
        )
        .await,
        200
    );
    let mut late_failure = status_event("message-failed", org, "bw-forward-1");
    late_failure["errorCode"] = json!(9902);

    assert_eq!(post_events(&app, org, json!([late_failure])).await, 200);
    let row = message_row(&app, id).await;
    assert_eq!(row.send_status, "DELIVERED");
    assert_eq!(row.error_code, None);
}

#[tokio::test]
async fn a_delivery_writes_no_index_entry_as_no_messages_index_holds_its_status() {
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    let definitions = texts(
        &app.db,
        if backend == DatabaseBackend::Postgres {
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'bandwidth_messages'"
        } else {
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bandwidth_messages' AND sql IS NOT NULL"
        },
    )
    .await;
    assert!(
        definitions.iter().any(|d| d.contains("open_since")),
        "open sends are read through their own index: {definitions:?}"
    );
    assert!(definitions.iter().any(|d| d.contains("idempotency_key")));
    for definition in &definitions {
        assert!(
            !definition.contains("send_status") && !definition.contains("updated_at"),
            "a status move would write an entry in {definition}"
        );
        if definition.contains("idempotency_key") {
            assert!(
                definition.contains("IS NOT NULL"),
                "a message without a key should write no entry in {definition}"
            );
        }
    }
    if backend != DatabaseBackend::Postgres {
        return;
    }
    // On PostgreSQL that makes the move a HOT update: a new version on the row's page, no index
    // entry. Counted within one transaction, where the statistics are exact and immediate.
    let org = app.create_org("Org").await;
    let id = seed_sent(&app, org, "bw-hot-1").await;
    let txn = app.db.begin().await.unwrap();
    // The SET of the delivery statement (`store::callbacks::postgres`).
    txn.execute_unprepared(&format!(
        "UPDATE bandwidth_messages SET send_status = 'DELIVERED', updated_at = now() WHERE id = {id}"
    ))
    .await
    .unwrap();
    let hot = txn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT pg_stat_get_xact_tuples_hot_updated('bandwidth_messages'::regclass) AS hot",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "hot")
        .unwrap();
    assert_eq!(hot, 1, "the SENT → DELIVERED move should be a HOT update");
    txn.rollback().await.unwrap();
}

#[tokio::test]
async fn a_callback_whose_rows_another_transaction_holds_is_refused_at_once_and_stored_when_retried()
 {
    let app = spawn_app().await;
    if app.db.get_database_backend() != DatabaseBackend::Postgres {
        return; // SQLite has one writer at a time: there is no row lock to wait for.
    }
    let org = app.create_org("Org").await;
    let id = seed_sent(&app, org, "bw-locked-1").await;
    // Another writer (a concurrent batch, a sweeper) holds the message's row.
    let holder = app.db.begin().await.unwrap();
    holder
        .execute_unprepared(&format!(
            "SELECT id FROM bandwidth_messages WHERE id = {id} FOR UPDATE"
        ))
        .await
        .unwrap();
    let event = json!([status_event("message-delivered", org, "bw-locked-1")]);

    // The writer gives up after its lock timeout, not after the 8 s a request may wait in all.
    let refused = post(&app, org, Some(basic(org, &app.address)), event.to_string()).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(
        refused.text().await.unwrap(),
        "the callback could not be stored; Bandwidth should retry"
    );
    holder.rollback().await.unwrap();
    assert_eq!(message_row(&app, id).await.send_status, "SENT");

    assert_eq!(post_events(&app, org, event).await, 200);
    assert_eq!(message_row(&app, id).await.send_status, "DELIVERED");
}

#[tokio::test]
async fn the_writers_batch_statements_are_planned_once_not_at_every_batch() {
    let app = spawn_app().await;
    if app.db.get_database_backend() != DatabaseBackend::Postgres {
        return; // SQLite's statements are the portable path's, planned by SQLite.
    }
    let org = app.create_org("Org").await;
    let connections = HeldConnections::to_database_of(&app.db);
    let mut conn = connections.take().await.unwrap();
    // Left to itself, PostgreSQL plans a prepared statement for its values at its first five
    // executions, then uses the generic plan only if that looks no dearer (against a table of
    // 400,000 messages it never did, and planned every batch again).
    for batch in 0..8 {
        let mut deliver = Vec::new();
        for n in 0..8 {
            let id = format!("bw-planned-{batch}-{n}");
            seed_sent(&app, org, &id).await;
            deliver.push(id);
        }
        let plan = OrgPlan {
            org,
            sticky: true,
            deliver,
            ..Default::default()
        };
        let missing = postgres::apply(&mut conn, &[plan], &["SENT"])
            .await
            .unwrap();
        assert!(missing.is_empty());
    }

    let plans = sea_orm::sqlx::query_as::<_, (i64, i64)>(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
         WHERE statement LIKE '%UPDATE bandwidth_messages SET send_status = ''DELIVERED''%'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        plans,
        (8, 0),
        "(generic, custom) plans of the delivery statement"
    );
}

#[tokio::test]
async fn one_callback_posted_five_times_has_one_effect() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let body = json!([received_event("in-dup-1", "STOP? no, hello")]);

    for _ in 0..5 {
        assert_eq!(post_events(&app, org, body.clone()).await, 200);
    }
    assert_eq!(inbound_count(&app, org).await, 1);
}

#[tokio::test]
async fn a_reply_is_attached_to_the_message_it_answers_and_read_back_in_the_conversation() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let texter = app.token(org, Role::Texter).await;
    let outbound = seed_sent(&app, org, "bw-thread-1").await;

    assert_eq!(
        post_events(
            &app,
            org,
            json!([received_event("in-thread-1", "Yes, count me in")])
        )
        .await,
        200
    );
    let query = "query($org: String!, $contact: String!) { organization(id: $org) { conversation(contactNumber: $contact) { id text isFromContact userNumber inReplyTo sendStatus } } }";
    let answer = app
        .graphql(
            Some(&texter),
            query,
            json!({"org": org.to_string(), "contact": "(919) 555-0123"}),
        )
        .await;
    let thread = answer["data"]["organization"]["conversation"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .clone();
    assert_eq!(thread.len(), 2, "{answer}");
    assert_eq!(thread[0]["isFromContact"], false);
    assert_eq!(thread[1]["text"], "Yes, count me in");
    assert_eq!(thread[1]["userNumber"], OUR_NUMBER);
    assert_eq!(thread[1]["inReplyTo"], outbound.to_string());
}

#[tokio::test]
async fn a_callback_for_another_organizations_message_changes_nothing() {
    let app = spawn_app().await;
    let org1 = app.create_org("One").await;
    let org2 = app.create_org("Two").await;
    let id = seed_sent(&app, org2, "bw-org2-1").await;

    let status = post_events(
        &app,
        org1,
        json!([status_event("message-delivered", org2, "bw-org2-1")]),
    )
    .await;
    assert_eq!(status, 200, "acknowledged: it is not ours to retry");
    assert_eq!(message_row(&app, id).await.send_status, "SENT");
    assert!(
        contact::Entity::find_by_id((org1, CONTACT.to_owned()))
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn malformed_oversized_and_unknown_bodies_get_400_413_and_200() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let auth = || Some(basic(org, &app.address));

    assert_eq!(post(&app, org, auth(), "[{not json").await.status(), 400);
    assert_eq!(
        post(&app, org, auth(), r#"[{"type":"message-delivered"}]"#)
            .await
            .status(),
        400
    );
    let huge = format!(
        "[{}]",
        vec![received_event("x", "y").to_string(); 8_000].join(",")
    );
    assert!(huge.len() > 1024 * 1024);
    assert_eq!(post(&app, org, auth(), huge).await.status(), 413);
    assert_eq!(
        post(
            &app,
            org,
            auth(),
            r#"[{"type":"message-sending","message":{"id":"s"}},{"type":"message-read"}]"#
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        post(
            &app,
            org,
            auth(),
            received_event("single-object", "hi").to_string()
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        inbound_count(&app, org).await,
        1,
        "a single object is taken like an array"
    );
}

#[tokio::test]
async fn a_database_failure_during_a_callback_gives_503_and_applies_nothing() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let id = seed_sent(&app, org, "bw-broken-1").await;
    // The status change would succeed; the sticky mapping written with it cannot.
    let rename = |from: &str, to: &str| format!("ALTER TABLE {from} RENAME TO {to}");
    app.db
        .execute_unprepared(&rename("bandwidth_contacts", "bandwidth_contacts_away"))
        .await
        .unwrap();

    let status = post_events(
        &app,
        org,
        json!([status_event("message-delivered", org, "bw-broken-1")]),
    )
    .await;
    app.db
        .execute_unprepared(&rename("bandwidth_contacts_away", "bandwidth_contacts"))
        .await
        .unwrap();
    assert_eq!(status, 503);
    assert_eq!(
        message_row(&app, id).await.send_status,
        "SENT",
        "nothing half-applied"
    );
}

#[tokio::test]
async fn after_the_database_fails_the_writer_one_callback_gets_503_and_its_retry_is_stored() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let event = |id: &str| json!([received_event(id, "hi")]);
    assert_eq!(post_events(&app, org, event("in-before")).await, 200);
    if app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // PostgreSQL drops every connection of the database, the writer's included.
        app.db
            .execute_unprepared(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .await
            .unwrap();
        assert_eq!(
            post_events(&app, org, event("in-after")).await,
            503,
            "not acknowledged on a dead connection"
        );
    } else {
        // SQLite: another process holds the database's write lock past the busy timeout.
        let other = spoke_bandwidth::store::connect(&app.settings.database_url)
            .await
            .unwrap();
        other.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
        let answered = post_events(&app, org, event("in-after")).await;
        other.execute_unprepared("COMMIT").await.unwrap();
        assert_eq!(
            answered, 503,
            "not acknowledged while the database cannot be written"
        );
    }
    assert_eq!(
        post_events(&app, org, event("in-after")).await,
        200,
        "Bandwidth's retry finds a new connection"
    );
    // This test's own pooled connections were dropped too: the first use of each fails.
    let mut count = None;
    for _ in 0..20 {
        let counted = message::Entity::find()
            .filter(message::Column::OrganizationId.eq(org))
            .filter(message::Column::IsFromContact.eq(true))
            .count(&app.db)
            .await;
        if let Ok(n) = counted {
            count = Some(n);
            break;
        }
    }
    assert_eq!(count, Some(2));
}

#[tokio::test]
async fn a_delivery_report_delivered_again_does_not_rewrite_the_sticky_number() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    seed_sent(&app, org, "bw-again-1").await;
    let event = json!([status_event("message-delivered", org, "bw-again-1")]);
    assert_eq!(post_events(&app, org, event.clone()).await, 200);
    // Since then the contact was moved to another number (say ours was released).
    store::callbacks::upsert_sticky(
        &app.db,
        org,
        &[store::callbacks::Pair {
            contact_number: CONTACT.into(),
            user_number: "+19195550199".into(),
        }],
    )
    .await
    .unwrap();

    assert_eq!(post_events(&app, org, event).await, 200);
    let mapping = contact::Entity::find_by_id((org, CONTACT.to_owned()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mapping.user_number.as_deref(), Some("+19195550199"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callbacks_are_all_acknowledged_and_stored_once() {
    let app = Arc::new(spawn_app().await);
    let org = app.create_org("Org").await;
    let gate = Arc::new(tokio::sync::Semaphore::new(64));
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let (app, gate) = (app.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            post_events(
                &app,
                org,
                json!([received_event(&format!("burst-{i}"), "hi")]),
            )
            .await
        }));
    }
    let mut acknowledged = 0;
    for task in tasks {
        if task.await.unwrap() == 200 {
            acknowledged += 1;
        }
    }
    assert_eq!(acknowledged, 1000);
    assert_eq!(inbound_count(&app, org).await, 1000);
}

#[tokio::test]
async fn a_failure_left_in_the_outbox_by_a_stopped_server_is_accounted_and_removed() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let id = seed_sent(&app, org, "bw-outbox-1").await;
    // As a server killed between the failing commit and the drain leaves it.
    store::failures::record(&app.db, id, Some(4470))
        .await
        .unwrap();

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while store::failures::pending(&app.db).await.unwrap() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the drainer never took the failure"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_failure_whose_callback_comes_five_times_is_accounted_once() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    store::phone_numbers::upsert_active(
        &app.db,
        org,
        &[store::phone_numbers::NewNumber {
            phone_number: OUR_NUMBER.into(),
            area_code: "919".into(),
            state: "NC".into(),
            service_id: None,
        }],
    )
    .await
    .unwrap();
    seed_sent(&app, org, "bw-spam-1").await;
    let mut event = status_event("message-failed", org, "bw-spam-1");
    event["errorCode"] = json!(4470);

    for _ in 0..5 {
        assert_eq!(post_events(&app, org, json!([event.clone()])).await, 200);
    }
    let since = chrono::Utc::now() - chrono::Duration::days(1);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let strikes = store::health::list_strikes(
            &app.db,
            org,
            store::health::StrikesOf::Number(OUR_NUMBER),
            since,
        )
        .await
        .unwrap();
        if store::failures::pending(&app.db).await.unwrap() == 0 && !strikes.is_empty() {
            assert_eq!(strikes.len(), 1, "one failure, one strike");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the failure was never accounted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
