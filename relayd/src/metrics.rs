//! Prometheus metrics on `metrics_listen` (off unless set; a bare port is loopback):
//! `GET /metrics` answers the OpenMetrics text format, encoded by `prometheus-client`
//! from the counters relayd keeps anyway (`Stats`, the reload record, the queue
//! runner's gauges), read at each scrape, so serving metrics costs nothing between
//! scrapes. Anything but `GET /metrics` gets 404 or 405; a request head is at most 8 KiB
//! and must arrive within 10 seconds.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::state::Shared;

const MAX_HEAD: usize = 8192;
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(&'static str, String)>;

/// Answers one HTTP request and closes.
pub async fn serve(shared: Arc<Shared>, mut stream: TcpStream, peer: SocketAddr) {
    let mut head = Vec::new();
    let read = async {
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(())
    };
    if !matches!(tokio::time::timeout(HEAD_TIMEOUT, read).await, Ok(Ok(()))) {
        return;
    }
    let line = String::from_utf8_lossy(head.split(|&b| b == b'\n').next().unwrap_or(&[]));
    let mut words = line.split_whitespace();
    let (status, body) = match (words.next(), words.next()) {
        (Some("GET"), Some("/metrics")) => ("200 OK", render(&shared)),
        (Some("GET"), Some(_)) => ("404 Not Found", "only /metrics is served\n".to_string()),
        _ => (
            "405 Method Not Allowed",
            "only GET /metrics is served\n".to_string(),
        ),
    };
    tracing::debug!(peer = %peer, status, "metrics request");
    let content_type = match status {
        "200 OK" => CONTENT_TYPE,
        _ => "text/plain; charset=utf-8",
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn counter(v: u64) -> Counter {
    let c = Counter::default();
    c.inc_by(v);
    c
}

fn gauge(v: u64) -> Gauge {
    let g = Gauge::default();
    g.set(i64::try_from(v).unwrap_or(i64::MAX));
    g
}

fn load(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

/// Every metric, as it stands now.
fn render(shared: &Shared) -> String {
    let s = &shared.stats;
    let mut r = Registry::with_prefix("relayd");
    let active = shared.current();
    r.register(
        "serial",
        "Serial of the store in force",
        gauge(active.serial),
    );
    r.register(
        "sessions",
        "SMTP sessions accepted",
        counter(load(&s.sessions)),
    );
    let open = shared.open_sessions.load(Ordering::Relaxed) as u64;
    r.register("sessions_open", "SMTP sessions open now", gauge(open));
    r.register(
        "messages",
        "Messages accepted and spooled",
        counter(load(&s.messages)),
    );

    // Recipients by the rule that decided them and their reply: accepted (local or
    // relayed) or refused, with every other refusal by its reason.
    let rcpts = Family::<Labels, Counter>::default();
    for (rule, v) in [
        ("local", load(&s.accepted_local)),
        ("relay", load(&s.relayed)),
    ] {
        let labels = vec![
            ("rule", rule.to_string()),
            ("reply", "accepted".to_string()),
        ];
        rcpts.get_or_create(&labels).inc_by(v);
    }
    let refusals = Family::<Labels, Counter>::default();
    if let Ok(refused) = s.refused.lock() {
        for (reason, v) in refused.iter() {
            refusals
                .get_or_create(&vec![("reason", reason.clone())])
                .inc_by(*v);
        }
    }
    r.register("recipients", "Recipients accepted, by rule", rcpts);
    r.register(
        "refusals",
        "Refused commands and connections, by rule or reason",
        refusals,
    );

    let queue = Family::<Labels, Gauge>::default();
    let delivering = shared.deliveries.load(Ordering::Relaxed) as u64;
    for (state, v) in [
        ("waiting", load(&s.queue_waiting)),
        ("delivering", delivering),
    ] {
        queue
            .get_or_create(&vec![("state", state.to_string())])
            .set(i64::try_from(v).unwrap_or(i64::MAX));
    }
    r.register("queue_messages", "Messages in the queue, by state", queue);
    let outcomes = Family::<Labels, Counter>::default();
    for (outcome, v) in [
        ("delivered", load(&s.delivered)),
        ("deferred", load(&s.deferred)),
        ("bounced", load(&s.bounced)),
    ] {
        outcomes
            .get_or_create(&vec![("outcome", outcome.to_string())])
            .inc_by(v);
    }
    r.register(
        "deliveries",
        "Recipients' delivery attempts, by outcome",
        outcomes,
    );
    r.register(
        "bounces_sent",
        "Delivery status notifications sent",
        counter(load(&s.bounces_sent)),
    );
    r.register(
        "delay_warnings",
        "Delay warnings sent",
        counter(load(&s.delay_warnings)),
    );
    r.register(
        "attempt_duration_seconds",
        "How long each delivery attempt of a message took",
        s.attempt_seconds.0.clone(),
    );

    let reload = shared.reload.lock().map(|r| r.clone()).unwrap_or_default();
    r.register("reloads", "Reloads of the store", counter(reload.reloads));
    r.register(
        "reload_failures",
        "Reloads whose store failed (the last good one stayed)",
        counter(reload.failures),
    );
    r.register(
        "reload_duration_milliseconds",
        "Duration of the last reload",
        gauge(reload.duration_ms),
    );

    let mut out = String::new();
    if encode(&mut out, &r).is_err() {
        out = "# EOF\n".into();
    }
    out
}
