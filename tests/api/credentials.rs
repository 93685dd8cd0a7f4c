//! Bandwidth credentials: stored encrypted, write-only, never echoed or logged.

use sea_orm::EntityTrait;
use serde_json::json;
use spoke_bandwidth::services::access::Role;
use spoke_bandwidth::services::bandwidth_api::secret_owner;
use spoke_bandwidth::services::secrets::{Sealed, SecretBox};
use spoke_bandwidth::store::entities::bandwidth_account;

use crate::helpers::{captured_logs, error_code, spawn_app};

const UPDATE: &str = r#"mutation($org: String!, $input: BandwidthCredentialsInput!) {
  updateBandwidthCredentials(organizationId: $org, input: $input) {
    accountId userName passwordSet siteId sipPeerId applicationId callbackUrl verified
    address { houseNumber streetName city stateCode zip country }
  }
}"#;

const VENDOR: &str = r#"query($id: String!) {
  organization(id: $id) { fullyConfigured serviceVendor { id name supportsOrgConfig config fullyConfigured } }
}"#;

#[tokio::test]
async fn the_stored_password_is_encrypted_and_decrypts_with_the_key() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let password = "pw-encrypted-at-rest-7d1c";

    let answer = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": {"accountId": "9900000", "userName": "api-user", "password": password, "skipVerification": true}}),
        )
        .await;
    assert_eq!(
        answer["data"]["updateBandwidthCredentials"]["passwordSet"], true,
        "{answer}"
    );

    let row = bandwidth_account::Entity::find_by_id(org)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!row.password_ciphertext.contains(password));
    let secrets =
        SecretBox::from_settings(None, None, app.settings.session_secret.as_ref().unwrap())
            .unwrap();
    let sealed = Sealed {
        ciphertext: row.password_ciphertext,
        nonce: row.password_nonce,
        key_id: row.password_key_id,
    };
    assert_eq!(
        secrets.open(&sealed, &secret_owner(org)).unwrap().expose(),
        password
    );
    assert!(
        secrets.open(&sealed, &secret_owner(org + 1)).is_err(),
        "bound to its organization"
    );
}

#[tokio::test]
async fn rotate_secrets_reseals_every_password_under_the_new_key_and_the_server_still_reads_it() {
    use base64::Engine;
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let password = "pw-rotated-5e0a";
    let saved = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": {"accountId": "9900000", "userName": "api-user", "password": password, "skipVerification": true}}),
        )
        .await;
    assert!(saved["errors"].is_null(), "{saved}");
    let session = app.settings.session_secret.as_ref().unwrap().clone();
    let new_key = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    let run = |key: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_spoke-bandwidth"));
        command
            .arg("rotate-secrets")
            .env("DATABASE_URL", &app.settings.database_url)
            .env("SESSION_SECRET", session.expose())
            .env_remove("ENCRYPTION_KEY_PREVIOUS");
        match key {
            Some(key) => command.env("ENCRYPTION_KEY", key),
            None => command.env_remove("ENCRYPTION_KEY"),
        };
        command.output().expect("the binary runs")
    };
    // The key moves from the one derived from SESSION_SECRET to an explicit ENCRYPTION_KEY (the
    // derived key stays readable), then the command reseals.
    let output = run(Some(&new_key));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.starts_with("resealed 1 secrets"), "{printed}");
    let again = run(Some(&new_key));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("resealed 0 secrets"),
        "a second run has nothing left to do"
    );

    let row = bandwidth_account::Entity::find_by_id(org)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let sealed = Sealed {
        ciphertext: row.password_ciphertext,
        nonce: row.password_nonce,
        key_id: row.password_key_id,
    };
    let only_new = SecretBox::from_settings(
        Some(&spoke_bandwidth::config::Secret::new(new_key.clone())),
        None,
        &spoke_bandwidth::config::Secret::new("an unrelated session secret"),
    )
    .unwrap();
    assert_eq!(
        only_new.open(&sealed, &secret_owner(org)).unwrap().expose(),
        password,
        "the new key alone opens it"
    );
    // Back to the old key without the new one: the command refuses, naming the organization.
    let refused = run(None);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(&format!("organization {org}")),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[tokio::test]
async fn the_password_appears_in_no_response_error_or_log_line() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let password = "pw-never-shown-93b2f0";
    let input = json!({"accountId": "9900000", "userName": "api-user", "password": password, "skipVerification": true});

    let mut answers = vec![
        app.graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": input}),
        )
        .await,
    ];
    answers.push(
        app.graphql(Some(&owner), VENDOR, json!({"id": org.to_string()}))
            .await,
    );
    // An error path with the password in the input: an empty account id.
    let bad = json!({"accountId": "", "userName": "api-user", "password": password});
    answers.push(
        app.graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": bad}),
        )
        .await,
    );
    assert_eq!(error_code(&answers[2]), "BAD_USER_INPUT");
    // Another organization's owner trying the same input.
    let other = app.create_org("Other").await;
    let stranger = app.token(other, Role::Owner).await;
    answers.push(
        app.graphql(
            Some(&stranger),
            UPDATE,
            json!({"org": org.to_string(), "input": input}),
        )
        .await,
    );
    assert_eq!(error_code(&answers[3]), "FORBIDDEN");

    for answer in &answers {
        assert!(!answer.to_string().contains(password), "leaked in {answer}");
    }
    assert_eq!(
        answers[1]["data"]["organization"]["serviceVendor"]["config"]["password"],
        "<Encrypted>"
    );
    let logs = captured_logs();
    assert!(logs.contains("listening"), "the logs were captured");
    assert!(!logs.contains(password), "the password reached a log line");
}

#[tokio::test]
async fn the_password_sent_to_bandwidth_reaches_no_log_line_or_answer() {
    use base64::Engine;
    let app = crate::helpers::spawn_app_with_emulator().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let input = app.emulator_credentials();
    let password = input["password"].as_str().unwrap().to_owned();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{password}",
        input["userName"].as_str().unwrap()
    ));

    // Checked with Bandwidth (the password goes out in Basic auth), then provisioning and a buy
    // use it again; a wrong password is refused by Bandwidth.
    let mut answers = vec![
        app.graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": input}),
        )
        .await,
    ];
    assert!(answers[0]["errors"].is_null(), "{}", answers[0]);
    answers.push(
        app.graphql(
            Some(&owner),
            "mutation($org: String!) { provisionBandwidth(organizationId: $org, input: {address: {houseNumber: \"900\", streetName: \"Main Campus Dr\", city: \"Raleigh\", stateCode: \"NC\", zip: \"27606\"}}) { state } }",
            json!({"org": org.to_string()}),
        )
        .await,
    );
    let mut wrong = app.emulator_credentials();
    wrong["password"] = json!("wrong-pw-71c4d2");
    answers.push(
        app.graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": wrong}),
        )
        .await,
    );
    assert_eq!(error_code(&answers[2]), "UPSTREAM_ERROR", "{}", answers[2]);

    for answer in &answers {
        let text = answer.to_string();
        assert!(
            !text.contains(&password) && !text.contains("wrong-pw-71c4d2"),
            "{text}"
        );
    }
    let logs = captured_logs();
    assert!(
        logs.contains("reqwest") || logs.contains("hyper"),
        "the client's logs were captured"
    );
    for secret in [password.as_str(), basic.as_str(), "wrong-pw-71c4d2"] {
        assert!(!logs.contains(secret), "{secret:?} reached a log line");
    }
}

#[tokio::test]
async fn an_omitted_or_placeholder_password_keeps_the_stored_one() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let vars = |input: serde_json::Value| json!({"org": org.to_string(), "input": input});
    let first = json!({"accountId": "9900000", "userName": "api-user", "password": "pw-first", "skipVerification": true});
    app.graphql(Some(&owner), UPDATE, vars(first)).await;
    let before = bandwidth_account::Entity::find_by_id(org)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();

    let placeholder = json!({"accountId": "9900001", "userName": "api-user-2", "password": "<Encrypted>", "skipVerification": true});
    let answer = app.graphql(Some(&owner), UPDATE, vars(placeholder)).await;
    assert_eq!(
        answer["data"]["updateBandwidthCredentials"]["accountId"], "9900001",
        "{answer}"
    );
    let omitted =
        json!({"accountId": "9900002", "userName": "api-user-3", "skipVerification": true});
    let answer = app.graphql(Some(&owner), UPDATE, vars(omitted)).await;
    assert_eq!(
        answer["data"]["updateBandwidthCredentials"]["passwordSet"], true,
        "{answer}"
    );

    let after = bandwidth_account::Entity::find_by_id(org)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.password_ciphertext, before.password_ciphertext);
    assert_eq!(after.account_id, "9900002");
}

#[tokio::test]
async fn the_first_save_needs_a_password() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let input = json!({"accountId": "9900000", "userName": "api-user", "password": "<Encrypted>", "skipVerification": true});

    let answer = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("password")
    );
}

#[tokio::test]
async fn advanced_ids_and_the_address_are_stored_and_an_empty_id_clears_one() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let input = json!({
        "accountId": "9900000", "userName": "api-user", "password": "pw", "skipVerification": true,
        "siteId": "12", "sipPeerId": "34", "applicationId": "app-56",
        "address": {"houseNumber": "900", "streetName": "Main Campus Dr", "city": "Raleigh", "stateCode": "NC", "zip": "27606", "country": "United States"}
    });
    let answer = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    let account = &answer["data"]["updateBandwidthCredentials"];
    assert_eq!(account["sipPeerId"], "34", "{answer}");
    assert_eq!(account["address"]["city"], "Raleigh");
    assert_eq!(
        account["verified"], false,
        "skipVerification leaves the account unverified"
    );
    assert_eq!(
        account["callbackUrl"],
        format!("{}/bandwidth/{org}", app.address)
    );

    let clear = json!({"accountId": "9900000", "userName": "api-user", "siteId": "", "skipVerification": true});
    let answer = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": clear}),
        )
        .await;
    let account = &answer["data"]["updateBandwidthCredentials"];
    assert!(account["siteId"].is_null(), "{answer}");
    assert_eq!(account["sipPeerId"], "34", "an omitted id is kept");
    assert_eq!(
        account["address"]["zip"], "27606",
        "an omitted address is kept"
    );

    let vendor = app
        .graphql(Some(&owner), VENDOR, json!({"id": org.to_string()}))
        .await;
    let service_vendor = &vendor["data"]["organization"]["serviceVendor"];
    assert_eq!(
        service_vendor["id"],
        format!("org{org}-bandwidth"),
        "{vendor}"
    );
    assert_eq!(service_vendor["config"]["applicationId"], "app-56");
    assert_eq!(service_vendor["config"]["houseNumber"], "900");
    assert_eq!(vendor["data"]["organization"]["fullyConfigured"], false);
}

#[tokio::test]
async fn credentials_bandwidth_accepts_are_stored_as_verified() {
    let app = crate::helpers::spawn_app_with_emulator().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;

    let answer = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": app.emulator_credentials()}),
        )
        .await;
    let account = &answer["data"]["updateBandwidthCredentials"];
    assert_eq!(account["verified"], true, "{answer}");
    let requests = app.emulator_get("/_emulator/requests").await;
    assert!(
        requests
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["method"] == "GET" && r["path"].as_str().unwrap().ends_with("/sites")),
        "{requests}"
    );
}

#[tokio::test]
async fn credentials_bandwidth_rejects_give_upstream_error_and_store_nothing() {
    let app = crate::helpers::spawn_app_with_emulator().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let mut input = app.emulator_credentials();
    input["password"] = json!("pw-wrong-one-5521");

    let answer = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    assert_eq!(error_code(&answer), "UPSTREAM_ERROR", "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("rejected") && message.contains("401"),
        "{message}"
    );
    assert!(!message.contains("pw-wrong-one-5521"));
    assert!(
        bandwidth_account::Entity::find_by_id(org)
            .one(&app.db)
            .await
            .unwrap()
            .is_none(),
        "nothing stored"
    );

    let mut other_account = app.emulator_credentials();
    other_account["accountId"] = json!("1234567");
    let answer = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": other_account}),
        )
        .await;
    assert_eq!(error_code(&answer), "UPSTREAM_ERROR", "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("403")
    );
    assert!(
        bandwidth_account::Entity::find_by_id(org)
            .one(&app.db)
            .await
            .unwrap()
            .is_none(),
        "nothing stored"
    );
}

#[tokio::test]
async fn unreachable_bandwidth_is_named_as_such_and_skip_verification_stores_unverified() {
    let app = spawn_app().await;
    let org = app.create_org("Org").await;
    let owner = app.token(org, Role::Owner).await;
    let input = json!({"accountId": "9900000", "userName": "api-user", "password": "pw-offline"});

    let answer = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    assert_eq!(error_code(&answer), "UPSTREAM_ERROR", "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("could not be reached") && message.contains("skipVerification"),
        "{message}"
    );
    assert!(
        bandwidth_account::Entity::find_by_id(org)
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
    );

    let mut offline = input.clone();
    offline["skipVerification"] = json!(true);
    let answer = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": offline}),
        )
        .await;
    assert_eq!(
        answer["data"]["updateBandwidthCredentials"]["verified"], false,
        "{answer}"
    );
}
