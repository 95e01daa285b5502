//! The security review of issue 9: attacks on the merged fixes, each a
//! test that failed before its fix (see the report of the review).

use crate::common::*;

/// The raw bytes a terminal would act on: ESC, BEL, CR, C1 CSI (U+009B) and
/// the right-to-left override (U+202E).
fn terminal_controls(out: &[u8]) -> Vec<&'static str> {
    let bad: [(&[u8], &str); 5] = [
        (b"\x1b", "ESC"),
        (b"\x07", "BEL"),
        (b"\r", "CR"),
        (b"\xc2\x9b", "C1 CSI"),
        (b"\xe2\x80\xae", "RLO"),
    ];
    bad.iter()
        .filter(|(b, _)| out.windows(b.len()).any(|w| w == *b))
        .map(|(_, n)| *n)
        .collect()
}

/// A crafted `--proc-root` whose smaps header has an escape sequence where
/// the four permission bytes are (`\e[2J` is exactly four bytes): `maps`
/// printed them raw and cleared the screen.
#[test]
fn maps_escapes_the_permission_bytes_of_a_crafted_smaps() {
    let t = fixture_copy("maps");
    let smaps = t.path().join("proc/4444/smaps");
    let d = std::fs::read(&smaps).expect("read smaps");
    let i = d
        .windows(6)
        .position(|w| w == b" r--p ")
        .expect("an r--p mapping");
    let mut e = d.clone();
    e[i + 1..i + 5].copy_from_slice(b"\x1b[2J");
    std::fs::write(&smaps, e).expect("write smaps");
    let o = proctor_at(t.path(), &["maps", "4444"]);
    assert_ok(&o, "maps on a crafted smaps");
    assert_eq!(
        terminal_controls(&o.stdout),
        Vec::<&str>::new(),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("\\e[2J"), "{}", stdout(&o));
}

/// A thread whose `task/N/status` cannot be read (it exited after its stat
/// was read, or a tree without it): its switch counters are `?`, and the
/// JSON said nothing in `unavailable`, so a null read as "not applicable".
#[test]
fn threads_lists_a_thread_status_it_could_not_read_as_unavailable() {
    let t = fixture_copy("v1-basic");
    std::fs::remove_file(t.path().join("proc/4242/task/3164/status")).expect("rm status");
    let o = proctor_at(t.path(), &["threads", "4242", "--json"]);
    assert_ok(&o, "threads on a tree without one thread's status");
    let v = json(&o);
    let row = v["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .find(|r| r["tid"] == 3164)
        .expect("thread 3164 listed")
        .clone();
    assert!(row["voluntary_ctxt_switches"].is_null(), "{row}");
    let un = v["unavailable"].as_array().expect("unavailable");
    assert_eq!(un.len(), 1, "{un:?}");
    assert_eq!(un[0]["section"], "context_switches", "{un:?}");
    assert_eq!(un[0]["reason"], "not_supported", "{un:?}");
    assert!(un[0]["detail"].as_str().unwrap().contains("3164"), "{un:?}");
}

/// `fds` when `limits` cannot be read: the limit and the percentage were
/// null with nothing in the JSON saying why (and no word in the table), as
/// if the process had no limit.
#[test]
fn fds_says_when_the_descriptor_limit_could_not_be_read() {
    let t = fixture_copy("v1-basic");
    std::fs::remove_file(t.path().join("proc/4242/limits")).expect("rm limits");
    let o = proctor_at(t.path(), &["fds", "4242", "--json"]);
    assert_ok(&o, "fds without limits");
    let v = json(&o);
    assert!(v["soft_limit"].is_null(), "{v}");
    let un = v["unavailable"].as_array().expect("unavailable list");
    assert_eq!(un.len(), 1, "{un:?}");
    assert_eq!(un[0]["section"], "limits", "{un:?}");
    assert_eq!(un[0]["reason"], "not_supported", "{un:?}");
    let o = proctor_at(t.path(), &["fds", "4242"]);
    assert_ok(&o, "fds without limits (table)");
    assert!(stdout(&o).contains("limit unknown: "), "{}", stdout(&o));
}

/// A live process with escape sequences, a CR, a C1 CSI and U+202E in its
/// name, a thread's name, its cwd, an open file, a mapped file, a unix
/// socket path and an environment variable's name and value: no view,
/// human or JSON, lets one of them reach the output raw.
#[test]
fn escape_sequences_in_every_field_of_a_live_process_stay_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("review-esc");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(helper_path("review_escapes.py"))
        .arg(dir.path())
        .env(
            std::ffi::OsStr::from_bytes(b"EV\x1b[2J\xe2\x80\xae"),
            std::ffi::OsStr::from_bytes(b"v\x1b]0;T\x07\xc2\x9b"),
        )
        .stderr(std::process::Stdio::null());
    let (child, line) = spawn_ready(&mut cmd);
    let tid = ready_numbers(&line, 1)[0];
    let pid = child.pid().to_string();
    for view in ["inspect", "fds", "net", "env", "maps", "threads"] {
        for json_flag in [false, true] {
            let mut args = vec![view, pid.as_str()];
            if json_flag {
                args.push("--json");
            }
            let o = proctor(&args);
            assert!(
                matches!(o.status.code(), Some(0 | 1 | 3)),
                "{args:?}: {}",
                stderr(&o)
            );
            let mut all = o.stdout.clone();
            all.extend_from_slice(&o.stderr);
            assert_eq!(terminal_controls(&all), Vec::<&str>::new(), "{args:?}");
        }
    }
    // The fields were there to be escaped (not simply left out).
    let o = proctor(&["threads", &pid]);
    assert!(stdout(&o).contains(&tid.to_string()), "{}", stdout(&o));
    assert!(stdout(&o).contains("T\\e[2J\\u{202e}"), "{}", stdout(&o));
    let o = proctor(&["net", &pid]);
    assert!(stdout(&o).contains("\\e]0;PWNED\\x07"), "{}", stdout(&o));
    let o = proctor(&["env", &pid]);
    assert!(stdout(&o).contains("EV\\e[2J\\u{202e}="), "{}", stdout(&o));
    drop(child);
}

/// An error that quotes a path the user gave (`--proc-root`, or
/// PROCTOR_PROC_ROOT from a script's environment) printed it raw on
/// stderr: `\e[2J` cleared the terminal.
#[test]
fn error_messages_never_carry_raw_control_characters() {
    use std::os::unix::ffi::OsStrExt;
    let root = std::ffi::OsStr::from_bytes(b"/nonexistent-\x1b[2J\xe2\x80\xae\n");
    let o = proctor_cmd(["top", "--once", "--proc-root"])
        .arg(root)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run proctor");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        terminal_controls(&o.stderr),
        Vec::<&str>::new(),
        "{}",
        stderr(&o)
    );
    let e = stderr(&o);
    assert!(
        e.starts_with("error: proc root /nonexistent-\\e[2J\\u{202e}\\n is not a directory\n"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 2, "{e}");
}

/// Peak RSS in KiB of one proctor run (wait4 through bounded_maxrss.py).
fn peak_rss_kib(args: &[&str]) -> u64 {
    let t = TempDir::new("review-maxrss");
    let report = t.path().join("rusage");
    let mut cmd = std::process::Command::new(real_python());
    cmd.arg(helper_path("bounded_maxrss.py"))
        .arg(&report)
        .arg(bin())
        .args(args);
    without_overrides(&mut cmd);
    let out = run_bounded(&mut cmd);
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(&report).expect("rusage report");
    text.split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .expect("ru_maxrss")
}

/// `doctor` asked for every socket kind of every surveyed process to find
/// CLOSE_WAIT (TCP only), so it held a record, name included, for each
/// unix socket on the host: 95,000 unix sockets in five unprivileged
/// processes added 23 MiB to its peak (64 MiB at about 250,000 sockets,
/// which any user can hold). It now asks for TCP sockets only. The growth
/// is measured against a run just before, so the host's own sockets cancel
/// out.
#[test]
fn doctor_memory_does_not_hold_the_hosts_unix_sockets() {
    let base = peak_rss_kib(&["doctor"]);
    let holders: Vec<Reaped> = (0..5)
        .map(|_| {
            let (c, line) = python_helper("review_sockets.py", &["19000"]);
            assert!(
                line.starts_with("READY "),
                "needs RLIMIT_NOFILE >= 19,064: {line}"
            );
            c
        })
        .collect();
    let held = peak_rss_kib(&["doctor"]);
    drop(holders);
    let growth = held.saturating_sub(base);
    // Before: about 24,000 KiB; after: about 8,500 (inode sets).
    assert!(
        growth < 16 * 1024,
        "doctor grew by {growth} KiB for 95,000 unix sockets ({base} -> {held} KiB)"
    );
}
