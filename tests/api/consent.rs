//! Consent (issue #15), end to end with the emulator: STOP, START and HELP on inbound messages,
//! the organization-wide opt-out list, the replies, the carrier's 4775, and texting hours in the
//! contact's time zone.

use serde_json::{Value, json};
use spoke_bandwidth::services::access::Role;
use spoke_bandwidth::store;

use crate::callbacks::post_events;
use crate::helpers::{TestApp, error_code, spawn_app, spawn_app_with_emulator};
use crate::provisioning::requests;
use crate::sending::{ready, send, thread, wait_for};

const OPT_OUTS: &str = "query($org: String!, $first: Int, $after: ID) { organization(id: $org) { optOuts(first: $first, after: $after) { id cell createdAt source reason messageId createdBy } } }";
const JOBS: &str = "query($org: String!) { organization(id: $org) { jobs(first: 100) { id kind state resultMessage } } }";
const NUMBERS: &str = "query($org: String!) { organization(id: $org) { phoneNumbers(areaCode: \"919\") { phoneNumber } } }";
const ADD: &str = "mutation($org: String!, $cell: String!, $reason: String) { addOptOut(organizationId: $org, cell: $cell, reason: $reason) { id cell source reason createdBy } }";
const REMOVE: &str =
    "mutation($org: String!, $cell: String!) { removeOptOut(organizationId: $org, cell: $cell) }";
const UPDATE: &str = "mutation($org: String!, $input: ConsentSettingsInput!) { updateConsentSettings(organizationId: $org, input: $input) { optOutConfirmation helpMessage helpMessageIsDefault defaultTimeZone optOutExpressions { regex reason } customOptOutExpressions } }";
const SETTINGS: &str = "query($org: String!) { organization(id: $org) { consentSettings { optOutConfirmation optOutMessage helpMessage helpMessageIsDefault defaultTimeZone optOutExpressions { regex reason } customOptOutExpressions } } }";
const HOURS: &str = "mutation($org: String!) { updateTextingHours(organizationId: $org, textingHoursStart: 9, textingHoursEnd: 21) { id } }";
const ENFORCE: &str = "mutation($org: String!) { updateTextingHoursEnforcement(organizationId: $org, textingHoursEnforced: true) { id } }";

/// One of the organization's 919 numbers.
async fn our_number(app: &TestApp, owner: &str, org: i32) -> String {
    let answer = app
        .graphql(Some(owner), NUMBERS, json!({"org": org.to_string()}))
        .await;
    answer["data"]["organization"]["phoneNumbers"][0]["phoneNumber"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

/// The contact texts `text` to our number through the emulator; returns Bandwidth's message id
/// once the message is stored.
async fn text_us(
    app: &TestApp,
    owner: &str,
    org: i32,
    contact: &str,
    ours: &str,
    text: &str,
) -> String {
    let count = |m: &[Value]| {
        m.iter()
            .filter(|m| m["isFromContact"] == true && m["text"] == text)
            .count()
    };
    let before = count(&thread(app, owner, org, contact).await);
    let injected = app
        .emulator_post(
            "/_emulator/inbound",
            json!({"from": contact, "to": ours, "text": text}),
        )
        .await;
    let id = injected["messageId"]
        .as_str()
        .unwrap_or_else(|| panic!("{injected}"))
        .to_owned();
    wait_for(app, owner, org, contact, |m| count(m) > before).await;
    id
}

/// The same `message-received` callback again, posted as Bandwidth would redeliver it.
fn received(id: &str, contact: &str, ours: &str, text: &str) -> Value {
    json!([{
        "type": "message-received", "time": "2026-12-02T10:01:00Z", "description": "Incoming message received", "to": ours,
        "message": {"id": id, "owner": ours, "applicationId": "app", "time": "2026-12-02T10:01:00Z", "segmentCount": 1,
                    "direction": "in", "to": [ours], "from": contact, "text": text}
    }])
}

/// Bodies of the sends the emulator received for `contact`, oldest first.
async fn sends_to(app: &TestApp, contact: &str) -> Vec<Value> {
    requests(app, "POST", "/messages")
        .await
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(r["body"].as_str()?).ok())
        .filter(|b| b["to"] == json!([contact]))
        .collect()
}

/// Waits (bounded) until the emulator received at least `n` sends for `contact`.
async fn wait_for_sends(app: &TestApp, contact: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let sent = sends_to(app, contact).await;
        if sent.len() >= n {
            return sent;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the emulator never got {n} sends for {contact}: {:?}",
        sends_to(app, contact).await
    )
}

/// The organization's consent reply jobs, once none is still queued or running (bounded).
async fn settled_reply_jobs(app: &TestApp, owner: &str, org: i32) -> Vec<Value> {
    for _ in 0..100 {
        let answer = app
            .graphql(Some(owner), JOBS, json!({"org": org.to_string()}))
            .await;
        let jobs: Vec<Value> = answer["data"]["organization"]["jobs"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
            .iter()
            .filter(|j| j["kind"] == "consent_reply")
            .cloned()
            .collect();
        if jobs
            .iter()
            .all(|j| j["state"] == "SUCCEEDED" || j["state"] == "FAILED")
        {
            return jobs;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("consent reply jobs never settled");
}

async fn opt_outs(
    app: &TestApp,
    token: &str,
    org: i32,
    first: i32,
    after: Option<&str>,
) -> Vec<Value> {
    let answer = app
        .graphql(
            Some(token),
            OPT_OUTS,
            json!({"org": org.to_string(), "first": first, "after": after}),
        )
        .await;
    answer["data"]["organization"]["optOuts"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .clone()
}

/// Waits (bounded) until `contact` is opted out (or, with `opted_out` false, is not).
async fn wait_for_opt_out(
    app: &TestApp,
    owner: &str,
    org: i32,
    contact: &str,
    opted_out: bool,
) -> Option<Value> {
    for _ in 0..100 {
        let found = opt_outs(app, owner, org, 100, None)
            .await
            .into_iter()
            .find(|o| o["cell"] == contact);
        if found.is_some() == opted_out {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{contact} never became opted_out={opted_out}");
}

#[tokio::test]
async fn a_contact_who_texts_stop_is_opted_out_org_wide_confirmed_once_from_that_number_and_five_redeliveries_change_nothing()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let texter = app.token(org, Role::Texter).await;
    let ours = our_number(&app, &owner, org).await;
    let contact = "+19195557101";

    let id = text_us(&app, &owner, org, contact, &ours, " Stop ").await;
    let opt_out = wait_for_opt_out(&app, &owner, org, contact, true)
        .await
        .unwrap();
    assert_eq!(
        (opt_out["source"].as_str(), opt_out["reason"].as_str()),
        (Some("KEYWORD"), Some("stop"))
    );
    let confirmation = wait_for_sends(&app, contact, 1).await;
    assert_eq!(
        confirmation[0]["from"],
        ours.as_str(),
        "from the number the contact texted"
    );
    assert_eq!(
        confirmation[0]["text"],
        "I'm opting you out of texts immediately. Have a great day."
    );

    for _ in 0..5 {
        assert_eq!(
            post_events(&app, org, received(&id, contact, &ours, " Stop ")).await,
            200
        );
    }
    let jobs = settled_reply_jobs(&app, &owner, org).await;
    assert_eq!(jobs.len(), 1, "one reply queued: {jobs:?}");
    assert_eq!(jobs[0]["state"], "SUCCEEDED", "{jobs:?}");
    assert_eq!(
        sends_to(&app, contact).await.len(),
        1,
        "exactly one confirmation"
    );
    let listed = opt_outs(&app, &owner, org, 100, None).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], opt_out["id"], "the first opt-out stands");
    let stored = thread(&app, &owner, org, contact).await;
    assert_eq!(
        stored.iter().filter(|m| m["isFromContact"] == true).count(),
        1,
        "{stored:?}"
    );

    // Refused before Bandwidth is called, whichever number would have sent it.
    let posts_before = requests(&app, "POST", "/messages").await.len();
    let refused = send(&app, &texter, org, contact, "One more thing").await;
    assert_eq!(error_code(&refused), "OPTED_OUT", "{refused}");
    let why = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        why.contains("opted out") && why.contains(&opt_out["createdAt"].as_str().unwrap()[..16]),
        "{why}"
    );
    assert!(why.contains("STOP"), "{why}");
    assert_eq!(
        requests(&app, "POST", "/messages").await.len(),
        posts_before
    );

    // A reply job that runs again (a crash after its send) finds its message and sends nothing.
    let inbound_id: i64 = stored
        .iter()
        .find(|m| m["isFromContact"] == true)
        .and_then(|m| m["id"].as_str())
        .and_then(|id| id.parse().ok())
        .unwrap();
    store::consent::insert_reply_job(
        &app.db,
        org,
        store::consent::reply_payload("opt_out", inbound_id),
        chrono::Utc::now().timestamp_millis(),
    )
    .await
    .unwrap();
    // Nothing but the opt-out confirmation goes to an opted-out contact: HELP is not answered.
    text_us(&app, &owner, org, contact, &ours, "HELP").await;
    let jobs = settled_reply_jobs(&app, &owner, org).await;
    assert_eq!(jobs.len(), 2, "no help reply queued: {jobs:?}");
    assert!(
        jobs.iter().any(|j| j["resultMessage"]
            .as_str()
            .unwrap_or("")
            .contains("already sent")),
        "{jobs:?}"
    );
    assert_eq!(
        sends_to(&app, contact).await.len(),
        1,
        "still one confirmation"
    );
}

#[tokio::test]
async fn start_re_opts_in_with_one_confirmation_and_help_gets_the_help_text_once() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let ours = our_number(&app, &owner, org).await;
    let contact = "+19195557102";

    text_us(&app, &owner, org, contact, &ours, "STOP").await;
    wait_for_opt_out(&app, &owner, org, contact, true).await;
    wait_for_sends(&app, contact, 1).await;

    let start = text_us(&app, &owner, org, contact, &ours, "START").await;
    wait_for_opt_out(&app, &owner, org, contact, false).await;
    let sent = wait_for_sends(&app, contact, 2).await;
    assert!(
        sent[1]["text"].as_str().unwrap().contains("opted back in"),
        "{sent:?}"
    );
    assert_eq!(sent[1]["from"], ours.as_str());
    for _ in 0..2 {
        assert_eq!(
            post_events(&app, org, received(&start, contact, &ours, "START")).await,
            200
        );
    }

    let help = text_us(&app, &owner, org, contact, &ours, "help").await;
    let sent = wait_for_sends(&app, contact, 3).await;
    let text = sent[2]["text"].as_str().unwrap();
    assert!(
        text.contains("Vote Now") && text.contains("STOP"),
        "names the organization and how to stop: {text}"
    );
    assert_eq!(
        post_events(&app, org, received(&help, contact, &ours, "help")).await,
        200
    );

    let jobs = settled_reply_jobs(&app, &owner, org).await;
    assert_eq!(jobs.len(), 3, "stop, start, help: one each {jobs:?}");
    assert!(jobs.iter().all(|j| j["state"] == "SUCCEEDED"), "{jobs:?}");
    assert_eq!(sends_to(&app, contact).await.len(), 3);

    // A START from a contact who is not opted out is only a reply.
    text_us(&app, &owner, org, contact, &ours, "Yes").await;
    assert_eq!(settled_reply_jobs(&app, &owner, org).await.len(), 3);
}

#[tokio::test]
async fn please_remove_me_opts_out_while_stopwatch_and_dont_stop_do_not() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let ours = our_number(&app, &owner, org).await;

    text_us(&app, &owner, org, "+19195557103", &ours, "stopwatch").await;
    text_us(&app, &owner, org, "+19195557104", &ours, "don't stop").await;
    text_us(&app, &owner, org, "+19195557105", &ours, "Please remove me").await;

    let listed = opt_outs(&app, &owner, org, 100, None).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["cell"], "+19195557105");
    assert_eq!(
        (listed[0]["source"].as_str(), listed[0]["reason"].as_str()),
        (Some("EXPRESSION"), Some("stop"))
    );
    let jobs = settled_reply_jobs(&app, &owner, org).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(wait_for_sends(&app, "+19195557105", 1).await.len(), 1);
    assert!(sends_to(&app, "+19195557103").await.is_empty());
    assert!(sends_to(&app, "+19195557104").await.is_empty());
}

#[tokio::test]
async fn a_4775_failure_from_the_carrier_opts_the_contact_out_without_a_reply() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let contact = "+19195557106";
    let marked = app
        .emulator_post("/_emulator/carrier-opt-outs", json!({"number": contact}))
        .await;
    assert_eq!(marked["number"], contact);

    let sent = send(&app, &owner, org, contact, "Hello there").await;
    let message_id = sent["data"]["sendMessage"]["id"].clone();
    assert!(message_id.is_string(), "{sent}");
    let messages = wait_for(&app, &owner, org, contact, |m| {
        m[0]["sendStatus"] == "ERROR"
    })
    .await;
    assert_eq!(messages[0]["errorCode"], 4775);

    let opt_out = wait_for_opt_out(&app, &owner, org, contact, true)
        .await
        .unwrap();
    assert_eq!(opt_out["source"], "CARRIER");
    assert_eq!(opt_out["messageId"], message_id);
    let refused = send(&app, &owner, org, contact, "Again").await;
    assert_eq!(error_code(&refused), "OPTED_OUT", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("carrier"),
        "{refused}"
    );
    assert_eq!(
        sends_to(&app, contact).await.len(),
        1,
        "no confirmation to a carrier opt-out"
    );
}

#[tokio::test]
async fn with_hours_9_to_21_enforced_at_2230_in_new_york_a_212_contact_is_refused_and_a_415_contact_gets_its_message()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let vars = json!({"org": org.to_string()});
    for mutation in [HOURS, ENFORCE] {
        let answer = app.graphql(Some(&owner), mutation, vars.clone()).await;
        assert!(answer["errors"].is_null(), "{answer}");
    }
    let at = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    // 22:30 EST in New York, 19:30 PST in Los Angeles.
    app.clock.set(at("2027-01-14T03:30:00Z"));

    let refused = send(&app, &owner, org, "+12125557201", "Too late").await;
    assert_eq!(error_code(&refused), "OUTSIDE_TEXTING_HOURS", "{refused}");
    let why = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        why.contains("22:30") && why.contains("America/New_York"),
        "{why}"
    );

    let sent = send(&app, &owner, org, "+14155557202", "Still evening here").await;
    assert!(sent["errors"].is_null(), "{sent}");
    let body = &sends_to(&app, "+14155557202").await[0];
    let expiration = at(body["expiration"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}")));
    assert_eq!(
        expiration,
        at("2027-01-14T05:00:00Z"),
        "sendBefore capped at 21:00 Pacific"
    );

    // 2082 spans Boise (Mountain) and Los Angeles (Pacific): both must be inside the hours.
    let two_zones = "+12082997203";
    for (now, outside) in [
        ("2027-01-14T04:30:00Z", "America/Boise"),
        ("2027-01-14T16:30:00Z", "America/Los_Angeles"),
    ] {
        app.clock.set(at(now));
        let refused = send(&app, &owner, org, two_zones, "Hello Idaho").await;
        assert_eq!(
            error_code(&refused),
            "OUTSIDE_TEXTING_HOURS",
            "{now}: {refused}"
        );
        let why = refused["errors"][0]["message"].as_str().unwrap();
        assert!(
            why.contains(outside) && why.contains("spans"),
            "{now}: {why}"
        );
    }
    app.clock.set(at("2027-01-14T20:00:00Z"));
    let sent = send(&app, &owner, org, two_zones, "Hello Idaho").await;
    assert!(
        sent["errors"].is_null(),
        "13:00 in Boise, 12:00 in Los Angeles: {sent}"
    );

    // A reply to a keyword answers the contact whatever the hour.
    app.clock.set(at("2027-01-14T03:30:00Z"));
    let ours = our_number(&app, &owner, org).await;
    text_us(&app, &owner, org, "+12125557204", &ours, "HELP").await;
    assert_eq!(wait_for_sends(&app, "+12125557204", 1).await.len(), 1);
}

#[tokio::test]
async fn a_number_without_a_zone_uses_the_organizations_default_zone_and_else_spokes_fallback_window()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let vars = json!({"org": org.to_string()});
    for mutation in [HOURS, ENFORCE] {
        assert!(app.graphql(Some(&owner), mutation, vars.clone()).await["errors"].is_null());
    }
    let at = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    // 11:30 in New York, 8:30 in Los Angeles: outside Spoke's fallback window (12:00–21:00 Eastern).
    app.clock.set(at("2027-01-14T16:30:00Z"));
    let refused = send(&app, &owner, org, "+442071234567", "Hello London").await;
    assert_eq!(error_code(&refused), "OUTSIDE_TEXTING_HOURS", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("fallback"),
        "{refused}"
    );

    let updated = app
        .graphql(
            Some(&owner),
            UPDATE,
            json!({"org": org.to_string(), "input": {"defaultTimeZone": "Europe/London"}}),
        )
        .await;
    assert_eq!(
        updated["data"]["updateConsentSettings"]["defaultTimeZone"], "Europe/London",
        "{updated}"
    );
    // 16:30 in London: inside.
    let sent = send(&app, &owner, org, "+442071234567", "Hello London").await;
    assert_ne!(
        sent["errors"][0]["extensions"]["code"], "OUTSIDE_TEXTING_HOURS",
        "{sent}"
    );
    // 03:30 in London: outside, and said so in London's time.
    app.clock.set(at("2027-01-14T03:30:00Z"));
    let refused = send(&app, &owner, org, "+442071234568", "Hello London").await;
    let why = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        why.contains("03:30") && why.contains("Europe/London"),
        "{refused}"
    );
}

#[tokio::test]
async fn an_owner_adds_and_removes_opt_outs_by_hand_and_pages_through_the_list() {
    let app = spawn_app().await;
    let org = app.create_org("Manual").await;
    let owner = app.token(org, Role::Owner).await;
    let admin = app.token(org, Role::Admin).await;
    for (cell, reason) in [
        ("(919) 555-7301", "asked on the phone"),
        ("+19195557302", ""),
        ("9195557303", "letter"),
    ] {
        let added = app
            .graphql(
                Some(&owner),
                ADD,
                json!({"org": org.to_string(), "cell": cell, "reason": reason}),
            )
            .await;
        assert_eq!(added["data"]["addOptOut"]["source"], "MANUAL", "{added}");
        assert!(
            added["data"]["addOptOut"]["createdBy"].is_string(),
            "{added}"
        );
    }
    let first = opt_outs(&app, &admin, org, 2, None).await;
    let cells: Vec<&str> = first.iter().map(|o| o["cell"].as_str().unwrap()).collect();
    assert_eq!(cells, ["+19195557303", "+19195557302"], "newest first");
    assert_eq!(first[1]["reason"], "manual", "no note reads as manual");
    let rest = opt_outs(&app, &admin, org, 2, first[1]["id"].as_str()).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["reason"], "asked on the phone");

    let refused = send(&app, &owner, org, "+19195557301", "Hi").await;
    assert_eq!(error_code(&refused), "OPTED_OUT", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("asked on the phone")
    );

    let removed = app
        .graphql(
            Some(&owner),
            REMOVE,
            json!({"org": org.to_string(), "cell": "+19195557301"}),
        )
        .await;
    assert_eq!(removed["data"]["removeOptOut"], true, "{removed}");
    let again = app
        .graphql(
            Some(&owner),
            REMOVE,
            json!({"org": org.to_string(), "cell": "+19195557301"}),
        )
        .await;
    assert_eq!(again["data"]["removeOptOut"], false, "{again}");
    let not_refused = send(&app, &owner, org, "+19195557301", "Hi").await;
    assert_ne!(error_code(&not_refused), "OPTED_OUT", "{not_refused}");

    for (vars, what) in [
        (
            json!({"org": org.to_string(), "cell": "not a number"}),
            "phone number",
        ),
        (
            json!({"org": org.to_string(), "cell": "+19195557304", "reason": "x".repeat(101)}),
            "reason",
        ),
    ] {
        let answer = app.graphql(Some(&owner), ADD, vars).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(what),
            "{answer}"
        );
    }
    let answer = app
        .graphql(
            Some(&admin),
            OPT_OUTS,
            json!({"org": org.to_string(), "first": 101}),
        )
        .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
}

#[tokio::test]
async fn consent_settings_are_checked_and_an_organizations_own_expressions_and_confirmation_setting_apply()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = ready(&app).await;
    let update = |input: Value| {
        let app = &app;
        let owner = owner.clone();
        async move {
            app.graphql(
                Some(&owner),
                UPDATE,
                json!({"org": org.to_string(), "input": input}),
            )
            .await
        }
    };
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"regex": format!("x{i}"), "reason": "r"}))
        .collect();
    for (input, what) in [
        (
            json!({"optOutExpressions": [{"regex": "(unclosed", "reason": "r"}]}),
            "not a valid regular expression",
        ),
        (json!({"optOutExpressions": many}), "at most 20"),
        (json!({"defaultTimeZone": "Mars/Olympus"}), "IANA"),
        (json!({"helpMessage": "x".repeat(2049)}), "2048"),
    ] {
        let answer = update(input.clone()).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{input}: {answer}");
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(what),
            "{answer}"
        );
    }
    let edit = "mutation($org: String!, $f: String!) { editOrganization(id: $org, organization: {settings: {featuresJSON: $f}}) { id } }";
    let answer = app
        .graphql(Some(&owner), edit, json!({"org": org.to_string(), "f": "{\"optOutExpressions\": [{\"regex\": \"(\", \"reason\": \"r\"}]}"}))
        .await;
    assert_eq!(
        error_code(&answer),
        "BAD_USER_INPUT",
        "featuresJSON is checked too: {answer}"
    );

    let answer = update(json!({
        "optOutConfirmation": false,
        "helpMessage": "Vote Now help: call 555-0100. Reply STOP to stop.",
        "optOutExpressions": [{"regex": "\\bnot interested\\b", "reason": "not-interested"}]
    }))
    .await;
    let saved = &answer["data"]["updateConsentSettings"];
    assert_eq!(saved["optOutConfirmation"], false, "{answer}");
    assert_eq!(saved["customOptOutExpressions"], true);
    assert_eq!(saved["helpMessageIsDefault"], false);
    let read = app
        .graphql(Some(&owner), SETTINGS, json!({"org": org.to_string()}))
        .await;
    assert_eq!(
        read["data"]["organization"]["consentSettings"]["optOutExpressions"][0]["reason"],
        "not-interested",
        "{read}"
    );

    let ours = our_number(&app, &owner, org).await;
    text_us(
        &app,
        &owner,
        org,
        "+19195557401",
        &ours,
        "Not interested, thanks",
    )
    .await;
    text_us(&app, &owner, org, "+19195557402", &ours, "Please remove me").await;
    text_us(&app, &owner, org, "+19195557403", &ours, "INFO").await;
    let listed = opt_outs(&app, &owner, org, 100, None).await;
    assert_eq!(
        listed.len(),
        1,
        "Spoke's default list was replaced: {listed:?}"
    );
    assert_eq!(listed[0]["reason"], "not-interested");
    let help = wait_for_sends(&app, "+19195557403", 1).await;
    assert_eq!(
        help[0]["text"],
        "Vote Now help: call 555-0100. Reply STOP to stop."
    );
    let jobs = settled_reply_jobs(&app, &owner, org).await;
    assert_eq!(
        jobs.len(),
        1,
        "the opt-out is not confirmed when turned off: {jobs:?}"
    );
    assert!(sends_to(&app, "+19195557401").await.is_empty());
}
