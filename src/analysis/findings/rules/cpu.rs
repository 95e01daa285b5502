//! CPU rules: preempted more often than not.

use super::super::{Facts, Kind, Severity, Thresholds};
use crate::analysis::ceiling::percent_of;

/// `cpu.nonvoluntary_switches`: the share of nonvoluntary context
/// switches at or over the threshold, once enough were counted.
pub fn nonvoluntary_switches(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let (voluntary, nonvoluntary) = (f.voluntary_switches?, f.nonvoluntary_switches?);
    let total = voluntary.saturating_add(nonvoluntary);
    let percent = percent_of(nonvoluntary, total)?;
    (total >= th.min_switches && percent >= th.nonvoluntary_pct).then_some((
        Severity::Warning,
        Kind::NonvoluntarySwitches {
            voluntary,
            nonvoluntary,
            percent,
        },
    ))
}
