//! The interactive `proctor top` (ratatui) driven through tmux: a detached
//! session of a fixed size on a private tmux server per test (`-L`), keys
//! sent with `send-keys`, the screen read with `capture-pane`.
//!
//! Every wait polls the screen against a deadline (no fixed sleeps), every
//! child is a [`Reaped`], and the tmux server is killed by a guard on drop,
//! also when an assertion fails. Without tmux the tests print a note and
//! pass.
//!
//! Escape is always sent on its own and followed by a poll for its effect:
//! an Escape read together with the next key is Alt+key to crossterm.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::{
    HostFiles, Reaped, Tmux, bin, fixture, fixture_copy, host_fixture, marker, nofile_limits,
    python_helper, replace_in_file, root_args, set_stat_field,
};

/// Time allowed for the first frame (the first scan of every process
/// happens before the terminal is set up).
const START: Duration = Duration::from_secs(60);
/// Time allowed for the effect of a key.
const KEY: Duration = Duration::from_secs(30);
/// Time allowed for a watch panel to gather the samples of a verdict
/// (eight at 500 ms: 4 s on an idle host; missed deadlines are skipped, so
/// a loaded host takes longer).
const SAMPLES: Duration = Duration::from_secs(120);

/// The table header, once per screen; `CSW/s` is only in the header.
/// The last column of the table header, present at every width.
const HEADER: &str = "COMMAND";

/// `proctor top ARGS`, then its exit status on the screen, then a pause so
/// the pane stays readable.
fn top_cmd(args: &str) -> String {
    format!("'{}' top {args}; echo EXIT=$?; sleep 60", bin())
}

/// An idle `top_child.py` whose command line contains `marker`.
fn idle_child(marker: &str) -> Reaped {
    let (c, ready) = python_helper("top_child.py", &["idle", marker]);
    assert_eq!(ready, "READY");
    c
}

/// `q`: proctor top ends with exit status 0.
fn quit(t: &Tmux) {
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

/// The table header line (the status line names COMMAND too when it is
/// the sort key: `sort COMMAND ▲`).
fn is_header(line: &str) -> bool {
    line.contains(HEADER) && !line.starts_with("sort ")
}

/// The table header line.
fn header(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| is_header(l))
        .unwrap_or_else(|| panic!("no table header on screen:\n{screen}"))
}

/// The status line (the one above the table header).
fn status(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.starts_with("sort "))
        .unwrap_or_else(|| panic!("no status line on screen:\n{screen}"))
}

/// The table rows below the header: (PID, whitespace-separated cells).
fn rows(screen: &str) -> Vec<(i32, Vec<&str>)> {
    screen
        .lines()
        .skip_while(|l| !is_header(l))
        .skip(1)
        .map_while(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            let pid = cells.first()?.parse::<i32>().ok()?;
            Some((pid, cells))
        })
        .collect()
}

/// Numeric directories of /proc: every process now.
fn proc_pids() -> Vec<i32> {
    let mut v: Vec<i32> = std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    v.sort_unstable();
    v
}

/// `proctor --proc-root ROOT/proc --sys-root ROOT/sys top ARGS`, as
/// [`top_cmd`] does on the live host.
fn top_cmd_at(root: &Path, args: &str) -> String {
    let r = root_args(root);
    format!(
        "'{}' --proc-root '{}' --sys-root '{}' top {args}; echo EXIT=$?; sleep 60",
        bin(),
        r[1],
        r[3]
    )
}

/// The PIDs of the table rows, top to bottom.
fn order(screen: &str) -> Vec<i32> {
    rows(screen).iter().map(|r| r.0).collect()
}

/// Columns whose header (and arrow) is right-aligned: the arrow comes
/// first (`▼CPU%`); the others carry it last (`USER▲`).
const RIGHT: [&str; 7] = ["PID", "CPU%", "RSS", "THR", "FDS", "FD%", "CSW/s"];

/// The status line says `sort COLUMN ARROW` and the table header marks
/// that column, and only it, with the same arrow.
fn sorted_by(screen: &str, column: &str, arrow: char) -> bool {
    let Some(st) = screen.lines().find(|l| l.starts_with("sort ")) else {
        return false;
    };
    let Some(h) = screen.lines().find(|l| is_header(l)) else {
        return false;
    };
    let mark = if RIGHT.contains(&column) {
        format!("{arrow}{column}")
    } else {
        format!("{column}{arrow}")
    };
    let marked = h.split_whitespace().any(|w| w == mark) && h.matches(['▲', '▼']).count() == 1;
    st.starts_with(&format!("sort {column} {arrow} ")) && marked
}

/// The COMMAND cell of `pid`'s row (from the header's COMMAND column).
fn command_cell(screen: &str, pid: i32) -> String {
    let h = header(screen);
    let col = h[..h.find(HEADER).unwrap()].chars().count();
    let line = screen
        .lines()
        .skip_while(|l| !is_header(l))
        .skip(1)
        .find(|l| l.split_whitespace().next() == Some(&pid.to_string()))
        .unwrap_or_else(|| panic!("no row for {pid}:\n{screen}"));
    line.chars()
        .skip(col)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Type a filter: `\`, the text, Enter; waits until it is applied.
fn filter(t: &Tmux, text: &str, shown: usize) -> String {
    t.keys(&["\\"]);
    t.wait_for("(Enter to keep, Esc to clear)", KEY);
    t.type_text(text);
    t.wait_for(&format!("filter: {text}"), KEY);
    t.keys(&["Enter"]);
    t.wait_for(&format!("filter: {text} ({shown} shown)"), KEY)
}

/// Tokens of `stty -a` (printed between two markers the shell computes, so
/// the command line itself never matches).
fn stty_tokens(t: &Tmux) -> Vec<String> {
    t.type_text("clear; echo STTY-$((20+1)); stty -a; echo STTY-$((21+1))");
    t.keys(&["Enter"]);
    let s = t.wait_for("STTY-22", KEY);
    let start = s.find("STTY-21").expect("start marker") + "STTY-21".len();
    let end = s.find("STTY-22").expect("end marker");
    s[start..end]
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The terminal is back in cooked mode: canonical input, echo, signals.
fn assert_cooked(t: &Tmux, after: &str) {
    let tokens = stty_tokens(t);
    for flag in ["icanon", "echo", "isig"] {
        assert!(
            tokens.iter().any(|w| w == flag),
            "after {after}: `{flag}` not set: {tokens:?}"
        );
        assert!(
            !tokens.iter().any(|w| *w == format!("-{flag}")),
            "after {after}: `-{flag}`: {tokens:?}"
        );
    }
}

// ------------------------------------------------------------------ tests

/// The host lines, status line and header; a unique child is found by
/// typing a filter.
#[test]
fn starts_and_filters_to_a_child() {
    let m = marker("ptui-start");
    let child = idle_child(&m);
    let Some(t) = Tmux::start("start", 120, 40, &top_cmd("")) else {
        return;
    };
    let s = t.wait("a whole first frame", START, |s| {
        s.contains(HEADER) && rows(s).len() > 5
    });
    for needle in ["Mem ", "Memory pressure", "Tasks ", "? help"] {
        assert!(s.contains(needle), "no {needle:?}:\n{s}");
    }
    let st = status(&s);
    assert!(
        st.contains("sort CPU% ▼") && st.contains("/ search · \\ filter"),
        "{st}"
    );
    let h = header(&s);
    let words: Vec<&str> = h.split_whitespace().collect();
    assert_eq!(
        words,
        [
            "PID", "USER", "NAME", "STATE", "▼CPU%", "RSS", "THR", "FDS", "FD%", "CSW/s", "COMMAND"
        ],
        "{h}"
    );

    filter(&t, &m, 1);
    let s = t.wait("only the child's row", KEY, |s| {
        let r = rows(s);
        r.len() == 1 && r[0].0 == child.pid()
    });
    assert!(
        rows(&s)[0].1.iter().any(|c| c.contains("python")),
        "python child:\n{s}"
    );

    quit(&t);
}

/// Sort keys: PID ascending then reversed, then FDS (descending): a child
/// holding 300 descriptors is above an idle one.
#[test]
fn sorting_by_pid_and_descriptors() {
    let m = marker("ptui-sort");
    let (hi, ready) = python_helper("top_child.py", &["hold", &format!("{m}-hi"), "300", "0"]);
    assert!(ready.starts_with("READY "), "{ready}");
    let lo = idle_child(&format!("{m}-lo"));
    let Some(t) = Tmux::start("sort", 120, 40, &top_cmd("--interval 500ms")) else {
        return;
    };
    t.wait_for(HEADER, START);

    let pids = |s: &str| -> Vec<i32> { rows(s).iter().map(|(p, _)| *p).collect() };
    t.keys(&["N"]);
    let s = t.wait("PID ascending from the lowest PID", KEY, |s| {
        let r = pids(s);
        s.contains("▲PID")
            && r.len() > 5
            && r.windows(2).all(|w| w[0] < w[1])
            && r[0] == proc_pids()[0]
    });
    assert!(status(&s).contains("sort PID ▲"), "{}", status(&s));

    t.keys(&["N"]);
    // Processes come and go: the top PID is at least above the median.
    let s = t.wait("PID descending from a high PID", KEY, |s| {
        let r = pids(s);
        let now = proc_pids();
        s.contains("▼PID")
            && r.len() > 5
            && r.windows(2).all(|w| w[0] > w[1])
            && r[0] > now[now.len() / 2]
    });
    assert!(status(&s).contains("sort PID ▼"), "{}", status(&s));

    t.keys(&["f"]);
    let s = t.wait("FDS descending", KEY, |s| s.contains("▼FDS"));
    assert!(status(&s).contains("sort FDS ▼"), "{}", status(&s));
    assert!(!header(&s).contains("PID▼"), "one arrow: {}", header(&s));
    assert!(!header(&s).contains("▼PID"), "one arrow: {}", header(&s));

    filter(&t, &m, 2);
    let s = t.wait(
        &format!("{} (300 descriptors) above {}", hi.pid(), lo.pid()),
        KEY,
        |s| {
            let r = rows(s);
            r.len() == 2 && r[0].0 == hi.pid() && r[1].0 == lo.pid()
        },
    );
    // Cells: PID USER NAME S CPU% RSS THR FDS ...
    let fds: u64 = rows(&s)[0].1[7].parse().expect("FDS cell");
    assert!(fds >= 300, "FDS of the holder: {fds}\n{s}");

    quit(&t);
}

/// A watch panel line judged "ok" (after its rate, as `watch` says it).
fn judged_ok(l: &str) -> bool {
    l.contains("/s ok") || l.contains("/min ok")
}

/// The `rss`, `fds` and `threads` lines of the watch panel.
fn watch_lines(s: &str) -> Vec<&str> {
    s.lines()
        .filter(|l| {
            ["│rss ", "│fds ", "│threads "]
                .iter()
                .any(|m| l.contains(m))
        })
        .collect()
}

/// Enter opens the inspect report of the selected process, Escape closes
/// it (and keeps the filter); `w` opens the watch panel, `w` closes it.
#[test]
fn inspect_and_watch_panels() {
    let m = marker("ptui-open");
    let child = idle_child(&m);
    let pid = child.pid();
    let Some(t) = Tmux::start("open", 120, 40, &top_cmd("--interval 500ms")) else {
        return;
    };
    t.wait_for(HEADER, START);
    filter(&t, &m, 1);
    let only_child = |s: &str| {
        let r = rows(s);
        r.len() == 1 && r[0].0 == pid
    };
    t.wait("the child selected", KEY, only_child);

    t.keys(&["Enter"]);
    let first = format!("proctor inspect {pid} (");
    let s = t.wait("the inspect panel", KEY, |s| {
        s.contains(&format!("inspect {pid} "))
            && s.contains(&first)
            && s.contains("Identity")
            && s.contains("Memory")
    });
    assert!(!s.contains(HEADER), "the panel covers the table:\n{s}");

    t.keys(&["Escape"]);
    t.wait("the table back, filter kept", KEY, |s| {
        !s.contains(&format!("inspect {pid} "))
            && !s.contains("Identity")
            && s.contains(&format!("filter: {m} (1 shown)"))
            && only_child(s)
    });

    t.keys(&["w"]);
    let s = t.wait("the watch panel", KEY, |s| {
        s.contains(&format!("watch {pid} ")) && watch_lines(s).len() == 3
    });
    assert!(only_child(&s), "the table stays above the panel:\n{s}");
    assert!(
        watch_lines(&s)
            .iter()
            .all(|l| judged_ok(l) || l.contains("collecting samples")),
        "a verdict or a sample count on each line:\n{s}"
    );
    // Eight samples at 500 ms: an idle process is then judged ok (watch's
    // words: a rate, then the verdict).
    let s = t.wait("rss, fds and threads judged ok", SAMPLES, |s| {
        let l = watch_lines(s);
        l.len() == 3 && l.iter().all(|l| judged_ok(l))
    });
    assert!(!s.contains("LEAK"), "an idle process:\n{s}");

    t.keys(&["w"]);
    t.wait("the watch panel closed", KEY, |s| {
        !s.contains(&format!("watch {pid} ")) && watch_lines(s).is_empty() && only_child(s)
    });

    quit(&t);
}

/// `?` shows the keys; any key closes the help.
#[test]
fn help_panel() {
    let Some(t) = Tmux::start("help", 120, 40, &top_cmd("")) else {
        return;
    };
    t.wait_for(HEADER, START);
    t.keys(&["?"]);
    t.wait("the help panel", KEY, |s| {
        s.contains("proctor top: keys") && s.contains("pause / resume refreshing")
    });
    t.keys(&["a"]);
    t.wait("the help closed by `a`", KEY, |s| {
        !s.contains("proctor top: keys") && !s.contains("pause / resume") && s.contains(HEADER)
    });

    t.keys(&["?"]);
    t.wait_for("proctor top: keys", KEY);
    t.keys(&["Escape"]);
    t.wait("the help closed by Escape", KEY, |s| {
        !s.contains("proctor top: keys") && s.contains("sort CPU% ▼ · / search")
    });

    quit(&t);
}

/// In a shell: `q` exits 0 and Ctrl-C 130, and both leave the alternate
/// screen and raw mode.
#[test]
fn quits_leaving_the_terminal_clean() {
    let Some(t) = Tmux::start("quit", 120, 40, "bash --norc --noprofile") else {
        return;
    };
    t.type_text("PS1='$ ' ; clear");
    t.keys(&["Enter"]);
    t.wait("a prompt", KEY, |s| s.trim() == "$");
    assert_cooked(&t, "the shell started");

    for (key, code) in [("q", 0), ("C-c", 130)] {
        t.type_text(&format!("clear; '{}' top; echo EXIT=$?", bin()));
        t.keys(&["Enter"]);
        t.wait_for(HEADER, START);
        // The header can be drawn a moment before the cursor is hidden (a
        // busy host): wait for the terminal's state, never a fixed time.
        crate::common::wait_until("the alternate screen, cursor hidden", KEY, || {
            t.format("#{alternate_on}") == "1" && t.format("#{cursor_flag}") == "0"
        });
        t.keys(&[key]);
        let s = t.wait_for(&format!("EXIT={code}"), KEY);
        assert!(
            !s.contains(HEADER) && !s.contains("Memory pressure"),
            "after {key}: the table is still on screen:\n{s}"
        );
        assert_eq!(t.format("#{alternate_on}"), "0", "after {key}");
        assert_eq!(t.format("#{cursor_flag}"), "1", "after {key}");
        assert_cooked(&t, key);
    }
}

/// The watch panel on a kernel thread says there is nothing to watch,
/// rather than showing an RSS of 0 or waiting for samples.
#[test]
fn watch_panel_on_a_kernel_thread() {
    if !crate::common::require_kthreadd() {
        return;
    }
    let Some(t) = Tmux::start("kthread", 120, 40, &top_cmd("")) else {
        return;
    };
    t.wait_for(HEADER, START);
    filter(&t, "kthreadd", 1);
    t.keys(&["w"]);
    let s = t.wait_for("watch 2 kthreadd", KEY);
    // The wording is the panel's or the sampler's ("PID 2 is a kernel
    // thread: it has no user memory, ..."); either says why.
    assert!(
        s.contains("kernel thread") && s.contains("no user memory"),
        "{s}"
    );
    assert!(!s.contains("undecided"), "{s}");
    assert!(watch_lines(&s).is_empty(), "no metric rows: {s}");
    quit(&t);
}

/// A panic inside the view (forced in debug builds by an environment
/// variable) leaves the terminal as it found it, then reports the panic.
#[test]
fn a_panic_restores_the_terminal() {
    let Some(t) = Tmux::start("panic", 120, 40, "bash --norc --noprofile") else {
        return;
    };
    t.type_text("PS1='$ ' ; clear");
    t.keys(&["Enter"]);
    t.wait("a prompt", KEY, |s| s.trim() == "$");
    t.type_text(&format!(
        "clear; PROCTOR_TEST_TUI_PANIC=1 '{}' top 2>/dev/null; echo EXIT=$?",
        bin()
    ));
    t.keys(&["Enter"]);
    // The exit status of a Rust panic.
    let s = t.wait_for("EXIT=101", START);
    assert!(
        !s.contains(HEADER) && !s.contains("Memory pressure"),
        "the table is still on screen:\n{s}"
    );
    assert_eq!(t.format("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor shown");
    assert_cooked(&t, "the panic");
}

/// SIGTERM (a `kill`, a container stopping) ends the view like Ctrl-C:
/// exit 130, terminal restored.
#[test]
fn sigterm_restores_the_terminal() {
    let Some(t) = Tmux::start("term", 120, 40, "bash --norc --noprofile") else {
        return;
    };
    t.type_text("PS1='$ ' ; clear");
    t.keys(&["Enter"]);
    t.wait("a prompt", KEY, |s| s.trim() == "$");
    t.type_text(&format!("clear; '{}' top; echo EXIT=$?", bin()));
    t.keys(&["Enter"]);
    t.wait_for(HEADER, START);
    // proctor is the shell's child: find it by its parent, not by name.
    let shell: i32 = t.format("#{pane_pid}").trim().parse().expect("pane pid");
    let proctor = proc_pids()
        .into_iter()
        .find(|&p| {
            crate::common::proc_stat(p)
                .is_some_and(|f| crate::common::stat_field(&f, 4) == shell as u64)
        })
        .expect("proctor under the pane's shell");
    let st = Command::new("kill")
        .args(["-TERM", &proctor.to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    let s = t.wait_for("EXIT=130", KEY);
    assert!(!s.contains(HEADER), "the table is still on screen:\n{s}");
    assert_eq!(t.format("#{alternate_on}"), "0", "alternate screen left");
    assert_cooked(&t, "SIGTERM");
}

/// Below 60x12 a message replaces the table; enlarging redraws it.
#[test]
fn too_small_then_resized() {
    let Some(t) = Tmux::start("small", 50, 10, &top_cmd("")) else {
        return;
    };
    // The message wraps: compare with the lines joined.
    let joined = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = t.wait("the too-small message", START, |s| {
        joined(s).contains(
            "Terminal too small (50x10): proctor top needs at least 60x12. \
             Enlarge it, or press q to quit.",
        )
    });
    assert!(!s.contains(HEADER), "{s}");

    let table = |s: &str| {
        s.contains("sort CPU%")
            && s.contains(HEADER)
            && !rows(s).is_empty()
            && !s.contains("Terminal too small")
    };
    t.resize(120, 40);
    t.wait("the table at 120x40", KEY, table);

    // The limits: one column or one line short, then exactly the minimum.
    t.resize(59, 12);
    t.wait_for("Terminal too small (59x12)", KEY);
    t.resize(60, 11);
    t.wait_for("Terminal too small (60x11)", KEY);
    t.resize(60, 12);
    t.wait("the table at 60x12", KEY, table);

    t.resize(50, 10);
    t.wait_for("Terminal too small (50x10)", KEY);
    quit(&t);
}

/// Space pauses refreshing and resumes it: on a fixture copy whose 4242
/// changes its thread count (stat field 20), the view follows the change,
/// then shows no change while paused, then catches up on resume.
#[test]
fn pause_and_resume() {
    let fx = fixture_copy("v1-basic");
    let stat = fx.path().join("proc/4242/stat");
    let Some(t) = Tmux::start(
        "pause",
        120,
        30,
        &top_cmd_at(fx.path(), "--interval 200ms --sort pid"),
    ) else {
        return;
    };
    let thr = |s: &str| -> Option<String> {
        rows(s)
            .into_iter()
            .find(|r| r.0 == 4242)
            .map(|r| r.1[6].to_string())
    };
    // Refreshing: a change is shown within a few intervals.
    t.wait("the first refresh", START, |s| {
        s.contains("rates over 0.2s")
    });
    assert_eq!(set_stat_field(&stat, 20, "9"), "4");
    t.wait("THR 9 for 4242", KEY, |s| thr(s).as_deref() == Some("9"));

    t.keys(&["Space"]);
    t.wait("PAUSED on the status line", KEY, |s| {
        s.lines()
            .any(|l| l.starts_with("sort ") && l.contains("PAUSED"))
    });
    set_stat_field(&stat, 20, "14");
    // Seven intervals: a view still refreshing would show 14 by now.
    std::thread::sleep(Duration::from_millis(1400));
    let s = t.screen();
    assert_eq!(
        thr(&s).as_deref(),
        Some("9"),
        "refreshed while paused:\n{s}"
    );
    assert!(s.contains("PAUSED"), "{s}");

    t.keys(&["Space"]);
    t.wait("PAUSED gone and THR 14", KEY, |s| {
        !s.contains("PAUSED") && thr(s).as_deref() == Some("14")
    });
    quit(&t);
}

/// At the smallest size the view accepts (60 columns) the least needed
/// columns are dropped rather than every column squeezed (a squeezed PID
/// column showed its last digits only: PID 12345 as "45").
#[test]
fn pids_are_whole_at_the_minimum_width() {
    let m = marker("ptui-narrow");
    let child = idle_child(&m);
    let Some(t) = Tmux::start("narrow", 60, 12, &top_cmd("")) else {
        return;
    };
    t.wait_for("sort CPU%", START);
    filter(&t, &m, 1);
    let s = t.wait("the child's whole PID", KEY, |s| {
        rows(s).first().map(|r| r.0) == Some(child.pid())
    });
    let header = s.lines().find(|l| l.contains(HEADER)).unwrap_or_default();
    assert!(header.contains(" PID "), "{header}");
    assert!(!header.contains("CSW/s"), "{header}");
    quit(&t);
}

/// The header on an edited fixture tree: host memory (MemTotal,
/// MemAvailable), swap, memory pressure (PSI), load and CPUs, process,
/// zombie and thread totals, open files; a process that vanished is
/// counted on the status line. A refresh re-reads the host files.
#[test]
fn header_shows_the_host_files() {
    let fx = host_fixture(&HostFiles {
        mem_available_kb: 1 << 20,
        swap_total_kb: 2 << 20,
        swap_free_kb: 512 << 10,
        psi: Some((12.5, 1.0)),
        file_nr: Some((850_000, 1_000_000)),
        pid_max: None,
        load: "0.52 1.25 2.00 3/412 98765",
    });
    let p = fx.path().join("proc");
    std::os::unix::fs::symlink("/nonexistent/5555", p.join("5555")).expect("symlink");
    let Some(t) = Tmux::start(
        "header",
        120,
        30,
        &top_cmd_at(fx.path(), "--interval 300ms"),
    ) else {
        return;
    };
    let want = [
        "Mem 23.5G total, 1.0G available (4%); swap 1.5G of 2.0G used",
        "Memory pressure: some 12.5% full 1.0% (avg10); load 0.52 1.25 2.00 on 2 CPUs",
    ];
    let s = t.wait("the header lines", START, |s| {
        let l: Vec<&str> = s.lines().map(str::trim_end).take(3).collect();
        l.len() == 3
            && l[..2] == want
            && l[2].starts_with(
                "Tasks 4, 17 thr: 0 running, 3 sleeping, 0 disk sleep, 0 stopped, 1 zombie; up ",
            )
            && l[2].ends_with("; 850000 open files host-wide")
    });
    assert!(
        status(&s).contains(" · 1 exited mid-scan · "),
        "{}",
        status(&s)
    );
    assert_eq!(order(&s).len(), 4, "{s}");

    std::fs::write(p.join("loadavg"), "3.00 2.00 1.00 1/300 777\n").expect("loadavg");
    replace_in_file(
        &p.join("meminfo"),
        "MemAvailable:   1048576 kB",
        "MemAvailable:   24315648 kB",
    );
    t.wait("the header refreshed", KEY, |s| {
        s.contains("Mem 23.5G total, 23.2G available (99%); swap 1.5G of 2.0G used")
            && s.contains("; load 3.00 2.00 1.00 on 2 CPUs")
    });
    quit(&t);
}

/// Every column can be the sort key: htop's letters (N P M), proctor's
/// (f % x), `I` to reverse,
/// pressed again to reverse, `r` to reverse, `<` `>` (and the arrow
/// keys) to move through all eleven columns, wrapping, each new column in
/// its natural direction. On the fixture tree (one refresh an hour: the
/// values never change) each order is known.
#[test]
fn sort_keys_reverse_and_column_cycling() {
    let Some(t) = Tmux::start(
        "cycle",
        120,
        30,
        &top_cmd_at(&fixture("v1-basic"), "--interval 1h"),
    ) else {
        return;
    };
    // (key, column, arrow, order). Orders as in top.rs's --once tests:
    // CPU% and CSW/s are lifetime averages, unknown values sort last.
    let by_cpu = [4242, 1, 2, 4300];
    let steps: &[(&str, &str, char, [i32; 4])] = &[
        ("", "CPU%", '▼', by_cpu),
        ("r", "CPU%", '▲', [2, 4300, 1, 4242]),
        ("r", "CPU%", '▼', by_cpu),
        ("N", "PID", '▲', [1, 2, 4242, 4300]),
        ("N", "PID", '▼', [4300, 4242, 2, 1]),
        ("I", "PID", '▲', [1, 2, 4242, 4300]),
        ("P", "CPU%", '▼', by_cpu),
        ("M", "RSS", '▼', [4242, 1, 2, 4300]),
        ("M", "RSS", '▲', [2, 4300, 1, 4242]),
        ("f", "FDS", '▼', [4242, 1, 2, 4300]),
        ("%", "FD%", '▼', [4242, 1, 2, 4300]),
        ("x", "CSW/s", '▼', [4242, 4300, 1, 2]),
        ("x", "CSW/s", '▲', [2, 1, 4300, 4242]),
        ("N", "PID", '▲', [1, 2, 4242, 4300]),
        (">", "USER", '▲', [1, 2, 4242, 4300]),
        (">", "NAME", '▲', [2, 4242, 4300, 1]),
        (">", "STATE", '▲', [1, 2, 4242, 4300]),
        (">", "CPU%", '▼', by_cpu),
        (">", "RSS", '▼', [4242, 1, 2, 4300]),
        (">", "THR", '▼', [1, 4242, 2, 4300]),
        (">", "FDS", '▼', [4242, 1, 2, 4300]),
        (">", "FD%", '▼', [4242, 1, 2, 4300]),
        (">", "CSW/s", '▼', [4242, 4300, 1, 2]),
        (">", "COMMAND", '▲', [4242, 2, 4300, 1]),
        (">", "PID", '▲', [1, 2, 4242, 4300]),
        ("<", "COMMAND", '▲', [4242, 2, 4300, 1]),
        ("Left", "CSW/s", '▼', [4242, 4300, 1, 2]),
        ("Right", "COMMAND", '▲', [4242, 2, 4300, 1]),
        ("r", "COMMAND", '▼', [1, 4300, 2, 4242]),
        // A new column starts in its own direction, not reversed.
        (">", "PID", '▲', [1, 2, 4242, 4300]),
        ("<", "COMMAND", '▲', [4242, 2, 4300, 1]),
    ];
    // Whole rows (11 cells at least): a capture can catch a frame being
    // drawn, on a loaded host more often.
    let s = t.wait("the four whole rows", START, |s| {
        order(s) == by_cpu && rows(s).iter().all(|(_, c)| c.len() >= 11)
    });
    // Each column's cell, as the fixture files say (see top.rs): `?`
    // unreadable (PID 1's fd/ and limits are not in the tree), `-` not
    // applicable (a zombie's memory and descriptors).
    let cells = |pid: i32| -> Vec<String> {
        let r = rows(&s);
        let (_, c) = r.iter().find(|r| r.0 == pid).expect("row");
        c.iter().map(|c| c.to_string()).collect()
    };
    let usual_host =
        rustix::param::page_size() == 4096 && rustix::param::clock_ticks_per_second() == 100;
    let c = cells(4242);
    assert_eq!(
        c[..4].iter().chain(&c[6..9]).collect::<Vec<_>>(),
        ["4242", "root", "python3.11", "S", "4", "19", "0.1"],
        "{s}"
    );
    assert_eq!(c[10], "/usr/bin/python3.11", "{s}");
    if usual_host {
        assert_eq!((&*c[4], &*c[5], &*c[9]), ("21.7", "43.2M", "109"), "{s}");
    }
    let c = cells(1);
    assert_eq!(
        (&*c[6], &*c[7], &*c[8], &*c[10]),
        ("11", "?", "?", "[systemd]")
    );
    let c = cells(4300);
    assert_eq!(
        (&*c[3], &*c[5], &*c[7], &*c[8]),
        ("Z", "-", "-", "-"),
        "{s}"
    );
    assert_eq!(c[10..], ["[python3.11]", "<defunct>"], "{s}");
    for (key, column, arrow, want) in steps {
        match *key {
            "" => {}
            "Left" | "Right" => t.keys(&[key]),
            k => t.type_text(k),
        }
        t.wait(
            &format!("`{key}`: sort {column} {arrow}, rows {want:?}"),
            KEY,
            |s| sorted_by(s, column, *arrow) && order(s) == want,
        );
    }
    quit(&t);
}

/// `t` shows children under their parent (and again `t` the flat table);
/// the selection moves with G k g j, Enter opens the inspect report of
/// the selected row; Esc in the table clears a filter.
#[test]
fn tree_view_selection_and_filter_clearing() {
    let Some(t) = Tmux::start(
        "tree",
        120,
        30,
        &top_cmd_at(&fixture("v1-basic"), "--interval 1h --sort pid"),
    ) else {
        return;
    };
    t.wait("sorted by PID", START, |s| {
        order(s) == [1, 2, 4242, 4300] && !s.contains(" · tree")
    });
    t.keys(&["t"]);
    let s = t.wait("the tree", KEY, |s| {
        status_has(s, " · tree · ") && order(s) == [1, 4242, 4300, 2]
    });
    assert_eq!(command_cell(&s, 1), "[systemd]");
    assert!(
        command_cell(&s, 4242).starts_with("└─ /usr/bin/python3.11 /tmp/proctor-fx"),
        "{s}"
    );
    assert_eq!(command_cell(&s, 4300), "  └─ [python3.11] <defunct>");
    assert_eq!(command_cell(&s, 2), "[kthreadd]");

    // G: the last row (2); k k: 4242.
    let inspect = |keys: &[&str], pid: i32, name: &str| {
        for k in keys {
            t.keys(&[k]);
        }
        t.keys(&["Enter"]);
        let s = t.wait(&format!("the inspect panel of {pid}"), KEY, |s| {
            s.contains(&format!(" inspect {pid} "))
                && s.contains(&format!("proctor inspect {pid} ({name})"))
        });
        assert!(!s.contains(HEADER), "the panel covers the table:\n{s}");
        t.keys(&["Escape"]);
        t.wait("the table back", KEY, |s| {
            !s.contains(&format!(" inspect {pid} ")) && s.contains(HEADER)
        });
    };
    inspect(&["G", "Up", "Up"], 4242, "python3.11");
    // g: the first row (1); j j: 4300, the zombie.
    inspect(&["g", "j", "j"], 4300, "python3.11");
    inspect(&["g", "j", "j", "j"], 2, "kthreadd");

    t.keys(&["t"]);
    t.wait("the flat table", KEY, |s| {
        !status_has(s, " · tree") && order(s) == [1, 2, 4242, 4300]
    });

    filter(&t, "python", 2);
    t.wait("two rows", KEY, |s| order(s) == [4242, 4300]);
    t.keys(&["Escape"]);
    t.wait("the filter cleared", KEY, |s| {
        status_has(s, " · / search · \\ filter · ") && order(s) == [1, 2, 4242, 4300]
    });
    quit(&t);
}

/// The status line contains `text` (false while it is not drawn yet).
fn status_has(screen: &str, text: &str) -> bool {
    screen
        .lines()
        .any(|l| l.starts_with("sort ") && l.contains(text))
}

/// `w` on a process that opens descriptors steadily: the watch panel's
/// fds line turns LEAK with its rate and the time to the soft limit (in
/// `watch`'s words), over a sparkline that rises; its threads stay ok.
#[test]
fn watch_panel_catches_a_growing_process() {
    let m = marker("ptui-grow");
    // Ten descriptors a second: still growing (for ~90 s, 64 below a 1024
    // soft limit) when a loaded host has drawn the view and taken the
    // panel's samples.
    let (child, ready) = python_helper("top_child.py", &["grow", &m, "3000", "0.1"]);
    assert_eq!(ready, "READY");
    let soft = nofile_limits(child.pid()).0.expect("a finite soft limit");
    let Some(t) = Tmux::start("grow", 140, 40, &top_cmd("--interval 500ms")) else {
        return;
    };
    t.wait_for(HEADER, START);
    filter(&t, &m, 1);
    t.wait("the child selected", KEY, |s| order(s) == [child.pid()]);
    t.keys(&["w"]);
    let s = t.wait("fds LEAK", SAMPLES, |s| {
        watch_lines(s)
            .iter()
            .any(|l| l.contains("│fds ") && l.contains("LEAK"))
    });
    let fds = watch_lines(&s)
        .into_iter()
        .find(|l| l.contains("│fds "))
        .expect("fds line");
    assert!(fds.contains(&format!(" of {soft} ")), "{fds}");
    assert!(fds.contains(&format!("/s LEAK, hits {soft} in ")), "{fds}");
    let spark: std::collections::BTreeSet<char> =
        fds.chars().filter(|c| ('▁'..='█').contains(c)).collect();
    assert!(spark.len() >= 3, "a rising sparkline: {fds}");
    let threads = watch_lines(&s)
        .into_iter()
        .find(|l| l.contains("│threads "))
        .expect("threads line");
    assert!(judged_ok(threads), "{threads}");
    quit(&t);
    drop(child);
}
