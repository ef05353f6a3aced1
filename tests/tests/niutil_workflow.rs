//! The original Apple workflow, in niutil's own syntax, replayed against relayctl:
//! stdout and exit status must match niutil's byte for byte.

use relay_e2e::Scratch;

/// (arguments, expected stdout, expected exit status)
const WORKFLOW: &[(&[&str], &str, i32)] = &[
    (&["-create", ".", "/config/AppleMailServer"], "", 0),
    // -create is a no-op on an existing directory.
    (&["-create", ".", "/config/AppleMailServer"], "", 0),
    (&["-createprop", ".", "/config/AppleMailServer", "open_relay_addr_flag", "1"], "", 0),
    (&["-appendprop", ".", "/config/AppleMailServer", "open_relay_addr_list", "127.0.0.1"], "", 0),
    (&["-appendprop", ".", "/config/AppleMailServer", "open_relay_addr_list", "192.168.123.55", "192.168.40-43.*"], "", 0),
    (&["-appendprop", ".", "/config/AppleMailServer", "open_relay_addr_list", "192.168.40.0/255.255.248.0", "mail.example.com"], "", 0),
    (&["-read", ".", "/config/AppleMailServer"],
     "name: AppleMailServer\nopen_relay_addr_flag: 1\nopen_relay_addr_list: 127.0.0.1 192.168.123.55 192.168.40-43.* 192.168.40.0/255.255.248.0 mail.example.com\n", 0),
    (&["-list", ".", "/"], "1\t config\n", 0),
    (&["-list", ".", "/config"], "2\t AppleMailServer\n", 0),
    (&["-list", ".", "/config", "open_relay_addr_flag"], "2\t 1\n", 0),
    (&["-readprop", ".", "/config/AppleMailServer", "open_relay_addr_flag"], "1\n", 0),
    (&["-readval", ".", "/config/AppleMailServer", "open_relay_addr_list", "1"], "192.168.123.55\n", 0),
    (&["-destroyval", ".", "/config/AppleMailServer", "open_relay_addr_list", "192.168.123.55"], "", 0),
    (&["-read", ".", "/name=config/name=AppleMailServer"],
     "name: AppleMailServer\nopen_relay_addr_flag: 1\nopen_relay_addr_list: 127.0.0.1 192.168.40-43.* 192.168.40.0/255.255.248.0 mail.example.com\n", 0),
    (&["-mergeprop", ".", "/config/AppleMailServer", "open_relay_addr_list", "127.0.0.1", "10.0.0.0/8"], "", 0),
    (&["-insertval", ".", "/config/AppleMailServer", "open_relay_addr_list", "::1", "1"], "", 0),
    (&["-readprop", ".", "/config/AppleMailServer", "open_relay_addr_list"],
     "127.0.0.1 ::1 192.168.40-43.* 192.168.40.0/255.255.248.0 mail.example.com 10.0.0.0/8\n", 0),
    (&["-createprop", ".", "/config/AppleMailServer", "empty"], "", 0),
    (&["-renameprop", ".", "/config/AppleMailServer", "empty", "nothing"], "", 0),
    (&["-read", ".", "2"],
     "name: AppleMailServer\nopen_relay_addr_flag: 1\nopen_relay_addr_list: 127.0.0.1 ::1 192.168.40-43.* 192.168.40.0/255.255.248.0 mail.example.com 10.0.0.0/8\nnothing:\n", 0),
    (&["-destroyprop", ".", "/config/AppleMailServer", "nothing"], "", 0),
    (&["-domainname", "."], "/\n", 0),
    // Errors: niutil's statuses.
    (&["-read", ".", "/config/NoSuchThing"], "", 105),
    (&["-readprop", ".", "/config/AppleMailServer", "no_such_key"], "", 106),
    (&["-destroyval", ".", "/config/AppleMailServer", "no_such_key", "x"], "", 106),
    (&["-insertval", ".", "/config/AppleMailServer", "open_relay_addr_list", "x", "first"], "", 3),
    (&["-readval", ".", "/config/AppleMailServer", "open_relay_addr_list", "99"], "", 3),
    (&["-createprop", ".", "/config/AppleMailServer"], "", 1),
    (&["-frobnicate", ".", "/"], "", 1),
    // A locked directory refuses writes (104) until _locked is removed.
    (&["-createprop", ".", "/config", "_locked"], "", 0),
    (&["-createprop", ".", "/config", "x", "1"], "", 104),
    (&["-create", ".", "/config/child"], "", 104),
    (&["-destroyprop", ".", "/config", "_locked"], "", 0),
    (&["-create", ".", "/config/child"], "", 0),
    (&["-destroy", ".", "/config/child"], "", 0),
    (&["-list", ".", "/config"], "2\t AppleMailServer\n", 0),
    // Verbs without the dash are the same verbs.
    (&["readprop", ".", "/config/AppleMailServer", "open_relay_addr_flag"], "1\n", 0),
];

#[test]
fn apple_workflow_byte_for_byte() {
    let s = Scratch::new();
    for (args, stdout, status) in WORKFLOW {
        let r = s.run(args);
        assert_eq!(
            r.stdout, *stdout,
            "stdout of {args:?} (stderr: {})",
            r.stderr
        );
        assert_eq!(
            r.status, *status,
            "status of {args:?} (stderr: {})",
            r.stderr
        );
        if *status != 0 {
            assert!(!r.stderr.is_empty(), "{args:?} failed silently");
        }
    }
}

#[test]
fn values_may_start_with_a_dash() {
    let s = Scratch::new();
    s.ok(&["-create", ".", "/x"]);
    s.ok(&["-createprop", ".", "/x", "k", "-1", "--two"]);
    assert_eq!(s.ok(&["-readprop", ".", "/x", "k"]), "-1 --two\n");
}

#[test]
fn keyed_paths_and_escapes() {
    let s = Scratch::new();
    s.ok(&["-create", ".", "/users/alice"]);
    s.ok(&["-createprop", ".", "/users/alice", "uid", "501"]);
    assert_eq!(
        s.ok(&["-read", ".", "/users/uid=501"]),
        "name: alice\nuid: 501\n"
    );
    s.ok(&["-create", ".", r"/mounts/server:\/export"]);
    assert_eq!(s.ok(&["-list", ".", "/mounts"]), "4\t server:/export\n");
    assert_eq!(s.ok(&["-list", ".", "/users", "uid"]), "2\t 501\n");
}

#[test]
fn json_reads() {
    let s = Scratch::new();
    s.ok(&["-create", ".", "/config/AppleMailServer"]);
    s.ok(&[
        "-createprop",
        ".",
        "/config/AppleMailServer",
        "open_relay_addr_flag",
        "1",
    ]);
    let out = s.ok(&["--json", "-read", ".", "/config/AppleMailServer"]);
    assert!(out.contains("\"key\": \"open_relay_addr_flag\""), "{out}");
    let out = s.ok(&["--json", "-list", ".", "/config"]);
    assert!(out.contains("\"id\": 2"), "{out}");
}
