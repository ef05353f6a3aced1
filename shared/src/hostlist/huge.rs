//! Big lookup tables on huge pages. A million-entry list is tens of megabytes probed at
//! random: on 4 KiB pages nearly every lookup walks the page tables, and that, not the
//! bisection, is what made a big list slower than a small one. Asking the kernel for
//! transparent huge pages (where it allows them) before the table is first written keeps
//! the whole table in a few TLB entries. Where huge pages are off this changes nothing.

/// A copy of `items` in a fresh allocation advised for huge pages before it is touched.
pub(crate) fn packed<T: Copy>(items: &[T]) -> Vec<T> {
    let mut v = Vec::with_capacity(items.len());
    advise_huge(v.as_ptr() as usize, std::mem::size_of_val(items));
    v.extend_from_slice(items);
    v
}

/// The same for a string's bytes.
pub(crate) fn packed_string(s: &str) -> String {
    String::from_utf8(packed(s.as_bytes())).unwrap_or_else(|_| s.to_owned())
}

fn advise_huge(addr: usize, len: usize) {
    const HUGE: usize = 2 << 20;
    if len < HUGE {
        return;
    }
    let start = addr.next_multiple_of(HUGE);
    let end = (addr + len) & !(HUGE - 1);
    if end > start {
        // SAFETY: the range lies inside an allocation we own; MADV_HUGEPAGE is advice and
        // changes no contents. A failure (no THP support) is harmless and ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn packed_copies_exactly() {
        let big: Vec<u64> = (0..2_000_000).collect();
        let copy = super::packed(&big);
        assert_eq!(copy, big);
        if let Ok(s) = std::fs::read_to_string("/proc/self/smaps_rollup") {
            let huge = s.lines().find(|l| l.starts_with("AnonHugePages"));
            eprintln!("{}", huge.unwrap_or("AnonHugePages: n/a"));
        }
        assert_eq!(super::packed_string("abc"), "abc");
    }
}
