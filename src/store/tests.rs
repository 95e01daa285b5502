//! The store written then read back: only changes are written, key scans
//! hold full rows, the series read back equal the frames written (a
//! property test), exits, identity across runs, unknown values, retention,
//! the size cap and thinning.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::read::{Reader, Window};
use super::schema::{KEY_EVERY_MS, KEY_EVERY_SCANS};
use super::write::{Limits, Recorder};
use super::*;

/// A history file in a directory of its own, removed on drop.
struct Tmp(PathBuf);

impl Tmp {
    fn new(tag: &str) -> Tmp {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let d =
            std::env::temp_dir().join(format!("proctor-store-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }
    fn db(&self) -> PathBuf {
        self.0.join("h.db")
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const T0: i64 = 1_800_000_000_000;
const STEP: i64 = 10_000;

fn info(boot: &str) -> RunInfo {
    RunInfo {
        started_ms: T0,
        host: "h".into(),
        boot_id: boot.into(),
        kernel: "6.18".into(),
        version: "test".into(),
        interval_ms: 10_000,
        targets: String::new(),
        clock_ticks: 100,
        boot_time_s: Some(1_700_000_000),
    }
}

fn vals(x: u64) -> ProcValues {
    ProcValues {
        state: Some(b'S'),
        rss_kb: Some(1000 + x),
        fds: Some(10),
        threads: Some(1),
        cpu_ticks: Some(5),
        switches: Some(7),
        read_bytes: Some(0),
        write_bytes: Some(0),
        fd_limit: Some(1024),
    }
}

fn proc(pid: i32, v: ProcValues) -> ProcFrame {
    ProcFrame {
        pid,
        start_ticks: 100 + pid as u64,
        ppid: 1,
        uid: Some(0),
        comm: format!("p{pid}").into_bytes(),
        cmdline: b"x\0".to_vec(),
        kernel_thread: false,
        workload: None,
        values: v,
    }
}

fn frame(t_ms: i64, processes: Vec<ProcFrame>) -> Frame {
    Frame {
        t_ms,
        processes,
        ..Frame::default()
    }
}

fn open(path: &Path, limits: Limits, boot: &str) -> Recorder {
    let mut r = Recorder::open(path, limits).unwrap();
    r.begin_run(&info(boot)).unwrap();
    r
}

fn conn(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

/// `samples` rows of one scan: (pid, each column as stored).
fn rows_at(c: &Connection, scan: i64) -> Vec<(i32, Vec<Option<i64>>)> {
    let mut st = c
        .prepare(
            "SELECT p.pid, state, rss_kb, fds, threads, cpu_ticks, switches, read_bytes, \
             write_bytes, fd_limit FROM samples s JOIN processes p ON p.id = s.process \
             WHERE scan = ?1 ORDER BY p.pid",
        )
        .unwrap();
    st.query_map([scan], |r| {
        let cols = (1..=9)
            .map(|i| r.get::<_, Option<i64>>(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((r.get(0)?, cols))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn load_all(path: &Path) -> History {
    Reader::open(path).unwrap().load(&Window::default())
}

fn history_of(h: &History, pid: i32) -> &ProcessHistory {
    h.processes.iter().find(|p| p.pid == pid).unwrap()
}

#[test]
fn an_idle_process_costs_no_row_after_its_first_and_a_change_writes_its_column_alone() {
    let t = Tmp::new("changes");
    let mut r = open(&t.db(), Limits::default(), "b");
    let idle = vals(0);
    for i in 0..5 {
        let mut busy = vals(0);
        busy.rss_kb = Some(2000 + i as u64);
        let w = r
            .record(&frame(T0 + i * STEP, vec![proc(1, idle), proc(2, busy)]))
            .unwrap();
        assert_eq!(w.process_rows, if i == 0 { 2 } else { 1 }, "scan {i}");
    }
    r.finish().unwrap();
    let c = conn(&t.db());
    let first = rows_at(&c, 1);
    assert_eq!(first.len(), 2);
    assert!(
        first
            .iter()
            .all(|(_, cols)| cols.iter().all(Option::is_some))
    );
    for scan in 2..=5 {
        let rows = rows_at(&c, scan);
        assert_eq!(rows.len(), 1, "scan {scan}: only the changed process");
        let (pid, cols) = &rows[0];
        assert_eq!(*pid, 2);
        // Only rss_kb (the second column) is written.
        let expect: Vec<Option<i64>> = (0..9)
            .map(|i| (i == 1).then_some(2000 + scan - 1))
            .collect();
        assert_eq!(cols, &expect, "scan {scan}");
    }
    assert_eq!(count(&c, "SELECT count(*) FROM samples"), 6);
    // Read back, the idle process holds its values at every scan.
    let h = load_all(&t.db());
    assert_eq!(h.scans.len(), 5);
    let p1 = history_of(&h, 1);
    for i in 0..5 {
        assert_eq!(p1.series(ProcMetric::Rss).at(i), Some(Some(1000)));
        assert_eq!(p1.series(ProcMetric::Fds).at(i), Some(Some(10)));
    }
    let p2 = history_of(&h, 2);
    for i in 0..5u32 {
        assert_eq!(
            p2.series(ProcMetric::Rss).at(i),
            Some(Some(2000 + u64::from(i)))
        );
    }
}

#[test]
fn counters_are_stored_as_increases_and_read_back_absolute() {
    let t = Tmp::new("delta");
    let mut r = open(&t.db(), Limits::default(), "b");
    // cpu_ticks at each scan: first row, up, up, unknown, known again,
    // down (a reset), up; then a key scan (15 minutes later), up.
    let cpu = [
        Some(100),
        Some(130),
        Some(1130),
        None,
        Some(2000),
        Some(40),
        Some(45),
        Some(60),
        Some(61),
    ];
    let mut t_ms = T0;
    for (i, c) in cpu.iter().enumerate() {
        let mut v = vals(0);
        v.cpu_ticks = *c;
        t_ms += if i == 7 { KEY_EVERY_MS } else { STEP };
        let w = r.record(&frame(t_ms, vec![proc(1, v)])).unwrap();
        assert_eq!(w.key, i == 0 || i == 7, "scan {i}");
    }
    r.finish().unwrap();
    let c = conn(&t.db());
    let stored: Vec<Option<i64>> = (1..=cpu.len() as i64)
        .map(|scan| rows_at(&c, scan)[0].1[4])
        .collect();
    // Absolute in the first row and at the key scan; else the increase,
    // -1 for unknown, -2 - value when known again or down.
    assert_eq!(
        stored,
        vec![
            Some(100),
            Some(30),
            Some(1000),
            Some(-1),
            Some(-2002),
            Some(-42),
            Some(5),
            Some(60),
            Some(1)
        ]
    );
    // Switches did not change: written in the first row and the key
    // scan's only.
    let switches: Vec<Option<i64>> = (1..=cpu.len() as i64)
        .map(|scan| rows_at(&c, scan)[0].1[5])
        .collect();
    assert_eq!(switches.iter().flatten().collect::<Vec<_>>(), [&7, &7]);
    let h = load_all(&t.db());
    let p = history_of(&h, 1);
    for (i, want) in cpu.iter().enumerate() {
        assert_eq!(
            p.series(ProcMetric::Cpu).at(i as u32),
            Some(*want),
            "scan {i}"
        );
        assert_eq!(p.series(ProcMetric::Switches).at(i as u32), Some(Some(7)));
    }
    let view: Vec<i64> = c
        .prepare("SELECT cpu_ticks FROM process_samples ORDER BY scan")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(view, [100, 130, 1130, -1, 2000, 40, 45, 60, 61]);
    view_agrees_with_load(&t.db());
    // A window starting after the key scan reads from it: the increases
    // before it are not needed.
    let late = Reader::open(&t.db()).unwrap().load(&Window {
        since_ms: Some(t_ms),
        ..Window::default()
    });
    let p = history_of(&late, 1);
    assert_eq!(p.series(ProcMetric::Cpu).at(0), Some(Some(61)));
    // And one starting before it sums from the first row.
    let mid = Reader::open(&t.db()).unwrap().load(&Window {
        since_ms: Some(T0 + 3 * STEP),
        until_ms: Some(T0 + 7 * STEP),
        ..Window::default()
    });
    let p = history_of(&mid, 1);
    let got: Vec<Option<Option<u64>>> = (0..5).map(|i| p.series(ProcMetric::Cpu).at(i)).collect();
    assert_eq!(
        got,
        [
            Some(Some(1130)),
            Some(None),
            Some(Some(2000)),
            Some(Some(40)),
            Some(Some(45))
        ]
    );
}

#[test]
fn a_version_1_file_is_read_with_absolute_counters_and_never_written_to() {
    let t = Tmp::new("v1");
    let mut r = open(&t.db(), Limits::default(), "b");
    let mut v = vals(0);
    v.cpu_ticks = Some(100);
    r.record(&frame(T0, vec![proc(1, v)])).unwrap();
    r.finish().unwrap();
    drop(r);
    // As version 1 wrote it: a later row's counter absolute.
    {
        let c = conn(&t.db());
        c.execute_batch(
            "INSERT INTO scans (run, t_ms, key, processes, exited, unreadable, scan_us) \
             SELECT run, t_ms + 10000, 0, 1, 0, 0, 0 FROM scans WHERE id = 1; \
             INSERT INTO samples (scan, process, cpu_ticks) VALUES (2, 1, 500); \
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let h = load_all(&t.db());
    assert!(h.damage.is_empty(), "{:?}", h.damage);
    let p = history_of(&h, 1);
    assert_eq!(p.series(ProcMetric::Cpu).at(1), Some(Some(500)));
    match Recorder::open(&t.db(), Limits::default()) {
        Err(e) => {
            assert_eq!(e.kind(), "older_schema");
            assert!(e.to_string().contains("schema 1, older"), "{e}");
        }
        Ok(_) => panic!("a version-1 file was opened for writing"),
    }
    // Not written to.
    assert_eq!(count(&conn(&t.db()), "PRAGMA user_version"), 1);
}

#[test]
fn key_scans_hold_full_rows_by_count_and_by_time() {
    let t = Tmp::new("key");
    let mut r = open(&t.db(), Limits::default(), "b");
    let n = KEY_EVERY_SCANS + 2;
    let mut keys = Vec::new();
    for i in 0..n {
        // 1 s apart: only the count makes key scans here.
        let w = r
            .record(&frame(
                T0 + i * 1000,
                vec![proc(1, vals(0)), proc(2, vals(0))],
            ))
            .unwrap();
        if w.key {
            keys.push(w.scan);
        }
    }
    assert_eq!(
        keys,
        vec![1, 1 + KEY_EVERY_SCANS],
        "a key scan every {KEY_EVERY_SCANS}"
    );
    // Time: the next scan 15 minutes later is a key scan.
    let w = r
        .record(&frame(
            T0 + n * 1000 + KEY_EVERY_MS,
            vec![proc(1, vals(0)), proc(2, vals(0))],
        ))
        .unwrap();
    assert!(w.key);
    keys.push(w.scan);
    r.finish().unwrap();
    let c = conn(&t.db());
    for &k in &keys {
        let rows = rows_at(&c, k);
        assert_eq!(rows.len(), 2, "key scan {k}: every live process");
        assert!(
            rows.iter()
                .all(|(_, cols)| cols.iter().all(Option::is_some)),
            "key scan {k}: every column: {rows:?}"
        );
        assert_eq!(
            count(&c, &format!("SELECT key FROM scans WHERE id = {k}")),
            1
        );
    }
    // Between key scans, nothing changed: no rows.
    assert_eq!(
        count(&c, "SELECT count(*) FROM samples"),
        2 * keys.len() as i64
    );
}

#[test]
fn a_process_that_exits_is_exited_and_last_seen_at_the_scan_before() {
    let t = Tmp::new("exit");
    let mut r = open(&t.db(), Limits::default(), "b");
    r.record(&frame(T0, vec![proc(1, vals(0)), proc(2, vals(0))]))
        .unwrap();
    r.record(&frame(T0 + STEP, vec![proc(1, vals(0)), proc(2, vals(0))]))
        .unwrap();
    let w = r
        .record(&frame(T0 + 2 * STEP, vec![proc(1, vals(0))]))
        .unwrap();
    assert_eq!(w.exited, 1);
    r.record(&frame(T0 + 3 * STEP, vec![proc(1, vals(0))]))
        .unwrap();
    r.finish().unwrap();
    let c = conn(&t.db());
    let (last, exited): (i64, i64) = c
        .query_row(
            "SELECT last_scan, exited FROM processes WHERE pid = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((last, exited), (2, 1));
    let (last, exited): (i64, i64) = c
        .query_row(
            "SELECT last_scan, exited FROM processes WHERE pid = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((last, exited), (4, 0), "alive until the end of the run");
    let h = load_all(&t.db());
    let p2 = history_of(&h, 2);
    assert!(p2.exited);
    assert_eq!((p2.first, p2.last), (0, 1));
    let p1 = history_of(&h, 1);
    assert!(!p1.exited);
    assert_eq!((p1.first, p1.last), (0, 3));
}

#[test]
fn a_process_alive_but_not_read_is_not_exited_and_is_whole_at_its_next_row_after_a_key_scan() {
    let t = Tmp::new("still-alive");
    let mut r = open(&t.db(), Limits::default(), "b");
    r.record(&frame(T0, vec![proc(1, vals(0)), proc(2, vals(0))]))
        .unwrap();
    // Scan 2: pid 2 not read, but alive.
    let mut f = frame(T0 + STEP, vec![proc(1, vals(0))]);
    f.still_alive = vec![(2, 102)];
    let w = r.record(&f).unwrap();
    assert_eq!(w.exited, 0);
    // Scan 3 is a key scan (by time) and pid 2 is again not read.
    let mut f = frame(T0 + KEY_EVERY_MS + STEP, vec![proc(1, vals(0))]);
    f.still_alive = vec![(2, 102)];
    assert!(r.record(&f).unwrap().key);
    // Scan 4: read again, unchanged: a whole row all the same (the key
    // scan before it did not hold it).
    r.record(&frame(
        T0 + KEY_EVERY_MS + 2 * STEP,
        vec![proc(1, vals(0)), proc(2, vals(0))],
    ))
    .unwrap();
    let c = conn(&t.db());
    let at4 = rows_at(&c, 4);
    assert_eq!(at4.len(), 1, "{at4:?}");
    assert_eq!(at4[0].0, 2);
    assert!(at4[0].1.iter().all(Option::is_some), "{at4:?}");
    // Scan 5: pid 2 missing and not alive: exited, last seen at scan 4.
    r.record(&frame(T0 + KEY_EVERY_MS + 3 * STEP, vec![proc(1, vals(0))]))
        .unwrap();
    let h = load_all(&t.db());
    let p = history_of(&h, 2);
    assert!(p.exited);
    assert_eq!(p.last, 3);
    assert_eq!(count(&c, "SELECT count(*) FROM processes"), 2);
}

#[test]
fn a_new_name_after_exec_replaces_the_stored_name_and_command_line() {
    let t = Tmp::new("exec");
    let mut r = open(&t.db(), Limits::default(), "b");
    let mut p = proc(7, vals(0));
    p.comm = b"sh".to_vec();
    p.cmdline = b"sh\0-c\0exec app\0".to_vec();
    r.record(&frame(T0, vec![p.clone()])).unwrap();
    // The same process (pid, start) after exec: a new name, and the
    // recorder sends the command line with it.
    p.comm = b"app".to_vec();
    p.cmdline = b"app\0--serve\0".to_vec();
    r.record(&frame(T0 + STEP, vec![p.clone()])).unwrap();
    // Later frames send no command line: the stored one stays.
    p.cmdline = Vec::new();
    r.record(&frame(T0 + 2 * STEP, vec![p])).unwrap();
    let h = load_all(&t.db());
    assert_eq!(h.processes.len(), 1);
    assert_eq!(h.processes[0].comm, b"app");
    assert_eq!(h.processes[0].cmdline, b"app\0--serve\0");
}

#[test]
fn a_process_seen_again_by_a_new_run_of_the_same_boot_is_the_same_row() {
    let t = Tmp::new("runs");
    for _ in 0..2 {
        let mut r = open(&t.db(), Limits::default(), "boot-a");
        r.record(&frame(T0, vec![proc(1, vals(0))])).unwrap();
        r.record(&frame(T0 + STEP, vec![proc(1, vals(1))])).unwrap();
        r.finish().unwrap();
    }
    let c = conn(&t.db());
    assert_eq!(count(&c, "SELECT count(*) FROM runs"), 2);
    assert_eq!(count(&c, "SELECT count(*) FROM processes"), 1);
    assert_eq!(count(&c, "SELECT last_scan FROM processes"), 4);
    // Another boot: the same pid and start time are another process.
    let mut r = open(&t.db(), Limits::default(), "boot-b");
    r.record(&frame(T0 + 2 * STEP, vec![proc(1, vals(0))]))
        .unwrap();
    r.finish().unwrap();
    assert_eq!(count(&c, "SELECT count(*) FROM processes"), 2);
    // And one that exited is never revived by a later run.
    drop(r);
    let mut r = open(&t.db(), Limits::default(), "boot-b");
    r.record(&frame(T0 + 3 * STEP, vec![proc(2, vals(0))]))
        .unwrap();
    r.record(&frame(T0 + 4 * STEP, vec![proc(2, vals(0))]))
        .unwrap();
    r.finish().unwrap();
    drop(r);
    let mut r = open(&t.db(), Limits::default(), "boot-b");
    r.record(&frame(T0 + 5 * STEP, vec![proc(2, vals(0))]))
        .unwrap();
    r.finish().unwrap();
    assert_eq!(
        count(&c, "SELECT count(*) FROM processes WHERE pid = 2"),
        1,
        "alive at the end of its run: the same row"
    );
}

#[test]
fn unknown_values_stay_unknown_never_zero() {
    let t = Tmp::new("unknown");
    let mut r = open(&t.db(), Limits::default(), "b");
    let mut v = vals(0);
    v.fds = None;
    v.read_bytes = None;
    v.write_bytes = None;
    r.record(&frame(T0, vec![proc(1, v)])).unwrap();
    // Readable again, then unreadable again.
    r.record(&frame(T0 + STEP, vec![proc(1, vals(0))])).unwrap();
    r.record(&frame(T0 + 2 * STEP, vec![proc(1, v)])).unwrap();
    r.finish().unwrap();
    let c = conn(&t.db());
    let rows = rows_at(&c, 1);
    assert_eq!(rows[0].1[2], Some(-1), "fds stored as -1");
    let rows = rows_at(&c, 3);
    assert_eq!(rows[0].1[2], Some(-1), "unreadable again: a change to -1");
    let view_fds: Vec<i64> = c
        .prepare("SELECT fds FROM process_samples ORDER BY scan")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(view_fds, vec![-1, 10, -1]);
    let h = load_all(&t.db());
    let p = history_of(&h, 1);
    let fds = p.series(ProcMetric::Fds);
    assert_eq!(fds.at(0), Some(None));
    assert_eq!(fds.at(1), Some(Some(10)));
    assert_eq!(fds.at(2), Some(None));
    assert_eq!(p.series(ProcMetric::ReadBytes).at(0), Some(None));
    // A workload whose counters are unknown.
    let wl = h.workloads.len();
    assert_eq!(wl, 0);
}

/// The view `process_samples` against `load` for every process at every
/// scan the view has a row for.
fn view_agrees_with_load(path: &Path) {
    let c = conn(path);
    let h = load_all(path);
    assert!(h.damage.is_empty(), "{:?}", h.damage);
    let scan_index: std::collections::HashMap<i64, u32> = h
        .scans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i as u32))
        .collect();
    let mut st = c
        .prepare(
            "SELECT scan, pid, start_ticks, state, rss_kb, fds, threads, cpu_ticks, switches, \
             read_bytes, write_bytes, fd_limit FROM process_samples",
        )
        .unwrap();
    let rows: Vec<(i64, i32, i64, Vec<Option<i64>>)> = st
        .query_map([], |r| {
            let cols = (3..=11)
                .map(|i| r.get::<_, Option<i64>>(i))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, cols))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!rows.is_empty());
    for (scan, pid, start, cols) in rows {
        let i = scan_index[&scan];
        let p = h
            .processes
            .iter()
            .find(|p| p.pid == pid && p.start_ticks as i64 == start && p.first <= i && i <= p.last)
            .unwrap_or_else(|| panic!("pid {pid} at scan {scan} not loaded"));
        for (c, &m) in ProcMetric::ALL.iter().enumerate() {
            let view = cols[c]
                .unwrap_or_else(|| panic!("view: pid {pid} {} NULL at scan {scan}", m.column()));
            assert_eq!(
                p.series(m).at(i),
                Some(from_db(view)),
                "pid {pid} {} at scan {scan}",
                m.column()
            );
        }
    }
}

#[test]
fn retention_drops_whole_key_spans_and_the_view_and_load_agree_after() {
    let t = Tmp::new("retain");
    // Key scans every 15 minutes; a scan every 5 minutes; keep 40 minutes.
    let step = 5 * 60 * 1000;
    let limits = Limits {
        retain_ms: Some(40 * 60 * 1000),
        max_bytes: None,
    };
    let mut r = open(&t.db(), limits, "b");
    let mut dropped = 0;
    for i in 0..30i64 {
        let mut ps = vec![proc(1, vals((i / 4) as u64))];
        // A process living scans 2..6 only, and one changing every scan.
        if (2..6).contains(&i) {
            ps.push(proc(2, vals(0)));
        }
        ps.push(proc(3, vals(i as u64)));
        dropped += r.record(&frame(T0 + i * step, ps)).unwrap().dropped_scans;
    }
    r.finish().unwrap();
    let c = conn(&t.db());
    let first: i64 = count(&c, "SELECT min(id) FROM scans");
    assert_eq!(dropped as i64, first - 1);
    assert_eq!(
        count(&c, &format!("SELECT key FROM scans WHERE id = {first}")),
        1,
        "the oldest scan left is a key scan"
    );
    // Every scan of the last 40 minutes is there; older ones only back
    // to the key scan they are read from.
    let newest_t = T0 + 29 * step;
    let cutoff = newest_t - 40 * 60 * 1000;
    let wanted = (0..30).filter(|i| T0 + i * step > cutoff).count() as i64;
    assert_eq!(
        count(
            &c,
            &format!("SELECT count(*) FROM scans WHERE t_ms > {cutoff}")
        ),
        wanted
    );
    let oldest_t = count(&c, "SELECT min(t_ms) FROM scans");
    assert!(
        oldest_t > cutoff - KEY_EVERY_MS,
        "at most one key span past the retention: {}",
        cutoff - oldest_t
    );
    assert_eq!(
        count(
            &c,
            &format!("SELECT count(*) FROM samples WHERE scan < {first}")
        ),
        0
    );
    assert_eq!(count(&c, "SELECT count(*) FROM processes WHERE pid = 2"), 0);
    view_agrees_with_load(&t.db());
}

#[test]
fn retention_drops_an_earlier_run_older_than_it_whole() {
    let t = Tmp::new("retain-pause");
    let mut r = open(&t.db(), Limits::default(), "b");
    for i in 0..10 {
        r.record(&frame(T0 + i * 60_000, vec![proc(1, vals(0))]))
            .unwrap();
    }
    r.finish().unwrap();
    drop(r);
    // Three hours later, keeping one hour: the whole first run goes at
    // the first scan (its last key span included).
    let limits = Limits {
        retain_ms: Some(3_600_000),
        max_bytes: None,
    };
    let mut r = open(&t.db(), limits, "b");
    let w = r
        .record(&frame(T0 + 3 * 3_600_000, vec![proc(2, vals(0))]))
        .unwrap();
    assert_eq!(w.dropped_scans, 10);
    r.finish().unwrap();
    let c = conn(&t.db());
    assert_eq!(count(&c, "SELECT count(*) FROM scans"), 1);
    assert_eq!(count(&c, "SELECT count(*) FROM runs"), 1);
    assert_eq!(count(&c, "SELECT count(*) FROM processes"), 1);
    view_agrees_with_load(&t.db());
}

#[test]
fn the_size_cap_holds_file_and_wal_after_many_scans() {
    let t = Tmp::new("size");
    let max = 1024 * 1024;
    let limits = Limits {
        retain_ms: None,
        max_bytes: Some(max),
    };
    let mut r = open(&t.db(), limits, "b");
    let (mut dropped, mut keys) = (0, 0);
    for i in 0..600i64 {
        // 200 processes, every one changing every scan.
        let ps = (1..=200)
            .map(|p| {
                let mut v = vals((i * 7 + i64::from(p)) as u64);
                v.cpu_ticks = Some((i * 3) as u64);
                proc(p, v)
            })
            .collect();
        // A second apart: neither the count nor the time makes key scans
        // in the first 360; the span's size does.
        let w = r.record(&frame(T0 + i * 1000, ps)).unwrap();
        dropped += w.dropped_scans;
        keys += usize::from(w.key);
        assert!(r.size() <= max, "scan {i}: {} bytes", r.size());
    }
    r.finish().unwrap();
    assert!(dropped > 0, "the cap dropped scans");
    assert!(keys > 4, "{keys} key scans");
    let c = conn(&t.db());
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let first = count(&c, "SELECT min(id) FROM scans");
    assert_eq!(
        count(&c, &format!("SELECT key FROM scans WHERE id = {first}")),
        1
    );
    view_agrees_with_load(&t.db());
}

#[test]
fn a_cap_lower_than_the_file_frees_every_page_at_the_next_scan() {
    let t = Tmp::new("shrink");
    let mut r = open(&t.db(), Limits::default(), "b");
    for i in 0..600i64 {
        let ps = (1..=200)
            .map(|p| proc(p, vals((i + i64::from(p)) as u64)))
            .collect();
        r.record(&frame(T0 + i * 1000, ps)).unwrap();
    }
    r.finish().unwrap();
    drop(r);
    let max = 1024 * 1024;
    let mut r = open(
        &t.db(),
        Limits {
            retain_ms: None,
            max_bytes: Some(max),
        },
        "b",
    );
    assert!(r.size() > 2 * max, "{}", r.size());
    let w = r
        .record(&frame(T0 + 600_000, vec![proc(1, vals(0))]))
        .unwrap();
    assert_eq!(w.dropped_scans, 600);
    // Every freed page given back (the vacuum pragma stepped to its end,
    // not one page).
    assert!(r.size() <= max, "{} bytes", r.size());
    let c = conn(&t.db());
    assert!(count(&c, "PRAGMA freelist_count") < 16);
}

#[test]
fn thinning_keeps_the_last_value_of_each_merged_bucket() {
    let t = Tmp::new("thin");
    let mut r = open(&t.db(), Limits::default(), "b");
    let n = 10u64;
    for i in 0..n {
        // rss = i; fds changes only at scan 4 (inside a merged bucket).
        let mut v = vals(i);
        v.fds = Some(if i >= 4 { 20 } else { 10 });
        r.record(&frame(T0 + i as i64 * STEP, vec![proc(1, v)]))
            .unwrap();
    }
    r.finish().unwrap();
    let h = Reader::open(&t.db()).unwrap().load(&Window {
        max_scans: 3,
        ..Window::default()
    });
    assert_eq!(h.thinned_from, n as usize);
    assert!(h.scans.len() <= 3 + 1, "{}", h.scans.len());
    assert_eq!(
        h.scans.last().unwrap().id,
        n as i64,
        "the last scan is kept"
    );
    let p = history_of(&h, 1);
    for (k, s) in h.scans.iter().enumerate() {
        // Scan ids are 1-based; rss written at scan id s is s - 1.
        let written = (s.id - 1) as u64;
        assert_eq!(
            p.series(ProcMetric::Rss).at(k as u32),
            Some(Some(1000 + written)),
            "kept scan {} carries its own (its bucket's last) value",
            s.id
        );
        let fds = if written >= 4 { 20 } else { 10 };
        assert_eq!(p.series(ProcMetric::Fds).at(k as u32), Some(Some(fds)));
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A value from a small set (so "unchanged" is common), None included.
    fn value() -> impl Strategy<Value = Option<u64>> {
        prop_oneof![
            3 => (0u64..4).prop_map(Some),
            1 => Just(None),
            1 => Just(Some(u64::MAX)),
        ]
    }

    /// A counter: mostly growing from the previous scan's (the scenario
    /// accumulates these steps), sometimes unknown, reset, or huge.
    #[derive(Debug, Clone, Copy)]
    enum Step {
        Up(u64),
        Unknown,
        Reset(u64),
        Huge,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0u64..3).prop_map(Step::Up),
            1 => (0u64..1 << 40).prop_map(Step::Up),
            2 => Just(Step::Unknown),
            2 => (0u64..5).prop_map(Step::Reset),
            1 => Just(Step::Huge),
        ]
    }

    fn values() -> impl Strategy<Value = (ProcValues, [Step; 4])> {
        (
            proptest::collection::vec(value(), 9),
            proptest::array::uniform4(step()),
        )
            .prop_map(|(v, steps)| {
                let mut pv = ProcValues::default();
                for (i, &m) in ProcMetric::ALL.iter().enumerate() {
                    pv.set(m, v[i]);
                }
                (pv, steps)
            })
    }

    /// Each process's values at each scan, counters from their steps:
    /// growing, unknown, down to a small value, near or past i64::MAX.
    /// A life before its counters are accumulated from their steps.
    type Steps = (usize, usize, Vec<(ProcValues, [Step; 4])>);

    fn with_counters(lives: &[Steps]) -> Vec<Life> {
        let counters: Vec<ProcMetric> = ProcMetric::ALL
            .into_iter()
            .filter(|m| m.is_counter())
            .collect();
        lives
            .iter()
            .map(|(a, b, vs)| {
                let mut now: [Option<u64>; 4] = [Some(0); 4];
                let vals = vs
                    .iter()
                    .map(|(pv, steps)| {
                        let mut pv = *pv;
                        for (c, &m) in counters.iter().enumerate() {
                            now[c] = match steps[c] {
                                // Up from unknown: known again.
                                Step::Up(d) => Some(now[c].map_or(d, |x| x.saturating_add(d))),
                                Step::Unknown => None,
                                Step::Reset(x) => Some(x),
                                Step::Huge => Some(u64::MAX - now[c].unwrap_or(0) % 3),
                            };
                            pv.set(m, now[c]);
                        }
                        pv
                    })
                    .collect();
                (*a, *b, vals)
            })
            .collect()
    }

    /// Up to 5 processes, each alive over a span of the scans, with its
    /// values at each scan; gaps between scans (some past a key interval).
    /// A process's first scan, the scan after its last, and its values.
    type Life = (usize, usize, Vec<ProcValues>);

    fn scenario() -> impl Strategy<Value = (usize, Vec<i64>, Vec<Life>)> {
        (2usize..14).prop_flat_map(|n| {
            let gaps = proptest::collection::vec(
                prop_oneof![4 => Just(1000i64), 1 => Just(KEY_EVERY_MS)],
                n,
            );
            let procs = proptest::collection::vec(
                (0..n, 1..=n).prop_flat_map(move |(a, len)| {
                    let b = (a + len).min(n);
                    (Just(a), Just(b), proptest::collection::vec(values(), b - a))
                }),
                1..5,
            )
            .prop_map(|l| with_counters(&l));
            (Just(n), gaps, procs)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Random frames written, loaded back: the value at every scan is
        /// the value written, each process spans exactly its scans, and
        /// one that left before the end is exited.
        #[test]
        fn the_series_read_back_equal_the_frames_written((n, gaps, procs) in scenario()) {
            let t = Tmp::new("prop");
            let mut r = open(&t.db(), Limits::default(), "b");
            let mut t_ms = T0;
            for (i, gap) in gaps.iter().enumerate().take(n) {
                t_ms += gap;
                let ps: Vec<ProcFrame> = procs
                    .iter()
                    .enumerate()
                    .filter(|(_, (a, b, _))| (*a..*b).contains(&i))
                    .map(|(k, (a, _, v))| proc(k as i32 + 1, v[i - a]))
                    .collect();
                r.record(&frame(t_ms, ps)).unwrap();
            }
            r.finish().unwrap();
            drop(r);
            let h = load_all(&t.db());
            prop_assert!(h.damage.is_empty());
            // The view sums the increases to the same values.
            view_agrees_with_load(&t.db());
            prop_assert_eq!(h.scans.len(), n);
            prop_assert_eq!(h.processes.len(), procs.len());
            for (k, (a, b, v)) in procs.iter().enumerate() {
                let p = history_of(&h, k as i32 + 1);
                prop_assert_eq!((p.first as usize, p.last as usize), (*a, b - 1));
                prop_assert_eq!(p.exited, *b < n);
                for i in *a..*b {
                    for &m in &ProcMetric::ALL {
                        let written = v[i - a].get(m);
                        // Stored saturating at i64::MAX (counters one less).
                        let max = if m.is_counter() { COUNTER_MAX } else { i64::MAX };
                        let written = written.map(|x| x.min(max as u64));
                        prop_assert_eq!(
                            p.series(m).at(i as u32), Some(written),
                            "pid {} {} at scan {}", k + 1, m.column(), i
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn a_new_file_is_made_whole_then_linked_in_place() {
    let t = Tmp::new("create");
    let mut r = open(&t.db(), Limits::default(), "b");
    r.record(&frame(T0, vec![proc(1, vals(0))])).unwrap();
    r.finish().unwrap();
    drop(r);
    let names: Vec<String> = std::fs::read_dir(&t.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["h.db".to_string()], "no temporary file left");
    let c = conn(&t.db());
    assert_eq!(count(&c, "PRAGMA user_version"), schema::VERSION);
    assert_eq!(count(&c, "PRAGMA application_id"), schema::APPLICATION_ID);
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A directory that cannot be written: the error names the user's file.
    let e = Recorder::open(Path::new("/proc/h.db"), Limits::default())
        .err()
        .unwrap();
    assert_eq!(e.path(), Path::new("/proc/h.db"), "{e:?}");
}
