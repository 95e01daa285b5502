//! Exports of a recorded history (`proctor report FILE --format
//! openmetrics|csv`): [`openmetrics`] for `promtool tsdb
//! create-blocks-from openmetrics` (backfill into Prometheus), [`csv`] for
//! spreadsheets. Both stream to the writer (buffered here) and never build
//! the whole text in memory; both are pure formatting of a loaded
//! [`History`].
//!
//! What a sample is: the store keeps only changes, and a value holds
//! until the next change. Prometheus treats a series without a sample
//! for 5 minutes as gone, so both exports write every series at **every
//! scan** of the window where its subject lived (a process from its first
//! to its last sighting; a workload from the first to the last sighting of
//! any of its processes; the host at every scan), not only at its change
//! points. A value that could not be read at a scan has no sample (a gap,
//! never a 0); in CSV its cell is empty.
//!
//! Text from /proc (a process's name, a workload's name) is lossy UTF-8
//! with control and invisible characters made visible (`\e`, `\n`,
//! `\u{202e}`), as in `proctor serve`'s labels; then escaped for the
//! format: OpenMetrics label values escape `\`, `"` and newline; CSV
//! quotes per RFC 4180 (a field with a comma, quote, CR or LF is quoted,
//! quotes doubled), and a field that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`.

use std::io::{self, BufWriter, Write};

use crate::store::{
    History, ProcMetric, ProcessHistory, ScanInfo, Series, WorkloadHistory, WorkloadMetric,
};

/// Text from /proc made safe to show: lossy UTF-8, controls visible.
fn visible(bytes: &[u8]) -> String {
    crate::text::neutralize_controls(&String::from_utf8_lossy(bytes)).into_owned()
}

/// An OpenMetrics label value: `\`, `"` and newline escaped.
fn om_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// `{k="v",...}` from pairs (values already visible).
fn om_labels(pairs: &[(&str, &str)]) -> String {
    let mut s = String::from("{");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(k);
        s.push_str("=\"");
        om_escape(v, &mut s);
        s.push('"');
    }
    s.push('}');
    s
}

/// Unix milliseconds as OpenMetrics seconds: `1796439610.123`.
fn om_time(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let a = ms.unsigned_abs();
    let (s, frac) = (a / 1000, a % 1000);
    if frac == 0 {
        format!("{sign}{s}")
    } else {
        format!("{sign}{s}.{frac:03}")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
}

/// One metric family of the export.
struct Family {
    /// The family's name (a counter's samples add `_total`).
    name: &'static str,
    kind: Kind,
    unit: Option<&'static str>,
    help: &'static str,
}

/// How a recorded number becomes the exported one.
#[derive(Clone, Copy)]
enum Conv {
    Same,
    /// KiB to bytes.
    Kib,
    /// Clock ticks to seconds (the run's ticks per second).
    Ticks,
    /// Nanoseconds to seconds.
    Nanos,
    /// Hundredths to units.
    Centi,
}

fn value(v: u64, conv: Conv, ticks: u64) -> String {
    match conv {
        Conv::Same => v.to_string(),
        Conv::Kib => v.saturating_mul(1024).to_string(),
        Conv::Ticks => (v as f64 / ticks.max(1) as f64).to_string(),
        Conv::Nanos => (v as f64 / 1e9).to_string(),
        Conv::Centi => (v as f64 / 100.0).to_string(),
    }
}

/// The process families: the metric, its family and conversion.
const PROCESS: [(ProcMetric, Family, Conv); 8] = [
    (
        ProcMetric::Rss,
        Family {
            name: "proctor_process_rss_bytes",
            kind: Kind::Gauge,
            unit: Some("bytes"),
            help: "Resident set of the process",
        },
        Conv::Kib,
    ),
    (
        ProcMetric::Fds,
        Family {
            name: "proctor_process_open_fds",
            kind: Kind::Gauge,
            unit: None,
            help: "Open file descriptors of the process",
        },
        Conv::Same,
    ),
    (
        ProcMetric::FdLimit,
        Family {
            name: "proctor_process_max_fds",
            kind: Kind::Gauge,
            unit: None,
            help: "The soft RLIMIT_NOFILE of the process (absent when unlimited or unreadable)",
        },
        Conv::Same,
    ),
    (
        ProcMetric::Threads,
        Family {
            name: "proctor_process_threads",
            kind: Kind::Gauge,
            unit: None,
            help: "Threads of the process",
        },
        Conv::Same,
    ),
    (
        ProcMetric::Cpu,
        Family {
            name: "proctor_process_cpu_seconds",
            kind: Kind::Counter,
            unit: Some("seconds"),
            help: "User plus system CPU time of the process",
        },
        Conv::Ticks,
    ),
    (
        ProcMetric::Switches,
        Family {
            name: "proctor_process_context_switches",
            kind: Kind::Counter,
            unit: None,
            help: "Voluntary plus involuntary context switches of the process's main thread",
        },
        Conv::Same,
    ),
    (
        ProcMetric::ReadBytes,
        Family {
            name: "proctor_process_io_read_bytes",
            kind: Kind::Counter,
            unit: Some("bytes"),
            help: "Bytes the process caused to be read from storage",
        },
        Conv::Same,
    ),
    (
        ProcMetric::WriteBytes,
        Family {
            name: "proctor_process_io_write_bytes",
            kind: Kind::Counter,
            unit: Some("bytes"),
            help: "Bytes the process caused to be written to storage",
        },
        Conv::Same,
    ),
];

/// The workload families (the TCP states are one family, below).
const WORKLOAD: [(WorkloadMetric, Family, Conv); 8] = [
    (
        WorkloadMetric::Memory,
        Family {
            name: "proctor_workload_memory_usage_bytes",
            kind: Kind::Gauge,
            unit: Some("bytes"),
            help: "Memory usage of the workload's memory cgroup",
        },
        Conv::Same,
    ),
    (
        WorkloadMetric::WorkingSet,
        Family {
            name: "proctor_workload_memory_working_set_bytes",
            kind: Kind::Gauge,
            unit: Some("bytes"),
            help: "Memory usage of the workload's cgroup less its inactive file pages",
        },
        Conv::Same,
    ),
    (
        WorkloadMetric::MemoryLimit,
        Family {
            name: "proctor_workload_memory_limit_bytes",
            kind: Kind::Gauge,
            unit: Some("bytes"),
            help: "The tightest memory limit of the workload's cgroup",
        },
        Conv::Same,
    ),
    (
        WorkloadMetric::OomKills,
        Family {
            name: "proctor_workload_oom_kills",
            kind: Kind::Counter,
            unit: None,
            help: "OOM kills in the workload's memory cgroup",
        },
        Conv::Same,
    ),
    (
        WorkloadMetric::Pids,
        Family {
            name: "proctor_workload_tasks",
            kind: Kind::Gauge,
            unit: None,
            help: "Tasks (threads) in the workload's pids cgroup",
        },
        Conv::Same,
    ),
    (
        WorkloadMetric::PidsMax,
        Family {
            name: "proctor_workload_tasks_limit",
            kind: Kind::Gauge,
            unit: None,
            help: "pids.max of the workload's cgroup",
        },
        Conv::Same,
    ),
    (
        WorkloadMetric::Cpu,
        Family {
            name: "proctor_workload_cpu_seconds",
            kind: Kind::Counter,
            unit: Some("seconds"),
            help: "CPU time of the workload's cgroup",
        },
        Conv::Nanos,
    ),
    (
        WorkloadMetric::Throttled,
        Family {
            name: "proctor_workload_cpu_throttled_seconds",
            kind: Kind::Counter,
            unit: Some("seconds"),
            help: "Time the workload's cgroup was throttled by its CPU quota",
        },
        Conv::Nanos,
    ),
];

const SOCKETS: Family = Family {
    name: "proctor_workload_sockets",
    kind: Kind::Gauge,
    unit: None,
    help: "TCP sockets of the network namespace the workload owns, by state",
};
const SOCKET_STATES: [(WorkloadMetric, &str); 3] = [
    (WorkloadMetric::TcpEstablished, "established"),
    (WorkloadMetric::TcpCloseWait, "close_wait"),
    (WorkloadMetric::TcpListen, "listen"),
];

/// What the host families read from a scan.
type HostField = fn(&ScanInfo) -> Option<u64>;

const HOST: [(HostField, Family, Conv); 6] = [
    (
        |s| s.host.mem_total_kb,
        Family {
            name: "proctor_host_memory_total_bytes",
            kind: Kind::Gauge,
            unit: Some("bytes"),
            help: "MemTotal of the host",
        },
        Conv::Kib,
    ),
    (
        |s| s.host.mem_available_kb,
        Family {
            name: "proctor_host_memory_available_bytes",
            kind: Kind::Gauge,
            unit: Some("bytes"),
            help: "MemAvailable of the host",
        },
        Conv::Kib,
    ),
    (
        |s| s.host.swap_total_kb,
        Family {
            name: "proctor_host_swap_total_bytes",
            kind: Kind::Gauge,
            unit: Some("bytes"),
            help: "SwapTotal of the host",
        },
        Conv::Kib,
    ),
    (
        |s| s.host.swap_free_kb,
        Family {
            name: "proctor_host_swap_free_bytes",
            kind: Kind::Gauge,
            unit: Some("bytes"),
            help: "SwapFree of the host",
        },
        Conv::Kib,
    ),
    (
        |s| s.host.load1_centi,
        Family {
            name: "proctor_host_load1",
            kind: Kind::Gauge,
            unit: None,
            help: "The host's 1-minute load average",
        },
        Conv::Centi,
    ),
    (
        |s| s.host.oom_kills,
        Family {
            name: "proctor_host_oom_kills",
            kind: Kind::Counter,
            unit: None,
            help: "OOM kills on the host since boot (vmstat oom_kill)",
        },
        Conv::Same,
    ),
];

fn family_head(out: &mut dyn Write, f: &Family) -> io::Result<()> {
    let kind = match f.kind {
        Kind::Gauge => "gauge",
        Kind::Counter => "counter",
    };
    writeln!(out, "# TYPE {} {kind}", f.name)?;
    if let Some(u) = f.unit {
        writeln!(out, "# UNIT {} {u}", f.name)?;
    }
    writeln!(out, "# HELP {} {}", f.name, f.help)
}

fn sample_name(f: &Family) -> String {
    match f.kind {
        Kind::Gauge => f.name.to_string(),
        Kind::Counter => format!("{}_total", f.name),
    }
}

/// Ticks per second of each scan's run.
fn ticks_of(h: &History) -> impl Fn(&ScanInfo) -> u64 + '_ {
    move |s| {
        h.runs
            .iter()
            .find(|r| r.id == s.run)
            .map_or(100, |r| r.info.clock_ticks)
    }
}

/// The label text of each process (`pid`, `start_ticks`, `comm`,
/// `workload`): the PID and its start time make a process's series its
/// own when a PID is reused.
fn process_labels(h: &History, p: &ProcessHistory) -> String {
    let pid = p.pid.to_string();
    let start = p.start_ticks.to_string();
    let comm = visible(&p.comm);
    let wl = workload_name(h, p.workload);
    om_labels(&[
        ("pid", &pid),
        ("start_ticks", &start),
        ("comm", &comm),
        ("workload", &wl),
    ])
}

/// Each process's label text, unique: a process with the same PID, start
/// time, name and workload as an earlier one (the same early daemon after
/// a reboot) gets `incarnation="2"` (3, ...), so that its samples are a
/// series of their own.
fn unique_process_labels(h: &History) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    h.processes
        .iter()
        .map(|p| {
            let l = process_labels(h, p);
            let n = seen.entry(l.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                l
            } else {
                format!("{},incarnation=\"{n}\"}}", &l[..l.len() - 1])
            }
        })
        .collect()
}

fn workload_name(h: &History, i: Option<usize>) -> String {
    i.and_then(|i| h.workloads.get(i))
        .map(|w| visible(w.key.name.as_bytes()))
        .unwrap_or_default()
}

/// The scans a series is written at: `first..=last`, each with its value
/// where it was read.
fn known<'a>(
    s: &'a Series,
    first: u32,
    last: u32,
    scans: &'a [ScanInfo],
) -> impl Iterator<Item = (&'a ScanInfo, u64)> {
    (first..=last).filter_map(move |i| {
        let scan = scans.get(i as usize)?;
        s.at(i).flatten().map(|v| (scan, v))
    })
}

/// The scans a workload lived in: from the first to the last sighting of
/// any of its processes (None: none seen in the window).
fn workload_spans(h: &History) -> Vec<Option<(u32, u32)>> {
    let mut spans = vec![None; h.workloads.len()];
    for p in &h.processes {
        if let Some(sp) = p.workload.and_then(|i| spans.get_mut(i)) {
            *sp = Some(match *sp {
                None => (p.first, p.last),
                Some((a, b)) => (p.first.min(a), p.last.max(b)),
            });
        }
    }
    spans
}

/// A workload's label pairs (values made visible).
type Pairs = Vec<(&'static str, String)>;

fn workload_labels(w: &WorkloadHistory) -> Pairs {
    let k = &w.key;
    [
        ("workload", &k.name),
        ("kind", &k.kind),
        ("namespace", &k.namespace),
        ("pod", &k.pod),
        ("container", &k.container),
        ("unit", &k.unit),
    ]
    .into_iter()
    .map(|(n, v)| (n, visible(v.as_bytes())))
    .collect()
}

/// Write the history as OpenMetrics text: one family at a time (`# TYPE`,
/// `# UNIT` where there is one, `# HELP`), each series' samples in time
/// order with their timestamps (seconds), then `# EOF`. Every process,
/// workload and host series of the window, at every scan where its subject
/// lived and its value was read (see the module's documentation). The
/// families and labels are listed in docs (`proctor_process_*{pid,
/// start_ticks, comm, workload}`, `proctor_workload_*{workload, kind,
/// namespace, pod, container, unit}`, `proctor_host_*`).
pub fn openmetrics(h: &History, out: &mut dyn Write) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let ticks = ticks_of(h);
    let labels = unique_process_labels(h);
    for (m, fam, conv) in &PROCESS {
        family_head(&mut out, fam)?;
        let name = sample_name(fam);
        for (p, l) in h.processes.iter().zip(&labels) {
            for (scan, v) in known(p.series(*m), p.first, p.last, &h.scans) {
                let v = value(v, *conv, ticks(scan));
                writeln!(out, "{name}{l} {v} {}", om_time(scan.t_ms))?;
            }
        }
    }
    om_workloads(h, &mut out)?;
    for (get, fam, conv) in &HOST {
        family_head(&mut out, fam)?;
        let name = sample_name(fam);
        for scan in &h.scans {
            if let Some(v) = get(scan) {
                let v = value(v, *conv, 100);
                writeln!(out, "{name} {v} {}", om_time(scan.t_ms))?;
            }
        }
    }
    writeln!(out, "# EOF")?;
    out.flush()
}

fn om_workloads(h: &History, out: &mut dyn Write) -> io::Result<()> {
    let spans = workload_spans(h);
    let with_counters: Vec<(&WorkloadHistory, (u32, u32), Pairs)> = h
        .workloads
        .iter()
        .zip(&spans)
        .filter(|(w, _)| !w.series.is_empty())
        .filter_map(|(w, sp)| sp.map(|sp| (w, sp, workload_labels(w))))
        .collect();
    let text = |l: &[(&'static str, String)], extra: Option<(&'static str, &str)>| {
        let mut pairs: Vec<(&str, &str)> = l.iter().map(|(k, v)| (*k, v.as_str())).collect();
        pairs.extend(extra);
        om_labels(&pairs)
    };
    for (m, fam, conv) in &WORKLOAD {
        family_head(out, fam)?;
        let name = sample_name(fam);
        for (w, (a, b), l) in &with_counters {
            let Some(s) = w.series(*m) else { continue };
            let l = text(l, None);
            for (scan, v) in known(s, *a, *b, &h.scans) {
                let v = value(v, *conv, 100);
                writeln!(out, "{name}{l} {v} {}", om_time(scan.t_ms))?;
            }
        }
    }
    family_head(out, &SOCKETS)?;
    for (w, (a, b), l) in &with_counters {
        for (m, state) in SOCKET_STATES {
            let Some(s) = w.series(m) else { continue };
            let l = text(l, Some(("state", state)));
            for (scan, v) in known(s, *a, *b, &h.scans) {
                writeln!(out, "{}{l} {v} {}", SOCKETS.name, om_time(scan.t_ms))?;
            }
        }
    }
    Ok(())
}

/// A CSV field per RFC 4180, with formula characters defused.
pub(crate) fn csv_field(s: &str, out: &mut String) {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || s.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in s.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

/// The CSV columns, in order.
pub fn csv_header() -> Vec<&'static str> {
    let mut h = vec![
        "time_utc",
        "unix_ms",
        "pid",
        "start_ticks",
        "comm",
        "workload",
    ];
    h.extend(ProcMetric::ALL.iter().map(|m| m.column()));
    h
}

/// `2026-12-05 03:00:10Z` (the time shown to people).
fn utc_seconds(ms: i64) -> String {
    let secs = u64::try_from(ms.div_euclid(1000)).unwrap_or(0);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    humantime::format_rfc3339_seconds(t)
        .to_string()
        .replacen('T', " ", 1)
}

/// Write the history as CSV: the header ([`csv_header`]: `time_utc`,
/// `unix_ms`, `pid`, `start_ticks`, `comm`, `workload`, then the store's
/// columns `state`, `rss_kb`, `fds`, `threads`, `cpu_ticks`, `switches`,
/// `read_bytes`, `write_bytes`, `fd_limit`), then one row per process per
/// scan it lived in, scan by scan (time order), processes in the order
/// they were first recorded. Values are as recorded (KiB, clock ticks;
/// `state` its letter); a value that could not be read is an empty cell.
/// Lines end with CRLF (RFC 4180).
pub fn csv(h: &History, out: &mut dyn Write) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    writeln!(out, "{}\r", csv_header().join(","))?;
    let fixed: Vec<String> = h
        .processes
        .iter()
        .map(|p| {
            let mut s = format!("{},{},", p.pid, p.start_ticks);
            csv_field(&visible(&p.comm), &mut s);
            s.push(',');
            csv_field(&workload_name(h, p.workload), &mut s);
            s
        })
        .collect();
    // Processes by first sighting: each scan walks only those begun.
    let mut order: Vec<usize> = (0..h.processes.len()).collect();
    order.sort_by_key(|&i| h.processes[i].first);
    let mut row = String::new();
    for (i, scan) in h.scans.iter().enumerate() {
        let i = i as u32;
        let time = utc_seconds(scan.t_ms);
        let begun = order.partition_point(|&k| h.processes[k].first <= i);
        let mut alive: Vec<usize> = order[..begun]
            .iter()
            .copied()
            .filter(|&k| h.processes[k].last >= i)
            .collect();
        alive.sort_unstable();
        for k in alive {
            let p = &h.processes[k];
            row.clear();
            row.push_str(&time);
            row.push(',');
            row.push_str(&scan.t_ms.to_string());
            row.push(',');
            row.push_str(&fixed[k]);
            for m in ProcMetric::ALL {
                row.push(',');
                match (m, p.series(m).at(i).flatten()) {
                    (_, None) => {}
                    (ProcMetric::State, Some(v)) => match u8::try_from(v) {
                        Ok(c) if c.is_ascii_alphabetic() => row.push(char::from(c)),
                        _ => row.push_str(&v.to_string()),
                    },
                    (_, Some(v)) => row.push_str(&v.to_string()),
                }
            }
            row.push_str("\r\n");
            out.write_all(row.as_bytes())?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        let f = |s: &str| {
            let mut o = String::new();
            csv_field(s, &mut o);
            o
        };
        assert_eq!(f("nginx"), "nginx");
        assert_eq!(f("a,b"), "\"a,b\"");
        assert_eq!(f("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(f("l1\nl2"), "\"l1\nl2\"");
        assert_eq!(f("=cmd|' /C calc'!A0"), "\"'=cmd|' /C calc'!A0\"");
        assert_eq!(f("-1+2"), "\"'-1+2\"");
        assert_eq!(f(""), "");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            om_labels(&[("comm", "a\"b\\c\nd"), ("x", "")]),
            "{comm=\"a\\\"b\\\\c\\nd\",x=\"\"}"
        );
        // Controls are made visible first: the escape's backslash is then
        // escaped for the format.
        assert_eq!(visible(b"a\x1b\n\xff"), "a\\e\\n\u{fffd}");
    }

    #[test]
    fn times_and_values() {
        assert_eq!(om_time(1_796_439_610_000), "1796439610");
        assert_eq!(om_time(1_796_439_610_005), "1796439610.005");
        assert_eq!(om_time(-1), "-0.001");
        assert_eq!(value(3, Conv::Kib, 100), "3072");
        assert_eq!(value(250, Conv::Ticks, 100), "2.5");
        assert_eq!(value(1_500_000_000, Conv::Nanos, 100), "1.5");
        assert_eq!(value(u64::MAX, Conv::Kib, 100), u64::MAX.to_string());
        assert_eq!(utc_seconds(1_796_439_610_999), "2026-12-05 03:00:10Z");
    }

    /// An OpenMetrics label value read back (the format's three escapes).
    fn om_unescape(s: &str) -> String {
        let mut out = String::new();
        let mut it = s.chars();
        while let Some(c) = it.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match it.next() {
                Some('n') => out.push('\n'),
                Some(c) => out.push(c),
                None => out.push('\\'),
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 512,
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Any name: the label has no raw control character and reads back
        /// as the visible name; the CSV field parses back (the csv crate)
        /// as the visible name, a formula with its leading quote.
        #[test]
        fn any_name_round_trips(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..48)) {
            let v = visible(&b);
            let l = om_labels(&[("comm", &v)]);
            proptest::prop_assert!(!l.chars().any(char::is_control), "{l:?}");
            let inner = &l["{comm=\"".len()..l.len() - 2];
            proptest::prop_assert_eq!(om_unescape(inner), v.clone());
            let mut f = String::new();
            csv_field(&v, &mut f);
            f.push_str(",x\r\n");
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(f.as_bytes());
            let rec = r.records().next().expect("a record").expect("valid CSV");
            let want = if v.starts_with(['=', '+', '-', '@']) { format!("'{v}") } else { v.clone() };
            proptest::prop_assert_eq!(&rec[0], want.as_str());
            proptest::prop_assert_eq!(&rec[1], "x");
        }
    }
}
