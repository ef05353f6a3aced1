//! Local delivery into `mail_root/USER/Maildir` as the Maildir convention asks: the
//! file is written in `tmp/` under a name no other delivery can take, `fsync`ed, then
//! renamed into `new/`, and `new/` is `fsync`ed; only then is it delivered. A reader
//! never sees half a message.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::Outcome;

/// The folder of a user's mailbox; `None` for a local part no path may be made of.
pub fn mailbox(mail_root: &Path, local_part: &str) -> Option<PathBuf> {
    let user = local_part.to_ascii_lowercase();
    let safe = !user.is_empty()
        && !user.starts_with('.')
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'));
    safe.then(|| mail_root.join(user).join("Maildir"))
}

/// A name unique to this delivery: time, a per-process counter, the pid, the host.
fn unique_name(hostname: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let host: String = hostname
        .chars()
        .map(|c| if c == '/' || c == ':' { '_' } else { c })
        .collect();
    format!(
        "{}.M{}P{}Q{}.{host}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Delivers `message` (as queued: CRLF line ends) to one local recipient, with
/// `Return-Path:` and `Delivered-To:` first. Blocking: run it off the async threads.
pub fn deliver(
    mail_root: &Path,
    hostname: &str,
    local_part: &str,
    rcpt: &str,
    sender: &str,
    message: &[u8],
) -> Outcome {
    let Some(dir) = mailbox(mail_root, local_part) else {
        return Outcome::Failed(format!(
            "550 5.1.3 no mailbox can be made for local part {local_part:?}"
        ));
    };
    match write(&dir, hostname, rcpt, sender, message) {
        Ok(path) => Outcome::Delivered(format!("delivered to maildir ({})", path.display())),
        // A full disk or a permission problem: the next attempt may succeed.
        Err(e) => Outcome::Deferred(format!("451 4.3.0 maildir {}: {e}", dir.display())),
    }
}

fn write(
    dir: &Path,
    hostname: &str,
    rcpt: &str,
    sender: &str,
    message: &[u8],
) -> std::io::Result<PathBuf> {
    for sub in ["tmp", "new", "cur"] {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir.join(sub))?;
    }
    let name = unique_name(hostname);
    let tmp = dir.join("tmp").join(&name);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        let rcpt = rcpt.trim_start_matches('<').trim_end_matches('>');
        f.write_all(format!("Return-Path: {sender}\r\nDelivered-To: {rcpt}\r\n").as_bytes())?;
        f.write_all(message)?;
        f.sync_all()?;
        let new = dir.join("new").join(&name);
        fs::rename(&tmp, &new)?;
        File::open(dir.join("new"))?.sync_all()?;
        Ok(new)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_lands_whole_in_new() {
        let root = tempfile::tempdir().unwrap();
        let out = deliver(
            root.path(),
            "mx.example",
            "Alice",
            "<alice@example.com>",
            "<s@x>",
            b"Subject: x\r\n\r\nhi\r\n",
        );
        assert_eq!(out.word(), "delivered", "{out:?}");
        let new: Vec<_> = fs::read_dir(root.path().join("alice/Maildir/new"))
            .unwrap()
            .collect();
        assert_eq!(new.len(), 1);
        let text = fs::read_to_string(new[0].as_ref().unwrap().path()).unwrap();
        assert_eq!(
            text,
            "Return-Path: <s@x>\r\nDelivered-To: alice@example.com\r\nSubject: x\r\n\r\nhi\r\n"
        );
        assert!(fs::read_dir(root.path().join("alice/Maildir/tmp"))
            .unwrap()
            .next()
            .is_none());
        assert_eq!(
            deliver(root.path(), "h", "../etc", "<x>", "<>", b"").word(),
            "failed"
        );
    }
}
