//! Start-up: connect, migrate, bind, serve until a shutdown signal.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::state::AppState;
use crate::{http, services, store};

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Checks the settings, opens the database (migrating unless `migrate` is false) and binds
    /// `LISTEN_ADDR` (port 0 picks a free one).
    pub async fn build(settings: Settings, migrate: bool) -> anyhow::Result<Self> {
        settings.check_for_serve()?;
        let listener = TcpListener::bind(settings.listen_addr)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen_addr))?;
        Self::build_on(listener, settings, migrate).await
    }

    /// As [`Application::build`], on a listener bound by the caller (tests and `demo` bind first
    /// so that `BASE_URL` can name the real port).
    pub async fn build_on(
        listener: TcpListener,
        settings: Settings,
        migrate: bool,
    ) -> anyhow::Result<Self> {
        settings.check_for_serve()?;
        let db = store::connect_with(&settings.database_url, settings.sqlite_sync())
            .await
            .with_context(|| {
                format!(
                    "cannot open the database at {}",
                    redact_url(&settings.database_url)
                )
            })?;
        if migrate {
            store::migrate(&db)
                .await
                .context("cannot apply the database migrations")?;
        }
        let state = AppState::new(db, settings)?;
        Ok(Self { listener, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The shared state (tests use its database handle).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "listening");
        let (stop_jobs, jobs_stopped) = tokio::sync::oneshot::channel::<()>();
        let runner = tokio::spawn(services::jobs::run_jobs(
            self.state.clone(),
            format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            services::jobs::RunnerOptions::from_settings(&self.state.settings),
            services::numbers::run_job,
            async move {
                let _ = jobs_stopped.await;
            },
        ));
        // Sends whose outcome is not known are settled while the server runs, not only at start.
        let (stop_sweeper, sweeper_stopped) = tokio::sync::oneshot::channel::<()>();
        let sweeper = tokio::spawn(services::outcomes::sweeper::run(
            self.state.clone(),
            async move {
                let _ = sweeper_stopped.await;
            },
        ));
        // Failed sends are accounted (consent, registration, number health) as they come.
        let (stop_failures, failures_stopped) = tokio::sync::oneshot::channel::<()>();
        let failures = tokio::spawn(services::failures::run(self.state.clone(), async move {
            let _ = failures_stopped.await;
        }));
        let upkeep = tokio::spawn(http::metrics::upkeep());
        let health = tokio::spawn(services::health::sweeper::run(self.state.clone()));
        let registrations = tokio::spawn(services::registration::schedule::run(self.state.clone()));
        let served = axum::serve(self.listener, http::router(self.state))
            .with_graceful_shutdown(shutdown)
            .await
            .context("the HTTP server failed");
        upkeep.abort();
        health.abort();
        registrations.abort();
        let _ = stop_jobs.send(());
        let _ = stop_sweeper.send(());
        let _ = stop_failures.send(());
        let _ = runner.await;
        let _ = sweeper.await;
        let _ = failures.await;
        served
    }
}

pub use crate::config::redact_url;

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
