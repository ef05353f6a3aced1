//! The queue runner: keeps only ids and due times in memory (`Schedule`), rebuilt from
//! the spool at start (and when `spool_dir` changes); starts an attempt for every due
//! message, at most `max_deliveries` at once and `max_deliveries_per_destination` per
//! next hop; learns of new messages from the committer and of flushes from the control
//! socket. `delivery hold` stops new attempts; mail is still accepted.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::limits::Limits;
use super::scan::{adopt_old, scan};
use super::schedule::Schedule;
use crate::deliver::cache::Cache;
use crate::deliver::oauth::Tokens;
use crate::state::{Shared, Stop, Wake};

/// What the loop knows of the queue.
struct Queue {
    spool: PathBuf,
    due: Schedule,
    in_flight: HashSet<String>,
    /// Flushed by the administrator: tried now, deferred recipients too.
    forced: HashSet<String>,
    /// Woken while an attempt was running: due again as soon as it ends.
    again: HashSet<String>,
}

impl Queue {
    /// Message `id` is due now (new, flushed or released).
    fn now(&mut self, id: String) {
        if self.in_flight.contains(&id) {
            self.again.insert(id);
        } else {
            self.due.set(id, 0);
        }
    }

    fn done(&mut self, id: String, next: Option<u64>) {
        self.in_flight.remove(&id);
        if self.again.remove(&id) {
            self.due.set(id, 0);
        } else if let Some(t) = next {
            self.due.set(id, t);
        }
    }
}

async fn rescan(spool: PathBuf, old: Vec<PathBuf>) -> Schedule {
    let found = tokio::task::spawn_blocking(move || {
        adopt_old(&old, &spool);
        scan(&spool)
    })
    .await
    .unwrap_or_default();
    Schedule::from_map(found)
}

pub async fn run(shared: Arc<Shared>, mut wake: mpsc::UnboundedReceiver<Wake>) {
    let limits = Arc::new(Limits::default());
    let cache = Arc::new(Cache::default());
    let tokens = Arc::new(Tokens::default());
    let spool: PathBuf = shared.current().daemon.spool_dir.clone();
    let mut q = Queue {
        due: rescan(spool.clone(), Vec::new()).await,
        spool,
        in_flight: HashSet::new(),
        forced: HashSet::new(),
        again: HashSet::new(),
    };
    tracing::info!(messages = q.due.len(), spool = %q.spool.display(), "queue runner started");
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, Option<u64>)>();
    // Spools used before a `spool_dir` change: their messages are moved into the new
    // one at the change, and again every minute for what sessions that began before
    // the change queued there after it.
    let mut old: Vec<PathBuf> = Vec::new();
    let mut swept = Instant::now();
    loop {
        let active = shared.current();
        if active.daemon.spool_dir != q.spool && q.in_flight.is_empty() {
            old.retain(|d| *d != active.daemon.spool_dir);
            old.push(std::mem::replace(
                &mut q.spool,
                active.daemon.spool_dir.clone(),
            ));
            q.due = rescan(q.spool.clone(), old.clone()).await;
            swept = Instant::now();
            tracing::info!(messages = q.due.len(), spool = %q.spool.display(), "queue runner moved to a new spool_dir");
        } else if !old.is_empty() && swept.elapsed() >= Duration::from_secs(60) {
            swept = Instant::now();
            let (o, s) = (old.clone(), q.spool.clone());
            let moved = tokio::task::spawn_blocking(move || adopt_old(&o, &s))
                .await
                .unwrap_or_default();
            moved.into_iter().for_each(|id| q.now(id));
        }
        let now = shared::spool::now_secs();
        // A shutdown lets attempts under way finish and starts none.
        let running = *shared.stopping.borrow() == Stop::Running;
        if !active.daemon.delivery_hold && running {
            while q.in_flight.len() < active.daemon.max_deliveries {
                let Some(id) = q.due.pop_due(now) else {
                    break;
                };
                q.in_flight.insert(id.clone());
                shared.deliveries.fetch_add(1, Ordering::SeqCst);
                let (shared, limits, cache, tokens, dir, done) = (
                    Arc::clone(&shared),
                    Arc::clone(&limits),
                    Arc::clone(&cache),
                    Arc::clone(&tokens),
                    q.spool.clone(),
                    done_tx.clone(),
                );
                let force = q.forced.remove(&id);
                tokio::spawn(async move {
                    let began = Instant::now();
                    let next = super::attempt::run(
                        Arc::clone(&shared),
                        limits,
                        cache,
                        tokens,
                        dir,
                        id.clone(),
                        force,
                    )
                    .await;
                    shared.deliveries.fetch_sub(1, Ordering::SeqCst);
                    let took = began.elapsed().as_secs_f64();
                    shared.stats.attempt_seconds.0.observe(took);
                    let _ = done.send((id, next));
                });
            }
        }
        shared
            .stats
            .queue_waiting
            .store(q.due.len() as u64, Ordering::Relaxed);
        cache.sweep();
        // Due times are whole seconds: look again every second (and at every event;
        // settings such as `delivery` may change meanwhile).
        tokio::select! {
            w = wake.recv() => match w {
                Some(Wake::Queued(id)) => q.now(id),
                Some(Wake::Flush(None)) => {
                    // Held messages are not scheduled; a rescan finds every other one.
                    let s = q.spool.clone();
                    let all = tokio::task::spawn_blocking(move || scan(&s)).await.unwrap_or_default();
                    for id in all.into_keys() {
                        q.forced.insert(id.clone());
                        q.now(id);
                    }
                }
                Some(Wake::Flush(Some(id))) => {
                    // A released message comes back through a flush of its id.
                    q.forced.insert(id.clone());
                    q.now(id);
                }
                None => return,
            },
            Some((id, next)) = done_rx.recv() => q.done(id, next),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
