//! Delivery of messaging callbacks the way Bandwidth does it (contract §4): a JSON array body,
//! `Content-Type: application/json; charset=utf-8`, `User-Agent: BandwidthAPI/v2`, a first POST
//! without credentials, Basic credentials only after a 401 that carries `WWW-Authenticate`,
//! and retries with exponential backoff for timeouts and non-2xx answers.
//!
//! Decisions for undocumented cases:
//! - A 3xx answer counts as accepted (A-mabout retries only "less than 2xx or greater than 3xx");
//!   redirects are not followed.
//! - The challenge round trip (401 + `WWW-Authenticate`, then the resend with credentials) is not
//!   a failed attempt; once challenged, every retry of that event carries the credentials.
//! - A 401 without `WWW-Authenticate`, or a challenge when the application has no password for
//!   that direction, drops the event (no retry), as Bandwidth loses it.
//! - Any other non-2xx/3xx answer, a timeout or a connection error is a failed attempt; after
//!   `callback_max_attempts` failed attempts the event is given up. Retry `n` waits
//!   `callback_backoff_base * 2^(n-1)`.
//!
//! Every attempt is recorded for `GET /_emulator/callbacks`.

use std::time::Duration;

use axum::http::header;
use serde_json::Value;

use super::state::{CallbackAttempt, Creds, EmulatorState, now_rfc3339};

/// One callback POST body (a JSON array of events) and where it goes.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The application's inbound or outbound callback URL.
    pub url: String,
    /// Credentials for that direction, used only after a challenge.
    pub creds: Option<Creds>,
    /// The events, posted together as one JSON array.
    pub events: Vec<Value>,
    /// The message the events are about (for the record).
    pub message_id: String,
}

/// Longest single backoff sleep, whatever the configuration says.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

fn backoff(base: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(20);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Posts one delivery until it is accepted, dropped or given up; returns whether it was
/// accepted. Stops quietly when the emulator is reset (`generation` changes).
pub async fn deliver(state: &EmulatorState, generation: u64, delivery: &Delivery) -> bool {
    let config = state.config();
    let max_failures = config.callback_max_attempts.max(1);
    let event_types: Vec<String> = delivery
        .events
        .iter()
        .filter_map(|e| e.get("type").and_then(Value::as_str).map(str::to_string))
        .collect();
    let body = Value::Array(delivery.events.clone()).to_string();
    let mut authorized = false;
    let mut failures = 0u32;
    // Each loop is one POST: at most one challenge plus `max_failures` failed attempts
    // plus the final success.
    for _ in 0..=(max_failures + 1) {
        if state.generation() != generation {
            return false;
        }
        let mut request = state
            .inner
            .http
            .post(&delivery.url)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(header::USER_AGENT, "BandwidthAPI/v2")
            .body(body.clone());
        if let (true, Some(creds)) = (authorized, &delivery.creds) {
            request = request.basic_auth(&creds.user_id, creds.password.as_deref());
        }
        let result = request.send().await;
        let mut attempt = CallbackAttempt {
            url: delivery.url.clone(),
            authorized,
            event_types: event_types.clone(),
            message_id: delivery.message_id.clone(),
            status: None,
            error: None,
            outcome: String::new(),
            at: now_rfc3339(),
        };
        match result {
            Ok(response) => {
                let status = response.status();
                attempt.status = Some(status.as_u16());
                if status.is_success() || status.is_redirection() {
                    attempt.outcome = "delivered".into();
                    state.record_callback(generation, attempt);
                    return true;
                }
                if status.as_u16() == 401 && !authorized {
                    let challenged = response.headers().contains_key(header::WWW_AUTHENTICATE);
                    let can_answer = delivery
                        .creds
                        .as_ref()
                        .is_some_and(|c| c.password.is_some());
                    if challenged && can_answer {
                        attempt.outcome = "challenged".into();
                        state.record_callback(generation, attempt);
                        authorized = true;
                        continue;
                    }
                    attempt.outcome = "dropped".into();
                    attempt.error = Some(if challenged {
                        "challenged, but the application has no credentials".into()
                    } else {
                        "401 without WWW-Authenticate".into()
                    });
                    state.record_callback(generation, attempt);
                    return false;
                }
            }
            Err(e) => {
                attempt.error = Some(if e.is_timeout() {
                    "timeout".to_string()
                } else {
                    e.to_string()
                });
            }
        }
        failures += 1;
        if failures >= max_failures {
            attempt.outcome = "gave-up".into();
            state.record_callback(generation, attempt);
            return false;
        }
        attempt.outcome = "retry".into();
        state.record_callback(generation, attempt);
        tokio::time::sleep(backoff(config.callback_backoff_base, failures)).await;
    }
    false
}

/// Delivers a sequence of deliveries in order on a spawned task, so the API answer never
/// waits for callbacks. Each delivery is attempted whatever happened to the previous one.
pub fn spawn_deliveries(state: &EmulatorState, deliveries: Vec<Delivery>) {
    if deliveries.is_empty() {
        return;
    }
    let state = state.clone();
    let generation = state.generation();
    tokio::spawn(async move {
        for delivery in &deliveries {
            if state.generation() != generation {
                return;
            }
            deliver(&state, generation, delivery).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_is_capped() {
        let base = Duration::from_millis(100);
        assert_eq!(backoff(base, 1), Duration::from_millis(100));
        assert_eq!(backoff(base, 2), Duration::from_millis(200));
        assert_eq!(backoff(base, 4), Duration::from_millis(800));
        assert_eq!(backoff(Duration::from_secs(60), 30), MAX_BACKOFF);
    }
}
