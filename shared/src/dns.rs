//! DNS for the name entries of the trusted host list.
//!
//! An administrator may trust `mail.example.com` or `.example.com` instead of an address.
//! Such entries are matched two ways: on reload every host-name entry is resolved forward
//! (A and AAAA) and its addresses join the compiled list until their TTL ends
//! ([`Dns::resolve_names`]); and per session a client that no address entry covers is
//! looked up in reverse, and a reverse name covered by an entry counts only once a forward
//! lookup of that very name gives the client's address back ("forward-confirmed reverse
//! DNS", [`Dns::reverse_match`]). Which names an entry covers is decided by
//! [`shared::hostlist::reverse_name_matches`], so `relayctl` and `relayd` agree.
//!
//! What this module must never do:
//! - treat a failure, a timeout, a lame server or a malformed answer as trust: every error
//!   path ends in "not trusted" (`None`) or in a reported failure, never in a match;
//! - trust a reverse name that the forward lookup does not confirm (anyone who controls the
//!   reverse zone of their own addresses can claim any name);
//! - query anything but the configured servers (`dns_servers`); only when that setting is
//!   empty does it read the system configuration (`/etc/resolv.conf`). It does not read
//!   `/etc/hosts` for configured servers, and tests always pass a loopback server: the
//!   machine's own resolver is never queried by a test;
//! - make a session wait longer than the configured timeout: a whole client check is
//!   bounded by it, whatever the servers do.
//!
//! Loopback names are never sent to a server: hickory answers `localhost.` (127.0.0.1,
//! ::1) and the reverse zones of 127.0.0.0/8 and ::1 (`localhost.`) itself, as RFC 6761
//! asks. So an entry `localhost` trusts 127.0.0.1 and ::1 without any query, and tests use
//! documentation and private addresses (192.0.2.0/24, fd00::/8) for their clients.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::hostlist::{reverse_name_matches, NameEntry, NameKind};
use anyhow::Context as _;
use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, NameServerConfigGroup, ResolveHosts, ResolverConfig,
    ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{Name, ResolveError, TokioResolver};
use tokio::sync::Semaphore;
use tracing::debug;

/// Most clients whose answer is kept; beyond it expired, then soonest-expiring, answers go.
const MAX_CACHED_CLIENTS: usize = 10_000;
/// Longest a positive client answer is kept, whatever the records' TTL says.
const MAX_POSITIVE_TTL: Duration = Duration::from_secs(3600);
/// How long a negative client answer (no PTR, no covered name, unconfirmed, error,
/// timeout) is kept: briefly, so a fixed zone is noticed soon, but long enough that a
/// burst of sessions from one client does not wait on DNS each time.
const NEGATIVE_TTL: Duration = Duration::from_secs(30);
/// Earliest re-resolution after a reload, so records with TTL 0 do not make the daemon
/// resolve in a loop.
const MIN_REFRESH: Duration = Duration::from_secs(10);
/// Latest re-resolution after a reload, whatever the TTLs say.
const MAX_REFRESH: Duration = Duration::from_secs(3600);
/// When to try again after a name failed to resolve on reload.
const FAILURE_RETRY: Duration = Duration::from_secs(60);
/// Most reverse names of one client that are confirmed by a forward lookup; a PTR set
/// longer than this is an attempt to make the check slow.
const MAX_CONFIRMATIONS: usize = 8;
/// Most forward lookups in flight at once on reload.
const RESOLVE_CONCURRENCY: usize = 16;

/// The daemon's resolver for name entries, shared by every session behind an `Arc`.
pub struct Dns {
    /// hickory's resolver, set to ask only the configured servers with a short timeout.
    resolver: TokioResolver,
    /// Bound on one whole client check and on one name's forward lookup: past it the
    /// answer is "not trusted" / "timed out".
    timeout: Duration,
    /// Per-client answers of [`Dns::reverse_match`], so a client that sends many messages
    /// costs one set of lookups per TTL.
    cache: Mutex<ClientCache>,
}

/// The forward lookups of a reload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Each address a host-name entry resolved to: (entry index, entry text, address),
    /// in entry order.
    pub addrs: Vec<(usize, String, IpAddr)>,
    /// When the daemon must resolve again: the earliest TTL expiry among the answers (not
    /// sooner than 10 s, not later than 1 h from now), or one minute from now if a name
    /// failed. `None` when there was no host-name entry.
    pub refresh_at: Option<Instant>,
    /// Each host-name entry that gave no address: (entry text, reason), in entry order.
    pub failures: Vec<(String, String)>,
}

/// The name entry that made a client trusted, and the name it was trusted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameMatch {
    /// Position of the entry in the list (0-based).
    pub index: usize,
    /// The entry as written in the store.
    pub entry: String,
    /// The client's reverse name, confirmed by a forward lookup, without a trailing dot.
    pub reverse_name: String,
}

impl Dns {
    /// A resolver that asks `servers` (the `dns_servers` setting, e.g. `127.0.0.1:5353`),
    /// over UDP with TCP for truncated answers; with no servers, the system configuration.
    ///
    /// `timeout` bounds one client check and one name's forward lookup; each query gets
    /// half of it and is tried twice.
    pub fn new(servers: &[SocketAddr], timeout: Duration) -> anyhow::Result<Dns> {
        let mut builder = if servers.is_empty() {
            TokioResolver::builder_tokio()
                .context("reading the system DNS configuration (/etc/resolv.conf)")?
        } else {
            let mut group = NameServerConfigGroup::with_capacity(servers.len() * 2);
            for &server in servers {
                group.push(NameServerConfig::new(server, Protocol::Udp));
                group.push(NameServerConfig::new(server, Protocol::Tcp));
            }
            let config = ResolverConfig::from_parts(None, Vec::new(), group);
            let provider = TokioConnectionProvider::default();
            let mut builder = TokioResolver::builder_with_config(config, provider);
            builder.options_mut().use_hosts_file = ResolveHosts::Never;
            builder
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = (timeout / 2).max(Duration::from_millis(50));
        opts.attempts = 1;
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        opts.cache_size = 1024;
        opts.positive_max_ttl = Some(MAX_POSITIVE_TTL);
        opts.negative_max_ttl = Some(NEGATIVE_TTL);
        opts.preserve_intermediates = false;
        let resolver = builder.build();
        debug!(
            servers = ?servers,
            system_config = servers.is_empty(),
            timeout_ms = timeout.as_millis() as u64,
            "dns resolver ready"
        );
        Ok(Dns {
            resolver,
            timeout,
            cache: Mutex::new(ClientCache::default()),
        })
    }

    /// Forward-resolves every host-name entry (A and AAAA), for a reload. Subdomain entries
    /// are not resolved: they only match reverse names.
    ///
    /// Names are resolved concurrently (at most 16 at once), each bounded by the timeout,
    /// so a reload with many dead names takes about `timeout * names / 16`.
    pub async fn resolve_names(&self, names: &[NameEntry]) -> Resolved {
        let limit = Arc::new(Semaphore::new(RESOLVE_CONCURRENCY));
        let mut pending = Vec::new();
        for entry in names {
            let NameKind::Host(name) = &entry.kind else {
                continue;
            };
            let resolver = self.resolver.clone();
            let limit = Arc::clone(&limit);
            let name = name.clone();
            let timeout = self.timeout;
            let task = tokio::spawn(async move {
                // The semaphore is never closed; without a permit the lookup still runs.
                let _permit = limit.acquire_owned().await.ok();
                forward_all(&resolver, &name, timeout).await
            });
            pending.push((entry.index, entry.text.clone(), task));
        }

        let now = Instant::now();
        let mut resolved = Resolved::default();
        for (index, text, task) in pending {
            let answer = task
                .await
                .unwrap_or_else(|err| Err(format!("lookup task failed: {err}")));
            match answer {
                Ok((addrs, valid_until)) => {
                    debug!(entry = %text, addresses = addrs.len(), "name entry resolved");
                    let at = valid_until.clamp(now + MIN_REFRESH, now + MAX_REFRESH);
                    resolved.refresh_at = Some(resolved.refresh_at.map_or(at, |r| r.min(at)));
                    resolved
                        .addrs
                        .extend(addrs.into_iter().map(|ip| (index, text.clone(), ip)));
                }
                Err(reason) => {
                    debug!(entry = %text, %reason, "name entry did not resolve");
                    let at = now + FAILURE_RETRY;
                    resolved.refresh_at = Some(resolved.refresh_at.map_or(at, |r| r.min(at)));
                    resolved.failures.push((text, reason));
                }
            }
        }
        resolved
    }

    /// Whether a name entry trusts `client`: a PTR lookup of the client, then, for its
    /// reverse names covered by an entry (earliest entry first), a forward lookup (A or
    /// AAAA as fits the client) that must give the client back. The first confirmed name
    /// wins.
    ///
    /// Answers are cached per client (and per list of names, so a reload never reuses an
    /// answer for another list): positive ones until the records' TTL ends (at most 1 h),
    /// negative ones and failures for 30 s. Any error or timeout is `None`: not trusted.
    /// IPv4-mapped IPv6 clients are looked up as IPv4. Never waits longer than the timeout.
    pub async fn reverse_match(&self, client: IpAddr, names: &[NameEntry]) -> Option<NameMatch> {
        if names.is_empty() {
            return None;
        }
        let client = client.to_canonical();
        let list = names_fingerprint(names);
        if let Some(answer) = self.cached(client, list) {
            debug!(%client, matched = answer.is_some(), "reverse dns answer from cache");
            return answer;
        }

        let started = Instant::now();
        let outcome = tokio::time::timeout(self.timeout, self.confirm(client, names)).await;
        let now = Instant::now();
        let (answer, expires) = match outcome {
            Ok(Ok(Some((found, valid_until)))) => {
                debug!(
                    %client,
                    reverse_name = %found.reverse_name,
                    entry = %found.entry,
                    index = found.index,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "client trusted by confirmed reverse dns"
                );
                (Some(found), valid_until.min(now + MAX_POSITIVE_TTL))
            }
            Ok(Ok(None)) => {
                debug!(%client, "no confirmed reverse name covered by a name entry");
                (None, now + NEGATIVE_TTL)
            }
            Ok(Err(reason)) => {
                debug!(%client, %reason, "reverse dns lookup failed: not trusted");
                (None, now + NEGATIVE_TTL)
            }
            Err(_) => {
                debug!(
                    %client,
                    timeout_ms = self.timeout.as_millis() as u64,
                    "reverse dns check timed out: not trusted"
                );
                (None, now + NEGATIVE_TTL)
            }
        };
        self.remember(client, list, answer.clone(), expires, now);
        answer
    }

    /// The uncached check: `Ok(Some((match, valid until)))`, `Ok(None)` when no covered
    /// reverse name is confirmed, `Err(reason)` when the PTR lookup itself failed.
    async fn confirm(
        &self,
        client: IpAddr,
        names: &[NameEntry],
    ) -> Result<Option<(NameMatch, Instant)>, String> {
        let ptr = self
            .resolver
            .reverse_lookup(client)
            .await
            .map_err(|err| describe(&err, "PTR"))?;
        let ptr_valid_until = ptr.valid_until();

        // Each reverse name with the earliest entry covering it; uncovered names are
        // never looked up.
        let mut candidates: Vec<(&NameEntry, Name, String)> = Vec::new();
        let mut seen = HashSet::new();
        for record in ptr.iter() {
            let name = record.0.clone();
            let Some(text) = host_name_text(&name) else {
                debug!(%client, reverse_name = %name, "reverse name is not a host name: ignored");
                continue;
            };
            if !seen.insert(text.clone()) {
                continue;
            }
            let covering = names
                .iter()
                .filter(|entry| reverse_name_matches(entry, &text))
                .min_by_key(|entry| entry.index);
            match covering {
                Some(entry) => candidates.push((entry, name, text)),
                None => debug!(%client, reverse_name = %text, "reverse name not covered"),
            }
        }
        candidates.sort_by_key(|(entry, _, _)| entry.index);

        for (entry, name, text) in candidates.into_iter().take(MAX_CONFIRMATIONS) {
            let confirmed = match client {
                IpAddr::V4(v4) => self.resolver.ipv4_lookup(name).await.map(|found| {
                    let hit = found.iter().any(|a| a.0 == v4);
                    (hit, found.valid_until())
                }),
                IpAddr::V6(v6) => self.resolver.ipv6_lookup(name).await.map(|found| {
                    let hit = found.iter().any(|aaaa| aaaa.0 == v6);
                    (hit, found.valid_until())
                }),
            };
            match confirmed {
                Ok((true, forward_valid_until)) => {
                    let found = NameMatch {
                        index: entry.index,
                        entry: entry.text.clone(),
                        reverse_name: text,
                    };
                    return Ok(Some((found, ptr_valid_until.min(forward_valid_until))));
                }
                Ok((false, _)) => {
                    debug!(%client, reverse_name = %text, "forward lookup does not give the client back");
                }
                Err(err) => {
                    let reason = describe(&err, if client.is_ipv4() { "A" } else { "AAAA" });
                    debug!(%client, reverse_name = %text, %reason, "forward confirmation failed");
                }
            }
        }
        Ok(None)
    }

    /// The cached answer for `client` under this list of names, if still valid.
    fn cached(&self, client: IpAddr, list: u64) -> Option<Option<NameMatch>> {
        let cache = self.lock_cache();
        let cached = cache.map.get(&client)?;
        (cached.list == list && cached.expires > Instant::now()).then(|| cached.answer.clone())
    }

    /// Keeps an answer, making room first if the cache is full.
    fn remember(
        &self,
        client: IpAddr,
        list: u64,
        answer: Option<NameMatch>,
        expires: Instant,
        now: Instant,
    ) {
        if expires <= now {
            return;
        }
        let mut cache = self.lock_cache();
        if cache.map.len() >= MAX_CACHED_CLIENTS && !cache.map.contains_key(&client) {
            cache.make_room(now);
        }
        cache.map.insert(
            client,
            Cached {
                list,
                answer,
                expires,
            },
        );
    }

    /// The cache; a panic elsewhere while it was held leaves whole entries only, so a
    /// poisoned lock is still usable.
    fn lock_cache(&self) -> std::sync::MutexGuard<'_, ClientCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Per-client answers of [`Dns::reverse_match`].
#[derive(Default)]
struct ClientCache {
    /// Canonical client address to its answer.
    map: HashMap<IpAddr, Cached>,
}

/// One cached client answer.
struct Cached {
    /// Fingerprint of the name entries the answer was computed for: a reload with other
    /// names must not reuse it.
    list: u64,
    /// The answer; `None` is "not trusted".
    answer: Option<NameMatch>,
    /// When the answer stops being valid.
    expires: Instant,
}

impl ClientCache {
    /// Drops expired answers, then, if still full, the eighth of them that expires
    /// soonest, so eviction costs O(1) per insertion on average.
    fn make_room(&mut self, now: Instant) {
        self.map.retain(|_, cached| cached.expires > now);
        if self.map.len() < MAX_CACHED_CLIENTS {
            return;
        }
        let mut expiries: Vec<Instant> = self.map.values().map(|c| c.expires).collect();
        let cut = expiries.len() / 8;
        let (_, &mut cutoff, _) = expiries.select_nth_unstable(cut);
        self.map.retain(|_, cached| cached.expires > cutoff);
    }
}

/// A fingerprint of a list of name entries, for the cache.
fn names_fingerprint(names: &[NameEntry]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for entry in names {
        entry.index.hash(&mut hasher);
        matches!(entry.kind, NameKind::Host(_)).hash(&mut hasher);
        entry.kind.name().hash(&mut hasher);
        entry.text.hash(&mut hasher);
    }
    hasher.finish()
}

/// A reverse name as lowercase text without the trailing dot, if it is a host name:
/// letters, digits and hyphens in every label. Anything else is refused, so an escaped
/// label (`x\.example` in `a.x\.example.org`) can never pass for a label boundary.
fn host_name_text(name: &Name) -> Option<String> {
    let mut labels = name.iter().peekable();
    labels.peek()?;
    let mut text = String::with_capacity(name.len());
    for label in labels {
        let host_label = !label.is_empty()
            && label
                .iter()
                .all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-');
        if !host_label {
            return None;
        }
        if !text.is_empty() {
            text.push('.');
        }
        text.extend(
            label
                .iter()
                .map(|byte| char::from(byte.to_ascii_lowercase())),
        );
    }
    Some(text)
}

/// Why a delivery lookup gave no answer: the name does not exist (a permanent
/// failure), or the lookup failed or timed out (try again later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    NoSuchDomain(String),
    NoRecords(String),
    Temporary(String),
}

/// A domain's mail exchangers for delivery (RFC 5321 5.1, RFC 7505).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchangers {
    /// Host names, most preferred first (ties in the order the server gave).
    Hosts(Vec<String>),
    /// No MX records: the domain itself is the implicit MX.
    Implicit,
    /// A null MX (`MX 0 .`): the domain accepts no mail.
    Null,
}

impl Dns {
    /// The MX records of `domain`, for delivery.
    pub async fn mail_exchangers(&self, domain: &str) -> Result<Exchangers, LookupError> {
        let fqdn = Name::from_utf8(format!("{}.", domain.trim_end_matches('.')))
            .map_err(|e| LookupError::NoSuchDomain(format!("not a valid DNS name: {e}")))?;
        let answer = tokio::time::timeout(self.timeout, self.resolver.mx_lookup(fqdn)).await;
        let lookup = match answer {
            Err(_) => {
                return Err(LookupError::Temporary(format!(
                    "MX lookup of {domain} timed out"
                )))
            }
            Ok(Err(e)) if e.is_nx_domain() => {
                return Err(LookupError::NoSuchDomain(format!(
                    "{domain}: no such domain (NXDOMAIN)"
                )))
            }
            Ok(Err(e)) if e.is_no_records_found() => return Ok(Exchangers::Implicit),
            Ok(Err(e)) => {
                return Err(LookupError::Temporary(format!(
                    "MX lookup of {domain}: {}",
                    describe(&e, "MX")
                )))
            }
            Ok(Ok(l)) => l,
        };
        let mut mx: Vec<(u16, String)> = lookup
            .iter()
            .map(|r| {
                (
                    r.preference(),
                    r.exchange()
                        .to_utf8()
                        .trim_end_matches('.')
                        .to_ascii_lowercase(),
                )
            })
            .collect();
        if mx.len() == 1 && mx[0].1.is_empty() {
            return Ok(Exchangers::Null);
        }
        mx.retain(|(_, h)| !h.is_empty());
        if mx.is_empty() {
            return Ok(Exchangers::Implicit);
        }
        mx.sort_by_key(|(pref, _)| *pref);
        Ok(Exchangers::Hosts(mx.into_iter().map(|(_, h)| h).collect()))
    }

    /// The A and AAAA addresses of a next hop's host name.
    pub async fn host_addresses(&self, host: &str) -> Result<Vec<IpAddr>, LookupError> {
        let fqdn = Name::from_utf8(format!("{}.", host.trim_end_matches('.')))
            .map_err(|e| LookupError::NoSuchDomain(format!("not a valid DNS name: {e}")))?;
        match tokio::time::timeout(self.timeout, self.resolver.lookup_ip(fqdn)).await {
            Err(_) => Err(LookupError::Temporary(format!(
                "address lookup of {host} timed out"
            ))),
            Ok(Err(e)) if e.is_nx_domain() => Err(LookupError::NoSuchDomain(format!(
                "{host}: no such host (NXDOMAIN)"
            ))),
            Ok(Err(e)) if e.is_no_records_found() => Err(LookupError::NoRecords(format!(
                "{host}: no A or AAAA records"
            ))),
            Ok(Err(e)) => Err(LookupError::Temporary(format!(
                "address lookup of {host}: {}",
                describe(&e, "A or AAAA")
            ))),
            Ok(Ok(l)) => Ok(l.iter().collect()),
        }
    }
}

/// Every A and AAAA address of `name` and when the answer expires, or why there is none.
async fn forward_all(
    resolver: &TokioResolver,
    name: &str,
    timeout: Duration,
) -> Result<(Vec<IpAddr>, Instant), String> {
    // Entries are absolute names: no search domain is ever appended.
    let fqdn = Name::from_utf8(format!("{}.", name.trim_end_matches('.')))
        .map_err(|err| format!("not a valid DNS name: {err}"))?;
    debug!(name = %fqdn, "forward lookup of a name entry");
    let lookup = tokio::time::timeout(timeout, resolver.lookup_ip(fqdn))
        .await
        .map_err(|_| format!("timed out after {} ms", timeout.as_millis()))?
        .map_err(|err| describe(&err, "A or AAAA"))?;
    let mut addrs: Vec<IpAddr> = lookup.iter().collect();
    addrs.sort_unstable();
    addrs.dedup();
    if addrs.is_empty() {
        return Err("no A or AAAA records".to_owned());
    }
    Ok((addrs, lookup.valid_until()))
}

/// A short reason for a failed lookup of `what` records, for logs and `relayctl`.
fn describe(err: &ResolveError, what: &str) -> String {
    match err.proto().map(|proto| proto.kind()) {
        Some(ProtoErrorKind::NoRecordsFound { response_code, .. }) => match *response_code {
            ResponseCode::NXDomain => "NXDOMAIN (no such name)".to_owned(),
            ResponseCode::NoError => format!("no {what} records"),
            code => format!("server answered {code}"),
        },
        Some(ProtoErrorKind::Timeout) => "timed out".to_owned(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;
    use std::net::{Ipv4Addr, Ipv6Addr, UdpSocket};
    use std::process::{Child, Command, Stdio};

    /// A dnsmasq answering on a loopback port, killed on drop.
    struct Dnsmasq {
        child: Child,
        addr: SocketAddr,
    }

    impl Dnsmasq {
        /// Starts dnsmasq with the test zone; fails the test if it cannot run.
        fn start() -> Dnsmasq {
            let port = free_port();
            // Debian puts it in /usr/sbin, which a non-root PATH may lack.
            let program = ["/usr/sbin/dnsmasq", "/sbin/dnsmasq"]
                .into_iter()
                .find(|path| std::path::Path::new(path).exists())
                .unwrap_or("dnsmasq");
            let mut command = Command::new(program);
            command
                .arg("--keep-in-foreground")
                .arg(format!("--port={port}"))
                .arg("--listen-address=127.0.0.1")
                .arg("--bind-interfaces")
                .arg("--no-resolv")
                .arg("--no-hosts")
                .arg("--no-poll")
                .arg("--conf-file=/dev/null")
                .arg("--pid-file=")
                .arg("--log-facility=-")
                .arg("--local-ttl=300")
                // Everything below these is answered here: NXDOMAIN when not defined.
                .arg("--local=/example.com/")
                .arg("--local=/example.org/")
                .arg("--local=/example.net/")
                .arg("--local=/2.0.192.in-addr.arpa/")
                .arg("--local=/ip6.arpa/")
                .arg("--address=/mail.example.com/192.0.2.5")
                .arg("--host-record=dual.example.com,192.0.2.8,fd00::8")
                // 192.0.2.6 <-> trusted.example.org, both ways.
                .arg("--host-record=trusted.example.org,192.0.2.6")
                // fd00::6 <-> v6.example.org, both ways.
                .arg("--host-record=v6.example.org,fd00::6")
                // 192.0.2.7 claims liar.example.org, which is 192.0.2.99.
                .arg("--ptr-record=7.2.0.192.in-addr.arpa,liar.example.org")
                .arg("--host-record=liar.example.org,192.0.2.99")
                // 192.0.2.9 has two names; only the second is covered by `example.net`.
                .arg("--host-record=other.example.com,192.0.2.9")
                .arg("--ptr-record=9.2.0.192.in-addr.arpa,mx.example.net")
                .arg("--host-record=mx.example.net,192.0.2.9")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let child = match command.spawn() {
                Ok(child) => child,
                Err(err) => panic!(
                    "cannot run dnsmasq ({err}): these tests need Debian's dnsmasq \
                     (apt-get install -y dnsmasq)"
                ),
            };
            let mut server = Dnsmasq {
                child,
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            };
            server.wait_ready();
            server
        }

        /// Waits until dnsmasq answers a query (any answer will do).
        fn wait_ready(&mut self) {
            let deadline = Instant::now() + Duration::from_secs(10);
            let probe = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("probe socket");
            probe
                .set_read_timeout(Some(Duration::from_millis(50)))
                .expect("probe timeout");
            // Header (id 0x5eed, RD, one question), then "ready.example.com" IN A.
            let mut query = vec![0x5e, 0xed, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
            for label in ["ready", "example", "com"] {
                query.push(label.len() as u8);
                query.extend_from_slice(label.as_bytes());
            }
            query.extend_from_slice(&[0, 0, 1, 0, 1]);
            let mut reply = [0u8; 512];
            loop {
                if let Ok(Some(status)) = self.child.try_wait() {
                    let mut stderr = String::new();
                    if let Some(mut pipe) = self.child.stderr.take() {
                        let _ = pipe.read_to_string(&mut stderr);
                    }
                    panic!("dnsmasq exited at start ({status}): {stderr}");
                }
                if probe.send_to(&query, self.addr).is_ok()
                    && probe
                        .recv(&mut reply)
                        .is_ok_and(|n| n >= 2 && reply[..2] == [0x5e, 0xed])
                {
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "dnsmasq did not start within 10 s"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    impl Drop for Dnsmasq {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn free_port() -> u16 {
        UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|socket| socket.local_addr())
            .expect("a free loopback port")
            .port()
    }

    fn host(index: usize, name: &str) -> NameEntry {
        NameEntry {
            index,
            text: name.to_owned(),
            kind: NameKind::Host(name.to_owned()),
        }
    }

    fn sub(index: usize, name: &str) -> NameEntry {
        NameEntry {
            index,
            text: format!(".{name}"),
            kind: NameKind::Subdomain(name.to_owned()),
        }
    }

    fn dns(server: SocketAddr) -> Dns {
        Dns::new(&[server], Duration::from_secs(2)).expect("resolver")
    }

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[tokio::test]
    async fn host_names_resolve_with_refresh_time() {
        let server = Dnsmasq::start();
        let dns = dns(server.addr);
        let names = [
            host(3, "mail.example.com"),
            sub(4, "example.org"),
            host(7, "dual.example.com"),
        ];
        let before = Instant::now();
        let resolved = dns.resolve_names(&names).await;
        assert_eq!(
            resolved.addrs,
            vec![
                (3, "mail.example.com".to_owned(), v4(5)),
                (7, "dual.example.com".to_owned(), v4(8)),
                (
                    7,
                    "dual.example.com".to_owned(),
                    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 8))
                ),
            ]
        );
        assert!(resolved.failures.is_empty(), "{:?}", resolved.failures);
        let refresh = resolved.refresh_at.expect("a refresh time");
        // TTL 300 s.
        assert!(refresh > before + Duration::from_secs(200), "{refresh:?}");
        assert!(refresh <= Instant::now() + Duration::from_secs(300));
    }

    #[tokio::test]
    async fn unknown_name_is_a_failure_with_reason() {
        let server = Dnsmasq::start();
        let dns = dns(server.addr);
        let names = [host(0, "nosuch.example.com"), host(1, "mail.example.com")];
        let resolved = dns.resolve_names(&names).await;
        assert_eq!(
            resolved.addrs,
            vec![(1, "mail.example.com".to_owned(), v4(5))]
        );
        assert_eq!(resolved.failures.len(), 1);
        let (text, reason) = &resolved.failures[0];
        assert_eq!(text, "nosuch.example.com");
        assert!(reason.contains("NXDOMAIN"), "{reason}");
        // A failure asks for a retry within a minute.
        let refresh = resolved.refresh_at.expect("a refresh time");
        assert!(refresh <= Instant::now() + FAILURE_RETRY);
    }

    #[tokio::test]
    async fn no_host_names_means_no_lookup() {
        // No server at all: nothing may be asked.
        let dns = Dns::new(
            &[SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()))],
            Duration::from_millis(300),
        )
        .expect("resolver");
        let resolved = dns.resolve_names(&[sub(0, "example.org")]).await;
        assert_eq!(resolved, Resolved::default());
        assert_eq!(dns.reverse_match(v4(6), &[]).await, None);
    }

    #[tokio::test]
    async fn confirmed_reverse_name_matches_host_and_subdomain_entries() {
        let server = Dnsmasq::start();
        let dns = dns(server.addr);
        let expected = |index, entry: &str| NameMatch {
            index,
            entry: entry.to_owned(),
            reverse_name: "trusted.example.org".to_owned(),
        };

        let by_host = [host(2, "example.org")];
        assert_eq!(
            dns.reverse_match(v4(6), &by_host).await,
            Some(expected(2, "example.org"))
        );
        let by_sub = [sub(5, "example.org")];
        assert_eq!(
            dns.reverse_match(v4(6), &by_sub).await,
            Some(expected(5, ".example.org"))
        );
        let by_exact = [host(1, "trusted.example.org")];
        assert_eq!(
            dns.reverse_match(v4(6), &by_exact).await,
            Some(expected(1, "trusted.example.org"))
        );
        // The earliest covering entry wins.
        let both = [sub(9, "example.org"), host(4, "example.org")];
        assert_eq!(
            dns.reverse_match(v4(6), &both).await,
            Some(expected(4, "example.org"))
        );
        // IPv4-mapped IPv6 clients are looked up as IPv4.
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 6).to_ipv6_mapped());
        assert_eq!(
            dns.reverse_match(mapped, &by_host).await,
            Some(expected(2, "example.org"))
        );
        // Not covered: another domain, or the subdomain entry for the name itself.
        assert_eq!(
            dns.reverse_match(v4(6), &[host(0, "example.com")]).await,
            None
        );
        assert_eq!(
            dns.reverse_match(v4(6), &[sub(0, "trusted.example.org")])
                .await,
            None
        );
    }

    #[tokio::test]
    async fn ipv6_client_is_confirmed_by_aaaa() {
        let server = Dnsmasq::start();
        let dns = dns(server.addr);
        let client = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 6));
        assert_eq!(
            dns.reverse_match(client, &[sub(0, "example.org")]).await,
            Some(NameMatch {
                index: 0,
                entry: ".example.org".to_owned(),
                reverse_name: "v6.example.org".to_owned(),
            })
        );
    }

    #[tokio::test]
    async fn a_covered_name_among_several_is_found() {
        let server = Dnsmasq::start();
        let dns = dns(server.addr);
        assert_eq!(
            dns.reverse_match(v4(9), &[host(0, "example.net")]).await,
            Some(NameMatch {
                index: 0,
                entry: "example.net".to_owned(),
                reverse_name: "mx.example.net".to_owned(),
            })
        );
    }

    #[tokio::test]
    async fn unconfirmed_or_missing_reverse_name_is_not_trusted() {
        let server = Dnsmasq::start();
        let dns = dns(server.addr);
        let names = [host(0, "example.org"), sub(1, "example.org")];
        // PTR says liar.example.org, which resolves to 192.0.2.99, not to the client.
        assert_eq!(dns.reverse_match(v4(7), &names).await, None);
        // The control: the address liar.example.org does resolve to is matched.
        assert_eq!(
            dns.reverse_match(v4(99), &names).await,
            Some(NameMatch {
                index: 0,
                entry: "example.org".to_owned(),
                reverse_name: "liar.example.org".to_owned(),
            })
        );
        // No PTR at all.
        assert_eq!(dns.reverse_match(v4(42), &names).await, None);
    }

    #[tokio::test]
    async fn silent_server_means_not_trusted_within_timeout() {
        // A UDP socket that never answers (and nothing on TCP at that port).
        let silent = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let addr = silent.local_addr().expect("addr");
        let timeout = Duration::from_millis(300);
        let dns = Dns::new(&[addr], timeout).expect("resolver");
        let names = [host(0, "example.org")];

        let started = Instant::now();
        assert_eq!(dns.reverse_match(v4(6), &names).await, None);
        let took = started.elapsed();
        assert!(took < timeout + Duration::from_millis(500), "took {took:?}");

        let started = Instant::now();
        let resolved = dns.resolve_names(&names).await;
        let took = started.elapsed();
        assert!(took < timeout + Duration::from_millis(500), "took {took:?}");
        assert!(resolved.addrs.is_empty());
        assert_eq!(resolved.failures.len(), 1, "{:?}", resolved.failures);
        assert!(
            resolved.failures[0].1.contains("timed out"),
            "{:?}",
            resolved.failures
        );
        drop(silent);
    }

    #[tokio::test]
    async fn loopback_is_answered_without_a_query() {
        // Nothing listens there; hickory answers loopback names itself (RFC 6761).
        let nowhere = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        let dns = Dns::new(&[nowhere], Duration::from_millis(300)).expect("resolver");
        let names = [host(0, "localhost")];
        assert_eq!(
            dns.reverse_match(IpAddr::V4(Ipv4Addr::LOCALHOST), &names)
                .await,
            Some(NameMatch {
                index: 0,
                entry: "localhost".to_owned(),
                reverse_name: "localhost".to_owned(),
            })
        );
        // 127.0.0.5 is "localhost" in reverse, but localhost is 127.0.0.1 forward.
        let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 5));
        assert_eq!(dns.reverse_match(other, &names).await, None);
    }

    #[tokio::test]
    async fn cache_answers_without_the_server() {
        let server = Dnsmasq::start();
        let dns = Dns::new(&[server.addr], Duration::from_millis(300)).expect("resolver");
        let names = [host(0, "example.org")];
        let first = dns.reverse_match(v4(6), &names).await;
        assert!(first.is_some());
        let liar = dns.reverse_match(v4(7), &names).await;
        assert_eq!(liar, None);
        drop(server);
        // Only the client cache may answer now: not the server, not hickory's records.
        dns.resolver.clear_cache();

        assert_eq!(dns.reverse_match(v4(6), &names).await, first);
        assert_eq!(dns.reverse_match(v4(7), &names).await, None);
        // Another list is another question, not answered from the client cache: the dead
        // server makes it "not trusted".
        assert_eq!(
            dns.reverse_match(v4(6), &[sub(3, "example.org")]).await,
            None
        );
        // Emptying the cache forgets the positive answer too.
        dns.lock_cache().map.clear();
        assert_eq!(dns.reverse_match(v4(6), &names).await, None);
    }

    #[test]
    fn only_host_names_are_reverse_names() {
        let name = |labels: &[&[u8]]| Name::from_labels(labels.to_vec()).expect("name");
        assert_eq!(
            host_name_text(&name(&[b"Mail-1", b"Example", b"ORG"])).as_deref(),
            Some("mail-1.example.org")
        );
        // A dot inside a label would look like a boundary once escaped.
        assert_eq!(host_name_text(&name(&[b"a", b"x.example", b"org"])), None);
        assert_eq!(host_name_text(&name(&[b"a b", b"example", b"org"])), None);
        assert_eq!(host_name_text(&name(&[b"*", b"example", b"org"])), None);
        assert_eq!(host_name_text(&Name::root()), None);
    }

    #[test]
    fn cache_stays_bounded() {
        let mut cache = ClientCache::default();
        let now = Instant::now();
        for n in 0..MAX_CACHED_CLIENTS as u32 {
            cache.map.insert(
                IpAddr::V4(Ipv4Addr::from(n)),
                Cached {
                    list: 0,
                    answer: None,
                    expires: now + Duration::from_secs(u64::from(n) + 1),
                },
            );
        }
        cache.make_room(now);
        assert!(cache.map.len() < MAX_CACHED_CLIENTS);
        assert!(cache.map.len() >= MAX_CACHED_CLIENTS * 7 / 8 - 1);
        // The soonest-expiring answers went first.
        assert!(!cache.map.contains_key(&IpAddr::V4(Ipv4Addr::from(0))));
        assert!(cache
            .map
            .contains_key(&IpAddr::V4(Ipv4Addr::from(MAX_CACHED_CLIENTS as u32 - 1))));
    }

    #[test]
    fn dns_is_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<Dns>();
    }
}
