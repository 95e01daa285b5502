//! Process-state rules: zombie, uninterruptible wait.

use super::super::{Facts, Kind, Severity, Thresholds};

/// `state.zombie`: exited, not reaped by its parent.
pub fn zombie(f: &Facts, _: &Thresholds) -> Option<(Severity, Kind)> {
    (f.state == "Z").then(|| {
        (
            Severity::Warning,
            Kind::Zombie {
                ppid: f.ppid,
                parent_name: f.parent_name.clone(),
            },
        )
    })
}

/// `state.uninterruptible`: blocked in the kernel (D).
pub fn uninterruptible(f: &Facts, _: &Thresholds) -> Option<(Severity, Kind)> {
    (f.state == "D").then_some((Severity::Info, Kind::Uninterruptible))
}
