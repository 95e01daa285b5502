//! `/proc/PID/cmdline` and `/proc/PID/environ`: NUL-separated byte strings,
//! any bytes allowed (procfs' `cmdline()` fails on non-UTF-8 arguments).

/// Split a NUL-separated buffer. A trailing NUL ends the last item; empty
/// items in the middle (empty arguments) are kept.
pub fn split_nul(b: &[u8]) -> Vec<Vec<u8>> {
    if b.is_empty() {
        return Vec::new();
    }
    let body = b.strip_suffix(b"\0").unwrap_or(b);
    body.split(|&c| c == 0).map(<[u8]>::to_vec).collect()
}

/// Number of entries in an environ buffer, empty ones (a run of NULs)
/// not counted, as `env` does not show them. Counts without allocating:
/// the buffer may be a megabyte of NULs.
pub fn count_nul(b: &[u8]) -> usize {
    b.split(|&c| c == 0).filter(|i| !i.is_empty()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_arguments_keeping_empty_ones() {
        assert_eq!(
            split_nul(b"sleep\x001000\x00"),
            vec![b"sleep".to_vec(), b"1000".to_vec()]
        );
        assert_eq!(
            split_nul(b"a\x00\x00\xff\x00"),
            vec![b"a".to_vec(), b"".to_vec(), b"\xff".to_vec()]
        );
        assert!(split_nul(b"").is_empty());
        // setproctitle-style rewrite without a trailing NUL.
        assert_eq!(
            split_nul(b"nginx: worker process"),
            vec![b"nginx: worker process".to_vec()]
        );
        assert_eq!(count_nul(b"A=1\x00B=2\x00"), 2);
        assert_eq!(count_nul(b"A=1\x00\x00\x00B=2"), 2);
        assert_eq!(count_nul(&[0u8; 4096]), 0);
    }
}
