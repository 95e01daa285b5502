//! Host-wide files: `meminfo`, `loadavg`, `pressure/memory` (PSI),
//! `sys/fs/file-nr`, `uptime`, the CPU count, and the kernel release. Kernel-formatted, but parsed byte-wise and field by
//! field so that one missing line (an older kernel, a container's
//! lxcfs-faked meminfo) loses one value, not the whole header.

use super::{parse_u64, trim};

/// The lines of `meminfo` proctor uses, in bytes. A value is None when its
/// line is missing (an older kernel, lxcfs) or not a valid number; the
/// second case is noted in `invalid`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemInfo {
    pub total: Option<u64>,
    pub available: Option<u64>,
    pub swap_total: Option<u64>,
    pub swap_free: Option<u64>,
    /// Bits of [`MEMINFO_KEYS`] whose line is present but does not parse
    /// (`abc kB`, `-5 kB`, past u64 once in bytes).
    pub invalid: u8,
}

/// The meminfo keys proctor reads, in the order of `MemInfo::invalid`'s bits.
pub const MEMINFO_KEYS: [&str; 4] = ["MemTotal", "MemAvailable", "SwapTotal", "SwapFree"];

impl MemInfo {
    /// The keys present with a value that is not a valid number.
    pub fn invalid_keys(&self) -> Vec<&'static str> {
        MEMINFO_KEYS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.invalid & (1 << i) != 0)
            .map(|(_, k)| *k)
            .collect()
    }

    pub fn is_invalid(&self, key: &str) -> bool {
        self.invalid_keys().contains(&key)
    }

    pub fn swap_used(&self) -> Option<u64> {
        Some(self.swap_total?.saturating_sub(self.swap_free?))
    }
}

pub fn meminfo(b: &[u8]) -> MemInfo {
    let mut m = MemInfo::default();
    for line in b.split(|&c| c == b'\n') {
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let (bit, slot) = match &line[..colon] {
            b"MemTotal" => (0, &mut m.total),
            b"MemAvailable" => (1, &mut m.available),
            b"SwapTotal" => (2, &mut m.swap_total),
            b"SwapFree" => (3, &mut m.swap_free),
            _ => continue,
        };
        let v = trim(&line[colon + 1..]);
        let num = v.strip_suffix(b" kB").map(trim).unwrap_or(v);
        *slot = parse_u64(num).and_then(|k| k.checked_mul(1024));
        if slot.is_none() {
            m.invalid |= 1 << bit;
        } else {
            m.invalid &= !(1 << bit);
        }
    }
    m
}

/// `loadavg`: the three load averages and the number of scheduling
/// entities (threads) that exist.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadAvg {
    pub one: f64,
    pub five: f64,
    pub fifteen: f64,
}

pub fn loadavg(b: &[u8]) -> Option<LoadAvg> {
    let s = std::str::from_utf8(b).ok()?;
    let mut it = s.split_ascii_whitespace();
    let mut next = || it.next()?.parse::<f64>().ok().filter(|v| v.is_finite());
    Some(LoadAvg {
        one: next()?,
        five: next()?,
        fifteen: next()?,
    })
}

/// `loadavg`'s fourth field "running/total": the total, the number of
/// scheduling entities (tasks) on the host. None when absent or not a
/// number.
pub fn loadavg_tasks(b: &[u8]) -> Option<u64> {
    let field = b
        .split(|c| c.is_ascii_whitespace())
        .filter(|f| !f.is_empty())
        .nth(3)?;
    let (_, total) = field.split_at(field.iter().position(|&c| c == b'/')? + 1);
    super::parse_u64(total)
}

#[cfg(test)]
mod loadavg_tests {
    #[test]
    fn tasks() {
        assert_eq!(
            super::loadavg_tasks(b"0.10 0.20 0.30 2/517 12345\n"),
            Some(517)
        );
        assert_eq!(super::loadavg_tasks(b"0.10 0.20 0.30\n"), None);
        assert_eq!(super::loadavg_tasks(b"0.10 0.20 0.30 2/x 1\n"), None);
        assert_eq!(super::loadavg_tasks(b"0.10 0.20 0.30 517 1\n"), None);
    }
}

/// One line of a PSI file: share of wall time (percent) in which some
/// (or all, for `full`) non-idle tasks stalled, over 10 s, 60 s, 300 s.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PsiLine {
    pub avg10: f64,
    pub avg60: f64,
    pub avg300: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Psi {
    pub some: Option<PsiLine>,
    pub full: Option<PsiLine>,
    /// A `some` or `full` line was present but malformed (its value is
    /// unknown, not absent).
    pub invalid: bool,
}

/// `pressure/memory`: `some avg10=0.00 avg60=0.00 avg300=0.00 total=0`.
pub fn psi(b: &[u8]) -> Psi {
    let mut p = Psi::default();
    let Ok(s) = std::str::from_utf8(b) else {
        p.invalid = true;
        return p;
    };
    for line in s.lines() {
        let mut it = line.split_ascii_whitespace();
        let slot = match it.next() {
            Some("some") => &mut p.some,
            Some("full") => &mut p.full,
            _ => continue,
        };
        let mut l = PsiLine::default();
        let mut seen = 0;
        for kv in it {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let Ok(v) = v.parse::<f64>() else { continue };
            if !v.is_finite() {
                continue;
            }
            match k {
                "avg10" => l.avg10 = v,
                "avg60" => l.avg60 = v,
                "avg300" => l.avg300 = v,
                _ => continue,
            }
            seen += 1;
        }
        if seen == 3 {
            *slot = Some(l);
        } else {
            *slot = None;
            p.invalid = true;
        }
    }
    p
}

/// `sys/fs/file-nr`: allocated file handles, free ones (always 0 since
/// 2.6), and the maximum (`fs.file-max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileNr {
    pub allocated: u64,
    pub max: u64,
}

pub fn file_nr(b: &[u8]) -> Option<FileNr> {
    let mut it = b
        .split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty());
    let allocated = parse_u64(it.next()?)?;
    let free = parse_u64(it.next()?)?;
    let max = parse_u64(it.next()?)?;
    Some(FileNr {
        allocated: allocated.saturating_sub(free),
        max,
    })
}

/// `uptime`: seconds since boot, the first of its two numbers
/// (`9687.74 5164.81`). None when the file is not UTF-8, the field is
/// missing, or it is not a finite, non-negative number (`nan`, `inf` or
/// `-1` from a corrupted or crafted file is no uptime, never an age).
pub fn uptime(b: &[u8]) -> Option<f64> {
    std::str::from_utf8(b)
        .ok()?
        .split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// (major, minor) of a kernel release string as uname(2) gives it
/// (`6.18.44-fc-v1252` is (6, 18)); a part that is missing is 0.
pub fn kernel_version(release: &[u8]) -> (u64, u64) {
    let mut parts = release
        .split(|c| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    let major = parts.next().and_then(parse_u64).unwrap_or(0);
    let minor = parts.next().and_then(parse_u64).unwrap_or(0);
    (major, minor)
}

/// How many CPUs a kernel CPU list names (`0-3,6,8-9` is 7), as in
/// SYS/devices/system/cpu/online. None when malformed.
pub fn cpu_list_count(b: &[u8]) -> Option<usize> {
    let t = trim(b);
    if t.is_empty() {
        return None;
    }
    let mut n = 0usize;
    for part in t.split(|&c| c == b',') {
        let mut ends = part.splitn(2, |&c| c == b'-');
        let lo = parse_u64(ends.next()?)?;
        let hi = match ends.next() {
            Some(h) => parse_u64(h)?,
            None => lo,
        };
        let width = usize::try_from(hi.checked_sub(lo)?.checked_add(1)?).ok()?;
        n = n.checked_add(width)?;
    }
    Some(n)
}

/// The `cpuN` lines of PROC/stat (one per online CPU).
pub fn stat_cpu_count(b: &[u8]) -> usize {
    b.split(|&c| c == b'\n')
        .filter(|l| {
            l.strip_prefix(b"cpu")
                .is_some_and(|r| r.first().is_some_and(u8::is_ascii_digit))
        })
        .count()
}

/// One `cpu` or `cpuN` line of PROC/stat: time spent in each mode since
/// boot, in clock ticks (`guest` and `guest_nice` are already counted in
/// `user` and `nice`, so they are not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
}

impl CpuTimes {
    /// Every mode summed (saturating: a hostile file cannot wrap it).
    pub fn total(&self) -> u64 {
        [
            self.user,
            self.nice,
            self.system,
            self.idle,
            self.iowait,
            self.irq,
            self.softirq,
            self.steal,
        ]
        .iter()
        .fold(0u64, |a, &v| a.saturating_add(v))
    }
}

/// The CPU lines of PROC/stat: the whole machine (`cpu`) and each CPU
/// (`cpuN`, by N, at most [`MAX_CPUS`]). A CPU line that does not parse
/// is left out and noted in `invalid`: that CPU is unknown, never idle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuStat {
    pub all: Option<CpuTimes>,
    pub cores: Vec<(u32, CpuTimes)>,
    pub invalid: bool,
}

/// Most CPUs kept from PROC/stat.
pub const MAX_CPUS: usize = 8192;

/// The `cpu` and `cpuN` lines of PROC/stat. Kernels since 2.6.33 print ten
/// numbers per line; at least the first eight (through `steal`) are needed.
pub fn cpu_stat(b: &[u8]) -> CpuStat {
    let mut out = CpuStat::default();
    for line in b.split(|&c| c == b'\n') {
        let Some(rest) = line.strip_prefix(b"cpu") else {
            continue;
        };
        let mut words = rest.split(|&c| c == b' ').filter(|w| !w.is_empty());
        // `cpu  123 ...`: the aggregate (its name ends at the space).
        let which = if rest.first() == Some(&b' ') {
            None
        } else {
            match words.next().and_then(parse_u64) {
                Some(n) => u32::try_from(n).ok(),
                None => {
                    out.invalid = true;
                    continue;
                }
            }
        };
        let nums: Vec<u64> = words.take(8).map_while(parse_u64).collect();
        let Ok(v) = <[u64; 8]>::try_from(nums) else {
            out.invalid = true;
            continue;
        };
        let t = CpuTimes {
            user: v[0],
            nice: v[1],
            system: v[2],
            idle: v[3],
            iowait: v[4],
            irq: v[5],
            softirq: v[6],
            steal: v[7],
        };
        match which {
            None => out.all = Some(t),
            Some(n) if out.cores.len() < MAX_CPUS => out.cores.push((n, t)),
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_fields() {
        let b = b"MemTotal:       24634504 kB\nMemFree:        1 kB\nMemAvailable:   20000000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n";
        let m = meminfo(b);
        assert_eq!(m.total, Some(24634504 * 1024));
        assert_eq!(m.available, Some(20000000 * 1024));
        assert_eq!(m.swap_used(), Some(0));
        // A line missing: only that value is lost.
        let m = meminfo(b"MemTotal: 100 kB\nSwapTotal: 10 kB\nSwapFree: 4 kB\n");
        assert_eq!(m.available, None);
        assert_eq!(m.swap_used(), Some(6 * 1024));
        assert_eq!(meminfo(b"\xff\xfe:::").total, None);
        assert!(m.invalid_keys().is_empty());
        // Present but not a number: None, and noted (not "missing").
        let m = meminfo(b"MemTotal: 100 kB\nMemAvailable: abc kB\nSwapTotal: -5 kB\nSwapFree: 18446744073709551615 kB\n");
        assert_eq!((m.available, m.swap_total, m.swap_free), (None, None, None));
        assert_eq!(m.total, Some(102400));
        assert_eq!(m.invalid_keys(), ["MemAvailable", "SwapTotal", "SwapFree"]);
        assert!(m.is_invalid("MemAvailable") && !m.is_invalid("MemTotal"));
    }

    #[test]
    fn loadavg_and_psi() {
        let l = loadavg(b"0.52 1.25 2.00 3/412 98765\n").unwrap();
        assert_eq!((l.one, l.five, l.fifteen), (0.52, 1.25, 2.0));
        assert_eq!(loadavg(b"0.5 nan"), None);
        let p = psi(b"some avg10=12.50 avg60=3.00 avg300=0.10 total=123\nfull avg10=1.00 avg60=0.50 avg300=0.00 total=45\n");
        assert_eq!(p.some.unwrap().avg10, 12.5);
        assert_eq!(p.full.unwrap().avg60, 0.5);
        // Older kernels have no `full` line for cpu; malformed lines are dropped.
        let p = psi(b"some avg10=1.00 avg60=x avg300=0.00 total=1\n");
        assert_eq!(p.some, None);
        assert_eq!(p.full, None);
        assert!(p.invalid);
        let p = psi(b"some avg10=1.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=-x\n");
        assert!(p.some.is_some() && p.full.is_none() && p.invalid);
        assert!(!psi(b"some avg10=1.00 avg60=0.00 avg300=0.00 total=1\n").invalid);
    }

    #[test]
    fn uptime_and_kernel_version() {
        // /proc/uptime on Linux 6.18.
        assert_eq!(uptime(b"9687.74 5164.81\n"), Some(9687.74));
        assert_eq!(uptime(b"0.00 0.00\n"), Some(0.0));
        for bad in [
            &b""[..],
            b"\n",
            b"x 1.0\n",
            b"nan 1.0\n",
            b"inf 1\n",
            b"-1.5 0\n",
            b"9687.74 \xff\n",
        ] {
            assert_eq!(uptime(bad), None, "{bad:?}");
        }
        assert_eq!(kernel_version(b"6.18.44-fc-v1252"), (6, 18));
        assert_eq!(kernel_version(b"5.4.0-150-generic"), (5, 4));
        assert_eq!(kernel_version(b"6"), (6, 0));
        assert_eq!(kernel_version(b""), (0, 0));
        // A part past u64 is 0, as a missing one.
        assert_eq!(kernel_version(b"99999999999999999999999.2"), (0, 2));
    }

    #[test]
    fn cpu_counts() {
        assert_eq!(cpu_list_count(b"0-1\n"), Some(2));
        assert_eq!(cpu_list_count(b"0-3,6,8-9\n"), Some(7));
        assert_eq!(cpu_list_count(b"0\n"), Some(1));
        assert_eq!(cpu_list_count(b"3-1"), None);
        assert_eq!(cpu_list_count(b""), None);
        assert_eq!(cpu_list_count(b"0-18446744073709551615"), None);
        let stat = b"cpu  1 2 3\ncpu0 1 2 3\ncpu1 4 5 6\nintr 99\nctxt 5\n";
        assert_eq!(stat_cpu_count(stat), 2);
    }

    #[test]
    fn file_nr_fields() {
        assert_eq!(
            file_nr(b"3712\t0\t9223372036854775807\n"),
            Some(FileNr {
                allocated: 3712,
                max: 9223372036854775807
            })
        );
        assert_eq!(file_nr(b"12 0"), None);
    }
    #[test]
    fn cpu_lines_of_stat() {
        let b = b"cpu  10 1 20 300 4 5 6 7 0 0\ncpu0 5 0 10 150 2 3 3 4 0 0\ncpu1 5 1 10 150 2 2 3 3 0 0\nintr 1 2 3\nctxt 99\n";
        let c = cpu_stat(b);
        assert_eq!(c.all.unwrap().steal, 7);
        assert_eq!(c.all.unwrap().total(), 353);
        assert_eq!(c.cores.len(), 2);
        assert_eq!(c.cores[1].0, 1);
        assert_eq!(c.cores[1].1.iowait, 2);
        assert!(!c.invalid);
        // A line cut short or not numbers: that CPU is unknown, noted.
        let c = cpu_stat(b"cpu0 1 2 3\ncpu1 1 2 3 4 5 6 7 8\ncpux 1 2 3 4 5 6 7 8\n");
        assert_eq!(
            c.cores,
            vec![(
                1,
                CpuTimes {
                    user: 1,
                    nice: 2,
                    system: 3,
                    idle: 4,
                    iowait: 5,
                    irq: 6,
                    softirq: 7,
                    steal: 8
                }
            )]
        );
        assert!(c.invalid);
        assert_eq!(c.all, None);
        // Saturating sums.
        let t = CpuTimes {
            user: u64::MAX,
            idle: 5,
            ..CpuTimes::default()
        };
        assert_eq!(t.total(), u64::MAX);
    }
}
