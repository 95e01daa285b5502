//! `proctor serve`: the node agent and Prometheus exporter. It binds
//! first (a port in use is said at once), then the agent scans on its own
//! thread and publishes each page ([`page::Published`]); the main thread
//! serves them ([`http::serve`]) until SIGTERM or SIGINT. A scrape never
//! scans. `--once` scans twice a short time apart and prints the
//! Prometheus text (for debugging, and node_exporter's textfile collector).

pub mod agent;
pub mod config;
pub mod http;
pub mod maps;
pub mod page;
pub mod sockets;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::analysis::serve::Bounds;
use crate::cmd::context::{Ctx, Output};
use crate::error::{CliError, ExitCode};

/// Processes exported one by one by limit closeness, at most (`--top-k`).
pub const MAX_TOP_K: usize = 100;
/// Scans of a `--once` run (hidden `--scans`), at most.
pub const MAX_SCANS: usize = 1000;
/// The two scans of `--once` are this far apart (rates need two).
pub const ONCE_APART: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub interval: Duration,
    pub config: Option<PathBuf>,
    pub top_k: usize,
    pub once: bool,
    /// `--once` with this many scans `interval` apart instead of two
    /// [`ONCE_APART`] apart (hidden: tests watch a leak this way).
    pub scans: Option<usize>,
    /// `--record FILE`: the agent also writes the history.
    pub record: Option<Record>,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub output: PathBuf,
    pub retain: Duration,
    pub max_size: u64,
}

/// The config file's matchers (none without `--config`).
fn matchers(s: &Settings) -> Result<config::Matchers, CliError> {
    let Some(path) = &s.config else {
        return Ok(config::Matchers::default());
    };
    let shown =
        crate::text::escape_for_terminal(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()));
    let hint =
        "see docs/serve.md for the format: [[group]] tables with name and comm, exe or cmdline";
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::new(format!("cannot read --config {shown}: {e}")).hint(hint))?;
    if !meta.is_file() || meta.len() > config::MAX_FILE {
        return Err(CliError::new(format!(
            "--config {shown} is not a regular file of at most 1 MiB"
        ))
        .hint(hint));
    }
    // Read at most one byte past the cap: the file may have grown since.
    let mut text = String::new();
    let read = std::fs::File::open(path).and_then(|f| {
        std::io::Read::read_to_string(&mut std::io::Read::take(f, config::MAX_FILE + 1), &mut text)
    });
    match read {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Err(CliError::new(format!("--config {shown} is not UTF-8 text")).hint(hint));
        }
        Err(e) => {
            return Err(CliError::new(format!("cannot read --config {shown}: {e}")).hint(hint));
        }
        Ok(n) if n as u64 > config::MAX_FILE => {
            return Err(CliError::new(format!(
                "--config {shown} is not a regular file of at most 1 MiB"
            ))
            .hint(hint));
        }
        Ok(_) => {}
    }
    config::Matchers::parse(&text)
        .map_err(|e| CliError::new(format!("--config {shown}: {e}")).hint(hint))
}

fn new_agent(ctx: &Ctx, s: &Settings) -> Result<agent::Agent, CliError> {
    let bounds = Bounds {
        top_k: s.top_k.min(MAX_TOP_K),
        ..Bounds::default()
    };
    let sink: Option<Box<dyn agent::Sink>> = match &s.record {
        Some(r) => {
            crate::cmd::record::ensure_dir(&r.output)?;
            let limits = crate::store::write::Limits {
                retain_ms: Some(i64::try_from(r.retain.as_millis()).unwrap_or(i64::MAX)),
                max_bytes: Some(r.max_size),
            };
            Some(Box::new(crate::cmd::record::sink::StoreSink::open(
                ctx, &r.output, limits, s.interval, None,
            )?))
        }
        None => None,
    };
    Ok(agent::Agent::with_sink(
        ctx.fs.clone(),
        ctx.pods_dir.clone(),
        matchers(s)?,
        bounds,
        sink,
    )?)
}

pub fn run(ctx: &Ctx, s: &Settings) -> Result<Output, CliError> {
    if ctx.json {
        return Err(CliError::new("serve has no JSON output: it serves Prometheus metrics")
            .hint("drop --json; `proctor serve --once` prints the metrics once, in Prometheus text format"));
    }
    if s.once {
        return once(ctx, s);
    }
    let agent = new_agent(ctx, s)?;
    let listener = TcpListener::bind(s.listen).map_err(|e| {
        CliError::new(format!("cannot listen on {}: {e}", s.listen)).hint(
            "another process may hold the port, or the address is not this host's: choose one with --listen, e.g. --listen 127.0.0.1:9257",
        )
    })?;
    let stop = crate::cmd::context::interrupt_flag();
    // Stale after three missed scans (at least a minute): /healthz fails.
    let stale = s.interval.saturating_mul(3).max(Duration::from_secs(60));
    let pages = page::Published::new(stale);
    let limits = http::Limits {
        max_connections: 64,
        header_timeout: Duration::from_secs(5),
        write_timeout: Duration::from_secs(10),
        max_request_bytes: 8 * 1024,
    };
    let worker = {
        let pages = pages.clone();
        let stop = std::sync::Arc::clone(&stop);
        let interval = s.interval;
        std::thread::Builder::new()
            .name("proctor-agent".into())
            .spawn(move || agent_loop(agent, &pages, interval, &stop))
            .map_err(|e| CliError::new(format!("cannot start the agent thread: {e}")))?
    };
    let served = http::serve(listener, pages, limits, &stop);
    stop.store(true, Ordering::Relaxed);
    // The recording's error (a full disk) ended the agent and the server.
    if let Ok(Some(e)) = worker.join() {
        return Err(e);
    }
    served.map_err(|e| {
        CliError::new(format!("serving {} failed: {e}", s.listen))
            .hint("the agent stopped with it; `proctor serve --once` checks the scan alone")
    })?;
    Ok(Output {
        stdout: String::new(),
        code: ExitCode::Ok,
    })
}

/// Scan on a fixed grid of deadlines until `stop`; a failed scan keeps the
/// last page (which turns stale for /healthz). A recording that fails
/// (`--record`: a full disk) stops everything: its error is returned.
fn agent_loop(
    mut agent: agent::Agent,
    pages: &page::Published,
    interval: Duration,
    stop: &AtomicBool,
) -> Option<CliError> {
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if let Ok(p) = agent.step() {
            pages.set(page::Page {
                openmetrics: p.openmetrics,
                prometheus: p.prometheus,
                at: Instant::now(),
            });
        }
        if let Some(e) = agent.sink_error.take() {
            stop.store(true, Ordering::Relaxed);
            return Some(e);
        }
        next = next.checked_add(interval).unwrap_or_else(Instant::now);
        let now = Instant::now();
        if next < now {
            // Late (a scan longer than the interval): no burst of catch-up
            // scans.
            next = now;
        }
        sleep_until(next, stop);
    }
    None
}

/// Sleep in slices so that a signal is noticed promptly (within a quarter
/// of a second: each wake-up costs the idle agent CPU).
pub(crate) fn sleep_until(deadline: Instant, stop: &AtomicBool) {
    let slice = Duration::from_millis(250);
    while !stop.load(Ordering::Relaxed) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(slice));
    }
}

/// `--once`: two scans (or `--scans N`), the last page's Prometheus text.
fn once(ctx: &Ctx, s: &Settings) -> Result<Output, CliError> {
    let mut agent = new_agent(ctx, s)?;
    let (n, apart) = match s.scans {
        Some(n) => (n.clamp(1, MAX_SCANS), s.interval),
        None => (2, ONCE_APART),
    };
    let stop = crate::cmd::context::interrupt_flag();
    let mut last = None;
    let mut next = Instant::now();
    for i in 0..n {
        if i > 0 {
            next = next.checked_add(apart).unwrap_or_else(Instant::now);
            sleep_until(next, &stop);
            if stop.load(Ordering::Relaxed) {
                break;
            }
        }
        let page = agent.step()?;
        if page.processes == 0 {
            return Err(CliError::new(format!(
                "no processes found under {}",
                ctx.fs.proc_root().display()
            ))
            .hint("point --proc-root (or PROCTOR_PROC_ROOT) at a mounted procfs, such as /proc or /host/proc"));
        }
        last = Some(page);
    }
    let page = last.ok_or_else(|| {
        CliError::new("interrupted before the first scan").code(ExitCode::Interrupted)
    })?;
    Ok(Output {
        stdout: String::from_utf8_lossy(&page.prometheus).into_owned(),
        code: ExitCode::Ok,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_publishes_pages_on_its_timer_and_stops_when_asked() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workloads");
        let fs = crate::reader::ProcFs::new(root.join("proc"), root.join("sys"));
        let agent = agent::Agent::new(
            fs,
            root.join("var/log/pods"),
            config::Matchers::default(),
            Bounds::default(),
        )
        .unwrap();
        let pages = page::Published::new(Duration::from_secs(60));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let worker = {
            let (pages, stop) = (pages.clone(), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || agent_loop(agent, &pages, Duration::from_millis(100), &stop))
        };
        // Two pages, one after the other (bounded wait).
        let deadline = Instant::now() + Duration::from_secs(30);
        let first = loop {
            if let Some(p) = pages.get() {
                break p;
            }
            assert!(Instant::now() < deadline, "no page");
            std::thread::sleep(Duration::from_millis(10));
        };
        while pages.get().is_some_and(|p| p.at == first.at) {
            assert!(Instant::now() < deadline, "no second page");
            std::thread::sleep(Duration::from_millis(10));
        }
        let p = pages.get().unwrap();
        let text = String::from_utf8(p.prometheus.clone()).unwrap();
        assert!(
            text.contains("group=\"payments/api-7d9/api\"} 1\n"),
            "{text}"
        );
        assert!(
            String::from_utf8(p.openmetrics.clone())
                .unwrap()
                .ends_with("# EOF\n")
        );
        assert!(pages.healthy(Instant::now()));
        stop.store(true, Ordering::Relaxed);
        worker.join().unwrap();
    }
}
