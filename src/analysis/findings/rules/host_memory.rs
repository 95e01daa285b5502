//! Host memory rules: MemAvailable low, swap in use, memory pressure.

use super::super::{HostSeen, HostThresholds, Kind, Severity};
use crate::analysis::ceiling::percent_of;

/// `host.mem_available_low`: MemAvailable under a share of MemTotal (a
/// MemTotal of 0 is no verdict).
pub fn mem_available_low(h: &HostSeen<'_>, t: &HostThresholds) -> Option<(Severity, Kind)> {
    let (total_bytes, available_bytes) = (h.host.mem.total?, h.host.mem.available?);
    let percent = percent_of(available_bytes, total_bytes)?;
    let sev = if percent < t.mem_available_critical_pct {
        Severity::Critical
    } else if percent < t.mem_available_warning_pct {
        Severity::Warning
    } else {
        return None;
    };
    Some((
        sev,
        Kind::HostMemAvailableLow {
            available_bytes,
            total_bytes,
            percent,
        },
    ))
}

/// `host.swap_in_use`: any swap in use (info), a warning over a share.
pub fn swap_in_use(h: &HostSeen<'_>, t: &HostThresholds) -> Option<(Severity, Kind)> {
    let (total_bytes, used_bytes) = (h.host.mem.swap_total?, h.host.mem.swap_used()?);
    if used_bytes == 0 {
        return None;
    }
    let percent = percent_of(used_bytes, total_bytes)?;
    let sev = if percent >= t.swap_warning_pct {
        Severity::Warning
    } else {
        Severity::Info
    };
    Some((
        sev,
        Kind::HostSwapInUse {
            used_bytes,
            total_bytes,
            percent,
        },
    ))
}

/// `host.memory_pressure`: PSI memory stalls over 10 s (no PSI on this
/// kernel: no verdict, not "no pressure").
pub fn memory_pressure(h: &HostSeen<'_>, t: &HostThresholds) -> Option<(Severity, Kind)> {
    let p = h.host.psi_memory?;
    let some_avg10 = p.some.map_or(0.0, |s| s.avg10);
    let full_avg10 = p.full.map_or(0.0, |s| s.avg10);
    let sev = if full_avg10 >= t.psi_full_critical {
        Severity::Critical
    } else if some_avg10 >= t.psi_some_warning {
        Severity::Warning
    } else {
        return None;
    };
    Some((
        sev,
        Kind::HostMemoryPressure {
            some_avg10,
            full_avg10,
        },
    ))
}
