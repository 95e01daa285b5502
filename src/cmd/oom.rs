//! `proctor oom`: the OOM kills in the kernel log, newest first, with the
//! host's count since boot (/proc/vmstat `oom_kill`). Exit 1 when a kill
//! is in the window (`--since`), 0 when none, 3 when the kernel log could
//! not be read (kills may be missing; the count since boot is still said).

use std::time::Duration;

use crate::analysis::oom::{self, Clocks, LogInput};
use crate::cmd::context::{Ctx, Output};
use crate::error::CliError;
use crate::reader::ProcFs;
use crate::render;

/// What `oom` is asked.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Only kills this recent.
    pub since: Option<Duration>,
}

/// Read and parse the kernel log's OOM kills (shared with `doctor`).
pub fn read_log(fs: &ProcFs) -> LogInput {
    match fs.kernel_log() {
        Ok(l) => LogInput {
            log: Ok(crate::parse::kmsg::oom_kills(
                l.records.iter().map(Vec::as_slice),
            )),
            overwritten: l.overwritten,
            capped: l.capped,
        },
        Err(e) => LogInput {
            log: Err(e),
            overwritten: 0,
            capped: false,
        },
    }
}

/// Seconds since boot and the wall clock, now.
pub fn clocks(fs: &ProcFs) -> Result<Clocks, crate::error::ReadError> {
    let uptime = fs.uptime()?;
    let now_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    Ok(Clocks {
        uptime: Some(uptime),
        now_unix,
    })
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    crate::cmd::context::check_roots(ctx)?;
    let input = read_log(&ctx.fs);
    let report = oom::report(
        input,
        ctx.fs.vmstat_oom_kill(),
        clocks(&ctx.fs),
        a.since.map(|d| d.as_secs_f64()),
    );
    let stdout = if ctx.json {
        render::oom::json(&report)
    } else {
        render::oom::human(&report, ctx.palette)
    };
    Ok(Output {
        stdout,
        code: oom::exit_code(&report),
    })
}
