//! `proctor doctor` on the live host (problems planted in children the
//! test starts: tests/helpers/doctor_child.py, live_zombie.py,
//! live_close_wait.py, live_threads.py) and on the fixture trees.
//!
//! Every proctor run is bounded (killed by its pid past a deadline), every
//! child is a [`Reaped`] (killed by pid and waited for), the zombie is
//! reaped by its own parent (checked at the end), temp files live in a
//! [`TempDir`]. Findings are looked up by the planted pids only: the rest
//! of the host may have anything.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{
    self, MemCgroupV1, Nobody, Reaped, TempDir, assert_usage_error, bin, comm, expected_code,
    fixture, fixture_copy, is_root, json, nofile_limits, proc_stat, proc_state, proctor_cmd,
    python_helper, ready_numbers, root_args, run_bounded, temp_str, wait_exit,
};

// ---------------------------------------------------------------- helpers

/// `proctor doctor ARGS`, bounded.
fn doctor(args: &[&str]) -> Output {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    run_bounded(&mut proctor_cmd(&all))
}

/// `proctor [ROOTS] doctor ARGS --json`: one JSON document, nothing on
/// stderr, and the exit code the findings call for (1 when any is a
/// warning or worse, else 0).
fn doctor_json_at(roots: &[&str], args: &[&str]) -> (Output, Value) {
    let mut all = roots.to_vec();
    all.push("doctor");
    all.extend_from_slice(args);
    all.push("--json");
    let out = run_bounded(&mut proctor_cmd(&all));
    let v = json(&out);
    assert!(
        out.stderr.is_empty(),
        "stderr of {all:?}: {}",
        common::stderr(&out)
    );
    assert!(!out.stdout.contains(&0x1b), "raw ESC in JSON of {all:?}");
    assert_eq!(
        out.status.code(),
        Some(expected_code(&v)),
        "exit code of {all:?} for findings {}",
        v["findings"]
    );
    (out, v)
}

fn doctor_json(args: &[&str]) -> Value {
    doctor_json_at(&[], args).1
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().expect("findings array")
}

/// Every finding about `pid`.
fn of_pid(v: &Value, pid: i32) -> Vec<&Value> {
    findings(v).iter().filter(|f| f["pid"] == pid).collect()
}

/// The one finding `id` about `pid` (fails the test if there is none or
/// more than one).
fn one<'a>(v: &'a Value, pid: i32, id: &str) -> &'a Value {
    let all: Vec<&Value> = of_pid(v, pid)
        .into_iter()
        .filter(|f| f["id"] == id)
        .collect();
    assert_eq!(
        all.len(),
        1,
        "expected one {id} finding for pid {pid}; findings: {}",
        v["findings"]
    );
    all[0]
}

fn ids_of(v: &Value, pid: i32) -> Vec<String> {
    of_pid(v, pid)
        .iter()
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn severity_rank(s: &Value) -> u8 {
    match s.as_str() {
        Some("critical") => 2,
        Some("warning") => 1,
        Some("info") => 0,
        other => panic!("unknown severity {other:?}"),
    }
}

fn assert_sorted(v: &Value) {
    let ranks: Vec<u8> = findings(v)
        .iter()
        .map(|f| severity_rank(&f["severity"]))
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] >= w[1]),
        "findings not most severe first: {ranks:?}"
    );
}

/// A doctor_child.py helper; returns it with its readiness line.
fn child(args: &[&str]) -> (Reaped, String) {
    python_helper("doctor_child.py", args)
}

/// Start time (field 22 of stat) of a live process.
fn start_ticks(pid: i32) -> Option<u64> {
    proc_stat(pid)?.get(22 - 3)?.parse().ok()
}

/// A zombie-making helper (live_zombie.py): (helper, zombie pid, zombie
/// start time).
fn zombie_parent() -> (Reaped, i32, u64) {
    let (helper, line) = python_helper("live_zombie.py", &[]);
    let zpid = ready_numbers(&line, 1)[0] as i32;
    assert_eq!(proc_state(zpid), Some(b'Z'), "the test's view of {zpid}");
    let start = start_ticks(zpid).expect("zombie start time");
    (helper, zpid, start)
}

/// Stop the zombie's parent (SIGTERM: it reaps, then exits) and check the
/// zombie is gone: never left to a PID 1 that may not reap.
fn stop_and_check_reaped(helper: Reaped, zpid: i32, zstart: u64) {
    drop(helper);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if start_ticks(zpid) != Some(zstart) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("zombie {zpid} was not reaped by its parent");
}

// ------------------------------------------------------- planted problems

/// One child per problem, all found by pid in one `doctor --json` run:
/// descriptors at 62 of a 64 soft limit, an unreaped zombie (reported on
/// its parent), a deleted file held open; a healthy child is not named.
#[test]
fn planted_problems_are_found_by_pid() {
    let (nofile, line) = child(&["nofile", "64"]);
    let npid = nofile.pid();
    assert_eq!(ready_numbers(&line, 2), vec![62, 64]);
    assert_eq!(
        nofile_limits(npid).0,
        Some(64),
        "the child's own soft limit"
    );

    // The same, its limit lowered from outside with prlimit(1), as an
    // operator would (allowed on a process of one's own user).
    let (held, line) = child(&["hold", "55"]);
    let ppid_held = held.pid();
    let open_now = ready_numbers(&line, 1)[0];
    let st = Command::new("prlimit")
        .args(["--pid", &ppid_held.to_string(), "--nofile=64:"])
        .status()
        .expect("prlimit(1) from util-linux");
    assert!(st.success(), "prlimit --pid {ppid_held} --nofile=64:");
    assert_eq!(nofile_limits(ppid_held).0, Some(64));

    let (zhelper, zpid, zstart) = zombie_parent();
    let hpid = zhelper.pid();

    let dir = TempDir::new("doctor-deleted");
    let (deleted, _) = child(&["deleted", temp_str(&dir)]);
    let dpid = deleted.pid();

    let (healthy, _) = child(&["idle"]);
    let ipid = healthy.pid();

    let (out, v) = doctor_json_at(&[], &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "warnings and a critical: exit 1"
    );
    assert_sorted(&v);

    // (a) descriptors near the soft limit: 62 of 64 is 97%, critical.
    let f = one(&v, npid, "fds.near_limit");
    assert_eq!(f["severity"], "critical", "{f}");
    assert_eq!(f["name"], comm(npid));
    assert_eq!(f["evidence"]["fds"], 62, "{f}");
    assert_eq!(f["evidence"]["soft_limit"], 64, "{f}");
    assert_eq!(f["evidence"]["percent"], 96.9, "{f}");
    assert_eq!(f["next"], format!("proctor fds {npid}"));
    assert!(
        f["message"].as_str().expect("message").contains("62 of 64"),
        "{f}"
    );
    assert_eq!(ids_of(&v, npid), vec!["fds.near_limit"]);
    // ...and the one lowered by prlimit(1): 57 or so of 64, a warning.
    let f = one(&v, ppid_held, "fds.near_limit");
    assert_eq!(f["evidence"]["soft_limit"], 64, "{f}");
    assert_eq!(f["evidence"]["fds"], open_now, "{f}");
    let want = if open_now * 100 >= 64 * 95 {
        "critical"
    } else {
        "warning"
    };
    assert_eq!(f["severity"], want, "{f}");

    // (b) the zombie is reported on its parent, never on itself.
    let f = one(&v, hpid, "zombies.unreaped");
    assert_eq!(f["severity"], "warning", "{f}");
    assert_eq!(f["name"], comm(hpid));
    assert_eq!(f["evidence"]["zombies"], 1, "{f}");
    assert_eq!(f["evidence"]["zombie_pids"], serde_json::json!([zpid]));
    assert_eq!(f["next"], format!("proctor inspect {hpid}"));
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains(&format!("PID {zpid}")),
        "{f}"
    );
    assert_eq!(ids_of(&v, hpid), vec!["zombies.unreaped"]);
    assert!(
        of_pid(&v, zpid).is_empty(),
        "the zombie itself: {}",
        v["findings"]
    );
    assert!(v["host"]["zombies"].as_u64().expect("host.zombies") >= 1);

    // (c) a deleted file held open.
    let f = one(&v, dpid, "fds.deleted_open");
    assert_eq!(f["severity"], "warning", "{f}");
    assert_eq!(f["evidence"]["deleted"], 1, "{f}");
    assert_eq!(f["next"], format!("proctor fds {dpid} --type file"));
    assert_eq!(ids_of(&v, dpid), vec!["fds.deleted_open"]);

    // (d) the healthy child is not named.
    assert!(
        of_pid(&v, ipid).is_empty(),
        "healthy child {ipid}: {:?}",
        ids_of(&v, ipid)
    );

    drop(nofile);
    drop(deleted);
    drop(healthy);
    stop_and_check_reaped(zhelper, zpid, zstart);
    drop(dir);
}

/// `--sample`: a child opening ~30 descriptors a second is a fast grower,
/// with the watch command to follow it; a sleeping child is not.
#[test]
fn sample_finds_a_fast_descriptor_grower() {
    let (grower, line) = child(&["grow", "30", "200", "20"]);
    let gpid = grower.pid();
    let baseline = ready_numbers(&line, 1)[0];
    let (healthy, _) = child(&["idle"]);
    let ipid = healthy.pid();

    let t0 = Instant::now();
    let v = doctor_json(&["--sample", "2s"]);
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "two scans 2 s apart: {took:?}"
    );

    let secs = v["host"]["sampled_seconds"]
        .as_f64()
        .expect("sampled_seconds");
    // Two seconds plus the first scan (longer on a loaded host).
    assert!((1.95..=8.0).contains(&secs), "sampled_seconds {secs}");

    let f = one(&v, gpid, "growth.fds");
    assert_eq!(f["next"], format!("proctor watch {gpid} --metrics fds"));
    let e = &f["evidence"];
    let from = e["from"].as_u64().expect("from");
    let to = e["to"].as_u64().expect("to");
    assert!(from as i64 >= baseline, "{f}");
    assert!(to >= from + 10, "{f}");
    assert!(to <= baseline as u64 + 200, "{f}");
    assert_eq!(e["seconds"], secs, "{f}");
    let rate = e["per_second"].as_f64().expect("per_second");
    assert!((5.0..=60.0).contains(&rate), "{f}");
    // Warning when the soft limit is less than an hour away at this rate.
    let soft = nofile_limits(gpid).0;
    let near = soft.is_some_and(|s| s > to && (s - to) as f64 / rate <= 3600.0);
    assert_eq!(
        f["severity"],
        if near { "warning" } else { "info" },
        "{f} (soft limit {soft:?})"
    );
    if near {
        assert!(
            f["message"]
                .as_str()
                .expect("message")
                .contains("soft limit"),
            "{f}"
        );
    }
    assert!(
        of_pid(&v, ipid).is_empty(),
        "healthy child: {}",
        v["findings"]
    );
    drop(grower);
    drop(healthy);
}

/// `--sample 1s --all` lists an info-level grower (RSS, no cgroup limit
/// near); without `--all` it is only counted in the header.
#[test]
fn info_findings_only_with_all() {
    let (grower, _) = child(&["rss", "32", "160", "20"]);
    let rpid = grower.pid();
    // Both runs sample the same growth window.
    let all = std::thread::spawn(|| doctor(&["--sample", "1s", "--all"]));
    let plain = doctor(&["--sample", "1s"]);
    let all = all.join().expect("the --all run");
    drop(grower);
    for o in [&all, &plain] {
        assert!(matches!(o.status.code(), Some(0 | 1)), "{:?}", o.status);
        assert!(o.stderr.is_empty(), "stderr: {}", common::stderr(o));
    }
    let text = common::stdout(&all);
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(&format!(" {rpid} ")) && l.contains("growth.rss"))
        .unwrap_or_else(|| panic!("no growth.rss line for {rpid}:\n{text}"));
    assert_eq!(
        lines.get(i + 2).map(|l| l.trim()),
        Some(format!("next: proctor watch {rpid} --metrics rss").as_str()),
        "{text}"
    );
    if !lines[i].starts_with(&format!("info      {rpid} ")) {
        eprintln!("note: the grower's cgroup limit is near: not an info finding here");
        return;
    }
    assert!(lines[0].contains("note"), "{}", lines[0]);
    assert!(!lines[0].contains("not shown"), "{}", lines[0]);
    let text = common::stdout(&plain);
    assert!(
        !text
            .lines()
            .any(|l| l.contains(&format!(" {rpid} ")) && l.contains("growth.rss")),
        "an info finding shown without --all:\n{text}"
    );
    let head = text.lines().next().unwrap_or_default();
    assert!(head.contains("not shown (--all)"), "{head}");
}

/// Extra rules on live children: CLOSE_WAIT sockets (with a deleted file)
/// and a thousand threads.
#[test]
fn close_wait_and_thread_count() {
    let dir = TempDir::new("doctor-cw");
    let (cw, _) = python_helper("live_close_wait.py", &[temp_str(&dir), "25"]);
    let cpid = cw.pid();
    let (threads, _) = python_helper("live_threads.py", &["1000"]);
    let tpid = threads.pid();

    let v = doctor_json(&[]);
    let f = one(&v, cpid, "sockets.close_wait");
    assert_eq!(f["severity"], "warning", "{f}");
    assert_eq!(f["evidence"]["close_wait"], 25, "{f}");
    assert_eq!(f["next"], format!("proctor net {cpid} --state CLOSE_WAIT"));
    assert_eq!(one(&v, cpid, "fds.deleted_open")["evidence"]["deleted"], 1);

    let f = one(&v, tpid, "threads.high");
    assert_eq!(f["severity"], "warning", "{f}");
    assert_eq!(f["evidence"]["threads"], 1001, "{f}");
    assert_eq!(f["next"], format!("proctor threads {tpid}"));
    assert_eq!(ids_of(&v, tpid), vec!["threads.high"]);
    drop(cw);
    drop(threads);
    drop(dir);
}

/// A memory cgroup (v1, this host's kind) where the OOM killer has
/// struck, and a process near its limit: both found, the OOM kills once.
#[test]
fn cgroup_limit_and_oom_kills() {
    if !is_root() {
        eprintln!("note: cannot create a v1 memory cgroup here; test skipped");
        return;
    }
    let limit: u64 = 64 << 20;
    let Some(guard) = MemCgroupV1::new("doctor", limit) else {
        return;
    };
    let procs = guard.procs();
    let procs = procs.to_str().expect("utf-8 path");

    // A hog is OOM-killed first (alone in the cgroup, so it is the victim).
    let (mut hog, _) = child(&["hog", procs, "512"]);
    let status = wait_exit(
        &mut hog.0,
        Duration::from_secs(30),
        "the hog was never OOM-killed",
    );
    use std::os::unix::process::ExitStatusExt;
    if status.signal() != Some(9) {
        eprintln!("note: the hog was not OOM-killed ({status:?}); test skipped");
        return;
    }
    drop(hog);

    // Then two processes that stay: python holding 42 MiB (with the
    // interpreter, about 87% of the limit) and a small `sleep`.
    let (big, _) = child(&["join", procs, "42"]);
    let small = Reaped::spawn(Command::new("sleep").arg("60").stdin(Stdio::null()));
    let (bpid, spid) = (big.pid(), small.pid());
    std::fs::write(procs, spid.to_string()).expect("move sleep into the cgroup");
    let rss = common::status_field(bpid, "VmRSS").expect("VmRSS");
    let pct = rss as f64 * 100.0 / limit as f64;

    let v = doctor_json(&[]);
    let oom: Vec<&Value> = findings(&v)
        .iter()
        .filter(|f| f["id"] == "memory.oom_kills" && (f["pid"] == bpid || f["pid"] == spid))
        .collect();
    assert_eq!(oom.len(), 1, "once per cgroup: {}", v["findings"]);
    let f = oom[0];
    assert_eq!(f["pid"], bpid, "named after the largest process: {f}");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["evidence"]["oom_kills"], 1, "{f}");
    let cgname = format!("/proctor-test-doctor-{}", std::process::id());
    assert_eq!(f["evidence"]["cgroup"], cgname.as_str(), "{f}");
    assert_eq!(f["next"], format!("proctor inspect {bpid}"));

    let near = of_pid(&v, bpid)
        .into_iter()
        .find(|f| f["id"] == "memory.near_cgroup_limit");
    if pct >= 80.0 {
        let f = near.unwrap_or_else(|| panic!("RSS {pct:.0}% of the limit: {}", v["findings"]));
        assert_eq!(f["evidence"]["limit_bytes"], limit, "{f}");
        let sev = if pct >= 95.0 { "critical" } else { "warning" };
        // RSS may move a page between the test's read and proctor's.
        if (pct - 80.0).abs() > 1.0 && (pct - 95.0).abs() > 1.0 {
            assert_eq!(f["severity"], sev, "{f} ({pct:.1}%)");
        }
        assert_eq!(f["next"], format!("proctor maps {bpid} --sort rss"));
    } else {
        // Python's own RSS varies: state what was seen rather than guess.
        eprintln!("note: RSS only {pct:.0}% of the limit; near-limit not checked");
    }
    drop(big);
    drop(small);
    drop(guard);
}

// ------------------------------------------------------------ JSON shape

#[test]
fn json_shape() {
    let v = doctor_json(&[]);
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["findings", "host", "skipped"]);

    let h = &v["host"];
    let processes = h["processes"].as_u64().expect("processes");
    let threads = h["threads"].as_u64().expect("threads");
    assert!(processes > 0);
    assert!(
        threads >= processes,
        "{threads} threads, {processes} processes"
    );
    assert!(h["cpus"].as_u64().expect("cpus") >= 1);
    assert!(h["zombies"].as_u64().expect("zombies") <= processes);
    assert!(h["sampled_seconds"].is_null(), "no --sample: {h}");
    let total = h["mem_total_bytes"].as_u64().expect("MemTotal");
    let avail = h["mem_available_bytes"].as_u64().expect("MemAvailable");
    assert!(avail <= total);
    if let (Some(o), Some(m)) = (h["open_files"].as_u64(), h["file_max"].as_u64()) {
        assert!(o <= m);
    }

    for f in findings(&v) {
        let obj = f.as_object().expect("finding object");
        let mut fk: Vec<&str> = obj.keys().map(String::as_str).collect();
        fk.sort_unstable();
        assert_eq!(
            fk,
            [
                "evidence", "id", "message", "name", "next", "pid", "severity"
            ],
            "{f}"
        );
        assert!(f["pid"].is_null() || f["pid"].is_i64(), "{f}");
        assert!(f["name"].is_null() || f["name"].is_string(), "{f}");
        if f["pid"].is_null() {
            assert!(f["name"].is_null(), "{f}");
        }
        let id = f["id"].as_str().expect("id");
        // Host findings carry no pid; process findings do.
        assert_eq!(id.starts_with("host."), f["pid"].is_null(), "{f}");
        severity_rank(&f["severity"]);
        assert!(!f["message"].as_str().expect("message").is_empty());
        assert!(f["evidence"].is_object(), "{f}");
        assert!(f["next"].is_null() || f["next"].is_string(), "{f}");
    }
    assert_sorted(&v);

    let s = &v["skipped"];
    assert!(s["exited"].is_u64(), "{s}");
    assert!(s["permission_denied"].is_u64(), "{s}");
}

// ---------------------------------------------------------- human output

#[test]
fn human_report_names_the_planted_pids() {
    let (nofile, _) = child(&["nofile", "64"]);
    let npid = nofile.pid();
    let (zhelper, zpid, zstart) = zombie_parent();
    let hpid = zhelper.pid();

    let out = doctor(&[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr {}",
        common::stderr(&out)
    );
    assert!(out.stderr.is_empty(), "stderr: {}", common::stderr(&out));
    assert!(!out.stdout.contains(&0x1b), "colour on a pipe");
    let text = common::stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("proctor doctor: "), "{text}");
    assert!(lines[0].contains("critical"), "{}", lines[0]);

    // A finding is three lines: label pid name id / message / next.
    let block = |label: &str, pid: i32, id: &str| -> (String, String) {
        let head = format!("{label}{pid} {}  ", comm(pid));
        let i = lines
            .iter()
            .position(|l| l.starts_with(&head) && l.ends_with(id))
            .unwrap_or_else(|| panic!("no `{head}{id}` line:\n{text}"));
        (
            lines[i + 1].trim().to_string(),
            lines[i + 2].trim().to_string(),
        )
    };
    let (msg, next) = block("CRITICAL  ", npid, "fds.near_limit");
    assert!(msg.contains("62 of 64"), "{msg}");
    assert_eq!(next, format!("next: proctor fds {npid}"));
    let (msg, next) = block("WARNING   ", hpid, "zombies.unreaped");
    assert!(msg.contains(&format!("PID {zpid}")), "{msg}");
    assert_eq!(next, format!("next: proctor inspect {hpid}"));
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("Checked ") && l.contains(" processes in ")),
        "{text}"
    );

    drop(nofile);
    stop_and_check_reaped(zhelper, zpid, zstart);
}

#[test]
fn sample_zero_is_a_usage_error() {
    for arg in ["0", "0s", "0ms", "-1s", "abc"] {
        assert_usage_error(&["doctor", "--sample", arg], "", "");
    }
}

/// `proctor doctor` in a shell pipeline whose reader goes away: exit 0 or
/// 1 (the findings') and nothing on stderr.
fn through_closed_pipe(pipeline: &str) -> Output {
    let out = run_bounded(
        Command::new("bash")
            .arg("-c")
            .arg(format!("set -o pipefail; '{}' doctor {pipeline}", bin())),
    );
    let e = common::stderr(&out);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?} {e}",
        out.status
    );
    assert!(e.is_empty(), "stderr on a closed pipe: {e}");
    out
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // Through a shell pipeline, as users do.
    let out = through_closed_pipe("--all | head -2");
    assert_eq!(common::stdout(&out).lines().count(), 2);

    // The reader gone before anything is written (`true` exits at once;
    // the scan takes longer).
    through_closed_pipe("--json | true");
}

// ------------------------------------------------------------- as nobody

#[test]
fn as_nobody_other_users_processes_are_skipped_not_failed() {
    let Some(nobody) = Nobody::new() else { return };
    let out = nobody.run(&["doctor", "--json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {}",
        out.status,
        common::stderr(&out)
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(expected_code(&v)));
    let denied = v["skipped"]["permission_denied"]
        .as_u64()
        .expect("permission_denied");
    assert!(denied > 0, "{}", v["skipped"]);
    assert!(denied <= v["host"]["processes"].as_u64().expect("processes"));
    assert!(v["skipped"]["exited"].is_u64());

    let out = nobody.run(&["doctor"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{:?}", out.status);
    let text = common::stdout(&out);
    assert!(text.contains("run as root to see every process"), "{text}");
}

// ------------------------------------------------------------- fixtures

/// The captured trees: PID 4242 holds a deleted file, its memory cgroup
/// saw OOM kills (2 in v1, 1 in v2), and its child 4300 is a zombie (its
/// stat says Z, and still does at the recheck): reported on 4242.
#[test]
fn fixture_trees() {
    for (tree, oom_kills, cgroup) in [
        ("v1-basic", 2, "/kubepods/burstable/pod1234/abc"),
        (
            "v2-basic",
            1,
            "/kubepods.slice/kubepods-burstable.slice/cri-containerd-abc.scope",
        ),
    ] {
        let r = root_args(&fixture(tree));
        let r = r.each_ref().map(String::as_str);
        let (out, v) = doctor_json_at(&r, &[]);
        assert_eq!(out.status.code(), Some(1), "{tree}");
        let h = &v["host"];
        assert_eq!(h["processes"], 4, "{tree}: {h}");
        assert_eq!(h["threads"], 17, "{tree}: {h}");
        assert_eq!(h["zombies"], 1, "{tree}: {h}");
        assert!(h["sampled_seconds"].is_null());
        assert!(
            h["memory_pressure_some_avg10"].is_null(),
            "no PSI file: {h}"
        );
        assert_eq!(v["skipped"]["exited"], 0);

        let got: Vec<(String, String, Value)> = findings(&v)
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap_or_default().to_string(),
                    f["severity"].as_str().unwrap_or_default().to_string(),
                    f["pid"].clone(),
                )
            })
            .collect();
        let want: Vec<(String, String, Value)> = [
            ("memory.oom_kills", "critical"),
            ("fds.deleted_open", "warning"),
            ("zombies.unreaped", "warning"),
        ]
        .iter()
        .map(|(i, s)| (i.to_string(), s.to_string(), Value::from(4242)))
        .collect();
        assert_eq!(got, want, "{tree}: {}", v["findings"]);

        let z = one(&v, 4242, "zombies.unreaped");
        assert_eq!(z["name"], "python3.11");
        assert_eq!(z["evidence"]["zombies"], 1);
        assert_eq!(z["evidence"]["zombie_pids"], serde_json::json!([4300]));
        assert_eq!(z["next"], "proctor inspect 4242");
        let o = one(&v, 4242, "memory.oom_kills");
        assert_eq!(o["evidence"]["oom_kills"], oom_kills, "{tree}");
        assert_eq!(o["evidence"]["cgroup"], cgroup, "{tree}");
        assert!(of_pid(&v, 4300).is_empty(), "{tree}");

        // The same in the human report.
        let mut args: Vec<&str> = r.to_vec();
        args.push("doctor");
        let out = run_bounded(&mut proctor_cmd(&args));
        assert_eq!(out.status.code(), Some(1));
        let text = common::stdout(&out);
        assert!(
            text.contains("WARNING   4242 python3.11  zombies.unreaped"),
            "{text}"
        );
        assert!(text.contains("CRITICAL  4242 python3.11  memory.oom_kills"));

        // Two scans of a tree that does not change: no growth.
        let (_, v) = doctor_json_at(&r, &["--sample", "100ms"]);
        let secs = v["host"]["sampled_seconds"].as_f64().expect("sampled");
        assert!((0.1..2.0).contains(&secs), "{secs}");
        assert!(
            findings(&v)
                .iter()
                .all(|f| !f["id"].as_str().unwrap_or_default().starts_with("growth.")),
            "{}",
            v["findings"]
        );
    }
}

/// The fixture's zombie re-parented to PID 1: reported on PID 1, with the
/// advice for an init that does not reap; a zombie whose stat no longer
/// says Z is not reported at all.
#[test]
fn fixture_zombie_variants() {
    let edit = |t: &TempDir, from: &str, to: &str| {
        let p = t.path().join("proc/4300/stat");
        let s = std::fs::read_to_string(&p).expect("read stat");
        assert!(s.contains(from), "{s}");
        std::fs::write(&p, s.replacen(from, to, 1)).expect("write stat");
    };

    let t = fixture_copy("v1-basic");
    edit(&t, "Z 4242 ", "Z 1 ");
    let r = root_args(t.path());
    let (_, v) = doctor_json_at(&r.each_ref().map(String::as_str), &[]);
    let z = one(&v, 1, "zombies.unreaped");
    assert_eq!(z["name"], "systemd");
    assert_eq!(z["evidence"]["zombie_pids"], serde_json::json!([4300]));
    assert!(
        z["message"].as_str().expect("message").contains("tini"),
        "{z}"
    );
    assert!(
        findings(&v)
            .iter()
            .all(|f| !(f["pid"] == 4242 && f["id"] == "zombies.unreaped")),
        "{}",
        v["findings"]
    );
    drop(t);

    let t = fixture_copy("v1-basic");
    edit(&t, ") Z 4242 ", ") S 4242 ");
    let r = root_args(t.path());
    let (_, v) = doctor_json_at(&r.each_ref().map(String::as_str), &[]);
    assert_eq!(v["host"]["zombies"], 0);
    assert!(
        findings(&v).iter().all(|f| f["id"] != "zombies.unreaped"),
        "{}",
        v["findings"]
    );
}
