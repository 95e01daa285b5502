//! The words of `proctor report`: the text a person reads at 3 a.m.
//! (worst first, every number with its unit, the command to run next)
//! and the JSON with the same content. Every byte a process controls
//! (names, command lines, workload and cgroup names) and every message
//! from the file (SQLite's) is escaped here.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::analysis::leak::{Metric, Verdict};
use crate::analysis::report::{
    Amount, Churn, Consumer, Gap, Group, Header, Leak, NoLimit, OomKill, ProcId, Report, Resource,
    Subject, Top,
};
use crate::error::CliError;
use crate::render::style::Palette;
use crate::render::units::{duration, iec};
use crate::render::watch::{evidence, fmt_rate, fmt_value, limit_name};
use crate::text::{TextRef, escape_for_terminal as esc};

fn shown(p: &Path) -> String {
    esc(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()))
}

/// `2026-12-05 03:00:10Z`.
pub fn utc(ms: i64) -> String {
    rfc3339(ms).replacen('T', " ", 1)
}

/// `2026-12-05T03:00:10Z` (JSON).
pub fn rfc3339(ms: i64) -> String {
    let Ok(ms) = u64::try_from(ms) else {
        return format!("@{}", ms / 1000);
    };
    std::time::UNIX_EPOCH
        .checked_add(std::time::Duration::from_millis(ms))
        .map_or_else(
            || format!("@{}", ms / 1000),
            |t| humantime::format_rfc3339_seconds(t).to_string(),
        )
}

/// Times in lines: the time of day when the window is within one UTC
/// day (the header has the date), else the full date and time.
struct Clock {
    same_day: bool,
}

impl Clock {
    fn at(&self, ms: i64) -> String {
        let full = utc(ms);
        if self.same_day {
            full.get(11..).map_or(full.clone(), str::to_string)
        } else {
            full
        }
    }
}

fn sparkline(v: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = v
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    v.iter()
        .map(|x| match x {
            None => ' ',
            Some(_) if hi - lo <= 0.0 => BARS[0],
            Some(x) => BARS[(((x - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Rss => "RSS",
        Metric::Fds => "descriptors",
        Metric::Threads => "threads",
        Metric::WorkingSet => "working set",
        Metric::Tasks => "tasks (pids)",
        other => other.name(),
    }
}

/// "+5.0/s (18000/h)", "+4.00 MiB/s (14.1 GiB/h)".
fn rate_words(m: Metric, r: f64) -> String {
    let per_h = r * 3600.0;
    let hour = if m.is_bytes() {
        let s = if per_h < 0.0 { "-" } else { "+" };
        format!("{s}{}/h", iec(per_h.abs() as u64))
    } else {
        format!("{per_h:+.0}/h")
    };
    format!("{} ({hour})", fmt_rate(m, r))
}

fn workload_suffix(w: Option<&String>) -> String {
    w.map_or_else(String::new, |w| format!(" in {}", esc(w.as_bytes())))
}

fn proc_words(p: &ProcId) -> String {
    format!(
        "PID {} {}{}",
        p.pid,
        esc(&p.comm),
        workload_suffix(p.workload.as_ref())
    )
}

fn subject_words(s: &Subject) -> String {
    match s {
        Subject::Process(p) => proc_words(p),
        Subject::Workload(w) => format!("workload {}", esc(w.name.as_bytes())),
    }
}

fn limit_words(l: &Leak) -> String {
    let workload = match &l.subject {
        Subject::Workload(w) => Some(w.name.clone()),
        Subject::Process(p) => p.workload.clone(),
    };
    match (&l.exhaustion, l.no_limit) {
        (Some(e), _) => {
            let name = match e.kind {
                crate::analysis::ceiling::Kind::MemoryCgroup => format!(
                    "memory limit of {}",
                    esc(workload.unwrap_or_default().as_bytes())
                ),
                crate::analysis::ceiling::Kind::PidsMax => {
                    format!(
                        "pids.max of {}",
                        esc(workload.unwrap_or_default().as_bytes())
                    )
                }
                _ => limit_name(e),
            };
            let room = e.headroom.map_or_else(
                || "room unknown".to_string(),
                |h| format!("{} left", fmt_value(l.metric, h as f64)),
            );
            let eta = match e.eta_s {
                Some(t) if t <= 0.0 => "; reached".to_string(),
                Some(t) => format!("; at this rate reached in {}", duration(t)),
                None => String::new(),
            };
            format!(
                "limit {} ({name}), {room}{eta}",
                fmt_value(l.metric, e.limit as f64)
            )
        }
        (None, Some(NoLimit::ThreadsMaxNotRecorded)) => {
            "limit unknown (kernel.threads-max is not recorded; no pids.max recorded)".to_string()
        }
        (None, _) => "limit unknown (none recorded)".to_string(),
    }
}

fn next_for_leak(l: &Leak, file: &str) -> String {
    match &l.subject {
        Subject::Process(p) if !p.exited => {
            let view = match l.metric {
                Metric::Fds => format!("proctor fds {}", p.pid),
                Metric::Threads => format!("proctor threads {}", p.pid),
                _ => format!("proctor maps {}", p.pid),
            };
            format!(
                "if PID {} is still this process: proctor watch {} --metrics {}; {view}",
                p.pid,
                p.pid,
                l.metric.name()
            )
        }
        Subject::Process(p) => format!(
            "it exited at {}; its history: proctor report {file} --pid {}",
            utc(p.last_ms),
            p.pid
        ),
        Subject::Workload(w) if !w.cgroup.is_empty() => {
            format!("proctor watch --cgroup {}", esc(w.cgroup.as_bytes()))
        }
        Subject::Workload(w) => format!(
            "proctor report {file} --workload {}",
            esc(w.name.as_bytes())
        ),
    }
}

fn leak_lines(s: &mut String, l: &Leak, clock: &Clock, p: &Palette, file: &str) {
    let (tag, tail) = match &l.verdict {
        Verdict::Leak { .. } => (p.critical("LEAK"), String::new()),
        Verdict::Rising { evidence: e, .. } => (
            p.warning("rising"),
            format!(" ({}; not a leak)", evidence(l.metric, e)),
        ),
        Verdict::Healthy { evidence: e, .. } => {
            (p.info("reversed"), format!(" {}", evidence(l.metric, e)))
        }
        Verdict::Undecided(_) => (String::new(), String::new()),
    };
    // A reversed leak's rate is old news: its fall is the line.
    let rate = if l.reversed() {
        String::new()
    } else {
        format!(" {}", rate_words(l.metric, l.rate()))
    };
    let _ = writeln!(
        s,
        "{tag} {} of {}:{rate}{tail}",
        metric_name(l.metric),
        subject_words(&l.subject),
    );
    let _ = writeln!(
        s,
        "  {} at {} -> {} at {} ({} samples)  {}",
        fmt_value(l.metric, l.start),
        clock.at(l.start_ms),
        fmt_value(l.metric, l.end),
        clock.at(l.end_ms),
        l.samples,
        sparkline(&l.trend)
    );
    let _ = writeln!(s, "  {}", limit_words(l));
    if l.verdict.is_leak() {
        let _ = writeln!(s, "  next: {}", next_for_leak(l, file));
    }
}

fn header_lines(s: &mut String, file: &str, h: &Header, r: &Report, p: &Palette) {
    let _ = writeln!(s, "{}", p.heading(&format!("proctor report of {file}")));
    let host = if h.hosts.is_empty() {
        "host unknown".to_string()
    } else {
        format!("host {}", esc(h.hosts.join(", ").as_bytes()))
    };
    let kernel = if h.kernels.is_empty() {
        String::new()
    } else {
        format!(", kernel {}", esc(h.kernels.join(", ").as_bytes()))
    };
    let _ = writeln!(s, "{host}{kernel}");
    let span = (h.last_ms - h.first_ms) as f64 / 1000.0;
    let intervals: Vec<String> = h.intervals_ms.iter().map(|&i| short_interval(i)).collect();
    let _ = writeln!(
        s,
        "window {} to {} ({}): {} scans every {}, {} run{}, {} processes",
        utc(h.first_ms),
        utc(h.last_ms),
        duration(span),
        h.scans,
        if intervals.is_empty() {
            "?".to_string()
        } else {
            intervals.join(", ")
        },
        h.runs,
        if h.runs == 1 { "" } else { "s" },
        h.processes,
    );
    if let Some(pid) = h.pid {
        let _ = writeln!(
            s,
            "only PID {pid} (every process that had it in the window)"
        );
    }
    if let Some(w) = &h.workload {
        let _ = writeln!(
            s,
            "only processes of workloads whose name contains '{}'",
            esc(w.as_bytes())
        );
    }
    if h.thinned_from > 0 {
        let _ = writeln!(
            s,
            "{}",
            p.dim(&format!(
                "({} scans in the window, read as {}: narrow it with --since/--until for every scan)",
                h.thinned_from, h.scans
            ))
        );
    }
    for d in &r.damage {
        let what = match d.part.as_str() {
            "file" => "could not read the whole file (shorter than its header says: truncated)"
                .to_string(),
            "integrity" => "integrity check found damage".to_string(),
            other => format!("could not read table {}", esc(other.as_bytes())),
        };
        let _ = writeln!(s, "{}: {}", p.warning(&what), esc(d.detail.as_bytes()));
    }
    if !r.damage.is_empty() {
        let _ = writeln!(
            s,
            "  the file is damaged: what follows is what could be read (copy it aside; record to a new file)"
        );
    }
}

fn short_interval(ms: u64) -> String {
    if ms < 10_000 && ms % 1000 != 0 {
        format!("{ms}ms")
    } else {
        duration(ms as f64 / 1000.0)
    }
}

fn leaks_section(s: &mut String, r: &Report, clock: &Clock, p: &Palette, file: &str) {
    let n = r.leaks.iter().filter(|l| l.verdict.is_leak()).count();
    let _ = writeln!(s, "\n{}", p.heading(&format!("Leaks ({n})")));
    if r.leaks.is_empty() && r.rising.is_empty() {
        let _ = writeln!(s, "none found in the recorded series");
    }
    for l in &r.leaks {
        leak_lines(s, l, clock, p, file);
    }
    for l in &r.rising {
        leak_lines(s, l, clock, p, file);
    }
    if r.rising_more > 0 {
        let _ = writeln!(s, "  and {} more rising series", r.rising_more);
    }
    let nj = &r.not_judged;
    for (m, n) in &nj.unreadable {
        let _ = writeln!(
            s,
            "{} {} of {n} processes could not be read enough to judge (never counted as healthy)",
            p.warning("not judged:"),
            metric_name(*m)
        );
    }
    if nj.too_short > 0 {
        let _ = writeln!(
            s,
            "{}",
            p.dim(&format!(
                "{} series of processes seen in fewer than {} scans were too short to judge",
                nj.too_short,
                crate::analysis::leak::MIN_SAMPLES
            ))
        );
    }
}

fn opt_count(v: Option<u64>) -> String {
    v.map_or_else(|| "?".to_string(), |v| v.to_string())
}

fn opt_bytes(v: Option<u64>) -> String {
    v.map_or_else(|| "?".to_string(), iec)
}

fn oom_lines(s: &mut String, k: &OomKill, clock: &Clock, p: &Palette, file: &str) {
    let e = &k.event;
    let pid = e.pid.map_or_else(|| "?".to_string(), |p| p.to_string());
    let cgroup = if e.task_memcg.is_empty() {
        String::new()
    } else {
        format!(" in {}", esc(&e.task_memcg))
    };
    let what = match e.constraint.as_str() {
        "memcg" => {
            let cg = if e.oom_memcg.is_empty() {
                "its memory cgroup".to_string()
            } else {
                format!("memory cgroup {}", esc(&e.oom_memcg))
            };
            match (e.usage_kb, e.limit_kb) {
                (Some(u), Some(l)) => format!(
                    "{cg} at {} of its {} limit",
                    iec(u.saturating_mul(1024)),
                    iec(l.saturating_mul(1024))
                ),
                _ => cg,
            }
        }
        "global" | "" => "the whole host out of memory".to_string(),
        other => format!("constraint {}", esc(other.as_bytes())),
    };
    let _ = writeln!(
        s,
        "{} {} PID {pid} {}{cgroup}: {what}; anon RSS {}",
        p.critical("OOM kill"),
        clock.at(e.t_ms),
        esc(&e.comm),
        opt_bytes(e.anon_rss_kb.map(|k| k.saturating_mul(1024)))
    );
    match &k.victim {
        Some(v) => {
            let fds = match (v.fds, v.fd_limit) {
                (Some(f), Some(l)) => format!("{f} descriptors of {l}"),
                (f, _) => format!("{} descriptors", opt_count(f)),
            };
            let _ = writeln!(
                s,
                "  last recorded at {}: RSS {}, {fds}, {} threads",
                clock.at(v.proc.last_ms),
                opt_bytes(v.rss_bytes),
                opt_count(v.threads)
            );
            let trend = match v.rss_rate {
                Some(r) => format!(
                    "RSS {} over its last {}",
                    rate_words(Metric::Rss, r),
                    duration(v.trend_s)
                ),
                None => "RSS trend unknown (fewer than 2 readings)".to_string(),
            };
            let _ = writeln!(s, "  {trend}  {}", sparkline(&v.trend));
        }
        None => {
            let _ = writeln!(
                s,
                "  not in the recording (not recorded, or not in this window)"
            );
        }
    }
    if let Some(w) = &k.workload {
        let pct = w
            .percent
            .map_or_else(String::new, |x| format!(" ({x:.0}%)"));
        let limit = w.limit.map_or_else(
            || "no limit recorded".to_string(),
            |l| format!("{} limit", iec(l)),
        );
        let _ = writeln!(
            s,
            "  workload {}: working set {} of its {limit}{pct} at the scan before",
            esc(w.workload.name.as_bytes()),
            opt_bytes(w.working_set)
        );
    }
    let _ = writeln!(s, "  next: proctor oom; proctor report {file} --pid {pid}");
}

fn resource_title(r: Resource) -> &'static str {
    match r {
        Resource::Cpu => "CPU (time used in the window; cores averaged over the window)",
        Resource::Rss => "Memory (peak RSS)",
        Resource::Fds => "Descriptors (peak, against the soft RLIMIT_NOFILE then)",
        Resource::Threads => "Threads (peak)",
        Resource::Io => "Storage I/O (bytes read and written in the window)",
        Resource::Switches => "Context switches (per second while seen)",
    }
}

fn amount_words(a: &Amount, r: Resource) -> String {
    match a {
        Amount::Cpu { seconds, cores } => {
            format!("{} CPU, {cores:.2} cores", duration_precise(*seconds))
        }
        Amount::Peak {
            value,
            limit,
            percent,
        } => {
            let v = if r == Resource::Rss {
                iec(*value)
            } else {
                value.to_string()
            };
            match (limit, percent) {
                (Some(l), Some(p)) => format!("{v} of {l} ({p:.0}%)"),
                _ => v,
            }
        }
        Amount::Io { read, written } => {
            format!("read {}, written {}", opt_bytes(*read), opt_bytes(*written))
        }
        Amount::Rate { per_s } => format!("{per_s:.1}/s"),
    }
}

/// Seconds with a tenth below a minute.
fn duration_precise(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        duration(s)
    }
}

fn top_section(s: &mut String, tops: &[Top], p: &Palette) {
    let _ = writeln!(s, "\n{}", p.heading("Top consumers"));
    for t in tops {
        let _ = writeln!(s, "{}", resource_title(t.resource));
        if t.consumers.is_empty() {
            let _ = writeln!(s, "  none recorded");
            continue;
        }
        let rows: Vec<(String, String, String)> = t
            .consumers
            .iter()
            .map(|c: &Consumer| {
                (
                    proc_words(&c.proc),
                    amount_words(&c.amount, t.resource),
                    sparkline(&c.trend),
                )
            })
            .collect();
        let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
        let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (a, b, c) in rows {
            let _ = writeln!(s, "  {a:<w0$}  {b:<w1$}  {c}");
        }
    }
}

fn group_words(g: &Group) -> String {
    let pids: Vec<String> = g.pids.iter().map(i32::to_string).collect();
    format!(
        "{} x{}{} (last PIDs {})",
        esc(&g.comm),
        g.count,
        workload_suffix(g.workload.as_ref()),
        pids.join(", ")
    )
}

fn gap_words(g: &Gap, clock: &Clock) -> String {
    format!(
        "no scan from {} to {} ({}, interval {}): the recorder was down or stalled",
        clock.at(g.from_ms),
        clock.at(g.to_ms),
        duration((g.to_ms - g.from_ms) as f64 / 1000.0),
        short_interval(g.interval_ms)
    )
}

fn churn_section(s: &mut String, c: &Churn, clock: &Clock, p: &Palette) {
    let _ = writeln!(s, "\n{}", p.heading("Came and went"));
    let _ = writeln!(
        s,
        "{} started, {} exited in the window; {} lived less than {}",
        c.started,
        c.exited,
        c.short_lived,
        duration(crate::analysis::report::SHORT_LIVED_S)
    );
    if !c.short_groups.is_empty() {
        let _ = writeln!(s, "short-lived:");
        for g in &c.short_groups {
            let _ = writeln!(s, "  {}", group_words(g));
        }
    }
    if !c.restarts.is_empty() {
        let _ = writeln!(s, "restarted (exited, then started again):");
        for g in &c.restarts {
            let _ = writeln!(s, "  {}", group_words(g));
        }
    }
    if !c.exits.is_empty() {
        let _ = writeln!(s, "exited, newest first:");
        for id in &c.exits {
            let _ = writeln!(s, "  {} last seen {}", proc_words(id), clock.at(id.last_ms));
        }
        if c.exits_more > 0 {
            let _ = writeln!(s, "  and {} more", c.exits_more);
        }
    }
    for g in &c.gaps {
        let _ = writeln!(s, "{} {}", p.warning("gap:"), gap_words(g, clock));
    }
}

/// The report as text.
pub fn text(file: &Path, r: &Report, p: &Palette) -> String {
    let mut s = String::new();
    let f = shown(file);
    let h = &r.header;
    header_lines(&mut s, &f, h, r, p);
    if h.scans == 0 {
        let _ = writeln!(s, "no scan could be read in the window");
        return s;
    }
    let clock = Clock {
        same_day: utc(h.first_ms).get(..10) == utc(h.last_ms).get(..10),
    };
    leaks_section(&mut s, r, &clock, p, &f);
    let _ = writeln!(
        s,
        "\n{}",
        p.heading(&format!("OOM kills ({})", r.ooms.len()))
    );
    if r.ooms.is_empty() {
        let _ = writeln!(s, "none recorded in the window");
    }
    for k in &r.ooms {
        oom_lines(&mut s, k, &clock, p, &f);
    }
    if r.ooms_before > 0 {
        let _ = writeln!(
            s,
            "{}",
            p.dim(&format!(
                "({} earlier kills in the file are before the window: proctor oom lists the kernel log's)",
                r.ooms_before
            ))
        );
    }
    top_section(&mut s, &r.top, p);
    churn_section(&mut s, &r.churn, &clock, p);
    s
}

// ---- JSON ----

fn time_json(ms: i64) -> Value {
    json!({ "unix_ms": ms, "time": rfc3339(ms) })
}

fn proc_json(p: &ProcId) -> Value {
    json!({
        "kind": "process",
        "pid": p.pid,
        "name": TextRef(&p.comm),
        "cmdline": TextRef(&p.cmdline),
        "workload": p.workload.as_ref().map(|w| TextRef(w.as_bytes())),
        "first_seen": time_json(p.first_ms),
        "last_seen": time_json(p.last_ms),
        "started_in_window": p.started,
        "exited_in_window": p.exited,
    })
}

fn subject_json(s: &Subject) -> Value {
    match s {
        Subject::Process(p) => proc_json(p),
        Subject::Workload(w) => json!({
            "kind": "workload",
            "name": TextRef(w.name.as_bytes()),
            "workload_kind": w.kind,
            "cgroup": TextRef(w.cgroup.as_bytes()),
        }),
    }
}

fn verdict_name(v: &Verdict, reversed: bool) -> &'static str {
    match v {
        Verdict::Leak { .. } => "leak",
        Verdict::Rising { .. } => "rising",
        Verdict::Healthy { .. } if reversed => "reversed",
        Verdict::Healthy { .. } => "ok",
        Verdict::Undecided(_) => "undecided",
    }
}

fn limit_kind(k: crate::analysis::ceiling::Kind) -> &'static str {
    use crate::analysis::ceiling::Kind;
    match k {
        Kind::PidsMax => "pids_max",
        Kind::ThreadsMax => "threads_max",
        Kind::PidMax => "pid_max",
        Kind::NoFile => "nofile",
        Kind::MaxMapCount => "max_map_count",
        Kind::MemoryCgroup => "memory_cgroup",
        Kind::MemTotal => "mem_total",
    }
}

fn leak_json(l: &Leak) -> Value {
    let (p, ev) = match &l.verdict {
        Verdict::Leak {
            p_value, evidence, ..
        }
        | Verdict::Rising {
            p_value, evidence, ..
        } => (Some(*p_value), Some(evidence)),
        Verdict::Healthy { evidence, .. } => (None, Some(evidence)),
        Verdict::Undecided(_) => (None, None),
    };
    let limit = l.exhaustion.as_ref().map(|e| {
        json!({
            "kind": limit_kind(e.kind),
            "name": limit_name(e),
            "value": e.limit,
            "used": e.used,
            "headroom": e.headroom,
            "seconds_to_limit": e.eta_s,
        })
    });
    json!({
        "verdict": verdict_name(&l.verdict, l.reversed()),
        "subject": subject_json(&l.subject),
        "metric": l.metric.name(),
        "unit": if l.metric.is_bytes() { "bytes" } else { "count" },
        "rate_per_second": l.rate(),
        "rate_per_hour": l.rate() * 3600.0,
        "p_value": p.filter(|p| p.is_finite()),
        "evidence": ev.map(|e| evidence(l.metric, e)),
        "start": l.start,
        "end": l.end,
        "start_time": time_json(l.start_ms),
        "end_time": time_json(l.end_ms),
        "samples": l.samples,
        "limit": limit,
        "limit_unknown": l.no_limit.map(|n| match n {
            NoLimit::ThreadsMaxNotRecorded => "threads_max_not_recorded",
            NoLimit::NotRecorded => "not_recorded",
        }),
        "trend": l.trend,
    })
}

fn oom_json(k: &OomKill) -> Value {
    let e = &k.event;
    let kb = |v: Option<u64>| v.map(|k| k.saturating_mul(1024));
    json!({
        "time": time_json(e.t_ms),
        "boot_id": e.boot_id,
        "seq": e.seq,
        "pid": e.pid,
        "name": TextRef(&e.comm),
        "uid": e.uid,
        "constraint": e.constraint,
        "oom_memcg": TextRef(&e.oom_memcg),
        "task_memcg": TextRef(&e.task_memcg),
        "total_vm_bytes": kb(e.total_vm_kb),
        "anon_rss_bytes": kb(e.anon_rss_kb),
        "file_rss_bytes": kb(e.file_rss_kb),
        "shmem_rss_bytes": kb(e.shmem_rss_kb),
        "cgroup_usage_bytes": kb(e.usage_kb),
        "cgroup_limit_bytes": kb(e.limit_kb),
        "victim": k.victim.as_ref().map(|v| json!({
            "process": proc_json(&v.proc),
            "rss_bytes": v.rss_bytes,
            "fds": v.fds,
            "fd_limit": v.fd_limit,
            "threads": v.threads,
            "rss_bytes_per_second": v.rss_rate,
            "trend_seconds": v.trend_s,
            "rss_trend": v.trend,
        })),
        "workload": k.workload.as_ref().map(|w| json!({
            "name": TextRef(w.workload.name.as_bytes()),
            "cgroup": TextRef(w.workload.cgroup.as_bytes()),
            "working_set_bytes": w.working_set,
            "usage_bytes": w.usage,
            "limit_bytes": w.limit,
            "percent_of_limit": w.percent,
        })),
    })
}

fn resource_key(r: Resource) -> &'static str {
    match r {
        Resource::Cpu => "cpu",
        Resource::Rss => "rss",
        Resource::Fds => "fds",
        Resource::Threads => "threads",
        Resource::Io => "io",
        Resource::Switches => "context_switches",
    }
}

fn consumer_json(c: &Consumer) -> Value {
    let mut v = json!({ "process": proc_json(&c.proc), "trend": c.trend });
    let extra = match &c.amount {
        Amount::Cpu { seconds, cores } => json!({ "cpu_seconds": seconds, "cores": cores }),
        Amount::Peak {
            value,
            limit,
            percent,
        } => json!({ "peak": value, "limit": limit, "percent_of_limit": percent }),
        Amount::Io { read, written } => json!({ "read_bytes": read, "written_bytes": written }),
        Amount::Rate { per_s } => json!({ "per_second": per_s }),
    };
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

fn group_json(g: &Group) -> Value {
    json!({
        "name": TextRef(&g.comm),
        "workload": g.workload.as_ref().map(|w| TextRef(w.as_bytes())),
        "count": g.count,
        "last_pids": g.pids,
    })
}

fn header_json(file: &Path, h: &Header) -> Value {
    json!({
        "file": TextRef(std::os::unix::ffi::OsStrExt::as_bytes(file.as_os_str())),
        "hosts": h.hosts.iter().map(|x| TextRef(x.as_bytes())).collect::<Vec<_>>(),
        "kernels": h.kernels.iter().map(|x| TextRef(x.as_bytes())).collect::<Vec<_>>(),
        "since": h.since_ms.map(time_json),
        "until": h.until_ms.map(time_json),
        "pid": h.pid,
        "workload": h.workload.as_ref().map(|w| TextRef(w.as_bytes())),
        "first_scan": (h.scans > 0).then(|| time_json(h.first_ms)),
        "last_scan": (h.scans > 0).then(|| time_json(h.last_ms)),
        "seconds": (h.last_ms - h.first_ms) as f64 / 1000.0,
        "scans": h.scans,
        "scans_before_thinning": (h.thinned_from > 0).then_some(h.thinned_from),
        "runs": h.runs,
        "intervals_ms": h.intervals_ms,
        "processes": h.processes,
    })
}

fn churn_json(c: &Churn) -> Value {
    json!({
        "started": c.started,
        "exited": c.exited,
        "short_lived": c.short_lived,
        "short_lived_groups": c.short_groups.iter().map(group_json).collect::<Vec<_>>(),
        "restarts": c.restarts.iter().map(group_json).collect::<Vec<_>>(),
        "exits": c.exits.iter().map(proc_json).collect::<Vec<_>>(),
        "exits_more": c.exits_more,
        "gaps": c.gaps.iter().map(|g| json!({
            "from": time_json(g.from_ms),
            "to": time_json(g.to_ms),
            "seconds": (g.to_ms - g.from_ms) as f64 / 1000.0,
            "interval_ms": g.interval_ms,
        })).collect::<Vec<_>>(),
    })
}

/// The report as JSON (one document).
pub fn json(file: &Path, r: &Report) -> String {
    let top: serde_json::Map<String, Value> = r
        .top
        .iter()
        .map(|t| {
            (
                resource_key(t.resource).to_string(),
                Value::Array(t.consumers.iter().map(consumer_json).collect()),
            )
        })
        .collect();
    let doc = json!({
        "window": header_json(file, &r.header),
        "problem": r.leak_found() || !r.ooms.is_empty(),
        "incomplete": r.incomplete(),
        "damage": r.damage.iter().map(|d| json!({
            "part": TextRef(d.part.as_bytes()),
            "detail": TextRef(d.detail.as_bytes()),
        })).collect::<Vec<_>>(),
        "leaks": r.leaks.iter().map(leak_json).collect::<Vec<_>>(),
        "rising": r.rising.iter().map(leak_json).collect::<Vec<_>>(),
        "rising_more": r.rising_more,
        "not_judged": {
            "too_short_series": r.not_judged.too_short,
            "unreadable": r.not_judged.unreadable.iter().map(|(m, n)| json!({
                "metric": m.name(), "processes": n,
            })).collect::<Vec<_>>(),
        },
        "oom_kills": r.ooms.iter().map(oom_json).collect::<Vec<_>>(),
        "oom_kills_before_window": r.ooms_before,
        "top": top,
        "came_and_went": churn_json(&r.churn),
    });
    super::to_json(&doc)
}

// ---- errors ----

pub fn no_scans(file: &Path) -> CliError {
    CliError::new(format!("{} holds no scan yet", shown(file)))
        .hint("let proctor record run for at least one --interval, then report again")
}

pub fn empty_window(since: i64, until: i64, first: i64, last: i64) -> CliError {
    CliError::new(format!(
        "no scan recorded between {} and {}",
        utc(since),
        utc(until)
    ))
    .hint(format!(
        "the recording spans {} to {}: pick --since/--until inside it (e.g. --since 1h: its last hour)",
        utc(first),
        utc(last)
    ))
}

pub fn reversed_window(since: i64, until: i64) -> CliError {
    CliError::new(format!(
        "--since ({}) is after --until ({})",
        utc(since),
        utc(until)
    ))
    .hint("a duration counts back from the end of the recording: --since 3h --until 2h is the hour before the last two")
}

pub fn no_such_pid(pid: i32) -> CliError {
    CliError::new(format!(
        "no process with PID {pid} was recorded in the window"
    ))
    .hint("drop --pid to see every process, or widen the window with --since/--until")
}

pub fn no_such_workload(name: &str) -> CliError {
    CliError::new(format!(
        "no process of a workload matching '{}' was recorded in the window",
        esc(name.as_bytes())
    ))
    .hint("the names are in `proctor report --json` (came_and_went, top: workload); the match is a substring")
}

/// What an export could not read, on one line (stderr).
pub fn damage_line(damage: &[crate::store::Damage]) -> String {
    let parts: Vec<String> = damage
        .iter()
        .map(|d| format!("{}: {}", esc(d.part.as_bytes()), esc(d.detail.as_bytes())))
        .collect();
    format!(
        "incomplete: the file is damaged; exported what could be read (could not read {})",
        parts.join("; ")
    )
}

/// `--plot` with nothing leaking and no `--metric`.
pub fn nothing_to_plot() -> CliError {
    CliError::new("nothing to plot: no series leaked or rose in this window")
        .hint("choose a series: --metric rss (the top consumers), or --metric fds --pid PID")
}

/// A plot's title and the unit of its values.
pub fn plot_title(what: &str, since_ms: i64, until_ms: i64) -> String {
    format!("{what}, {} to {}", utc(since_ms), utc(until_ms))
}

/// The name of a plotted metric and its unit for the axis.
pub fn plot_metric(m: &crate::analysis::report::PlotMetric) -> (&'static str, &'static str) {
    match *m {
        crate::analysis::report::PlotMetric::Process(p) => super::plot::process_words(p),
        crate::analysis::report::PlotMetric::Workload(w) => super::plot::workload_words(w),
    }
}

/// A legend entry: a process (`4242 python3`) or a workload's name.
pub fn plot_label_process(pid: i32, comm: &[u8]) -> String {
    format!("{pid} {}", super::plot::label(comm))
}

/// Where the plot was written (stderr).
pub fn plotted(path: &Path, series: usize) -> String {
    format!(
        "plotted {series} series to {}",
        crate::text::escape_for_terminal(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_shows_gaps_and_levels() {
        assert_eq!(sparkline(&[Some(0.0), None, Some(7.0)]), "▁ █");
        assert_eq!(sparkline(&[Some(3.0), Some(3.0)]), "▁▁");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn times_and_rates() {
        assert_eq!(utc(1_764_903_600_000), "2025-12-05 03:00:00Z");
        assert_eq!(rfc3339(1_764_903_600_000), "2025-12-05T03:00:00Z");
        assert_eq!(rate_words(Metric::Fds, 5.0), "+5.0/s (+18000/h)");
        assert_eq!(
            rate_words(Metric::Rss, 4.0 * 1024.0 * 1024.0),
            "+4.00 MiB/s (+14.1 GiB/h)"
        );
        assert_eq!(short_interval(250), "250ms");
        assert_eq!(short_interval(10_000), "10s");
    }
}
