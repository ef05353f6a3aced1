//! The queue runner: keeps only ids and due times in memory, rebuilt from the spool at
//! start (and when `spool_dir` changes); starts an attempt for every due message, at
//! most `max_deliveries` at once and `max_deliveries_per_destination` per next hop;
//! learns of new messages from the committer and of flushes from the control socket.
//! `delivery hold` stops new attempts; mail is still accepted.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::limits::Limits;
use crate::deliver::cache::Cache;

use crate::state::{Shared, Wake};

fn scan(spool: &Path) -> HashMap<String, u64> {
    let mut due = HashMap::new();
    let Ok(entries) = std::fs::read_dir(spool.join("queue")) else {
        return due;
    };
    for e in entries.flatten() {
        let id = e.file_name().to_string_lossy().into_owned();
        let when = shared::spool::Spool::new(spool)
            .read(&id)
            .ok()
            .and_then(|(env, _)| shared::queue_state::load(spool, &id, &env.rcpt_to).ok())
            // A finished message still here (a crash before its removal) is due now:
            // the attempt finds nothing to deliver and removes it.
            .map_or(Some(0), |s| {
                if s.held {
                    None
                } else {
                    Some(s.due().unwrap_or(0))
                }
            });
        if let Some(t) = when {
            due.insert(id, t);
        }
    }
    due
}

/// Moves what is queued in the spools used before into `spool` (see `Spool::adopt`);
/// returns the ids moved. A message that cannot move stays where it is, to be tried at
/// the next sweep.
fn adopt_old(old: &[PathBuf], spool: &Path) -> Vec<String> {
    let new = shared::spool::Spool::new(spool);
    let mut moved = Vec::new();
    for dir in old.iter().filter(|d| d.as_path() != spool) {
        let from = shared::spool::Spool::new(dir);
        let Ok(entries) = std::fs::read_dir(from.queue_dir()) else {
            continue;
        };
        for e in entries.flatten() {
            let id = e.file_name().to_string_lossy().into_owned();
            match new.adopt(&from, &id) {
                Ok(()) => moved.push(id),
                Err(err) => tracing::error!(id = %id, from = %dir.display(), to = %spool.display(), error = %err, "cannot move a queued message to the new spool_dir: it stays, tried again in a minute"),
            }
        }
    }
    if !moved.is_empty() {
        tracing::info!(messages = moved.len(), to = %spool.display(), "queued messages moved from the previous spool_dir");
    }
    moved
}

pub async fn run(shared: Arc<Shared>, mut wake: mpsc::UnboundedReceiver<Wake>) {
    let limits = Arc::new(Limits::default());
    let cache = Arc::new(Cache::default());
    let mut spool: PathBuf = shared.current().daemon.spool_dir.clone();
    let mut due = {
        let s = spool.clone();
        tokio::task::spawn_blocking(move || scan(&s))
            .await
            .unwrap_or_default()
    };
    tracing::info!(messages = due.len(), spool = %spool.display(), "queue runner started");
    let mut in_flight: HashSet<String> = HashSet::new();
    // Flushed by the administrator: tried now, deferred recipients too.
    let mut forced: HashSet<String> = HashSet::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, Option<u64>)>();
    // Spools used before a `spool_dir` change: their messages are moved into the new
    // one at the change, and again every minute for what sessions that began before
    // the change queued there after it.
    let mut old: Vec<PathBuf> = Vec::new();
    let mut swept = std::time::Instant::now();
    loop {
        let active = shared.current();
        if active.daemon.spool_dir != spool && in_flight.is_empty() {
            old.retain(|d| *d != active.daemon.spool_dir);
            old.push(std::mem::replace(&mut spool, active.daemon.spool_dir.clone()));
            let (o, s) = (old.clone(), spool.clone());
            due = tokio::task::spawn_blocking(move || {
                adopt_old(&o, &s);
                scan(&s)
            })
            .await
            .unwrap_or_default();
            swept = std::time::Instant::now();
            tracing::info!(messages = due.len(), spool = %spool.display(), "queue runner moved to a new spool_dir");
        } else if !old.is_empty() && swept.elapsed() >= Duration::from_secs(60) {
            swept = std::time::Instant::now();
            let (o, s) = (old.clone(), spool.clone());
            let moved = tokio::task::spawn_blocking(move || adopt_old(&o, &s))
                .await
                .unwrap_or_default();
            for id in moved {
                due.entry(id).or_insert(0);
            }
        }
        let now = shared::spool::now_secs();
        if !active.daemon.delivery_hold {
            let mut ready: Vec<(u64, String)> = due
                .iter()
                .filter(|(id, t)| **t <= now && !in_flight.contains(*id))
                .map(|(id, t)| (*t, id.clone()))
                .collect();
            ready.sort();
            for (_, id) in ready {
                if in_flight.len() >= active.daemon.max_deliveries {
                    break;
                }
                in_flight.insert(id.clone());
                let (shared, limits, cache, dir, done) = (
                    Arc::clone(&shared),
                    Arc::clone(&limits),
                    Arc::clone(&cache),
                    spool.clone(),
                    done_tx.clone(),
                );
                let force = forced.remove(&id);
                tokio::spawn(async move {
                    let next =
                        super::attempt::run(shared, limits, cache, dir, id.clone(), force).await;
                    let _ = done.send((id, next));
                });
            }
        }
        cache.sweep();
        // Sleep until the next due message, but look again every second (settings
        // such as `delivery` may change).
        let next = due
            .iter()
            .filter(|(id, _)| !in_flight.contains(*id))
            .map(|(_, t)| *t)
            .min()
            .map_or(1, |t| t.saturating_sub(now).clamp(0, 1));
        tokio::select! {
            w = wake.recv() => match w {
                Some(Wake::Queued(id)) => { due.insert(id, 0); }
                Some(Wake::Flush(None)) => {
                    // Held messages are not in `due`; a rescan finds every other one.
                    let s = spool.clone();
                    let all = tokio::task::spawn_blocking(move || scan(&s)).await.unwrap_or_default();
                    for id in all.into_keys() {
                        forced.insert(id.clone());
                        due.insert(id, 0);
                    }
                }
                Some(Wake::Flush(Some(id))) => {
                    // A released message comes back through a flush of its id.
                    forced.insert(id.clone());
                    due.insert(id, 0);
                }
                None => return,
            },
            Some((id, next)) = done_rx.recv() => {
                in_flight.remove(&id);
                match next {
                    Some(t) => { due.insert(id, t); }
                    None => { due.remove(&id); }
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(if next == 0 { 50 } else { 1000 })) => {}
        }
    }
}
