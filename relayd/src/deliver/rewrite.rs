//! `sender_rewrite`: mail leaving through the relayhost goes out as the mailbox the
//! relayhost accepts, since cloud smarthosts refuse a sender that is not the
//! authenticated mailbox and devices cannot be taught another. The envelope sender and
//! the `From:` header become the new address (keeping a display name); the original
//! `From:` goes to `Reply-To:` unless the message has one, so replies still reach the
//! device's owner, and to `X-Original-From:` (with the envelope sender in
//! `X-Original-Sender:`) as a trace. The body is not touched.

use shared::headers;

/// The message with its sender rewritten to `new`; `sender` is the envelope sender.
pub fn rewrite(message: &[u8], sender: &str, new: &str) -> Vec<u8> {
    let (head, body) = message.split_at(headers::head_len(message));
    let fields = headers::fields(head);
    let named = |name: &str| fields.iter().position(|f| headers::is(f, name));
    let from_at = named("from");
    let has_reply_to = named("reply-to").is_some();
    let original = from_at.map(|i| headers::unfolded_value(fields[i]));
    let display = original
        .as_deref()
        .and_then(|v| v.split_once('<').map(|(d, _)| d.trim().to_string()))
        .filter(|d| !d.is_empty());
    let mut added = Vec::new();
    added.extend_from_slice(
        match &display {
            Some(d) => format!("From: {d} <{new}>\r\n"),
            None => format!("From: <{new}>\r\n"),
        }
        .as_bytes(),
    );
    let original_from = original.clone().unwrap_or_else(|| format!("<{sender}>"));
    if !has_reply_to {
        added.extend_from_slice(format!("Reply-To: {original_from}\r\n").as_bytes());
    }
    added.extend_from_slice(format!("X-Original-From: {original_from}\r\n").as_bytes());
    added.extend_from_slice(format!("X-Original-Sender: <{sender}>\r\n").as_bytes());
    let mut out = Vec::with_capacity(message.len() + added.len());
    let at = from_at.unwrap_or(fields.len());
    for (i, f) in fields.iter().enumerate() {
        if i == at {
            out.extend_from_slice(&added);
        } else {
            out.extend_from_slice(f);
        }
    }
    if at == fields.len() {
        out.extend_from_slice(&added);
    }
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    fn text(m: &[u8]) -> String {
        String::from_utf8(m.to_vec()).unwrap()
    }

    #[test]
    fn from_replaced_original_kept_in_reply_to_and_trace() {
        let m = b"Received: by x\r\nFrom: Scanner 3F\r\n <scan@printer.lan>\r\nSubject: s\r\n\r\nbody\r\nFrom: not a header\r\n";
        let out = text(&rewrite(m, "scan@printer.lan", "office@example.com"));
        assert_eq!(
            out,
            "Received: by x\r\nFrom: Scanner 3F <office@example.com>\r\nReply-To: Scanner 3F <scan@printer.lan>\r\n\
             X-Original-From: Scanner 3F <scan@printer.lan>\r\nX-Original-Sender: <scan@printer.lan>\r\n\
             Subject: s\r\n\r\nbody\r\nFrom: not a header\r\n"
        );
    }

    #[test]
    fn a_reply_to_stays_and_a_missing_from_is_added() {
        let m = b"reply-to: <boss@example.com>\r\nFROM: dev@lan\r\n\r\nx\r\n";
        let out = text(&rewrite(m, "dev@lan", "o@example.com"));
        assert_eq!(
            out,
            "reply-to: <boss@example.com>\r\nFrom: <o@example.com>\r\nX-Original-From: dev@lan\r\nX-Original-Sender: <dev@lan>\r\n\r\nx\r\n"
        );
        let out = text(&rewrite(
            b"Subject: s\r\n\r\nx\r\n",
            "dev@lan",
            "o@example.com",
        ));
        assert!(
            out.starts_with("Subject: s\r\nFrom: <o@example.com>\r\nReply-To: <dev@lan>\r\n"),
            "{out}"
        );
        assert!(out.ends_with("\r\n\r\nx\r\n"));
    }
}
