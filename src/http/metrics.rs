//! Prometheus metrics: request counts and latency per route, rendered at `GET /metrics`.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder once (several apps in one test process share it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .expect("no other metrics recorder is installed in this process")
    })
}

/// Folds recorded latencies into their summaries every few seconds. Without it they pile up
/// until `/metrics` is read: memory grows with every request on a server nobody scrapes.
pub async fn upkeep() {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        every.tick().await;
        handle().run_upkeep();
    }
}

/// The counter and histogram of one (method, route, status), registered once: the hot path then
/// costs a hash and two atomic updates, not a registry lookup with freshly allocated labels.
type Handles = (Counter, Histogram);

fn handles(method: &str, route: &str, status: u16) -> Handles {
    static CACHE: OnceLock<(
        std::collections::hash_map::RandomState,
        RwLock<HashMap<u64, Handles>>,
    )> = OnceLock::new();
    let (hasher, cache) = CACHE.get_or_init(Default::default);
    let key = hasher.hash_one((method, route, status));
    if let Some(found) = cache.read().expect("not poisoned").get(&key) {
        return found.clone();
    }
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    let made = (
        metrics::counter!("http_requests_total", &labels),
        metrics::histogram!("http_request_duration_seconds", &labels),
    );
    cache
        .write()
        .expect("not poisoned")
        .insert(key, made.clone());
    made
}

/// Counts each request and records its latency, labelled by method, matched route and status.
pub async fn track(request: Request, next: Next) -> Response {
    handle();
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let (counter, histogram) = handles(method_label(&method), route, response.status().as_u16());
    counter.increment(1);
    histogram.record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label: the standard methods by name, anything else as `other`, so a client
/// cannot mint new series with made-up methods (routes are already bounded: the matched route
/// or `unmatched`).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "other",
    }
}

/// The Prometheus text exposition.
pub async fn render() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        handle().render(),
    )
}
