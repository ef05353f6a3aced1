//! A reader for exactly the layout `encode` writes, several times faster than the
//! general property-list parser: relayctl and relayd read the whole domain file on every
//! command and every whole reload, and at 100,000 trusted hosts the general parser's
//! tree of values was most of that. Anything else (another key order, comments,
//! entities other than the five XML ones and character references, a binary plist, a
//! damaged file) makes it answer `None`, and the general parser reads the file and
//! reports what is wrong with it; so a file this reader accepts means exactly what the
//! general parser would make of it (the tests compare the two).

use std::borrow::Cow;
use std::collections::HashMap;

use super::tree::{DirId, Directory, Domain, Property, ROOT};

/// The declarations `encode` writes; others (another encoding, a DOCTYPE whose internal
/// subset could define entities) go to the general parser.
const XML_DECLARATION: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
const DOCTYPE: &[u8] =
    b"<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">";

pub(crate) fn decode(bytes: &[u8], format: &str, version: u64) -> Option<Domain> {
    // Checked once here, so that each of a list's 100,000 texts is sliced, not checked.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut p = Reader {
        s: text,
        b: bytes,
        i: 0,
    };
    p.declaration(b"<?xml", XML_DECLARATION)?;
    p.declaration(b"<!DOCTYPE", DOCTYPE)?;
    p.tag(b"<plist version=\"1.0\">")?;
    p.tag(b"<dict>")?;
    p.key("format")?;
    (p.string()? == format).then_some(())?;
    p.key("version")?;
    (p.integer()? == version).then_some(())?;
    p.key("serial")?;
    let serial = p.integer()?;
    p.key("next_id")?;
    let next_id = DirId::try_from(p.integer()?).ok()?;
    p.key("root")?;
    let mut dirs = HashMap::new();
    let root = p.dir(None, &mut dirs)?;
    p.tag(b"</dict>")?;
    p.tag(b"</plist>")?;
    p.space();
    (p.i == bytes.len() && root == ROOT).then_some(())?;
    let next_id = next_id.max(dirs.keys().max()?.saturating_add(1));
    Some(Domain::from_parts(dirs, next_id, serial))
}

struct Reader<'a> {
    /// The file, and the same as bytes.
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// A declaration starting `open`, if present, which must be exactly `whole`.
    fn declaration(&mut self, open: &[u8], whole: &[u8]) -> Option<()> {
        self.space();
        if !self.b[self.i..].starts_with(open) {
            return Some(());
        }
        self.tag(whole)
    }

    fn tag(&mut self, tag: &[u8]) -> Option<()> {
        self.space();
        self.b[self.i..]
            .starts_with(tag)
            .then(|| self.i += tag.len())
    }

    fn at(&mut self, tag: &[u8]) -> bool {
        self.space();
        self.b[self.i..].starts_with(tag)
    }

    /// Text up to the next `<`, unescaped.
    fn text(&mut self) -> Option<Cow<'a, str>> {
        let rest = self.b.get(self.i..)?;
        let len = rest.iter().position(|&c| c == b'<')?;
        // Both ends sit next to ASCII bytes, so they are character boundaries.
        let raw = self.s.get(self.i..self.i + len)?;
        self.i += len;
        // The common case in one pass: nothing to unescape or to look at twice.
        if !raw.bytes().any(|c| matches!(c, b'\r' | b'&' | b'>')) {
            return Some(Cow::Borrowed(raw));
        }
        // XML turns CR LF into LF, and `>` after `]]` is an error: the general parser's.
        if raw.contains('\r') || raw.contains("]]>") {
            return None;
        }
        if !raw.contains('&') {
            return Some(Cow::Borrowed(raw));
        }
        unescape(raw).map(Cow::Owned)
    }

    fn key(&mut self, name: &str) -> Option<()> {
        self.tag(b"<key>")?;
        (self.text()? == name).then_some(())?;
        self.tag(b"</key>")
    }

    fn string(&mut self) -> Option<String> {
        if self.at(b"<string/>") {
            self.i += b"<string/>".len();
            return Some(String::new());
        }
        self.tag(b"<string>")?;
        let text = self.text()?.into_owned();
        self.tag(b"</string>")?;
        Some(text)
    }

    fn integer(&mut self) -> Option<u64> {
        self.tag(b"<integer>")?;
        let rest = &self.b[self.i..];
        let len = rest.iter().position(|c| !c.is_ascii_digit())?;
        let n = std::str::from_utf8(&rest[..len]).ok()?.parse().ok()?;
        self.i += len;
        self.tag(b"</integer>")?;
        Some(n)
    }

    fn array<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        if self.at(b"<array/>") {
            self.i += b"<array/>".len();
            return Some(Vec::new());
        }
        self.tag(b"<array>")?;
        let mut out = Vec::new();
        while !self.at(b"</array>") {
            out.push(item(self)?);
        }
        self.i += b"</array>".len();
        Some(out)
    }

    fn property(&mut self) -> Option<Property> {
        self.tag(b"<dict>")?;
        self.key("key")?;
        let key = self.string()?;
        self.key("values")?;
        let values = self.array(Self::string)?;
        self.tag(b"</dict>")?;
        Some(Property { key, values })
    }

    fn dir(
        &mut self,
        parent: Option<DirId>,
        dirs: &mut HashMap<DirId, Directory>,
    ) -> Option<DirId> {
        self.tag(b"<dict>")?;
        self.key("id")?;
        let id = DirId::try_from(self.integer()?).ok()?;
        self.key("properties")?;
        let properties = self.array(Self::property)?;
        if dirs.contains_key(&id) {
            return None;
        }
        dirs.insert(
            id,
            Directory {
                id,
                parent,
                properties,
                children: Vec::new(),
            },
        );
        self.key("children")?;
        let children = self.array(|p| p.dir(Some(id), dirs))?;
        self.tag(b"</dict>")?;
        dirs.get_mut(&id)?.children = children;
        Some(id)
    }
}

/// The five predefined entities and character references; anything else is `None`.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';')? + at;
        let name = &rest[at + 1..end];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match name.strip_prefix("#x") {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => name.strip_prefix('#')?.parse().ok()?,
                };
                // XML's Char production: no NUL or other C0 controls but tab, LF, CR.
                let c = char::from_u32(code)?;
                if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') {
                    return None;
                }
                c
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}
