#!/usr/bin/env python3
"""Measurements for bench/record.sh (not run alone; the script sets up
the load and cleans up).

  record-measure.py size PROCTOR DB INTERVAL SCANS
      Record the host with `proctor record -o DB --interval INTERVAL` for
      SCANS scans (then SIGTERM). Bytes in use in the database (pages not
      free, WAL included, as a reader sees it) after the first scan and
      after the last; the samples table's bytes after the first (a key
      scan's rows); rows per scan; the split of the file by table (dbstat)
      at the end; the recorder's RSS after scan 2 and at the end. One JSON
      object on stdout.
  record-measure.py cpu-proctor PROCTOR DB SCANS
      `proctor record --interval 1s` for SCANS scans: CPU time (utime +
      stime from /proc/PID/stat) of each scan after the 5th, median and
      mean in ms; RSS after scan 5 and at the end. JSON.
  record-measure.py cpu-bare BARE SCANS
      The same for examples/bare_record at 1 s (its "scan N" lines). JSON.
"""
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # utime, stime (fields 14, 15)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def ro(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    return c


def one(c, sql):
    return c.execute(sql).fetchone()[0]


def scans(db):
    try:
        c = ro(db)
        try:
            return one(c, "SELECT count(*) FROM scans") or 0
        finally:
            c.close()
    except sqlite3.Error:
        return 0


def used_bytes(c):
    return (one(c, "PRAGMA page_count") - one(c, "PRAGMA freelist_count")) * one(
        c, "PRAGMA page_size"
    )


def wait_scans(db, n, proc, deadline):
    while scans(db) < n:
        if proc.poll() is not None:
            sys.exit(f"record-measure: the recorder exited ({proc.returncode})")
        if time.monotonic() > deadline:
            sys.exit(f"record-measure: {n} scans not reached in time")
        time.sleep(0.02)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def size(proctor, db, interval, n):
    proc = subprocess.Popen(
        [proctor, "record", "-o", db, "--interval", interval],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60 + n * 5
    try:
        wait_scans(db, 1, proc, deadline)
        c = ro(db)
        first = used_bytes(c)
        key_samples = one(c, "SELECT sum(pgsize) FROM dbstat WHERE name = 'samples'")
        procs = one(c, "SELECT processes FROM scans WHERE id = 1")
        c.close()
        wait_scans(db, 2, proc, deadline)
        rss_start = rss_kb(proc.pid)
        wait_scans(db, n, proc, deadline)
        c = ro(db)
        last_n = one(c, "SELECT count(*) FROM scans")
        last = used_bytes(c)
        c.close()
        rss_end = rss_kb(proc.pid)
    finally:
        stop(proc)
    c = ro(db)
    rows = c.execute(
        "SELECT scan, count(*) FROM samples GROUP BY scan ORDER BY scan"
    ).fetchall()
    split = dict(c.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    keys = one(c, "SELECT count(*) FROM scans WHERE key = 1")
    c.close()
    later = [r for s, r in rows if s > 1]
    print(
        json.dumps(
            {
                "processes": procs,
                "scans": last_n,
                "key_scans": keys,
                "bytes_after_first": first,
                "key_samples_bytes": key_samples,
                "bytes_at_last": last,
                "bytes_per_scan": (last - first) / max(1, last_n - 1),
                "rows_first": rows[0][1] if rows else 0,
                "rows_per_scan_mean": statistics.mean(later) if later else 0,
                "split": split,
                "rss_kb_scan2": rss_start,
                "rss_kb_end": rss_end,
            }
        )
    )


def per_scan_cpu(pid, next_scan, n):
    """Ticks at each new scan (next_scan() returns the count so far)."""
    marks = []
    seen = next_scan()
    while seen < n:
        now = next_scan()
        if now > seen:
            marks.append((now, cpu_ticks(pid)))
            seen = now
        time.sleep(0.005)
    return marks


def cpu_summary(marks, rss5, rss_end):
    # Each scan's CPU: ticks between consecutive scans, from the 5th on.
    d = [
        (b[1] - a[1]) * TICK_MS
        for a, b in zip(marks, marks[1:])
        if a[0] >= 5 and b[0] == a[0] + 1
    ]
    return {
        "scans_measured": len(d),
        "cpu_ms_median": statistics.median(d) if d else None,
        "cpu_ms_mean": statistics.mean(d) if d else None,
        "rss_kb_scan5": rss5,
        "rss_kb_end": rss_end,
    }


def cpu_proctor(proctor, db, n):
    proc = subprocess.Popen(
        [proctor, "record", "-o", db, "--interval", "1s"],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_scans(db, 5, proc, time.monotonic() + 120)
        rss5 = rss_kb(proc.pid)
        marks = per_scan_cpu(proc.pid, lambda: scans(db), n)
        rss_end = rss_kb(proc.pid)
    finally:
        stop(proc)
    print(json.dumps(dict(cpu_summary(marks, rss5, rss_end), processes=procs_of(db))))


def procs_of(db):
    c = ro(db)
    try:
        return one(c, "SELECT max(processes) FROM scans")
    finally:
        c.close()


def cpu_bare(bare, n):
    proc = subprocess.Popen(
        [bare, str(n + 1), "1000"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
    )
    count = [0]

    def next_scan():
        line = proc.stdout.readline()
        if line.startswith("scan "):
            count[0] = int(line.split()[1])
        return count[0]

    try:
        while next_scan() < 5:
            pass
        rss5 = rss_kb(proc.pid)
        marks = []
        while count[0] < n:
            s = next_scan()
            marks.append((s, cpu_ticks(proc.pid)))
        rss_end = rss_kb(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    print(json.dumps(cpu_summary(marks, rss5, rss_end)))


def main():
    a = sys.argv[1:]
    if a[:1] == ["size"] and len(a) == 5:
        size(a[1], a[2], a[3], int(a[4]))
    elif a[:1] == ["cpu-proctor"] and len(a) == 4:
        cpu_proctor(a[1], a[2], int(a[3]))
    elif a[:1] == ["cpu-bare"] and len(a) == 3:
        cpu_bare(a[1], int(a[2]))
    else:
        sys.exit(__doc__)


main()
