//! A unix socket name can forge a /proc/net/unix record: an unprivileged
//! process binds an abstract socket named "x\n<a whole record claiming the
//! victim's socket inode, LISTEN at /run/docker.sock>". proctor must never
//! show that record as the victim's, on the netlink path (proctor's own
//! namespace, or root entering the victim's) nor on the text path (an
//! unprivileged proctor looking at a process in another namespace).

use std::process::Command;

use serde_json::Value;

use crate::common::*;

fn all_output(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// The victim's socket rows from `net --json`, by inode.
fn rows_by_inode(v: &Value) -> std::collections::BTreeMap<u64, Value> {
    v["sockets"]
        .as_array()
        .expect("sockets")
        .iter()
        .map(|r| (r["inode"].as_u64().expect("inode"), r.clone()))
        .collect()
}

fn check_views(run: &dyn Fn(&[&str]) -> std::process::Output, pid: i32, unix: u64, netlink: u64) {
    let p = pid.to_string();
    for args in [
        vec!["net", &p],
        vec!["net", &p, "--json"],
        vec!["inspect", &p],
        vec!["inspect", &p, "--json"],
        vec!["fds", &p, "--json"],
    ] {
        let o = run(&args);
        let text = all_output(&o);
        assert!(
            !text.contains("docker.sock"),
            "{args:?} shows the forged record:\n{text}"
        );
    }
    let o = run(&["net", &p, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", all_output(&o));
    let rows = rows_by_inode(&json(&o));
    let u = &rows[&unix];
    assert_eq!(u["proto"], "unix", "{u}");
    assert_ne!(u["state"], "LISTEN", "{u}");
    assert!(u["local"].is_null(), "{u}");
    let n = &rows[&netlink];
    assert_eq!(
        n["proto"], "other",
        "the netlink socket is no unix socket: {n}"
    );
    let listening = json(&o)["summary"].to_string();
    assert!(!listening.contains("docker"), "{listening}");
}

#[test]
fn a_socket_name_cannot_forge_a_record_on_the_netlink_path() {
    let (victim, line) = python_helper("unix_forge.py", &["victim"]);
    let ino = ready_numbers(&line, 2);
    let (unix, netlink) = (ino[0] as u64, ino[1] as u64);
    let (_forger, _) = python_helper(
        "unix_forge.py",
        &["forge", &unix.to_string(), &netlink.to_string()],
    );
    check_views(&|a: &[&str]| proctor(a), victim.pid(), unix, netlink);
    // The real record: a connected stream socket of the pair.
    let v = json(&proctor(&["net", &victim.pid().to_string(), "--json"]));
    assert_eq!(rows_by_inode(&v)[&unix]["state"], "CONNECTED");
}

#[test]
fn a_socket_name_cannot_forge_a_record_on_the_text_path() {
    if !require(
        "root (to start processes as nobody in a network namespace)",
        is_root(),
    ) {
        return;
    }
    for tool in ["unshare", "nsenter", "setpriv", "runuser"] {
        if !require(&format!("{tool} (util-linux)"), which(tool).is_some()) {
            return;
        }
    }
    let nobody = Nobody::new().expect("root and runuser");
    let py = real_python();
    let as_nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    // The victim, unprivileged, in a network namespace of its own: an
    // unprivileged proctor can read its descriptors but cannot enter its
    // namespace, so sockets come from the text tables.
    let (victim, line) = spawn_ready(
        Command::new("unshare")
            .arg("-n")
            .arg("setpriv")
            .args(as_nobody)
            .arg(&py)
            .arg(helper_path("unix_forge.py"))
            .arg("victim"),
    );
    let ino = ready_numbers(&line, 2);
    let (unix, netlink) = (ino[0] as u64, ino[1] as u64);
    let (_forger, _) = spawn_ready(
        Command::new("nsenter")
            .arg(format!("--net=/proc/{}/ns/net", victim.pid()))
            .arg("setpriv")
            .args(as_nobody)
            .arg(&py)
            .arg(helper_path("unix_forge.py"))
            .args(["forge", &unix.to_string(), &netlink.to_string()]),
    );
    check_views(&|a: &[&str]| nobody.run(a), victim.pid(), unix, netlink);
    // Root enters the namespace and asks sock_diag: the real record.
    let v = json(&proctor(&["net", &victim.pid().to_string(), "--json"]));
    assert_eq!(rows_by_inode(&v)[&unix]["state"], "CONNECTED");
    let text = v.to_string();
    assert!(!text.contains("docker.sock"), "{text}");
}
