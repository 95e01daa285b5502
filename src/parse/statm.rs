//! `/proc/PID/statm`: a process's memory sizes in pages, one line of seven
//! space-separated numbers (`size resident shared text lib data dt`).
//! proctor reads only `resident` (RSS), at every `watch` sample.

use super::parse_u64;

/// The resident set size in pages (the second field), None when it is
/// missing or not a decimal number. Fields are split on single spaces, as
/// the kernel writes them.
pub fn resident_pages(b: &[u8]) -> Option<u64> {
    b.split(|&c| c == b' ').nth(1).and_then(parse_u64)
}

/// The resident set size in bytes, given the page size. Checked: a page
/// count past u64 once in bytes is unknown (None), never a wrapped value.
pub fn resident_bytes(b: &[u8], page_size: u64) -> Option<u64> {
    resident_pages(b)?.checked_mul(page_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// /proc/PID/statm of a bash on Linux 6.18 (x86_64).
    const STATM: &[u8] = b"1284 1044 785 193 0 303 0\n";

    #[test]
    fn resident_is_the_second_field() {
        assert_eq!(resident_pages(STATM), Some(1044));
        assert_eq!(resident_bytes(STATM, 4096), Some(1044 * 4096));
        // A kernel thread's statm: all zeros.
        assert_eq!(resident_bytes(b"0 0 0 0 0 0 0\n", 4096), Some(0));
    }

    #[test]
    fn malformed_or_overflowing_is_none() {
        assert_eq!(resident_pages(b""), None);
        assert_eq!(resident_pages(b"2232"), None);
        assert_eq!(resident_pages(b"2232 14x8 1152 189 0 295 0\n"), None);
        assert_eq!(resident_pages(b"2232 -1 1152 189 0 295 0\n"), None);
        // Two spaces: an empty field, not the next number.
        assert_eq!(resident_pages(b"2232  1408 1152\n"), None);
        let huge = format!("1 {} 0 0 0 0 0\n", u64::MAX / 2);
        assert_eq!(resident_pages(huge.as_bytes()), Some(u64::MAX / 2));
        assert_eq!(resident_bytes(huge.as_bytes(), 4096), None);
    }
}
