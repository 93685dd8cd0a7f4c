//! End-to-end tests of the Bandwidth emulator over real HTTP on loopback: credentials, the
//! Dashboard setup sequence with raw XML, messaging, the callback challenge flow, faults and reset.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use spoke_bandwidth::emulator::{self, Emulator, EmulatorConfig, xml};

const CALLBACK_USER: &str = "bandwidth.com";
const CALLBACK_PASSWORD: &str = "DYYaO5j6ZiIpaQtbf5OolJrfqzptiz+Bt98F4FTqgo4=";

fn test_config() -> EmulatorConfig {
    EmulatorConfig {
        callback_timeout: Duration::from_secs(2),
        callback_max_attempts: 4,
        callback_backoff_base: Duration::from_millis(10),
        ..EmulatorConfig::default()
    }
}

async fn start(config: EmulatorConfig) -> Emulator {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    emulator::spawn(listener, config)
        .await
        .expect("spawn emulator")
}

// ---------- a scripted callback receiver ----------

#[derive(Clone, Copy)]
enum Reply {
    Ok,
    Status(u16),
    Challenge,
}

#[derive(Clone, Debug)]
struct Hit {
    authorization: Option<String>,
    content_type: Option<String>,
    user_agent: Option<String>,
    body: Value,
}

#[derive(Clone, Default)]
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl Receiver {
    async fn start(script: Vec<Reply>) -> (Self, String) {
        let receiver = Receiver {
            hits: Arc::default(),
            script: Arc::new(Mutex::new(script.into())),
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("lock").clone()
    }

    /// Waits (bounded) until at least `n` callbacks arrived.
    async fn wait_for(&self, n: usize) -> Vec<Hit> {
        for _ in 0..400 {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {n} callbacks, got {:?}", self.hits());
    }
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    let get = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    r.hits.lock().expect("lock").push(Hit {
        authorization: get(header::AUTHORIZATION),
        content_type: get(header::CONTENT_TYPE),
        user_agent: get(header::USER_AGENT),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let reply = r
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or(Reply::Ok);
    match reply {
        Reply::Ok => (StatusCode::OK, "{\"success\":true}").into_response(),
        Reply::Status(s) => StatusCode::from_u16(s).expect("status").into_response(),
        Reply::Challenge => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"401\"")],
        )
            .into_response(),
    }
}

// ---------- a Bandwidth API client speaking raw XML/JSON ----------

struct Api {
    http: reqwest::Client,
    base: String,
    account: String,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn xml(&self) -> xml::Element {
        xml::parse(&self.body).unwrap_or_else(|e| panic!("not XML ({e}): {}", self.body))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn location(&self) -> String {
        self.headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .expect("Location header")
            .to_string()
    }

    fn location_id(&self) -> String {
        self.location()
            .rsplit('/')
            .next()
            .expect("id segment")
            .to_string()
    }
}

impl Api {
    fn new(emulator: &Emulator) -> Self {
        Self {
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            base: emulator.base_url(),
            account: emulator.state().config().account_id.clone(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request");
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }

    /// A Dashboard call under `/api/accounts/{account}`.
    async fn dash(&self, method: reqwest::Method, path: &str, body: Option<&str>) -> Answer {
        let url = format!("{}/api/accounts/{}{path}", self.base, self.account);
        let mut request = self
            .http
            .request(method, url)
            .basic_auth("emulator", Some("emulator-password"));
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/xml")
                .body(body.to_string());
        }
        self.send(request).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.dash(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: &str) -> Answer {
        self.dash(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: &str) -> Answer {
        self.dash(reqwest::Method::PUT, path, Some(body)).await
    }

    async fn send_message(&self, body: &Value) -> Answer {
        let url = format!("{}/api/v2/users/{}/messages", self.base, self.account);
        let request = self
            .http
            .post(url)
            .basic_auth("emulator", Some("emulator-password"))
            .json(body);
        self.send(request).await
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}/_emulator{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    async fn callbacks(&self) -> Vec<Value> {
        let answer = self.control(reqwest::Method::GET, "/callbacks", None).await;
        answer.json().as_array().cloned().unwrap_or_default()
    }

    /// Waits (bounded) until `/_emulator/callbacks` holds `n` attempts, then lets any straggler
    /// arrive so tests can check nothing more was sent.
    async fn wait_callbacks(&self, n: usize) -> Vec<Value> {
        for _ in 0..400 {
            let attempts = self.callbacks().await;
            if attempts.len() >= n {
                return attempts;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "expected {n} callback attempts, got {:?}",
            self.callbacks().await
        );
    }
}

fn texts<'a>(el: &'a xml::Element, container: &[&str], item: &'a str) -> Vec<String> {
    el.path(container)
        .map(|c| c.children_named(item).map(|e| e.text.clone()).collect())
        .unwrap_or_default()
}

/// Ids of a fully provisioned account: site, peer, application, and its numbers (E.164).
struct Provisioned {
    site: String,
    peer: String,
    app: String,
    numbers: Vec<String>,
}

fn application_xml(callback_url: &str, types: &[&str]) -> String {
    let types: String = types
        .iter()
        .map(|t| format!("<CallbackType>{t}</CallbackType>"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Application>
  <AppName>Spoke app, org1</AppName>
  <CallbackUrl>{callback_url}</CallbackUrl>
  <MsgCallbackUrl>{callback_url}</MsgCallbackUrl>
  <CallbackCreds><UserId>{CALLBACK_USER}</UserId><Password>{CALLBACK_PASSWORD}</Password></CallbackCreds>
  <RequestedCallbackTypes>{types}</RequestedCallbackTypes>
  <ServiceType>Messaging-V2</ServiceType>
</Application>"#
    )
}

const SITE_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Site><Name>Spoke org1 Acme Org</Name><Address><HouseNumber>900</HouseNumber>
<StreetName>Main Campus Dr</StreetName><City>Raleigh</City><StateCode>NC</StateCode>
<Zip>27606</Zip><AddressType>Billing</AddressType></Address></Site>"#;

const SMS_XML: &str = r#"<SipPeerSmsFeature><SipPeerSmsFeatureSettings><TollFree>true</TollFree>
<Protocol>HTTP</Protocol><Zone1>true</Zone1><Zone2>false</Zone2><Zone3>false</Zone3>
<Zone4>false</Zone4><Zone5>false</Zone5></SipPeerSmsFeatureSettings><HttpSettings/></SipPeerSmsFeature>"#;

const MMS_XML: &str = r#"<MmsFeature><MmsSettings><Protocol>HTTP</Protocol></MmsSettings>
<Protocols><HTTP><HttpSettings/></HTTP></Protocols></MmsFeature>"#;

fn peer_xml(site: &str, name: &str) -> String {
    format!(
        "<SipPeer><SiteId>{site}</SiteId><PeerName>{name}</PeerName><IsDefaultPeer>true</IsDefaultPeer></SipPeer>"
    )
}

fn order_xml(site: &str, area_code: &str, quantity: u32) -> String {
    format!(
        "<Order><Name>test</Name><SiteId>{site}</SiteId><AreaCodeSearchAndOrderType>\
         <AreaCode>{area_code}</AreaCode><Quantity>{quantity}</Quantity>\
         </AreaCodeSearchAndOrderType></Order>"
    )
}

/// Orders `quantity` numbers and polls until the order leaves RECEIVED/PROCESSING.
async fn order_numbers(api: &Api, site: &str, area_code: &str, quantity: u32) -> xml::Element {
    let created = api
        .post("/orders", &order_xml(site, area_code, quantity))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.location_id();
    for _ in 0..10 {
        let got = api.get(&format!("/orders/{id}")).await;
        assert_eq!(got.status, 200, "{}", got.body);
        let doc = got.xml();
        let status = doc
            .text_at(&["OrderStatus"])
            .unwrap_or_default()
            .to_string();
        if status != "RECEIVED" && status != "PROCESSING" {
            return doc;
        }
    }
    panic!("order {id} never finished");
}

async fn provision(api: &Api, callback_url: &str, types: &[&str], count: u32) -> Provisioned {
    let site = api.post("/sites", SITE_XML).await.location_id();
    let peer = api
        .post(
            &format!("/sites/{site}/sippeers"),
            &peer_xml(&site, "Spoke org1"),
        )
        .await
        .location_id();
    let features = format!("/sites/{site}/sippeers/{peer}/products/messaging");
    assert_eq!(
        api.post(&format!("{features}/features/sms"), SMS_XML)
            .await
            .status,
        201
    );
    assert_eq!(
        api.post(&format!("{features}/features/mms"), MMS_XML)
            .await
            .status,
        201
    );
    let app = api
        .post("/applications", &application_xml(callback_url, types))
        .await
        .location_id();
    let associate = format!(
        "<ApplicationsSettings><HttpMessagingV2AppId>{app}</HttpMessagingV2AppId></ApplicationsSettings>"
    );
    let associated = api
        .put(&format!("{features}/applicationSettings"), &associate)
        .await;
    assert_eq!(associated.status, 200, "{}", associated.body);
    let order = order_numbers(api, &site, "919", count).await;
    let numbers = order
        .path(&["CompletedNumbers"])
        .map(|c| {
            c.children_named("TelephoneNumber")
                .filter_map(|t| t.text_at(&["FullNumber"]))
                .map(|n| format!("+1{n}"))
                .collect()
        })
        .unwrap_or_default();
    Provisioned {
        site,
        peer,
        app,
        numbers,
    }
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

const ALL_TYPES: [&str; 3] = ["message-sending", "message-delivered", "message-failed"];

// ---------- tests ----------

#[tokio::test]
async fn a_callback_answers_the_challenge_then_retries_until_delivered_with_credentials() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) =
        Receiver::start(vec![Reply::Challenge, Reply::Status(500), Reply::Ok]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;

    let sent = api
        .send_message(&json!({"applicationId": p.app, "from": p.numbers[0],
                               "to": ["+15555550123"], "text": "hello", "tag": "1|42|1001"}))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.body);

    let hits = receiver.wait_for(3).await;
    assert_eq!(hits[0].authorization, None);
    let creds = basic(CALLBACK_USER, CALLBACK_PASSWORD);
    assert_eq!(hits[1].authorization.as_deref(), Some(creds.as_str()));
    assert_eq!(hits[2].authorization.as_deref(), Some(creds.as_str()));
    assert_eq!(
        hits[2].content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(hits[2].user_agent.as_deref(), Some("BandwidthAPI/v2"));
    let event = &hits[2].body[0];
    assert_eq!(event["type"], "message-delivered");
    assert_eq!(event["to"], "+15555550123");
    assert_eq!(event["message"]["tag"], "1|42|1001");
    assert_eq!(event["message"]["id"], sent.json()["id"]);
    assert_eq!(event["message"]["owner"], p.numbers[0]);

    let attempts = api.wait_callbacks(3).await;
    let summary: Vec<(bool, Option<u64>, &str)> = attempts
        .iter()
        .map(|a| {
            (
                a["authorized"].as_bool().expect("bool"),
                a["status"].as_u64(),
                a["outcome"].as_str().expect("outcome"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (false, Some(401), "challenged"),
            (true, Some(500), "retry"),
            (true, Some(200), "delivered"),
        ]
    );
    assert_eq!(attempts[2]["eventTypes"], json!(["message-delivered"]));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_401_without_www_authenticate_drops_the_event_without_retrying_with_credentials() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![Reply::Status(401)]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;

    let sent = api
        .send_message(&json!({"applicationId": p.app, "from": p.numbers[0],
                               "to": ["+15555550123"], "text": "hello"}))
        .await;
    assert_eq!(sent.status, 202);

    let attempts = api.wait_callbacks(1).await;
    assert_eq!(attempts[0]["outcome"], "dropped");
    assert_eq!(attempts[0]["authorized"], false);
    // Give a (wrong) retry time to show up before checking that none did.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(api.callbacks().await.len(), 1);
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].authorization, None);
    emulator.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_get_401_and_another_account_gets_403_on_both_apis() {
    let emulator = start(test_config()).await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let base = emulator.base_url();

    let dashboard = http
        .get(format!("{base}/api/accounts/9900000/sites"))
        .basic_auth("emulator", Some("wrong"))
        .send()
        .await
        .expect("send");
    assert_eq!(dashboard.status(), 401);
    assert!(
        dashboard
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Basic realm="))
    );
    assert_eq!(dashboard.text().await.expect("body"), "");

    let missing = http
        .get(format!("{base}/api/v1/accounts/9900000/sites"))
        .send()
        .await
        .expect("send");
    assert_eq!(missing.status(), 401);

    let messaging = http
        .get(format!("{base}/api/v2/users/9900000/messages?limit=1"))
        .basic_auth("nobody", Some("emulator-password"))
        .send()
        .await
        .expect("send");
    assert_eq!(messaging.status(), 401);
    let body: Value = messaging.json().await.expect("json");
    assert_eq!(
        body,
        json!({"type": "unauthorized", "description": "Authentication Failed"})
    );

    let forbidden = http
        .get(format!("{base}/api/accounts/1234567/sites"))
        .basic_auth("emulator", Some("emulator-password"))
        .send()
        .await
        .expect("send");
    assert_eq!(forbidden.status(), 403);
    let doc = xml::parse(&forbidden.text().await.expect("body")).expect("xml");
    assert_eq!(doc.name, "SiteResponse");
    assert_eq!(doc.text_at(&["ResponseStatus", "ErrorCode"]), Some("1001"));
    assert_eq!(
        doc.text_at(&["ResponseStatus", "Description"]),
        Some("Access Denied")
    );

    let forbidden = http
        .post(format!("{base}/api/v2/users/1234567/messages"))
        .basic_auth("emulator", Some("emulator-password"))
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(forbidden.status(), 403);
    let body: Value = forbidden.json().await.expect("json");
    assert_eq!(
        body,
        json!({"type": "forbidden", "description": "Access Denied"})
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_full_setup_sequence_with_raw_xml_ends_with_numbers_on_the_location() {
    let config = EmulatorConfig {
        order_polls_to_complete: 2,
        ..test_config()
    };
    let emulator = start(config).await;
    let api = Api::new(&emulator);

    // Site: 201 + Location + Id + Country; 400 1003 without address; 404 12016 when unknown.
    let site = api.post("/sites", SITE_XML).await;
    assert_eq!(site.status, 201);
    assert!(site.body.starts_with(xml::DECLARATION));
    assert_eq!(
        site.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/xml")
    );
    let doc = site.xml();
    let site_id = site.location_id();
    assert!(site.location().contains("/api/accounts/9900000/sites/"));
    assert_eq!(doc.text_at(&["Site", "Id"]), Some(site_id.as_str()));
    assert_eq!(
        doc.text_at(&["Site", "Address", "Country"]),
        Some("United States")
    );
    let no_address = api.post("/sites", "<Site><Name>x</Name></Site>").await;
    assert_eq!(no_address.status, 400);
    assert_eq!(
        no_address.xml().text_at(&["ResponseStatus", "ErrorCode"]),
        Some("1003")
    );
    let unknown = api.get("/sites/424242").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.xml().text_at(&["ResponseStatus", "ErrorCode"]),
        Some("12016")
    );

    // Sip peer: 201 + Location, no body; Spoke's extra <SiteId> is ignored.
    let peer = api
        .post(
            &format!("/sites/{site_id}/sippeers"),
            &peer_xml(&site_id, "Spoke org1"),
        )
        .await;
    assert_eq!(peer.status, 201);
    assert!(peer.body.is_empty());
    let peer_id = peer.location_id();
    let got = api
        .get(&format!("/sites/{site_id}/sippeers/{peer_id}"))
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.xml().text_at(&["SipPeer", "IsDefaultPeer"]),
        Some("true")
    );
    let missing = api.get(&format!("/sites/{site_id}/sippeers/1")).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.xml().text_at(&["ResponseStatus", "ErrorCode"]),
        Some("13563")
    );

    // MMS before SMS is refused; then SMS, then MMS (lowercase response tags).
    let features = format!("/sites/{site_id}/sippeers/{peer_id}/products/messaging");
    let early = api.post(&format!("{features}/features/mms"), MMS_XML).await;
    assert_eq!(early.status, 400);
    assert_eq!(
        early.xml().text_at(&["ResponseStatus", "ErrorCode"]),
        Some("13623")
    );
    let not_http = api
        .put(
            &format!("{features}/applicationSettings"),
            "<ApplicationsSettings><HttpMessagingV2AppId>x</HttpMessagingV2AppId></ApplicationsSettings>",
        )
        .await;
    assert_eq!(
        not_http.xml().text_at(&["ResponseStatus", "ErrorCode"]),
        Some("13645")
    );
    let sms = api.post(&format!("{features}/features/sms"), SMS_XML).await;
    assert_eq!(sms.status, 201);
    let sms = sms.xml();
    assert_eq!(
        sms.text_at(&["SipPeerSmsFeature", "HttpSettings", "ProxyPeerId"]),
        Some("539692")
    );
    assert_eq!(
        sms.text_at(&[
            "SipPeerSmsFeature",
            "SipPeerSmsFeatureSettings",
            "ShortCode"
        ]),
        Some("false")
    );
    let mms = api.post(&format!("{features}/features/mms"), MMS_XML).await;
    assert_eq!(mms.status, 201);
    assert!(mms.body.contains("<protocol>HTTP</protocol>"));
    assert!(mms.body.contains("<proxyPeerId>"));
    let sms_again = api.put(&format!("{features}/features/sms"), SMS_XML).await;
    assert_eq!(sms_again.status, 200);

    // Application: 201 + Location; passwords never echoed; legacy creds fan out.
    let app = api
        .post(
            "/applications",
            &application_xml("http://127.0.0.1:9/hook", &ALL_TYPES),
        )
        .await;
    assert_eq!(app.status, 201);
    assert!(!app.body.contains(CALLBACK_PASSWORD));
    let app_id = app.location_id();
    let doc = app.xml();
    assert_eq!(
        doc.text_at(&["Application", "ApplicationId"]),
        Some(app_id.as_str())
    );
    assert_eq!(
        doc.text_at(&["Application", "InboundCallbackCreds", "UserId"]),
        Some(CALLBACK_USER)
    );
    assert_eq!(
        doc.text_at(&["Application", "OutboundCallbackUrl"]),
        Some("http://127.0.0.1:9/hook")
    );
    let unknown_app = api
        .put(
            &format!("{features}/applicationSettings"),
            "<ApplicationsSettings><HttpMessagingV2AppId>nope</HttpMessagingV2AppId></ApplicationsSettings>",
        )
        .await;
    assert_eq!(
        unknown_app.xml().text_at(&["ResponseStatus", "ErrorCode"]),
        Some("13629")
    );
    let associate = format!(
        "<ApplicationsSettings><HttpMessagingV2AppId>{app_id}</HttpMessagingV2AppId></ApplicationsSettings>"
    );
    let associated = api
        .put(&format!("{features}/applicationSettings"), &associate)
        .await;
    assert_eq!(associated.status, 200);
    assert_eq!(
        associated
            .xml()
            .text_at(&["ApplicationsSettings", "HttpMessagingV2AppId"]),
        Some(app_id.as_str())
    );
    let in_use = api
        .dash(
            reqwest::Method::DELETE,
            &format!("/applications/{app_id}"),
            None,
        )
        .await;
    assert_eq!(in_use.status, 400);
    assert_eq!(
        in_use.xml().text_at(&["ResponseStatus", "ErrorCode"]),
        Some("12107")
    );

    // Empty number list, then search and order.
    let tns_path = format!("/sites/{site_id}/sippeers/{peer_id}/tns?page=1&size=5000");
    let empty = api.get(&tns_path).await;
    assert!(empty.body.contains("<SipPeerTelephoneNumbers/>"));
    assert_eq!(api.get("/availableNumbers").await.status, 400);
    let search = api
        .get("/availableNumbers?areaCode=919&quantity=3")
        .await
        .xml();
    assert_eq!(search.text_at(&["ResultCount"]), Some("3"));
    let none = api.get("/availableNumbers?areaCode=999").await.xml();
    assert_eq!(none.text_at(&["ResultCount"]), Some("0"));

    let created = api.post("/orders", &order_xml(&site_id, "919", 3)).await;
    assert_eq!(created.status, 201);
    let order_id = created.location_id();
    let doc = created.xml();
    assert_eq!(doc.text_at(&["Order", "id"]), Some(order_id.as_str()));
    assert!(created.body.contains("<id>"));
    assert_eq!(doc.text_at(&["OrderStatus"]), Some("RECEIVED"));
    let first = api.get(&format!("/orders/{order_id}")).await.xml();
    assert_eq!(first.text_at(&["OrderStatus"]), Some("PROCESSING"));
    let done = api.get(&format!("/orders/{order_id}")).await.xml();
    assert_eq!(done.text_at(&["OrderStatus"]), Some("COMPLETE"));
    let ordered: Vec<String> = done
        .path(&["CompletedNumbers"])
        .expect("completed")
        .children_named("TelephoneNumber")
        .filter_map(|t| t.text_at(&["FullNumber"]).map(str::to_string))
        .collect();
    assert_eq!(ordered.len(), 3);
    let listed = texts(
        &api.get(&tns_path).await.xml(),
        &["SipPeerTelephoneNumbers"],
        "SipPeerTelephoneNumber",
    );
    assert_eq!(listed.len(), 3);
    let page_two = api
        .get(&format!(
            "/sites/{site_id}/sippeers/{peer_id}/tns?page=2&size=2"
        ))
        .await
        .xml();
    assert_eq!(
        page_two
            .path(&["SipPeerTelephoneNumbers"])
            .expect("list")
            .children
            .len(),
        1
    );

    // An invalid site is refused with 5016.
    let bad_site = api.post("/orders", &order_xml("77", "919", 1)).await;
    assert_eq!(bad_site.status, 400);
    assert_eq!(
        bad_site.xml().text_at(&["ErrorList", "Error", "Code"]),
        Some("5016")
    );

    // 999 has no numbers: FAILED with 5018, at HTTP 200.
    let failed = order_numbers(&api, &site_id, "999", 1).await;
    assert_eq!(failed.text_at(&["OrderStatus"]), Some("FAILED"));
    assert_eq!(
        failed.text_at(&["ErrorList", "Error", "Code"]),
        Some("5018")
    );

    // 919 has 20 numbers, 3 are taken: asking for 20 is PARTIAL with the 17 left.
    let partial = order_numbers(&api, &site_id, "919", 20).await;
    assert_eq!(partial.text_at(&["OrderStatus"]), Some("PARTIAL"));
    assert_eq!(
        partial.text_at(&["ErrorList", "Error", "Code"]),
        Some("5005")
    );
    assert_eq!(partial.text_at(&["CompletedQuantity"]), Some("17"));
    assert_eq!(partial.text_at(&["FailedQuantity"]), Some("3"));
    let listed = texts(
        &api.get(&tns_path).await.xml(),
        &["SipPeerTelephoneNumbers"],
        "SipPeerTelephoneNumber",
    );
    assert_eq!(listed.len(), 20);

    // Disconnect (lowercase <name>): COMPLETE, and the number leaves the location.
    let disconnect = format!(
        "<DisconnectTelephoneNumberOrder><name>run</name><DisconnectTelephoneNumberOrderType>\
         <TelephoneNumberList><TelephoneNumber>{}</TelephoneNumber></TelephoneNumberList>\
         </DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>",
        ordered[0]
    );
    let created = api.post("/disconnects", &disconnect).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.xml().text_at(&["OrderStatus"]), Some("RECEIVED"));
    let id = created.location_id();
    let got = api.get(&format!("/disconnects/{id}")).await.xml();
    assert_eq!(got.text_at(&["OrderStatus"]), Some("COMPLETE"));
    let tns = api.get(&tns_path).await.body;
    assert!(!tns.contains(&ordered[0]));
    assert!(tns.contains(&ordered[1]));

    // Disconnecting a number not on the account fails with 5006.
    let foreign = disconnect.replace(&ordered[0], "9192755703");
    let id = api.post("/disconnects", &foreign).await.location_id();
    let got = api.get(&format!("/disconnects/{id}")).await.xml();
    assert_eq!(got.text_at(&["OrderStatus"]), Some("FAILED"));
    assert_eq!(got.text_at(&["ErrorList", "Error", "Code"]), Some("5006"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_also_answers_under_api_v1() {
    let emulator = start(test_config()).await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let response = http
        .post(format!(
            "{}/api/v1/accounts/9900000/sites",
            emulator.base_url()
        ))
        .basic_auth("emulator", Some("emulator-password"))
        .body(SITE_XML)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 201);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    assert!(location.contains("/api/v1/accounts/9900000/sites/"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_destination_ending_in_4720_gets_message_failed_with_that_code() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;

    let sent = api
        .send_message(&json!({"applicationId": p.app, "from": p.numbers[0],
                               "to": ["+15555554720"], "text": "hi", "tag": "t"}))
        .await;
    assert_eq!(sent.status, 202);
    let hits = receiver.wait_for(1).await;
    let event = &hits[0].body[0];
    assert_eq!(event["type"], "message-failed");
    assert_eq!(event["errorCode"], 4720);
    assert_eq!(event["description"], "invalid-destination-address");
    assert_eq!(event["message"]["tag"], "t");

    let listed = api
        .send(
            api.http
                .get(format!(
                    "{}/api/v2/users/9900000/messages?destinationTn=%2B15555554720",
                    api.base
                ))
                .basic_auth("emulator", Some("emulator-password")),
        )
        .await
        .json();
    assert_eq!(listed["totalCount"], 1);
    assert_eq!(listed["messages"][0]["messageStatus"], "FAILED");
    assert_eq!(listed["messages"][0]["errorCode"], 4720);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_destination_marked_opted_out_at_the_carrier_gets_message_failed_4775() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;
    let control = |path: &str| format!("{}/_emulator{path}", api.base);

    let bad = api
        .http
        .post(control("/carrier-opt-outs"))
        .json(&json!({"number": "5550123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let marked = api
        .http
        .post(control("/carrier-opt-outs"))
        .json(&json!({"number": "+15555550123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(marked.status(), 201);
    let listed: Value = api
        .http
        .get(control("/carrier-opt-outs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!(["+15555550123"]));

    let sent = api
        .send_message(&json!({"applicationId": p.app, "from": p.numbers[0],
                               "to": ["+15555550123", "+15555550124"], "text": "hi"}))
        .await;
    assert_eq!(sent.status, 202);
    let hits = receiver.wait_for(2).await;
    let event = |to: &str| {
        hits.iter()
            .map(|h| h.body[0].clone())
            .find(|e| e["to"] == to)
            .unwrap()
    };
    assert_eq!(event("+15555550123")["type"], "message-failed");
    assert_eq!(event("+15555550123")["errorCode"], 4775);
    assert_eq!(
        event("+15555550123")["description"],
        "destination-rejected-due-to-user-opt-out"
    );
    assert_eq!(
        event("+15555550124")["type"],
        "message-delivered",
        "only the marked one"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_mms_gets_message_sending_before_message_delivered() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;

    let sent = api
        .send_message(&json!({"applicationId": p.app, "from": p.numbers[0],
                               "to": ["+15555550123"], "text": "pic",
                               "media": ["https://example.org/a.png"]}))
        .await;
    assert_eq!(sent.status, 202);
    assert_eq!(sent.json()["segmentCount"], 1);
    let hits = receiver.wait_for(2).await;
    assert_eq!(hits[0].body[0]["type"], "message-sending");
    assert_eq!(hits[1].body[0]["type"], "message-delivered");
    assert_eq!(
        hits[1].body[0]["message"]["media"],
        json!(["https://example.org/a.png"])
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn autorespond_text_makes_the_contact_reply_with_message_received() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &["message-delivered", "message-failed"], 1).await;

    let sent = api
        .send_message(&json!({"applicationId": p.app, "from": p.numbers[0],
                               "to": "+15555550123", "text": "Please AutoRespond"}))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    let hits = receiver.wait_for(2).await;
    assert_eq!(hits[0].body[0]["type"], "message-delivered");
    let reply = &hits[1].body[0];
    assert_eq!(reply["type"], "message-received");
    assert_eq!(reply["to"], p.numbers[0]);
    assert_eq!(reply["message"]["owner"], p.numbers[0]);
    assert_eq!(reply["message"]["from"], "+15555550123");
    assert_eq!(reply["message"]["direction"], "in");
    assert_eq!(reply["message"]["applicationId"], p.app);
    emulator.shutdown().await;
}

#[tokio::test]
async fn sends_are_validated_like_bandwidth_does() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (_receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;

    let bad_from = api
        .send_message(&json!({"applicationId": p.app, "from": "+invalid",
                               "to": ["+15555550123"], "text": "x"}))
        .await;
    assert_eq!(bad_from.status, 400);
    let body = bad_from.json();
    assert_eq!(body["type"], "request-validation");
    assert_eq!(body["fieldErrors"][0]["fieldName"], "from");

    let unknown_app = api
        .send_message(&json!({"applicationId": "nope", "from": p.numbers[0],
                               "to": ["+15555550123"], "text": "x"}))
        .await;
    assert_eq!(unknown_app.status, 400);
    assert_eq!(
        unknown_app.json()["fieldErrors"][0]["fieldName"],
        "applicationId"
    );

    let text_plain = api
        .send(
            api.http
                .post(format!("{}/api/v2/users/9900000/messages", api.base))
                .basic_auth("emulator", Some("emulator-password"))
                .header("content-type", "text/plain;charset=UTF-8")
                .body("{}"),
        )
        .await;
    assert_eq!(text_plain.status, 415);
    assert_eq!(text_plain.json()["type"], "unsupported-content-type");

    let ok = api
        .send_message(&json!({"applicationId": p.app, "from": p.numbers[0],
                               "to": ["+15555550123"], "text": "é".repeat(71)}))
        .await;
    assert_eq!(ok.status, 202);
    let body = ok.json();
    let id = body["id"].as_str().expect("id");
    assert_eq!(id.len(), 29);
    assert_eq!(body["owner"], p.numbers[0]);
    assert_eq!(body["direction"], "out");
    assert_eq!(body["segmentCount"], 1);

    let no_query = api
        .send(
            api.http
                .get(format!("{}/api/v2/users/9900000/messages", api.base))
                .basic_auth("emulator", Some("emulator-password")),
        )
        .await;
    assert_eq!(no_query.status, 400);
    let by_id = api
        .send(
            api.http
                .get(format!(
                    "{}/api/v2/users/9900000/messages?messageId={id}",
                    api.base
                ))
                .basic_auth("emulator", Some("emulator-password")),
        )
        .await
        .json();
    assert_eq!(by_id["totalCount"], 1);
    assert_eq!(by_id["messages"][0]["messageStatus"], "DELIVERED");
    assert_eq!(by_id["pageInfo"], json!({}));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_from_number_not_on_the_account_fails_with_4405() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;
    let sent = api
        .send_message(&json!({"applicationId": p.app, "from": "+19195559999",
                               "to": ["+15555550123"], "text": "x"}))
        .await;
    assert_eq!(sent.status, 202);
    let hits = receiver.wait_for(1).await;
    assert_eq!(hits[0].body[0]["type"], "message-failed");
    assert_eq!(hits[0].body[0]["errorCode"], 4405);
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_inbound_control_route_posts_message_received_and_404s_for_unknown_numbers() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![Reply::Challenge]).await;
    let p = provision(&api, &url, &ALL_TYPES, 2).await;

    let injected = api
        .control(
            reqwest::Method::POST,
            "/inbound",
            Some(
                json!({"from": "+15555550123", "to": p.numbers[1], "text": "STOP",
                        "media": ["https://example.org/x.jpg"]}),
            ),
        )
        .await;
    assert_eq!(injected.status, 202, "{}", injected.body);
    let hits = receiver.wait_for(2).await;
    assert_eq!(
        hits[1].authorization.as_deref(),
        Some(basic(CALLBACK_USER, CALLBACK_PASSWORD).as_str())
    );
    let event = &hits[1].body[0];
    assert_eq!(event["type"], "message-received");
    assert_eq!(event["to"], p.numbers[1]);
    assert_eq!(event["message"]["text"], "STOP");
    assert_eq!(
        event["message"]["media"],
        json!(["https://example.org/x.jpg"])
    );

    let unknown = api
        .control(
            reqwest::Method::POST,
            "/inbound",
            Some(json!({"from": "+15555550123", "to": "+12125550000", "text": "hi"})),
        )
        .await;
    assert_eq!(unknown.status, 404);
    emulator.shutdown().await;
}

#[tokio::test]
async fn faults_inject_a_status_for_the_given_number_of_matching_requests() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);

    let fault = api
        .control(
            reqwest::Method::POST,
            "/faults",
            Some(json!({"method": "POST", "path": "/messages", "status": 429, "times": 2})),
        )
        .await;
    assert_eq!(fault.status, 201);
    let message =
        json!({"applicationId": "x", "from": "+19195550100", "to": ["+15555550123"], "text": "x"});
    for _ in 0..2 {
        let limited = api.send_message(&message).await;
        assert_eq!(limited.status, 429);
        assert_eq!(limited.json()["type"], "max-message-queue-size-exceeded");
    }
    // The fault is used up: the request reaches the handler (which rejects the unknown app).
    assert_eq!(api.send_message(&message).await.status, 400);

    api.control(
        reqwest::Method::POST,
        "/faults",
        Some(json!({"path": "/sites", "status": 503, "delayMs": 20})),
    )
    .await;
    let unavailable = api.post("/sites", SITE_XML).await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.xml().name, "SiteResponse");
    assert_eq!(api.post("/sites", SITE_XML).await.status, 201);

    let requests = api
        .control(reqwest::Method::GET, "/requests", None)
        .await
        .json();
    let requests = requests.as_array().expect("array");
    let statuses: Vec<u64> = requests
        .iter()
        .map(|r| r["status"].as_u64().expect("status"))
        .collect();
    assert_eq!(statuses, [429, 429, 400, 503, 201]);
    assert_eq!(requests[3]["method"], "POST");
    assert_eq!(requests[3]["path"], "/api/accounts/9900000/sites");
    assert!(
        requests[3]["body"]
            .as_str()
            .expect("body")
            .contains("Main Campus Dr")
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn reset_clears_resources_records_and_faults() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (_receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;
    api.control(
        reqwest::Method::POST,
        "/faults",
        Some(json!({"path": "/orders", "status": 500, "times": 5})),
    )
    .await;

    let state = api
        .control(reqwest::Method::GET, "/state", None)
        .await
        .json();
    assert_eq!(state["numbers"].as_array().expect("numbers").len(), 1);
    assert_eq!(state["sipPeers"][0]["applicationId"], p.app);
    assert_eq!(state["sipPeers"][0]["id"].to_string(), p.peer);

    let reset = api.control(reqwest::Method::POST, "/reset", None).await;
    assert_eq!(reset.status, 200);
    let state = api
        .control(reqwest::Method::GET, "/state", None)
        .await
        .json();
    assert_eq!(state["sites"], json!([]));
    assert_eq!(state["numbers"], json!([]));
    assert_eq!(state["applications"], json!([]));
    let requests = api
        .control(reqwest::Method::GET, "/requests", None)
        .await
        .json();
    assert_eq!(requests, json!([]));
    let faults = api
        .control(reqwest::Method::GET, "/faults", None)
        .await
        .json();
    assert_eq!(faults, json!([]));
    let unknown = api.get(&format!("/sites/{}", p.site)).await;
    assert_eq!(unknown.status, 404);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_callback_that_keeps_failing_is_given_up_after_the_configured_attempts() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![Reply::Status(503); 10]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;
    let sent = api
        .send_message(&json!({"applicationId": p.app, "from": p.numbers[0],
                               "to": ["+15555550123"], "text": "x"}))
        .await;
    assert_eq!(sent.status, 202);

    let attempts = api.wait_callbacks(4).await;
    let outcomes: Vec<&str> = attempts
        .iter()
        .map(|a| a["outcome"].as_str().expect("outcome"))
        .collect();
    assert_eq!(outcomes, ["retry", "retry", "retry", "gave-up"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.hits().len(), 4);
    emulator.shutdown().await;
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn recorded_request_fixtures_are_answered_as_bandwidth_answers_them() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);

    assert_eq!(
        api.post("/sites", &fixture("dashboard-create-site-request.xml"))
            .await
            .status,
        201
    );
    let site = api
        .post("/sites", &fixture("spoke-derived-create-site-request.xml"))
        .await
        .location_id();
    let mut peers = Vec::new();
    for name in [
        "dashboard-create-sippeer-request.xml",
        "spoke-derived-create-sippeer-request.xml",
    ] {
        let body = fixture(name).replace(
            "<SiteId>12345</SiteId>",
            &format!("<SiteId>{site}</SiteId>"),
        );
        let created = api.post(&format!("/sites/{site}/sippeers"), &body).await;
        assert_eq!(created.status, 201, "{name}: {}", created.body);
        peers.push(created.location_id());
    }
    for (peer, prefix) in peers.iter().zip(["dashboard", "spoke-derived"]) {
        let features = format!("/sites/{site}/sippeers/{peer}/products/messaging/features");
        let sms = api
            .post(
                &format!("{features}/sms"),
                &fixture(&format!("{prefix}-sms-feature-request.xml")),
            )
            .await;
        assert_eq!(sms.status, 201, "{prefix}: {}", sms.body);
        let mms = api
            .post(
                &format!("{features}/mms"),
                &fixture(&format!("{prefix}-mms-feature-request.xml")),
            )
            .await;
        assert_eq!(mms.status, 201, "{prefix}: {}", mms.body);
    }

    for name in [
        "dashboard-create-application-request.xml",
        "dashboard-create-application-request.inbound-outbound.xml",
        "spoke-derived-create-application-request.xml",
    ] {
        let created = api.post("/applications", &fixture(name)).await;
        assert_eq!(created.status, 201, "{name}: {}", created.body);
        assert!(
            !created.body.contains("<Password>"),
            "{name} echoed a password"
        );
        let doc = created.xml();
        assert!(
            doc.text_at(&["Application", "OutboundCallbackCreds", "UserId"])
                .is_some()
        );
        assert!(
            doc.text_at(&["Application", "InboundCallbackUrl"])
                .is_some()
        );
    }

    let toll_free = fixture("dashboard-create-order-tollfree-request.xml")
        .replace("<SiteId>743</SiteId>", &format!("<SiteId>{site}</SiteId>"));
    let created = api.post("/orders", &toll_free).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let done = api
        .get(&format!("/orders/{}", created.location_id()))
        .await
        .xml();
    assert_eq!(done.text_at(&["OrderStatus"]), Some("COMPLETE"));
    let number = done
        .text_at(&["CompletedNumbers", "TelephoneNumber", "FullNumber"])
        .expect("a toll-free number");
    assert!(number.starts_with('8'));

    // Spoke's flat toll-free order has no order type element: refused with 5087.
    let flat = fixture("spoke-derived-create-order-tollfree-request.xml")
        .replace(
            "<SiteId>12345</SiteId>",
            &format!("<SiteId>{site}</SiteId>"),
        )
        .replace(
            "<PeerId>500123</PeerId>",
            &format!("<PeerId>{}</PeerId>", peers[1]),
        );
    let refused = api.post("/orders", &flat).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.xml().text_at(&["ErrorList", "Error", "Code"]),
        Some("5087")
    );

    let disconnect = api
        .post(
            "/disconnects",
            &fixture("dashboard-disconnect-request.lowercase-name.xml"),
        )
        .await;
    assert_eq!(disconnect.status, 201);
    let got = api
        .get(&format!("/disconnects/{}", disconnect.location_id()))
        .await
        .xml();
    assert_eq!(got.text_at(&["OrderStatus"]), Some("FAILED"));
    assert_eq!(got.text_at(&["orderRequest", "Name"]), Some("training run"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn accept_faults_take_the_message_and_then_lose_or_garble_the_answer() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;
    let message = json!({"applicationId": p.app, "from": p.numbers[0],
                         "to": ["+15555550123"], "text": "hi", "tag": "t"});

    // A status with an accept action makes no sense: refused.
    let refused = api
        .control(
            reqwest::Method::POST,
            "/faults",
            Some(json!({"path": "/messages", "action": "acceptThenDelay", "status": 500})),
        )
        .await;
    assert_eq!(refused.status, 400);

    // 202 with a body cut short, and no callbacks at all.
    api.control(
        reqwest::Method::POST,
        "/faults",
        Some(json!({"path": "/messages", "action": "acceptThenGarble", "dropCallbacks": true})),
    )
    .await;
    let garbled = api.send_message(&message).await;
    assert_eq!(garbled.status, 202);
    assert!(
        serde_json::from_str::<Value>(&garbled.body).is_err(),
        "{}",
        garbled.body
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        receiver.hits().is_empty(),
        "no callback for a dropCallbacks send"
    );

    // Accepted, then answered after the client gave up.
    api.control(
        reqwest::Method::POST,
        "/faults",
        Some(json!({"path": "/messages", "action": "acceptThenDelay", "delayMs": 2000})),
    )
    .await;
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let lost = impatient
        .post(format!("{}/api/v2/users/9900000/messages", api.base))
        .basic_auth("emulator", Some("emulator-password"))
        .json(&message)
        .send()
        .await;
    assert!(lost.is_err_and(|e| e.is_timeout()));
    // Its callbacks still go out, and Bandwidth's list has both messages.
    let hits = receiver.wait_for(1).await;
    assert_eq!(hits[0].body[0]["type"], "message-delivered");
    let listed = api
        .send(
            api.http
                .get(format!(
                    "{}/api/v2/users/9900000/messages?destinationTn=%2B15555550123",
                    api.base
                ))
                .basic_auth("emulator", Some("emulator-password")),
        )
        .await
        .json();
    assert_eq!(listed["totalCount"], 2, "{listed}");
    let requests = api
        .control(reqwest::Method::GET, "/requests", None)
        .await
        .json();
    let sends: Vec<&Value> = requests
        .as_array()
        .expect("array")
        .iter()
        .filter(|r| {
            r["method"] == "POST" && r["path"].as_str().unwrap_or("").ends_with("/messages")
        })
        .collect();
    assert_eq!(
        sends.len(),
        2,
        "the lost answer is recorded when the send is handled"
    );
    assert!(sends.iter().all(|r| r["status"] == 202));
    emulator.shutdown().await;
}

#[tokio::test]
async fn message_faults_make_a_number_or_a_text_fail_and_the_queue_rule_answers_429_when_full() {
    let emulator = start(test_config()).await;
    let api = Api::new(&emulator);
    let (receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &ALL_TYPES, 2).await;
    let fault = |body: Value| api.control(reqwest::Method::POST, "/faults", Some(body));
    let message = |from: &str, text: &str| json!({"applicationId": p.app, "from": from, "to": ["+15555550123"], "text": text});
    // Refused: no target, an unknown code, a bad pattern.
    assert_eq!(fault(json!({"errorCode": 4470})).await.status, 400);
    assert_eq!(
        fault(json!({"errorCode": 1234, "from": p.numbers[0]}))
            .await
            .status,
        400
    );
    assert_eq!(
        fault(json!({"errorCode": 4770, "textMatches": "("}))
            .await
            .status,
        400
    );

    // The number's next message fails with 4470; the one after is delivered.
    assert_eq!(
        fault(json!({"errorCode": 4470, "from": p.numbers[0], "times": 1}))
            .await
            .status,
        201
    );
    // From a time on (already past): every message from the other number fails with 4785.
    let since = "2020-01-01T00:00:00Z";
    assert_eq!(
        fault(json!({"errorCode": 4785, "from": p.numbers[1], "since": since}))
            .await
            .status,
        201
    );
    for _ in 0..2 {
        assert_eq!(
            api.send_message(&message(&p.numbers[0], "hi")).await.status,
            202
        );
    }
    for _ in 0..2 {
        assert_eq!(
            api.send_message(&message(&p.numbers[1], "hi")).await.status,
            202
        );
    }
    let hits = receiver.wait_for(4).await;
    let outcomes: Vec<(String, Value)> = hits
        .iter()
        .map(|h| {
            let e = &h.body[0];
            (
                e["message"]["from"].as_str().unwrap().to_owned(),
                e["errorCode"].clone(),
            )
        })
        .collect();
    let of = |n: &str| -> Vec<Value> {
        outcomes
            .iter()
            .filter(|(from, _)| from == n)
            .map(|(_, c)| c.clone())
            .collect()
    };
    let first = of(&p.numbers[0]);
    assert!(
        first.contains(&json!(4470)) && first.contains(&Value::Null),
        "{outcomes:?}"
    );
    assert_eq!(of(&p.numbers[1]), [json!(4785), json!(4785)]);

    // Any number sending a matching text fails with the spam code.
    api.control(reqwest::Method::DELETE, "/faults", None).await;
    fault(json!({"errorCode": 4770, "textMatches": "(?i)act now", "times": 5})).await;
    api.send_message(&message(&p.numbers[0], "ACT NOW please"))
        .await;
    api.send_message(&message(&p.numbers[1], "an ordinary text"))
        .await;
    let hits = receiver.wait_for(6).await;
    let codes: Vec<Value> = hits[4..]
        .iter()
        .map(|h| h.body[0]["errorCode"].clone())
        .collect();
    assert!(
        codes.contains(&json!(4770)) && codes.contains(&Value::Null),
        "{codes:?}"
    );

    // The queue rule: one segment of room, one drained per second.
    fault(json!({"queueCapacity": 1, "ratePerSecond": 1})).await;
    assert_eq!(
        api.send_message(&message(&p.numbers[0], "one"))
            .await
            .status,
        202
    );
    let full = api.send_message(&message(&p.numbers[0], "two")).await;
    assert_eq!(full.status, 429);
    assert_eq!(full.json()["type"], "max-message-queue-size-exceeded");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        api.send_message(&message(&p.numbers[0], "two"))
            .await
            .status,
        202
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_send_is_answered_only_after_the_configured_answer_delay() {
    let delay = Duration::from_millis(300);
    let emulator = start(EmulatorConfig {
        answer_delay: delay,
        ..test_config()
    })
    .await;
    let api = Api::new(&emulator);
    let (_receiver, url) = Receiver::start(vec![]).await;
    let p = provision(&api, &url, &ALL_TYPES, 1).await;

    let started = std::time::Instant::now();
    let ok = api
        .send_message(&json!({"applicationId": p.app, "from": p.numbers[0],
                               "to": ["+15555550123"], "text": "hello"}))
        .await;
    let waited = started.elapsed();
    assert_eq!(ok.status, 202);
    assert!(
        waited >= delay,
        "answered after {waited:?}, before the {delay:?} answer delay"
    );
    emulator.shutdown().await;
}
