//! The `fds` view: one row per descriptor, and the summary.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::parse::fdinfo;
use crate::parse::fdlink::{self, FdKind};
use crate::parse::limits::Limit;
use crate::reader::FdEntry;
use crate::text::Text;

#[derive(Debug, Clone, Serialize)]
pub struct FdRow {
    pub fd: i32,
    #[serde(rename = "type")]
    pub kind: FdKind,
    /// For anon inodes: eventpoll, eventfd, inotify, timerfd, ...
    pub anon_kind: Option<Text>,
    pub target: Text,
    /// Why the link could not be read (then `type` is `unreadable` and
    /// `target` empty); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub deleted: bool,
    /// `r`, `w`, `rw` or `path` (with --long).
    pub mode: Option<&'static str>,
    /// Notable open flags (with --long).
    pub flags: Option<Vec<&'static str>>,
    /// File position (with --long).
    pub pos: Option<u64>,
    /// fdinfo values that are present but not valid numbers (their fields
    /// above are null: unknown, not absent); absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fdinfo_parse_error: Option<FdinfoNotANumber>,
}

/// The fdinfo keys of one descriptor whose value is not a number; worded
/// (also as the JSON string) by `render::unavailable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdinfoNotANumber {
    pub keys: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FdsReport {
    pub pid: i32,
    /// All open descriptors (the summary ignores --type).
    pub count: u64,
    pub soft_limit: Option<u64>,
    pub hard_limit: Option<u64>,
    pub usage_percent: Option<f64>,
    pub by_type: BTreeMap<&'static str, u64>,
    pub deleted: u64,
    /// Descriptors whose link could not be read (counted in `count`).
    pub unreadable: u64,
    /// Rows shown (after --type).
    pub fds: Vec<FdRow>,
    /// Sections that could not be read (`limits`): their values are null
    /// because unknown, not because they do not apply.
    pub unavailable: Vec<super::inspect::Unavailable>,
}

/// Build the view. `types` filters rows (empty: all); `limit` is None when
/// /proc/PID/limits could not be read.
pub fn build(
    pid: i32,
    entries: &[FdEntry],
    limit: Option<Limit>,
    blocks: &HashSet<Vec<u8>>,
    types: &[FdKind],
) -> FdsReport {
    let mut by_type: BTreeMap<&'static str, u64> =
        fdlink::ALL_KINDS.iter().map(|k| (k.as_str(), 0)).collect();
    let mut deleted = 0;
    let mut unreadable = 0;
    let mut rows = Vec::new();
    for e in entries {
        let (l, error) = match &e.link {
            Ok(link) => (
                fdlink::classify(link, e.flags().map(fdinfo::is_dir_flags), blocks),
                None,
            ),
            Err(err) => {
                unreadable += 1;
                (fdlink::unreadable(), Some(err.to_string()))
            }
        };
        *by_type.entry(l.kind.as_str()).or_default() += 1;
        deleted += u64::from(l.deleted);
        if !types.is_empty() && !types.contains(&l.kind) {
            continue;
        }
        rows.push(FdRow {
            fd: e.fd,
            kind: l.kind,
            anon_kind: l.anon_kind.map(Text),
            target: Text(e.link.clone().unwrap_or_default()),
            error,
            deleted: l.deleted,
            mode: e.flags().map(fdinfo::mode),
            flags: e.flags().map(fdinfo::flag_names),
            pos: e.info.and_then(|i| i.pos),
            fdinfo_parse_error: e.info.filter(|i| i.invalid != 0).map(|i| FdinfoNotANumber {
                keys: i.invalid_keys(),
            }),
        });
    }
    let count = entries.len() as u64;
    let soft_limit = limit.and_then(|l| l.soft);
    FdsReport {
        pid,
        count,
        soft_limit,
        hard_limit: limit.and_then(|l| l.hard),
        usage_percent: soft_limit
            .filter(|&l| l > 0)
            .map(|l| count as f64 * 100.0 / l as f64),
        by_type,
        deleted,
        unreadable,
        fds: rows,
        unavailable: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(fd: i32, link: &[u8]) -> FdEntry {
        FdEntry {
            fd,
            link: Ok(link.to_vec()),
            info: None,
        }
    }

    #[test]
    fn an_unreadable_link_is_one_counted_row() {
        let mut entries = vec![e(0, b"/dev/null"), e(3, b"socket:[10]")];
        entries.push(FdEntry {
            fd: 4,
            link: Err(crate::error::ReadError::Io {
                path: "/proc/7/fd/4".into(),
                message: "File name too long (os error 36)".into(),
            }),
            info: None,
        });
        let r = build(7, &entries, None, &HashSet::new(), &[]);
        assert_eq!(r.count, 3);
        assert_eq!(r.unreadable, 1);
        assert_eq!(r.by_type["unreadable"], 1);
        assert_eq!(r.by_type["socket"], 1);
        let row = &r.fds[2];
        assert_eq!((row.fd, row.kind), (4, FdKind::Unreadable));
        assert!(row.error.as_deref().unwrap_or("").contains("too long"));
    }

    #[test]
    fn summary_counts_everything_rows_follow_the_filter() {
        let entries = vec![
            e(0, b"/dev/pts/0"),
            e(3, b"socket:[10]"),
            e(4, b"socket:[11]"),
            e(5, b"/tmp/x (deleted)"),
            e(6, b"anon_inode:[eventpoll]"),
        ];
        let r = build(
            7,
            &entries,
            Some(Limit {
                soft: Some(10),
                hard: Some(20),
            }),
            &HashSet::new(),
            &[FdKind::Socket],
        );
        assert_eq!(r.count, 5);
        assert_eq!(r.by_type["socket"], 2);
        assert_eq!(r.by_type["char_device"], 1);
        assert_eq!(r.by_type["file"], 1);
        assert_eq!(r.deleted, 1);
        assert_eq!(r.usage_percent, Some(50.0));
        assert_eq!(r.fds.len(), 2);
        assert!(r.fds.iter().all(|f| f.kind == FdKind::Socket));
        let all = build(7, &entries, None, &HashSet::new(), &[]);
        assert_eq!(all.fds.len(), 5);
        assert_eq!(all.soft_limit, None);
        assert_eq!(all.fds[4].anon_kind, Some(Text::new(b"eventpoll".to_vec())));
        assert!(all.fds[3].deleted);
    }
}
