//! The exposition of `proctor serve`: every metric's name, help and
//! labels, encoded through the `prometheus-client` crate as OpenMetrics,
//! and the same text as Prometheus format 0.0.4 (counters typed under
//! their `_total` name, no `# UNIT` and no `# EOF`). Label values are
//! valid UTF-8 (the model made them lossily from the kernel's bytes) and
//! escaped by the encoder (`\\`, `\"`, `\n`, the same in both formats);
//! no command line or environment value is ever a label.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use crate::analysis::serve::{GroupReport, Identity, Labels, ProcReport, Report};

type L = Vec<(&'static str, String)>;
type GaugeF = Family<L, Gauge<f64, AtomicU64>>;
type GaugeI = Family<L, Gauge>;
type CounterF = Family<L, Counter<f64, AtomicU64>>;
type CounterI = Family<L, Counter>;
/// An info family: the labels are the information, the value 1.
type InfoFam = Family<L, Info<L>, fn() -> Info<L>>;

fn no_more_labels() -> Info<L> {
    Info::new(Vec::new())
}

/// What the agent knows about itself and the node, besides the model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Agent {
    pub version: &'static str,
    /// The last scan's duration, seconds.
    pub scan_seconds: f64,
    /// Read errors since start, by kind (`permission_denied`, ...).
    pub read_errors: Vec<(&'static str, u64)>,
    /// Boot time (seconds since the epoch) and clock ticks per second,
    /// for start times.
    pub boot_time: Option<u64>,
    pub clock_ticks: u64,
    /// proctor's own process.
    pub cpu_seconds: Option<f64>,
    pub rss_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub start_ticks: Option<u64>,
    /// Per phase of a scan (`scan`, `classify`, `model`, `encode`): the
    /// last one's wall time and the CPU time spent in it since start,
    /// seconds.
    pub phases: Vec<(&'static str, f64, f64)>,
}

/// The encoded page: (OpenMetrics, Prometheus 0.0.4).
pub fn encode_page(report: &Report, agent: &Agent) -> (Vec<u8>, Vec<u8>) {
    let mut reg = Registry::default();
    groups(&mut reg, &report.groups);
    verdicts(&mut reg, &report.groups);
    sockets(&mut reg, report);
    processes(&mut reg, &report.processes, agent);
    own(&mut reg, report, agent);
    let mut om = String::new();
    // Writing to a String cannot fail; were it to, the page would be
    // empty rather than cut.
    if encode(&mut om, &reg).is_err() {
        om.clear();
    }
    let om = sorted(&om);
    let prom = to_prometheus_text(&om);
    (om.into_bytes(), prom.into_bytes())
}

/// A label value: control and invisible characters (an ESC in a pod
/// name, a bidi override in a process name) as visible escapes (`\e`,
/// `\u{202e}`), so a page read on a terminal cannot drive it; the
/// encoder then escapes backslashes, quotes and newlines per format.
fn value(s: &str) -> String {
    crate::text::neutralize_controls(s).into_owned()
}

fn labels(l: &Labels) -> L {
    vec![
        ("namespace", value(&l.namespace)),
        ("pod", value(&l.pod)),
        ("container", value(&l.container)),
        ("unit", value(&l.unit)),
        ("group", value(&l.group)),
    ]
}

fn with(mut l: L, k: &'static str, v: &str) -> L {
    l.push((k, value(v)));
    l
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn info(id: &Identity) -> L {
    let mut l = labels(&id.labels);
    l.push(("pod_uid", value(&id.pod_uid)));
    l.push(("container_id", value(&id.container_id)));
    l.push(("qos", value(&id.qos)));
    l
}

fn groups(reg: &mut Registry, gs: &[GroupReport]) {
    let processes = GaugeI::default();
    let cpu = CounterF::default();
    let memory = GaugeI::default();
    let memory_limit = GaugeI::default();
    let fds = GaugeI::default();
    let ratio = GaugeF::default();
    let threads = GaugeI::default();
    let tasks_limit = GaugeI::default();
    let oom = CounterI::default();
    let throttled = CounterF::default();
    let workload: InfoFam = Family::new_with_constructor(no_more_labels);
    for g in gs {
        let l = labels(&g.identity.labels);
        let n = &g.now;
        processes.get_or_create(&l).set(int(n.processes));
        cpu.get_or_create(&with(l.clone(), "mode", "user"))
            .inc_by(g.cpu_user_s);
        cpu.get_or_create(&with(l.clone(), "mode", "system"))
            .inc_by(g.cpu_system_s);
        if let Some(v) = n.rss {
            memory
                .get_or_create(&with(l.clone(), "kind", "rss"))
                .set(int(v));
        }
        if let Some(v) = n.working_set {
            memory
                .get_or_create(&with(l.clone(), "kind", "working_set"))
                .set(int(v));
        }
        if let Some(v) = n.memory_limit {
            memory_limit.get_or_create(&l).set(int(v));
        }
        if let Some(v) = n.open_fds {
            fds.get_or_create(&l).set(int(v));
        }
        if let Some(v) = n.fd_ratio_max {
            ratio.get_or_create(&l).set(v);
        }
        threads.get_or_create(&l).set(int(n.threads));
        if let Some(v) = n.tasks_limit {
            tasks_limit.get_or_create(&l).set(int(v));
        }
        if let Some(v) = g.oom_kills {
            oom.get_or_create(&l).inc_by(v as u64);
        }
        if let Some(v) = g.throttled_s {
            throttled.get_or_create(&l).inc_by(v);
        }
        // Created with its labels: the value is always 1.
        drop(workload.get_or_create(&info(&g.identity)));
    }
    reg.register("proctor_processes", "Processes in the group now", processes);
    reg.register_with_unit(
        "proctor_cpu",
        "CPU time of the group by mode: its cgroup's own, else its processes' (those that exited included)",
        Unit::Seconds,
        cpu,
    );
    reg.register_with_unit(
        "proctor_memory",
        "Memory of the group: rss is the sum of its processes' resident sets, working_set the cgroup's usage less inactive file pages",
        Unit::Bytes,
        memory,
    );
    reg.register_with_unit(
        "proctor_memory_limit",
        "The tightest memory limit of the group's cgroup",
        Unit::Bytes,
        memory_limit,
    );
    reg.register(
        "proctor_open_fds",
        "Open file descriptors of the group's processes",
        fds,
    );
    reg.register(
        "proctor_fd_limit_ratio_max",
        "Descriptors over the soft RLIMIT_NOFILE of the group's process closest to it",
        ratio,
    );
    reg.register(
        "proctor_threads",
        "Threads of the group's processes",
        threads,
    );
    reg.register(
        "proctor_tasks_limit",
        "pids.max of the group's cgroup",
        tasks_limit,
    );
    reg.register(
        "proctor_oom_kills",
        "OOM kills in the group's memory cgroup",
        oom,
    );
    reg.register_with_unit(
        "proctor_cpu_throttled",
        "Time the group's cgroup was throttled by its CPU quota",
        Unit::Seconds,
        throttled,
    );
    reg.register(
        "proctor_workload",
        "The workload behind a group: pod UID, container id, QoS class",
        workload,
    );
}

fn sockets(reg: &mut Registry, report: &Report) {
    let fam = GaugeI::default();
    for (l, c) in &report.sockets {
        let l = labels(l);
        for (state, n) in [
            ("established", c.established),
            ("close_wait", c.close_wait),
            ("listen", c.listen),
        ] {
            fam.get_or_create(&with(l.clone(), "state", state))
                .set(int(n));
        }
    }
    reg.register(
        "proctor_sockets",
        "TCP sockets by state: the whole network namespace of a workload that owns one (a pod, a container), else its processes' own (refreshed as their cost allows)",
        fam,
    );
}

fn verdicts(reg: &mut Registry, gs: &[GroupReport]) {
    let leak = GaugeI::default();
    let rate = GaugeF::default();
    let eta = GaugeF::default();
    for g in gs {
        let l = labels(&g.identity.labels);
        for v in &g.verdicts {
            let l = with(l.clone(), "resource", v.resource.id());
            if let Some(is) = v.leak {
                leak.get_or_create(&l).set(i64::from(is));
            }
            if let Some(r) = v.rate.filter(|r| r.is_finite()) {
                rate.get_or_create(&l).set(r);
            }
            if let Some((limit, s)) = v.exhaustion.filter(|e| e.1.is_finite()) {
                eta.get_or_create(&with(l.clone(), "limit", limit)).set(s);
            }
        }
    }
    reg.register(
        "proctor_leak",
        "1 while the leak detector says the resource leaks, 0 while it says healthy; absent while undecided",
        leak,
    );
    reg.register(
        "proctor_leak_rate_per_second",
        "The resource's growth per second, as the leak detector measured it",
        rate,
    );
    reg.register_with_unit(
        "proctor_exhaustion",
        "While leaking: seconds until the limit named by the limit label at the measured rate",
        Unit::Seconds,
        eta,
    );
}

fn processes(reg: &mut Registry, ps: &[ProcReport], agent: &Agent) {
    let fds = GaugeI::default();
    let rss = GaugeI::default();
    let threads = GaugeI::default();
    let start = GaugeF::default();
    let maps = GaugeI::default();
    for p in ps {
        let l = with(
            with(labels(&p.labels), "pid", &p.pid.to_string()),
            "comm",
            &p.comm,
        );
        if let Some(v) = p.fds {
            fds.get_or_create(&l).set(int(v));
        }
        rss.get_or_create(&l).set(int(p.rss));
        threads.get_or_create(&l).set(int(p.threads));
        if let Some(v) = p.maps {
            maps.get_or_create(&l).set(int(v));
        }
        if let Some(s) = start_seconds(agent, p.start_ticks) {
            start.get_or_create(&l).set(s);
        }
    }
    reg.register(
        "proctor_process_open_fds",
        "Open descriptors of a process among the closest to a limit or leaking",
        fds,
    );
    reg.register_with_unit(
        "proctor_process_rss",
        "Resident set of a process among the closest to a limit or leaking",
        Unit::Bytes,
        rss,
    );
    reg.register(
        "proctor_process_threads",
        "Threads of a process among the closest to a limit or leaking",
        threads,
    );
    reg.register(
        "proctor_process_maps",
        "Memory mappings of a process among the closest to a limit or leaking (refreshed as their cost allows)",
        maps,
    );
    reg.register_with_unit(
        "proctor_process_start_time",
        "Start time of a process among the closest to a limit or leaking, since the epoch",
        Unit::Seconds,
        start,
    );
}

fn start_seconds(agent: &Agent, ticks: u64) -> Option<f64> {
    let boot = agent.boot_time?;
    Some(boot as f64 + ticks as f64 / agent.clock_ticks.max(1) as f64)
}

fn phases(reg: &mut Registry, agent: &Agent) {
    if agent.phases.is_empty() {
        return;
    }
    let wall = GaugeF::default();
    let cpu = CounterF::default();
    for (phase, last, total) in &agent.phases {
        let l = vec![("phase", (*phase).to_string())];
        wall.get_or_create(&l).set(*last);
        cpu.get_or_create(&l).inc_by(*total);
    }
    reg.register_with_unit(
        "proctor_scan_phase",
        "How long each phase of the last scan took (encode: the scan before)",
        Unit::Seconds,
        wall,
    );
    reg.register_with_unit(
        "proctor_scan_cpu",
        "CPU time the agent spent in each phase of its scans",
        Unit::Seconds,
        cpu,
    );
}

fn own(reg: &mut Registry, report: &Report, agent: &Agent) {
    let scan = Gauge::<f64, AtomicU64>::default();
    scan.set(agent.scan_seconds);
    reg.register_with_unit(
        "proctor_scan_duration",
        "How long the last scan and its judgement took",
        Unit::Seconds,
        scan,
    );
    phases(reg, agent);
    let errors = CounterI::default();
    for (kind, n) in &agent.read_errors {
        errors
            .get_or_create(&vec![("kind", (*kind).to_string())])
            .inc_by(*n);
    }
    reg.register(
        "proctor_read_errors",
        "Reads of /proc and /sys that failed, by kind",
        errors,
    );
    let dropped = Counter::<u64>::default();
    dropped.inc_by(report.series_dropped);
    reg.register(
        "proctor_series_dropped",
        "Groups and leaking processes left out by a cap, counted at every scan that left them out",
        dropped,
    );
    reg.register(
        "proctor_build",
        "proctor's version",
        Info::new(vec![("version", agent.version.to_string())]),
    );
    if let Some(v) = agent.cpu_seconds {
        let c = Counter::<f64, AtomicU64>::default();
        c.inc_by(v);
        reg.register_with_unit(
            "process_cpu",
            "Total user and system CPU time spent",
            Unit::Seconds,
            c,
        );
    }
    let gauges = [
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            agent.rss_bytes,
        ),
        (
            "process_open_fds",
            "Number of open file descriptors",
            agent.open_fds,
        ),
        (
            "process_max_fds",
            "Maximum number of open file descriptors",
            agent.max_fds,
        ),
    ];
    for (name, help, v) in gauges {
        if let Some(v) = v {
            let g = Gauge::<i64>::default();
            g.set(int(v));
            reg.register(name, help, g);
        }
    }
    if let Some(s) = agent.start_ticks.and_then(|t| start_seconds(agent, t)) {
        let g = Gauge::<f64, AtomicU64>::default();
        g.set(s);
        reg.register_with_unit(
            "process_start_time",
            "Start time of the process since the epoch",
            Unit::Seconds,
            g,
        );
    }
}

/// The samples of each family in a stable order (the encoder's follows a
/// hash map): a page reads the same for the same state.
fn sorted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, out: &mut String| {
        block.sort_unstable();
        for l in block.drain(..) {
            out.push_str(l);
            out.push('\n');
        }
    };
    for line in text.lines() {
        if line.starts_with('#') {
            flush(&mut block, &mut out);
            out.push_str(line);
            out.push('\n');
        } else {
            block.push(line);
        }
    }
    flush(&mut block, &mut out);
    out
}

/// OpenMetrics text as Prometheus text format 0.0.4: a counter's HELP and
/// TYPE name its `_total` samples, an info metric is a gauge named
/// `_info`, `unknown` is `untyped`; `# UNIT` and `# EOF` go.
pub fn to_prometheus_text(om: &str) -> String {
    let mut types: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for line in om.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some((name, ty)) = rest.split_once(' ') {
                types.insert(name, ty);
            }
        }
    }
    let renamed = |name: &str| -> (String, Option<&'static str>) {
        match types.get(name).copied() {
            Some("counter") => (format!("{name}_total"), None),
            Some("info") => (format!("{name}_info"), Some("gauge")),
            Some("unknown") => (name.to_string(), Some("untyped")),
            _ => (name.to_string(), None),
        }
    };
    let mut out = String::with_capacity(om.len());
    for line in om.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let (head, rest) = match (line.strip_prefix("# HELP "), line.strip_prefix("# TYPE ")) {
            (Some(r), _) => ("# HELP ", r),
            (_, Some(r)) => ("# TYPE ", r),
            _ => {
                out.push_str(line);
                out.push('\n');
                continue;
            }
        };
        let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        let (new, ty) = renamed(name);
        out.push_str(head);
        out.push_str(&new);
        out.push(' ');
        match (head, ty) {
            ("# TYPE ", Some(t)) => out.push_str(t),
            _ => out.push_str(tail),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::serve::{GroupNow, Resource, ResourceVerdict};

    fn report() -> Report {
        let identity = Identity {
            labels: Labels {
                namespace: "ns\"q\\".into(),
                pod: "pod\u{1b}[31mred\nx".into(),
                container: "c\u{202e}".into(),
                unit: String::new(),
                group: "ev\u{1b}[31m:)\u{fffd}".into(),
            },
            pod_uid: "u".into(),
            container_id: String::new(),
            qos: "burstable".into(),
            is_cgroup: true,
        };
        Report {
            groups: vec![GroupReport {
                identity,
                now: GroupNow {
                    processes: 2,
                    open_fds: Some(7),
                    ..GroupNow::default()
                },
                cpu_user_s: 1.5,
                cpu_system_s: 0.5,
                oom_kills: Some(3.0),
                throttled_s: None,
                verdicts: vec![ResourceVerdict {
                    resource: Resource::Fds,
                    leak: Some(true),
                    rate: Some(0.5),
                    exhaustion: Some(("nofile", 120.0)),
                }],
            }],
            processes: Vec::new(),
            series_dropped: 4,
            sockets: Vec::new(),
        }
    }

    #[test]
    fn hostile_label_values_are_escaped_per_format() {
        let (om, prom) = encode_page(&report(), &Agent::default());
        let (om, prom) = (
            String::from_utf8(om).unwrap(),
            String::from_utf8(prom).unwrap(),
        );
        for text in [&om, &prom] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{202e}'),
                "{text}"
            );
            assert!(
                text.contains(
                    r#"namespace="ns\"q\\",pod="pod\\e[31mred\\nx",container="c\\u{202e}""#
                ),
                "{text}"
            );
            assert!(text.contains(
                r#"group="ev\\e[31m:)\u{fffd}""#.replace("\\u{fffd}", "\u{fffd}").as_str()
            ));
            // One sample a line: a newline in a value never splits one.
            for l in text.lines().filter(|l| !l.starts_with('#')) {
                assert!(l.starts_with("proctor_"), "{l}");
            }
        }
    }

    #[test]
    fn both_formats_name_counters_as_each_expects() {
        let (om, prom) = encode_page(
            &report(),
            &Agent {
                version: "9.9",
                ..Agent::default()
            },
        );
        let (om, prom) = (
            String::from_utf8(om).unwrap(),
            String::from_utf8(prom).unwrap(),
        );
        assert!(om.ends_with("# EOF\n"));
        assert!(om.contains("# TYPE proctor_oom_kills counter\n"));
        assert!(om.contains("# UNIT proctor_cpu_seconds seconds\n"));
        assert!(om.contains("# TYPE proctor_build info\n"));
        assert!(om.contains("# TYPE proctor_workload info\n"));
        assert!(om.contains(",qos=\"burstable\"} 1\n"));
        assert!(prom.contains("# TYPE proctor_workload_info gauge\n"));
        assert!(!prom.contains("# EOF") && !prom.contains("# UNIT") && !prom.contains("_created"));
        assert!(prom.contains("# TYPE proctor_oom_kills_total counter\n"));
        assert!(prom.contains("# HELP proctor_oom_kills_total "));
        assert!(prom.contains("# TYPE proctor_cpu_seconds_total counter\n"));
        assert!(
            prom.contains(
                "# TYPE proctor_build_info gauge\nproctor_build_info{version=\"9.9\"} 1\n"
            )
        );
        assert!(prom.contains("proctor_series_dropped_total 4\n"));
        assert!(prom.contains(",resource=\"fds\"} 1\n"));
        assert!(prom.contains(",resource=\"fds\",limit=\"nofile\"} 120.0\n"));
        // Absent, not zero: no memory limit, no throttling read.
        assert!(!prom.contains("proctor_memory_limit_bytes{"));
        assert!(!prom.contains("proctor_cpu_throttled_seconds_total{"));
    }

    #[test]
    fn to_prometheus_text_rewrites_only_headers() {
        let om = "# HELP a_seconds x.\n# TYPE a_seconds counter\n# UNIT a_seconds seconds\na_seconds_total{l=\"# TYPE\"} 1\n# HELP b y.\n# TYPE b unknown\nb 2\n# EOF\n";
        assert_eq!(
            to_prometheus_text(om),
            "# HELP a_seconds_total x.\n# TYPE a_seconds_total counter\na_seconds_total{l=\"# TYPE\"} 1\n# HELP b y.\n# TYPE b untyped\nb 2\n"
        );
    }
}
