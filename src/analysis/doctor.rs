//! `doctor`: every process's findings (the `inspect` rules, on facts the
//! host-wide scan and survey gathered), zombies grouped by the parent that
//! fails to reap them, host rules (memory available, swap, pressure,
//! zombies, file handles, task count) and, from two scans, fast growers.
//! Pure: data in, report out.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Value, json};

use super::findings::{self, Facts, Severity, Thresholds};
use crate::reader::{HostFacts, Scan, ScanRow, Survey};
use crate::render::units::iec;
use crate::text::Text;

/// Host-rule thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct HostThresholds {
    /// MemAvailable under this share of MemTotal (percent): warning...
    pub mem_available_warning_pct: f64,
    /// ...and under this: critical.
    pub mem_available_critical_pct: f64,
    /// Swap used above this share of swap (percent): warning (else info).
    pub swap_warning_pct: f64,
    /// PSI memory `some` avg10 at or above this: warning.
    pub psi_some_warning: f64,
    /// PSI memory `full` avg10 at or above this: critical.
    pub psi_full_critical: f64,
    /// Zombies host-wide at or above this: warning (any: info).
    pub zombies_warning: usize,
    /// Allocated file handles against fs.file-max (percent).
    pub file_nr_warning_pct: f64,
    pub file_nr_critical_pct: f64,
    /// Tasks (threads) against min(pid_max, threads-max) (percent).
    pub tasks_warning_pct: f64,
}

impl Default for HostThresholds {
    fn default() -> Self {
        HostThresholds {
            mem_available_warning_pct: 10.0,
            mem_available_critical_pct: 5.0,
            swap_warning_pct: 50.0,
            psi_some_warning: 10.0,
            psi_full_critical: 5.0,
            zombies_warning: 100,
            file_nr_warning_pct: 80.0,
            file_nr_critical_pct: 95.0,
            tasks_warning_pct: 80.0,
        }
    }
}

/// One finding of the doctor: about a process (pid and name) or the host.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorFinding {
    pub pid: Option<i32>,
    pub name: Option<Text>,
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    pub evidence: BTreeMap<&'static str, Value>,
    /// The command to run next.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostSummary {
    pub mem_total_bytes: Option<u64>,
    pub mem_available_bytes: Option<u64>,
    pub swap_total_bytes: Option<u64>,
    pub swap_used_bytes: Option<u64>,
    /// PSI memory avg10, percent of time stalled (null: no PSI here).
    pub memory_pressure_some_avg10: Option<f64>,
    pub memory_pressure_full_avg10: Option<f64>,
    pub load: Option<[f64; 3]>,
    pub cpus: usize,
    pub processes: usize,
    pub threads: u64,
    pub zombies: usize,
    pub open_files: Option<u64>,
    pub file_max: Option<u64>,
    /// Seconds between the two scans (`--sample`), null without.
    pub sampled_seconds: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct Skipped {
    /// Gone before or while being read.
    pub exited: usize,
    /// At least one of their files refused (their findings may be missing).
    pub permission_denied: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub host: HostSummary,
    pub findings: Vec<DoctorFinding>,
    pub skipped: Skipped,
}

impl DoctorReport {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Everything `build` needs.
pub struct Inputs<'a> {
    pub host: &'a HostFacts,
    pub scan: &'a Scan,
    /// The earlier scan of `--sample`, if any.
    pub before: Option<&'a Scan>,
    /// Survey per pid (user processes that could be surveyed).
    pub surveys: &'a HashMap<i32, Survey>,
    /// Zombies (pid, start) still zombies at a second look: the others
    /// were being reaped as the scan passed.
    pub lasting_zombies: &'a [i32],
    /// Processes that vanished during the survey.
    pub exited_during_survey: usize,
    /// Processes whose survey was refused in part.
    pub survey_denied: usize,
    pub th: &'a Thresholds,
    pub host_th: &'a HostThresholds,
}

fn pct(a: u64, b: u64) -> f64 {
    a as f64 * 100.0 / b.max(1) as f64
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn build(i: &Inputs<'_>) -> DoctorReport {
    let mut out: Vec<DoctorFinding> = Vec::new();
    let rows = &i.scan.rows;
    let by_pid: HashMap<i32, &ScanRow> = rows.iter().map(|r| (r.pid, r)).collect();
    let name_of = |pid: i32| by_pid.get(&pid).map(|r| Text(r.name.clone()));

    // Per process: the inspect rules. Zombies are judged below, by parent;
    // OOM kills once per cgroup.
    let mut oom_by_cgroup: HashMap<Vec<u8>, (u64, i32, u64)> = HashMap::new();
    for r in rows {
        if r.kernel_thread || r.state == b'Z' || r.state == b'X' {
            continue;
        }
        let s = i.surveys.get(&r.pid);
        let cg = s.and_then(|s| s.cgroup.as_ref());
        if let Some(cg) = cg {
            if let Some(k) = cg.oom_kills.filter(|&k| k > 0) {
                let e = oom_by_cgroup
                    .entry(cg.path.clone())
                    .or_insert((k, r.pid, r.rss_bytes));
                // Name the cgroup after its largest process.
                if r.rss_bytes > e.2 {
                    *e = (k, r.pid, r.rss_bytes);
                }
            }
        }
        let facts = Facts {
            pid: r.pid,
            ppid: r.ppid,
            parent_name: None,
            state: char::from(r.state).to_string(),
            fds: r.fds.ok(),
            fd_soft_limit: r.fd_soft_limit.ok().flatten(),
            rss_bytes: Some(r.rss_bytes),
            memory_limit_bytes: cg.and_then(|c| c.limit),
            oom_kills: None,
            threads: Some(r.threads),
            top_thread_group: None,
            close_wait: s.and_then(|s| s.close_wait),
            deleted: s.and_then(|s| s.deleted),
            // Host rules cover swap; the switch mix of the main thread
            // alone is not a host-wide verdict.
            swap_bytes: None,
            voluntary_switches: None,
            nonvoluntary_switches: None,
        };
        for f in findings::evaluate_facts(&facts, i.th) {
            out.push(DoctorFinding {
                pid: Some(r.pid),
                name: Some(Text(r.name.clone())),
                id: f.id,
                severity: f.severity,
                message: f.message,
                evidence: f.evidence,
                next: f.next,
            });
        }
    }
    for (path, (k, pid, _)) in oom_by_cgroup {
        let cg = Text(path);
        out.push(DoctorFinding {
            pid: Some(pid),
            name: name_of(pid),
            id: "memory.oom_kills",
            severity: Severity::Critical,
            message: format!(
                "the OOM killer has killed {k} process{} in memory cgroup {}",
                if k == 1 { "" } else { "es" },
                cg.display()
            ),
            evidence: [("oom_kills", json!(k)), ("cgroup", json!(cg.display()))]
                .into_iter()
                .collect(),
            next: Some(format!("proctor inspect {pid}")),
        });
    }

    zombies(i, &by_pid, &mut out);
    host_rules(i, &mut out);
    if let Some(before) = i.before {
        growth(i, before, &mut out);
    }

    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.id.cmp(b.id))
            .then(a.pid.cmp(&b.pid))
    });
    let threads: u64 = rows.iter().map(|r| r.threads).sum();
    let h = i.host;
    DoctorReport {
        host: HostSummary {
            mem_total_bytes: h.mem.total,
            mem_available_bytes: h.mem.available,
            swap_total_bytes: h.mem.swap_total,
            swap_used_bytes: h.mem.swap_used(),
            memory_pressure_some_avg10: h.psi_memory.and_then(|p| p.some).map(|s| s.avg10),
            memory_pressure_full_avg10: h.psi_memory.and_then(|p| p.full).map(|s| s.avg10),
            load: h.load.map(|l| [l.one, l.five, l.fifteen]),
            cpus: h.cpus,
            processes: rows.len(),
            threads,
            zombies: rows.iter().filter(|r| r.state == b'Z').count(),
            open_files: h.file_nr.map(|f| f.allocated),
            file_max: h.file_nr.map(|f| f.max),
            sampled_seconds: i.before.map(|b| {
                round1(
                    i.scan
                        .taken
                        .saturating_duration_since(b.taken)
                        .as_secs_f64(),
                )
            }),
        },
        findings: out,
        skipped: Skipped {
            exited: i.scan.exited + i.exited_during_survey,
            permission_denied: i.scan.permission_denied() + i.survey_denied,
        },
    }
}

/// Zombies, grouped by the parent that has not reaped them.
fn zombies(i: &Inputs<'_>, by_pid: &HashMap<i32, &ScanRow>, out: &mut Vec<DoctorFinding>) {
    let mut by_parent: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for &z in i.lasting_zombies {
        if let Some(r) = by_pid.get(&z) {
            by_parent.entry(r.ppid).or_default().push(z);
        }
    }
    for (ppid, kids) in by_parent {
        let parent = by_pid.get(&ppid);
        let pname = parent
            .map(|p| Text(p.name.clone()).display())
            .unwrap_or_else(|| "?".into());
        let n = kids.len();
        let list: Vec<String> = kids.iter().take(10).map(i32::to_string).collect();
        let more = if n > 10 {
            format!(" and {} more", n - 10)
        } else {
            String::new()
        };
        let advice = if ppid == 1 {
            ": PID 1 does not reap orphans here (in a container, run an init such as tini or `docker run --init`)"
        } else {
            ": it never calls wait() on them (fix its SIGCHLD handling, or restart it and init reaps them)"
        };
        out.push(DoctorFinding {
            pid: Some(ppid),
            name: parent.map(|p| Text(p.name.clone())),
            id: "zombies.unreaped",
            severity: Severity::Warning,
            message: format!(
                "{n} zombie child{} not reaped by {ppid} ({pname}): PID{} {}{more}{advice}",
                if n == 1 { "" } else { "ren" },
                if n == 1 { "" } else { "s" },
                list.join(", ")
            ),
            evidence: [("zombies", json!(n)), ("zombie_pids", json!(kids))]
                .into_iter()
                .collect(),
            next: Some(format!("proctor inspect {ppid}")),
        });
    }
}

fn host_finding(
    id: &'static str,
    severity: Severity,
    message: String,
    evidence: Vec<(&'static str, Value)>,
    next: Option<&str>,
) -> DoctorFinding {
    DoctorFinding {
        pid: None,
        name: None,
        id,
        severity,
        message,
        evidence: evidence.into_iter().collect(),
        next: next.map(str::to_string),
    }
}

fn host_rules(i: &Inputs<'_>, out: &mut Vec<DoctorFinding>) {
    let h = i.host;
    let t = i.host_th;
    if let (Some(total), Some(avail)) = (h.mem.total, h.mem.available) {
        let p = pct(avail, total);
        let sev = if p < t.mem_available_critical_pct {
            Some(Severity::Critical)
        } else if p < t.mem_available_warning_pct {
            Some(Severity::Warning)
        } else {
            None
        };
        if let Some(sev) = sev {
            out.push(host_finding(
                "host.mem_available_low",
                sev,
                format!(
                    "only {} of {} memory is available ({p:.1}%): the kernel is close to reclaiming hard and the OOM killer",
                    iec(avail),
                    iec(total)
                ),
                vec![
                    ("mem_available_bytes", json!(avail)),
                    ("mem_total_bytes", json!(total)),
                    ("percent", json!(round1(p))),
                ],
                Some("proctor top --once --sort rss --limit 10"),
            ));
        }
    }
    if let (Some(total), Some(used)) = (h.mem.swap_total, h.mem.swap_used()) {
        if total > 0 && used > 0 {
            let p = pct(used, total);
            out.push(host_finding(
                "host.swap_in_use",
                if p >= t.swap_warning_pct {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                format!(
                    "{} of {} swap in use ({p:.0}%): memory was short at some point; processes touching swapped pages stall on disk",
                    iec(used),
                    iec(total)
                ),
                vec![
                    ("swap_used_bytes", json!(used)),
                    ("swap_total_bytes", json!(total)),
                    ("percent", json!(round1(p))),
                ],
                Some("proctor top --once --sort rss --limit 10"),
            ));
        }
    }
    if let Some(p) = h.psi_memory {
        let some = p.some.map_or(0.0, |s| s.avg10);
        let full = p.full.map_or(0.0, |s| s.avg10);
        let sev = if full >= t.psi_full_critical {
            Some(Severity::Critical)
        } else if some >= t.psi_some_warning {
            Some(Severity::Warning)
        } else {
            None
        };
        if let Some(sev) = sev {
            out.push(host_finding(
                "host.memory_pressure",
                sev,
                format!(
                    "memory pressure: some task stalled on memory {some:.1}% and all tasks {full:.1}% of the last 10 s (PSI): the host is thrashing or reclaiming"
                ),
                vec![
                    ("some_avg10", json!(some)),
                    ("full_avg10", json!(full)),
                ],
                Some("proctor top --once --sort rss --limit 10"),
            ));
        }
    }
    let zombies = i.scan.rows.iter().filter(|r| r.state == b'Z').count();
    if zombies >= t.zombies_warning {
        out.push(host_finding(
            "host.zombies",
            Severity::Warning,
            format!(
                "{zombies} zombie processes on the host: each holds a PID until its parent reaps it"
            ),
            vec![("zombies", json!(zombies))],
            Some("proctor top --once --filter defunct"),
        ));
    }
    if let Some(f) = h.file_nr {
        let p = pct(f.allocated, f.max);
        let sev = if p >= t.file_nr_critical_pct {
            Some(Severity::Critical)
        } else if p >= t.file_nr_warning_pct {
            Some(Severity::Warning)
        } else {
            None
        };
        if let Some(sev) = sev {
            out.push(host_finding(
                "host.file_handles",
                sev,
                format!(
                    "{} of {} file handles allocated host-wide ({p:.0}% of fs.file-max): every open() will fail at the limit",
                    f.allocated, f.max
                ),
                vec![
                    ("allocated", json!(f.allocated)),
                    ("file_max", json!(f.max)),
                    ("percent", json!(round1(p))),
                ],
                Some("proctor top --once --sort fds --limit 10"),
            ));
        }
    }
    let tasks: u64 = i.scan.rows.iter().map(|r| r.threads).sum();
    let cap = match (h.pid_max, h.threads_max) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(cap) = cap.filter(|&c| c > 0) {
        let p = pct(tasks, cap);
        if p >= t.tasks_warning_pct {
            out.push(host_finding(
                "host.tasks_near_limit",
                Severity::Warning,
                format!(
                    "{tasks} tasks (threads) of at most {cap} (kernel.pid_max / threads-max, {p:.0}%): fork() and thread creation will fail"
                ),
                vec![("tasks", json!(tasks)), ("limit", json!(cap))],
                Some("proctor top --once --sort threads --limit 10"),
            ));
        }
    }
}

/// Minimum growth between the two scans to call a process a fast grower.
const MIN_FD_GROWTH: u64 = 10;
const MIN_THREAD_GROWTH: u64 = 5;
const MIN_RSS_GROWTH: u64 = 16 << 20;
/// ...and relative to where it started (percent).
const MIN_RELATIVE_GROWTH: f64 = 10.0;
/// A grower whose ceiling is nearer than this (at its measured rate) is a
/// warning; further, info.
const WARN_WITHIN_SECS: f64 = 3600.0;

fn growth(i: &Inputs<'_>, before: &Scan, out: &mut Vec<DoctorFinding>) {
    let dt = i
        .scan
        .taken
        .saturating_duration_since(before.taken)
        .as_secs_f64();
    if dt <= 0.0 {
        return;
    }
    for r in &i.scan.rows {
        let Some(b) = before
            .find(r.pid)
            .filter(|b| b.start_ticks == r.start_ticks)
        else {
            continue;
        };
        if r.kernel_thread || r.state == b'Z' {
            continue;
        }
        let name = Text(r.name.clone());
        let mut push = |id: &'static str,
                        what: &str,
                        from: u64,
                        to: u64,
                        fmt: &dyn Fn(u64) -> String,
                        ceiling: Option<(u64, &str)>,
                        metric: &str| {
            let rate = (to - from) as f64 / dt;
            let eta = ceiling
                .filter(|(c, _)| *c > to)
                .map(|(c, _)| (c - to) as f64 / rate);
            let sev = if eta.is_some_and(|e| e <= WARN_WITHIN_SECS) {
                Severity::Warning
            } else {
                Severity::Info
            };
            let mut message = format!(
                "{what} grew from {} to {} in {dt:.1}s: a leak suspect",
                fmt(from),
                fmt(to)
            );
            if let (Some(e), Some((c, cname))) = (eta, ceiling) {
                message.push_str(&format!(
                    "; at this rate it reaches the {cname} ({}) in {}",
                    fmt(c),
                    crate::render::units::duration(e)
                ));
            }
            out.push(DoctorFinding {
                pid: Some(r.pid),
                name: Some(name.clone()),
                id,
                severity: sev,
                message,
                evidence: [
                    ("from", json!(from)),
                    ("to", json!(to)),
                    ("seconds", json!(round1(dt))),
                    ("per_second", json!(round1(rate))),
                ]
                .into_iter()
                .collect(),
                next: Some(format!("proctor watch {} --metrics {metric}", r.pid)),
            });
        };
        let grew = |from: u64, to: u64, min: u64| {
            to >= from + min && pct(to - from, from) >= MIN_RELATIVE_GROWTH
        };
        if let (Ok(from), Ok(to)) = (b.fds, r.fds) {
            if grew(from, to, MIN_FD_GROWTH) {
                let lim = r.fd_soft_limit.ok().flatten();
                push(
                    "growth.fds",
                    "open descriptors",
                    from,
                    to,
                    &|v| v.to_string(),
                    lim.map(|l| (l, "soft limit")),
                    "fds",
                );
            }
        }
        if grew(b.threads, r.threads, MIN_THREAD_GROWTH) {
            push(
                "growth.threads",
                "threads",
                b.threads,
                r.threads,
                &|v| v.to_string(),
                Some((i.th.threads, "thread threshold")),
                "threads",
            );
        }
        if grew(b.rss_bytes, r.rss_bytes, MIN_RSS_GROWTH) {
            let lim = i
                .surveys
                .get(&r.pid)
                .and_then(|s| s.cgroup.as_ref())
                .and_then(|c| c.limit);
            push(
                "growth.rss",
                "RSS",
                b.rss_bytes,
                r.rss_bytes,
                &iec,
                lim.map(|l| (l, "cgroup memory limit")),
                "rss",
            );
        }
    }
}
