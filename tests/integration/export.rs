//! Exports of a recorded history: a history written with the store's
//! `Recorder` (a leaking process in a pod, a process with a hostile name
//! that exits, its PID reused, values that could not be read, workload
//! and host counters) loaded back, exported as OpenMetrics (checked line
//! by line, then backfilled by the real `promtool tsdb create-blocks-from
//! openmetrics` and dumped: every series with its sample count) and as CSV
//! (parsed back with the `csv` crate: equal to the history). A live
//! `proctor record` of a child, exported and backfilled the same way.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use proctor::render::export;
use proctor::store::read::{Reader, Window};
use proctor::store::write::{Limits, Recorder};
use proctor::store::{
    Frame, History, HostValues, ProcFrame, ProcMetric, ProcValues, RunInfo, WorkloadFrame,
    WorkloadKey, WorkloadValues,
};

use crate::common::{self, TempDir};

const SCANS: i64 = 60;
const STEP_MS: i64 = 10_000;
const HOSTILE: &[u8] = b"a,b \"q\"\nc\x1b[2J\xff";

fn t0() -> i64 {
    // Two hours ago, on a whole second (promtool wants the past).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    (now - 2 * 3_600_000) / 1000 * 1000
}

fn pod() -> WorkloadKey {
    WorkloadKey {
        name: "shop/cart-7d9/app".into(),
        kind: "kubernetes".into(),
        namespace: "shop".into(),
        pod: "cart-7d9".into(),
        container: "app".into(),
        unit: String::new(),
        cgroup: "/kubepods/burstable/podX/abc".into(),
    }
}

/// Scan `i` of the scenario.
fn frame(t0: i64, i: i64) -> Frame {
    let n = i as u64;
    let mut procs = vec![ProcFrame {
        pid: 100,
        start_ticks: 5_000,
        ppid: 1,
        comm: b"leaky".to_vec(),
        workload: Some(0),
        values: ProcValues {
            state: Some(b'S'),
            rss_kb: Some(10_240 + 1_024 * n),
            fds: Some(10 + n),
            threads: Some(4),
            cpu_ticks: Some(25 * n),
            switches: Some(1000 + 3 * n),
            // Unreadable for scans 10..=20.
            read_bytes: (!(10..=20).contains(&i)).then_some(4096 * n),
            write_bytes: Some(0),
            fd_limit: Some(1024),
        },
        ..ProcFrame::default()
    }];
    if i <= 30 {
        procs.push(ProcFrame {
            pid: 200,
            start_ticks: 6_000,
            ppid: 1,
            comm: HOSTILE.to_vec(),
            values: ProcValues {
                state: Some(if i % 2 == 0 { b'R' } else { b'S' }),
                rss_kb: Some(2_048),
                fds: Some(3),
                threads: Some(1),
                ..ProcValues::default()
            },
            ..ProcFrame::default()
        });
    }
    if i >= 35 {
        procs.push(ProcFrame {
            pid: 200,
            start_ticks: 9_000,
            ppid: 1,
            comm: b"=SUM(A1)".to_vec(),
            values: ProcValues {
                rss_kb: Some(512),
                fds: Some(5),
                threads: Some(2),
                ..ProcValues::default()
            },
            ..ProcFrame::default()
        });
    }
    Frame {
        t_ms: t0 + i * STEP_MS,
        scan_us: 1_000,
        processes: procs,
        workloads: vec![WorkloadFrame {
            key: pod(),
            values: Some(WorkloadValues {
                memory_bytes: Some((20 + n) << 20),
                working_set_bytes: Some((15 + n) << 20),
                memory_limit_bytes: Some(256 << 20),
                oom_kills: Some(u64::from(i >= 50)),
                pids: Some(4),
                pids_max: Some(100),
                cpu_ns: Some(n * 250_000_000),
                throttled_ns: Some(0),
                tcp_established: Some(3 + n % 2),
                tcp_close_wait: Some(n),
                tcp_listen: Some(1),
            }),
        }],
        host: HostValues {
            mem_total_kb: Some(8 << 20),
            mem_available_kb: Some((4 << 20) - 1_024 * n),
            swap_total_kb: Some(0),
            swap_free_kb: Some(0),
            load1_centi: Some(150),
            oom_kills: Some(7),
        },
        ..Frame::default()
    }
}

fn recorded(dir: &TempDir) -> (PathBuf, History) {
    let path = dir.path().join("history.db");
    let t0 = t0();
    let mut r = Recorder::open(&path, Limits::default()).expect("open");
    r.begin_run(&RunInfo {
        started_ms: t0,
        host: "node1".into(),
        boot_id: "b1".into(),
        version: "test".into(),
        interval_ms: STEP_MS as u64,
        clock_ticks: 100,
        ..RunInfo::default()
    })
    .expect("run");
    for i in 0..SCANS {
        r.record(&frame(t0, i)).expect("record");
    }
    r.finish().expect("finish");
    drop(r);
    let h = Reader::open(&path).expect("read").load(&Window::default());
    assert!(h.damage.is_empty(), "{:?}", h.damage);
    assert_eq!(h.scans.len(), SCANS as usize);
    assert_eq!(h.processes.len(), 3);
    (path, h)
}

fn om_text(h: &History) -> String {
    let mut out = Vec::new();
    export::openmetrics(h, &mut out).expect("exported");
    String::from_utf8(out).expect("UTF-8")
}

/// A sample line: (name, labels as text, value, timestamp).
fn sample(line: &str) -> (String, String, f64, f64) {
    let (series, rest) = match line.find('{') {
        Some(_) => {
            let end = line.rfind("} ").expect("labels closed");
            (line[..end + 1].to_string(), &line[end + 2..])
        }
        None => {
            let sp = line.find(' ').expect("a value");
            (line[..sp].to_string(), &line[sp + 1..])
        }
    };
    let name = series.split('{').next().expect("name").to_string();
    let mut f = rest.split(' ');
    let v: f64 = f.next().expect("value").parse().expect("numeric value");
    let t: f64 = f.next().expect("timestamp").parse().expect("numeric time");
    assert!(f.next().is_none(), "{line}");
    (name, series, v, t)
}

/// The OpenMetrics rules this export must keep: families not interleaved,
/// each with TYPE (and UNIT as a suffix of its name) before its samples,
/// sample names of the family (`_total` for counters), each series'
/// timestamps increasing, `# EOF` last. Returns samples per series.
fn check_openmetrics(text: &str) -> BTreeMap<String, Vec<(f64, f64)>> {
    assert!(text.ends_with("# EOF\n"), "no EOF at the end");
    let mut families_seen = Vec::<String>::new();
    let mut family = String::new();
    let mut kind = String::new();
    let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut last_series = String::new();
    for line in text.lines() {
        if line == "# EOF" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, k) = rest.split_once(' ').expect("TYPE name kind");
            assert!(!families_seen.contains(&name.to_string()), "{name} twice");
            families_seen.push(name.to_string());
            family = name.to_string();
            kind = k.to_string();
            continue;
        }
        if let Some(rest) = line.strip_prefix("# UNIT ") {
            let (name, unit) = rest.split_once(' ').expect("UNIT name unit");
            assert_eq!(name, family);
            assert!(name.ends_with(&format!("_{unit}")), "{line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(rest.starts_with(&format!("{family} ")), "{line}");
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment {line}");
        let (name, labels, v, t) = sample(line);
        let want = if kind == "counter" {
            format!("{family}_total")
        } else {
            family.clone()
        };
        assert_eq!(name, want, "{line}");
        assert!(v.is_finite() && (kind != "counter" || v >= 0.0), "{line}");
        if labels != last_series {
            assert!(!series.contains_key(&labels), "series {labels} interleaved");
            last_series = labels.clone();
        }
        let s = series.entry(labels).or_default();
        if let Some(&(_, prev)) = s.last() {
            assert!(t > prev, "time not increasing: {line}");
        }
        s.push((v, t));
    }
    series
}

#[test]
fn openmetrics_has_every_series_at_every_scan() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("export-om");
    let (_, h) = recorded(&dir);
    let text = om_text(&h);
    let series = check_openmetrics(&text);
    let leaky = "{pid=\"100\",start_ticks=\"5000\",comm=\"leaky\",workload=\"shop/cart-7d9/app\"}";
    let rss = &series[&format!("proctor_process_rss_bytes{leaky}")];
    assert_eq!(rss.len(), SCANS as usize);
    assert_eq!(rss[0].0, 10_240.0 * 1024.0);
    assert_eq!(rss[59].0, (10_240.0 + 1_024.0 * 59.0) * 1024.0);
    assert_eq!(rss[1].1 - rss[0].1, 10.0, "10 s apart, in seconds");
    // 25 ticks a scan at 100 per second.
    let cpu = &series[&format!("proctor_process_cpu_seconds_total{leaky}")];
    assert_eq!(cpu[4].0, 1.0);
    // Unreadable at 11 scans: gaps, never zeros.
    let io = &series[&format!("proctor_process_io_read_bytes_total{leaky}")];
    assert_eq!(io.len(), SCANS as usize - 11);
    assert!(io.iter().all(|s| s.0 > 0.0 || s.1 == rss[0].1));
    // The hostile name: controls visible, then escaped for the format.
    let hostile = "{pid=\"200\",start_ticks=\"6000\",comm=\"a,b \\\"q\\\"\\\\nc\\\\e[2J\u{fffd}\",workload=\"\"}";
    assert_eq!(
        series[&format!("proctor_process_open_fds{hostile}")].len(),
        31
    );
    assert!(!text.contains('\x1b'));
    // The PID reused is a series of its own.
    let reused = "{pid=\"200\",start_ticks=\"9000\",comm=\"=SUM(A1)\",workload=\"\"}";
    assert_eq!(
        series[&format!("proctor_process_threads{reused}")].len(),
        25
    );
    // No CPU recorded for it: no series, not zeros.
    assert!(!series.contains_key(&format!("proctor_process_cpu_seconds_total{reused}")));
    let wl = "{workload=\"shop/cart-7d9/app\",kind=\"kubernetes\",namespace=\"shop\",pod=\"cart-7d9\",container=\"app\",unit=\"\"";
    let ws = &series[&format!("proctor_workload_memory_working_set_bytes{wl}}}")];
    assert_eq!(ws.len(), SCANS as usize);
    assert_eq!(ws[0].0, (15u64 << 20) as f64);
    let oom = &series[&format!("proctor_workload_oom_kills_total{wl}}}")];
    assert_eq!((oom[49].0, oom[50].0), (0.0, 1.0));
    assert_eq!(
        series[&format!("proctor_workload_sockets{wl},state=\"close_wait\"}}")][7].0,
        7.0
    );
    let avail = &series["proctor_host_memory_available_bytes"];
    assert_eq!(avail.len(), SCANS as usize);
    assert_eq!(avail[1].0, ((4u64 << 20) - 1_024) as f64 * 1024.0);
    assert_eq!(series["proctor_host_load1"][0].0, 1.5);
}

fn promtool() -> Option<PathBuf> {
    let p = common::which("promtool");
    common::require("promtool (Debian package prometheus)", p.is_some()).then(|| p.expect("found"))
}

fn run(cmd: &mut Command) -> Output {
    let o = common::run_bounded(cmd);
    assert!(
        o.status.success(),
        "{cmd:?}: {:?}\n{}{}",
        o.status,
        common::stdout(&o),
        common::stderr(&o)
    );
    o
}

/// Backfill `om` into a new TSDB under `dir` and dump it: samples per
/// series (the dump's label sets, as promtool prints them).
fn backfill(promtool: &Path, om: &Path, dir: &Path) -> HashMap<String, usize> {
    let tsdb = dir.join("tsdb");
    run(Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(om)
        .arg(&tsdb));
    let blocks: Vec<_> = std::fs::read_dir(&tsdb)
        .expect("tsdb dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("meta.json").is_file())
        .collect();
    assert!(!blocks.is_empty(), "no block made in {tsdb:?}");
    // promtool 2.42's dump opens the TSDB read-only and wants its WAL
    // directory, which backfilling does not make.
    std::fs::create_dir_all(tsdb.join("wal")).expect("wal dir");
    let o = run(Command::new(promtool)
        .args(["tsdb", "dump", "--min-time=0"])
        .arg(&tsdb));
    let mut per = HashMap::new();
    for line in common::stdout(&o).lines() {
        // `{labels} value timestamp`
        let end = line.rfind("} ").expect("dump line");
        *per.entry(line[..end + 1].to_string()).or_insert(0) += 1;
    }
    per
}

#[test]
fn openmetrics_backfills_with_promtool() {
    let _timing = crate::common::heavy();
    let Some(promtool) = promtool() else { return };
    let dir = TempDir::new("export-promtool");
    let (_, h) = recorded(&dir);
    let om = dir.path().join("history.om");
    std::fs::write(&om, om_text(&h)).expect("write");
    let per = backfill(&promtool, &om, dir.path());
    let count = |name: &str, needle: &str| -> usize {
        per.iter()
            .filter(|(k, _)| k.contains(&format!("__name__=\"{name}\"")) && k.contains(needle))
            .map(|(_, n)| *n)
            .sum()
    };
    assert_eq!(
        count("proctor_process_rss_bytes", "pid=\"100\""),
        SCANS as usize
    );
    assert_eq!(
        count("proctor_process_open_fds", "start_ticks=\"6000\""),
        31
    );
    assert_eq!(
        count("proctor_process_open_fds", "start_ticks=\"9000\""),
        25
    );
    assert_eq!(
        count("proctor_process_io_read_bytes_total", "pid=\"100\""),
        49
    );
    assert_eq!(
        count("proctor_workload_sockets", "state=\"listen\""),
        SCANS as usize
    );
    assert_eq!(count("proctor_host_oom_kills_total", ""), SCANS as usize);
    // Every series of the text made it into the TSDB with all its samples.
    let total: usize = check_openmetrics(&om_text(&h)).values().map(Vec::len).sum();
    assert_eq!(per.values().sum::<usize>(), total);
}

/// CSV rows by (pid, start_ticks, unix_ms).
type Rows = BTreeMap<(i32, u64, i64), csv::StringRecord>;

/// The CSV parsed back: the header and the rows.
fn parse_csv(text: &str) -> (Vec<String>, Rows) {
    let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let mut rows = BTreeMap::new();
    let mut last_t = i64::MIN;
    for rec in r.records() {
        let rec = rec.expect("a valid CSV record");
        assert_eq!(rec.len(), header.len());
        let t: i64 = rec[1].parse().expect("unix_ms");
        assert!(t >= last_t, "rows in time order");
        last_t = t;
        let key = (
            rec[2].parse().expect("pid"),
            rec[3].parse().expect("start"),
            t,
        );
        assert!(
            rows.insert(key, rec).is_none(),
            "one row per process per scan"
        );
    }
    (header, rows)
}

#[test]
fn csv_parses_back_to_the_history() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("export-csv");
    let (_, h) = recorded(&dir);
    let mut out = Vec::new();
    export::csv(&h, &mut out).expect("exported");
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(text.starts_with("time_utc,unix_ms,pid,start_ticks,comm,workload,state,rss_kb,fds,threads,cpu_ticks,switches,read_bytes,write_bytes,fd_limit\r\n"));
    assert!(!text.contains('\x1b'));
    let (header, rows) = parse_csv(&text);
    assert_eq!(rows.len(), 60 + 31 + 25);
    let mut checked = 0;
    for p in &h.processes {
        for i in p.first..=p.last {
            let t = h.scans[i as usize].t_ms;
            let row = &rows[&(p.pid, p.start_ticks, t)];
            for (c, m) in ProcMetric::ALL.iter().enumerate() {
                let cell = &row[6 + c];
                let want = match (m, p.series(*m).at(i).flatten()) {
                    (_, None) => String::new(),
                    (ProcMetric::State, Some(v)) => char::from(v as u8).to_string(),
                    (_, Some(v)) => v.to_string(),
                };
                assert_eq!(cell, want, "{} at {t}: {}", p.pid, header[6 + c]);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, (60 + 31 + 25) * ProcMetric::ALL.len());
    // The hostile name: comma, quote kept (quoted per RFC 4180), newline
    // and ESC made visible, invalid UTF-8 replaced.
    let hostile = &rows[&(200, 6_000, h.scans[0].t_ms)];
    assert_eq!(&hostile[4], "a,b \"q\"\\nc\\e[2J\u{fffd}");
    assert_eq!(&hostile[5], "");
    assert_eq!(&hostile[6], "R");
    // A formula is defused, the workload named, unknowns empty, the time
    // in UTC.
    let formula = &rows[&(200, 9_000, h.scans[40].t_ms)];
    assert_eq!(&formula[4], "'=SUM(A1)");
    assert_eq!(&formula[10], "", "cpu_ticks never recorded");
    let leaky = &rows[&(100, 5_000, h.scans[15].t_ms)];
    assert_eq!(&leaky[5], "shop/cart-7d9/app");
    assert_eq!(&leaky[12], "", "read_bytes unreadable");
    assert_eq!(&leaky[13], "0", "write_bytes a real zero");
    let secs = h.scans[15].t_ms / 1000;
    let want =
        humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(secs as u64))
            .to_string()
            .replace('T', " ");
    assert_eq!(&leaky[0], want);
}

#[test]
fn an_empty_history_exports_cleanly() {
    let _timing = crate::common::heavy();
    let h = History::default();
    let mut om = Vec::new();
    export::openmetrics(&h, &mut om).expect("om");
    let text = String::from_utf8(om).expect("utf-8");
    assert!(check_openmetrics(&text).is_empty());
    let mut csv = Vec::new();
    export::csv(&h, &mut csv).expect("csv");
    assert_eq!(
        csv.iter().filter(|&&b| b == b'\n').count(),
        1,
        "the header only"
    );
}

#[test]
fn a_live_recording_exports_and_backfills() {
    let _timing = crate::common::heavy();
    let Some(promtool) = promtool() else { return };
    // The child in a memory cgroup of its own (dropped after the child).
    let Some(cg) = common::MemCgroupV1::own("export-live") else {
        return;
    };
    let dir = TempDir::new("export-live");
    let db = dir.path().join("live.db");
    let (child, _) = common::spawn_ready(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && echo ready && exec sleep 60"])
            .arg(cg.procs()),
    );
    let pid = child.pid().to_string();
    let o = common::run_bounded(&mut common::proctor_cmd([
        "record",
        "-o",
        db.to_str().expect("utf-8"),
        "--interval",
        "250ms",
        "--duration",
        "3s",
        &pid,
    ]));
    assert!(o.status.success(), "record: {}", common::stderr(&o));
    let h = Reader::open(&db).expect("open").load(&Window::default());
    assert!(h.damage.is_empty(), "{:?}", h.damage);
    let p = h
        .processes
        .iter()
        .find(|p| p.pid == child.pid())
        .expect("the child recorded");
    let lived = (p.last - p.first + 1) as usize;
    // 12 scans when the machine keeps up; under load fewer, and what
    // follows holds for any number.
    assert!(lived >= 2, "{lived} scans");
    let om = dir.path().join("live.om");
    std::fs::write(&om, om_text(&h)).expect("write");
    let per = backfill(&promtool, &om, dir.path());
    let fds: Vec<usize> = per
        .iter()
        .filter(|(k, _)| {
            k.contains("__name__=\"proctor_process_open_fds\"")
                && k.contains(&format!("pid=\"{pid}\""))
        })
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(fds, vec![lived], "the child's descriptors at every scan");
    let mut csv = Vec::new();
    export::csv(&h, &mut csv).expect("csv");
    let (_, rows) = parse_csv(&String::from_utf8(csv).expect("utf-8"));
    let mine: Vec<_> = rows.iter().filter(|(k, _)| k.0 == child.pid()).collect();
    assert_eq!(mine.len(), lived);
    // Its workload (the recorder's grouping: here its name, as a cgroup
    // outside any known layout is no workload of its own) in both exports.
    let wl = mine[0].1[5].to_string();
    assert_eq!(wl, "sleep");
    assert!(
        per.keys()
            .any(|k| k.contains(&format!("workload=\"{wl}\"")))
    );
    drop(child);
    drop(cg);
}

#[test]
fn the_same_process_after_a_reboot_is_a_series_of_its_own() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("export-reboot");
    let path = dir.path().join("h.db");
    let t0 = t0();
    let mut r = Recorder::open(&path, Limits::default()).expect("open");
    for (run, boot) in ["b1", "b2"].iter().enumerate() {
        r.begin_run(&RunInfo {
            started_ms: t0 + run as i64 * 600_000,
            boot_id: (*boot).into(),
            clock_ticks: 100,
            ..RunInfo::default()
        })
        .expect("run");
        for i in 0..5 {
            let mut f = frame(t0 + run as i64 * 600_000, i);
            f.processes.truncate(1);
            r.record(&f).expect("record");
        }
        r.finish().expect("finish");
    }
    drop(r);
    let h = Reader::open(&path).expect("read").load(&Window::default());
    assert_eq!(h.processes.len(), 2, "one process per boot");
    let text = om_text(&h);
    let series = check_openmetrics(&text);
    let first = "{pid=\"100\",start_ticks=\"5000\",comm=\"leaky\",workload=\"shop/cart-7d9/app\"}";
    let second = "{pid=\"100\",start_ticks=\"5000\",comm=\"leaky\",workload=\"shop/cart-7d9/app\",incarnation=\"2\"}";
    assert_eq!(series[&format!("proctor_process_threads{first}")].len(), 5);
    assert_eq!(series[&format!("proctor_process_threads{second}")].len(), 5);
    if let Some(promtool) = promtool() {
        let om = dir.path().join("h.om");
        std::fs::write(&om, &text).expect("write");
        let per = backfill(&promtool, &om, dir.path());
        let total: usize = series.values().map(Vec::len).sum();
        assert_eq!(per.values().sum::<usize>(), total);
    }
}

/// The plot's points from the same history, and the picture drawn from
/// them: the recorded units converted, unreadable scans left out.
#[test]
fn plot_points_from_the_history() {
    let _timing = crate::common::heavy();
    use proctor::render::plot::{self, Plot, PlotSeries};
    use proctor::store::WorkloadMetric;
    let dir = TempDir::new("export-plot");
    let (_, h) = recorded(&dir);
    let leaky = h.processes.iter().find(|p| p.pid == 100).expect("leaky");
    let rss = plot::process_points(leaky, &h.scans, ProcMetric::Rss, 100);
    assert_eq!(rss.len(), SCANS as usize);
    assert_eq!(
        rss[3],
        (h.scans[3].t_ms, (10_240.0 + 3.0 * 1_024.0) * 1024.0)
    );
    let cpu = plot::process_points(leaky, &h.scans, ProcMetric::Cpu, 100);
    assert_eq!(cpu[8].1, 2.0);
    let io = plot::process_points(leaky, &h.scans, ProcMetric::ReadBytes, 100);
    assert_eq!(io.len(), SCANS as usize - 11);
    let gone = h
        .processes
        .iter()
        .find(|p| p.start_ticks == 6_000)
        .expect("gone");
    assert_eq!(
        plot::process_points(gone, &h.scans, ProcMetric::Fds, 100).len(),
        31
    );
    let wl = &h.workloads[leaky.workload.expect("in the pod")];
    let ws = plot::workload_points(wl, &h.scans, WorkloadMetric::WorkingSet);
    assert_eq!(ws.len(), SCANS as usize);
    assert_eq!(ws[0].1, (15u64 << 20) as f64);
    let cpu = plot::workload_points(wl, &h.scans, WorkloadMetric::Cpu);
    assert_eq!(cpu[4].1, 1.0);

    let mut s = PlotSeries::new(
        format!("{} {}", leaky.pid, plot::label(&leaky.comm)),
        rss.clone(),
    );
    s.limit = Some((256u64 << 20) as f64);
    let mut hostile = PlotSeries::new(
        format!("{} {}", gone.pid, plot::label(&gone.comm)),
        plot::process_points(gone, &h.scans, ProcMetric::Rss, 100),
    );
    hostile.trend = None;
    let out = dir.path().join("rss.svg");
    plot::draw(
        &Plot {
            title: "resident memory".into(),
            y_label: "bytes".into(),
            series: vec![s, hostile],
        },
        &out,
    )
    .expect("drawn");
    let text = std::fs::read_to_string(&out).expect("svg");
    let doc = roxmltree::Document::parse(&text).expect("XML");
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().trim().to_string())
        .collect();
    assert!(texts.iter().any(|t| t == "100 leaky"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t == "200 a,b \"q\"\\nc\\e[2J\u{fffd}"),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "limit 256 MiB"), "{texts:?}");
}
