//! `proctor maps`: memory mappings with RSS, PSS and swap, totals by kind.

use super::context::{Ctx, emit, gone, name, open_target};
use crate::analysis;
use crate::cli::MapsArgs;
use crate::cmd::context::Output;
use crate::error::{CliError, ReadError};
use crate::render::views;

pub fn run(ctx: &Ctx, a: &MapsArgs) -> Result<Output, CliError> {
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
