//! `/proc/PID/status`, read byte-wise (procfs' `Status` fails outright on a
//! non-UTF-8 name). Only the fields proctor uses are kept; every one is
//! optional because kernel threads and zombies omit the memory lines.

use super::{ParseFail, parse_u64, trim};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Name as the kernel escapes it in this file (`\n` shown as `\\n`).
    pub name: Option<Vec<u8>>,
    pub state: Option<u8>,
    pub ppid: Option<i32>,
    /// real, effective, saved, filesystem.
    pub uid: Option<[u32; 4]>,
    pub vm_peak: Option<u64>,
    pub vm_size: Option<u64>,
    pub vm_hwm: Option<u64>,
    pub vm_rss: Option<u64>,
    pub rss_anon: Option<u64>,
    pub rss_file: Option<u64>,
    pub rss_shmem: Option<u64>,
    pub vm_swap: Option<u64>,
    pub threads: Option<u64>,
    pub voluntary_ctxt_switches: Option<u64>,
    pub nonvoluntary_ctxt_switches: Option<u64>,
    pub kthread: Option<bool>,
    /// Keys whose line was present but whose value is not a valid number
    /// (`VmRSS: abc kB`, `-5 kB`, past u64): their field is None, and the
    /// caller reports it as a parse error, never as "does not apply".
    pub invalid: Vec<&'static str>,
}

fn kb(v: &[u8]) -> Option<u64> {
    // "  123456 kB"; a value whose bytes pass u64 is invalid, not clamped.
    let v = trim(v);
    let num = v.strip_suffix(b" kB").map(trim).unwrap_or(v);
    parse_u64(num)?.checked_mul(1024)
}

/// Keep a parsed value, noting the key when its text was not a number.
fn note(invalid: &mut Vec<&'static str>, key: &'static str, v: Option<u64>) -> Option<u64> {
    if v.is_none() && !invalid.contains(&key) {
        invalid.push(key);
    }
    v
}

pub fn parse(b: &[u8]) -> Result<Status, ParseFail> {
    let mut s = Status::default();
    let mut any = false;
    for line in b.split(|&c| c == b'\n') {
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let (key, value) = (&line[..colon], &line[colon + 1..]);
        any = true;
        match key {
            b"Name" => {
                // One tab follows the colon; the name itself may start with spaces.
                s.name = Some(value.strip_prefix(b"\t").unwrap_or(value).to_vec());
            }
            b"State" => s.state = trim(value).first().copied(),
            b"PPid" => {
                let v = parse_u64(trim(value)).filter(|&v| i32::try_from(v).is_ok());
                s.ppid = note(&mut s.invalid, "PPid", v).and_then(|v| i32::try_from(v).ok());
            }
            b"Uid" => {
                s.uid = uids(value);
                if s.uid.is_none() {
                    note(&mut s.invalid, "Uid", None);
                }
            }
            b"VmPeak" => s.vm_peak = note(&mut s.invalid, "VmPeak", kb(value)),
            b"VmSize" => s.vm_size = note(&mut s.invalid, "VmSize", kb(value)),
            b"VmHWM" => s.vm_hwm = note(&mut s.invalid, "VmHWM", kb(value)),
            b"VmRSS" => s.vm_rss = note(&mut s.invalid, "VmRSS", kb(value)),
            b"RssAnon" => s.rss_anon = note(&mut s.invalid, "RssAnon", kb(value)),
            b"RssFile" => s.rss_file = note(&mut s.invalid, "RssFile", kb(value)),
            b"RssShmem" => s.rss_shmem = note(&mut s.invalid, "RssShmem", kb(value)),
            b"VmSwap" => s.vm_swap = note(&mut s.invalid, "VmSwap", kb(value)),
            b"Threads" => s.threads = note(&mut s.invalid, "Threads", parse_u64(trim(value))),
            b"voluntary_ctxt_switches" => {
                s.voluntary_ctxt_switches = note(
                    &mut s.invalid,
                    "voluntary_ctxt_switches",
                    parse_u64(trim(value)),
                )
            }
            b"nonvoluntary_ctxt_switches" => {
                s.nonvoluntary_ctxt_switches = note(
                    &mut s.invalid,
                    "nonvoluntary_ctxt_switches",
                    parse_u64(trim(value)),
                )
            }
            b"Kthread" => s.kthread = Some(trim(value) == b"1"),
            _ => {}
        }
    }
    if !any {
        return Err(ParseFail {
            field: "status lines",
        });
    }
    Ok(s)
}

/// The four ids of a `Uid:` (or `Gid:`) line: real, effective, saved, fs.
fn uids(value: &[u8]) -> Option<[u32; 4]> {
    // Every id must parse: an invalid one is not skipped (that would shift
    // the next into its place: "0 abc 0 0 0" read as four zeros).
    let ids: Vec<u32> = value
        .split(|c| c.is_ascii_whitespace())
        .filter(|x| !x.is_empty())
        .map(|x| parse_u64(x).and_then(|v| u32::try_from(v).ok()))
        .collect::<Option<_>>()?;
    match ids[..] {
        [r, e, sv, f] => Some([r, e, sv, f]),
        _ => None,
    }
}

/// Only the effective uid (the whole-table scan reads it from every
/// process's `status` without parsing the rest).
pub fn effective_uid(b: &[u8]) -> Option<u32> {
    b.split(|&c| c == b'\n')
        .find_map(|l| l.strip_prefix(b"Uid:"))
        .and_then(uids)
        .map(|u| u[1])
}

/// The `SigIgn` mask (hexadecimal; bit n-1 is signal n): the first
/// `SigIgn:` line whose value parses, None when there is none.
pub fn sig_ign(b: &[u8]) -> Option<u64> {
    b.split(|&c| c == b'\n').find_map(|l| {
        let hex = trim(l.strip_prefix(b"SigIgn:")?);
        u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    })
}

/// RssFile + RssShmem in bytes (what `top` calls SHR, as statm's third
/// field), without parsing the rest; None unless both lines are present
/// and valid (kernel threads and zombies have neither).
pub fn shared_bytes(b: &[u8]) -> Option<u64> {
    let line = |key: &[u8]| {
        b.split(|&c| c == b'\n')
            .find_map(|l| l.strip_prefix(key))
            .and_then(kb)
    };
    line(b"RssFile:")?.checked_add(line(b"RssShmem:")?)
}

/// Voluntary plus involuntary context switches (saturating), None unless
/// both counters are present and valid.
pub fn total_switches(b: &[u8]) -> Option<u64> {
    let s = parse_switches(b);
    Some(
        s.voluntary_ctxt_switches?
            .saturating_add(s.nonvoluntary_ctxt_switches?),
    )
}

/// Only the context-switch counters, which `threads` needs for every
/// thread: they are the last lines, so the scan starts from the end.
pub fn parse_switches(b: &[u8]) -> Status {
    let mut s = Status::default();
    let mut seen = false;
    for line in b.rsplit(|&c| c == b'\n').take(8) {
        if let Some(v) = line.strip_prefix(b"voluntary_ctxt_switches:") {
            seen = true;
            s.voluntary_ctxt_switches = note(
                &mut s.invalid,
                "voluntary_ctxt_switches",
                parse_u64(trim(v)),
            );
        } else if let Some(v) = line.strip_prefix(b"nonvoluntary_ctxt_switches:") {
            s.nonvoluntary_ctxt_switches = note(
                &mut s.invalid,
                "nonvoluntary_ctxt_switches",
                parse_u64(trim(v)),
            );
        }
    }
    if !seen {
        // Not at the end (an older or newer layout): parse the whole file.
        return parse(b).unwrap_or_default();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on kernel 6.18 (Debian 12 userland) from `sleep 1000`, trimmed.
    const SLEEP: &[u8] = b"Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t2141\nNgid:\t0\nPid:\t2141\nPPid:\t1840\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t0 \nVmPeak:\t    2276 kB\nVmSize:\t    2276 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t    1024 kB\nVmRSS:\t    1024 kB\nRssAnon:\t       0 kB\nRssFile:\t    1024 kB\nRssShmem:\t       0 kB\nVmData:\t     360 kB\nVmSwap:\t       0 kB\nThreads:\t1\nvoluntary_ctxt_switches:\t2\nnonvoluntary_ctxt_switches:\t1\n";

    #[test]
    fn parses_a_real_status() {
        let s = parse(SLEEP).unwrap();
        assert_eq!(s.name.as_deref(), Some(&b"sleep"[..]));
        assert_eq!(s.state, Some(b'S'));
        assert_eq!(s.ppid, Some(1840));
        assert_eq!(s.uid, Some([0, 0, 0, 0]));
        assert_eq!(s.vm_size, Some(2276 * 1024));
        assert_eq!(s.vm_rss, Some(1024 * 1024));
        assert_eq!(s.rss_file, Some(1024 * 1024));
        assert_eq!(s.rss_anon, Some(0));
        assert_eq!(s.vm_swap, Some(0));
        assert_eq!(s.threads, Some(1));
        assert_eq!(s.voluntary_ctxt_switches, Some(2));
        assert_eq!(s.nonvoluntary_ctxt_switches, Some(1));
        assert_eq!(s.kthread, None);
        assert!(s.invalid.is_empty());
        assert_eq!(shared_bytes(SLEEP), Some(1024 * 1024));
        let shm =
            String::from_utf8_lossy(SLEEP).replace("RssShmem:\t       0", "RssShmem:\t     8");
        assert_eq!(shared_bytes(shm.as_bytes()), Some(1032 * 1024));
        // A kernel thread's status has no memory lines; a broken value is no value.
        assert_eq!(shared_bytes(b"Name:\tkthreadd\nThreads:\t1\n"), None);
        let bad = String::from_utf8_lossy(SLEEP).replace("RssFile:\t    1024", "RssFile:\t    x");
        assert_eq!(shared_bytes(bad.as_bytes()), None);
    }

    #[test]
    fn signal_mask_and_switch_total() {
        // The signal lines of a bash's status on Linux 6.18.
        let sig = b"Name:\tbash\nSigQ:\t0/95473\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000010000\nSigIgn:\t0000000000000004\nSigCgt:\t000000004b813efb\n";
        assert_eq!(sig_ign(sig), Some(1 << 2)); // SIGQUIT (3) ignored
        assert_eq!(sig_ign(b"SigIgn:\tffffffffffffffff\n"), Some(u64::MAX));
        assert_eq!(sig_ign(b"SigIgn:\t1ffffffffffffffff\n"), None);
        assert_eq!(sig_ign(b"SigIgn:\t00zz\n"), None);
        assert_eq!(sig_ign(b"Name:\tx\n"), None);
        assert_eq!(total_switches(SLEEP), Some(3));
        let both = b"voluntary_ctxt_switches:\t113\nnonvoluntary_ctxt_switches:\t32\n";
        assert_eq!(total_switches(both), Some(145));
        assert_eq!(total_switches(b"voluntary_ctxt_switches:\t113\n"), None);
        assert_eq!(
            total_switches(b"voluntary_ctxt_switches:\t1x3\nnonvoluntary_ctxt_switches:\t32\n"),
            None
        );
        let huge =
            b"voluntary_ctxt_switches:\t18446744073709551615\nnonvoluntary_ctxt_switches:\t2\n";
        assert_eq!(total_switches(huge), Some(u64::MAX));
    }

    #[test]
    fn invalid_numbers_are_noted_not_dropped() {
        // Not a number, negative, past u64 once in bytes, past u64 as text.
        let s = parse(b"Name:\tx\nVmRSS:\tabc kB\nVmSwap:\t-5 kB\nVmHWM:\t18014398509481984 kB\nVmSize:\t99999999999999999999999 kB\nRssAnon:\t1 kB\n").unwrap();
        assert_eq!(s.vm_rss, None);
        assert_eq!(s.vm_swap, None);
        assert_eq!(s.vm_hwm, None);
        assert_eq!(s.vm_size, None);
        assert_eq!(s.rss_anon, Some(1024));
        assert_eq!(s.invalid, ["VmRSS", "VmSwap", "VmHWM", "VmSize"]);
        // One id that does not parse: the line is invalid, the others do
        // not shift into its place.
        let u = parse(b"Name:\tx\nUid:\t0\tabc\t0\t0\t0\n").unwrap();
        assert_eq!((u.uid, u.invalid.as_slice()), (None, &["Uid"][..]));
        assert_eq!(effective_uid(b"Uid:\t1000\t-1\t0\t0\t0\n"), None);
        // A missing line is not invalid (kernel threads omit them).
        assert!(
            parse(b"Name:\tk\nThreads:\t1\n")
                .unwrap()
                .invalid
                .is_empty()
        );
        let t = parse_switches(b"voluntary_ctxt_switches:\tx\nnonvoluntary_ctxt_switches:\t3\n");
        assert_eq!(t.voluntary_ctxt_switches, None);
        assert_eq!(t.nonvoluntary_ctxt_switches, Some(3));
        assert_eq!(t.invalid, ["voluntary_ctxt_switches"]);
    }

    #[test]
    fn effective_uid_alone() {
        assert_eq!(effective_uid(SLEEP), Some(0));
        assert_eq!(
            effective_uid(b"Name:\tx\nUid:\t1000\t65534\t1000\t1000\n"),
            Some(65534)
        );
        assert_eq!(effective_uid(b"Uid:\t1000\n"), None);
        assert_eq!(effective_uid(b""), None);
    }

    #[test]
    fn switches_from_the_end() {
        let s = parse_switches(SLEEP);
        assert_eq!(s.voluntary_ctxt_switches, Some(2));
        assert_eq!(s.nonvoluntary_ctxt_switches, Some(1));
        let moved = b"voluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t3\nA:1\nB:2\nC:3\nD:4\nE:5\nF:6\nG:7\nH:8\n";
        assert_eq!(parse_switches(moved).voluntary_ctxt_switches, Some(7));
        assert_eq!(parse_switches(b"").voluntary_ctxt_switches, None);
    }

    #[test]
    fn non_utf8_name_and_missing_memory_lines() {
        let s = parse(b"Name:\t\xff\x1b[31m:x\nState:\tZ (zombie)\nThreads:\t1\n").unwrap();
        assert_eq!(s.name.as_deref(), Some(&b"\xff\x1b[31m:x"[..]));
        assert_eq!(s.state, Some(b'Z'));
        assert_eq!(s.vm_rss, None);
    }

    #[test]
    fn garbage_never_panics() {
        assert!(parse(b"").is_err());
        assert!(parse(b"no colons here").is_err());
        let s = parse(b"VmRSS:\tlots kB\nUid:\t1\nThreads:\t99999999999999999999999\n").unwrap();
        assert_eq!(s.vm_rss, None);
        assert_eq!(s.uid, None);
        assert_eq!(s.threads, None);
        assert_eq!(s.invalid, ["VmRSS", "Uid", "Threads"]);
        for cut in 0..SLEEP.len() {
            let _ = parse(&SLEEP[..cut]);
        }
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        /// Value text: valid numbers, numbers past u64, signs, garbage.
        fn value_text() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<u64>().prop_map(|v| v.to_string()),
                "[0-9]{19,25}",
                "0{15,22}[1-9]",
                "-[0-9]{1,5}",
                "[ \t]*[0-9a-zA-Z+.-]{0,8}[ \t]*",
                ".{0,12}",
            ]
        }

        /// What the parser must make of `text` as a `kB` value.
        fn expected_kb(text: &str) -> Option<u64> {
            let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
            let t = t
                .strip_suffix(" kB")
                .map_or(t, |n| n.trim_matches(|c: char| c.is_ascii_whitespace()));
            // More than 20 digits is invalid even with leading zeros.
            if t.is_empty() || t.len() > 20 || !t.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            t.parse::<u64>().ok()?.checked_mul(1024)
        }

        proptest! {
            #[test]
            fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..600)) {
                let _ = parse(&b);
                let _ = parse_switches(&b);
                let _ = effective_uid(&b);
            }

            #[test]
            fn a_value_only_from_a_valid_number(text in value_text()) {
                prop_assume!(!text.contains('\n'));
                for with_unit in [false, true] {
                    let v = if with_unit { format!("{text} kB") } else { text.clone() };
                    let body = format!("Name:\tx\nVmRSS:\t{v}\nThreads:\t{text}\n");
                    let st = parse(body.as_bytes()).unwrap();
                    let want = expected_kb(&v);
                    prop_assert_eq!(st.vm_rss, want);
                    prop_assert_eq!(st.invalid.contains(&"VmRSS"), want.is_none());
                    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
                    let threads = (!t.is_empty() && t.len() <= 20 && t.bytes().all(|c| c.is_ascii_digit()))
                        .then(|| t.parse::<u64>().ok())
                        .flatten();
                    prop_assert_eq!(st.threads, threads);
                    prop_assert_eq!(st.invalid.contains(&"Threads"), threads.is_none());
                }
            }
        }
    }
}
