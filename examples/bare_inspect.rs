//! Baseline for `bench/inspect-fds.sh`: the bare reads `proctor inspect PID`
//! has to do, with no parsing beyond counting.
//!
//! Reads /proc/PID/status, /proc/PID/stat and /proc/PID/smaps_rollup whole,
//! lists /proc/PID/fd and readlinks every entry, reads /proc/PID/net/tcp and
//! /proc/PID/net/tcp6 whole and counts their lines, then prints one summary
//! line. Standard library only, so it measures the syscalls, not a crate.
//! Paths under /proc/PID/net are absolute, so changing into /proc/PID/fd
//! (see below) does not change what is read.
//!
//! Usage: `bare_inspect PID` (exit 0 on success, 2 on a usage or read error).

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Reads a whole file; returns its length and number of lines ('\n' count).
fn read_count(path: &Path, buf: &mut Vec<u8>) -> io::Result<(usize, usize)> {
    buf.clear();
    fs::File::open(path)?.read_to_end(buf)?;
    let lines = buf.iter().filter(|&&b| b == b'\n').count();
    Ok((buf.len(), lines))
}

fn run(pid: &str) -> io::Result<String> {
    let base = PathBuf::from("/proc").join(pid);
    // One buffer reused for every file, as a careful reader would.
    let mut buf = Vec::with_capacity(1 << 20);
    let ctx = |name: &str| {
        let path = base.join(name);
        move |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
    };

    let (status_bytes, _) = read_count(&base.join("status"), &mut buf).map_err(ctx("status"))?;
    let (stat_bytes, _) = read_count(&base.join("stat"), &mut buf).map_err(ctx("stat"))?;
    let (rollup_bytes, _) =
        read_count(&base.join("smaps_rollup"), &mut buf).map_err(ctx("smaps_rollup"))?;

    let mut fds = 0usize;
    let mut sockets = 0usize;
    let mut gone = 0usize;
    let fd_dir = base.join("fd");
    // readlink each entry by its bare name from inside the directory: one
    // path component per lookup, the std-only equivalent of readlinkat(dirfd)
    // (about 10-15% cheaper here than readlink("/proc/PID/fd/N")).
    std::env::set_current_dir(&fd_dir).map_err(ctx("fd"))?;
    for entry in fs::read_dir(&fd_dir).map_err(ctx("fd"))? {
        let entry = entry.map_err(ctx("fd"))?;
        match fs::read_link(entry.file_name()) {
            Ok(target) => {
                fds += 1;
                if target
                    .as_os_str()
                    .as_encoded_bytes()
                    .starts_with(b"socket:[")
                {
                    sockets += 1;
                }
            }
            // A descriptor closed between the listing and the readlink.
            Err(e) if e.kind() == io::ErrorKind::NotFound => gone += 1,
            Err(e) => return Err(ctx("fd/N")(e)),
        }
    }

    let (tcp_bytes, tcp_lines) =
        read_count(&base.join("net/tcp"), &mut buf).map_err(ctx("net/tcp"))?;
    let (tcp6_bytes, tcp6_lines) =
        read_count(&base.join("net/tcp6"), &mut buf).map_err(ctx("net/tcp6"))?;

    Ok(format!(
        "pid={pid} status={status_bytes}B stat={stat_bytes}B smaps_rollup={rollup_bytes}B \
         fds={fds} sockets={sockets} gone={gone} \
         tcp={tcp_bytes}B/{tcp_lines}lines tcp6={tcp6_bytes}B/{tcp6_lines}lines"
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let pid = match args.as_slice() {
        [_, pid] if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => pid,
        _ => {
            eprintln!("usage: bare_inspect PID");
            return ExitCode::from(2);
        }
    };
    match run(pid) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bare_inspect: {e}");
            ExitCode::from(2)
        }
    }
}
