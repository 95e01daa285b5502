//! `top`: the whole-table view. `--once` (or when stdout is not a
//! terminal) prints one sorted table; on a terminal, the interactive view
//! in [`tui`].

pub mod tui;

use std::io::IsTerminal;

use crate::analysis::top::{self as model, JsonRow, TopRow};
use crate::cli::{Output, TopArgs};
use crate::commands::Ctx;
use crate::error::{CliError, ExitCode};
use crate::reader::{Scanner, UserNames, clock_ticks};
use crate::render;

/// Longest refresh interval of the live view (beyond, its deadlines could
/// overflow, and the view would look frozen anyway).
const MAX_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

pub fn run(ctx: &Ctx, a: &TopArgs, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    let interactive = !a.once && !ctx.json && std::io::stdout().is_terminal();
    if interactive {
        crate::commands::check_timing(a.interval, None)?;
        if a.interval > MAX_INTERVAL {
            return Err(CliError::new(format!(
                "an interval of {} is too long for a live view",
                humantime::format_duration(a.interval)
            ))
            .hint("use at most --interval 1h (the default is 1s), or --once for a single table"));
        }
        return tui::run(ctx, a, out);
    }
    once(ctx, a)
}

/// One scan (two with `--sample`) printed as a table or JSON.
fn once(ctx: &Ctx, a: &TopArgs) -> Result<Output, CliError> {
    let mut scanner = Scanner::new(&ctx.fs, a.sample.is_some(), Scanner::default_workers())?;
    let (prev, scan) = match a.sample {
        Some(d) if d.is_zero() => {
            return Err(CliError::new("--sample must be greater than zero")
                .hint("use e.g. --sample 1s: two scans that far apart give current rates"));
        }
        Some(d) => {
            let (first, second) = scanner.scan_twice(&ctx.fs, d)?;
            (Some(first), second)
        }
        None => (None, scanner.scan(&ctx.fs)?),
    };
    crate::commands::check_scan(ctx, &scan)?;
    // Processes hidden or unreadable because of hidepid: said first, never
    // a silent short table (other unreadable processes are counted in the
    // footer).
    let missing = match crate::commands::hidepid_cause(ctx) {
        Some(c) => crate::analysis::incomplete::Incomplete::of_listing(scan.unreadable, Some(c)),
        None => crate::analysis::incomplete::Incomplete::default(),
    };
    let mut users = UserNames::default();
    let (mut rows, basis) = model::rows(&scan, prev.as_ref(), clock_ticks(), |u| {
        users.get(u).map(<[u8]>::to_vec)
    });
    if ctx.reveal {
        model::reveal(&mut rows);
    }
    if let Some(f) = &a.filter {
        rows.retain(|r| model::matches(r, f));
    }
    model::sort(&mut rows, a.sort, a.reverse);
    let (ordered, depth) = arrange(&rows, a.tree, a.limit);
    let stdout = if ctx.json {
        let doc: Vec<JsonRow> = ordered.iter().map(|r| JsonRow::new(r, basis)).collect();
        // The JSON document is an array of rows: what is missing goes to
        // stderr, as a diagnostic.
        if !missing.is_empty() {
            eprintln!("note: incomplete: {}", missing.what());
        }
        render::to_json(&doc) + "\n"
    } else {
        let width = if std::io::stdout().is_terminal() {
            ratatui::crossterm::terminal::size()
                .ok()
                .map(|(w, _)| usize::from(w))
        } else {
            None
        };
        let mut s = if missing.is_empty() {
            String::new()
        } else {
            format!("incomplete: {}\n", missing.what())
        };
        s += &render::top::table(&ordered, a.tree.then_some(&depth[..]), width);
        s.push_str(&render::top::footer(&scan, ordered.len(), basis));
        s.push('\n');
        s
    };
    Ok(Output {
        stdout,
        code: ExitCode::Ok,
    })
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
