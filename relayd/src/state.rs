//! What the daemon enforces right now, and what it counts. `Active` is built whole from
//! one store snapshot beside the running one and swapped in atomically; a session takes
//! the current `Arc<Active>` at each command, so a reload applies from the next RCPT of
//! every session in flight, and no session is ever dropped for it. The addresses the
//! name entries resolve to (`Names`) are swapped on their own, after the list: a reload
//! never waits on DNS (ARCHITECTURE.md "Reloads").

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use serde::Serialize;
use shared::dns::Dns;
use shared::hostlist::{Edit, HostList, Rejected};
use shared::policy::PolicySettings;
use shared::settings::{DaemonSettings, RelaySettings, APPLE_MAIL_SERVER, RELAY_LIST};
use shared::store::{Change, DirId, Domain, Store, Version};
use shared::trust::ResolvedNames;
use shared::users::Users;

pub use crate::stats::Stats;
use tokio_rustls::rustls;

/// One compiled snapshot of the store.
pub struct Active {
    /// Bumped at every swap, so a session knows its cached trust is stale.
    pub generation: u64,
    pub serial: u64,
    pub relay: RelaySettings,
    pub policy: PolicySettings,
    pub daemon: DaemonSettings,
    /// `open_relay_addr_list` compiled: numeric entries, and the name entries to resolve.
    pub hosts: HostList,
    /// Entries left out, with why.
    pub rejected: Vec<Rejected>,
    pub users: Users,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The DKIM key for mail to MX hosts; a key that cannot be read fails the reload.
    pub dkim: Option<Arc<shared::dkim::Dkim>>,
    /// Why these settings make an open relay, if they do (warned at every reload).
    pub open_relay: Option<String>,
    /// A sorted digest of each list entry: what the next reload compares against to log
    /// the entries it adds. `relay.relay_list` itself is dropped once the swap has logged,
    /// since at 100,000 entries its strings are megabytes the compiled list does not need.
    pub entry_digests: Vec<u64>,
    /// The directory holding `open_relay_addr_list`, when the list is written there
    /// (not defaulted): store changes to just that property are applied to `hosts` in
    /// place (`edited`) instead of compiling the whole store again.
    pub relay_list_dir: Option<DirId>,
}

/// The digest `entry_digests` holds for one entry as written.
pub fn entry_digest(entry: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    entry.hash(&mut h);
    h.finish()
}

impl Active {
    /// Compiles a store snapshot. Reads only: no DNS (names are folded in after the
    /// swap), and nothing written, so `--check-config` leaves the disk as it was.
    pub fn compile(domain: &Domain, store_dir: &Path) -> anyhow::Result<Active> {
        let relay = RelaySettings::from_domain(domain)?;
        let daemon = DaemonSettings::from_domain(domain, store_dir)?;
        let compiled = HostList::compile(relay.relay_list.iter().map(String::as_str));
        let mut entry_digests: Vec<u64> =
            relay.relay_list.iter().map(|e| entry_digest(e)).collect();
        entry_digests.sort_unstable();
        let tls = match crate::tls::server_config(
            daemon.tls_cert.as_deref(),
            daemon.tls_key.as_deref(),
            store_dir,
        ) {
            Ok(c) => Some(c),
            Err(e) if daemon.tls_cert.is_some() => return Err(e),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "no TLS: STARTTLS and AUTH are not offered");
                None
            }
        };
        let dkim = match &daemon.dkim {
            Some((d, s, key)) => Some(Arc::new(shared::dkim::Dkim::load(d, s, key)?)),
            None => None,
        };
        let open_relay = open_relay(&relay, &compiled.list);
        let relay_list_dir = domain
            .lookup(APPLE_MAIL_SERVER)
            .ok()
            .filter(|d| d.values(RELAY_LIST).is_some())
            .map(|d| d.id);
        Ok(Active {
            generation: 0,
            serial: domain.serial(),
            policy: relay.policy(),
            relay,
            daemon,
            hosts: compiled.list,
            rejected: compiled.rejected,
            users: Users::from_domain(domain),
            tls,
            dkim,
            open_relay,
            entry_digests,
            relay_list_dir,
        })
    }

    /// These settings with `changes` applied, if every one of them adds or removes
    /// trusted hosts (the common edit: `relayctl relay add|remove`); `None` when any
    /// touches something else, which needs a whole compile. Also returns the entries
    /// added that were not in the list, for the reload log.
    pub fn edited<'c>(&self, changes: &'c [Change], serial: u64) -> Option<(Active, Vec<&'c str>)> {
        let dir = self.relay_list_dir?;
        let mut edits = Vec::with_capacity(changes.len());
        let mut digests = self.entry_digests.clone();
        let mut added = Vec::new();
        for change in changes {
            if change.target() != (dir, RELAY_LIST) {
                return None;
            }
            match change {
                Change::Append { values, .. } => {
                    for v in values {
                        let d = entry_digest(v);
                        let at = digests.partition_point(|&x| x < d);
                        if digests.get(at) != Some(&d) {
                            added.push(v.as_str());
                        }
                        digests.insert(at, d);
                    }
                    edits.push(Edit::Append(values));
                }
                Change::Remove { values, .. } => {
                    let doomed: Vec<u64> = values.iter().map(|v| entry_digest(v)).collect();
                    digests.retain(|d| !doomed.contains(d));
                    edits.push(Edit::Remove(values));
                }
            }
        }
        let compiled = self.hosts.apply(&self.rejected, &edits);
        let active = Active {
            generation: self.generation,
            serial,
            relay: self.relay.clone(),
            policy: self.policy.clone(),
            daemon: self.daemon.clone(),
            open_relay: open_relay(&self.relay, &compiled.list),
            hosts: compiled.list,
            rejected: compiled.rejected,
            users: self.users.clone(),
            tls: self.tls.clone(),
            dkim: self.dkim.clone(),
            entry_digests: digests,
            relay_list_dir: self.relay_list_dir,
        };
        Some((active, added))
    }
}

/// Why these settings make an open relay, if they do.
fn open_relay(relay: &RelaySettings, hosts: &HostList) -> Option<String> {
    if relay.is_open_relay() {
        Some("open_relay_addr_flag 0 and smtp_auth_flag 0 let anyone send mail anywhere through this server".to_string())
    } else if relay.restrict_relay {
        shared::trust::trusts_everyone(hosts)
    } else {
        None
    }
}

/// The addresses the name entries resolved to, for the list of one serial.
#[derive(Default)]
pub struct Names {
    /// Bumped at every swap, like `Active::generation`.
    pub generation: u64,
    /// The serial of the list these names were resolved for (status and `--wait`).
    pub serial: u64,
    pub resolved: ResolvedNames,
    /// The name entries (as written) and the resolver settings these answers are for.
    pub for_names: Vec<String>,
    pub dns_key: DnsKey,
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
    /// Reloads whose store failed to load or compile (the last good one stayed).
    pub failures: u64,
}

/// What the queue runner is told: a message was queued, or the administrator asks for
/// one message (or all) to be tried now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    Queued(String),
    Flush(Option<String>),
}

/// The identities of the domain file and its delta, to notice a change however it
/// lands.
pub type StoreMark = [Option<shared::store::FileId>; 2];

/// The resolver for name entries and what it was made for (`dns_servers`,
/// `dns_timeout`); remade when they change.
pub type DnsSlot = ArcSwap<Option<(DnsKey, Arc<Dns>)>>;

/// What a resolver is made from: `dns_servers` and `dns_timeout`.
pub type DnsKey = (Vec<SocketAddr>, Duration);

pub fn dns_key(d: &DaemonSettings) -> DnsKey {
    (d.dns_servers.clone(), d.dns_timeout)
}

/// Everything the tasks share.
pub struct Shared {
    pub active: ArcSwap<Active>,
    pub names: ArcSwap<Names>,
    pub store: Store,
    pub store_dir: PathBuf,
    pub started: Instant,
    pub stats: Stats,
    pub open_sessions: AtomicUsize,
    pub reload: Mutex<ReloadStatus>,
    /// Sessions per client group, for `max_connections_per_client`.
    pub per_client: Mutex<HashMap<IpAddr, usize>>,
    pub dns: DnsSlot,
    /// The identity of the store file the last reload read, so the polling check only
    /// fires for changes no reload has seen.
    pub loaded: Mutex<StoreMark>,
    /// What the settings in force were read from (`None`: read the store whole next).
    pub version: Mutex<Option<Version>>,
    /// Password checks in flight (argon2 takes ~19 MiB and a core each): at most one per
    /// core, whatever the number of clients.
    pub auth_slots: tokio::sync::Semaphore,
    /// Recent failures (AUTH, unknown users) per client group, across sessions: (count,
    /// last failure).
    pub failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    /// Where a shutdown is: sessions and the queue runner watch it.
    pub stopping: tokio::sync::watch::Sender<Stop>,
    /// Delivery attempts in flight, which a shutdown waits for.
    pub deliveries: AtomicUsize,
    /// Publishes spooled messages in groups (one folder fsync for many).
    pub committer: crate::commit::Committer,
    /// Tells the queue runner about new messages and flushes.
    pub queue: tokio::sync::mpsc::UnboundedSender<Wake>,
    /// `--listen` overrides `listen`.
    pub listen_override: Vec<shared::settings::Listen>,
    /// The spools this process holds locked (the first, and any `spool_dir` a reload
    /// moved to): a second relayd on one of them is refused.
    pub spool_locks: Mutex<HashMap<PathBuf, shared::spool::SpoolLock>>,
}

/// The stages of a shutdown, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stop {
    Running,
    /// SIGTERM: no new connections or delivery attempts; sessions between transactions
    /// get 421, a transaction under way may finish.
    Draining,
    /// `shutdown_timeout` passed: every session gets 421 at its next command.
    Now,
}

/// How long failures are remembered for a client, and how many it may have in that
/// time before AUTH, and local mail that could tell it which users exist, are refused.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(600);
pub const FAILURE_LIMIT: u32 = 10;

/// What per-client limits and throttles count by: the address, or for IPv6 its /64
/// (one host usually has a whole /64 to pick addresses from).
pub fn client_group(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        v4 => v4,
    }
}

impl Shared {
    pub fn current(&self) -> Arc<Active> {
        self.active.load_full()
    }

    pub fn count(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The resolver for these settings, made (inside the runtime) if they changed.
    pub fn dns_for(&self, daemon: &DaemonSettings) -> Option<Arc<Dns>> {
        let key = dns_key(daemon);
        if let Some((k, d)) = self.dns.load_full().as_ref() {
            if *k == key {
                return Some(Arc::clone(d));
            }
        }
        match Dns::new(&key.0, key.1) {
            Ok(d) => {
                let d = Arc::new(d);
                self.dns.store(Arc::new(Some((key, Arc::clone(&d)))));
                Some(d)
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "no DNS resolver: name entries trust nobody");
                None
            }
        }
    }

    /// Whether this client's group has failed too often lately.
    pub fn throttled(&self, client: IpAddr) -> bool {
        let Ok(mut map) = self.failures.lock() else {
            return true;
        };
        let group = client_group(client);
        match map.get(&group) {
            Some((_, last)) if last.elapsed() > FAILURE_WINDOW => {
                map.remove(&group);
                false
            }
            Some((n, _)) => *n >= FAILURE_LIMIT,
            None => false,
        }
    }

    /// Records one failure of this client's group; returns its recent count.
    pub fn record_failure(&self, client: IpAddr) -> u32 {
        let Ok(mut map) = self.failures.lock() else {
            return FAILURE_LIMIT;
        };
        if map.len() > 10_000 {
            map.retain(|_, (_, last)| last.elapsed() <= FAILURE_WINDOW);
        }
        let entry = map
            .entry(client_group(client))
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() > FAILURE_WINDOW {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = Instant::now();
        entry.0
    }

    /// Locks `dir` as this process's spool (once per folder).
    pub fn hold_spool(&self, dir: &Path) -> std::io::Result<()> {
        let mut held = self
            .spool_locks
            .lock()
            .map_err(|_| std::io::Error::other("spool lock table poisoned"))?;
        if !held.contains_key(dir) {
            let lock = shared::spool::Spool::new(dir).lock()?;
            held.insert(dir.to_path_buf(), lock);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ipv6_clients_are_grouped_by_their_64() {
        let g = |s: &str| super::client_group(s.parse().unwrap());
        assert_eq!(g("2001:db8:1:2::a"), g("2001:db8:1:2:ffff::b"));
        assert_ne!(g("2001:db8:1:2::a"), g("2001:db8:1:3::a"));
        assert_eq!(g("::ffff:192.0.2.1"), g("192.0.2.1"));
        assert_ne!(g("192.0.2.1"), g("192.0.2.2"));
    }
}
