//! `proctor top --replay FILE`: live children of distinct names and sizes
//! (each in a memory cgroup of its own) recorded by the real binary at
//! 250 ms, one started mid-recording and one ended before the recording
//! stops; then (a) `--once --json` at a chosen time shows exactly the
//! processes recorded alive at that scan with their recorded values (read
//! back from the file's `process_samples` view with SQLite), and (b) the
//! interactive replay in tmux steps forward and back through the scans
//! (the header's time and the rows change as recorded), and `q` restores
//! the terminal. Plus the errors: a missing file, one that is not a
//! history, `--at` outside the recording.
//!
//! Every wait polls a condition against a generous deadline; children are
//! [`Reaped`] and their cgroups removed on drop.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{
    CgroupV1, Reaped, TempDir, Tmux, bin, json, proctor, stderr, wait_exit, wait_until,
};

/// Time allowed for the recorder to write the scans a step needs.
const RECORD: Duration = Duration::from_secs(60);
/// Time allowed for the replay's first frame and for a key's effect.
const SCREEN: Duration = Duration::from_secs(30);

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("ms")
}

/// A child that names itself `name` (comm), holds `mib` MiB touched and
/// `fds` extra descriptors, says ready, and exits when its stdin closes
/// (or after 5 minutes).
struct Child {
    name: String,
    proc: Reaped,
    stdin: Option<ChildStdin>,
    _cg: CgroupV1,
}

impl Child {
    fn start(name: &str, mib: usize, fds: usize) -> Option<Child> {
        let cg = CgroupV1::new("memory", "replay", &[])?;
        let script = format!(
            "import os, signal, sys\n\
             signal.alarm(300)\n\
             open('/proc/self/comm', 'w').write('{name}')\n\
             buf = bytearray({mib} * 1024 * 1024)\n\
             for i in range(0, len(buf), 4096): buf[i] = 1\n\
             held = [os.open('/dev/null', os.O_RDONLY) for _ in range({fds})]\n\
             print('ready', flush=True)\n\
             sys.stdin.read()\n"
        );
        let (proc, stdin, _out) = cg.python(&script);
        Some(Child {
            name: name.to_string(),
            proc,
            stdin: Some(stdin),
            _cg: cg,
        })
    }

    fn pid(&self) -> i32 {
        self.proc.pid()
    }

    /// Close its stdin and wait for it to exit.
    fn end(&mut self) {
        drop(self.stdin.take());
        wait_exit(&mut self.proc.0, Duration::from_secs(30), &self.name);
    }
}

/// `top --replay FILE ARGS --once --json`, parsed (exit 0 asserted).
fn replay_json(file: &Path, args: &[&str]) -> serde_json::Value {
    let f = file.to_str().expect("path");
    let mut a = vec!["top", "--replay", f, "--once", "--json"];
    a.extend_from_slice(args);
    let o = proctor(&a);
    assert_eq!(o.status.code(), Some(0), "{a:?}: {}", stderr(&o));
    json(&o)
}

fn pids_of(doc: &serde_json::Value) -> BTreeSet<i64> {
    doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["pid"].as_i64().expect("pid"))
        .collect()
}

fn row(doc: &serde_json::Value, pid: i32) -> Option<&serde_json::Value> {
    doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["pid"].as_i64() == Some(i64::from(pid)))
}

/// The recorder running: `proctor record -o FILE --interval 250ms`.
fn record(file: &Path) -> Reaped {
    Reaped::spawn(
        Command::new(bin())
            .args(["record", "-o"])
            .arg(file)
            .args(["--interval", "250ms"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
}

/// What the file says of scan `at_ms`: (pid, rss_kb, threads, fds, comm)
/// of every process alive there, from the `process_samples` view (a
/// process is alive at a scan from its first to its last sighting).
fn recorded_at(file: &Path, at_ms: i64) -> Vec<(i64, i64, i64, Option<i64>, String)> {
    let c = rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the history");
    let scan: i64 = c
        .query_row("SELECT id FROM scans WHERE t_ms = ?1", [at_ms], |r| {
            r.get(0)
        })
        .expect("the shown scan");
    let mut st = c
        .prepare(
            "SELECT ps.pid, ps.rss_kb, ps.threads, ps.fds, ps.comm FROM process_samples AS ps \
             JOIN processes AS p ON p.pid = ps.pid AND p.start_ticks = ps.start_ticks \
             WHERE ps.scan = (SELECT max(scan) FROM process_samples AS q \
                              WHERE q.pid = ps.pid AND q.start_ticks = ps.start_ticks AND q.scan <= ?1) \
             AND p.first_scan <= ?1 AND (p.exited = 0 OR p.last_scan >= ?1)",
        )
        .expect("query");
    let rows = st
        .query_map([scan], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("rows");
    rows.collect::<Result<Vec<_>, _>>().expect("read rows")
}

/// A recording of two children from the start (`big`, `small`), a third
/// (`late`) started mid-recording, and `small` ended before it stops.
struct Recording {
    _dir: TempDir,
    file: PathBuf,
    big: Child,
    small: Child,
    late: Child,
    /// A time when big and small were recorded and late not yet started.
    before_late_ms: i64,
    /// A time when all three were recorded alive.
    all_three_ms: i64,
}

/// Wait until the recording's last scan satisfies `ok`.
fn wait_recorded(file: &Path, what: &str, ok: impl Fn(&serde_json::Value) -> bool) {
    wait_until(what, RECORD, || {
        let f = file.to_str().expect("path");
        let o = proctor(&["top", "--replay", f, "--at", "0s", "--once", "--json"]);
        o.status.code() == Some(0) && ok(&json(&o))
    });
}

fn make_recording(tag: &str) -> Option<Recording> {
    let dir = TempDir::new(tag);
    let file = dir.path().join("history.db");
    let id = std::process::id() % 100_000;
    let big = Child::start(&format!("rpbig{id}"), 48, 9)?;
    let small = Child::start(&format!("rpsmall{id}"), 12, 3)?;
    let mut rec = record(&file);
    let (b, s) = (big.pid(), small.pid());
    wait_recorded(&file, "big and small recorded", |d| {
        let p = pids_of(d);
        p.contains(&i64::from(b)) && p.contains(&i64::from(s)) && d["scan"].as_i64() >= Some(3)
    });
    let before_late_ms = now_ms();
    let late = Child::start(&format!("rplate{id}"), 24, 5)?;
    let l = late.pid();
    // Recorded once ready (its first scans may show it starting, before
    // it touched its memory; the store keeps the name of the first
    // sighting: the shell's, or python3's).
    wait_recorded(&file, "late recorded ready", |d| {
        row(d, l).is_some_and(|r| r["rss_bytes"].as_i64() > Some(24 * 1024 * 1024))
    });
    let all_three_ms = now_ms();
    // The three are alive now (checked in /proc, not only in the file).
    for p in [b, s, l] {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|x| x.split_whitespace().next());
        assert!(
            matches!(state, Some("S" | "R")),
            "{p} alive in /proc at {all_three_ms}: {stat}"
        );
    }
    let mut rec_small = small;
    rec_small.end();
    wait_recorded(&file, "small recorded gone", |d| {
        !pids_of(d).contains(&i64::from(s)) && pids_of(d).contains(&i64::from(l))
    });
    // SIGTERM: the recorder finishes the file and exits 0.
    if let Some(pid) = rustix::process::Pid::from_raw(rec.pid()) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    let st = wait_exit(&mut rec.0, Duration::from_secs(30), "proctor record");
    assert!(st.success(), "proctor record after SIGTERM: {st:?}");
    Some(Recording {
        _dir: dir,
        file,
        big,
        small: rec_small,
        late,
        before_late_ms,
        all_three_ms,
    })
}

/// (a) and the errors on one recording; (b) on the same recording in tmux.
#[test]
fn replay_shows_what_was_recorded() {
    let _timing = crate::common::heavy();
    let Some(r) = make_recording("replay") else {
        return;
    };
    json_at_a_time(&r);
    errors(&r);
    tui_steps(&r);
    drop(r);
}

fn json_at_a_time(r: &Recording) {
    let at = format!("@{:.3}", r.all_three_ms as f64 / 1000.0);
    let doc = replay_json(&r.file, &["--at", &at]);
    let at_ms = doc["at_ms"].as_i64().expect("at_ms");
    assert!(at_ms <= r.all_three_ms, "the last scan at or before --at");
    assert!(doc["scan"].as_i64() >= Some(2), "{doc}");
    assert!(
        doc["rates_over_seconds"]
            .as_f64()
            .is_some_and(|s| (0.1..5.0).contains(&s))
    );
    let recorded = recorded_at(&r.file, at_ms);
    // Exactly the processes recorded alive at that scan.
    let want: BTreeSet<i64> = recorded.iter().map(|p| p.0).collect();
    assert_eq!(pids_of(&doc), want, "rows at {at_ms}");
    for c in [&r.big, &r.small, &r.late] {
        if !want.contains(&i64::from(c.pid())) {
            let out = Command::new("sqlite3")
                .arg(&r.file)
                .arg(format!(
                    "select p.id, p.first_scan, p.last_scan, p.exited, (select t_ms from scans where id = p.last_scan) from processes p where pid = {}; select ps.scan, ps.t_ms, ps.state, ps.rss_kb from process_samples ps where pid = {};",
                    c.pid(), c.pid()
                ))
                .output()
                .map(|o| o.stdout)
                .unwrap_or_default();
            // Each child was checked alive in /proc at this time: a child
            // missing here is one the recorder lost (processes rows: id,
            // first and last scan, exited, last seen; then its samples).
            panic!(
                "{} ({}) was alive at {at} ({at_ms}) but the recording has it exited: {}",
                c.name,
                c.pid(),
                String::from_utf8_lossy(&out)
            );
        }
    }
    // With their recorded values.
    for (pid, rss_kb, threads, fds, comm) in &recorded {
        let pid = i32::try_from(*pid).expect("pid");
        let row = row(&doc, pid).expect("row");
        assert_eq!(row["rss_bytes"].as_i64(), Some(rss_kb * 1024), "{pid} rss");
        assert_eq!(row["threads"].as_i64(), Some(*threads), "{pid} threads");
        if let Some(n) = fds.filter(|&n| n > 0) {
            assert_eq!(row["fds"].as_i64(), Some(n), "{pid} fds");
        }
        assert_eq!(row["name"].as_str(), Some(comm.as_str()), "{pid} name");
    }
    // And the sizes the children hold: big > late > small, each above
    // what it touched.
    let rss = |c: &Child| {
        row(&doc, c.pid()).expect("child")["rss_bytes"]
            .as_i64()
            .expect("rss")
    };
    let mib = 1024 * 1024;
    let sizes = (rss(&r.big), rss(&r.late), rss(&r.small));
    assert!(
        sizes.0 > 48 * mib && sizes.1 > 24 * mib && sizes.2 > 12 * mib,
        "{sizes:?}: {}",
        row(&doc, r.small.pid()).expect("small")
    );
    assert!(
        sizes.0 > sizes.1 && sizes.1 > sizes.2,
        "big > late > small: {sizes:?}"
    );
    let fds = |c: &Child| {
        row(&doc, c.pid()).expect("child")["fds"]
            .as_i64()
            .expect("fds")
    };
    assert_eq!(fds(&r.big) - fds(&r.small), 6, "9 and 3 extra descriptors");
    // Before `late` started: not there; at the end: `small` gone.
    let before = format!("@{:.3}", r.before_late_ms as f64 / 1000.0);
    let doc = replay_json(&r.file, &["--at", &before]);
    assert!(!pids_of(&doc).contains(&i64::from(r.late.pid())));
    assert!(pids_of(&doc).contains(&i64::from(r.small.pid())));
    let end = replay_json(&r.file, &["--at", "0s"]);
    assert_eq!(
        end["scan"], end["scans"],
        "0s before the end: the last scan"
    );
    assert!(!pids_of(&end).contains(&i64::from(r.small.pid())));
    assert!(pids_of(&end).contains(&i64::from(r.big.pid())));
    // The scan `late` was first recorded at lists it as started, and
    // the scan before does not show it.
    let c =
        rusqlite::Connection::open_with_flags(&r.file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the history");
    let (first_ms, before_ms): (i64, i64) = c
        .query_row(
            "SELECT s.t_ms, (SELECT max(t_ms) FROM scans WHERE id < s.id) FROM processes AS p \
             JOIN scans AS s ON s.id = p.first_scan WHERE p.pid = ?1",
            [r.late.pid()],
            |x| Ok((x.get(0)?, x.get(1)?)),
        )
        .expect("late's first scan");
    let at_first = replay_json(
        &r.file,
        &["--at", &format!("@{:.3}", first_ms as f64 / 1000.0)],
    );
    assert_eq!(at_first["at_ms"].as_i64(), Some(first_ms));
    let started: Vec<i64> = at_first["started"]
        .as_array()
        .expect("started")
        .iter()
        .filter_map(serde_json::Value::as_i64)
        .collect();
    assert!(started.contains(&i64::from(r.late.pid())), "{at_first}");
    let at_before = replay_json(
        &r.file,
        &["--at", &format!("@{:.3}", before_ms as f64 / 1000.0)],
    );
    assert!(!pids_of(&at_before).contains(&i64::from(r.late.pid())));
    // The human table at the same time names the file, time and position.
    let f = r.file.to_str().expect("path");
    let o = proctor(&["top", "--replay", f, "--at", &at, "--once"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("REPLAY "), "{out}");
    assert!(out.contains(&r.big.name), "{out}");
}

fn errors(r: &Recording) {
    let f = r.file.to_str().expect("path");
    // --at outside the recording: one line with its span, and a hint.
    let o = proctor(&["top", "--replay", f, "--at", "@1000", "--once"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("is not in") && e.contains("it holds scans from"),
        "{e}"
    );
    assert!(
        e.lines().nth(1).is_some_and(|l| l.starts_with("hint: ")),
        "{e}"
    );
    let o = proctor(&["top", "--replay", f, "--at", "1000d", "--once"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A missing file, and one that is not a history: the store's errors.
    let dir = TempDir::new("replay-bad");
    let missing = dir.path().join("none.db");
    let o = proctor(&["top", "--replay", missing.to_str().expect("p"), "--once"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("hint: "), "{}", stderr(&o));
    let junk = dir.path().join("junk.db");
    std::fs::File::create(&junk)
        .and_then(|mut f| f.write_all(&[b'x'; 8192]))
        .expect("junk");
    let o = proctor(&["top", "--replay", junk.to_str().expect("p"), "--once"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("hint: "), "{}", stderr(&o));
    // --at without --replay is a usage error.
    let o = proctor(&["top", "--at", "5m", "--once"]);
    assert_eq!(o.status.code(), Some(2));
}

/// The header's shown time and scan number (`scan N of M`).
fn position(screen: &str) -> Option<(String, usize)> {
    let l = screen.lines().find(|l| l.starts_with("REPLAY "))?;
    let time = l.split(" · ").nth(1)?.to_string();
    let n = l
        .split(" · scan ")
        .nth(1)?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    Some((time, n))
}

/// The PIDs in the table (rows below the header line).
fn table_pids(screen: &str) -> BTreeSet<i64> {
    screen
        .lines()
        .skip_while(|l| !l.contains("COMMAND") || l.starts_with("sort "))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

/// The screen once `ok` holds and two captures in a row agree (a capture
/// can fall in the middle of a redraw).
fn settled(t: &Tmux, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    let mut screen = String::new();
    wait_until(what, SCREEN, || {
        screen = t.screen();
        let stable = screen == last && ok(&screen);
        last.clone_from(&screen);
        stable
    });
    screen
}

fn tui_steps(r: &Recording) {
    let f = r.file.to_str().expect("path");
    let before = format!("@{:.3}", r.before_late_ms as f64 / 1000.0);
    // Sorted by PID, filtered to the three children: every row fits.
    let id = std::process::id() % 100_000;
    let cmd = format!(
        "'{}' top --replay '{f}' --at '{before}' --sort pid --filter {id}; echo EXIT=$?; sleep 60",
        bin()
    );
    let Some(t) = Tmux::start("replay", 200, 40, &cmd) else {
        return;
    };
    let (late, small) = (i64::from(r.late.pid()), i64::from(r.small.pid()));
    let big = i64::from(r.big.pid());
    let mut screen = settled(&t, "the replay's first frame", |s| {
        position(s).is_some() && table_pids(s).contains(&big)
    });
    let (t0, n0) = position(&screen).expect("position");
    assert!(screen.contains("REPLAY "), "{screen}");
    assert!(
        !table_pids(&screen).contains(&late),
        "late not yet:\n{screen}"
    );
    assert!(table_pids(&screen).contains(&small), "{screen}");
    // Step forward until `late` appears: every step moves one scan on
    // and changes the shown time.
    let (mut time, mut n) = (t0, n0);
    let mut marked = false;
    for _ in 0..400 {
        t.keys(&["t"]);
        screen = settled(&t, "one scan on", |s| {
            position(s).is_some_and(|p| p.1 == n + 1)
        });
        let (t1, n1) = position(&screen).expect("position");
        assert_ne!(t1, time, "the time changes with the scan");
        (time, n) = (t1, n1);
        if table_pids(&screen).contains(&late) {
            // The step it started at says so.
            // (Named, unless more than four processes of the host started
            // at the same scan.)
            marked = screen.lines().any(|l| {
                l.starts_with("this scan: ")
                    && l.contains(" started: ")
                    && (l.contains(&format!("({late})")) || l.contains(" more"))
            });
            break;
        }
    }
    assert!(
        table_pids(&screen).contains(&late),
        "late appears:\n{screen}"
    );
    assert!(marked, "its start is marked in the header:\n{screen}");
    // One step back: it is gone again, at the scan before.
    t.keys(&["T"]);
    screen = settled(&t, "one scan back", |s| {
        position(s).is_some_and(|p| p.1 == n - 1)
    });
    assert!(!table_pids(&screen).contains(&late), "{screen}");
    // End: the last scan; `small` had exited.
    t.keys(&["End"]);
    let last = replay_json(&r.file, &["--at", "0s"])["scans"]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .expect("scans");
    screen = settled(&t, "the last scan", |s| {
        position(s).is_some_and(|p| p.1 == last)
    });
    assert!(screen.contains(&format!(" of {last} ")), "{screen}");
    assert!(!table_pids(&screen).contains(&small), "{screen}");
    assert!(table_pids(&screen).contains(&late), "{screen}");
    // b: a time typed (here @UNIX: the one the view opened at).
    t.keys(&["b"]);
    t.wait_for("go to (UTC", SCREEN);
    t.type_text(&before);
    t.keys(&["Enter"]);
    screen = settled(&t, "back at the typed time", |s| {
        position(s).is_some_and(|p| p.1 == n0)
    });
    assert!(!table_pids(&screen).contains(&late), "{screen}");
    t.keys(&["b"]);
    t.wait_for("go to (UTC", SCREEN);
    t.type_text("noon");
    t.keys(&["Enter"]);
    t.wait_for("'noon' is not a time", SCREEN);
    // q: exit 0, terminal restored.
    t.keys(&["q"]);
    t.wait_for("EXIT=0", SCREEN);
    assert_eq!(t.format("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor shown");
}

/// A history written by the library's recorder with hostile names,
/// command lines and a workload name (escape sequences, invalid UTF-8),
/// and values not recorded: the replay escapes every byte, shows `?`
/// (null) for what was not recorded, and counts a process whose RSS was
/// not recorded as unreadable rather than showing 0.
#[test]
fn hostile_recording_is_escaped_and_unknown_is_not_zero() {
    let _timing = crate::common::heavy();
    use proctor::store::write::{Limits, Recorder};
    use proctor::store::{Frame, ProcFrame, ProcValues, RunInfo, WorkloadFrame, WorkloadKey};
    let dir = TempDir::new("replay-hostile");
    let file = dir.path().join("h.db");
    let mut r = Recorder::open(&file, Limits::default()).expect("open");
    r.begin_run(&RunInfo {
        interval_ms: 1000,
        clock_ticks: 100,
        ..RunInfo::default()
    })
    .expect("run");
    let evil = b"\x1b]0;owned\x07\x1b[2J\xff\xfe".to_vec();
    let values = ProcValues {
        state: Some(b'S'),
        rss_kb: Some(100),
        fds: None,
        threads: Some(1),
        cpu_ticks: Some(5),
        switches: None,
        read_bytes: None,
        write_bytes: None,
        fd_limit: None,
    };
    for s in 0..3i64 {
        let mut no_rss = values;
        no_rss.rss_kb = None;
        r.record(&Frame {
            t_ms: 1_796_439_600_000 + s * 1000,
            processes: vec![
                ProcFrame {
                    pid: 4242,
                    start_ticks: 1,
                    ppid: 1,
                    uid: None,
                    comm: evil.clone(),
                    cmdline: [evil.as_slice(), b"\0--x\0"].concat(),
                    workload: Some(0),
                    values,
                    ..ProcFrame::default()
                },
                ProcFrame {
                    pid: 4343,
                    start_ticks: 2,
                    ppid: 1,
                    comm: b"norss".to_vec(),
                    values: no_rss,
                    ..ProcFrame::default()
                },
            ],
            workloads: vec![WorkloadFrame {
                key: WorkloadKey {
                    name: String::from_utf8_lossy(&evil).into_owned(),
                    kind: "name".into(),
                    ..WorkloadKey::default()
                },
                values: None,
            }],
            ..Frame::default()
        })
        .expect("record");
    }
    r.finish().expect("finish");
    drop(r);
    let f = file.to_str().expect("path");
    let o = proctor(&["top", "--replay", f, "--once"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        !o.stdout.contains(&0x1b) && !o.stdout.contains(&0x07),
        "{out}"
    );
    assert!(out.contains("4242"), "{out}");
    assert!(
        !out.contains("4343"),
        "no RSS recorded: not a row of 0 bytes\n{out}"
    );
    assert!(out.contains("1 unreadable"), "{out}");
    let doc = replay_json(&file, &[]);
    let text = doc.to_string();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    let r4242 = row(&doc, 4242).expect("row");
    assert_eq!(r4242["rss_bytes"].as_i64(), Some(100 * 1024));
    assert!(r4242["fds"].is_null() && r4242["uid"].is_null(), "{r4242}");
    assert!(r4242["switches_per_second"].is_null(), "{r4242}");
    assert!(row(&doc, 4343).is_none());
}

/// The post-mortem: a child grows in a memory cgroup of its own until the
/// OOM killer ends it, while the recorder runs; `top --replay FILE`
/// without `--at` opens at the last scan before that kill, with the
/// victim in the table at its last recorded size, and says why it opened
/// there.
#[test]
fn replay_opens_before_the_last_oom_kill() {
    let _timing = crate::common::heavy();
    use crate::common::{MemCgroupV1, require};
    if !require(
        "a readable /dev/kmsg",
        std::fs::File::open("/dev/kmsg").is_ok(),
    ) {
        return;
    }
    let Some(cg) = MemCgroupV1::new("replayoom", 48 << 20) else {
        return;
    };
    let dir = TempDir::new("replay-oom");
    let file = dir.path().join("h.db");
    let mut rec = record(&file);
    wait_recorded(&file, "the first scans", |d| d["scan"].as_i64() >= Some(2));
    // 1 MiB every 20 ms until killed (bounded: it gives up at 4 GiB).
    let mut victim = Reaped::spawn(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && exec python3 -c \"$1\""])
            .arg(cg.procs())
            .arg(
                "import time\na = []\nfor _ in range(4096):\n    \
                 a.append(bytearray(1 << 20))\n    time.sleep(0.02)\n",
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let pid = victim.pid();
    let spawned_ms = now_ms();
    let status = wait_exit(&mut victim.0, Duration::from_secs(60), "the OOM victim");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "killed by the OOM killer");
    let f = file.to_str().expect("path").to_string();
    let mut doc = serde_json::Value::Null;
    // The recorder reads the kill from the kernel log at its next scans
    // (another test's kill, later, may be the last one instead).
    wait_until("the kill recorded", RECORD, || {
        let o = proctor(&["top", "--replay", &f, "--once", "--json"]);
        doc = json(&o);
        doc["before_oom_kill"]["pid"].as_i64() == Some(i64::from(pid))
            || doc["before_oom_kill"]["at_ms"].as_i64() > Some(spawned_ms + 1000)
    });
    if let Some(p) = rustix::process::Pid::from_raw(rec.pid()) {
        let _ = rustix::process::kill_process(p, rustix::process::Signal::TERM);
    }
    wait_exit(&mut rec.0, Duration::from_secs(30), "proctor record");
    // The victim's last scan: the kill's logged time is a second off the
    // scans' at worst (boot time in whole seconds).
    let kill_ms = doc["before_oom_kill"]["at_ms"].as_i64().expect("at_ms");
    assert!(
        doc["at_ms"].as_i64().expect("at") <= kill_ms + 2000,
        "{doc}"
    );
    let victim = doc["before_oom_kill"]["pid"].as_i64().expect("victim pid");
    if victim == i64::from(pid) {
        let v = row(&doc, pid).unwrap_or_else(|| panic!("the victim in the table: {doc}"));
        assert!(
            v["rss_bytes"].as_i64().expect("rss") > 8 << 20,
            "its last recorded size: {v}"
        );
    } else {
        eprintln!(
            "another test's OOM kill came later (PID {victim}): the victim's row not checked"
        );
    }
    let o = proctor(&["top", "--replay", &f, "--once"]);
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out.lines().nth(1).expect("second line");
    assert!(
        line.starts_with("at the last scan before the last OOM kill recorded: ")
            || line.contains("OOM kill"),
        "{out}"
    );
}
