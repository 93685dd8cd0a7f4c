//! `AppState`: what every request shares. Built once at start-up; cheap to clone.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::config::{ConfigError, Secret, Settings};
use crate::services::callbacks::CallbackWriter;
use crate::services::messaging::context::SendContexts;
use crate::services::secrets::SecretBox;

/// Shared state of the server.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// Seals and opens secrets at rest.
    pub secrets: SecretBox,
    /// The key of the callback passwords.
    pub session_secret: Secret,
    /// One connection pool for every call to Bandwidth.
    pub http: reqwest::Client,
    /// Applies callback effects in coalesced transactions.
    pub callbacks: CallbackWriter,
    /// What sends read of their organization, kept a few seconds (`services::messaging::context`).
    pub send_contexts: Arc<SendContexts>,
    /// The wall clock of time-of-day and cool-down rules (tests move it).
    pub clock: Clock,
    /// Wakes this replica's failure drainer (`services::failures`) after callbacks failed messages.
    pub failures_wakeup: Arc<tokio::sync::Notify>,
    /// Wakes this replica's job runner when a job is enqueued here.
    pub jobs_wakeup: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// Checks the settings `serve` needs and assembles the state around an open database.
    pub fn new(db: DatabaseConnection, settings: Settings) -> Result<Self, ConfigError> {
        let session_secret = settings.check_for_serve()?.clone();
        let secrets = SecretBox::from_settings(
            settings.encryption_key.as_ref(),
            settings.encryption_key_previous.as_ref(),
            &session_secret,
        )?;
        let http = reqwest::Client::builder()
            .connect_timeout(
                settings
                    .bandwidth_timeout()
                    .min(std::time::Duration::from_secs(5)),
            )
            .timeout(settings.bandwidth_timeout())
            .user_agent(concat!("spoke-bandwidth/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the TLS backend is compiled in");
        let failures_wakeup = Arc::new(tokio::sync::Notify::new());
        let callbacks = CallbackWriter::start(
            db.clone(),
            settings.service_managers.clone(),
            failures_wakeup.clone(),
        );
        Ok(Self {
            callbacks,
            db,
            settings: Arc::new(settings),
            secrets,
            session_secret,
            http,
            send_contexts: Arc::default(),
            clock: Clock::system(),
            failures_wakeup,
            jobs_wakeup: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Forgets what this replica keeps of the organization's settings and account (the callback
    /// writer's rules, the send path's context): called after every change to them made here.
    pub fn forget_organization(&self, organization_id: i32) {
        self.callbacks.forget_settings(organization_id);
        self.send_contexts.forget(organization_id);
    }
}
