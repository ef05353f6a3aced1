//! The trusted host list (`open_relay_addr_list`): its grammar, and the compiled matcher
//! that answers "is this client trusted, and by which entry?".
//!
//! Every SMTP session asks this question, and a list may hold a million entries, so the
//! list is compiled once per reload into sorted disjoint intervals per address family and
//! each lookup is a binary search. This module must never scan the list per lookup (its
//! cost may grow with log n, no faster), never do DNS (name entries are handed back as
//! [`NameEntry`] values for the daemon to resolve, with [`reverse_name_matches`] as the
//! pure predicate), and never widen an entry silently: an entry it cannot read exactly is
//! refused with a reason, because a wrong guess here is an open relay.
//!
//! Flow: `parse` (text to [`Entry`]) -> `HostList::compile` (entries to `intervals`) ->
//! [`HostList::lookup`] per client.

mod edit;
mod entry;
mod huge;
mod intervals;
mod names;
mod parse;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

pub use edit::Edit;
pub use entry::{Entry, EntryError, Reason};
pub use names::{reverse_name_matches, NameEntry, NameKind};
pub use parse::parse_entry;

use intervals::{Intervals, Span};
use parse::canonical_net;

/// A compiled trusted host list; cheap to share behind an `Arc`, immutable once built.
#[derive(Debug, Clone, Default)]
pub struct HostList {
    /// IPv4 entries (and IPv4-mapped IPv6 ones) as disjoint labelled intervals.
    v4: Intervals<u32>,
    /// IPv6 entries as disjoint labelled intervals.
    v6: Intervals<u128>,
    /// The original text and list position of each numeric entry, by label, so a match
    /// can name the entry as the administrator wrote it.
    texts: TextArena,
    /// Name entries, left for the daemon's DNS to resolve.
    names: Vec<NameEntry>,
    /// What was accepted, for status output and reload logs.
    counts: Counts,
    /// What `apply` rebuilds from without parsing again: each numeric entry's interval
    /// by label, and whether it was written as a single address (for `counts`).
    raw_v4: Vec<Span<u32>>,
    raw_v6: Vec<Span<u128>>,
    single: Vec<bool>,
}

/// The result of compiling a list: the matcher, and the entries it left out with why.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The matcher built from every accepted entry.
    pub list: HostList,
    /// The entries left out, in list order, for the reload log and `relayctl`.
    pub rejected: Vec<Rejected>,
}

/// An entry left out of the compiled list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Position of the entry in the input list (0-based).
    pub index: usize,
    /// The entry as given.
    pub text: String,
    /// Why it was refused (without the text; see [`Reason`]).
    pub reason: String,
}

/// The entry that made a client address trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<'a> {
    /// Position of the entry in the input list (0-based).
    pub index: usize,
    /// The entry as written in the store.
    pub text: &'a str,
}

/// How many entries of each kind were accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Single addresses.
    pub addresses: usize,
    /// Networks and ranges.
    pub networks: usize,
    /// Host names and subdomain entries.
    pub names: usize,
}

impl HostList {
    /// Parses and compiles a list; entries that do not parse are reported in
    /// [`Compiled::rejected`] and left out, as the original server did.
    pub fn compile<'a>(entries: impl IntoIterator<Item = &'a str>) -> Compiled {
        let texts: Vec<&str> = entries.into_iter().collect();
        let parsed = parse_all(&texts);
        let mut builder = Builder::default();
        for (index, (text, result)) in texts.iter().zip(parsed).enumerate() {
            match result {
                Ok(entry) => builder.add(index, text, entry),
                Err(err) => builder.reject(index, text, err.reason().to_string()),
            }
        }
        builder.finish()
    }

    /// Compiles already parsed entries, each with the text to report when it matches;
    /// the index of each is its position in the input.
    pub fn from_entries(entries: impl IntoIterator<Item = (String, Entry)>) -> Compiled {
        let mut builder = Builder::default();
        for (index, (text, entry)) in entries.into_iter().enumerate() {
            builder.add(index, &text, entry);
        }
        builder.finish()
    }

    /// The earliest numeric entry covering `ip`, if any. One binary search; no DNS.
    ///
    /// IPv4-mapped IPv6 clients (`::ffff:10.1.2.3`, as a dual-stack socket reports IPv4
    /// peers) are looked up as IPv4, so they match IPv4 entries; IPv6 entries match only
    /// real IPv6 clients (an entry wholly inside `::ffff:0:0/96` was already turned into
    /// its IPv4 equivalent by the parser).
    pub fn lookup(&self, ip: IpAddr) -> Option<Match<'_>> {
        let label = match ip.to_canonical() {
            IpAddr::V4(v4) => self.v4.find(u32::from(v4)),
            IpAddr::V6(v6) => self.v6.find(u128::from(v6)),
        }?;
        self.texts.get(label)
    }

    /// The name entries, in list order, for the daemon to resolve.
    pub fn names(&self) -> &[NameEntry] {
        &self.names
    }

    /// How many entries of each kind were accepted.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The address family the list trusts in full, if any: such a list, taken together,
    /// makes an open relay even though no single entry does (`0.0.0.0/1` with
    /// `128.0.0.0/1`), and writers refuse it as they refuse `0.0.0.0/0`.
    pub fn trusts_every_address(&self) -> Option<&'static str> {
        if self.v4.covers_all() {
            Some("IPv4")
        } else if self.v6.covers_all() {
            Some("IPv6")
        } else {
            None
        }
    }

    /// A cheap test that can only err towards "maybe": whether `entries` hold enough
    /// addresses of one family, counted with overlaps, to cover all of it. A writer
    /// compiles the list to ask `trusts_every_address` only when this says maybe, so a
    /// one-entry change to a list of 100,000 addresses costs no compile.
    pub fn might_trust_every_address<'a>(entries: impl IntoIterator<Item = &'a str>) -> bool {
        let (mut v4, mut v6) = (0u64, 0u128);
        let size = |start: IpAddr, end: IpAddr| -> (u64, u128) {
            match (start, end) {
                (IpAddr::V4(a), IpAddr::V4(b)) => (
                    u64::from(u32::from(b)).saturating_sub(u64::from(u32::from(a))) + 1,
                    0,
                ),
                (IpAddr::V6(a), IpAddr::V6(b)) => (
                    0,
                    u128::from(b)
                        .saturating_sub(u128::from(a))
                        .saturating_add(1),
                ),
                _ => (0, 0),
            }
        };
        for text in entries {
            // The common case without the full parser: one plain IPv4 address.
            let (a, b) = if text.trim().parse::<std::net::Ipv4Addr>().is_ok() {
                (1, 0)
            } else {
                match parse_entry(text) {
                    Ok(Entry::Addr(ip)) => size(ip, ip),
                    Ok(Entry::Net(net)) => size(net.network(), net.broadcast()),
                    Ok(Entry::Range { start, end }) => size(start, end),
                    _ => (0, 0),
                }
            };
            v4 = v4.saturating_add(a);
            v6 = v6.saturating_add(b);
        }
        v4 >= 1 << 32 || v6 == u128::MAX
    }

    /// Whether the list trusts nothing at all.
    pub fn is_empty(&self) -> bool {
        self.v4.len() == 0 && self.v6.len() == 0 && self.names.is_empty()
    }
}

/// Parses every entry; a big list is split across the machine's cores, since parsing
/// is most of a reload's work and the daemon's reload latency is a promise.
fn parse_all(texts: &[&str]) -> Vec<Result<Entry, EntryError>> {
    const PER_THREAD: usize = 16_384;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(texts.len() / PER_THREAD)
        .max(1);
    if threads == 1 {
        return texts.iter().map(|t| parse_entry(t)).collect();
    }
    let chunk = texts.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|t| parse_entry(t)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                // A parser panic is a bug; re-raise it rather than lose entries silently.
                h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .collect()
    })
}

/// The original texts of the numeric entries in one string, so a million entries cost
/// one allocation rather than a million.
#[derive(Debug, Clone, Default)]
struct TextArena {
    /// All texts, concatenated.
    buf: String,
    /// Per label: the list position of the entry and where its text ends in `buf`
    /// (it starts where the previous one ends). `u32`s keep a million slots in 8 MB.
    slots: Vec<(u32, u32)>,
}

impl TextArena {
    /// Stores a text and returns its label, or `None` past `u32::MAX` labels.
    fn push(&mut self, index: usize, text: &str) -> Option<u32> {
        let label = u32::try_from(self.slots.len()).ok()?;
        let index = u32::try_from(index).ok()?;
        let end = u32::try_from(self.buf.len() + text.len()).ok()?;
        self.buf.push_str(text);
        self.slots.push((index, end));
        Some(label)
    }

    fn get(&self, label: u32) -> Option<Match<'_>> {
        let slot = usize::try_from(label).ok()?;
        let &(index, end) = self.slots.get(slot)?;
        let start = match slot.checked_sub(1) {
            Some(prev) => self.slots.get(prev)?.1,
            None => 0,
        };
        let text = self.buf.get(start as usize..end as usize)?;
        Some(Match {
            index: index as usize,
            text,
        })
    }

    /// Every label's list position and text, in label order.
    fn iter(&self) -> impl Iterator<Item = (usize, &str)> {
        let mut start = 0;
        self.slots.iter().map(move |&(index, end)| {
            let text = self.buf.get(start as usize..end as usize).unwrap_or("");
            start = end;
            (index as usize, text)
        })
    }

    fn shrink_to_fit(&mut self) {
        self.buf = huge::packed_string(&self.buf);
        self.slots = huge::packed(&self.slots);
    }
}

/// Collects entries in list order; labels grow with the order, so "lowest label" means
/// "earliest entry".
#[derive(Default)]
struct Builder {
    v4: Vec<Span<u32>>,
    v6: Vec<Span<u128>>,
    texts: TextArena,
    names: Vec<NameEntry>,
    counts: Counts,
    rejected: Vec<Rejected>,
    single: Vec<bool>,
}

impl Builder {
    fn add(&mut self, index: usize, text: &str, entry: Entry) {
        match entry {
            Entry::Name(name) => self.add_name(index, text, NameKind::Host(name)),
            Entry::Subdomain(name) => self.add_name(index, text, NameKind::Subdomain(name)),
            numeric => self.add_numeric(index, text, &numeric),
        }
    }

    fn add_name(&mut self, index: usize, text: &str, kind: NameKind) {
        self.counts.names += 1;
        self.names.push(NameEntry {
            index,
            text: text.to_owned(),
            kind,
        });
    }

    fn add_numeric(&mut self, index: usize, text: &str, entry: &Entry) {
        let Some(bounds) = numeric_bounds(entry) else {
            // A range with mixed families cannot come out of the parser; refuse it
            // rather than guess if a caller of `from_entries` builds one.
            return self.reject(index, text, Reason::MixedFamilies.to_string());
        };
        self.add_bounds(index, text, bounds, matches!(entry, Entry::Addr(_)));
    }

    /// A numeric entry already cut into its interval; `single` when written as one
    /// address.
    fn add_bounds(&mut self, index: usize, text: &str, bounds: Bounds, single: bool) {
        let Some(label) = self.texts.push(index, text) else {
            return self.reject(index, text, Reason::TooMany.to_string());
        };
        match bounds {
            Bounds::V4(start, end) => self.v4.push(Span { start, end, label }),
            Bounds::V6(start, end) => self.v6.push(Span { start, end, label }),
        }
        self.single.push(single);
        match single {
            true => self.counts.addresses += 1,
            false => self.counts.networks += 1,
        }
    }

    fn reject(&mut self, index: usize, text: &str, reason: String) {
        self.rejected.push(Rejected {
            index,
            text: text.to_owned(),
            reason,
        });
    }

    fn finish(self) -> Compiled {
        let v4 = Intervals::build(self.v4.clone());
        let v6 = Intervals::build(self.v6.clone());
        self.finish_with(v4, v6)
    }

    /// The list from these entries and intervals already built from their spans.
    fn finish_with(mut self, v4: Intervals<u32>, v6: Intervals<u128>) -> Compiled {
        self.texts.shrink_to_fit();
        self.names.shrink_to_fit();
        let list = HostList {
            v4,
            v6,
            texts: self.texts,
            names: self.names,
            counts: self.counts,
            raw_v4: huge::packed(&self.v4),
            raw_v6: self.v6,
            single: self.single,
        };
        Compiled {
            list,
            rejected: self.rejected,
        }
    }
}

/// The inclusive integer interval a numeric entry covers, in its family.
#[derive(Clone, Copy)]
enum Bounds {
    V4(u32, u32),
    V6(u128, u128),
}

/// Converts an address, network or range into integer bounds (v4-mapped addresses count
/// as IPv4); `None` for names and for ranges that mix families.
fn numeric_bounds(entry: &Entry) -> Option<Bounds> {
    let (start, end) = match *entry {
        Entry::Addr(ip) => (ip.to_canonical(), ip.to_canonical()),
        Entry::Net(net) => {
            // Not endpoint by endpoint: a v6 net may end inside the mapped space
            // without lying in it, and still is an IPv6 net.
            let net = canonical_net(net);
            (net.network(), net.broadcast())
        }
        Entry::Range { start, end } => (start.to_canonical(), end.to_canonical()),
        Entry::Name(_) | Entry::Subdomain(_) => return None,
    };
    match (start, end) {
        (IpAddr::V4(s), IpAddr::V4(e)) => Some(Bounds::V4(u32::from(s), u32::from(e))),
        (IpAddr::V6(s), IpAddr::V6(e)) => Some(Bounds::V6(u128::from(s), u128::from(e))),
        _ => None,
    }
}
