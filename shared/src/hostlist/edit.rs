//! Editing a compiled list without compiling it again: the store's delta says which
//! entries were appended and which removed, and the daemon applies just that to the list
//! in force. Entries already in the list are not parsed again (parsing is most of a
//! compile); their intervals are kept from the compile that read them. The result is the
//! list that compiling the edited text would give, entry for entry and position for
//! position (the tests compare the two).

use crate::textmap::TextSet;

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

/// Past this many edits at once, one rebuild from every entry's interval costs less
/// than editing the intervals once per edit (each edit is linear in the list).
const ONE_BY_ONE: usize = 8;

impl HostList {
    /// The list after `edits`, given the entries its compile refused (`rejected`, which
    /// keep their place in the list).
    ///
    /// A few edits change the compiled intervals in place of sweeping them all again:
    /// appended entries only fill gaps (they come last, so they lose every overlap), and
    /// removed ones leave holes that only the entries overlapping them can fill. At
    /// 100,000 entries that is the difference between milliseconds and a sort.
    pub fn apply(&self, rejected: &[Rejected], edits: &[Edit<'_>]) -> Compiled {
        if edits.len() > ONE_BY_ONE {
            return self.rebuilt(rejected, edits);
        }
        let mut done: Option<Compiled> = None;
        for edit in edits {
            let (list, refused) = match &done {
                Some(c) => (&c.list, c.rejected.as_slice()),
                None => (self, rejected),
            };
            let next = match *edit {
                Edit::Append(texts) => list.appended(refused, texts),
                Edit::Remove(texts) => list.removed(refused, texts),
            };
            done = Some(next);
        }
        done.unwrap_or_else(|| Compiled {
            list: self.clone(),
            rejected: rejected.to_vec(),
        })
    }

    /// A builder holding this list's entries as they are.
    fn builder(&self, rejected: &[Rejected]) -> Builder {
        Builder {
            v4: self.raw_v4.clone(),
            v6: self.raw_v6.clone(),
            texts: self.texts.clone(),
            names: self.names.clone(),
            counts: self.counts,
            rejected: rejected.to_vec(),
            single: self.single.clone(),
        }
    }

    /// `texts` added at the end: parsed, labelled after every entry here, and painted
    /// into the gaps of the intervals.
    fn appended(&self, rejected: &[Rejected], texts: &[String]) -> Compiled {
        let mut builder = self.builder(rejected);
        let (from_v4, from_v6) = (builder.v4.len(), builder.v6.len());
        let first = self.texts.slots.len() + self.names.len() + rejected.len();
        for (index, text) in (first..).zip(texts) {
            match super::parse_entry(text) {
                Ok(entry) => builder.add(index, text, entry),
                Err(err) => builder.reject(index, text, err.reason().to_string()),
            }
        }
        let v4 = self
            .v4
            .filled(builder.v4.get(from_v4..).unwrap_or(&[]).to_vec());
        let v6 = self
            .v6
            .filled(builder.v6.get(from_v6..).unwrap_or(&[]).to_vec());
        builder.finish_with(v4, v6)
    }

    /// Every entry written as one of `texts` taken out: the later entries move up a
    /// position (and a label, for numeric ones), and what the removed ones won goes to
    /// the entries under them.
    fn removed(&self, rejected: &[Rejected], texts: &[String]) -> Compiled {
        let doomed: TextSet<'_> = texts.iter().map(String::as_str).collect();
        let mut gone_labels = Vec::new();
        let mut gone_at = Vec::new();
        for (label, (index, text)) in self.texts.iter().enumerate() {
            if doomed.contains(text) {
                gone_labels.extend(u32::try_from(label).ok());
                gone_at.push(index);
            }
        }
        let names_gone = self
            .names
            .iter()
            .filter(|n| doomed.contains(n.text.as_str()));
        gone_at.extend(names_gone.map(|n| n.index));
        let refused_gone = rejected.iter().filter(|r| doomed.contains(r.text.as_str()));
        gone_at.extend(refused_gone.map(|r| r.index));
        if gone_at.is_empty() {
            return Compiled {
                list: self.clone(),
                rejected: rejected.to_vec(),
            };
        }
        gone_at.sort_unstable();
        let moved = |index: usize| index - gone_at.partition_point(|&g| g < index);
        let kept = |label: u32| gone_labels.binary_search(&label).is_err();
        let relabel = |label: u32| label - gone_labels.partition_point(|&g| g < label) as u32;

        let mut builder = Builder::default();
        for (label, (index, text)) in (0u32..).zip(self.texts.iter()) {
            if kept(label) {
                // Fewer labels than before, so there is room for every one.
                let _ = builder.texts.push(moved(index), text);
            }
        }
        builder.single = (0u32..)
            .zip(&self.single)
            .filter(|&(label, _)| kept(label))
            .map(|(_, &single)| single)
            .collect();
        let singles = builder.single.iter().filter(|&&s| s).count();
        builder.v4 = relabelled(&self.raw_v4, kept, relabel);
        builder.v6 = relabelled(&self.raw_v6, kept, relabel);
        for n in self
            .names
            .iter()
            .filter(|n| !doomed.contains(n.text.as_str()))
        {
            builder.names.push(NameEntry {
                index: moved(n.index),
                ..n.clone()
            });
        }
        for r in rejected
            .iter()
            .filter(|r| !doomed.contains(r.text.as_str()))
        {
            builder.rejected.push(Rejected {
                index: moved(r.index),
                ..r.clone()
            });
        }
        builder.counts = super::Counts {
            addresses: singles,
            networks: builder.single.len() - singles,
            names: builder.names.len(),
        };
        let v4 = self.v4.without(&gone_labels, &builder.v4);
        let v6 = self.v6.without(&gone_labels, &builder.v6);
        builder.finish_with(v4, v6)
    }

    /// The same edits by listing every entry again and building the list from them.
    fn rebuilt(&self, rejected: &[Rejected], edits: &[Edit<'_>]) -> Compiled {
        let mut items = self.items(rejected);
        for edit in edits {
            match *edit {
                Edit::Append(texts) => items.extend(texts.iter().map(|t| Item::New(t))),
                Edit::Remove(texts) => {
                    let doomed: TextSet<'_> = texts.iter().map(String::as_str).collect();
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

/// The spans of the labels kept, renumbered.
fn relabelled<K: Copy>(
    spans: &[Span<K>],
    kept: impl Fn(u32) -> bool,
    relabel: impl Fn(u32) -> u32,
) -> Vec<Span<K>> {
    spans
        .iter()
        .filter(|s| kept(s.label))
        .map(|s| Span {
            label: relabel(s.label),
            ..*s
        })
        .collect()
}
