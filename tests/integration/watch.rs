//! `proctor watch` and `proctor demo` on real processes: the hidden
//! `demo-child` mode is the target (a bounded child that dies with its
//! parent), so every scenario is deterministic in shape.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{
    MemCgroupV1, Reaped, Tmux, bin, fixture_copy, output_within, proctor, proctor_cmd, stderr,
    stdout, wait_exit,
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
    let c = child("fd-leak", 120);
    let pid = c.pid().to_string();
    // Watched until 16 samples are in and the running verdict names the
    // leak (however long a loaded host takes), then Ctrl-C.
    let o = interrupt_when(&["watch", &pid, "--interval", "250ms", "--json"], |lines| {
        let samples: Vec<Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|r| r["type"] == "sample")
            .collect();
        samples.len() >= 16
            && samples.last().is_some_and(|s| {
                s["leaking"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|m| m == "fds"))
            })
    });
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let recs = lines(&o);
    let samples: Vec<&Value> = recs.iter().filter(|r| r["type"] == "sample").collect();
    assert!(samples.len() >= 16, "{} samples", samples.len());
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
    // Times sit on the grid start + k * interval: never early, never two
    // samples back to back to catch up (a late sample's missed deadlines
    // are skipped), so the i-th sample is at or after i intervals.
    let ts: Vec<f64> = samples.iter().map(|s| s["t"].as_f64().unwrap()).collect();
    for (i, t) in ts.iter().enumerate() {
        assert!(
            *t >= 0.25 * i as f64 - 0.01,
            "sample {i} early at t={t}: {ts:?}"
        );
    }
    assert!(ts.windows(2).all(|w| w[1] > w[0]), "{ts:?}");
    let fds: Vec<u64> = samples.iter().map(|s| s["fds"].as_u64().unwrap()).collect();
    assert!(fds.last().unwrap() > fds.first().unwrap());
    let v = verdict(&recs);
    assert_eq!(v["samples"].as_u64().unwrap() as usize, samples.len());
    assert!(v["duration_s"].as_f64().unwrap() >= *ts.last().unwrap());
    let leak = v["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["metric"] == "fds")
        .expect("fds leak");
    // The slope is the growth the samples show (the child leaks 5 a second
    // when it gets the CPU; a loaded host slows it, and the slope with it).
    let slope = leak["slope_per_s"].as_f64().unwrap();
    let seen = (fds[fds.len() - 1] - fds[0]) as f64 / (ts[ts.len() - 1] - ts[0]);
    assert!(
        (slope - seen).abs() <= 0.25 * seen,
        "slope {slope}, samples show {seen}/s"
    );
    assert!(slope <= 6.0, "the child leaks at most 5/s: slope {slope}");
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
    assert_eq!(v["ended"]["how"], "interrupted");
}

/// `watch ARGS --duration D --json`, with D doubled from `first` (up to
/// 64 s) while a metric in `needed` is undecided for want of samples: a
/// loaded host takes fewer samples (missed deadlines are skipped) and reads
/// the expensive metrics less often, so the watch takes longer there,
/// never goes red. Returns the last run's output and verdict.
fn watch_until_judged(args: &[&str], first: u64, needed: &[&str]) -> (Output, Value) {
    watch_until_judged_with(proctor, args, first, needed)
}

fn watch_until_judged_with(
    run: impl Fn(&[&str]) -> Output,
    args: &[&str],
    first: u64,
    needed: &[&str],
) -> (Output, Value) {
    let mut secs = first;
    loop {
        let d = format!("{secs}s");
        let mut a = args.to_vec();
        a.extend(["--duration", d.as_str(), "--json"]);
        let o = run(&a);
        let recs = lines(&o);
        let v = verdict(&recs).clone();
        // Not judged for want of samples: `incomplete.reasons` of kind
        // not_judged (or the undecided reason "N samples, needs M").
        let not_judged = v["incomplete"]["reasons"].as_array().is_some_and(|r| {
            r.iter()
                .any(|x| x["kind"] == "not_judged" && needed.iter().any(|m| x["metric"] == *m))
        });
        let short = not_judged
            || v["undecided"].as_array().is_some_and(|u| {
                u.iter().any(|x| {
                    needed.iter().any(|m| x["metric"] == *m)
                        && x["reason"].as_str().is_some_and(|r| {
                            r.contains("needed to judge") || r.contains("samples, needs")
                        })
                })
            });
        if !short || secs >= 64 {
            return (o, v);
        }
        secs *= 2;
    }
}

#[test]
fn a_healthy_process_is_not_flagged() {
    let c = child("steady", 600);
    let pid = c.pid().to_string();
    let all = ["rss", "fds", "threads", "sockets", "close_wait"];
    let (o, v) = watch_until_judged(&["watch", &pid, "--interval", "200ms"], 3, &all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(v["leaks"], serde_json::json!([]));
    assert_eq!(v["healthy"].as_array().unwrap().len(), 5, "{v}");
    assert_eq!(v["ended"]["how"], "duration");
    // Metrics chosen on the command line.
    let o = proctor(&[
        "watch",
        &pid,
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
    // Six on the grid (0, 0.2 ... 1.0 s); fewer when a loaded host makes
    // samples late (missed deadlines are skipped, never caught up).
    let samples = out.lines().filter(|l| l.starts_with("t=")).count();
    assert!((2..=6).contains(&samples), "{out}");
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
    // The child lives 5 s (time for a loaded host to start proctor and
    // take the first sample); the second sample would come at 30 s.
    let mut c = child("steady", 5);
    let o = proctor(&[
        "watch",
        &c.pid().to_string(),
        "--interval",
        "30s",
        "--duration",
        "60s",
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
    let mut c = child("fd-leak", 10);
    let o = proctor(&[
        "watch",
        &c.pid().to_string(),
        "--interval",
        "250ms",
        "--duration",
        "60s",
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
    // Ended by the target (alive 10 s), long before the 60 s duration.
    assert!(v["duration_s"].as_f64().unwrap() < 30.0, "{v}");
    assert!(
        v["leaks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["metric"] == "fds")
    );
    let _ = c.0.wait();
}

/// Longest a watch or demo that a test stops (or that ends on its own
/// duration) may run.
const LONG: Duration = Duration::from_secs(180);

/// Run proctor with `args` in a process group of its own (as a terminal
/// runs it), read its stdout as it comes, and once `stop` holds for the
/// lines so far send SIGINT to the whole group, as Ctrl-C in a terminal
/// does: the test waits for a condition (samples seen, a leak named),
/// never for a fixed time. The output is collected, bounded by [`LONG`].
fn interrupt_when(args: &[&str], stop: impl Fn(&[String]) -> bool) -> Output {
    interrupt_when_pid(args, stop).0
}

/// [`interrupt_when`], also returning proctor's PID (the process group's
/// id).
fn interrupt_when_pid(args: &[&str], stop: impl Fn(&[String]) -> bool) -> (Output, i32) {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let mut cmd = proctor_cmd(args);
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .process_group(0);
    let mut w = Reaped::spawn(&mut cmd);
    let pid = w.pid();
    let out = w.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + LONG;
    let mut seen: Vec<String> = Vec::new();
    let mut sent = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push(line);
                if !sent && stop(&seen) {
                    let g = rustix::process::Pid::from_raw(pid).unwrap();
                    rustix::process::kill_process_group(g, rustix::process::Signal::INT).unwrap();
                    sent = true;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!(
                    "{args:?} still running after {LONG:?}; stdout so far:\n{}",
                    seen.join("\n")
                )
            }
        }
    }
    reader.join().unwrap();
    let mut o = output_within(&mut w.0, LONG, "the interrupted proctor");
    let mut all = seen.join("\n").into_bytes();
    if !all.is_empty() {
        all.push(b'\n');
    }
    o.stdout = all;
    assert!(sent, "{args:?} ended before the condition to stop it held");
    (o, pid)
}

/// Lines of plain `watch` output that are samples.
fn sample_lines(lines: &[String]) -> usize {
    lines.iter().filter(|l| l.starts_with("t=")).count()
}

#[test]
fn ctrl_c_ends_with_a_verdict_and_130() {
    let c = child("steady", 40);
    let pid = c.pid().to_string();
    // Ctrl-C once two samples are in: a verdict on what was seen.
    let o = interrupt_when(&["watch", &pid, "--interval", "250ms"], |l| {
        sample_lines(l) >= 2
    });
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
    // Ctrl-C right after the first sample; the second is a minute away.
    let o = interrupt_when(&["watch", &pid, "--interval", "60s"], |l| {
        sample_lines(l) >= 1
    });
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
    // The socket tables are expensive metrics, read less often when a
    // reading costs more (a loaded host): watched until the running
    // verdict names the CLOSE_WAIT leak, then Ctrl-C (the demo's verdict
    // on what it saw), never for a fixed time.
    let o = interrupt_when(
        &[
            "demo",
            "socket-leak",
            "--duration",
            "150s",
            "--interval",
            "250ms",
            "--json",
        ],
        |lines| {
            lines.last().is_some_and(|l| {
                serde_json::from_str::<Value>(l).is_ok_and(|r| {
                    r["leaking"]
                        .as_array()
                        .is_some_and(|m| m.iter().any(|m| m == "close_wait"))
                })
            })
        },
    );
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
    // The child is gone afterwards (the demo reaped it before exiting).
    let pid = v["pid"].as_i64().unwrap();
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
    let s = t.wait_for("LEAK", Duration::from_secs(90));
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
    let s = t.wait_for("EXIT=", Duration::from_secs(30));
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
    crate::common::wait_exec_sleeping(c.pid(), b"sleep\x001000\x00");
    let pid = c.pid().to_string();
    let Some(nobody) = crate::common::Nobody::new() else {
        return;
    };
    let (o, v) = watch_until_judged_with(
        |a| nobody.run(a),
        &["watch", &pid, "--interval", "200ms"],
        2,
        &["threads"],
    );
    // Some metrics not judged: checks incomplete (exit 3), never 0.
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
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
    crate::common::wait_exec_sleeping(c.pid(), b"sleep\x001000\x00");
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
        Duration::from_secs(30),
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

/// Ctrl-C in a terminal signals the whole process group: the demo's child
/// must survive it so the parent can give the verdict and stop it.
#[test]
fn ctrl_c_to_the_demo_process_group() {
    // Ctrl-C once 16 samples are in (4 s on an idle host): enough for the
    // leak to be caught, however long a loaded host takes to get there.
    let (o, pgid) = interrupt_when_pid(
        &[
            "demo",
            "fd-leak",
            "--duration",
            "150s",
            "--interval",
            "250ms",
        ],
        |l| sample_lines(l) >= 16,
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

/// A leak seen for less than a leak needs (3.7 s) is `rising`: in the
/// sample lines, in the verdict (with its rate and reason), in words, and
/// with exit 0 (judged, no leak yet), never "nothing judged".
#[test]
fn a_rise_too_short_for_a_leak_is_rising_and_judged() {
    let c = child("fd-leak", 60);
    let pid = c.pid().to_string();
    let o = crate::common::run_bounded(&mut proctor_cmd([
        "watch",
        &pid,
        "--metrics",
        "fds",
        "--interval",
        "100ms",
        "--duration",
        "2s",
        "--json",
    ]));
    let recs = lines(&o);
    let v = verdict(&recs);
    assert_eq!(o.status.code(), Some(0), "{v}\n{}", stderr(&o));
    assert_eq!(v["leaks"], serde_json::json!([]), "{v}");
    let r = &v["rising"][0];
    assert_eq!(r["metric"], "fds", "{v}");
    let rate = r["slope_per_s"].as_f64().unwrap_or(0.0);
    assert!((3.5..=6.5).contains(&rate), "{v}");
    assert!(
        r["reason"]
            .as_str()
            .is_some_and(|s| s.contains("a leak needs")),
        "{v}"
    );
    // The sample lines said rising, never leaking.
    let samples: Vec<&Value> = recs.iter().filter(|r| r["type"] == "sample").collect();
    assert!(
        samples
            .iter()
            .all(|s| s["leaking"] == serde_json::json!([]))
    );
    assert!(
        samples.iter().any(|s| s["rising"]
            .as_array()
            .is_some_and(|l| l.iter().any(|m| m == "fds"))),
        "no sample said rising"
    );
    // In words.
    let o = crate::common::run_bounded(&mut proctor_cmd([
        "watch",
        &pid,
        "--metrics",
        "fds",
        "--interval",
        "100ms",
        "--duration",
        "2s",
    ]));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(out.contains("  up   fds"), "{out}");
    assert!(out.contains("not a leak yet"), "{out}");
    assert!(out.contains("watch it longer"), "{out}");
    drop(c);
}
