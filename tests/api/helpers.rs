//! Test harness: a real server on a loopback port over a fresh, really migrated database.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use std::time::Duration;

use spoke_bandwidth::config::Settings;
use spoke_bandwidth::emulator::{self, Emulator, EmulatorConfig};
use spoke_bandwidth::services::access::{self, Role};
use spoke_bandwidth::startup::Application;
use tokio::net::TcpListener;
use tracing_subscriber::fmt::MakeWriter;

/// The session secret every test server uses.
pub const SESSION_SECRET: &str = "test-session-secret-0123456789abcdef";

/// A database created for one test, and what keeps it alive.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh, empty database: a new PostgreSQL database when `TEST_DATABASE_URL` names a server,
/// otherwise a new SQLite file in a temporary folder.
pub async fn fresh_database() -> TestDatabase {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            let name = format!("sbw_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(&base).await.unwrap_or_else(|e| {
                panic!("TEST_DATABASE_URL is set but PostgreSQL does not answer: {e}")
            });
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create a test database");
            admin.close().await.ok();
            let (server, _) = base
                .rsplit_once('/')
                .expect("a postgres URL ends in /DATABASE");
            TestDatabase {
                url: format!("{server}/{name}"),
                _dir: None,
            }
        }
        _ => fresh_sqlite_database(),
    }
}

/// A new SQLite file in a temporary folder, whatever `TEST_DATABASE_URL` says.
pub fn fresh_sqlite_database() -> TestDatabase {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    TestDatabase {
        url,
        _dir: Some(dir),
    }
}

/// A running server and what tests need to talk to it.
pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub client: reqwest::Client,
    /// The Bandwidth emulator the server talks to, when started with one.
    pub emulator: Option<Emulator>,
    /// The server's clock: tests move it (`set`, `advance`).
    pub clock: spoke_bandwidth::clock::Clock,
    _database: TestDatabase,
}

/// Starts the server on `127.0.0.1:0` over a fresh database, with Bandwidth URLs that lead nowhere.
pub async fn spawn_app() -> TestApp {
    start(None, |_| {}).await
}

/// Starts the Bandwidth emulator and the server wired to it on loopback; `BASE_URL` is the
/// server's real address, so the emulator's callbacks reach it.
pub async fn spawn_app_with_emulator() -> TestApp {
    spawn_app_with_emulator_and(|_| {}).await
}

/// As [`spawn_app_with_emulator`], with settings adjusted by `configure` before the server starts.
pub async fn spawn_app_with_emulator_and(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let config = EmulatorConfig {
        callback_timeout: Duration::from_secs(5),
        callback_max_attempts: 4,
        callback_backoff_base: Duration::from_millis(20),
        enforce_registration: false,
        ..EmulatorConfig::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the emulator");
    let emulator = emulator::spawn(listener, config)
        .await
        .expect("the emulator starts");
    start(Some(emulator), configure).await
}

/// As [`spawn_app_with_emulator`], with registration enforced as Bandwidth does it (issue #16):
/// the emulator fails sends from unregistered or unverified numbers, and new organizations
/// enforce registration. The other spawn functions turn both off, so tests of other
/// capabilities can buy numbers and send without registering them.
pub async fn spawn_app_with_registration() -> TestApp {
    spawn_app_with_registration_and(|_| {}).await
}

/// As [`spawn_app_with_registration`], with settings adjusted by `configure` before the server
/// starts.
pub async fn spawn_app_with_registration_and(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let config = EmulatorConfig {
        callback_timeout: Duration::from_secs(5),
        callback_max_attempts: 4,
        callback_backoff_base: Duration::from_millis(20),
        enforce_registration: true,
        ..EmulatorConfig::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the emulator");
    let emulator = emulator::spawn(listener, config)
        .await
        .expect("the emulator starts");
    start(Some(emulator), |settings| {
        settings.registration_enforced_default = true;
        configure(settings);
    })
    .await
}

/// Starts the server over the given database (tests that compare backends pick both).
pub async fn spawn_app_on(database: TestDatabase) -> TestApp {
    start_on(database, None, |_| {}).await
}

async fn start(emulator: Option<Emulator>, configure: impl FnOnce(&mut Settings)) -> TestApp {
    start_on(fresh_database().await, emulator, configure).await
}

async fn start_on(
    database: TestDatabase,
    emulator: Option<Emulator>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    capture_logs();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the server");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = Settings::for_database(&database.url, Some(SESSION_SECRET));
    settings.listen_addr = listener.local_addr().unwrap();
    settings.base_url = address.clone();
    settings.encryption_key = None;
    // Retries after a transient failure come quickly, so tests that force one stay fast.
    settings.job_retry_base_ms = 50;
    // Nothing listens on port 9 of loopback: without an emulator, Bandwidth is unreachable.
    let (dashboard, messaging) = match &emulator {
        Some(e) => (e.dashboard_url(), e.messaging_url()),
        None => (
            "http://127.0.0.1:9/api".into(),
            "http://127.0.0.1:9/api/v2".into(),
        ),
    };
    settings.bandwidth_dashboard_url = dashboard;
    settings.bandwidth_messaging_url = messaging;
    // Registration is not these tests' subject: `spawn_app_with_registration` turns it on.
    settings.registration_enforced_default = false;
    configure(&mut settings);
    let app = Application::build_on(listener, settings.clone(), true)
        .await
        .expect("the app builds");
    let db = app.state().db.clone();
    let clock = app.state().clock.clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        address,
        db,
        settings,
        client: reqwest::Client::new(),
        emulator,
        clock,
        _database: database,
    }
}

impl TestApp {
    /// The emulator (panics when the app was started without one).
    pub fn emulator(&self) -> &Emulator {
        self.emulator
            .as_ref()
            .expect("started with spawn_app_with_emulator")
    }

    /// Credentials input the emulator accepts.
    pub fn emulator_credentials(&self) -> Value {
        let config = self.emulator().state().config().clone();
        json!({"accountId": config.account_id, "userName": config.username, "password": config.password})
    }

    /// A GET of an emulator control route (`/_emulator/...`), as JSON.
    pub async fn emulator_get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.emulator().base_url());
        self.client
            .get(url)
            .send()
            .await
            .expect("the emulator answers")
            .json()
            .await
            .expect("JSON")
    }

    /// A POST to an emulator control route, as JSON.
    pub async fn emulator_post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.emulator().base_url());
        self.client
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("the emulator answers")
            .json()
            .await
            .expect("JSON")
    }

    /// Posts a GraphQL operation, with a bearer token when given, and returns the JSON answer.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        response.json().await.expect("a JSON answer")
    }

    /// Creates an organization directly through the service layer.
    pub async fn create_org(&self, name: &str) -> i32 {
        access::create_organization(&self.db, name)
            .await
            .expect("create an organization")
    }

    /// A token for a new member of `org` with `role`.
    pub async fn token(&self, org: i32, role: Role) -> String {
        access::create_member_token(&self.db, org, role, &Default::default())
            .await
            .expect("create a token")
    }
}

/// The `extensions.code` of the first error of a GraphQL answer.
pub fn error_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// Everything logged so far by every server in this test process (at debug level).
pub fn captured_logs() -> String {
    let buffer = LOGS
        .get()
        .expect("logs are captured once a server was spawned");
    String::from_utf8_lossy(&buffer.lock().unwrap()).into_owned()
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn capture_logs() {
    let buffer = LOGS.get_or_init(|| Arc::new(Mutex::new(Vec::new())));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            // reqwest and hyper at debug too: the password travels in their requests to Bandwidth.
            "debug,sqlx=warn,h2=info,rustls=info",
        )
        .with_writer(Capture(buffer.clone()))
        .with_ansi(false)
        .try_init();
}

/// The first column of each row `sql` returns, as text.
pub async fn texts(db: &impl ConnectionTrait, sql: &str) -> Vec<String> {
    db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get_by_index::<String>(0).unwrap())
    .collect()
}

/// Runs the futures concurrently on this task and collects their outputs in order.
pub async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(out) => outputs[i] = Some(out),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}
