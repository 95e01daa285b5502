//! `proctor report` on histories: a live recording of two leaking
//! children (descriptors, memory) and a steady one (`proctor record` at
//! 250 ms for 30 s, each child in a memory cgroup of its own), a deterministic history written through
//! `store::write::Recorder` from synthetic frames (the snapshot of the
//! text report; `--since`, `--until`, `--pid`, `--workload`; hostile
//! names), and damaged copies of it (truncated, pages overwritten): read
//! as far as they go, said, exit 3, never a panic.

use std::io::{Seek, SeekFrom, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use proctor::store::write::{Limits, Recorder};
use proctor::store::{
    Frame, HostValues, OomEvent, ProcFrame, ProcValues, RunInfo, WorkloadFrame, WorkloadKey,
    WorkloadValues,
};
use serde_json::Value;

use crate::common::{
    CgroupV1, Reaped, TempDir, bin, json, output_within, proctor, stderr, stdout, temp_str,
    wait_until, without_overrides,
};

/// 2026-12-05 03:00:00Z.
const T0: i64 = 1_796_439_600_000;
const INTERVAL_MS: i64 = 10_000;
const SCANS: u32 = 180;
const MIB: u64 = 1 << 20;

fn workload(name: &str, kind: &str, cgroup: &str) -> WorkloadKey {
    WorkloadKey {
        name: name.into(),
        kind: kind.into(),
        unit: if kind == "systemd_unit" {
            name.into()
        } else {
            String::new()
        },
        cgroup: cgroup.into(),
        ..WorkloadKey::default()
    }
}

/// The workloads of every frame, in this order.
fn workloads() -> Vec<WorkloadKey> {
    vec![
        workload("web.service", "systemd_unit", "/system.slice/web.service"),
        workload(
            "batch.service",
            "systemd_unit",
            "/system.slice/batch.service",
        ),
        workload("cron.service", "systemd_unit", "/system.slice/cron.service"),
        workload(
            "evil\u{1b}]0;pwned\u{7}.service",
            "systemd_unit",
            "/evil\u{1b}[2J",
        ),
        workload("threader", "name", ""),
    ]
}

fn proc_frame(pid: i32, comm: &[u8], workload: usize, values: ProcValues) -> ProcFrame {
    ProcFrame {
        pid,
        // One life per PID here.
        start_ticks: 1000 + pid as u64,
        ppid: 1,
        uid: Some(0),
        comm: comm.to_vec(),
        cmdline: [comm, b" --serve"].concat(),
        kernel_thread: false,
        workload: Some(workload),
        values,
    }
}

fn values(rss_mib: u64, fds: u64, threads: u64, cpu: u64, io: u64) -> ProcValues {
    ProcValues {
        state: Some(b'S'),
        rss_kb: Some(rss_mib * 1024),
        fds: Some(fds),
        threads: Some(threads),
        cpu_ticks: Some(cpu),
        switches: Some(io * 7),
        read_bytes: Some(io * MIB),
        write_bytes: Some(io * 2 * MIB),
        fd_limit: Some(1024),
    }
}

/// The processes at scan `i`. `problems`: the api leaks descriptors, the
/// worker memory until it is OOM-killed at scan 90 (and restarts at 93),
/// the threader threads; else all steady.
fn processes(i: u32, problems: bool, fillers: usize) -> Vec<ProcFrame> {
    let n = u64::from(i);
    let mut v = Vec::new();
    let api_fds = if problems { 50 + n } else { 50 + n % 3 };
    v.push(proc_frame(
        100,
        b"api",
        0,
        values(300, api_fds, 20, 30 * n, n),
    ));
    v.push(proc_frame(
        200,
        b"db",
        0,
        values(800 + n % 2, 200 + n % 3, 40, 80 * n, 5 * n),
    ));
    if !problems || i <= 90 {
        let rss = if problems { 100 + 2 * n } else { 100 };
        v.push(proc_frame(300, b"worker", 1, values(rss, 12, 4, 10 * n, 0)));
    }
    if problems && i >= 93 {
        v.push(proc_frame(
            301,
            b"worker",
            1,
            values(100, 12, 4, 10 * (n - 93), 0),
        ));
    }
    // A backup job every 5 minutes, 20 s long.
    if i % 30 >= 5 && i % 30 <= 6 {
        let pid = 400 + (i / 30) as i32;
        v.push(proc_frame(pid, b"backup", 2, values(20, 8, 1, 50, 30)));
    }
    v.push(proc_frame(
        500,
        b"evil\x1b[31mred\x07",
        3,
        values(10, 150, 2, n, 0),
    ));
    let threads = if problems { 10 + n / 6 } else { 10 };
    v.push(proc_frame(
        600,
        b"threader",
        4,
        values(30, 9, threads, 2 * n, 0),
    ));
    // Small busy processes: a row each per scan (a file of many pages).
    for k in 0..fillers {
        let pid = 1000 + k as i32;
        v.push(proc_frame(pid, b"filler", 4, values(1, 3, 1, n, 0)));
    }
    v
}

fn workload_values(i: u32, k: usize, problems: bool) -> Option<WorkloadValues> {
    let n = u64::from(i);
    let (mem, limit, pids, pids_max) = match k {
        0 => (1100 * MIB, Some(4096 * MIB), 60 + n % 3, Some(512)),
        1 if problems && i <= 90 => ((120 + 2 * n) * MIB, Some(320 * MIB), 4, None),
        1 => (120 * MIB, Some(320 * MIB), 4, None),
        2 => (20 * MIB, None, 1, None),
        3 => (10 * MIB, None, 2, None),
        _ => return None,
    };
    Some(WorkloadValues {
        memory_bytes: Some(mem),
        working_set_bytes: Some(mem),
        memory_limit_bytes: limit,
        oom_kills: Some(u64::from(problems && i > 90)),
        pids: Some(pids),
        pids_max,
        cpu_ns: Some(n * 1_000_000_000),
        ..WorkloadValues::default()
    })
}

fn kill() -> OomEvent {
    OomEvent {
        t_ms: T0 + 90 * INTERVAL_MS + 4_000,
        seq: 7,
        boot_id: "boot-1".into(),
        pid: Some(300),
        comm: b"worker".to_vec(),
        uid: Some(0),
        constraint: "memcg".into(),
        oom_memcg: b"/system.slice/batch.service".to_vec(),
        task_memcg: b"/system.slice/batch.service".to_vec(),
        total_vm_kb: Some(400 * 1024),
        anon_rss_kb: Some(279 * 1024),
        file_rss_kb: Some(1024),
        shmem_rss_kb: Some(0),
        usage_kb: Some(320 * 1024),
        limit_kb: Some(320 * 1024),
    }
}

/// Scan `i`'s time: every 10 s, with the recorder stalled for 5 minutes
/// after scan 119.
fn scan_time(i: u32) -> i64 {
    T0 + i64::from(i) * INTERVAL_MS + if i >= 120 { 300_000 } else { 0 }
}

/// A deterministic history: 180 scans, 10 s apart, one run (with
/// `fillers` more processes whose CPU time changes at every scan).
pub(crate) fn build(path: &Path, problems: bool, fillers: usize) {
    let mut rec = Recorder::open(path, Limits::default()).expect("open recorder");
    rec.begin_run(&RunInfo {
        started_ms: T0,
        host: "node-7".into(),
        boot_id: "boot-1".into(),
        kernel: "6.18.0-test".into(),
        version: "test".into(),
        interval_ms: INTERVAL_MS as u64,
        targets: String::new(),
        clock_ticks: 100,
        boot_time_s: Some((T0 / 1000 - 86_400) as u64),
    })
    .expect("begin run");
    let keys = workloads();
    for i in 0..SCANS {
        let frame = Frame {
            t_ms: scan_time(i),
            scan_us: 1500,
            processes: processes(i, problems, fillers),
            workloads: keys
                .iter()
                .enumerate()
                .map(|(k, key)| WorkloadFrame {
                    key: key.clone(),
                    values: workload_values(i, k, problems),
                })
                .collect(),
            exited: 0,
            unreadable: 0,
            host: HostValues {
                mem_total_kb: Some(16 * 1024 * 1024),
                mem_available_kb: Some(8 * 1024 * 1024),
                ..HostValues::default()
            },
            ooms: if problems && i == 91 {
                vec![kill()]
            } else {
                Vec::new()
            },
            still_alive: Vec::new(),
        };
        rec.record(&frame).expect("record frame");
    }
    rec.finish().expect("finish");
}

fn report(file: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["report", file.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    proctor(&args)
}

fn code(o: &std::process::Output) -> Option<i32> {
    o.status.code()
}

#[test]
fn snapshot_of_a_synthetic_history() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("report-snap");
    let file = dir.path().join("history.db");
    build(&file, true, 0);
    let o = report(&file, &[]);
    let text = format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        code(&o),
        stdout(&o),
        stderr(&o)
    )
    .replace(temp_str(&dir), "[DIR]");
    insta::assert_snapshot!("report_synthetic", text);
    // Nothing a process named reaches the terminal raw.
    assert!(!stdout(&o).contains('\u{1b}') && !stdout(&o).contains('\u{7}'));
    assert_eq!(code(&o), Some(1), "{}", stderr(&o));
    // The JSON's field names are pinned too (scripts read them).
    let o = report(&file, &["--json"]);
    insta::assert_snapshot!(
        "report_synthetic__json",
        stdout(&o).replace(temp_str(&dir), "[DIR]")
    );
}

fn leak_subjects(v: &Value) -> Vec<(String, Value, String)> {
    v["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let s = &l["subject"];
            (
                l["verdict"].as_str().unwrap().to_string(),
                s.get("pid").cloned().unwrap_or_else(|| s["name"].clone()),
                l["metric"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_synthetic_history_in_json_and_selected() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("report-select");
    let file = dir.path().join("history.db");
    build(&file, true, 0);
    let all = report(&file, &["--json"]);
    assert_eq!(code(&all), Some(1), "{}", stderr(&all));
    // Hostile names are escaped in JSON too (never a raw control byte).
    assert!(!all.stdout.iter().any(|&b| b == 0x1b || b == 0x07));
    assert!(
        stdout(&all).contains(r"evil\u001b[31mred\u0007"),
        "{}",
        stdout(&all)
    );
    let v = json(&all);
    let leaks = leak_subjects(&v);
    assert!(
        leaks.contains(&("leak".into(), 100.into(), "fds".into())),
        "{leaks:?}"
    );
    assert!(
        leaks.contains(&("leak".into(), 600.into(), "threads".into())),
        "{leaks:?}"
    );
    assert!(
        leaks.contains(&("leak".into(), 300.into(), "rss".into())),
        "{leaks:?}"
    );
    // No steady process is flagged.
    for (_, who, _) in &leaks {
        assert!(
            ![200, 301, 500].contains(&who.as_i64().unwrap_or(0)),
            "{leaks:?}"
        );
    }
    // The api: 0.1 descriptor a second, 1024 - 229 left at the end.
    let api = v["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["subject"]["pid"] == 100)
        .unwrap();
    let rate = api["rate_per_second"].as_f64().unwrap();
    assert!((rate - 0.1).abs() < 0.01, "{rate}");
    assert_eq!(api["limit"]["value"], 1024);
    assert_eq!(api["limit"]["headroom"], 1024 - 229);
    let kill = &v["oom_kills"][0];
    assert_eq!(kill["victim"]["process"]["pid"], 300);
    assert_eq!(kill["victim"]["rss_bytes"], 280 * MIB);
    let rss_rate = kill["victim"]["rss_bytes_per_second"].as_f64().unwrap();
    assert!(
        (rss_rate - 2.0 * MIB as f64 / 10.0).abs() < 1.0,
        "{rss_rate}"
    );
    assert_eq!(kill["workload"]["limit_bytes"], 320 * MIB);
    assert_eq!(v["came_and_went"]["restarts"][0]["last_pids"][0], 301);
    assert_eq!(v["came_and_went"]["gaps"][0]["seconds"], 310.0);
    assert_eq!(v["came_and_went"]["short_lived"], 6);

    // --pid: that PID's lives only.
    let v = json(&report(&file, &["--pid", "300", "--json"]));
    assert_eq!(v["window"]["processes"], 1);
    assert_eq!(v["top"]["rss"][0]["process"]["pid"], 300);
    assert_eq!(v["oom_kills"][0]["victim"]["process"]["pid"], 300);
    // Another PID: not the worker's kill.
    let v = json(&report(&file, &["--pid", "100", "--json"]));
    assert_eq!(v["oom_kills"], Value::Array(Vec::new()));
    assert_eq!(v["window"]["pid"], 100);
    let v = json(&report(&file, &["--workload", "web", "--json"]));
    assert_eq!(v["oom_kills"], Value::Array(Vec::new()));
    // --workload: a substring of its name.
    let v = json(&report(&file, &["--workload", "batch", "--json"]));
    let pids: Vec<&Value> = v["top"]["rss"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["process"]["pid"])
        .collect();
    assert_eq!(pids, [&Value::from(300), &Value::from(301)]);
    assert_eq!(v["oom_kills"][0]["pid"], 300);
    // --until a minute in: 7 scans, too few to judge anything.
    let o = report(&file, &["--until", "@1796439660", "--json"]);
    let v = json(&o);
    assert_eq!(v["window"]["scans"], 7);
    assert_eq!(v["window"]["last_scan"]["unix_ms"], T0 + 60_000);
    assert_eq!(v["leaks"], Value::Array(Vec::new()));
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    // --since a date and time (UTC), and a duration back from the end.
    let v = json(&report(&file, &["--since", "2026-12-05 03:25", "--json"]));
    assert_eq!(v["window"]["first_scan"]["time"], "2026-12-05T03:25:00Z");
    let v = json(&report(&file, &["--since", "2m", "--json"]));
    assert_eq!(v["window"]["scans"], 13);

    // Windows that select nothing: one line, a hint, exit 2.
    for (args, needle) in [
        (
            &["--since", "@1", "--until", "@2"][..],
            "no scan recorded between",
        ),
        (&["--pid", "99999"][..], "no process with PID 99999"),
        (&["--since", "2m", "--until", "3m"][..], "is after --until"),
        (
            &["--workload", "nosuch"][..],
            "no process of a workload matching",
        ),
    ] {
        let o = report(&file, args);
        assert_eq!(code(&o), Some(2), "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("hint:"), "{}", stderr(&o));
    }
    let o = report(&dir.path().join("missing.db"), &[]);
    assert_eq!(code(&o), Some(2));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
}

/// A copy of `src` with `f` applied to its bytes.
fn damaged_copy(src: &Path, dst: &Path, f: impl FnOnce(&mut std::fs::File, u64)) {
    std::fs::copy(src, dst).expect("copy");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(dst)
        .expect("open copy");
    let len = file.metadata().unwrap().len();
    f(&mut file, len);
}

#[test]
fn damaged_copies_are_read_as_far_as_they_go() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("report-damage");
    let file = dir.path().join("history.db");
    build(&file, false, 60);
    let whole = report(&file, &["--json"]);
    assert_eq!(code(&whole), Some(0), "{}", stderr(&whole));
    assert_eq!(json(&whole)["damage"], Value::Array(Vec::new()));

    let truncated = dir.path().join("truncated.db");
    damaged_copy(&file, &truncated, |f, len| f.set_len(len * 7 / 10).unwrap());
    let overwritten = dir.path().join("overwritten.db");
    damaged_copy(&file, &overwritten, |f, len| {
        // Garbage over pages in the middle of the file (4 KiB pages).
        let mut x: u32 = 12345;
        for page in [len / 4096 / 2, len / 4096 / 2 + 3, len / 4096 * 3 / 4] {
            let junk: Vec<u8> = (0..4096)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            f.seek(SeekFrom::Start(page * 4096)).unwrap();
            f.write_all(&junk).unwrap();
        }
    });
    for bad in [&truncated, &overwritten] {
        let o = report(bad, &[]);
        let what = bad.display().to_string();
        assert!(!stderr(&o).contains("panicked"), "{what}: {}", stderr(&o));
        assert_eq!(code(&o), Some(3), "{what}: {}{}", stdout(&o), stderr(&o));
        assert!(
            stdout(&o).contains("could not read"),
            "{what}: {}",
            stdout(&o)
        );
        assert!(stdout(&o).contains("the file is damaged"), "{}", stdout(&o));
        let v = json(&report(bad, &["--json"]));
        assert_eq!(v["incomplete"], true, "{what}");
        assert!(!v["damage"].as_array().unwrap().is_empty(), "{what}");
        // What could be read is there.
        assert!(v["window"]["scans"].as_u64().unwrap() > 0, "{what}: {v}");
    }
}

/// `proctor demo-child SCENARIO` started inside `cg` (a shell writes its
/// PID to cgroup.procs, then execs it); dies with the test.
fn demo_child(cg: &CgroupV1, scenario: &str) -> Reaped {
    Reaped::spawn(
        without_overrides(
            Command::new("sh")
                .args([
                    "-c",
                    "echo $$ > \"$0\" && exec \"$1\" demo-child \"$2\" --lifetime 90",
                ])
                .arg(cg.dir.join("cgroup.procs"))
                .arg(bin())
                .arg(scenario),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null()),
    )
}

#[test]
fn live_leaks_are_found_with_their_rates_and_a_steady_child_is_not() {
    let _timing = crate::common::timing_sensitive();
    let Some(leak_cg) = CgroupV1::new("memory", "report-leak", &[]) else {
        return;
    };
    let Some(steady_cg) = CgroupV1::new("memory", "report-steady", &[]) else {
        return;
    };
    let Some(mem_cg) = CgroupV1::new("memory", "report-memleak", &[]) else {
        return;
    };
    let leaky = demo_child(&leak_cg, "fd-leak");
    let steady = demo_child(&steady_cg, "steady");
    let grower = demo_child(&mem_cg, "memory-leak");
    for c in [&leaky, &steady, &grower] {
        let pid = c.pid();
        wait_until("the demo child execs", Duration::from_secs(10), || {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|b| b.windows(10).any(|w| w == b"demo-child"))
        });
    }
    let dir = TempDir::new("report-live");
    let file = dir.path().join("h.db");
    let (lp, sp, mp) = (
        leaky.pid().to_string(),
        steady.pid().to_string(),
        grower.pid().to_string(),
    );
    let mut rec = without_overrides(Command::new(bin()).args([
        "record",
        "-o",
        file.to_str().unwrap(),
        "--interval",
        "250ms",
        "--duration",
        "30s",
        &lp,
        &sp,
        &mp,
    ]))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn record");
    let o = output_within(&mut rec, Duration::from_secs(90), "record");
    assert_eq!(code(&o), Some(0), "record: {}", stderr(&o));
    drop((leaky, steady, grower));

    let o = report(&file, &["--json"]);
    assert_eq!(code(&o), Some(1), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    // 120 scans on an idle host; a loaded one scans late (fewer), which
    // the rate does not depend on (points are fed at their scan times).
    assert!(
        v["window"]["scans"].as_u64().unwrap() >= 30,
        "{}",
        v["window"]
    );
    assert!(
        v["window"]["seconds"].as_f64().unwrap() >= 25.0,
        "{}",
        v["window"]
    );
    let leaks = v["leaks"].as_array().unwrap();
    let found: Vec<&Value> = leaks
        .iter()
        .filter(|l| l["subject"]["pid"].as_i64() == lp.parse().ok() && l["metric"] == "fds")
        .collect();
    assert_eq!(found.len(), 1, "{leaks:?}");
    assert_eq!(found[0]["verdict"], "leak");
    // The child opens 5 descriptors a second.
    let rate = found[0]["rate_per_second"].as_f64().unwrap();
    assert!((rate - 5.0).abs() <= 5.0 * 0.25, "rate {rate}");
    assert!(found[0]["limit"]["seconds_to_limit"].as_f64().unwrap() > 0.0);
    // The memory child grows 4 MiB a second.
    let rss: Vec<&Value> = leaks
        .iter()
        .filter(|l| l["subject"]["pid"].as_i64() == mp.parse().ok() && l["metric"] == "rss")
        .collect();
    assert_eq!(rss.len(), 1, "{leaks:?}");
    assert_eq!(rss[0]["verdict"], "leak");
    assert_eq!(rss[0]["unit"], "bytes");
    let rate = rss[0]["rate_per_second"].as_f64().unwrap();
    let true_rate = 4.0 * 1_048_576.0;
    assert!(
        (rate - true_rate).abs() <= true_rate * 0.25,
        "rss rate {rate}"
    );
    for l in leaks.iter().chain(v["rising"].as_array().unwrap()) {
        assert_ne!(
            l["subject"]["pid"].as_i64(),
            sp.parse().ok(),
            "steady flagged: {l}"
        );
    }
}
