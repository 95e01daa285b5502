//! `top`: the whole-table view. `--once` (or when stdout is not a
//! terminal, or with `--json`) prints one sorted table ([`once`]); on a
//! terminal, the interactive view ([`tui`]).

pub mod config;
pub mod once;
pub mod replay;
pub mod tui;

use std::io::IsTerminal;

use crate::analysis::top::{self as model, TopRow};
use crate::cmd::context::Ctx;
use crate::cmd::context::Output;
use crate::error::CliError;

/// What `top` is asked (durations within their bounds: the CLI checks them).
#[derive(Debug, Clone)]
pub struct Settings {
    /// One table and exit (also when stdout is not a terminal).
    pub once: bool,
    pub sort: model::SortKey,
    pub reverse: bool,
    /// Only the first N rows (`--once`).
    pub limit: Option<usize>,
    /// Only processes whose name, command line or user contains this.
    pub filter: Option<String>,
    pub tree: bool,
    /// `--once`: scan twice this far apart for current rates.
    pub sample: Option<std::time::Duration>,
    /// Time between refreshes of the interactive view.
    pub interval: std::time::Duration,
    /// `--replay FILE [--at TIME]`: a recording instead of /proc.
    pub replay: Option<replay::Replay>,
    /// `--columns LIST` as given (resolved with the config file by
    /// [`config::columns`]).
    pub columns: Option<String>,
    /// `--no-config`: the config file is neither read nor written.
    pub no_config: bool,
    /// `--iterations N`: N tables, an interval apart.
    pub iterations: Option<u32>,
    pub format: TopFormat,
    /// `--no-header` (CSV and TSV).
    pub no_header: bool,
}

/// `top --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopFormat {
    Table,
    Csv,
    Tsv,
}

pub fn run(ctx: &Ctx, a: &Settings, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    let batch = a.once || a.iterations.is_some() || a.format != TopFormat::Table;
    let interactive = !batch && !ctx.json && std::io::stdout().is_terminal();
    if let Some(r) = &a.replay {
        if interactive {
            return tui::run_replay(ctx, a, r);
        }
        return replay::once(ctx, a, r);
    }
    if interactive {
        return tui::run(ctx, a);
    }
    once::run(ctx, a, out)
}

/// What the scanner reads for `columns` besides every scan's fields:
/// `io` for the I/O rates, the cgroup for WORKLOAD, `status` at every
/// scan for SHR (repeated scans skip it while the main thread sleeps).
pub fn reads(columns: &[model::SortKey]) -> crate::reader::Reads {
    use model::SortKey as K;
    crate::reader::Reads {
        io: columns.contains(&K::IoRead) || columns.contains(&K::IoWrite),
        cgroups: columns.contains(&K::Workload),
        status_every_scan: columns.contains(&K::Shr),
    }
}

/// With the WORKLOAD column, the kubelet's names of the scan's pods
/// (`--pods-dir`; kept in `cache` between scans).
pub fn name_pods(
    ctx: &Ctx,
    scan: &mut crate::reader::Scan,
    cache: &mut crate::reader::pods::PodNameCache,
    columns: &[model::SortKey],
) {
    if columns.contains(&model::SortKey::Workload) {
        scan.pods = cache.names_for(scan, &ctx.pods_dir);
    }
}

/// Rows in display order (tree order when asked), cut to `limit`, with
/// each row's depth in the tree.
pub fn arrange<'r, 'a>(
    rows: &'r [TopRow<'a>],
    tree: bool,
    limit: Option<usize>,
) -> (Vec<&'r TopRow<'a>>, Vec<usize>) {
    let limit = limit.unwrap_or(usize::MAX);
    if tree {
        model::tree(rows)
            .into_iter()
            .take(limit)
            .map(|(i, d)| (&rows[i], d))
            .unzip()
    } else {
        rows.iter().take(limit).map(|r| (r, 0)).unzip()
    }
}
