//! Rules that turn numbers into verdicts. Each finding has a stable id, a
//! severity, a one-line message, the evidence numbers, and the next command
//! to run. Thresholds are data ([`Thresholds`]) so they can be configured
//! and tested.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::inspect::InspectReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    pub evidence: BTreeMap<&'static str, Value>,
    /// The command to run next for the full evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub fd_warning_pct: f64,
    pub fd_critical_pct: f64,
    pub mem_warning_pct: f64,
    pub mem_critical_pct: f64,
    pub threads: u64,
    pub close_wait: u64,
    /// Share of nonvoluntary switches (percent) judged as CPU contention...
    pub nonvoluntary_pct: f64,
    /// ...once at least this many switches were counted.
    pub min_switches: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            fd_warning_pct: 80.0,
            fd_critical_pct: 95.0,
            mem_warning_pct: 80.0,
            mem_critical_pct: 95.0,
            threads: 1000,
            close_wait: 20,
            nonvoluntary_pct: 50.0,
            min_switches: 1000,
        }
    }
}

fn mib(b: u64) -> String {
    crate::render::units::iec(b)
}

/// What the per-process rules look at: filled from an `inspect` report,
/// or by `doctor` from its cheaper host-wide reads. None: not known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub pid: i32,
    pub ppid: i32,
    pub parent_name: Option<crate::text::Text>,
    /// One-letter state (`Z`, `D`, ...).
    pub state: String,
    pub fds: Option<u64>,
    pub fd_soft_limit: Option<u64>,
    pub rss_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    pub oom_kills: Option<u64>,
    pub threads: Option<u64>,
    /// The largest group of same-named threads: (pattern, count).
    pub top_thread_group: Option<(crate::text::Text, u64)>,
    pub close_wait: Option<u64>,
    pub deleted: Option<u64>,
    pub swap_bytes: Option<u64>,
    pub voluntary_switches: Option<u64>,
    pub nonvoluntary_switches: Option<u64>,
}

impl Facts {
    pub fn from_report(r: &InspectReport) -> Facts {
        Facts {
            pid: r.pid,
            ppid: r.ppid,
            parent_name: r.parent_name.clone(),
            state: r.state.clone(),
            fds: r.fds.count,
            fd_soft_limit: r.fds.soft_limit,
            rss_bytes: r.memory.rss_bytes,
            memory_limit_bytes: r.cgroup.memory_limit_bytes,
            oom_kills: r.cgroup.oom_kills,
            threads: r.threads,
            top_thread_group: r
                .thread_groups
                .first()
                .map(|g| (g.pattern.clone(), g.count)),
            close_wait: r.sockets.close_wait,
            deleted: r.fds.deleted,
            swap_bytes: r.memory.swap_bytes,
            voluntary_switches: r.context_switches.voluntary,
            nonvoluntary_switches: r.context_switches.nonvoluntary,
        }
    }
}

/// Evaluate every rule on a report. Sorted most severe first.
pub fn evaluate(r: &InspectReport, th: &Thresholds) -> Vec<Finding> {
    evaluate_facts(&Facts::from_report(r), th)
}

/// Evaluate every rule on what is known of a process. Sorted most severe
/// first.
#[allow(clippy::too_many_lines)] // to split (issue 10)
pub fn evaluate_facts(r: &Facts, th: &Thresholds) -> Vec<Finding> {
    let mut out = Vec::new();
    let pid = r.pid;
    let mut push = |id,
                    severity,
                    message: String,
                    evidence: Vec<(&'static str, Value)>,
                    next: Option<String>| {
        out.push(Finding {
            id,
            severity,
            message,
            evidence: evidence.into_iter().collect(),
            next,
        });
    };

    // Descriptors against the soft limit.
    let fd_pct = match (r.fds, r.fd_soft_limit) {
        (Some(c), Some(l)) if l > 0 => Some(c as f64 * 100.0 / l as f64),
        _ => None,
    };
    if let (Some(count), Some(limit), Some(pct)) = (r.fds, r.fd_soft_limit, fd_pct) {
        let sev = if pct >= th.fd_critical_pct {
            Some(Severity::Critical)
        } else if pct >= th.fd_warning_pct {
            Some(Severity::Warning)
        } else {
            None
        };
        if let Some(sev) = sev {
            push(
                "fds.near_limit",
                sev,
                format!(
                    "{count} of {limit} file descriptors in use ({pct:.0}% of the soft limit): \"too many open files\" is near"
                ),
                vec![
                    ("fds", json!(count)),
                    ("soft_limit", json!(limit)),
                    ("percent", json!(round1(pct))),
                ],
                Some(format!("proctor fds {pid}")),
            );
        }
    }

    // RSS against the cgroup memory limit.
    if let (Some(rss), Some(limit)) = (r.rss_bytes, r.memory_limit_bytes) {
        if limit > 0 {
            let pct = rss as f64 * 100.0 / limit as f64;
            let sev = if pct >= th.mem_critical_pct {
                Some(Severity::Critical)
            } else if pct >= th.mem_warning_pct {
                Some(Severity::Warning)
            } else {
                None
            };
            if let Some(sev) = sev {
                push(
                    "memory.near_cgroup_limit",
                    sev,
                    format!(
                        "RSS {} is {pct:.0}% of the cgroup memory limit {}: the OOM killer acts at the limit",
                        mib(rss),
                        mib(limit)
                    ),
                    vec![
                        ("rss_bytes", json!(rss)),
                        ("limit_bytes", json!(limit)),
                        ("percent", json!(round1(pct))),
                    ],
                    Some(format!("proctor maps {pid} --sort rss")),
                );
            }
        }
    }

    if let Some(k) = r.oom_kills.filter(|&k| k > 0) {
        push(
            "memory.oom_kills",
            Severity::Critical,
            format!(
                "the OOM killer has killed {k} process{} in this process's memory cgroup",
                if k == 1 { "" } else { "es" }
            ),
            vec![("oom_kills", json!(k))],
            None,
        );
    }

    if let Some(t) = r.threads.filter(|&t| t >= th.threads) {
        let detail = r
            .top_thread_group
            .as_ref()
            .map(|(pattern, count)| format!("; largest group {} x{count}", pattern.display()))
            .unwrap_or_default();
        push(
            "threads.high",
            Severity::Warning,
            format!(
                "{t} threads (threshold {}){detail}: suspect a thread leak or an unbounded pool",
                th.threads
            ),
            vec![("threads", json!(t)), ("threshold", json!(th.threads))],
            Some(format!("proctor threads {pid}")),
        );
    }

    if let Some(cw) = r.close_wait.filter(|&c| c >= th.close_wait) {
        push(
            "sockets.close_wait",
            Severity::Warning,
            format!(
                "{cw} TCP sockets in CLOSE_WAIT: the peer closed and this process never called close() (a socket leak)"
            ),
            vec![
                ("close_wait", json!(cw)),
                ("threshold", json!(th.close_wait)),
            ],
            Some(format!("proctor net {pid} --state CLOSE_WAIT")),
        );
    }

    if let Some(d) = r.deleted.filter(|&d| d > 0) {
        push(
            "fds.deleted_open",
            Severity::Warning,
            format!(
                "{d} deleted file{} still held open: its disk space is not freed until closed",
                if d == 1 { " is" } else { "s are" }
            ),
            vec![("deleted", json!(d))],
            Some(format!("proctor fds {pid} --type file")),
        );
    }

    if r.state == "Z" {
        let parent = r
            .parent_name
            .as_ref()
            .map(|n| n.display())
            .unwrap_or_else(|| "?".into());
        push(
            "state.zombie",
            Severity::Warning,
            format!(
                "zombie: the process exited but its parent {} ({parent}) has not reaped it",
                r.ppid
            ),
            vec![("ppid", json!(r.ppid))],
            Some(format!("proctor inspect {}", r.ppid)),
        );
    }

    if r.state == "D" {
        push(
            "state.uninterruptible",
            Severity::Info,
            "in uninterruptible wait (D): blocked in the kernel, usually on disk or network I/O"
                .to_string(),
            vec![],
            None,
        );
    }

    if let Some(sw) = r.swap_bytes.filter(|&s| s > 0) {
        let rss = r.rss_bytes.unwrap_or(0);
        let share = sw as f64 * 100.0 / sw.saturating_add(rss).max(1) as f64;
        let sev = if share >= 10.0 {
            Severity::Warning
        } else {
            Severity::Info
        };
        push(
            "memory.swap_in_use",
            sev,
            format!(
                "{} of this process is in swap ({share:.0}% of its memory): touching it stalls on disk",
                mib(sw)
            ),
            vec![
                ("swap_bytes", json!(sw)),
                ("percent_of_memory", json!(round1(share))),
            ],
            None,
        );
    }

    let nv_pct = match (r.voluntary_switches, r.nonvoluntary_switches) {
        (Some(v), Some(n)) if v.saturating_add(n) > 0 => {
            Some(n as f64 * 100.0 / v.saturating_add(n) as f64)
        }
        _ => None,
    };
    if let (Some(v), Some(n), Some(pct)) = (r.voluntary_switches, r.nonvoluntary_switches, nv_pct) {
        if v.saturating_add(n) >= th.min_switches && pct >= th.nonvoluntary_pct {
            push(
                "cpu.nonvoluntary_switches",
                Severity::Warning,
                format!(
                    "{pct:.0}% of context switches are nonvoluntary: the process is often preempted (CPU contention or a CPU quota)"
                ),
                vec![
                    ("voluntary", json!(v)),
                    ("nonvoluntary", json!(n)),
                    ("percent", json!(round1(pct))),
                ],
                Some(format!("proctor threads {pid} --sort switches")),
            );
        }
    }

    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
    out
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// What the context-switch mix suggests, in one sentence.
pub fn switch_interpretation(voluntary: u64, nonvoluntary: u64) -> Option<String> {
    let total = voluntary.saturating_add(nonvoluntary);
    if total < 100 {
        // Too few to say anything about the process's habits.
        return None;
    }
    let pct = nonvoluntary as f64 * 100.0 / total as f64;
    Some(if pct < 10.0 {
        format!(
            "mostly voluntary ({:.0}%): the process mostly waits (I/O, locks, sleep)",
            100.0 - pct
        )
    } else if pct < 50.0 {
        format!("{pct:.0}% nonvoluntary: some preemption, usually harmless")
    } else {
        format!("{pct:.0}% nonvoluntary: often preempted, a sign of CPU contention or throttling")
    })
}
