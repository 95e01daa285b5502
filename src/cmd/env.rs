//! `proctor env`: the environment the process started with, secrets masked.

use super::context::{Ctx, emit, gone, name, open_target};
use crate::analysis;
use crate::cmd::context::Output;
use crate::cmd::target::TargetSpec;
use crate::error::CliError;
use crate::render::views;

/// What `env` is asked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: TargetSpec,
    /// Only variables whose name contains this (case-insensitive).
    pub pattern: Option<String>,
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    let (raw, cut) = proc.environ().map_err(gone)?;
    proc.still_alive().map_err(gone)?;
    let mut report = analysis::env::build(proc.pid(), &raw, a.pattern.as_deref(), ctx.reveal);
    report.truncated = cut;
    let n = name(&proc);
    Ok(emit(ctx, &report, || views::env(&report, &n, ctx.palette)))
}
