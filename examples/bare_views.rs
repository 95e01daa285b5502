//! Baselines for `bench/views.sh`: the bare reads that `proctor fds`, `net`,
//! `maps` and `threads` have to do, with no more work than the question
//! needs. Standard library only, so they measure the syscalls, not a crate.
//!
//! Usage: `bare_views fds|fds-diag|net|maps|threads|count PID`, one summary line on
//! stdout (exit 0), or a message on stderr (exit 2 on a usage or read error).
//!
//! - `fds`: lists /proc/PID/fd and readlinks every entry, by its bare name
//!   after `chdir` into the directory (one path component per lookup, the
//!   std-only equivalent of `readlinkat(dirfd, name)`, as
//!   examples/bare_inspect.rs does).
//! - `fds-diag`: `fds`, then, when there are sockets, the one netlink
//!   sock_diag dump of the namespace's TCP table (both families in one
//!   request, as `proctor fds` and `ss -t` read it) that names their
//!   endpoints; the records of the process's sockets are counted. A
//!   netlink socket needs rustix, the thin syscall wrapper proctor uses.
//! - `net`: the same readlinks, collecting the inodes of `socket:[N]` targets
//!   in a HashSet, then reads /proc/PID/net/tcp and tcp6 whole, splits them
//!   into lines and looks up each row's inode field (the 10th) in the set.
//! - `maps`: reads /proc/PID/smaps whole and counts its lines (what `pmap -x`
//!   reads).
//! - `threads`: for every /proc/PID/task/TID reads `stat` and `status` whole
//!   (relative paths after `chdir` into /proc/PID/task).
//! - `count`: one stat of /proc/PID/fd; on kernels >= 6.2 its size is the
//!   number of open descriptors (the floor for `proctor fds --count`).
//!
//! Paths under /proc/PID/net are absolute, so the `chdir` does not change
//! what is read.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Reads a whole file into `buf` (cleared first); returns its length.
fn read_into(path: &Path, buf: &mut Vec<u8>) -> io::Result<usize> {
    buf.clear();
    fs::File::open(path)?.read_to_end(buf)?;
    Ok(buf.len())
}

fn with_path(path: &Path) -> impl Fn(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// What the descriptor walk saw.
#[derive(Default)]
struct FdWalk {
    fds: usize,
    sockets: usize,
    gone: usize,
}

/// Lists `fd_dir` and readlinks every entry by bare name from inside it;
/// `on_socket` gets the inode of every `socket:[N]` target.
fn walk_fds(fd_dir: &Path, mut on_socket: impl FnMut(u64)) -> io::Result<FdWalk> {
    let ctx = with_path(fd_dir);
    let mut walk = FdWalk::default();
    std::env::set_current_dir(fd_dir).map_err(&ctx)?;
    for entry in fs::read_dir(fd_dir).map_err(&ctx)? {
        let entry = entry.map_err(&ctx)?;
        match fs::read_link(entry.file_name()) {
            Ok(target) => {
                walk.fds += 1;
                let bytes = target.as_os_str().as_encoded_bytes();
                if let Some(rest) = bytes.strip_prefix(b"socket:[") {
                    walk.sockets += 1;
                    if let Some(inode) = rest
                        .strip_suffix(b"]")
                        .and_then(|d| std::str::from_utf8(d).ok())
                        .and_then(|d| d.parse().ok())
                    {
                        on_socket(inode);
                    }
                }
            }
            // A descriptor closed between the listing and the readlink.
            Err(e) if e.kind() == io::ErrorKind::NotFound => walk.gone += 1,
            Err(e) => return Err(ctx(e)),
        }
    }
    Ok(walk)
}

fn fds(base: &Path) -> io::Result<String> {
    let w = walk_fds(&base.join("fd"), |_| {})?;
    Ok(format!(
        "fds={} sockets={} gone={}",
        w.fds, w.sockets, w.gone
    ))
}

fn fds_diag(base: &Path) -> io::Result<String> {
    let mut inodes = HashSet::new();
    let w = walk_fds(&base.join("fd"), |inode| {
        inodes.insert(inode);
    })?;
    let (mut records, mut mine) = (0usize, 0usize);
    if !inodes.is_empty() {
        tcp_dump(|inode| {
            records += 1;
            if inodes.contains(&inode) {
                mine += 1;
            }
        })?;
    }
    Ok(format!(
        "fds={} sockets={} gone={} tcp_records={records} mine={mine}",
        w.fds, w.sockets, w.gone
    ))
}

/// One sock_diag dump of every TCP socket of this network namespace (the
/// older TCPDIAG_GETSOCK request: both address families in one walk),
/// handing each record's inode to `f`.
fn tcp_dump(mut f: impl FnMut(u64)) -> io::Result<()> {
    use rustix::net::netlink::{SOCK_DIAG, SocketAddrNetlink};
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};
    let sock = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        Some(SOCK_DIAG),
    )?;
    // nlmsghdr (16 bytes) + inet_diag_req (60): type TCPDIAG_GETSOCK (18),
    // flags NLM_F_REQUEST | NLM_F_DUMP, family AF_INET, every state.
    let mut req = [0u8; 76];
    req[0..4].copy_from_slice(&76u32.to_ne_bytes());
    req[4..6].copy_from_slice(&18u16.to_ne_bytes());
    req[6..8].copy_from_slice(&(0x1u16 | 0x300).to_ne_bytes());
    req[8..12].copy_from_slice(&1u32.to_ne_bytes());
    req[16] = 2;
    req[68..72].copy_from_slice(&u32::MAX.to_ne_bytes());
    rustix::net::sendto(
        &sock,
        &req,
        SendFlags::empty(),
        &SocketAddrNetlink::new(0, 0),
    )?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = rustix::net::recv(&sock, &mut buf[..], RecvFlags::empty())?.0;
        if n == 0 {
            return Ok(());
        }
        let mut off = 0;
        while off + 16 <= n {
            let len = u32::from_ne_bytes(buf[off..off + 4].try_into().unwrap_or_default()) as usize;
            let kind = u16::from_ne_bytes(buf[off + 4..off + 6].try_into().unwrap_or_default());
            if len < 16 || off + len > n {
                return Err(io::Error::other("malformed netlink reply"));
            }
            match kind {
                3 => return Ok(()),
                2 => return Err(io::Error::other("sock_diag refused the dump")),
                18 if len >= 16 + 72 => {
                    let at = off + 16 + 68;
                    f(u64::from(u32::from_ne_bytes(
                        buf[at..at + 4].try_into().unwrap_or_default(),
                    )));
                }
                _ => {}
            }
            off += (len + 3) & !3;
        }
    }
}

fn net(base: &Path) -> io::Result<String> {
    let mut inodes = HashSet::new();
    let w = walk_fds(&base.join("fd"), |inode| {
        inodes.insert(inode);
    })?;
    let mut buf = Vec::with_capacity(4 << 20);
    let mut out = format!("fds={} sockets={} gone={}", w.fds, w.sockets, w.gone);
    for table in ["net/tcp", "net/tcp6"] {
        let path = base.join(table);
        let bytes = read_into(&path, &mut buf).map_err(with_path(&path))?;
        let (mut rows, mut mine) = (0usize, 0usize);
        // Skip the header line; field 10 (index 9) of a row is the inode.
        for line in buf.split(|&b| b == b'\n').skip(1) {
            let Some(field) = line.split(|&b| b == b' ').filter(|f| !f.is_empty()).nth(9) else {
                continue;
            };
            rows += 1;
            let inode = std::str::from_utf8(field)
                .ok()
                .and_then(|f| f.parse::<u64>().ok());
            if inode.is_some_and(|i| inodes.contains(&i)) {
                mine += 1;
            }
        }
        let name = table.trim_start_matches("net/");
        out.push_str(&format!(" {name}={bytes}B/{rows}rows/{mine}mine"));
    }
    Ok(out)
}

fn maps(base: &Path) -> io::Result<String> {
    let path = base.join("smaps");
    let mut buf = Vec::with_capacity(16 << 20);
    let bytes = read_into(&path, &mut buf).map_err(with_path(&path))?;
    let lines = buf.iter().filter(|&&b| b == b'\n').count();
    Ok(format!("smaps={bytes}B/{lines}lines"))
}

fn threads(base: &Path) -> io::Result<String> {
    let task_dir = base.join("task");
    let ctx = with_path(&task_dir);
    std::env::set_current_dir(&task_dir).map_err(&ctx)?;
    let mut buf = Vec::with_capacity(4096);
    let (mut tasks, mut gone, mut bytes) = (0usize, 0usize, 0usize);
    let mut name = PathBuf::new();
    for entry in fs::read_dir(&task_dir).map_err(&ctx)? {
        let entry = entry.map_err(&ctx)?;
        let mut ok = true;
        for file in ["stat", "status"] {
            name.clear();
            name.push(entry.file_name());
            name.push(file);
            match read_into(&name, &mut buf) {
                Ok(n) => bytes += n,
                // A thread that ended between the listing and the read.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    ok = false;
                    break;
                }
                Err(e) => return Err(with_path(&task_dir.join(&name))(e)),
            }
        }
        if ok {
            tasks += 1;
        } else {
            gone += 1;
        }
    }
    Ok(format!("threads={tasks} gone={gone} read={bytes}B"))
}

fn count(base: &Path) -> io::Result<String> {
    let path = base.join("fd");
    let size = fs::metadata(&path).map_err(with_path(&path))?.len();
    Ok(format!("fd_dir_size={size}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (view, pid) = match args.as_slice() {
        [_, view, pid] if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => {
            (view.as_str(), pid)
        }
        _ => {
            eprintln!("usage: bare_views fds|fds-diag|net|maps|threads|count PID");
            return ExitCode::from(2);
        }
    };
    let base = PathBuf::from("/proc").join(pid);
    let result = match view {
        "fds" => fds(&base),
        "fds-diag" => fds_diag(&base),
        "net" => net(&base),
        "maps" => maps(&base),
        "threads" => threads(&base),
        "count" => count(&base),
        _ => {
            eprintln!(
                "bare_views: unknown view {view:?}; usage: bare_views fds|fds-diag|net|maps|threads|count PID"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(summary) => {
            println!("{view} pid={pid} {summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bare_views: {e}");
            ExitCode::from(2)
        }
    }
}
