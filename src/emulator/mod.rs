//! A faithful local stand-in for Bandwidth (SPEC §6, contract §8): the Dashboard XML API under
//! `/api` and `/api/v1`, the Messaging v2 JSON API under `/api/v2`, callbacks with Bandwidth's
//! challenge flow, and control routes under `/_emulator/`. State lives in memory.
//!
//! Point a server at an emulator on `ADDR` with `BANDWIDTH_DASHBOARD_URL=http://ADDR/api` and
//! `BANDWIDTH_MESSAGING_URL=http://ADDR/api/v2`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use spoke_bandwidth::emulator::{self, EmulatorConfig};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let emulator = emulator::spawn(listener, EmulatorConfig::default()).await?;
//! println!("{} {}", emulator.dashboard_url(), emulator.messaging_url());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! This module owns only the emulator; it imports nothing from the rest of the crate, and
//! nothing outside `main.rs`/tests should import it.

mod callbacks;
mod control;
mod control_registration;
mod dashboard;
mod http;
mod messaging;
mod rules;
mod state;
pub mod xml;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::middleware::from_fn_with_state;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use state::{EmulatorConfig, EmulatorState};

/// The emulator's whole HTTP surface for `state`: Dashboard, Messaging and control routes,
/// with auth, request recording and fault injection. Usable with `tower::ServiceExt::oneshot`.
pub fn router(state: EmulatorState) -> Router {
    let dashboard =
        dashboard::routes().route_layer(from_fn_with_state(state.clone(), http::dashboard_auth));
    let messaging =
        messaging::routes().route_layer(from_fn_with_state(state.clone(), http::messaging_auth));
    Router::new()
        .nest("/api/v2", messaging)
        .nest("/api/v1", dashboard.clone())
        .nest("/api", dashboard)
        .nest(
            "/_emulator",
            control::routes().merge(control_registration::routes()),
        )
        .fallback(http::fallback)
        .layer(from_fn_with_state(state.clone(), http::record_and_inject))
        .with_state(state)
}

/// A running emulator. Dropping it stops the server too (without waiting).
pub struct Emulator {
    addr: SocketAddr,
    state: EmulatorState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Emulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`: the control routes live under `/_emulator/` here.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The Dashboard API base, `http://ADDR/api` (for `BANDWIDTH_DASHBOARD_URL`).
    pub fn dashboard_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// The Messaging API base, `http://ADDR/api/v2` (for `BANDWIDTH_MESSAGING_URL`).
    pub fn messaging_url(&self) -> String {
        format!("http://{}/api/v2", self.addr)
    }

    /// The shared state, for tests that want to inspect or reset it directly.
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves the emulator on an already-bound listener (port 0 is fine) on a spawned task.
pub async fn spawn(listener: TcpListener, config: EmulatorConfig) -> std::io::Result<Emulator> {
    let addr = listener.local_addr()?;
    let state = EmulatorState::new(config);
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(Emulator {
        addr,
        state,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// Runs the emulator on `listen` until `shutdown` completes — what
/// `spoke-bandwidth emulator --listen ADDR --account-id A --username U --password P` calls
/// (e.g. with `tokio::signal::ctrl_c()` mapped to `()` as `shutdown`).
pub async fn run(
    listen: SocketAddr,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        account_id = %config.account_id,
        dashboard_url = %format!("http://{addr}/api"),
        messaging_url = %format!("http://{addr}/api/v2"),
        "Bandwidth emulator listening"
    );
    axum::serve(listener, router(EmulatorState::new(config)))
        .with_graceful_shutdown(shutdown)
        .await
}
