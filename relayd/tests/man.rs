//! `man/relayd.8` is written by hand; this keeps it honest about the flags relayd takes
//! (read from `relayd --help`) and the things an administrator relies on.

use std::process::Command;

fn page() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/relayd.8"))
        .expect("man/relayd.8")
        .replace("\\-", "-")
}

#[test]
fn every_flag_is_documented() {
    let help = Command::new(env!("CARGO_BIN_EXE_relayd"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let page = page();
    let flags: Vec<&str> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(','))
        .filter(|w| !["--help", "--version"].contains(w))
        .collect();
    assert!(flags.contains(&"--store"), "{help}");
    for flag in flags {
        assert!(page.contains(flag), "relayd(8) does not document {flag}");
    }
}

#[test]
fn the_promises_are_documented() {
    let page = page();
    for word in [
        "relay-spool 1",
        "fsync",
        "SIGHUP",
        "SIGTERM",
        "RELAYD_LOG",
        "control_socket",
        "status",
        "554 5.7.1",
        "530 5.7.0",
        "550 5.1.1",
        "550 5.6.11",
        "552 5.3.4",
        "421 4.4.2",
        "STARTTLS",
        "allow_plaintext_auth",
        "dns_servers",
        "relayd.service",
        "relayd.socket",
        "READY=1",
        "RELOADING=1",
        "STOPPING=1",
        "WATCHDOG=1",
        "LISTEN_FDS",
        "run_as",
        "shutdown_timeout",
        "421 4.3.2",
        "EXIT STATUS",
    ] {
        assert!(page.contains(word), "relayd(8) does not mention `{word}`");
    }
}

#[test]
fn every_daemon_key_and_log_line_is_named() {
    let page = page();
    for k in shared::settings::KEYS
        .iter()
        .filter(|k| k.dir == shared::settings::RELAYD)
    {
        assert!(
            page.contains(k.key),
            "relayd(8) SETTINGS does not name {}",
            k.key
        );
    }
    for line in [
        "rcpt",
        "queued",
        "delivery",
        "reloaded",
        "reload failed",
        "relayd ready",
        "stopped",
    ] {
        assert!(
            page.contains(&format!(".B {line}")) || page.contains(&format!("\"{line}")),
            "relayd(8) LOG LINES lacks {line}"
        );
    }
}

#[test]
fn service_files_run_relayd() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let unit = std::fs::read_to_string(format!("{dir}/relayd.service")).unwrap();
    assert!(unit.contains("Type=notify") && unit.contains("ExecStart=/usr/local/sbin/relayd"));
    let plist = std::fs::read_to_string(format!("{dir}/org.relay.relayd.plist")).unwrap();
    assert!(plist.contains("<string>/usr/local/sbin/relayd</string>"));
}
