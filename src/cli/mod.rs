//! Command-line interface: parses the arguments (`args`), checks them,
//! resolves them into the command's plain settings (`settings`), runs the
//! command (`crate::cmd`), and is the one place that writes to
//! stdout/stderr and picks the exit code. Nothing outside `cli` sees clap.

pub mod args;
pub mod generate;
pub mod settings;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::Parser;

use args::{Cli, check_durations};
use settings::Settings;

use crate::cmd;
use crate::error::ExitCode;
use crate::reader::ProcFs;
use crate::render::style;

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
                // A value that did not parse: its one line says why; the
                // hint below replaces clap's "For more information" lines.
                ErrorKind::ValueValidation => {
                    let text = e.render().to_string();
                    let first = text.lines().next().unwrap_or_default();
                    (format!("{first}\n"), 2)
                }
                _ => (e.render().to_string(), 2),
            };
            let sink: &mut dyn Write = if code == 0 { out } else { err };
            let _ = sink.write_all(text.as_bytes());
            if code != 0 {
                let _ = writeln!(
                    sink,
                    "hint: `proctor --help` lists the commands; `proctor COMMAND --help` their options"
                );
            }
            return code;
        }
    };
    let is_tty = std::io::stdout().is_terminal();
    let on = !cli.json
        && style::use_color(
            cli.color.into(),
            is_tty,
            std::env::var("NO_COLOR").ok().as_deref(),
            std::env::var("TERM").ok().as_deref(),
        );
    let ctx = cmd::context::Ctx {
        fs: ProcFs::new(cli.proc_root, cli.sys_root),
        json: cli.json,
        palette: style::Palette { on },
        reveal: cli.reveal,
        pods_dir: cli.pods_dir,
    };
    let result = check_durations(&cli.command)
        .and_then(|()| {
            if cli.command.reads_proc() {
                cmd::context::check_roots(&ctx)
            } else {
                Ok(())
            }
        })
        .and_then(|()| Settings::resolve(&cli.command))
        .and_then(|settings| settings.run(&ctx, out));
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
            use crate::text::neutralize_controls as safe;
            let _ = writeln!(err, "error: {}", safe(&e.message));
            for l in &e.detail {
                let _ = writeln!(err, "{}", safe(l));
            }
            if let Some(h) = &e.hint {
                let _ = writeln!(err, "hint: {}", safe(h));
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
