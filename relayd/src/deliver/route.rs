//! Where a recipient goes: a local mailbox for our domains; else the relayhost, when
//! set; else the domain's MX (RFC 5321 5.1: MX records by preference, the domain
//! itself when it has none, and no delivery at all for a null MX, RFC 7505).

use std::net::{IpAddr, SocketAddr};

use shared::dns::{Dns, Exchangers, LookupError};
use shared::policy::{classify_recipient, RecipientClass};
use shared::settings::{DaemonSettings, Relayhost, TlsPolicy};

use super::Outcome;

/// The next hop of one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Our domain: this user's Maildir.
    Local { local_part: String },
    /// Another domain: by SMTP, to the relayhost or the domain's MX.
    Remote { domain: String },
    /// Nothing could deliver it (a relay trick accepted from a trusted client).
    Undeliverable(String),
}

pub fn route(rcpt: &str, local_domains: &[String]) -> Route {
    match classify_recipient(rcpt, local_domains) {
        RecipientClass::Local { local_part, .. } => Route::Local { local_part },
        RecipientClass::Remote { domain } => Route::Remote { domain },
        RecipientClass::RelayTrick { kind, detail } => Route::Undeliverable(format!(
            "550 5.1.3 {kind} addresses are not delivered ({detail})"
        )),
        RecipientClass::Invalid { reason } => {
            Route::Undeliverable(format!("550 5.1.3 bad recipient address: {reason}"))
        }
    }
}

/// The SMTP next hop for a remote domain: its name (for logs and per-destination
/// limits), the TLS policy, whether credentials go with it, and the addresses to try.
#[derive(Debug, Clone)]
pub struct Hop {
    pub name: String,
    pub tls: TlsPolicy,
    pub relayhost: bool,
    /// (host name for TLS, address), in the order to try.
    pub targets: Vec<(String, SocketAddr)>,
}

/// The name of the next hop for `domain`: the per-destination key, known before any
/// lookup.
pub fn hop_name(daemon: &DaemonSettings, domain: &str) -> String {
    match &daemon.relayhost {
        Some(r) => r.to_string(),
        None => domain.to_string(),
    }
}

/// Resolves the next hop for `domain`; a lookup that fails is the whole group's outcome.
pub async fn resolve(
    daemon: &DaemonSettings,
    dns: Option<&Dns>,
    domain: &str,
) -> Result<Hop, Outcome> {
    let (hosts, port, tls, relayhost) = match &daemon.relayhost {
        Some(Relayhost {
            host,
            port,
            mx_lookup,
        }) => {
            let hosts = if *mx_lookup {
                exchangers(dns, host).await?
            } else {
                vec![host.clone()]
            };
            (hosts, *port, daemon.relayhost_tls, true)
        }
        None => (exchangers(dns, domain).await?, 25, TlsPolicy::May, false),
    };
    let mut targets = Vec::new();
    let mut last = None;
    for host in &hosts {
        match addresses(dns, host).await {
            Ok(ips) => targets.extend(
                ips.into_iter()
                    .map(|ip| (host.clone(), SocketAddr::new(ip, port))),
            ),
            Err(e) => last = Some(e),
        }
    }
    if targets.is_empty() {
        return Err(match last {
            Some(LookupError::NoSuchDomain(e) | LookupError::NoRecords(e)) => {
                Outcome::Failed(format!("550 5.1.2 {e}"))
            }
            Some(LookupError::Temporary(e)) => Outcome::Deferred(format!("451 4.4.3 {e}")),
            None => Outcome::Deferred(format!("451 4.4.3 no address for {}", hosts.join(", "))),
        });
    }
    Ok(Hop {
        name: hop_name(daemon, domain),
        tls,
        relayhost,
        targets,
    })
}

/// The exchangers to try for `domain`, most preferred first.
async fn exchangers(dns: Option<&Dns>, domain: &str) -> Result<Vec<String>, Outcome> {
    if domain.parse::<IpAddr>().is_ok() {
        return Ok(vec![domain.to_string()]);
    }
    let Some(dns) = dns else {
        return Err(Outcome::Deferred("451 4.4.3 no DNS resolver".into()));
    };
    match dns.mail_exchangers(domain).await {
        Ok(Exchangers::Hosts(h)) => Ok(h),
        Ok(Exchangers::Implicit) => Ok(vec![domain.to_string()]),
        Ok(Exchangers::Null) => Err(Outcome::Failed(format!(
            "556 5.1.10 {domain} accepts no mail (null MX, RFC 7505)"
        ))),
        Err(LookupError::NoSuchDomain(e) | LookupError::NoRecords(e)) => {
            Err(Outcome::Failed(format!("550 5.1.2 {e}")))
        }
        Err(LookupError::Temporary(e)) => Err(Outcome::Deferred(format!("451 4.4.3 {e}"))),
    }
}

async fn addresses(dns: Option<&Dns>, host: &str) -> Result<Vec<IpAddr>, LookupError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match dns {
        Some(d) => d.host_addresses(host).await,
        None => Err(LookupError::Temporary("no DNS resolver".into())),
    }
}
