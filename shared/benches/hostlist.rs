//! Backs the claim (ARCHITECTURE.md, "Host entries") that a trusted-list lookup costs O(log n): lookups in
//! lists of 10 to 1,000,000 entries, and the cost of compiling 100,000 entries.
//!
//! Run: `cargo bench -p shared --bench hostlist`
//! (quick: `-- --warm-up-time 1 --measurement-time 2`).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use shared::hostlist::{Edit, HostList};
use shared::policy::{decide, Client, PolicySettings, Trust};

/// A tiny deterministic generator (xorshift64*), so runs compare like for like without
/// pulling in `rand`.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn v4(&mut self) -> Ipv4Addr {
        Ipv4Addr::from(self.next() as u32)
    }

    /// IPv6 addresses inside 2001:db8::/32 so some probes land in the entries.
    fn v6(&mut self) -> Ipv6Addr {
        let low = u128::from(self.next()) | (u128::from(self.next() & 0xffff_ffff) << 64);
        Ipv6Addr::from((0x2001_0db8_u128 << 96) | low)
    }
}

/// A mixed list: mostly single IPv4 addresses, some /24 networks, ranges and IPv6.
fn entries(n: usize, rng: &mut XorShift) -> Vec<String> {
    (0..n)
        .map(|_| match rng.below(100) {
            0..=79 => rng.v4().to_string(),
            80..=86 => {
                let [a, b, c, _] = rng.v4().octets();
                format!("{a}.{b}.{c}.0/24")
            }
            87..=91 => {
                let start = rng.next() as u32;
                let end = start.saturating_add(rng.below(1000) as u32);
                format!("{}-{}", Ipv4Addr::from(start), Ipv4Addr::from(end))
            }
            92..=96 => rng.v6().to_string(),
            _ => format!(
                "{}/64",
                Ipv6Addr::from(u128::from(rng.v6()) & !0xffff_ffff_ffff_ffff_u128)
            ),
        })
        .collect()
}

/// `n` client addresses: half taken from the list's own entries (hits), half random.
fn probes(list: &[String], n: usize, rng: &mut XorShift) -> Vec<IpAddr> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                let text = &list[rng.below(list.len() as u64) as usize];
                let first = text.split(['/', '-']).next().unwrap_or(text);
                first.parse().unwrap_or(IpAddr::V4(rng.v4()))
            } else if rng.below(10) == 0 {
                IpAddr::V6(rng.v6())
            } else {
                IpAddr::V4(rng.v4())
            }
        })
        .collect()
}

/// `lookup`: the relay's case. A relay's clients are a population (its LAN, its users,
/// the MTAs that send it mail), met again and again: 1,024 distinct clients here, half of
/// them on the list, looked up in turn. This is the project's bar (1,000,000 entries
/// cost < 2x 10 entries).
///
/// `lookup_cold`: every lookup a different random address over the whole list (a
/// million distinct probes), so each one misses the caches and the TLB; it shows the
/// worst case, which is bounded by memory latency rather than by the list's length.
fn lookup(c: &mut Criterion) {
    for (group_name, population) in [("lookup", 1024usize), ("lookup_cold", 1 << 20)] {
        let mut group = c.benchmark_group(group_name);
        for size in [10usize, 10_000, 100_000, 1_000_000] {
            let mut rng = XorShift(0x9e37_79b9_7f4a_7c15 ^ size as u64);
            let texts = entries(size, &mut rng);
            let compiled = HostList::compile(texts.iter().map(String::as_str));
            assert!(
                compiled.rejected.is_empty(),
                "{:?}",
                compiled.rejected.first()
            );
            let list = compiled.list;
            let probes = probes(&texts, population, &mut rng);
            let mask = population - 1;
            group.bench_with_input(BenchmarkId::from_parameter(size), &list, |b, list| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) & mask;
                    black_box(list.lookup(black_box(probes[i])))
                });
            });
        }
        group.finish();
    }
}

/// `policy`: what relayd does per RCPT and `relayctl relay check` per question: the host
/// list lookup for the client, then the decision table, for a recipient at a remote
/// domain (R = 1, A = 0), over the same 1,024-client population as `lookup`.
fn policy(c: &mut Criterion) {
    let settings = PolicySettings {
        restrict_relay: true,
        require_auth: false,
        local_domains: vec!["example.com".into()],
    };
    let mut group = c.benchmark_group("policy");
    for size in [10usize, 10_000, 100_000, 1_000_000] {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15 ^ size as u64);
        let texts = entries(size, &mut rng);
        let list = HostList::compile(texts.iter().map(String::as_str)).list;
        let probes = probes(&texts, 1024, &mut rng);
        group.bench_with_input(BenchmarkId::from_parameter(size), &list, |b, list| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) & 1023;
                let addr = black_box(probes[i]);
                let trust = match list.lookup(addr) {
                    Some(m) => Trust::Trusted { entry: m.text },
                    None => Trust::NotTrusted,
                };
                let client = Client {
                    addr,
                    trust,
                    user: None,
                };
                black_box(decide(&settings, &client, "someone@remote.example"))
            });
        });
    }
    group.finish();
}

fn compile(c: &mut Criterion) {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let texts = entries(100_000, &mut rng);
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.bench_function("100000", |b| {
        b.iter(|| HostList::compile(black_box(&texts).iter().map(String::as_str)));
    });
    // What relayd does for `relayctl relay add|remove` at 100,000 entries.
    let compiled = HostList::compile(texts.iter().map(String::as_str));
    let one = vec!["192.0.2.77".to_string()];
    group.bench_function("apply_add/100000", |b| {
        b.iter(|| {
            compiled
                .list
                .apply(&compiled.rejected, &[Edit::Append(black_box(&one))])
        });
    });
    let gone = vec![texts[500].clone()];
    group.bench_function("apply_remove/100000", |b| {
        b.iter(|| {
            compiled
                .list
                .apply(&compiled.rejected, &[Edit::Remove(black_box(&gone))])
        });
    });
    group.finish();
}

criterion_group!(benches, lookup, policy, compile);
criterion_main!(benches);
