//! Errors of the store, each mapped to niutil's exit status so that scripts written for
//! niutil keep working (`100 + ni_status`, 199 for a general failure).

use std::path::PathBuf;

/// Where in a file something went wrong (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// NetInfo's NI_NODIR.
    #[error("{path}: No such directory")]
    NoDirectory { path: String },
    /// NetInfo's NI_NOPROP.
    #[error("{key}: No such property")]
    NoProperty { key: String },
    /// NetInfo's NI_PERM: the directory carries `_locked`, or the root cannot be destroyed.
    #[error("{path}: Permission denied ({why})")]
    PermissionDenied { path: String, why: String },
    /// niutil exits 3 when an index is not a usable number.
    #[error("bad index {index}: {why}")]
    BadIndex { index: String, why: String },
    /// A NetInfo path that does not parse.
    #[error("bad path {path}: {why}")]
    BadPath { path: String, why: String },
    /// A property rename onto a key that already exists.
    #[error("{key}: property already exists")]
    PropertyExists { key: String },
    /// A store file that does not parse. It is never overwritten.
    #[error("{}{}: {reason} (the file is left untouched; repair it or restore it from a backup)", file.display(), position.map(|p| format!(":{p}")).unwrap_or_default())]
    Corrupt {
        file: PathBuf,
        position: Option<Position>,
        reason: String,
    },
    /// Raw (nidump) input that does not parse.
    #[error("{source_name}:{position}: {reason}")]
    Syntax {
        source_name: String,
        position: Position,
        reason: String,
    },
    /// Every directory id (or the serial) has been used: the store cannot grow.
    #[error("{what} exhausted: the store has used every {what} up to {max} (dump it with nidump and load it into a new store to renumber)")]
    Exhausted { what: &'static str, max: u64 },
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// The exit status niutil would use for this error.
    pub fn exit_status(&self) -> i32 {
        match self {
            StoreError::NoDirectory { .. } => 105,
            StoreError::NoProperty { .. } => 106,
            StoreError::PermissionDenied { .. } => 104,
            StoreError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                104
            }
            StoreError::BadIndex { .. } => 3,
            _ => 199,
        }
    }

    pub(crate) fn io(file: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            file: file.into(),
            source,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Converts a byte offset into a 1-based line and column (columns count characters).
pub fn position_of(text: &[u8], offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Position { line, column }
}
