//! `fds` shows each socket's protocol, endpoints and state (as lsof does),
//! checked against what live children report of their own sockets
//! (getsockname, getpeername); `net` shows a TCP listener's accept queue
//! and backlog; `sockets.accept_queue_full` fires in `inspect` and
//! `doctor` for a listener that never accepts, not for one that does.
//! Children run in a memory cgroup of their own, on 127.0.0.1 only.

use std::time::Duration;

use serde_json::Value;

use crate::common::{
    self, MemCgroupV1, TempDir, expected_code, json, proctor_cmd, python_helper_in, ready_numbers,
    run_bounded, temp_str, wait_until,
};

fn run_json(args: &[&str]) -> (std::process::Output, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let out = run_bounded(&mut proctor_cmd(&all));
    let v = json(&out);
    (out, v)
}

fn row(v: &Value, fd: i64) -> &Value {
    v["fds"]
        .as_array()
        .expect("fds rows")
        .iter()
        .find(|r| r["fd"] == fd)
        .unwrap_or_else(|| panic!("no row for fd {fd}: {v}"))
}

/// How proctor's JSON spells bytes from /proc: valid UTF-8 as is, every
/// invalid byte as the four characters `\xNN`.
fn json_text(b: &[u8]) -> String {
    let mut s = String::new();
    for chunk in b.utf8_chunks() {
        s.push_str(chunk.valid());
        for byte in chunk.invalid() {
            s.push_str(&format!("\\x{byte:02x}"));
        }
    }
    s
}

/// A unix path's bytes from the child's hex.
fn unix_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn fds_sockets_match_what_the_child_says() {
    let Some(cg) = MemCgroupV1::own("fds-sockets") else {
        return;
    };
    let tmp = TempDir::new("fds-sockets");
    let (child, line) = python_helper_in(&cg, "fds_sockets.py", &[temp_str(&tmp)]);
    let pid = child.pid().to_string();
    let said: Value = serde_json::from_str(line.strip_prefix("READY ").expect("READY"))
        .expect("the child's JSON");
    let fd = |name: &str| said[name]["fd"].as_i64().expect("fd");
    let s = |name: &str, k: &str| said[name][k].as_str().unwrap_or("").to_string();

    let (out, v) = run_json(&["fds", &pid]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    // TCP: the listener, both ends of the connection, exactly.
    for name in ["tcp_listen", "tcp_client", "tcp_server"] {
        let d = &row(&v, fd(name))["socket"];
        assert_eq!(d["lookup"], "found", "{name}: {d}");
        assert_eq!(d["proto"], "tcp", "{name}: {d}");
        assert_eq!(d["local"], s(name, "local"), "{name}: {d}");
    }
    let l = &row(&v, fd("tcp_listen"))["socket"];
    assert_eq!(l["state"], "LISTEN");
    assert!(l["remote"].is_null(), "{l}");
    assert_eq!(l["backlog"], 16, "the backlog the child passed: {l}");
    for name in ["tcp_client", "tcp_server"] {
        let d = &row(&v, fd(name))["socket"];
        assert_eq!(d["state"], "ESTABLISHED", "{name}: {d}");
        assert_eq!(d["remote"], s(name, "remote"), "{name}: {d}");
    }
    // UDP: bound, and connected (a remote, state ESTABLISHED).
    let u = &row(&v, fd("udp"))["socket"];
    assert_eq!(
        (&u["proto"], &u["local"]),
        (&"udp".into(), &s("udp", "local").into())
    );
    assert_eq!(u["state"], "UNCONN");
    assert!(u["remote"].is_null(), "{u}");
    let uc = &row(&v, fd("udp_conn"))["socket"];
    assert_eq!(uc["local"], s("udp_conn", "local"));
    assert_eq!(uc["remote"], s("udp_conn", "remote"));
    // unix: the hostile name exactly (JSON text of its bytes), the pair
    // each other's peer.
    let ul = &row(&v, fd("unix_listen"))["socket"];
    assert_eq!(ul["proto"], "unix");
    assert_eq!(ul["state"], "LISTEN");
    assert_eq!(
        ul["local"],
        json_text(&unix_bytes(&s("unix_listen", "local"))),
        "the hostile unix name, exactly: {ul}"
    );
    let (a, b) = (fd("unix_a"), fd("unix_b"));
    assert_eq!(row(&v, a)["socket"]["peer_fd"], b, "{}", row(&v, a));
    assert_eq!(row(&v, b)["socket"]["peer_fd"], a, "{}", row(&v, b));

    // The human view: lsof's words, the name escaped, no raw control byte.
    let out = run_bounded(&mut proctor_cmd(["fds", &pid]));
    let text = common::stdout(&out);
    assert!(!out.stdout.contains(&0x1b), "raw ESC in:\n{text}");
    let line_of = |fd: i64| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{fd} ")))
            .unwrap_or_else(|| panic!("no line for fd {fd}:\n{text}"))
            .to_string()
    };
    assert!(
        line_of(fd("tcp_listen")).ends_with(&format!("TCP {} (LISTEN)", s("tcp_listen", "local"))),
        "{text}"
    );
    assert!(
        line_of(fd("tcp_client")).ends_with(&format!(
            "TCP {}->{} (ESTABLISHED)",
            s("tcp_client", "local"),
            s("tcp_client", "remote")
        )),
        "{text}"
    );
    assert!(
        line_of(fd("udp")).ends_with(&format!("UDP {}", s("udp", "local"))),
        "{text}"
    );
    let ul = line_of(fd("unix_listen"));
    assert!(
        ul.ends_with("u\\e[31m\\n\\xff.sock (LISTEN)") && ul.contains("UNIX /"),
        "{ul}"
    );
    assert!(
        line_of(a).ends_with(&format!("UNIX (unnamed) peer fd {b}")),
        "{text}"
    );
    drop(child);
}

/// The listener's accept queue as `net --json` shows it.
fn listener(pid: &str, port: i64) -> Value {
    let (_, v) = run_json(&["net", pid, "--listening"]);
    v["sockets"]
        .as_array()
        .expect("sockets")
        .iter()
        .find(|r| r["state"] == "LISTEN" && r["local"] == format!("127.0.0.1:{port}"))
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn a_listener_that_never_accepts_fills_its_queue_and_is_found() {
    let _heavy = common::heavy();
    let Some(cg) = MemCgroupV1::own("accept-queue") else {
        return;
    };
    let tmp = TempDir::new("accept-queue");
    // Backlog 4, 7 clients: the kernel queues backlog + 1 = 5 (its queue
    // is "full" past the backlog) and drops the other SYNs.
    let (full, line) = python_helper_in(
        &cg,
        "fds_sockets.py",
        &[temp_str(&tmp), "queue", "4", "7", "hold"],
    );
    let port = ready_numbers(&line, 1)[0];
    let pid = full.pid().to_string();
    let mut last = Value::Null;
    wait_until(
        "5 connections in the accept queue",
        Duration::from_secs(30),
        || {
            last = listener(&pid, port);
            last["rx_queue"] == 5
        },
    );
    assert_eq!(last["backlog"], 4, "the backlog the child passed: {last}");
    let out = run_bounded(&mut proctor_cmd(["net", &pid, "--listening"]));
    let text = common::stdout(&out);
    let l = text
        .lines()
        .find(|l| l.contains(&format!("127.0.0.1:{port}")) && l.contains("LISTEN"))
        .unwrap_or_else(|| panic!("no listener line:\n{text}"));
    let cols: Vec<&str> = l.split_whitespace().collect();
    assert_eq!(
        &cols[5..7],
        &["5", "4"],
        "RECV-Q accept queue, SEND-Q backlog: {l}"
    );
    assert!(text.contains("SEND-Q the backlog"), "{text}");

    // The finding, in inspect...
    let (out, v) = run_json(&["inspect", &pid]);
    assert_eq!(out.status.code(), Some(1), "{}", v["findings"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "sockets.accept_queue_full")
        .unwrap_or_else(|| panic!("no accept queue finding: {}", v["findings"]))
        .clone();
    assert_eq!(f["severity"], "critical", "{f}");
    let e = &f["evidence"];
    assert_eq!(e["listener"], format!("127.0.0.1:{port}"), "{f}");
    assert_eq!(
        (&e["accept_queue"], &e["backlog"]),
        (&5.into(), &4.into()),
        "{f}"
    );
    assert_eq!(e["full"], true, "{f}");
    assert!(e["listen_overflows"].as_u64().is_some_and(|n| n > 0), "{f}");
    assert_eq!(f["next"], format!("proctor net {pid} --listening"));
    assert!(f["message"].as_str().unwrap().contains("accept()"), "{f}");

    // ...and in doctor, on that PID.
    let out = run_bounded(&mut proctor_cmd(["doctor", "--json"]));
    let d = json(&out);
    assert_eq!(out.status.code(), Some(expected_code(&d)));
    let mine: Vec<&Value> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "sockets.accept_queue_full" && f["pid"] == full.pid())
        .collect();
    assert_eq!(mine.len(), 1, "{}", d["findings"]);
    assert_eq!(mine[0]["evidence"]["accept_queue"], 5, "{}", mine[0]);
    drop(full);

    // A listener that accepts: its queue drains, nothing is found.
    let (ok, line) = python_helper_in(
        &cg,
        "fds_sockets.py",
        &[temp_str(&tmp), "queue", "4", "7", "accept"],
    );
    let port = ready_numbers(&line, 1)[0];
    let pid = ok.pid().to_string();
    wait_until(
        "the accepting listener's queue empty",
        Duration::from_secs(30),
        || listener(&pid, port)["rx_queue"] == 0,
    );
    let (_, v) = run_json(&["inspect", &pid]);
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "sockets.accept_queue_full"),
        "{}",
        v["findings"]
    );
    drop(ok);
}
