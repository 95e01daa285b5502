//! `doctor --sample` on an old, slow leak near its ceiling (reported
//! whatever its relative growth, with `watch`'s limit and time), and the
//! busy-thread rule naming a spinning thread in `inspect` and `doctor`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{
    self, MemCgroupV1, RUN_LIMIT, Reaped, expected_code, json, proctor_cmd, python_helper_in,
    ready_numbers,
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
