//! Keeping `Active` in step with the store: an inotify watch on the store folder (via
//! `notify`), SIGHUP as in the original, a one-second look at the file's identity in case
//! an event is ever missed, and a re-resolve when name entries' TTLs run out. Every path
//! ends in `reload`, which compiles beside the running settings and swaps only a whole,
//! good result; a store that fails to load leaves the last good one in force.
//!
//! A reload never waits on DNS: the list is swapped in first, keeping the answers of the
//! name entries it still has, and names new to the list are resolved afterwards and
//! folded in (`fold_names`) when their answers arrive.

use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use notify::Watcher;
use shared::settings::DaemonSettings;
use shared::store::DOMAIN_FILE;
use shared::trust::ResolvedNames;
use tokio::sync::Mutex as AsyncMutex;

use crate::listener::Listeners;
use crate::state::{dns_key, entry_digest, Active, DnsKey, FileId, Names, Shared};

/// Serialises reloads: two triggers at once compile once each, in order.
static RELOADING: AsyncMutex<()> = AsyncMutex::const_new(());
/// One name resolution at a time (it loops until it has resolved the list in force).
static RESOLVING: AsyncMutex<()> = AsyncMutex::const_new(());
/// Makes each read-modify-write of `Shared::names` whole.
static NAMES_SWAP: Mutex<()> = Mutex::new(());

/// The trigger of the first load: its names are resolved by the caller, which waits
/// for them (a daemon starts trusting what its list says, within `dns_timeout`).
pub const START: &str = "start";

/// Loads, compiles and (if good) swaps in the store's current settings.
pub async fn reload(shared: &Arc<Shared>, listeners: &Arc<Listeners>, why: &str) -> bool {
    let _one_at_a_time = RELOADING.lock().await;
    let started = Instant::now();
    // Taken before the read: a change landing during it is seen again by the poller.
    if let Ok(mut loaded) = shared.loaded.lock() {
        *loaded = fingerprint(&shared.store.file());
    }
    let inner = Arc::clone(shared);
    // The serial is known whenever the file loaded, even if it then fails to compile,
    // so `relayctl --wait` can tell that its write was refused.
    let compiled = tokio::task::spawn_blocking(move || -> (Option<u64>, anyhow::Result<Active>) {
        match inner.store.load() {
            Ok(domain) => (Some(domain.serial()), prepare_and_compile(&inner, &domain)),
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
    let old = shared.current();
    log_changes(&old, &active, why);
    active.relay.relay_list = Vec::new();
    let errors = listeners.sync(shared, &active);
    let serial = active.serial;
    active.generation = old.generation + 1;
    let names = name_texts(&active);
    let dns_key = dns_key(&active.daemon);
    shared.active.store(Arc::new(active));
    if why != START && !keep_names(shared, &names, &dns_key, serial) {
        let shared = Arc::clone(shared);
        tokio::spawn(async move { fold_names(&shared).await });
    }
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    record(shared, started, Some(serial), error, true);
    drop(old);
    release_freed_memory();
    true
}

/// What the daemon must have on disk for these settings (its self-signed certificate,
/// the spool's folders and lock), then the compiled settings.
fn prepare_and_compile(shared: &Shared, domain: &shared::store::Domain) -> anyhow::Result<Active> {
    let daemon = DaemonSettings::from_domain(domain, &shared.store_dir)?;
    if daemon.tls_cert.is_none() {
        if let Err(e) = crate::tls::ensure_self_signed(&shared.store_dir, &daemon.hostname) {
            tracing::error!(error = %format!("{e:#}"), "cannot make a self-signed certificate");
        }
    }
    let spool = shared::spool::Spool::new(daemon.spool_dir.clone());
    spool
        .ensure_dirs()
        .and_then(|()| shared.hold_spool(&daemon.spool_dir))
        .map_err(|e| anyhow::anyhow!("spool_dir {}: {e}", daemon.spool_dir.display()))?;
    Active::compile(domain, &shared.store_dir)
}

fn name_texts(active: &Active) -> Vec<String> {
    active
        .hosts
        .names()
        .iter()
        .map(|n| n.text.clone())
        .collect()
}

/// The names in force are the list's names, resolved the same way: they stay, now
/// counted as resolved for `serial`. False when the names must be resolved (again).
fn keep_names(shared: &Shared, names: &[String], dns: &DnsKey, serial: u64) -> bool {
    let Ok(_whole) = NAMES_SWAP.lock() else {
        return false;
    };
    let current = shared.names.load_full();
    if current.for_names != names || current.dns_key != *dns {
        return false;
    }
    shared.names.store(Arc::new(Names {
        generation: current.generation,
        serial: serial.max(current.serial),
        resolved: current.resolved.clone(),
        for_names: current.for_names.clone(),
        dns_key: current.dns_key.clone(),
    }));
    true
}

/// Resolves the name entries of the list in force and swaps their answers in; again
/// while the list changed under it. Sessions never wait for this.
pub async fn fold_names(shared: &Arc<Shared>) {
    let _one = RESOLVING.lock().await;
    loop {
        let active = shared.current();
        let names = active.hosts.names().to_vec();
        let texts = name_texts(&active);
        let key = dns_key(&active.daemon);
        let started = Instant::now();
        let resolved = match names.is_empty() {
            true => ResolvedNames::default(),
            false => match shared.dns_for(&active.daemon) {
                Some(dns) => ResolvedNames::resolve(&dns, &names).await,
                None => ResolvedNames::default(),
            },
        };
        for r in &resolved.failures {
            tracing::warn!(serial = active.serial, entry = %r.text, reason = %r.reason, "relay list name does not resolve: it trusts nobody");
        }
        if !names.is_empty() {
            tracing::info!(
                serial = active.serial,
                names = names.len(),
                addresses = resolved.count,
                failures = resolved.failures.len(),
                ms = started.elapsed().as_millis() as u64,
                "name entries resolved"
            );
        }
        let settled = {
            let Ok(_whole) = NAMES_SWAP.lock() else {
                return;
            };
            let now = shared.current();
            let same = name_texts(&now) == texts && dns_key(&now.daemon) == key;
            let generation = shared.names.load().generation + 1;
            let serial = if same { now.serial } else { active.serial };
            shared.names.store(Arc::new(Names {
                generation,
                serial,
                resolved,
                for_names: texts,
                dns_key: key,
            }));
            same
        };
        if settled {
            return;
        }
    }
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

/// One log line per reload with the serial, then the entries added and each refused.
fn log_changes(old: &Active, new: &Active, why: &str) {
    let added: Vec<&str> = new
        .relay
        .relay_list
        .iter()
        .map(String::as_str)
        .filter(|e| old.entry_digests.binary_search(&entry_digest(e)).is_err())
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
    if let Some(why) = &new.open_relay {
        tracing::warn!(serial = new.serial, "OPEN RELAY: {why}");
    }
}

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

    let poll_shared = Arc::clone(&shared);
    tokio::spawn(async move {
        let file = poll_shared.store.file();
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = fingerprint(&file);
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
