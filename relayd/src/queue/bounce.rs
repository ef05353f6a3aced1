//! Delivery status notifications (RFC 3464): one report to the envelope sender for
//! every recipient of a message that failed, as multipart/report with a human part,
//! the machine-readable message/delivery-status part, and the original's headers; and,
//! with `delay_warning_time`, one warning for the recipients still being retried.
//! Never for the null sender (a bounce is never bounced).

use std::path::Path;
use std::sync::Arc;

use shared::queue_state::{MessageState, RcptState};
use shared::spool::{Envelope, Spool};

use crate::state::{Shared, Wake};

/// One failed recipient: its address (with brackets), the status code (`5.1.1`), and
/// the last reply or reason.
pub struct Failed<'a> {
    pub rcpt: &'a str,
    pub status: String,
    pub diagnostic: &'a str,
}

/// The report lines for the recipients of `state` that are in state `which`.
pub fn entries(state: &MessageState, which: RcptState) -> Vec<Failed<'_>> {
    state
        .recipients
        .iter()
        .filter(|r| r.state == which)
        .map(|r| {
            let reply = r.last_reply.as_deref().unwrap_or(match which {
                RcptState::Deferred => "451 4.0.0 deferred",
                _ => "550 5.0.0 failed",
            });
            Failed {
                rcpt: &r.rcpt,
                status: status_of(reply),
                diagnostic: reply,
            }
        })
        .collect()
}

/// The enhanced status code in a reply line (`550 5.1.1 ...` -> `5.1.1`), or a generic
/// one for the class.
pub fn status_of(reply: &str) -> String {
    let mut words = reply.split_whitespace();
    let code = words.next().unwrap_or("");
    if let Some(esc) = words.next() {
        let parts: Vec<&str> = esc.split('.').collect();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            return esc.to_string();
        }
    }
    if code.starts_with('4') {
        "4.0.0".into()
    } else {
        "5.0.0".into()
    }
}

/// The original message's header section (up to its first empty line).
fn headers_of(message: &[u8]) -> &[u8] {
    match message.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => &message[..i + 2],
        None => message,
    }
}

/// What a report says of its recipients.
pub enum Kind {
    /// Given up: a bounce.
    Failed,
    /// Still being retried, until the given date (`Will-Retry-Until`).
    Delayed { until: String },
}

/// The report, as a queued message's bytes, and its envelope recipient.
pub fn report(
    hostname: &str,
    original: &Envelope,
    message: &[u8],
    failed: &[Failed<'_>],
    kind: &Kind,
    id: &str,
    date: &str,
) -> Vec<u8> {
    let (subject, intro, action, retry) = match kind {
        Kind::Failed => (
            "Undelivered Mail Returned to Sender",
            "Your message could not be delivered to one or more recipients:".to_string(),
            "failed",
            String::new(),
        ),
        Kind::Delayed { until } => (
            "Delayed Mail (still being sent)",
            format!("Your message has not been delivered yet to the recipients below. Nothing\r\nneeds to be done: delivery is retried until {until}."),
            "delayed",
            format!("Will-Retry-Until: {until}\r\n"),
        ),
    };
    let to = original
        .mail_from
        .trim_start_matches('<')
        .trim_end_matches('>');
    let boundary = format!("{id}/{hostname}");
    let mut human = String::new();
    for f in failed {
        human.push_str(&format!(
            "<{}>: {}\r\n",
            f.rcpt.trim_start_matches('<').trim_end_matches('>'),
            f.diagnostic
        ));
    }
    let mut status = format!(
        "Reporting-MTA: dns; {hostname}\r\nX-Relayd-Queue-ID: {}\r\nArrival-Date: {}\r\n",
        original.id,
        crate::date::rfc5322_date(original.received)
    );
    for f in failed {
        let addr = f.rcpt.trim_start_matches('<').trim_end_matches('>');
        status.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {addr}\r\nOriginal-Recipient: rfc822; {addr}\r\nAction: {action}\r\nStatus: {}\r\nDiagnostic-Code: smtp; {}\r\n{retry}",
            f.status, f.diagnostic
        ));
    }
    let mut out = format!(
        "From: Mail Delivery System <MAILER-DAEMON@{hostname}>\r\n\
         To: <{to}>\r\n\
         Subject: {subject}\r\n\
         Date: {date}\r\n\
         Message-ID: <{id}@{hostname}>\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\
         \r\n\
         This is a MIME-encapsulated message.\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         This is the mail system at {hostname}.\r\n\
         \r\n\
         {intro}\r\n\
         \r\n\
         {human}\r\n\
         --{boundary}\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         {status}\r\n\
         --{boundary}\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n"
    )
    .into_bytes();
    out.extend_from_slice(headers_of(message));
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// Queues a report on `env` to its sender, and wakes the runner for it.
pub async fn queue(
    shared: &Arc<Shared>,
    spool_dir: &Path,
    env: &Envelope,
    body: &[u8],
    failed: &[Failed<'_>],
    kind: &Kind,
) -> std::io::Result<()> {
    let host = shared.current().daemon.hostname.clone();
    let bounce_id = shared::spool::new_id();
    let text = report(
        &host,
        env,
        body,
        failed,
        kind,
        &bounce_id,
        &crate::date::rfc5322_date(shared::spool::now_secs()),
    );
    let mut benv = Envelope {
        id: bounce_id,
        received: shared::spool::now_secs(),
        client: std::net::IpAddr::from([127, 0, 0, 1]),
        helo: host,
        user: None,
        mail_from: "<>".into(),
        rcpt_to: vec![env.mail_from.clone()],
        size: 0,
    };
    let dir = spool_dir.to_path_buf();
    let (queued_id, written) = tokio::task::spawn_blocking(move || {
        let w = Spool::new(&dir).write(&mut benv, &text);
        (benv.id, w)
    })
    .await
    .map_err(std::io::Error::other)?;
    written?;
    match kind {
        Kind::Failed => {
            shared.count(&shared.stats.bounces_sent);
            tracing::info!(id = %env.id, bounce = %queued_id, to = %env.mail_from, failed = failed.len(), "bounce queued");
        }
        Kind::Delayed { .. } => {
            shared.count(&shared.stats.delay_warnings);
            tracing::info!(id = %env.id, warning = %queued_id, to = %env.mail_from, delayed = failed.len(), "delay warning queued");
        }
    }
    let _ = shared.queue.send(Wake::Queued(queued_id));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        assert_eq!(status_of("550 5.1.1 no such user"), "5.1.1");
        assert_eq!(status_of("554 rejected"), "5.0.0");
        assert_eq!(status_of("451 4.3.0 later"), "4.3.0");
    }
}
