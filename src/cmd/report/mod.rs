//! `proctor report [FILE]`: what happened in a window of a recording
//! (`proctor record`), worst first. Opens the file read-only (a recorder
//! may be writing it), resolves `--since`/`--until` against the
//! recording's span, loads the window (at most `analysis::report::MAX_SCANS`
//! scans), judges it (`analysis::report`) and words it
//! (`render::report`). A damaged file is read as far as it goes; what
//! could not be read is said, and the exit code is 3 unless a problem
//! was found (1).

use std::path::PathBuf;

mod plot;

use crate::analysis::report::{self, Asked, Report};
use crate::cmd::context::{Ctx, Output};
use crate::error::{CliError, ExitCode};
use crate::store::read::{Reader, TimeSpec, Window};
use crate::store::{Damage, History};

#[derive(Debug, Clone)]
pub struct Settings {
    pub file: PathBuf,
    pub since: Option<TimeSpec>,
    pub until: Option<TimeSpec>,
    /// Only this PID's processes (every life of it in the window).
    pub pid: Option<i32>,
    /// Only processes of workloads whose name contains this.
    pub workload: Option<String>,
    /// `--plot FILE`: draw a series there too.
    pub plot: Option<PathBuf>,
    /// `--metric`: the series to draw (default: the leaking ones).
    pub metric: Option<PlotMetric>,
    pub format: Format,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// The window's series with timestamps, for `promtool tsdb
    /// create-blocks-from openmetrics` (docs/history-export.md).
    OpenMetrics,
    Csv,
}

pub use crate::analysis::report::PlotMetric;

/// A window loaded and judged: what every output of `report` starts from.
pub struct Loaded {
    pub history: History,
    pub report: Report,
}

/// Open, resolve the window, load and judge.
pub fn load(s: &Settings) -> Result<Loaded, CliError> {
    let reader = Reader::open(&s.file).map_err(|e| crate::cmd::record::store_error(&e))?;
    let Some((first, last)) = reader
        .span()
        .map_err(|e| crate::cmd::record::store_error(&e))?
    else {
        return Err(crate::render::report::no_scans(&s.file));
    };
    let since = s.since.map(|t| t.resolve(last));
    let until = s.until.map(|t| t.resolve(last));
    if let (Some(a), Some(b)) = (since, until) {
        if a > b {
            return Err(crate::render::report::reversed_window(a, b));
        }
    }
    let window = Window {
        since_ms: since,
        until_ms: until,
        pids: s.pid.into_iter().collect(),
        workload: s.workload.clone(),
        max_scans: report::MAX_SCANS,
        no_kernel_threads: true,
    };
    let mut history = reader.load(&window);
    if history.scans.is_empty() && history.damage.is_empty() {
        return Err(crate::render::report::empty_window(
            since.unwrap_or(first),
            until.unwrap_or(last),
            first,
            last,
        ));
    }
    if let Some(pid) = s.pid {
        if history.processes.is_empty() && history.damage.is_empty() {
            return Err(crate::render::report::no_such_pid(pid));
        }
    }
    if let Some(w) = &s.workload {
        if history.processes.is_empty() && history.damage.is_empty() {
            return Err(crate::render::report::no_such_workload(w));
        }
    }
    check_integrity(&reader, &mut history);
    let times: Vec<i64> = reader
        .scan_times()
        .unwrap_or_default()
        .into_iter()
        .map(|(_, t)| t)
        .filter(|&t| since.is_none_or(|a| t >= a) && until.is_none_or(|b| t <= b))
        .collect();
    let asked = Asked {
        since_ms: since,
        until_ms: until,
        pid: s.pid,
        workload: s.workload.clone(),
    };
    let report = report::judge(&history, asked, &times);
    Ok(Loaded { history, report })
}

/// `--format openmetrics|csv`: every scan of the window (no thinning),
/// streamed to stdout. A damaged file is exported as far as it reads; what
/// could not be read is said on stderr and the exit code is 3.
fn export(s: &Settings, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    let reader = Reader::open(&s.file).map_err(|e| crate::cmd::record::store_error(&e))?;
    let Some((_, last)) = reader
        .span()
        .map_err(|e| crate::cmd::record::store_error(&e))?
    else {
        return Err(crate::render::report::no_scans(&s.file));
    };
    let window = Window {
        since_ms: s.since.map(|t| t.resolve(last)),
        until_ms: s.until.map(|t| t.resolve(last)),
        pids: s.pid.into_iter().collect(),
        workload: s.workload.clone(),
        max_scans: 0,
        no_kernel_threads: false,
    };
    let history = reader.load(&window);
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, out);
    let written = match s.format {
        Format::Csv => crate::render::export::csv(&history, &mut w),
        _ => crate::render::export::openmetrics(&history, &mut w),
    }
    .and_then(|()| std::io::Write::flush(&mut w));
    match written {
        Ok(()) => {}
        // A closed pipe (`| head`) is a normal end.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            return Err(CliError::new(format!("cannot write the export: {e}"))
                .hint("write it to a file with enough room: > history.om"));
        }
    }
    let code = if history.damage.is_empty() {
        ExitCode::Ok
    } else {
        eprintln!("{}", crate::render::report::damage_line(&history.damage));
        ExitCode::Incomplete
    };
    Ok(Output {
        stdout: String::new(),
        code,
    })
}

/// `PRAGMA integrity_check`: a damaged page the window's queries did not
/// touch is still said.
fn check_integrity(reader: &Reader, h: &mut History) {
    match reader.integrity() {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => {}
        Ok(lines) => {
            // The first problem, and how many more (at most 20 are asked).
            // SQLite may put several in one row, a line each.
            let problems: Vec<&str> = lines
                .iter()
                .flat_map(|l| l.lines())
                .filter(|l| !l.starts_with("***") && !l.trim().is_empty())
                .collect();
            let mut detail = problems
                .first()
                .map_or_else(|| lines.join(" "), |l| (*l).to_string());
            if problems.len() > 1 {
                detail = format!("{detail} (+{} more)", problems.len() - 1);
            }
            h.damage.push(Damage {
                part: "integrity".into(),
                detail,
            });
        }
        Err(e) => h.damage.push(Damage {
            part: "integrity".into(),
            detail: match e {
                crate::store::StoreError::Corrupt { detail, .. } => detail,
                other => other.to_string(),
            },
        }),
    }
}

/// The exit code of a report: 1 when a leak or an OOM kill is in the
/// window, else 3 when something could not be read, else 0.
pub fn code(r: &Report) -> ExitCode {
    if r.leak_found() || !r.ooms.is_empty() {
        ExitCode::Problem
    } else if r.incomplete() {
        ExitCode::Incomplete
    } else {
        ExitCode::Ok
    }
}

pub fn run(ctx: &Ctx, s: &Settings, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    if matches!(s.format, Format::OpenMetrics | Format::Csv) {
        return export(s, out);
    }
    let loaded = load(s)?;
    if let Some(path) = &s.plot {
        plot::draw(&loaded, s.metric, path)?;
    }
    let stdout = if ctx.json || s.format == Format::Json {
        crate::render::report::json(&s.file, &loaded.report) + "\n"
    } else {
        crate::render::report::text(&s.file, &loaded.report, &ctx.palette)
    };
    Ok(Output {
        stdout,
        code: code(&loaded.report),
    })
}
