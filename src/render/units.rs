//! Sizes in IEC units and durations in words.

/// `bytes` (at least 1 KiB) scaled to its binary unit: (value, index into
/// K, M, G, T, P, E).
pub fn scale(bytes: u64) -> (f64, usize) {
    let mut v = bytes as f64 / 1024.0;
    let mut i = 0;
    while v >= 1024.0 && i < 5 {
        v /= 1024.0;
        i += 1;
    }
    (v, i)
}

/// `1536` -> `1.5 KiB`; bytes below 1 KiB are shown exactly.
pub fn iec(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let (v, i) = scale(bytes);
    if v >= 100.0 {
        format!("{v:.0} {}", UNITS[i])
    } else if v >= 10.0 {
        format!("{v:.1} {}", UNITS[i])
    } else {
        format!("{v:.2} {}", UNITS[i])
    }
}

/// `3725.0` -> `1h 2m`; `42.7` -> `42s`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (d, h, m, sec) = (s / 86400, (s % 86400) / 3600, (s % 3600) / 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iec_units() {
        assert_eq!(iec(0), "0 B");
        assert_eq!(iec(1023), "1023 B");
        assert_eq!(iec(1024), "1.00 KiB");
        assert_eq!(iec(1536), "1.50 KiB");
        assert_eq!(iec(512 * 1024 * 1024), "512 MiB");
        assert_eq!(iec(2 * 1024 * 1024 * 1024 - 1024 * 1024 * 100), "1.90 GiB");
        assert_eq!(iec(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(42.7), "43s");
        assert_eq!(duration(42.2), "42s");
        assert_eq!(duration(125.0), "2m 5s");
        assert_eq!(duration(3725.0), "1h 2m");
        assert_eq!(duration(90000.0), "1d 1h");
        assert_eq!(duration(-5.0), "0s");
    }
}
