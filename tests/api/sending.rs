//! Sending through sticky-sender and numpicker-basic, end to end with the emulator: Bandwidth's
//! callbacks come back through the 401 challenge and move each message to its final status.

use serde_json::{Value, json};
use spoke_bandwidth::services::access::Role;

use crate::helpers::{TestApp, error_code, spawn_app_with_emulator};
use crate::provisioning::{address, buy, org_with_credentials, provision};

pub const SEND: &str = "mutation($org: String!, $input: SendMessageInput!) { sendMessage(organizationId: $org, input: $input) { id contactNumber userNumber sendStatus serviceId errorCode errorDescription } }";
const THREAD: &str = "query($org: String!, $contact: String!) { organization(id: $org) { conversation(contactNumber: $contact) { id text userNumber isFromContact sendStatus errorCode errorDescription inReplyTo } } }";

/// An organization provisioned on the emulator with two numbers in 919 and two in 212.
pub async fn ready(app: &TestApp) -> (i32, String) {
    let (org, owner) = org_with_credentials(app, json!({"address": address()})).await;
    assert_eq!(
        provision(app, &owner, org, json!(null)).await["state"],
        "COMPLETE"
    );
    for area_code in ["919", "212"] {
        assert_eq!(
            buy(app, &owner, org, area_code, 2).await["state"],
            "SUCCEEDED"
        );
    }
    (org, owner)
}

pub async fn send(app: &TestApp, token: &str, org: i32, contact: &str, text: &str) -> Value {
    let input =
        json!({"contactNumber": contact, "text": text, "campaignId": "12", "contactId": "34"});
    app.graphql(
        Some(token),
        SEND,
        json!({"org": org.to_string(), "input": input}),
    )
    .await
}

/// Whether a `sendMessage` answer's message went out: SENT, or DELIVERED already when its
/// delivery report (found by the tag) was stored before the send read the message back.
fn went_out(answer: &Value) -> bool {
    ["SENT", "DELIVERED"].contains(
        &answer["data"]["sendMessage"]["sendStatus"]
            .as_str()
            .unwrap_or(""),
    )
}

pub async fn thread(app: &TestApp, token: &str, org: i32, contact: &str) -> Vec<Value> {
    let answer = app
        .graphql(
            Some(token),
            THREAD,
            json!({"org": org.to_string(), "contact": contact}),
        )
        .await;
    answer["data"]["organization"]["conversation"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .clone()
}

/// Polls the conversation until `done` holds (bounded: 10 s).
pub async fn wait_for(
    app: &TestApp,
    token: &str,
    org: i32,
    contact: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..100 {
        let messages = thread(app, token, org, contact).await;
        if done(&messages) {
            return messages;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the conversation with {contact} never reached the expected state: {:?}",
        thread(app, token, org, contact).await
    )
}

#[tokio::test]
async fn a_message_goes_out_from_the_contacts_area_code_and_ends_delivered_through_the_challenge() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let texter = app.token(org, Role::Texter).await;

    let sent = send(
        &app,
        &texter,
        org,
        "(212) 555-7001",
        "Hello from the campaign",
    )
    .await;
    let message = &sent["data"]["sendMessage"];
    assert!(went_out(&sent), "{sent}");
    assert_eq!(message["contactNumber"], "+12125557001");
    assert!(
        message["userNumber"].as_str().unwrap().starts_with("+1212"),
        "{sent}"
    );
    assert_eq!(message["serviceId"].as_str().unwrap().len(), 29);

    let messages = wait_for(&app, &owner, org, "+12125557001", |m| {
        m[0]["sendStatus"] == "DELIVERED"
    })
    .await;
    assert_eq!(messages.len(), 1);
    let attempts = app.emulator_get("/_emulator/callbacks").await;
    let attempts = attempts.as_array().unwrap();
    assert!(
        attempts
            .iter()
            .any(|a| a["authorized"] == false && a["status"] == 401),
        "challenged first: {attempts:?}"
    );
    assert!(
        attempts
            .iter()
            .any(|a| a["authorized"] == true && a["status"] == 200),
        "then delivered with credentials: {attempts:?}"
    );
    let sends = crate::provisioning::requests(&app, "POST", "/messages").await;
    let body: Value = serde_json::from_str(sends[0]["body"].as_str().unwrap()).unwrap();
    let tag = body["tag"].as_str().unwrap();
    assert_eq!(
        tag,
        format!("{org}|12|34|sb:{}", message["id"].as_str().unwrap()),
        "Spoke's prefix, then our message id"
    );
    assert_eq!(body["to"], json!(["+12125557001"]));
}

#[tokio::test]
async fn a_contact_keeps_hearing_from_the_same_number() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;

    let first = send(&app, &owner, org, "+19195557002", "First").await;
    let first_number = first["data"]["sendMessage"]["userNumber"].clone();
    wait_for(&app, &owner, org, "+19195557002", |m| {
        m[0]["sendStatus"] == "DELIVERED"
    })
    .await;
    // Least-recently-used alone would now pick the other 919 number.
    let second = send(&app, &owner, org, "+19195557002", "Second").await;
    assert_eq!(
        second["data"]["sendMessage"]["userNumber"], first_number,
        "{second}"
    );
    let other = send(&app, &owner, org, "+19195557003", "To someone else").await;
    assert_ne!(
        other["data"]["sendMessage"]["userNumber"], first_number,
        "the picker rotates: {other}"
    );
}

#[tokio::test]
async fn a_contact_outside_the_pools_area_codes_gets_a_number_of_its_state_first() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;

    let sent = send(
        &app,
        &owner,
        org,
        "+17045557004",
        "Charlotte is in North Carolina",
    )
    .await;
    assert!(
        sent["data"]["sendMessage"]["userNumber"]
            .as_str()
            .unwrap()
            .starts_with("+1919"),
        "{sent}"
    );
}

#[tokio::test]
async fn a_send_to_a_4720_number_ends_in_error_with_the_code_and_its_description() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;

    let sent = send(&app, &owner, org, "+19195554720", "This will bounce").await;
    // Accepted; its failure callback (found by the tag) may already have arrived.
    assert!(
        ["SENT", "ERROR"].contains(
            &sent["data"]["sendMessage"]["sendStatus"]
                .as_str()
                .unwrap_or("")
        ),
        "{sent}"
    );
    let messages = wait_for(&app, &owner, org, "+19195554720", |m| {
        m[0]["sendStatus"] == "ERROR"
    })
    .await;
    assert_eq!(messages[0]["errorCode"], 4720);
    assert!(
        messages[0]["errorDescription"]
            .as_str()
            .unwrap()
            .starts_with("invalid-destination-address"),
        "{messages:?}"
    );
}

#[tokio::test]
async fn an_autoresponding_contacts_reply_joins_the_conversation_addressed_to_the_number_it_texted()
{
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;

    let sent = send(
        &app,
        &owner,
        org,
        "+12125557005",
        "Reply if you can (autorespond)",
    )
    .await;
    let our_number = sent["data"]["sendMessage"]["userNumber"].clone();
    let messages = wait_for(&app, &owner, org, "+12125557005", |m| m.len() == 2).await;
    assert_eq!(messages[1]["isFromContact"], true);
    assert_eq!(messages[1]["userNumber"], our_number);
    assert_eq!(messages[1]["inReplyTo"], messages[0]["id"]);
}

#[tokio::test]
async fn bad_numbers_and_unready_organizations_are_refused_before_anything_is_sent() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;

    let answer = send(&app, &owner, org, "555-0100", "hi").await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("555-0100")
    );
    let answer = send(&app, &owner, org, "+19195557006", "hi").await;
    assert_eq!(
        error_code(&answer),
        "CONFLICT",
        "no application yet: {answer}"
    );
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("provisionBandwidth")
    );

    assert_eq!(
        provision(&app, &owner, org, json!(null)).await["state"],
        "COMPLETE"
    );
    let answer = send(&app, &owner, org, "+19195557006", "hi").await;
    assert_eq!(error_code(&answer), "CONFLICT", "no numbers yet: {answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("buyPhoneNumbers")
    );
    assert!(
        crate::provisioning::requests(&app, "POST", "/messages")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn bandwidth_refusing_a_send_leaves_the_message_in_error_with_its_reason() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "status": 403, "times": 1});
    app.emulator_post("/_emulator/faults", fault).await;

    let sent = send(&app, &owner, org, "+19195557007", "hi").await;
    let message = &sent["data"]["sendMessage"];
    assert_eq!(message["sendStatus"], "ERROR", "{sent}");
    assert_eq!(message["errorCode"], 403);
    assert!(
        message["errorDescription"]
            .as_str()
            .unwrap()
            .contains("403"),
        "{sent}"
    );
}

#[tokio::test]
async fn a_rate_limited_send_is_retried_and_goes_out() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let fault = json!({"method": "POST", "path": "/messages", "status": 429, "times": 1});
    app.emulator_post("/_emulator/faults", fault).await;

    let sent = send(&app, &owner, org, "+19195557008", "hi").await;
    assert!(went_out(&sent), "{sent}");
    assert_eq!(
        crate::provisioning::requests(&app, "POST", "/messages")
            .await
            .len(),
        2
    );
}

/// The send path keeps each organization's settings and Bandwidth client for a few seconds
/// (`services::messaging::context`); a change saved through the API must reach the very next
/// send, not one five seconds later.
#[tokio::test]
async fn a_settings_or_credentials_change_reaches_the_very_next_send() {
    const REGISTRATION: &str = "mutation($org: ID!, $on: Boolean) { updateRegistrationSettings(organizationId: $org, enforced: $on) { enforced } }";
    const CREDENTIALS: &str = "mutation($org: String!, $input: BandwidthCredentialsInput!) { updateBandwidthCredentials(organizationId: $org, input: $input) { accountId } }";
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let first = send(&app, &owner, org, "+19195557020", "Before").await;
    assert!(went_out(&first), "{first}");

    let enforce = |on: bool| {
        app.graphql(
            Some(&owner),
            REGISTRATION,
            json!({"org": org.to_string(), "on": on}),
        )
    };
    assert_eq!(
        enforce(true).await["data"]["updateRegistrationSettings"]["enforced"],
        true
    );
    let refused = send(&app, &owner, org, "+19195557021", "Unregistered").await;
    assert!(
        !refused["errors"].is_null(),
        "no number is registered: {refused}"
    );
    assert_eq!(
        enforce(false).await["data"]["updateRegistrationSettings"]["enforced"],
        false
    );
    let again = send(&app, &owner, org, "+19195557022", "Not enforced").await;
    assert!(went_out(&again), "{again}");

    let mut credentials = app.emulator_credentials();
    let right = credentials["password"].clone();
    let save = |input: Value| {
        app.graphql(
            Some(&owner),
            CREDENTIALS,
            json!({"org": org.to_string(), "input": input}),
        )
    };
    credentials["password"] = json!("not-the-password");
    credentials["skipVerification"] = json!(true);
    let saved = save(credentials.clone()).await;
    assert!(saved["errors"].is_null(), "{saved}");
    let rejected = send(&app, &owner, org, "+19195557023", "Wrong password").await;
    assert_eq!(
        rejected["data"]["sendMessage"]["sendStatus"], "ERROR",
        "Bandwidth refuses the new, wrong password: {rejected}"
    );
    credentials["password"] = right;
    let saved = save(credentials).await;
    assert!(saved["errors"].is_null(), "{saved}");
    let fixed = send(&app, &owner, org, "+19195557024", "Right password").await;
    assert!(went_out(&fixed), "{fixed}");
}

/// On PostgreSQL, where sends run side by side, a number another send is taking right now is
/// skipped instead of waited for (each waiter held a pooled connection, which stalled every other
/// query under load); a tier whose numbers are all being taken is waited for, not passed over.
#[tokio::test]
async fn a_pick_skips_a_number_another_send_is_taking_and_waits_only_when_the_tier_is_all_taken() {
    use sea_orm::{ConnectionTrait, DatabaseBackend, TransactionTrait};
    use spoke_bandwidth::store::{self, phone_numbers::NewNumber, phone_numbers::PickFrom};
    let app = crate::helpers::spawn_app().await;
    if app.db.get_database_backend() != DatabaseBackend::Postgres {
        return; // SQLite has one connection: two picks never overlap
    }
    let org = app.create_org("Org").await;
    let numbers: Vec<NewNumber> = ["+19195550001", "+19195550002", "+12125550003"]
        .iter()
        .map(|n| NewNumber {
            phone_number: (*n).into(),
            area_code: n[2..5].into(),
            state: if n.starts_with("+1919") { "NC" } else { "NY" }.into(),
            service_id: None,
        })
        .collect();
    store::phone_numbers::upsert_active(&app.db, org, &numbers)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let take = |db: sea_orm::DatabaseConnection| async move {
        store::phone_numbers::take_least_recently_used(
            &db,
            org,
            PickFrom::AreaCode("919"),
            now,
            1000,
            false,
        )
        .await
        .unwrap()
        .map(|n| n.phone_number)
    };
    let used = take(app.db.clone()).await.expect("a 919 number");
    let next = if used == "+19195550001" {
        "+19195550002"
    } else {
        "+19195550001"
    };

    // Another send holds the least busy number: this pick takes the other one at once.
    let holder = app.db.begin().await.unwrap();
    let lock = |number: &str| {
        format!(
            "SELECT id FROM bandwidth_phone_numbers WHERE organization_id = {org} AND phone_number = '{number}' FOR UPDATE"
        )
    };
    holder.execute_unprepared(&lock(next)).await.unwrap();
    let skipped = tokio::time::timeout(std::time::Duration::from_secs(3), take(app.db.clone()))
        .await
        .expect("the pick did not wait for the held number");
    assert_eq!(skipped.as_deref(), Some(used.as_str()));

    // Both 919 numbers held: the pick waits for one instead of taking the 212 number.
    holder.execute_unprepared(&lock(&used)).await.unwrap();
    let waiting = tokio::spawn(take(app.db.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "nothing in 919 was free");
    holder.commit().await.unwrap();
    let taken = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
        .await
        .expect("the pick went on once the numbers were free")
        .unwrap()
        .expect("a number");
    assert!(taken.starts_with("+1919"), "{taken}");
}
