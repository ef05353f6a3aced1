//! relayd's SMTP command parser: any line gets a command or a refusal, never a panic,
//! and a command's address never carries a CR, LF or NUL into the session.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../relayd/src/smtp/grammar.rs"]
#[allow(dead_code)]
mod grammar;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cmd) = grammar::parse(line) {
        let text = format!("{cmd:?}");
        assert!(
            !text.contains('\r') && !text.contains('\n') && !text.contains('\0')
                || line.contains(['\r', '\n', '\0']),
            "{line:?} -> {text}"
        );
    }
});
