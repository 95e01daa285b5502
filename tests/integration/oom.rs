//! OOM history: a real OOM kill made in a v1 memory cgroup of the test's
//! own, read back from the kernel log by `proctor oom` and `doctor`; and
//! the kernel log of the fixture trees (`PROC_ROOT/../dev/kmsg`): a hostile
//! victim name, a malformed and a truncated record, a missing log, a log
//! that is not a regular file, and a log the user may not read.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{
    self, MemCgroupV1, Reaped, fixture, fixture_copy, json, proctor, proctor_at, require, stdout,
    wait_exit,
};

/// The kill of `pid` in a `proctor oom --json` or `doctor --json` list.
fn kill_of(list: &serde_json::Value, pid: i32) -> Option<serde_json::Value> {
    list.as_array()?
        .iter()
        .find(|k| k["pid"].as_i64() == Some(i64::from(pid)))
        .cloned()
}

#[test]
fn a_real_oom_kill_is_listed_with_its_cgroup() {
    let readable = std::fs::File::open("/dev/kmsg").is_ok();
    if !require("a readable /dev/kmsg", readable) {
        return;
    }
    let Some(cg) = MemCgroupV1::new("oomlive", 32 << 20) else {
        return;
    };
    // A python child in the cgroup, allocating 1 MiB at a time until the
    // kernel kills it (bounded: it gives up at 4 GiB, never reached).
    let mut child = Reaped::spawn(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && exec python3 -c \"$1\""])
            .arg(cg.procs())
            .arg("a = []\nfor _ in range(4096):\n    a.append(bytearray(1 << 20))\n")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let pid = child.pid();
    let status = wait_exit(&mut child.0, Duration::from_secs(60), "the OOM victim");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "killed by the OOM killer");

    // The kill is in the kernel log: wait for it (the two records are
    // written as the victim dies, but give the log time).
    let mut found = None;
    common::wait_until(
        "the kill in `proctor oom --json`",
        Duration::from_secs(30),
        || {
            let o = proctor(&["oom", "--json"]);
            found = kill_of(&json(&o)["kills"], pid);
            found.is_some()
        },
    );
    let k = found.expect("kill");
    assert_eq!(k["memory_cgroup"], cg.name().as_str());
    assert_eq!(k["oom_memcg"], cg.name().as_str());
    assert_eq!(k["constraint"], "memcg");
    assert_eq!(k["name"], "python3");
    assert_eq!(k["cgroup_limit_bytes"], 32u64 << 20);
    assert!(
        k["anon_rss_bytes"].as_u64().expect("anon") > 16 << 20,
        "{k}"
    );
    assert!(k["age_seconds"].as_f64().expect("age") < 120.0, "{k}");

    let o = proctor(&["oom", "--json", "--since", "10m"]);
    assert_eq!(o.status.code(), Some(1), "a kill in the window is exit 1");
    let v = json(&o);
    assert!(v["vmstat_oom_kill"].as_u64().expect("vmstat") >= 1);
    assert!(v["unavailable"].as_array().expect("list").is_empty());

    let human = stdout(&proctor(&["oom", "--since", "10m"]));
    assert!(human.contains(&format!("PID {pid} python3")), "{human}");
    // The usage the kernel logged is at (or, after reclaim, just below)
    // the limit.
    let line = human
        .lines()
        .find(|l| l.contains(&format!("limit: memory cgroup {} at ", cg.name())))
        .unwrap_or_else(|| panic!("no limit line:\n{human}"));
    assert!(line.ends_with(" of its 32.0 MiB limit"), "{line}");

    let d = json(&proctor(&["doctor", "--json"]));
    let k = kill_of(&d["oom"]["recent"], pid).expect("doctor lists the kill");
    assert_eq!(k["memory_cgroup"], cg.name().as_str());
    // Nothing runs in the victim's cgroup any more.
    assert!(k["now"].is_null(), "{k}");
}

#[test]
fn hostile_kernel_log_is_parsed_and_escaped() {
    let root = fixture("hostile");
    let o = proctor_at(&root, &["oom", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["vmstat_oom_kill"], 3);
    assert_eq!(v["in_kernel_log"], 1);
    // The summary with a PID that is not a number, and the kill record
    // cut short: counted, never a kill with made-up values.
    assert_eq!(v["malformed_records"], 2);
    let k = kill_of(&v["kills"], 999).expect("the hostile kill");
    assert_eq!(k["name"], "evil\u{1b}[31m)\n:\\xff");
    assert_eq!(k["memory_cgroup"], "/kubepods/burstable/pod1234/old");
    assert_eq!(k["cgroup_limit_bytes"], 2u64 << 30);
    assert_eq!(k["shmem_rss_bytes"], 152 * 1024);
    assert_eq!(k["oom_score_adj"], 985);
    // Five minutes before the tree's uptime; at btime + 164.34 s.
    assert!((k["age_seconds"].as_f64().unwrap() - 300.0).abs() < 0.01);
    assert!((k["time_unix"].as_f64().unwrap() - 1_795_800_740.34).abs() < 0.01);
    // Raw JSON never carries the ESC byte itself.
    assert!(!o.stdout.contains(&0x1b));

    let o = proctor_at(&root, &["oom"]);
    let human = stdout(&o);
    assert!(!o.stdout.contains(&0x1b), "{human}");
    assert!(human.contains(r"PID 999 evil\e[31m)\n:\xff"), "{human}");
    assert!(human.contains("2 OOM records not understood"), "{human}");
    // The window: five minutes ago is outside the last minute.
    let o = proctor_at(&root, &["oom", "--since", "1m", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(json(&o)["kills"].as_array().unwrap().is_empty());
}

#[test]
fn doctor_connects_a_kill_to_the_restarted_process() {
    let v = json(&proctor_at(&fixture("hostile"), &["doctor", "--json"]));
    let k = kill_of(&v["oom"]["recent"], 999).expect("recent kill");
    // The victim's cgroup is .../pod1234/old; 4242 has its name and runs
    // in the sibling .../pod1234/abc.
    assert_eq!(k["now"]["pid"], 4242);
    assert_eq!(k["now"]["relation"], "sibling_cgroup");
    assert_eq!(k["now"]["memory_cgroup"], "/kubepods/burstable/pod1234/abc");
    let human = stdout(&proctor_at(&fixture("hostile"), &["doctor"]));
    assert!(
        human.contains("was OOM-killed 5m 0s ago at 2.00 GiB against its 2.00 GiB limit"),
        "{human}"
    );
    assert!(human.contains("it restarted as PID 4242"), "{human}");
}

#[test]
fn unreadable_kernel_log_is_never_no_kills() {
    // Missing: not_supported, exit 3, the count since boot still said.
    let t = fixture_copy("hostile");
    std::fs::remove_file(t.path().join("dev/kmsg")).unwrap();
    let o = proctor_at(t.path(), &["oom", "--json"]);
    assert_eq!(o.status.code(), Some(3));
    let v = json(&o);
    assert_eq!(v["vmstat_oom_kill"], 3);
    assert!(v["in_kernel_log"].is_null());
    assert_eq!(v["unavailable"][0]["section"], "kernel_log");
    assert_eq!(v["unavailable"][0]["reason"], "not_supported");
    let human = stdout(&proctor_at(t.path(), &["oom"]));
    assert!(
        human.starts_with("3 OOM kills since boot; the kernel log could not be read"),
        "{human}"
    );
    assert!(!human.contains("No OOM kill"), "{human}");
    // doctor says so too.
    let d = json(&proctor_at(t.path(), &["doctor", "--json"]));
    assert_eq!(d["oom"]["unavailable"][0]["reason"], "not_supported");

    // Not a regular file (a FIFO): refused, never blocking.
    let st = Command::new("mkfifo")
        .arg(t.path().join("dev/kmsg"))
        .status()
        .expect("mkfifo");
    assert!(st.success());
    let o = proctor_at(t.path(), &["oom", "--json"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["unavailable"][0]["reason"], "io_error");
}

#[test]
fn a_root_only_kernel_log_says_permission_denied_with_the_hint() {
    // An unprivileged user and a log only root may read.
    let have = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !require("setpriv (util-linux)", have) {
        return;
    }
    let t = fixture_copy("hostile");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        t.path().join("dev/kmsg"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(common::bin())
        .args(common::root_args(t.path()))
        .args(["oom"]);
    let o = common::run_bounded(common::without_overrides(&mut cmd));
    let human = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{human}");
    assert!(
        human.contains("kernel_log unavailable: permission_denied"),
        "{human}"
    );
    assert!(human.contains("sysctl kernel.dmesg_restrict=0"), "{human}");
    assert!(human.starts_with("3 OOM kills since boot"), "{human}");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(common::bin())
        .args(common::root_args(t.path()))
        .args(["oom", "--json"]);
    let v = json(&common::run_bounded(common::without_overrides(&mut cmd)));
    let u = &v["unavailable"][0];
    assert_eq!(u["section"], "kernel_log");
    assert_eq!(u["reason"], "permission_denied");
    assert!(
        u["hint"]
            .as_str()
            .unwrap()
            .contains("sysctl kernel.dmesg_restrict=0"),
        "{v}"
    );
    assert_eq!(v["vmstat_oom_kill"], 3);
    assert!(v["kills"].as_array().unwrap().is_empty());
    assert!(v["in_kernel_log"].is_null());
}

/// A v1 memory cgroup with two child cgroups (a pod and its containers):
/// every process moved to the root and every directory removed on drop.
struct Pod(std::path::PathBuf);

impl Pod {
    fn new() -> Option<Pod> {
        let base = std::path::Path::new("/sys/fs/cgroup/memory");
        let dir = base.join(format!("proctor-test-pod-{}", std::process::id()));
        let made = base.join("memory.limit_in_bytes").exists()
            && std::fs::create_dir(&dir).is_ok()
            && std::fs::create_dir(dir.join("ctr1")).is_ok()
            && std::fs::create_dir(dir.join("ctr2")).is_ok();
        let pod = Pod(dir);
        if !require("a writable v1 memory cgroup (root, cgroup v1)", made) {
            return None;
        }
        for (ctr, limit) in [("ctr1", 32u64 << 20), ("ctr2", 1u64 << 30)] {
            let d = pod.0.join(ctr);
            std::fs::write(d.join("memory.limit_in_bytes"), limit.to_string()).unwrap();
            let _ = std::fs::write(d.join("memory.swappiness"), "0");
            let _ = std::fs::write(d.join("memory.memsw.limit_in_bytes"), limit.to_string());
        }
        Some(pod)
    }

    /// `/proctor-test-pod-N/CTR`, as /proc/PID/cgroup says it.
    fn name(&self, ctr: &str) -> String {
        format!("/{}/{ctr}", self.0.file_name().unwrap().to_string_lossy())
    }

    /// `sh` that moves itself into CTR, then execs python3 with `script`.
    fn python(&self, ctr: &str, script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", "echo $$ > \"$0\" && exec python3 -c \"$1\""])
            .arg(self.0.join(ctr).join("cgroup.procs"))
            .arg(script)
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        c
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        let root = std::path::Path::new("/sys/fs/cgroup/memory/cgroup.procs");
        for _ in 0..50 {
            for ctr in ["ctr1", "ctr2"] {
                let d = self.0.join(ctr);
                if let Ok(procs) = std::fs::read_to_string(d.join("cgroup.procs")) {
                    for pid in procs.lines() {
                        let _ = std::fs::write(root, pid);
                    }
                }
                let _ = std::fs::remove_dir(&d);
            }
            if std::fs::remove_dir(&self.0).is_ok() || !self.0.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn a_restarted_container_is_found_in_the_sibling_cgroup_with_its_growth() {
    if !require(
        "a readable /dev/kmsg",
        std::fs::File::open("/dev/kmsg").is_ok(),
    ) {
        return;
    }
    let Some(pod) = Pod::new() else {
        return;
    };
    // The first container is OOM-killed at its 32 MiB limit.
    let mut victim = Reaped::spawn(
        pod.python(
            "ctr1",
            "a = []\nfor _ in range(4096):\n    a.append(bytearray(1 << 20))\n",
        )
        .stdout(Stdio::null()),
    );
    let victim_pid = victim.pid();
    use std::os::unix::process::ExitStatusExt;
    let st = wait_exit(&mut victim.0, Duration::from_secs(60), "the OOM victim");
    assert_eq!(st.signal(), Some(9));
    // Its replacement runs in the sibling cgroup and grows 4 MiB/s
    // (bounded: 400 MiB at most, far below its 1 GiB limit).
    let (mut now, ready) = common::spawn_ready(pod.python(
        "ctr2",
        "import sys, time\na = []\nprint('READY', flush=True)\nfor _ in range(400):\n    a.append(bytearray(1 << 20))\n    time.sleep(0.25)\n",
    ).stdout(Stdio::piped()));
    assert!(ready.starts_with("READY"), "{ready}");
    let now_pid = now.pid();

    let mut k = None;
    common::wait_until("the kill in doctor --json", Duration::from_secs(60), || {
        let v = json(&proctor(&["doctor", "--sample", "2s", "--json"]));
        k = kill_of(&v["oom"]["recent"], victim_pid);
        k.as_ref().is_some_and(|k| !k["now"].is_null())
    });
    let k = k.expect("kill");
    assert_eq!(k["memory_cgroup"], pod.name("ctr1").as_str());
    let n = &k["now"];
    assert_eq!(n["pid"], now_pid, "{k}");
    assert_eq!(n["relation"], "sibling_cgroup");
    assert_eq!(n["memory_cgroup"], pod.name("ctr2").as_str());
    assert_eq!(n["cgroup_limit_bytes"], 1u64 << 30);
    let rate = n["rss_bytes_per_second"].as_f64().expect("rate");
    assert!(
        (1.0e6..16.0e6).contains(&rate),
        "about 4 MiB/s measured: {rate}"
    );
    let eta = n["seconds_to_limit"].as_f64().expect("time to the limit");
    assert!((20.0..2000.0).contains(&eta), "{eta}");
    let _ = now.0.kill();
}
