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

/// Debian's dnsmasq on a loopback port with a small test zone, killed on drop: the only
/// DNS server any test may ask (`/config/relayd dns_servers` points at it).
///
/// Zone: `mail.example.com` is 192.0.2.5; `trusted.example.org` is 192.0.2.6 both ways
/// (A and PTR); 192.0.2.7's PTR claims `liar.example.org`, which is 192.0.2.99; every
/// other name under example.com, example.org and example.net does not exist.
pub struct Dnsmasq {
    child: std::process::Child,
    pub addr: std::net::SocketAddr,
}

impl Dnsmasq {
    pub fn start() -> Dnsmasq {
        use std::net::{Ipv4Addr, UdpSocket};
        let port = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|s| s.local_addr())
            .expect("a free port")
            .port();
        let program = ["/usr/sbin/dnsmasq", "/sbin/dnsmasq"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("dnsmasq");
        let child = Command::new(program)
            .args([
                "--keep-in-foreground",
                &format!("--port={port}"),
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--conf-file=/dev/null",
                "--pid-file=",
                "--log-facility=-",
                "--local=/example.com/",
                "--local=/example.org/",
                "--local=/example.net/",
                "--local=/2.0.192.in-addr.arpa/",
                "--address=/mail.example.com/192.0.2.5",
                "--host-record=trusted.example.org,192.0.2.6",
                "--ptr-record=7.2.0.192.in-addr.arpa,liar.example.org",
                "--host-record=liar.example.org,192.0.2.99",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run dnsmasq ({e}): install Debian's dnsmasq"));
        let server = Dnsmasq {
            child,
            addr: std::net::SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        };
        server.wait_ready();
        server
    }

    /// Waits until a query for mail.example.com gets an answer.
    fn wait_ready(&self) {
        use std::net::{Ipv4Addr, UdpSocket};
        let probe = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("probe");
        probe
            .set_read_timeout(Some(std::time::Duration::from_millis(50)))
            .expect("timeout");
        let mut query = vec![0x5e, 0xed, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in ["mail", "example", "com"] {
            query.push(label.len() as u8);
            query.extend_from_slice(label.as_bytes());
        }
        query.extend_from_slice(&[0, 0, 1, 0, 1]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut reply = [0u8; 512];
        while std::time::Instant::now() < deadline {
            if probe.send_to(&query, self.addr).is_ok()
                && probe
                    .recv(&mut reply)
                    .is_ok_and(|n| n >= 2 && reply[..2] == [0x5e, 0xed])
            {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("dnsmasq did not answer within 10 s");
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Scratch {
    /// Points this store's `dns_servers` at `dns`.
    pub fn use_dns(&self, dns: &Dnsmasq) {
        self.ok(&["-create", ".", "/config/relayd"]);
        self.ok(&[
            "-createprop",
            ".",
            "/config/relayd",
            "dns_servers",
            &dns.addr.to_string(),
        ]);
    }
}
