//! Keeping `Active` in step with the store: an inotify watch on the store folder (via
//! `notify`), SIGHUP as in the original, a one-second look at the file's identity in case
//! an event is ever missed, and a re-resolve when name entries' TTLs run out. Every path
//! ends in `reload`, which compiles beside the running settings and swaps only a whole,
//! good result; a store that fails to load leaves the last good one in force.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::Watcher;
use shared::hostlist::{Entry, HostList, Rejected};
use shared::store::DOMAIN_FILE;
use tokio::sync::Mutex as AsyncMutex;

use crate::listener::Listeners;
use crate::state::{Active, Shared};

/// Serialises reloads: two triggers at once compile once each, in order.
static RELOADING: AsyncMutex<()> = AsyncMutex::const_new(());

/// Loads, compiles and (if good) swaps in the store's current settings.
pub async fn reload(shared: &Arc<Shared>, listeners: &Arc<Listeners>, why: &str) -> bool {
    let _one_at_a_time = RELOADING.lock().await;
    let started = Instant::now();
    // Taken before the read: a change landing during it is seen again by the poller.
    if let Ok(mut loaded) = shared.loaded.lock() {
        *loaded = fingerprint(&shared.store.file());
    }
    let (store, dir) = (shared.store.clone(), shared.store_dir.clone());
    // The serial is known whenever the file loaded, even if it then fails to compile,
    // so `relayctl --wait` can tell that its write was refused.
    let compiled = tokio::task::spawn_blocking(move || -> (Option<u64>, anyhow::Result<Active>) {
        match store.load() {
            Ok(domain) => (Some(domain.serial()), Active::compile(&domain, &dir)),
            Err(e) => (None, Err(e.into())),
        }
    })
    .await
    .unwrap_or_else(|e| (None, Err(e.into())));
    let mut active = match compiled {
        (_, Ok(a)) => a,
        (serial, Err(e)) => {
            let error = format!("{e:#}");
            tracing::error!(trigger = why, error = %error, "reload failed: the last good settings stay in force");
            record(shared, started, serial, Some(error), false);
            return false;
        }
    };
    resolve_names(&shared.dns, &mut active).await;
    let old = shared.current();
    log_changes(&old, &active, why);
    let errors = listeners.sync(shared, &active);
    let serial = active.serial;
    active.generation = old.generation + 1;
    shared.active.store(Arc::new(active));
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    record(shared, started, Some(serial), error, true);
    drop(old);
    release_freed_memory();
    true
}

/// A reload of a big list frees tens of megabytes (the parsed file, the old settings);
/// glibc keeps freed memory in the process unless asked to give it back.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `serial` is the store's when it loaded; a store that did not load keeps the last one
/// known. `applied` says whether the new settings are in force (listener errors leave
/// them applied; a store that fails to load or compile does not).
fn record(
    shared: &Shared,
    started: Instant,
    serial: Option<u64>,
    error: Option<String>,
    applied: bool,
) {
    if let Ok(mut r) = shared.reload.lock() {
        r.time = shared::spool::now_secs();
        r.duration_ms = started.elapsed().as_millis() as u64;
        if let Some(s) = serial {
            r.serial = s;
        }
        r.error = error;
        r.applied = applied;
        r.reloads += 1;
    }
}

/// The resolver and the servers it asks, kept between reloads.
pub type DnsSlot = arc_swap::ArcSwap<Option<(Vec<std::net::SocketAddr>, Arc<shared::dns::Dns>)>>;

/// Resolves the list's host names into `active.resolved` (with `dns_servers`), making or
/// remaking the resolver in `slot` when the servers changed.
pub async fn resolve_names(slot: &DnsSlot, active: &mut Active) {
    let names = active.hosts.names().to_vec();
    if names.is_empty() {
        return;
    }
    let servers = &active.daemon.dns_servers;
    let dns = match slot.load_full().as_ref() {
        Some((s, d)) if s == servers => Arc::clone(d),
        _ => match shared::dns::Dns::new(servers, Duration::from_secs(2)) {
            Ok(d) => {
                let d = Arc::new(d);
                slot.store(Arc::new(Some((servers.clone(), Arc::clone(&d)))));
                d
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "no DNS resolver: name entries trust nobody");
                return;
            }
        },
    };
    let resolved = dns.resolve_names(&names).await;
    let index_of = |text: &str| names.iter().find(|n| n.text == text).map_or(0, |n| n.index);
    for (text, reason) in &resolved.failures {
        active.rejected.push(Rejected {
            index: index_of(text),
            text: text.clone(),
            reason: reason.clone(),
        });
    }
    let entries = resolved
        .addrs
        .iter()
        .map(|(_, text, ip)| (text.clone(), Entry::Addr(*ip)));
    active.resolved = HostList::from_entries(entries).list;
    active.dns_refresh_at = resolved.refresh_at;
}

/// One log line per reload with the serial, then the entries added and each refused.
fn log_changes(old: &Active, new: &Active, why: &str) {
    let before: HashSet<&str> = old.relay.relay_list.iter().map(String::as_str).collect();
    let added: Vec<&str> = new
        .relay
        .relay_list
        .iter()
        .map(String::as_str)
        .filter(|e| !before.contains(e))
        .collect();
    let counts = new.hosts.counts();
    tracing::info!(
        trigger = why,
        serial = new.serial,
        addresses = counts.addresses,
        networks = counts.networks,
        names = counts.names,
        added = added.len(),
        refused = new.rejected.len(),
        "reloaded"
    );
    const SHOWN: usize = 100;
    for entry in added.iter().take(SHOWN) {
        tracing::info!(serial = new.serial, entry, "relay list entry added");
    }
    if added.len() > SHOWN {
        tracing::info!(
            serial = new.serial,
            more = added.len() - SHOWN,
            "further relay list entries added"
        );
    }
    for r in &new.rejected {
        tracing::warn!(serial = new.serial, entry = %r.text, reason = %r.reason, "relay list entry refused");
    }
    if new.relay.is_open_relay() {
        tracing::warn!(
            serial = new.serial,
            "OPEN RELAY: open_relay_addr_flag 0 and smtp_auth_flag 0 let anyone send mail anywhere through this server"
        );
    }
}

/// A file's identity (inode, size, mtime seconds and nanoseconds), to notice a change
/// however it lands.
pub type FileId = (u64, u64, i64, i64);

fn fingerprint(path: &std::path::Path) -> Option<FileId> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
}

/// Starts every trigger. The returned watcher must be kept alive.
pub fn spawn_triggers(
    shared: Arc<Shared>,
    listeners: Arc<Listeners>,
) -> anyhow::Result<notify::RecommendedWatcher> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
    let file_tx = tx.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(ev) = event {
            let ours = ev
                .paths
                .iter()
                .any(|p| p.file_name().is_some_and(|n| n == DOMAIN_FILE));
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
            let _ = hup_tx.send("SIGHUP");
        }
    });

    let poll_tx = tx.clone();
    let poll_shared = Arc::clone(&shared);
    tokio::spawn(async move {
        let file = poll_shared.store.file();
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = fingerprint(&file);
            let seen = poll_shared.loaded.lock().map(|l| *l).unwrap_or(now);
            if now != seen {
                let _ = poll_tx.send("store changed (seen by polling)");
            }
            let refresh = poll_shared.current().dns_refresh_at;
            if refresh.is_some_and(|t| t <= Instant::now()) {
                let _ = poll_tx.send("DNS TTL expired");
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
