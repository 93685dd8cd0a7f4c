//! Callbacks answered for what they are, with one meaning on both backends: orphans and
//! deferrals, 400 for events past our limits, the same end state for the same mixed batch on
//! SQLite and PostgreSQL, honest 503s and `/readyz`.
//!
//! Tests that compare backends always run on SQLite and, when `TEST_DATABASE_URL` names a
//! PostgreSQL server, on PostgreSQL too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, TransactionTrait};
use serde_json::{Value, json};
use spoke_bandwidth::services::access::Role;
use spoke_bandwidth::store;
use spoke_bandwidth::store::entities::{contact, message};
use spoke_bandwidth::store::messages::{NewOutbound, SendUpdate};

use crate::callbacks::{
    CONTACT, OUR_NUMBER, basic, inbound_count, message_row, post, post_events, received_event,
    seed_sent, status_event,
};
use crate::helpers::{
    TestApp, TestDatabase, captured_logs, fresh_database, fresh_sqlite_database, spawn_app,
    spawn_app_on,
};

/// SQLite always; PostgreSQL too when `TEST_DATABASE_URL` names a server.
async fn backends() -> Vec<TestDatabase> {
    let mut databases = vec![fresh_sqlite_database()];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        databases.push(fresh_database().await);
    }
    databases
}

/// An outbound message stopped where the send path is while Bandwidth answers: `SENDING`, its
/// sender chosen, no Bandwidth id yet.
async fn seed_sending(app: &TestApp, org: i32, contact: &str, from: &str) -> i64 {
    let stored = store::messages::insert_outbound(
        &app.db,
        NewOutbound {
            organization_id: org,
            contact_number: contact.into(),
            text: "Hi".into(),
            media: "[]".into(),
            campaign_id: None,
            contact_id: None,
            send_before: None,
            idempotency_key: None,
            segment_count: None,
            sending: None,
        },
    )
    .await
    .unwrap();
    let update = SendUpdate {
        send_status: "SENDING",
        user_number: Some(from.into()),
        ..Default::default()
    };
    store::messages::update_send(&app.db, stored.id, update)
        .await
        .unwrap();
    stored.id
}

async fn metrics(app: &TestApp) -> String {
    app.client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn readyz(app: &TestApp) -> u16 {
    app.client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_report_for_a_message_never_stored_and_no_send_in_flight_is_acknowledged_at_once_as_an_orphan()
 {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    // A send to another contact is in flight: it cannot own this report.
    seed_sending(&app, org, "+19195550999", OUR_NUMBER).await;
    let body = json!([
        status_event("message-delivered", org, "bw-never-stored"),
        received_event("in-with-orphan", "hello"),
    ]);

    let started = Instant::now();
    assert_eq!(post_events(&app, org, body.clone()).await, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        inbound_count(&app, org).await,
        1,
        "the request's other event is stored"
    );
    assert_eq!(
        post_events(&app, org, body).await,
        200,
        "and so is its repeat"
    );
    assert!(
        metrics(&app).await.contains("callback_orphan_events_total"),
        "counted"
    );
    assert!(
        captured_logs().contains("bw-never-stored"),
        "and logged with its id"
    );
    let query = "query($org: String!) { organization(id: $org) { orphanReports { serviceId kind times } } }";
    let owner = app.token(org, Role::Owner).await;
    let answer = app
        .graphql(Some(&owner), query, json!({"org": org.to_string()}))
        .await;
    assert_eq!(
        answer["data"]["organization"]["orphanReports"],
        json!([{"serviceId": "bw-never-stored", "kind": "message-delivered", "times": 2}]),
        "{answer}"
    );
    let texter = app.token(org, Role::Texter).await;
    let answer = app
        .graphql(Some(&texter), query, json!({"org": org.to_string()}))
        .await;
    assert_eq!(
        crate::helpers::error_code(&answer),
        "FORBIDDEN",
        "owners only"
    );
}

#[tokio::test]
async fn a_report_posted_while_its_send_is_in_flight_is_deferred_then_applied_once_the_send_is_stored()
 {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let id = seed_sending(&app, org, CONTACT, OUR_NUMBER).await;
    let report = json!([
        status_event("message-delivered", org, "bw-in-flight"),
        received_event("in-beside-deferred", "hi"),
    ]);

    assert_eq!(
        post_events(&app, org, report.clone()).await,
        503,
        "deferred: the send may own it"
    );
    assert_eq!(
        inbound_count(&app, org).await,
        1,
        "the other event did not wait"
    );
    let sent = SendUpdate {
        send_status: "SENT",
        service_id: Some("bw-in-flight".into()),
        ..Default::default()
    };
    store::messages::update_send(&app.db, id, sent)
        .await
        .unwrap();

    assert_eq!(post_events(&app, org, report).await, 200);
    assert_eq!(message_row(&app, id).await.send_status, "DELIVERED");
    assert_eq!(inbound_count(&app, org).await, 1);
    assert!(metrics(&app).await.contains("cause=\"deferred\""));
}

#[tokio::test]
async fn events_past_our_limits_get_400_on_both_backends_and_store_nothing() {
    for database in backends().await {
        let app = spawn_app_on(database).await;
        let org = app.create_org("Org").await;
        let mut long_id = received_event("x", "hi");
        long_id["message"]["id"] = json!("i".repeat(4000));
        let mut long_from = received_event("long-from", "hi");
        long_from["message"]["from"] = json!("1".repeat(500 * 1024));
        let nul = received_event("nul-text", "before\u{0}after");
        let mut long_report = status_event("message-delivered", org, "x");
        long_report["message"]["id"] = json!("d".repeat(3000));
        let mut bad_to = status_event("message-failed", org, "bad-to");
        bad_to["to"] = json!("x".repeat(100));
        for event in [long_id, long_from, nul, long_report, bad_to] {
            let body = json!([received_event("fine-beside-bad", "ok"), event]);
            let response = post(&app, org, Some(basic(org, &app.address)), body.to_string()).await;
            assert_eq!(response.status(), 400, "{}", app.settings.database_url);
            let text = response.text().await.unwrap();
            assert!(text.starts_with("event 1:"), "{text}");
        }
        assert_eq!(inbound_count(&app, org).await, 0, "nothing half-stored");
    }
}

/// What an organization's tables say, without ids and times.
async fn end_state(app: &TestApp) -> Value {
    let messages = message::Entity::find()
        .order_by_asc(message::Column::ServiceId)
        .all(&app.db)
        .await
        .unwrap();
    let service_of = |id: Option<i64>| {
        id.and_then(|id| messages.iter().find(|m| m.id == id))
            .and_then(|m| m.service_id.clone())
    };
    let rows: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!({
                "service_id": m.service_id, "from_contact": m.is_from_contact, "status": m.send_status,
                "code": m.error_code, "description": m.error_description, "segments": m.segment_count,
                "text": m.text, "media": m.media, "contact": m.contact_number, "user": m.user_number,
                "in_reply_to": service_of(m.in_reply_to),
            })
        })
        .collect();
    let contacts: Vec<Value> = contact::Entity::find()
        .order_by_asc(contact::Column::ContactNumber)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| json!({"contact": c.contact_number, "user": c.user_number, "last_error": c.last_error_code}))
        .collect();
    json!({ "messages": rows, "contacts": contacts })
}

async fn seed_sent_from(app: &TestApp, org: i32, service_id: &str, contact: &str, from: &str) {
    let stored = store::messages::insert_outbound(
        &app.db,
        NewOutbound {
            organization_id: org,
            contact_number: contact.into(),
            text: format!("to {service_id}"),
            media: "[]".into(),
            campaign_id: None,
            contact_id: None,
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
        user_number: Some(from.into()),
        service_id: Some(service_id.into()),
        ..Default::default()
    };
    store::messages::update_send(&app.db, stored.id, update)
        .await
        .unwrap();
}

fn failed(org: i32, id: &str, code: i64) -> Value {
    let mut event = status_event("message-failed", org, id);
    event["errorCode"] = json!(code);
    event["description"] = json!("rejected");
    event
}

#[tokio::test]
async fn the_same_mixed_batches_end_in_the_same_state_on_both_backends() {
    let mut states = Vec::new();
    for database in backends().await {
        let app = spawn_app_on(database).await;
        let org = app.create_org("Org").await;
        let other = app.create_org("Other").await;
        seed_sent_from(&app, org, "m1", CONTACT, "+19195550101").await;
        seed_sent_from(&app, org, "m2", CONTACT, "+19195550102").await;
        seed_sent_from(&app, org, "m3", CONTACT, "+19195550103").await;
        seed_sent_from(&app, org, "m4", "+19195550124", "+19195550101").await;
        seed_sent_from(&app, other, "theirs", CONTACT, "+19195550109").await;
        let mut reply_with_media = received_event("in-2", "photo");
        reply_with_media["message"]["media"] = json!(["https://example.org/a.jpg"]);
        reply_with_media["message"]["segmentCount"] = json!(0);
        let first = json!([
            status_event("message-delivered", org, "m1"),
            failed(org, "m1", 4720),
            failed(org, "m2", 4720),
            status_event("message-delivered", org, "m2"),
            status_event("message-delivered", org, "m3"),
            status_event("message-delivered", org, "m3"),
            failed(org, "m4", 0),
            status_event("message-delivered", other, "theirs"),
            status_event("message-delivered", org, "ghost"),
            received_event("in-1", "yes"),
            received_event("in-1", "yes"),
            reply_with_media,
        ]);
        let second = json!([
            failed(org, "m3", 9902),
            status_event("message-delivered", org, "m4"),
            received_event("in-1", "yes"),
        ]);
        assert_eq!(post_events(&app, org, first.clone()).await, 200);
        assert_eq!(post_events(&app, org, second.clone()).await, 200);
        let state = end_state(&app).await;
        // Bandwidth's retries of both change nothing.
        assert_eq!(post_events(&app, org, first).await, 200);
        assert_eq!(post_events(&app, org, second).await, 200);
        assert_eq!(end_state(&app).await, state);
        states.push((app.settings.database_url.clone(), state));
    }
    let (_, state) = &states[0];
    let status = |id: &str| {
        state["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["service_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} in {state}"))
    };
    assert_eq!(status("m1")["status"], "DELIVERED", "delivered came first");
    assert_eq!(status("m2")["status"], "ERROR", "failed came first");
    assert_eq!(status("m2")["code"], 4720);
    assert_eq!(
        status("m3")["status"],
        "DELIVERED",
        "a later failure is too late"
    );
    assert_eq!(status("m4")["status"], "ERROR");
    assert_eq!(status("m4")["code"], 0);
    assert_eq!(status("theirs")["status"], "SENT");
    assert_eq!(
        status("in-1")["in_reply_to"],
        Value::Null,
        "no message from that number"
    );
    assert_eq!(status("in-2")["segments"], 0);
    let sticky = state["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contact"] == CONTACT)
        .unwrap();
    assert_eq!(
        sticky["user"], "+19195550103",
        "the last delivery names the number"
    );
    for (url, other) in &states[1..] {
        assert_eq!(other, state, "{url} differs from SQLite");
    }
}

#[tokio::test]
async fn every_503_is_logged_with_its_cause_counted_and_readyz_tells_until_a_commit_succeeds() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    seed_sent(&app, org, "bw-cause-1").await;
    let rename = |from: &str, to: &str| format!("ALTER TABLE {from} RENAME TO {to}");
    app.db
        .execute_unprepared(&rename("bandwidth_contacts", "bandwidth_contacts_away"))
        .await
        .unwrap();
    let status = post_events(
        &app,
        org,
        json!([status_event("message-delivered", org, "bw-cause-1")]),
    )
    .await;
    let ready_while_failing = readyz(&app).await;
    app.db
        .execute_unprepared(&rename("bandwidth_contacts_away", "bandwidth_contacts"))
        .await
        .unwrap();
    assert_eq!(status, 503);
    assert_eq!(ready_while_failing, 503, "the writer's failure shows");
    assert!(
        metrics(&app)
            .await
            .contains("callback_unavailable_total{cause=\"store_failed\"}"),
        "{}",
        metrics(&app).await
    );
    assert!(captured_logs().contains("store_failed"));

    assert_eq!(
        post_events(
            &app,
            org,
            json!([status_event("message-delivered", org, "bw-cause-1")])
        )
        .await,
        200
    );
    assert_eq!(readyz(&app).await, 200, "recovered by itself");
}

#[tokio::test]
async fn while_the_messages_table_is_locked_on_postgresql_readyz_answers_503_and_recovers() {
    let app = Arc::new(spawn_app().await);
    if app.db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return; // the lock of the issue is PostgreSQL's; SQLite's one connection is pinged
    }
    let org = app.create_org("Org").await;
    seed_sent(&app, org, "bw-locked-1").await;
    assert_eq!(readyz(&app).await, 200);

    let locker = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .unwrap();
    let lock = locker.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE bandwidth_messages IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let pending = {
        let app = app.clone();
        tokio::spawn(async move {
            post_events(
                &app,
                org,
                json!([status_event("message-delivered", org, "bw-locked-1")]),
            )
            .await
        })
    };
    let started = Instant::now();
    let mut unready_after = None;
    while started.elapsed() < Duration::from_secs(10) {
        if readyz(&app).await == 503 {
            unready_after = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    lock.rollback().await.unwrap();
    let unready_after = unready_after.expect("readyz answered 503 within 10 s of the lock");
    assert!(unready_after < Duration::from_secs(5), "{unready_after:?}");

    let mut ready_again = false;
    for _ in 0..50 {
        if readyz(&app).await == 200 {
            ready_again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(ready_again, "readyz recovered after the unlock");
    let answered = pending.await.unwrap();
    assert!(answered == 200 || answered == 503, "{answered}");
    assert_eq!(
        post_events(
            &app,
            org,
            json!([status_event("message-delivered", org, "bw-locked-1")])
        )
        .await,
        200
    );
    assert!(captured_logs().contains("readiness check failed"));
}

#[tokio::test]
async fn sqlite_syncs_every_commit_so_an_acknowledged_callback_survives_power_loss() {
    let app = spawn_app_on(fresh_sqlite_database()).await;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA synchronous",
        ))
        .await
        .unwrap()
        .unwrap();
    let level: i32 = row.try_get_by_index(0).unwrap();
    assert_eq!(level, 2, "synchronous=FULL");
    let journal = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    let mode: String = journal.try_get_by_index(0).unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_stored_callback_shows_in_the_writer_batch_size_and_commit_time_metrics() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let body = json!([received_event("in-for-metrics", "hello")]);
    assert_eq!(post_events(&app, org, body).await, 200);

    let text = metrics(&app).await;
    for name in ["callback_batch_requests", "callback_batch_seconds"] {
        assert!(text.contains(name), "{name} in /metrics:\n{text}");
    }
}
