//! Reading a window back. The file is opened read-only (a recorder may be
//! writing it: WAL readers never block the writer), checked to be ours and
//! not newer, and read as far as it goes: what SQLite cannot read is
//! listed in [`History::damage`], never a silent hole.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use rustc_hash::FxHashMap;

use super::{
    Damage, History, OomEvent, ProcMetric, ProcValues, ProcessHistory, Run, RunInfo, ScanInfo,
    Series, StoreError, WorkloadHistory, WorkloadKey, WorkloadMetric, from_db,
};

/// A time as the user gave it: a moment, or a duration counted back
/// from the end of the recording (`--since 1h`: its last hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// Unix milliseconds.
    At(i64),
    /// Milliseconds before the last scan recorded.
    BeforeEnd(i64),
}

impl TimeSpec {
    /// Unix milliseconds, given the recording's last scan.
    pub fn resolve(self, end_ms: i64) -> i64 {
        match self {
            TimeSpec::At(t) => t,
            TimeSpec::BeforeEnd(d) => end_ms.saturating_sub(d),
        }
    }
}

/// Which part of the recording to read.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Unix milliseconds, inclusive.
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Only these PIDs (empty: all).
    pub pids: Vec<i32>,
    /// Only processes of workloads whose name contains this.
    pub workload: Option<String>,
    /// At most this many scans (0: all): longer windows keep every n-th
    /// scan, each carrying the last values of the scans merged into it.
    pub max_scans: usize,
    /// Leave out kernel threads.
    pub no_kernel_threads: bool,
}

pub struct Reader {
    conn: Connection,
    path: PathBuf,
    /// Opened only leniently (a truncated file): SQLite's complaint.
    opened_damaged: Option<String>,
    /// The file's schema version (1: counters absolute in every row).
    version: i64,
}

fn err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::from_sqlite(path, &e)
}

impl Reader {
    pub fn open(path: &Path) -> Result<Reader, StoreError> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Missing {
                    path: path.to_path_buf(),
                });
            }
            Ok(m) if !m.is_file() => {
                return Err(StoreError::Other {
                    path: path.to_path_buf(),
                    detail: "not a regular file".into(),
                });
            }
            _ => {}
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(err(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err(path))?;
        let mut opened_damaged = None;
        if let Err(e) = super::write::check_or_create(&conn, path, false) {
            let StoreError::Corrupt { detail, .. } = &e else {
                return Err(e);
            };
            // A truncated file: SQLite refuses a header that counts more
            // pages than the file holds, unless the schema is "writable"
            // (then it reads the pages there are; this connection is
            // read-only all the same). What it cannot read is damage.
            conn.pragma_update(None, "writable_schema", true)
                .map_err(err(path))?;
            super::write::check_or_create(&conn, path, false).map_err(|_| e.clone())?;
            opened_damaged = Some(detail.clone());
        }
        let version = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err(path))?;
        Ok(Reader {
            conn,
            path: path.to_path_buf(),
            opened_damaged,
            version,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PRAGMA integrity_check`'s first lines ("ok" when whole).
    pub fn integrity(&self) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare("PRAGMA integrity_check(20)")
            .map_err(err(&self.path))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(err(&self.path))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err(&self.path))
    }

    /// The first and last scan times (None: no scan recorded).
    pub fn span(&self) -> Result<Option<(i64, i64)>, StoreError> {
        self.conn
            .query_row("SELECT min(t_ms), max(t_ms) FROM scans", [], |r| {
                Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<i64>>(1)?))
            })
            .map_err(err(&self.path))
    }

    /// Every scan's time, oldest first (for stepping through a replay).
    pub fn scan_times(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT id, t_ms FROM scans ORDER BY id")
            .map_err(err(&self.path))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(err(&self.path))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err(&self.path))
    }

    /// The last OOM kill recorded: its time, victim PID and name (None:
    /// none).
    #[allow(clippy::type_complexity)]
    pub fn last_oom(&self) -> Result<Option<(i64, Option<i32>, Vec<u8>)>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT t_ms, pid, comm FROM oom_kills ORDER BY t_ms DESC, seq DESC LIMIT 1")
            .map_err(err(&self.path))?;
        let mut rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(err(&self.path))?;
        rows.next().transpose().map_err(err(&self.path))
    }

    /// Load a window. Errors here are the file's as a whole (not ours,
    /// newer); a table that cannot be read whole is damage in the result.
    pub fn load(&self, w: &Window) -> History {
        let mut h = History::default();
        if let Some(detail) = &self.opened_damaged {
            h.damage.push(Damage {
                part: "file".into(),
                detail: detail.clone(),
            });
        }
        let mut damage = |part: &str, e: rusqlite::Error| {
            h.damage.push(Damage {
                part: part.to_string(),
                detail: e.to_string(),
            });
        };
        let runs = self.runs().unwrap_or_else(|e| {
            damage("runs", e);
            Vec::new()
        });
        let scans = self.scans(w).unwrap_or_else(|e| {
            damage("scans", e);
            Vec::new()
        });
        let ooms = self.ooms(w).unwrap_or_else(|e| {
            damage("oom_kills", e);
            Vec::new()
        });
        h.runs = runs;
        h.ooms = ooms;
        let (kept, thinned) = thin(&scans, w.max_scans);
        h.thinned_from = if thinned { scans.len() } else { 0 };
        h.scans = kept.iter().map(|&i| scans[i]).collect();
        if h.scans.is_empty() {
            return h;
        }
        self.load_series(w, &scans, &kept, &mut h);
        h
    }

    fn runs(&self) -> rusqlite::Result<Vec<Run>> {
        let mut st = self.conn.prepare(
            "SELECT id, started_ms, host, boot_id, kernel, version, interval_ms, targets, \
             clock_ticks, boot_time_s FROM runs ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Run {
                id: r.get(0)?,
                info: RunInfo {
                    started_ms: r.get(1)?,
                    host: r.get(2)?,
                    boot_id: r.get(3)?,
                    kernel: r.get(4)?,
                    version: r.get(5)?,
                    interval_ms: from_db(r.get(6)?).unwrap_or(0),
                    targets: r.get(7)?,
                    clock_ticks: from_db(r.get(8)?).unwrap_or(100),
                    boot_time_s: r.get::<_, Option<i64>>(9)?.and_then(from_db),
                },
            })
        })?;
        rows.collect()
    }

    fn scans(&self, w: &Window) -> rusqlite::Result<Vec<ScanInfo>> {
        let mut st = self.conn.prepare(
            "SELECT id, run, t_ms, processes, exited, unreadable, scan_us, mem_total_kb, \
             mem_available_kb, swap_total_kb, swap_free_kb, load1_centi, oom_kills \
             FROM scans NOT INDEXED WHERE t_ms >= ?1 AND t_ms <= ?2 ORDER BY id",
        )?;
        let opt = |v: Option<i64>| v.and_then(from_db);
        let rows = st.query_map(
            [
                w.since_ms.unwrap_or(i64::MIN),
                w.until_ms.unwrap_or(i64::MAX),
            ],
            |r| {
                Ok(ScanInfo {
                    id: r.get(0)?,
                    run: r.get(1)?,
                    t_ms: r.get(2)?,
                    processes: from_db(r.get(3)?).unwrap_or(0),
                    exited: from_db(r.get(4)?).unwrap_or(0),
                    unreadable: from_db(r.get(5)?).unwrap_or(0),
                    scan_us: from_db(r.get(6)?).unwrap_or(0),
                    host: super::HostValues {
                        mem_total_kb: opt(r.get(7)?),
                        mem_available_kb: opt(r.get(8)?),
                        swap_total_kb: opt(r.get(9)?),
                        swap_free_kb: opt(r.get(10)?),
                        load1_centi: opt(r.get(11)?),
                        oom_kills: opt(r.get(12)?),
                    },
                })
            },
        )?;
        let mut out = Vec::new();
        // A damaged page ends the list where it is: what came before is
        // kept (the caller sees the damage). The table is read in id
        // order, not through the time index (one damaged index page
        // would hide every scan; the table holds one small row a scan).
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    }

    fn ooms(&self, w: &Window) -> rusqlite::Result<Vec<OomEvent>> {
        let mut st = self.conn.prepare(
            "SELECT t_ms, boot_id, seq, pid, comm, uid, constraint_kind, oom_memcg, task_memcg, \
             total_vm_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb, usage_kb, limit_kb \
             FROM oom_kills WHERE t_ms >= ?1 AND t_ms <= ?2 ORDER BY t_ms, seq",
        )?;
        let opt = |v: Option<i64>| v.and_then(from_db);
        let rows = st.query_map(
            [
                w.since_ms.unwrap_or(i64::MIN),
                w.until_ms.unwrap_or(i64::MAX),
            ],
            |r| {
                Ok(OomEvent {
                    t_ms: r.get(0)?,
                    boot_id: r.get(1)?,
                    seq: from_db(r.get(2)?).unwrap_or(0),
                    pid: r.get(3)?,
                    comm: r.get(4)?,
                    uid: r.get(5)?,
                    constraint: r.get(6)?,
                    oom_memcg: r.get(7)?,
                    task_memcg: r.get(8)?,
                    total_vm_kb: opt(r.get(9)?),
                    anon_rss_kb: opt(r.get(10)?),
                    file_rss_kb: opt(r.get(11)?),
                    shmem_rss_kb: opt(r.get(12)?),
                    usage_kb: opt(r.get(13)?),
                    limit_kb: opt(r.get(14)?),
                })
            },
        )?;
        rows.collect()
    }

    /// Processes, workloads and their series over the window's scans.
    fn load_series(&self, w: &Window, scans: &[ScanInfo], kept: &[usize], h: &mut History) {
        let (first, last) = (scans[0].id, scans[scans.len() - 1].id);
        // Reading starts at the key scan at or before the window (the
        // state there is whole).
        let start: i64 = self
            .conn
            .query_row(
                "SELECT coalesce(max(id), ?1) FROM scans WHERE key = 1 AND id <= ?1",
                [first],
                |r| r.get(0),
            )
            .unwrap_or(first);
        // Scan id -> index in the kept scans (a merged scan maps to the
        // kept one after it: its values are that one's until overwritten).
        let index = scan_index(scans, kept);
        let run_end = self.run_ends().unwrap_or_default();
        // What was read before a damaged page is kept.
        if let Err(e) = self.processes(w, start, last, scans, &index, &run_end, &mut h.processes) {
            h.damage.push(Damage {
                part: "processes".into(),
                detail: e.to_string(),
            });
        }
        match self.workloads() {
            Ok(wl) => h.workloads = wl,
            Err(e) => h.damage.push(Damage {
                part: "workloads".into(),
                detail: e.to_string(),
            }),
        }
        // Processes point at workloads by index.
        let wl_index: HashMap<i64, usize> = h
            .workloads
            .iter()
            .enumerate()
            .map(|(i, wl)| (wl.id, i))
            .collect();
        for p in &mut h.processes {
            p.workload = p
                .workload
                .and_then(|id| wl_index.get(&(id as i64)).copied());
        }
        if let Some(name) = &w.workload {
            let keep: Vec<bool> = h
                .workloads
                .iter()
                .map(|wl| wl.key.name.contains(name.as_str()))
                .collect();
            h.processes.retain(|p| p.workload.is_some_and(|i| keep[i]));
        }
        if let Err(e) = self.samples(start, first, last, &index, h) {
            h.damage.push(Damage {
                part: "samples".into(),
                detail: e.to_string(),
            });
        }
        if let Err(e) = self.workload_samples(start, first, last, &index, h) {
            h.damage.push(Damage {
                part: "workload_samples".into(),
                detail: e.to_string(),
            });
        }
    }

    fn run_ends(&self) -> rusqlite::Result<HashMap<i64, i64>> {
        let mut st = self
            .conn
            .prepare("SELECT run, max(id) FROM scans GROUP BY run")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn processes(
        &self,
        w: &Window,
        start: i64,
        last: i64,
        scans: &[ScanInfo],
        index: &ScanIndex,
        run_end: &HashMap<i64, i64>,
        out: &mut Vec<ProcessHistory>,
    ) -> rusqlite::Result<()> {
        let mut st = self.conn.prepare(
            "SELECT p.id, p.pid, p.ppid, p.start_ticks, p.uid, p.comm, p.cmdline, \
             p.kernel_thread, p.workload, p.first_scan, p.last_scan, p.exited, s.run \
             FROM processes AS p LEFT JOIN scans AS s ON s.id = p.last_scan \
             WHERE p.first_scan <= ?1 AND (p.exited = 0 OR p.last_scan >= ?2) ORDER BY p.id",
        )?;
        let first = scans[0].id;
        let rows = st.query_map([last, start.min(first)], |r| {
            let first_scan: i64 = r.get(9)?;
            let last_scan: i64 = r.get(10)?;
            let exited: bool = r.get::<_, i64>(11)? != 0;
            let run: Option<i64> = r.get(12)?;
            // Not seen gone: alive until the end of its run (the recorder
            // updates last_scan at key scans and when it stops).
            let end = if exited {
                last_scan
            } else {
                run.and_then(|run| run_end.get(&run).copied())
                    .unwrap_or(last_scan)
                    .max(last_scan)
            };
            Ok((
                ProcessHistory {
                    id: r.get(0)?,
                    pid: r.get(1)?,
                    ppid: r.get(2)?,
                    start_ticks: from_db(r.get(3)?).unwrap_or(0),
                    uid: r.get(4)?,
                    comm: r.get(5)?,
                    cmdline: r.get(6)?,
                    kernel_thread: r.get::<_, i64>(7)? != 0,
                    workload: r.get::<_, Option<i64>>(8)?.map(|v| v as usize),
                    first: 0,
                    last: 0,
                    seen_before: first_scan < first,
                    exited: exited && last_scan <= last,
                    series: vec![Series::default(); ProcMetric::ALL.len()],
                },
                first_scan,
                end,
            ))
        })?;
        for r in rows {
            let (mut p, first_scan, end) = r?;
            if end < first || (w.no_kernel_threads && p.kernel_thread) {
                continue;
            }
            if !w.pids.is_empty() && !w.pids.contains(&p.pid) {
                continue;
            }
            p.first = index.at_or_after(first_scan.max(first));
            p.last = index.at_or_before(end.min(last));
            out.push(p);
        }
        Ok(())
    }

    fn workloads(&self) -> rusqlite::Result<Vec<WorkloadHistory>> {
        let mut st = self.conn.prepare(
            "SELECT id, name, kind, namespace, pod, container, unit, cgroup FROM workloads \
             ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(WorkloadHistory {
                id: r.get(0)?,
                key: WorkloadKey {
                    name: r.get(1)?,
                    kind: r.get(2)?,
                    namespace: r.get(3)?,
                    pod: r.get(4)?,
                    container: r.get(5)?,
                    unit: r.get(6)?,
                    cgroup: r.get(7)?,
                },
                series: Vec::new(),
            })
        })?;
        rows.collect()
    }

    /// The key scans' ids from `start` to `last`, in order.
    fn key_scans(&self, start: i64, last: i64) -> rusqlite::Result<Vec<i64>> {
        let mut st = self
            .conn
            .prepare("SELECT id FROM scans WHERE key = 1 AND id >= ?1 AND id <= ?2 ORDER BY id")?;
        let rows = st.query_map([start, last], |r| r.get(0))?;
        rows.collect()
    }

    /// Stream `samples` from the key scan on, carrying each column
    /// forward (counters summed from their last absolute value: see
    /// [`super::schema`]); points before the window seed its first scan.
    fn samples(
        &self,
        start: i64,
        first: i64,
        last: i64,
        index: &ScanIndex,
        h: &mut History,
    ) -> rusqlite::Result<()> {
        let by_id: FxHashMap<i64, usize> = h
            .processes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        // Version 1 holds counters absolute in every row.
        let keys = if self.version >= 2 {
            Some(self.key_scans(start, last)?)
        } else {
            None
        };
        // Per process: its values, and the scan of its last row.
        let mut state: FxHashMap<i64, (ProcValues, i64)> = FxHashMap::default();
        let mut st = self.conn.prepare(
            "SELECT scan, process, state, rss_kb, fds, threads, cpu_ticks, switches, \
             read_bytes, write_bytes, fd_limit FROM samples WHERE scan >= ?1 AND scan <= ?2 \
             ORDER BY scan, process",
        )?;
        let mut rows = st.query([start, last])?;
        while let Some(r) = rows.next()? {
            let scan: i64 = r.get(0)?;
            let pid: i64 = r.get(1)?;
            let Some(&pi) = by_id.get(&pid) else {
                continue;
            };
            let absolute = match (&keys, state.get(&pid)) {
                (None, _) | (_, None) => true,
                (Some(keys), Some(&(_, prev))) => {
                    // The key scan in effect at this row.
                    let n = keys.partition_point(|&k| k <= scan);
                    n == 0 || prev < keys[n - 1]
                }
            };
            let (v, prev) = state.entry(pid).or_default();
            *prev = scan;
            for (c, &m) in ProcMetric::ALL.iter().enumerate() {
                if let Some(x) = r.get::<_, Option<i64>>(c + 2)? {
                    let now = if absolute || !m.is_counter() {
                        from_db(x)
                    } else {
                        increase(v.get(m), x)
                    };
                    v.set(m, now);
                }
            }
            let v = *v;
            let at = if scan < first {
                0
            } else {
                index.at_or_after(scan)
            };
            let p = &mut h.processes[pi];
            let at = at.max(p.first);
            for (c, &m) in ProcMetric::ALL.iter().enumerate() {
                set_point(&mut p.series[c], at, v.get(m));
            }
        }
        Ok(())
    }

    fn workload_samples(
        &self,
        start: i64,
        first: i64,
        last: i64,
        index: &ScanIndex,
        h: &mut History,
    ) -> rusqlite::Result<()> {
        let by_id: FxHashMap<i64, usize> = h
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id, i))
            .collect();
        let mut state: FxHashMap<i64, super::WorkloadValues> = FxHashMap::default();
        let mut st = self.conn.prepare(
            "SELECT scan, workload, memory_bytes, working_set_bytes, memory_limit_bytes, \
             oom_kills, pids, pids_max, cpu_ns, throttled_ns, tcp_established, tcp_close_wait, \
             tcp_listen FROM workload_samples WHERE scan >= ?1 AND scan <= ?2 \
             ORDER BY scan, workload",
        )?;
        let mut rows = st.query([start, last])?;
        while let Some(r) = rows.next()? {
            let scan: i64 = r.get(0)?;
            let id: i64 = r.get(1)?;
            let Some(&wi) = by_id.get(&id) else {
                continue;
            };
            let v = state.entry(id).or_default();
            for (c, &m) in WorkloadMetric::ALL.iter().enumerate() {
                if let Some(x) = r.get::<_, Option<i64>>(c + 2)? {
                    v.set(m, from_db(x));
                }
            }
            let at = if scan < first {
                0
            } else {
                index.at_or_after(scan)
            };
            let wl = &mut h.workloads[wi];
            if wl.series.is_empty() {
                wl.series = vec![Series::default(); WorkloadMetric::ALL.len()];
            }
            for (c, &m) in WorkloadMetric::ALL.iter().enumerate() {
                set_point(&mut wl.series[c], at, v.get(m));
            }
        }
        Ok(())
    }
}

/// A counter's value from its previous one and a stored increase: `x >= 0`
/// added, -1 unknown, `x <= -2` the absolute value `-2 - x` (after an
/// unknown, or when it went down). An increase on an unknown value is
/// unknown (a damaged file; never a guess).
fn increase(prev: Option<u64>, x: i64) -> Option<u64> {
    match x {
        0.. => prev.map(|p| p.saturating_add(x as u64)),
        -1 => None,
        _ => u64::try_from(-2 - x).ok(),
    }
}

/// A point at `at`: a later value at the same index replaces the earlier
/// one (merged scans, or seeding before the window).
fn set_point(s: &mut Series, at: u32, v: Option<u64>) {
    if let Some(lastp) = s.points.last_mut() {
        if lastp.0 == at {
            lastp.1 = v;
            // Merged into an equal predecessor: drop the repeat.
            let n = s.points.len();
            if n >= 2 && s.points[n - 2].1 == v {
                s.points.pop();
            }
            return;
        }
    }
    s.push(at, v);
}

/// The scans kept (indexes into `scans`) for at most `max` of them: every
/// n-th, and always the last.
fn thin(scans: &[ScanInfo], max: usize) -> (Vec<usize>, bool) {
    let n = scans.len();
    if max == 0 || n <= max {
        return ((0..n).collect(), false);
    }
    let step = n.div_ceil(max);
    let mut kept: Vec<usize> = (0..n).filter(|i| (n - 1 - i) % step == 0).collect();
    kept.dedup();
    (kept, true)
}

/// Scan ids -> kept indexes.
struct ScanIndex {
    /// (scan id, index of the kept scan it belongs to).
    ids: Vec<(i64, u32)>,
}

fn scan_index(scans: &[ScanInfo], kept: &[usize]) -> ScanIndex {
    let mut ids = Vec::with_capacity(scans.len());
    let mut k = 0usize;
    for (i, s) in scans.iter().enumerate() {
        while k < kept.len() && kept[k] < i {
            k += 1;
        }
        let at = k.min(kept.len().saturating_sub(1)) as u32;
        ids.push((s.id, at));
    }
    ScanIndex { ids }
}

impl ScanIndex {
    /// The index of the first scan at or after `id`.
    fn at_or_after(&self, id: i64) -> u32 {
        let n = self.ids.partition_point(|p| p.0 < id);
        self.ids.get(n).or(self.ids.last()).map_or(0, |p| p.1)
    }

    /// The index of the last scan at or before `id`.
    fn at_or_before(&self, id: i64) -> u32 {
        let n = self.ids.partition_point(|p| p.0 <= id);
        n.checked_sub(1)
            .and_then(|k| self.ids.get(k))
            .map_or(0, |p| p.1)
    }
}
