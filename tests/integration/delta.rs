//! `proctor record` stores counters as increases (history schema 2): a
//! live spinning child recorded by the real binary has its CPU time stored
//! absolute in its first row and as increases after, summed back by the
//! view and by `Reader::load` to what /proc said; a history of schema 1
//! is refused for recording in one line with a hint (exit 2), untouched,
//! and still read by `report`.

use std::path::Path;
use std::process::{Output, Stdio};

use rusqlite::Connection;

use proctor::store::ProcMetric;
use proctor::store::read::{Reader, Window};

use crate::common::{self, CgroupV1, MemCgroupV1, TempDir};

fn record(db: &Path, args: &[&str]) -> Output {
    let mut c = common::proctor_cmd(["record", "-o"]);
    c.arg(db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    common::run_bounded(&mut c)
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: i32) -> u64 {
    let f = common::proc_stat(pid).expect("stat of the child");
    common::stat_field(&f, 14) + common::stat_field(&f, 15)
}

#[test]
fn a_spinning_childs_cpu_time_is_stored_as_increases_and_read_back_whole() {
    let _timing = crate::common::heavy();
    let t = TempDir::new("delta-live");
    let Some(mem) = MemCgroupV1::own("delta-spin") else {
        return;
    };
    let Some(cpu) = CgroupV1::new("cpu", "delta", &[("cpu.shares", "262144")]) else {
        return;
    };
    let (child, _) =
        common::python_helper_in(&mem, "growers_child.py", &["spin", "deltaspin", "60"]);
    cpu.adopt(child.pid());
    let pid = child.pid();
    let before = cpu_ticks(pid);
    let db = t.path().join("h.db");
    let o = record(
        &db,
        &["--interval", "100ms", "--duration", "2s", &pid.to_string()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let after = cpu_ticks(pid);
    drop(child);

    let c = Connection::open(&db).expect("open");
    // The child's rows: (scan, key scan?, stored cpu_ticks), and the view's.
    let rows: Vec<(i64, bool, Option<i64>, i64)> = c
        .prepare(
            "SELECT s.scan, sc.key, s.cpu_ticks, v.cpu_ticks FROM samples s \
             JOIN processes p ON p.id = s.process JOIN scans sc ON sc.id = s.scan \
             JOIN process_samples v ON v.scan = s.scan AND v.pid = p.pid \
             AND v.start_ticks = p.start_ticks WHERE p.pid = ?1 ORDER BY s.scan",
        )
        .expect("prepare")
        .query_map([pid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(rows.len() >= 5, "few rows of a spinning child: {rows:?}");
    let (_, key, first, first_view) = rows[0];
    assert!(key, "the first scan is a key scan: {rows:?}");
    assert_eq!(first, Some(first_view), "absolute in the first row");
    let first = first_view as u64;
    assert!(
        first >= before && first <= after,
        "{before} <= {first} <= {after}"
    );
    // Every later row holds the increase since the row before it.
    let mut sum = first_view;
    for w in rows.windows(2) {
        let (scan, key, stored, view) = w[1];
        assert!(!key, "one key scan in 2 s");
        let x = stored.expect("a spinning child's CPU time changes at every row");
        assert!(x >= 0, "scan {scan}: {x} is not an increase");
        sum += x;
        // Absolute values summed would pass what /proc said after (an
        // increase may well exceed a young child's first value).
        assert!(
            sum as u64 <= after,
            "scan {scan}: {x} looks absolute ({sum} > {after})"
        );
        assert_eq!(view, sum, "scan {scan}: the view sums the increases");
    }
    let last = sum as u64;
    // It spun through 2 s of scans (at least half a CPU), and never past
    // what /proc said after.
    assert!(last <= after, "{last} > {after}");
    assert!(last >= first + 50, "{first} -> {last}: did it spin?");
    // load reads the same absolute series.
    let h = Reader::open(&db).expect("open").load(&Window::default());
    let p = h
        .processes
        .iter()
        .find(|p| p.pid == pid)
        .expect("the child");
    let at_last = p.series(ProcMetric::Cpu).at(p.last);
    assert_eq!(at_last, Some(Some(last)));
}

#[test]
fn a_schema_1_history_is_refused_for_recording_untouched_and_still_reported() {
    let t = TempDir::new("delta-v1");
    let db = t.path().join("old.db");
    let o = record(&db, &["--interval", "100ms", "--duration", "300ms"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    Connection::open(&db)
        .and_then(|c| c.pragma_update(None, "user_version", 1))
        .expect("set user_version");
    let before = std::fs::read(&db).expect("read");

    let o = record(&db, &["--interval", "100ms", "--duration", "300ms"]);
    let lines: Vec<String> = common::stderr(&o)
        .lines()
        .filter(|l| !l.starts_with("recording "))
        .map(str::to_string)
        .collect();
    assert_eq!(o.status.code(), Some(2), "{lines:?}");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("error: ")
            && lines[0].contains("has history schema 1, older than this proctor's 2"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("hint: ") && lines[1].contains("record to a new file"),
        "{lines:?}"
    );
    assert_eq!(
        std::fs::read(&db).expect("read"),
        before,
        "the file changed"
    );

    let o = common::run_bounded(
        common::proctor_cmd(["report"])
            .arg(&db)
            .stdin(Stdio::null()),
    );
    assert!(
        !common::stderr(&o).contains("error:"),
        "report refused it: {}",
        common::stderr(&o)
    );
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{o:?}");
}
