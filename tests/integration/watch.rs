//! `proctor watch` and `proctor demo` on real processes: the hidden
//! `demo-child` mode is the target (a bounded child that dies with its
//! parent), so every scenario is deterministic in shape.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{
    MemCgroupV1, RUN_LIMIT, Reaped, Tmux, bin, fixture_copy, output_within, proctor, proctor_cmd,
    stderr, stdout, wait_exit,
};

/// Start `proctor demo-child SCENARIO` and wait until it runs (and, for
/// fd-leak, has lowered its descriptor limit).
fn child(scenario: &str, lifetime: u64) -> Reaped {
    let c = Reaped::spawn(
        Command::new(bin())
            .args(["demo-child", scenario, "--lifetime", &lifetime.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let pid = c.pid();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
        let ready = comm.trim() == "proctor"
            && (scenario != "fd-leak"
                || limits.lines().any(|l| {
                    l.starts_with("Max open files") && l.split_whitespace().nth(3) == Some("1024")
                }));
        if ready {
            return c;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("demo child {scenario} never got ready");
}

fn lines(out: &std::process::Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn verdict(recs: &[Value]) -> &Value {
    let v: Vec<&Value> = recs.iter().filter(|r| r["type"] == "verdict").collect();
    assert_eq!(v.len(), 1, "exactly one verdict");
    v[0]
}

#[test]
fn detects_a_descriptor_leak_with_time_to_exhaustion() {
    let c = child("fd-leak", 40);
    let pid = c.pid().to_string();
    let o = proctor(&[
        "watch",
        &pid,
        "--interval",
        "250ms",
        "--duration",
        "5s",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let recs = lines(&o);
    let samples: Vec<&Value> = recs.iter().filter(|r| r["type"] == "sample").collect();
    assert!(
        samples.len() >= 15 && samples.len() <= 21,
        "{} samples",
        samples.len()
    );
    for k in [
        "t",
        "rss_bytes",
        "fds",
        "threads",
        "sockets",
        "close_wait",
        "leaking",
    ] {
        assert!(samples[0].get(k).is_some(), "sample lacks {k}");
    }
    // Times advance by the interval without drift.
    let last_t = samples.last().unwrap()["t"].as_f64().unwrap();
    assert!(
        (last_t - 0.25 * (samples.len() - 1) as f64).abs() < 0.2,
        "t drifted: {last_t}"
    );
    let fds: Vec<u64> = samples.iter().map(|s| s["fds"].as_u64().unwrap()).collect();
    assert!(fds.last().unwrap() > fds.first().unwrap());
    let v = verdict(&recs);
    assert_eq!(v["samples"].as_u64().unwrap() as usize, samples.len());
    assert!(v["duration_s"].as_f64().unwrap() >= 4.5);
    let leak = v["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["metric"] == "fds")
        .expect("fds leak");
    let slope = leak["slope_per_s"].as_f64().unwrap();
    assert!((4.0..=6.0).contains(&slope), "slope {slope}");
    assert_eq!(leak["limit"], 1024.0);
    let eta = leak["eta_s"].as_f64().unwrap();
    let current = leak["current"].as_f64().unwrap();
    assert!((eta - (1024.0 - current) / slope).abs() < 1.0, "eta {eta}");
    assert!(leak["p_value"].as_f64().unwrap() < 0.01);
    assert!(
        v["healthy"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "threads")
    );
    assert_eq!(v["ended"]["how"], "duration");
}

#[test]
fn a_healthy_process_is_not_flagged() {
    let c = child("steady", 40);
    let o = proctor(&[
        "watch",
        &c.pid().to_string(),
        "--interval",
        "200ms",
        "--duration",
        "3s",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let recs = lines(&o);
    let v = verdict(&recs);
    assert_eq!(v["leaks"], serde_json::json!([]));
    assert_eq!(v["healthy"].as_array().unwrap().len(), 5);
    // Metrics chosen on the command line.
    let o = proctor(&[
        "watch",
        &c.pid().to_string(),
        "--interval",
        "200ms",
        "--duration",
        "1s",
        "--json",
        "--metrics",
        "maps,pss",
    ]);
    let recs = lines(&o);
    let s = &recs[0];
    assert!(
        s.get("maps").is_some() && s.get("pss_bytes").is_some() && s.get("fds").is_none(),
        "{s}"
    );
    assert!(s["maps"].as_u64().unwrap() > 5);
}

#[test]
fn plain_lines_when_not_a_terminal() {
    let c = child("steady", 40);
    let o = proctor(&[
        "watch",
        &c.pid().to_string(),
        "--interval",
        "200ms",
        "--duration",
        "1s",
    ]);
    // 6 samples, 8 needed: nothing judged, an error (exit 2), never 0.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains('\u{1b}'), "escapes on a pipe");
    let samples = out.lines().filter(|l| l.starts_with("t=")).count();
    assert!((5..=7).contains(&samples), "{out}");
    assert!(out.contains("Verdict after"), "{out}");
    assert!(out.contains("nothing judged: no verdict"), "{out}");
    assert!(!out.contains("no leak detected"), "{out}");
}

#[test]
fn bad_intervals_and_durations() {
    for (args, needle) in [
        (vec!["--interval", "0"], "greater than zero"),
        (vec!["--interval", "0s"], "greater than zero"),
        (vec!["--interval", "-1s"], "negative"),
        (vec!["--interval", "soon"], "invalid duration"),
        (vec!["--duration", "abc"], "invalid duration"),
        (
            vec!["--duration", "1s", "--interval", "1s"],
            "fewer than two samples",
        ),
        (vec!["--metrics", "cpu"], "invalid value"),
    ] {
        let mut a = vec!["watch", "self"];
        a.extend(args.iter());
        let o = proctor(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        assert!(stderr(&o).contains(needle), "{a:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
    let o = proctor(&[
        "demo",
        "fd-leak",
        "--duration",
        "100ms",
        "--interval",
        "250ms",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("fewer than two samples"));
}

#[test]
fn target_that_exits_before_the_second_sample() {
    // The child lives 1 s; the second sample would come at 3 s.
    let mut c = child("steady", 1);
    let o = proctor(&[
        "watch",
        &c.pid().to_string(),
        "--interval",
        "3s",
        "--duration",
        "10s",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("exited with code 0 after 1 sample(s): nothing to judge"),
        "{e}"
    );
    assert!(e.contains("hint:"));
    let _ = c.0.wait();
}

#[test]
fn target_that_exits_mid_watch_still_gets_a_verdict() {
    let mut c = child("fd-leak", 4);
    let o = proctor(&[
        "watch",
        &c.pid().to_string(),
        "--interval",
        "250ms",
        "--duration",
        "30s",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let recs = lines(&o);
    let v = verdict(&recs);
    assert_eq!(v["ended"]["how"], "target_ended");
    assert!(
        v["ended"]["detail"]
            .as_str()
            .unwrap()
            .contains("exited with code 0"),
        "{v}"
    );
    assert!(v["duration_s"].as_f64().unwrap() < 10.0);
    assert!(
        v["leaks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["metric"] == "fds")
    );
    let _ = c.0.wait();
}

/// Run proctor with `args`, send SIGINT to it (or to its process group)
/// after `after`, and collect its output (bounded).
fn interrupt_after(args: &[&str], after: Duration, group: bool) -> std::process::Output {
    interrupt_after_pid(args, after, group).0
}

/// [`interrupt_after`], also returning proctor's PID (the process group's
/// id with `group`).
fn interrupt_after_pid(args: &[&str], after: Duration, group: bool) -> (std::process::Output, i32) {
    use std::os::unix::process::CommandExt;
    let mut cmd = proctor_cmd(args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if group {
        cmd.process_group(0);
    }
    let mut w = Reaped::spawn(&mut cmd);
    std::thread::sleep(after);
    let pid = rustix::process::Pid::from_raw(w.pid()).unwrap();
    if group {
        rustix::process::kill_process_group(pid, rustix::process::Signal::INT).unwrap();
    } else {
        rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    }
    let pid = w.pid();
    (
        output_within(&mut w.0, RUN_LIMIT, "the interrupted proctor"),
        pid,
    )
}

#[test]
fn ctrl_c_ends_with_a_verdict_and_130() {
    let c = child("steady", 40);
    let pid = c.pid().to_string();
    let o = interrupt_after(
        &["watch", &pid, "--interval", "250ms"],
        Duration::from_millis(2500),
        false,
    );
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("(interrupted)") && out.contains("Verdict"),
        "{out}"
    );
}

#[test]
fn ctrl_c_before_the_second_sample() {
    let c = child("steady", 40);
    let pid = c.pid().to_string();
    let o = interrupt_after(
        &["watch", &pid, "--interval", "5s"],
        Duration::from_millis(400),
        false,
    );
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("interrupted before a second sample"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_replaced_process_is_never_followed() {
    use proctor::reader::{Ending, ProcFs, Sampler, Wanted};
    let t = fixture_copy("v1-basic");
    let fs = ProcFs::new(t.path().join("proc"), t.path().join("sys"));
    let p = fs.open(4242).unwrap();
    let mut s = Sampler::new(
        p,
        Wanted {
            fds: true,
            threads: true,
            ..Wanted::default()
        },
    )
    .unwrap();
    let first = s.sample().unwrap().unwrap();
    assert_eq!(first.fds, Some(19));
    assert_eq!(first.threads, Some(4));
    // Another process with the same PID: a different start time.
    let stat = t.path().join("proc/4242/stat");
    let text = std::fs::read_to_string(&stat).unwrap();
    let mut f: Vec<String> = text.split(' ').map(str::to_string).collect();
    f[21] = "99999999".into();
    std::fs::write(&stat, f.join(" ")).unwrap();
    assert_eq!(s.sample().unwrap(), Err(Ending::Gone));
}

#[test]
fn demo_lists_scenarios_and_catches_the_leak() {
    let o = proctor(&["demo"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for s in [
        "fd-leak",
        "memory-leak",
        "thread-leak",
        "socket-leak",
        "gc-sawtooth",
        "warmup-plateau",
        "steady",
    ] {
        assert!(out.contains(s), "{out}");
    }
    let o = proctor(&[
        "demo",
        "socket-leak",
        "--duration",
        "5s",
        "--interval",
        "250ms",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let recs = lines(&o);
    let d = recs.iter().find(|r| r["type"] == "demo").unwrap();
    assert_eq!(d["as_expected"], true);
    let v = verdict(&recs);
    assert!(
        v["leaks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["metric"] == "close_wait")
    );
    // The child is gone afterwards.
    let pid = v["pid"].as_i64().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(state.is_empty(), "demo child {pid} still exists: {state}");
}

#[test]
fn live_view_in_a_terminal_and_a_clean_exit() {
    let c = child("fd-leak", 40);
    let cmd = format!(
        "'{}' watch {} --interval 250ms; echo EXIT=$?; sleep 30",
        bin(),
        c.pid()
    );
    let Some(t) = Tmux::start("watch", 150, 20, &cmd) else {
        return;
    };
    let s = t.wait_for("LEAK", Duration::from_secs(15));
    assert!(s.contains("METRIC") && s.contains("VERDICT"), "{s}");
    assert!(
        s.lines().filter(|l| l.starts_with("fds ")).count() == 1,
        "redrawn in place, not scrolled: {s}"
    );
    assert!(s.contains("LEAK, hits 1024 in"), "{s}");
    assert_eq!(
        t.format("#{cursor_flag}"),
        "0",
        "cursor hidden while drawing"
    );
    t.keys(&["C-c"]);
    let s = t.wait_for("EXIT=", Duration::from_secs(5));
    assert!(s.contains("Verdict after") && s.contains("EXIT=1"), "{s}");
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor restored");
}

/// A child killed by the OOM killer in a memory cgroup (v1, this host's
/// kind) is reported as such, with its limit as the ceiling.
#[test]
fn an_oom_kill_is_reported() {
    let limit: u64 = 24 << 20;
    let Some(guard) = MemCgroupV1::new("oom", limit) else {
        return;
    };
    let mut c = child("memory-leak", 60);
    std::fs::write(guard.procs(), c.pid().to_string()).unwrap();
    let o = proctor(&[
        "watch",
        &c.pid().to_string(),
        "--interval",
        "250ms",
        "--duration",
        "40s",
        "--metrics",
        "rss",
        "--json",
    ]);
    let recs = lines(&o);
    let v = verdict(&recs);
    assert_eq!(v["ended"]["how"], "target_ended", "{v}");
    let detail = v["ended"]["detail"].as_str().unwrap();
    assert!(detail.contains("killed by the OOM killer"), "{detail}");
    assert!(detail.contains("rose from 0 to 1"), "{detail}");
    if let Some(l) = v["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["metric"] == "rss")
    {
        assert_eq!(l["limit"], limit as f64);
    }
    let _ = c.0.wait();
    drop(c);
    drop(guard);
}

/// Run the binary as `nobody`; None (skip) when that is not possible.
fn as_nobody(args: &[&str]) -> Option<std::process::Output> {
    Some(crate::common::Nobody::new()?.run(args))
}

#[test]
fn unreadable_metrics_are_undecided_never_healthy() {
    let c = Reaped::spawn(
        Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .stderr(Stdio::null()),
    );
    std::thread::sleep(Duration::from_millis(100));
    let pid = c.pid().to_string();
    let Some(o) = as_nobody(&[
        "watch",
        &pid,
        "--interval",
        "200ms",
        "--duration",
        "2s",
        "--json",
    ]) else {
        return;
    };
    // Some metrics not judged: checks incomplete (exit 3), never 0.
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let recs = lines(&o);
    let v = verdict(&recs);
    let healthy: Vec<&str> = v["healthy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(
        !healthy.contains(&"sockets") && !healthy.contains(&"close_wait"),
        "{v}"
    );
    let und = v["undecided"].as_array().unwrap();
    let s = und
        .iter()
        .find(|u| u["metric"] == "sockets")
        .expect("sockets undecided");
    assert!(
        s["reason"].as_str().unwrap().contains("permission denied"),
        "{s}"
    );
    // Readable metrics are judged.
    assert!(healthy.contains(&"threads"), "{v}");
}

#[test]
fn net_as_another_user_shows_the_namespace_table() {
    let c = Reaped::spawn(
        Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .stderr(Stdio::null()),
    );
    std::thread::sleep(Duration::from_millis(100));
    let pid = c.pid().to_string();
    let Some(o) = as_nobody(&["net", &pid, "--json"]) else {
        return;
    };
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["scope"], "namespace");
    assert!(
        v["sockets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["fd"].is_null())
    );
    let o = as_nobody(&["net", &pid]).unwrap();
    assert!(
        stdout(&o).contains("ALL sockets of its network namespace"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_closed_pipe_ends_the_watch() {
    use std::io::BufRead;
    let c = child("steady", 40);
    let mut w = Reaped::spawn(
        Command::new(bin())
            .args(["watch", &c.pid().to_string(), "--interval", "100ms"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let out = w.0.stdout.take().unwrap();
    let mut r = std::io::BufReader::new(out);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("t="), "{line}");
    drop(r);
    let status = wait_exit(
        &mut w.0,
        Duration::from_secs(5),
        "watch kept running after its reader went away",
    );
    assert_eq!(status.code(), Some(0));
}

#[test]
fn close_wait_metric_name_and_demo_control_message() {
    let c = child("steady", 40);
    let o = proctor(&[
        "watch",
        &c.pid().to_string(),
        "--interval",
        "200ms",
        "--duration",
        "1s",
        "--metrics",
        "rss,close_wait",
        "--json",
    ]);
    // 6 samples, 8 needed: nothing judged, an error (exit 2), never 0.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(lines(&o)[0].get("close_wait").is_some());
    let o = proctor(&["demo", "steady", "--duration", "2s", "--interval", "200ms"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("No leak reported for a healthy process"),
        "{out}"
    );
    assert!(!out.contains("please report this"), "{out}");
}

/// The ceilings a leak runs into, on the captured v1 and v2 trees.
#[test]
fn ceilings_on_cgroup_v1_and_v2_fixtures() {
    use proctor::reader::ProcFs;
    let root = crate::common::fixture("v2-basic");
    let fs = ProcFs::new(root.join("proc"), root.join("sys"));
    let p = fs.open(4242).unwrap();
    let c = fs.ceilings(&p);
    assert_eq!(c.fds, Some(20000));
    // Tightest memory limit: the ancestor's 1 GiB, not the scope's "max".
    assert_eq!(c.memory, Some(1 << 30));
    assert!(
        c.memory_source
            .as_deref()
            .unwrap()
            .contains("kubepods-burstable.slice"),
        "{c:?}"
    );
    // pids.max 4096 on the scope is tighter than threads-max (192730).
    assert_eq!(c.threads, Some(4096));
    let used = c.threads_used_file.as_ref().unwrap();
    assert!(
        used.ends_with("cri-containerd-abc.scope/pids.current"),
        "{used:?}"
    );
    assert_eq!(fs.read_number(used), Some(5));
    assert_eq!(c.maps, Some(65530));
    assert_eq!(c.oom_kills, Some(1));

    let root = crate::common::fixture("v1-basic");
    let fs = ProcFs::new(root.join("proc"), root.join("sys"));
    let c = fs.ceilings(&fs.open(4242).unwrap());
    assert_eq!(c.memory, Some(536870912));
    assert_eq!(c.oom_kills, Some(2));
    // No pids cgroup in this tree: threads-max.
    let tm: u64 = std::fs::read_to_string(root.join("proc/sys/kernel/threads-max"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(c.threads, Some(tm));
    assert!(c.threads_used_file.is_none());
}

/// Ctrl-C in a terminal signals the whole process group: the demo's child
/// must survive it so the parent can give the verdict and stop it.
#[test]
fn ctrl_c_to_the_demo_process_group() {
    let (o, pgid) = interrupt_after_pid(
        &["demo", "fd-leak", "--duration", "30s"],
        Duration::from_millis(4000),
        true,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(
        out.contains("(interrupted)") && out.contains("The leak was caught"),
        "{out}"
    );
    // ...and then stopped it: nothing of the demo's process group is left
    // (a zombie would be the init's to reap; none is allowed either).
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| {
            crate::common::proc_stat(p)
                .is_some_and(|f| crate::common::stat_field(&f, 5) == pgid as u64)
        })
        .map(|p| format!("{p} {}", crate::common::comm(p)))
        .collect();
    assert!(
        left.is_empty(),
        "left in the demo's process group: {left:?}"
    );
}
