//! The store's plain data: what the recorder writes for one scan
//! ([`Frame`]), and what a reader gets back for a window ([`History`]).
//! No I/O here, no words.

/// A process's recorded numbers at one scan. None: could not be read (kept
/// as -1 in the file, never as 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcValues {
    /// The `stat` state letter (R, S, D, Z, T, t, X, I, ...).
    pub state: Option<u8>,
    pub rss_kb: Option<u64>,
    pub fds: Option<u64>,
    pub threads: Option<u64>,
    /// User plus system time, in clock ticks (`Run::clock_ticks`).
    pub cpu_ticks: Option<u64>,
    /// Voluntary plus involuntary context switches of the main thread.
    pub switches: Option<u64>,
    /// `io`'s read_bytes and write_bytes (storage I/O).
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
    /// The soft RLIMIT_NOFILE (None also when unlimited or unreadable).
    pub fd_limit: Option<u64>,
}

/// The columns of [`ProcValues`], in their order in the `samples` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcMetric {
    State,
    Rss,
    Fds,
    Threads,
    Cpu,
    Switches,
    ReadBytes,
    WriteBytes,
    FdLimit,
}

impl ProcMetric {
    pub const ALL: [ProcMetric; 9] = [
        ProcMetric::State,
        ProcMetric::Rss,
        ProcMetric::Fds,
        ProcMetric::Threads,
        ProcMetric::Cpu,
        ProcMetric::Switches,
        ProcMetric::ReadBytes,
        ProcMetric::WriteBytes,
        ProcMetric::FdLimit,
    ];

    /// The column's name in the `samples` table.
    pub fn column(self) -> &'static str {
        match self {
            ProcMetric::State => "state",
            ProcMetric::Rss => "rss_kb",
            ProcMetric::Fds => "fds",
            ProcMetric::Threads => "threads",
            ProcMetric::Cpu => "cpu_ticks",
            ProcMetric::Switches => "switches",
            ProcMetric::ReadBytes => "read_bytes",
            ProcMetric::WriteBytes => "write_bytes",
            ProcMetric::FdLimit => "fd_limit",
        }
    }

    /// A monotonic counter: stored as its increase since the process's
    /// previous row, except in rows whose counters are absolute (see
    /// [`super::schema`]).
    pub fn is_counter(self) -> bool {
        matches!(
            self,
            ProcMetric::Cpu | ProcMetric::Switches | ProcMetric::ReadBytes | ProcMetric::WriteBytes
        )
    }
}

impl ProcValues {
    pub fn get(&self, m: ProcMetric) -> Option<u64> {
        match m {
            ProcMetric::State => self.state.map(u64::from),
            ProcMetric::Rss => self.rss_kb,
            ProcMetric::Fds => self.fds,
            ProcMetric::Threads => self.threads,
            ProcMetric::Cpu => self.cpu_ticks,
            ProcMetric::Switches => self.switches,
            ProcMetric::ReadBytes => self.read_bytes,
            ProcMetric::WriteBytes => self.write_bytes,
            ProcMetric::FdLimit => self.fd_limit,
        }
    }

    pub fn set(&mut self, m: ProcMetric, v: Option<u64>) {
        match m {
            ProcMetric::State => self.state = v.and_then(|v| u8::try_from(v).ok()),
            ProcMetric::Rss => self.rss_kb = v,
            ProcMetric::Fds => self.fds = v,
            ProcMetric::Threads => self.threads = v,
            ProcMetric::Cpu => self.cpu_ticks = v,
            ProcMetric::Switches => self.switches = v,
            ProcMetric::ReadBytes => self.read_bytes = v,
            ProcMetric::WriteBytes => self.write_bytes = v,
            ProcMetric::FdLimit => self.fd_limit = v,
        }
    }
}

/// A workload's (cgroup group's) recorded counters at one scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkloadValues {
    pub memory_bytes: Option<u64>,
    /// Usage less inactive file pages (what the OOM killer and the kubelet
    /// weigh).
    pub working_set_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    pub oom_kills: Option<u64>,
    pub pids: Option<u64>,
    pub pids_max: Option<u64>,
    /// User plus system CPU time of the cgroup, in nanoseconds.
    pub cpu_ns: Option<u64>,
    pub throttled_ns: Option<u64>,
    /// TCP sockets of a network namespace the workload owns (a pod).
    pub tcp_established: Option<u64>,
    pub tcp_close_wait: Option<u64>,
    pub tcp_listen: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadMetric {
    Memory,
    WorkingSet,
    MemoryLimit,
    OomKills,
    Pids,
    PidsMax,
    Cpu,
    Throttled,
    TcpEstablished,
    TcpCloseWait,
    TcpListen,
}

impl WorkloadMetric {
    pub const ALL: [WorkloadMetric; 11] = [
        WorkloadMetric::Memory,
        WorkloadMetric::WorkingSet,
        WorkloadMetric::MemoryLimit,
        WorkloadMetric::OomKills,
        WorkloadMetric::Pids,
        WorkloadMetric::PidsMax,
        WorkloadMetric::Cpu,
        WorkloadMetric::Throttled,
        WorkloadMetric::TcpEstablished,
        WorkloadMetric::TcpCloseWait,
        WorkloadMetric::TcpListen,
    ];

    pub fn column(self) -> &'static str {
        match self {
            WorkloadMetric::Memory => "memory_bytes",
            WorkloadMetric::WorkingSet => "working_set_bytes",
            WorkloadMetric::MemoryLimit => "memory_limit_bytes",
            WorkloadMetric::OomKills => "oom_kills",
            WorkloadMetric::Pids => "pids",
            WorkloadMetric::PidsMax => "pids_max",
            WorkloadMetric::Cpu => "cpu_ns",
            WorkloadMetric::Throttled => "throttled_ns",
            WorkloadMetric::TcpEstablished => "tcp_established",
            WorkloadMetric::TcpCloseWait => "tcp_close_wait",
            WorkloadMetric::TcpListen => "tcp_listen",
        }
    }
}

impl WorkloadValues {
    pub fn get(&self, m: WorkloadMetric) -> Option<u64> {
        match m {
            WorkloadMetric::Memory => self.memory_bytes,
            WorkloadMetric::WorkingSet => self.working_set_bytes,
            WorkloadMetric::MemoryLimit => self.memory_limit_bytes,
            WorkloadMetric::OomKills => self.oom_kills,
            WorkloadMetric::Pids => self.pids,
            WorkloadMetric::PidsMax => self.pids_max,
            WorkloadMetric::Cpu => self.cpu_ns,
            WorkloadMetric::Throttled => self.throttled_ns,
            WorkloadMetric::TcpEstablished => self.tcp_established,
            WorkloadMetric::TcpCloseWait => self.tcp_close_wait,
            WorkloadMetric::TcpListen => self.tcp_listen,
        }
    }

    pub fn set(&mut self, m: WorkloadMetric, v: Option<u64>) {
        match m {
            WorkloadMetric::Memory => self.memory_bytes = v,
            WorkloadMetric::WorkingSet => self.working_set_bytes = v,
            WorkloadMetric::MemoryLimit => self.memory_limit_bytes = v,
            WorkloadMetric::OomKills => self.oom_kills = v,
            WorkloadMetric::Pids => self.pids = v,
            WorkloadMetric::PidsMax => self.pids_max = v,
            WorkloadMetric::Cpu => self.cpu_ns = v,
            WorkloadMetric::Throttled => self.throttled_ns = v,
            WorkloadMetric::TcpEstablished => self.tcp_established = v,
            WorkloadMetric::TcpCloseWait => self.tcp_close_wait = v,
            WorkloadMetric::TcpListen => self.tcp_listen = v,
        }
    }
}

/// What a workload is. `name` is unique per kind and cgroup (the
/// exporter's `group` label: `ns/pod/container`, a unit, `docker:ID`, or
/// a process name for processes in no workload of their own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkloadKey {
    pub name: String,
    /// `kubernetes`, `systemd_unit`, `container`, `name` (grouped by
    /// process name, no cgroup counters).
    pub kind: String,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub unit: String,
    /// The cgroup whose counters are the workload's (empty for `name`).
    pub cgroup: String,
}

/// One process at one scan, as the recorder hands it to the store.
#[derive(Debug, Clone, Default)]
pub struct ProcFrame {
    pub pid: i32,
    pub start_ticks: u64,
    pub ppid: i32,
    pub uid: Option<u32>,
    /// Raw bytes (escaped when shown).
    pub comm: Vec<u8>,
    /// The command line with secrets masked (the store never holds a
    /// secret a process put on its command line).
    pub cmdline: Vec<u8>,
    pub kernel_thread: bool,
    /// Index into [`Frame::workloads`].
    pub workload: Option<usize>,
    pub values: ProcValues,
}

#[derive(Debug, Clone, Default)]
pub struct WorkloadFrame {
    pub key: WorkloadKey,
    /// None for a group by name (no cgroup of its own).
    pub values: Option<WorkloadValues>,
}

/// The host's numbers at one scan.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HostValues {
    pub mem_total_kb: Option<u64>,
    pub mem_available_kb: Option<u64>,
    pub swap_total_kb: Option<u64>,
    pub swap_free_kb: Option<u64>,
    /// The 1-minute load average, times 100.
    pub load1_centi: Option<u64>,
    /// OOM kills since boot (`vmstat` oom_kill).
    pub oom_kills: Option<u64>,
}

/// An OOM kill read from the kernel log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OomEvent {
    /// Wall-clock time of the kill, Unix milliseconds (from the record's
    /// boot-relative time and the boot time).
    pub t_ms: i64,
    /// The kernel log's sequence number (unique per boot).
    pub seq: u64,
    pub boot_id: String,
    pub pid: Option<i32>,
    pub comm: Vec<u8>,
    pub uid: Option<u32>,
    /// `memcg` (a cgroup's limit), `global`, `cpuset`, `mempolicy`.
    pub constraint: String,
    pub oom_memcg: Vec<u8>,
    pub task_memcg: Vec<u8>,
    pub total_vm_kb: Option<u64>,
    pub anon_rss_kb: Option<u64>,
    pub file_rss_kb: Option<u64>,
    pub shmem_rss_kb: Option<u64>,
    pub usage_kb: Option<u64>,
    pub limit_kb: Option<u64>,
}

/// One scan of the recorder.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// When the scan was taken, Unix milliseconds.
    pub t_ms: i64,
    /// How long the scan took, microseconds.
    pub scan_us: u64,
    pub processes: Vec<ProcFrame>,
    pub workloads: Vec<WorkloadFrame>,
    /// Processes that exited while the scan read them, and alive ones it
    /// could not read.
    pub exited: u64,
    pub unreadable: u64,
    pub host: HostValues,
    /// Kills read this scan (the store keeps each once: boot id and
    /// sequence number).
    pub ooms: Vec<OomEvent>,
    /// Processes of the previous frame this scan did not read but found
    /// alive (pid, start): not exited. Their values are unchanged until
    /// they are read again (then with every column).
    pub still_alive: Vec<(i32, u64)>,
}

/// What a recording run was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunInfo {
    pub started_ms: i64,
    pub host: String,
    pub boot_id: String,
    pub kernel: String,
    pub version: String,
    pub interval_ms: u64,
    /// The targets asked for (empty: the whole host).
    pub targets: String,
    pub clock_ticks: u64,
    /// The host's boot time, Unix seconds.
    pub boot_time_s: Option<u64>,
}

/// A recording run as read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub info: RunInfo,
}

/// One scan as read back.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScanInfo {
    pub id: i64,
    pub run: i64,
    pub t_ms: i64,
    pub processes: u64,
    pub exited: u64,
    pub unreadable: u64,
    pub scan_us: u64,
    pub host: HostValues,
}

/// A series over the window: the value from each point on, until the
/// next point (the store keeps only changes). `u32` is an index into
/// [`History::scans`]; None is "could not be read".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    pub points: Vec<(u32, Option<u64>)>,
}

impl Series {
    /// The value at scan index `i` (the last point at or before it); the
    /// outer None: no point yet.
    pub fn at(&self, i: u32) -> Option<Option<u64>> {
        let n = self.points.partition_point(|p| p.0 <= i);
        n.checked_sub(1).map(|k| self.points[k].1)
    }

    /// Append a point, dropping it when the value did not change.
    pub fn push(&mut self, i: u32, v: Option<u64>) {
        if self.points.last().is_some_and(|p| p.1 == v) {
            return;
        }
        self.points.push((i, v));
    }
}

/// A process over the window.
#[derive(Debug, Clone, Default)]
pub struct ProcessHistory {
    pub id: i64,
    pub pid: i32,
    pub ppid: i32,
    pub start_ticks: u64,
    pub uid: Option<u32>,
    pub comm: Vec<u8>,
    pub cmdline: Vec<u8>,
    pub kernel_thread: bool,
    /// Index into [`History::workloads`].
    pub workload: Option<usize>,
    /// Scan indexes (into [`History::scans`]) of its first and last
    /// sighting within the window.
    pub first: u32,
    pub last: u32,
    /// First seen before the window started (it did not start in it).
    pub seen_before: bool,
    /// Seen gone by the recorder (after `last`, within the same run): it
    /// exited. False: alive at the end of the window, or the recorder
    /// stopped.
    pub exited: bool,
    /// One series per [`ProcMetric`], in `ProcMetric::ALL` order.
    pub series: Vec<Series>,
}

impl ProcessHistory {
    pub fn series(&self, m: ProcMetric) -> &Series {
        &self.series[m as usize]
    }
}

#[derive(Debug, Clone, Default)]
pub struct WorkloadHistory {
    pub id: i64,
    pub key: WorkloadKey,
    /// One series per [`WorkloadMetric`] (empty for a group by name).
    pub series: Vec<Series>,
}

impl WorkloadHistory {
    pub fn series(&self, m: WorkloadMetric) -> Option<&Series> {
        self.series.get(m as usize)
    }
}

/// What could not be read back, and why (a damaged file is read as far
/// as it goes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The table or step: `samples`, `integrity`, `processes`, ...
    pub part: String,
    /// SQLite's own message.
    pub detail: String,
}

/// A window of the recording.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub runs: Vec<Run>,
    /// Every scan in the window, oldest first.
    pub scans: Vec<ScanInfo>,
    pub processes: Vec<ProcessHistory>,
    pub workloads: Vec<WorkloadHistory>,
    pub ooms: Vec<OomEvent>,
    pub damage: Vec<Damage>,
    /// Scans in the window that were merged to keep at most the asked
    /// resolution (0: every scan is here).
    pub thinned_from: usize,
}

/// The totals of a recording run so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub scans: u64,
    pub process_rows: u64,
    /// Processes first seen by this run.
    pub processes: u64,
    pub ooms: u64,
    pub dropped_scans: u64,
    /// The file's size (database and WAL).
    pub bytes: u64,
    /// The targets asked for (0: the whole host).
    pub targets: usize,
    pub targets_gone: bool,
}
