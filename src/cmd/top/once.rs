//! `top --once` (and `top` when stdout is not a terminal, or with
//! `--json`): one scan, or two `--sample` apart, printed as one sorted
//! table or a JSON array of rows.

use std::io::IsTerminal;

use super::Settings;
use crate::analysis::top::{self as model, JsonRow};
use crate::cmd::context::Ctx;
use crate::cmd::context::Output;
use crate::error::{CliError, ExitCode};
use crate::reader::{UserNames, clock_ticks};
use crate::render;

use super::arrange;

/// One scan (two with `--sample`) printed as a table or JSON. Ctrl-C
/// during the sample stops the wait: the first scan is printed with
/// lifetime averages, saying so, and the exit code is 130.
pub fn run(ctx: &Ctx, a: &Settings, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    let (prev, scan, cut_short) = crate::cmd::context::scan_once_or_twice(ctx, a.sample)?;
    crate::cmd::context::check_scan(ctx, &scan)?;
    // Processes hidden or unreadable because of hidepid: said first, never
    // a silent short table (other unreadable processes are counted in the
    // footer).
    let missing = match crate::cmd::context::hidepid_cause(ctx) {
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
    // proctor is not one of the processes it ranks (as in doctor): in a
    // one-off scan its own CPU% would be its scanning over a few ms of life.
    let me = ctx.fs.own_pid_in_root();
    rows.retain(|r| Some(r.scan.pid) != me);
    if let Some(f) = &a.filter {
        rows.retain(|r| model::matches(r, f));
    }
    model::sort(&mut rows, a.sort, a.reverse);
    let (ordered, depth) = arrange(&rows, a.tree, a.limit);
    let note = cut_short.map(|(after, of)| {
        format!(
            "interrupted after {:.1}s of the {} sample: one scan only, so CPU% and CSW/s are averages since each process started",
            after.as_secs_f64(),
            humantime::format_duration(of)
        )
    });
    // Interrupted after the second scan, the table is whole: exit 0.
    let code = if cut_short.is_some() {
        ExitCode::Interrupted
    } else {
        ExitCode::Ok
    };
    if ctx.json {
        let doc: Vec<JsonRow> = ordered.iter().map(|r| JsonRow::new(r, basis)).collect();
        // The JSON document is an array of rows: what is missing goes to
        // stderr, as a diagnostic.
        if !missing.is_empty() {
            eprintln!(
                "note: incomplete: {}",
                crate::render::incomplete::what(&missing)
            );
        }
        let json = render::to_json(&doc) + "\n";
        let Some(n) = note else {
            return Ok(Output { stdout: json, code });
        };
        // The JSON is an array of rows (each with rates_over_seconds null:
        // lifetime averages); the note goes to stderr, after the rows.
        let _ = out.write_all(json.as_bytes()).and_then(|()| out.flush());
        return Err(CliError::new(n)
            .hint("let the sample finish for current rates")
            .code(ExitCode::Interrupted));
    }
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
        format!(
            "incomplete: {}\n",
            crate::render::incomplete::what(&missing)
        )
    };
    if let Some(n) = &note {
        s.push_str(&ctx.palette.warning(&capitalise(n)));
        s.push('\n');
    }
    s.push_str(&render::top::table(
        &ordered,
        a.tree.then_some(&depth[..]),
        width,
    ));
    s.push_str(&render::top::footer(&scan, ordered.len(), basis));
    s.push('\n');
    Ok(Output { stdout: s, code })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
