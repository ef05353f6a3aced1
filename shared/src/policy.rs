//! Relay policy (being written).
