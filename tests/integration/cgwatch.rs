//! `proctor watch` of a workload: `--cgroup PATH` on v1 memory and pids
//! cgroups of the tests' own (two processes growing memory together: the
//! working set LEAKs against the cgroup's memory.limit_in_bytes; a thread
//! leaker: tasks LEAK against pids.max; a removed cgroup ends the watch;
//! the cgroups fixture trees, v1 and v2, by path and by directory),
//! `pod:NAME` and `container:ID` resolved on the workloads tree (with a
//! cgroup hierarchy made for it) and on a live kubepods-shaped cgroup, and
//! the bad targets' errors.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{
    self, CgroupV1, MemCgroupV1, Reaped, TempDir, bin, proctor, proctor_at, python_helper_in,
    require, stderr, stdout, wait_until, without_overrides,
};

/// The last line of a `watch --json` run: its verdict.
fn verdict(o: &std::process::Output) -> Value {
    let out = stdout(o);
    let last = out.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {out}\n{}", stderr(o)))
}

fn leak<'a>(v: &'a Value, metric: &str) -> &'a Value {
    v["leaks"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["metric"] == metric))
        .unwrap_or_else(|| panic!("no {metric} leak in {v}"))
}

#[test]
fn live_two_processes_leak_memory_against_the_cgroups_limit() {
    let limit: u64 = 512 << 20;
    let Some(cg) = MemCgroupV1::new("cgwatch-mem", limit) else {
        return;
    };
    // Together 10 MiB/s, each at most 60 MiB: growing all through the watch.
    let (a, _) = python_helper_in(&cg, "cgwatch_child.py", &["memory", "5", "60"]);
    let (b, _) = python_helper_in(&cg, "cgwatch_child.py", &["memory", "5", "60"]);
    let o = common::run_bounded(&mut common::proctor_cmd([
        "watch",
        "--cgroup",
        &cg.name(),
        "--json",
        "--interval",
        "0.2s",
        "--duration",
        "6s",
    ]));
    let v = verdict(&o);
    assert_eq!(o.status.code(), Some(1), "{v}\n{}", stderr(&o));
    assert_eq!(v["cgroup"], cg.name().as_str(), "{v}");
    assert!(v.get("pid").is_none(), "{v}");
    let l = leak(&v, "working_set");
    assert_eq!(l["limit"].as_f64(), Some(limit as f64), "{l}");
    let dir = format!("/sys/fs/cgroup/memory{}", cg.name());
    assert_eq!(
        l["limit_name"],
        format!("memory.limit_in_bytes of {dir}").as_str(),
        "{l}"
    );
    let eta = l["eta_s"].as_f64().unwrap_or(-1.0);
    assert!(eta > 0.0 && eta < 600.0, "{l}");
    // The samples carry the cgroup's working set.
    let first: Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert!(first["working_set_bytes"].as_u64().is_some(), "{first}");
    drop((a, b));
}

#[test]
fn live_thread_leaker_leaks_tasks_against_pids_max() {
    let Some(cg) = CgroupV1::new("pids", "cgwatch", &[("pids.max", "200")]) else {
        return;
    };
    let (child, _) = common::spawn_ready(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && exec python3 \"$@\""])
            .arg(cg.dir.join("cgroup.procs"))
            .arg(common::helper_path("cgwatch_child.py"))
            .args(["threads", "10", "180"])
            .stderr(Stdio::null()),
    );
    let dir = cg.dir.to_str().unwrap().to_string();
    let o = common::run_bounded(&mut common::proctor_cmd([
        "watch",
        "--cgroup",
        &dir,
        "--json",
        "--metrics",
        "tasks",
        "--interval",
        "0.2s",
        "--duration",
        "6s",
    ]));
    let v = verdict(&o);
    assert_eq!(o.status.code(), Some(1), "{v}\n{}", stderr(&o));
    let l = leak(&v, "tasks");
    assert_eq!(l["limit"].as_f64(), Some(200.0), "{l}");
    assert_eq!(
        l["limit_name"],
        format!("pids.max of {dir}").as_str(),
        "{l}"
    );
    assert!(l["eta_s"].as_f64().is_some_and(|t| t > 0.0), "{l}");
    // In words.
    let o = common::run_bounded(&mut common::proctor_cmd([
        "watch",
        "--cgroup",
        &dir,
        "--metrics",
        "tasks",
        "--interval",
        "0.1s",
        "--duration",
        "7s",
    ]));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
    assert!(out.contains(&format!("(pids.max of {dir}) in ")), "{out}");
    assert!(out.contains("\n  next: proctor doctor\n"), "{out}");
    drop(child);
}

#[test]
fn a_removed_cgroup_ends_the_watch() {
    let Some(cg) = MemCgroupV1::own("cgwatch-gone") else {
        return;
    };
    let mut child = Reaped::spawn(
        without_overrides(Command::new(bin()).args([
            "watch",
            "--cgroup",
            &cg.name(),
            "--json",
            "--interval",
            "0.05s",
            "--duration",
            "60s",
        ]))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped()),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut lines = Vec::new();
    while lines.len() < 12 {
        let mut l = String::new();
        assert!(out.read_line(&mut l).unwrap() > 0, "watch ended early");
        lines.push(l);
    }
    drop(cg);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let status = common::wait_exit(&mut child.0, Duration::from_secs(30), "watch");
    let v: Value = serde_json::from_str(rest.lines().last().unwrap()).unwrap();
    assert_eq!(v["ended"]["how"], "target_ended", "{v}");
    assert_eq!(v["ended"]["detail"], "the cgroup was removed", "{v}");
    // An empty cgroup: nothing grew.
    assert_eq!(status.code(), Some(0), "{v}");
}

// ------------------------------------------------- pods and containers

fn uid(n: u32) -> String {
    format!("{n:08x}-1f0b-4c7e-9a3d-5b6e7f8a9b0c")
}

fn cid(n: u32) -> String {
    format!("{n:02x}3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7")
}

/// The workloads tree with a v1 memory hierarchy holding its pods'
/// cgroups (the tree has none): pod 1's container, pod 5's, and a
/// container whose id shares pod 1's first 12 digits under pod 16.
fn workloads_with_cgroups() -> TempDir {
    let t = common::fixture_copy("workloads");
    let mem = t.path().join("sys/fs/cgroup/memory");
    let twin = format!("{}ffff", &cid(1)[..60]);
    for rel in [
        format!("kubepods/burstable/pod{}/{}", uid(1), cid(1)),
        format!("kubepods/besteffort/pod{}/{}", uid(5), cid(5)),
        format!("kubepods/pod{}/{twin}", uid(16)),
    ] {
        let mut dir = mem.clone();
        for c in rel.split('/') {
            dir.push(c);
            std::fs::create_dir_all(&dir).unwrap();
            for (f, v) in [
                ("memory.usage_in_bytes", "41943040\n"),
                ("memory.limit_in_bytes", "104857600\n"),
                ("memory.stat", "total_inactive_file 4194304\n"),
                ("memory.oom_control", "oom_kill 0\n"),
                ("cgroup.procs", ""),
            ] {
                std::fs::write(dir.join(f), v).unwrap();
            }
        }
    }
    std::fs::write(mem.join("memory.limit_in_bytes"), "9223372036854771712\n").unwrap();
    t
}

fn watch_at(t: &TempDir, target: &str) -> std::process::Output {
    let pods = t.path().join("var/log/pods");
    proctor_at(
        t.path(),
        &[
            "--pods-dir",
            pods.to_str().unwrap(),
            "watch",
            target,
            "--json",
            "--interval",
            "0.02s",
            "--duration",
            "0.4s",
        ],
    )
}

#[test]
fn pods_and_containers_resolve_on_the_workloads_tree() {
    let t = workloads_with_cgroups();
    let c1 = format!("/kubepods/burstable/pod{}/{}", uid(1), cid(1));
    for target in [
        format!("container:{}", cid(1)),
        format!("container:{}", &cid(1)[..61]),
        format!("container:{}", cid(1).to_uppercase()),
    ] {
        let o = watch_at(&t, &target);
        let v = verdict(&o);
        assert_eq!(o.status.code(), Some(0), "{target}: {v}\n{}", stderr(&o));
        assert_eq!(v["cgroup"], c1.as_str(), "{target}: {v}");
        let w = v["workload"].as_str().unwrap_or_default();
        assert!(
            w.contains("container api of pod payments/api-7d9"),
            "{target}: {w}"
        );
        // 40 MiB used, 4 MiB inactive file: a working set of 36 MiB, flat.
        assert_eq!(v["healthy"][1], "working_set", "{v}");
    }
    let o = watch_at(&t, &format!("container:{}", &cid(5)[..12]));
    assert_eq!(
        verdict(&o)["cgroup"],
        format!("/kubepods/besteffort/pod{}/{}", uid(5), cid(5)).as_str()
    );
    let pod1 = format!("/kubepods/burstable/pod{}", uid(1));
    for target in [
        "pod:api-7d9".to_string(),
        "pod:payments/api-7d9".to_string(),
        format!("pod:{}", uid(1)),
    ] {
        let o = watch_at(&t, &target);
        let v = verdict(&o);
        assert_eq!(v["cgroup"], pod1.as_str(), "{target}: {v}\n{}", stderr(&o));
        assert!(
            v["workload"]
                .as_str()
                .is_some_and(|w| w.contains("pod payments/api-7d9")),
            "{v}"
        );
    }
}

#[test]
fn bad_workload_targets_say_why_with_a_hint() {
    let t = workloads_with_cgroups();
    let cases = [
        ("pod:nope".to_string(), "no pod nope on this node"),
        (
            "container:xyz".to_string(),
            "container:xyz is not a container id",
        ),
        ("container:abcdef".to_string(), "is not a container id"),
        (
            "container:ffffffffffff".to_string(),
            "no container ffffffffffff on this node",
        ),
        (
            format!("container:{}", &cid(1)[..12]),
            "matches 2 containers",
        ),
        // A pod whose cgroup is not here (only its log directory).
        ("pod:search-1".to_string(), "no pod search-1 on this node"),
    ];
    for (target, want) in cases {
        let o = watch_at(&t, &target);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{target}: {err}");
        assert!(err.contains(want), "{target}: {err}");
        assert!(err.contains("\nhint: "), "{target}: {err}");
        assert_eq!(err.lines().count(), 2, "{target}: {err}");
    }
    // The ambiguous prefix lists both candidates.
    let o = watch_at(&t, &format!("container:{}", &cid(1)[..12]));
    let err = stderr(&o);
    assert!(err.contains(&cid(1)) && err.contains("ffff in "), "{err}");
    // Named from the kubelet's directories; a hostile name escaped.
    assert!(err.contains(" in payments/api-7d9 (UID "), "{err}");
    assert!(!err.contains('\x1b'), "{err}");
    let pods = t.path().join("var/log/pods");
    for (args, want) in [
        (
            vec!["watch", "--cgroup", "/kubepods/nope"],
            "no cgroup /kubepods/nope",
        ),
        (vec!["watch", "--cgroup", "kubepods"], "no cgroup kubepods"),
        (
            vec!["watch", "--cgroup", "/kubepods", "--metrics", "rss"],
            "a cgroup is not watched on rss",
        ),
        (
            vec!["watch", "5001", "--metrics", "working_set"],
            "working_set is a cgroup's metric",
        ),
        (vec!["watch", "pod:"], "pod: needs the pod's name"),
        // --newest/--oldest choose among processes: never silently
        // ignored with a cgroup target.
        (
            vec!["watch", "--newest", "pod:api-7d9"],
            "--newest and --oldest choose among processes",
        ),
        (
            vec!["watch", "--oldest", "--cgroup", "/kubepods"],
            "--newest and --oldest choose among processes",
        ),
    ] {
        let mut all = vec!["--pods-dir", pods.to_str().unwrap()];
        all.extend(args.iter().copied());
        let o = proctor_at(t.path(), &all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(err.contains("\nhint: "), "{args:?}: {err}");
    }
    // A target and --cgroup together is a usage error.
    let o = proctor(&["watch", "1", "--cgroup", "/"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn live_kubepods_cgroup_is_found_by_pod_and_container() {
    let n = std::process::id();
    let pod_uid = format!("{n:08x}-ca7c-4c7e-9a3d-{:012x}", u64::from(n) * 7907);
    let id = format!("{n:08x}{}", "cd".repeat(28));
    let base = Path::new("/sys/fs/cgroup/memory");
    if !require(
        "a writable v1 memory cgroup (root, cgroup v1)",
        base.join("memory.limit_in_bytes").exists(),
    ) {
        return;
    }
    // kubepods/ may exist already (another test's): only what is made here
    // is removed, innermost first.
    let mut made: Vec<PathBuf> = Vec::new();
    let mut dir = base.to_path_buf();
    for c in ["kubepods", "burstable", &format!("pod{pod_uid}"), &id] {
        dir.push(c);
        if std::fs::create_dir(&dir).is_ok() {
            made.push(dir.clone());
        }
    }
    struct Cleanup(Vec<PathBuf>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let root = Path::new("/sys/fs/cgroup/memory/cgroup.procs");
            for d in self.0.iter().rev() {
                for _ in 0..100 {
                    if let Ok(p) = std::fs::read_to_string(d.join("cgroup.procs")) {
                        for pid in p.lines() {
                            let _ = std::fs::write(root, pid);
                        }
                    }
                    if std::fs::remove_dir(d).is_ok() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }
    let _cleanup = Cleanup(made);
    let child = Reaped::spawn(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && exec sleep 600"])
            .arg(dir.join("cgroup.procs"))
            .stdin(Stdio::null()),
    );
    let pid = child.pid();
    wait_until("the child in its cgroup", Duration::from_secs(10), || {
        std::fs::read_to_string(format!("/proc/{pid}/cgroup")).is_ok_and(|c| {
            c.lines()
                .any(|l| l.contains(":memory:") && l.ends_with(&id))
        })
    });
    let t = TempDir::new("cgwatch-live");
    let pods = t.path().join("pods");
    std::fs::create_dir_all(pods.join(format!("shop_cart-9_{pod_uid}/cart"))).unwrap();
    let want = format!("/kubepods/burstable/pod{pod_uid}/{id}");
    for (target, cgroup) in [
        (format!("container:{}", &id[..14]), want.clone()),
        (
            "pod:shop/cart-9".to_string(),
            format!("/kubepods/burstable/pod{pod_uid}"),
        ),
    ] {
        let o = common::run_bounded(&mut common::proctor_cmd([
            "--pods-dir",
            pods.to_str().unwrap(),
            "watch",
            &target,
            "--json",
            "--interval",
            "0.05s",
            "--duration",
            "1s",
        ]));
        let v = verdict(&o);
        assert_eq!(
            v["cgroup"],
            cgroup.as_str(),
            "{target}: {v}\n{}",
            stderr(&o)
        );
        assert!(
            v["workload"]
                .as_str()
                .is_some_and(|w| w.contains("shop/cart-9")),
            "{v}"
        );
        // One sleeping process: its descriptors summed, nothing growing.
        assert_eq!(o.status.code(), Some(0), "{v}");
    }
    drop(child);
}

/// `--cgroup` on the cgroups trees (v1 and v2), by path and by directory:
/// the samples are the cgroup's working set (104 MiB used - 10 MiB
/// inactive file), its pids.current and its two processes' descriptors.
#[test]
fn fixture_cgroup_sums_on_v1_and_v2() {
    for (tree, path, unit) in [
        ("v1", "/app/web", Value::Null),
        (
            "v2",
            "/app.slice/web.scope",
            Value::from("systemd unit web.scope"),
        ),
    ] {
        let root = common::fixture("cgroups").join(tree);
        let dir = root.join("sys/fs/cgroup").join(if tree == "v1" {
            "pids/app/web"
        } else {
            "app.slice/web.scope"
        });
        for target in [path.to_string(), dir.to_str().unwrap().to_string()] {
            let o = proctor_at(
                &root,
                &[
                    "watch",
                    "--cgroup",
                    &target,
                    "--json",
                    "--interval",
                    "0.02s",
                    "--duration",
                    "0.4s",
                ],
            );
            let out = stdout(&o);
            let first: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
            assert_eq!(
                first["working_set_bytes"],
                94u64 << 20,
                "{tree} {target}: {first}"
            );
            assert_eq!(first["tasks"], 275, "{tree}: {first}");
            let fds = |pid: u32| {
                std::fs::read_dir(root.join(format!("proc/{pid}/fd")))
                    .unwrap()
                    .count() as u64
            };
            assert_eq!(first["fds"], fds(4242) + fds(4243), "{tree}: {first}");
            let v = verdict(&o);
            assert_eq!(o.status.code(), Some(0), "{tree}: {v}");
            assert_eq!(v["cgroup"], path, "{tree}: {v}");
            assert_eq!(v["workload"], unit, "{tree}: {v}");
            assert_eq!(
                v["healthy"],
                serde_json::json!(["fds", "working_set", "tasks"]),
                "{v}"
            );
        }
    }
}
