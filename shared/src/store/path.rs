//! NetInfo paths: `/config/AppleMailServer`, `/name=users/uid=501`, `a\/b` for a name
//! holding a slash, or a bare directory id such as `12`.

use super::error::{Result, StoreError};
use super::tree::DirId;

/// One step of a path: the child whose property `key` holds `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NiPath {
    /// A numeric directory id standing for a path.
    Id(DirId),
    /// Steps from the root; empty means the root itself.
    Steps(Vec<Component>),
}

impl NiPath {
    pub fn parse(text: &str) -> Result<NiPath> {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse::<DirId>()
                .map(NiPath::Id)
                .map_err(|_| StoreError::BadPath {
                    path: text.to_string(),
                    why: "directory id out of range".into(),
                });
        }
        let mut steps = Vec::new();
        for part in split_unescaped(text, '/') {
            if part.is_empty() {
                continue;
            }
            let (key, value) = match find_unescaped(&part, '=') {
                Some(i) => (unescape(&part[..i]), unescape(&part[i + 1..])),
                None => ("name".to_string(), unescape(&part)),
            };
            if key.is_empty() {
                return Err(StoreError::BadPath {
                    path: text.to_string(),
                    why: format!("empty property key in `{part}`"),
                });
            }
            steps.push(Component { key, value });
        }
        Ok(NiPath::Steps(steps))
    }
}

/// Splits on `sep` where it is not escaped by a backslash; escapes are kept for `unescape`.
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let last = parts.last_mut().expect("parts is never empty");
                last.push('\\');
                if let Some(next) = chars.next() {
                    last.push(next);
                }
            }
            c if c == sep => parts.push(String::new()),
            c => parts.last_mut().expect("parts is never empty").push(c),
        }
    }
    parts
}

fn find_unescaped(text: &str, wanted: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == wanted {
            return Some(i);
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Escapes a name for use as one path component.
pub fn escape_component(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '/' | '\\' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(text: &str) -> Vec<(String, String)> {
        match NiPath::parse(text).unwrap() {
            NiPath::Steps(s) => s.into_iter().map(|c| (c.key, c.value)).collect(),
            NiPath::Id(_) => panic!("not steps"),
        }
    }

    #[test]
    fn plain_and_keyed_components() {
        assert_eq!(
            steps("/config/AppleMailServer"),
            vec![
                ("name".into(), "config".into()),
                ("name".into(), "AppleMailServer".into())
            ]
        );
        assert_eq!(
            steps("/name=users/uid=501"),
            vec![
                ("name".into(), "users".into()),
                ("uid".into(), "501".into())
            ]
        );
        assert_eq!(steps("/"), vec![]);
        assert_eq!(steps("users//alice/"), steps("/users/alice"));
    }

    #[test]
    fn escapes() {
        assert_eq!(
            steps(r"/mounts/server:\/export"),
            vec![
                ("name".into(), "mounts".into()),
                ("name".into(), "server:/export".into())
            ]
        );
        assert_eq!(steps(r"/a\=b"), vec![("name".into(), "a=b".into())]);
        assert_eq!(escape_component("x/y=z"), r"x\/y\=z");
    }

    #[test]
    fn ids() {
        assert_eq!(NiPath::parse("12").unwrap(), NiPath::Id(12));
        assert_eq!(NiPath::parse("0").unwrap(), NiPath::Id(0));
        assert!(NiPath::parse("99999999999999").is_err());
        assert!(NiPath::parse("/=x").is_err());
    }
}
