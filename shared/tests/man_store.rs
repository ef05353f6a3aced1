//! `man/relay-store.5` is written by hand; this keeps it current: every key the
//! programs read and every form of host entry must be documented there.

use shared::settings::KEYS;

fn page() -> String {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/relay-store.5"))
        .expect("man/relay-store.5");
    // Undo roff's escapes so the checks read like the page does.
    raw.replace("\\-", "-")
        .replace("\\&", "")
        .replace("\\e", "\\")
}

#[test]
fn every_key_is_documented() {
    let page = page();
    for k in KEYS {
        assert!(
            page.lines().any(|l| l.trim() == format!(".B {}", k.key)),
            "relay-store(5) has no `.B {}` entry",
            k.key
        );
        assert!(page.contains(k.dir), "{} is not named", k.dir);
    }
}

#[test]
fn every_host_entry_form_is_documented() {
    let page = page();
    for form in [
        "192.168.123.55",
        "2001:db8::",
        "192.168.40.0/21",
        "/255.255.248.0",
        "192.168.40-43.*",
        "192.168.1.10-192.168.1.40",
        "mail.example.com",
        ".example.com",
        "*.example.com",
        "0.0.0.0/0",
    ] {
        assert!(page.contains(form), "relay-store(5) does not show `{form}`");
    }
}

#[test]
fn the_file_layout_is_documented() {
    let page = page();
    for word in [
        "domain.plist",
        ".lock",
        "0640",
        "0750",
        "next_id",
        "serial",
        "_locked",
        "CHILDREN",
        "argon2id",
        "$6$",
    ] {
        assert!(
            page.contains(word),
            "relay-store(5) does not mention `{word}`"
        );
    }
}
