//! `doctor`: every process's findings (the per-process rules of
//! `findings::rules`, on facts the host-wide scan and survey gathered),
//! the cgroup rules once per cgroup with its processes
//! (`findings::rules::CGROUP_RULES`; a cgroup's findings listed together),
//! OOM kills once per memory cgroup where the cgroup's counts could not be
//! read (else `cgroup.oom_kills` has them), zombies grouped by the parent that
//! fails to reap them, the host rules (`findings::rules::HOST_RULES`:
//! memory available, swap, pressure, zombies, file handles, task count)
//! and, from two scans, growers near their ceilings or fast (`growth.*`)
//! and busy processes with their hot threads (`cpu.*`, with the
//! per-process rules). Pure: data in, report out; the
//! findings' words are written by `render::findings`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::cpu::{Basis, CpuUse, HotThread};
pub use super::findings::HostThresholds;
use super::findings::{self, Facts, Finding, HostSeen, Kind, Severity, Thresholds, round1};
use super::incomplete::{Cause, Incomplete, Reason};
use super::leak::Metric;
use super::workload::WorkloadReport;
use crate::reader::{
    Ceilings, CgroupMember, CpuState, HostFacts, MemoryState, PidsState, Sample, Scan, ScanRow,
    Survey,
};
use crate::text::Text;

/// One finding of the doctor: about a process (its pid in the finding,
/// and its name here) or the host (no pid, no name). Serialized, with its
/// words, by `render::findings`.
#[derive(Debug, Clone)]
pub struct DoctorFinding {
    pub name: Option<Text>,
    pub finding: Finding,
    /// The workload the finding belongs to: for a cgroup finding, its
    /// cgroup's; for a process's, the process's (None: a host finding, or
    /// a process whose /proc/PID/cgroup could not be read). Named from the
    /// kubelet's directories by the caller.
    pub workload: Option<WorkloadReport>,
}

impl DoctorFinding {
    /// A finding of a process (or of none) outside the rule tables: the
    /// fast growers.
    fn new(
        pid: Option<i32>,
        name: Option<Text>,
        id: &'static str,
        severity: Severity,
        kind: Kind,
    ) -> DoctorFinding {
        DoctorFinding {
            workload: None,
            name,
            finding: Finding {
                id,
                severity,
                pid,
                kind,
            },
        }
    }
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
        self.findings.iter().map(|f| f.finding.severity).max()
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
    /// The limits of the growers ([`growers`]), read for them.
    pub ceilings: &'a HashMap<i32, Ceilings>,
    /// Clock ticks per second (the scans' CPU times are in ticks).
    pub ticks_per_sec: u64,
    /// The hottest threads of the busiest processes ([`hot_processes`]),
    /// measured over a second look of `thread_seconds` after the scans.
    pub hot_threads: &'a HashMap<i32, Vec<HotThread>>,
    pub thread_seconds: f64,
}

/// `a` as a percentage of `b` (at least 1): the growers' relative growth.
fn pct(a: u64, b: u64) -> f64 {
    a as f64 * 100.0 / b.max(1) as f64
}

/// The report: every finding most severe first, the host summary and
/// what was skipped (`incomplete` is set by the caller, who knows how the
/// scan went).
pub fn build(i: &Inputs<'_>) -> DoctorReport {
    let rows = &i.scan.rows;
    let by_pid: HashMap<i32, &ScanRow> = rows.iter().map(|r| (r.pid, r)).collect();
    let mut out = process_findings(i, &by_pid);
    zombies(i, &by_pid, &mut out);
    out.extend(host_findings(i));
    if let Some(before) = i.before {
        growth(i, before, &mut out);
    }
    sort_most_severe_first(&mut out);
    group_cgroups(&mut out);
    for f in &mut out {
        f.workload = workload_of(i, f);
    }
    DoctorReport {
        host: host_summary(i),
        findings: out,
        skipped: skipped(i),
        incomplete: None,
    }
}

/// Most severe first, then by id, then by pid (host findings first).
fn sort_most_severe_first(out: &mut [DoctorFinding]) {
    out.sort_by(|a, b| {
        let (a, b) = (&a.finding, &b.finding);
        b.severity
            .cmp(&a.severity)
            .then(a.id.cmp(b.id))
            .then(a.pid.cmp(&b.pid))
    });
}

/// A cgroup's findings together, at the place of its most severe one
/// (each names the cgroup's processes); the rest keeps its order.
fn group_cgroups(out: &mut Vec<DoctorFinding>) {
    let key = |f: &DoctorFinding| match &f.finding.kind {
        Kind::Cgroup(c) => Some(c.cgroup.clone()),
        _ => None,
    };
    let mut rest: Vec<Option<DoctorFinding>> = std::mem::take(out).into_iter().map(Some).collect();
    for i in 0..rest.len() {
        let Some(f) = rest[i].take() else { continue };
        let k = key(&f);
        out.push(f);
        let Some(k) = k else { continue };
        for slot in rest.iter_mut().skip(i + 1) {
            if let Some(g) = slot.take_if(|g| key(g).as_ref() == Some(&k)) {
                out.push(g);
            }
        }
    }
}

/// The workload a finding belongs to: a cgroup finding's cgroup (and a
/// `memory.oom_kills` finding's memory cgroup), else the process's (from
/// the cgroup lines its survey read); None for the host's findings and
/// for a process whose cgroup lines were not read.
fn workload_of(i: &Inputs<'_>, f: &DoctorFinding) -> Option<WorkloadReport> {
    // The paths are /proc/PID/cgroup's, normalized by the reader
    // (normalizing again is a no-op).
    let of_path = |p: &[u8]| {
        let p = crate::parse::cgroup::normalize(p);
        WorkloadReport::new(&crate::parse::workload::from_cgroup_path(&p), &p)
    };
    match &f.finding.kind {
        Kind::Cgroup(c) => return Some(of_path(&c.cgroup.0)),
        Kind::OomKills {
            cgroup: Some(c), ..
        } => return Some(of_path(&c.0)),
        _ => {}
    }
    let lines = i.surveys.get(&f.finding.pid?)?.cgroup_lines.as_ref()?;
    super::workload::of_lines(lines)
}

/// Whose findings one part of the report gathers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Owner<'a> {
    /// The host's own findings (neither a process nor a cgroup).
    Host,
    Workload(&'a WorkloadReport),
    /// Processes whose cgroup could not be read.
    Unknown,
}

/// The findings of one workload (or of the host), most severe first.
#[derive(Debug, Clone)]
pub struct WorkloadGroup<'a> {
    pub owner: Owner<'a>,
    pub findings: Vec<&'a DoctorFinding>,
}

/// Two reports of one workload: the same pod and container (and role),
/// unit, container, or plain cgroup path. The names are not compared:
/// they come from the ids.
fn same_workload(a: &WorkloadReport, b: &WorkloadReport) -> bool {
    use super::workload::Kind as W;
    a.kind == b.kind
        && a.role == b.role
        && match a.kind {
            W::Kubernetes => a.pod_uid == b.pod_uid && a.container_id == b.container_id,
            W::SystemdUnit => a.unit == b.unit,
            W::Container => a.container_id == b.container_id && a.runtime == b.runtime,
            W::Cgroup => a.cgroup == b.cgroup,
        }
}

/// `findings` grouped by workload: the host's first, then each
/// workload's (and the processes of unknown workload) ordered by its most
/// severe finding (ties: in the order given); inside a group, most severe
/// first, else in the order given (a cgroup's findings stay together).
pub fn by_workload<'a>(
    findings: impl IntoIterator<Item = &'a DoctorFinding>,
) -> Vec<WorkloadGroup<'a>> {
    let mut groups: Vec<WorkloadGroup<'a>> = Vec::new();
    for f in findings {
        let owner = match (&f.workload, f.finding.pid) {
            (Some(w), _) => Owner::Workload(w),
            (None, None) => Owner::Host,
            (None, Some(_)) => Owner::Unknown,
        };
        let same = |g: &WorkloadGroup<'_>| match (g.owner, owner) {
            (Owner::Workload(a), Owner::Workload(b)) => same_workload(a, b),
            (Owner::Host, Owner::Host) | (Owner::Unknown, Owner::Unknown) => true,
            _ => false,
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => g.findings.push(f),
            None => groups.push(WorkloadGroup {
                owner,
                findings: vec![f],
            }),
        }
    }
    for g in &mut groups {
        g.findings
            .sort_by_key(|f| std::cmp::Reverse(f.finding.severity));
    }
    let worst = |g: &WorkloadGroup<'_>| g.findings.first().map(|f| f.finding.severity);
    let host = |g: &WorkloadGroup<'_>| g.owner == Owner::Host;
    groups.sort_by(|a, b| host(b).cmp(&host(a)).then(worst(b).cmp(&worst(a))));
    groups
}

/// What the per-process rules see of a scanned process: the scan's
/// numbers and the survey's. Zombies are judged by parent and OOM kills
/// once per cgroup (elsewhere); host-wide swap and the main thread's
/// switch mix are not per-process verdicts here.
fn facts_of(r: &ScanRow, s: Option<&Survey>, cpu: Option<CpuUse>) -> Facts {
    let cg = s.and_then(|s| s.cgroup.as_ref());
    Facts {
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
        listeners: s
            .and_then(|s| s.listeners.as_deref())
            .map(super::findings::ListenQueue::of),
        listen_counters: s.and_then(|s| s.listen_counters),
        deleted: s.and_then(|s| s.deleted),
        deleted_space: s
            .and_then(|s| crate::analysis::inspect::deleted_space(s.deleted?, &s.deleted_files)),
        swap_bytes: None,
        voluntary_switches: None,
        nonvoluntary_switches: None,
        cpu,
    }
}

/// The seconds between the two scans (`--sample`), if any passed.
fn sampled_secs(i: &Inputs<'_>) -> Option<f64> {
    let b = i.before?;
    let dt = i
        .scan
        .taken
        .saturating_duration_since(b.taken)
        .as_secs_f64();
    (dt > 0.0).then_some(dt)
}

/// A process's share of a CPU between the two scans (the same process in
/// both), with its hottest threads when they were read.
fn cpu_of(i: &Inputs<'_>, r: &ScanRow) -> Option<CpuUse> {
    let dt = sampled_secs(i)?;
    let b = i.before?.find(r.pid)?;
    if b.start_ticks != r.start_ticks {
        return None;
    }
    let hottest = i.hot_threads.get(&r.pid).cloned().unwrap_or_default();
    Some(CpuUse {
        percent: super::cpu::sampled(b.cpu_ticks, r.cpu_ticks, dt, i.ticks_per_sec)?,
        seconds: dt,
        basis: Basis::Sampled,
        cpus: (i.host.cpus > 0).then_some(i.host.cpus),
        thread_seconds: (!hottest.is_empty()).then_some(i.thread_seconds),
        hottest,
    })
}

/// At most this many of the busiest processes have their threads read.
pub const MAX_HOT_PROCESSES: usize = 5;

/// The processes that used at least the lower of `th.busy_pct` and
/// `th.busy_thread_pct` of a CPU between the two scans (a process that
/// busy may have a busy thread), busiest first, at most [`MAX_HOT_PROCESSES`]: those whose
/// threads are worth a second look.
pub fn hot_processes(scan: &Scan, before: &Scan, ticks_per_sec: u64, th: &Thresholds) -> Vec<i32> {
    let dt = scan
        .taken
        .saturating_duration_since(before.taken)
        .as_secs_f64();
    let mut hot: Vec<(f64, i32)> = scan
        .rows
        .iter()
        .filter(|r| !r.kernel_thread && r.state != b'Z')
        .filter_map(|r| {
            let b = before
                .find(r.pid)
                .filter(|b| b.start_ticks == r.start_ticks)?;
            let p = super::cpu::sampled(b.cpu_ticks, r.cpu_ticks, dt, ticks_per_sec)?;
            (p >= th.busy_pct.min(th.busy_thread_pct)).then_some((p, r.pid))
        })
        .collect();
    hot.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    hot.into_iter()
        .take(MAX_HOT_PROCESSES)
        .map(|(_, pid)| pid)
        .collect()
}

/// The per-process rules on every user process that is not a zombie,
/// then one `memory.oom_kills` per memory cgroup with kills.
fn process_findings(i: &Inputs<'_>, by_pid: &HashMap<i32, &ScanRow>) -> Vec<DoctorFinding> {
    let mut out = Vec::new();
    // Cgroup path -> (kills, pid, rss of that pid): named after its
    // largest process.
    let mut oom_by_cgroup: HashMap<Vec<u8>, (u64, i32, u64)> = HashMap::new();
    for r in &i.scan.rows {
        if r.kernel_thread || r.state == b'Z' || r.state == b'X' {
            continue;
        }
        let s = i.surveys.get(&r.pid);
        // Judged by the cgroup rules where the cgroup's state was read.
        let by_cgroup_rule = s
            .and_then(|s| s.cgroup_state.as_ref())
            .is_some_and(|st| st.memory.as_ref().is_ok_and(|m| m.oom.oom_kill.is_some()));
        if let Some(cg) = s
            .and_then(|s| s.cgroup.as_ref())
            .filter(|_| !by_cgroup_rule)
        {
            if let Some(k) = cg.oom_kills.filter(|&k| k > 0) {
                let e = oom_by_cgroup
                    .entry(cg.path.clone())
                    .or_insert((k, r.pid, r.rss_bytes));
                if r.rss_bytes > e.2 {
                    *e = (k, r.pid, r.rss_bytes);
                }
            }
        }
        let name = Text(r.name.clone());
        out.extend(
            findings::evaluate_facts(&facts_of(r, s, cpu_of(i, r)), i.th)
                .into_iter()
                .map(|finding| DoctorFinding {
                    workload: None,
                    name: Some(name.clone()),
                    finding,
                }),
        );
    }
    out.extend(cgroup_findings(i, by_pid));
    for (path, (oom_kills, pid, _)) in oom_by_cgroup {
        out.push(DoctorFinding {
            workload: None,
            name: by_pid.get(&pid).map(|r| Text(r.name.clone())),
            finding: Finding {
                id: "memory.oom_kills",
                severity: Severity::Critical,
                pid: Some(pid),
                kind: Kind::OomKills {
                    oom_kills,
                    cgroup: Some(Text(path)),
                },
            },
        });
    }
    out
}

/// One cgroup (a controller and its path) and the scanned processes in it.
struct Group<'a> {
    memory: Option<&'a MemoryState>,
    pids: Option<&'a PidsState>,
    cpu: Option<&'a CpuState>,
    members: Vec<CgroupMember>,
}

/// The cgroup rules once per cgroup: the surveyed processes grouped by
/// their memory, pids and cpu cgroups (by path), each group judged on its
/// own controller with its processes. A finding is named after the
/// cgroup's largest process by the rule's measure.
fn cgroup_findings(i: &Inputs<'_>, by_pid: &HashMap<i32, &ScanRow>) -> Vec<DoctorFinding> {
    let mut groups: BTreeMap<(u8, Vec<u8>), Group<'_>> = BTreeMap::new();
    for r in &i.scan.rows {
        if r.kernel_thread || r.state == b'Z' || r.state == b'X' {
            continue;
        }
        let Some(st) = i.surveys.get(&r.pid).and_then(|s| s.cgroup_state.as_ref()) else {
            continue;
        };
        let member = CgroupMember {
            pid: r.pid,
            name: r.name.clone(),
            rss_bytes: r.rss_bytes,
            threads: r.threads,
            cpu_ticks: r.cpu_ticks,
        };
        let empty = || Group {
            memory: None,
            pids: None,
            cpu: None,
            members: Vec::new(),
        };
        if let Ok(m) = &st.memory {
            let g = groups.entry((0, m.path.clone())).or_insert_with(empty);
            g.memory = Some(m);
            g.members.push(member.clone());
        }
        if let Some(Ok(p)) = &st.pids {
            let g = groups.entry((1, p.path.clone())).or_insert_with(empty);
            g.pids = Some(p);
            g.members.push(member.clone());
        }
        if let Some(Ok(c)) = &st.cpu {
            let g = groups.entry((2, c.path.clone())).or_insert_with(empty);
            g.cpu = Some(c);
            g.members.push(member);
        }
    }
    let mut out = Vec::new();
    for g in groups.values() {
        let m = &g.members[..];
        let seen = findings::CgroupSeen {
            memory: g.memory.map(|x| (x, m)),
            pids: g.pids.map(|x| (x, m)),
            cpu: g.cpu.map(|x| (x, m)),
        };
        out.extend(
            findings::evaluate_cgroup(&seen, i.th)
                .into_iter()
                .map(|finding| DoctorFinding {
                    workload: None,
                    name: finding
                        .pid
                        .and_then(|p| by_pid.get(&p))
                        .map(|r| Text(r.name.clone())),
                    finding,
                }),
        );
    }
    out
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
        let parent_name = by_pid.get(&ppid).map(|p| Text(p.name.clone()));
        out.push(DoctorFinding {
            workload: None,
            name: parent_name.clone(),
            finding: Finding {
                id: "zombies.unreaped",
                severity: Severity::Warning,
                pid: Some(ppid),
                kind: Kind::ZombiesUnreaped {
                    ppid,
                    parent_name,
                    zombies: kids,
                },
            },
        });
    }
}

/// The host rules, on the host files and the scan's counts.
fn host_findings(i: &Inputs<'_>) -> Vec<DoctorFinding> {
    let rows = &i.scan.rows;
    let seen = HostSeen {
        host: i.host,
        zombies: rows.iter().filter(|r| r.state == b'Z').count(),
        tasks: rows.iter().fold(0u64, |a, r| a.saturating_add(r.threads)),
    };
    findings::evaluate_host(&seen, i.host_th)
        .into_iter()
        .map(|finding| DoctorFinding {
            workload: None,
            name: None,
            finding,
        })
        .collect()
}

/// The host line of the report: host files and the scan's totals.
fn host_summary(i: &Inputs<'_>) -> HostSummary {
    let rows = &i.scan.rows;
    let h = i.host;
    HostSummary {
        mem_total_bytes: h.mem.total,
        mem_available_bytes: h.mem.available,
        swap_total_bytes: h.mem.swap_total,
        swap_used_bytes: h.mem.swap_used(),
        memory_pressure_some_avg10: h.psi_memory.and_then(|p| p.some).map(|s| s.avg10),
        memory_pressure_full_avg10: h.psi_memory.and_then(|p| p.full).map(|s| s.avg10),
        load: h.load.map(|l| [l.one, l.five, l.fifteen]),
        cpus: h.cpus,
        processes: rows.len(),
        threads: rows.iter().fold(0u64, |a, r| a.saturating_add(r.threads)),
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
    }
}

/// Processes not judged, or judged on part of their files.
fn skipped(i: &Inputs<'_>) -> Skipped {
    // A pid refused in both the scan and the survey counts once.
    let mut denied: Vec<i32> = i
        .scan
        .rows
        .iter()
        .filter(|r| r.denied())
        .map(|r| r.pid)
        .chain(i.survey_denied.iter().copied())
        .collect();
    denied.sort_unstable();
    denied.dedup();
    Skipped {
        exited: i.scan.exited + i.exited_during_survey,
        permission_denied: denied.len(),
        unreadable: i.scan.unreadable,
        read_errors: 0,
    }
}

/// Minimum growth between the two scans to call a process a grower at
/// all (below it: noise, whatever the ceiling).
const MIN_FD_GROWTH: u64 = 10;
const MIN_THREAD_GROWTH: u64 = 5;
const MIN_RSS_GROWTH: u64 = 16 << 20;
/// ...and relative to where it started (percent): a fast grower. Growth
/// under this is reported only when its ceiling is near (within
/// [`WARN_WITHIN_SECS`] at the measured rate): an old leak grows little
/// relative to what it already holds.
const MIN_RELATIVE_GROWTH: f64 = 10.0;
/// A grower whose ceiling is nearer than this (at its measured rate) is a
/// warning; further, info (and not reported at all when it also grew
/// under [`MIN_RELATIVE_GROWTH`]).
const WARN_WITHIN_SECS: f64 = 3600.0;

/// One metric that grew between the two scans by at least its absolute
/// minimum: `fast` when it also grew by [`MIN_RELATIVE_GROWTH`].
#[derive(Debug, Clone, Copy)]
struct Grew {
    metric: Metric,
    from: u64,
    to: u64,
    fast: bool,
}

/// What grew between the two scans past the absolute minimums. The same
/// process in both (pid and start time), neither a kernel thread nor a
/// zombie.
fn grown(b: &ScanRow, r: &ScanRow) -> Vec<Grew> {
    if b.start_ticks != r.start_ticks || r.kernel_thread || r.state == b'Z' {
        return Vec::new();
    }
    let grew = |metric: Metric, from: u64, to: u64, min: u64| {
        (to >= from.saturating_add(min)).then(|| Grew {
            metric,
            from,
            to,
            fast: pct(to.saturating_sub(from), from) >= MIN_RELATIVE_GROWTH,
        })
    };
    let mut out = Vec::new();
    if let (Ok(from), Ok(to)) = (b.fds, r.fds) {
        out.extend(grew(Metric::Fds, from, to, MIN_FD_GROWTH));
    }
    out.extend(grew(
        Metric::Threads,
        b.threads,
        r.threads,
        MIN_THREAD_GROWTH,
    ));
    out.extend(grew(Metric::Rss, b.rss_bytes, r.rss_bytes, MIN_RSS_GROWTH));
    out
}

/// The growers between two scans (past the absolute minimums, fast or
/// not): the processes whose limits (`Inputs::ceilings`) are worth
/// reading, to tell how near their ceilings are.
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
        for Grew {
            metric,
            from,
            to,
            fast,
        } in grown
        {
            let rate = to.saturating_sub(from) as f64 / dt;
            // The same limit, room and time as `watch` (at or past the
            // limit already: 0 s left).
            let ex = super::ceiling::exhaustion(metric, &own, &ceilings, rate);
            let eta = ex.as_ref().and_then(|e| e.eta_s);
            let near = eta.is_some_and(|e| e <= WARN_WITHIN_SECS);
            // Slow relative growth is reported only when it runs out soon.
            if !fast && !near {
                continue;
            }
            let id = match metric {
                Metric::Fds => "growth.fds",
                Metric::Threads => "growth.threads",
                _ => "growth.rss",
            };
            out.push(DoctorFinding::new(
                Some(r.pid),
                Some(Text(r.name.clone())),
                id,
                if near {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                Kind::Growth {
                    metric,
                    from,
                    to,
                    seconds: dt,
                    per_second: rate,
                    exhaustion: ex,
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::analysis::ceiling::Kind as LimitKind;
    use crate::parse::host::{FileNr, MemInfo, Psi, PsiLine};
    use crate::reader::{CgroupMemory, CgroupVersion, Missing};
    use serde_json::json;

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
            system_ticks: 0,
            rss_bytes: 10 << 20,
            threads: 1,
            uid: Ok(0),
            switches: Ok(10),
            fds: Ok(10),
            fd_soft_limit: Ok(Some(1024)),
            cmdline: Ok(b"x".to_vec()),
            cmdline_truncated: false,
            io: Err(crate::reader::Missing::NotApplicable),
            extra: crate::reader::RowExtra::default(),
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
            uptime_secs: Some(100.0),
            ..Scan::empty(taken)
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
        hot_threads: HashMap<i32, Vec<HotThread>>,
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
                hot_threads: HashMap::new(),
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
                ticks_per_sec: 100,
                hot_threads: &self.hot_threads,
                thread_seconds: 0.5,
            })
        }
    }

    fn ids(r: &DoctorReport) -> Vec<(&'static str, Severity, Option<i32>)> {
        r.findings
            .iter()
            .map(|f| (f.finding.id, f.finding.severity, f.finding.pid))
            .collect()
    }

    fn with_id<'a>(r: &'a DoctorReport, id: &str) -> Vec<&'a DoctorFinding> {
        r.findings.iter().filter(|f| f.finding.id == id).collect()
    }

    /// A grower's metric and limit (its words are tested in
    /// `render::findings`).
    fn grew(f: &DoctorFinding) -> (Metric, Option<&super::super::ceiling::Exhaustion>) {
        match &f.finding.kind {
            Kind::Growth {
                metric, exhaustion, ..
            } => (*metric, exhaustion.as_ref()),
            other => panic!("not a grower: {other:?}"),
        }
    }

    /// A grower's limit (kind, value, file) and seconds to it.
    fn reaches(f: &DoctorFinding) -> Option<(LimitKind, u64, Option<String>, Option<u64>)> {
        grew(f).1.map(|e| {
            (
                e.kind,
                e.limit,
                e.file.as_ref().map(|p| p.display().to_string()),
                e.eta_s.map(|t| t as u64),
            )
        })
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
        assert_eq!(f.finding.evidence()["percent"], json!(4.0));
        assert_eq!(f.finding.evidence()["mem_available_bytes"], json!(4 * GIB));
        assert_eq!(f.name, None);
        assert_eq!(f.finding.pid, None);
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
        let r = World::new().build(&h, &scan(vec![row(1, 0), big.clone()]), None);
        assert_eq!(
            ids(&r),
            vec![("host.tasks_near_limit", Severity::Warning, None)]
        );
        assert_eq!(r.findings[0].finding.evidence()["tasks"], json!(86));
        assert_eq!(r.findings[0].finding.evidence()["limit"], json!(100));
        assert!(matches!(
            r.findings[0].finding.kind,
            Kind::HostTasksNearLimit {
                which: LimitKind::PidMax,
                ..
            }
        ));
        // threads-max the smaller: it is the limit named.
        h.pid_max = Some(4_194_304);
        h.threads_max = Some(100);
        let r = World::new().build(&h, &scan(vec![row(1, 0), big]), None);
        assert!(matches!(
            r.findings[0].finding.kind,
            Kind::HostTasksNearLimit {
                which: LimitKind::ThreadsMax,
                limit: 100,
                ..
            }
        ));
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
        assert_eq!(f.finding.evidence()["zombies"], json!(2));
        assert_eq!(f.finding.evidence()["zombie_pids"], json!([51, 52]));
        assert_eq!(f.name, Some(Text(b"proc50".to_vec())));
        assert!(
            matches!(&f.finding.kind, Kind::ZombiesUnreaped { ppid: 50, .. }),
            "{f:?}"
        );
        // Zombies are counted host-wide whether lasting or not, and a
        // zombie is never judged by the per-process rules.
        assert_eq!(r.host.zombies, 3);
        assert!(r.findings.iter().all(|f| f.finding.id != "state.zombie"));
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
        assert_eq!(z[0].finding.pid, Some(1));
        assert_eq!(z[0].finding.evidence()["zombies"], json!(12));
        assert_eq!(
            z[0].finding.evidence()["zombie_pids"]
                .as_array()
                .map(Vec::len),
            Some(12)
        );
    }

    #[test]
    fn many_zombies_are_a_host_finding() {
        let mut rows = vec![row(1, 0), row(2, 1)];
        rows.extend((10..110).map(|z| zombie(z, 2)));
        let r = World::new().build(&host(), &scan(rows), None);
        // None lasting: no per-parent finding, but 100 zombies host-wide.
        assert_eq!(ids(&r), vec![("host.zombies", Severity::Warning, None)]);
        assert_eq!(r.findings[0].finding.evidence()["zombies"], json!(100));
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
        assert_eq!(f.finding.pid, Some(7));
        assert_eq!(f.finding.evidence()["fds"], json!(990));
        assert_eq!(f.finding.evidence()["soft_limit"], json!(1024));
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
                .all(|f| f.finding.id != "memory.swap_in_use"
                    && f.finding.id != "cpu.nonvoluntary_switches")
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
        assert_eq!(f.finding.evidence()["oom_kills"], json!(3));
        assert_eq!(f.finding.evidence()["cgroup"], json!("/kubepods/pod1"));
        assert_eq!(f.name, Some(Text(b"proc11".to_vec())));
        assert_eq!(f.finding.pid, Some(11));
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
        assert_eq!(f.finding.evidence()["from"], json!(100));
        assert_eq!(f.finding.evidence()["to"], json!(300));
        assert_eq!(f.finding.evidence()["seconds"], json!(5.0));
        assert_eq!(f.finding.evidence()["per_second"], json!(40.0));
        assert_eq!(grew(f).0, Metric::Fds);
        // (1024 - 300) / 40 per second = 18.1 s.
        assert_eq!(reaches(f), Some((LimitKind::NoFile, 1024, None, Some(18))));
    }

    #[test]
    fn small_or_slow_growth_is_not_reported() {
        // +5: under the absolute minimum.
        let r = sampled(5, vec![with_fds(9, 100)], vec![with_fds(9, 105)]);
        assert_eq!(ids(&r), vec![]);
        // +40 on 500: under 10% relative, and its limit (1M) days away.
        let far = |fds| ScanRow {
            fd_soft_limit: Ok(Some(1 << 20)),
            ..with_fds(9, fds)
        };
        let r = sampled(5, vec![far(500)], vec![far(540)]);
        assert_eq!(ids(&r), vec![]);
        // +12 on 5,000 in 5 s with a limit of 20,000: 1 h 2 min away.
        let r = sampled(
            5,
            vec![ScanRow {
                fd_soft_limit: Ok(Some(20_000)),
                ..with_fds(9, 5000)
            }],
            vec![ScanRow {
                fd_soft_limit: Ok(Some(20_000)),
                ..with_fds(9, 5012)
            }],
        );
        assert_eq!(ids(&r), vec![]);
        // Unlimited: slow growth has no ceiling to reach.
        let free = |fds| ScanRow {
            fd_soft_limit: Ok(None),
            ..with_fds(9, fds)
        };
        let r = sampled(5, vec![free(500)], vec![free(540)]);
        assert_eq!(ids(&r), vec![]);
        // Slow threads and RSS with no limit known: quiet.
        let slow = |threads, rss| ScanRow {
            threads,
            rss_bytes: rss,
            ..row(9, 1)
        };
        let r = sampled(5, vec![slow(100, GIB)], vec![slow(105, GIB + (20 << 20))]);
        assert_eq!(ids(&r), vec![]);
        // Shrinking.
        let r = sampled(5, vec![with_fds(9, 300)], vec![with_fds(9, 100)]);
        assert_eq!(ids(&r), vec![]);
    }

    #[test]
    fn an_old_leak_near_its_ceiling_is_a_warning_whatever_its_relative_growth() {
        // The case: 5 fds/s, already at 1,086 of 2,048: +2.3% in
        // 5 s, and the limit 3 min 7 s away.
        let at = |fds| ScanRow {
            fd_soft_limit: Ok(Some(2048)),
            ..with_fds(9, fds)
        };
        let r = sampled(5, vec![at(1086)], vec![at(1111)]);
        assert_eq!(ids(&r), vec![("growth.fds", Severity::Warning, Some(9))]);
        let f = &r.findings[0];
        assert_eq!(f.finding.evidence()["per_second"], json!(5.0));
        // (2048 - 1111) / 5 per second = 187.4 s.
        assert_eq!(reaches(f), Some((LimitKind::NoFile, 2048, None, Some(187))));
        // Just under an hour away: still reported.
        let at = |fds| ScanRow {
            fd_soft_limit: Ok(Some(18_000)),
            ..with_fds(9, fds)
        };
        let r = sampled(5, vec![at(5000)], vec![at(5020)]);
        assert_eq!(ids(&r), vec![("growth.fds", Severity::Warning, Some(9))]);
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
        assert_eq!(reaches(&r.findings[0]).and_then(|r| r.3), None);
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
        assert_eq!(
            reaches(&r.findings[1]),
            Some((LimitKind::NoFile, 1024, None, Some(0)))
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
        // 99,900 tasks of room at +3 threads/s: 9 h 15 min (33,300 s).
        assert_eq!(
            reaches(&r.findings[1]),
            Some((LimitKind::ThreadsMax, 100_000, None, Some(33_300)))
        );
        // Without the host's task count: the limit is not timed.
        let r = sampled(10, vec![mk(10, 100 << 20)], vec![mk(40, 100 << 20)]);
        assert_eq!(ids(&r), vec![("growth.threads", Severity::Info, Some(9))]);
        assert_eq!(reaches(&r.findings[0]).and_then(|r| r.3), None);
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
        assert_eq!(
            reaches(with_id(&r, "growth.threads")[0]),
            Some((
                LimitKind::PidsMax,
                64,
                Some("/sys/fs/cgroup/pids/x/pids.max".to_string()),
                Some(8)
            ))
        );
        // +10 MiB/s, 30 MiB of room in the cgroup (its usage, not this
        // RSS): 3 s.
        let f = with_id(&r, "growth.rss")[0];
        assert_eq!(f.finding.severity, Severity::Warning);
        assert_eq!(
            reaches(f),
            Some((
                LimitKind::MemoryCgroup,
                256 << 20,
                Some("/sys/fs/cgroup/memory/x/memory.limit_in_bytes".to_string()),
                Some(3)
            ))
        );
    }

    /// A process that used `ticks` of CPU (100 Hz) between two scans.
    fn with_cpu(pid: i32, ticks: u64) -> ScanRow {
        ScanRow {
            cpu_ticks: ticks,
            ..row(pid, 1)
        }
    }

    #[test]
    fn busy_processes_and_their_hot_threads() {
        // 5 s at 100 Hz: 495 ticks = 99% of a CPU; 300 = 60%; 410 = 82%
        // (it may have a busy thread: its threads are read, but it is not
        // busy as a whole).
        let mut w = World::new();
        let before = vec![
            with_cpu(7, 0),
            with_cpu(8, 0),
            with_cpu(9, 0),
            with_cpu(10, 0),
        ];
        let after = vec![
            with_cpu(7, 495),
            with_cpu(8, 300),
            with_cpu(9, 470),
            with_cpu(10, 410),
        ];
        let b = scan_at(Instant::now(), before.clone());
        let a = scan_at(b.taken + Duration::from_secs(5), after.clone());
        assert_eq!(hot_processes(&a, &b, 100, &w.th), vec![7, 9, 10]);
        // At most the five busiest.
        let many: Vec<ScanRow> = (20..30).map(|p| with_cpu(p, 0)).collect();
        let busy: Vec<ScanRow> = (20..30).map(|p| with_cpu(p, 400 + p as u64)).collect();
        let (b2, a2) = (scan_at(b.taken, many), scan_at(a.taken, busy));
        assert_eq!(
            hot_processes(&a2, &b2, 100, &w.th),
            vec![29, 28, 27, 26, 25]
        );
        // 7's threads were read: one is hot. 9's were not.
        w.hot_threads.insert(
            7,
            vec![HotThread {
                tid: 70,
                name: Text(b"spin".to_vec()),
                percent: 98.0,
            }],
        );
        let r = sampled_in(&w, 5, before, after);
        assert_eq!(
            ids(&r),
            vec![
                ("cpu.busy_thread", Severity::Warning, Some(7)),
                ("cpu.busy", Severity::Info, Some(9)),
            ]
        );
        let f = &r.findings[0].finding;
        assert_eq!(f.evidence()["tid"], json!(70));
        assert_eq!(f.evidence()["thread_name"], json!("spin"));
        assert_eq!(f.evidence()["process_percent"], json!(99.0));
        assert_eq!(f.evidence()["thread_seconds"], json!(0.5));
        assert_eq!(r.findings[1].finding.evidence()["percent"], json!(94.0));
        // One scan: no rate, no CPU finding.
        let r = w.build(&host(), &scan(vec![with_cpu(7, 495)]), None);
        assert_eq!(ids(&r), vec![]);
        // A reused PID (another start time): no rate.
        let reused = ScanRow {
            start_ticks: 5,
            ..with_cpu(7, 495)
        };
        let r = sampled(5, vec![with_cpu(7, 0)], vec![reused]);
        assert_eq!(ids(&r), vec![]);
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
    fn a_cgroups_findings_come_together_at_its_worst() {
        use crate::analysis::findings::{CgroupFinding, CgroupKind};
        let cg = |path: &str, sev: Severity, id: &'static str| {
            DoctorFinding::new(
                Some(1),
                None,
                id,
                sev,
                Kind::Cgroup(CgroupFinding {
                    cgroup: Text(path.as_bytes().to_vec()),
                    judged: CgroupKind::OomKills {
                        oom_kill: 1,
                        oom_group_kill: None,
                    },
                    top: vec![],
                }),
            )
        };
        let host = DoctorFinding::new(
            None,
            None,
            "host.zombies",
            Severity::Warning,
            Kind::HostZombies { zombies: 200 },
        );
        let mut out = vec![
            cg("/a", Severity::Critical, "cgroup.oom_kills"),
            cg("/b", Severity::Critical, "cgroup.oom_kills"),
            host,
            cg("/b", Severity::Warning, "cgroup.tasks_near_limit"),
            cg("/a", Severity::Warning, "cgroup.cpu_throttled"),
        ];
        group_cgroups(&mut out);
        let got: Vec<(String, &str)> = out
            .iter()
            .map(|f| {
                let at = match &f.finding.kind {
                    Kind::Cgroup(c) => String::from_utf8_lossy(&c.cgroup.0).into_owned(),
                    _ => "host".into(),
                };
                (at, f.finding.id)
            })
            .collect();
        let want = [
            ("/a", "cgroup.oom_kills"),
            ("/a", "cgroup.cpu_throttled"),
            ("/b", "cgroup.oom_kills"),
            ("/b", "cgroup.tasks_near_limit"),
            ("host", "host.zombies"),
        ];
        assert_eq!(got, want.map(|(a, b)| (a.to_string(), b)));
    }

    #[test]
    fn findings_carry_their_workload_and_group_by_it() {
        let pod = "/kubepods/burstable/pod2c5d8e3a-1f0b-4c7e-9a3d-5b6e7f8a9b0c/3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
        let mut w = World::new();
        for (pid, path) in [(10, pod), (11, pod), (20, "/system.slice/nginx.service")] {
            let mut s = survey(pid);
            s.deleted = Some(1);
            s.cgroup_lines = Some(crate::parse::cgroup::parse(
                format!("4:memory:{path}\n0::/\n").as_bytes(),
            ));
            w.surveys.insert(pid, s);
        }
        let mut h = host();
        h.mem.available = Some(GIB / 10);
        // 30: its cgroup was not read.
        let r = w.build(
            &h,
            &scan(vec![
                row(1, 0),
                row(10, 1),
                with_fds(11, 1000),
                with_fds(20, 900),
                with_fds(30, 1000),
            ]),
            None,
        );
        let k8s = |f: &DoctorFinding| {
            f.workload
                .as_ref()
                .map(|w| (w.kind, w.container_id.clone().map(|i| i[..4].to_string())))
        };
        let by_pid = |pid| {
            r.findings
                .iter()
                .find(|f| f.finding.pid == Some(pid))
                .unwrap()
        };
        assert_eq!(
            k8s(by_pid(10)),
            Some((
                super::super::workload::Kind::Kubernetes,
                Some("3f2a".to_string())
            ))
        );
        assert_eq!(
            by_pid(20).workload.as_ref().and_then(|w| w.unit.clone()),
            Some(Text(b"nginx.service".to_vec()))
        );
        assert_eq!(by_pid(30).workload, None);
        type Groups = Vec<(String, Vec<(&'static str, Option<i32>)>)>;
        let groups: Groups = by_workload(&r.findings)
            .into_iter()
            .map(|g| {
                let who = match g.owner {
                    Owner::Host => "host".to_string(),
                    Owner::Unknown => "unknown".to_string(),
                    Owner::Workload(w) => String::from_utf8_lossy(&w.cgroup.0).into_owned(),
                };
                let f = g
                    .findings
                    .iter()
                    .map(|f| (f.finding.id, f.finding.pid))
                    .collect();
                (who, f)
            })
            .collect();
        let want: Groups = vec![
            ("host".into(), vec![("host.mem_available_low", None)]),
            // Critical at worst (11's descriptors), then 10's warning.
            (
                pod.into(),
                vec![
                    ("fds.near_limit", Some(11)),
                    ("fds.deleted_open", Some(10)),
                    ("fds.deleted_open", Some(11)),
                ],
            ),
            // Critical: before nginx's warnings.
            ("unknown".into(), vec![("fds.near_limit", Some(30))]),
            (
                "/system.slice/nginx.service".into(),
                // Both warnings (900 of 1024 descriptors is 88%): by id.
                vec![("fds.deleted_open", Some(20)), ("fds.near_limit", Some(20))],
            ),
        ];
        assert_eq!(groups, want);
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
        let sev: Vec<Severity> = r.findings.iter().map(|f| f.finding.severity).collect();
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
