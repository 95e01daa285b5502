//! `proctor who`: live subjects in memory cgroups of their own. A listener,
//! a UDP socket and a connected pair in the host's network namespace and a
//! listener on the same port in a namespace made with `unshare -n` (both
//! found by `who :PORT`, the second with its namespace's inode); deleted
//! files with known sizes (sizes, holders, grouping, and `fds.deleted_open`
//! only when the space held matters); files and directories held (fd and
//! cwd), a hostile file name escaped; nothing matched (exit 1) and bad
//! arguments (exit 2, one line and a hint).

use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};

use crate::common::{self, MemCgroupV1, TempDir};

/// Sockets of a `who --json` answer.
fn sockets(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["sockets"].as_array().cloned().unwrap_or_default()
}

fn holder_pids(s: &serde_json::Value) -> Vec<i64> {
    s["holders"]
        .as_array()
        .map(|h| h.iter().filter_map(|x| x["pid"].as_i64()).collect())
        .unwrap_or_default()
}

fn ns_inode(pid: i32) -> u64 {
    let l = std::fs::read_link(format!("/proc/{pid}/ns/net")).expect("ns link");
    let s = l.to_string_lossy();
    s.trim_start_matches("net:[")
        .trim_end_matches(']')
        .parse()
        .expect("ns inode")
}

#[test]
fn a_port_in_the_host_and_in_another_network_namespace() {
    let Some(cg) = MemCgroupV1::own("who-net") else {
        return;
    };
    if !common::require(
        "unshare and ip",
        common::which("unshare").is_some() && common::which("ip").is_some(),
    ) {
        return;
    }
    let (host, ready) = common::python_helper_in(&cg, "who_child.py", &["net", "0"]);
    let n = common::ready_numbers(&ready, 2);
    let (port, client) = (n[0] as u16, n[1] as u16);
    // The same port in a namespace of its own: no clash with the host's.
    let script = format!(
        "echo $$ > '{}' && exec unshare -n sh -c 'ip link set lo up && exec \"$0\" \"$@\"' '{}' '{}' net {port}",
        cg.procs().display(),
        common::real_python().display(),
        common::helper_path("who_child.py").display(),
    );
    let (inner, ready2) = common::spawn_ready(
        Command::new("sh")
            .args(["-c", &script])
            .stderr(Stdio::null()),
    );
    assert!(ready2.starts_with(&format!("READY {port} ")), "{ready2}");
    let inner_ns = ns_inode(inner.pid());
    assert_ne!(inner_ns, ns_inode(std::process::id() as i32));

    let out = common::proctor(&["who", &format!(":{port}"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let v = common::json(&out);
    let socks = sockets(&v);
    let listeners: Vec<&serde_json::Value> = socks
        .iter()
        .filter(|s| s["state"] == "LISTEN" && s["proto"] == "tcp")
        .collect();
    assert_eq!(listeners.len(), 2, "{socks:#?}");
    let on_host = listeners
        .iter()
        .find(|s| s["netns_host"] == true)
        .expect("host listener");
    assert_eq!(on_host["local"], format!("127.0.0.1:{port}"));
    assert_eq!(on_host["matched"], "local");
    assert_eq!(holder_pids(on_host), [i64::from(host.pid())]);
    assert_eq!(on_host["holders"][0]["name"], "python3");
    assert_eq!(on_host["holders"][0]["access"], "fd");
    let in_ns = listeners
        .iter()
        .find(|s| s["netns_host"] == false)
        .expect("netns listener");
    assert_eq!(in_ns["netns"].as_u64(), Some(inner_ns));
    assert_eq!(holder_pids(in_ns), [i64::from(inner.pid())]);
    // Each listener's backlog, as the helper passed it to listen(8), read
    // through its own namespace (the text tables do not show it).
    assert_eq!(on_host["backlog"].as_u64(), Some(8), "{on_host:#}");
    assert_eq!(in_ns["backlog"].as_u64(), Some(8), "{in_ns:#}");
    // The workload of each holder is its cgroup.
    assert_eq!(on_host["holders"][0]["workload"]["cgroup"], cg.name());
    // The UDP socket, and both ends of the connected pair (each held by
    // the helper), one matched on its remote side.
    let udp = socks.iter().find(|s| s["proto"] == "udp").expect("udp");
    assert_eq!(
        (udp["state"].as_str(), udp["listening"].as_bool()),
        (Some("UNCONN"), Some(true))
    );
    assert!(
        udp.get("backlog").is_none(),
        "a backlog is a TCP listener's: {udp:#}"
    );
    let est: Vec<&serde_json::Value> = socks
        .iter()
        .filter(|s| s["state"] == "ESTABLISHED" && s["netns_host"] == true)
        .collect();
    assert_eq!(est.len(), 2, "{socks:#?}");
    let client_end = est
        .iter()
        .find(|s| s["matched"] == "remote")
        .expect("client end");
    assert_eq!(client_end["local"], format!("127.0.0.1:{client}"));
    assert_eq!(holder_pids(client_end), [i64::from(host.pid())]);
    let server_end = est
        .iter()
        .find(|s| s["matched"] == "local")
        .expect("server end");
    assert_eq!(server_end["remote"], format!("127.0.0.1:{client}"));
    assert!(server_end.get("backlog").is_none(), "{server_end:#}");
    // Different descriptors of the one helper.
    assert_ne!(
        client_end["holders"][0]["fd"],
        server_end["holders"][0]["fd"]
    );

    // udp: only the UDP socket.
    let out = common::proctor(&["who", &format!("udp:{port}"), "--json"]);
    let socks = sockets(&common::json(&out));
    assert!(
        !socks.is_empty() && socks.iter().all(|s| s["proto"] == "udp"),
        "{socks:#?}"
    );

    // The human table names the namespace and the holders.
    let out = common::proctor(&["who", &format!("tcp:127.0.0.1:{port}")]);
    let text = common::stdout(&out);
    assert!(text.contains(&inner_ns.to_string()), "{text}");
    assert!(text.contains(" host "), "{text}");
    assert!(text.contains(&format!(" {} ", host.pid())), "{text}");
    // SEND-Q of a listener is its backlog, as `ss -lt` shows it.
    let listen_line = text
        .lines()
        .find(|l| l.contains(" LISTEN ") && l.contains(" host "))
        .unwrap_or_else(|| panic!("no host listener line: {text}"));
    let cols: Vec<&str> = listen_line.split_whitespace().collect();
    assert_eq!(cols.get(6), Some(&"8"), "SEND-Q column of {listen_line:?}");
    drop(inner);
    drop(host);
}

#[test]
fn deleted_files_with_their_sizes_and_the_finding_only_when_it_matters() {
    let Some(cg) = MemCgroupV1::own("who-del") else {
        return;
    };
    let dir = TempDir::new("who-del");
    let d = common::temp_str(&dir);
    let (small, _) = common::python_helper_in(
        &cg,
        "who_child.py",
        &["deleted", d, "3", "three-mib", "empty"],
    );
    let out = common::proctor(&["who", "--deleted", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let v = common::json(&out);
    let files = v["files"].as_array().expect("files").clone();
    let of = |name: &str| {
        files
            .iter()
            .find(|f| f["path"] == format!("{d}/{name}"))
            .cloned()
            .unwrap_or_else(|| panic!("{name} not listed: {files:#?}"))
    };
    let three = of("three-mib");
    assert_eq!(three["size"].as_u64(), Some(3 << 20));
    assert_eq!(holder_pids(&three), [i64::from(small.pid())]);
    assert_eq!(of("empty")["size"].as_u64(), Some(0));
    // Largest first.
    let sizes: Vec<u64> = files.iter().filter_map(|f| f["size"].as_u64()).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    // 3 MiB and an empty file: no finding.
    let out = common::proctor(&["inspect", &small.pid().to_string(), "--json"]);
    let v = common::json(&out);
    assert_eq!(v["fds"]["deleted"].as_u64(), Some(2));
    assert_eq!(v["fds"]["deleted_space"]["bytes"].as_u64(), Some(3 << 20));
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(!ids.contains(&"fds.deleted_open"), "{ids:?}");

    // A deleted file only mapped (no descriptor: lsof's DEL) holds its
    // space too, and is listed with `mem`; a file literally named
    // `x (deleted)` that exists is not a deleted file.
    let (mapper, _) = common::python_helper_in(
        &cg,
        "who_child.py",
        &["mapped", d, "2", "mapped-only", "x (deleted)"],
    );
    let out = common::proctor(&["who", "--deleted", "--json"]);
    let v = common::json(&out);
    let files = v["files"].as_array().expect("files").clone();
    let m = files
        .iter()
        .find(|f| f["path"] == format!("{d}/mapped-only"))
        .unwrap_or_else(|| panic!("the mapped file not listed: {files:#?}"));
    assert_eq!(m["size"].as_u64(), Some(2 << 20), "{m:#}");
    assert_eq!(holder_pids(m), [i64::from(mapper.pid())]);
    assert_eq!(
        (
            m["holders"][0]["access"].as_str(),
            m["holders"][0]["fd"].as_i64()
        ),
        (Some("mem"), None),
        "{m:#}"
    );
    assert!(
        !files.iter().any(|f| f["path"]
            .as_str()
            .is_some_and(|p| p.contains("x (deleted)") || p.ends_with("/x"))),
        "a file that exists is not deleted: {files:#?}"
    );
    let text = common::stdout(&common::proctor(&["who", "--deleted"]));
    let line = text
        .lines()
        .find(|l| l.contains("mapped-only"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(" mem ") && line.contains("2.00 MiB"),
        "{line}"
    );
    drop(mapper);

    // 65 MiB: the finding, with the size and the next command.
    let (big, _) = common::python_helper_in(&cg, "who_child.py", &["deleted", d, "65", "big"]);
    let out = common::proctor(&["inspect", &big.pid().to_string(), "--json"]);
    let v = common::json(&out);
    let f = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["id"] == "fds.deleted_open").cloned())
        .expect("fds.deleted_open");
    assert_eq!(f["evidence"]["bytes"].as_u64(), Some(65 << 20));
    assert_eq!(f["next"], "proctor who --deleted");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("65.0 MiB"),
        "{f}"
    );
    let out = common::proctor(&["who", "--deleted"]);
    let text = common::stdout(&out);
    assert!(text.contains("65.0 MiB"), "{text}");
    assert!(text.contains(&format!("{d}/big")), "{text}");
    drop(big);
    drop(small);
}

#[test]
fn files_and_directories_held_and_a_hostile_name_escaped() {
    let Some(cg) = MemCgroupV1::own("who-path") else {
        return;
    };
    let dir = TempDir::new("who-path");
    let d = common::temp_str(&dir);
    let hostile: &[u8] = b"evil\n\x1b[31mred";
    let hex = |b: &[u8]| b.iter().map(|c| format!("{c:02x}")).collect::<String>();
    let (h, _) = common::python_helper_in(
        &cg,
        "who_child.py",
        &["hold", d, &hex(b"plain.log"), &hex(hostile)],
    );
    let pid = i64::from(h.pid());
    // The file itself: one descriptor.
    let out = common::proctor(&["who", &format!("{d}/plain.log"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let v = common::json(&out);
    let hits = v["hits"].as_array().expect("hits").clone();
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(
        (hits[0]["pid"].as_i64(), hits[0]["access"].as_str()),
        (Some(pid), Some("fd"))
    );
    // The directory: its cwd and both descriptors.
    let out = common::proctor(&["who", d, "--json"]);
    let v = common::json(&out);
    let mine: Vec<serde_json::Value> = v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter(|x| x["pid"].as_i64() == Some(pid))
        .cloned()
        .collect();
    let access: Vec<&str> = mine.iter().filter_map(|x| x["access"].as_str()).collect();
    assert_eq!(
        access.iter().filter(|a| **a == "fd").count(),
        2,
        "{mine:#?}"
    );
    assert!(access.contains(&"cwd"), "{mine:#?}");
    // JSON keeps the name (escaped as JSON), text escapes it.
    let raw = String::from_utf8_lossy(&[d.as_bytes(), b"/", hostile].concat()).into_owned();
    assert!(mine.iter().any(|x| x["path"] == raw.as_str()), "{mine:#?}");
    let out = common::proctor(&["who", d]);
    assert!(!out.stdout.contains(&0x1b), "raw ESC in the output");
    let text = common::stdout(&out);
    assert!(text.contains("evil\\n\\e[31mred"), "{text}");
    // --mount: the helper is on the mount holding the directory.
    let out = common::proctor(&["who", "--mount", d, "--json"]);
    let v = common::json(&out);
    assert!(
        v["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .any(|x| x["pid"].as_i64() == Some(pid)),
        "helper not found on its mount"
    );
    assert!(v["mount"].is_string());
    drop(h);
    let _ = std::fs::remove_file(std::path::Path::new(std::ffi::OsStr::from_bytes(
        &[d.as_bytes(), b"/", hostile].concat(),
    )));
}

#[test]
fn nothing_matched_is_exit_1() {
    // A port nobody uses: bound, then closed (no connection: no TIME_WAIT).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let out = common::proctor(&["who", &format!("tcp:{port}")]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).contains("no socket on port"),
        "{}",
        common::stdout(&out)
    );
    let v = common::json(&common::proctor(&["who", &format!("tcp:{port}"), "--json"]));
    assert_eq!(v["sockets"].as_array().map(Vec::len), Some(0));
}

#[test]
fn bad_arguments_are_exit_2_with_a_hint() {
    for (args, needle) in [
        (&["who", ":99999"][..], "port '99999' is out of range"),
        (&["who", "udp:abc"][..], "'abc' is not a port number"),
        (&["who", "[zz]:80"][..], "'zz' is not an IP address"),
        (
            &["who", "no/such/relative/path"][..],
            "cannot look up no/such/relative/path",
        ),
        (&["who", "8080"][..], "cannot look up 8080"),
        (&["who", "--mount", ":80"][..], "--mount needs a path"),
    ] {
        let out = common::proctor(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = common::stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {err}");
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(needle),
            "{args:?}: {err}"
        );
        assert!(lines[1].starts_with("hint: "), "{args:?}: {err}");
    }
    // A bare number is a path: the hint says how to write a port.
    let err = common::stderr(&common::proctor(&["who", "8080"]));
    assert!(err.contains("write :8080"), "{err}");
}

/// As nobody, `who --deleted` cannot read root's processes: each is one
/// process in the gap, however many of its files (descriptors, maps)
/// were refused.
#[test]
fn refused_processes_count_once_in_the_gap() {
    let Some(nb) = common::Nobody::new() else {
        return;
    };
    let out = nb.run(&["who", "--deleted", "--json"]);
    let procs = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter(|e| {
            e.as_ref().is_ok_and(|e| {
                e.file_name()
                    .to_string_lossy()
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            })
        })
        .count();
    let v = common::json(&out);
    let denied = v["incomplete"]
        .as_array()
        .and_then(|g| g.iter().find(|x| x["reason"] == "fds_denied"))
        .and_then(|x| x["count"].as_u64())
        .unwrap_or_else(|| panic!("root's processes are refused to nobody: {v:#}"));
    // Processes come and go meanwhile: a margin, far under twice the count.
    assert!(
        denied >= 1 && denied as usize <= procs + 10,
        "{denied} refused of {procs} processes: {v:#}"
    );
}
