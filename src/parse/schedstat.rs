//! `/proc/PID/schedstat`: three numbers, `run wait timeslices` (time spent
//! on a CPU in ns, time spent waiting for one in ns, and the number of
//! timeslices run). The whole-table scan reads the run time to tell
//! whether a process ran since the last scan: one that did not has not
//! switched either, and its `status` is not re-read.

use super::parse_u64;

/// The run time in ns (the first field), None when it is missing or not a
/// decimal number (a file starting with whitespace has an empty first
/// field: None).
pub fn run_time_ns(b: &[u8]) -> Option<u64> {
    b.split(|c| c.is_ascii_whitespace())
        .next()
        .and_then(parse_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_time_is_the_first_field() {
        // /proc/PID/schedstat of a bash on Linux 6.18.
        assert_eq!(run_time_ns(b"43445117 17142263 145\n"), Some(43_445_117));
        // A process that never ran.
        assert_eq!(run_time_ns(b"0 0 0\n"), Some(0));
        assert_eq!(run_time_ns(b"18446744073709551615 0 0\n"), Some(u64::MAX));
    }

    #[test]
    fn malformed_is_none() {
        assert_eq!(run_time_ns(b""), None);
        assert_eq!(run_time_ns(b" 3563011 1203404 21\n"), None);
        assert_eq!(run_time_ns(b"35630x1 1203404 21\n"), None);
        assert_eq!(run_time_ns(b"-1 0 0\n"), None);
        assert_eq!(run_time_ns(b"18446744073709551616 0 0\n"), None);
    }
}
