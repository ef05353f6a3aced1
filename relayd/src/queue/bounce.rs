//! Delivery status notifications (RFC 3464): one report to the envelope sender for
//! every recipient of a message that failed, as multipart/report with a human part,
//! the machine-readable message/delivery-status part, and the original's headers.
//! Never for the null sender (a bounce is never bounced).

use shared::spool::Envelope;

/// One failed recipient: its address (with brackets), the status code (`5.1.1`), and
/// the last reply or reason.
pub struct Failed<'a> {
    pub rcpt: &'a str,
    pub status: String,
    pub diagnostic: &'a str,
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

/// The report, as a queued message's bytes, and its envelope recipient.
pub fn report(
    hostname: &str,
    original: &Envelope,
    message: &[u8],
    failed: &[Failed<'_>],
    id: &str,
    date: &str,
) -> Vec<u8> {
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
            "\r\nFinal-Recipient: rfc822; {addr}\r\nOriginal-Recipient: rfc822; {addr}\r\nAction: failed\r\nStatus: {}\r\nDiagnostic-Code: smtp; {}\r\n",
            f.status, f.diagnostic
        ));
    }
    let mut out = format!(
        "From: Mail Delivery System <MAILER-DAEMON@{hostname}>\r\n\
         To: <{to}>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
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
         Your message could not be delivered to one or more recipients:\r\n\
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
