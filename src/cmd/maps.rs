//! `proctor maps`: memory mappings with RSS, PSS and swap, totals by kind.

use super::context::{Ctx, emit, gone, name, open_target};
use crate::analysis;
use crate::analysis::maps::MapSort;
use crate::cmd::context::Output;
use crate::cmd::target::TargetSpec;
use crate::error::{CliError, ReadError};
use crate::render::views;

/// What `maps` is asked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: TargetSpec,
    pub sort: MapSort,
    /// Only the first N mappings.
    pub top: Option<usize>,
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    let maps = proc.smaps().map_err(gone)?;
    proc.still_alive().map_err(gone)?;
    let rollup = match proc.smaps_rollup() {
        Err(e @ ReadError::Exited { .. }) => return Err(gone(e)),
        r => r,
    };
    let cap = ctx.fs.max_map_count_read();
    let mut report = analysis::maps::build(
        proc.pid(),
        &maps,
        Some(rollup.as_ref()),
        cap.as_ref().ok().copied(),
        a.sort,
        a.top,
    );
    if let Err(e) = &cap {
        report.unavailable.push(analysis::inspect::Unavailable {
            section: "max_map_count",
            reason: e.reason(),
            detail: analysis::inspect::Detail::Read(e.clone()),
            hint: e.hint(),
        });
    }
    let n = name(&proc);
    Ok(emit(ctx, &report, || views::maps(&report, &n, ctx.palette)))
}
