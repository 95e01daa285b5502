//! Socket rules: CLOSE_WAIT piling up, a listener's accept queue full.

use super::super::{Facts, Kind, Severity, Thresholds};
use crate::analysis::ceiling::percent_of;

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

/// `sockets.accept_queue_full`: a TCP listener whose accept queue is at or
/// over `accept_queue_pct` of its backlog (warning), or holds more than
/// its backlog (the kernel's "full": new connections are dropped;
/// critical). A listener whose backlog is unknown is not judged.
pub fn accept_queue_full(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let near: Vec<(usize, u64, f64, bool)> = f
        .listeners
        .as_ref()?
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let backlog = l.backlog?;
            let full = l.accept_queue > backlog;
            let percent =
                percent_of(l.accept_queue, backlog).unwrap_or(if full { 100.0 } else { 0.0 });
            (full || percent >= th.accept_queue_pct).then_some((i, backlog, percent, full))
        })
        .collect();
    let &(i, backlog, percent, full) = near.iter().max_by(|a, b| {
        (a.3, a.2)
            .partial_cmp(&(b.3, b.2))
            .unwrap_or(std::cmp::Ordering::Equal)
    })?;
    let listener = f.listeners.as_ref()?.get(i)?.clone();
    Some((
        if full {
            Severity::Critical
        } else {
            Severity::Warning
        },
        Kind::AcceptQueueFull {
            listener,
            backlog,
            percent,
            full,
            others: near.len() - 1,
            counters: f.listen_counters,
        },
    ))
}
