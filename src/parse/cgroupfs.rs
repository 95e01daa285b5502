//! The cgroup control files proctor judges: the flat keyed files
//! (`memory.stat`, `memory.events`, v1 `memory.oom_control`, `cpu.stat`:
//! one `key value` per line) and v2 `cpu.max` (`$MAX $PERIOD`). The kernel
//! writes them, but a crafted --sys-root can hold anything: a key that is
//! there with a value that is not a number is noted as invalid, never 0.

use super::{ParseFail, flat_keyed_checked, parse_u64, trim};

/// The `oom_kill` (and, on v2, `oom_group_kill`) counts of memory.events
/// or memory.oom_control. None: the line is absent (older kernels; v1 has
/// no group kills).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OomCounts {
    pub oom_kill: Option<u64>,
    pub oom_group_kill: Option<u64>,
}

/// memory.events (v2) or memory.oom_control (v1).
pub fn oom_counts(b: &[u8]) -> Result<OomCounts, ParseFail> {
    Ok(OomCounts {
        oom_kill: flat_keyed_checked(b, "oom_kill")?,
        oom_group_kill: flat_keyed_checked(b, "oom_group_kill")?,
    })
}

/// The inactive file pages of memory.stat: v2 `inactive_file`, v1
/// `total_inactive_file` (hierarchical, as `memory.usage_in_bytes` is).
pub fn inactive_file(b: &[u8], v1: bool) -> Result<Option<u64>, ParseFail> {
    flat_keyed_checked(
        b,
        if v1 {
            "total_inactive_file"
        } else {
            "inactive_file"
        },
    )
}

/// Throttling counters of cpu.stat. `throttled_ns`: v2 `throttled_usec`
/// times 1000, v1 `throttled_time` (ns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Throttling {
    pub nr_periods: u64,
    pub nr_throttled: u64,
    pub throttled_ns: u64,
}

/// cpu.stat's throttling lines. None: no `nr_periods` line (the cpu
/// controller is not enabled on this v2 cgroup); a line that is there
/// but not a number, or a missing companion line, is a parse error.
pub fn throttling(b: &[u8]) -> Result<Option<Throttling>, ParseFail> {
    let Some(nr_periods) = flat_keyed_checked(b, "nr_periods")? else {
        return Ok(None);
    };
    let nr_throttled = flat_keyed_checked(b, "nr_throttled")?.ok_or(ParseFail {
        field: "nr_throttled",
    })?;
    let throttled_ns = match flat_keyed_checked(b, "throttled_usec")? {
        Some(us) => us.saturating_mul(1000),
        None => flat_keyed_checked(b, "throttled_time")?.ok_or(ParseFail {
            field: "throttled_time",
        })?,
    };
    Ok(Some(Throttling {
        nr_periods,
        nr_throttled,
        throttled_ns,
    }))
}

/// A CPU quota: `quota_us` of CPU time per `period_us`. None quota:
/// unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub quota_us: Option<u64>,
    pub period_us: u64,
}

/// v2 cpu.max: `max 100000` or `50000 100000`.
pub fn cpu_max(b: &[u8]) -> Result<Quota, ParseFail> {
    let bad = ParseFail { field: "cpu.max" };
    let mut it = trim(b)
        .split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty());
    let (q, p) = (it.next().ok_or(bad)?, it.next().ok_or(bad)?);
    if it.next().is_some() {
        return Err(bad);
    }
    let period_us = parse_u64(p).filter(|&p| p > 0).ok_or(bad)?;
    let quota_us = if q == b"max" {
        None
    } else {
        Some(parse_u64(q).ok_or(bad)?)
    };
    Ok(Quota {
        quota_us,
        period_us,
    })
}

/// v1 cpu.cfs_quota_us (`-1`: unlimited) and cpu.cfs_period_us.
pub fn cfs_quota(quota: &[u8], period: &[u8]) -> Result<Quota, ParseFail> {
    let period_us = parse_u64(trim(period))
        .filter(|&p| p > 0)
        .ok_or(ParseFail {
            field: "cpu.cfs_period_us",
        })?;
    let q = trim(quota);
    let quota_us = if q == b"-1" {
        None
    } else {
        Some(parse_u64(q).ok_or(ParseFail {
            field: "cpu.cfs_quota_us",
        })?)
    };
    Ok(Quota {
        quota_us,
        period_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // memory.stat heads captured on this kernel 6.18 host (v1), and v2's
    // format from Documentation/admin-guide/cgroup-v2.rst.
    const V1_STAT: &[u8] = b"cache 13553664\nrss 5636096\ninactive_file 102400\nactive_file 3461120\nhierarchical_memory_limit 9223372036854771712\ntotal_inactive_anon 277901312\ntotal_inactive_file 16384401408\n";
    const V2_STAT: &[u8] = b"anon 1056768\nfile 8192\nkernel 397312\ninactive_anon 0\nactive_anon 1052672\ninactive_file 4096\nactive_file 4096\n";

    #[test]
    fn inactive_file_by_version() {
        assert_eq!(inactive_file(V1_STAT, true), Ok(Some(16_384_401_408)));
        assert_eq!(inactive_file(V2_STAT, false), Ok(Some(4096)));
        // v1 reads the hierarchical key, not the cgroup's own.
        assert_eq!(inactive_file(b"inactive_file 5\n", true), Ok(None));
        assert!(inactive_file(b"inactive_file -1\n", false).is_err());
    }

    #[test]
    fn oom_counts_both_kinds() {
        let ev = b"low 0\nhigh 0\nmax 12\noom 4\noom_kill 3\noom_group_kill 1\n";
        assert_eq!(
            oom_counts(ev),
            Ok(OomCounts {
                oom_kill: Some(3),
                oom_group_kill: Some(1)
            })
        );
        let v1 = b"oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
        assert_eq!(
            oom_counts(v1),
            Ok(OomCounts {
                oom_kill: Some(2),
                oom_group_kill: None
            })
        );
        assert!(oom_counts(b"oom_kill 1\noom_group_kill x\n").is_err());
    }

    #[test]
    fn throttling_v1_and_v2() {
        // Captured on this host (v1).
        let v1 = b"nr_periods 120\nnr_throttled 50\nthrottled_time 3100000000\nnr_bursts 0\nburst_time 0\n";
        assert_eq!(
            throttling(v1),
            Ok(Some(Throttling {
                nr_periods: 120,
                nr_throttled: 50,
                throttled_ns: 3_100_000_000
            }))
        );
        let v2 = b"usage_usec 5000\nuser_usec 4000\nsystem_usec 1000\nnr_periods 10\nnr_throttled 4\nthrottled_usec 250\nnr_bursts 0\nburst_usec 0\n";
        assert_eq!(
            throttling(v2),
            Ok(Some(Throttling {
                nr_periods: 10,
                nr_throttled: 4,
                throttled_ns: 250_000
            }))
        );
        // v2 without the cpu controller: usage only, no throttling known.
        assert_eq!(throttling(b"usage_usec 5\nuser_usec 4\n"), Ok(None));
        assert!(throttling(b"nr_periods 5\n").is_err());
        assert!(throttling(b"nr_periods 5\nnr_throttled x\nthrottled_time 0\n").is_err());
    }

    #[test]
    fn quotas() {
        assert_eq!(
            cpu_max(b"max 100000\n"),
            Ok(Quota {
                quota_us: None,
                period_us: 100_000
            })
        );
        assert_eq!(
            cpu_max(b"50000 100000\n"),
            Ok(Quota {
                quota_us: Some(50_000),
                period_us: 100_000
            })
        );
        assert!(cpu_max(b"50000 0\n").is_err());
        assert!(cpu_max(b"50000\n").is_err());
        assert!(cpu_max(b"1 2 3\n").is_err());
        assert_eq!(
            cfs_quota(b"-1\n", b"100000\n"),
            Ok(Quota {
                quota_us: None,
                period_us: 100_000
            })
        );
        assert_eq!(
            cfs_quota(b"10000\n", b"100000\n").map(|q| q.quota_us),
            Ok(Some(10_000))
        );
        assert!(cfs_quota(b"-2\n", b"100000\n").is_err());
        assert!(cfs_quota(b"10\n", b"0\n").is_err());
    }
}
