//! The session's connection: command lines in, reply lines out. Replies are queued and
//! sent together when the client has pipelined more commands (RFC 2920); every read and
//! write is bounded in time. Knows nothing of SMTP's commands, only of lines and codes.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::conn::Conn;
use crate::state::Stop;

/// A command line, or the news that it was longer than the limit (its bytes dropped).
pub enum Line {
    Text(String),
    TooLong,
}

/// Why a session ends early.
#[derive(Debug)]
pub enum End {
    Gone,
    Timeout,
    /// relayd is stopping (SIGTERM) and the client was between commands.
    Shutdown,
}

/// Replies to pipelined commands wait for the batch, but never pile up: a client that
/// sends without reading is made to read (or time out) at this many bytes.
const MAX_QUEUED_REPLIES: usize = 64 * 1024;

pub struct Wire {
    /// `None` only while STARTTLS swaps the plain stream for a TLS one.
    pub io: Option<BufReader<Conn>>,
    out: Vec<u8>,
    /// A 4xx or 5xx reply was queued since `take_refused` last looked: the error limit
    /// counts every refusal, whichever command it answered.
    refused: bool,
}

impl Wire {
    pub fn new(conn: Conn) -> Wire {
        Wire {
            io: Some(BufReader::new(conn)),
            out: Vec::new(),
            refused: false,
        }
    }

    /// Queues one reply line (without CRLF).
    pub fn reply(&mut self, line: &str) {
        if matches!(line.as_bytes().first(), Some(b'4' | b'5')) {
            self.refused = true;
        }
        self.out.extend_from_slice(line.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    /// Whether a refusal was queued since the last call.
    pub fn take_refused(&mut self) -> bool {
        std::mem::take(&mut self.refused)
    }

    /// Sends queued replies, unless more pipelined commands are already waiting and
    /// `force` is false (then their replies go out together).
    pub async fn flush(&mut self, force: bool, timeout: Duration) -> Result<(), End> {
        let Some(io) = self.io.as_mut() else {
            return Err(End::Gone);
        };
        let batching = !force && !io.buffer().is_empty() && self.out.len() < MAX_QUEUED_REPLIES;
        if self.out.is_empty() || batching {
            return Ok(());
        }
        let out = std::mem::take(&mut self.out);
        let w = io.get_mut();
        let write = async {
            w.write_all(&out).await?;
            w.flush().await
        };
        match tokio::time::timeout(timeout, write).await {
            Ok(Ok(())) => Ok(()),
            // A client that does not read its replies holds a slot; it loses it.
            Ok(Err(_)) | Err(_) => Err(End::Gone),
        }
    }

    /// Reads one line of at most `limit` bytes (CRLF or LF stripped). Between commands
    /// (`stopping` reaches `ends_at` and nothing of the line has arrived) the session
    /// ends with `End::Shutdown`.
    pub async fn read_line(
        &mut self,
        limit: usize,
        timeout: Duration,
        stopping: &mut tokio::sync::watch::Receiver<Stop>,
        ends_at: Stop,
    ) -> Result<Line, End> {
        self.flush(false, timeout).await?;
        let io = self.io.as_mut().ok_or(End::Gone)?;
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let read = tokio::select! {
                r = tokio::time::timeout(timeout, io.fill_buf()) => r,
                _ = stopping.wait_for(|s| *s >= ends_at), if line.is_empty() => return Err(End::Shutdown),
            };
            let buf = match read {
                Err(_) => return Err(End::Timeout),
                Ok(Err(_)) => return Err(End::Gone),
                Ok(Ok(b)) => b,
            };
            if buf.is_empty() {
                return Err(End::Gone);
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if !too_long {
                line.extend_from_slice(&buf[..take]);
                if line.len() > limit {
                    too_long = true;
                    line.clear();
                }
            }
            io.consume(take);
            if done {
                break;
            }
        }
        if too_long {
            return Ok(Line::TooLong);
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        Ok(Line::Text(String::from_utf8_lossy(&line).into_owned()))
    }

    /// Closes the connection after the last replies (bounded: a client that stopped
    /// reading is not waited for long).
    pub async fn close(&mut self, timeout: Duration) {
        let _ = self.flush(true, timeout).await;
        if let Some(io) = self.io.as_mut() {
            let _ = tokio::time::timeout(Duration::from_secs(5), io.get_mut().shutdown()).await;
        }
    }
}
