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
        super::units::duration(interval.as_secs_f64()),
        super::units::duration(retain.as_secs_f64()),
        super::units::iec(max),
    )
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
