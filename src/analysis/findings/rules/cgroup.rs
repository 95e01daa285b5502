//! Cgroup rules, judged once per cgroup (not once per process): the
//! working set against the memory limit, tasks against pids.max, OOM
//! kills, CPU throttling against the quota. Each names the cgroup's
//! largest processes by their share (RSS, tasks, CPU time: top 3).
//!
//! `cgroup.oom_kills` wins over the per-process `memory.oom_kills`: the
//! counter belongs to the cgroup, so where the cgroup's counts were read
//! the process rule is dropped (`inspect`) or never run (`doctor`).

use super::super::{CgroupFinding, CgroupKind, CgroupSeen, Kind, Severity, Share, Thresholds};
use super::level;
use crate::analysis::ceiling::percent_of;
use crate::reader::CgroupMember;
use crate::text::Text;

/// How many processes a cgroup finding names.
pub const TOP: usize = 3;

/// The members' shares of `measure`, largest first, at most [`TOP`]; a
/// total of 0 gives no shares (never a division by 0).
pub fn top_shares(members: &[CgroupMember], measure: fn(&CgroupMember) -> u64) -> Vec<Share> {
    let total = members
        .iter()
        .fold(0u64, |t, m| t.saturating_add(measure(m)));
    let mut v: Vec<Share> = members
        .iter()
        .filter_map(|m| {
            Some(Share {
                pid: m.pid,
                name: Text(m.name.clone()),
                percent: percent_of(measure(m), total)?,
            })
        })
        .collect();
    v.sort_by(|a, b| b.percent.total_cmp(&a.percent).then(a.pid.cmp(&b.pid)));
    v.truncate(TOP);
    v
}

/// Working set as cadvisor and the kubelet compute it: usage minus the
/// inactive file pages, saturating (None when either is unknown).
pub fn working_set(usage: Option<u64>, inactive_file: Option<u64>) -> Option<u64> {
    Some(usage?.saturating_sub(inactive_file?))
}

/// `cgroup.memory_near_limit`: the working set against the tightest
/// limit, with the process rule's thresholds.
pub fn memory_near_limit(c: &CgroupSeen<'_>, th: &Thresholds) -> Option<(Severity, Kind)> {
    let (m, members) = c.memory?;
    let ws = working_set(m.usage, m.inactive_file)?;
    let limit = m.limit?;
    let percent = percent_of(ws, limit)?;
    let sev = level(percent, th.mem_warning_pct, th.mem_critical_pct)?;
    Some((
        sev,
        Kind::Cgroup(CgroupFinding {
            cgroup: Text(m.path.clone()),
            judged: CgroupKind::MemoryNearLimit {
                working_set_bytes: ws,
                limit_bytes: limit,
                percent,
            },
            top: top_shares(members, |m| m.rss_bytes),
        }),
    ))
}

/// `cgroup.tasks_near_limit`: pids.current against pids.max (warning at
/// 90%, critical at 98%: fork() fails at the limit).
pub fn tasks_near_limit(c: &CgroupSeen<'_>, th: &Thresholds) -> Option<(Severity, Kind)> {
    let (p, members) = c.pids?;
    let max = p.max?;
    let percent = percent_of(p.current, max)?;
    let sev = level(
        percent,
        th.cgroup_tasks_warning_pct,
        th.cgroup_tasks_critical_pct,
    )?;
    Some((
        sev,
        Kind::Cgroup(CgroupFinding {
            cgroup: Text(p.path.clone()),
            judged: CgroupKind::TasksNearLimit {
                tasks: p.current,
                max,
                percent,
            },
            top: top_shares(members, |m| m.threads),
        }),
    ))
}

/// `cgroup.oom_kills`: the OOM killer acted in the cgroup (both kinds
/// of kill counted).
pub fn oom_kills(c: &CgroupSeen<'_>, _: &Thresholds) -> Option<(Severity, Kind)> {
    let (m, members) = c.memory?;
    let kill = m.oom.oom_kill.unwrap_or(0);
    let group = m.oom.oom_group_kill;
    if kill.saturating_add(group.unwrap_or(0)) == 0 {
        return None;
    }
    Some((
        Severity::Critical,
        Kind::Cgroup(CgroupFinding {
            cgroup: Text(m.path.clone()),
            judged: CgroupKind::OomKills {
                oom_kill: kill,
                oom_group_kill: group,
            },
            top: top_shares(members, |m| m.rss_bytes),
        }),
    ))
}

/// `cgroup.cpu_throttled`: throttled in a share of the periods counted
/// (at least `min_periods` of them) against a quota.
pub fn cpu_throttled(c: &CgroupSeen<'_>, th: &Thresholds) -> Option<(Severity, Kind)> {
    let (cpu, members) = c.cpu?;
    let t = cpu.throttling?;
    if t.nr_periods < th.min_periods {
        return None;
    }
    let percent = percent_of(t.nr_throttled, t.nr_periods)?;
    let sev = level(percent, th.throttled_warning_pct, th.throttled_critical_pct)?;
    let quota_cpus = cpu
        .quota
        .and_then(|q| Some(q.quota_us? as f64 / q.period_us as f64));
    Some((
        sev,
        Kind::Cgroup(CgroupFinding {
            cgroup: Text(cpu.path.clone()),
            judged: CgroupKind::CpuThrottled {
                periods: t.nr_periods,
                throttled: t.nr_throttled,
                percent,
                throttled_seconds: t.throttled_ns as f64 / 1e9,
                quota_cpus,
            },
            top: top_shares(members, |m| m.cpu_ticks),
        }),
    ))
}
