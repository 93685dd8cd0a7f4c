//! SPEC §2: every resolver checks the caller against the organization it touches.

use serde_json::json;
use spoke_bandwidth::services::access::Role;

use crate::helpers::{error_code, spawn_app};

const ORGANIZATION: &str = "query($id: String!) { organization(id: $id) { id name } }";
const ORGANIZATION_ACCOUNT: &str =
    "query($id: String!) { organization(id: $id) { bandwidth { accountId } } }";
const UPDATE: &str = r#"mutation($org: String!) {
  updateBandwidthCredentials(organizationId: $org, input: {accountId: "9900000", userName: "api-user", password: "pw-access-test", skipVerification: true}) { accountId }
}"#;

#[tokio::test]
async fn a_token_of_one_organization_cannot_read_another() {
    let app = spawn_app().await;
    let org1 = app.create_org("One").await;
    let org2 = app.create_org("Two").await;
    let owner1 = app.token(org1, Role::Owner).await;

    let own = app
        .graphql(Some(&owner1), ORGANIZATION, json!({"id": org1.to_string()}))
        .await;
    assert_eq!(own["data"]["organization"]["name"], "One", "{own}");

    let other = app
        .graphql(Some(&owner1), ORGANIZATION, json!({"id": org2.to_string()}))
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    assert!(other["data"]["organization"].is_null());
}

#[tokio::test]
async fn a_missing_organization_looks_exactly_like_a_forbidden_one() {
    let app = spawn_app().await;
    let org1 = app.create_org("One").await;
    let org2 = app.create_org("Two").await;
    let owner1 = app.token(org1, Role::Owner).await;

    let forbidden = app
        .graphql(Some(&owner1), ORGANIZATION, json!({"id": org2.to_string()}))
        .await;
    let missing = app
        .graphql(Some(&owner1), ORGANIZATION, json!({"id": "987654"}))
        .await;
    let malformed = app
        .graphql(Some(&owner1), ORGANIZATION, json!({"id": "not-a-number"}))
        .await;
    assert_eq!(
        forbidden["errors"][0]["message"],
        missing["errors"][0]["message"]
    );
    assert_eq!(
        forbidden["errors"][0]["extensions"],
        missing["errors"][0]["extensions"]
    );
    assert_eq!(
        forbidden["errors"][0]["message"],
        malformed["errors"][0]["message"]
    );
}

#[tokio::test]
async fn a_token_of_one_organization_cannot_write_another() {
    let app = spawn_app().await;
    let org1 = app.create_org("One").await;
    let org2 = app.create_org("Two").await;
    let owner1 = app.token(org1, Role::Owner).await;
    let owner2 = app.token(org2, Role::Owner).await;

    let answer = app
        .graphql(Some(&owner1), UPDATE, json!({"org": org2.to_string()}))
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
    let account = app
        .graphql(
            Some(&owner2),
            ORGANIZATION_ACCOUNT,
            json!({"id": org2.to_string()}),
        )
        .await;
    assert!(
        account["data"]["organization"]["bandwidth"].is_null(),
        "nothing was stored: {account}"
    );
}

#[tokio::test]
async fn a_texter_cannot_update_credentials() {
    let app = spawn_app().await;
    let org = app.create_org("One").await;
    let texter = app.token(org, Role::Texter).await;

    let answer = app
        .graphql(Some(&texter), UPDATE, json!({"org": org.to_string()}))
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
    let read = app
        .graphql(Some(&texter), ORGANIZATION, json!({"id": org.to_string()}))
        .await;
    assert_eq!(
        read["data"]["organization"]["name"], "One",
        "a texter still reads the organization: {read}"
    );
}

#[tokio::test]
async fn an_admin_reads_the_account_but_cannot_change_it() {
    let app = spawn_app().await;
    let org = app.create_org("One").await;
    let owner = app.token(org, Role::Owner).await;
    let admin = app.token(org, Role::Admin).await;
    let stored = app
        .graphql(Some(&owner), UPDATE, json!({"org": org.to_string()}))
        .await;
    assert!(stored["errors"].is_null(), "{stored}");

    let read = app
        .graphql(
            Some(&admin),
            ORGANIZATION_ACCOUNT,
            json!({"id": org.to_string()}),
        )
        .await;
    assert_eq!(
        read["data"]["organization"]["bandwidth"]["accountId"], "9900000",
        "{read}"
    );
    let write = app
        .graphql(Some(&admin), UPDATE, json!({"org": org.to_string()}))
        .await;
    assert_eq!(error_code(&write), "FORBIDDEN");
}

#[tokio::test]
async fn no_token_or_an_unknown_token_is_unauthenticated() {
    let app = spawn_app().await;
    let org = app.create_org("One").await;

    let none = app
        .graphql(None, ORGANIZATION, json!({"id": org.to_string()}))
        .await;
    assert_eq!(error_code(&none), "UNAUTHENTICATED");
    let unknown = app
        .graphql(
            Some("sbw_not-a-real-token"),
            ORGANIZATION,
            json!({"id": org.to_string()}),
        )
        .await;
    assert_eq!(error_code(&unknown), "UNAUTHENTICATED");
    let write = app
        .graphql(None, UPDATE, json!({"org": org.to_string()}))
        .await;
    assert_eq!(error_code(&write), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_superadmin_reaches_every_organization() {
    let app = spawn_app().await;
    let org = app.create_org("One").await;
    let token =
        spoke_bandwidth::services::access::create_superadmin_token(&app.db, &Default::default())
            .await
            .unwrap();

    let read = app
        .graphql(Some(&token), ORGANIZATION, json!({"id": org.to_string()}))
        .await;
    assert_eq!(read["data"]["organization"]["name"], "One", "{read}");
}
