//! `proctor demo`: a child process (proctor itself, in a hidden mode) that
//! leaks, or behaves, in a known way, watched with the same code path as
//! `watch`. Every scenario is bounded (descriptors, memory, threads, time)
//! and the child dies with its parent. Nothing is written to disk.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::analysis::watch::{DEFAULT_METRICS, Metric};
use crate::cmd::context::Ctx;
use crate::cmd::context::Output;
use crate::error::{CliError, ExitCode};

mod child;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    FdLeak,
    MemoryLeak,
    ThreadLeak,
    SocketLeak,
    FdLeakSlow,
    ThreadLeakChurn,
    GcSawtooth,
    WarmupPlateau,
    Steady,
    CacheWarmup,
    CacheFillStop,
    LateLoad,
    CronBurst,
    PoolCycle,
    ThreadBurst,
    Wander,
}

/// Every scenario, the leaks first, then the controls.
pub const ALL: [Scenario; 16] = [
    Scenario::FdLeak,
    Scenario::MemoryLeak,
    Scenario::ThreadLeak,
    Scenario::SocketLeak,
    Scenario::FdLeakSlow,
    Scenario::ThreadLeakChurn,
    Scenario::GcSawtooth,
    Scenario::WarmupPlateau,
    Scenario::Steady,
    Scenario::CacheWarmup,
    Scenario::CacheFillStop,
    Scenario::LateLoad,
    Scenario::CronBurst,
    Scenario::PoolCycle,
    Scenario::ThreadBurst,
    Scenario::Wander,
];

/// The seed of the children's noise when none is given (`--seed`).
pub const DEFAULT_SEED: u64 = 1;

/// A metric a leak scenario must be reported leaking, and how fast it
/// truly grows (per second, in the metric's unit: bytes for `rss`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expected {
    pub metric: Metric,
    pub per_second: f64,
}

const fn leaks(metric: Metric, per_second: f64) -> Expected {
    Expected { metric, per_second }
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::FdLeak => "fd-leak",
            Scenario::MemoryLeak => "memory-leak",
            Scenario::ThreadLeak => "thread-leak",
            Scenario::SocketLeak => "socket-leak",
            Scenario::FdLeakSlow => "fd-leak-slow",
            Scenario::ThreadLeakChurn => "thread-leak-churn",
            Scenario::GcSawtooth => "gc-sawtooth",
            Scenario::WarmupPlateau => "warmup-plateau",
            Scenario::Steady => "steady",
            Scenario::CacheWarmup => "cache-warmup",
            Scenario::CacheFillStop => "cache-fill-stop",
            Scenario::LateLoad => "late-load",
            Scenario::CronBurst => "cron-burst",
            Scenario::PoolCycle => "pool-cycle",
            Scenario::ThreadBurst => "thread-burst",
            Scenario::Wander => "wander",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Scenario::FdLeak => "opens /dev/null 5 times a second and never closes it (cap 1,000)",
            Scenario::MemoryLeak => {
                "allocates and touches 1 MiB every 250 ms and keeps it (cap 256 MiB)"
            }
            Scenario::ThreadLeak => "starts 4 threads a second that never end (cap 400)",
            Scenario::SocketLeak => {
                "accepts loopback connections whose peer closes, and never closes its end: CLOSE_WAIT (cap 300)"
            }
            Scenario::FdLeakSlow => {
                "keeps one more descriptor every 2 s while 0-6 others are opened and closed every 0.25-0.5 s"
            }
            Scenario::ThreadLeakChurn => {
                "starts a thread a second that never ends while 4-12 short-lived workers come and go"
            }
            Scenario::GcSawtooth => {
                "memory climbs by 2 MiB steps to 16 MiB, then is all freed, again and again"
            }
            Scenario::WarmupPlateau => {
                "opens 40 descriptors and 16 MiB in its first 2 seconds, then stays flat"
            }
            Scenario::Steady => "does nothing",
            Scenario::CacheWarmup => {
                "fills a 60 MiB cache along 1 - e^(-t/4) (most of it in 10 s), then stays flat"
            }
            Scenario::CacheFillStop => "fills 40 MiB at an even pace for 3 s, then stops",
            Scenario::LateLoad => "flat, then loads 60 MiB at once at 20 s, then flat again",
            Scenario::CronBurst => "holds 150 more descriptors for 2 s every 8 s",
            Scenario::PoolCycle => {
                "a loopback connection pool growing from 10 to 30 connections and back, again and again"
            }
            Scenario::ThreadBurst => "starts 30 threads every 5 s, each ending within 1.5 s",
            Scenario::Wander => {
                "holds a number of descriptors that wanders at random, pulled back to 50"
            }
        }
    }

    /// The metrics that must be reported leaking, with their true rates
    /// (empty for the controls).
    pub fn expected(self) -> &'static [Expected] {
        const FD_LEAK: [Expected; 1] = [leaks(Metric::Fds, 5.0)];
        // 1 MiB every 250 ms.
        const MEMORY_LEAK: [Expected; 1] = [leaks(Metric::Rss, 4.0 * 1_048_576.0)];
        const THREAD_LEAK: [Expected; 1] = [leaks(Metric::Threads, 4.0)];
        // One connection every 300 ms.
        const SOCKET_LEAK: [Expected; 1] = [leaks(Metric::CloseWait, 10.0 / 3.0)];
        const FD_LEAK_SLOW: [Expected; 1] = [leaks(Metric::Fds, 0.5)];
        const THREAD_LEAK_CHURN: [Expected; 1] = [leaks(Metric::Threads, 1.0)];
        match self {
            Scenario::FdLeak => &FD_LEAK,
            Scenario::MemoryLeak => &MEMORY_LEAK,
            Scenario::ThreadLeak => &THREAD_LEAK,
            Scenario::SocketLeak => &SOCKET_LEAK,
            Scenario::FdLeakSlow => &FD_LEAK_SLOW,
            Scenario::ThreadLeakChurn => &THREAD_LEAK_CHURN,
            _ => &[],
        }
    }

    pub fn is_leak(self) -> bool {
        !self.expected().is_empty()
    }
}

fn list() -> String {
    let mut s = String::from(
        "proctor demo SCENARIO: run a child process that behaves this way and watch it\n",
    );
    for (heading, leak) in [
        ("Leaks (the verdict must name the leak):", true),
        ("Controls (healthy: no leak may be reported):", false),
    ] {
        s.push_str(&format!("\n{heading}\n"));
        for sc in ALL.iter().filter(|sc| sc.is_leak() == leak) {
            s.push_str(&format!("  {:<18} {}\n", sc.name(), sc.describe()));
        }
    }
    s.push_str(
        "\nExample: proctor demo fd-leak   (options: --duration 20s --interval 250ms --json)\n",
    );
    s
}

/// What `demo` is asked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Without one, the list of scenarios is printed.
    pub scenario: Option<Scenario>,
    /// How long to watch (within its bounds: the CLI checks them).
    pub duration: Duration,
    /// Time between samples (within its bounds).
    pub interval: Duration,
    /// The seed of the child's noise (hidden `--seed`).
    pub seed: u64,
}

/// What the demo's child (`demo-child`) is asked.
#[derive(Debug, Clone)]
pub struct ChildSettings {
    pub scenario: Scenario,
    /// Seconds after which the child exits by itself.
    pub lifetime: u64,
    /// The seed of its noise: the same seed, the same behaviour.
    pub seed: u64,
}

/// Kills and reaps the child on every way out.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(ctx: &Ctx, a: &Settings, out: &mut dyn Write) -> Result<Output, CliError> {
    let Some(sc) = a.scenario else {
        return Ok(Output {
            stdout: list(),
            code: ExitCode::Ok,
        });
    };
    // --interval and --duration are within their bounds (checked by the CLI).
    let interrupted = crate::cmd::context::interrupt_flag();
    let exe = std::env::current_exe().map_err(|e| {
        CliError::new(format!("cannot find proctor's own executable: {e}"))
            .hint("run proctor by its path")
    })?;
    let lifetime = a.duration.as_secs().saturating_add(30);
    let child = Command::new(exe)
        .args(["demo-child", sc.name(), "--lifetime", &lifetime.to_string()])
        .args(["--seed", &a.seed.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            CliError::new(format!("cannot start the demo child: {e}"))
                .hint("check that proctor's executable is readable")
        })?;
    let mut guard = ChildGuard(child);
    let pid = guard.0.id() as i32;
    // Wait until the child runs proctor (after exec), bounded.
    let deadline = Instant::now() + Duration::from_secs(5);
    while ctx.fs.comm(pid).as_deref() != Some(b"proctor") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let the child set itself up (its descriptor limit) before the watch
    // reads the ceilings.
    std::thread::sleep(Duration::from_millis(100));
    let proc = ctx.fs.open(pid).map_err(CliError::from)?;
    if !ctx.json {
        let _ = writeln!(
            out,
            "{} the child (PID {pid}) {}.\nWatching it for {} every {}.\n",
            ctx.palette.heading(&format!("demo {}:", sc.name())),
            sc.describe(),
            humantime::format_duration(a.duration),
            humantime::format_duration(a.interval)
        );
    }
    let mut metrics: Vec<Metric> = DEFAULT_METRICS.to_vec();
    metrics.sort();
    let opts = crate::cmd::watch::WatchOpts {
        interval: a.interval,
        duration: Some(a.duration),
        metrics,
        json: ctx.json,
        palette: ctx.palette,
        live: crate::cmd::watch::stdout_is_tty(),
        suggest_next: false,
    };
    let mut status = || guard.0.try_wait().ok().flatten();
    let outcome = crate::cmd::watch::watch_process(
        &ctx.fs,
        proc,
        &opts,
        &interrupted,
        Some(&mut status),
        out,
    )?;
    drop(guard);
    let found_leak = !outcome.leaks.is_empty();
    // A leak scenario must report its metric; a control must report nothing.
    let as_expected = if sc.expected().is_empty() {
        !found_leak
    } else {
        sc.expected()
            .iter()
            .all(|e| outcome.leaks.contains(&e.metric.name()))
    };
    if ctx.json {
        let names: Vec<&str> = sc.expected().iter().map(|e| e.metric.name()).collect();
        let rates: serde_json::Map<String, serde_json::Value> = sc
            .expected()
            .iter()
            .map(|e| (e.metric.name().to_string(), e.per_second.into()))
            .collect();
        let _ = writeln!(
            out,
            "{}",
            serde_json::json!({"type": "demo", "scenario": sc.name(), "seed": a.seed,
                "expected_leaks": names, "expected_rates_per_s": rates, "as_expected": as_expected})
        );
    } else {
        let msg = match (sc.expected().is_empty(), as_expected) {
            (false, true) => ctx
                .palette
                .good("The leak was caught. The child has been stopped."),
            (true, true) => ctx
                .palette
                .good("No leak reported for a healthy process. The child has been stopped."),
            (false, false) => ctx
                .palette
                .warning("The leak was not caught in this run (try a longer --duration)."),
            (true, false) => ctx
                .palette
                .warning("A leak was reported for a control scenario: please report this."),
        };
        let _ = writeln!(out, "\n{msg}");
    }
    if outcome.code == ExitCode::Interrupted {
        return Ok(Output {
            stdout: String::new(),
            code: ExitCode::Interrupted,
        });
    }
    // The demo succeeds when the detector gets it right.
    Ok(Output {
        stdout: String::new(),
        code: if as_expected {
            ExitCode::Ok
        } else {
            ExitCode::Problem
        },
    })
}

/// The child: behave as the scenario says until the lifetime ends or the
/// parent dies.
pub fn child(a: &ChildSettings) -> Result<Output, CliError> {
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    // Ctrl-C in the terminal reaches the whole process group: the parent
    // handles it (verdict, then it stops this child), so the child does
    // not die of it mid-watch.
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGINT,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
    child::run(a.scenario, a.seed, a.lifetime);
    Ok(Output {
        stdout: String::new(),
        code: ExitCode::Ok,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_once_leaks_first_each_with_a_true_rate() {
        let mut names: Vec<&str> = ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        let first_control = ALL.iter().position(|s| !s.is_leak()).unwrap();
        assert!(ALL[first_control..].iter().all(|s| !s.is_leak()));
        assert_eq!(first_control, 6);
        for s in ALL.iter().filter(|s| s.is_leak()) {
            assert!(s.expected().iter().all(|e| e.per_second > 0.0), "{s:?}");
        }
        assert_eq!(Scenario::FdLeakSlow.expected()[0].per_second, 0.5);
        let l = list();
        let (leaks, controls) = l.split_once("Controls").unwrap();
        assert!(leaks.contains("fd-leak-slow") && !leaks.contains("cache-warmup"));
        assert!(controls.contains("wander") && !controls.contains("thread-leak"));
    }
}
