//! One process, read through a descriptor on its /proc directory.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::fs::{CWD, Dir, Mode, OFlags, openat, readlinkat};

use super::{ProcFs, read_file};
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
}

/// One descriptor: number, link text, and its fdinfo when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdEntry {
    pub fd: i32,
    pub link: Vec<u8>,
    pub info: Option<parse::fdinfo::FdInfo>,
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
        let l = parse::fdlink::classify(&e.link, None, &none);
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
        let raw = openat(
            &dir,
            c"stat",
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(io_err)
        .and_then(|fd| read_file(File::from(fd)))
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

    fn map_err(&self, rel: &str, e: io::Error) -> ReadError {
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

    fn read_with(&self, rel: &str, one_record: bool) -> io::Result<Vec<u8>> {
        let fd = openat(
            &self.dir,
            cstr(rel).as_c_str(),
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(io_err)?;
        let mut buf = Vec::new();
        super::read_fd(fd, &mut buf, one_record)?;
        Ok(buf)
    }

    /// Open a file of this process to re-read it later (pread at 0).
    pub fn open_file(&self, rel: &std::ffi::CStr) -> Result<OwnedFd, ReadError> {
        openat(
            &self.dir,
            rel,
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| self.map_err(&rel.to_string_lossy(), io_err(e)))
    }

    /// Read a file of this process (`status`, `net/tcp`, `task/12/comm`).
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, ReadError> {
        self.read_raw(rel).map_err(|e| self.map_err(rel, e))
    }

    /// Read a link of this process (`exe`, `cwd`).
    pub fn readlink(&self, rel: &str) -> Result<Vec<u8>, ReadError> {
        readlinkat(&self.dir, cstr(rel).as_c_str(), Vec::new())
            .map(CString::into_bytes)
            .map_err(|e| self.map_err(rel, io_err(e)))
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

    pub fn cmdline(&self) -> Result<Vec<Vec<u8>>, ReadError> {
        self.read("cmdline").map(|b| parse::cmdline::split_nul(&b))
    }

    pub fn environ_count(&self) -> Result<usize, ReadError> {
        self.read("environ").map(|b| parse::cmdline::count_nul(&b))
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
    pub fn smaps_rollup(&self) -> Result<std::collections::HashMap<String, u64>, ReadError> {
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

    /// Every open descriptor with its link text. Descriptors closed while
    /// listing are skipped silently. With `dir_flags`, fdinfo is read for
    /// path-backed descriptors (one more read each) to spot directories.
    pub fn fds(&self, wanted: FdInfoWanted) -> Result<Vec<FdEntry>, ReadError> {
        let fd_dir = openat(
            &self.dir,
            c"fd",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| self.map_err("fd", io_err(e)))?;
        let dir = Dir::read_from(&fd_dir).map_err(|e| self.map_err("fd", io_err(e)))?;
        let mut out = Vec::new();
        for entry in dir {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => return Err(self.map_err("fd", io_err(e))),
            };
            let name = entry.file_name();
            let Some(fd) = name.to_str().ok().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            let link = match readlinkat(fd_dir.as_fd(), name, Vec::with_capacity(32)) {
                Ok(l) => l.into_bytes(),
                Err(e) => match classify(&io_err(e)) {
                    // Closed between the listing and the readlink.
                    Errno::Missing => continue,
                    _ => return Err(self.map_err(&format!("fd/{fd}"), io_err(e))),
                },
            };
            let want = match wanted {
                FdInfoWanted::None => false,
                FdInfoWanted::All => true,
                FdInfoWanted::Paths => {
                    link.first() == Some(&b'/')
                        && !link.starts_with(b"/dev/")
                        && !link.starts_with(b"/memfd:")
                }
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
            out.push(FdEntry { fd, link, info });
        }
        if out.is_empty() {
            // An empty list from a process that has just exited, a zombie or a
            // kernel thread is not "no descriptors": say which.
            self.no_user_state("fd")?;
        }
        out.sort_by_key(|e| e.fd);
        Ok(out)
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

    /// The environment the process started with, raw.
    pub fn environ(&self) -> Result<Vec<u8>, ReadError> {
        self.read("environ")
    }

    /// `smaps`, raw: one block per mapping (can be megabytes).
    pub fn smaps(&self) -> Result<Vec<parse::smaps::Mapping>, ReadError> {
        let mut p = parse::smaps::SmapsParser::default();
        let mut any = false;
        self.for_each_line("smaps", |line| {
            any = true;
            p.line(line);
            true
        })?;
        if !any {
            self.no_user_state("smaps")?;
        }
        Ok(p.finish())
    }

    /// Stream a file line by line (64 KiB reads) without holding its whole
    /// text: smaps can be 15 MB, a host's tcp table several MB. `f`
    /// returns false to stop early.
    pub fn for_each_line(
        &self,
        rel: &str,
        mut f: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), ReadError> {
        let fd = openat(
            &self.dir,
            cstr(rel).as_c_str(),
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| self.map_err(rel, io_err(e)))?;
        let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
        loop {
            let before = buf.len();
            if buf.capacity() - before < 16 * 1024 {
                buf.reserve(64 * 1024);
            }
            let n = loop {
                match rustix::io::read(&fd, rustix::buffer::spare_capacity(&mut buf)) {
                    Ok(n) => break n,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(self.map_err(rel, io_err(e))),
                }
            };
            if n == 0 {
                if !buf.is_empty() {
                    f(&buf);
                }
                return Ok(());
            }
            // Hand over every complete line; keep the partial last one.
            let mut start = 0;
            while let Some(nl) = buf[start..].iter().position(|&c| c == b'\n') {
                if !f(&buf[start..start + nl]) {
                    return Ok(());
                }
                start += nl + 1;
            }
            buf.drain(..start);
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
            if let Some(tid) = entry
                .file_name()
                .to_str()
                .ok()
                .and_then(|s| s.parse::<i32>().ok())
            {
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
        let read_into = |rel: &CString, buf: &mut Vec<u8>| -> io::Result<()> {
            let fd = openat(
                task,
                rel.as_c_str(),
                OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(io_err)?;
            super::read_fd(fd, buf, true)
        };
        for &tid in tids {
            let rel = cstr(&format!("{tid}/stat"));
            match read_into(&rel, &mut buf) {
                Ok(()) if !buf.is_empty() => {}
                Ok(()) => continue,
                Err(e) if classify(&e) == Errno::Missing => continue,
                Err(e) => return Err(self.map_err(&format!("task/{tid}/stat"), e)),
            }
            let stat = parse::stat::parse(&buf)
                .map_err(|f| ReadError::parse(&self.path(&format!("task/{tid}/stat")), f.field))?;
            let rel = cstr(&format!("{tid}/status"));
            let status = match read_into(&rel, &mut buf) {
                Ok(()) => Some(parse::status::parse_switches(&buf)),
                Err(_) => None,
            };
            out.push(ThreadDetail { tid, stat, status });
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
            if tcp_done && proto.is_tcp() {
                continue;
            }
            let rel = format!("net/{}", proto.as_str());
            let mut header = true;
            let r = self.for_each_line(&rel, |line| {
                if std::mem::take(&mut header) {
                    return true;
                }
                if let Some(s) = net::parse_inet_line(line, proto, &left) {
                    left.remove(&s.inode);
                    out.inet.push(s);
                }
                // Stop reading a large table once every socket is found.
                !left.is_empty()
            });
            match r {
                Ok(()) => {}
                // Optional tables: absent when the protocol is not built in.
                Err(ReadError::NotSupported { .. }) if !required => {}
                Err(e) => return Err(e),
            }
        }
        if !left.is_empty() {
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
        // netlink, packet, vsock...: not in the tables above.
        out.other = left.len();
        Ok(out)
    }

    /// A sock_diag socket in this process's network namespace, when one
    /// can be had: proctor's own namespace, or entering the process's
    /// (root).
    fn diag(&self) -> Option<super::diag::Diag> {
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
            let mut header = true;
            let r = self.for_each_line(t, |line| {
                if !std::mem::take(&mut header) {
                    let i = if unix {
                        net::unix_line_inode(line)
                    } else {
                        net::inet_line_inode(line)
                    };
                    if let Some(i) = i.filter(|&i| i != 0) {
                        all.insert(i);
                    }
                }
                true
            });
            match r {
                Ok(()) | Err(ReadError::NotSupported { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(all)
    }

    /// Whether the process shares proctor's network namespace (so a
    /// netlink dump from here sees its sockets).
    fn in_our_netns(&self) -> bool {
        let theirs = readlinkat(&self.dir, c"ns/net", Vec::new());
        let ours = std::fs::read_link("/proc/self/ns/net");
        match (theirs, ours) {
            (Ok(t), Ok(o)) => t.as_bytes() == o.as_os_str().as_encoded_bytes(),
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
        let mut header = true;
        let mut table = net::UnixTable::default();
        self.for_each_line("net/unix", |line| {
            if !std::mem::take(&mut header) {
                table.line(line, wanted);
            }
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
            let Ok(link) = readlinkat(fd_dir.as_fd(), name, Vec::with_capacity(32)) else {
                continue;
            };
            let Some(inode) = parse::fdlink::socket_inode(link.as_bytes()) else {
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

/// The sockets found for a set of inodes.
#[derive(Debug, Clone, Default)]
pub struct Sockets {
    pub inet: Vec<net::InetSocket>,
    pub unix: Vec<net::UnixSocket>,
    /// Socket inodes found in none of the tables (netlink, packet, ...).
    pub other: usize,
}
