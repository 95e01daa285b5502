//! The replay's position in a recording and the data around it: every
//! scan's id and time (a few bytes per scan, read once), and a window of
//! the recording loaded around the shown scan (`store::read::Reader::load`
//! reads from the key scan before it), moved when a step leaves it. Each
//! shown scan is turned into the same `reader::Scan` the live view draws,
//! with the scan before it for the rates.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::analysis::replay::Recorded;
use crate::reader::{Missing, Scan, ScanRow};
use crate::store::read::{Reader, Window};
use crate::store::{History, HostValues, ProcMetric, ProcessHistory, RunInfo, StoreError};

/// Scans loaded on each side of the shown one: stepping within them reads
/// nothing (one minute each way at the default 10 s interval).
const HALF_WINDOW: usize = 30;

/// How far before and after an OOM kill's logged time its victim's last
/// sighting is looked for.
const VICTIM_BEFORE_MS: i64 = 60_000;
const VICTIM_AFTER_MS: i64 = 2_000;

/// What is shown at one position.
pub struct Moment {
    pub cur: Scan,
    /// The scan before, of the same recording run (rates are measured
    /// between the two); None at a run's first scan.
    pub prev: Option<Scan>,
    /// Clock ticks per second of the recorded host.
    pub ticks: u64,
    /// The shown scan's time, Unix milliseconds.
    pub t_ms: i64,
    pub host: HostValues,
    /// Processes first seen at this scan, and those seen at the scan
    /// before and not at this one: (pid, name). Empty without a scan
    /// before.
    pub started: Vec<(i32, Vec<u8>)>,
    pub exited: Vec<(i32, Vec<u8>)>,
    /// The recording interval of the run, milliseconds (0: unknown).
    pub interval_ms: u64,
    /// What could not be read back (a damaged file), as (part, detail).
    pub damage: Vec<(String, String)>,
}

/// A window of the recording in memory: the scans `lo..=hi` of
/// [`Player::times`].
struct Loaded {
    lo: usize,
    hi: usize,
    h: History,
}

pub struct Player {
    reader: Reader,
    /// Every scan's (id, Unix ms), oldest first.
    times: Vec<(i64, i64)>,
    pos: usize,
    loaded: Option<Loaded>,
    /// The monotonic time scans are placed on (`Scan::taken` is an Instant).
    base: Instant,
}

/// An OOM kill recorded: its time (Unix ms), victim PID and name.
pub type Kill = (i64, Option<i32>, Vec<u8>);

/// Why a position cannot be shown.
pub enum PlayerError {
    Store(StoreError),
    /// The file holds no scan.
    Empty(PathBuf),
    /// `--at` before the first or after the last scan: (asked, first, last).
    Outside(i64, i64, i64),
}

impl From<StoreError> for PlayerError {
    fn from(e: StoreError) -> Self {
        PlayerError::Store(e)
    }
}

impl Player {
    pub fn open(path: &Path) -> Result<Player, PlayerError> {
        let reader = Reader::open(path)?;
        let times = reader.scan_times()?;
        if times.is_empty() {
            return Err(PlayerError::Empty(path.to_path_buf()));
        }
        let pos = times.len() - 1;
        Ok(Player {
            reader,
            times,
            pos,
            loaded: None,
            base: Instant::now(),
        })
    }

    pub fn path(&self) -> &Path {
        self.reader.path()
    }

    /// The first and last scan times, Unix ms.
    pub fn span(&self) -> (i64, i64) {
        (self.times[0].1, self.times[self.times.len() - 1].1)
    }

    pub fn scans(&self) -> usize {
        self.times.len()
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The position of the last scan at or before `t_ms`.
    pub fn index_at(&self, t_ms: i64) -> Result<usize, PlayerError> {
        let (first, last) = self.span();
        if t_ms < first || t_ms > last {
            return Err(PlayerError::Outside(t_ms, first, last));
        }
        let n = self.times.partition_point(|s| s.1 <= t_ms);
        Ok(n.saturating_sub(1))
    }

    /// The default position: the victim's last scan before the last OOM
    /// kill recorded (the victim still in the table), with that kill
    /// (time, PID, name); else the last scan.
    pub fn default_index(&mut self) -> (usize, Option<Kill>) {
        let last = self.times.len() - 1;
        let k = match self.reader.last_oom() {
            Ok(Some(k)) if k.0 > self.times[0].1 => k,
            _ => return (last, None),
        };
        let guess = self
            .times
            .partition_point(|s| s.1 < k.0)
            .saturating_sub(1)
            .min(last);
        (self.victim_last_seen(&k, guess).unwrap_or(guess), Some(k))
    }

    /// The last scan the kill's victim was seen alive at, near the kill:
    /// the kill's time comes from the kernel log's time since boot and a
    /// boot time in whole seconds, so it can be a second off the scans'.
    fn victim_last_seen(&mut self, k: &Kill, guess: usize) -> Option<usize> {
        let pid = k.1?;
        self.load_around(guess);
        let h = &self.loaded.as_ref()?.h;
        let near = |t: i64| t >= k.0.saturating_sub(VICTIM_BEFORE_MS) && t <= k.0 + VICTIM_AFTER_MS;
        let id = h
            .processes
            .iter()
            .filter(|p| p.pid == pid && p.exited)
            .filter_map(|p| h.scans.get(p.last as usize))
            .filter(|s| near(s.t_ms))
            .max_by_key(|s| s.t_ms)?
            .id;
        self.times.binary_search_by_key(&id, |s| s.0).ok()
    }

    /// The position `delta` scans away, within the recording.
    pub fn offset(&self, delta: isize) -> usize {
        let max = self.times.len() - 1;
        self.pos.saturating_add_signed(delta).min(max)
    }

    /// The position about `ms` milliseconds away (at least one scan).
    pub fn offset_ms(&self, ms: i64) -> usize {
        let t = self.times[self.pos].1.saturating_add(ms);
        let i = if ms >= 0 {
            self.times.partition_point(|s| s.1 <= t).saturating_sub(1)
        } else {
            self.times.partition_point(|s| s.1 < t)
        };
        let i = i.min(self.times.len() - 1);
        match ms.cmp(&0) {
            std::cmp::Ordering::Greater if i <= self.pos => self.offset(1),
            std::cmp::Ordering::Less if i >= self.pos => self.offset(-1),
            _ => i,
        }
    }

    /// Go to position `i` and build what it shows, loading the window
    /// around it when it is not in memory.
    pub fn show(&mut self, i: usize) -> Moment {
        let i = i.min(self.times.len() - 1);
        self.pos = i;
        let need_lo = i.saturating_sub(1);
        let fits = self
            .loaded
            .as_ref()
            .is_some_and(|l| l.lo <= need_lo && i <= l.hi);
        if !fits {
            self.load_around(i);
        }
        let l = self.loaded.as_ref().expect("loaded above");
        moment(l, self.times[i].0, self.base)
    }

    fn load_around(&mut self, i: usize) {
        let lo = i.saturating_sub(HALF_WINDOW);
        let hi = i.saturating_add(HALF_WINDOW).min(self.times.len() - 1);
        let w = Window {
            since_ms: Some(self.times[lo].1),
            until_ms: Some(self.times[hi].1),
            ..Window::default()
        };
        let h = self.reader.load(&w);
        self.loaded = Some(Loaded { lo, hi, h });
    }
}

/// What the loaded window shows at scan `id`.
fn moment(l: &Loaded, id: i64, base: Instant) -> Moment {
    let h = &l.h;
    let mut damage: Vec<(String, String)> = h
        .damage
        .iter()
        .map(|d| (d.part.clone(), d.detail.clone()))
        .collect();
    let Ok(k) = h.scans.binary_search_by_key(&id, |s| s.id) else {
        damage.push(("scans".into(), format!("scan {id} could not be read back")));
        return Moment {
            cur: empty_scan(base),
            prev: None,
            ticks: 100,
            t_ms: 0,
            host: HostValues::default(),
            started: Vec::new(),
            exited: Vec::new(),
            interval_ms: 0,
            damage,
        };
    };
    let info = h.scans[k];
    let run = run_of(h, info.run);
    let ticks = run.map_or(100, |r| r.clock_ticks).max(1);
    let t0 = h.scans[0].t_ms;
    let cur = scan_at(h, k, run, t0, base);
    // Rates only between two scans of the same run: across a restart of
    // the recorder the counters are not one process's.
    let prev_k = k.checked_sub(1).filter(|&p| h.scans[p].run == info.run);
    let prev = prev_k.map(|p| scan_at(h, p, run, t0, base));
    let (started, exited) = match prev_k {
        Some(p) => changes(h, p as u32, k as u32),
        None => (Vec::new(), Vec::new()),
    };
    Moment {
        cur,
        prev,
        ticks,
        t_ms: info.t_ms,
        host: info.host,
        started,
        exited,
        interval_ms: run.map_or(0, |r| r.interval_ms),
        damage,
    }
}

fn run_of(h: &History, id: i64) -> Option<&RunInfo> {
    h.runs.iter().find(|r| r.id == id).map(|r| &r.info)
}

fn empty_scan(base: Instant) -> Scan {
    Scan::empty(base)
}

fn alive(p: &ProcessHistory, i: u32) -> bool {
    p.first <= i && i <= p.last
}

/// Processes alive at `i` and not at `p` (started), and the reverse.
type Named = Vec<(i32, Vec<u8>)>;
fn changes(h: &History, p: u32, i: u32) -> (Named, Named) {
    let mut started = Vec::new();
    let mut exited = Vec::new();
    for ph in &h.processes {
        match (alive(ph, p), alive(ph, i)) {
            (false, true) => started.push((ph.pid, ph.comm.clone())),
            (true, false) => exited.push((ph.pid, ph.comm.clone())),
            _ => {}
        }
    }
    started.sort_unstable();
    exited.sort_unstable();
    (started, exited)
}

/// The scan at index `k` of the window as the live view's `Scan`.
fn scan_at(h: &History, k: usize, run: Option<&RunInfo>, t0: i64, base: Instant) -> Scan {
    let info = h.scans[k];
    let i = k as u32;
    let mut unreadable = usize::try_from(info.unreadable).unwrap_or(usize::MAX);
    let mut rows: Vec<ScanRow> = Vec::new();
    for p in h.processes.iter().filter(|p| alive(p, i)) {
        match row_at(p, i) {
            Some(r) => rows.push(r),
            // A core value (state, RSS, threads, CPU time) not recorded:
            // counted as unreadable, never shown as 0.
            None => unreadable = unreadable.saturating_add(1),
        }
    }
    rows.sort_by_key(|r| (r.pid, std::cmp::Reverse(r.start_ticks)));
    // One row per PID (the newest process), as a live scan sees it.
    rows.dedup_by_key(|r| r.pid);
    let after = u64::try_from(info.t_ms.saturating_sub(t0)).unwrap_or(0);
    let uptime_secs = run
        .and_then(|r| r.boot_time_s)
        .map(|b| info.t_ms as f64 / 1000.0 - b as f64)
        .filter(|u| *u > 0.0);
    Scan {
        rows,
        taken: base
            .checked_add(Duration::from_millis(after))
            .unwrap_or(base),
        // The recorded time: start times are placed against it.
        wall: u64::try_from(info.t_ms)
            .ok()
            .map(|ms| std::time::UNIX_EPOCH + Duration::from_millis(ms)),
        boot_unix: run.and_then(|r| r.boot_time_s),
        uptime_secs,
        exited: usize::try_from(info.exited).unwrap_or(usize::MAX),
        unreadable,
        out_of_fds: false,
        pods: None,
    }
}

/// One recorded process at scan index `i` as a scan row; None when a
/// value the row cannot go without was not recorded.
fn row_at(p: &ProcessHistory, i: u32) -> Option<ScanRow> {
    let v = |m: ProcMetric| p.series(m).at(i).flatten();
    let state = u8::try_from(v(ProcMetric::State)?).ok()?;
    let zombie = state == b'Z';
    // What the live scan cannot read for a kernel thread or a zombie is
    // "does not apply"; anything else not recorded is an error.
    let missing = if p.kernel_thread || zombie {
        Missing::NotApplicable
    } else {
        Missing::Error
    };
    let fds = match v(ProcMetric::Fds) {
        // The recorder writes 0 descriptors for a kernel thread.
        Some(0) if p.kernel_thread => Err(Missing::NotApplicable),
        Some(n) => Ok(n),
        None => Err(missing),
    };
    Some(ScanRow {
        pid: p.pid,
        ppid: p.ppid,
        name: p.comm.clone(),
        state,
        kernel_thread: p.kernel_thread,
        start_ticks: p.start_ticks,
        cpu_ticks: v(ProcMetric::Cpu)?,
        system_ticks: 0,
        rss_bytes: v(ProcMetric::Rss)?.saturating_mul(1024),
        threads: v(ProcMetric::Threads)?,
        uid: p.uid.ok_or(Missing::Error),
        switches: v(ProcMetric::Switches).ok_or(missing),
        fds,
        fd_soft_limit: v(ProcMetric::FdLimit).map(Some).ok_or(missing),
        cmdline: Ok(p.cmdline.clone()),
        cmdline_truncated: false,
        io: v(ProcMetric::ReadBytes)
            .zip(v(ProcMetric::WriteBytes))
            .ok_or(missing),
        extra: crate::reader::RowExtra::default(),
    })
}

impl Player {
    /// What the recording holds about `pid` at the shown scan.
    pub fn recorded(&self, pid: i32) -> Option<Recorded> {
        let l = self.loaded.as_ref()?;
        let h = &l.h;
        let k = h
            .scans
            .binary_search_by_key(&self.times[self.pos].0, |s| s.id)
            .ok()?;
        let i = k as u32;
        let p = h
            .processes
            .iter()
            .filter(|p| p.pid == pid && alive(p, i))
            .max_by_key(|p| p.start_ticks)?;
        let t = |j: u32| h.scans.get(j as usize).map_or(0, |s| s.t_ms);
        Some(Recorded {
            pid,
            ppid: p.ppid,
            start_ticks: p.start_ticks,
            comm: p.comm.clone(),
            cmdline: p.cmdline.clone(),
            uid: p.uid,
            kernel_thread: p.kernel_thread,
            workload: p
                .workload
                .and_then(|w| h.workloads.get(w))
                .map(|w| w.key.name.clone()),
            first_ms: t(p.first),
            last_ms: t(p.last),
            seen_before: p.seen_before,
            exited: p.exited,
            values: ProcMetric::ALL
                .iter()
                .map(|&m| (m, p.series(m).at(i).flatten()))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::write::{Limits, Recorder};
    use crate::store::{Frame, ProcFrame, ProcValues};

    /// A recording of `procs` processes over `scans` scans `step_ms`
    /// apart: every `busy_every`th process busy (CPU, switches and RSS move every
    /// scan), the others idle; one process replaced every 10 scans.
    fn build(path: &Path, procs: i32, scans: i64, step_ms: i64, busy_every: i32) {
        let mut r = Recorder::open(path, Limits::default()).expect("open");
        r.begin_run(&RunInfo {
            started_ms: 1_000_000,
            interval_ms: u64::try_from(step_ms).expect("step"),
            clock_ticks: 100,
            boot_time_s: Some(900),
            ..RunInfo::default()
        })
        .expect("run");
        for s in 0..scans {
            let churn = i32::try_from(s / 10).expect("churn");
            let processes = (0..procs)
                .map(|k| {
                    // Slot k is replaced at every decade c with c % procs
                    // == k: its process is the one of the latest such c.
                    let pid = if churn >= k {
                        100_000 + k + procs * ((churn - k) / procs)
                    } else {
                        1000 + k
                    };
                    let busy = k % busy_every == 0;
                    let n = u64::try_from(s).expect("s");
                    ProcFrame {
                        pid,
                        start_ticks: u64::try_from(pid).expect("pid"),
                        ppid: 1,
                        uid: Some(0),
                        comm: format!("p{pid}").into_bytes(),
                        cmdline: format!("p{pid}\0--x\0").into_bytes(),
                        values: ProcValues {
                            state: Some(if busy { b'R' } else { b'S' }),
                            rss_kb: Some(if busy { 1000 + n * 4 } else { 500 }),
                            fds: Some(10),
                            threads: Some(2),
                            cpu_ticks: Some(if busy { n * 50 } else { 7 }),
                            switches: Some(if busy { n * 3 } else { 5 }),
                            read_bytes: Some(0),
                            write_bytes: Some(0),
                            fd_limit: Some(1024),
                        },
                        ..ProcFrame::default()
                    }
                })
                .collect();
            r.record(&Frame {
                t_ms: 1_000_000 + s * step_ms,
                processes,
                ..Frame::default()
            })
            .expect("record");
        }
        r.finish().expect("finish");
    }

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("proctor-replay-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    fn opened(path: &Path) -> Player {
        match Player::open(path) {
            Ok(p) => p,
            Err(_) => panic!("cannot open {}", path.display()),
        }
    }

    #[test]
    fn steps_show_the_recorded_values_and_rates() {
        let d = temp("steps");
        let f = d.join("h.db");
        build(&f, 20, 100, 10_000, 10);
        let mut p = opened(&f);
        assert_eq!(p.scans(), 100);
        assert_eq!(p.span(), (1_000_000, 1_000_000 + 99 * 10_000));
        // No OOM kill recorded: the end.
        assert_eq!(p.default_index(), (99, None));
        let m = p.show(50);
        assert_eq!(m.t_ms, 1_000_000 + 50 * 10_000);
        assert_eq!(m.cur.rows.len(), 20);
        let busy = m.cur.find(1010).expect("busy process");
        assert_eq!(busy.cpu_ticks, 50 * 50);
        assert_eq!(busy.rss_bytes, (1000 + 50 * 4) * 1024);
        let prev = m.prev.as_ref().expect("scan before");
        assert_eq!(prev.find(1010).expect("before").cpu_ticks, 49 * 50);
        // The rates as live top computes them: 50 ticks over 10 s at 100
        // ticks a second is 5% of a core.
        let (rows, basis) = crate::analysis::top::rows(&m.cur, m.prev.as_ref(), m.ticks, |_| None);
        assert_eq!(basis, crate::analysis::top::RateBasis::Interval(10.0));
        let r = rows.iter().find(|r| r.scan.pid == 1010).expect("row");
        assert!((r.cpu_percent.expect("cpu") - 5.0).abs() < 1e-9);
        assert!((r.switches_per_sec.expect("csw") - 0.3).abs() < 1e-9);
        // Scan 50 starts a decade: slot 5's first process was replaced.
        assert_eq!(m.started, vec![(100_005, b"p100005".to_vec())]);
        assert_eq!(m.exited, vec![(1005, b"p1005".to_vec())]);
        assert!(m.cur.find(1005).is_none());
        assert!(m.cur.find(1006).is_some());
        // Stepping away and back (out of the loaded window) gives the same.
        let far = p.show(0);
        assert!(far.prev.is_none(), "the first scan has none before it");
        assert!(far.started.is_empty());
        let again = p.show(50);
        assert_eq!(again.cur.rows, m.cur.rows);
        // Positions by time: the last scan at or before.
        assert!(matches!(p.index_at(1_000_000 + 15_000), Ok(1)));
        assert!(matches!(p.index_at(999_999), Err(PlayerError::Outside(..))));
        assert!(matches!(
            p.index_at(2_000_000),
            Err(PlayerError::Outside(..))
        ));
        p.show(10);
        assert_eq!(p.offset_ms(60_000), 16);
        assert_eq!(p.offset_ms(-60_000), 4);
        assert_eq!(p.offset(-100), 0);
        assert_eq!(p.offset(1000), 99);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn it_opens_before_the_last_oom_kill() {
        let d = temp("oom");
        let f = d.join("h.db");
        build(&f, 5, 40, 1000, 2);
        let mut r = Recorder::open(&f, Limits::default()).expect("reopen");
        r.begin_run(&RunInfo {
            interval_ms: 1000,
            clock_ticks: 100,
            ..RunInfo::default()
        })
        .expect("run");
        // A kill between scans 20 and 21 (read at a later scan), and an
        // older one before it.
        let kill = |t_ms, seq| crate::store::OomEvent {
            t_ms,
            seq,
            boot_id: "b".into(),
            pid: Some(1003),
            comm: b"p1003".to_vec(),
            constraint: "memcg".into(),
            ..crate::store::OomEvent::default()
        };
        r.record(&Frame {
            t_ms: 1_000_000 + 40 * 1000,
            ooms: vec![kill(1_000_000 + 20_500, 7), kill(1_000_000 + 3_000, 6)],
            ..Frame::default()
        })
        .expect("record");
        r.finish().expect("finish");
        drop(r);
        let mut p = opened(&f);
        assert_eq!(p.scans(), 41);
        // Its victim (1003) lived on to scan 29: too far from the kill to
        // be it; the last scan before the kill's time.
        assert_eq!(p.default_index().0, 20);
        assert_eq!(p.default_index().1.map(|k| k.0), Some(1_000_000 + 20_500));
        drop(p);
        // A kill logged at 28.5 s of process 1003, last seen at scan 29
        // (29 s): the logged time is a second off the scans' clock at
        // worst, and the victim's last scan is shown.
        let mut r = Recorder::open(&f, Limits::default()).expect("reopen");
        r.begin_run(&RunInfo::default()).expect("run");
        r.record(&Frame {
            t_ms: 1_000_000 + 41 * 1000,
            ooms: vec![kill(1_000_000 + 28_500, 8)],
            ..Frame::default()
        })
        .expect("record");
        r.finish().expect("finish");
        drop(r);
        let mut p = opened(&f);
        assert_eq!(p.default_index().0, 29);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_file_without_scans_is_said() {
        let d = temp("empty");
        let f = d.join("h.db");
        let mut r = Recorder::open(&f, Limits::default()).expect("open");
        r.begin_run(&RunInfo::default()).expect("run");
        drop(r);
        assert!(matches!(Player::open(&f), Err(PlayerError::Empty(_))));
        let _ = std::fs::remove_dir_all(&d);
    }

    /// The stepping figure of the report: 500 processes x 8,640 scans (a
    /// day at 10 s). `cargo test --release --lib replay_step_time --
    /// --ignored --nocapture`; PROCTOR_REPLAY_BENCH=FILE keeps the file.
    #[test]
    #[ignore = "a measurement: builds a day-long recording"]
    fn replay_step_time() {
        let f = std::env::var_os("PROCTOR_REPLAY_BENCH")
            .map_or_else(|| temp("bench").join("day.db"), PathBuf::from);
        if !f.exists() {
            let t = Instant::now();
            // PROCTOR_REPLAY_BENCH_BUSY=1: every process changes at
            // every scan (the worst case); default every 10th.
            let busy = std::env::var("PROCTOR_REPLAY_BENCH_BUSY")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(10);
            build(&f, 500, 8640, 10_000, busy);
            eprintln!("built {} in {:?}", f.display(), t.elapsed());
        }
        let t = Instant::now();
        let mut p = opened(&f);
        let i = p.default_index().0;
        p.show(i);
        eprintln!("open and first scan: {:?}", t.elapsed());
        let mut worst = Duration::ZERO;
        let mut total = Duration::ZERO;
        let mut n = 0u32;
        let mut time = |p: &mut Player, to: usize| {
            let t = Instant::now();
            let m = p.show(to);
            let took = t.elapsed();
            assert!(!m.cur.rows.is_empty());
            worst = worst.max(took);
            total += took;
            n += 1;
            took
        };
        // Back through two hours one scan at a time (windows crossed).
        for _ in 0..720 {
            let to = p.offset(-1);
            time(&mut p, to);
        }
        let home = time(&mut p, 0);
        let end = time(&mut p, 8639);
        let mid = time(&mut p, 4321);
        eprintln!(
            "steps: {n}, mean {:?}, worst {:?}; Home {home:?}, End {end:?}, a jump to the middle {mid:?}",
            total / n,
            worst
        );
    }
}
