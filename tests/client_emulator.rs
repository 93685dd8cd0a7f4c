//! The typed Bandwidth client against a spawned emulator over loopback, for every call the
//! client makes (contract §2–§3): each test drives `BandwidthClient` and asserts on the typed
//! results, and where it matters on what the emulator recorded (`/_emulator/requests`).
//!
//! The fixture tests in `tests/bandwidth/` prove the client reads Bandwidth's recorded payloads;
//! `tests/emulator.rs` proves the emulator answers raw HTTP. These prove the two agree.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use spoke_bandwidth::bandwidth::{
    Address, Api, Application, AvailableNumbersQuery, BandwidthClient, CallbackCredentials,
    CallbackTypes, Credentials, Endpoints, Error, MessageRequest, MessagesQuery, MmsFeature,
    NewDisconnect, NewOrder, OrderResponse, OrderStatus, SipPeer, Site, SmsFeature,
    build_http_client,
};
use spoke_bandwidth::emulator::{self, Emulator, EmulatorConfig};

const CALLBACK_PASSWORD: &str = "callback-secret-never-echoed";

// ---------- harness ----------

struct Harness {
    emulator: Emulator,
    client: BandwidthClient,
    control: reqwest::Client,
}

fn quiet_config() -> EmulatorConfig {
    // Callbacks go to a closed loopback port: one quick attempt, then given up.
    EmulatorConfig {
        callback_timeout: Duration::from_millis(500),
        callback_max_attempts: 1,
        callback_backoff_base: Duration::from_millis(10),
        ..EmulatorConfig::default()
    }
}

async fn start() -> Harness {
    start_with(quiet_config()).await
}

async fn start_with(config: EmulatorConfig) -> Harness {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let credentials = Credentials::new(&config.account_id, &config.username, &config.password);
    let emulator = emulator::spawn(listener, config)
        .await
        .expect("spawn emulator");
    let client = client_for(&emulator, credentials);
    Harness {
        emulator,
        client,
        control: reqwest::Client::new(),
    }
}

fn endpoints(emulator: &Emulator) -> Endpoints {
    Endpoints {
        dashboard: emulator.dashboard_url(),
        messaging: emulator.messaging_url(),
    }
}

fn client_for(emulator: &Emulator, credentials: Credentials) -> BandwidthClient {
    BandwidthClient::new(endpoints(emulator), credentials).expect("valid endpoints")
}

fn default_credentials() -> Credentials {
    let config = EmulatorConfig::default();
    Credentials::new(config.account_id, config.username, config.password)
}

impl Harness {
    fn account(&self) -> &str {
        self.client.account_id()
    }

    /// `GET /_emulator/requests`.
    async fn requests(&self) -> Vec<Value> {
        let url = format!("{}/_emulator/requests", self.emulator.base_url());
        let value: Value = self
            .control
            .get(url)
            .send()
            .await
            .expect("requests")
            .json()
            .await
            .expect("requests JSON");
        value.as_array().cloned().expect("an array")
    }

    /// The recorded requests with this method whose path contains `fragment`.
    async fn requests_to(&self, method: &str, fragment: &str) -> Vec<Value> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| {
                r["method"] == method && r["path"].as_str().unwrap_or("").contains(fragment)
            })
            .collect()
    }

    /// `POST /_emulator/faults`.
    async fn inject(&self, fault: Value) {
        let url = format!("{}/_emulator/faults", self.emulator.base_url());
        let response = self
            .control
            .post(url)
            .json(&fault)
            .send()
            .await
            .expect("faults");
        assert_eq!(response.status(), 201, "the fault was refused: {fault}");
    }

    /// A site with one default sip peer, as provisioning creates them.
    async fn location(&self) -> (String, String) {
        let site = self
            .client
            .create_site(&site("Loopback"))
            .await
            .expect("create site");
        let site_id = site.id.expect("a site id");
        let peer_id = self
            .client
            .create_sip_peer(&site_id, &sip_peer("Main"))
            .await
            .expect("create sip peer");
        (site_id, peer_id)
    }

    /// A location with SMS and MMS over HTTP and an associated application, as Spoke's setup
    /// leaves it.
    async fn messaging_location(&self) -> (String, String, String) {
        let (site_id, peer_id) = self.location().await;
        self.client
            .create_sms_feature(&site_id, &peer_id, &SmsFeature::http(false))
            .await
            .expect("sms");
        self.client
            .create_mms_feature(&site_id, &peer_id, &MmsFeature::http())
            .await
            .expect("mms");
        let app = self
            .client
            .create_application(&application("Loopback"))
            .await
            .expect("application");
        let app_id = app.application_id.expect("an application id");
        self.client
            .associate_application(&site_id, &peer_id, &app_id)
            .await
            .expect("associate");
        (site_id, peer_id, app_id)
    }

    /// Places an order and reads it until Bandwidth is done with it (bounded).
    async fn order_until_final(&self, order: &NewOrder) -> OrderResponse {
        let created = self.client.create_order(order).await.expect("create order");
        let id = created.id().expect("an order id").to_string();
        for _ in 0..10 {
            let current = self.client.get_order(&id).await.expect("get order");
            if current
                .order_status
                .as_ref()
                .is_some_and(OrderStatus::is_final)
            {
                return current;
            }
        }
        panic!("order {id} never reached a final state");
    }
}

fn site(name: &str) -> Site {
    Site {
        name: name.to_string(),
        description: Some("Client against emulator".to_string()),
        customer_name: Some("Spoke".to_string()),
        address: Some(Address {
            house_number: Some("900".to_string()),
            street_name: Some("Main Campus Dr".to_string()),
            city: Some("RALEIGH".to_string()),
            state_code: Some("NC".to_string()),
            zip: Some("27606".to_string()),
            address_type: Some("Billing".to_string()),
            ..Address::default()
        }),
        ..Site::default()
    }
}

fn sip_peer(name: &str) -> SipPeer {
    SipPeer {
        peer_name: name.to_string(),
        description: Some("Spoke location".to_string()),
        is_default_peer: Some(true),
        ..SipPeer::default()
    }
}

fn application(name: &str) -> Application {
    let creds = CallbackCredentials {
        user_id: "bandwidth.com".to_string(),
        password: Some(CALLBACK_PASSWORD.to_string()),
    };
    Application {
        service_type: Some("Messaging-V2".to_string()),
        app_name: Some(name.to_string()),
        inbound_callback_url: Some("http://127.0.0.1:9/bandwidth/1".to_string()),
        outbound_callback_url: Some("http://127.0.0.1:9/bandwidth/1".to_string()),
        inbound_callback_creds: Some(creds.clone()),
        outbound_callback_creds: Some(creds),
        requested_callback_types: Some(CallbackTypes {
            callback_types: vec!["message-delivered".into(), "message-failed".into()],
        }),
        ..Application::default()
    }
}

fn assert_rejected(error: &Error, api: Api, status: u16, code: &str) {
    assert!(
        matches!(error, Error::Rejected { .. }),
        "expected a rejection, got {error:?}"
    );
    assert_eq!(error.api(), Some(api), "{error}");
    assert_eq!(error.status(), Some(status), "{error}");
    assert_eq!(error.code(), Some(code), "{error}");
}

fn numbers_of(order: &OrderResponse) -> Vec<String> {
    order.completed_numbers()
}

/// A recorded request's string field (`body`, `path`), or "" when it has none.
fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

// ---------- credentials and sites ----------

#[tokio::test]
async fn verify_credentials_succeeds_with_the_emulators_api_user() {
    let h = start().await;
    h.client
        .verify_credentials()
        .await
        .expect("credentials work");
    let sent = h.requests_to("GET", "/sites").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["path"],
        format!("/api/accounts/{}/sites", h.account())
    );
}

#[tokio::test]
async fn the_client_works_under_the_api_v1_dashboard_prefix_too() {
    let h = start().await;
    let client = BandwidthClient::new(
        Endpoints {
            dashboard: format!("{}/api/v1", h.emulator.base_url()),
            messaging: h.emulator.messaging_url(),
        },
        default_credentials(),
    )
    .expect("client");
    let id = client
        .create_site(&site("V1"))
        .await
        .expect("create")
        .id
        .expect("id");
    assert_eq!(client.get_site(&id).await.expect("get").name, "V1");
    let paths: Vec<Value> = h
        .requests()
        .await
        .iter()
        .map(|r| r["path"].clone())
        .collect();
    assert_eq!(
        paths,
        [
            json!(format!("/api/v1/accounts/{}/sites", h.account())),
            json!(format!("/api/v1/accounts/{}/sites/{id}", h.account())),
        ]
    );
}

#[tokio::test]
async fn a_created_site_is_listed_and_read_back_with_its_address() {
    let h = start().await;
    assert!(h.client.list_sites().await.expect("list").is_empty());

    let created = h
        .client
        .create_site(&site("Raleigh"))
        .await
        .expect("create");
    let id = created.id.clone().expect("the 201 names the site id");
    assert!(id.parse::<u64>().is_ok(), "site ids are integers: {id}");
    assert_eq!(created.name, "Raleigh");

    let read = h.client.get_site(&id).await.expect("get site");
    assert_eq!(read.id.as_deref(), Some(id.as_str()));
    assert_eq!(read.name, "Raleigh");
    let address = read.address.expect("the address is echoed");
    assert_eq!(address.city.as_deref(), Some("RALEIGH"));
    assert_eq!(address.zip.as_deref(), Some("27606"));
    assert_eq!(
        address.country.as_deref(),
        Some("United States"),
        "Bandwidth fills in the country"
    );

    let listed = h.client.list_sites().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id.as_deref(), Some(id.as_str()));

    let posted = h.requests_to("POST", "/sites").await;
    assert_eq!(posted.len(), 1);
    let body = posted[0]["body"].as_str().expect("a body");
    assert!(body.contains("<Name>Raleigh</Name>"), "{body}");
    assert!(
        body.contains("<AddressType>Billing</AddressType>"),
        "{body}"
    );
}

#[tokio::test]
async fn reading_an_unknown_site_is_a_typed_404_with_code_12016() {
    let h = start().await;
    let error = h.client.get_site("424242").await.expect_err("no such site");
    assert_rejected(&error, Api::Dashboard, 404, "12016");
    assert!(!error.is_transient());
}

// ---------- sip peers ----------

#[tokio::test]
async fn a_sip_peer_id_comes_from_the_location_header_and_reads_back() {
    let h = start().await;
    let site_id = h
        .client
        .create_site(&site("Peers"))
        .await
        .expect("site")
        .id
        .expect("site id");
    let peer_id = h
        .client
        .create_sip_peer(&site_id, &sip_peer("Main"))
        .await
        .expect("create sip peer");
    assert!(
        peer_id.parse::<u64>().is_ok(),
        "peer ids are integers: {peer_id}"
    );

    let peer = h
        .client
        .get_sip_peer(&site_id, &peer_id)
        .await
        .expect("get");
    assert_eq!(peer.peer_id.as_deref(), Some(peer_id.as_str()));
    assert_eq!(peer.peer_name, "Main");
    assert_eq!(peer.is_default_peer, Some(true));

    let posted = h
        .requests_to("POST", &format!("/sites/{site_id}/sippeers"))
        .await;
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["status"], 201);
    assert!(text(&posted[0]["body"]).contains("<PeerName>Main</PeerName>"));
}

#[tokio::test]
async fn reading_an_unknown_sip_peer_is_a_typed_400_with_code_13563() {
    let h = start().await;
    let (site_id, _) = h.location().await;
    let error = h
        .client
        .get_sip_peer(&site_id, "987654")
        .await
        .expect_err("no such peer");
    assert_rejected(&error, Api::Dashboard, 400, "13563");
}

// ---------- SMS and MMS features ----------

#[tokio::test]
async fn the_sms_feature_is_created_read_and_updated() {
    let h = start().await;
    let (site_id, peer_id) = h.location().await;

    let created = h
        .client
        .create_sms_feature(&site_id, &peer_id, &SmsFeature::http(false))
        .await
        .expect("create sms");
    assert_eq!(created.settings.protocol.as_deref(), Some("HTTP"));
    assert_eq!(created.settings.zone1, Some(true));
    assert_eq!(created.settings.toll_free, Some(false));
    assert!(
        created.http_settings.proxy_peer_id.is_some(),
        "Bandwidth assigns a ProxyPeerId"
    );

    let read = h
        .client
        .get_sms_feature(&site_id, &peer_id)
        .await
        .expect("get sms");
    assert_eq!(read.settings.protocol.as_deref(), Some("HTTP"));
    assert_eq!(read.settings.toll_free, Some(false));

    h.client
        .update_sms_feature(&site_id, &peer_id, &SmsFeature::http(true))
        .await
        .expect("update sms");
    let updated = h
        .client
        .get_sms_feature(&site_id, &peer_id)
        .await
        .expect("get sms");
    assert_eq!(updated.settings.toll_free, Some(true));
    assert_eq!(updated.settings.protocol.as_deref(), Some("HTTP"));

    let put = h.requests_to("PUT", "/features/sms").await;
    assert_eq!(put.len(), 1);
    assert_eq!(put[0]["status"], 200);
    assert!(text(&put[0]["body"]).contains("<TollFree>true</TollFree>"));
}

#[tokio::test]
async fn the_mms_feature_is_refused_before_sms_with_code_13623() {
    let h = start().await;
    let (site_id, peer_id) = h.location().await;
    let error = h
        .client
        .create_mms_feature(&site_id, &peer_id, &MmsFeature::http())
        .await
        .expect_err("MMS needs SMS first");
    assert_rejected(&error, Api::Dashboard, 400, "13623");
}

#[tokio::test]
async fn the_mms_feature_is_created_read_and_updated_after_sms() {
    let h = start().await;
    let (site_id, peer_id) = h.location().await;
    h.client
        .create_sms_feature(&site_id, &peer_id, &SmsFeature::http(false))
        .await
        .expect("sms");

    let created = h
        .client
        .create_mms_feature(&site_id, &peer_id, &MmsFeature::http())
        .await
        .expect("create mms");
    // The emulator answers with lowercase `<protocol>`, as Bandwidth does (contract §1).
    assert_eq!(created.settings.protocol.as_deref(), Some("HTTP"));
    assert!(
        created.proxy_peer_id().is_some(),
        "the lowercase proxyPeerId is read"
    );

    let read = h
        .client
        .get_mms_feature(&site_id, &peer_id)
        .await
        .expect("get mms");
    assert_eq!(read.settings.protocol.as_deref(), Some("HTTP"));
    assert!(read.protocols.http.is_some());

    h.client
        .update_mms_feature(&site_id, &peer_id, &MmsFeature::http())
        .await
        .expect("update mms");
    let put = h.requests_to("PUT", "/features/mms").await;
    assert_eq!(put.len(), 1);
    assert_eq!(put[0]["status"], 200);
    assert!(text(&put[0]["body"]).contains("<MmsFeature>"));
    let again = h
        .client
        .get_mms_feature(&site_id, &peer_id)
        .await
        .expect("get mms");
    assert_eq!(again.settings.protocol.as_deref(), Some("HTTP"));
}

// ---------- applications ----------

#[tokio::test]
async fn an_application_is_created_and_read_back_without_callback_passwords() {
    let h = start().await;
    let created = h
        .client
        .create_application(&application("Spoke org 1"))
        .await
        .expect("create application");
    let id = created.application_id.clone().expect("an id");
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "application ids are UUIDs: {id}"
    );
    assert_eq!(created.service_type.as_deref(), Some("Messaging-V2"));

    let read = h
        .client
        .get_application(&id)
        .await
        .expect("get application");
    assert_eq!(read.application_id.as_deref(), Some(id.as_str()));
    assert_eq!(read.app_name.as_deref(), Some("Spoke org 1"));
    assert_eq!(
        read.inbound_callback_url.as_deref(),
        Some("http://127.0.0.1:9/bandwidth/1")
    );
    let creds = read.inbound_callback_creds.expect("inbound creds echoed");
    assert_eq!(creds.user_id, "bandwidth.com");
    assert_eq!(creds.password, None, "Bandwidth never echoes passwords");
    assert_eq!(
        read.requested_callback_types.map(|t| t.callback_types),
        Some(vec![
            "message-delivered".to_string(),
            "message-failed".to_string()
        ])
    );

    let posted = h.requests_to("POST", "/applications").await;
    assert!(
        text(&posted[0]["body"]).contains(&format!("<Password>{CALLBACK_PASSWORD}</Password>")),
        "the client sends the callback password"
    );
}

#[tokio::test]
async fn an_associated_application_cannot_be_deleted_until_it_is_removed() {
    let h = start().await;
    let (site_id, peer_id) = h.location().await;
    h.client
        .create_sms_feature(&site_id, &peer_id, &SmsFeature::http(false))
        .await
        .expect("sms");
    let app_id = h
        .client
        .create_application(&application("Delete me"))
        .await
        .expect("application")
        .application_id
        .expect("id");

    assert_eq!(
        h.client
            .get_application_settings(&site_id, &peer_id)
            .await
            .expect("settings"),
        None
    );
    h.client
        .associate_application(&site_id, &peer_id, &app_id)
        .await
        .expect("associate");
    assert_eq!(
        h.client
            .get_application_settings(&site_id, &peer_id)
            .await
            .expect("settings"),
        Some(app_id.clone())
    );

    let error = h
        .client
        .delete_application(&app_id)
        .await
        .expect_err("still associated");
    assert_rejected(&error, Api::Dashboard, 400, "12107");

    h.client
        .remove_application(&site_id, &peer_id)
        .await
        .expect("remove");
    assert_eq!(
        h.client
            .get_application_settings(&site_id, &peer_id)
            .await
            .expect("settings"),
        None
    );
    let removal = h.requests_to("PUT", "/applicationSettings").await;
    assert_eq!(removal.len(), 2);
    assert!(
        text(&removal[1]["body"]).contains("<ApplicationsSettings>REMOVE</ApplicationsSettings>")
    );

    h.client.delete_application(&app_id).await.expect("delete");
    let error = h
        .client
        .get_application(&app_id)
        .await
        .expect_err("deleted");
    assert_rejected(&error, Api::Dashboard, 404, "23019");
}

#[tokio::test]
async fn associating_an_application_before_sms_over_http_is_refused_with_13645() {
    let h = start().await;
    let (site_id, peer_id) = h.location().await;
    let app_id = h
        .client
        .create_application(&application("Too early"))
        .await
        .expect("application")
        .application_id
        .expect("id");
    let error = h
        .client
        .associate_application(&site_id, &peer_id, &app_id)
        .await
        .expect_err("SMS over HTTP comes first");
    assert_rejected(&error, Api::Dashboard, 400, "13645");
}

// ---------- numbers on a location ----------

#[tokio::test]
async fn a_location_without_numbers_lists_none() {
    let h = start().await;
    let (site_id, peer_id) = h.location().await;
    let numbers = h
        .client
        .list_sip_peer_numbers(&site_id, &peer_id)
        .await
        .expect("list");
    assert!(numbers.is_empty());
    let sent = h.requests_to("GET", "/tns").await;
    assert_eq!(sent.len(), 1);
    assert!(text(&sent[0]["path"]).ends_with("/tns?page=1&size=5000"));
}

#[tokio::test]
async fn listing_numbers_fetches_every_page_across_area_codes() {
    let h = start().await;
    let (site_id, peer_id) = h.location().await;
    let mut ordered = Vec::new();
    for (area_code, quantity) in [("919", 20), ("704", 20), ("336", 3)] {
        let order = h
            .order_until_final(&NewOrder::area_code(&site_id, area_code, quantity))
            .await;
        assert_eq!(order.order_status, Some(OrderStatus::Complete));
        ordered.extend(numbers_of(&order));
    }
    assert_eq!(ordered.len(), 43);

    let listed = h
        .client
        .list_sip_peer_numbers_paged(&site_id, &peer_id, 10)
        .await
        .expect("list");
    let mut listed: Vec<String> = listed.into_iter().map(|n| n.full_number).collect();
    listed.sort();
    ordered.sort();
    assert_eq!(listed, ordered);

    let pages: Vec<String> = h
        .requests_to("GET", "/tns")
        .await
        .iter()
        .map(|r| {
            r["path"]
                .as_str()
                .unwrap_or("")
                .rsplit('?')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        pages,
        [
            "page=1&size=10",
            "page=2&size=10",
            "page=3&size=10",
            "page=4&size=10",
            "page=5&size=10"
        ]
    );
}

#[tokio::test]
async fn listing_numbers_stops_on_an_empty_page_when_the_last_page_is_full() {
    let h = start().await;
    let (site_id, peer_id) = h.location().await;
    h.order_until_final(&NewOrder::area_code(&site_id, "919", 20))
        .await;
    let listed = h
        .client
        .list_sip_peer_numbers_paged(&site_id, &peer_id, 10)
        .await
        .expect("list");
    assert_eq!(listed.len(), 20);
    assert_eq!(h.requests_to("GET", "/tns").await.len(), 3);
}

// ---------- available numbers ----------

#[tokio::test]
async fn searching_an_area_code_finds_numbers_in_it() {
    let h = start().await;
    let found = h
        .client
        .search_available_numbers(&AvailableNumbersQuery::area_code("919", 5))
        .await
        .expect("search");
    assert_eq!(found.result_count, Some(5));
    let numbers = found.numbers();
    assert_eq!(numbers.len(), 5);
    assert!(
        numbers
            .iter()
            .all(|n| n.len() == 10 && n.starts_with("919")),
        "{numbers:?}"
    );
    let sent = h.requests_to("GET", "/availableNumbers").await;
    assert!(text(&sent[0]["path"]).contains("areaCode=919"));
    assert!(text(&sent[0]["path"]).contains("quantity=5"));
}

#[tokio::test]
async fn searching_with_number_details_reads_the_detail_list() {
    let h = start().await;
    let query = AvailableNumbersQuery {
        enable_tn_detail: Some(true),
        ..AvailableNumbersQuery::area_code("704", 2)
    };
    let found = h
        .client
        .search_available_numbers(&query)
        .await
        .expect("search");
    let details = found
        .telephone_number_detail_list
        .as_ref()
        .expect("a TelephoneNumberDetailList");
    assert_eq!(details.details.len(), 2);
    assert!(
        details
            .details
            .iter()
            .all(|d| d.full_number.starts_with("704"))
    );
    assert_eq!(found.numbers().len(), 2);
    let sent = h.requests_to("GET", "/availableNumbers").await;
    assert!(text(&sent[0]["path"]).contains("enableTNDetail=true"));
}

#[tokio::test]
async fn searching_a_toll_free_pattern_finds_toll_free_numbers() {
    let h = start().await;
    let found = h
        .client
        .search_available_numbers(&AvailableNumbersQuery::toll_free("8**", 3))
        .await
        .expect("search");
    let numbers = found.numbers();
    assert_eq!(numbers.len(), 3);
    assert!(numbers.iter().all(|n| n.starts_with('8')), "{numbers:?}");
    let sent = h.requests_to("GET", "/availableNumbers").await;
    assert!(
        text(&sent[0]["path"]).contains("tollFreeWildCardPattern=8**")
            || text(&sent[0]["path"]).contains("tollFreeWildCardPattern=8%2A%2A"),
        "{}",
        sent[0]["path"]
    );
}

#[tokio::test]
async fn searching_area_code_999_finds_nothing() {
    let h = start().await;
    let found = h
        .client
        .search_available_numbers(&AvailableNumbersQuery::area_code("999", 5))
        .await
        .expect("an empty result is not an error");
    assert!(found.numbers().is_empty());
    assert_eq!(found.result_count.unwrap_or(0), 0);
}

#[tokio::test]
async fn searching_without_criteria_is_a_typed_400_with_code_4010() {
    let h = start().await;
    let error = h
        .client
        .search_available_numbers(&AvailableNumbersQuery::default())
        .await
        .expect_err("a search needs a criterion");
    assert_rejected(&error, Api::Dashboard, 400, "4010");
}

#[tokio::test]
async fn ordered_numbers_are_no_longer_available() {
    let h = start().await;
    let (site_id, _) = h.location().await;
    let order = h
        .order_until_final(&NewOrder::area_code(&site_id, "919", 5))
        .await;
    let ordered = numbers_of(&order);
    let found = h
        .client
        .search_available_numbers(&AvailableNumbersQuery::area_code("919", 20))
        .await
        .expect("search")
        .numbers();
    assert_eq!(found.len(), 15);
    assert!(found.iter().all(|n| !ordered.contains(n)));
}

// ---------- orders ----------

#[tokio::test]
async fn an_area_code_order_is_received_then_processing_then_complete() {
    let h = start_with(EmulatorConfig {
        order_polls_to_complete: 3,
        ..quiet_config()
    })
    .await;
    let (site_id, peer_id) = h.location().await;
    let created = h
        .client
        .create_order(&NewOrder::area_code(&site_id, "919", 4))
        .await
        .expect("create order");
    assert_eq!(created.order_status, Some(OrderStatus::Received));
    let id = created.id().expect("an order id").to_string();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "order ids are UUIDs: {id}"
    );

    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let order = h.client.get_order(&id).await.expect("get order");
        statuses.push(order.order_status.clone().expect("a status"));
        last = Some(order);
    }
    assert_eq!(
        statuses,
        [
            OrderStatus::Processing,
            OrderStatus::Processing,
            OrderStatus::Complete
        ]
    );
    let done = last.expect("read three times");
    assert_eq!(done.id(), Some(id.as_str()));
    let echo = done.order.as_ref().expect("the order is echoed");
    assert_eq!(echo.site_id.as_deref(), Some(site_id.as_str()));
    assert_eq!(echo.peer_id.as_deref(), Some(peer_id.as_str()));
    assert_eq!(
        echo.area_code_search_and_order
            .as_ref()
            .map(|a| (a.area_code.as_str(), a.quantity)),
        Some(("919", 4))
    );
    assert_eq!(done.completed_quantity, Some(4));
    assert_eq!(done.failed_quantity, Some(0));
    assert!(done.errors().is_empty());
    let numbers = numbers_of(&done);
    assert_eq!(numbers.len(), 4);
    assert!(numbers.iter().all(|n| n.starts_with("919")));

    let on_peer: Vec<String> = h
        .client
        .list_sip_peer_numbers(&site_id, &peer_id)
        .await
        .expect("list")
        .into_iter()
        .map(|n| n.full_number)
        .collect();
    assert_eq!(on_peer.len(), 4);
    assert!(numbers.iter().all(|n| on_peer.contains(n)));

    let posted = h.requests_to("POST", "/orders").await;
    let body = text(&posted[0]["body"]);
    assert!(body.contains("<AreaCodeSearchAndOrderType>"), "{body}");
    assert!(body.contains("<AreaCode>919</AreaCode>"), "{body}");
    assert!(
        body.contains(&format!("<SiteId>{site_id}</SiteId>")),
        "{body}"
    );
}

#[tokio::test]
async fn a_toll_free_order_completes_with_toll_free_numbers() {
    let h = start().await;
    let (site_id, _) = h.location().await;
    let order = h
        .order_until_final(&NewOrder::toll_free(&site_id, "8**", 2))
        .await;
    assert_eq!(order.order_status, Some(OrderStatus::Complete));
    let numbers = numbers_of(&order);
    assert_eq!(numbers.len(), 2);
    assert!(numbers.iter().all(|n| n.starts_with('8')), "{numbers:?}");
    let posted = h.requests_to("POST", "/orders").await;
    let body = text(&posted[0]["body"]);
    assert!(
        body.contains("<TollFreeWildCharSearchAndOrderType>"),
        "{body}"
    );
    assert!(
        body.contains("<TollFreeWildCardPattern>8**</TollFreeWildCardPattern>"),
        "{body}"
    );
}

#[tokio::test]
async fn an_order_for_searched_numbers_completes_with_exactly_those_numbers() {
    let h = start().await;
    let (site_id, _) = h.location().await;
    let mut wanted = h
        .client
        .search_available_numbers(&AvailableNumbersQuery::area_code("704", 3))
        .await
        .expect("search")
        .numbers();
    assert_eq!(wanted.len(), 3);
    let order = h
        .order_until_final(&NewOrder::existing(&site_id, wanted.clone()))
        .await;
    assert_eq!(order.order_status, Some(OrderStatus::Complete));
    let mut got = numbers_of(&order);
    got.sort();
    wanted.sort();
    assert_eq!(got, wanted);
}

#[tokio::test]
async fn an_order_in_area_code_999_fails_with_5018() {
    let h = start().await;
    let (site_id, _) = h.location().await;
    let order = h
        .order_until_final(&NewOrder::area_code(&site_id, "999", 1))
        .await;
    assert_eq!(order.order_status, Some(OrderStatus::Failed));
    assert!(numbers_of(&order).is_empty());
    let codes: Vec<String> = order.errors().into_iter().map(|e| e.code).collect();
    assert_eq!(codes, ["5018"]);
}

#[tokio::test]
async fn an_order_beyond_an_area_codes_supply_is_partial_with_5005() {
    let h = start().await;
    let (site_id, _) = h.location().await;
    let order = h
        .order_until_final(&NewOrder::area_code(&site_id, "336", 25))
        .await;
    assert_eq!(order.order_status, Some(OrderStatus::Partial));
    assert_eq!(numbers_of(&order).len(), 20);
    assert_eq!(order.completed_quantity, Some(20));
    assert_eq!(order.failed_quantity, Some(5));
    assert!(
        order.errors().iter().any(|e| e.code == "5005"),
        "{:?}",
        order.errors()
    );
}

#[tokio::test]
async fn reading_an_unknown_order_is_a_typed_404() {
    let h = start().await;
    let error = h
        .client
        .get_order("00000000-0000-4000-8000-000000000000")
        .await
        .expect_err("no such order");
    assert_eq!(error.status(), Some(404), "{error}");
    assert_eq!(error.api(), Some(Api::Dashboard));
}

// ---------- disconnects ----------

#[tokio::test]
async fn disconnecting_owned_numbers_completes_and_frees_them() {
    let h = start().await;
    let (site_id, peer_id) = h.location().await;
    let order = h
        .order_until_final(&NewOrder::area_code(&site_id, "919", 3))
        .await;
    let numbers = numbers_of(&order);
    let gone = vec![numbers[0].clone(), numbers[1].clone()];

    let created = h
        .client
        .create_disconnect(&NewDisconnect::new("cleanup", gone.clone()))
        .await
        .expect("create disconnect");
    assert_eq!(created.order_status, Some(OrderStatus::Received));
    let id = created.id().expect("a disconnect id").to_string();

    let read = h.client.get_disconnect(&id).await.expect("get disconnect");
    assert_eq!(read.id(), Some(id.as_str()));
    assert_eq!(read.order_status, Some(OrderStatus::Complete));
    assert!(read.errors().is_empty());
    let echo = read.order_request.as_ref().expect("the request is echoed");
    assert_eq!(echo.name.as_deref(), Some("cleanup"));
    let mut disconnected = read.disconnected_numbers();
    disconnected.sort();
    assert_eq!(disconnected, gone);

    let remaining: Vec<String> = h
        .client
        .list_sip_peer_numbers(&site_id, &peer_id)
        .await
        .expect("list")
        .into_iter()
        .map(|n| n.full_number)
        .collect();
    assert_eq!(remaining, [numbers[2].clone()]);

    let posted = h.requests_to("POST", "/disconnects").await;
    let body = text(&posted[0]["body"]);
    assert!(body.contains("<name>cleanup</name>"), "{body}");
}

#[tokio::test]
async fn disconnecting_numbers_not_on_the_account_fails_with_5006() {
    let h = start().await;
    let strangers = vec!["9195550100".to_string(), "7045550101".to_string()];
    let created = h
        .client
        .create_disconnect(&NewDisconnect::new("strangers", strangers.clone()))
        .await
        .expect("create disconnect");
    let id = created.id().expect("a disconnect id").to_string();
    let read = h
        .client
        .get_disconnect(&id)
        .await
        .expect("a FAILED disconnect is data");
    assert_eq!(read.order_status, Some(OrderStatus::Failed));
    assert!(read.disconnected_numbers().is_empty());
    let errors = read.errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.code == "5006"));
    let mut named: Vec<String> = errors
        .into_iter()
        .filter_map(|e| e.telephone_number)
        .collect();
    named.sort();
    let mut expected = strangers;
    expected.sort();
    assert_eq!(named, expected);
}

// ---------- messaging ----------

#[tokio::test]
async fn sending_a_message_is_accepted_with_a_29_character_id_and_can_be_listed() {
    let h = start().await;
    let (site_id, peer_id, app_id) = h.messaging_location().await;
    let order = h
        .order_until_final(&NewOrder::area_code(&site_id, "919", 1))
        .await;
    let from = format!("+1{}", numbers_of(&order)[0]);
    let owned = h
        .client
        .list_sip_peer_numbers(&site_id, &peer_id)
        .await
        .expect("list");
    assert_eq!(owned.len(), 1);
    assert_eq!(
        owned[0]
            .messaging_settings
            .as_ref()
            .and_then(|m| m.sms_enabled),
        Some(true),
        "numbers on an SMS location report SmsEnabled"
    );
    let request = MessageRequest {
        application_id: app_id.clone(),
        to: vec!["+15555550123".to_string()],
        from: from.clone(),
        text: Some("Hello from the loopback".to_string()),
        tag: Some("1|2|3".to_string()),
        ..MessageRequest::default()
    };
    let message = h.client.send_message(&request).await.expect("send");
    assert_eq!(message.id.len(), 29, "{}", message.id);
    assert!(message.id[..13].bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(message.owner.as_deref(), Some(from.as_str()));
    assert_eq!(message.from.as_deref(), Some(from.as_str()));
    assert_eq!(message.to, ["+15555550123"]);
    assert_eq!(message.application_id.as_deref(), Some(app_id.as_str()));
    assert_eq!(message.segment_count, Some(1));
    assert_eq!(message.direction.as_deref(), Some("out"));
    assert_eq!(message.tag.as_deref(), Some("1|2|3"));

    let sent = h.requests_to("POST", "/messages").await;
    assert_eq!(sent[0]["status"], 202);
    assert_eq!(
        sent[0]["path"],
        format!("/api/v2/users/{}/messages", h.account())
    );
    let body: Value = serde_json::from_str(text(&sent[0]["body"])).expect("JSON");
    assert_eq!(body["applicationId"], app_id);
    assert_eq!(body["to"], json!(["+15555550123"]));

    let page = h
        .client
        .list_messages(&MessagesQuery {
            message_id: Some(message.id.clone()),
            ..MessagesQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(page.total_count, Some(1));
    assert_eq!(page.messages.len(), 1);
    let record = &page.messages[0];
    assert_eq!(record.message_id, message.id);
    assert_eq!(record.source_tn.as_deref(), Some(from.as_str()));
    assert_eq!(record.destination_tn.as_deref(), Some("+15555550123"));
    assert_eq!(record.message_direction.as_deref(), Some("OUTBOUND"));
    assert_eq!(record.message_type.as_deref(), Some("sms"));
    assert_eq!(record.segment_count, Some(1));

    let by_destination = h
        .client
        .list_messages(&MessagesQuery {
            destination_tn: Some("+15555550123".to_string()),
            limit: Some(1),
            ..MessagesQuery::default()
        })
        .await
        .expect("list by destination");
    assert_eq!(by_destination.messages.len(), 1);
    assert_eq!(by_destination.messages[0].message_id, message.id);
}

#[tokio::test]
async fn listing_messages_that_match_nothing_is_an_empty_page() {
    let h = start().await;
    let page = h
        .client
        .list_messages(&MessagesQuery {
            source_tn: Some("+19195550199".to_string()),
            ..MessagesQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(page.total_count, Some(0));
    assert!(page.messages.is_empty());
}

#[tokio::test]
async fn listing_messages_without_a_filter_is_a_request_validation_400() {
    let h = start().await;
    let error = h
        .client
        .list_messages(&MessagesQuery::default())
        .await
        .expect_err("one parameter is required");
    assert_rejected(&error, Api::Messaging, 400, "request-validation");
}

#[tokio::test]
async fn sending_from_a_bad_number_is_a_400_with_typed_field_errors() {
    let h = start().await;
    let request = MessageRequest {
        application_id: "93de2206-9669-4e07-948d-329f4b722ee2".to_string(),
        to: vec!["+15555550123".to_string()],
        from: "+invalid".to_string(),
        text: Some("nope".to_string()),
        ..MessageRequest::default()
    };
    let error = h.client.send_message(&request).await.expect_err("bad from");
    assert_rejected(&error, Api::Messaging, 400, "request-validation");
    let Error::Rejected { field_errors, .. } = &error else {
        unreachable!("checked above")
    };
    let from = field_errors
        .iter()
        .find(|f| f.field_name == "from")
        .unwrap_or_else(|| panic!("no fieldError for from: {field_errors:?}"));
    assert!(
        from.description.contains("+invalid"),
        "{}",
        from.description
    );
    assert!(from.description.contains("E164"), "{}", from.description);
}

// ---------- credentials and permissions ----------

#[tokio::test]
async fn a_wrong_password_is_an_auth_failure_on_both_apis() {
    let h = start().await;
    let mut credentials = default_credentials();
    credentials.password = "not-the-password".to_string();
    let client = client_for(&h.emulator, credentials);

    let error = client
        .verify_credentials()
        .await
        .expect_err("wrong password");
    assert_eq!(error.api(), Some(Api::Dashboard));
    assert_eq!(error.status(), Some(401));
    assert!(
        error.errors().is_empty(),
        "a Dashboard 401 has an empty body"
    );
    assert!(error.is_auth_failure(), "{error}");
    assert!(!error.is_transient());

    let error = client
        .list_messages(&MessagesQuery {
            message_id: Some("x".to_string()),
            ..MessagesQuery::default()
        })
        .await
        .expect_err("wrong password");
    assert_rejected(&error, Api::Messaging, 401, "unauthorized");
    assert!(error.is_auth_failure());
}

#[tokio::test]
async fn another_account_id_is_forbidden_on_both_apis() {
    let h = start().await;
    let mut credentials = default_credentials();
    credentials.account_id = "1234567".to_string();
    let client = client_for(&h.emulator, credentials);

    let error = client.list_sites().await.expect_err("not our account");
    assert_rejected(&error, Api::Dashboard, 403, "1001");
    assert!(error.is_auth_failure());

    let error = client
        .send_message(&MessageRequest {
            application_id: "a".to_string(),
            to: vec!["+15555550123".to_string()],
            from: "+19195550100".to_string(),
            ..MessageRequest::default()
        })
        .await
        .expect_err("not our account");
    assert_rejected(&error, Api::Messaging, 403, "forbidden");
    assert!(error.is_auth_failure());
}

// ---------- injected faults ----------

#[tokio::test]
async fn an_injected_503_on_orders_is_transient_and_the_retry_succeeds() {
    let h = start().await;
    let (site_id, _) = h.location().await;
    h.inject(json!({"method": "POST", "path": "/orders", "status": 503, "times": 1}))
        .await;
    let order = NewOrder::area_code(&site_id, "919", 1);
    let error = h.client.create_order(&order).await.expect_err("injected");
    assert_eq!(error.status(), Some(503), "{error}");
    assert!(error.is_transient(), "{error}");
    assert!(!error.is_auth_failure());

    let retried = h.client.create_order(&order).await.expect("fault used up");
    assert_eq!(retried.order_status, Some(OrderStatus::Received));
    let statuses: Vec<Value> = h
        .requests_to("POST", "/orders")
        .await
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(503), json!(201)]);
}

#[tokio::test]
async fn an_injected_dashboard_429_is_rate_limited_with_a_retry_time() {
    let h = start().await;
    h.inject(json!({"method": "GET", "path": "/availableNumbers", "status": 429}))
        .await;
    let before = Utc::now();
    let error = h
        .client
        .search_available_numbers(&AvailableNumbersQuery::area_code("919", 1))
        .await
        .expect_err("injected");
    assert!(
        matches!(
            error,
            Error::RateLimited {
                api: Api::Dashboard,
                ..
            }
        ),
        "{error:?}"
    );
    let retry_at = error.retry_at().expect("X-RateLimit-Reset is read");
    assert!(
        retry_at >= before - chrono::Duration::seconds(1),
        "{retry_at}"
    );
    assert!(
        retry_at <= Utc::now() + chrono::Duration::seconds(5),
        "{retry_at}"
    );
    assert!(error.is_transient());
}

#[tokio::test]
async fn an_injected_messaging_429_is_rate_limited_with_a_retry_time() {
    let h = start().await;
    h.inject(json!({"method": "POST", "path": "/messages", "status": 429}))
        .await;
    let before = Utc::now();
    let error = h
        .client
        .send_message(&MessageRequest {
            application_id: "a".to_string(),
            to: vec!["+15555550123".to_string()],
            from: "+19195550100".to_string(),
            ..MessageRequest::default()
        })
        .await
        .expect_err("injected");
    assert!(
        matches!(
            error,
            Error::RateLimited {
                api: Api::Messaging,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("max-message-queue-size-exceeded"));
    let retry_at = error.retry_at().expect("Retry-After is read");
    assert!(retry_at > before, "{retry_at}");
    assert!(
        retry_at <= Utc::now() + chrono::Duration::seconds(5),
        "{retry_at}"
    );
}

#[tokio::test]
async fn an_injected_delay_beyond_the_client_timeout_is_a_timeout() {
    let h = start().await;
    let http =
        build_http_client(Duration::from_secs(2), Duration::from_millis(300)).expect("http client");
    let client = BandwidthClient::with_http(http, endpoints(&h.emulator), default_credentials())
        .expect("client");
    h.inject(json!({"method": "GET", "path": "/sites", "delayMs": 3000}))
        .await;
    let error = client.list_sites().await.expect_err("too slow");
    assert!(
        matches!(
            error,
            Error::Timeout {
                api: Api::Dashboard,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(error.status(), None);

    // The fault is used up: the same short-timeout client now gets an answer.
    client.list_sites().await.expect("no delay any more");
}

// ---------- 10DLC (issue #16) ----------

#[tokio::test]
async fn a_tn_option_order_goes_received_then_processing_then_complete_and_tn_details_show_the_campaign()
 {
    use spoke_bandwidth::bandwidth::{A2pAction, NewTnOptionOrder, TnOptionStatus};
    let h = start().await;
    let (site_id, _, _) = h.messaging_location().await;
    let order = h
        .order_until_final(&NewOrder::area_code(&site_id, "919", 2))
        .await;
    let numbers = numbers_of(&order);
    let seeded = h
        .control
        .post(format!("{}/_emulator/campaigns", h.emulator.base_url()))
        .json(&json!({"campaignId": "CA1"}))
        .send()
        .await
        .expect("seed");
    assert_eq!(seeded.status(), 201);
    let assign = |action, campaign: Option<&str>| NewTnOptionOrder {
        customer_order_id: Some("sbw-1-job-1".into()),
        action,
        campaign_id: campaign.map(str::to_owned),
        telephone_numbers: numbers.clone(),
    };

    let created = h
        .client
        .create_tn_option_order(&assign(A2pAction::AsSpecified, Some("CA1")))
        .await
        .expect("created");
    assert_eq!(created.status, TnOptionStatus::Received);
    let first = h
        .client
        .get_tn_option_order(&created.order_id)
        .await
        .expect("poll");
    assert_eq!(first.status, TnOptionStatus::Processing);
    let second = h
        .client
        .get_tn_option_order(&created.order_id)
        .await
        .expect("poll");
    assert_eq!(second.status, TnOptionStatus::Complete, "{second:?}");
    let details = h
        .client
        .get_tn_messaging_settings(&numbers[0])
        .await
        .expect("details");
    assert_eq!(details.campaign_id.as_deref(), Some("CA1"));
    let mut on = h
        .client
        .list_campaign_numbers("CA1")
        .await
        .expect("numbers");
    on.sort();
    let mut expected = numbers.clone();
    expected.sort();
    assert_eq!(on, expected);
    let listed = h.client.list_campaigns().await.expect("campaigns");
    assert_eq!(listed[0].campaign_id, "CA1");
    assert_eq!(listed[0].mno_statuses.len(), 2);

    // An unknown campaign fails every number with 12128 (HTTP 200, per-number errors).
    let unknown = h
        .client
        .create_tn_option_order(&assign(A2pAction::AsSpecified, Some("CANOPE")))
        .await
        .expect("created");
    h.client
        .get_tn_option_order(&unknown.order_id)
        .await
        .expect("poll");
    let failed = h
        .client
        .get_tn_option_order(&unknown.order_id)
        .await
        .expect("poll");
    assert_eq!(failed.status, TnOptionStatus::Failed);
    assert_eq!(failed.errors.len(), 2);
    assert!(
        failed
            .errors
            .iter()
            .all(|e| e.code == "12128" && e.telephone_number.is_some())
    );

    // asSpecified without a campaign is refused at once.
    let refused = h
        .client
        .create_tn_option_order(&assign(A2pAction::AsSpecified, None))
        .await
        .unwrap_err();
    assert!(refused.has_code("12822"), "{refused}");

    // delete takes them off.
    let removed = h
        .client
        .create_tn_option_order(&assign(A2pAction::Delete, None))
        .await
        .expect("created");
    h.client
        .get_tn_option_order(&removed.order_id)
        .await
        .expect("poll");
    let done = h
        .client
        .get_tn_option_order(&removed.order_id)
        .await
        .expect("poll");
    assert_eq!(done.status, TnOptionStatus::Complete);
    let details = h
        .client
        .get_tn_messaging_settings(&numbers[0])
        .await
        .expect("details");
    assert_eq!(details.campaign_id, None);
    assert_eq!(details.message_class.as_deref(), Some("UNREGISTERED"));
}
