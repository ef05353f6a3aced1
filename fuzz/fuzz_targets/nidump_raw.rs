//! nidump's raw format: parse never panics, and for what parses, dump then parse then
//! dump again gives the same text (the round trip is the identity).
#![no_main]
use libfuzzer_sys::fuzz_target;
use shared::store::raw::{self, LoadMode};
use shared::store::{Domain, ROOT};

fn dumped(r: &raw::RawDir) -> Option<String> {
    let mut d = Domain::new();
    raw::load(&mut d, "/", r, LoadMode::Replace).ok()?;
    Some(raw::dump(&d, ROOT))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(first) = raw::parse(text, "fuzz") else {
        return;
    };
    let Some(once) = dumped(&first) else {
        return;
    };
    let second = raw::parse(&once, "dump").expect("a dump does not parse");
    let twice = dumped(&second).expect("a dump does not load");
    assert_eq!(once, twice);
});
