//! The agent: one scan of the process table on its timer (the `top`
//! scanner, files kept open between scans, descriptor counts by one
//! stat() each), each new process classified once into its group (the
//! config's matchers, else its cgroup's workload named from the kubelet's
//! directories, else its name), each cgroup group's own counters read once
//! per scan, the model updated and the page encoded.

use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxHashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::{Candidate, Matchers};
use crate::analysis::serve::{
    Bounds, CgroupFacts, Host, Identity, Labels, Model, Observed, ProcKey, Report, SocketCounts,
    socket_owner,
};
use crate::analysis::workload::{self as wl, Kind, Role, WorkloadReport};
use crate::error::ReadError;
use crate::parse::cgroup::CgroupLine;
use crate::reader::pods::kubelet_names;
use crate::reader::{Missing, ProcFs, Scan, ScanRow, Scanner};
use crate::render::metrics::{self, Agent as Own};

/// How a process was classified, kept for its life.
#[derive(Debug)]
struct Class {
    identity: Identity,
    /// The cgroup whose counters are the group's (a cgroup group): its
    /// lines, and the path the workload was read from (a controller whose
    /// cgroup is another, an ancestor or the root, is not the group's).
    lines: Option<(Vec<CgroupLine>, Vec<u8>)>,
    /// Its network namespace (`net:[4026531840]`), when readable.
    netns: Option<Arc<[u8]>>,
    /// Its group's labels, shared by every class of the group (interned):
    /// a scan groups its processes by this pointer, not by comparing
    /// labels.
    key: Arc<Labels>,
    /// A Kubernetes workload the kubelet's directories did not fully name
    /// yet (a container's log link appears after it starts): classified
    /// again every [`RENAME_EVERY`] scans until named.
    unnamed: bool,
}

/// Scans between two lookups of a Kubernetes workload's missing names.
const RENAME_EVERY: u64 = 8;

/// A network namespace seen in a scan: a process in it, and the groups
/// with processes in it.
struct Namespace {
    member: ProcKey,
    classes: Vec<Arc<Class>>,
}

/// The parts of a step, timed apart (`proctor_scan_phase_seconds` and
/// `proctor_scan_cpu_seconds_total`, by `phase`).
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// The process table read (the `top` scanner).
    Scan,
    /// Each process put in its group (new ones classified).
    Classify,
    /// The cgroup groups' counters, the model (leak windows, verdicts) and
    /// the namespaces' socket tables.
    Model,
    /// The page encoded (both formats).
    Encode,
}

impl Phase {
    const ALL: [Phase; 4] = [Phase::Scan, Phase::Classify, Phase::Model, Phase::Encode];

    fn name(self) -> &'static str {
        match self {
            Phase::Scan => "scan",
            Phase::Classify => "classify",
            Phase::Model => "model",
            Phase::Encode => "encode",
        }
    }
}

/// Wall and CPU clocks at the end of the last phase.
struct Lap {
    wall: Instant,
    cpu: Duration,
}

impl Lap {
    fn start() -> Lap {
        Lap {
            wall: Instant::now(),
            cpu: crate::reader::own_cpu_time(),
        }
    }
}

/// Per phase: the last step's wall time, and the process's CPU time spent
/// in it since start (all threads: the scanner's workers, and the HTTP
/// server's if a scrape is served meanwhile).
#[derive(Default)]
struct Phases {
    last: [Duration; 4],
    cpu: [Duration; 4],
}

impl Phases {
    fn add(&mut self, p: Phase, lap: &mut Lap) {
        let now = Lap::start();
        self.last[p as usize] = now.wall.saturating_duration_since(lap.wall);
        self.cpu[p as usize] += now.cpu.saturating_sub(lap.cpu);
        *lap = now;
    }
}

/// One page's worth of output.
pub struct Encoded {
    pub openmetrics: Vec<u8>,
    pub prometheus: Vec<u8>,
    /// Processes the scan listed (read, exited or unreadable): 0 means the
    /// root is no procfs.
    pub processes: usize,
}

/// One scan as the agent saw it, for a recorder: every row, each group
/// with its cgroup's counters and members, and the TCP states of the
/// network namespaces a group owns.
pub struct Observation<'a> {
    pub scan: &'a Scan,
    pub groups: &'a [Observed<'a>],
    /// The memory cgroup path of each group in `groups` (a cgroup group).
    pub cgroups: &'a [Option<Vec<u8>>],
    pub sockets: &'a [(Labels, SocketCounts)],
}

/// Where the agent hands each scan (`proctor record`, `serve --record`).
/// An error stops the recording: the agent keeps it for its caller.
pub trait Sink: Send {
    fn take(&mut self, o: &Observation<'_>) -> Result<(), crate::error::CliError>;
}

pub struct Agent {
    sink: Option<Box<dyn Sink>>,
    /// The sink's error, once it failed (it is not called again).
    pub sink_error: Option<crate::error::CliError>,
    fs: ProcFs,
    pods_dir: PathBuf,
    matchers: Matchers,
    scanner: Scanner,
    model: Model,
    start: Instant,
    /// Each live process's class, with the last scan that saw it.
    known: FxHashMap<ProcKey, (Arc<Class>, u64)>,
    /// The labels of every group some known process is in (one Arc per
    /// group: [`Class::key`]).
    interned: BTreeMap<Labels, Arc<Labels>>,
    /// (pod UID, container id) -> the kubelet's names, found once.
    names: HashMap<(String, String), (WorkloadReport, u64)>,
    read_errors: BTreeMap<&'static str, u64>,
    threads_max: Option<u64>,
    boot_time: Option<u64>,
    scans: u64,
    /// Sockets of the groups that share a namespace, paced by cost.
    shared: super::sockets::SharedSockets,
    /// The exported processes' mappings, paced by cost.
    maps: super::maps::MapsPacer,
    max_map_count: Option<u64>,
    phases: Phases,
}

/// Shorter ids in group names (the full id is in `proctor_workload_info`).
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

fn lossy(t: Option<&crate::text::Text>) -> String {
    t.map(|t| String::from_utf8_lossy(&t.0).into_owned())
        .unwrap_or_default()
}

/// A group from a process's workload (None: group it by name). A pod's
/// sandbox (`pause`, in a container the kubelet's log links do not name)
/// is the pod's own group, as a process in the pod's cgroup is: one group
/// per pod for it, not one per sandbox id.
fn identity_of(w: &WorkloadReport, comm: &[u8]) -> Option<Identity> {
    match w.kind {
        Kind::Kubernetes => {
            let uid = w.pod_uid.clone().unwrap_or_default();
            let cid = w.container_id.clone().unwrap_or_default();
            let sandbox = comm == b"pause" && w.container.is_none();
            let in_container = w.role == Some(Role::Container) && !sandbox;
            let (namespace, pod) = (lossy(w.namespace.as_ref()), lossy(w.pod.as_ref()));
            let container = if in_container {
                lossy(w.container.as_ref())
            } else {
                String::new()
            };
            let pod_part = if pod.is_empty() {
                uid.clone()
            } else {
                format!("{namespace}/{pod}")
            };
            let group = match (in_container, container.is_empty()) {
                (false, _) => pod_part,
                (true, false) => format!("{pod_part}/{container}"),
                (true, true) => format!("{pod_part}/{}", short(&cid)),
            };
            Some(Identity {
                labels: Labels {
                    namespace,
                    pod,
                    container,
                    unit: String::new(),
                    group,
                },
                pod_uid: uid,
                container_id: if in_container { cid } else { String::new() },
                qos: w.qos.unwrap_or_default().to_string(),
                is_cgroup: in_container,
            })
        }
        Kind::SystemdUnit => {
            let unit = lossy(w.unit.as_ref());
            Some(Identity {
                labels: Labels {
                    unit: unit.clone(),
                    group: unit,
                    ..Labels::default()
                },
                is_cgroup: true,
                ..Identity::default()
            })
        }
        Kind::Container if w.role == Some(Role::Container) => {
            let id = w.container_id.clone().unwrap_or_default();
            let runtime = w.runtime.unwrap_or("container");
            Some(Identity {
                labels: Labels {
                    container: short(&id).to_string(),
                    group: format!("{runtime}:{}", short(&id)),
                    ..Labels::default()
                },
                container_id: id,
                is_cgroup: true,
                ..Identity::default()
            })
        }
        _ => None,
    }
}

/// A Kubernetes workload whose pod, or container (in a container), the
/// kubelet's directories did not name.
fn unnamed(w: &WorkloadReport) -> bool {
    w.kind == Kind::Kubernetes
        && (w.pod.is_none() || (w.role == Some(Role::Container) && w.container.is_none()))
}

fn by_name(comm: &[u8]) -> Identity {
    Identity {
        labels: Labels {
            group: String::from_utf8_lossy(comm).into_owned(),
            ..Labels::default()
        },
        ..Identity::default()
    }
}

impl Agent {
    pub fn new(
        fs: ProcFs,
        pods_dir: PathBuf,
        matchers: Matchers,
        bounds: Bounds,
    ) -> Result<Agent, ReadError> {
        Agent::with_sink(fs, pods_dir, matchers, bounds, None)
    }

    /// An agent that also hands each scan to `sink`: its scanner reads
    /// what a recording keeps (context switches, `io`) at every scan.
    pub fn with_sink(
        fs: ProcFs,
        pods_dir: PathBuf,
        matchers: Matchers,
        bounds: Bounds,
        sink: Option<Box<dyn Sink>>,
    ) -> Result<Agent, ReadError> {
        let scanner = Scanner::new(&fs, true, Scanner::default_workers().min(2))?;
        let scanner = if sink.is_some() {
            scanner.with_io()
        } else {
            scanner.lean()
        };
        let threads_max = fs.host_facts().threads_max;
        let boot_time = fs.boot_time().ok();
        let max_map_count = fs.max_map_count();
        Ok(Agent {
            sink,
            sink_error: None,
            fs,
            pods_dir,
            matchers,
            scanner,
            model: Model::new(bounds),
            start: Instant::now(),
            known: FxHashMap::default(),
            interned: BTreeMap::new(),
            names: HashMap::new(),
            read_errors: BTreeMap::new(),
            threads_max,
            boot_time,
            scans: 0,
            shared: super::sockets::SharedSockets::default(),
            maps: super::maps::MapsPacer::default(),
            max_map_count,
            phases: Phases::default(),
        })
    }

    fn error(&mut self, kind: &'static str) {
        *self.read_errors.entry(kind).or_insert(0) += 1;
    }

    /// Scan, judge, encode. The error is the scan's own (the proc root
    /// unreadable): the agent keeps serving the last page and retries.
    pub fn step(&mut self) -> Result<Encoded, ReadError> {
        let began = Instant::now();
        let mut lap = Lap::start();
        let scan = self.scanner.scan(&self.fs)?;
        self.phases.add(Phase::Scan, &mut lap);
        self.scans += 1;
        self.count_scan_errors(&scan);
        let me = self.fs.own_pid_in_root();
        let (groups, by_ns) = self.group(&scan);
        self.phases.add(Phase::Classify, &mut lap);
        let (observed, cgroups) = self.observed(groups);
        let t = scan
            .taken
            .saturating_duration_since(self.start)
            .as_secs_f64();
        let host = Host {
            threads_max: self.threads_max,
            tasks: Some(
                scan.rows
                    .iter()
                    .map(|r| r.threads)
                    .fold(0, u64::saturating_add),
            ),
            clock_ticks: crate::reader::clock_ticks(),
        };
        let mut report = self.model.update(t, &observed, host);
        report.sockets = self.sockets(&by_ns);
        self.hand_over(&scan, &observed, &cgroups, &report.sockets);
        self.shared_sockets(&by_ns, &mut report);
        self.process_maps(t, &mut report);
        self.phases.add(Phase::Model, &mut lap);
        let own = self.own(&scan, me, began);
        let (openmetrics, prometheus) = metrics::encode_page(&report, &own);
        self.phases.add(Phase::Encode, &mut lap);
        Ok(Encoded {
            openmetrics,
            prometheus,
            processes: scan.rows.len() + scan.exited + scan.unreadable,
        })
    }

    /// Scan and hand the scan to the sink, without the exporter's model
    /// or page (`proctor record`). Returns the processes listed.
    pub fn record_step(&mut self) -> Result<usize, ReadError> {
        let scan = self.scanner.scan(&self.fs)?;
        self.scans += 1;
        self.count_scan_errors(&scan);
        let (groups, by_ns) = self.group(&scan);
        let (observed, cgroups) = self.observed(groups);
        let sockets = self.sockets(&by_ns);
        self.hand_over(&scan, &observed, &cgroups, &sockets);
        Ok(scan.rows.len() + scan.exited + scan.unreadable)
    }

    /// Each group with its cgroup's counters (a cgroup group), and the
    /// cgroup's path.
    #[allow(clippy::type_complexity)]
    fn observed<'s>(
        &mut self,
        groups: Vec<(Arc<Class>, Vec<&'s ScanRow>)>,
    ) -> (Vec<Observed<'s>>, Vec<Option<Vec<u8>>>) {
        let mut observed = Vec::with_capacity(groups.len());
        let mut paths = Vec::with_capacity(groups.len());
        for (class, members) in groups {
            let (cgroup, path) = match &class.lines {
                Some((lines, path)) if class.identity.is_cgroup => {
                    (Some(self.facts(lines, path)), Some(path.clone()))
                }
                _ => (None, None),
            };
            observed.push(Observed {
                identity: class.identity.clone(),
                cgroup,
                members,
            });
            paths.push(path);
        }
        (observed, paths)
    }

    fn hand_over(
        &mut self,
        scan: &Scan,
        groups: &[Observed<'_>],
        cgroups: &[Option<Vec<u8>>],
        sockets: &[(Labels, SocketCounts)],
    ) {
        if self.sink_error.is_some() {
            return;
        }
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        let o = Observation {
            scan,
            groups,
            cgroups,
            sockets,
        };
        if let Err(e) = sink.take(&o) {
            self.sink_error = Some(e);
        }
    }

    /// Each process of the scan in its group (classified when first seen,
    /// then kept), groups in the order of their labels, and the network
    /// namespaces with their groups.
    #[allow(clippy::type_complexity)]
    fn group<'s>(
        &mut self,
        scan: &'s Scan,
    ) -> (
        Vec<(Arc<Class>, Vec<&'s ScanRow>)>,
        FxHashMap<Arc<[u8]>, Namespace>,
    ) {
        // Keyed by the interned labels' address: one hash of a word per
        // process, no labels compared or copied.
        let mut groups: FxHashMap<*const Labels, (Arc<Class>, Vec<&ScanRow>)> =
            FxHashMap::default();
        let mut by_ns: FxHashMap<Arc<[u8]>, Namespace> = FxHashMap::default();
        let rename = self.scans % RENAME_EVERY == 0;
        for row in scan.rows.iter().filter(|r| !r.kernel_thread) {
            let key = (row.pid, row.start_ticks);
            let class = match self.known.get_mut(&key) {
                Some((c, seen)) if !(c.unnamed && rename) => {
                    *seen = self.scans;
                    Arc::clone(c)
                }
                _ => {
                    let mut c = self.classify(row);
                    c.key = self.intern(&c.identity.labels);
                    let c = Arc::new(c);
                    self.known.insert(key, (Arc::clone(&c), self.scans));
                    c
                }
            };
            if let Some(ns) = &class.netns {
                let n = match by_ns.get_mut(&**ns) {
                    Some(n) => n,
                    None => by_ns.entry(Arc::clone(ns)).or_insert(Namespace {
                        member: key,
                        classes: Vec::new(),
                    }),
                };
                if !n.classes.iter().any(|c| Arc::ptr_eq(&c.key, &class.key)) {
                    n.classes.push(Arc::clone(&class));
                }
            }
            groups
                .entry(Arc::as_ptr(&class.key))
                .or_insert_with(|| (Arc::clone(&class), Vec::new()))
                .1
                .push(row);
        }
        let scans = self.scans;
        self.known.retain(|_, (_, seen)| *seen == scans);
        // Groups no process is in any more.
        self.interned.retain(|_, k| Arc::strong_count(k) > 1);
        let mut groups: Vec<_> = groups.into_values().collect();
        groups.sort_unstable_by(|a, b| a.0.key.cmp(&b.0.key));
        (groups, by_ns)
    }

    /// The shared labels of a group (see [`Class::key`]).
    fn intern(&mut self, labels: &Labels) -> Arc<Labels> {
        if let Some(k) = self.interned.get(labels) {
            return Arc::clone(k);
        }
        let k = Arc::new(labels.clone());
        self.interned.insert(labels.clone(), Arc::clone(&k));
        k
    }

    /// The TCP states of each network namespace one workload owns, read
    /// through a process of it this scan saw (its tables are the
    /// namespace's: all its sockets, whichever process holds them).
    fn sockets(&mut self, by_ns: &FxHashMap<Arc<[u8]>, Namespace>) -> Vec<(Labels, SocketCounts)> {
        let mut out: BTreeMap<Labels, SocketCounts> = BTreeMap::new();
        for n in by_ns.values() {
            let ids: Vec<&Identity> = n.classes.iter().map(|c| &c.identity).collect();
            let Some(owner) = socket_owner(&ids) else {
                continue;
            };
            let (pid, start) = n.member;
            let states = match self.fs.open(pid) {
                Ok(p) if p.start_ticks() == start => p.namespace_tcp_states(),
                // Gone since the scan: its namespace is read next time.
                _ => continue,
            };
            match states {
                Ok(s) => {
                    if s.unparsed > 0 {
                        self.error("parse_error");
                    }
                    out.entry(owner).or_default().add(SocketCounts {
                        established: s.established,
                        close_wait: s.close_wait,
                        listen: s.listen,
                    });
                }
                Err(ReadError::Exited { .. }) => {}
                Err(e) => self.error(e.reason()),
            }
        }
        out.into_iter().collect()
    }

    /// The sockets of groups in namespaces no workload owns, from their
    /// processes' descriptors ([`super::sockets`], paced by cost: the
    /// counts may be from an earlier scan), added to the report's.
    fn shared_sockets(&mut self, by_ns: &FxHashMap<Arc<[u8]>, Namespace>, report: &mut Report) {
        let shared: HashMap<&[u8], usize> = by_ns
            .iter()
            .filter(|(_, n)| {
                let ids: Vec<&Identity> = n.classes.iter().map(|c| &c.identity).collect();
                socket_owner(&ids).is_none()
            })
            .enumerate()
            .map(|(i, (ns, _))| (&ns[..], i))
            .collect();
        let mut namespaces = vec![Vec::new(); shared.len()];
        let mut unknown = std::collections::BTreeSet::new();
        for (key, (class, _)) in &self.known {
            let labels = &class.identity.labels;
            match class.netns.as_deref().map(|ns| shared.get(ns)) {
                Some(Some(&i)) => namespaces[i].push(super::sockets::Member {
                    key: *key,
                    labels: labels.clone(),
                }),
                Some(None) => {}
                None => {
                    unknown.insert(labels.clone());
                }
            }
        }
        let mut errors = Vec::new();
        self.shared
            .refresh(&self.fs, &namespaces, &unknown, &mut |k| errors.push(k));
        for k in errors {
            self.error(k);
        }
        let alive: std::collections::HashSet<&Labels> =
            report.groups.iter().map(|g| &g.identity.labels).collect();
        let mut all: BTreeMap<Labels, SocketCounts> = report.sockets.drain(..).collect();
        for (l, c) in self.shared.counts() {
            if alive.contains(l) {
                all.entry(l.clone()).or_default().add(*c);
            }
        }
        report.sockets = all.into_iter().collect();
    }

    /// The exported processes' mappings (paced by cost) and their verdicts.
    fn process_maps(&mut self, t: f64, report: &mut Report) {
        let mut errors = Vec::new();
        let fresh = self
            .maps
            .read(&self.fs, &report.processes, &mut |k| errors.push(k));
        for k in errors {
            self.error(k);
        }
        self.model.maps(t, &fresh, self.max_map_count, report);
    }

    fn count_scan_errors(&mut self, scan: &Scan) {
        for _ in 0..scan.unreadable {
            self.error("process_unreadable");
        }
        for row in &scan.rows {
            for (_, m) in row.unavailable() {
                match m {
                    Missing::PermissionDenied => self.error("permission_denied"),
                    Missing::Error => self.error("io_error"),
                    Missing::NotApplicable => {}
                }
            }
        }
    }

    /// The group of a process seen for the first time.
    fn classify(&mut self, row: &ScanRow) -> Class {
        let proc = self
            .fs
            .open(row.pid)
            .ok()
            .filter(|p| p.start_ticks() == row.start_ticks);
        if !self.matchers.is_empty() {
            let exe = match (&proc, self.matchers.wants_exe()) {
                (Some(p), true) => p.readlink("exe").ok(),
                _ => None,
            };
            let cmdline = row.cmdline.as_deref().unwrap_or_default();
            let c = Candidate {
                comm: &row.name,
                exe: exe.as_deref(),
                cmdline,
            };
            if let Some(name) = self.matchers.name(&c) {
                return Class {
                    identity: Identity {
                        labels: Labels {
                            group: name,
                            ..Labels::default()
                        },
                        ..Identity::default()
                    },
                    lines: None,
                    netns: proc
                        .as_ref()
                        .and_then(|p| p.readlink("ns/net").ok())
                        .map(Arc::from),
                    key: Arc::new(Labels::default()),
                    unnamed: false,
                };
            }
        }
        let lines = match proc.as_ref().map(|p| p.cgroup()) {
            Some(Ok(l)) => Some(l),
            Some(Err(e)) => {
                if !matches!(e, ReadError::Exited { .. }) {
                    self.error(e.reason());
                }
                None
            }
            None => None,
        };
        let workload = lines
            .as_deref()
            .and_then(wl::of_lines)
            .map(|w| self.named(w));
        let path = workload.as_ref().map(|w| w.cgroup.0.clone());
        // A sandbox has no log link: its container name never comes.
        let sandbox = row.name == b"pause";
        let unnamed = workload
            .as_ref()
            .is_some_and(|w| unnamed(w) && !(sandbox && w.pod.is_some()));
        let identity = workload
            .and_then(|w| identity_of(&w, &row.name))
            .unwrap_or_else(|| by_name(&row.name));
        Class {
            lines: lines.zip(path).filter(|_| identity.is_cgroup),
            identity,
            netns: proc
                .as_ref()
                .and_then(|p| p.readlink("ns/net").ok())
                .map(Arc::from),
            key: Arc::new(Labels::default()),
            unnamed,
        }
    }

    /// A Kubernetes workload with the kubelet's names (looked up once per
    /// pod and container).
    fn named(&mut self, mut w: WorkloadReport) -> WorkloadReport {
        let Some((uid, cid)) = w
            .wanted()
            .map(|(u, c)| (u.to_string(), c.map(str::to_string)))
        else {
            return w;
        };
        let key = (uid.clone(), cid.clone().unwrap_or_default());
        // Names found are kept; missing ones are looked up again (at most
        // every RENAME_EVERY scans per process, by the caller).
        let scans = self.scans;
        if let Some((n, _)) = self
            .names
            .get(&key)
            .filter(|(n, at)| !unnamed(n) || *at == scans)
        {
            w.namespace.clone_from(&n.namespace);
            w.pod.clone_from(&n.pod);
            w.container.clone_from(&n.container);
            return w;
        }
        let ids: Vec<&str> = cid.as_deref().into_iter().collect();
        let k = kubelet_names(&self.pods_dir, &[uid.as_str()], &ids);
        w.name_from(&k);
        // Bounded: one entry per container ever seen, forgotten in bulk
        // past a cap (found again at the next new process).
        if self.names.len() >= 8192 {
            self.names.clear();
        }
        self.names.insert(key, (w.clone(), scans));
        w
    }

    /// A cgroup group's own numbers, from the controllers whose cgroup is
    /// the workload's own (`path`); what cannot be read is None (and
    /// counted by kind).
    fn facts(&mut self, lines: &[CgroupLine], path: &[u8]) -> CgroupFacts {
        let st = self.fs.cgroup_state(lines);
        let mut f = CgroupFacts::default();
        match st.memory {
            Ok(m) if m.path == path => {
                f.memory_usage = m.usage;
                f.working_set = m
                    .usage
                    .map(|u| u.saturating_sub(m.inactive_file.unwrap_or(0)));
                f.memory_limit = m.limit;
                f.oom_kills = m.oom.oom_kill;
            }
            Ok(_) => {}
            Err(e) => self.error(e.reason()),
        }
        match st.pids {
            Some(Ok(p)) if p.path == path => {
                f.pids_current = Some(p.current);
                f.pids_max = p.max;
            }
            Some(Err(e)) => self.error(e.reason()),
            _ => {}
        }
        match st.cpu {
            Some(Ok(c)) if c.path == path => f.throttled_ns = c.throttling.map(|t| t.throttled_ns),
            Some(Err(e)) => self.error(e.reason()),
            _ => {}
        }
        match self.fs.cgroup_cpu(lines) {
            Some(Ok(c)) if c.path == path => {
                f.cpu_user_ns = Some(c.user_ns);
                f.cpu_system_ns = Some(c.system_ns);
            }
            Some(Err(e)) => self.error(e.reason()),
            _ => {}
        }
        f
    }

    fn own(&self, scan: &Scan, me: Option<i32>, began: Instant) -> Own {
        let row = me.and_then(|p| scan.find(p));
        let ticks = crate::reader::clock_ticks();
        Own {
            version: env!("CARGO_PKG_VERSION"),
            scan_seconds: began.elapsed().as_secs_f64(),
            read_errors: self.read_errors.iter().map(|(k, v)| (*k, *v)).collect(),
            boot_time: self.boot_time,
            clock_ticks: ticks,
            // Its own row of the scan (the proc root is its own procfs):
            // none on a fixture tree or another host's /proc.
            cpu_seconds: row.map(|r| r.cpu_ticks as f64 / ticks.max(1) as f64),
            rss_bytes: row.map(|r| r.rss_bytes),
            open_fds: row.and_then(|r| r.fds.ok()),
            max_fds: row.and_then(|r| r.fd_soft_limit.ok().flatten()),
            start_ticks: row.map(|r| r.start_ticks),
            // The encoding's own are the last step's (this one's is not
            // over while its page is written).
            phases: Phase::ALL
                .iter()
                .map(|&p| {
                    let i = p as usize;
                    let (last, cpu) = (self.phases.last[i], self.phases.cpu[i]);
                    (p.name(), last.as_secs_f64(), cpu.as_secs_f64())
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Text;

    const UID: &str = "2c5d8e3a-1f0b-4c7e-9a3d-5b6e7f8a9b0c";
    const ID: &str = "3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

    fn k8s(named: bool) -> WorkloadReport {
        let p = format!("/kubepods/burstable/pod{UID}/{ID}");
        let mut w = WorkloadReport::new(
            &crate::parse::workload::from_cgroup_path(p.as_bytes()),
            p.as_bytes(),
        );
        if named {
            w.namespace = Some(Text(b"payments".to_vec()));
            w.pod = Some(Text(b"api-7d9".to_vec()));
            w.container = Some(Text(b"api".to_vec()));
        }
        w
    }

    #[test]
    fn kubernetes_groups_by_names_else_ids_and_the_sandbox_is_the_pod() {
        let i = identity_of(&k8s(true), b"python3").unwrap();
        assert_eq!(i.labels.group, "payments/api-7d9/api");
        assert_eq!((i.labels.container.as_str(), i.is_cgroup), ("api", true));
        assert_eq!(
            (i.pod_uid.as_str(), i.container_id.as_str(), i.qos.as_str()),
            (UID, ID, "burstable")
        );
        let i = identity_of(&k8s(false), b"python3").unwrap();
        assert_eq!(i.labels.group, format!("{UID}/3f2a9c1b4d5e"));
        assert!(i.is_cgroup);
        // The sandbox: named pod, no container name.
        let mut w = k8s(true);
        w.container = None;
        let i = identity_of(&w, b"pause").unwrap();
        assert_eq!(i.labels.group, "payments/api-7d9");
        assert_eq!(
            (
                i.labels.container.as_str(),
                i.container_id.as_str(),
                i.is_cgroup
            ),
            ("", "", false)
        );
    }

    #[test]
    fn units_and_containers_are_cgroup_groups_and_plain_cgroups_go_by_name() {
        let w = wl::WorkloadReport::new(
            &crate::parse::workload::from_cgroup_path(b"/system.slice/nginx.service"),
            b"/system.slice/nginx.service",
        );
        let i = identity_of(&w, b"nginx").unwrap();
        assert_eq!(
            (i.labels.unit.as_str(), i.labels.group.as_str(), i.is_cgroup),
            ("nginx.service", "nginx.service", true)
        );
        let p = format!("/system.slice/docker-{ID}.scope");
        let w = WorkloadReport::new(
            &crate::parse::workload::from_cgroup_path(p.as_bytes()),
            p.as_bytes(),
        );
        let i = identity_of(&w, b"redis").unwrap();
        assert_eq!(
            (i.labels.group.as_str(), i.labels.container.as_str()),
            ("docker:3f2a9c1b4d5e", "3f2a9c1b4d5e")
        );
        let w = WorkloadReport::new(
            &crate::parse::workload::from_cgroup_path(b"/user.slice"),
            b"/user.slice",
        );
        assert!(identity_of(&w, b"bash").is_none());
        assert_eq!(by_name(b"ev\x1b\xff").labels.group, "ev\x1b\u{fffd}");
    }
}
