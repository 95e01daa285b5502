//! `proctor serve`: the agent's grouping on the fixture trees (pods,
//! units, containers, plain processes, config matchers with captures),
//! hostile names, the exposition checked by `promtool check metrics`, the
//! series bound, usage errors, snapshots of `--once`; live: a leaking
//! child in a cgroup of its own reported `proctor_leak{resource="fds"} 1`
//! (a steady one 0), and a group's CPU counter not going backwards when a
//! member exits (the agent driven through the library).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{
    Reaped, TempDir, assert_usage_error, fixture, proctor, proctor_at, real_python, require,
    stderr, stdout,
};

/// `serve --once` on a fixture tree, with the tree's kubelet names.
fn once_at(tree: &str, extra: &[&str]) -> std::process::Output {
    let root = fixture(tree);
    let pods = root.join("var/log/pods");
    let pods = pods.to_str().unwrap();
    let mut args = vec!["--pods-dir", pods, "serve", "--once"];
    args.extend_from_slice(extra);
    proctor_at(&root, &args)
}

/// The sample lines (not comments) of a page.
fn samples(page: &str) -> Vec<&str> {
    page.lines().filter(|l| !l.starts_with('#')).collect()
}

/// The value of the one sample whose name and labels start with `head`.
fn value(page: &str, head: &str) -> Option<f64> {
    let hits: Vec<&str> = samples(page)
        .into_iter()
        .filter(|l| l.starts_with(head))
        .collect();
    assert!(hits.len() <= 1, "{head} is ambiguous: {hits:?}");
    hits.first()?.rsplit(' ').next()?.parse().ok()
}

const NO_LABELS: &str = r#"namespace="",pod="",container="",unit="""#;

fn have_promtool() -> bool {
    let ok = Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    require("promtool (apt-get install prometheus)", ok)
}

/// `promtool check metrics` on a page: clean (no error, no lint).
fn promtool_clean(page: &[u8], what: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    child.stdin.take().unwrap().write_all(page).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "{what}: promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn groups_pods_units_containers_and_plain_processes() {
    let o = once_at("workloads", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    // A Kubernetes container named from the kubelet's directories.
    let api = r#"namespace="payments",pod="api-7d9",container="api",unit="",group="payments/api-7d9/api""#;
    assert_eq!(
        value(&page, &format!("proctor_processes{{{api}}}")),
        Some(1.0)
    );
    assert!(
        page.contains(&format!(
            "proctor_workload_info{{{api},pod_uid=\"00000001-1f0b-4c7e-9a3d-5b6e7f8a9b0c\",container_id=\"013f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7\",qos=\"burstable\"}} 1\n"
        )),
        "{page}"
    );
    // A pod-level process: the pod, no container.
    let pod =
        r#"namespace="payments",pod="api-7d9-b",container="",unit="",group="payments/api-7d9-b""#;
    assert_eq!(
        value(&page, &format!("proctor_processes{{{pod}}}")),
        Some(1.0)
    );
    // A pod the kubelet's directories do not name: its UID.
    assert!(page.contains(r#"group="00000005-1f0b-4c7e-9a3d-5b6e7f8a9b0c/053f2a9c1b4d"}"#));
    // A systemd unit; a docker container; a plain process by its name.
    let unit = r#"namespace="",pod="",container="",unit="nginx.service",group="nginx.service""#;
    assert_eq!(
        value(&page, &format!("proctor_processes{{{unit}}}")),
        Some(1.0)
    );
    let docker =
        r#"namespace="",pod="",container="073f2a9c1b4d",unit="",group="docker:073f2a9c1b4d""#;
    assert_eq!(
        value(&page, &format!("proctor_processes{{{docker}}}")),
        Some(1.0)
    );
    let plain = format!(r#"{NO_LABELS},group="python3.11""#);
    assert_eq!(
        value(&page, &format!("proctor_processes{{{plain}}}")),
        Some(1.0)
    );
    // Group sums from the captured stat files: 10 ticks user (utime 3,
    // stime 7, at 100 ticks/s), 4 threads.
    assert_eq!(
        value(
            &page,
            &format!("proctor_cpu_seconds_total{{{api},mode=\"user\"}}")
        ),
        Some(0.03)
    );
    assert_eq!(
        value(&page, &format!("proctor_threads{{{api}}}")),
        Some(4.0)
    );
    // No command line is ever a label.
    assert!(
        !page.contains("app_server") && !page.contains("38123"),
        "{page}"
    );
    // Two scans cannot judge a trend: no verdict yet (absent, not 0).
    assert!(!page.contains("proctor_leak{"), "{page}");
}

#[test]
fn config_matchers_group_by_name_with_captures() {
    let t = TempDir::new("serve-config");
    let cfg = t.path().join("serve.toml");
    std::fs::write(
        &cfg,
        "[[group]]\nname = \"app-{port}\"\ncomm = \"python3.11\"\ncmdline = '--port (?P<port>\\d+)'\n\n[[group]]\nname = \"never\"\ncomm = \"nothing-has-this-name\"\n",
    )
    .unwrap();
    let o = once_at("workloads", &["--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    // First match wins: every python3.11 process of the tree (17), pods
    // and units included, is in the config's group.
    let g = format!(r#"{NO_LABELS},group="app-38123""#);
    assert_eq!(
        value(&page, &format!("proctor_processes{{{g}}}")),
        Some(17.0)
    );
    assert_eq!(
        samples(&page)
            .iter()
            .filter(|l| l.starts_with("proctor_processes{"))
            .count(),
        1
    );
    assert!(!page.contains("never"));
}

#[test]
fn bad_configs_and_options_are_usage_errors_with_a_hint() {
    let t = TempDir::new("serve-badcfg");
    let bad = t.path().join("bad.toml");
    std::fs::write(&bad, "[[group]]\nname = \"x-{nope}\"\ncomm = \"a\"\n").unwrap();
    let o = proctor(&["serve", "--once", "--config", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("group 1: name: {nope} is neither comm, exe nor a named capture"),
        "{e}"
    );
    assert!(e.contains("hint: see docs/serve.md"), "{e}");
    let missing = t.path().join("missing.toml");
    let o = proctor(&["serve", "--once", "--config", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read --config"),
        "{}",
        stderr(&o)
    );
    // Not UTF-8; larger than 1 MiB: one line each, never a panic.
    let latin = t.path().join("latin.toml");
    std::fs::write(&latin, b"[[group]]\nname = \"caf\xe9\"\ncomm = \"a\"\n").unwrap();
    let o = proctor(&["serve", "--once", "--config", latin.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not UTF-8 text"), "{}", stderr(&o));
    let huge = t.path().join("huge.toml");
    std::fs::write(&huge, vec![b'#'; 1024 * 1024 + 10]).unwrap();
    let o = proctor(&["serve", "--once", "--config", huge.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("of at most 1 MiB"), "{}", stderr(&o));
    assert_usage_error(
        &["serve", "--interval", "10ms"],
        "--interval 10ms is too short",
        "--interval 15s",
    );
    assert_usage_error(
        &["serve", "--listen", "nope"],
        "is not an address and port",
        "hint:",
    );
    assert_usage_error(&["serve", "--top-k", "101"], "out of range", "hint:");
    assert_usage_error(&["serve", "--scans", "3"], "--once", "hint:");
    assert_usage_error(
        &["serve", "--once", "--json"],
        "serve has no JSON output",
        "drop --json",
    );
    // An empty proc root is no procfs, not a host without processes.
    let empty = TempDir::new("serve-empty");
    let o = proctor(&[
        "--proc-root",
        empty.path().to_str().unwrap(),
        "serve",
        "--once",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no processes found under"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn a_port_in_use_is_one_line_and_a_hint() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let o = proctor(&["serve", "--listen", &addr]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 2, "{e}");
    assert!(
        e.starts_with(&format!("error: cannot listen on {addr}: ")),
        "{e}"
    );
    assert!(e.contains("hint: another process may hold the port"), "{e}");
}

#[test]
fn hostile_names_are_valid_escaped_labels() {
    let o = once_at("hostile", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = String::from_utf8(o.stdout.clone()).expect("valid UTF-8");
    // comm `evil\e[31m)\n:\xff`: ESC and newline as visible escapes
    // (backslash escaped by the format), the invalid byte as U+FFFD.
    let g = "group=\"evil\\\\e[31m)\\\\n:\u{fffd}\"";
    assert!(page.contains(g), "{page}");
    assert!(!page.bytes().any(|b| b == 0x1b || (b < 0x20 && b != b'\n')));
    for l in samples(&page) {
        assert!(
            l.starts_with("proctor_") || l.starts_with("process_"),
            "{l}"
        );
    }
    if have_promtool() {
        promtool_clean(page.as_bytes(), "hostile tree");
    }
}

#[test]
fn promtool_finds_every_page_clean() {
    if !have_promtool() {
        return;
    }
    for tree in ["workloads", "hostile", "v1-basic", "v2-basic"] {
        let o = once_at(tree, &[]);
        assert_eq!(o.status.code(), Some(0), "{tree}: {}", stderr(&o));
        promtool_clean(&o.stdout, tree);
    }
    // The live host, with proctor's own process metrics.
    let o = proctor(&["serve", "--once"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains("\nprocess_open_fds "), "{page}");
    assert!(page.contains("\nproctor_build_info{version=\""), "{page}");
    promtool_clean(&o.stdout, "live");
}

#[test]
fn series_are_bounded_by_groups_not_processes() {
    let o = proctor(&["serve", "--once", "--top-k", "5"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    let all = samples(&page);
    let groups = all
        .iter()
        .filter(|l| l.starts_with("proctor_processes{"))
        .count();
    let per_process = all
        .iter()
        .filter(|l| l.starts_with("proctor_process_"))
        .count();
    // 5 series per exported process, top 5 (plus leaking ones, none here
    // after two scans).
    assert!(per_process <= 5 * 5, "{per_process}");
    // Per group at most: processes, cpu x2, memory x2, limit, fds, ratio,
    // threads, tasks limit, oom, throttled, info, sockets x3, and per
    // resource (4, maps included) leak, rate, exhaustion: 29. Self
    // metrics: about 15.
    let bound = 29 * groups + 5 * 5 + 20;
    assert!(
        all.len() <= bound,
        "{} series for {groups} groups",
        all.len()
    );
}

/// A v1 pids cgroup named like a systemd service (so its processes are
/// one unit group), removed (members moved out) when dropped.
struct UnitCgroup(crate::common::CgroupV1);

impl UnitCgroup {
    fn new(tag: &str) -> Option<UnitCgroup> {
        crate::common::CgroupV1::with_suffix("pids", &format!("serve-{tag}"), ".service", &[])
            .map(UnitCgroup)
    }

    fn labels(&self) -> String {
        self.0.unit_labels()
    }

    /// A python3 script in this cgroup; returns once it printed a line.
    fn python(&self, script: &str) -> Reaped {
        self.spawn(&["-c", "echo $$ > \"$0\" && exec \"$1\" -c \"$2\""], script)
    }

    /// The same in a network namespace of its own (unshare -n).
    fn python_in_netns(&self, script: &str) -> Reaped {
        self.spawn(
            &["-c", "echo $$ > \"$0\" && exec unshare -n \"$1\" -c \"$2\""],
            script,
        )
    }

    fn spawn(&self, sh: &[&str], script: &str) -> Reaped {
        let mut child = Reaped::spawn(
            Command::new("sh")
                .args(sh)
                .arg(self.0.dir.join("cgroup.procs"))
                .arg(real_python())
                .arg(script)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let mut out = std::io::BufReader::new(child.0.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "{script}");
        child
    }
}

/// Opens /dev/null every 50 ms (at most 2,000), for at most two minutes.
const LEAKER: &str = "import os, time\nfds = []\nprint('ready', flush=True)\nend = time.time() + 120\nwhile time.time() < end:\n    if len(fds) < 2000:\n        fds.append(os.open('/dev/null', os.O_RDONLY))\n    time.sleep(0.05)\n";
/// Holds 10 descriptors, for at most two minutes.
const STEADY: &str = "import os, time\nfds = [os.open('/dev/null', os.O_RDONLY) for _ in range(10)]\nprint('ready', flush=True)\ntime.sleep(120)\n";

#[test]
fn a_leaking_child_is_reported_with_its_time_to_the_limit() {
    let (Some(leaky), Some(steady)) = (UnitCgroup::new("leak"), UnitCgroup::new("steady")) else {
        return;
    };
    let _l = leaky.python(LEAKER);
    let _s = steady.python(STEADY);
    // 60 scans 150 ms apart: about 9 s, 3 descriptors a scan (a leak is
    // confirmed across judgements, which a busy host spreads out).
    let o = crate::common::run_bounded(crate::common::without_overrides(
        Command::new(crate::common::bin()).args([
            "serve",
            "--once",
            "--scans",
            "60",
            "--interval",
            "150ms",
        ]),
    ));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    let l = leaky.labels();
    assert_eq!(
        value(&page, &format!("proctor_leak{{{l},resource=\"fds\"}}")),
        Some(1.0),
        "{page}"
    );
    let rate = value(
        &page,
        &format!("proctor_leak_rate_per_second{{{l},resource=\"fds\"}}"),
    )
    .unwrap();
    assert!((10.0..=30.0).contains(&rate), "{rate}");
    let eta = value(
        &page,
        &format!("proctor_exhaustion_seconds{{{l},resource=\"fds\",limit=\"nofile\"}}"),
    )
    .unwrap();
    assert!(eta > 0.0, "{eta}");
    // The leaking process is exported one by one.
    assert!(
        page.contains(&format!("proctor_process_open_fds{{{l},pid=\"")),
        "{page}"
    );
    let s = steady.labels();
    assert_eq!(
        value(&page, &format!("proctor_leak{{{s},resource=\"fds\"}}")),
        Some(0.0)
    );
    assert!(
        !page.contains(&format!("proctor_exhaustion_seconds{{{s},")),
        "{page}"
    );
    // The unit's own pids cgroup: its limit is the group's (max: none).
    assert_eq!(
        value(&page, &format!("proctor_processes{{{l}}}")),
        Some(1.0)
    );
}

/// In a network namespace of its own: a listener, 3 clients accepted, the
/// third closed by the server (its client in CLOSE_WAIT).
const SOCKETS: &str = "import socket, subprocess, time\nsubprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)\nl = socket.socket()\nl.bind(('127.0.0.1', 0))\nl.listen(8)\ncs = [socket.create_connection(l.getsockname()) for _ in range(3)]\nss = [l.accept()[0] for _ in range(3)]\nss[2].close()\nprint('ready', flush=True)\ntime.sleep(120)\n";

#[test]
fn a_workload_that_owns_its_network_namespace_has_its_sockets_by_state() {
    let have_ip = Command::new("ip")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !require("ip (iproute2)", have_ip) {
        return;
    }
    let Some(cg) = UnitCgroup::new("sockets") else {
        return;
    };
    let _child = cg.python_in_netns(SOCKETS);
    let o = proctor(&["serve", "--once"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    let l = cg.labels();
    let at = |state: &str| value(&page, &format!("proctor_sockets{{{l},state=\"{state}\"}}"));
    assert_eq!(
        (at("established"), at("close_wait"), at("listen")),
        (Some(4.0), Some(1.0), Some(1.0)),
        "{page}"
    );
}

/// Burns about 0.4 s of CPU, then idles.
const BURNER: &str = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end:\n    pass\nprint('ready', flush=True)\ntime.sleep(120)\n";
const IDLE: &str = "import time\nprint('ready', flush=True)\ntime.sleep(120)\n";

#[test]
fn a_group_counter_does_not_go_backwards_when_a_member_exits() {
    use proctor::analysis::serve::Bounds;
    use proctor::cmd::serve::agent::Agent;
    use proctor::cmd::serve::config::Matchers;
    let Some(cg) = UnitCgroup::new("cpu") else {
        return;
    };
    let _idle = cg.python(IDLE);
    let burner = cg.python(BURNER);
    let fs = proctor::reader::ProcFs::new("/proc", "/sys");
    let mut agent = Agent::new(
        fs,
        PathBuf::from("/var/log/pods"),
        Matchers::default(),
        Bounds::default(),
    )
    .unwrap();
    let l = cg.labels();
    let cpu = |page: &str| {
        let at = |mode: &str| {
            value(
                page,
                &format!("proctor_cpu_seconds_total{{{l},mode=\"{mode}\"}}"),
            )
            .unwrap()
        };
        at("user") + at("system")
    };
    let page = String::from_utf8(agent.step().unwrap().prometheus).unwrap();
    assert_eq!(
        value(&page, &format!("proctor_processes{{{l}}}")),
        Some(2.0)
    );
    let before = cpu(&page);
    assert!(before >= 0.3, "{before}");
    drop(burner);
    let page = String::from_utf8(agent.step().unwrap().prometheus).unwrap();
    assert_eq!(
        value(&page, &format!("proctor_processes{{{l}}}")),
        Some(1.0)
    );
    let after = cpu(&page);
    // The exited member's time is kept (the live member alone has used
    // almost nothing).
    assert!(after >= before, "{after} < {before}");
}

/// `--once` on the fixture trees, the scan's duration normalized.
#[test]
fn snapshots_of_once() {
    for tree in ["workloads", "hostile"] {
        let o = once_at(tree, &[]);
        let text = stdout(&o)
            .lines()
            .map(|l| match l.strip_prefix("proctor_scan_duration_seconds ") {
                Some(_) => "proctor_scan_duration_seconds [T]".to_string(),
                // The per-phase times: `name{phase="..."} [T]`.
                None if l.starts_with("proctor_scan_phase_seconds{")
                    || l.starts_with("proctor_scan_cpu_seconds_total{") =>
                {
                    let end = l.rfind(' ').unwrap_or(l.len());
                    format!("{} [T]", &l[..end])
                }
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        insta::assert_snapshot!(
            format!("serve_once__{tree}"),
            format!(
                "exit: {:?}\n{text}\n--- stderr\n{}",
                o.status.code(),
                stderr(&o)
            )
        );
    }
}

#[test]
fn a_container_named_after_it_was_first_seen_gets_its_name() {
    use proctor::analysis::serve::Bounds;
    use proctor::cmd::serve::agent::Agent;
    use proctor::cmd::serve::config::Matchers;
    let t = crate::common::fixture_copy("workloads");
    let links = t.path().join("var/log/containers");
    let link =
        "api-7d9_payments_api-013f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7.log";
    let aside = t.path().join("api.log.aside");
    std::fs::rename(links.join(link), &aside).unwrap();
    let fs = proctor::reader::ProcFs::new(t.path().join("proc"), t.path().join("sys"));
    let mut agent = Agent::new(
        fs,
        t.path().join("var/log/pods"),
        Matchers::default(),
        Bounds::default(),
    )
    .unwrap();
    let page = |a: &mut Agent| String::from_utf8(a.step().unwrap().prometheus).unwrap();
    let unnamed = r#"namespace="payments",pod="api-7d9",container="",unit="",group="payments/api-7d9/013f2a9c1b4d""#;
    let named = r#"namespace="payments",pod="api-7d9",container="api",unit="",group="payments/api-7d9/api""#;
    let p = page(&mut agent);
    assert_eq!(
        value(&p, &format!("proctor_processes{{{unnamed}}}")),
        Some(1.0),
        "{p}"
    );
    // The kubelet writes the link: within 8 scans the process is named.
    std::fs::rename(&aside, links.join(link)).unwrap();
    let mut p = String::new();
    for _ in 0..8 {
        p = page(&mut agent);
    }
    assert_eq!(
        value(&p, &format!("proctor_processes{{{named}}}")),
        Some(1.0),
        "{p}"
    );
    // The old group stays (no process) for its grace period.
    assert_eq!(
        value(&p, &format!("proctor_processes{{{unnamed}}}")),
        Some(0.0),
        "{p}"
    );
}

#[test]
fn a_unit_group_has_its_cgroups_own_numbers() {
    // The cgroups v2 tree: web.scope's files, not its processes' sums.
    let o = once_at("cgroups/v2", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    let w = r#"namespace="",pod="",container="",unit="web.scope",group="web.scope""#;
    let v = |name: &str, extra: &str| value(&page, &format!("{name}{{{w}{extra}}}"));
    // cpu.stat user_usec 6000000, system_usec 3000000.
    assert_eq!(v("proctor_cpu_seconds_total", ",mode=\"user\""), Some(6.0));
    assert_eq!(
        v("proctor_cpu_seconds_total", ",mode=\"system\""),
        Some(3.0)
    );
    // memory.current 104 MiB less inactive_file 10 MiB; memory.max 100 MiB.
    assert_eq!(
        v("proctor_memory_bytes", ",kind=\"working_set\""),
        Some(98_566_144.0)
    );
    assert_eq!(v("proctor_memory_limit_bytes", ""), Some(104_857_600.0));
    assert_eq!(v("proctor_tasks_limit", ""), Some(300.0));
    assert_eq!(v("proctor_oom_kills_total", ""), Some(3.0));
    assert_eq!(v("proctor_cpu_throttled_seconds_total", ""), Some(3.1));
    // The plain process beside it has none of these (absent, not 0).
    assert!(!page.contains(r#"group="systemd"} 0"#) && !page.contains(r#"proctor_memory_limit_bytes{namespace="",pod="",container="",unit="",group="systemd"}"#));
}

/// Parses OpenMetrics text on stdin strictly (the Python client's parser,
/// Debian's python3-prometheus-client); prints the sample count.
const OM_PARSE: &str = "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as parse\nprint(sum(len(f.samples) for f in parse(sys.stdin.read())))\n";

#[test]
fn the_openmetrics_page_passes_a_strict_parser() {
    use proctor::analysis::serve::Bounds;
    use proctor::cmd::serve::agent::Agent;
    use proctor::cmd::serve::config::Matchers;
    let py = Path::new("/usr/bin/python3");
    let ok = Command::new(py)
        .args(["-c", "import prometheus_client.openmetrics.parser"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !require("/usr/bin/python3 with python3-prometheus-client", ok) {
        return;
    }
    let trees = [
        fixture("workloads"),
        fixture("hostile"),
        fixture("cgroups/v2"),
    ];
    let roots: Vec<(PathBuf, PathBuf)> = trees
        .iter()
        .map(|t| (t.join("proc"), t.join("sys")))
        .chain([(PathBuf::from("/proc"), PathBuf::from("/sys"))])
        .collect();
    for (proc_root, sys_root) in roots {
        let pods = proc_root.parent().unwrap().join("var/log/pods");
        let fs = proctor::reader::ProcFs::new(&proc_root, &sys_root);
        let mut agent = Agent::new(fs, pods, Matchers::default(), Bounds::default()).unwrap();
        agent.step().unwrap();
        let page = agent.step().unwrap();
        let mut child = Command::new(py)
            .args(["-c", OM_PARSE])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&page.openmetrics)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let what = proc_root.display();
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Every sample of the Prometheus text is in the OpenMetrics page.
        let n: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let text = String::from_utf8(page.prometheus).unwrap();
        assert_eq!(n, samples(&text).len(), "{what}");
    }
}
