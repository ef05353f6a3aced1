//! Idle SMTP sessions kept for the next message to the same next hop, so a queue of
//! mail for one smarthost is sent over a few connections, not one per message
//! (Postfix's connection cache). A session waits here at most `IDLE`, is reused for at
//! most `LIFETIME` after it was opened, and no more of them are kept per hop than the
//! hop's delivery limit; one that the peer closed meanwhile is found out at its next
//! MAIL and replaced by a new connection.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mail_send::SmtpClient;
use tokio::io::{AsyncRead, AsyncWrite};

/// Any stream a session runs over: TCP, TLS over TCP, a unix socket.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type Client = SmtpClient<Box<dyn Io>>;

/// How long a session may sit idle here (Postfix's smtp_connection_cache_time_limit).
pub const IDLE: Duration = Duration::from_secs(2);
/// How long after its start a session may still be given another message (Postfix's
/// smtp_connection_reuse_time_limit).
pub const LIFETIME: Duration = Duration::from_secs(300);

/// A session between two transactions.
pub struct Session {
    pub client: Client,
    /// Where it goes, for the log ("host [addr]").
    pub peer: String,
    pub opened: Instant,
    idle_since: Instant,
}

impl Session {
    pub fn new(client: Client, peer: String) -> Session {
        let now = Instant::now();
        Session {
            client,
            peer,
            opened: now,
            idle_since: now,
        }
    }
}

#[derive(Default)]
pub struct Cache {
    idle: Mutex<HashMap<String, Vec<Session>>>,
}

impl Cache {
    /// An idle session for `key`, the most recently used first (the likeliest alive).
    pub fn take(&self, key: &str) -> Option<Session> {
        let mut map = self.idle.lock().ok()?;
        let list = map.get_mut(key)?;
        let now = Instant::now();
        while let Some(s) = list.pop() {
            if now.duration_since(s.idle_since) < IDLE {
                return Some(s);
            }
            quit(s);
        }
        None
    }

    /// Keeps `s` for `key` unless it is too old or `max` are already waiting.
    pub fn put(&self, key: &str, mut s: Session, max: usize) {
        if s.opened.elapsed() >= LIFETIME {
            return quit(s);
        }
        let Ok(mut map) = self.idle.lock() else {
            return;
        };
        let list = map.entry(key.to_string()).or_default();
        if list.len() >= max {
            drop(map);
            return quit(s);
        }
        s.idle_since = Instant::now();
        list.push(s);
    }

    /// Closes the sessions that waited too long (called about once a second).
    pub fn sweep(&self) {
        let Ok(mut map) = self.idle.lock() else {
            return;
        };
        let now = Instant::now();
        for list in map.values_mut() {
            let (keep, old): (Vec<_>, Vec<_>) = list
                .drain(..)
                .partition(|s| now.duration_since(s.idle_since) < IDLE);
            *list = keep;
            old.into_iter().for_each(quit);
        }
        map.retain(|_, l| !l.is_empty());
    }
}

/// QUIT, in the background: nobody waits for a session that is being closed.
fn quit(s: Session) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), s.client.quit()).await;
        });
    }
}
