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
mod diag;
mod process;
mod sampler;
mod scan;
mod snapshot;
mod survey;

pub use cgroup::{CgroupMemory, CgroupVersion};
pub use process::{FdEntry, FdInfoWanted, Process, Sockets, ThreadDetail, socket_inodes};
pub use sampler::{Ceilings, EXPENSIVE_DUTY, Ending, Sample, Sampler, Wanted};
pub use scan::{CMDLINE_CAP, Field, Missing, Scan, ScanRow, Scanner};
pub use snapshot::{Clock, ProcessSnapshot};
pub use survey::{CgroupCache, Survey};

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

/// Read a whole file. Uses a buffer sized for typical /proc files; the
/// kernel returns at most a page per read for seq_files anyway.
pub(crate) fn read_file(file: File) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(4096);
    read_fd(&file, &mut buf, false)?;
    Ok(buf)
}

/// Read from `fd` into `buf` (cleared first) with plain read(2) calls:
/// std's `read_to_end` adds a statx and an lseek per file, which doubled
/// the syscalls of reading 2,000 threads (measured with strace -c).
/// With `one_record`, a short read ends the file: true for single-record
/// /proc files (stat, status), whose whole text one read returns; false
/// for multi-page seq_files (net tables), read until 0.
pub(crate) fn read_fd(
    fd: impl std::os::fd::AsFd,
    buf: &mut Vec<u8>,
    one_record: bool,
) -> io::Result<()> {
    fill(buf, one_record, |b| {
        rustix::io::read(&fd, rustix::buffer::spare_capacity(b))
    })
    .map_err(io::Error::from)
}

/// pread at offset 0 into `buf` (cleared), for files kept open and read
/// again (`watch`, repeated scans): the kernel regenerates the text at
/// offset 0. Single-record files: a short read ends it.
pub(crate) fn pread_all(
    fd: impl std::os::fd::AsFd,
    buf: &mut Vec<u8>,
) -> Result<(), rustix::io::Errno> {
    fill(buf, true, |b| {
        let off = b.len() as u64;
        rustix::io::pread(&fd, rustix::buffer::spare_capacity(b), off)
    })
}

/// Whether a statfs result is a real procfs (not a fixture tree): only
/// there do PIDs name live processes and the fd directory's size count
/// descriptors.
pub(crate) fn is_procfs(st: &rustix::fs::StatFs) -> bool {
    const PROC_SUPER_MAGIC: u32 = 0x9fa0;
    // f_type's integer type differs between architectures.
    u32::try_from(st.f_type) == Ok(PROC_SUPER_MAGIC)
}

/// The loop behind [`read_fd`] and [`pread_all`]: `call` appends to the
/// buffer's spare capacity and returns how much; EINTR is retried.
fn fill(
    buf: &mut Vec<u8>,
    one_record: bool,
    mut call: impl FnMut(&mut Vec<u8>) -> Result<usize, rustix::io::Errno>,
) -> Result<(), rustix::io::Errno> {
    buf.clear();
    if buf.capacity() < 4096 {
        buf.reserve(4096);
    }
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity());
        }
        let room = buf.capacity() - buf.len();
        let n = loop {
            match call(buf) {
                Err(rustix::io::Errno::INTR) => continue,
                other => break other?,
            }
        };
        if n == 0 || (one_record && n < room) {
            return Ok(());
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
        File::open(&path)
            .and_then(read_file)
            .map_err(|e| sys_error(&path, &e, rel))
    }

    /// Read a file under the sys root.
    pub fn read_sys_file(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        File::open(path)
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
            .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
            .filter(|&p| p > 0)
            .collect())
    }

    /// The PID of proctor itself as seen in this proc root: the `self`
    /// link when the root is a real procfs (correct across PID namespaces),
    /// else our own PID.
    pub fn self_pid(&self) -> i32 {
        std::fs::read_link(self.proc_root.join("self"))
            .ok()
            .and_then(|p| p.to_str().and_then(|s| s.parse().ok()))
            .unwrap_or_else(|| rustix::process::getpid().as_raw_nonzero().get())
    }

    /// proctor's own PID as this root numbers it, when the root is a real
    /// procfs (a fixture tree's `self` link names a captured process).
    pub fn own_pid_in_root(&self) -> Option<i32> {
        let st = rustix::fs::statfs(&self.proc_root).ok()?;
        is_procfs(&st).then(|| self.self_pid())
    }

    /// Cheap reads used to match names without opening a handle. Errors
    /// mean the process is gone or unreadable; callers skip it.
    pub fn comm(&self, pid: i32) -> Option<Vec<u8>> {
        let mut v = std::fs::read(self.proc_root.join(pid.to_string()).join("comm")).ok()?;
        if v.last() == Some(&b'\n') {
            v.pop();
        }
        Some(v)
    }

    pub fn cmdline_raw(&self, pid: i32) -> Option<Vec<u8>> {
        std::fs::read(self.proc_root.join(pid.to_string()).join("cmdline")).ok()
    }

    pub fn stat_raw(&self, pid: i32) -> Option<Vec<u8>> {
        std::fs::read(self.proc_root.join(pid.to_string()).join("stat")).ok()
    }

    /// Open a process for reading.
    pub fn open(&self, pid: i32) -> Result<Process, ReadError> {
        Process::open(self, pid)
    }

    /// Seconds since boot, from `uptime`.
    pub fn uptime(&self) -> Result<f64, ReadError> {
        let path = self.proc_root.join("uptime");
        let b = self.read_proc_file("uptime")?;
        std::str::from_utf8(&b)
            .ok()
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or_else(|| ReadError::parse(&path, "uptime"))
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
    /// without stat() on a descriptor's target. Empty when unreadable.
    pub fn block_devices(&self) -> std::collections::HashSet<Vec<u8>> {
        use std::os::unix::ffi::OsStrExt;
        std::fs::read_dir(self.sys_root.join("class/block"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().as_bytes().to_vec())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// vm.max_map_count, the ceiling on mappings per process.
    pub fn max_map_count(&self) -> Option<u64> {
        self.read_proc_file("sys/vm/max_map_count")
            .ok()
            .and_then(|b| crate::parse::parse_single_u64(&b).ok())
    }
}

/// Whether the running kernel reports the descriptor count as the size of
/// /proc/PID/fd (Linux >= 6.2).
pub fn kernel_counts_fds_in_stat() -> bool {
    let uname = rustix::system::uname();
    let release = uname.release().to_bytes();
    let mut parts = release
        .split(|c| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    let major = parts.next().and_then(crate::parse::parse_u64).unwrap_or(0);
    let minor = parts.next().and_then(crate::parse::parse_u64).unwrap_or(0);
    (major, minor) >= (6, 2)
}

/// The signals proctor itself was started with set to ignored (the
/// `SigIgn` mask of its own status; bit n-1 is signal n), None when
/// unreadable. The kernel's own view of this process, whatever
/// `--proc-root` says, hence /proc/self. Asking sigaction(2) would need
/// unsafe code, which this crate forbids (rustix and signal-hook offer the
/// query only as `unsafe fn`).
pub fn ignored_signals() -> Option<u64> {
    let status = std::fs::read("/proc/self/status").ok()?;
    status.split(|&c| c == b'\n').find_map(|l| {
        let hex = crate::parse::trim(l.strip_prefix(b"SigIgn:")?);
        u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    })
}

/// Clock ticks per second (USER_HZ), for stat's time fields.
pub fn clock_ticks() -> u64 {
    rustix::param::clock_ticks_per_second()
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
}

impl HostFacts {
    /// The kernel's ceiling on tasks (threads): the smaller of pid_max and
    /// threads-max.
    pub fn task_limit(&self) -> Option<u64> {
        match (self.pid_max, self.threads_max) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl ProcFs {
    pub fn host_facts(&self) -> HostFacts {
        use crate::parse::host;
        let num = |rel: &str| {
            self.read_proc_file(rel)
                .ok()
                .and_then(|b| crate::parse::parse_single_u64(&b).ok())
        };
        HostFacts {
            mem: self
                .read_proc_file("meminfo")
                .map(|b| host::meminfo(&b))
                .unwrap_or_default(),
            load: self
                .read_proc_file("loadavg")
                .ok()
                .and_then(|b| host::loadavg(&b)),
            psi_memory: self
                .read_proc_file("pressure/memory")
                .ok()
                .map(|b| host::psi(&b))
                .filter(|p| p.some.is_some()),
            file_nr: self
                .read_proc_file("sys/fs/file-nr")
                .ok()
                .and_then(|b| host::file_nr(&b)),
            pid_max: num("sys/kernel/pid_max"),
            threads_max: num("sys/kernel/threads-max"),
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
const MOUNTINFO_CAP: u64 = 4 << 20;

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
        use std::io::Read;
        use std::os::unix::ffi::OsStrExt;
        let mount = (|| {
            let root = std::fs::canonicalize(&self.proc_root).ok()?;
            let fd = rustix::fs::open(
                self.proc_root.join("self/mountinfo"),
                rustix::fs::OFlags::RDONLY
                    | rustix::fs::OFlags::NONBLOCK
                    | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .ok()?;
            let st = rustix::fs::fstat(&fd).ok()?;
            if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile
            {
                return None;
            }
            let mut buf = Vec::new();
            File::from(fd)
                .take(MOUNTINFO_CAP)
                .read_to_end(&mut buf)
                .ok()?;
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
