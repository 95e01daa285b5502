//! Durations and Ctrl-C (issue 9, item 7) and the `top` points of item 8:
//! every duration option bounded (a usage error, never a panic or a busy
//! loop); Ctrl-C during `doctor --sample` and `top --once --sample` ends
//! the wait with what the first scan saw and exit 130, while a SIGINT the
//! shell set to ignored stays ignored; `top` never ranks itself, and a low
//! descriptor limit never hides processes.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{
    self, RUN_LIMIT, Reaped, Tmux, bin, fixture, output_within, proctor_cmd, root_args,
    run_bounded, stderr, stdout, wait_until_held_open, without_overrides,
};

/// How long a process may take to stop after SIGINT: generous for a busy
/// host, far below the 30 s sample it interrupts.
const PROMPT: Duration = Duration::from_secs(15);

/// A duration error through the binary: exit 2, nothing on stdout, exactly
/// one `error: ` line naming `needle` and one `hint: ` line, no panic (and
/// no hang: bounded).
fn assert_bad_duration(args: &[&str], needle: &str) {
    let o = run_bounded(&mut proctor_cmd(args));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    assert!(
        o.stdout.is_empty(),
        "{args:?}: data on stdout: {}",
        stdout(&o)
    );
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 2, "{args:?}: not one line + hint: {e}");
    assert!(lines[0].starts_with("error: "), "{args:?}: {e}");
    assert!(lines[0].contains(needle), "{args:?}: {needle:?} not in {e}");
    assert!(lines[1].starts_with("hint: "), "{args:?}: {e}");
}

/// Every duration option, out of its bounds: these panicked (exit 101:
/// Duration multiplication overflow), hung (`--sample 1e19` slept for
/// ever) or ran a busy loop (`--interval 1ns`) before the bounds.
#[test]
fn out_of_range_durations_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["watch", "1", "--interval", "1e19", "--duration", "5s"],
            "--interval over 100 years is too long: the longest is 1h",
        ),
        (
            &["watch", "self", "--interval", "1ns", "--duration", "1s"],
            "--interval 1ns is too short: the shortest is 10ms",
        ),
        (
            &["watch", "self", "--interval", "9ms"],
            "--interval 9ms is too short",
        ),
        (
            &["watch", "self", "--interval", "2h"],
            "--interval 2h is too long",
        ),
        (
            &["watch", "self", "--duration", "8d"],
            "--duration 8days is too long: the longest is 7days",
        ),
        (
            &["watch", "self", "--duration", "1e19"],
            "--duration over 100 years is too long",
        ),
        (
            &["demo", "steady", "--interval", "1e19"],
            "--interval over 100 years is too long",
        ),
        (
            &["demo", "steady", "--interval", "1ns"],
            "--interval 1ns is too short",
        ),
        (
            &["demo", "steady", "--duration", "1e19"],
            "--duration over 100 years is too long",
        ),
        (
            &["top", "--once", "--sample", "1e19"],
            "--sample over 100 years is too long: the longest is 1day",
        ),
        (
            &["top", "--once", "--sample", "1ms"],
            "--sample 1ms is too short: the shortest is 10ms",
        ),
        (
            &["top", "--once", "--interval", "1e19"],
            "--interval over 100 years is too long",
        ),
        (&["top", "--interval", "1ns"], "--interval 1ns is too short"),
        (
            &["doctor", "--sample", "1e19"],
            "--sample over 100 years is too long",
        ),
        (
            &["doctor", "--sample", "25h"],
            "--sample 1day 1h is too long: the longest is 1day",
        ),
        (&["doctor", "--sample", "1us"], "--sample 1us is too short"),
        // Past what a Duration holds: a parse error, one line too.
        (
            &["watch", "self", "--interval", "1e30"],
            "'1e30' is too long",
        ),
        (&["doctor", "--sample", "1e30"], "'1e30' is too long"),
    ];
    for (args, needle) in cases {
        assert_bad_duration(args, needle);
    }
}

/// `--interval 1ns` was a busy loop printing 235,000 JSON lines in 2 s:
/// now refused before anything is read.
#[test]
fn one_nanosecond_interval_is_refused() {
    let o = run_bounded(&mut proctor_cmd([
        "watch",
        "self",
        "--interval",
        "1ns",
        "--duration",
        "2s",
        "--json",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "{} bytes of samples", o.stdout.len());
    // The floor itself is accepted.
    let o = run_bounded(&mut proctor_cmd([
        "watch",
        "self",
        "--interval",
        "10ms",
        "--duration",
        "200ms",
        "--json",
    ]));
    // Accepted: judged (0), or on a loaded machine too few samples landed
    // to judge a metric (3); a refused interval is 2.
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "{:?}: {}",
        o.status.code(),
        stderr(&o)
    );
    let samples = stdout(&o)
        .lines()
        .filter(|l| l.contains("\"type\":\"sample\""))
        .count();
    // 200 ms at 10 ms: at most 21 deadlines on the grid.
    assert!((2..=21).contains(&samples), "{samples} samples");
}

/// `proctor ARGS` exec'd by python3 with SIGINT reset to its default
/// action, whatever the test runner inherited (a runner started in the
/// background of a non-interactive shell ignores SIGINT, and so would
/// proctor).
fn with_default_sigint(args: &[String]) -> Command {
    let mut c = Command::new("python3");
    c.args([
        "-c",
        "import os, signal, sys\n\
         signal.signal(signal.SIGINT, signal.SIG_DFL)\n\
         os.execv(sys.argv[1], sys.argv[1:])",
    ])
    .arg(bin())
    .args(args);
    without_overrides(&mut c);
    c
}

/// `proctor ARGS` with SIGINT ignored, as `cmd &` in a script starts it.
fn with_ignored_sigint(args: &[String]) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", "trap '' INT; exec \"$0\" \"$@\""])
        .arg(bin())
        .args(args);
    without_overrides(&mut c);
    c
}

fn spawn_piped(cmd: &mut Command) -> Reaped {
    Reaped::spawn(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
}

/// `--proc-root`/`--sys-root` of v1-basic, then `args`.
fn on_fixture(args: &[&str]) -> Vec<String> {
    let mut v = root_args(&fixture("v1-basic")).to_vec();
    v.extend(args.iter().map(|s| s.to_string()));
    v
}

/// The fixture's stat file of PID 4242: held open once the first scan of
/// a sampling run is done (its files are kept for the second scan).
fn fixture_stat() -> PathBuf {
    fixture("v1-basic")
        .join("proc/4242/stat")
        .canonicalize()
        .expect("fixture stat")
}

fn sigint(pid: i32) {
    let pid = rustix::process::Pid::from_raw(pid).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("send SIGINT");
}

/// Send SIGINT once the first scan is done, then collect the output;
/// returns it and the time from the signal to the exit.
fn interrupt_after_first_scan(child: &mut Reaped, what: &str) -> (Output, Duration) {
    wait_until_held_open(&mut child.0, &fixture_stat(), what);
    let sent = Instant::now();
    sigint(child.pid());
    let o = output_within(&mut child.0, RUN_LIMIT, what);
    (o, sent.elapsed())
}

/// Ctrl-C during `doctor --sample 30s` stopped it by the default action
/// (killed by SIGINT, no report); now it reports the one scan it has,
/// says growth was not measured, and exits 130 promptly.
#[test]
fn ctrl_c_during_doctor_sample_reports_the_first_scan() {
    let mut c = spawn_piped(&mut with_default_sigint(&on_fixture(&[
        "doctor", "--sample", "30s",
    ])));
    let (o, took) = interrupt_after_first_scan(&mut c, "doctor --sample 30s");
    assert_eq!(o.status.code(), Some(130), "{:?} {}", o.status, stderr(&o));
    assert!(took < PROMPT, "took {took:?} to stop");
    let out = stdout(&o);
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Interrupted after ")
            && first.contains(
                "of the 30s sample: one scan only, growth (fast growers) was not measured"
            ),
        "{out}"
    );
    // The report on the first scan follows: the fixture's 4 processes.
    assert!(out.contains("proctor doctor: "), "{out}");
    assert!(out.contains(" on 4 processes"), "{out}");
    assert!(o.stderr.is_empty(), "{}", stderr(&o));

    // JSON: the same report, marked.
    let mut c = spawn_piped(&mut with_default_sigint(&on_fixture(&[
        "doctor", "--json", "--sample", "30s",
    ])));
    let (o, took) = interrupt_after_first_scan(&mut c, "doctor --json --sample 30s");
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(took < PROMPT, "took {took:?} to stop");
    let v = common::json(&o);
    assert_eq!(v["interrupted"]["growth_measured"], false, "{v}");
    assert_eq!(v["interrupted"]["sample_seconds"], 30.0, "{v}");
    let after = v["interrupted"]["after_seconds"].as_f64().expect("after");
    assert!((0.0..30.0).contains(&after), "{v}");
    assert!(v["host"]["sampled_seconds"].is_null(), "{v}");
    assert_eq!(v["host"]["processes"], 4, "{v}");
    assert!(v["findings"].is_array(), "{v}");
}

/// Ctrl-C during `top --once --sample 30s`: the one scan, with lifetime
/// averages, said so, and 130.
#[test]
fn ctrl_c_during_top_sample_prints_the_first_scan() {
    let mut c = spawn_piped(&mut with_default_sigint(&on_fixture(&[
        "top", "--once", "--sample", "30s", "--sort", "pid",
    ])));
    let (o, took) = interrupt_after_first_scan(&mut c, "top --once --sample 30s");
    assert_eq!(o.status.code(), Some(130), "{:?} {}", o.status, stderr(&o));
    assert!(took < PROMPT, "took {took:?} to stop");
    let out = stdout(&o);
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Interrupted after ")
            && first.contains("of the 30s sample: one scan only, so CPU% and CSW/s are averages since each process started"),
        "{out}"
    );
    assert!(out.contains("4242"), "{out}");
    assert!(
        out.contains("CPU% and CSW/s are averages since each process started"),
        "footer: {out}"
    );
    assert!(o.stderr.is_empty(), "{}", stderr(&o));

    let mut c = spawn_piped(&mut with_default_sigint(&on_fixture(&[
        "top", "--once", "--json", "--sample", "30s",
    ])));
    let (o, took) = interrupt_after_first_scan(&mut c, "top --once --json --sample 30s");
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(took < PROMPT, "took {took:?} to stop");
    let rows = common::json(&o);
    let rows = rows.as_array().expect("array of rows");
    let mut pids: Vec<i64> = rows.iter().filter_map(|r| r["pid"].as_i64()).collect();
    pids.sort_unstable();
    assert_eq!(pids, [1, 2, 4242, 4300]);
    assert!(
        rows.iter().all(|r| r["rates_over_seconds"].is_null()),
        "lifetime averages: {rows:?}"
    );
    let e = stderr(&o);
    assert!(
        e.starts_with("error: interrupted after ") && e.contains("hint: "),
        "{e}"
    );
}

/// A background job of a non-interactive shell ignores SIGINT: a SIGINT
/// sent to it is ignored and the command completes normally. `watch`
/// installed its handler over the ignored disposition and stopped (130).
#[test]
fn ignored_sigint_stays_ignored() {
    // doctor: the whole sample, no "interrupted".
    let mut c = spawn_piped(&mut with_ignored_sigint(&on_fixture(&[
        "doctor", "--json", "--sample", "2s",
    ])));
    let (o, _) = interrupt_after_first_scan(&mut c, "doctor --sample 2s, SIGINT ignored");
    let v = common::json(&o);
    assert_eq!(
        o.status.code(),
        Some(common::expected_code(&v)),
        "{}",
        stderr(&o)
    );
    assert!(v.get("interrupted").is_none(), "{v}");
    let secs = v["host"]["sampled_seconds"].as_f64().expect("sampled");
    assert!(secs >= 1.95, "sampled {secs}s");

    // top: rates over the whole sample.
    let mut c = spawn_piped(&mut with_ignored_sigint(&on_fixture(&[
        "top", "--once", "--json", "--sample", "2s",
    ])));
    let (o, _) = interrupt_after_first_scan(&mut c, "top --sample 2s, SIGINT ignored");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = common::json(&o);
    for r in rows.as_array().expect("rows") {
        let over = r["rates_over_seconds"].as_f64().expect("rates over");
        assert!(over >= 1.95, "{r}");
    }

    // watch: to the end of its duration.
    let sleeper = Reaped::spawn(
        Command::new("sleep")
            .arg("120")
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    let pid = sleeper.pid().to_string();
    let args: Vec<String> = [
        "watch",
        &pid,
        "--interval",
        "100ms",
        "--duration",
        "2s",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut w = Reaped::spawn(
        with_ignored_sigint(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    );
    let (first_sample, rest) = read_first_line(&mut w.0);
    assert!(
        first_sample.contains("\"type\":\"sample\""),
        "{first_sample}"
    );
    sigint(w.pid());
    let status = common::wait_exit(&mut w.0, RUN_LIMIT, "watch with SIGINT ignored");
    // Not interrupted (130): it ran its 2 s, judged (0) or, on a loaded
    // machine, with too few samples to judge (3).
    assert!(matches!(status.code(), Some(0 | 3)), "{status:?}");
    let out = rest.join().expect("stdout reader");
    let verdict: Value = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "verdict")
        .unwrap_or_else(|| panic!("no verdict: {out}"));
    assert_eq!(verdict["ended"]["how"], "duration", "{verdict}");
}

/// The first stdout line of a child, and a thread reading the rest (so
/// the child never blocks on a full pipe).
fn read_first_line(child: &mut Child) -> (String, std::thread::JoinHandle<String>) {
    use std::io::BufRead;
    let out = child.stdout.take().expect("piped stdout");
    let mut r = std::io::BufReader::new(out);
    let mut line = String::new();
    r.read_line(&mut line).expect("read a line");
    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut r, &mut rest);
        rest
    });
    (line, rest)
}

/// `top --once` ranked its own process first at 200-300% CPU (its
/// scanning over its few milliseconds of life): proctor never lists
/// itself, and no row's CPU% exceeds 100% per thread.
#[test]
fn top_once_never_lists_itself() {
    for _ in 0..5 {
        let mut child = proctor_cmd(["top", "--once", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let me = i64::from(child.id());
        let o = output_within(&mut child, RUN_LIMIT, "top --once --json");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let rows = common::json(&o);
        let rows = rows.as_array().expect("rows");
        assert!(!rows.is_empty());
        assert!(
            rows.iter().all(|r| r["pid"].as_i64() != Some(me)),
            "proctor {me} lists itself"
        );
        for r in rows {
            if let (Some(cpu), Some(thr)) = (r["cpu_percent"].as_f64(), r["threads"].as_f64()) {
                assert!(cpu <= 100.0 * thr.max(1.0) + 0.01, "{r}");
            }
        }
    }
}

/// `n` idle children whose command line is `marker 600` (`sleep` with its
/// argv[0] set), killed and reaped on drop.
fn marked_sleepers(marker: &str, n: usize) -> Vec<Reaped> {
    (0..n)
        .map(|_| {
            Reaped::spawn(
                Command::new("sleep")
                    .arg0(marker)
                    .arg("600")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )
        })
        .collect()
}

/// Wait (bounded) until every child shows `marker` as its command line
/// (after exec).
fn wait_marked(children: &[Reaped], marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for c in children {
        let want = format!("{marker}\0600\0");
        while std::fs::read(format!("/proc/{}/cmdline", c.pid())).unwrap_or_default()
            != want.as_bytes()
        {
            assert!(Instant::now() < deadline, "child {} never exec'd", c.pid());
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Under a descriptor limit of 16 (soft and hard), `top --sample` showed 3
/// of 120 processes (its keep-open budget counted processes, 5 files each
/// on top of what a read holds at once, and the rest failed with EMFILE):
/// the budget counts files, and every process is shown, fully read.
#[test]
fn low_descriptor_limit_shows_every_process() {
    let m = common::marker("proctor-timing-lowfd");
    let kids = marked_sleepers(&m, 120);
    wait_marked(&kids, &m);
    let o = run_bounded(
        without_overrides(&mut Command::new("sh"))
            .args(["-c", "ulimit -n 16 && exec \"$0\" \"$@\""])
            .arg(bin())
            .args(["top", "--once", "--json", "--sample", "1s", "--filter", &m]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = common::json(&o);
    let rows = rows.as_array().expect("rows");
    let mut seen: Vec<i64> = rows.iter().filter_map(|r| r["pid"].as_i64()).collect();
    seen.sort_unstable();
    let mut want: Vec<i64> = kids.iter().map(|k| i64::from(k.pid())).collect();
    want.sort_unstable();
    assert_eq!(seen, want, "{} of 120 shown", seen.len());
    for r in rows {
        assert_eq!(r["unavailable"], serde_json::json!([]), "{r}");
        assert!(r["fds"].as_u64().is_some(), "{r}");
        assert!(r["fd_soft_limit"].as_u64().is_some(), "{r}");
        assert!(r["rates_over_seconds"].as_f64().is_some(), "{r}");
    }
}

/// The same in the interactive view: it showed 2 of 120 processes under a
/// limit of 16.
#[test]
fn tui_under_a_low_descriptor_limit_shows_every_process() {
    let m = common::marker("proctor-timing-tui");
    let kids = marked_sleepers(&m, 120);
    wait_marked(&kids, &m);
    // The marker is put together by the shell: the shell's own command
    // line (the tmux pane's) must not match the filter.
    let (head, tail) = m.split_at(8);
    let cmd = format!(
        "M={head}; M=${{M}}{tail}; ulimit -n 16 && '{}' top --interval 300ms --filter \"$M\"; echo EXIT=$?; sleep 60",
        bin()
    );
    let t = Tmux::start("lowfd", 200, 50, &cmd).expect("needs tmux (installed on CI)");
    // Two refreshes after the first frame: the kept-open scans.
    let screen = t.wait("every process shown", Duration::from_secs(30), |s| {
        s.contains(&format!("filter: {m} (120 shown)")) && s.contains("rates over")
    });
    assert!(!screen.contains("unreadable"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", Duration::from_secs(10));
}

/// A fixture copy where PID 4300's stat is malformed: listed, but not
/// identified (one unreadable process).
fn fixture_with_unreadable() -> common::TempDir {
    let t = common::fixture_copy("v1-basic");
    std::fs::write(t.path().join("proc/4300/stat"), b"garbage\n").expect("write stat");
    t
}

/// The TUI's header never said how many processes were unreadable (the
/// one-off table's footer did): now "N more unreadable (not shown)".
#[test]
fn tui_header_counts_unreadable_processes() {
    let t = fixture_with_unreadable();
    let root = root_args(t.path()).join(" ");
    let cmd = format!(
        "'{}' {root} top --interval 300ms; echo EXIT=$?; sleep 60",
        bin()
    );
    let tm = Tmux::start("unreadable", 160, 40, &cmd).expect("needs tmux (installed on CI)");
    let screen = tm.wait_for("1 more unreadable (not shown)", Duration::from_secs(20));
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("Tasks 3, ") && l.contains("; 1 more unreadable (not shown)")),
        "{screen}"
    );
    tm.keys(&["q"]);
    tm.wait_for("EXIT=0", Duration::from_secs(10));
    // The one-off table says it in its footer, as before.
    let o = common::proctor_at(t.path(), &["top", "--once"]);
    assert!(stdout(&o).contains("1 unreadable"), "{}", stdout(&o));
}

/// A boot time past what SystemTime holds (a crafted `--proc-root`) made
/// `inspect` panic (exit 101: overflow adding a Duration to a SystemTime),
/// and one past the year 9999 could not be formatted: the start time is
/// then null, nothing panics.
#[test]
fn hostile_boot_time_is_not_a_panic() {
    let t = common::fixture_copy("v1-basic");
    let stat = t.path().join("proc/stat");
    for btime in ["18446744073709551615", "253402300800"] {
        let text = std::fs::read_to_string(&stat).expect("read stat");
        let line = text
            .lines()
            .find(|l| l.starts_with("btime "))
            .expect("btime line")
            .to_string();
        common::replace_in_file(&stat, &line, &format!("btime {btime}"));
        let o = common::proctor_at(t.path(), &["inspect", "4242", "--json"]);
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
        let v = common::json(&o);
        assert!(v["start_time"].is_null(), "btime {btime}: {v}");
    }
}
