//! Thread rules: too many threads.

use super::super::{Facts, Kind, Severity, Thresholds};

/// `threads.high`: threads at or over the threshold (a judgement, not a
/// limit anything fails at), with the largest same-named group.
pub fn high(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let threads = f.threads.filter(|&t| t >= th.threads)?;
    Some((
        Severity::Warning,
        Kind::ThreadsHigh {
            threads,
            threshold: th.threads,
            largest_group: f.top_thread_group.clone(),
        },
    ))
}
