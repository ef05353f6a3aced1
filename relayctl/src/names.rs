//! The name entries' DNS, for relayctl: the same lookups relayd makes (`shared::dns`,
//! with `dns_servers`), so that `relay check` decides as the daemon would, and a name that
//! does not resolve is refused when it is written (ARCHITECTURE.md, "Host entries"). Nothing here runs
//! unless a list has name entries.

use std::net::IpAddr;

use shared::dns::Dns;
use shared::hostlist::{HostList, NameEntry, NameKind};
use shared::settings::DaemonSettings;
use shared::store::Domain;
use shared::trust::{ResolvedNames, TrustMatch};

fn resolver(
    domain: &Domain,
    store: &std::path::Path,
) -> anyhow::Result<(tokio::runtime::Runtime, Dns)> {
    let daemon = DaemonSettings::from_domain(domain, store)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // hickory's resolver must be made inside the runtime it will run on.
    let dns = runtime.block_on(async { Dns::new(&daemon.dns_servers, daemon.dns_timeout) })?;
    Ok((runtime, dns))
}

/// The entry that trusts `client`, looked up exactly as relayd does
/// (`shared::trust::lookup`): numeric entries, then the name entries by DNS (resolved
/// now, as a reload would, and only when the list has any).
pub fn trust(
    domain: &Domain,
    store: &std::path::Path,
    list: &HostList,
    client: IpAddr,
) -> anyhow::Result<Option<TrustMatch>> {
    if list.names().is_empty() || list.lookup(client).is_some() {
        // No DNS to ask: the same lookup, on a runtime that never waits.
        let runtime = tokio::runtime::Builder::new_current_thread().build()?;
        let none = ResolvedNames::default();
        return Ok(runtime.block_on(shared::trust::lookup(list, &none, client, None)));
    }
    let (runtime, dns) = resolver(domain, store)?;
    Ok(runtime.block_on(async {
        let resolved = ResolvedNames::resolve(&dns, list.names()).await;
        shared::trust::lookup(list, &resolved, client, Some(&dns)).await
    }))
}

/// `ENTRY: reason` for each host name among `entries` that does not resolve.
pub fn unresolvable(
    domain: &Domain,
    store: &std::path::Path,
    entries: &[String],
) -> anyhow::Result<Vec<String>> {
    let compiled = HostList::compile(entries.iter().map(String::as_str));
    let hosts: Vec<NameEntry> = compiled
        .list
        .names()
        .iter()
        .filter(|n| matches!(n.kind, NameKind::Host(_)))
        .cloned()
        .collect();
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    let (runtime, dns) = resolver(domain, store)?;
    let resolved = runtime.block_on(dns.resolve_names(&hosts));
    Ok(resolved
        .failures
        .into_iter()
        .map(|(entry, reason)| format!("{entry}: does not resolve ({reason})"))
        .collect())
}
