//! `proctor record` with the real binary, against what goes wrong on a
//! node: `kill -9` at random moments (every scan a concurrent reader saw
//! committed is still there, the file whole), a full disk (one line and
//! a hint, exit 2, the scans before kept), read-only and locked files,
//! files of a newer schema, not SQLite, SQLite but not ours, truncated or
//! with overwritten pages (each refused in one line with a hint, exit 2,
//! the file left byte for byte as it was), retention and the size cap
//! enforced while recording, and the recorder's memory flat over 400 scans.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags};

use proctor::store::write::{Limits, Recorder};
use proctor::store::{Frame, ProcFrame, ProcValues, RunInfo};

use crate::common::{self, Reaped, TempDir};

fn record_cmd(db: &Path, args: &[&str]) -> Command {
    let mut c = common::proctor_cmd(["record", "-o"]);
    c.arg(db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    c
}

/// Run `proctor record -o DB ARGS` to its end (bounded).
fn record(db: &Path, args: &[&str]) -> Output {
    common::run_bounded(&mut record_cmd(db, args))
}

/// Exit 0 (record writes its start line and summary to stderr).
fn ran_ok(o: &Output, what: &str) {
    assert_eq!(o.status.code(), Some(0), "{what}: {}", common::stderr(o));
    assert!(
        common::stderr(o).contains("\nrecorded "),
        "{what}: {}",
        common::stderr(o)
    );
}

/// A read-only connection, as a reader beside the recorder (WAL).
fn ro(db: &Path) -> Option<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let c = Connection::open_with_flags(db, flags).ok()?;
    c.busy_timeout(Duration::from_secs(5)).ok()?;
    Some(c)
}

fn int(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or(0)
}

/// The newest scan committed, as a reader sees it now (None: no file or
/// no schema yet).
fn committed(db: &Path) -> Option<i64> {
    let c = ro(db)?;
    c.query_row("SELECT max(id) FROM scans", [], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .ok()
    .flatten()
}

fn try_integrity(c: &Connection) -> rusqlite::Result<String> {
    let mut st = c.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(rows.join("\n"))
}

fn integrity(c: &Connection) -> String {
    try_integrity(c).expect("integrity_check")
}

/// The file is whole and holds every scan up to `seen` (a reader saw it
/// committed): `integrity_check` ok, scan ids 1..=max without a hole,
/// every key scan with a full row per process it counted, no row of a
/// scan that is not there.
fn check_whole(db: &Path, seen: i64, what: &str) -> i64 {
    // Killed while creating the file (no scan yet): it may not exist, or
    // hold the rollback journal of the switch to WAL, which only a writer
    // (the next recorder) rolls back.
    let c = match ro(db).map(|c| (try_integrity(&c), c)) {
        Some((Ok(ok), c)) => {
            assert_eq!(ok, "ok", "{what}");
            c
        }
        _ if seen == 0 => return 0,
        None => panic!("{what}: the file does not open"),
        Some((Err(e), _)) => panic!("{what}: {e}"),
    };
    let has_scans = int(
        &c,
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'scans'",
    ) == 1;
    if !has_scans {
        assert_eq!(seen, 0, "{what}: no schema, yet scans were seen");
        return 0;
    }
    let (n, max) = (
        int(&c, "SELECT count(*) FROM scans"),
        int(&c, "SELECT max(id) FROM scans"),
    );
    assert!(
        max >= seen,
        "{what}: scan {seen} was committed, {max} is the last"
    );
    // Ids are consecutive (retention drops only the oldest).
    let min = int(&c, "SELECT min(id) FROM scans");
    if n > 0 {
        assert_eq!(n, max - min + 1, "{what}: scans missing in {min}..={max}");
    }
    let torn = int(
        &c,
        "SELECT count(*) FROM scans s WHERE key = 1 AND processes != \
         (SELECT count(*) FROM samples WHERE scan = s.id)",
    );
    assert_eq!(torn, 0, "{what}: a key scan without a row per process");
    let orphans = int(
        &c,
        "SELECT count(*) FROM samples WHERE scan NOT IN (SELECT id FROM scans)",
    );
    assert_eq!(orphans, 0, "{what}: rows of a scan that is not there");
    max
}

/// A tiny xorshift: random kill moments, the seed printed to replay.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("PROCTOR_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
                    | 1
            });
        eprintln!("kill moments: PROCTOR_KILL_SEED={seed}");
        Rng(seed)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// 25 recorders on one file, each killed with SIGKILL at a random moment
/// (the first ones within the file's creation): after each, the file
/// opens, `integrity_check` is ok and every scan a concurrent reader saw
/// committed is there; the next recorder carries on from it, and `load`
/// reads it all without damage.
#[test]
fn kill_9_at_random_moments_loses_no_committed_scan() {
    let _timing = crate::common::heavy();
    let t = TempDir::new("record-kill");
    let db = t.path().join("h.db");
    let mut rng = Rng::new();
    let mut seen = 0i64;
    for round in 0..25u64 {
        let mut child =
            Reaped::spawn(record_cmd(&db, &["--interval", "100ms"]).stderr(Stdio::null()));
        // The first rounds die within a few ms (creating the file, the
        // first scan), the others up to 1.5 s in.
        let max_ms = if round < 4 { 40 } else { 1500 };
        let kill_at = Instant::now() + Duration::from_millis(rng.below(max_ms));
        while Instant::now() < kill_at {
            if let Some(m) = committed(&db) {
                seen = seen.max(m);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.0.kill().expect("SIGKILL the recorder");
        let st = child.0.wait().expect("reap the recorder");
        assert!(!st.success(), "round {round}: it ran to its end: {st:?}");
        seen = seen.max(check_whole(&db, seen, &format!("round {round}")));
    }
    assert!(seen > 25, "few scans were ever committed ({seen})");
    // The file is still a history a recorder carries on and a reader loads.
    let o = record(&db, &["--interval", "100ms", "--duration", "500ms"]);
    ran_ok(&o, "record after 25 kills");
    let last = check_whole(&db, seen, "after the kills");
    assert!(last > seen);
    let h = proctor::store::read::Reader::open(&db)
        .expect("open")
        .load(&proctor::store::read::Window::default());
    assert!(h.damage.is_empty(), "{:?}", h.damage);
    assert_eq!(h.scans.len() as i64, last);
}

/// A file system mounted for the test, unmounted (lazily if busy) on drop.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).expect("mount point");
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        common::require("mounting a tmpfs (root with CAP_SYS_ADMIN)", ok).then(|| Mount(at.into()))
    }

    fn remount_ro(&self) {
        let st = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .expect("mount");
        assert!(st.success(), "remount read-only");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// stderr's lines after the start line ("recording ... Ctrl-C stops").
fn error_lines(o: &Output) -> Vec<String> {
    common::stderr(o)
        .lines()
        .filter(|l| !l.starts_with("recording "))
        .map(str::to_string)
        .collect()
}

/// Exit 2, one `error:` line containing `needle`, one `hint:` line.
fn assert_one_line_error(o: &Output, needle: &str, what: &str) {
    let lines = error_lines(o);
    assert_eq!(o.status.code(), Some(2), "{what}: {lines:?}");
    assert_eq!(lines.len(), 2, "{what}: {lines:?}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(needle),
        "{what}: {lines:?}"
    );
    assert!(lines[1].starts_with("hint: "), "{what}: {lines:?}");
}

/// A tmpfs of 1 MiB fills while recording: the recorder stops with one
/// line and a hint, exit 2; the file is whole and holds every scan seen
/// committed before.
#[test]
fn a_full_disk_stops_recording_in_one_line_and_keeps_the_scans() {
    let _timing = crate::common::heavy();
    let t = TempDir::new("record-full");
    let Some(m) = Mount::tmpfs(&t.path().join("mnt"), "1m") else {
        return;
    };
    let db = m.0.join("h.db");
    let mut child = Reaped::spawn(record_cmd(&db, &["--interval", "100ms"]).stderr(Stdio::piped()));
    let mut seen = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.0.try_wait().expect("try_wait").is_none() {
        assert!(Instant::now() < deadline, "the tmpfs never filled");
        if let Some(s) = committed(&db) {
            seen = seen.max(s);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let o = common::output_within(&mut child.0, Duration::from_secs(5), "record");
    assert_one_line_error(&o, "no space left to write", "disk full");
    assert!(
        error_lines(&o)[0].contains("the scans written before are kept, whole"),
        "{o:?}"
    );
    assert!(seen > 2, "few scans before the disk filled: {seen}");
    check_whole(&db, seen, "after the disk filled");
    let h = proctor::store::read::Reader::open(&db)
        .expect("open")
        .load(&proctor::store::read::Window::default());
    assert!(h.damage.is_empty(), "{:?}", h.damage);
}

/// A short recording made for a test to refuse later.
fn a_history(db: &Path) {
    let o = record(db, &["--interval", "100ms", "--duration", "500ms"]);
    ran_ok(&o, "record a history");
    assert!(!wal(db).exists(), "the WAL is checkpointed at the end");
}

fn wal(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// `record` on `db` is refused with `needle` (exit 2, one line, a hint),
/// and the file is byte for byte as before, with no WAL left holding
/// anything.
fn refused_untouched(db: &Path, needle: &str, what: &str) {
    let before = std::fs::read(db).ok();
    let o = record(db, &["--interval", "100ms", "--duration", "500ms"]);
    assert_one_line_error(&o, needle, what);
    assert_eq!(std::fs::read(db).ok(), before, "{what}: the file changed");
    let wal_len = std::fs::metadata(wal(db)).map_or(0, |m| m.len());
    assert_eq!(wal_len, 0, "{what}: a WAL was written");
}

/// A history on a tmpfs remounted read-only; an immutable file
/// (`chattr +i`); a file in a directory `nobody` cannot write: refused,
/// untouched (and no new file made on the read-only mount).
#[test]
fn read_only_files_and_directories_are_refused_and_left_as_they_were() {
    let _timing = crate::common::heavy();
    let t = TempDir::new("record-ro");
    if let Some(m) = Mount::tmpfs(&t.path().join("mnt"), "4m") {
        let db = m.0.join("h.db");
        a_history(&db);
        m.remount_ro();
        refused_untouched(&db, "is read-only", "read-only mount");
        let new = m.0.join("new.db");
        let o = record(&new, &["--interval", "100ms", "--duration", "500ms"]);
        assert_one_line_error(&o, "is read-only", "new file on a read-only mount");
        assert!(!new.exists());
    }
    let db = t.path().join("immutable.db");
    a_history(&db);
    let immutable = Command::new("chattr")
        .arg("+i")
        .arg(&db)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if common::require("chattr +i on the temp directory's file system", immutable) {
        refused_untouched(&db, "is read-only", "immutable file");
        let st = Command::new("chattr").arg("-i").arg(&db).status();
        assert!(st.is_ok_and(|s| s.success()), "chattr -i");
    }
    // nobody owns the file, not its directory: SQLite cannot make its WAL.
    let Some(nobody) = common::Nobody::new() else {
        return;
    };
    let dir = t.path().join("rodir");
    std::fs::create_dir(&dir).expect("mkdir");
    let db = dir.join("h.db");
    a_history(&db);
    let chown = |p: &Path| {
        let st = Command::new("chown").arg("nobody").arg(p).status();
        assert!(st.is_ok_and(|s| s.success()), "chown nobody");
    };
    chown(&db);
    let before = std::fs::read(&db).expect("read");
    let path = db.to_str().expect("utf-8 path");
    let o = nobody.run(&[
        "record",
        "-o",
        path,
        "--interval",
        "100ms",
        "--duration",
        "500ms",
    ]);
    assert_one_line_error(&o, "is read-only", "directory nobody cannot write");
    assert_eq!(std::fs::read(&db).expect("read"), before);
    assert!(!wal(&db).exists());
}

/// A second recorder on a file the first one writes: refused in one line
/// (exit 2); the first carries on and ends cleanly on SIGTERM.
#[test]
fn a_file_another_recorder_writes_is_locked() {
    let _timing = crate::common::heavy();
    let t = TempDir::new("record-lock");
    let db = t.path().join("h.db");
    let mut first = Reaped::spawn(record_cmd(&db, &["--interval", "100ms"]).stderr(Stdio::piped()));
    common::wait_until(
        "the first recorder's first scan",
        Duration::from_secs(30),
        || committed(&db).is_some(),
    );
    let o = record(&db, &["--interval", "100ms", "--duration", "500ms"]);
    assert_one_line_error(&o, "is locked", "second recorder");
    assert!(error_lines(&o)[1].contains("another file"), "{o:?}");
    let before = committed(&db).expect("scans");
    common::wait_until(
        "the first recorder carries on",
        Duration::from_secs(30),
        || committed(&db).is_some_and(|n| n > before + 2),
    );
    let pid = rustix::process::Pid::from_raw(first.pid()).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
    let o = common::output_within(&mut first.0, Duration::from_secs(20), "first recorder");
    ran_ok(&o, "first recorder ended by SIGTERM");
    let c = ro(&db).expect("open");
    assert_eq!(
        int(&c, "SELECT count(*) FROM runs"),
        1,
        "the second never began a run"
    );
    check_whole(&db, before, "after the lock");
}

/// Newer schema, random bytes, another program's SQLite file, a
/// truncated history and one with overwritten pages: each refused in one
/// line with a hint (exit 2), the file untouched.
#[test]
fn files_that_are_not_a_usable_history_are_refused_untouched() {
    let _timing = crate::common::heavy();
    let t = TempDir::new("record-bad");
    let history = t.path().join("history.db");
    a_history(&history);
    let good = std::fs::read(&history).expect("read");
    assert!(good.len() >= 8 * 4096, "{} bytes", good.len());

    let newer = t.path().join("newer.db");
    std::fs::write(&newer, &good).expect("write");
    Connection::open(&newer)
        .and_then(|c| c.pragma_update(None, "user_version", 99))
        .expect("set user_version");
    refused_untouched(&newer, "has history schema 99", "newer schema");

    let random = t.path().join("random.db");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let bytes: Vec<u8> = (0..100_000).map(|_| rng.below(256) as u8).collect();
    std::fs::write(&random, bytes).expect("write");
    refused_untouched(&random, "is not a proctor history file", "random bytes");

    let foreign = t.path().join("foreign.db");
    Connection::open(&foreign)
        .and_then(|c| c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);"))
        .expect("foreign database");
    refused_untouched(
        &foreign,
        "is not a proctor history file",
        "another SQLite file",
    );

    let truncated = t.path().join("truncated.db");
    std::fs::write(&truncated, &good[..good.len() / 2]).expect("write");
    refused_untouched(&truncated, "is damaged", "truncated");

    // Pages 3 to 5: the first tables' roots.
    let overwritten = t.path().join("overwritten.db");
    let mut bad = good.clone();
    bad[2 * 4096..5 * 4096].fill(0x55);
    std::fs::write(&overwritten, &bad).expect("write");
    refused_untouched(&overwritten, "is damaged", "overwritten pages");
    let o = record(&overwritten, &["--duration", "1s"]);
    let line = &error_lines(&o)[0];
    assert!(!line.contains("***") && !line.contains("\\n"), "{line}");
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A history written through the store's API: `scans` scans from
/// `start_ms`, `step_ms` apart, of `procs` processes (of another boot)
/// whose RSS changes at every scan.
fn old_history(db: &Path, start_ms: i64, step_ms: i64, scans: i64, procs: i32) {
    let mut r = Recorder::open(db, Limits::default()).expect("open");
    r.begin_run(&RunInfo {
        started_ms: start_ms,
        host: "old".into(),
        boot_id: "an-old-boot".into(),
        kernel: "6.18".into(),
        version: "test".into(),
        interval_ms: step_ms as u64,
        clock_ticks: 100,
        ..RunInfo::default()
    })
    .expect("begin");
    for i in 0..scans {
        let processes = (1..=procs)
            .map(|p| ProcFrame {
                pid: 1_000_000 + p,
                start_ticks: 7,
                comm: b"old".to_vec(),
                values: ProcValues {
                    state: Some(b'S'),
                    rss_kb: Some((i * 131 + i64::from(p)) as u64),
                    fds: Some(3),
                    cpu_ticks: Some(i as u64),
                    ..ProcValues::default()
                },
                ..ProcFrame::default()
            })
            .collect();
        r.record(&Frame {
            t_ms: start_ms + i * step_ms,
            processes,
            ..Frame::default()
        })
        .expect("record");
    }
    r.finish().expect("finish");
}

/// `--retain 1m` onto a history of two hours ago: at the first scan every
/// old scan goes (its last key span too), the old run and its processes
/// with them, and the summary says how many.
#[test]
fn retention_drops_old_scans_while_recording() {
    let _timing = crate::common::heavy();
    let t = TempDir::new("record-retain");
    let db = t.path().join("h.db");
    let start = now_ms() - 3 * 3_600_000;
    // A scan every 5 minutes for an hour: key scans every 15 minutes.
    old_history(&db, start, 300_000, 13, 20);
    let c = ro(&db).expect("open");
    assert_eq!(int(&c, "SELECT count(*) FROM scans WHERE key = 1"), 5);
    drop(c);
    let began = now_ms();
    let o = record(
        &db,
        &["--retain", "1m", "--interval", "200ms", "--duration", "1s"],
    );
    ran_ok(&o, "record --retain 1m");
    assert!(
        common::stderr(&o).contains("; 13 old scans dropped"),
        "{}",
        common::stderr(&o)
    );
    let c = ro(&db).expect("open");
    assert_eq!(
        int(
            &c,
            &format!("SELECT count(*) FROM scans WHERE t_ms < {began} - 60000")
        ),
        0
    );
    assert!(int(&c, "SELECT count(*) FROM scans") >= 2);
    assert_eq!(int(&c, "SELECT count(*) FROM runs"), 1);
    assert_eq!(
        int(
            &c,
            "SELECT count(*) FROM processes WHERE boot_id = 'an-old-boot'"
        ),
        0
    );
    check_whole(&db, 0, "after retention");
}

/// `--max-size 1MiB` onto a 3 MiB history of the last minutes, with 300
/// more processes on the host: the first scan brings the file (and its
/// WAL) under 1 MiB by dropping whole old spans, and it stays there.
#[test]
fn max_size_is_held_while_recording() {
    let _timing = crate::common::heavy();
    let t = TempDir::new("record-size");
    let db = t.path().join("h.db");
    let max: u64 = 1024 * 1024;
    // 600 scans of 300 processes, a second apart, ending now.
    old_history(&db, now_ms() - 600_000, 1000, 600, 300);
    let size = |db: &Path| -> u64 {
        [db.to_path_buf(), wal(db)]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    };
    assert!(size(&db) > 3 * max, "{} bytes", size(&db));
    let sleepers: Vec<Reaped> = (0..300)
        .map(|_| {
            Reaped::spawn(
                Command::new("sleep")
                    .arg("120")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null()),
            )
        })
        .collect();
    let mut child = Reaped::spawn(
        record_cmd(
            &db,
            &[
                "--max-size",
                "1MiB",
                "--interval",
                "100ms",
                "--duration",
                "4s",
            ],
        )
        .stderr(Stdio::piped()),
    );
    // Once under the cap (the first scan's enforcement), the largest
    // size seen from outside: between a commit and its enforcement the
    // WAL may hold one scan more than the cap.
    let (mut under, mut largest) = (false, 0);
    while child.0.try_wait().expect("try_wait").is_none() {
        let now = size(&db);
        under |= now <= max;
        if under {
            largest = largest.max(now);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let o = common::output_within(&mut child.0, Duration::from_secs(5), "record");
    ran_ok(&o, "record --max-size 1MiB");
    drop(sleepers);
    assert!(size(&db) <= max, "{} bytes at the end", size(&db));
    assert!(under, "never under the cap while recording");
    assert!(largest <= max + max / 4, "{largest} bytes while recording");
    let c = ro(&db).expect("open");
    let runs = int(&c, "SELECT count(*) FROM runs");
    assert!(runs >= 1);
    let new_scans = int(
        &c,
        "SELECT count(*) FROM scans WHERE run = (SELECT max(id) FROM runs)",
    );
    assert!(new_scans >= 10, "{new_scans} scans of the new run");
    let first = int(&c, "SELECT min(id) FROM scans");
    assert_eq!(
        int(&c, &format!("SELECT key FROM scans WHERE id = {first}")),
        1
    );
    assert_eq!(integrity(&c), "ok");
}

fn rss(pid: i32) -> u64 {
    common::status_field(pid, "VmRSS").expect("VmRSS")
}

/// The recorder's resident memory after 400 scans at 100 ms is within
/// 3 MiB of what it was after 40 (SQLite's page cache is bounded at
/// 2 MB; a leak of 8 KiB a scan would fail this).
#[test]
fn the_recorders_memory_stays_flat() {
    let _timing = crate::common::heavy();
    let t = TempDir::new("record-rss");
    let db = t.path().join("h.db");
    let mut child = Reaped::spawn(record_cmd(&db, &["--interval", "100ms"]).stderr(Stdio::null()));
    let pid = child.pid();
    let at = |n: i64| {
        common::wait_until(
            &format!("{n} scans"),
            Duration::from_secs(n as u64 / 5 + 60),
            || committed(&db).is_some_and(|s| s >= n),
        );
        rss(pid)
    };
    let early = at(40);
    let late = at(400);
    let pid_t = rustix::process::Pid::from_raw(pid).expect("pid");
    rustix::process::kill_process(pid_t, rustix::process::Signal::TERM).expect("SIGTERM");
    let st = common::wait_exit(&mut child.0, Duration::from_secs(20), "recorder");
    assert!(st.success(), "{st:?}");
    assert!(
        late <= early + 3 * 1024 * 1024,
        "RSS grew from {early} bytes after 40 scans to {late} after 400"
    );
}
