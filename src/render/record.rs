//! The words of `proctor record`: its start line and its summary.

use std::path::Path;
use std::time::Duration;

use crate::store::Totals;

fn shown(p: &Path) -> String {
    crate::text::escape_for_terminal(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()))
}

pub fn started(
    path: &Path,
    interval: Duration,
    retain: Duration,
    max: u64,
    targets: usize,
) -> String {
    let what = match targets {
        0 => "every process".to_string(),
        1 => "1 process".to_string(),
        n => format!("{n} processes"),
    };
    format!(
        "recording {what} to {} every {} (keeping {}, at most {}); Ctrl-C stops",
        shown(path),
        interval_words(interval),
        super::units::duration(retain.as_secs_f64()),
        super::units::iec(max),
    )
}

/// An interval as given: `250ms` under ten seconds when not whole,
/// else the usual duration words.
fn interval_words(d: Duration) -> String {
    if d < Duration::from_secs(10) && d.subsec_millis() != 0 {
        format!("{}ms", d.as_millis())
    } else {
        super::units::duration(d.as_secs_f64())
    }
}

pub fn targets_gone() -> &'static str {
    "every target exited; recording stopped"
}

pub fn summary(path: &Path, t: &Totals) -> String {
    let mut s = format!(
        "recorded {} scans of {} processes ({} rows of changes) to {}, now {}",
        t.scans,
        t.processes,
        t.process_rows,
        shown(path),
        super::units::iec(t.bytes),
    );
    if t.ooms > 0 {
        s.push_str(&format!("; {} OOM kills", t.ooms));
    }
    if t.dropped_scans > 0 {
        s.push_str(&format!(
            "; {} old scans dropped (retention, size)",
            t.dropped_scans
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_line_says_a_short_interval_in_milliseconds() {
        let p = Path::new("/tmp/h.db");
        let day = Duration::from_secs(86_400);
        let s = started(p, Duration::from_millis(250), day, 1 << 20, 2);
        assert!(
            s.starts_with("recording 2 processes to /tmp/h.db every 250ms ("),
            "{s}"
        );
        let s = started(p, Duration::from_secs(10), day, 500 << 20, 0);
        assert!(
            s.starts_with("recording every process to /tmp/h.db every 10s ("),
            "{s}"
        );
        assert!(s.contains("at most 500 MiB"), "{s}");
    }
}
