//! Sorted disjoint intervals: the compiled form of the numeric entries of one address
//! family, searched by bisection.
//!
//! Entries overlap freely in a list (`10.0.0.0/8` and `10.1.2.3`); the compiler cuts them
//! into disjoint segments, each labelled with the earliest entry that covers it, so a
//! lookup is one binary search and still names the entry a naive top-to-bottom scan would
//! have named. A bucket index over the address span narrows each search to a handful of
//! segments, and there is no per-entry allocation.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// An address as an integer key: `u32` for IPv4, `u128` for IPv6.
pub(crate) trait Key: Copy + Ord + std::fmt::Debug {
    /// The first address of the family.
    const MIN: Self;
    /// The last address of the family (inclusive ends can reach it, so `+ 1` can't).
    const MAX: Self;
    /// `self + 1`; only called when `self < MAX`.
    fn succ(self) -> Self;
    /// `self - 1`; only called when `self > 0`.
    fn pred(self) -> Self;
    /// `(self - base) >> shift`; only called when `self >= base`.
    fn bucket(self, base: Self, shift: u32) -> usize;
    /// Bits needed to write `self - base`; only called when `self >= base`.
    fn span_bits(self, base: Self) -> u32;
}

macro_rules! key {
    ($t:ty, $bits:expr) => {
        impl Key for $t {
            const MIN: Self = 0;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Self {
                self.saturating_add(1)
            }
            fn pred(self) -> Self {
                self.saturating_sub(1)
            }
            fn bucket(self, base: Self, shift: u32) -> usize {
                (self.wrapping_sub(base).checked_shr(shift).unwrap_or(0)) as usize
            }
            fn span_bits(self, base: Self) -> u32 {
                $bits - self.wrapping_sub(base).leading_zeros()
            }
        }
    };
}

key!(u32, 32);
key!(u128, 128);

/// One input interval `[start, end]` (inclusive) and the label of the entry it came from.
/// Lower labels are earlier entries and win where intervals overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span<K> {
    pub start: K,
    pub end: K,
    pub label: u32,
}

/// Disjoint, sorted, labelled segments of one family.
#[derive(Debug, Clone)]
pub(crate) struct Intervals<K> {
    /// The segments in address order (`segs[i].end < segs[i + 1].start`), each with the
    /// earliest entry covering it. One array of whole segments, so the bisection's last
    /// step brings the end and label into cache with the start.
    segs: Vec<Span<K>>,
    /// A direct index over the covered address span, cut into equal buckets: entry `b`
    /// is the first segment starting in bucket `b` or later. A lookup bisects only its
    /// bucket's few segments, so a million entries cost about what ten do instead of
    /// twenty cache-missing bisection steps.
    index: Vec<u32>,
    /// The first address of the first segment: bucket 0 starts here.
    base: K,
    /// How far `key - base` is shifted to give its bucket.
    shift: u32,
}

/// Buckets are at most this many (a 256 KiB index), and about one per segment.
const MAX_BUCKETS: usize = 1 << 16;

impl<K: Key> Default for Intervals<K> {
    fn default() -> Self {
        Intervals {
            segs: Vec::new(),
            index: Vec::new(),
            base: K::MAX,
            shift: 0,
        }
    }
}

impl<K: Key> Intervals<K> {
    /// Cuts possibly overlapping spans into disjoint segments labelled with the lowest
    /// covering label, merging neighbours that touch and share a label.
    ///
    /// A sweep over the spans sorted by start with a min-heap of the spans open at the
    /// sweep point: O(n log n) whatever the overlap, where "paint the gaps entry by entry"
    /// would be quadratic for many wide entries over many narrow ones.
    pub fn build(mut spans: Vec<Span<K>>) -> Self {
        spans.retain(|s| s.start <= s.end);
        spans.sort_unstable_by_key(|s| s.start);
        let mut out = Intervals::default();
        let mut open: BinaryHeap<Reverse<(u32, K)>> = BinaryHeap::new();
        let mut next = 0;
        let Some(first) = spans.first() else {
            return out;
        };
        let mut cur = first.start;
        loop {
            while let Some(span) = spans.get(next).filter(|s| s.start <= cur) {
                open.push(Reverse((span.label, span.end)));
                next += 1;
            }
            while open.peek().is_some_and(|Reverse((_, end))| *end < cur) {
                open.pop();
            }
            let Some(&Reverse((label, end))) = open.peek() else {
                match spans.get(next) {
                    Some(span) => cur = span.start,
                    None => break,
                }
                continue;
            };
            // The segment runs until the winner ends or a new span opens, whichever is
            // first; a new span starts after `cur`, so `pred` cannot underflow.
            let seg_end = match spans.get(next) {
                Some(span) if span.start <= end => span.start.pred(),
                _ => end,
            };
            out.push(cur, seg_end, label);
            if seg_end == K::MAX {
                break;
            }
            cur = seg_end.succ();
        }
        out.shrink_to_fit();
        out.build_index();
        out
    }

    /// These segments with `spans` painted into the gaps only: the edit for entries
    /// appended to the list, whose labels are above every label here, so they win
    /// nowhere they overlap an existing entry. Linear in the segments, no sort of them.
    pub fn filled(&self, spans: Vec<Span<K>>) -> Self {
        let add = Intervals::build(spans);
        let mut out = Intervals::default();
        out.segs.reserve(self.segs.len() + add.segs.len());
        let mut old = self.segs.iter().peekable();
        // The end of the last segment from here that went out: a piece may start inside it.
        let mut reach: Option<K> = None;
        for piece in add.segs.iter() {
            // The next address of the piece not yet covered, `None` once it is used up.
            let mut cur = match reach {
                Some(r) if r >= piece.end => None,
                Some(r) if r >= piece.start => Some(r.succ()),
                _ => Some(piece.start),
            };
            while let Some(seg) = old.next_if(|s| s.start <= piece.end) {
                if let Some(c) = cur {
                    if c < seg.start {
                        out.push(c, seg.start.pred(), piece.label);
                    }
                    if seg.end >= c {
                        cur = (seg.end < piece.end).then(|| seg.end.succ());
                    }
                }
                out.push(seg.start, seg.end, seg.label);
                reach = Some(seg.end);
            }
            if let Some(c) = cur {
                out.push(c, piece.end, piece.label);
            }
        }
        for seg in old {
            out.push(seg.start, seg.end, seg.label);
        }
        out.shrink_to_fit();
        out.build_index();
        out
    }

    /// These segments without the entries labelled `gone` (sorted): the edit for
    /// entries removed from the list. The addresses they won go to the earliest of the
    /// `remaining` spans (labelled as after the removal) covering them, and every label
    /// above a removed one moves down, as compiling the shorter list would number them.
    /// Only the spans that overlap what was removed are swept again.
    pub fn without(&self, gone: &[u32], remaining: &[Span<K>]) -> Self {
        let relabel = |l: u32| l - gone.partition_point(|&g| g < l) as u32;
        let holes: Vec<(K, K)> = self
            .segs
            .iter()
            .filter(|s| gone.binary_search(&s.label).is_ok())
            .map(|s| (s.start, s.end))
            .collect();
        let overlaps_a_hole = |s: &&Span<K>| {
            let i = holes.partition_point(|h| h.1 < s.start);
            holes.get(i).is_some_and(|h| h.0 <= s.end)
        };
        let sub = Intervals::build(remaining.iter().filter(overlaps_a_hole).copied().collect());
        // What the remaining spans give inside the holes, in address order.
        let mut pieces = Vec::new();
        let (mut h, mut f) = (holes.iter().peekable(), sub.segs.iter().peekable());
        while let (Some(&&(hs, he)), Some(&&seg)) = (h.peek(), f.peek()) {
            let (start, end) = (hs.max(seg.start), he.min(seg.end));
            if start <= end {
                pieces.push(Span {
                    start,
                    end,
                    label: seg.label,
                });
            }
            if he < seg.end {
                h.next();
            } else {
                f.next();
            }
        }
        let mut out = Intervals::default();
        out.segs.reserve(self.segs.len() + pieces.len());
        let mut kept = self
            .segs
            .iter()
            .filter(|s| gone.binary_search(&s.label).is_err())
            .peekable();
        let mut pieces = pieces.into_iter().peekable();
        loop {
            let next = match (kept.peek(), pieces.peek()) {
                (Some(k), Some(p)) if k.start < p.start => kept.next().map(|k| Span {
                    label: relabel(k.label),
                    ..*k
                }),
                (_, Some(_)) => pieces.next(),
                (Some(_), None) => kept.next().map(|k| Span {
                    label: relabel(k.label),
                    ..*k
                }),
                (None, None) => break,
            };
            if let Some(seg) = next {
                out.push(seg.start, seg.end, seg.label);
            }
        }
        out.shrink_to_fit();
        out.build_index();
        out
    }

    fn build_index(&mut self) {
        let (Some(first), Some(last)) = (self.segs.first(), self.segs.last()) else {
            return;
        };
        let (base, last) = (first.start, last.end);
        let buckets = self.segs.len().next_power_of_two().min(MAX_BUCKETS);
        self.base = base;
        self.shift = last
            .span_bits(base)
            .saturating_sub(buckets.trailing_zeros());
        let mut index = Vec::with_capacity(buckets + 1);
        for (i, seg) in self.segs.iter().enumerate() {
            let b = seg.start.bucket(base, self.shift);
            while index.len() <= b {
                index.push(i as u32);
            }
        }
        while index.len() <= buckets {
            index.push(self.segs.len() as u32);
        }
        self.index = index;
    }

    /// Appends a segment after the last one, extending the last one instead when they
    /// touch and carry the same label.
    fn push(&mut self, start: K, end: K, label: u32) {
        if let Some(last) = self.segs.last_mut() {
            if last.label == label && last.end < K::MAX && last.end.succ() == start {
                last.end = end;
                return;
            }
        }
        self.segs.push(Span { start, end, label });
    }

    fn shrink_to_fit(&mut self) {
        self.segs = super::huge::packed(&self.segs);
    }

    /// The label of the segment containing `key`: its bucket, then a binary search there.
    pub fn find(&self, key: K) -> Option<u32> {
        if self.segs.is_empty() || key < self.base {
            return None;
        }
        // Segments starting in this bucket, plus the one before them, which may reach in.
        let b = key.bucket(self.base, self.shift);
        let lo = *self.index.get(b)? as usize;
        let hi = self
            .index
            .get(b + 1)
            .map_or(self.segs.len(), |&h| h as usize);
        let after = lo + self.segs.get(lo..hi)?.partition_point(|s| s.start <= key);
        let seg = self.segs.get(after.checked_sub(1)?)?;
        (seg.end >= key).then_some(seg.label)
    }

    /// Whether the segments together cover every address of the family.
    pub fn covers_all(&self) -> bool {
        let Some(first) = self.segs.first() else {
            return false;
        };
        let mut reach = first.end;
        if first.start != K::MIN {
            return false;
        }
        for seg in &self.segs[1..] {
            if reach == K::MAX || seg.start != reach.succ() {
                return reach == K::MAX;
            }
            reach = seg.end;
        }
        reach == K::MAX
    }

    /// Number of disjoint segments (for sizing and tests).
    pub fn len(&self) -> usize {
        self.segs.len()
    }

    /// The segments in order, for tests and diagnostics.
    #[cfg(test)]
    pub fn segments(&self) -> impl Iterator<Item = Span<K>> + '_ {
        self.segs.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn span(start: u32, end: u32, label: u32) -> Span<u32> {
        Span { start, end, label }
    }

    /// The reference: the lowest label among spans covering `key`.
    fn naive(spans: &[Span<u32>], key: u32) -> Option<u32> {
        spans
            .iter()
            .filter(|s| s.start <= key && key <= s.end)
            .map(|s| s.label)
            .min()
    }

    #[test]
    fn empty_finds_nothing() {
        let iv = Intervals::<u32>::build(Vec::new());
        assert_eq!(iv.find(0), None);
        assert_eq!(iv.len(), 0);
    }

    #[test]
    fn earlier_label_wins_inside_later_wide_span() {
        let iv = Intervals::build(vec![span(5, 5, 0), span(0, 10, 1)]);
        let segs: Vec<_> = iv.segments().collect();
        assert_eq!(segs, vec![span(0, 4, 1), span(5, 5, 0), span(6, 10, 1)]);
    }

    #[test]
    fn later_narrow_span_is_swallowed_by_earlier_wide_one() {
        let iv = Intervals::build(vec![span(0, 10, 0), span(5, 5, 1)]);
        let segs: Vec<_> = iv.segments().collect();
        assert_eq!(segs, vec![span(0, 10, 0)]);
    }

    #[test]
    fn touching_same_label_merges() {
        let iv = Intervals::build(vec![span(0, 4, 3), span(5, 9, 3)]);
        assert_eq!(iv.len(), 1);
    }

    #[test]
    fn reaches_max_without_overflow() {
        let iv = Intervals::build(vec![
            span(u32::MAX - 1, u32::MAX, 0),
            span(u32::MAX, u32::MAX, 1),
        ]);
        assert_eq!(iv.find(u32::MAX), Some(0));
        assert_eq!(iv.find(u32::MAX - 2), None);
        let iv = Intervals::build(vec![span(0, u32::MAX, 7)]);
        assert_eq!(iv.find(0), Some(7));
        assert_eq!(iv.find(u32::MAX), Some(7));
    }

    fn crowded(raw: &[(u32, u32)]) -> Vec<Span<u32>> {
        raw.iter()
            .enumerate()
            .map(|(i, &(s, w))| span(s, s + w, i as u32))
            .collect()
    }

    proptest! {
        /// Painting appended entries into the gaps gives what sweeping them all does,
        /// segment for segment.
        #[test]
        fn filled_is_a_build_of_everything(
            raw in prop::collection::vec((0u32..64, 0u32..16), 0..40),
            split in 0usize..40,
        ) {
            let spans = crowded(&raw);
            let (before, after) = spans.split_at(split.min(spans.len()));
            let edited = Intervals::build(before.to_vec()).filled(after.to_vec());
            let fresh = Intervals::build(spans.clone());
            prop_assert_eq!(edited.segments().collect::<Vec<_>>(), fresh.segments().collect::<Vec<_>>());
            for key in 0..90 {
                prop_assert_eq!(edited.find(key), fresh.find(key));
            }
        }

        /// Taking entries out and sweeping only what they covered gives what sweeping
        /// the rest does, with labels renumbered.
        #[test]
        fn without_is_a_build_of_the_rest(
            raw in prop::collection::vec((0u32..64, 0u32..16), 0..40),
            picks in prop::collection::vec(0u32..40, 0..6),
        ) {
            let spans = crowded(&raw);
            let mut gone: Vec<u32> = picks.into_iter().filter(|&p| (p as usize) < spans.len()).collect();
            gone.sort_unstable();
            gone.dedup();
            let rest: Vec<Span<u32>> = spans
                .iter()
                .filter(|s| gone.binary_search(&s.label).is_err())
                .map(|s| span(s.start, s.end, s.label - gone.partition_point(|&g| g < s.label) as u32))
                .collect();
            let edited = Intervals::build(spans.clone()).without(&gone, &rest);
            let fresh = Intervals::build(rest.clone());
            prop_assert_eq!(edited.segments().collect::<Vec<_>>(), fresh.segments().collect::<Vec<_>>());
            for key in 0..90 {
                prop_assert_eq!(edited.find(key), fresh.find(key));
            }
        }

        #[test]
        fn matches_naive_in_a_crowded_space(
            raw in prop::collection::vec((0u32..64, 0u32..16), 0..40),
        ) {
            let spans: Vec<_> = raw
                .iter()
                .enumerate()
                .map(|(i, &(s, w))| span(s, s + w, i as u32))
                .collect();
            let iv = Intervals::build(spans.clone());
            for key in 0..90 {
                prop_assert_eq!(iv.find(key), naive(&spans, key), "key {}", key);
            }
            let segs: Vec<_> = iv.segments().collect();
            for pair in segs.windows(2) {
                prop_assert!(pair[0].end < pair[1].start);
                prop_assert!(pair[0].end + 1 < pair[1].start || pair[0].label != pair[1].label);
            }
        }
    }
}
