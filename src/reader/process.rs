//! One process, read through a descriptor on its /proc directory.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::fs::{CWD, Dir, Mode, OFlags, openat};

use super::{CMDLINE_READ_CAP, ENVIRON_CAP, LINE_CAP, PATH_MAX, ProcFs, STREAM_CAP, Truncated};
use crate::error::{Errno, ReadError, classify};
use crate::parse::{self, net, stat::Stat, status::Status};

/// An open process. Reads after the process exits fail with
/// [`ReadError::Exited`], never with another process's data.
#[derive(Debug)]
pub struct Process {
    pid: i32,
    dir: OwnedFd,
    path: PathBuf,
    /// The stat read when the handle was opened: identity (start time),
    /// name, state at that moment.
    stat: Stat,
    /// Whether files must be checked to be regular before reading (the
    /// root is not a real procfs: a fixture tree may hold FIFOs, devices).
    check_type: bool,
}

/// One descriptor: number, link text, and its fdinfo when it was read.
/// A link that cannot be read (a path longer than PATH_MAX fails with
/// ENAMETOOLONG) is that one descriptor's error: the descriptor is still
/// open and counted, its type unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdEntry {
    pub fd: i32,
    pub link: Result<Vec<u8>, ReadError>,
    pub info: Option<parse::fdinfo::FdInfo>,
}

/// Where [`Process::for_each_fd`] hands the descriptors.
pub trait FdSink {
    /// How many descriptors the kernel counts (0 when unknown), before
    /// the first: room for them can be made once.
    fn expect(&mut self, n: usize);
    fn push(&mut self, e: FdEntry);
}

impl FdSink for Vec<FdEntry> {
    fn expect(&mut self, n: usize) {
        self.reserve_exact(n);
    }
    fn push(&mut self, e: FdEntry) {
        Vec::push(self, e);
    }
}

impl FdEntry {
    /// The open flags, when fdinfo was read.
    pub fn flags(&self) -> Option<u64> {
        self.info.and_then(|i| i.flags)
    }
}

/// Which descriptors get their fdinfo read (one more read each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdInfoWanted {
    /// None: the cheapest listing (net, counts).
    None,
    /// Path-backed descriptors only, so directories can be told from files
    /// without stat on the target.
    Paths,
    /// Every descriptor (`fds --long`: mode, flags, position).
    All,
}

/// What `doctor`, `net` and `watch` need from a descriptor list: the
/// socket inodes, and how many deleted files are held open.
#[derive(Debug, Clone, Default)]
pub struct LinkSummary {
    pub socket_inodes: net::InodeSet,
    pub deleted: u64,
}

/// One pass over the descriptors' link texts.
pub fn summarize_links(entries: &[FdEntry]) -> LinkSummary {
    let none = std::collections::HashSet::new();
    let mut out = LinkSummary::default();
    for e in entries {
        let Ok(link) = &e.link else { continue };
        let l = parse::fdlink::classify(link, None, &none);
        out.deleted += u64::from(l.deleted);
        if let (parse::fdlink::FdKind::Socket, Some(i)) = (l.kind, l.inode) {
            out.socket_inodes.insert(i);
        }
    }
    out
}

/// The socket inodes among a process's descriptors.
pub fn socket_inodes(entries: &[FdEntry]) -> net::InodeSet {
    summarize_links(entries).socket_inodes
}

/// A thread: its stat, and its status when readable.
#[derive(Debug, Clone)]
pub struct ThreadDetail {
    pub tid: i32,
    pub stat: Stat,
    pub status: Option<Status>,
    /// Why `status` is None (a `ReadError::reason`): listed in the view's
    /// `unavailable`, never shown as a bare `?`.
    pub status_error: Option<&'static str>,
}

/// The socket inode of descriptor `fd` in the open `fd` directory
/// `fd_dir` ([`Process::fd_numbers`]): Some(None) when it is not a
/// socket, None when it could not be read (closed since the listing).
pub fn fd_socket_inode(fd_dir: &OwnedFd, fd: i32) -> Option<Option<u64>> {
    let mut name = [0u8; 40];
    let path = task_file(&mut name, fd, b"");
    let mut buf = [0u8; PATH_MAX + 1];
    let n = rustix::fs::readlinkat_raw(fd_dir, path, &mut buf[..]).ok()?;
    let link = buf.get(..n)?;
    Some(
        link.strip_prefix(b"socket:")
            .and_then(|_| parse::fdlink::classify(link, None, &Default::default()).inode),
    )
}

/// `TID/NAME` (`TID` alone for an empty NAME) as a C string in `buf`, without an allocation per thread
/// (`threads` builds two per thread). A TID is a positive i32: at most 10
/// digits, and NAME is a short file name; past the buffer, the name is
/// cut (an open that then fails, never a panic).
fn task_file<'a>(buf: &'a mut [u8; 40], tid: i32, name: &[u8]) -> &'a std::ffi::CStr {
    let mut digits = [0u8; 10];
    let mut n = tid.unsigned_abs();
    let mut d = digits.len();
    loop {
        d -= 1;
        digits[d] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || d == 0 {
            break;
        }
    }
    let mut len = 0;
    let slash: &[u8] = if name.is_empty() { b"" } else { b"/" };
    for &b in digits[d..].iter().chain(slash).chain(name) {
        if len + 1 >= buf.len() || b == 0 {
            break;
        }
        buf[len] = b;
        len += 1;
    }
    buf[len] = 0;
    std::ffi::CStr::from_bytes_with_nul(&buf[..=len]).unwrap_or_default()
}

/// The descriptors open in the process whose /proc directory is `dir`: on
/// Linux 6.2 and later the size stat() reports for a procfs `fd`
/// directory is the count (one syscall); otherwise (or on a fixture tree,
/// or when the size is 0) the directory is listed, without readlink.
pub(super) fn count_fds(
    dir: impl AsFd,
    stat_size_is_count: bool,
) -> Result<u64, rustix::io::Errno> {
    if stat_size_is_count {
        let st = rustix::fs::statat(&dir, c"fd", rustix::fs::AtFlags::empty())?;
        if st.st_size > 0 {
            return Ok(st.st_size as u64);
        }
    }
    let fd_dir = openat(
        &dir,
        c"fd",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut n = 0u64;
    for entry in Dir::new(fd_dir)? {
        if entry?
            .file_name()
            .to_bytes()
            .first()
            .is_some_and(u8::is_ascii_digit)
        {
            n += 1;
        }
    }
    Ok(n)
}

fn io_err(e: rustix::io::Errno) -> io::Error {
    io::Error::from(e)
}

fn cstr(s: &str) -> CString {
    // Relative paths built by proctor never contain NUL.
    CString::new(s).unwrap_or_default()
}

impl Process {
    pub(super) fn open(fs: &ProcFs, pid: i32) -> Result<Process, ReadError> {
        let path = fs.proc_root().join(pid.to_string());
        let dir = openat(
            CWD,
            &path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match classify(&io_err(e)) {
            Errno::Missing => ReadError::Exited { pid },
            Errno::Denied => ReadError::PermissionDenied { path: path.clone() },
            Errno::NotSupported => ReadError::Exited { pid },
            Errno::Other(message) => ReadError::Io {
                path: path.clone(),
                message,
            },
        })?;
        let stat_path = path.join("stat");
        let check_type = !rustix::fs::fstatfs(&dir).is_ok_and(|s| super::is_procfs(&s));
        let raw = super::open_read(&dir, c"stat", check_type)
            .and_then(|fd| super::read_file(File::from(fd)))
            .map_err(|e| match classify(&e) {
                Errno::Missing => ReadError::Exited { pid },
                Errno::Denied => ReadError::PermissionDenied {
                    path: stat_path.clone(),
                },
                Errno::NotSupported => ReadError::Exited { pid },
                Errno::Other(message) => ReadError::Io {
                    path: stat_path.clone(),
                    message,
                },
            })?;
        if raw.is_empty() {
            // A stat file that reads empty belongs to a process being torn down.
            return Err(ReadError::Exited { pid });
        }
        let stat = parse::stat::parse(&raw).map_err(|f| ReadError::parse(&stat_path, f.field))?;
        Ok(Process {
            pid,
            dir,
            path,
            stat,
            check_type,
        })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Start time in clock ticks since boot: with the PID, the identity.
    pub fn start_ticks(&self) -> u64 {
        self.stat.starttime
    }

    /// The stat read at open time.
    pub fn initial_stat(&self) -> &Stat {
        &self.stat
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.path.join(rel)
    }

    /// The descriptor on /proc/PID (for the reader's other modules), and
    /// whether the root is a real procfs (not a fixture tree).
    pub(super) fn dir_fd(&self) -> (std::os::fd::BorrowedFd<'_>, bool) {
        (self.dir.as_fd(), !self.check_type)
    }

    /// Turn an ENOENT/ESRCH on `rel` into "exited" or "not there for this
    /// process" by checking that the same process is still alive.
    fn resolve_missing(&self, rel: &str) -> ReadError {
        match self.no_user_state(rel) {
            Err(e) => e,
            Ok(()) => ReadError::NotSupported {
                path: self.path(rel),
                detail: format!("{rel} is not provided by this kernel"),
            },
        }
    }

    /// Check the process again: `Exited` if gone or replaced, `NotSupported`
    /// if it is a zombie or kernel thread (nothing in user space to read),
    /// `Ok` if it is an ordinary live process.
    fn no_user_state(&self, rel: &str) -> Result<(), ReadError> {
        let path = self.path(rel);
        let now = self
            .read_raw("stat")
            .ok()
            .and_then(|b| parse::stat::parse(&b).ok());
        match now {
            None => Err(ReadError::Exited { pid: self.pid }),
            Some(s) if s.starttime != self.stat.starttime => {
                Err(ReadError::Exited { pid: self.pid })
            }
            Some(s) if s.state == b'Z' || s.state == b'X' => Err(ReadError::NotSupported {
                path,
                detail:
                    "zombie process: it has exited and released its memory, descriptors and sockets"
                        .into(),
            }),
            Some(s) if s.is_kernel_thread() => Err(ReadError::NotSupported {
                path,
                detail: "kernel thread: no user memory, descriptors or command line".into(),
            }),
            Some(_) => Ok(()),
        }
    }

    pub(super) fn map_err(&self, rel: &str, e: io::Error) -> ReadError {
        match classify(&e) {
            Errno::Missing => self.resolve_missing(rel),
            Errno::Denied => ReadError::PermissionDenied {
                path: self.path(rel),
            },
            Errno::NotSupported => ReadError::NotSupported {
                path: self.path(rel),
                detail: format!("{rel} is not supported here"),
            },
            Errno::Other(message) => ReadError::Io {
                path: self.path(rel),
                message,
            },
        }
    }

    /// Read a single-record file (fdinfo, stat): a short read ends it.
    fn read_record(&self, rel: &str) -> io::Result<Vec<u8>> {
        self.read_with(rel, true)
    }

    fn read_raw(&self, rel: &str) -> io::Result<Vec<u8>> {
        self.read_with(rel, false)
    }

    /// Open a file of this process for reading (O_NONBLOCK; checked to be
    /// a regular file when the root is not a real procfs).
    fn open_rel(&self, rel: &std::ffi::CStr) -> io::Result<OwnedFd> {
        super::open_read(&self.dir, rel, self.check_type)
    }

    /// Read a whole file, at most [`super::FILE_CAP`] bytes (longer is an
    /// error).
    fn read_with(&self, rel: &str, one_record: bool) -> io::Result<Vec<u8>> {
        let fd = self.open_rel(cstr(rel).as_c_str())?;
        let mut buf = Vec::new();
        super::read_fd(fd, &mut buf, one_record)?;
        Ok(buf)
    }

    /// Read at most `cap` bytes of a file: (bytes, whether it held more).
    fn read_capped(&self, rel: &str, cap: usize) -> Result<(Vec<u8>, bool), ReadError> {
        let fd = self
            .open_rel(cstr(rel).as_c_str())
            .map_err(|e| self.map_err(rel, e))?;
        let mut buf = Vec::new();
        let more =
            super::read_capped(fd, &mut buf, cap, false).map_err(|e| self.map_err(rel, e))?;
        Ok((buf, more))
    }

    /// Open a file of this process to re-read it later (pread at 0).
    pub fn open_file(&self, rel: &std::ffi::CStr) -> Result<OwnedFd, ReadError> {
        self.open_rel(rel)
            .map_err(|e| self.map_err(&rel.to_string_lossy(), e))
    }

    /// Read a file of this process (`status`, `net/tcp`, `task/12/comm`),
    /// at most [`super::FILE_CAP`] bytes (longer is an error).
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, ReadError> {
        self.read_raw(rel).map_err(|e| self.map_err(rel, e))
    }

    /// Read a link of this process (`exe`, `cwd`).
    pub fn readlink(&self, rel: &str) -> Result<Vec<u8>, ReadError> {
        readlink_bounded(&self.dir, cstr(rel).as_c_str()).map_err(|e| self.map_err(rel, e))
    }

    /// Confirm the process is still the live one that was opened: an error
    /// `Exited` when it is gone, replaced, or has become a zombie since
    /// (its files then read empty, which must not pass for real data).
    pub fn still_alive(&self) -> Result<(), ReadError> {
        let now = self.stat()?;
        let dead = |s: u8| s == b'Z' || s == b'X';
        if dead(now.state) && !dead(self.stat.state) {
            return Err(ReadError::Exited { pid: self.pid });
        }
        Ok(())
    }

    /// Read a file that a zombie or kernel thread may legitimately have
    /// empty (cmdline, environ): empty content is returned as is.
    pub fn stat(&self) -> Result<Stat, ReadError> {
        let b = self.read("stat")?;
        if b.is_empty() {
            return Err(ReadError::Exited { pid: self.pid });
        }
        let s =
            parse::stat::parse(&b).map_err(|f| ReadError::parse(&self.path("stat"), f.field))?;
        if s.starttime != self.stat.starttime {
            return Err(ReadError::Exited { pid: self.pid });
        }
        Ok(s)
    }

    pub fn status(&self) -> Result<Status, ReadError> {
        let b = self.read("status")?;
        parse::status::parse(&b).map_err(|f| ReadError::parse(&self.path("status"), f.field))
    }

    /// The arguments, from at most [`CMDLINE_READ_CAP`] bytes of the
    /// command line, and what was cut (its full length from stat's
    /// arg_start/arg_end when shown).
    pub fn cmdline(&self) -> Result<(Vec<Vec<u8>>, Option<Truncated>), ReadError> {
        let (b, more) = self.read_capped("cmdline", CMDLINE_READ_CAP)?;
        let cut = more.then(|| self.truncated(b.len(), Stat::cmdline_len));
        Ok((parse::cmdline::split_nul(&b), cut))
    }

    /// The number of environment variables in at most [`ENVIRON_CAP`]
    /// bytes of `environ`, and what was cut.
    pub fn environ_count(&self) -> Result<(usize, Option<Truncated>), ReadError> {
        self.environ()
            .map(|(b, cut)| (parse::cmdline::count_nul(&b), cut))
    }

    /// What a capped read of `shown` bytes cut, with the full length from
    /// a fresh stat when it shows it.
    fn truncated(&self, shown: usize, len: impl Fn(&Stat) -> Option<u64>) -> Truncated {
        let total = self
            .stat()
            .ok()
            .and_then(|s| len(&s))
            .filter(|&t| t > shown as u64);
        Truncated {
            shown_bytes: shown as u64,
            total_bytes: total,
        }
    }

    /// RLIMIT_NOFILE (soft, hard); None inside means unlimited.
    pub fn nofile_limit(&self) -> Result<parse::limits::Limit, ReadError> {
        let b = self.read("limits")?;
        parse::limits::find(&b, "Max open files")
            .ok_or_else(|| ReadError::parse(&self.path("limits"), "Max open files"))
    }

    /// `io`, parsed by procfs-core (kernel-formatted numbers only).
    pub fn io(&self) -> Result<procfs_core::process::Io, ReadError> {
        use procfs_core::FromRead;
        let b = self.read("io")?;
        procfs_core::process::Io::from_read(&b[..])
            .map_err(|_| ReadError::parse(&self.path("io"), "io fields"))
    }

    /// `smaps_rollup` totals. Keys as in the file (`Rss`, `Pss`, `Swap`,
    /// ...), values in bytes.
    pub fn smaps_rollup(&self) -> Result<parse::smaps::Rollup, ReadError> {
        let b = self.read("smaps_rollup")?;
        if b.is_empty() {
            // Kernel threads read an empty rollup on some kernels.
            return Err(self.resolve_missing("smaps_rollup"));
        }
        parse::smaps::parse_rollup(&b)
            .map_err(|f| ReadError::parse(&self.path("smaps_rollup"), f.field))
    }

    pub fn oom_score(&self) -> Result<u64, ReadError> {
        let b = self.read("oom_score")?;
        parse::parse_single_u64(&b)
            .map_err(|_| ReadError::parse(&self.path("oom_score"), "oom_score"))
    }

    pub fn oom_score_adj(&self) -> Result<i64, ReadError> {
        let b = self.read("oom_score_adj")?;
        parse::parse_i64(parse::trim(&b))
            .ok_or_else(|| ReadError::parse(&self.path("oom_score_adj"), "oom_score_adj"))
    }

    pub fn cgroup(&self) -> Result<Vec<parse::cgroup::CgroupLine>, ReadError> {
        self.read("cgroup").map(|b| parse::cgroup::parse(&b))
    }

    /// The open `fd` directory and a listing of it (errors named `fd`):
    /// where every walk of the descriptors starts.
    pub(super) fn fd_listing(&self) -> Result<(OwnedFd, Dir), ReadError> {
        let fd_dir = openat(
            &self.dir,
            c"fd",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| self.map_err("fd", io_err(e)))?;
        let dir = Dir::read_from(&fd_dir).map_err(|e| self.map_err("fd", io_err(e)))?;
        Ok((fd_dir, dir))
    }

    /// How many descriptors to make room for: the kernel's count (the
    /// `fd` directory's st_size, on 6.2+ and a real procfs), at most
    /// 65,536; 0 when not known (the list then grows as read).
    fn fd_count_hint(&self, fd_dir: &OwnedFd) -> usize {
        if !self.on_procfs() || !super::kernel_counts_fds_in_stat() {
            return 0;
        }
        rustix::fs::fstat(fd_dir)
            .map_or(0, |st| usize::try_from(st.st_size).unwrap_or(0).min(65_536))
    }

    /// Every open descriptor with its link text (at most [`LINK_CAP`]
    /// bytes: see [`shorten_middle`]). Descriptors closed while
    /// listing are skipped silently. With `dir_flags`, fdinfo is read for
    /// path-backed descriptors (one more read each) to spot directories.
    pub fn fds(&self, wanted: FdInfoWanted) -> Result<Vec<FdEntry>, ReadError> {
        let mut out = Vec::new();
        self.for_each_fd(wanted, &mut out)?;
        out.sort_by_key(|e| e.fd);
        Ok(out)
    }

    /// [`Process::fds`] one entry at a time, in the kernel's order
    /// (ascending fd), without keeping the list: `fds` builds its rows
    /// as the links are read. Returns how many were handed over.
    pub fn for_each_fd(
        &self,
        wanted: FdInfoWanted,
        sink: &mut impl FdSink,
    ) -> Result<usize, ReadError> {
        let (fd_dir, dir) = self.fd_listing()?;
        // Sized once: the kernel counts the open descriptors in the
        // directory's st_size (6.2+). Growing by doubling copied 20,000
        // entries several times, and fresh pages cost a page fault each
        // (bench/fds.sh).
        sink.expect(self.fd_count_hint(&fd_dir));
        let mut n = 0usize;
        // One buffer for every link: a fresh zeroed PATH_MAX array per
        // descriptor was 80 MB of memset for 20,000 of them.
        let mut buf = vec![0u8; PATH_MAX + 1];
        for entry in dir {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => return Err(self.map_err("fd", io_err(e))),
            };
            let name = entry.file_name();
            let Some(fd) = parse::entry_number(name.to_bytes()) else {
                continue;
            };
            let link = match readlink_into(fd_dir.as_fd(), name, &mut buf) {
                Ok(l) if l.len() > LINK_CAP => Ok(shorten_middle(&l, LINK_CAP)),
                Ok(l) => Ok(l),
                Err(e) => match classify(&e) {
                    // Closed between the listing and the readlink.
                    Errno::Missing => continue,
                    // The process is gone or the whole directory refused:
                    // that is the section's error, not this row's.
                    Errno::Denied => return Err(self.map_err(&format!("fd/{fd}"), e)),
                    // ENAMETOOLONG (a path past PATH_MAX), EIO...: this one
                    // descriptor is unreadable; the others are still read.
                    _ => Err(self.map_err(&format!("fd/{fd}"), e)),
                },
            };
            if matches!(link, Err(ReadError::Exited { .. })) {
                return Err(ReadError::Exited { pid: self.pid });
            }
            let want = match (&link, wanted) {
                (_, FdInfoWanted::None) => false,
                (_, FdInfoWanted::All) => true,
                (Ok(link), FdInfoWanted::Paths) => {
                    link.first() == Some(&b'/')
                        && !link.starts_with(b"/dev/")
                        && !link.starts_with(b"/memfd:")
                }
                (Err(_), FdInfoWanted::Paths) => true,
            };
            // A descriptor closed since the readlink has no fdinfo: keep the
            // row (it was open when listed), without the details.
            let info = if want {
                self.read_record(&format!("fdinfo/{fd}"))
                    .ok()
                    .map(|b| parse::fdinfo::parse(&b))
            } else {
                None
            };
            sink.push(FdEntry { fd, link, info });
            n += 1;
        }
        if n == 0 {
            // An empty list from a process that has just exited, a zombie or a
            // kernel thread is not "no descriptors": say which.
            self.no_user_state("fd")?;
        }
        Ok(n)
    }

    /// What [`summarize_links`] says of [`Process::fds`], without keeping
    /// the list: every link is read into one buffer on the stack and
    /// classified at once (no allocation per descriptor; `doctor` and
    /// `watch` read 20,000 links this way). Errors as [`Process::fds`].
    pub fn fd_link_summary(&self) -> Result<LinkSummary, ReadError> {
        let (fd_dir, dir) = self.fd_listing()?;
        let none = std::collections::HashSet::new();
        let mut out = LinkSummary::default();
        let mut seen = 0usize;
        let mut buf = [0u8; PATH_MAX + 1];
        for entry in dir {
            let entry = entry.map_err(|e| self.map_err("fd", io_err(e)))?;
            let name = entry.file_name();
            let Some(fd) = parse::entry_number(name.to_bytes()) else {
                continue;
            };
            let n = match rustix::fs::readlinkat_raw(&fd_dir, name, &mut buf[..]) {
                Ok(n) => n,
                Err(e) => match classify(&io_err(e)) {
                    Errno::Missing => continue,
                    Errno::Denied => return Err(self.map_err(&format!("fd/{fd}"), io_err(e))),
                    // One unreadable descriptor (ENAMETOOLONG, EIO): the
                    // others are still read, as in `fds`.
                    _ => {
                        seen += 1;
                        continue;
                    }
                },
            };
            seen += 1;
            if n > PATH_MAX {
                continue;
            }
            let l = parse::fdlink::classify(&buf[..n], None, &none);
            out.deleted += u64::from(l.deleted);
            if let (parse::fdlink::FdKind::Socket, Some(i)) = (l.kind, l.inode) {
                out.socket_inodes.insert(i);
            }
        }
        if seen == 0 {
            self.no_user_state("fd")?;
        }
        Ok(out)
    }

    /// The descriptor numbers open now, sorted (one listing, no
    /// readlink), and the open `fd` directory to read single links from
    /// ([`fd_socket_inode`]). Errors as [`Process::fds`].
    pub fn fd_numbers(&self) -> Result<(OwnedFd, Vec<i32>), ReadError> {
        let (fd_dir, dir) = self.fd_listing()?;
        let mut out = Vec::new();
        for entry in dir {
            let entry = entry.map_err(|e| self.map_err("fd", io_err(e)))?;
            if let Some(fd) = parse::entry_number(entry.file_name().to_bytes()) {
                out.push(fd);
            }
        }
        if out.is_empty() {
            self.no_user_state("fd")?;
        }
        out.sort_unstable();
        Ok((fd_dir, out))
    }

    /// The number of open descriptors by the cheapest route (see
    /// [`count_fds`]).
    pub fn fd_count(&self, stat_size_is_count: bool) -> Result<u64, ReadError> {
        let n =
            count_fds(&self.dir, stat_size_is_count).map_err(|e| self.map_err("fd", io_err(e)))?;
        if n == 0 {
            // 0 may be a real count of 0, or a zombie or kernel thread.
            self.no_user_state("fd")?;
        }
        Ok(n)
    }

    /// Whether this process's /proc directory is on a real procfs (not a
    /// fixture tree): the stat-size descriptor count is only valid there.
    pub fn on_procfs(&self) -> bool {
        rustix::fs::fstatfs(&self.dir).is_ok_and(|s| super::is_procfs(&s))
    }

    /// The environment the process started with, raw: at most
    /// [`ENVIRON_CAP`] bytes, and what was cut.
    pub fn environ(&self) -> Result<(Vec<u8>, Option<Truncated>), ReadError> {
        let (b, more) = self.read_capped("environ", ENVIRON_CAP)?;
        let cut = more.then(|| self.truncated(b.len(), Stat::environ_len));
        Ok((b, cut))
    }

    /// `smaps`, raw: one block per mapping (can be megabytes). Paths
    /// longer than [`MAP_PATH_CAP`] are shortened (see [`shorten_map_path`]).
    pub fn smaps(&self) -> Result<Vec<parse::smaps::Mapping>, ReadError> {
        let mut p = parse::smaps::SmapsParser::default();
        let mut any = false;
        self.for_each_line("smaps", |line| {
            any = true;
            match shorten_map_path(line, MAP_PATH_CAP) {
                Some(short) => p.line(&short),
                None => p.line(line),
            }
            true
        })?;
        if !any {
            self.no_user_state("smaps")?;
        }
        Ok(p.finish())
    }

    /// Stream a file line by line (64 KiB reads) without holding its whole
    /// text: smaps can be 15 MB, a host's tcp table several MB. `f`
    /// returns false to stop early. Memory is bounded whatever the file
    /// holds: a line longer than [`LINE_CAP`] is handed over cut at that
    /// length (the rest is skipped), and a file longer than [`STREAM_CAP`]
    /// is an error.
    pub fn for_each_line(&self, rel: &str, f: impl FnMut(&[u8]) -> bool) -> Result<(), ReadError> {
        let fd = self
            .open_rel(cstr(rel).as_c_str())
            .map_err(|e| self.map_err(rel, e))?;
        stream_lines(&fd, LINE_CAP, STREAM_CAP, f).map_err(|e| self.map_err(rel, e))
    }

    /// Every row of one of the process's network tables (`net/tcp`,
    /// `net/unix`...), its header line skipped, as
    /// [`Process::for_each_line`] reads them (`f` returns false to stop).
    /// With `optional`, a table the kernel does not have (`tcp6` without
    /// IPv6, `raw` without the protocol) has no rows rather than an error.
    pub fn for_each_table_row(
        &self,
        rel: &str,
        optional: bool,
        mut f: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), ReadError> {
        let mut header = true;
        match self.for_each_line(rel, |line| std::mem::take(&mut header) || f(line)) {
            Err(ReadError::NotSupported { .. }) if optional => Ok(()),
            r => r,
        }
    }

    /// Every thread's stat and context switches (from status). Threads
    /// that exit while listing are skipped; a status that cannot be read
    /// leaves `status` empty. Large thread lists are read by two workers:
    /// two reads per thread dominate, and they run in parallel in the
    /// kernel (measured on 2 cores with 2,000 threads: 60 ms serial with
    /// std reads, 36 ms with two workers and plain read(2); ps -L 136 ms).
    pub fn thread_details(&self) -> Result<Vec<ThreadDetail>, ReadError> {
        let task = openat(
            &self.dir,
            c"task",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| self.map_err("task", io_err(e)))?;
        let mut tids = Vec::new();
        for entry in Dir::read_from(&task).map_err(|e| self.map_err("task", io_err(e)))? {
            let entry = entry.map_err(|e| self.map_err("task", io_err(e)))?;
            if let Some(tid) = parse::entry_number(entry.file_name().to_bytes()) {
                tids.push(tid);
            }
        }
        tids.sort_unstable();
        let workers = if tids.len() >= 256 {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 4)
        } else {
            1
        };
        let chunk = tids.len().div_ceil(workers).max(1);
        let results: Vec<Result<Vec<ThreadDetail>, ReadError>> = if workers == 1 {
            vec![self.read_threads(&task, &tids)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = tids
                    .chunks(chunk)
                    .map(|part| {
                        let task = &task;
                        scope.spawn(move || self.read_threads(task, part))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(ReadError::parse(&self.path("task"), "thread reader"))
                        })
                    })
                    .collect()
            })
        };
        let mut out = Vec::with_capacity(tids.len());
        for r in results {
            out.extend(r?);
        }
        if out.is_empty() {
            self.stat()?;
        }
        Ok(out)
    }

    fn read_threads(&self, task: &OwnedFd, tids: &[i32]) -> Result<Vec<ThreadDetail>, ReadError> {
        let mut out = Vec::with_capacity(tids.len());
        let mut buf = Vec::with_capacity(2048);
        let read_into = |rel: &std::ffi::CStr, buf: &mut Vec<u8>| -> io::Result<()> {
            let fd = super::open_read(task, rel, self.check_type)?;
            super::read_fd(fd, buf, true)
        };
        let mut path = [0u8; 40];
        for &tid in tids {
            let rel = task_file(&mut path, tid, b"stat");
            match read_into(rel, &mut buf) {
                Ok(()) if !buf.is_empty() => {}
                Ok(()) => continue,
                Err(e) if classify(&e) == Errno::Missing => continue,
                Err(e) => return Err(self.map_err(&format!("task/{tid}/stat"), e)),
            }
            let stat = parse::stat::parse(&buf)
                .map_err(|f| ReadError::parse(&self.path(&format!("task/{tid}/stat")), f.field))?;
            let rel = task_file(&mut path, tid, b"status");
            let (status, status_error) = match read_into(rel, &mut buf) {
                Ok(()) => (Some(parse::status::parse_switches(&buf)), None),
                Err(e) => (
                    None,
                    Some(self.map_err(&format!("task/{tid}/status"), e).reason()),
                ),
            };
            out.push(ThreadDetail {
                tid,
                stat,
                status,
                status_error,
            });
        }
        Ok(out)
    }

    /// Sockets of this process in its own network namespace, found by
    /// joining `inodes` to that namespace's tables. TCP and unix sockets
    /// come from netlink sock_diag when it can be asked in that namespace
    /// (proctor's own, or any with CAP_SYS_ADMIN), else from the text
    /// tables under /proc/PID/net; UDP and raw from the text tables.
    /// Unix sockets are looked up last, once every table that a socket name
    /// cannot forge has claimed its inodes. Reading stops once every inode
    /// is found.
    pub fn sockets(&self, inodes: &net::InodeSet) -> Result<Sockets, ReadError> {
        self.sockets_of(inodes, false)
    }

    /// Only the TCP sockets (v4 and v6) among `inodes`, from the same
    /// sources as [`Process::sockets`]: `doctor` needs no other kind, and
    /// asking for the host's unix sockets too held one record (name
    /// included) per unix socket of every process at once.
    pub fn tcp_sockets(&self, inodes: &net::InodeSet) -> Result<Vec<net::InetSocket>, ReadError> {
        self.sockets_of(inodes, true).map(|s| s.inet)
    }

    /// The one walk behind [`Process::sockets`] and
    /// [`Process::tcp_sockets`]; `tcp_only` skips every other table.
    fn sockets_of(&self, inodes: &net::InodeSet, tcp_only: bool) -> Result<Sockets, ReadError> {
        let mut out = Sockets::default();
        let mut left: net::InodeSet = inodes.clone();
        let mut diag = self.diag();
        let mut tcp_done = false;
        if let Some(d) = diag.as_mut() {
            if let Ok(found) = d.tcp_sockets(&left) {
                for s in found {
                    left.remove(&s.inode);
                    out.inet.push(s);
                }
                tcp_done = true;
            }
        }
        let tables = [
            (net::Proto::Tcp, true),
            (net::Proto::Tcp6, true),
            (net::Proto::Udp, true),
            (net::Proto::Udp6, true),
            (net::Proto::Raw, false),
            (net::Proto::Raw6, false),
        ];
        for (proto, required) in tables {
            if left.is_empty() {
                break;
            }
            if (tcp_done && proto.is_tcp()) || (tcp_only && !proto.is_tcp()) {
                continue;
            }
            let rel = format!("net/{}", proto.as_str());
            // Optional tables: absent when the protocol is not built in.
            self.for_each_table_row(&rel, !required, |line| {
                if let Some(s) = net::parse_inet_line(line, proto, &left) {
                    left.remove(&s.inode);
                    out.inet.push(s);
                } else if let Some(i) = net::inet_line_inode(line).filter(|i| left.contains(i)) {
                    // The process's socket, on a line that does not parse:
                    // its state is unknown (a parse error), not "other".
                    left.remove(&i);
                    out.unparsed.push((proto, i));
                }
                // Stop reading a large table once every socket is found.
                !left.is_empty()
            })?;
        }
        if !left.is_empty() && !tcp_only {
            let from_diag = diag.as_mut().and_then(|d| d.unix_sockets(&left).ok());
            let found = match from_diag {
                Some(found) => found,
                None => self.unix_sockets_from_text(&left)?,
            };
            for s in found {
                left.remove(&s.inode);
                out.unix.push(s);
            }
        }
        if !left.is_empty() && !tcp_only {
            self.netlink_sockets(&mut left, &mut out.netlink)?;
        }
        // packet, vsock...: not in the tables above.
        out.other = left.len();
        Ok(out)
    }

    /// The netlink sockets among `left` (from `net/netlink`, streamed;
    /// optional: absent without netlink), removed from `left`.
    fn netlink_sockets(
        &self,
        left: &mut net::InodeSet,
        out: &mut Vec<net::NetlinkSocket>,
    ) -> Result<(), ReadError> {
        self.for_each_table_row("net/netlink", true, |line| {
            if let Some(s) = net::parse_netlink_line(line, left) {
                left.remove(&s.inode);
                out.push(s);
            }
            !left.is_empty()
        })
    }

    /// The TCP listeners among `inodes` with their accept queue and, from
    /// sock_diag, their backlog (filtered by state in the kernel: cheap on
    /// a namespace of many connections); from the text tables without
    /// sock_diag (backlog unknown).
    pub fn tcp_listeners(&self, inodes: &net::InodeSet) -> Result<Vec<net::InetSocket>, ReadError> {
        if let Some(found) = self.diag().and_then(|mut d| d.tcp_listeners(inodes).ok()) {
            return Ok(found);
        }
        let all = self.sockets_of(inodes, true)?;
        Ok(all
            .inet
            .into_iter()
            .filter(|s| s.state == net::TCP_LISTEN)
            .collect())
    }

    /// The namespace's listen-queue drop counters (`net/netstat`, TcpExt):
    /// since the namespace was made, for every listener in it.
    pub fn listen_counters(&self) -> Result<net::ListenCounters, ReadError> {
        let mut names: Option<Vec<u8>> = None;
        let mut out = None;
        self.for_each_line("net/netstat", |line| {
            if !line.starts_with(b"TcpExt:") {
                return true;
            }
            match names.take() {
                None => {
                    names = Some(line.to_vec());
                    true
                }
                Some(mut both) => {
                    both.push(b'\n');
                    both.extend_from_slice(line);
                    out = Some(net::parse_listen_counters(&both));
                    false
                }
            }
        })?;
        Ok(out.unwrap_or_default())
    }

    /// A sock_diag socket in this process's network namespace, when one
    /// can be had: proctor's own namespace, or entering the process's
    /// (root).
    pub(super) fn diag(&self) -> Option<super::diag::Diag> {
        if self.in_our_netns() {
            return super::diag::Diag::own().ok();
        }
        let ns = openat(
            &self.dir,
            c"ns/net",
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        super::diag::Diag::in_namespace(ns.as_fd()).ok()
    }

    /// Every socket inode in the process's network namespace (its
    /// /proc/PID/net tables), for when its descriptors cannot be read.
    pub fn namespace_socket_inodes(&self) -> Result<net::InodeSet, ReadError> {
        let mut all = net::InodeSet::default();
        for t in ["net/tcp", "net/tcp6", "net/udp", "net/udp6", "net/unix"] {
            let unix = t == "net/unix";
            self.for_each_table_row(t, true, |line| {
                let i = if unix {
                    net::unix_line_inode(line)
                } else {
                    net::inet_line_inode(line)
                };
                if let Some(i) = i.filter(|&i| i != 0) {
                    all.insert(i);
                }
                true
            })?;
        }
        Ok(all)
    }

    /// Whether the process shares proctor's network namespace (so a
    /// netlink dump from here sees its sockets).
    fn in_our_netns(&self) -> bool {
        let theirs = readlink_bounded(&self.dir, c"ns/net");
        let ours = std::fs::read_link("/proc/self/ns/net");
        match (theirs, ours) {
            (Ok(t), Ok(o)) => t == o.as_os_str().as_encoded_bytes(),
            _ => false,
        }
    }

    /// Unix sockets from the text table, where a socket name can write
    /// a whole fake record. [`net::UnixTable`] keeps a record only when it
    /// is the only one for its inode; a record for an inode that really is
    /// a socket of another kind (netlink, packet, ...) is caught here: the
    /// descriptor's protocol, from the `system.sockprotoname` attribute of
    /// the socket, must be UNIX. When the descriptors cannot be listed
    /// (another user's process: the caller shows the whole namespace
    /// table, not this process's sockets) only the first rule applies.
    fn unix_sockets_from_text(
        &self,
        wanted: &net::InodeSet,
    ) -> Result<Vec<net::UnixSocket>, ReadError> {
        let mut table = net::UnixTable::default();
        self.for_each_table_row("net/unix", false, |line| {
            table.line(line, wanted);
            true
        })?;
        let mut found = table.finish();
        if let Some(protocols) = self.socket_protocols(found.iter().map(|s| s.inode).collect()) {
            // "UNIX" on older kernels, "UNIX-STREAM" / "UNIX-DGRAM" since.
            let is_unix = |p: &[u8]| p == b"UNIX" || p.starts_with(b"UNIX-");
            // A record for a socket of another kind is forged: drop it (the
            // inode stays unmatched). One whose kind could not be read is
            // kept without its details.
            found.retain(|s| {
                protocols
                    .get(&s.inode)
                    .is_none_or(|p| p.is_empty() || is_unix(p))
            });
            for s in &mut found {
                if !protocols.get(&s.inode).is_some_and(|p| is_unix(p)) {
                    *s = net::UnixSocket::unverified(s.inode);
                }
            }
        }
        Ok(found)
    }

    /// The protocol name (`NETLINK`, `PACKET`, ...) of the socket open as
    /// descriptor `fd`, from getxattr(system.sockprotoname) on
    /// /proc/PID/fd/FD (nothing opened); None off a procfs or when it
    /// cannot be read.
    pub fn socket_protocol(&self, fd: i32) -> Option<Vec<u8>> {
        if !self.on_procfs() {
            return None;
        }
        let path = self.path.join("fd").join(fd.to_string());
        let mut buf = [0u8; 32];
        let n = rustix::fs::getxattr(&path, c"system.sockprotoname", &mut buf[..]).ok()?;
        let v = &buf[..n.min(buf.len())];
        Some(v.split(|&c| c == 0).next().unwrap_or_default().to_vec())
    }

    /// The protocol name (`UNIX`, `TCP`, `NETLINK`, ...) of the sockets
    /// among this process's descriptors whose inode is in `inodes`, from
    /// getxattr(system.sockprotoname) on /proc/PID/fd/N (the socket
    /// itself: nothing is opened). None when the descriptors cannot be
    /// listed, or on a captured tree (not a procfs: its links lead to no
    /// socket).
    fn socket_protocols(
        &self,
        inodes: net::InodeSet,
    ) -> Option<std::collections::HashMap<u64, Vec<u8>>> {
        let mut out = std::collections::HashMap::new();
        if inodes.is_empty() || !self.on_procfs() {
            return None;
        }
        let fd_dir = openat(
            &self.dir,
            c"fd",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        for entry in Dir::read_from(&fd_dir).ok()? {
            let Ok(entry) = entry else { break };
            let name = entry.file_name();
            if !name.to_bytes().first().is_some_and(u8::is_ascii_digit) {
                continue;
            }
            let Ok(link) = readlink_bounded(fd_dir.as_fd(), name) else {
                continue;
            };
            let Some(inode) = parse::fdlink::socket_inode(&link) else {
                continue;
            };
            if !inodes.contains(&inode) || out.contains_key(&inode) {
                continue;
            }
            let path = self
                .path
                .join("fd")
                .join(std::ffi::OsStr::from_bytes(name.to_bytes()));
            let mut buf = [0u8; 32];
            let proto = match rustix::fs::getxattr(&path, c"system.sockprotoname", &mut buf[..]) {
                Ok(n) => {
                    let v = &buf[..n.min(buf.len())];
                    v.split(|&c| c == 0).next().unwrap_or_default().to_vec()
                }
                Err(_) => Vec::new(),
            };
            out.insert(inode, proto);
        }
        Some(out)
    }
}

/// The longest mapped path kept per mapping. A process can map one file
/// with a 4,000-byte path 20,000 times (no privilege needed): kept whole,
/// its paths alone cost 80 MB, and as much again in every copy the `maps`
/// view makes. Longer paths keep their first and last bytes around `…`.
pub const MAP_PATH_CAP: usize = 256;

/// A smaps header line (`start-end perms offset dev inode   path`) whose
/// path is longer than `cap`, with the path shortened to its first
/// `cap / 3` and last `cap - cap / 3 - 3` bytes joined by `…`; None for
/// other lines and short paths.
pub(crate) fn shorten_map_path(line: &[u8], cap: usize) -> Option<Vec<u8>> {
    let i = parse::smaps::header_path_start(line)?;
    let path = &line[i..];
    if path.len() <= cap {
        return None;
    }
    let mut out = Vec::with_capacity(i + cap);
    out.extend_from_slice(&line[..i]);
    out.extend_from_slice(&shorten_middle(path, cap));
    Some(out)
}

/// The longest descriptor link text kept (a path; socket, pipe and anon
/// inode links are short). A process may open one file with a 4,000-byte
/// path 20,000 times or more: kept whole, 80 MB per copy.
pub const LINK_CAP: usize = 256;

/// `b` itself when at most `cap` bytes, else its first `cap / 3` and last
/// `cap - cap / 3 - 3` bytes joined by `…` (3 bytes): exactly `cap` bytes,
/// and the start (`/`, `socket:`) and the end (` (deleted)`, the file
/// name) both kept.
pub fn shorten_middle(b: &[u8], cap: usize) -> Vec<u8> {
    if b.len() <= cap {
        return b.to_vec();
    }
    let head = cap / 3;
    let tail = cap.saturating_sub(head + 3);
    let mut out = Vec::with_capacity(cap);
    out.extend_from_slice(&b[..head]);
    out.extend_from_slice("…".as_bytes());
    out.extend_from_slice(&b[b.len() - tail..]);
    out
}

/// readlinkat into a buffer of PATH_MAX + 1 bytes: the kernel never
/// returns a longer link text for a /proc link (it fails with
/// ENAMETOOLONG), and a fixture's symlink longer than that is an error
/// rather than a buffer grown to fit. rustix's `readlinkat` grows its
/// buffer without bound, hence `readlinkat_raw`.
pub(crate) fn readlink_bounded(dir: impl AsFd, name: &std::ffi::CStr) -> io::Result<Vec<u8>> {
    // On the stack, and the result copied at its own length: 20,000 links
    // must not each keep a PATH_MAX buffer.
    let mut buf = [0u8; PATH_MAX + 1];
    readlink_into(dir, name, &mut buf)
}

/// [`readlink_bounded`] through a caller's buffer of at least PATH_MAX + 1
/// bytes, reused across calls.
fn readlink_into(dir: impl AsFd, name: &std::ffi::CStr, buf: &mut [u8]) -> io::Result<Vec<u8>> {
    let n = rustix::fs::readlinkat_raw(dir, name, &mut *buf).map_err(io_err)?;
    if n > PATH_MAX {
        return Err(io_err(rustix::io::Errno::NAMETOOLONG));
    }
    Ok(buf[..n].to_vec())
}

/// Hand `f` every line of `fd` (without its newline), reading 64 KiB at a
/// time into one buffer that never grows past `line_cap` plus a read: a
/// line longer than `line_cap` is handed over cut at `line_cap` bytes and
/// the rest of it skipped. More than `total_cap` bytes is an error (EFBIG).
/// `f` returns false to stop early.
pub(crate) fn stream_lines(
    fd: impl AsFd,
    line_cap: usize,
    total_cap: u64,
    mut f: impl FnMut(&[u8]) -> bool,
) -> io::Result<()> {
    const CHUNK: usize = 64 * 1024;
    let mut buf: Vec<u8> = vec![0; line_cap + CHUNK];
    // buf[..len] holds the unfinished line; `skipping` while dropping the
    // rest of a line already handed over cut.
    let mut len = 0usize;
    let mut skipping = false;
    let mut total = 0u64;
    loop {
        let end = (len + CHUNK).min(buf.len());
        let n = loop {
            match rustix::io::read(&fd, &mut buf[len..end]) {
                Ok(n) => break n,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(io_err(e)),
            }
        };
        if n == 0 {
            if len > 0 && !skipping {
                f(&buf[..len]);
            }
            return Ok(());
        }
        total = total.saturating_add(n as u64);
        if total > total_cap {
            return Err(io::Error::other(format!(
                "longer than {total_cap} bytes, the most proctor streams from one file"
            )));
        }
        let filled = len + n;
        let mut start = 0;
        while let Some(nl) = buf[start..filled].iter().position(|&c| c == b'\n') {
            if skipping {
                skipping = false;
            } else if !f(&buf[start..start + nl]) {
                return Ok(());
            }
            start += nl + 1;
        }
        if skipping {
            // Still inside the cut line: drop what was read.
            len = 0;
            continue;
        }
        // Move the unfinished line to the front.
        buf.copy_within(start..filled, 0);
        len = filled - start;
        if len >= line_cap {
            if !f(&buf[..line_cap]) {
                return Ok(());
            }
            skipping = true;
            len = 0;
        }
    }
}

/// The sockets found for a set of inodes.
#[derive(Debug, Clone, Default)]
pub struct Sockets {
    pub inet: Vec<net::InetSocket>,
    pub unix: Vec<net::UnixSocket>,
    /// Netlink sockets (`net/netlink`).
    pub netlink: Vec<net::NetlinkSocket>,
    /// Socket inodes found in none of the tables (packet, vsock, ...).
    pub other: usize,
    /// Sockets whose table line names their inode but does not parse
    /// (state, addresses and queues unknown): the table and the inode.
    pub unparsed: Vec<(net::Proto, u64)>,
}

#[cfg(test)]
mod task_file_tests {
    #[test]
    fn task_file_paths() {
        let mut b = [0u8; 40];
        assert_eq!(
            super::task_file(&mut b, 1234, b"stat").to_bytes(),
            b"1234/stat"
        );
        assert_eq!(
            super::task_file(&mut b, 0, b"status").to_bytes(),
            b"0/status"
        );
        let max = super::task_file(&mut b, i32::MAX, b"status")
            .to_bytes()
            .to_vec();
        assert_eq!(max, b"2147483647/status");
        let long = super::task_file(&mut b, 7, &[b'x'; 60]).to_bytes().len();
        assert_eq!(long, 39);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(data: &[u8], line_cap: usize, total_cap: u64) -> io::Result<Vec<Vec<u8>>> {
        let p = std::env::temp_dir().join(format!(
            "proctor-lines-{}-{}",
            std::process::id(),
            data.len()
        ));
        std::fs::write(&p, data)?;
        let f = std::fs::File::open(&p)?;
        let mut out = Vec::new();
        let r = stream_lines(&f, line_cap, total_cap, |l| {
            out.push(l.to_vec());
            true
        });
        let _ = std::fs::remove_file(&p);
        r.map(|()| out)
    }

    #[test]
    fn an_overlong_line_is_handed_over_cut_and_the_next_lines_follow() {
        let mut data = b"first\n".to_vec();
        data.extend(std::iter::repeat_n(b'y', 300_000));
        data.extend_from_slice(b"\nlast\nno newline");
        let got = lines_of(&data, 1000, 1 << 30).expect("stream");
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], b"first");
        assert_eq!(got[1], vec![b'y'; 1000]);
        assert_eq!(got[2], b"last");
        assert_eq!(got[3], b"no newline");
        let e = lines_of(&data, 1000, 100_000).expect_err("past the stream cap");
        assert!(e.to_string().contains("longer than 100000 bytes"), "{e}");
    }

    #[test]
    fn long_mapped_paths_are_shortened_around_an_ellipsis() {
        let deep = format!("/{}/lib.so", "d".repeat(1000));
        let line = format!("7f00-7f01 r--p 00000000 08:01 1234      {deep}");
        let short = shorten_map_path(line.as_bytes(), 256).expect("shortened");
        let text = String::from_utf8(short).expect("utf-8");
        assert!(
            text.starts_with("7f00-7f01 r--p 00000000 08:01 1234      /ddd"),
            "{text}"
        );
        assert!(text.ends_with("ddd/lib.so"), "{text}");
        assert!(text.contains('…'));
        let path = text.rsplit("      ").next().unwrap_or_default();
        assert_eq!(path.len(), 256);
        let mut p = parse::smaps::SmapsParser::default();
        p.line(text.as_bytes());
        assert_eq!(p.finish()[0].path.len(), 256);
        // Short paths, anonymous mappings and field lines are left alone.
        assert!(shorten_map_path(b"7f00-7f01 r--p 00000000 08:01 1234  /lib/x.so", 256).is_none());
        assert!(shorten_map_path(b"7f00-7f01 rw-p 00000000 00:00 0", 256).is_none());
        assert!(shorten_map_path(b"Rss:                   4 kB", 8).is_none());
        assert!(shorten_map_path(b"", 8).is_none());
    }

    #[test]
    fn a_long_link_keeps_its_start_and_its_deleted_mark() {
        let long = format!("/{} (deleted)", "d".repeat(5000));
        let short = shorten_middle(long.as_bytes(), LINK_CAP);
        assert_eq!(short.len(), LINK_CAP);
        let l = parse::fdlink::classify(&short, None, &Default::default());
        assert_eq!(l.kind, parse::fdlink::FdKind::File);
        assert!(l.deleted);
        assert_eq!(shorten_middle(b"socket:[12]", LINK_CAP), b"socket:[12]");
    }

    #[test]
    fn readlink_is_bounded() {
        let dir = std::env::temp_dir();
        let name = format!("proctor-link-{}", std::process::id());
        let _ = std::fs::remove_file(dir.join(&name));
        std::os::unix::fs::symlink("/some/target", dir.join(&name)).expect("symlink");
        let d = std::fs::File::open(&dir).expect("open temp dir");
        let c = CString::new(name.clone()).expect("name");
        assert_eq!(
            readlink_bounded(&d, &c).expect("readlink"),
            b"/some/target".to_vec()
        );
        let _ = std::fs::remove_file(dir.join(&name));
    }
}
