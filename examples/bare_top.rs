//! Baseline for `bench/top.sh`: the bare loop the issue names for the
//! whole-table scan. For every numeric entry of /proc, read `stat` and
//! `status` whole and stat() the `fd` directory (its size is the descriptor
//! count on Linux >= 6.2). Single-threaded, standard library only, no
//! parsing beyond summing the counts, so it measures the syscalls.
//!
//! Usage: `bare_top [PROC_ROOT]`; prints "N processes, M descriptors".

use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = std::env::args().nth(1).unwrap_or_else(|| "/proc".into());
    let Ok(dir) = fs::read_dir(&root) else {
        eprintln!("cannot list {root}");
        return ExitCode::from(2);
    };
    let mut buf = Vec::with_capacity(4096);
    let (mut procs, mut fds) = (0u64, 0u64);
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let base = format!("{root}/{pid}");
        let mut ok = true;
        for f in ["stat", "status"] {
            buf.clear();
            match fs::File::open(format!("{base}/{f}")).and_then(|mut h| h.read_to_end(&mut buf)) {
                Ok(_) => {}
                Err(_) => ok = false,
            }
        }
        if let Ok(m) = fs::metadata(format!("{base}/fd")) {
            fds += m.size();
        }
        if ok {
            procs += 1;
        }
    }
    println!("{procs} processes, {fds} descriptors");
    ExitCode::SUCCESS
}
