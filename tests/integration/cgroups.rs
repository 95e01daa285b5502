//! The cgroup rules (`cgroup.memory_near_limit`, `cgroup.tasks_near_limit`,
//! `cgroup.oom_kills`, `cgroup.cpu_throttled`), judged once per cgroup:
//! on the `tests/fixtures/cgroups` trees (v1 and v2: two processes at 94%
//! of a memory limit, 275/300 tasks, OOM kills, a throttled CPU quota;
//! `inspect` and `doctor`, human and JSON), and live in v1 cgroups of the
//! tests' own (memory, pids, cpu), each removed with its processes.

use std::io::{BufRead, Write};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::common::{self, CgroupV1, fixture, json, proctor, proctor_at, stdout, wait_until};

fn findings(v: &Value) -> Vec<Value> {
    v["findings"].as_array().cloned().unwrap_or_default()
}

/// The finding `id` about the cgroup `cg` (evidence.cgroup), if any.
fn of_cgroup(v: &Value, id: &str, cg: &str) -> Option<Value> {
    findings(v)
        .into_iter()
        .find(|f| f["id"] == id && f["evidence"]["cgroup"] == cg)
}

/// The pids named in a finding's `top`, in order.
fn top_pids(f: &Value) -> Vec<i64> {
    f["evidence"]["top"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["pid"].as_i64()).collect())
        .unwrap_or_default()
}

// ------------------------------------------------------------- fixtures

#[test]
fn fixture_inspect_judges_the_cgroup_and_names_both_processes() {
    for (tree, cg, group) in [
        ("cgroups/v1", "/app/web", Value::Null),
        ("cgroups/v2", "/app.slice/web.scope", Value::from(1)),
    ] {
        for pid in ["4242", "4243"] {
            let out = proctor_at(&fixture(tree), &["inspect", pid, "--json"]);
            assert_eq!(out.status.code(), Some(1), "{tree} {pid}");
            let v = json(&out);
            let c = &v["cgroup"];
            assert_eq!(c["working_set_bytes"], 94u64 << 20, "{tree}: {c}");
            assert_eq!(c["oom_group_kills"], group, "{tree}: {c}");
            assert_eq!(c["pids"]["current"], 275, "{tree}: {c}");
            assert_eq!(c["pids"]["max"], 300, "{tree}: {c}");
            assert_eq!(c["cpu"]["nr_throttled"], 420, "{tree}: {c}");
            assert_eq!(c["cpu"]["throttled_seconds"], 3.1, "{tree}: {c}");
            assert_eq!(c["cpu"]["quota_cpus"], 0.5, "{tree}: {c}");
            assert_eq!(v["unavailable"], serde_json::json!([]), "{tree}");

            let m = of_cgroup(&v, "cgroup.memory_near_limit", cg).expect("memory finding");
            assert_eq!(m["severity"], "warning");
            assert_eq!(m["evidence"]["percent"], 94.0);
            // Ranked by RSS: 11061 pages against 5000.
            assert_eq!(top_pids(&m), [4242, 4243], "{m}");
            let t = of_cgroup(&v, "cgroup.tasks_near_limit", cg).expect("tasks finding");
            assert_eq!(t["evidence"]["percent"], 91.7);
            assert_eq!(top_pids(&t), [4242, 4243], "4 threads against 1: {t}");
            let o = of_cgroup(&v, "cgroup.oom_kills", cg).expect("oom finding");
            assert_eq!(o["severity"], "critical");
            assert_eq!(o["evidence"]["oom_kill"], 3);
            let c = of_cgroup(&v, "cgroup.cpu_throttled", cg).expect("cpu finding");
            assert_eq!(c["evidence"]["percent"], 42.0);
            // Ranked by CPU time: 30 ticks against 10.
            assert_eq!(top_pids(&c), [4243, 4242], "{c}");
            assert_eq!(c["next"], "proctor threads 4243 --sort cpu");
            // The cgroup's OOM counts stand for the process rule's.
            assert!(
                !findings(&v).iter().any(|f| f["id"] == "memory.oom_kills"),
                "{}",
                v["findings"]
            );
        }
        let out = proctor_at(&fixture(tree), &["inspect", "4243"]);
        let text = stdout(&out);
        for line in [
            "Working set   94.0 MiB, 94% of the limit (usage - inactive file)",
            "Tasks         275 of 300 (pids.max, 92%)",
            "CPU quota     0.50 CPU, throttled in 42% of 1000 periods (3.1 s lost)",
            &format!(
                "WARNING  cgroup {cg}: throttled in 42% of periods (3.1 s lost) against a quota of 0.5 CPU; by CPU time: worker 4243 (75%), python3.11 4242 (25%)  [cgroup.cpu_throttled]"
            ),
            &format!(
                "WARNING  cgroup {cg}: working set 94.0 MiB is 94% of the memory limit 100 MiB: the OOM killer acts at the limit; by RSS: python3.11 4242 (69%), worker 4243 (31%)  [cgroup.memory_near_limit]"
            ),
        ] {
            assert!(text.contains(line), "{tree}: no {line:?} in\n{text}");
        }
    }
}

#[test]
fn fixture_doctor_judges_each_cgroup_once() {
    for (tree, cg, kills) in [
        ("cgroups/v1", "/app/web", "3 OOM kills recorded"),
        (
            "cgroups/v2",
            "/app.slice/web.scope",
            "3 OOM kills and 1 group OOM kill recorded",
        ),
    ] {
        let out = proctor_at(&fixture(tree), &["doctor", "--json"]);
        assert_eq!(out.status.code(), Some(1), "{tree}");
        let v = json(&out);
        for id in [
            "cgroup.memory_near_limit",
            "cgroup.tasks_near_limit",
            "cgroup.oom_kills",
            "cgroup.cpu_throttled",
        ] {
            let n = findings(&v).iter().filter(|f| f["id"] == id).count();
            assert_eq!(
                n, 1,
                "{tree}: {id} once for two processes: {}",
                v["findings"]
            );
            assert!(of_cgroup(&v, id, cg).is_some(), "{tree}: {id}");
        }
        let m = of_cgroup(&v, "cgroup.memory_near_limit", cg).unwrap();
        assert_eq!(
            (m["pid"].clone(), m["name"].clone()),
            (4242.into(), "python3.11".into())
        );
        let c = of_cgroup(&v, "cgroup.cpu_throttled", cg).unwrap();
        assert_eq!(
            (c["pid"].clone(), c["name"].clone()),
            (4243.into(), "worker".into())
        );
        let out = proctor_at(&fixture(tree), &["doctor"]);
        let text = stdout(&out);
        assert!(
            text.contains("CRITICAL  4242 python3.11  cgroup.oom_kills"),
            "{text}"
        );
        assert!(
            text.contains(&format!("cgroup {cg}: {kills}: processes died at its memory limit; by RSS: python3.11 4242 (69%), worker 4243 (31%)")),
            "{tree}: {text}"
        );
        assert!(
            text.contains("WARNING   4243 worker  cgroup.cpu_throttled"),
            "{text}"
        );
    }
}

/// A cgroup file that is there but not a number is unreadable (listed,
/// with its reason), never a zero and never "nothing wrong".
#[test]
fn fixture_unparsable_cgroup_files_are_unavailable() {
    let t = common::TempDir::new("cgroups-v1");
    let st = Command::new("cp")
        .arg("-a")
        .arg(fixture("cgroups/v1").join("."))
        .arg(t.path())
        .status()
        .expect("cp");
    assert!(st.success());
    let sys = t.path().join("sys/fs/cgroup");
    std::fs::write(sys.join("pids/app/web/pids.current"), "lots\n").unwrap();
    std::fs::write(
        sys.join("cpu/app/web/cpu.stat"),
        "nr_periods 9\nnr_throttled x\nthrottled_time 0\n",
    )
    .unwrap();
    let out = proctor_at(t.path(), &["inspect", "4242", "--json"]);
    let v = json(&out);
    assert_eq!(v["cgroup"]["pids"], Value::Null);
    assert_eq!(v["cgroup"]["cpu"], Value::Null);
    let un: Vec<(String, String)> = v["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["section"].as_str().unwrap().to_string(),
                u["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        un.contains(&("cgroup.pids".into(), "parse_error".into())),
        "{un:?}"
    );
    assert!(
        un.contains(&("cgroup.cpu".into(), "parse_error".into())),
        "{un:?}"
    );
    let checks = v["incomplete"].to_string();
    assert!(checks.contains("cgroup.tasks_near_limit"), "{checks}");
    assert!(checks.contains("cgroup.cpu_throttled"), "{checks}");
    // A cgroup gone between the reads: said so, not a zero.
    std::fs::remove_dir_all(sys.join("cpu/app/web")).unwrap();
    let v = json(&proctor_at(t.path(), &["inspect", "4242", "--json"]));
    let cpu = v["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["section"] == "cgroup.cpu")
        .cloned()
        .expect("cgroup.cpu unavailable");
    assert!(
        cpu["detail"].as_str().unwrap().contains("not found"),
        "{cpu}"
    );
}

// ----------------------------------------------------------------- live

/// Allocates and touches the MiB it is told on stdin, then holds them.
const HOLDER: &str = "import sys\nprint('ready', flush=True)\nn = int(sys.stdin.readline())\nb = bytearray(n << 20)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\nprint('held', flush=True)\nsys.stdin.read()\n";

fn doctor_json() -> Value {
    let out = common::run_bounded(&mut common::proctor_cmd(["doctor", "--json"]));
    json(&out)
}

/// Two processes in one 100 MiB memory cgroup, each well under half of
/// it, together above 90%: `inspect` of either and `doctor` find
/// `cgroup.memory_near_limit` naming both (the process rule, on RSS
/// alone, does not fire).
#[test]
fn live_two_processes_near_their_memory_limit() {
    let limit: u64 = 100 << 20;
    let Some(cg) = CgroupV1::new(
        "memory",
        "cgmem",
        &[("memory.limit_in_bytes", &limit.to_string())],
    ) else {
        return;
    };
    let _ = std::fs::write(
        cg.dir.join("memory.memsw.limit_in_bytes"),
        limit.to_string(),
    );
    let (a, mut a_in, mut a_out) = cg.python(HOLDER);
    let (b, mut b_in, mut b_out) = cg.python(HOLDER);
    // Fill to about 92 MiB of working set whatever the interpreters hold.
    let ws = || {
        let usage: u64 = cg.file("memory.usage_in_bytes").trim().parse().unwrap_or(0);
        usage.saturating_sub(cg.keyed("memory.stat", "total_inactive_file"))
    };
    let base = ws();
    let each = ((92u64 << 20).saturating_sub(base) / 2) >> 20;
    for (i, o) in [(&mut a_in, &mut a_out), (&mut b_in, &mut b_out)] {
        writeln!(i, "{each}").unwrap();
        let mut line = String::new();
        o.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "held");
    }
    let pct = ws() as f64 * 100.0 / limit as f64;
    assert!(
        (85.0..99.0).contains(&pct),
        "working set {pct:.1}% of the limit (base {base})"
    );
    for pid in [a.pid(), b.pid()] {
        let v = json(&proctor(&["inspect", &pid.to_string(), "--json"]));
        let f = of_cgroup(&v, "cgroup.memory_near_limit", &cg.name())
            .unwrap_or_else(|| panic!("inspect {pid}: {}", v["findings"]));
        let mut named = top_pids(&f);
        named.sort_unstable();
        let mut want = vec![i64::from(a.pid()), i64::from(b.pid())];
        want.sort_unstable();
        assert_eq!(named, want, "{f}");
        assert!(
            !findings(&v)
                .iter()
                .any(|f| f["id"] == "memory.near_cgroup_limit"),
            "each process is far below the limit: {}",
            v["findings"]
        );
    }
    let v = doctor_json();
    let f = of_cgroup(&v, "cgroup.memory_near_limit", &cg.name())
        .unwrap_or_else(|| panic!("doctor: {}", v["findings"]));
    assert_eq!(top_pids(&f).len(), 2, "{f}");
    drop((a, b));
}

/// Threads filling a pids cgroup to 19 of 20 tasks: found, by inspect and
/// by doctor.
#[test]
fn live_tasks_near_pids_max() {
    let Some(cg) = CgroupV1::new("pids", "cgpids", &[("pids.max", "20")]) else {
        return;
    };
    let script = "import sys, threading\nev = threading.Event()\nfor _ in range(18):\n    threading.Thread(target=ev.wait, daemon=True).start()\nprint('ready', flush=True)\nsys.stdin.read()\n";
    let (p, _stdin, _out) = cg.python(script);
    wait_until(
        "19 tasks in the pids cgroup",
        Duration::from_secs(30),
        || cg.file("pids.current").trim() == "19",
    );
    let v = json(&proctor(&["inspect", &p.pid().to_string(), "--json"]));
    let f = of_cgroup(&v, "cgroup.tasks_near_limit", &cg.name())
        .unwrap_or_else(|| panic!("inspect: {}", v["findings"]));
    assert_eq!(f["evidence"]["tasks"], 19);
    assert_eq!(f["evidence"]["pids_max"], 20);
    assert_eq!(f["severity"], "warning");
    assert_eq!(top_pids(&f), [i64::from(p.pid())]);
    let v = doctor_json();
    assert!(
        of_cgroup(&v, "cgroup.tasks_near_limit", &cg.name()).is_some(),
        "doctor: {}",
        v["findings"]
    );
    drop(p);
}

/// A spinner under a quota of 0.1 CPU is throttled in most periods.
#[test]
fn live_cpu_throttled_under_a_small_quota() {
    let Some(cg) = CgroupV1::new(
        "cpu",
        "cgcpu",
        &[
            ("cpu.cfs_period_us", "100000"),
            ("cpu.cfs_quota_us", "10000"),
        ],
    ) else {
        return;
    };
    let (p, _stdin, _out) = cg.python("print('ready', flush=True)\nwhile True:\n    pass\n");
    // 50 periods (5 s) at least, the rule's minimum.
    wait_until("60 throttled periods", Duration::from_secs(60), || {
        cg.keyed("cpu.stat", "nr_throttled") >= 60
    });
    let v = json(&proctor(&["inspect", &p.pid().to_string(), "--json"]));
    let f = of_cgroup(&v, "cgroup.cpu_throttled", &cg.name())
        .unwrap_or_else(|| panic!("inspect: {} ({})", v["findings"], cg.file("cpu.stat")));
    assert_eq!(f["evidence"]["quota_cpus"], 0.1);
    assert!(f["evidence"]["percent"].as_f64().unwrap() >= 25.0, "{f}");
    assert_eq!(top_pids(&f), [i64::from(p.pid())]);
    let v = doctor_json();
    assert!(
        of_cgroup(&v, "cgroup.cpu_throttled", &cg.name()).is_some(),
        "doctor: {}",
        v["findings"]
    );
    drop(p);
}
