//! Number health end to end with the emulator (issue #17): failures reported by Bandwidth's
//! callbacks quarantine, retire or leave numbers alone, flag texts, and move sticky contacts;
//! the test clock moves cool-downs along; a full queue makes a send wait.

use std::collections::HashSet;

use serde_json::{Value, json};
use spoke_bandwidth::services::access::Role;

use crate::helpers::{TestApp, error_code, spawn_app_with_emulator};
use crate::numbers::{SYNC, disconnect_on_bandwidth, run_job};
use crate::provisioning::{address, buy, org_with_credentials, provision};
use crate::sending::{send, wait_for};

const NUMBERS: &str = "query($org: String!) { organization(id: $org) { phoneNumbers { phoneNumber areaCode status health { state since reason pausedUntil quarantines releaseSuggested recentCounts { code count } events { from to cause codes { code count } detail userId } } } } }";
const HISTORY: &str = "query($org: String!, $contact: String!) { organization(id: $org) { senderHistory(contactNumber: $contact) { fromNumber toNumber reason } } }";
const FLAGGED: &str = "query($org: String!) { organization(id: $org) { flaggedTexts { id text failures numbers codes { code count } } } }";

/// An organization provisioned on the emulator with numbers bought in the given area codes.
async fn org_with_numbers(app: &TestApp, numbers: &[(&str, i32)]) -> (i32, String) {
    let (org, owner) = org_with_credentials(app, json!({"address": address()})).await;
    assert_eq!(
        provision(app, &owner, org, json!(null)).await["state"],
        "COMPLETE"
    );
    for (area_code, count) in numbers {
        assert_eq!(
            buy(app, &owner, org, area_code, *count).await["state"],
            "SUCCEEDED"
        );
    }
    (org, owner)
}

/// Every number of the organization with its health, by E.164 number.
async fn numbers(app: &TestApp, owner: &str, org: i32) -> Vec<Value> {
    let answer = app
        .graphql(Some(owner), NUMBERS, json!({"org": org.to_string()}))
        .await;
    answer["data"]["organization"]["phoneNumbers"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .clone()
}

async fn number(app: &TestApp, owner: &str, org: i32, phone: &str) -> Value {
    numbers(app, owner, org)
        .await
        .into_iter()
        .find(|n| n["phoneNumber"] == phone)
        .unwrap_or_else(|| panic!("{phone} is not listed"))
}

/// Polls a number until its health state is `state` (bounded: 15 s).
async fn wait_for_state(app: &TestApp, owner: &str, org: i32, phone: &str, state: &str) -> Value {
    for _ in 0..150 {
        let n = number(app, owner, org, phone).await;
        if n["health"]["state"] == state {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "{phone} never became {state}: {}",
        number(app, owner, org, phone).await
    )
}

/// Waits until every failed send has been accounted (the failure outbox is empty).
async fn wait_for_outbox(app: &TestApp) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    use spoke_bandwidth::store::entities::send_failure;
    for _ in 0..150 {
        if send_failure::Entity::find().count(&app.db).await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the failure outbox never drained");
}

/// Sends one message and returns the number it went from.
async fn send_from(app: &TestApp, token: &str, org: i32, contact: &str, text: &str) -> String {
    let sent = send(app, token, org, contact, text).await;
    sent["data"]["sendMessage"]["userNumber"]
        .as_str()
        .unwrap_or_else(|| panic!("{sent}"))
        .to_owned()
}

/// Waits until the last message to `contact` has ended in `status`.
async fn wait_for_last(app: &TestApp, owner: &str, org: i32, contact: &str, status: &str) {
    wait_for(app, owner, org, contact, |m| {
        m.last().is_some_and(|m| m["sendStatus"] == status)
    })
    .await;
}

#[tokio::test]
async fn a_number_failing_with_4470_past_the_threshold_is_quarantined_skipped_and_back_through_probation_after_the_cool_down_while_its_contacts_moved_within_its_area_code()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_numbers(&app, &[("919", 3), ("212", 1)]).await;
    let texter = app.token(org, Role::Texter).await;

    // A contact that number A serves well.
    let faithful = "+19195557001";
    let a = send_from(&app, &texter, org, faithful, "Hello there").await;
    assert!(a.starts_with("+1919"), "{a}");
    wait_for_last(&app, &owner, org, faithful, "DELIVERED").await;

    // A's next three messages fail with 4470 rejected-spam-detected (the default threshold).
    let fault = app
        .emulator_post(
            "/_emulator/faults",
            json!({"errorCode": 4470, "from": a, "times": 3}),
        )
        .await;
    assert_eq!(fault["remaining"], 3, "{fault}");
    let mut failed_from_a = 0;
    for i in 0..15 {
        let contact = format!("+1919555{:04}", 7100 + i);
        let from = send_from(&app, &texter, org, &contact, &format!("Canvass update {i}")).await;
        if from == a {
            failed_from_a += 1;
            wait_for_last(&app, &owner, org, &contact, "ERROR").await;
        }
        if failed_from_a == 3 {
            break;
        }
    }
    assert_eq!(failed_from_a, 3, "A took every third message");

    let quarantined = wait_for_state(&app, &owner, org, &a, "QUARANTINED").await;
    assert_eq!(quarantined["status"], "quarantined");
    let health = &quarantined["health"];
    assert_eq!(health["recentCounts"], json!([{"code": 4470, "count": 3}]));
    assert!(
        health["reason"].as_str().unwrap().contains("4470×3"),
        "{health}"
    );
    assert_eq!(health["events"][0]["cause"], "strikes");
    assert_eq!(health["events"][0]["from"], "HEALTHY");
    assert_eq!(
        health["events"][0]["codes"],
        json!([{"code": 4470, "count": 3}])
    );

    // Its sticky contact moved to another number of the same area code, recorded.
    let history = app
        .graphql(
            Some(&owner),
            HISTORY,
            json!({"org": org.to_string(), "contact": faithful}),
        )
        .await;
    let change = &history["data"]["organization"]["senderHistory"][0];
    assert_eq!(change["fromNumber"], a.as_str(), "{history}");
    assert_eq!(change["reason"], "quarantined");
    let sibling = change["toNumber"].as_str().unwrap().to_owned();
    assert!(sibling.starts_with("+1919") && sibling != a, "{history}");
    assert_eq!(
        send_from(&app, &texter, org, faithful, "Still there?").await,
        sibling,
        "the contact's next message comes from the sibling"
    );

    // Never picked while quarantined.
    for i in 0..6 {
        let contact = format!("+1919555{:04}", 7200 + i);
        let from = send_from(&app, &texter, org, &contact, "While A rests").await;
        assert_ne!(from, a, "a quarantined number was picked");
    }

    // After the cool-down (240 min by default, on the test clock): probation, picked again.
    app.clock.advance(chrono::Duration::minutes(241));
    let probation = wait_for_state(&app, &owner, org, &a, "PROBATION").await;
    assert_eq!(probation["status"], "active");
    assert_eq!(probation["health"]["events"][0]["cause"], "cooldown_over");
    let mut from_a = 0;
    for i in 0..30 {
        let contact = format!("+1919555{:04}", 7300 + i);
        if send_from(&app, &texter, org, &contact, "Welcome back").await == a {
            from_a += 1;
            wait_for_last(&app, &owner, org, &contact, "DELIVERED").await;
        }
        if from_a == 5 {
            break;
        }
    }
    assert_eq!(from_a, 5, "a number in probation is picked");
    let healthy = wait_for_state(&app, &owner, org, &a, "HEALTHY").await;
    let causes: Vec<&str> = healthy["health"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cause"].as_str().unwrap())
        .collect();
    assert_eq!(causes, ["probation_passed", "cooldown_over", "strikes"]);
    assert_eq!(healthy["health"]["quarantines"], 1);

    // No contacts come back to a recovered number.
    assert_eq!(
        send_from(&app, &texter, org, faithful, "And again").await,
        sibling
    );
}

#[tokio::test]
async fn one_4481_retires_a_number_at_once_and_4720_failures_on_many_contacts_leave_numbers_healthy()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_numbers(&app, &[("919", 2)]).await;
    let texter = app.token(org, Role::Texter).await;

    // Eight different invalid destinations (the emulator fails numbers ending in 4720).
    let mut used = HashSet::new();
    for i in 0..8 {
        let contact = format!("+1919{}4720", 200 + i);
        used.insert(send_from(&app, &texter, org, &contact, "Hello").await);
        wait_for_last(&app, &owner, org, &contact, "ERROR").await;
    }
    assert_eq!(used.len(), 2, "both numbers sent to invalid destinations");
    wait_for_outbox(&app).await;
    for n in numbers(&app, &owner, org).await {
        assert_eq!(n["health"]["state"], "HEALTHY", "{n}");
        assert_eq!(n["health"]["recentCounts"], json!([]), "{n}");
        assert_eq!(n["health"]["events"], json!([]), "{n}");
    }

    // A 4785 volumetric violation pauses the number; it stays healthy.
    let all = numbers(&app, &owner, org).await;
    let (a, b) = (
        all[0]["phoneNumber"].as_str().unwrap().to_owned(),
        all[1]["phoneNumber"].as_str().unwrap().to_owned(),
    );
    app.emulator_post(
        "/_emulator/faults",
        json!({"errorCode": 4785, "from": b, "times": 1}),
    )
    .await;
    for i in 0..2 {
        let contact = format!("+1919555{:04}", 7400 + i);
        send_from(&app, &texter, org, &contact, "Volume").await;
    }
    wait_for_outbox(&app).await;
    let paused = loop {
        let n = number(&app, &owner, org, &b).await;
        if !n["health"]["pausedUntil"].is_null() {
            break n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(paused["health"]["state"], "HEALTHY");
    assert_eq!(paused["health"]["events"][0]["cause"], "volume_pause");
    for i in 0..3 {
        let contact = format!("+1919555{:04}", 7500 + i);
        assert_eq!(send_from(&app, &texter, org, &contact, "Paused").await, a);
    }

    // One 4481 (from-number in blacklist) retires A at once.
    app.emulator_post(
        "/_emulator/faults",
        json!({"errorCode": 4481, "from": a, "times": 1}),
    )
    .await;
    let contact = "+19195557600";
    assert_eq!(send_from(&app, &texter, org, contact, "Hi").await, a);
    let retired = wait_for_state(&app, &owner, org, &a, "RETIRED").await;
    assert_eq!(retired["status"], "retired");
    assert_eq!(retired["health"]["releaseSuggested"], true);
    assert_eq!(retired["health"]["events"][0]["cause"], "blacklisted");
    assert!(
        retired["health"]["reason"]
            .as_str()
            .unwrap()
            .contains("4481")
    );

    // The per-state gauges are exported.
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("phone_numbers_health{state=\"retired\"}"),
        "{metrics}"
    );

    // An owner puts it back into rotation; recorded as manual.
    let restore = "mutation($org: String!, $n: String!) { restorePhoneNumber(organizationId: $org, phoneNumber: $n) { phoneNumber status health { state events { cause userId } } } }";
    let vars = json!({"org": org.to_string(), "n": a});
    let admin = app.token(org, Role::Admin).await;
    assert_eq!(
        error_code(&app.graphql(Some(&admin), restore, vars.clone()).await),
        "FORBIDDEN"
    );
    let restored = app.graphql(Some(&owner), restore, vars).await;
    let restored = &restored["data"]["restorePhoneNumber"];
    assert_eq!(restored["status"], "active", "{restored}");
    assert_eq!(restored["health"]["state"], "HEALTHY");
    assert_eq!(restored["health"]["events"][0]["cause"], "manual");
    assert!(restored["health"]["events"][0]["userId"].is_string());
}

#[tokio::test]
async fn a_text_failing_with_4770_on_three_numbers_is_flagged_refused_with_content_flagged_and_quarantines_none_until_an_owner_clears_it()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_numbers(&app, &[("919", 3)]).await;
    let texter = app.token(org, Role::Texter).await;

    // Any number sending this script fails with 4770 destination-spam-detected.
    app.emulator_post(
        "/_emulator/faults",
        json!({"errorCode": 4770, "textMatches": "(?i)limited time offer", "times": 3}),
    )
    .await;
    let mut from = HashSet::new();
    for i in 0..3 {
        let contact = format!("+1919555{:04}", 7700 + i);
        from.insert(
            send_from(
                &app,
                &texter,
                org,
                &contact,
                &format!("LIMITED time offer: {i}0% off!"),
            )
            .await,
        );
        wait_for_last(&app, &owner, org, &contact, "ERROR").await;
    }
    assert_eq!(from.len(), 3, "three different numbers sent it");

    let vars = json!({"org": org.to_string()});
    let flagged = loop {
        let answer = app.graphql(Some(&owner), FLAGGED, vars.clone()).await;
        let list = answer["data"]["organization"]["flaggedTexts"].clone();
        if list.as_array().is_some_and(|l| !l.is_empty()) {
            break list;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(flagged[0]["numbers"], 3, "{flagged}");
    assert_eq!(flagged[0]["failures"], 3);
    assert_eq!(flagged[0]["codes"], json!([{"code": 4770, "count": 3}]));

    // The same text (normalised) is refused before anything is stored or posted.
    let refused = send(
        &app,
        &texter,
        org,
        "+19195557800",
        "limited  time offer: 50% OFF",
    )
    .await;
    assert_eq!(error_code(&refused), "CONTENT_FLAGGED", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("clearFlaggedText")
    );
    assert_eq!(
        crate::sending::thread(&app, &owner, org, "+19195557800")
            .await
            .len(),
        0,
        "nothing was stored"
    );
    wait_for_outbox(&app).await;
    for n in numbers(&app, &owner, org).await {
        assert_eq!(n["health"]["state"], "HEALTHY", "{n}");
        assert_eq!(n["status"], "active");
    }

    // Cleared by an owner, it goes out again.
    let clear =
        "mutation($org: String!, $id: String!) { clearFlaggedText(organizationId: $org, id: $id) }";
    let cleared = app
        .graphql(
            Some(&owner),
            clear,
            json!({"org": org.to_string(), "id": flagged[0]["id"]}),
        )
        .await;
    assert_eq!(cleared["data"]["clearFlaggedText"], true, "{cleared}");
    let again = send(
        &app,
        &texter,
        org,
        "+19195557800",
        "limited  time offer: 50% OFF",
    )
    .await;
    assert!(again["errors"].is_null(), "{again}");
    let answer = app.graphql(Some(&owner), FLAGGED, vars).await;
    assert_eq!(answer["data"]["organization"]["flaggedTexts"], json!([]));
}

#[tokio::test]
async fn a_full_bandwidth_queue_delays_a_send_which_then_goes_out() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_numbers(&app, &[("919", 2)]).await;
    let texter = app.token(org, Role::Texter).await;
    // The account queue holds one segment and drains one per second.
    app.emulator_post(
        "/_emulator/faults",
        json!({"queueCapacity": 1, "ratePerSecond": 1}),
    )
    .await;
    let first = send(&app, &texter, org, "+19195557901", "First").await;
    assert!(first["errors"].is_null(), "{first}");
    let second = send(&app, &texter, org, "+19195557902", "Second").await;
    let message = &second["data"]["sendMessage"];
    assert!(
        ["SENT", "DELIVERED"].contains(&message["sendStatus"].as_str().unwrap_or("")),
        "{second}"
    );
    wait_for_last(&app, &owner, org, "+19195557902", "DELIVERED").await;
    let posts: Vec<u64> = app
        .emulator_get("/_emulator/requests")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/messages"))
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(posts.first(), Some(&202), "{posts:?}");
    assert_eq!(posts.last(), Some(&202), "{posts:?}");
    assert!(
        posts.contains(&429),
        "the queue was full at first: {posts:?}"
    );
}

#[tokio::test]
async fn the_stored_message_shows_its_segment_count_before_bandwidth_answers() {
    let app = spawn_app_with_emulator().await;
    let (org, _owner) = org_with_numbers(&app, &[("919", 1)]).await;
    let texter = app.token(org, Role::Texter).await;
    // Bandwidth refuses the post, so only our own count can be on the message.
    app.emulator_post(
        "/_emulator/faults",
        json!({"method": "POST", "path": "/messages", "status": 400}),
    )
    .await;
    let input = json!({"contactNumber": "+19195557950", "text": "€".repeat(81)});
    let sent = app
        .graphql(
            Some(&texter),
            "mutation($org: String!, $input: SendMessageInput!) { sendMessage(organizationId: $org, input: $input) { sendStatus segmentCount } }",
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    assert_eq!(sent["data"]["sendMessage"]["sendStatus"], "ERROR", "{sent}");
    assert_eq!(
        sent["data"]["sendMessage"]["segmentCount"], 2,
        "81 euro signs are 162 septets: {sent}"
    );
}

#[tokio::test]
async fn number_health_settings_have_defaults_and_out_of_bounds_values_are_refused_naming_them() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_credentials(&app, json!({})).await;
    let read = "query($org: String!) { organization(id: $org) { numberHealthSettings { quarantineStrikes cooldownMinutes probationDeliveries contentFlagNumbers } } }";
    let vars = json!({"org": org.to_string()});
    let answer = app.graphql(Some(&owner), read, vars.clone()).await;
    assert_eq!(
        answer["data"]["organization"]["numberHealthSettings"],
        json!({"quarantineStrikes": 3, "cooldownMinutes": 240, "probationDeliveries": 5, "contentFlagNumbers": 3})
    );
    let update = "mutation($org: String!, $input: NumberHealthSettingsInput!) { updateNumberHealthSettings(organizationId: $org, input: $input) { quarantineStrikes cooldownMinutes } }";
    let bad = app
        .graphql(
            Some(&owner),
            update,
            json!({"org": org.to_string(), "input": {"cooldownMinutes": 0}}),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert!(
        bad["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cooldownMinutes must be a whole number from 1 to 43200"),
        "{bad}"
    );
    let good = app
        .graphql(
            Some(&owner),
            update,
            json!({"org": org.to_string(), "input": {"cooldownMinutes": 30, "quarantineStrikes": 5}}),
        )
        .await;
    assert_eq!(
        good["data"]["updateNumberHealthSettings"],
        json!({"quarantineStrikes": 5, "cooldownMinutes": 30}),
        "{good}"
    );
    let answer = app.graphql(Some(&owner), read, vars).await;
    assert_eq!(
        answer["data"]["organization"]["numberHealthSettings"]["cooldownMinutes"],
        30
    );
}

#[tokio::test]
async fn a_number_that_relapses_in_probation_is_quarantined_again_and_retired_once_past_its_allowed_quarantines()
 {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_numbers(&app, &[("919", 2)]).await;
    let texter = app.token(org, Role::Texter).await;
    let update = "mutation($org: String!, $input: NumberHealthSettingsInput!) { updateNumberHealthSettings(organizationId: $org, input: $input) { quarantineStrikes } }";
    let set = app
        .graphql(
            Some(&owner),
            update,
            json!({"org": org.to_string(), "input": {"quarantineStrikes": 1, "retireAfterQuarantines": 2, "cooldownMinutes": 10}}),
        )
        .await;
    assert!(set["errors"].is_null(), "{set}");
    let a = numbers(&app, &owner, org).await[0]["phoneNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    app.emulator_post(
        "/_emulator/faults",
        json!({"errorCode": 4770, "from": a, "times": 3}),
    )
    .await;
    let mut i = 0;
    let mut send_until_a_fails = async |app: &TestApp| {
        loop {
            i += 1;
            let contact = format!("+1919555{:04}", 8000 + i);
            if send_from(app, &texter, org, &contact, &format!("Script {i}")).await == a {
                wait_for_last(app, &owner, org, &contact, "ERROR").await;
                return;
            }
            assert!(i < 20, "A was never picked");
        }
    };
    send_until_a_fails(&app).await;
    wait_for_state(&app, &owner, org, &a, "QUARANTINED").await;
    app.clock.advance(chrono::Duration::minutes(11));
    wait_for_state(&app, &owner, org, &a, "PROBATION").await;
    // One failure in probation is a relapse: quarantined again.
    send_until_a_fails(&app).await;
    let again = wait_for_state(&app, &owner, org, &a, "QUARANTINED").await;
    assert_eq!(again["health"]["events"][0]["cause"], "relapse");
    assert_eq!(again["health"]["quarantines"], 2);
    app.clock.advance(chrono::Duration::minutes(11));
    wait_for_state(&app, &owner, org, &a, "PROBATION").await;
    // After two quarantines, the next relapse retires it.
    send_until_a_fails(&app).await;
    let retired = wait_for_state(&app, &owner, org, &a, "RETIRED").await;
    assert_eq!(retired["health"]["events"][0]["cause"], "relapses");
    assert_eq!(retired["health"]["events"][0]["from"], "PROBATION");
}

#[tokio::test]
async fn an_att_volume_violation_pauses_the_campaign_instead_of_marking_the_number_sick() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_numbers(&app, &[("919", 1)]).await;
    let texter = app.token(org, Role::Texter).await;
    let a = numbers(&app, &owner, org).await[0]["phoneNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    app.emulator_post(
        "/_emulator/faults",
        json!({"errorCode": 4781, "from": a, "times": 1}),
    )
    .await;
    // `send` tags campaign 12.
    send(&app, &texter, org, "+19195558101", "Turnout").await;
    wait_for_last(&app, &owner, org, "+19195558101", "ERROR").await;
    let refused = loop {
        let answer = send(&app, &texter, org, "+19195558102", "Turnout again").await;
        if !answer["errors"].is_null() {
            break answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(error_code(&refused), "SENDING_PAUSED", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("campaign 12")
    );
    let n = number(&app, &owner, org, &a).await;
    assert_eq!(n["health"]["state"], "HEALTHY");
    // Another campaign still sends; after the pause (60 min by default) campaign 12 does too.
    let other = app
        .graphql(
            Some(&texter),
            "mutation($org: String!, $input: SendMessageInput!) { sendMessage(organizationId: $org, input: $input) { sendStatus } }",
            json!({"org": org.to_string(), "input": {"contactNumber": "+19195558103", "text": "Other", "campaignId": "13"}}),
        )
        .await;
    assert!(other["errors"].is_null(), "{other}");
    app.clock.advance(chrono::Duration::minutes(61));
    let later = send(&app, &texter, org, "+19195558102", "Turnout again").await;
    assert!(later["errors"].is_null(), "{later}");

    // A violation on a message without a campaign pauses all of the organization's sends.
    app.emulator_post(
        "/_emulator/faults",
        json!({"errorCode": 4781, "from": a, "times": 1}),
    )
    .await;
    let bare = |contact: &'static str| {
        app.graphql(
            Some(&texter),
            "mutation($org: String!, $input: SendMessageInput!) { sendMessage(organizationId: $org, input: $input) { sendStatus } }",
            json!({"org": org.to_string(), "input": {"contactNumber": contact, "text": "No campaign"}}),
        )
    };
    bare("+19195558104").await;
    wait_for_last(&app, &owner, org, "+19195558104", "ERROR").await;
    let refused = loop {
        let answer = bare("+19195558105").await;
        if !answer["errors"].is_null() {
            break answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(error_code(&refused), "SENDING_PAUSED", "{refused}");
    let campaign = send(&app, &texter, org, "+19195558106", "Campaign 12").await;
    assert_eq!(error_code(&campaign), "SENDING_PAUSED", "{campaign}");
}

#[tokio::test]
async fn the_contacts_of_a_number_released_on_bandwidths_side_follow_it_to_a_sibling() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_numbers(&app, &[("919", 3)]).await;
    let texter = app.token(org, Role::Texter).await;
    let contact = "+19195558201";
    let served = send_from(&app, &texter, org, contact, "Hello").await;
    wait_for_last(&app, &owner, org, contact, "DELIVERED").await;
    disconnect_on_bandwidth(&app, served.trim_start_matches("+1")).await;
    let job = run_job(&app, &owner, org, SYNC, json!({"org": org.to_string()})).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let history = app
        .graphql(
            Some(&owner),
            HISTORY,
            json!({"org": org.to_string(), "contact": contact}),
        )
        .await;
    let change = &history["data"]["organization"]["senderHistory"][0];
    assert_eq!(change["reason"], "released", "{history}");
    assert_eq!(change["fromNumber"], served.as_str());
    let sibling = change["toNumber"].as_str().unwrap();
    assert!(
        sibling.starts_with("+1919") && sibling != served,
        "{history}"
    );
    assert_eq!(
        send_from(&app, &texter, org, contact, "Again").await,
        sibling
    );
}

/// Sets the organization's quarantine threshold to a single strike.
async fn quarantine_at_one_strike(app: &TestApp, owner: &str, org: i32) {
    let answer = app
        .graphql(
            Some(owner),
            "mutation($org: String!, $input: NumberHealthSettingsInput!) { updateNumberHealthSettings(organizationId: $org, input: $input) { quarantineStrikes } }",
            json!({"org": org.to_string(), "input": {"quarantineStrikes": 1}}),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
}

#[tokio::test]
async fn quarantined_contacts_are_spread_over_the_siblings() {
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_numbers(&app, &[("919", 3)]).await;
    let texter = app.token(org, Role::Texter).await;
    quarantine_at_one_strike(&app, &owner, org).await;
    // Send to 12 contacts; A serves about a third of them.
    let mut of_a = Vec::new();
    let mut a = String::new();
    for i in 0..12 {
        let contact = format!("+1919555{:04}", 8300 + i);
        let from = send_from(&app, &texter, org, &contact, "Hi").await;
        if i == 0 {
            a = from.clone();
        }
        if from == a {
            of_a.push(contact.clone());
        }
        wait_for_last(&app, &owner, org, &contact, "DELIVERED").await;
    }
    assert!(of_a.len() >= 2, "{of_a:?}");
    app.emulator_post(
        "/_emulator/faults",
        json!({"errorCode": 4470, "from": a, "times": 1}),
    )
    .await;
    send_from(&app, &texter, org, &of_a[0], "Spam?").await;
    wait_for_state(&app, &owner, org, &a, "QUARANTINED").await;
    let mut targets = HashSet::new();
    for contact in &of_a {
        let history = app
            .graphql(
                Some(&owner),
                HISTORY,
                json!({"org": org.to_string(), "contact": contact}),
            )
            .await;
        let to = history["data"]["organization"]["senderHistory"][0]["toNumber"].clone();
        assert!(to.is_string(), "{history}");
        targets.insert(to.as_str().unwrap().to_owned());
    }
    assert_eq!(targets.len(), 2, "both siblings took some: {targets:?}");
}

#[tokio::test]
async fn a_quarantined_number_with_thousands_of_contacts_moves_them_all_page_by_page_evenly() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
    use spoke_bandwidth::store::entities::contact;
    let app = spawn_app_with_emulator().await;
    let (org, owner) = org_with_numbers(&app, &[("919", 4)]).await;
    let texter = app.token(org, Role::Texter).await;
    quarantine_at_one_strike(&app, &owner, org).await;
    let a = send_from(&app, &texter, org, "+19195550000", "Hi").await;
    wait_for_last(&app, &owner, org, "+19195550000", "DELIVERED").await;
    // 25,000 more contacts pinned to A: more than two pages of the move.
    let pinned: Vec<contact::ActiveModel> = (1..=25_000)
        .map(|i| contact::ActiveModel {
            organization_id: Set(org),
            contact_number: Set(format!("+198455{i:05}")),
            user_number: Set(Some(a.clone())),
            opted_out: Set(false),
            last_error_code: Set(None),
            updated_at: Set(chrono::Utc::now()),
        })
        .collect();
    for chunk in pinned.chunks(1000) {
        contact::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
    app.emulator_post(
        "/_emulator/faults",
        json!({"errorCode": 4470, "from": a, "times": 1}),
    )
    .await;
    send_from(&app, &texter, org, "+19195550000", "Spam?").await;
    wait_for_state(&app, &owner, org, &a, "QUARANTINED").await;
    let contacts = contact::Entity::find()
        .filter(contact::Column::OrganizationId.eq(org))
        .all(&app.db)
        .await
        .unwrap();
    let mut per_number = std::collections::HashMap::<String, usize>::new();
    for c in &contacts {
        *per_number
            .entry(c.user_number.clone().unwrap_or_default())
            .or_default() += 1;
    }
    assert_eq!(
        per_number.get(&a),
        None,
        "every contact left A: {per_number:?}"
    );
    assert_eq!(per_number.values().sum::<usize>(), 25_001);
    let (least, most) = (
        per_number.values().min().unwrap(),
        per_number.values().max().unwrap(),
    );
    assert_eq!(per_number.len(), 3, "{per_number:?}");
    assert!(
        most - least <= 1,
        "dealt evenly across pages: {per_number:?}"
    );
}

#[tokio::test]
async fn the_picker_prefers_a_number_under_its_per_number_rate() {
    let app = spawn_app_with_emulator().await;
    let (org, _owner) = org_with_numbers(&app, &[("919", 2)]).await;
    let texter = app.token(org, Role::Texter).await;
    // Three segments keep A busy for three seconds at P2P's one segment per second.
    let long = "a".repeat(400);
    let a = send_from(&app, &texter, org, "+19195558401", &long).await;
    let b = send_from(&app, &texter, org, "+19195558402", "One").await;
    assert_ne!(a, b);
    assert_eq!(
        send_from(&app, &texter, org, "+19195558403", "Two").await,
        b,
        "A is still over its rate"
    );
}
