//! Every word of `watch`: sample lines and records, the live view, the
//! verdict (text and JSON), how the process ended, the detector's evidence,
//! the limit a leak runs into and its errors (nothing judged, too few
//! samples). The `top` TUI's watch panel uses the same words for its
//! verdicts ([`live_verdict`]): watch's vocabulary (LEAK / ok / collecting
//! samples / not readable), one for both.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::analysis::ceiling::{Exhaustion, Kind};
use crate::analysis::incomplete::Incomplete;
use crate::analysis::leak::{Evidence, Metric, Verdict, Why};
use crate::analysis::watch::{EndReason, Judged, nothing_judged as lacked};
use crate::analysis::workload::WorkloadReport;
use crate::error::{CliError, ExitCode};
use crate::render::style::Palette;
use crate::render::units::{duration as fmt_duration, iec};
use crate::text::Text;

/// Who is watched: a process, or a cgroup (`watch --cgroup PATH`,
/// `watch pod:NAME`, `watch container:ID`).
#[derive(Debug, Clone)]
pub enum Subject {
    Process {
        pid: i32,
        name: Text,
    },
    /// The cgroup's path in its hierarchy (raw: escaped here), and its
    /// workload on one line when it is one (`render::workload`).
    Cgroup {
        path: Text,
        workload: Option<String>,
    },
}

impl Subject {
    /// "process 4242" / "cgroup /kubepods/..." (escaped).
    fn what(&self) -> String {
        match self {
            Subject::Process { pid, .. } => format!("process {pid}"),
            Subject::Cgroup { path, .. } => format!("cgroup {}", path.display()),
        }
    }
}

/// How a watched cgroup ended.
pub fn cgroup_removed() -> String {
    "the cgroup was removed".to_string()
}

/// What a leaking sum of descriptors runs into: nothing single.
const NO_SINGLE_LIMIT: &str = "a sum over the cgroup's processes has no single limit";

/// A metric's value: IEC bytes for memory, else a whole count.
pub fn fmt_value(m: Metric, v: f64) -> String {
    if m.is_bytes() {
        iec(v.max(0.0) as u64)
    } else {
        format!("{}", v.round() as i64)
    }
}

/// A change of a metric's value, signed.
pub fn fmt_change(m: Metric, d: f64) -> String {
    let sign = if d < 0.0 { "-" } else { "+" };
    if m.is_bytes() {
        format!("{sign}{}", iec(d.abs() as u64))
    } else {
        format!("{sign}{}", d.abs().round() as i64)
    }
}

/// A rate, per second (per minute for slow counts).
pub fn fmt_rate(m: Metric, r: f64) -> String {
    if m.is_bytes() {
        let s = if r < 0.0 { "-" } else { "+" };
        format!("{s}{}/s", iec(r.abs() as u64))
    } else if r.abs() >= 1.0 {
        format!("{r:+.1}/s")
    } else {
        format!("{:+.1}/min", r * 60.0)
    }
}

/// An amount in the metric's unit, signed: IEC bytes for memory, else a
/// count with a decimal.
fn amount(m: Metric, v: f64) -> String {
    if m.is_bytes() {
        let sign = if v < 0.0 { "-" } else { "+" };
        format!("{sign}{}", iec(v.abs() as u64))
    } else {
        format!("{v:+.1}")
    }
}

/// Seconds with a tenth under 10 s (3.7s, not a rounded 4s), else as
/// durations are shown.
fn short_secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.1}s")
    } else {
        fmt_duration(s)
    }
}

/// The detector's evidence in one short sentence.
pub fn evidence(m: Metric, e: &Evidence) -> String {
    match *e {
        Evidence::TooFewSamples { samples, needed } => format!("{samples} samples, need {needed}"),
        Evidence::NoTimeElapsed => "no time elapsed".to_string(),
        Evidence::NoTrend { p } => format!("no significant upward trend (p = {p:.3})"),
        Evidence::TooSmall { growth } => format!(
            "trend too small to matter ({} over the window)",
            amount(m, growth)
        ),
        Evidence::LevelledOff { recent } => format!(
            "grew earlier but has levelled off (recent rate {}/s)",
            amount(m, recent)
        ),
        Evidence::Rising {
            slope,
            growth,
            duration,
            p,
        } => format!(
            "rising {}/s, {} over {duration:.0}s, still rising (p = {p:.1e})",
            amount(m, slope),
            amount(m, growth)
        ),
        Evidence::FloorFlat { troughs, p } => {
            format!("rises and falls; its floor ({troughs} troughs) does not rise (p = {p:.3})")
        }
        Evidence::FloorTooSmall { growth } => format!(
            "floor rises too little to matter ({} over the window)",
            amount(m, growth)
        ),
        Evidence::FloorNotHigher => {
            "floor rose earlier but the last trough is not higher".to_string()
        }
        Evidence::FloorRising { slope, troughs, p } => format!(
            "rises and falls, but its floor rises {}/s across {troughs} troughs (p = {p:.1e})",
            amount(m, slope)
        ),
        Evidence::Stopped { flat_s } => format!(
            "rose, then stopped: no rise for the last {}",
            fmt_duration(flat_s)
        ),
        Evidence::Slowing { early, recent } => format!(
            "rises ever slower ({}/s, then {}/s): a warm-up levelling off, not yet a leak",
            amount(m, early),
            amount(m, recent)
        ),
        Evidence::TooShort { span, needed } => format!(
            "rising for {} only: a leak needs {} (a warm-up looks the same until it levels off)",
            short_secs(span),
            short_secs(needed)
        ),
        Evidence::Reversed { peak, now } => format!(
            "was reported leaking; no longer: fell from {} to {} and still falls",
            fmt_value(m, peak),
            fmt_value(m, now)
        ),
    }
}

/// Why a metric was not judged.
pub fn why(w: &Why) -> String {
    match *w {
        Why::Unreadable { denied: true } => {
            "could not be read: permission denied (run as root or as the process's owner)"
                .to_string()
        }
        Why::Unreadable { denied: false } => "could not be read".to_string(),
        Why::TooFewSamples { samples, needed } => format!("{samples} samples, needs {needed}"),
    }
}

/// The name of a limit: "pids.max of /sys/fs/cgroup/pids/x",
/// "kernel.pid_max", "RLIMIT_NOFILE soft limit"... (a cgroup path is
/// escaped for the terminal).
pub fn limit_name(e: &Exhaustion) -> String {
    let cgroup = |fallback: &str| match &e.file {
        Some(f) => {
            let file = f.file_name().map_or_else(
                || fallback.to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let dir = f.parent().map(|d| d.as_os_str()).unwrap_or_default();
            format!(
                "{file} of {}",
                crate::text::escape_for_terminal(std::os::unix::ffi::OsStrExt::as_bytes(dir))
            )
        }
        None => fallback.to_string(),
    };
    match e.kind {
        Kind::PidsMax => cgroup("pids.max"),
        Kind::MemoryCgroup => cgroup("memory cgroup limit"),
        Kind::ThreadsMax => "kernel.threads-max".to_string(),
        Kind::PidMax => "kernel.pid_max".to_string(),
        Kind::NoFile => "RLIMIT_NOFILE soft limit".to_string(),
        Kind::MaxMapCount => "vm.max_map_count".to_string(),
        Kind::MemTotal => "MemTotal".to_string(),
    }
}

/// "; at this rate it reaches 1024 (RLIMIT_NOFILE soft limit) in 3m 2s",
/// or nothing when the time is unknown. Shared by the watch verdict and
/// doctor's fast growers.
pub fn reaches(m: Metric, e: Option<&Exhaustion>) -> String {
    match e {
        Some(e @ Exhaustion { eta_s: Some(t), .. }) => format!(
            "; at this rate it reaches {} ({}) in {}",
            fmt_value(m, e.limit as f64),
            limit_name(e),
            fmt_duration(*t)
        ),
        _ => String::new(),
    }
}

/// How a verdict looks in a live view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Bad,
    Good,
    Quiet,
}

/// A live view's rate and verdict cells of one metric (`None`: not judged
/// yet), with the tone to show the verdict in.
pub fn live_verdict(
    m: Metric,
    v: Option<&Verdict>,
    e: Option<&Exhaustion>,
) -> (String, String, Tone) {
    match v {
        Some(Verdict::Leak { rate, .. }) => {
            let tail = match e {
                Some(Exhaustion {
                    limit,
                    eta_s: Some(t),
                    ..
                }) => format!(
                    ", hits {} in {}",
                    fmt_value(m, *limit as f64),
                    fmt_duration(*t)
                ),
                _ => String::new(),
            };
            (fmt_rate(m, *rate), format!("LEAK{tail}"), Tone::Bad)
        }
        Some(Verdict::Rising { rate, .. }) => (fmt_rate(m, *rate), "rising".into(), Tone::Quiet),
        Some(Verdict::Healthy { rate, .. }) => (fmt_rate(m, *rate), "ok".into(), Tone::Good),
        Some(Verdict::Undecided(Why::TooFewSamples { .. })) => {
            (fmt_rate(m, 0.0), "collecting samples".into(), Tone::Quiet)
        }
        Some(Verdict::Undecided(Why::Unreadable { .. })) => {
            ("-".into(), "not readable".into(), Tone::Quiet)
        }
        None => ("-".into(), "-".into(), Tone::Quiet),
    }
}

/// One sample as a line: `t=1.25s rss=11.7 MiB fds=19`.
pub fn sample_line(t: f64, values: &[(Metric, Option<u64>)]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|&(m, v)| {
            format!(
                "{}={}",
                m.name(),
                v.map_or("-".into(), |v| fmt_value(m, v as f64))
            )
        })
        .collect();
    format!("t={t:.2}s {}", parts.join(" "))
}

/// One sample as a JSON record.
pub fn sample_json(
    t: f64,
    values: &[(Metric, Option<u64>)],
    leaking: &[&str],
    rising: &[&str],
) -> String {
    let mut rec = Map::new();
    rec.insert("type".into(), json!("sample"));
    rec.insert("t".into(), json!((t * 1000.0).round() / 1000.0));
    for &(m, v) in values {
        rec.insert(m.json_key().into(), json!(v));
    }
    rec.insert("leaking".into(), json!(leaking));
    rec.insert("rising".into(), json!(rising));
    Value::Object(rec).to_string()
}

/// One row of the live view.
pub struct LiveRow<'a> {
    pub metric: Metric,
    pub first: Option<f64>,
    pub last: Option<f64>,
    pub tail: Vec<f64>,
    pub judged: Option<&'a Judged>,
}

/// The live view's lines.
pub fn live(
    pid: i32,
    name: &Text,
    t: f64,
    samples: usize,
    interval: std::time::Duration,
    rows: &[LiveRow<'_>],
    p: Palette,
) -> Vec<String> {
    let who = Subject::Process {
        pid,
        name: name.clone(),
    };
    live_of(&who, t, samples, interval, rows, p)
}

/// The live view's lines, of a process or a cgroup.
pub fn live_of(
    who: &Subject,
    t: f64,
    samples: usize,
    interval: std::time::Duration,
    rows: &[LiveRow<'_>],
    p: Palette,
) -> Vec<String> {
    let mut lines = Vec::new();
    let title = match who {
        Subject::Process { pid, name } => format!("{pid} ({})", name.display()),
        Subject::Cgroup { workload, .. } => match workload {
            Some(w) => format!("{} ({w})", who.what()),
            None => who.what(),
        },
    };
    lines.push(format!(
        "{} {title} {}",
        p.heading("proctor watch"),
        p.dim(&format!(
            "- {:.1}s, {samples} samples every {}  (Ctrl-C to stop)",
            t,
            humantime::format_duration(interval)
        ))
    ));
    lines.push(p.heading(&format!(
        "{:<11} {:>10} {:>10} {:>12}  {:<30}  {}",
        "METRIC", "NOW", "CHANGE", "RATE", "TREND", "VERDICT"
    )));
    for r in rows {
        let m = r.metric;
        let (now, change) = match (r.last, r.first) {
            (Some(l), Some(f)) => (fmt_value(m, l), fmt_change(m, l - f)),
            _ => ("-".into(), "-".into()),
        };
        let (rate, text, tone) = live_verdict(
            m,
            r.judged.map(|j| &j.verdict),
            r.judged.and_then(|j| j.exhaustion.as_ref()),
        );
        let verdict = match tone {
            Tone::Bad => p.critical(&text),
            Tone::Good => p.good(&text),
            Tone::Quiet => p.dim(&text),
        };
        lines.push(format!(
            "{:<11} {:>10} {:>10} {:>12}  {:<30}  {}",
            m.name(),
            now,
            change,
            rate,
            sparkline(&r.tail),
            verdict
        ));
    }
    lines
}

/// The bytes that redraw a live view of `lines` over the `drawn` lines
/// drawn before.
pub fn redraw(lines: &[String], drawn: usize) -> String {
    let mut buf = String::new();
    if drawn > 0 {
        buf.push_str(&format!("\x1b[{drawn}A"));
    }
    for l in lines {
        buf.push_str("\r\x1b[2K");
        buf.push_str(l);
        buf.push('\n');
    }
    buf
}

/// Unicode sparkline of values (8 levels).
pub fn sparkline(v: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    v.iter()
        .map(|&x| {
            if hi - lo <= 0.0 {
                BARS[0]
            } else {
                BARS[(((x - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

/// A leak in the verdict record (JSON field names as before).
#[derive(Debug, Clone, Serialize)]
struct Leak {
    metric: &'static str,
    slope_per_s: f64,
    p_value: f64,
    current: Option<f64>,
    limit: Option<f64>,
    eta_s: Option<f64>,
    reason: String,
    /// A watched cgroup's leaks name their limit ("memory.limit_in_bytes
    /// of /sys/fs/cgroup/memory/x"), or say there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    limit_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit_note: Option<&'static str>,
}

fn how_json(end: &EndReason) -> Value {
    match end {
        EndReason::Duration => json!({"how": "duration"}),
        EndReason::Interrupted => json!({"how": "interrupted"}),
        EndReason::TargetEnded(how) => json!({"how": "target_ended", "detail": how}),
    }
}

/// The verdict as one JSON record.
pub fn verdict_json(
    pid: i32,
    elapsed: f64,
    samples: usize,
    judged: &[Judged],
    incomplete: &Incomplete,
    end: &EndReason,
) -> String {
    let who = Subject::Process {
        pid,
        name: Text(Vec::new()),
    };
    verdict_json_of(&who, elapsed, samples, judged, incomplete, end)
}

/// The verdict of a process or a cgroup as one JSON record: `pid`, or
/// `cgroup` (and `workload`).
pub fn verdict_json_of(
    who: &Subject,
    elapsed: f64,
    samples: usize,
    judged: &[Judged],
    incomplete: &Incomplete,
    end: &EndReason,
) -> String {
    let cgroup = matches!(who, Subject::Cgroup { .. });
    let mut leaks = Vec::new();
    let mut rising = Vec::new();
    let mut healthy = Vec::new();
    let mut undecided = Vec::new();
    for j in judged {
        let m = j.metric;
        match &j.verdict {
            Verdict::Leak {
                rate,
                p_value,
                evidence: ev,
            } => leaks.push(Leak {
                metric: m.name(),
                slope_per_s: *rate,
                p_value: *p_value,
                current: j.current,
                limit: j.exhaustion.as_ref().map(|e| e.limit as f64),
                eta_s: j.exhaustion.as_ref().and_then(|e| e.eta_s),
                reason: evidence(m, ev),
                limit_name: j.exhaustion.as_ref().filter(|_| cgroup).map(limit_name),
                limit_note: (cgroup && m == Metric::Fds).then_some(NO_SINGLE_LIMIT),
            }),
            Verdict::Rising {
                rate,
                p_value,
                evidence: ev,
            } => rising.push(json!({
                "metric": m.name(),
                "slope_per_s": rate,
                "p_value": p_value,
                "reason": evidence(m, ev),
            })),
            Verdict::Healthy { .. } => healthy.push(m.name()),
            Verdict::Undecided(w) => {
                undecided.push(json!({"metric": m.name(), "reason": why(w)}));
            }
        }
    }
    let mut v = json!({
        "type": "verdict",
        "duration_s": (elapsed * 1000.0).round() / 1000.0,
        "samples": samples,
        "leaks": leaks,
        "rising": rising,
        "healthy": healthy,
        "undecided": undecided,
        "incomplete": incomplete.clone().into_option(),
        "ended": how_json(end),
    });
    match who {
        Subject::Process { pid, .. } => v["pid"] = json!(pid),
        Subject::Cgroup { path, workload } => {
            v["cgroup"] = json!(path);
            v["workload"] = json!(workload);
        }
    }
    crate::text::json_safe(v.to_string())
}

/// The verdict as text.
pub fn verdict_text(
    judged: &[Judged],
    pid: i32,
    elapsed: f64,
    samples: usize,
    end: &EndReason,
    p: Palette,
    suggest_next: bool,
) -> String {
    let who = Subject::Process {
        pid,
        name: Text(Vec::new()),
    };
    verdict_text_of(&who, judged, elapsed, samples, end, p, suggest_next)
}

/// The verdict of a process or a cgroup as text.
pub fn verdict_text_of(
    who: &Subject,
    judged: &[Judged],
    elapsed: f64,
    samples: usize,
    end: &EndReason,
    p: Palette,
    suggest_next: bool,
) -> String {
    let mut s = String::new();
    let cgroup = matches!(who, Subject::Cgroup { .. });
    let how = match end {
        EndReason::Duration => "duration reached".to_string(),
        EndReason::Interrupted => "interrupted".to_string(),
        EndReason::TargetEnded(h) if cgroup => h.clone(),
        EndReason::TargetEnded(h) => format!("{} {h}", who.what()),
    };
    if cgroup {
        let _ = writeln!(s, "{}", p.dim(&format!("Watched: {}", who.what())));
    }
    let _ = writeln!(
        s,
        "{} after {}, {samples} samples ({how})",
        p.heading("Verdict"),
        fmt_duration(elapsed)
    );
    for j in judged {
        let m = j.metric;
        match &j.verdict {
            Verdict::Leak {
                rate, evidence: ev, ..
            } => {
                let cur = j.current.map(|c| fmt_value(m, c)).unwrap_or_default();
                let tail = if cgroup && m == Metric::Fds {
                    format!("; {NO_SINGLE_LIMIT}")
                } else {
                    reaches(m, j.exhaustion.as_ref())
                };
                let _ = writeln!(
                    s,
                    "  {} {:<11} {} ({cur} now){tail}",
                    p.critical("LEAK"),
                    m.name(),
                    fmt_rate(m, *rate),
                );
                let _ = writeln!(s, "       {:<11} {}", "", p.dim(&evidence(m, ev)));
            }
            Verdict::Rising {
                rate, evidence: ev, ..
            } => {
                let _ = writeln!(
                    s,
                    "  {} {:<11} {}, not a leak yet: {}",
                    p.warning("up  "),
                    m.name(),
                    fmt_rate(m, *rate),
                    p.dim(&evidence(m, ev))
                );
            }
            Verdict::Healthy { evidence: ev, .. } => {
                let _ = writeln!(
                    s,
                    "  {} {:<11} {}",
                    p.good("ok  "),
                    m.name(),
                    p.dim(&evidence(m, ev))
                );
            }
            Verdict::Undecided(w) => {
                let text = format!("not judged: {}", why(w));
                let _ = writeln!(
                    s,
                    "  {} {:<11} {}",
                    p.warning("?   "),
                    m.name(),
                    p.dim(&text)
                );
            }
        }
    }
    let leaks = judged.iter().filter(|j| j.verdict.is_leak()).count();
    let not_judged = judged.iter().filter(|j| j.verdict.is_undecided()).count();
    if leaks == 0 && not_judged == judged.len() {
        let _ = writeln!(s, "  {}", p.warning("nothing judged: no verdict"));
    } else if leaks == 0 && not_judged > 0 {
        let _ = writeln!(
            s,
            "  {}",
            p.warning(&format!(
                "no leak detected among the metrics judged; {not_judged} not judged (checks incomplete)"
            ))
        );
    } else if leaks == 0 && judged.iter().any(|j| j.verdict.is_rising()) {
        let _ = writeln!(
            s,
            "  {}",
            p.warning("no leak detected yet; what rises may be one: watch it longer")
        );
    } else if leaks == 0 {
        let _ = writeln!(
            s,
            "  {}",
            p.good("no leak detected among the metrics judged")
        );
    } else if suggest_next {
        let next = match who {
            Subject::Process { pid, .. } => format!("next: proctor inspect {pid}"),
            Subject::Cgroup { .. } => "next: proctor doctor".to_string(),
        };
        let _ = writeln!(s, "  {}", p.dim(&next));
    }
    s
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

/// What is known of how a watched process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// A zombie's wait status.
    WaitStatus(u64),
    /// A zombie whose status the kernel hides (no ptrace access).
    StatusHidden,
    /// The demo's child, waited for.
    Code(i32),
    Signal(i32),
    /// The demo's child, ended some other way.
    Exited,
    /// Reaped by its parent before proctor could see how.
    Unknown,
}

/// How the process ended, in words. `oom`: the cgroup's OOM-kill count
/// before and after, when it rose.
pub fn ending(exit: Exit, oom: Option<(u64, u64)>) -> String {
    if let Some((a, b)) = oom {
        return format!(
            "was killed by the OOM killer (the cgroup's OOM-kill count rose from {a} to {b})"
        );
    }
    match exit {
        Exit::WaitStatus(s) => describe_status(s),
        Exit::StatusHidden => {
            "exited (its exit status is hidden without ptrace access: run as root to see it)"
                .to_string()
        }
        Exit::Code(c) => format!("exited with code {c}"),
        Exit::Signal(s) => describe_status(s as u64),
        Exit::Exited => "exited".to_string(),
        Exit::Unknown => "exited (its exit status is not visible: it was already reaped; its PID may now belong to another process)".to_string(),
    }
}

/// The error of a watch that ended before two samples.
pub fn too_few_samples(pid: i32, samples: usize, end: &EndReason) -> CliError {
    let who = Subject::Process {
        pid,
        name: Text(Vec::new()),
    };
    too_few_samples_of(&who, samples, end)
}

/// The error of a watch of a process or a cgroup that ended before two
/// samples.
pub fn too_few_samples_of(who: &Subject, samples: usize, end: &EndReason) -> CliError {
    let why = match end {
        EndReason::TargetEnded(how) if matches!(who, Subject::Cgroup { .. }) => {
            format!(
                "{}: {how} after {samples} sample(s): nothing to judge",
                who.what()
            )
        }
        EndReason::TargetEnded(how) => {
            format!(
                "{} {how} after {samples} sample(s): nothing to judge",
                who.what()
            )
        }
        EndReason::Interrupted => {
            "interrupted before a second sample: nothing to judge".to_string()
        }
        EndReason::Duration => format!("only {samples} sample(s) taken: nothing to judge"),
    };
    let mut e = CliError::new(why)
        .hint("watch for longer than two intervals (e.g. --duration 30s --interval 1s)");
    e.code = if *end == EndReason::Interrupted {
        ExitCode::Interrupted
    } else {
        ExitCode::Error
    };
    e
}

/// The error of a watch that judged no metric: what each lacked, and what
/// to do (watch longer; read as root what could not be read).
pub fn nothing_judged(inc: &Incomplete) -> CliError {
    let l = lacked(inc);
    let what = match l.uniform {
        Some((s, n)) => format!("nothing judged: {s} samples, a verdict needs {n}"),
        None => format!("nothing judged: {}", super::incomplete::what(inc)),
    };
    CliError::new(what).hint(if l.unread {
        "watch longer (e.g. --duration 30s --interval 1s); metrics with 0 samples could not be read: run as root or as the process's owner"
    } else {
        "watch longer: 8 samples per metric (e.g. --duration 30s --interval 1s)"
    })
}

/// `--metrics` named a cgroup's metric for a process.
pub fn cgroup_metric_of_a_process(m: Metric) -> CliError {
    CliError::new(format!("{} is a cgroup's metric, not a process's", m.name())).hint(
        "watch a cgroup with --cgroup PATH, pod:NAME or container:ID; a process is watched on rss, pss, fds, threads, sockets, close_wait, maps",
    )
}

/// `--metrics` named a process's metric for a cgroup.
pub fn process_metric_of_a_cgroup(m: Metric) -> CliError {
    CliError::new(format!("a cgroup is not watched on {}", m.name()))
        .hint("a cgroup is watched on working_set, tasks and fds (--metrics working_set,tasks,fds)")
}

/// `--cgroup PATH` names no cgroup here.
pub fn no_such_cgroup(path: &std::path::Path) -> CliError {
    let p =
        crate::text::escape_for_terminal(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()));
    CliError::new(format!("no cgroup {p}: neither its memory nor its pids directory exists"))
        .hint("give a path as /proc/PID/cgroup shows it (/kubepods/burstable/pod.../ID) or its directory under /sys/fs/cgroup; --sys-root for a host's /sys")
}

/// `pod:NAME` matches no pod here.
pub fn no_such_pod(name: &str) -> CliError {
    CliError::new(format!(
        "no pod {} on this node",
        crate::text::escape_for_terminal(name.as_bytes())
    ))
    .hint("give the pod's name, namespace/name or UID; pods are found from their cgroups and named from --pods-dir (the kubelet's /var/log/pods)")
}

/// A pod and its namespace, `?` where unnamed, with its UID.
fn pod_words(w: &WorkloadReport) -> String {
    let t = |x: &Option<Text>| x.as_ref().map_or_else(|| "?".to_string(), Text::display);
    format!(
        "{}/{} (UID {})",
        t(&w.namespace),
        t(&w.pod),
        w.pod_uid.as_deref().unwrap_or("?")
    )
}

/// `pod:NAME` matches several pods.
pub fn ambiguous_pod(name: &str, all: &[&WorkloadReport]) -> CliError {
    let list: Vec<String> = all.iter().map(|w| pod_words(w)).collect();
    CliError::new(format!(
        "pod {} is ambiguous: {}",
        crate::text::escape_for_terminal(name.as_bytes()),
        list.join(", ")
    ))
    .hint("give namespace/name or the pod's UID")
}

/// `container:ID` is not 12 to 64 hex digits.
pub fn not_a_container_id(id: &str) -> CliError {
    CliError::new(format!(
        "container:{} is not a container id",
        crate::text::escape_for_terminal(id.as_bytes())
    ))
    .hint("give the container's id (64 hex digits, as crictl ps or docker ps --no-trunc show it) or a prefix of at least 12 of them")
}

/// `container:ID` matches no container here.
pub fn no_such_container(id: &str) -> CliError {
    CliError::new(format!(
        "no container {} on this node",
        crate::text::escape_for_terminal(id.as_bytes())
    ))
    .hint("containers are found from their cgroups under /sys/fs/cgroup (--sys-root for a host's /sys); check the id with crictl ps")
}

/// `container:ID` is the prefix of several containers' ids.
pub fn ambiguous_container(id: &str, all: &[&WorkloadReport]) -> CliError {
    let list: Vec<String> = all
        .iter()
        .map(|w| {
            let pod = pod_words(w);
            format!("{} in {pod}", w.container_id.as_deref().unwrap_or("?"))
        })
        .collect();
    CliError::new(format!(
        "container prefix {} matches {} containers: {}",
        crate::text::escape_for_terminal(id.as_bytes()),
        all.len(),
        list.join(", ")
    ))
    .hint("give more digits of the id")
}

/// The process exited before the first sample.
pub fn exited_before_first_sample(pid: i32) -> CliError {
    CliError::new(format!("process {pid} exited before the first sample"))
        .hint("it is gone; pick a running process")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn a_cgroups_verdict_names_its_limits_and_says_a_sum_has_none() {
        let rising = Verdict::Leak {
            rate: 5.0,
            p_value: 1e-9,
            evidence: Evidence::Rising {
                slope: 5.0,
                growth: 50.0,
                duration: 10.0,
                p: 1e-9,
            },
        };
        let tasks = Exhaustion {
            kind: Kind::PidsMax,
            file: Some(PathBuf::from("/sys/fs/cgroup/pids/x/pids.max")),
            limit: 100,
            used: Some(60),
            headroom: Some(40),
            eta_s: Some(8.0),
        };
        let judged = vec![
            Judged {
                metric: Metric::Fds,
                verdict: rising.clone(),
                current: Some(300.0),
                exhaustion: None,
            },
            Judged {
                metric: Metric::Tasks,
                verdict: rising,
                current: Some(60.0),
                exhaustion: Some(tasks),
            },
        ];
        let who = Subject::Cgroup {
            path: Text(b"/x\x1b[31m".to_vec()),
            workload: None,
        };
        let end = EndReason::TargetEnded(cgroup_removed());
        let t = verdict_text_of(&who, &judged, 10.0, 40, &end, Palette { on: false }, true);
        assert!(t.starts_with("Watched: cgroup /x\\e[31m\n"), "{t}");
        assert!(t.contains("(the cgroup was removed)"), "{t}");
        assert!(
            t.contains("fds         +5.0/s (300 now); a sum over the cgroup's processes has no single limit"),
            "{t}"
        );
        assert!(
            t.contains("reaches 100 (pids.max of /sys/fs/cgroup/pids/x) in 8s"),
            "{t}"
        );
        let inc = Incomplete::default();
        let raw = verdict_json_of(&who, 10.0, 40, &judged, &inc, &end);
        assert!(
            !raw.contains('\x1b') && raw.contains("/x\\u001b[31m"),
            "{raw}"
        );
        let v: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(v["workload"], Value::Null);
        assert!(v.get("pid").is_none());
        assert_eq!(v["leaks"][0]["limit_name"], Value::Null, "{v}");
        assert!(
            v["leaks"][0]["limit_note"]
                .as_str()
                .unwrap()
                .contains("no single limit")
        );
        assert_eq!(
            v["leaks"][1]["limit_name"],
            "pids.max of /sys/fs/cgroup/pids/x"
        );
        // A process's verdict keeps its fields.
        let p = verdict_json(7, 10.0, 40, &judged, &inc, &end);
        assert!(p.contains("\"pid\":7") && !p.contains("limit_name"), "{p}");
    }

    #[test]
    fn nothing_judged_says_what_each_lacked() {
        use crate::analysis::incomplete::Reason;
        let nj = |metric, samples| Reason::NotJudged {
            metric,
            samples,
            needed: 8,
        };
        let same = Incomplete {
            reasons: vec![nj("rss", 3), nj("fds", 3)],
            cause: None,
        };
        let e = nothing_judged(&same);
        assert_eq!(e.message, "nothing judged: 3 samples, a verdict needs 8");
        assert!(e.hint.unwrap().starts_with("watch longer: 8 samples"));
        let mixed = Incomplete {
            reasons: vec![nj("rss", 3), nj("sockets", 0)],
            cause: None,
        };
        let e = nothing_judged(&mixed);
        assert_eq!(
            e.message,
            "nothing judged: rss not judged (3 samples, needs 8); sockets not judged (0 samples, needs 8)"
        );
        assert!(e.hint.unwrap().contains("run as root"));
    }

    #[test]
    fn sparklines() {
        assert_eq!(sparkline(&[0.0, 7.0]), "▁█");
        assert_eq!(sparkline(&[3.0, 3.0, 3.0]), "▁▁▁");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn statuses() {
        assert_eq!(describe_status(0), "exited with code 0");
        assert_eq!(describe_status(3 << 8), "exited with code 3");
        assert_eq!(describe_status(9), "killed by signal 9 (SIGKILL)");
        assert_eq!(ending(Exit::Code(2), None), "exited with code 2");
        assert!(ending(Exit::Code(0), Some((0, 1))).contains("OOM killer"));
    }

    fn ex(kind: Kind, file: Option<&str>, limit: u64, eta: Option<f64>) -> Exhaustion {
        Exhaustion {
            kind,
            file: file.map(PathBuf::from),
            limit,
            used: None,
            headroom: None,
            eta_s: eta,
        }
    }

    #[test]
    fn limits_are_named_as_used() {
        let e = ex(
            Kind::PidsMax,
            Some("/sys/fs/cgroup/pids/x/pids.max"),
            100,
            Some(5.0),
        );
        assert_eq!(limit_name(&e), "pids.max of /sys/fs/cgroup/pids/x");
        assert_eq!(
            reaches(Metric::Threads, Some(&e)),
            "; at this rate it reaches 100 (pids.max of /sys/fs/cgroup/pids/x) in 5s"
        );
        // A hostile cgroup name is escaped.
        let e = ex(
            Kind::MemoryCgroup,
            Some("/sys/fs/cgroup/a\x1b[2Jb/memory.max"),
            1 << 30,
            None,
        );
        assert_eq!(limit_name(&e), "memory.max of /sys/fs/cgroup/a\\e[2Jb");
        // No time: nothing said.
        assert_eq!(reaches(Metric::Rss, Some(&e)), "");
        assert_eq!(
            limit_name(&ex(Kind::PidMax, None, 1, None)),
            "kernel.pid_max"
        );
        assert_eq!(
            limit_name(&ex(Kind::ThreadsMax, None, 1, None)),
            "kernel.threads-max"
        );
        assert_eq!(
            limit_name(&ex(Kind::NoFile, None, 1, None)),
            "RLIMIT_NOFILE soft limit"
        );
        assert_eq!(
            limit_name(&ex(Kind::MaxMapCount, None, 1, None)),
            "vm.max_map_count"
        );
        assert_eq!(limit_name(&ex(Kind::MemTotal, None, 1, None)), "MemTotal");
    }

    #[test]
    fn evidence_words() {
        let rising = Evidence::Rising {
            slope: 5.0,
            growth: 50.0,
            duration: 10.0,
            p: 0.0001,
        };
        assert_eq!(
            evidence(Metric::Fds, &rising),
            "rising +5.0/s, +50.0 over 10s, still rising (p = 1.0e-4)"
        );
        assert_eq!(
            evidence(
                Metric::Rss,
                &Evidence::TooSmall {
                    growth: 2.0 * 1048576.0
                }
            ),
            "trend too small to matter (+2.00 MiB over the window)"
        );
        assert_eq!(
            why(&Why::TooFewSamples {
                samples: 3,
                needed: 8
            }),
            "3 samples, needs 8"
        );
    }

    #[test]
    fn rising_and_reversed_in_words() {
        let up = Verdict::Rising {
            rate: 0.5,
            p_value: 0.02,
            evidence: Evidence::TooShort {
                span: 2.0,
                needed: 3.7,
            },
        };
        let (rate, verdict, tone) = live_verdict(Metric::Fds, Some(&up), None);
        assert_eq!((rate.as_str(), verdict.as_str()), ("+30.0/min", "rising"));
        assert_eq!(tone, Tone::Quiet);
        let Verdict::Rising { evidence: e, .. } = &up else {
            unreachable!()
        };
        assert_eq!(
            evidence(Metric::Fds, e),
            "rising for 2.0s only: a leak needs 3.7s (a warm-up looks the same until it levels off)"
        );
        assert_eq!(
            evidence(
                Metric::Fds,
                &Evidence::Reversed {
                    peak: 240.0,
                    now: 120.0
                }
            ),
            "was reported leaking; no longer: fell from 240 to 120 and still falls"
        );
        assert_eq!(
            evidence(
                Metric::Fds,
                &Evidence::Slowing {
                    early: 8.0,
                    recent: 2.0
                }
            ),
            "rises ever slower (+8.0/s, then +2.0/s): a warm-up levelling off, not yet a leak"
        );
    }
}
