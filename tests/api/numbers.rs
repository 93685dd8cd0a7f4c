//! Number jobs against the emulator: buying (local, toll-free, partial, failed), releasing
//! unused numbers, and syncing with what Bandwidth lists.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseBackend, Set, Statement};
use serde_json::{Value, json};
use spoke_bandwidth::services::area_codes;
use spoke_bandwidth::services::jobs::{self, JobSpec};
use spoke_bandwidth::store;
use spoke_bandwidth::store::entities::contact;

use crate::helpers::{TestApp, texts};
use crate::provisioning::{address, buy, org_with_credentials, provision, requests, wait_for_job};

const COUNTS: &str = "query($org: String!) { organization(id: $org) { phoneNumberCounts { areaCode state availableCount allocatedCount } } }";
const NUMBERS: &str = "query($org: String!, $areaCode: String) { organization(id: $org) { phoneNumbers(areaCode: $areaCode) { phoneNumber areaCode state serviceId } } }";
const DELETE: &str = "mutation($org: ID!, $areaCode: String!) { deletePhoneNumbers(organizationId: $org, areaCode: $areaCode) { id } }";
pub const SYNC: &str = "mutation($org: String!) { syncPhoneNumbers(organizationId: $org) { id } }";

/// A provisioned organization and its owner's token.
async fn provisioned(app: &TestApp) -> (i32, String) {
    let (org, owner) = org_with_credentials(app, json!({"address": address()})).await;
    let result = provision(app, &owner, org, json!(null)).await;
    assert_eq!(result["state"], "COMPLETE", "{result}");
    (org, owner)
}

/// Held numbers per area code (available plus allocated).
async fn counts(app: &TestApp, owner: &str, org: i32) -> Vec<(String, i64)> {
    split_counts(app, owner, org)
        .await
        .into_iter()
        .map(|(area_code, available, allocated)| (area_code, available + allocated))
        .collect()
}

/// `(areaCode, availableCount, allocatedCount)` per row of Spoke's Phone Numbers page.
async fn split_counts(app: &TestApp, owner: &str, org: i32) -> Vec<(String, i64, i64)> {
    let answer = app
        .graphql(Some(owner), COUNTS, json!({"org": org.to_string()}))
        .await;
    answer["data"]["organization"]["phoneNumberCounts"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|c| {
            (
                c["areaCode"].as_str().unwrap().to_owned(),
                c["availableCount"].as_i64().unwrap(),
                c["allocatedCount"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn numbers(app: &TestApp, owner: &str, org: i32, area_code: Option<&str>) -> Vec<Value> {
    let answer = app
        .graphql(
            Some(owner),
            NUMBERS,
            json!({"org": org.to_string(), "areaCode": area_code}),
        )
        .await;
    answer["data"]["organization"]["phoneNumbers"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .clone()
}

pub async fn run_job(app: &TestApp, owner: &str, org: i32, query: &str, vars: Value) -> Value {
    let answer = app.graphql(Some(owner), query, vars).await;
    let data = answer["data"]
        .as_object()
        .unwrap_or_else(|| panic!("{answer}"));
    let id = data.values().next().unwrap()["id"].clone();
    wait_for_job(app, owner, org, &id).await
}

#[tokio::test]
async fn bought_numbers_are_stored_in_e164_with_their_region_and_service_id() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    let job = buy(&app, &owner, org, "919", 2).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");

    let list = numbers(&app, &owner, org, Some("919")).await;
    assert_eq!(list.len(), 2);
    let peer = app.emulator_get("/_emulator/state").await["sipPeers"][0]["id"].to_string();
    assert_eq!(list[0]["phoneNumber"], "+19195550100");
    assert_eq!(list[0]["state"], "North Carolina");
    assert_eq!(list[0]["serviceId"], format!("{peer}.9195550100"));
    let orders = requests(&app, "POST", "/orders").await;
    assert_eq!(orders.len(), 1);
    let body = orders[0]["body"].as_str().unwrap();
    assert!(
        body.contains("<AreaCodeSearchAndOrderType>") && body.contains("<PeerId>"),
        "{body}"
    );
}

#[tokio::test]
async fn provisioning_leaves_fresh_statistics_of_the_numbers_it_synced_for_the_picker() {
    let app = spawn().await;
    if app.db.get_database_backend() != DatabaseBackend::Postgres {
        return; // SQLite plans by index shape and keeps no statistics to refresh.
    }
    provisioned(&app).await;
    // Provisioning's number-sync step runs outside a job; it analyzes the tables all the same
    // (`last_analyze` is an explicit ANALYZE's, autovacuum's is `last_autoanalyze`).
    let analyzed = texts(
        &app.db,
        "SELECT relname::text FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL \
         AND relname IN ('bandwidth_phone_numbers', 'bandwidth_number_registrations') ORDER BY relname",
    )
    .await;
    assert_eq!(
        analyzed,
        ["bandwidth_number_registrations", "bandwidth_phone_numbers"]
    );
}

#[tokio::test]
async fn after_a_purchase_an_area_code_pick_reads_its_area_codes_index_not_the_whole_pool() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    // A pool of 10,000 numbers in 100 area codes, stored as the jobs store them.
    let pool: Vec<store::phone_numbers::NewNumber> = include_str!("../../data/nanp-area-codes.csv")
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .filter(|code| *code != "919")
        .take(100)
        .flat_map(|code| {
            (0..100).map(move |i| store::phone_numbers::NewNumber {
                phone_number: format!("+1{code}{:07}", 2_000_000 + i),
                area_code: code.to_owned(),
                state: area_codes::region_of(code).to_owned(),
                service_id: None,
            })
        })
        .collect();
    store::phone_numbers::upsert_active(&app.db, org, &pool)
        .await
        .unwrap();
    // Nine in ten on a campaign, as an assignment job leaves them.
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO bandwidth_number_registrations (organization_id, phone_number, kind, campaign_id, status, deliverable, updated_at) \
             SELECT organization_id, phone_number, 'LOCAL', 'CTEST01', 'ACTIVE', id % 10 <> 0, CURRENT_TIMESTAMP \
             FROM bandwidth_phone_numbers WHERE organization_id = {org}"
        ))
        .await
        .unwrap();
    let job = buy(&app, &owner, org, "919", 20).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");

    let backend = app.db.get_database_backend();
    let (explain, column) = if backend == DatabaseBackend::Postgres {
        ("EXPLAIN", "QUERY PLAN")
    } else {
        ("EXPLAIN QUERY PLAN", "detail")
    };
    for registered_only in [false, true] {
        let pick = store::phone_numbers::take_statement(
            backend,
            org,
            store::phone_numbers::PickFrom::AreaCode("919"),
            Utc::now().timestamp_millis(),
            1000,
            registered_only,
            backend == DatabaseBackend::Postgres,
        );
        let plan: Vec<String> = app
            .db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!("{explain} {}", pick.sql),
                pick.values.unwrap().0,
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", column).unwrap())
            .collect();
        let plan = plan.join("\n");
        let index = if registered_only {
            "bandwidth_phone_numbers_pace_area_code_deliverable"
        } else {
            "bandwidth_phone_numbers_pace_area_code"
        };
        assert!(
            plan.contains(index),
            "a pick in 919 (registered only: {registered_only}) should walk {index}, not the pool or its registrations: {plan}"
        );
    }
}

#[tokio::test]
async fn the_phone_numbers_page_never_counts_a_number_being_released_as_allocated() {
    let app = crate::helpers::spawn_app().await;
    let org = app.create_org("Vote Now").await;
    let owner = app
        .token(org, spoke_bandwidth::services::access::Role::Owner)
        .await;
    let number = |n: &str| store::phone_numbers::NewNumber {
        phone_number: format!("+1919555{n}"),
        area_code: "919".into(),
        state: "North Carolina".into(),
        service_id: None,
    };
    store::phone_numbers::upsert_active(&app.db, org, &[number("0100"), number("0101")])
        .await
        .unwrap();
    // No contact has a sticky number, so none is allocated, whatever a release is doing.
    let flipping = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (db, flipping) = (app.db.clone(), flipping.clone());
        tokio::spawn(async move {
            while flipping.load(std::sync::atomic::Ordering::Relaxed) {
                store::phone_numbers::release(&db, org, &["+19195550101".into()])
                    .await
                    .unwrap();
                store::phone_numbers::upsert_active(&db, org, &[number("0101")])
                    .await
                    .unwrap();
            }
        })
    };
    for _ in 0..300 {
        for (area_code, _, allocated) in split_counts(&app, &owner, org).await {
            assert_eq!(
                allocated, 0,
                "{area_code} counted an unused number as allocated"
            );
        }
    }
    flipping.store(false, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();
}

#[tokio::test]
async fn buying_800_orders_toll_free_numbers() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    let job = buy(&app, &owner, org, "800", 2).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");

    let body = requests(&app, "POST", "/orders").await[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        body.contains("<TollFreeWildCharSearchAndOrderType>")
            && body.contains("<TollFreeWildCardPattern>8**</TollFreeWildCardPattern>"),
        "{body}"
    );
    let list = numbers(&app, &owner, org, Some("800")).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(
        list.iter()
            .all(|n| n["phoneNumber"].as_str().unwrap().starts_with("+1800")
                && n["state"] == "N/A")
    );
}

#[tokio::test]
async fn an_area_code_bandwidth_cannot_supply_fails_with_its_reason() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    let job = buy(&app, &owner, org, "999", 2).await;
    assert_eq!(job["state"], "FAILED", "{job}");
    let message = job["resultMessage"].as_str().unwrap();
    assert!(
        message.contains("5018") && message.contains("unavailable"),
        "{message}"
    );
    assert!(counts(&app, &owner, org).await.is_empty());
}

#[tokio::test]
async fn a_partial_order_keeps_what_arrived_and_says_how_many_of_how_many() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    let job = buy(&app, &owner, org, "919", 25).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let message = job["resultMessage"].as_str().unwrap();
    assert!(message.contains("20 of 25"), "{message}");
    assert_eq!(counts(&app, &owner, org).await, [("919".to_owned(), 20)]);
}

#[tokio::test]
async fn a_buy_retried_after_a_transient_failure_polls_the_same_order_instead_of_ordering_again() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    app.emulator_post(
        "/_emulator/faults",
        json!({"method": "GET", "path": "/orders/", "status": 503, "times": 1}),
    )
    .await;

    let job = buy(&app, &owner, org, "919", 3).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["attempts"], 2, "the 503 was retried: {job}");
    assert_eq!(requests(&app, "POST", "/orders").await.len(), 1);
    assert_eq!(counts(&app, &owner, org).await, [("919".to_owned(), 3)]);
}

#[tokio::test]
async fn deleting_an_area_code_disconnects_its_unused_numbers_and_the_counts_drop() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    assert_eq!(buy(&app, &owner, org, "919", 3).await["state"], "SUCCEEDED");
    assert_eq!(buy(&app, &owner, org, "212", 2).await["state"], "SUCCEEDED");
    // A contact sticks to one 919 number: that one is in use and stays.
    contact::ActiveModel {
        organization_id: Set(org),
        contact_number: Set("+15555550123".into()),
        user_number: Set(Some("+19195550100".into())),
        opted_out: Set(false),
        last_error_code: Set(None),
        updated_at: Set(Utc::now()),
    }
    .insert(&app.db)
    .await
    .unwrap();
    assert_eq!(
        split_counts(&app, &owner, org).await,
        [("212".to_owned(), 2, 0), ("919".to_owned(), 2, 1)],
        "the page promises to delete exactly what the delete releases"
    );

    let job = run_job(
        &app,
        &owner,
        org,
        DELETE,
        json!({"org": org.to_string(), "areaCode": "919"}),
    )
    .await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert!(
        job["resultMessage"]
            .as_str()
            .unwrap()
            .contains("released 2 unused numbers in 919"),
        "{job}"
    );
    let disconnects = requests(&app, "POST", "/disconnects").await;
    assert_eq!(disconnects.len(), 1);
    let body = disconnects[0]["body"].as_str().unwrap();
    assert!(
        body.contains("9195550101") && body.contains("9195550102"),
        "{body}"
    );
    assert!(
        !body.contains("9195550100"),
        "the sticky number stays: {body}"
    );
    assert_eq!(
        split_counts(&app, &owner, org).await,
        [("212".to_owned(), 2, 0), ("919".to_owned(), 0, 1)]
    );
    let state = app.emulator_get("/_emulator/state").await;
    assert_eq!(state["numbers"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_sync_marks_a_number_removed_on_bandwidths_side_as_released() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    assert_eq!(buy(&app, &owner, org, "919", 3).await["state"], "SUCCEEDED");
    // Someone releases a number in Bandwidth's portal.
    disconnect_on_bandwidth(&app, "9195550101").await;

    let job = run_job(&app, &owner, org, SYNC, json!({"org": org.to_string()})).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(
        job["resultMessage"],
        "2 numbers on the Bandwidth location; 0 added, 1 released (no longer on the account)"
    );
    let list: Vec<Value> = numbers(&app, &owner, org, None)
        .await
        .into_iter()
        .map(|n| n["phoneNumber"].clone())
        .collect();
    assert_eq!(list, [json!("+19195550100"), json!("+19195550102")]);
    assert_eq!(counts(&app, &owner, org).await, [("919".to_owned(), 2)]);
}

#[tokio::test]
async fn a_sync_adds_numbers_bought_outside_this_server() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    let (other, other_owner) = org_with_credentials(&app, json!({})).await;
    let ids = provision(&app, &owner, org, json!(null)).await["account"].clone();
    // A second organization shares the location by hand and buys there.
    let mut input = app.emulator_credentials();
    input["siteId"] = ids["siteId"].clone();
    input["sipPeerId"] = ids["sipPeerId"].clone();
    app.graphql(
        Some(&other_owner),
        "mutation($org: String!, $input: BandwidthCredentialsInput!) { updateBandwidthCredentials(organizationId: $org, input: $input) { siteId } }",
        json!({"org": other.to_string(), "input": input}),
    )
    .await;
    assert_eq!(
        buy(&app, &other_owner, other, "646", 2).await["state"],
        "SUCCEEDED"
    );

    let job = run_job(&app, &owner, org, SYNC, json!({"org": org.to_string()})).await;
    assert_eq!(
        job["resultMessage"],
        "2 numbers on the Bandwidth location; 2 added, 0 released (no longer on the account)",
        "{job}"
    );
    assert_eq!(counts(&app, &owner, org).await, [("646".to_owned(), 2)]);
}

async fn spawn() -> TestApp {
    crate::helpers::spawn_app_with_emulator().await
}

/// Disconnects a number straight on the emulator's Dashboard API, as Bandwidth's portal would.
pub async fn disconnect_on_bandwidth(app: &TestApp, number: &str) {
    let config = app.emulator().state().config().clone();
    let body = format!(
        "<DisconnectTelephoneNumberOrder><name>portal</name><DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>{number}</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>"
    );
    let response = app
        .client
        .post(format!(
            "{}/accounts/{}/disconnects",
            app.emulator().dashboard_url(),
            config.account_id
        ))
        .basic_auth(&config.username, Some(&config.password))
        .header("Content-Type", "application/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

const BUY: &str = "mutation($org: ID!, $areaCode: String!, $limit: Int!) { buyPhoneNumbers(organizationId: $org, areaCode: $areaCode, limit: $limit) { id } }";

/// Calls `buyPhoneNumbers` and returns the job id it answered with.
async fn request_buy(app: &TestApp, owner: &str, org: i32, area_code: &str, limit: i32) -> Value {
    let answer = app
        .graphql(
            Some(owner),
            BUY,
            json!({"org": org.to_string(), "areaCode": area_code, "limit": limit}),
        )
        .await;
    let id = answer["data"]["buyPhoneNumbers"]["id"].clone();
    assert!(id.is_string(), "{answer}");
    id
}

#[tokio::test]
async fn two_identical_purchases_place_one_order() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    // Bandwidth is slow to take the order, so the first job is still running at the second call.
    app.emulator_post(
        "/_emulator/faults",
        json!({"method": "POST", "path": "/orders", "delayMs": 400, "times": 1}),
    )
    .await;
    let (first, second) = tokio::join!(
        request_buy(&app, &owner, org, "919", 2),
        request_buy(&app, &owner, org, "919", 2)
    );
    assert_eq!(first, second, "the second call returned the first job");
    let job = wait_for_job(&app, &owner, org, &first).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(requests(&app, "POST", "/orders").await.len(), 1);
    assert_eq!(counts(&app, &owner, org).await, [("919".to_owned(), 2)]);

    // Once the first ended, the same purchase is a new one.
    let third = request_buy(&app, &owner, org, "919", 2).await;
    assert_ne!(third, first);
    assert_eq!(
        wait_for_job(&app, &owner, org, &third).await["state"],
        "SUCCEEDED"
    );
    assert_eq!(requests(&app, "POST", "/orders").await.len(), 2);
}

#[tokio::test]
async fn a_buy_whose_order_answer_was_lost_finds_the_placed_order_instead_of_ordering_again() {
    // Bandwidth places the order, then the connection drops before its answer arrives.
    buy_with_a_lost_order_answer(json!({"method": "POST", "path": "/orders", "dropAnswer": true}))
        .await;
}

#[tokio::test]
async fn a_buy_whose_order_answer_was_unreadable_finds_the_placed_order_instead_of_ordering_again()
{
    // Bandwidth places the order, then its answer arrives cut short.
    buy_with_a_lost_order_answer(
        json!({"method": "POST", "path": "/orders", "action": "acceptThenGarble"}),
    )
    .await;
}

/// Buys with `fault` on the first create-order call: one POST, one lookup, the numbers stored.
async fn buy_with_a_lost_order_answer(fault: Value) {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    app.emulator_post("/_emulator/faults", fault).await;

    let job = buy(&app, &owner, org, "919", 3).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["attempts"], 2, "the lost answer was retried: {job}");
    let posts = requests(&app, "POST", "/orders").await;
    assert_eq!(posts.len(), 1, "ordered once: {posts:?}");
    let body = posts[0]["body"].as_str().unwrap();
    let reference = body
        .split("<CustomerOrderId>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no CustomerOrderId in {body}"));
    assert!(
        reference.starts_with(&format!("sbw-{org}-job-")),
        "{reference}"
    );
    let lookups: Vec<Value> = app
        .emulator_get("/_emulator/requests")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["method"] == "GET"
                && r["path"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/orders?customerOrderId={reference}"))
        })
        .cloned()
        .collect();
    assert_eq!(lookups.len(), 1, "the retry looked the order up first");
    assert_eq!(counts(&app, &owner, org).await, [("919".to_owned(), 3)]);
}

/// Places an order straight on the emulator's Dashboard API, as a run killed right after its
/// POST would have left it.
async fn order_on_bandwidth(
    app: &TestApp,
    customer_order_id: &str,
    area_code: &str,
    quantity: u32,
) {
    let config = app.emulator().state().config().clone();
    let state = app.emulator_get("/_emulator/state").await;
    let site = &state["sites"][0]["id"];
    let peer = &state["sipPeers"][0]["id"];
    let body = format!(
        "<Order><CustomerOrderId>{customer_order_id}</CustomerOrderId><SiteId>{site}</SiteId><PeerId>{peer}</PeerId><AreaCodeSearchAndOrderType><AreaCode>{area_code}</AreaCode><Quantity>{quantity}</Quantity></AreaCodeSearchAndOrderType><PartialAllowed>true</PartialAllowed></Order>"
    );
    let response = app
        .client
        .post(format!(
            "{}/accounts/{}/orders",
            app.emulator().dashboard_url(),
            config.account_id
        ))
        .basic_auth(&config.username, Some(&config.password))
        .header("Content-Type", "application/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

/// Stores a buy job as a killed run leaves it: its customer order id recorded, no order id.
async fn interrupted_buy(app: &TestApp, org: i32, customer_order_id: &str, limit: u32) -> Value {
    let spec = JobSpec::BuyPhoneNumbers {
        area_code: "919".into(),
        limit,
        customer_order_id: Some(customer_order_id.to_owned()),
        order_id: None,
    };
    let stored = store::jobs::insert(
        &app.db,
        store::jobs::NewJob {
            organization_id: org,
            kind: spec.kind(),
            payload: serde_json::to_string(&spec).unwrap(),
            max_attempts: jobs::MAX_ATTEMPTS,
            run_at: jobs::now_ms(),
            lane: spec.lane(),
            active_key: spec.active_key(),
        },
    )
    .await
    .unwrap();
    json!(stored.id.to_string())
}

#[tokio::test]
async fn a_buy_resumed_after_its_runner_was_killed_past_the_order_polls_that_order_without_a_second_post()
 {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    let placed = format!("sbw-{org}-job-1-00c0ffee");
    order_on_bandwidth(&app, &placed, "919", 2).await;

    let id = interrupted_buy(&app, org, &placed, 2).await;
    let job = wait_for_job(&app, &owner, org, &id).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(
        requests(&app, "POST", "/orders").await.len(),
        1,
        "only the killed run's order"
    );
    assert_eq!(counts(&app, &owner, org).await, [("919".to_owned(), 2)]);

    // Killed after recording the intent but before the POST: nothing to find, so it orders,
    // under the recorded customer order id.
    let never_sent = format!("sbw-{org}-job-2-0badf00d");
    let id = interrupted_buy(&app, org, &never_sent, 1).await;
    let job = wait_for_job(&app, &owner, org, &id).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let posts = requests(&app, "POST", "/orders").await;
    assert_eq!(posts.len(), 2);
    assert!(
        posts[1]["body"]
            .as_str()
            .unwrap()
            .contains(&format!("<CustomerOrderId>{never_sent}</CustomerOrderId>")),
        "{posts:?}"
    );
    assert_eq!(counts(&app, &owner, org).await, [("919".to_owned(), 3)]);
}

#[tokio::test]
async fn moving_the_organization_to_another_site_releases_no_number() {
    let app = spawn().await;
    let (org, owner) = provisioned(&app).await;
    assert_eq!(buy(&app, &owner, org, "919", 3).await["state"], "SUCCEEDED");
    // Another existing sub-account on the same Bandwidth account.
    let (other, other_owner) = org_with_credentials(&app, json!({"address": address()})).await;
    let other_site =
        provision(&app, &other_owner, other, json!(null)).await["account"]["siteId"].clone();

    let mut input = app.emulator_credentials();
    input["siteId"] = other_site.clone();
    let changed = app
        .graphql(
            Some(&owner),
            "mutation($org: String!, $input: BandwidthCredentialsInput!) { updateBandwidthCredentials(organizationId: $org, input: $input) { siteId } }",
            json!({"org": org.to_string(), "input": input}),
        )
        .await;
    assert_eq!(
        changed["data"]["updateBandwidthCredentials"]["siteId"], other_site,
        "{changed}"
    );
    let again = provision(&app, &owner, org, json!(null)).await;
    assert_eq!(again["state"], "COMPLETE", "{again}");
    let sync = again["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "number-sync")
        .unwrap()
        .clone();
    assert!(
        sync["detail"]
            .as_str()
            .unwrap()
            .contains("3 numbers not on this location but still in service on the account, kept"),
        "{sync}"
    );
    assert_eq!(counts(&app, &owner, org).await, [("919".to_owned(), 3)]);
    assert!(
        requests(&app, "POST", "/disconnects").await.is_empty(),
        "nothing was released on Bandwidth"
    );
    let state = app.emulator_get("/_emulator/state").await;
    assert_eq!(state["numbers"].as_array().unwrap().len(), 3);
}
