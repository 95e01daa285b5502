//! Live differential tests of the resource views (fds, net, env, maps,
//! threads): real children (python helpers from tests/helpers/views_*.py
//! and live_threads.py), inspected through the real /proc, every answer
//! compared with what the test reads from /proc itself.
//!
//! Every child is a [`Reaped`] (killed and reaped on drop), every temp file
//! lives in a [`TempDir`], sockets are on loopback only, loops are bounded,
//! and nothing depends on timing: a value that may move while proctor reads
//! it is read before and after, and the comparison retried (bounded).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{self, Reaped, TempDir, json, proc_text, proctor, python_helper};
use crate::common::{assert_ok, ready_numbers, real_python, spawn_ready, temp_str};
use crate::common::{helper_path, nofile_limits, wait_exec_sleeping};

// ---------------------------------------------------------------- helpers

/// How proctor's JSON spells bytes from /proc: valid UTF-8 as is, every
/// invalid byte as the four characters `\xNN` (the test's own encoder).
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

/// Run proctor; it must exit 0 with nothing on stderr.
fn run_ok(args: &[&str]) -> Output {
    let out = proctor(args);
    assert_ok(&out, &format!("proctor {args:?}"));
    out
}

/// Run proctor with --json; exit 0, no stderr, no raw ESC, one JSON document.
fn view(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = run_ok(&all);
    assert!(!out.stdout.contains(&0x1b), "raw ESC in JSON of {all:?}");
    json(&out)
}

/// Human output: exit 0, no stderr, no raw ESC (stdout is not a terminal,
/// so there is no colour either).
fn human(args: &[&str]) -> String {
    let out = run_ok(args);
    assert!(
        !out.stdout.contains(&0x1b),
        "raw ESC in human output of {args:?}"
    );
    common::stdout(&out)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array: {v}"))
}

/// /proc/PID/fd as the test reads it: fd -> link text.
fn fd_map(pid: i32) -> BTreeMap<i64, Vec<u8>> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/PID/fd")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let fd: i64 = e.file_name().to_str()?.parse().ok()?;
            let link = std::fs::read_link(e.path()).ok()?;
            Some((fd, link.as_os_str().as_bytes().to_vec()))
        })
        .collect()
}

/// Socket inode -> fd, from the `socket:[N]` links of /proc/PID/fd.
fn socket_inodes(pid: i32) -> BTreeMap<u64, i64> {
    fd_map(pid)
        .into_iter()
        .filter_map(|(fd, l)| {
            let inner = l.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
            Some((std::str::from_utf8(inner).ok()?.parse().ok()?, fd))
        })
        .collect()
}

/// The type the kernel's own view gives a descriptor: the link text for
/// sockets, pipes, anon inodes and memfds; for paths, what stat() through
/// /proc/PID/fd/N says (the test may stat; proctor must not).
fn kernel_fd_kind(pid: i32, fd: i64, link: &[u8]) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if link.starts_with(b"socket:[") {
        "socket"
    } else if link.starts_with(b"pipe:[") {
        "pipe"
    } else if link.starts_with(b"anon_inode:") {
        "anon_inode"
    } else if link.starts_with(b"/memfd:") {
        "memfd"
    } else if link.starts_with(b"/") {
        let md = std::fs::metadata(format!("/proc/{pid}/fd/{fd}")).expect("stat /proc/PID/fd/N");
        let ft = md.file_type();
        if ft.is_dir() {
            "dir"
        } else if ft.is_block_device() {
            "block_device"
        } else if ft.is_char_device() {
            "char_device"
        } else {
            "file"
        }
    } else {
        "other"
    }
}

/// `pos` and `flags` (octal) of /proc/PID/fdinfo/FD.
fn fdinfo(pid: i32, fd: i64) -> (u64, u64) {
    let text = proc_text(pid, &format!("fdinfo/{fd}"));
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {k} in fdinfo/{fd}: {text}"))
            .to_string()
    };
    (
        field("pos:").parse().expect("pos"),
        u64::from_str_radix(&field("flags:"), 8).expect("flags"),
    )
}

/// The lines of a human table: from the line whose trimmed text starts
/// with `header` to the end of the output.
fn table_lines<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with(header))
        .unwrap_or_else(|| panic!("no table header {header:?} in:\n{text}"));
    lines[start + 1..].to_vec()
}

// ----------------------------------------------------------------- fds

struct FdsChild {
    helper: Reaped,
    tmp: TempDir,
    append: i64,
    deleted: i64,
    hostile: i64,
    dir: i64,
    memfd: i64,
    eventfd: i64,
    epoll: i64,
}

fn fds_child() -> FdsChild {
    let tmp = TempDir::new("vl-fds");
    let (helper, line) = python_helper("views_fds.py", &[temp_str(&tmp)]);
    let n = ready_numbers(&line, 7);
    FdsChild {
        helper,
        tmp,
        append: n[0],
        deleted: n[1],
        hostile: n[2],
        dir: n[3],
        memfd: n[4],
        eventfd: n[5],
        epoll: n[6],
    }
}

const HOSTILE_FILE: &[u8] = b"evil\x1b[31m\nname\xff";

#[test]
fn fds_rows_equal_proc_fd() {
    let c = fds_child();
    let pid = c.helper.pid();
    let p = pid.to_string();
    let links = fd_map(pid);
    let v = view(&["fds", &p]);

    assert_eq!(v["pid"], pid);
    assert_eq!(v["count"].as_u64(), Some(links.len() as u64), "count");
    let rows = arr(&v, "fds");
    assert_eq!(rows.len(), links.len(), "one row per descriptor");

    // fd -> target, as JSON text, equal to the kernel's links.
    let got: BTreeMap<i64, String> = rows
        .iter()
        .map(|r| {
            (
                r["fd"].as_i64().expect("fd"),
                r["target"].as_str().expect("target").to_string(),
            )
        })
        .collect();
    let want: BTreeMap<i64, String> = links.iter().map(|(fd, l)| (*fd, json_text(l))).collect();
    assert_eq!(got, want, "fd -> target");
    let order: Vec<i64> = rows.iter().map(|r| r["fd"].as_i64().unwrap()).collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "rows by fd: {order:?}"
    );

    // Types, by the kernel's own view, and by_type counts.
    let mut by_type: BTreeMap<&str, u64> = [
        "file",
        "dir",
        "socket",
        "pipe",
        "anon_inode",
        "char_device",
        "block_device",
        "memfd",
        "other",
    ]
    .into_iter()
    .map(|k| (k, 0))
    .collect();
    let mut deleted = 0;
    for r in rows {
        let fd = r["fd"].as_i64().unwrap();
        let link = &links[&fd];
        // Without --long, directories are not told from files (no fdinfo
        // read): a directory is counted as a file.
        let kind = match kernel_fd_kind(pid, fd, link) {
            "dir" => "file",
            k => k,
        };
        *by_type.get_mut(kind).unwrap() += 1;
        assert_eq!(r["type"], kind, "type of fd {fd} ({})", json_text(link));
        let is_deleted = matches!(kind, "file" | "dir" | "char_device" | "block_device")
            && link.ends_with(b" (deleted)");
        deleted += u64::from(is_deleted);
        assert_eq!(r["deleted"], is_deleted, "deleted mark of fd {fd}");
        if kind == "anon_inode" {
            let inner = link
                .strip_prefix(b"anon_inode:")
                .map(|r| r.strip_prefix(b"[").unwrap_or(r))
                .map(|r| r.strip_suffix(b"]").unwrap_or(r))
                .unwrap();
            assert_eq!(r["anon_kind"], json_text(inner), "anon kind of fd {fd}");
        } else {
            assert!(r["anon_kind"].is_null(), "anon_kind of fd {fd}: {r}");
        }
        // Without --long, no fdinfo is read.
        assert!(r["mode"].is_null() && r["pos"].is_null(), "{r}");
    }
    by_type.remove("dir");
    assert_eq!(v["dirs_marked"], false);
    assert_eq!(v["by_type"], json!(by_type), "by_type (no dir count)");
    assert_eq!(v["deleted"].as_u64(), Some(deleted));
    let (soft, hard) = nofile_limits(pid);
    assert_eq!(
        v["soft_limit"].as_u64(),
        soft,
        "soft limit vs /proc/PID/limits"
    );
    assert_eq!(
        v["hard_limit"].as_u64(),
        hard,
        "hard limit vs /proc/PID/limits"
    );
    if let Some(s) = soft {
        let pct = v["usage_percent"].as_f64().expect("usage_percent");
        let want = links.len() as f64 * 100.0 / s as f64;
        assert!((pct - want).abs() < 1e-9, "usage {pct} vs {want}");
    }

    // The helper's descriptors, one of each kind.
    let row = |fd: i64| {
        rows.iter()
            .find(|r| r["fd"] == fd)
            .unwrap_or_else(|| panic!("no row for fd {fd}"))
    };
    let base = temp_str(&c.tmp);
    assert_eq!(row(c.append)["type"], "file");
    assert_eq!(row(c.append)["target"], format!("{base}/append.log"));
    assert_eq!(row(c.dir)["type"], "file", "not told apart without --long");
    assert_eq!(row(c.dir)["target"], base);
    // --type dir reads fdinfo for path descriptors: the directory, only.
    let d = view(&["fds", &p, "--type", "dir"]);
    assert_eq!(d["dirs_marked"], true);
    let dirs: Vec<i64> = arr(&d, "fds")
        .iter()
        .map(|r| r["fd"].as_i64().unwrap())
        .collect();
    assert!(dirs.contains(&c.dir), "--type dir: {dirs:?}");
    assert!(!dirs.contains(&c.append), "--type dir: {dirs:?}");
    assert_eq!(row(c.memfd)["type"], "memfd");
    assert_eq!(
        row(c.memfd)["deleted"],
        false,
        "a memfd is not a deleted file"
    );
    assert_eq!(row(c.eventfd)["anon_kind"], "eventfd");
    assert_eq!(row(c.epoll)["anon_kind"], "eventpoll");
    let d = row(c.deleted);
    assert_eq!(d["type"], "file");
    assert_eq!(d["deleted"], true);
    assert_eq!(d["target"], format!("{base}/doomed.log (deleted)"));
    assert!(
        by_type["pipe"] >= 2 && by_type["socket"] >= 4,
        "{by_type:?}"
    );

    // --type socket: only sockets, exactly the socket links.
    let s = view(&["fds", &p, "--type", "socket"]);
    assert_eq!(
        s["count"].as_u64(),
        Some(links.len() as u64),
        "summary ignores --type"
    );
    let got: BTreeMap<i64, String> = arr(&s, "fds")
        .iter()
        .map(|r| {
            assert_eq!(r["type"], "socket", "{r}");
            (
                r["fd"].as_i64().unwrap(),
                r["target"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeMap<i64, String> = links
        .iter()
        .filter(|(_, l)| l.starts_with(b"socket:["))
        .map(|(fd, l)| (*fd, json_text(l)))
        .collect();
    assert_eq!(got, want, "--type socket rows");
    assert_eq!(want.len(), 4, "the helper's 4 sockets");

    // Two types at once.
    let pa = view(&["fds", &p, "--type", "pipe", "--type", "anon_inode"]);
    let kinds: BTreeSet<i64> = arr(&pa, "fds")
        .iter()
        .map(|r| {
            assert!(r["type"] == "pipe" || r["type"] == "anon_inode", "{r}");
            r["fd"].as_i64().unwrap()
        })
        .collect();
    let want: BTreeSet<i64> = links
        .iter()
        .filter(|(_, l)| l.starts_with(b"pipe:[") || l.starts_with(b"anon_inode:"))
        .map(|(fd, _)| *fd)
        .collect();
    assert_eq!(kinds, want, "--type pipe --type anon_inode");

    // --count: only the number; --count --json: {pid, count}.
    let out = run_ok(&["fds", &p, "--count"]);
    assert_eq!(
        common::stdout(&out),
        format!("{}\n", links.len()),
        "--count"
    );
    let cj = view(&["fds", &p, "--count"]);
    assert_eq!(
        cj,
        json!({"pid": pid, "count": links.len()}),
        "--count --json"
    );
    assert_eq!(
        fd_map(pid),
        links,
        "the helper's descriptors did not change"
    );
    drop(c);
}

#[test]
fn fds_long_matches_fdinfo() {
    let c = fds_child();
    let pid = c.helper.pid();
    let p = pid.to_string();
    let links = fd_map(pid);
    let v = view(&["fds", &p, "--long"]);
    let rows = arr(&v, "fds");
    assert_eq!(rows.len(), links.len());
    // O_PATH, O_APPEND, O_DIRECTORY on this architecture (the test's own
    // values, from rustix).
    let bit = |f: rustix::fs::OFlags| u64::from(f.bits());
    for r in rows {
        let fd = r["fd"].as_i64().unwrap();
        let (pos, flags) = fdinfo(pid, fd);
        let mode = if flags & bit(rustix::fs::OFlags::PATH) != 0 {
            "path"
        } else {
            match flags & 3 {
                0 => "r",
                1 => "w",
                _ => "rw",
            }
        };
        assert_eq!(r["mode"], mode, "mode of fd {fd} (flags {flags:o})");
        let names: Vec<&str> = r["flags"]
            .as_array()
            .unwrap_or_else(|| panic!("flags of fd {fd}: {r}"))
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(
            names.contains(&"append"),
            flags & bit(rustix::fs::OFlags::APPEND) != 0,
            "append flag of fd {fd}: {names:?} vs {flags:o}"
        );
        assert_eq!(
            names.contains(&"cloexec"),
            flags & bit(rustix::fs::OFlags::CLOEXEC) != 0,
            "cloexec flag of fd {fd}: {names:?} vs {flags:o}"
        );
        // The position of regular files and directories is stable here.
        if r["type"] == "file" || r["type"] == "dir" {
            assert_eq!(r["pos"].as_u64(), Some(pos), "pos of fd {fd}");
        }
    }
    let a = rows
        .iter()
        .find(|r| r["fd"] == c.append)
        .expect("append row");
    assert_eq!(a["mode"], "w", "{a}");
    assert_eq!(a["pos"], 100, "{a}");
    assert!(
        a["flags"].as_array().unwrap().contains(&json!("append")),
        "{a}"
    );
    let d = rows.iter().find(|r| r["fd"] == c.dir).expect("dir row");
    assert_eq!(d["mode"], "r");
    assert!(
        d["flags"].as_array().unwrap().contains(&json!("directory")),
        "{d}"
    );
    let (soft, _) = nofile_limits(pid);
    assert_eq!(v["soft_limit"].as_u64(), soft);

    let text = human(&["fds", &p, "--long"]);
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("FD "))
        .expect("table header");
    for col in ["MODE", "POS", "FLAGS", "TARGET"] {
        assert!(header.contains(col), "{header}");
    }
    let base = temp_str(&c.tmp);
    let line = text
        .lines()
        .find(|l| l.ends_with(&format!("{base}/append.log")))
        .unwrap_or_else(|| panic!("no append.log row:\n{text}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cols[0], c.append.to_string(), "{line}");
    assert_eq!(&cols[1..4], ["file", "w", "100"], "{line}");
    assert!(cols[4].split(',').any(|f| f == "append"), "{line}");
    drop(c);
}

#[test]
fn fds_hostile_path_is_escaped() {
    let c = fds_child();
    let pid = c.helper.pid();
    let p = pid.to_string();
    let base = temp_str(&c.tmp);
    let mut raw = base.as_bytes().to_vec();
    raw.push(b'/');
    raw.extend_from_slice(HOSTILE_FILE);
    let links = fd_map(pid);
    assert_eq!(
        links[&c.hostile], raw,
        "the kernel's link holds the raw bytes"
    );

    let out = run_ok(&["fds", &p, "--json"]);
    assert!(!out.stdout.contains(&0x1b), "raw ESC in JSON");
    let v = json(&out);
    let r = arr(&v, "fds")
        .iter()
        .find(|r| r["fd"] == c.hostile)
        .expect("hostile row");
    assert_eq!(
        r["target"],
        format!("{base}/evil\u{1b}[31m\nname\\xff"),
        "JSON keeps the text, invalid bytes as \\xNN"
    );
    assert_eq!(r["type"], "file");

    let text = human(&["fds", &p]);
    let table = table_lines(&text, "FD ");
    assert_eq!(
        table.len(),
        links.len(),
        "one line per descriptor (no raw newline inside a row):\n{text}"
    );
    let want = format!("{base}/evil\\e[31m\\nname\\xff");
    let line = table
        .iter()
        .find(|l| l.trim_start().starts_with(&format!("{} ", c.hostile)))
        .unwrap_or_else(|| panic!("no row for fd {}:\n{text}", c.hostile));
    assert!(line.ends_with(&want), "{line:?} should end with {want:?}");
    let del = table
        .iter()
        .find(|l| l.trim_start().starts_with(&format!("{} ", c.deleted)))
        .expect("deleted row");
    assert!(
        del.contains("doomed.log (deleted)") && del.ends_with("DEL"),
        "{del}"
    );
    assert!(text.contains("1 deleted file(s) still open"), "{text}");
    drop(c);
}

#[test]
fn fds_while_descriptors_churn() {
    const N: u64 = 2000;
    let tmp = TempDir::new("vl-churn");
    let (helper, line) =
        python_helper("views_fd_churn.py", &[temp_str(&tmp), &N.to_string(), "20"]);
    let n = ready_numbers(&line, 2);
    let (baseline, n) = (n[0] as u64, n[1] as u64);
    assert_eq!(n, N);
    let pid = helper.pid();
    let p = pid.to_string();
    let churn = format!("{}/churn.dat", temp_str(&tmp));

    let mut stable: Option<BTreeMap<i64, String>> = None;
    let mut counts = BTreeSet::new();
    for i in 0..40 {
        // 30 plain runs, 10 with --long (one more read per descriptor,
        // each of which may be closed in between).
        let args: Vec<&str> = if i % 4 == 3 {
            vec!["fds", &p, "--long", "--json"]
        } else {
            vec!["fds", &p, "--json"]
        };
        let out = proctor(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "run {i} {args:?}: stderr {}",
            common::stderr(&out)
        );
        assert!(
            out.stderr.is_empty(),
            "run {i}: stderr {}",
            common::stderr(&out)
        );
        let v = json(&out);
        let count = v["count"].as_u64().expect("count");
        assert!(
            (baseline..=baseline + n).contains(&count),
            "run {i}: count {count} outside [{baseline}, {}]",
            baseline + n
        );
        let rows = arr(&v, "fds");
        assert_eq!(rows.len() as u64, count, "run {i}: rows vs count");
        counts.insert(count);
        let mut others = BTreeMap::new();
        for r in rows {
            let t = r["target"].as_str().expect("target");
            if t != churn {
                others.insert(r["fd"].as_i64().unwrap(), t.to_string());
            } else {
                assert_eq!(r["type"], "file", "run {i}: {r}");
            }
        }
        // The helper's own descriptors are there in every run, unchanged.
        assert_eq!(others.len() as u64, baseline, "run {i}: {others:?}");
        match &stable {
            None => stable = Some(others),
            Some(s) => assert_eq!(&others, s, "run {i}: non-churn descriptors changed"),
        }
    }
    for i in 0..10 {
        let out = run_ok(&["fds", &p, "--count"]);
        let c: u64 = common::stdout(&out).trim().parse().expect("a number");
        assert!(
            (baseline..=baseline + n).contains(&c),
            "--count run {i}: {c}"
        );
    }
    eprintln!("note: fds counts seen during the churn: {counts:?}");
    drop(helper);
    drop(tmp);
}

// ----------------------------------------------------------------- net

/// One socket as the kernel's tables describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KernelSocket {
    proto: String,
    local: Option<String>,
    remote: Option<String>,
    state: String,
}

fn tcp_state(s: u8) -> &'static str {
    [
        "UNKNOWN",
        "ESTABLISHED",
        "SYN_SENT",
        "SYN_RECV",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "TIME_WAIT",
        "CLOSE",
        "CLOSE_WAIT",
        "LAST_ACK",
        "LISTEN",
        "CLOSING",
        "NEW_SYN_RECV",
    ]
    .get(usize::from(s))
    .copied()
    .unwrap_or("UNKNOWN")
}

/// Decode `0100007F:1F90` (or the 32-digit IPv6 form): each 32-bit word
/// is the network-order address printed as a native-endian integer.
fn kernel_addr(s: &str) -> SocketAddr {
    let (ip, port) = s.split_once(':').expect("addr:port");
    let port = u16::from_str_radix(port, 16).expect("port");
    let word = |w: &str| u32::from_str_radix(w, 16).expect("hex word").to_ne_bytes();
    let ip = if ip.len() == 8 {
        IpAddr::V4(Ipv4Addr::from(word(ip)))
    } else {
        let mut b = [0u8; 16];
        for i in 0..4 {
            b[i * 4..i * 4 + 4].copy_from_slice(&word(&ip[i * 8..i * 8 + 8]));
        }
        IpAddr::V6(Ipv6Addr::from(b))
    };
    SocketAddr::new(ip, port)
}

fn show_addr(a: &SocketAddr) -> String {
    match a.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("{v4}:{}", a.port()),
            None => format!("[{v6}]:{}", a.port()),
        },
        IpAddr::V4(v4) => format!("{v4}:{}", a.port()),
    }
}

/// The sockets of /proc/PID/net/{tcp,tcp6,udp,udp6,unix}, by inode, as
/// the test decodes them.
fn kernel_sockets(pid: i32) -> BTreeMap<u64, KernelSocket> {
    let mut out = BTreeMap::new();
    for proto in ["tcp", "tcp6", "udp", "udp6"] {
        for line in proc_text(pid, &format!("net/{proto}")).lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 {
                continue;
            }
            let inode: u64 = f[9].parse().expect("inode");
            if inode == 0 {
                continue;
            }
            let local = kernel_addr(f[1]);
            let remote = kernel_addr(f[2]);
            let st = u8::from_str_radix(f[3], 16).expect("state");
            let state = if proto.starts_with("udp") && st == 7 {
                "UNCONN"
            } else {
                tcp_state(st)
            };
            let connected = remote.port() != 0 || !remote.ip().is_unspecified();
            out.insert(
                inode,
                KernelSocket {
                    proto: proto.to_string(),
                    local: Some(show_addr(&local)),
                    remote: connected.then(|| show_addr(&remote)),
                    state: state.to_string(),
                },
            );
        }
    }
    let unix = std::fs::read(format!("/proc/{pid}/net/unix")).expect("net/unix");
    for line in unix.split(|&c| c == b'\n').skip(1) {
        // Num RefCount Protocol Flags Type St Inode [Path]
        let text = String::from_utf8_lossy(line);
        let f: Vec<&str> = text.split_whitespace().collect();
        if f.len() < 7 {
            continue;
        }
        let inode: u64 = f[6].parse().expect("unix inode");
        let flags = u64::from_str_radix(f[3], 16).expect("flags");
        let st = u8::from_str_radix(f[5], 16).expect("st");
        // The path is the raw rest of the line (bytes), after the inode.
        let path = f.get(7).map(|_| {
            let idx = line
                .windows(f[6].len() + 1)
                .position(|w| w == format!("{} ", f[6]).as_bytes())
                .expect("inode column");
            json_text(&line[idx + f[6].len() + 1..])
        });
        let state = if flags & 0x1_0000 != 0 {
            "LISTEN"
        } else {
            [
                "UNKNOWN",
                "UNCONNECTED",
                "CONNECTING",
                "CONNECTED",
                "DISCONNECTING",
            ]
            .get(usize::from(st))
            .copied()
            .unwrap_or("UNKNOWN")
        };
        out.insert(
            inode,
            KernelSocket {
                proto: "unix".into(),
                local: path,
                remote: None,
                state: state.into(),
            },
        );
    }
    out
}

fn row_socket(r: &Value) -> KernelSocket {
    let opt = |k: &str| r[k].as_str().map(str::to_string);
    KernelSocket {
        proto: r["proto"].as_str().expect("proto").to_string(),
        local: opt("local"),
        remote: opt("remote"),
        state: r["state"].as_str().expect("state").to_string(),
    }
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn net_finds_exactly_the_childs_sockets() {
    let tmp = TempDir::new("vl-net");
    let (helper, line) = python_helper("views_net.py", &[temp_str(&tmp)]);
    let n = ready_numbers(&line, 3);
    let (port4, port6, uport) = (n[0], n[1], n[2]);
    let cw_fds: BTreeSet<i64> = line
        .split_whitespace()
        .nth(4)
        .expect("close-wait fds")
        .split(',')
        .map(|s| s.parse().expect("fd"))
        .collect();
    assert_eq!(cw_fds.len(), 3, "{line}");
    let pid = helper.pid();
    let p = pid.to_string();
    let sock_path = format!("{}/views.sock", temp_str(&tmp));

    let inodes = socket_inodes(pid);
    let kernel = kernel_sockets(pid);
    let v = view(&["net", &p]);
    assert_eq!(v["pid"], pid);
    let all = arr(&v, "sockets");
    assert_eq!(
        v["count"].as_u64(),
        Some(inodes.len() as u64),
        "one socket per socket:[N] link"
    );
    assert_eq!(inodes.len(), 2 + 10 + 3 + 1 + 3, "the helper's sockets");
    // Exactly the inodes of /proc/PID/fd, each with its fd, each as the
    // kernel's own table describes it.
    let got: BTreeMap<u64, i64> = all
        .iter()
        .map(|r| (r["inode"].as_u64().unwrap(), r["fd"].as_i64().unwrap()))
        .collect();
    assert_eq!(got, inodes, "inode -> fd");
    for r in all {
        let inode = r["inode"].as_u64().unwrap();
        let k = kernel
            .get(&inode)
            .unwrap_or_else(|| panic!("socket {inode} in no table of /proc/{pid}/net"));
        assert_eq!(&row_socket(r), k, "socket {inode}");
        // Queues for every socket: unix ones from sock_diag in proctor's
        // own namespace (a listener's are its accept queue and backlog).
        assert!(r["rx_queue"].is_u64() && r["tx_queue"].is_u64(), "{r}");
    }

    // What the helper made.
    let l4 = format!("127.0.0.1:{port4}");
    let count_of =
        |f: &dyn Fn(&KernelSocket) -> bool| all.iter().filter(|r| f(&row_socket(r))).count();
    assert_eq!(
        count_of(&|s| s.proto == "tcp" && s.state == "LISTEN" && s.local.as_deref() == Some(&l4)),
        1
    );
    assert_eq!(
        count_of(&|s| s.proto == "tcp6"
            && s.state == "LISTEN"
            && s.local == Some(format!("[::1]:{port6}"))),
        1
    );
    let est: Vec<KernelSocket> = all
        .iter()
        .map(row_socket)
        .filter(|s| s.state == "ESTABLISHED")
        .collect();
    assert_eq!(est.len(), 10, "5 pairs, both ends");
    // Server ends: local is the listener; client ends: remote is the
    // listener; each server end's peer is a client end of this process.
    let server_peers: BTreeSet<String> = est
        .iter()
        .filter(|s| s.local.as_deref() == Some(&l4))
        .map(|s| s.remote.clone().expect("remote"))
        .collect();
    let clients: BTreeSet<String> = est
        .iter()
        .filter(|s| s.remote.as_deref() == Some(&l4))
        .map(|s| s.local.clone().expect("local"))
        .collect();
    assert_eq!(server_peers.len(), 5);
    assert_eq!(server_peers, clients, "the pairs join up");
    assert_eq!(
        count_of(&|s| s.proto == "udp"
            && s.state == "UNCONN"
            && s.local == Some(format!("127.0.0.1:{uport}"))
            && s.remote.is_none()),
        1
    );
    assert_eq!(
        count_of(&|s| s.proto == "unix" && s.state == "CONNECTED" && s.local.is_none()),
        2,
        "the socket pair"
    );
    assert_eq!(
        count_of(&|s| s.proto == "unix"
            && s.state == "LISTEN"
            && s.local.as_deref() == Some(&sock_path)),
        1,
        "the unix listener"
    );

    assert_eq!(
        strings(&v["listening"]),
        [
            format!("tcp 127.0.0.1:{port4}"),
            format!("tcp [::1]:{port6}"),
            format!("udp 127.0.0.1:{uport}"),
        ]
        .into_iter()
        .collect(),
        "listening"
    );
    assert_eq!(
        v["by_state"],
        json!({"CLOSE_WAIT": 3, "ESTABLISHED": 10, "LISTEN": 2})
    );
    assert_eq!(v["close_wait"], 3);
    assert_eq!(
        v["by_protocol"],
        json!({"tcp": 14, "tcp6": 1, "udp": 1, "unix": 3})
    );

    // --state close-wait: exactly the 3 accepted ends, with their fds, in
    // CLOSE_WAIT in the kernel's table.
    let cw = view(&["net", &p, "--state", "close-wait"]);
    let cw_rows = arr(&cw, "sockets");
    assert_eq!(cw_rows.len(), 3, "{cw_rows:?}");
    let fds: BTreeSet<i64> = cw_rows
        .iter()
        .map(|r| {
            assert_eq!(r["state"], "CLOSE_WAIT");
            assert_eq!(r["local"], l4.as_str());
            let inode = r["inode"].as_u64().unwrap();
            assert_eq!(kernel[&inode].state, "CLOSE_WAIT");
            r["fd"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(fds, cw_fds, "the fds the helper kept");
    assert_eq!(cw["count"], v["count"], "the summary ignores filters");
    // Spelled the kernel's way, and repeated.
    let cw2 = view(&["net", &p, "--state", "CLOSE_WAIT", "--state", "listen"]);
    assert_eq!(arr(&cw2, "sockets").len(), 3 + 3, "CLOSE_WAIT + 3 LISTEN");

    // --listening: the listeners only.
    let l = view(&["net", &p, "--listening"]);
    let got: BTreeSet<(String, String)> = arr(&l, "sockets")
        .iter()
        .map(|r| {
            (
                r["proto"].as_str().unwrap().to_string(),
                r["local"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("tcp", l4.clone()),
        ("tcp6", format!("[::1]:{port6}")),
        ("udp", format!("127.0.0.1:{uport}")),
        ("unix", sock_path.clone()),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b))
    .collect();
    assert_eq!(got, want, "--listening");

    // --proto unix: only unix rows, the temp path as local.
    let u = view(&["net", &p, "--proto", "unix"]);
    let urows = arr(&u, "sockets");
    assert_eq!(urows.len(), 3);
    assert!(urows.iter().all(|r| r["proto"] == "unix"), "{urows:?}");
    assert!(
        urows.iter().any(|r| r["local"] == sock_path.as_str()),
        "{urows:?}"
    );
    // --proto tcp includes tcp6.
    let t = view(&["net", &p, "--proto", "tcp"]);
    let protos: BTreeSet<&str> = arr(&t, "sockets")
        .iter()
        .map(|r| r["proto"].as_str().unwrap())
        .collect();
    assert_eq!(arr(&t, "sockets").len(), 15);
    assert_eq!(protos, ["tcp", "tcp6"].into_iter().collect());

    // A state that does not exist: exit 2 and a hint.
    let bad = proctor(&["net", &p, "--state", "bogus"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = common::stderr(&bad);
    assert!(err.contains("unknown socket state 'bogus'"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("hint:") && l.contains("CLOSE_WAIT")),
        "{err}"
    );
    assert!(bad.stdout.is_empty());

    // Human output: the CLOSE_WAIT note, the listeners.
    let text = human(&["net", &p]);
    assert!(
        text.contains("3 in CLOSE_WAIT: the peer closed and this process never called close()"),
        "{text}"
    );
    assert!(text.contains("socket leak"), "{text}");
    assert!(text.contains(&format!("tcp [::1]:{port6}")), "{text}");
    assert_eq!(
        table_lines(&text, "FD ").len(),
        inodes.len(),
        "one line per socket:\n{text}"
    );
    drop(helper);
    drop(tmp);
}

/// IPv4-mapped IPv6 addresses are shown as IPv4; a unix socket path or
/// abstract name holding ESC, a newline and a non-UTF-8 byte is shown
/// whole, escaped, in valid JSON.
#[test]
fn net_mapped_addresses_and_hostile_unix_names() {
    let tmp = TempDir::new("vl-netodd");
    let (helper, line) = python_helper("views_net.py", &[temp_str(&tmp), "odd"]);
    let port = ready_numbers(&line, 1)[0];
    let pid = helper.pid();
    let p = pid.to_string();
    let inodes = socket_inodes(pid);
    assert_eq!(
        inodes.len(),
        5,
        "2 unix listeners, tcp6 listener, client, accepted"
    );

    let out = run_ok(&["net", &p, "--json"]);
    assert!(!out.stdout.contains(&0x1b), "raw ESC in JSON");
    let v = json(&out);
    let all = arr(&v, "sockets");
    let got: BTreeMap<u64, i64> = all
        .iter()
        .map(|r| (r["inode"].as_u64().unwrap(), r["fd"].as_i64().unwrap()))
        .collect();
    assert_eq!(got, inodes, "inode -> fd");

    // The mapped pair: tcp6 sockets, addresses shown as IPv4.
    let l4 = format!("127.0.0.1:{port}");
    let tcp: Vec<&Value> = all.iter().filter(|r| r["proto"] == "tcp6").collect();
    assert_eq!(tcp.len(), 3, "{tcp:?}");
    let listener = tcp
        .iter()
        .find(|r| r["state"] == "LISTEN")
        .expect("listener");
    assert_eq!(listener["local"], l4.as_str());
    assert!(listener["remote"].is_null());
    let est: Vec<&&Value> = tcp.iter().filter(|r| r["state"] == "ESTABLISHED").collect();
    assert_eq!(est.len(), 2);
    for r in &est {
        for k in ["local", "remote"] {
            let a = r[k].as_str().expect("address");
            assert!(
                a.starts_with("127.0.0.1:"),
                "{k} {a} should be shown as IPv4"
            );
        }
    }
    assert_eq!(est[0]["local"], est[1]["remote"], "the pair joins up");
    assert_eq!(strings(&v["listening"]), [format!("tcp {l4}")].into());
    // The kernel's own view of those sockets (tcp6 table, mapped form).
    let kernel = kernel_sockets(pid);
    for r in &tcp {
        let k = &kernel[&r["inode"].as_u64().unwrap()];
        assert_eq!(&row_socket(r), k);
    }

    // Hostile unix names. The kernel writes the names raw into
    // /proc/PID/net/unix: the newline splits the record over two lines.
    let raw = std::fs::read(format!("/proc/{pid}/net/unix")).expect("net/unix");
    let mut path = format!("{}/", temp_str(&tmp)).into_bytes();
    path.extend_from_slice(b"s\x1b[31m\n\xff.sock");
    assert!(
        raw.windows(path.len()).any(|w| w == path.as_slice()),
        "the kernel's table holds the raw path"
    );
    let locals: BTreeSet<String> = all
        .iter()
        .filter(|r| r["proto"] == "unix")
        .map(|r| {
            assert_eq!(r["state"], "LISTEN", "{r}");
            r["local"].as_str().unwrap_or("<null>").to_string()
        })
        .collect();
    let want: BTreeSet<String> = [json_text(&path), "@views\u{1b}[31m\n\\xff".to_string()]
        .into_iter()
        .collect();
    assert_eq!(
        locals, want,
        "BUG: a unix socket name holding a newline is cut at the newline: /proc/PID/net/unix \
         prints the name raw, so the record spans two lines, and src/reader/process.rs \
         unix_sockets() + src/parse/net.rs parse_unix_line() parse it line by line (the \
         name's tail after the newline is dropped as a malformed line)"
    );

    let text = human(&["net", &p]);
    let table = table_lines(&text, "FD ");
    assert_eq!(table.len(), 5, "one line per socket:\n{text}");
    let want_path = format!("{}/s\\e[31m\\n\\xff.sock", temp_str(&tmp));
    assert!(
        table.iter().any(|l| l.contains(&want_path)),
        "{want_path} not in:\n{text}"
    );
    assert!(
        table.iter().any(|l| l.contains("@views\\e[31m\\n\\xff")),
        "{text}"
    );
    drop(helper);
    drop(tmp);
}

// ----------------------------------------------------------------- env

const HOSTILE_VALUE: &[u8] = b"\x1b[31mred\n\xff\x1b]0;title\x07";

#[test]
fn env_masks_and_reveals() {
    let py = real_python();
    let (helper, line) = spawn_ready(
        Command::new(&py)
            .arg(helper_path("views_env.py"))
            .env_clear()
            .env("PLAIN", "1")
            .env("DB_PASSWORD", "hunter2")
            .env("API_TOKEN", "abc")
            .env("DATABASE_URL", "postgres://app:s3cret@db:5432/x")
            .env("EMPTY", "")
            .env("HOSTILE", OsStr::from_bytes(HOSTILE_VALUE))
            .stderr(Stdio::null()),
    );
    assert_eq!(line, "READY");
    let pid = helper.pid();
    let p = pid.to_string();

    // The test's own view: exactly what it set.
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    let entries: BTreeSet<&[u8]> = environ
        .split(|&c| c == 0)
        .filter(|e| !e.is_empty())
        .collect();
    let mut hostile_entry = b"HOSTILE=".to_vec();
    hostile_entry.extend_from_slice(HOSTILE_VALUE);
    let want: BTreeSet<&[u8]> = [
        &b"PLAIN=1"[..],
        b"DB_PASSWORD=hunter2",
        b"API_TOKEN=abc",
        b"DATABASE_URL=postgres://app:s3cret@db:5432/x",
        b"EMPTY=",
        &hostile_entry,
    ]
    .into_iter()
    .collect();
    assert_eq!(entries, want, "the child's environ");

    let hostile_json = json_text(HOSTILE_VALUE);
    let v = view(&["env", &p]);
    assert_eq!(v["pid"], pid);
    assert_eq!(v["count"], 6);
    assert_eq!(
        v["vars"],
        json!({
            "API_TOKEN": "****",
            "DATABASE_URL": "postgres://app:****@db:5432/x",
            "DB_PASSWORD": "****",
            "EMPTY": "",
            "HOSTILE": hostile_json,
            "PLAIN": "1",
        })
    );
    assert_eq!(
        v["masked"],
        json!(["API_TOKEN", "DATABASE_URL", "DB_PASSWORD"])
    );
    assert_eq!(v["revealed"], false);
    assert_eq!(v["duplicates"], json!([]));
    let doc = serde_json::to_string(&v).unwrap();
    assert!(!doc.contains("hunter2") && !doc.contains("s3cret"), "{doc}");

    let r = view(&["env", &p, "--reveal"]);
    assert_eq!(
        r["vars"],
        json!({
            "API_TOKEN": "abc",
            "DATABASE_URL": "postgres://app:s3cret@db:5432/x",
            "DB_PASSWORD": "hunter2",
            "EMPTY": "",
            "HOSTILE": hostile_json,
            "PLAIN": "1",
        })
    );
    assert_eq!(r["masked"], json!([]));
    assert_eq!(r["revealed"], true);

    // PATTERN: a case-insensitive substring of the name.
    for pat in ["pass", "PASS", "PaSs"] {
        let f = view(&["env", &p, pat]);
        assert_eq!(f["vars"], json!({"DB_PASSWORD": "****"}), "pattern {pat}");
        assert_eq!(f["masked"], json!(["DB_PASSWORD"]), "pattern {pat}");
        assert_eq!(f["count"], 6, "the count is of the whole environment");
    }
    let f = view(&["env", &p, "url", "--reveal"]);
    assert_eq!(
        f["vars"],
        json!({"DATABASE_URL": "postgres://app:s3cret@db:5432/x"})
    );
    let none = view(&["env", &p, "no-such-name"]);
    assert_eq!(none["vars"], json!({}));

    // Human: header with the masked count, the note, NAME=value sorted by
    // name, secrets masked, the hostile value escaped.
    let text = human(&["env", &p]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(&format!("# proctor env {pid} (")),
        "{text}"
    );
    assert!(
        lines[0].contains("6 variables") && lines[0].contains("3 masked as ****"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("# note: ") && lines[1].contains("started with"),
        "{}",
        lines[1]
    );
    let body: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        body,
        [
            "API_TOKEN=****",
            "DATABASE_URL=postgres://app:****@db:5432/x",
            "DB_PASSWORD=****",
            "EMPTY=",
            "HOSTILE=\\e[31mred\\n\\xff\\e]0;title\\x07",
            "PLAIN=1",
        ],
        "{text}"
    );
    assert!(
        !text.contains("hunter2") && !text.contains("s3cret"),
        "{text}"
    );
    assert!(!text.contains('\x07'), "raw BEL in human output");

    let text = human(&["env", &p, "--reveal"]);
    assert!(text.contains("DB_PASSWORD=hunter2\n"), "{text}");
    assert!(
        text.contains("DATABASE_URL=postgres://app:s3cret@db:5432/x\n"),
        "{text}"
    );
    assert!(
        text.lines().next().unwrap().contains("values revealed"),
        "{text}"
    );
    drop(helper);
}

/// Duplicated names, an entry without '=', non-UTF-8 names: made with a
/// raw execve (the helper re-executes itself with exactly these entries).
#[test]
fn env_duplicates_and_odd_entries() {
    let entries: Vec<&[u8]> = vec![
        b"DUP=first",
        b"SESSION_ID=s1",
        b"NOEQUALS",
        b"DUP=second",
        b"N\xffX=v\xfe",
        b"ZED=last",
        b"SESSION_ID=s2",
    ];
    let hex: Vec<String> = entries
        .iter()
        .map(|e| e.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let mut cmd = Command::new(real_python());
    cmd.arg(helper_path("views_env.py"))
        .args(&hex)
        .stderr(Stdio::null());
    let (helper, line) = spawn_ready(&mut cmd);
    assert_eq!(line, "READY");
    let pid = helper.pid();
    let p = pid.to_string();
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    let got: Vec<&[u8]> = environ
        .split(|&c| c == 0)
        .filter(|e| !e.is_empty())
        .collect();
    assert_eq!(got, entries, "the kernel holds exactly these entries");

    let v = view(&["env", &p]);
    assert_eq!(v["count"], 7);
    assert_eq!(
        v["vars"],
        json!({
            "DUP": "first",
            "N\\xffX": "v\\xfe",
            "SESSION_ID": "****",
            "ZED": "last",
        }),
        "a name set twice keeps its first value"
    );
    assert_eq!(
        strings(&v["duplicates"]),
        ["DUP", "SESSION_ID"].map(String::from).into()
    );
    assert_eq!(v["without_equals"], json!(["NOEQUALS"]));
    assert_eq!(v["masked"], json!(["SESSION_ID"]));
    let shown: Vec<(String, Value)> = arr(&v, "entries")
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e["value"].clone()))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("DUP".to_string(), json!("first")),
            ("DUP".to_string(), json!("second")),
            ("NOEQUALS".to_string(), Value::Null),
            ("N\\xffX".to_string(), json!("v\\xfe")),
            ("SESSION_ID".to_string(), json!("****")),
            ("SESSION_ID".to_string(), json!("****")),
            ("ZED".to_string(), json!("last")),
        ],
        "every entry, in name order, duplicates in order of appearance"
    );

    let text = human(&["env", &p]);
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        body,
        [
            "DUP=first",
            "DUP=second",
            "NOEQUALS  (no '=' in this entry)",
            "N\\xffX=v\\xfe",
            "SESSION_ID=****",
            "SESSION_ID=****",
            "ZED=last",
        ],
        "{text}"
    );
    let dup = text
        .lines()
        .find(|l| l.starts_with("# set more than once"))
        .unwrap_or_else(|| panic!("no duplicates line:\n{text}"));
    assert!(dup.ends_with(": DUP, SESSION_ID"), "{dup}");
    assert!(
        text.lines().next().unwrap().contains("7 variables"),
        "{text}"
    );
    drop(helper);
}

/// A duplicated name that is not UTF-8 must be shown in the duplicates
/// line the way its rows show it (`D\xff`), not escaped twice.
#[test]
fn env_duplicate_non_utf8_name_is_escaped_once() {
    let entries: [&[u8]; 2] = [b"D\xff=1", b"D\xff=2"];
    let hex: Vec<String> = entries
        .iter()
        .map(|e| e.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let mut cmd = Command::new(real_python());
    cmd.arg(helper_path("views_env.py"))
        .args(&hex)
        .stderr(Stdio::null());
    let (helper, line) = spawn_ready(&mut cmd);
    assert_eq!(line, "READY");
    let p = helper.pid().to_string();
    let v = view(&["env", &p]);
    assert_eq!(v["duplicates"], json!(["D\\xff"]));
    let text = human(&["env", &p]);
    assert!(text.contains("\nD\\xff=1\nD\\xff=2\n"), "{text}");
    let dup = text
        .lines()
        .find(|l| l.starts_with("# set more than once"))
        .unwrap_or_else(|| panic!("no duplicates line:\n{text}"));
    assert!(
        dup.ends_with(": D\\xff"),
        "BUG: the duplicates line escapes the JSON form of the name a second time \
         (src/render/views.rs env(): escape_for_terminal on EnvReport.duplicates, which \
         already hold `\\xNN` text): got {dup:?}, the rows show the name as `D\\xff`"
    );
    drop(helper);
}

// ----------------------------------------------------------------- maps

/// (Rss, Pss, Swap) in bytes from /proc/PID/smaps_rollup.
fn rollup(pid: i32) -> (u64, u64, u64) {
    let text = proc_text(pid, "smaps_rollup");
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {k} in smaps_rollup"))
            * 1024
    };
    (get("Rss:"), get("Pss:"), get("Swap:"))
}

/// One mapping of /proc/PID/smaps as the test reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KernelMapping {
    start: u64,
    end: u64,
    perms: String,
    path: Vec<u8>,
    rss: u64,
    pss: u64,
    swap: u64,
    size: u64,
}

/// What of a mapping does not depend on other processes (PSS does).
fn stable_part(v: &[KernelMapping]) -> Vec<(u64, u64, u64, u64, u64)> {
    v.iter()
        .map(|k| (k.start, k.end, k.rss, k.swap, k.size))
        .collect()
}

/// Files mapped by this test process (the same runtime libraries as the
/// proctor binary: libc, libm, libgcc_s, ld.so).
fn own_mapped_files() -> BTreeSet<Vec<u8>> {
    kernel_smaps(std::process::id() as i32)
        .into_iter()
        .map(|k| k.path)
        .filter(|p| p.starts_with(b"/"))
        .collect()
}

fn is_smaps_header(line: &[u8]) -> bool {
    // `start-end perms ...`: the first field is two hex numbers and a dash.
    let first = line.split(|&c| c == b' ').next().unwrap_or_default();
    first.contains(&b'-') && first.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-')
}

fn kernel_smaps(pid: i32) -> Vec<KernelMapping> {
    let raw = std::fs::read(format!("/proc/{pid}/smaps")).expect("smaps");
    let mut out: Vec<KernelMapping> = Vec::new();
    for line in raw.split(|&c| c == b'\n') {
        if is_smaps_header(line) {
            let mut f = line.splitn(6, |&c| c == b' ');
            let range = String::from_utf8_lossy(f.next().unwrap()).into_owned();
            let perms = String::from_utf8_lossy(f.next().unwrap()).into_owned();
            let (_off, _dev, _inode) = (f.next(), f.next(), f.next());
            let path = f
                .next()
                .map(|r| r.iter().skip_while(|c| **c == b' ').copied().collect())
                .unwrap_or_default();
            let (s, e) = range.split_once('-').unwrap();
            out.push(KernelMapping {
                start: u64::from_str_radix(s, 16).unwrap(),
                end: u64::from_str_radix(e, 16).unwrap(),
                perms,
                path,
                rss: 0,
                pss: 0,
                swap: 0,
                size: 0,
            });
        } else if let Some(m) = out.last_mut() {
            let text = String::from_utf8_lossy(line);
            let kb = |k: &str| {
                text.strip_prefix(k)
                    .and_then(|v| v.split_whitespace().next())
                    .and_then(|n| n.parse::<u64>().ok())
                    .map(|n| n * 1024)
            };
            if let Some(v) = kb("Rss:") {
                m.rss = v;
            } else if let Some(v) = kb("Pss:") {
                m.pss = v;
            } else if let Some(v) = kb("Swap:") {
                m.swap = v;
            } else if let Some(v) = kb("Size:") {
                m.size = v;
            }
        }
    }
    out
}

/// Header lines of /proc/PID/maps: (start, end).
fn maps_ranges(pid: i32) -> Vec<(u64, u64)> {
    proc_text(pid, "maps")
        .lines()
        .map(|l| {
            let range = l.split(' ').next().unwrap();
            let (s, e) = range.split_once('-').expect("range");
            (
                u64::from_str_radix(s, 16).unwrap(),
                u64::from_str_radix(e, 16).unwrap(),
            )
        })
        .collect()
}

fn hex_u64(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().expect("hex string"), 16).expect("hex")
}

const HOSTILE_MAP: &[u8] = b"map\x1b[31m\n\xff.dat";

#[test]
fn maps_totals_agree_with_smaps_rollup() {
    let tmp = TempDir::new("vl-maps");
    let (helper, line) = python_helper("views_maps.py", &[temp_str(&tmp)]);
    assert_eq!(line, "READY");
    let pid = helper.pid();
    let p = pid.to_string();

    // Idle child: its RSS, swap and mappings are stable; retry (bounded)
    // if they moved while proctor was reading. PSS is not: it depends on
    // how many processes map the same pages, and proctor itself maps
    // libc, libm, ld.so... while it reads (see the PSS bound below).
    let mut done = None;
    for attempt in 0..50 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(100));
        }
        let (r1, m1, s1) = (rollup(pid), maps_ranges(pid), kernel_smaps(pid));
        let v = view(&["maps", &p]);
        let (r2, m2, s2) = (rollup(pid), maps_ranges(pid), kernel_smaps(pid));
        let (rs1, rs2) = ((r1.0, r1.2), (r2.0, r2.2));
        if rs1 == rs2 && m1 == m2 && stable_part(&s1) == stable_part(&s2) {
            done = Some((v, r1, r2, m1, s1));
            break;
        }
    }
    let (v, (rss, pss1, swap), (_, pss2, _), ranges, smaps) =
        done.expect("the child's memory never held still across a proctor run");

    assert_eq!(v["pid"], pid);
    assert_eq!(v["total_source"], "smaps_rollup");
    assert_eq!(
        v["mapping_count"].as_u64(),
        Some(ranges.len() as u64),
        "mappings vs lines of /proc/PID/maps"
    );
    assert_eq!(
        v["total"]["rss_bytes"].as_u64(),
        Some(rss),
        "rss vs smaps_rollup"
    );
    assert_eq!(
        v["total"]["swap_bytes"].as_u64(),
        Some(swap),
        "swap vs smaps_rollup"
    );
    // PSS: while proctor runs it is one more process mapping the shared
    // libraries the child maps too, so the child's PSS is lower then, by at
    // most half the child's PSS in those objects (a page shared by n has
    // PSS size/n; with one more sharer size/(n+1), a drop of at most half).
    // Bound: [lowest rollup - that half - 1 KiB per mapping, highest rollup].
    let ours = own_mapped_files();
    let shared_pss: u64 = smaps
        .iter()
        .filter(|k| ours.contains(&k.path))
        .map(|k| k.pss)
        .sum();
    let total_pss = v["total"]["pss_bytes"].as_u64().expect("pss_bytes");
    // Other tests run proctor in parallel: extra sharers come and go while
    // this runs, so allow the whole shared PSS to move, either way.
    let lo = pss1
        .min(pss2)
        .saturating_sub(shared_pss + 1024 * ranges.len() as u64);
    let hi = pss1.max(pss2) + shared_pss;
    assert!(
        (lo..=hi).contains(&total_pss),
        "pss {total_pss} vs smaps_rollup {pss1}/{pss2} (shared with proctor: {shared_pss})"
    );
    // Within one proctor run, the rollup and the sum of the rows agree up
    // to the kernel's per-mapping rounding (under 1 KiB each).
    let rows_pss: u64 = arr(&v, "mappings")
        .iter()
        .map(|r| r["pss_bytes"].as_u64().unwrap())
        .sum();
    assert!(
        total_pss.abs_diff(rows_pss) <= 1024 * ranges.len() as u64,
        "rollup pss {total_pss} vs sum of rows {rows_pss}"
    );
    let size: u64 = ranges.iter().map(|(s, e)| e - s).sum();
    assert_eq!(
        v["total"]["size_bytes"].as_u64(),
        Some(size),
        "size vs ranges"
    );
    if let Ok(m) = std::fs::read_to_string("/proc/sys/vm/max_map_count") {
        assert_eq!(v["max_map_count"].as_u64(), m.trim().parse().ok());
    }

    // Every mapping, in address order, equal to the kernel's smaps.
    let rows = arr(&v, "mappings");
    assert_eq!(rows.len(), smaps.len());
    for (r, k) in rows.iter().zip(&smaps) {
        assert_eq!(
            (hex_u64(&r["start"]), hex_u64(&r["end"])),
            (k.start, k.end),
            "{r}"
        );
        assert_eq!(r["perms"], k.perms.as_str(), "{r}");
        assert_eq!(r["path"], json_text(&k.path), "{r}");
        assert_eq!(r["rss_bytes"].as_u64(), Some(k.rss), "{r}");
        assert_eq!(r["swap_bytes"].as_u64(), Some(k.swap), "{r}");
        assert_eq!(r["size_bytes"].as_u64(), Some(k.end - k.start), "{r}");
        assert_eq!(r["size_bytes"].as_u64(), Some(k.size), "{r}");
    }
    let sum_rss: u64 = rows.iter().map(|r| r["rss_bytes"].as_u64().unwrap()).sum();
    let smaps_rss: u64 = smaps.iter().map(|k| k.rss).sum();
    assert_eq!(sum_rss, smaps_rss, "sum of rows' rss vs sum of smaps Rss");
    assert_eq!(sum_rss, rss, "smaps vs smaps_rollup (idle child)");

    // by_kind adds up.
    let kinds = v["by_kind"].as_object().expect("by_kind");
    let n: u64 = kinds
        .values()
        .map(|k| k["mappings"].as_u64().unwrap())
        .sum();
    let krss: u64 = kinds
        .values()
        .map(|k| k["rss_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(n, ranges.len() as u64, "by_kind mappings");
    assert_eq!(krss, smaps_rss, "by_kind rss");
    for k in [
        "heap",
        "stack",
        "anonymous",
        "file",
        "shared_memory",
        "kernel",
    ] {
        assert!(kinds.contains_key(k), "no {k} in by_kind: {kinds:?}");
    }

    // The files the child mapped appear in by_object with their path.
    let base = temp_str(&tmp);
    let objects = arr(&v, "by_object");
    let mapped = format!("{base}/mapped.dat");
    let o = objects
        .iter()
        .find(|o| o["path"] == mapped.as_str())
        .unwrap_or_else(|| panic!("{mapped} not in by_object: {objects:?}"));
    let k = smaps
        .iter()
        .find(|k| k.path == mapped.as_bytes())
        .expect("mapped.dat in smaps");
    assert_eq!(o["mappings"], 1);
    assert_eq!(o["size_bytes"], 256 * 1024);
    assert_eq!(o["rss_bytes"].as_u64(), Some(k.rss));
    let rss_order: Vec<u64> = objects
        .iter()
        .map(|o| o["rss_bytes"].as_u64().unwrap())
        .collect();
    assert!(
        rss_order.windows(2).all(|w| w[0] >= w[1]),
        "by_object largest RSS first: {rss_order:?}"
    );
    // The hostile name: the kernel writes its newline as `\012`; every
    // other byte raw. JSON holds the kernel's text, invalid bytes as \xNN.
    let hk = smaps
        .iter()
        .find(|k| k.path.starts_with(format!("{base}/map\x1b").as_bytes()))
        .expect("hostile mapping in smaps");
    let mut want = format!("{base}/").into_bytes();
    for &b in HOSTILE_MAP {
        if b == b'\n' {
            want.extend_from_slice(b"\\012");
        } else {
            want.push(b);
        }
    }
    assert_eq!(hk.path, want, "the kernel's spelling of the hostile path");
    assert!(
        objects.iter().any(|o| o["path"] == json_text(&want)),
        "hostile path in by_object: {objects:?}"
    );

    // --sort rss --top 3: three rows, descending rss, the largest first.
    let t = view(&["maps", &p, "--sort", "rss", "--top", "3"]);
    let top = arr(&t, "mappings");
    assert_eq!(top.len(), 3);
    let r: Vec<u64> = top
        .iter()
        .map(|m| m["rss_bytes"].as_u64().unwrap())
        .collect();
    assert!(r[0] >= r[1] && r[1] >= r[2], "{r:?}");
    let mut all: Vec<u64> = smaps.iter().map(|k| k.rss).collect();
    all.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(r, all[..3], "the three largest of smaps");
    assert_eq!(
        t["mapping_count"], v["mapping_count"],
        "summary ignores --top"
    );
    // --sort size: largest first.
    let s = view(&["maps", &p, "--sort", "size", "--top", "2"]);
    let mut sizes: Vec<u64> = ranges.iter().map(|(s, e)| e - s).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let got: Vec<u64> = arr(&s, "mappings")
        .iter()
        .map(|m| m["size_bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(got, sizes[..2]);

    // Human: no raw ESC or newline from the hostile path; one line per mapping.
    let text = human(&["maps", &p]);
    let table = table_lines(&text, "ADDRESS");
    assert_eq!(table.len(), ranges.len(), "one line per mapping:\n{text}");
    let hl = table
        .iter()
        .find(|l| l.contains("/map\\e[31m"))
        .unwrap_or_else(|| panic!("no escaped hostile mapping:\n{text}"));
    assert!(hl.ends_with("\\xff.dat"), "{hl}");
    assert!(
        text.contains(&format!("{} mappings", ranges.len())),
        "{text}"
    );
    drop(helper);
    drop(tmp);
}

// --------------------------------------------------------------- threads

/// /proc/PID/task as the test reads it: tid -> comm (without the newline).
fn task_names(pid: i32) -> BTreeMap<i64, Vec<u8>> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let tid: i64 = e.file_name().to_str()?.parse().ok()?;
            let mut comm = std::fs::read(e.path().join("comm")).ok()?;
            if comm.last() == Some(&b'\n') {
                comm.pop();
            }
            Some((tid, comm))
        })
        .collect()
}

#[test]
fn threads_equal_the_task_list() {
    let (helper, line) = python_helper("live_threads.py", &["30"]);
    assert_eq!(line, "READY");
    let pid = helper.pid();
    let p = pid.to_string();
    let tasks = task_names(pid);
    assert_eq!(tasks.len(), 31);

    let v = view(&["threads", &p]);
    assert_eq!(v["pid"], pid);
    assert_eq!(v["count"].as_u64(), Some(tasks.len() as u64));
    let rows = arr(&v, "threads");
    let got: BTreeMap<i64, String> = rows
        .iter()
        .map(|r| {
            (
                r["tid"].as_i64().unwrap(),
                r["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeMap<i64, String> = tasks.iter().map(|(t, c)| (*t, json_text(c))).collect();
    assert_eq!(got, want, "tid -> name vs /proc/PID/task/TID/comm");
    assert_eq!(
        v["groups"][0],
        json!({"pattern": "pool-#-thread-#", "count": 30})
    );
    let gsum: u64 = rows_sum(&v["groups"], "count");
    assert_eq!(gsum, 31, "groups add up");
    let ssum: u64 = v["states"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(ssum, 31, "states add up");
    for r in rows {
        assert!(r["cpu_seconds"].as_f64().is_some_and(|c| c >= 0.0), "{r}");
        assert!(r["voluntary_ctxt_switches"].is_u64(), "{r}");
        assert!(r["nonvoluntary_ctxt_switches"].is_u64(), "{r}");
        assert_eq!(r["state"].as_str().map(str::len), Some(1), "{r}");
    }
    // Default order: most CPU first, ties by tid.
    let cpu: Vec<(f64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["cpu_seconds"].as_f64().unwrap(),
                r["tid"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        cpu.windows(2)
            .all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)),
        "--sort cpu: {cpu:?}"
    );

    // --sort name: by name bytes, then tid.
    let n = view(&["threads", &p, "--sort", "name"]);
    let order: Vec<i64> = arr(&n, "threads")
        .iter()
        .map(|r| r["tid"].as_i64().unwrap())
        .collect();
    let mut want: Vec<(&Vec<u8>, i64)> = tasks.iter().map(|(t, c)| (c, *t)).collect();
    want.sort();
    let want: Vec<i64> = want.into_iter().map(|(_, t)| t).collect();
    assert_eq!(order, want, "--sort name");
    // --sort tid.
    let t = view(&["threads", &p, "--sort", "tid"]);
    let order: Vec<i64> = arr(&t, "threads")
        .iter()
        .map(|r| r["tid"].as_i64().unwrap())
        .collect();
    assert_eq!(
        order,
        tasks.keys().copied().collect::<Vec<_>>(),
        "--sort tid"
    );
    // --sort switches: most first within the output.
    let s = view(&["threads", &p, "--sort", "switches"]);
    let sw: Vec<u64> = arr(&s, "threads")
        .iter()
        .map(|r| {
            r["voluntary_ctxt_switches"].as_u64().unwrap()
                + r["nonvoluntary_ctxt_switches"].as_u64().unwrap()
        })
        .collect();
    assert!(
        sw.windows(2).all(|w| w[0] >= w[1]),
        "--sort switches: {sw:?}"
    );

    let text = human(&["threads", &p]);
    assert!(text.contains("31 threads"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("pool-#-thread-#") && l.trim_end().ends_with("x30")),
        "{text}"
    );
    assert_eq!(table_lines(&text, "TID ").len(), 31, "{text}");
    assert_eq!(
        task_names(pid),
        tasks,
        "the helper's threads did not change"
    );
    drop(helper);
}

fn rows_sum(v: &Value, key: &str) -> u64 {
    v.as_array()
        .expect("array")
        .iter()
        .map(|g| g[key].as_u64().expect("number"))
        .sum()
}

#[test]
fn threads_hostile_name_is_escaped() {
    let (helper, line) = python_helper("views_threads.py", &["hostile"]);
    assert_eq!(line, "READY");
    let pid = helper.pid();
    let p = pid.to_string();
    let tasks = task_names(pid);
    let (&tid, _) = tasks
        .iter()
        .find(|(_, c)| c.as_slice() == b"t\x1b[31m\n\xff")
        .expect("the kernel holds the hostile thread name");

    let out = run_ok(&["threads", &p, "--json"]);
    assert!(!out.stdout.contains(&0x1b), "raw ESC in JSON");
    let v = json(&out);
    let r = arr(&v, "threads")
        .iter()
        .find(|r| r["tid"] == tid)
        .expect("hostile thread row");
    assert_eq!(r["name"], "t\u{1b}[31m\n\\xff");
    assert_eq!(v["count"].as_u64(), Some(tasks.len() as u64));

    let text = human(&["threads", &p]);
    let table = table_lines(&text, "TID ");
    assert_eq!(
        table.len(),
        tasks.len(),
        "one line per thread (no raw newline in a name):\n{text}"
    );
    let line = table
        .iter()
        .find(|l| l.trim_start().starts_with(&format!("{tid} ")))
        .expect("hostile row");
    assert!(line.ends_with("t\\e[31m\\n\\xff"), "{line:?}");
    drop(helper);
}

#[test]
fn threads_while_threads_churn() {
    let (helper, line) = python_helper("views_threads.py", &["churn", "20"]);
    assert_eq!(line, "READY");
    let pid = helper.pid();
    let p = pid.to_string();
    let main_name = json_text(&task_names(pid)[&i64::from(pid)]);
    let mut seen = BTreeSet::new();
    for i in 0..30 {
        let args: Vec<&str> = if i % 3 == 2 {
            vec!["threads", &p, "--sort", "name", "--json"]
        } else {
            vec!["threads", &p, "--json"]
        };
        let out = proctor(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "run {i} {args:?}: stderr {}",
            common::stderr(&out)
        );
        assert!(
            out.stderr.is_empty(),
            "run {i}: stderr {}",
            common::stderr(&out)
        );
        let v = json(&out);
        let rows = arr(&v, "threads");
        assert_eq!(v["count"].as_u64(), Some(rows.len() as u64), "run {i}");
        assert!(
            rows.iter().any(|r| r["tid"] == pid),
            "run {i}: the main thread is always there"
        );
        assert_eq!(
            rows_sum(&v["groups"], "count"),
            rows.len() as u64,
            "run {i}"
        );
        for r in rows {
            let name = r["name"].as_str().unwrap();
            assert!(
                name == main_name || name.starts_with("churn-"),
                "run {i}: unexpected thread name {name:?}"
            );
        }
        seen.insert(rows.len());
    }
    eprintln!("note: thread counts seen during the churn: {seen:?}");
    drop(helper);
}

// ----------------------------------------------------------- unprivileged

#[test]
fn unprivileged_user_is_denied_with_a_hint() {
    let Some(nobody) = common::Nobody::new() else {
        return;
    };
    let child = Reaped::spawn(
        Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .stderr(Stdio::null()),
    );
    let pid = child.pid();
    wait_exec_sleeping(pid, b"sleep\x001000\x00");
    let p = pid.to_string();
    let run = |args: &[&str]| -> Output { nobody.run(args) };

    for args in [
        vec!["env", p.as_str()],
        vec!["env", p.as_str(), "--json"],
        vec!["fds", p.as_str()],
        vec!["fds", p.as_str(), "--json"],
        vec!["fds", p.as_str(), "--long"],
        vec!["maps", p.as_str()],
    ] {
        let out = run(&args);
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: stderr {err}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: stdout {}",
            common::stdout(&out)
        );
        assert!(err.contains("permission denied"), "{args:?}: {err}");
        assert!(
            err.lines()
                .any(|l| l.starts_with("hint:") && l.contains("root")),
            "{args:?}: no hint: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }

    // threads stays available to an unprivileged user.
    let out = run(&["threads", &p, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "threads: {}",
        common::stderr(&out)
    );
    let v = json(&out);
    assert_eq!(v["count"], 1);
    assert_eq!(v["threads"][0]["tid"], pid);
    assert_eq!(v["threads"][0]["name"], "sleep");
    drop(child);
    drop(nobody);
}
