//! DATA: the message goes to the spool as it arrives, and gets its `250` only once it is
//! on disk, `fsync`ed and renamed into `queue/` by the committer (ARCHITECTURE.md
//! "The spool"). Before the `354`, a transaction that holds an unknown local user (or
//! comes from a client the harvest throttle holds back) is refused here rather than at
//! RCPT, so that RCPT answers never tell an untrusted client which users exist.

use shared::spool::{Envelope, Spool};
use tokio::io::AsyncWriteExt;

use super::body::{self, Body, BodyError};
use super::session::{Session, Transaction};
use super::wire::End;

/// A full disk or quota: the client is told to come back (452 4.3.1), not that the
/// message is bad.
fn no_space(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
}

const NO_ROOM: &str = "452 4.3.1 Error: insufficient system storage, try again later";

impl Session {
    /// Whether the spool has room for a message of `declared` bytes and still keeps
    /// `spool_min_free` free; if not, the client has its 452 (mail already queued is
    /// untouched, and delivery, which frees space, goes on).
    pub(super) fn spool_has_room(&mut self, declared: u64) -> bool {
        let daemon = &self.shared.current().daemon;
        let need = daemon.spool_min_free.saturating_add(declared);
        // A spool whose space cannot be read is left to fail (and say why) at DATA.
        let Ok(free) = Spool::new(&daemon.spool_dir).free_space() else {
            return true;
        };
        if free >= need {
            return true;
        }
        self.shared.stats.refuse("spool_full");
        tracing::warn!(client = %self.client, free_bytes = free, needed_bytes = need, spool = %daemon.spool_dir.display(), "new mail refused: the spool is below spool_min_free");
        self.reply(NO_ROOM);
        false
    }

    /// The refusal for a transaction that may not reach DATA, if any.
    fn refuse_before_data(&mut self, mail: &Transaction) -> Option<String> {
        if mail.guarded && self.shared.throttled(self.client) {
            // One answer for every local transaction of a throttled client, whether its
            // users exist or not.
            self.shared.stats.refuse("throttled");
            return Some(
                "450 4.7.1 Error: too many failed logins or unknown recipients from this address, try again later".into(),
            );
        }
        let unknown = mail.unknown_user.as_deref()?;
        self.shared.record_failure(self.client);
        self.shared.stats.refuse("unknown_user");
        tracing::info!(client = %self.client, rcpt = ?unknown, rule = "unknown_user", "data refused: no such user");
        Some(shared::decision::unknown_user_reply(unknown))
    }

    pub async fn data(&mut self) -> Result<(), End> {
        let Some(mail) = self.mail.take() else {
            self.reply("503 5.5.1 Error: need MAIL command");
            return Ok(());
        };
        if mail.rcpts.is_empty() {
            self.mail = Some(mail);
            self.reply("554 5.5.1 Error: no valid recipients");
            return Ok(());
        }
        if let Some(refusal) = self.refuse_before_data(&mail) {
            self.reply(&refusal);
            return Ok(());
        }
        if !self.spool_has_room(0) {
            // The transaction stays: the client may RSET, or QUIT and come back.
            self.mail = Some(mail);
            return Ok(());
        }
        let active = self.shared.current();
        // The spool file is opened before the 354: a full disk is a 451 now, and the
        // message then goes to disk as it arrives, never whole into memory.
        let mut env = Envelope {
            id: shared::spool::new_id(),
            received: shared::spool::now_secs(),
            client: self.client,
            helo: self.helo.clone().unwrap_or_default(),
            user: self.user.clone(),
            mail_from: mail.from.clone(),
            rcpt_to: mail.rcpts.clone(),
            size: 0,
        };
        let spool_dir = active.daemon.spool_dir.clone();
        let spool = Spool::new(spool_dir.clone());
        let begun = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            let pending = spool.begin(&mut env)?;
            let sink = pending.file.try_clone()?;
            Ok((pending, sink, env.id))
        })
        .await;
        let (pending, sink, id) = match begun {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                return self.spool_failed(&e.to_string(), no_space(&e), "cannot open a spool file")
            }
            Err(e) => return self.spool_failed(&e.to_string(), false, "cannot open a spool file"),
        };
        let header = self.received_header(&active.daemon.hostname, &id, &mail.rcpts);
        self.reply("354 End data with <CR><LF>.<CR><LF>");
        self.flush().await?;
        let mut sink =
            tokio::io::BufWriter::with_capacity(64 * 1024, tokio::fs::File::from_std(sink));
        let io = self.wire.io.as_mut().ok_or(End::Gone)?;
        let read = match sink.write_all(header.as_bytes()).await {
            Ok(()) => {
                body::read_body(
                    io,
                    &mut sink,
                    active.daemon.max_message_size,
                    active.daemon.command_timeout,
                    active.daemon.data_timeout,
                )
                .await
            }
            Err(e) => Err(BodyError::Sink(e)),
        };
        drop(sink);
        let size = match self.body_outcome(read) {
            Ok(size) => size,
            Err(next) => {
                pending.abandon();
                return next;
            }
        };
        let stored = header.len() as u64 + size;
        let written = match tokio::task::spawn_blocking(move || pending.finish(stored)).await {
            Ok(Ok(())) => self
                .shared
                .committer
                .publish(spool_dir, id.clone())
                .await
                .map_err(|e| (e, false)),
            Ok(Err(e)) => Err((e.to_string(), no_space(&e))),
            Err(e) => Err((e.to_string(), false)),
        };
        match written {
            Ok(()) => {
                self.shared.count(&self.shared.stats.messages);
                let _ = self
                    .shared
                    .queue
                    .send(crate::state::Wake::Queued(id.clone()));
                self.delivered_mail();
                tracing::info!(client = %self.client, id = %id, from = ?mail.from, rcpts = mail.rcpts.len(), size, "queued");
                self.reply(&format!("250 2.0.0 Ok: queued as {id}"));
                Ok(())
            }
            Err((error, full)) => self.spool_failed(&error, full, "cannot spool the message"),
        }
    }

    fn spool_failed(&mut self, error: &str, full: bool, what: &str) -> Result<(), End> {
        tracing::error!(client = %self.client, error = %error, "{what}: refused with a 4xx, nothing lost");
        if full {
            self.shared.stats.refuse("spool_full");
            self.reply(NO_ROOM);
        } else {
            self.reply("451 4.3.0 Error: queue file write error, try again later");
        }
        Ok(())
    }

    /// The size of a whole message, or how the session goes on after a refusal.
    fn body_outcome(&mut self, read: Result<Body, BodyError>) -> Result<u64, Result<(), End>> {
        match read {
            Ok(Body::Complete(size)) => Ok(size),
            Err(BodyError::Timeout) => Err(Err(End::Timeout)),
            Err(BodyError::Io(e)) => {
                tracing::debug!(client = %self.client, error = %e, "connection lost in DATA");
                Err(Err(End::Gone))
            }
            Err(BodyError::Eof) => Err(Err(End::Gone)),
            Err(BodyError::Sink(e)) => {
                Err(self.spool_failed(&e.to_string(), no_space(&e), "cannot write the spool file"))
            }
            Ok(Body::TooBig) => {
                self.shared.stats.refuse("message_too_big");
                self.reply("552 5.3.4 Error: message size exceeds fixed limit");
                Err(Ok(()))
            }
            Ok(Body::LongLine) => {
                self.shared.stats.refuse("line_too_long");
                self.reply("550 5.6.0 Error: a line of the message is longer than 998 octets (RFC 5322 2.1.1); wrap it or encode it");
                Err(Ok(()))
            }
            Ok(Body::BareNewline) => {
                self.shared.stats.refuse("bare_newline");
                tracing::warn!(client = %self.client, "message refused: bare CR or LF in DATA (SMTP smuggling?)");
                self.reply("550 5.6.11 Error: bare CR or LF in message text (only CRLF line ends are allowed)");
                Err(Ok(()))
            }
        }
    }
}
