//! `top`'s chosen columns and batch mode, through the binary: `--columns`
//! (a list in order, `+COL`/`-COL` on the defaults, bad names), the new
//! columns' values against what the test reads from /proc for a live child
//! of its own (in a memory cgroup of its own: VIRT, SHR, NI, START, TTY,
//! TIME+, %MEM, WORKLOAD, IO_W/s of a child writing a known number of
//! bytes per second), `--iterations` with `--format csv` parsed back by the
//! csv crate (one header, then every iteration's rows, each led by its
//! iteration and time), `--no-header`, JSON Lines, TSV escaping of a
//! hostile name, and the config file: the chooser (F2 in tmux) writes it,
//! a second start shows the same columns, a broken file is one warning and
//! the defaults, `--columns` overrides it and `--no-config` ignores it.
//!
//! Every config test has an XDG_CONFIG_HOME of its own (never the user's).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common::{
    Reaped, TempDir, Tmux, assert_ok, bin, in_own_memory_cgroup, marker, proc_stat, proctor_cmd,
    real_python, require, run_bounded, spawn_ready, stat_field, status_field, stderr, stdout,
    which,
};

/// Time allowed for the first frame and for the effect of a key.
const KEY: Duration = Duration::from_secs(60);

/// `proctor top ARGS` with XDG_CONFIG_HOME at `config` (None: unset, and
/// HOME at a directory that does not exist).
fn top(config: Option<&Path>, args: &[&str]) -> Output {
    let mut c = proctor_cmd(["top"].iter().chain(args));
    c.env_remove("XDG_CONFIG_HOME");
    match config {
        Some(p) => c.env("XDG_CONFIG_HOME", p),
        None => c.env("HOME", "/nonexistent-proctor-test-home"),
    };
    run_bounded(c.stdin(Stdio::null()))
}

/// The header cells of a once-table.
fn header(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

const DEFAULT_HEADER: [&str; 11] = [
    "PID", "USER", "NAME", "STATE", "CPU%", "RSS", "THR", "FDS", "FD%", "CSW/s", "COMMAND",
];

#[test]
fn the_chosen_headers_in_their_order() {
    let o = top(
        None,
        &[
            "--once",
            "--limit",
            "3",
            "--columns",
            "pid,time,mem,virt,shr,nice,start,tty,workload,io_read,io_write,name",
        ],
    );
    assert_ok(&o, "top --columns");
    assert_eq!(
        header(&o),
        [
            "PID", "TIME+", "%MEM", "VIRT", "SHR", "NI", "START", "TTY", "WORKLOAD", "IO_R/s",
            "IO_W/s", "NAME"
        ]
    );
    // Changes to the defaults: added before COMMAND, removed.
    let o = top(
        None,
        &["--once", "--limit", "1", "--columns", "+tty,-csw,-user"],
    );
    assert_ok(&o, "top --columns +tty");
    let mut want: Vec<&str> = DEFAULT_HEADER.to_vec();
    want.retain(|h| *h != "CSW/s" && *h != "USER");
    want.insert(want.len() - 1, "TTY");
    assert_eq!(header(&o), want);
    // Headers and any case are names too.
    let o = top(
        None,
        &["--once", "--limit", "1", "--columns", "PID,Time+,IO_W/s"],
    );
    assert_ok(&o, "top --columns by header");
    assert_eq!(header(&o), ["PID", "TIME+", "IO_W/s"]);
    for (bad, needle) in [
        ("pid,bogus", "'bogus' is not a column of top"),
        ("pid,cpu,pid", "the column pid is given twice"),
        ("pid,+cpu", "either a list"),
        (
            "-pid,-user,-name,-state,-cpu,-rss,-threads,-fds,-fdpct,-csw,-cmdline",
            "no columns left",
        ),
    ] {
        let o = top(None, &["--once", "--columns", bad]);
        assert_eq!(o.status.code(), Some(2), "--columns {bad}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(needle), "--columns {bad}: {e}");
        assert!(e.contains("hint: columns are pid,user,name"), "{e}");
        assert!(stdout(&o).is_empty());
    }
}

/// A python child, niced by 5, without a controlling terminal (setsid),
/// writing `rate` bytes a second to a new file on disk (appended, so each
/// page is dirtied anew and counted in write_bytes; cut back at 64 MiB).
fn writer(dir: &TempDir, rate: u64, tag: &str) -> (Reaped, String) {
    let script = r#"
import os, sys, time
path, rate = sys.argv[1], int(sys.argv[2])
chunk = b"x" * (rate // 16)
f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
print("READY", flush=True)
t, written = time.monotonic(), 0
while True:
    if written >= 64 << 20:
        os.ftruncate(f, 0)
        os.lseek(f, 0, 0)
        written = 0
    os.write(f, chunk)
    written += len(chunk)
    t += 1.0 / 16
    time.sleep(max(0.0, t - time.monotonic()))
"#;
    let path = dir.path().join("written");
    let m = marker(tag);
    spawn_ready(
        Command::new("setsid")
            .args(["nice", "-n", "5"])
            .arg(real_python())
            .args(["-c", script])
            .arg(&path)
            .arg(rate.to_string())
            .arg(&m)
            .stderr(Stdio::null()),
    )
}

/// The CSV of `top --format csv ARGS`: (header, records).
fn csv_of(o: &Output) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(o.stdout.as_slice());
    let head: Vec<String> = r
        .headers()
        .expect("a CSV header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|rec| {
            rec.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (head, rows)
}

/// A field of `row` by its header name.
fn field<'a>(head: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = head
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {head:?}"));
    &row[i]
}

fn num(s: &str, what: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| panic!("{what}: {s:?} is not a number"))
}

/// Seconds since the epoch the machine booted (`btime` of /proc/stat).
fn boot_time() -> f64 {
    let s = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    s.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
        .expect("btime")
}

#[test]
fn new_columns_match_the_kernel_for_a_live_child() {
    if !require(
        "setsid and nice",
        which("setsid").is_some() && which("nice").is_some(),
    ) {
        return;
    }
    let _heavy = crate::common::heavy();
    let dir = TempDir::new("columns-writer");
    const RATE: u64 = 4 << 20;
    let (child, ready) = writer(&dir, RATE, "columns-writer");
    assert_eq!(ready, "READY");
    let pid = child.pid();
    let Some(cg) = in_own_memory_cgroup("columns", pid) else {
        return;
    };
    let pid_s = pid.to_string();
    // Two scans 1 s apart: the second's rates are over that second.
    let o = top(
        None,
        &[
            "--format",
            "csv",
            "--iterations",
            "2",
            "--interval",
            "1s",
            "--filter",
            &pid_s,
            "--columns",
            "pid,nice,virt,shr,start,tty,time,mem,workload,io_write,name",
        ],
    );
    assert_ok(&o, "top --format csv of the writer");
    let (head, rows) = csv_of(&o);
    let row = rows
        .iter()
        .rfind(|r| field(&head, r, "pid") == pid_s && field(&head, r, "iteration") == "2")
        .unwrap_or_else(|| panic!("no second row of {pid}:\n{}", stdout(&o)));
    // What the kernel says now (the child's memory is steady).
    let stat = proc_stat(pid).expect("the writer's stat");
    let vm_size = status_field(pid, "VmSize").expect("VmSize");
    let shared = status_field(pid, "RssFile").expect("RssFile")
        + status_field(pid, "RssShmem").expect("RssShmem");
    let close = |got: f64, want: f64, tol: f64, what: &str| {
        assert!(
            (got - want).abs() <= want * tol,
            "{what}: {got} against the kernel's {want}"
        );
    };
    close(
        num(field(&head, row, "virt_bytes"), "virt"),
        vm_size as f64,
        0.02,
        "VIRT",
    );
    close(
        num(field(&head, row, "shared_bytes"), "shr"),
        shared as f64,
        0.10,
        "SHR",
    );
    assert_eq!(field(&head, row, "nice"), "5");
    assert_eq!(stat_field(&stat, 19), 5, "the kernel's nice");
    // No controlling terminal (setsid): an empty field, `?` in the table.
    assert_eq!(field(&head, row, "tty"), "");
    let started = boot_time() + stat_field(&stat, 22) as f64 / 100.0;
    let start = num(field(&head, row, "start_time_unix"), "start");
    assert!(
        (start - started).abs() <= 2.0,
        "START {start} against {started}"
    );
    let cpu = (stat_field(&stat, 14) + stat_field(&stat, 15)) as f64 / 100.0;
    let time = num(field(&head, row, "cpu_seconds_total"), "time");
    assert!(
        time <= cpu + 0.01 && time >= cpu - 1.0,
        "TIME+ {time} against {cpu}"
    );
    assert_eq!(field(&head, row, "workload"), cg.name());
    assert!(num(field(&head, row, "mem_percent"), "mem") > 0.0);
    let w = num(field(&head, row, "io_write_bytes_per_second"), "io_write");
    close(w, RATE as f64, 0.30, "IO_W/s");
    // The table shows the same process with `?` for its terminal.
    let o = top(
        None,
        &[
            "--once",
            "--filter",
            &pid_s,
            "--columns",
            "pid,tty,nice,workload",
        ],
    );
    assert_ok(&o, "the table");
    let line = stdout(&o)
        .lines()
        .find(|l| l.split_whitespace().next() == Some(pid_s.as_str()))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no row of {pid}:\n{}", stdout(&o)));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells, [pid_s.as_str(), "?", "5", cg.name().as_str()]);
    drop(child);
}

#[test]
fn batch_csv_parsed_back_with_one_header() {
    let o = top(
        None,
        &[
            "--iterations",
            "3",
            "--interval",
            "200ms",
            "--format",
            "csv",
            "--columns",
            "pid,name,cpu,rss,cmdline",
            "--limit",
            "5",
        ],
    );
    assert_ok(&o, "top --iterations 3 --format csv");
    let (head, rows) = csv_of(&o);
    assert_eq!(
        head,
        [
            "iteration",
            "time_unix",
            "pid",
            "name",
            "cpu_percent",
            "rss_bytes",
            "cmdline"
        ]
    );
    // The header once: no record repeats it.
    assert!(rows.iter().all(|r| r[0] != "iteration"));
    let iterations: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let mut seen = iterations.clone();
    seen.dedup();
    assert_eq!(seen, ["1", "2", "3"], "{iterations:?}");
    for n in ["1", "2", "3"] {
        let k = iterations.iter().filter(|i| **i == n).count();
        assert!((1..=5).contains(&k), "iteration {n}: {k} rows");
    }
    // One scan time per iteration, an interval apart (at least most of it).
    let times: Vec<f64> = ["1", "2", "3"]
        .iter()
        .map(|n| {
            let r = rows.iter().find(|r| r[0] == *n).expect("a row");
            num(&r[1], "time_unix")
        })
        .collect();
    assert!(
        times[1] - times[0] >= 0.15 && times[2] - times[1] >= 0.15,
        "{times:?}"
    );
    for r in &rows {
        assert!(r[2].parse::<i32>().is_ok(), "pid {:?}", r[2]);
        assert!(
            r[4].is_empty() || r[4].parse::<f64>().is_ok(),
            "cpu {:?}",
            r[4]
        );
        assert!(
            r[5].is_empty() || r[5].parse::<u64>().is_ok(),
            "rss {:?}",
            r[5]
        );
    }
    // --no-header: the first line is a record of iteration 1.
    let o = top(
        None,
        &[
            "--iterations",
            "2",
            "--interval",
            "100ms",
            "--format",
            "csv",
            "--no-header",
            "--limit",
            "2",
            "--columns",
            "pid,rss",
        ],
    );
    assert_ok(&o, "--no-header");
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines.iter().all(|l| l.split(',').count() == 4), "{text}");
    assert!(
        lines[0].starts_with("1,") && lines[3].starts_with("2,"),
        "{text}"
    );
    // Without --iterations: exactly the chosen columns.
    let o = top(
        None,
        &["--format", "csv", "--limit", "2", "--columns", "pid,rss"],
    );
    assert_ok(&o, "csv once");
    assert_eq!(stdout(&o).lines().next(), Some("pid,rss_bytes"));
}

#[test]
fn batch_json_is_one_document_per_line() {
    let o = top(
        None,
        &[
            "--json",
            "--iterations",
            "3",
            "--interval",
            "200ms",
            "--limit",
            "2",
            "--columns",
            "+io_read",
        ],
    );
    assert_ok(&o, "top --json --iterations 3");
    let text = stdout(&o);
    let docs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(docs.len(), 3, "{text}");
    for (i, d) in docs.iter().enumerate() {
        let rows = d.as_array().expect("an array of rows");
        assert!(!rows.is_empty() && rows.len() <= 2);
        let over = &rows[0]["rates_over_seconds"];
        if i == 0 {
            assert!(over.is_null(), "the first: lifetime averages");
        } else {
            let s = over.as_f64().expect("rates over an interval");
            assert!(s >= 0.15, "{s}");
        }
        // The I/O column asked for: its rate is there (a number or null).
        assert!(rows[0].get("io_read_bytes_per_second").is_some());
        assert!(rows[0].get("workload").is_none());
        assert!(rows[0]["cpu_seconds_total"].is_number());
    }
}

#[test]
fn tsv_escapes_a_hostile_name() {
    let script = r#"
import sys, time
open("/proc/self/comm", "wb").write(b"ev\til\nx,=1")
print("READY", flush=True)
time.sleep(600)
"#;
    let (child, ready) = spawn_ready(
        Command::new(real_python())
            .args(["-c", script, &marker("columns-tsv")])
            .stderr(Stdio::null()),
    );
    assert_eq!(ready, "READY");
    let pid = child.pid().to_string();
    let o = top(
        None,
        &[
            "--format",
            "tsv",
            "--filter",
            &pid,
            "--columns",
            "pid,name,state",
        ],
    );
    assert_ok(&o, "tsv");
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "pid\tname\tstate");
    let row = lines
        .iter()
        .find(|l| l.starts_with(&format!("{pid}\t")))
        .unwrap_or_else(|| panic!("no row of {pid}:\n{text}"));
    // One line, three fields: the tab and newline in the name escaped.
    assert_eq!(
        row.split('\t').collect::<Vec<_>>(),
        [pid.as_str(), "ev\\til\\nx,=1", "S"]
    );
    // CSV: the comma quoted, nothing run as a formula.
    let o = top(
        None,
        &["--format", "csv", "--filter", &pid, "--columns", "name,pid"],
    );
    assert_ok(&o, "csv");
    let (_, rows) = csv_of(&o);
    let row = rows.iter().find(|r| r[1] == pid).expect("the row");
    assert_eq!(row[0], "ev\\til\\nx,=1");
    drop(child);
}

/// `columns = [...]` written to `XDG/proctor/top.toml`.
fn write_config(xdg: &Path, body: &str) {
    std::fs::create_dir_all(xdg.join("proctor")).expect("config dir");
    std::fs::write(xdg.join("proctor/top.toml"), body).expect("config file");
}

#[test]
fn the_config_file_is_read_overridden_and_ignored() {
    let xdg = TempDir::new("columns-config");
    write_config(xdg.path(), "columns = [\"pid\", \"time\", \"name\"]\n");
    let o = top(Some(xdg.path()), &["--once", "--limit", "1"]);
    assert_ok(&o, "with the config");
    assert_eq!(header(&o), ["PID", "TIME+", "NAME"]);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    // --columns overrides it; --no-config ignores it.
    let o = top(
        Some(xdg.path()),
        &["--once", "--limit", "1", "--columns", "pid,nice"],
    );
    assert_eq!(header(&o), ["PID", "NI"]);
    let o = top(Some(xdg.path()), &["--once", "--limit", "1", "--no-config"]);
    assert_eq!(header(&o), DEFAULT_HEADER);
    // A broken file, an unknown key, an unknown column: one warning line
    // and its hint, the defaults, exit 0.
    for (body, needle) in [
        ("columns = [\"pid\"\n", "top.toml"),
        ("colour = true\n", "unknown field"),
        (
            "columns = [\"pid\", \"bogus\"]\n",
            "'bogus' is not a column of top",
        ),
        ("columns = \"pid\"\n", "top.toml"),
        ("\u{0}\u{1b}[31m\n", "top.toml"),
    ] {
        write_config(xdg.path(), body);
        let o = top(Some(xdg.path()), &["--once", "--limit", "1"]);
        assert_eq!(o.status.code(), Some(0), "{body}");
        assert_eq!(header(&o), DEFAULT_HEADER, "{body}");
        let e = stderr(&o);
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 2, "{body}: {e}");
        assert!(lines[0].starts_with("warning: config file "), "{e}");
        assert!(lines[0].contains(needle), "{body}: {e}");
        assert!(lines[0].ends_with("using the default columns"), "{e}");
        assert!(!e.contains('\u{1b}'), "{e}");
        assert!(lines[1].starts_with("hint: "), "{e}");
        // --no-config: not even read.
        let o = top(Some(xdg.path()), &["--once", "--limit", "1", "--no-config"]);
        assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    }
}

#[test]
fn the_chooser_writes_the_config_and_the_next_start_uses_it() {
    let xdg = TempDir::new("columns-chooser");
    let cmd = format!(
        "env -u PROCTOR_PROC_ROOT -u PROCTOR_SYS_ROOT XDG_CONFIG_HOME='{}' '{}' top; echo EXIT=$?; sleep 60",
        xdg.path().display(),
        bin()
    );
    let Some(t) = Tmux::start("columns", 160, 40, &cmd) else {
        return;
    };
    t.wait_for("COMMAND", KEY);
    t.keys(&["F2"]);
    t.wait_for("[x] PID", KEY);
    // The shown columns first (11), then TIME+, the first of the others.
    for _ in 0..11 {
        t.keys(&["Down"]);
    }
    t.wait("TIME+ selected", KEY, |s| {
        s.lines().any(|l| l.contains("[ ] TIME+"))
    });
    t.keys(&["Space"]);
    let s = t.wait_for("[x] TIME+", KEY);
    assert!(s.contains("saved to "), "{s}");
    let file = xdg.path().join("proctor/top.toml");
    let body = std::fs::read_to_string(&file).expect("the config file written");
    assert!(body.contains("\"time\""), "{body}");
    // Escape on its own, then its effect: the chooser closed, TIME+ shown
    // before COMMAND.
    t.keys(&["Escape"]);
    t.wait("TIME+ in the header", KEY, |s| {
        s.lines()
            .any(|l| l.contains("TIME+") && l.contains("COMMAND") && !l.contains("[x]"))
    });
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
    drop(t);
    // A second start shows the same columns (the --once table too).
    let o = top(Some(xdg.path()), &["--once", "--limit", "1"]);
    let mut want: Vec<&str> = DEFAULT_HEADER.to_vec();
    want.insert(want.len() - 1, "TIME+");
    assert_eq!(header(&o), want);
    let Some(t) = Tmux::start("columns2", 160, 40, &cmd) else {
        return;
    };
    t.wait("TIME+ in the header again", KEY, |s| {
        s.lines()
            .any(|l| l.contains("TIME+") && l.contains("COMMAND"))
    });
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

#[test]
fn a_closed_pipe_ends_batch_mode_normally() {
    // `| head -c 4`: the reader goes after the first bytes; the next
    // write fails with EPIPE and proctor ends at once, exit 0.
    let mut c = proctor_cmd([
        "top",
        "--iterations",
        "1000",
        "--interval",
        "10ms",
        "--format",
        "csv",
    ]);
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn proctor");
    {
        use std::io::Read;
        let mut first = [0u8; 4];
        child
            .stdout
            .as_mut()
            .expect("stdout")
            .read_exact(&mut first)
            .expect("the header");
        assert_eq!(&first, b"iter");
    }
    drop(child.stdout.take());
    let status = crate::common::wait_exit(&mut child, Duration::from_secs(60), "proctor top");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn ctrl_c_between_iterations_ends_cleanly() {
    let mut child = proctor_cmd([
        "top",
        "--iterations",
        "100",
        "--interval",
        "1s",
        "--format",
        "csv",
        "--columns",
        "pid,name",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn proctor");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).expect("the header");
    assert_eq!(line, "iteration,time_unix,pid,name\n");
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
    let status = crate::common::wait_exit(&mut child, Duration::from_secs(30), "proctor top");
    assert_eq!(status.code(), Some(130));
    // What was written is whole records of the first iterations only.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).expect("the rest");
    assert!(rest.ends_with('\n') || rest.is_empty(), "{rest}");
    for l in rest.lines() {
        assert_eq!(l.split(',').count(), 4, "{l}");
        let it: u32 = l
            .split(',')
            .next()
            .and_then(|i| i.parse().ok())
            .expect("iteration");
        assert!(it < 100, "{l}");
    }
}
