//! The reader: the only code that touches /proc and /sys. Roots are
//! parameters ([`ProcFs::new`]), so proctor can read a host's /proc mounted
//! at /host/proc and tests can point it at fixture trees.
//!
//! A [`Process`] opens `/proc/PID` once (O_PATH) and reads every later file
//! relative to that descriptor: if the process exits and its PID is reused,
//! reads through the old descriptor fail instead of silently returning the
//! new process's data. Identity is (pid, start time).
//!
//! Every failed read goes through [`crate::error::classify`]; an ENOENT or
//! ESRCH is then resolved by a liveness check into "process exited" or
//! "not there for this process" (zombie, kernel thread, older kernel).

mod cgroup;
mod cgroup_cpu;
mod cgroup_watch;
mod diag;
mod kmsg;
mod netstates;
pub mod pods;
mod process;
mod sampler;
mod scan;
mod snapshot;
mod survey;
mod tasks;
mod who;

pub use cgroup::{
    CgroupMember, CgroupMemory, CgroupState, CgroupVersion, CpuState, MemoryState, PidsState,
};
pub use cgroup_cpu::CgroupCpu;
pub use cgroup_watch::{CgroupSampler, CgroupTarget, CgroupWanted, MEMBERS_SAMPLED};
pub use kmsg::{KMSG_MAX_BYTES, KMSG_MAX_RECORDS, KMSG_RECORD_CAP, KernelLog};
pub use netstates::TcpStates;
pub use process::{FdEntry, FdInfoWanted, FdSink, Process, Sockets, ThreadDetail, socket_inodes};
pub use sampler::{
    Ceilings, CgroupCeiling, EXPENSIVE_DUTY, Ending, Sample, Sampler, WATCH_DUTY, Wanted,
};
pub use scan::{CMDLINE_CAP, Field, Missing, Reads, RowExtra, Scan, ScanRow, Scanner};
pub use snapshot::{Clock, ProcessSnapshot};
pub use survey::{CgroupCache, LINK_WALK_MAX, Survey};
pub use tasks::{THREAD_ROWS_CAP, thread_rows};
pub use who::{
    Access, FD_LINKS_CAP, HeldFile, LinkWalk, MAPPED_PATHS_CAP, Namespaces, SOCKETS_CAP,
    resolve_path,
};

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Errno, ReadError, classify};

/// Where /proc and /sys are, and machine facts needed to interpret them.
#[derive(Debug, Clone)]
pub struct ProcFs {
    proc_root: PathBuf,
    sys_root: PathBuf,
}

// Caps on what proctor reads from one file. Every file under /proc and
// /sys is either controlled by a process (its command line, environment,
// name, the paths of its descriptors and mappings, socket names) or, with a
// crafted --proc-root/--sys-root, by whoever wrote the tree: no read may
// grow with what the file holds. Each command stays far below 64 MiB.

/// Whole-file reads of single-record and host files (stat, status,
/// limits, fdinfo, meminfo, cgroup files, ...): the largest real one, the
/// host's `stat` with every interrupt counter of a large machine, is a few
/// hundred KiB. A longer file is an error naming the cap, never a partial
/// record passed off as the whole.
pub const FILE_CAP: usize = 1024 * 1024;

/// Bytes of PROC/stat read for its CPU lines: about 100 bytes per CPU,
/// so 8,192 CPUs' lines fit.
pub const CPU_STAT_CAP: usize = 1024 * 1024;

/// The command line kept by `inspect` and read for name matching: enough
/// for any real command (a long Java class path included) and for matching
/// a name; a longer one is cut and the cut is shown.
pub const CMDLINE_READ_CAP: usize = 64 * 1024;

/// The environment kept by `env` and counted by `inspect`: a real one is a
/// few KiB (a Kubernetes pod with service links, some 100 KiB); a longer
/// one is cut and the cut is shown. Not more: `env` keeps a few hundred
/// bytes of bookkeeping per variable, and 256 KiB of 4-byte variables
/// (65,536 of them) already costs ~25 MiB.
pub const ENVIRON_CAP: usize = 256 * 1024;

/// A process name (`comm`, at most 16 bytes on a real procfs) read for
/// name matching; a fixture tree may hold anything there.
pub const COMM_CAP: usize = 4096;

/// One line of a streamed file (smaps, maps, net tables): real lines are
/// under 8 KiB (a mapped path of PATH_MAX with escapes); a longer line is
/// handed over cut at this length, the rest skipped unread into memory.
pub const LINE_CAP: usize = 64 * 1024;

/// The most proctor streams from one file (smaps of 20,000 mappings is
/// ~15 MiB, a host's TCP table of a million sockets ~150 MiB): beyond
/// it the read is an error, so a huge sparse file in a fixture tree cannot
/// keep proctor reading for ever.
pub const STREAM_CAP: u64 = 512 * 1024 * 1024;

/// PATH_MAX: the kernel never returns a longer link text (it fails with
/// ENAMETOOLONG instead); the readlink buffer is this plus one byte.
pub const PATH_MAX: usize = 4096;

/// What was cut from a capped read: the bytes kept and, when known (from
/// stat's arg_start/arg_end or env_start/env_end), the file's full length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Truncated {
    pub shown_bytes: u64,
    pub total_bytes: Option<u64>,
}

/// The error for a file longer than [`FILE_CAP`].
fn too_long(cap: usize) -> io::Error {
    io::Error::other(format!(
        "longer than {} bytes, the most proctor reads of this file",
        cap
    ))
}

/// Read a whole file, at most [`FILE_CAP`] bytes (longer is an error).
pub(crate) fn read_file(file: File) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    read_fd(&file, &mut buf, false)?;
    Ok(buf)
}

/// Read from `fd` into `buf` (cleared first) with plain read(2) calls:
/// std's `read_to_end` adds a statx and an lseek per file, which doubled
/// the syscalls of reading 2,000 threads (measured with strace -c).
/// With `one_record`, a short read ends the file: true for single-record
/// /proc files (stat, status), whose whole text one read returns; false
/// for multi-page seq_files, read until 0. A file longer than
/// [`FILE_CAP`] is an error.
pub(crate) fn read_fd(
    fd: impl std::os::fd::AsFd,
    buf: &mut Vec<u8>,
    one_record: bool,
) -> io::Result<()> {
    if read_capped(fd, buf, FILE_CAP, one_record)? {
        return Err(too_long(FILE_CAP));
    }
    Ok(())
}

/// Read at most `cap` bytes of `fd` into `buf` (cleared first); true when
/// the file held more (one byte past the cap is read to tell).
pub(crate) fn read_capped(
    fd: impl std::os::fd::AsFd,
    buf: &mut Vec<u8>,
    cap: usize,
    one_record: bool,
) -> io::Result<bool> {
    fill(buf, one_record, cap, |b, _| rustix::io::read(&fd, b)).map_err(io::Error::from)
}

/// pread at offset 0 into `buf` (cleared), for files kept open and read
/// again (`watch`, repeated scans): the kernel regenerates the text at
/// offset 0. Single-record files: a short read ends it. A file longer
/// than [`FILE_CAP`] fails with EFBIG.
pub(crate) fn pread_all(
    fd: impl std::os::fd::AsFd,
    buf: &mut Vec<u8>,
) -> Result<(), rustix::io::Errno> {
    if fill(buf, true, FILE_CAP, |b, off| rustix::io::pread(&fd, b, off))? {
        return Err(rustix::io::Errno::FBIG);
    }
    Ok(())
}

/// Open `name` under `dir` for reading: O_NONBLOCK, so a FIFO put in a
/// fixture tree cannot block the open (harmless on procfs and sysfs), and
/// O_NOCTTY. With `check_type` (any root that is not a real procfs), the
/// descriptor must be a regular file: a FIFO, a device (/dev/zero) or a
/// socket is refused with an error saying so.
pub(crate) fn open_read(
    dir: impl std::os::fd::AsFd,
    name: &std::ffi::CStr,
    check_type: bool,
) -> io::Result<std::os::fd::OwnedFd> {
    use rustix::fs::{FileType, Mode, OFlags};
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    if check_type {
        let st = rustix::fs::fstat(&fd)?;
        let kind = FileType::from_raw_mode(st.st_mode);
        if kind != FileType::RegularFile {
            let what = match kind {
                FileType::Fifo => "a FIFO",
                FileType::CharacterDevice => "a character device",
                FileType::BlockDevice => "a block device",
                FileType::Socket => "a socket",
                FileType::Directory => "a directory",
                _ => "not a regular file",
            };
            return Err(io::Error::other(format!(
                "{what}, not a regular file: proctor reads only regular /proc and /sys files"
            )));
        }
    }
    Ok(fd)
}

/// Open a file by path (host files under the roots), checked as
/// [`open_read`] does.
pub(crate) fn open_path(path: &Path) -> io::Result<File> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    open_read(rustix::fs::CWD, &c, true).map(File::from)
}

/// Whether a statfs result is a real procfs (not a fixture tree): only
/// there do PIDs name live processes and the fd directory's size count
/// descriptors.
pub(crate) fn is_procfs(st: &rustix::fs::StatFs) -> bool {
    const PROC_SUPER_MAGIC: u32 = 0x9fa0;
    // f_type's integer type differs between architectures.
    u32::try_from(st.f_type) == Ok(PROC_SUPER_MAGIC)
}

/// The loop behind every capped read: `call` fills the slice it is given
/// (from the offset it is given) and returns how much; EINTR is retried.
/// The buffer grows by doubling up to `cap` + 1 bytes and never past it:
/// Ok(true) when the file held more than `cap` bytes (`buf` then holds
/// the first `cap`).
fn fill(
    buf: &mut Vec<u8>,
    one_record: bool,
    cap: usize,
    mut call: impl FnMut(&mut [u8], u64) -> Result<usize, rustix::io::Errno>,
) -> Result<bool, rustix::io::Errno> {
    let limit = cap.saturating_add(1);
    // Zero-filled rather than read into spare capacity: that would need
    // unsafe set_len, and the crate forbids unsafe code.
    buf.clear();
    let mut len = 0usize;
    loop {
        if len == buf.len() {
            if len >= limit {
                buf.truncate(cap);
                return Ok(true);
            }
            let grow = buf.len().max(2048).saturating_mul(2).min(limit);
            buf.resize(grow, 0);
        }
        let room = buf.len() - len;
        let n = loop {
            match call(&mut buf[len..], len as u64) {
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => {
                    buf.truncate(len);
                    return Err(e);
                }
                Ok(n) => break n,
            }
        };
        len += n;
        if n == 0 || (one_record && n < room) {
            buf.truncate(len);
            return Ok(false);
        }
    }
}

/// Map an I/O error on a path that is not a per-process file.
pub(crate) fn sys_error(path: &Path, err: &io::Error, what: &str) -> ReadError {
    match classify(err) {
        Errno::Missing | Errno::NotSupported => ReadError::NotSupported {
            path: path.to_path_buf(),
            detail: format!("{what} not available ({} not found)", path.display()),
        },
        Errno::Denied => ReadError::PermissionDenied {
            path: path.to_path_buf(),
        },
        Errno::Other(message) => ReadError::Io {
            path: path.to_path_buf(),
            message,
        },
    }
}

impl ProcFs {
    pub fn new(proc_root: impl Into<PathBuf>, sys_root: impl Into<PathBuf>) -> Self {
        ProcFs {
            proc_root: proc_root.into(),
            sys_root: sys_root.into(),
        }
    }

    pub fn proc_root(&self) -> &Path {
        &self.proc_root
    }

    pub fn sys_root(&self) -> &Path {
        &self.sys_root
    }

    /// Read a host-wide file under the proc root (`stat`, `uptime`, `meminfo`).
    pub fn read_proc_file(&self, rel: &str) -> Result<Vec<u8>, ReadError> {
        let path = self.proc_root.join(rel);
        open_path(&path)
            .and_then(read_file)
            .map_err(|e| sys_error(&path, &e, rel))
    }

    /// Read a file under the sys root.
    pub fn read_sys_file(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        open_path(path)
            .and_then(read_file)
            .map_err(|e| sys_error(path, &e, "cgroup file"))
    }

    /// PIDs of every process (thread-group leaders), unsorted. Entries that
    /// are not numbers are ignored.
    pub fn pids(&self) -> Result<Vec<i32>, ReadError> {
        let dir = std::fs::read_dir(&self.proc_root)
            .map_err(|e| sys_error(&self.proc_root, &e, "process list"))?;
        Ok(dir
            .filter_map(|e| e.ok())
            .filter_map(|e| crate::parse::entry_number(e.file_name().as_encoded_bytes()))
            .filter(|&p| p > 0)
            .collect())
    }

    /// The PID of proctor itself as seen in this proc root: the `self`
    /// link when the root is a real procfs (correct across PID namespaces),
    /// else our own PID.
    pub fn self_pid(&self) -> i32 {
        std::fs::read_link(self.proc_root.join("self"))
            .ok()
            .and_then(|p| crate::parse::entry_number(p.as_os_str().as_encoded_bytes()))
            .unwrap_or_else(|| rustix::process::getpid().as_raw_nonzero().get())
    }

    /// proctor's own PID as this root numbers it, when the root is a real
    /// procfs (a fixture tree's `self` link names a captured process).
    pub fn own_pid_in_root(&self) -> Option<i32> {
        let st = rustix::fs::statfs(&self.proc_root).ok()?;
        is_procfs(&st).then(|| self.self_pid())
    }

    /// Read at most `cap` bytes of PROC/PID/`rel` (opened as [`open_read`]
    /// does): (bytes, whether the file held more). None when unreadable.
    fn read_pid_file(&self, pid: i32, rel: &str, cap: usize) -> Option<(Vec<u8>, bool)> {
        let path = self.proc_root.join(pid.to_string()).join(rel);
        let file = open_path(&path).ok()?;
        let mut buf = Vec::new();
        let more = read_capped(&file, &mut buf, cap, false).ok()?;
        Some((buf, more))
    }

    /// Cheap reads used to match names without opening a handle. Errors
    /// mean the process is gone or unreadable; callers skip it. Each is
    /// capped ([`COMM_CAP`], [`CMDLINE_READ_CAP`], [`FILE_CAP`]).
    pub fn comm(&self, pid: i32) -> Option<Vec<u8>> {
        let (mut v, _) = self.read_pid_file(pid, "comm", COMM_CAP)?;
        if v.last() == Some(&b'\n') {
            v.pop();
        }
        Some(v)
    }

    /// The first [`CMDLINE_READ_CAP`] bytes of the command line: enough
    /// to match a name and to list candidates.
    pub fn cmdline_raw(&self, pid: i32) -> Option<Vec<u8>> {
        self.read_pid_file(pid, "cmdline", CMDLINE_READ_CAP)
            .map(|(v, _)| v)
    }

    pub fn stat_raw(&self, pid: i32) -> Option<Vec<u8>> {
        match self.read_pid_file(pid, "stat", FILE_CAP)? {
            (v, false) => Some(v),
            (_, true) => None,
        }
    }

    /// Open a process for reading.
    pub fn open(&self, pid: i32) -> Result<Process, ReadError> {
        Process::open(self, pid)
    }

    /// The CPU lines of PROC/stat (per-CPU time by mode). They come first
    /// in the file: at most [`CPU_STAT_CAP`] bytes are read (the interrupt
    /// counters after them can be large on a big host), and a line cut
    /// by the cap is dropped.
    pub fn cpu_stat(&self) -> Result<crate::parse::host::CpuStat, ReadError> {
        let path = self.proc_root.join("stat");
        let file = open_path(&path).map_err(|e| sys_error(&path, &e, "stat"))?;
        let mut buf = Vec::new();
        let more = read_capped(&file, &mut buf, CPU_STAT_CAP, false)
            .map_err(|e| sys_error(&path, &e, "stat"))?;
        if more {
            let end = buf.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
            buf.truncate(end);
        }
        Ok(crate::parse::host::cpu_stat(&buf))
    }

    /// Seconds since boot, from `uptime`.
    pub fn uptime(&self) -> Result<f64, ReadError> {
        let path = self.proc_root.join("uptime");
        let b = self.read_proc_file("uptime")?;
        crate::parse::host::uptime(&b).ok_or_else(|| ReadError::parse(&path, "uptime"))
    }

    /// Boot time in seconds since the epoch (`btime` in `stat`).
    pub fn boot_time(&self) -> Result<u64, ReadError> {
        let path = self.proc_root.join("stat");
        let b = self.read_proc_file("stat")?;
        crate::parse::flat_keyed(&b, "btime").ok_or_else(|| ReadError::parse(&path, "btime"))
    }
}

impl ProcFs {
    /// Names of block devices (`sda`, `nvme0n1`, `dm-0`, `loop3`), from
    /// SYS/class/block, to tell block from character devices by name
    /// without stat() on a descriptor's target. Empty when unreadable; at
    /// most 65,536 names (a crafted --sys-root may hold millions).
    pub fn block_devices(&self) -> std::collections::HashSet<Vec<u8>> {
        use std::os::unix::ffi::OsStrExt;
        std::fs::read_dir(self.sys_root.join("class/block"))
            .map(|d| {
                d.take(65_536)
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().as_bytes().to_vec())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// vm.max_map_count, the ceiling on mappings per process.
    pub fn max_map_count(&self) -> Option<u64> {
        self.max_map_count_read().ok()
    }

    /// vm.max_map_count, or why it could not be had (a value that is not
    /// a number is a parse error, for the `maps` view's `unavailable`).
    pub fn max_map_count_read(&self) -> Result<u64, ReadError> {
        let rel = "sys/vm/max_map_count";
        let b = self.read_proc_file(rel)?;
        crate::parse::parse_single_u64(&b)
            .map_err(|_| ReadError::parse(&self.proc_root.join(rel), "max_map_count"))
    }
}

/// Whether the running kernel reports the descriptor count as the size of
/// /proc/PID/fd (Linux >= 6.2).
pub fn kernel_counts_fds_in_stat() -> bool {
    let uname = rustix::system::uname();
    crate::parse::host::kernel_version(uname.release().to_bytes()) >= (6, 2)
}

/// The signals proctor itself was started with set to ignored (the
/// `SigIgn` mask of its own status; bit n-1 is signal n), None when
/// unreadable. The kernel's own view of this process, whatever
/// `--proc-root` says, hence /proc/self. Asking sigaction(2) would need
/// unsafe code, which this crate forbids (rustix and signal-hook offer the
/// query only as `unsafe fn`).
pub fn ignored_signals() -> Option<u64> {
    let f = open_path(Path::new("/proc/self/status")).ok()?;
    let mut status = Vec::new();
    read_fd(&f, &mut status, true).ok()?;
    crate::parse::status::sig_ign(&status)
}

/// Clock ticks per second (USER_HZ), for stat's time fields.
pub fn clock_ticks() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// CPU time this process has used (all its threads), for timing its own
/// work (the agent's scan phases).
pub fn own_cpu_time() -> std::time::Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(t.tv_nsec).unwrap_or(0).min(999_999_999);
    std::time::Duration::new(secs, nanos)
}

/// Page size in bytes, for stat's rss field.
pub fn page_size() -> u64 {
    rustix::param::page_size() as u64
}

/// User name for a uid, from the system's user database (NSS). Returns
/// None when the uid has no name here (common when reading a host's /proc
/// from inside a container).
pub fn user_name(uid: u32) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    uzers::get_user_by_uid(uid).map(|u| u.name().as_bytes().to_vec())
}

/// Host-wide numbers for the `top` header and `doctor`'s host rules. Each
/// is None when its file is missing (older kernel, PSI disabled, a
/// container's partial /proc).
#[derive(Debug, Clone, Default)]
pub struct HostFacts {
    pub mem: crate::parse::host::MemInfo,
    pub load: Option<crate::parse::host::LoadAvg>,
    pub psi_memory: Option<crate::parse::host::Psi>,
    pub file_nr: Option<crate::parse::host::FileNr>,
    pub pid_max: Option<u64>,
    pub threads_max: Option<u64>,
    pub cpus: usize,
    /// Host files that were read but whose values did not parse (besides
    /// meminfo's, in `mem.invalid`): their values above are None, and
    /// unknown rather than absent (see [`HostFacts::parse_errors`]).
    pub invalid_files: Vec<&'static str>,
}

impl HostFacts {
    /// Every host value that was read but did not parse, as
    /// (file, key): `("meminfo", Some("MemAvailable"))`, `("loadavg", None)`.
    pub fn parse_errors(&self) -> Vec<(&'static str, Option<&'static str>)> {
        self.mem
            .invalid_keys()
            .into_iter()
            .map(|k| ("meminfo", Some(k)))
            .chain(self.invalid_files.iter().map(|f| (*f, None)))
            .collect()
    }
}

impl ProcFs {
    pub fn host_facts(&self) -> HostFacts {
        use crate::parse::host;
        // A file that is missing or unreadable is None (does not apply
        // here); one that was read but does not parse is None *and* listed
        // in `invalid`: a parse error, never "nothing to report".
        let invalid = std::cell::RefCell::new(Vec::new());
        let read = |rel: &'static str| self.read_proc_file(rel).ok();
        let note = |rel: &'static str, ok: bool| {
            if !ok {
                invalid.borrow_mut().push(rel);
            }
        };
        let num = |rel: &'static str| {
            let b = read(rel)?;
            let v = crate::parse::parse_single_u64(&b).ok();
            note(rel, v.is_some());
            v
        };
        let load = read("loadavg").and_then(|b| {
            let v = host::loadavg(&b);
            note("loadavg", v.is_some());
            v
        });
        let psi_memory = read("pressure/memory").and_then(|b| {
            let p = host::psi(&b);
            note(
                "pressure/memory",
                !p.invalid && (p.some.is_some() || b.is_empty()),
            );
            p.some.is_some().then_some(p)
        });
        let file_nr = read("sys/fs/file-nr").and_then(|b| {
            let v = host::file_nr(&b);
            note("sys/fs/file-nr", v.is_some());
            v
        });
        let pid_max = num("sys/kernel/pid_max");
        let threads_max = num("sys/kernel/threads-max");
        HostFacts {
            mem: self
                .read_proc_file("meminfo")
                .map(|b| host::meminfo(&b))
                .unwrap_or_default(),
            load,
            psi_memory,
            file_nr,
            pid_max,
            threads_max,
            invalid_files: invalid.take(),
            // The host's online CPUs, not proctor's own affinity or quota:
            // load is judged against the machine. SYS/devices/system/cpu/
            // online is a few bytes; PROC/stat (its cpuN lines), the
            // fallback, carries every interrupt counter and is not worth
            // formatting at every refresh.
            cpus: self
                .read_sys_file(&self.sys_root.join("devices/system/cpu/online"))
                .ok()
                .and_then(|b| crate::parse::host::cpu_list_count(&b))
                .or_else(|| {
                    self.read_proc_file("stat")
                        .ok()
                        .map(|b| crate::parse::host::stat_cpu_count(&b))
                })
                .filter(|&n| n > 0)
                .unwrap_or_else(|| {
                    std::thread::available_parallelism()
                        .map(|n| n.get())
                        .unwrap_or(1)
                }),
        }
    }
}

/// uid -> user name, looked up once per uid (NSS lookups read
/// /etc/passwd each time).
#[derive(Debug, Default)]
pub struct UserNames {
    cache: std::collections::HashMap<u32, Option<Vec<u8>>>,
}

impl UserNames {
    pub fn get(&mut self, uid: u32) -> Option<&[u8]> {
        self.cache
            .entry(uid)
            .or_insert_with(|| user_name(uid))
            .as_deref()
    }
}

/// Most of PROC/self/mountinfo read to find the proc root's options: a few
/// hundred bytes per mount, so room for thousands of mounts, and a bound
/// whatever a crafted --proc-root holds.
const MOUNTINFO_CAP: usize = 4 << 20;

/// How the procfs at the proc root limits what proctor can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visibility {
    /// hidepid, gid and subset options; None when no procfs is mounted at
    /// the root (a fixture tree) or its mount could not be read.
    pub mount: Option<crate::parse::mountinfo::ProcMount>,
    /// proctor runs as root or as a member of the mount's `gid=`: hidepid
    /// does not apply to it (root is approximated by euid 0, which holds
    /// CAP_SYS_PTRACE unless a container dropped it).
    pub exempt: bool,
}

impl ProcFs {
    /// The options of the procfs mounted at the proc root, from
    /// PROC/self/mountinfo (our own mount namespace, where the root is
    /// mounted). Opened non-blocking and checked to be a regular file, read
    /// up to [`MOUNTINFO_CAP`].
    pub fn visibility(&self) -> Visibility {
        use std::os::unix::ffi::OsStrExt;
        let mount = (|| {
            let root = std::fs::canonicalize(&self.proc_root).ok()?;
            let f = open_path(&self.proc_root.join("self/mountinfo")).ok()?;
            let mut buf = Vec::new();
            // Past the cap, the mounts read so far are parsed.
            read_capped(&f, &mut buf, MOUNTINFO_CAP, false).ok()?;
            crate::parse::mountinfo::proc_mount_at(&buf, root.as_os_str().as_bytes())
        })();
        let exempt = rustix::process::geteuid().is_root()
            || mount.and_then(|m| m.gid).is_some_and(|g| {
                rustix::process::getegid().as_raw() == g
                    || rustix::process::getgroups()
                        .is_ok_and(|gs| gs.iter().any(|x| x.as_raw() == g))
            });
        Visibility { mount, exempt }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn temp(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("proctor-reader-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn capped_reads_stop_at_the_cap_and_say_there_was_more() {
        let p = temp("cap");
        std::fs::File::create(&p)
            .and_then(|mut f| f.write_all(&vec![b'x'; 10_000]))
            .expect("write temp file");
        let f = File::open(&p).expect("open");
        let mut buf = Vec::new();
        assert!(read_capped(&f, &mut buf, 4096, false).expect("read"));
        assert_eq!(buf.len(), 4096);
        assert!(buf.capacity() <= 4097 * 2, "{}", buf.capacity());
        let f = File::open(&p).expect("open");
        assert!(!read_capped(&f, &mut buf, 10_000, false).expect("read"));
        assert_eq!(buf.len(), 10_000);
        // A whole-file read of more than FILE_CAP is an error, not a cut record.
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn dev_zero_is_cut_and_a_fifo_is_refused_without_blocking() {
        let zero = std::ffi::CString::new("/dev/zero").expect("path");
        let e = open_read(rustix::fs::CWD, &zero, true).expect_err("device refused");
        assert!(e.to_string().contains("character device"), "{e}");
        // Unchecked (a real procfs), /dev/zero still cannot grow a read.
        let fd = open_read(rustix::fs::CWD, &zero, false).expect("open /dev/zero");
        let mut buf = Vec::new();
        let e = read_fd(&fd, &mut buf, false).expect_err("endless file");
        assert!(e.to_string().contains("longer than"), "{e}");
        assert!(buf.capacity() <= 2 * (FILE_CAP + 1), "{}", buf.capacity());
        assert_eq!(
            pread_all(&fd, &mut buf).expect_err("endless"),
            rustix::io::Errno::FBIG
        );

        let p = temp("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &p,
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
        // Would block for ever without O_NONBLOCK (no writer).
        let e = open_path(&p).expect_err("FIFO refused");
        assert!(e.to_string().contains("a FIFO"), "{e}");
        let _ = std::fs::remove_file(&p);
    }
    use rustix::fs::Mode;
}
