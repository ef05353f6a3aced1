//! The store's promises, tested with real processes: concurrent writers lose nothing, a
//! killed writer leaves the old tree or the new one, and a corrupt file is reported with
//! its position and never overwritten.

use std::process::Stdio;
use std::time::{Duration, Instant};

use relay_e2e::Scratch;
use shared::store::Store;

#[test]
fn two_writers_appending_a_thousand_values_each_keep_all_two_thousand() {
    let s = Scratch::new();
    s.ok(&["-create", ".", "/config/AppleMailServer"]);
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|tag| {
            let store = s.store();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    let status = std::process::Command::new(relay_e2e::relayctl_bin())
                        .args([
                            "-appendprop",
                            ".",
                            "/config/AppleMailServer",
                            "open_relay_addr_list",
                        ])
                        .arg(format!("{tag}{i}"))
                        .env("RELAY_STORE", &store)
                        .status()
                        .expect("run relayctl");
                    assert!(status.success(), "append {tag}{i} failed");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer thread");
    }
    let domain = Store::new(s.store()).load().expect("store loads");
    let values = domain
        .lookup("/config/AppleMailServer")
        .unwrap()
        .values("open_relay_addr_list")
        .unwrap()
        .to_vec();
    assert_eq!(values.len(), 2000);
    for tag in ["a", "b"] {
        // Each writer's values arrive whole and in its own order.
        let mine: Vec<_> = values
            .iter()
            .filter(|v| v.starts_with(tag))
            .cloned()
            .collect();
        let want: Vec<_> = (0..1000).map(|i| format!("{tag}{i}")).collect();
        assert_eq!(mine, want);
    }
    assert_eq!(domain.serial(), 2001);
}

/// Tiny deterministic generator; the seed is printed so a failure can be replayed.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn relay_list(s: &Scratch) -> Vec<String> {
    let domain = Store::new(s.store())
        .load()
        .unwrap_or_else(|e| panic!("the store must always load: {e}"));
    domain
        .lookup("/config/AppleMailServer")
        .expect("AppleMailServer")
        .values("open_relay_addr_list")
        .expect("list")
        .to_vec()
}

#[test]
fn import_killed_at_twenty_random_moments_leaves_old_or_new() {
    let s = Scratch::new();
    let file = s.dir.path().join("big.txt");
    let new: Vec<String> = (0..100_000u32)
        .map(|i| format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255))
        .collect();
    std::fs::write(&file, new.join("\n") + "\n").unwrap();
    let old = vec!["127.0.0.1".to_string(), "192.0.2.1".to_string()];
    let reset = || {
        let mut args = vec![
            "-createprop",
            ".",
            "/config/AppleMailServer",
            "open_relay_addr_list",
        ];
        args.extend(old.iter().map(String::as_str));
        s.ok(&args);
    };
    s.ok(&["-create", ".", "/config/AppleMailServer"]);
    s.ok(&[
        "-createprop",
        ".",
        "/config/AppleMailServer",
        "open_relay_addr_flag",
        "1",
    ]);
    s.ok(&[
        "-createprop",
        ".",
        "/config/AppleMailServer",
        "smtp_auth_flag",
        "0",
    ]);
    reset();

    let import = || {
        s.command(&["relay", "import", "--replace", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn import")
    };
    // How long a whole import takes here, to spread the kills across it.
    let started = Instant::now();
    assert!(import().wait().unwrap().success());
    let full = started.elapsed();
    assert_eq!(relay_list(&s), new);
    reset();

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill-test seed {seed}, full import {full:?}");
    let mut rng = XorShift(seed);
    let (mut saw_old, mut saw_new) = (0, 0);
    for round in 0..20 {
        let before = std::fs::read(s.domain_file()).unwrap();
        let mut child = import();
        let delay = Duration::from_micros(rng.next() % (full.as_micros() as u64 + 1));
        std::thread::sleep(delay);
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        let list = relay_list(&s);
        if list == old {
            saw_old += 1;
            assert_eq!(
                std::fs::read(s.domain_file()).unwrap(),
                before,
                "round {round}"
            );
        } else {
            assert_eq!(
                list, new,
                "round {round}: neither the old list nor the new one"
            );
            saw_new += 1;
            reset();
        }
        // A killed writer never leaves the store locked for the next one.
        s.ok(&[
            "-readprop",
            ".",
            "/config/AppleMailServer",
            "open_relay_addr_flag",
        ]);
    }
    eprintln!("old {saw_old}, new {saw_new}");
}

/// Every command, readers and writers, with arguments that would otherwise succeed.
const EVERY_COMMAND: &[&[&str]] = &[
    &["-read", ".", "/config/AppleMailServer"],
    &["-list", ".", "/"],
    &[
        "-readprop",
        ".",
        "/config/AppleMailServer",
        "open_relay_addr_flag",
    ],
    &[
        "-readval",
        ".",
        "/config/AppleMailServer",
        "open_relay_addr_flag",
        "0",
    ],
    &["-create", ".", "/config/new"],
    &["-destroy", ".", "/config/AppleMailServer"],
    &["-createprop", ".", "/config/AppleMailServer", "k", "v"],
    &["-appendprop", ".", "/config/AppleMailServer", "k", "v"],
    &["-mergeprop", ".", "/config/AppleMailServer", "k", "v"],
    &["-insertval", ".", "/config/AppleMailServer", "k", "v", "0"],
    &[
        "-destroyprop",
        ".",
        "/config/AppleMailServer",
        "open_relay_addr_flag",
    ],
    &[
        "-destroyval",
        ".",
        "/config/AppleMailServer",
        "open_relay_addr_list",
        "127.0.0.1",
    ],
    &[
        "-renameprop",
        ".",
        "/config/AppleMailServer",
        "open_relay_addr_flag",
        "x",
    ],
    &["nidump", "-r", "/", "."],
    &["relay", "enable"],
    &["relay", "disable", "--force"],
    &["relay", "add", "10.0.0.0/8"],
    &["relay", "remove", "127.0.0.1"],
    &["relay", "list"],
    &["relay", "export"],
    &["relay", "check", "127.0.0.1"],
    &["auth", "enable"],
    &["auth", "disable"],
    &["user", "list"],
    &["user", "remove", "alice"],
    &["show"],
    &["--json", "show"],
];

fn assert_every_command_refuses(s: &Scratch, want_position: bool) {
    let before = std::fs::read(s.domain_file()).unwrap();
    let file = s.domain_file().display().to_string();
    let mut runs: Vec<(Vec<&str>, relay_e2e::Ran)> = EVERY_COMMAND
        .iter()
        .map(|args| (args.to_vec(), s.run(args)))
        .collect();
    runs.push((
        vec!["niload"],
        s.run_with_input(&["niload", "-r", "/x", "."], "{ \"name\" = ( \"x\" ); }"),
    ));
    runs.push((
        vec!["import"],
        s.run_with_input(&["relay", "import", "-"], "10.0.0.1\n"),
    ));
    runs.push((
        vec!["user add"],
        s.run_with_input(&["user", "add", "bob"], "pw\n"),
    ));
    for (args, r) in runs {
        assert_ne!(r.status, 0, "{args:?} succeeded on a corrupt store: {r:?}");
        assert!(
            r.stderr.contains(&file),
            "{args:?} does not name the file: {}",
            r.stderr
        );
        if want_position {
            let after_name = &r.stderr[r.stderr.find(&file).unwrap() + file.len()..];
            let mut parts = after_name.trim_start_matches(':').split(':');
            let line = parts.next().unwrap_or("");
            let col = parts.next().unwrap_or("");
            assert!(
                line.parse::<usize>().is_ok() && col.parse::<usize>().is_ok(),
                "{args:?} gives no line:column: {}",
                r.stderr
            );
        }
        assert_eq!(
            std::fs::read(s.domain_file()).unwrap(),
            before,
            "{args:?} changed the file"
        );
    }
}

fn populated() -> Scratch {
    let s = Scratch::new();
    s.ok(&["relay", "add", "127.0.0.1", "10.0.0.0/8"]);
    s
}

#[test]
fn garbage_store_file_is_reported_and_never_overwritten() {
    let s = populated();
    std::fs::write(s.domain_file(), b"\x00\x01garbage that is no plist\n<<<>>>").unwrap();
    assert_every_command_refuses(&s, true);
}

#[test]
fn truncated_store_file_is_reported_and_never_overwritten() {
    let s = populated();
    let bytes = std::fs::read(s.domain_file()).unwrap();
    std::fs::write(s.domain_file(), &bytes[..bytes.len() * 2 / 3]).unwrap();
    assert_every_command_refuses(&s, true);
}

#[test]
fn wrong_shape_store_file_is_reported_and_never_overwritten() {
    let s = populated();
    let text = std::fs::read_to_string(s.domain_file()).unwrap();
    std::fs::write(
        s.domain_file(),
        text.replace("<key>values</key>", "<key>valuez</key>"),
    )
    .unwrap();
    assert_every_command_refuses(&s, false);
}

#[test]
fn store_files_have_restrictive_modes() {
    use std::os::unix::fs::PermissionsExt;
    let s = populated();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&s.domain_file()), 0o640);
    assert_eq!(mode(&s.store()), 0o750);
    assert_eq!(mode(&s.store().join(".lock")), 0o640);
}
