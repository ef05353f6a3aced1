//! The name entries' DNS, for relayctl: the same lookups relayd makes (`shared::dns`,
//! with `dns_servers`), so that `relay check` decides as the daemon would, and a name that
//! does not resolve is refused when it is written, as DESIGN.md asks. Nothing here runs
//! unless a list has name entries.

use std::net::IpAddr;
use std::time::Duration;

use shared::dns::Dns;
use shared::hostlist::{HostList, NameEntry, NameKind};
use shared::settings::DaemonSettings;
use shared::store::Domain;

/// relayd's bound on one client check; past it a client is not trusted.
const TIMEOUT: Duration = Duration::from_secs(2);

fn resolver(
    domain: &Domain,
    store: &std::path::Path,
) -> anyhow::Result<(tokio::runtime::Runtime, Dns)> {
    let servers = DaemonSettings::from_domain(domain, store)?.dns_servers;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // hickory's resolver must be made inside the runtime it will run on.
    let dns = runtime.block_on(async { Dns::new(&servers, TIMEOUT) })?;
    Ok((runtime, dns))
}

/// The name entry that trusts `client`, and how: by an address the name resolves to, or
/// by the client's forward-confirmed reverse name.
pub fn trust(
    domain: &Domain,
    store: &std::path::Path,
    list: &HostList,
    client: IpAddr,
) -> anyhow::Result<Option<(String, String)>> {
    let names = list.names();
    if names.is_empty() {
        return Ok(None);
    }
    let (runtime, dns) = resolver(domain, store)?;
    runtime.block_on(async {
        let resolved = dns.resolve_names(names).await;
        let client = client.to_canonical();
        if let Some((_, entry, ip)) = resolved
            .addrs
            .iter()
            .find(|(_, _, ip)| ip.to_canonical() == client)
        {
            return Ok(Some((entry.clone(), format!("{entry} resolves to {ip}"))));
        }
        Ok(dns.reverse_match(client, names).await.map(|m| {
            (
                m.entry.clone(),
                format!("reverse name {} (confirmed)", m.reverse_name),
            )
        }))
    })
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
