//! `/proc/PID/smaps` and `smaps_rollup`: a header line per mapping, then
//! `Key:   N kB` lines. Hand-written rather than procfs' `MemoryMaps`:
//! that parser multiplies by 1024 unchecked (a panic in debug builds on a
//! large value, found by the mutation test in `parse`), slices mapping
//! paths by fixed offsets (a `/SYSV` path shorter than expected panics),
//! and allocates a map per mapping, where a process can have 65,000
//! mappings and 15 MB of smaps text.

use std::collections::HashMap;

use super::{ParseFail, parse_u64, trim};

/// `smaps_rollup`: totals by key (`Rss`, `Pss`, `Swap`, ...), in bytes,
/// and the keys whose value is not a valid number (`abc kB`, `-5 kB`, past
/// u64 once in bytes): those are unknown, not zero, and one of them does
/// not cost the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    pub values: HashMap<String, u64>,
    /// Keys present with a value that did not parse, in file order (at
    /// most [`ROLLUP_INVALID_CAP`]: the file is capped, but a crafted
    /// --proc-root could repeat a line).
    pub invalid: Vec<String>,
}

/// The most invalid keys kept from one rollup.
pub const ROLLUP_INVALID_CAP: usize = 64;

impl Rollup {
    pub fn get(&self, key: &str) -> Option<u64> {
        self.values.get(key).copied()
    }

    /// Whether `key` was present but not a valid number.
    pub fn is_invalid(&self, key: &str) -> bool {
        self.invalid.iter().any(|k| k == key)
    }
}

/// Parse `smaps_rollup`. An error only when no `Key: value` line is there
/// at all; a value that does not parse is listed in [`Rollup::invalid`].
pub fn parse_rollup(b: &[u8]) -> Result<Rollup, ParseFail> {
    let mut out = Rollup::default();
    let mut lines = 0usize;
    for line in b.split(|&c| c == b'\n').skip(1) {
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let key = &line[..colon];
        if key.is_empty() || !key.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_') {
            continue;
        }
        lines += 1;
        let key = String::from_utf8_lossy(key).into_owned();
        match kb_bytes(&line[colon + 1..]) {
            Some(v) => {
                out.values.insert(key, v);
            }
            None => {
                out.values.remove(&key);
                if !out.invalid.contains(&key) && out.invalid.len() < ROLLUP_INVALID_CAP {
                    out.invalid.push(key);
                }
            }
        }
    }
    if lines == 0 {
        return Err(ParseFail {
            field: "smaps_rollup lines",
        });
    }
    Ok(out)
}

/// `  N kB` -> N * 1024; a bare `N` (no unit) is bytes. None when N is
/// not a decimal number or the bytes pass u64.
fn kb_bytes(value: &[u8]) -> Option<u64> {
    let value = trim(value);
    let (num, unit) = match value.strip_suffix(b"kB") {
        Some(n) => (trim(n), 1024u64),
        None => (value, 1),
    };
    parse_u64(num)?.checked_mul(unit)
}

/// One mapping of `smaps`; sizes in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub perms: [u8; 4],
    pub offset: u64,
    pub dev: Vec<u8>,
    pub inode: u64,
    /// Path or `[heap]`, `[stack]`, `[vdso]`, `[anon:name]`; empty for
    /// anonymous memory. The kernel escapes `\n` in paths as `\012`.
    pub path: Vec<u8>,
    /// Sizes: None when the line is missing from the block or its value
    /// is not a valid number (unknown, never 0).
    pub size: Option<u64>,
    pub rss: Option<u64>,
    pub pss: Option<u64>,
    pub swap: Option<u64>,
    pub anonymous: Option<u64>,
}

fn hex(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    let mut v = 0u64;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u64::from(d);
    }
    Some(v)
}

/// Where the path starts in a header line (`start-end perms offset dev
/// inode   path`): after five space-separated fields and the padding that
/// follows. None for other lines (`Rss:  4 kB`, which start with neither a
/// digit nor `a`-`f`) and for a header without a path (anonymous memory).
pub fn header_path_start(line: &[u8]) -> Option<usize> {
    let first = *line.first()?;
    if !(first.is_ascii_digit() || (b'a'..=b'f').contains(&first)) {
        return None;
    }
    let mut i = 0;
    for _ in 0..5 {
        i += line[i..].iter().position(|&c| c == b' ')?;
        i += line[i..].iter().position(|&c| c != b' ')?;
    }
    Some(i)
}

/// A header line: `start-end perms offset dev inode   path` (a line of
/// `maps` too). The path is last: whatever a file's name holds, it cannot
/// move the fields before it.
pub fn header(line: &[u8]) -> Option<Mapping> {
    let mut rest = line;
    let mut field = || -> Option<&[u8]> {
        let start = rest.iter().position(|c| *c != b' ')?;
        rest = &rest[start..];
        let end = rest.iter().position(|c| *c == b' ').unwrap_or(rest.len());
        let f = &rest[..end];
        rest = &rest[end..];
        Some(f)
    };
    let range = field()?;
    let perms = field()?;
    let offset = field()?;
    let dev = field()?;
    let inode = field()?;
    let dash = range.iter().position(|&c| c == b'-')?;
    let path = &rest[rest.iter().position(|c| *c != b' ').unwrap_or(rest.len())..];
    Some(Mapping {
        start: hex(&range[..dash])?,
        end: hex(&range[dash + 1..])?,
        perms: perms.try_into().ok()?,
        offset: hex(offset)?,
        dev: dev.to_vec(),
        inode: parse_u64(inode)?,
        path: path.to_vec(),
        ..Mapping::default()
    })
}

/// `Key:   N kB` -> N * 1024; None when N is not a number or the bytes
/// pass u64 (unknown: never 0, never saturated).
fn kb_value(line: &[u8], key_len: usize) -> Option<u64> {
    kb_bytes(&line[key_len..])
}

/// Every mapping in an `smaps` file, in address order. Blocks with a
/// malformed header are skipped.
pub fn parse_smaps(b: &[u8]) -> Vec<Mapping> {
    let mut p = SmapsParser::default();
    for line in b.split(|&c| c == b'\n') {
        p.line(line);
    }
    p.finish()
}

/// Line-at-a-time smaps parser, so the reader can stream a large file
/// instead of holding its text and the parsed mappings at once.
#[derive(Debug, Default)]
pub struct SmapsParser {
    out: Vec<Mapping>,
    cur: Option<Mapping>,
}

impl SmapsParser {
    pub fn line(&mut self, line: &[u8]) {
        let Some(&first) = line.first() else { return };
        if first.is_ascii_digit() || (b'a'..=b'f').contains(&first) {
            if let Some(m) = self.cur.take() {
                self.out.push(m);
            }
            self.cur = header(line);
            return;
        }
        let Some(m) = self.cur.as_mut() else { return };
        if line.starts_with(b"Size:") {
            m.size = kb_value(line, 5);
        } else if line.starts_with(b"Rss:") {
            m.rss = kb_value(line, 4);
        } else if line.starts_with(b"Pss:") {
            m.pss = kb_value(line, 4);
        } else if line.starts_with(b"Swap:") {
            m.swap = kb_value(line, 5);
        } else if line.starts_with(b"Anonymous:") {
            m.anonymous = kb_value(line, 10);
        }
    }

    pub fn finish(mut self) -> Vec<Mapping> {
        if let Some(m) = self.cur.take() {
            self.out.push(m);
        }
        self.out
    }
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
        assert_eq!(m.get("Rss"), Some(44288 * 1024));
        assert_eq!(m.get("Pss"), Some(42532 * 1024));
        assert_eq!(m.get("Swap"), Some(0));
        assert!(m.invalid.is_empty());
    }

    #[test]
    fn invalid_rollup_values_are_listed_not_dropped_with_the_rest() {
        let big = b"00400000-00401000 r--p 00000000 00:00 0    [rollup]\nRss: 18446744073709551 kB\nPss: 8 kB\nSwap: -5 kB\nAnonymous: abc kB\n";
        let r = parse_rollup(big).unwrap();
        assert_eq!(r.get("Rss"), None);
        assert_eq!(r.get("Pss"), Some(8192));
        assert_eq!(r.invalid, ["Rss", "Swap", "Anonymous"]);
        assert!(r.is_invalid("Swap") && !r.is_invalid("Pss"));
        let only_bad = parse_rollup(b"h\nPss: x kB\n").unwrap();
        assert_eq!((only_bad.get("Pss"), only_bad.invalid.len()), (None, 1));
        assert!(parse_rollup(b"").is_err());
        assert!(parse_rollup(b"header only\n").is_err());
    }

    const SMAPS: &[u8] = b"55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1310755                    /usr/bin/sleep\nSize:                  8 kB\nKernelPageSize:        4 kB\nRss:                   8 kB\nPss:                   4 kB\nPss_Dirty:             0 kB\nSwap:                  0 kB\nAnonymous:             0 kB\nVmFlags: rd mr mw me sd\n55d0c1e4f000-55d0c1e70000 rw-p 00000000 00:00 0                          [heap]\nSize:                132 kB\nRss:                   4 kB\nPss:                   4 kB\nSwap:                 12 kB\nAnonymous:             4 kB\nVmFlags: rd wr mr mw me ac sd\n7f00aa000000-7f00aa001000 rw-s 00000000 00:01 77                         /dev/shm/my seg (deleted)\nSize:                  4 kB\nRss:                   4 kB\nPss:                   2 kB\n7ffc1a000000-7ffc1a021000 rw-p 00000000 00:00 0                          [stack]\nSize:                132 kB\nRss:                  16 kB\nPss:                  16 kB\nAnonymous:            16 kB\n";

    #[test]
    fn parses_mappings() {
        let m = parse_smaps(SMAPS);
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].start, 0x55d0c0a00000);
        assert_eq!(m[0].end, 0x55d0c0a02000);
        assert_eq!(&m[0].perms, b"r--p");
        assert_eq!(m[0].dev, b"fd:01");
        assert_eq!(m[0].inode, 1310755);
        assert_eq!(m[0].path, b"/usr/bin/sleep");
        assert_eq!(
            (m[0].size, m[0].rss, m[0].pss),
            (Some(8192), Some(8192), Some(4096))
        );
        assert_eq!(m[1].path, b"[heap]");
        assert_eq!((m[1].swap, m[1].anonymous), (Some(12 * 1024), Some(4096)));
        // A line missing from a block is unknown, not 0.
        assert_eq!((m[2].swap, m[2].anonymous), (None, None));
        assert_eq!(m[2].path, b"/dev/shm/my seg (deleted)");
        assert_eq!(&m[2].perms, b"rw-s");
        assert_eq!(m[3].path, b"[stack]");
    }

    #[test]
    fn where_a_header_path_starts() {
        let line = b"7f3c8e400000-7f3c8e428000 r--p 00000000 fd:01 1835106                    /usr/lib/x86_64-linux-gnu/libc.so.6";
        let i = header_path_start(line).unwrap();
        assert_eq!(&line[i..], b"/usr/lib/x86_64-linux-gnu/libc.so.6");
        let line =
            b"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";
        assert_eq!(&line[header_path_start(line).unwrap()..], b"[vsyscall]");
        // Anonymous memory: no path.
        assert_eq!(header_path_start(b"7f00-7f01 rw-p 00000000 00:00 0"), None);
        assert_eq!(
            header_path_start(b"7f00-7f01 rw-p 00000000 00:00 0   "),
            None
        );
        assert_eq!(header_path_start(b"Rss:                   4 kB"), None);
        assert_eq!(header_path_start(b"VmFlags: rd ex mr mw me sd"), None);
        assert_eq!(header_path_start(b""), None);
    }

    #[test]
    fn corrupt_smaps_never_panics() {
        for cut in 0..SMAPS.len() {
            let _ = parse_smaps(&SMAPS[..cut]);
        }
        assert!(parse_smaps(b"zz-yy rw-p 0 0 0\nRss: 4 kB\n").is_empty());
        let m = parse_smaps(b"1000-2000 rw-p 00000000 00:00 0\nRss: 99999999999999999999 kB\nPss: 18446744073709551 kB\nSize: 8 kB\nSwap: -5 kB\nAnonymous: abc kB\n");
        assert_eq!(m.len(), 1);
        // Invalid values are unknown: never 0, never saturated.
        assert_eq!(m[0].pss, None);
        assert_eq!(m[0].rss, None);
        assert_eq!(m[0].swap, None);
        assert_eq!(m[0].anonymous, None);
        assert_eq!(m[0].size, Some(8192));
        assert!(m[0].path.is_empty());
    }
}
