//! Reading a message after `DATA`. Only `<CRLF>.<CRLF>` ends it; a bare CR or a bare LF
//! anywhere marks the message as refused (SMTP smuggling: another server may see an end
//! where we see none) but reading goes on to the real end, so nothing a client hides in
//! the body is ever taken as a command. The message goes to a sink (the spool file) as it
//! arrives, so a session never holds a whole message in memory; size is capped while
//! reading: past the limit bytes are counted and dropped.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Debug, PartialEq, Eq)]
pub enum Body {
    /// The message went to the sink, dot-unstuffed, CRLF line ends: this many bytes.
    Complete(u64),
    /// Over `max` bytes; the whole body was read and dropped.
    TooBig,
    /// A bare CR or LF was seen; the whole body was read and dropped.
    BareNewline,
    /// A line is longer than RFC 5322's 998 octets (a strict next hop would refuse the
    /// message after we took it); the whole body was read and dropped.
    LongLine,
}

/// RFC 5322 2.1.1: a line is at most 998 characters, CRLF not counted.
pub const MAX_LINE: usize = 998;

#[derive(Debug)]
pub enum BodyError {
    /// The client went away before the end of the message.
    Eof,
    Timeout,
    Io(std::io::Error),
    /// The sink (the spool file) failed: a full disk, say.
    Sink(std::io::Error),
}

/// Reads up to and including the terminating `.` line, writing the message to `sink`
/// while it stays acceptable (`max` bytes, no bare CR or LF); `idle` bounds each wait for
/// bytes, `total` the whole. After a refusal the sink holds a partial message: the caller
/// drops it.
pub async fn read_body<R: AsyncBufRead + Unpin, W: AsyncWrite + Unpin>(
    reader: &mut R,
    sink: &mut W,
    max: u64,
    idle: Duration,
    total: Duration,
) -> Result<Body, BodyError> {
    // Saturating: the settings cap timeouts, but a deadline must never be able to panic.
    let now = tokio::time::Instant::now();
    let deadline = now
        .checked_add(total)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 86_400));
    let mut line: Vec<u8> = Vec::with_capacity(1024);
    let mut size: u64 = 0;
    let mut bare = false;
    // The current line began in bytes already flushed (a very long line): it is not at
    // the start of a line, so it can neither end DATA nor be dot-stuffed.
    let mut continued = false;
    // The previous line ended with a real CRLF (true at the start): only then can `.`
    // CRLF end the message. After `a<LF>` a following `.<CR><LF>` is content to us, as it
    // is to every server that knows only CRLF; ending there is how smuggling works.
    let mut after_crlf = true;
    // Octets of the current line already written (a line longer than the buffer).
    let mut carried = 0usize;
    let mut long = false;
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
        let last = if newline {
            let well_formed = line.ends_with(b"\r\n") && !has_bare_cr(&line[..line.len() - 2]);
            if well_formed && after_crlf && !continued && line == b".\r\n" {
                break;
            }
            bare |= !well_formed;
            after_crlf = well_formed;
            None
        } else if line.len() > 64 * 1024 {
            // Flush all but the last byte (it may be the CR of a CRLF to come).
            let last = line.pop();
            bare |= has_bare_cr(&line);
            last
        } else {
            continue;
        };
        let content = unstuff(&line, continued);
        size += content.len() as u64;
        let text = if newline {
            content.len().saturating_sub(2)
        } else {
            content.len()
        };
        long |= carried + text > MAX_LINE;
        carried = if newline { 0 } else { carried + text };
        if size <= max && !bare && !long {
            sink.write_all(content).await.map_err(BodyError::Sink)?;
        }
        line.clear();
        continued = last.is_some();
        line.extend(last);
    }
    Ok(if bare {
        Body::BareNewline
    } else if size > max {
        Body::TooBig
    } else if long {
        Body::LongLine
    } else {
        sink.flush().await.map_err(BodyError::Sink)?;
        Body::Complete(size)
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

    /// (outcome, what the sink got, what was left unread)
    async fn body(input: &[u8], max: u64) -> (Result<Body, BodyError>, Vec<u8>, Vec<u8>) {
        let mut reader = tokio::io::BufReader::new(input);
        let mut sink = Vec::new();
        let r = read_body(
            &mut reader,
            &mut sink,
            max,
            Duration::from_secs(1),
            Duration::from_secs(5),
        )
        .await;
        let mut rest = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut rest)
            .await
            .unwrap();
        (r, sink, rest)
    }

    #[tokio::test]
    async fn plain_message_and_dot_unstuffing() {
        let (r, sink, rest) = body(
            b"Subject: x\r\n\r\n..leading dot\r\nend\r\n.\r\nQUIT\r\n",
            1000,
        )
        .await;
        assert_eq!(sink, b"Subject: x\r\n\r\n.leading dot\r\nend\r\n");
        assert_eq!(r.unwrap(), Body::Complete(sink.len() as u64));
        assert_eq!(rest, b"QUIT\r\n");
        let (r, sink, _) = body(b".\r\n", 1000).await;
        assert_eq!(r.unwrap(), Body::Complete(0));
        assert!(sink.is_empty());
    }

    #[tokio::test]
    async fn lines_over_998_octets_are_refused_after_the_end() {
        let ok = [b"a".repeat(998), b"\r\n.\r\n".to_vec()].concat();
        assert_eq!(body(&ok, 1 << 20).await.0.unwrap(), Body::Complete(1000));
        for n in [999, 70_000] {
            let input = [
                b"x\r\n".to_vec(),
                b"a".repeat(n),
                b"\r\n.\r\nQUIT\r\n".to_vec(),
            ]
            .concat();
            let (r, _, rest) = body(&input, 1 << 20).await;
            assert_eq!(r.unwrap(), Body::LongLine, "{n}");
            assert_eq!(rest, b"QUIT\r\n", "read to the real end");
        }
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
            let (r, sink, rest) = body(&input, 1000).await;
            // Only the last real terminator ends it: nothing after it but QUIT is left.
            assert_eq!(rest, b"QUIT\r\n", "{:?}", String::from_utf8_lossy(smuggle));
            match r.unwrap() {
                Body::BareNewline => {}
                Body::Complete(n) => assert!(n > 0 && sink.len() as u64 == n, "kept as content"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn oversize_is_read_through_and_not_kept() {
        let mut input = Vec::new();
        for _ in 0..1000 {
            input.extend_from_slice(b"0123456789012345678901234567890123456789\r\n");
        }
        input.extend_from_slice(b".\r\nNOOP\r\n");
        let (r, sink, rest) = body(&input, 1000).await;
        assert_eq!(r.unwrap(), Body::TooBig);
        assert!(sink.len() <= 1000);
        assert_eq!(rest, b"NOOP\r\n");
    }

    #[tokio::test]
    async fn a_huge_line_without_newline_is_not_buffered_whole() {
        let mut input = vec![b'x'; 300_000];
        input.extend_from_slice(b"\r\n.\r\n");
        let (r, _, _) = body(&input, 100).await;
        assert_eq!(r.unwrap(), Body::TooBig);
        let mut input = vec![b'.'; 200_000];
        input.extend_from_slice(b"\r\n.\r\n");
        let (r, sink, _) = body(&input, 1 << 20).await;
        // Read through in pieces, and refused for its length (nothing kept).
        assert_eq!(r.unwrap(), Body::LongLine);
        assert!(sink.is_empty());
        // Only the first dot of a line is stuffing: 999 dots are a 998-octet line.
        let mut input = vec![b'.'; 999];
        input.extend_from_slice(b"\r\n.\r\n");
        let (r, sink, _) = body(&input, 1 << 20).await;
        assert_eq!(r.unwrap(), Body::Complete(1000));
        assert_eq!(sink.len(), 1000);
        let (r, _, _) = body(b"abc", 100).await;
        assert!(matches!(r, Err(BodyError::Eof)));
    }
}
