//! The delta: a small property-list file beside `domain.plist` holding the values added
//! to and removed from properties since the domain file was last written whole. A
//! one-entry change to a list of 100,000 then costs a write of a few hundred bytes, and
//! a reader that already holds the domain applies just the new changes, instead of each
//! re-writing and re-reading megabytes.
//!
//! The delta names the domain file it applies to (its serial and a digest of its
//! bytes); a delta that names another one is stale (left by a writer that died between
//! writing the domain file whole and removing the delta) and is ignored. It is written
//! like the domain file (temporary file, `fsync`, `rename`, `fsync` of the folder), so a
//! reader sees the old delta or the new one; readers read the delta before the domain
//! file, so they never see a state older than one they saw before (see `Store::read`).

use std::path::Path;

use plist::{Dictionary, Value};

use super::error::{Result, StoreError};
use super::tree::{Change, DirId, DELTA_MAX_VALUES};

/// The delta's file, inside the store folder.
pub const DELTA_FILE: &str = "domain.delta.plist";
pub(crate) const DELTA_TEMP: &str = ".domain.delta.plist.tmp";
const FORMAT: &str = "relay-store-delta";
const VERSION: u64 = 1;
/// Past this many changes (or `DELTA_MAX_VALUES` values) the next write is whole.
pub const DELTA_MAX_CHANGES: usize = 256;

/// The changes recorded on top of one domain file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delta {
    /// The serial and digest of the domain file it applies to.
    pub base_serial: u64,
    pub base_digest: u64,
    /// The domain's serial once the changes are applied.
    pub serial: u64,
    pub changes: Vec<Change>,
}

impl Delta {
    /// Whether `more` changes can join this delta and it stays small.
    pub fn has_room(&self, more: &[Change]) -> bool {
        let values: usize = self.changes.iter().chain(more).map(Change::len).sum();
        self.changes.len() + more.len() <= DELTA_MAX_CHANGES && values <= DELTA_MAX_VALUES
    }
}

/// A digest of a domain file's bytes, so a delta never applies to a domain file edited
/// or restored by hand. Not a defence against someone who can write the store (they
/// can write anything): a word-at-a-time multiply-xor hash, about ten times faster than
/// SipHash over a 4 MB file. Each step is a bijection of the state, so any change
/// confined to one word always changes the result.
pub(crate) fn digest(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let step = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    let mut h = step(0, bytes.len() as u64);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = step(h, u64::from_le_bytes(w));
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    step(h, u64::from_le_bytes(tail))
}

pub(crate) fn encode(delta: &Delta) -> Result<Vec<u8>> {
    let mut top = Dictionary::new();
    top.insert("format".into(), Value::String(FORMAT.into()));
    top.insert("version".into(), Value::Integer(VERSION.into()));
    top.insert(
        "base_serial".into(),
        Value::Integer(delta.base_serial.into()),
    );
    top.insert(
        "base_digest".into(),
        Value::String(format!("{:016x}", delta.base_digest)),
    );
    top.insert("serial".into(), Value::Integer(delta.serial.into()));
    let changes = delta
        .changes
        .iter()
        .map(|c| {
            let (op, values) = match c {
                Change::Append { values, .. } => ("append", values),
                Change::Remove { values, .. } => ("remove", values),
            };
            let (dir, key) = c.target();
            let mut d = Dictionary::new();
            d.insert("op".into(), Value::String(op.into()));
            d.insert("dir".into(), Value::Integer(u64::from(dir).into()));
            d.insert("key".into(), Value::String(key.into()));
            d.insert(
                "values".into(),
                Value::Array(values.iter().cloned().map(Value::String).collect()),
            );
            Value::Dictionary(d)
        })
        .collect();
    top.insert("changes".into(), Value::Array(changes));
    let mut out = Vec::new();
    Value::Dictionary(top)
        .to_writer_xml(&mut out)
        .map_err(|e| StoreError::io("<encode>", std::io::Error::other(e.to_string())))?;
    out.push(b'\n');
    Ok(out)
}

pub(crate) fn decode(bytes: &[u8], file: &Path) -> Result<Delta> {
    let corrupt = |reason: String| StoreError::Corrupt {
        file: file.to_path_buf(),
        position: None,
        reason,
    };
    let top = super::file::read_top(bytes, file, FORMAT, VERSION)?;
    let number = |key: &str| {
        top.get(key)
            .and_then(Value::as_unsigned_integer)
            .ok_or_else(|| corrupt(format!("`{key}` is missing or not an integer")))
    };
    let base_digest = top
        .get("base_digest")
        .and_then(Value::as_string)
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .ok_or_else(|| corrupt("`base_digest` is missing or not hexadecimal".into()))?;
    let mut changes = Vec::new();
    let list = top
        .get("changes")
        .and_then(Value::as_array)
        .ok_or_else(|| corrupt("`changes` is missing or not an array".into()))?;
    for (i, c) in list.iter().enumerate() {
        changes.push(decode_change(c).map_err(|why| corrupt(format!("changes[{i}]: {why}")))?);
    }
    Ok(Delta {
        base_serial: number("base_serial")?,
        base_digest,
        serial: number("serial")?,
        changes,
    })
}

fn decode_change(c: &Value) -> std::result::Result<Change, String> {
    let d = c.as_dictionary().ok_or("not a dictionary")?;
    let dir = d
        .get("dir")
        .and_then(Value::as_unsigned_integer)
        .and_then(|n| DirId::try_from(n).ok())
        .ok_or("`dir` is missing or not a directory id")?;
    let key = d
        .get("key")
        .and_then(Value::as_string)
        .ok_or("`key` is missing or not a string")?
        .to_string();
    let values = d
        .get("values")
        .and_then(Value::as_array)
        .ok_or("`values` is missing or not an array")?
        .iter()
        .map(|v| v.as_string().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or("a value is not a string")?;
    match d.get("op").and_then(Value::as_string) {
        Some("append") => Ok(Change::Append { dir, key, values }),
        Some("remove") => Ok(Change::Remove { dir, key, values }),
        _ => Err("`op` is not `append` or `remove`".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let delta = Delta {
            base_serial: 7,
            base_digest: u64::MAX - 3,
            serial: 9,
            changes: vec![
                Change::Append {
                    dir: 3,
                    key: "open_relay_addr_list".into(),
                    values: vec!["10.0.0.1".into(), "a&b<c>".into()],
                },
                Change::Remove {
                    dir: 3,
                    key: "k".into(),
                    values: vec![],
                },
            ],
        };
        let bytes = encode(&delta).unwrap();
        assert_eq!(decode(&bytes, Path::new("d")).unwrap(), delta);
    }

    #[test]
    fn the_digest_sees_any_one_byte_changed() {
        let base: Vec<u8> = (0..100u8).collect();
        let d = digest(&base);
        for at in 0..base.len() {
            let mut other = base.clone();
            other[at] ^= 0x20;
            assert_ne!(digest(&other), d, "byte {at}");
        }
        assert_ne!(digest(&base[..99]), d);
        assert_ne!(digest(&[]), digest(&[0]));
    }

    #[test]
    fn damage_is_reported_by_file() {
        for bad in [
            &b"<plist><dict>"[..],
            b"",
            b"<plist version=\"1.0\"><array/></plist>",
        ] {
            let err = decode(bad, Path::new("/s/domain.delta.plist")).unwrap_err();
            assert!(err.to_string().contains("domain.delta.plist"), "{err}");
        }
    }
}
