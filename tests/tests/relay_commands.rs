//! The task-shaped commands, end to end against the real binary.

use relay_e2e::{Dnsmasq, Scratch};

fn list(s: &Scratch) -> Vec<String> {
    s.ok(&["relay", "list"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn a_malformed_entry_is_refused_with_its_reason_and_nothing_changes() {
    let s = Scratch::new();
    // On an empty store nothing is even created.
    let r = s.run(&["relay", "add", "300.1.1.1"]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.contains("300.1.1.1: octet 300 is out of range"),
        "{}",
        r.stderr
    );
    assert!(!s.domain_file().exists());
    s.ok(&["relay", "add", "10.0.0.0/8"]);
    let before = std::fs::read(s.domain_file()).unwrap();
    for bad in [
        &["relay", "add", "192.168.1.0/24", "300.1.1.1"][..],
        &["relay", "add", "192.168.1.5/24"],
        &["relay", "add", "0.0.0.0/0"],
        &["relay", "add", "0.0.0.0/1", "128.0.0.0/1"],
        &["relay", "add", "--", "-bad.example.com"],
        &[
            "-appendprop",
            ".",
            "/config/AppleMailServer",
            "open_relay_addr_list",
            "10.1.2.3/33",
        ],
        &[
            "-createprop",
            ".",
            "/config/AppleMailServer",
            "open_relay_addr_flag",
            "yes",
        ],
        &["relay", "disable"],
    ] {
        let r = s.run(bad);
        assert_eq!(r.status, 1, "{bad:?}: {r:?}");
        assert!(r.stderr.contains("refused"), "{bad:?}: {}", r.stderr);
        assert_eq!(
            std::fs::read(s.domain_file()).unwrap(),
            before,
            "{bad:?} wrote"
        );
    }
    // --force is the explicit way.
    s.ok(&["--force", "relay", "disable"]);
    assert_eq!(
        s.ok(&[
            "-readprop",
            ".",
            "/config/AppleMailServer",
            "open_relay_addr_flag"
        ]),
        "0\n"
    );
}

#[test]
fn add_remove_list_export_import_round_trip() {
    let dns = Dnsmasq::start();
    let s = Scratch::new();
    s.use_dns(&dns);
    assert_eq!(
        s.ok(&[
            "relay",
            "add",
            "10.0.0.0/8",
            "10.0.0.0/255.0.0.0",
            "mail.example.com"
        ]),
        "added 2, already present 1\n"
    );
    // Defaults were written alongside: the policy never rests on implicit values.
    assert_eq!(
        list(&s),
        ["127.0.0.1", "::1", "10.0.0.0/8", "mail.example.com"]
    );
    assert_eq!(
        s.ok(&[
            "-readprop",
            ".",
            "/config/AppleMailServer",
            "open_relay_addr_flag"
        ]),
        "1\n"
    );
    assert_eq!(
        s.ok(&[
            "-readprop",
            ".",
            "/config/AppleMailServer",
            "smtp_auth_flag"
        ]),
        "0\n"
    );
    assert_eq!(
        s.ok(&["relay", "add", "10.0.0.0/8"]),
        "added 0, already present 1\n"
    );
    let r = s.run(&["relay", "remove", "10.0.0.0/255.0.0.0", "192.0.2.1"]);
    assert_eq!(r.status, 0);
    assert_eq!(r.stdout, "removed 1\n");
    assert!(r.stderr.contains("192.0.2.1: not on the list"));
    let exported = s.ok(&["relay", "export"]);
    let other = Scratch::new();
    other.use_dns(&dns);
    let r = other.run_with_input(&["relay", "import", "--replace", "-"], &exported);
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(list(&other), list(&s));
    let rows = json(&s.ok(&["--json", "relay", "list"]));
    assert_eq!(rows[2]["kind"], "name");
    assert_eq!(rows[1]["canonical"], "::1");
}

#[test]
fn import_reports_every_bad_line_and_writes_nothing_unless_asked() {
    let dns = Dnsmasq::start();
    let s = Scratch::new();
    s.use_dns(&dns);
    s.ok(&["relay", "add", "192.0.2.1"]);
    let before = std::fs::read(s.domain_file()).unwrap();
    let file = s.dir.path().join("hosts.txt");
    std::fs::write(&file, "# trusted\n172.16.0.0/12\n\n198.51.100.7   # backup MX\n010.1.1.1\n10.0.0.0/33\nmail.example.com\n").unwrap();
    let f = file.to_str().unwrap();
    let r = s.run(&["relay", "import", f]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.contains(&format!("{f}:5: 010.1.1.1")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("{f}:6: 10.0.0.0/33")),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(s.domain_file()).unwrap(), before);

    let r = s.run(&["relay", "import", "--skip-invalid", "--dry-run", f]);
    assert_eq!(r.status, 0);
    assert!(
        r.stdout
            .contains("+ 172.16.0.0/12\n+ 198.51.100.7\n+ mail.example.com\n"),
        "{}",
        r.stdout
    );
    assert_eq!(
        std::fs::read(s.domain_file()).unwrap(),
        before,
        "dry run wrote"
    );

    let r = s.run(&["relay", "import", "--skip-invalid", f]);
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(
        list(&s),
        [
            "127.0.0.1",
            "::1",
            "192.0.2.1",
            "172.16.0.0/12",
            "198.51.100.7",
            "mail.example.com"
        ]
    );

    std::fs::write(&file, "198.51.100.7\n203.0.113.0/24\n").unwrap();
    let r = s.run(&["relay", "import", "--replace", "--dry-run", f]);
    assert!(
        r.stdout.contains("+ 203.0.113.0/24\n- 127.0.0.1\n"),
        "{}",
        r.stdout
    );
    s.ok(&["relay", "import", "--replace", f]);
    assert_eq!(list(&s), ["198.51.100.7", "203.0.113.0/24"]);
}

#[test]
fn a_hundred_thousand_lines_are_one_store_write() {
    let s = Scratch::new();
    s.ok(&["relay", "add", "192.0.2.1"]);
    let serial = |s: &Scratch| {
        shared::store::Store::new(s.store())
            .load()
            .unwrap()
            .serial()
    };
    let before = serial(&s);
    let text: String = (0..100_000u32)
        .map(|i| format!("10.{}.{}.{}\n", i >> 16, (i >> 8) & 255, i & 255))
        .collect();
    let r = s.run_with_input(&["relay", "import", "-"], &text);
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "100000 added, 0 removed, 0 already present, 0 invalid skipped\n"
    );
    assert_eq!(serial(&s), before + 1);
    assert_eq!(list(&s).len(), 100_003);
    // Nothing new: no write at all.
    s.run_with_input(&["relay", "import", "-"], &text);
    assert_eq!(serial(&s), before + 1);
}

#[test]
fn check_names_the_entry_and_exits_by_decision() {
    let s = Scratch::new();
    s.ok(&["relay", "add", "192.168.40-43.*", "2001:db8::/48"]);
    s.ok(&["-create", ".", "/config/relayd"]);
    s.ok(&[
        "-createprop",
        ".",
        "/config/relayd",
        "local_domains",
        "example.com",
    ]);
    let r = s.run(&["relay", "check", "192.168.41.7"]);
    assert_eq!(r.status, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("matches open_relay_addr_list entry 192.168.40-43.*"),
        "{}",
        r.stdout
    );
    let r = s.run(&["relay", "check", "::ffff:192.168.43.255"]);
    assert_eq!(r.status, 0, "v4-mapped: {r:?}");
    let r = s.run(&["relay", "check", "192.168.44.1"]);
    assert_eq!(r.status, 1);
    assert!(r.stdout.contains("554 5.7.1"), "{}", r.stdout);
    // Local mail is accepted from anyone with the restriction on and AUTH off.
    assert_eq!(
        s.run(&[
            "relay",
            "check",
            "192.168.44.1",
            "--rcpt",
            "alice@example.com"
        ])
        .status,
        0
    );
    // A relay trick is not local mail.
    let r = s.run(&[
        "relay",
        "check",
        "192.168.44.1",
        "--rcpt",
        "bob%remote.example@example.com",
    ]);
    assert_eq!(r.status, 1, "{r:?}");
    // An authenticated user relays; a user who does not exist is not authenticated.
    s.run_with_input(&["user", "add", "alice"], "s3cret\n");
    assert_eq!(
        s.run(&["relay", "check", "203.0.113.9", "--user", "alice"])
            .status,
        0
    );
    let r = s.run(&["relay", "check", "203.0.113.9", "--user", "mallory"]);
    assert_eq!(r.status, 1);
    assert!(r.stdout.contains("no user mallory"), "{}", r.stdout);
    let v = json(&s.ok(&["--json", "relay", "check", "2001:db8::25"]));
    assert_eq!(v["accept"], true);
    assert_eq!(v["trusted_by"], "2001:db8::/48");
    assert_eq!(v["rule"], "trusted");
    // AUTH for everyone: an unlisted client may not even send local mail.
    s.ok(&["auth", "enable"]);
    let r = s.run(&[
        "relay",
        "check",
        "192.168.44.1",
        "--rcpt",
        "alice@example.com",
    ]);
    assert_eq!(r.status, 1);
    assert!(r.stdout.contains("530 5.7.0"), "{}", r.stdout);
}

#[test]
fn a_flag_the_policy_cannot_read_exits_two() {
    let s = Scratch::new();
    s.ok(&["relay", "add", "10.0.0.0/8"]);
    s.ok(&[
        "--force",
        "-createprop",
        ".",
        "/config/AppleMailServer",
        "open_relay_addr_flag",
        "maybe",
    ]);
    let r = s.run(&["relay", "check", "10.1.1.1"]);
    assert_eq!(r.status, 2, "{r:?}");
    assert!(r.stderr.contains("must be 0 or 1"));
}

#[test]
fn users_are_argon2id_and_passwords_never_touch_argv() {
    let s = Scratch::new();
    let r = s.run_with_input(&["user", "add", "alice"], "correct horse\n");
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(s.ok(&["user", "list"]), "alice\targon2id\n");
    let hash = s.ok(&["-readprop", ".", "/users/alice", "passwd"]);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(shared::users::verify_password(hash.trim(), "correct horse"));
    assert!(!std::fs::read_to_string(s.domain_file())
        .unwrap()
        .contains("correct horse"));
    assert_eq!(s.run_with_input(&["user", "add", "alice"], "x\n").status, 1);
    assert_eq!(
        s.run_with_input(&["user", "passwd", "bob"], "x\n").status,
        105
    );
    assert_eq!(
        s.run_with_input(&["user", "add", "bad/name"], "x\n").status,
        1
    );
    assert_eq!(
        s.run_with_input(&["user", "add", "carol"], "\n").status,
        1,
        "empty password"
    );
    s.run_with_input(&["user", "passwd", "alice"], "battery staple\n");
    let hash = s.ok(&["-readprop", ".", "/users/alice", "passwd"]);
    assert!(shared::users::verify_password(
        hash.trim(),
        "battery staple"
    ));
    s.ok(&["user", "remove", "alice"]);
    assert_eq!(s.ok(&["user", "list"]), "");
}

#[test]
fn nidump_niload_round_trip_and_bad_input() {
    let dns = Dnsmasq::start();
    let s = Scratch::new();
    s.use_dns(&dns);
    s.ok(&["relay", "add", "10.0.0.0/8", "mail.example.com"]);
    s.ok(&["-create", ".", "/config/relayd"]);
    s.ok(&[
        "-createprop",
        ".",
        "/config/relayd",
        "listen",
        "127.0.0.1:2525",
        "[::1]:2525 submission",
    ]);
    s.ok(&[
        "-createprop",
        ".",
        "/config/relayd",
        "odd",
        "a \"quoted\" \\ value",
        "",
    ]);
    s.run_with_input(&["user", "add", "alice"], "pw\n");
    let dump = s.ok(&["nidump", "-r", "/", "."]);
    let other = Scratch::new();
    let r = other.run_with_input(&["niload", "-r", "/", "."], &dump);
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(other.ok(&["nidump", "-r", "/", "."]), dump);
    let sub = s.ok(&["nidump", "-r", "/config", "."]);
    assert!(
        sub.starts_with("{\n  \"name\" = ( \"config\" );\n  CHILDREN = (\n    {\n"),
        "{sub}"
    );

    let before = std::fs::read(other.domain_file()).unwrap();
    let r = other.run_with_input(
        &["niload", "-r", "/config", "."],
        "{\n  \"name\" = ( \"config\" )\n}\n",
    );
    assert_eq!(r.status, 199);
    assert!(
        r.stderr.contains("<stdin>:3:1: expected `;`"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(other.domain_file()).unwrap(), before);
    // Loading an entry the write check refuses is refused like any other write.
    let r = other.run_with_input(
        &["niload", "-m", "-r", "/config/AppleMailServer", "."],
        "{ \"open_relay_addr_list\" = ( \"300.1.1.1\" ); }",
    );
    assert_eq!(r.status, 1, "{r:?}");
    assert_eq!(std::fs::read(other.domain_file()).unwrap(), before);
}

#[test]
fn show_explains_and_hides_secrets() {
    let s = Scratch::new();
    s.ok(&["relay", "add", "10.0.0.0/8"]);
    s.ok(&["-create", ".", "/config/relayd"]);
    s.ok(&[
        "-createprop",
        ".",
        "/config/relayd",
        "relayhost_password",
        "hunter2",
    ]);
    let text = s.ok(&["show"]);
    assert!(
        text.contains("Restricted SMTP Relay (open_relay_addr_flag): on (1)"),
        "{text}"
    );
    assert!(text.contains("the most common configuration"), "{text}");
    assert!(!text.contains("hunter2"));
    let v = json(&s.ok(&["--json", "show"]));
    assert_eq!(v["restrict_relay"], true);
    assert_eq!(v["open_relay"], false);
    assert_eq!(v["trusted"]["networks"], 1);
    assert!(!v.to_string().contains("hunter2"));
}

#[test]
fn names_are_resolved_when_written_and_when_checked() {
    let dns = Dnsmasq::start();
    let s = Scratch::new();
    s.use_dns(&dns);
    // A name that does not resolve is refused, with the reason; --force writes it.
    let r = s.run(&["relay", "add", "nosuch.example.com"]);
    assert_eq!(r.status, 1, "{r:?}");
    assert!(
        r.stderr.contains("nosuch.example.com: does not resolve"),
        "{}",
        r.stderr
    );
    s.ok(&["--force", "relay", "add", "nosuch.example.com"]);
    // Import reports it by line, like a malformed entry.
    let file = s.dir.path().join("names.txt");
    std::fs::write(&file, "mail.example.com\nghost.example.net\n.example.org\n").unwrap();
    let f = file.to_str().unwrap();
    let r = s.run(&["relay", "import", f]);
    assert_eq!(r.status, 1, "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("{f}:2: ghost.example.net: does not resolve")),
        "{}",
        r.stderr
    );
    s.ok(&["relay", "import", "--skip-invalid", f]);
    // relay check trusts as relayd would: by the address a name resolves to...
    let v = json(&s.ok(&["--json", "relay", "check", "192.0.2.5"]));
    assert_eq!(v["trusted_by"], "mail.example.com", "{v}");
    // ... and by a forward-confirmed reverse name under a listed domain ...
    let v = json(&s.ok(&["--json", "relay", "check", "192.0.2.6"]));
    assert_eq!(v["trusted_by"], ".example.org", "{v}");
    // ... but not by a PTR that does not confirm.
    let r = s.run(&["relay", "check", "192.0.2.7"]);
    assert_eq!(r.status, 1, "{r:?}");
}
