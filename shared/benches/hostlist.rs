//! Backs the claim in DESIGN.md that a trusted-list lookup costs O(log n): lookups in
//! lists of 10 to 1,000,000 entries, and the cost of compiling 100,000 entries.
//!
//! Run: `cargo bench -p shared --bench hostlist`
//! (quick: `-- --warm-up-time 1 --measurement-time 2`).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use shared::hostlist::HostList;

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

/// Client addresses: half taken from the list's own entries (hits), half random.
fn probes(list: &[String], rng: &mut XorShift) -> Vec<IpAddr> {
    (0..4096)
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

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup");
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
        let probes = probes(&texts, &mut rng);
        group.bench_with_input(BenchmarkId::from_parameter(size), &list, |b, list| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % probes.len();
                black_box(list.lookup(black_box(probes[i])))
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
    group.finish();
}

criterion_group!(benches, lookup, compile);
criterion_main!(benches);
