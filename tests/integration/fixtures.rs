//! `inspect` against captured /proc trees (tests/fixtures, see its README
//! for where each file came from). Values asserted here are the captured
//! ones, so a parser or analysis bug changes them.

use serde_json::{Value, json};

use crate::common::{fixture, fixture_copy, json, proctor_at, stderr, stdout};

fn inspect(tree: &str, pid: &str, extra: &[&str]) -> Value {
    let mut args = vec!["inspect", pid, "--json"];
    args.extend_from_slice(extra);
    report(&proctor_at(&fixture(tree), &args))
}

/// The JSON report, after checking the exit code: 1 exactly when a finding
/// at warning or above is reported, else 0.
fn report(o: &std::process::Output) -> Value {
    let v = json(o);
    let problem = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] != "info");
    assert_eq!(
        o.status.code(),
        Some(if problem { 1 } else { 0 }),
        "stderr: {}",
        stderr(o)
    );
    v
}

fn finding<'a>(v: &'a Value, id: &str) -> Option<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
}

fn unavailable(v: &Value, section: &str) -> Option<String> {
    v["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["section"] == section)
        .map(|u| u["reason"].as_str().unwrap().to_string())
}

#[test]
fn v1_process_report_matches_the_captured_files() {
    let v = inspect("v1-basic", "4242", &[]);
    assert_eq!(v["pid"], 4242);
    assert_eq!(v["ppid"], 1);
    assert_eq!(v["parent_name"], "systemd");
    assert_eq!(v["name"], "python3.11");
    assert_eq!(
        v["cmdline"],
        json!([
            "/usr/bin/python3.11",
            "/tmp/proctor-fx/app/app_server.py",
            "--port",
            "38123",
            "--workers",
            "3"
        ])
    );
    assert_eq!(v["state"], "S");
    assert_eq!(v["uid"], 0);
    assert_eq!(v["exe"], "/usr/bin/python3.11");
    assert_eq!(v["cwd"], "/tmp/proctor-fx/app");
    let start = v["start_time"].as_str().unwrap();
    assert!(humantime::parse_rfc3339(start).is_ok(), "{start}");
    assert_eq!(v["threads"], 4);
    assert_eq!(
        v["thread_groups"][0],
        json!({"pattern": "pool-#-thread-#", "count": 2})
    );

    let m = &v["memory"];
    assert_eq!(m["rss_bytes"], 44288 * 1024);
    assert_eq!(m["rss_anon_bytes"], 29672 * 1024);
    assert_eq!(m["rss_file_bytes"], 6424 * 1024);
    assert_eq!(m["rss_shmem_bytes"], 8192 * 1024);
    assert_eq!(m["swap_bytes"], 0);
    assert_eq!(m["peak_rss_bytes"], 77012 * 1024);
    assert_eq!(m["vsize_bytes"], 269976 * 1024);
    assert_eq!(m["pss_bytes"], 42532 * 1024);
    assert_eq!(m["oom_score"], 667);

    let c = &v["cgroup"];
    assert_eq!(c["version"], "v1");
    assert_eq!(c["path"], "/kubepods/burstable/pod1234/abc");
    assert_eq!(c["memory_limit_bytes"], 536870912);
    assert_eq!(c["memory_limit_path"], "/kubepods/burstable/pod1234/abc");
    assert_eq!(c["memory_usage_bytes"], 104857600);
    assert_eq!(c["oom_kills"], 2);

    let f = &v["fds"];
    assert_eq!(f["count"], 19);
    assert_eq!(f["soft_limit"], 20000);
    assert_eq!(f["hard_limit"], 20000);
    assert_eq!(f["by_type"]["file"], 6);
    assert_eq!(f["by_type"]["dir"], 1);
    assert_eq!(f["by_type"]["socket"], 6);
    assert_eq!(f["by_type"]["pipe"], 2);
    assert_eq!(f["by_type"]["anon_inode"], 2);
    assert_eq!(f["by_type"]["char_device"], 2);
    assert_eq!(f["by_type"]["block_device"], 0);
    assert_eq!(f["deleted"], 1);
    assert_eq!(f["anon_kinds"], json!({"eventfd": 1, "eventpoll": 1}));

    let s = &v["sockets"];
    assert_eq!(s["count"], 6);
    assert_eq!(s["by_protocol"], json!({"tcp": 3, "udp": 1, "unix": 2}));
    assert_eq!(s["by_state"], json!({"ESTABLISHED": 2, "LISTEN": 1}));
    assert_eq!(s["listening"], json!(["127.0.0.1:38123"]));
    assert_eq!(s["udp_bound"], json!(["127.0.0.1:38124"]));
    assert_eq!(s["close_wait"], 0);

    // Summed over the 4 threads' task/TID/status (49+1+1+2, 1+0+0+0),
    // not the main thread's alone.
    assert_eq!(v["context_switches"]["voluntary"], 53);
    assert_eq!(v["context_switches"]["nonvoluntary"], 1);
    assert_eq!(v["io"]["read_bytes"], 1060864);
    assert_eq!(v["io"]["write_bytes"], 172032);
    assert_eq!(v["environment"]["count"], 6);
    assert_eq!(v["unavailable"], json!([]));

    // Findings: OOM kills in the cgroup (critical) and the deleted file.
    assert_eq!(
        finding(&v, "cgroup.oom_kills").unwrap()["severity"],
        "critical"
    );
    assert_eq!(
        finding(&v, "fds.deleted_open").unwrap()["severity"],
        "warning"
    );
    assert!(finding(&v, "fds.near_limit").is_none());
    assert!(finding(&v, "threads.high").is_none());
    // Most severe first.
    assert_eq!(v["findings"][0]["id"], "cgroup.oom_kills");
}

#[test]
fn json_contract_names_are_present() {
    let v = inspect("v1-basic", "4242", &[]);
    for k in [
        "pid",
        "ppid",
        "name",
        "cmdline",
        "state",
        "user",
        "uid",
        "start_time",
        "threads",
        "memory",
        "cgroup",
        "fds",
        "sockets",
        "context_switches",
        "io",
        "findings",
        "unavailable",
    ] {
        assert!(v.get(k).is_some(), "missing top-level {k}");
    }
    let nested = [
        (
            "memory",
            &[
                "rss_bytes",
                "pss_bytes",
                "vsize_bytes",
                "swap_bytes",
                "peak_rss_bytes",
                "rss_anon_bytes",
                "rss_file_bytes",
                "rss_shmem_bytes",
            ][..],
        ),
        (
            "cgroup",
            &[
                "path",
                "memory_limit_bytes",
                "memory_usage_bytes",
                "oom_kills",
            ][..],
        ),
        (
            "fds",
            &["count", "soft_limit", "hard_limit", "by_type", "deleted"][..],
        ),
        ("sockets", &["count", "by_state", "listening"][..]),
        ("context_switches", &["voluntary", "nonvoluntary"][..]),
        ("io", &["read_bytes", "write_bytes"][..]),
    ];
    for (obj, keys) in nested {
        for k in keys {
            assert!(v[obj].get(*k).is_some(), "missing {obj}.{k}");
        }
    }
    for f in v["findings"].as_array().unwrap() {
        for k in ["id", "severity", "message"] {
            assert!(f.get(k).is_some());
        }
    }
}

#[test]
fn v2_tightest_limit_comes_from_an_ancestor() {
    let v = inspect("v2-basic", "4242", &[]);
    let c = &v["cgroup"];
    assert_eq!(c["version"], "v2");
    assert_eq!(
        c["path"],
        "/kubepods.slice/kubepods-burstable.slice/cri-containerd-abc.scope"
    );
    assert_eq!(c["memory_limit_bytes"], 1073741824);
    assert_eq!(
        c["memory_limit_path"],
        "/kubepods.slice/kubepods-burstable.slice"
    );
    assert_eq!(c["memory_usage_bytes"], 209715200);
    assert_eq!(c["oom_kills"], 1);
    let human = stdout(&proctor_at(&fixture("v2-basic"), &["inspect", "4242"]));
    assert!(human.contains("1.00 GiB"), "{human}");
    assert!(
        human.contains("set on ancestor /kubepods.slice/kubepods-burstable.slice"),
        "{human}"
    );
}

#[test]
fn v2_unlimited_everywhere_is_null_not_zero() {
    let t = fixture_copy("v2-basic");
    let base = t
        .path()
        .join("sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice");
    std::fs::write(base.join("memory.max"), "max\n").unwrap();
    let o = proctor_at(t.path(), &["inspect", "4242", "--json"]);
    let v = json(&o);
    assert_eq!(v["cgroup"]["memory_limit_bytes"], Value::Null);
    assert_eq!(v["cgroup"]["memory_usage_bytes"], 209715200);
}

#[test]
fn no_cgroup_mount_is_reported_unavailable() {
    let t = fixture_copy("v1-basic");
    std::fs::remove_dir_all(t.path().join("sys/fs/cgroup")).unwrap();
    let v = json(&proctor_at(t.path(), &["inspect", "4242", "--json"]));
    assert_eq!(unavailable(&v, "cgroup").as_deref(), Some("not_supported"));
    assert_eq!(v["cgroup"]["memory_limit_bytes"], Value::Null);
    // The rest of the report is intact.
    assert_eq!(v["fds"]["count"], 19);
}

#[test]
fn zombie_fixture() {
    let v = inspect("v1-basic", "4300", &[]);
    assert_eq!(v["state"], "Z");
    assert_eq!(v["ppid"], 4242);
    assert_eq!(v["cmdline"], json!([]));
    assert_eq!(v["memory"]["rss_bytes"], Value::Null);
    assert_eq!(v["memory"]["vsize_bytes"], Value::Null);
    assert_eq!(v["fds"]["count"], Value::Null);
    for s in ["fds", "memory", "exe", "environment"] {
        assert_eq!(unavailable(&v, s).as_deref(), Some("not_supported"), "{s}");
    }
    // v1 shows a zombie in the root cgroup: not presented as its own.
    assert_eq!(unavailable(&v, "cgroup").as_deref(), Some("not_supported"));
    assert_eq!(v["cgroup"]["path"], Value::Null);
    let z = finding(&v, "state.zombie").unwrap();
    assert!(z["message"].as_str().unwrap().contains("4242"));
}

#[test]
fn exit_code_follows_findings() {
    // 4242 has a critical finding: exit 1. kthreadd has none: exit 0.
    assert_eq!(
        proctor_at(&fixture("v1-basic"), &["inspect", "4242"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        proctor_at(&fixture("v1-basic"), &["inspect", "2"])
            .status
            .code(),
        Some(0)
    );
    // Info findings alone (D state) do not make it a problem.
    let t = fixture_copy("v1-basic");
    let p = t.path().join("proc/2/stat");
    let s = std::fs::read_to_string(&p)
        .unwrap()
        .replacen(") S ", ") D ", 1);
    std::fs::write(p, s).unwrap();
    let o = proctor_at(t.path(), &["inspect", "2", "--json"]);
    assert_eq!(json(&o)["findings"][0]["id"], "state.uninterruptible");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn kernel_thread_fixture() {
    let v = inspect("v1-basic", "2", &[]);
    assert_eq!(v["name"], "kthreadd");
    assert_eq!(v["kernel_thread"], true);
    assert_eq!(v["cmdline"], json!([]));
    assert_eq!(v["exe"], Value::Null);
    assert_eq!(v["cwd"], "/");
    assert_eq!(unavailable(&v, "exe").as_deref(), Some("not_supported"));
    assert_eq!(unavailable(&v, "memory").as_deref(), Some("not_supported"));
    let human = stdout(&proctor_at(&fixture("v1-basic"), &["inspect", "2"]));
    assert!(human.contains("(kernel thread)"), "{human}");
    assert!(human.contains("kernel thread: no user memory"), "{human}");
}

#[test]
fn hostile_names_are_escaped_and_json_is_valid() {
    let v = inspect("hostile", "4242", &[]);
    assert_eq!(v["name"], "evil\u{1b}[31m)\n:\\xff");
    let cmd = v["cmdline"].as_array().unwrap();
    assert_eq!(cmd.len(), 5);
    assert_eq!(cmd[2], "--name=\\xff\\xfe\\xc3(bad-utf8");
    assert_eq!(cmd[3], "");
    assert_eq!(cmd[4], "\u{1b}[31mred\u{1b}[0m\u{1b}]0;pwned\u{7}");
    assert_eq!(v["fds"]["deleted"], 1);

    let o = proctor_at(&fixture("hostile"), &["inspect", "4242"]);
    assert_eq!(o.status.code(), Some(1), "the fixture has findings");
    assert!(!o.stdout.contains(&0x1b), "raw ESC reached the terminal");
    assert!(!o.stdout.contains(&0x07), "raw BEL reached the terminal");
    let out = stdout(&o);
    assert!(
        out.contains("Name          evil\\e[31m)\\n:\\xff\n"),
        "{out}"
    );
    assert!(out.contains("'' \\e[31mred\\e[0m\\e]0;pwned\\x07"), "{out}");
    assert!(
        out.contains("gone\\nname\\e]0;pwned\\x07.tmp (deleted)"),
        "{out}"
    );
}

#[test]
fn truncated_and_garbage_files_do_not_panic() {
    let o = proctor_at(&fixture("hostile"), &["inspect", "4343", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("could not parse") && e.contains("4343/stat"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");

    // A valid stat with every other file broken: a report, with the broken
    // sections named, never a crash.
    let t = fixture_copy("hostile");
    let p = t.path().join("proc/4343");
    std::fs::copy(t.path().join("proc/4242/stat"), p.join("stat")).unwrap();
    let v = json(&proctor_at(t.path(), &["inspect", "4343", "--json"]));
    assert_eq!(unavailable(&v, "limits").as_deref(), Some("parse_error"));
    assert_eq!(unavailable(&v, "io").as_deref(), Some("parse_error"));
    assert_eq!(
        unavailable(&v, "smaps_rollup").as_deref(),
        Some("parse_error")
    );
    assert_eq!(v["fds"]["soft_limit"], Value::Null);
    assert_eq!(v["memory"]["rss_bytes"], Value::Null);
}

/// Edit a fixture copy and return its report.
fn with_edit(tree: &str, edit: impl FnOnce(&std::path::Path), extra: &[&str]) -> Value {
    let t = fixture_copy(tree);
    edit(t.path());
    let mut args = vec!["inspect", "4242", "--json"];
    args.extend_from_slice(extra);
    report(&proctor_at(t.path(), &args))
}

fn set_nofile(root: &std::path::Path, soft: u64) {
    let p = root.join("proc/4242/limits");
    let text = std::fs::read_to_string(&p).unwrap();
    let out: String = text
        .lines()
        .map(|l| {
            if l.starts_with("Max open files") {
                format!("Max open files            {soft:<21}20000                files     ")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(p, out + "\n").unwrap();
}

fn set_status(root: &std::path::Path, key: &str, value: &str) {
    set_file_field(&root.join("proc/4242/status"), key, value);
    // Context switches are summed over threads: the main thread's task
    // status carries the same lines.
    if key.ends_with("ctxt_switches") {
        set_file_field(&root.join("proc/4242/task/4242/status"), key, value);
    }
}

fn set_file_field(p: &std::path::Path, key: &str, value: &str) {
    let p = p.to_path_buf();
    let text = std::fs::read(&p).unwrap();
    let mut out = Vec::new();
    for line in text.split(|&c| c == b'\n') {
        if line.starts_with(format!("{key}:").as_bytes()) {
            out.extend_from_slice(format!("{key}:\t{value}").as_bytes());
        } else {
            out.extend_from_slice(line);
        }
        out.push(b'\n');
    }
    out.pop();
    std::fs::write(p, out).unwrap();
}

#[test]
fn fd_limit_thresholds() {
    // 19 descriptors: 19/20 = 95% critical, 19/23 = 83% warning, 19/24 = 79% none.
    let v = with_edit("v1-basic", |r| set_nofile(r, 20), &[]);
    let f = finding(&v, "fds.near_limit").unwrap();
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["evidence"]["fds"], 19);
    assert_eq!(f["evidence"]["soft_limit"], 20);
    let v = with_edit("v1-basic", |r| set_nofile(r, 23), &[]);
    assert_eq!(
        finding(&v, "fds.near_limit").unwrap()["severity"],
        "warning"
    );
    let v = with_edit("v1-basic", |r| set_nofile(r, 24), &[]);
    assert!(finding(&v, "fds.near_limit").is_none());
}

#[test]
fn memory_limit_thresholds() {
    // RSS 44288 kB against the cgroup limit.
    let rss = 44288u64 * 1024;
    let set = |limit: u64| {
        move |r: &std::path::Path| {
            let d = r.join("sys/fs/cgroup/memory/kubepods/burstable/pod1234/abc");
            std::fs::write(d.join("memory.limit_in_bytes"), format!("{limit}\n")).unwrap();
        }
    };
    let v = with_edit("v1-basic", set(rss * 100 / 96), &[]);
    let f = finding(&v, "memory.near_cgroup_limit").unwrap();
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["evidence"]["rss_bytes"], rss);
    let v = with_edit("v1-basic", set(rss * 100 / 85), &[]);
    assert_eq!(
        finding(&v, "memory.near_cgroup_limit").unwrap()["severity"],
        "warning"
    );
    let v = with_edit("v1-basic", set(rss * 100 / 70), &[]);
    assert!(finding(&v, "memory.near_cgroup_limit").is_none());
    // A tighter limit on an ancestor wins over the leaf's.
    let v = with_edit(
        "v1-basic",
        |r| {
            let d = r.join("sys/fs/cgroup/memory/kubepods/burstable");
            std::fs::write(d.join("memory.limit_in_bytes"), format!("{}\n", rss + 1024)).unwrap();
        },
        &[],
    );
    assert_eq!(v["cgroup"]["memory_limit_bytes"], rss + 1024);
    assert_eq!(v["cgroup"]["memory_limit_path"], "/kubepods/burstable");
    assert_eq!(
        finding(&v, "memory.near_cgroup_limit").unwrap()["severity"],
        "critical"
    );
}

#[test]
fn thread_threshold_is_configurable() {
    let v = inspect("v1-basic", "4242", &["--thread-threshold", "4"]);
    let f = finding(&v, "threads.high").unwrap();
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("pool-#-thread-# x2")
    );
    let v = inspect("v1-basic", "4242", &["--thread-threshold", "5"]);
    assert!(finding(&v, "threads.high").is_none());
}

#[test]
fn close_wait_pile_up() {
    // Turn the two ESTABLISHED sockets into CLOSE_WAIT, threshold 2.
    let edit = |r: &std::path::Path| {
        let p = r.join("proc/4242/net/tcp");
        let t = std::fs::read_to_string(&p).unwrap();
        let t: String = t
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                if f.len() > 9 && (f[9] == "5508" || f[9] == "5509") {
                    l.replacen(" 01 ", " 08 ", 1)
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(p, t + "\n").unwrap();
    };
    let v = with_edit("v1-basic", edit, &["--close-wait-threshold", "2"]);
    assert_eq!(v["sockets"]["close_wait"], 2);
    assert_eq!(v["sockets"]["by_state"]["CLOSE_WAIT"], 2);
    assert_eq!(
        finding(&v, "sockets.close_wait").unwrap()["severity"],
        "warning"
    );
    let v = with_edit("v1-basic", edit, &[]);
    assert!(
        finding(&v, "sockets.close_wait").is_none(),
        "default threshold is 20"
    );
}

#[test]
fn swap_and_nonvoluntary_switches() {
    let v = with_edit(
        "v1-basic",
        |r| {
            set_status(r, "VmSwap", "    8192 kB");
            set_status(r, "voluntary_ctxt_switches", "400");
            set_status(r, "nonvoluntary_ctxt_switches", "1600");
        },
        &[],
    );
    let s = finding(&v, "memory.swap_in_use").unwrap();
    assert_eq!(s["evidence"]["swap_bytes"], 8192 * 1024);
    // 8 MiB of 8 + 43.25 MiB is 16%: warning.
    assert_eq!(s["severity"], "warning");
    // 400+4 voluntary (three other threads) and 1,600 nonvoluntary.
    let c = finding(&v, "cpu.nonvoluntary_switches").unwrap();
    assert_eq!(c["evidence"]["percent"], 79.8);
    assert_eq!(v["context_switches"]["voluntary"], 404);
    // Few switches are not judged.
    let v = with_edit(
        "v1-basic",
        |r| {
            set_status(r, "voluntary_ctxt_switches", "4");
            set_status(r, "nonvoluntary_ctxt_switches", "16");
        },
        &[],
    );
    assert!(finding(&v, "cpu.nonvoluntary_switches").is_none());
}

#[test]
fn memfd_is_not_a_deleted_file() {
    let v = with_edit(
        "v1-basic",
        |r| {
            let fd = r.join("proc/4242/fd");
            std::fs::remove_file(fd.join("7")).unwrap();
            std::os::unix::fs::symlink("/memfd:jit (deleted)", fd.join("7")).unwrap();
        },
        &[],
    );
    assert_eq!(v["fds"]["deleted"], 0);
    assert_eq!(v["fds"]["by_type"]["memfd"], 1);
    assert!(finding(&v, "fds.deleted_open").is_none());
}

#[test]
fn proc_root_from_environment() {
    let root = fixture("v1-basic");
    let o = std::process::Command::new(crate::common::bin())
        .args(["inspect", "4242", "--json"])
        .env("PROCTOR_PROC_ROOT", root.join("proc"))
        .env("PROCTOR_SYS_ROOT", root.join("sys"))
        .output()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["name"], "python3.11");
    assert_eq!(v["cgroup"]["memory_limit_bytes"], 536870912);
}

#[test]
fn self_resolves_through_the_proc_roots_self_link() {
    let v = inspect("v1-basic", "self", &[]);
    assert_eq!(v["pid"], 4242);
}

#[test]
fn name_resolution_on_a_fixture_tree() {
    // Exact name: kthreadd is pid 2.
    let v = inspect("v1-basic", "kthreadd", &[]);
    assert_eq!(v["pid"], 2);
    // Two processes are named python3.11 (4242 and its zombie 4300), but
    // the tree's `self` link says proctor is 4242: proctor never matches
    // itself, so the name resolves to 4300.
    let v = inspect("v1-basic", "python3.11", &[]);
    assert_eq!(v["pid"], 4300);
    // Without the self link both match: an error listing the candidates.
    let t = fixture_copy("v1-basic");
    std::fs::remove_file(t.path().join("proc/self")).unwrap();
    let o = proctor_at(t.path(), &["inspect", "python3.11"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("2 processes match 'python3.11'"), "{e}");
    assert!(e.contains("4242") && e.contains("4300"), "{e}");
    assert!(e.contains("hint:") && e.contains("--newest"), "{e}");
    assert!(o.stdout.is_empty());
    // --newest / --oldest pick by start time (equal here: the higher PID is newer).
    let o = proctor_at(t.path(), &["inspect", "python3.11", "--oldest", "--json"]);
    assert_eq!(json(&o)["pid"], 4242);
    let o = proctor_at(t.path(), &["inspect", "python3.11", "--newest", "--json"]);
    assert_eq!(json(&o)["pid"], 4300);
    // Substring of the command line when no name matches.
    let o = proctor_at(t.path(), &["inspect", "app_server", "--json"]);
    assert_eq!(json(&o)["pid"], 4242);
    // ...but never proctor's own command line (4242 is `self` in the tree).
    let o = proctor_at(&fixture("v1-basic"), &["inspect", "app_server"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no process matches 'app_server'"));
}

#[test]
fn half_gone_process_is_reported_as_exited() {
    use proctor::error::ReadError;
    use proctor::reader::ProcFs;
    let t = fixture_copy("v1-basic");
    let fs = ProcFs::new(t.path().join("proc"), t.path().join("sys"));
    let handle = fs.open(4242).unwrap();
    // The directory stays, its files vanish (a process being torn down).
    for f in ["stat", "status", "smaps_rollup", "limits"] {
        std::fs::remove_file(t.path().join("proc/4242").join(f)).unwrap();
    }
    assert_eq!(
        fs.snapshot(&handle).unwrap_err(),
        ReadError::Exited { pid: 4242 }
    );
    // Through the binary: the same tree gives a one-line error, exit 2.
    let o = proctor_at(t.path(), &["inspect", "4242"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no process with PID 4242"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_file_of_a_live_process_is_not_supported_not_exited() {
    let v = with_edit(
        "v1-basic",
        |r| std::fs::remove_file(r.join("proc/4242/smaps_rollup")).unwrap(),
        &[],
    );
    assert_eq!(
        unavailable(&v, "smaps_rollup").as_deref(),
        Some("not_supported")
    );
    assert_eq!(v["memory"]["pss_bytes"], Value::Null);
    assert_eq!(v["memory"]["rss_bytes"], 44288 * 1024);
}

#[test]
fn uninterruptible_state_is_explained() {
    let v = with_edit(
        "v1-basic",
        |r| {
            let p = r.join("proc/4242/stat");
            let s = std::fs::read_to_string(&p)
                .unwrap()
                .replacen(") S ", ") D ", 1);
            std::fs::write(p, s).unwrap();
        },
        &[],
    );
    assert_eq!(v["state"], "D");
    assert!(
        v["state_meaning"]
            .as_str()
            .unwrap()
            .contains("uninterruptible")
    );
    assert_eq!(
        finding(&v, "state.uninterruptible").unwrap()["severity"],
        "info"
    );
}

#[test]
fn a_process_that_becomes_a_zombie_mid_read_is_exited() {
    use proctor::error::ReadError;
    use proctor::reader::ProcFs;
    let t = fixture_copy("v1-basic");
    let fs = ProcFs::new(t.path().join("proc"), t.path().join("sys"));
    let handle = fs.open(4242).unwrap();
    // Same start time, now a zombie: it exited while being read.
    let p = t.path().join("proc/4242/stat");
    let s = std::fs::read_to_string(&p)
        .unwrap()
        .replacen(") S ", ") Z ", 1);
    std::fs::write(p, s).unwrap();
    assert_eq!(
        fs.snapshot(&handle).unwrap_err(),
        ReadError::Exited { pid: 4242 }
    );
}
