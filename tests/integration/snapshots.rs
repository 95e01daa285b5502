//! Snapshots of what every command prints on the captured fixture trees:
//! stdout, stderr and the exit code, human and JSON. They pin the output
//! while the code under it moves; a change here must be one the change
//! meant (review with `cargo insta review`, or set `INSTA_UPDATE=always`
//! and read the diff of `tests/integration/snapshots/`).
//!
//! The trees are static, so every command's output is deterministic. The
//! one exception is `watch`, whose sample count and elapsed times follow the
//! clock: its output is normalized (see [`normalize_watch`]) before it is
//! compared.

use crate::common::{fixture, fixture_copy, proctor_at, stderr, stdout};
use std::path::Path;

/// One run, as the snapshot records it.
fn transcript(root: &Path, args: &[&str]) -> String {
    let o = proctor_at(root, args);
    let text = format!(
        "$ proctor {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        o.status
            .code()
            .map_or_else(|| "signal".to_string(), |c| c.to_string()),
        stdout(&o),
        stderr(&o)
    );
    // Paths under the tree name where it sits on this machine.
    let text = text.replace(root.to_str().expect("utf-8 path"), "[ROOT]");
    normalize_elapsed(&text)
}

/// doctor's "Checked N processes in 0.25s." follows the clock (it
/// rechecks zombies after a wait): the time is replaced.
fn normalize_elapsed(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        match (line.starts_with("Checked "), line.rfind(" in ")) {
            (true, Some(at)) => {
                let end = line[at + 4..]
                    .find("s.")
                    .map_or(line.len(), |e| at + 4 + e + 1);
                out.push_str(&line[..at]);
                out.push_str(" in [T]");
                out.push_str(&line[end..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// Runs each case on `tree` in human and JSON form, one named snapshot
/// each (`TREE__NAME` and `TREE__NAME__json`).
fn snapshot_cases(tree: &str, cases: &[(&str, &[&str])]) {
    let root = fixture(tree);
    for (name, args) in cases {
        insta::assert_snapshot!(format!("{tree}__{name}"), transcript(&root, args));
        let mut with_json = args.to_vec();
        with_json.push("--json");
        insta::assert_snapshot!(
            format!("{tree}__{name}__json"),
            transcript(&root, &with_json)
        );
    }
}

/// The per-process views and host commands every tree answers.
const COMMON: &[(&str, &[&str])] = &[
    ("inspect", &["inspect", "4242"]),
    ("fds", &["fds", "4242"]),
    ("fds_long", &["fds", "4242", "--long"]),
    ("fds_count", &["fds", "4242", "--count"]),
    (
        "fds_type",
        &["fds", "4242", "--type", "socket", "--type", "file"],
    ),
    ("net", &["net", "4242"]),
    ("net_listening", &["net", "4242", "--listening"]),
    (
        "net_tcp_established",
        &["net", "4242", "--proto", "tcp", "--state", "ESTABLISHED"],
    ),
    ("env", &["env", "4242"]),
    ("env_pattern", &["env", "4242", "path"]),
    ("env_reveal", &["env", "4242", "--reveal"]),
    ("maps", &["maps", "4242"]),
    ("threads", &["threads", "4242"]),
    ("threads_by_name", &["threads", "4242", "--sort", "name"]),
    ("top", &["top", "--once"]),
    ("top_tree", &["top", "--once", "--tree"]),
    (
        "top_rss_limit",
        &["top", "--once", "--sort", "rss", "--limit", "2"],
    ),
    (
        "top_reverse_filter",
        &[
            "top",
            "--once",
            "--sort",
            "pid",
            "--reverse",
            "--filter",
            "python",
        ],
    ),
    ("doctor", &["doctor"]),
    ("doctor_all", &["doctor", "--all"]),
    ("oom", &["oom"]),
    ("not_found", &["inspect", "nosuch"]),
];

#[test]
fn v1_basic() {
    let mut cases = COMMON.to_vec();
    cases.extend_from_slice(&[
        ("inspect_zombie", &["inspect", "4300"] as &[&str]),
        ("inspect_pid1", &["inspect", "1"]),
        ("inspect_kthread", &["inspect", "2"]),
        (
            "inspect_thresholds",
            &[
                "inspect",
                "4242",
                "--thread-threshold",
                "2",
                "--close-wait-threshold",
                "1",
            ],
        ),
        ("inspect_by_name", &["inspect", "app_server"]),
        ("threads_zombie", &["threads", "4300"]),
    ]);
    snapshot_cases("v1-basic", &cases);
}

#[test]
fn v2_basic() {
    snapshot_cases("v2-basic", COMMON);
}

#[test]
fn hostile() {
    let mut cases = COMMON.to_vec();
    cases.extend_from_slice(&[
        ("inspect_4343", &["inspect", "4343"] as &[&str]),
        ("fds_4343", &["fds", "4343"]),
    ]);
    snapshot_cases("hostile", &cases);
}

#[test]
fn maps_tree() {
    snapshot_cases(
        "maps",
        &[
            ("maps", &["maps", "4444"]),
            (
                "maps_by_rss",
                &["maps", "4444", "--sort", "rss", "--top", "5"],
            ),
            (
                "maps_by_swap",
                &["maps", "4444", "--sort", "swap", "--top", "3"],
            ),
        ],
    );
}

#[test]
fn demo_list_and_usage_errors() {
    let root = fixture("v1-basic");
    let cases: &[(&str, &[&str])] = &[
        ("demo_list", &["demo"]),
        ("bad_interval", &["watch", "1", "--interval", "1ns"]),
        ("bad_sample", &["doctor", "--sample", "2d"]),
        (
            "short_watch",
            &["watch", "1", "--interval", "1s", "--duration", "1s"],
        ),
        ("bad_limit", &["top", "--once", "--limit", "0"]),
        ("bad_sort", &["top", "--once", "--sort", "colour"]),
        ("bad_metric", &["watch", "1", "--metrics", "rss,heat"]),
    ];
    for (name, args) in cases {
        insta::assert_snapshot!(format!("misc__{name}"), transcript(&root, args));
    }
}

/// `watch` output with what follows the clock taken out: only the first
/// sample line is kept (all samples of a static tree are equal), and the
/// elapsed time and sample count of the verdict line are replaced.
fn normalize_watch(text: &str) -> String {
    let mut out = String::new();
    let mut seen_sample = false;
    for line in text.lines() {
        let is_sample = line.starts_with("t=") || line.contains("\"type\":\"sample\"");
        if is_sample {
            if seen_sample {
                continue;
            }
            seen_sample = true;
        }
        let line = if let Some(rest) = line.strip_prefix("t=") {
            // "t=0.00s rss=...": the first sample's time follows the clock too.
            let tail = rest.split_once(' ').map_or("", |(_, t)| t);
            format!("t=[T] {tail}")
        } else if line.contains("\"type\":\"sample\"") {
            redact_json_number(line, "t")
        } else if let Some(rest) = line.strip_prefix("Verdict after ") {
            // "Verdict after 0s, 16 samples (duration reached)"
            let tail = rest.split_once(" samples").map_or("", |(_, t)| t);
            format!("Verdict after [T], [N] samples{tail}")
        } else if line.contains("\"type\":\"verdict\"") {
            redact_json_number(&redact_json_number(line, "duration_s"), "samples")
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `"key":NUMBER` -> `"key":"[redacted]"` in one JSON line.
fn redact_json_number(line: &str, key: &str) -> String {
    let needle = format!("\"{key}\":");
    let Some(at) = line.find(&needle) else {
        return line.to_string();
    };
    let start = at + needle.len();
    let end = line[start..]
        .find([',', '}'])
        .map_or(line.len(), |e| start + e);
    format!("{}\"[redacted]\"{}", &line[..start], &line[end..])
}

/// `watch` on a copy of the v1 tree with a `statm` (the tree was captured
/// without one): a flat series of the cheap metrics, judged healthy, in
/// both forms.
#[test]
fn watch_on_a_static_tree() {
    let tmp = fixture_copy("v1-basic");
    std::fs::write(
        tmp.path().join("proc/4242/statm"),
        "6000 3000 1000 1 0 2000 0\n",
    )
    .unwrap();
    for (name, json) in [("watch", false), ("watch__json", true)] {
        // The cheap metrics only: the expensive ones (sockets, close_wait)
        // are re-read at a pace set by their cost, so how many fresh
        // samples they get in a short run follows the machine's load.
        let mut args = vec![
            "watch",
            "4242",
            "--metrics",
            "rss,fds,threads",
            "--interval",
            "20ms",
            "--duration",
            "1s",
        ];
        if json {
            args.push("--json");
        }
        let text = transcript(tmp.path(), &args);
        insta::assert_snapshot!(format!("v1-basic__{name}"), normalize_watch(&text));
    }
}
