//! `top`: the cells of a process row (shared by `--once` and the TUI), the
//! once-table, its footer and the host header line.

use crate::analysis::top::{ColumnsError, ConfigProblem, RateBasis, SortKey, TopRow, tty_name};
use crate::reader::{HostFacts, Missing, Scan};
use crate::render::style::Palette;
use crate::render::table::{Align, Table};

/// `1536` -> `1.5K`, `3_221_225_472` -> `3.0G`: four characters or so,
/// for dense tables (the full IEC form is in `inspect`).
pub fn compact_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let (v, i) = crate::render::units::scale(bytes);
    if v >= 100.0 {
        format!("{v:.0}{}", UNITS[i])
    } else {
        format!("{v:.1}{}", UNITS[i])
    }
}

/// The marker for a value that could not be read: `?` when refused or
/// broken (unknown), `-` when it does not exist (kernel thread, zombie).
pub fn missing_mark(m: Missing) -> &'static str {
    match m {
        Missing::NotApplicable => "-",
        Missing::PermissionDenied | Missing::Error => "?",
    }
}

fn rate(v: Option<f64>) -> String {
    match v {
        None => "?".into(),
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.1}"),
    }
}

/// The text of one cell (already escaped for the terminal).
pub fn cell(r: &TopRow<'_>, key: SortKey) -> String {
    let s = r.scan;
    match key {
        SortKey::Pid => s.pid.to_string(),
        SortKey::User => match &r.user {
            Some(u) => crate::text::escape_for_terminal(&u.0),
            None => s.uid.err().map(missing_mark).unwrap_or("?").to_string(),
        },
        SortKey::Name => crate::text::escape_for_terminal(&s.name),
        // Any byte may sit there in a hostile or corrupt file.
        SortKey::State => crate::text::escape_for_terminal(&[s.state]),
        SortKey::Cpu => rate(r.cpu_percent),
        SortKey::Rss => {
            if s.kernel_thread || s.state == b'Z' {
                "-".into()
            } else {
                compact_size(s.rss_bytes)
            }
        }
        SortKey::Threads => s.threads.to_string(),
        SortKey::Fds => match s.fds {
            Ok(n) => n.to_string(),
            Err(m) => missing_mark(m).into(),
        },
        SortKey::Fdpct => match (r.fd_percent, s.fds) {
            (Some(p), _) if p >= 10.0 => format!("{p:.0}"),
            (Some(p), _) => format!("{p:.1}"),
            (None, Err(m)) => missing_mark(m).into(),
            (None, Ok(_)) => "?".into(),
        },
        SortKey::Csw => match (r.switches_per_sec, s.switches) {
            (Some(v), _) => rate(Some(v)),
            (None, Err(m)) => missing_mark(m).into(),
            (None, Ok(_)) => "?".into(),
        },
        SortKey::Cmdline => crate::text::escape_for_terminal(&r.command()),
        SortKey::Time => r
            .cpu_ticks_total
            .map_or_else(|| "?".into(), |t| time_plus(t, r.ticks_per_sec)),
        SortKey::Mem => match r.mem_percent {
            Some(p) => format!("{p:.1}"),
            None if s.kernel_thread || s.state == b'Z' => "-".into(),
            None => "?".into(),
        },
        SortKey::Virt => field(s.extra.vsize_bytes, compact_size),
        SortKey::Shr => field(s.extra.shared_bytes, compact_size),
        SortKey::Nice => field(s.extra.nice, |n| n.to_string()),
        SortKey::Start => match (r.started_unix, r.scan_unix) {
            (Some(t), Some(now)) => start_time(t, now),
            _ => "?".into(),
        },
        SortKey::Tty => match s.extra.tty_nr {
            Ok(n) => tty_name(n).unwrap_or_else(|| "?".into()),
            Err(m) => missing_mark(m).into(),
        },
        SortKey::Workload => match (r.workload(), &s.extra.cgroup) {
            (Some(w), _) => crate::render::workload::short(&w),
            (None, Err(m)) => missing_mark(*m).into(),
            (None, Ok(_)) => "?".into(),
        },
        SortKey::IoRead | SortKey::IoWrite => {
            let v = if key == SortKey::IoRead {
                r.io_read_per_sec
            } else {
                r.io_write_per_sec
            };
            match (v, s.io) {
                (Some(v), _) => compact_size(v.max(0.0).round() as u64),
                (None, Err(m)) => missing_mark(m).into(),
                (None, Ok(_)) => "?".into(),
            }
        }
    }
}

/// A field's value, or its mark when it has none.
fn field<T: Copy>(v: Result<T, Missing>, show: impl Fn(T) -> String) -> String {
    match v {
        Ok(v) => show(v),
        Err(m) => missing_mark(m).into(),
    }
}

/// CPU time as htop's TIME+: `m:ss.cc` below an hour, `HhMM:SS` below 100
/// hours, else `Hh`.
pub fn time_plus(ticks: u64, ticks_per_sec: u64) -> String {
    let tps = ticks_per_sec.max(1);
    let centis = u128::from(ticks) * 100 / u128::from(tps);
    let secs = centis / 100;
    let (h, m, sec) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h >= 100 {
        format!("{h}h")
    } else if h > 0 {
        format!("{h}h{m:02}:{sec:02}")
    } else {
        format!("{m}:{sec:02}.{:02}", centis % 100)
    }
}

/// A start time in the local time zone: `HH:MM` on the day of `now`, the
/// month and day (`Dec05`) in its year, else the year.
pub fn start_time(t: f64, now: f64) -> String {
    let tz = jiff::tz::TimeZone::system();
    let at = |s: f64| {
        Some(s)
            .filter(|s| s.is_finite())
            .and_then(|s| jiff::Timestamp::from_second(s.floor() as i64).ok())
            .map(|ts| ts.to_zoned_datetime(tz.clone()))
    };
    let (Some(t), Some(now)) = (at(t), at(now)) else {
        return "?".into();
    };
    if t.date() == now.date() {
        t.strftime("%H:%M").to_string()
    } else if t.year() == now.year() {
        t.strftime("%b%d").to_string()
    } else {
        t.strftime("%Y").to_string()
    }
}

/// The command-line cell, indented under its parent at tree `depth`
/// (0: no tree mark).
pub fn command_cell(r: &TopRow<'_>, depth: usize) -> String {
    tree_indent(cell(r, SortKey::Cmdline), depth)
}

pub fn align(key: SortKey) -> Align {
    match key {
        SortKey::User
        | SortKey::Name
        | SortKey::State
        | SortKey::Cmdline
        | SortKey::Tty
        | SortKey::Workload => Align::Left,
        _ => Align::Right,
    }
}

/// The once-table. `width` cuts the command column to fit a terminal
/// (None when piped: nothing is cut).
/// The once-table of `columns`, in their order. `width` cuts the command
/// column to fit a terminal when it is the last one (None when piped:
/// nothing is cut). In a tree the command is indented, or the name when
/// the command is not shown.
pub fn table(
    rows: &[&TopRow<'_>],
    columns: &[SortKey],
    depth: Option<&[usize]>,
    width: Option<usize>,
) -> String {
    let cols: Vec<(&'static str, Align)> =
        columns.iter().map(|&k| (k.header(), align(k))).collect();
    let mut t = Table::new(&cols);
    let indented = if columns.contains(&SortKey::Cmdline) {
        SortKey::Cmdline
    } else {
        SortKey::Name
    };
    let last_cut = columns.last() == Some(&SortKey::Cmdline);
    let mut widths: Vec<usize> = columns.iter().map(|k| k.header().len()).collect();
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let indent = depth.and_then(|d| d.get(i)).copied().unwrap_or(0);
        let c: Vec<String> = columns
            .iter()
            .map(|&k| match k {
                SortKey::Cmdline => command_cell(r, indent),
                k if k == indented => tree_indent(cell(r, k), indent),
                k => cell(r, k),
            })
            .collect();
        for (w, s) in widths.iter_mut().zip(&c) {
            *w = (*w).max(s.chars().count());
        }
        cells.push(c);
    }
    let fixed = if last_cut {
        &widths[..widths.len() - 1]
    } else {
        &widths[..]
    };
    let used: usize = fixed.iter().map(|w| w + 2).sum();
    let room = width
        .filter(|_| last_cut)
        .map(|w| w.saturating_sub(used).max(10));
    for mut c in cells {
        if let (Some(room), Some(cmd)) = (room, c.last_mut()) {
            if cmd.chars().count() > room {
                *cmd = cmd.chars().take(room.saturating_sub(1)).collect::<String>() + "…";
            }
        }
        for s in c {
            t.cell(&s);
        }
    }
    t.render(0, |h| h.to_string())
}

/// A cell indented under its parent at tree `depth`.
fn tree_indent(text: String, depth: usize) -> String {
    if depth == 0 {
        return text;
    }
    format!("{}└ {text}", "  ".repeat(depth.min(20) - 1))
}

/// The first lines of the config file the column chooser writes.
pub const CONFIG_HEAD: &str = "# proctor top: the columns shown, in order (written by the column chooser, F2 or C).\n# Names: pid user name state cpu rss threads fds fdpct csw cmdline time mem virt shr nice start tty workload io_read io_write\n";

/// Every column's name, for hints.
fn column_names() -> String {
    SortKey::ALL
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// A bad `--columns`: (message, hint).
pub fn columns_error(e: &ColumnsError) -> (String, String) {
    let hint = format!(
        "columns are {}; e.g. --columns pid,user,name,cpu,time,rss,cmdline or --columns +io_read,-csw",
        column_names()
    );
    let msg = match e {
        ColumnsError::Unknown(n) => format!(
            "'{}' is not a column of top",
            crate::text::neutralize_controls(n)
        ),
        ColumnsError::Twice(k) => format!("the column {} is given twice", k.name()),
        ColumnsError::Empty => "no columns left to show".to_string(),
        ColumnsError::Mixed => {
            "--columns is either a list (pid,cpu) or changes to the defaults (+io_read,-csw), not both"
                .to_string()
        }
    };
    (msg, hint)
}

/// A config file that cannot be used: (the warning line, its hint).
pub fn config_warning(path: &std::path::Path, p: &ConfigProblem) -> (String, String) {
    let why = match p {
        ConfigProblem::Unreadable(k) => format!("cannot be read ({k})"),
        ConfigProblem::TooLarge(cap) => format!("larger than {cap} bytes"),
        ConfigProblem::Syntax(m) => m.trim().to_string(),
        ConfigProblem::Columns(e) => columns_error(e).0,
    };
    let line = format!(
        "warning: config file {}: {}; using the default columns",
        path.display(),
        why
    );
    (
        crate::text::neutralize_controls(&line).into_owned(),
        "hint: fix or delete it, or choose the columns again with F2 in `proctor top` (it is rewritten); --no-config ignores it".to_string(),
    )
}

/// A column's name in a CSV or TSV header: the field of `top --json`.
pub fn field_name(k: SortKey) -> &'static str {
    match k {
        SortKey::Pid => "pid",
        SortKey::User => "user",
        SortKey::Name => "name",
        SortKey::State => "state",
        SortKey::Cpu => "cpu_percent",
        SortKey::Rss => "rss_bytes",
        SortKey::Threads => "threads",
        SortKey::Fds => "fds",
        SortKey::Fdpct => "fd_percent",
        SortKey::Csw => "switches_per_second",
        SortKey::Cmdline => "cmdline",
        SortKey::Time => "cpu_seconds_total",
        SortKey::Mem => "mem_percent",
        SortKey::Virt => "virt_bytes",
        SortKey::Shr => "shared_bytes",
        SortKey::Nice => "nice",
        SortKey::Start => "start_time_unix",
        SortKey::Tty => "tty",
        SortKey::Workload => "workload",
        SortKey::IoRead => "io_read_bytes_per_second",
        SortKey::IoWrite => "io_write_bytes_per_second",
    }
}

/// A column's value for a machine: bytes as integers, CPU and rates as
/// numbers, times in seconds (start: since the epoch); None when it has
/// none (an empty field). Text is raw (escaped by the format).
fn raw_value(r: &TopRow<'_>, k: SortKey) -> Option<Raw> {
    let s = r.scan;
    let num = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map(|x| Raw::Num(format!("{x:.2}")))
    };
    let int = |v: Option<u64>| v.map(|x| Raw::Num(x.to_string()));
    let user_memory = !s.kernel_thread && s.state != b'Z';
    match k {
        SortKey::Pid => Some(Raw::Num(s.pid.to_string())),
        SortKey::User => r.user.as_ref().map(|u| Raw::Text(u.0.clone())),
        SortKey::Name => Some(Raw::Text(s.name.clone())),
        SortKey::State => Some(Raw::Text(vec![s.state])),
        SortKey::Cpu => num(r.cpu_percent),
        SortKey::Rss => int(Some(s.rss_bytes).filter(|_| user_memory)),
        SortKey::Threads => int(Some(s.threads)),
        SortKey::Fds => int(s.fds.ok()),
        SortKey::Fdpct => num(r.fd_percent),
        SortKey::Csw => num(r.switches_per_sec),
        SortKey::Cmdline => Some(Raw::Text(r.command())),
        SortKey::Time => num(r
            .cpu_ticks_total
            .map(|t| t as f64 / r.ticks_per_sec.max(1) as f64)),
        SortKey::Mem => num(r.mem_percent),
        SortKey::Virt => int(s.extra.vsize_bytes.ok()),
        SortKey::Shr => int(s.extra.shared_bytes.ok()),
        SortKey::Nice => s.extra.nice.ok().map(|n| Raw::Num(n.to_string())),
        SortKey::Start => r
            .started_unix
            .filter(|t| t.is_finite())
            .map(|t| Raw::Num(format!("{}", t.floor() as i64))),
        SortKey::Tty => s
            .extra
            .tty_nr
            .ok()
            .and_then(tty_name)
            .map(|t| Raw::Text(t.into_bytes())),
        SortKey::Workload => r
            .workload()
            .map(|w| Raw::Text(crate::render::workload::short(&w).into_bytes())),
        SortKey::IoRead => num(r.io_read_per_sec),
        SortKey::IoWrite => num(r.io_write_per_sec),
    }
}

/// A machine value: a number as it is, text escaped by the format.
enum Raw {
    Num(String),
    Text(Vec<u8>),
}

/// CSV (RFC 4180, formula characters defused as in the history export)
/// or TSV (tab, newline, CR and backslash escaped as `\t`, `\n`, `\r`,
/// `\\`; other controls made visible).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimited {
    Csv,
    Tsv,
}

impl Delimited {
    fn sep(self) -> char {
        match self {
            Delimited::Csv => ',',
            Delimited::Tsv => '\t',
        }
    }

    fn text(self, b: &[u8], out: &mut String) {
        let lossy = String::from_utf8_lossy(b);
        match self {
            Delimited::Csv => {
                crate::render::export::csv_field(&crate::text::neutralize_controls(&lossy), out)
            }
            Delimited::Tsv => {
                let doubled = lossy.replace('\\', "\\\\");
                out.push_str(&crate::text::neutralize_controls(&doubled));
            }
        }
    }
}

/// The header row of `top --format csv|tsv`: `lead` (e.g. `iteration`,
/// `time_unix`), then each column's field name.
pub fn delimited_header(columns: &[SortKey], lead: &[&str], f: Delimited) -> String {
    let mut names: Vec<&str> = lead.to_vec();
    names.extend(columns.iter().map(|&k| field_name(k)));
    let mut line = names.join(&f.sep().to_string());
    line.push('\n');
    line
}

/// The rows of `top --format csv|tsv`, each after the `lead` values.
pub fn delimited_rows(
    rows: &[&TopRow<'_>],
    columns: &[SortKey],
    lead: &[String],
    f: Delimited,
) -> String {
    let mut out = String::new();
    for r in rows {
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !std::mem::take(&mut first) {
                out.push(f.sep());
            }
        };
        for l in lead {
            sep(&mut out);
            out.push_str(l);
        }
        for &k in columns {
            sep(&mut out);
            match raw_value(r, k) {
                Some(Raw::Num(n)) => out.push_str(&n),
                Some(Raw::Text(t)) => f.text(&t, &mut out),
                None => {}
            }
        }
        // RFC 4180 ends records with CRLF; LF is what scripts expect and
        // what every CSV reader accepts.
        out.push('\n');
    }
    out
}

/// The column chooser's title.
pub fn chooser_title() -> &'static str {
    " proctor top: columns · Esc closes "
}

/// The chooser's keys.
pub fn chooser_keys() -> &'static str {
    "space show/hide · [ ] move left/right · ↑ ↓ select · Esc, Enter, F2 close"
}

/// One line of the chooser: `[x] TIME+     time  cumulative CPU time`.
pub fn chooser_line(k: SortKey, on: bool) -> String {
    format!(
        "[{}] {:<9} {:<9} {}",
        if on { 'x' } else { ' ' },
        k.header(),
        k.name(),
        column_meaning(k)
    )
}

/// What a column shows, in a few words.
pub fn column_meaning(k: SortKey) -> &'static str {
    match k {
        SortKey::Pid => "process ID",
        SortKey::User => "effective user",
        SortKey::Name => "process name (comm)",
        SortKey::State => "state letter",
        SortKey::Cpu => "CPU % of one core",
        SortKey::Rss => "resident memory",
        SortKey::Threads => "threads",
        SortKey::Fds => "open descriptors",
        SortKey::Fdpct => "descriptors against the soft RLIMIT_NOFILE",
        SortKey::Csw => "context switches per second (main thread)",
        SortKey::Cmdline => "command line",
        SortKey::Time => "cumulative CPU time",
        SortKey::Mem => "resident memory against MemTotal",
        SortKey::Virt => "virtual memory size",
        SortKey::Shr => "shared resident memory (file + shmem)",
        SortKey::Nice => "nice value",
        SortKey::Start => "start time (local)",
        SortKey::Tty => "controlling terminal",
        SortKey::Workload => "cgroup workload (unit, container, pod)",
        SortKey::IoRead => "storage bytes read per second",
        SortKey::IoWrite => "storage bytes written per second",
    }
}

/// After a change in the chooser: where it was saved.
pub fn chooser_saved(p: &std::path::Path) -> String {
    crate::text::neutralize_controls(&format!("saved to {}", p.display())).into_owned()
}

/// After a change in the chooser with `--no-config` (or no home).
pub fn chooser_not_saved() -> String {
    "not saved (--no-config, or no XDG_CONFIG_HOME or HOME)".to_string()
}

/// A save that failed.
pub fn chooser_save_failed(p: &std::path::Path, e: &std::io::Error) -> String {
    crate::text::neutralize_controls(&format!("could not save to {}: {e}", p.display()))
        .into_owned()
}

/// The line after the once-table: totals, what was skipped, and how the
/// rates were measured.
pub fn footer(scan: &Scan, shown: usize, basis: RateBasis) -> String {
    let threads: u64 = scan
        .rows
        .iter()
        .fold(0u64, |a, r| a.saturating_add(r.threads));
    let mut s = format!("{} processes, {} threads", scan.rows.len(), threads);
    if shown < scan.rows.len() {
        s.push_str(&format!(" ({shown} shown)"));
    }
    if scan.unreadable > 0 {
        s.push_str(&format!(
            "; {} unreadable (stat refused or malformed, skipped)",
            scan.unreadable
        ));
    }
    if scan.exited > 0 {
        s.push_str(&format!(
            "; {} exited during the scan (skipped)",
            scan.exited
        ));
    }
    let denied = scan.permission_denied();
    if denied > 0 {
        s.push_str(&format!(
            "; {denied} partly unreadable (permission denied, shown as ?)"
        ));
    }
    match basis {
        RateBasis::Lifetime => {
            s.push_str("; CPU% and CSW/s are averages since each process started (--sample 1s for current rates)")
        }
        RateBasis::Interval(secs) => s.push_str(&format!("; rates over {secs:.1}s")),
    }
    s
}

/// How the rates were measured, for the TUI's header.
pub fn basis_text(b: RateBasis) -> String {
    match b {
        RateBasis::Lifetime => "rates: averages since start (first refresh)".into(),
        RateBasis::Interval(s) => format!("rates over {s:.1}s"),
    }
}

/// The interactive view's line when the scans do not keep up with the
/// interval (a scan longer than it, a busy machine): the real refresh
/// period next to the one asked for.
pub fn late_refresh(real: std::time::Duration, asked: std::time::Duration) -> String {
    // Milliseconds below a second: "230ms" next to "200ms", not "0.2s".
    let real = if real.as_secs() == 0 {
        format!("{}ms", real.as_millis())
    } else {
        format!("{:.1}s", real.as_secs_f64())
    };
    format!(
        "refresh {real} (asked {}): the scans do not keep up with the interval",
        humantime::format_duration(asked)
    )
}

/// The host header: memory, swap, pressure, load, totals.
pub fn host_line(h: &HostFacts, scan: &Scan, p: Palette) -> Vec<String> {
    let size = |v: Option<u64>| v.map(compact_size).unwrap_or_else(|| "?".into());
    let mut mem = format!(
        "Mem {} total, {} available",
        size(h.mem.total),
        size(h.mem.available)
    );
    if let (Some(t), Some(a)) = (h.mem.total, h.mem.available) {
        if t > 0 {
            let pct = a as f64 * 100.0 / t as f64;
            let txt = format!(" ({pct:.0}%)");
            mem.push_str(&if pct < 10.0 { p.critical(&txt) } else { txt });
        }
    }
    let swap_invalid = h.mem.is_invalid("SwapTotal") || h.mem.is_invalid("SwapFree");
    match (h.mem.swap_total, h.mem.swap_used()) {
        (Some(0), _) => mem.push_str("; no swap"),
        (Some(t), Some(u)) => mem.push_str(&format!(
            "; swap {} of {} used",
            size(Some(u)),
            size(Some(t))
        )),
        // Present but not a number: unknown, said so.
        _ if swap_invalid => mem.push_str(&format!(
            "; swap {} of {} used",
            size(h.mem.swap_used()),
            size(h.mem.swap_total)
        )),
        _ => {}
    }
    let file_invalid = |f: &str| h.invalid_files.contains(&f);
    let mut second = String::new();
    match h.psi_memory.and_then(|p| p.some) {
        Some(s) => second.push_str(&format!(
            "Memory pressure: some {:.1}% full {} (avg10)",
            s.avg10,
            h.psi_memory.and_then(|p| p.full).map_or(
                if file_invalid("pressure/memory") {
                    "?"
                } else {
                    "n/a"
                }
                .to_string(),
                |f| format!("{:.1}%", f.avg10)
            )
        )),
        None if file_invalid("pressure/memory") => {
            second.push_str("Memory pressure: ? (pressure/memory could not be parsed)")
        }
        None => second.push_str("Memory pressure: not available (no /proc/pressure/memory)"),
    }
    if file_invalid("loadavg") && h.load.is_none() {
        second.push_str("; load ? (loadavg could not be parsed)");
    }
    if let Some(l) = h.load {
        second.push_str(&format!(
            "; load {:.2} {:.2} {:.2} on {} CPU{}",
            l.one,
            l.five,
            l.fifteen,
            h.cpus,
            if h.cpus == 1 { "" } else { "s" }
        ));
    }
    let threads: u64 = scan
        .rows
        .iter()
        .fold(0u64, |a, r| a.saturating_add(r.threads));
    let zombies = scan.rows.iter().filter(|r| r.state == b'Z').count();
    let running = scan.rows.iter().filter(|r| r.state == b'R').count();
    let mut third = format!(
        "{} processes ({running} running, {zombies} zombie), {threads} threads",
        scan.rows.len()
    );
    if scan.unreadable > 0 {
        // Listed in /proc but not identified (stat refused or malformed):
        // not in the table, so said here.
        third.push_str(&format!(
            "; {} more unreadable (not shown)",
            scan.unreadable
        ));
    }
    if let Some(f) = h.file_nr {
        third.push_str(&format!("; {} open files host-wide", f.allocated));
    } else if file_invalid("sys/fs/file-nr") {
        third.push_str("; ? open files host-wide");
    }
    let mut lines = vec![mem, second, third];
    // Which host values did not parse: `?` above is unknown, not absent.
    let bad: Vec<String> = h
        .parse_errors()
        .into_iter()
        .map(|(f, k)| match k {
            Some(k) => format!("{k} in {f}"),
            None => f.to_string(),
        })
        .collect();
    if !bad.is_empty() {
        lines.push(p.warning(&format!(
            "host values that could not be parsed (shown as ?): {}",
            bad.join(", ")
        )));
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn late_refresh_names_both_periods() {
        use std::time::Duration;
        assert_eq!(
            late_refresh(Duration::from_millis(1640), Duration::from_millis(500)),
            "refresh 1.6s (asked 500ms): the scans do not keep up with the interval"
        );
        assert_eq!(
            late_refresh(Duration::from_millis(2950), Duration::from_secs(2)),
            "refresh 3.0s (asked 2s): the scans do not keep up with the interval"
        );
        assert_eq!(
            late_refresh(Duration::from_micros(231_900), Duration::from_millis(200)),
            "refresh 231ms (asked 200ms): the scans do not keep up with the interval"
        );
    }

    use super::*;

    #[test]
    fn time_plus_as_htop() {
        assert_eq!(time_plus(0, 100), "0:00.00");
        assert_eq!(time_plus(12_345, 100), "2:03.45");
        assert_eq!(time_plus(100 * 3_725, 100), "1h02:05");
        assert_eq!(time_plus(100 * 3600 * 150, 100), "150h");
        assert_eq!(time_plus(u64::MAX, 0), format!("{}h", u64::MAX / 3600));
    }

    #[test]
    fn start_time_today_else_date() {
        // The machine's zone: both in the same one, so the day matches.
        let now = 1_796_463_000.0;
        assert_eq!(start_time(now - 60.0, now).len(), 5);
        assert!(start_time(now - 60.0, now).contains(':'));
        assert_eq!(start_time(now - 40.0 * 86_400.0, now).len(), 5);
        assert_eq!(start_time(now - 400.0 * 86_400.0, now), "2025");
        assert_eq!(start_time(f64::NAN, now), "?");
    }

    #[test]
    fn delimited_fields_are_escaped() {
        let mut o = String::new();
        Delimited::Tsv.text(b"a\tb\nc\\d\x1b", &mut o);
        assert_eq!(o, "a\\tb\\nc\\\\d\\e");
        let mut o = String::new();
        Delimited::Csv.text(b"=evil,\"x\"", &mut o);
        assert_eq!(o, "\"'=evil,\"\"x\"\"\"");
    }

    #[test]
    fn compact_sizes() {
        assert_eq!(compact_size(512), "512B");
        assert_eq!(compact_size(1536), "1.5K");
        assert_eq!(compact_size(3 << 30), "3.0G");
        assert_eq!(compact_size(200 << 20), "200M");
    }
}
