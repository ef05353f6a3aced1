//! A message's header section read as fields, with their continuation lines: what DKIM
//! signing and the sender rewrite both look into.

/// The length of the header section through the line end of its last field (the empty
/// line after it not included); the whole message when there is no body.
pub fn head_len(message: &[u8]) -> usize {
    find(message, b"\r\n\r\n").map_or(message.len(), |i| i + 2)
}

/// Whether `field` is named `name` (without regard to case).
pub fn is(field: &[u8], name: &str) -> bool {
    field_name(field).eq_ignore_ascii_case(name.as_bytes())
}

/// A field's name, trimmed.
pub fn field_name(field: &[u8]) -> &[u8] {
    field
        .split(|&b| b == b':')
        .next()
        .unwrap_or(&[])
        .trim_ascii()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The header's fields, each with its continuation lines and line ends.
pub fn fields(head: &[u8]) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < head.len() {
        let end = find(&head[i..], b"\r\n").map_or(head.len(), |p| i + p + 2);
        // A line starting with space or tab continues the field before it.
        let continues = matches!(head.get(end), Some(b' ' | b'\t'));
        if !continues {
            fields.push(&head[start..end]);
            start = end;
        }
        i = end;
    }
    fields
}

/// A field's value with its folding undone, trimmed.
pub fn unfolded_value(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(field);
    let value = text.split_once(':').map_or("", |(_, v)| v);
    value
        .split("\r\n")
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
