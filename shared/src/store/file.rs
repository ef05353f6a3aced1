//! Persistence: one domain is one property-list file, `domain.plist`, in the store
//! folder. A write takes an advisory lock on `.lock`, writes a temporary file, `fsync`s
//! it, renames it over `domain.plist` and `fsync`s the folder; so a reader sees the old
//! tree or the new one, never a mix, whenever the writer dies. A file that does not
//! parse is reported with its position and never overwritten.
//!
//! Layout (XML plist, so `plutil` and `defaults` read it; binary plist is accepted on
//! read): a dict with `format` = `relay-store`, `version` = 1, `serial`, `next_id` and
//! `root`; each directory is a dict with `id`, `properties` (an array of dicts with `key`
//! and `values`, in order) and `children` (an array of directories, in order).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Cursor, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use plist::{Dictionary, Value};

use super::delta::{self, Delta, DELTA_FILE, DELTA_TEMP};
use super::error::{position_of, Result, StoreError};
use super::tree::{Change, DirId, Directory, Domain, Property, ROOT};

/// The file holding the domain, inside the store folder.
pub const DOMAIN_FILE: &str = "domain.plist";
const LOCK_FILE: &str = ".lock";
const TEMP_FILE: &str = ".domain.plist.tmp";
const FORMAT: &str = "relay-store";
const VERSION: u64 = 1;
/// Store files hold password hashes: owner read-write, group read.
pub const FILE_MODE: u32 = 0o640;
pub const DIR_MODE: u32 = 0o750;

/// A store on disk: a folder holding one domain.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The domain file; watchers of the store watch this name in `dir()`.
    pub fn file(&self) -> PathBuf {
        self.dir.join(DOMAIN_FILE)
    }

    /// Reads the domain without locking: the renames make every read whole. A store
    /// that does not exist yet is an empty domain.
    pub fn load(&self) -> Result<Domain> {
        self.read().map(|r| r.domain)
    }

    /// Reads the domain with what a reader needs to ask later whether only the delta
    /// grew (`changes_since`).
    ///
    /// The delta is read before the domain file: a writer replaces the domain file before
    /// it starts a new delta, so a delta read first is never newer than the domain file
    /// read after it, and a delta naming an older domain file is stale. Either way the
    /// result is a state some writer committed, and never older than one read before.
    pub fn read(&self) -> Result<Loaded> {
        let delta_file = self.dir.join(DELTA_FILE);
        let delta = match fs::read(&delta_file) {
            Ok(bytes) => Some(delta::decode(&bytes, &delta_file)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(StoreError::io(delta_file, e)),
        };
        let file = self.file();
        let (bytes, id) = match File::open(&file) {
            Ok(mut f) => {
                let id = f.metadata().map(|m| file_id(&m)).ok();
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut bytes)
                    .map_err(|e| StoreError::io(&file, e))?;
                (bytes, id)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded {
                    domain: Domain::new(),
                    version: Version::default(),
                    delta: None,
                })
            }
            Err(e) => return Err(StoreError::io(file, e)),
        };
        let mut domain = decode(&bytes, &file)?;
        let base_digest = delta::digest(&bytes);
        drop(bytes);
        let mut version = Version {
            base: id,
            base_serial: domain.serial(),
            base_digest,
            changes: 0,
        };
        let delta =
            delta.filter(|d| d.base_serial == domain.serial() && d.base_digest == base_digest);
        if let Some(d) = &delta {
            domain
                .replay(&d.changes)
                .map_err(|e| corrupt_delta(&delta_file, e))?;
            domain.set_serial(d.serial);
            domain.take_changes();
            version.changes = d.changes.len();
        }
        Ok(Loaded {
            domain,
            version,
            delta,
        })
    }

    /// What changed since a reader read `seen`: nothing, only changes appended to the
    /// delta (returned, to apply to what it holds), or anything else (read it whole).
    pub fn changes_since(&self, seen: &Version) -> Result<Since> {
        let delta_file = self.dir.join(DELTA_FILE);
        let delta = match fs::read(&delta_file) {
            Ok(bytes) => Some(delta::decode(&bytes, &delta_file)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(StoreError::io(delta_file, e)),
        };
        let base = fs::metadata(self.file()).map(|m| file_id(&m)).ok();
        if base.is_none() || base != seen.base {
            return Ok(Since::Rewritten);
        }
        let delta = delta
            .filter(|d| d.base_serial == seen.base_serial && d.base_digest == seen.base_digest);
        let Some(delta) = delta else {
            // The domain file is the one read, and no delta applies to it: a delta that
            // applied before cannot have gone without the domain file being replaced.
            return Ok(match seen.changes {
                0 => Since::Unchanged,
                _ => Since::Rewritten,
            });
        };
        if delta.changes.len() < seen.changes {
            return Ok(Since::Rewritten);
        }
        if delta.changes.len() == seen.changes {
            return Ok(Since::Unchanged);
        }
        let version = Version {
            changes: delta.changes.len(),
            ..seen.clone()
        };
        let mut changes = delta.changes;
        changes.drain(..seen.changes);
        Ok(Since::Grew {
            changes,
            serial: delta.serial,
            version,
        })
    }

    /// Runs `edit` on the current domain under the writers' lock, and writes the result
    /// if it changed anything (one write however many values changed): as a delta when
    /// it only added or removed values and the delta has room, else the whole file.
    /// An error from `edit` leaves the store as it was.
    pub fn update<T, E: From<StoreError>>(
        &self,
        edit: impl FnOnce(&mut Domain) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let _lock = self.lock()?;
        let Loaded {
            mut domain,
            version,
            delta,
        } = self.read()?;
        let out = edit(&mut domain)?;
        if domain.is_dirty() {
            let changes = domain.take_changes();
            domain.commit_serial();
            let base = Delta {
                base_serial: version.base_serial,
                base_digest: version.base_digest,
                serial: domain.serial(),
                changes: Vec::new(),
            };
            let delta = delta.unwrap_or(base);
            match changes {
                Some(more) if version.base.is_some() && delta.has_room(&more) => {
                    let mut delta = delta;
                    delta.changes.extend(more);
                    delta.serial = domain.serial();
                    self.write_delta(&delta)?;
                }
                _ => self.write(&domain)?,
            }
        }
        Ok(out)
    }

    fn ensure_dir(&self) -> Result<()> {
        if !self.dir.is_dir() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(&self.dir)
                .map_err(|e| StoreError::io(&self.dir, e))?;
            // The umask may have taken bits away; set exactly what we promise.
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(DIR_MODE))
                .map_err(|e| StoreError::io(&self.dir, e))?;
        }
        Ok(())
    }

    /// The advisory lock that serialises writers; released when the guard drops.
    fn lock(&self) -> Result<File> {
        self.ensure_dir()?;
        let path = self.dir.join(LOCK_FILE);
        let file = open_private(&path, false)?;
        file.lock().map_err(|e| StoreError::io(&path, e))?;
        Ok(file)
    }

    /// Writes the whole domain, then removes the delta it has absorbed (left behind by
    /// a crash, it names the old domain file and is ignored).
    fn write(&self, domain: &Domain) -> Result<()> {
        self.replace(TEMP_FILE, DOMAIN_FILE, &encode(domain)?)?;
        match fs::remove_file(self.dir.join(DELTA_FILE)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(self.dir.join(DELTA_FILE), e)),
        }
    }

    fn write_delta(&self, delta: &Delta) -> Result<()> {
        self.replace(DELTA_TEMP, DELTA_FILE, &delta::encode(delta)?)
    }

    /// Temporary file, `fsync`, `rename` over `name`, `fsync` of the folder.
    fn replace(&self, temp: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let temp = self.dir.join(temp);
        let target = self.dir.join(name);
        let mut file = open_private(&temp, true)?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| StoreError::io(&temp, e))?;
        drop(file);
        fs::rename(&temp, &target).map_err(|e| StoreError::io(&target, e))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io(&self.dir, e))
    }
}

/// A file's identity and last change: a different value means it was replaced or edited.
pub type FileId = (u64, u64, u64, i64, i64);

pub fn file_id(m: &fs::Metadata) -> FileId {
    (m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec())
}

fn corrupt_delta(file: &Path, e: StoreError) -> StoreError {
    StoreError::Corrupt {
        file: file.to_path_buf(),
        position: None,
        reason: format!("a change does not apply to the domain file: {e}"),
    }
}

/// A domain as read, with what it was read from.
#[derive(Debug)]
pub struct Loaded {
    pub domain: Domain,
    pub version: Version,
    /// The delta applied, if one did.
    delta: Option<Delta>,
}

/// Which files a reader built its domain from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version {
    /// The domain file's identity (`None`: there was none).
    base: Option<FileId>,
    base_serial: u64,
    base_digest: u64,
    /// How many of the delta's changes were applied.
    changes: usize,
}

/// What `Store::changes_since` found.
#[derive(Debug)]
pub enum Since {
    /// Nothing a reader needs to read again.
    Unchanged,
    /// Only these changes were added, bringing the domain to `serial`; `version` is
    /// what the reader holds once it applies them.
    Grew {
        changes: Vec<Change>,
        serial: u64,
        version: Version,
    },
    /// Anything else: read the store whole.
    Rewritten,
}

/// Opens (creating) a store file with exactly `FILE_MODE`, whatever the umask.
fn open_private(path: &Path, truncate: bool) -> Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(truncate)
        .write(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    file.set_permissions(fs::Permissions::from_mode(FILE_MODE))
        .map_err(|e| StoreError::io(path, e))?;
    Ok(file)
}

/// Serialises a domain to XML plist bytes.
pub fn encode(domain: &Domain) -> Result<Vec<u8>> {
    let mut top = Dictionary::new();
    top.insert("format".into(), Value::String(FORMAT.into()));
    top.insert("version".into(), Value::Integer(VERSION.into()));
    top.insert("serial".into(), Value::Integer(domain.serial().into()));
    top.insert(
        "next_id".into(),
        Value::Integer(u64::from(domain.next_id()).into()),
    );
    top.insert("root".into(), encode_dir(domain, ROOT));
    let mut out = Vec::new();
    Value::Dictionary(top)
        .to_writer_xml(&mut out)
        .map_err(|e| StoreError::io("<encode>", std::io::Error::other(e.to_string())))?;
    out.push(b'\n');
    Ok(out)
}

fn encode_dir(domain: &Domain, id: DirId) -> Value {
    let Some(dir) = domain.dir(id) else {
        return Value::Dictionary(Dictionary::new());
    };
    let properties = dir
        .properties
        .iter()
        .map(|p| {
            let mut d = Dictionary::new();
            d.insert("key".into(), Value::String(p.key.clone()));
            d.insert(
                "values".into(),
                Value::Array(p.values.iter().cloned().map(Value::String).collect()),
            );
            Value::Dictionary(d)
        })
        .collect();
    let children = dir
        .children
        .iter()
        .map(|&c| encode_dir(domain, c))
        .collect();
    let mut d = Dictionary::new();
    d.insert("id".into(), Value::Integer(u64::from(id).into()));
    d.insert("properties".into(), Value::Array(properties));
    d.insert("children".into(), Value::Array(children));
    Value::Dictionary(d)
}

/// Parses a store file's bytes; `file` names it in errors. The layout `encode` writes
/// takes the fast reader; anything else the general property-list parser.
pub fn decode(bytes: &[u8], file: &Path) -> Result<Domain> {
    match super::canonical::decode(bytes, FORMAT, VERSION) {
        Some(domain) => Ok(domain),
        None => decode_any(bytes, file),
    }
}

/// The general reader: any property list, XML or binary, with errors that say where.
pub fn decode_any(bytes: &[u8], file: &Path) -> Result<Domain> {
    let mut top = read_top(bytes, file, FORMAT, VERSION)?;
    let corrupt = |reason: String| StoreError::Corrupt {
        file: file.to_path_buf(),
        position: None,
        reason,
    };
    let serial = top
        .get("serial")
        .and_then(Value::as_unsigned_integer)
        .ok_or_else(|| corrupt("`serial` is missing or not an integer".into()))?;
    let mut next_id = top
        .get("next_id")
        .and_then(Value::as_unsigned_integer)
        .and_then(|n| DirId::try_from(n).ok())
        .ok_or_else(|| corrupt("`next_id` is missing or not an integer".into()))?;
    let root = top
        .remove("root")
        .ok_or_else(|| corrupt("`root` is missing".into()))?;
    let mut dirs = HashMap::new();
    decode_dir(root, None, "root", &mut dirs).map_err(corrupt)?;
    if dirs.get(&ROOT).is_none_or(|d| d.parent.is_some()) {
        return Err(corrupt("the root directory does not have id 0".into()));
    }
    if let Some(max) = dirs.keys().max() {
        // A file may claim the last id: then no new directory can be made (see
        // `Domain::new_dir`), rather than an id wrapping round to the root's.
        next_id = next_id.max(max.saturating_add(1));
    }
    Ok(Domain::from_parts(dirs, next_id, serial))
}

/// Parses a store property list (the domain file or its delta) and checks its
/// `format` and `version`; errors name `file` and, where the parser says, the position.
pub(crate) fn read_top(
    bytes: &[u8],
    file: &Path,
    format: &str,
    version: u64,
) -> Result<Dictionary> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(StoreError::Corrupt {
            file: file.to_path_buf(),
            position: Some(position_of(bytes, 0)),
            reason: "the file is empty".into(),
        });
    }
    if let Some(offset) = not_a_plist(bytes) {
        return Err(StoreError::Corrupt {
            file: file.to_path_buf(),
            position: Some(position_of(bytes, offset)),
            reason: "not a property list: expected `<?xml`, `<plist` or `bplist00` here".into(),
        });
    }
    let value = Value::from_reader(Cursor::new(bytes)).map_err(|e| {
        let text = e.to_string();
        StoreError::Corrupt {
            file: file.to_path_buf(),
            position: plist_offset(&text).map(|o| position_of(bytes, o)),
            reason: format!(
                "not a valid property list: {}",
                humanize(strip_offset(&text))
            ),
        }
    })?;
    let corrupt = |reason: String| StoreError::Corrupt {
        file: file.to_path_buf(),
        position: None,
        reason,
    };
    let top = value
        .into_dictionary()
        .ok_or_else(|| corrupt("the top level is not a dictionary".into()))?;
    if top.get("format").and_then(Value::as_string) != Some(format) {
        return Err(corrupt(format!("`format` is not `{format}`")));
    }
    let found = top.get("version").and_then(Value::as_unsigned_integer);
    if found != Some(version) {
        return Err(corrupt(format!(
            "unsupported version {found:?} (this relayctl reads version {version})"
        )));
    }
    Ok(top)
}

fn decode_dir(
    value: Value,
    parent: Option<DirId>,
    at: &str,
    dirs: &mut HashMap<DirId, Directory>,
) -> std::result::Result<DirId, String> {
    let mut d = value
        .into_dictionary()
        .ok_or_else(|| format!("{at}: a directory must be a dictionary"))?;
    let id = d
        .get("id")
        .and_then(Value::as_unsigned_integer)
        .and_then(|n| DirId::try_from(n).ok())
        .ok_or_else(|| format!("{at}: `id` is missing or not an integer"))?;
    let mut properties = Vec::new();
    for (i, p) in array(d.remove("properties"), &format!("{at}.properties"))?
        .into_iter()
        .enumerate()
    {
        let here = format!("{at}.properties[{i}]");
        let mut p = p
            .into_dictionary()
            .ok_or_else(|| format!("{here}: a property must be a dictionary"))?;
        let key = p
            .remove("key")
            .and_then(Value::into_string)
            .ok_or_else(|| format!("{here}: `key` is missing or not a string"))?;
        // Strings are moved, not copied: a 100,000-entry list is decoded at every reload.
        let values = array(p.remove("values"), &format!("{here}.values"))?
            .into_iter()
            .enumerate()
            .map(|(j, v)| {
                v.into_string()
                    .ok_or_else(|| format!("{here}.values[{j}]: not a string"))
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        properties.push(Property { key, values });
    }
    if dirs.contains_key(&id) {
        return Err(format!("{at}: directory id {id} appears twice"));
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
    let mut children = Vec::new();
    for (i, c) in array(d.remove("children"), &format!("{at}.children"))?
        .into_iter()
        .enumerate()
    {
        children.push(decode_dir(
            c,
            Some(id),
            &format!("{at}.children[{i}]"),
            dirs,
        )?);
    }
    if let Some(dir) = dirs.get_mut(&id) {
        dir.children = children;
    }
    Ok(id)
}

fn array(v: Option<Value>, at: &str) -> std::result::Result<Vec<Value>, String> {
    v.and_then(Value::into_array)
        .ok_or_else(|| format!("{at}: missing or not an array"))
}

/// Where a file that cannot be a property list goes wrong (plist's parser does not say
/// where for some garbage), or `None` when it starts like one.
fn not_a_plist(bytes: &[u8]) -> Option<usize> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    let known = [&b"<?xml"[..], b"<plist", b"<!DOCTYPE", b"bplist00"];
    (!known.iter().any(|m| rest.starts_with(m))).then_some(start)
}

/// plist's errors end with `(offset N)`; this takes N.
fn plist_offset(text: &str) -> Option<usize> {
    let start = text.rfind("(offset ")? + "(offset ".len();
    let rest = &text[start..];
    rest[..rest.find(')')?].parse().ok()
}

/// plist reports errors by their Rust names (`InvalidXmlSyntax`, `UnexpectedEof`); an
/// administrator reads "invalid xml syntax".
fn humanize(kind: &str) -> String {
    let name = kind.split([' ', '(', '{']).next().unwrap_or(kind);
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    if out.is_empty() {
        kind.to_string()
    } else {
        out
    }
}

fn strip_offset(text: &str) -> &str {
    text.rfind(" (offset ").map_or(text, |i| &text[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_order_and_ids() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("s"));
        store
            .update(|d| -> Result<()> {
                let id = d.create("/config/AppleMailServer")?;
                d.create_prop(id, "zeta", vec!["2".into(), "1".into()])?;
                d.create_prop(id, "alpha", vec![])?;
                d.create("/config/relayd")?;
                Ok(())
            })
            .unwrap();
        let d = store.load().unwrap();
        assert_eq!(d.serial(), 1);
        let amc = d.lookup("/config/AppleMailServer").unwrap();
        let keys: Vec<_> = amc.properties.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["name", "zeta", "alpha"]);
        assert_eq!(amc.values("zeta").unwrap(), ["2", "1"]);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&store.file()), FILE_MODE);
        assert_eq!(mode(store.dir()), DIR_MODE);
        let before = d.lookup("/config/relayd").unwrap().id;
        store
            .update(|d| d.destroy("/config/AppleMailServer"))
            .unwrap();
        let d = store.load().unwrap();
        assert_eq!(d.lookup("/config/relayd").unwrap().id, before);
        assert_eq!(d.serial(), 2);
    }

    #[test]
    fn unchanged_update_does_not_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.update(|d| d.create("/x").map(|_| ())).unwrap();
        store.update(|d| d.create("/x").map(|_| ())).unwrap();
        assert_eq!(store.load().unwrap().serial(), 1);
    }

    #[test]
    fn corrupt_file_is_reported_with_position_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.update(|d| d.create("/x").map(|_| ())).unwrap();
        let mut bytes = fs::read(store.file()).unwrap();
        let at = bytes.len() / 2;
        bytes.truncate(at);
        bytes.extend_from_slice(b"<<garbage");
        fs::write(store.file(), &bytes).unwrap();
        let err = store.load().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("domain.plist:"), "{text}");
        assert!(
            matches!(
                err,
                StoreError::Corrupt {
                    position: Some(_),
                    ..
                }
            ),
            "{text}"
        );
        assert!(store.update(|d| d.create("/y").map(|_| ())).is_err());
        assert_eq!(fs::read(store.file()).unwrap(), bytes);
    }

    #[test]
    fn binary_plist_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.update(|d| d.create("/x/y").map(|_| ())).unwrap();
        let v = Value::from_file(store.file()).unwrap();
        v.to_file_binary(store.file()).unwrap();
        assert!(store.load().unwrap().resolve("/x/y").is_ok());
    }

    #[test]
    fn structural_errors_name_the_place() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        fs::write(
            store.file(),
            r#"<?xml version="1.0"?><plist version="1.0"><dict><key>format</key><string>relay-store</string><key>version</key><integer>1</integer><key>serial</key><integer>1</integer><key>next_id</key><integer>1</integer><key>root</key><dict><key>id</key><integer>0</integer><key>properties</key><array><dict><key>key</key><string>k</string><key>values</key><array><integer>3</integer></array></dict></array><key>children</key><array/></dict></dict></plist>"#,
        )
        .unwrap();
        let text = store.load().unwrap_err().to_string();
        assert!(
            text.contains("root.properties[0].values[0]: not a string"),
            "{text}"
        );
    }

    /// A store file whose ids (or serial) are at the top of their range: a write that
    /// needs a new directory is refused and the file stays as it was; nothing wraps to
    /// the root's id 0.
    #[test]
    fn ids_and_serial_at_their_maximum_never_wrap() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let file = |next_id: u64, child_id: u64, serial: u64| {
            format!(
                r#"<?xml version="1.0"?><plist version="1.0"><dict><key>format</key><string>relay-store</string><key>version</key><integer>1</integer><key>serial</key><integer>{serial}</integer><key>next_id</key><integer>{next_id}</integer><key>root</key><dict><key>id</key><integer>0</integer><key>properties</key><array><dict><key>key</key><string>name</string><key>values</key><array><string>root</string></array></dict></array><key>children</key><array><dict><key>id</key><integer>{child_id}</integer><key>properties</key><array><dict><key>key</key><string>name</string><key>values</key><array><string>top</string></array></dict></array><key>children</key><array/></dict></array></dict></dict></plist>"#
            )
        };
        for (next_id, child) in [(u64::from(u32::MAX), 5), (1, u64::from(u32::MAX))] {
            let text = file(next_id, child, 7);
            fs::write(store.file(), &text).unwrap();
            let err = store
                .update(|d| d.create("/new").map(drop))
                .expect_err("no id is left");
            assert!(matches!(err, StoreError::Exhausted { .. }), "{err}");
            assert!(err.to_string().contains("directory id exhausted"), "{err}");
            assert_eq!(fs::read_to_string(store.file()).unwrap(), text, "untouched");
            // Edits that need no new directory still work, and the root is intact.
            store
                .update(|d| {
                    let id = d.create("/top")?;
                    d.create_prop(id, "k", vec!["v".into()])
                })
                .unwrap();
            let d = store.load().unwrap();
            assert_eq!(d.lookup("/top").unwrap().values("k").unwrap(), ["v"]);
            assert_eq!(
                d.dir(super::super::tree::ROOT).unwrap().name(),
                Some("root")
            );
        }
        fs::write(store.file(), file(10, 5, u64::MAX)).unwrap();
        store
            .update(|d| {
                let id = d.create("/top")?;
                d.create_prop(id, "k", vec!["w".into()])
            })
            .unwrap();
        assert_eq!(
            store.load().unwrap().serial(),
            u64::MAX,
            "saturates, never wraps"
        );
    }
}
