//! The NetInfo-style store: a domain is a tree of directories, each with ordered
//! properties holding ordered string values, persisted as a property-list file that
//! `relayctl` writes and `relayd` watches. See `man 5 relay-store`.

mod error;
mod file;
mod path;
pub mod raw;
mod tree;

pub use error::{position_of, Position, Result, StoreError};
pub use file::{decode, encode, Store, DIR_MODE, DOMAIN_FILE, FILE_MODE};
pub use path::{escape_component, Component, NiPath};
pub use tree::{DirId, Directory, Domain, Property, LOCKED, ROOT};
