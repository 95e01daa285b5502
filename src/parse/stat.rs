//! `/proc/PID/stat` (and `task/TID/stat`). The name between the parentheses
//! is chosen by the process and may hold `)`, spaces, newlines and any byte,
//! so the fields are located from the LAST `)`.

use super::{ParseFail, fail, parse_i64, parse_u64};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    /// Raw name bytes (comm), exactly as the kernel stores them.
    pub comm: Vec<u8>,
    pub state: u8,
    pub ppid: i32,
    /// Field 5, the process group ID; None when unparsable.
    pub pgrp: Option<i32>,
    pub flags: u64,
    /// Field 7, the controlling terminal (major in bits 8-15, minor in bits
    /// 0-7 and 20-31; 0: none); None when unparsable.
    pub tty_nr: Option<i32>,
    /// Clock ticks.
    pub utime: u64,
    pub stime: u64,
    pub nice: i64,
    pub num_threads: u64,
    /// Clock ticks since boot.
    pub starttime: u64,
    pub vsize: u64,
    /// Pages.
    pub rss_pages: u64,
    /// Field 52, exit_code (Linux >= 3.5): the wait status of a zombie;
    /// None when the line is shorter.
    pub exit_code: Option<u64>,
    /// Fields 48-51 (Linux >= 3.5): where the command line and the
    /// environment lie in the process's memory, so their lengths are known
    /// without reading them. 0 when the kernel hides them (no ptrace
    /// access); None when the line is shorter.
    pub arg_start: Option<u64>,
    pub arg_end: Option<u64>,
    pub env_start: Option<u64>,
    pub env_end: Option<u64>,
}

impl Stat {
    /// The length of the command line area (arg_end - arg_start), when
    /// stat shows it.
    pub fn cmdline_len(&self) -> Option<u64> {
        span(self.arg_start?, self.arg_end?)
    }

    /// The length of the environment area (env_end - env_start).
    pub fn environ_len(&self) -> Option<u64> {
        span(self.env_start?, self.env_end?)
    }
}

/// end - start, when both are shown (not the zeros of a hidden process)
/// and in order.
fn span(start: u64, end: u64) -> Option<u64> {
    (start != 0 && end >= start).then(|| end - start)
}

/// PF_KTHREAD from include/linux/sched.h.
const PF_KTHREAD: u64 = 0x0020_0000;

impl Stat {
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }
}

pub fn parse(b: &[u8]) -> Result<Stat, ParseFail> {
    let open = match b.iter().position(|&c| c == b'(') {
        Some(i) => i,
        None => return fail("comm"),
    };
    let close = match b.iter().rposition(|&c| c == b')') {
        Some(i) if i > open => i,
        _ => return fail("comm"),
    };
    let pid = std::str::from_utf8(super::trim(&b[..open]))
        .ok()
        .and_then(|s| s.parse::<i32>().ok());
    let Some(pid) = pid else { return fail("pid") };
    let comm = b[open + 1..close].to_vec();
    let rest: Vec<&[u8]> = b[close + 1..]
        .split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    // Field numbers from proc(5), minus 3: rest[0] is field 3 (state).
    let get = |i: usize, name: &'static str| rest.get(i).copied().ok_or(ParseFail { field: name });
    let num = |i: usize, name: &'static str| {
        get(i, name).and_then(|v| parse_u64(v).ok_or(ParseFail { field: name }))
    };
    let state = match get(0, "state")? {
        [c] => *c,
        _ => return fail("state"),
    };
    let ppid = get(1, "ppid")
        .and_then(|v| parse_i64(v).ok_or(ParseFail { field: "ppid" }))
        .and_then(|v| i32::try_from(v).map_err(|_| ParseFail { field: "ppid" }))?;
    Ok(Stat {
        pid,
        comm,
        state,
        ppid,
        pgrp: rest
            .get(2)
            .and_then(|v| parse_i64(v))
            .and_then(|v| i32::try_from(v).ok()),
        flags: num(6, "flags")?,
        tty_nr: rest
            .get(4)
            .and_then(|v| parse_i64(v))
            .and_then(|v| i32::try_from(v).ok()),
        utime: num(11, "utime")?,
        stime: num(12, "stime")?,
        nice: get(16, "nice").and_then(|v| parse_i64(v).ok_or(ParseFail { field: "nice" }))?,
        num_threads: num(17, "num_threads")?,
        starttime: num(19, "starttime")?,
        vsize: num(20, "vsize")?,
        rss_pages: num(21, "rss")?,
        exit_code: rest.get(49).and_then(|v| parse_u64(v)),
        arg_start: rest.get(45).and_then(|v| parse_u64(v)),
        arg_end: rest.get(46).and_then(|v| parse_u64(v)),
        env_start: rest.get(47).and_then(|v| parse_u64(v)),
        env_end: rest.get(48).and_then(|v| parse_u64(v)),
    })
}

/// What a state letter means, in words an on-call engineer can act on.
pub fn state_meaning(state: u8) -> &'static str {
    match state {
        b'R' => "running",
        b'S' => "sleeping (waiting for an event)",
        b'D' => "uninterruptible wait (usually disk or network I/O)",
        b'Z' => "zombie (exited, not yet reaped by its parent)",
        b'T' => "stopped (by a signal)",
        b't' => "stopped by a debugger (tracing)",
        b'X' => "dead",
        b'I' => "idle kernel thread",
        b'P' => "parked",
        b'W' => "waking",
        b'K' => "wakekill",
        _ => "unknown state",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on kernel 6.18 from `sleep 1000`.
    const SLEEP: &[u8] = b"2141 (sleep) S 1840 2141 1046 34816 2141 4194304 110 0 0 0 0 0 0 0 20 0 1 0 91424 2330624 256 18446744073709551615 94357862096896 94357862113553 140728934419616 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94357862127792 94357862129288 94357873770496 140728934426335 140728934426355 140728934426355 140728934432745 0\n";

    #[test]
    fn parses_a_real_stat() {
        let s = parse(SLEEP).unwrap();
        assert_eq!(s.pid, 2141);
        assert_eq!(s.comm, b"sleep");
        assert_eq!(s.state, b'S');
        assert_eq!(s.ppid, 1840);
        assert_eq!(s.flags, 4194304);
        assert_eq!(s.tty_nr, Some(34816));
        assert_eq!(s.nice, 0);
        assert_eq!(s.num_threads, 1);
        assert_eq!(s.starttime, 91424);
        assert_eq!(s.vsize, 2330624);
        assert_eq!(s.rss_pages, 256);
        assert!(!s.is_kernel_thread());
    }

    #[test]
    fn hostile_name_with_parens_spaces_and_newline() {
        let line = b"77 (a) b\n) S (\xff) R 5 77 77 0 -1 2129984 0 0 0 0 3 4 0 0 20 -5 2 0 900 0 0 18446744073709551615\n";
        let s = parse(line).unwrap();
        assert_eq!(s.comm, b"a) b\n) S (\xff");
        assert_eq!(s.state, b'R');
        assert_eq!(s.ppid, 5);
        assert_eq!(s.utime, 3);
        assert_eq!(s.stime, 4);
        assert_eq!(s.nice, -5);
        assert!(s.is_kernel_thread());
    }

    #[test]
    fn command_line_and_environment_bounds() {
        // Fields 48-51 of a process whose command line was pointed at 1 GiB.
        let mut line = b"5250 (python3) S 5248 5250 5250 0 -1 4194560".to_vec();
        for f in 10..=47 {
            line.extend_from_slice(format!(" {}", f % 3).as_bytes());
        }
        line.extend_from_slice(b" 1000 1073742824 2000 2000 0\n");
        let s = parse(&line).unwrap();
        assert_eq!(s.pgrp, Some(5250));
        assert_eq!(s.cmdline_len(), Some(1 << 30));
        assert_eq!(s.environ_len(), Some(0));
        assert_eq!(s.exit_code, Some(0));
        // Hidden (no ptrace access): zeros are not a length.
        let hidden =
            String::from_utf8_lossy(&line).replace(" 1000 1073742824 2000 2000", " 0 0 0 0");
        assert_eq!(parse(hidden.as_bytes()).unwrap().cmdline_len(), None);
        assert_eq!(parse(SLEEP).unwrap().cmdline_len(), Some(20));
        assert_eq!(parse(SLEEP).unwrap().environ_len(), Some(6390));
        // A shorter line (old kernels) has none.
        let short = &SLEEP[..SLEEP.len() - 80];
        assert_eq!(parse(short).unwrap().cmdline_len(), None);
    }

    #[test]
    fn truncated_and_garbage_never_panic() {
        for cut in 0..SLEEP.len() {
            let _ = parse(&SLEEP[..cut]);
        }
        assert_eq!(parse(b"4343 (trunc) S 1 43").unwrap_err().field, "flags");
        assert!(parse(b"").is_err());
        assert!(parse(b")(").is_err());
        assert!(parse(b"x (y) S").is_err());
        assert!(parse(b"1 (y) SS 1").is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..400)) {
                let _ = parse(&b);
            }

            /// Any name (bytes, parentheses, spaces, newlines) is kept whole
            /// and does not shift the fields after it.
            #[test]
            fn any_name_is_kept_whole(name in proptest::collection::vec(any::<u8>(), 0..40)) {
                let mut line = b"77 (".to_vec();
                line.extend_from_slice(&name);
                line.extend_from_slice(b") S 5 77 77 0 -1 64 0 0 0 0 3 4 0 0 20 0 2 0 900 4096 12\n");
                let s = parse(&line).unwrap();
                prop_assert_eq!(s.comm, name);
                prop_assert_eq!(s.utime, 3);
                prop_assert_eq!(s.starttime, 900);
            }

            /// utime is a value only when its text is a valid u64.
            #[test]
            fn utime_only_from_a_valid_number(tok in prop_oneof![
                any::<u64>().prop_map(|v| v.to_string()),
                "[0-9]{20,24}",
                "0{15,22}[1-9]",
                "-[0-9]{1,4}",
                "[0-9a-z+.-]{1,6}",
            ]) {
                let line = format!("77 (x) S 5 77 77 0 -1 64 0 0 0 0 {tok} 4 0 0 20 0 2 0 900 4096 12\n");
                // More than 20 digits is invalid even with leading zeros
                // (the kernel never pads).
                let want = (tok.len() <= 20 && tok.bytes().all(|c| c.is_ascii_digit()))
                    .then(|| tok.parse::<u64>().ok())
                    .flatten();
                match parse(line.as_bytes()) {
                    Ok(s) => prop_assert_eq!(Some(s.utime), want),
                    Err(f) => {
                        prop_assert_eq!(want, None);
                        prop_assert_eq!(f.field, "utime");
                    }
                }
            }
        }
    }
}
