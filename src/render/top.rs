//! `top`: the cells of a process row (shared by `--once` and the TUI), the
//! once-table, its footer and the host header line.

use crate::analysis::top::{
    ColumnsError, ConfigProblem, CoreUse, RateBasis, SortKey, TaskStates, TopRow, tty_name,
};
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

/// Deepest level drawn with its own indentation: deeper rows are drawn
/// at this depth (a chain of thousands would push the command off screen).
const TREE_DEPTH_SHOWN: usize = 20;

/// The tree's drawing before a row's command, from its shape (see
/// [`crate::analysis::top::tree_shape`]): `│ ` where an ancestor has
/// later siblings, then `├─ ` or `└─ ` (the row's last sibling). ASCII
/// (`| `, `|- `, `` `- ``) when the terminal's locale is not UTF-8.
pub fn tree_prefix(shape: &[bool], utf8: bool) -> String {
    let Some((&own, above)) = shape.split_last() else {
        return String::new();
    };
    let (bar, blank, tee, elbow) = if utf8 {
        ("│ ", "  ", "├─ ", "└─ ")
    } else {
        ("| ", "  ", "|- ", "`- ")
    };
    let skip = above.len().saturating_sub(TREE_DEPTH_SHOWN - 1);
    let mut s: String = above[skip..]
        .iter()
        .map(|&more| if more { bar } else { blank })
        .collect();
    s.push_str(if own { tee } else { elbow });
    s
}

/// The command-line cell after its tree drawing (`shape` empty: none).
pub fn command_cell(r: &TopRow<'_>, shape: &[bool], utf8: bool) -> String {
    let cmd = cell(r, SortKey::Cmdline);
    format!("{}{cmd}", tree_prefix(shape, utf8))
}

/// The command cell of a thread row (`H`): its drawing under its process,
/// then the thread's own name.
pub fn thread_cell(r: &TopRow<'_>, shape: &[bool], utf8: bool) -> String {
    format!(
        "{}thread {}",
        tree_prefix(shape, utf8),
        crate::text::escape_for_terminal(&r.scan.name)
    )
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
    let shapes = depth.map(crate::analysis::top::tree_shape);
    for (i, r) in rows.iter().enumerate() {
        let shape = shapes
            .as_ref()
            .and_then(|s| s.get(i))
            .map_or(&[][..], Vec::as_slice);
        let c: Vec<String> = columns
            .iter()
            .map(|&k| match k {
                SortKey::Cmdline => command_cell(r, shape, true),
                k if k == indented => format!("{}{}", tree_prefix(shape, true), cell(r, k)),
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

/// The interactive view's tasks line: processes by state, threads, and
/// the time since boot (like htop's Tasks and Uptime meters).
pub fn tasks_line(t: &TaskStates, uptime_secs: Option<f64>, host_third: &str) -> String {
    let mut s = format!(
        "Tasks {}, {} thr: {} running, {} sleeping, {} disk sleep, {} stopped, {} zombie",
        t.processes, t.threads, t.running, t.sleeping, t.disk_sleep, t.stopped, t.zombie
    );
    if t.other > 0 {
        s.push_str(&format!(", {} other", t.other));
    }
    match uptime_secs.filter(|u| u.is_finite() && *u >= 0.0) {
        Some(u) => s.push_str(&format!("; up {}", uptime(u))),
        None => s.push_str("; up ?"),
    }
    // What host_line's third line says after its counts.
    if let Some(i) = host_third.find("; ") {
        s.push_str(&host_third[i..]);
    }
    s
}

/// `3 days, 04:05:06`, `04:05:06`.
fn uptime(secs: f64) -> String {
    let s = secs as u64;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match d {
        0 => format!("{h:02}:{m:02}:{sec:02}"),
        1 => format!("1 day, {h:02}:{m:02}:{sec:02}"),
        _ => format!("{d} days, {h:02}:{m:02}:{sec:02}"),
    }
}

/// Width of the bar of one CPU in the header.
const BAR: usize = 10;

/// One CPU as a header entry: `cpu0 [|||||     ]  52% us 40 sy 10 wa  2 st  0`.
/// The bar shows user (`|`), system (`+`), steal (`~`) in that order.
fn cpu_entry(c: &CoreUse, label_width: usize) -> String {
    let cells = |p: f64| ((p / 100.0) * BAR as f64).round() as usize;
    let u = cells(c.user).min(BAR);
    let sy = cells(c.system).min(BAR - u);
    let st = cells(c.steal).min(BAR - u - sy);
    let bar = format!(
        "{}{}{}{}",
        "|".repeat(u),
        "+".repeat(sy),
        "~".repeat(st),
        " ".repeat(BAR - u - sy - st)
    );
    let label = match c.cpu {
        Some(n) => format!("cpu{n}"),
        None => "cpu".into(),
    };
    format!(
        "{label:<label_width$} [{bar}] {:>3.0}% us{:>3.0} sy{:>3.0} wa{:>3.0} st{:>3.0}",
        c.busy, c.user, c.system, c.iowait, c.steal
    )
}

/// The CPU lines of the header: one entry per CPU (two per line when the
/// width allows) while there are at most 16 CPUs and they fit in
/// `max_lines`; else one summary line (the machine's use and the busiest
/// CPUs). Before a second reading of PROC/stat: one line saying so.
pub fn cpu_lines(usage: &[CoreUse], unreadable: bool, width: u16, max_lines: usize) -> Vec<String> {
    let all = usage.iter().find(|c| c.cpu.is_none());
    let cores: Vec<&CoreUse> = usage.iter().filter(|c| c.cpu.is_some()).collect();
    if usage.is_empty() {
        return vec![if unreadable {
            "CPU ? (the CPU lines of stat could not be read)".to_string()
        } else {
            "CPU: measuring (one more refresh)".to_string()
        }];
    }
    let label_width = cores
        .iter()
        .map(|c| format!("cpu{}", c.cpu.unwrap_or(0)).len())
        .max()
        .unwrap_or(3);
    let entry_width = label_width + BAR + 30;
    let per_line = if usize::from(width) >= 2 * entry_width + 3 {
        2
    } else {
        1
    };
    let lines = cores.len().div_ceil(per_line);
    if !cores.is_empty() && cores.len() <= 16 && lines <= max_lines {
        let mut out: Vec<String> = cores
            .chunks(per_line)
            .map(|pair| {
                pair.iter()
                    .map(|c| format!("{:<entry_width$}", cpu_entry(c, label_width)))
                    .collect::<Vec<_>>()
                    .join("   ")
                    .trim_end()
                    .to_string()
            })
            .collect();
        if unreadable {
            out.push("some CPU lines of stat could not be parsed (not shown)".into());
        }
        return out;
    }
    let mut busiest = cores.clone();
    busiest.sort_by(|a, b| b.busy.total_cmp(&a.busy).then(a.cpu.cmp(&b.cpu)));
    let top: Vec<String> = busiest
        .iter()
        .take(3)
        .map(|c| format!("cpu{} {:.0}%", c.cpu.unwrap_or(0), c.busy))
        .collect();
    let mut s = match all {
        Some(a) => format!(
            "CPU {:.0}% (us {:.0} sy {:.0} wa {:.0} st {:.0}) of {} CPUs",
            a.busy,
            a.user,
            a.system,
            a.iowait,
            a.steal,
            cores.len()
        ),
        None => format!("CPU ? of {} CPUs", cores.len()),
    };
    if !top.is_empty() {
        s.push_str(&format!("; busiest {}", top.join(", ")));
    }
    vec![s]
}

/// What `k` can send, in the order the list shows them.
pub const SIGNAL_NAMES: [&str; 9] = [
    "TERM", "KILL", "INT", "HUP", "QUIT", "USR1", "USR2", "STOP", "CONT",
];

/// The signal list of `k`: one line per signal, the chosen one marked.
pub fn signal_menu(pid: i32, name: &[u8], numbers: &[i32], chosen: usize) -> Vec<String> {
    let mut v = vec![format!(
        "Send a signal to {pid} ({}):",
        crate::text::escape_for_terminal(name)
    )];
    for (i, (n, num)) in SIGNAL_NAMES.iter().zip(numbers).enumerate() {
        let mark = if i == chosen { '>' } else { ' ' };
        v.push(format!("{mark} {num:>2} SIG{n}"));
    }
    v.push("↑ ↓ or a number, Enter to choose, Esc to cancel".into());
    v
}

/// The question before a signal is sent; `again` for the second one
/// asked about PID 1 or proctor itself.
pub fn signal_confirm(sig: &str, pid: i32, name: &[u8], again: Option<SignalRisk>) -> Vec<String> {
    let name = crate::text::escape_for_terminal(name);
    match again {
        None => vec![format!("send SIG{sig} to {pid} ({name})? y/n")],
        Some(r) => vec![
            match r {
                SignalRisk::Init => {
                    format!("{pid} ({name}) is PID 1: the system (or the container) ends with it.")
                }
                SignalRisk::Itself => format!("{pid} ({name}) is this proctor."),
            },
            format!("really send SIG{sig} to {pid}? y/n"),
        ],
    }
}

/// Why a signal needs a second confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalRisk {
    Init,
    Itself,
}

/// What happened to a signal, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalOutcome {
    Sent,
    NoPermission,
    /// Exited, or its PID now names another process.
    Gone,
    Cancelled,
    /// The proc root is not this machine's (a fixture tree, another PID
    /// namespace) or the view is a replay.
    NotLive,
    Failed(String),
}

pub fn signal_status(sig: &str, pid: i32, name: &[u8], o: &SignalOutcome) -> String {
    let name = crate::text::escape_for_terminal(name);
    match o {
        SignalOutcome::Sent => format!("sent SIG{sig} to {pid} ({name})"),
        SignalOutcome::NoPermission => {
            format!("SIG{sig} not sent to {pid} ({name}): no permission")
        }
        SignalOutcome::Gone => format!(
            "SIG{sig} not sent: {pid} ({name}) is gone (exited, or its PID is another process now)"
        ),
        SignalOutcome::Cancelled => format!("SIG{sig} to {pid} cancelled"),
        SignalOutcome::NotLive => {
            "signals are sent only to this machine's processes (not to a replay or another proc root)".into()
        }
        SignalOutcome::Failed(e) => format!("SIG{sig} not sent to {pid}: {e}"),
    }
}

/// The user picker of `u`: every user of the table, the chosen one marked,
/// after what was typed to narrow the list.
pub fn user_menu(users: &[Vec<u8>], chosen: usize, typed: &str) -> Vec<String> {
    let mut v = vec![format!("Show the processes of (type to narrow): {typed}▏")];
    if users.is_empty() {
        v.push("  no user matches".into());
    }
    for (i, u) in users.iter().enumerate() {
        let mark = if i == chosen { '>' } else { ' ' };
        v.push(format!("{mark} {}", crate::text::escape_for_terminal(u)));
    }
    v
}

/// The sort menu of F6: every column, the current one marked.
pub fn sort_menu(keys: &[SortKey], chosen: usize, current: SortKey) -> Vec<String> {
    let mut v = vec!["Sort by (↑ ↓, Enter; Esc cancels):".to_string()];
    for (i, k) in keys.iter().enumerate() {
        let mark = if i == chosen { '>' } else { ' ' };
        let now = if *k == current { "  (now)" } else { "" };
        v.push(format!("{mark} {}{now}", k.header()));
    }
    v
}

/// The status line's words for the search (`/`), the user filter (`u`),
/// threads (`H`) and hidden kernel threads (`K`).
pub fn search_status(text: &str, editing: bool, found: bool) -> String {
    match (editing, found) {
        (true, true) => format!("search: {text}▏ (Enter keeps, n next)"),
        (true, false) => format!("search: {text}▏ (no match)"),
        (false, true) => format!("search: {text} (n or F3: next)"),
        (false, false) => format!("search: {text} (no match)"),
    }
}

pub fn user_status(user: &[u8]) -> String {
    format!("user {} (u: all)", crate::text::escape_for_terminal(user))
}

pub fn threads_status(cut: usize) -> String {
    if cut == 0 {
        "threads".into()
    } else {
        format!("threads ({cut} processes' not listed: too many)")
    }
}

pub const KERNEL_HIDDEN: &str = "kernel threads hidden (K)";

/// `H` or `k` in a replay: not recorded, or nothing to signal.
pub const REPLAY_NO_THREADS: &str = "threads are not recorded: H works in the live view only";

/// The keys of the interactive `top`, as its help shows them (and the
/// README's top section): every line fits the smallest terminal.
pub const HELP: &[(&str, &str)] = &[
    ("↑ ↓ j PgUp PgDn", "move the selection (Home End: ends)"),
    ("click, wheel", "select a row, move the selection"),
    ("Enter", "inspect the selected process"),
    ("w", "watch it: RSS, fds, threads, sparklines"),
    ("k  F9", "send it a signal (asks which, confirms)"),
    ("P M T N", "sort by CPU%, memory (RSS), TIME+, PID"),
    ("f % x", "sort by FDS, FD%, CSW/s"),
    ("F6", "sort by a column chosen from a list"),
    ("< >  ← →", "sort by the previous / next column"),
    ("click a header", "sort by that column (again: reverse)"),
    ("I  r", "reverse the order (or sort key again)"),
    ("/", "search: jump to a match (n, F3: next)"),
    ("\\  F4", "filter: name, command line, user, PID"),
    ("u", "one user's processes (u again: all)"),
    ("Esc", "clear the filter, the user, the search"),
    ("t  F5", "tree: children under their parent"),
    ("H", "threads under their process (TID)"),
    ("K", "hide / show kernel threads"),
    ("F2  C", "choose the columns (saved in the config)"),
    ("space", "pause / resume refreshing"),
    ("?  h  F1", "this help"),
    ("q  F10  Ctrl-C", "quit"),
];

/// The help's notes after the keys.
pub const HELP_NOTES: &[&str] = &[
    "CPU% of one core; RSS resident memory; TIME+ CPU",
    "time (min:sec.hundredths); THR threads; FDS open",
    "descriptors; FD% of the soft RLIMIT_NOFILE;",
    "CSW/s context switches of the main thread.",
    "? unreadable (permission); - does not apply.",
    "Kernel threads are shown until K, threads until H.",
    "Header: per-CPU bars, | user + system ~ steal.",
];

/// Width of the key column of the help.
pub const HELP_KEY_WIDTH: usize = 16;

/// The help's title: scrolled or not.
pub fn help_title(first: usize, shown: usize, total: usize) -> String {
    if shown >= total {
        " proctor top: keys · any key closes ".into()
    } else {
        format!(
            " proctor top: keys {}-{} of {total} · ↑↓ scroll ",
            first + 1,
            (first + shown).min(total)
        )
    }
}

/// What the tasks line adds after the counts: processes listed but not
/// identified, and the host's open files.
fn tasks_tail(h: &HostFacts, scan: &Scan) -> String {
    let file_invalid = |f: &str| h.invalid_files.contains(&f);
    let mut third = String::new();
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
    third
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
    third.push_str(&tasks_tail(h, scan));
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
    #[test]
    fn tree_drawing() {
        assert_eq!(tree_prefix(&[], true), "");
        assert_eq!(tree_prefix(&[true], true), "├─ ");
        assert_eq!(tree_prefix(&[false], true), "└─ ");
        assert_eq!(tree_prefix(&[true, false, true], true), "│   ├─ ");
        assert_eq!(tree_prefix(&[true, false], false), "| `- ");
        // Very deep: indentation stops at 20 levels.
        assert_eq!(tree_prefix(&[true; 500], true).chars().count(), 19 * 2 + 3);
    }

    #[test]
    fn time_plus_from_seconds_as_htop() {
        assert_eq!(time_plus(8_345, 100), "1:23.45");
        assert_eq!(time_plus(359_999, 100), "59:59.99");
        assert_eq!(time_plus(100 * (3600 * 26 + 61), 100), "26h01:01");
    }

    #[test]
    fn header_cpu_and_tasks() {
        let c = |cpu, busy| CoreUse {
            cpu,
            user: busy * 0.8,
            system: busy * 0.2,
            iowait: 1.0,
            steal: 0.0,
            busy,
        };
        let two = [c(None, 50.0), c(Some(0), 100.0), c(Some(1), 0.0)];
        assert_eq!(
            cpu_lines(&two, false, 120, 8),
            [
                "cpu0 [||||||||++] 100% us 80 sy 20 wa  1 st  0   cpu1 [          ]   0% us  0 sy  0 wa  1 st  0"
            ]
        );
        // Narrow: one per line.
        assert_eq!(cpu_lines(&two, false, 60, 8).len(), 2);
        // No room (or more than 16 CPUs): one summary line.
        assert_eq!(
            cpu_lines(&two, false, 60, 1),
            ["CPU 50% (us 40 sy 10 wa 1 st 0) of 2 CPUs; busiest cpu0 100%, cpu1 0%"]
        );
        let many: Vec<CoreUse> = std::iter::once(c(None, 10.0))
            .chain((0..64).map(|n| c(Some(n), f64::from(n))))
            .collect();
        let l = cpu_lines(&many, false, 200, 100);
        assert_eq!(l.len(), 1);
        assert!(
            l[0].ends_with("of 64 CPUs; busiest cpu63 63%, cpu62 62%, cpu61 61%"),
            "{l:?}"
        );
        assert_eq!(
            cpu_lines(&[], false, 80, 4),
            ["CPU: measuring (one more refresh)"]
        );
        assert_eq!(
            cpu_lines(&[], true, 80, 4),
            ["CPU ? (the CPU lines of stat could not be read)"]
        );
        let t = TaskStates {
            processes: 5,
            running: 1,
            sleeping: 2,
            disk_sleep: 1,
            stopped: 0,
            zombie: 1,
            other: 0,
            threads: 9,
        };
        assert_eq!(
            tasks_line(
                &t,
                Some(90_061.0),
                "5 processes (..), 9 threads; 12 open files host-wide"
            ),
            "Tasks 5, 9 thr: 1 running, 2 sleeping, 1 disk sleep, 0 stopped, 1 zombie; up 1 day, 01:01:01; 12 open files host-wide"
        );
        assert!(tasks_line(&t, None, "").ends_with("; up ?"));
    }

    #[test]
    fn help_fits_sixty_columns() {
        // Inside the box's borders at the smallest width (60).
        for (k, d) in HELP {
            assert!(k.chars().count() < HELP_KEY_WIDTH, "{k}");
            assert!(HELP_KEY_WIDTH + d.chars().count() <= 58, "{d}");
        }
        for n in HELP_NOTES {
            assert!(n.chars().count() <= 58, "{n}");
        }
        assert!(help_title(0, 10, 29).chars().count() <= 58);
    }

    #[test]
    fn signal_words() {
        assert_eq!(
            signal_confirm("TERM", 4242, b"app\x1b", None),
            ["send SIGTERM to 4242 (app\\e)? y/n"]
        );
        assert_eq!(
            signal_status("KILL", 7, b"x", &SignalOutcome::NoPermission),
            "SIGKILL not sent to 7 (x): no permission"
        );
        let m = signal_menu(7, b"x", &[15, 9, 2, 1, 3, 10, 12, 19, 18], 1);
        assert_eq!(m[2], ">  9 SIGKILL");
    }
}
