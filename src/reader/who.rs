//! The reads behind `proctor who`: every process's network namespace (its
//! `ns/net` link), a namespace's TCP and UDP tables filtered by port while
//! streamed (only the lines on the wanted port are parsed whole), the
//! links a process holds files by (descriptors, cwd, root, exe, mapped
//! files), and the size of a deleted file held open.
//!
//! Bounded: at most [`FD_LINKS_CAP`] descriptor links per process, at most
//! [`MAPPED_PATHS_CAP`] distinct mapped paths per process, net tables
//! streamed under the reader's caps, at most [`SOCKETS_CAP`] matching
//! sockets per namespace. The one exception to "a descriptor's target is
//! never stat()ed" lives here: [`Process::deleted_file`].

use std::os::fd::AsFd;

use rustix::fs::{AtFlags, Mode, OFlags, StatxFlags, openat};

use super::process::readlink_bounded;
use super::{ProcFs, Process};
use crate::error::{Errno, ReadError, classify};
use crate::parse::{self, net, who};

/// The most descriptor links read from one process: the kernel's default
/// `fs.nr_open`, the most descriptors a process can hold unless an
/// administrator raised it. A process past it is read that far and
/// reported as cut.
pub const FD_LINKS_CAP: usize = 1 << 20;

/// The most distinct mapped paths kept per process while its maps are
/// streamed (a process maps a few hundred files; the set is bounded).
pub const MAPPED_PATHS_CAP: usize = 16 * 1024;

/// The most matching sockets kept from one namespace's tables.
pub const SOCKETS_CAP: usize = 100_000;

/// Processes grouped by network namespace.
#[derive(Debug, Clone, Default)]
pub struct Namespaces {
    /// Each namespace's link text (`net:[4026531840]`) and its members'
    /// PIDs (ascending).
    pub members: Vec<(Vec<u8>, Vec<i32>)>,
    /// proctor's own namespace's link text, when readable.
    pub own: Option<Vec<u8>>,
    /// Processes whose namespace link could not be read (permission):
    /// their tables may still be readable.
    pub unreadable: Vec<i32>,
}

/// How a process holds a file (lsof's FD column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Fd(i32),
    Cwd,
    Root,
    Exe,
    /// A memory-mapped file (`mem`).
    Mem,
}

/// What a process's links could not give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkWalk {
    /// Descriptors past [`FD_LINKS_CAP`] or mapped paths past
    /// [`MAPPED_PATHS_CAP`] were not read.
    pub cut: bool,
    /// A part that was refused (`fd`, `maps`, `cwd`...): the lookup is
    /// incomplete for this process.
    pub denied: Vec<&'static str>,
}

/// A deleted file held open: its identity and size, from statx on
/// /proc/PID/fd/N (cached attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldFile {
    pub dev: (u32, u32),
    pub ino: u64,
    /// st_size: the file's length.
    pub size: u64,
    /// st_blocks * 512: the space it holds on disk (None when the file
    /// system did not say).
    pub allocated: Option<u64>,
}

impl ProcFs {
    /// Every process's network namespace. A process that exits while
    /// listing is skipped; one whose link is refused is counted.
    pub fn namespaces(&self) -> Result<Namespaces, ReadError> {
        let root = openat(
            rustix::fs::CWD,
            self.proc_root(),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| ReadError::Io {
            path: self.proc_root().to_path_buf(),
            message: std::io::Error::from(e).to_string(),
        })?;
        let mut pids = self.pids()?;
        pids.sort_unstable();
        let mut out = Namespaces {
            own: readlink_bounded(&root, c"self/ns/net").ok(),
            ..Namespaces::default()
        };
        let mut by: std::collections::HashMap<Vec<u8>, Vec<i32>> = Default::default();
        for pid in pids {
            let name = std::ffi::CString::new(format!("{pid}/ns/net")).unwrap_or_default();
            match readlink_bounded(&root, &name) {
                Ok(link) => by.entry(link).or_default().push(pid),
                // Else gone, or a kernel without network namespaces.
                Err(e) if classify(&e) == Errno::Denied => out.unreadable.push(pid),
                Err(_) => {}
            }
        }
        out.members = by.into_iter().collect();
        out.members.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

impl Process {
    /// The inet sockets (TCP and UDP, v4 and v6) of this process's network
    /// namespace with `port` as their local or remote port that `keep`
    /// accepts (every socket of the namespace, not only this process's).
    /// At most [`SOCKETS_CAP`]; the bool says the cap was reached.
    pub fn namespace_port_sockets(
        &self,
        port: u16,
        mut keep: impl FnMut(&net::InetSocket) -> bool,
    ) -> Result<(Vec<net::InetSocket>, bool), ReadError> {
        let mut out = Vec::new();
        let mut cut = false;
        let tables = [
            (net::Proto::Tcp, true),
            (net::Proto::Tcp6, false),
            (net::Proto::Udp, true),
            (net::Proto::Udp6, false),
        ];
        for (proto, required) in tables {
            let rel = format!("net/{}", proto.as_str());
            self.for_each_table_row(&rel, !required, |line| {
                let Some((l, r)) = who::inet_line_ports(line) else {
                    return true;
                };
                if l != port && r != port {
                    return true;
                }
                // Only a line on the port is parsed whole.
                let Some(inode) = net::inet_line_inode(line) else {
                    return true;
                };
                let one: net::InodeSet = std::iter::once(inode).collect();
                if let Some(s) = net::parse_inet_line(line, proto, &one)
                    && keep(&s)
                {
                    if out.len() >= SOCKETS_CAP {
                        cut = true;
                        return false;
                    }
                    out.push(s);
                }
                true
            })?;
        }
        self.listener_backlogs(&mut out);
        Ok((out, cut))
    }

    /// The backlog of the TCP listeners among `socks` (the text tables do
    /// not show it), from one listeners-only sock_diag dump of the
    /// namespace: short whatever the namespace holds. Where netlink cannot
    /// be asked, the backlogs stay unknown.
    fn listener_backlogs(&self, socks: &mut [net::InetSocket]) {
        let listeners: net::InodeSet = socks
            .iter()
            .filter(|s| s.proto.is_tcp() && s.state == net::TCP_LISTEN && s.inode != 0)
            .map(|s| s.inode)
            .collect();
        if listeners.is_empty() {
            return;
        }
        let Some(found) = self
            .diag()
            .and_then(|mut d| d.tcp_listeners(&listeners).ok())
        else {
            return;
        };
        for f in found {
            if let Some(s) = socks.iter_mut().find(|s| s.inode == f.inode) {
                s.backlog = f.backlog;
            }
        }
    }

    /// Hand `f` every descriptor's number and link text, at most
    /// [`FD_LINKS_CAP`] of them (true when cut). readlink only: nothing is
    /// opened or stat()ed. A descriptor closed meanwhile is skipped.
    pub fn each_fd_link(&self, mut f: impl FnMut(i32, &[u8])) -> Result<bool, ReadError> {
        let (fd_dir, listing) = self.fd_listing()?;
        let mut n = 0usize;
        for entry in listing {
            let entry = entry.map_err(|e| self.map_err("fd", e.into()))?;
            let name = entry.file_name();
            let Some(fd) = parse::entry_number(name.to_bytes()) else {
                continue;
            };
            if n >= FD_LINKS_CAP {
                return Ok(true);
            }
            n += 1;
            match readlink_bounded(fd_dir.as_fd(), name) {
                Ok(link) => f(fd, &link),
                Err(e) => match classify(&e) {
                    Errno::Denied => return Err(self.map_err("fd", e)),
                    // Closed meanwhile, or a link past PATH_MAX.
                    _ => continue,
                },
            }
        }
        Ok(false)
    }

    /// Every link a process holds files by: cwd, root, exe, each
    /// descriptor, and (with `mapped`) each distinct memory-mapped path.
    /// What was refused is listed; a process gone is `Exited`.
    pub fn each_held_path(
        &self,
        mapped: bool,
        mut f: impl FnMut(Access, &[u8]),
    ) -> Result<LinkWalk, ReadError> {
        let mut walk = LinkWalk::default();
        let part = |r: Result<(), ReadError>, name: &'static str, walk: &mut LinkWalk| match r {
            Ok(()) | Err(ReadError::NotSupported { .. }) => Ok(()),
            Err(ReadError::PermissionDenied { .. }) => {
                walk.denied.push(name);
                Ok(())
            }
            Err(e @ ReadError::Exited { .. }) => Err(e),
            // Any other failure of one part: that part is not known.
            Err(_) => {
                walk.denied.push(name);
                Ok(())
            }
        };
        for (rel, access) in [
            ("cwd", Access::Cwd),
            ("root", Access::Root),
            ("exe", Access::Exe),
        ] {
            let r = self.readlink(rel).map(|l| f(access, &l));
            part(r, rel, &mut walk)?;
        }
        let r = self
            .each_fd_link(|fd, l| f(Access::Fd(fd), l))
            .map(|cut| walk.cut |= cut);
        part(r, "fd", &mut walk)?;
        if mapped {
            let mut seen: std::collections::HashSet<Vec<u8>> = Default::default();
            let mut cut = false;
            let r = self.for_each_line("maps", |line| {
                let Some(i) = parse::smaps::header_path_start(line) else {
                    return true;
                };
                let p = &line[i..];
                if p.first() != Some(&b'/') || seen.contains(p) {
                    return true;
                }
                if seen.len() >= MAPPED_PATHS_CAP {
                    cut = true;
                    return false;
                }
                seen.insert(p.to_vec());
                f(Access::Mem, p);
                true
            });
            walk.cut |= cut;
            part(r, "maps", &mut walk)?;
        }
        Ok(walk)
    }

    /// The identity and size of the file descriptor `fd` refers to, for a
    /// descriptor whose link text ends in ` (deleted)` only. The one place
    /// proctor looks at a descriptor's target: statx(2) on
    /// /proc/PID/fd/N with AT_STATX_DONT_SYNC, which answers from the
    /// attributes the kernel has cached (no round trip to an NFS or FUSE
    /// server, nothing opened); a deleted file cannot be reached by any
    /// other route. Not on a fixture tree (its links would lead to files
    /// of the host running the tests).
    /// None when the descriptor was closed meanwhile.
    pub fn deleted_file(&self, fd: i32) -> Result<Option<HeldFile>, ReadError> {
        self.held_file(&format!("fd/{fd}"))
    }

    /// [`Process::deleted_file`] for any link of the process's directory
    /// (`fd/N`, `map_files/START-END`). A file that has a name again
    /// (its link count is not 0: a file literally named `x (deleted)`, or
    /// one linked back) is not deleted: None.
    fn held_file(&self, rel: &str) -> Result<Option<HeldFile>, ReadError> {
        let (dir, procfs) = self.dir_fd();
        if !procfs {
            return Err(ReadError::NotSupported {
                path: self.path(rel),
                detail: "a captured tree: its links lead to no file".into(),
            });
        }
        let name = std::ffi::CString::new(rel).unwrap_or_default();
        let st = rustix::fs::statx(
            dir,
            &name,
            AtFlags::STATX_DONT_SYNC,
            StatxFlags::SIZE | StatxFlags::BLOCKS | StatxFlags::INO | StatxFlags::NLINK,
        );
        let st = match st {
            Ok(st) => st,
            Err(rustix::io::Errno::NOENT) => return self.still_alive().map(|()| None),
            Err(e) => return Err(self.map_err(rel, e.into())),
        };
        if st.stx_mask & StatxFlags::NLINK.bits() != 0 && st.stx_nlink > 0 {
            return Ok(None);
        }
        let has = |m: StatxFlags| st.stx_mask & m.bits() != 0;
        if !has(StatxFlags::SIZE) || !has(StatxFlags::INO) {
            return Err(ReadError::NotSupported {
                path: self.path(rel),
                detail: "the file system gave no size".into(),
            });
        }
        Ok(Some(HeldFile {
            dev: (st.stx_dev_major, st.stx_dev_minor),
            ino: st.stx_ino,
            size: st.stx_size,
            allocated: has(StatxFlags::BLOCKS).then(|| st.stx_blocks.saturating_mul(512)),
        }))
    }
}

/// Distinct deleted files one process maps, at most (more: `cut`).
pub const DELETED_MAPPINGS_CAP: usize = 1024;

/// A deleted file a process maps: its path (without ` (deleted)`) and
/// its identity and size (None: unmapped or gone meanwhile, or linked
/// again; an error: the size could not be read).
pub type DeletedMapping = (Vec<u8>, Result<Option<HeldFile>, ReadError>);

impl Process {
    /// The deleted files this process maps (lsof's `DEL`): mapped files
    /// hold their space on disk as descriptors do, after the descriptor
    /// is closed. From `maps`, each file once (by device and inode);
    /// memfd, SysV shared memory and devices are memory, not disk. The
    /// size is read as for a descriptor, by statx(2) with
    /// AT_STATX_DONT_SYNC on `map_files/START-END` (which needs
    /// CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE: without it, the size is
    /// unknown, and said). The bool says the cap cut the list.
    pub fn deleted_mappings(&self) -> Result<(Vec<DeletedMapping>, bool), ReadError> {
        let mut ranges: Vec<(u64, u64, Vec<u8>)> = Vec::new();
        let mut seen: std::collections::HashSet<(Vec<u8>, u64)> = Default::default();
        let mut cut = false;
        self.for_each_line("maps", |line| {
            let Some(m) = parse::smaps::header(line) else {
                return true;
            };
            let Some(path) = m.path.strip_suffix(b" (deleted)") else {
                return true;
            };
            let memory = [&b"/memfd:"[..], b"/SYSV", b"/dev/"]
                .iter()
                .any(|p| path.starts_with(p));
            if path.first() != Some(&b'/') || memory || m.inode == 0 {
                return true;
            }
            if !seen.insert((m.dev.clone(), m.inode)) {
                return true;
            }
            if ranges.len() >= DELETED_MAPPINGS_CAP {
                cut = true;
                return false;
            }
            ranges.push((m.start, m.end, path.to_vec()));
            true
        })?;
        let out = ranges
            .into_iter()
            .map(|(start, end, path)| {
                let rel = format!("map_files/{start:x}-{end:x}");
                (path, self.held_file(&rel))
            })
            .collect();
        Ok((out, cut))
    }

    /// The deleted files among `entries` (regular files and directories
    /// whose link ends in ` (deleted)`; memfd excluded): each one's
    /// identity and size, None when it could not be read. A descriptor
    /// closed meanwhile is left out.
    pub fn deleted_files(&self, entries: &[super::FdEntry]) -> Vec<Option<HeldFile>> {
        let none = std::collections::HashSet::new();
        let mut out = Vec::new();
        for e in entries {
            let Ok(link) = &e.link else { continue };
            if !parse::fdlink::classify(link, None, &none).deleted {
                continue;
            }
            match self.deleted_file(e.fd) {
                Ok(Some(f)) => out.push(Some(f)),
                Ok(None) => {}
                Err(_) => out.push(None),
            }
        }
        out
    }
}

impl ProcFs {
    /// The mount points of proctor's own mount namespace
    /// (PROC/self/mountinfo, at most 4 MiB read).
    pub fn own_mount_points(&self) -> Result<Vec<Vec<u8>>, ReadError> {
        let path = self.proc_root().join("self/mountinfo");
        let f = super::open_path(&path).map_err(|e| ReadError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut buf = Vec::new();
        super::read_capped(&f, &mut buf, 4 << 20, false).map_err(|e| ReadError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(who::mount_points(&buf))
    }
}

/// A path `who` was given, resolved: absolute with links followed (the
/// user's own path, not a /proc one), and whether it is a directory.
pub fn resolve_path(p: &std::path::Path) -> std::io::Result<(Vec<u8>, bool)> {
    use std::os::unix::ffi::OsStrExt;
    let abs = std::fs::canonicalize(p)?;
    let dir = std::fs::metadata(&abs)?.is_dir();
    Ok((abs.as_os_str().as_bytes().to_vec(), dir))
}
