//! Group commit for the spool. Each session writes and `fsync`s its own file (the kernel
//! merges concurrent `fsync`s into one journal commit); the step that makes a message
//! queued (rename into `queue/` and an `fsync` of the folder) is done here for every
//! message that is ready at that moment, with one folder `fsync` for all of them. Only
//! then does each session get its answer and send `250`.

use std::path::PathBuf;
use std::sync::mpsc;

use shared::spool::Spool;
use tokio::sync::oneshot;

type Reply = oneshot::Sender<Result<(), String>>;

/// Most messages published by one folder `fsync`.
const BATCH: usize = 512;

pub struct Committer {
    tx: mpsc::Sender<(PathBuf, String, Reply)>,
}

impl Committer {
    pub fn start() -> std::io::Result<Committer> {
        let (tx, rx) = mpsc::channel::<(PathBuf, String, Reply)>();
        std::thread::Builder::new()
            .name("spool-commit".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < BATCH {
                        match rx.try_recv() {
                            Ok(next) => batch.push(next),
                            Err(_) => break,
                        }
                    }
                    commit(batch);
                }
            })?;
        Ok(Committer { tx })
    }

    /// Queues the message written to `spool_dir/tmp/id`; returns once it is durable.
    pub async fn publish(&self, spool_dir: PathBuf, id: String) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((spool_dir, id, reply))
            .map_err(|_| "the spool committer has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the spool committer has stopped".to_string())?
    }
}

fn commit(batch: Vec<(PathBuf, String, Reply)>) {
    // A reload may change spool_dir between messages: commit per folder.
    let mut by_dir: Vec<(PathBuf, Vec<(String, Reply)>)> = Vec::new();
    for (dir, id, reply) in batch {
        match by_dir.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, v)) => v.push((id, reply)),
            None => by_dir.push((dir, vec![(id, reply)])),
        }
    }
    for (dir, items) in by_dir {
        let ids: Vec<String> = items.iter().map(|(id, _)| id.clone()).collect();
        let results = Spool::new(dir).publish(&ids);
        // Each message gets its own answer: one that failed to rename is refused alone,
        // never the others of its batch (those are queued and would be sent twice).
        for ((_, reply), result) in items.into_iter().zip(results) {
            let _ = reply.send(result.map_err(|e| e.to_string()));
        }
    }
}
