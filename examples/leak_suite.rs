//! Measure the leak detector on every scenario of
//! `proctor::analysis::leak::suite`, many seeds each, and print the table
//! of docs/leak-detection.md.
//!
//! Usage: cargo run --release --example leak_suite [SEEDS] [FILTER]
//! (SEEDS: runs per scenario, default 200; FILTER: only scenarios whose
//! name contains it).

use proctor::analysis::leak::suite::{SCENARIOS, Truth, measure};

/// Each scenario in words.
fn describe(name: &str) -> &str {
    match name {
        "fd-slow-noisy" => "fd slow (0.5/s) under noise",
        "thread-churn" => "threads 1/s under a churning pool",
        "fd-fast" => "fds 5/s",
        "fd-fast-stalls" => "fds 5/s by a child stalled for 0.5 s now and then",
        "memory-fast" => "memory 4 MiB/s",
        "thread-fast" => "threads 4/s",
        "fd-slow-clean" => "fds 0.5/s, no noise",
        "memory-slow-noisy" => "memory 512 KiB/s under noise",
        "close-wait-sparse" => "close_wait 10 every 3 s, read 1 sample in 4 at uneven intervals",
        "onset" => "flat for 10 s, then fds 2/s under noise (40 s)",
        "onset-slow-noisy" => "flat for 10 s, then fds 0.5/s under noise (50 s)",
        "gc-rising-floor" => "memory 1 MiB/s under a GC sawtooth",
        "gc-flat-floor" => "GC sawtooth, flat floor",
        "warmup-linear" => "warm-up: 16/s for 2.5 s, then flat",
        "warmup-exponential" => "warm-up: 80 fds, 1-e^(-t/4)",
        "cache-warmup" => "cache warm-up: 60 MiB, 1-e^(-t/4)",
        "cache-fill-stop" => "cache fills 40 MiB in 3 s, stops",
        "late-load" => "late one-off load: +60 MiB at 20 s",
        "cron-burst" => "cron burst: +150 fds 2 s every 8 s",
        "pool-cycle" => "connection pool cycling 10-30",
        "thread-burst" => "thread bursts: 30 every 5 s",
        "wander" => "mean-reverting wander",
        "random-walk" => "driftless random walk, 240 steps",
        "steady" => "steady",
        "steady-long" => "steady, 4 minutes",
        "random-walk-long" => "driftless random walk, 960 steps",
        "thread-wandering-pool" => "threads 1/s, pool size wandering 4-12",
        "warmup-linear-4s" => "warm-up: 8/s for 4 s, then flat",
        "gc-long-teeth" => "GC sawtooth whose teeth rise for 4 s",
        "warmup-exponential-slow" => "warm-up: 80 fds, 1-e^(-t/8)",
        other => other,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let filter = args.next().unwrap_or_default();
    println!(
        "| scenario | truth | runs | final leak | running LEAK at any sample | caught by deadline | median time to LEAK | median rate error | rate within 25% |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut hard_seen = false;
    for s in SCENARIOS.iter().filter(|s| s.name.contains(&filter)) {
        if s.hard && !std::mem::replace(&mut hard_seen, true) {
            println!("| **beyond the requirements** | | | | | | | | |");
        }
        let m = measure(s, 1..seeds + 1);
        let pct = |x: f64| format!("{:.1}%", 100.0 * x);
        let opt = |x: Option<f64>, f: &dyn Fn(f64) -> String| x.map_or("-".to_string(), f);
        let (truth, caught, within) = match s.truth {
            Truth::Leak { .. } => (
                format!("leak (by {} s)", s.deadline),
                pct(m.caught_by_deadline),
                pct(m.rate_within_25),
            ),
            Truth::Control => ("control".to_string(), "-".into(), "-".into()),
        };
        println!(
            "| {} | {truth} | {} | {} | {} | {caught} | {} | {} | {within} |",
            describe(s.name),
            m.runs,
            pct(m.final_leak_share),
            pct(m.running_leak_share),
            opt(m.median_detection, &|t| format!("{t:.2} s")),
            opt(m.median_rate_error, &|e| format!("{:.1}%", 100.0 * e)),
        );
    }
}
