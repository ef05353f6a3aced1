//! The library `relayctl` and `relayd` both link: the NetInfo-style store, the trusted
//! host list (parser and compiled matcher), the typed settings and the relay policy.
//!
//! Data flows one way: `store` -> `settings` -> compiled `hostlist` + `policy` -> `trust` and
//! `decision` (the whole RCPT answer) -> sessions.
//! Nothing here reaches back up that chain. Only `dns` does network I/O (the name
//! entries' lookups, shared so that relayd and `relayctl relay check` resolve alike), and
//! only when a list has name entries.

pub mod decision;
pub mod dkim;
pub mod dns;
pub mod headers;
pub mod hostlist;
pub mod outbound;
pub mod policy;
pub mod queue_state;
pub mod settings;
pub mod spool;
pub mod store;
pub mod textmap;
pub mod trust;
pub mod users;
