//! The words of `top --replay`: its header (file, shown time, position,
//! the recorded host values, what started and exited at this scan), the
//! panel of one recorded process, and its errors. Times are UTC.

use std::path::Path;

use crate::store::{HostValues, ProcMetric};
use crate::text::escape_for_terminal;

use super::top::compact_size;

fn shown(p: &Path) -> String {
    escape_for_terminal(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()))
}

/// A Unix time in milliseconds as `2026-12-05 03:00:10Z`, with the
/// milliseconds when `millis` (recordings faster than one scan a second).
pub fn utc(ms: i64, millis: bool) -> String {
    let Ok(u) = u64::try_from(ms) else {
        return format!("@{}", ms as f64 / 1000.0);
    };
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(u);
    let s = if millis {
        humantime::format_rfc3339_millis(t).to_string()
    } else {
        humantime::format_rfc3339_seconds(t).to_string()
    };
    s.replacen('T', " ", 1)
}

/// The same time in RFC 3339, for JSON.
pub fn rfc3339(ms: i64) -> Option<String> {
    let u = u64::try_from(ms).ok()?;
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(u);
    Some(humantime::format_rfc3339_millis(t).to_string())
}

/// Where the replay stands, for the header.
pub struct Position<'a> {
    pub path: &'a Path,
    pub t_ms: i64,
    /// 0-based index of the shown scan, and how many there are.
    pub index: usize,
    pub count: usize,
    pub span: (i64, i64),
    /// The run's interval, ms (0: unknown).
    pub interval_ms: u64,
}

impl Position<'_> {
    fn millis(&self) -> bool {
        self.interval_ms > 0 && self.interval_ms < 1000
    }
}

/// `REPLAY FILE · TIME · scan n of N (FIRST to LAST)`.
pub fn position_line(p: &Position<'_>) -> String {
    let m = p.millis();
    format!(
        "REPLAY {} · {} · scan {} of {} (recorded {} to {})",
        shown(p.path),
        utc(p.t_ms, m),
        p.index + 1,
        p.count,
        utc(p.span.0, m),
        utc(p.span.1, m),
    )
}

/// The recorded host values: memory, swap, load, OOM kills since boot.
pub fn host_line(h: &HostValues) -> String {
    let size = |kb: Option<u64>| kb.map_or_else(|| "?".into(), |k| compact_size(k * 1024));
    let mut s = format!(
        "Mem {} total, {} available",
        size(h.mem_total_kb),
        size(h.mem_available_kb)
    );
    if let (Some(t), Some(a)) = (h.mem_total_kb, h.mem_available_kb) {
        if t > 0 {
            s.push_str(&format!(" ({:.0}%)", a as f64 * 100.0 / t as f64));
        }
    }
    match (h.swap_total_kb, h.swap_free_kb) {
        (Some(0), _) => s.push_str("; no swap"),
        (Some(t), Some(f)) => s.push_str(&format!(
            "; swap {} of {} used",
            size(Some(t.saturating_sub(f))),
            size(Some(t))
        )),
        _ => {}
    }
    match h.load1_centi {
        Some(l) => s.push_str(&format!(" · load {:.2}", l as f64 / 100.0)),
        None => s.push_str(" · load ?"),
    }
    if let Some(k) = h.oom_kills {
        s.push_str(&format!(" · {k} OOM kills since boot"));
    }
    s
}

/// At most this many names per list in the header.
const NAMES: usize = 4;

fn names(list: &[(i32, Vec<u8>)]) -> String {
    let mut s: Vec<String> = list
        .iter()
        .take(NAMES)
        .map(|(pid, n)| format!("{} ({pid})", escape_for_terminal(n)))
        .collect();
    if list.len() > NAMES {
        s.push(format!("+{} more", list.len() - NAMES));
    }
    s.join(", ")
}

/// What changed since the scan before: `this scan: 2 started: a (1), b
/// (2) · 1 exited: c (3)`. `first`: no scan before in this run.
pub fn changes_line(started: &[(i32, Vec<u8>)], exited: &[(i32, Vec<u8>)], first: bool) -> String {
    if first {
        return "first scan of a recording run: CPU% and CSW/s are averages since each process started".into();
    }
    if started.is_empty() && exited.is_empty() {
        return "this scan: no process started or exited".into();
    }
    let mut parts = Vec::new();
    if !started.is_empty() {
        parts.push(format!("{} started: {}", started.len(), names(started)));
    }
    if !exited.is_empty() {
        parts.push(format!("{} exited: {}", exited.len(), names(exited)));
    }
    format!("this scan: {}", parts.join(" · "))
}

/// Parts of the file that could not be read back.
pub fn damage_line(damage: &[(String, String)]) -> Option<String> {
    if damage.is_empty() {
        return None;
    }
    let parts: Vec<String> = damage
        .iter()
        .map(|(p, d)| format!("{p}: {}", escape_for_terminal(d.as_bytes())))
        .collect();
    Some(format!(
        "incomplete: part of the file could not be read back ({})",
        parts.join("; ")
    ))
}

/// The keys of the replay, for the help panel.
pub const KEYS: &[(&str, &str)] = &[
    ("t  →", "next scan"),
    ("T  ←", "previous scan"),
    ("] [", "one minute later / earlier (at least one scan)"),
    ("Home End", "first / last scan of the recording"),
    (
        "b",
        "go to a time (UTC): 03:00, 2026-12-05 03:00:10, -5m, +30s, @UNIX",
    ),
    ("↑ ↓ j PgUp PgDn g G", "move the selection"),
    (
        "Enter",
        "what the recording holds about the selected process",
    ),
    (
        "< >  F6",
        "sort by the previous / next column, or from a list",
    ),
    ("P M N f % x", "sort by CPU%, RSS, PID, FDS, FD%, CSW/s"),
    ("I  r", "reverse the order (or press a sort key again)"),
    ("/  n", "search: jump to a match, n the next"),
    (
        "\\  F4",
        "filter by name, command line, user or PID (Esc clears)",
    ),
    ("u  K", "one user's processes; hide kernel threads"),
    ("v  F5", "tree view: children under their parent"),
    ("?  h  F1", "this help"),
    ("q  Ctrl-C", "quit"),
];

/// The status line's reminder of the stepping keys.
pub fn status_keys() -> &'static str {
    " · t/T step · [ ] ±1 min · b time"
}

/// `w` in a replay: the live watch reads /proc, which a recorded process
/// is no longer in.
pub fn no_watch(pid: i32) -> Vec<String> {
    vec![
        format!(
            "The live watch is not available in a replay: it reads process {pid} in /proc now,"
        ),
        "and the process shown is a recording.".into(),
        String::new(),
        "Press Enter for what the recording holds about it, or run".into(),
        "proctor report FILE --pid PID for its history.".into(),
    ]
}

/// The lines of the replay's inspect panel.
pub fn recorded(
    r: &crate::analysis::replay::Recorded,
    millis: bool,
    user: Option<&[u8]>,
) -> Vec<String> {
    let mut v = vec![
        format!("process {} ({})", r.pid, escape_for_terminal(&r.comm)),
        format!("  parent PID       {}", r.ppid),
        format!("  start (ticks)    {}", r.start_ticks),
        format!(
            "  user             {}",
            match (r.uid, user) {
                (Some(_), Some(n)) => escape_for_terminal(n),
                (Some(u), None) => u.to_string(),
                (None, _) => "? (not recorded)".into(),
            }
        ),
    ];
    let cmd = if r.cmdline.is_empty() {
        format!("[{}]", escape_for_terminal(&r.comm))
    } else {
        let body = r.cmdline.strip_suffix(b"\0").unwrap_or(&r.cmdline);
        let joined: Vec<u8> = body
            .iter()
            .map(|&b| if b == 0 { b' ' } else { b })
            .collect();
        escape_for_terminal(&joined)
    };
    v.push(format!("  command          {cmd}"));
    if r.kernel_thread {
        v.push("  kernel thread".into());
    }
    v.push(format!(
        "  workload         {}",
        r.workload.as_deref().map_or_else(
            || "none recorded".into(),
            |w| escape_for_terminal(w.as_bytes())
        )
    ));
    let first = if r.seen_before {
        format!("before {}", utc(r.first_ms, millis))
    } else {
        utc(r.first_ms, millis)
    };
    v.push(format!("  first seen       {first}"));
    v.push(format!(
        "  last seen        {}{}",
        utc(r.last_ms, millis),
        if r.exited { " (then exited)" } else { "" }
    ));
    v.push(String::new());
    v.push("recorded at this scan:".into());
    for &(m, val) in &r.values {
        v.push(format!("  {:<16} {}", metric_name(m), metric_value(m, val)));
    }
    v.push(String::new());
    v.push("Only what was recorded: descriptors, maps, environment and limits other".into());
    v.push("than RLIMIT_NOFILE are not in the history (the process is not read now).".into());
    v
}

fn metric_name(m: ProcMetric) -> &'static str {
    match m {
        ProcMetric::State => "state",
        ProcMetric::Rss => "RSS",
        ProcMetric::Fds => "descriptors",
        ProcMetric::Threads => "threads",
        ProcMetric::Cpu => "CPU time",
        ProcMetric::Switches => "context switches",
        ProcMetric::ReadBytes => "storage read",
        ProcMetric::WriteBytes => "storage written",
        ProcMetric::FdLimit => "RLIMIT_NOFILE",
    }
}

fn metric_value(m: ProcMetric, v: Option<u64>) -> String {
    let Some(x) = v else {
        return "? (not recorded)".into();
    };
    match m {
        ProcMetric::State => u8::try_from(x)
            .ok()
            .filter(u8::is_ascii_graphic)
            .map_or_else(|| "?".into(), |c| char::from(c).to_string()),
        ProcMetric::Rss => crate::render::units::iec(x.saturating_mul(1024)),
        ProcMetric::ReadBytes | ProcMetric::WriteBytes => crate::render::units::iec(x),
        ProcMetric::Cpu => format!("{x} ticks"),
        _ => x.to_string(),
    }
}

/// `--at` outside the recording: the message (the hint is [`outside_hint`]).
pub fn outside(path: &Path, at: i64, first: i64, last: i64) -> String {
    format!(
        "{} is not in {}: it holds scans from {} to {}",
        utc(at, true),
        shown(path),
        utc(first, true),
        utc(last, true)
    )
}

pub fn outside_hint() -> &'static str {
    "give --at within the recording: e.g. 5m (before its end) or a UTC time between the two; without --at it opens at its end (or just before the last OOM kill recorded)"
}

pub fn empty(path: &Path) -> String {
    format!("{} holds no scan yet", shown(path))
}

pub fn empty_hint() -> &'static str {
    "let proctor record run for at least one interval, then replay it"
}

/// The table's footer line in a replay: `top`'s, with the replay's reason
/// for lifetime averages (no scan before in this recording run).
pub fn footer(
    scan: &crate::reader::Scan,
    shown: usize,
    basis: crate::analysis::top::RateBasis,
) -> String {
    super::top::footer(scan, shown, basis)
        .replace(
            " (--sample 1s for current rates)",
            " (the first scan of a recording run)",
        )
        .replace(
            "unreadable (stat refused or malformed, skipped)",
            "unreadable (when recorded, or their values missing from the file; skipped)",
        )
        .replace(
            "exited during the scan (skipped)",
            "exited during the recorded scan (skipped)",
        )
}

/// The header's line when a step had to load a new window of the file.
pub fn slow_step(took: std::time::Duration) -> String {
    format!(
        "reading the file took {} ms for this step",
        took.as_millis()
    )
}

/// The line while a time is typed (`b`).
pub fn typing(text: &str) -> String {
    format!(
        "go to (UTC: 03:00, 2026-12-05 03:00:10, -5m, +30s, @UNIX): {text}▏ (Enter to go, Esc to cancel)"
    )
}

/// A typed text that is not a time.
pub fn not_a_time(text: &str) -> String {
    format!(
        "'{}' is not a time: type e.g. 03:00 (UTC), 2026-12-05 03:00:10, -5m or +30s",
        escape_for_terminal(text.as_bytes())
    )
}

/// Why the replay opened where it did: the last OOM kill recorded.
pub fn before_oom(k: &crate::analysis::replay::OomRef, millis: bool) -> String {
    let victim = match k.pid {
        Some(pid) => format!("{} ({pid})", escape_for_terminal(&k.name.0)),
        None => escape_for_terminal(&k.name.0),
    };
    format!(
        "at the last scan before the last OOM kill recorded: {victim} at {} (--at or Home/End to move)",
        utc(k.at_ms, millis)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(utc(1_796_439_610_250, false), "2026-12-05 03:00:10Z");
        assert_eq!(utc(1_796_439_610_250, true), "2026-12-05 03:00:10.250Z");
        assert_eq!(
            rfc3339(1_796_439_610_250).as_deref(),
            Some("2026-12-05T03:00:10.250Z")
        );
        assert_eq!(rfc3339(-1), None);
    }

    #[test]
    fn changes_name_a_few_and_count_the_rest() {
        let p = |pid: i32, n: &str| (pid, n.as_bytes().to_vec());
        let started: Vec<_> = (1..=6).map(|i| p(i, "w")).collect();
        assert_eq!(
            changes_line(&started, &[p(9, "old")], false),
            "this scan: 6 started: w (1), w (2), w (3), w (4), +2 more · 1 exited: old (9)"
        );
        assert_eq!(
            changes_line(&[], &[], false),
            "this scan: no process started or exited"
        );
        assert!(changes_line(&started, &[], true).starts_with("first scan of a recording run"));
        // Recorded names are escaped.
        let l = changes_line(&[p(3, "evil\x1b[2Jname")], &[], false);
        assert!(!l.contains('\x1b'), "{l}");
    }

    #[test]
    fn the_header_escapes_the_path_and_says_the_position() {
        let path = Path::new("/tmp/a\x1b]0;x\x07.db");
        let l = position_line(&Position {
            path,
            t_ms: 1_796_439_610_000,
            index: 122,
            count: 8640,
            span: (1_796_439_000_000, 1_796_440_000_000),
            interval_ms: 10_000,
        });
        assert!(!l.contains('\x1b') && !l.contains('\x07'), "{l}");
        assert!(l.starts_with("REPLAY /tmp/a"), "{l}");
        assert!(
            l.ends_with(
                "· 2026-12-05 03:00:10Z · scan 123 of 8640 (recorded 2026-12-05 02:50:00Z to 2026-12-05 03:06:40Z)"
            ),
            "{l}"
        );
    }

    #[test]
    fn host_values_not_recorded_are_unknown() {
        let l = host_line(&HostValues::default());
        assert_eq!(l, "Mem ? total, ? available · load ?");
        let l = host_line(&HostValues {
            mem_total_kb: Some(4 * 1024 * 1024),
            mem_available_kb: Some(1024 * 1024),
            swap_total_kb: Some(0),
            swap_free_kb: Some(0),
            load1_centi: Some(152),
            oom_kills: Some(3),
        });
        assert!(
            l.contains("(25%)") && l.contains("no swap") && l.contains("load 1.52"),
            "{l}"
        );
        assert!(l.ends_with("3 OOM kills since boot"), "{l}");
    }
}
