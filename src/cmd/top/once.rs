//! `top --once` (and `top` when stdout is not a terminal, or with
//! `--json`): one scan, or two `--sample` apart, printed as one sorted
//! table, a JSON array of rows, or CSV/TSV. `--iterations N` is batch
//! mode (as `top -b -n N`): N outputs an `--interval` apart, the rates of
//! each between its scan and the one before (the first: averages since
//! each process started); JSON then is one array per line.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{Settings, TopFormat};
use crate::analysis::incomplete::Incomplete;
use crate::analysis::top::{self as model, JsonRow, SortKey};
use crate::cmd::context::Ctx;
use crate::cmd::context::Output;
use crate::error::{CliError, ExitCode};
use crate::reader::{Scan, Scanner, UserNames, clock_ticks};
use crate::render;
use crate::render::top::Delimited;

use super::arrange;

/// What every output of a run shares.
struct Shape<'s> {
    a: &'s Settings,
    columns: Vec<SortKey>,
    /// Processes hidden by hidepid, said once.
    missing: Incomplete,
    /// The terminal's width (the command column is cut to it).
    width: Option<usize>,
    mem_total: Option<u64>,
}

/// One scan (two with `--sample`) printed as a table or JSON. Ctrl-C
/// during the sample stops the wait: the first scan is printed with
/// lifetime averages, saying so, and the exit code is 130.
pub fn run(ctx: &Ctx, a: &Settings, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    let (columns, _) = super::config::columns(a)?;
    let shape = Shape {
        a,
        missing: match crate::cmd::context::hidepid_cause(ctx) {
            Some(c) => Incomplete::of_listing(0, Some(c)),
            None => Incomplete::default(),
        },
        width: if std::io::stdout().is_terminal() {
            ratatui::crossterm::terminal::size()
                .ok()
                .map(|(w, _)| usize::from(w))
        } else {
            None
        },
        mem_total: ctx.fs.host_facts().mem.total,
        columns,
    };
    if let Some(n) = a.iterations {
        return batch(ctx, &shape, n, out);
    }
    let (prev, mut scan, cut_short) =
        scan_once_or_twice(ctx, a.sample, super::reads(&shape.columns))?;
    crate::cmd::context::check_scan(ctx, &scan)?;
    let mut pods = crate::reader::pods::PodNameCache::default();
    super::name_pods(ctx, &mut scan, &mut pods, &shape.columns);
    // Processes hidden or unreadable because of hidepid: said first, never
    // a silent short table (other unreadable processes are counted in the
    // footer).
    let missing = match crate::cmd::context::hidepid_cause(ctx) {
        Some(c) => Incomplete::of_listing(scan.unreadable, Some(c)),
        None => Incomplete::default(),
    };
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
    if ctx.json || a.format != TopFormat::Table {
        // The document is the rows: what is missing goes to stderr, as a
        // diagnostic.
        if !missing.is_empty() {
            eprintln!("note: incomplete: {}", render::incomplete::what(&missing));
        }
        let doc = shape.render(ctx, &scan, prev.as_ref(), None, true);
        let Some(n) = note else {
            return Ok(Output { stdout: doc, code });
        };
        // Each row has rates_over_seconds null (lifetime averages); the
        // note goes to stderr, after the rows.
        let _ = out.write_all(doc.as_bytes()).and_then(|()| out.flush());
        return Err(CliError::new(n)
            .hint("let the sample finish for current rates")
            .code(ExitCode::Interrupted));
    }
    let mut s = if missing.is_empty() {
        String::new()
    } else {
        format!("incomplete: {}\n", render::incomplete::what(&missing))
    };
    if let Some(n) = &note {
        s.push_str(&ctx.palette.warning(&capitalise(n)));
        s.push('\n');
    }
    s.push_str(&shape.render(ctx, &scan, prev.as_ref(), None, true));
    Ok(Output { stdout: s, code })
}

/// One scan, or two `sample` apart, reading what the columns need.
fn scan_once_or_twice(
    ctx: &Ctx,
    sample: Option<Duration>,
    reads: crate::reader::Reads,
) -> Result<(Option<Scan>, Scan, Option<crate::cmd::context::CutShort>), CliError> {
    let Some(d) = sample else {
        let mut scanner = Scanner::new(&ctx.fs, false, Scanner::default_workers())?;
        scanner.set_reads(reads);
        return Ok((None, scanner.scan(&ctx.fs)?, None));
    };
    let stop = crate::cmd::context::interrupt_flag();
    let mut scanner = Scanner::new(&ctx.fs, true, Scanner::default_workers())?;
    scanner.set_reads(reads);
    Ok(match scanner.scan_twice(&ctx.fs, d, &stop)? {
        (first, Some(second)) => (Some(first), second, None),
        (first, None) => {
            let cut = (first.taken.elapsed(), d);
            (None, first, Some(cut))
        }
    })
}

/// `--iterations N`: N outputs an interval apart, written as they come.
/// A closed pipe ends it normally; Ctrl-C between two ends it (exit 130)
/// after the last whole output.
fn batch(
    ctx: &Ctx,
    shape: &Shape<'_>,
    n: u32,
    out: &mut dyn std::io::Write,
) -> Result<Output, CliError> {
    let stop = crate::cmd::context::interrupt_flag();
    let mut scanner = Scanner::new(&ctx.fs, true, Scanner::default_workers())?;
    scanner.set_reads(super::reads(&shape.columns));
    if !shape.missing.is_empty() && (ctx.json || shape.a.format != TopFormat::Table) {
        eprintln!(
            "note: incomplete: {}",
            render::incomplete::what(&shape.missing)
        );
    }
    let mut prev: Option<Scan> = None;
    let mut pods = crate::reader::pods::PodNameCache::default();
    let mut due = Instant::now();
    for i in 1..=n {
        if i > 1 {
            due = due.checked_add(shape.a.interval).unwrap_or(due);
            if !wait_until(due, &stop) {
                return Ok(Output {
                    stdout: String::new(),
                    code: ExitCode::Interrupted,
                });
            }
        }
        let mut scan = scanner.scan(&ctx.fs)?;
        crate::cmd::context::check_scan(ctx, &scan)?;
        super::name_pods(ctx, &mut scan, &mut pods, &shape.columns);
        let mut text = String::new();
        if i > 1 && !ctx.json && shape.a.format == TopFormat::Table {
            text.push('\n');
        }
        if !shape.missing.is_empty() && !ctx.json && shape.a.format == TopFormat::Table {
            text.push_str(&format!(
                "incomplete: {}\n",
                render::incomplete::what(&shape.missing)
            ));
        }
        text.push_str(&shape.render(ctx, &scan, prev.as_ref(), Some(i), i == 1));
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => {}
            // `| head`: a normal end.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(e) => {
                return Err(CliError::new(format!("cannot write output: {e}"))
                    .hint("write it to a file with enough room: > top.csv"));
            }
        }
        prev = Some(scan);
    }
    Ok(Output {
        stdout: String::new(),
        code: ExitCode::Ok,
    })
}

/// Sleep until `due` in short slices: false when Ctrl-C came first.
fn wait_until(due: Instant, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let left = due.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

impl Shape<'_> {
    /// One output of `scan` (rates against `prev`): the table with its
    /// footer, a JSON document (one line in batch mode), or CSV/TSV rows
    /// (the header when `first` and not `--no-header`). `iteration` is
    /// the batch's number, None outside batch mode.
    fn render(
        &self,
        ctx: &Ctx,
        scan: &Scan,
        prev: Option<&Scan>,
        iteration: Option<u32>,
        first: bool,
    ) -> String {
        let a = self.a;
        let mut users = UserNames::default();
        let (mut rows, basis) = model::rows(scan, prev, clock_ticks(), |u| {
            users.get(u).map(<[u8]>::to_vec)
        });
        if ctx.reveal {
            model::reveal(&mut rows);
        }
        model::set_memory_total(&mut rows, self.mem_total);
        // proctor is not one of the processes it ranks (as in doctor): in a
        // one-off scan its own CPU% would be its scanning over a few ms of life.
        let me = ctx.fs.own_pid_in_root();
        rows.retain(|r| Some(r.scan.pid) != me);
        if let Some(f) = &a.filter {
            rows.retain(|r| model::matches(r, f));
        }
        model::sort(&mut rows, a.sort, a.reverse);
        let (ordered, depth) = arrange(&rows, a.tree, a.limit);
        if ctx.json {
            let doc: Vec<JsonRow> = ordered
                .iter()
                .map(|r| JsonRow::new(r, basis, &self.columns))
                .collect();
            return match iteration {
                Some(_) => render::to_json_line(&doc),
                None => render::to_json(&doc) + "\n",
            };
        }
        let f = match a.format {
            TopFormat::Table => {
                let mut s = render::top::table(
                    &ordered,
                    &self.columns,
                    a.tree.then_some(&depth[..]),
                    self.width,
                );
                s.push_str(&render::top::footer(scan, ordered.len(), basis));
                s.push('\n');
                return s;
            }
            TopFormat::Csv => Delimited::Csv,
            TopFormat::Tsv => Delimited::Tsv,
        };
        // In batch mode each row starts with its iteration and the time of
        // its scan: one header for all of them.
        let lead_names: &[&str] = if iteration.is_some() {
            &["iteration", "time_unix"]
        } else {
            &[]
        };
        let lead: Vec<String> = iteration
            .map(|i| {
                let t = scan
                    .wall
                    .and_then(|w| w.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(String::new(), |d| format!("{:.3}", d.as_secs_f64()));
                vec![i.to_string(), t]
            })
            .unwrap_or_default();
        let mut s = String::new();
        if first && !a.no_header {
            s.push_str(&render::top::delimited_header(&self.columns, lead_names, f));
        }
        s.push_str(&render::top::delimited_rows(
            &ordered,
            &self.columns,
            &lead,
            f,
        ));
        s
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
