//! Registration (issue #16) against an emulator that enforces it as Bandwidth does: numbers on
//! a 10DLC campaign through TN option orders, toll-free verification, and no send from a number
//! that cannot deliver.

use serde_json::{Value, json};
use spoke_bandwidth::services::access::Role;

use crate::helpers::{
    TestApp, error_code, spawn_app_with_registration, spawn_app_with_registration_and,
};
use crate::provisioning::{address, buy, org_with_credentials, provision, requests, wait_for_job};
use crate::sending::{send, wait_for};

const CAMPAIGN: &str = "CA100AA";

const REFRESH: &str = "mutation($org: ID!) { refreshRegistrations(organizationId: $org) { id } }";
const SETTINGS: &str = "mutation($org: ID!, $campaign: String) { updateRegistrationSettings(organizationId: $org, defaultCampaignId: $campaign) { enforced defaultCampaignId } }";
const ASSIGN: &str = "mutation($org: ID!, $campaign: String!, $numbers: [String!], $areaCode: String) { assignPhoneNumbersToCampaign(organizationId: $org, campaignId: $campaign, phoneNumbers: $numbers, areaCode: $areaCode) { id } }";
const NUMBERS: &str = "query($org: String!) { organization(id: $org) { fullyConfigured phoneNumbers { phoneNumber campaignId registrationStatus registrationErrorCode registrationDetail resubmitAllowed deliverable } tenDlcCampaigns { campaignId status numberCount isDefault carriers { mno status } } } }";
const SUBMIT_TFV: &str = "mutation($org: ID!, $input: TollFreeVerificationInput!) { submitTollFreeVerification(organizationId: $org, input: $input) }";

/// A provisioned organization on the enforcing emulator, with an approved campaign seeded there
/// and read by a refresh.
async fn registered_org(app: &TestApp) -> (i32, String) {
    let (org, owner) = org_with_credentials(app, json!({"address": address()})).await;
    assert_eq!(
        provision(app, &owner, org, json!(null)).await["state"],
        "COMPLETE"
    );
    let seeded = app
        .emulator_post("/_emulator/campaigns", json!({"campaignId": CAMPAIGN}))
        .await;
    assert_eq!(seeded["status"], "ACTIVE", "{seeded}");
    let refreshed = refresh(app, &owner, org).await;
    assert_eq!(refreshed["state"], "SUCCEEDED", "{refreshed}");
    (org, owner)
}

async fn refresh(app: &TestApp, owner: &str, org: i32) -> Value {
    let answer = app
        .graphql(Some(owner), REFRESH, json!({"org": org.to_string()}))
        .await;
    let id = answer["data"]["refreshRegistrations"]["id"].clone();
    assert!(id.is_string(), "{answer}");
    wait_for_job(app, owner, org, &id).await
}

async fn set_default_campaign(app: &TestApp, owner: &str, org: i32, campaign: &str) {
    let answer = app
        .graphql(
            Some(owner),
            SETTINGS,
            json!({"org": org.to_string(), "campaign": campaign}),
        )
        .await;
    assert_eq!(
        answer["data"]["updateRegistrationSettings"]["defaultCampaignId"], campaign,
        "{answer}"
    );
    assert_eq!(
        answer["data"]["updateRegistrationSettings"]["enforced"], true,
        "{answer}"
    );
}

/// Runs `assignPhoneNumbersToCampaign`: the job when it was queued, or the refusal.
async fn assign(
    app: &TestApp,
    token: &str,
    org: i32,
    numbers: Option<Vec<&str>>,
    area_code: Option<&str>,
) -> Result<Value, Value> {
    let answer = app
        .graphql(
            Some(token),
            ASSIGN,
            json!({"org": org.to_string(), "campaign": CAMPAIGN, "numbers": numbers, "areaCode": area_code}),
        )
        .await;
    let id = answer["data"]["assignPhoneNumbersToCampaign"]["id"].clone();
    if id.is_string() {
        Ok(wait_for_job(app, token, org, &id).await)
    } else {
        Err(answer)
    }
}

async fn organization(app: &TestApp, owner: &str, org: i32) -> Value {
    let answer = app
        .graphql(Some(owner), NUMBERS, json!({"org": org.to_string()}))
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"]["organization"].clone()
}

async fn numbers(app: &TestApp, owner: &str, org: i32) -> Vec<Value> {
    organization(app, owner, org).await["phoneNumbers"]
        .as_array()
        .unwrap()
        .clone()
}

fn number<'a>(list: &'a [Value], phone_number: &str) -> &'a Value {
    list.iter()
        .find(|n| n["phoneNumber"] == phone_number)
        .unwrap_or_else(|| panic!("{phone_number} not in {list:?}"))
}

/// The numbers the emulator has on `campaign`, 10 digits.
async fn on_campaign_in_emulator(app: &TestApp, campaign: &str) -> Vec<String> {
    let state = app.emulator_get("/_emulator/campaigns").await;
    let mut out: Vec<String> = state["numbers"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, c)| *c == campaign)
        .map(|(n, _)| n.clone())
        .collect();
    out.sort();
    out
}

/// Sends and waits for the final status; returns the message as the conversation shows it.
async fn send_and_settle(app: &TestApp, token: &str, org: i32, contact: &str) -> Value {
    let sent = send(app, token, org, contact, "Registered hello").await;
    assert!(sent["errors"].is_null(), "{sent}");
    let messages = wait_for(app, token, org, contact, |m| {
        m.last()
            .is_some_and(|m| m["sendStatus"] == "DELIVERED" || m["sendStatus"] == "ERROR")
    })
    .await;
    messages.last().unwrap().clone()
}

#[tokio::test]
async fn three_numbers_bought_with_an_approved_default_campaign_are_all_on_it_in_the_emulator_and_a_send_from_one_is_delivered()
 {
    let app = spawn_app_with_registration().await;
    let (org, owner) = registered_org(&app).await;
    set_default_campaign(&app, &owner, org, CAMPAIGN).await;

    let bought = buy(&app, &owner, org, "919", 3).await;
    assert_eq!(bought["state"], "SUCCEEDED", "{bought}");
    assert!(
        bought["resultMessage"]
            .as_str()
            .unwrap()
            .contains("3 number(s) put on campaign CA100AA"),
        "{bought}"
    );
    let on = on_campaign_in_emulator(&app, CAMPAIGN).await;
    assert_eq!(on, ["9195550100", "9195550101", "9195550102"]);
    let listed = numbers(&app, &owner, org).await;
    assert_eq!(listed.len(), 3);
    for n in &listed {
        assert_eq!(n["registrationStatus"], "REGISTERED", "{n}");
        assert_eq!(n["campaignId"], CAMPAIGN, "{n}");
        assert_eq!(n["deliverable"], true, "{n}");
    }
    let view = organization(&app, &owner, org).await;
    assert_eq!(view["fullyConfigured"], true, "{view}");
    assert_eq!(view["tenDlcCampaigns"][0]["numberCount"], 3, "{view}");
    assert_eq!(view["tenDlcCampaigns"][0]["isDefault"], true, "{view}");
    assert_eq!(
        view["tenDlcCampaigns"][0]["carriers"][1]["status"], "APPROVED",
        "{view}"
    );

    let texter = app.token(org, Role::Texter).await;
    let message = send_and_settle(&app, &texter, org, "+19195557001").await;
    assert_eq!(message["sendStatus"], "DELIVERED", "{message}");
    let from = message["userNumber"]
        .as_str()
        .unwrap()
        .trim_start_matches("+1")
        .to_owned();
    assert!(on.contains(&from), "{message}");
}

#[tokio::test]
async fn with_enforcement_on_a_number_without_a_campaign_is_never_picked_and_alone_it_refuses_with_no_registered_number_until_it_is_assigned()
 {
    let app = spawn_app_with_registration().await;
    let (org, owner) = registered_org(&app).await;
    let texter = app.token(org, Role::Texter).await;
    assert_eq!(buy(&app, &owner, org, "919", 1).await["state"], "SUCCEEDED");
    let listed = numbers(&app, &owner, org).await;
    assert_eq!(listed[0]["registrationStatus"], "UNREGISTERED");
    assert_eq!(
        organization(&app, &owner, org).await["fullyConfigured"],
        false
    );

    let refused = send(&app, &texter, org, "+19195557001", "Hello").await;
    assert_eq!(error_code(&refused), "NO_REGISTERED_NUMBER", "{refused}");
    let text = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        text.contains("1 local number(s) on no active 10DLC campaign"),
        "{text}"
    );
    assert!(text.contains("assignPhoneNumbersToCampaign"), "{text}");
    assert!(
        requests(&app, "POST", "/messages").await.is_empty(),
        "Bandwidth was not called"
    );

    // A registered number elsewhere takes the traffic, even for contacts in 919.
    assert_eq!(buy(&app, &owner, org, "212", 1).await["state"], "SUCCEEDED");
    let job = assign(&app, &owner, org, None, Some("212"))
        .await
        .expect("queued");
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    for contact in ["+19195557002", "+19195557003", "+19195557004"] {
        let message = send_and_settle(&app, &texter, org, contact).await;
        assert_eq!(message["userNumber"], "+12125550100", "{message}");
        assert_eq!(message["sendStatus"], "DELIVERED", "{message}");
    }

    let job = assign(&app, &owner, org, Some(vec!["+19195550100"]), None)
        .await
        .expect("queued");
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let message = send_and_settle(&app, &texter, org, "+19195557005").await;
    assert_eq!(message["userNumber"], "+19195550100", "{message}");
    assert_eq!(message["sendStatus"], "DELIVERED", "{message}");
}

#[tokio::test]
async fn a_50th_number_on_a_campaign_without_a_number_pool_is_refused_and_a_number_an_order_fails_keeps_its_code_and_text_while_the_others_are_assigned()
 {
    let app = spawn_app_with_registration().await;
    let (org, owner) = registered_org(&app).await;
    for (area_code, count) in [("919", 20), ("212", 20), ("415", 10)] {
        assert_eq!(
            buy(&app, &owner, org, area_code, count).await["state"],
            "SUCCEEDED"
        );
    }
    app.emulator_post(
        "/_emulator/tnoptions/failures",
        json!({"number": "+14155550100"}),
    )
    .await;
    for area_code in ["919", "212"] {
        let job = assign(&app, &owner, org, None, Some(area_code))
            .await
            .expect("queued");
        assert_eq!(job["state"], "SUCCEEDED", "{job}");
    }
    let first_415: Vec<String> = (100..109).map(|i| format!("+1415555{i:04}")).collect();
    let job = assign(
        &app,
        &owner,
        org,
        Some(first_415.iter().map(String::as_str).collect()),
        None,
    )
    .await
    .expect("queued");
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let message = job["resultMessage"].as_str().unwrap();
    assert!(
        message.contains("8 number(s) put on campaign CA100AA; 1 failed"),
        "{message}"
    );
    assert!(message.contains("+14155550100 (code 5132)"), "{message}");

    let listed = numbers(&app, &owner, org).await;
    let failed = number(&listed, "+14155550100");
    assert_eq!(failed["registrationStatus"], "FAILED", "{failed}");
    assert_eq!(failed["registrationErrorCode"], "5132", "{failed}");
    assert_eq!(
        failed["registrationDetail"], "SMS attribute should be 'ON' for provisioning A2P",
        "{failed}"
    );
    assert_eq!(failed["campaignId"], Value::Null);
    assert_eq!(
        number(&listed, "+14155550101")["registrationStatus"],
        "REGISTERED"
    );
    assert_eq!(on_campaign_in_emulator(&app, CAMPAIGN).await.len(), 48);

    // The 49th is taken, the 50th refused before Bandwidth is asked.
    let job = assign(&app, &owner, org, Some(vec!["+14155550109"]), None)
        .await
        .expect("queued");
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let orders_before = requests(&app, "POST", "/tnoptions").await.len();
    let refused = assign(&app, &owner, org, Some(vec!["+14155550100"]), None)
        .await
        .expect_err("refused");
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    let text = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        text.contains("has 49 number(s)") && text.contains("at most 49 per campaign"),
        "{text}"
    );
    assert!(text.contains("number pool"), "{text}");
    assert_eq!(
        requests(&app, "POST", "/tnoptions").await.len(),
        orders_before
    );

    // Marked as a pool here but not granted at Bandwidth: the emulator's cap fails the number.
    app.client
        .delete(format!(
            "{}/_emulator/tnoptions/failures",
            app.emulator().base_url()
        ))
        .send()
        .await
        .unwrap();
    let marked = app
        .graphql(
            Some(&owner),
            "mutation($org: ID!) { updateTenDlcCampaign(organizationId: $org, campaignId: \"CA100AA\", numberPool: true) { numberPool } }",
            json!({"org": org.to_string()}),
        )
        .await;
    assert_eq!(
        marked["data"]["updateTenDlcCampaign"]["numberPool"], true,
        "{marked}"
    );
    let job = assign(&app, &owner, org, Some(vec!["+14155550100"]), None)
        .await
        .expect("queued");
    assert_eq!(job["state"], "FAILED", "{job}");
    let failed = number(&numbers(&app, &owner, org).await, "+14155550100").clone();
    assert_eq!(failed["registrationErrorCode"], "12230", "{failed}");
    assert_eq!(on_campaign_in_emulator(&app, CAMPAIGN).await.len(), 49);
}

fn verification(number: &str) -> Value {
    json!({
        "phoneNumbers": [number],
        "businessAddress": {"name": "Vote Now", "addr1": "900 Main Campus Dr", "city": "Raleigh", "state": "NC", "zip": "27606", "url": "https://votenow.example.org"},
        "businessContact": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@votenow.example.org", "phoneNumber": "+19195551234"},
        "messageVolume": 10000,
        "useCase": "Political",
        "useCaseSummary": "Volunteers text voters who signed up about events",
        "productionMessageContent": "Hi, this is Ada from Vote Now: the rally starts at 6pm. Reply STOP to opt out.",
        "optInWorkflow": {"description": "Voters opt in on our web form", "imageUrls": ["https://votenow.example.org/optin.png"]},
        "businessEntityType": "NON_PROFIT"
    })
}

#[tokio::test]
async fn a_toll_free_number_is_not_picked_until_the_emulators_webhook_says_verified_and_a_forged_webhook_is_refused()
 {
    let app = spawn_app_with_registration().await;
    let (org, owner) = registered_org(&app).await;
    let texter = app.token(org, Role::Texter).await;
    assert_eq!(buy(&app, &owner, org, "800", 1).await["state"], "SUCCEEDED");
    let toll_free = numbers(&app, &owner, org).await[0]["phoneNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        number(&numbers(&app, &owner, org).await, &toll_free)["registrationStatus"],
        "UNVERIFIED"
    );

    let refused = send(&app, &texter, org, "+19195557001", "Hello").await;
    assert_eq!(error_code(&refused), "NO_REGISTERED_NUMBER", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("toll-free number(s) not VERIFIED"),
        "{refused}"
    );

    // Checked before Bandwidth is called.
    let mut bad = verification(&toll_free);
    bad["messageVolume"] = json!(5);
    bad["businessContact"]["email"] = json!("nobody");
    let answer = app
        .graphql(
            Some(&owner),
            SUBMIT_TFV,
            json!({"org": org.to_string(), "input": bad}),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    let text = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        text.contains("messageVolume") && text.contains("businessContact.email"),
        "{text}"
    );
    assert!(
        requests(&app, "POST", "/tollFreeVerification")
            .await
            .is_empty()
    );

    let answer = app
        .graphql(
            Some(&owner),
            SUBMIT_TFV,
            json!({"org": org.to_string(), "input": verification(&toll_free)}),
        )
        .await;
    assert_eq!(
        answer["data"]["submitTollFreeVerification"],
        json!([toll_free]),
        "{answer}"
    );
    assert_eq!(
        number(&numbers(&app, &owner, org).await, &toll_free)["registrationStatus"],
        "PENDING"
    );
    let refused = send(&app, &texter, org, "+19195557002", "Hello").await;
    assert_eq!(
        error_code(&refused),
        "NO_REGISTERED_NUMBER",
        "pending is not verified: {refused}"
    );

    // A webhook with wrong credentials changes nothing.
    let forged = app
        .client
        .post(format!("{}/bandwidth/{org}/tollfree-verification", app.address))
        .basic_auth("bandwidth.com", Some("not-the-password"))
        .json(&json!({"accountId": "9900000", "phoneNumber": toll_free, "status": "VERIFIED", "internalTicketNumber": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(
        number(&numbers(&app, &owner, org).await, &toll_free)["registrationStatus"],
        "PENDING"
    );

    let decided = app
        .emulator_post(
            "/_emulator/tollfree/decide",
            json!({"phoneNumber": toll_free, "status": "VERIFIED"}),
        )
        .await;
    assert_eq!(decided["deliveries"][0]["status"], 204, "{decided}");
    let listed = numbers(&app, &owner, org).await;
    assert_eq!(
        number(&listed, &toll_free)["registrationStatus"],
        "VERIFIED"
    );
    assert_eq!(number(&listed, &toll_free)["deliverable"], true);

    let message = send_and_settle(&app, &texter, org, "+19195557003").await;
    assert_eq!(message["userNumber"], toll_free, "{message}");
    assert_eq!(message["sendStatus"], "DELIVERED", "{message}");
}

#[tokio::test]
async fn a_denied_toll_free_verification_shows_its_reason_and_whether_a_resubmit_is_allowed() {
    let app = spawn_app_with_registration().await;
    let (org, owner) = registered_org(&app).await;
    assert_eq!(buy(&app, &owner, org, "800", 1).await["state"], "SUCCEEDED");
    let toll_free = numbers(&app, &owner, org).await[0]["phoneNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = app
        .graphql(
            Some(&owner),
            SUBMIT_TFV,
            json!({"org": org.to_string(), "input": verification(&toll_free)}),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    let decided = app
        .emulator_post(
            "/_emulator/tollfree/decide",
            json!({"phoneNumber": toll_free, "status": "UNVERIFIED", "declineReasonDescription": "Opt-in image missing", "resubmitAllowed": true}),
        )
        .await;
    assert_eq!(decided["deliveries"][0]["status"], 204, "{decided}");
    let n = number(&numbers(&app, &owner, org).await, &toll_free).clone();
    assert_eq!(n["registrationStatus"], "UNVERIFIED", "{n}");
    assert_eq!(n["registrationDetail"], "Opt-in image missing", "{n}");
    assert_eq!(n["resubmitAllowed"], true, "{n}");
    assert_eq!(n["registrationErrorCode"], "511", "{n}");
    // The refresh job reads the same status back from Bandwidth.
    assert_eq!(refresh(&app, &owner, org).await["state"], "SUCCEEDED");
    assert_eq!(
        number(&numbers(&app, &owner, org).await, &toll_free)["registrationDetail"],
        "Opt-in image missing"
    );
}

#[tokio::test]
async fn a_send_bandwidth_fails_with_4476_marks_the_number_and_the_next_sends_use_another_registered_number()
 {
    let app = spawn_app_with_registration().await;
    let (org, owner) = registered_org(&app).await;
    set_default_campaign(&app, &owner, org, CAMPAIGN).await;
    assert_eq!(buy(&app, &owner, org, "919", 2).await["state"], "SUCCEEDED");
    let texter = app.token(org, Role::Texter).await;

    let first = send_and_settle(&app, &texter, org, "+19195557001").await;
    let lost = first["userNumber"].as_str().unwrap().to_owned();
    // Bandwidth loses the number's campaign without this server knowing.
    app.emulator_post("/_emulator/campaigns/unassign", json!({"number": lost}))
        .await;
    let second = send_and_settle(&app, &texter, org, "+19195557002").await;
    let other = second["userNumber"].as_str().unwrap().to_owned();
    assert_ne!(other, lost);
    let failed = send_and_settle(&app, &texter, org, "+19195557003").await;
    assert_eq!(failed["userNumber"], lost, "{failed}");
    assert_eq!(failed["sendStatus"], "ERROR", "{failed}");
    assert_eq!(failed["errorCode"], 4476, "{failed}");

    let mut marked = Value::Null;
    for _ in 0..100 {
        marked = number(&numbers(&app, &owner, org).await, &lost).clone();
        if marked["registrationStatus"] == "BROKEN" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(marked["registrationStatus"], "BROKEN", "{marked}");
    assert_eq!(marked["registrationErrorCode"], "4476", "{marked}");
    assert_eq!(marked["deliverable"], false, "{marked}");

    for contact in ["+19195557004", "+19195557005"] {
        let message = send_and_settle(&app, &texter, org, contact).await;
        assert_eq!(message["userNumber"], other, "{message}");
        assert_eq!(message["sendStatus"], "DELIVERED", "{message}");
    }
    // Contacts pinned to the broken number (sticky sender) move to the registered one too.
    for contact in ["+19195557001", "+19195557003"] {
        let sent = send(&app, &texter, org, contact, "Again").await;
        assert_eq!(sent["data"]["sendMessage"]["userNumber"], other, "{sent}");
    }

    // The next refresh reads the truth: the number is on no campaign (still not picked).
    assert_eq!(refresh(&app, &owner, org).await["state"], "SUCCEEDED");
    let n = number(&numbers(&app, &owner, org).await, &lost).clone();
    assert_eq!(n["registrationStatus"], "UNREGISTERED", "{n}");
    assert_eq!(n["deliverable"], false, "{n}");
}

#[tokio::test]
async fn a_refresh_without_the_campaign_management_role_says_what_to_ask_bandwidth_for() {
    let app = spawn_app_with_registration().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    assert_eq!(
        provision(&app, &owner, org, json!(null)).await["state"],
        "COMPLETE"
    );
    app.emulator_post(
        "/_emulator/campaigns/refusal",
        json!({"status": 403, "code": 1001, "description": "Unauthorized"}),
    )
    .await;
    let job = refresh(&app, &owner, org).await;
    assert_eq!(job["state"], "FAILED", "{job}");
    let text = job["resultMessage"].as_str().unwrap();
    assert!(
        text.contains("ask Bandwidth to give this API user the Campaign Management role"),
        "{text}"
    );
    app.emulator_post("/_emulator/campaigns/refusal", json!({"status": 400, "code": 12055, "description": "'10DLC' feature is not enabled on account"}))
        .await;
    let job = refresh(&app, &owner, org).await;
    let text = job["resultMessage"].as_str().unwrap();
    assert!(
        text.contains("ask Bandwidth to enable 10DLC") && text.contains("10DLCImportCampaign"),
        "{text}"
    );
}

#[tokio::test]
async fn an_imported_campaign_is_listed_after_the_import_call() {
    let app = spawn_app_with_registration().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    assert_eq!(
        provision(&app, &owner, org, json!(null)).await["state"],
        "COMPLETE"
    );
    let answer = app
        .graphql(
            Some(&owner),
            "mutation($org: ID!) { importTenDlcCampaign(organizationId: $org, campaignId: \"cjeumdk\") { campaignId status imported } }",
            json!({"org": org.to_string()}),
        )
        .await;
    assert_eq!(
        answer["data"]["importTenDlcCampaign"],
        json!({"campaignId": "CJEUMDK", "status": "ACTIVE", "imported": true}),
        "{answer}"
    );
    assert_eq!(refresh(&app, &owner, org).await["state"], "SUCCEEDED");
    let view = organization(&app, &owner, org).await;
    assert_eq!(
        view["tenDlcCampaigns"][0]["campaignId"], "CJEUMDK",
        "{view}"
    );
    let too_long = app
        .graphql(
            Some(&owner),
            "mutation($org: ID!) { importTenDlcCampaign(organizationId: $org, campaignId: \"CA1234567890123\") { campaignId } }",
            json!({"org": org.to_string()}),
        )
        .await;
    assert_eq!(error_code(&too_long), "BAD_USER_INPUT", "{too_long}");
}

#[tokio::test]
async fn provisioning_a_new_location_allows_per_number_a2p_campaigns() {
    let app = spawn_app_with_registration().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    let outcome = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(outcome["state"], "COMPLETE", "{outcome}");
    let sms = outcome["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "sms-settings")
        .unwrap()
        .clone();
    assert!(
        sms["detail"]
            .as_str()
            .unwrap()
            .contains("per-number A2P allowed (A2pLongCode DefaultOff)"),
        "{sms}"
    );
    let posted = requests(&app, "POST", "/features/sms").await;
    assert!(
        posted[0]["body"]
            .as_str()
            .unwrap()
            .contains("<A2pLongCode>DefaultOff</A2pLongCode>"),
        "{posted:?}"
    );
}

#[tokio::test]
async fn registration_inputs_are_checked_against_their_limits_before_any_work() {
    let app = spawn_app_with_registration().await;
    let (org, owner) = registered_org(&app).await;
    let many: Vec<String> = (0..501).map(|i| format!("+1919555{i:04}")).collect();
    let refused = assign(
        &app,
        &owner,
        org,
        Some(many.iter().map(String::as_str).collect()),
        None,
    )
    .await
    .expect_err("refused");
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 500 numbers"),
        "{refused}"
    );
    let refused = assign(&app, &owner, org, Some(vec!["+19195550100"]), Some("919"))
        .await
        .expect_err("refused");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not both"),
        "{refused}"
    );
    let bad_id = app
        .graphql(
            Some(&owner),
            ASSIGN,
            json!({"org": org.to_string(), "campaign": "CA 1;drop", "areaCode": "919"}),
        )
        .await;
    assert_eq!(error_code(&bad_id), "BAD_USER_INPUT", "{bad_id}");

    let mut input = verification("+18005552000");
    input["phoneNumbers"] = json!(
        (0..11)
            .map(|i| format!("+1800555{:04}", 2000 + i))
            .collect::<Vec<_>>()
    );
    input["optInWorkflow"]["imageUrls"] = json!(
        (0..11)
            .map(|i| format!("https://example.org/{i}.png"))
            .collect::<Vec<_>>()
    );
    input["useCaseSummary"] = json!("x".repeat(501));
    input["businessRegistrationType"] = json!("EIN");
    let answer = app
        .graphql(
            Some(&owner),
            SUBMIT_TFV,
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    let text = answer["errors"][0]["message"].as_str().unwrap();
    for part in [
        "1 to 10 toll-free numbers",
        "imageUrls takes at most 10",
        "useCaseSummary is longer than 500",
        "go together",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }

    let oversized = app
        .client
        .post(format!(
            "{}/bandwidth/{org}/tollfree-verification",
            app.address
        ))
        .body(vec![b' '; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
}

#[tokio::test]
async fn a_campaign_a_carrier_rejected_fails_sends_with_4773_and_the_number_is_marked_broken() {
    let app = spawn_app_with_registration().await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    assert_eq!(
        provision(&app, &owner, org, json!(null)).await["state"],
        "COMPLETE"
    );
    app.emulator_post(
        "/_emulator/campaigns",
        json!({"campaignId": CAMPAIGN, "mno": [{"mno": "ATT", "mnoId": "10017", "status": "APPROVED"}, {"mno": "TMO", "mnoId": "10035", "status": "REJECTED"}]}),
    )
    .await;
    assert_eq!(refresh(&app, &owner, org).await["state"], "SUCCEEDED");
    let view = organization(&app, &owner, org).await;
    assert_eq!(
        view["tenDlcCampaigns"][0]["carriers"][1]["status"], "REJECTED",
        "{view}"
    );
    set_default_campaign(&app, &owner, org, CAMPAIGN).await;
    assert_eq!(buy(&app, &owner, org, "919", 1).await["state"], "SUCCEEDED");
    let texter = app.token(org, Role::Texter).await;
    let failed = send_and_settle(&app, &texter, org, "+19195557001").await;
    assert_eq!(failed["sendStatus"], "ERROR", "{failed}");
    assert_eq!(failed["errorCode"], 4773, "{failed}");
    let mut status = Value::Null;
    for _ in 0..100 {
        status = numbers(&app, &owner, org).await[0]["registrationStatus"].clone();
        if status == "BROKEN" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "BROKEN");
    let refused = send(&app, &texter, org, "+19195557002", "Hello").await;
    assert_eq!(error_code(&refused), "NO_REGISTERED_NUMBER", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("(Bandwidth failed a send with 4773"),
        "{refused}"
    );
}

#[tokio::test]
async fn campaigns_approved_at_bandwidth_reach_the_organization_without_anyone_asking() {
    let app = spawn_app_with_registration_and(|settings| {
        settings.registration_refresh_interval_ms = 200;
    })
    .await;
    let (org, owner) = org_with_credentials(&app, json!({"address": address()})).await;
    assert_eq!(
        provision(&app, &owner, org, json!(null)).await["state"],
        "COMPLETE"
    );
    app.emulator_post("/_emulator/campaigns", json!({"campaignId": CAMPAIGN}))
        .await;

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let campaigns = organization(&app, &owner, org).await["tenDlcCampaigns"].clone();
        if campaigns.as_array().is_some_and(|c| !c.is_empty()) {
            assert_eq!(campaigns[0]["campaignId"], CAMPAIGN, "{campaigns}");
            assert_eq!(campaigns[0]["status"], "ACTIVE", "{campaigns}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no periodic refresh read the campaign"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
