//! The words of every finding: its one-line message and the next command
//! to run, written from the typed [`Kind`] the rule returned (analysis
//! keeps values, never sentences; see `analysis::findings`). Also the
//! JSON form of a finding: `Serialize` for [`Finding`] (as `inspect`
//! shows it) and for [`DoctorFinding`] (with the process), implemented
//! here so that the `message` and `next` fields are filled by render
//! whenever a report is serialized, while the reports themselves stay
//! plain derived data.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt::Write as _;

use super::units::iec;
use crate::analysis::ceiling::Kind as LimitKind;
use crate::analysis::cpu::{Basis, HotThread};
use crate::analysis::doctor::DoctorFinding;
use crate::analysis::findings::{CgroupFinding, CgroupKind, Finding, Kind, Severity};
use crate::analysis::leak::Metric;
use crate::text::Text;

/// `"es"` after "process" unless one.
fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// The finding in one line for people.
pub fn message(f: &Finding) -> String {
    match &f.kind {
        Kind::FdsNearLimit {
            fds,
            soft_limit,
            percent,
        } => format!(
            "{fds} of {soft_limit} file descriptors in use ({percent:.0}% of the soft limit): \"too many open files\" is near"
        ),
        Kind::DeletedOpen {
            deleted,
            bytes,
            largest,
        } => deleted_open(*deleted, *bytes, *largest),
        Kind::MemoryNearCgroupLimit {
            rss_bytes,
            limit_bytes,
            percent,
        } => format!(
            "RSS {} is {percent:.0}% of the cgroup memory limit {}: the OOM killer acts at the limit",
            iec(*rss_bytes),
            iec(*limit_bytes)
        ),
        Kind::OomKills { oom_kills, cgroup } => oom_kills_words(*oom_kills, cgroup.as_ref()),
        Kind::Cgroup(c) => cgroup_words(c),
        Kind::SwapInUse {
            swap_bytes,
            percent_of_memory,
        } => format!(
            "{} of this process is in swap ({percent_of_memory:.0}% of its memory): touching it stalls on disk",
            iec(*swap_bytes)
        ),
        Kind::ThreadsHigh {
            threads,
            threshold,
            largest_group,
        } => {
            let detail = largest_group
                .as_ref()
                .map(|(pattern, count)| format!("; largest group {} x{count}", pattern.display()))
                .unwrap_or_default();
            format!(
                "{threads} threads (threshold {threshold}){detail}: suspect a thread leak or an unbounded pool"
            )
        }
        Kind::CloseWait { close_wait, .. } => format!(
            "{close_wait} TCP sockets in CLOSE_WAIT: the peer closed and this process never called close() (a socket leak)"
        ),
        Kind::AcceptQueueFull { .. } => accept_queue_words(&f.kind),
        Kind::Zombie { ppid, parent_name } => format!(
            "zombie: the process exited but its parent {ppid} ({}) has not reaped it",
            name_or_unknown(parent_name.as_ref())
        ),
        Kind::Uninterruptible => {
            "in uninterruptible wait (D): blocked in the kernel, usually on disk or network I/O"
                .to_string()
        }
        Kind::NonvoluntarySwitches { .. } | Kind::BusyThread { .. } | Kind::CpuBusy { .. } => {
            cpu_words(&f.kind)
        }
        Kind::ZombiesUnreaped {
            ppid,
            parent_name,
            zombies,
        } => zombies_unreaped_words(*ppid, parent_name.as_ref(), zombies),
        Kind::HostMemAvailableLow {
            available_bytes,
            total_bytes,
            percent,
        } => format!(
            "only {} of {} memory is available ({percent:.1}%): the kernel is close to reclaiming hard and the OOM killer",
            iec(*available_bytes),
            iec(*total_bytes)
        ),
        Kind::HostSwapInUse {
            used_bytes,
            total_bytes,
            percent,
        } => format!(
            "{} of {} swap in use ({percent:.0}%): memory was short at some point; processes touching swapped pages stall on disk",
            iec(*used_bytes),
            iec(*total_bytes)
        ),
        Kind::HostMemoryPressure {
            some_avg10,
            full_avg10,
        } => format!(
            "memory pressure: some task stalled on memory {some_avg10:.1}% and all tasks {full_avg10:.1}% of the last 10 s (PSI): the host is thrashing or reclaiming"
        ),
        Kind::HostZombies { zombies } => format!(
            "{zombies} zombie processes on the host: each holds a PID until its parent reaps it"
        ),
        Kind::HostFileHandles {
            allocated,
            file_max,
            percent,
        } => format!(
            "{allocated} of {file_max} file handles allocated host-wide ({percent:.0}% of fs.file-max): every open() will fail at the limit"
        ),
        Kind::HostTasksNearLimit {
            tasks,
            limit,
            which,
            percent,
        } => format!(
            "{tasks} tasks (threads) of at most {limit} ({}, {percent:.0}%): fork() and thread creation will fail",
            match which {
                LimitKind::PidMax => "kernel.pid_max",
                LimitKind::ThreadsMax => "kernel.threads-max",
                _ => "kernel task limit",
            }
        ),
        Kind::Growth {
            metric,
            from,
            to,
            seconds,
            exhaustion,
            ..
        } => growth_words(*metric, *from, *to, *seconds, exhaustion.as_ref()),
    }
}

/// A thread by name and TID: `"worker" (TID 123)`.
fn thread_name(t: &HotThread) -> String {
    format!("\"{}\" (TID {})", t.name.display(), t.tid)
}

/// A thread with its share of a CPU: `"worker" (TID 123) at 98% of a CPU`.
fn thread_words(t: &HotThread) -> String {
    format!("{} at {:.0}% of a CPU", thread_name(t), t.percent)
}

/// Over what a CPU share was measured.
fn over(seconds: f64, basis: Basis) -> String {
    match basis {
        Basis::Sampled => format!("over the {seconds:.1}s sample"),
        Basis::Lifetime => format!("over its {} life", super::units::duration(seconds)),
    }
}

/// One thread using most of a CPU, and the process around it.
fn busy_thread_words(
    t: &HotThread,
    thread_seconds: Option<f64>,
    process_percent: f64,
    seconds: f64,
    basis: Basis,
) -> String {
    let measured = match thread_seconds {
        Some(s) => format!("over {s:.1}s"),
        None => "on average over its life".to_string(),
    };
    format!(
        "thread {} uses {:.0}% of a CPU {measured} (the process: {process_percent:.0}% {}): this one thread is the bottleneck, more CPUs will not help it",
        thread_name(t),
        t.percent,
        over(seconds, basis)
    )
}

/// A process using most of a CPU or more, and its hottest threads.
fn cpu_busy_words(
    percent: f64,
    cpus: Option<usize>,
    seconds: f64,
    basis: Basis,
    hottest: &[HotThread],
) -> String {
    let of = cpus.map_or_else(String::new, |n| {
        format!(" (the host has {n} CPU{})", if n == 1 { "" } else { "s" })
    });
    let threads = if hottest.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = hottest
            .iter()
            .map(|t| format!("{} {:.0}%", thread_name(t), t.percent))
            .collect();
        format!("; hottest threads: {}", list.join(", "))
    };
    format!(
        "uses {percent:.0}% of one CPU {}{of}{threads}",
        over(seconds, basis)
    )
}

/// The words of the CPU kinds (see [`message`]).
fn cpu_words(kind: &Kind) -> String {
    match kind {
        Kind::NonvoluntarySwitches {
            percent,
            hot_thread,
            ..
        } => format!(
            "{percent:.0}% of context switches are nonvoluntary: the process is often preempted (CPU contention or a CPU quota){}",
            hot_thread
                .as_ref()
                .map(|t| format!("; its hottest thread is {}", thread_words(t)))
                .unwrap_or_default()
        ),
        Kind::BusyThread {
            thread,
            thread_seconds,
            process_percent,
            seconds,
            basis,
        } => busy_thread_words(thread, *thread_seconds, *process_percent, *seconds, *basis),
        Kind::CpuBusy {
            percent,
            cpus,
            seconds,
            basis,
            hottest,
        } => cpu_busy_words(*percent, *cpus, *seconds, *basis, hottest),
        _ => String::new(),
    }
}

fn name_or_unknown(name: Option<&Text>) -> String {
    name.map(Text::display).unwrap_or_else(|| "?".into())
}

fn oom_kills_words(k: u64, cgroup: Option<&Text>) -> String {
    let es = plural(k, "", "es");
    match cgroup {
        Some(cg) => format!(
            "the OOM killer has killed {k} process{es} in memory cgroup {}",
            cg.display()
        ),
        None => {
            format!("the OOM killer has killed {k} process{es} in this process's memory cgroup")
        }
    }
}

/// A fast grower: how much in how long, and when it reaches its limit at
/// that rate (the same words as `watch`).
fn growth_words(
    metric: Metric,
    from: u64,
    to: u64,
    seconds: f64,
    exhaustion: Option<&crate::analysis::ceiling::Exhaustion>,
) -> String {
    let what = match metric {
        Metric::Fds => "open descriptors",
        Metric::Threads => "threads",
        Metric::Rss => "RSS",
        other => other.name(),
    };
    format!(
        "{what} grew from {} to {} in {seconds:.1}s: a leak suspect{}",
        super::watch::fmt_value(metric, from as f64),
        super::watch::fmt_value(metric, to as f64),
        super::watch::reaches(metric, exhaustion)
    )
}

/// Zombie PIDs listed up to ten, and what to do about the parent.
fn zombies_unreaped_words(ppid: i32, parent_name: Option<&Text>, zombies: &[i32]) -> String {
    let n = zombies.len();
    let list: Vec<String> = zombies.iter().take(10).map(i32::to_string).collect();
    let more = if n > 10 {
        format!(" and {} more", n - 10)
    } else {
        String::new()
    };
    let them = if n == 1 { "it" } else { "them" };
    let advice = if ppid == 1 {
        ": PID 1 does not reap orphans here (in a container, run an init such as tini or `docker run --init`)".to_string()
    } else {
        format!(
            ": the parent has not called wait() for {them} (fix its SIGCHLD handling, or restart it so that init reaps {them})"
        )
    };
    format!(
        "{n} zombie child{} not reaped by {ppid} ({}): PID{} {}{more}{advice}",
        if n == 1 { "" } else { "ren" },
        name_or_unknown(parent_name),
        if n == 1 { "" } else { "s" },
        list.join(", ")
    )
}

/// "cgroup /a/b: ...; by RSS: worker 11 (62%), sh 12 (38%)".
fn cgroup_words(c: &CgroupFinding) -> String {
    let (what, by) = match &c.judged {
        CgroupKind::MemoryNearLimit {
            working_set_bytes,
            limit_bytes,
            percent,
        } => (
            format!(
                "working set {} is {percent:.0}% of the memory limit {}: the OOM killer acts at the limit",
                iec(*working_set_bytes),
                iec(*limit_bytes)
            ),
            "RSS",
        ),
        CgroupKind::TasksNearLimit {
            tasks,
            max,
            percent,
        } => (
            format!(
                "{tasks} of {max} tasks (pids.max, {percent:.0}%): fork() and thread creation fail at the limit"
            ),
            "tasks",
        ),
        CgroupKind::OomKills {
            oom_kill,
            oom_group_kill,
        } => {
            let group = match oom_group_kill {
                Some(g) if *g > 0 => format!(" and {g} group OOM kill{}", plural(*g, "", "s")),
                _ => String::new(),
            };
            (
                format!(
                    "{oom_kill} OOM kill{}{group} recorded: processes died at its memory limit",
                    plural(*oom_kill, "", "s")
                ),
                "RSS",
            )
        }
        CgroupKind::CpuThrottled {
            percent,
            throttled_seconds,
            quota_cpus,
            ..
        } => {
            let quota = match quota_cpus {
                Some(q) => format!(" against a quota of {} CPU", trim_cpus(*q)),
                None => " (no quota of its own: an ancestor's)".to_string(),
            };
            (
                format!(
                    "throttled in {percent:.0}% of periods ({} lost){quota}",
                    seconds_lost(*throttled_seconds)
                ),
                "CPU time",
            )
        }
    };
    let names = if c.top.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = c
            .top
            .iter()
            .map(|s| format!("{} {} ({:.0}%)", s.name.display(), s.pid, s.percent))
            .collect();
        format!("; by {by}: {}", list.join(", "))
    };
    format!("cgroup {}: {what}{names}", c.cgroup.display())
}

/// "3.1 s" under a minute, else the usual duration.
fn seconds_lost(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        super::units::duration(s)
    }
}

/// A CPU count without trailing zeros (0.5, 1, 1.25).
fn trim_cpus(q: f64) -> String {
    let s = format!("{q:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `fds.deleted_open`: the space held and the largest file when known.
fn deleted_open(deleted: u64, bytes: Option<u64>, largest: Option<u64>) -> String {
    let are = plural(deleted, " is", "s are");
    match bytes {
        Some(b) => {
            let big = match largest {
                Some(l) if deleted > 1 => format!(" (the largest {})", iec(l)),
                _ => String::new(),
            };
            format!(
                "{deleted} deleted file{are} still held open, holding {}{big}: the space is not freed until closed",
                iec(b)
            )
        }
        None => format!(
            "{deleted} deleted file{are} still held open (size unknown): its disk space is not freed until closed"
        ),
    }
}

/// A listener's accept queue full or near full: which, how full, the
/// namespace's drop counters when read, and what to look at.
fn accept_queue_words(k: &Kind) -> String {
    let Kind::AcceptQueueFull {
        listener,
        backlog,
        percent,
        full,
        others,
        counters,
    } = k
    else {
        return String::new();
    };
    let addr = crate::parse::net::format_addr(&listener.local);
    let state = if *full {
        "full: new connections are being dropped".to_string()
    } else {
        format!("{percent:.0}% full: connections will be dropped when it fills")
    };
    let mut s = format!(
        "accept queue of TCP listener {addr} {state} ({} waiting for accept(), backlog {backlog}; ss -ltn 'sport = :{}' shows it as Recv-Q/Send-Q)",
        listener.accept_queue,
        listener.local.port()
    );
    if *others > 0 {
        let _ = write!(s, "; {others} more listener(s) near full");
    }
    if let Some(c) = counters {
        let n = |v: Option<u64>| v.map_or_else(|| "?".to_string(), |v| v.to_string());
        let _ = write!(
            s,
            "; its network namespace counted {} ListenOverflows and {} ListenDrops",
            n(c.overflows),
            n(c.drops)
        );
    }
    s.push_str(": the application is not calling accept() fast enough (check its accept loop and what blocks it), or its backlog is too small for its bursts (raise the backlog it passes to listen(), capped by net.core.somaxconn)");
    s
}

/// The command to run next for the full evidence, if any.
pub fn next(f: &Finding) -> Option<String> {
    const TOP_RSS: &str = "proctor top --once --sort rss --limit 10";
    let pid = f.pid.map_or_else(|| "?".to_string(), |p| p.to_string());
    Some(match &f.kind {
        Kind::FdsNearLimit { .. } => format!("proctor fds {pid}"),
        Kind::DeletedOpen { .. } => "proctor who --deleted".to_string(),
        Kind::MemoryNearCgroupLimit { .. } => format!("proctor maps {pid} --sort rss"),
        // Inspect already shows the process; doctor names a cgroup
        // after one of its processes.
        Kind::OomKills { cgroup: None, .. } => return None,
        Kind::OomKills {
            cgroup: Some(_), ..
        } => format!("proctor inspect {pid}"),
        Kind::SwapInUse { .. } | Kind::Uninterruptible => return None,
        Kind::Cgroup(c) => cgroup_next(c)?,
        Kind::ThreadsHigh { .. } => format!("proctor threads {pid}"),
        Kind::CloseWait { .. } => format!("proctor net {pid} --state CLOSE_WAIT"),
        Kind::AcceptQueueFull { .. } => format!("proctor net {pid} --listening"),
        Kind::Zombie { ppid, .. } | Kind::ZombiesUnreaped { ppid, .. } => {
            format!("proctor inspect {ppid}")
        }
        Kind::NonvoluntarySwitches { .. } => format!("proctor threads {pid} --sort switches"),
        Kind::BusyThread { .. } | Kind::CpuBusy { .. } => {
            format!("proctor threads {pid} --sort cpu")
        }
        Kind::HostMemAvailableLow { .. }
        | Kind::HostSwapInUse { .. }
        | Kind::HostMemoryPressure { .. } => TOP_RSS.to_string(),
        Kind::HostZombies { .. } => "proctor top --once --filter defunct".to_string(),
        Kind::HostFileHandles { .. } => "proctor top --once --sort fds --limit 10".to_string(),
        Kind::HostTasksNearLimit { .. } => {
            "proctor top --once --sort threads --limit 10".to_string()
        }
        Kind::Growth { metric, .. } => {
            format!("proctor watch {pid} --metrics {}", metric.name())
        }
    })
}

/// The largest process's view for the cgroup's resource.
fn cgroup_next(c: &CgroupFinding) -> Option<String> {
    let pid = c.top.first()?.pid;
    Some(match c.judged {
        CgroupKind::MemoryNearLimit { .. } | CgroupKind::OomKills { .. } => {
            format!("proctor maps {pid} --sort rss")
        }
        CgroupKind::TasksNearLimit { .. } => format!("proctor threads {pid}"),
        CgroupKind::CpuThrottled { .. } => format!("proctor threads {pid} --sort cpu"),
    })
}

/// A finding as `inspect --json` shows it.
#[derive(Serialize)]
struct FindingDoc {
    id: &'static str,
    severity: Severity,
    message: String,
    evidence: BTreeMap<&'static str, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FindingDoc {
            id: self.id,
            severity: self.severity,
            message: message(self),
            evidence: self.evidence(),
            next: next(self),
        }
        .serialize(s)
    }
}

/// A finding as `doctor --json` shows it: the process first, and `next`
/// always present (null when there is none).
#[derive(Serialize)]
struct DoctorFindingDoc<'a> {
    pid: Option<i32>,
    name: Option<&'a Text>,
    id: &'static str,
    severity: Severity,
    message: String,
    evidence: BTreeMap<&'static str, Value>,
    next: Option<String>,
    /// The workload (as `inspect`'s), null for the host's findings.
    workload: Option<&'a crate::analysis::workload::WorkloadReport>,
}

impl Serialize for DoctorFinding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = &self.finding;
        DoctorFindingDoc {
            pid: f.pid,
            name: self.name.as_ref(),
            id: f.id,
            severity: f.severity,
            message: message(f),
            evidence: f.evidence(),
            next: next(f),
            workload: self.workload.as_ref(),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::analysis::findings::Share;

    fn finding(id: &'static str, pid: Option<i32>, kind: Kind) -> Finding {
        Finding {
            id,
            severity: Severity::Warning,
            pid,
            kind,
        }
    }

    fn text(s: &str) -> Text {
        Text(s.as_bytes().to_vec())
    }

    /// One synthetic finding of every kind (a new kind fails to build
    /// until it is added to the match below, then shows in the snapshot).
    /// The fast growers: against the soft limit, a pids cgroup (with a
    /// hostile path), and no known limit.
    fn growth_kinds() -> Vec<Kind> {
        vec![
            Kind::Growth {
                metric: Metric::Fds,
                from: 100,
                to: 300,
                seconds: 5.0,
                per_second: 40.0,
                exhaustion: Some(crate::analysis::ceiling::Exhaustion {
                    kind: crate::analysis::ceiling::Kind::NoFile,
                    file: None,
                    limit: 1024,
                    used: Some(300),
                    headroom: Some(724),
                    eta_s: Some(18.1),
                }),
            },
            Kind::Growth {
                metric: Metric::Threads,
                from: 10,
                to: 40,
                seconds: 10.0,
                per_second: 3.0,
                exhaustion: Some(crate::analysis::ceiling::Exhaustion {
                    kind: crate::analysis::ceiling::Kind::PidsMax,
                    file: Some("/sys/fs/cgroup/pids/pod\x1b[31m/pids.max".into()),
                    limit: 200,
                    used: Some(50),
                    headroom: Some(150),
                    eta_s: Some(50.0),
                }),
            },
            Kind::Growth {
                metric: Metric::Rss,
                from: 100 << 20,
                to: 200 << 20,
                seconds: 10.0,
                per_second: 10_485_760.0,
                exhaustion: None,
            },
        ]
    }

    /// The CPU kinds, in the table's order (after the state rules).
    fn insert_cpu_kinds(kinds: &mut Vec<Kind>) {
        let at = kinds
            .iter()
            .position(|k| matches!(k, Kind::Uninterruptible))
            .map_or(kinds.len(), |i| i + 1);
        kinds.splice(at..at, cpu_kinds());
    }

    /// One of each CPU kind (busy thread named or not, sampled or
    /// lifetime).
    fn cpu_kinds() -> Vec<Kind> {
        let hot = || HotThread {
            tid: 43,
            name: text("spin\x1b[2J"),
            percent: 98.6,
        };
        vec![
            Kind::NonvoluntarySwitches {
                voluntary: 400,
                nonvoluntary: 1600,
                percent: 80.0,
                hot_thread: None,
            },
            Kind::NonvoluntarySwitches {
                voluntary: 400,
                nonvoluntary: 1600,
                percent: 80.0,
                hot_thread: Some(hot()),
            },
            Kind::BusyThread {
                thread: hot(),
                thread_seconds: Some(0.5),
                process_percent: 99.2,
                seconds: 5.04,
                basis: Basis::Sampled,
            },
            Kind::BusyThread {
                thread: hot(),
                thread_seconds: None,
                process_percent: 97.0,
                seconds: 3725.0,
                basis: Basis::Lifetime,
            },
            Kind::CpuBusy {
                percent: 185.0,
                cpus: Some(2),
                seconds: 5.0,
                basis: Basis::Sampled,
                hottest: vec![
                    HotThread {
                        tid: 44,
                        name: text("w1"),
                        percent: 62.0,
                    },
                    HotThread {
                        tid: 45,
                        name: text("w2"),
                        percent: 61.0,
                    },
                ],
            },
            Kind::CpuBusy {
                percent: 120.0,
                cpus: None,
                seconds: 60.0,
                basis: Basis::Lifetime,
                hottest: vec![],
            },
        ]
    }

    fn cgroup_kinds() -> Vec<Kind> {
        let top = vec![
            Share {
                pid: 11,
                name: text("worker"),
                percent: 61.6,
            },
            Share {
                pid: 12,
                name: text("evil\x1b[2J"),
                percent: 38.4,
            },
        ];
        let throttled = CgroupKind::CpuThrottled {
            periods: 1000,
            throttled: 420,
            percent: 42.0,
            throttled_seconds: 3.1,
            quota_cpus: Some(0.5),
        };
        let judged = [
            (
                CgroupKind::MemoryNearLimit {
                    working_set_bytes: 94 << 20,
                    limit_bytes: 100 << 20,
                    percent: 94.0,
                },
                top.clone(),
            ),
            (
                CgroupKind::TasksNearLimit {
                    tasks: 275,
                    max: 300,
                    percent: 91.7,
                },
                top.clone(),
            ),
            (
                CgroupKind::OomKills {
                    oom_kill: 3,
                    oom_group_kill: Some(1),
                },
                top.clone(),
            ),
            (
                CgroupKind::OomKills {
                    oom_kill: 1,
                    oom_group_kill: None,
                },
                vec![],
            ),
            (throttled.clone(), top),
            (
                CgroupKind::CpuThrottled {
                    periods: 1000,
                    throttled: 420,
                    percent: 42.0,
                    throttled_seconds: 125.0,
                    quota_cpus: None,
                },
                vec![],
            ),
        ];
        judged
            .into_iter()
            .map(|(judged, top)| {
                Kind::Cgroup(CgroupFinding {
                    cgroup: text("/kubepods/pod1/ctr"),
                    judged,
                    top,
                })
            })
            .collect()
    }

    /// A cgroup finding's rule id and pid (its largest process).
    fn cgroup_id(c: &CgroupFinding) -> (&'static str, Option<i32>) {
        let id = match c.judged {
            CgroupKind::MemoryNearLimit { .. } => "cgroup.memory_near_limit",
            CgroupKind::TasksNearLimit { .. } => "cgroup.tasks_near_limit",
            CgroupKind::OomKills { .. } => "cgroup.oom_kills",
            CgroupKind::CpuThrottled { .. } => "cgroup.cpu_throttled",
        };
        (id, c.top.first().map(|s| s.pid))
    }

    /// A full listener with its namespace's counters, and a near-full one
    /// with others near full and no counters.
    fn accept_queue_kinds() -> Vec<Kind> {
        vec![
            Kind::AcceptQueueFull {
                listener: crate::analysis::findings::ListenQueue {
                    local: "127.0.0.1:8080".parse().unwrap(),
                    inode: 9,
                    accept_queue: 5,
                    backlog: Some(4),
                },
                backlog: 4,
                percent: 125.0,
                full: true,
                others: 0,
                counters: Some(crate::parse::net::ListenCounters {
                    overflows: Some(17),
                    drops: Some(19),
                }),
            },
            Kind::AcceptQueueFull {
                listener: crate::analysis::findings::ListenQueue {
                    local: "[::]:443".parse().unwrap(),
                    inode: 10,
                    accept_queue: 120,
                    backlog: Some(128),
                },
                backlog: 128,
                percent: 93.75,
                full: false,
                others: 2,
                counters: None,
            },
        ]
    }

    fn one_of_each() -> Vec<Finding> {
        let mut kinds = vec![
            Kind::FdsNearLimit {
                fds: 990,
                soft_limit: 1024,
                percent: 96.68,
            },
            Kind::DeletedOpen {
                deleted: 1,
                bytes: None,
                largest: None,
            },
            Kind::MemoryNearCgroupLimit {
                rss_bytes: 970 << 20,
                limit_bytes: 1 << 30,
                percent: 94.7,
            },
            Kind::OomKills {
                oom_kills: 1,
                cgroup: None,
            },
            Kind::OomKills {
                oom_kills: 3,
                cgroup: Some(text("/kubepods/pod1")),
            },
            Kind::SwapInUse {
                swap_bytes: 3 << 20,
                percent_of_memory: 12.5,
            },
            Kind::ThreadsHigh {
                threads: 1500,
                threshold: 1000,
                largest_group: Some((text("worker-*"), 1400)),
            },
            Kind::ThreadsHigh {
                threads: 1500,
                threshold: 1000,
                largest_group: None,
            },
            Kind::CloseWait {
                close_wait: 25,
                threshold: 20,
            },
            Kind::Zombie {
                ppid: 7,
                parent_name: Some(text("sh")),
            },
            Kind::Zombie {
                ppid: 7,
                parent_name: None,
            },
            Kind::Uninterruptible,
            Kind::ZombiesUnreaped {
                ppid: 50,
                parent_name: Some(text("server")),
                zombies: vec![51],
            },
            Kind::ZombiesUnreaped {
                ppid: 1,
                parent_name: Some(text("init")),
                zombies: (100..112).collect(),
            },
            Kind::HostMemAvailableLow {
                available_bytes: 4 << 30,
                total_bytes: 100 << 30,
                percent: 4.0,
            },
            Kind::HostSwapInUse {
                used_bytes: 60 << 30,
                total_bytes: 100 << 30,
                percent: 60.0,
            },
            Kind::HostMemoryPressure {
                some_avg10: 12.34,
                full_avg10: 0.5,
            },
            Kind::HostZombies { zombies: 100 },
            Kind::HostFileHandles {
                allocated: 960,
                file_max: 1000,
                percent: 96.0,
            },
            Kind::HostTasksNearLimit {
                tasks: 86,
                limit: 100,
                which: LimitKind::PidMax,
                percent: 86.0,
            },
        ];
        insert_cpu_kinds(&mut kinds);
        kinds.extend(accept_queue_kinds());
        kinds.extend(growth_kinds().into_iter().chain(cgroup_kinds()));
        kinds
            .into_iter()
            .map(|kind| {
                let (id, pid) = id_and_pid(&kind);
                finding(id, pid, kind)
            })
            .collect()
    }

    /// The rule id and pid a finding of this kind has.
    fn id_and_pid(kind: &Kind) -> (&'static str, Option<i32>) {
        match kind {
            Kind::FdsNearLimit { .. } => ("fds.near_limit", Some(42)),
            Kind::DeletedOpen { .. } => ("fds.deleted_open", Some(42)),
            Kind::MemoryNearCgroupLimit { .. } => ("memory.near_cgroup_limit", Some(42)),
            Kind::OomKills { .. } => ("memory.oom_kills", Some(42)),
            Kind::SwapInUse { .. } => ("memory.swap_in_use", Some(42)),
            Kind::ThreadsHigh { .. } => ("threads.high", Some(42)),
            Kind::CloseWait { .. } => ("sockets.close_wait", Some(42)),
            Kind::AcceptQueueFull { .. } => ("sockets.accept_queue_full", Some(42)),
            Kind::Zombie { .. } => ("state.zombie", Some(42)),
            Kind::Uninterruptible => ("state.uninterruptible", Some(42)),
            Kind::NonvoluntarySwitches { .. } => ("cpu.nonvoluntary_switches", Some(42)),
            Kind::BusyThread { .. } => ("cpu.busy_thread", Some(42)),
            Kind::CpuBusy { .. } => ("cpu.busy", Some(42)),
            Kind::ZombiesUnreaped { ppid, .. } => ("zombies.unreaped", Some(*ppid)),
            Kind::HostMemAvailableLow { .. } => ("host.mem_available_low", None),
            Kind::HostSwapInUse { .. } => ("host.swap_in_use", None),
            Kind::HostMemoryPressure { .. } => ("host.memory_pressure", None),
            Kind::HostZombies { .. } => ("host.zombies", None),
            Kind::HostFileHandles { .. } => ("host.file_handles", None),
            Kind::HostTasksNearLimit { .. } => ("host.tasks_near_limit", None),
            Kind::Cgroup(c) => cgroup_id(c),
            Kind::Growth { metric, .. } => match metric {
                Metric::Fds => ("growth.fds", Some(9)),
                Metric::Threads => ("growth.threads", Some(9)),
                _ => ("growth.rss", Some(9)),
            },
        }
    }

    #[test]
    fn the_words_of_every_kind() {
        let mut s = String::new();
        for f in one_of_each() {
            s.push_str(&format!(
                "{}\n  {}\n  next: {}\n",
                f.id,
                message(&f),
                next(&f).unwrap_or_else(|| "-".into())
            ));
        }
        insta::assert_snapshot!(s);
    }

    #[test]
    fn zombie_lists_stop_at_ten_and_pid_1_gets_the_init_advice() {
        let all = one_of_each();
        let words = |ppid: i32| {
            all.iter()
                .find(|f| matches!(f.kind, Kind::ZombiesUnreaped { ppid: p, .. } if p == ppid))
                .map(message)
                .unwrap_or_default()
        };
        let init = words(1);
        assert!(
            init.contains("12 zombie children not reaped by 1 (init)"),
            "{init}"
        );
        assert!(init.contains("PIDs 100, 101,"), "{init}");
        assert!(init.contains("109 and 2 more"), "{init}");
        assert!(!init.contains("110"), "{init}");
        assert!(init.contains("tini"), "{init}");
        let one = words(50);
        assert!(
            one.starts_with("1 zombie child not reaped by 50 (server): PID 51: "),
            "{one}"
        );
        assert!(one.contains("wait() for it"), "{one}");
    }

    #[test]
    fn words_escape_names_for_the_terminal() {
        let f = finding(
            "state.zombie",
            Some(3),
            Kind::Zombie {
                ppid: 2,
                parent_name: Some(text("evil\x1b[2J")),
            },
        );
        let m = message(&f);
        assert!(!m.contains('\x1b'), "{m:?}");
    }

    #[test]
    fn inspect_json_omits_a_missing_next() {
        let f = finding(
            "memory.oom_kills",
            Some(42),
            Kind::OomKills {
                oom_kills: 2,
                cgroup: None,
            },
        );
        assert_eq!(
            serde_json::to_value(&f).ok(),
            Some(json!({
                "id": "memory.oom_kills",
                "severity": "warning",
                "message": "the OOM killer has killed 2 processes in this process's memory cgroup",
                "evidence": {"oom_kills": 2},
            }))
        );
        let f = finding(
            "fds.deleted_open",
            Some(42),
            Kind::DeletedOpen {
                deleted: 2,
                bytes: Some(100 << 20),
                largest: Some(90 << 20),
            },
        );
        let doc = serde_json::to_string(&f).unwrap_or_default();
        // Field order is the contract's: id, severity, message, evidence, next.
        assert_eq!(
            doc,
            r#"{"id":"fds.deleted_open","severity":"warning","message":"2 deleted files are still held open, holding 100 MiB (the largest 90.0 MiB): the space is not freed until closed","evidence":{"bytes":104857600,"deleted":2,"largest_bytes":94371840},"next":"proctor who --deleted"}"#
        );
    }

    #[test]
    fn doctor_json_names_the_process_and_always_has_next() {
        let host = DoctorFinding {
            workload: None,
            name: None,
            finding: finding("host.zombies", None, Kind::HostZombies { zombies: 100 }),
        };
        let doc = serde_json::to_string(&host).unwrap_or_default();
        assert!(
            doc.starts_with(r#"{"pid":null,"name":null,"id":"host.zombies","severity":"warning","message":"100 zombie"#),
            "{doc}"
        );
        let proc = DoctorFinding {
            workload: None,
            name: Some(text("app")),
            finding: finding("state.uninterruptible", Some(5), Kind::Uninterruptible),
        };
        assert_eq!(
            serde_json::to_value(&proc).ok(),
            Some(json!({
                "pid": 5,
                "name": "app",
                "id": "state.uninterruptible",
                "severity": "warning",
                "message": "in uninterruptible wait (D): blocked in the kernel, usually on disk or network I/O",
                "evidence": {},
                "next": null,
                "workload": null,
            }))
        );
    }
}
