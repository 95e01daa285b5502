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
    self, HostFiles, MemCgroupV1, Nobody, RUN_LIMIT, Reaped, TempDir, assert_usage_error, bin,
    comm, expected_code, fd_entries, fixture, fixture_copy, host_fixture, json, nofile_limits,
    proc_stat, proc_state, proctor_cmd, python_helper_in, ready_numbers, replace_in_file,
    root_args, run_bounded, set_stat_field, temp_str, wait_exit, wait_until_held_open,
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

/// A doctor_child.py helper, started in the test's own memory cgroup
/// `cg` (no limit, no OOM history: which memory findings a child gets
/// depends on the test alone, never on the runner's cgroup); returns it
/// with its readiness line.
fn child(cg: &MemCgroupV1, args: &[&str]) -> (Reaped, String) {
    python_helper_in(cg, "doctor_child.py", args)
}

/// The test's own memory cgroup for its children; None: the test reports
/// itself skipped.
fn own_cgroup(tag: &str) -> Option<MemCgroupV1> {
    MemCgroupV1::own(tag)
}

/// Start time (field 22 of stat) of a live process.
fn start_ticks(pid: i32) -> Option<u64> {
    proc_stat(pid)?.get(22 - 3)?.parse().ok()
}

/// A zombie-making helper (live_zombie.py): (helper, zombie pid, zombie
/// start time).
fn zombie_parent(cg: &MemCgroupV1) -> (Reaped, i32, u64) {
    let (helper, line) = python_helper_in(cg, "live_zombie.py", &[]);
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
    let Some(cg) = own_cgroup("doctor-planted") else {
        return;
    };
    let (nofile, line) = child(&cg, &["nofile", "64"]);
    let npid = nofile.pid();
    assert_eq!(ready_numbers(&line, 2), vec![62, 64]);
    assert_eq!(
        nofile_limits(npid).0,
        Some(64),
        "the child's own soft limit"
    );

    // The same, its limit lowered from outside with prlimit(1), as an
    // operator would (allowed on a process of one's own user).
    let (held, line) = child(&cg, &["hold", "55"]);
    let ppid_held = held.pid();
    let open_now = ready_numbers(&line, 1)[0];
    let st = Command::new("prlimit")
        .args(["--pid", &ppid_held.to_string(), "--nofile=64:"])
        .status()
        .expect("prlimit(1) from util-linux");
    assert!(st.success(), "prlimit --pid {ppid_held} --nofile=64:");
    assert_eq!(nofile_limits(ppid_held).0, Some(64));

    let (zhelper, zpid, zstart) = zombie_parent(&cg);
    let hpid = zhelper.pid();

    let dir = TempDir::new("doctor-deleted");
    let (deleted, _) = child(&cg, &["deleted", temp_str(&dir)]);
    let dpid = deleted.pid();

    let (healthy, _) = child(&cg, &["idle"]);
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
    assert_eq!(f["evidence"]["bytes"], 65 << 20, "{f}");
    assert_eq!(f["next"], "proctor who --deleted");
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

/// `--sample`: a child that opens 60 descriptors between the two scans is
/// a fast grower, with the watch command to follow it; a sleeping child is
/// not.
#[test]
fn sample_finds_a_fast_descriptor_grower() {
    let Some(cg) = own_cgroup("doctor-grower") else {
        return;
    };
    // It opens 60 descriptors when the test signals it, once the doctor
    // has done its first scan: the growth is exact however slow a loaded
    // host makes the scans (a child growing at its own pace may be starved
    // of CPU there).
    let (grower, _) = child(&cg, &["fds-on-usr1", "60"]);
    let gpid = grower.pid();
    let (healthy, _) = child(&cg, &["idle"]);
    let ipid = healthy.pid();

    let t0 = Instant::now();
    let mut doc = Reaped::spawn(
        proctor_cmd(["doctor", "--sample", "3s", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    common::wait_first_scan(&mut doc.0, "doctor --sample 3s");
    let before = fd_entries(gpid);
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(gpid).expect("pid"),
        rustix::process::Signal::USR1,
    )
    .expect("SIGUSR1 to the grower");
    common::wait_until(
        "the grower's 60 descriptors",
        Duration::from_secs(60),
        || fd_entries(gpid) == before + 60,
    );
    let out = common::output_within(&mut doc.0, RUN_LIMIT, "doctor --sample 3s");
    let took = t0.elapsed();
    let v = json(&out);
    assert!(out.stderr.is_empty(), "{}", common::stderr(&out));
    assert_eq!(
        out.status.code(),
        Some(expected_code(&v)),
        "{}",
        v["findings"]
    );
    assert!(
        took >= Duration::from_secs(3),
        "two scans 3 s apart: {took:?}"
    );

    let secs = v["host"]["sampled_seconds"]
        .as_f64()
        .expect("sampled_seconds");
    // Three seconds plus the first scan (much longer on a loaded host: any
    // time within the run's bound).
    assert!(
        (2.95..=RUN_LIMIT.as_secs_f64()).contains(&secs),
        "sampled_seconds {secs}"
    );

    let f = one(&v, gpid, "growth.fds");
    assert_eq!(f["next"], format!("proctor watch {gpid} --metrics fds"));
    let e = &f["evidence"];
    let from = e["from"].as_u64().expect("from");
    let to = e["to"].as_u64().expect("to");
    assert_eq!((from, to), (before, before + 60), "{f}");
    assert_eq!(e["seconds"], secs, "{f}");
    let rate = e["per_second"].as_f64().expect("per_second");
    // The rate is the growth over the sampled time (however long a loaded
    // host made it).
    let want = 60.0 / secs;
    assert!(
        (rate - want).abs() <= want * 0.03 + 0.06,
        "{f}: want {want}"
    );
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

/// `--sample 5s --all` lists an info-level grower (RSS, no memory limit
/// near); without `--all` it is only counted in the header.
#[test]
fn info_findings_only_with_all() {
    // In a cgroup of its own with a 1 TiB limit: its memory ceiling (the
    // cgroup's, as `watch` judges it; without a cgroup limit it would be
    // MemTotal, within the hour on a small host at this rate) is hours
    // away, so the grower is info whatever the runner's cgroup limits.
    let Some(cg) = MemCgroupV1::new("doctor-info", 1 << 40) else {
        return;
    };
    // It grows by 64 MiB (16 MiB between the scans is growth) when the
    // test signals it: once both runs have done their first scan, so both
    // sample the same growth however slow a loaded host makes the scans.
    let (grower, _) = child(&cg, &["rss-on-usr1", "64"]);
    let rpid = grower.pid();
    let run = |args: &[&str]| {
        Reaped::spawn(
            proctor_cmd(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )
    };
    let mut all = run(&["doctor", "--sample", "5s", "--all"]);
    let mut plain = run(&["doctor", "--sample", "5s"]);
    common::wait_first_scan(&mut all.0, "doctor --sample 5s --all");
    common::wait_first_scan(&mut plain.0, "doctor --sample 5s");
    let before = common::status_field(rpid, "VmRSS").expect("VmRSS");
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(rpid).expect("pid"),
        rustix::process::Signal::USR1,
    )
    .expect("SIGUSR1 to the grower");
    common::wait_until("the grower's 64 MiB", Duration::from_secs(60), || {
        common::status_field(rpid, "VmRSS").is_some_and(|r| r >= before + (60 << 20))
    });
    let all = common::output_within(&mut all.0, RUN_LIMIT, "doctor --sample 5s --all");
    let plain = common::output_within(&mut plain.0, RUN_LIMIT, "doctor --sample 5s");
    drop(grower);
    for o in [&all, &plain] {
        // 3 when the host holds a process root cannot fully read.
        assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{:?}", o.status);
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
    assert!(
        lines[i]
            .trim_start()
            .starts_with(&format!("info      {rpid} ")),
        "the memory limit is far: the RSS grower is info\n{text}"
    );
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
    let Some(cg) = own_cgroup("doctor-cw") else {
        return;
    };
    let dir = TempDir::new("doctor-cw");
    let (cw, _) = python_helper_in(&cg, "live_close_wait.py", &[temp_str(&dir), "25"]);
    let cpid = cw.pid();
    let (threads, _) = python_helper_in(&cg, "live_threads.py", &["1000"]);
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
    let limit: u64 = 64 << 20;
    let Some(guard) = MemCgroupV1::new("doctor", limit) else {
        return;
    };
    let procs = guard.procs();
    let procs = procs.to_str().expect("utf-8 path");

    // A hog is OOM-killed first (alone in the cgroup, so it is the victim).
    let (mut hog, _) = child(&guard, &["hog", procs, "512"]);
    let status = wait_exit(
        &mut hog.0,
        Duration::from_secs(30),
        "the hog was never OOM-killed",
    );
    use std::os::unix::process::ExitStatusExt;
    // Alone in a 64 MiB cgroup without swap, a process allocating 512 MiB
    // is OOM-killed: anything else means the cgroup did not limit it.
    assert_eq!(
        status.signal(),
        Some(9),
        "the hog was not OOM-killed: {status:?}"
    );
    drop(hog);

    // Then two processes that stay: python holding 42 MiB (with the
    // interpreter, about 87% of the limit) and a small `sleep`.
    let (big, _) = child(&guard, &["join", procs, "42"]);
    let small = Reaped::spawn(Command::new("sleep").arg("60").stdin(Stdio::null()));
    let (bpid, spid) = (big.pid(), small.pid());
    std::fs::write(procs, spid.to_string()).expect("move sleep into the cgroup");
    let rss = common::status_field(bpid, "VmRSS").expect("VmRSS");
    let pct = rss as f64 * 100.0 / limit as f64;

    let v = doctor_json(&[]);
    let oom: Vec<&Value> = findings(&v)
        .iter()
        .filter(|f| f["id"] == "cgroup.oom_kills" && (f["pid"] == bpid || f["pid"] == spid))
        .collect();
    assert_eq!(oom.len(), 1, "once per cgroup: {}", v["findings"]);
    let f = oom[0];
    assert_eq!(f["pid"], bpid, "named after the largest process: {f}");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["evidence"]["oom_kill"], 1, "{f}");
    assert_eq!(f["evidence"]["cgroup"], guard.name().as_str(), "{f}");
    // Both processes named, the largest first.
    assert_eq!(f["evidence"]["top"][0]["pid"], bpid, "{f}");
    assert_eq!(f["evidence"]["top"][1]["pid"], spid, "{f}");
    assert_eq!(f["next"], format!("proctor maps {bpid} --sort rss"));

    let near = of_pid(&v, bpid)
        .into_iter()
        .find(|f| f["id"] == "memory.near_cgroup_limit");
    // 42 MiB held plus the interpreter: well inside the warning band.
    assert!(
        (81.0..94.0).contains(&pct),
        "the child's RSS is {pct:.1}% of the limit, outside the warning band this test plants"
    );
    let f = near.unwrap_or_else(|| panic!("RSS {pct:.0}% of the limit: {}", v["findings"]));
    assert_eq!(f["evidence"]["limit_bytes"], limit, "{f}");
    assert_eq!(f["severity"], "warning", "{f} ({pct:.1}%)");
    assert_eq!(f["next"], format!("proctor maps {bpid} --sort rss"));
    // The small process in the same cgroup is far below the limit.
    assert!(
        of_pid(&v, spid)
            .iter()
            .all(|f| f["id"] != "memory.near_cgroup_limit"),
        "{}",
        v["findings"]
    );
    drop(big);
    drop(small);
    drop(guard);
}

// ------------------------------------------------------------ JSON shape

#[test]
fn json_shape() {
    let v = doctor_json(&[]);
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["findings", "host", "incomplete", "oom", "skipped"]);

    let h = &v["host"];
    let mut hk: Vec<&str> = h
        .as_object()
        .expect("host object")
        .keys()
        .map(String::as_str)
        .collect();
    hk.sort_unstable();
    assert_eq!(
        hk,
        [
            "cpus",
            "file_max",
            "load",
            "mem_available_bytes",
            "mem_total_bytes",
            "memory_pressure_full_avg10",
            "memory_pressure_some_avg10",
            "open_files",
            "processes",
            "sampled_seconds",
            "swap_total_bytes",
            "swap_used_bytes",
            "threads",
            "zombies",
        ],
        "{h}"
    );
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
    // Every Linux host has these: the values of /proc/sys/fs/file-nr.
    let file_nr: Vec<u64> = std::fs::read_to_string("/proc/sys/fs/file-nr")
        .expect("file-nr")
        .split_whitespace()
        .map(|n| n.parse().expect("file-nr number"))
        .collect();
    let open = h["open_files"].as_u64().expect("open_files");
    assert!(
        open > 0 && open <= file_nr[0] * 2 + 1000,
        "open_files {open} vs {file_nr:?}"
    );
    assert_eq!(h["file_max"].as_u64(), Some(file_nr[2]));
    let load = h["load"].as_array().expect("load: /proc/loadavg is there");
    assert_eq!(load.len(), 3);
    // No swap, or swap used within swap total; pressure where PSI exists.
    let swap = (
        h["swap_total_bytes"].as_u64(),
        h["swap_used_bytes"].as_u64(),
    );
    assert!(matches!(swap, (Some(t), Some(u)) if u <= t), "{h}");
    assert_eq!(
        h["memory_pressure_some_avg10"].is_null(),
        !std::path::Path::new("/proc/pressure/memory").exists(),
        "{h}"
    );

    for f in findings(&v) {
        let obj = f.as_object().expect("finding object");
        let mut fk: Vec<&str> = obj.keys().map(String::as_str).collect();
        fk.sort_unstable();
        assert_eq!(
            fk,
            [
                "evidence", "id", "message", "name", "next", "pid", "severity", "workload"
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
    let mut sk: Vec<&str> = s
        .as_object()
        .expect("skipped object")
        .keys()
        .map(String::as_str)
        .collect();
    sk.sort_unstable();
    assert_eq!(
        sk,
        ["exited", "permission_denied", "read_errors", "unreadable"],
        "{s}"
    );
    assert!(s["exited"].is_u64(), "{s}");
    assert!(s["permission_denied"].is_u64(), "{s}");
}

// ---------------------------------------------------------- human output

#[test]
fn human_report_names_the_planted_pids() {
    let Some(cg) = own_cgroup("doctor-human") else {
        return;
    };
    let (nofile, _) = child(&cg, &["nofile", "64"]);
    let npid = nofile.pid();
    let (zhelper, zpid, zstart) = zombie_parent(&cg);
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
            .position(|l| l.trim_start().starts_with(&head) && l.ends_with(id))
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
    for arg in ["0", "0s", "0ms"] {
        assert_usage_error(
            &["doctor", "--sample", arg],
            "--sample must be greater than zero",
            "--sample 5s",
        );
    }
    assert_usage_error(
        &["doctor", "--sample", "-1s"],
        "'-1s' is negative",
        "`proctor COMMAND --help`",
    );
    assert_usage_error(
        &["doctor", "--sample", "abc"],
        "'abc'",
        "`proctor COMMAND --help`",
    );
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
    // 3 when the host holds a process root cannot fully read.
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
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
    // Other users' descriptors are unreadable: never "all checked" (0);
    // 1 when a problem was found anyway (the host's history may hold one).
    assert!(
        matches!(out.status.code(), Some(1 | 3)),
        "{:?}: {}",
        out.status,
        common::stderr(&out)
    );
    let v = json(&out);
    assert!(!v["incomplete"].is_null(), "{}", v["incomplete"]);
    assert_eq!(out.status.code(), Some(expected_code(&v)));
    let denied = v["skipped"]["permission_denied"]
        .as_u64()
        .expect("permission_denied");
    assert!(denied > 0, "{}", v["skipped"]);
    assert!(denied <= v["host"]["processes"].as_u64().expect("processes"));
    assert!(v["skipped"]["exited"].is_u64());

    let out = nobody.run(&["doctor"]);
    assert!(matches!(out.status.code(), Some(1 | 3)), "{:?}", out.status);
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
            ("cgroup.oom_kills", "critical"),
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
        let o = one(&v, 4242, "cgroup.oom_kills");
        assert_eq!(o["evidence"]["oom_kill"], oom_kills, "{tree}");
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
        assert!(text.contains("CRITICAL  4242 python3.11  cgroup.oom_kills"));

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
        replace_in_file(&t.path().join("proc/4300/stat"), from, to);
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

// ------------------------------------------------- host rules (fixtures)

/// (id, severity, pid) of every finding, in the order given.
fn id_list(v: &Value) -> Vec<(String, String, Value)> {
    findings(v)
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["pid"].clone(),
            )
        })
        .collect()
}

fn expect_ids(want: &[(&str, &str, Option<i32>)]) -> Vec<(String, String, Value)> {
    want.iter()
        .map(|(i, s, p)| (i.to_string(), s.to_string(), Value::from(*p)))
        .collect()
}

/// Every host rule, read from the files of an edited fixture tree (the
/// reader side: meminfo, pressure/memory, loadavg, sys/fs/file-nr,
/// sys/kernel/pid_max): warning levels, then critical ones, and a host
/// summary carrying the values read.
#[test]
fn host_rules_from_the_host_files() {
    // MemAvailable 1 GiB of 23.5 GiB (4.2%): critical. Swap 1.5 of 2 GiB
    // (75%): warning. PSI some 12.5% (>= 10): warning; full 1% (< 5).
    // file-nr 850000 of 1000000 (85%): warning. 17 tasks of pid_max 20
    // (85%): warning.
    let t = host_fixture(&HostFiles {
        mem_available_kb: 1 << 20,
        swap_total_kb: 2 << 20,
        swap_free_kb: 512 << 10,
        psi: Some((12.5, 1.0)),
        file_nr: Some((850_000, 1_000_000)),
        pid_max: Some(20),
        load: "0.52 1.25 2.00 3/412 98765",
    });
    let r = root_args(t.path());
    let r = r.each_ref().map(String::as_str);
    let (out, v) = doctor_json_at(&r, &[]);
    assert_eq!(out.status.code(), Some(1));
    let h = &v["host"];
    assert_eq!(h["mem_total_bytes"], 24684092u64 * 1024, "{h}");
    assert_eq!(h["mem_available_bytes"], 1u64 << 30, "{h}");
    assert_eq!(h["swap_total_bytes"], 2u64 << 30, "{h}");
    assert_eq!(h["swap_used_bytes"], 3u64 << 29, "{h}");
    assert_eq!(h["memory_pressure_some_avg10"], 12.5, "{h}");
    assert_eq!(h["memory_pressure_full_avg10"], 1.0, "{h}");
    assert_eq!(h["load"], serde_json::json!([0.52, 1.25, 2.0]), "{h}");
    assert_eq!(h["open_files"], 850_000, "{h}");
    assert_eq!(h["file_max"], 1_000_000, "{h}");
    assert_eq!(h["cpus"], 2, "{h}");
    // Most severe first; within a severity, by id.
    assert_eq!(
        id_list(&v),
        expect_ids(&[
            ("cgroup.oom_kills", "critical", Some(4242)),
            ("host.mem_available_low", "critical", None),
            ("fds.deleted_open", "warning", Some(4242)),
            ("host.file_handles", "warning", None),
            ("host.memory_pressure", "warning", None),
            ("host.swap_in_use", "warning", None),
            ("host.tasks_near_limit", "warning", None),
            ("zombies.unreaped", "warning", Some(4242)),
        ]),
        "{}",
        v["findings"]
    );
    let host = |id: &str| -> &Value {
        findings(&v)
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let f = host("host.mem_available_low");
    assert_eq!(f["name"], Value::Null);
    assert_eq!(f["evidence"]["mem_available_bytes"], 1u64 << 30);
    assert_eq!(f["evidence"]["percent"], 4.2);
    assert_eq!(f["next"], "proctor top --once --sort rss --limit 10");
    let f = host("host.swap_in_use");
    assert_eq!(f["evidence"]["swap_used_bytes"], 3u64 << 29);
    assert_eq!(f["evidence"]["percent"], 75.0);
    let f = host("host.memory_pressure");
    assert_eq!(f["evidence"]["some_avg10"], 12.5);
    assert_eq!(f["evidence"]["full_avg10"], 1.0);
    let f = host("host.file_handles");
    assert_eq!(f["evidence"]["allocated"], 850_000);
    assert_eq!(f["evidence"]["file_max"], 1_000_000);
    assert_eq!(f["next"], "proctor top --once --sort fds --limit 10");
    let f = host("host.tasks_near_limit");
    assert_eq!(f["evidence"]["tasks"], 17);
    assert_eq!(f["evidence"]["limit"], 20);
    assert_eq!(f["next"], "proctor top --once --sort threads --limit 10");

    // The human report: the host lines, then each host finding's block.
    let mut args = r.to_vec();
    args.push("doctor");
    let out = run_bounded(&mut proctor_cmd(&args));
    assert_eq!(out.status.code(), Some(1));
    let text = common::stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "proctor doctor: 2 critical, 6 warnings on 4 processes",
            "  Mem 23.5G total, 1.0G available (4%); swap 1.5G of 2.0G used",
            "  Memory pressure: some 12.5% full 1.0% (avg10); load 0.52 1.25 2.00 on 2 CPUs",
            "  4 processes (0 running, 1 zombie), 17 threads; 850000 open files host-wide",
        ],
        "{text}"
    );
    let i = lines
        .iter()
        .position(|l| l.trim_start() == "CRITICAL  host  host.mem_available_low")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(lines[i + 1].contains("only 1.00 GiB of 23.5 GiB memory is available (4.2%)"));
    assert_eq!(
        lines[i + 2].trim(),
        "next: proctor top --once --sort rss --limit 10"
    );

    // Critical levels: PSI full 6% (>= 5), file-nr 96%; swap at 10% is
    // only a note; MemAvailable back at 99%, pid_max back at 32768.
    let t = host_fixture(&HostFiles {
        mem_available_kb: 24315648,
        swap_total_kb: 2 << 20,
        swap_free_kb: (2 << 20) - 209715,
        psi: Some((20.0, 6.0)),
        file_nr: Some((960_000, 1_000_000)),
        pid_max: None,
        load: "4.00 3.00 2.00 1/300 777",
    });
    let r = root_args(t.path());
    let r = r.each_ref().map(String::as_str);
    let (_, v) = doctor_json_at(&r, &[]);
    assert_eq!(
        id_list(&v),
        expect_ids(&[
            ("cgroup.oom_kills", "critical", Some(4242)),
            ("host.file_handles", "critical", None),
            ("host.memory_pressure", "critical", None),
            ("fds.deleted_open", "warning", Some(4242)),
            ("zombies.unreaped", "warning", Some(4242)),
            ("host.swap_in_use", "info", None),
        ]),
        "{}",
        v["findings"]
    );
    assert_eq!(v["host"]["load"], serde_json::json!([4.0, 3.0, 2.0]));
}

/// A fixture copy whose planted problems are fixed: no OOM kill recorded,
/// the deleted file's link renamed, the zombie running again.
fn healthy_fixture() -> TempDir {
    let t = fixture_copy("v1-basic");
    replace_in_file(
        &t.path()
            .join("sys/fs/cgroup/memory/kubepods/burstable/pod1234/abc/memory.oom_control"),
        "oom_kill 2",
        "oom_kill 0",
    );
    let fd7 = t.path().join("proc/4242/fd/7");
    std::fs::remove_file(&fd7).expect("rm fd/7");
    std::os::unix::fs::symlink("/tmp/proctor-fx/data/scratch.tmp", &fd7).expect("fd/7");
    replace_in_file(&t.path().join("proc/4300/stat"), ") Z 4242 ", ") S 4242 ");
    t
}

/// Exit 0 when nothing at warning or above is found, even with an info
/// finding (swap at 10%), which the report shows with --all only; JSON
/// always lists it.
#[test]
fn only_a_note_exits_0() {
    let t = healthy_fixture();
    let r = root_args(t.path());
    let r = r.each_ref().map(String::as_str);
    let (out, v) = doctor_json_at(&r, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(findings(&v).is_empty(), "{}", v["findings"]);

    replace_in_file(
        &t.path().join("proc/meminfo"),
        "SwapTotal:             0 kB",
        "SwapTotal:       2097152 kB",
    );
    replace_in_file(
        &t.path().join("proc/meminfo"),
        "SwapFree:              0 kB",
        "SwapFree:        1887437 kB",
    );
    let (out, v) = doctor_json_at(&r, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        id_list(&v),
        expect_ids(&[("host.swap_in_use", "info", None)])
    );

    let mut args = r.to_vec();
    args.push("doctor");
    let plain = run_bounded(&mut proctor_cmd(&args));
    assert_eq!(plain.status.code(), Some(0));
    let text = common::stdout(&plain);
    assert!(
        text.starts_with(
            "proctor doctor: No problems found on 4 processes; 1 note not shown (--all)\n"
        ),
        "{text}"
    );
    assert!(!text.contains("host.swap_in_use"), "{text}");
    args.push("--all");
    let all = run_bounded(&mut proctor_cmd(&args));
    assert_eq!(all.status.code(), Some(0));
    let text = common::stdout(&all);
    assert!(
        text.contains("\nHost\n  info      host  host.swap_in_use\n"),
        "{text}"
    );
    assert!(!text.contains("not shown"), "{text}");
}

/// Zombies host-wide: 99 are not a host finding, 100 are (and all are
/// reported on the parent that does not reap them); the suggested next
/// command lists exactly those zombies.
#[test]
fn host_wide_zombies_from_one_hundred() {
    for (extra, host_finding) in [(98, false), (99, true)] {
        let t = fixture_copy("v1-basic");
        let p = t.path().join("proc");
        // Copies of the zombie 4300 (child of 4242) under new PIDs.
        for pid in 5000..5000 + extra {
            let dir = p.join(pid.to_string());
            let st = Command::new("cp")
                .arg("-a")
                .arg(p.join("4300"))
                .arg(&dir)
                .status()
                .expect("cp");
            assert!(st.success());
            replace_in_file(&dir.join("stat"), "4300 (", &format!("{pid} ("));
        }
        let zombies = extra + 1;
        let r = root_args(t.path());
        let r = r.each_ref().map(String::as_str);
        let (_, v) = doctor_json_at(&r, &[]);
        assert_eq!(v["host"]["zombies"], zombies);
        let z = one(&v, 4242, "zombies.unreaped");
        assert_eq!(z["evidence"]["zombies"], zombies);
        assert!(
            z["message"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("and {} more", zombies - 10)),
            "{z}"
        );
        let host: Vec<&Value> = findings(&v)
            .iter()
            .filter(|f| f["id"] == "host.zombies")
            .collect();
        if !host_finding {
            assert!(host.is_empty(), "{zombies} zombies: {host:?}");
            continue;
        }
        assert_eq!(host.len(), 1, "{}", v["findings"]);
        let f = host[0];
        assert_eq!(f["severity"], "warning");
        assert_eq!(f["pid"], Value::Null);
        assert_eq!(f["evidence"]["zombies"], 100);
        let next = f["next"].as_str().expect("next");
        assert_eq!(next, "proctor top --once --filter defunct");
        // Follow the advice: it shows the 100 zombies and nothing else.
        let mut args = r.to_vec();
        args.extend(next.split(' ').skip(1));
        args.push("--json");
        let o = run_bounded(&mut proctor_cmd(&args));
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
        let rows = json(&o);
        let rows = rows.as_array().expect("rows");
        assert_eq!(rows.len(), 100);
        assert!(rows.iter().all(|r| r["state"] == "Z"), "{rows:?}");
    }
}

/// `--sample` on a fixture copy changed between the two scans: a process
/// whose descriptors, threads and RSS grew is reported three times, with
/// exact evidence, each with its `watch` command; unchanged processes are
/// not growers.
#[test]
fn sample_growers_of_each_kind() {
    let t = fixture_copy("v1-basic");
    let proc_dir = t.path().join("proc");
    // The host's task count, what the kernel's task limits are timed
    // against (the tree was captured without loadavg).
    std::fs::write(proc_dir.join("loadavg"), "0.00 0.01 0.05 1/150 999\n").expect("loadavg");
    let mut child = Reaped::spawn(
        proctor_cmd(root_args(t.path()))
            .args(["doctor", "--json", "--sample", "2s"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let stat = proc_dir.join("4242/stat");
    wait_until_held_open(&mut child.0, &stat, "doctor --sample 2s");
    // Threads 4 -> 104 (field 20); RSS 11061 -> 19253 pages (+32 MiB at
    // 4 KiB; field 24); descriptors 19 -> 39.
    assert_eq!(set_stat_field(&stat, 20, "104"), "4");
    let pages = rustix::param::page_size() as u64;
    assert_eq!(set_stat_field(&stat, 24, "19253"), "11061");
    for fd in 19..39 {
        std::os::unix::fs::symlink("/dev/null", proc_dir.join(format!("4242/fd/{fd}")))
            .expect("symlink");
    }
    let out = common::output_within(&mut child.0, common::RUN_LIMIT, "doctor --sample 2s");
    let v = json(&out);
    assert_eq!(out.status.code(), Some(expected_code(&v)));
    let secs = v["host"]["sampled_seconds"].as_f64().expect("sampled");
    // Two seconds apart; a loaded host may wake the second scan late.
    assert!((2.0 - 0.05..6.0).contains(&secs), "{secs}");
    let growth: Vec<&Value> = findings(&v)
        .iter()
        .filter(|f| f["id"].as_str().unwrap_or_default().starts_with("growth."))
        .collect();
    assert!(growth.iter().all(|f| f["pid"] == 4242), "{growth:?}");
    let check = |id: &str, from: u64, to: u64, metric: &str| {
        let f = one(&v, 4242, id);
        let e = &f["evidence"];
        assert_eq!(
            (e["from"].as_u64(), e["to"].as_u64()),
            (Some(from), Some(to)),
            "{f}"
        );
        assert_eq!(
            e["seconds"].as_f64(),
            Some((secs * 10.0).round() / 10.0),
            "{f}"
        );
        let want = (to - from) as f64 / secs;
        let rate = e["per_second"].as_f64().expect("per_second");
        assert!(
            (rate - want).abs() <= want * 0.03 + 0.06,
            "{f}: want {want}"
        );
        assert_eq!(f["next"], format!("proctor watch 4242 --metrics {metric}"));
        // Each ceiling is less than an hour away at these rates: warnings.
        assert_eq!(f["severity"], "warning", "{f}");
        f["message"].as_str().unwrap_or_default().to_string()
    };
    let m = check("growth.fds", 19, 39, "fds");
    assert!(
        m.contains("reaches 20000 (RLIMIT_NOFILE soft limit) in"),
        "{m}"
    );
    // pid_max (32768) less the host's 150 tasks: less room than
    // threads-max's.
    let m = check("growth.threads", 4, 104, "threads");
    assert!(m.contains("reaches 32768 (kernel.pid_max) in"), "{m}");
    // The memory cgroup's limit, against that cgroup's usage.
    let m = check("growth.rss", 11061 * pages, 19253 * pages, "rss");
    assert!(
        m.contains("reaches 512 MiB (memory.limit_in_bytes of ")
            && m.contains("sys/fs/cgroup/memory/kubepods/burstable/pod1234/abc) in"),
        "{m}"
    );
    assert_eq!(growth.len(), 3, "{growth:?}");
}
