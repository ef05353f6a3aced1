//! `relayctl show`: every relay setting, explained in the original's terms.

use serde::Serialize;
use shared::hostlist::HostList;
use shared::settings::{RelaySettings, APPLE_MAIL_SERVER, KEYS, RELAYD};

use crate::output;
use crate::Context;

#[derive(Serialize)]
struct Key {
    directory: &'static str,
    key: &'static str,
    values: Option<Vec<String>>,
    default: &'static str,
    meaning: &'static str,
}

#[derive(Serialize)]
struct Report {
    store: String,
    serial: u64,
    restrict_relay: bool,
    require_auth: bool,
    open_relay: bool,
    summary: &'static str,
    trusted: TrustedCounts,
    refused_entries: Vec<(String, String)>,
    local_domains: Vec<String>,
    /// How mail to other domains leaves (absent when /config/relayd cannot be read).
    outbound: Option<shared::outbound::Outbound>,
    keys: Vec<Key>,
}

#[derive(Serialize)]
struct TrustedCounts {
    addresses: usize,
    networks: usize,
    names: usize,
}

/// What the combination of the two flags means, in the words of Apple's article.
fn summary(s: &RelaySettings) -> &'static str {
    match (s.restrict_relay, s.require_auth) {
        (false, false) => "OPEN RELAY: anyone may send mail anywhere through this server",
        (false, true) => "every client must authenticate with SMTP AUTH, for local mail too (\"send only\")",
        (true, false) => "local mail is accepted from every host; only listed hosts and authenticated users may relay (the most common configuration)",
        (true, true) => "listed hosts relay and send without authenticating; every other client must authenticate",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    output::plural(n as u64, one, many)
}

pub fn run(ctx: &Context) -> anyhow::Result<i32> {
    let domain = ctx.local().load()?;
    let s = RelaySettings::from_domain(&domain)?;
    let compiled = HostList::compile(s.relay_list.iter().map(String::as_str));
    let counts = compiled.list.counts();
    let keys: Vec<Key> = KEYS
        .iter()
        .map(|k| Key {
            directory: k.dir,
            key: k.key,
            values: shared::settings::shown_values(&domain, k),
            default: k.default,
            meaning: k.meaning,
        })
        .collect();
    let report = Report {
        store: ctx.cli.store.display().to_string(),
        serial: domain.serial(),
        restrict_relay: s.restrict_relay,
        require_auth: s.require_auth,
        open_relay: s.is_open_relay(),
        summary: summary(&s),
        trusted: TrustedCounts {
            addresses: counts.addresses,
            networks: counts.networks,
            names: counts.names,
        },
        refused_entries: compiled
            .rejected
            .iter()
            .map(|r| (r.text.clone(), r.reason.clone()))
            .collect(),
        local_domains: s.local_domains.clone(),
        outbound: shared::settings::DaemonSettings::from_domain(&domain, &ctx.cli.store)
            .ok()
            .map(|d| shared::outbound::describe(&d, "the recipient's domain", None)),
        keys,
    };
    if ctx.json() {
        output::json(&report)?;
        return Ok(0);
    }
    let onoff = |b| if b { "on (1)" } else { "off (0)" };
    let mut out = format!(
        "store {} (serial {})\n\n\
         Restricted SMTP Relay (open_relay_addr_flag): {}\n\
         SMTP AUTH for every unlisted client (smtp_auth_flag): {}\n\
         => {}\n\n\
         Trusted hosts (open_relay_addr_list): {}, {}, {}",
        report.store,
        report.serial,
        onoff(s.restrict_relay),
        onoff(s.require_auth),
        report.summary,
        plural(counts.addresses, "address", "addresses"),
        plural(counts.networks, "network or range", "networks or ranges"),
        plural(counts.names, "name", "names"),
    );
    if !s.restrict_relay {
        out.push_str(" (not consulted while the restriction is off)");
    }
    out.push('\n');
    for (text, reason) in &report.refused_entries {
        out.push_str(&format!("  refused entry {text}: {reason}\n"));
    }
    out.push_str(&format!("Local domains: {}\n", s.local_domains.join(" ")));
    if let Some(o) = &report.outbound {
        out.push_str(&format!(
            "Mail to other domains:\n  next hop:  {}\n  tls:       {}\n  auth:      {}\n  sender:    {}\n  signature: {}\n",
            o.next_hop, o.tls, o.auth, o.sender, o.signature
        ));
    }
    for dir in [APPLE_MAIL_SERVER, RELAYD] {
        out.push_str(&format!("\n{dir}\n"));
        for k in report.keys.iter().filter(|k| k.directory == dir) {
            let value = match &k.values {
                Some(v) if k.key == shared::settings::RELAY_LIST => {
                    plural(v.len(), "entry", "entries")
                }
                Some(v) => v.join(" "),
                None if k.default.is_empty() => "(not set)".to_string(),
                None => format!("(not set; default {})", k.default),
            };
            out.push_str(&format!(
                "  {:<28} {}\n  {:<28} {}\n",
                k.key, value, "", k.meaning
            ));
        }
    }
    if !s.defaulted.is_empty() {
        out.push_str(&format!(
            "\nNot in the store yet (relayd writes these defaults at start): {}\n",
            s.defaulted.join(", ")
        ));
    }
    output::print(&out)?;
    Ok(0)
}
