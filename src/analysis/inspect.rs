//! The `inspect` report: one process, everything read, interpreted. Built
//! from a [`ProcessSnapshot`] without I/O. Serialized as the `inspect --json`
//! contract; rendered for people by `render::inspect`.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;

use super::ceiling::percent_of;
use super::findings::{self, Finding, Thresholds};
use super::incomplete::{Incomplete, Reason};
use super::names::{self, NameGroup};
use super::secrets;
use crate::error::ReadError;
use crate::parse::fdinfo::is_dir_flags;
use crate::parse::status::Status;
use crate::parse::{fdlink, net, stat::state_meaning};
use crate::reader::{FdEntry, ProcessSnapshot, ThreadDetail, Truncated};
use crate::text::Text;

/// Thread-name groups kept in the report (a process with 20,000 uniquely
/// named threads must not produce a 20,000-entry list).
pub const MAX_GROUPS: usize = 20;

/// A section that could not be read (or does not apply): where, the
/// reason's stable id, what went wrong, and the hint of a read error.
#[derive(Debug, Clone, Serialize)]
pub struct Unavailable {
    pub section: &'static str,
    pub reason: &'static str,
    /// Serialized as its words (`render::unavailable`).
    pub detail: Detail,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
}

/// What went wrong with a section, in values; worded (for people and as
/// the JSON `detail` string) by `render::unavailable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// A file that could not be read: the error says it (`error.rs` owns
    /// those messages).
    Read(ReadError),
    /// The boot time could not be read (so no start time).
    BootTime(ReadError),
    /// Boot time plus start time past what a time can hold.
    StartOutOfRange { boot_secs: u64, start_ticks: u64 },
    /// The uptime could not be read (so no age).
    Uptime(ReadError),
    /// A status line whose value is not a number.
    StatusNotANumber { key: &'static str },
    /// smaps_rollup has a Pss line whose value is not a number.
    PssNotANumber,
    /// smaps_rollup has no Pss line.
    NoPss,
    /// A kernel thread has no user memory.
    KernelThreadNoMemory,
    /// A zombie's memory is already released.
    ZombieMemoryReleased,
    /// A zombie has already left its cgroups.
    ZombieLeftCgroups,
    /// Descriptor links that could not be read (counted, type unknown),
    /// with the first error.
    FdLinksUnreadable { count: u64, first: ReadError },
    /// Lines of the net tables that did not parse (state unknown).
    SocketLinesUnparsed { count: usize },
    /// utime + stime in stat past the largest number.
    CpuTimeOverflow,
    /// smaps fields missing or not a number: (field, mappings) pairs.
    SmapsValuesUnknown { fields: Vec<(&'static str, u64)> },
    /// smaps_rollup keys whose value is not a number (summed from the
    /// mappings instead).
    RollupNotANumber { keys: Vec<String> },
    /// smaps_rollup could not be read (summed from the mappings instead).
    RollupUnreadable(ReadError),
    /// A thread's status could not be read.
    ThreadStatusUnreadable { tid: i32 },
    /// A thread's status lines whose value is not a number.
    ThreadStatusNotANumber { tid: i32, keys: Vec<&'static str> },
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Memory {
    pub rss_bytes: Option<u64>,
    pub pss_bytes: Option<u64>,
    pub vsize_bytes: Option<u64>,
    pub swap_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
    pub rss_anon_bytes: Option<u64>,
    pub rss_file_bytes: Option<u64>,
    pub rss_shmem_bytes: Option<u64>,
    pub oom_score: Option<u64>,
    pub oom_score_adj: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Cgroup {
    pub version: Option<crate::reader::CgroupVersion>,
    pub path: Option<Text>,
    /// Tightest limit on the cgroup path; null when unlimited or unreadable.
    pub memory_limit_bytes: Option<u64>,
    /// Where that limit is set (the cgroup itself or an ancestor).
    pub memory_limit_path: Option<Text>,
    pub memory_usage_bytes: Option<u64>,
    pub oom_kills: Option<u64>,
    /// Usage minus inactive file pages (the kubelet's working set), what
    /// `cgroup.memory_near_limit` judges.
    pub working_set_bytes: Option<u64>,
    /// v2 `oom_group_kill` (null on v1 or unknown).
    pub oom_group_kills: Option<u64>,
    /// The pids cgroup (null: no pids controller, or unreadable).
    pub pids: Option<CgroupPids>,
    /// The cpu cgroup (null: no cpu controller, or unreadable).
    pub cpu: Option<CgroupCpu>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CgroupPids {
    pub path: Text,
    pub current: u64,
    /// null: unlimited.
    pub max: Option<u64>,
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CgroupCpu {
    pub path: Text,
    pub nr_periods: Option<u64>,
    pub nr_throttled: Option<u64>,
    pub throttled_percent: Option<f64>,
    pub throttled_seconds: Option<f64>,
    /// quota / period in CPUs; null: no quota of its own.
    pub quota_cpus: Option<f64>,
}

/// The processes of the inspected process's cgroups, per controller:
/// read by `cmd::inspect` only when a cgroup rule fires, to name them.
#[derive(Debug, Clone, Default)]
pub struct CgroupMembers {
    pub memory: Vec<crate::reader::CgroupMember>,
    pub pids: Vec<crate::reader::CgroupMember>,
    pub cpu: Vec<crate::reader::CgroupMember>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Fds {
    pub count: Option<u64>,
    pub soft_limit: Option<u64>,
    pub hard_limit: Option<u64>,
    /// count / soft limit, in percent.
    pub usage_percent: Option<f64>,
    pub by_type: BTreeMap<&'static str, u64>,
    /// Anon inode kinds (eventpoll, eventfd, inotify, ...) with counts.
    pub anon_kinds: BTreeMap<String, u64>,
    pub deleted: Option<u64>,
    /// Descriptors whose link could not be read (counted in `count`, typed
    /// `unreadable`; listed in `unavailable` as `fd_links`); null when the
    /// list itself was not read.
    pub unreadable: Option<u64>,
    /// Up to 10 deleted-but-open paths, as evidence.
    pub deleted_paths: Vec<Text>,
    /// The space the deleted files hold (each file once), when every
    /// one's size could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_space: Option<super::who::DeletedSpace>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Sockets {
    pub count: Option<u64>,
    pub by_protocol: BTreeMap<&'static str, u64>,
    /// TCP state name -> count (tcp and tcp6 together).
    pub by_state: BTreeMap<&'static str, u64>,
    /// TCP listening addresses, "addr:port" ("[v6]:port").
    pub listening: Vec<String>,
    /// Bound, unconnected UDP sockets, "addr:port".
    pub udp_bound: Vec<String>,
    /// Listening unix socket paths (`@name` for abstract ones).
    pub unix_listening: Vec<Text>,
    pub close_wait: Option<u64>,
    /// TCP listeners with their accept queues and backlogs (for
    /// `sockets.accept_queue_full`; None: sockets not read).
    #[serde(skip)]
    pub listeners: Option<Vec<super::findings::ListenQueue>>,
    /// The namespace's listen drop counters, when read.
    #[serde(skip)]
    pub listen_counters: Option<crate::parse::net::ListenCounters>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ContextSwitches {
    pub voluntary: Option<u64>,
    pub nonvoluntary: Option<u64>,
    pub nonvoluntary_percent: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Io {
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
    /// Bytes passed to read()/write() family calls, cached or not.
    pub rchar: Option<u64>,
    pub wchar: Option<u64>,
    pub read_syscalls: Option<u64>,
    pub write_syscalls: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Environment {
    /// Variables in the part read; a lower bound when `truncated`.
    pub count: Option<u64>,
    /// Set when `environ` was longer than proctor reads of it.
    pub truncated: Option<Truncated>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    pub pid: i32,
    pub ppid: i32,
    pub parent_name: Option<Text>,
    pub name: Text,
    /// The arguments, secrets masked as `****` ([`crate::analysis::secrets`])
    /// unless revealed.
    pub cmdline: Option<Vec<Text>>,
    /// How many secrets `cmdline` shows as `****` (0: it is as read).
    pub cmdline_secrets_masked: usize,
    /// Set when the command line was longer than proctor reads of it:
    /// `{shown_bytes, total_bytes}` (total null when unknown).
    pub cmdline_truncated: Option<Truncated>,
    pub state: String,
    pub state_meaning: &'static str,
    pub kernel_thread: bool,
    pub user: Option<Text>,
    pub uid: Option<u32>,
    pub exe: Option<Text>,
    pub cwd: Option<Text>,
    pub start_time: Option<String>,
    pub age_seconds: Option<f64>,
    /// None when utime + stime is not a valid number (listed in
    /// `unavailable`).
    pub cpu_seconds: Option<f64>,
    /// The workload of the process's cgroup (null when /proc/PID/cgroup is
    /// unreadable, listed in `unavailable` as `cgroup`, or for a zombie
    /// that has left its cgroups).
    pub workload: Option<super::workload::WorkloadReport>,
    /// Lifetime CPU averages of the process and its hottest threads (the
    /// CPU rules' facts; shown through their findings).
    #[serde(skip)]
    pub cpu_use: Option<crate::analysis::cpu::CpuUse>,
    pub threads: Option<u64>,
    pub thread_groups: Vec<NameGroup>,
    pub memory: Memory,
    pub cgroup: Cgroup,
    pub fds: Fds,
    pub sockets: Sockets,
    pub context_switches: ContextSwitches,
    pub io: Io,
    pub environment: Environment,
    pub findings: Vec<Finding>,
    pub unavailable: Vec<Unavailable>,
    /// Checks that did not run because a section they need could not be
    /// read (null when every check ran).
    pub incomplete: Option<Incomplete>,
}

/// The `unavailable` section of a status field that did not parse: named
/// after the value it hides.
fn status_section(key: &str) -> &'static str {
    match key {
        "VmRSS" => "memory.rss",
        "VmSize" => "memory.virtual",
        "VmSwap" => "memory.swap",
        "VmHWM" => "memory.peak_rss",
        "VmPeak" => "memory.peak_virtual",
        "RssAnon" | "RssFile" | "RssShmem" => "memory.rss_split",
        "Threads" => "threads",
        "voluntary_ctxt_switches" | "nonvoluntary_ctxt_switches" => "context_switches",
        "Uid" => "user",
        "PPid" => "parent",
        _ => "status",
    }
}

/// Which checks (finding ids) did not run because what they need could
/// not be read. A section that does not apply (`not_supported`: a zombie's
/// memory, a kernel thread's descriptors) hides nothing.
pub fn incompleteness(r: &InspectReport) -> Incomplete {
    let failed = |sections: &[&str]| -> Option<&Unavailable> {
        sections.iter().find_map(|s| {
            r.unavailable
                .iter()
                .find(|u| u.section == *s && u.reason != "not_supported")
        })
    };
    let mut missed: Vec<(&'static str, &'static str)> = Vec::new();
    let mut check = |unknown: bool, sections: &[&str], id: &'static str| {
        if let Some(u) = failed(sections).filter(|_| unknown) {
            missed.push((u.section, id));
        }
    };
    // A limit read as unlimited, or no memory limit on a readable cgroup:
    // the rule does not apply, whatever the unknown count.
    let limits_unknown = r.unavailable.iter().any(|u| u.section == "limits");
    check(
        r.fds.count.is_none() && (r.fds.soft_limit.is_some() || limits_unknown),
        &["fds"],
        "fds.near_limit",
    );
    check(
        r.fds.count.is_some() && r.fds.soft_limit.is_none(),
        &["limits"],
        "fds.near_limit",
    );
    check(r.fds.deleted.is_none(), &["fds"], "fds.deleted_open");
    check(
        r.sockets.close_wait.is_none(),
        &["fds", "sockets"],
        "sockets.close_wait",
    );
    check(
        r.sockets.listeners.is_none(),
        &["fds", "sockets"],
        "sockets.accept_queue_full",
    );
    check(
        r.memory.rss_bytes.is_none()
            && (r.cgroup.memory_limit_bytes.is_some() || r.cgroup.path.is_none()),
        &["memory.rss", "status"],
        "memory.near_cgroup_limit",
    );
    check(
        r.cgroup.path.is_none(),
        &["cgroup"],
        "memory.near_cgroup_limit",
    );
    check(r.cgroup.path.is_none(), &["cgroup"], "memory.oom_kills");
    check(true, &["cgroup.memory"], "cgroup.memory_near_limit");
    check(true, &["cgroup.memory"], "cgroup.oom_kills");
    check(true, &["cgroup.pids"], "cgroup.tasks_near_limit");
    check(true, &["cgroup.cpu"], "cgroup.cpu_throttled");
    check(
        r.memory.swap_bytes.is_none(),
        &["memory.swap", "status"],
        "memory.swap_in_use",
    );
    check(
        r.context_switches.nonvoluntary_percent.is_none(),
        &["context_switches", "status"],
        "cpu.nonvoluntary_switches",
    );
    let mut reasons: Vec<Reason> = Vec::new();
    // A listener read from the text tables only (netlink could not be
    // asked in its namespace) has no known backlog: its accept queue was
    // not judged, and that is said, not taken for "not full".
    if r.sockets
        .listeners
        .as_ref()
        .is_some_and(|l| super::findings::ListenQueue::any_backlog_unknown(l))
    {
        reasons.push(Reason::ChecksNotRun {
            section: "sockets",
            reason: super::findings::BACKLOG_UNKNOWN,
            checks: vec!["sockets.accept_queue_full"],
        });
    }
    for (section, id) in missed {
        let reason = r
            .unavailable
            .iter()
            .find(|u| u.section == section)
            .map_or("io_error", |u| u.reason);
        match reasons
            .iter_mut()
            .find(|x| matches!(x, Reason::ChecksNotRun { section: s, .. } if *s == section))
        {
            Some(Reason::ChecksNotRun { checks, .. }) => {
                if !checks.contains(&id) {
                    checks.push(id);
                }
            }
            _ => reasons.push(Reason::ChecksNotRun {
                section,
                reason,
                checks: vec![id],
            }),
        }
    }
    // A check already counted under an earlier section is not repeated.
    let mut seen: Vec<&'static str> = Vec::new();
    for r in reasons.iter_mut() {
        if let Reason::ChecksNotRun { checks, .. } = r {
            checks.retain(|c| !seen.contains(c));
            seen.extend(checks.iter().copied());
        }
    }
    reasons.retain(|r| !matches!(r, Reason::ChecksNotRun { checks, .. } if checks.is_empty()));
    Incomplete {
        reasons,
        cause: None,
    }
}

fn ok<T: Clone>(
    r: &Result<T, ReadError>,
    section: &'static str,
    unavailable: &mut Vec<Unavailable>,
) -> Option<T> {
    match r {
        Ok(v) => Some(v.clone()),
        Err(e) => {
            if !unavailable.iter().any(|u| u.section == section) {
                unavailable.push(Unavailable {
                    section,
                    reason: e.reason(),
                    detail: Detail::Read(e.clone()),
                    hint: e.hint(),
                });
            }
            None
        }
    }
}

/// A section that could not be read, with the error's reason and hint.
fn unavailable(section: &'static str, e: &ReadError) -> Unavailable {
    Unavailable {
        section,
        reason: e.reason(),
        detail: Detail::Read(e.clone()),
        hint: e.hint(),
    }
}

/// Build the report. Pure: all inputs are in the snapshot.
impl InspectReport {
    /// `--reveal`: the command line as read, secrets included.
    pub fn reveal_secrets(&mut self, s: &ProcessSnapshot) {
        if let (Some(_), Ok(c)) = (&self.cmdline, &s.cmdline) {
            self.cmdline = Some(c.iter().cloned().map(Text).collect());
        }
        self.cmdline_secrets_masked = 0;
    }
}

/// The report for a snapshot; secrets in the command line are masked
/// (see [`InspectReport::reveal_secrets`]). Each section is read in turn,
/// in this order, so that `unavailable` lists what could not be read in
/// the order of the report; the findings and what they missed come last.
pub fn build(s: &ProcessSnapshot, th: &Thresholds) -> InspectReport {
    let mut un = Vec::new();
    let status = ok(&s.status, "status", &mut un);
    let st = status.as_ref();
    let stat = &s.stat;
    let (start_time, age_seconds) = start_and_age(s, &mut un);
    status_parse_errors(st, &mut un);
    let memory = memory(s, st, &mut un);
    let mut cgroup = cgroup(s, &mut un);
    cgroup_state(s, &mut cgroup, &mut un);
    let (fds, socket_inodes) = fds(s, &mut un);
    let sockets = sockets(s, &socket_inodes, &mut un);
    let threads_list = ok(&s.threads, "threads", &mut un);
    let context_switches = context_switches(threads_list.as_deref(), st);
    let io = io(s, &mut un);
    let thread_groups = threads_list
        .as_ref()
        .map(|t| names::group(t.iter().map(|x| x.stat.comm.as_slice())))
        .unwrap_or_default()
        .into_iter()
        .take(MAX_GROUPS)
        .collect();
    let cmdline_truncated = s.cmdline_truncated;
    let (cmdline, cmdline_secrets_masked) = command_line(s, &mut un);
    let exe = ok(&s.exe, "exe", &mut un).map(Text);
    let cwd = ok(&s.cwd, "cwd", &mut un).map(Text);
    let environment = Environment {
        count: ok(&s.environ_count, "environment", &mut un).map(|c| c as u64),
        truncated: s.environ_truncated,
    };
    let cpu_seconds = cpu_seconds(s, &mut un);
    let cpu_use = s.clock.uptime.as_ref().ok().and_then(|&up| {
        let threads = threads_list.as_deref().unwrap_or_default();
        crate::analysis::cpu::lifetime(stat, threads, s.clock.ticks_per_sec, up)
    });

    let mut report = InspectReport {
        pid: s.pid,
        ppid: stat.ppid,
        parent_name: s.parent_name.clone().map(Text),
        name: Text(stat.comm.clone()),
        cmdline,
        cmdline_secrets_masked,
        cmdline_truncated,
        state: char::from(stat.state).to_string(),
        state_meaning: state_meaning(stat.state),
        kernel_thread: stat.is_kernel_thread(),
        user: s.user_name.clone().map(Text),
        uid: st.and_then(|x| x.uid).map(|u| u[0]),
        exe,
        cwd,
        start_time,
        age_seconds,
        cpu_seconds,
        workload: workload(s),
        cpu_use,
        threads: st.and_then(|x| x.threads).or(Some(stat.num_threads)),
        thread_groups,
        memory,
        cgroup,
        fds,
        sockets,
        context_switches,
        io,
        environment,
        findings: Vec::new(),
        unavailable: un,
        incomplete: None,
    };
    report.findings = findings::evaluate(&report, th);
    judge_cgroups(&mut report, s, &CgroupMembers::default(), th);
    report.incomplete = incompleteness(&report).into_option();
    report
}

/// The cgroup rules on the process's cgroups, with their processes
/// (`members`; none known at first): replaces earlier cgroup findings.
/// Where the cgroup's OOM counts were read, `cgroup.oom_kills` stands for
/// them and the process rule `memory.oom_kills` (the same counter) is
/// dropped.
pub fn judge_cgroups(
    r: &mut InspectReport,
    s: &ProcessSnapshot,
    members: &CgroupMembers,
    th: &Thresholds,
) {
    let Some(st) = s.cgroup_state.as_ref().filter(|_| r.cgroup.path.is_some()) else {
        return;
    };
    let seen = findings::CgroupSeen {
        memory: st.memory.as_ref().ok().map(|m| (m, &members.memory[..])),
        pids: st
            .pids
            .as_ref()
            .and_then(|p| p.as_ref().ok())
            .map(|p| (p, &members.pids[..])),
        cpu: st
            .cpu
            .as_ref()
            .and_then(|c| c.as_ref().ok())
            .map(|c| (c, &members.cpu[..])),
    };
    let counted = st.memory.as_ref().is_ok_and(|m| m.oom.oom_kill.is_some());
    r.findings
        .retain(|f| !(f.id.starts_with("cgroup.") || counted && f.id == "memory.oom_kills"));
    r.findings.extend(findings::evaluate_cgroup(&seen, th));
    r.findings
        .sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
}

/// The cgroup state beyond the memory cgroup: working set, group OOM
/// kills, pids, cpu; a controller that could not be read is listed in
/// `unavailable` (`cgroup.memory`, `cgroup.pids`, `cgroup.cpu`).
fn cgroup_state(s: &ProcessSnapshot, c: &mut Cgroup, un: &mut Vec<Unavailable>) {
    let Some(st) = s.cgroup_state.as_ref().filter(|_| c.path.is_some()) else {
        return;
    };
    match &st.memory {
        Ok(m) => {
            c.working_set_bytes = findings::rules::cgroup::working_set(m.usage, m.inactive_file);
            c.oom_group_kills = m.oom.oom_group_kill;
        }
        // The memory cgroup itself unreadable: `cgroup` already says why.
        Err(e) if s.cgroup.is_ok() => un.push(unavailable("cgroup.memory", e)),
        Err(_) => {}
    }
    match &st.pids {
        Some(Ok(p)) => {
            c.pids = Some(CgroupPids {
                path: Text(p.path.clone()),
                current: p.current,
                max: p.max,
                percent: p
                    .max
                    .and_then(|m| crate::analysis::ceiling::percent_of(p.current, m)),
            });
        }
        Some(Err(e)) => un.push(unavailable("cgroup.pids", e)),
        None => {}
    }
    match &st.cpu {
        Some(Ok(x)) => {
            let t = x.throttling;
            c.cpu = Some(CgroupCpu {
                path: Text(x.path.clone()),
                nr_periods: t.map(|t| t.nr_periods),
                nr_throttled: t.map(|t| t.nr_throttled),
                throttled_percent: t.and_then(|t| {
                    crate::analysis::ceiling::percent_of(t.nr_throttled, t.nr_periods)
                }),
                throttled_seconds: t.map(|t| t.throttled_ns as f64 / 1e9),
                quota_cpus: x
                    .quota
                    .and_then(|q| Some(q.quota_us? as f64 / q.period_us as f64)),
            });
        }
        Some(Err(e)) => un.push(unavailable("cgroup.cpu", e)),
        None => {}
    }
}

/// Clock ticks per second (at least 1).
fn ticks_per_sec(s: &ProcessSnapshot) -> f64 {
    s.clock.ticks_per_sec.max(1) as f64
}

/// The start time (RFC 3339) and the age in seconds. No start time is
/// unknown with the reason (a boot time that could not be read, or a boot
/// time plus start time out of range: a crafted --proc-root), never a
/// silent null; likewise no uptime.
fn start_and_age(s: &ProcessSnapshot, un: &mut Vec<Unavailable>) -> (Option<String>, Option<f64>) {
    let stat = &s.stat;
    let start_secs = stat.starttime as f64 / ticks_per_sec(s);
    let age_seconds = s
        .clock
        .uptime
        .as_ref()
        .ok()
        .map(|up| (up - start_secs).max(0.0));
    // Checked: a boot time or start time past what SystemTime holds (a
    // corrupt or crafted file) is no time, never a panic.
    let start_time = s.clock.boot_time.as_ref().ok().and_then(|bt| {
        let t = UNIX_EPOCH
            .checked_add(Duration::from_secs(*bt))?
            .checked_add(Duration::try_from_secs_f64(start_secs).ok()?)?;
        // humantime formats years up to 9999 only.
        (t < UNIX_EPOCH.checked_add(Duration::from_secs(253_402_300_799))?)
            .then(|| humantime::format_rfc3339_seconds(t).to_string())
    });
    if start_time.is_none() {
        let (reason, detail, hint) = match &s.clock.boot_time {
            Err(e) => (e.reason(), Detail::BootTime(e.clone()), e.hint()),
            Ok(bt) => (
                "parse_error",
                Detail::StartOutOfRange {
                    boot_secs: *bt,
                    start_ticks: stat.starttime,
                },
                None,
            ),
        };
        un.push(Unavailable {
            section: "start_time",
            reason,
            detail,
            hint,
        });
    }
    if let Err(e) = &s.clock.uptime {
        un.push(Unavailable {
            section: "age",
            reason: e.reason(),
            detail: Detail::Uptime(e.clone()),
            hint: e.hint(),
        });
    }
    (start_time, age_seconds)
}

/// Status lines present with a value that is not a number: a parse error
/// of that field, never "does not apply".
fn status_parse_errors(st: Option<&Status>, un: &mut Vec<Unavailable>) {
    for key in st.map(|x| x.invalid.as_slice()).unwrap_or_default() {
        un.push(Unavailable {
            section: status_section(key),
            reason: "parse_error",
            detail: Detail::StatusNotANumber { key },
            hint: None,
        });
    }
}

/// Memory from status and smaps_rollup. Pss missing or not a number is
/// unknown with the reason; zombies and kernel threads have no user
/// memory: said so, never 0.
fn memory(s: &ProcessSnapshot, st: Option<&Status>, un: &mut Vec<Unavailable>) -> Memory {
    let stat = &s.stat;
    let smaps = ok(&s.smaps_rollup, "smaps_rollup", un);
    if let Some(r) = smaps.as_ref().filter(|r| r.get("Pss").is_none()) {
        un.push(Unavailable {
            section: "smaps_rollup",
            reason: "parse_error",
            detail: if r.is_invalid("Pss") {
                Detail::PssNotANumber
            } else {
                Detail::NoPss
            },
            hint: None,
        });
    }
    let no_mm = stat.state == b'Z' || stat.is_kernel_thread();
    if no_mm && st.is_some_and(|x| x.vm_rss.is_none()) {
        un.push(Unavailable {
            section: "memory",
            reason: "not_supported",
            detail: if stat.is_kernel_thread() {
                Detail::KernelThreadNoMemory
            } else {
                Detail::ZombieMemoryReleased
            },
            hint: None,
        });
    }
    Memory {
        rss_bytes: st.and_then(|x| x.vm_rss),
        pss_bytes: smaps.as_ref().and_then(|m| m.get("Pss")),
        vsize_bytes: st
            .and_then(|x| x.vm_size)
            .or((!no_mm && st.is_none()).then_some(stat.vsize)),
        swap_bytes: st.and_then(|x| x.vm_swap),
        peak_rss_bytes: st.and_then(|x| x.vm_hwm),
        rss_anon_bytes: st.and_then(|x| x.rss_anon),
        rss_file_bytes: st.and_then(|x| x.rss_file),
        rss_shmem_bytes: st.and_then(|x| x.rss_shmem),
        oom_score: ok(&s.oom_score, "oom_score", un),
        oom_score_adj: ok(&s.oom_score_adj, "oom_score_adj", un),
    }
}

/// The workload of the process's cgroups. A zombie has left its cgroups:
/// the root it shows is not its workload.
fn workload(s: &ProcessSnapshot) -> Option<super::workload::WorkloadReport> {
    let w = super::workload::of_lines(s.cgroup_lines.as_ref().ok()?)?;
    let left = s.stat.state == b'Z' && w.kind == super::workload::Kind::Cgroup;
    (!left).then_some(w)
}

/// The memory cgroup. A zombie has left its cgroups (cgroup v1 shows
/// "/"): the root cgroup is not presented as its own.
fn cgroup(s: &ProcessSnapshot, un: &mut Vec<Unavailable>) -> Cgroup {
    let zombie_root = s.stat.state == b'Z' && s.cgroup.as_ref().is_ok_and(|c| c.path == b"/");
    if zombie_root {
        un.push(Unavailable {
            section: "cgroup",
            reason: "not_supported",
            detail: Detail::ZombieLeftCgroups,
            hint: None,
        });
    }
    match ok(&s.cgroup, "cgroup", un).filter(|_| !zombie_root) {
        Some(c) => Cgroup {
            version: Some(c.version),
            path: Some(Text(c.path)),
            memory_limit_bytes: c.limit,
            memory_limit_path: c.limit_path.map(Text),
            memory_usage_bytes: c.usage,
            oom_kills: c.oom_kills,
            ..Cgroup::default()
        },
        None => Cgroup::default(),
    }
}

/// Descriptors: the limits, the count, by type, deleted ones; and the
/// inodes of the socket descriptors (for the socket count).
fn fds(s: &ProcessSnapshot, un: &mut Vec<Unavailable>) -> (Fds, HashSet<u64>) {
    let nofile = ok(&s.nofile, "limits", un);
    let mut fds = Fds {
        soft_limit: nofile.and_then(|l| l.soft),
        hard_limit: nofile.and_then(|l| l.hard),
        ..Fds::default()
    };
    if s.fds.is_err() {
        if let Some(n) = s.fd_count_only {
            // Only the number: the list needs ptrace access, the count not.
            fds.count = Some(n);
            fds.usage_percent = fds.soft_limit.and_then(|l| percent_of(n, l));
        }
    }
    let mut socket_inodes: HashSet<u64> = HashSet::new();
    if let Some(list) = ok(&s.fds, "fds", un) {
        classify_fds(s, &list, &mut fds, &mut socket_inodes, un);
        fds.count = Some(list.len() as u64);
        fds.usage_percent = match (fds.count, fds.soft_limit) {
            (Some(c), Some(l)) => percent_of(c, l),
            _ => None,
        };
    }
    (fds, socket_inodes)
}

/// Count a descriptor list by type; note deleted files, socket inodes and
/// the links that could not be read (counted, named in `fd_links`).
fn classify_fds(
    s: &ProcessSnapshot,
    list: &[FdEntry],
    fds: &mut Fds,
    socket_inodes: &mut HashSet<u64>,
    un: &mut Vec<Unavailable>,
) {
    let mut deleted = 0u64;
    for k in fdlink::ALL_KINDS {
        fds.by_type.insert(k.as_str(), 0);
    }
    let mut first_error = None;
    let mut unreadable = 0u64;
    for e in list {
        let link = match &e.link {
            Ok(link) => link,
            Err(err) => {
                unreadable += 1;
                *fds.by_type
                    .entry(fdlink::FdKind::Unreadable.as_str())
                    .or_default() += 1;
                first_error.get_or_insert_with(|| err.clone());
                continue;
            }
        };
        let l = fdlink::classify(link, e.flags().map(is_dir_flags), &s.block_devices);
        *fds.by_type.entry(l.kind.as_str()).or_default() += 1;
        if let Some(k) = &l.anon_kind {
            *fds.anon_kinds
                .entry(Text(k.clone()).to_json_string())
                .or_default() += 1;
        }
        if l.deleted {
            deleted += 1;
            if fds.deleted_paths.len() < 10 {
                fds.deleted_paths.push(Text(link.clone()));
            }
        }
        if let (fdlink::FdKind::Socket, Some(i)) = (l.kind, l.inode) {
            socket_inodes.insert(i);
        }
    }
    if let Some(err) = first_error {
        // The section stands; the unreadable rows are named here.
        un.push(Unavailable {
            section: "fd_links",
            reason: err.reason(),
            hint: err.hint(),
            detail: Detail::FdLinksUnreadable {
                count: unreadable,
                first: err,
            },
        });
    }
    fds.unreadable = Some(unreadable);
    fds.deleted = Some(deleted);
    fds.deleted_space = deleted_space(deleted, &s.deleted_files);
}

/// The space `deleted` deleted files hold, when each one's size was read.
pub fn deleted_space(
    deleted: u64,
    files: &[Option<crate::reader::HeldFile>],
) -> Option<super::who::DeletedSpace> {
    let space = super::who::deleted_space(files);
    (deleted > 0
        && files.len() as u64 == deleted
        && space.size_unknown == 0
        && space.bytes.is_some())
    .then_some(space)
}

/// Sockets by protocol and TCP state, listening and bound addresses, and
/// CLOSE_WAIT (unknown when a table line did not parse).
fn sockets(
    s: &ProcessSnapshot,
    socket_inodes: &HashSet<u64>,
    un: &mut Vec<Unavailable>,
) -> Sockets {
    let mut sockets = Sockets::default();
    let Some(sk) = ok(&s.sockets, "sockets", un) else {
        return sockets;
    };
    let mut close_wait = 0;
    sockets.listeners = Some(super::findings::ListenQueue::of(&sk.inet));
    sockets.listen_counters = s.listen_counters;
    for so in &sk.inet {
        *sockets.by_protocol.entry(so.proto.as_str()).or_default() += 1;
        if so.proto.is_tcp() {
            *sockets
                .by_state
                .entry(net::tcp_state_name(so.state))
                .or_default() += 1;
            if so.state == net::TCP_LISTEN {
                sockets.listening.push(net::format_addr(&so.local));
            }
            if so.state == net::TCP_CLOSE_WAIT {
                close_wait += 1;
            }
        } else if matches!(so.proto, net::Proto::Udp | net::Proto::Udp6)
            && so.state == net::TCP_CLOSE
        {
            sockets.udp_bound.push(net::format_addr(&so.local));
        }
    }
    for u in &sk.unix {
        *sockets.by_protocol.entry("unix").or_default() += 1;
        if u.listening {
            sockets.unix_listening.push(Text(u.path.clone()));
        }
    }
    if sk.other > 0 {
        sockets.by_protocol.insert("other", sk.other as u64);
    }
    sockets.listening.sort();
    sockets.listening.dedup();
    sockets.udp_bound.sort();
    sockets.udp_bound.dedup();
    // Every socket descriptor counts, even one found in no table.
    sockets.count = Some(
        socket_inodes
            .len()
            .max(sk.inet.len() + sk.unix.len() + sk.other + sk.unparsed.len()) as u64,
    );
    // A socket on a table line that did not parse may be in CLOSE_WAIT:
    // the count is unknown, and the check did not run.
    for (proto, _) in &sk.unparsed {
        *sockets.by_protocol.entry(proto.as_str()).or_default() += 1;
    }
    if sk.unparsed.is_empty() {
        sockets.close_wait = Some(close_wait);
    } else {
        un.push(Unavailable {
            section: "sockets",
            reason: "parse_error",
            detail: Detail::SocketLinesUnparsed {
                count: sk.unparsed.len(),
            },
            hint: None,
        });
    }
    sockets
}

/// Context switches of the whole process: the sum over its threads
/// (/proc/PID/status counts the main thread only), else the main
/// thread's.
fn context_switches(threads: Option<&[ThreadDetail]>, st: Option<&Status>) -> ContextSwitches {
    let summed = threads.filter(|t| !t.is_empty()).map(|t| {
        // Checked: a sum past u64 is unknown, never wrapped.
        let sum = |f: fn(&Status) -> Option<u64>| -> Option<u64> {
            t.iter().try_fold(0u64, |acc, x| {
                acc.checked_add(x.status.as_ref().and_then(f)?)
            })
        };
        (
            sum(|s| s.voluntary_ctxt_switches),
            sum(|s| s.nonvoluntary_ctxt_switches),
        )
    });
    let (vol, nonvol) = match summed {
        Some((Some(v), Some(n))) => (Some(v), Some(n)),
        _ => (
            st.and_then(|x| x.voluntary_ctxt_switches),
            st.and_then(|x| x.nonvoluntary_ctxt_switches),
        ),
    };
    ContextSwitches {
        voluntary: vol,
        nonvoluntary: nonvol,
        nonvoluntary_percent: match (vol, nonvol) {
            (Some(v), Some(n)) => percent_of(n, v.saturating_add(n)),
            _ => None,
        },
    }
}

fn io(s: &ProcessSnapshot, un: &mut Vec<Unavailable>) -> Io {
    match ok(&s.io, "io", un) {
        Some(i) => Io {
            read_bytes: Some(i.read_bytes),
            write_bytes: Some(i.write_bytes),
            rchar: Some(i.rchar),
            wchar: Some(i.wchar),
            read_syscalls: Some(i.syscr),
            write_syscalls: Some(i.syscw),
        },
        None => Io::default(),
    }
}

/// The command line with its secrets masked, and how many were. A cut
/// command line masks a secret that reaches the cut whatever its length
/// (half a password is still a secret).
fn command_line(s: &ProcessSnapshot, un: &mut Vec<Unavailable>) -> (Option<Vec<Text>>, usize) {
    match ok(&s.cmdline, "cmdline", un) {
        Some(v) => {
            let (m, n) = secrets::mask_args(&v, s.cmdline_truncated.is_some());
            (Some(m.into_iter().map(Text).collect()), n)
        }
        None => (None, 0),
    }
}

/// CPU seconds (utime + stime); a sum past u64 (a corrupt or crafted
/// stat) is unknown.
fn cpu_seconds(s: &ProcessSnapshot, un: &mut Vec<Unavailable>) -> Option<f64> {
    let cpu_seconds = s
        .stat
        .utime
        .checked_add(s.stat.stime)
        .map(|t| t as f64 / ticks_per_sec(s));
    if cpu_seconds.is_none() {
        un.push(Unavailable {
            section: "cpu",
            reason: "parse_error",
            detail: Detail::CpuTimeOverflow,
            hint: None,
        });
    }
    cpu_seconds
}
