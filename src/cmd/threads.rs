//! `proctor threads`: threads with state, CPU time and context switches.

use super::context::{Ctx, emit, gone, name, open_target};
use crate::analysis;
use crate::analysis::threads::ThreadSort;
use crate::cmd::context::Output;
use crate::cmd::target::TargetSpec;
use crate::error::CliError;
use crate::render::views;

/// What `threads` is asked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: TargetSpec,
    pub sort: ThreadSort,
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    let list = proc.thread_details().map_err(gone)?;
    proc.still_alive().map_err(gone)?;
    let report = analysis::threads::build(proc.pid(), &list, crate::reader::clock_ticks(), a.sort);
    let n = name(&proc);
    Ok(emit(ctx, &report, || {
        views::threads(&report, &n, ctx.palette)
    }))
}
