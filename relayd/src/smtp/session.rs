//! What one SMTP session knows: the client, its listener's role, TLS, HELO, the user it
//! authenticated as, the mail transaction in progress, and the counters that end a
//! session that only makes errors. The command files (`hello`, `mail`, `rcpt`, `data`,
//! `auth`, `starttls`) add the commands' methods; `dispatch` runs the loop.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use shared::settings::Role;
use shared::trust::TrustMatch;

use super::wire::{End, Line, Wire};
use crate::state::{Shared, Stop};

/// Refusals (4xx and 5xx answers to any command) tolerated before the session is
/// closed, and after how many each further one is delayed, as Postfix's
/// smtpd_hard_error_limit, smtpd_soft_error_limit and smtpd_error_sleep_time.
const MAX_ERRORS: u32 = 20;
const SOFT_ERRORS: u32 = 10;
const ERROR_SLEEP: Duration = Duration::from_secs(1);
/// NOOP, RSET, HELP, VRFY and the like tolerated in one session (smtpd_junk_command_limit).
const MAX_JUNK: u32 = 100;

/// The envelope being built between MAIL and DATA.
pub struct Transaction {
    pub from: String,
    pub rcpts: Vec<String>,
    /// A local recipient was taken without telling the client whether its user exists
    /// (`shared::decision`): DATA must check the throttle and the unknown users.
    pub guarded: bool,
    /// The first taken recipient whose user does not exist: DATA refuses the message.
    pub unknown_user: Option<String>,
}

pub struct Session {
    pub shared: Arc<Shared>,
    pub wire: Wire,
    pub client: IpAddr,
    pub role: Role,
    pub tls: bool,
    pub helo: Option<String>,
    pub esmtp: bool,
    /// The user authenticated as, in `Users::canonical` form.
    pub user: Option<String>,
    pub auth_failures: u32,
    errors: u32,
    junk: u32,
    pub mail: Option<Transaction>,
    /// The trust found for the client, and the (settings, names) generations it was
    /// found under: a reload or newly resolved names make it stale.
    pub trust: Option<((u64, u64), Option<TrustMatch>)>,
    stopping: tokio::sync::watch::Receiver<Stop>,
}

impl Session {
    pub fn new(shared: Arc<Shared>, wire: Wire, client: IpAddr, role: Role) -> Session {
        let stopping = shared.stopping.subscribe();
        Session {
            tls: role == Role::Smtps,
            shared,
            wire,
            client: client.to_canonical(),
            role,
            helo: None,
            esmtp: false,
            user: None,
            auth_failures: 0,
            errors: 0,
            junk: 0,
            mail: None,
            trust: None,
            stopping,
        }
    }

    pub fn reply(&mut self, line: &str) {
        self.wire.reply(line);
    }

    pub fn command_timeout(&self) -> Duration {
        self.shared.current().daemon.command_timeout
    }

    pub async fn flush(&mut self) -> Result<(), End> {
        let t = self.command_timeout();
        self.wire.flush(true, t).await
    }

    pub async fn read_line(&mut self, limit: usize) -> Result<Line, End> {
        let t = self.command_timeout();
        // A transaction under way may finish while relayd drains; an idle session ends.
        let ends_at = match self.mail {
            Some(_) => Stop::Now,
            None => Stop::Draining,
        };
        self.wire
            .read_line(limit, t, &mut self.stopping, ends_at)
            .await
    }

    /// Counts one refusal already queued; past the soft limit the session waits before
    /// reading on, past the hard limit it ends. Looping on a refused command (`AUTH FOO`,
    /// a nested `MAIL`) or guessing users gets slow, then closed.
    pub async fn error(&mut self) -> Result<(), End> {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            self.reply("421 4.7.0 Error: too many errors, closing connection");
            return Err(End::Gone);
        }
        if self.errors > SOFT_ERRORS {
            self.flush().await?;
            tokio::time::sleep(ERROR_SLEEP).await;
        }
        Ok(())
    }

    /// Counts a command that moves no mail.
    pub fn junk(&mut self) -> Result<(), End> {
        self.junk += 1;
        if self.junk > MAX_JUNK {
            self.reply("421 4.7.0 Error: too many commands without mail, closing connection");
            return Err(End::Gone);
        }
        Ok(())
    }

    /// A message was queued: the junk count starts again.
    pub fn delivered_mail(&mut self) {
        self.junk = 0;
    }

    /// RFC 3207 4.2: after STARTTLS everything learned in the clear is forgotten; the
    /// client starts over with EHLO.
    pub fn forget_identity(&mut self) {
        self.helo = None;
        self.esmtp = false;
        self.mail = None;
        self.user = None;
        self.trust = None;
    }
}
