//! The library `relayctl` and `relayd` both link: the NetInfo-style store, the trusted
//! host list (parser and compiled matcher), the typed settings and the relay policy.
//!
//! Data flows one way: `store` -> `settings` -> compiled `hostlist` + `policy` -> sessions.
//! Nothing here reaches back up that chain, and nothing here does network I/O.

pub mod hostlist;
pub mod policy;
pub mod settings;
pub mod spool;
pub mod store;
pub mod users;
