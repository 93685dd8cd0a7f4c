//! The server's wall clock, which tests can move (texting hours, cool-downs): every rule that
//! depends on the time of day or on how long ago something happened reads [`Clock::now`], never
//! `Utc::now()` directly. Timers, leases and timeouts keep using the system and tokio clocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// A clock that is the system's plus an offset (zero in production); cheap to clone, and every
/// clone moves together.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// The current time in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Makes the clock read `at` now (and run on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_milliseconds();
        self.offset_ms.store(offset, Ordering::Relaxed);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_reads_the_time_it_was_set_to_and_clones_move_together() {
        let clock = Clock::system();
        let copy = clock.clone();
        let at = DateTime::parse_from_rfc3339("2026-07-01T02:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        clock.set(at);
        assert!((copy.now() - at).num_seconds().abs() < 2);
        copy.advance(Duration::hours(1));
        assert!((clock.now() - at - Duration::hours(1)).num_seconds().abs() < 2);
    }
}
