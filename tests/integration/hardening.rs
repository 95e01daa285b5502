//! Regression tests for what a review of `top` and `doctor` found: each
//! test fails on the code before its fix.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    RUN_LIMIT, Reaped, TempDir, bin, fixture_copy, helper_path, is_root, json, marker,
    output_within, proctor_at, proctor_cmd, real_python, spawn_ready, status_field, stderr, stdout,
    wait_until_held_open,
};

/// `doctor --sample` keeps other processes' files open between its scans,
/// so its own descriptor count grows: it must not report itself.
#[test]
fn doctor_sample_does_not_report_itself() {
    // Under a low descriptor limit the self-report was a warning (exit 1).
    // `exec` keeps the PID: the shell becomes proctor.
    let mut child = Command::new("sh")
        .args([
            "-c",
            "ulimit -n 2048 && exec \"$0\" doctor --json --sample 1s",
            bin(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn doctor");
    let pid = i32::try_from(child.id()).expect("pid");
    let o = output_within(&mut child, RUN_LIMIT, "doctor --sample 1s");
    let v = json(&o);
    let own: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["pid"].as_i64() == Some(i64::from(pid)))
        .collect();
    assert!(own.is_empty(), "doctor reported itself: {own:?}");
}

/// A --proc-root that is not a procfs (no process directories) is an
/// error, not an empty, healthy host.
#[test]
fn a_root_without_processes_is_an_error() {
    let t = TempDir::new("empty-root");
    std::fs::create_dir_all(t.path().join("proc")).expect("mkdir");
    for args in [
        &["top", "--once"][..],
        &["top", "--once", "--json"],
        &["doctor"],
    ] {
        let o = proctor_at(t.path(), args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains("no processes found under"), "{args:?}: {e}");
        assert!(e.contains("hint: point --proc-root"), "{args:?}: {e}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}

/// A process that drops privileges after the first scan shows its new
/// user at the next one (a kept-open `status` re-read for the uid too).
#[test]
fn user_follows_a_process_that_drops_privileges() {
    if !crate::common::require("root (to drop privileges)", is_root()) {
        return;
    }
    let m = marker("dropuid");
    let (child, ready) = spawn_ready(
        Command::new(real_python())
            .arg(helper_path("top_child.py"))
            .args(["dropuid", &m]),
    );
    assert_eq!(ready, "READY");
    let mut top = Reaped::spawn(
        proctor_cmd(["top", "--once", "--json", "--sample", "6s", "--filter", &m])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    // The first scan has read the child (as root) once top holds its
    // status file open for the second; then the child drops.
    let status = std::path::PathBuf::from(format!("/proc/{}/status", child.pid()));
    wait_until_held_open(&mut top.0, &status, "top --sample 6s");
    assert_eq!(status_field(child.pid(), "Uid"), Some(0), "still root");
    let _ = Command::new("kill")
        .args(["-USR1", &child.pid().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_field(child.pid(), "Uid") != Some(65534) {
        assert!(
            Instant::now() < deadline,
            "the child never dropped to 65534"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = output_within(&mut top.0, RUN_LIMIT, "top --sample 6s");
    let v = json(&o);
    let row = v
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["pid"].as_i64() == Some(i64::from(child.pid())))
        .unwrap_or_else(|| panic!("child not in {v}"));
    assert_eq!(row["uid"], 65534, "{row}");
    drop(child);
}

/// Hostile stat fields: a state byte that is an escape, a thread count at
/// u64::MAX. No raw escape reaches the terminal, no overflow panic (the
/// debug build checks arithmetic).
#[test]
fn hostile_state_byte_and_huge_thread_count() {
    let t = fixture_copy("v1-basic");
    let stat = t.path().join("proc/4242/stat");
    let text = std::fs::read_to_string(&stat).expect("stat");
    // Fields after the name: state is the first, num_threads the 18th.
    let close = text.rfind(')').expect(")");
    let mut fields: Vec<String> = text[close + 2..].split(' ').map(str::to_string).collect();
    fields[0] = "\x1b".into();
    fields[17] = u64::MAX.to_string();
    std::fs::write(&stat, format!("{}) {}", &text[..close], fields.join(" "))).expect("write");
    let o = proctor_at(t.path(), &["top", "--once"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!o.stdout.contains(&0x1b), "raw ESC in the table");
    let out = stdout(&o);
    assert!(out.contains("\\e"), "{out}");
    assert!(out.contains(&u64::MAX.to_string()), "{out}");
    let o = proctor_at(t.path(), &["doctor", "--json", "--sample", "100ms"]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{:?} {}",
        o.status,
        stderr(&o)
    );
    assert_eq!(json(&o)["host"]["threads"], u64::MAX, "saturates");
}

/// The header's CPU count is the host's (SYS/devices/system/cpu/online,
/// else the cpuN lines of PROC/stat as on a fixture tree), not proctor's
/// own affinity.
#[test]
fn cpu_count_is_the_hosts() {
    let t = fixture_copy("v1-basic");
    let stat = std::fs::read_to_string(t.path().join("proc/stat")).expect("stat");
    let want = stat
        .lines()
        .filter(|l| {
            l.strip_prefix("cpu")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count();
    assert!(want > 0, "fixture stat has cpuN lines");
    let o = proctor_at(t.path(), &["doctor", "--json"]);
    assert_eq!(json(&o)["host"]["cpus"], want);
    // And on the live host, under a one-CPU affinity when taskset exists.
    let live = std::fs::read_to_string("/proc/stat")
        .expect("/proc/stat")
        .lines()
        .filter(|l| {
            l.strip_prefix("cpu")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count();
    if crate::common::require(
        "taskset (util-linux), for the one-CPU affinity half",
        crate::common::which("taskset").is_some(),
    ) {
        let o = Command::new("taskset")
            .args(["-c", "0", bin(), "doctor", "--json"])
            .output()
            .expect("taskset");
        assert_eq!(json(&o)["host"]["cpus"], live);
    }
}

/// `watch` on a kernel thread: an error saying there is nothing to watch
/// (it used to sample an RSS of 0 from statm), exit 2 with a hint.
#[test]
fn watch_refuses_a_kernel_thread() {
    if !crate::common::require_kthreadd() {
        return;
    }
    let o = crate::common::proctor(&["watch", "2", "--duration", "2s"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("PID 2 is a kernel thread"), "{e}");
    assert!(e.contains("\nhint: "), "{e}");
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
}
