//! Command-line interface: argument definitions, dispatch, and the one
//! place that writes to stdout/stderr and picks the exit code.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::analysis::{findings::Thresholds, inspect};
use crate::error::{CliError, ExitCode, ReadError};
use crate::reader::ProcFs;
use crate::render::{self, style};
use crate::target::{self, Pick};

#[derive(Debug, Parser)]
#[command(
    name = "proctor",
    version,
    about = "The process doctor for Linux: reads /proc, interprets it, says what is wrong",
    propagate_version = true
)]
pub struct Cli {
    /// Where procfs is mounted (a host's /proc mounted elsewhere, or a fixture tree)
    #[arg(
        long,
        global = true,
        env = "PROCTOR_PROC_ROOT",
        default_value = "/proc",
        value_name = "DIR"
    )]
    pub proc_root: PathBuf,
    /// Where sysfs is mounted (for cgroup limits)
    #[arg(
        long,
        global = true,
        env = "PROCTOR_SYS_ROOT",
        default_value = "/sys",
        value_name = "DIR"
    )]
    pub sys_root: PathBuf,
    /// Print one JSON document on stdout instead of the human report
    #[arg(long, global = true)]
    pub json: bool,
    /// Colour: only on a terminal by default; NO_COLOR and TERM=dumb turn it off
    #[arg(long, global = true, value_enum, default_value_t = style::ColorChoice::Auto, value_name = "WHEN")]
    pub color: style::ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One report of everything about a process, interpreted, with findings
    Inspect(InspectArgs),
}

/// TARGET and how to pick among several matches; shared by every
/// per-process command.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// A PID, `self`, or a name (exact process name, else part of the command line)
    #[arg(allow_hyphen_values = true, value_name = "TARGET")]
    pub target: String,
    /// When several processes match, pick the most recently started
    #[arg(long, conflicts_with = "oldest")]
    pub newest: bool,
    /// When several processes match, pick the oldest
    #[arg(long)]
    pub oldest: bool,
}

impl TargetArgs {
    fn pick(&self) -> Pick {
        if self.newest {
            Pick::Newest
        } else if self.oldest {
            Pick::Oldest
        } else {
            Pick::Only
        }
    }
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Thread count from which a thread explosion is reported
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub thread_threshold: u64,
    /// CLOSE_WAIT sockets from which a socket leak is reported
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub close_wait_threshold: u64,
}

/// What a command produced: text for stdout and the exit code.
pub struct Output {
    pub stdout: String,
    pub code: ExitCode,
}

struct Ctx {
    fs: ProcFs,
    json: bool,
    palette: style::Palette,
}

/// A wrong --proc-root is a usage error, said once, up front.
fn check_roots(ctx: &Ctx) -> Result<(), CliError> {
    let root = ctx.fs.proc_root();
    if !root.is_dir() {
        return Err(CliError::new(format!("proc root {} is not a directory", root.display()))
            .hint("point --proc-root (or PROCTOR_PROC_ROOT) at a mounted procfs, such as /proc or /host/proc"));
    }
    Ok(())
}

/// Open the target, turning "gone" into the user-facing messages.
fn open_target(ctx: &Ctx, t: &TargetArgs) -> Result<crate::reader::Process, CliError> {
    let pid = target::resolve(&ctx.fs, &t.target, t.pick())?;
    ctx.fs.open(pid).map_err(|e| match e {
        ReadError::Exited { .. } => CliError::new(format!("no process with PID {pid}"))
            .hint(format!("it may have exited; check with `ps -p {pid}`")),
        other => other.into(),
    })
}

fn inspect_cmd(ctx: &Ctx, a: &InspectArgs) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    let snap = ctx.fs.snapshot(&proc).map_err(|e| match e {
        ReadError::Exited { pid } => {
            CliError::new(format!("process {pid} exited while being read"))
                .hint("it is gone; run the command again on the new process, if any")
        }
        other => other.into(),
    })?;
    let th = Thresholds {
        threads: a.thread_threshold,
        close_wait: a.close_wait_threshold,
        ..Thresholds::default()
    };
    let report = inspect::build(&snap, &th);
    let stdout = if ctx.json {
        render::to_json(&report) + "\n"
    } else {
        render::inspect::render(&report, ctx.palette)
    };
    // Exit 1 when something at warning or above was found, so scripts can
    // act on `proctor inspect PID`; info findings do not count.
    let problem = report
        .findings
        .iter()
        .any(|f| f.severity >= crate::analysis::findings::Severity::Warning);
    let code = if problem {
        ExitCode::Problem
    } else {
        ExitCode::Ok
    };
    Ok(Output { stdout, code })
}

/// Run with the given arguments; returns the exit code. Used by `main` and
/// by tests.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let (text, code) = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => (e.render().to_string(), 0),
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => (e.render().to_string(), 2),
                _ => (e.render().to_string(), 2),
            };
            let sink: &mut dyn Write = if code == 0 { out } else { err };
            let _ = sink.write_all(text.as_bytes());
            return code;
        }
    };
    let is_tty = std::io::stdout().is_terminal();
    let on = !cli.json
        && style::use_color(
            cli.color,
            is_tty,
            std::env::var("NO_COLOR").ok().as_deref(),
            std::env::var("TERM").ok().as_deref(),
        );
    let ctx = Ctx {
        fs: ProcFs::new(cli.proc_root, cli.sys_root),
        json: cli.json,
        palette: style::Palette { on },
    };
    let result = check_roots(&ctx).and_then(|()| match &cli.command {
        Command::Inspect(a) => inspect_cmd(&ctx, a),
    });
    match result {
        Ok(o) => match out.write_all(o.stdout.as_bytes()).and_then(|_| out.flush()) {
            Ok(()) => o.code.code(),
            // A closed pipe (`proctor inspect 1 | head -1`) is a normal end.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => o.code.code(),
            Err(e) => {
                let _ = writeln!(err, "error: cannot write output: {e}");
                ExitCode::Error.code()
            }
        },
        Err(e) => {
            let _ = writeln!(err, "error: {}", e.message);
            for l in &e.detail {
                let _ = writeln!(err, "{l}");
            }
            if let Some(h) = &e.hint {
                let _ = writeln!(err, "hint: {h}");
            }
            e.code.code()
        }
    }
}

/// Entry point for the binary.
pub fn main() -> i32 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    run(std::env::args_os(), &mut out, &mut err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
