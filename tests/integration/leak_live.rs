//! The leak detector end to end on live children: every `proctor demo`
//! scenario at once (one thread each, each demo and its child in memory
//! and pids cgroups of their own), `--duration 30s --interval 250ms
//! --json`, judged from the JSON lines. A leak must be named in a sample
//! line's `leaking` list in time (4 s for the fast ones that are read at
//! every sample, 30 s for the others) and in the final verdict with a rate within 25% of
//! the child's true rate, and stay named once it is; a control must never be named leaking, in any
//! sample line or in the verdict. Every miss of every scenario is
//! collected and reported together; a scenario that missed is run once
//! more with fewer beside it (a starved child stalls its own series) and
//! must then be right.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{CgroupV1, bin, output_within, stderr, stdout, without_overrides};

/// A sample due at the deadline counts when a busy host takes it a little
/// late (its `t` is when it was taken: 4.002 s for the one due at 4 s).
const LATE_SAMPLE: f64 = 0.1;

/// A leak: the metric, its true rate per second (independent of the
/// code's own table), and the latest sample time it must be flagged by.
struct Leak {
    metric: &'static str,
    per_second: f64,
    flagged_by: f64,
}

const fn leak(metric: &'static str, per_second: f64, flagged_by: f64) -> Option<Leak> {
    Some(Leak {
        metric,
        per_second,
        flagged_by,
    })
}

/// Every scenario with what it must produce (None: a control).
const SCENARIOS: [(&str, Option<Leak>); 16] = [
    ("fd-leak", leak("fds", 5.0, 4.0)),
    ("memory-leak", leak("rss", 4.0 * 1_048_576.0, 4.0)),
    ("thread-leak", leak("threads", 4.0, 4.0)),
    // CLOSE_WAIT is an expensive metric, re-read at most 1% of the time
    // (`EXPENSIVE_DUTY`): on a loaded host it has fewer fresh readings, so
    // its detection time follows the host's load (4.75-14.75 s with every
    // scenario at once on 2 busy cores): only the 30 s bound is its own.
    ("socket-leak", leak("close_wait", 1.0 / 0.3, 30.0)),
    ("fd-leak-slow", leak("fds", 0.5, 30.0)),
    ("thread-leak-churn", leak("threads", 1.0, 30.0)),
    ("gc-sawtooth", None),
    ("warmup-plateau", None),
    ("steady", None),
    ("cache-warmup", None),
    ("cache-fill-stop", None),
    ("late-load", None),
    ("cron-burst", None),
    ("pool-cycle", None),
    ("thread-burst", None),
    ("wander", None),
];

/// One demo's JSON lines and exit code.
type Run = (Vec<Value>, Option<i32>);

/// Longest one 30-second demo may take (start-up and the verdict on a
/// loaded host included).
const DEMO_LIMIT: Duration = Duration::from_secs(90);

/// `proctor demo NAME --json --duration 30s --interval 250ms`, started
/// inside the given cgroups (a shell writes its PID to each, then execs
/// proctor); its JSON lines. None when the cgroups cannot be made here
/// (the test is then skipped, or fails under CI).
fn run_demo(name: &str) -> Option<Run> {
    let tag = format!("leaklive-{name}");
    let mem = CgroupV1::new("memory", &tag, &[])?;
    let pids = CgroupV1::new("pids", &tag, &[])?;
    let mut child = without_overrides(
        Command::new("sh")
            .args([
                "-c",
                "echo $$ > \"$0\" && echo $$ > \"$1\" && exec \"$2\" demo \"$3\" \
                 --json --duration 30s --interval 250ms",
            ])
            .arg(mem.dir.join("cgroup.procs"))
            .arg(pids.dir.join("cgroup.procs"))
            .arg(bin())
            .arg(name),
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn sh");
    let o = output_within(&mut child, DEMO_LIMIT, &format!("demo {name}"));
    let recs = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {l}")))
        .collect();
    assert!(
        o.status.code().is_some_and(|c| c == 0 || c == 1),
        "demo {name}: exit {:?}, stderr {}",
        o.status,
        stderr(&o)
    );
    // The demo stopped its child before exiting: nothing of it is left in
    // its cgroup (else it is killed here, by PID, and the test fails).
    let left = || -> Vec<i32> {
        mem.file("cgroup.procs")
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    };
    let gone = (0..250).any(|_| {
        let empty = left().is_empty();
        if !empty {
            std::thread::sleep(Duration::from_millis(20));
        }
        empty
    });
    let leftover = left();
    for pid in &leftover {
        if let Some(p) = rustix::process::Pid::from_raw(*pid) {
            let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
        }
    }
    assert!(gone, "demo {name} left processes behind: {leftover:?}");
    drop((mem, pids));
    Some((recs, o.status.code()))
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The verdict's lists, for a failure message (`rising` when the detector
/// has one).
fn verdict_summary(v: &Value) -> String {
    let leaks: Vec<String> = v["leaks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| format!("{} {:.4}/s", l["metric"], l["slope_per_s"]))
                .collect()
        })
        .unwrap_or_default();
    let metric_names = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        x.as_str()
                            .map_or_else(|| x["metric"].to_string(), str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut s = format!(
        "verdict: leaks {leaks:?}, healthy {:?}, undecided {:?}",
        metric_names("healthy"),
        metric_names("undecided")
    );
    if v.get("rising").is_some() {
        let _ = write!(s, ", rising {}", v["rising"]);
    }
    s
}

/// What is wrong with one scenario's run (empty when it is as it must be).
fn misses(name: &str, want: Option<&Leak>, recs: &[Value], code: Option<i32>) -> Vec<String> {
    let mut out = Vec::new();
    let samples: Vec<&Value> = recs.iter().filter(|r| r["type"] == "sample").collect();
    let verdicts: Vec<&Value> = recs.iter().filter(|r| r["type"] == "verdict").collect();
    let Some(demo) = recs.iter().find(|r| r["type"] == "demo") else {
        return vec![format!("{name}: no demo line")];
    };
    let [verdict] = verdicts.as_slice() else {
        return vec![format!("{name}: {} verdict lines", verdicts.len())];
    };
    let rising_at = |s: &Value| {
        s.get("rising")
            .map_or(String::new(), |r| format!(" rising {r}"))
    };
    let final_leaks: Vec<(String, f64)> = verdict["leaks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    (
                        l["metric"].as_str().unwrap_or("?").to_string(),
                        l["slope_per_s"].as_f64().unwrap_or(f64::NAN),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let as_expected = demo["as_expected"] == true;
    if code != Some(if as_expected { 0 } else { 1 }) {
        out.push(format!(
            "{name}: exit {code:?} with as_expected {as_expected}"
        ));
    }
    match want {
        Some(w) => {
            let declared = demo["expected_rates_per_s"][w.metric].as_f64();
            if declared.is_none_or(|d| (d - w.per_second).abs() > 1e-9 * w.per_second) {
                out.push(format!(
                    "{name}: the demo declares {:?}/s for {}, the truth is {}/s",
                    declared, w.metric, w.per_second
                ));
            }
            let first = samples
                .iter()
                .find(|s| names(&s["leaking"]).iter().any(|m| m == w.metric));
            // Once shown, LEAK stays: a leak's trend never reverses.
            let flagged = |s: &&Value| names(&s["leaking"]).iter().any(|m| m == w.metric);
            if let Some(i) = samples.iter().position(flagged) {
                let dropped: Vec<String> = samples[i..]
                    .iter()
                    .filter(|s| !flagged(s))
                    .map(|s| format!("{}", s["t"]))
                    .collect();
                if !dropped.is_empty() {
                    out.push(format!(
                        "{name}: {} left the leaking list after t = {} s, at {} later samples (t = {})",
                        w.metric,
                        samples[i]["t"],
                        dropped.len(),
                        dropped[..dropped.len().min(5)].join(", ")
                    ));
                }
            }
            match first {
                Some(s)
                    if s["t"]
                        .as_f64()
                        .is_some_and(|t| t <= w.flagged_by + LATE_SAMPLE) => {}
                Some(s) => out.push(format!(
                    "{name}: {} first in a sample's leaking list at t = {} s (wanted <= {} s)",
                    w.metric, s["t"], w.flagged_by
                )),
                None => {
                    let last = samples.last().map(|s| rising_at(s)).unwrap_or_default();
                    out.push(format!(
                        "{name}: {} never in a sample's leaking list ({} samples){last}",
                        w.metric,
                        samples.len()
                    ));
                }
            }
            match final_leaks.iter().find(|(m, _)| m == w.metric) {
                Some((_, rate)) if (rate - w.per_second).abs() <= 0.25 * w.per_second => {}
                Some((_, rate)) => out.push(format!(
                    "{name}: final rate {rate:.4}/s for {}, truth {}/s ({:+.0}%)",
                    w.metric,
                    w.per_second,
                    100.0 * (rate - w.per_second) / w.per_second
                )),
                None => out.push(format!(
                    "{name}: {} not in the final leaks; {}",
                    w.metric,
                    verdict_summary(verdict)
                )),
            }
        }
        None => {
            let flagged: Vec<String> = samples
                .iter()
                .filter(|s| !names(&s["leaking"]).is_empty())
                .map(|s| format!("t={} {:?}{}", s["t"], names(&s["leaking"]), rising_at(s)))
                .collect();
            if !flagged.is_empty() {
                out.push(format!(
                    "{name} (control): {} of {} sample lines flagged a leak, first: {}; last: {}",
                    flagged.len(),
                    samples.len(),
                    flagged[..flagged.len().min(3)].join("; "),
                    flagged[flagged.len() - 1]
                ));
            }
            if !final_leaks.is_empty() {
                out.push(format!(
                    "{name} (control): final {}",
                    verdict_summary(verdict)
                ));
            }
        }
    }
    out
}

/// Run the given scenarios at once, one thread each; None when the
/// cgroups cannot be made here.
fn run_all(which: &[usize]) -> Option<Vec<Run>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = which
            .iter()
            .map(|&i| s.spawn(move || run_demo(SCENARIOS[i].0)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("demo thread"))
            .collect()
    })
}

/// Every scenario's misses, by index into [`SCENARIOS`].
fn judge(which: &[usize], runs: &[Run]) -> Vec<(usize, Vec<String>)> {
    which
        .iter()
        .zip(runs)
        .map(|(&i, (recs, code))| {
            let (name, want) = &SCENARIOS[i];
            (i, misses(name, want.as_ref(), recs, *code))
        })
        .filter(|(_, m)| !m.is_empty())
        .collect()
}

/// Sixteen demos and their children at once on a 2-core machine, beside
/// the rest of the suite, can starve a child long enough to stall its
/// series (a leak's rise restarts; a control's tooth rises for longer):
/// a scenario that missed is run again, with only the other missed ones
/// beside it, and must then be as it must be. A real fault misses both
/// times; the first run's misses are printed either way.
#[test]
fn every_scenario_live_at_once() {
    let _timing = crate::common::timing_sensitive();
    let everyone: Vec<usize> = (0..SCENARIOS.len()).collect();
    let Some(runs) = run_all(&everyone) else {
        return; // no cgroups here: skipped (CI fails in `require`)
    };
    let first = judge(&everyone, &runs);
    if first.is_empty() {
        return;
    }
    eprintln!(
        "leak_live: {} scenarios missed with all 16 at once, run again:\n  {}",
        first.len(),
        first
            .iter()
            .flat_map(|(_, m)| m.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    let again: Vec<usize> = first.iter().map(|(i, _)| *i).collect();
    let runs = run_all(&again).expect("cgroups made the first time");
    let all: Vec<String> = judge(&again, &runs)
        .into_iter()
        .flat_map(|(_, m)| m)
        .collect();
    assert!(
        all.is_empty(),
        "{} misses of the leak detector on live children (run again with fewer beside them):\n  {}",
        all.len(),
        all.join("\n  ")
    );
}
