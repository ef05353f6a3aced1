//! The control socket `relayctl status` talks to: one line in (`status`), one JSON
//! document out. It only reports; nothing sent here changes the daemon.

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
    refused: std::collections::BTreeMap<String, u64>,
    last_reload: ReloadStatus,
}

fn status(shared: &Shared, listeners: &Listeners) -> Status {
    let a = shared.current();
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
                    (Ok(Ok(_)), "status") => serde_json::to_string(&status(&shared, &listeners))
                        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
                    _ => "{\"error\":\"unknown request (send `status`)\"}".to_string(),
                };
                let _ = write.write_all(answer.as_bytes()).await;
                let _ = write.write_all(b"\n").await;
            });
        }
    });
    Ok(())
}
