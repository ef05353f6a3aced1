//! Editing a compiled list without compiling it again: the store's delta says which
//! entries were appended and which removed, and the daemon applies just that to the list
//! in force. Entries already in the list are not parsed again (parsing is most of a
//! compile); their intervals are kept from the compile that read them. The result is the
//! list that compiling the edited text would give, entry for entry and position for
//! position (the tests compare the two).

use std::collections::HashSet;

use super::intervals::Span;
use super::names::NameEntry;
use super::{Bounds, Builder, Compiled, HostList, Rejected};

/// One edit of the list's text, in the order the store made them.
#[derive(Debug, Clone, Copy)]
pub enum Edit<'a> {
    /// These entries added at the end.
    Append(&'a [String]),
    /// Every entry written exactly as one of these removed.
    Remove(&'a [String]),
}

/// One entry of the list during an edit, with what is already known about it.
enum Item<'a> {
    Numeric {
        text: &'a str,
        bounds: Bounds,
        single: bool,
    },
    Name(&'a NameEntry),
    Refused(&'a Rejected),
    New(&'a str),
}

impl Item<'_> {
    fn text(&self) -> &str {
        match self {
            Item::Numeric { text, .. } | Item::New(text) => text,
            Item::Name(n) => &n.text,
            Item::Refused(r) => &r.text,
        }
    }
}

impl HostList {
    /// The list after `edits`, given the entries its compile refused (`rejected`, which
    /// keep their place in the list).
    pub fn apply(&self, rejected: &[Rejected], edits: &[Edit<'_>]) -> Compiled {
        let mut items = self.items(rejected);
        for edit in edits {
            match *edit {
                Edit::Append(texts) => items.extend(texts.iter().map(|t| Item::New(t))),
                Edit::Remove(texts) => {
                    let doomed: HashSet<&str> = texts.iter().map(String::as_str).collect();
                    items.retain(|i| !doomed.contains(i.text()));
                }
            }
        }
        let mut builder = Builder::default();
        for (index, item) in items.into_iter().enumerate() {
            match item {
                Item::Numeric {
                    text,
                    bounds,
                    single,
                } => builder.add_bounds(index, text, bounds, single),
                Item::Name(n) => builder.add_name(index, &n.text, n.kind.clone()),
                Item::Refused(r) => builder.reject(index, &r.text, r.reason.clone()),
                Item::New(text) => match super::parse_entry(text) {
                    Ok(entry) => builder.add(index, text, entry),
                    Err(err) => builder.reject(index, text, err.reason().to_string()),
                },
            }
        }
        builder.finish()
    }

    /// Every entry in list order: the numeric ones (by label, which follows list
    /// order), the names and the refused, merged by their positions.
    fn items<'a>(&'a self, rejected: &'a [Rejected]) -> Vec<Item<'a>> {
        let mut v4 = self.raw_v4.iter().peekable();
        let mut v6 = self.raw_v6.iter().peekable();
        let mut numeric = self
            .texts
            .iter()
            .enumerate()
            .filter_map(move |(label, (index, text))| {
                let label = u32::try_from(label).ok()?;
                let bounds = match v4.next_if(|s: &&Span<u32>| s.label == label) {
                    Some(s) => Bounds::V4(s.start, s.end),
                    None => {
                        let s = v6.next_if(|s: &&Span<u128>| s.label == label)?;
                        Bounds::V6(s.start, s.end)
                    }
                };
                let single = self.single.get(label as usize).copied().unwrap_or(false);
                Some((
                    index,
                    Item::Numeric {
                        text,
                        bounds,
                        single,
                    },
                ))
            })
            .peekable();
        let mut names = self
            .names
            .iter()
            .map(|n| (n.index, Item::Name(n)))
            .peekable();
        let mut refused = rejected
            .iter()
            .map(|r| (r.index, Item::Refused(r)))
            .peekable();
        let mut out =
            Vec::with_capacity(self.texts.slots.len() + self.names.len() + rejected.len());
        loop {
            let next = [
                numeric.peek().map(|x| x.0),
                names.peek().map(|x| x.0),
                refused.peek().map(|x| x.0),
            ];
            let Some((which, _)) = next
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (i, n)))
                .min_by_key(|&(_, n)| n)
            else {
                break;
            };
            let item = match which {
                0 => numeric.next(),
                1 => names.next(),
                _ => refused.next(),
            };
            if let Some((_, item)) = item {
                out.push(item);
            }
        }
        out
    }
}
