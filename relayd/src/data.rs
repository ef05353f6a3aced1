//! Reading a message after `DATA`. Only `<CRLF>.<CRLF>` ends it; a bare CR or a bare LF
//! anywhere marks the message as refused (SMTP smuggling: another server may see an end
//! where we see none) but reading goes on to the real end, so nothing a client hides in
//! the body is ever taken as a command. Size is capped while reading: past the limit
//! bytes are counted and dropped, never buffered.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

#[derive(Debug, PartialEq, Eq)]
pub enum Body {
    /// The message, dot-unstuffed, CRLF line ends.
    Complete(Vec<u8>),
    /// Over `max` bytes; the whole body was read and dropped.
    TooBig,
    /// A bare CR or LF was seen; the whole body was read and dropped.
    BareNewline,
}

#[derive(Debug)]
pub enum BodyError {
    /// The client went away before the end of the message.
    Eof,
    Timeout,
    Io(std::io::Error),
}

/// Reads up to and including the terminating `.` line, appending the message to
/// `prefix` (relayd's `Received:` header: the message is never copied a second time).
/// `max` counts the message alone; `idle` bounds each wait for bytes, `total` the whole.
pub async fn read_body<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    prefix: Vec<u8>,
    max: u64,
    idle: Duration,
    total: Duration,
) -> Result<Body, BodyError> {
    let deadline = tokio::time::Instant::now() + total;
    let mut message = prefix;
    let mut line: Vec<u8> = Vec::with_capacity(1024);
    let mut size: u64 = 0;
    let mut bare = false;
    // Counts every byte and keeps them only while the message is still acceptable.
    let keep = |content: &[u8], bare: bool, size: &mut u64, message: &mut Vec<u8>| {
        *size += content.len() as u64;
        if *size <= max && !bare {
            message.extend_from_slice(content);
        }
    };
    // The current line began in bytes already flushed (a very long line): it is not at
    // the start of a line, so it can neither end DATA nor be dot-stuffed.
    let mut continued = false;
    // The previous line ended with a real CRLF (true at the start): only then can `.`
    // CRLF end the message. After `a<LF>` a following `.<CR><LF>` is content to us, as it
    // is to every server that knows only CRLF; ending there is how smuggling works.
    let mut after_crlf = true;
    loop {
        let wait = idle.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let chunk = match tokio::time::timeout(wait, reader.fill_buf()).await {
            Err(_) => return Err(BodyError::Timeout),
            Ok(Err(e)) => return Err(BodyError::Io(e)),
            Ok(Ok(c)) => c,
        };
        if chunk.is_empty() {
            return Err(BodyError::Eof);
        }
        let (take, newline) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        line.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        if !newline {
            if line.len() > 64 * 1024 {
                // Flush all but the last byte (it may be the CR of a CRLF to come).
                let last = line.pop().unwrap_or_default();
                bare |= has_bare_cr(&line);
                keep(unstuff(&line, continued), bare, &mut size, &mut message);
                line.clear();
                line.push(last);
                continued = true;
            }
            continue;
        }
        let well_formed = line.ends_with(b"\r\n") && !has_bare_cr(&line[..line.len() - 2]);
        if well_formed && after_crlf && !continued && line == b".\r\n" {
            break;
        }
        bare |= !well_formed;
        keep(unstuff(&line, continued), bare, &mut size, &mut message);
        line.clear();
        continued = false;
        after_crlf = well_formed;
    }
    Ok(if bare {
        Body::BareNewline
    } else if size > max {
        Body::TooBig
    } else {
        Body::Complete(message)
    })
}

/// RFC 5321 4.5.2: a leading dot at the start of a line was doubled by the client.
fn unstuff(line: &[u8], continued: bool) -> &[u8] {
    match line.first() {
        Some(b'.') if !continued => &line[1..],
        _ => line,
    }
}

fn has_bare_cr(bytes: &[u8]) -> bool {
    bytes.contains(&b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(input: &[u8], max: u64) -> (Result<Body, BodyError>, Vec<u8>) {
        let mut reader = tokio::io::BufReader::new(input);
        let r = read_body(
            &mut reader,
            Vec::new(),
            max,
            Duration::from_secs(1),
            Duration::from_secs(5),
        )
        .await;
        let mut rest = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut rest)
            .await
            .unwrap();
        (r, rest)
    }

    #[tokio::test]
    async fn plain_message_and_dot_unstuffing() {
        let (r, rest) = body(
            b"Subject: x\r\n\r\n..leading dot\r\nend\r\n.\r\nQUIT\r\n",
            1000,
        )
        .await;
        assert_eq!(
            r.unwrap(),
            Body::Complete(b"Subject: x\r\n\r\n.leading dot\r\nend\r\n".to_vec())
        );
        assert_eq!(rest, b"QUIT\r\n");
        let (r, _) = body(b".\r\n", 1000).await;
        assert_eq!(r.unwrap(), Body::Complete(vec![]));
    }

    #[tokio::test]
    async fn smuggling_never_ends_data_early() {
        for smuggle in [
            &b"a\r\n\n.\nMAIL FROM:<x@y>\r\n"[..],
            b"a\n.\r\nMAIL FROM:<x@y>\r\n",
            b"a\r\n.\nMAIL FROM:<x@y>\r\n",
            b"a\r.\r\nMAIL FROM:<x@y>\r\n",
            b"a\r\n.\rMAIL FROM:<x@y>\r\n",
            b"a\r\n\x00.\r\nMAIL FROM:<x@y>\r\n",
            b"a\r\r\n.\r\r\nMAIL FROM:<x@y>\r\n",
        ] {
            let mut input = smuggle.to_vec();
            input.extend_from_slice(b"RCPT TO:<z@w>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n");
            let (r, rest) = body(&input, 1000).await;
            let r = r.unwrap();
            // Only the last real terminator ends it: nothing after it but QUIT is left.
            assert_eq!(rest, b"QUIT\r\n", "{:?}", String::from_utf8_lossy(smuggle));
            match r {
                Body::BareNewline => {}
                Body::Complete(m) => assert!(!m.is_empty(), "kept as content"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn the_message_follows_the_prefix_and_the_limit_counts_the_message_only() {
        let mut reader = tokio::io::BufReader::new(&b"abcd\r\n.\r\n"[..]);
        let prefix = b"Received: x\r\n".to_vec();
        let r = read_body(
            &mut reader,
            prefix,
            6,
            Duration::from_secs(1),
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(
            r.unwrap(),
            Body::Complete(b"Received: x\r\nabcd\r\n".to_vec())
        );
    }

    #[tokio::test]
    async fn oversize_is_read_through_and_dropped() {
        let mut input = Vec::new();
        for _ in 0..1000 {
            input.extend_from_slice(b"0123456789012345678901234567890123456789\r\n");
        }
        input.extend_from_slice(b".\r\nNOOP\r\n");
        let (r, rest) = body(&input, 1000).await;
        assert_eq!(r.unwrap(), Body::TooBig);
        assert_eq!(rest, b"NOOP\r\n");
    }

    #[tokio::test]
    async fn a_huge_line_without_newline_is_not_buffered_whole() {
        let mut input = vec![b'x'; 300_000];
        input.extend_from_slice(b"\r\n.\r\n");
        let (r, _) = body(&input, 100).await;
        assert_eq!(r.unwrap(), Body::TooBig);
        let (r, _) = body(b"abc", 100).await;
        assert!(matches!(r, Err(BodyError::Eof)));
    }
}
