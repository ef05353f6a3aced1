//! The control socket `relayctl status` and `relayctl queue` talk to: one line in, one
//! JSON document out. `status` reports (`enforced` is its cheap part, for `--wait`);
//! `flush [ID]`, `hold ID`, `release ID` and `delete ID` act on the queue (the socket
//! is 0660 in the store's 0750 folder: only the administrator's group reaches it). Nothing sent here changes the settings.

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

use crate::listener::Listeners;
use crate::state::{ReloadStatus, Shared};

#[derive(Serialize)]
struct Status {
    pid: u32,
    uptime_secs: u64,
    serial: u64,
    /// The serial of the list whose name entries are resolved and in force.
    names_serial: u64,
    addresses: usize,
    networks: usize,
    names: usize,
    resolved_name_addresses: usize,
    refused_entries: Vec<(String, String)>,
    open_relay: bool,
    /// Why, when `open_relay` is true.
    open_relay_reason: Option<String>,
    restrict_relay: bool,
    require_auth: bool,
    listeners: usize,
    sessions_open: usize,
    sessions_total: u64,
    accepted_local: u64,
    relayed: u64,
    messages_queued: u64,
    /// Messages in the queue now, and their recipients by state.
    queue_messages: usize,
    queue_recipients: std::collections::BTreeMap<String, usize>,
    delivered: u64,
    deferred: u64,
    bounced: u64,
    bounces_sent: u64,
    delay_warnings: u64,
    /// Deliveries that opened an SMTP session, and those that reused one.
    sessions_opened: u64,
    sessions_reused: u64,
    delivery_hold: bool,
    /// Free bytes on the spool's file system, and the floor below which new mail is
    /// refused (`spool_min_free`).
    spool_free: Option<u64>,
    spool_min_free: u64,
    refused: std::collections::BTreeMap<String, u64>,
    last_reload: ReloadStatus,
}

/// Messages in the spool and their recipients by state (pending when never tried).
fn queue_counts(spool: &std::path::Path) -> (usize, std::collections::BTreeMap<String, usize>) {
    let mut by_state = std::collections::BTreeMap::new();
    let envelopes = shared::spool::Spool::new(spool).list().unwrap_or_default();
    for env in &envelopes {
        let state = shared::queue_state::load(spool, &env.id, &env.rcpt_to)
            .unwrap_or_else(|_| shared::queue_state::MessageState::fresh(&env.rcpt_to));
        for r in &state.recipients {
            let word = if state.held {
                "held".to_string()
            } else {
                r.state.as_str().to_string()
            };
            *by_state.entry(word).or_default() += 1;
        }
    }
    (envelopes.len(), by_state)
}

fn status(shared: &Shared, listeners: &Listeners) -> Status {
    let a = shared.current();
    let queue = queue_counts(&a.daemon.spool_dir);
    let names = shared.names.load_full();
    let c = a.hosts.counts();
    let stats = &shared.stats;
    Status {
        pid: std::process::id(),
        uptime_secs: shared.started.elapsed().as_secs(),
        serial: a.serial,
        names_serial: names.serial,
        addresses: c.addresses,
        networks: c.networks,
        names: c.names,
        resolved_name_addresses: names.resolved.count,
        refused_entries: a
            .rejected
            .iter()
            .chain(&names.resolved.failures)
            .map(|r| (r.text.clone(), r.reason.clone()))
            .collect(),
        open_relay: a.open_relay.is_some(),
        open_relay_reason: a.open_relay.clone(),
        restrict_relay: a.relay.restrict_relay,
        require_auth: a.relay.require_auth,
        listeners: listeners.count(),
        sessions_open: shared.open_sessions.load(Ordering::Relaxed),
        sessions_total: stats.sessions.load(Ordering::Relaxed),
        accepted_local: stats.accepted_local.load(Ordering::Relaxed),
        relayed: stats.relayed.load(Ordering::Relaxed),
        messages_queued: stats.messages.load(Ordering::Relaxed),
        queue_messages: queue.0,
        queue_recipients: queue.1,
        delivered: stats.delivered.load(Ordering::Relaxed),
        deferred: stats.deferred.load(Ordering::Relaxed),
        bounced: stats.bounced.load(Ordering::Relaxed),
        bounces_sent: stats.bounces_sent.load(Ordering::Relaxed),
        delay_warnings: stats.delay_warnings.load(Ordering::Relaxed),
        sessions_opened: stats.sessions_opened.load(Ordering::Relaxed),
        sessions_reused: stats.sessions_reused.load(Ordering::Relaxed),
        delivery_hold: a.daemon.delivery_hold,
        spool_free: shared::spool::Spool::new(&a.daemon.spool_dir)
            .free_space()
            .ok(),
        spool_min_free: a.daemon.spool_min_free,
        refused: stats.refused.lock().map(|m| m.clone()).unwrap_or_default(),
        last_reload: shared.reload.lock().map(|r| r.clone()).unwrap_or_default(),
    }
}

pub fn spawn(shared: Arc<Shared>, listeners: Arc<Listeners>) -> anyhow::Result<()> {
    let path = shared.current().daemon.control_socket.clone();
    // A socket left by a previous run that died; a live daemon would still hold it, but
    // a second relayd on the same store is refused earlier by the listeners' bind.
    let _ = std::fs::remove_file(&path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(&path)
        .map_err(|e| anyhow::anyhow!("control socket {}: {e}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o660))?;
    tracing::info!(socket = %path.display(), "control socket ready");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of descriptors: pause rather than spin.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let (shared, listeners) = (Arc::clone(&shared), Arc::clone(&listeners));
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut line = String::new();
                // A request is one short word; never buffer more than that.
                let mut reader = BufReader::new(tokio::io::AsyncReadExt::take(read, 64));
                let read = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    reader.read_line(&mut line),
                )
                .await;
                let answer = match (read, line.trim()) {
                    (Ok(Ok(_)), "status") => {
                        let s = Arc::clone(&shared);
                        let l = Arc::clone(&listeners);
                        tokio::task::spawn_blocking(move || serde_json::to_value(status(&s, &l)))
                            .await
                            .map_err(|e| e.to_string())
                            .and_then(|v| v.map_err(|e| e.to_string()))
                            .unwrap_or_else(|e| serde_json::json!({ "error": e }))
                    }
                    // What `relayctl --wait` polls for, every few milliseconds: the serials
                    // in force and the last reload, without the spool scan of `status`.
                    (Ok(Ok(_)), "enforced") => serde_json::json!({
                        "serial": shared.current().serial,
                        "names_serial": shared.names.load().serial,
                        "last_reload": shared.reload.lock().map(|r| r.clone()).unwrap_or_default(),
                    }),
                    (Ok(Ok(_)), request) => queue_request(&shared, request).await,
                    _ => serde_json::json!({ "error": "no request read" }),
                }
                .to_string();
                let _ = write.write_all(answer.as_bytes()).await;
                let _ = write.write_all(b"\n").await;
            });
        }
    });
    Ok(())
}

/// `flush [ID]`, `hold ID`, `release ID`, `delete ID`.
async fn queue_request(shared: &Arc<Shared>, request: &str) -> serde_json::Value {
    use crate::state::Wake;
    let mut words = request.split_whitespace();
    let (verb, id) = (words.next().unwrap_or(""), words.next().map(str::to_string));
    let valid = |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric());
    if let Some(id) = &id {
        if !valid(id) || words.next().is_some() {
            return serde_json::json!({ "error": "a queue id is letters and digits" });
        }
    }
    let spool = shared.current().daemon.spool_dir.clone();
    let exists = |id: &str| spool.join("queue").join(id).is_file();
    match (verb, id) {
        ("flush", None) => {
            let _ = shared.queue.send(Wake::Flush(None));
            serde_json::json!({ "ok": "every queued message is due now" })
        }
        ("flush" | "hold" | "release" | "delete", Some(id)) if !exists(&id) => {
            serde_json::json!({ "error": format!("no message {id} in the queue") })
        }
        ("flush", Some(id)) => {
            let _ = shared.queue.send(Wake::Flush(Some(id.clone())));
            serde_json::json!({ "ok": format!("{id} is due now") })
        }
        ("hold" | "release", Some(id)) => {
            let held = verb == "hold";
            let (dir, key) = (spool.clone(), id.clone());
            let done = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let (env, _) = shared::spool::Spool::new(&dir).read(&key)?;
                let mut st = shared::queue_state::load(&dir, &key, &env.rcpt_to)?;
                st.held = held;
                shared::queue_state::store(&dir, &key, &st)
            })
            .await;
            match done {
                Ok(Ok(())) => {
                    if !held {
                        let _ = shared.queue.send(Wake::Flush(Some(id.clone())));
                    }
                    tracing::info!(id = %id, held, "queue: held or released by the administrator");
                    serde_json::json!({ "ok": format!("{id} {}", if held { "held" } else { "released" }) })
                }
                Ok(Err(e)) => serde_json::json!({ "error": e.to_string() }),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            }
        }
        ("delete", Some(id)) => {
            let (dir, key) = (spool.clone(), id.clone());
            match tokio::task::spawn_blocking(move || {
                shared::queue_state::remove_message(&dir, &key)
            })
            .await
            {
                Ok(Ok(())) => {
                    tracing::warn!(id = %id, "queue: deleted by the administrator, undelivered recipients dropped without a bounce");
                    serde_json::json!({ "ok": format!("{id} deleted") })
                }
                Ok(Err(e)) => serde_json::json!({ "error": e.to_string() }),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            }
        }
        _ => {
            serde_json::json!({ "error": "unknown request (status, flush [ID], hold ID, release ID, delete ID)" })
        }
    }
}
