//! `HostList::apply` (the daemon's edit of the list in force) against compiling the
//! edited text from scratch: the same answer for every probe, the same names, counts
//! and refusals, in the same positions.

use std::net::IpAddr;

use shared::hostlist::{Edit, HostList};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A small universe, so that edits hit existing entries and entries overlap.
fn entry(r: &mut Rng) -> String {
    let a = r.below(4);
    let b = r.below(8);
    match r.below(12) {
        0..=3 => format!("10.{a}.{b}.{}", r.below(8)),
        4 => format!("10.{a}.{b}.0/{}", 24 + r.below(9)),
        5 => format!("10.{a}.0.0/16"),
        6 => format!("10.{a}.{b}.{}-10.{a}.{b}.{}", r.below(4), 4 + r.below(4)),
        7 => format!("2001:db8::{:x}", r.below(16)),
        8 => format!("2001:db8::/{}", 120 + r.below(9)),
        9 => format!("host{}.example", r.below(4)),
        10 => format!(".sub{}.example", r.below(3)),
        _ => {
            ["10.0.0.300", "not an entry!", "0.0.0.0/0", "10.1.2.3/33"][r.below(4) as usize].into()
        }
    }
}

fn probes(r: &mut Rng) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for a in 0..4 {
        for b in 0..8 {
            for c in [0, 1, 2, 3, 4, 5, 7, 8, 255] {
                out.push(format!("10.{a}.{b}.{c}").parse().unwrap());
            }
        }
        out.push(format!("10.{a}.200.9").parse().unwrap());
    }
    for c in 0..20 {
        out.push(format!("2001:db8::{c:x}").parse().unwrap());
    }
    out.push(format!("192.0.2.{}", r.below(255)).parse().unwrap());
    out.push("::ffff:10.0.0.1".parse().unwrap());
    out
}

fn same(
    a: &shared::hostlist::Compiled,
    b: &shared::hostlist::Compiled,
    probes: &[IpAddr],
    what: &str,
) {
    for ip in probes {
        assert_eq!(
            a.list.lookup(*ip),
            b.list.lookup(*ip),
            "{what}: lookup {ip}"
        );
    }
    assert_eq!(a.list.names(), b.list.names(), "{what}: names");
    assert_eq!(a.list.counts(), b.list.counts(), "{what}: counts");
    assert_eq!(a.rejected, b.rejected, "{what}: refused");
    assert_eq!(
        a.list.trusts_every_address(),
        b.list.trusts_every_address(),
        "{what}"
    );
}

#[test]
fn edits_give_the_list_a_compile_of_the_edited_text_gives() {
    let mut r = Rng(0x2545f4914f6cdd1d);
    for round in 0..300 {
        let mut text: Vec<String> = (0..r.below(40)).map(|_| entry(&mut r)).collect();
        let mut compiled = HostList::compile(text.iter().map(String::as_str));
        let probes = probes(&mut r);
        // Several deltas in a row, each of a few edits, applied to the previous result.
        for step in 0..4 {
            let edits: Vec<(bool, Vec<String>)> = (0..1 + r.below(3))
                .map(|_| {
                    let remove = r.below(2) == 0;
                    let picks = (0..1 + r.below(3))
                        .map(|_| match (remove, text.is_empty()) {
                            (true, false) if r.below(4) != 0 => {
                                text[r.below(text.len() as u64) as usize].clone()
                            }
                            _ => entry(&mut r),
                        })
                        .collect();
                    (remove, picks)
                })
                .collect();
            for (remove, values) in &edits {
                match remove {
                    true => text.retain(|t| !values.contains(t)),
                    false => text.extend(values.iter().cloned()),
                }
            }
            let as_edits: Vec<Edit<'_>> = edits
                .iter()
                .map(|(remove, v)| {
                    if *remove {
                        Edit::Remove(v)
                    } else {
                        Edit::Append(v)
                    }
                })
                .collect();
            let applied = compiled.list.apply(&compiled.rejected, &as_edits);
            let fresh = HostList::compile(text.iter().map(String::as_str));
            same(
                &applied,
                &fresh,
                &probes,
                &format!("round {round} step {step}: {text:?}"),
            );
            compiled = applied;
        }
    }
}

#[test]
fn a_big_list_edited_keeps_every_entry_in_place() {
    let text: Vec<String> = (0..100_000u32)
        .map(|i| std::net::Ipv4Addr::from(0x0a00_0000 + i * 3).to_string())
        .collect();
    let compiled = HostList::compile(text.iter().map(String::as_str));
    let add = vec!["192.0.2.7".to_string()];
    let remove = vec![text[5].clone()];
    let applied = compiled.list.apply(
        &compiled.rejected,
        &[Edit::Append(&add), Edit::Remove(&remove)],
    );
    let m = applied.list.lookup("192.0.2.7".parse().unwrap()).unwrap();
    assert_eq!((m.index, m.text), (99_999, "192.0.2.7"));
    assert!(applied.list.lookup(text[5].parse().unwrap()).is_none());
    let m = applied.list.lookup(text[6].parse().unwrap()).unwrap();
    assert_eq!((m.index, m.text), (5, text[6].as_str()));
    assert_eq!(applied.list.counts().addresses, 100_000);
}
