//! The spool: the only hand-off between receiving and delivering. relayd writes a
//! message here, `fsync`ed, before it answers `250`; `relayctl queue list` reads it.
//!
//! Layout: `SPOOL/tmp/ID` while being written, `SPOOL/queue/ID` once whole (a rename, then
//! an `fsync` of `queue/`). Anything left in `tmp/` was never acknowledged and is removed
//! at start. A queue file is a short text envelope, a blank line, then the message
//! exactly as accepted (CRLF line ends, dot-unstuffed, with relayd's `Received:` first):
//!
//! ```text
//! relay-spool 1
//! id: 0000019A3F2C1B7E0001
//! received: 1764386400
//! client: 192.0.2.7
//! helo: mail.example.net
//! user: alice              (only after SMTP AUTH)
//! from: <sender@example.net>
//! to: <rcpt@example.com>   (one line per recipient)
//! size: 00000000000000001234   (fixed width: written before the message arrives,
//!                               filled in after)
//!
//! Received: from ...
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::IpAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const MAGIC: &str = "relay-spool 1";

/// Who sent a message, to whom, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub id: String,
    /// Seconds since the epoch.
    pub received: u64,
    pub client: IpAddr,
    pub helo: String,
    pub user: Option<String>,
    /// The reverse path as given, with its angle brackets (`<>` for bounces).
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// Bytes of the message as stored.
    pub size: u64,
}

/// A new queue id: time-ordered and unique within this host.
pub fn new_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:011X}{:05X}{:04X}{:04X}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id() & 0xffff,
        n & 0xffff
    )
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Keeps envelope values on one line whatever a client sent.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// A message being written to `tmp/` (see `Spool::begin`).
#[derive(Debug)]
pub struct Pending {
    /// Append the message here.
    pub file: File,
    tmp: PathBuf,
    size_at: u64,
}

impl Pending {
    /// Records the message's size and makes the file durable.
    pub fn finish(mut self, size: u64) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let done = self
            .file
            .flush()
            .and_then(|()| {
                self.file
                    .write_all_at(format!("{size:020}").as_bytes(), self.size_at)
            })
            .and_then(|()| self.file.sync_all());
        if done.is_err() {
            // A full disk: the client gets a 4xx and retries; leave no half file behind.
            let _ = fs::remove_file(&self.tmp);
        }
        done
    }

    /// Drops a message that will not be queued (refused, or the client went away).
    pub fn abandon(self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    pub fn new(dir: impl Into<PathBuf>) -> Spool {
        Spool { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn queue_dir(&self) -> PathBuf {
        self.dir.join("queue")
    }

    fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// Creates the folders (0750) if missing; safe while messages are being written.
    pub fn ensure_dirs(&self) -> std::io::Result<()> {
        for d in [self.tmp_dir(), self.queue_dir()] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o750)
                .create(&d)?;
        }
        Ok(())
    }

    /// At start: the folders, and removal of what a crash left half-written.
    pub fn prepare(&self) -> std::io::Result<usize> {
        self.ensure_dirs()?;
        let mut removed = 0;
        for entry in fs::read_dir(self.tmp_dir())? {
            fs::remove_file(entry?.path())?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Writes one message durably: when this returns `Ok`, a crash cannot lose it.
    pub fn write(&self, env: &Envelope, message: &[u8]) -> std::io::Result<PathBuf> {
        let mut pending = self.begin(env)?;
        let written = pending.file.write_all(message);
        match written {
            Ok(()) => pending.finish(message.len() as u64)?,
            Err(e) => {
                pending.abandon();
                return Err(e);
            }
        }
        self.publish(std::slice::from_ref(&env.id))?;
        Ok(self.queue_dir().join(&env.id))
    }

    /// Starts a message in `tmp/`: the envelope is written, the message follows through
    /// `Pending::file` as it arrives (never held whole in memory), and `Pending::finish`
    /// fills in the size and `fsync`s. Not yet queued: a crash before `publish` leaves it
    /// in `tmp/`, which the next start removes.
    pub fn begin(&self, env: &Envelope) -> std::io::Result<Pending> {
        let mut head = format!(
            "{MAGIC}\nid: {}\nreceived: {}\nclient: {}\nhelo: {}\n",
            one_line(&env.id),
            env.received,
            env.client,
            one_line(&env.helo)
        );
        if let Some(u) = &env.user {
            head.push_str(&format!("user: {}\n", one_line(u)));
        }
        head.push_str(&format!("from: {}\n", one_line(&env.mail_from)));
        for r in &env.rcpt_to {
            head.push_str(&format!("to: {}\n", one_line(r)));
        }
        head.push_str("size: ");
        // The size is not known yet: fixed-width digits, overwritten by `finish`.
        let size_at = head.len() as u64;
        head.push_str(&format!("{:020}\n\n", 0));
        let tmp = self.tmp_dir().join(&env.id);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o640)
            .open(&tmp)?;
        if let Err(e) = file.write_all(head.as_bytes()) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(Pending { file, tmp, size_at })
    }

    /// The second half, for any number of messages at once: rename each into `queue/`,
    /// then one `fsync` of `queue/` makes all the renames durable. Sessions that finish
    /// together share this commit (group commit), so a disk that does a few hundred
    /// `fsync`s a second still queues thousands of messages.
    pub fn publish(&self, ids: &[String]) -> std::io::Result<()> {
        for id in ids {
            fs::rename(self.tmp_dir().join(id), self.queue_dir().join(id))?;
        }
        File::open(self.queue_dir())?.sync_all()
    }

    /// The envelopes of every queued message, oldest first.
    pub fn list(&self) -> std::io::Result<Vec<Envelope>> {
        let mut out = Vec::new();
        let entries = match fs::read_dir(self.queue_dir()) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let path = entry?.path();
            let mut reader = BufReader::new(File::open(&path)?);
            out.push(read_envelope(&mut reader, &path)?);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// One queued message: its envelope and its bytes.
    pub fn read(&self, id: &str) -> std::io::Result<(Envelope, Vec<u8>)> {
        let path = self.queue_dir().join(id);
        let mut reader = BufReader::new(File::open(&path)?);
        let env = read_envelope(&mut reader, &path)?;
        let mut body = Vec::new();
        reader.read_to_end(&mut body)?;
        Ok((env, body))
    }
}

fn read_envelope(reader: &mut impl BufRead, path: &Path) -> std::io::Result<Envelope> {
    let bad = |why: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {why}", path.display()),
        )
    };
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if line.trim_end() != MAGIC {
        return Err(bad("not a relay spool file"));
    }
    let mut env = Envelope {
        id: String::new(),
        received: 0,
        client: IpAddr::from([0, 0, 0, 0]),
        helo: String::new(),
        user: None,
        mail_from: String::new(),
        rcpt_to: Vec::new(),
        size: 0,
    };
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("the envelope does not end"));
        }
        let l = line.trim_end_matches('\n');
        if l.is_empty() {
            break;
        }
        let (k, v) = l
            .split_once(": ")
            .ok_or_else(|| bad("an envelope line has no `: `"))?;
        match k {
            "id" => env.id = v.into(),
            "received" => env.received = v.parse().map_err(|_| bad("bad received"))?,
            "client" => env.client = v.parse().map_err(|_| bad("bad client"))?,
            "helo" => env.helo = v.into(),
            "user" => env.user = Some(v.into()),
            "from" => env.mail_from = v.into(),
            "to" => env.rcpt_to.push(v.into()),
            "size" => env.size = v.parse().map_err(|_| bad("bad size"))?,
            _ => {}
        }
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_list_read() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path());
        fs::create_dir_all(dir.path().join("tmp")).unwrap();
        fs::write(dir.path().join("tmp/stale"), "half").unwrap();
        assert_eq!(spool.prepare().unwrap(), 1);
        let env = Envelope {
            id: new_id(),
            received: 1,
            client: "192.0.2.7".parse().unwrap(),
            helo: "evil\r\nhelo".into(),
            user: Some("alice".into()),
            mail_from: "<a@example.net>".into(),
            rcpt_to: vec!["<b@example.com>".into(), "<c@example.com>".into()],
            size: 0,
        };
        let body = b"Subject: x\r\n\r\nhello\r\n";
        spool.write(&env, body).unwrap();
        let listed = spool.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].helo, "evil??helo");
        assert_eq!(listed[0].rcpt_to.len(), 2);
        assert_eq!(listed[0].size, body.len() as u64);
        let (e, b) = spool.read(&env.id).unwrap();
        assert_eq!(b, body);
        assert_eq!(e.user.as_deref(), Some("alice"));
        assert_ne!(new_id(), new_id());
    }
}
