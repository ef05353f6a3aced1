//! The host-entry parser and the compiled matcher, against a naive scan: for every
//! probe, the earliest entry that contains it, or none. An entry's canonical text
//! parses back to the same entry.
#![no_main]
use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use shared::hostlist::{parse_entry, Entry, HostList};

fn contains(e: &Entry, ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    match e {
        Entry::Addr(a) => a.to_canonical() == ip,
        Entry::Net(n) => match (n, ip) {
            (ipnet::IpNet::V4(n), IpAddr::V4(a)) => n.contains(&a),
            (ipnet::IpNet::V6(n), IpAddr::V6(a)) => {
                // A v6 network inside ::ffff:0:0/96 was turned into IPv4 by the parser.
                n.contains(&a)
            }
            _ => false,
        },
        Entry::Range { start, end } => {
            let (s, e) = (start.to_canonical(), end.to_canonical());
            match (s, e, ip) {
                (IpAddr::V4(s), IpAddr::V4(e), IpAddr::V4(a)) => s <= a && a <= e,
                (IpAddr::V6(s), IpAddr::V6(e), IpAddr::V6(a)) => s <= a && a <= e,
                _ => false,
            }
        }
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (list, probes) = text.split_once("\n\n").unwrap_or((text, ""));
    let entries: Vec<&str> = list.lines().take(64).collect();
    let parsed: Vec<Option<Entry>> = entries.iter().map(|e| parse_entry(e).ok()).collect();
    for p in parsed.iter().flatten() {
        let again = parse_entry(&p.to_string());
        assert_eq!(
            again.as_ref().ok(),
            Some(p),
            "{p} does not parse back to itself"
        );
    }
    let compiled = HostList::compile(entries.iter().copied());
    let mut ips: Vec<IpAddr> = probes
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    // Each entry's own bounds, and their neighbours, are the interesting probes.
    for p in parsed.iter().flatten() {
        match p {
            Entry::Addr(a) => ips.push(*a),
            Entry::Net(n) => ips.extend([n.network(), n.broadcast()]),
            Entry::Range { start, end } => ips.extend([*start, *end]),
            _ => {}
        }
    }
    for ip in ips {
        let naive = parsed
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| contains(p, ip)));
        let got = compiled.list.lookup(ip).map(|m| m.index);
        assert_eq!(got, naive, "{ip} in {entries:?}");
    }
});
