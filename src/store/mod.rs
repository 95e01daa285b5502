//! The history file: a SQLite database (WAL mode, schema in [`schema`],
//! documented in docs/history.md). The only code that touches it; like
//! `reader`, it returns data and never words. `write` records frames,
//! `read` loads a window back.

pub mod model;
pub mod read;
pub mod schema;
pub mod write;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use model::*;

/// Why the history file could not be used. Each kind has its own message
/// and hint (`cmd::record`), and exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No space left on the device (or RLIMIT_FSIZE, or a quota).
    #[error("no space left to write {}", path.display())]
    Full { path: PathBuf },
    /// The file or its directory cannot be written.
    #[error("{} is read-only", path.display())]
    ReadOnly { path: PathBuf },
    /// Another process writes the file (another recorder, or a write
    /// transaction that did not end within the busy timeout).
    #[error("{} is locked by another writer", path.display())]
    Locked { path: PathBuf },
    /// Written by a newer proctor: its schema is `found`, this build's
    /// [`schema::VERSION`].
    #[error("{} has history schema {found}, newer than this proctor's {}", path.display(), schema::VERSION)]
    Newer { path: PathBuf, found: i64 },
    /// Written by an older proctor (schema `found`): read with its own
    /// meaning, never added to (its stored values mean something else).
    #[error("{} has history schema {found}, older than this proctor's {}", path.display(), schema::VERSION)]
    Older { path: PathBuf, found: i64 },
    /// A SQLite database of something else, or not a database at all.
    #[error("{} is not a proctor history", path.display())]
    Foreign { path: PathBuf },
    /// The database is damaged (truncated, overwritten).
    #[error("{} is damaged: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    /// The file does not exist (reading).
    #[error("{} does not exist", path.display())]
    Missing { path: PathBuf },
    /// Anything else SQLite or the file system said.
    #[error("{}: {detail}", path.display())]
    Other { path: PathBuf, detail: String },
}

impl StoreError {
    /// The kind, for JSON and tests: `full`, `read_only`, `locked`,
    /// `newer_schema`, `older_schema`, `not_a_history`, `corrupt`, `missing`, `error`.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Full { .. } => "full",
            StoreError::ReadOnly { .. } => "read_only",
            StoreError::Locked { .. } => "locked",
            StoreError::Newer { .. } => "newer_schema",
            StoreError::Older { .. } => "older_schema",
            StoreError::Foreign { .. } => "not_a_history",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::Missing { .. } => "missing",
            StoreError::Other { .. } => "error",
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            StoreError::Full { path }
            | StoreError::ReadOnly { path }
            | StoreError::Locked { path }
            | StoreError::Newer { path, .. }
            | StoreError::Older { path, .. }
            | StoreError::Foreign { path }
            | StoreError::Corrupt { path, .. }
            | StoreError::Missing { path }
            | StoreError::Other { path, .. } => path,
        }
    }

    /// SQLite's error as one of the kinds.
    pub fn from_sqlite(path: &Path, e: &rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode as C;
        let path = path.to_path_buf();
        let detail = e.to_string();
        match e.sqlite_error_code() {
            Some(C::DiskFull) => StoreError::Full { path },
            Some(C::ReadOnly) => StoreError::ReadOnly { path },
            Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::Locked { path },
            Some(C::NotADatabase) => StoreError::Foreign { path },
            Some(C::DatabaseCorrupt) => StoreError::Corrupt { path, detail },
            Some(C::SystemIoFailure) if detail.contains("disk") => StoreError::Full { path },
            Some(C::CannotOpen) if !path.exists() => StoreError::Missing { path },
            _ => StoreError::Other { path, detail },
        }
    }
}

/// -1 in the file: could not be read.
pub(crate) const UNKNOWN: i64 = -1;

/// A value as stored: None -> -1, saturating at i64::MAX.
pub(crate) fn to_db(v: Option<u64>) -> i64 {
    v.map_or(UNKNOWN, |v| i64::try_from(v).unwrap_or(i64::MAX))
}

/// The largest counter stored: a counter written absolute in a row of
/// increases is stored as `-2 - value` ([`schema`]), which holds values up
/// to `i64::MAX - 1`; counters saturate there in every row alike.
pub(crate) const COUNTER_MAX: i64 = i64::MAX - 1;

/// A process metric as stored (counters saturate at [`COUNTER_MAX`]).
pub(crate) fn metric_to_db(m: ProcMetric, v: Option<u64>) -> i64 {
    let x = to_db(v);
    if m.is_counter() {
        x.min(COUNTER_MAX)
    } else {
        x
    }
}

/// A stored value back: negative is "could not be read".
pub(crate) fn from_db(v: i64) -> Option<u64> {
    u64::try_from(v).ok()
}
