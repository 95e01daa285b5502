//! Rules that turn numbers into verdicts: what a rule sees ([`Facts`] of a
//! process, [`HostSeen`] of the host), its thresholds ([`Thresholds`],
//! [`HostThresholds`]: data, so they can be configured and tested), what
//! it returns (a [`Finding`]: a stable id, a [`Severity`] and a typed
//! [`Kind`] carrying the values it judged on) and the evaluation loops.
//! The rules themselves are in [`rules`], one function each, collected in
//! three tables: [`rules::PROCESS_RULES`] (shared by `inspect` and
//! `doctor`), [`rules::HOST_RULES`] (`doctor`) and [`rules::CGROUP_RULES`]
//! (on a [`CgroupSeen`]: `inspect` for the process's cgroups, `doctor` once
//! per cgroup; each finding a [`Kind::Cgroup`] naming the cgroup's path and
//! its largest processes by share).
//!
//! # No words here
//! A finding carries values, never sentences: [`Kind`] has one variant
//! per kind of finding with the numbers (and names) it was judged on, and
//! [`Kind::evidence`] gives the JSON `evidence` object from them. The
//! message and the next command to run are words for people, so they are
//! written by `render::findings` from the kind; `render::findings` also
//! serializes [`Finding`] (and the doctor's finding), filling the JSON
//! `message` and `next` fields when a document is built. An enum rather
//! than "id + a map of values" so that the words match on typed fields
//! (no lookup by string that can miss) and the compiler lists every place
//! a new kind must be handled.
//!
//! # Adding a rule
//! 1. Write the rule as a function `fn(&Facts, &Thresholds) ->
//!    Option<(Severity, Kind)>` (or `fn(&HostSeen, &HostThresholds) -> ..`
//!    for the host) in a file of `rules/` (one per resource: `fds.rs`,
//!    `memory.rs`, ...; a new resource is a new file and a `mod` line).
//! 2. Add one line to [`rules::PROCESS_RULES`] or [`rules::HOST_RULES`]:
//!    its id and the function.
//! 3. If it reports a new kind of thing, add its [`Kind`] variant and the
//!    variant's arm in [`Kind::evidence`]; `render::findings::message` and
//!    `render::findings::next` then fail to build until the variant has
//!    its words (exhaustive matches); add the variant to the words
//!    snapshot test there (`one_of_each`).
//! 4. In the tests of [`rules`], list the id (`PROCESS_IDS` or
//!    `HOST_IDS`) and give it an input that fires (`firing` or
//!    `firing_host`): the tests fail until both are there.
//!
//! A value the rule needs that [`Facts`] lacks is a field there, filled
//! by [`Facts::from_report`] (inspect) and by `analysis::doctor` (from its
//! cheaper host-wide reads, or `None`: a rule never judges on an unknown
//! value). The unit tests of [`rules`] check that every table entry has a
//! unique id and fires on an input made for it.

pub mod rules;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::ceiling::Exhaustion;
use super::cpu::{Basis, CpuUse, HotThread};
use super::inspect::InspectReport;
use super::leak::Metric;
use crate::reader::{CgroupMember, CpuState, HostFacts, MemoryState, PidsState};
use crate::text::Text;

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

/// What a rule found. Serialized (with its words) by `render::findings`.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable id (`fds.near_limit`): the rule's id in its table.
    pub id: &'static str,
    pub severity: Severity,
    /// The process the finding is about (the one inspected or judged; for
    /// `zombies.unreaped` the parent); None: the host.
    pub pid: Option<i32>,
    pub kind: Kind,
}

impl Finding {
    /// The JSON `evidence` object: the numbers the verdict rests on.
    pub fn evidence(&self) -> BTreeMap<&'static str, Value> {
        self.kind.evidence()
    }
}

/// What a finding is about, with the values it was judged on. Percentages
/// are kept unrounded (the words show them at their own precision); the
/// evidence rounds them to one decimal.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Descriptors against the soft RLIMIT_NOFILE.
    FdsNearLimit {
        fds: u64,
        soft_limit: u64,
        percent: f64,
    },
    /// Deleted files still held open: the space they hold and the
    /// largest (None when a size could not be read).
    DeletedOpen {
        deleted: u64,
        bytes: Option<u64>,
        largest: Option<u64>,
    },
    /// RSS against the memory cgroup's limit.
    MemoryNearCgroupLimit {
        rss_bytes: u64,
        limit_bytes: u64,
        percent: f64,
    },
    /// OOM kills in the memory cgroup: of the process (`cgroup` None,
    /// inspect) or of a cgroup named by path (doctor, once per cgroup).
    OomKills {
        oom_kills: u64,
        cgroup: Option<Text>,
    },
    /// Swap used by the process, as a share of its memory (swap + RSS).
    SwapInUse {
        swap_bytes: u64,
        percent_of_memory: f64,
    },
    /// Threads at or over the threshold, with the largest group of
    /// same-named threads when known.
    ThreadsHigh {
        threads: u64,
        threshold: u64,
        largest_group: Option<(Text, u64)>,
    },
    /// TCP sockets in CLOSE_WAIT at or over the threshold.
    CloseWait { close_wait: u64, threshold: u64 },
    /// A TCP listener whose accept queue is full (more waiting than its
    /// backlog: the kernel drops new connections) or near full, the
    /// fullest one; `others` more listeners of the process are near full.
    /// The namespace's TcpExt counters when they were read.
    AcceptQueueFull {
        listener: ListenQueue,
        backlog: u64,
        percent: f64,
        full: bool,
        others: usize,
        counters: Option<crate::parse::net::ListenCounters>,
    },
    /// A zombie, with its parent.
    Zombie {
        ppid: i32,
        parent_name: Option<Text>,
    },
    /// In uninterruptible sleep (D).
    Uninterruptible,
    /// Share of nonvoluntary context switches, with the thread behind the
    /// process's CPU use when there is one (a busy thread, or one doing
    /// most of the work: `Thresholds::hot_thread_pct`).
    NonvoluntarySwitches {
        voluntary: u64,
        nonvoluntary: u64,
        percent: f64,
        hot_thread: Option<HotThread>,
    },
    /// One thread using most of a CPU (`cpu.busy_thread`), with the
    /// process's own use and how both were measured.
    BusyThread {
        thread: HotThread,
        /// Over how long the thread was measured (None: its life).
        thread_seconds: Option<f64>,
        process_percent: f64,
        seconds: f64,
        basis: Basis,
    },
    /// The process using most of a CPU or more, no single thread hot
    /// (`cpu.busy`): percent of one CPU, the host's CPUs when known, the
    /// hottest threads when they were read.
    CpuBusy {
        percent: f64,
        cpus: Option<usize>,
        seconds: f64,
        basis: Basis,
        hottest: Vec<HotThread>,
    },
    /// Lasting zombies of one parent (doctor; the finding's pid is the
    /// parent's).
    ZombiesUnreaped {
        ppid: i32,
        parent_name: Option<Text>,
        zombies: Vec<i32>,
    },
    /// MemAvailable against MemTotal.
    HostMemAvailableLow {
        available_bytes: u64,
        total_bytes: u64,
        percent: f64,
    },
    /// Swap in use host-wide.
    HostSwapInUse {
        used_bytes: u64,
        total_bytes: u64,
        percent: f64,
    },
    /// PSI memory stall averages over 10 s.
    HostMemoryPressure { some_avg10: f64, full_avg10: f64 },
    /// Zombies host-wide.
    HostZombies { zombies: usize },
    /// Allocated file handles against fs.file-max.
    HostFileHandles {
        allocated: u64,
        file_max: u64,
        percent: f64,
    },
    /// Tasks (threads) against the tighter of kernel.pid_max and
    /// kernel.threads-max (`which`).
    HostTasksNearLimit {
        tasks: u64,
        limit: u64,
        which: crate::analysis::ceiling::Kind,
        percent: f64,
    },
    /// A cgroup rule's finding (`rules::CGROUP_RULES`).
    Cgroup(CgroupFinding),
    /// Grew fast between doctor's two scans (`growth.fds`,
    /// `growth.threads`, `growth.rss`), with the one ceiling's limit, room
    /// and time at that rate (`analysis::ceiling::exhaustion`, as `watch`).
    Growth {
        metric: Metric,
        from: u64,
        to: u64,
        seconds: f64,
        per_second: f64,
        exhaustion: Option<Exhaustion>,
    },
}

impl Kind {
    /// The JSON `evidence` object of a finding of this kind.
    pub fn evidence(&self) -> BTreeMap<&'static str, Value> {
        let e: Vec<(&'static str, Value)> = match self {
            Kind::FdsNearLimit {
                fds,
                soft_limit,
                percent,
            } => vec![
                ("fds", json!(fds)),
                ("soft_limit", json!(soft_limit)),
                ("percent", json!(round1(*percent))),
            ],
            Kind::DeletedOpen {
                deleted,
                bytes,
                largest,
            } => vec![
                ("deleted", json!(deleted)),
                ("bytes", json!(bytes)),
                ("largest_bytes", json!(largest)),
            ],
            Kind::MemoryNearCgroupLimit {
                rss_bytes,
                limit_bytes,
                percent,
            } => vec![
                ("rss_bytes", json!(rss_bytes)),
                ("limit_bytes", json!(limit_bytes)),
                ("percent", json!(round1(*percent))),
            ],
            Kind::OomKills { oom_kills, cgroup } => {
                let mut e = vec![("oom_kills", json!(oom_kills))];
                if let Some(cg) = cgroup {
                    e.push(("cgroup", json!(cg.display())));
                }
                e
            }
            Kind::SwapInUse {
                swap_bytes,
                percent_of_memory,
            } => vec![
                ("swap_bytes", json!(swap_bytes)),
                ("percent_of_memory", json!(round1(*percent_of_memory))),
            ],
            Kind::ThreadsHigh {
                threads, threshold, ..
            } => vec![("threads", json!(threads)), ("threshold", json!(threshold))],
            Kind::CloseWait {
                close_wait,
                threshold,
            } => vec![
                ("close_wait", json!(close_wait)),
                ("threshold", json!(threshold)),
            ],
            Kind::AcceptQueueFull { .. } => self.socket_evidence(),
            Kind::Zombie { ppid, .. } => vec![("ppid", json!(ppid))],
            Kind::Uninterruptible => vec![],
            Kind::NonvoluntarySwitches { .. } | Kind::BusyThread { .. } | Kind::CpuBusy { .. } => {
                self.cpu_evidence()
            }
            Kind::ZombiesUnreaped { zombies, .. } => vec![
                ("zombies", json!(zombies.len())),
                ("zombie_pids", json!(zombies)),
            ],
            Kind::HostMemAvailableLow {
                available_bytes,
                total_bytes,
                percent,
            } => vec![
                ("mem_available_bytes", json!(available_bytes)),
                ("mem_total_bytes", json!(total_bytes)),
                ("percent", json!(round1(*percent))),
            ],
            Kind::HostSwapInUse {
                used_bytes,
                total_bytes,
                percent,
            } => vec![
                ("swap_used_bytes", json!(used_bytes)),
                ("swap_total_bytes", json!(total_bytes)),
                ("percent", json!(round1(*percent))),
            ],
            Kind::HostMemoryPressure {
                some_avg10,
                full_avg10,
            } => vec![
                ("some_avg10", json!(some_avg10)),
                ("full_avg10", json!(full_avg10)),
            ],
            Kind::HostZombies { zombies } => vec![("zombies", json!(zombies))],
            Kind::HostFileHandles {
                allocated,
                file_max,
                percent,
            } => vec![
                ("allocated", json!(allocated)),
                ("file_max", json!(file_max)),
                ("percent", json!(round1(*percent))),
            ],
            Kind::HostTasksNearLimit { tasks, limit, .. } => {
                vec![("tasks", json!(tasks)), ("limit", json!(limit))]
            }
            Kind::Cgroup(c) => c.evidence(),
            Kind::Growth { .. } => self.growth_evidence(),
        };
        e.into_iter().collect()
    }

    /// The evidence of the CPU kinds (see [`Kind::evidence`]).
    fn cpu_evidence(&self) -> Vec<(&'static str, Value)> {
        match self {
            Kind::NonvoluntarySwitches {
                voluntary,
                nonvoluntary,
                percent,
                hot_thread,
            } => {
                let mut e = vec![
                    ("voluntary", json!(voluntary)),
                    ("nonvoluntary", json!(nonvoluntary)),
                    ("percent", json!(round1(*percent))),
                ];
                if let Some(t) = hot_thread {
                    e.push(("hot_thread", thread_json(t)));
                }
                e
            }
            Kind::BusyThread {
                thread,
                thread_seconds,
                process_percent,
                seconds,
                basis,
            } => vec![
                ("tid", json!(thread.tid)),
                ("thread_name", json!(thread.name)),
                ("percent", json!(round1(thread.percent))),
                ("thread_seconds", json!(thread_seconds.map(round1))),
                ("process_percent", json!(round1(*process_percent))),
                ("seconds", json!(round1(*seconds))),
                ("basis", json!(basis)),
            ],
            Kind::CpuBusy {
                percent,
                cpus,
                seconds,
                basis,
                hottest,
            } => vec![
                ("percent", json!(round1(*percent))),
                ("cpus", json!(cpus)),
                ("seconds", json!(round1(*seconds))),
                ("basis", json!(basis)),
                (
                    "hottest_threads",
                    Value::Array(hottest.iter().map(thread_json).collect()),
                ),
            ],
            _ => Vec::new(),
        }
    }

    /// The evidence of a listener's accept queue (see [`Kind::evidence`]).
    fn socket_evidence(&self) -> Vec<(&'static str, Value)> {
        let Kind::AcceptQueueFull {
            listener,
            backlog,
            percent,
            full,
            others,
            counters,
        } = self
        else {
            return Vec::new();
        };
        let mut e = vec![
            (
                "listener",
                json!(crate::parse::net::format_addr(&listener.local)),
            ),
            ("inode", json!(listener.inode)),
            ("accept_queue", json!(listener.accept_queue)),
            ("backlog", json!(backlog)),
            ("percent", json!(round1(*percent))),
            ("full", json!(full)),
            ("other_listeners_near_full", json!(others)),
        ];
        if let Some(c) = counters {
            e.push(("listen_overflows", json!(c.overflows)));
            e.push(("listen_drops", json!(c.drops)));
        }
        e
    }

    /// The evidence of a grower (see [`Kind::evidence`]).
    fn growth_evidence(&self) -> Vec<(&'static str, Value)> {
        match self {
            Kind::Growth {
                from,
                to,
                seconds,
                per_second,
                exhaustion,
                ..
            } => {
                let mut e = vec![
                    ("from", json!(from)),
                    ("to", json!(to)),
                    ("seconds", json!(round1(*seconds))),
                    ("per_second", json!(round1(*per_second))),
                ];
                // The ceiling and the time to it, as `watch` judges them.
                if let Some(x) = exhaustion {
                    e.push(("limit", json!(x.limit)));
                    e.push(("limit_kind", json!(limit_id(x.kind))));
                    e.push(("eta_seconds", json!(x.eta_s.map(round1))));
                }
                e
            }
            _ => Vec::new(),
        }
    }
}

/// A cgroup judged once: its path (as /proc/PID/cgroup gives it, the key
/// to its workload), what was found, and its processes by share (largest
/// first, at most `rules::cgroup::TOP`).
#[derive(Debug, Clone, PartialEq)]
pub struct CgroupFinding {
    pub cgroup: Text,
    pub judged: CgroupKind,
    pub top: Vec<Share>,
}

/// What a cgroup rule found, with the values judged.
#[derive(Debug, Clone, PartialEq)]
pub enum CgroupKind {
    /// The working set (usage - inactive file) against the tightest
    /// memory limit; shares of RSS.
    MemoryNearLimit {
        working_set_bytes: u64,
        limit_bytes: u64,
        percent: f64,
    },
    /// pids.current against pids.max; shares of tasks.
    TasksNearLimit { tasks: u64, max: u64, percent: f64 },
    /// OOM kills recorded, by kind (`oom_group_kill`: None on v1); shares
    /// of RSS.
    OomKills {
        oom_kill: u64,
        oom_group_kill: Option<u64>,
    },
    /// Throttled in a share of the periods, against the quota (CPUs:
    /// quota / period; None: no quota of its own); shares of CPU time.
    CpuThrottled {
        periods: u64,
        throttled: u64,
        percent: f64,
        throttled_seconds: f64,
        quota_cpus: Option<f64>,
    },
}

impl CgroupFinding {
    fn evidence(&self) -> Vec<(&'static str, Value)> {
        let mut e = vec![("cgroup", json!(self.cgroup.display()))];
        e.extend(match &self.judged {
            CgroupKind::MemoryNearLimit {
                working_set_bytes,
                limit_bytes,
                percent,
            } => vec![
                ("working_set_bytes", json!(working_set_bytes)),
                ("limit_bytes", json!(limit_bytes)),
                ("percent", json!(round1(*percent))),
            ],
            CgroupKind::TasksNearLimit {
                tasks,
                max,
                percent,
            } => vec![
                ("tasks", json!(tasks)),
                ("pids_max", json!(max)),
                ("percent", json!(round1(*percent))),
            ],
            CgroupKind::OomKills {
                oom_kill,
                oom_group_kill,
            } => vec![
                ("oom_kill", json!(oom_kill)),
                ("oom_group_kill", json!(oom_group_kill)),
            ],
            CgroupKind::CpuThrottled {
                periods,
                throttled,
                percent,
                throttled_seconds,
                quota_cpus,
            } => vec![
                ("nr_periods", json!(periods)),
                ("nr_throttled", json!(throttled)),
                ("percent", json!(round1(*percent))),
                ("throttled_seconds", json!(round1(*throttled_seconds))),
                (
                    "quota_cpus",
                    json!(quota_cpus.map(|q| (q * 100.0).round() / 100.0)),
                ),
            ],
        });
        e.push(("top", shares(&self.top)));
        e
    }
}

/// One process's share of a cgroup's total (RSS, tasks or CPU time).
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub pid: i32,
    pub name: Text,
    pub percent: f64,
}

/// The evidence of the top shares (names escaped by the JSON writer).
fn shares(top: &[Share]) -> Value {
    Value::Array(
        top.iter()
            .map(|s| json!({"pid": s.pid, "name": s.name.display(), "percent": round1(s.percent)}))
            .collect(),
    )
}

/// Per-process thresholds (and the cgroup rules', which share the
/// memory ones).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub fd_warning_pct: f64,
    pub fd_critical_pct: f64,
    pub mem_warning_pct: f64,
    pub mem_critical_pct: f64,
    pub threads: u64,
    pub close_wait: u64,
    /// A listener's accept queue at or over this share of its backlog
    /// (percent): near full (`sockets.accept_queue_full`, a warning;
    /// critical once it holds more than the backlog: full).
    pub accept_queue_pct: f64,
    /// Share of nonvoluntary switches (percent) judged as CPU contention...
    pub nonvoluntary_pct: f64,
    /// ...once at least this many switches were counted.
    pub min_switches: u64,
    /// One thread at or over this share of one CPU (percent): a busy
    /// thread (`cpu.busy_thread`). Under 100 because a spinning thread
    /// preempted on a busy host gets less than a whole CPU.
    pub busy_thread_pct: f64,
    /// A thread under `busy_thread_pct` is still named by
    /// `cpu.nonvoluntary_switches` from this share of one CPU (percent),
    /// when it does at least half the process's work.
    pub hot_thread_pct: f64,
    /// The process at or over this share of one CPU (percent) with no
    /// busy thread: `cpu.busy` (info; a warning at this share of every
    /// CPU of the host).
    pub busy_pct: f64,
    /// A pids cgroup's pids.current against pids.max (percent).
    pub cgroup_tasks_warning_pct: f64,
    pub cgroup_tasks_critical_pct: f64,
    /// Share of a cpu cgroup's periods throttled (percent)...
    pub throttled_warning_pct: f64,
    pub throttled_critical_pct: f64,
    /// ...once at least this many periods were counted.
    pub min_periods: u64,
    /// Deleted files held open matter from this much space held (the sum
    /// of their sizes, each file once): `fds.deleted_open`.
    pub deleted_min_bytes: u64,
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
            accept_queue_pct: 90.0,
            nonvoluntary_pct: 50.0,
            min_switches: 1000,
            busy_thread_pct: 80.0,
            hot_thread_pct: 25.0,
            busy_pct: 90.0,
            cgroup_tasks_warning_pct: 90.0,
            cgroup_tasks_critical_pct: 98.0,
            throttled_warning_pct: 25.0,
            throttled_critical_pct: 75.0,
            min_periods: 50,
            deleted_min_bytes: 64 << 20,
        }
    }
}

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

/// What the per-process rules look at: filled from an `inspect` report,
/// or by `doctor` from its cheaper host-wide reads. None: not known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub pid: i32,
    pub ppid: i32,
    pub parent_name: Option<Text>,
    /// One-letter state (`Z`, `D`, ...).
    pub state: String,
    pub fds: Option<u64>,
    pub fd_soft_limit: Option<u64>,
    pub rss_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    pub oom_kills: Option<u64>,
    pub threads: Option<u64>,
    /// The largest group of same-named threads: (pattern, count).
    pub top_thread_group: Option<(Text, u64)>,
    pub close_wait: Option<u64>,
    /// The process's TCP listeners with their accept queues (None: the
    /// sockets were not read).
    pub listeners: Option<Vec<ListenQueue>>,
    /// The namespace's listen drop counters (evidence only).
    pub listen_counters: Option<crate::parse::net::ListenCounters>,
    pub deleted: Option<u64>,
    /// The space those deleted files hold, when every size was read.
    pub deleted_space: Option<crate::analysis::who::DeletedSpace>,
    pub swap_bytes: Option<u64>,
    pub voluntary_switches: Option<u64>,
    pub nonvoluntary_switches: Option<u64>,
    /// CPU use and the hottest threads (`analysis::cpu`).
    pub cpu: Option<CpuUse>,
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
            listeners: r.sockets.listeners.clone(),
            listen_counters: r.sockets.listen_counters,
            deleted: r.fds.deleted,
            deleted_space: r.fds.deleted_space,
            swap_bytes: r.memory.swap_bytes,
            voluntary_switches: r.context_switches.voluntary,
            nonvoluntary_switches: r.context_switches.nonvoluntary,
            cpu: r.cpu_use.clone(),
        }
    }
}

/// A TCP listener: its address and inode, its accept queue (connections
/// waiting for accept()) and its backlog (None: not known, the text
/// tables do not carry it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenQueue {
    pub local: std::net::SocketAddr,
    pub inode: u64,
    pub accept_queue: u64,
    pub backlog: Option<u64>,
}

/// Why `sockets.accept_queue_full` did not run for a listener: its
/// backlog is not in the text tables, and netlink could not be asked.
pub const BACKLOG_UNKNOWN: &str = "listener_backlog_unknown";

impl ListenQueue {
    /// Whether a listener's backlog is unknown (so its accept queue
    /// cannot be judged).
    pub fn any_backlog_unknown(listeners: &[ListenQueue]) -> bool {
        listeners.iter().any(|l| l.backlog.is_none())
    }

    /// The TCP listeners among a process's sockets.
    pub fn of(sockets: &[crate::parse::net::InetSocket]) -> Vec<ListenQueue> {
        sockets
            .iter()
            .filter(|s| s.proto.is_tcp() && s.state == crate::parse::net::TCP_LISTEN)
            .map(|s| ListenQueue {
                local: s.local,
                inode: s.inode,
                accept_queue: s.rx_queue,
                backlog: s.backlog,
            })
            .collect()
    }
}

/// What the host rules look at: the host files and what the scan counted.
#[derive(Debug, Clone, Copy)]
pub struct HostSeen<'a> {
    pub host: &'a HostFacts,
    /// Zombies host-wide (lasting or not).
    pub zombies: usize,
    /// Tasks (threads) host-wide.
    pub tasks: u64,
}

/// What the cgroup rules look at: a cgroup's state per controller, each
/// with the processes in it (doctor: one controller per evaluation, once
/// per cgroup path; inspect: the process's three). None: not read, or
/// not this evaluation's.
#[derive(Debug, Clone, Copy, Default)]
pub struct CgroupSeen<'a> {
    pub memory: Option<(&'a MemoryState, &'a [CgroupMember])>,
    pub pids: Option<(&'a PidsState, &'a [CgroupMember])>,
    pub cpu: Option<(&'a CpuState, &'a [CgroupMember])>,
}

/// A cgroup rule: its id and the function that judges.
pub struct CgroupRule {
    pub id: &'static str,
    pub check: fn(&CgroupSeen<'_>, &Thresholds) -> Option<(Severity, Kind)>,
}

impl CgroupRule {
    /// A table entry (one line in [`rules::CGROUP_RULES`]).
    pub const fn new(
        id: &'static str,
        check: fn(&CgroupSeen<'_>, &Thresholds) -> Option<(Severity, Kind)>,
    ) -> CgroupRule {
        CgroupRule { id, check }
    }
}

/// Evaluate every cgroup rule ([`rules::CGROUP_RULES`]). Each finding is
/// given the pid of the cgroup's largest process by its measure (None
/// when no process is known). Sorted most severe first, then by id.
pub fn evaluate_cgroup(seen: &CgroupSeen<'_>, th: &Thresholds) -> Vec<Finding> {
    let mut out: Vec<Finding> = rules::CGROUP_RULES
        .iter()
        .filter_map(|rule| {
            (rule.check)(seen, th).map(|(severity, kind)| Finding {
                id: rule.id,
                severity,
                pid: match &kind {
                    Kind::Cgroup(c) => c.top.first().map(|s| s.pid),
                    _ => None,
                },
                kind,
            })
        })
        .collect();
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
    out
}

/// A per-process rule: its id and the function that judges.
pub struct Rule {
    pub id: &'static str,
    pub check: fn(&Facts, &Thresholds) -> Option<(Severity, Kind)>,
}

impl Rule {
    /// A table entry (one line in [`rules::PROCESS_RULES`]).
    pub const fn new(
        id: &'static str,
        check: fn(&Facts, &Thresholds) -> Option<(Severity, Kind)>,
    ) -> Rule {
        Rule { id, check }
    }
}

/// A host rule: its id and the function that judges.
pub struct HostRule {
    pub id: &'static str,
    pub check: fn(&HostSeen<'_>, &HostThresholds) -> Option<(Severity, Kind)>,
}

impl HostRule {
    /// A table entry (one line in [`rules::HOST_RULES`]).
    pub const fn new(
        id: &'static str,
        check: fn(&HostSeen<'_>, &HostThresholds) -> Option<(Severity, Kind)>,
    ) -> HostRule {
        HostRule { id, check }
    }
}

/// Evaluate every rule on a report. Sorted most severe first.
pub fn evaluate(r: &InspectReport, th: &Thresholds) -> Vec<Finding> {
    evaluate_facts(&Facts::from_report(r), th)
}

/// Evaluate every per-process rule ([`rules::PROCESS_RULES`]) on what is
/// known of a process. Sorted most severe first, then by id.
pub fn evaluate_facts(facts: &Facts, th: &Thresholds) -> Vec<Finding> {
    let mut out: Vec<Finding> = rules::PROCESS_RULES
        .iter()
        .filter_map(|rule| {
            (rule.check)(facts, th).map(|(severity, kind)| Finding {
                id: rule.id,
                severity,
                pid: Some(facts.pid),
                kind,
            })
        })
        .collect();
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
    out
}

/// Evaluate every host rule ([`rules::HOST_RULES`]), in table order (the
/// caller sorts them with the rest).
pub fn evaluate_host(seen: &HostSeen<'_>, th: &HostThresholds) -> Vec<Finding> {
    rules::HOST_RULES
        .iter()
        .filter_map(|rule| {
            (rule.check)(seen, th).map(|(severity, kind)| Finding {
                id: rule.id,
                severity,
                pid: None,
                kind,
            })
        })
        .collect()
}

/// A thread in the evidence: tid, name, percent of one CPU.
fn thread_json(t: &HotThread) -> Value {
    json!({"tid": t.tid, "name": t.name, "percent": round1(t.percent)})
}

/// A limit's stable id in the evidence (`nofile`, `pids_max`, ...).
fn limit_id(k: super::ceiling::Kind) -> &'static str {
    use super::ceiling::Kind as L;
    match k {
        L::PidsMax => "pids_max",
        L::ThreadsMax => "threads_max",
        L::PidMax => "pid_max",
        L::NoFile => "nofile",
        L::MaxMapCount => "max_map_count",
        L::MemoryCgroup => "memory_cgroup",
        L::MemTotal => "mem_total",
    }
}

/// `x` rounded to one decimal, as the evidence shows percentages.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
