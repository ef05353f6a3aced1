//! One SMTP transaction with a next hop, through `mail-send`: greeting, EHLO, STARTTLS
//! as the hop's TLS policy says, AUTH (only over TLS), MAIL, one RCPT per recipient,
//! DATA. Each recipient gets its own outcome: a RCPT refusal is that recipient's, the
//! DATA reply is every accepted recipient's. The session then waits in the `cache` for
//! the next message to the same hop.

use std::net::SocketAddr;
use std::time::Duration;

use mail_send::smtp::message::Parameters;
use mail_send::{Credentials, SmtpClient};
use shared::settings::TlsPolicy;
use smtp_proto::EXT_START_TLS;

use super::cache::{Cache, Client, Io, Session};
use super::route::Hop;
use super::Outcome;

/// What a transaction needs besides the hop.
pub struct Envelope<'a> {
    pub helo: &'a str,
    /// Without angle brackets; empty for the null sender.
    pub sender: &'a str,
    /// Without angle brackets.
    pub rcpts: &'a [String],
    /// As queued (CRLF line ends, ending in CRLF).
    pub message: &'a [u8],
}

pub struct Settings<'a> {
    pub timeout: Duration,
    pub credentials: Option<Login<'a>>,
    pub ca: Option<&'a std::path::Path>,
    /// Idle sessions, and how many to keep per hop.
    pub cache: &'a Cache,
    pub keep: usize,
}

/// How relayd logs in to the relayhost as `user`.
#[derive(Clone, Copy)]
pub struct Login<'a> {
    pub user: &'a str,
    pub secret: Secret<'a>,
}

#[derive(Clone, Copy)]
pub enum Secret<'a> {
    Password(&'a str),
    XOAuth2(&'a str),
    OAuthBearer(&'a str),
}

impl Login<'_> {
    fn credentials(&self) -> Credentials<String> {
        let user = self.user.to_string();
        match self.secret {
            Secret::Password(p) => Credentials::new(user, p.to_string()),
            Secret::XOAuth2(t) => Credentials::new_xoauth2(user, t.to_string()),
            // RFC 7628's initial response, which mail-send sends as given.
            Secret::OAuthBearer(t) => Credentials::OAuthBearer {
                token: format!("n,a={user},\x01auth=Bearer {t}\x01\x01"),
            },
        }
    }
}

/// The suffix of a deferral for a refused login (so a caller can tell it from the
/// relayhost's other answers and, for a token, fetch a new one).
pub const LOGIN_REFUSED: &str = "(AUTH to the relayhost as ";

/// Whether this outcome is the relayhost refusing the login (535).
pub fn login_refused(o: &Outcome) -> bool {
    matches!(o, Outcome::Deferred(t) if t.starts_with("535") && t.contains(LOGIN_REFUSED))
}

/// A reply's text after its code: enhanced status (when the server sent one) and text.
pub fn reply_text(r: &smtp_proto::Response<String>) -> String {
    let msg = r.message.replace(['\r', '\n'], " ");
    match r.esc {
        [0, _, _] => msg,
        [a, b, c] => format!("{a}.{b}.{c} {msg}"),
    }
}

/// The reply or failure, as one line for the queue and the log.
pub fn describe(e: &mail_send::Error) -> (u16, String) {
    match e {
        mail_send::Error::UnexpectedReply(r) | mail_send::Error::AuthenticationFailed(r) => {
            (r.code, reply_text(r))
        }
        mail_send::Error::Timeout => (451, "4.4.2 timed out".into()),
        other => (451, format!("4.4.0 {other}")),
    }
}

/// A refusal or failure as the recipient's outcome (by the reply's class).
pub fn outcome_of(e: &mail_send::Error) -> Outcome {
    let (code, text) = describe(e);
    Outcome::from_reply(code, &text)
}

fn all(rcpts: &[String], o: Outcome) -> Vec<Outcome> {
    vec![o; rcpts.len()]
}

/// What one delivery did: an outcome per recipient, and whether it went over a
/// session kept from an earlier message.
pub struct Delivery {
    pub outcomes: Vec<Outcome>,
    pub reused: bool,
}

/// Sessions are shared only between deliveries that would open the same one.
fn cache_key(hop: &Hop, s: &Settings<'_>) -> String {
    let user = s.credentials.map_or("", |l| l.user);
    format!("{} tls={} user={user}", hop.name, hop.tls.as_str())
}

/// Delivers over an idle session to this hop if one is cached, else to the first
/// target that answers; a connection that fails moves on to the next target, and the
/// last failure is every recipient's outcome.
pub async fn deliver(hop: &Hop, env: &Envelope<'_>, s: &Settings<'_>) -> Delivery {
    let key = cache_key(hop, s);
    while let Some(session) = s.cache.take(&key) {
        // A session the peer closed while it waited: try the next, then a new one.
        if let Some((outcomes, back)) = transaction(session, env, true).await {
            if let Some(b) = back {
                s.cache.put(&key, b, s.keep);
            }
            return Delivery {
                outcomes,
                reused: true,
            };
        }
    }
    let mut last = Outcome::Deferred("451 4.4.1 no address to try".into());
    let preferred = hop.targets.first().map(|(h, _)| h.as_str());
    for (host, addr) in &hop.targets {
        match open(hop, host, *addr, env, s).await {
            Ok(session) => {
                let (outcomes, back) = transaction(session, env, false)
                    .await
                    .unwrap_or_else(|| (all(env.rcpts, last.clone()), None));
                // Only a session to the most preferred exchanger is kept: the next
                // message should find out whether it is back, not stay on a backup.
                if let Some(b) = back.filter(|_| Some(host.as_str()) == preferred) {
                    s.cache.put(&key, b, s.keep);
                }
                return Delivery {
                    outcomes,
                    reused: false,
                };
            }
            Err(o) => last = o,
        }
    }
    Delivery {
        outcomes: all(env.rcpts, last),
        reused: false,
    }
}

/// A new session to one target, ready for MAIL: greeting, EHLO, STARTTLS as the
/// policy says, AUTH. `Err` when this target could not be used (the caller tries the
/// next one).
async fn open(
    hop: &Hop,
    host: &str,
    addr: SocketAddr,
    env: &Envelope<'_>,
    s: &Settings<'_>,
) -> Result<Session, Outcome> {
    let at = |why: String| Outcome::Deferred(format!("451 4.4.1 {host} [{addr}]: {why}"));
    let peer = format!("{host} [{addr}]");
    let mut client = SmtpClient::connect(addr, s.timeout)
        .await
        .map_err(|e| at(describe(&e).1))?;
    // mail-send writes a message's end (CRLF . CRLF) apart from its text: with Nagle's
    // algorithm that small write waits for the peer's delayed ACK, 40 ms a message.
    let _ = client.stream.set_nodelay(true);
    let greeting = tokio::time::timeout(s.timeout, client.read())
        .await
        .map_err(|_| at("no greeting".into()))?
        .map_err(|e| at(describe(&e).1))?;
    if greeting.code != 220 {
        return Err(at(format!(
            "greeting {} {}",
            greeting.code, greeting.message
        )));
    }
    let ehlo = client
        .ehlo(env.helo)
        .await
        .map_err(|e| at(describe(&e).1))?;
    let offered = ehlo.has_capability(EXT_START_TLS);
    let want_tls = match hop.tls {
        TlsPolicy::None => false,
        TlsPolicy::May => offered,
        TlsPolicy::Encrypt | TlsPolicy::Verify => {
            if !offered {
                return Err(at(format!(
                    "STARTTLS is not offered, and relayhost_tls is {} (nothing is sent in the clear)",
                    hop.tls.as_str()
                )));
            }
            true
        }
    };
    if !want_tls {
        if s.credentials.is_some() && hop.relayhost {
            return Err(at(
                "credentials are only sent over TLS, and this hop has none".into(),
            ));
        }
        return Ok(Session::new(boxed(client), peer));
    }
    let connector = match hop.tls {
        TlsPolicy::Verify => super::tls::verifying(s.ca),
        _ => super::tls::unverified(),
    }
    .map_err(|e| at(format!("{e:#}")))?;
    let mut tls = client
        .start_tls(&connector, host)
        .await
        .map_err(|e| at(format!("TLS: {}", describe(&e).1)))?;
    let ehlo = tls.ehlo(env.helo).await.map_err(|e| at(describe(&e).1))?;
    if let (Some(login), true) = (s.credentials, hop.relayhost) {
        if let Err(e) = tls.authenticate(login.credentials(), &ehlo).await {
            // A refused login is the administrator's to fix, not the sender's: retry.
            let (code, text) = describe(&e);
            return Err(Outcome::Deferred(format!(
                "{code} {text} {LOGIN_REFUSED}{})",
                login.user
            )));
        }
    }
    Ok(Session::new(boxed(tls), peer))
}

fn boxed<T: Io + 'static>(c: SmtpClient<T>) -> Client {
    SmtpClient {
        stream: Box::new(c.stream),
        timeout: c.timeout,
    }
}

/// Whether an error leaves the session usable for another transaction: the peer
/// answered (and did not say it is closing).
fn answered(e: &mail_send::Error) -> bool {
    matches!(e, mail_send::Error::UnexpectedReply(r) if r.code != 421)
}

/// One transaction on `session`: MAIL, a RCPT per recipient, DATA. Returns the
/// outcomes and the session when it can carry another message. `None` only for a
/// `reused` session that turned out closed before anything was accepted.
async fn transaction(
    mut session: Session,
    env: &Envelope<'_>,
    reused: bool,
) -> Option<(Vec<Outcome>, Option<Session>)> {
    let client = &mut session.client;
    if let Err(e) = client.mail_from(env.sender, &Parameters::new()).await {
        if reused && !answered(&e) {
            tracing::debug!(peer = %session.peer, error = %e, "a cached session was closed by the peer: opening a new one");
            return None;
        }
        let keep = answered(&e) && client.rset().await.is_ok();
        return Some((all(env.rcpts, outcome_of(&e)), keep.then_some(session)));
    }
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(env.rcpts.len());
    let mut healthy = true;
    for r in env.rcpts {
        let refused = client.rcpt_to(r, &Parameters::new()).await.err();
        healthy &= refused.as_ref().is_none_or(answered);
        outcomes.push(refused.map(|e| outcome_of(&e)));
    }
    if outcomes.iter().all(Option::is_some) {
        let keep = healthy && client.rset().await.is_ok();
        return Some((
            outcomes.into_iter().flatten().collect(),
            keep.then_some(session),
        ));
    }
    // write_message adds the final CRLF . CRLF itself.
    let body = env.message.strip_suffix(b"\r\n").unwrap_or(env.message);
    let data = match client.data(body).await {
        Ok(r) => Outcome::from_reply(r.code, &reply_text(&r)),
        Err(e) => {
            // A refused DATA may leave the transaction open: RSET before reuse.
            healthy &= answered(&e) && client.rset().await.is_ok();
            outcome_of(&e)
        }
    };
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| data.clone()))
        .collect();
    Some((outcomes, healthy.then_some(session)))
}
