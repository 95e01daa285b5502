//! The `watch` loop: samples one process at a fixed interval on a
//! monotonic clock (deadlines are start + k * interval, so drift does not
//! accumulate), feeds the leak detector, draws the live view or prints
//! sample lines, and ends with a verdict. Used by `proctor watch` and by
//! `proctor demo` (the same code path).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::analysis::leak::Judgement;
use crate::analysis::watch::{self as model, Leak, Metric, Window};
use crate::error::{CliError, ExitCode, ReadError};
use crate::reader::{Ceilings, Ending, ProcFs, Process, Sample, Sampler, Wanted};
use crate::render::style::Palette;
use crate::render::units::{duration as fmt_duration, iec};
use crate::text::Text;

use super::context::{Ctx, open_target};

/// The `k`-th deadline of the grid `interval * k` from the start,
/// saturating (never a panic, even for a watch left running for years).
fn deadline(interval: Duration, k: u64) -> Duration {
    let nanos = interval.as_nanos().saturating_mul(u128::from(k));
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    // The remainder is below 10^9: it fits a u32.
    let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, sub)
}

pub struct WatchOpts {
    pub interval: Duration,
    pub duration: Option<Duration>,
    pub metrics: Vec<Metric>,
    pub json: bool,
    pub palette: Palette,
    /// Draw the live view (a terminal); else one line per sample.
    pub live: bool,
    /// End the verdict with the next command to run (not for the demo,
    /// whose child is gone by then).
    pub suggest_next: bool,
}

/// How the watch ended.
#[derive(Debug, Clone, PartialEq)]
pub enum EndReason {
    Duration,
    Interrupted,
    TargetEnded(String),
}

/// Knows the exit status of a watched child (for the demo); None for an
/// arbitrary process.
pub type ChildStatus<'a> = &'a mut dyn FnMut() -> Option<std::process::ExitStatus>;

struct Series {
    metric: Metric,
    window: Window,
    judgement: Option<Judgement>,
}

fn value_of(s: &Sample, m: Metric) -> Option<u64> {
    match m {
        Metric::Rss => s.rss,
        Metric::Pss => s.pss,
        Metric::Fds => s.fds,
        Metric::Threads => s.threads,
        Metric::Sockets => s.sockets,
        Metric::CloseWait => s.close_wait,
        Metric::Maps => s.maps,
    }
}

/// Metrics whose reading is paced by [`crate::reader::EXPENSIVE_DUTY`].
fn is_expensive(m: Metric) -> bool {
    matches!(
        m,
        Metric::Pss | Metric::Sockets | Metric::CloseWait | Metric::Maps
    )
}

fn limit_of(c: &Ceilings, m: Metric) -> Option<f64> {
    match m {
        Metric::Rss | Metric::Pss => c.memory,
        Metric::Fds | Metric::Sockets => c.fds,
        Metric::Threads => c.threads,
        Metric::Maps => c.maps,
        Metric::CloseWait => None,
    }
    .map(|v| v as f64)
}

fn limit_name(c: &Ceilings, m: Metric) -> String {
    match m {
        Metric::Rss | Metric::Pss => c.memory_source.clone().unwrap_or_else(|| "memory".into()),
        Metric::Fds | Metric::Sockets => "RLIMIT_NOFILE soft limit".into(),
        Metric::Threads => c.threads_source.unwrap_or("task limit").into(),
        Metric::Maps => "vm.max_map_count".into(),
        Metric::CloseWait => String::new(),
    }
}

fn fmt_value(m: Metric, v: f64) -> String {
    if m.is_bytes() {
        iec(v.max(0.0) as u64)
    } else {
        format!("{}", v.round() as i64)
    }
}

fn fmt_change(m: Metric, d: f64) -> String {
    let sign = if d < 0.0 { "-" } else { "+" };
    if m.is_bytes() {
        format!("{sign}{}", iec(d.abs() as u64))
    } else {
        format!("{sign}{}", d.abs().round() as i64)
    }
}

fn fmt_rate(m: Metric, r: f64) -> String {
    if m.is_bytes() {
        let s = if r < 0.0 { "-" } else { "+" };
        format!("{s}{}/s", iec(r.abs() as u64))
    } else if r.abs() >= 1.0 {
        format!("{r:+.1}/s")
    } else {
        format!("{:+.1}/min", r * 60.0)
    }
}

/// Decode a wait status into words.
pub fn describe_status(status: u64) -> String {
    let sig = status & 0x7f;
    if sig == 0 {
        format!("exited with code {}", (status >> 8) & 0xff)
    } else {
        let name = match sig {
            9 => " (SIGKILL)",
            15 => " (SIGTERM)",
            6 => " (SIGABRT)",
            11 => " (SIGSEGV)",
            2 => " (SIGINT)",
            _ => "",
        };
        format!("killed by signal {sig}{name}")
    }
}

/// Restores the cursor and finishes the line on every way out, panics
/// included.
struct TermGuard {
    live: bool,
}

impl Drop for TermGuard {
    fn drop(&mut self) {
        if self.live {
            let mut o = std::io::stdout();
            let _ = o.write_all(b"\x1b[?25h");
            let _ = o.flush();
        }
    }
}

pub struct Outcome {
    pub code: ExitCode,
    /// Names of the metrics found leaking.
    pub leaks: Vec<&'static str>,
}

/// Run the watch on an open process. Output is written as it goes
/// (stdout); the verdict is written at the end.
#[allow(clippy::too_many_lines)] // to split (issue 10)
pub fn watch_process(
    fs: &ProcFs,
    proc: Process,
    opts: &WatchOpts,
    interrupted: &AtomicBool,
    child: Option<ChildStatus<'_>>,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let pid = proc.pid();
    let name = Text(proc.initial_stat().comm.clone());
    let ceilings = fs.ceilings(&proc);
    let wanted = Wanted {
        rss: opts.metrics.contains(&Metric::Rss),
        pss: opts.metrics.contains(&Metric::Pss),
        fds: opts.metrics.contains(&Metric::Fds),
        threads: opts.metrics.contains(&Metric::Threads),
        sockets: opts.metrics.contains(&Metric::Sockets),
        close_wait: opts.metrics.contains(&Metric::CloseWait),
        maps: opts.metrics.contains(&Metric::Maps),
    };
    let mut sampler = Sampler::new(proc, wanted).map_err(|e| match e {
        ReadError::Exited { .. } => {
            CliError::new(format!("process {pid} exited before the first sample"))
                .hint("it is gone; pick a running process")
        }
        other => other.into(),
    })?;
    let mut series: Vec<Series> = opts
        .metrics
        .iter()
        .map(|&m| Series {
            metric: m,
            window: Window::new(model::WINDOW_CAP),
            judgement: None,
        })
        .collect();
    let _guard = TermGuard {
        live: opts.live && !opts.json,
    };
    let live = opts.live && !opts.json;
    if live {
        let _ = out.write_all(b"\x1b[?25l");
    }
    let start = Instant::now();
    let mut samples = 0usize;
    let mut drawn = 0usize;
    let mut last_judge = f64::NEG_INFINITY;
    // The memory cgroup's usage (refreshed with the verdicts): a memory
    // leak's time to the cgroup limit counts every process in the cgroup.
    let mut mem_used: Option<f64> = None;
    let end: EndReason;
    let mut k: u64 = 0;
    loop {
        let t = start.elapsed().as_secs_f64();
        match sampler.sample() {
            Ok(Ok(s)) => {
                let mut wrote: std::io::Result<()> = Ok(());
                samples += 1;
                for se in series.iter_mut() {
                    let repeated = !s.expensive_fresh && is_expensive(se.metric);
                    if let (Some(v), false) = (value_of(&s, se.metric), repeated) {
                        se.window.push(t, v as f64);
                    }
                }
                // Running verdicts at most once a second (bounded cost).
                if t - last_judge >= 1.0 || samples <= 2 {
                    last_judge = t;
                    mem_used = ceilings
                        .memory_cgroup
                        .as_ref()
                        .filter(|cg| cg.limit.is_some())
                        .and_then(|cg| fs.memory_usage_now(cg))
                        .map(|u| u as f64);
                    for se in series.iter_mut() {
                        se.judgement = Some(se.window.judge(&se.metric.spec()));
                    }
                }
                if opts.json {
                    let mut rec = Map::new();
                    rec.insert("type".into(), json!("sample"));
                    rec.insert("t".into(), json!((t * 1000.0).round() / 1000.0));
                    for se in &series {
                        rec.insert(se.metric.json_key().into(), json!(value_of(&s, se.metric)));
                    }
                    let leaking: Vec<&str> = series
                        .iter()
                        .filter(|se| se.judgement.as_ref().is_some_and(|j| j.leaking))
                        .map(|se| se.metric.name())
                        .collect();
                    rec.insert("leaking".into(), json!(leaking));
                    wrote = writeln!(out, "{}", Value::Object(rec));
                } else if live {
                    drawn = draw(
                        out, &series, &ceilings, mem_used, pid, &name, t, samples, opts, drawn,
                    );
                } else {
                    let parts: Vec<String> = series
                        .iter()
                        .map(|se| {
                            format!(
                                "{}={}",
                                se.metric.name(),
                                value_of(&s, se.metric)
                                    .map_or("-".into(), |v| fmt_value(se.metric, v as f64))
                            )
                        })
                        .collect();
                    wrote = writeln!(out, "t={t:.2}s {}", parts.join(" "));
                }
                if wrote.is_ok() {
                    wrote = out.flush();
                }
                if wrote.is_err() {
                    // stdout closed (`proctor watch PID | head -3`): stop quietly.
                    return Ok(Outcome {
                        code: ExitCode::Ok,
                        leaks: Vec::new(),
                    });
                }
            }
            Ok(Err(ending)) => {
                end = EndReason::TargetEnded(describe_ending(fs, &ceilings, ending, child));
                break;
            }
            Err(e) => return Err(e.into()),
        }
        if interrupted.load(Ordering::Relaxed) {
            end = EndReason::Interrupted;
            break;
        }
        // The next deadline on the fixed grid start + k * interval; deadlines
        // already missed (a slow sample) are skipped, not sampled back to back.
        k = k.saturating_add(1);
        let now = start.elapsed();
        if deadline(opts.interval, k) <= now {
            let behind = now.as_nanos() / opts.interval.as_nanos().max(1);
            k = u64::try_from(behind).unwrap_or(u64::MAX).saturating_add(1);
        }
        let next = deadline(opts.interval, k);
        if let Some(d) = opts.duration {
            if next > d || now >= d {
                end = EndReason::Duration;
                break;
            }
        }
        // Sleep to the next deadline in short slices, so Ctrl-C is prompt.
        let mut stop = false;
        while let Some(left) = next.checked_sub(start.elapsed()) {
            if interrupted.load(Ordering::Relaxed) {
                stop = true;
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
        if stop || interrupted.load(Ordering::Relaxed) {
            end = EndReason::Interrupted;
            break;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    if live && drawn > 0 {
        let _ = out.write_all(b"\n");
    }
    // Final verdict on everything collected.
    for se in series.iter_mut() {
        se.judgement = Some(se.window.judge(&se.metric.spec()));
    }
    if samples < 2 {
        let why = match &end {
            EndReason::TargetEnded(how) => {
                format!("process {pid} {how} after {samples} sample(s): nothing to judge")
            }
            EndReason::Interrupted => {
                "interrupted before a second sample: nothing to judge".to_string()
            }
            EndReason::Duration => format!("only {samples} sample(s) taken: nothing to judge"),
        };
        let code = if end == EndReason::Interrupted {
            ExitCode::Interrupted
        } else {
            ExitCode::Error
        };
        let mut e = CliError::new(why)
            .hint("watch for longer than two intervals (e.g. --duration 30s --interval 1s)");
        e.code = code;
        return Err(e);
    }
    let mut leaks = Vec::new();
    let mut healthy = Vec::new();
    let mut undecided: Vec<Value> = Vec::new();
    let mut incomplete = crate::analysis::incomplete::Incomplete::default();
    for se in series.iter_mut() {
        let Some(j) = &se.judgement else { continue };
        // Never call "healthy" what could not be read or judged.
        let why = if se.window.is_empty() {
            Some(if sampler.denied {
                "could not be read: permission denied (run as root or as the process's owner)"
                    .to_string()
            } else {
                "could not be read".to_string()
            })
        } else if se.window.len() < crate::analysis::leak::MIN_SAMPLES && !j.leaking {
            Some(format!(
                "{} samples, needs {}",
                se.window.len(),
                crate::analysis::leak::MIN_SAMPLES
            ))
        } else {
            None
        };
        if let Some(why) = why {
            undecided.push(json!({"metric": se.metric.name(), "reason": why}));
            incomplete
                .reasons
                .push(crate::analysis::incomplete::Reason::NotJudged {
                    metric: se.metric.name(),
                    samples: se.window.len(),
                    needed: crate::analysis::leak::MIN_SAMPLES,
                });
            se.judgement = Some(Judgement {
                reason: format!("not judged: {why}"),
                ..j.clone()
            });
            continue;
        }
        if j.leaking {
            let current = se.window.last();
            let limit = limit_of(&ceilings, se.metric);
            // Memory against a cgroup limit: what counts is the cgroup's
            // usage (every process in it), not this process's RSS alone.
            let used = match se.metric {
                Metric::Rss | Metric::Pss => ceilings
                    .memory_cgroup
                    .as_ref()
                    .filter(|cg| cg.limit.is_some())
                    .and_then(|cg| fs.memory_usage_now(cg))
                    .map(|u| u as f64),
                // Against a pids cgroup limit, every task of the cgroup counts.
                Metric::Threads => ceilings
                    .threads_used_file
                    .as_ref()
                    .and_then(|f| fs.read_number(f))
                    .map(|u| u as f64),
                _ => None,
            };
            leaks.push(Leak {
                metric: se.metric.name(),
                slope_per_s: j.slope_per_s,
                p_value: j.p_value,
                current,
                limit,
                eta_s: used
                    .or(current)
                    .and_then(|c| model::eta(c, limit, j.slope_per_s)),
                reason: j.reason.clone(),
            });
        } else {
            healthy.push(se.metric.name());
        }
    }
    if opts.json {
        let ended = match &end {
            EndReason::Duration => json!({"how": "duration"}),
            EndReason::Interrupted => json!({"how": "interrupted"}),
            EndReason::TargetEnded(how) => json!({"how": "target_ended", "detail": how}),
        };
        let v = json!({
            "type": "verdict",
            "pid": pid,
            "duration_s": (elapsed * 1000.0).round() / 1000.0,
            "samples": samples,
            "leaks": leaks,
            "healthy": healthy,
            "undecided": undecided,
            "incomplete": incomplete.clone().into_option(),
            "ended": ended,
        });
        let _ = writeln!(out, "{}", crate::text::json_safe(v.to_string()));
    } else {
        let _ = out.write_all(
            verdict_text(
                &series,
                &leaks,
                &ceilings,
                pid,
                elapsed,
                samples,
                &end,
                opts.palette,
                opts.suggest_next && !matches!(end, EndReason::TargetEnded(_)),
            )
            .as_bytes(),
        );
    }
    let _ = out.flush();
    // A leak wins, then an interruption; nothing judged is an error; some
    // metrics not judged: checks incomplete (3), never 0 as healthy.
    let code = if !leaks.is_empty() {
        ExitCode::Problem
    } else if end == EndReason::Interrupted {
        ExitCode::Interrupted
    } else if healthy.is_empty() {
        return Err(crate::analysis::watch::nothing_judged(&incomplete));
    } else {
        crate::analysis::incomplete::exit_code(false, Some(&incomplete))
    };
    Ok(Outcome {
        code,
        leaks: leaks.iter().map(|l| l.metric).collect(),
    })
}

fn describe_ending(
    fs: &ProcFs,
    ceilings: &Ceilings,
    ending: Ending,
    child: Option<ChildStatus<'_>>,
) -> String {
    let oom_before = ceilings.oom_kills;
    let oom_now = ceilings
        .memory_cgroup
        .as_ref()
        .and_then(|cg| fs.oom_kill_count(cg));
    let oom = match (oom_before, oom_now) {
        (Some(a), Some(b)) if b > a => Some((a, b)),
        _ => None,
    };
    let status = match ending {
        Ending::Zombie {
            status: Some(status),
        } => Some(describe_status(status)),
        Ending::Zombie { status: None } => Some(
            "exited (its exit status is hidden without ptrace access: run as root to see it)"
                .to_string(),
        ),
        Ending::Gone => child
            .and_then(|f| {
                // The demo's child: wait for its status a moment.
                (0..20).find_map(|_| {
                    let s = f();
                    if s.is_none() {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    s
                })
            })
            .map(|st| {
                use std::os::unix::process::ExitStatusExt;
                match (st.code(), st.signal()) {
                    (Some(c), _) => format!("exited with code {c}"),
                    (None, Some(s)) => describe_status(s as u64),
                    _ => "exited".to_string(),
                }
            }),
    };
    match (status, oom) {
        (_, Some((a, b))) => format!("was killed by the OOM killer (the cgroup's OOM-kill count rose from {a} to {b})"),
        (Some(s), None) => s,
        (None, None) => "exited (its exit status is not visible: it was already reaped; its PID may now belong to another process)".to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
fn draw(
    out: &mut dyn Write,
    series: &[Series],
    ceilings: &Ceilings,
    mem_used: Option<f64>,
    pid: i32,
    name: &Text,
    t: f64,
    samples: usize,
    opts: &WatchOpts,
    drawn: usize,
) -> usize {
    let p = opts.palette;
    let mut lines = Vec::new();
    lines.push(format!(
        "{} {pid} ({}) {}",
        p.heading("proctor watch"),
        name.display(),
        p.dim(&format!(
            "- {:.1}s, {samples} samples every {}  (Ctrl-C to stop)",
            t,
            humantime::format_duration(opts.interval)
        ))
    ));
    lines.push(p.heading(&format!(
        "{:<11} {:>10} {:>10} {:>12}  {:<30}  {}",
        "METRIC", "NOW", "CHANGE", "RATE", "TREND", "VERDICT"
    )));
    for se in series {
        let m = se.metric;
        let (now, change) = match (se.window.last(), se.window.first()) {
            (Some(l), Some(f)) => (fmt_value(m, l), fmt_change(m, l - f)),
            _ => ("-".into(), "-".into()),
        };
        let (rate, verdict) = match &se.judgement {
            Some(j) if j.leaking => {
                let limit = limit_of(ceilings, m);
                let used = if m.is_bytes() { mem_used } else { None };
                let eta = used
                    .or(se.window.last())
                    .and_then(|c| model::eta(c, limit, j.slope_per_s));
                let tail = match (eta, limit) {
                    (Some(e), Some(l)) => {
                        format!(", hits {} in {}", fmt_value(m, l), fmt_duration(e))
                    }
                    _ => String::new(),
                };
                (
                    fmt_rate(m, j.slope_per_s),
                    p.critical(&format!("LEAK{tail}")),
                )
            }
            Some(j) if se.window.len() < crate::analysis::leak::MIN_SAMPLES => {
                (fmt_rate(m, j.slope_per_s), p.dim("collecting samples"))
            }
            Some(j) => (fmt_rate(m, j.slope_per_s), p.good("ok")),
            None => ("-".into(), p.dim("-")),
        };
        lines.push(format!(
            "{:<11} {:>10} {:>10} {:>12}  {:<30}  {}",
            m.name(),
            now,
            change,
            rate,
            model::sparkline(&se.window.tail(30)),
            verdict
        ));
    }
    let mut buf = String::new();
    if drawn > 0 {
        buf.push_str(&format!("\x1b[{drawn}A"));
    }
    for l in &lines {
        buf.push_str("\r\x1b[2K");
        buf.push_str(l);
        buf.push('\n');
    }
    let _ = out.write_all(buf.as_bytes());
    lines.len()
}

#[allow(clippy::too_many_arguments)]
fn verdict_text(
    series: &[Series],
    leaks: &[Leak],
    ceilings: &Ceilings,
    pid: i32,
    elapsed: f64,
    samples: usize,
    end: &EndReason,
    p: Palette,
    suggest_next: bool,
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let how = match end {
        EndReason::Duration => "duration reached".to_string(),
        EndReason::Interrupted => "interrupted".to_string(),
        EndReason::TargetEnded(h) => format!("process {pid} {h}"),
    };
    let _ = writeln!(
        s,
        "{} after {}, {samples} samples ({how})",
        p.heading("Verdict"),
        fmt_duration(elapsed)
    );
    for se in series {
        let m = se.metric;
        let Some(j) = &se.judgement else { continue };
        if let Some(l) = leaks.iter().find(|l| l.metric == m.name()) {
            let cur = l.current.map(|c| fmt_value(m, c)).unwrap_or_default();
            let limit = match (l.limit, l.eta_s) {
                (Some(lim), Some(e)) => format!(
                    "; at this rate it reaches {} ({}) in {}",
                    fmt_value(m, lim),
                    limit_name(ceilings, m),
                    fmt_duration(e)
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  {} {:<11} {} ({cur} now){limit}",
                p.critical("LEAK"),
                m.name(),
                fmt_rate(m, l.slope_per_s)
            );
            let _ = writeln!(s, "       {:<11} {}", "", p.dim(&j.reason));
        } else {
            let undecided = j.reason.starts_with("not judged");
            let mark = if undecided {
                p.warning("?   ")
            } else {
                p.good("ok  ")
            };
            let _ = writeln!(s, "  {mark} {:<11} {}", m.name(), p.dim(&j.reason));
        }
    }
    let not_judged = series
        .iter()
        .filter(|se| {
            se.judgement
                .as_ref()
                .is_some_and(|j| j.reason.starts_with("not judged"))
        })
        .count();
    if leaks.is_empty() && not_judged == series.len() {
        let _ = writeln!(s, "  {}", p.warning("nothing judged: no verdict"));
    } else if leaks.is_empty() && not_judged > 0 {
        let _ = writeln!(
            s,
            "  {}",
            p.warning(&format!(
                "no leak detected among the metrics judged; {not_judged} not judged (checks incomplete)"
            ))
        );
    } else if leaks.is_empty() {
        let _ = writeln!(
            s,
            "  {}",
            p.good("no leak detected among the metrics judged")
        );
    } else if suggest_next {
        let _ = writeln!(s, "  {}", p.dim(&format!("next: proctor inspect {pid}")));
    }
    s
}

/// What `watch` is asked (durations within their bounds: the CLI checks them).
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: crate::cmd::target::TargetSpec,
    pub interval: Duration,
    /// Until Ctrl-C when `None`.
    pub duration: Option<Duration>,
    pub metrics: Vec<Metric>,
}

/// `proctor watch TARGET`.
pub fn run(
    ctx: &Ctx,
    a: &Settings,
    out: &mut dyn std::io::Write,
) -> Result<crate::cmd::context::Output, CliError> {
    let mut metrics = a.metrics.clone();
    metrics.sort();
    metrics.dedup();
    let interrupted = super::context::interrupt_flag();
    let proc = open_target(ctx, &a.target)?;
    let opts = WatchOpts {
        interval: a.interval,
        duration: a.duration,
        metrics,
        json: ctx.json,
        palette: ctx.palette,
        live: stdout_is_tty(),
        suggest_next: true,
    };
    let outcome = watch_process(&ctx.fs, proc, &opts, &interrupted, None, out)?;
    Ok(crate::cmd::context::Output {
        stdout: String::new(),
        code: outcome.code,
    })
}

/// Whether stdout is a terminal (for the live view).
pub fn stdout_is_tty() -> bool {
    std::io::stdout().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_saturate() {
        let i = Duration::from_millis(250);
        assert_eq!(deadline(i, 0), Duration::ZERO);
        assert_eq!(deadline(i, 6), Duration::from_millis(1500));
        // Past u32 samples (a 10 ms watch of 500 days) and the largest k.
        assert_eq!(
            deadline(Duration::from_millis(10), 1 << 33),
            Duration::from_millis(10 << 33)
        );
        assert_eq!(deadline(Duration::MAX, u64::MAX).as_secs(), u64::MAX);
    }

    #[test]
    fn statuses() {
        assert_eq!(describe_status(0), "exited with code 0");
        assert_eq!(describe_status(3 << 8), "exited with code 3");
        assert_eq!(describe_status(9), "killed by signal 9 (SIGKILL)");
    }
}
