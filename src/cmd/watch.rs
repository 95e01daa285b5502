//! The `watch` loop: samples one process at a fixed interval on a
//! monotonic clock (deadlines are start + k * interval, so drift does not
//! accumulate), feeds the leak detector, shows the live view or sample
//! lines, and ends with a verdict. Used by `proctor watch` and by
//! `proctor demo` (the same code path). The judging is
//! `analysis::watch`; every word is `render::watch`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::analysis::ceiling::value_of;
use crate::analysis::leak::{Running, running};
use crate::analysis::watch::{self as model, EndReason, Judged, Metric, Window};
use crate::error::{CliError, ExitCode, ReadError};
use crate::reader::{
    Ceilings, CgroupSampler, CgroupTarget, CgroupWanted, Ending, ProcFs, Process, Sample, Sampler,
    Wanted,
};
use crate::render::style::Palette;
use crate::render::watch::{self as words, Exit, LiveRow, Subject};
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

/// The sample after sample `k` and its deadline: the next on the fixed
/// grid start + k * interval; deadlines already missed (a slow sample)
/// are skipped, not sampled back to back.
fn next_deadline(interval: Duration, k: u64, now: Duration) -> (u64, Duration) {
    let mut k = k.saturating_add(1);
    if deadline(interval, k) <= now {
        let behind = now.as_nanos() / interval.as_nanos().max(1);
        k = u64::try_from(behind).unwrap_or(u64::MAX).saturating_add(1);
    }
    (k, deadline(interval, k))
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

/// Knows the exit status of a watched child (for the demo); None for an
/// arbitrary process.
pub type ChildStatus<'a> = &'a mut dyn FnMut() -> Option<std::process::ExitStatus>;

struct Series {
    metric: Metric,
    window: Window,
    running: Running,
    judged: Option<Judged>,
}

/// Metrics whose reading is paced by [`crate::reader::WATCH_DUTY`].
fn is_expensive(m: Metric) -> bool {
    matches!(
        m,
        Metric::Pss | Metric::Sockets | Metric::CloseWait | Metric::Maps
    )
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

/// What a watch samples: a process, or a cgroup's sums.
enum Source {
    Process(Box<Sampler>),
    Cgroup(CgroupSampler),
}

/// A watch under way: what it samples and what it has seen.
struct Watch<'a> {
    fs: &'a ProcFs,
    opts: &'a WatchOpts,
    subject: Subject,
    ceilings: Ceilings,
    source: Source,
    series: Vec<Series>,
    /// The last sample.
    last: Sample,
    start: Instant,
    samples: usize,
    /// Lines of the live view drawn so far.
    drawn: usize,
    last_judge: f64,
    live: bool,
}

/// Run the watch on an open process. Output is written as it goes
/// (stdout); the verdict is written at the end.
pub fn watch_process(
    fs: &ProcFs,
    proc: Process,
    opts: &WatchOpts,
    interrupted: &AtomicBool,
    child: Option<ChildStatus<'_>>,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let w = Watch::open(fs, proc, opts)?;
    run_watch(w, interrupted, child, out)
}

/// Run the watch of a cgroup (`watch --cgroup`, `pod:`, `container:`):
/// its working set, tasks and descriptors summed, against its own limits,
/// until the duration, Ctrl-C or the cgroup's removal.
pub fn watch_cgroup(
    fs: &ProcFs,
    target: CgroupTarget,
    workload: Option<String>,
    opts: &WatchOpts,
    interrupted: &AtomicBool,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let has = |m: Metric| opts.metrics.contains(&m);
    let wanted = CgroupWanted {
        working_set: has(Metric::WorkingSet),
        tasks: has(Metric::Tasks),
        fds: has(Metric::Fds),
    };
    let subject = Subject::Cgroup {
        path: Text(target.path.clone()),
        workload,
    };
    let ceilings = fs.cgroup_ceilings(&target);
    let w = Watch::new(
        fs,
        opts,
        subject,
        ceilings,
        Source::Cgroup(CgroupSampler::new(target, wanted)),
    );
    run_watch(w, interrupted, None, out)
}

/// Sample until the end and give the verdict.
fn run_watch(
    mut w: Watch<'_>,
    interrupted: &AtomicBool,
    child: Option<ChildStatus<'_>>,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let _guard = TermGuard { live: w.live };
    if w.live {
        let _ = out.write_all(b"\x1b[?25l");
    }
    match w.sample_until_end(interrupted, child, out)? {
        Some(end) => w.finish(&end, out),
        // stdout closed (`proctor watch PID | head -3`): stop quietly.
        None => Ok(Outcome {
            code: ExitCode::Ok,
            leaks: Vec::new(),
        }),
    }
}

impl<'a> Watch<'a> {
    fn open(fs: &'a ProcFs, proc: Process, opts: &'a WatchOpts) -> Result<Watch<'a>, CliError> {
        let pid = proc.pid();
        let name = Text(proc.initial_stat().comm.clone());
        let ceilings = fs.ceilings(&proc);
        let has = |m: Metric| opts.metrics.contains(&m);
        let wanted = Wanted {
            rss: has(Metric::Rss),
            pss: has(Metric::Pss),
            // Sockets run into the descriptor limit: the room left is the
            // descriptors'.
            fds: has(Metric::Fds) || has(Metric::Sockets),
            threads: has(Metric::Threads),
            sockets: has(Metric::Sockets),
            close_wait: has(Metric::CloseWait),
            maps: has(Metric::Maps),
        };
        let sampler = Sampler::new(proc, wanted).map_err(|e| match e {
            ReadError::Exited { .. } => words::exited_before_first_sample(pid),
            other => other.into(),
        })?;
        let subject = Subject::Process { pid, name };
        Ok(Watch::new(
            fs,
            opts,
            subject,
            ceilings,
            Source::Process(Box::new(sampler)),
        ))
    }

    fn new(
        fs: &'a ProcFs,
        opts: &'a WatchOpts,
        subject: Subject,
        ceilings: Ceilings,
        source: Source,
    ) -> Watch<'a> {
        let series = opts
            .metrics
            .iter()
            .map(|&m| Series {
                metric: m,
                window: Window::new(model::WINDOW_CAP),
                running: Running::default(),
                judged: None,
            })
            .collect();
        Watch {
            fs,
            opts,
            subject,
            ceilings,
            source,
            series,
            last: Sample::default(),
            start: Instant::now(),
            samples: 0,
            drawn: 0,
            last_judge: f64::NEG_INFINITY,
            live: opts.live && !opts.json,
        }
    }

    /// The next sample: `Ok(Err(Some(ending)))` when the process ended,
    /// `Ok(Err(None))` when the cgroup was removed.
    fn next_sample(&mut self) -> Result<Result<Sample, Option<Ending>>, ReadError> {
        match &mut self.source {
            Source::Process(s) => Ok(s.sample()?.map_err(Some)),
            Source::Cgroup(c) => Ok(c.sample(self.fs).ok_or(None)),
        }
    }

    /// Whether a read was refused (permission).
    fn denied(&self) -> bool {
        match &self.source {
            Source::Process(s) => s.denied,
            Source::Cgroup(c) => c.denied,
        }
    }

    /// Sample on the grid until the duration, Ctrl-C or the process's end.
    /// None when stdout was closed.
    fn sample_until_end(
        &mut self,
        interrupted: &AtomicBool,
        child: Option<ChildStatus<'_>>,
        out: &mut dyn Write,
    ) -> Result<Option<EndReason>, CliError> {
        let mut k: u64 = 0;
        loop {
            let t = self.start.elapsed().as_secs_f64();
            match self.next_sample() {
                Ok(Ok(s)) => {
                    self.record(t, s);
                    if self.emit(t, out).is_err() {
                        return Ok(None);
                    }
                }
                Ok(Err(Some(ending))) => {
                    return Ok(Some(EndReason::TargetEnded(self.ending(ending, child))));
                }
                Ok(Err(None)) => return Ok(Some(EndReason::TargetEnded(words::cgroup_removed()))),
                Err(e) => return Err(e.into()),
            }
            if interrupted.load(Ordering::Relaxed) {
                return Ok(Some(EndReason::Interrupted));
            }
            let now = self.start.elapsed();
            let next;
            (k, next) = next_deadline(self.opts.interval, k, now);
            if let Some(d) = self.opts.duration {
                if next > d || now >= d {
                    return Ok(Some(EndReason::Duration));
                }
            }
            if !self.sleep_until(next, interrupted) {
                return Ok(Some(EndReason::Interrupted));
            }
        }
    }

    /// Sleep to `next` (from the start) in short slices, so Ctrl-C is
    /// prompt. False when interrupted.
    fn sleep_until(&self, next: Duration, interrupted: &AtomicBool) -> bool {
        while let Some(left) = next.checked_sub(self.start.elapsed()) {
            if interrupted.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
        !interrupted.load(Ordering::Relaxed)
    }

    /// Add a sample to the windows; running verdicts at most once a second
    /// (bounded cost).
    fn record(&mut self, t: f64, s: Sample) {
        self.samples += 1;
        for se in &mut self.series {
            let repeated = !s.expensive_fresh && is_expensive(se.metric);
            if let (Some(v), false) = (value_of(&s, se.metric), repeated) {
                se.window.push(t, v as f64);
            }
        }
        self.last = s;
        if running::due(t, self.last_judge, self.samples) {
            self.last_judge = t;
            self.judge_all();
        }
    }

    /// Judge every metric, the limits' usages read again (a cgroup's usage
    /// counts every process in it; the host's tasks change).
    fn judge_all(&mut self) {
        self.fs.refresh_usage(&mut self.ceilings);
        let denied = self.denied();
        for se in &mut self.series {
            se.judged = Some(model::judge_running(
                se.metric,
                &se.window,
                &mut se.running,
                denied,
                &self.last,
                &self.ceilings,
            ));
        }
    }

    /// Show the last sample: a JSON record, the live view or a line.
    fn emit(&mut self, t: f64, out: &mut dyn Write) -> std::io::Result<()> {
        let values: Vec<(Metric, Option<u64>)> = self
            .series
            .iter()
            .map(|se| (se.metric, value_of(&self.last, se.metric)))
            .collect();
        if self.opts.json {
            let leaking: Vec<&str> = self
                .series
                .iter()
                .filter(|se| se.judged.as_ref().is_some_and(|j| j.verdict.is_leak()))
                .map(|se| se.metric.name())
                .collect();
            let rising: Vec<&str> = self
                .series
                .iter()
                .filter(|se| se.judged.as_ref().is_some_and(|j| j.verdict.is_rising()))
                .map(|se| se.metric.name())
                .collect();
            writeln!(out, "{}", words::sample_json(t, &values, &leaking, &rising))?;
        } else if self.live {
            let rows: Vec<LiveRow<'_>> = self
                .series
                .iter()
                .map(|se| LiveRow {
                    metric: se.metric,
                    first: se.window.first(),
                    last: se.window.last(),
                    tail: se.window.tail(30),
                    judged: se.judged.as_ref(),
                })
                .collect();
            let (o, p) = (self.opts, self.opts.palette);
            let lines = words::live_of(&self.subject, t, self.samples, o.interval, &rows, p);
            let _ = out.write_all(words::redraw(&lines, self.drawn).as_bytes());
            self.drawn = lines.len();
        } else {
            writeln!(out, "{}", words::sample_line(t, &values))?;
        }
        out.flush()
    }

    /// How the process ended: its status if it can be had, and whether
    /// the OOM killer did it.
    fn ending(&self, ending: Ending, child: Option<ChildStatus<'_>>) -> String {
        let oom_now = self
            .ceilings
            .memory_cgroup
            .as_ref()
            .and_then(|cg| self.fs.oom_kill_count(cg));
        let oom = match (self.ceilings.oom_kills, oom_now) {
            (Some(a), Some(b)) if b > a => Some((a, b)),
            _ => None,
        };
        let exit = match ending {
            Ending::Zombie {
                status: Some(status),
            } => Exit::WaitStatus(status),
            Ending::Zombie { status: None } => Exit::StatusHidden,
            Ending::Gone => child.and_then(wait_child).map_or(Exit::Unknown, |st| {
                use std::os::unix::process::ExitStatusExt;
                match (st.code(), st.signal()) {
                    (Some(c), _) => Exit::Code(c),
                    (None, Some(s)) => Exit::Signal(s),
                    _ => Exit::Exited,
                }
            }),
        };
        words::ending(exit, oom)
    }

    /// The final verdict on everything collected: printed, and the outcome.
    fn finish(&mut self, end: &EndReason, out: &mut dyn Write) -> Result<Outcome, CliError> {
        let elapsed = self.start.elapsed().as_secs_f64();
        if self.live && self.drawn > 0 {
            let _ = out.write_all(b"\n");
        }
        if self.samples < 2 {
            return Err(words::too_few_samples_of(&self.subject, self.samples, end));
        }
        self.judge_all();
        let judged: Vec<Judged> = self
            .series
            .iter()
            .filter_map(|se| se.judged.clone())
            .collect();
        let incomplete = model::incompleteness(&judged);
        let (who, samples, o) = (&self.subject, self.samples, self.opts);
        let text = if o.json {
            words::verdict_json_of(who, elapsed, samples, &judged, &incomplete, end) + "\n"
        } else {
            let next = o.suggest_next && !matches!(end, EndReason::TargetEnded(_));
            words::verdict_text_of(who, &judged, elapsed, samples, end, o.palette, next)
        };
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        let leaks: Vec<&'static str> = judged
            .iter()
            .filter(|j| j.verdict.is_leak())
            .map(|j| j.metric.name())
            .collect();
        // Judged: healthy, or rising (judged, not yet a leak).
        let healthy = judged.iter().any(|j| {
            matches!(
                j.verdict,
                crate::analysis::leak::Verdict::Healthy { .. }
                    | crate::analysis::leak::Verdict::Rising { .. }
            )
        });
        // A leak wins, then an interruption; nothing judged is an error; some
        // metrics not judged: checks incomplete (3), never 0 as healthy.
        let code = if !leaks.is_empty() {
            ExitCode::Problem
        } else if *end == EndReason::Interrupted {
            ExitCode::Interrupted
        } else if !healthy {
            return Err(words::nothing_judged(&incomplete));
        } else {
            crate::analysis::incomplete::exit_code(false, Some(&incomplete))
        };
        Ok(Outcome { code, leaks })
    }
}

/// The demo's child: wait for its status a moment.
fn wait_child(f: ChildStatus<'_>) -> Option<std::process::ExitStatus> {
    (0..20).find_map(|_| {
        let s = f();
        if s.is_none() {
            std::thread::sleep(Duration::from_millis(10));
        }
        s
    })
}

/// What `watch` watches.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchTarget {
    Process(crate::cmd::target::TargetSpec),
    /// `--cgroup PATH`.
    Cgroup(std::path::PathBuf),
    /// `pod:NAME`: a pod by name, namespace/name or UID.
    Pod(String),
    /// `container:ID`: a container id or its unique prefix (12+ hex).
    Container(String),
}

/// What `watch` is asked (durations within their bounds: the CLI checks them).
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: WatchTarget,
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
    let spec = match &a.target {
        WatchTarget::Process(spec) => {
            if let Some(&m) = metrics.iter().find(|m| model::cgroup_only(**m)) {
                return Err(words::cgroup_metric_of_a_process(m));
            }
            spec
        }
        other => {
            let (target, workload) = super::watch_cgroup::resolve(ctx, other)?;
            let (memory, pids) = (target.memory_dir.is_some(), target.pids_dir.is_some());
            let metrics = model::cgroup_metrics(&metrics, memory, pids)
                .map_err(words::process_metric_of_a_cgroup)?;
            return run_cgroup(ctx, a, metrics, target, workload, out);
        }
    };
    let interrupted = super::context::interrupt_flag();
    let proc = open_target(ctx, spec)?;
    let outcome = watch_process(
        &ctx.fs,
        proc,
        &command_opts(ctx, a, metrics),
        &interrupted,
        None,
        out,
    )?;
    Ok(written(outcome))
}

/// The options of `proctor watch` itself (demo sets its own).
fn command_opts(ctx: &Ctx, a: &Settings, metrics: Vec<Metric>) -> WatchOpts {
    WatchOpts {
        interval: a.interval,
        duration: a.duration,
        metrics,
        json: ctx.json,
        palette: ctx.palette,
        live: stdout_is_tty(),
        suggest_next: true,
    }
}

/// A watch's output was written as it went: only its exit code is left.
fn written(outcome: Outcome) -> crate::cmd::context::Output {
    crate::cmd::context::Output {
        stdout: String::new(),
        code: outcome.code,
    }
}

/// `proctor watch --cgroup PATH`, `pod:NAME`, `container:ID`, resolved.
fn run_cgroup(
    ctx: &Ctx,
    a: &Settings,
    metrics: Vec<Metric>,
    target: CgroupTarget,
    workload: Option<String>,
    out: &mut dyn std::io::Write,
) -> Result<crate::cmd::context::Output, CliError> {
    let interrupted = super::context::interrupt_flag();
    let opts = command_opts(ctx, a, metrics);
    let outcome = watch_cgroup(&ctx.fs, target, workload, &opts, &interrupted, out)?;
    Ok(written(outcome))
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
    fn missed_deadlines_are_skipped() {
        let i = Duration::from_millis(100);
        assert_eq!(next_deadline(i, 0, Duration::from_millis(5)), (1, i));
        // Sample 1 took until 350 ms: next is 400 ms (k = 4), not 200 ms.
        assert_eq!(
            next_deadline(i, 1, Duration::from_millis(350)),
            (4, Duration::from_millis(400))
        );
    }
}
