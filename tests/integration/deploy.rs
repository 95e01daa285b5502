//! `deploy/` checked as a deployer would use it: the alert rules pass
//! `promtool check rules` and their unit tests (`promtool test rules`,
//! which fail when a threshold changes), every YAML manifest parses and has
//! what a node agent needs (hostPID, read-only root filesystem, read-only
//! host mounts passed as proctor's roots, two capabilities, probes on
//! /healthz, requests and limits), the Service, ServiceMonitor, scrape
//! config and DaemonSet agree on labels and ports, the PrometheusRule holds
//! the same groups as alerts.yml, and the Grafana dashboard is valid JSON
//! whose every query is valid PromQL (`promtool check rules` on them) naming
//! only the `proctor_*` metrics that issue 13 lists. promtool comes with
//! Debian's `prometheus` package (`.ci/run` installs it): [`common::require`]d.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use yaml_rust2::{Yaml, YamlEmitter, YamlLoader};

use crate::common::{self, TempDir};

/// The metrics `proctor serve` exports (issue 13, point 3): what alerts and
/// dashboards may name. The agent's own `process_*` metrics are not used.
const ISSUE_METRICS: &[&str] = &[
    "proctor_processes",
    "proctor_cpu_seconds_total",
    "proctor_memory_bytes",
    "proctor_memory_limit_bytes",
    "proctor_open_fds",
    "proctor_fd_limit_ratio_max",
    "proctor_threads",
    "proctor_tasks_limit",
    "proctor_sockets",
    "proctor_oom_kills_total",
    "proctor_cpu_throttled_seconds_total",
    "proctor_leak",
    "proctor_leak_rate_per_second",
    "proctor_exhaustion_seconds",
    "proctor_workload_info",
    "proctor_process_open_fds",
    "proctor_process_rss_bytes",
    "proctor_process_threads",
    "proctor_process_maps",
    "proctor_process_start_time_seconds",
    "proctor_scan_duration_seconds",
    "proctor_read_errors_total",
    "proctor_series_dropped_total",
    "proctor_build_info",
];

/// The capabilities the DaemonSet adds, and no other.
const CAPABILITIES: [&str; 2] = ["DAC_READ_SEARCH", "SYS_PTRACE"];

fn deploy(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(rel)
}

fn load_yaml(rel: &str) -> Vec<Yaml> {
    let text = common::read_text(&deploy(rel));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("deploy/{rel} is not YAML: {e}"))
}

/// The only document of a YAML file.
fn load_one(rel: &str) -> Yaml {
    let mut docs = load_yaml(rel);
    assert_eq!(docs.len(), 1, "deploy/{rel}: one document expected");
    docs.remove(0)
}

fn text<'a>(y: &'a Yaml, what: &str) -> &'a str {
    y.as_str()
        .unwrap_or_else(|| panic!("{what}: a string expected, got {y:?}"))
}

fn list<'a>(y: &'a Yaml, what: &str) -> &'a [Yaml] {
    y.as_vec()
        .unwrap_or_else(|| panic!("{what}: a list expected, got {y:?}"))
}

/// The item of a list whose `name` is `name`.
fn named<'a>(items: &'a Yaml, name: &str, what: &str) -> &'a Yaml {
    list(items, what)
        .iter()
        .find(|i| i["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("{what}: no item named {name}"))
}

/// Every `key: value` of a mapping of strings.
fn string_map(y: &Yaml, what: &str) -> Vec<(String, String)> {
    y.as_hash()
        .unwrap_or_else(|| panic!("{what}: a mapping expected, got {y:?}"))
        .iter()
        .map(|(k, v)| (text(k, what).to_string(), text(v, what).to_string()))
        .collect()
}

/// promtool, or None when it is missing here (the test then skips, and
/// fails under CI).
fn promtool() -> Option<PathBuf> {
    let p = common::which("promtool");
    common::require("promtool (Debian package prometheus)", p.is_some()).then(|| p.expect("found"))
}

fn run_promtool(promtool: &Path, dir: &Path, args: &[&str]) -> Output {
    common::run_bounded(Command::new(promtool).args(args).current_dir(dir))
}

fn assert_success(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({:?}):\n{}{}",
        o.status,
        common::stdout(o),
        common::stderr(o)
    );
}

#[test]
fn promtool_checks_the_alert_rules() {
    let Some(promtool) = promtool() else { return };
    let o = run_promtool(&promtool, &deploy(""), &["check", "rules", "alerts.yml"]);
    assert_success(&o, "promtool check rules deploy/alerts.yml");
    let rules: usize = load_one("alerts.yml")["groups"]
        .as_vec()
        .expect("groups")
        .iter()
        .map(|g| g["rules"].as_vec().expect("rules").len())
        .sum();
    assert!(
        rules >= 9,
        "the alerts of issue 13 and the agent's own: {rules}"
    );
    assert!(
        common::stdout(&o).contains(&format!("SUCCESS: {rules} rules found")),
        "{}",
        common::stdout(&o)
    );
}

#[test]
fn promtool_unit_tests_of_the_alerts_pass() {
    let Some(promtool) = promtool() else { return };
    let o = run_promtool(
        &promtool,
        &deploy(""),
        &["test", "rules", "alerts_test.yml"],
    );
    assert_success(&o, "promtool test rules deploy/alerts_test.yml");
    assert!(
        common::stdout(&o).contains("SUCCESS"),
        "{}",
        common::stdout(&o)
    );
}

/// The unit tests check the thresholds the alerts promise: with any of
/// them changed, `promtool test rules` fails.
#[test]
fn the_alert_unit_tests_catch_a_changed_threshold() {
    let Some(promtool) = promtool() else { return };
    let rules = common::read_text(&deploy("alerts.yml"));
    let tests = common::read_text(&deploy("alerts_test.yml"));
    let mutants = [
        (
            "proctor_exhaustion_seconds < 4 * 3600",
            "proctor_exhaustion_seconds < 8 * 3600",
        ),
        (
            "proctor_exhaustion_seconds < 30 * 60",
            "proctor_exhaustion_seconds < 60 * 60",
        ),
        (
            "proctor_fd_limit_ratio_max > 0.9",
            "proctor_fd_limit_ratio_max >= 0.9",
        ),
        (
            "increase(proctor_oom_kills_total[15m]) > 0",
            "increase(proctor_oom_kills_total[15m]) >= 0",
        ),
        ("proctor_tasks_limit > 0.9", "proctor_tasks_limit > 0.96"),
        ("up{job=\"proctor\"} == 0", "up{job=\"proctor\"} < 2"),
        ("{kind!=\"process_exited\"}", "{kind!=\"none\"}"),
        (
            "proctor_series_dropped_total[1h]) > 0",
            "proctor_series_dropped_total[1h]) >= 0",
        ),
    ];
    for (from, to) in mutants {
        assert!(rules.contains(from), "alerts.yml no longer has {from:?}");
        let dir = TempDir::new("alerts-mutant");
        std::fs::write(dir.path().join("alerts.yml"), rules.replacen(from, to, 1)).expect("write");
        std::fs::write(dir.path().join("alerts_test.yml"), &tests).expect("write");
        let o = run_promtool(&promtool, dir.path(), &["test", "rules", "alerts_test.yml"]);
        assert!(
            !o.status.success(),
            "alerts_test.yml still passes with {from:?} changed to {to:?}"
        );
    }
}

/// Every alert is expected to fire somewhere and expected silent somewhere.
#[test]
fn every_alert_fires_in_a_test_and_stays_silent_in_one() {
    let alerts: BTreeSet<String> = load_one("alerts.yml")["groups"]
        .as_vec()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_vec().expect("rules").iter())
        .map(|r| text(&r["alert"], "alert name").to_string())
        .collect();
    let tests = load_one("alerts_test.yml");
    assert_eq!(
        list(&tests["rule_files"], "rule_files"),
        [Yaml::String("alerts.yml".into())]
    );
    let (mut firing, mut silent) = (BTreeSet::new(), BTreeSet::new());
    for t in list(&tests["tests"], "tests") {
        for e in list(&t["alert_rule_test"], "alert_rule_test") {
            let name = text(&e["alertname"], "alertname").to_string();
            assert!(alerts.contains(&name), "a test of an unknown alert {name}");
            if list(&e["exp_alerts"], "exp_alerts").is_empty() {
                silent.insert(name);
            } else {
                firing.insert(name);
            }
        }
    }
    assert_eq!(firing, alerts, "alerts never expected to fire");
    assert_eq!(silent, alerts, "alerts never expected silent");
}

#[test]
fn the_prometheusrule_holds_the_groups_of_alerts_yml() {
    let rule = load_one("kubernetes/prometheusrule.yaml");
    assert_eq!(text(&rule["kind"], "kind"), "PrometheusRule");
    assert_eq!(
        text(&rule["apiVersion"], "apiVersion"),
        "monitoring.coreos.com/v1"
    );
    assert!(!rule["spec"]["groups"].is_badvalue());
    assert_eq!(rule["spec"]["groups"], load_one("alerts.yml")["groups"]);
}

/// The DaemonSet's pod template and its only container.
fn daemonset() -> (Yaml, Yaml) {
    let ds = load_one("kubernetes/daemonset.yaml");
    assert_eq!(text(&ds["kind"], "kind"), "DaemonSet");
    assert_eq!(text(&ds["apiVersion"], "apiVersion"), "apps/v1");
    let pod = ds["spec"]["template"].clone();
    let containers = list(&pod["spec"]["containers"], "containers");
    assert_eq!(containers.len(), 1, "one container");
    let c = containers[0].clone();
    (pod, c)
}

/// `--NAME=VALUE` among the container's arguments.
fn arg<'a>(args: &'a [Yaml], name: &str) -> &'a str {
    let prefix = format!("--{name}=");
    args.iter()
        .filter_map(Yaml::as_str)
        .find_map(|a| a.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("the DaemonSet does not pass --{name}=..."))
}

#[test]
fn the_daemonset_sees_the_host_read_only_with_two_capabilities() {
    let (pod, c) = daemonset();
    let spec = &pod["spec"];
    assert_eq!(spec["hostPID"].as_bool(), Some(true), "hostPID");
    assert_eq!(
        spec["hostNetwork"].as_bool(),
        Some(false),
        "the pod's own network"
    );
    assert_eq!(spec["automountServiceAccountToken"].as_bool(), Some(false));
    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(sc["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(sc["privileged"].as_bool(), Some(false));
    let drop: Vec<&str> = list(&sc["capabilities"]["drop"], "drop")
        .iter()
        .map(|y| text(y, "drop"))
        .collect();
    assert_eq!(drop, ["ALL"]);
    let add: BTreeSet<&str> = list(&sc["capabilities"]["add"], "add")
        .iter()
        .map(|y| text(y, "add"))
        .collect();
    assert_eq!(add, CAPABILITIES.into_iter().collect());
    assert_eq!(
        text(
            &spec["securityContext"]["seccompProfile"]["type"],
            "seccomp"
        ),
        "RuntimeDefault"
    );

    // Each host directory mounted read-only where proctor is told to look.
    let args = list(&c["args"], "args");
    assert_eq!(args.first().and_then(Yaml::as_str), Some("serve"));
    let pods_dir = arg(args, "pods-dir");
    let containers_dir = Path::new(pods_dir).with_file_name("containers");
    let mounts = [
        ("/proc", arg(args, "proc-root")),
        ("/sys", arg(args, "sys-root")),
        ("/var/log/pods", pods_dir),
        // --pods-dir's sibling: container ids to names.
        (
            "/var/log/containers",
            containers_dir.to_str().expect("utf-8"),
        ),
    ];
    let volumes = list(&spec["volumes"], "volumes");
    let volume_mounts = list(&c["volumeMounts"], "volumeMounts");
    assert_eq!(volume_mounts.len(), mounts.len(), "no other mount");
    for (host, inside) in mounts {
        let m = volume_mounts
            .iter()
            .find(|m| m["mountPath"].as_str() == Some(inside))
            .unwrap_or_else(|| panic!("nothing mounted at {inside}"));
        assert_eq!(m["readOnly"].as_bool(), Some(true), "{inside} read-only");
        let v = named(&spec["volumes"], text(&m["name"], "mount name"), "volumes");
        assert_eq!(text(&v["hostPath"]["path"], "hostPath"), host, "{inside}");
        // The environment gives commands run by hand the same roots.
        let env = match host {
            "/proc" => Some("PROCTOR_PROC_ROOT"),
            "/sys" => Some("PROCTOR_SYS_ROOT"),
            "/var/log/pods" => Some("PROCTOR_PODS_DIR"),
            _ => None,
        };
        if let Some(env) = env {
            assert_eq!(text(&named(&c["env"], env, "env")["value"], env), inside);
        }
    }
    assert_eq!(volumes.len(), mounts.len(), "no other volume");
}

#[test]
fn the_daemonset_listens_on_the_pod_and_is_probed_on_healthz() {
    let (pod, c) = daemonset();
    let args = list(&c["args"], "args");
    assert_eq!(
        arg(args, "listen"),
        "0.0.0.0:9256",
        "deliberately every address of the pod"
    );
    assert!(arg(args, "interval").ends_with('s'));
    let port = named(&c["ports"], "metrics", "ports");
    assert_eq!(port["containerPort"].as_i64(), Some(9256));
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        let get = &c[probe]["httpGet"];
        assert_eq!(text(&get["path"], probe), "/healthz", "{probe}");
        assert_eq!(text(&get["port"], probe), "metrics", "{probe}");
        assert!(
            c[probe]["timeoutSeconds"].as_i64().is_some(),
            "{probe} timeout"
        );
    }
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            let v = text(&c["resources"][kind][resource], "resources");
            assert!(!v.is_empty(), "{kind}.{resource}");
        }
    }
    // Every node, tainted ones too.
    let tolerations = list(&pod["spec"]["tolerations"], "tolerations");
    assert!(
        tolerations
            .iter()
            .any(|t| t["operator"].as_str() == Some("Exists") && t["key"].is_badvalue())
    );
    assert!(
        pod["spec"]["terminationGracePeriodSeconds"]
            .as_i64()
            .is_some()
    );
}

/// The pod template's labels.
fn pod_labels() -> Vec<(String, String)> {
    string_map(&daemonset().0["metadata"]["labels"], "pod labels")
}

fn is_subset(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.iter().all(|x| b.contains(x))
}

#[test]
fn the_service_and_servicemonitor_select_the_agents() {
    let labels = pod_labels();
    let ds = load_one("kubernetes/daemonset.yaml");
    let selector = string_map(&ds["spec"]["selector"]["matchLabels"], "DaemonSet selector");
    assert!(
        is_subset(&selector, &labels),
        "the DaemonSet selects its pods"
    );

    let svc = load_one("kubernetes/service.yaml");
    assert_eq!(text(&svc["kind"], "kind"), "Service");
    assert_eq!(
        text(&svc["spec"]["clusterIP"], "clusterIP"),
        "None",
        "headless"
    );
    assert!(is_subset(
        &string_map(&svc["spec"]["selector"], "selector"),
        &labels
    ));
    let port = named(&svc["spec"]["ports"], "metrics", "service ports");
    assert_eq!(port["port"].as_i64(), Some(9256));
    assert_eq!(text(&port["targetPort"], "targetPort"), "metrics");

    let sm = load_one("kubernetes/servicemonitor.yaml");
    assert_eq!(text(&sm["kind"], "kind"), "ServiceMonitor");
    let svc_labels = string_map(&svc["metadata"]["labels"], "service labels");
    assert!(is_subset(
        &string_map(&sm["spec"]["selector"]["matchLabels"], "sm selector"),
        &svc_labels
    ));
    let endpoints = list(&sm["spec"]["endpoints"], "endpoints");
    assert_eq!(endpoints.len(), 1);
    let ep = &endpoints[0];
    assert_eq!(text(&ep["port"], "port"), "metrics");
    assert_eq!(text(&ep["path"], "path"), "/metrics");
    // The workload's namespace/pod/container labels win over the agent's own.
    assert_eq!(ep["honorLabels"].as_bool(), Some(true));
    let relabel = list(&ep["relabelings"], "relabelings");
    assert!(
        relabel
            .iter()
            .any(|r| r["targetLabel"].as_str() == Some("node")
                && r["sourceLabels"][0].as_str() == Some("__meta_kubernetes_pod_node_name"))
    );
}

#[test]
fn every_manifest_parses_and_lives_in_one_namespace() {
    let ns = load_one("kubernetes/namespace.yaml");
    assert_eq!(text(&ns["kind"], "kind"), "Namespace");
    let name = text(&ns["metadata"]["name"], "namespace name").to_string();
    let psa = string_map(&ns["metadata"]["labels"], "labels");
    assert!(psa.contains(&(
        "pod-security.kubernetes.io/enforce".into(),
        "privileged".into()
    )));

    let dir = deploy("kubernetes");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("deploy/kubernetes")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    let mut kinds = BTreeSet::new();
    for f in &files {
        for doc in load_yaml(&format!("kubernetes/{f}")) {
            let kind = text(&doc["kind"], f).to_string();
            if !["Namespace", "Kustomization"].contains(&kind.as_str()) {
                assert_eq!(text(&doc["metadata"]["namespace"], f), name, "{f}");
            }
            kinds.insert(kind);
        }
    }
    let expected = [
        "DaemonSet",
        "Kustomization",
        "Namespace",
        "PrometheusRule",
        "Service",
        "ServiceAccount",
        "ServiceMonitor",
    ];
    assert_eq!(kinds, expected.iter().map(|s| s.to_string()).collect());

    // The pods run as the ServiceAccount, which has no token.
    let sa = load_one("kubernetes/serviceaccount.yaml");
    assert_eq!(sa["automountServiceAccountToken"].as_bool(), Some(false));
    let (pod, c) = daemonset();
    assert_eq!(pod["spec"]["serviceAccountName"], sa["metadata"]["name"]);
    // The image kustomize sets is the container's.
    let kust = load_one("kubernetes/kustomization.yaml");
    let image = text(&c["image"], "image");
    let set = text(&list(&kust["images"], "images")[0]["name"], "images.name");
    assert!(image.starts_with(&format!("{set}:")), "{image} vs {set}");
    // Everything that needs no CRD is in the kustomization, and exists.
    let resources: BTreeSet<&str> = list(&kust["resources"], "resources")
        .iter()
        .map(|r| text(r, "resource"))
        .collect();
    for f in &files {
        let crd = [
            "servicemonitor.yaml",
            "prometheusrule.yaml",
            "kustomization.yaml",
        ]
        .contains(&f.as_str());
        assert_eq!(
            resources.contains(f.as_str()),
            !crd,
            "{f} in kustomization.yaml"
        );
    }
}

#[test]
fn the_scrape_config_keeps_only_the_agents_and_passes_promtool() {
    let cfg = load_one("prometheus.yml");
    assert_eq!(
        list(&cfg["rule_files"], "rule_files"),
        [Yaml::String("alerts.yml".into())]
    );
    let job = named_job(&cfg, "proctor");
    let sd = &list(&job["kubernetes_sd_configs"], "kubernetes_sd_configs")[0];
    assert_eq!(text(&sd["role"], "role"), "pod");
    let ns = load_one("kubernetes/namespace.yaml");
    assert_eq!(sd["namespaces"]["names"][0], ns["metadata"]["name"]);
    // The keep rules name the DaemonSet's pod label and its port.
    let relabel = list(&job["relabel_configs"], "relabel_configs");
    let keep = |source: &str| -> String {
        let r = relabel
            .iter()
            .find(|r| {
                r["action"].as_str() == Some("keep")
                    && r["source_labels"][0].as_str() == Some(source)
            })
            .unwrap_or_else(|| panic!("no keep rule on {source}"));
        text(&r["regex"], "regex").to_string()
    };
    let name = pod_labels()
        .into_iter()
        .find(|(k, _)| k == "app.kubernetes.io/name")
        .expect("app.kubernetes.io/name")
        .1;
    assert_eq!(
        keep("__meta_kubernetes_pod_label_app_kubernetes_io_name"),
        name
    );
    assert_eq!(keep("__meta_kubernetes_pod_container_port_name"), "metrics");
    let targets: BTreeSet<&str> = relabel
        .iter()
        .filter_map(|r| r["target_label"].as_str())
        .collect();
    assert!(targets.contains("node"));
    for workload_label in ["namespace", "pod", "container"] {
        assert!(
            !targets.contains(workload_label),
            "{workload_label} is the workload's"
        );
    }

    // Debian's Prometheus is built without Kubernetes discovery: promtool
    // checks the rest (relabelling, rule files, intervals) with the
    // discovery swapped for a static target.
    let Some(promtool) = promtool() else { return };
    let dir = TempDir::new("scrape-config");
    let mut cfg = cfg;
    swap_discovery(&mut cfg);
    let mut out = String::new();
    YamlEmitter::new(&mut out).dump(&cfg).expect("emit");
    std::fs::write(dir.path().join("prometheus.yml"), out).expect("write");
    std::fs::copy(deploy("alerts.yml"), dir.path().join("alerts.yml")).expect("copy");
    let o = run_promtool(
        &promtool,
        dir.path(),
        &["check", "config", "prometheus.yml"],
    );
    assert_success(&o, "promtool check config deploy/prometheus.yml");
}

fn named_job<'a>(cfg: &'a Yaml, name: &str) -> &'a Yaml {
    list(&cfg["scrape_configs"], "scrape_configs")
        .iter()
        .find(|j| j["job_name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no job {name}"))
}

fn swap_discovery(cfg: &mut Yaml) {
    let Yaml::Array(jobs) = &mut cfg["scrape_configs"] else {
        panic!("scrape_configs")
    };
    for job in jobs {
        let Yaml::Hash(h) = job else { panic!("a job") };
        h.remove(&Yaml::String("kubernetes_sd_configs".into()));
        let target = YamlLoader::load_from_str("- targets: ['127.0.0.1:9256']").expect("yaml");
        h.insert(Yaml::String("static_configs".into()), target[0].clone());
    }
}

/// The metric names a PromQL expression selects: identifiers outside label
/// matchers, strings, ranges and label lists, that are neither functions,
/// aggregations nor keywords.
fn metric_names(expr: &str) -> BTreeSet<String> {
    const AGGREGATIONS: &[&str] = &[
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
    ];
    const LABEL_LISTS: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    const KEYWORDS: &[&str] = &[
        "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
    ];
    let b = expr.as_bytes();
    let mut names = BTreeSet::new();
    let mut i = 0;
    // Skip from an opening byte to its closing one (strings inside skipped).
    let skip_to = |mut i: usize, close: u8| -> usize {
        while i < b.len() && b[i] != close {
            if b[i] == b'"' || b[i] == b'\'' {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            i += 1;
        }
        i + 1
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' | b'`' => i = skip_to(i + 1, c),
            b'{' => i = skip_to(i + 1, b'}'),
            b'[' => i = skip_to(i + 1, b']'),
            b'$' => {
                i += 1;
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
            }
            b'0'..=b'9' | b'.' => {
                while i < b.len() && (ident(b[i]) || b[i] == b'.') {
                    i += 1;
                }
            }
            c if ident(c) => {
                let start = i;
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
                let word = &expr[start..i];
                let mut j = i;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                let call = j < b.len() && b[j] == b'(';
                if LABEL_LISTS.contains(&word) {
                    if call {
                        i = skip_to(j + 1, b')');
                    }
                } else if !call && !AGGREGATIONS.contains(&word) && !KEYWORDS.contains(&word) {
                    names.insert(word.to_string());
                }
            }
            _ => i += 1,
        }
    }
    names
}

#[test]
fn metric_names_of_promql() {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        metric_names(
            r#"sum by (node, kind) (rate(proctor_read_errors_total{kind!="a b",x=~"$node"}[5m]))"#
        ),
        set(&["proctor_read_errors_total"])
    );
    assert_eq!(
        metric_names("topk(10, a_b{kind=\"w}s\", c=~\"$x\"} / ignoring (kind) c_d) > 0.9"),
        set(&["a_b", "c_d"])
    );
    assert_eq!(
        metric_names("x and on (instance, pod) (y == 1) unless z offset 5m or vector(0)"),
        set(&["x", "y", "z"])
    );
    assert_eq!(
        metric_names("proctor_exhaustion_seconds < 4 * 3600"),
        set(&["proctor_exhaustion_seconds"])
    );
    assert_eq!(metric_names("absent(up{job=\"proctor\"})"), set(&["up"]));
}

#[test]
fn the_alerts_name_only_issue_metrics() {
    let mut used = BTreeSet::new();
    for g in list(&load_one("alerts.yml")["groups"], "groups") {
        for r in list(&g["rules"], "rules") {
            used.extend(metric_names(text(&r["expr"], "expr")));
        }
    }
    let allowed: BTreeSet<String> = ISSUE_METRICS
        .iter()
        .chain(&["up"])
        .map(|s| s.to_string())
        .collect();
    let unknown: Vec<_> = used.difference(&allowed).collect();
    assert!(
        unknown.is_empty(),
        "alerts.yml names metrics proctor does not export: {unknown:?}"
    );
}

/// Every panel (rows' collapsed panels included) and its queries.
pub(crate) fn dashboard_queries(d: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(panels: &serde_json::Value, out: &mut Vec<(String, String)>, ids: &mut BTreeSet<u64>) {
        for p in panels.as_array().expect("panels") {
            let id = p["id"].as_u64().expect("panel id");
            assert!(ids.insert(id), "panel id {id} twice");
            let title = p["title"].as_str().expect("title").to_string();
            let gp = &p["gridPos"];
            let (x, w) = (gp["x"].as_u64().expect("x"), gp["w"].as_u64().expect("w"));
            assert!(
                x + w <= 24 && w > 0 && gp["h"].as_u64().is_some(),
                "{title}: gridPos"
            );
            if p["type"] == "row" {
                walk(&p["panels"], out, ids);
                continue;
            }
            let targets = p["targets"].as_array().expect("targets");
            assert!(!targets.is_empty(), "{title}: no query");
            for t in targets {
                let expr = t["expr"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{title}: no expr"));
                out.push((title.clone(), expr.to_string()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&d["panels"], &mut out, &mut BTreeSet::new());
    for v in d["templating"]["list"].as_array().expect("templating") {
        if v["type"] == "query" {
            let q = v["query"]["query"]
                .as_str()
                .or(v["query"].as_str())
                .expect("query");
            let inner = q
                .strip_prefix("label_values(")
                .and_then(|r| r.rsplit_once(','))
                .map(|(sel, _)| sel)
                .unwrap_or_else(|| {
                    panic!("variable query {q}: label_values(SELECTOR, LABEL) expected")
                });
            out.push((format!("variable {}", v["name"]), inner.to_string()));
        }
    }
    out
}

pub(crate) fn dashboard() -> serde_json::Value {
    let text = common::read_text(&deploy("grafana-dashboard.json"));
    serde_json::from_str(&text).expect("deploy/grafana-dashboard.json is not valid JSON")
}

#[test]
fn the_dashboard_is_json_naming_only_issue_metrics() {
    let d = dashboard();
    assert!(d["uid"].as_str().is_some_and(|u| !u.is_empty()));
    let queries = dashboard_queries(&d);
    let mut used = BTreeSet::new();
    for (title, expr) in &queries {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "{title}: {expr} names no metric");
        for n in names {
            assert!(
                ISSUE_METRICS.contains(&n.as_str()),
                "{title}: {n} is not a metric of issue 13 ({expr})"
            );
            used.insert(n);
        }
    }
    // What the dashboard is for: leak suspects with their time to
    // exhaustion, workloads by limit closeness, memory against limit.
    for needed in [
        "proctor_exhaustion_seconds",
        "proctor_leak",
        "proctor_leak_rate_per_second",
        "proctor_fd_limit_ratio_max",
        "proctor_tasks_limit",
        "proctor_memory_bytes",
        "proctor_memory_limit_bytes",
    ] {
        assert!(
            used.contains(needed),
            "the dashboard does not show {needed}"
        );
    }
}

/// Each query, with Grafana's variables given values, is a recording rule
/// that `promtool check rules` accepts: valid PromQL for Prometheus itself.
#[test]
fn the_dashboard_queries_are_valid_promql() {
    let Some(promtool) = promtool() else { return };
    let queries = dashboard_queries(&dashboard());
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, (_, expr)) in queries.iter().enumerate() {
        let expr = expr
            .replace("$__rate_interval", "1m")
            .replace("$node", ".*")
            .replace("$namespace", ".*");
        assert!(!expr.contains('$'), "an unknown variable in {expr}");
        rules.push_str(&format!(
            "      - record: dashboard:query_{i}\n        expr: {}\n",
            json_quote(&expr)
        ));
    }
    let dir = TempDir::new("dashboard-promql");
    std::fs::write(dir.path().join("dashboard.yml"), rules).expect("write");
    let o = run_promtool(&promtool, dir.path(), &["check", "rules", "dashboard.yml"]);
    assert_success(&o, "promtool check rules on the dashboard's queries");
    assert!(common::stdout(&o).contains(&format!("SUCCESS: {} rules found", queries.len())));
}

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
fn json_quote(s: &str) -> String {
    serde_json::to_string(s).expect("json")
}

#[test]
fn the_dockerfile_builds_a_static_binary_on_an_empty_image() {
    let file = common::read_text(&deploy("Dockerfile"));
    let froms: Vec<&str> = file.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "multi-stage: {froms:?}");
    assert!(
        froms[0].contains("alpine") && froms[0].ends_with(" AS build"),
        "{}",
        froms[0]
    );
    assert_eq!(froms[1], "FROM scratch");
    assert!(file.contains("+crt-static") && file.contains("--locked"));
    assert!(file.contains("COPY --from=build /out/proctor /proctor"));
    assert!(file.contains("ENTRYPOINT [\"/proctor\"]"));
    assert!(file.contains("EXPOSE 9256"));
    let ignore = common::read_text(&deploy("Dockerfile.dockerignore"));
    assert!(
        ignore.lines().any(|l| l == "target"),
        "the build tree stays out of the context"
    );
    // The Rust version the builder uses is the crate's minimum.
    let manifest = common::read_text(&Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
    let msrv = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("rust-version")
        .trim_matches('"');
    assert!(
        file.contains(&format!("ARG RUST_VERSION={msrv}")),
        "the builder is not Rust {msrv}"
    );
}

/// deploy/README.md says how to use every file of deploy/.
#[test]
fn the_deploy_readme_names_every_file() {
    let readme = common::read_text(&deploy("README.md"));
    let mut missing = Vec::new();
    for dir in ["", "kubernetes"] {
        for e in std::fs::read_dir(deploy(dir)).expect("deploy/") {
            let e = e.expect("entry");
            if e.file_type().expect("type").is_file() {
                let name = e.file_name().into_string().expect("utf-8");
                if name != "README.md" && !readme.contains(&name) {
                    missing.push(name);
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "deploy/README.md does not mention {missing:?}"
    );
}

/// The DaemonSet's arguments (and the image's default command) are ones
/// `proctor` accepts: run with the host's roots swapped for this machine's
/// and `--once` (which prints one page instead of binding).
#[test]
fn proctor_accepts_the_daemonsets_arguments() {
    let (_, c) = daemonset();
    let pods = TempDir::new("deploy-pods");
    let mut args: Vec<String> = list(&c["args"], "args")
        .iter()
        .map(|a| {
            let a = text(a, "arg");
            match a.split_once('=') {
                Some(("--proc-root", _)) => "--proc-root=/proc".to_string(),
                Some(("--sys-root", _)) => "--sys-root=/sys".to_string(),
                Some(("--pods-dir", _)) => format!("--pods-dir={}", pods.path().display()),
                _ => a.to_string(),
            }
        })
        .collect();
    args.push("--once".into());
    let o = common::run_bounded(&mut common::proctor_cmd(&args));
    common::assert_ok(&o, "the DaemonSet's arguments with --once");
    assert!(
        common::stdout(&o).contains("proctor_build_info"),
        "{}",
        common::stdout(&o)
    );

    // The image's CMD, the same way.
    let file = common::read_text(&deploy("Dockerfile"));
    let cmd = file
        .lines()
        .find_map(|l| l.strip_prefix("CMD "))
        .expect("CMD");
    let cmd: Vec<String> = serde_json::from_str(cmd).expect("CMD in exec form");
    let mut args = cmd;
    args.push("--once".into());
    let o = common::run_bounded(&mut common::proctor_cmd(&args));
    common::assert_ok(&o, "the image's CMD with --once");
}
