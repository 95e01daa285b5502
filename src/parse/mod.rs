//! Pure parsers for /proc and /sys files. Input is bytes, output is plain
//! data; no I/O, no global state, machine facts (page size, clock ticks) are
//! passed in by the caller. Every parser here takes attacker-controlled
//! bytes (a process chooses its own name, arguments and file names), so none
//! may panic, whatever the input: they return [`ParseFail`] instead.
//!
//! Kernel-formatted numeric files whose parser in `procfs-core` is robust
//! (io) are parsed there; see `reader`.

pub mod cgroup;
pub mod cgroupfs;
pub mod cmdline;
pub mod diag;
pub mod fdinfo;
pub mod fdlink;
pub mod host;
pub mod http;
pub mod kmsg;
pub mod limits;
pub mod mountinfo;
pub mod net;
#[cfg(test)]
mod props;
pub mod schedstat;
pub mod smaps;
pub mod stat;
pub mod statm;
pub mod status;
pub mod who;
pub mod workload;

/// A parse failure: which field was missing or malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseFail {
    pub field: &'static str,
}

pub(crate) fn fail<T>(field: &'static str) -> Result<T, ParseFail> {
    Err(ParseFail { field })
}

/// Parse an unsigned decimal from ASCII bytes, rejecting anything else.
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Parse a signed decimal (used for fields such as priority and nice).
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    match b.first() {
        Some(b'-') => parse_u64(&b[1..])
            .and_then(|v| i64::try_from(v).ok())
            .map(|v| -v),
        _ => parse_u64(b).and_then(|v| i64::try_from(v).ok()),
    }
}

/// The number a /proc directory entry or link is named by (a PID under
/// PROC, a descriptor under fd/, a thread under task/, the `self` link's
/// target): None for any other name (`self`, `net`, non-UTF-8). Signs are
/// accepted as `str::parse` accepts them; callers filter what they cannot
/// use (PIDs <= 0).
pub fn entry_number(name: &[u8]) -> Option<i32> {
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// Trim ASCII whitespace on both ends.
pub fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end.max(start)]
}

/// Parse a single number file such as `oom_score` or `memory.current`.
pub fn parse_single_u64(b: &[u8]) -> Result<u64, ParseFail> {
    parse_u64(trim(b)).ok_or(ParseFail { field: "value" })
}

/// A cgroup v2 limit file: a number or `max` (unlimited, returned as None).
pub fn parse_max_or_u64(b: &[u8]) -> Result<Option<u64>, ParseFail> {
    let t = trim(b);
    if t == b"max" {
        return Ok(None);
    }
    parse_u64(t).map(Some).ok_or(ParseFail { field: "limit" })
}

/// `key value` lines (cgroup memory.events, memory.stat, memory.oom_control):
/// the value for `key`, if present.
pub fn flat_keyed(b: &[u8], key: &str) -> Option<u64> {
    b.split(|&c| c == b'\n').find_map(|line| {
        let mut it = line
            .split(|c| c.is_ascii_whitespace())
            .filter(|s| !s.is_empty());
        if it.next()? == key.as_bytes() {
            parse_u64(it.next()?)
        } else {
            None
        }
    })
}

/// [`flat_keyed`], telling a missing line from a bad one: Ok(None) when no
/// line starts with `key` (an older kernel), an error when one does but no
/// such line has a valid number (unknown, never "none").
pub fn flat_keyed_checked(b: &[u8], key: &'static str) -> Result<Option<u64>, ParseFail> {
    let v = flat_keyed(b, key);
    let present = || {
        b.split(|&c| c == b'\n').any(|l| {
            l.split(|c| c.is_ascii_whitespace())
                .find(|s| !s.is_empty())
                .is_some_and(|k| k == key.as_bytes())
        })
    };
    if v.is_none() && present() {
        return fail(key);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_i64(b"-20"), Some(-20));
        assert_eq!(parse_i64(b"-"), None);
        assert_eq!(trim(b"  12\n"), b"12");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(parse_max_or_u64(b"max\n"), Ok(None));
        assert_eq!(parse_max_or_u64(b"1073741824\n"), Ok(Some(1 << 30)));
        assert!(parse_max_or_u64(b"lots").is_err());
    }

    #[test]
    fn entry_numbers() {
        assert_eq!(entry_number(b"4242"), Some(4242));
        assert_eq!(entry_number(b"0"), Some(0));
        assert_eq!(entry_number(b"2147483647"), Some(i32::MAX));
        assert_eq!(entry_number(b"2147483648"), None);
        for name in [
            &b"self"[..],
            b"thread-self",
            b"",
            b"12a",
            b"4242\xff",
            b" 1",
        ] {
            assert_eq!(entry_number(name), None, "{name:?}");
        }
    }

    #[test]
    fn flat_keyed_values() {
        let events = b"low 0\nhigh 0\nmax 5\noom 1\noom_kill 3\noom_group_kill 0\n";
        assert_eq!(flat_keyed(events, "oom_kill"), Some(3));
        assert_eq!(flat_keyed(events, "oom"), Some(1));
        assert_eq!(flat_keyed(events, "nope"), None);
        assert_eq!(flat_keyed(b"", "oom_kill"), None);
    }

    #[test]
    fn flat_keyed_checked_tells_missing_from_bad() {
        let events = b"low 0\nhigh 0\nmax 5\noom 1\noom_kill 3\noom_group_kill 0\n";
        assert_eq!(flat_keyed_checked(events, "oom_kill"), Ok(Some(3)));
        // Before Linux 4.13 there is no oom_kill line: not applicable.
        assert_eq!(flat_keyed_checked(b"oom 1\nlow 0\n", "oom_kill"), Ok(None));
        assert_eq!(flat_keyed_checked(b"", "oom_kill"), Ok(None));
        // A line that is there but unreadable is an error, never "none".
        assert_eq!(
            flat_keyed_checked(b"oom 1\noom_kill x\n", "oom_kill"),
            Err(ParseFail { field: "oom_kill" })
        );
        assert_eq!(
            flat_keyed_checked(b"oom_kill\n", "oom_kill"),
            Err(ParseFail { field: "oom_kill" })
        );
        // `oom_kill_disable` is another key.
        assert_eq!(
            flat_keyed_checked(b"oom_kill_disable 0\n", "oom_kill"),
            Ok(None)
        );
    }

    /// No parser may panic on any input: captured files, mutated by a
    /// deterministic generator (bit flips, truncation, inserted separators),
    /// plus random bytes.
    #[test]
    fn parsers_never_panic_on_mutated_input() {
        use std::collections::HashSet;
        // The captured files (and host lines) the property tests start from.
        use super::props::SEEDS;
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let wanted: net::InodeSet = (0..100_000).collect();
        let special = [b'(', b')', b':', b' ', b'\n', b'\t', 0, 0xff, b'[', b']'];
        for round in 0..3000 {
            let seed = SEEDS[round % SEEDS.len()];
            let mut b = seed.to_vec();
            for _ in 0..(next() % 8) {
                if b.is_empty() {
                    break;
                }
                let i = (next() as usize) % b.len();
                match next() % 4 {
                    0 => b[i] ^= 1 << (next() % 8),
                    1 => b.truncate(i),
                    2 => b.insert(i, special[(next() as usize) % special.len()]),
                    _ => b[i] = next() as u8,
                }
            }
            if round % 10 == 0 {
                b = (0..(next() % 300)).map(|_| next() as u8).collect();
            }
            let _ = stat::parse(&b);
            let _ = status::parse(&b);
            let _ = status::parse_switches(&b);
            let _ = status::effective_uid(&b);
            let _ = limits::find(&b, "Max open files");
            let _ = cgroup::parse(&b);
            let _ = net::parse_inet(&b, net::Proto::Tcp, &wanted);
            let _ = net::parse_inet(&b, net::Proto::Tcp6, &wanted);
            let _ = net::parse_unix(&b, &wanted);
            let _ = fdlink::classify(&b, Some(true), &HashSet::new());
            let _ = cmdline::split_nul(&b);
            let _ = flat_keyed(&b, "oom_kill");
            let _ = parse_max_or_u64(&b);
            let _ = host::meminfo(&b);
            let _ = host::loadavg(&b);
            let _ = host::psi(&b);
            let _ = host::file_nr(&b);
            let _ = host::cpu_list_count(&b);
            let _ = host::stat_cpu_count(&b);
            let _ = host::uptime(&b);
            let _ = host::kernel_version(&b);
            let _ = statm::resident_bytes(&b, 4096);
            let _ = schedstat::run_time_ns(&b);
            let _ = status::sig_ign(&b);
            let _ = status::total_switches(&b);
            let _ = limits::nofile_soft(&b);
            let _ = flat_keyed_checked(&b, "oom_kill");
            let _ = entry_number(&b);
            let _ = smaps::header_path_start(&b);
            // The procfs-core parser proctor relies on for a kernel-formatted file.
            use procfs_core::FromRead;
            let _ = procfs_core::process::Io::from_read(&b[..]);
            let _ = smaps::parse_rollup(&b);
            let _ = smaps::parse_smaps(&b);
        }
    }
}
