//! Spoke's admin pages against this server over HTTP, as Spoke's client sends them: the
//! operations of `../shared/reference/spoke-admin-client.md` §1, §2 and §4, each with
//! `operationName`, Spoke's variable types (the vendor config as a JSON string) and `__typename`
//! in every selection set (Apollo's `addTypename`, applied by [`send`]). These tests fail if a
//! page of Spoke's would break against this server unchanged, including fields it renders
//! wrongly (a service manager without a config component blanks the Settings page).
//!
//! Sources (StateVoicesNational/Spoke): `src/containers/Settings/index.jsx`,
//! `src/containers/AdminPhoneNumberInventory.js`, `src/components/AdminDashboard.jsx`,
//! `src/containers/UserMenu.jsx`, `src/components/ThemeEditor` and
//! `src/extensions/service-vendors/bandwidth/react-component.js` for what the Bandwidth form posts.

use std::time::Duration;

use serde_json::{Map, Value, json};
use spoke_bandwidth::services::access::Role;

use crate::helpers::{TestApp, error_code, futures_join_all, spawn_app, spawn_app_with_emulator};
use crate::provisioning::requests;

/// Settings page (`src/containers/Settings/index.jsx`).
pub(crate) const ADMIN_GET_CAMPAIGNS: &str = r#"
      query adminGetCampaigns($organizationId: String!) {
        organization(id: $organizationId) {
          id
          name
          textingHoursEnforced
          textingHoursStart
          textingHoursEnd
          optOutMessage
          settings {
            messageHandlers
            actionHandlers
            featuresJSON
            unsetFeatures
          }
          texterUIConfig {
            options
            sideboxChoices
          }
          serviceVendor {
            id
            name
            supportsOrgConfig
            config
          }
          serviceManagers {
            id
            name
            displayName
            supportsOrgConfig
            data
            fullyConfigured
          }
        }
      }
    "#;

/// Settings page.
pub(crate) const UPDATE_SERVICE_VENDOR_CONFIG: &str = r#"
  mutation updateServiceVendorConfig(
    $organizationId: String!
    $serviceName: String!
    $config: JSON!
  ) {
    updateServiceVendorConfig(
      organizationId: $organizationId
      serviceName: $serviceName
      config: $config
    ) {
      id
      config
    }
  }
"#;

/// Settings page.
pub(crate) const UPDATE_SERVICE_MANAGER: &str = r#"
  mutation updateServiceManager(
    $organizationId: String!
    $serviceManagerName: String!
    $updateData: JSON!
  ) {
    updateServiceManager(
      organizationId: $organizationId
      serviceManagerName: $serviceManagerName
      updateData: $updateData
    ) {
      id
      data
      fullyConfigured
    }
  }
"#;

/// Campaign stats page (`src/containers/AdminCampaignStats.jsx`).
pub(crate) const UPDATE_SERVICE_MANAGER_FOR_CAMPAIGN: &str = r#"
      mutation updateServiceManager(
        $organizationId: String!
        $campaignId: String!
        $serviceManagerName: String!
        $updateData: JSON!
        $fromCampaignStatsPage: Boolean
      ) {
        updateServiceManager(
          organizationId: $organizationId
          campaignId: $campaignId
          serviceManagerName: $serviceManagerName
          updateData: $updateData
          fromCampaignStatsPage: $fromCampaignStatsPage
        ) {
          id
          data
          unArchiveable
        }
      }
    "#;

/// Settings page: the texting-hours card.
pub(crate) const UPDATE_TEXTING_HOURS: &str = r#"
      mutation updateTextingHours(
        $organizationId: String!
        $textingHoursStart: Int!
        $textingHoursEnd: Int!
      ) {
        updateTextingHours(
          organizationId: $organizationId
          textingHoursStart: $textingHoursStart
          textingHoursEnd: $textingHoursEnd
        ) {
          id
          textingHoursEnforced
          textingHoursStart
          textingHoursEnd
        }
      }
    "#;

/// Settings page: the texting-hours toggle.
pub(crate) const UPDATE_TEXTING_HOURS_ENFORCEMENT: &str = r#"
      mutation updateTextingHoursEnforcement(
        $organizationId: String!
        $textingHoursEnforced: Boolean!
      ) {
        updateTextingHoursEnforcement(
          organizationId: $organizationId
          textingHoursEnforced: $textingHoursEnforced
        ) {
          id
          textingHoursEnforced
          textingHoursStart
          textingHoursEnd
        }
      }
    "#;

/// Settings page: the opt-out message card.
pub(crate) const UPDATE_OPT_OUT_MESSAGE: &str = r#"
      mutation updateOptOutMessage(
        $organizationId: String!
        $optOutMessage: String!
      ) {
        updateOptOutMessage(
          organizationId: $organizationId
          optOutMessage: $optOutMessage
        ) {
          id
          optOutMessage
        }
      }
    "#;

/// Settings page: the theme editor.
pub(crate) const UPDATE_THEME: &str = r#"
      mutation updateTheme(
        $organizationId: String!
        $primary: String
        $secondary: String
        $info: String
        $success: String
        $warning: String
        $error: String
      ) {
        updateTheme(
          organizationId: $organizationId
          primary: $primary
          secondary: $secondary
          info: $info
          success: $success
          warning: $warning
          error: $error
        ) {
          theme
        }
      }
    "#;

/// Settings page: the texter UI and "Overriding default settings" cards.
pub(crate) const EDIT_ORGANIZATION: &str = r#"
      mutation editOrganization(
        $organizationId: String!
        $organizationChanges: OrganizationInput!
      ) {
        editOrganization(id: $organizationId, organization: $organizationChanges) {
          id
          settings {
            messageHandlers
            actionHandlers
            featuresJSON
            unsetFeatures
          }
          texterUIConfig {
            options
            sideboxChoices
          }
        }
      }
    "#;

/// Settings page: the cache button.
pub(crate) const CLEAR_CACHED_ORG_AND_EXTENSION_CACHES: &str = r#"
      mutation clearCachedOrgAndExtensionCaches($organizationId: String!) {
        clearCachedOrgAndExtensionCaches(organizationId: $organizationId)
      }
    "#;

/// Phone Numbers page (`src/containers/AdminPhoneNumberInventory.js`).
pub(crate) const GET_ORGANIZATION_DATA: &str = r#"
      query getOrganizationData($organizationId: String!) {
        organization(id: $organizationId) {
          id
          theme
          serviceVendor {
            name
            config
          }
          campaignPhoneNumbersEnabled
          phoneNumberCounts {
            areaCode
            state
            availableCount
            allocatedCount
          }
          pendingPhoneNumberJobs {
            id
            assigned
            status
            resultMessage
            areaCode
            limit
          }
        }
      }
    "#;

/// Phone Numbers page.
pub(crate) const BUY_PHONE_NUMBERS: &str = r#"
      mutation buyPhoneNumbers(
        $organizationId: ID!
        $areaCode: String!
        $limit: Int!
      ) {
        buyPhoneNumbers(
          organizationId: $organizationId
          areaCode: $areaCode
          limit: $limit
        ) {
          id
        }
      }
    "#;

/// Phone Numbers page.
pub(crate) const DELETE_PHONE_NUMBERS: &str = r#"
      mutation deletePhoneNumbers($organizationId: ID!, $areaCode: String!) {
        deletePhoneNumbers(
          organizationId: $organizationId
          areaCode: $areaCode
        ) {
          id
        }
      }
    "#;

/// The admin shell (`src/components/AdminDashboard.jsx`): navigation entries by role, and the
/// Phone Numbers entry only with `phoneInventoryEnabled`.
pub(crate) const GET_CURRENT_USER_ROLES: &str = r#"
      query getCurrentUserRoles($organizationId: String!) {
        currentUser {
          id
          roles(organizationId: $organizationId)
        }
        organization(id: $organizationId) {
          name
          phoneInventoryEnabled
        }
      }
    "#;

/// The top bar of every admin page (`src/containers/UserMenu.jsx`).
pub(crate) const GET_CURRENT_USER_FOR_MENU: &str = r#"
      query getCurrentUserForMenu {
        currentUser {
          id
          displayName
          email
          is_superadmin
          superVolOrganizations: organizations(role: "SUPERVOLUNTEER") {
            id
            name
          }
          texterOrganizations: organizations(role: "TEXTER") {
            id
            name
          }
        }
      }
    "#;

/// The organization fields of Spoke's campaign editor, which gates starting a campaign on
/// `fullyConfigured` (its campaign fields are outside this server).
pub(crate) const CAMPAIGN_EDIT_ORGANIZATION: &str = r#"
      query getOrganizationData($organizationId: String!) {
        organization(id: $organizationId) {
          id
          fullyConfigured
          phoneInventoryEnabled
          campaignPhoneNumbersEnabled
        }
      }
    "#;

/// Adds `__typename` to every selection set but the operation's own, as Apollo's client does
/// to every document it sends.
fn with_typename(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 256);
    let mut seen_root = false;
    for c in query.chars() {
        out.push(c);
        if c == '{' {
            if seen_root {
                out.push_str(" __typename");
            }
            seen_root = true;
        }
    }
    out
}

/// Sends an operation as Spoke's client does (`operationName`, `variables`, `query`) and
/// returns the answer and its raw text.
pub(crate) async fn send(
    app: &TestApp,
    token: &str,
    operation: &str,
    query: &str,
    variables: Value,
) -> (Value, String) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&json!({"operationName": operation, "variables": variables, "query": with_typename(query)}))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("a body");
    let answer: Value = serde_json::from_str(&text).expect("JSON");
    (answer, text)
}

/// Sends an operation and asserts it answered without errors.
pub(crate) async fn ok(
    app: &TestApp,
    token: &str,
    operation: &str,
    query: &str,
    variables: Value,
) -> Value {
    let (answer, _) = send(app, token, operation, query, variables).await;
    assert!(answer["errors"].is_null(), "{operation}: {answer}");
    answer["data"].clone()
}

/// What the Bandwidth form posts on save: its state (`{...config, country}` plus what was typed),
/// without `dialogOpen` and `error`, and without the password when it still reads `<Encrypted>`.
pub(crate) fn form_submission(config: &Value, typed: Value) -> Value {
    let mut state: Map<String, Value> = config.as_object().cloned().unwrap_or_default();
    state.insert("country".into(), json!("United States"));
    state.insert("advancedCollapse".into(), json!(true));
    state.extend(typed.as_object().cloned().unwrap_or_default());
    if state.get("password") == Some(&json!("<Encrypted>")) {
        state.remove("password");
    }
    Value::Object(state)
}

pub(crate) fn address_fields() -> Value {
    json!({"houseNumber": "900", "streetName": "Main Campus Dr", "city": "Raleigh", "stateCode": "NC", "zip": "27606"})
}

pub(crate) async fn settings_page(app: &TestApp, token: &str, org: i32) -> Value {
    ok(
        app,
        token,
        "adminGetCampaigns",
        ADMIN_GET_CAMPAIGNS,
        json!({"organizationId": org.to_string()}),
    )
    .await["organization"]
        .clone()
}

pub(crate) async fn save_vendor_form(
    app: &TestApp,
    token: &str,
    org: i32,
    config: Value,
) -> (Value, String) {
    send(
        app,
        token,
        "updateServiceVendorConfig",
        UPDATE_SERVICE_VENDOR_CONFIG,
        json!({"organizationId": org.to_string(), "serviceName": "bandwidth", "config": config}),
    )
    .await
}

/// Polls the Phone Numbers page (as Spoke does every 5 s, here every 100 ms, bounded) until
/// `done` holds for the organization it returns.
pub(crate) async fn poll_phone_numbers_page(
    app: &TestApp,
    token: &str,
    org: i32,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = ok(
            app,
            token,
            "getOrganizationData",
            GET_ORGANIZATION_DATA,
            json!({"organizationId": org.to_string()}),
        )
        .await["organization"]
            .clone();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the Phone Numbers page never showed the expected state: {last}");
}

/// The managers that choose the sending number (this server's own field), as a list.
pub(crate) async fn sending_managers(app: &TestApp, token: &str, org: i32) -> Vec<Value> {
    let answer = ok(
        app,
        token,
        "sendingServiceManagers",
        "query sendingServiceManagers($organizationId: String!) { organization(id: $organizationId) { sendingServiceManagers { id name supportsOrgConfig data fullyConfigured } } }",
        json!({"organizationId": org.to_string()}),
    )
    .await;
    answer["organization"]["sendingServiceManagers"]
        .as_array()
        .expect("a list")
        .clone()
}

pub(crate) fn counts_of<'a>(page: &'a Value, area_code: &str) -> Option<&'a Value> {
    page["phoneNumberCounts"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|c| c["areaCode"] == area_code)
}

#[tokio::test]
async fn spokes_settings_phone_numbers_and_navigation_queries_answer_a_fresh_organization_with_defaults()
 {
    let app = spawn_app().await;
    let org = app.create_org("Fresh Org").await;
    let owner = app.token(org, Role::Owner).await;
    let vars = json!({"organizationId": org.to_string()});

    let settings = settings_page(&app, &owner, org).await;
    assert_eq!(settings["id"], org.to_string());
    assert_eq!(settings["name"], "Fresh Org");
    assert_eq!(settings["textingHoursEnforced"], false);
    assert_eq!(settings["textingHoursStart"], 9);
    assert_eq!(settings["textingHoursEnd"], 21);
    assert_eq!(
        settings["optOutMessage"],
        "I'm opting you out of texts immediately. Have a great day."
    );
    assert_eq!(settings["settings"]["featuresJSON"], "{}");
    assert_eq!(settings["settings"]["messageHandlers"], json!([]));
    assert!(
        settings["settings"]["unsetFeatures"]
            .as_array()
            .unwrap()
            .contains(&json!("SERVICE_MANAGERS"))
    );
    assert!(settings["texterUIConfig"]["options"].is_null());
    assert_eq!(
        settings["texterUIConfig"]["sideboxChoices"],
        json!([
            "celebration-gif",
            "default-dynamicassignment",
            "default-releasecontacts",
            "contact-reference",
            "default-editinitial",
            "tag-contact"
        ]),
        "Spoke's default list: an empty one renders a stray 0"
    );
    let vendor = &settings["serviceVendor"];
    assert_eq!(vendor["id"], format!("org{org}-bandwidth"));
    assert_eq!(vendor["name"], "bandwidth");
    assert_eq!(vendor["supportsOrgConfig"], true);
    assert!(
        vendor["config"].is_object(),
        "the form spreads the config, so it is an object even before a save: {vendor}"
    );
    assert_eq!(vendor["config"]["serviceManagerSticky"], true);
    assert_eq!(vendor["config"]["serviceManagerNumPicker"], true);
    assert_eq!(
        settings["serviceManagers"],
        json!([]),
        "Spoke has no config component for sticky-sender or numpicker-basic: listing one blanks the page"
    );
    let managers = sending_managers(&app, &owner, org).await;
    assert_eq!(managers.len(), 2);
    assert_eq!(managers[0]["id"], format!("sticky-sender-org{org}-"));
    assert_eq!(managers[0]["supportsOrgConfig"], false);
    assert_eq!(managers[0]["data"]["enabled"], true);
    assert_eq!(managers[0]["data"]["position"], 0);
    assert_eq!(managers[1]["name"], "numpicker-basic");
    assert_eq!(managers[1]["data"]["matchAreaCode"], true);
    assert_eq!(
        managers[1]["fullyConfigured"], false,
        "no number to pick yet"
    );

    let page = ok(
        &app,
        &owner,
        "getOrganizationData",
        GET_ORGANIZATION_DATA,
        vars.clone(),
    )
    .await["organization"]
        .clone();
    assert!(page["theme"].is_null());
    assert_eq!(page["serviceVendor"]["name"], "bandwidth");
    assert_eq!(page["campaignPhoneNumbersEnabled"], false);
    assert_eq!(page["phoneNumberCounts"], json!([]));
    assert_eq!(page["pendingPhoneNumberJobs"], json!([]));

    let navigation = ok(
        &app,
        &owner,
        "getCurrentUserRoles",
        GET_CURRENT_USER_ROLES,
        vars.clone(),
    )
    .await;
    assert_eq!(
        navigation["currentUser"]["roles"],
        json!([
            "SUSPENDED",
            "TEXTER",
            "VETTED_TEXTER",
            "SUPERVOLUNTEER",
            "ADMIN",
            "OWNER"
        ]),
        "Spoke answers the role and every role below it"
    );
    assert_eq!(navigation["organization"]["phoneInventoryEnabled"], true);

    let editor = ok(
        &app,
        &owner,
        "getOrganizationData",
        CAMPAIGN_EDIT_ORGANIZATION,
        vars,
    )
    .await;
    assert_eq!(editor["organization"]["fullyConfigured"], false);
}

#[tokio::test]
async fn the_bandwidth_form_saved_as_a_json_string_provisions_and_round_trips_with_the_password_hidden()
 {
    let app = spawn_app_with_emulator().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let credentials = app.emulator_credentials();
    let password = credentials["password"].as_str().unwrap().to_owned();

    let fresh = settings_page(&app, &owner, org).await;
    let mut typed = credentials.clone();
    typed
        .as_object_mut()
        .unwrap()
        .extend(address_fields().as_object().cloned().unwrap());
    let submitted = form_submission(&fresh["serviceVendor"]["config"], typed);
    let (saved, text) = save_vendor_form(&app, &owner, org, json!(submitted.to_string())).await;
    assert!(saved["errors"].is_null(), "{saved}");
    assert!(!text.contains(&password), "the password is never echoed");
    let vendor = &saved["data"]["updateServiceVendorConfig"];
    assert_eq!(vendor["id"], format!("org{org}-bandwidth"));
    let config = &vendor["config"];
    assert_eq!(config["password"], "<Encrypted>");
    assert_eq!(config["accountId"], credentials["accountId"]);
    assert_eq!(config["houseNumber"], "900");
    assert_eq!(config["country"], "United States");
    for id in ["siteId", "sipPeerId", "applicationId"] {
        assert!(
            config[id].is_string(),
            "provisioning filled in {id}: {config}"
        );
    }
    assert!(config.get("autoConfigError").is_none(), "{config}");

    let reloaded = settings_page(&app, &owner, org).await;
    assert_eq!(
        &reloaded["serviceVendor"]["config"], config,
        "the page reads back what the save returned"
    );

    // A second save posts the page's config back with the password left out (it read
    // "<Encrypted>"); this time as an object, which is accepted too.
    let resubmitted = form_submission(&reloaded["serviceVendor"]["config"], json!({}));
    assert!(resubmitted.get("password").is_none());
    let (again, text) = save_vendor_form(&app, &owner, org, resubmitted).await;
    assert!(again["errors"].is_null(), "{again}");
    assert!(!text.contains(&password));
    assert_eq!(
        &again["data"]["updateServiceVendorConfig"]["config"],
        config
    );
    assert_eq!(
        requests(&app, "POST", "/sites").await.len(),
        1,
        "nothing is created twice"
    );
    assert_eq!(requests(&app, "POST", "/applications").await.len(), 1);
    let check = app
        .graphql(
            Some(&owner),
            "query($id: String!) { organization(id: $id) { bandwidth { verified passwordSet } } }",
            json!({"id": org.to_string()}),
        )
        .await;
    assert_eq!(
        check["data"]["organization"]["bandwidth"],
        json!({"verified": true, "passwordSet": true}),
        "the stored password still works: {check}"
    );
}

#[tokio::test]
async fn the_phone_numbers_page_buys_and_deletes_numbers_and_the_organization_becomes_fully_configured()
 {
    let app = spawn_app_with_emulator().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let mut typed = app.emulator_credentials();
    typed
        .as_object_mut()
        .unwrap()
        .extend(address_fields().as_object().cloned().unwrap());
    let (saved, _) = save_vendor_form(&app, &owner, org, json!(typed.to_string())).await;
    assert!(saved["errors"].is_null(), "{saved}");
    let vars = json!({"organizationId": org.to_string()});

    let bought = ok(
        &app,
        &owner,
        "buyPhoneNumbers",
        BUY_PHONE_NUMBERS,
        json!({"organizationId": org.to_string(), "areaCode": "919", "limit": 3}),
    )
    .await;
    assert!(bought["buyPhoneNumbers"]["id"].is_string(), "{bought}");
    let page = poll_phone_numbers_page(&app, &owner, org, |page| {
        counts_of(page, "919").is_some() && page["pendingPhoneNumberJobs"] == json!([])
    })
    .await;
    let counts = counts_of(&page, "919").unwrap();
    assert_eq!(counts["availableCount"], 3);
    assert_eq!(counts["state"], "North Carolina");

    assert_eq!(
        sending_managers(&app, &owner, org).await[1]["fullyConfigured"],
        true
    );
    let editor = ok(
        &app,
        &owner,
        "getOrganizationData",
        CAMPAIGN_EDIT_ORGANIZATION,
        vars.clone(),
    )
    .await;
    assert_eq!(editor["organization"]["fullyConfigured"], true);

    let deleted = ok(
        &app,
        &owner,
        "deletePhoneNumbers",
        DELETE_PHONE_NUMBERS,
        json!({"organizationId": org.to_string(), "areaCode": "919"}),
    )
    .await;
    assert!(deleted["deletePhoneNumbers"]["id"].is_string(), "{deleted}");
    poll_phone_numbers_page(&app, &owner, org, |page| {
        counts_of(page, "919").is_none() && page["pendingPhoneNumberJobs"] == json!([])
    })
    .await;
}

#[tokio::test]
async fn a_failed_provisioning_shows_as_auto_config_error_with_bandwidths_reason_and_the_save_succeeds()
 {
    let app = spawn_app_with_emulator().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;

    // No address: the sub-account cannot be created, and the form is told which fields to fill.
    let (saved, _) = save_vendor_form(
        &app,
        &owner,
        org,
        json!(app.emulator_credentials().to_string()),
    )
    .await;
    assert!(saved["errors"].is_null(), "{saved}");
    let config = &saved["data"]["updateServiceVendorConfig"]["config"];
    let error = config["autoConfigError"].as_str().expect("autoConfigError");
    assert!(
        error.contains("houseNumber") && error.contains("zip"),
        "{error}"
    );
    assert_eq!(
        config["password"], "<Encrypted>",
        "the credentials were saved"
    );

    // Bandwidth refusing a step: its answer is in autoConfigError, and it stays on the page.
    app.emulator_post(
        "/_emulator/faults",
        json!({"method": "POST", "path": "features/mms", "status": 400, "times": 1}),
    )
    .await;
    let (saved, _) = save_vendor_form(&app, &owner, org, json!(address_fields().to_string())).await;
    assert!(saved["errors"].is_null(), "{saved}");
    let error = saved["data"]["updateServiceVendorConfig"]["config"]["autoConfigError"]
        .as_str()
        .expect("autoConfigError")
        .to_owned();
    assert!(
        error.contains("mms-settings") && error.contains("400"),
        "{error}"
    );
    let page = settings_page(&app, &owner, org).await;
    assert_eq!(page["serviceVendor"]["config"]["autoConfigError"], error);

    // Saving again resumes and clears it.
    let (saved, _) = save_vendor_form(&app, &owner, org, json!("{}")).await;
    let config = &saved["data"]["updateServiceVendorConfig"]["config"];
    assert!(config.get("autoConfigError").is_none(), "{saved}");
    assert!(config["applicationId"].is_string());
}

#[tokio::test]
async fn rejected_credentials_or_another_vendor_are_errors_and_nothing_is_saved() {
    let app = spawn_app_with_emulator().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let mut wrong = app.emulator_credentials();
    wrong["password"] = json!("wrong-password-5e1a");

    let (answer, text) = save_vendor_form(&app, &owner, org, json!(wrong.to_string())).await;
    assert_eq!(error_code(&answer), "UPSTREAM_ERROR", "{answer}");
    assert!(!text.contains("wrong-password-5e1a"));
    let page = settings_page(&app, &owner, org).await;
    assert!(page["serviceVendor"]["config"].get("accountId").is_none());

    let (answer, _) = send(
        &app,
        &owner,
        "updateServiceVendorConfig",
        UPDATE_SERVICE_VENDOR_CONFIG,
        json!({"organizationId": org.to_string(), "serviceName": "twilio", "config": "{}"}),
    )
    .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    let (answer, _) = save_vendor_form(&app, &owner, org, json!("{not json")).await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");

    let admin = app.token(org, Role::Admin).await;
    let (answer, _) = save_vendor_form(&app, &admin, org, json!(wrong.to_string())).await;
    assert_eq!(error_code(&answer), "FORBIDDEN", "owners only");
}

#[tokio::test]
async fn spokes_service_manager_cards_turn_managers_off_and_on_and_store_picker_options() {
    let app = spawn_app().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let update = |name: &'static str, data: Value| {
        let app = &app;
        let owner = owner.clone();
        async move {
            send(
                app,
                &owner,
                "updateServiceManager",
                UPDATE_SERVICE_MANAGER,
                json!({"serviceManagerName": name, "updateData": data, "organizationId": org.to_string()}),
            )
            .await
            .0
        }
    };

    let answer = update("numpicker-basic", json!({"matchState": false})).await;
    assert!(answer["errors"].is_null(), "{answer}");
    let manager = &answer["data"]["updateServiceManager"];
    assert_eq!(manager["id"], format!("numpicker-basic-org{org}-"));
    assert_eq!(
        manager["data"],
        json!({"enabled": true, "position": 1, "matchAreaCode": true, "matchState": false})
    );

    let answer = update("sticky-sender", json!({"enabled": false})).await;
    assert_eq!(
        answer["data"]["updateServiceManager"]["data"],
        json!({"enabled": false, "position": null})
    );
    assert_eq!(
        answer["data"]["updateServiceManager"]["fullyConfigured"],
        false
    );
    let page = settings_page(&app, &owner, org).await;
    let managers = sending_managers(&app, &owner, org).await;
    let names: Vec<&Value> = managers.iter().map(|m| &m["name"]).collect();
    assert_eq!(names, [&json!("numpicker-basic"), &json!("sticky-sender")]);
    assert_eq!(managers[0]["data"]["matchState"], false);
    assert_eq!(
        page["serviceVendor"]["config"]["serviceManagerSticky"],
        false
    );

    let answer = update("sticky-sender", json!({"enabled": true})).await;
    assert_eq!(
        answer["data"]["updateServiceManager"]["data"]["position"],
        0
    );

    let answer = update("numpicker-basic", json!({"position": 0})).await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sticky-sender must come before")
    );
    let answer = update("numpicker-basic", json!({"colour": "blue"})).await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    let answer = update("carrier-lookup", json!({"enabled": true})).await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");

    let (answer, _) = send(
        &app,
        &owner,
        "updateServiceManager",
        UPDATE_SERVICE_MANAGER_FOR_CAMPAIGN,
        json!({"organizationId": org.to_string(), "campaignId": "7", "serviceManagerName": "numpicker-basic", "updateData": {}, "fromCampaignStatsPage": true}),
    )
    .await;
    assert_eq!(
        error_code(&answer),
        "BAD_USER_INPUT",
        "no campaign settings: {answer}"
    );
}

#[tokio::test]
async fn concurrent_settings_changes_never_lose_each_others_keys() {
    let app = spawn_app().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let changes = [
        ("numpicker-basic", json!({"matchState": false})),
        ("numpicker-basic", json!({"matchAreaCode": false})),
        ("sticky-sender", json!({"enabled": false})),
    ];
    let sends = changes.iter().map(|(name, data)| {
        send(
            &app,
            &owner,
            "updateServiceManager",
            UPDATE_SERVICE_MANAGER,
            json!({"serviceManagerName": name, "updateData": data, "organizationId": org.to_string()}),
        )
    });
    for (answer, _) in futures_join_all(sends).await {
        assert!(answer["errors"].is_null(), "{answer}");
    }
    let managers = sending_managers(&app, &owner, org).await;
    let picker = &managers[0];
    assert_eq!(picker["name"], "numpicker-basic");
    assert_eq!(picker["data"]["matchState"], false);
    assert_eq!(picker["data"]["matchAreaCode"], false);
    assert_eq!(managers[1]["data"]["enabled"], false);
}
