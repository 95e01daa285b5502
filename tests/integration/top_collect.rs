//! The interactive `proctor top` collects on its own thread: while a scan
//! is slower than the interval, keys still take effect at once, the header
//! shows the real refresh period, and quitting (q, Ctrl-C, SIGTERM) in the
//! middle of a scan exits promptly with the terminal restored.
//!
//! A scan is made slow with `PROCTOR_TEST_SCAN_DELAY_MS` (debug builds
//! only: the collector sleeps that long before each of its scans). Slowing
//! it with real processes would take thousands of them per test (8,000
//! for about 1.6 s: bench/top_tui_refresh.sh measures that); the delay
//! gives scans of many seconds, so that "at once" and "promptly" can be
//! told apart from "after the scan" on a loaded machine.
//!
//! Driven through tmux as in `top_tui`: every wait polls the screen against
//! a deadline, the tmux server is killed by a guard on drop.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{Tmux, bin, fixture, proc_stat, root_args, stat_field};

/// Time allowed for the first frame.
const START: Duration = Duration::from_secs(60);
/// A scan under the delay: far longer than [`FAST`].
const SLOW_SCAN_MS: u64 = 40_000;
/// Time allowed for a key's effect, or for quitting, while a scan is under
/// way: generous, and far shorter than the scan.
const FAST: Duration = Duration::from_secs(12);
/// The table header, once per screen.
const HEADER: &str = "COMMAND";

/// `proctor top ARGS` on the v1-basic fixture tree, each scan of the
/// collector delayed by `delay_ms`, in a shell whose prompt is `$ `.
fn top_cmd(delay_ms: u64, args: &str) -> String {
    let r = root_args(&fixture("v1-basic"));
    format!(
        "clear; PROCTOR_TEST_SCAN_DELAY_MS={delay_ms} '{}' --proc-root '{}' --sys-root '{}' top {args}; echo EXIT=$?",
        bin(),
        r[1],
        r[3]
    )
}

/// A tmux session running an interactive shell with a bare prompt.
fn shell(tag: &str) -> Option<Tmux> {
    let t = Tmux::start(tag, 120, 40, "bash --norc --noprofile")?;
    t.type_text("PS1='$ ' ; clear");
    t.keys(&["Enter"]);
    t.wait("a prompt", FAST, |s| s.trim() == "$");
    Some(t)
}

/// The status line starts `sort COLUMN ARROW`.
fn sorted_by(screen: &str, column: &str, arrow: char) -> bool {
    screen
        .lines()
        .any(|l| l.starts_with(&format!("sort {column} {arrow} ")))
}

/// The header's late-refresh line: (real period in seconds, asked).
/// The real period is in seconds ("1.7s") from one second up, else in
/// milliseconds ("230ms").
fn late_line(screen: &str) -> Option<(f64, String)> {
    let l = screen.lines().find(|l| l.starts_with("refresh "))?;
    let rest = l.strip_prefix("refresh ")?;
    let (real, rest) = rest.split_once(" (asked ")?;
    let (asked, _) = rest.split_once(')')?;
    let secs = match real.strip_suffix("ms") {
        Some(ms) => ms.parse::<f64>().ok()? / 1000.0,
        None => real.strip_suffix('s')?.parse().ok()?,
    };
    Some((secs, asked.to_string()))
}

/// The terminal is back: main screen, cursor shown, cooked mode.
fn assert_restored(t: &Tmux, after: &str) {
    assert_eq!(
        t.format("#{alternate_on}"),
        "0",
        "alternate screen after {after}"
    );
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor after {after}");
    t.type_text("clear; echo STTY-$((20+1)); stty -a; echo STTY-$((21+1))");
    t.keys(&["Enter"]);
    let s = t.wait_for("STTY-22", FAST);
    let start = s.find("STTY-21").expect("start marker");
    let end = s.find("STTY-22").expect("end marker");
    let tokens: Vec<&str> = s[start..end]
        .split(|c: char| c.is_whitespace() || c == ';')
        .collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(tokens.contains(&flag), "after {after}: `{flag}` not set");
    }
}

/// proctor, the child of the pane's shell.
fn proctor_pid(t: &Tmux) -> i32 {
    let shell: i32 = t.format("#{pane_pid}").trim().parse().expect("pane pid");
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|&p| proc_stat(p).is_some_and(|f| stat_field(&f, 4) == shell as u64))
        .expect("proctor under the pane's shell")
}

/// While the collector is in a 40 s scan, a sort key takes effect within
/// seconds (before the scan ends: no late-refresh line yet).
#[test]
fn keys_take_effect_during_a_slow_scan() {
    let Some(t) = shell("collect-keys") else {
        return;
    };
    t.type_text(&top_cmd(SLOW_SCAN_MS, "--interval 10ms --sort cpu"));
    t.keys(&["Enter"]);
    t.wait("the table sorted by CPU%", START, |s| {
        s.contains(HEADER) && sorted_by(s, "CPU%", '▼')
    });
    // The collector's first scan starts 10 ms after the scan the view
    // opened with, before the first frame is drawn (the host facts and
    // the terminal's setup come between): the keys below arrive during it.
    let sent = Instant::now();
    t.keys(&["N"]);
    let s = t.wait("sorted by PID", FAST, |s| sorted_by(s, "PID", '▲'));
    assert!(late_line(&s).is_none(), "the scan had ended:\n{s}");
    t.keys(&["r"]);
    let s = t.wait("PID reversed", FAST, |s| sorted_by(s, "PID", '▼'));
    assert!(late_line(&s).is_none(), "the scan had ended:\n{s}");
    t.keys(&["t"]);
    let s = t.wait("tree view", FAST, |s| {
        s.lines()
            .any(|l| l.starts_with("sort ") && l.contains(" · tree"))
    });
    assert!(late_line(&s).is_none(), "the scan had ended:\n{s}");
    assert!(
        sent.elapsed() < Duration::from_millis(SLOW_SCAN_MS),
        "the keys took a whole scan"
    );
    t.keys(&["q"]);
    t.wait_for("EXIT=0", FAST);
}

/// A scan slower than the interval: the header shows the real refresh
/// period next to the asked one. No such line while scans keep up.
#[test]
fn header_shows_the_real_refresh_period() {
    let Some(t) = shell("collect-late") else {
        return;
    };
    // Scans keep up: two refreshes 1 s apart, no line (a period past
    // 1.1 s would be late: far more than a busy machine delays a wake-up).
    t.type_text(&top_cmd(0, "--interval 1s"));
    t.keys(&["Enter"]);
    let s = t.wait("a refresh", START, |s| s.contains("rates over 1.0s"));
    assert!(late_line(&s).is_none(), "late line while keeping up:\n{s}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", FAST);

    // Scans of at least 1.5 s at an interval of 200 ms.
    t.type_text(&top_cmd(1500, "--interval 200ms"));
    t.keys(&["Enter"]);
    let s = t.wait("the late-refresh line", START, |s| late_line(s).is_some());
    let (real, asked) = late_line(&s).expect("late line");
    assert_eq!(asked, "200ms", "{s}");
    assert!(
        real >= 1.5,
        "real period {real} s below the scan's 1.5 s:\n{s}"
    );
    // Rates are over the real period too.
    let s = t.wait("rates over the real period", START, |s| {
        s.lines().any(|l| {
            l.starts_with("sort ")
                && l.split("rates over ")
                    .nth(1)
                    .and_then(|r| r.split('s').next())
                    .and_then(|v| v.parse::<f64>().ok())
                    .is_some_and(|v| v >= 1.5)
        })
    });
    assert!(late_line(&s).is_some(), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", FAST);
}

/// q, Ctrl-C and SIGTERM in the middle of a 40 s scan: proctor exits
/// within seconds (the scan is not waited for), with the terminal restored.
#[test]
fn quitting_mid_scan_is_prompt() {
    let Some(t) = shell("collect-quit") else {
        return;
    };
    for (how, code) in [("q", 0), ("C-c", 130), ("SIGTERM", 130)] {
        t.type_text(&top_cmd(SLOW_SCAN_MS, "--interval 10ms"));
        t.keys(&["Enter"]);
        t.wait_for(HEADER, START);
        // The collector's first scan starts 10 ms after the one the view
        // opened with, before the first frame: it is under way now. A key
        // first, as in a session.
        t.keys(&["N"]);
        let s = t.wait("sorted by PID", FAST, |s| sorted_by(s, "PID", '▲'));
        assert!(late_line(&s).is_none(), "the scan had ended:\n{s}");
        let asked = Instant::now();
        if how == "SIGTERM" {
            let st = Command::new("kill")
                .args(["-TERM", &proctor_pid(&t).to_string()])
                .status()
                .expect("kill");
            assert!(st.success());
        } else {
            t.keys(&[how]);
        }
        let s = t.wait_for(&format!("EXIT={code}"), FAST);
        assert!(
            asked.elapsed() < Duration::from_millis(SLOW_SCAN_MS) / 2,
            "{how}: waited for the scan"
        );
        assert!(!s.contains(HEADER), "after {how}: table still shown:\n{s}");
        assert_restored(&t, how);
    }
}
