//! One ceiling: the limit a leak runs into, the room left and the time to
//! it are the same for `watch` (JSON and text) and `doctor --sample`, on
//! the captured trees and on a real thread leak in a pids cgroup of its
//! own.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use proctor::analysis::ceiling::{Kind, exhaustion};
use proctor::analysis::leak::Metric;
use proctor::reader::{ProcFs, Sample};
use serde_json::Value;

use crate::common::{CgroupV1, RUN_LIMIT, Reaped, bin, output_within, proctor_cmd, stdout};

/// A v1 pids cgroup of the test's own with this pids.max.
fn pids_cgroup(max: u64) -> Option<CgroupV1> {
    CgroupV1::new("pids", "ceiling", &[("pids.max", &max.to_string())])
}

/// "1h 2m", "3m 4s", "45s" back to seconds.
fn seconds(words: &str) -> f64 {
    words
        .split(' ')
        .map(|w| {
            let (n, unit) = w.split_at(w.len() - 1);
            let n: f64 = n
                .parse()
                .unwrap_or_else(|_| panic!("not a duration: {words}"));
            n * match unit {
                "d" => 86400.0,
                "h" => 3600.0,
                "m" => 60.0,
                _ => 1.0,
            }
        })
        .sum()
}

/// The captured trees: which limit each metric runs into, and its room.
#[test]
fn ceilings_on_cgroup_v1_and_v2_fixtures() {
    let root = crate::common::fixture("v2-basic");
    let fs = ProcFs::new(root.join("proc"), root.join("sys"));
    let c = fs.ceilings(&fs.open(4242).unwrap());
    assert_eq!(c.nofile, Some(20000));
    assert_eq!(c.max_map_count, Some(65530));
    assert_eq!(c.oom_kills, Some(1));
    // Tightest memory limit: the ancestor's 1 GiB, not the scope's "max";
    // its room is against that ancestor's usage.
    let m = c.memory.as_ref().unwrap();
    assert_eq!(m.limit, 1 << 30);
    assert!(
        m.limit_file
            .ends_with("kubepods.slice/kubepods-burstable.slice/memory.max"),
        "{m:?}"
    );
    assert_eq!(m.usage, Some(314_568_704));
    let own = Sample {
        rss: Some(12 << 20),
        threads: Some(4),
        ..Sample::default()
    };
    let e = exhaustion(Metric::Rss, &own, &c, 1_000_000.0).unwrap();
    assert_eq!(e.kind, Kind::MemoryCgroup);
    assert_eq!(e.headroom, Some((1 << 30) - 314_568_704));
    // pids.max 4096 on the scope, 5 tasks in it.
    let p = c.pids.as_ref().unwrap();
    assert_eq!((p.limit, p.usage), (4096, Some(5)));
    assert!(
        p.limit_file.ends_with("cri-containerd-abc.scope/pids.max"),
        "{p:?}"
    );
    let e = exhaustion(Metric::Threads, &own, &c, 1.0).unwrap();
    assert_eq!(
        (e.kind, e.headroom, e.eta_s),
        (Kind::PidsMax, Some(4091), Some(4091.0))
    );

    // v1: no pids cgroup and no loadavg in the tree: the kernel's limit,
    // the one with the least room (pid_max 32768 < threads-max 192730), is
    // named but not timed (the host's task count is unknown).
    let root = crate::common::fixture_copy("v1-basic");
    let fs = ProcFs::new(root.path().join("proc"), root.path().join("sys"));
    let c = fs.ceilings(&fs.open(4242).unwrap());
    assert_eq!(c.memory.as_ref().map(|m| m.limit), Some(536_870_912));
    assert_eq!(c.oom_kills, Some(2));
    assert!(c.pids.is_none());
    let e = exhaustion(Metric::Threads, &own, &c, 1.0).unwrap();
    assert_eq!((e.kind, e.limit, e.eta_s), (Kind::PidMax, 32768, None));
    // With the host's 768 tasks: timed against them.
    std::fs::write(
        root.path().join("proc/loadavg"),
        "0.00 0.01 0.05 1/768 999\n",
    )
    .unwrap();
    let c = fs.ceilings(&fs.open(4242).unwrap());
    let e = exhaustion(Metric::Threads, &own, &c, 2.0).unwrap();
    assert_eq!(
        (e.kind, e.headroom, e.eta_s),
        (Kind::PidMax, Some(32000), Some(16000.0))
    );
    // threads-max the tighter: it is the ceiling.
    std::fs::write(root.path().join("proc/sys/kernel/threads-max"), "1000\n").unwrap();
    let c = fs.ceilings(&fs.open(4242).unwrap());
    let e = exhaustion(Metric::Threads, &own, &c, 2.0).unwrap();
    assert_eq!(
        (e.kind, e.headroom, e.eta_s),
        (Kind::ThreadsMax, Some(232), Some(116.0))
    );
}

/// `proctor demo-child thread-leak` (4 threads a second), running.
fn thread_leaker() -> Reaped {
    let c = Reaped::spawn(
        Command::new(bin())
            .args(["demo-child", "thread-leak", "--lifetime", "120"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", c.pid())).unwrap_or_default();
        if comm.trim() == "proctor" {
            return c;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("thread leaker never started");
}

fn run(args: &[&str]) -> Reaped {
    Reaped::spawn(
        proctor_cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
}

fn finish(mut r: Reaped, what: &str) -> Output {
    output_within(&mut r.0, RUN_LIMIT, what)
}

/// The same leaking process in a pids cgroup of its own (pids.max 200),
/// judged at the same time by `watch --json`, `watch` and `doctor
/// --sample --json`: all three run into pids.max (not the kernel's far
/// larger limits), each with the time its own rate gives to the room the
/// cgroup has left.
#[test]
fn watch_and_doctor_name_the_same_pids_limit() {
    const MAX: u64 = 200;
    let Some(cg) = pids_cgroup(MAX) else {
        return;
    };
    let leaker = thread_leaker();
    cg.adopt(leaker.pid());
    let pid = leaker.pid().to_string();
    let name = cg.dir.display().to_string();
    let watch_args = [
        "watch",
        &pid,
        "--metrics",
        "threads",
        "--interval",
        "250ms",
        "--duration",
        "8s",
    ];
    let mut json_args = watch_args.to_vec();
    json_args.push("--json");
    let json_watch = run(&json_args);
    let text_watch = run(&watch_args);
    let doctor = run(&["doctor", "--sample", "3s", "--json"]);
    let (jo, to, d) = (
        finish(json_watch, "watch --json"),
        finish(text_watch, "watch"),
        finish(doctor, "doctor --sample"),
    );

    // watch --json: the limit is pids.max's value; the time is the room
    // (pids.max - pids.current, read at the verdict, at least the threads
    // of the last sample, at most 2 s of leak more) at the slope.
    let recs: Vec<Value> = stdout(&jo)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let v = recs
        .iter()
        .find(|r| r["type"] == "verdict")
        .expect("verdict");
    let leak = v["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["metric"] == "threads")
        .unwrap_or_else(|| panic!("no thread leak: {v}"));
    assert_eq!(leak["limit"], MAX as f64, "{leak}");
    let slope = leak["slope_per_s"].as_f64().unwrap();
    let current = leak["current"].as_f64().unwrap();
    let eta = leak["eta_s"].as_f64().unwrap();
    let most = (MAX as f64 - current) / slope;
    assert!(
        eta <= most + 0.01 && eta >= most - 2.0 * 4.0 / slope - 0.01,
        "eta {eta}, room of {current} threads gives {most}: {leak}"
    );

    // watch: the verdict names the limit.
    let text = stdout(&to);
    let named = format!("reaches {MAX} (pids.max of {name}) in ");
    assert!(
        text.contains("LEAK") && text.contains(&named),
        "{text}\n(want {named})"
    );

    // doctor --sample: the same limit, and the time its rate gives to the
    // room left when it read the cgroup (after its second scan).
    let report: Value = serde_json::from_slice(&d.stdout).unwrap();
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "growth.threads" && f["pid"] == leaker.pid())
        .unwrap_or_else(|| panic!("no thread grower: {}", report["findings"]));
    let message = f["message"].as_str().unwrap();
    let (_, time) = message
        .split_once(&named)
        .unwrap_or_else(|| panic!("{message} does not name {named}"));
    let t = seconds(time);
    let to = f["evidence"]["to"].as_f64().unwrap();
    let rate = f["evidence"]["per_second"].as_f64().unwrap();
    let most = (MAX as f64 - to) / rate;
    // Rounded to the second; the usage read after the scan is at least
    // the threads scanned, at most a few seconds of leak more.
    assert!(
        t <= most + 1.0 && t >= most - 5.0 * 4.0 / rate - 1.0,
        "{message}: room of {to} threads at {rate}/s gives {most}"
    );
    // Under an hour: a warning, as watch's LEAK.
    assert_eq!(f["severity"], "warning", "{f}");
    drop(leaker);
    drop(cg);
}
