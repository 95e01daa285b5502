//! How much CPU a process uses and which of its threads are hot: the
//! facts of the CPU rules (`cpu.busy_thread`, `cpu.busy`, and the thread
//! named by `cpu.nonvoluntary_switches`). Two bases: `inspect` sees one
//! moment, so it judges lifetime averages (CPU time over age, for threads
//! at least [`MIN_LIFETIME_SECS`] old); `doctor --sample` measures the
//! process between its two scans and the threads of the busiest
//! processes over a short second look. Pure: ticks in, percentages out.

use serde::Serialize;

use crate::parse::stat::Stat;
use crate::reader::ThreadDetail;
use crate::text::Text;

/// Threads younger than this have no lifetime average worth judging (a
/// thread a few ticks old is 0% or 100% by chance).
pub const MIN_LIFETIME_SECS: f64 = 5.0;
/// At most this many threads are named, hottest first.
pub const MAX_HOT_THREADS: usize = 3;

/// How a percentage was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// CPU time over age: an average over the whole life (`inspect`).
    Lifetime,
    /// CPU time between two readings (`doctor --sample`).
    Sampled,
}

/// A thread and its share of one CPU.
#[derive(Debug, Clone, PartialEq)]
pub struct HotThread {
    pub tid: i32,
    pub name: Text,
    /// Percent of one CPU (100: one CPU all the time).
    pub percent: f64,
}

/// A process's CPU use and its hottest threads.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuUse {
    /// The whole process, percent of one CPU (200: two CPUs).
    pub percent: f64,
    /// Over how long the process's percentage was measured.
    pub seconds: f64,
    pub basis: Basis,
    /// CPUs of the host, when known.
    pub cpus: Option<usize>,
    /// Over how long the threads were measured (a short second look
    /// after `doctor`'s scans); None for lifetime averages (each thread
    /// over its own life).
    pub thread_seconds: Option<f64>,
    /// Hottest first, at most [`MAX_HOT_THREADS`]; empty when the threads
    /// were not read (or none is old enough to judge).
    pub hottest: Vec<HotThread>,
}

/// Ticks of CPU time (user + system); None past u64.
fn ticks(s: &Stat) -> Option<u64> {
    s.utime.checked_add(s.stime)
}

/// `part` seconds of CPU over `over` seconds, as percent of one CPU;
/// None when no time passed.
fn percent(cpu_secs: f64, over: f64) -> Option<f64> {
    (over > 0.0 && cpu_secs.is_finite()).then(|| (cpu_secs * 100.0 / over).max(0.0))
}

/// Hottest first (then by tid), cut at [`MAX_HOT_THREADS`].
fn rank(mut v: Vec<HotThread>) -> Vec<HotThread> {
    v.sort_by(|a, b| b.percent.total_cmp(&a.percent).then(a.tid.cmp(&b.tid)));
    v.truncate(MAX_HOT_THREADS);
    v
}

/// Lifetime averages (`inspect`): the process's CPU time over its age,
/// and each thread's over its own age (threads younger than
/// [`MIN_LIFETIME_SECS`] left out). None when the process is younger
/// than that, or its age or CPU time is unknown.
pub fn lifetime(
    process: &Stat,
    threads: &[ThreadDetail],
    ticks_per_sec: u64,
    uptime: f64,
) -> Option<CpuUse> {
    let hz = ticks_per_sec.max(1) as f64;
    let age = |s: &Stat| uptime - s.starttime as f64 / hz;
    let own_age = age(process);
    if own_age < MIN_LIFETIME_SECS {
        return None;
    }
    let hottest = threads
        .iter()
        .filter(|t| age(&t.stat) >= MIN_LIFETIME_SECS)
        .filter_map(|t| {
            Some(HotThread {
                tid: t.tid,
                name: Text(t.stat.comm.clone()),
                percent: percent(ticks(&t.stat)? as f64 / hz, age(&t.stat))?,
            })
        })
        .collect();
    Some(CpuUse {
        percent: percent(ticks(process)? as f64 / hz, own_age)?,
        seconds: own_age,
        basis: Basis::Lifetime,
        cpus: None,
        thread_seconds: None,
        hottest: rank(hottest),
    })
}

/// Each thread's share of one CPU between two readings `seconds` apart,
/// hottest first: a thread in both (same tid and start time).
pub fn threads_between(
    before: &[ThreadDetail],
    after: &[ThreadDetail],
    seconds: f64,
    ticks_per_sec: u64,
) -> Vec<HotThread> {
    let hz = ticks_per_sec.max(1) as f64;
    let hot = after
        .iter()
        .filter_map(|a| {
            let b = before
                .iter()
                .find(|b| b.tid == a.tid && b.stat.starttime == a.stat.starttime)?;
            let used = ticks(&a.stat)?.checked_sub(ticks(&b.stat)?)?;
            Some(HotThread {
                tid: a.tid,
                name: Text(a.stat.comm.clone()),
                percent: percent(used as f64 / hz, seconds)?,
            })
        })
        .collect();
    rank(hot)
}

/// A process's share of one CPU between two scans: CPU ticks `from` and
/// `to`, `seconds` apart. None when time did not pass or the ticks went
/// backwards (not the same process).
pub fn sampled(from: u64, to: u64, seconds: f64, ticks_per_sec: u64) -> Option<f64> {
    let used = to.checked_sub(from)?;
    percent(used as f64 / ticks_per_sec.max(1) as f64, seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(start: u64, utime: u64, stime: u64, comm: &str) -> Stat {
        Stat {
            pid: 1,
            comm: comm.as_bytes().to_vec(),
            state: b'R',
            ppid: 0,
            pgrp: None,
            flags: 0,
            tty_nr: Some(0),
            utime,
            stime,
            nice: 0,
            num_threads: 1,
            starttime: start,
            vsize: 0,
            rss_pages: 0,
            exit_code: None,
            arg_start: None,
            arg_end: None,
            env_start: None,
            env_end: None,
        }
    }

    fn thread(tid: i32, s: Stat) -> ThreadDetail {
        ThreadDetail {
            tid,
            stat: s,
            status: None,
            status_error: None,
        }
    }

    #[test]
    fn lifetime_averages_rank_the_threads_and_skip_the_young() {
        // Uptime 100 s, 100 Hz. The process started at 50 s (age 50 s)
        // and used 50 s of CPU: 100%.
        let p = stat(5000, 4000, 1000, "app");
        let threads = [
            thread(10, stat(5000, 0, 100, "app")),     // 1 s / 50 s: 2%
            thread(11, stat(5000, 4400, 400, "spin")), // 48 s / 50 s: 96%
            thread(12, stat(9800, 0, 200, "young")),   // 2 s old: skipped
        ];
        let c = lifetime(&p, &threads, 100, 100.0).expect("old enough");
        assert_eq!(c.basis, Basis::Lifetime);
        assert!((c.percent - 100.0).abs() < 1e-9, "{c:?}");
        assert!((c.seconds - 50.0).abs() < 1e-9);
        let names: Vec<(i32, String)> = c
            .hottest
            .iter()
            .map(|t| (t.tid, t.name.display()))
            .collect();
        assert_eq!(names, [(11, "spin".to_string()), (10, "app".to_string())]);
        assert!((c.hottest[0].percent - 96.0).abs() < 1e-9);
        // A process younger than the minimum: no average.
        assert_eq!(lifetime(&stat(9800, 1, 1, "x"), &[], 100, 100.0), None);
        // CPU time past u64: unknown, never a made-up number.
        assert_eq!(lifetime(&stat(0, u64::MAX, 1, "x"), &[], 100, 100.0), None);
    }

    #[test]
    fn threads_between_two_readings() {
        let before = [
            thread(1, stat(10, 100, 0, "main")),
            thread(2, stat(20, 100, 0, "spin")),
            thread(3, stat(30, 100, 0, "gone")),
            thread(4, stat(40, 100, 0, "reused")),
        ];
        let after = [
            thread(1, stat(10, 101, 0, "main")),
            thread(2, stat(20, 129, 0, "spin")),
            thread(4, stat(99, 500, 0, "reused")),
            thread(5, stat(50, 1, 0, "new")),
        ];
        // 0.3 s at 100 Hz: 29 ticks = 96.7%, 1 tick = 3.3%.
        let hot = threads_between(&before, &after, 0.3, 100);
        let got: Vec<(i32, i64)> = hot
            .iter()
            .map(|t| (t.tid, (t.percent * 10.0).round() as i64))
            .collect();
        assert_eq!(got, [(2, 967), (1, 33)]);
        assert_eq!(threads_between(&before, &after, 0.0, 100), vec![]);
    }

    #[test]
    fn sampled_process_share() {
        assert_eq!(sampled(100, 600, 5.0, 100), Some(100.0));
        assert_eq!(sampled(100, 100, 5.0, 100), Some(0.0));
        assert_eq!(sampled(600, 100, 5.0, 100), None);
        assert_eq!(sampled(100, 600, 0.0, 100), None);
    }
}
