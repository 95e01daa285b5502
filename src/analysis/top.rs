//! `top`: one row per process with the rates that need two scans (CPU %,
//! context switches per second, descriptor growth), sorting, filtering and
//! the process tree. Pure: takes scans, returns rows.

use std::collections::HashMap;

use serde::Serialize;

use crate::analysis::secrets;
use crate::parse::host::{CpuStat, CpuTimes};
use crate::reader::{Missing, Scan, ScanRow};
use crate::text::Text;

/// Columns a table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Pid,
    User,
    Name,
    State,
    Cpu,
    Rss,
    Threads,
    Fds,
    /// Descriptors as a share of the soft limit.
    Fdpct,
    /// Context switches per second.
    Csw,
    Cmdline,
    /// Cumulative CPU time (TIME+).
    Time,
    /// RSS as a share of MemTotal (%MEM).
    Mem,
    Virt,
    /// RssFile + RssShmem.
    Shr,
    Nice,
    /// Process start time.
    Start,
    Tty,
    /// The cgroup's workload.
    Workload,
    /// Storage bytes read per second.
    IoRead,
    /// Storage bytes written per second.
    IoWrite,
}

impl SortKey {
    /// In the order of the table's columns (the TUI's `<` and `>` keys).
    pub const COLUMNS: [SortKey; 11] = [
        SortKey::Pid,
        SortKey::User,
        SortKey::Name,
        SortKey::State,
        SortKey::Cpu,
        SortKey::Rss,
        SortKey::Threads,
        SortKey::Fds,
        SortKey::Fdpct,
        SortKey::Csw,
        SortKey::Cmdline,
    ];

    /// Every column, the default ones first (the TUI's column chooser).
    pub const ALL: [SortKey; 21] = [
        SortKey::Pid,
        SortKey::User,
        SortKey::Name,
        SortKey::State,
        SortKey::Cpu,
        SortKey::Rss,
        SortKey::Threads,
        SortKey::Fds,
        SortKey::Fdpct,
        SortKey::Csw,
        SortKey::Cmdline,
        SortKey::Time,
        SortKey::Mem,
        SortKey::Virt,
        SortKey::Shr,
        SortKey::Nice,
        SortKey::Start,
        SortKey::Tty,
        SortKey::Workload,
        SortKey::IoRead,
        SortKey::IoWrite,
    ];

    /// Numbers sort largest first; text and PIDs in ascending order.
    pub fn descending_by_default(self) -> bool {
        !matches!(
            self,
            SortKey::Pid
                | SortKey::User
                | SortKey::Name
                | SortKey::State
                | SortKey::Cmdline
                | SortKey::Tty
                | SortKey::Workload
        )
    }

    /// The column's name in `--columns`, `--sort` and the config file.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Pid => "pid",
            SortKey::User => "user",
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::Cpu => "cpu",
            SortKey::Rss => "rss",
            SortKey::Threads => "threads",
            SortKey::Fds => "fds",
            SortKey::Fdpct => "fdpct",
            SortKey::Csw => "csw",
            SortKey::Cmdline => "cmdline",
            SortKey::Time => "time",
            SortKey::Mem => "mem",
            SortKey::Virt => "virt",
            SortKey::Shr => "shr",
            SortKey::Nice => "nice",
            SortKey::Start => "start",
            SortKey::Tty => "tty",
            SortKey::Workload => "workload",
            SortKey::IoRead => "io_read",
            SortKey::IoWrite => "io_write",
        }
    }

    /// A column from its name or its header, any case (`io_read`,
    /// `io-read`, `IO_R/s`, `time+`, `%mem`, `ni`, `command`).
    pub fn from_name(s: &str) -> Option<SortKey> {
        let n = s.trim().to_ascii_lowercase().replace('-', "_");
        let alias = match n.as_str() {
            "ni" => Some(SortKey::Nice),
            "command" | "cmd" => Some(SortKey::Cmdline),
            "thr" => Some(SortKey::Threads),
            "mem%" | "pmem" => Some(SortKey::Mem),
            "cgroup" => Some(SortKey::Workload),
            "io_r" | "ior" => Some(SortKey::IoRead),
            "io_w" | "iow" => Some(SortKey::IoWrite),
            _ => None,
        };
        alias.or_else(|| {
            SortKey::ALL
                .into_iter()
                .find(|k| k.name() == n || k.header().to_ascii_lowercase() == n)
        })
    }

    pub fn header(self) -> &'static str {
        match self {
            SortKey::Pid => "PID",
            SortKey::User => "USER",
            SortKey::Name => "NAME",
            SortKey::State => "STATE",
            SortKey::Cpu => "CPU%",
            SortKey::Rss => "RSS",
            SortKey::Threads => "THR",
            SortKey::Fds => "FDS",
            SortKey::Fdpct => "FD%",
            SortKey::Csw => "CSW/s",
            SortKey::Cmdline => "COMMAND",
            SortKey::Time => "TIME+",
            SortKey::Mem => "%MEM",
            SortKey::Virt => "VIRT",
            SortKey::Shr => "SHR",
            SortKey::Nice => "NI",
            SortKey::Start => "START",
            SortKey::Tty => "TTY",
            SortKey::Workload => "WORKLOAD",
            SortKey::IoRead => "IO_R/s",
            SortKey::IoWrite => "IO_W/s",
        }
    }
}

/// Why a `--columns` list (or the config file's) is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnsError {
    /// A name that is no column.
    Unknown(String),
    /// The same column twice.
    Twice(SortKey),
    /// Nothing left to show.
    Empty,
    /// `+a,b`: additions and a plain list mixed.
    Mixed,
}

/// What is wrong with `top`'s config file (its columns are not used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigProblem {
    /// It could not be read (not a missing file: that is no config).
    Unreadable(std::io::ErrorKind),
    /// Longer than the cap, in bytes.
    TooLarge(u64),
    /// Not TOML, or a key that is not `columns`: the parser's message.
    Syntax(String),
    Columns(ColumnsError),
}

/// The columns `spec` asks for: a list (`pid,user,cpu`) in that order, or
/// changes to `base` (`+io_read,-csw`: added before COMMAND when it is
/// shown, else at the end; removed).
pub fn columns(spec: &str, base: &[SortKey]) -> Result<Vec<SortKey>, ColumnsError> {
    let items: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect();
    let changes = items.iter().filter(|i| i.starts_with(['+', '-'])).count();
    if changes > 0 && changes < items.len() {
        return Err(ColumnsError::Mixed);
    }
    let key = |i: &str| SortKey::from_name(i).ok_or_else(|| ColumnsError::Unknown(i.to_string()));
    let mut out: Vec<SortKey> = if changes > 0 {
        base.to_vec()
    } else {
        Vec::new()
    };
    for item in items {
        if let Some(name) = item.strip_prefix('-') {
            let k = key(name)?;
            out.retain(|&c| c != k);
            continue;
        }
        let k = key(item.strip_prefix('+').unwrap_or(item))?;
        if out.contains(&k) {
            if changes > 0 {
                continue;
            }
            return Err(ColumnsError::Twice(k));
        }
        match out.iter().position(|&c| c == SortKey::Cmdline) {
            Some(i) if changes > 0 => out.insert(i, k),
            _ => out.push(k),
        }
    }
    if out.is_empty() {
        return Err(ColumnsError::Empty);
    }
    Ok(out)
}

/// The terminal a `tty_nr` names, as ps names it (`pts/3`, `tty1`,
/// `ttyS0`, else `MAJOR:MINOR`); None for no terminal (0).
pub fn tty_name(tty_nr: i32) -> Option<String> {
    if tty_nr == 0 {
        return None;
    }
    let n = tty_nr as u32;
    let major = (n >> 8) & 0xfff;
    let minor = (n & 0xff) | ((n >> 12) & 0xfff00);
    Some(match major {
        136..=143 => format!("pts/{}", minor + (major - 136) * 256),
        4 if minor < 64 => format!("tty{minor}"),
        4 => format!("ttyS{}", minor - 64),
        5 if minor == 1 => "console".to_string(),
        _ => format!("{major}:{minor}"),
    })
}

/// How the rates of a row were measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateBasis {
    /// Between two scans this many seconds apart.
    Interval(f64),
    /// Averaged over each process's lifetime (one scan only, as ps does).
    Lifetime,
}

/// One process, ready to show.
#[derive(Debug, Clone)]
pub struct TopRow<'a> {
    pub scan: &'a ScanRow,
    pub user: Option<Text>,
    /// Percent of one CPU.
    pub cpu_percent: Option<f64>,
    pub switches_per_sec: Option<f64>,
    /// Descriptors opened (negative: closed) per second; None without an
    /// earlier scan of the same process.
    pub fd_growth_per_sec: Option<f64>,
    pub fd_percent: Option<f64>,
    /// `--reveal`: the command line is shown as read, secrets included
    /// (else they are masked, see [`crate::analysis::secrets`]).
    pub reveal: bool,
    /// utime + stime, clock ticks (TIME+).
    pub cpu_ticks_total: Option<u64>,
    /// Clock ticks per second of the host the scan is from.
    pub ticks_per_sec: u64,
    /// RSS as a percentage of MemTotal ([`set_memory_total`]).
    pub mem_percent: Option<f64>,
    /// When the process started, seconds since the epoch.
    pub started_unix: Option<f64>,
    /// When the scan was taken, seconds since the epoch (START shows a
    /// time of day for a process started that day).
    pub scan_unix: Option<f64>,
    /// Storage bytes read and written per second (`io`), as the other
    /// rates: between two scans, else over the process's lifetime.
    pub io_read_per_sec: Option<f64>,
    pub io_write_per_sec: Option<f64>,
    /// The kubelet's names of the scan's pods, when looked up.
    pub pods: Option<&'a crate::reader::pods::KubeletNames>,
}

impl TopRow<'_> {
    /// The process's workload, from the cgroup lines the scan read (when
    /// the WORKLOAD column asked for them), its pod and container named
    /// from the kubelet's directories when the scan looked them up.
    pub fn workload(&self) -> Option<crate::analysis::workload::WorkloadReport> {
        let raw = self.scan.extra.cgroup.as_ref().ok()?;
        let mut w = crate::analysis::workload::of_lines(&crate::parse::cgroup::parse(raw))?;
        if let Some(k) = self.pods {
            w.name_from(k);
        }
        Some(w)
    }

    /// The NUL-separated command line to show (secrets masked unless
    /// revealed) and how many secrets it shows as `****`; None when
    /// unreadable. Masked on demand: the live view needs only the rows it
    /// draws (and all of them only to filter or sort by command line).
    pub fn shown_cmdline(&self) -> Option<(std::borrow::Cow<'_, [u8]>, usize)> {
        let raw = self.scan.cmdline.as_ref().ok()?;
        if self.reveal {
            return Some((raw.as_slice().into(), 0));
        }
        let (m, n) = secrets::mask_nul_args(raw, self.scan.cmdline_truncated);
        Some((m.into(), n))
    }

    /// The command line for display: arguments joined by spaces, or
    /// `[name]` for a kernel thread or a process without one (as ps shows).
    pub fn command(&self) -> Vec<u8> {
        match self.shown_cmdline() {
            Some((c, _)) if !c.is_empty() => {
                let mut v = joined_args(&c);
                if self.scan.cmdline_truncated {
                    v.extend_from_slice("…".as_bytes());
                }
                v
            }
            _ => {
                let mut v = b"[".to_vec();
                v.extend_from_slice(&self.scan.name);
                v.push(b']');
                if self.scan.state == b'Z' {
                    v.extend_from_slice(b" <defunct>");
                }
                v
            }
        }
    }
}

/// NUL-separated arguments joined by spaces.
fn joined_args(c: &[u8]) -> Vec<u8> {
    let body = c.strip_suffix(b"\0").unwrap_or(c);
    body.iter()
        .map(|&b| if b == 0 { b' ' } else { b })
        .collect()
}

/// Rows for `cur`, with rates against `prev` when given (else lifetime
/// averages). `user` maps a uid to its name.
pub fn rows<'a>(
    cur: &'a Scan,
    prev: Option<&Scan>,
    ticks_per_sec: u64,
    mut user: impl FnMut(u32) -> Option<Vec<u8>>,
) -> (Vec<TopRow<'a>>, RateBasis) {
    let ticks = ticks_per_sec.max(1) as f64;
    let interval = prev
        .map(|p| cur.taken.saturating_duration_since(p.taken).as_secs_f64())
        .filter(|&s| s > 0.0);
    let basis = interval.map_or(RateBasis::Lifetime, RateBasis::Interval);
    let scan_unix = cur
        .wall
        .and_then(|w| w.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64());
    let out = cur
        .rows
        .iter()
        .map(|r| {
            let before = prev
                .and_then(|p| p.find(r.pid))
                .filter(|b| b.start_ticks == r.start_ticks);
            // Seconds the process has existed, for lifetime averages and for
            // processes born after the previous scan.
            let age = cur
                .uptime_secs
                // At least one tick: a process born this instant has run
                // at most that long.
                .map(|up| (up - r.start_ticks as f64 / ticks).max(1.0 / ticks));
            let (cpu_percent, switches_per_sec, fd_growth_per_sec) = match (before, interval) {
                (Some(b), Some(dt)) => (
                    Some(r.cpu_ticks.saturating_sub(b.cpu_ticks) as f64 / ticks / dt * 100.0),
                    match (r.switches, b.switches) {
                        (Ok(n), Ok(o)) => Some(n.saturating_sub(o) as f64 / dt),
                        _ => None,
                    },
                    match (r.fds, b.fds) {
                        (Ok(n), Ok(o)) => Some((n as f64 - o as f64) / dt),
                        _ => None,
                    },
                ),
                _ => (
                    age.map(|a| r.cpu_ticks as f64 / ticks / a * 100.0),
                    match (r.switches, age) {
                        (Ok(n), Some(a)) => Some(n as f64 / a),
                        _ => None,
                    },
                    None,
                ),
            };
            // A process cannot use more than a core per thread: clock-tick
            // granularity over a short age or interval can overshoot.
            let cap = 100.0 * r.threads.max(1) as f64;
            let cpu_percent = cpu_percent.map(|c| c.min(cap));
            let fd_percent = match (r.fds, r.fd_soft_limit) {
                (Ok(n), Ok(Some(l))) if l > 0 => Some(n as f64 * 100.0 / l as f64),
                _ => None,
            };
            let (io_read_per_sec, io_write_per_sec) = io_rates(r, before, interval, age);
            TopRow {
                scan: r,
                reveal: false,
                user: r.uid.ok().map(|u| match user(u) {
                    Some(name) => Text(name),
                    None => Text(u.to_string().into_bytes()),
                }),
                cpu_percent,
                switches_per_sec,
                fd_growth_per_sec,
                fd_percent,
                cpu_ticks_total: Some(r.cpu_ticks),
                ticks_per_sec: ticks_per_sec.max(1),
                mem_percent: None,
                started_unix: cur
                    .boot_unix
                    .map(|b| b as f64 + r.start_ticks as f64 / ticks),
                scan_unix,
                io_read_per_sec,
                io_write_per_sec,
                pods: cur.pods.as_deref(),
            }
        })
        .collect();
    (out, basis)
}

/// Storage bytes read and written per second: between the two scans
/// when the process was in both, else over its lifetime.
fn io_rates(
    r: &ScanRow,
    before: Option<&ScanRow>,
    interval: Option<f64>,
    age: Option<f64>,
) -> (Option<f64>, Option<f64>) {
    let Ok((rd, wr)) = r.io else {
        return (None, None);
    };
    match (before.map(|b| b.io), interval) {
        (Some(Ok((r0, w0))), Some(dt)) => (
            Some(rd.saturating_sub(r0) as f64 / dt),
            Some(wr.saturating_sub(w0) as f64 / dt),
        ),
        // In the earlier scan but its io unreadable there: no rate.
        (Some(Err(_)), Some(_)) => (None, None),
        _ => (age.map(|a| rd as f64 / a), age.map(|a| wr as f64 / a)),
    }
}

/// %MEM of every row against the host's MemTotal (unknown without it).
pub fn set_memory_total(rows: &mut [TopRow<'_>], mem_total: Option<u64>) {
    for r in rows {
        r.mem_percent = match mem_total {
            Some(t) if t > 0 && !r.scan.kernel_thread && r.scan.state != b'Z' => {
                Some(r.scan.rss_bytes as f64 * 100.0 / t as f64)
            }
            _ => None,
        };
    }
}

/// `--reveal`: show every row's command line as it is, secrets included.
pub fn reveal(rows: &mut [TopRow<'_>]) {
    for r in rows {
        r.reveal = true;
    }
}

/// Sort in place by `key`; `reverse` flips the column's natural order.
/// Rows without a value sort last either way; ties break by PID.
pub fn sort(rows: &mut [TopRow<'_>], key: SortKey, reverse: bool) {
    use std::cmp::Ordering;
    let desc = key.descending_by_default() != reverse;
    fn num(v: Option<f64>) -> Option<f64> {
        v.filter(|x| x.is_finite())
    }
    let value = |r: &TopRow<'_>| -> Option<f64> {
        match key {
            SortKey::Cpu => num(r.cpu_percent),
            SortKey::Rss => Some(r.scan.rss_bytes as f64),
            SortKey::Threads => Some(r.scan.threads as f64),
            SortKey::Fds => r.scan.fds.ok().map(|v| v as f64),
            SortKey::Fdpct => num(r.fd_percent),
            SortKey::Csw => num(r.switches_per_sec),
            SortKey::Pid => Some(f64::from(r.scan.pid)),
            SortKey::Time => r.cpu_ticks_total.map(|v| v as f64),
            SortKey::Mem => num(r.mem_percent),
            SortKey::Virt => r.scan.extra.vsize_bytes.ok().map(|v| v as f64),
            SortKey::Shr => r.scan.extra.shared_bytes.ok().map(|v| v as f64),
            SortKey::Nice => r.scan.extra.nice.ok().map(|v| v as f64),
            SortKey::Start => Some(r.scan.start_ticks as f64),
            SortKey::IoRead => num(r.io_read_per_sec),
            SortKey::IoWrite => num(r.io_write_per_sec),
            _ => None,
        }
    };
    let text = |r: &TopRow<'_>| -> Vec<u8> {
        match key {
            SortKey::User => r.user.as_ref().map(|u| u.0.clone()).unwrap_or_default(),
            SortKey::Name => r.scan.name.to_ascii_lowercase(),
            SortKey::State => vec![r.scan.state],
            SortKey::Cmdline => r.command(),
            // No terminal sorts after every terminal.
            SortKey::Tty => match r.scan.extra.tty_nr.ok().and_then(tty_name) {
                Some(t) => t.into_bytes(),
                None => vec![0xff],
            },
            SortKey::Workload => r.workload().map(|w| w.cgroup.0).unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    let textual = matches!(
        key,
        SortKey::User
            | SortKey::Name
            | SortKey::State
            | SortKey::Cmdline
            | SortKey::Tty
            | SortKey::Workload
    );
    if textual {
        // Precompute keys once: comparisons would rebuild them O(n log n) times.
        let mut keyed: Vec<(Vec<u8>, usize)> =
            rows.iter().enumerate().map(|(i, r)| (text(r), i)).collect();
        keyed.sort_by(|a, b| {
            let o = a.0.cmp(&b.0);
            let o = if desc { o.reverse() } else { o };
            o.then(rows[a.1].scan.pid.cmp(&rows[b.1].scan.pid))
        });
        let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
        permute(rows, &order);
        return;
    }
    rows.sort_by(|a, b| {
        let o = match (value(a), value(b)) {
            (Some(x), Some(y)) => {
                let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                if desc { o.reverse() } else { o }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        o.then(a.scan.pid.cmp(&b.scan.pid))
    });
}

fn permute<T: Clone>(rows: &mut [T], order: &[usize]) {
    let sorted: Vec<T> = order.iter().map(|&i| rows[i].clone()).collect();
    for (slot, v) in rows.iter_mut().zip(sorted) {
        *slot = v;
    }
}

/// Whether a row matches a filter: case-insensitive substring of the name,
/// command line or user, or the exact PID.
pub fn matches(r: &TopRow<'_>, filter: &str) -> bool {
    let f = filter.trim();
    if f.is_empty() {
        return true;
    }
    if let Ok(pid) = f.parse::<i32>() {
        if r.scan.pid == pid {
            return true;
        }
    }
    let needle = f.to_ascii_lowercase();
    let has = |hay: &[u8]| {
        let hay = hay.to_ascii_lowercase();
        hay.windows(needle.len().max(1))
            .any(|w| w == needle.as_bytes())
    };
    has(&r.scan.name) || has(&r.command()) || r.user.as_ref().is_some_and(|u| has(&u.0))
}

/// Tree order: each process followed by its children (depth first),
/// siblings in the order they have in `rows`. Returns (index, depth).
/// Processes whose parent is not among `rows` are roots.
pub fn tree(rows: &[TopRow<'_>]) -> Vec<(usize, usize)> {
    let index: HashMap<i32, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.scan.pid, i))
        .collect();
    let mut children: HashMap<i32, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.scan.ppid != r.scan.pid && index.contains_key(&r.scan.ppid) {
            children.entry(r.scan.ppid).or_default().push(i);
        } else {
            roots.push(i);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    let mut seen = vec![false; rows.len()];
    let mut stack: Vec<(usize, usize)> = roots.into_iter().rev().map(|i| (i, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        out.push((i, depth));
        if let Some(kids) = children.get(&rows[i].scan.pid) {
            stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
        }
    }
    // A parent cycle (only possible in a hostile fixture) leaves rows
    // unvisited: show them as roots rather than drop them.
    for (i, s) in seen.iter().enumerate() {
        if !s {
            out.push((i, 0));
        }
    }
    out
}

/// One CPU's use between two readings of PROC/stat, in percent of its
/// time: user (with nice), system (with irq and softirq), iowait, steal,
/// and busy (user + system + steal; iowait is idle time waiting on I/O).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoreUse {
    /// `None` for the whole machine, else the CPU's number.
    pub cpu: Option<u32>,
    pub user: f64,
    pub system: f64,
    pub iowait: f64,
    pub steal: f64,
    pub busy: f64,
}

/// The use of one CPU between two readings; None when no time passed on
/// it (or its counters went back: a CPU taken offline and back).
pub fn core_use(cpu: Option<u32>, before: &CpuTimes, now: &CpuTimes) -> Option<CoreUse> {
    let d = |a: u64, b: u64| b.checked_sub(a);
    let total = d(before.total(), now.total()).filter(|&t| t > 0)? as f64;
    let user = d(before.user, now.user)?.saturating_add(d(before.nice, now.nice)?) as f64;
    let system = d(before.system, now.system)?
        .saturating_add(d(before.irq, now.irq)?)
        .saturating_add(d(before.softirq, now.softirq)?) as f64;
    let iowait = d(before.iowait, now.iowait)? as f64;
    let steal = d(before.steal, now.steal)? as f64;
    let pct = |v: f64| (v * 100.0 / total).clamp(0.0, 100.0);
    Some(CoreUse {
        cpu,
        user: pct(user),
        system: pct(system),
        iowait: pct(iowait),
        steal: pct(steal),
        busy: pct(user + system + steal),
    })
}

/// Every CPU's use between two readings of PROC/stat, the machine first
/// (`cpu: None`); a CPU missing from either reading is left out.
pub fn cpu_use(before: &CpuStat, now: &CpuStat) -> Vec<CoreUse> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (&before.all, &now.all) {
        out.extend(core_use(None, a, b));
    }
    let earlier: HashMap<u32, &CpuTimes> = before.cores.iter().map(|(n, t)| (*n, t)).collect();
    for (n, t) in &now.cores {
        if let Some(a) = earlier.get(n) {
            out.extend(core_use(Some(*n), a, t));
        }
    }
    out
}

/// Processes of a scan by state, and the threads of them all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskStates {
    pub processes: usize,
    pub running: usize,
    /// `S` and `I` (idle kernel threads).
    pub sleeping: usize,
    /// `D`: uninterruptible, usually waiting on I/O.
    pub disk_sleep: usize,
    /// `T` (stopped) and `t` (traced).
    pub stopped: usize,
    pub zombie: usize,
    /// Any other state letter.
    pub other: usize,
    pub threads: u64,
}

pub fn task_states(scan: &Scan) -> TaskStates {
    let mut t = TaskStates {
        processes: scan.rows.len(),
        ..TaskStates::default()
    };
    for r in &scan.rows {
        t.threads = t.threads.saturating_add(r.threads);
        match r.state {
            b'R' => t.running += 1,
            b'S' | b'I' => t.sleeping += 1,
            b'D' => t.disk_sleep += 1,
            b'T' | b't' => t.stopped += 1,
            b'Z' => t.zombie += 1,
            _ => t.other += 1,
        }
    }
    t
}

/// The shape of a tree drawn from its rows' depths (in display order):
/// for each row, one flag per level 1..=depth saying whether a later
/// sibling follows at that level (for the row's own level: `├─` rather
/// than `└─`; for its ancestors' levels: a `│` continues there).
pub fn tree_shape(depths: &[usize]) -> Vec<Vec<bool>> {
    let mut later: Vec<bool> = Vec::new();
    let mut out = vec![Vec::new(); depths.len()];
    for (i, &d) in depths.iter().enumerate().rev() {
        if later.len() <= d {
            later.resize(d + 1, false);
        }
        out[i] = later[1..=d].to_vec();
        later[d] = true;
        for l in later.iter_mut().skip(d + 1) {
            *l = false;
        }
    }
    out
}

/// Whether a row is of the user named `name` (as shown: the name, or the
/// uid when it has none).
pub fn of_user(r: &TopRow<'_>, name: &[u8]) -> bool {
    r.user.as_ref().is_some_and(|u| u.0 == name)
}

/// The users of the rows, each once, sorted by name.
pub fn users(rows: &[TopRow<'_>]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = rows
        .iter()
        .filter_map(|r| r.user.as_ref().map(|u| u.0.clone()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// One row of `top --json`.
#[derive(Debug, Serialize)]
pub struct JsonRow {
    pub pid: i32,
    pub ppid: i32,
    pub name: Text,
    pub user: Option<Text>,
    pub uid: Option<u32>,
    pub state: String,
    pub rss_bytes: u64,
    pub threads: u64,
    pub fds: Option<u64>,
    pub fd_soft_limit: Option<u64>,
    pub fd_percent: Option<f64>,
    pub cpu_percent: Option<f64>,
    pub switches_per_second: Option<f64>,
    pub fd_growth_per_second: Option<f64>,
    /// Seconds between the two scans the rates come from; null when they
    /// are averages over each process's lifetime.
    pub rates_over_seconds: Option<f64>,
    /// Arguments joined by spaces, secrets masked as `****` (unless
    /// `--reveal`); null when unreadable (see `unavailable`).
    pub cmdline: Option<Text>,
    pub cmdline_truncated: bool,
    /// How many secrets `cmdline` shows as `****` (0: it is as read).
    pub cmdline_secrets_masked: usize,
    /// utime + stime in seconds (TIME+).
    pub cpu_seconds_total: Option<f64>,
    /// RSS as a percentage of MemTotal.
    pub mem_percent: Option<f64>,
    pub virt_bytes: Option<u64>,
    /// RssFile + RssShmem.
    pub shared_bytes: Option<u64>,
    pub nice: Option<i64>,
    /// When the process started, seconds since the epoch.
    pub start_time_unix: Option<f64>,
    /// The controlling terminal (`pts/3`); null without one (`tty_nr` 0)
    /// or when unreadable.
    pub tty: Option<String>,
    pub tty_nr: Option<i32>,
    /// Only when the IO_R/s or IO_W/s column is chosen (`--columns`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_read_bytes_per_second: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_write_bytes_per_second: Option<Option<f64>>,
    /// Only when the WORKLOAD column is chosen: the object `inspect
    /// --json` shows (null when the cgroup could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<Option<crate::analysis::workload::WorkloadReport>>,
    /// `field: reason` for each value that could not be read.
    pub unavailable: Vec<String>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl JsonRow {
    /// The row as JSON; `columns` says whether the I/O rates and the
    /// workload (read only for their columns) are included.
    pub fn new(r: &TopRow<'_>, basis: RateBasis, columns: &[SortKey]) -> JsonRow {
        let s = r.scan;
        let shown = r.shown_cmdline();
        let io = columns.contains(&SortKey::IoRead) || columns.contains(&SortKey::IoWrite);
        let mut unavailable: Vec<String> = s
            .unavailable()
            .into_iter()
            .map(|(f, m): (&str, Missing)| format!("{f}: {}", m.as_str()))
            .collect();
        let mut note = |field: &str, m: Option<Missing>| {
            if let Some(m) = m.filter(|&m| m != Missing::NotApplicable) {
                unavailable.push(format!("{field}: {}", m.as_str()));
            }
        };
        note("shared_bytes", s.extra.shared_bytes.err());
        note("tty", s.extra.tty_nr.err());
        if io {
            note("io", s.io.err());
        }
        JsonRow {
            pid: s.pid,
            ppid: s.ppid,
            name: Text(s.name.clone()),
            user: r.user.clone(),
            uid: s.uid.ok(),
            state: char::from(s.state).to_string(),
            rss_bytes: s.rss_bytes,
            threads: s.threads,
            fds: s.fds.ok(),
            fd_soft_limit: s.fd_soft_limit.ok().flatten(),
            fd_percent: r.fd_percent.map(round2),
            cpu_percent: r.cpu_percent.map(round2),
            switches_per_second: r.switches_per_sec.map(round2),
            fd_growth_per_second: r.fd_growth_per_sec.map(round2),
            rates_over_seconds: match basis {
                RateBasis::Interval(s) => Some(round2(s)),
                RateBasis::Lifetime => None,
            },
            cmdline: shown.as_ref().map(|(c, _)| Text(joined_args(c))),
            cmdline_truncated: s.cmdline_truncated,
            cmdline_secrets_masked: shown.as_ref().map_or(0, |(_, n)| *n),
            cpu_seconds_total: r
                .cpu_ticks_total
                .map(|t| round2(t as f64 / r.ticks_per_sec.max(1) as f64)),
            mem_percent: r.mem_percent.map(round2),
            virt_bytes: s.extra.vsize_bytes.ok(),
            shared_bytes: s.extra.shared_bytes.ok(),
            nice: s.extra.nice.ok(),
            start_time_unix: r.started_unix.map(round2),
            tty: s.extra.tty_nr.ok().and_then(tty_name),
            tty_nr: s.extra.tty_nr.ok(),
            io_read_bytes_per_second: io.then(|| r.io_read_per_sec.map(round2)),
            io_write_bytes_per_second: io.then(|| r.io_write_per_sec.map(round2)),
            workload: columns.contains(&SortKey::Workload).then(|| r.workload()),
            unavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn row(pid: i32, ppid: i32, name: &str) -> ScanRow {
        ScanRow {
            pid,
            ppid,
            name: name.as_bytes().to_vec(),
            state: b'S',
            kernel_thread: false,
            start_ticks: 100,
            cpu_ticks: 0,
            system_ticks: 0,
            rss_bytes: 4096,
            threads: 1,
            uid: Ok(0),
            switches: Ok(10),
            fds: Ok(10),
            fd_soft_limit: Ok(Some(1024)),
            cmdline: Ok(format!("{name}\0--flag\0").into_bytes()),
            cmdline_truncated: false,
            io: Err(crate::reader::Missing::NotApplicable),
            extra: crate::reader::RowExtra::default(),
        }
    }

    fn scan(rows: Vec<ScanRow>, at: Instant, uptime: f64) -> Scan {
        Scan {
            rows,
            uptime_secs: Some(uptime),
            ..Scan::empty(at)
        }
    }

    #[test]
    fn rates_between_two_scans() {
        let t0 = Instant::now();
        let mut a = row(10, 1, "busy");
        let mut b = a.clone();
        a.cpu_ticks = 1000;
        a.switches = Ok(100);
        a.fds = Ok(50);
        b.cpu_ticks = 1150; // 150 ticks in 2 s at 100 Hz: 75% of a core
        b.switches = Ok(500);
        b.fds = Ok(70);
        let prev = scan(vec![a], t0, 1000.0);
        let cur = scan(vec![b], t0 + Duration::from_secs(2), 1002.0);
        let (rows, basis) = rows(&cur, Some(&prev), 100, |_| Some(b"root".to_vec()));
        assert_eq!(basis, RateBasis::Interval(2.0));
        let r = &rows[0];
        assert!((r.cpu_percent.unwrap() - 75.0).abs() < 1e-9);
        assert!((r.switches_per_sec.unwrap() - 200.0).abs() < 1e-9);
        assert!((r.fd_growth_per_sec.unwrap() - 10.0).abs() < 1e-9);
        assert!((r.fd_percent.unwrap() - 70.0 * 100.0 / 1024.0).abs() < 1e-9);
        assert_eq!(r.user.as_ref().unwrap().0, b"root");
    }

    #[test]
    fn lifetime_average_and_replaced_pid() {
        let t0 = Instant::now();
        let mut old = row(10, 1, "old");
        old.cpu_ticks = 5000;
        let mut new = row(10, 1, "new");
        // Same PID, later start: a different process.
        new.start_ticks = 90_000; // started at 900 s; uptime 1000 s
        new.cpu_ticks = 5000; // 50 s of CPU in 100 s
        let prev = scan(vec![old], t0, 999.0);
        let cur = scan(vec![new], t0 + Duration::from_secs(1), 1000.0);
        let (rows, _) = rows(&cur, Some(&prev), 100, |_| None);
        assert!((rows[0].cpu_percent.unwrap() - 50.0).abs() < 1e-9);
        assert_eq!(rows[0].fd_growth_per_sec, None);
        // No name for the uid: the number is shown.
        assert_eq!(rows[0].user.as_ref().unwrap().0, b"0");
    }

    #[test]
    fn cpu_is_capped_at_a_core_per_thread() {
        // 7 ticks of CPU in a process 1 tick old: 700% by arithmetic.
        let mut young = row(10, 1, "young");
        young.start_ticks = 99_999;
        young.cpu_ticks = 7;
        let s = scan(vec![young], Instant::now(), 1000.0);
        let (rows, _) = rows(&s, None, 100, |_| None);
        assert_eq!(rows[0].cpu_percent, Some(100.0));
    }

    #[test]
    fn unreadable_is_not_zero() {
        let mut r = row(10, 1, "x");
        r.fds = Err(Missing::PermissionDenied);
        r.uid = Err(Missing::PermissionDenied);
        let s = scan(vec![r], Instant::now(), 10.0);
        let (rows, basis) = rows(&s, None, 100, |_| None);
        assert_eq!(rows[0].fd_percent, None);
        assert!(rows[0].user.is_none());
        let j = JsonRow::new(&rows[0], basis, &SortKey::COLUMNS);
        assert_eq!(j.fds, None);
        assert_eq!(
            j.unavailable,
            vec!["user: permission_denied", "fds: permission_denied"]
        );
        assert_eq!(j.cmdline.unwrap().0, b"x --flag");
        assert_eq!(j.rates_over_seconds, None);
    }

    #[test]
    fn sorting_puts_unknown_last_and_breaks_ties_by_pid() {
        let mut a = row(3, 1, "a");
        a.fds = Ok(5);
        let mut b = row(2, 1, "b");
        b.fds = Err(Missing::PermissionDenied);
        let mut c = row(1, 1, "c");
        c.fds = Ok(500);
        let mut d = row(4, 1, "d");
        d.fds = Ok(5);
        let s = scan(vec![c, b, a, d], Instant::now(), 10.0);
        let (mut rows, _) = rows(&s, None, 100, |_| None);
        let pids = |rows: &[TopRow<'_>]| rows.iter().map(|r| r.scan.pid).collect::<Vec<_>>();
        sort(&mut rows, SortKey::Fds, false);
        assert_eq!(pids(&rows), vec![1, 3, 4, 2]);
        sort(&mut rows, SortKey::Fds, true);
        assert_eq!(pids(&rows), vec![3, 4, 1, 2]);
        sort(&mut rows, SortKey::Name, false);
        assert_eq!(pids(&rows), vec![3, 2, 1, 4]);
        sort(&mut rows, SortKey::Pid, true);
        assert_eq!(pids(&rows), vec![4, 3, 2, 1]);
    }

    #[test]
    fn filter_and_tree() {
        let rows_in = vec![
            row(1, 0, "init"),
            row(20, 1, "sshd"),
            row(30, 20, "bash"),
            row(31, 30, "vim"),
            row(40, 1, "cron"),
            row(50, 999, "orphan"),
        ];
        let s = scan(rows_in, Instant::now(), 10.0);
        let (rows, _) = rows(&s, None, 100, |_| Some(b"alice".to_vec()));
        let t: Vec<(i32, usize)> = tree(&rows)
            .into_iter()
            .map(|(i, d)| (rows[i].scan.pid, d))
            .collect();
        assert_eq!(t, vec![(1, 0), (20, 1), (30, 2), (31, 3), (40, 1), (50, 0)]);
        assert!(matches(&rows[3], "VIM"));
        assert!(matches(&rows[3], "31"));
        assert!(matches(&rows[3], "--flag"));
        assert!(matches(&rows[3], "alice"));
        assert!(!matches(&rows[3], "sshd"));
        assert!(matches(&rows[3], "  "));
    }

    #[test]
    fn command_lines_masked_unless_revealed() {
        let mut a = row(7, 1, "app");
        a.cmdline = Ok(b"app\0--db=postgres://u:hunter2@db\0--token\0hunter2\0".to_vec());
        let mut cut = row(8, 1, "cut");
        cut.cmdline = Ok(b"cut\0--db=postgres://u:hunt".to_vec());
        cut.cmdline_truncated = true;
        let s = scan(vec![a, cut], Instant::now(), 10.0);
        let (mut rows, basis) = rows(&s, None, 100, |_| None);
        assert_eq!(
            rows[0].command(),
            b"app --db=postgres://u:****@db --token ****"
        );
        assert_eq!(rows[1].command(), "cut --db=postgres://u:****…".as_bytes());
        let j = JsonRow::new(&rows[0], basis, &SortKey::COLUMNS);
        assert_eq!(
            j.cmdline.unwrap().0,
            b"app --db=postgres://u:****@db --token ****"
        );
        assert_eq!(j.cmdline_secrets_masked, 2);
        // A filter sees what is shown.
        assert!(!matches(&rows[0], "hunter2"));
        assert!(matches(&rows[0], "u:****@db"));
        reveal(&mut rows);
        assert_eq!(
            rows[0].command(),
            b"app --db=postgres://u:hunter2@db --token hunter2"
        );
        let j = JsonRow::new(&rows[0], basis, &SortKey::COLUMNS);
        assert_eq!(j.cmdline_secrets_masked, 0);
        assert!(matches(&rows[0], "hunter2"));
    }

    #[test]
    fn column_lists_and_changes() {
        use SortKey as K;
        let d = &SortKey::COLUMNS;
        assert_eq!(
            columns("pid, USER,name,cpu,time+,%MEM,IO_R/s,io-write,ni", d).unwrap(),
            vec![
                K::Pid,
                K::User,
                K::Name,
                K::Cpu,
                K::Time,
                K::Mem,
                K::IoRead,
                K::IoWrite,
                K::Nice
            ]
        );
        // Changes to the defaults: added before COMMAND, removed, a
        // column already there kept once.
        let c = columns("+io_read,-csw,+pid,-user", d).unwrap();
        assert_eq!(c.len(), SortKey::COLUMNS.len() - 1);
        assert_eq!(c[c.len() - 2..], [K::IoRead, K::Cmdline]);
        assert!(!c.contains(&K::Csw) && !c.contains(&K::User));
        assert_eq!(columns("-cmdline,+tty", d).unwrap().last(), Some(&K::Tty));
        assert_eq!(
            columns("pid,bogus", d),
            Err(ColumnsError::Unknown("bogus".into()))
        );
        assert_eq!(columns("pid,cpu,pid", d), Err(ColumnsError::Twice(K::Pid)));
        assert_eq!(columns("pid,+cpu", d), Err(ColumnsError::Mixed));
        assert_eq!(columns(" , ", d), Err(ColumnsError::Empty));
        assert_eq!(
            columns("-pid,-cmdline", &[K::Pid, K::Cmdline]),
            Err(ColumnsError::Empty)
        );
        // Every column by its name and its header.
        for k in SortKey::ALL {
            assert_eq!(SortKey::from_name(k.name()), Some(k));
            assert_eq!(SortKey::from_name(k.header()), Some(k));
        }
    }

    #[test]
    fn terminals_named_as_ps_names_them() {
        assert_eq!(tty_name(0), None);
        // pts/3: major 136, minor 3.
        assert_eq!(tty_name(34816 + 3).as_deref(), Some("pts/3"));
        // pts/300: minor 300 = 0x12c (low byte 0x2c, high bits at 20).
        assert_eq!(
            tty_name((136 << 8) | 0x2c | (1 << 20)).as_deref(),
            Some("pts/300")
        );
        assert_eq!(tty_name((4 << 8) | 1).as_deref(), Some("tty1"));
        assert_eq!(tty_name((4 << 8) | 64).as_deref(), Some("ttyS0"));
        assert_eq!(tty_name((5 << 8) | 1).as_deref(), Some("console"));
        assert_eq!(tty_name((204 << 8) | 64).as_deref(), Some("204:64"));
        // A hostile value never panics.
        assert!(tty_name(-1).is_some());
        assert!(tty_name(i32::MIN).is_some());
    }

    #[test]
    fn io_rates_memory_share_and_start_time() {
        let t0 = Instant::now();
        let mut a = row(10, 1, "writer");
        a.io = Ok((1000, 5000));
        let mut b = a.clone();
        b.io = Ok((1000, 5000 + 2 * 1_048_576));
        let mut denied = row(11, 1, "other");
        denied.io = Err(Missing::PermissionDenied);
        let prev = scan(vec![a, denied.clone()], t0, 1000.0);
        let mut cur = scan(vec![b, denied], t0 + Duration::from_secs(2), 1002.0);
        cur.wall = Some(std::time::UNIX_EPOCH + Duration::from_secs(1_000_000));
        cur.boot_unix = Some(1_000_000 - 1002);
        let (mut rows, _) = rows(&cur, Some(&prev), 100, |_| None);
        assert_eq!(rows[0].io_read_per_sec, Some(0.0));
        assert_eq!(rows[0].io_write_per_sec, Some(1_048_576.0));
        // Unreadable is no rate, never 0.
        assert_eq!(rows[1].io_write_per_sec, None);
        // Started 1 s after boot (start_ticks 100 at 100 Hz), 1002 s ago.
        assert_eq!(rows[0].started_unix, Some(1_000_000.0 - 1002.0 + 1.0));
        set_memory_total(&mut rows, Some(4096 * 100));
        assert_eq!(rows[0].mem_percent, Some(1.0));
        set_memory_total(&mut rows, None);
        assert_eq!(rows[0].mem_percent, None);
        assert_eq!(rows[0].cpu_ticks_total, Some(0));
        // Sorted by the write rate: the unreadable one last.
        sort(&mut rows, SortKey::IoWrite, false);
        assert_eq!(rows[0].scan.pid, 10);
        let j = JsonRow::new(&rows[1], RateBasis::Interval(2.0), &[SortKey::IoWrite]);
        assert_eq!(j.io_write_bytes_per_second, Some(None));
        assert!(j.unavailable.contains(&"io: permission_denied".to_string()));
        let j = JsonRow::new(&rows[0], RateBasis::Interval(2.0), &SortKey::COLUMNS);
        assert_eq!(j.io_write_bytes_per_second, None);
        let text = serde_json::to_string(&j).unwrap_or_default();
        assert!(!text.contains("io_write") && !text.contains("workload"));
    }

    #[test]
    fn kernel_thread_command_in_brackets() {
        let mut k = row(2, 0, "kthreadd");
        k.kernel_thread = true;
        k.cmdline = Ok(Vec::new());
        let mut long = row(9, 1, "java");
        long.cmdline_truncated = true;
        let s = scan(vec![k, long], Instant::now(), 10.0);
        let (rows, _) = rows(&s, None, 100, |_| None);
        assert_eq!(rows[0].command(), b"[kthreadd]");
        assert_eq!(rows[1].command(), "java --flag…".as_bytes());
    }
    #[test]
    fn cpu_use_between_readings() {
        use crate::parse::host::CpuTimes;
        let a = CpuTimes {
            user: 100,
            nice: 0,
            system: 50,
            idle: 800,
            iowait: 20,
            irq: 0,
            softirq: 0,
            steal: 30,
        };
        // 200 ticks later: 60 user + 20 nice, 20 system + 10 irq, 50 idle, 20 iowait, 20 steal.
        let b = CpuTimes {
            user: 160,
            nice: 20,
            system: 70,
            idle: 850,
            iowait: 40,
            irq: 10,
            softirq: 0,
            steal: 50,
        };
        let u = core_use(Some(3), &a, &b).unwrap();
        assert_eq!(u.cpu, Some(3));
        assert!((u.user - 40.0).abs() < 1e-9);
        assert!((u.system - 15.0).abs() < 1e-9);
        assert!((u.iowait - 10.0).abs() < 1e-9);
        assert!((u.steal - 10.0).abs() < 1e-9);
        assert!((u.busy - 65.0).abs() < 1e-9);
        // No time passed, or counters back: unknown, not idle.
        assert_eq!(core_use(None, &a, &a), None);
        assert_eq!(core_use(None, &b, &a), None);
        let before = CpuStat {
            all: Some(a),
            cores: vec![(0, a), (1, a)],
            invalid: false,
        };
        let now = CpuStat {
            all: Some(b),
            cores: vec![(1, b), (2, b)],
            invalid: false,
        };
        let all = cpu_use(&before, &now);
        assert_eq!(
            all.iter().map(|c| c.cpu).collect::<Vec<_>>(),
            vec![None, Some(1)]
        );
    }

    #[test]
    fn tasks_by_state() {
        let mut rows_in = vec![
            row(1, 0, "a"),
            row(2, 0, "b"),
            row(3, 0, "c"),
            row(4, 0, "d"),
            row(5, 0, "e"),
            row(6, 0, "f"),
        ];
        for (r, s) in rows_in.iter_mut().zip([b'R', b'S', b'D', b'T', b'Z', b'I']) {
            r.state = s;
            r.threads = 3;
        }
        let t = task_states(&scan(rows_in, Instant::now(), 10.0));
        assert_eq!(
            t,
            TaskStates {
                processes: 6,
                running: 1,
                sleeping: 2,
                disk_sleep: 1,
                stopped: 1,
                zombie: 1,
                other: 0,
                threads: 18
            }
        );
    }

    #[test]
    fn tree_shapes() {
        // 1 ─┬ 2 ─ 3
        //    └ 4 ─ 5
        // 6
        let s = tree_shape(&[0, 1, 2, 1, 2, 0]);
        assert_eq!(
            s,
            vec![
                vec![],
                vec![true],
                vec![true, false],
                vec![false],
                vec![false, false],
                vec![]
            ]
        );
        assert!(tree_shape(&[]).is_empty());
        // Depth jumps (a hostile tree cannot make one, but the shape holds).
        assert_eq!(tree_shape(&[3]), vec![vec![false, false, false]]);
    }

    #[test]
    fn users_and_user_filter() {
        let s = scan(vec![row(1, 0, "a"), row(2, 0, "b")], Instant::now(), 10.0);
        let (rows, _) = rows(&s, None, 100, |_| Some(b"alice".to_vec()));
        assert_eq!(users(&rows), vec![b"alice".to_vec()]);
        assert!(of_user(&rows[0], b"alice"));
        assert!(!of_user(&rows[0], b"bob"));
    }
}
