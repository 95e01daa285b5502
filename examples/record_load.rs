//! Load for `bench/record.sh`: processes whose numbers change as the
//! documented mix says, so the history's size per scan can be measured.
//!
//! Usage: `record_load KIND N PERIOD_MS` starts N children of one kind and
//! prints `ready` when they all run; it ends them (SIGKILL, reaped) when
//! its stdin closes. Kinds:
//! - `idle`: sleeps; never wakes, so nothing of it changes.
//! - `busy`: wakes every PERIOD_MS (±50%), spins ~3 ms (CPU time and a
//!   context switch at most scans), and at one wake in 5 resizes a buffer
//!   it touches (RSS) and opens or closes a file (descriptors).
//! - `worst`: every PERIOD_MS (no jitter) resizes its buffer by 1-2 MiB
//!   (touching it: RSS and CPU time) and opens or closes a file: with a
//!   period under the scan interval, RSS, descriptors and switches change
//!   at every scan, CPU time at most. (No spinning: 500 of them must not
//!   starve 2 cores, or they would not run at every scan.)

use std::io::{BufRead, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

fn spin(d: Duration) {
    let end = Instant::now() + d;
    let mut x = 0u64;
    while Instant::now() < end {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    }
    std::hint::black_box(x);
}

fn child(kind: &str, period_ms: u64, seed: u64) {
    let mut rng = seed | 1;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    if kind == "idle" {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let worst = kind == "worst";
    let mut buf: Vec<u8> = Vec::new();
    let mut files = Vec::new();
    for wake in 0u64.. {
        let jitter = if worst {
            period_ms
        } else {
            period_ms / 2 + next() % period_ms.max(1)
        };
        std::thread::sleep(Duration::from_millis(jitter));
        if !worst {
            spin(Duration::from_millis(3));
        }
        if worst || wake % 5 == 0 {
            let mib = 1 + (next() % 2) as usize + usize::from(buf.len() < (1 << 20));
            buf = vec![0u8; mib << 20];
            for i in (0..buf.len()).step_by(4096) {
                buf[i] = 1;
            }
            std::hint::black_box(&buf);
            if files.len() < 4 && next() % 2 == 0 {
                if let Ok(f) = std::fs::File::open("/dev/null") {
                    files.push(f);
                }
            } else {
                files.pop();
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") && args.len() == 4 {
        let period = args[2].parse().unwrap_or(1000);
        child(&args[1], period, args[3].parse().unwrap_or(1));
        return ExitCode::SUCCESS;
    }
    let (Some(kind), Some(Ok(n)), Some(period)) = (
        args.first(),
        args.get(1).map(|s| s.parse::<usize>()),
        args.get(2),
    ) else {
        eprintln!("usage: record_load idle|busy|worst N PERIOD_MS");
        return ExitCode::from(2);
    };
    let Ok(me) = std::env::current_exe() else {
        return ExitCode::from(2);
    };
    let mut kids: Vec<Child> = Vec::with_capacity(n);
    for i in 0..n {
        match Command::new(&me)
            .args(["--child", kind, period, &(i as u64 * 7919 + 13).to_string()])
            .stdin(Stdio::null())
            .spawn()
        {
            Ok(c) => kids.push(c),
            Err(e) => {
                eprintln!("spawn: {e}");
                break;
            }
        }
    }
    println!("ready {}", kids.len());
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    for k in &mut kids {
        let _ = k.kill();
    }
    for k in &mut kids {
        let _ = k.wait();
    }
    ExitCode::SUCCESS
}
