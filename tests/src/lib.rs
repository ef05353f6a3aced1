//! Helpers for the end-to-end tests: run the real `relayctl` binary against a scratch
//! store and capture what it prints and how it exits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The built `relayctl` (`$RELAYCTL`, or beside the test binary's target folder). The
/// README's test command builds it first.
pub fn relayctl_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("RELAYCTL") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> -> target/<profile>/relayctl
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("relayctl"))
        .expect("target folder");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace` first (tests/run does)",
        bin.display()
    );
    bin
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Ran {
    pub stdout: String,
    pub stderr: String,
    pub status: i32,
}

impl From<Output> for Ran {
    fn from(o: Output) -> Ran {
        Ran {
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            status: o.status.code().unwrap_or(-1),
        }
    }
}

/// A scratch store and a way to run relayctl on it.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The store folder (not created until the first write).
    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn domain_file(&self) -> PathBuf {
        self.store().join("domain.plist")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(relayctl_bin());
        c.args(args)
            .env("RELAY_STORE", self.store())
            .env_remove("RELAY_PARENT_STORE")
            .stdin(Stdio::null());
        c
    }

    /// Runs `relayctl ARGS` with no input.
    pub fn run(&self, args: &[&str]) -> Ran {
        self.command(args).output().expect("run relayctl").into()
    }

    /// Runs `relayctl ARGS` with `input` on standard input.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Ran {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn relayctl");
        let mut stdin = child.stdin.take().expect("stdin");
        // A command may exit before reading everything; that is its answer, not ours.
        let _ = stdin.write_all(input.as_bytes());
        drop(stdin);
        child.wait_with_output().expect("wait relayctl").into()
    }

    /// Runs and insists on success, returning standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.status, 0, "relayctl {args:?} failed: {r:?}");
        r.stdout
    }
}
