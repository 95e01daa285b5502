//! `/proc/PID/limits`. Written by hand rather than with procfs' `Limits`
//! because that parser underflows (a panic in debug builds) on a short
//! line and fails as a whole when any one of its sixteen limits is missing;
//! proctor needs only a few rows and must degrade row by row.

use super::parse_u64;

/// A soft/hard pair; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// The row named `name` (e.g. "Max open files"), if present and well formed.
pub fn find(b: &[u8], name: &str) -> Option<Limit> {
    let line = b
        .split(|&c| c == b'\n')
        .find(|l| l.starts_with(name.as_bytes()))?;
    let rest = &line[name.len()..];
    let mut cols = rest
        .split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty());
    let value = |v: &[u8]| -> Option<Option<u64>> {
        if v == b"unlimited" {
            Some(None)
        } else {
            parse_u64(v).map(Some)
        }
    };
    let soft = value(cols.next()?)?;
    let hard = value(cols.next()?)?;
    Some(Limit { soft, hard })
}

/// The soft `Max open files` limit (RLIMIT_NOFILE): Some(None) when
/// unlimited, None when the row is missing or malformed.
pub fn nofile_soft(b: &[u8]) -> Option<Option<u64>> {
    find(b, "Max open files").map(|l| l.soft)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &[u8] = b"Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \nMax open files            1024                 20000                files     \nMax processes             95473                95473                processes \nMax nice priority         0                    0                    \n";

    #[test]
    fn nofile_soft_limit() {
        assert_eq!(nofile_soft(LIMITS), Some(Some(1024)));
        assert_eq!(
            nofile_soft(
                b"Max open files            unlimited            unlimited            files\n"
            ),
            Some(None)
        );
        assert_eq!(
            nofile_soft(
                b"Max open files            10x4                 20000                files\n"
            ),
            None
        );
        assert_eq!(
            nofile_soft(
                b"Max processes             95473                95473                processes\n"
            ),
            None
        );
    }

    #[test]
    fn finds_rows() {
        assert_eq!(
            find(LIMITS, "Max open files"),
            Some(Limit {
                soft: Some(1024),
                hard: Some(20000)
            })
        );
        assert_eq!(
            find(LIMITS, "Max cpu time"),
            Some(Limit {
                soft: None,
                hard: None
            })
        );
        assert_eq!(
            find(LIMITS, "Max nice priority"),
            Some(Limit {
                soft: Some(0),
                hard: Some(0)
            })
        );
        assert_eq!(find(LIMITS, "Max locked memory"), None);
    }

    #[test]
    fn short_or_garbage_rows_are_none() {
        assert_eq!(find(b"Limit   Soft Limit\n", "Max open files"), None);
        assert_eq!(find(b"Max open files\n", "Max open files"), None);
        assert_eq!(find(b"Max open files   12\n", "Max open files"), None);
        assert_eq!(find(b"Max open files   x y\n", "Max open files"), None);
        assert_eq!(find(b"", "Max open files"), None);
    }
}
