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
    assert_eq!(message["sendStatus"], "SENT", "{sent}");
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
    assert_eq!(sent["data"]["sendMessage"]["sendStatus"], "SENT", "{sent}");
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
    assert_eq!(sent["data"]["sendMessage"]["sendStatus"], "SENT", "{sent}");
    assert_eq!(
        crate::provisioning::requests(&app, "POST", "/messages")
            .await
            .len(),
        2
    );
}
