//! `top`: the cells of a process row (shared by `--once` and the TUI), the
//! once-table, its footer and the host header line.

use crate::analysis::top::{RateBasis, SortKey, TopRow};
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
    }
}

/// The command-line cell, indented under its parent at tree `depth`
/// (0: no tree mark).
pub fn command_cell(r: &TopRow<'_>, depth: usize) -> String {
    let cmd = cell(r, SortKey::Cmdline);
    if depth == 0 {
        return cmd;
    }
    format!("{}└ {cmd}", "  ".repeat(depth.min(20) - 1))
}

pub fn align(key: SortKey) -> Align {
    match key {
        SortKey::User | SortKey::Name | SortKey::State | SortKey::Cmdline => Align::Left,
        _ => Align::Right,
    }
}

/// The once-table. `width` cuts the command column to fit a terminal
/// (None when piped: nothing is cut).
pub fn table(rows: &[&TopRow<'_>], depth: Option<&[usize]>, width: Option<usize>) -> String {
    let cols: Vec<(&'static str, Align)> = SortKey::COLUMNS
        .iter()
        .map(|&k| (k.header(), align(k)))
        .collect();
    let mut t = Table::new(&cols);
    let mut widths = [0usize; 10];
    let mut cells: Vec<[String; 10]> = Vec::with_capacity(rows.len());
    for r in rows {
        let c: [String; 10] = std::array::from_fn(|i| cell(r, SortKey::COLUMNS[i]));
        for (w, s) in widths.iter_mut().zip(&c) {
            *w = (*w).max(s.chars().count());
        }
        cells.push(c);
    }
    for (w, k) in widths.iter_mut().zip(SortKey::COLUMNS) {
        *w = (*w).max(k.header().len());
    }
    let used: usize = widths.iter().map(|w| w + 2).sum();
    let room = width.map(|w| w.saturating_sub(used).max(10));
    for (i, (r, c)) in rows.iter().zip(cells).enumerate() {
        for s in c {
            t.cell(&s);
        }
        let indent = depth.and_then(|d| d.get(i)).copied().unwrap_or(0);
        let mut cmd = command_cell(r, indent);
        if let Some(room) = room {
            if cmd.chars().count() > room {
                cmd = cmd.chars().take(room.saturating_sub(1)).collect::<String>() + "…";
            }
        }
        t.cell(&cmd);
    }
    t.render(0, |h| h.to_string())
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
    fn compact_sizes() {
        assert_eq!(compact_size(512), "512B");
        assert_eq!(compact_size(1536), "1.5K");
        assert_eq!(compact_size(3 << 30), "3.0G");
        assert_eq!(compact_size(200 << 20), "200M");
    }
}
