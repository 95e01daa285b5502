#!/usr/bin/env python3
"""Row size of `samples` for long-lived processes, counters absolute (history
schema 1) against increases (schema 2), with SQLite alone (no proctor).

bench/record.sh's children are young: their CPU ticks and switches are small
numbers (1-2 bytes) whether stored absolute or as increases, so it
understates what storing increases saves on a node of long-lived processes.
Here: 500 processes, every one changing RSS, CPU and switches at each of 360
scans (one key span at 10 s), with the counters of processes that have run
for days (cpu_ticks 1e6-1e7, +0..300 a scan; switches 1e7-1e8, +50..5000 a
scan; RSS 100,000-900,000 KiB, +-2,000). The table is `samples` as
src/store/schema.rs makes it; the first scan's rows are whole. Prints the
table's bytes (dbstat pages) per row for each encoding. Usage:
python3 bench/record-aged.py (needs python3's sqlite3 with dbstat).
"""
import os, random, shutil, sqlite3, tempfile


def run(delta):
    p = os.path.join(tempfile.mkdtemp(prefix="proctor-bench-aged."), "s.db")
    c = sqlite3.connect(p)
    c.execute("PRAGMA page_size=4096")
    c.execute("""CREATE TABLE samples (scan INTEGER NOT NULL, process INTEGER NOT NULL, state INTEGER,
      rss_kb INTEGER, fds INTEGER, threads INTEGER, cpu_ticks INTEGER, switches INTEGER,
      read_bytes INTEGER, write_bytes INTEGER, fd_limit INTEGER, PRIMARY KEY (scan, process)) WITHOUT ROWID""")
    rnd = random.Random(1)
    st = [[rnd.randrange(10**6, 10**7), rnd.randrange(10**7, 10**8), rnd.randrange(100_000, 900_000)] for _ in range(500)]
    for scan in range(1, 361):
        rows = []
        for pid in range(500):
            cpu_d = rnd.randrange(0, 300); sw_d = rnd.randrange(50, 5000)
            st[pid][0] += cpu_d; st[pid][1] += sw_d; st[pid][2] += rnd.randrange(-2000, 2000)
            if scan == 1:
                rows.append((scan, pid+1, 83, st[pid][2], 40, 8, st[pid][0], st[pid][1], 10**9, 10**9, 1024))
            else:
                cpu = cpu_d if delta else st[pid][0]; sw = sw_d if delta else st[pid][1]
                rows.append((scan, pid+1, None, st[pid][2], None, None, cpu, sw, None, None, None))
        c.executemany("INSERT INTO samples VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        c.commit()
    pages = c.execute("SELECT count(*)*4096 FROM dbstat WHERE name='samples'").fetchone()[0]
    c.close()
    shutil.rmtree(os.path.dirname(p))
    what = "increases (schema 2)" if delta else "absolute (schema 1)"
    print(f"counters {what}: samples {pages} B; {pages / (500 * 360):.1f} B a row")

run(False)
run(True)

