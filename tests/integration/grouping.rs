//! `doctor` groups its findings by workload: one heading per workload
//! (`k8s container api of pod payments/api-7d9 (...)`, `systemd unit ...`,
//! `cgroup ...`), the host's first under `Host`, the workloads ordered by
//! their most severe finding, most severe first inside; JSON keeps its flat
//! `findings` array, each finding with its `workload`. On a copy of the
//! `workloads` tree with problems planted (with `--pods-dir` for names, and
//! without), on the `cgroups` trees, and live: a process near the memory
//! limit of a kubepods-shaped v1 memory cgroup of the test's own.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{
    self, KubepodsCgroup, Reaped, TempDir, fixture, fixture_copy, json, proctor_at,
    replace_in_file, set_stat_field, stdout, wait_until,
};

/// The report's groups: each heading with the `id`s (and pids) of the
/// findings under it, in order.
fn groups(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let body = text
        .lines()
        .skip_while(|l| !l.is_empty())
        .take_while(|l| !l.starts_with("OOM kills in the last hour") && !l.starts_with("Checked"));
    for l in body {
        if l.is_empty() {
            continue;
        }
        if !l.starts_with(' ') {
            out.push((l.to_string(), Vec::new()));
            continue;
        }
        // `  LABEL  PID NAME  ID`: a finding's first line.
        if l.starts_with("  ") && !l.starts_with("   ") {
            let f: Vec<&str> = l.split_whitespace().collect();
            let last = out
                .last_mut()
                .unwrap_or_else(|| panic!("no heading before {l}:\n{text}"));
            last.1.push(format!("{} {}", f[1], f[f.len() - 1]));
        }
    }
    out
}

/// Set a process's thread count (stat field 20 and status `Threads:`).
fn threads(proc: &Path, pid: u32, n: u32) {
    set_stat_field(&proc.join(format!("{pid}/stat")), 20, &n.to_string());
    replace_in_file(
        &proc.join(format!("{pid}/status")),
        "Threads:\t4",
        &format!("Threads:\t{n}"),
    );
}

/// Give a process 20 descriptors against a soft limit of 20 (critical).
fn full_fds(proc: &Path, pid: u32) {
    let fd = proc.join(format!("{pid}/fd"));
    std::fs::create_dir(&fd).unwrap();
    for i in 0..20 {
        std::os::unix::fs::symlink("/dev/null", fd.join(i.to_string())).unwrap();
    }
    replace_in_file(
        &proc.join(format!("{pid}/limits")),
        "Max open files            20000                20000 ",
        "Max open files            20                   20    ",
    );
}

/// The workloads tree with problems planted: the host low on memory
/// (critical); 5001 (container api of payments/api-7d9) at its descriptor
/// limit (critical); 5010 (nginx.service) at its descriptor limit and
/// 1,500 threads; 5002 (container worker of payments/worker-5c4) 2,000
/// threads; 5016 (hostile names) 1,200 threads; 5007 (docker) 1,100
/// threads with its cgroup file gone (workload unknown).
fn planted() -> TempDir {
    let t = fixture_copy("workloads");
    let proc = t.path().join("proc");
    replace_in_file(
        &proc.join("meminfo"),
        "MemAvailable:   24315648 kB",
        "MemAvailable:     100000 kB",
    );
    full_fds(&proc, 5001);
    full_fds(&proc, 5010);
    threads(&proc, 5010, 1500);
    threads(&proc, 5002, 2000);
    threads(&proc, 5016, 1200);
    threads(&proc, 5007, 1100);
    std::fs::remove_file(proc.join("5007/cgroup")).unwrap();
    t
}

fn doctor_on(root: &Path, pods: &Path, json_out: bool) -> std::process::Output {
    let mut args = vec!["--pods-dir", pods.to_str().unwrap(), "doctor"];
    if json_out {
        args.push("--json");
    }
    proctor_at(root, &args)
}

#[test]
fn doctor_groups_findings_by_workload_on_the_workloads_tree() {
    let t = planted();
    let out = doctor_on(t.path(), &t.path().join("var/log/pods"), false);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    let s = |a: &[&str]| a.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
    let want = vec![
        ("Host".to_string(), s(&["host host.mem_available_low"])),
        (
            "k8s container api of pod payments/api-7d9 (burstable, 013f2a9c1b4d)".into(),
            s(&["5001 fds.near_limit"]),
        ),
        // Critical at worst: before the containers at warning, though its
        // PID is higher; its critical finding first.
        (
            "systemd unit nginx.service".into(),
            s(&["5010 fds.near_limit", "5010 threads.high"]),
        ),
        (
            "k8s container worker of pod payments/worker-5c4 (burstable, containerd 023f2a9c1b4d)"
                .into(),
            s(&["5002 threads.high"]),
        ),
        (
            "Workload unknown (its /proc/PID/cgroup was not read)".into(),
            s(&["5007 threads.high"]),
        ),
        // Names from the kubelet's directories, escaped.
        (
            "k8s container c\\e]0;t\\x07 of pod evil/pod\\e[31mred (guaranteed, 103f2a9c1b4d)"
                .into(),
            s(&["5016 threads.high"]),
        ),
    ];
    assert_eq!(groups(&text), want, "{text}");
    assert!(!out.stdout.contains(&0x1b), "raw ESC:\n{text}");
    // The finding's words stay under its heading, indented.
    assert!(
        text.contains(
            "\nsystemd unit nginx.service\n  CRITICAL  5010 python3.11  fds.near_limit\n            20 of 20 file descriptors in use"
        ),
        "{text}"
    );
}

#[test]
fn doctor_json_findings_carry_their_workload() {
    let t = planted();
    let out = doctor_on(t.path(), &t.path().join("var/log/pods"), true);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stdout.contains(&0x1b), "raw ESC in JSON");
    let v = json(&out);
    let f = v["findings"].as_array().expect("flat findings array");
    // Still flat and most severe first, as before the grouping.
    let ids: Vec<(Value, &str)> = f
        .iter()
        .map(|f| (f["pid"].clone(), f["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ids,
        vec![
            (5001.into(), "fds.near_limit"),
            (5010.into(), "fds.near_limit"),
            (Value::Null, "host.mem_available_low"),
            (5002.into(), "threads.high"),
            (5007.into(), "threads.high"),
            (5010.into(), "threads.high"),
            (5016.into(), "threads.high"),
        ]
    );
    let of = |pid: i64, id: &str| -> Value {
        f.iter()
            .find(|f| f["pid"] == pid && f["id"] == id)
            .unwrap_or_else(|| panic!("{pid} {id}"))["workload"]
            .clone()
    };
    let api = of(5001, "fds.near_limit");
    assert_eq!(api["kind"], "kubernetes");
    assert_eq!(api["namespace"], "payments");
    assert_eq!(api["pod"], "api-7d9");
    assert_eq!(api["container"], "api");
    assert_eq!(api["qos"], "burstable");
    assert_eq!(api["pod_uid"], "00000001-1f0b-4c7e-9a3d-5b6e7f8a9b0c");
    assert_eq!(
        api["cgroup"],
        "/kubepods/burstable/pod00000001-1f0b-4c7e-9a3d-5b6e7f8a9b0c/013f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7"
    );
    let worker = of(5002, "threads.high");
    assert_eq!(
        (&worker["pod"], &worker["container"], &worker["runtime"]),
        (&"worker-5c4".into(), &"worker".into(), &"containerd".into())
    );
    let nginx = of(5010, "threads.high");
    assert_eq!(nginx["kind"], "systemd_unit");
    assert_eq!(nginx["unit"], "nginx.service");
    assert_eq!(of(5010, "fds.near_limit"), nginx);
    assert_eq!(of(5016, "threads.high")["pod"], "pod\u{1b}[31mred");
    // Unknown is null, never a made-up workload; the host has none.
    assert_eq!(of(5007, "threads.high"), Value::Null);
    let host = f
        .iter()
        .find(|f| f["id"] == "host.mem_available_low")
        .unwrap();
    assert_eq!(host["workload"], Value::Null);
}

#[test]
fn without_the_kubelet_directories_headings_name_pods_by_uid() {
    let t = planted();
    let out = doctor_on(t.path(), &t.path().join("absent/pods"), false);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let heads: Vec<String> = groups(&text).into_iter().map(|g| g.0).collect();
    assert_eq!(
        heads[1],
        "k8s container ? of pod 00000001-1f0b-4c7e-9a3d-5b6e7f8a9b0c (burstable, 013f2a9c1b4d)",
        "{text}"
    );
    let v = json(&doctor_on(t.path(), &t.path().join("absent/pods"), true));
    let api = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["pid"] == 5001)
        .unwrap()["workload"]
        .clone();
    assert_eq!(
        (api["pod"].is_null(), api["container"].is_null()),
        (true, true)
    );
    assert_eq!(api["pod_uid"], "00000001-1f0b-4c7e-9a3d-5b6e7f8a9b0c");
}

#[test]
fn cgroups_trees_group_every_finding_under_its_cgroups_workload() {
    for (tree, heading, path) in [
        ("cgroups/v1", "cgroup /app/web", "/app/web"),
        (
            "cgroups/v2",
            "systemd unit web.scope",
            "/app.slice/web.scope",
        ),
    ] {
        let out = proctor_at(&fixture(tree), &["doctor"]);
        assert_eq!(out.status.code(), Some(1), "{tree}");
        let text = stdout(&out);
        let g = groups(&text);
        assert_eq!(g.len(), 1, "{tree}: one workload:\n{text}");
        assert_eq!(g[0].0, heading, "{tree}");
        // The cgroup's findings and both processes' own, most severe first.
        assert_eq!(g[0].1[0], "4242 cgroup.oom_kills", "{tree}: {text}");
        assert_eq!(g[0].1.len(), 6, "{tree}: {text}");
        let v = json(&proctor_at(&fixture(tree), &["doctor", "--json"]));
        for f in v["findings"].as_array().unwrap() {
            assert_eq!(f["workload"]["cgroup"], path, "{tree}: {f}");
        }
    }
}

// ----------------------------------------------------------------- live

/// Allocates and touches the MiB it is told on stdin, then holds them.
const HOLDER: &str = "import sys\nprint('ready', flush=True)\nn = int(sys.stdin.readline())\nb = bytearray(n << 20)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\nprint('held', flush=True)\nsys.stdin.read()\n";

#[test]
fn live_kubepods_container_near_its_memory_limit_is_under_its_heading() {
    let n = std::process::id();
    let pod_uid = format!("{n:08x}-6a0b-4c7e-9a3d-{:012x}", u64::from(n) * 104_729);
    let id = format!("{n:08x}{}", "cd".repeat(28));
    let rel = format!("kubepods/burstable/pod{pod_uid}/{id}");
    let Some(cg) = KubepodsCgroup::new(&rel) else {
        return;
    };
    let limit: u64 = 100 << 20;
    std::fs::write(cg.leaf.join("memory.limit_in_bytes"), limit.to_string()).unwrap();
    let _ = std::fs::write(cg.leaf.join("memory.swappiness"), "0");
    let _ = std::fs::write(
        cg.leaf.join("memory.memsw.limit_in_bytes"),
        limit.to_string(),
    );
    let mut child = Reaped::spawn(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && exec \"$1\" -c \"$2\""])
            .arg(cg.leaf.join("cgroup.procs"))
            .arg(common::real_python())
            .arg(HOLDER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let pid = child.pid();
    let mut stdin = child.0.stdin.take().unwrap();
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    // Fill to about 92 MiB of working set whatever the interpreter holds.
    let usage = || -> u64 { cg.file("memory.usage_in_bytes").trim().parse().unwrap_or(0) };
    let want_mib = (92u64 << 20).saturating_sub(usage()) >> 20;
    writeln!(stdin, "{want_mib}").unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "held");
    wait_until(
        "the child's memory charged to its cgroup",
        Duration::from_secs(10),
        || usage() >= 85 << 20,
    );
    // The kubelet's directories for it, in a temporary var/log.
    let t = TempDir::new("grouping-live");
    let pods = t.path().join("log/pods");
    std::fs::create_dir_all(pods.join(format!("shop_cart-9q_{pod_uid}/cart"))).unwrap();
    std::fs::create_dir_all(t.path().join("log/containers")).unwrap();
    std::os::unix::fs::symlink(
        "/nowhere",
        t.path()
            .join(format!("log/containers/cart-9q_shop_cart-{id}.log")),
    )
    .unwrap();
    let heading = format!(
        "k8s container cart of pod shop/cart-9q (burstable, {})",
        &id[..12]
    );
    let o = common::run_bounded(&mut common::proctor_cmd([
        "--pods-dir",
        pods.to_str().unwrap(),
        "doctor",
    ]));
    let text = stdout(&o);
    let g = groups(&text);
    let mine = g
        .iter()
        .find(|(h, _)| *h == heading)
        .unwrap_or_else(|| panic!("no `{heading}` heading:\n{text}"));
    assert!(
        mine.1.contains(&format!("{pid} cgroup.memory_near_limit")),
        "{mine:?}\n{text}"
    );
    // Its findings are under that heading only.
    for (h, f) in &g {
        if h != &heading {
            assert!(
                !f.iter().any(|f| f.starts_with(&format!("{pid} "))),
                "{pid} under {h}:\n{text}"
            );
        }
    }
    let o = common::run_bounded(&mut common::proctor_cmd([
        "--pods-dir",
        pods.to_str().unwrap(),
        "doctor",
        "--json",
    ]));
    let v = json(&o);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "cgroup.memory_near_limit" && f["pid"] == pid)
        .unwrap_or_else(|| panic!("{}", v["findings"]))
        .clone();
    let w = &f["workload"];
    assert_eq!(w["kind"], "kubernetes");
    assert_eq!(w["namespace"], "shop");
    assert_eq!(w["pod"], "cart-9q");
    assert_eq!(w["container"], "cart");
    assert_eq!(w["pod_uid"], pod_uid.as_str());
    assert_eq!(w["container_id"], id.as_str());
    assert_eq!(w["cgroup"], format!("/{rel}").as_str());
    drop(stdin);
    drop(child);
    drop(cg);
}

/// `inspect`: the workload's state (its cgroup's) on the line under the
/// Workload line, and JSON has both `workload` and `cgroup`.
#[test]
fn inspect_shows_the_workloads_state_under_its_workload() {
    for (tree, workload, group) in [
        ("cgroups/v1", "cgroup /app/web", ""),
        ("cgroups/v2", "systemd unit web.scope", " (1 group)"),
    ] {
        let out = proctor_at(&fixture(tree), &["inspect", "4243"]);
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.trim_start().starts_with("Workload "))
            .unwrap_or_else(|| panic!("{tree}: {text}"));
        assert_eq!(lines[i], format!("  Workload      {workload}"), "{tree}");
        assert_eq!(
            lines[i + 1],
            format!(
                "  Cgroup state  working set 94.0 MiB, 94% of its 100 MiB limit; 3 OOM kills{group}; 275 of 300 tasks; throttled in 42% of CPU periods"
            ),
            "{tree}"
        );
        let v = json(&proctor_at(&fixture(tree), &["inspect", "4243", "--json"]));
        assert_eq!(v["workload"]["cgroup"], v["cgroup"]["path"], "{tree}");
        assert_eq!(v["cgroup"]["working_set_bytes"], 94 << 20, "{tree}");
        assert_eq!(v["cgroup"]["oom_kills"], 3, "{tree}");
        assert_eq!(v["cgroup"]["pids"]["current"], 275, "{tree}");
        assert_eq!(v["cgroup"]["cpu"]["nr_throttled"], 420, "{tree}");
    }
    // No cgroup state read (the workloads tree has no sys/): no state
    // line, never a made-up one.
    let out = proctor_at(&fixture("workloads"), &["inspect", "5001"]);
    let text = stdout(&out);
    assert!(text.contains("  Workload      k8s container"), "{text}");
    assert!(!text.contains("Cgroup state"), "{text}");
}
