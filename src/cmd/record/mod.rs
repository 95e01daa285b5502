//! `proctor record`: the node's history in a SQLite file (src/store,
//! docs/history.md). The exporter's agent scans (files kept open, each
//! process classified into its workload once) and hands every scan to a
//! [`sink::StoreSink`], which writes what changed; retention and the size
//! cap are enforced after each scan. SIGTERM or Ctrl-C ends the run
//! cleanly (exit 0); `kill -9` loses at most the scan being written.

pub mod sink;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::cmd::context::{Ctx, Output};
use crate::error::{CliError, ExitCode};
use crate::store::StoreError;

#[derive(Debug, Clone)]
pub struct Settings {
    pub output: PathBuf,
    pub interval: Duration,
    pub retain: Duration,
    pub max_size: u64,
    /// Stop after this long (None: until a signal).
    pub duration: Option<Duration>,
    /// Record only these processes (and their workloads).
    pub targets: Vec<crate::cmd::target::TargetSpec>,
}

/// The file used when none is given: /var/lib/proctor/history.db for
/// root, else under the XDG state directory.
pub fn default_path() -> PathBuf {
    if rustix::process::geteuid().is_root() {
        return PathBuf::from("/var/lib/proctor/history.db");
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("proctor/history.db")
}

/// A store error as the user reads it: what is wrong, and what to do.
pub fn store_error(e: &StoreError) -> CliError {
    let shown = crate::text::escape_for_terminal(std::os::unix::ffi::OsStrExt::as_bytes(
        e.path().as_os_str(),
    ));
    let (message, hint) = match e {
        StoreError::Full { .. } => (
            format!("no space left to write {shown}: the scans written before are kept, whole"),
            "free space on its file system, lower --max-size, or write the history to another disk"
                .to_string(),
        ),
        StoreError::ReadOnly { .. } => (
            format!("cannot write {shown}: it or its directory is read-only"),
            "write the history to a writable place, or check the file's owner and mode".to_string(),
        ),
        StoreError::Locked { .. } => (
            format!("{shown} is locked: another proctor record (or serve --record) writes it"),
            "stop the other recorder first, or write this history to another file".to_string(),
        ),
        StoreError::Newer { found, .. } => (
            format!(
                "{shown} has history schema {found}; this proctor knows schema {} at most",
                crate::store::schema::VERSION
            ),
            "read it with the newer proctor that wrote it, or write this history to a new file"
                .to_string(),
        ),
        StoreError::Older { found, .. } => (
            format!(
                "{shown} has history schema {found}, older than this proctor's {}; it is not \
                 added to",
                crate::store::schema::VERSION
            ),
            "record to a new file (proctor report, export and top --replay still read this one)"
                .to_string(),
        ),
        StoreError::Foreign { .. } => (
            format!("{shown} is not a proctor history file"),
            "give a file written by proctor record, or a new file name".to_string(),
        ),
        StoreError::Corrupt { detail, .. } => (
            format!(
                "{shown} is damaged ({}); it was not written to",
                crate::text::escape_for_terminal(detail.as_bytes())
            ),
            "`proctor report` reads what it can of it; write this history to a new file"
                .to_string(),
        ),
        StoreError::Missing { .. } => (
            format!("{shown} does not exist"),
            "record one first: proctor record --output FILE".to_string(),
        ),
        StoreError::Other { detail, .. } => (
            format!(
                "cannot use {shown}: {}",
                crate::text::escape_for_terminal(detail.as_bytes())
            ),
            "check the path, or write this history to another file".to_string(),
        ),
    };
    CliError::new(message).hint(hint)
}

/// Create the file's directory when it is missing (the default path's).
pub(crate) fn ensure_dir(path: &Path) -> Result<(), CliError> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        let shown = crate::text::escape_for_terminal(std::os::unix::ffi::OsStrExt::as_bytes(
            dir.as_os_str(),
        ));
        CliError::new(format!("cannot create the directory {shown}: {e}"))
            .hint("record to a writable place with --output FILE")
    })
}

pub fn run(ctx: &Ctx, s: &Settings) -> Result<Output, CliError> {
    if ctx.json {
        return Err(
            CliError::new("record has no JSON output: it writes a history file")
                .hint("drop --json; `proctor report FILE --json` reads the history as JSON"),
        );
    }
    crate::cmd::context::check_roots(ctx)?;
    ensure_dir(&s.output)?;
    let targets = sink::resolve_targets(ctx, &s.targets)?;
    let limits = crate::store::write::Limits {
        retain_ms: Some(i64::try_from(s.retain.as_millis()).unwrap_or(i64::MAX)),
        max_bytes: Some(s.max_size),
    };
    let sink = sink::StoreSink::open(ctx, &s.output, limits, s.interval, targets)?;
    let stats = sink.stats();
    let mut agent = crate::cmd::serve::agent::Agent::with_sink(
        ctx.fs.clone(),
        ctx.pods_dir.clone(),
        crate::cmd::serve::config::Matchers::default(),
        crate::analysis::serve::Bounds::default(),
        Some(Box::new(sink)),
    )?;
    let stop = crate::cmd::context::interrupt_flag();
    eprintln!(
        "{}",
        crate::render::record::started(
            &s.output,
            s.interval,
            s.retain,
            s.max_size,
            stats.targets()
        )
    );
    let began = Instant::now();
    let mut next = began;
    loop {
        let listed = agent.record_step().map_err(CliError::from)?;
        if let Some(e) = agent.sink_error.take() {
            return Err(e);
        }
        if listed == 0 {
            return Err(CliError::new(format!(
                "no processes found under {}",
                ctx.fs.proc_root().display()
            ))
            .hint("point --proc-root (or PROCTOR_PROC_ROOT) at a mounted procfs, such as /proc or /host/proc"));
        }
        if stats.targets_gone() {
            eprintln!("{}", crate::render::record::targets_gone());
            break;
        }
        next = next.checked_add(s.interval).unwrap_or_else(Instant::now);
        let now = Instant::now();
        if next < now {
            next = now;
        }
        if s.duration
            .is_some_and(|d| next.saturating_duration_since(began) > d)
        {
            break;
        }
        crate::cmd::serve::sleep_until(next, &stop);
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    drop(agent); // the sink finishes the run as it is dropped
    if let Some(e) = stats.finish_error() {
        return Err(e);
    }
    eprintln!(
        "{}",
        crate::render::record::summary(&s.output, &stats.totals())
    );
    Ok(Output {
        stdout: String::new(),
        code: ExitCode::Ok,
    })
}
