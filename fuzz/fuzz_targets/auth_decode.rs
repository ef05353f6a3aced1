//! AUTH PLAIN and LOGIN decoding: any response decodes or is refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../relayd/src/smtp/sasl.rs"]
#[allow(dead_code)]
mod sasl;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = sasl::decode_b64(text);
    let _ = sasl::decode_plain(text);
    let _ = sasl::decode_login_field(text);
});
