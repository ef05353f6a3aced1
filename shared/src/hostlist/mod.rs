//! Trusted host lists (being written).
