//! One SMTP transaction with a next hop, through `mail-send`: greeting, EHLO, STARTTLS
//! as the hop's TLS policy says, AUTH (only over TLS), MAIL, one RCPT per recipient,
//! DATA. Each recipient gets its own outcome: a RCPT refusal is that recipient's, the
//! DATA reply is every accepted recipient's.

use std::net::SocketAddr;
use std::time::Duration;

use mail_send::smtp::message::Parameters;
use mail_send::{Credentials, SmtpClient};
use shared::settings::TlsPolicy;
use smtp_proto::{EhloResponse, EXT_START_TLS};
use tokio::io::{AsyncRead, AsyncWrite};

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
    pub credentials: Option<(&'a str, &'a str)>,
    pub ca: Option<&'a std::path::Path>,
}

/// A reply's text after its code: enhanced status (when the server sent one) and text.
fn text(r: &smtp_proto::Response<String>) -> String {
    let msg = r.message.replace(['\r', '\n'], " ");
    match r.esc {
        [0, _, _] => msg,
        [a, b, c] => format!("{a}.{b}.{c} {msg}"),
    }
}

/// The reply or failure, as one line for the queue and the log.
fn describe(e: &mail_send::Error) -> (u16, String) {
    match e {
        mail_send::Error::UnexpectedReply(r) | mail_send::Error::AuthenticationFailed(r) => {
            (r.code, text(r))
        }
        mail_send::Error::Timeout => (451, "4.4.2 timed out".into()),
        other => (451, format!("4.4.0 {other}")),
    }
}

fn all(rcpts: &[String], o: Outcome) -> Vec<Outcome> {
    vec![o; rcpts.len()]
}

/// Delivers to the first target that answers; a connection that fails moves on to the
/// next, and the last failure is every recipient's outcome.
pub async fn deliver(hop: &Hop, env: &Envelope<'_>, s: &Settings<'_>) -> Vec<Outcome> {
    let mut last = Outcome::Deferred("451 4.4.1 no address to try".into());
    for (host, addr) in &hop.targets {
        match attempt(hop, host, *addr, env, s).await {
            Ok(outcomes) => return outcomes,
            Err(o) => last = o,
        }
    }
    all(env.rcpts, last)
}

/// One connection. `Err` when this target could not take the transaction at all
/// (connection, greeting, TLS): the caller tries the next one.
async fn attempt(
    hop: &Hop,
    host: &str,
    addr: SocketAddr,
    env: &Envelope<'_>,
    s: &Settings<'_>,
) -> Result<Vec<Outcome>, Outcome> {
    let at = |why: String| Outcome::Deferred(format!("451 4.4.1 {host} [{addr}]: {why}"));
    let mut client = SmtpClient::connect(addr, s.timeout)
        .await
        .map_err(|e| at(describe(&e).1))?;
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
        return Ok(transaction(client, &ehlo, env, None).await);
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
    let creds = match (s.credentials, hop.relayhost) {
        (Some((u, p)), true) => Some(Credentials::new(u.to_string(), p.to_string())),
        _ => None,
    };
    Ok(transaction(tls, &ehlo, env, creds).await)
}

async fn transaction<T: AsyncRead + AsyncWrite + Unpin>(
    mut client: SmtpClient<T>,
    ehlo: &EhloResponse<String>,
    env: &Envelope<'_>,
    creds: Option<Credentials<String>>,
) -> Vec<Outcome> {
    let fail = |e: &mail_send::Error| {
        let (code, text) = describe(e);
        Outcome::from_reply(code, &text)
    };
    if let Some(c) = creds {
        if let Err(e) = client.authenticate(&c, ehlo).await {
            // A refused login is the administrator's to fix, not the sender's: retry.
            let (code, text) = describe(&e);
            return all(
                env.rcpts,
                Outcome::Deferred(format!("{code} {text} (AUTH to the relayhost)")),
            );
        }
    }
    if let Err(e) = client.mail_from(env.sender, &Parameters::new()).await {
        return all(env.rcpts, fail(&e));
    }
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(env.rcpts.len());
    for r in env.rcpts {
        outcomes.push(
            client
                .rcpt_to(r, &Parameters::new())
                .await
                .err()
                .map(|e| fail(&e)),
        );
    }
    if outcomes.iter().all(Option::is_some) {
        let _ = client.quit().await;
        return outcomes.into_iter().flatten().collect();
    }
    // write_message adds the final CRLF . CRLF itself.
    let body = env.message.strip_suffix(b"\r\n").unwrap_or(env.message);
    let data = match client.data(body).await {
        Ok(r) => Outcome::from_reply(r.code, &text(&r)),
        Err(e) => fail(&e),
    };
    let _ = client.quit().await;
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| data.clone()))
        .collect()
}
