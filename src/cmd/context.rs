//! What the commands share: the context every command runs in (roots,
//! output form, palette), the checks of the proc root and of a scan, the
//! target resolution with its user-facing "gone" errors, and the one way a
//! command's report becomes its output.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::analysis;
use crate::cmd::target::{self, TargetSpec};
use crate::error::{CliError, ExitCode, ReadError};
use crate::reader::{ProcFs, Process, Scan, Scanner};
use crate::render::{self, style};
use crate::text::Text;

/// What a command produced: text for stdout and the exit code.
pub struct Output {
    pub stdout: String,
    pub code: ExitCode,
}

pub struct Ctx {
    pub fs: ProcFs,
    pub json: bool,
    pub palette: style::Palette,
    /// `--reveal`: show secrets in command lines and environments.
    pub reveal: bool,
    /// `--pods-dir`: the kubelet's pod log directories (pod and container
    /// names of a Kubernetes workload).
    pub pods_dir: std::path::PathBuf,
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
pub fn open_target(ctx: &Ctx, t: &TargetSpec) -> Result<Process, CliError> {
    let pid = target::resolve(&ctx.fs, &t.text, t.pick).map_err(|e| {
        // Under hidepid, "no process matches" may mean "not visible to you".
        match (e.message.starts_with("no process"), hidepid_cause(ctx)) {
            (true, Some(c)) => {
                let hint = format!(
                    "other users' processes may be hidden: {}",
                    crate::render::incomplete::cause(&c)
                );
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
                    crate::render::incomplete::cause(&c)
                ),
                None => format!("it may have exited; check with `ps -p {pid}`"),
            })
        }
        other => other.into(),
    })
}

/// A read of the target failed: "exited while being read" for a vanished
/// process, the reader's message and hint otherwise.
pub fn gone(e: ReadError) -> CliError {
    match e {
        ReadError::Exited { pid } => {
            CliError::new(format!("process {pid} exited while being read"))
                .hint("it is gone; run the command again on the new process, if any")
        }
        other => other.into(),
    }
}

pub fn name(proc: &Process) -> Text {
    Text(proc.initial_stat().comm.clone())
}

pub fn emit<T: serde::Serialize>(ctx: &Ctx, report: &T, human: impl FnOnce() -> String) -> Output {
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

/// Flag set by SIGINT/SIGTERM; the loop checks it between sleeps. A
/// signal that proctor was started with set to ignored stays ignored: a
/// job started with `&` by a non-interactive shell ignores SIGINT, and
/// Ctrl-C in that terminal is not meant for it.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let ignored = crate::reader::ignored_signals();
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if is_ignored(ignored, sig) {
            continue;
        }
        let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
    }
    flag
}

/// Whether `sig` is in the ignored-signals mask (bit `sig - 1`); an
/// unknown mask ignores nothing (the handler is installed, as before).
fn is_ignored(mask: Option<u64>, sig: i32) -> bool {
    let bit = u32::try_from(sig.saturating_sub(1))
        .ok()
        .filter(|&b| b < 64);
    matches!((mask, bit), (Some(m), Some(b)) if m & (1u64 << b) != 0)
}

/// How far a `--sample` got when Ctrl-C cut it short: (after, of).
pub type CutShort = (std::time::Duration, std::time::Duration);

/// One scan, or two `sample` apart (doctor, `top --once`). Ctrl-C during
/// the wait ends it: the first scan alone, with how far the sample got.
/// Returns (the first scan when there were two, the latest, cut short).
pub fn scan_once_or_twice(
    ctx: &Ctx,
    sample: Option<std::time::Duration>,
) -> Result<(Option<Scan>, Scan, Option<CutShort>), CliError> {
    let interrupted = sample.map(|_| interrupt_flag());
    let mut scanner = Scanner::new(&ctx.fs, sample.is_some(), Scanner::default_workers())?;
    let mut cut_short = None;
    let (before, scan) = match (sample, &interrupted) {
        (Some(d), Some(stop)) => match scanner.scan_twice(&ctx.fs, d, stop)? {
            (first, Some(second)) => (Some(first), second),
            (first, None) => {
                cut_short = Some((first.taken.elapsed(), d));
                (None, first)
            }
        },
        _ => (None, scanner.scan(&ctx.fs)?),
    };
    Ok((before, scan, cut_short))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_mask() {
        // SIGINT is 2: bit 1.
        assert!(is_ignored(Some(0b10), 2));
        assert!(!is_ignored(Some(0b01), 2));
        assert!(!is_ignored(None, 2));
        assert!(!is_ignored(Some(u64::MAX), 0));
        assert!(!is_ignored(Some(u64::MAX), 65));
        assert!(is_ignored(Some(1 << 14), 15));
    }
}
