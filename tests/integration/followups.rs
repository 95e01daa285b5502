//! Follow-ups of issue 9 (items 5 and 1): values that do not parse are
//! unknown (`?`, null, `parse_error` in `unavailable`), never 0 or absent:
//! per-mapping smaps values and their totals, smaps_rollup, host files
//! (meminfo, PSI, file-nr) in doctor and top's header, a start time out of
//! range; and "at least 1 variable" in the singular.

use std::path::Path;

use serde_json::Value;

use crate::common::{fixture_copy, json, proctor_at, replace_in_file, stderr, stdout};

/// Set `key`'s value in the smaps block whose header line contains
/// `header` (the first such block), rewriting the file in place.
fn set_in_block(path: &Path, header: &str, key: &str, value: &str) {
    let text = std::fs::read_to_string(path).expect("read smaps");
    let mut in_block = false;
    let mut done = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let is_header = l.split_whitespace().next().is_some_and(|f| {
                f.contains('-') && f.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            });
            if is_header {
                in_block = !done && l.contains(header);
            } else if in_block && l.starts_with(&format!("{key}:")) {
                done = true;
                return format!("{key}:                {value}");
            }
            l.to_string()
        })
        .collect();
    assert!(done, "no {key} in a block {header} of {}", path.display());
    std::fs::write(path, lines.join("\n") + "\n").expect("write smaps");
}

fn unavailable<'a>(v: &'a Value, section: &str) -> Vec<&'a Value> {
    v["unavailable"]
        .as_array()
        .unwrap_or_else(|| panic!("no unavailable list: {v}"))
        .iter()
        .filter(|u| u["section"] == section)
        .collect()
}

fn heap_row(v: &Value) -> &Value {
    v["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == "[heap]")
        .unwrap_or_else(|| panic!("no heap row: {v}"))
}

/// `Rss: abc kB`, `Pss: -5 kB` and a Swap past u64 once in bytes were read
/// as 0 (`kb_value`): the maps view showed and summed 0. They are unknown:
/// null in JSON, `?` in the table, listed as parse_error, and the totals
/// that include them are null with a lower bound ("at least"/">=").
#[test]
fn maps_values_that_do_not_parse_are_unknown_not_zero() {
    let t = fixture_copy("maps");
    let smaps = t.path().join("proc/4444/smaps");
    set_in_block(&smaps, "[heap]", "Rss", "abc kB");
    set_in_block(&smaps, "[heap]", "Pss", "-5 kB");
    set_in_block(&smaps, "[heap]", "Swap", "18014398509481984 kB");
    let o = proctor_at(t.path(), &["maps", "4444", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let heap = heap_row(&v);
    for k in ["rss_bytes", "pss_bytes", "swap_bytes"] {
        assert_eq!(heap[k], Value::Null, "{k}: {heap}");
    }
    assert_eq!(heap["size_bytes"], 1744 * 1024, "{heap}");
    let u = unavailable(&v, "smaps");
    assert_eq!(u.len(), 1, "{v}");
    assert_eq!(u[0]["reason"], "parse_error");
    let detail = u[0]["detail"].as_str().unwrap();
    for what in ["rss of 1 mapping", "pss of 1 mapping", "swap of 1 mapping"] {
        assert!(detail.contains(what), "{detail}");
    }
    // The heap's kind: its totals are unknown, with the known part as a
    // lower bound (the heap is the only mapping of its kind: 0).
    let heap_kind = &v["by_kind"]["heap"];
    assert_eq!(heap_kind["rss_bytes"], Value::Null, "{heap_kind}");
    assert_eq!(heap_kind["unknown_values"]["rss"], 1, "{heap_kind}");
    assert_eq!(heap_kind["at_least_bytes"]["rss"], 0, "{heap_kind}");
    assert_eq!(heap_kind["size_bytes"], 1744 * 1024, "{heap_kind}");
    // The whole-process totals come from the (valid) rollup: exact.
    assert_eq!(v["total_source"], "smaps_rollup");
    assert_eq!(v["total"]["rss_bytes"], 15396 * 1024, "{}", v["total"]);
    // Sorted by RSS, the unknown row comes last, not as 0 among the zeros.
    let o = proctor_at(t.path(), &["maps", "4444", "--json", "--sort", "rss"]);
    let rows = json(&o)["mappings"].as_array().unwrap().clone();
    assert_eq!(rows.last().unwrap()["path"], "[heap]");

    let o = proctor_at(t.path(), &["maps", "4444"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let row = out
        .lines()
        .find(|l| l.ends_with("[heap]") && l.contains("rw-p"))
        .unwrap_or_else(|| panic!("no heap row: {out}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    // ADDRESS PERM SIZE RSS PSS SWAP ANON MAPPING
    assert_eq!(&cells[2..6], ["1744K", "?", "?", "?"], "{row}");
    assert!(out.contains("smaps parse_error: "), "{out}");
    let kind = out
        .lines()
        .find(|l| l.trim_start().starts_with("heap "))
        .unwrap_or_else(|| panic!("no heap kind row: {out}"));
    assert!(kind.contains(">=0B") || kind.contains(">=0"), "{kind}");
}

/// A rollup value that does not parse made the whole rollup an error that
/// `maps` dropped silently; now the valid values stay exact, the invalid
/// one is summed from the mappings (unknown if they are) and listed.
#[test]
fn an_invalid_rollup_value_is_listed_and_the_total_says_at_least() {
    let t = fixture_copy("maps");
    let p = t.path().join("proc/4444");
    replace_in_file(
        &p.join("smaps_rollup"),
        "Rss:               15396 kB",
        "Rss:               x kB",
    );
    set_in_block(&p.join("smaps"), "[heap]", "Rss", "abc kB");
    let o = proctor_at(t.path(), &["maps", "4444", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let r = unavailable(&v, "smaps_rollup");
    assert_eq!(r.len(), 1, "{v}");
    assert_eq!(r[0]["reason"], "parse_error");
    assert!(r[0]["detail"].as_str().unwrap().contains("Rss"), "{}", r[0]);
    assert_eq!(v["total"]["rss_bytes"], Value::Null, "{}", v["total"]);
    assert!(v["total"]["at_least_bytes"]["rss"].as_u64().unwrap() > 0);
    assert_eq!(v["total"]["pss_bytes"], 14127 * 1024, "{}", v["total"]);
    let out = stdout(&proctor_at(t.path(), &["maps", "4444"]));
    let total = out
        .lines()
        .find(|l| l.trim_start().starts_with("total"))
        .unwrap();
    assert!(total.contains("rss at least "), "{total}");
}

/// inspect: a Pss line missing from a readable rollup was a silent null.
#[test]
fn inspect_without_a_pss_line_says_why() {
    let t = fixture_copy("v1-basic");
    let p = t.path().join("proc/4242/smaps_rollup");
    replace_in_file(&p, "Pss:               42532 kB", "Pss_Nothing:       1 kB");
    let v = json(&proctor_at(t.path(), &["inspect", "4242", "--json"]));
    assert_eq!(v["memory"]["pss_bytes"], Value::Null);
    let u = unavailable(&v, "smaps_rollup");
    assert_eq!(u.len(), 1, "{v}");
    assert_eq!(u[0]["reason"], "parse_error");
    assert_eq!(u[0]["detail"], "no Pss line in smaps_rollup");
}

fn doctor_reasons(v: &Value) -> Vec<Value> {
    v["incomplete"]["reasons"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `MemAvailable: abc kB` was a silent None: doctor said nothing of the
/// memory rule that did not run. It is a parse error that makes doctor's
/// result incomplete, and `?` in the host line.
#[test]
fn doctor_with_an_invalid_meminfo_is_incomplete() {
    let t = fixture_copy("v1-basic");
    let p = t.path().join("proc");
    replace_in_file(
        &p.join("meminfo"),
        "MemAvailable:   24315648 kB",
        "MemAvailable:   abc kB",
    );
    replace_in_file(
        &p.join("meminfo"),
        "SwapFree:              0 kB",
        "SwapFree:              -5 kB",
    );
    let o = proctor_at(t.path(), &["doctor", "--json"]);
    let v = json(&o);
    assert!(!v["incomplete"].is_null(), "{v}");
    let reasons = doctor_reasons(&v);
    let r = reasons
        .iter()
        .find(|r| r["kind"] == "checks_not_run" && r["section"] == "meminfo")
        .unwrap_or_else(|| panic!("no meminfo reason: {v}"));
    assert_eq!(r["reason"], "parse_error");
    assert_eq!(
        r["checks"],
        serde_json::json!(["host.mem_available_low", "host.swap_in_use"])
    );
    assert_eq!(v["host"]["mem_available_bytes"], Value::Null);
    // Exit 3 when nothing else is wrong, 1 when a problem was found: never 0.
    let want = if crate::common::expected_code(&v) == 1 {
        1
    } else {
        3
    };
    assert_eq!(o.status.code(), Some(want), "{}", stderr(&o));

    let o = proctor_at(t.path(), &["doctor"]);
    let out = stdout(&o);
    assert!(
        out.contains("host.mem_available_low, host.swap_in_use did not run (meminfo: parse error)"),
        "{out}"
    );
    assert!(out.contains("? available"), "{out}");
    assert!(
        out.contains("host values that could not be parsed (shown as ?): MemAvailable in meminfo, SwapFree in meminfo"),
        "{out}"
    );
}

/// A healthy meminfo adds no reason (the new check is not always on).
#[test]
fn doctor_with_valid_host_files_has_no_host_parse_reason() {
    let t = fixture_copy("v1-basic");
    let v = json(&proctor_at(t.path(), &["doctor", "--json"]));
    assert!(
        !doctor_reasons(&v)
            .iter()
            .any(|r| r["reason"] == "parse_error"),
        "{v}"
    );
}

/// A malformed PSI line and file-nr were dropped silently (the PSI `full`
/// line read as 0% stalled).
#[test]
fn doctor_with_invalid_psi_and_file_nr_is_incomplete() {
    let t = fixture_copy("v1-basic");
    let p = t.path().join("proc");
    std::fs::create_dir(p.join("pressure")).unwrap();
    std::fs::write(
        p.join("pressure/memory"),
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=x avg60=0.00 avg300=0.00 total=1\n",
    )
    .unwrap();
    std::fs::create_dir_all(p.join("sys/fs")).unwrap();
    std::fs::write(p.join("sys/fs/file-nr"), "12\t0\tmany\n").unwrap();
    let v = json(&proctor_at(t.path(), &["doctor", "--json"]));
    let reasons = doctor_reasons(&v);
    for (section, check) in [
        ("pressure/memory", "host.memory_pressure"),
        ("sys/fs/file-nr", "host.file_handles"),
    ] {
        let r = reasons
            .iter()
            .find(|r| r["section"] == section)
            .unwrap_or_else(|| panic!("no {section} reason: {v}"));
        assert_eq!(r["reason"], "parse_error", "{r}");
        assert_eq!(r["checks"], serde_json::json!([check]), "{r}");
    }
}

/// A boot time plus start time out of range (a crafted --proc-root) gave a
/// null start time with nothing in `unavailable`.
#[test]
fn an_out_of_range_start_time_is_listed() {
    let t = fixture_copy("v1-basic");
    let stat = t.path().join("proc/stat");
    let text = std::fs::read_to_string(&stat).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("btime "))
        .unwrap()
        .to_string();
    replace_in_file(&stat, &line, "btime 253402300800");
    let v = json(&proctor_at(t.path(), &["inspect", "4242", "--json"]));
    assert_eq!(v["start_time"], Value::Null);
    let u = unavailable(&v, "start_time");
    assert_eq!(u.len(), 1, "{v}");
    assert_eq!(u[0]["reason"], "parse_error");
    assert!(
        u[0]["detail"].as_str().unwrap().contains("out of range"),
        "{}",
        u[0]
    );
    let out = stdout(&proctor_at(t.path(), &["inspect", "4242"]));
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("Started"))
        .unwrap();
    assert!(row.contains("? unavailable: could not be parsed"), "{row}");
}

/// An environment cut after its first variable: "at least 1 variable".
#[test]
fn a_cut_environment_of_one_variable_is_singular() {
    let t = fixture_copy("v1-basic");
    let environ = t.path().join("proc/4242/environ");
    let mut big = b"BIG=".to_vec();
    big.resize(300 * 1024, b'x');
    std::fs::write(&environ, &big).unwrap();
    let o = proctor_at(t.path(), &["inspect", "4242"]);
    let out = stdout(&o);
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("Variables"))
        .unwrap_or_else(|| panic!("no Variables row: {out}{}", stderr(&o)));
    assert!(row.contains("at least 1 variable ["), "{row}");
}

/// `fds --long`: a position or flags in fdinfo that are not numbers were
/// shown as `-` ("does not apply") with nothing in JSON.
#[test]
fn fdinfo_values_that_do_not_parse_are_unknown() {
    let t = fixture_copy("v1-basic");
    let info = t.path().join("proc/4242/fdinfo/0");
    replace_in_file(&info, "pos:\t0", "pos:\t-5");
    let v = json(&proctor_at(t.path(), &["fds", "4242", "--long", "--json"]));
    let row = v["fds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["fd"] == 0)
        .unwrap_or_else(|| panic!("no fd 0: {v}"));
    assert_eq!(row["pos"], Value::Null, "{row}");
    assert_eq!(
        row["fdinfo_parse_error"], "pos in fdinfo not a valid number",
        "{row}"
    );
    let out = stdout(&proctor_at(t.path(), &["fds", "4242", "--long"]));
    let line = out
        .lines()
        .find(|l| l.split_whitespace().next() == Some("0"))
        .unwrap_or_else(|| panic!("no fd 0 row: {out}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    // FD TYPE MODE POS FLAGS TARGET
    assert_eq!(cells[3], "?", "{line}");
}

fn inspect_json(root: &Path) -> Value {
    json(&proctor_at(root, &["inspect", "4242", "--json"]))
}

/// cgroup v1: a memory.limit_in_bytes that is not a number was read as "no
/// limit at this level" (the ancestors' unlimited then stood); an
/// `oom_kill` line that is not a number as "OOM kills not known".
#[test]
fn cgroup_values_that_do_not_parse_are_parse_errors() {
    let cg = "sys/fs/cgroup/memory/kubepods/burstable/pod1234/abc";
    for (file, from, to) in [
        ("memory.limit_in_bytes", "536870912", "abc"),
        ("memory.oom_control", "oom_kill 2", "oom_kill -2"),
    ] {
        let t = fixture_copy("v1-basic");
        replace_in_file(&t.path().join(cg).join(file), from, to);
        let v = inspect_json(t.path());
        let u = unavailable(&v, "cgroup");
        assert_eq!(u.len(), 1, "{file}: {v}");
        assert_eq!(u[0]["reason"], "parse_error", "{file}: {}", u[0]);
        assert_eq!(v["cgroup"]["memory_limit_bytes"], Value::Null, "{file}");
        assert_eq!(v["cgroup"]["oom_kills"], Value::Null, "{file}");
        assert!(!v["incomplete"].is_null(), "{file}: {v}");
    }
}

/// A tcp line of the process's socket whose queues did not parse was read
/// with 0 queued; now the socket's state is unknown (`?`), the CLOSE_WAIT
/// count is unknown and inspect lists a parse_error.
#[test]
fn a_socket_line_that_does_not_parse_is_unknown() {
    let t = fixture_copy("v1-basic");
    let tcp = t.path().join("proc/4242/net/tcp");
    replace_in_file(
        &tcp,
        "0A 00000000:00000000 00:00000000 00000000     0        0 5507 ",
        "0A zzzzzzzz:00000000 00:00000000 00000000     0        0 5507 ",
    );
    let v = json(&proctor_at(t.path(), &["net", "4242", "--json"]));
    let rows = v["sockets"].as_array().unwrap_or_else(|| panic!("{v}"));
    let row = rows
        .iter()
        .find(|r| r["inode"] == 5507)
        .unwrap_or_else(|| panic!("no 5507: {v}"));
    assert_eq!(row["proto"], "tcp", "{row}");
    assert_eq!(row["state"], "?", "{row}");
    assert_eq!(row["tx_queue"], Value::Null, "{row}");
    let v = inspect_json(t.path());
    let u = unavailable(&v, "sockets");
    assert_eq!(u.len(), 1, "{v}");
    assert_eq!(u[0]["reason"], "parse_error");
    assert_eq!(v["sockets"]["close_wait"], Value::Null, "{}", v["sockets"]);
}

/// A Uid line with one id that does not parse was read by skipping it
/// (`0 abc 0 0 0` as four zeros: root); now the user is a parse error.
#[test]
fn a_uid_line_with_an_invalid_id_is_a_parse_error() {
    let t = fixture_copy("v1-basic");
    let status = t.path().join("proc/4242/status");
    replace_in_file(&status, "Uid:\t0\t0\t0\t0", "Uid:\t0\tabc\t0\t0\t0");
    let v = inspect_json(t.path());
    let u = unavailable(&v, "user");
    assert_eq!(u.len(), 1, "{v}");
    assert_eq!(u[0]["reason"], "parse_error");
    assert_eq!(v["uid"], Value::Null, "{v}");
}

/// A vm.max_map_count that is not a number was dropped silently (the
/// header then showed no ceiling, as if there were none to show).
#[test]
fn an_invalid_max_map_count_is_listed() {
    let t = fixture_copy("maps");
    std::fs::write(t.path().join("proc/sys/vm/max_map_count"), "lots\n").unwrap();
    let v = json(&proctor_at(t.path(), &["maps", "4444", "--json"]));
    assert_eq!(v["max_map_count"], Value::Null);
    let u = unavailable(&v, "max_map_count");
    assert_eq!(u.len(), 1, "{v}");
    assert_eq!(u[0]["reason"], "parse_error");
    // A valid one: no entry.
    let v = json(&proctor_at(
        &crate::common::fixture("maps"),
        &["maps", "4444", "--json"],
    ));
    assert!(v["unavailable"].as_array().unwrap().is_empty(), "{v}");
}

/// `watch` took the memory ceiling from MemTotal with an unchecked `kB *
/// 1024`: a MemTotal past u64 in bytes (a crafted --proc-root) panicked
/// (exit 101, attempt to multiply with overflow).
#[test]
fn watch_with_a_memtotal_past_u64_bytes_does_not_panic() {
    let t = fixture_copy("maps");
    std::fs::write(
        t.path().join("proc/meminfo"),
        "MemTotal:       18014398509481984 kB\nMemAvailable:   1 kB\n",
    )
    .unwrap();
    // The captured tree has no statm, which watch samples.
    std::fs::write(
        t.path().join("proc/4444/statm"),
        "1000 500 100 10 0 200 0\n",
    )
    .unwrap();
    let mut args = crate::common::root_args(t.path()).to_vec();
    args.extend(
        [
            "watch",
            "4444",
            "--duration",
            "1s",
            "--interval",
            "100ms",
            "--json",
        ]
        .map(String::from),
    );
    let o = crate::common::run_bounded(&mut crate::common::proctor_cmd(&args));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_ne!(o.status.code(), Some(101), "{}", stderr(&o));
    assert!(
        matches!(o.status.code(), Some(0 | 1 | 3)),
        "{:?} {}",
        o.status,
        stderr(&o)
    );
    let verdict = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "verdict")
        .unwrap_or_else(|| panic!("no verdict: {}", stdout(&o)));
    assert_eq!(verdict["pid"], 4444, "{verdict}");
}

/// `watch`: statm's resident pages were multiplied by the page size
/// unchecked: a crafted value past u64 bytes panicked (exit 101).
#[test]
fn watch_with_statm_pages_past_u64_bytes_does_not_panic() {
    let t = fixture_copy("maps");
    std::fs::write(
        t.path().join("proc/4444/statm"),
        "1000 18446744073709551615 100 10 0 200 0\n",
    )
    .unwrap();
    let mut args = crate::common::root_args(t.path()).to_vec();
    args.extend(
        [
            "watch",
            "4444",
            "--duration",
            "1s",
            "--interval",
            "100ms",
            "--json",
        ]
        .map(String::from),
    );
    let o = crate::common::run_bounded(&mut crate::common::proctor_cmd(&args));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    let samples: Vec<Value> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "sample")
        .collect();
    assert!(!samples.is_empty(), "{}{}", stdout(&o), stderr(&o));
    // Unknown, never a wrapped or saturated number.
    assert!(
        samples.iter().all(|s| s["rss_bytes"].is_null()),
        "{samples:?}"
    );
}
