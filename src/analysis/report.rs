//! The pure side of `proctor report`: a recorded window ([`History`])
//! judged, worst first: leaks found by the same detector and running
//! verdict as `watch` on the recorded series, OOM kills with their
//! victims' last recorded values and trend, the top consumers of each
//! resource, and the processes that came and went (with the gaps in the
//! recording). Values only; the words are `render::report`, the file is
//! read by `cmd::report`.

use std::collections::BTreeMap;

use super::ceiling::{self, Exhaustion};
use super::leak::running::{self, Running};
use super::leak::{Evidence, MIN_SAMPLES, Metric, Spec, Verdict, WINDOW_CAP, Window};
use crate::reader::{Ceilings, CgroupCeiling, Sample};
use crate::store::{
    Damage, History, OomEvent, ProcMetric, ProcessHistory, Series, WorkloadHistory, WorkloadMetric,
};

/// At most this many scans are loaded (a day at 10 s fits at half
/// resolution; an hour at 1 s whole): the detector's window cap.
pub const MAX_SCANS: usize = WINDOW_CAP;
/// Consumers shown per resource.
pub const TOP_N: usize = 5;
/// Characters of a sparkline (values bucketed to this many).
pub const SPARK_WIDTH: usize = 32;
/// Started and exited within this many seconds: short-lived.
pub const SHORT_LIVED_S: f64 = 60.0;
/// No scan for more than this many intervals: the recorder was down.
pub const GAP_INTERVALS: i64 = 3;
/// The victim's trend before a kill: its last this many seconds.
pub const OOM_TREND_S: f64 = 300.0;
/// Rising (not leaking) series listed at most.
pub const MAX_RISING: usize = 10;
/// Short-lived groups, restart groups and notable exits listed at most.
pub const MAX_LISTED: usize = 10;
/// Judgements per series at most (the running verdict is updated at
/// most this often over the window, and always at its end).
pub const JUDGEMENTS: usize = 240;
/// A cgroup v1 "unlimited" memory limit (2^63 - page) and anything that
/// large is no limit.
const NO_LIMIT: u64 = 1 << 62;
/// The workload kind of processes grouped by name (no cgroup of theirs).
const NAME_KIND: &str = "name";

/// A series `report --plot` can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotMetric {
    Process(ProcMetric),
    Workload(WorkloadMetric),
}

/// Who a line is about: a process (one life: PID and start time) or a
/// workload. Bytes raw (escaped in render).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcId {
    pub pid: i32,
    pub comm: Vec<u8>,
    pub cmdline: Vec<u8>,
    /// The workload's name (raw: a cgroup's name can be anyone's).
    pub workload: Option<String>,
    /// First and last sighting in the window, Unix ms.
    pub first_ms: i64,
    pub last_ms: i64,
    /// Started within the window (not seen before it).
    pub started: bool,
    /// Seen gone within the window.
    pub exited: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadId {
    pub name: String,
    pub kind: String,
    pub cgroup: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Process(ProcId),
    Workload(WorkloadId),
}

/// Why a leak has no time to exhaustion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoLimit {
    /// Threads: kernel.threads-max is not recorded (and no pids.max was).
    ThreadsMaxNotRecorded,
    /// The limit was not recorded, unlimited or unreadable.
    NotRecorded,
}

/// A series judged by the running verdict at the end of the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Leak {
    pub subject: Subject,
    pub metric: Metric,
    /// `Leak`, `Rising`, or `Healthy` with `Evidence::Reversed` (was a
    /// leak, reversed).
    pub verdict: Verdict,
    /// Values (bytes for memory) at the first and last sample, and when.
    pub start: f64,
    pub end: f64,
    pub start_ms: i64,
    pub end_ms: i64,
    pub samples: usize,
    /// The limit and time to it at the end of the window (at the leak's
    /// rate; for a rising series, at its rate).
    pub exhaustion: Option<Exhaustion>,
    pub no_limit: Option<NoLimit>,
    /// Bucketed values over the series, for a sparkline.
    pub trend: Vec<Option<f64>>,
}

impl Leak {
    /// Per second (0 when not judged growing).
    pub fn rate(&self) -> f64 {
        match self.verdict {
            Verdict::Leak { rate, .. } | Verdict::Rising { rate, .. } => rate,
            Verdict::Healthy { rate, .. } => rate,
            Verdict::Undecided(_) => 0.0,
        }
    }

    /// The rate a time to the limit is computed at: a leak's (a rise
    /// that is not a leak, or a leak that reversed, gives no time).
    pub fn eta_rate(&self) -> f64 {
        if self.verdict.is_leak() {
            self.rate()
        } else {
            0.0
        }
    }

    pub fn reversed(&self) -> bool {
        matches!(
            self.verdict,
            Verdict::Healthy {
                evidence: Evidence::Reversed { .. },
                ..
            }
        )
    }
}

/// The victim as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Victim {
    pub proc: ProcId,
    /// Its last recorded values (bytes for RSS).
    pub rss_bytes: Option<u64>,
    pub fds: Option<u64>,
    pub fd_limit: Option<u64>,
    pub threads: Option<u64>,
    /// RSS bytes per second over its last [`OOM_TREND_S`] seconds (None:
    /// fewer than 2 readings), over `trend_s` seconds.
    pub rss_rate: Option<f64>,
    pub trend_s: f64,
    pub trend: Vec<Option<f64>>,
}

/// The workload's memory at the last scan before the kill.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadAtKill {
    pub workload: WorkloadId,
    pub working_set: Option<u64>,
    pub usage: Option<u64>,
    pub limit: Option<u64>,
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OomKill {
    pub event: OomEvent,
    pub victim: Option<Victim>,
    pub workload: Option<WorkloadAtKill>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    Cpu,
    Rss,
    Fds,
    Threads,
    Io,
    Switches,
}

impl Resource {
    pub const ALL: [Resource; 6] = [
        Resource::Cpu,
        Resource::Rss,
        Resource::Fds,
        Resource::Threads,
        Resource::Io,
        Resource::Switches,
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub enum Amount {
    /// CPU seconds used in the window, and cores averaged over it.
    Cpu { seconds: f64, cores: f64 },
    /// The highest value (bytes for RSS), and its limit then.
    Peak {
        value: u64,
        limit: Option<u64>,
        percent: Option<f64>,
    },
    /// Storage bytes read and written in the window (None: unreadable).
    Io {
        read: Option<u64>,
        written: Option<u64>,
    },
    /// Per second over its time in the window.
    Rate { per_s: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consumer {
    pub proc: ProcId,
    pub amount: Amount,
    /// Values (gauges) or increments (counters) per bucket.
    pub trend: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Top {
    pub resource: Resource,
    pub consumers: Vec<Consumer>,
}

/// Processes of one name (and workload) that lived briefly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub comm: Vec<u8>,
    pub workload: Option<String>,
    pub count: usize,
    /// The last PIDs (at most 5).
    pub pids: Vec<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub from_ms: i64,
    pub to_ms: i64,
    pub interval_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Churn {
    pub started: usize,
    pub exited: usize,
    pub short_lived: usize,
    pub short_groups: Vec<Group>,
    pub restarts: Vec<Group>,
    /// Processes that lived longer and exited in the window.
    pub exits: Vec<ProcId>,
    pub exits_more: usize,
    pub gaps: Vec<Gap>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotJudged {
    /// Series of processes that lived fewer than [`MIN_SAMPLES`] scans.
    pub too_short: usize,
    /// Per metric: processes that lived long enough whose series could
    /// not be read enough to judge.
    pub unreadable: Vec<(Metric, usize)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Header {
    pub hosts: Vec<String>,
    pub kernels: Vec<String>,
    /// The window asked (Unix ms; None: open), and its scans' span.
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub first_ms: i64,
    pub last_ms: i64,
    pub scans: usize,
    /// Scans in the window before thinning (0: none merged).
    pub thinned_from: usize,
    /// The selection asked (`--pid`, `--workload`).
    pub pid: Option<i32>,
    pub workload: Option<String>,
    pub runs: usize,
    pub intervals_ms: Vec<u64>,
    pub processes: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub header: Header,
    /// Leaks worst first (soonest to a limit), then reversed leaks.
    pub leaks: Vec<Leak>,
    pub rising: Vec<Leak>,
    pub rising_more: usize,
    pub ooms: Vec<OomKill>,
    /// Kills in the file from before the window (the kernel log's older
    /// records, read when the recorder began).
    pub ooms_before: usize,
    pub top: Vec<Top>,
    pub churn: Churn,
    pub not_judged: NotJudged,
    pub damage: Vec<Damage>,
}

impl Report {
    pub fn leak_found(&self) -> bool {
        self.leaks.iter().any(|l| l.verdict.is_leak())
    }

    /// Something could not be read: the file is damaged, or series that
    /// could have hidden a leak could not be read.
    pub fn incomplete(&self) -> bool {
        !self.damage.is_empty() || !self.not_judged.unreadable.is_empty()
    }
}

/// The window asked for, and the selection.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub pid: Option<i32>,
    pub workload: Option<String>,
}

/// Judge a loaded window. `scan_times`: every scan's time in the window
/// before thinning (the gaps), oldest first; empty: use the loaded scans.
pub fn judge(h: &History, asked: Asked, scan_times: &[i64]) -> Report {
    let mut r = Report {
        header: header(h, &asked),
        damage: h.damage.clone(),
        ..Report::default()
    };
    if h.scans.is_empty() {
        return r;
    }
    // A damaged (or hand-made) file may hold a life that ends before it
    // starts, or past the scans read: left out, never an index panic.
    let owned;
    let h = if h.processes.iter().all(|p| sane(h, p)) {
        h
    } else {
        owned = History {
            processes: h.processes.iter().filter(|p| sane(h, p)).cloned().collect(),
            ..h.clone()
        };
        &owned
    };
    let ctx = Ctx::new(h);
    let (mut leaks, nj) = judge_processes(&ctx);
    leaks.extend(judge_workloads(&ctx));
    r.not_judged = nj;
    let (mut bad, mut rising): (Vec<Leak>, Vec<Leak>) =
        leaks.into_iter().partition(|l| !l.verdict.is_rising());
    bad.sort_by(|a, b| leak_order(a).total_cmp(&leak_order(b)));
    rising.sort_by(|a, b| growth_share(b).total_cmp(&growth_share(a)));
    r.rising_more = rising.len().saturating_sub(MAX_RISING);
    rising.truncate(MAX_RISING);
    r.leaks = bad;
    r.rising = rising;
    // Kills the recorder found in the kernel log from before it began
    // are not in the window: counted, not judged.
    let from = asked.since_ms.unwrap_or_else(|| {
        let i = i64::try_from(ctx.interval_ms(0)).unwrap_or(0);
        h.scans[0].t_ms.saturating_sub(i)
    });
    let (inside, before): (Vec<&OomEvent>, Vec<&OomEvent>) = h
        .ooms
        .iter()
        .filter(|e| selected_kill(&ctx, &asked, e))
        .partition(|e| e.t_ms >= from);
    r.ooms_before = before.len();
    r.ooms = inside.into_iter().map(|e| oom_kill(&ctx, e)).collect();
    r.top = Resource::ALL.iter().map(|&res| top(&ctx, res)).collect();
    r.churn = churn(&ctx, scan_times);
    r
}

fn sane(h: &History, p: &ProcessHistory) -> bool {
    p.first <= p.last
        && (p.last as usize) < h.scans.len()
        && p.series.len() == ProcMetric::ALL.len()
}

/// A kill of the selection: the PID asked, or a process or cgroup of
/// the workload asked.
fn selected_kill(ctx: &Ctx, asked: &Asked, e: &OomEvent) -> bool {
    if let Some(pid) = asked.pid {
        return e.pid == Some(pid);
    }
    let Some(name) = &asked.workload else {
        return true;
    };
    victim_of(ctx, e).is_some()
        || workload_of_memcg(ctx.h, &e.task_memcg)
            .is_some_and(|i| ctx.h.workloads[i].key.name.contains(name.as_str()))
}

/// Leaks first, soonest to a limit first (no time: after those with
/// one), then reversed leaks.
fn leak_order(l: &Leak) -> f64 {
    let eta = l.exhaustion.as_ref().and_then(|e| e.eta_s);
    match (l.verdict.is_leak(), eta) {
        (true, Some(t)) => t,
        (true, None) => 1e18 - growth_share(l).min(1e9),
        (false, _) => 2e18 - growth_share(l).min(1e9),
    }
}

/// Growth relative to the start (a tie-break: the biggest change first).
fn growth_share(l: &Leak) -> f64 {
    (l.end - l.start) / l.start.abs().max(1.0)
}

fn header(h: &History, asked: &Asked) -> Header {
    let runs: Vec<&crate::store::Run> = h
        .runs
        .iter()
        .filter(|r| h.scans.iter().any(|s| s.run == r.id))
        .collect();
    let mut hdr = Header {
        since_ms: asked.since_ms,
        until_ms: asked.until_ms,
        first_ms: h.scans.first().map_or(0, |s| s.t_ms),
        last_ms: h.scans.last().map_or(0, |s| s.t_ms),
        scans: h.scans.len(),
        thinned_from: h.thinned_from,
        pid: asked.pid,
        workload: asked.workload.clone(),
        runs: runs.len(),
        processes: h.processes.len(),
        ..Header::default()
    };
    for r in runs {
        push_unique(&mut hdr.hosts, &r.info.host);
        push_unique(&mut hdr.kernels, &r.info.kernel);
        if !hdr.intervals_ms.contains(&r.info.interval_ms) {
            hdr.intervals_ms.push(r.info.interval_ms);
        }
    }
    hdr
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// The history with what every judgement needs.
struct Ctx<'a> {
    h: &'a History,
    /// Seconds since the first scan, per scan.
    t: Vec<f64>,
    window_s: f64,
}

impl<'a> Ctx<'a> {
    fn new(h: &'a History) -> Ctx<'a> {
        let t0 = h.scans[0].t_ms;
        let t = h
            .scans
            .iter()
            .map(|s| (s.t_ms - t0) as f64 / 1000.0)
            .collect::<Vec<_>>();
        let window_s = t.last().copied().unwrap_or(0.0);
        Ctx { h, t, window_s }
    }

    fn ms(&self, i: u32) -> i64 {
        self.h.scans.get(i as usize).map_or(0, |s| s.t_ms)
    }

    fn run_of(&self, i: u32) -> Option<&crate::store::Run> {
        let run = self.h.scans.get(i as usize)?.run;
        self.h.runs.iter().find(|r| r.id == run)
    }

    fn interval_ms(&self, i: u32) -> u64 {
        self.run_of(i).map_or(0, |r| r.info.interval_ms)
    }

    fn workload(&self, p: &ProcessHistory) -> Option<&'a WorkloadHistory> {
        p.workload.and_then(|i| self.h.workloads.get(i))
    }

    /// Started within the window: first seen after a scan of the same
    /// run that did not see it (one seen at the window's first scan, or
    /// at a run's first, may have been running long before).
    fn started(&self, p: &ProcessHistory) -> bool {
        let i = p.first as usize;
        !p.seen_before
            && i > 0
            && self.h.scans.get(i).map(|s| s.run) == self.h.scans.get(i - 1).map(|s| s.run)
    }

    fn id(&self, p: &ProcessHistory) -> ProcId {
        ProcId {
            pid: p.pid,
            comm: p.comm.clone(),
            cmdline: p.cmdline.clone(),
            // A group by process name is no workload of its own.
            workload: self
                .workload(p)
                .filter(|w| w.key.kind != NAME_KIND)
                .map(|w| w.key.name.clone()),
            first_ms: self.ms(p.first),
            last_ms: self.ms(p.last),
            started: self.started(p),
            exited: p.exited,
        }
    }
}

fn wl_id(w: &WorkloadHistory) -> WorkloadId {
    WorkloadId {
        name: w.key.name.clone(),
        kind: w.key.kind.clone(),
        cgroup: w.key.cgroup.clone(),
    }
}

/// A series over scans `first..=last`: (scan index, value) where read,
/// values scaled by `scale`.
fn expand(s: &Series, first: u32, last: u32, scale: f64) -> Vec<(u32, Option<f64>)> {
    (first..=last)
        .map(|i| (i, s.at(i).flatten().map(|v| v as f64 * scale)))
        .collect()
}

/// The running verdict at the end of `pts` ((seconds, value), oldest
/// first), fed as `watch` feeds it; a leak that reversed later in the
/// series is its reversal (`Healthy` with `Evidence::Reversed`). A series that never moves by the
/// metric's minimum growth cannot be a leak: it is judged once, at its
/// end (the same verdict the running one gives it).
pub fn running_verdict(pts: &[(f64, f64)], spec: &Spec) -> Verdict {
    let mut w = Window::new(WINDOW_CAP);
    let mut run = Running::default();
    let (lo, hi) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
            (l.min(p.1), h.max(p.1))
        });
    if pts.len() < MIN_SAMPLES || hi - lo < spec.min_growth {
        for &(t, y) in pts {
            w.push(t, y);
        }
        return run.update(&w, spec, false);
    }
    let t0 = pts[0].0;
    let period = (pts[pts.len() - 1].0 - t0) / JUDGEMENTS as f64;
    let mut last = f64::NEG_INFINITY;
    let mut v = Verdict::Undecided(super::leak::Why::Unreadable { denied: false });
    let mut reversal: Option<Verdict> = None;
    for (k, &(t, y)) in pts.iter().enumerate() {
        w.push(t, y);
        let end = k + 1 == pts.len();
        if end || (running::due(t - t0, last - t0, w.len()) && t - last >= period) {
            v = run.update(&w, spec, false);
            last = t;
            match &v {
                Verdict::Healthy {
                    evidence: Evidence::Reversed { .. },
                    ..
                } => reversal = Some(v.clone()),
                Verdict::Leak { .. } => reversal = None,
                _ => {}
            }
        }
    }
    // A leak shown earlier that reversed says so, whatever the verdict
    // after (the reversal is the news).
    match (&v, reversal) {
        (Verdict::Leak { .. }, _) | (_, None) => v,
        (_, Some(rev)) => rev,
    }
}

/// Values per bucket of `width` over the points: the last reading of
/// each (None: nothing read in it).
pub fn buckets(v: &[Option<f64>], width: usize) -> Vec<Option<f64>> {
    if v.len() <= width {
        return v.to_vec();
    }
    (0..width)
        .map(|b| {
            let (lo, hi) = (b * v.len() / width, (b + 1) * v.len() / width);
            v[lo..hi].iter().rev().find_map(|x| *x)
        })
        .collect()
}

/// Increments per scan of a counter, averaged per bucket (a counter
/// that went back, a new life, counts from 0).
fn increments(v: &[Option<f64>], width: usize) -> Vec<Option<f64>> {
    let mut prev: Option<f64> = None;
    let d: Vec<Option<f64>> = v
        .iter()
        .map(|x| {
            let out = match (prev, x) {
                (Some(p), Some(x)) => Some((x - p).max(0.0)),
                _ => None,
            };
            if x.is_some() {
                prev = *x;
            }
            out
        })
        .collect();
    if d.len() <= width {
        return d;
    }
    (0..width)
        .map(|b| {
            let (lo, hi) = (b * d.len() / width, (b + 1) * d.len() / width);
            let xs: Vec<f64> = d[lo..hi].iter().filter_map(|x| *x).collect();
            (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
        })
        .collect()
}

const PROCESS_METRICS: [(Metric, ProcMetric, f64); 3] = [
    (Metric::Fds, ProcMetric::Fds, 1.0),
    (Metric::Rss, ProcMetric::Rss, 1024.0),
    (Metric::Threads, ProcMetric::Threads, 1.0),
];

fn judge_processes(ctx: &Ctx) -> (Vec<Leak>, NotJudged) {
    let mut out = Vec::new();
    let mut nj = NotJudged::default();
    let mut unreadable: BTreeMap<Metric, usize> = BTreeMap::new();
    for p in &ctx.h.processes {
        let lived = p.last.saturating_sub(p.first) as usize + 1;
        for (metric, pm, scale) in PROCESS_METRICS {
            if lived < MIN_SAMPLES {
                nj.too_short += 1;
                continue;
            }
            let vals = expand(p.series(pm), p.first, p.last, scale);
            let pts: Vec<(f64, f64)> = vals
                .iter()
                .filter_map(|&(i, v)| v.map(|v| (ctx.t[i as usize], v)))
                .collect();
            if pts.len() < MIN_SAMPLES {
                *unreadable.entry(metric).or_default() += 1;
                continue;
            }
            let verdict = running_verdict(&pts, &metric.spec());
            if let Some(l) = leak_of(ctx, Subject::Process(ctx.id(p)), metric, verdict, &vals) {
                let mut l = l;
                (l.exhaustion, l.no_limit) = process_limit(ctx, p, metric, l.end, l.eta_rate());
                out.push(l);
            }
        }
    }
    nj.unreadable = unreadable.into_iter().collect();
    (out, nj)
}

/// A line for a verdict worth reporting (a leak, a reversed leak, a
/// rise); None for healthy and undecided series.
fn leak_of(
    ctx: &Ctx,
    subject: Subject,
    metric: Metric,
    verdict: Verdict,
    vals: &[(u32, Option<f64>)],
) -> Option<Leak> {
    let keep = match &verdict {
        Verdict::Leak { .. } | Verdict::Rising { .. } => true,
        Verdict::Healthy { evidence, .. } => {
            matches!(evidence, Evidence::Reversed { .. })
        }
        Verdict::Undecided(_) => false,
    };
    if !keep {
        return None;
    }
    let read: Vec<(u32, f64)> = vals
        .iter()
        .filter_map(|&(i, v)| v.map(|v| (i, v)))
        .collect();
    let (&(i0, start), &(i1, end)) = (read.first()?, read.last()?);
    let raw: Vec<Option<f64>> = vals.iter().map(|v| v.1).collect();
    Some(Leak {
        subject,
        metric,
        verdict,
        start,
        end,
        start_ms: ctx.ms(i0),
        end_ms: ctx.ms(i1),
        samples: read.len(),
        exhaustion: None,
        no_limit: None,
        trend: buckets(&raw, SPARK_WIDTH),
    })
}

/// A workload's last recorded value of `m` at or before scan `i`.
fn wl_at(w: &WorkloadHistory, m: WorkloadMetric, i: u32) -> Option<u64> {
    w.series(m).and_then(|s| s.at(i)).flatten()
}

fn memory_limit(w: &WorkloadHistory, i: u32) -> Option<u64> {
    wl_at(w, WorkloadMetric::MemoryLimit, i).filter(|&l| l < NO_LIMIT)
}

fn cgroup_ceiling(limit: u64, usage: Option<u64>) -> CgroupCeiling {
    CgroupCeiling {
        limit_file: std::path::PathBuf::new(),
        limit,
        usage_file: std::path::PathBuf::new(),
        usage,
    }
}

/// The limit a process's metric runs into at the end of the window, as
/// recorded: the soft RLIMIT_NOFILE, its workload's memory limit (else
/// MemTotal), its workload's pids.max (threads-max is not recorded).
fn process_limit(
    ctx: &Ctx,
    p: &ProcessHistory,
    m: Metric,
    value: f64,
    rate: f64,
) -> (Option<Exhaustion>, Option<NoLimit>) {
    let i = p.last;
    let wl = ctx.workload(p).filter(|w| !w.series.is_empty());
    let mut own = Sample::default();
    let mut c = Ceilings::default();
    let v = Some(value.max(0.0) as u64);
    match m {
        Metric::Fds => {
            own.fds = v;
            c.nofile = p.series(ProcMetric::FdLimit).at(i).flatten();
        }
        Metric::Rss => {
            own.rss = v;
            c.memory = wl.and_then(|w| {
                let usage = wl_at(w, WorkloadMetric::Memory, i);
                memory_limit(w, i).map(|l| cgroup_ceiling(l, usage))
            });
            c.mem_total = ctx.h.scans[i as usize]
                .host
                .mem_total_kb
                .map(|k| k.saturating_mul(1024));
        }
        Metric::Threads => {
            own.threads = v;
            c.pids = wl.and_then(|w| {
                let usage = wl_at(w, WorkloadMetric::Pids, i);
                wl_at(w, WorkloadMetric::PidsMax, i).map(|l| cgroup_ceiling(l, usage))
            });
        }
        _ => {}
    }
    finish_limit(m, &own, &c, rate)
}

fn finish_limit(
    m: Metric,
    own: &Sample,
    c: &Ceilings,
    rate: f64,
) -> (Option<Exhaustion>, Option<NoLimit>) {
    match ceiling::exhaustion(m, own, c, rate) {
        Some(mut e) => {
            // The cgroup is the workload's (named by the report), not a
            // file read here.
            e.file = None;
            (Some(e), None)
        }
        None if m == Metric::Threads => (None, Some(NoLimit::ThreadsMaxNotRecorded)),
        None => (None, Some(NoLimit::NotRecorded)),
    }
}

/// The scans a workload was alive in the window: those of its processes
/// in the history (a workload none of whose processes is selected is
/// not judged).
fn workload_span(ctx: &Ctx, wi: usize) -> Option<(u32, u32)> {
    ctx.h
        .processes
        .iter()
        .filter(|p| p.workload == Some(wi))
        .fold(None, |acc, p| match acc {
            None => Some((p.first, p.last)),
            Some((a, b)) => Some((a.min(p.first), b.max(p.last))),
        })
}

fn judge_workloads(ctx: &Ctx) -> Vec<Leak> {
    let mut out = Vec::new();
    for (wi, w) in ctx.h.workloads.iter().enumerate() {
        if w.series.is_empty() {
            continue;
        }
        let Some((first, last)) = workload_span(ctx, wi) else {
            continue;
        };
        for (metric, wm) in [
            (Metric::WorkingSet, WorkloadMetric::WorkingSet),
            (Metric::Tasks, WorkloadMetric::Pids),
        ] {
            let Some(s) = w.series(wm) else { continue };
            let vals = expand(s, first, last, 1.0);
            let pts: Vec<(f64, f64)> = vals
                .iter()
                .filter_map(|&(i, v)| v.map(|v| (ctx.t[i as usize], v)))
                .collect();
            if pts.len() < MIN_SAMPLES {
                continue;
            }
            let verdict = running_verdict(&pts, &metric.spec());
            let Some(mut l) = leak_of(ctx, Subject::Workload(wl_id(w)), metric, verdict, &vals)
            else {
                continue;
            };
            let mut own = Sample::default();
            let mut c = Ceilings::default();
            let v = Some(l.end.max(0.0) as u64);
            if metric == Metric::WorkingSet {
                own.working_set = v;
                c.memory = memory_limit(w, last).map(|lim| cgroup_ceiling(lim, v));
            } else {
                own.tasks = v;
                c.pids = wl_at(w, WorkloadMetric::PidsMax, last).map(|lim| cgroup_ceiling(lim, v));
            }
            (l.exhaustion, l.no_limit) = finish_limit(metric, &own, &c, l.eta_rate());
            if l.exhaustion.is_none() {
                l.no_limit = Some(NoLimit::NotRecorded);
            }
            out.push(l);
        }
    }
    out
}

/// The recorded process an OOM kill's victim was: same PID and boot,
/// alive at the kill (its last sighting before it, within a few
/// intervals), the closest.
fn victim_of<'a>(ctx: &Ctx<'a>, e: &OomEvent) -> Option<&'a ProcessHistory> {
    let pid = e.pid?;
    ctx.h
        .processes
        .iter()
        .filter(|p| p.pid == pid)
        .filter(|p| {
            ctx.run_of(p.first)
                .is_none_or(|r| r.info.boot_id == e.boot_id)
        })
        .filter(|p| {
            let slack = i64::try_from(ctx.interval_ms(p.last))
                .unwrap_or(0)
                .saturating_mul(GAP_INTERVALS);
            ctx.ms(p.first) <= e.t_ms && e.t_ms <= ctx.ms(p.last).saturating_add(slack)
        })
        .min_by_key(|p| (e.t_ms - ctx.ms(p.last)).abs())
}

fn oom_kill(ctx: &Ctx, e: &OomEvent) -> OomKill {
    let victim = victim_of(ctx, e);
    let v = victim.map(|p| {
        let i = p.last;
        let at = |m: ProcMetric| p.series(m).at(i).flatten();
        let t_end = ctx.t[i as usize];
        let from = (p.first..=p.last)
            .find(|&k| ctx.t[k as usize] >= t_end - OOM_TREND_S)
            .unwrap_or(p.first);
        let vals = expand(p.series(ProcMetric::Rss), from, p.last, 1024.0);
        let pts: Vec<(f64, f64)> = vals
            .iter()
            .filter_map(|&(k, v)| v.map(|v| (ctx.t[k as usize], v)))
            .collect();
        let raw: Vec<Option<f64>> = vals.iter().map(|v| v.1).collect();
        Victim {
            proc: ctx.id(p),
            rss_bytes: at(ProcMetric::Rss).map(|k| k.saturating_mul(1024)),
            fds: at(ProcMetric::Fds),
            fd_limit: at(ProcMetric::FdLimit),
            threads: at(ProcMetric::Threads),
            rss_rate: slope(&pts),
            trend_s: pts.last().map_or(0.0, |l| l.0 - pts[0].0),
            trend: buckets(&raw, SPARK_WIDTH),
        }
    });
    let workload = victim
        .and_then(|p| p.workload)
        .or_else(|| workload_of_memcg(ctx.h, &e.task_memcg))
        .and_then(|wi| {
            let w = ctx.h.workloads.get(wi).filter(|w| !w.series.is_empty())?;
            let i = scan_at_or_before(ctx, e.t_ms);
            let ws = wl_at(w, WorkloadMetric::WorkingSet, i);
            let limit = memory_limit(w, i);
            Some(WorkloadAtKill {
                workload: wl_id(w),
                working_set: ws,
                usage: wl_at(w, WorkloadMetric::Memory, i),
                limit,
                percent: ws.zip(limit).and_then(|(u, l)| ceiling::percent_of(u, l)),
            })
        });
    OomKill {
        event: e.clone(),
        victim: v,
        workload,
    }
}

/// The workload whose cgroup is the kill's task cgroup (or holds it).
fn workload_of_memcg(h: &History, memcg: &[u8]) -> Option<usize> {
    if memcg.is_empty() {
        return None;
    }
    h.workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| !w.key.cgroup.is_empty() && memcg.starts_with(w.key.cgroup.as_bytes()))
        .max_by_key(|(_, w)| w.key.cgroup.len())
        .map(|(i, _)| i)
}

fn scan_at_or_before(ctx: &Ctx, t_ms: i64) -> u32 {
    let n = ctx.h.scans.partition_point(|s| s.t_ms <= t_ms);
    n.saturating_sub(1) as u32
}

/// Theil-Sen slope of at most 240 evenly taken points (None: fewer than
/// 2, or no time between them).
fn slope(pts: &[(f64, f64)]) -> Option<f64> {
    if pts.len() < 2 || pts[pts.len() - 1].0 <= pts[0].0 {
        return None;
    }
    let step = pts.len().div_ceil(240);
    let (t, y): (Vec<f64>, Vec<f64>) = pts.iter().step_by(step).copied().unzip();
    let s = super::leak::stats::theil_sen(&t, &y);
    s.is_finite().then_some(s)
}

/// What a process used of a counter in the window: the increase since
/// its first sighting, or its whole value when it started in the window.
fn used(ctx: &Ctx, p: &ProcessHistory, m: ProcMetric) -> Option<u64> {
    let s = p.series(m);
    let last = s.at(p.last).flatten()?;
    if ctx.started(p) {
        return Some(last);
    }
    let first = (p.first..=p.last).find_map(|i| s.at(i).flatten())?;
    Some(last.saturating_sub(first))
}

fn peak(p: &ProcessHistory, m: ProcMetric) -> Option<(u32, u64)> {
    (p.first..=p.last)
        .filter_map(|i| p.series(m).at(i).flatten().map(|v| (i, v)))
        .max_by_key(|&(i, v)| (v, std::cmp::Reverse(i)))
}

fn amount(ctx: &Ctx, p: &ProcessHistory, res: Resource) -> Option<(f64, Amount)> {
    match res {
        Resource::Cpu => {
            let ticks = ctx
                .run_of(p.first)
                .map_or(100, |r| r.info.clock_ticks)
                .max(1);
            let seconds = used(ctx, p, ProcMetric::Cpu)? as f64 / ticks as f64;
            let cores = seconds / ctx.window_s.max(1e-3);
            Some((seconds, Amount::Cpu { seconds, cores }))
        }
        Resource::Rss | Resource::Fds | Resource::Threads => {
            let m = match res {
                Resource::Rss => ProcMetric::Rss,
                Resource::Fds => ProcMetric::Fds,
                _ => ProcMetric::Threads,
            };
            let (i, v) = peak(p, m)?;
            let value = if m == ProcMetric::Rss {
                v.saturating_mul(1024)
            } else {
                v
            };
            let limit = (m == ProcMetric::Fds)
                .then(|| p.series(ProcMetric::FdLimit).at(i).flatten())
                .flatten();
            let percent = limit.and_then(|l| ceiling::percent_of(value, l));
            Some((
                value as f64,
                Amount::Peak {
                    value,
                    limit,
                    percent,
                },
            ))
        }
        Resource::Io => {
            let read = used(ctx, p, ProcMetric::ReadBytes);
            let written = used(ctx, p, ProcMetric::WriteBytes);
            if read.is_none() && written.is_none() {
                return None;
            }
            // Ranked by what is known; what is not stays unknown.
            let total = read.unwrap_or(0).saturating_add(written.unwrap_or(0));
            Some((total as f64, Amount::Io { read, written }))
        }
        Resource::Switches => {
            let span = ctx.t[p.last as usize] - ctx.t[p.first as usize];
            if span <= 0.0 {
                return None;
            }
            let s = p.series(ProcMetric::Switches);
            let first = (p.first..=p.last).find_map(|i| s.at(i).flatten())?;
            let last = s.at(p.last).flatten()?;
            let per_s = last.saturating_sub(first) as f64 / span;
            Some((per_s, Amount::Rate { per_s }))
        }
    }
}

fn trend_of(p: &ProcessHistory, res: Resource) -> Vec<Option<f64>> {
    let gauge = |m: ProcMetric, scale: f64| {
        let v: Vec<Option<f64>> = expand(p.series(m), p.first, p.last, scale)
            .into_iter()
            .map(|x| x.1)
            .collect();
        buckets(&v, SPARK_WIDTH)
    };
    let counter = |ms: &[ProcMetric]| {
        let v: Vec<Option<f64>> = (p.first..=p.last)
            .map(|i| {
                ms.iter()
                    .map(|&m| p.series(m).at(i).flatten())
                    .try_fold(0u64, |acc, x| x.map(|x| acc.saturating_add(x)))
                    .map(|x| x as f64)
            })
            .collect();
        increments(&v, SPARK_WIDTH)
    };
    match res {
        Resource::Cpu => counter(&[ProcMetric::Cpu]),
        Resource::Rss => gauge(ProcMetric::Rss, 1024.0),
        Resource::Fds => gauge(ProcMetric::Fds, 1.0),
        Resource::Threads => gauge(ProcMetric::Threads, 1.0),
        Resource::Io => counter(&[ProcMetric::ReadBytes, ProcMetric::WriteBytes]),
        Resource::Switches => counter(&[ProcMetric::Switches]),
    }
}

fn top(ctx: &Ctx, res: Resource) -> Top {
    let mut ranked: Vec<(f64, &ProcessHistory, Amount)> = ctx
        .h
        .processes
        .iter()
        .filter_map(|p| amount(ctx, p, res).map(|(k, a)| (k, p, a)))
        .filter(|(k, _, _)| *k > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.pid.cmp(&b.1.pid)));
    ranked.truncate(TOP_N);
    Top {
        resource: res,
        consumers: ranked
            .into_iter()
            .map(|(_, p, amount)| Consumer {
                proc: ctx.id(p),
                amount,
                trend: trend_of(p, res),
            })
            .collect(),
    }
}

fn group_of(map: &mut BTreeMap<(Vec<u8>, Option<String>), Group>, id: &ProcId) {
    let g = map
        .entry((id.comm.clone(), id.workload.clone()))
        .or_insert_with(|| Group {
            comm: id.comm.clone(),
            workload: id.workload.clone(),
            count: 0,
            pids: Vec::new(),
        });
    g.count += 1;
    g.pids.push(id.pid);
    if g.pids.len() > 5 {
        g.pids.remove(0);
    }
}

fn sorted_groups(map: BTreeMap<(Vec<u8>, Option<String>), Group>) -> Vec<Group> {
    let mut v: Vec<Group> = map.into_values().collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.comm.cmp(&b.comm)));
    v.truncate(MAX_LISTED);
    v
}

fn life_s(id: &ProcId) -> f64 {
    (id.last_ms - id.first_ms) as f64 / 1000.0
}

fn churn(ctx: &Ctx, scan_times: &[i64]) -> Churn {
    let mut c = Churn::default();
    let mut short = BTreeMap::new();
    let mut restarts = BTreeMap::new();
    // Exit times per (comm, workload), to tell a restart.
    let mut exits: BTreeMap<(Vec<u8>, Option<String>), Vec<i64>> = BTreeMap::new();
    let ids: Vec<ProcId> = ctx.h.processes.iter().map(|p| ctx.id(p)).collect();
    // A restart follows the exit of one seen living at least
    // SHORT_LIVED_S (a service that died and came back, not a shell's
    // next command).
    for id in ids
        .iter()
        .filter(|id| id.exited && life_s(id) >= SHORT_LIVED_S)
    {
        exits
            .entry((id.comm.clone(), id.workload.clone()))
            .or_default()
            .push(id.last_ms);
    }
    let mut long_exits = Vec::new();
    for id in &ids {
        c.started += usize::from(id.started);
        c.exited += usize::from(id.exited);
        if id.started && id.exited && life_s(id) < SHORT_LIVED_S {
            c.short_lived += 1;
            group_of(&mut short, id);
        } else if id.exited {
            long_exits.push(id.clone());
        }
        let key = (id.comm.clone(), id.workload.clone());
        let restarted = id.started
            && exits
                .get(&key)
                .is_some_and(|t| t.iter().any(|&t| t <= id.first_ms));
        if restarted {
            group_of(&mut restarts, id);
        }
    }
    c.short_groups = sorted_groups(short);
    c.restarts = sorted_groups(restarts);
    long_exits.sort_by_key(|id| std::cmp::Reverse(id.last_ms));
    c.exits_more = long_exits.len().saturating_sub(MAX_LISTED);
    long_exits.truncate(MAX_LISTED);
    c.exits = long_exits;
    c.gaps = gaps(ctx, scan_times);
    c
}

/// Gaps between scans longer than [`GAP_INTERVALS`] intervals of the run
/// in effect (the recorder was down, or stalled).
fn gaps(ctx: &Ctx, scan_times: &[i64]) -> Vec<Gap> {
    let loaded: Vec<i64>;
    let times = if scan_times.is_empty() {
        loaded = ctx.h.scans.iter().map(|s| s.t_ms).collect();
        &loaded[..]
    } else {
        scan_times
    };
    let mut runs: Vec<(i64, u64)> = ctx
        .h
        .runs
        .iter()
        .map(|r| (r.info.started_ms, r.info.interval_ms))
        .collect();
    runs.sort_unstable();
    let interval_at = |t: i64| {
        let n = runs.partition_point(|r| r.0 <= t);
        runs.get(n.saturating_sub(1)).map_or(0, |r| r.1)
    };
    times
        .windows(2)
        .filter_map(|w| {
            let interval_ms = interval_at(w[1]);
            let limit = i64::try_from(interval_ms)
                .unwrap_or(i64::MAX)
                .saturating_mul(GAP_INTERVALS);
            (interval_ms > 0 && w[1] - w[0] > limit).then_some(Gap {
                from_ms: w[0],
                to_ms: w[1],
                interval_ms,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Run, RunInfo, ScanInfo, WorkloadKey};

    const T0: i64 = 1_764_903_600_000;

    /// A history of `n` scans every `interval_ms`, one run.
    fn history(n: usize, interval_ms: u64) -> History {
        History {
            runs: vec![Run {
                id: 1,
                info: RunInfo {
                    started_ms: T0,
                    host: "h".into(),
                    boot_id: "b".into(),
                    kernel: "6.18".into(),
                    interval_ms,
                    clock_ticks: 100,
                    ..RunInfo::default()
                },
            }],
            scans: (0..n)
                .map(|i| ScanInfo {
                    id: i as i64 + 1,
                    run: 1,
                    t_ms: T0 + i as i64 * interval_ms as i64,
                    ..ScanInfo::default()
                })
                .collect(),
            ..History::default()
        }
    }

    /// A process seen at scans `first..=last`, each metric from `f(i)`.
    fn process(
        pid: i32,
        comm: &str,
        first: u32,
        last: u32,
        f: impl Fn(ProcMetric, u32) -> Option<u64>,
    ) -> ProcessHistory {
        let mut p = ProcessHistory {
            id: i64::from(pid),
            pid,
            comm: comm.as_bytes().to_vec(),
            first,
            last,
            series: vec![Series::default(); ProcMetric::ALL.len()],
            ..ProcessHistory::default()
        };
        for (c, &m) in ProcMetric::ALL.iter().enumerate() {
            for i in first..=last {
                p.series[c].push(i, f(m, i));
            }
        }
        p
    }

    fn steady(m: ProcMetric, _i: u32) -> Option<u64> {
        match m {
            ProcMetric::Fds => Some(20),
            ProcMetric::FdLimit => Some(1024),
            ProcMetric::Rss => Some(50_000),
            ProcMetric::Threads => Some(4),
            _ => Some(0),
        }
    }

    #[test]
    fn a_leak_is_found_with_its_rate_and_time_to_the_limit_and_a_steady_one_is_not() {
        // 120 scans at 250 ms; PID 10 gains 2 descriptors a second.
        let mut h = history(120, 250);
        h.processes
            .push(process(10, "leaky", 0, 119, |m, i| match m {
                ProcMetric::Fds => Some(100 + u64::from(i) / 2),
                other => steady(other, i),
            }));
        h.processes.push(process(11, "calm", 0, 119, steady));
        let r = judge(&h, Asked::default(), &[]);
        assert!(r.leak_found());
        assert_eq!(r.leaks.len(), 1, "{:?}", r.leaks);
        let l = &r.leaks[0];
        assert_eq!(l.metric, Metric::Fds);
        assert!(matches!(&l.subject, Subject::Process(p) if p.pid == 10));
        assert!((l.rate() - 2.0).abs() < 0.2, "{}", l.rate());
        assert_eq!((l.start, l.end), (100.0, 159.0));
        let e = l.exhaustion.as_ref().expect("a limit");
        assert_eq!(e.limit, 1024);
        assert_eq!(e.headroom, Some(1024 - 159));
        let eta = e.eta_s.unwrap();
        assert!((eta - 865.0 / l.rate()).abs() < 1.0, "{eta}");
        assert!(!r.incomplete());
    }

    #[test]
    fn a_leak_that_reversed_says_so_and_a_short_rise_is_only_rising() {
        // Up 2 a second for 15 s, then released steadily over 15 s.
        let mut h = history(120, 250);
        h.processes
            .push(process(20, "pool", 0, 119, |m, i| match m {
                ProcMetric::Fds if i < 60 => Some(100 + u64::from(i) / 2),
                ProcMetric::Fds => Some((130 - (i64::from(i) - 60) / 2).max(100) as u64),
                other => steady(other, i),
            }));
        // Rising 4 a second for 2.25 s only (then gone): too short for a leak.
        h.processes.push(process(21, "young", 0, 9, |m, i| match m {
            ProcMetric::Threads => Some(4 + u64::from(i)),
            other => steady(other, i),
        }));
        let r = judge(&h, Asked::default(), &[]);
        assert!(!r.leak_found(), "{:?}", r.leaks);
        assert_eq!(r.leaks.len(), 1);
        assert!(r.leaks[0].reversed(), "{:?}", r.leaks[0].verdict);
        assert_eq!(r.rising.len(), 1, "{:?}", r.rising);
        assert!(matches!(&r.rising[0].subject, Subject::Process(p) if p.pid == 21));
        // Threads: host threads-max is not recorded.
        assert_eq!(r.rising[0].no_limit, Some(NoLimit::ThreadsMaxNotRecorded));
    }

    #[test]
    fn an_unreadable_series_is_not_judged_and_makes_the_report_incomplete() {
        let mut h = history(40, 1000);
        h.processes
            .push(process(30, "secret", 0, 39, |m, i| match m {
                ProcMetric::Fds => None,
                other => steady(other, i),
            }));
        h.processes.push(process(31, "brief", 10, 12, steady));
        let r = judge(&h, Asked::default(), &[]);
        assert_eq!(r.not_judged.unreadable, vec![(Metric::Fds, 1)]);
        assert_eq!(r.not_judged.too_short, 3);
        assert!(r.incomplete() && !r.leak_found());
    }

    #[test]
    fn an_oom_kill_finds_its_victim_with_its_trend_and_workload() {
        let mut h = history(60, 1000);
        let mut wl = WorkloadHistory {
            id: 1,
            key: WorkloadKey {
                name: "web".into(),
                kind: "systemd_unit".into(),
                cgroup: "/system.slice/web.service".into(),
                ..WorkloadKey::default()
            },
            series: vec![Series::default(); WorkloadMetric::ALL.len()],
        };
        for i in 0..60u32 {
            let ws = (100 + u64::from(i)) << 20;
            wl.series[WorkloadMetric::WorkingSet as usize].push(i, Some(ws));
            wl.series[WorkloadMetric::Memory as usize].push(i, Some(ws));
            wl.series[WorkloadMetric::MemoryLimit as usize].push(i, Some(200 << 20));
        }
        h.workloads.push(wl);
        // PID 42 grows 1 MiB a second and is killed 0.5 s after its last scan;
        // PID 42 of another boot does not match.
        let mut victim = process(42, "eater", 0, 50, |m, i| match m {
            ProcMetric::Rss => Some((100 + u64::from(i)) * 1024),
            other => steady(other, i),
        });
        victim.workload = Some(0);
        victim.exited = true;
        h.processes.push(victim);
        h.ooms.push(OomEvent {
            t_ms: T0 + 50_500,
            boot_id: "b".into(),
            pid: Some(42),
            comm: b"eater".to_vec(),
            constraint: "memcg".into(),
            ..OomEvent::default()
        });
        h.ooms.push(OomEvent {
            t_ms: T0 - 3_600_000,
            pid: Some(42),
            ..OomEvent::default()
        });
        let r = judge(&h, Asked::default(), &[]);
        assert_eq!(r.ooms.len(), 1);
        assert_eq!(r.ooms_before, 1);
        let k = &r.ooms[0];
        let v = k.victim.as_ref().expect("victim");
        assert_eq!(v.rss_bytes, Some(150 << 20));
        assert_eq!(v.fds, Some(20));
        let rate = v.rss_rate.unwrap();
        assert!((rate - f64::from(1 << 20)).abs() < 1.0, "{rate}");
        let w = k.workload.as_ref().expect("workload");
        assert_eq!(w.working_set, Some(150 << 20));
        assert_eq!(w.limit, Some(200 << 20));
        assert_eq!(w.percent, Some(75.0));
    }

    #[test]
    fn came_and_went_counts_short_lives_restarts_and_gaps() {
        let mut h = history(200, 1000);
        // The recorder was down between scans 99 and 100 (2 minutes).
        for s in &mut h.scans[100..] {
            s.t_ms += 120_000;
        }
        // A service that ran from the start, exited at scan 80 and came back.
        let mut old = process(50, "svc", 0, 80, steady);
        old.exited = true;
        h.processes.push(old);
        h.processes.push(process(51, "svc", 85, 199, steady));
        // Three short jobs.
        for (k, pid) in [60, 61, 62].into_iter().enumerate() {
            let first = 10 + 20 * k as u32;
            let mut p = process(pid, "job", first, first + 5, steady);
            p.exited = true;
            h.processes.push(p);
        }
        let times: Vec<i64> = h.scans.iter().map(|s| s.t_ms).collect();
        let r = judge(&h, Asked::default(), &times);
        let c = &r.churn;
        assert_eq!((c.started, c.exited, c.short_lived), (4, 4, 3));
        assert_eq!(c.short_groups.len(), 1);
        assert_eq!(
            (c.short_groups[0].comm.as_slice(), c.short_groups[0].count),
            (&b"job"[..], 3)
        );
        assert_eq!(c.restarts.len(), 1);
        assert_eq!(c.restarts[0].pids, vec![51]);
        assert_eq!(c.exits.len(), 1);
        assert_eq!(c.gaps.len(), 1);
        assert_eq!(c.gaps[0].to_ms - c.gaps[0].from_ms, 121_000);
    }

    #[test]
    fn top_consumers_use_what_was_used_in_the_window() {
        let mut h = history(101, 1000);
        // Seen before the window: 50 s of CPU before, 10 s in the window.
        let mut busy = process(70, "busy", 0, 100, |m, i| match m {
            ProcMetric::Cpu => Some(5000 + 10 * u64::from(i)),
            ProcMetric::ReadBytes => Some(1 << 30),
            ProcMetric::WriteBytes => Some((1 << 20) * u64::from(i)),
            ProcMetric::Fds => Some(900 + u64::from(i % 3)),
            other => steady(other, i),
        });
        busy.seen_before = true;
        h.processes.push(busy);
        let r = judge(&h, Asked::default(), &[]);
        let cpu = r.top.iter().find(|t| t.resource == Resource::Cpu).unwrap();
        match &cpu.consumers[0].amount {
            Amount::Cpu { seconds, cores } => {
                assert!((seconds - 10.0).abs() < 1e-9 && (cores - 0.1).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        let io = r.top.iter().find(|t| t.resource == Resource::Io).unwrap();
        assert_eq!(
            io.consumers[0].amount,
            Amount::Io {
                read: Some(0),
                written: Some(100 << 20)
            }
        );
        let fds = r.top.iter().find(|t| t.resource == Resource::Fds).unwrap();
        match &fds.consumers[0].amount {
            Amount::Peak { value, limit, .. } => assert_eq!((*value, *limit), (902, Some(1024))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unreadable_counter_is_unknown_never_zero() {
        let mut h = history(20, 1000);
        let mut p = process(80, "hidden", 0, 19, |m, i| match m {
            ProcMetric::ReadBytes | ProcMetric::Cpu => None,
            ProcMetric::WriteBytes => Some(1000 * u64::from(i)),
            other => steady(other, i),
        });
        p.seen_before = true;
        h.processes.push(p);
        let r = judge(&h, Asked::default(), &[]);
        let io = r.top.iter().find(|t| t.resource == Resource::Io).unwrap();
        assert_eq!(
            io.consumers[0].amount,
            Amount::Io {
                read: None,
                written: Some(19_000)
            }
        );
        // No CPU reading: not ranked at all (never as 0 s).
        let cpu = r.top.iter().find(|t| t.resource == Resource::Cpu).unwrap();
        assert!(cpu.consumers.is_empty());
    }

    #[test]
    fn a_life_out_of_the_scans_is_left_out_not_a_panic() {
        let mut h = history(10, 1000);
        h.processes.push(process(90, "ok", 0, 9, steady));
        let mut bad = process(91, "backwards", 0, 9, steady);
        (bad.first, bad.last) = (8, 3);
        h.processes.push(bad);
        let mut past = process(92, "past", 0, 9, steady);
        past.last = 40;
        h.processes.push(past);
        let mut short = process(93, "short", 0, 9, steady);
        short.series.truncate(2);
        h.processes.push(short);
        let r = judge(&h, Asked::default(), &[]);
        assert_eq!(r.header.processes, 4);
        let fds = r.top.iter().find(|t| t.resource == Resource::Fds).unwrap();
        let pids: Vec<i32> = fds.consumers.iter().map(|c| c.proc.pid).collect();
        assert_eq!(pids, [90]);
    }

    #[test]
    fn buckets_keep_the_last_reading_and_increments_average() {
        let v: Vec<Option<f64>> = (0..8).map(|i| Some(f64::from(i))).collect();
        assert_eq!(
            buckets(&v, 4),
            vec![Some(1.0), Some(3.0), Some(5.0), Some(7.0)]
        );
        assert_eq!(
            buckets(&[None, None, Some(1.0), None], 2),
            vec![None, Some(1.0)]
        );
        assert_eq!(
            increments(&v, 4),
            vec![Some(1.0), Some(1.0), Some(1.0), Some(1.0)]
        );
    }
}
