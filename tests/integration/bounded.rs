//! Bounded reads (issue 9, items 1, 3, 9 and the sibling-shell point of 8):
//! a 1 GiB command line and environment, 20,000 descriptors, connections
//! and mappings, a descriptor path past PATH_MAX, a crafted --proc-root
//! with a FIFO and /dev/zero, and a pipeline's forked shell.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{
    TempDir, bin, fixture_copy, helper_path, json, marker, output_within, python_helper,
    ready_numbers, real_python, root_args, run_bounded, stderr, stdout, temp_str,
    without_overrides,
};

/// The memory promise: every command stays below this, whatever the
/// target holds.
const MEMORY_LIMIT_KIB: u64 = 64 * 1024;

/// One proctor run, measured: its output and its peak RSS in KiB (wait4's
/// ru_maxrss, through tests/helpers/bounded_maxrss.py).
struct Measured {
    out: std::process::Output,
    max_rss_kib: u64,
}

fn measured(args: &[&str]) -> Measured {
    let t = TempDir::new("maxrss");
    let report = t.path().join("rusage");
    let mut cmd = Command::new(real_python());
    cmd.arg(helper_path("bounded_maxrss.py"))
        .arg(&report)
        .arg(bin())
        .args(args);
    without_overrides(&mut cmd);
    let out = run_bounded(&mut cmd);
    let text = std::fs::read_to_string(&report).expect("rusage report");
    let v: Vec<i64> = text
        .split_whitespace()
        .map(|s| s.parse().expect("number"))
        .collect();
    assert!(
        v[1] >= 0,
        "proctor {args:?} was killed by signal {} (a hang is killed after 50 s)",
        -v[1]
    );
    assert_eq!(
        v[1],
        i64::from(out.status.code().unwrap_or(-1)),
        "exit code of proctor {args:?}: {text}"
    );
    Measured {
        out,
        max_rss_kib: v[0] as u64,
    }
}

/// Run, check the exit code is one of `codes` and the peak RSS is below
/// the limit; return stdout.
fn bounded_run(args: &[&str], codes: &[i32]) -> String {
    let m = measured(args);
    let code = m.out.status.code().unwrap_or(-1);
    assert!(
        codes.contains(&code),
        "proctor {args:?} exited {code}: {}",
        stderr(&m.out)
    );
    assert!(
        m.max_rss_kib < MEMORY_LIMIT_KIB,
        "proctor {args:?} peaked at {} KiB (limit {MEMORY_LIMIT_KIB} KiB)",
        m.max_rss_kib
    );
    stdout(&m.out)
}

/// A python3 helper started by the real interpreter (no pyenv shim between:
/// the shim's own command line would carry the marker too).
fn real_helper(script: &str, args: &[&str]) -> (crate::common::Reaped, String) {
    crate::common::spawn_ready(
        Command::new(real_python())
            .arg(helper_path(script))
            .args(args)
            .stderr(Stdio::null()),
    )
}

#[test]
fn a_one_gib_command_line_and_environment_cost_proctor_nothing() {
    let name = marker("huge-args");
    let (child, line) = real_helper("bounded_huge.py", &[&name, "1024"]);
    assert!(
        line.starts_with("READY"),
        "the kernel refused PR_SET_MM_MAP here: {line}"
    );
    let sizes = ready_numbers(&line, 2);
    assert_eq!(sizes, vec![1 << 30, 1 << 30]);
    let pid = child.pid().to_string();

    let human = bounded_run(&["inspect", &pid], &[0, 1]);
    assert!(
        human.contains("[command line truncated at 64.0 KiB of 1.00 GiB]"),
        "{human}"
    );
    assert!(
        human.contains(&format!("Command       {name} ''x")),
        "{human}"
    );
    assert!(
        human.contains("at least 1 variable [environment truncated at 256 KiB of 1.00 GiB]"),
        "{human}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&bounded_run(&["inspect", &pid, "--json"], &[0, 1])).expect("json");
    assert_eq!(v["cmdline_truncated"]["shown_bytes"], 64 * 1024);
    assert_eq!(v["cmdline_truncated"]["total_bytes"], 1u64 << 30);
    assert_eq!(v["environment"]["truncated"]["shown_bytes"], 256 * 1024);
    assert_eq!(v["environment"]["truncated"]["total_bytes"], 1u64 << 30);
    assert_eq!(v["environment"]["count"], 1);
    assert_eq!(v["cmdline"][0], name.as_str());

    // By name: the marker is only in the helper's (huge) command line.
    let by_name = bounded_run(&["inspect", &name, "--json"], &[0, 1]);
    let v: serde_json::Value = serde_json::from_str(&by_name).expect("json");
    assert_eq!(v["pid"], child.pid());
    for cmd in ["fds", "threads"] {
        let out = bounded_run(&[cmd, &name], &[0]);
        assert!(out.contains(&format!("proctor {cmd} {pid} ")), "{out}");
    }
    let none = measured(&["inspect", "no-such-name-bounded-zz"]);
    assert_eq!(none.out.status.code(), Some(2));
    assert!(none.max_rss_kib < MEMORY_LIMIT_KIB, "{}", none.max_rss_kib);

    let env = bounded_run(&["env", &pid], &[0]);
    assert!(
        env.contains("# environment truncated at 256 KiB of 1.00 GiB"),
        "{env}"
    );
    assert!(env.contains(&format!("HUGE_MARKER={name}")), "{env}");
    let v: serde_json::Value =
        serde_json::from_str(&bounded_run(&["env", &pid, "--json"], &[0])).expect("json");
    assert_eq!(v["truncated"]["shown_bytes"], 256 * 1024);
    assert_eq!(v["truncated"]["total_bytes"], 1u64 << 30);

    let top = bounded_run(&["top", "--once", "--json"], &[0]);
    let rows: serde_json::Value = serde_json::from_str(&top).expect("json");
    let row = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r["pid"] == child.pid()))
        .expect("helper in top");
    assert_eq!(row["cmdline_truncated"], true);
    // 3: a host may hold a process root cannot fully read (a sandbox's
    // PID 1): checks incomplete, which is not what this test is about.
    bounded_run(&["doctor"], &[0, 1, 3]);
    drop(child);
}

/// min(20,000, hard RLIMIT_NOFILE - 100): what a holder may open here.
fn descriptor_target() -> u64 {
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).expect("getrlimit");
    hard.saturating_sub(100).min(20_000)
}

#[test]
fn twenty_thousand_descriptors_and_connections_stay_below_64_mib() {
    let want = descriptor_target();
    let (child, line) = python_helper_at(
        "bench/fd-holder.py",
        &["--max", &want.to_string(), "--setup-timeout", "120"],
    );
    let n = ready_numbers(&line, 2)[1] as u64;
    assert!(n + 200 >= want, "holder opened {n} of {want}: {line}");
    let pid = child.pid().to_string();
    let fds = bounded_run(&["fds", &pid, "--json"], &[0]);
    let v: serde_json::Value = serde_json::from_str(&fds).expect("json");
    assert!(v["count"].as_u64().unwrap_or(0) + 5 >= n, "{}", v["count"]);
    let net = bounded_run(&["net", &pid, "--json"], &[0]);
    let v: serde_json::Value = serde_json::from_str(&net).expect("json");
    let sockets = v["sockets"].as_array().map_or(0, Vec::len) as u64;
    assert!(sockets + 200 >= n, "{sockets} sockets of {n} descriptors");
    bounded_run(&["inspect", &pid], &[0, 1]);
    drop(child);
}

#[test]
fn twenty_thousand_mappings_stay_below_64_mib() {
    let (child, line) = python_helper_at("bench/maps-holder.py", &[]);
    assert!(line.starts_with("READY"), "{line}");
    let pid = child.pid().to_string();
    let maps = bounded_run(&["maps", &pid, "--json"], &[0]);
    let v: serde_json::Value = serde_json::from_str(&maps).expect("json");
    let count = v["count"]
        .as_u64()
        .or_else(|| v["mappings"].as_array().map(|a| a.len() as u64))
        .unwrap_or(0);
    assert!(count >= 19_000, "{count} mappings");
    bounded_run(&["inspect", &pid], &[0, 1]);
    drop(child);
}

#[test]
fn twenty_thousand_mappings_of_a_long_path_stay_below_64_mib() {
    // Kept whole, 20,000 copies of a 3,800-byte path cost `maps` 170 MB.
    let max_map_count: u64 = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .expect("vm.max_map_count");
    let count = 20_000.min(max_map_count.saturating_sub(1000));
    let base = TempDir::new("deepmaps");
    let (child, line) = python_helper(
        "bounded_deepmaps.py",
        &[temp_str(&base), &count.to_string()],
    );
    let n = ready_numbers(&line, 1)[0] as u64;
    assert!(n >= count, "{n} mappings");
    let pid = child.pid().to_string();
    let human = bounded_run(&["maps", &pid], &[0]);
    assert!(human.contains("…"), "no shortened path");
    let v: serde_json::Value =
        serde_json::from_str(&bounded_run(&["maps", &pid, "--json"], &[0])).expect("json");
    let longest = v["mappings"]
        .as_array()
        .expect("mappings")
        .iter()
        .filter_map(|m| m["path"].as_str())
        .map(str::len)
        .max()
        .unwrap_or(0);
    // 256 bytes, the ellipsis counted as its 3 UTF-8 bytes.
    assert_eq!(longest, 256, "longest path kept");
    drop(child);
}

#[test]
fn twenty_thousand_descriptors_of_a_long_path_stay_below_64_mib() {
    let count = descriptor_target();
    let base = TempDir::new("deepfds");
    let (child, line) = python_helper(
        "bounded_deepmaps.py",
        &[temp_str(&base), &count.to_string(), "fds"],
    );
    let n = ready_numbers(&line, 1)[0] as u64;
    assert!(n >= count, "{n} descriptors of {count}");
    let pid = child.pid().to_string();
    let v: serde_json::Value =
        serde_json::from_str(&bounded_run(&["fds", &pid, "--json"], &[0])).expect("json");
    assert!(v["count"].as_u64().unwrap_or(0) >= count, "{}", v["count"]);
    let rows = v["fds"].as_array().expect("rows");
    let long = rows
        .iter()
        .filter_map(|r| r["target"].as_str())
        .filter(|t| t.contains('…'))
        .count() as u64;
    assert!(long >= count, "{long} shortened links");
    assert!(
        rows.iter()
            .all(|r| r["target"].as_str().map_or(0, str::len) <= 256)
    );
    bounded_run(&["inspect", &pid], &[0, 1]);
    bounded_run(&["net", &pid], &[0]);
    drop(child);
}

/// A script from the repository (bench/), run by the real interpreter.
fn python_helper_at(rel: &str, args: &[&str]) -> (crate::common::Reaped, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    crate::common::spawn_ready(
        Command::new(real_python())
            .arg(path)
            .args(args)
            .stderr(Stdio::null()),
    )
}

#[test]
fn one_path_past_path_max_is_one_unreadable_row_not_a_lost_section() {
    let base = TempDir::new("longpath");
    let (child, line) = python_helper("bounded_longpath.py", &[temp_str(&base), "100", "30"]);
    let v = ready_numbers(&line, 4);
    let (soft, held, long_fd) = (v[0], v[1], v[2]);
    assert_eq!((soft, held), (100, 98));
    let pid = child.pid().to_string();

    let o = crate::common::proctor(&["inspect", &pid, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json(&o);
    let ids: Vec<&str> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(ids.contains(&"fds.near_limit"), "{ids:?}");
    assert!(ids.contains(&"sockets.close_wait"), "{ids:?}");
    assert_eq!(r["fds"]["count"], 98);
    assert_eq!(r["fds"]["unreadable"], 1);
    assert_eq!(r["fds"]["by_type"]["unreadable"], 1);
    assert_eq!(r["sockets"]["close_wait"], 30);
    let un = r["unavailable"].as_array().expect("unavailable");
    assert!(
        un.iter()
            .any(|u| u["section"] == "fd_links" && u["reason"] == "io_error"),
        "{un:?}"
    );
    assert!(!un.iter().any(|u| u["section"] == "fds"), "{un:?}");

    let o = crate::common::proctor(&["net", &pid]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.matches("CLOSE_WAIT").count() >= 30, "{text}");

    let o = crate::common::proctor(&["fds", &pid, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let f = json(&o);
    let row = f["fds"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["fd"] == long_fd)
        .expect("the long descriptor's row")
        .clone();
    assert_eq!(row["type"], "unreadable");
    assert!(
        row["error"]
            .as_str()
            .is_some_and(|e| e.contains("File name too long")),
        "{row}"
    );

    // watch's sampler: the sockets and CLOSE_WAIT count despite the row.
    let o = crate::common::proctor(&[
        "watch",
        &pid,
        "--duration",
        "1s",
        "--interval",
        "200ms",
        "--metrics",
        "close_wait,sockets",
        "--json",
    ]);
    let samples: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v["type"] == "sample")
        .collect();
    assert!(
        samples
            .iter()
            .any(|v| v["close_wait"] == 30 && v["sockets"] == 31),
        "{}",
        stdout(&o)
    );

    let o = crate::common::proctor(&["doctor", "--json"]);
    let d = json(&o);
    let mine: Vec<&str> = d["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["pid"] == child.pid())
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(mine.contains(&"sockets.close_wait"), "{mine:?}");
    assert!(mine.contains(&"fds.near_limit"), "{mine:?}");
    drop(child);
}

/// proctor on a fixture tree with `args`, bounded in time (a hang fails
/// the test instead of blocking it) and measured.
fn at_tree(root: &Path, args: &[&str]) -> Measured {
    let r = root_args(root);
    let mut all: Vec<&str> = r.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    measured(&all)
}

#[test]
fn a_fifo_or_dev_zero_in_a_crafted_proc_root_is_a_clear_error_never_a_hang() {
    let t = fixture_copy("v1-basic");
    let p = t.path().join("proc");
    let pid = p.join("4242");
    let mkfifo = |path: &Path| {
        let _ = std::fs::remove_file(path);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
    };
    let zero = |path: &Path| {
        let _ = std::fs::remove_file(path);
        std::os::unix::fs::symlink("/dev/zero", path).expect("symlink");
    };
    mkfifo(&pid.join("status"));
    mkfifo(&pid.join("environ"));
    zero(&pid.join("cmdline"));
    zero(&p.join("meminfo"));
    // A huge sparse regular file: read only up to the caps.
    let f = std::fs::File::create(pid.join("io")).expect("io");
    f.set_len(8 << 30).expect("sparse file");

    let m = at_tree(t.path(), &["inspect", "4242", "--json"]);
    assert!(m.max_rss_kib < MEMORY_LIMIT_KIB, "{}", m.max_rss_kib);
    let r = json(&m.out);
    let un = r["unavailable"].as_array().expect("unavailable");
    let detail = |section: &str| {
        un.iter()
            .find(|u| u["section"] == section)
            .and_then(|u| u["detail"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        detail("status").contains("a FIFO, not a regular file"),
        "{un:?}"
    );
    assert!(
        detail("cmdline").contains("a character device, not a regular file"),
        "{un:?}"
    );
    assert!(detail("environment").contains("a FIFO"), "{un:?}");
    assert!(detail("io").contains("longer than"), "{un:?}");
    assert!(r["cmdline"].is_null());

    let m = at_tree(t.path(), &["env", "4242"]);
    assert_eq!(m.out.status.code(), Some(2));
    let e = stderr(&m.out);
    assert!(e.contains("environ: a FIFO, not a regular file"), "{e}");

    for args in [
        &["top", "--once"][..],
        &["doctor"],
        &["fds", "4242"],
        &["threads", "4242"],
        &["inspect", "python3.11"],
        &["net", "4242"],
    ] {
        let m = at_tree(t.path(), args);
        let code = m.out.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "{args:?}: {code:?} {}",
            stderr(&m.out)
        );
        assert!(!stderr(&m.out).contains("panicked"), "{args:?}");
        assert!(
            m.max_rss_kib < MEMORY_LIMIT_KIB,
            "{args:?}: {}",
            m.max_rss_kib
        );
    }
    // The FIFO's reader never blocked: top saw the process, without a user.
    let m = at_tree(t.path(), &["top", "--once", "--json"]);
    let rows = json(&m.out);
    let row = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r["pid"] == 4242))
        .expect("4242 in top")
        .clone();
    assert!(row["user"].is_null() && row["cmdline"].is_null(), "{row}");
}

#[test]
fn a_pipelines_forked_shell_is_never_the_target() {
    // `(proctor inspect NAME; ...) | cat`: the shell forks a copy of itself
    // for each side of the pipe; until the right side exec's cat, that copy
    // carries NAME in its command line and is no ancestor of proctor.
    let name = format!("only-in-the-shell-{}", std::process::id());
    for run in 0..50 {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!(
                "('{}' inspect {name} --json; echo RC=$? >&2) | cat",
                bin()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        without_overrides(&mut cmd);
        let mut child = cmd.spawn().expect("sh");
        let o = output_within(&mut child, Duration::from_secs(60), "sh pipeline");
        let e = stderr(&o);
        assert!(
            e.contains(&format!("no process matches '{name}'")) && e.ends_with("RC=2\n"),
            "run {run}: {e}\nstdout: {}",
            stdout(&o)
        );
        assert!(o.stdout.is_empty(), "run {run}: {}", stdout(&o));
    }
}

#[test]
fn a_forked_shell_that_waits_before_exec_is_never_the_target() {
    // The same race made certain: the right side of the pipe is a subshell
    // that sleeps before it exec's cat, so a copy of the shell with NAME
    // in its command line is alive while proctor looks (unless proctor
    // takes longer than 2 s, when the test checks nothing more).
    let name = format!("only-in-the-slow-shell-{}", std::process::id());
    for run in 0..3 {
        let o = run_bounded(Command::new("sh").arg("-c").arg(format!(
            "('{}' inspect {name} --json; echo RC=$? >&2) | (sleep 2; cat)",
            bin()
        )));
        let e = stderr(&o);
        assert!(
            e.contains(&format!("no process matches '{name}'")) && e.ends_with("RC=2\n"),
            "run {run}: {e}\nstdout: {}",
            stdout(&o)
        );
    }
}

#[test]
fn a_background_job_in_proctors_process_group_is_still_found() {
    // The same process group is not enough to be excluded: a script's
    // background job is a legitimate target.
    let name = marker("bg-job");
    let python = real_python();
    let o = run_bounded(Command::new("sh").arg("-c").arg(format!(
        "'{}' -c 'import time; time.sleep(30)' {name} & pid=$!; \
         i=0; while ! grep -q {name} /proc/$pid/cmdline 2>/dev/null && [ $i -lt 500 ]; do i=$((i+1)); sleep 0.01; done; \
         '{}' inspect {name} --json; rc=$?; kill $pid; wait $pid; echo RC=$rc $pid >&2",
        python.display(),
        bin()
    )));
    let e = stderr(&o);
    let pid: i64 = e
        .trim_end()
        .rsplit(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("pid line");
    assert!(e.contains("RC=0") || e.contains("RC=1"), "{e}");
    assert_eq!(json(&o)["pid"], pid, "{e}");
}
