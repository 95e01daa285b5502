//! `top`: the whole-table view. `--once` (or when stdout is not a
//! terminal, or with `--json`) prints one sorted table ([`once`]); on a
//! terminal, the interactive view ([`tui`]).

pub mod once;
pub mod tui;

use std::io::IsTerminal;

use crate::analysis::top::{self as model, TopRow};
use crate::cli::TopArgs;
use crate::cmd::context::Ctx;
use crate::cmd::context::Output;
use crate::error::CliError;

pub fn run(ctx: &Ctx, a: &TopArgs, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    // The interval is within its bounds (cli::check_durations).
    let interactive = !a.once && !ctx.json && std::io::stdout().is_terminal();
    if interactive {
        return tui::run(ctx, a, out);
    }
    once::run(ctx, a, out)
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
