//! The cost of the store on the reload path: decoding a domain whose relay list has
//! 100,000 entries (what relayd does at every change), and encoding it (what relayctl
//! does at every write).
//!
//! Run: `cargo bench -p shared --bench store`

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use shared::store::{decode, encode, Domain};

fn domain(n: u32) -> Domain {
    let mut d = Domain::new();
    let id = d.create("/config/AppleMailServer").unwrap();
    d.create_prop(id, "open_relay_addr_flag", vec!["1".into()])
        .unwrap();
    let list = (0..n)
        .map(|i| format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255))
        .collect();
    d.create_prop(id, "open_relay_addr_list", list).unwrap();
    d
}

fn store(c: &mut Criterion) {
    let d = domain(100_000);
    let bytes = encode(&d).unwrap();
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    group.bench_function("decode/100000", |b| {
        b.iter(|| decode(black_box(&bytes), Path::new("domain.plist")).unwrap())
    });
    group.bench_function("encode/100000", |b| {
        b.iter(|| encode(black_box(&d)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, store);
criterion_main!(benches);
