//! The faster paths of issue 15 give the same answers as the slow ones:
//! `doctor` traces CLOSE_WAIT sockets (found in the kernel's table
//! filtered by state) to a process whose links it would otherwise skip
//! (more than `LINK_WALK_MAX` descriptors) with the exact count; `watch`
//! judges sockets and CLOSE_WAIT within 30 s on a process with 17,000
//! descriptors (its links read incrementally; bench/watch-sockets.sh
//! measures 19,000 on a release build); `threads`' context switches equal each thread's own
//! /proc/PID/task/TID/status. Live children in cgroups of their own,
//! killed and reaped on drop.

use serde_json::Value;

use crate::common::{
    self, MemCgroupV1, TempDir, json, nofile_limits, proctor_cmd, python_helper, python_helper_in,
    run_bounded, temp_str,
};

/// `proctor doctor --json`'s findings for `pid` with `id`.
fn finding<'a>(v: &'a Value, pid: i32, id: &str) -> Option<&'a Value> {
    v["findings"]
        .as_array()?
        .iter()
        .find(|f| f["pid"] == pid && f["id"] == id)
}

/// Descriptors a child may hold here: under the hard RLIMIT_NOFILE (20,000
/// on the CI host), with room for the child's own.
fn room_for(want: u64) -> Option<u64> {
    let (_, hard) = nofile_limits(std::process::id() as i32);
    let hard = hard.unwrap_or(u64::MAX);
    let fits = hard > want + 200;
    common::require("a hard RLIMIT_NOFILE above the test's descriptors", fits).then_some(want)
}

/// Two children in one network namespace with CLOSE_WAIT sockets: one
/// with a few descriptors (its links read by the survey), one with more
/// than `LINK_WALK_MAX` (16,384): its links are read only to trace the
/// namespace's CLOSE_WAIT sockets, and the count is still exact, its
/// deleted file still found.
#[test]
fn doctor_traces_close_wait_to_a_process_with_many_descriptors() {
    let _heavy = common::heavy();
    let Some(extra) = room_for(17_000) else {
        return;
    };
    let Some(cg) = MemCgroupV1::own("perf-cw") else {
        return;
    };
    let dir = TempDir::new("perf-cw");
    let (light, _) = python_helper_in(&cg, "live_close_wait.py", &[temp_str(&dir), "25"]);
    let extra = extra.to_string();
    let (heavy, _) = python_helper_in(&cg, "live_close_wait.py", &[temp_str(&dir), "33", &extra]);
    let out = run_bounded(&mut proctor_cmd(["doctor", "--json"]));
    let v = json(&out);
    for (pid, n) in [(light.pid(), 25), (heavy.pid(), 33)] {
        let f = finding(&v, pid, "sockets.close_wait")
            .unwrap_or_else(|| panic!("no CLOSE_WAIT finding for {pid}: {}", v["findings"]));
        assert_eq!(f["evidence"]["close_wait"], n, "{f}");
    }
    // The light child's deleted file: its links were read by the survey.
    let f = finding(&v, light.pid(), "fds.deleted_open").expect("deleted file of the light child");
    assert_eq!(f["evidence"]["deleted"], 1, "{f}");
    // The heavy one's: read while tracing its CLOSE_WAIT sockets.
    let f = finding(&v, heavy.pid(), "fds.deleted_open").expect("deleted file of the heavy child");
    assert_eq!(f["evidence"]["deleted"], 1, "{f}");
    drop(light);
    drop(heavy);
    drop(dir);
}

/// `watch` on a child with 17,000 descriptors (33 sockets in CLOSE_WAIT
/// among them) reads its sockets often enough to judge them and
/// CLOSE_WAIT within 30 s (at least 8 samples each): both healthy (the
/// child holds them steady), neither undecided.
#[test]
fn watch_judges_sockets_on_a_process_with_many_descriptors() {
    let _timing = common::timing_sensitive();
    let Some(extra) = room_for(17_000) else {
        return;
    };
    let Some(cg) = MemCgroupV1::own("perf-watch") else {
        return;
    };
    let dir = TempDir::new("perf-watch");
    let extra = extra.to_string();
    let (child, _) = python_helper_in(&cg, "live_close_wait.py", &[temp_str(&dir), "33", &extra]);
    let pid = child.pid().to_string();
    let out = run_bounded(&mut proctor_cmd([
        "watch",
        &pid,
        "--metrics",
        "sockets,close_wait",
        "--interval",
        "500ms",
        "--duration",
        "30s",
        "--json",
    ]));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let verdict: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "verdict")
        .unwrap_or_else(|| panic!("no verdict: {text}"));
    let healthy: Vec<&str> = verdict["healthy"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        healthy.contains(&"sockets") && healthy.contains(&"close_wait"),
        "sockets and close_wait not judged: {verdict}"
    );
    // The readings are this child's: 33 CLOSE_WAIT, 34 sockets (the
    // listener is closed only at exit).
    let last = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .rfind(|v| v["type"] == "sample")
        .unwrap_or_else(|| panic!("no sample: {text}"));
    assert_eq!(last["close_wait"], 33, "{last}");
    assert_eq!(last["sockets"], 34, "{last}");
    drop(child);
    drop(dir);
}

/// The voluntary and nonvoluntary switches of one thread, from its own
/// status file.
fn switches(pid: i32, tid: i64) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
    let get = |key: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
    };
    Some((
        get("voluntary_ctxt_switches:")?,
        get("nonvoluntary_ctxt_switches:")?,
    ))
}

/// `threads --json`: every idle thread's switches equal its status file's
/// (read before and after; a thread that switched meanwhile is not
/// compared, and most must not have).
#[test]
fn threads_switches_equal_each_threads_status() {
    let (child, line) = python_helper("live_threads.py", &["40"]);
    assert_eq!(line, "READY");
    let pid = child.pid();
    let tids: Vec<i64> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task dir")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&t| t != i64::from(pid))
        .collect();
    assert_eq!(tids.len(), 40);
    let before: Vec<_> = tids.iter().map(|&t| switches(pid, t)).collect();
    let v = json(&run_bounded(&mut proctor_cmd([
        "threads",
        &pid.to_string(),
        "--json",
    ])));
    let rows = v["threads"].as_array().expect("threads");
    let mut compared = 0;
    for (&tid, was) in tids.iter().zip(before) {
        let now = switches(pid, tid);
        if was.is_none() || was != now {
            continue;
        }
        let (vol, nonvol) = now.unwrap_or_default();
        let row = rows
            .iter()
            .find(|r| r["tid"] == tid)
            .unwrap_or_else(|| panic!("thread {tid} missing: {v}"));
        assert_eq!(row["voluntary_ctxt_switches"], vol, "{row}");
        assert_eq!(row["nonvoluntary_ctxt_switches"], nonvol, "{row}");
        compared += 1;
    }
    assert!(
        compared >= 30,
        "only {compared} of 40 idle threads held still"
    );
    drop(child);
}

/// A child past `LINK_WALK_MAX` descriptors with no CLOSE_WAIT socket to
/// trace: its links are not read, and doctor says which checks did not
/// run (never a silent "nothing wrong" about its deleted files).
#[test]
fn doctor_says_when_a_large_process_links_were_not_read() {
    let _heavy = common::heavy();
    let Some(extra) = room_for(17_000) else {
        return;
    };
    let Some(cg) = MemCgroupV1::own("perf-big") else {
        return;
    };
    let dir = TempDir::new("perf-big");
    let extra = extra.to_string();
    let (big, _) = python_helper_in(&cg, "live_close_wait.py", &[temp_str(&dir), "0", &extra]);
    let out = run_bounded(&mut proctor_cmd(["doctor", "--json"]));
    let v = json(&out);
    let reasons = v["incomplete"]["reasons"].to_string();
    assert!(
        reasons.contains("too_many_descriptors") && reasons.contains("fds.deleted_open"),
        "{}",
        v["incomplete"]
    );
    assert!(finding(&v, big.pid(), "fds.deleted_open").is_none());
    drop(big);
    drop(dir);
}
