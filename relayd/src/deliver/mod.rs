//! The way out: one delivery attempt for a group of recipients that share a next hop.
//! `route` finds the next hop (a local Maildir, the relayhost, or the domain's MX),
//! `maildir` and `lmtp` deliver locally, `tls` holds the outbound TLS policy, and `smtp` speaks
//! to the next hop through `mail-send`. Nothing here touches the queue: each call
//! returns one `Outcome` per recipient, and `queue` records and acts on them.

pub mod cache;
pub mod lmtp;
pub mod maildir;
pub mod oauth;
pub mod rewrite;
pub mod route;
pub mod smtp;
pub mod tls;

/// What became of one recipient in one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Taken: the next hop's reply, or where the mailbox file went.
    Delivered(String),
    /// A temporary failure: try again later.
    Deferred(String),
    /// A permanent failure: bounce.
    Failed(String),
}

impl Outcome {
    /// From an SMTP reply: 2xx delivered, 4xx deferred, 5xx failed.
    pub fn from_reply(code: u16, text: &str) -> Outcome {
        let line = format!("{code} {text}").trim().replace(['\r', '\n'], " ");
        match code {
            200..=299 => Outcome::Delivered(line),
            500..=599 => Outcome::Failed(line),
            _ => Outcome::Deferred(line),
        }
    }

    pub fn reply(&self) -> &str {
        match self {
            Outcome::Delivered(r) | Outcome::Deferred(r) | Outcome::Failed(r) => r,
        }
    }

    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Delivered(_) => "delivered",
            Outcome::Deferred(_) => "deferred",
            Outcome::Failed(_) => "failed",
        }
    }
}
