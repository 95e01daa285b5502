//! Baseline for `bench/record.sh`: the bare loop a recorder cannot beat.
//! Every `INTERVAL_MS`, for every numeric entry of /proc, read `stat`,
//! `status` and `io` whole and stat() the `fd` directory (its size is the
//! descriptor count on Linux >= 6.2), opening each file afresh.
//! Single-threaded, standard library only, nothing parsed or stored, so
//! it measures the reads. Prints `scan N` (flushed) after each scan.
//!
//! Usage: `bare_record SCANS INTERVAL_MS [PROC_ROOT]`.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn scan(root: &str, buf: &mut Vec<u8>) -> (u64, u64) {
    let Ok(dir) = fs::read_dir(root) else {
        return (0, 0);
    };
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
        for f in ["stat", "status", "io"] {
            buf.clear();
            let _ = fs::File::open(format!("{base}/{f}")).and_then(|mut h| h.read_to_end(buf));
        }
        if let Ok(m) = fs::metadata(format!("{base}/fd")) {
            fds += m.size();
        }
        procs += 1;
    }
    (procs, fds)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(Ok(scans)), Some(Ok(ms))) = (
        args.next().map(|s| s.parse::<u64>()),
        args.next().map(|s| s.parse::<u64>()),
    ) else {
        eprintln!("usage: bare_record SCANS INTERVAL_MS [PROC_ROOT]");
        return ExitCode::from(2);
    };
    let root = args.next().unwrap_or_else(|| "/proc".into());
    let mut buf = Vec::with_capacity(4096);
    let mut next = Instant::now();
    let mut out = std::io::stdout().lock();
    for n in 1..=scans {
        let (procs, fds) = scan(&root, &mut buf);
        let _ = writeln!(out, "scan {n} {procs} processes {fds} descriptors");
        let _ = out.flush();
        next += Duration::from_millis(ms);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    ExitCode::SUCCESS
}
