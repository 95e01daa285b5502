//! Host limit rules: zombies holding PIDs, file handles against
//! fs.file-max, tasks against the kernel's task limit.

use super::super::{HostSeen, HostThresholds, Kind, Severity};
use super::level;
use crate::analysis::ceiling::{exhaustion, percent_of};
use crate::analysis::leak::Metric;
use crate::reader::{Ceilings, Sample};

/// `host.zombies`: many zombies host-wide, lasting or not.
pub fn zombies(h: &HostSeen<'_>, t: &HostThresholds) -> Option<(Severity, Kind)> {
    (h.zombies >= t.zombies_warning)
        .then_some((Severity::Warning, Kind::HostZombies { zombies: h.zombies }))
}

/// `host.file_handles`: allocated file handles against fs.file-max (a
/// file-max of 0 is no verdict).
pub fn file_handles(h: &HostSeen<'_>, t: &HostThresholds) -> Option<(Severity, Kind)> {
    let f = h.host.file_nr?;
    let percent = percent_of(f.allocated, f.max)?;
    let sev = level(percent, t.file_nr_warning_pct, t.file_nr_critical_pct)?;
    Some((
        sev,
        Kind::HostFileHandles {
            allocated: f.allocated,
            file_max: f.max,
            percent,
        },
    ))
}

/// `host.tasks_near_limit`: the host's tasks (threads) against the
/// tighter of kernel.pid_max and kernel.threads-max, chosen by the one
/// ceiling (`analysis::ceiling`), as `watch` and doctor's growers do.
pub fn tasks_near_limit(h: &HostSeen<'_>, t: &HostThresholds) -> Option<(Severity, Kind)> {
    let kernel = Ceilings {
        pid_max: h.host.pid_max,
        threads_max: h.host.threads_max,
        host_tasks: Some(h.tasks),
        ..Ceilings::default()
    };
    let e = exhaustion(Metric::Threads, &Sample::default(), &kernel, 0.0)?;
    let percent = percent_of(h.tasks, e.limit)?;
    (percent >= t.tasks_warning_pct).then_some((
        Severity::Warning,
        Kind::HostTasksNearLimit {
            tasks: h.tasks,
            limit: e.limit,
            which: e.kind,
            percent,
        },
    ))
}
