//! Issue 9, items 4 and 5: results that do not hide trouble.
//! - Checks that could hide a problem and did not run make the result
//!   incomplete: a first line, `incomplete` in JSON, exit 3 (1 still wins
//!   when a problem was found; nothing judged at all is exit 2). Run as an
//!   unprivileged uid of the test's own on a private procfs mounted with
//!   hidepid, with proctor's own descriptor limit lowered, as nobody
//!   against a root process, and with watches too short to judge.
//! - Values that do not parse are `parse_error` in `unavailable` (`?` in
//!   the human report), never "does not apply", and arithmetic on kernel
//!   numbers never wraps: fixture trees with such values, driven through
//!   the debug binary (a wrap would panic there, exit 101).

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{
    Nobody, Reaped, TempDir, bin, fixture_copy, json, proctor, proctor_at, python_helper,
    ready_numbers, replace_in_file, run_bounded, set_stat_field, stderr, stdout, which,
};

/// The binary copied where `nobody` can run it (the build tree may not
/// be readable by it). Needs root and runuser: this suite runs as root.
fn nobody() -> Nobody {
    Nobody::new().expect("needs root and runuser (the test suite runs as root)")
}

/// A copy of the binary that `nobody` can run (the build tree may not be
/// readable by it), in a world-readable temp dir removed on drop.
fn nobody_copy() -> (TempDir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("honesty-bin");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod dir");
    let b = dir.path().join("proctor");
    std::fs::copy(bin(), &b).expect("copy binary");
    std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o755)).expect("chmod bin");
    (dir, b)
}

/// An unprivileged uid that no other process uses (unlike `nobody`,
/// which other tests and services run as): the hidepid tests count what
/// this uid can see. Derived from the test process's PID.
fn own_uid() -> u32 {
    // One uid per call, not per test binary: tests run in parallel, and
    // under hidepid=2 a test's proctor must not see another test's proctor
    // of the same uid (doctor then judged it and exited 3, not 2).
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    61_000 + (std::process::id().wrapping_mul(16).wrapping_add(n)) % 4_000
}

/// Run `script` (sh) as root in a private mount namespace where a fresh
/// procfs is mounted at a temp dir with `opts`; the mount goes away with
/// the namespace when the command ends. `$1` is a proctor binary any user
/// can run, `$2` the mount point (returned, for messages); the shell
/// function `asuser` runs a command as [`own_uid`].
fn in_private_procfs(opts: &str, script: &str) -> (Output, TempDir) {
    use std::os::unix::fs::PermissionsExt;
    let unshare = which("unshare").expect("needs unshare (util-linux)");
    assert!(which("setpriv").is_some(), "needs setpriv (util-linux)");
    assert!(
        crate::common::is_root(),
        "needs root (the test suite runs as root)"
    );
    let (_bin_dir, bin_copy) = nobody_copy();
    let dir = TempDir::new("hidepid");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod mount point");
    // `asuser CMD...`: CMD as a uid of this test's own (see `own_uid`),
    // so that no other process on the host belongs to it.
    let uid = own_uid();
    // Everything runs in a memory cgroup of its own (`$3`): what doctor
    // judges of the processes it sees never depends on the OOM kills in
    // the test runner's cgroup.
    let cg = crate::common::MemCgroupV1::own("honesty-procfs")
        .expect("needs a writable v1 memory cgroup");
    let body = format!(
        "echo $$ > \"$3\" || exit 96\n\
         asuser() {{ setpriv --reuid={uid} --regid={uid} --clear-groups -- \"$@\"; }}\n\
         mount -t proc -o {opts} proc \"$2\" || exit 97\n{script}"
    );
    let o = run_bounded(
        Command::new(unshare)
            .args(["-m", "--propagation", "private", "sh", "-c", &body, "sh"])
            .arg(&bin_copy)
            .arg(dir.path())
            .arg(cg.procs())
            .env_remove("PROCTOR_PROC_ROOT")
            .env_remove("PROCTOR_SYS_ROOT")
            .env_remove("NO_COLOR")
            .current_dir("/")
            .stdin(Stdio::null()),
    );
    assert_ne!(o.status.code(), Some(96), "cgroup: {}", stderr(&o));
    assert_ne!(o.status.code(), Some(97), "mount failed: {}", stderr(&o));
    (o, dir)
}

/// Lines of text output.
fn first_lines(o: &Output, n: usize) -> String {
    stdout(o).lines().take(n).collect::<Vec<_>>().join("\n")
}

// ---- item 4: hidepid ----

#[test]
fn doctor_under_hidepid_invisible_is_incomplete_and_says_why() {
    // The test's uid sees its own shell (kept alive as proctor's parent by the
    // `; exit` after it) and proctor; every root process is hidden.
    let (o, dir) = in_private_procfs(
        "hidepid=2",
        "asuser sh -c '\"$0\" --proc-root \"$1\" doctor; exit $?' \"$1\" \"$2\"",
    );
    let root = dir.path().display().to_string();
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    let head = first_lines(&o, 2);
    assert!(
        head.contains("No problems found in what could be read"),
        "{head}"
    );
    assert!(
        head.contains(&format!(
            "checks incomplete: other users' processes are hidden (hidepid=invisible is mounted on {root}: run as root)"
        )),
        "{head}"
    );

    let (o, _dir) = in_private_procfs(
        "hidepid=2,gid=4",
        "asuser sh -c '\"$0\" --proc-root \"$1\" doctor --json; exit $?' \"$1\" \"$2\"",
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v = json(&o);
    let inc = &v["incomplete"];
    assert_eq!(inc["reasons"][0]["kind"], "processes_hidden", "{inc}");
    assert_eq!(inc["cause"]["kind"], "hide_pid", "{inc}");
    assert_eq!(inc["cause"]["hidepid"], "invisible", "{inc}");
    assert_eq!(inc["cause"]["gid"], 4, "{inc}");
    assert!(
        inc["summary"]
            .as_str()
            .unwrap()
            .contains("run as root or as a member of its gid (4)"),
        "{inc}"
    );
}

#[test]
fn doctor_that_can_read_nothing_is_an_error_naming_hidepid() {
    // hidepid=1: root's processes are listed but unreadable; proctor is
    // the uid's only process (setpriv execs it), and doctor skips itself.
    let (o, dir) = in_private_procfs("hidepid=1", "asuser \"$1\" --proc-root \"$2\" doctor");
    let root = dir.path().display().to_string();
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    let e = stderr(&o);
    let mut lines = e.lines();
    let first = lines.next().unwrap_or_default();
    assert!(
        first.starts_with("error: nothing could be checked: none of the ")
            && first.ends_with(&format!(
                "processes under {root} is readable: hidepid=noaccess is mounted on {root}"
            )),
        "{e}"
    );
    assert_eq!(lines.next(), Some("hint: run as root"), "{e}");

    // hidepid=2: nothing but proctor is even listed.
    let (o, _d) = in_private_procfs(
        "hidepid=2",
        "asuser \"$1\" --proc-root \"$2\" doctor --json",
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no process under") && stderr(&o).contains("hidepid=invisible"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn top_and_target_errors_under_hidepid_say_so() {
    let (o, dir) = in_private_procfs(
        "hidepid=2",
        "asuser sh -c '\"$0\" --proc-root \"$1\" top --once; exit $?' \"$1\" \"$2\"",
    );
    let root = dir.path().display().to_string();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = stdout(&o).lines().next().unwrap_or_default().to_string();
    assert_eq!(
        first,
        format!(
            "incomplete: other users' processes are hidden (hidepid=invisible is mounted on {root}: run as root)"
        )
    );

    // JSON stays an array of rows; the note goes to stderr.
    let (o, _d) = in_private_procfs(
        "hidepid=2",
        "asuser sh -c '\"$0\" --proc-root \"$1\" top --once --json; exit $?' \"$1\" \"$2\"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(json(&o).is_array());
    assert!(
        stderr(&o)
            .starts_with("note: incomplete: other users' processes are hidden (hidepid=invisible"),
        "{}",
        stderr(&o)
    );

    // A name or PID that is only hidden is not called gone without a word.
    let (o, _d) = in_private_procfs(
        "hidepid=2",
        "asuser \"$1\" --proc-root \"$2\" inspect no-such-process-xyz; echo; asuser \"$1\" --proc-root \"$2\" inspect 1",
    );
    let e = stderr(&o);
    assert!(
        e.contains("error: no process matches 'no-such-process-xyz'"),
        "{e}"
    );
    assert!(
        e.contains("hint: other users' processes may be hidden: hidepid=invisible is mounted on"),
        "{e}"
    );
    assert!(e.contains("error: no process with PID 1"), "{e}");
    assert!(
        e.contains("be another user's process hidden from you: hidepid=invisible"),
        "{e}"
    );
}

#[test]
fn no_hidepid_no_note() {
    // The same private procfs without hidepid, and hidepid=2 seen by root
    // (exempt): no incomplete line, no note.
    for opts in ["rw", "hidepid=2"] {
        let (o, _d) = in_private_procfs(
            opts,
            "\"$1\" --proc-root \"$2\" top --once --limit 1 && \"$1\" --proc-root \"$2\" top --once --json --limit 1",
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.trim_start().starts_with("PID "), "{out}");
        assert!(!out.contains("incomplete"), "{out}");
        assert_eq!(stderr(&o), "");
    }
}

// ---- item 4: inspect ----

/// A child at 98% of its own lowered RLIMIT_NOFILE: a CRITICAL finding.
fn critical_child() -> (Reaped, i32) {
    let (c, line) = python_helper("doctor_child.py", &["nofile", "100"]);
    let n = ready_numbers(&line, 2);
    assert_eq!(n[1], 100, "{line}");
    let pid = c.pid();
    (c, pid)
}

#[test]
fn inspect_out_of_descriptors_is_proctors_error_not_a_clean_bill() {
    let (_c, pid) = critical_child();
    let pid = pid.to_string();
    // With its descriptors, inspect finds the CRITICAL finding.
    let o = proctor(&["inspect", &pid, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "fds.near_limit" && f["severity"] == "critical"),
        "{v}"
    );
    // With 5 descriptors proctor opens the process but cannot list its
    // descriptors: before, the finding silently went missing (exit 0).
    for json_flag in [false, true] {
        let mut args = vec!["--nofile=5", bin(), "inspect", &pid];
        if json_flag {
            args.push("--json");
        }
        let o = run_bounded(
            Command::new(which("prlimit").expect("needs prlimit (util-linux)"))
                .args(&args)
                .env_remove("PROCTOR_PROC_ROOT")
                .stdin(Stdio::null()),
        );
        assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
        let e = stderr(&o);
        assert!(
            e.starts_with("error: proctor ran out of file descriptors (its soft limit is 5)"),
            "{e}"
        );
        assert!(e.contains("Too many open files"), "{e}");
        assert!(
            e.contains("\nhint: raise proctor's own limit with `ulimit -n`"),
            "{e}"
        );
    }
}

#[test]
fn inspect_as_nobody_of_a_root_process_is_incomplete() {
    let c = Reaped::spawn(
        Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    crate::common::wait_exec_sleeping(c.pid(), b"sleep\x001000\x00");
    // Not the runner's cgroup: its OOM history would add a finding.
    let Some(_cg) = crate::common::in_own_memory_cgroup("honesty-inspect", c.pid()) else {
        return;
    };
    let pid = c.pid().to_string();
    let nb = nobody();
    let o = nb.run(&["inspect", &pid]);
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert!(lines[0].starts_with(&format!("proctor inspect {pid} (sleep)")));
    assert_eq!(
        lines[1],
        "checks incomplete: fds.deleted_open, sockets.close_wait, sockets.accept_queue_full did not run (fds: permission denied) (run as root to read every process)"
    );
    assert!(
        stdout(&o).contains("nothing wrong found in what could be read"),
        "{}",
        stdout(&o)
    );
    let o = nb.run(&["inspect", &pid, "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v = json(&o);
    let r = &v["incomplete"]["reasons"][0];
    assert_eq!(r["kind"], "checks_not_run", "{v}");
    assert_eq!(r["section"], "fds");
    assert_eq!(r["reason"], "permission_denied");
    assert_eq!(
        r["checks"],
        serde_json::json!([
            "fds.deleted_open",
            "sockets.close_wait",
            "sockets.accept_queue_full"
        ])
    );
    assert_eq!(v["incomplete"]["cause"]["kind"], "not_root");

    // As root, the same process is checked whole: exit 0, no field.
    let o = proctor(&["inspect", &pid, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["incomplete"], Value::Null);
}

#[test]
fn a_problem_found_wins_over_incomplete() {
    // nobody inspecting a root process at 98% of its limit: the count is
    // readable (stat of /proc/PID/fd, Linux >= 6.2) but the list is not.
    if !crate::common::kernel_at_least(6, 2) {
        panic!("needs Linux >= 6.2 (the descriptor count as the size of /proc/PID/fd)");
    }
    let (_c, pid) = critical_child();
    let o = nobody().run(&["inspect", &pid.to_string(), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert!(v["incomplete"]["reasons"].is_array(), "{v}");
    assert_eq!(v["findings"][0]["id"], "fds.near_limit", "{v}");
}

// ---- item 4: watch ----

#[test]
fn watch_that_judged_nothing_is_not_healthy() {
    let c = Reaped::spawn(
        Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    let pid = c.pid().to_string();
    // 3 samples at most (t = 0, 1, 2 s): fewer than the 8 a verdict needs.
    let o = proctor(&["watch", &pid, "--duration", "2s", "--interval", "1s"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("no leak detected"), "{out}");
    assert!(out.contains("nothing judged: no verdict"), "{out}");
    for m in ["rss", "fds", "threads", "sockets", "close_wait"] {
        assert!(
            out.lines().any(|l| l.contains(m)
                && l.contains("not judged: ")
                && l.contains("samples, needs 8")),
            "{m}: {out}"
        );
    }
    let e = stderr(&o);
    // One count for every metric, or (sockets read less often on a loaded
    // machine) each metric's own.
    assert!(
        e.starts_with("error: nothing judged: ")
            && (e.contains(" samples, a verdict needs 8\n") || e.contains(" samples, needs 8)")),
        "{e}"
    );
    assert!(e.contains("\nhint: watch longer"), "{e}");

    let o = proctor(&[
        "watch",
        &pid,
        "--duration",
        "2s",
        "--interval",
        "1s",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let last = stdout(&o).lines().last().unwrap_or_default().to_string();
    let v: Value = serde_json::from_str(&last).unwrap();
    assert_eq!(v["type"], "verdict");
    assert_eq!(v["healthy"], serde_json::json!([]));
    let reasons = v["incomplete"]["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 5, "{v}");
    assert!(
        reasons.iter().all(|r| r["kind"] == "not_judged"
            && r["needed"] == 8
            && r["samples"].as_u64() < Some(8)),
        "{v}"
    );
}

#[test]
fn watch_with_a_metric_not_judged_exits_3() {
    let c = Reaped::spawn(
        Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    crate::common::wait_exec_sleeping(c.pid(), b"sleep\x001000\x00");
    let pid = c.pid().to_string();
    // As nobody: rss (status) is readable and gets ~30 samples; sockets
    // (the descriptors of a root process) none.
    let o = nobody().run(&[
        "watch",
        &pid,
        "--metrics",
        "rss,sockets",
        "--interval",
        "100ms",
        "--duration",
        "3s",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    let last = stdout(&o).lines().last().unwrap_or_default().to_string();
    let v: Value = serde_json::from_str(&last).unwrap();
    assert_eq!(v["healthy"], serde_json::json!(["rss"]), "{v}");
    assert_eq!(v["incomplete"]["reasons"][0]["metric"], "sockets", "{v}");
    assert_eq!(v["incomplete"]["reasons"][0]["samples"], 0, "{v}");
}

// ---- item 5: values that do not parse ----

/// `v1-basic` with hostile numbers in status, stat, limits, io,
/// smaps_rollup of process 4242 (and its threads).
fn hostile_numbers() -> TempDir {
    let t = fixture_copy("v1-basic");
    let p = t.path().join("proc/4242");
    replace_in_file(&p.join("status"), "VmRSS:\t   44288 kB", "VmRSS:\tabc kB");
    replace_in_file(&p.join("status"), "VmSwap:\t       0 kB", "VmSwap:\t-5 kB");
    // Fits in u64 as kB, not as bytes; and past u64 as text.
    replace_in_file(
        &p.join("status"),
        "VmHWM:\t   77012 kB",
        "VmHWM:\t18014398509481984 kB",
    );
    // u64::MAX CPU ticks: utime + stime wrapped (a panic in a debug build).
    set_stat_field(&p.join("stat"), 14, "18446744073709551615");
    set_stat_field(&p.join("stat"), 15, "7");
    for tid in ["4242", "3164"] {
        let task = p.join("task").join(tid);
        set_stat_field(&task.join("stat"), 14, "18446744073709551615");
        set_stat_field(&task.join("stat"), 15, "9");
        let status = std::fs::read_to_string(task.join("status")).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with("voluntary_ctxt_switches:"))
            .unwrap()
            .to_string();
        replace_in_file(
            &task.join("status"),
            &line,
            "voluntary_ctxt_switches:\t18446744073709551615",
        );
    }
    replace_in_file(
        &p.join("task/3165/status"),
        "voluntary_ctxt_switches:\t1",
        "voluntary_ctxt_switches:\tabc",
    );
    replace_in_file(
        &p.join("limits"),
        "Max open files            20000                20000",
        "Max open files            -5                   20000",
    );
    replace_in_file(&p.join("io"), "syscr: 90", "syscr: 99999999999999999999999");
    replace_in_file(
        &p.join("smaps_rollup"),
        "Pss:               42532 kB",
        "Pss:               x kB",
    );
    t
}

fn unavailable(v: &Value, section: &str) -> Value {
    v["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["section"] == section)
        .cloned()
        .unwrap_or_else(|| panic!("no unavailable entry {section}: {v}"))
}

#[test]
fn invalid_values_are_parse_errors_never_does_not_apply() {
    let t = hostile_numbers();
    let o = proctor_at(t.path(), &["inspect", "4242", "--json"]);
    // The fixture's process has findings (OOM kills in its cgroup): exit 1
    // wins over incomplete; and no panic (101).
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    for (section, detail) in [
        ("memory.rss", "VmRSS in status is not a valid number"),
        ("memory.swap", "VmSwap in status is not a valid number"),
        ("memory.peak_rss", "VmHWM in status is not a valid number"),
        ("cpu", "utime + stime in stat is past the largest number"),
    ] {
        let u = unavailable(&v, section);
        assert_eq!(u["reason"], "parse_error", "{u}");
        assert_eq!(u["detail"], detail, "{u}");
    }
    for section in ["limits", "io", "smaps_rollup"] {
        assert_eq!(unavailable(&v, section)["reason"], "parse_error", "{v}");
    }
    let m = &v["memory"];
    assert_eq!(m["rss_bytes"], Value::Null);
    assert_eq!(m["swap_bytes"], Value::Null);
    assert_eq!(m["peak_rss_bytes"], Value::Null);
    assert_eq!(m["pss_bytes"], Value::Null);
    assert_eq!(v["cpu_seconds"], Value::Null);
    assert_eq!(v["fds"]["soft_limit"], Value::Null);
    assert_eq!(v["io"]["read_syscalls"], Value::Null);
    // A thread sum past u64 is unknown, not wrapped: the main thread's
    // own counters are shown instead.
    assert_eq!(v["context_switches"]["voluntary"], 49, "{v}");
    let checks: Vec<String> = v["incomplete"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["checks"].as_array().cloned().unwrap_or_default())
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(checks.contains(&"fds.near_limit".to_string()), "{v}");
    assert!(checks.contains(&"memory.swap_in_use".to_string()), "{v}");

    let o = proctor_at(t.path(), &["inspect", "4242"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let row = |label: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} row: {out}"))
            .to_string()
    };
    for label in ["RSS ", "Swap ", "Peak RSS", "PSS ", "CPU time", "Limit "] {
        let r = row(label);
        assert!(r.contains("? unavailable: could not be parsed"), "{r}");
        assert!(!r.trim_end().ends_with(" -"), "{r}");
    }
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .starts_with("checks incomplete: "),
        "{out}"
    );
}

#[test]
fn threads_with_u64_max_ticks_do_not_wrap() {
    let t = hostile_numbers();
    let o = proctor_at(t.path(), &["threads", "4242", "--json", "--sort", "tid"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let main = v["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tid"] == 4242)
        .cloned()
        .unwrap();
    // (2^64 - 1 + 9) ticks at USER_HZ 100, not a wrapped 0.08 s.
    let cpu = main["cpu_seconds"].as_f64().unwrap();
    assert!(cpu > 1.8e17, "{main}");
    // A counter that is not a number: null, listed, `?` in the table.
    let t3165 = v["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tid"] == 3165)
        .cloned()
        .unwrap();
    assert_eq!(t3165["voluntary_ctxt_switches"], Value::Null, "{t3165}");
    assert_eq!(v["unavailable"][0]["reason"], "parse_error", "{v}");
    assert_eq!(
        v["unavailable"][0]["detail"],
        "thread 3165: voluntary_ctxt_switches in status not a valid number"
    );
    let o = proctor_at(t.path(), &["threads", "4242", "--sort", "switches"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("3165 "))
        .unwrap_or_else(|| panic!("{out}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[3], "?", "{row}");
}

#[test]
fn tui_header_under_hidepid_says_so() {
    let (_bin_dir, bin_copy) = nobody_copy();
    let dir = {
        use std::os::unix::fs::PermissionsExt;
        let d = TempDir::new("hidepid-tui");
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod mount point");
        d
    };
    let root = dir.path().display().to_string();
    let cmd = format!(
        "unshare -m --propagation private sh -c 'mount -t proc -o hidepid=2 proc {root} && cd / && exec setpriv --reuid={uid} --regid={uid} --clear-groups -- {} --proc-root {root} top --interval 500ms'; echo EXIT=$?; sleep 60",
        bin_copy.display(),
        uid = own_uid()
    );
    let t = crate::common::Tmux::start("hidepid", 160, 30, &cmd).expect("needs tmux");
    let want = format!(
        "incomplete: other users' processes are hidden (hidepid=invisible is mounted on {root}: run as root)"
    );
    let s = t.wait("the hidepid header line", Duration::from_secs(60), |s| {
        s.contains(&want)
    });
    // The last header line (after the host and CPU lines), above the
    // status line.
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    let status = lines
        .iter()
        .position(|l| l.starts_with("sort "))
        .expect("status line");
    assert_eq!(
        lines.get(status.wrapping_sub(1)),
        Some(&want.as_str()),
        "{s}"
    );
    t.keys(&["q"]);
    t.wait_for("EXIT=0", Duration::from_secs(30));
}

#[test]
fn doctor_on_a_subset_pid_procfs_says_host_checks_did_not_run() {
    // As root: every process is visible, but meminfo, loadavg and the rest
    // are not in this procfs.
    let (o, _d) = in_private_procfs("subset=pid", "\"$1\" --proc-root \"$2\" doctor --json");
    // 1 or 3 depending on this host's processes; never 0.
    assert!(matches!(o.status.code(), Some(1 | 3)), "{}", stderr(&o));
    let v = json(&o);
    assert!(
        v["incomplete"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "host_files_hidden"),
        "{}",
        v["incomplete"]
    );
    assert_eq!(v["host"]["mem_total_bytes"], Value::Null);
}

#[test]
fn scans_out_of_descriptors_are_proctors_error() {
    // With 5 descriptors (3 standard, the proc root, a process directory)
    // no process's stat can be opened: before, `top --once` printed an
    // empty table ("0 processes ... N unreadable") and doctor judged
    // nothing as "no problems" or blamed permissions. Now: proctor's own
    // error, exit 2, naming `ulimit -n`.
    let prlimit = which("prlimit").expect("needs prlimit (util-linux)");
    for args in [&["top", "--once"][..], &["doctor"][..]] {
        let o = run_bounded(
            Command::new(&prlimit)
                .arg("--nofile=5")
                .arg(bin())
                .args(args)
                .env_remove("PROCTOR_PROC_ROOT")
                .stdin(Stdio::null()),
        );
        let what = format!("{args:?}: {}{}", stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(2), "{what}");
        assert!(stdout(&o).is_empty(), "{what}");
        assert!(
            stderr(&o)
                .starts_with("error: proctor ran out of file descriptors (its soft limit is 5)"),
            "{what}"
        );
        assert!(
            stderr(&o).contains("\nhint: raise proctor's own limit with `ulimit -n`"),
            "{what}"
        );
    }
}

#[test]
fn a_stat_that_does_not_parse_is_a_clear_error() {
    // stat is the process's identity: without it nothing is judged.
    let t = fixture_copy("v1-basic");
    set_stat_field(&t.path().join("proc/4242/stat"), 14, "abc");
    let o = proctor_at(t.path(), &["inspect", "4242", "--json"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    assert!(
        e.starts_with("error: could not parse utime in ") && e.contains("/proc/4242/stat\n"),
        "{e}"
    );
    assert!(
        e.contains("hint: the file does not have the format proctor expects"),
        "{e}"
    );
}

/// A listener whose backlog cannot be known (nobody, in the host's
/// network namespace, reads a listener of another namespace: it may not
/// enter it, so only the text table is read, which does not carry the
/// backlog): `sockets.accept_queue_full` did not run, and `inspect` says
/// so (exit 3), `net` shows SEND-Q `?`. As root, the same listener's
/// backlog is read through its namespace and the check runs.
#[test]
fn a_listener_with_an_unknown_backlog_is_said_not_judged() {
    let Some(cg) = crate::common::MemCgroupV1::own("honesty-backlog") else {
        return;
    };
    if !crate::common::require(
        "unshare, ip and setpriv",
        which("unshare").is_some() && which("ip").is_some() && which("setpriv").is_some(),
    ) {
        return;
    }
    let nb = nobody();
    let script = "import socket, time\n\
                  s = socket.socket()\n\
                  s.bind(('127.0.0.1', 0))\n\
                  s.listen(4)\n\
                  print('READY', s.getsockname()[1], flush=True)\n\
                  time.sleep(600)\n";
    // One PID from unshare to python: unshare and sh exec, setpriv too.
    let (child, ready) = crate::common::spawn_ready(
        Command::new("unshare")
            .args([
                "-n",
                "sh",
                "-c",
                "echo $$ > \"$0\" && ip link set lo up && exec setpriv --reuid=65534 \
                 --regid=65534 --clear-groups -- \"$1\" -c \"$2\"",
            ])
            .arg(cg.procs())
            .arg(crate::common::real_python())
            .arg(script)
            .current_dir("/")
            .stderr(Stdio::null()),
    );
    let port = ready_numbers(&ready, 1)[0];
    let pid = child.pid().to_string();
    let local = format!("127.0.0.1:{port}");

    // The JSON's `incomplete` names the check and why it did not run.
    let says_so = |v: &Value| {
        v["incomplete"]["reasons"].as_array().is_some_and(|rs| {
            rs.iter().any(|r| {
                r["kind"] == "checks_not_run"
                    && r["section"] == "sockets"
                    && r["reason"] == "listener_backlog_unknown"
                    && r["checks"] == serde_json::json!(["sockets.accept_queue_full"])
            })
        })
    };
    let o = nb.run(&["inspect", &pid, "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert!(says_so(&v), "{:#}", v["incomplete"]);
    let o = nb.run(&["inspect", &pid]);
    assert!(
        stdout(&o)
            .contains("sockets.accept_queue_full did not run (sockets: listener backlog unknown)"),
        "{}",
        stdout(&o)
    );
    // The listener's row in `net --json`.
    let listener = |o: &Output| {
        let v = json(o);
        v["sockets"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["local"] == local).cloned())
            .unwrap_or_else(|| panic!("no listener {local}: {v:#}"))
    };
    let l = listener(&nb.run(&["net", &pid, "--json"]));
    assert_eq!(l["state"], "LISTEN", "{l}");
    assert!(
        l.get("backlog").is_some_and(Value::is_null),
        "unknown, not absent: {l}"
    );
    // doctor, as nobody, says the same of the host (among what root's
    // processes keep from it).
    let o = nb.run(&["doctor", "--json"]);
    let v = json(&o);
    // 1 when the host has a problem of its own, else 3: never 0.
    assert!(
        matches!(o.status.code(), Some(1 | 3)),
        "{:?} {:#}",
        o.status,
        v["incomplete"]
    );
    assert!(says_so(&v), "{:#}", v["incomplete"]);

    // As root: the namespace is entered, the backlog is the one passed,
    // and the check ran (nothing else was unreadable).
    let o = proctor(&["inspect", &pid, "--json"]);
    let v = json(&o);
    assert_eq!(o.status.code(), Some(0), "{v:#}");
    assert_eq!(v["incomplete"], Value::Null, "{v:#}");
    let l = listener(&proctor(&["net", &pid, "--json"]));
    assert_eq!(l["backlog"], 4, "{l}");
    drop(child);
}
