//! The workload of a process (`inspect`'s Workload line and JSON
//! `workload`): every cgroup layout of tests/fixtures/workloads (v1 and v2,
//! a `/..`-prefixed one, a delegated subtree posing as a pod), the
//! kubelet's names from its `var/log` (absent, unreadable, hostile), and a
//! live child in a v1 memory cgroup named like a kubepods path.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{
    KubepodsCgroup, Reaped, bin, fixture, json, proctor, proctor_at, stderr, stdout, wait_until,
    without_overrides,
};

fn uid(n: u32) -> String {
    format!("{n:08x}-1f0b-4c7e-9a3d-5b6e7f8a9b0c")
}

fn cid(n: u32) -> String {
    format!("{n:02x}3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7")
}

fn pods_dir() -> String {
    fixture("workloads")
        .join("var/log/pods")
        .to_str()
        .unwrap()
        .to_string()
}

/// `inspect PID` on the workloads tree: its Workload line (the value).
fn workload_line(pid: u32, pods: &str) -> String {
    let o = proctor_at(
        &fixture("workloads"),
        &["--pods-dir", pods, "inspect", &pid.to_string()],
    );
    assert!(stderr(&o).is_empty(), "{pid}: {}", stderr(&o));
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{pid}: {o:?}");
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("Workload "))
        .unwrap_or_else(|| panic!("{pid}: no Workload line in\n{out}"));
    line.trim_start()["Workload".len()..].trim().to_string()
}

fn workload_json(pid: u32, pods: &str) -> Value {
    let o = proctor_at(
        &fixture("workloads"),
        &["--pods-dir", pods, "inspect", &pid.to_string(), "--json"],
    );
    json(&o)["workload"].clone()
}

#[test]
fn every_layout_is_named() {
    let p = pods_dir();
    let want: [(u32, String); 17] = [
        (5001, "k8s container api of pod payments/api-7d9 (burstable, 013f2a9c1b4d)".into()),
        (5002, "k8s container worker of pod payments/worker-5c4 (burstable, containerd 023f2a9c1b4d)".into()),
        (5003, "k8s container ? of pod shop/cart-0 (guaranteed, cri-o 033f2a9c1b4d)".into()),
        (5004, "k8s runtime monitor (conmon) of container search of pod shop/search-1 (burstable, cri-o 043f2a9c1b4d): the runtime's process, not the container's".into()),
        (5005, format!("k8s container ? of pod {} (besteffort, 053f2a9c1b4d)", uid(5))),
        (5006, "k8s container etl of pod batch/etl-x1 (burstable, containerd 063f2a9c1b4d)".into()),
        (5007, "docker container 073f2a9c1b4d".into()),
        (5008, "docker container 083f2a9c1b4d".into()),
        (5009, "podman container 093f2a9c1b4d".into()),
        (5010, "systemd unit nginx.service".into()),
        (5011, "systemd unit session-3.scope".into()),
        (5012, "k8s container agent of pod obs/agent-q (besteffort, containerd 0c3f2a9c1b4d)".into()),
        (5013, "k8s pod payments/api-7d9-b (burstable), in the pod's own cgroup".into()),
        (5014, "systemd unit user@1000.service".into()),
        (5015, "cgroup /user.slice/user-1000.slice".into()),
        (5016, "k8s container c\\e]0;t\\x07 of pod evil/pod\\e[31mred (guaranteed, 103f2a9c1b4d)".into()),
        (5017, format!("k8s container ? of pod {} (burstable, 113f2a9c1b4d)", uid(17))),
    ];
    for (pid, line) in want {
        assert_eq!(workload_line(pid, &p), line, "pid {pid}");
    }
}

#[test]
fn json_fields_per_kind() {
    let p = pods_dir();
    let k = workload_json(5002, &p);
    assert_eq!(k["kind"], "kubernetes");
    assert_eq!(k["role"], "container");
    assert_eq!(k["namespace"], "payments");
    assert_eq!(k["pod"], "worker-5c4");
    assert_eq!(k["pod_uid"], uid(2).as_str());
    assert_eq!(k["container"], "worker");
    assert_eq!(k["container_id"], cid(2).as_str());
    assert_eq!(k["qos"], "burstable");
    assert_eq!(k["runtime"], "containerd");
    assert_eq!(k["unit"], Value::Null);
    let u2 = uid(2).replace('-', "_");
    assert_eq!(
        k["cgroup"],
        format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{u2}.slice/cri-containerd-{}.scope",
            cid(2)
        )
        .as_str()
    );
    // The /.. prefix is gone from the path shown too.
    let a = workload_json(5012, &p);
    assert!(
        a["cgroup"]
            .as_str()
            .unwrap()
            .starts_with("/kubepods.slice/")
    );
    assert_eq!(a["qos"], "besteffort");
    let m = workload_json(5004, &p);
    assert_eq!(m["role"], "runtime_monitor");
    assert_eq!(m["container"], "search");
    let pod = workload_json(5013, &p);
    assert_eq!(
        (pod["role"].as_str(), pod["container_id"].is_null()),
        (Some("pod"), true)
    );
    let unit = workload_json(5010, &p);
    assert_eq!(unit["kind"], "systemd_unit");
    assert_eq!(unit["unit"], "nginx.service");
    assert_eq!(unit["pod_uid"], Value::Null);
    let d = workload_json(5007, &p);
    assert_eq!(d["kind"], "container");
    assert_eq!(d["runtime"], "docker");
    assert_eq!(d["container_id"], cid(7).as_str());
    let c = workload_json(5015, &p);
    assert_eq!(c["kind"], "cgroup");
    assert_eq!(c["cgroup"], "/user.slice/user-1000.slice");
    // Hostile names reach JSON as JSON escapes, never raw.
    let o = proctor_at(
        &fixture("workloads"),
        &["--pods-dir", &p, "inspect", "5016", "--json"],
    );
    assert!(!o.stdout.contains(&0x1b), "raw ESC in JSON");
    assert_eq!(json(&o)["workload"]["pod"], "pod\u{1b}[31mred");
}

#[test]
fn without_the_kubelet_directories_pods_are_named_by_uid() {
    let t = crate::common::TempDir::new("workload-nopods");
    let absent = t.path().join("absent/pods");
    let line = workload_line(5001, absent.to_str().unwrap());
    assert_eq!(
        line,
        format!(
            "k8s container ? of pod {} (burstable, 013f2a9c1b4d)",
            uid(1)
        )
    );
    // A file where the directory should be: the same, and no error.
    let file = t.path().join("pods");
    std::fs::write(&file, "").unwrap();
    assert_eq!(workload_line(5001, file.to_str().unwrap()), line);
    // Only the containers directory readable: the link names the pod too.
    let logs = t.path().join("log");
    std::fs::create_dir_all(logs.join("containers")).unwrap();
    let link = format!("api-7d9_payments_api-{}.log", cid(1));
    std::os::unix::fs::symlink("/nowhere", logs.join("containers").join(link)).unwrap();
    assert_eq!(
        workload_line(5001, logs.join("pods").to_str().unwrap()),
        "k8s container api of pod payments/api-7d9 (burstable, 013f2a9c1b4d)"
    );
}

#[test]
fn pods_dir_from_the_environment() {
    let o = without_overrides(&mut Command::new(bin()))
        .args(crate::common::root_args(&fixture("workloads")))
        .args(["inspect", "5002"])
        .env("PROCTOR_PODS_DIR", pods_dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(
        out.contains("k8s container worker of pod payments/worker-5c4"),
        "{out}"
    );
}

#[test]
fn live_child_in_a_kubepods_cgroup_is_that_pods_container() {
    // A UID and container id of this run only.
    let n = std::process::id();
    let pod_uid = format!("{n:08x}-7e57-4c7e-9a3d-{:012x}", u64::from(n) * 7919);
    let id = format!("{n:08x}{}", "ab".repeat(28));
    let rel = format!("kubepods/burstable/pod{pod_uid}/{id}");
    let Some(cg) = KubepodsCgroup::new(&rel) else {
        return;
    };
    let child = Reaped::spawn(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && exec sleep 600"])
            .arg(cg.leaf.join("cgroup.procs"))
            .stdin(Stdio::null()),
    );
    let pid = child.pid();
    let want = format!("/{rel}");
    wait_until(
        "the child in its kubepods cgroup",
        Duration::from_secs(10),
        || {
            std::fs::read_to_string(format!("/proc/{pid}/cgroup")).is_ok_and(|c| {
                c.lines()
                    .any(|l| l.contains(":memory:") && l.ends_with(&want))
            })
        },
    );
    // The kubelet's directories for it, in a temporary var/log.
    let t = crate::common::TempDir::new("workload-live");
    let pods = t.path().join("log/pods");
    std::fs::create_dir_all(pods.join(format!("shop_cart-7f_{pod_uid}/cart"))).unwrap();
    std::fs::create_dir_all(t.path().join("log/containers")).unwrap();
    std::os::unix::fs::symlink(
        "/nowhere",
        t.path()
            .join(format!("log/containers/cart-7f_shop_cart-{id}.log")),
    )
    .unwrap();
    let o = proctor(&[
        "--pods-dir",
        pods.to_str().unwrap(),
        "inspect",
        &pid.to_string(),
    ]);
    let out = stdout(&o);
    let short = &id[..12];
    assert!(
        out.contains(&format!(
            "Workload      k8s container cart of pod shop/cart-7f (burstable, {short})"
        )),
        "{out}\n{}",
        stderr(&o)
    );
    let o = proctor(&[
        "--pods-dir",
        pods.to_str().unwrap(),
        "inspect",
        &pid.to_string(),
        "--json",
    ]);
    let w = json(&o)["workload"].clone();
    assert_eq!(w["pod_uid"], pod_uid.as_str());
    assert_eq!(w["container_id"], id.as_str());
    assert_eq!(w["qos"], "burstable");
    assert_eq!(w["cgroup"], want.as_str());
    drop(child);
    drop(cg);
}

/// An OOM kill in the kernel log (the tree's `dev/kmsg`, hand-written in
/// the kernel's format) is attributed to the workload of the victim's
/// memory cgroup, named from the kubelet's directories: by `oom` (human
/// and JSON) and by `doctor`'s recent kills. Without the kubelet's names,
/// the pod UID and the short container id.
#[test]
fn an_oom_kill_is_attributed_to_its_workload() {
    let tree = fixture("workloads");
    let p = pods_dir();
    let o = proctor_at(&tree, &["--pods-dir", &p, "oom"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        stdout(&o).contains(
            "    workload k8s container api of pod payments/api-7d9 (burstable, 013f2a9c1b4d)\n"
        ),
        "{}",
        stdout(&o)
    );
    let v = json(&proctor_at(&tree, &["--pods-dir", &p, "oom", "--json"]));
    let w = &v["kills"][0]["workload"];
    assert_eq!(v["kills"][0]["pid"], 777);
    assert_eq!(w["kind"], "kubernetes");
    assert_eq!(w["namespace"], "payments");
    assert_eq!(w["pod"], "api-7d9");
    assert_eq!(w["container"], "api");
    assert_eq!(w["pod_uid"], uid(1).as_str());
    assert_eq!(w["container_id"], cid(1).as_str());
    let d = proctor_at(&tree, &["--pods-dir", &p, "doctor"]);
    assert!(
        stdout(&d).contains(
            "  k8s container api of pod payments/api-7d9 (burstable, 013f2a9c1b4d) was OOM-killed"
        ),
        "{}",
        stdout(&d)
    );
    // No kubelet names (neither the pods directory nor its sibling
    // `containers`): the pod by UID, the container by its short id.
    let o = proctor_at(
        &tree,
        &["--pods-dir", "/nonexistent-proctor-test/pods", "oom"],
    );
    assert!(
        stdout(&o).contains(&format!(
            "    workload k8s container ? of pod {} (burstable, 013f2a9c1b4d)\n",
            uid(1)
        )),
        "{}",
        stdout(&o)
    );
}

/// `top`'s WORKLOAD column names pods and containers from the kubelet's
/// directories (`--pods-dir`), as `inspect` does: in the table, its JSON,
/// and in the interactive view, where a pod whose directories appear only
/// later is named by the scanning thread once they do. Hostile names stay
/// escaped; without the directories, the pod UID and the short id.
#[test]
fn top_names_pods_in_its_workload_column() {
    let tree = fixture("workloads");
    let p = pods_dir();
    let cols = ["top", "--once", "--columns", "pid,name,workload"];
    let with: Vec<&str> = ["--pods-dir", p.as_str()].into_iter().chain(cols).collect();
    let o = proctor_at(&tree, &with);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let line = |pid: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(pid))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("no row {pid}:\n{out}"))
    };
    assert_eq!(line("5001")[2], "payments/api-7d9/api", "{out}");
    assert_eq!(line("5004")[2], "shop/search-1/conmon", "{out}");
    assert_eq!(line("5016")[2], "evil/pod\\e[31mred/c\\e]0;t\\x07", "{out}");
    assert!(!out.contains('\x1b'), "escapes reach the terminal: {out:?}");
    let mut js = with.clone();
    js.push("--json");
    let v = json(&proctor_at(&tree, &js));
    let row = v
        .as_array()
        .and_then(|a| a.iter().find(|r| r["pid"] == 5001))
        .unwrap_or_else(|| panic!("{v:#}"));
    let w = &row["workload"];
    assert_eq!(
        (&w["namespace"], &w["pod"], &w["container"]),
        (
            &Value::from("payments"),
            &Value::from("api-7d9"),
            &Value::from("api")
        ),
        "{w:#}"
    );
    // No kubelet directories: the UID's start and the short container id.
    let t = crate::common::TempDir::new("top-pods");
    let empty = t.path().join("log/pods");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::create_dir_all(t.path().join("log/containers")).unwrap();
    let e = empty.to_str().unwrap();
    let o = proctor_at(
        &tree,
        &[
            "--pods-dir",
            e,
            "top",
            "--once",
            "--columns",
            "pid,workload",
        ],
    );
    assert!(
        stdout(&o).contains("5001  pod:00000001/013f2a9c1b4d"),
        "{}",
        stdout(&o)
    );

    // Interactive: unnamed at first, named once the directories appear.
    let r = crate::common::root_args(&tree);
    let cmd = format!(
        "'{}' --proc-root '{}' --sys-root '{}' --pods-dir '{e}' top --interval 250ms \
         --columns pid,name,workload; echo EXIT=$?; sleep 60",
        bin(),
        r[1],
        r[3]
    );
    let Some(tm) = crate::common::Tmux::start("top-pods", 120, 30, &cmd) else {
        return;
    };
    // (The TUI cuts the column at 24 characters.)
    tm.wait_for(
        "5001 python3.11      pod:00000001/",
        Duration::from_secs(30),
    );
    std::fs::create_dir_all(empty.join(format!("payments_api-7d9_{}/api", uid(1)))).unwrap();
    std::os::unix::fs::symlink(
        "/nowhere",
        t.path().join(format!(
            "log/containers/api-7d9_payments_api-{}.log",
            cid(1)
        )),
    )
    .unwrap();
    tm.wait_for("payments/api-7d9/api", Duration::from_secs(30));
    tm.keys(&["q"]);
    tm.wait_for("EXIT=0", Duration::from_secs(30));
}
