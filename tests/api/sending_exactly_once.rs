//! Exactly-once sending (issue #13), end to end with the emulator over loopback: idempotency
//! keys, sends whose answer is lost (the emulator accepts and then answers too late, or answers a
//! 202 we cannot read, or we fail to store its answer), and the sticky pin written at send time.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use spoke_bandwidth::config::Settings;
use spoke_bandwidth::services::access::Role;

use crate::helpers::{
    TestApp, error_code, futures_join_all, spawn_app_with_emulator, spawn_app_with_emulator_and,
};
use crate::provisioning::requests;
use crate::sending::{SEND, ready, send, thread, wait_for};

async fn send_with(app: &TestApp, token: &str, org: i32, input: Value) -> Value {
    app.graphql(
        Some(token),
        SEND,
        json!({"org": org.to_string(), "input": input}),
    )
    .await
}

/// Short send timeouts, so a lost answer is noticed within a second; the sweeper every 200 ms.
fn impatient(settings: &mut Settings) {
    settings.bandwidth_timeout_ms = 1_000;
    settings.send_timeout_ms = 1_000;
    settings.send_sweep_interval_ms = 200;
    settings.send_lookup_grace_ms = 500;
}

/// As [`impatient`], with a sweeper that runs only at start, so nothing but callbacks settles.
fn impatient_without_sweeps(settings: &mut Settings) {
    impatient(settings);
    settings.send_sweep_interval_ms = 600_000;
}

async fn posts(app: &TestApp) -> usize {
    requests(app, "POST", "/messages").await.len()
}

/// Waits (bounded: 5 s) until the emulator has recorded `n` sends; a refused send is recorded
/// when it is answered, after its delay.
async fn wait_for_posts(app: &TestApp, n: usize) -> usize {
    for _ in 0..50 {
        if posts(app).await >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    posts(app).await
}

/// Polls the conversation like `wait_for`, and fails as soon as the message is seen in `ERROR`.
async fn wait_without_error(
    app: &TestApp,
    token: &str,
    org: i32,
    contact: &str,
    status: &str,
) -> Value {
    for _ in 0..150 {
        let messages = thread(app, token, org, contact).await;
        assert_eq!(messages.len(), 1, "one message: {messages:?}");
        assert_ne!(messages[0]["sendStatus"], "ERROR", "{messages:?}");
        if messages[0]["sendStatus"] == status {
            return messages[0].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the message never reached {status}: {:?}",
        thread(app, token, org, contact).await
    )
}

/// The emulator's record of its messages to `contact` (Bandwidth's list-messages view).
async fn bandwidth_ids(app: &TestApp, contact: &str) -> Vec<String> {
    let digits: String = contact.chars().filter(char::is_ascii_digit).collect();
    let state = app.emulator().state().clone();
    let url = format!(
        "{}/users/{}/messages?destinationTn={digits}",
        app.emulator().messaging_url(),
        state.config().account_id
    );
    let page: Value = app
        .client
        .get(url)
        .basic_auth(&state.config().username, Some(&state.config().password))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn two_concurrent_sends_with_one_key_post_once_and_both_answers_name_the_message() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let texter = app.token(org, Role::Texter).await;
    let input = json!({"contactNumber": "+19195557101", "text": "Once", "idempotencyKey": "spoke-message-1"});

    let (a, b) = tokio::join!(
        send_with(&app, &owner, org, input.clone()),
        send_with(&app, &texter, org, input.clone())
    );
    let (a, b) = (&a["data"]["sendMessage"], &b["data"]["sendMessage"]);
    assert!(a["id"].is_string(), "{a}");
    assert_eq!(a["id"], b["id"], "both answers name one message");
    assert_eq!(a["serviceId"], b["serviceId"], "{a} {b}");
    assert_eq!(posts(&app).await, 1, "one request reached Bandwidth");
    assert_eq!(thread(&app, &owner, org, "+19195557101").await.len(), 1);
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_message_and_a_new_message_needs_a_new_key() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let input = json!({"contactNumber": "+19195557102", "text": "Hi", "idempotencyKey": "k-1"});

    let first = send_with(&app, &owner, org, input.clone()).await;
    let again = send_with(&app, &owner, org, input).await;
    assert_eq!(
        first["data"]["sendMessage"]["id"],
        again["data"]["sendMessage"]["id"]
    );
    assert_eq!(posts(&app).await, 1);

    let other_text =
        json!({"contactNumber": "+19195557102", "text": "Different", "idempotencyKey": "k-1"});
    let refused = send_with(&app, &owner, org, other_text).await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
    let too_long =
        json!({"contactNumber": "+19195557102", "text": "Hi", "idempotencyKey": "k".repeat(256)});
    assert_eq!(
        error_code(&send_with(&app, &owner, org, too_long).await),
        "BAD_USER_INPUT"
    );
    // Without a key every call is a new message, as before.
    send(&app, &owner, org, "+19195557102", "No key").await;
    send(&app, &owner, org, "+19195557102", "No key").await;
    assert_eq!(posts(&app).await, 3);
    assert_eq!(thread(&app, &owner, org, "+19195557102").await.len(), 3);
}

#[tokio::test]
async fn the_same_key_in_two_organizations_names_two_messages() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let (other, other_owner) = ready(&app).await;
    let input = json!({"contactNumber": "+19195557103", "text": "Hi", "idempotencyKey": "shared"});
    let first = send_with(&app, &owner, org, input.clone()).await;
    let second = send_with(&app, &other_owner, other, input).await;
    assert!(
        first["data"]["sendMessage"]["serviceId"].is_string(),
        "{first}"
    );
    assert!(
        second["data"]["sendMessage"]["serviceId"].is_string(),
        "{second}"
    );
    assert_ne!(
        first["data"]["sendMessage"]["id"],
        second["data"]["sendMessage"]["id"]
    );
    assert_eq!(posts(&app).await, 2);
}

#[tokio::test]
async fn an_answer_lost_after_bandwidth_accepted_ends_delivered_by_its_callbacks_with_one_post() {
    let app = spawn_app_with_emulator_and(impatient_without_sweeps).await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "action": "acceptThenDelay", "delayMs": 3000});
    app.emulator_post("/_emulator/faults", fault).await;

    let sent = send(&app, &owner, org, "+19195557104", "Lost answer").await;
    let status = &sent["data"]["sendMessage"]["sendStatus"];
    assert!(status == "UNKNOWN" || status == "DELIVERED", "{sent}");

    let message = wait_without_error(&app, &owner, org, "+19195557104", "DELIVERED").await;
    assert_eq!(posts(&app).await, 1, "never posted twice");
    let callbacks = app.emulator_get("/_emulator/callbacks").await;
    assert!(
        callbacks
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["authorized"] == true && c["status"] == 200),
        "the callbacks were acknowledged with 2xx: {callbacks}"
    );
    let ids = bandwidth_ids(&app, "+19195557104").await;
    assert_eq!(ids.len(), 1);
    let stored: Vec<Value> = thread(&app, &owner, org, "+19195557104").await;
    assert_eq!(stored[0]["id"], message["id"]);
}

#[tokio::test]
async fn an_answer_lost_with_no_callback_is_settled_by_asking_bandwidth() {
    let app = spawn_app_with_emulator_and(impatient).await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "action": "acceptThenDelay",
                       "delayMs": 3000, "dropCallbacks": true});
    app.emulator_post("/_emulator/faults", fault).await;

    let sent = send(&app, &owner, org, "+19195557105", "Nobody calls back").await;
    assert_eq!(
        sent["data"]["sendMessage"]["sendStatus"], "UNKNOWN",
        "{sent}"
    );

    wait_without_error(&app, &owner, org, "+19195557105", "DELIVERED").await;
    assert_eq!(posts(&app).await, 1, "never posted twice");
    let lookups = app.emulator_get("/_emulator/requests").await;
    assert!(
        lookups
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["method"] == "GET" && r["path"].as_str().unwrap().contains("/messages?")),
        "Bandwidth's message list was asked: {lookups}"
    );
    let ids = bandwidth_ids(&app, "+19195557105").await;
    let stored = app
        .graphql(
            Some(&owner),
            "query($org: String!) { organization(id: $org) { conversation(contactNumber: \"+19195557105\") { serviceId } } }",
            json!({"org": org.to_string()}),
        )
        .await;
    assert_eq!(
        stored["data"]["organization"]["conversation"][0]["serviceId"], ids[0],
        "the message took Bandwidth's id: {stored}"
    );
}

#[tokio::test]
async fn a_lost_answer_for_a_failing_recipient_takes_bandwidths_failure() {
    let app = spawn_app_with_emulator_and(impatient).await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "action": "acceptThenDelay",
                       "delayMs": 3000, "dropCallbacks": true});
    app.emulator_post("/_emulator/faults", fault).await;

    send(&app, &owner, org, "+19195554720", "To an invalid number").await;
    let messages = wait_for(&app, &owner, org, "+19195554720", |m| {
        m[0]["sendStatus"] == "ERROR"
    })
    .await;
    assert_eq!(messages[0]["errorCode"], 4720, "{messages:?}");
    assert_eq!(posts(&app).await, 1);
}

#[tokio::test]
async fn a_202_we_cannot_read_is_settled_by_asking_bandwidth_without_a_second_post() {
    let app = spawn_app_with_emulator_and(impatient).await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "action": "acceptThenGarble",
                       "dropCallbacks": true});
    app.emulator_post("/_emulator/faults", fault).await;

    let sent = send(&app, &owner, org, "+19195557106", "Garbled").await;
    assert_eq!(
        sent["data"]["sendMessage"]["sendStatus"], "UNKNOWN",
        "{sent}"
    );
    wait_without_error(&app, &owner, org, "+19195557106", "DELIVERED").await;
    assert_eq!(posts(&app).await, 1);
}

#[tokio::test]
async fn a_connection_cut_after_bandwidth_accepted_is_settled_by_asking_bandwidth() {
    let app = spawn_app_with_emulator_and(impatient).await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "action": "acceptThenDrop",
                       "dropCallbacks": true});
    app.emulator_post("/_emulator/faults", fault).await;

    let sent = send(&app, &owner, org, "+19195557116", "Connection reset").await;
    assert_eq!(
        sent["data"]["sendMessage"]["sendStatus"], "UNKNOWN",
        "{sent}"
    );
    wait_without_error(&app, &owner, org, "+19195557116", "DELIVERED").await;
    assert_eq!(posts(&app).await, 1, "never posted twice");
}

#[tokio::test]
async fn a_lost_answer_bandwidth_never_accepted_is_posted_again_once_its_list_shows_no_such_message()
 {
    let app = spawn_app_with_emulator_and(impatient).await;
    let (org, owner) = ready(&app).await;
    // The emulator holds the request past our timeout and then refuses it: nothing accepted.
    let fault = json!({"method": "POST", "path": "/messages", "status": 503, "delayMs": 2000});
    app.emulator_post("/_emulator/faults", fault).await;

    let sent = send(&app, &owner, org, "+19195557107", "Try again").await;
    assert_eq!(
        sent["data"]["sendMessage"]["sendStatus"], "UNKNOWN",
        "{sent}"
    );
    wait_without_error(&app, &owner, org, "+19195557107", "DELIVERED").await;
    assert_eq!(
        wait_for_posts(&app, 2).await,
        2,
        "one repost after the lookup"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(posts(&app).await, 2, "and no more");
    assert_eq!(
        bandwidth_ids(&app, "+19195557107").await.len(),
        1,
        "Bandwidth has the message once"
    );
}

async fn break_writes_of_sending_messages(app: &TestApp) {
    let statements: &[&str] = if app.settings.database_url.starts_with("postgres") {
        &[
            "CREATE FUNCTION break_send_write() RETURNS trigger AS $$ BEGIN IF OLD.send_status = 'SENDING' THEN RAISE EXCEPTION 'broken on purpose'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER break_send_write BEFORE UPDATE ON bandwidth_messages FOR EACH ROW EXECUTE FUNCTION break_send_write()",
        ]
    } else {
        &[
            "CREATE TRIGGER break_send_write BEFORE UPDATE ON bandwidth_messages WHEN OLD.send_status = 'SENDING' BEGIN SELECT RAISE(ABORT, 'broken on purpose'); END",
        ]
    };
    for statement in statements {
        app.db.execute_unprepared(statement).await.unwrap();
    }
}

async fn repair_writes(app: &TestApp) {
    let statement = if app.settings.database_url.starts_with("postgres") {
        "DROP TRIGGER break_send_write ON bandwidth_messages"
    } else {
        "DROP TRIGGER break_send_write"
    };
    app.db.execute_unprepared(statement).await.unwrap();
}

#[tokio::test]
async fn our_write_failing_after_bandwidths_202_is_reconciled_without_a_restart() {
    let app = spawn_app_with_emulator_and(impatient).await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "dropCallbacks": true});
    app.emulator_post("/_emulator/faults", fault).await;
    break_writes_of_sending_messages(&app).await;

    let sent = send(&app, &owner, org, "+19195557108", "Write fails").await;
    assert_eq!(error_code(&sent), "INTERNAL", "{sent}");
    let stuck = thread(&app, &owner, org, "+19195557108").await;
    assert_eq!(stuck[0]["sendStatus"], "SENDING", "{stuck:?}");
    repair_writes(&app).await;

    wait_without_error(&app, &owner, org, "+19195557108", "DELIVERED").await;
    assert_eq!(posts(&app).await, 1, "Bandwidth had it: not posted again");
}

#[tokio::test]
async fn our_write_failing_while_callbacks_arrive_still_ends_delivered() {
    let app = spawn_app_with_emulator_and(impatient).await;
    let (org, owner) = ready(&app).await;
    break_writes_of_sending_messages(&app).await;
    let sent = send(&app, &owner, org, "+19195557109", "Write fails").await;
    repair_writes(&app).await;
    assert_eq!(error_code(&sent), "INTERNAL", "{sent}");
    // Callbacks that came while writes failed were answered 503 (never a 2xx for an effect not
    // stored); their retries find the message by its tag, or the sweeper settles it.
    wait_for(&app, &owner, org, "+19195557109", |m| {
        m[0]["sendStatus"] == "DELIVERED"
    })
    .await;
    assert_eq!(posts(&app).await, 1);
}

#[tokio::test]
async fn two_back_to_back_sends_to_a_new_contact_come_from_one_number() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    // No delivery in between (the emulator posts no callbacks for these two): only the pin
    // written at send time keeps the second from the other, less recently used, 919 number.
    let fault = json!({"method": "POST", "path": "/messages", "dropCallbacks": true, "times": 2});
    app.emulator_post("/_emulator/faults", fault).await;
    let first = send(&app, &owner, org, "+19195557110", "One").await;
    let second = send(&app, &owner, org, "+19195557110", "Two").await;
    let number = &first["data"]["sendMessage"]["userNumber"];
    assert!(number.as_str().unwrap().starts_with("+1919"), "{first}");
    assert_eq!(
        &second["data"]["sendMessage"]["userNumber"], number,
        "{second}"
    );
}

#[tokio::test]
async fn concurrent_first_sends_to_one_contact_agree_on_one_number() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let sends = (0..4).map(|i| {
        send(
            &app,
            &owner,
            org,
            "+19195557111",
            if i % 2 == 0 { "a" } else { "b" },
        )
    });
    let answers = futures_join_all(sends).await;
    let numbers: Vec<&Value> = answers
        .iter()
        .map(|a| &a["data"]["sendMessage"]["userNumber"])
        .collect();
    assert!(numbers[0].is_string(), "{answers:?}");
    assert!(numbers.iter().all(|n| *n == numbers[0]), "{numbers:?}");
}

#[tokio::test]
async fn a_pin_moves_when_its_number_fails_in_a_way_that_cannot_reach_the_contact() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    // …4470 makes the emulator fail every send with rejected-spam-detected (a sender-side code).
    let first = send(&app, &owner, org, "+19195554470", "One").await;
    wait_for(&app, &owner, org, "+19195554470", |m| {
        m[0]["sendStatus"] == "ERROR"
    })
    .await;
    let second = send(&app, &owner, org, "+19195554470", "Two").await;
    assert_ne!(
        second["data"]["sendMessage"]["userNumber"], first["data"]["sendMessage"]["userNumber"],
        "{first} {second}"
    );
    // A contact-side failure (…4720, invalid destination) keeps the pin.
    let one = send(&app, &owner, org, "+19195554720", "One").await;
    wait_for(&app, &owner, org, "+19195554720", |m| {
        m[0]["sendStatus"] == "ERROR"
    })
    .await;
    let two = send(&app, &owner, org, "+19195554720", "Two").await;
    assert_eq!(
        two["data"]["sendMessage"]["userNumber"],
        one["data"]["sendMessage"]["userNumber"]
    );
}

#[tokio::test]
async fn a_pin_moves_when_its_number_is_released() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "dropCallbacks": true, "times": 3});
    app.emulator_post("/_emulator/faults", fault).await;
    let first = send(&app, &owner, org, "+19195557115", "One").await;
    let pinned = first["data"]["sendMessage"]["userNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    spoke_bandwidth::store::phone_numbers::release(&app.db, org, std::slice::from_ref(&pinned))
        .await
        .unwrap();

    let second = send(&app, &owner, org, "+19195557115", "Two").await;
    let moved = second["data"]["sendMessage"]["userNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(moved, pinned, "{second}");
    let third = send(&app, &owner, org, "+19195557115", "Three").await;
    assert_eq!(
        third["data"]["sendMessage"]["userNumber"], moved,
        "the pin moved with it: {third}"
    );
}

#[tokio::test]
async fn a_lost_answer_bandwidth_cannot_be_asked_about_becomes_sent_with_a_note_at_the_deadline() {
    let app = spawn_app_with_emulator_and(|s| {
        impatient(s);
        s.send_unknown_deadline_ms = 1_000;
    })
    .await;
    let (org, owner) = ready(&app).await;
    let lost = json!({"method": "POST", "path": "/messages", "action": "acceptThenDelay",
                      "delayMs": 3000, "dropCallbacks": true});
    app.emulator_post("/_emulator/faults", lost).await;
    let list_down = json!({"method": "GET", "path": "/messages?", "status": 500, "times": 1000});
    app.emulator_post("/_emulator/faults", list_down).await;

    send(&app, &owner, org, "+19195557112", "Cannot ask").await;
    let message = wait_without_error(&app, &owner, org, "+19195557112", "SENT").await;
    assert!(
        message["errorDescription"]
            .as_str()
            .unwrap()
            .contains("SEND_UNKNOWN_DEADLINE_MS"),
        "{message}"
    );
    assert_eq!(posts(&app).await, 1);
}

#[tokio::test]
async fn a_send_bandwidth_never_got_ends_in_error_once_its_posts_are_used_up() {
    let app = spawn_app_with_emulator_and(|s| {
        impatient(s);
        s.send_max_posts = 1;
    })
    .await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "status": 503, "delayMs": 2000});
    app.emulator_post("/_emulator/faults", fault).await;

    let sent = send(&app, &owner, org, "+19195557113", "Never got it").await;
    assert_eq!(
        sent["data"]["sendMessage"]["sendStatus"], "UNKNOWN",
        "{sent}"
    );
    let messages = wait_for(&app, &owner, org, "+19195557113", |m| {
        m[0]["sendStatus"] == "ERROR"
    })
    .await;
    assert!(
        messages[0]["errorDescription"]
            .as_str()
            .unwrap()
            .contains("no record"),
        "{messages:?}"
    );
    assert_eq!(wait_for_posts(&app, 1).await, 1, "not posted again");
}

#[tokio::test]
async fn a_message_left_queued_by_a_stopped_server_ends_in_error_without_being_posted() {
    use spoke_bandwidth::store;
    let app = spawn_app_with_emulator_and(impatient).await;
    let (org, owner) = ready(&app).await;
    let stored = store::messages::insert_outbound(
        &app.db,
        store::messages::NewOutbound {
            organization_id: org,
            contact_number: "+19195557114".into(),
            text: "Left behind".into(),
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
    let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    {
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use spoke_bandwidth::store::entities::message;
        message::Entity::update_many()
            .col_expr(message::Column::UpdatedAt, Expr::value(an_hour_ago))
            .filter(message::Column::Id.eq(stored.id))
            .exec(&app.db)
            .await
            .unwrap();
    }

    let messages = wait_for(&app, &owner, org, "+19195557114", |m| {
        m[0]["sendStatus"] == "ERROR"
    })
    .await;
    assert!(
        messages[0]["errorDescription"]
            .as_str()
            .unwrap()
            .contains("stopped before posting"),
        "{messages:?}"
    );
    assert_eq!(posts(&app).await, 0);
}
