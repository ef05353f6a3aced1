//! What became of each recipient of a queued message: the small record beside the
//! queue file (which is written once and never edited), `SPOOL/state/ID`, replaced
//! whole by temp-fsync-rename before the outcome it records is acted on. No record
//! means every recipient is still pending. relayd's queue runner writes it; `relayctl
//! queue list` reads it.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One recipient's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RcptState {
    /// Not tried yet, or due again.
    Pending,
    /// A temporary failure; tried again at `next_attempt`.
    Deferred,
    /// The next hop took it (250), or the mailbox has it.
    Delivered,
    /// A permanent failure or expiry: reported to the sender.
    Bounced,
}

impl RcptState {
    pub fn as_str(self) -> &'static str {
        match self {
            RcptState::Pending => "pending",
            RcptState::Deferred => "deferred",
            RcptState::Delivered => "delivered",
            RcptState::Bounced => "bounced",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, RcptState::Delivered | RcptState::Bounced)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// As in the envelope, with its angle brackets.
    pub rcpt: String,
    pub state: RcptState,
    pub attempts: u32,
    /// The last reply or reason (`451 4.3.0 ...`, `connection refused`).
    pub last_reply: Option<String>,
    /// The next hop of the last attempt.
    pub next_hop: Option<String>,
    /// Seconds since the epoch: when a deferred recipient is due again.
    pub next_attempt: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageState {
    pub recipients: Vec<Recipient>,
    /// The delivery status notification for the bounced recipients is queued.
    #[serde(default)]
    pub bounce_queued: bool,
    /// Held by the administrator: not delivered until released.
    #[serde(default)]
    pub held: bool,
    /// The delay warning was sent.
    #[serde(default)]
    pub warned: bool,
}

impl MessageState {
    /// Every recipient pending: a message no runner has touched.
    pub fn fresh(rcpts: &[String]) -> MessageState {
        MessageState {
            recipients: rcpts
                .iter()
                .map(|r| Recipient {
                    rcpt: r.clone(),
                    state: RcptState::Pending,
                    attempts: 0,
                    last_reply: None,
                    next_hop: None,
                    next_attempt: 0,
                })
                .collect(),
            bounce_queued: false,
            held: false,
            warned: false,
        }
    }

    pub fn is_done(&self) -> bool {
        self.recipients.iter().all(|r| r.state.is_done())
    }

    /// When the next undone recipient is due (seconds since the epoch).
    pub fn due(&self) -> Option<u64> {
        self.recipients
            .iter()
            .filter(|r| !r.state.is_done())
            .map(|r| r.next_attempt)
            .min()
    }
}

fn state_dir(spool: &Path) -> PathBuf {
    spool.join("state")
}

/// Where the record of message `id` lives.
pub fn record_path(spool: &Path, id: &str) -> PathBuf {
    state_dir(spool).join(id)
}

/// The record of message `id`, or a fresh one for `rcpts` if there is none yet.
pub fn load(spool: &Path, id: &str, rcpts: &[String]) -> std::io::Result<MessageState> {
    match fs::read(state_dir(spool).join(id)) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", state_dir(spool).join(id).display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(MessageState::fresh(rcpts)),
        Err(e) => Err(e),
    }
}

/// Replaces the record durably: when this returns, a crash keeps it.
pub fn store(spool: &Path, id: &str, state: &MessageState) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    write_record(spool, id, &bytes)
}

/// Replaces the record of `id` with `bytes` (already encoded) by temp-fsync-rename and
/// an `fsync` of the folder.
pub fn write_record(spool: &Path, id: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = state_dir(spool);
    fs::DirBuilder::new().recursive(true).create(&dir)?;
    let tmp = dir.join(format!(".{id}.tmp"));
    let written = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o640)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, dir.join(id))?;
    File::open(&dir)?.sync_all()
}

/// Removes a finished message: its queue file first (so that a crash in between leaves
/// a record without a message, which is ignored), then its record.
pub fn remove_message(spool: &Path, id: &str) -> std::io::Result<()> {
    match fs::remove_file(spool.join("queue").join(id)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    File::open(spool.join("queue"))?.sync_all()?;
    match fs::remove_file(state_dir(spool).join(id)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes a delivered message like `remove_message`, without waiting for the disk:
/// should a crash bring it back, it is delivered again, never lost.
pub fn forget_message(spool: &Path, id: &str) -> std::io::Result<()> {
    for path in [spool.join("queue").join(id), state_dir(spool).join(id)] {
        match fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A duration setting: `45s`, `30m`, `12h`, `5d`, or plain seconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = digits.parse().ok()?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// The wait before attempt `attempts + 1`, from `retry_schedule`: its n-th value after
/// n failures, its last value from then on.
pub fn backoff(schedule: &[u64], attempts: u32) -> u64 {
    let i = (attempts.max(1) as usize - 1).min(schedule.len().saturating_sub(1));
    schedule.get(i).copied().unwrap_or(300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trip_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("queue")).unwrap();
        fs::write(dir.path().join("queue/M1"), "x").unwrap();
        let rcpts = vec!["<a@x>".to_string(), "<b@y>".to_string()];
        let mut s = load(dir.path(), "M1", &rcpts).unwrap();
        assert_eq!(s, MessageState::fresh(&rcpts));
        s.recipients[0].state = RcptState::Delivered;
        s.recipients[1].state = RcptState::Deferred;
        s.recipients[1].next_attempt = 77;
        store(dir.path(), "M1", &s).unwrap();
        let back = load(dir.path(), "M1", &rcpts).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.due(), Some(77));
        assert!(!back.is_done());
        remove_message(dir.path(), "M1").unwrap();
        assert!(!dir.path().join("queue/M1").exists());
        assert!(!dir.path().join("state/M1").exists());
    }

    #[test]
    fn durations_and_backoff() {
        assert_eq!(parse_duration("5d"), Some(432_000));
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("5y"), None);
        let s = [60, 300, 900];
        assert_eq!(backoff(&s, 1), 60);
        assert_eq!(backoff(&s, 2), 300);
        assert_eq!(backoff(&s, 9), 900);
        assert_eq!(backoff(&[], 3), 300);
    }
}
