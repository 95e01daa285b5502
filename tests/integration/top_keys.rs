//! The interactive `proctor top` with the keys htop users expect, driven
//! through tmux as `top_tui` does: `M` `P` `T` sort by memory, CPU and CPU
//! time on live children of known shape; `k` sends a signal after its
//! confirmation (and asks twice for PID 1); `u` shows one user's
//! processes; `H` lists a process's threads with their TIDs; `K` hides
//! kernel threads; the help fits the smallest terminal; a click on a
//! column header sorts by it and a click on a row selects it; the filter
//! never shows proctor itself.
//!
//! Every child runs in a memory cgroup of the test's own and is a
//! [`Reaped`]; every wait polls the screen against a deadline.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    MemCgroupV1, Reaped, Tmux, bin, heavy, helper_path, marker, require, spawn_ready, which,
};

/// Time allowed for the first frame.
const START: Duration = Duration::from_secs(60);
/// Time allowed for the effect of a key.
const KEY: Duration = Duration::from_secs(30);

fn top_cmd(args: &str) -> String {
    format!("'{}' top {args}; echo EXIT=$?; sleep 60", bin())
}

fn is_header(line: &str) -> bool {
    line.contains("COMMAND") && !line.starts_with("sort ")
}

/// The table rows below the header: (PID, cells).
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

fn order(screen: &str) -> Vec<i32> {
    rows(screen).iter().map(|r| r.0).collect()
}

fn status(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.starts_with("sort "))
        .unwrap_or("")
}

/// `\`, the text, Enter: the filter applied with `shown` rows.
fn filter(t: &Tmux, text: &str, shown: usize) {
    t.keys(&["\\"]);
    t.wait_for("(Enter to keep, Esc to clear)", KEY);
    t.type_text(text);
    t.keys(&["Enter"]);
    t.wait_for(&format!("filter: {text} ({shown} shown)"), KEY);
}

/// A python3 child in `cg` running `code` (its command line carries
/// `mark`); it prints READY when it is ready and lives at most 300 s.
fn child_in(cg: &MemCgroupV1, code: &str, mark: &str) -> Reaped {
    let (c, ready) = spawn_ready(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && exec python3 -c \"$1\" \"$2\""])
            .arg(cg.procs())
            .arg(code)
            .arg(mark)
            .stderr(Stdio::null()),
    );
    assert_eq!(ready, "READY");
    c
}

/// `top_child.py MODE MARK ARGS` in `cg`.
fn helper_in(cg: &MemCgroupV1, mode: &str, mark: &str, args: &[&str]) -> (Reaped, String) {
    spawn_ready(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && shift && exec python3 \"$@\""])
            .arg(cg.procs())
            .arg("--")
            .arg(helper_path("top_child.py"))
            .arg(mode)
            .arg(mark)
            .args(args)
            .stderr(Stdio::null()),
    )
}

/// Wait (generously) for a child to end; its exit status.
fn ended(c: &mut Reaped) -> std::process::ExitStatus {
    let deadline = Instant::now() + KEY;
    loop {
        if let Some(s) = c.0.try_wait().expect("try_wait") {
            return s;
        }
        assert!(Instant::now() < deadline, "child {} still alive", c.pid());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Memory, CPU and CPU time: `M` puts the 200 MiB child first, `P` and `T`
/// the spinning one; the status line and the header say the key, and a
/// second press reverses.
#[test]
fn sort_by_memory_cpu_and_time() {
    let _heavy = heavy();
    let Some(cg) = MemCgroupV1::own("keys-sort") else {
        return;
    };
    let m = marker("pkeys-sort");
    let big = child_in(
        &cg,
        "import sys,time\nb=bytearray(200<<20)\nfor i in range(0,len(b),4096): b[i]=1\nprint('READY',flush=True)\ntime.sleep(300)",
        &format!("{m}-mem"),
    );
    let (spin, ready) = helper_in(&cg, "busy", &format!("{m}-spin"), &["120"]);
    assert_eq!(ready, "READY");
    let (idle, ready) = helper_in(&cg, "idle", &format!("{m}-idle"), &[]);
    assert_eq!(ready, "READY");
    let Some(t) = Tmux::start("ksort", 160, 30, &top_cmd("--interval 500ms")) else {
        return;
    };
    t.wait_for("COMMAND", START);
    filter(&t, &m, 3);
    t.keys(&["M"]);
    let s = t.wait("RSS, the big child first", KEY, |s| {
        status(s).starts_with("sort RSS ▼") && order(s).first() == Some(&big.pid())
    });
    assert!(s.contains("▼RSS"), "{s}");
    t.keys(&["P"]);
    t.wait("CPU%, the spinner first", KEY, |s| {
        status(s).starts_with("sort CPU% ▼") && order(s).first() == Some(&spin.pid())
    });
    t.keys(&["T"]);
    t.wait("TIME+, the spinner first", KEY, |s| {
        status(s).starts_with("sort TIME+ ▼")
            && order(s).first() == Some(&spin.pid())
            && order(s).len() == 3
    });
    t.keys(&["T"]);
    t.wait("TIME+ reversed, the spinner last", KEY, |s| {
        status(s).starts_with("sort TIME+ ▲") && order(s).last() == Some(&spin.pid())
    });
    t.keys(&["M"]);
    t.keys(&["M"]);
    t.wait("RSS ascending: the big child last", KEY, |s| {
        status(s).starts_with("sort RSS ▲") && order(s).last() == Some(&big.pid())
    });
    assert!(order(&t.screen()).contains(&idle.pid()));
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

/// `k` on a child: the list (TERM first), Enter, the question, `y`: the
/// status line says it was sent and the child ends from its SIGTERM. `n`
/// at the question sends nothing.
#[test]
fn k_sends_a_signal_after_confirmation() {
    let Some(cg) = MemCgroupV1::own("keys-kill") else {
        return;
    };
    let m = marker("pkeys-kill");
    let (mut c, ready) = helper_in(&cg, "idle", &m, &[]);
    assert_eq!(ready, "READY");
    let pid = c.pid();
    let Some(t) = Tmux::start("kkill", 120, 30, &top_cmd("--interval 500ms")) else {
        return;
    };
    t.wait_for("COMMAND", START);
    filter(&t, &m, 1);
    t.wait("the child selected", KEY, |s| order(s) == [pid]);

    // Cancelled at the question: nothing sent.
    t.keys(&["k"]);
    t.wait_for(&format!("Send a signal to {pid} (python3"), KEY);
    t.wait_for("> 15 SIGTERM", KEY);
    t.keys(&["Enter"]);
    t.wait_for(&format!("send SIGTERM to {pid} (python3"), KEY);
    t.keys(&["n"]);
    t.wait_for(&format!("SIGTERM to {pid} cancelled"), KEY);
    assert!(c.0.try_wait().expect("try_wait").is_none(), "signalled");

    // Down to KILL and back up to TERM by number: `1` `5`.
    t.keys(&["k"]);
    t.wait_for("> 15 SIGTERM", KEY);
    t.keys(&["Down"]);
    t.wait_for(">  9 SIGKILL", KEY);
    t.keys(&["1"]);
    t.keys(&["5"]);
    t.wait_for("> 15 SIGTERM", KEY);
    t.keys(&["Enter"]);
    t.wait_for(&format!("send SIGTERM to {pid} (python3"), KEY);
    t.keys(&["y"]);
    t.wait_for(&format!("sent SIGTERM to {pid} (python3"), KEY);
    // top_child.py exits 0 on SIGTERM.
    let st = ended(&mut c);
    assert_eq!(st.code(), Some(0), "{st:?}");
    t.wait("the child gone from the table", KEY, |s| {
        order(s).is_empty()
    });
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

/// PID 1 needs a second confirmation: after the first `y` the view says
/// it is PID 1 and asks again; `n` there sends nothing. (The signal chosen
/// is CONT, harmless had it gone.)
#[test]
fn k_on_pid_1_asks_twice() {
    let Some(t) = Tmux::start("kinit", 120, 30, &top_cmd("--interval 1s --sort pid")) else {
        return;
    };
    t.wait("PID 1 first", START, |s| order(s).first() == Some(&1));
    t.keys(&["k"]);
    t.wait_for("Send a signal to 1 (", KEY);
    t.keys(&["1"]);
    t.keys(&["8"]);
    t.wait_for("> 18 SIGCONT", KEY);
    t.keys(&["Enter"]);
    t.wait_for("send SIGCONT to 1 (", KEY);
    t.keys(&["y"]);
    let s = t.wait_for("really send SIGCONT to 1? y/n", KEY);
    assert!(s.contains("is PID 1"), "{s}");
    t.keys(&["n"]);
    let s = t.wait_for("SIGCONT to 1 cancelled", KEY);
    assert!(!s.contains("sent SIGCONT"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

/// `u`: a picker of the users present, narrowed by typing; Enter shows
/// only that user's processes (a child running as nobody); `u` again shows
/// every user.
#[test]
fn u_filters_by_user() {
    let Some(setpriv) = which("setpriv") else {
        require("setpriv (util-linux)", false);
        return;
    };
    if !require("root, to run a child as nobody", crate::common::is_root()) {
        return;
    }
    let Some(cg) = MemCgroupV1::own("keys-user") else {
        return;
    };
    let m = marker("pkeys-user");
    let (c, ready) = spawn_ready(
        Command::new("sh")
            .args([
                "-c",
                "echo $$ > \"$0\" && exec \"$1\" --reuid=65534 --regid=65534 --clear-groups -- sh -c 'echo READY; sleep 300; : '\"$2\"",
            ])
            .arg(cg.procs())
            .arg(setpriv)
            .arg(&m)
            .stderr(Stdio::null()),
    );
    assert_eq!(ready, "READY");
    let Some(t) = Tmux::start("kuser", 120, 30, &top_cmd("--interval 500ms")) else {
        return;
    };
    t.wait_for("COMMAND", START);
    t.keys(&["u"]);
    let s = t.wait_for("Show the processes of", KEY);
    assert!(s.contains(" root"), "{s}");
    t.type_text("nobo");
    t.wait("the list narrowed to nobody", KEY, |s| {
        s.contains("> nobody") && !s.contains("  root")
    });
    t.keys(&["Enter"]);
    let s = t.wait("only nobody's processes", KEY, |s| {
        let r = rows(s);
        status(s).contains("user nobody (u: all)")
            && r.iter().any(|(p, _)| *p == c.pid())
            && r.iter().all(|(_, cells)| cells.get(1) == Some(&"nobody"))
    });
    assert!(!order(&s).contains(&1), "{s}");
    t.keys(&["u"]);
    t.wait("every user again", KEY, |s| {
        !status(s).contains("user nobody") && rows(s).iter().any(|(_, c)| c.get(1) == Some(&"root"))
    });
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

/// `H`: a child's three extra threads as rows under it, each with its TID
/// (as /proc/PID/task lists them) and its name; `H` again hides them.
#[test]
fn h_shows_threads_with_their_tids() {
    let Some(cg) = MemCgroupV1::own("keys-threads") else {
        return;
    };
    let m = marker("pkeys-thr");
    let (c, ready) = helper_in(&cg, "hold", &m, &["0", "3"]);
    assert!(ready.starts_with("READY "), "{ready}");
    let pid = c.pid();
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&t| t != pid)
        .collect();
    tids.sort_unstable();
    assert_eq!(tids.len(), 3);
    let Some(t) = Tmux::start("kthr", 120, 30, &top_cmd("--interval 500ms --sort pid")) else {
        return;
    };
    t.wait_for("COMMAND", START);
    filter(&t, &m, 1);
    t.keys(&["H"]);
    let s = t.wait("the process, then its threads", KEY, |s| {
        let mut want = vec![pid];
        want.extend(&tids);
        order(s) == want
    });
    assert!(status(&s).contains(" · threads"), "{}", status(&s));
    for (tid, cells) in rows(&s).iter().skip(1) {
        assert!(tids.contains(tid));
        assert!(cells.contains(&"thread"), "{cells:?}");
        // Drawn under the process.
        assert!(cells.iter().any(|c| *c == "├─" || *c == "└─"), "{cells:?}");
    }
    // The threads follow the sort: reversed (`I`), the highest TID first,
    // still under their process.
    t.keys(&["I"]);
    t.wait("the threads in reverse order", KEY, |s| {
        let mut want = vec![pid];
        want.extend(tids.iter().rev());
        order(s) == want
    });
    t.keys(&["I", "H"]);
    t.wait("the process alone", KEY, |s| order(s) == [pid]);
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

/// `K` hides kernel threads (kthreadd, PID 2, among them) and shows them
/// again.
#[test]
fn k_capital_hides_kernel_threads() {
    let Some(t) = Tmux::start("kkern", 120, 30, &top_cmd("--interval 1s --sort pid")) else {
        return;
    };
    t.wait("kthreadd (PID 2) shown", START, |s| {
        rows(s)
            .iter()
            .any(|(p, c)| *p == 2 && c.contains(&"kthreadd"))
    });
    t.keys(&["K"]);
    let s = t.wait("kernel threads hidden", KEY, |s| {
        status(s).contains("kernel threads hidden (K)")
            && !order(s).contains(&2)
            && order(s).contains(&1)
    });
    assert!(
        rows(&s)
            .iter()
            .all(|(_, c)| !c.iter().any(|w| w.starts_with("[kworker"))),
        "{s}"
    );
    t.keys(&["K"]);
    t.wait("kthreadd back", KEY, |s| order(s).contains(&2));
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

/// The help at the smallest size the view draws (60x12): a box over the
/// table, every line whole, scrolled with Down to its last line; every
/// key's description seen whole on the way.
#[test]
fn help_fits_the_minimum_size() {
    let Some(t) = Tmux::start("khelp", 60, 12, &top_cmd("")) else {
        return;
    };
    t.wait_for("COMMAND", START);
    t.keys(&["?"]);
    t.wait_for("proctor top: keys 1-", KEY);
    let mut seen = String::new();
    let last = proctor::render::top::HELP_NOTES.last().expect("notes");
    let deadline = Instant::now() + KEY;
    loop {
        let s = t.screen();
        for l in s.lines() {
            assert!(l.chars().count() <= 60, "{l}");
            seen.push_str(l);
            seen.push('\n');
        }
        if s.contains(last) {
            break;
        }
        assert!(Instant::now() < deadline, "never scrolled to the end:\n{s}");
        t.keys(&["Down"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    for (k, d) in proctor::render::top::HELP {
        assert!(
            seen.lines().any(|l| l.contains(d) && l.contains(k)),
            "{k} {d} not whole:\n{seen}"
        );
    }
    for n in proctor::render::top::HELP_NOTES {
        assert!(seen.contains(n), "{n}");
    }
    t.keys(&["x"]);
    t.wait("the help closed", KEY, |s| !s.contains("proctor top: keys"));
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

/// A left click as a terminal reports it with SGR mouse reporting (which
/// the view turns on), at 1-based column `x`, line `y`.
fn click(t: &Tmux, x: u16, y: u16) {
    t.type_text(&format!("\x1b[<0;{x};{y}M"));
}

/// The mouse: on while the view runs, off after it; a click on the PID
/// header sorts by PID, a second reverses; a click on a row selects it.
#[test]
fn mouse_sorts_and_selects() {
    let Some(t) = Tmux::start("kmouse", 120, 30, &top_cmd("--interval 1h")) else {
        return;
    };
    let s = t.wait_for("COMMAND", START);
    assert_eq!(t.format("#{mouse_sgr_flag}"), "1");
    let y = s.lines().position(is_header).expect("header") as u16 + 1;
    // The PID column is the first: columns 1-8.
    click(&t, 5, y);
    let s = t.wait("sorted by PID", KEY, |s| {
        status(s).starts_with("sort PID ▲") && s.contains("▲PID")
    });
    let first = order(&s);
    click(&t, 5, y);
    t.wait("PID reversed", KEY, |s| status(s).starts_with("sort PID ▼"));
    click(&t, 5, y);
    t.wait("PID ascending again", KEY, |s| {
        status(s).starts_with("sort PID ▲")
    });
    // A click on the third row, then Enter: its inspect panel.
    click(&t, 30, y + 3);
    t.keys(&["Enter"]);
    t.wait_for(&format!(" inspect {} ", first[2]), KEY);
    t.keys(&["Escape"]);
    t.wait("the panel closed", KEY, |s| !s.contains(" inspect "));
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
    t.wait("mouse reports off after the view", KEY, |_| {
        t.format("#{mouse_sgr_flag}") == "0" && t.format("#{mouse_any_flag}") == "0"
    });
}

/// `/` searches (the selection jumps to the match, `n` to the next one)
/// without hiding rows; the filter (`\`) never shows proctor itself, even
/// when its text matches proctor's command line.
#[test]
fn search_jumps_and_the_filter_skips_proctor() {
    let Some(cg) = MemCgroupV1::own("keys-search") else {
        return;
    };
    let m = marker("pkeys-search");
    let (a, ready) = helper_in(&cg, "idle", &format!("{m}-a"), &[]);
    assert_eq!(ready, "READY");
    let (b, ready) = helper_in(&cg, "idle", &format!("{m}-b"), &[]);
    assert_eq!(ready, "READY");
    let Some(t) = Tmux::start("ksearch", 160, 40, &top_cmd("--interval 1h --sort pid")) else {
        return;
    };
    let s = t.wait_for("COMMAND", START);
    let all = order(&s).len();
    t.keys(&["/"]);
    t.type_text(&m);
    t.keys(&["Enter"]);
    let s = t.wait_for(&format!("search: {m} (n or F3: next)"), KEY);
    assert_eq!(order(&s).len(), all, "a search hides nothing");
    t.keys(&["Enter"]);
    t.wait_for(&format!(" inspect {} ", a.pid().min(b.pid())), KEY);
    t.keys(&["Escape"]);
    t.wait("the panel closed", KEY, |s| !s.contains(" inspect "));
    t.keys(&["n"]);
    t.keys(&["Enter"]);
    t.wait_for(&format!(" inspect {} ", a.pid().max(b.pid())), KEY);
    t.keys(&["Escape"]);
    t.wait("the panel closed", KEY, |s| !s.contains(" inspect "));

    // proctor's own PID: the child of the pane's shell.
    let shell: i32 = t.format("#{pane_pid}").parse().expect("pane pid");
    let me = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|st| {
                    let rest = st.rsplit_once(") ")?.1.to_string();
                    rest.split(' ').nth(1)?.parse::<i32>().ok()
                })
                == Some(shell)
        })
        .expect("proctor's PID");
    // The shell's command line names proctor's path (so does the tmux
    // server's): they match; proctor, whose command line matches too, is
    // not shown.
    t.keys(&["\\"]);
    t.wait_for("(Enter to keep, Esc to clear)", KEY);
    t.type_text(bin());
    t.keys(&["Enter"]);
    let s = t.wait("the shell shown", KEY, |s| {
        s.contains(&format!("filter: {} (", bin())) && order(s).contains(&shell)
    });
    assert!(!order(&s).contains(&me), "proctor itself shown:\n{s}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}

/// Run as an unprivileged user, `k` on a root-owned child is refused by
/// the kernel: the status line says so and the child lives on.
#[test]
fn k_without_permission_says_so() {
    use std::os::unix::fs::PermissionsExt;
    let Some(setpriv) = which("setpriv") else {
        require("setpriv (util-linux)", false);
        return;
    };
    if !require("root, to run proctor as nobody", crate::common::is_root()) {
        return;
    }
    let Some(cg) = MemCgroupV1::own("keys-perm") else {
        return;
    };
    let m = marker("pkeys-perm");
    let (mut c, ready) = helper_in(&cg, "idle", &m, &[]);
    assert_eq!(ready, "READY");
    // A copy nobody can run (the build tree may not be readable).
    let dir = crate::common::TempDir::new("keys-bin");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let copy = dir.path().join("proctor");
    std::fs::copy(bin(), &copy).expect("copy binary");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let cmd = format!(
        "cd / && '{}' --reuid=65534 --regid=65534 --clear-groups -- '{}' top --interval 500ms; echo EXIT=$?; sleep 60",
        setpriv.display(),
        copy.display()
    );
    let Some(t) = Tmux::start("kperm", 120, 30, &cmd) else {
        return;
    };
    t.wait_for("COMMAND", START);
    filter(&t, &m, 1);
    t.keys(&["k"]);
    t.wait_for("> 15 SIGTERM", KEY);
    t.keys(&["Enter"]);
    t.wait_for(&format!("send SIGTERM to {} (python3", c.pid()), KEY);
    t.keys(&["y"]);
    t.wait_for(&format!("SIGTERM not sent to {} (python3", c.pid()), KEY);
    t.wait_for("no permission", KEY);
    assert!(c.0.try_wait().expect("try_wait").is_none(), "signalled");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", KEY);
}
