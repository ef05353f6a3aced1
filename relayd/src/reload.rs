//! Keeping `Active` in step with the store: an inotify watch on the store folder (via
//! `notify`), SIGHUP as in the original, a one-second look at the file's identity in case
//! an event is ever missed, and a re-resolve when name entries' TTLs run out. Every path
//! ends in `reload`, which compiles beside the running settings and swaps only a whole,
//! good result; a store that fails to load leaves the last good one in force.
//!
//! A reload never waits on DNS: the list is swapped in first, keeping the answers of the
//! name entries it still has, and names new to the list are resolved afterwards and
//! folded in (`fold_names`) when their answers arrive.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use shared::settings::DaemonSettings;
use shared::store::{Since, Store, Version, DELTA_FILE, DOMAIN_FILE};
use shared::trust::ResolvedNames;
use tokio::sync::Mutex as AsyncMutex;

use crate::listener::Listeners;
use crate::state::{dns_key, entry_digest, Active, DnsKey, Names, Shared, StoreMark};

/// Serialises reloads: two triggers at once compile once each, in order.
static RELOADING: AsyncMutex<()> = AsyncMutex::const_new(());
/// One name resolution at a time (it loops until it has resolved the list in force).
static RESOLVING: AsyncMutex<()> = AsyncMutex::const_new(());
/// Makes each read-modify-write of `Shared::names` whole.
static NAMES_SWAP: Mutex<()> = Mutex::new(());

/// The trigger of the first load: its names are resolved by the caller, which waits
/// for them (a daemon starts trusting what its list says, within `dns_timeout`).
pub const START: &str = "start";

/// The trigger named in logs for the signal; it always reads the store whole.
pub const SIGHUP: &str = "SIGHUP";

/// The identities of the store's two files now.
pub fn mark(store: &Store) -> StoreMark {
    let id = |name: &str| {
        std::fs::metadata(store.dir().join(name))
            .ok()
            .map(|m| shared::store::file_id(&m))
    };
    [id(DOMAIN_FILE), id(DELTA_FILE)]
}

/// What one reload found.
enum Outcome {
    /// The store is as the settings in force were read from it.
    Unchanged,
    /// Only trusted hosts were added or removed: the list in force, edited.
    Edited(Active, Vec<String>, Version),
    /// The store read whole (its serial is known whenever it loaded, even if it then
    /// failed to compile, so `relayctl --wait` can tell that its write was refused).
    Whole(Option<u64>, anyhow::Result<(Active, Version)>),
}

/// Loads, compiles and (if good) swaps in the store's current settings; when the store
/// only grew a delta of trusted-host changes, applies just those to the list in force.
pub async fn reload(shared: &Arc<Shared>, listeners: &Arc<Listeners>, why: &str) -> bool {
    let _one_at_a_time = RELOADING.lock().await;
    let started = Instant::now();
    // Taken before the read: a change landing during it is seen again by the poller.
    if let Ok(mut loaded) = shared.loaded.lock() {
        *loaded = mark(&shared.store);
    }
    // A signal or the first load reads everything: that is what SIGHUP promises.
    let seen = match why {
        START | SIGHUP => None,
        _ => shared.version.lock().ok().and_then(|v| v.clone()),
    };
    let inner = Arc::clone(shared);
    let old = shared.current();
    let held = Arc::clone(&old);
    // The service manager hears of a reload only when there is one (not of every poll
    // that finds the store as it was), and never before the first READY.
    let announce = why != START;
    let outcome = tokio::task::spawn_blocking(move || read(&inner, &held, seen, announce))
        .await
        .unwrap_or_else(|e| Outcome::Whole(None, Err(e.into())));
    let (mut active, added, version, errors, how) = match outcome {
        Outcome::Unchanged => return true,
        Outcome::Edited(active, added, version) => (active, added, version, Vec::new(), "delta"),
        Outcome::Whole(_, Ok((active, version))) => {
            let added = added_entries(&old, &active);
            let errors = listeners.sync(shared, &active);
            (active, added, version, errors, "whole")
        }
        Outcome::Whole(serial, Err(e)) => {
            let error = format!("{e:#}");
            tracing::error!(trigger = why, error = %error, "reload failed: the last good settings stay in force");
            record(shared, started, serial, Some(error), false);
            if announce {
                crate::service::ready(old.serial);
            }
            return false;
        }
    };
    log_changes(&active, why, how, &added);
    // The strings are megabytes at 100,000 entries; the compiled list keeps what it needs.
    active.relay.relay_list = Vec::new();
    let serial = active.serial;
    active.generation = old.generation + 1;
    let names = name_texts(&active);
    let dns_key = dns_key(&active.daemon);
    shared.active.store(Arc::new(active));
    if let Ok(mut v) = shared.version.lock() {
        *v = Some(version);
    }
    if why != START && !keep_names(shared, &names, &dns_key, serial) {
        let shared = Arc::clone(shared);
        tokio::spawn(async move { fold_names(&shared).await });
    }
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    record(shared, started, Some(serial), error, true);
    if announce {
        crate::service::ready(serial);
    }
    drop(old);
    release_freed_memory();
    true
}

/// The blocking half of a reload: the delta's new changes applied to `old` when that
/// is all that changed since `seen`, else the store read and compiled whole.
fn read(shared: &Shared, old: &Active, seen: Option<Version>, announce: bool) -> Outcome {
    let begin = || {
        if announce {
            crate::service::reloading();
        }
    };
    if seen.is_none() {
        begin();
    }
    if let Some(seen) = seen {
        let since = shared.store.changes_since(&seen);
        if !matches!(since, Ok(Since::Unchanged)) {
            begin();
        }
        match since {
            Ok(Since::Unchanged) => return Outcome::Unchanged,
            Ok(Since::Grew {
                changes,
                serial,
                version,
            }) => {
                if let Some((active, added)) = old.edited(&changes, serial) {
                    let added = added.into_iter().map(str::to_string).collect();
                    return Outcome::Edited(active, added, version);
                }
            }
            // A damaged delta is reported by the whole read below.
            Ok(Since::Rewritten) | Err(_) => {}
        }
    }
    match shared.store.read() {
        Ok(loaded) => Outcome::Whole(
            Some(loaded.domain.serial()),
            prepare_and_compile(shared, &loaded.domain).map(|a| (a, loaded.version)),
        ),
        Err(e) => Outcome::Whole(None, Err(e.into())),
    }
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
        r.reloads += 1;
        if !applied {
            r.failures += 1;
        }
        r.applied = applied;
    }
}

/// The entries of a freshly compiled list that the list in force did not have.
fn added_entries(old: &Active, new: &Active) -> Vec<String> {
    new.relay
        .relay_list
        .iter()
        .filter(|e| old.entry_digests.binary_search(&entry_digest(e)).is_err())
        .cloned()
        .collect()
}

/// One log line per reload with the serial and how the store was read (`delta`: only
/// trusted-host changes, applied to the list in force), then the entries added and
/// each refused.
fn log_changes(new: &Active, why: &str, how: &str, added: &[String]) {
    let counts = new.hosts.counts();
    tracing::info!(
        trigger = why,
        read = how,
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
