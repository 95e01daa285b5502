//! `proctor serve`, live: the TCP sockets by state of groups that share
//! the host's network namespace (a unit's cgroup of its own, a config
//! matcher's group of two processes), counted from their descriptors; a
//! process leaking mappings judged so (`maps`, against vm.max_map_count); and
//! the real binary on a free loopback port: /healthz after the first scan,
//! /metrics in both formats, SIGTERM ends it with 0 and frees the port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    Reaped, TempDir, bin, real_python, run_bounded, spawn_ready, stderr, stdout, wait_exit,
    wait_until, without_overrides,
};

/// The value of the one sample whose name and labels are `head`.
fn value(page: &str, head: &str) -> Option<f64> {
    let hits: Vec<&str> = page
        .lines()
        .filter(|l| !l.starts_with('#') && l.starts_with(head))
        .collect();
    assert!(hits.len() <= 1, "{head} is ambiguous: {hits:?}");
    hits.first()?.rsplit(' ').next()?.parse().ok()
}

/// (established, close_wait, listen) of a group's labels.
fn states(page: &str, labels: &str) -> (Option<f64>, Option<f64>, Option<f64>) {
    let at = |s: &str| value(page, &format!("proctor_sockets{{{labels},state=\"{s}\"}}"));
    (at("established"), at("close_wait"), at("listen"))
}

/// On 127.0.0.1 in the host's namespace: a listener, `n` clients
/// accepted, the last closed by the server (its client waits in
/// CLOSE_WAIT once the FIN arrived, which it checks). Optionally renamed
/// (argv[1]) first. Descriptors it inherited are closed first: a socket
/// another test of this binary left inheritable would be its too.
const SOCKETS: &str = "import os, socket, sys, time\nos.closerange(3, 65536)\nif len(sys.argv) > 1:\n    open('/proc/self/comm', 'w').write(sys.argv[1])\nn = int(sys.argv[2]) if len(sys.argv) > 2 else 3\nl = socket.socket()\nl.bind(('127.0.0.1', 0))\nl.listen(8)\ncs = [socket.create_connection(l.getsockname()) for _ in range(n)]\nss = [l.accept()[0] for _ in range(n)]\nss[-1].close()\nassert cs[-1].recv(1) == b''\nprint('ready', flush=True)\ntime.sleep(120)\n";

/// A v1 pids cgroup named like a systemd service (its processes are one
/// unit group), removed (members moved out) when dropped.
struct UnitCgroup(crate::common::CgroupV1);

impl UnitCgroup {
    fn new() -> Option<UnitCgroup> {
        crate::common::CgroupV1::with_suffix("pids", "sockets", ".service", &[]).map(UnitCgroup)
    }

    fn labels(&self) -> String {
        self.0.unit_labels()
    }

    fn python(&self, script: &str) -> Reaped {
        self.python_args(script, "")
    }

    /// The script with one argument (none when empty).
    fn python_args(&self, script: &str, arg: &str) -> Reaped {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo $$ > \"$0\" && exec \"$@\""])
            .arg(self.0.dir.join("cgroup.procs"))
            .arg(real_python())
            .args(["-c", script]);
        if !arg.is_empty() {
            cmd.arg(arg);
        }
        spawn_ready(cmd.stderr(Stdio::null())).0
    }
}

fn serve_once(extra: &[&str]) -> String {
    let mut args = vec!["--scans", "3", "--interval", "200ms"];
    args.extend_from_slice(extra);
    serve_once_with(&args)
}

fn serve_once_with(args: &[&str]) -> String {
    let mut cmd = Command::new(bin());
    cmd.args(["serve", "--once"]).args(args);
    let o = run_bounded(without_overrides(&mut cmd));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn a_unit_in_the_hosts_namespace_has_its_own_sockets_by_state() {
    let Some(cg) = UnitCgroup::new() else {
        return;
    };
    let _child = cg.python(SOCKETS);
    let page = serve_once(&[]);
    // 3 clients and 2 accepted ends established, 1 client in CLOSE_WAIT,
    // the listener: the host's other sockets are not the unit's.
    assert_eq!(
        states(&page, &cg.labels()),
        (Some(4.0), Some(1.0), Some(1.0)),
        "{page}"
    );
}

#[test]
fn a_matcher_group_of_two_plain_processes_sums_their_sockets() {
    let name = format!("pxs{}", std::process::id());
    let script_args = |n: &str| {
        let mut c = Command::new(real_python());
        c.args(["-c", SOCKETS, &name, n]).stderr(Stdio::null());
        c
    };
    let (_a, _) = spawn_ready(&mut script_args("3"));
    let (_b, _) = spawn_ready(&mut script_args("2"));

    let dir = TempDir::new("serve-sockets");
    let config = dir.path().join("groups.toml");
    std::fs::write(
        &config,
        format!("[[group]]\nname = \"socktest\"\ncomm = \"{name}\"\n"),
    )
    .unwrap();
    let page = serve_once(&["--config", config.to_str().unwrap()]);
    let l = r#"namespace="",pod="",container="",unit="",group="socktest""#;
    assert_eq!(
        value(&page, &format!("proctor_processes{{{l}}}")),
        Some(2.0),
        "{page}"
    );
    // (2*3 - 2) + (2*2 - 2) established (a closed server end and its
    // client in CLOSE_WAIT each), one CLOSE_WAIT each, a listener each.
    assert_eq!(
        states(&page, l),
        (Some(6.0), Some(2.0), Some(2.0)),
        "{page}"
    );
}

/// 60 descriptors against a soft limit of 64 (among the top K by limit
/// closeness on any host), and `argv[1]` new shared anonymous mappings
/// (which never merge) every 50 ms, for at most two minutes.
const MAPPER: &str = "import mmap, os, resource, sys, time\nos.closerange(3, 65536)\nresource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\nfds = [os.open('/dev/null', os.O_RDONLY) for _ in range(57)]\nmaps = []\nprint('ready', flush=True)\nend = time.time() + 120\nwhile time.time() < end:\n    if len(maps) < 20000:\n        maps.extend(mmap.mmap(-1, 4096) for _ in range(int(sys.argv[1])))\n    time.sleep(0.05)\n";

#[test]
fn a_process_leaking_mappings_has_a_verdict_and_a_time_to_max_map_count() {
    let (Some(leaky), Some(steady)) = (UnitCgroup::new(), UnitCgroup::new()) else {
        return;
    };
    let _l = leaky.python_args(MAPPER, "10");
    let _s = steady.python_args(MAPPER, "0");
    // 100 scans 150 ms apart: about 15 s, 30 mappings a scan. The
    // mappings are read as their cost allows (a round of the top 5 every
    // 0.2 to 0.5 s in a debug build on a busy host), and the detector needs
    // about 7 s of those irregular samples.
    let page = serve_once_with(&["--scans", "100", "--interval", "150ms", "--top-k", "5"]);
    let l = leaky.labels();
    let at = |labels: &str, m: &str| value(&page, &format!("{m}{{{labels},resource=\"maps\"}}"));
    assert_eq!(at(&l, "proctor_leak"), Some(1.0), "{page}");
    let rate = at(&l, "proctor_leak_rate_per_second").unwrap();
    assert!((100.0..=250.0).contains(&rate), "{rate}");
    let eta = value(
        &page,
        &format!("proctor_exhaustion_seconds{{{l},resource=\"maps\",limit=\"max_map_count\"}}"),
    )
    .unwrap();
    let max: f64 = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The room left (at most max_map_count) at 100 to 250 a second.
    assert!(eta > 0.0 && eta < max / 100.0, "{eta}");
    let head = format!("proctor_process_maps{{{l},pid=\"{}\"", _l.pid());
    let maps = page
        .lines()
        .find(|x| x.starts_with(&head))
        .and_then(|x| x.rsplit(' ').next()?.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{head}: {page}"));
    assert!(maps > 300.0, "{maps}");
    let s = steady.labels();
    assert_eq!(at(&s, "proctor_leak"), Some(0.0), "{page}");
    assert!(
        !page.contains(&format!("proctor_exhaustion_seconds{{{s},")),
        "{page}"
    );
}

/// One request on a fresh connection: (status, headers lowercased, body).
fn get(port: u16, path: &str, accept: Option<&str>) -> Option<(u16, String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{accept}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head.to_ascii_lowercase(), body.to_string()))
}

#[test]
fn the_real_binary_serves_both_formats_and_ends_cleanly_on_sigterm() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Reaped::spawn(
        without_overrides(Command::new(bin()).args([
            "serve",
            "--listen",
            &listen,
            "--interval",
            "300ms",
        ]))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped()),
    );
    wait_until("/healthz 200", Duration::from_secs(60), || {
        matches!(get(port, "/healthz", None), Some((200, _, _)))
    });
    let (code, head, body) = get(
        port,
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"),
    )
    .expect("an OpenMetrics scrape");
    assert_eq!(code, 200);
    assert!(
        head.contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    assert!(body.ends_with("# EOF\n"), "{body}");
    assert!(
        body.contains("# UNIT proctor_cpu_seconds seconds"),
        "{body}"
    );
    assert!(body.contains("proctor_build_info{version=\""), "{body}");
    let (code, head, body) = get(port, "/metrics", None).expect("a text scrape");
    assert_eq!(code, 200);
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    assert!(
        !body.contains("# EOF") && !body.contains("# UNIT"),
        "{body}"
    );
    assert!(
        body.contains("# TYPE proctor_cpu_seconds_total counter"),
        "{body}"
    );
    assert!(body.contains("\nproctor_processes{"), "{body}");

    let pid = rustix::process::Pid::from_raw(child.pid()).unwrap();
    let sent = Instant::now();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = wait_exit(&mut child.0, Duration::from_secs(5), "serve after SIGTERM");
    assert_eq!(status.code(), Some(0), "ended by {status:?}");
    assert!(sent.elapsed() < Duration::from_secs(5));
    let mut err = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.is_empty() || !err.contains("panic"), "{err}");
    // The port is free again: a new listener can have it.
    TcpListener::bind(("127.0.0.1", port)).expect("the port freed");
}
