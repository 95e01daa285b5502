//! Memory rules: RSS near the cgroup limit, OOM kills, swap in use.

use super::super::{Facts, Kind, Severity, Thresholds};
use super::level;
use crate::analysis::ceiling::percent_of;

/// `memory.near_cgroup_limit`: RSS against the memory cgroup's limit.
pub fn near_cgroup_limit(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let (rss_bytes, limit_bytes) = (f.rss_bytes?, f.memory_limit_bytes?);
    let percent = percent_of(rss_bytes, limit_bytes)?;
    let sev = level(percent, th.mem_warning_pct, th.mem_critical_pct)?;
    Some((
        sev,
        Kind::MemoryNearCgroupLimit {
            rss_bytes,
            limit_bytes,
            percent,
        },
    ))
}

/// `memory.oom_kills`: the OOM killer acted in the process's cgroup.
pub fn oom_kills(f: &Facts, _: &Thresholds) -> Option<(Severity, Kind)> {
    let oom_kills = f.oom_kills.filter(|&k| k > 0)?;
    Some((
        Severity::Critical,
        Kind::OomKills {
            oom_kills,
            cgroup: None,
        },
    ))
}

/// `memory.swap_in_use`: part of the process is in swap; a warning from
/// 10% of its memory (swap + RSS).
pub fn swap_in_use(f: &Facts, _: &Thresholds) -> Option<(Severity, Kind)> {
    let swap_bytes = f.swap_bytes.filter(|&s| s > 0)?;
    let rss = f.rss_bytes.unwrap_or(0);
    let percent_of_memory = percent_of(swap_bytes, swap_bytes.saturating_add(rss))?;
    let sev = if percent_of_memory >= 10.0 {
        Severity::Warning
    } else {
        Severity::Info
    };
    Some((
        sev,
        Kind::SwapInUse {
            swap_bytes,
            percent_of_memory,
        },
    ))
}
