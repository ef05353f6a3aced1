//! What starts a reload: an inotify watch on the store folder (via `notify`) for the
//! domain file and its delta, SIGHUP as in the original, a one-second look at both
//! files' identities in case an event is ever missed, and a re-resolve when name
//! entries' TTLs run out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::Watcher;
use shared::store::{DELTA_FILE, DOMAIN_FILE};

use crate::listener::Listeners;
use crate::reload::{fold_names, mark, reload, SIGHUP};
use crate::state::Shared;

/// Starts every trigger. The returned watcher must be kept alive.
pub fn spawn_triggers(
    shared: Arc<Shared>,
    listeners: Arc<Listeners>,
) -> anyhow::Result<notify::RecommendedWatcher> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
    let file_tx = tx.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(ev) = event {
            let ours = ev.paths.iter().any(|p| {
                p.file_name()
                    .is_some_and(|n| n == DOMAIN_FILE || n == DELTA_FILE)
            });
            if ours && !ev.kind.is_access() {
                let _ = file_tx.send("store changed");
            }
        }
    })?;
    std::fs::create_dir_all(&shared.store_dir)?;
    watcher.watch(&shared.store_dir, notify::RecursiveMode::NonRecursive)?;

    let hup_tx = tx.clone();
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::error!("cannot catch SIGHUP");
            return;
        };
        while hup.recv().await.is_some() {
            let _ = hup_tx.send(SIGHUP);
        }
    });

    let poll_shared = Arc::clone(&shared);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = mark(&poll_shared.store);
            let seen = poll_shared.loaded.lock().map(|l| *l).unwrap_or(now);
            if now != seen {
                let _ = tx.send("store changed (seen by polling)");
            }
        }
    });

    // Its own task: a resolution may take up to `dns_timeout`, and must not hold up
    // the polling of the store.
    let ttl_shared = Arc::clone(&shared);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let refresh = ttl_shared.names.load().resolved.refresh_at;
            if refresh.is_some_and(|t| t <= Instant::now()) {
                tracing::debug!("name entries' TTL ran out: resolving again");
                fold_names(&ttl_shared).await;
            }
        }
    });

    tokio::spawn(async move {
        while let Some(why) = rx.recv().await {
            // Coalesce a burst (a rename is several events) into one reload.
            while rx.try_recv().is_ok() {}
            reload(&shared, &listeners, why).await;
        }
    });
    Ok(watcher)
}
