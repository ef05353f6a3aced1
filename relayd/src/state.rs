//! What the daemon enforces right now, and what it counts. `Active` is built whole from
//! one store snapshot beside the running one and swapped in atomically; a session takes
//! the current `Arc<Active>` at each command, so a reload applies from the next RCPT of
//! every session in flight, and no session is ever dropped for it.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;
use serde::Serialize;
use shared::hostlist::{HostList, Rejected};
use shared::policy::PolicySettings;
use shared::settings::{DaemonSettings, RelaySettings};
use shared::store::{Domain, Store};
use tokio_rustls::rustls;

/// One compiled snapshot of the store.
pub struct Active {
    /// Bumped at every swap (a DNS refresh swaps without a new serial), so a session
    /// knows its cached trust is stale.
    pub generation: u64,
    pub serial: u64,
    pub relay: RelaySettings,
    pub policy: PolicySettings,
    pub daemon: DaemonSettings,
    /// The numeric entries of `open_relay_addr_list`.
    pub hosts: HostList,
    /// Addresses that the list's host names resolved to, each labelled by its name entry.
    pub resolved: HostList,
    /// Entries left out, with why (parse errors and names that did not resolve).
    pub rejected: Vec<Rejected>,
    /// SMTP AUTH users: lowercased name to password hash.
    pub users: HashMap<String, String>,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// When the name entries must be resolved again (the earliest TTL).
    pub dns_refresh_at: Option<Instant>,
}

impl Active {
    /// Compiles a store snapshot (no DNS here: `reload` adds the resolved names).
    pub fn compile(domain: &Domain, store_dir: &std::path::Path) -> anyhow::Result<Active> {
        let relay = RelaySettings::from_domain(domain)?;
        let daemon = DaemonSettings::from_domain(domain, store_dir)?;
        let compiled = HostList::compile(relay.relay_list.iter().map(String::as_str));
        let mut users = HashMap::new();
        if let Ok(dir) = domain.lookup(shared::users::USERS_DIR) {
            for u in domain.children(dir.id) {
                if let (Some(name), Some(hash)) = (
                    u.name(),
                    u.values(shared::users::PASSWD).and_then(|v| v.first()),
                ) {
                    users.insert(name.to_ascii_lowercase(), hash.clone());
                }
            }
        }
        let tls = match crate::tls::server_config(
            daemon.tls_cert.as_deref(),
            daemon.tls_key.as_deref(),
            store_dir,
            &daemon.hostname,
        ) {
            Ok(c) => Some(c),
            Err(e) if daemon.tls_cert.is_some() => return Err(e),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "no TLS: STARTTLS and AUTH are not offered");
                None
            }
        };
        // The spool folders must exist before the first message (spool_dir may change).
        shared::spool::Spool::new(daemon.spool_dir.clone())
            .ensure_dirs()
            .map_err(|e| anyhow::anyhow!("spool_dir {}: {e}", daemon.spool_dir.display()))?;
        Ok(Active {
            generation: 0,
            serial: domain.serial(),
            policy: relay.policy(),
            relay,
            daemon,
            hosts: compiled.list,
            resolved: HostList::default(),
            rejected: compiled.rejected,
            users,
            tls,
            dns_refresh_at: None,
        })
    }
}

/// The last reload, for `relayctl status` and `--wait`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReloadStatus {
    /// Seconds since the epoch.
    pub time: u64,
    pub duration_ms: u64,
    /// The serial of the store that was tried.
    pub serial: u64,
    pub error: Option<String>,
    /// Whether the store of this reload is in force (true also when only a listener
    /// failed; false when the store failed to load or compile).
    pub applied: bool,
    pub reloads: u64,
}

/// Counters since start.
#[derive(Default)]
pub struct Stats {
    pub sessions: AtomicU64,
    pub accepted_local: AtomicU64,
    pub relayed: AtomicU64,
    pub messages: AtomicU64,
    pub refused: Mutex<BTreeMap<String, u64>>,
}

impl Stats {
    pub fn refuse(&self, reason: &str) {
        if let Ok(mut m) = self.refused.lock() {
            *m.entry(reason.to_string()).or_default() += 1;
        }
    }
}

/// Everything the tasks share.
pub struct Shared {
    pub active: ArcSwap<Active>,
    pub store: Store,
    pub store_dir: PathBuf,
    pub started: Instant,
    pub stats: Stats,
    pub open_sessions: AtomicUsize,
    pub reload: Mutex<ReloadStatus>,
    /// Sessions per client address, for `max_connections_per_client`.
    pub per_client: Mutex<HashMap<IpAddr, usize>>,
    /// The DNS resolver for name entries and the servers it asks; rebuilt when
    /// `dns_servers` changes.
    pub dns: crate::reload::DnsSlot,
    /// The identity (inode, size, mtime) of the store file the last reload read, so the
    /// polling check only fires for changes no reload has seen.
    pub loaded: Mutex<Option<crate::reload::FileId>>,
    /// Password checks in flight (argon2 takes ~19 MiB and a core each): at most one per
    /// core, whatever the number of clients.
    pub auth_slots: tokio::sync::Semaphore,
    /// Recent AUTH failures per client address, across sessions: (count, last failure).
    pub auth_failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    /// Set at SIGTERM: idle sessions say 421 and close; a message in progress finishes.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// Publishes spooled messages in groups (one folder fsync for many).
    pub committer: crate::commit::Committer,
    /// `--listen` overrides `listen`.
    pub listen_override: Vec<shared::settings::Listen>,
}

impl Shared {
    pub fn current(&self) -> Arc<Active> {
        self.active.load_full()
    }

    pub fn count(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// How long AUTH failures are remembered for a client, and how many it may have in that
/// time before AUTH is refused outright.
pub const AUTH_FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);
pub const AUTH_FAILURE_LIMIT: u32 = 10;

impl Shared {
    /// Failures this client has had recently (forgetting old ones).
    pub fn recent_auth_failures(&self, client: IpAddr) -> u32 {
        let Ok(mut map) = self.auth_failures.lock() else {
            return AUTH_FAILURE_LIMIT;
        };
        match map.get(&client) {
            Some((_, last)) if last.elapsed() > AUTH_FAILURE_WINDOW => {
                map.remove(&client);
                0
            }
            Some((n, _)) => *n,
            None => 0,
        }
    }

    pub fn record_auth_failure(&self, client: IpAddr) -> u32 {
        let Ok(mut map) = self.auth_failures.lock() else {
            return AUTH_FAILURE_LIMIT;
        };
        if map.len() > 10_000 {
            map.retain(|_, (_, last)| last.elapsed() <= AUTH_FAILURE_WINDOW);
        }
        let entry = map.entry(client).or_insert((0, Instant::now()));
        if entry.1.elapsed() > AUTH_FAILURE_WINDOW {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = Instant::now();
        entry.0
    }
}
