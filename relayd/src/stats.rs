//! The counters relayd keeps from its start: `relayctl status` prints them and the
//! metrics endpoint serves them.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

/// Counters since start.
#[derive(Default)]
pub struct Stats {
    pub sessions: AtomicU64,
    pub accepted_local: AtomicU64,
    pub relayed: AtomicU64,
    pub messages: AtomicU64,
    pub refused: Mutex<BTreeMap<String, u64>>,
    /// Delivery attempts' outcomes, per recipient.
    pub delivered: AtomicU64,
    pub deferred: AtomicU64,
    pub bounced: AtomicU64,
    pub bounces_sent: AtomicU64,
    pub delay_warnings: AtomicU64,
    /// Outbound SMTP deliveries over a new session, and over one kept from before.
    pub sessions_opened: AtomicU64,
    pub sessions_reused: AtomicU64,
    /// Messages the queue runner has scheduled (waiting for their next attempt).
    pub queue_waiting: AtomicU64,
    /// How long each delivery attempt of a message took.
    pub attempt_seconds: Latency,
}

/// A histogram of seconds, from 10 ms to 5 minutes.
pub struct Latency(pub prometheus_client::metrics::histogram::Histogram);

impl Default for Latency {
    fn default() -> Self {
        let buckets = [
            0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
        ];
        Latency(prometheus_client::metrics::histogram::Histogram::new(
            buckets,
        ))
    }
}

impl Stats {
    pub fn refuse(&self, reason: &str) {
        if let Ok(mut m) = self.refused.lock() {
            *m.entry(reason.to_string()).or_default() += 1;
        }
    }
}
