//! Spoke's admin pages click by click, its role ladder and its user menu, over HTTP with the
//! operations of `spoke_pages` (sent as Spoke's client sends them).

use serde_json::{Value, json};
use spoke_bandwidth::services::access::{self, Role, UserProfile};

use crate::helpers::{error_code, spawn_app, spawn_app_with_emulator};
use crate::provisioning::requests;
use crate::spoke_pages::*;

/// Every operation of the reference's §1, §2 and §4 with valid variables for `org`.
fn every_page_operation(org: i32) -> Vec<(&'static str, &'static str, Value)> {
    let id = json!(org.to_string());
    vec![
        (
            "getCurrentUserRoles",
            GET_CURRENT_USER_ROLES,
            json!({"organizationId": id}),
        ),
        (
            "getCurrentUserForMenu",
            GET_CURRENT_USER_FOR_MENU,
            json!({}),
        ),
        (
            "adminGetCampaigns",
            ADMIN_GET_CAMPAIGNS,
            json!({"organizationId": id}),
        ),
        (
            "updateServiceManager",
            UPDATE_SERVICE_MANAGER,
            json!({"organizationId": id, "serviceManagerName": "numpicker-basic", "updateData": {"matchState": true}}),
        ),
        (
            "updateTextingHours",
            UPDATE_TEXTING_HOURS,
            json!({"organizationId": id, "textingHoursStart": 10, "textingHoursEnd": 20}),
        ),
        (
            "updateTextingHoursEnforcement",
            UPDATE_TEXTING_HOURS_ENFORCEMENT,
            json!({"organizationId": id, "textingHoursEnforced": true}),
        ),
        (
            "updateOptOutMessage",
            UPDATE_OPT_OUT_MESSAGE,
            json!({"organizationId": id, "optOutMessage": "Reply START to come back."}),
        ),
        (
            "updateTheme",
            UPDATE_THEME,
            json!({"organizationId": id, "primary": "#209556", "secondary": "#555555", "info": "#3f80b2", "success": "#209556", "warning": "#fabe28", "error": "#eb1c25"}),
        ),
        (
            "editOrganization",
            EDIT_ORGANIZATION,
            json!({"organizationId": id, "organizationChanges": {
                "texterUIConfig": {"options": "{\"tag-contact\":true}", "sideboxChoices": ["tag-contact", "contact-reference"]},
                "settings": {"messageHandlers": ["auto-optout"], "actionHandlers": [], "featuresJSON": "{\"OPT_OUT_MESSAGE\":\"Bye\"}", "unsetFeatures": []}
            }}),
        ),
        (
            "clearCachedOrgAndExtensionCaches",
            CLEAR_CACHED_ORG_AND_EXTENSION_CACHES,
            json!({"organizationId": id}),
        ),
        (
            "getOrganizationData",
            GET_ORGANIZATION_DATA,
            json!({"organizationId": id}),
        ),
    ]
}

#[tokio::test]
async fn every_operation_of_spokes_shell_settings_and_phone_numbers_pages_answers_an_owner_before_and_after_provisioning()
 {
    let app = spawn_app_with_emulator().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    for (name, query, variables) in every_page_operation(org) {
        ok(&app, &owner, name, query, variables).await;
    }

    let typed = merged(app.emulator_credentials(), address_fields());
    let (saved, _) = save_vendor_form(&app, &owner, org, json!(typed.to_string())).await;
    assert!(saved["errors"].is_null(), "{saved}");
    ok(
        &app,
        &owner,
        "buyPhoneNumbers",
        BUY_PHONE_NUMBERS,
        json!({"organizationId": org.to_string(), "areaCode": "919", "limit": 1}),
    )
    .await;
    poll_phone_numbers_page(&app, &owner, org, |page| {
        page["pendingPhoneNumberJobs"] == json!([])
    })
    .await;
    for (name, query, variables) in every_page_operation(org) {
        let data = ok(&app, &owner, name, query, variables).await;
        if name == "adminGetCampaigns" {
            assert_eq!(
                data["organization"]["serviceManagers"],
                json!([]),
                "no manager Spoke lacks a config component for"
            );
        }
    }
}

#[tokio::test]
async fn a_user_clicks_through_settings_and_phone_numbers_and_nothing_is_created_twice_or_lost() {
    let app = spawn_app_with_emulator().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let vars = json!({"organizationId": org.to_string()});

    // Open Settings: the form's state starts as {...config, country}; type credentials and an
    // address and save.
    let opened = settings_page(&app, &owner, org).await;
    let typed = merged(app.emulator_credentials(), address_fields());
    let first_post = form_submission(&opened["serviceVendor"]["config"], typed.clone());
    let (saved, _) = save_vendor_form(&app, &owner, org, json!(first_post.to_string())).await;
    assert!(saved["errors"].is_null(), "{saved}");
    let config = saved["data"]["updateServiceVendorConfig"]["config"].clone();
    assert!(config["autoConfigError"].is_null(), "{config}");
    let stored_ids = ids_of(&config);
    assert!(stored_ids.iter().all(|id| id.is_string()), "{config}");

    // Save again from the same open page: the form still holds its old state (blank ids).
    let (again, _) = save_vendor_form(&app, &owner, org, json!(first_post.to_string())).await;
    assert!(again["errors"].is_null(), "{again}");
    assert_eq!(
        ids_of(&again["data"]["updateServiceVendorConfig"]["config"]),
        stored_ids
    );

    // And once more with Spoke's slip: the location id copied into siteId, plus whatever the
    // server returned (autoConfigError included) and blank ids.
    let mut slipped = form_submission(&config, json!({"applicationId": "", "sipPeerId": ""}));
    slipped["siteId"] = config["sipPeerId"].clone();
    slipped["autoConfigError"] = json!("an old error the form posts back");
    let (third, _) = save_vendor_form(&app, &owner, org, json!(slipped.to_string())).await;
    assert!(third["errors"].is_null(), "{third}");
    assert_eq!(
        ids_of(&third["data"]["updateServiceVendorConfig"]["config"]),
        stored_ids
    );
    assert_eq!(requests(&app, "POST", "/sites").await.len(), 1, "one site");
    assert_eq!(
        requests(&app, "POST", "/sippeers").await.len(),
        1,
        "one location"
    );
    assert_eq!(
        requests(&app, "POST", "/applications").await.len(),
        1,
        "one application"
    );

    // Texting hours, opt-out message, theme and texter UI defaults.
    let hours = ok(
        &app,
        &owner,
        "updateTextingHours",
        UPDATE_TEXTING_HOURS,
        json!({"organizationId": org.to_string(), "textingHoursStart": 8, "textingHoursEnd": 20}),
    )
    .await;
    assert_eq!(hours["updateTextingHours"]["textingHoursStart"], 8);
    ok(
        &app,
        &owner,
        "updateTextingHoursEnforcement",
        UPDATE_TEXTING_HOURS_ENFORCEMENT,
        json!({"organizationId": org.to_string(), "textingHoursEnforced": true}),
    )
    .await;
    ok(
        &app,
        &owner,
        "updateOptOutMessage",
        UPDATE_OPT_OUT_MESSAGE,
        json!({"organizationId": org.to_string(), "optOutMessage": "Sorry to see you go."}),
    )
    .await;
    let theme = ok(
        &app,
        &owner,
        "updateTheme",
        UPDATE_THEME,
        json!({"organizationId": org.to_string(), "primary": "#209556", "error": "#eb1c25"}),
    )
    .await;
    assert_eq!(
        theme["updateTheme"]["theme"],
        json!({"primary": "#209556", "error": "#eb1c25"})
    );
    let edited = ok(
        &app,
        &owner,
        "editOrganization",
        EDIT_ORGANIZATION,
        json!({"organizationId": org.to_string(), "organizationChanges": {
            "texterUIConfig": {"options": "{\"tag-contact\":true}", "sideboxChoices": ["tag-contact"]}
        }}),
    )
    .await;
    assert_eq!(
        edited["editOrganization"]["texterUIConfig"],
        json!({"__typename": "TexterUIConfig", "options": "{\"tag-contact\":true}", "sideboxChoices": ["tag-contact"]})
    );
    let reopened = settings_page(&app, &owner, org).await;
    assert_eq!(reopened["textingHoursEnforced"], true);
    assert_eq!(
        (
            reopened["textingHoursStart"].as_i64(),
            reopened["textingHoursEnd"].as_i64()
        ),
        (Some(8), Some(20))
    );
    assert_eq!(reopened["optOutMessage"], "Sorry to see you go.");
    assert_eq!(
        reopened["texterUIConfig"]["sideboxChoices"],
        json!(["tag-contact"])
    );
    assert_eq!(
        ids_of(&reopened["serviceVendor"]["config"]),
        stored_ids,
        "the settings writes kept the ids"
    );

    // Phone Numbers: buy two, watch the job leave the pending list.
    ok(
        &app,
        &owner,
        "buyPhoneNumbers",
        BUY_PHONE_NUMBERS,
        json!({"organizationId": org.to_string(), "areaCode": "919", "limit": 2}),
    )
    .await;
    let page = poll_phone_numbers_page(&app, &owner, org, |page| {
        page["pendingPhoneNumberJobs"] == json!([]) && counts_of(page, "919").is_some()
    })
    .await;
    assert_eq!(counts_of(&page, "919").unwrap()["availableCount"], 2);
    assert_eq!(page["theme"]["primary"], "#209556");

    // A contact gets a message and keeps its number: that one is allocated, the other available.
    // Hours 8–20 are enforced (above): send at noon in Raleigh, whatever the time of the run.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2027-01-14T17:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let sent = app
        .graphql(
            Some(&owner),
            "mutation($org: String!, $input: SendMessageInput!) { sendMessage(organizationId: $org, input: $input) { id userNumber } }",
            json!({"org": org.to_string(), "input": {"contactNumber": "+19195550142", "text": "Hello"}}),
        )
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
    let sticky = sent["data"]["sendMessage"]["userNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = poll_phone_numbers_page(&app, &owner, org, |page| {
        counts_of(page, "919").is_some_and(|c| c["allocatedCount"] == 1)
    })
    .await;
    assert_eq!(
        counts_of(&page, "919").unwrap()["availableCount"],
        1,
        "{page}"
    );

    // Delete: exactly the one the dialog promised is released.
    ok(
        &app,
        &owner,
        "deletePhoneNumbers",
        DELETE_PHONE_NUMBERS,
        json!({"organizationId": org.to_string(), "areaCode": "919"}),
    )
    .await;
    let page = poll_phone_numbers_page(&app, &owner, org, |page| {
        page["pendingPhoneNumberJobs"] == json!([])
            && counts_of(page, "919").is_some_and(|c| c["availableCount"] == 0)
    })
    .await;
    assert_eq!(counts_of(&page, "919").unwrap()["allocatedCount"], 1);
    let disconnects = requests(&app, "POST", "/disconnects").await;
    assert_eq!(disconnects.len(), 1);
    let body = disconnects[0]["body"].as_str().unwrap();
    assert_eq!(body.matches("<TelephoneNumber>").count(), 1, "{body}");
    assert!(
        !body.contains(&sticky[2..]),
        "the sticky number stays: {body}"
    );
    let _ = vars;
}

#[tokio::test]
async fn a_failed_buy_leaves_the_pending_list_once_it_ends_and_its_reason_stays_readable() {
    let app = spawn_app_with_emulator().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let typed = merged(app.emulator_credentials(), address_fields());
    let (saved, _) = save_vendor_form(&app, &owner, org, json!(typed.to_string())).await;
    assert!(saved["errors"].is_null(), "{saved}");

    let bought = ok(
        &app,
        &owner,
        "buyPhoneNumbers",
        BUY_PHONE_NUMBERS,
        json!({"organizationId": org.to_string(), "areaCode": "999", "limit": 2}),
    )
    .await;
    let job_id = bought["buyPhoneNumbers"]["id"].as_str().unwrap().to_owned();
    poll_phone_numbers_page(&app, &owner, org, |page| {
        page["pendingPhoneNumberJobs"] == json!([])
    })
    .await;
    let answer = app
        .graphql(
            Some(&owner),
            "query($org: String!, $id: String!) { organization(id: $org) { job(id: $id) { state status resultMessage } jobs(first: 5) { id state } } }",
            json!({"org": org.to_string(), "id": job_id}),
        )
        .await;
    let job = &answer["data"]["organization"]["job"];
    assert_eq!(job["state"], "FAILED", "{answer}");
    assert_eq!(job["status"], -1);
    assert!(
        job["resultMessage"].as_str().unwrap().contains("5018"),
        "Bandwidth's reason is kept: {job}"
    );
    let history = answer["data"]["organization"]["jobs"].as_array().unwrap();
    assert!(
        history
            .iter()
            .any(|j| j["id"] == job_id.as_str() && j["state"] == "FAILED"),
        "{answer}"
    );
}

/// The Settings mutations, the lowest role Spoke allows for each, and variables with good values.
fn settings_mutations(org: i32) -> Vec<(&'static str, &'static str, Role, Value)> {
    every_page_operation(org)
        .into_iter()
        .filter_map(|(name, query, vars)| {
            let role = match name {
                "updateTextingHoursEnforcement" => Role::Supervolunteer,
                "updateTextingHours"
                | "updateOptOutMessage"
                | "updateTheme"
                | "editOrganization"
                | "clearCachedOrgAndExtensionCaches" => Role::Owner,
                _ => return None,
            };
            Some((name, query, role, vars))
        })
        .collect()
}

#[tokio::test]
async fn each_settings_mutation_refuses_a_caller_below_spokes_role_and_allows_one_at_it() {
    let app = spawn_app().await;
    let org = app.create_org("Vote Now").await;
    let mut tokens = Vec::new();
    for role in Role::LADDER {
        tokens.push((role, app.token(org, role).await));
    }
    let mutations = settings_mutations(org);
    assert_eq!(mutations.len(), 6);
    for (name, query, required, vars) in mutations {
        for (role, token) in &tokens {
            let (answer, _) = send(&app, token, name, query, vars.clone()).await;
            if *role >= required {
                assert!(answer["errors"].is_null(), "{name} as {role:?}: {answer}");
            } else {
                assert_eq!(
                    error_code(&answer),
                    "FORBIDDEN",
                    "{name} as {role:?}: {answer}"
                );
            }
        }
    }
}

#[tokio::test]
async fn each_settings_mutation_refuses_bad_values_naming_the_field_and_keeps_what_was_stored() {
    let app = spawn_app().await;
    let org = app.create_org("Vote Now").await;
    let owner = app.token(org, Role::Owner).await;
    let id = org.to_string();
    let cases = [
        (
            "updateTextingHours",
            UPDATE_TEXTING_HOURS,
            json!({"organizationId": id, "textingHoursStart": 9, "textingHoursEnd": 25}),
            "textingHoursEnd",
        ),
        (
            "updateTextingHours",
            UPDATE_TEXTING_HOURS,
            json!({"organizationId": id, "textingHoursStart": 21, "textingHoursEnd": 9}),
            "textingHoursStart",
        ),
        (
            "updateTextingHours",
            UPDATE_TEXTING_HOURS,
            json!({"organizationId": id, "textingHoursStart": -1, "textingHoursEnd": 9}),
            "textingHoursStart",
        ),
        (
            "updateOptOutMessage",
            UPDATE_OPT_OUT_MESSAGE,
            json!({"organizationId": id, "optOutMessage": "  "}),
            "optOutMessage",
        ),
        (
            "updateTheme",
            UPDATE_THEME,
            json!({"organizationId": id, "primary": "green"}),
            "primary",
        ),
        (
            "editOrganization",
            EDIT_ORGANIZATION,
            json!({"organizationId": id, "organizationChanges": {"settings": {"featuresJSON": "{not json"}}}),
            "featuresJSON",
        ),
        (
            "editOrganization",
            EDIT_ORGANIZATION,
            json!({"organizationId": id, "organizationChanges": {"settings": {"featuresJSON": "{\"textingHoursEnd\": 30}"}}}),
            "textingHoursEnd",
        ),
        (
            "editOrganization",
            EDIT_ORGANIZATION,
            json!({"organizationId": id, "organizationChanges": {"settings": {"featuresJSON": "{\"SERVICE_MANAGERS\": \"numpicker-basic,sticky-sender\"}"}}}),
            "SERVICE_MANAGERS",
        ),
        (
            "editOrganization",
            EDIT_ORGANIZATION,
            json!({"organizationId": id, "organizationChanges": {"texterUIConfig": {"options": "[1, 2]"}}}),
            "texterUIConfig.options",
        ),
    ];
    let before = settings_page(&app, &owner, org).await;
    for (name, query, vars, field) in cases {
        let (answer, _) = send(&app, &owner, name, query, vars.clone()).await;
        assert_eq!(
            error_code(&answer),
            "BAD_USER_INPUT",
            "{name} {vars}: {answer}"
        );
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(field), "{name} names {field}: {message}");
    }
    assert_eq!(
        settings_page(&app, &owner, org).await,
        before,
        "nothing was stored"
    );
}

#[tokio::test]
async fn the_user_menu_shows_the_caller_and_lists_organizations_by_role() {
    let app = spawn_app().await;
    let run = app.create_org("Run").await;
    let help = app.create_org("Help").await;
    let token = access::create_member_token(
        &app.db,
        run,
        Role::Supervolunteer,
        &UserProfile {
            display_name: Some("Ada Organizer".into()),
            email: Some("ada@example.org".into()),
        },
    )
    .await
    .unwrap();
    let user: i32 = {
        let menu = ok(
            &app,
            &token,
            "getCurrentUserForMenu",
            GET_CURRENT_USER_FOR_MENU,
            json!({}),
        )
        .await;
        menu["currentUser"]["id"].as_str().unwrap().parse().unwrap()
    };
    spoke_bandwidth::store::users::insert_membership(&app.db, user, help, "TEXTER")
        .await
        .unwrap();

    let menu = ok(
        &app,
        &token,
        "getCurrentUserForMenu",
        GET_CURRENT_USER_FOR_MENU,
        json!({}),
    )
    .await;
    let me = &menu["currentUser"];
    assert_eq!(me["displayName"], "Ada Organizer");
    assert_eq!(me["email"], "ada@example.org");
    assert_eq!(me["is_superadmin"], false);
    let names = |key: &str| -> Vec<Value> {
        me[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].clone())
            .collect()
    };
    assert_eq!(names("superVolOrganizations"), [json!("Run")]);
    assert_eq!(names("texterOrganizations"), [json!("Run"), json!("Help")]);

    let shell = ok(
        &app,
        &token,
        "getCurrentUserRoles",
        GET_CURRENT_USER_ROLES,
        json!({"organizationId": help.to_string()}),
    )
    .await;
    assert_eq!(
        shell["currentUser"]["roles"],
        json!(["SUSPENDED", "TEXTER"])
    );
}

#[tokio::test]
async fn a_suspended_member_can_do_nothing() {
    let app = spawn_app().await;
    let org = app.create_org("Vote Now").await;
    let suspended = app.token(org, Role::Suspended).await;
    let vars = json!({"organizationId": org.to_string()});
    for (name, query) in [
        ("adminGetCampaigns", ADMIN_GET_CAMPAIGNS),
        ("getOrganizationData", GET_ORGANIZATION_DATA),
        (
            "updateTextingHoursEnforcement",
            UPDATE_TEXTING_HOURS_ENFORCEMENT,
        ),
    ] {
        let mut variables = vars.clone();
        variables["textingHoursEnforced"] = json!(true);
        let (answer, _) = send(&app, &suspended, name, query, variables).await;
        assert_eq!(error_code(&answer), "FORBIDDEN", "{name}: {answer}");
    }
    let sent = app
        .graphql(
            Some(&suspended),
            "mutation($org: String!) { sendMessage(organizationId: $org, input: {contactNumber: \"+19195550100\", text: \"hi\"}) { id } }",
            json!({"org": org.to_string()}),
        )
        .await;
    assert_eq!(error_code(&sent), "FORBIDDEN", "{sent}");
    let menu = ok(
        &app,
        &suspended,
        "getCurrentUserForMenu",
        GET_CURRENT_USER_FOR_MENU,
        json!({}),
    )
    .await;
    assert_eq!(menu["currentUser"]["texterOrganizations"], json!([]));
}

/// `a` with the keys of `b` added.
fn merged(mut a: Value, b: Value) -> Value {
    a.as_object_mut()
        .unwrap()
        .extend(b.as_object().cloned().unwrap_or_default());
    a
}

/// `[siteId, sipPeerId, applicationId]` of a vendor config.
fn ids_of(config: &Value) -> [Value; 3] {
    [
        config["siteId"].clone(),
        config["sipPeerId"].clone(),
        config["applicationId"].clone(),
    ]
}
