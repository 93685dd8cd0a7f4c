//! The phone-number inventory's GraphQL surface: validation, jobs, callback credentials.

use serde_json::json;
use spoke_bandwidth::services::access::Role;

use crate::helpers::{SESSION_SECRET, error_code, spawn_app};

const BUY: &str = "mutation($org: ID!, $areaCode: String!, $limit: Int!) { buyPhoneNumbers(organizationId: $org, areaCode: $areaCode, limit: $limit) { id kind state assigned status areaCode limit } }";
const DELETE: &str = "mutation($org: ID!, $areaCode: String!) { deletePhoneNumbers(organizationId: $org, areaCode: $areaCode) { id kind areaCode } }";
const JOBS: &str = "query($org: String!) { organization(id: $org) { pendingPhoneNumberJobs { id assigned status resultMessage areaCode limit } phoneInventoryEnabled } }";
const JOB: &str = "query($org: String!, $id: String!) { organization(id: $org) { job(id: $id) { id kind state } } }";

#[tokio::test]
async fn a_buy_request_becomes_a_pending_job_listed_for_the_page() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;

    let bought = app
        .graphql(
            Some(&owner),
            BUY,
            json!({"org": org.to_string(), "areaCode": "919", "limit": 5}),
        )
        .await;
    let job = &bought["data"]["buyPhoneNumbers"];
    assert_eq!(job["kind"], "buy_phone_numbers", "{bought}");
    assert_eq!(job["state"], "PENDING");
    assert_eq!(job["assigned"], false);
    assert_eq!(job["limit"], 5);

    let listed = app
        .graphql(Some(&owner), JOBS, json!({"org": org.to_string()}))
        .await;
    let jobs = listed["data"]["organization"]["pendingPhoneNumberJobs"]
        .as_array()
        .unwrap()
        .clone();
    // The runner may already have taken (or failed) it: the list holds it only while it is
    // queued or running.
    assert!(jobs.len() <= 1, "{listed}");
    for pending in &jobs {
        assert_eq!(pending["areaCode"], "919");
        assert!(
            matches!(pending["status"].as_i64(), Some(0 | 1)),
            "{listed}"
        );
    }
    assert_eq!(
        listed["data"]["organization"]["phoneInventoryEnabled"],
        true
    );

    let found = app
        .graphql(
            Some(&owner),
            JOB,
            json!({"org": org.to_string(), "id": job["id"]}),
        )
        .await;
    assert_eq!(
        found["data"]["organization"]["job"]["kind"], "buy_phone_numbers",
        "{found}"
    );
}

#[tokio::test]
async fn bad_area_codes_limits_and_job_ids_are_refused_plainly() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let vars =
        |area: &str, limit: i32| json!({"org": org.to_string(), "areaCode": area, "limit": limit});

    for (area, limit) in [
        ("91", 1),
        ("abc", 1),
        ("9190", 1),
        ("919", 0),
        ("919", 1001),
    ] {
        let answer = app.graphql(Some(&owner), BUY, vars(area, limit)).await;
        assert_eq!(
            error_code(&answer),
            "BAD_USER_INPUT",
            "{area} {limit}: {answer}"
        );
    }
    let answer = app
        .graphql(
            Some(&owner),
            DELETE,
            json!({"org": org.to_string(), "areaCode": "x1"}),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("three digits")
    );

    let answer = app
        .graphql(
            Some(&owner),
            JOB,
            json!({"org": org.to_string(), "id": "424242"}),
        )
        .await;
    assert_eq!(error_code(&answer), "NOT_FOUND");
}

#[tokio::test]
async fn another_organizations_job_is_not_found() {
    let app = spawn_app().await;
    let org1 = app.create_org("One").await;
    let org2 = app.create_org("Two").await;
    let owner1 = app.token(org1, Role::Owner).await;
    let owner2 = app.token(org2, Role::Owner).await;
    let bought = app
        .graphql(
            Some(&owner2),
            BUY,
            json!({"org": org2.to_string(), "areaCode": "919", "limit": 1}),
        )
        .await;
    let id = bought["data"]["buyPhoneNumbers"]["id"].clone();

    let answer = app
        .graphql(
            Some(&owner1),
            JOB,
            json!({"org": org1.to_string(), "id": id}),
        )
        .await;
    assert_eq!(error_code(&answer), "NOT_FOUND");
}

#[tokio::test]
async fn admins_buy_numbers_as_in_spoke_and_only_owners_read_callback_credentials() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let supervolunteer = app.token(org, Role::Supervolunteer).await;
    let admin = app.token(org, Role::Admin).await;
    let owner = app.token(org, Role::Owner).await;

    let buy = json!({"org": org.to_string(), "areaCode": "919", "limit": 1});
    let answer = app.graphql(Some(&supervolunteer), BUY, buy.clone()).await;
    assert_eq!(error_code(&answer), "FORBIDDEN", "{answer}");
    let answer = app.graphql(Some(&admin), BUY, buy).await;
    assert!(
        answer["errors"].is_null(),
        "Spoke lets admins buy: {answer}"
    );
    let query = "query($org: String!) { organization(id: $org) { callbackCredentials { callbackUrl userId password } } }";
    let answer = app
        .graphql(Some(&admin), query, json!({"org": org.to_string()}))
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");

    let answer = app
        .graphql(Some(&owner), query, json!({"org": org.to_string()}))
        .await;
    let credentials = &answer["data"]["organization"]["callbackCredentials"];
    assert_eq!(credentials["userId"], "bandwidth.com", "{answer}");
    assert_eq!(
        credentials["callbackUrl"],
        format!("{}/bandwidth/{org}", app.address)
    );
    let expected = spoke_bandwidth::services::webhook_auth::password_for(
        &spoke_bandwidth::config::Secret::new(SESSION_SECRET),
        &app.address,
        org,
    );
    assert_eq!(credentials["password"], expected.expose());
}
