//! The recipient classifier: no address it calls local contains a route, `%`, `!` or a
//! foreign literal, so nothing that looks local can be relayed onward.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shared::policy::RecipientClass;

fuzz_target!(|data: &[u8]| {
    let Ok(rcpt) = std::str::from_utf8(data) else {
        return;
    };
    let locals = ["example.com".to_string(), "[192.0.2.1]".to_string()];
    if let RecipientClass::Local { local_part, domain } =
        shared::policy::classify_recipient(rcpt, &locals)
    {
        let unquoted = !local_part.starts_with('"');
        assert!(
            !unquoted || !local_part.contains(['%', '!', '@', ':']),
            "{rcpt:?} -> local part {local_part:?}"
        );
        assert!(
            !rcpt.trim_start_matches('<').starts_with('@'),
            "source route {rcpt:?} called local"
        );
        if let Some(d) = &domain {
            assert!(locals.contains(d), "{rcpt:?} -> local domain {d:?}");
        }
    }
});
