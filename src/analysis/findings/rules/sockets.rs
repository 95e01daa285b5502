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

#[cfg(test)]
mod tests {
    use super::super::super::ListenQueue;
    use super::*;

    fn with(listeners: &[(u64, Option<u64>)]) -> Facts {
        Facts {
            listeners: Some(
                listeners
                    .iter()
                    .enumerate()
                    .map(|(i, &(accept_queue, backlog))| ListenQueue {
                        local: format!("127.0.0.1:{}", 8000 + i).parse().unwrap(),
                        inode: i as u64,
                        accept_queue,
                        backlog,
                    })
                    .collect(),
            ),
            ..Facts::default()
        }
    }

    #[test]
    fn full_is_critical_near_full_a_warning_unknown_not_judged() {
        let th = Thresholds::default();
        assert!(accept_queue_full(&with(&[(0, Some(128)), (80, Some(128))]), &th).is_none());
        // Unknown backlog: never judged, however long the queue.
        assert!(accept_queue_full(&with(&[(500, None)]), &th).is_none());
        assert!(accept_queue_full(&Facts::default(), &th).is_none());
        // listen(fd, 0) with nothing waiting is not full.
        assert!(accept_queue_full(&with(&[(0, Some(0))]), &th).is_none());
        let (sev, k) = accept_queue_full(&with(&[(116, Some(128))]), &th).unwrap();
        assert_eq!(sev, Severity::Warning);
        assert!(matches!(k, Kind::AcceptQueueFull { full: false, .. }));
        // The full one is named, the near-full one counted.
        let (sev, k) =
            accept_queue_full(&with(&[(120, Some(128)), (5, Some(4)), (1, Some(0))]), &th).unwrap();
        assert_eq!(sev, Severity::Critical);
        let Kind::AcceptQueueFull {
            listener,
            backlog,
            full,
            others,
            ..
        } = k
        else {
            panic!("{k:?}")
        };
        assert_eq!(
            (listener.local.port(), backlog, full, others),
            (8001, 4, true, 2)
        );
    }
}
