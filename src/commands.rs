//! One function per command: resolve the target, read through the reader,
//! build the view with `analysis`, render it. The only glue between the
//! layers; owns the user-facing wording of "gone" errors.

use crate::analysis::{self, findings::Thresholds};
use crate::cli::{
    EnvArgs, FdsArgs, InspectArgs, MapsArgs, NetArgs, NetProto, Output, TargetArgs, ThreadsArgs,
    WatchArgs,
};
use crate::error::{CliError, ExitCode, ReadError};
use crate::reader::{FdInfoWanted, ProcFs, Process};
use crate::render::{self, style, views};
use crate::target;
use crate::text::Text;

pub struct Ctx {
    pub fs: ProcFs,
    pub json: bool,
    pub palette: style::Palette,
    /// `--reveal`: show secrets in command lines and environments.
    pub reveal: bool,
}

/// A wrong --proc-root is a usage error, said once, up front.
pub fn check_roots(ctx: &Ctx) -> Result<(), CliError> {
    let root = ctx.fs.proc_root();
    if !root.is_dir() {
        return Err(CliError::new(format!("proc root {} is not a directory", root.display()))
            .hint("point --proc-root (or PROCTOR_PROC_ROOT) at a mounted procfs, such as /proc or /host/proc"));
    }
    Ok(())
}

/// A scan that found no process at all: the root is not a procfs (a wrong
/// --proc-root), not a host with no processes.
pub fn check_scan(ctx: &Ctx, scan: &crate::reader::Scan) -> Result<(), CliError> {
    check_own_fds(scan)?;
    if scan.rows.is_empty() && scan.exited == 0 && scan.unreadable == 0 {
        return Err(CliError::new(format!(
            "no processes found under {}",
            ctx.fs.proc_root().display()
        ))
        .hint("point --proc-root (or PROCTOR_PROC_ROOT) at a mounted procfs, such as /proc or /host/proc"));
    }
    Ok(())
}

/// Why processes may be missing from the proc root: hidepid, when it
/// applies to proctor.
pub fn hidepid_cause(ctx: &Ctx) -> Option<analysis::incomplete::Cause> {
    let v = ctx.fs.visibility();
    analysis::incomplete::Cause::from_mount(
        v.mount,
        v.exempt,
        &ctx.fs.proc_root().display().to_string(),
    )
}

/// A scan that ran out of descriptors itself: proctor's error (raise
/// `ulimit -n`), never processes silently left out.
pub fn check_own_fds(scan: &crate::reader::Scan) -> Result<(), CliError> {
    if scan.out_of_fds {
        return Err(CliError::out_of_descriptors(&ReadError::Io {
            path: std::path::PathBuf::from("the process table"),
            message: std::io::Error::from_raw_os_error(rustix::io::Errno::MFILE.raw_os_error())
                .to_string(),
        }));
    }
    Ok(())
}

/// Open the target, turning "gone" into the user-facing message.
fn open_target(ctx: &Ctx, t: &TargetArgs) -> Result<Process, CliError> {
    let pid = target::resolve(&ctx.fs, &t.target, t.pick()).map_err(|e| {
        // Under hidepid, "no process matches" may mean "not visible to you".
        match (e.message.starts_with("no process"), hidepid_cause(ctx)) {
            (true, Some(c)) => {
                let hint = format!("other users' processes may be hidden: {}", c.words());
                e.hint(hint)
            }
            _ => e,
        }
    })?;
    ctx.fs.open(pid).map_err(|e| match e {
        ReadError::Exited { .. } => {
            CliError::new(format!("no process with PID {pid}")).hint(match hidepid_cause(ctx) {
                Some(c) => format!(
                    "it may have exited, or be another user's process hidden from you: {}",
                    c.words()
                ),
                None => format!("it may have exited; check with `ps -p {pid}`"),
            })
        }
        other => other.into(),
    })
}

/// A read of the target failed: "exited while being read" for a vanished
/// process, the reader's message and hint otherwise.
fn gone(e: ReadError) -> CliError {
    match e {
        ReadError::Exited { pid } => {
            CliError::new(format!("process {pid} exited while being read"))
                .hint("it is gone; run the command again on the new process, if any")
        }
        other => other.into(),
    }
}

fn name(proc: &Process) -> Text {
    Text(proc.initial_stat().comm.clone())
}

fn emit<T: serde::Serialize>(ctx: &Ctx, report: &T, human: impl FnOnce() -> String) -> Output {
    let stdout = if ctx.json {
        render::to_json(report) + "\n"
    } else {
        human()
    };
    Output {
        stdout,
        code: ExitCode::Ok,
    }
}

pub fn inspect(ctx: &Ctx, a: &InspectArgs) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    let snap = ctx.fs.snapshot(&proc).map_err(gone)?;
    let th = Thresholds {
        threads: a.thread_threshold,
        close_wait: a.close_wait_threshold,
        ..Thresholds::default()
    };
    // proctor's own descriptor limit hit while reading: its error, not a
    // section the process lacks (findings would silently go missing).
    if let Some(e) = snapshot_errors(&snap).find(|e| e.is_out_of_descriptors()) {
        return Err(CliError::out_of_descriptors(e));
    }
    let mut report = analysis::inspect::build(&snap, &th);
    if let Some(inc) = report.incomplete.as_mut() {
        let denied = inc.reasons.iter().any(|r| {
            matches!(r, analysis::incomplete::Reason::ChecksNotRun { reason, .. } if *reason == "permission_denied")
        });
        if denied && !rustix::process::geteuid().is_root() {
            inc.cause = Some(analysis::incomplete::Cause::NotRoot);
        }
    }
    if ctx.reveal {
        report.reveal_secrets(&snap);
    }
    let mut out = emit(ctx, &report, || {
        render::inspect::render(&report, ctx.palette)
    });
    // Exit 1 when something at warning or above was found, so scripts can
    // act on `proctor inspect PID` (info findings do not count); else 3
    // when checks that could hide a problem did not run.
    let problem = report
        .findings
        .iter()
        .any(|f| f.severity >= analysis::findings::Severity::Warning);
    out.code = analysis::incomplete::exit_code(problem, report.incomplete.as_ref());
    Ok(out)
}

/// Every section of a snapshot that failed.
fn snapshot_errors(s: &crate::reader::ProcessSnapshot) -> impl Iterator<Item = &ReadError> {
    [
        s.status.as_ref().err(),
        s.cmdline.as_ref().err(),
        s.exe.as_ref().err(),
        s.cwd.as_ref().err(),
        s.smaps_rollup.as_ref().err(),
        s.cgroup.as_ref().err(),
        s.oom_score.as_ref().err(),
        s.oom_score_adj.as_ref().err(),
        s.threads.as_ref().err(),
        s.fds.as_ref().err(),
        s.nofile.as_ref().err(),
        s.sockets.as_ref().err(),
        s.io.as_ref().err(),
        s.environ_count.as_ref().err(),
    ]
    .into_iter()
    .flatten()
}

pub fn fds(ctx: &Ctx, a: &FdsArgs) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    if a.count {
        let fast = crate::reader::kernel_counts_fds_in_stat() && proc.on_procfs();
        let n = proc.fd_count(fast).map_err(gone)?;
        let v = serde_json::json!({ "pid": proc.pid(), "count": n });
        return Ok(emit(ctx, &v, || format!("{n}\n")));
    }
    let wanted = if a.long {
        FdInfoWanted::All
    } else {
        FdInfoWanted::Paths
    };
    let entries = proc.fds(wanted).map_err(gone)?;
    proc.still_alive().map_err(gone)?;
    // The limit is part of the summary; unreadable is shown as unknown.
    let (limit, limit_err) = match proc.nofile_limit() {
        Ok(l) => (Some(l), None),
        Err(e @ ReadError::Exited { .. }) => return Err(gone(e)),
        Err(e) => (None, Some(e)),
    };
    let blocks = ctx.fs.block_devices();
    let mut report = analysis::fds::build(proc.pid(), &entries, limit, &blocks, &a.types);
    if let Some(e) = limit_err {
        report.unavailable.push(analysis::inspect::Unavailable {
            section: "limits",
            reason: e.reason(),
            detail: e.to_string(),
            hint: e.hint(),
        });
    }
    let n = name(&proc);
    Ok(emit(ctx, &report, || {
        views::fds(&report, &n, a.long, ctx.palette)
    }))
}

pub fn net(ctx: &Ctx, a: &NetArgs) -> Result<Output, CliError> {
    let mut states = Vec::new();
    for s in &a.state {
        let n = analysis::net::normalize_state(s);
        if !analysis::net::STATES.contains(&n.as_str()) {
            return Err(CliError::new(format!(
                "unknown socket state '{}'",
                crate::text::escape_for_terminal(s.as_bytes())
            ))
            .hint(format!("use one of: {}", analysis::net::STATES.join(", "))));
        }
        states.push(n);
    }
    let proc = open_target(ctx, &a.target)?;
    // Without access to the process's descriptors (another user's process),
    // its network namespace's tables may still be readable: show those,
    // saying they are the namespace's, not only the process's.
    let (entries, inodes, namespace_wide) = match proc.fds(FdInfoWanted::None) {
        Ok(entries) => {
            let inodes = crate::reader::socket_inodes(&entries);
            (entries, inodes, false)
        }
        Err(ReadError::PermissionDenied { path }) => match proc.namespace_socket_inodes() {
            Ok(all) => (Vec::new(), all, true),
            Err(_) => return Err(ReadError::PermissionDenied { path }.into()),
        },
        Err(e) => return Err(gone(e)),
    };
    let sockets = if inodes.is_empty() {
        Default::default()
    } else {
        proc.sockets(&inodes).map_err(gone)?
    };
    proc.still_alive().map_err(gone)?;
    let filter = analysis::net::NetFilter {
        protos: a
            .proto
            .iter()
            .map(|p| match p {
                NetProto::Tcp => "tcp",
                NetProto::Udp => "udp",
                NetProto::Unix => "unix",
                NetProto::Raw => "raw",
            })
            .map(str::to_string)
            .collect(),
        states,
        listening: a.listening,
    };
    let mut report = analysis::net::build(proc.pid(), &entries, &sockets, &filter);
    if namespace_wide {
        report.scope = "namespace";
    }
    let n = name(&proc);
    Ok(emit(ctx, &report, || views::net(&report, &n, ctx.palette)))
}

pub fn env(ctx: &Ctx, a: &EnvArgs) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    let (raw, cut) = proc.environ().map_err(gone)?;
    proc.still_alive().map_err(gone)?;
    let mut report = analysis::env::build(proc.pid(), &raw, a.pattern.as_deref(), ctx.reveal);
    report.truncated = cut;
    let n = name(&proc);
    Ok(emit(ctx, &report, || views::env(&report, &n, ctx.palette)))
}

pub fn maps(ctx: &Ctx, a: &MapsArgs) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    let maps = proc.smaps().map_err(gone)?;
    proc.still_alive().map_err(gone)?;
    let rollup = match proc.smaps_rollup() {
        Err(e @ ReadError::Exited { .. }) => return Err(gone(e)),
        r => r,
    };
    let top = a.top.map(|t| usize::try_from(t).unwrap_or(usize::MAX));
    let cap = ctx.fs.max_map_count_read();
    let mut report = analysis::maps::build(
        proc.pid(),
        &maps,
        Some(rollup.as_ref()),
        cap.as_ref().ok().copied(),
        a.sort,
        top,
    );
    if let Err(e) = &cap {
        report.unavailable.push(analysis::inspect::Unavailable {
            section: "max_map_count",
            reason: e.reason(),
            detail: e.to_string(),
            hint: e.hint(),
        });
    }
    let n = name(&proc);
    Ok(emit(ctx, &report, || views::maps(&report, &n, ctx.palette)))
}

pub fn threads(ctx: &Ctx, a: &ThreadsArgs) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    let list = proc.thread_details().map_err(gone)?;
    proc.still_alive().map_err(gone)?;
    let report = analysis::threads::build(proc.pid(), &list, crate::reader::clock_ticks(), a.sort);
    let n = name(&proc);
    Ok(emit(ctx, &report, || {
        views::threads(&report, &n, ctx.palette)
    }))
}

pub fn watch(ctx: &Ctx, a: &WatchArgs, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    let mut metrics = a.metrics.clone();
    metrics.sort();
    metrics.dedup();
    let interrupted = crate::watch::interrupt_flag();
    let proc = open_target(ctx, &a.target)?;
    let opts = crate::watch::WatchOpts {
        interval: a.interval,
        duration: a.duration,
        metrics,
        json: ctx.json,
        palette: ctx.palette,
        live: crate::watch::stdout_is_tty(),
        suggest_next: true,
    };
    let outcome = crate::watch::run(&ctx.fs, proc, &opts, &interrupted, None, out)?;
    Ok(Output {
        stdout: String::new(),
        code: outcome.code,
    })
}
