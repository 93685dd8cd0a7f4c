//! Command line and environment: every setting of SPEC §1.2, read by clap from the environment or its `--flag`.
//!
//! Owns no behaviour beyond parsing and the start-up checks of `serve`.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand};

use crate::services::access::Role;

/// A string that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the few places that must use it (HMAC, KDF, HTTP Basic).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// The one service vendor this server implements.
pub const SUPPORTED_SERVICES: &[&str] = &["bandwidth"];

/// `spoke-bandwidth`: the Bandwidth.com integration server for Spoke.
#[derive(Debug, Parser)]
#[command(name = "spoke-bandwidth", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Threads that run the server's tasks. 1 (the default) runs everything on one thread, which
    /// measured fastest on 2 cores with the database on the same machine (BENCHMARKS.md); raise
    /// it when the server has cores of its own.
    #[arg(long, env = "WORKER_THREADS", global = true, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub worker_threads: u16,
}

/// The commands of SPEC §1.1.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (applies pending migrations first unless --no-migrate).
    Serve {
        #[command(flatten)]
        settings: Settings,
        /// Do not apply pending migrations at start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending migrations and exit.
    Migrate {
        #[command(flatten)]
        settings: Settings,
    },
    /// Seal every stored secret again under ENCRYPTION_KEY, bound to its organization (after a
    /// key change, with the old key as ENCRYPTION_KEY_PREVIOUS); prints how many were resealed.
    RotateSecrets {
        #[command(flatten)]
        settings: Settings,
    },
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Run the Bandwidth emulator (Dashboard API under /api, Messaging API under /api/v2).
    Emulator {
        /// Where the emulator listens.
        #[arg(long, env = "EMULATOR_LISTEN", default_value = "127.0.0.1:3100")]
        listen: SocketAddr,
        /// The account id the emulator serves.
        #[arg(long, env = "EMULATOR_ACCOUNT_ID", default_value = "9900000")]
        account_id: String,
        /// The API user name it accepts.
        #[arg(long, env = "EMULATOR_USERNAME", default_value = "emulator")]
        username: String,
        /// The API password it accepts.
        #[arg(
            long,
            env = "EMULATOR_PASSWORD",
            default_value = "emulator-password",
            hide_env_values = true
        )]
        password: Secret,
        /// How many status polls an order takes to complete.
        #[arg(long, default_value_t = 1)]
        order_polls: u32,
        /// Whether sends need registration (a campaign, or toll-free verification), as on Bandwidth.
        #[arg(long, default_value = "true", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
        enforce_registration: bool,
        /// Milliseconds the send route waits before answering (a real API's round trip); at most
        /// 10,000.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000))]
        answer_delay_ms: u64,
        /// Log filter (tracing's EnvFilter syntax).
        #[arg(long = "log", env = "RUST_LOG", default_value = "info")]
        rust_log: String,
    },
    /// Try everything without a Bandwidth account: starts the Bandwidth emulator and the server on
    /// loopback, creates an organization and an owner token, stores credentials, provisions, buys
    /// numbers in two area codes, and prints the GraphiQL URL, the token and operations to paste.
    /// Ctrl-C stops both.
    Demo {
        /// Where the server listens (port 0 picks a free one).
        #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// Where the Bandwidth emulator listens (port 0 picks a free one).
        #[arg(long, env = "EMULATOR_LISTEN", default_value = "127.0.0.1:3100")]
        emulator_listen: SocketAddr,
        /// The database; default: SQLite in a temporary folder, removed when the demo stops.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        /// Key for callback passwords and secrets at rest; default: a random one for this run.
        #[arg(long, env = "SESSION_SECRET", hide_env_values = true)]
        session_secret: Option<Secret>,
        /// Log filter (tracing's EnvFilter syntax); logs go to stderr.
        #[arg(long = "log", env = "RUST_LOG", default_value = "warn")]
        rust_log: String,
    },
    /// Print the callback URL, user id and password Bandwidth must use for an organization.
    CallbackCredentials {
        #[command(flatten)]
        settings: Settings,
        /// The organization.
        #[arg(long)]
        org: i32,
    },
}

/// `org …` subcommands.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization; prints its id alone on stdout.
    Create {
        #[command(flatten)]
        settings: Settings,
        /// The organization's name.
        #[arg(long)]
        name: String,
    },
}

/// `token …` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; prints it alone on stdout (it is shown once and stored only as a hash).
    Create {
        #[command(flatten)]
        settings: Settings,
        /// The organization the token's user belongs to.
        #[arg(long, required_unless_present = "superadmin", requires = "role")]
        org: Option<i32>,
        /// The role in that organization, Spoke's ladder from lowest: SUSPENDED, TEXTER,
        /// VETTED_TEXTER, SUPERVOLUNTEER, ADMIN, OWNER (any case; `owner`, `admin`, `texter` too).
        #[arg(long, value_parser = parse_role, requires = "org")]
        role: Option<Role>,
        /// A token that spans every organization.
        #[arg(long, conflicts_with_all = ["org", "role"])]
        superadmin: bool,
        /// The user's display name (shown in Spoke's user menu); defaults to e.g. `owner-of-org-1`.
        #[arg(long)]
        name: Option<String>,
        /// The user's email; defaults to `<name>@spoke-bandwidth.invalid`.
        #[arg(long)]
        email: Option<String>,
    },
}

/// `SQLITE_SYNCHRONOUS` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

impl Settings {
    /// The SQLite durability to open the database with.
    pub fn sqlite_sync(&self) -> crate::store::SqliteSync {
        match self.sqlite_synchronous {
            SqliteSynchronous::Full => crate::store::SqliteSync::Full,
            SqliteSynchronous::Normal => crate::store::SqliteSync::Normal,
        }
    }
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value).ok_or_else(|| {
        let names: Vec<_> = Role::LADDER.iter().map(|r| r.as_str()).collect();
        format!("unknown role {value:?}; use one of {}", names.join(", "))
    })
}

/// Settings shared by every command (SPEC §1.2); each reads its environment variable or its flag.
///
/// `Debug` shows the addresses with any password replaced and leaves the rest out, so no log
/// line or panic message can carry a secret.
#[derive(Clone, Args)]
pub struct Settings {
    /// SQLite (embedded default) or postgres:// URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://spoke-bandwidth.db?mode=rwc"
    )]
    pub database_url: String,
    /// Where `serve` listens.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:3000")]
    pub listen_addr: SocketAddr,
    /// The public URL Bandwidth reaches; callback URLs and passwords derive from it.
    #[arg(long, env = "BASE_URL", default_value = "http://127.0.0.1:3000")]
    pub base_url: String,
    /// Key for callback passwords (Spoke-compatible) and, unless ENCRYPTION_KEY is set, secrets at rest.
    #[arg(long, env = "SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<Secret>,
    /// 32-byte base64 key for secrets at rest; default: HKDF-SHA256 of SESSION_SECRET.
    #[arg(long, env = "ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<Secret>,
    /// The key secrets were sealed with before ENCRYPTION_KEY changed: accepted for reading
    /// until `rotate-secrets` has sealed everything again under the new key.
    #[arg(long, env = "ENCRYPTION_KEY_PREVIOUS", hide_env_values = true)]
    pub encryption_key_previous: Option<Secret>,
    /// The service vendor; only `bandwidth` is supported.
    #[arg(long, env = "DEFAULT_SERVICE", default_value = "bandwidth")]
    pub default_service: String,
    /// Ordered, comma-separated service managers; an organization may override it.
    #[arg(
        long,
        env = "SERVICE_MANAGERS",
        default_value = "sticky-sender,numpicker-basic"
    )]
    pub service_managers: String,
    /// Bandwidth Dashboard (numbers/account) API base URL.
    #[arg(
        long,
        env = "BANDWIDTH_DASHBOARD_URL",
        default_value = "https://dashboard.bandwidth.com/api"
    )]
    pub bandwidth_dashboard_url: String,
    /// Bandwidth Messaging API base URL.
    #[arg(
        long,
        env = "BANDWIDTH_MESSAGING_URL",
        default_value = "https://messaging.bandwidth.com/api/v2"
    )]
    pub bandwidth_messaging_url: String,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(long = "log", env = "RUST_LOG", default_value = "info")]
    pub rust_log: String,
    /// Longest one call to Bandwidth may take, in milliseconds (connecting included).
    #[arg(long, env = "BANDWIDTH_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(100..=300_000))]
    pub bandwidth_timeout_ms: u64,
    /// Longest a send spends posting to Bandwidth, retries included, in milliseconds; a post
    /// still unanswered then has an unknown outcome (`UNKNOWN`) and is reconciled.
    #[arg(long, env = "SEND_TIMEOUT_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub send_timeout_ms: u64,
    /// How often the send sweeper looks for messages whose outcome is not known, in milliseconds.
    #[arg(long, env = "SEND_SWEEP_INTERVAL_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(50..=600_000))]
    pub send_sweep_interval_ms: u64,
    /// How long after a post Bandwidth's message list may still not show an accepted message, in
    /// milliseconds: "not found" only counts as "Bandwidth does not have it" after this.
    #[arg(long, env = "SEND_LOOKUP_GRACE_MS", default_value_t = 120_000, value_parser = clap::value_parser!(u64).range(0..=86_400_000))]
    pub send_lookup_grace_ms: u64,
    /// Longest a message stays `UNKNOWN` when Bandwidth cannot be asked, in milliseconds; then it
    /// is marked `SENT` with a note (it may have been delivered, so never `ERROR`).
    #[arg(long, env = "SEND_UNKNOWN_DEADLINE_MS", default_value_t = 3_600_000, value_parser = clap::value_parser!(u64).range(1_000..=86_400_000))]
    pub send_unknown_deadline_ms: u64,
    /// Most posts of one message to Bandwidth (a repost happens only once Bandwidth is known not
    /// to have the message).
    #[arg(long, env = "SEND_MAX_POSTS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub send_max_posts: u32,
    /// Background jobs one replica runs at once (jobs of one organization's inventory still run
    /// one at a time).
    #[arg(long, env = "JOB_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub job_concurrency: u16,
    /// How long a job's lease lasts, in milliseconds; renewed every third of it while the job
    /// runs, so a crashed replica's job is taken over about this long after the crash.
    #[arg(long, env = "JOB_LEASE_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(300..=3_600_000))]
    pub job_lease_ms: u64,
    /// Delay before a job's first retry after a transient failure, in milliseconds; it doubles
    /// with every further attempt, up to 5 minutes.
    #[arg(long, env = "JOB_RETRY_BASE_MS", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=300_000))]
    pub job_retry_base_ms: u64,
    /// SQLite only: `full` syncs the WAL at every commit, so an acknowledged callback survives a
    /// power loss; `normal` is faster but may lose the last commits on power loss.
    #[arg(long, env = "SQLITE_SYNCHRONOUS", value_enum, default_value_t = SqliteSynchronous::Full)]
    pub sqlite_synchronous: SqliteSynchronous,
    /// Largest `POST /graphql` body, in bytes; a larger one is refused with 413 before it is read.
    #[arg(long, env = "GRAPHQL_MAX_BODY", default_value_t = 1024 * 1024)]
    pub graphql_max_body: usize,
    /// Most fields one GraphQL request selects (every field and `__typename` counts 1, fragments
    /// count where they are spread).
    #[arg(long, env = "GRAPHQL_MAX_FIELDS", default_value_t = 2_000)]
    pub graphql_max_fields: usize,
    /// Most mutation fields one GraphQL request carries (`sendMessage` included).
    #[arg(long, env = "GRAPHQL_MAX_MUTATION_FIELDS", default_value_t = 10)]
    pub graphql_max_mutation_fields: usize,
    /// Whether organizations that never chose enforce registration (issue #16): their sends only
    /// go out from local numbers on an active 10DLC campaign and verified toll-free numbers.
    /// An organization changes it with `updateRegistrationSettings(enforced:)`; turn the default
    /// off only for accounts Bandwidth exempts from registration.
    #[arg(long, env = "REGISTRATION_ENFORCED_DEFAULT", default_value = "true", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub registration_enforced_default: bool,
    /// How often every provisioned organization's campaigns, numbers' campaigns and toll-free
    /// verifications are re-read from Bandwidth, in milliseconds (0: only when an owner asks).
    #[arg(
        long,
        env = "REGISTRATION_REFRESH_INTERVAL_MS",
        default_value_t = 3_600_000
    )]
    pub registration_refresh_interval_ms: u64,
    /// Whether the schema answers introspection (`__schema`, `__type`); GraphiQL needs it. Turn it
    /// off in production with `false`.
    #[arg(long, env = "GRAPHQL_INTROSPECTION", default_value = "true", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub graphql_introspection: bool,
}

/// Why `serve` refuses to start: each reads as one line an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "SESSION_SECRET is not set: serve needs it to derive callback passwords and encrypt secrets; set it to a long random string (e.g. `openssl rand -base64 32`)"
    )]
    MissingSessionSecret,
    #[error("DEFAULT_SERVICE={0:?} is not supported; supported: {list}", list = SUPPORTED_SERVICES.join(", "))]
    UnsupportedService(String),
    #[error("ENCRYPTION_KEY must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)")]
    BadEncryptionKey,
    #[error("SERVICE_MANAGERS is invalid: {0}")]
    BadServiceManagers(String),
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen_addr", &self.listen_addr)
            .field("base_url", &redact_url(&self.base_url))
            .field("default_service", &self.default_service)
            .field("service_managers", &self.service_managers)
            .field(
                "bandwidth_dashboard_url",
                &redact_url(&self.bandwidth_dashboard_url),
            )
            .field(
                "bandwidth_messaging_url",
                &redact_url(&self.bandwidth_messaging_url),
            )
            .finish_non_exhaustive()
    }
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{user}:***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl Settings {
    /// Settings with every default and the given database URL and session secret (for tests and `demo`).
    pub fn for_database(database_url: impl Into<String>, session_secret: Option<&str>) -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            settings: Settings,
        }
        let mut settings = Only::parse_from(["spoke-bandwidth"]).settings;
        settings.database_url = database_url.into();
        settings.session_secret = session_secret.map(Secret::new);
        settings
    }

    /// The checks `serve` makes before it starts; returns the session secret it requires.
    pub fn check_for_serve(&self) -> Result<&Secret, ConfigError> {
        if !SUPPORTED_SERVICES.contains(&self.default_service.as_str()) {
            return Err(ConfigError::UnsupportedService(
                self.default_service.clone(),
            ));
        }
        crate::services::managers::parse_list(&self.service_managers)
            .map_err(ConfigError::BadServiceManagers)?;
        match &self.session_secret {
            Some(secret) if !secret.expose().is_empty() => Ok(secret),
            _ => Err(ConfigError::MissingSessionSecret),
        }
    }

    /// [`Settings::bandwidth_timeout_ms`] as a duration.
    pub fn bandwidth_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.bandwidth_timeout_ms)
    }

    /// [`Settings::send_timeout_ms`] as a duration.
    pub fn send_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.send_timeout_ms)
    }

    /// `BASE_URL` without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn settings_print_no_password_of_any_url_or_secret() {
        let mut settings = Settings::for_database(
            "postgres://app:db-pass-123@db.example.org/spoke",
            Some("session-secret-xyz"),
        );
        settings.bandwidth_dashboard_url = "https://u:bw-pass-456@dashboard.example/api".into();
        let printed = format!("{settings:?}");
        for secret in ["db-pass-123", "session-secret-xyz", "bw-pass-456"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(
            printed.contains("postgres://app:***@db.example.org/spoke"),
            "{printed}"
        );
    }
}
