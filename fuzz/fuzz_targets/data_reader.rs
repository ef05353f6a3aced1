//! The DATA reader (`relayd/src/smtp/body.rs`, included by path), fed in arbitrary
//! chunks, against a line-by-line reading of the same bytes: only CRLF.CRLF ends the
//! data, nothing after it is consumed, leading dots are unstuffed, and a bare CR or LF,
//! an overlong line or a body over the limit is what the reader says it is.
#![no_main]
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncRead, BufReader, ReadBuf};

#[path = "../../relayd/src/smtp/body.rs"]
#[allow(dead_code)]
mod body;

/// Hands out the stream in chunks whose sizes cycle through `sizes`.
struct Chunks {
    data: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    turn: usize,
}

impl AsyncRead for Chunks {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let me = &mut *self;
        let n = me.sizes[me.turn % me.sizes.len()]
            .min(me.data.len() - me.at)
            .min(buf.remaining());
        me.turn += 1;
        buf.put_slice(&me.data[me.at..me.at + n]);
        me.at += n;
        Poll::Ready(Ok(()))
    }
}

/// What the reader must do with `data`: the outcome, the message, and how many bytes
/// it consumed (`None`: no end, so it must report the end of the stream).
fn reference(data: &[u8], max: u64) -> Option<(body::Body, Vec<u8>, usize)> {
    let (mut out, mut at, mut after_crlf) = (Vec::new(), 0, true);
    let (mut bare, mut long, mut size) = (false, false, 0u64);
    while at < data.len() {
        let end = data[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| at + i + 1)?;
        let line = &data[at..end];
        at = end;
        let well_formed = line.ends_with(b"\r\n") && !line[..line.len() - 2].contains(&b'\r');
        if well_formed && after_crlf && line == b".\r\n" {
            let outcome = if bare {
                body::Body::BareNewline
            } else if size > max {
                body::Body::TooBig
            } else if long {
                body::Body::LongLine
            } else {
                body::Body::Complete(size)
            };
            return Some((outcome, out, at));
        }
        bare |= !well_formed;
        after_crlf = well_formed;
        let content = line.strip_prefix(b".").unwrap_or(line);
        size += content.len() as u64;
        long |= content.len().saturating_sub(2) > body::MAX_LINE;
        if size <= max && !bare && !long {
            out.extend_from_slice(content);
        }
    }
    None
}

fuzz_target!(|input: &[u8]| {
    let Some((&shape, data)) = input.split_first() else {
        return;
    };
    // The reader's buffers are 64 KiB: longer bodies take another path, not this one's.
    if data.len() > 60_000 {
        return;
    }
    let sizes: Vec<usize> = (0..4)
        .map(|i| 1 + ((shape as usize >> (2 * i)) & 3) * 7)
        .collect();
    let max = if shape & 0x80 != 0 {
        (shape as u64 & 0x3f) * 8
    } else {
        u64::MAX
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let mut reader = BufReader::with_capacity(
        16,
        Chunks {
            data: data.to_vec(),
            at: 0,
            sizes,
            turn: 0,
        },
    );
    let mut sink = Vec::new();
    let got = rt.block_on(body::read_body(
        &mut reader,
        &mut sink,
        max,
        Duration::from_secs(5),
        Duration::from_secs(5),
    ));
    match (reference(data, max), got) {
        (None, Err(body::BodyError::Eof)) => {}
        (Some((want, message, used)), Ok(outcome)) => {
            assert_eq!(outcome, want, "outcome");
            if matches!(want, body::Body::Complete(_)) {
                assert_eq!(sink, message, "message");
            }
            let left = reader.buffer().len() + (data.len() - reader.get_ref().at);
            assert_eq!(data.len() - left, used, "bytes consumed");
        }
        (want, got) => panic!("reference {:?}, reader {got:?}", want.map(|w| w.0)),
    }
});
