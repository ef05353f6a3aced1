//! Local delivery over LMTP (RFC 2033), through `mail-send`'s client: LHLO, MAIL, one
//! RCPT per recipient, DATA, and then one reply per accepted recipient, each that
//! recipient's outcome. The LMTP server (Dovecot, Cyrus) stores the mail and adds
//! `Return-Path` and `Delivered-To` itself.

use std::time::Duration;

use mail_send::smtp::message::Parameters;
use mail_send::SmtpClient;
use shared::settings::Lmtp;

use super::cache::Client;
use super::smtp::{describe, outcome_of, reply_text, Envelope};
use super::Outcome;

/// Delivers `env` to every recipient in it; a failure before any per-recipient reply
/// (no server, a refused MAIL) is every recipient's outcome.
pub async fn deliver(target: &Lmtp, env: &Envelope<'_>, timeout: Duration) -> Vec<Outcome> {
    let all = |o: Outcome| vec![o; env.rcpts.len()];
    let at = |why: String| Outcome::Deferred(format!("451 4.4.1 LMTP {target}: {why}"));
    let client = match tokio::time::timeout(timeout, connect(target, timeout)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return all(at(e.to_string())),
        Err(_) => return all(at("connection timed out".into())),
    };
    match session(client, env).await {
        Ok(outcomes) => outcomes,
        Err(why) => all(at(why)),
    }
}

async fn connect(target: &Lmtp, timeout: Duration) -> std::io::Result<Client> {
    Ok(match target {
        Lmtp::Unix(path) => SmtpClient {
            stream: Box::new(tokio::net::UnixStream::connect(path).await?),
            timeout,
        },
        Lmtp::Tcp(addr) => {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            // As for SMTP (deliver/smtp.rs): no 40 ms wait on the message's end.
            stream.set_nodelay(true)?;
            SmtpClient {
                stream: Box::new(stream),
                timeout,
            }
        }
    })
}

/// `Err` when the session failed before MAIL was answered.
async fn session(mut c: Client, env: &Envelope<'_>) -> Result<Vec<Outcome>, String> {
    let greeting = tokio::time::timeout(c.timeout, c.read())
        .await
        .map_err(|_| "no greeting".to_string())?
        .map_err(|e| describe(&e).1)?;
    if greeting.code != 220 {
        return Err(format!("greeting {} {}", greeting.code, greeting.message));
    }
    c.lhlo(env.helo).await.map_err(|e| describe(&e).1)?;
    if let Err(e) = c.mail_from(env.sender, &Parameters::new()).await {
        let o = outcome_of(&e);
        return Ok(vec![o; env.rcpts.len()]);
    }
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(env.rcpts.len());
    for r in env.rcpts {
        let refused = c.rcpt_to(r, &Parameters::new()).await.err();
        outcomes.push(refused.map(|e| outcome_of(&e)));
    }
    let accepted = outcomes.iter().filter(|o| o.is_none()).count();
    if accepted > 0 {
        let replies = data(&mut c, env.message, accepted).await;
        let mut replies = replies.into_iter();
        for o in outcomes.iter_mut().filter(|o| o.is_none()) {
            *o = replies.next();
        }
    }
    let _ = c.quit().await;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::Deferred("451 4.4.2 no LMTP reply".into())))
        .collect())
}

/// DATA and its `n` replies, in the order of the accepted RCPTs. Without all `n`
/// (the server went away), every one is deferred: a recipient stored before that is
/// then stored twice, never lost.
async fn data(c: &mut Client, message: &[u8], n: usize) -> Vec<Outcome> {
    let deferred = |why: String| vec![Outcome::Deferred(format!("451 4.4.2 LMTP DATA: {why}")); n];
    match c.cmd(b"DATA\r\n").await {
        Ok(r) if r.code == 354 => {}
        Ok(r) => return vec![Outcome::from_reply(r.code, &reply_text(&r)); n],
        Err(e) => return deferred(describe(&e).1),
    }
    // write_message adds the final CRLF . CRLF itself.
    let body = message.strip_suffix(b"\r\n").unwrap_or(message);
    let read = tokio::time::timeout(c.timeout, async {
        c.write_message(body).await?;
        c.read_many(n).await
    })
    .await;
    match read {
        Ok(Ok(replies)) if replies.len() == n => replies
            .iter()
            .map(|r| Outcome::from_reply(r.code, &reply_text(r)))
            .collect(),
        Ok(Ok(_)) => deferred("too few replies".into()),
        Ok(Err(e)) => deferred(describe(&e).1),
        Err(_) => deferred("timed out".into()),
    }
}
