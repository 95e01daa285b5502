//! Cheap repeated sampling of one process for `watch` (and the `top` TUI's
//! watch panel), and the ceilings a leak runs into ([`Ceilings`]: the
//! limits and the usages they are compared with, raw; which applies is
//! `analysis::ceiling`). Files read at every sample (stat, statm,
//! smaps_rollup) are opened once and re-read with pread at offset 0: the
//! kernel regenerates them, and the open and close (about 3.5 µs of the
//! 16 µs a small /proc file costs, measured on a 2-core VM with Linux
//! 6.18) are saved on every sample.

use std::os::fd::OwnedFd;

use super::{ProcFs, Process};
use crate::error::ReadError;
use crate::parse::{self, net};

/// One sample; a metric that was not requested, or could not be read, is None.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    pub rss: Option<u64>,
    pub pss: Option<u64>,
    pub fds: Option<u64>,
    pub threads: Option<u64>,
    pub sockets: Option<u64>,
    pub close_wait: Option<u64>,
    pub maps: Option<u64>,
    /// A cgroup's working set (usage - inactive file), `watch --cgroup`.
    pub working_set: Option<u64>,
    /// A cgroup's tasks (pids.current), `watch --cgroup`.
    pub tasks: Option<u64>,
    /// Whether pss, sockets, close_wait and maps were read in this sample
    /// (else they repeat the last reading; see [`WATCH_DUTY`]).
    pub expensive_fresh: bool,
}

/// The metrics whose reading grows with the process or the host (smaps
/// rollup, a readlink per descriptor, the socket tables, every mapping)
/// are read again by `serve` only after this many times what their last
/// reading cost: at most ~1% of a core on them, whatever the interval.
/// `watch` paces them by [`WATCH_DUTY`].
pub const EXPENSIVE_DUTY: u32 = 100;

/// `watch` reads the expensive metrics again only after this many times
/// what their last reading cost in CPU time: at most 1/60 (1.7%) of a core
/// on them. A small process (a reading of 0.2 ms) is read at every sample
/// of a 100 ms watch; one with 19,000 descriptors and connections (a
/// first reading of ~60 ms, its links read whole; then ~40 ms, read
/// incrementally) every 2-4 s, at least the 8 fresh samples a verdict
/// needs within 30 s (bench/README.md, `watch-sockets.sh`).
pub const WATCH_DUTY: u32 = 60;

/// What to read at each sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted {
    pub rss: bool,
    pub pss: bool,
    pub fds: bool,
    pub threads: bool,
    pub sockets: bool,
    pub close_wait: bool,
    pub maps: bool,
}

/// How a watched process ended, as far as /proc can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// A zombie's exit status (wait status encoding); None when the kernel
    /// hides it (no ptrace access to the process).
    Zombie { status: Option<u64> },
    /// Gone from /proc (reaped): status unknown here.
    Gone,
}

pub struct Sampler {
    pub proc: Process,
    stat: OwnedFd,
    statm: Option<OwnedFd>,
    rollup: Option<OwnedFd>,
    wanted: Wanted,
    page: u64,
    fast_fd_count: bool,
    buf: Vec<u8>,
    /// Whether proctor may see the exit status (ptrace read access).
    status_visible: bool,
    /// Set when a read failed with permission denied.
    pub denied: bool,
    /// When the expensive metrics were last read, what that cost, and
    /// what they were.
    last_expensive: Option<(std::time::Instant, std::time::Duration, Sample)>,
    /// Each descriptor's socket inode (None: not a socket) as last read,
    /// by descriptor number, sorted; with the next one to read again.
    links: Vec<(i32, Option<u64>)>,
    recheck_at: usize,
}

/// Past this many descriptors, the links are read incrementally: each
/// reading lists the descriptors (one getdents pass), reads the links of
/// the new numbers and of one in [`RECHECK_SHARE`] of the known ones (in
/// turn), and keeps the rest. A number closed and reused by another kind
/// of file between two readings is seen within `RECHECK_SHARE` readings.
/// On 20,000 descriptors a reading then costs about 0.4x a full walk.
const INCREMENTAL_FDS: usize = 1024;
const RECHECK_SHARE: usize = 8;

fn pread_all(fd: &OwnedFd, buf: &mut Vec<u8>) -> std::io::Result<()> {
    super::pread_all(fd, buf).map_err(std::io::Error::from)
}

impl Sampler {
    pub fn new(proc: Process, wanted: Wanted) -> Result<Sampler, ReadError> {
        if proc.initial_stat().is_kernel_thread() {
            // statm reads all zeros there: an RSS of 0 is not a reading.
            return Err(ReadError::NotSupported {
                path: proc.path("stat"),
                detail: format!(
                    "PID {} is a kernel thread: it has no user memory, descriptors or sockets to watch",
                    proc.pid()
                ),
            });
        }
        let open = |rel: &std::ffi::CStr| proc.open_file(rel);
        let stat = open(c"stat")?;
        let statm = if wanted.rss {
            Some(open(c"statm")?)
        } else {
            None
        };
        let rollup = if wanted.pss {
            open(c"smaps_rollup").ok()
        } else {
            None
        };
        let fast_fd_count = super::kernel_counts_fds_in_stat() && proc.on_procfs();
        // environ needs the same access as the exit_code field of stat.
        let status_visible = proc.open_file(c"environ").is_ok();
        Ok(Sampler {
            proc,
            stat,
            statm,
            rollup,
            wanted,
            page: super::page_size(),
            fast_fd_count,
            buf: Vec::new(),
            status_visible,
            denied: false,
            last_expensive: None,
            links: Vec::new(),
            recheck_at: 0,
        })
    }

    /// Read one sample. `Ok(Err(ending))` when the process has ended.
    pub fn sample(&mut self) -> Result<Result<Sample, Ending>, ReadError> {
        let threads = match self.read_stat()? {
            Ok(t) => t,
            Err(ending) => return Ok(Err(ending)),
        };
        let mut s = Sample {
            threads: self.wanted.threads.then_some(threads),
            ..Sample::default()
        };
        let mut denied = false;
        if let Some(ending) = self.read_cheap(&mut s, &mut denied) {
            return Ok(Err(ending));
        }
        let due = self
            .last_expensive
            .as_ref()
            .is_none_or(|(at, cost, _)| at.elapsed() >= cost.saturating_mul(WATCH_DUTY));
        if !due {
            if let Some((_, _, last)) = &self.last_expensive {
                s.pss = last.pss;
                s.sockets = last.sockets;
                s.close_wait = last.close_wait;
                s.maps = last.maps;
            }
            self.denied |= denied;
            return Ok(Ok(s));
        }
        s.expensive_fresh = true;
        let began = thread_cpu();
        if let Some(ending) = self.read_expensive(&mut s, &mut denied) {
            return Ok(Err(ending));
        }
        self.denied |= denied;
        // The cost in this thread's CPU time, not wall time: on a loaded
        // machine the wall time of a reading grows with others' work, and
        // the share of a core is what the pacing bounds.
        let cost = thread_cpu().saturating_sub(began);
        self.last_expensive = Some((std::time::Instant::now(), cost, s.clone()));
        Ok(Ok(s))
    }

    /// Re-read stat: the thread count, or how the process ended (gone,
    /// its PID reused, a zombie).
    fn read_stat(&mut self) -> Result<Result<u64, Ending>, ReadError> {
        match pread_all(&self.stat, &mut self.buf) {
            Ok(()) if !self.buf.is_empty() => {}
            Ok(()) => return Ok(Err(Ending::Gone)),
            Err(e) if crate::error::classify(&e) == crate::error::Errno::Missing => {
                return Ok(Err(Ending::Gone));
            }
            Err(e) => {
                return Err(ReadError::Io {
                    path: self.proc.path("stat"),
                    message: e.to_string(),
                });
            }
        }
        let st = parse::stat::parse(&self.buf)
            .map_err(|f| ReadError::parse(&self.proc.path("stat"), f.field))?;
        if st.starttime != self.proc.start_ticks() {
            return Ok(Err(Ending::Gone));
        }
        if st.state == b'Z' || st.state == b'X' {
            let status = if self.status_visible {
                st.exit_code
            } else {
                None
            };
            return Ok(Err(Ending::Zombie { status }));
        }
        Ok(Ok(st.num_threads))
    }

    /// The metrics read at every sample: RSS (statm) and descriptors.
    /// Some(ending) when the process ended meanwhile.
    fn read_cheap(&mut self, s: &mut Sample, denied: &mut bool) -> Option<Ending> {
        if let Some(fd) = &self.statm {
            match pread_all(fd, &mut self.buf) {
                Ok(()) => {
                    s.rss = parse::statm::resident_bytes(&self.buf, self.page);
                }
                Err(e) if crate::error::classify(&e) == crate::error::Errno::Missing => {
                    return Some(Ending::Gone);
                }
                Err(_) => {}
            }
        }
        if self.wanted.fds {
            match self.proc.fd_count(self.fast_fd_count) {
                Ok(n) => s.fds = Some(n),
                Err(e) if exited(&e) => return Some(Ending::Gone),
                Err(e) => *denied |= matches!(e, ReadError::PermissionDenied { .. }),
            }
        }
        None
    }

    /// The metrics paced by [`WATCH_DUTY`]: PSS, sockets, CLOSE_WAIT,
    /// mappings. Some(ending) when the process ended meanwhile.
    fn read_expensive(&mut self, s: &mut Sample, denied: &mut bool) -> Option<Ending> {
        if let Some(fd) = &self.rollup {
            if pread_all(fd, &mut self.buf).is_ok() {
                s.pss = parse::smaps::parse_rollup(&self.buf)
                    .ok()
                    .and_then(|m| m.get("Pss"));
            }
        }
        if self.wanted.sockets || self.wanted.close_wait {
            match self.socket_inodes() {
                Ok(inodes) => {
                    if self.wanted.sockets {
                        s.sockets = Some(inodes.len() as u64);
                    }
                    if self.wanted.close_wait {
                        match self.close_wait(&inodes) {
                            Ok(n) => s.close_wait = n,
                            Err(ending) => return Some(ending),
                        }
                    }
                }
                Err(e) if exited(&e) => return Some(Ending::Gone),
                Err(e) => *denied |= matches!(e, ReadError::PermissionDenied { .. }),
            }
        }
        if self.wanted.maps {
            let mut n = 0u64;
            match self.proc.for_each_line("maps", |_| {
                n += 1;
                true
            }) {
                Ok(()) => s.maps = Some(n),
                Err(e) if exited(&e) => return Some(Ending::Gone),
                Err(e) => *denied |= matches!(e, ReadError::PermissionDenied { .. }),
            }
        }
        None
    }

    /// The process's socket inodes: every link read for a process with
    /// few descriptors, incrementally past [`INCREMENTAL_FDS`].
    fn socket_inodes(&mut self) -> Result<net::InodeSet, ReadError> {
        let (dir, numbers) = self.proc.fd_numbers()?;
        if numbers.len() <= INCREMENTAL_FDS {
            self.links.clear();
            return self.proc.fd_link_summary().map(|l| l.socket_inodes);
        }
        let step = numbers.len().div_ceil(RECHECK_SHARE);
        let from = self.recheck_at % numbers.len();
        let recheck = |i: usize| (i + numbers.len() - from) % numbers.len() < step;
        let old = std::mem::take(&mut self.links);
        let mut known = old.iter().peekable();
        let mut links = Vec::with_capacity(numbers.len());
        for (i, &fd) in numbers.iter().enumerate() {
            while known.next_if(|(k, _)| *k < fd).is_some() {}
            let kept = known.next_if(|(k, _)| *k == fd).map(|&(_, v)| v);
            let class = match kept {
                Some(v) if !recheck(i) => Some(v),
                _ => super::process::fd_socket_inode(&dir, fd),
            };
            // None: closed since the listing.
            if let Some(v) = class {
                links.push((fd, v));
            }
        }
        self.recheck_at = from + step;
        let inodes = links.iter().filter_map(|&(_, v)| v).collect();
        self.links = links;
        Ok(inodes)
    }

    /// How many of the process's sockets (`inodes`) are TCP in CLOSE_WAIT;
    /// None when the socket tables could not be read. The namespace's
    /// table is asked for CLOSE_WAIT sockets only (see
    /// [`Process::namespace_close_wait_inodes`]): a few, whatever the
    /// number of the process's connections.
    fn close_wait(&self, inodes: &net::InodeSet) -> Result<Option<u64>, Ending> {
        if inodes.is_empty() {
            return Ok(Some(0));
        }
        match self.proc.namespace_close_wait_inodes() {
            Ok(waiting) => Ok(Some(
                waiting.iter().filter(|i| inodes.contains(i)).count() as u64
            )),
            Err(e) if exited(&e) => Err(Ending::Gone),
            Err(_) => Ok(None),
        }
    }
}

/// This thread's CPU time so far (user + system).
fn thread_cpu() -> std::time::Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    std::time::Duration::new(
        t.tv_sec.max(0) as u64,
        t.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// The process ended while it was being read.
fn exited(e: &ReadError) -> bool {
    matches!(e, ReadError::Exited { .. })
}

/// A cgroup limit a process runs into: the limit file where the tightest
/// limit on its path is set, and the usage file of that same cgroup (what
/// the kernel compares with the limit: every task or byte of the cgroup
/// and its descendants). Paths are raw (escaped in `render`).
#[derive(Debug, Clone, PartialEq)]
pub struct CgroupCeiling {
    /// e.g. /sys/fs/cgroup/pids/x/pids.max
    pub limit_file: std::path::PathBuf,
    pub limit: u64,
    /// e.g. /sys/fs/cgroup/pids/x/pids.current
    pub usage_file: std::path::PathBuf,
    /// The usage as last read ([`ProcFs::refresh_usage`]); None unread.
    pub usage: Option<u64>,
}

/// The limits a leak runs into, and the usage each is compared with, as
/// far as they could be read (None: unknown or unlimited). Which one
/// applies to a metric, and when it is reached, is
/// `analysis::ceiling::exhaustion`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ceilings {
    /// RLIMIT_NOFILE soft.
    pub nofile: Option<u64>,
    /// vm.max_map_count.
    pub max_map_count: Option<u64>,
    /// MemTotal, bytes.
    pub mem_total: Option<u64>,
    /// The tightest memory cgroup limit on the process's path.
    pub memory: Option<CgroupCeiling>,
    /// The tightest pids cgroup limit on the process's path.
    pub pids: Option<CgroupCeiling>,
    /// kernel.pid_max and kernel.threads-max.
    pub pid_max: Option<u64>,
    pub threads_max: Option<u64>,
    /// Tasks on the host (loadavg's count of scheduling entities), what
    /// threads-max is checked against (and, near enough, pid_max: one PID
    /// per task). Refreshed with the usages.
    pub host_tasks: Option<u64>,
    /// The memory cgroup's OOM-kill count now (to tell an OOM kill later).
    pub oom_kills: Option<u64>,
    /// The memory cgroup, kept: a zombie's /proc/PID/cgroup may already
    /// read "/" (v1), so the count is re-read from this cgroup later.
    pub memory_cgroup: Option<super::CgroupMemory>,
}

impl ProcFs {
    /// The ceilings of a process, usages read now.
    pub fn ceilings(&self, proc: &Process) -> Ceilings {
        let mut c = Ceilings {
            nofile: proc.nofile_limit().ok().and_then(|l| l.soft),
            max_map_count: self.max_map_count(),
            // The host parser: kB to bytes checked (a MemTotal past u64 in
            // bytes, from a crafted --proc-root, is no ceiling, not a panic).
            mem_total: self
                .read_proc_file("meminfo")
                .ok()
                .and_then(|b| parse::host::meminfo(&b).total),
            ..Default::default()
        };
        let lines = proc.cgroup().unwrap_or_default();
        if let Ok(m) = self.memory_cgroup(&lines) {
            c.oom_kills = m.oom_kills;
            c.memory = self.memory_ceiling(&m);
            c.memory_cgroup = Some(m);
        }
        c.pids = self
            .pids_limit(&lines)
            .map(|(limit, current)| CgroupCeiling {
                limit_file: current.with_file_name("pids.max"),
                limit,
                usage_file: current,
                usage: None,
            });
        let num = |rel: &str| {
            self.read_proc_file(rel)
                .ok()
                .and_then(|b| parse::parse_single_u64(&b).ok())
        };
        c.pid_max = num("sys/kernel/pid_max");
        c.threads_max = num("sys/kernel/threads-max");
        self.refresh_usage(&mut c);
        c
    }

    /// The limit and usage files of the memory cgroup where the tightest
    /// limit is set.
    pub(super) fn memory_ceiling(&self, m: &super::CgroupMemory) -> Option<CgroupCeiling> {
        let root = self.sys_root().join("fs/cgroup");
        let (base, limit, usage) = match m.version {
            super::CgroupVersion::V1 => (
                root.join("memory"),
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            ),
            super::CgroupVersion::V2 => (root, "memory.max", "memory.current"),
        };
        let dir = super::cgroup::join(&base, m.limit_path.as_deref().unwrap_or(&m.path));
        Some(CgroupCeiling {
            limit_file: dir.join(limit),
            limit: m.limit?,
            usage_file: dir.join(usage),
            usage: None,
        })
    }

    /// Read again what the limits are compared with: the cgroups' usage
    /// and the host's task count. Unreadable is None, never 0.
    pub fn refresh_usage(&self, c: &mut Ceilings) {
        for cg in [&mut c.memory, &mut c.pids].into_iter().flatten() {
            cg.usage = self.read_number(&cg.usage_file);
        }
        c.host_tasks = self
            .read_proc_file("loadavg")
            .ok()
            .and_then(|b| parse::host::loadavg_tasks(&b));
    }
}
