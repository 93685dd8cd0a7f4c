//! `provisionBandwidth` against the emulator: the whole setup, resuming after a failure,
//! hand-entered ids, and address checks.

use serde_json::{Value, json};
use spoke_bandwidth::services::access::Role;

use crate::helpers::{SESSION_SECRET, TestApp, captured_logs, error_code, spawn_app_with_emulator};

const CREDENTIALS: &str = r#"mutation($org: String!, $input: BandwidthCredentialsInput!) {
  updateBandwidthCredentials(organizationId: $org, input: $input) { siteId sipPeerId applicationId }
}"#;

const PROVISION: &str = r#"mutation($org: String!, $input: ProvisionBandwidthInput) {
  provisionBandwidth(organizationId: $org, input: $input) {
    state
    steps { name status detail }
    account { siteId sipPeerId applicationId address { houseNumber city } provisioning { name status detail } }
  }
}"#;

const ACCOUNT: &str = "query($org: String!) { organization(id: $org) { bandwidth { siteId } } }";

const CONFIGURED: &str = r#"query($org: String!) {
  organization(id: $org) { fullyConfigured serviceVendor { fullyConfigured } }
}"#;

const BUY: &str = "mutation($org: ID!, $areaCode: String!, $limit: Int!) { buyPhoneNumbers(organizationId: $org, areaCode: $areaCode, limit: $limit) { id } }";

/// An address Bandwidth accepts for a sub-account.
pub fn address() -> Value {
    json!({"houseNumber": "900", "streetName": "Main Campus Dr", "city": "Raleigh", "stateCode": "NC", "zip": "27606"})
}

/// An organization with an owner and the emulator's credentials saved (plus `extra` fields).
pub async fn org_with_credentials(app: &TestApp, extra: Value) -> (i32, String) {
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let mut input = app.emulator_credentials();
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        input[key] = value;
    }
    let saved = app
        .graphql(
            Some(&owner),
            CREDENTIALS,
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    assert!(saved["errors"].is_null(), "{saved}");
    (org, owner)
}

/// Runs `provisionBandwidth` and returns its result object.
pub async fn provision(app: &TestApp, owner: &str, org: i32, input: Value) -> Value {
    let answer = app
        .graphql(
            Some(owner),
            PROVISION,
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"]["provisionBandwidth"].clone()
}

/// Waits (bounded) for a job to end and returns it.
pub async fn wait_for_job(app: &TestApp, owner: &str, org: i32, id: &Value) -> Value {
    let query = "query($org: String!, $id: String!) { organization(id: $org) { job(id: $id) { id state resultMessage attempts } } }";
    for _ in 0..100 {
        let answer = app
            .graphql(
                Some(owner),
                query,
                json!({"org": org.to_string(), "id": id}),
            )
            .await;
        let job = answer["data"]["organization"]["job"].clone();
        if job["state"] == "SUCCEEDED" || job["state"] == "FAILED" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("job {id} did not end in time");
}

/// Buys numbers and waits for the job.
pub async fn buy(app: &TestApp, owner: &str, org: i32, area_code: &str, limit: i32) -> Value {
    let answer = app
        .graphql(
            Some(owner),
            BUY,
            json!({"org": org.to_string(), "areaCode": area_code, "limit": limit}),
        )
        .await;
    let id = answer["data"]["buyPhoneNumbers"]["id"].clone();
    assert!(id.is_string(), "{answer}");
    wait_for_job(app, owner, org, &id).await
}

/// The emulator's recorded API requests with this method whose path ends with `suffix`.
pub async fn requests(app: &TestApp, method: &str, suffix: &str) -> Vec<Value> {
    app.emulator_get("/_emulator/requests")
        .await
        .as_array()
        .expect("a list of requests")
        .iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap_or("").ends_with(suffix))
        .cloned()
        .collect()
}

fn statuses(result: &Value) -> Vec<(String, String)> {
    result["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn status_of<'a>(result: &'a Value, step: &str) -> &'a Value {
    result["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == step)
        .unwrap_or_else(|| panic!("no step {step} in {result}"))
}

#[tokio::test]
async fn a_fresh_organization_is_provisioned_buys_numbers_and_becomes_fully_configured() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(&app, json!({})).await;
    let vars = json!({"org": org.to_string()});
    let before = app.graphql(Some(&owner), CONFIGURED, vars.clone()).await;
    assert_eq!(
        before["data"]["organization"]["fullyConfigured"], false,
        "{before}"
    );

    let result = provision(&app, &owner, org, json!({"address": address()})).await;
    assert_eq!(result["state"], "COMPLETE", "{result}");
    let names: Vec<String> = statuses(&result).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "sub-account",
            "location",
            "sms-settings",
            "mms-settings",
            "messaging-application",
            "application-location",
            "number-sync"
        ]
    );
    assert!(
        statuses(&result).iter().all(|(_, s)| s == "DONE"),
        "{result}"
    );
    let account = &result["account"];
    assert_eq!(account["provisioning"], result["steps"]);
    assert_eq!(account["address"]["city"], "Raleigh", "the address is kept");
    let app_id = account["applicationId"].as_str().unwrap().to_owned();
    let peer_id = account["sipPeerId"].as_str().unwrap().to_owned();
    let after_provisioning = app.graphql(Some(&owner), CONFIGURED, vars.clone()).await;
    assert_eq!(
        after_provisioning["data"]["organization"]["fullyConfigured"], false,
        "no number yet"
    );

    let job = buy(&app, &owner, org, "919", 3).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert!(
        job["resultMessage"]
            .as_str()
            .unwrap()
            .contains("bought 3 numbers in 919"),
        "{job}"
    );

    let configured = app.graphql(Some(&owner), CONFIGURED, vars).await;
    assert_eq!(
        configured["data"]["organization"]["fullyConfigured"], true,
        "{configured}"
    );
    assert_eq!(
        configured["data"]["organization"]["serviceVendor"]["fullyConfigured"],
        true
    );

    let state = app.emulator_get("/_emulator/state").await;
    let application = &state["applications"][0];
    let callback_url = format!("{}/bandwidth/{org}", app.address);
    assert_eq!(application["id"], app_id.as_str());
    assert_eq!(application["serviceType"], "Messaging-V2");
    assert_eq!(application["inboundCallbackUrl"], callback_url.as_str());
    assert_eq!(application["outboundCallbackUrl"], callback_url.as_str());
    assert_eq!(application["inboundCallbackUser"], "bandwidth.com");
    assert_eq!(application["outboundCallbackUser"], "bandwidth.com");
    assert_eq!(
        application["requestedCallbackTypes"],
        json!(["message-sending", "message-delivered", "message-failed"])
    );
    let peer = &state["sipPeers"][0];
    assert_eq!(peer["id"].to_string(), peer_id);
    assert_eq!(
        peer["applicationId"],
        app_id.as_str(),
        "associated with the location"
    );
    assert_eq!(peer["isDefault"], true);
    assert_eq!(peer["smsProtocol"], "HTTP");
    assert_eq!(peer["mmsProtocol"], "HTTP");
    let callback_password = spoke_bandwidth::services::webhook_auth::password_for(
        &spoke_bandwidth::config::Secret::new(SESSION_SECRET),
        &app.address,
        org,
    );
    let orders = requests(&app, "POST", "/applications").await;
    assert!(
        orders[0]["body"]
            .as_str()
            .unwrap()
            .contains(callback_password.expose()),
        "the application carries the callback password"
    );
    let api_password = app.emulator_credentials()["password"]
        .as_str()
        .unwrap()
        .to_owned();
    for secret in [callback_password.expose(), api_password.as_str()] {
        assert!(!result.to_string().contains(secret));
        assert!(
            !captured_logs().contains(secret),
            "a secret reached the logs"
        );
    }
    for name in [&state["sites"][0]["name"], &peer["name"]] {
        let name = name.as_str().unwrap();
        assert!(
            name.len() <= 10 && name.chars().all(|c| c.is_ascii_alphanumeric()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_failure_at_the_mms_step_stops_there_and_a_rerun_resumes_without_recreating() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    app.emulator_post(
        "/_emulator/faults",
        json!({"method": "POST", "path": "features/mms", "status": 400, "times": 1}),
    )
    .await;

    let failed = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(failed["state"], "FAILED", "{failed}");
    assert_eq!(
        statuses(&failed)
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>(),
        [
            "DONE", "DONE", "DONE", "FAILED", "PENDING", "PENDING", "PENDING"
        ]
    );
    let detail = status_of(&failed, "mms-settings")["detail"]
        .as_str()
        .unwrap();
    assert!(detail.contains("Bandwidth answered 400"), "{detail}");
    assert_eq!(
        failed["account"]["provisioning"], failed["steps"],
        "the account shows the stored steps"
    );
    assert!(
        failed["account"]["siteId"].is_string(),
        "ids done so far are kept"
    );

    let resumed = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(resumed["state"], "COMPLETE", "{resumed}");
    assert!(statuses(&resumed).iter().all(|(_, s)| s == "DONE"));
    assert_eq!(resumed["account"]["siteId"], failed["account"]["siteId"]);
    assert_eq!(requests(&app, "POST", "/sites").await.len(), 1);
    assert_eq!(requests(&app, "POST", "/sippeers").await.len(), 1);
    assert_eq!(
        requests(&app, "POST", "/features/sms").await.len(),
        1,
        "the finished SMS step was skipped"
    );
    assert_eq!(requests(&app, "POST", "/applications").await.len(), 1);

    let again = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(again["state"], "COMPLETE");
    assert_eq!(requests(&app, "POST", "/applications").await.len(), 1);
}

#[tokio::test]
async fn hand_entered_ids_are_checked_and_used_never_recreated() {
    let app = spawn_app_with_emulator().await;
    let (first, first_owner) = org_with_credentials(&app, json!({"address": address()})).await;
    let done = provision(&app, &first_owner, first, json!(null)).await;
    assert_eq!(done["state"], "COMPLETE", "{done}");
    let ids = &done["account"];

    let (org, owner) = org_with_credentials(
        &app,
        json!({"siteId": ids["siteId"], "sipPeerId": ids["sipPeerId"], "applicationId": ids["applicationId"]}),
    )
    .await;
    let result = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(result["state"], "COMPLETE", "{result}");
    for step in ["sub-account", "location", "messaging-application"] {
        assert_eq!(status_of(&result, step)["status"], "EXISTING", "{result}");
    }
    assert!(
        status_of(&result, "messaging-application")["detail"]
            .as_str()
            .unwrap()
            .contains("warning"),
        "an application with another callback URL is flagged"
    );
    for key in ["siteId", "sipPeerId", "applicationId"] {
        assert_eq!(result["account"][key], ids[key]);
    }
    assert_eq!(requests(&app, "POST", "/sites").await.len(), 1);
    assert_eq!(requests(&app, "POST", "/sippeers").await.len(), 1);
    assert_eq!(requests(&app, "POST", "/applications").await.len(), 1);
    assert!(
        !requests(
            &app,
            "GET",
            &format!("/sites/{}", ids["siteId"].as_str().unwrap())
        )
        .await
        .is_empty(),
        "the hand-entered site was checked"
    );
}

#[tokio::test]
async fn a_hand_entered_site_unknown_to_bandwidth_is_refused_when_saved_and_nothing_is_stored() {
    let app = spawn_app_with_emulator().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let mut input = app.emulator_credentials();
    input["siteId"] = json!("3014");
    let saved = app
        .graphql(
            Some(&owner),
            CREDENTIALS,
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    assert_eq!(error_code(&saved), "BAD_USER_INPUT", "{saved}");
    let message = saved["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("siteId \"3014\"") && message.contains("Nothing was saved"),
        "{message}"
    );
    let account = app
        .graphql(Some(&owner), ACCOUNT, json!({"org": org.to_string()}))
        .await;
    assert!(
        account["data"]["organization"]["bandwidth"].is_null(),
        "{account}"
    );
}

#[tokio::test]
async fn a_hand_entered_site_stored_unchecked_and_unknown_to_bandwidth_fails_provisioning_with_its_text_and_is_not_replaced()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(
        &app,
        json!({"siteId": "3014", "address": address(), "skipVerification": true}),
    )
    .await;

    let result = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(result["state"], "FAILED");
    let step = status_of(&result, "sub-account");
    assert_eq!(step["status"], "FAILED");
    assert!(
        step["detail"].as_str().unwrap().contains("does not exist"),
        "{step}"
    );
    assert_eq!(result["account"]["siteId"], "3014");
    assert!(requests(&app, "POST", "/sites").await.is_empty());
}

#[tokio::test]
async fn clearing_the_site_id_finds_the_sub_account_made_for_the_organization_instead_of_a_duplicate()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    let first = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(first["state"], "COMPLETE");

    let mut input = app.emulator_credentials();
    input["siteId"] = json!("");
    app.graphql(
        Some(&owner),
        CREDENTIALS,
        json!({"org": org.to_string(), "input": input}),
    )
    .await;
    let second = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(second["state"], "COMPLETE", "{second}");
    assert_eq!(second["account"]["siteId"], first["account"]["siteId"]);
    assert_eq!(
        second["account"]["sipPeerId"],
        first["account"]["sipPeerId"]
    );
    assert_eq!(
        second["account"]["applicationId"],
        first["account"]["applicationId"]
    );
    let sub_account = status_of(&second, "sub-account");
    assert!(
        sub_account["detail"]
            .as_str()
            .unwrap()
            .contains("made by an earlier run"),
        "{sub_account}"
    );
    assert_eq!(
        requests(&app, "POST", "/sites").await.len(),
        1,
        "no second site"
    );
    assert_eq!(requests(&app, "POST", "/sippeers").await.len(), 1);
    assert_eq!(requests(&app, "POST", "/applications").await.len(), 1);
}

#[tokio::test]
async fn missing_address_fields_are_refused_naming_them_before_calling_bandwidth() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(&app, json!({})).await;

    let answer = app
        .graphql(
            Some(&owner),
            PROVISION,
            json!({"org": org.to_string(), "input": {"address": {"city": "Raleigh", "zip": "27606"}}}),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("houseNumber, streetName, stateCode"),
        "{message}"
    );
    assert!(!message.contains("zip"), "{message}");
    assert!(requests(&app, "POST", "").await.is_empty());
}

#[tokio::test]
async fn only_owners_provision() {
    let app = spawn_app_with_emulator().await;
    let (org, _owner) = org_with_credentials(&app, json!({})).await;
    let admin = app.token(org, Role::Admin).await;
    let answer = app
        .graphql(
            Some(&admin),
            PROVISION,
            json!({"org": org.to_string(), "input": {"address": address()}}),
        )
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
}

#[tokio::test]
async fn a_run_in_progress_refuses_a_second_with_conflict_and_a_dead_runs_lease_is_taken_over() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    let lease = |until_ms: i64| {
        format!(
            "UPDATE bandwidth_accounts SET provisioning = '{{\"steps\":[],\"lease\":{{\"owner\":\"other-run\",\"until_ms\":{until_ms}}}}}' WHERE organization_id = {org}"
        )
    };
    let now = chrono::Utc::now().timestamp_millis();
    app.db
        .execute_unprepared(&lease(now + 30_000))
        .await
        .unwrap();
    let busy = app
        .graphql(
            Some(&owner),
            PROVISION,
            json!({"org": org.to_string(), "input": null}),
        )
        .await;
    assert_eq!(error_code(&busy), "CONFLICT", "{busy}");
    assert!(
        requests(&app, "POST", "/sites").await.is_empty(),
        "the second run did nothing"
    );

    // The holder died: its lease ran out without being renewed.
    app.db.execute_unprepared(&lease(now - 1)).await.unwrap();
    let result = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(result["state"], "COMPLETE", "{result}");
}

#[tokio::test]
async fn a_credentials_save_racing_with_provisioning_keeps_every_id_it_made() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    // The save's credential check (GET /sites) answers late: the save read the row before
    // provisioning stored its ids and writes after.
    app.emulator_post(
        "/_emulator/faults",
        json!({"method": "GET", "path": "/sites", "delayMs": 1500, "times": 1}),
    )
    .await;
    let input = app.emulator_credentials();
    let save = app.graphql(
        Some(&owner),
        CREDENTIALS,
        json!({"org": org.to_string(), "input": input}),
    );
    let run = async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        provision(&app, &owner, org, json!(null)).await
    };
    let (saved, result) = tokio::join!(save, run);
    assert!(saved["errors"].is_null(), "{saved}");
    assert_eq!(result["state"], "COMPLETE", "{result}");

    let account = app
        .graphql(
            Some(&owner),
            "query($org: String!) { organization(id: $org) { bandwidth { siteId sipPeerId applicationId } } }",
            json!({"org": org.to_string()}),
        )
        .await;
    let ids = &account["data"]["organization"]["bandwidth"];
    assert_eq!(ids["siteId"], result["account"]["siteId"], "{account}");
    assert_eq!(ids["sipPeerId"], result["account"]["sipPeerId"]);
    assert_eq!(ids["applicationId"], result["account"]["applicationId"]);
    assert!(
        ids["siteId"].is_string() && ids["applicationId"].is_string(),
        "{account}"
    );
    assert_eq!(requests(&app, "POST", "/sites").await.len(), 1);
    assert_eq!(requests(&app, "POST", "/sippeers").await.len(), 1);
    assert_eq!(requests(&app, "POST", "/applications").await.len(), 1);
}

#[tokio::test]
async fn a_run_interrupted_after_bandwidth_created_the_site_resumes_without_creating_another() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    // Bandwidth creates the site, then the answer never arrives.
    app.emulator_post(
        "/_emulator/faults",
        json!({"method": "POST", "path": "/sites", "action": "acceptThenDrop", "times": 1}),
    )
    .await;
    let first = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(first["state"], "FAILED", "{first}");
    assert_eq!(status_of(&first, "sub-account")["status"], "FAILED");

    let second = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(second["state"], "COMPLETE", "{second}");
    let detail = status_of(&second, "sub-account")["detail"].clone();
    assert!(
        detail.as_str().unwrap().contains("made by an earlier run"),
        "{detail}"
    );
    assert_eq!(
        requests(&app, "POST", "/sites").await.len(),
        1,
        "the rerun found the site instead of creating another"
    );
    let state = app.emulator_get("/_emulator/state").await;
    assert_eq!(state["sites"].as_array().unwrap().len(), 1, "{state}");
}
