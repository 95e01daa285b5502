//! End to end with the real engine: a Prometheus (`/usr/bin/prometheus`,
//! Debian's package, as `.ci/run` installs it) on loopback, with a storage
//! directory of its own and deploy/alerts.yml loaded, scrapes `proctor
//! serve --interval 1s` every second while a child leaks descriptors and
//! another holds a steady number, each in a memory cgroup of its own and
//! named (its comm) for this run. Through Prometheus's HTTP API:
//! `proctor_leak{resource="fds"}` is 1 for the leaking child's group and 0
//! for the steady one's, `proctor_exhaustion_seconds{limit="nofile"}` is
//! present and agrees with the child's real rate and limit, the rule
//! ProctorLeakExhaustionSoon is pending for the leak only, and every query
//! of the Grafana dashboard runs; `promtool check metrics` on a live scrape
//! is clean. Every process is killed by PID and reaped, every directory and
//! cgroup removed.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{self, MemCgroupV1, Reaped, TempDir};

/// Descriptors the leaking child opens a second, and its soft limit: the
/// limit is (SOFT - held) / RATE seconds away, about 4 minutes.
const RATE: f64 = 8.0;
const SOFT: u64 = 2048;
/// How long each condition may take (the detector needs samples first).
const WITHIN: Duration = Duration::from_secs(90);

/// A port free on loopback now (bound, read, released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `GET path` over HTTP/1.0 on 127.0.0.1:port, bounded: the status and the
/// body, or None when nothing answers (yet).
fn http_get(port: u16, path: &str, accept: Option<&str>) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(10))).ok()?;
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{accept}\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.take(64 << 20).read_to_end(&mut raw).ok()?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One sample of an instant query: its labels and value.
#[derive(Debug, Clone)]
struct Sample {
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A Prometheus of the test's own, killed and its storage removed on drop.
struct Prometheus {
    port: u16,
    _child: Reaped,
    /// Its storage and config, removed after the process ends (fields
    /// drop in order).
    _dir: TempDir,
}

impl Prometheus {
    /// Started on a free loopback port, scraping `target_port` every
    /// second with deploy/alerts.yml loaded, and ready. The target has the
    /// labels the ServiceMonitor gives it (the agent pod's own `namespace`,
    /// `pod`, `container`, and `node`) with `honor_labels: true`, as there.
    fn start(target_port: u16) -> Prometheus {
        let dir = TempDir::new("prometheus-e2e");
        std::fs::copy(deploy("alerts.yml"), dir.path().join("alerts.yml")).expect("copy alerts");
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files: [alerts.yml]\n\
             scrape_configs:\n  - job_name: proctor\n    scrape_interval: 1s\n    scrape_timeout: 1s\n\
             \x20   honor_labels: true\n\
             \x20   static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n\
             \x20       labels: {{node: e2e, namespace: proctor, pod: proctor-agent, container: proctor}}\n"
        );
        std::fs::write(dir.path().join("prometheus.yml"), config).expect("write config");
        let log = dir.path().join("prometheus.log");
        for _ in 0..5 {
            let port = free_port();
            let mut child = Reaped::spawn(
                Command::new("prometheus")
                    .arg(format!(
                        "--config.file={}",
                        dir.path().join("prometheus.yml").display()
                    ))
                    .arg(format!(
                        "--storage.tsdb.path={}",
                        dir.path().join("data").display()
                    ))
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                    .current_dir(dir.path())
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(std::fs::File::create(&log).expect("log")),
            );
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if http_get(port, "/-/ready", None).is_some_and(|(s, _)| s == 200) {
                    return Prometheus {
                        port,
                        _child: child,
                        _dir: dir,
                    };
                }
                if let Ok(Some(_)) = child.0.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!(
            "prometheus did not come up on a free loopback port:\n{}",
            common::read_text(&log)
        );
    }

    /// An instant query; panics on an error answer (a query that does not
    /// parse is a bug of the test or the dashboard).
    fn query(&self, promql: &str) -> Vec<Sample> {
        let path = format!("/api/v1/query?query={}", url_encode(promql));
        let Some((status, body)) = http_get(self.port, &path, None) else {
            panic!("prometheus does not answer {promql}");
        };
        let v: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{promql}: not JSON ({e}): {body}"));
        assert!(
            status == 200 && v["status"] == "success",
            "{promql}: {status} {body}"
        );
        match v["data"]["resultType"].as_str() {
            Some("vector") => v["data"]["result"]
                .as_array()
                .expect("result")
                .iter()
                .map(|r| Sample {
                    labels: r["metric"]
                        .as_object()
                        .expect("metric")
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().expect("label").to_string()))
                        .collect(),
                    value: r["value"][1]
                        .as_str()
                        .expect("value")
                        .parse()
                        .expect("number"),
                })
                .collect(),
            _ => Vec::new(), // scalars and strings: no series
        }
    }

    /// Query until `ok` holds for the result (bounded by [`WITHIN`]).
    fn wait_for(&self, what: &str, promql: &str, ok: impl Fn(&[Sample]) -> bool) -> Vec<Sample> {
        let deadline = Instant::now() + WITHIN;
        loop {
            let r = self.query(promql);
            if ok(&r) {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {WITHIN:?}: {what} ({promql} is {r:?})"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

fn deploy(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(rel)
}

/// `proctor serve` on a free loopback port, every second, up and serving
/// (/healthz 200).
fn start_proctor() -> (Reaped, u16) {
    for _ in 0..5 {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut child = Reaped::spawn(
            common::proctor_cmd(["serve", "--listen", &listen, "--interval", "1s"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if http_get(port, "/healthz", None).is_some_and(|(s, _)| s == 200) {
                return (child, port);
            }
            if let Ok(Some(_)) = child.0.try_wait() {
                break; // the port was taken meanwhile: try another
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("proctor serve did not come up on a free loopback port");
}

fn one<'a>(r: &'a [Sample], what: &str) -> &'a Sample {
    assert_eq!(r.len(), 1, "{what}: one series expected, got {r:?}");
    &r[0]
}

#[test]
fn prometheus_sees_the_leak_and_its_exhaustion_and_not_the_steady_child() {
    if !common::require(
        "prometheus (Debian package prometheus)",
        common::which("prometheus").is_some(),
    ) || !common::require(
        "promtool (Debian package prometheus)",
        common::which("promtool").is_some(),
    ) {
        return;
    }
    // Names of this run's children (comm, at most 15 bytes): their groups.
    let tag = std::process::id() % 100_000;
    let (leaky, steady) = (format!("e2eleak{tag}"), format!("e2esteady{tag}"));
    // Cgroups first: dropped after the children.
    let Some(leak_cg) = MemCgroupV1::own("e2e-leak") else {
        return;
    };
    let Some(steady_cg) = MemCgroupV1::own("e2e-steady") else {
        return;
    };
    let soft = SOFT.to_string();
    let (leak_child, _) = common::python_helper_in(
        &leak_cg,
        "e2e_fds.py",
        &[&leaky, &soft, "leak", &RATE.to_string(), "1500"],
    );
    let (_steady_child, _) =
        common::python_helper_in(&steady_cg, "e2e_fds.py", &[&steady, &soft, "steady", "40"]);

    let (_proctor, proctor_port) = start_proctor();
    let prom = Prometheus::start(proctor_port);
    prom.wait_for("Prometheus scrapes proctor", "up{job=\"proctor\"}", |r| {
        r.len() == 1 && r[0].value == 1.0
    });

    let leak_sel = format!("{{group=\"{leaky}\",resource=\"fds\"}}");
    let steady_sel = format!("{{group=\"{steady}\",resource=\"fds\"}}");
    prom.wait_for(
        "the leak is judged a leak",
        &format!("proctor_leak{leak_sel}"),
        |r| r.len() == 1 && r[0].value == 1.0,
    );
    prom.wait_for(
        "the steady child is judged healthy",
        &format!("proctor_leak{steady_sel}"),
        |r| r.len() == 1,
    );

    // The time to exhaustion agrees with the child's real rate and limit.
    let eta = prom.wait_for(
        "the leak's time to exhaustion",
        &format!("proctor_exhaustion_seconds{leak_sel}"),
        |r| r.len() == 1,
    );
    let eta = one(&eta, "exhaustion");
    assert_eq!(
        eta.labels.get("limit").map(String::as_str),
        Some("nofile"),
        "{eta:?}"
    );
    assert_eq!(eta.labels.get("node").map(String::as_str), Some("e2e"));
    // honor_labels (the ServiceMonitor's honorLabels): the workload's own
    // labels win, and an empty one (no pod: a process grouped by name)
    // stays empty instead of taking the agent pod's.
    for l in ["namespace", "pod", "container"] {
        assert!(
            !eta.labels.contains_key(l),
            "{l} on a group without one: {eta:?}"
        );
    }
    let info = prom.query("proctor_build_info");
    assert_eq!(
        one(&info, "build info")
            .labels
            .get("pod")
            .map(String::as_str),
        Some("proctor-agent")
    );
    let held = common::fd_entries(leak_child.pid()) as f64;
    let expected = (SOFT as f64 - held) / RATE;
    assert!(
        eta.value > 0.0 && eta.value <= SOFT as f64 / RATE * 1.5,
        "exhaustion {} s: the limit is at most {} s away at {RATE}/s",
        eta.value,
        SOFT as f64 / RATE
    );
    assert!(
        eta.value > expected / 2.0 && eta.value < expected * 2.0,
        "exhaustion {} s, but {held} of {SOFT} held at {RATE}/s is {expected:.0} s away",
        eta.value
    );
    let rate = prom.query(&format!("proctor_leak_rate_per_second{leak_sel}"));
    let rate = one(&rate, "leak rate").value;
    eprintln!(
        "prometheus_e2e: {held} of {SOFT} descriptors held at {RATE}/s ({expected:.0} s to the limit); \
         Prometheus: exhaustion {:.0} s, rate {rate:.2}/s",
        eta.value
    );
    assert!(
        rate > RATE / 2.0 && rate < RATE * 2.0,
        "leak rate {rate}/s, the child leaks {RATE}/s"
    );

    // The steady group stays healthy: 0, and no time to exhaustion.
    let s = prom.query(&format!("proctor_leak{steady_sel}"));
    assert_eq!(one(&s, "steady verdict").value, 0.0, "{s:?}");
    assert!(
        prom.query(&format!("proctor_exhaustion_seconds{steady_sel}"))
            .is_empty()
    );

    // deploy/alerts.yml on the real data: the leak alert is pending (its
    // `for` is longer than this test), for the leak only.
    let alerts = prom.wait_for(
        "ProctorLeakExhaustionSoon pending for the leak",
        &format!("ALERTS{{alertname=\"ProctorLeakExhaustionSoon\",group=\"{leaky}\"}}"),
        |r| !r.is_empty(),
    );
    assert_eq!(one(&alerts, "alert").labels["alertstate"], "pending");
    assert!(
        prom.query(&format!("ALERTS{{group=\"{steady}\"}}"))
            .is_empty(),
        "an alert for the steady child"
    );

    // Every query of the dashboard runs on the real engine; the leak
    // suspects table lists the leak.
    for (title, expr) in crate::deploy::dashboard_queries(&crate::deploy::dashboard()) {
        let expr = expr
            .replace("$__rate_interval", "1m")
            .replace("$node", ".*")
            .replace("$namespace", ".*");
        let r = prom.query(&expr);
        if title == "Leak suspects: time to exhaustion"
            && expr.starts_with("proctor_exhaustion_seconds")
        {
            assert!(
                r.iter().any(|s| s.labels.get("group") == Some(&leaky)),
                "{title}: {expr} does not list {leaky}: {r:?}"
            );
        }
    }

    // A live scrape (Prometheus text 0.0.4) is clean for promtool.
    let (status, body) = http_get(proctor_port, "/metrics", None).expect("scrape");
    assert_eq!(status, 200);
    assert!(body.contains(&format!("group=\"{leaky}\"")));
    let mut lint = Command::new(common::which("promtool").expect("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    lint.stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("feed promtool");
    let o = common::output_within(&mut lint, common::RUN_LIMIT, "promtool check metrics");
    assert!(
        o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
        "promtool check metrics on a live scrape: {}{}",
        common::stdout(&o),
        common::stderr(&o)
    );
}
