//! `proctor serve --record FILE`: the exporter's agent writes the history
//! from its own scans (one process does both): a live child is in the file
//! with its values, SIGTERM ends both cleanly (the run finished, the file
//! whole), a full disk stops the exporter with one line and exit 2, and a
//! file another recorder holds is refused before the port is bound.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use proctor::store::read::{Reader, Window};
use proctor::store::{ProcMetric, ProcessHistory};

use crate::common::{Reaped, TempDir, bin, marker, wait_exit, wait_until, without_overrides};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve_recording(file: &std::path::Path, port: u16) -> Reaped {
    let listen = format!("127.0.0.1:{port}");
    Reaped::spawn(
        without_overrides(Command::new(bin()).args([
            "serve",
            "--listen",
            &listen,
            "--interval",
            "200ms",
            "--record",
        ]))
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped()),
    )
}

fn stderr_of(child: &mut Reaped) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    err
}

/// The recorded lives of processes named `comm`.
fn lives(file: &std::path::Path, comm: &str) -> Vec<ProcessHistory> {
    let Ok(r) = Reader::open(file) else {
        return Vec::new();
    };
    r.load(&Window::default())
        .processes
        .into_iter()
        .filter(|p| p.comm == comm.as_bytes())
        .collect()
}

#[test]
fn the_exporter_records_a_live_child_and_finishes_the_run_on_sigterm() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("serve-record");
    let file = dir.path().join("history.db");
    let name = marker("srvrec");
    // A child with 40 descriptors open (/dev/null), named for the test.
    let mut child_cmd = Command::new("python3");
    child_cmd.args([
        "-c",
        &format!(
            "import sys, time, ctypes\nlibc = ctypes.CDLL(None)\nlibc.prctl(15, b'{name}', 0, 0, 0)\n\
             fs = [open('/dev/null') for _ in range(40)]\nprint('ready', flush=True)\ntime.sleep(120)\n"
        ),
    ]);
    let (child, line) = crate::common::spawn_ready(&mut child_cmd);
    assert_eq!(line, "ready");
    let port = free_port();
    let mut serve = serve_recording(&file, port);
    wait_until(
        "the child in the history, with 3 scans",
        Duration::from_secs(60),
        || lives(&file, &name).first().is_some_and(|p| p.last >= 2),
    );
    let fds_now = crate::common::fd_entries(child.pid());
    let pid = rustix::process::Pid::from_raw(serve.pid()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = wait_exit(
        &mut serve.0,
        Duration::from_secs(10),
        "serve --record after SIGTERM",
    );
    let err = stderr_of(&mut serve);
    assert_eq!(status.code(), Some(0), "{err}");

    let r = Reader::open(&file).expect("the history opens");
    assert_eq!(r.integrity().unwrap(), vec!["ok".to_string()]);
    let h = r.load(&Window::default());
    assert!(h.damage.is_empty(), "{:?}", h.damage);
    let p: Vec<&ProcessHistory> = h
        .processes
        .iter()
        .filter(|p| p.comm == name.as_bytes())
        .collect();
    assert_eq!(p.len(), 1, "one life of the child");
    let p = p[0];
    assert_eq!(p.pid, child.pid());
    assert!(!p.exited, "the child was alive when serve stopped");
    // Alive until the last scan: the run was finished on SIGTERM.
    assert_eq!(p.last as usize, h.scans.len() - 1);
    let last = p.last;
    assert_eq!(p.series(ProcMetric::Fds).at(last), Some(Some(fds_now)));
    assert_eq!(p.series(ProcMetric::Threads).at(last), Some(Some(1)));
    let rss = p.series(ProcMetric::Rss).at(last).flatten().expect("rss");
    assert!(rss > 1000, "python's RSS in KiB: {rss}");
    // The exporter's own scans: one run, host-wide (other processes too).
    assert_eq!(h.runs.len(), 1);
    assert!(h.runs[0].info.targets.is_empty());
    assert!(h.processes.len() > 3);
    drop(child);
}

#[test]
fn a_full_disk_stops_the_exporter_with_one_line_and_exit_2() {
    let _timing = crate::common::heavy();
    if !crate::common::require(
        "root, to mount a tmpfs",
        rustix::process::geteuid().is_root(),
    ) {
        return;
    }
    let dir = TempDir::new("serve-record-full");
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !crate::common::require("mount -t tmpfs", ok) {
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let file = mnt.join("history.db");
    let port = free_port();
    let mut serve = serve_recording(&file, port);
    let status = wait_exit(
        &mut serve.0,
        Duration::from_secs(120),
        "serve --record on a full disk",
    );
    let err = stderr_of(&mut serve);
    assert_eq!(status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("error: no space left to write "),
        "{err}"
    );
    assert!(lines[1].starts_with("hint: free space"), "{err}");
    // Whatever was committed is whole: the file is a whole history, or
    // (full before its creation ended) it was never linked into place.
    match Reader::open(&file) {
        Ok(r) => assert_eq!(r.integrity().unwrap(), vec!["ok".to_string()]),
        Err(proctor::store::StoreError::Missing { .. }) => {}
        Err(e) => panic!("a half-made history was left: {e}"),
    }
    // The server stopped with the agent: the port is free.
    TcpListener::bind(("127.0.0.1", port)).expect("the port freed");
}

#[test]
fn a_file_another_recorder_holds_is_refused_before_the_port_is_bound() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("serve-record-locked");
    let file = dir.path().join("history.db");
    let mut first = Reaped::spawn(
        without_overrides(Command::new(bin()).args(["record", "--interval", "200ms", "-o"]))
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until(
        "the first recorder's first scan",
        Duration::from_secs(60),
        || {
            Reader::open(&file)
                .ok()
                .and_then(|r| r.span().ok().flatten())
                .is_some()
        },
    );
    let port = free_port();
    let mut serve = serve_recording(&file, port);
    let status = wait_exit(
        &mut serve.0,
        Duration::from_secs(30),
        "serve --record on a locked file",
    );
    let err = stderr_of(&mut serve);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("is locked: another proctor record"), "{err}");
    assert!(err.contains("hint: stop the other recorder first"), "{err}");
    TcpListener::bind(("127.0.0.1", port)).expect("the port never bound");
    assert!(
        first.0.try_wait().unwrap().is_none(),
        "the first recorder goes on"
    );
    drop(first);
}
