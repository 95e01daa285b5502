//! What a replay of the history shows of one recorded process: plain
//! data (the store's values at the shown scan), worded by
//! `render::replay`.

use crate::store::ProcMetric;

/// The recorded facts of one process at the shown scan, for the replay's
/// inspect panel.
pub struct Recorded {
    pub pid: i32,
    pub ppid: i32,
    pub start_ticks: u64,
    pub comm: Vec<u8>,
    pub cmdline: Vec<u8>,
    pub uid: Option<u32>,
    pub kernel_thread: bool,
    pub workload: Option<String>,
    /// Unix ms of its first and last sighting within the loaded window,
    /// and whether it was seen before the window or seen exiting.
    pub first_ms: i64,
    pub last_ms: i64,
    pub seen_before: bool,
    pub exited: bool,
    /// Each metric's value at the shown scan (None: not recorded).
    pub values: Vec<(ProcMetric, Option<u64>)>,
}

/// `top --replay FILE --json`: the shown scan and its rows (the rows are
/// `top --json`'s).
#[derive(Debug, serde::Serialize)]
pub struct JsonReplay {
    pub file: crate::text::Text,
    /// The shown scan's time: Unix milliseconds and RFC 3339 (UTC).
    pub at_ms: i64,
    pub at: Option<String>,
    /// 1-based position of the shown scan among the recording's scans.
    pub scan: usize,
    pub scans: usize,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Seconds between the scan before and the shown one (the rates);
    /// null at a recording run's first scan (lifetime averages).
    pub rates_over_seconds: Option<f64>,
    /// PIDs first seen at this scan, and seen at the scan before but not
    /// at this one.
    pub started: Vec<i32>,
    pub exited: Vec<i32>,
    /// Parts of the file that could not be read back (`part: detail`).
    pub damage: Vec<String>,
    pub rows: Vec<crate::analysis::top::JsonRow>,
}
