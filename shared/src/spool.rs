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

/// A new queue id: time-ordered, and unique across processes and restarts: the time to
/// the microsecond, a random number drawn once per process (containers all run relayd
/// as pid 1, and a clock may step back), and a per-process counter. 28 hex digits.
pub fn new_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    static NONCE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let nonce = *NONCE.get_or_init(process_nonce);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:011X}{:05X}{nonce:08X}{:04X}",
        now.as_secs() & 0xfff_ffff_ffff,
        now.subsec_micros(),
        n & 0xffff
    )
}

/// 32 random bits from the kernel; the pid and the time if it has none to give.
fn process_nonce() -> u32 {
    let mut bytes = [0u8; 4];
    let random = File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    match random {
        Ok(()) => u32::from_le_bytes(bytes),
        Err(_) => {
            let t = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            std::process::id().rotate_left(16) ^ t.subsec_nanos()
        }
    }
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

/// A lock that one process holds for as long as this lives (see `lock_exclusive`).
#[derive(Debug)]
pub struct SpoolLock {
    _file: File,
}

/// Takes an exclusive `flock` on the file `path` (made 0640 if missing) and writes this
/// process's pid into it; another process holding it is an error that names `what` and
/// the holder's pid. The kernel drops the lock when the process dies, however it dies.
pub fn lock_exclusive(path: &Path, what: &Path) -> std::io::Result<SpoolLock> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o640)
        .open(path)?;
    if let Err(e) = flock_exclusive(&file) {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = holder.trim();
        let who = if holder.is_empty() {
            String::new()
        } else {
            format!(" (pid {holder})")
        };
        return Err(std::io::Error::new(
            e.kind(),
            format!("{} is in use by another relayd{who}: {e}", what.display()),
        ));
    }
    file.set_len(0)?;
    std::io::Seek::rewind(&mut file)?;
    file.write_all(format!("{}\n", std::process::id()).as_bytes())?;
    Ok(SpoolLock { _file: file })
}

fn flock_exclusive(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor we own; no memory is passed.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `rename` that fails with `AlreadyExists` rather than replace `to`: renameat2's
/// RENAME_NOREPLACE, or link and unlink where the file system lacks it.
fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a path"))
    };
    let (f, t) = (c(from)?, c(to)?);
    #[cfg(target_os = "linux")]
    {
        // SAFETY: both are NUL-terminated paths that live across the call.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                f.as_ptr(),
                libc::AT_FDCWD,
                t.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if !matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) {
            return Err(e);
        }
    }
    // link(2) never replaces its target either.
    fs::hard_link(from, to)?;
    fs::remove_file(from)
}

/// Creates (or empties) a file only its owner and group may read.
fn create_private(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o640)
        .open(path)
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

    /// Bytes free for unprivileged writers on the spool's file system (`statvfs`'s
    /// `f_bavail`): the space root's reserve does not count as room for mail.
    pub fn free_space(&self) -> std::io::Result<u64> {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(self.dir.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in a path"))?;
        // SAFETY: statvfs fills the struct we pass; the path is NUL-terminated and lives
        // across the call.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
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

    /// At start: the folders, and removal of what a crash left half-written. Only the
    /// holder of the spool's lock may do this: anything in `tmp/` could be a running
    /// daemon's message in flight.
    pub fn prepare(&self, _held: &SpoolLock) -> std::io::Result<usize> {
        self.ensure_dirs()?;
        let mut removed = 0;
        for entry in fs::read_dir(self.tmp_dir())? {
            fs::remove_file(entry?.path())?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Writes one message durably: when this returns `Ok`, a crash cannot lose it.
    pub fn write(&self, env: &mut Envelope, message: &[u8]) -> std::io::Result<PathBuf> {
        let mut pending = self.begin(env)?;
        let written = pending.file.write_all(message);
        match written {
            Ok(()) => pending.finish(message.len() as u64)?,
            Err(e) => {
                pending.abandon();
                return Err(e);
            }
        }
        match self.publish(std::slice::from_ref(&env.id)).pop() {
            Some(Err(e)) => Err(e),
            _ => Ok(self.queue_dir().join(&env.id)),
        }
    }

    /// Starts a message in `tmp/`: the envelope is written, the message follows through
    /// `Pending::file` as it arrives (never held whole in memory), and `Pending::finish`
    /// fills in the size and `fsync`s. Not yet queued: a crash before `publish` leaves it
    /// in `tmp/`, which the next start removes.
    ///
    /// Should `env.id` already be taken in `tmp/`, a new id is drawn into `env.id`.
    pub fn begin(&self, env: &mut Envelope) -> std::io::Result<Pending> {
        let mut tries = 0;
        let (tmp, file) = loop {
            let tmp = self.tmp_dir().join(&env.id);
            let opened = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o640)
                .open(&tmp);
            match opened {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 8 => {
                    tries += 1;
                    env.id = new_id();
                }
                Err(e) => return Err(e),
            }
        };
        let mut file = file;
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
    ///
    /// One answer per id, in order. A rename never replaces a queued file (a collision is
    /// that message's error alone), and one message's failure is never another's: only
    /// the messages renamed here share the folder `fsync`, and if that fails they are
    /// taken back out of `queue/`, so that a refused message is never delivered.
    pub fn publish(&self, ids: &[String]) -> Vec<std::io::Result<()>> {
        let (tmp, queue) = (self.tmp_dir(), self.queue_dir());
        let mut results: Vec<std::io::Result<()>> = ids
            .iter()
            .map(|id| rename_noreplace(&tmp.join(id), &queue.join(id)))
            .collect();
        if results.iter().all(Result::is_err) {
            return results;
        }
        if let Err(e) = File::open(&queue).and_then(|d| d.sync_all()) {
            for (id, r) in ids.iter().zip(results.iter_mut()) {
                if r.is_ok() {
                    let _ = fs::remove_file(queue.join(id));
                    *r = Err(std::io::Error::new(
                        e.kind(),
                        format!("fsync of {}: {e}", queue.display()),
                    ));
                }
            }
        }
        results
    }

    /// Moves queued message `id` (and its delivery record) from `from` into this spool,
    /// for a `spool_dir` that changed: copied, `fsync`ed and queued here first, removed
    /// there last, so a crash in between leaves it in both, and the next move finds it
    /// already here (the same id) and only removes the old copy. Never lost, never
    /// queued twice. Only the holder of both spools' locks may call it.
    pub fn adopt(&self, from: &Spool, id: &str) -> std::io::Result<()> {
        if id.is_empty() || id.contains(['/', '.']) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a queue id",
            ));
        }
        self.ensure_dirs()?;
        let record = crate::queue_state::record_path(from.dir(), id);
        match fs::read(&record) {
            Ok(bytes) => crate::queue_state::write_record(&self.dir, id, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let tmp = self.tmp_dir().join(id);
        let mut out = create_private(&tmp)?;
        let copied = std::io::copy(&mut File::open(from.queue_dir().join(id))?, &mut out)
            .and_then(|_| out.sync_all());
        if let Err(e) = copied {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        match self.publish(&[id.to_string()]).pop() {
            Some(Err(e)) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Moved before, and the old copy outlived a crash.
                let _ = fs::remove_file(&tmp);
            }
            Some(Err(e)) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
            _ => {}
        }
        crate::queue_state::remove_message(from.dir(), id)
    }

    /// Takes the spool for this process: an exclusive lock on `SPOOL/lock`, held until
    /// the returned value drops. A second relayd on the same spool is refused here,
    /// before it touches anything (`prepare` needs the lock).
    pub fn lock(&self) -> std::io::Result<SpoolLock> {
        self.ensure_dirs()?;
        lock_exclusive(&self.dir.join("lock"), &self.dir)
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
            // Delivered and removed since the folder was read: not queued any more.
            let file = match File::open(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                other => other?,
            };
            out.push(read_envelope(&mut BufReader::new(file), &path)?);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// One queued message's envelope, without reading its bytes.
    pub fn envelope(&self, id: &str) -> std::io::Result<Envelope> {
        let path = self.queue_dir().join(id);
        read_envelope(&mut BufReader::new(File::open(&path)?), &path)
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
        let lock = spool.lock().unwrap();
        assert_eq!(spool.prepare(&lock).unwrap(), 1);
        let mut env = Envelope {
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
        spool.write(&mut env, body).unwrap();
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

    fn envelope(id: &str) -> Envelope {
        Envelope {
            id: id.into(),
            received: 1,
            client: "192.0.2.7".parse().unwrap(),
            helo: "h".into(),
            user: None,
            mail_from: "<a@example.net>".into(),
            rcpt_to: vec!["<b@example.com>".into()],
            size: 0,
        }
    }

    fn ready(spool: &Spool, id: &str, body: &[u8]) {
        let mut env = envelope(id);
        let mut p = spool.begin(&mut env).unwrap();
        assert_eq!(env.id, id);
        p.file.write_all(body).unwrap();
        p.finish(body.len() as u64).unwrap();
    }

    #[test]
    fn a_queue_file_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path());
        spool.ensure_dirs().unwrap();
        ready(&spool, "SAME", b"first");
        assert!(spool.publish(&["SAME".to_string()])[0].is_ok());
        ready(&spool, "SAME", b"second");
        let r = spool.publish(&["SAME".to_string()]);
        let e = r[0].as_ref().expect_err("a collision must fail");
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{e}");
        assert_eq!(spool.read("SAME").unwrap().1, b"first");
        // begin draws a new id rather than reuse one still in tmp/.
        let mut env = envelope("SAME");
        let p = spool.begin(&mut env).unwrap();
        assert_ne!(env.id, "SAME");
        p.abandon();
    }

    #[test]
    fn one_failure_in_a_batch_is_that_message_alone() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path());
        spool.ensure_dirs().unwrap();
        ready(&spool, "A", b"a");
        ready(&spool, "C", b"c");
        let ids = ["A", "GONE", "C"].map(String::from);
        let r = spool.publish(&ids);
        assert!(r[0].is_ok() && r[1].is_err() && r[2].is_ok(), "{r:?}");
        let queued: Vec<String> = spool.list().unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(queued, ["A", "C"]);
    }

    #[test]
    fn a_message_moves_to_a_new_spool_with_its_record_and_only_once() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (old, new) = (Spool::new(a.path()), Spool::new(b.path()));
        old.ensure_dirs().unwrap();
        let mut env = envelope("MOVE");
        old.write(&mut env, b"body\r\n").unwrap();
        let mut state = crate::queue_state::MessageState::fresh(&env.rcpt_to);
        state.held = true;
        crate::queue_state::store(old.dir(), "MOVE", &state).unwrap();
        // A crash after the copy was queued here but before the old one was removed.
        new.adopt(&old, "MOVE").unwrap();
        old.write(&mut envelope("MOVE"), b"body\r\n").unwrap();
        new.adopt(&old, "MOVE").unwrap();
        assert!(old.list().unwrap().is_empty());
        assert_eq!(new.list().unwrap().len(), 1);
        assert_eq!(new.read("MOVE").unwrap().1, b"body\r\n");
        let moved = crate::queue_state::load(new.dir(), "MOVE", &env.rcpt_to).unwrap();
        assert!(moved.held, "the record came along");
        assert!(new.adopt(&old, "../x").is_err());
    }

    #[test]
    fn free_space_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Spool::new(dir.path()).free_space().unwrap() > 0);
        assert!(Spool::new(dir.path().join("missing")).free_space().is_err());
    }

    #[test]
    fn ids_are_unique_and_ordered() {
        let ids: Vec<String> = (0..10_000).map(|_| new_id()).collect();
        let set: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(set.len(), ids.len());
        assert!(ids
            .iter()
            .all(|i| i.len() == 28 && i.chars().all(|c| c.is_ascii_hexdigit())));
    }

    #[test]
    fn a_second_holder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path());
        let held = spool.lock().unwrap();
        // flock is per open file description: a second open in this process conflicts
        // just as another process would.
        let e = spool.lock().expect_err("the spool is held");
        assert!(e.to_string().contains("in use by another relayd"), "{e}");
        assert!(
            e.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{e}"
        );
        drop(held);
        assert!(spool.lock().is_ok());
    }
}
