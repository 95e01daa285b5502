//! `doctor --sample` on an old, slow leak near its ceiling (reported
//! whatever its relative growth, with `watch`'s limit and time), and the
//! busy-thread rule naming a spinning thread in `inspect` and `doctor`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{
    self, CgroupV1, MemCgroupV1, RUN_LIMIT, Reaped, expected_code, json, proctor, proctor_cmd,
    python_helper_in, ready_numbers,
};

/// The findings of `pid` with id `id` in a doctor document.
fn findings_of<'a>(v: &'a serde_json::Value, pid: i32, id: &str) -> Vec<&'a serde_json::Value> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["pid"] == pid && f["id"] == id)
        .collect()
}

/// The descriptors `pid` holds now.
fn fd_entries(pid: i32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

/// The case: 5 descriptors a second, already at 1,086 of a soft
/// limit of 2,048. Growth of 2% in 5 s is under the relative threshold,
/// but the limit is about 3 minutes away: a warning, with the soft limit
/// and a time within 25% of the truth.
#[test]
fn an_old_leak_near_its_limit_is_reported() {
    let Some(cg) = MemCgroupV1::own("growers-leak") else {
        return;
    };
    let (leaker, line) = python_helper_in(
        &cg,
        "growers_child.py",
        &["leak", "2048", "1086", "5", "90"],
    );
    let pid = leaker.pid();
    let base = ready_numbers(&line, 1)[0] as u64;
    assert_eq!(base, 1086, "{line}");
    // Leaking: at least 10 more descriptors before doctor starts.
    common::wait_until("the leak under way", Duration::from_secs(30), || {
        fd_entries(pid) >= base + 10
    });
    let t0 = Instant::now();
    let mut doc = Reaped::spawn(
        proctor_cmd(["doctor", "--sample", "5s", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let out = common::output_within(&mut doc.0, RUN_LIMIT, "doctor --sample 5s");
    assert!(t0.elapsed() >= Duration::from_secs(5));
    let v = json(&out);
    assert_eq!(
        out.status.code(),
        Some(expected_code(&v)),
        "{}",
        v["findings"]
    );
    let found = findings_of(&v, pid, "growth.fds");
    assert_eq!(found.len(), 1, "{}", v["findings"]);
    let f = found[0];
    assert_eq!(f["severity"], "warning", "{f}");
    let e = &f["evidence"];
    let (from, to) = (
        e["from"].as_u64().expect("from"),
        e["to"].as_u64().expect("to"),
    );
    assert!(from >= base + 10 && to > from, "{f}");
    // Relative growth under 10%: the old threshold hid it.
    assert!(((to - from) as f64) < from as f64 * 0.10, "{f}");
    assert_eq!(e["limit"], 2048, "{f}");
    assert_eq!(e["limit_kind"], "nofile", "{f}");
    let rate = e["per_second"].as_f64().expect("per_second");
    assert!((4.0..=6.0).contains(&rate), "{f}");
    // The truth: the room left at the second scan at 5 a second.
    let truth = (2048 - to) as f64 / 5.0;
    let eta = e["eta_seconds"].as_f64().expect("eta_seconds");
    assert!(
        (eta - truth).abs() <= truth * 0.25,
        "{f}: eta {eta}, truth {truth}"
    );
    let msg = f["message"].as_str().expect("message");
    assert!(msg.contains("soft limit"), "{msg}");
    assert!(msg.contains("2048"), "{msg}");
    drop(leaker);
}

/// A v1 cpu cgroup of the test's own with the largest cpu.shares: its
/// spinning thread gets a whole CPU however busy the host is.
fn cpu_cgroup() -> Option<CgroupV1> {
    CgroupV1::new("cpu", "growers", &[("cpu.shares", "262144")])
}

/// A child with one thread named `name` spinning (at most 60 s) and two
/// sleeping, in memory and cpu cgroups of its own: (child, spinning tid,
/// guards).
fn spinner(name: &str) -> Option<(Reaped, i32, MemCgroupV1, CgroupV1)> {
    let mem = MemCgroupV1::own("growers-spin")?;
    let cpu = cpu_cgroup()?;
    let (child, line) = python_helper_in(&mem, "growers_child.py", &["spin", name, "60"]);
    cpu.adopt(child.pid());
    let tid = ready_numbers(&line, 1)[0] as i32;
    Some((child, tid, mem, cpu))
}

/// The busy-thread finding of `pid` in a findings array, if any.
fn busy_thread_of(findings: &serde_json::Value, pid: i32) -> Option<serde_json::Value> {
    findings
        .as_array()?
        .iter()
        .find(|f| f["id"] == "cpu.busy_thread" && f["pid"].as_i64().is_none_or(|p| p == pid as i64))
        .cloned()
}

/// The thread's name and TID, its share of a CPU (lifetime average, once
/// it is 5 s old) and the next command: `inspect` names the spinning
/// thread, not the sleeping ones.
#[test]
fn inspect_names_the_busy_thread() {
    let _timing = crate::common::heavy();
    let Some((child, tid, _mem, _cpu)) = spinner("busyspin") else {
        return;
    };
    let pid = child.pid();
    let mut last = serde_json::Value::Null;
    common::wait_until(
        "inspect naming the spinning thread",
        Duration::from_secs(60),
        || {
            let out = proctor(&["inspect", &pid.to_string(), "--json"]);
            last = json(&out);
            busy_thread_of(&last["findings"], pid).is_some()
        },
    );
    let f = busy_thread_of(&last["findings"], pid).expect("cpu.busy_thread");
    assert_eq!(f["severity"], "warning", "{f}");
    let e = &f["evidence"];
    assert_eq!(e["tid"], tid, "{f}");
    assert_eq!(e["thread_name"], "busyspin", "{f}");
    assert_eq!(e["basis"], "lifetime", "{f}");
    let pct = e["percent"].as_f64().expect("percent");
    assert!((90.0..=101.0).contains(&pct), "{f}");
    let msg = f["message"].as_str().expect("message");
    assert!(
        msg.starts_with(&format!("thread \"busyspin\" (TID {tid}) uses ")),
        "{msg}"
    );
    assert_eq!(f["next"], format!("proctor threads {pid} --sort cpu"));
    // The human output says it too.
    let text = common::stdout(&proctor(&["inspect", &pid.to_string()]));
    assert!(text.contains("busyspin"), "{text}");
    drop(child);
}

/// `doctor --sample 2s` measures the process between its scans and names
/// its spinning thread with its share.
#[test]
fn doctor_names_the_busy_thread() {
    let _timing = crate::common::heavy();
    let Some((child, tid, _mem, _cpu)) = spinner("dspin") else {
        return;
    };
    let pid = child.pid();
    let out = common::run_bounded(&mut proctor_cmd(["doctor", "--sample", "2s", "--json"]));
    let v = json(&out);
    assert_eq!(
        out.status.code(),
        Some(expected_code(&v)),
        "{}",
        v["findings"]
    );
    let mine: Vec<_> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["pid"] == pid)
        .collect();
    let f = busy_thread_of(&v["findings"], pid)
        .filter(|f| f["pid"] == pid)
        .unwrap_or_else(|| panic!("no cpu.busy_thread for {pid}: {mine:?}"));
    assert_eq!(f["severity"], "warning", "{f}");
    assert_eq!(f["name"], "python3", "{f}");
    let e = &f["evidence"];
    assert_eq!(
        (e["tid"].clone(), e["thread_name"].clone()),
        (tid.into(), "dspin".into()),
        "{f}"
    );
    assert_eq!(e["basis"], "sampled", "{f}");
    let (pct, proc_pct) = (
        e["percent"].as_f64().expect("percent"),
        e["process_percent"].as_f64().expect("process_percent"),
    );
    assert!((85.0..=105.0).contains(&pct), "{f}");
    // The process's share over the 2 s follows the host's load (the
    // spinner gets less than a CPU when the machine is busy: 83% once on
    // 2 cores during a build); the thread's share, over its own 0.5 s
    // reading, is what the finding is about.
    assert!((50.0..=105.0).contains(&proc_pct), "{f}");
    assert!(e["seconds"].as_f64().expect("seconds") >= 1.95, "{f}");
    assert!(
        e["thread_seconds"].as_f64().expect("thread_seconds") >= 0.45,
        "{f}"
    );
    // Not also judged busy as a whole: the busy thread says it.
    assert!(mine.iter().all(|f| f["id"] != "cpu.busy"), "{mine:?}");
    drop(child);
}

/// On a captured tree made 100 s older: a thread that used 90 s of CPU in
/// its 100.3 s is named by `inspect` (lifetime average), its hostile name
/// escaped; the same tree with 91 s of CPU spread evenly over the
/// process's four threads is `cpu.busy` (info) and names no busy thread.
#[test]
fn inspect_judges_lifetime_averages_on_a_fixture() {
    let t = common::fixture_copy("v1-basic");
    let proc = t.path().join("proc");
    std::fs::write(proc.join("uptime"), "564.34 901.69\n").expect("uptime");
    let task = proc.join("4242/task");
    // 100 Hz: 9,000 ticks are 90 s (utime, field 14).
    common::set_stat_field(&task.join("3166/stat"), 14, "9000");
    common::set_stat_field(&proc.join("4242/stat"), 14, "9010");
    common::replace_in_file(&task.join("3166/stat"), "(worker-7)", "(w\u{1b}[2J)");
    let out = common::proctor_at(t.path(), &["inspect", "4242", "--json"]);
    let v = json(&out);
    let f = busy_thread_of(&v["findings"], 4242).unwrap_or_else(|| panic!("{}", v["findings"]));
    let e = &f["evidence"];
    assert_eq!(e["tid"], 3166, "{f}");
    assert_eq!(e["basis"], "lifetime", "{f}");
    assert_eq!(e["thread_seconds"], serde_json::Value::Null, "{f}");
    // 90 s over 564.34 - 464.01 = 100.33 s; the process 90.17 s over
    // 564.34 - 463.88 = 100.46 s.
    assert_eq!(e["percent"], 89.7, "{f}");
    assert_eq!(e["process_percent"], 89.8, "{f}");
    let text = common::stdout(&common::proctor_at(t.path(), &["inspect", "4242"]));
    assert!(
        text.contains("thread \"w\\e[2J\" (TID 3166) uses 90% of a CPU on average over its life (the process: 90% over its 1m 40s life)"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "{text}");

    // 91 s spread over the four threads: 23% each, the process 91%.
    for tid in ["3164", "3165", "3166", "4242"] {
        common::set_stat_field(&task.join(tid).join("stat"), 14, "2275");
    }
    common::set_stat_field(&proc.join("4242/stat"), 14, "9100");
    let v = json(&common::proctor_at(
        t.path(),
        &["inspect", "4242", "--json"],
    ));
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .filter(|id| id.starts_with("cpu."))
        .collect();
    assert_eq!(ids, ["cpu.busy"], "{}", v["findings"]);
    let f = &v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == "cpu.busy")
        .expect("cpu.busy");
    assert_eq!(f["severity"], "info", "{f}");
    assert_eq!(f["evidence"]["cpus"], serde_json::Value::Null, "{f}");
    assert_eq!(
        f["evidence"]["hottest_threads"].as_array().map(Vec::len),
        Some(3),
        "{f}"
    );
}
