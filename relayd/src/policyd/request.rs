//! Reading one Postfix policy request: `name=value` lines up to an empty line, bounded
//! in line length and count. Pure I/O on any reader, so the fuzz target includes it.

use std::collections::HashMap;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

/// Bounds on one request: Postfix's attributes are short and about 30.
pub const MAX_LINE: u64 = 4096;
pub const MAX_ATTRIBUTES: usize = 100;

/// One request's attributes; `None` at a clean end of the connection between requests,
/// `Some(Err)` for one that breaks the protocol's form.
pub async fn request<R: AsyncRead + Unpin>(
    read: &mut BufReader<R>,
) -> std::io::Result<Option<Result<HashMap<String, String>, &'static str>>> {
    let mut attributes = HashMap::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut *read)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(match attributes.is_empty() {
                true => None,
                false => Some(Err("connection closed inside a request")),
            });
        }
        if line.last() != Some(&b'\n') {
            return Ok(Some(Err("attribute line too long")));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            return Ok(Some(Ok(attributes)));
        }
        let Some((name, value)) = text.split_once('=') else {
            return Ok(Some(Err("a line without name=value")));
        };
        if attributes.len() >= MAX_ATTRIBUTES {
            return Ok(Some(Err("too many attributes")));
        }
        attributes.insert(name.to_string(), value.to_string());
    }
}
