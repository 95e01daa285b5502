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
    /// Without `--at` and with an OOM kill recorded: the kill the scan
    /// shown is the last one before.
    pub before_oom_kill: Option<OomRef>,
    /// Parts of the file that could not be read back (`part: detail`).
    pub damage: Vec<String>,
    pub rows: Vec<crate::analysis::top::JsonRow>,
}

/// An OOM kill recorded: when, its victim.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OomRef {
    pub at_ms: i64,
    pub pid: Option<i32>,
    pub name: crate::text::Text,
}

const DAY_MS: i64 = 86_400_000;

/// A time typed in the interactive replay (`b`), in Unix ms: `HH:MM`,
/// `HH:MM:SS[.mmm]` (UTC, on the shown scan's day), `YYYY-MM-DD HH:MM[:SS]`
/// (UTC), `-5m` or `+30s` (from the shown scan), `@UNIX` (seconds). None:
/// not a time.
pub fn typed_time(text: &str, shown_ms: i64) -> Option<i64> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
        let d = humantime::parse_duration(rest.trim()).ok()?;
        let ms = i64::try_from(d.as_millis()).ok()?;
        return if t.starts_with('-') {
            shown_ms.checked_sub(ms)
        } else {
            shown_ms.checked_add(ms)
        };
    }
    if let Some(secs) = t.strip_prefix('@') {
        let v: f64 = secs.trim().parse().ok()?;
        return (v.is_finite() && v.abs() < 1e13).then(|| (v * 1000.0).round() as i64);
    }
    if t.len() >= 10 && t.as_bytes().get(4) == Some(&b'-') {
        let mut x = t.replacen('T', " ", 1);
        if x.ends_with(['Z', 'z']) {
            x.pop();
        }
        match x.len() {
            10 => x.push_str(" 00:00:00"),
            16 => x.push_str(":00"),
            _ => {}
        }
        let at = humantime::parse_rfc3339_weak(&x).ok()?;
        let ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
        return i64::try_from(ms).ok();
    }
    // A time of day on the shown scan's (UTC) day.
    let mut parts = t.split(':');
    let h: i64 = parts.next()?.trim().parse().ok()?;
    let m: i64 = parts.next()?.trim().parse().ok()?;
    let s: f64 = match parts.next() {
        Some(s) => s.trim().parse().ok()?,
        None => 0.0,
    };
    if parts.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0.0..60.0).contains(&s)
    {
        return None;
    }
    let day = shown_ms.div_euclid(DAY_MS).checked_mul(DAY_MS)?;
    day.checked_add(h * 3_600_000 + m * 60_000 + (s * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::typed_time;

    /// 2026-12-05 03:00:10.250 UTC.
    const SHOWN: i64 = 1_796_439_610_250;

    #[test]
    fn typed_times() {
        assert_eq!(typed_time("-5m", SHOWN), Some(SHOWN - 300_000));
        assert_eq!(typed_time("+30s", SHOWN), Some(SHOWN + 30_000));
        assert_eq!(typed_time("@1796439600", SHOWN), Some(1_796_439_600_000));
        assert_eq!(typed_time("02:59", SHOWN), Some(1_796_439_540_000));
        assert_eq!(typed_time("03:00:10.5", SHOWN), Some(1_796_439_610_500));
        assert_eq!(
            typed_time("2026-12-05 03:00", SHOWN),
            Some(1_796_439_600_000)
        );
        assert_eq!(
            typed_time("2026-12-04T03:00:10Z", SHOWN),
            Some(1_796_439_610_000 - 86_400_000)
        );
        for bad in [
            "",
            "x",
            "25:00",
            "03:61",
            "1:2:3:4",
            "+",
            "-x",
            "@nan",
            "2026-13-01",
        ] {
            assert_eq!(typed_time(bad, SHOWN), None, "{bad}");
        }
        // Extremes of the shown time: no overflow.
        assert_eq!(typed_time("00:00", i64::MIN), None);
        assert_eq!(typed_time("+1000000000000d", i64::MAX), None);
    }

    proptest::proptest! {
        /// Whatever is typed, at whatever shown time: an answer, never a panic.
        #[test]
        fn typed_time_never_panics(text in ".{0,40}", shown in proptest::num::i64::ANY) {
            let _ = typed_time(&text, shown);
        }
    }
}
