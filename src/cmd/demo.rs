//! `proctor demo`: a child process (proctor itself, in a hidden mode) that
//! leaks, or behaves, in a known way, watched with the same code path as
//! `watch`. Every scenario is bounded (descriptors, memory, threads, time)
//! and the child dies with its parent. Nothing is written to disk.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::analysis::watch::{DEFAULT_METRICS, Metric};
use crate::cmd::context::Ctx;
use crate::cmd::context::Output;
use crate::error::{CliError, ExitCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    FdLeak,
    MemoryLeak,
    ThreadLeak,
    SocketLeak,
    GcSawtooth,
    WarmupPlateau,
    Steady,
}

pub const ALL: [Scenario; 7] = [
    Scenario::FdLeak,
    Scenario::MemoryLeak,
    Scenario::ThreadLeak,
    Scenario::SocketLeak,
    Scenario::GcSawtooth,
    Scenario::WarmupPlateau,
    Scenario::Steady,
];

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::FdLeak => "fd-leak",
            Scenario::MemoryLeak => "memory-leak",
            Scenario::ThreadLeak => "thread-leak",
            Scenario::SocketLeak => "socket-leak",
            Scenario::GcSawtooth => "gc-sawtooth",
            Scenario::WarmupPlateau => "warmup-plateau",
            Scenario::Steady => "steady",
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
            Scenario::GcSawtooth => {
                "control: memory climbs by 2 MiB steps to 32 MiB, then is all freed, again and again"
            }
            Scenario::WarmupPlateau => {
                "control: opens 40 descriptors and 16 MiB in its first 4 seconds, then stays flat"
            }
            Scenario::Steady => "control: does nothing",
        }
    }

    /// Metrics that must be reported leaking (empty for the controls).
    pub fn expected(self) -> &'static [Metric] {
        match self {
            Scenario::FdLeak => &[Metric::Fds],
            Scenario::MemoryLeak => &[Metric::Rss],
            Scenario::ThreadLeak => &[Metric::Threads],
            Scenario::SocketLeak => &[Metric::CloseWait],
            _ => &[],
        }
    }
}

fn list() -> String {
    let mut s = String::from(
        "proctor demo SCENARIO: run a child process that behaves this way and watch it\n\n",
    );
    for sc in ALL {
        s.push_str(&format!("  {:<15} {}\n", sc.name(), sc.describe()));
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
}

/// What the demo's child (`demo-child`) is asked.
#[derive(Debug, Clone)]
pub struct ChildSettings {
    pub scenario: Scenario,
    /// Seconds after which the child exits by itself.
    pub lifetime: u64,
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
            .all(|m| outcome.leaks.contains(&m.name()))
    };
    if ctx.json {
        let names: Vec<&str> = sc.expected().iter().map(|m| m.name()).collect();
        let _ = writeln!(
            out,
            "{}",
            serde_json::json!({"type": "demo", "scenario": sc.name(), "expected_leaks": names, "as_expected": as_expected})
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
    if a.scenario == Scenario::FdLeak {
        // A typical default soft limit, so the demo shows a time to exhaustion
        // in minutes rather than hours.
        let mut lim = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        lim.current = Some(lim.current.unwrap_or(1024).min(1024));
        let _ = rustix::process::setrlimit(rustix::process::Resource::Nofile, lim);
    }
    let start = Instant::now();
    // A lifetime past what Instant can hold: the child ends with its parent.
    let end = start.checked_add(Duration::from_secs(a.lifetime));
    let parent = rustix::process::getppid();
    let mut files = Vec::new();
    let mut memory: Vec<Vec<u8>> = Vec::new();
    let mut threads = 0u32;
    let mut held = Vec::new();
    let listener = if a.scenario == Scenario::SocketLeak {
        TcpListener::bind("127.0.0.1:0").ok()
    } else {
        None
    };
    let mut tick = 0u64;
    let period = match a.scenario {
        Scenario::FdLeak => Duration::from_millis(200),
        Scenario::SocketLeak => Duration::from_millis(300),
        _ => Duration::from_millis(250),
    };
    while end.is_none_or(|e| Instant::now() < e) {
        if rustix::process::getppid() != parent {
            break;
        }
        let secs = start.elapsed().as_secs_f64();
        match a.scenario {
            Scenario::FdLeak if files.len() < 1000 => {
                if let Ok(f) = std::fs::File::open("/dev/null") {
                    files.push(f);
                }
            }
            Scenario::MemoryLeak if memory.len() < 256 => memory.push(vec![1u8; 1 << 20]),
            Scenario::ThreadLeak if threads < 400 => {
                for _ in 0..1 {
                    if std::thread::Builder::new()
                        .stack_size(64 * 1024)
                        .spawn(|| {
                            loop {
                                std::thread::park();
                            }
                        })
                        .is_ok()
                    {
                        threads += 1;
                    }
                }
            }
            Scenario::SocketLeak if held.len() < 300 => {
                if let Some(l) = &listener {
                    if let Ok(addr) = l.local_addr() {
                        if let Ok(c) = TcpStream::connect(addr) {
                            if let Ok((server_side, _)) = l.accept() {
                                held.push(server_side);
                            }
                            drop(c);
                        }
                    }
                }
            }
            Scenario::GcSawtooth => {
                if memory.len() >= 16 {
                    memory.clear();
                } else {
                    memory.push(vec![1u8; 2 << 20]);
                }
            }
            Scenario::WarmupPlateau if secs < 4.0 => {
                for _ in 0..2 {
                    if let Ok(f) = std::fs::File::open("/dev/null") {
                        files.push(f);
                    }
                }
                memory.push(vec![1u8; 1 << 20]);
            }
            _ => {}
        }
        tick += 1;
        let next = period
            .checked_mul(u32::try_from(tick).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX);
        if let Some(left) = next.checked_sub(start.elapsed()) {
            std::thread::sleep(left);
        }
    }
    Ok(Output {
        stdout: String::new(),
        code: ExitCode::Ok,
    })
}
