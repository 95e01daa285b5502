//! `/proc/PID/smaps_rollup`: a header line, then `Key:   N kB` lines.
//! Hand-written rather than procfs' `SmapsRollup`: that parser multiplies
//! by 1024 unchecked, which panics in debug builds on a large value (found
//! by the mutation test in `parse`), and `watch` will read this file often.

use std::collections::HashMap;

use super::{ParseFail, parse_u64, trim};

/// Totals by key (`Rss`, `Pss`, `Swap`, ...), in bytes.
pub fn parse_rollup(b: &[u8]) -> Result<HashMap<String, u64>, ParseFail> {
    let mut out = HashMap::new();
    for line in b.split(|&c| c == b'\n').skip(1) {
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let key = &line[..colon];
        if key.is_empty() || !key.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_') {
            continue;
        }
        let value = trim(&line[colon + 1..]);
        let (num, unit) = match value.strip_suffix(b"kB") {
            Some(n) => (trim(n), 1024u64),
            None => (value, 1),
        };
        let Some(v) = parse_u64(num).and_then(|n| n.checked_mul(unit)) else {
            return Err(ParseFail {
                field: "smaps_rollup value",
            });
        };
        out.insert(String::from_utf8_lossy(key).into_owned(), v);
    }
    if out.is_empty() {
        return Err(ParseFail {
            field: "smaps_rollup lines",
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_captured_rollup() {
        let m = parse_rollup(include_bytes!(
            "../../tests/fixtures/v1-basic/proc/4242/smaps_rollup"
        ))
        .unwrap();
        assert_eq!(m["Rss"], 44288 * 1024);
        assert_eq!(m["Pss"], 42532 * 1024);
        assert_eq!(m["Swap"], 0);
    }

    #[test]
    fn overflow_and_garbage_are_errors_not_panics() {
        let big =
            b"00400000-00401000 r--p 00000000 00:00 0    [rollup]\nRss: 18446744073709551 kB\n";
        assert!(parse_rollup(big).is_err());
        assert!(parse_rollup(b"").is_err());
        assert!(parse_rollup(b"header only\n").is_err());
        assert!(parse_rollup(b"h\nPss: x kB\n").is_err());
    }
}
