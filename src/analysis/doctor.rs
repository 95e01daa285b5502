//! `doctor`: every process's findings (the `inspect` rules, on facts the
//! host-wide scan and survey gathered), zombies grouped by the parent that
//! fails to reap them, host rules (memory available, swap, pressure,
//! zombies, file handles, task count) and, from two scans, fast growers.
//! Pure: data in, report out.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Value, json};

use super::findings::{self, Facts, Severity, Thresholds};
use super::incomplete::{Cause, Incomplete, Reason};
use super::leak::Metric;
use crate::reader::{Ceilings, HostFacts, Sample, Scan, ScanRow, Survey};
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
    /// Zombies host-wide at or above this: warning (fewer: no host finding;
    /// lasting ones are still reported under their parent).
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
    /// Listed, but not even their `stat` could be read: not judged.
    pub unreadable: usize,
    /// Some of their files failed to read for another reason (an I/O
    /// error): their findings may be missing.
    pub read_errors: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub host: HostSummary,
    pub findings: Vec<DoctorFinding>,
    pub skipped: Skipped,
    /// What was not checked (null when every process was read whole):
    /// see [`incompleteness`].
    pub incomplete: Option<Incomplete>,
}

/// What the host-wide checks missed: processes unreadable, partly
/// unreadable, hidden by hidepid, host files hidden by subset=pid, host
/// values that did not parse ([`host_checks_not_run`]).
/// `cause` is the hidepid mount when it applies to proctor.
pub fn incompleteness(
    sk: &Skipped,
    cause: Option<Cause>,
    host_files_hidden: bool,
    as_root: bool,
    host: &HostFacts,
) -> Incomplete {
    let as_listed = Incomplete::of_listing(sk.unreadable, cause.clone());
    let mut reasons = as_listed.reasons;
    if sk.permission_denied + sk.read_errors > 0 {
        reasons.push(Reason::ProcessesPartlyUnreadable {
            count: sk.permission_denied + sk.read_errors,
        });
    }
    if host_files_hidden {
        reasons.push(Reason::HostFilesHidden);
    }
    reasons.extend(host_checks_not_run(host));
    let cause = cause.or_else(|| {
        (!as_root && sk.unreadable + sk.permission_denied > 0).then_some(Cause::NotRoot)
    });
    Incomplete { reasons, cause }
}

/// The host rules that could not run because a value they need was read
/// but did not parse (`MemAvailable: abc kB`, a malformed PSI line): one
/// `checks_not_run` reason per file, with reason `parse_error`. A file
/// that is missing is not a parse error (older kernels, containers).
pub fn host_checks_not_run(h: &HostFacts) -> Vec<Reason> {
    let mut by_file: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for (file, key) in h.parse_errors() {
        let check = match (file, key) {
            ("meminfo", Some("MemTotal" | "MemAvailable")) => "host.mem_available_low",
            ("meminfo", _) => "host.swap_in_use",
            ("pressure/memory", _) => "host.memory_pressure",
            ("sys/fs/file-nr", _) => "host.file_handles",
            ("sys/kernel/pid_max" | "sys/kernel/threads-max", _) => "host.tasks_near_limit",
            // loadavg: shown in the header, judged by no rule.
            _ => continue,
        };
        match by_file.iter_mut().find(|(f, _)| *f == file) {
            Some((_, checks)) if checks.contains(&check) => {}
            Some((_, checks)) => checks.push(check),
            None => by_file.push((file, vec![check])),
        }
    }
    by_file
        .into_iter()
        .map(|(section, checks)| Reason::ChecksNotRun {
            section,
            reason: "parse_error",
            checks,
        })
        .collect()
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
    /// Processes whose survey was refused in part (a pid also refused in
    /// the scan counts once).
    pub survey_denied: &'a [i32],
    pub th: &'a Thresholds,
    pub host_th: &'a HostThresholds,
    /// The limits of the fast growers ([`growers`]), read for them.
    pub ceilings: &'a HashMap<i32, Ceilings>,
}

fn pct(a: u64, b: u64) -> f64 {
    a as f64 * 100.0 / b.max(1) as f64
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[allow(clippy::too_many_lines)] // to split (issue 10)
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
    let threads: u64 = rows.iter().fold(0u64, |a, r| a.saturating_add(r.threads));
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
            permission_denied: {
                let mut pids: Vec<i32> = i
                    .scan
                    .rows
                    .iter()
                    .filter(|r| r.denied())
                    .map(|r| r.pid)
                    .chain(i.survey_denied.iter().copied())
                    .collect();
                pids.sort_unstable();
                pids.dedup();
                pids.len()
            },
            unreadable: i.scan.unreadable,
            read_errors: 0,
        },
        incomplete: None,
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
        let them = if n == 1 { "it" } else { "them" };
        let advice = if ppid == 1 {
            ": PID 1 does not reap orphans here (in a container, run an init such as tini or `docker run --init`)".to_string()
        } else {
            format!(
                ": the parent has not called wait() for {them} (fix its SIGCHLD handling, or restart it so that init reaps {them})"
            )
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
#[allow(clippy::too_many_lines)] // to split (issue 10)
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
    let tasks: u64 = i
        .scan
        .rows
        .iter()
        .fold(0u64, |a, r| a.saturating_add(r.threads));
    if let Some(cap) = h.task_limit().filter(|&c| c > 0) {
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

/// What grew between the two scans past the growers' thresholds:
/// (metric, from, to). The same process in both (pid and start time),
/// neither a kernel thread nor a zombie.
fn grown(b: &ScanRow, r: &ScanRow) -> Vec<(Metric, u64, u64)> {
    if b.start_ticks != r.start_ticks || r.kernel_thread || r.state == b'Z' {
        return Vec::new();
    }
    let grew = |from: u64, to: u64, min: u64| {
        to >= from.saturating_add(min) && pct(to.saturating_sub(from), from) >= MIN_RELATIVE_GROWTH
    };
    let mut out = Vec::new();
    if let (Ok(from), Ok(to)) = (b.fds, r.fds) {
        if grew(from, to, MIN_FD_GROWTH) {
            out.push((Metric::Fds, from, to));
        }
    }
    if grew(b.threads, r.threads, MIN_THREAD_GROWTH) {
        out.push((Metric::Threads, b.threads, r.threads));
    }
    if grew(b.rss_bytes, r.rss_bytes, MIN_RSS_GROWTH) {
        out.push((Metric::Rss, b.rss_bytes, r.rss_bytes));
    }
    out
}

/// The fast growers between two scans: the processes whose limits
/// (`Inputs::ceilings`) are worth reading.
pub fn growers(scan: &Scan, before: &Scan) -> Vec<i32> {
    scan.rows
        .iter()
        .filter(|r| before.find(r.pid).is_some_and(|b| !grown(b, r).is_empty()))
        .map(|r| r.pid)
        .collect()
}

/// A grower's limits: those read for it, else what the scan knows (its
/// descriptor limit, the kernel's task limits without the host's task
/// count, no memory limit: unknown is no time, never a made-up one).
fn grower_ceilings(i: &Inputs<'_>, r: &ScanRow) -> Ceilings {
    i.ceilings.get(&r.pid).cloned().unwrap_or_else(|| Ceilings {
        nofile: r.fd_soft_limit.ok().flatten(),
        pid_max: i.host.pid_max,
        threads_max: i.host.threads_max,
        ..Ceilings::default()
    })
}

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
        let Some(b) = before.find(r.pid) else {
            continue;
        };
        let grown = grown(b, r);
        if grown.is_empty() {
            continue;
        }
        let ceilings = grower_ceilings(i, r);
        let own = Sample {
            rss: Some(r.rss_bytes),
            fds: r.fds.ok(),
            threads: Some(r.threads),
            ..Sample::default()
        };
        for (metric, from, to) in grown {
            let rate = to.saturating_sub(from) as f64 / dt;
            // The same limit, room and time as `watch` (at or past the
            // limit already: 0 s left).
            let ex = super::ceiling::exhaustion(metric, &own, &ceilings, rate);
            let eta = ex.as_ref().and_then(|e| e.eta_s);
            let (id, what) = match metric {
                Metric::Fds => ("growth.fds", "open descriptors"),
                Metric::Threads => ("growth.threads", "threads"),
                _ => ("growth.rss", "RSS"),
            };
            let fmt = |v: u64| crate::render::watch::fmt_value(metric, v as f64);
            out.push(DoctorFinding {
                pid: Some(r.pid),
                name: Some(Text(r.name.clone())),
                id,
                severity: if eta.is_some_and(|e| e <= WARN_WITHIN_SECS) {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                message: format!(
                    "{what} grew from {} to {} in {dt:.1}s: a leak suspect{}",
                    fmt(from),
                    fmt(to),
                    crate::render::watch::reaches(metric, ex.as_ref())
                ),
                evidence: [
                    ("from", json!(from)),
                    ("to", json!(to)),
                    ("seconds", json!(round1(dt))),
                    ("per_second", json!(round1(rate))),
                ]
                .into_iter()
                .collect(),
                next: Some(format!(
                    "proctor watch {} --metrics {}",
                    r.pid,
                    metric.name()
                )),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::parse::host::{FileNr, MemInfo, Psi, PsiLine};
    use crate::reader::{CgroupMemory, CgroupVersion, Missing};

    const GIB: u64 = 1 << 30;

    /// A sleeping user process with healthy numbers.
    fn row(pid: i32, ppid: i32) -> ScanRow {
        ScanRow {
            pid,
            ppid,
            name: format!("proc{pid}").into_bytes(),
            state: b'S',
            kernel_thread: false,
            start_ticks: 1000 + pid as u64,
            cpu_ticks: 0,
            rss_bytes: 10 << 20,
            threads: 1,
            uid: Ok(0),
            switches: Ok(10),
            fds: Ok(10),
            fd_soft_limit: Ok(Some(1024)),
            cmdline: Ok(b"x".to_vec()),
            cmdline_truncated: false,
        }
    }

    fn zombie(pid: i32, ppid: i32) -> ScanRow {
        ScanRow {
            state: b'Z',
            rss_bytes: 0,
            fds: Err(Missing::NotApplicable),
            cmdline: Ok(Vec::new()),
            ..row(pid, ppid)
        }
    }

    fn scan_at(taken: Instant, mut rows: Vec<ScanRow>) -> Scan {
        rows.sort_by_key(|r| r.pid);
        Scan {
            rows,
            taken,
            uptime_secs: Some(100.0),
            exited: 0,
            unreadable: 0,
            out_of_fds: false,
        }
    }

    fn scan(rows: Vec<ScanRow>) -> Scan {
        scan_at(Instant::now(), rows)
    }

    /// A healthy host: 16 GiB, half available, no swap, no pressure.
    fn host() -> HostFacts {
        HostFacts {
            mem: MemInfo {
                total: Some(16 * GIB),
                available: Some(8 * GIB),
                swap_total: Some(0),
                swap_free: Some(0),
                invalid: 0,
            },
            load: None,
            psi_memory: Some(Psi {
                some: Some(PsiLine::default()),
                full: Some(PsiLine::default()),
                invalid: false,
            }),
            file_nr: Some(FileNr {
                allocated: 1000,
                max: 1_000_000,
            }),
            pid_max: Some(4_194_304),
            threads_max: Some(100_000),
            cpus: 2,
            invalid_files: vec![],
        }
    }

    fn cgroup(path: &str, limit: Option<u64>, oom_kills: Option<u64>) -> CgroupMemory {
        CgroupMemory {
            version: CgroupVersion::V2,
            path: path.as_bytes().to_vec(),
            limit,
            limit_path: limit.map(|_| path.as_bytes().to_vec()),
            usage: None,
            oom_kills,
        }
    }

    fn survey(pid: i32) -> Survey {
        Survey {
            pid,
            deleted: Some(0),
            close_wait: Some(0),
            ..Survey::default()
        }
    }

    /// Everything `build` needs besides the host and the scans.
    struct World {
        surveys: HashMap<i32, Survey>,
        lasting: Vec<i32>,
        exited_during_survey: usize,
        survey_denied: Vec<i32>,
        th: Thresholds,
        host_th: HostThresholds,
        ceilings: HashMap<i32, Ceilings>,
    }

    impl World {
        fn new() -> World {
            World {
                surveys: HashMap::new(),
                lasting: Vec::new(),
                exited_during_survey: 0,
                survey_denied: Vec::new(),
                th: Thresholds::default(),
                host_th: HostThresholds::default(),
                ceilings: HashMap::new(),
            }
        }

        fn build(&self, host: &HostFacts, scan: &Scan, before: Option<&Scan>) -> DoctorReport {
            build(&Inputs {
                host,
                scan,
                before,
                surveys: &self.surveys,
                lasting_zombies: &self.lasting,
                exited_during_survey: self.exited_during_survey,
                survey_denied: &self.survey_denied,
                th: &self.th,
                host_th: &self.host_th,
                ceilings: &self.ceilings,
            })
        }
    }

    fn ids(r: &DoctorReport) -> Vec<(&'static str, Severity, Option<i32>)> {
        r.findings
            .iter()
            .map(|f| (f.id, f.severity, f.pid))
            .collect()
    }

    fn with_id<'a>(r: &'a DoctorReport, id: &str) -> Vec<&'a DoctorFinding> {
        r.findings.iter().filter(|f| f.id == id).collect()
    }

    fn host_only(h: &HostFacts) -> DoctorReport {
        World::new().build(h, &scan(vec![row(1, 0)]), None)
    }

    #[test]
    fn a_healthy_host_has_no_findings() {
        let r = host_only(&host());
        assert!(r.findings.is_empty(), "{:?}", ids(&r));
        assert_eq!(r.worst(), None);
        assert_eq!(r.host.processes, 1);
        assert_eq!(r.host.sampled_seconds, None);
    }

    #[test]
    fn mem_available_low() {
        let at = |pct: u64| {
            let mut h = host();
            h.mem.total = Some(100 * GIB);
            h.mem.available = Some(pct * GIB);
            ids(&host_only(&h))
        };
        assert_eq!(
            at(4),
            vec![("host.mem_available_low", Severity::Critical, None)]
        );
        assert_eq!(
            at(8),
            vec![("host.mem_available_low", Severity::Warning, None)]
        );
        assert_eq!(at(50), vec![]);
        // MemAvailable missing (an old kernel): no verdict, not "0% available".
        let mut h = host();
        h.mem.available = None;
        assert_eq!(ids(&host_only(&h)), vec![]);
        let mut h = host();
        h.mem.total = Some(100 * GIB);
        h.mem.available = Some(4 * GIB);
        let f = &host_only(&h).findings[0];
        assert_eq!(f.evidence["percent"], json!(4.0));
        assert_eq!(f.evidence["mem_available_bytes"], json!(4 * GIB));
        assert_eq!(f.name, None);
        assert!(f.next.is_some());
    }

    #[test]
    fn swap_in_use() {
        let at = |used_pct: u64| {
            let mut h = host();
            h.mem.swap_total = Some(100 * GIB);
            h.mem.swap_free = Some((100 - used_pct) * GIB);
            ids(&host_only(&h))
        };
        assert_eq!(at(10), vec![("host.swap_in_use", Severity::Info, None)]);
        assert_eq!(at(60), vec![("host.swap_in_use", Severity::Warning, None)]);
        assert_eq!(at(0), vec![]);
    }

    #[test]
    fn host_values_that_do_not_parse_are_checks_not_run() {
        let mut h = host();
        assert!(host_checks_not_run(&h).is_empty());
        h.mem.invalid = 0b0010; // MemAvailable
        h.mem.available = None;
        h.invalid_files = vec!["loadavg", "sys/kernel/pid_max", "sys/kernel/threads-max"];
        let r = host_checks_not_run(&h);
        assert_eq!(
            r,
            [
                Reason::ChecksNotRun {
                    section: "meminfo",
                    reason: "parse_error",
                    checks: vec!["host.mem_available_low"],
                },
                Reason::ChecksNotRun {
                    section: "sys/kernel/pid_max",
                    reason: "parse_error",
                    checks: vec!["host.tasks_near_limit"],
                },
                Reason::ChecksNotRun {
                    section: "sys/kernel/threads-max",
                    reason: "parse_error",
                    checks: vec!["host.tasks_near_limit"],
                },
            ]
        );
        let i = incompleteness(&Skipped::default(), None, false, true, &h);
        assert_eq!(i.reasons, r);
    }

    #[test]
    fn memory_pressure() {
        let at = |some: f64, full: f64| {
            let mut h = host();
            h.psi_memory = Some(Psi {
                some: Some(PsiLine {
                    avg10: some,
                    ..PsiLine::default()
                }),
                full: Some(PsiLine {
                    avg10: full,
                    ..PsiLine::default()
                }),
                invalid: false,
            });
            ids(&host_only(&h))
        };
        assert_eq!(
            at(8.0, 6.0),
            vec![("host.memory_pressure", Severity::Critical, None)]
        );
        assert_eq!(
            at(12.0, 0.0),
            vec![("host.memory_pressure", Severity::Warning, None)]
        );
        assert_eq!(at(9.0, 4.0), vec![]);
        // No PSI on this kernel: nothing, not "no pressure" findings.
        let mut h = host();
        h.psi_memory = None;
        assert_eq!(ids(&host_only(&h)), vec![]);
    }

    #[test]
    fn file_handles() {
        let at = |allocated: u64| {
            let mut h = host();
            h.file_nr = Some(FileNr {
                allocated,
                max: 1000,
            });
            ids(&host_only(&h))
        };
        assert_eq!(
            at(960),
            vec![("host.file_handles", Severity::Critical, None)]
        );
        assert_eq!(
            at(850),
            vec![("host.file_handles", Severity::Warning, None)]
        );
        assert_eq!(at(500), vec![]);
    }

    #[test]
    fn tasks_near_limit_uses_the_smaller_cap() {
        let mut h = host();
        h.pid_max = Some(100);
        h.threads_max = Some(1_000_000);
        let mut big = row(10, 1);
        big.threads = 85;
        let r = World::new().build(&h, &scan(vec![row(1, 0), big]), None);
        assert_eq!(
            ids(&r),
            vec![("host.tasks_near_limit", Severity::Warning, None)]
        );
        assert_eq!(r.findings[0].evidence["tasks"], json!(86));
        assert_eq!(r.findings[0].evidence["limit"], json!(100));
    }

    #[test]
    fn zombies_are_grouped_by_parent() {
        let mut w = World::new();
        // Parent 50 has two lasting zombies; parent 60's zombie (62) was
        // reaped before the recheck, so it is not in lasting_zombies.
        w.lasting = vec![51, 52];
        let s = scan(vec![
            row(1, 0),
            row(50, 1),
            zombie(51, 50),
            zombie(52, 50),
            row(60, 1),
            zombie(62, 60),
        ]);
        let r = w.build(&host(), &s, None);
        assert_eq!(
            ids(&r),
            vec![("zombies.unreaped", Severity::Warning, Some(50))]
        );
        let f = &r.findings[0];
        assert_eq!(f.evidence["zombies"], json!(2));
        assert_eq!(f.evidence["zombie_pids"], json!([51, 52]));
        assert_eq!(f.name, Some(Text(b"proc50".to_vec())));
        assert_eq!(f.next.as_deref(), Some("proctor inspect 50"));
        assert!(f.message.contains("PIDs 51, 52"), "{}", f.message);
        // Zombies are counted host-wide whether lasting or not, and a
        // zombie is never judged by the per-process rules.
        assert_eq!(r.host.zombies, 3);
        assert!(r.findings.iter().all(|f| f.id != "state.zombie"));
    }

    #[test]
    fn zombie_list_is_cut_at_ten_and_pid_1_gets_the_init_advice() {
        let mut w = World::new();
        let mut rows = vec![row(1, 0)];
        for z in 100..112 {
            rows.push(zombie(z, 1));
            w.lasting.push(z);
        }
        let r = w.build(&host(), &scan(rows), None);
        let z = with_id(&r, "zombies.unreaped");
        assert_eq!(z.len(), 1);
        assert_eq!(z[0].pid, Some(1));
        assert_eq!(z[0].evidence["zombies"], json!(12));
        assert_eq!(
            z[0].evidence["zombie_pids"].as_array().map(Vec::len),
            Some(12)
        );
        assert!(z[0].message.contains("and 2 more"), "{}", z[0].message);
        assert!(z[0].message.contains("init"), "{}", z[0].message);
    }

    #[test]
    fn many_zombies_are_a_host_finding() {
        let mut rows = vec![row(1, 0), row(2, 1)];
        rows.extend((10..110).map(|z| zombie(z, 2)));
        let r = World::new().build(&host(), &scan(rows), None);
        // None lasting: no per-parent finding, but 100 zombies host-wide.
        assert_eq!(ids(&r), vec![("host.zombies", Severity::Warning, None)]);
        assert_eq!(r.findings[0].evidence["zombies"], json!(100));
    }

    #[test]
    fn fds_near_the_soft_limit() {
        let at = |fds: u64| {
            let mut p = row(7, 1);
            p.fds = Ok(fds);
            ids(&World::new().build(&host(), &scan(vec![row(1, 0), p]), None))
        };
        assert_eq!(
            at(990),
            vec![("fds.near_limit", Severity::Critical, Some(7))]
        );
        assert_eq!(
            at(850),
            vec![("fds.near_limit", Severity::Warning, Some(7))]
        );
        assert_eq!(at(500), vec![]);
        let mut p = row(7, 1);
        p.fds = Ok(990);
        let r = World::new().build(&host(), &scan(vec![p]), None);
        let f = &r.findings[0];
        assert_eq!(f.next.as_deref(), Some("proctor fds 7"));
        assert_eq!(f.evidence["fds"], json!(990));
        assert_eq!(f.evidence["soft_limit"], json!(1024));
        // Unknown count or unlimited soft limit: no verdict.
        let mut p = row(7, 1);
        p.fds = Err(Missing::PermissionDenied);
        p.fd_soft_limit = Ok(Some(10));
        let mut q = row(8, 1);
        q.fds = Ok(1_000_000);
        q.fd_soft_limit = Ok(None);
        let r = World::new().build(&host(), &scan(vec![p, q]), None);
        assert_eq!(ids(&r), vec![]);
    }

    #[test]
    fn kernel_threads_are_not_judged() {
        let mut k = row(2, 0);
        k.kernel_thread = true;
        k.fds = Ok(1024);
        k.threads = 5000;
        let r = World::new().build(&host(), &scan(vec![k]), None);
        assert_eq!(ids(&r), vec![]);
    }

    #[test]
    fn survey_facts_feed_the_process_rules() {
        let mut w = World::new();
        let mut s = survey(7);
        s.deleted = Some(2);
        s.close_wait = Some(25);
        s.cgroup = Some(cgroup("/app", Some(100 << 20), Some(0)));
        w.surveys.insert(7, s);
        let mut p = row(7, 1);
        p.rss_bytes = 97 << 20;
        p.threads = 1200;
        let r = w.build(&host(), &scan(vec![row(1, 0), p]), None);
        assert_eq!(
            ids(&r),
            vec![
                ("memory.near_cgroup_limit", Severity::Critical, Some(7)),
                ("fds.deleted_open", Severity::Warning, Some(7)),
                ("sockets.close_wait", Severity::Warning, Some(7)),
                ("threads.high", Severity::Warning, Some(7)),
            ]
        );
        // Host-wide swap and the main thread's switch mix are not
        // per-process verdicts in the doctor.
        assert!(
            r.findings
                .iter()
                .all(|f| f.id != "memory.swap_in_use" && f.id != "cpu.nonvoluntary_switches")
        );
    }

    #[test]
    fn oom_kills_once_per_cgroup_named_after_the_largest_process() {
        let mut w = World::new();
        let mut rows = vec![row(1, 0)];
        for (pid, rss) in [(10, 5u64 << 20), (11, 50 << 20), (12, 20 << 20)] {
            let mut r = row(pid, 1);
            r.rss_bytes = rss;
            rows.push(r);
            let mut s = survey(pid);
            s.cgroup = Some(cgroup("/kubepods/pod1", None, Some(3)));
            w.surveys.insert(pid, s);
        }
        // Another cgroup without OOM kills: nothing.
        let mut s = survey(1);
        s.cgroup = Some(cgroup("/", None, Some(0)));
        w.surveys.insert(1, s);
        let r = w.build(&host(), &scan(rows), None);
        assert_eq!(
            ids(&r),
            vec![("memory.oom_kills", Severity::Critical, Some(11))]
        );
        let f = &r.findings[0];
        assert_eq!(f.evidence["oom_kills"], json!(3));
        assert_eq!(f.evidence["cgroup"], json!("/kubepods/pod1"));
        assert_eq!(f.name, Some(Text(b"proc11".to_vec())));
        assert_eq!(f.next.as_deref(), Some("proctor inspect 11"));
    }

    /// Two scans `secs` apart: rows (before, after).
    fn sampled(secs: u64, before: Vec<ScanRow>, after: Vec<ScanRow>) -> DoctorReport {
        sampled_in(&World::new(), secs, before, after)
    }

    fn sampled_in(w: &World, secs: u64, before: Vec<ScanRow>, after: Vec<ScanRow>) -> DoctorReport {
        let t0 = Instant::now();
        let b = scan_at(t0, before);
        let a = scan_at(t0 + Duration::from_secs(secs), after);
        w.build(&host(), &a, Some(&b))
    }

    fn with_fds(pid: i32, fds: u64) -> ScanRow {
        ScanRow {
            fds: Ok(fds),
            ..row(pid, 1)
        }
    }

    #[test]
    fn growth_of_descriptors_with_time_to_the_limit() {
        let r = sampled(5, vec![with_fds(9, 100)], vec![with_fds(9, 300)]);
        assert_eq!(ids(&r), vec![("growth.fds", Severity::Warning, Some(9))]);
        assert_eq!(r.host.sampled_seconds, Some(5.0));
        let f = &r.findings[0];
        assert_eq!(f.evidence["from"], json!(100));
        assert_eq!(f.evidence["to"], json!(300));
        assert_eq!(f.evidence["seconds"], json!(5.0));
        assert_eq!(f.evidence["per_second"], json!(40.0));
        assert_eq!(f.next.as_deref(), Some("proctor watch 9 --metrics fds"));
        // (1024 - 300) / 40 per second = 18.1 s.
        assert!(
            f.message
                .contains("; at this rate it reaches 1024 (RLIMIT_NOFILE soft limit) in 18s"),
            "{}",
            f.message
        );
    }

    #[test]
    fn small_or_slow_growth_is_not_reported() {
        // +5: under the absolute minimum.
        let r = sampled(5, vec![with_fds(9, 100)], vec![with_fds(9, 105)]);
        assert_eq!(ids(&r), vec![]);
        // +40 on 500: under 10% relative.
        let r = sampled(5, vec![with_fds(9, 500)], vec![with_fds(9, 540)]);
        assert_eq!(ids(&r), vec![]);
        // Shrinking.
        let r = sampled(5, vec![with_fds(9, 300)], vec![with_fds(9, 100)]);
        assert_eq!(ids(&r), vec![]);
    }

    #[test]
    fn growth_far_from_any_ceiling_is_info() {
        // 100 -> 300 in 5 s with a soft limit of 1M: days away.
        let grow = |fds| ScanRow {
            fd_soft_limit: Ok(Some(1 << 20)),
            ..with_fds(9, fds)
        };
        let r = sampled(5, vec![grow(100)], vec![grow(300)]);
        assert_eq!(ids(&r), vec![("growth.fds", Severity::Info, Some(9))]);
        // Unlimited: no time to exhaustion at all.
        let grow = |fds| ScanRow {
            fd_soft_limit: Ok(None),
            ..with_fds(9, fds)
        };
        let r = sampled(5, vec![grow(100)], vec![grow(300)]);
        assert_eq!(ids(&r), vec![("growth.fds", Severity::Info, Some(9))]);
        assert!(!r.findings[0].message.contains("reaches"));
    }

    #[test]
    fn growth_up_to_the_ceiling_is_a_warning() {
        // Already at the soft limit: no time is left, so the growth is a
        // warning (with a 0 s ETA) beside fds.near_limit.
        let r = sampled(5, vec![with_fds(9, 100)], vec![with_fds(9, 1024)]);
        assert_eq!(
            ids(&r),
            vec![
                ("fds.near_limit", Severity::Critical, Some(9)),
                ("growth.fds", Severity::Warning, Some(9)),
            ]
        );
        assert!(
            r.findings[1].message.contains("in 0s"),
            "{}",
            r.findings[1].message
        );
    }

    #[test]
    fn growth_of_threads_and_rss() {
        let mk = |threads: u64, rss: u64| ScanRow {
            threads,
            rss_bytes: rss,
            ..row(9, 1)
        };
        // Read for pid 9 as `watch` reads them: 100 tasks on the host.
        let mut w = World::new();
        let host = host();
        w.ceilings.insert(
            9,
            Ceilings {
                pid_max: host.pid_max,
                threads_max: host.threads_max,
                host_tasks: Some(100),
                ..Ceilings::default()
            },
        );
        // +3 threads/s: threads-max (100,000 less the host's 100 tasks) is
        // 9 hours away, so a suspect (info), not a warning; inspect's
        // 1,000-thread threshold is a judgement, not a ceiling.
        let r = sampled_in(&w, 10, vec![mk(10, 100 << 20)], vec![mk(40, 200 << 20)]);
        assert_eq!(
            ids(&r),
            vec![
                ("growth.rss", Severity::Info, Some(9)),
                ("growth.threads", Severity::Info, Some(9)),
            ]
        );
        assert!(
            r.findings[1]
                .message
                .contains("reaches 100000 (kernel.threads-max) in 9h 15m"),
            "{}",
            r.findings[1].message
        );
        // Without the host's task count: the limit is not timed.
        let r = sampled(10, vec![mk(10, 100 << 20)], vec![mk(40, 100 << 20)]);
        assert_eq!(ids(&r), vec![("growth.threads", Severity::Info, Some(9))]);
        assert!(
            !r.findings[0].message.contains("reaches"),
            "{}",
            r.findings[0].message
        );
        // +3,000 threads/s: threads-max within the hour.
        let r = sampled_in(&w, 10, vec![mk(10, 100 << 20)], vec![mk(30_010, 100 << 20)]);
        assert_eq!(
            ids(&r),
            vec![
                ("growth.threads", Severity::Warning, Some(9)),
                ("threads.high", Severity::Warning, Some(9)),
            ]
        );
        // +4 threads, +8 MiB: under the minimums.
        let r = sampled(10, vec![mk(10, 100 << 20)], vec![mk(14, 108 << 20)]);
        assert_eq!(ids(&r), vec![]);
    }

    #[test]
    fn growth_against_the_pids_cgroup_and_the_memory_cgroup() {
        use crate::reader::CgroupCeiling;
        let cg = |file: &str, limit, usage| CgroupCeiling {
            limit_file: file.into(),
            limit,
            usage_file: std::path::PathBuf::from(file).with_file_name("usage"),
            usage: Some(usage),
        };
        let mut w = World::new();
        w.ceilings.insert(
            9,
            Ceilings {
                pids: Some(cg("/sys/fs/cgroup/pids/x/pids.max", 64, 40)),
                memory: Some(cg(
                    "/sys/fs/cgroup/memory/x/memory.limit_in_bytes",
                    256 << 20,
                    226 << 20,
                )),
                pid_max: Some(4_194_304),
                threads_max: Some(100_000),
                host_tasks: Some(500),
                ..Ceilings::default()
            },
        );
        let mk = |threads: u64, rss: u64| ScanRow {
            threads,
            rss_bytes: rss,
            ..row(9, 1)
        };
        // +3 threads/s; 24 tasks of room in the cgroup: 8 s.
        let r = sampled_in(&w, 10, vec![mk(10, 100 << 20)], vec![mk(40, 200 << 20)]);
        let m = &with_id(&r, "growth.threads")[0].message;
        assert!(
            m.ends_with("; at this rate it reaches 64 (pids.max of /sys/fs/cgroup/pids/x) in 8s"),
            "{m}"
        );
        // +10 MiB/s, 30 MiB of room in the cgroup (its usage, not this
        // RSS): 3 s.
        let f = with_id(&r, "growth.rss")[0];
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.message.ends_with(
                "reaches 256 MiB (memory.limit_in_bytes of /sys/fs/cgroup/memory/x) in 3s"
            ),
            "{}",
            f.message
        );
    }

    #[test]
    fn a_reused_pid_is_not_growth() {
        let mut new = with_fds(9, 300);
        new.start_ticks += 1;
        let r = sampled(5, vec![with_fds(9, 100)], vec![new]);
        assert_eq!(ids(&r), vec![]);
        // A process that appeared between the scans: nothing to compare.
        let r = sampled(5, vec![], vec![with_fds(9, 300)]);
        assert_eq!(ids(&r), vec![]);
    }

    #[test]
    fn findings_sorted_most_severe_first() {
        let mut w = World::new();
        w.lasting = vec![31];
        let mut h = host();
        h.mem.total = Some(100 * GIB);
        h.mem.available = Some(4 * GIB);
        h.mem.swap_total = Some(100 * GIB);
        h.mem.swap_free = Some(90 * GIB);
        let mut s = survey(20);
        s.deleted = Some(1);
        w.surveys.insert(20, s);
        let r = w.build(
            &h,
            &scan(vec![
                row(1, 0),
                with_fds(10, 1000),
                row(20, 1),
                row(30, 1),
                zombie(31, 30),
            ]),
            None,
        );
        assert_eq!(
            ids(&r),
            vec![
                ("fds.near_limit", Severity::Critical, Some(10)),
                ("host.mem_available_low", Severity::Critical, None),
                ("fds.deleted_open", Severity::Warning, Some(20)),
                ("zombies.unreaped", Severity::Warning, Some(30)),
                ("host.swap_in_use", Severity::Info, None),
            ]
        );
        assert_eq!(r.worst(), Some(Severity::Critical));
        let sev: Vec<Severity> = r.findings.iter().map(|f| f.severity).collect();
        let mut sorted = sev.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(sev, sorted);
    }

    #[test]
    fn skipped_counts() {
        let mut w = World::new();
        w.exited_during_survey = 2;
        w.survey_denied = vec![5, 7, 8, 9];
        let mut denied = row(5, 1);
        denied.fds = Err(Missing::PermissionDenied);
        let mut n_a = row(6, 1);
        n_a.fds = Err(Missing::NotApplicable);
        let mut s = scan(vec![row(1, 0), denied, n_a]);
        s.exited = 3;
        let r = w.build(&host(), &s, None);
        assert_eq!(r.skipped.exited, 5);
        // One denied row in the scan (not-applicable is not a refusal)
        // plus the survey's four; pid 5, refused in both, counts once.
        assert_eq!(r.skipped.permission_denied, 4);
    }

    #[test]
    fn host_summary_totals() {
        let mut a = row(1, 0);
        a.threads = 3;
        let mut b = row(2, 1);
        b.threads = 7;
        let r = World::new().build(&host(), &scan(vec![a, b, zombie(3, 2)]), None);
        assert_eq!(r.host.processes, 3);
        assert_eq!(r.host.threads, 11);
        assert_eq!(r.host.zombies, 1);
        assert_eq!(r.host.open_files, Some(1000));
        assert_eq!(r.host.file_max, Some(1_000_000));
        assert_eq!(r.host.mem_total_bytes, Some(16 * GIB));
        assert_eq!(r.host.swap_used_bytes, Some(0));
        assert_eq!(r.host.memory_pressure_full_avg10, Some(0.0));
        assert_eq!(r.host.cpus, 2);
    }
}
