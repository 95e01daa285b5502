//! Socket rules: CLOSE_WAIT piling up.

use super::super::{Facts, Kind, Severity, Thresholds};

/// `sockets.close_wait`: sockets the peer closed and the process did not.
pub fn close_wait(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let close_wait = f.close_wait.filter(|&c| c >= th.close_wait)?;
    Some((
        Severity::Warning,
        Kind::CloseWait {
            close_wait,
            threshold: th.close_wait,
        },
    ))
}
