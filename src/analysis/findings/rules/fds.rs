//! Descriptor rules: near the soft limit, deleted files held open.

use super::super::{Facts, Kind, Severity, Thresholds};
use super::level;
use crate::analysis::ceiling::percent_of;

/// `fds.near_limit`: descriptors against the soft RLIMIT_NOFILE (an
/// unlimited or zero limit is no verdict).
pub fn near_limit(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let (fds, soft_limit) = (f.fds?, f.fd_soft_limit?);
    let percent = percent_of(fds, soft_limit)?;
    let sev = level(percent, th.fd_warning_pct, th.fd_critical_pct)?;
    Some((
        sev,
        Kind::FdsNearLimit {
            fds,
            soft_limit,
            percent,
        },
    ))
}

/// `fds.deleted_open`: deleted files still open hold their disk space.
/// With their sizes read, only when they hold at least
/// `deleted_min_bytes` together (each file once): a few empty or small
/// deleted files (a lock, a log rotated away) are ordinary. When a size
/// could not be read the space is unknown and it is said, as before.
pub fn deleted_open(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let deleted = f.deleted.filter(|&d| d > 0)?;
    let (bytes, largest) = match f.deleted_space {
        Some(s) => {
            let bytes = s.bytes?;
            if bytes < th.deleted_min_bytes {
                return None;
            }
            (Some(bytes), Some(s.largest))
        }
        None => (None, None),
    };
    Some((
        Severity::Warning,
        Kind::DeletedOpen {
            deleted,
            bytes,
            largest,
        },
    ))
}
