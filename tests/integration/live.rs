//! Live tests: real processes (children of the test, python helpers from
//! tests/helpers), inspected through the real /proc. Every assertion
//! compares proctor's output with what the test reads from /proc itself.
//!
//! Every child is a [`Reaped`] (killed and reaped on drop), every temp file
//! lives in a [`TempDir`], sockets are on loopback only, loops are bounded.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::common::{self, Reaped, TempDir, json, proc_text, proctor, python_helper, status_field};
use crate::common::{expected_code, fd_entries, spawn_ready, temp_str};
use crate::common::{helper_path, is_root, nofile_limits, proc_state, wait_exec_sleeping, which};

// ---------------------------------------------------------------- helpers

/// Link texts of /proc/PID/fd/*.
fn fd_links(pid: i32) -> Vec<Vec<u8>> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/PID/fd")
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|p| p.as_os_str().as_bytes().to_vec())
        .collect()
}

/// The path of the v1 memory controller line in /proc/PID/cgroup, if any.
fn memory_cgroup_path(pid: i32) -> Option<String> {
    proc_text(pid, "cgroup").lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let _id = parts.next()?;
        let controllers = parts.next()?;
        let path = parts.next()?;
        controllers
            .split(',')
            .any(|c| c == "memory")
            .then(|| path.to_string())
    })
}

fn spawn_sleep() -> Reaped {
    let child = Reaped::spawn(
        Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_exec_sleeping(child.pid(), b"sleep\x001000\x00");
    child
}

/// Wait for a child we reaped ourselves, then forget the guard so its drop
/// does not signal a PID that may already belong to another process.
fn reap_now(mut r: Reaped) -> ExitStatus {
    let st = r.0.wait().expect("wait child");
    drop(r.0.stdin.take());
    drop(r.0.stdout.take());
    drop(r.0.stderr.take());
    std::mem::forget(r);
    st
}

/// Run `proctor inspect PID --json EXTRA...`; checks that the exit code is
/// the one the findings call for (0 or 1) and returns the output and JSON.
fn inspect_json(pid: i32, extra: &[&str]) -> (Output, Value) {
    let p = pid.to_string();
    let mut args = vec!["inspect", p.as_str(), "--json"];
    args.extend_from_slice(extra);
    let out = proctor(&args);
    let v = json(&out);
    assert_eq!(
        out.status.code(),
        Some(expected_code(&v)),
        "proctor {args:?}: exit code does not match the findings {}; stderr: {}",
        v["findings"],
        common::stderr(&out)
    );
    (out, v)
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn finding<'a>(v: &'a Value, id: &str) -> Option<&'a Value> {
    v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .find(|f| f["id"] == id)
}

fn finding_ids(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn unavailable<'a>(v: &'a Value, section: &str) -> Option<&'a Value> {
    v["unavailable"]
        .as_array()
        .expect("unavailable array")
        .iter()
        .find(|u| u["section"] == section)
}

// ------------------------------------------------------------------ tests

#[test]
fn sleeping_child_matches_proc() {
    let child = spawn_sleep();
    let pid = child.pid();
    // "Nothing wrong" must not depend on the runner's cgroup history.
    let Some(_cg) = common::in_own_memory_cgroup("live-sleep", pid) else {
        return;
    };

    // sleep's RSS is stable once it sleeps; retry (bounded) in the unlikely
    // case it changed while proctor was reading.
    let mut got = None;
    for _ in 0..5 {
        let before = status_field(pid, "VmRSS");
        let (out, v) = inspect_json(pid, &[]);
        let after = status_field(pid, "VmRSS");
        if before == after {
            assert_eq!(code(&out), Some(0), "a sleeping child is healthy");
            got = Some((v, before));
            break;
        }
    }
    let (v, rss) = got.expect("VmRSS never stable across a proctor run");

    assert_eq!(v["pid"], pid);
    assert_eq!(v["ppid"], std::process::id());
    assert_eq!(v["name"], "sleep");
    assert_eq!(v["cmdline"], json!(["sleep", "1000"]));
    assert_eq!(v["state"], "S");
    assert_eq!(v["kernel_thread"], false);
    assert_eq!(v["threads"], 1);
    assert_eq!(status_field(pid, "Threads"), Some(1));

    assert_eq!(v["memory"]["rss_bytes"].as_u64(), rss, "rss vs VmRSS");
    assert!(rss.is_some_and(|r| r > 0));
    assert_eq!(
        v["memory"]["swap_bytes"].as_u64(),
        status_field(pid, "VmSwap")
    );

    assert_eq!(v["fds"]["count"].as_u64(), Some(fd_entries(pid)));
    let (soft, hard) = nofile_limits(pid);
    assert_eq!(v["fds"]["soft_limit"].as_u64(), soft);
    assert_eq!(v["fds"]["hard_limit"].as_u64(), hard);

    match memory_cgroup_path(pid) {
        Some(p) => assert_eq!(v["cgroup"]["path"], p.as_str()),
        None => eprintln!(
            "note: no memory controller line in /proc/{pid}/cgroup; cgroup path not checked"
        ),
    }

    let st = v["start_time"].as_str().expect("start_time string");
    let t = humantime::parse_rfc3339(st).expect("start_time is RFC 3339");
    let now = SystemTime::now();
    let diff = now.duration_since(t).unwrap_or_else(|e| e.duration());
    assert!(
        diff < Duration::from_secs(120),
        "start_time {st} is {diff:?} from now"
    );

    assert_eq!(v["unavailable"], json!([]));
    assert_eq!(v["findings"], json!([]));

    let human = proctor(&["inspect", &pid.to_string()]);
    assert_eq!(code(&human), Some(0), "{}", common::stderr(&human));
    let text = common::stdout(&human);
    assert!(text.contains("sleep 1000"), "{text}");
    assert!(text.contains("sleeping"), "{text}");
    drop(child);
}

#[test]
fn child_with_files_and_listener() {
    let tmp = TempDir::new("live-fds");
    let (helper, line) = python_helper("live_files_sockets.py", &[temp_str(&tmp)]);
    let pid = helper.pid();
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(parts.len(), 3, "readiness line {line:?}");
    assert_eq!(parts[0], "READY");
    let (port4, port6) = (parts[1], parts[2]);

    let (_, v) = inspect_json(pid, &[]);
    let fds = &v["fds"];
    let links = fd_links(pid);
    assert_eq!(fds["count"].as_u64(), Some(fd_entries(pid)));
    assert_eq!(fds["count"].as_u64(), Some(links.len() as u64));
    let by_type = fds["by_type"].as_object().expect("by_type");
    let sum: u64 = by_type.values().map(|n| n.as_u64().expect("count")).sum();
    assert_eq!(Some(sum), fds["count"].as_u64(), "by_type adds up to count");
    assert!(by_type["file"].as_u64().expect("file") >= 50, "{by_type:?}");
    assert!(by_type["dir"].as_u64().expect("dir") >= 1, "{by_type:?}");
    assert_eq!(by_type["socket"], 2);
    let socket_links = links.iter().filter(|l| l.starts_with(b"socket:[")).count();
    assert_eq!(socket_links, 2, "the test's own view of the sockets");

    let s = &v["sockets"];
    assert_eq!(s["by_state"]["LISTEN"], 2, "{s}");
    let listening: Vec<&str> = s["listening"]
        .as_array()
        .expect("listening")
        .iter()
        .map(|x| x.as_str().expect("string"))
        .collect();
    assert!(
        listening.contains(&format!("127.0.0.1:{port4}").as_str()),
        "{listening:?}"
    );
    assert!(
        listening.contains(&format!("[::1]:{port6}").as_str()),
        "{listening:?}"
    );
    assert_eq!(v["unavailable"], json!([]));
    drop(helper);
    drop(tmp);
}

#[test]
fn thread_explosion_is_grouped() {
    let (helper, line) = python_helper("live_threads.py", &["30"]);
    assert_eq!(line, "READY");
    let pid = helper.pid();
    let Some(_cg) = common::in_own_memory_cgroup("live-threads", pid) else {
        return;
    };

    let (out, v) = inspect_json(pid, &[]);
    assert_eq!(code(&out), Some(0), "findings: {}", v["findings"]);
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task dir")
        .count() as u64;
    assert_eq!(tasks, 31);
    assert_eq!(v["threads"].as_u64(), Some(tasks));
    assert_eq!(status_field(pid, "Threads"), Some(31));
    assert_eq!(
        v["thread_groups"][0],
        json!({"pattern": "pool-#-thread-#", "count": 30})
    );
    assert!(
        finding(&v, "threads.high").is_none(),
        "default threshold is 1000"
    );

    let (out, v) = inspect_json(pid, &["--thread-threshold", "20"]);
    assert_eq!(code(&out), Some(1), "a warning finding exits 1");
    let f = finding(&v, "threads.high").expect("threads.high with threshold 20");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["evidence"]["threads"], 31);
    assert_eq!(f["evidence"]["threshold"], 20);
    drop(helper);
}

#[test]
fn hostile_renamed_child() {
    // python_helper takes &str; these arguments are not UTF-8.
    let (helper, line) = spawn_ready(
        Command::new("python3")
            .arg(helper_path("live_hostile.py"))
            .arg(OsStr::from_bytes(b"\xff\xfe"))
            .arg("")
            .arg("\x1b[31mred")
            .stderr(Stdio::null()),
    );
    assert_eq!(line, "READY", "helper did not report ready");
    let pid = helper.pid();
    let p = pid.to_string();
    let Some(_cg) = common::in_own_memory_cgroup("live-hostile", pid) else {
        return;
    };

    // The test's own view: the kernel holds exactly these bytes.
    assert_eq!(
        std::fs::read(format!("/proc/{pid}/comm")).expect("comm"),
        b"evil\x1b[31m)\n:\xff\n"
    );

    let (out, v) = inspect_json(pid, &[]);
    assert_eq!(code(&out), Some(0), "findings: {}", v["findings"]);
    assert!(!out.stdout.contains(&0x1b), "raw ESC in JSON output");
    assert_eq!(v["name"], "evil\x1b[31m)\n:\\xff");
    assert!(
        v["state"] == "S" || v["state"] == "R",
        "state {}",
        v["state"]
    );
    let cmdline: Vec<&str> = v["cmdline"]
        .as_array()
        .expect("cmdline")
        .iter()
        .map(|x| x.as_str().expect("string"))
        .collect();
    assert_eq!(cmdline.len(), 5, "{cmdline:?}");
    assert_eq!(&cmdline[2..], ["\\xff\\xfe", "", "\x1b[31mred"]);

    let human = proctor(&["inspect", &p]);
    assert_eq!(code(&human), Some(0), "{}", common::stderr(&human));
    assert!(!human.stdout.contains(&0x1b), "raw ESC in human output");
    let text = common::stdout(&human);
    let name_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Name "))
        .expect("Name line");
    assert_eq!(
        name_line.trim_start()["Name".len()..].trim(),
        r"evil\e[31m)\n:\xff"
    );
    let cmd_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Command "))
        .expect("Command line");
    assert!(cmd_line.ends_with(r"\xff\xfe '' \e[31mred"), "{cmd_line}");

    let colored = proctor(&["inspect", &p, "--color", "always"]);
    assert_eq!(code(&colored), Some(0), "{}", common::stderr(&colored));
    let b = &colored.stdout;
    assert!(
        b.contains(&0x1b),
        "--color always produced no colour at all"
    );
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b {
            assert_eq!(
                b.get(i + 1),
                Some(&b'['),
                "ESC not starting a CSI at byte {i}"
            );
            let mut j = i + 2;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b';') {
                j += 1;
            }
            assert_eq!(
                b.get(j),
                Some(&b'm'),
                "ESC sequence at byte {i} is not SGR: {:?}",
                String::from_utf8_lossy(&b[i..(j + 1).min(b.len())])
            );
            i = j;
        }
        i += 1;
    }
    assert!(!b.windows(2).any(|w| w == b"\x1b]"), "OSC in output");
    drop(helper);
}

#[test]
fn zombie_child() {
    let (helper, line) = python_helper("live_zombie.py", &[]);
    let zpid: i32 = line
        .strip_prefix("READY ")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("readiness line {line:?}"));
    let hpid = helper.pid();
    assert_eq!(
        proc_state(zpid),
        Some(b'Z'),
        "the test's own view of the zombie"
    );

    let (out, v) = inspect_json(zpid, &[]);
    assert_eq!(code(&out), Some(1), "a zombie is a warning: exit 1");
    assert_eq!(v["pid"], zpid);
    assert_eq!(v["state"], "Z");
    assert_eq!(v["ppid"], hpid);
    let f = finding(&v, "state.zombie").expect("state.zombie finding");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["evidence"]["ppid"], hpid);
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains(&hpid.to_string()),
        "{f}"
    );
    assert!(v["memory"]["rss_bytes"].is_null());
    let m = unavailable(&v, "memory").expect("memory unavailable");
    assert_eq!(m["reason"], "not_supported");
    drop(helper);
}

/// A zombie has released its descriptors: proctor must say "not
/// available", not report 0 open descriptors.
#[test]
fn zombie_fds_are_not_supported() {
    let (helper, line) = python_helper("live_zombie.py", &[]);
    let zpid: i32 = line
        .strip_prefix("READY ")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("readiness line {line:?}"));
    assert_eq!(proc_state(zpid), Some(b'Z'));
    let (_, v) = inspect_json(zpid, &[]);
    let u = unavailable(&v, "fds");
    assert!(
        u.is_some_and(|u| u["reason"] == "not_supported"),
        "zombie fds should be unavailable/not_supported; got fds={} unavailable={}",
        v["fds"],
        v["unavailable"]
    );
    assert!(
        v["fds"]["count"].is_null(),
        "fds.count of a zombie: {}",
        v["fds"]["count"]
    );
    drop(helper);
}

#[test]
fn kernel_thread() {
    if !common::require_kthreadd() {
        return;
    }
    let (out, v) = inspect_json(2, &[]);
    // kthreadd lives in the root memory cgroup, whose OOM kill count is
    // the host's history: the only finding allowed, and only as the test
    // reads that count itself.
    let root_kills = std::fs::read_to_string("/sys/fs/cgroup/memory/memory.oom_control")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("oom_kill ")?.trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    if root_kills > 0 {
        assert_eq!(finding_ids(&v), ["cgroup.oom_kills"], "{}", v["findings"]);
        assert_eq!(code(&out), Some(1));
    } else {
        assert_eq!(code(&out), Some(0), "findings: {}", v["findings"]);
    }
    assert_eq!(v["pid"], 2);
    assert_eq!(v["name"], "kthreadd");
    assert_eq!(v["kernel_thread"], true);
    assert_eq!(v["cmdline"], json!([]));
    assert!(v["exe"].is_null());
    let e = unavailable(&v, "exe").expect("exe unavailable");
    assert_eq!(e["reason"], "not_supported");
    assert!(v["memory"]["rss_bytes"].is_null());
}

#[test]
fn deleted_file_and_close_wait() {
    let tmp = TempDir::new("live-cw");
    let (helper, line) = python_helper("live_close_wait.py", &[temp_str(&tmp), "25"]);
    assert!(line.starts_with("READY "), "readiness line {line:?}");
    let pid = helper.pid();

    let (out, v) = inspect_json(pid, &[]);
    assert_eq!(code(&out), Some(1), "warning findings exit 1");
    // The test's own count of deleted-but-open descriptors (the helper's
    // file, plus any deleted file the test harness handed down as stderr).
    let links = fd_links(pid);
    let deleted_here = links.iter().filter(|l| l.ends_with(b" (deleted)")).count() as u64;
    let ours = format!("{}/doomed.log (deleted)", tmp.path().display());
    assert!(
        links.iter().any(|l| l == ours.as_bytes()),
        "helper's deleted file not in /proc/{pid}/fd"
    );
    assert_eq!(
        deleted_here, 1,
        "unexpected deleted files inherited by the helper"
    );
    assert_eq!(v["fds"]["deleted"].as_u64(), Some(deleted_here));
    let paths = v["fds"]["deleted_paths"].as_array().expect("deleted_paths");
    assert!(paths[0].as_str().expect("string").ends_with(" (deleted)"));
    assert!(paths.iter().any(|p| p == ours.as_str()), "{paths:?}");

    assert_eq!(v["sockets"]["close_wait"], 25);
    assert_eq!(v["sockets"]["by_state"]["CLOSE_WAIT"], 25);
    assert_eq!(v["sockets"]["by_state"]["LISTEN"], 1);
    let f = finding(&v, "fds.deleted_open").expect("fds.deleted_open");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["evidence"]["bytes"], 65 << 20);
    assert_eq!(f["next"], "proctor who --deleted");
    let f = finding(&v, "sockets.close_wait").expect("sockets.close_wait");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["evidence"]["close_wait"], 25);

    let (_, v) = inspect_json(pid, &["--close-wait-threshold", "30"]);
    assert!(
        finding(&v, "sockets.close_wait").is_none(),
        "{:?}",
        finding_ids(&v)
    );
    assert!(finding(&v, "fds.deleted_open").is_some());
    drop(helper);
    drop(tmp);
}

#[test]
fn unprivileged_user_gets_partial_report() {
    let Some(nobody) = common::Nobody::new() else {
        return;
    };
    let child = spawn_sleep();
    let pid = child.pid();
    let p = pid.to_string();
    let Some(_cg) = common::in_own_memory_cgroup("live-nobody", pid) else {
        return;
    };
    let run = |json: bool| -> Output {
        if json {
            nobody.run(&["inspect", &p, "--json"])
        } else {
            nobody.run(&["inspect", &p])
        }
    };

    let out = run(true);
    // Descriptors denied: the checks that need them did not run (exit 3).
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    let v = json(&out);
    assert_eq!(v["pid"], pid);
    assert_eq!(v["name"], "sleep");
    assert_eq!(v["ppid"], std::process::id());
    // The list is denied; the count alone is given by the kernel (stat
    // of /proc/PID/fd, Linux >= 6.2) and must be the real one.
    if common::kernel_at_least(6, 2) {
        assert_eq!(v["fds"]["count"], fd_entries(pid), "fds.count");
    } else {
        assert!(
            v["fds"]["count"].is_null(),
            "fds.count: {}",
            v["fds"]["count"]
        );
    }
    assert!(v["fds"]["by_type"].as_object().unwrap().is_empty());
    let fds = unavailable(&v, "fds").expect("fds unavailable");
    assert_eq!(fds["reason"], "permission_denied");
    let env = unavailable(&v, "environment").expect("environment unavailable");
    assert_eq!(env["reason"], "permission_denied");
    // What nobody can read is still there and right.
    assert_eq!(v["cmdline"], json!(["sleep", "1000"]));
    assert_eq!(v["uid"], 0);
    let (soft, hard) = nofile_limits(pid);
    assert_eq!(v["fds"]["soft_limit"].as_u64(), soft);
    assert_eq!(v["fds"]["hard_limit"].as_u64(), hard);

    let human = run(false);
    assert_eq!(human.status.code(), Some(3), "{}", common::stderr(&human));
    let text = common::stdout(&human);
    assert!(text.contains("Identity"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "Could not read")
        .unwrap_or_else(|| panic!("no 'Could not read' section:\n{text}"));
    let denied = lines[start..]
        .iter()
        .position(|l| l.contains("permission denied"))
        .map(|i| start + i)
        .unwrap_or_else(|| panic!("no permission denied line:\n{text}"));
    let sections = lines[denied].trim().split(':').next().expect("sections");
    let sections: Vec<&str> = sections.split(", ").collect();
    assert!(sections.contains(&"fds"), "{}", lines[denied]);
    assert!(sections.contains(&"environment"), "{}", lines[denied]);
    assert!(
        lines
            .get(denied + 1)
            .is_some_and(|l| l.trim_start().starts_with("hint:")),
        "no hint after the permission denied line:\n{text}"
    );
    drop(child);
    drop(nobody);
}

#[test]
fn exited_while_being_read() {
    use proctor::error::ReadError;
    use proctor::reader::ProcFs;

    // Library level, deterministic: a handle whose process is gone.
    let fs = ProcFs::new("/proc", "/sys");
    let mut child = spawn_sleep();
    let pid = child.pid();
    let handle = fs.open(pid).expect("open live child");
    assert_eq!(handle.pid(), pid);
    child.0.kill().expect("kill child");
    let st = reap_now(child);
    assert!(!st.success());
    match fs.snapshot(&handle) {
        Err(e) => assert_eq!(e, ReadError::Exited { pid }),
        Ok(s) => panic!("snapshot of a reaped process succeeded: pid {}", s.pid),
    }

    // Through the binary: processes that exit (and are reaped) while or
    // before proctor reads them.
    for i in 0..30 {
        let child = Reaped::spawn(Command::new("true").stdin(Stdio::null()));
        let pid = child.pid().to_string();
        let run = common::proctor_cmd(["inspect", &pid, "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn proctor");
        // Odd rounds reap the child while proctor may be reading it; even
        // rounds leave it a zombie until proctor is done.
        let child = if i % 2 == 1 {
            reap_now(child);
            None
        } else {
            Some(child)
        };
        let out = run.wait_with_output().expect("proctor output");
        if let Some(c) = child {
            reap_now(c);
        }
        let err = common::stderr(&out);
        assert!(!err.contains("panicked"), "round {i}: {err}");
        match out.status.code() {
            // A report: of the child (a zombie until reaped: exit 1 for
            // state.zombie) or of a process that reused its PID.
            Some(c @ (0 | 1)) => {
                let v = json(&out);
                assert_eq!(v["pid"].to_string(), pid, "round {i}");
                assert_eq!(c, expected_code(&v), "round {i}: {}", v["findings"]);
            }
            Some(2) => assert!(
                err.contains("no process with PID") || err.contains("exited while being read"),
                "round {i}: {err}"
            ),
            other => panic!("round {i}: exit {other:?}; stderr {err}"),
        }
    }
}

#[test]
fn pid_identity_is_pid_and_start_time() {
    use proctor::error::ReadError;
    use proctor::reader::ProcFs;

    let root = common::fixture_copy("v1-basic");
    let fs = ProcFs::new(root.path().join("proc"), root.path().join("sys"));
    let handle = fs.open(4242).expect("open fixture pid 4242");
    let stat_path = root.path().join("proc/4242/stat");
    let stat = std::fs::read(&stat_path).expect("read stat");
    let close = stat.iter().rposition(|&c| c == b')').expect("comm end");
    let head = &stat[..close + 2];
    let rest = std::str::from_utf8(&stat[close + 2..]).expect("ascii fields");
    let mut fields: Vec<String> = rest.split(' ').map(str::to_string).collect();
    // fields[0] is field 3 (state), so field 22 (starttime) is index 19.
    let start: u64 = fields[19].parse().expect("starttime");
    assert_eq!(handle.start_ticks(), start);

    // Unchanged: same process, the snapshot succeeds.
    assert!(
        fs.snapshot(&handle).is_ok(),
        "snapshot of the unchanged fixture"
    );

    // Same PID, another start time: another process.
    fields[19] = (start + 1000).to_string();
    let mut new = head.to_vec();
    new.extend_from_slice(fields.join(" ").as_bytes());
    std::fs::write(&stat_path, &new).expect("rewrite stat");
    match fs.snapshot(&handle) {
        Err(e) => assert_eq!(e, ReadError::Exited { pid: 4242 }),
        Ok(_) => panic!("snapshot succeeded after the start time changed"),
    }
    drop(root);
}

/// Correct for containers: a listener inside its own network namespace is
/// found through /proc/PID/net, although the test's own namespace (what
/// `ss` on the host would see) has no such socket.
#[test]
fn sockets_are_read_in_the_process_network_namespace() {
    if !common::require(
        "root, unshare (util-linux) and ip (iproute2)",
        is_root() && which("unshare").is_some() && which("ip").is_some(),
    ) {
        return;
    }
    let dir = TempDir::new("netns");
    let (child, line) = spawn_ready(
        Command::new("unshare")
            .args([
                "-n",
                "sh",
                "-c",
                "ip link set lo up && exec python3 \"$0\" \"$1\"",
            ])
            .arg(helper_path("live_files_sockets.py"))
            .arg(dir.path()),
    );
    let ports: Vec<u16> = line
        .split_whitespace()
        .skip(1)
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(ports.len(), 2, "helper said {line:?}");
    let pid = child.pid();
    // The child really is in another network namespace.
    let ns = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/net")).unwrap();
    assert_ne!(ns(&pid.to_string()), ns("self"));

    let (_, v) = inspect_json(pid, &[]);
    let listening: Vec<&str> = v["sockets"]["listening"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        listening.contains(&format!("127.0.0.1:{}", ports[0]).as_str()),
        "{listening:?}"
    );
    assert!(
        listening.contains(&format!("[::1]:{}", ports[1]).as_str()),
        "{listening:?}"
    );
    assert_eq!(v["sockets"]["by_state"]["LISTEN"], 2);

    // The host-side view has none of these sockets.
    let inodes: Vec<String> = fd_links(pid)
        .iter()
        .filter_map(|l| {
            l.strip_prefix(b"socket:[")
                .and_then(|r| r.strip_suffix(b"]"))
        })
        .map(|i| String::from_utf8_lossy(i).into_owned())
        .collect();
    assert_eq!(inodes.len(), 2);
    let host = proc_text(std::process::id() as i32, "net/tcp")
        + &proc_text(std::process::id() as i32, "net/tcp6");
    for i in &inodes {
        assert!(
            !host.split_whitespace().any(|f| f == i),
            "socket {i} visible in the host namespace"
        );
    }
}
