//! The in-memory NetInfo domain: directories with ordered properties holding ordered
//! values, numeric directory ids and a serial. Every niutil verb is a method here, so
//! `relayctl` only parses arguments and prints.
//!
//! A directory carrying `_locked` refuses every write but the removal of `_locked`
//! itself, which is how an administrator unlocks it.

use std::collections::{HashMap, HashSet};

use crate::textmap::{TextMap, TextSet};

use super::error::{Result, StoreError};
use super::path::{Component, NiPath};

pub type DirId = u32;

/// The root directory's id.
pub const ROOT: DirId = 0;

/// The property that freezes a directory.
pub const LOCKED: &str = "_locked";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Directory {
    pub id: DirId,
    pub parent: Option<DirId>,
    pub properties: Vec<Property>,
    pub children: Vec<DirId>,
}

impl Directory {
    pub fn property(&self, key: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.key == key)
    }

    pub fn values(&self, key: &str) -> Option<&[String]> {
        self.property(key).map(|p| p.values.as_slice())
    }

    /// The first value of `name`, which names the directory in its parent's paths.
    pub fn name(&self) -> Option<&str> {
        self.values("name")
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    fn has(&self, key: &str, value: &str) -> bool {
        self.values(key)
            .is_some_and(|vs| vs.iter().any(|v| v == value))
    }

    fn property_mut(&mut self, key: &str) -> Option<&mut Property> {
        self.properties.iter_mut().find(|p| p.key == key)
    }

    /// The property, created empty at the end if missing (NetInfo puts new ones last).
    fn property_or_new(&mut self, key: &str) -> &mut Property {
        let at = match self.properties.iter().position(|p| p.key == key) {
            Some(at) => at,
            None => {
                self.properties.push(Property {
                    key: key.to_string(),
                    values: Vec::new(),
                });
                self.properties.len() - 1
            }
        };
        &mut self.properties[at]
    }
}

/// A whole domain. Cloning is cheap enough for the sizes a relay sees (the daemon keeps
/// one; relayctl edits one per command).
#[derive(Debug, Clone)]
pub struct Domain {
    dirs: HashMap<DirId, Directory>,
    next_id: DirId,
    serial: u64,
    dirty: bool,
    /// What changed since load, while every change is one a delta can carry; `None`
    /// once one is not (then the store rewrites the whole file).
    changes: Option<Vec<Change>>,
}

/// The most values the changes since load may carry and still be written as a delta.
pub const DELTA_MAX_VALUES: usize = 1024;

/// A change the store can write as a delta beside the domain file instead of rewriting
/// it (see `file.rs`); replayed in order by `Domain::replay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Values appended to a property, which is created last if missing.
    Append {
        dir: DirId,
        key: String,
        values: Vec<String>,
    },
    /// Every occurrence of each value removed from a property.
    Remove {
        dir: DirId,
        key: String,
        values: Vec<String>,
    },
}

impl Change {
    /// The directory and property it changes.
    pub fn target(&self) -> (DirId, &str) {
        match self {
            Change::Append { dir, key, .. } | Change::Remove { dir, key, .. } => (*dir, key),
        }
    }

    /// How many values it carries.
    pub fn len(&self) -> usize {
        match self {
            Change::Append { values, .. } | Change::Remove { values, .. } => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for Domain {
    fn default() -> Self {
        Domain::new()
    }
}

impl Domain {
    /// An empty domain: just the root directory.
    pub fn new() -> Domain {
        let mut dirs = HashMap::new();
        dirs.insert(
            ROOT,
            Directory {
                id: ROOT,
                parent: None,
                properties: Vec::new(),
                children: Vec::new(),
            },
        );
        Domain {
            dirs,
            next_id: 1,
            serial: 0,
            dirty: false,
            changes: Some(Vec::new()),
        }
    }

    /// Rebuilds a domain from persisted parts; used by the file loader.
    pub(crate) fn from_parts(
        dirs: HashMap<DirId, Directory>,
        next_id: DirId,
        serial: u64,
    ) -> Domain {
        Domain {
            dirs,
            next_id,
            serial,
            dirty: false,
            changes: Some(Vec::new()),
        }
    }

    /// Grows with every write that changed something.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    pub(crate) fn next_id(&self) -> DirId {
        self.next_id
    }

    /// Whether an operation since load changed anything (then the store writes).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Counts one more write. A serial at `u64::MAX` stays there (a store file can claim
    /// it; wrapping to 0 would make every reader think the store went back in time).
    pub(crate) fn commit_serial(&mut self) {
        self.serial = self.serial.saturating_add(1);
        self.dirty = false;
    }

    pub(crate) fn set_serial(&mut self, serial: u64) {
        self.serial = serial;
    }

    /// The changes since load (or the last call), if a delta can carry them all; starts
    /// recording afresh.
    pub(crate) fn take_changes(&mut self) -> Option<Vec<Change>> {
        self.changes.replace(Vec::new())
    }

    /// A change no delta expresses: the next write rewrites the whole file.
    fn touch(&mut self) {
        self.dirty = true;
        self.changes = None;
    }

    /// Whether `more` values can still go into a delta: past `DELTA_MAX_VALUES` the
    /// whole file is rewritten anyway, so big edits are not copied for a record.
    fn recording(&self, more: usize) -> bool {
        self.changes
            .as_ref()
            .is_some_and(|c| c.iter().map(Change::len).sum::<usize>() + more <= DELTA_MAX_VALUES)
    }

    fn record(&mut self, change: Change) {
        self.dirty = true;
        if let Some(c) = &mut self.changes {
            c.push(change);
        }
    }

    /// Applies changes recorded by earlier writes (the store's delta), without the lock
    /// checks they passed then; they are not recorded again. One pass over each property
    /// however many changes there are: a value already there goes if any removal names
    /// it, a value appended goes if a later removal names it.
    pub fn replay(&mut self, changes: &[Change]) -> Result<()> {
        let mut last_removal: HashMap<(DirId, &str), TextMap<'_, usize>> = HashMap::new();
        for (i, c) in changes.iter().enumerate() {
            if let Change::Remove { values, .. } = c {
                let at = last_removal.entry(c.target()).or_default();
                for v in values {
                    at.insert(v, i);
                }
            }
        }
        let none = TextMap::default();
        let mut cleared: HashSet<(DirId, &str)> = HashSet::new();
        for (i, c) in changes.iter().enumerate() {
            let (id, key) = c.target();
            let removals = last_removal.get(&(id, key)).unwrap_or(&none);
            let dir = self
                .dirs
                .get_mut(&id)
                .ok_or_else(|| StoreError::NoDirectory {
                    path: id.to_string(),
                })?;
            if cleared.insert((id, key)) && !removals.is_empty() {
                if let Some(prop) = dir.property_mut(key) {
                    prop.values.retain(|v| !removals.contains(v));
                }
            }
            if let Change::Append { values, .. } = c {
                let kept = values
                    .iter()
                    .filter(|v| removals.get(v.as_str()).is_none_or(|&j| j < i));
                dir.property_or_new(key).values.extend(kept.cloned());
            }
        }
        Ok(())
    }

    /// The changes since load, while a delta can carry them all.
    pub fn pending_changes(&self) -> Option<&[Change]> {
        self.changes.as_deref()
    }

    pub fn dir(&self, id: DirId) -> Option<&Directory> {
        self.dirs.get(&id)
    }

    pub fn root(&self) -> &Directory {
        &self.dirs[&ROOT]
    }

    /// Finds a directory by NetInfo path or id.
    pub fn resolve(&self, path: &str) -> Result<DirId> {
        let not_found = || StoreError::NoDirectory {
            path: path.to_string(),
        };
        match NiPath::parse(path)? {
            NiPath::Id(id) => self
                .dirs
                .contains_key(&id)
                .then_some(id)
                .ok_or_else(not_found),
            NiPath::Steps(steps) => {
                let mut at = ROOT;
                for step in &steps {
                    at = self.child(at, step).ok_or_else(not_found)?;
                }
                Ok(at)
            }
        }
    }

    /// Resolves a path to its directory.
    pub fn lookup(&self, path: &str) -> Result<&Directory> {
        let id = self.resolve(path)?;
        Ok(&self.dirs[&id])
    }

    /// The first child of `parent` whose property `step.key` holds `step.value`.
    fn child(&self, parent: DirId, step: &Component) -> Option<DirId> {
        self.dirs[&parent]
            .children
            .iter()
            .copied()
            .find(|c| self.dirs[c].has(&step.key, &step.value))
    }

    /// The children of a directory in order.
    pub fn children(&self, id: DirId) -> impl Iterator<Item = &Directory> {
        self.dirs[&id].children.iter().map(move |c| &self.dirs[c])
    }

    /// A path that names `id` (by `name`, or by id where a directory has no name).
    pub fn path_of(&self, id: DirId) -> String {
        let mut parts = Vec::new();
        let mut at = id;
        while let Some(dir) = self.dirs.get(&at) {
            let Some(parent) = dir.parent else { break };
            match dir.name() {
                Some(name) => parts.push(super::path::escape_component(name)),
                None => return id.to_string(),
            }
            at = parent;
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }

    /// The directory, if neither it nor any directory above it is `_locked`; a lock on
    /// the directory itself does not stop a change to `_locked` (that is how it is undone).
    fn writable(&mut self, id: DirId, touching_key: Option<&str>) -> Result<&mut Directory> {
        let path = self.path_of(id);
        if !self.dirs.contains_key(&id) {
            return Err(StoreError::NoDirectory { path });
        }
        let mut at = Some(id);
        while let Some(d) = at.and_then(|a| self.dirs.get(&a)) {
            let own_unlock = d.id == id && touching_key == Some(LOCKED);
            if d.property(LOCKED).is_some() && !own_unlock {
                return Err(StoreError::PermissionDenied {
                    path,
                    why: format!("{} is {LOCKED}", self.path_of(d.id)),
                });
            }
            at = d.parent;
        }
        self.dirs
            .get_mut(&id)
            .ok_or(StoreError::NoDirectory { path })
    }

    /// Ids run from 1 to `DirId::MAX - 1`; past that a new directory is refused, never
    /// given a wrapped id (0 is the root, which it would overwrite).
    fn new_dir(&mut self, parent: DirId, properties: Vec<Property>) -> Result<DirId> {
        let id = self.next_id;
        if id == DirId::MAX || self.dirs.contains_key(&id) {
            return Err(StoreError::Exhausted {
                what: "directory id",
                max: u64::from(DirId::MAX - 1),
            });
        }
        self.next_id += 1;
        self.dirs.insert(
            id,
            Directory {
                id,
                parent: Some(parent),
                properties,
                children: Vec::new(),
            },
        );
        if let Some(p) = self.dirs.get_mut(&parent) {
            p.children.push(id);
        }
        self.touch();
        Ok(id)
    }

    /// `-create`: makes the directory and any missing parents; a no-op if it exists.
    pub fn create(&mut self, path: &str) -> Result<DirId> {
        let steps = match NiPath::parse(path)? {
            NiPath::Id(id) => {
                return self.dirs.contains_key(&id).then_some(id).ok_or_else(|| {
                    StoreError::NoDirectory {
                        path: path.to_string(),
                    }
                })
            }
            NiPath::Steps(steps) => steps,
        };
        let mut at = ROOT;
        for step in &steps {
            at = match self.child(at, step) {
                Some(c) => c,
                None => {
                    self.writable(at, None)?;
                    // A child named by another key still gets that key; NetInfo gives it
                    // no name of its own.
                    let props = vec![Property {
                        key: step.key.clone(),
                        values: vec![step.value.clone()],
                    }];
                    self.new_dir(at, props)?
                }
            };
        }
        Ok(at)
    }

    /// Adds a child directory with these properties, whatever its name; used by niload.
    pub fn add_child(&mut self, parent: DirId, properties: Vec<Property>) -> Result<DirId> {
        self.writable(parent, None)?;
        self.new_dir(parent, properties)
    }

    /// `-destroy`: removes the directory and everything below it.
    pub fn destroy(&mut self, path: &str) -> Result<()> {
        let id = self.resolve(path)?;
        self.destroy_id(id)
    }

    pub fn destroy_id(&mut self, id: DirId) -> Result<()> {
        let Some(parent) = self.dirs.get(&id).and_then(|d| d.parent) else {
            return Err(StoreError::PermissionDenied {
                path: "/".into(),
                why: "the root directory cannot be destroyed".into(),
            });
        };
        self.writable(parent, None)?;
        // Nothing locked may go, however deep it sits.
        let mut below = vec![id];
        while let Some(d) = below.pop() {
            let dir = &self.dirs[&d];
            if dir.property(LOCKED).is_some() {
                return Err(StoreError::PermissionDenied {
                    path: self.path_of(d),
                    why: format!("the directory is {LOCKED}"),
                });
            }
            below.extend(dir.children.iter().copied());
        }
        let mut doomed = vec![id];
        while let Some(d) = doomed.pop() {
            if let Some(dir) = self.dirs.remove(&d) {
                doomed.extend(dir.children);
            }
        }
        if let Some(p) = self.dirs.get_mut(&parent) {
            p.children.retain(|&c| c != id);
        }
        self.touch();
        Ok(())
    }

    /// `-createprop`: sets the property to exactly these values.
    pub fn create_prop(&mut self, id: DirId, key: &str, values: Vec<String>) -> Result<()> {
        let dir = self.writable(id, Some(key))?;
        if dir.values(key) == Some(values.as_slice()) {
            return Ok(());
        }
        dir.property_or_new(key).values = values;
        self.touch();
        Ok(())
    }

    /// `-appendprop`: appends values, creating the property if missing.
    pub fn append_prop(&mut self, id: DirId, key: &str, values: Vec<String>) -> Result<()> {
        let recording = self.recording(values.len());
        let dir = self.writable(id, Some(key))?;
        let prop = dir.property_or_new(key);
        if !recording {
            prop.values.extend(values);
            self.touch();
            return Ok(());
        }
        prop.values.extend(values.iter().cloned());
        self.record(Change::Append {
            dir: id,
            key: key.to_string(),
            values,
        });
        Ok(())
    }

    /// `-mergeprop`: appends only values not already present. Returns how many were
    /// added. Uses a set so that merging 100,000 values stays linear.
    pub fn merge_prop(&mut self, id: DirId, key: &str, values: Vec<String>) -> Result<usize> {
        let recording = self.recording(values.len());
        let dir = self.writable(id, Some(key))?;
        let existed = dir.property(key).is_some();
        let prop = dir.property_or_new(key);
        let fresh: Vec<String> = {
            // Borrowed: the property may hold 1,000,000 values.
            let mut seen: HashSet<&str> = prop.values.iter().map(String::as_str).collect();
            let mut fresh = Vec::new();
            for v in &values {
                if seen.insert(v) {
                    fresh.push(v.clone());
                }
            }
            fresh
        };
        let added = fresh.len();
        if !recording {
            prop.values.extend(fresh);
            if added > 0 || !existed {
                self.touch();
            }
            return Ok(added);
        }
        prop.values.extend(fresh.iter().cloned());
        if added > 0 || !existed {
            self.record(Change::Append {
                dir: id,
                key: key.to_string(),
                values: fresh,
            });
        }
        Ok(added)
    }

    /// `-insertval`: inserts one value at `index` (past the end appends).
    pub fn insert_val(&mut self, id: DirId, key: &str, value: String, index: usize) -> Result<()> {
        let dir = self.writable(id, Some(key))?;
        let values = &mut dir.property_or_new(key).values;
        let at = index.min(values.len());
        values.insert(at, value);
        self.touch();
        Ok(())
    }

    /// `-destroyprop`: removes the properties; every key must exist, else nothing changes.
    pub fn destroy_props(&mut self, id: DirId, keys: &[String]) -> Result<()> {
        let unlocking = keys.iter().all(|k| k == LOCKED);
        let dir = self.writable(id, unlocking.then_some(LOCKED))?;
        if let Some(missing) = keys.iter().find(|k| dir.property(k).is_none()) {
            return Err(StoreError::NoProperty {
                key: missing.clone(),
            });
        }
        dir.properties.retain(|p| !keys.contains(&p.key));
        self.touch();
        Ok(())
    }

    /// `-destroyval`: removes every occurrence of each value. Returns how many went.
    pub fn destroy_vals(&mut self, id: DirId, key: &str, values: &[String]) -> Result<usize> {
        let dir = self.writable(id, Some(key))?;
        let prop = dir
            .property_mut(key)
            .ok_or_else(|| StoreError::NoProperty {
                key: key.to_string(),
            })?;
        let doomed: TextSet<'_> = values.iter().map(String::as_str).collect();
        let before = prop.values.len();
        prop.values.retain(|v| !doomed.contains(v.as_str()));
        let removed = before - prop.values.len();
        if removed > 0 {
            match self.recording(values.len()) {
                true => self.record(Change::Remove {
                    dir: id,
                    key: key.to_string(),
                    values: values.to_vec(),
                }),
                false => self.touch(),
            }
        }
        Ok(removed)
    }

    /// `-renameprop`.
    pub fn rename_prop(&mut self, id: DirId, old: &str, new: &str) -> Result<()> {
        let dir = self.writable(id, Some(old))?;
        if old == new {
            return dir
                .property(old)
                .map(|_| ())
                .ok_or_else(|| StoreError::NoProperty {
                    key: old.to_string(),
                });
        }
        if dir.property(new).is_some() {
            return Err(StoreError::PropertyExists {
                key: new.to_string(),
            });
        }
        let prop = dir
            .property_mut(old)
            .ok_or_else(|| StoreError::NoProperty {
                key: old.to_string(),
            })?;
        prop.key = new.to_string();
        self.touch();
        Ok(())
    }

    /// Replaces a directory's whole property list (niload).
    pub fn set_properties(&mut self, id: DirId, properties: Vec<Property>) -> Result<()> {
        let dir = self.writable(id, None)?;
        if dir.properties != properties {
            dir.properties = properties;
            self.touch();
        }
        Ok(())
    }

    /// `-readprop`: the values of one property.
    pub fn read_prop(&self, id: DirId, key: &str) -> Result<&[String]> {
        self.dirs[&id]
            .values(key)
            .ok_or_else(|| StoreError::NoProperty {
                key: key.to_string(),
            })
    }

    /// `-list`: each child's id and the values of `key` (empty when it has none).
    pub fn list(&self, id: DirId, key: &str) -> Vec<(DirId, Vec<String>)> {
        self.children(id)
            .map(|c| {
                (
                    c.id,
                    c.values(key).map(<[String]>::to_vec).unwrap_or_default(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn create_is_mkdir_p_and_idempotent() {
        let mut d = Domain::new();
        let id = d.create("/config/AppleMailServer").unwrap();
        assert_eq!(d.create("/config/AppleMailServer").unwrap(), id);
        assert_eq!(d.resolve("/name=config/name=AppleMailServer").unwrap(), id);
        assert_eq!(d.resolve(&id.to_string()).unwrap(), id);
        assert_eq!(d.path_of(id), "/config/AppleMailServer");
        assert!(matches!(
            d.resolve("/config/nope"),
            Err(StoreError::NoDirectory { .. })
        ));
    }

    #[test]
    fn keyed_components_select_and_create() {
        let mut d = Domain::new();
        let alice = d.create("/users/alice").unwrap();
        d.create_prop(alice, "uid", s(&["501"])).unwrap();
        assert_eq!(d.resolve("/users/uid=501").unwrap(), alice);
        let bob = d.create("/users/uid=502").unwrap();
        assert_eq!(d.dir(bob).unwrap().values("uid").unwrap(), &s(&["502"])[..]);
    }

    #[test]
    fn property_verbs_keep_order() {
        let mut d = Domain::new();
        let id = d.create("/x").unwrap();
        d.create_prop(id, "list", s(&["a", "b"])).unwrap();
        d.append_prop(id, "list", s(&["c", "a"])).unwrap();
        assert_eq!(
            d.read_prop(id, "list").unwrap(),
            &s(&["a", "b", "c", "a"])[..]
        );
        assert_eq!(d.merge_prop(id, "list", s(&["b", "d", "d"])).unwrap(), 1);
        d.insert_val(id, "list", "z".into(), 0).unwrap();
        d.insert_val(id, "list", "end".into(), 99).unwrap();
        assert_eq!(
            d.read_prop(id, "list").unwrap(),
            &s(&["z", "a", "b", "c", "a", "d", "end"])[..]
        );
        assert_eq!(d.destroy_vals(id, "list", &s(&["a", "q"])).unwrap(), 2);
        d.rename_prop(id, "list", "other").unwrap();
        assert!(matches!(
            d.read_prop(id, "list"),
            Err(StoreError::NoProperty { .. })
        ));
        d.create_prop(id, "empty", vec![]).unwrap();
        assert!(matches!(
            d.rename_prop(id, "other", "empty"),
            Err(StoreError::PropertyExists { .. })
        ));
        assert!(matches!(
            d.destroy_props(id, &s(&["other", "missing"])),
            Err(StoreError::NoProperty { .. })
        ));
        d.destroy_props(id, &s(&["other"])).unwrap();
        assert_eq!(d.dir(id).unwrap().properties.len(), 2); // name, empty
    }

    #[test]
    fn locked_directories_refuse_writes_but_can_be_unlocked() {
        let mut d = Domain::new();
        let id = d.create("/x").unwrap();
        d.create_prop(id, LOCKED, vec![]).unwrap();
        let err = d.create_prop(id, "k", s(&["v"])).unwrap_err();
        assert_eq!(err.exit_status(), 104);
        assert_eq!(d.create("/x/child").unwrap_err().exit_status(), 104);
        assert_eq!(d.destroy("/x").unwrap_err().exit_status(), 104);
        d.destroy_props(id, &s(&[LOCKED])).unwrap();
        // A lock covers everything below, and nothing locked can be destroyed from above.
        let child = d.create("/x/child").unwrap();
        d.create_prop(id, LOCKED, vec![]).unwrap();
        assert_eq!(
            d.create_prop(child, "k", s(&["v"]))
                .unwrap_err()
                .exit_status(),
            104
        );
        d.destroy_props(id, &s(&[LOCKED])).unwrap();
        d.create_prop(child, LOCKED, vec![]).unwrap();
        assert_eq!(d.destroy("/x").unwrap_err().exit_status(), 104);
        d.destroy_props(child, &s(&[LOCKED])).unwrap();
        d.create_prop(id, "k", s(&["v"])).unwrap();
    }

    #[test]
    fn destroy_removes_subtree_not_root() {
        let mut d = Domain::new();
        d.create("/a/b/c").unwrap();
        d.create("/a/d").unwrap();
        d.destroy("/a/b").unwrap();
        assert!(d.resolve("/a/b/c").is_err());
        assert_eq!(d.list(d.resolve("/a").unwrap(), "name").len(), 1);
        assert_eq!(d.destroy("/").unwrap_err().exit_status(), 104);
    }

    #[test]
    fn merge_of_nothing_new_is_clean() {
        let mut d = Domain::new();
        let id = d.create("/x").unwrap();
        d.create_prop(id, "l", s(&["a"])).unwrap();
        d.commit_serial();
        assert_eq!(d.merge_prop(id, "l", s(&["a"])).unwrap(), 0);
        assert!(!d.is_dirty());
    }
}
