//! The NetInfo-style store: a domain is a tree of directories, each with ordered
//! properties holding ordered string values, persisted as a property-list file that
//! `relayctl` writes and `relayd` watches. See `man 5 relay-store`.

mod canonical;
mod delta;
mod error;
mod file;
mod path;
pub mod raw;
mod tree;

pub use delta::{DELTA_FILE, DELTA_MAX_CHANGES};
pub use error::{position_of, Position, Result, StoreError};
pub use file::{
    decode, decode_any, encode, file_id, FileId, Loaded, Since, Store, Version, DIR_MODE,
    DOMAIN_FILE, FILE_MODE,
};
pub use path::{escape_component, Component, NiPath};
pub use tree::{Change, DirId, Directory, Domain, Property, DELTA_MAX_VALUES, LOCKED, ROOT};
