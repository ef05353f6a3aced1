//! The store file readers: the fast reader of relayd's own layout and the general
//! property-list parser never panic, and whatever the fast one accepts, the general one
//! reads the same.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("domain.plist");
    let fast = shared::store::decode(data, file);
    let general = shared::store::decode_any(data, file);
    if let Ok(d) = &fast {
        let g = general
            .as_ref()
            .expect("the fast reader accepted what the general one refuses");
        assert_eq!(shared::store::encode(d).ok(), shared::store::encode(g).ok());
    }
});
