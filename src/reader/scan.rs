//! The whole-table scan behind `top`, `doctor` (and the exporter later):
//! for every process, the few numbers that rank a host, read with as few
//! syscalls as the kernel allows.
//!
//! Per process: `stat` (pid, ppid, name, state, RSS, threads, CPU time,
//! start time), `status` (effective uid, context switches), one stat() of
//! the `fd` directory (its size is the descriptor count on Linux >= 6.2),
//! RLIMIT_NOFILE (prlimit(2) where allowed, else `limits`) and `cmdline`.
//! Everything else is read relative to an O_PATH descriptor on `/proc/PID`,
//! so a PID reused mid-scan cannot mix two processes' data.
//!
//! A [`Scanner`] used for repeated scans (the TUI, `doctor --sample`) keeps
//! each process's files open and re-reads them with pread at offset 0: the
//! kernel regenerates the text, and the open and close are saved (about
//! 1 µs per file on a 2-core VM with Linux 6.18: docs/performance.md).
//! `status` is re-read only for processes whose main thread ran since the
//! last scan; the command line and the limit every few scans.
//!
//! Processes that vanish during the scan are skipped and counted; fields
//! that cannot be read are `Err(Missing)`, never 0.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rustc_hash::FxHashMap;
use rustix::fs::{Mode, OFlags, openat};
use rustix::io::Errno as RErrno;

use super::{ProcFs, pread_all};
use crate::error::ReadError;
use crate::parse;

/// Why a field has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// The kernel refused (another user's process, hidepid, a security module).
    PermissionDenied,
    /// The field does not exist for this process (kernel thread, zombie).
    NotApplicable,
    /// The file was there but unreadable or malformed.
    Error,
}

impl Missing {
    pub fn as_str(self) -> &'static str {
        match self {
            Missing::PermissionDenied => "permission_denied",
            Missing::NotApplicable => "not_applicable",
            Missing::Error => "error",
        }
    }
}

pub type Field<T> = Result<T, Missing>;

/// Longest command line kept per process: enough for any table cell and
/// for recognising a program; a 100 KiB Java class path is cut here.
pub const CMDLINE_CAP: usize = 4096;

/// Re-read the command line and the limits every this many scans of a
/// kept-open process: programs such as postgres and nginx rewrite their
/// command line after starting, and `prlimit` can change a limit, but
/// neither moves every second. Saves a third of a refresh's kernel time
/// (`limits` is formatted line by line by the kernel).
const SLOW_EVERY: u32 = 5;

/// One process as one scan saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRow {
    pub pid: i32,
    pub ppid: i32,
    /// comm, raw bytes as the kernel stores them.
    pub name: Vec<u8>,
    pub state: u8,
    pub kernel_thread: bool,
    /// Clock ticks since boot: with the pid, the process's identity.
    pub start_ticks: u64,
    /// utime + stime, clock ticks.
    pub cpu_ticks: u64,
    /// stime alone (kernel mode), clock ticks; `cpu_ticks - system_ticks`
    /// is the user time.
    pub system_ticks: u64,
    pub rss_bytes: u64,
    pub threads: u64,
    /// Effective uid.
    pub uid: Field<u32>,
    /// Voluntary + nonvoluntary context switches of the main thread
    /// (`status`; the kernel keeps no per-process sum).
    pub switches: Field<u64>,
    pub fds: Field<u64>,
    /// Soft RLIMIT_NOFILE; `Ok(None)` is unlimited.
    pub fd_soft_limit: Field<Option<u64>>,
    /// NUL-separated arguments, at most [`CMDLINE_CAP`] bytes; empty for
    /// kernel threads and zombies.
    pub cmdline: Field<Vec<u8>>,
    /// The command line was longer than [`CMDLINE_CAP`].
    pub cmdline_truncated: bool,
    /// `io`'s (read_bytes, write_bytes), storage I/O of the whole process;
    /// read only by a scanner made [`Scanner::with_io`] (else
    /// `NotApplicable`).
    pub io: Field<(u64, u64)>,
    /// Values only some of `top`'s columns show.
    pub extra: RowExtra,
}

/// Values only some of `top`'s columns show (NI, VIRT, TTY from `stat`,
/// SHR from `status`, the cgroup lines when asked for). A row that does
/// not have them (a recorded one) holds `NotApplicable`.
#[derive(Debug, Clone, PartialEq)]
pub struct RowExtra {
    /// The nice value (stat).
    pub nice: Field<i64>,
    /// Virtual memory size in bytes (stat's vsize; none for kernel threads).
    pub vsize_bytes: Field<u64>,
    /// The controlling terminal's device number (stat's tty_nr; 0: none).
    pub tty_nr: Field<i32>,
    /// RssFile + RssShmem in bytes (status).
    pub shared_bytes: Field<u64>,
    /// `/proc/PID/cgroup` as read, by a scanner that reads cgroups
    /// ([`Scanner::set_reads`]); else `NotApplicable`.
    pub cgroup: Field<std::sync::Arc<[u8]>>,
}

impl Default for RowExtra {
    fn default() -> Self {
        RowExtra {
            nice: Err(Missing::NotApplicable),
            vsize_bytes: Err(Missing::NotApplicable),
            tty_nr: Err(Missing::NotApplicable),
            shared_bytes: Err(Missing::NotApplicable),
            cgroup: Err(Missing::NotApplicable),
        }
    }
}

/// What a scanner reads besides the fields every scan has (the columns
/// `top` shows ask for them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reads {
    /// `io` at every scan.
    pub io: bool,
    /// `cgroup` at a process's first scan and every few scans.
    pub cgroups: bool,
    /// `status` at every scan, not only when the main thread ran (SHR
    /// can change while the main thread sleeps).
    pub status_every_scan: bool,
}

impl ScanRow {
    /// Fields that could not be read, with why.
    pub fn unavailable(&self) -> Vec<(&'static str, Missing)> {
        let mut v = Vec::new();
        let mut check = |name, r: Result<(), Missing>| {
            if let Err(m) = r {
                v.push((name, m));
            }
        };
        check("user", self.uid.map(|_| ()));
        check("switches", self.switches.map(|_| ()));
        check("fds", self.fds.map(|_| ()));
        check("fd_soft_limit", self.fd_soft_limit.map(|_| ()));
        check("cmdline", self.cmdline.as_ref().map(|_| ()).map_err(|m| *m));
        v
    }

    pub fn denied(&self) -> bool {
        let refused = |m: Option<Missing>| m == Some(Missing::PermissionDenied);
        refused(self.uid.err())
            || refused(self.switches.err())
            || refused(self.fds.err())
            || refused(self.fd_soft_limit.err())
            || refused(self.cmdline.as_ref().err().copied())
    }
}

/// One pass over the process table.
#[derive(Debug, Clone)]
pub struct Scan {
    /// Sorted by pid.
    pub rows: Vec<ScanRow>,
    /// Monotonic time of the scan (its middle is not known; rates use the
    /// start of each scan, and a scan is short next to its interval).
    pub taken: Instant,
    /// Wall-clock time of the scan's start.
    pub wall: Option<std::time::SystemTime>,
    /// When the host booted, seconds since the epoch (`btime`): start
    /// times of processes are placed against it.
    pub boot_unix: Option<u64>,
    /// Seconds since boot when the scan started, for lifetime averages.
    pub uptime_secs: Option<f64>,
    /// Listed in /proc but gone before they could be read.
    pub exited: usize,
    /// Listed, but `stat` was refused or malformed: not even identified.
    pub unreadable: usize,
    /// Some of the unreadable ones failed because proctor itself was out
    /// of descriptors (EMFILE, ENFILE): its own error, not theirs.
    pub out_of_fds: bool,
    /// The kubelet's names of the scan's pods and containers, when asked
    /// for ([`super::pods::PodNameCache`]: the WORKLOAD column).
    pub pods: Option<std::sync::Arc<super::pods::KubeletNames>>,
}

impl Scan {
    /// A scan of nothing, taken at `taken` (a view before its first scan).
    pub fn empty(taken: Instant) -> Scan {
        Scan {
            rows: Vec::new(),
            taken,
            wall: None,
            boot_unix: None,
            uptime_secs: None,
            exited: 0,
            unreadable: 0,
            out_of_fds: false,
            pods: None,
        }
    }

    /// Processes with at least one field the kernel refused.
    pub fn permission_denied(&self) -> usize {
        self.rows.iter().filter(|r| r.denied()).count()
    }

    pub fn find(&self, pid: i32) -> Option<&ScanRow> {
        self.rows
            .binary_search_by_key(&pid, |r| r.pid)
            .ok()
            .and_then(|i| self.rows.get(i))
    }
}

/// Files of one process kept open between scans.
struct Handle {
    start_ticks: u64,
    dir: OwnedFd,
    stat: OwnedFd,
    status: Option<OwnedFd>,
    limits: Option<OwnedFd>,
    /// `schedstat` of the main thread, when kept open: its run time tells
    /// whether the thread ran at all since the last scan.
    schedstat: Option<OwnedFd>,
    last_runtime: Option<u64>,
    /// `io`, kept open by a [`Scanner::with_io`] scanner.
    io: Option<OwnedFd>,
    switches: Field<u64>,
    shared: Field<u64>,
    cgroup: Field<std::sync::Arc<[u8]>>,
    uid: Field<u32>,
    cmdline: Field<Vec<u8>>,
    cmdline_truncated: bool,
    fd_soft_limit: Field<Option<u64>>,
    /// Scans since the command line and limits were last read.
    cmdline_age: u32,
    /// Scan number this handle was last seen in.
    seen: u64,
}

impl Handle {
    /// Descriptors this handle holds open (2 to 5).
    fn files(&self) -> usize {
        2 + usize::from(self.status.is_some())
            + usize::from(self.io.is_some())
            + usize::from(self.limits.is_some())
            + usize::from(self.schedstat.is_some())
    }
}

/// Descriptors a first read of one process holds at once (the directory,
/// stat, schedstat, status, io, limits, then cmdline or the fd listing),
/// per worker.
const IN_FLIGHT_FILES: usize = 8;

/// Descriptors left for everything else proctor holds (standard streams,
/// the terminal and its event queue, signal pipes, the process list, the
/// `top` watch panel's sampler), or a quarter of the limit if more.
const RESERVED_FILES: usize = 32;

/// (workers, descriptors the kept-open handles may hold in all) under a
/// soft RLIMIT_NOFILE of `limit`: the reserve and each worker's reads in
/// flight come first; what remains is the budget. With too few
/// descriptors, fewer workers, and no files kept (every process is
/// reopened at each scan): processes are never lost to EMFILE.
fn file_budget(limit: usize, workers: usize, keep_open: bool) -> (usize, usize) {
    let spare = limit.saturating_sub(RESERVED_FILES.max(limit / 4));
    let workers = workers.min(spare / IN_FLIGHT_FILES).max(1);
    let budget = if keep_open {
        spare.saturating_sub(workers * IN_FLIGHT_FILES)
    } else {
        0
    };
    (workers, budget)
}

/// Per-worker state: its share of the handles, the descriptors they hold,
/// and a read buffer.
#[derive(Default)]
struct Shard {
    handles: FxHashMap<i32, Handle>,
    files: usize,
    buf: Vec<u8>,
}

/// Scans the process table, once or repeatedly.
pub struct Scanner {
    root: OwnedFd,
    /// PIDs under the root are this namespace's (the live /proc of our
    /// own PID namespace): prlimit(2) may be asked about them.
    use_prlimit: bool,
    fd_size_is_count: bool,
    page: u64,
    keep_open: bool,
    workers: usize,
    shards: Vec<Shard>,
    scans: u64,
    /// How many descriptors the kept-open handles may hold in all (a
    /// process holds 2 to 5), from proctor's own RLIMIT_NOFILE.
    open_budget: usize,
    /// [`Scanner::lean`].
    lean: bool,
    /// [`Scanner::with_io`], [`Scanner::set_reads`].
    io: bool,
    cgroups: bool,
    status_every_scan: bool,
    /// `btime`, read at the first scan.
    boot_unix: Option<u64>,
}

enum Outcome {
    Row(Box<ScanRow>),
    Exited,
    /// Alive but its `stat` could not be read or parsed.
    Unreadable,
}

fn is_gone(e: RErrno) -> bool {
    e == RErrno::NOENT || e == RErrno::SRCH
}

/// A process whose `stat` could not be read; proctor's own descriptor
/// limit is told apart (the scan reports it, `doctor` and `top` stop).
fn unreadable(ctx: &Ctx<'_>, e: RErrno) -> Outcome {
    if e == RErrno::MFILE || e == RErrno::NFILE {
        ctx.out_of_fds
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Outcome::Unreadable
}

fn missing(e: RErrno) -> Missing {
    if e == RErrno::ACCESS || e == RErrno::PERM {
        Missing::PermissionDenied
    } else {
        Missing::Error
    }
}

/// Open a process file as the reader opens every file (O_NONBLOCK, and
/// refused unless a regular file: a fixture tree may hold a FIFO or a
/// device); a refusal is ENXIO here.
fn open_rel(dir: &OwnedFd, name: &std::ffi::CStr) -> Result<OwnedFd, RErrno> {
    super::open_read(dir, name, true).map_err(|e| {
        e.raw_os_error()
            .map_or(RErrno::NXIO, RErrno::from_raw_os_error)
    })
}

impl Scanner {
    /// A scanner over `fs`. With `keep_open`, files stay open between
    /// scans (for repeated scans); `workers` threads share the table.
    pub fn new(fs: &ProcFs, keep_open: bool, workers: usize) -> Result<Scanner, ReadError> {
        let root = openat(
            rustix::fs::CWD,
            fs.proc_root(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| super::sys_error(fs.proc_root(), &e.into(), "process list"))?;
        let on_procfs = rustix::fs::fstatfs(&root).is_ok_and(|s| super::is_procfs(&s));
        let workers = workers.clamp(1, 8);
        if keep_open {
            // Raise our own soft limit to the hard one (always allowed).
            let lim = rustix::process::getrlimit(rustix::process::Resource::Nofile);
            if let Some(hard) = lim.maximum {
                let _ = rustix::process::setrlimit(
                    rustix::process::Resource::Nofile,
                    rustix::process::Rlimit {
                        current: Some(hard),
                        maximum: Some(hard),
                    },
                );
            }
        }
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .map_or(1 << 20, |l| usize::try_from(l).unwrap_or(usize::MAX));
        let (workers, open_budget) = file_budget(limit, workers, keep_open);
        // A fixture tree's or another namespace's PIDs name other
        // processes here: prlimit only on our own namespace's procfs.
        let use_prlimit =
            fs.own_pid_in_root() == Some(rustix::process::getpid().as_raw_nonzero().get());
        Ok(Scanner {
            root,
            use_prlimit,
            fd_size_is_count: on_procfs && super::kernel_counts_fds_in_stat(),
            page: super::page_size(),
            keep_open,
            workers,
            shards: (0..workers).map(|_| Shard::default()).collect(),
            scans: 0,
            open_budget,
            lean: false,
            io: false,
            cgroups: false,
            status_every_scan: false,
            boot_unix: None,
        })
    }

    /// For a caller that uses neither the context switches, the uid nor
    /// the command line after a process's first scan (the exporter, which
    /// classifies a process once): `status` and `cmdline` are read at a
    /// process's first scan only, and neither `status` nor `schedstat` is
    /// kept open; later rows carry the values of that first read. Each
    /// repeated scan then reads `stat`, one stat() of `fd`, and the limit
    /// every few scans.
    pub fn lean(mut self) -> Scanner {
        self.lean = true;
        self
    }

    /// Also read each process's `io` (read_bytes, write_bytes) at every
    /// scan, kept open (the recorder's I/O columns). Every scan, not only
    /// when the main thread ran: `io` sums all threads.
    pub fn with_io(mut self) -> Scanner {
        self.io = true;
        self
    }

    /// What to read besides the usual fields, from the next scan on.
    /// What the scans read besides the table's own columns.
    pub fn reads(&self) -> Reads {
        Reads {
            io: self.io,
            cgroups: self.cgroups,
            status_every_scan: self.status_every_scan,
        }
    }

    pub fn set_reads(&mut self, r: Reads) {
        self.io = r.io;
        self.cgroups = r.cgroups;
        self.status_every_scan = r.status_every_scan;
    }

    /// The number of worker threads a one-off scan should use: the cores,
    /// at most 4 (the kernel work per process is short; more threads
    /// only contend).
    pub fn default_workers() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(4)
    }

    /// Two passes `apart` (between their starts), for rates and growth:
    /// (earlier, later). The wait between them ends early when `stop` is
    /// set (Ctrl-C): then the later scan is None and the caller reports
    /// what the first one saw.
    pub fn scan_twice(
        &mut self,
        fs: &ProcFs,
        apart: std::time::Duration,
        stop: &AtomicBool,
    ) -> Result<(Scan, Option<Scan>), ReadError> {
        let first = self.scan(fs)?;
        // Sleep in short slices so that Ctrl-C is noticed promptly.
        let slice = std::time::Duration::from_millis(50);
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok((first, None));
            }
            let left = apart.saturating_sub(first.taken.elapsed());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(slice));
        }
        let second = self.scan(fs)?;
        Ok((first, Some(second)))
    }

    /// One pass over the process table.
    pub fn scan(&mut self, fs: &ProcFs) -> Result<Scan, ReadError> {
        let taken = Instant::now();
        let wall = Some(std::time::SystemTime::now());
        // Read once: the boot time does not change.
        if self.boot_unix.is_none() {
            self.boot_unix = fs.boot_time().ok();
        }
        let uptime_secs = fs.uptime().ok();
        let mut pids = fs.pids()?;
        pids.sort_unstable();
        self.scans += 1;
        let scan_no = self.scans;
        // With files kept open, a process must stay with its worker (its
        // handles live in that worker's shard): fixed n, pid modulo n.
        let n = if self.keep_open {
            self.workers
        } else {
            self.workers.min(pids.len().div_ceil(256)).max(1)
        };
        let per_shard_budget = self.open_budget / self.workers.max(1);
        let ctx = Ctx {
            root: &self.root,
            use_prlimit: self.use_prlimit,
            fd_size_is_count: self.fd_size_is_count,
            page: self.page,
            keep_open: self.keep_open,
            lean: self.lean,
            io: self.io,
            cgroups: self.cgroups,
            status_every_scan: self.status_every_scan,
            budget: per_shard_budget,
            scan_no,
            out_of_fds: std::sync::atomic::AtomicBool::new(false),
        };
        // Each worker owns the pids equal to its number modulo n, and the
        // matching shard of kept-open handles.
        let mut results: Vec<(Vec<ScanRow>, usize, usize)> = Vec::with_capacity(n);
        if n == 1 {
            let shard = &mut self.shards[0];
            results.push(ctx.run(shard, pids.iter().copied()));
        } else {
            let ctx = &ctx;
            let pids = &pids;
            std::thread::scope(|s| {
                let handles: Vec<_> = self
                    .shards
                    .iter_mut()
                    .take(n)
                    .enumerate()
                    .map(|(w, shard)| {
                        s.spawn(move || {
                            ctx.run(
                                shard,
                                pids.iter()
                                    .copied()
                                    .filter(|p| p.rem_euclid(n as i32) == w as i32),
                            )
                        })
                    })
                    .collect();
                for h in handles {
                    // A worker cannot panic on input (parsers never do); if
                    // one did, its share is lost rather than the program.
                    if let Ok(r) = h.join() {
                        results.push(r);
                    }
                }
            });
        }
        let mut rows = Vec::with_capacity(pids.len());
        let (mut exited, mut unreadable) = (0, 0);
        for (r, e, u) in results {
            rows.extend(r);
            exited += e;
            unreadable += u;
        }
        rows.sort_unstable_by_key(|r| r.pid);
        // Forget processes not seen in this scan (exited).
        for shard in &mut self.shards {
            shard.handles.retain(|_, h| h.seen == scan_no);
            shard.files = shard.handles.values().map(Handle::files).sum();
        }
        Ok(Scan {
            rows,
            taken,
            wall,
            boot_unix: self.boot_unix,
            uptime_secs,
            exited,
            unreadable,
            out_of_fds: ctx.out_of_fds.into_inner(),
            pods: None,
        })
    }
}

struct Ctx<'a> {
    root: &'a OwnedFd,
    use_prlimit: bool,
    fd_size_is_count: bool,
    page: u64,
    keep_open: bool,
    lean: bool,
    io: bool,
    cgroups: bool,
    status_every_scan: bool,
    budget: usize,
    scan_no: u64,
    /// Set by any worker that met EMFILE/ENFILE.
    out_of_fds: std::sync::atomic::AtomicBool,
}

impl Ctx<'_> {
    fn run(
        &self,
        shard: &mut Shard,
        pids: impl Iterator<Item = i32>,
    ) -> (Vec<ScanRow>, usize, usize) {
        let mut rows = Vec::new();
        let (mut exited, mut unreadable) = (0, 0);
        let Shard {
            handles,
            files,
            buf,
        } = shard;
        for pid in pids {
            let outcome = match handles.remove(&pid) {
                Some(h) => {
                    *files = files.saturating_sub(h.files());
                    self.again(pid, h, buf, handles, files)
                }
                None => self.fresh(pid, buf, handles, files),
            };
            match outcome {
                Outcome::Row(r) => rows.push(*r),
                Outcome::Exited => exited += 1,
                Outcome::Unreadable => unreadable += 1,
            }
        }
        (rows, exited, unreadable)
    }

    /// Re-read a process whose files are open.
    fn again(
        &self,
        pid: i32,
        mut h: Handle,
        buf: &mut Vec<u8>,
        handles: &mut FxHashMap<i32, Handle>,
        files: &mut usize,
    ) -> Outcome {
        let stat = match pread_all(&h.stat, buf) {
            Ok(()) => parse::stat::parse(buf).ok(),
            Err(_) => None,
        };
        let Some(stat) = stat.filter(|s| s.starttime == h.start_ticks) else {
            // Gone (the listing may already show a new process with this
            // PID) or replaced: start afresh.
            drop(h);
            return self.fresh(pid, buf, handles, files);
        };
        // A thread that has not run since the last scan has not switched:
        // its run time (schedstat, a few bytes) unchanged, the count in
        // `status` (the costliest file here to format) is not re-read.
        // Lean: never re-read (no schedstat or status kept open).
        let runtime = h.schedstat.as_ref().and_then(|fd| run_time(fd, buf));
        let idle = self.lean
            || (!self.status_every_scan
                && runtime.is_some()
                && runtime == h.last_runtime
                && h.switches.is_ok());
        h.last_runtime = runtime;
        if !idle {
            h.switches = match &h.status {
                Some(fd) => match pread_all(fd, buf) {
                    Ok(()) => {
                        // A daemon may drop privileges (setuid) after starting.
                        h.uid = parse::status::effective_uid(buf).ok_or(Missing::Error);
                        h.shared = shared_of(buf, &stat);
                        parse::status::total_switches(buf).ok_or(Missing::Error)
                    }
                    Err(e) if is_gone(e) => return Outcome::Exited,
                    Err(e) => Err(missing(e)),
                },
                // Not opened at the first scan: keep that reason.
                None => h.switches,
            };
        }
        let switches = h.switches;
        h.cmdline_age += 1;
        let slow_due = h.cmdline_age >= SLOW_EVERY;
        if slow_due {
            h.fd_soft_limit = match &h.limits {
                Some(fd) => match pread_all(fd, buf) {
                    Ok(()) => parse::limits::nofile_soft(buf).ok_or(Missing::Error),
                    Err(e) if is_gone(e) => return Outcome::Exited,
                    Err(e) => Err(missing(e)),
                },
                None if self.use_prlimit => prlimit_nofile(pid).map_or(h.fd_soft_limit, Ok),
                None => h.fd_soft_limit,
            };
        }
        let fd_soft_limit = h.fd_soft_limit;
        if stat.state == b'Z' {
            // A zombie has no command line any more (not the cached one).
            h.cmdline = Ok(Vec::new());
            h.cmdline_truncated = false;
        } else if slow_due && !self.lean {
            let (c, t) = read_cmdline(&h.dir, buf, &stat);
            h.cmdline = c;
            h.cmdline_truncated = t;
            h.cmdline_age = 0;
        } else if slow_due {
            h.cmdline_age = 0;
        }
        if self.cgroups && (slow_due || h.cgroup == Err(Missing::NotApplicable)) {
            h.cgroup = read_cgroup(&h.dir, buf);
        }
        let fds = self.fd_count(&h.dir, &stat);
        let io = match &h.io {
            Some(fd) => match pread_all(fd, buf) {
                Ok(()) => parse_io(buf),
                Err(e) if is_gone(e) => return Outcome::Exited,
                Err(e) => Err(missing(e)),
            },
            None if self.io => {
                let (fd, v) = self.open_io(&h.dir, buf);
                // Kept from now on while the budget has room for it.
                if *files + h.files() < self.budget {
                    h.io = fd;
                }
                v
            }
            None => Err(Missing::NotApplicable),
        };
        let row = self.row(stat, &h, switches, fds, fd_soft_limit, io);
        h.seen = self.scan_no;
        // It was within the budget before: its files are the same.
        *files += h.files();
        handles.insert(pid, h);
        Outcome::Row(Box::new(row))
    }

    /// Open and read a process seen for the first time.
    fn fresh(
        &self,
        pid: i32,
        buf: &mut Vec<u8>,
        handles: &mut FxHashMap<i32, Handle>,
        files: &mut usize,
    ) -> Outcome {
        let name = std::ffi::CString::new(pid.to_string()).unwrap_or_default();
        let dir = match openat(
            self.root,
            name.as_c_str(),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(d) => d,
            Err(e) if is_gone(e) => return Outcome::Exited,
            // EACCES, EMFILE...: there, but not readable now.
            Err(e) => return unreadable(self, e),
        };
        let stat_fd = match open_rel(&dir, c"stat") {
            Ok(fd) => fd,
            Err(e) if is_gone(e) => return Outcome::Exited,
            Err(e) => return unreadable(self, e),
        };
        let stat = match pread_all(&stat_fd, buf) {
            Ok(()) if buf.is_empty() => return Outcome::Exited,
            Ok(()) => match parse::stat::parse(buf) {
                Ok(s) => s,
                Err(_) => return Outcome::Unreadable,
            },
            Err(e) if is_gone(e) => return Outcome::Exited,
            Err(e) => return unreadable(self, e),
        };
        // A file missing while the process lives (an older kernel, a
        // partial fixture) is an unreadable field; missing because the
        // process died, the process is skipped.
        let alive = |buf: &mut Vec<u8>| pread_all(&stat_fd, buf).is_ok() && !buf.is_empty();
        // The run time first: read after `status`, a switch between the
        // two reads would be missed at the next scan.
        let (schedstat, last_runtime) = if self.keep_open && !self.lean {
            match open_rel(&dir, c"schedstat") {
                Ok(fd) => {
                    let rt = run_time(&fd, buf);
                    (Some(fd), rt)
                }
                Err(_) => (None, None),
            }
        } else {
            (None, None)
        };
        let (status_fd, uid, switches, shared) = match open_rel(&dir, c"status") {
            Ok(fd) => match pread_all(&fd, buf) {
                Ok(()) => (
                    // Lean: read once, not kept.
                    (!self.lean).then_some(fd),
                    parse::status::effective_uid(buf).ok_or(Missing::Error),
                    parse::status::total_switches(buf).ok_or(Missing::Error),
                    shared_of(buf, &stat),
                ),
                Err(e) if is_gone(e) && !alive(buf) => return Outcome::Exited,
                Err(e) => (None, Err(missing(e)), Err(missing(e)), Err(missing(e))),
            },
            Err(e) if is_gone(e) && !alive(buf) => return Outcome::Exited,
            Err(e) => (None, Err(missing(e)), Err(missing(e)), Err(missing(e))),
        };
        // RLIMIT_NOFILE by prlimit(2) when allowed (one syscall; the
        // kernel formats `limits`, 16 lines, for 7 us a process, a fifth of
        // a whole scan). prlimit names the process by PID, not through our
        // descriptor: the fd count read below through the descriptor proves
        // the process was still alive after the call, so the PID was still
        // its own (a PID is reused only once its process is gone).
        let by_syscall = if self.use_prlimit {
            prlimit_nofile(pid)
        } else {
            None
        };
        let (limits_fd, fd_soft_limit) = match by_syscall {
            Some(soft) => (None, Ok(soft)),
            None => match open_rel(&dir, c"limits") {
                Ok(fd) => match pread_all(&fd, buf) {
                    Ok(()) => {
                        let l = parse::limits::nofile_soft(buf).ok_or(Missing::Error);
                        (Some(fd), l)
                    }
                    Err(e) if is_gone(e) && !alive(buf) => return Outcome::Exited,
                    Err(e) => (None, Err(missing(e))),
                },
                Err(e) if is_gone(e) && !alive(buf) => return Outcome::Exited,
                Err(e) => (None, Err(missing(e))),
            },
        };
        let (cmdline, cmdline_truncated) = read_cmdline(&dir, buf, &stat);
        let fds = self.fd_count(&dir, &stat);
        let (io_fd, io) = if self.io {
            self.open_io(&dir, buf)
        } else {
            (None, Err(Missing::NotApplicable))
        };
        let cgroup = if self.cgroups {
            read_cgroup(&dir, buf)
        } else {
            Err(Missing::NotApplicable)
        };
        // A process that exited after its stat was read shows failed or
        // empty fields: skip it (counted as exited) rather than show them.
        let user = !stat.is_kernel_thread() && stat.state != b'Z' && stat.state != b'X';
        let suspicious = user
            && (fds.is_err() || cmdline.as_ref().is_ok_and(Vec::is_empty) || switches.is_err());
        if suspicious && !alive(buf) {
            return Outcome::Exited;
        }
        let h = Handle {
            start_ticks: stat.starttime,
            dir,
            stat: stat_fd,
            status: status_fd,
            limits: limits_fd,
            schedstat,
            last_runtime,
            io: io_fd.filter(|_| self.keep_open),
            switches,
            shared,
            cgroup,
            uid,
            cmdline,
            cmdline_truncated,
            fd_soft_limit,
            cmdline_age: 0,
            seen: self.scan_no,
        };
        let row = self.row(stat, &h, switches, fds, fd_soft_limit, io);
        // Kept open while the budget has room for its files; beyond, the
        // process is reopened at each scan (never dropped).
        if self.keep_open && *files + h.files() <= self.budget {
            *files += h.files();
            handles.insert(pid, h);
        }
        Outcome::Row(Box::new(row))
    }

    fn row(
        &self,
        stat: parse::stat::Stat,
        h: &Handle,
        switches: Field<u64>,
        fds: Field<u64>,
        fd_soft_limit: Field<Option<u64>>,
        io: Field<(u64, u64)>,
    ) -> ScanRow {
        let kernel_thread = stat.is_kernel_thread();
        let user_memory = !kernel_thread && stat.state != b'Z' && stat.state != b'X';
        let extra = RowExtra {
            nice: Ok(stat.nice),
            vsize_bytes: if user_memory {
                Ok(stat.vsize)
            } else {
                Err(Missing::NotApplicable)
            },
            tty_nr: stat.tty_nr.ok_or(Missing::Error),
            shared_bytes: h.shared,
            cgroup: h.cgroup.clone(),
        };
        ScanRow {
            pid: stat.pid,
            ppid: stat.ppid,
            kernel_thread,
            state: stat.state,
            start_ticks: stat.starttime,
            cpu_ticks: stat.utime.saturating_add(stat.stime),
            system_ticks: stat.stime,
            rss_bytes: stat.rss_pages.saturating_mul(self.page),
            threads: stat.num_threads,
            uid: h.uid,
            switches,
            fds,
            fd_soft_limit,
            cmdline: h.cmdline.clone(),
            cmdline_truncated: h.cmdline_truncated,
            name: stat.comm,
            io,
            extra,
        }
    }

    /// Open and read `io` (kernel threads have none worth reading: zeros).
    fn open_io(&self, dir: &OwnedFd, buf: &mut Vec<u8>) -> (Option<OwnedFd>, Field<(u64, u64)>) {
        match open_rel(dir, c"io") {
            Ok(fd) => match pread_all(&fd, buf) {
                Ok(()) => {
                    let v = parse_io(buf);
                    (Some(fd), v)
                }
                Err(e) => (None, Err(missing(e))),
            },
            Err(e) => (None, Err(missing(e))),
        }
    }

    /// The descriptor count: one stat() on Linux >= 6.2 procfs, a listing
    /// otherwise (older kernels, fixture trees); none for kernel threads
    /// and zombies.
    fn fd_count(&self, dir: &OwnedFd, stat: &parse::stat::Stat) -> Field<u64> {
        if stat.is_kernel_thread() || stat.state == b'Z' || stat.state == b'X' {
            return Err(Missing::NotApplicable);
        }
        super::process::count_fds(dir, self.fd_size_is_count).map_err(missing)
    }
}

/// The soft RLIMIT_NOFILE of `pid` by prlimit(2) (read only): None when
/// refused (another user's process without CAP_SYS_RESOURCE) or failed;
/// Some(None) for unlimited.
fn prlimit_nofile(pid: i32) -> Option<Option<u64>> {
    if pid <= 0 {
        // 0 would name proctor itself.
        return None;
    }
    let (mut soft, mut hard) = (0u64, 0u64);
    rlimit::prlimit(
        pid,
        rlimit::Resource::NOFILE,
        None,
        Some((&mut soft, &mut hard)),
    )
    .ok()?;
    Some((soft != rlimit::INFINITY).then_some(soft))
}

/// `io`'s read_bytes and write_bytes.
fn parse_io(buf: &[u8]) -> Field<(u64, u64)> {
    let r = parse::flat_keyed_checked(buf, "read_bytes:");
    let w = parse::flat_keyed_checked(buf, "write_bytes:");
    match (r, w) {
        (Ok(Some(r)), Ok(Some(w))) => Ok((r, w)),
        _ => Err(Missing::Error),
    }
}

/// SHR from a `status` just read: none for kernel threads and zombies
/// (no memory lines), an error when a user process's lines are broken.
fn shared_of(buf: &[u8], stat: &parse::stat::Stat) -> Field<u64> {
    if stat.is_kernel_thread() || stat.state == b'Z' || stat.state == b'X' {
        return Err(Missing::NotApplicable);
    }
    parse::status::shared_bytes(buf).ok_or(Missing::Error)
}

/// `/proc/PID/cgroup` as read (bounded by the reader's cap).
fn read_cgroup(dir: &OwnedFd, buf: &mut Vec<u8>) -> Field<std::sync::Arc<[u8]>> {
    let fd = open_rel(dir, c"cgroup").map_err(missing)?;
    pread_all(&fd, buf).map_err(missing)?;
    Ok(std::sync::Arc::from(buf.as_slice()))
}

/// The main thread's run time in ns, read from `schedstat`.
fn run_time(fd: &OwnedFd, buf: &mut Vec<u8>) -> Option<u64> {
    pread_all(fd, buf).ok()?;
    parse::schedstat::run_time_ns(buf)
}

/// Read at most [`CMDLINE_CAP`] bytes of the command line: (arguments,
/// truncated).
fn read_cmdline(
    dir: &OwnedFd,
    buf: &mut Vec<u8>,
    stat: &parse::stat::Stat,
) -> (Field<Vec<u8>>, bool) {
    if stat.is_kernel_thread() {
        return (Ok(Vec::new()), false);
    }
    let fd = match open_rel(dir, c"cmdline") {
        Ok(fd) => fd,
        Err(e) if is_gone(e) => return (Ok(Vec::new()), false),
        Err(e) => return (Err(missing(e)), false),
    };
    // cmdline is not a seq_file: a read returns what is asked for, page
    // by page. Read up to the cap plus one byte, to detect truncation.
    buf.clear();
    buf.resize(CMDLINE_CAP + 1, 0);
    let mut total = 0usize;
    while total < buf.len() {
        match rustix::io::read(&fd, &mut buf[total..]) {
            Ok(0) => break,
            // The kernel fills the request unless the end came first: a
            // short read is the end (saves a read per process).
            Ok(n) if total + n < buf.len() => {
                total += n;
                break;
            }
            Ok(n) => total += n,
            Err(RErrno::INTR) => continue,
            Err(e) if is_gone(e) => return (Ok(Vec::new()), false),
            Err(e) => return (Err(missing(e)), false),
        }
    }
    let truncated = total > CMDLINE_CAP;
    (Ok(buf[..total.min(CMDLINE_CAP)].to_vec()), truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_budget_leaves_room_for_reads_in_flight() {
        // The host's 20,000: a quarter kept back, then each worker's reads.
        assert_eq!(
            file_budget(20_000, 2, true),
            (2, 15_000 - 2 * IN_FLIGHT_FILES)
        );
        // 64: the reserve (32) and two workers' reads come first.
        assert_eq!(file_budget(64, 2, true), (2, 32 - 2 * IN_FLIGHT_FILES));
        // 16: below the reserve, one worker and nothing kept open (every
        // process reopened at each scan, none lost to EMFILE).
        assert_eq!(file_budget(16, 4, true), (1, 0));
        assert_eq!(file_budget(0, 4, true), (1, 0));
        // One-off scans keep nothing.
        assert_eq!(file_budget(20_000, 4, false), (4, 0));
        // Never more workers than the descriptors allow: 48 leaves 16
        // past the reserve, two workers' reads in flight.
        assert_eq!(file_budget(48, 8, true).0, 2);
        assert_eq!(file_budget(47, 8, true).0, 1);
    }

    /// Descriptors kept open for our own process after two scans.
    fn kept_files(s: &Scanner) -> usize {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        s.shards
            .iter()
            .filter_map(|sh| sh.handles.get(&me))
            .map(Handle::files)
            .sum()
    }

    #[test]
    fn a_lean_scanner_keeps_neither_status_nor_schedstat_and_rows_keep_first_values() {
        let fs = ProcFs::new("/proc", "/sys");
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let mut full = Scanner::new(&fs, true, 1).unwrap();
        let mut lean = Scanner::new(&fs, true, 1).unwrap().lean();
        for _ in 0..2 {
            full.scan(&fs).unwrap();
        }
        let first = lean.scan(&fs).unwrap();
        let second = lean.scan(&fs).unwrap();
        // The full one keeps status and schedstat besides the directory
        // and stat; the lean one neither.
        assert_eq!(kept_files(&full) - kept_files(&lean), 2);
        let (a, b) = (first.find(me).unwrap(), second.find(me).unwrap());
        assert!(a.uid.is_ok() && a.switches.is_ok() && a.cmdline.is_ok());
        assert_eq!(
            (a.uid, a.switches, &a.cmdline),
            (b.uid, b.switches, &b.cmdline)
        );
        assert!(b.fds.is_ok() && b.fd_soft_limit.is_ok() && b.threads >= 1);
    }
}
