//! Recording: a [`Recorder`] owns the file for writing (an flock(2) on it
//! keeps a second recorder out), writes one transaction per scan, and
//! enforces retention and the size cap after each commit.
//!
//! Durability: WAL with `synchronous=NORMAL`. A transaction whose commit
//! returned is in the WAL file, which survives `kill -9` of the recorder
//! (only a power loss may take the last ones); SQLite replays it at the
//! next open. A failed write (a full disk) rolls its transaction back:
//! the file holds every earlier scan, whole.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use rustc_hash::FxHashMap;

use super::schema::{self, KEY_EVERY_MS, KEY_EVERY_SCANS};
use super::{
    Frame, ProcMetric, ProcValues, RunInfo, StoreError, UNKNOWN, WorkloadKey, WorkloadMetric,
    WorkloadValues, metric_to_db, to_db,
};

/// Retention and size, enforced while recording.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Drop scans older than this (milliseconds).
    pub retain_ms: Option<i64>,
    /// Keep the file (database and its WAL) under this many bytes.
    pub max_bytes: Option<u64>,
}

/// What one `record` call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub scan: i64,
    pub key: bool,
    pub process_rows: usize,
    pub workload_rows: usize,
    pub new_processes: usize,
    pub exited: usize,
    pub ooms: usize,
    /// Scans dropped by retention or the size cap after this one.
    pub dropped_scans: usize,
}

/// A live process as the recorder last stored it.
#[derive(Debug, Clone)]
struct Live {
    id: i64,
    values: ProcValues,
    comm: Vec<u8>,
    /// Its next row holds every column (it was not read at a key scan).
    full_next: bool,
    /// The scan of its last row in `samples`.
    last_row: i64,
}

pub struct Recorder {
    conn: Connection,
    path: PathBuf,
    /// Held for the recorder's life: flock(LOCK_EX) on the database.
    _lock: File,
    limits: Limits,
    run: Option<i64>,
    boot_id: String,
    /// Live processes: (pid, start) -> (row id, the values as stored).
    procs: FxHashMap<(i32, u64), Live>,
    workloads: HashMap<WorkloadKey, (i64, Option<WorkloadValues>)>,
    scans_since_key: i64,
    last_key_ms: i64,
    /// The last key scan's id: a process's row is absolute when its
    /// previous row is older (see [`schema`]).
    last_key_scan: i64,
    /// Bytes of the database in use after the last key scan (see
    /// [`Recorder::span_too_big`]).
    used_at_key: u64,
    last_scan: Option<i64>,
}

fn err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::from_sqlite(path, &e)
}

fn io_err(path: &Path, e: &std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    match e.raw_os_error() {
        Some(libc_enospc) if libc_enospc == rustix::io::Errno::NOSPC.raw_os_error() => {
            StoreError::Full { path }
        }
        Some(c)
            if c == rustix::io::Errno::ROFS.raw_os_error()
                || c == rustix::io::Errno::ACCESS.raw_os_error()
                || c == rustix::io::Errno::PERM.raw_os_error() =>
        {
            StoreError::ReadOnly { path }
        }
        Some(c) if c == rustix::io::Errno::FBIG.raw_os_error() => StoreError::Full { path },
        _ => StoreError::Other {
            path,
            detail: e.to_string(),
        },
    }
}

/// Open (or create) the file and take the writer's lock.
fn lock(path: &Path) -> Result<File, StoreError> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(rustix::fs::OFlags::CLOEXEC.bits() as i32)
        .open(path)
        .map_err(|e| io_err(path, &e))?;
    let meta = f.metadata().map_err(|e| io_err(path, &e))?;
    if !meta.is_file() {
        return Err(StoreError::Other {
            path: path.to_path_buf(),
            detail: "not a regular file".into(),
        });
    }
    match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(f),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(StoreError::Locked {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(io_err(path, &e.into())),
    }
}

/// Check an opened database is ours and not newer; create the schema in
/// an empty one.
pub(crate) fn check_or_create(
    conn: &Connection,
    path: &Path,
    create: bool,
) -> Result<(), StoreError> {
    let e = err(path);
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(&e)?;
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(&e)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(&e)?;
    if tables == 0 && app == 0 {
        if !create {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
            });
        }
        conn.execute_batch("PRAGMA page_size = 4096; PRAGMA auto_vacuum = INCREMENTAL;")
            .map_err(&e)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(&e)?;
        let sql = format!(
            "BEGIN; {} PRAGMA application_id = {}; PRAGMA user_version = {}; \
             INSERT INTO meta VALUES ('created_by', 'proctor {}'); COMMIT;",
            schema::CREATE,
            schema::APPLICATION_ID,
            schema::VERSION,
            env!("CARGO_PKG_VERSION")
        );
        conn.execute_batch(&sql).map_err(&e)?;
        return Ok(());
    }
    if app != schema::APPLICATION_ID {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
        });
    }
    if version > schema::VERSION {
        return Err(StoreError::Newer {
            path: path.to_path_buf(),
            found: version,
        });
    }
    if version < 1 {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// A new history is made whole under a temporary name in the same
/// directory (schema, WAL mode, closed) and only then linked to `path`, so
/// a recorder killed while creating it leaves no half-made file there
/// (the switch to WAL mode goes through a rollback journal, which a
/// read-only reader cannot roll back). Another process that made `path`
/// meanwhile wins; its file is then opened as any existing one.
fn create_whole(path: &Path) -> Result<(), StoreError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(
        ".{}.creating-{}",
        name.unwrap_or_default(),
        std::process::id()
    ));
    let remove = |p: &Path| {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut q = p.as_os_str().to_owned();
            q.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(q));
        }
    };
    remove(&tmp);
    let made = (|| {
        let f = lock(&tmp).map_err(|e| with_path(e, path))?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&tmp, flags).map_err(err(path))?;
        check_or_create(&conn, path, true)?;
        conn.close()
            .map_err(|(_, e)| StoreError::from_sqlite(path, &e))?;
        f.sync_all().map_err(|e| io_err(path, &e))?;
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            // A file system without hard links: a rename, still only if
            // no other process made the file meanwhile (a small race).
            Err(e) if std::fs::symlink_metadata(path).is_err() => {
                std::fs::rename(&tmp, path).map_err(|_| io_err(path, &e))
            }
            Err(_) => Ok(()),
        }
    })();
    remove(&tmp);
    made
}

/// The same error about another path (the user's, not a temporary one).
fn with_path(e: StoreError, path: &Path) -> StoreError {
    let path = path.to_path_buf();
    match e {
        StoreError::Full { .. } => StoreError::Full { path },
        StoreError::ReadOnly { .. } => StoreError::ReadOnly { path },
        StoreError::Locked { .. } => StoreError::Locked { path },
        StoreError::Newer { found, .. } => StoreError::Newer { path, found },
        StoreError::Older { found, .. } => StoreError::Older { path, found },
        StoreError::Foreign { .. } => StoreError::Foreign { path },
        StoreError::Corrupt { detail, .. } => StoreError::Corrupt { path, detail },
        StoreError::Missing { .. } => StoreError::Missing { path },
        StoreError::Other { detail, .. } => StoreError::Other { path, detail },
    }
}

/// `PRAGMA quick_check`: a damaged file is never written to.
fn quick_check(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let first: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(err(path))?;
    if first == "ok" {
        Ok(())
    } else {
        // "*** in database main ***\nTree 3 page 3: ..." on one line.
        let detail = first
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("***"))
            .collect::<Vec<_>>()
            .join("; ");
        Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: if detail.is_empty() { first } else { detail },
        })
    }
}

impl Recorder {
    /// Open `path` for recording, creating it if needed.
    pub fn open(path: &Path, limits: Limits) -> Result<Recorder, StoreError> {
        if std::fs::symlink_metadata(path).is_err() {
            create_whole(path)?;
        }
        let lock = lock(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let e = err(path);
        let conn = Connection::open_with_flags(path, flags).map_err(&e)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(&e)?;
        check_or_create(&conn, path, true)?;
        // An older file's values mean something else (version 1: counters
        // absolute in every row): it is read, never added to.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(&e)?;
        if version < schema::VERSION {
            return Err(StoreError::Older {
                path: path.to_path_buf(),
                found: version,
            });
        }
        quick_check(&conn, path)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(&e)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Other {
                path: path.to_path_buf(),
                detail: format!("could not use WAL mode (journal mode {mode})"),
            });
        }
        // The WAL is truncated back to 4 MiB after each checkpoint.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 4194304; \
             PRAGMA foreign_keys = OFF;",
        )
        .map_err(&e)?;
        Ok(Recorder {
            conn,
            path: path.to_path_buf(),
            _lock: lock,
            limits,
            run: None,
            boot_id: String::new(),
            procs: FxHashMap::default(),
            workloads: HashMap::new(),
            scans_since_key: 0,
            last_key_ms: 0,
            last_key_scan: 0,
            used_at_key: 0,
            last_scan: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Start a run (a recorder's session on the file).
    pub fn begin_run(&mut self, info: &RunInfo) -> Result<i64, StoreError> {
        let e = err(&self.path);
        self.conn
            .execute(
                "INSERT INTO runs (started_ms, host, boot_id, kernel, version, interval_ms, \
                 targets, clock_ticks, boot_time_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    info.started_ms,
                    info.host,
                    info.boot_id,
                    info.kernel,
                    info.version,
                    to_db(Some(info.interval_ms)),
                    info.targets,
                    to_db(Some(info.clock_ticks)),
                    info.boot_time_s.map(|b| to_db(Some(b))),
                ],
            )
            .map_err(&e)?;
        let id = self.conn.last_insert_rowid();
        self.run = Some(id);
        self.boot_id.clone_from(&info.boot_id);
        self.procs.clear();
        self.workloads.clear();
        self.scans_since_key = 0;
        self.last_scan = None;
        Ok(id)
    }

    /// Write one scan: one transaction, rolled back whole on any error.
    pub fn record(&mut self, f: &Frame) -> Result<Written, StoreError> {
        let Some(run) = self.run else {
            return Err(StoreError::Other {
                path: self.path.clone(),
                detail: "no run begun".into(),
            });
        };
        let key = self.last_scan.is_none()
            || self.scans_since_key + 1 >= KEY_EVERY_SCANS
            || f.t_ms.saturating_sub(self.last_key_ms) >= KEY_EVERY_MS
            || self.span_too_big();
        // Work on copies: a failed transaction leaves the recorder's
        // memory as the file is.
        let mut procs = self.procs.clone();
        let mut workloads = self.workloads.clone();
        let path = self.path.clone();
        let e = err(&path);
        let tx = self.conn.transaction().map_err(&e)?;
        let mut w = Written {
            key,
            ..Written::default()
        };
        let scan = insert_scan(&tx, run, key, f).map_err(&e)?;
        w.scan = scan;
        let wl_ids = write_workloads(&tx, scan, key, f, &mut workloads, &mut w).map_err(&e)?;
        let last_key = if key { scan } else { self.last_key_scan };
        let seen = write_processes(
            &tx,
            (scan, last_key),
            key,
            f,
            &wl_ids,
            &self.boot_id,
            &mut procs,
            &mut w,
        )
        .map_err(&e)?;
        // Processes not in this scan: gone (last seen at the scan before),
        // unless the scan found them alive without reading them.
        if let Some(prev) = self.last_scan {
            let mut gone = Vec::new();
            let alive: rustc_hash::FxHashSet<(i32, u64)> = f.still_alive.iter().copied().collect();
            procs.retain(|k, live| {
                if seen.contains_key(k) {
                    return true;
                }
                if alive.contains(k) {
                    // Not in this key scan: whole at its next row.
                    live.full_next |= key;
                    return true;
                }
                gone.push(live.id);
                false
            });
            let mut st = tx
                .prepare_cached("UPDATE processes SET last_scan = ?1, exited = 1 WHERE id = ?2")
                .map_err(&e)?;
            for id in &gone {
                st.execute(params![prev, id]).map_err(&e)?;
            }
            w.exited = gone.len();
        }
        w.ooms = write_ooms(&tx, f).map_err(&e)?;
        tx.commit().map_err(&e)?;
        self.procs = procs;
        self.workloads = workloads;
        self.last_scan = Some(scan);
        if key {
            self.scans_since_key = 0;
            self.last_key_ms = f.t_ms;
            self.last_key_scan = scan;
        } else {
            self.scans_since_key += 1;
        }
        let before = self.used_bytes().unwrap_or(0);
        w.dropped_scans = self.enforce(f.t_ms)?;
        let after = self.used_bytes().unwrap_or(0);
        // The current span starts at its key scan; older spans dropped
        // since are not its growth.
        self.used_at_key = if key {
            after
        } else {
            self.used_at_key
                .saturating_sub(before.saturating_sub(after))
        };
        Ok(w)
    }

    /// End the run: every live process was seen at the last scan.
    pub fn finish(&mut self) -> Result<(), StoreError> {
        let Some(last) = self.last_scan else {
            return Ok(());
        };
        let e = err(&self.path);
        let tx = self.conn.transaction().map_err(&e)?;
        {
            let mut st = tx
                .prepare_cached("UPDATE processes SET last_scan = ?1 WHERE id = ?2")
                .map_err(&e)?;
            for live in self.procs.values() {
                st.execute(params![last, live.id]).map_err(&e)?;
            }
        }
        tx.commit().map_err(&e)?;
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(())
    }

    /// The bytes of the database in use (pages not on the free list, as
    /// this connection sees them: the WAL's included).
    fn used_bytes(&self) -> Option<u64> {
        let q = |sql: &str| -> Option<u64> {
            let v: i64 = self.conn.query_row(sql, [], |r| r.get(0)).ok()?;
            u64::try_from(v).ok()
        };
        let pages = q("PRAGMA page_count")?.saturating_sub(q("PRAGMA freelist_count")?);
        Some(pages.saturating_mul(q("PRAGMA page_size")?))
    }

    /// The size cap drops whole spans between key scans, so a span must
    /// stay well under it: once the current one has grown by a quarter of
    /// the cap, the next scan is a key scan (with a small cap and many
    /// changing processes, 15 minutes could otherwise outgrow the file's
    /// limit, which then could not be held).
    fn span_too_big(&self) -> bool {
        let Some(max) = self.limits.max_bytes else {
            return false;
        };
        self.used_bytes()
            .is_some_and(|u| u.saturating_sub(self.used_at_key) > max / 4)
    }

    /// The database and its WAL, in bytes.
    pub fn size(&self) -> u64 {
        let wal = {
            let mut p = self.path.clone().into_os_string();
            p.push("-wal");
            PathBuf::from(p)
        };
        [self.path.as_path(), wal.as_path()]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Retention by age, then the size cap: whole spans between key
    /// scans are dropped, oldest first, never the current one.
    fn enforce(&mut self, now_ms: i64) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let e = err(&path);
        let mut dropped = 0;
        if let Some(retain) = self.limits.retain_ms {
            let cutoff = now_ms.saturating_sub(retain);
            // The key scan at or before the oldest scan still wanted (the
            // first newer than the cutoff): everything before it goes, and
            // every scan kept is read whole from it on. (Not the newest key
            // scan before the cutoff: that kept a whole old span after a
            // pause in recording, however old.)
            let cut: Option<i64> = self
                .conn
                .query_row(
                    "SELECT max(id) FROM scans WHERE key = 1 AND id <= \
                     (SELECT min(id) FROM scans WHERE t_ms > ?1)",
                    [cutoff],
                    |r| r.get(0),
                )
                .map_err(&e)?;
            if let Some(cut) = cut {
                dropped += self.drop_before(cut)?;
            }
        }
        if let Some(max) = self.limits.max_bytes {
            let mut rounds = 0;
            while self.size() > max && rounds < 64 {
                rounds += 1;
                // The second key scan: the oldest span ends there.
                let cut: Option<i64> = self
                    .conn
                    .query_row(
                        "SELECT id FROM scans WHERE key = 1 ORDER BY id LIMIT 1 OFFSET 1",
                        [],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(&e)?;
                let n = match cut {
                    Some(cut) => self.drop_before(cut)?,
                    None => 0,
                };
                // Give the pages back to the file system.
                self.conn
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    .map_err(&e)?;
                self.incremental_vacuum().map_err(&e)?;
                self.conn
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    .map_err(&e)?;
                dropped += n;
                if n == 0 {
                    break;
                }
            }
        }
        Ok(dropped)
    }

    /// Give every free page back: the pragma frees one page per row it
    /// returns, so it is stepped to its end (`execute_batch` steps once:
    /// one page).
    fn incremental_vacuum(&self) -> rusqlite::Result<()> {
        let mut st = self.conn.prepare("PRAGMA incremental_vacuum")?;
        let mut rows = st.query([])?;
        while rows.next()?.is_some() {}
        Ok(())
    }

    /// Delete every scan before `cut` and what only they referred to.
    fn drop_before(&mut self, cut: i64) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let e = err(&path);
        let first: Option<i64> = self
            .conn
            .query_row("SELECT min(id) FROM scans", [], |r| r.get(0))
            .map_err(&e)?;
        if first.is_none_or(|f| f >= cut) {
            return Ok(0);
        }
        let t_cut: i64 = self
            .conn
            .query_row("SELECT t_ms FROM scans WHERE id = ?1", [cut], |r| r.get(0))
            .map_err(&e)?;
        let tx = self.conn.transaction().map_err(&e)?;
        tx.execute("DELETE FROM samples WHERE scan < ?1", [cut])
            .map_err(&e)?;
        tx.execute("DELETE FROM workload_samples WHERE scan < ?1", [cut])
            .map_err(&e)?;
        let n = tx
            .execute("DELETE FROM scans WHERE id < ?1", [cut])
            .map_err(&e)?;
        tx.execute("DELETE FROM processes WHERE last_scan < ?1", [cut])
            .map_err(&e)?;
        tx.execute("DELETE FROM oom_kills WHERE t_ms < ?1", [t_cut])
            .map_err(&e)?;
        tx.execute(
            "DELETE FROM workloads WHERE id NOT IN (SELECT workload FROM processes \
             WHERE workload IS NOT NULL) AND id NOT IN (SELECT DISTINCT workload FROM \
             workload_samples)",
            [],
        )
        .map_err(&e)?;
        tx.execute(
            "DELETE FROM runs WHERE id NOT IN (SELECT DISTINCT run FROM scans) AND id != ?1",
            [self.run.unwrap_or(-1)],
        )
        .map_err(&e)?;
        tx.commit().map_err(&e)?;
        // Workloads deleted are forgotten here too (a live one always has
        // a sample at the newest key scan, which is never dropped).
        Ok(n)
    }
}

fn insert_scan(
    tx: &rusqlite::Transaction<'_>,
    run: i64,
    key: bool,
    f: &Frame,
) -> rusqlite::Result<i64> {
    let h = &f.host;
    tx.prepare_cached(
        "INSERT INTO scans (run, t_ms, key, processes, exited, unreadable, scan_us, \
         mem_total_kb, mem_available_kb, swap_total_kb, swap_free_kb, load1_centi, oom_kills) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        run,
        f.t_ms,
        i64::from(key),
        to_db(Some(f.processes.len() as u64)),
        to_db(Some(f.exited)),
        to_db(Some(f.unreadable)),
        to_db(Some(f.scan_us)),
        h.mem_total_kb.map(|v| to_db(Some(v))),
        h.mem_available_kb.map(|v| to_db(Some(v))),
        h.swap_total_kb.map(|v| to_db(Some(v))),
        h.swap_free_kb.map(|v| to_db(Some(v))),
        h.load1_centi.map(|v| to_db(Some(v))),
        h.oom_kills.map(|v| to_db(Some(v))),
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Each workload's id (found or created), its counters written when they
/// changed; the ids in the frame's order.
fn write_workloads(
    tx: &rusqlite::Transaction<'_>,
    scan: i64,
    key: bool,
    f: &Frame,
    known: &mut HashMap<WorkloadKey, (i64, Option<WorkloadValues>)>,
    w: &mut Written,
) -> rusqlite::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(f.workloads.len());
    for wf in &f.workloads {
        let (id, last) = match known.get(&wf.key) {
            Some(&(id, last)) => (id, last),
            None => {
                let k = &wf.key;
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO workloads (name, kind, namespace, pod, container, \
                     unit, cgroup) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    k.name,
                    k.kind,
                    k.namespace,
                    k.pod,
                    k.container,
                    k.unit,
                    k.cgroup
                ])?;
                let id: i64 = tx
                    .prepare_cached(
                        "SELECT id FROM workloads WHERE name = ?1 AND kind = ?2 AND cgroup = ?3",
                    )?
                    .query_row(params![k.name, k.kind, k.cgroup], |r| r.get(0))?;
                (id, None)
            }
        };
        ids.push(id);
        let Some(v) = wf.values else {
            known.insert(wf.key.clone(), (id, None));
            continue;
        };
        let cols: Vec<Option<i64>> = WorkloadMetric::ALL
            .iter()
            .map(|&m| {
                let now = v.get(m);
                let changed = key || last.is_none_or(|l| l.get(m) != now);
                changed.then(|| to_db(now))
            })
            .collect();
        if cols.iter().any(Option::is_some) {
            let mut st = tx.prepare_cached(
                "INSERT OR REPLACE INTO workload_samples (scan, workload, memory_bytes, \
                 working_set_bytes, memory_limit_bytes, oom_kills, pids, pids_max, cpu_ns, \
                 throttled_ns, tcp_established, tcp_close_wait, tcp_listen) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            let mut p: Vec<&dyn rusqlite::ToSql> = vec![&scan, &id];
            p.extend(cols.iter().map(|c| c as &dyn rusqlite::ToSql));
            st.execute(rusqlite::params_from_iter(p))?;
            w.workload_rows += 1;
        }
        known.insert(wf.key.clone(), (id, Some(v)));
    }
    // Only this scan's workloads are kept in memory (one that comes back
    // is found again by its key, with a full row): bounded on a node where
    // pods come and go all day.
    if known.len() > f.workloads.len() {
        let now: std::collections::HashSet<&WorkloadKey> =
            f.workloads.iter().map(|w| &w.key).collect();
        known.retain(|k, _| now.contains(k));
    }
    Ok(ids)
}

/// The columns of a process's row: None where unchanged (every column at
/// a key scan or when nothing was stored before); counters absolute when
/// `absolute`, else their increase since `last` (schema's rule).
fn row_columns(
    key: bool,
    absolute: bool,
    last: Option<&ProcValues>,
    v: &ProcValues,
) -> Vec<Option<i64>> {
    ProcMetric::ALL
        .iter()
        .map(|&m| {
            let now = v.get(m);
            let changed = key || last.is_none_or(|l| l.get(m) != now);
            if !changed {
                return None;
            }
            let n = metric_to_db(m, now);
            if absolute || !m.is_counter() {
                return Some(n);
            }
            let p = last.map_or(UNKNOWN, |l| metric_to_db(m, l.get(m)));
            Some(if n == UNKNOWN {
                UNKNOWN
            } else if p >= 0 && n >= p {
                n - p
            } else {
                // Known again after unknown, or went down: absolute,
                // marked by its sign (n <= COUNTER_MAX, so no overflow).
                -2 - n
            })
        })
        .collect()
}

/// Each process's row when something changed (every column at a key
/// scan); new processes get their identity row. Returns the processes
/// seen. `at` is (this scan, the key scan in effect).
#[allow(clippy::too_many_arguments)]
fn write_processes(
    tx: &rusqlite::Transaction<'_>,
    (scan, last_key): (i64, i64),
    key: bool,
    f: &Frame,
    wl_ids: &[i64],
    boot_id: &str,
    procs: &mut FxHashMap<(i32, u64), Live>,
    w: &mut Written,
) -> rusqlite::Result<FxHashMap<(i32, u64), ()>> {
    let mut seen = FxHashMap::default();
    seen.reserve(f.processes.len());
    for p in &f.processes {
        let k = (p.pid, p.start_ticks);
        if seen.insert(k, ()).is_some() {
            continue; // the same process twice in one frame: first wins
        }
        let workload = p.workload.and_then(|i| wl_ids.get(i).copied());
        // Counters absolute: the process's first row since the key scan
        // in effect (a key scan's rows are all first since it).
        let (absolute, last_row) = procs
            .get(&k)
            .map_or((true, None), |l| (l.last_row < last_key, Some(l.last_row)));
        let (id, last, existing) = match procs.get(&k) {
            Some(live) => {
                // A new name (the process exec'd or renamed itself): the
                // identity row follows, with the command line sent with it.
                if live.comm != p.comm {
                    tx.prepare_cached(
                        "UPDATE processes SET comm = ?1, cmdline = \
                         CASE WHEN length(?2) > 0 THEN ?2 ELSE cmdline END WHERE id = ?3",
                    )?
                    .execute(params![p.comm, p.cmdline, live.id])?;
                }
                (live.id, (!live.full_next).then_some(live.values), true)
            }
            None => {
                // A process an earlier run of this boot saw, still alive.
                let found: Option<i64> = tx
                    .prepare_cached(
                        "SELECT id FROM processes WHERE pid = ?1 AND start_ticks = ?2 \
                         AND boot_id = ?3 AND exited = 0 ORDER BY id DESC LIMIT 1",
                    )?
                    .query_row(params![p.pid, to_db(Some(p.start_ticks)), boot_id], |r| {
                        r.get(0)
                    })
                    .optional()?;
                let id = match found {
                    Some(id) => {
                        tx.prepare_cached("UPDATE processes SET last_scan = ?1 WHERE id = ?2")?
                            .execute(params![scan, id])?;
                        id
                    }
                    None => {
                        tx.prepare_cached(
                            "INSERT INTO processes (pid, start_ticks, boot_id, ppid, uid, comm, \
                             cmdline, kernel_thread, workload, first_scan, last_scan) \
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                        )?
                        .execute(params![
                            p.pid,
                            to_db(Some(p.start_ticks)),
                            boot_id,
                            p.ppid,
                            p.uid,
                            p.comm,
                            p.cmdline,
                            i64::from(p.kernel_thread),
                            workload,
                            scan,
                        ])?;
                        w.new_processes += 1;
                        tx.last_insert_rowid()
                    }
                };
                (id, None, false)
            }
        };
        if key && existing {
            tx.prepare_cached("UPDATE processes SET last_scan = ?1 WHERE id = ?2")?
                .execute(params![scan, id])?;
        }
        let v = p.values;
        let cols = row_columns(key, absolute, last.as_ref(), &v);
        let wrote = cols.iter().any(Option::is_some);
        if wrote {
            let mut st = tx.prepare_cached(
                "INSERT INTO samples (scan, process, state, rss_kb, fds, threads, cpu_ticks, \
                 switches, read_bytes, write_bytes, fd_limit) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut params: Vec<&dyn rusqlite::ToSql> = vec![&scan, &id];
            params.extend(cols.iter().map(|c| c as &dyn rusqlite::ToSql));
            st.execute(rusqlite::params_from_iter(params))?;
            w.process_rows += 1;
        }
        procs.insert(
            k,
            Live {
                id,
                values: v,
                comm: p.comm.clone(),
                full_next: false,
                last_row: if wrote { scan } else { last_row.unwrap_or(0) },
            },
        );
    }
    Ok(seen)
}

fn write_ooms(tx: &rusqlite::Transaction<'_>, f: &Frame) -> rusqlite::Result<usize> {
    let mut n = 0;
    let mut st = tx.prepare_cached(
        "INSERT OR IGNORE INTO oom_kills (t_ms, boot_id, seq, pid, comm, uid, constraint_kind, \
         oom_memcg, task_memcg, total_vm_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb, usage_kb, \
         limit_kb) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for k in &f.ooms {
        let opt = |v: Option<u64>| v.map(|v| to_db(Some(v)));
        n += st.execute(params![
            k.t_ms,
            k.boot_id,
            to_db(Some(k.seq)),
            k.pid,
            k.comm,
            k.uid,
            k.constraint,
            k.oom_memcg,
            k.task_memcg,
            opt(k.total_vm_kb),
            opt(k.anon_rss_kb),
            opt(k.file_rss_kb),
            opt(k.shmem_rss_kb),
            opt(k.usage_kb),
            opt(k.limit_kb),
        ])?;
    }
    Ok(n)
}
