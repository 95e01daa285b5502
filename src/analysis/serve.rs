//! `proctor serve`'s model, pure: the processes of each scan gathered into
//! groups (workloads), each group's counters kept monotonic across exits
//! and restarts, one bounded leak window per group and resource, the
//! verdicts with their time to exhaustion, the per-process series (top K
//! by limit closeness plus every leaking process, capped), and the
//! vanished groups forgotten after a grace period. No I/O and no clock:
//! the agent (`cmd::serve`) reads and classifies, `render::metrics` names.

use std::collections::{BTreeMap, HashMap};

use crate::analysis::ceiling::{self, Kind as LimitKind};
use crate::analysis::leak::{MIN_SAMPLES, Metric, Running, Spec, Verdict, Window};
use crate::reader::{Ceilings, CgroupCeiling, Sample, ScanRow};

/// The labels of a group's series; empty where they do not apply. Valid
/// UTF-8 (lossy from the kernel's bytes), escaped by the encoder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub unit: String,
    pub group: String,
}

/// What a group is: its labels and the `proctor_workload_info` extras.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub labels: Labels,
    pub pod_uid: String,
    pub container_id: String,
    pub qos: String,
    /// The group is one cgroup (a container, a systemd unit): its memory,
    /// pids and cpu counters are the cgroup's own.
    pub is_cgroup: bool,
}

/// A cgroup group's own numbers, as read this scan (None: unreadable or
/// not there).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CgroupFacts {
    pub working_set: Option<u64>,
    pub memory_usage: Option<u64>,
    pub memory_limit: Option<u64>,
    pub oom_kills: Option<u64>,
    pub throttled_ns: Option<u64>,
    pub pids_current: Option<u64>,
    pub pids_max: Option<u64>,
    /// The cgroup's own CPU time (every task that ever ran in it).
    pub cpu_user_ns: Option<u64>,
    pub cpu_system_ns: Option<u64>,
}

/// One group as one scan saw it.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    pub identity: Identity,
    pub cgroup: Option<CgroupFacts>,
    pub members: Vec<&'a ScanRow>,
}

/// The leak-watched resources of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Fds,
    Memory,
    Threads,
    /// Mappings: judged per exported process (not in [`RESOURCES`]), the
    /// group's verdict its worst process's (see [`Model::maps`]).
    Maps,
}

pub const RESOURCES: [Resource; 3] = [Resource::Fds, Resource::Memory, Resource::Threads];

impl Resource {
    /// The `resource` label value.
    pub fn id(self) -> &'static str {
        match self {
            Resource::Fds => "fds",
            Resource::Memory => "memory",
            Resource::Threads => "threads",
            Resource::Maps => "maps",
        }
    }
}

/// The ceiling named by `proctor_exhaustion_seconds{limit}`.
pub fn limit_id(k: LimitKind) -> &'static str {
    match k {
        LimitKind::NoFile => "nofile",
        LimitKind::MemoryCgroup => "memory_max",
        LimitKind::PidsMax => "pids_max",
        LimitKind::ThreadsMax => "threads_max",
        LimitKind::PidMax => "pid_max",
        LimitKind::MaxMapCount => "max_map_count",
        LimitKind::MemTotal => "mem_total",
    }
}

/// How the agent is bounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Samples kept per group series.
    pub window: usize,
    /// Samples kept per process (descriptors only).
    pub process_window: usize,
    /// Seconds a group with no process stays exported.
    pub grace_s: f64,
    /// Processes exported by limit closeness.
    pub top_k: usize,
    /// Leaking processes exported besides the top K, at most.
    pub max_leaking: usize,
    /// Groups kept at most; more are dropped (and counted).
    pub max_groups: usize,
    /// Processes whose descriptors are watched one by one, at most.
    pub max_tracked: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            window: 240,
            process_window: 60,
            grace_s: 300.0,
            top_k: 20,
            max_leaking: 50,
            max_groups: 2000,
            max_tracked: 4096,
        }
    }
}

/// A counter that never goes backwards: a source that resets (a cgroup
/// recreated, a container restarted under the same name) continues from
/// where it was.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Monotonic {
    base: f64,
    last_raw: Option<f64>,
    value: f64,
}

impl Monotonic {
    pub fn observe(&mut self, raw: f64) -> f64 {
        if !raw.is_finite() || raw < 0.0 {
            return self.value;
        }
        if let Some(last) = self.last_raw {
            if raw < last {
                self.base += last;
            }
        }
        self.last_raw = Some(raw);
        self.value = self.value.max(self.base + raw);
        self.value
    }

    pub fn value(&self) -> f64 {
        self.value
    }
}

/// A process's identity: pid and start time.
pub type ProcKey = (i32, u64);

#[derive(Debug, Clone)]
struct GroupState {
    identity: Identity,
    last_seen: f64,
    /// Live members' CPU ticks (user, system) at their last scan.
    members: HashMap<ProcKey, (u64, u64)>,
    /// What members that exited (or left) used: ticks.
    gone_user: u64,
    gone_system: u64,
    /// CPU seconds, from the cgroup's own counters (a cgroup group whose
    /// first reading had them) or the members' (plus the exited ones').
    cpu_user: Monotonic,
    cpu_system: Monotonic,
    cpu_from_cgroup: Option<bool>,
    oom: Monotonic,
    throttled: Monotonic,
    windows: BTreeMap<Resource, Series>,
    now: GroupNow,
}

/// A group's numbers at the latest scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupNow {
    pub processes: u64,
    pub rss: Option<u64>,
    pub working_set: Option<u64>,
    pub memory_limit: Option<u64>,
    pub open_fds: Option<u64>,
    pub fd_ratio_max: Option<f64>,
    /// The member closest to its descriptor limit: (fds, soft limit).
    pub worst_fds: Option<(u64, u64)>,
    pub threads: u64,
    pub tasks: Option<u64>,
    pub tasks_limit: Option<u64>,
    pub has_oom: bool,
    pub has_throttled: bool,
}

/// One resource's verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResourceVerdict {
    pub resource: Resource,
    /// Some(true) leaking, Some(false) healthy, None undecided.
    pub leak: Option<bool>,
    /// Per second, while judged.
    pub rate: Option<f64>,
    /// While leaking: the limit and the seconds to it.
    pub exhaustion: Option<(&'static str, f64)>,
}

/// A group as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupReport {
    pub identity: Identity,
    pub now: GroupNow,
    pub cpu_user_s: f64,
    pub cpu_system_s: f64,
    pub oom_kills: Option<f64>,
    pub throttled_s: Option<f64>,
    pub verdicts: Vec<ResourceVerdict>,
}

/// One process as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcReport {
    pub labels: Labels,
    pub pid: i32,
    pub comm: String,
    pub fds: Option<u64>,
    pub rss: u64,
    pub threads: u64,
    /// Its mappings (lines of /proc/PID/maps), paced: see [`Model::maps`].
    pub maps: Option<u64>,
    /// Ticks since boot; the renderer adds the boot time.
    pub start_ticks: u64,
    pub leaking: bool,
    /// How close to its tightest limit, 0..: the ranking key.
    pub closeness: f64,
}

/// What one scan exports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub groups: Vec<GroupReport>,
    pub processes: Vec<ProcReport>,
    /// Series not exported because of a cap, since start.
    pub series_dropped: u64,
    /// TCP sockets by state of the workloads that own their network
    /// namespace (see [`socket_owner`]).
    pub sockets: Vec<(Labels, SocketCounts)>,
}

/// A network namespace's TCP sockets by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketCounts {
    pub established: u64,
    pub close_wait: u64,
    pub listen: u64,
}

impl SocketCounts {
    pub fn add(&mut self, o: SocketCounts) {
        self.established = self.established.saturating_add(o.established);
        self.close_wait = self.close_wait.saturating_add(o.close_wait);
        self.listen = self.listen.saturating_add(o.listen);
    }
}

/// Whose are the sockets of a network namespace, given the groups with a
/// process in it: one group's alone; a pod's when every group in it is
/// of the same pod (its containers and sandbox share one namespace: the
/// labels of the pod's own group); nobody's when groups share it (the
/// host's namespace), whose sockets are not attributed.
pub fn socket_owner(groups: &[&Identity]) -> Option<Labels> {
    let first = groups.first()?;
    if groups.iter().all(|g| g.labels == first.labels) {
        return Some(first.labels.clone());
    }
    let uid = &first.pod_uid;
    if uid.is_empty() || groups.iter().any(|g| &g.pod_uid != uid) {
        return None;
    }
    let (namespace, pod) = (&first.labels.namespace, &first.labels.pod);
    let group = if pod.is_empty() {
        uid.clone()
    } else {
        format!("{namespace}/{pod}")
    };
    Some(Labels {
        namespace: namespace.clone(),
        pod: pod.clone(),
        group,
        ..Labels::default()
    })
}

#[derive(Debug, Clone)]
struct ProcState {
    series: Series,
    seen: u64,
}

/// A decided series is judged again after this many samples (an
/// undecided one at every sample): the detector over 240 samples costs
/// about a millisecond, and hundreds of series are kept; a verdict is at
/// most this many scans old.
pub const REJUDGE_EVERY: u32 = 4;

/// A window with its last judgement: (leaking, rate).
#[derive(Debug, Clone)]
struct Series {
    window: Window,
    /// The running verdict: a leak is reported once confirmed and stays
    /// until the trend reverses, as in `watch`.
    running: Running,
    judged: Option<(Option<bool>, Option<f64>)>,
    since: u32,
}

impl Series {
    fn new(cap: usize) -> Series {
        Series {
            window: Window::new(cap),
            running: Running::default(),
            judged: None,
            since: 0,
        }
    }

    fn push(&mut self, t: f64, y: f64, spec: &Spec) {
        self.window.push(t, y);
        self.since = self.since.saturating_add(1);
        let due = match self.judged {
            None | Some((None, _)) => true,
            Some(_) => self.since >= REJUDGE_EVERY,
        };
        if due {
            self.judged = Some(judge(&self.window, &mut self.running, spec));
            self.since = 0;
        }
    }

    fn judgement(&self) -> (Option<bool>, Option<f64>) {
        self.judged.unwrap_or((None, None))
    }
}

/// The detector's verdict as (leaking, rate); a flat window of enough
/// samples is healthy at rate 0 without running it (what it would say).
fn judge(w: &Window, running: &mut Running, spec: &Spec) -> (Option<bool>, Option<f64>) {
    let values = w.tail(w.len());
    if w.len() >= MIN_SAMPLES && values.windows(2).all(|p| p[0] == p[1]) {
        running.reset();
        return (Some(false), Some(0.0));
    }
    match running.update(w, spec, false) {
        Verdict::Leak { rate, .. } => (Some(true), Some(rate)),
        // Rising, not yet a leak: judged, and not (yet) leaking.
        Verdict::Healthy { rate, .. } | Verdict::Rising { rate, .. } => (Some(false), Some(rate)),
        // Undecided (and any verdict short of a judgement): absent.
        _ => (None, None),
    }
}

/// Host facts a scan's verdicts use.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Host {
    pub threads_max: Option<u64>,
    /// Tasks on the host (every process's threads).
    pub tasks: Option<u64>,
    pub clock_ticks: u64,
}

/// The agent's memory across scans.
#[derive(Debug, Clone)]
pub struct Model {
    bounds: Bounds,
    groups: BTreeMap<Labels, GroupState>,
    procs: HashMap<ProcKey, ProcState>,
    scans: u64,
    dropped: u64,
    /// The exported processes' mappings: the last count and its window.
    maps: HashMap<ProcKey, (u64, Series)>,
}

impl Model {
    pub fn new(bounds: Bounds) -> Model {
        Model {
            bounds,
            groups: BTreeMap::new(),
            procs: HashMap::new(),
            scans: 0,
            dropped: 0,
            maps: HashMap::new(),
        }
    }

    /// The mappings of the exported processes (`report.processes`), after
    /// [`Model::update`]: `fresh` holds the counts read this scan (the
    /// agent paces them by their cost: the other processes keep their last
    /// count). Each count goes to its process's own window (kept while the
    /// process is exported); each judged process's verdict goes to its
    /// group as `maps`: its worst process's (leaking before healthy, the
    /// soonest to vm.max_map_count first), since the limit is per process.
    pub fn maps(
        &mut self,
        t: f64,
        fresh: &[(ProcKey, u64)],
        max_map_count: Option<u64>,
        report: &mut Report,
    ) {
        let spec = Metric::Maps.spec();
        let cap = self.bounds.process_window;
        for &(key, n) in fresh {
            let m = self
                .maps
                .entry(key)
                .or_insert_with(|| (n, Series::new(cap)));
            m.0 = n;
            m.1.push(t, n as f64, &spec);
        }
        let exported: std::collections::HashSet<ProcKey> = report
            .processes
            .iter()
            .map(|p| (p.pid, p.start_ticks))
            .collect();
        self.maps.retain(|k, _| exported.contains(k));
        let mut worst: BTreeMap<Labels, ResourceVerdict> = BTreeMap::new();
        for p in &mut report.processes {
            let Some((n, series)) = self.maps.get(&(p.pid, p.start_ticks)) else {
                continue;
            };
            p.maps = Some(*n);
            let v = maps_verdict(*n, series.judgement(), max_map_count);
            if v.leak.is_none() {
                continue;
            }
            let e = worst.entry(p.labels.clone()).or_insert(v);
            if worse(&v, e) {
                *e = v;
            }
        }
        for g in &mut report.groups {
            if g.now.processes == 0 {
                continue;
            }
            if let Some(v) = worst.remove(&g.identity.labels) {
                g.verdicts.push(v);
            }
        }
    }

    /// Take one scan (`t`: seconds since the agent started) and say what
    /// to export.
    pub fn update(&mut self, t: f64, observed: &[Observed<'_>], host: Host) -> Report {
        self.scans += 1;
        let mut seen = std::collections::HashSet::with_capacity(observed.len());
        for o in observed {
            let key = &o.identity.labels;
            if !self.groups.contains_key(key) && self.groups.len() >= self.bounds.max_groups {
                self.dropped += 1;
                continue;
            }
            let g = self
                .groups
                .entry(key.clone())
                .or_insert_with(|| GroupState::new(o.identity.clone(), self.bounds.window));
            g.identity = o.identity.clone();
            g.observe(t, o, host);
            seen.insert(key.clone());
        }
        // Groups that had members and now have none: their members exited.
        for (k, g) in &mut self.groups {
            if !seen.contains(k) {
                g.observe(t, &Observed::empty(g.identity.clone()), host);
            }
        }
        let grace = self.bounds.grace_s;
        self.groups
            .retain(|_, g| g.now.processes > 0 || t - g.last_seen <= grace);
        let leaking = self.judge_processes(t, observed);
        let groups = self.groups.values().map(|g| g.report(host)).collect();
        let processes = self.pick_processes(observed, &leaking);
        Report {
            groups,
            processes,
            series_dropped: self.dropped,
            sockets: Vec::new(),
        }
    }

    /// Each process's descriptors pushed to its own window; the ones the
    /// detector calls leaking.
    fn judge_processes(&mut self, t: f64, observed: &[Observed<'_>]) -> Vec<ProcKey> {
        let scan = self.scans;
        let mut leaking = Vec::new();
        let spec = Metric::Fds.spec();
        for row in observed.iter().flat_map(|o| o.members.iter()) {
            let Ok(fds) = row.fds else { continue };
            let key = (row.pid, row.start_ticks);
            if !self.procs.contains_key(&key) && self.procs.len() >= self.bounds.max_tracked {
                continue;
            }
            let cap = self.bounds.process_window;
            let p = self.procs.entry(key).or_insert_with(|| ProcState {
                series: Series::new(cap),
                seen: scan,
            });
            p.seen = scan;
            p.series.push(t, fds as f64, &spec);
            if p.series.judgement().0 == Some(true) {
                leaking.push(key);
            }
        }
        self.procs.retain(|_, p| p.seen == scan);
        leaking
    }

    /// The top K processes by limit closeness, then the leaking ones not
    /// among them (at most `max_leaking`; the rest counted as dropped).
    fn pick_processes(
        &mut self,
        observed: &[Observed<'_>],
        leaking: &[ProcKey],
    ) -> Vec<ProcReport> {
        let mut all: Vec<ProcReport> = Vec::new();
        for o in observed {
            for row in &o.members {
                let leak = leaking.contains(&(row.pid, row.start_ticks));
                all.push(proc_report(o, row, leak));
            }
        }
        all.sort_by(|a, b| b.closeness.total_cmp(&a.closeness).then(a.pid.cmp(&b.pid)));
        let k = self.bounds.top_k.min(all.len());
        let mut rest = all.split_off(k);
        rest.retain(|p| p.leaking);
        let extra = rest.len().min(self.bounds.max_leaking);
        self.dropped += (rest.len() - extra) as u64;
        all.extend(rest.into_iter().take(extra));
        all
    }
}

/// One process's mappings verdict: leaking with its time to
/// vm.max_map_count (`analysis::ceiling`), healthy, or undecided.
fn maps_verdict(
    n: u64,
    (leak, rate): (Option<bool>, Option<f64>),
    max_map_count: Option<u64>,
) -> ResourceVerdict {
    let exhaustion = match (leak, rate) {
        (Some(true), Some(rate)) => {
            let own = Sample {
                maps: Some(n),
                ..Sample::default()
            };
            let c = Ceilings {
                max_map_count,
                ..Ceilings::default()
            };
            ceiling::exhaustion(Metric::Maps, &own, &c, rate)
                .and_then(|e| Some((limit_id(e.kind), e.eta_s?)))
        }
        _ => None,
    };
    ResourceVerdict {
        resource: Resource::Maps,
        leak,
        rate,
        exhaustion,
    }
}

/// Whether `a` is a worse maps verdict than `b`: leaking before healthy,
/// then the sooner exhaustion, then the faster growth.
fn worse(a: &ResourceVerdict, b: &ResourceVerdict) -> bool {
    let eta = |v: &ResourceVerdict| v.exhaustion.map_or(f64::INFINITY, |e| e.1);
    let rate = |v: &ResourceVerdict| v.rate.unwrap_or(f64::NEG_INFINITY);
    match (a.leak == Some(true), b.leak == Some(true)) {
        (true, false) => true,
        (false, true) => false,
        (true, true) if eta(a) != eta(b) => eta(a) < eta(b),
        _ => rate(a) > rate(b),
    }
}

fn proc_report(o: &Observed<'_>, row: &ScanRow, leaking: bool) -> ProcReport {
    let fd_ratio = match (row.fds, row.fd_soft_limit) {
        (Ok(f), Ok(Some(l))) if l > 0 => f as f64 / l as f64,
        _ => 0.0,
    };
    let facts = o.cgroup.unwrap_or_default();
    let mem_ratio = facts
        .memory_limit
        .filter(|&l| l > 0)
        .map_or(0.0, |l| row.rss_bytes as f64 / l as f64);
    let task_ratio = facts
        .pids_max
        .filter(|&l| l > 0)
        .map_or(0.0, |l| row.threads as f64 / l as f64);
    ProcReport {
        labels: o.identity.labels.clone(),
        pid: row.pid,
        comm: String::from_utf8_lossy(&row.name).into_owned(),
        fds: row.fds.ok(),
        rss: row.rss_bytes,
        threads: row.threads,
        maps: None,
        start_ticks: row.start_ticks,
        leaking,
        closeness: fd_ratio.max(mem_ratio).max(task_ratio),
    }
}

impl Observed<'_> {
    fn empty(identity: Identity) -> Observed<'static> {
        Observed {
            identity,
            cgroup: None,
            members: Vec::new(),
        }
    }
}

/// The sum of `f` over the members, None if any member's is unknown.
fn sum_known(members: &[&ScanRow], f: impl Fn(&ScanRow) -> Option<u64>) -> Option<u64> {
    members
        .iter()
        .try_fold(0u64, |acc, r| f(r).map(|v| acc.saturating_add(v)))
}

impl GroupState {
    fn new(identity: Identity, cap: usize) -> GroupState {
        GroupState {
            identity,
            last_seen: 0.0,
            members: HashMap::new(),
            gone_user: 0,
            gone_system: 0,
            cpu_user: Monotonic::default(),
            cpu_system: Monotonic::default(),
            cpu_from_cgroup: None,
            oom: Monotonic::default(),
            throttled: Monotonic::default(),
            windows: RESOURCES.iter().map(|&r| (r, Series::new(cap))).collect(),
            now: GroupNow::default(),
        }
    }

    fn observe(&mut self, t: f64, o: &Observed<'_>, host: Host) {
        self.account_cpu(o, host.clock_ticks.max(1) as f64);
        if !o.members.is_empty() {
            self.last_seen = t;
        }
        let m = &o.members;
        let facts = o.cgroup;
        let worst_fds = m
            .iter()
            .filter_map(|r| match (r.fds, r.fd_soft_limit) {
                (Ok(f), Ok(Some(l))) if l > 0 => Some((f, l)),
                _ => None,
            })
            .max_by(|a, b| (a.0 as f64 / a.1 as f64).total_cmp(&(b.0 as f64 / b.1 as f64)));
        // A zombie has no descriptors: not an unknown.
        let open_fds = sum_known(m, |r| match r.fds {
            Ok(f) => Some(f),
            Err(crate::reader::Missing::NotApplicable) => Some(0),
            Err(_) => None,
        });
        let threads = m.iter().map(|r| r.threads).fold(0u64, u64::saturating_add);
        let facts_or = facts.unwrap_or_default();
        self.now = GroupNow {
            processes: m.len() as u64,
            rss: Some(
                m.iter()
                    .map(|r| r.rss_bytes)
                    .fold(0u64, u64::saturating_add),
            ),
            working_set: facts_or.working_set,
            memory_limit: facts_or.memory_limit,
            open_fds,
            fd_ratio_max: worst_fds.map(|(f, l)| f as f64 / l as f64),
            worst_fds,
            threads,
            tasks: facts_or.pids_current,
            tasks_limit: facts_or.pids_max,
            has_oom: facts_or.oom_kills.is_some(),
            has_throttled: facts_or.throttled_ns.is_some(),
        };
        if let Some(k) = facts_or.oom_kills {
            self.oom.observe(k as f64);
        }
        if let Some(ns) = facts_or.throttled_ns {
            self.throttled.observe(ns as f64 / 1e9);
        }
        if m.is_empty() {
            return;
        }
        // The windows: a series of a group with no member is not pushed.
        let memory = if self.identity.is_cgroup {
            self.now.working_set
        } else {
            self.now.rss
        };
        let tasks = self.now.tasks.unwrap_or(threads);
        for (r, v) in [
            (Resource::Fds, self.now.open_fds),
            (Resource::Memory, memory),
            (Resource::Threads, Some(tasks)),
        ] {
            let spec = self.metric(r).spec();
            if let (Some(v), Some(w)) = (v, self.windows.get_mut(&r)) {
                w.push(t, v as f64, &spec);
            }
        }
    }

    /// The CPU counters: the cgroup's own (one source for the group's
    /// life, chosen at its first reading: two sources would not add up);
    /// else the members' ticks, with what members that left used kept.
    fn account_cpu(&mut self, o: &Observed<'_>, ticks_per_s: f64) {
        let cg = o.cgroup.and_then(|f| f.cpu_user_ns.zip(f.cpu_system_ns));
        if self.cpu_from_cgroup.is_none() && !o.members.is_empty() {
            self.cpu_from_cgroup = Some(self.identity.is_cgroup && cg.is_some());
        }
        if self.cpu_from_cgroup == Some(true) {
            // Unreadable this scan: the counters keep their value.
            if let Some((u, s)) = cg {
                self.cpu_user.observe(u as f64 / 1e9);
                self.cpu_system.observe(s as f64 / 1e9);
            }
            return;
        }
        let members = &o.members;
        let mut next = HashMap::with_capacity(members.len());
        for r in members {
            let user = r.cpu_ticks.saturating_sub(r.system_ticks);
            next.insert((r.pid, r.start_ticks), (user, r.system_ticks));
        }
        for (k, (u, s)) in &self.members {
            if !next.contains_key(k) {
                self.gone_user = self.gone_user.saturating_add(*u);
                self.gone_system = self.gone_system.saturating_add(*s);
            }
        }
        self.members = next;
        let (u, s) = self
            .members
            .values()
            .fold((self.gone_user, self.gone_system), |(a, b), (u, s)| {
                (a.saturating_add(*u), b.saturating_add(*s))
            });
        self.cpu_user.observe(u as f64 / ticks_per_s);
        self.cpu_system.observe(s as f64 / ticks_per_s);
    }

    fn report(&self, host: Host) -> GroupReport {
        let verdicts = RESOURCES
            .iter()
            .filter_map(|&r| self.windows.get(&r).map(|w| self.verdict(r, w, host)))
            .collect();
        GroupReport {
            identity: self.identity.clone(),
            now: self.now.clone(),
            cpu_user_s: self.cpu_user.value(),
            cpu_system_s: self.cpu_system.value(),
            oom_kills: self.now.has_oom.then(|| self.oom.value()),
            throttled_s: self.now.has_throttled.then(|| self.throttled.value()),
            verdicts,
        }
    }

    fn metric(&self, r: Resource) -> Metric {
        match r {
            Resource::Fds => Metric::Fds,
            Resource::Memory if self.identity.is_cgroup => Metric::WorkingSet,
            Resource::Memory => Metric::Rss,
            Resource::Threads => Metric::Threads,
            Resource::Maps => Metric::Maps,
        }
    }

    fn verdict(&self, r: Resource, w: &Series, host: Host) -> ResourceVerdict {
        let mut v = ResourceVerdict {
            resource: r,
            leak: None,
            rate: None,
            exhaustion: None,
        };
        // A group with no member now is not judged.
        if self.now.processes == 0 {
            return v;
        }
        let (leak, rate) = w.judgement();
        v.leak = leak;
        v.rate = rate;
        if let (Some(true), Some(rate)) = (leak, rate) {
            v.exhaustion = self.exhaustion(r, rate, host);
        }
        v
    }

    /// The limit a leaking resource runs into and the seconds to it, from
    /// `analysis::ceiling` (the one answer): descriptors against the
    /// soft limit of the member closest to it (at the group's whole rate:
    /// exact for one process, a bound for more), memory against the
    /// cgroup's limit, tasks against pids.max, else threads-max.
    fn exhaustion(&self, r: Resource, rate: f64, host: Host) -> Option<(&'static str, f64)> {
        let n = &self.now;
        let (metric, own, c) = match r {
            Resource::Fds => {
                let (fds, limit) = n.worst_fds?;
                let own = Sample {
                    fds: Some(fds),
                    ..Sample::default()
                };
                let c = Ceilings {
                    nofile: Some(limit),
                    ..Ceilings::default()
                };
                (Metric::Fds, own, c)
            }
            Resource::Memory => {
                let limit = n.memory_limit.filter(|_| self.identity.is_cgroup)?;
                let own = Sample {
                    working_set: n.working_set,
                    ..Sample::default()
                };
                let c = Ceilings {
                    memory: Some(ceiling_of(limit, n.working_set)),
                    ..Ceilings::default()
                };
                (Metric::WorkingSet, own, c)
            }
            Resource::Threads => match n.tasks_limit {
                Some(limit) => {
                    let own = Sample {
                        tasks: n.tasks,
                        ..Sample::default()
                    };
                    let c = Ceilings {
                        pids: Some(ceiling_of(limit, n.tasks)),
                        ..Ceilings::default()
                    };
                    (Metric::Tasks, own, c)
                }
                None => {
                    let own = Sample {
                        threads: Some(n.threads),
                        ..Sample::default()
                    };
                    let c = Ceilings {
                        threads_max: host.threads_max,
                        host_tasks: host.tasks,
                        ..Ceilings::default()
                    };
                    (Metric::Threads, own, c)
                }
            },
            // Judged per process ([`Model::maps`]), not per group.
            Resource::Maps => return None,
        };
        let e = ceiling::exhaustion(metric, &own, &c, rate)?;
        Some((limit_id(e.kind), e.eta_s?))
    }
}

fn ceiling_of(limit: u64, usage: Option<u64>) -> CgroupCeiling {
    CgroupCeiling {
        limit_file: std::path::PathBuf::new(),
        limit,
        usage_file: std::path::PathBuf::new(),
        usage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pid: i32, cpu: u64, sys: u64, fds: u64) -> ScanRow {
        ScanRow {
            pid,
            ppid: 1,
            name: format!("p{pid}").into_bytes(),
            state: b'S',
            kernel_thread: false,
            start_ticks: 1000 + pid as u64,
            cpu_ticks: cpu,
            system_ticks: sys,
            rss_bytes: 1 << 20,
            threads: 2,
            uid: Ok(0),
            switches: Ok(1),
            fds: Ok(fds),
            fd_soft_limit: Ok(Some(1024)),
            cmdline: Ok(b"x".to_vec()),
            cmdline_truncated: false,
            io: Err(crate::reader::Missing::NotApplicable),
            extra: crate::reader::RowExtra::default(),
        }
    }

    fn ident(group: &str, is_cgroup: bool) -> Identity {
        Identity {
            labels: Labels {
                group: group.into(),
                ..Labels::default()
            },
            is_cgroup,
            ..Identity::default()
        }
    }

    fn host() -> Host {
        Host {
            threads_max: Some(100_000),
            tasks: Some(500),
            clock_ticks: 100,
        }
    }

    fn obs<'a>(group: &str, members: Vec<&'a ScanRow>, cg: Option<CgroupFacts>) -> Observed<'a> {
        Observed {
            identity: ident(group, cg.is_some()),
            cgroup: cg,
            members,
        }
    }

    fn group<'r>(r: &'r Report, name: &str) -> Option<&'r GroupReport> {
        r.groups.iter().find(|g| g.identity.labels.group == name)
    }

    #[test]
    fn a_namespace_belongs_to_one_group_or_one_pod_else_nobody() {
        let pod = |ns: &str, pod: &str, c: &str, uid: &str| Identity {
            labels: Labels {
                namespace: ns.into(),
                pod: pod.into(),
                container: c.into(),
                group: format!("{ns}/{pod}/{c}"),
                ..Labels::default()
            },
            pod_uid: uid.into(),
            ..Identity::default()
        };
        let (a, b) = (
            pod("shop", "cart", "app", "u1"),
            pod("shop", "cart", "sidecar", "u1"),
        );
        assert_eq!(socket_owner(&[&a]), Some(a.labels.clone()));
        let owner = socket_owner(&[&a, &b]).unwrap();
        assert_eq!(
            (owner.group.as_str(), owner.container.as_str()),
            ("shop/cart", "")
        );
        let other = pod("shop", "search", "app", "u2");
        assert_eq!(socket_owner(&[&a, &other]), None);
        let (x, y) = (ident("nginx.service", true), ident("sshd.service", true));
        assert_eq!(socket_owner(&[&x, &y]), None);
        assert_eq!(socket_owner(&[]), None);
        // An unnamed pod: its UID.
        let u = pod("", "", "", "u3");
        let v = Identity {
            labels: Labels {
                group: "u3/abc".into(),
                ..Labels::default()
            },
            ..u.clone()
        };
        assert_eq!(socket_owner(&[&u, &v]).unwrap().group, "u3");
    }

    #[test]
    fn series_are_judged_every_few_samples_and_flat_ones_without_the_detector() {
        let spec = Metric::Fds.spec();
        let mut s = Series::new(240);
        for i in 0..MIN_SAMPLES {
            s.push(i as f64, 10.0, &spec);
        }
        assert_eq!(s.judgement(), (Some(false), Some(0.0)));
        // A leak starts: seen within REJUDGE_EVERY samples of being there.
        let mut seen_at = None;
        for i in 0..60 {
            let t = (MIN_SAMPLES + i) as f64;
            s.push(t, 10.0 + 5.0 * i as f64, &spec);
            if seen_at.is_none() && s.judgement().0 == Some(true) {
                seen_at = Some(i);
            }
        }
        let at = seen_at.expect("judged leaking");
        assert!(at < 30, "{at}");
        // Re-judged at most every REJUDGE_EVERY samples.
        assert!(s.since < REJUDGE_EVERY);
    }

    #[test]
    fn monotonic_survives_resets() {
        let mut m = Monotonic::default();
        assert_eq!(m.observe(10.0), 10.0);
        assert_eq!(m.observe(15.0), 15.0);
        // The source restarted at 3: 15 + 3.
        assert_eq!(m.observe(3.0), 18.0);
        assert_eq!(m.observe(f64::NAN), 18.0);
        assert_eq!(m.observe(-1.0), 18.0);
        assert_eq!(m.observe(5.0), 20.0);
    }

    #[test]
    fn cpu_of_an_exited_member_is_kept() {
        let mut m = Model::new(Bounds::default());
        let (a, b) = (row(1, 300, 100, 5), row(2, 500, 200, 5));
        let r = m.update(0.0, &[obs("web", vec![&a, &b], None)], host());
        let g = group(&r, "web").unwrap();
        // (300-100 + 500-200) ticks user, 300 system, at 100 ticks/s.
        assert_eq!((g.cpu_user_s, g.cpu_system_s), (5.0, 3.0));
        // b exits; a used 10 more ticks of user time.
        let a2 = row(1, 310, 100, 5);
        let r = m.update(1.0, &[obs("web", vec![&a2], None)], host());
        let g = group(&r, "web").unwrap();
        assert_eq!((g.cpu_user_s, g.cpu_system_s), (5.1, 3.0));
        assert_eq!(g.now.processes, 1);
        // A PID reused by a new process: the old one's time is kept, the
        // new one's added.
        let mut a3 = row(1, 20, 10, 5);
        a3.start_ticks = 99_999;
        let r = m.update(2.0, &[obs("web", vec![&a3], None)], host());
        let g = group(&r, "web").unwrap();
        assert_eq!((g.cpu_user_s, g.cpu_system_s), (5.2, 3.1));
    }

    #[test]
    fn a_cgroup_groups_cpu_is_the_cgroups_own_and_survives_a_restart() {
        let mut m = Model::new(Bounds::default());
        let a = row(1, 1000, 500, 5);
        let cpu = |u: u64, s: u64| CgroupFacts {
            cpu_user_ns: Some(u),
            cpu_system_ns: Some(s),
            ..CgroupFacts::default()
        };
        // The cgroup's 40 s user (its exited tasks included), not the
        // member's 5 s.
        let r = m.update(
            0.0,
            &[obs("c", vec![&a], Some(cpu(40_000_000_000, 2_000_000_000)))],
            host(),
        );
        let g = group(&r, "c").unwrap();
        assert_eq!((g.cpu_user_s, g.cpu_system_s), (40.0, 2.0));
        // Unreadable this scan: kept, not the members' sum.
        let r = m.update(
            1.0,
            &[obs("c", vec![&a], Some(CgroupFacts::default()))],
            host(),
        );
        assert_eq!(group(&r, "c").unwrap().cpu_user_s, 40.0);
        // The container restarted (a new cgroup at 1 s): 41 s.
        let r = m.update(
            2.0,
            &[obs("c", vec![&a], Some(cpu(1_000_000_000, 0)))],
            host(),
        );
        assert_eq!(group(&r, "c").unwrap().cpu_user_s, 41.0);
    }

    #[test]
    fn cgroup_counters_never_go_backwards_and_groups_vanish_after_grace() {
        let mut m = Model::new(Bounds {
            grace_s: 60.0,
            ..Bounds::default()
        });
        let a = row(1, 0, 0, 5);
        let facts = |oom, thr| CgroupFacts {
            oom_kills: Some(oom),
            throttled_ns: Some(thr),
            ..CgroupFacts::default()
        };
        m.update(
            0.0,
            &[obs("c", vec![&a], Some(facts(2, 3_000_000_000)))],
            host(),
        );
        // The container restarted: its new cgroup counts from 0.
        let r = m.update(
            1.0,
            &[obs("c", vec![&a], Some(facts(1, 500_000_000)))],
            host(),
        );
        let g = group(&r, "c").unwrap();
        assert_eq!(g.oom_kills, Some(3.0));
        assert_eq!(g.throttled_s, Some(3.5));
        // Gone: still exported (no process) within the grace period...
        let r = m.update(30.0, &[], host());
        let g = group(&r, "c").unwrap();
        assert_eq!(g.now.processes, 0);
        assert!(g.verdicts.iter().all(|v| v.leak.is_none()));
        // ...then forgotten.
        let r = m.update(62.0, &[], host());
        assert!(group(&r, "c").is_none());
    }

    #[test]
    fn mappings_are_judged_per_exported_process_and_the_worst_is_the_groups() {
        let mut m = Model::new(Bounds::default());
        let mut last = Report::default();
        let maps_of = |r: &Report, pid: i32| r.processes.iter().find(|p| p.pid == pid)?.maps;
        for i in 0..30u64 {
            let (a, b, c) = (row(1, 0, 0, 10), row(2, 0, 0, 10), row(3, 0, 0, 10));
            last = m.update(
                i as f64,
                &[
                    obs("leaky", vec![&a, &b], None),
                    obs("steady", vec![&c], None),
                ],
                host(),
            );
            // Pid 1 gains 50 mappings a second, pid 2 and 3 none; pid 3
            // is read only every other scan (paced): its count is kept.
            let mut fresh = vec![((1, 1001), 1_000 + 50 * i), ((2, 1002), 300)];
            if i % 2 == 0 {
                fresh.push(((3, 1003), 70));
            }
            m.maps(i as f64, &fresh, Some(65_530), &mut last);
            assert_eq!(maps_of(&last, 3), Some(70));
        }
        assert_eq!(maps_of(&last, 1), Some(1_000 + 50 * 29));
        let v = |g: &str| {
            group(&last, g)
                .unwrap()
                .verdicts
                .iter()
                .find(|v| v.resource == Resource::Maps)
                .copied()
        };
        let leaky = v("leaky").unwrap();
        assert_eq!(leaky.leak, Some(true));
        assert!((leaky.rate.unwrap() - 50.0).abs() < 0.1, "{leaky:?}");
        // (65,530 - 2,450) mappings left at 50/s.
        let (limit, eta) = leaky.exhaustion.unwrap();
        assert_eq!(limit, "max_map_count");
        assert!((eta - 1261.6).abs() < 2.0, "{eta}");
        let steady = v("steady").unwrap();
        assert_eq!((steady.leak, steady.exhaustion), (Some(false), None));
        // Without vm.max_map_count: leaking, no time to a limit.
        let mut r = last.clone();
        for g in &mut r.groups {
            g.verdicts.retain(|v| v.resource != Resource::Maps);
        }
        m.maps(30.0, &[((1, 1001), 2_500)], None, &mut r);
        let g = group(&r, "leaky").unwrap();
        let v = g.verdicts.iter().find(|v| v.resource == Resource::Maps);
        assert_eq!(v.map(|v| (v.leak, v.exhaustion)), Some((Some(true), None)));
    }

    #[test]
    fn a_leaking_group_has_a_verdict_a_rate_and_a_time_to_its_limit() {
        let mut m = Model::new(Bounds::default());
        let mut last = Report::default();
        for i in 0..30u64 {
            let leaky = row(1, 0, 0, 100 + 4 * i);
            let steady = row(2, 0, 0, 50);
            last = m.update(
                i as f64,
                &[
                    obs("leaky", vec![&leaky], None),
                    obs("steady", vec![&steady], None),
                ],
                host(),
            );
        }
        let v = |g: &str, r: Resource| {
            *group(&last, g)
                .unwrap()
                .verdicts
                .iter()
                .find(|v| v.resource == r)
                .unwrap()
        };
        let fds = v("leaky", Resource::Fds);
        assert_eq!(fds.leak, Some(true));
        let rate = fds.rate.unwrap();
        assert!((rate - 4.0).abs() < 0.01, "{rate}");
        // 1024 - 216 descriptors left at 4/s.
        let (limit, eta) = fds.exhaustion.unwrap();
        assert_eq!(limit, "nofile");
        assert!((eta - 202.0).abs() < 1.0, "{eta}");
        assert_eq!(v("steady", Resource::Fds).leak, Some(false));
        assert_eq!(v("steady", Resource::Fds).exhaustion, None);
        // The leaking process is exported even with K = 0 would drop it.
        assert!(last.processes.iter().any(|p| p.pid == 1 && p.leaking));
    }

    #[test]
    fn per_process_series_are_the_top_k_plus_leaking_within_caps() {
        let mut m = Model::new(Bounds {
            top_k: 2,
            max_leaking: 1,
            ..Bounds::default()
        });
        let mut last = Report::default();
        for i in 0..30u64 {
            // 10 flat processes with rising closeness; 3 leaking from low.
            let flat: Vec<ScanRow> = (10..20).map(|p| row(p, 0, 0, 500 + p as u64)).collect();
            let leak: Vec<ScanRow> = (1..4).map(|p| row(p, 0, 0, 10 + 5 * i)).collect();
            let members: Vec<&ScanRow> = flat.iter().chain(leak.iter()).collect();
            last = m.update(i as f64, &[obs("g", members, None)], host());
        }
        let pids: Vec<i32> = last.processes.iter().map(|p| p.pid).collect();
        // The two closest to their limit, then one leaking (the cap); the
        // other two leaking ones are counted as dropped at the last scan
        // (and at every scan they leaked).
        assert_eq!(&pids[..2], &[19, 18]);
        assert_eq!(pids.len(), 3);
        assert!(last.processes[2].leaking);
        assert!(last.series_dropped >= 2);
    }

    #[test]
    fn groups_past_the_cap_are_dropped_and_counted() {
        let mut m = Model::new(Bounds {
            max_groups: 3,
            ..Bounds::default()
        });
        let rows: Vec<ScanRow> = (1..=5).map(|p| row(p, 0, 0, 1)).collect();
        let o: Vec<Observed<'_>> = rows
            .iter()
            .map(|r| obs(&format!("g{}", r.pid), vec![r], None))
            .collect();
        let r = m.update(0.0, &o, host());
        assert_eq!(r.groups.len(), 3);
        assert_eq!(r.series_dropped, 2);
    }

    #[test]
    fn a_cgroup_group_leaking_memory_runs_into_its_limit() {
        let mut m = Model::new(Bounds::default());
        let mut last = Report::default();
        for i in 0..30u64 {
            let a = row(1, 0, 0, 5);
            let ws = (100 << 20) + i * (1 << 20);
            let f = CgroupFacts {
                working_set: Some(ws),
                memory_usage: Some(ws),
                memory_limit: Some(200 << 20),
                pids_current: Some(3),
                pids_max: Some(100),
                ..CgroupFacts::default()
            };
            last = m.update(i as f64, &[obs("c", vec![&a], Some(f))], host());
        }
        let g = group(&last, "c").unwrap();
        let mem = g
            .verdicts
            .iter()
            .find(|v| v.resource == Resource::Memory)
            .unwrap();
        assert_eq!(mem.leak, Some(true));
        let (limit, eta) = mem.exhaustion.unwrap();
        assert_eq!(limit, "memory_max");
        // 200 - 129 MiB left at 1 MiB/s.
        assert!((eta - 71.0).abs() < 1.0, "{eta}");
        let tasks = g
            .verdicts
            .iter()
            .find(|v| v.resource == Resource::Threads)
            .unwrap();
        assert_eq!(tasks.leak, Some(false));
        assert_eq!(g.now.tasks_limit, Some(100));
    }
}
