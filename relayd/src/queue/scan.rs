//! Reading the spool for the runner: which messages are queued and when each is due
//! (at start, and when `spool_dir` changes), and moving what an earlier `spool_dir`
//! still holds into the current one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use shared::spool::Spool;

/// Every queued message that is not held, with when it is due (seconds since the epoch).
pub fn scan(spool: &Path) -> HashMap<String, u64> {
    let mut due = HashMap::new();
    let Ok(entries) = std::fs::read_dir(spool.join("queue")) else {
        return due;
    };
    let sp = Spool::new(spool);
    for e in entries.flatten() {
        let id = e.file_name().to_string_lossy().into_owned();
        let when = sp
            .envelope(&id)
            .ok()
            .and_then(|env| shared::queue_state::load(spool, &id, &env.rcpt_to).ok())
            // A message whose record cannot be read is due now: the attempt says why.
            // A finished one still here (a crash before its removal) is due now too:
            // the attempt finds nothing to deliver and removes it.
            .map_or(Some(0), |s| (!s.held).then(|| s.due().unwrap_or(0)));
        if let Some(t) = when {
            due.insert(id, t);
        }
    }
    due
}

/// Moves what is queued in the spools used before into `spool` (see `Spool::adopt`);
/// returns the ids moved. A message that cannot move stays where it is, to be tried at
/// the next sweep.
pub fn adopt_old(old: &[PathBuf], spool: &Path) -> Vec<String> {
    let new = Spool::new(spool);
    let mut moved = Vec::new();
    for dir in old.iter().filter(|d| d.as_path() != spool) {
        let from = Spool::new(dir);
        let Ok(entries) = std::fs::read_dir(from.queue_dir()) else {
            continue;
        };
        for e in entries.flatten() {
            let id = e.file_name().to_string_lossy().into_owned();
            match new.adopt(&from, &id) {
                Ok(()) => moved.push(id),
                Err(err) => {
                    tracing::error!(id = %id, from = %dir.display(), to = %spool.display(), error = %err, "cannot move a queued message to the new spool_dir: it stays, tried again in a minute")
                }
            }
        }
    }
    if !moved.is_empty() {
        tracing::info!(messages = moved.len(), to = %spool.display(), "queued messages moved from the previous spool_dir");
    }
    moved
}
