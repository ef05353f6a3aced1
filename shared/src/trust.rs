//! Whom `open_relay_addr_list` trusts: the one lookup relayd makes for a client and
//! `relayctl relay check` repeats, so that the two can never disagree on trust.
//!
//! Order: the numeric entries (a binary search, no DNS), then the addresses the name
//! entries resolved to, then a forward-confirmed reverse name of the client. DNS is only
//! asked when the list has name entries, and a timeout is "not trusted".
//!
//! The resolved addresses may be older than the list in force (relayd swaps a new list in
//! at once and folds the names in as they resolve, ARCHITECTURE.md "Reloads"): an address
//! only trusts while its name entry is still on the list, so removing a name takes effect
//! with the swap, not with the next lookup.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Instant;

use crate::dns::Dns;
use crate::hostlist::{Entry, HostList, NameEntry, Rejected};

/// The entry that trusts a client, and how it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustMatch {
    /// The entry as written in the store.
    pub entry: String,
    pub how: How,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// A numeric entry (address, network, range) covers the client.
    Listed,
    /// The name entry resolves to the client's address.
    Resolves(IpAddr),
    /// The client's reverse name, confirmed by a forward lookup, is covered by the entry.
    ReverseName(String),
}

impl std::fmt::Display for TrustMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.how {
            How::Listed => write!(f, "{}", self.entry),
            How::Resolves(ip) => write!(f, "{} (resolves to {ip})", self.entry),
            How::ReverseName(n) => write!(f, "{} (reverse name {n}, confirmed)", self.entry),
        }
    }
}

/// The addresses the list's host-name entries resolved to, each labelled by its entry.
#[derive(Debug, Clone, Default)]
pub struct ResolvedNames {
    addrs: HostList,
    /// Name entries that gave no address, with why.
    pub failures: Vec<Rejected>,
    /// When the names must be resolved again (the earliest TTL); `None` without names.
    pub refresh_at: Option<Instant>,
    /// How many addresses the names gave.
    pub count: usize,
}

impl ResolvedNames {
    /// Resolves every host-name entry of `names` (A and AAAA, bounded by the resolver's
    /// timeout); subdomain entries only match reverse names and are not resolved.
    pub async fn resolve(dns: &Dns, names: &[NameEntry]) -> ResolvedNames {
        if names.is_empty() {
            return ResolvedNames::default();
        }
        let resolved = dns.resolve_names(names).await;
        let index_of = |text: &str| names.iter().find(|n| n.text == text).map_or(0, |n| n.index);
        let failures = resolved
            .failures
            .iter()
            .map(|(text, reason)| Rejected {
                index: index_of(text),
                text: text.clone(),
                reason: reason.clone(),
            })
            .collect();
        let count = resolved.addrs.len();
        let entries = resolved
            .addrs
            .into_iter()
            .map(|(_, text, ip)| (text, Entry::Addr(ip)));
        ResolvedNames {
            addrs: HostList::from_entries(entries).list,
            failures,
            refresh_at: resolved.refresh_at,
            count,
        }
    }
}

/// The compiled list's entry that trusts `client`, if any. `resolved` may come from an
/// earlier list: its addresses count only for names `hosts` still has. `dns` is asked for
/// the client's reverse name only when the list has name entries and nothing else matched.
pub async fn lookup(
    hosts: &HostList,
    resolved: &ResolvedNames,
    client: IpAddr,
    dns: Option<&Dns>,
) -> Option<TrustMatch> {
    let client = client.to_canonical();
    if let Some(m) = hosts.lookup(client) {
        return Some(TrustMatch {
            entry: m.text.to_string(),
            how: How::Listed,
        });
    }
    let names = hosts.names();
    if names.is_empty() {
        return None;
    }
    if let Some(m) = resolved.addrs.lookup(client) {
        let in_force: HashSet<&str> = names.iter().map(|n| n.text.as_str()).collect();
        if in_force.contains(m.text) {
            return Some(TrustMatch {
                entry: m.text.to_string(),
                how: How::Resolves(client),
            });
        }
    }
    let found = dns?.reverse_match(client, names).await?;
    Some(TrustMatch {
        entry: found.entry,
        how: How::ReverseName(found.reverse_name),
    })
}

/// Why a list in force makes an open relay although every entry parsed: it trusts every
/// address of a family (`0.0.0.0/0`, or `0.0.0.0/1` with `128.0.0.0/1`). Writers refuse
/// such a list unless forced; a daemon that finds one in the store warns at every reload.
pub fn trusts_everyone(hosts: &HostList) -> Option<String> {
    hosts.trusts_every_address().map(|family| {
        format!("open_relay_addr_list trusts every {family} address: anyone may relay through this server")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn numeric_entries_need_no_dns() {
        let hosts = HostList::compile(["10.0.0.0/8", "192.0.2.7"]).list;
        let none = ResolvedNames::default();
        let m = block_on(lookup(&hosts, &none, "10.1.2.3".parse().unwrap(), None));
        assert_eq!(m.map(|m| m.entry).as_deref(), Some("10.0.0.0/8"));
        let mapped = block_on(lookup(
            &hosts,
            &none,
            "::ffff:192.0.2.7".parse().unwrap(),
            None,
        ));
        assert_eq!(mapped.map(|m| m.entry).as_deref(), Some("192.0.2.7"));
        assert!(block_on(lookup(&hosts, &none, "192.0.2.8".parse().unwrap(), None)).is_none());
    }

    #[test]
    fn resolved_addresses_of_a_removed_name_trust_nobody() {
        let resolved = ResolvedNames {
            addrs: HostList::from_entries([(
                "printer.example".to_string(),
                Entry::Addr("192.0.2.9".parse().unwrap()),
            )])
            .list,
            ..Default::default()
        };
        let client = "192.0.2.9".parse().unwrap();
        let with = HostList::compile(["printer.example", "10.0.0.1"]).list;
        let m = block_on(lookup(&with, &resolved, client, None)).expect("trusted");
        assert_eq!(m.how, How::Resolves(client));
        assert_eq!(m.to_string(), "printer.example (resolves to 192.0.2.9)");
        let without = HostList::compile(["other.example", "10.0.0.1"]).list;
        assert!(block_on(lookup(&without, &resolved, client, None)).is_none());
    }

    #[test]
    fn a_list_that_trusts_everyone_is_named() {
        assert!(trusts_everyone(&HostList::compile(["0.0.0.0/1", "128.0.0.0/1"]).list).is_some());
        assert!(trusts_everyone(&HostList::compile(["10.0.0.0/8"]).list).is_none());
    }
}
