//! Secrets in command lines and environments of real processes: masked as
//! `****` by `inspect` (human and JSON), `top --once` (table and JSON),
//! the interactive `top` (table and its inspect panel), `env`, the list of
//! an ambiguous target, and `doctor`; shown by `--reveal`.
//!
//! The secret is `hunter2` in every shape; a test fails if it appears in
//! any masked output.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{Reaped, Tmux, bin, json, marker, proctor, real_python, spawn_ready, stderr};

const SECRET: &str = "hunter2";

/// The arguments after the marker: one secret in each shape.
fn secret_args() -> Vec<String> {
    vec![
        format!("--db=postgres://app:{SECRET}@db:5432/main"),
        "--password".into(),
        SECRET.into(),
        format!("-Dapp.db.password={SECRET}"),
        format!("--api-key={SECRET}"),
        format!("https://ghp_{SECRET}{SECRET}{SECRET}x@github.com/o/r.git"),
        format!("https://api.example.com/v1?user=bob&token={SECRET}"),
    ]
}
/// How many secrets [`secret_args`] holds.
const SECRETS: u64 = 6;

/// A sleeping python3 whose command line is `python3 -c CODE MARKER
/// SECRET_ARGS...` and whose environment holds secrets too.
fn child(m: &str) -> Reaped {
    let (c, ready) = spawn_ready(
        Command::new(real_python())
            .args([
                "-c",
                "import sys, time; print('READY', flush=True); time.sleep(300)",
                m,
            ])
            .args(secret_args())
            .env("DATABASE_URL", format!("postgres://app:{SECRET}@db/x"))
            .env("API_TOKEN", SECRET)
            .env("AUTHOR", "jane")
            .env("SESSIONS_DIR", "/var/sessions")
            .env("AUTHORIZED_KEYS", "/etc/keys")
            .stderr(Stdio::null()),
    );
    assert_eq!(ready, "READY");
    c
}

/// A sleeping python3 with a short command line (the list of an
/// ambiguous target cuts each at 100 characters):
/// `py -c CODE --db=postgres://app:SECRET@db MARKER`.
fn short_child(m: &str) -> Reaped {
    use std::os::unix::process::CommandExt;
    let (c, ready) = spawn_ready(
        Command::new(real_python())
            .arg0("py")
            .args([
                "-c",
                "print('READY',flush=1);import time;time.sleep(300)",
                &format!("--db=postgres://app:{SECRET}@db"),
                m,
            ])
            .stderr(Stdio::null()),
    );
    assert_eq!(ready, "READY");
    c
}

fn out(args: &[&str]) -> String {
    let o = proctor(args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: status {:?}, stderr {}",
        o.status,
        stderr(&o)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn inspect_masks_the_command_line_and_reveal_shows_it() {
    let m = marker("pmask-inspect");
    let c = child(&m);
    let pid = c.pid().to_string();

    let human = out(&["inspect", &pid]);
    assert!(!human.contains(SECRET), "inspect leaked:\n{human}");
    assert!(
        human.contains("--db=postgres://app:****@db:5432/main --password **** -Dapp.db.password=**** --api-key=**** https://****@github.com/o/r.git https://api.example.com/v1?user=bob&token=****"),
        "{human}"
    );
    assert!(
        human.contains("(6 secrets masked, --reveal shows)"),
        "{human}"
    );

    let j = json(&proctor(&["inspect", &pid, "--json"]));
    assert!(
        !j.to_string().contains(SECRET),
        "inspect --json leaked: {j}"
    );
    assert_eq!(j["cmdline_secrets_masked"], SECRETS);
    let args = j["cmdline"].as_array().expect("cmdline array");
    assert_eq!(args[3], m.as_str());
    assert_eq!(args[4], "--db=postgres://app:****@db:5432/main");
    assert_eq!(args[5], "--password");
    assert_eq!(args[6], "****");

    for reveal in [
        vec!["inspect", &pid, "--reveal"],
        vec!["--reveal", "inspect", &pid],
    ] {
        let shown = out(&reveal);
        assert!(
            shown.contains(&secret_args().join(" ")),
            "{reveal:?} did not reveal:\n{shown}"
        );
        assert!(!shown.contains("secrets masked"), "{shown}");
    }
    let j = json(&proctor(&["inspect", &pid, "--json", "--reveal"]));
    assert_eq!(j["cmdline_secrets_masked"], 0);
    assert_eq!(j["cmdline"][4], secret_args()[0].as_str());
    drop(c);
}

#[test]
fn top_once_masks_table_and_json() {
    let m = marker("pmask-top");
    let c = child(&m);
    let pid = c.pid();

    let table = out(&["top", "--once", "--filter", &m]);
    assert!(!table.contains(SECRET), "top --once leaked:\n{table}");
    let row = table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&pid.to_string()))
        .unwrap_or_else(|| panic!("no row for {pid}:\n{table}"));
    assert!(
        row.contains(&format!(
            "{m} --db=postgres://app:****@db:5432/main --password ****"
        )),
        "{row}"
    );

    let j = json(&proctor(&["top", "--once", "--json", "--filter", &m]));
    assert!(!j.to_string().contains(SECRET), "top --json leaked: {j}");
    let rows = j.as_array().expect("array");
    let r = rows
        .iter()
        .find(|r| r["pid"] == pid)
        .unwrap_or_else(|| panic!("no row for {pid}: {j}"));
    assert_eq!(r["cmdline_secrets_masked"], SECRETS);
    assert!(
        r["cmdline"]
            .as_str()
            .expect("cmdline")
            .ends_with("-Dapp.db.password=**** --api-key=**** https://****@github.com/o/r.git https://api.example.com/v1?user=bob&token=****"),
        "{r}"
    );

    // A filter matches what is shown: the secret finds nothing unless revealed.
    let j = json(&proctor(&["top", "--once", "--json", "--filter", SECRET]));
    assert!(
        !j.as_array().expect("array").iter().any(|r| r["pid"] == pid),
        "{j}"
    );
    let j = json(&proctor(&[
        "top", "--once", "--json", "--reveal", "--filter", &m,
    ]));
    let r = j
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["pid"] == pid)
        .cloned()
        .unwrap_or_else(|| panic!("no row for {pid}"));
    assert_eq!(r["cmdline_secrets_masked"], 0);
    assert!(
        r["cmdline"]
            .as_str()
            .expect("cmdline")
            .ends_with(&secret_args().join(" ")),
        "{r}"
    );
    let table = out(&["top", "--once", "--reveal", "--filter", &m]);
    assert!(table.contains(&secret_args()[0]), "{table}");
    drop(c);
}

#[test]
fn env_masks_by_name_component_and_value_shape() {
    let m = marker("pmask-env");
    let c = child(&m);
    let pid = c.pid().to_string();
    let j = json(&proctor(&["env", &pid, "--json"]));
    assert!(!j.to_string().contains(SECRET), "env leaked: {j}");
    assert_eq!(j["vars"]["API_TOKEN"], "****");
    assert_eq!(j["vars"]["DATABASE_URL"], "postgres://app:****@db/x");
    // Names that merely contain a keyword are shown.
    assert_eq!(j["vars"]["AUTHOR"], "jane");
    assert_eq!(j["vars"]["SESSIONS_DIR"], "/var/sessions");
    assert_eq!(j["vars"]["AUTHORIZED_KEYS"], "/etc/keys");
    // --reveal after the command (as documented for env) and before it.
    for args in [
        vec!["env", &pid, "--json", "--reveal"],
        vec!["--reveal", "env", &pid, "--json"],
    ] {
        let j = json(&proctor(&args));
        assert_eq!(j["vars"]["API_TOKEN"], SECRET, "{args:?}");
        assert_eq!(j["revealed"], true);
    }
    drop(c);
}

#[test]
fn ambiguous_target_list_and_doctor_never_show_secrets() {
    let m = marker("pmask-ambig");
    let a = short_child(&m);
    let b = short_child(&m);
    // Two processes match the marker: the error lists both, masked.
    for args in [vec!["inspect", &m[..]], vec!["--reveal", "inspect", &m[..]]] {
        let o = proctor(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(&a.pid().to_string()) && e.contains(&b.pid().to_string()),
            "{e}"
        );
        assert!(e.contains("app:****@db"), "{e}");
        assert!(!e.contains(SECRET), "the list leaked:\n{e}");
    }
    // doctor shows no command line; its whole report holds no secret.
    let o = proctor(&["doctor", "--all", "--json"]);
    // 3 when the host holds a process root cannot fully read.
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", stderr(&o));
    let j = json(&o);
    assert!(!j.to_string().contains(SECRET), "doctor leaked: {j}");
    drop((a, b));
}

/// The interactive table and its inspect panel (Enter) mask the command
/// line; with `--reveal` both show it. The filter is typed in the view (on
/// proctor's own command line it would match proctor too).
#[test]
fn tui_masks_table_and_inspect_panel() {
    const WAIT: Duration = Duration::from_secs(20);
    let m = marker("pmask-tui");
    let c = child(&m);
    let pid = c.pid().to_string();
    for reveal in [false, true] {
        let flag = if reveal { "--reveal" } else { "" };
        let cmd = format!("'{}' top {flag}; echo EXIT=$?; sleep 60", bin());
        let t = Tmux::start("mask", 250, 40, &cmd).expect("tmux is needed for this test");
        t.wait_for("COMMAND", WAIT);
        t.keys(&["\\"]);
        t.wait_for("(Enter to keep, Esc to clear)", WAIT);
        t.type_text(&m);
        t.wait_for(&format!("filter: {m}"), WAIT);
        t.keys(&["Enter"]);
        let screen = t.wait_for(&format!("filter: {m} (1 shown)"), WAIT);
        assert!(
            screen
                .lines()
                .any(|l| l.split_whitespace().next() == Some(pid.as_str())),
            "{screen}"
        );
        if reveal {
            assert!(screen.contains(&secret_args()[0]), "{screen}");
        } else {
            assert!(!screen.contains(SECRET), "table leaked:\n{screen}");
            assert!(screen.contains("--db=postgres://app:****@db"), "{screen}");
        }
        t.keys(&["Enter"]);
        t.wait_for(&format!(" inspect {pid} "), WAIT);
        let panel = t.wait("the Command row", WAIT, |s| s.contains("Command"));
        if reveal {
            assert!(panel.contains(&secret_args()[0]), "{panel}");
        } else {
            assert!(!panel.contains(SECRET), "inspect panel leaked:\n{panel}");
            assert!(panel.contains("app:****@db"), "{panel}");
        }
        drop(t);
    }
    drop(c);
}
