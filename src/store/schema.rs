//! The file's schema, version [`VERSION`] (docs/history.md documents every
//! table and column for people querying it with `sqlite3`).
//!
//! Only changes are stored: a `samples` row is written for a process at a
//! scan when one of its numbers changed, and each column of it is NULL
//! when that number did not change since the process's previous row. A
//! *key scan* (`scans.key = 1`: the first of a run, then one every
//! [`KEY_EVERY_SCANS`] scans or [`KEY_EVERY_MS`], or sooner once the
//! span since the last one has grown by a quarter of the size cap) holds
//! every column of every live process, so the state at any scan is read
//! from the key scan before it onwards, and retention and the size cap
//! drop whole spans between key scans (retention: everything before the
//! key scan from which the oldest scan it keeps is read).
//! -1 is "could not be read", never 0.
//!
//! The counters (`samples.cpu_ticks`, `switches`, `read_bytes`,
//! `write_bytes`: monotonic) are stored as their increase since the
//! process's previous row, which is mostly one byte rather than three or
//! four. A row's counters are *absolute* when it is the process's first
//! row since the key scan in effect at it (the last key scan at or before
//! it): every row of a key scan, a process's first row, and its first row
//! after a key scan that did not read it (a row written whole). The rule
//! needs no column: the writer and the reader both know the key scans and
//! each process's previous row, and a reader starts at a key scan. In any
//! other row, a counter's value is:
//! - NULL: unchanged;
//! - `x >= 0`: the previous value plus `x`;
//! - -1: could not be read (as everywhere);
//! - `x <= -2`: the absolute value `-2 - x`, written when the counter is
//!   known again after -1 or went down (a reset: it should not happen),
//!   so neither is misread as an increase.
//!
//! Counters saturate at `i64::MAX - 1` (the largest `-2 - x` holds), other
//! columns at `i64::MAX`. The view `process_samples` sums the increases
//! back: it shows absolute values, as `Reader::load` does.
//!
//! Version 1 (before the increases) stored counters absolute in every
//! row: it is read with that meaning and never written to
//! ([`super::StoreError::Older`]).

/// `PRAGMA user_version` of files this build writes.
pub const VERSION: i64 = 2;
/// `PRAGMA application_id`: "PRCT", so `file(1)`-style tools and proctor
/// tell a proctor history from another SQLite file.
pub const APPLICATION_ID: i64 = 0x5052_4354;

/// A key scan at most every this many scans ...
pub const KEY_EVERY_SCANS: i64 = 360;
/// ... or this much time.
pub const KEY_EVERY_MS: i64 = 15 * 60 * 1000;

pub const CREATE: &str = "
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    host TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    kernel TEXT NOT NULL,
    version TEXT NOT NULL,
    interval_ms INTEGER NOT NULL,
    targets TEXT NOT NULL,
    clock_ticks INTEGER NOT NULL,
    boot_time_s INTEGER
);
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL,
    t_ms INTEGER NOT NULL,
    key INTEGER NOT NULL,
    processes INTEGER NOT NULL,
    exited INTEGER NOT NULL,
    unreadable INTEGER NOT NULL,
    scan_us INTEGER NOT NULL,
    mem_total_kb INTEGER,
    mem_available_kb INTEGER,
    swap_total_kb INTEGER,
    swap_free_kb INTEGER,
    load1_centi INTEGER,
    oom_kills INTEGER
);
CREATE INDEX scans_t ON scans(t_ms);
CREATE TABLE workloads (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    pod TEXT NOT NULL,
    container TEXT NOT NULL,
    unit TEXT NOT NULL,
    cgroup TEXT NOT NULL,
    UNIQUE (name, kind, cgroup)
);
CREATE TABLE processes (
    id INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL,
    start_ticks INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    ppid INTEGER NOT NULL,
    uid INTEGER,
    comm BLOB NOT NULL,
    cmdline BLOB NOT NULL,
    kernel_thread INTEGER NOT NULL,
    workload INTEGER,
    first_scan INTEGER NOT NULL,
    last_scan INTEGER NOT NULL,
    exited INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX processes_pid ON processes(pid);
CREATE INDEX processes_last ON processes(last_scan);
CREATE TABLE samples (
    scan INTEGER NOT NULL,
    process INTEGER NOT NULL,
    state INTEGER,
    rss_kb INTEGER,
    fds INTEGER,
    threads INTEGER,
    cpu_ticks INTEGER,
    switches INTEGER,
    read_bytes INTEGER,
    write_bytes INTEGER,
    fd_limit INTEGER,
    PRIMARY KEY (scan, process)
) WITHOUT ROWID;
CREATE TABLE workload_samples (
    scan INTEGER NOT NULL,
    workload INTEGER NOT NULL,
    memory_bytes INTEGER,
    working_set_bytes INTEGER,
    memory_limit_bytes INTEGER,
    oom_kills INTEGER,
    pids INTEGER,
    pids_max INTEGER,
    cpu_ns INTEGER,
    throttled_ns INTEGER,
    tcp_established INTEGER,
    tcp_close_wait INTEGER,
    tcp_listen INTEGER,
    PRIMARY KEY (scan, workload)
) WITHOUT ROWID;
CREATE TABLE oom_kills (
    id INTEGER PRIMARY KEY,
    t_ms INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    pid INTEGER,
    comm BLOB NOT NULL,
    uid INTEGER,
    constraint_kind TEXT NOT NULL,
    oom_memcg BLOB NOT NULL,
    task_memcg BLOB NOT NULL,
    total_vm_kb INTEGER,
    anon_rss_kb INTEGER,
    file_rss_kb INTEGER,
    shmem_rss_kb INTEGER,
    usage_kb INTEGER,
    limit_kb INTEGER,
    UNIQUE (boot_id, seq)
);
CREATE INDEX oom_kills_t ON oom_kills(t_ms);
-- Every process row with each column carried forward (NULL in `samples`
-- is \"unchanged\"; -1 is \"could not be read\") and each counter absolute
-- (the sum of its increases since its last absolute value), its time and
-- identity. `a`: the row's counters are absolute (the process's first row
-- since the key scan in effect); `m_*`: this column starts a new sum (an
-- absolute value, or -1, or -2 - value); `d_*`: the value to sum.
CREATE VIEW process_samples AS
SELECT s.scan, sc.t_ms, p.pid, p.start_ticks, CAST(p.comm AS TEXT) AS comm, p.workload,
    max(s.state) OVER (PARTITION BY s.process, g_state) AS state,
    max(s.rss_kb) OVER (PARTITION BY s.process, g_rss) AS rss_kb,
    max(s.fds) OVER (PARTITION BY s.process, g_fds) AS fds,
    max(s.threads) OVER (PARTITION BY s.process, g_threads) AS threads,
    sum(d_cpu) OVER (PARTITION BY s.process, g_cpu ORDER BY s.scan) AS cpu_ticks,
    sum(d_switches) OVER (PARTITION BY s.process, g_switches ORDER BY s.scan) AS switches,
    sum(d_read) OVER (PARTITION BY s.process, g_read ORDER BY s.scan) AS read_bytes,
    sum(d_write) OVER (PARTITION BY s.process, g_write ORDER BY s.scan) AS write_bytes,
    max(s.fd_limit) OVER (PARTITION BY s.process, g_limit) AS fd_limit
FROM (
    SELECT *,
        count(state) OVER w AS g_state, count(rss_kb) OVER w AS g_rss,
        count(fds) OVER w AS g_fds, count(threads) OVER w AS g_threads,
        sum(m_cpu) OVER w AS g_cpu, sum(m_switches) OVER w AS g_switches,
        sum(m_read) OVER w AS g_read, sum(m_write) OVER w AS g_write,
        count(fd_limit) OVER w AS g_limit
    FROM (
        SELECT *,
            CASE WHEN a OR cpu_ticks >= -1 THEN cpu_ticks ELSE -2 - cpu_ticks END AS d_cpu,
            CASE WHEN a OR switches >= -1 THEN switches ELSE -2 - switches END AS d_switches,
            CASE WHEN a OR read_bytes >= -1 THEN read_bytes ELSE -2 - read_bytes END AS d_read,
            CASE WHEN a OR write_bytes >= -1 THEN write_bytes ELSE -2 - write_bytes END
                AS d_write,
            cpu_ticks IS NOT NULL AND (a OR cpu_ticks < 0) AS m_cpu,
            switches IS NOT NULL AND (a OR switches < 0) AS m_switches,
            read_bytes IS NOT NULL AND (a OR read_bytes < 0) AS m_read,
            write_bytes IS NOT NULL AND (a OR write_bytes < 0) AS m_write
        FROM (
            SELECT samples.*, coalesce(
                lag(samples.scan) OVER (PARTITION BY samples.process ORDER BY samples.scan)
                    < k.key_scan, 1) AS a
            FROM samples JOIN (
                SELECT id, max(CASE WHEN key = 1 THEN id END) OVER (ORDER BY id) AS key_scan
                FROM scans
            ) AS k ON k.id = samples.scan
        )
    ) WINDOW w AS (PARTITION BY process ORDER BY scan)
) AS s
JOIN scans AS sc ON sc.id = s.scan
JOIN processes AS p ON p.id = s.process;
";
