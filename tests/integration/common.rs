//! Helpers shared by the integration tests: running the binary (also
//! bounded in time), fixture paths, temp copies of fixture trees (and
//! in-place edits of their files, host files included), children
//! that are always killed and reaped (and the readiness lines of helpers),
//! values read from /proc for comparison, guards for a v1 memory
//! cgroup and a private tmux server, and [`require`]: how a test that
//! cannot run here says so (and fails under CI).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_proctor")
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Whether the environment has what the calling test needs. When it
/// does not, the test reports itself skipped (`SKIPPED: TEST: needs WHAT`,
/// written to stderr past the test harness's capture, so it shows in every
/// run) and the caller returns. Under CI (`CI` set and not `false`/`0`, as
/// `.ci/run` does) or with `PROCTOR_TESTS_REQUIRE_ALL=1` a missing need
/// fails the test instead: CI installs everything the suite needs, so a
/// skip there is a bug, never a silent pass.
pub fn require(what: &str, available: bool) -> bool {
    use std::io::Write;
    if available {
        return true;
    }
    let current = std::thread::current();
    let test = current.name().unwrap_or("<unnamed test>");
    assert!(
        !require_all(),
        "{test}: needs {what}, which is missing here (CI or PROCTOR_TESTS_REQUIRE_ALL=1: \
         no test may be skipped)"
    );
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {test}: needs {what}");
    false
}

/// Every test must run (no skip allowed): under CI, or when asked to.
fn require_all() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    ci || std::env::var("PROCTOR_TESTS_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// PID 2 is kthreadd (not so in a PID namespace): the kernel thread
/// tests need one; [`require`]d.
pub fn require_kthreadd() -> bool {
    let is_kthreadd = std::fs::read_to_string("/proc/2/comm").is_ok_and(|c| c.trim() == "kthreadd");
    require("kthreadd at PID 2 (not in a PID namespace)", is_kthreadd)
}

/// Poll `ok` every 20 ms until it holds; fails the test with `what` when
/// `within` passes first. For conditions, never a fixed sleep.
pub fn wait_until(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ok() {
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Longest a single proctor run may take before the test fails (where a
/// test bounds it: [`run_bounded`], [`output_within`]).
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Children of this test process start with SIGINT's default action,
/// even when the test process was started with SIGINT ignored (`cargo
/// test &` in a non-interactive shell, as `tests/load.sh` in the
/// background, or a CI runner doing the same): "ignored" passes through
/// exec, proctor rightly keeps an inherited "ignored", and every Ctrl-C
/// test would then see no interruption. A handler, unlike "ignored", is
/// reset to the default by exec; this one performs the default action
/// itself, so the test binary still dies of Ctrl-C. (signal-hook's safe
/// API: no `pre_exec`, which would need unsafe code.)
pub fn sigint_default_for_children() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        signal_hook::flag::register_conditional_default(
            signal_hook::consts::SIGINT,
            std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
        )
        .expect("a SIGINT handler for the test process");
    });
}

/// Clear the environment that changes what proctor reads or how it prints
/// (PROCTOR_PROC_ROOT, PROCTOR_SYS_ROOT, NO_COLOR); SIGINT at its default
/// in the child ([`sigint_default_for_children`]).
pub fn without_overrides(cmd: &mut Command) -> &mut Command {
    sigint_default_for_children();
    cmd.env_remove("PROCTOR_PROC_ROOT")
        .env_remove("PROCTOR_SYS_ROOT")
        .env_remove("PROCTOR_PODS_DIR")
        .env_remove("NO_COLOR")
}

/// `proctor ARGS` as a command to spawn; environment cleared of
/// PROCTOR_*/NO_COLOR.
pub fn proctor_cmd<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = Command::new(bin());
    c.args(args);
    without_overrides(&mut c);
    c
}

/// Run proctor with arguments; environment cleared of PROCTOR_*/NO_COLOR.
pub fn proctor(args: &[&str]) -> Output {
    proctor_cmd(args)
        .stdin(Stdio::null())
        .output()
        .expect("run proctor")
}

/// `--proc-root ROOT/proc --sys-root ROOT/sys`: proctor on a captured tree.
pub fn root_args(root: &Path) -> [String; 4] {
    let dir = |d: &str| root.join(d).to_str().expect("utf-8 path").to_string();
    [
        "--proc-root".to_string(),
        dir("proc"),
        "--sys-root".to_string(),
        dir("sys"),
    ]
}

/// Run proctor against a fixture tree (`tests/fixtures/NAME/{proc,sys}`).
pub fn proctor_at(root: &Path, args: &[&str]) -> Output {
    let r = root_args(root);
    let mut all = r.each_ref().map(String::as_str).to_vec();
    all.extend_from_slice(args);
    proctor(&all)
}

/// Wait (bounded) for a child to exit; None when `within` passes first.
fn exit_within(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return Some(s);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait (bounded) for a child to exit and reap it; fails the test with
/// `what` when it still runs after `within`.
pub fn wait_exit(child: &mut Child, within: Duration, what: &str) -> ExitStatus {
    exit_within(child, within).unwrap_or_else(|| panic!("{what}"))
}

/// Read a pipe to its end in a thread (so that neither of a child's pipes
/// fills up while the other is read).
fn drain<R: std::io::Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut v);
        }
        v
    })
}

/// Collect a spawned child's piped stdout and stderr and reap it; the child
/// is killed (by its pid) and the test failed if it outlives `limit`.
pub fn output_within(child: &mut Child, limit: Duration, what: &str) -> Output {
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let Some(status) = exit_within(child, limit) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{what} ran longer than {limit:?}");
    };
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// Run a command with stdout and stderr captured; killed (by its pid) and
/// the test failed if it outlives [`RUN_LIMIT`].
pub fn run_bounded(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    output_within(&mut child, RUN_LIMIT, &format!("{cmd:?}"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parse stdout as one JSON document; fails the test with stderr if not.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); status {:?}; stderr: {}",
            o.status.code(),
            stderr(o)
        )
    })
}

/// Exit 0 and nothing on stderr.
pub fn assert_ok(o: &Output, what: &str) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{what}: status {:?}, stderr {}",
        o.status,
        stderr(o)
    );
    assert!(
        o.stderr.is_empty(),
        "{what}: wrote to stderr: {}",
        stderr(o)
    );
}

/// A usage error: exit 2, nothing on stdout, one `error: ` naming
/// `needle`, a `hint: ` line containing `hint`, no panic.
pub fn assert_usage_error(args: &[&str], needle: &str, hint: &str) {
    let o = proctor(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    assert!(o.stdout.is_empty(), "{args:?}: data on stdout for an error");
    assert!(e.starts_with("error: "), "{args:?}: {e}");
    assert!(e.contains(needle), "{args:?}: expected {needle:?} in {e}");
    assert!(
        e.lines()
            .any(|l| l.starts_with("hint: ") && l.contains(hint)),
        "{args:?}: no hint with {hint:?} in {e}"
    );
    assert!(!e.contains("panicked"), "{e}");
}

/// The exit code the README promises for a report (`inspect`, `doctor`):
/// 1 when a finding at warning or above is present, else 0.
pub fn expected_code(v: &serde_json::Value) -> i32 {
    let problem = v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .any(|f| f["severity"] == "warning" || f["severity"] == "critical");
    // A problem wins; else checks that did not run make it 3.
    let incomplete = !v["incomplete"].is_null();
    match (problem, incomplete) {
        (true, _) => 1,
        (false, true) => 3,
        (false, false) => 0,
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let base = std::env::temp_dir();
        for i in 0..1000u32 {
            let p = base.join(format!("proctor-test-{tag}-{}-{i}", std::process::id()));
            if std::fs::create_dir(&p).is_ok() {
                return TempDir(p);
            }
        }
        panic!("cannot create a temp dir");
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copy a fixture tree into a temp dir (symlinks kept as symlinks) so a
/// test can edit files.
pub fn fixture_copy(name: &str) -> TempDir {
    let t = TempDir::new(name);
    let st = Command::new("cp")
        .arg("-a")
        .arg(fixture(name).join("."))
        .arg(t.path())
        .status()
        .expect("cp");
    assert!(st.success());
    t
}

/// Replace the first `from` in a (fixture copy's) file by `to`, in place;
/// fails the test when `from` is not there.
pub fn replace_in_file(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(s.contains(from), "{from:?} not in {}:\n{s}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).expect("rewrite file");
}

/// Set field `n` (1-based, as in proc(5)) of a (fixture copy's) stat file
/// to `value`, rewriting the file in place (same inode: a reader holding
/// it open sees the new text at its next pread). Returns the old value.
pub fn set_stat_field(path: &Path, n: usize, value: &str) -> String {
    let text = std::fs::read_to_string(path).expect("read stat");
    let close = text.rfind(')').expect("`)` in stat");
    let mut fields: Vec<String> = text[close + 2..]
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert!(n >= 3, "field {n} is before the state: edit it as text");
    let old = std::mem::replace(&mut fields[n - 3], value.to_string());
    std::fs::write(path, format!("{} {}\n", &text[..=close], fields.join(" ")))
        .expect("write stat");
    old
}

/// Wait (bounded) until the running `child` (a proctor doing two scans,
/// `--sample`) has finished its first scan of the process whose file
/// `path` is: it holds a descriptor on `path` (proctor keeps a process's
/// files open after a scan that will be followed by another), and then
/// sleeps out the interval. A held file alone is not enough: it is opened
/// at the start of that process's reading, and on a loaded host the rest
/// of the reading (status, limits, the descriptor count) may come much
/// later; an edit made in between would be seen by the first scan.
/// Fails the test if the child exits first or the deadline passes.
pub fn wait_until_held_open(child: &mut Child, path: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid = child.id();
    loop {
        let holds = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l == path))
            })
            .unwrap_or(false);
        if holds && sleeping_between_scans(pid) {
            return;
        }
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "{what}: exited before holding {} open and sleeping",
            path.display()
        );
        assert!(
            Instant::now() < deadline,
            "{what}: never held {} open and slept (first scan not done)",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Wait (bounded) until the running `child` (a proctor doing two scans,
/// `--sample`) has finished its first scan: it sleeps out the interval.
/// Fails the test if the child exits first or the deadline passes.
pub fn wait_first_scan(child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sleeping_between_scans(child.id()) {
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "{what}: exited before sleeping between its scans"
        );
        assert!(
            Instant::now() < deadline,
            "{what}: never slept between scans (first scan not done)"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// proctor (`pid`) sleeps between two scans: its main thread waits in
/// nanosleep (the kernel's wait channel says so), and no other thread of
/// it runs. Where the kernel hides wait channels (`0`), every thread is
/// sleeping at two looks 50 ms apart.
fn sleeping_between_scans(pid: u32) -> bool {
    let tasks = || -> Vec<(String, Option<u8>)> {
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| {
                        let wchan =
                            std::fs::read_to_string(e.path().join("wchan")).unwrap_or_default();
                        (
                            wchan,
                            stat_fields(&e.path().join("stat")).and_then(|f| f[0].bytes().next()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let all_asleep =
        |t: &[(String, Option<u8>)]| !t.is_empty() && t.iter().all(|(_, s)| *s == Some(b'S'));
    let main = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/wchan")).unwrap_or_default();
    if main.contains("nanosleep") {
        return all_asleep(&tasks());
    }
    if main.is_empty() || main == "0" {
        if !all_asleep(&tasks()) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
        return all_asleep(&tasks());
    }
    false
}

/// The running kernel is at least `major.minor` (from uname).
pub fn kernel_at_least(major: u32, minor: u32) -> bool {
    let u = rustix::system::uname();
    let release = u.release().to_string_lossy().into_owned();
    let mut it = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let (a, b) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

/// Host files for [`host_fixture`]: MemAvailable and swap (kB) for
/// meminfo, PSI memory `(some, full)` avg10, file-nr `(allocated, max)`,
/// pid_max, and the loadavg line. None: the file is left as captured (PSI
/// and file-nr absent, pid_max 32768).
pub struct HostFiles<'a> {
    pub mem_available_kb: u64,
    pub swap_total_kb: u64,
    pub swap_free_kb: u64,
    pub psi: Option<(f64, f64)>,
    pub file_nr: Option<(u64, u64)>,
    pub pid_max: Option<u64>,
    pub load: &'a str,
}

/// A copy of v1-basic with the host files `h` asks for.
pub fn host_fixture(h: &HostFiles<'_>) -> TempDir {
    let t = fixture_copy("v1-basic");
    let p = t.path().join("proc");
    let meminfo = p.join("meminfo");
    replace_in_file(
        &meminfo,
        "MemAvailable:   24315648 kB",
        &format!("MemAvailable:   {} kB", h.mem_available_kb),
    );
    replace_in_file(
        &meminfo,
        "SwapTotal:             0 kB",
        &format!("SwapTotal:       {} kB", h.swap_total_kb),
    );
    replace_in_file(
        &meminfo,
        "SwapFree:              0 kB",
        &format!("SwapFree:        {} kB", h.swap_free_kb),
    );
    if let Some((some, full)) = h.psi {
        std::fs::create_dir(p.join("pressure")).expect("mkdir pressure");
        std::fs::write(
            p.join("pressure/memory"),
            format!(
                "some avg10={some:.2} avg60=3.00 avg300=0.10 total=123\nfull avg10={full:.2} avg60=0.50 avg300=0.00 total=45\n"
            ),
        )
        .expect("write PSI");
    }
    if let Some((allocated, max)) = h.file_nr {
        std::fs::create_dir_all(p.join("sys/fs")).expect("mkdir sys/fs");
        std::fs::write(p.join("sys/fs/file-nr"), format!("{allocated}\t0\t{max}\n"))
            .expect("write file-nr");
    }
    if let Some(m) = h.pid_max {
        std::fs::write(p.join("sys/kernel/pid_max"), format!("{m}\n")).expect("pid_max");
    }
    std::fs::write(p.join("loadavg"), format!("{}\n", h.load)).expect("loadavg");
    t
}

/// A child process that is killed (SIGTERM, then SIGKILL) and reaped when
/// dropped, so no test leaves a process behind.
pub struct Reaped(pub Child);

impl Reaped {
    pub fn spawn(cmd: &mut Command) -> Reaped {
        Reaped(cmd.spawn().expect("spawn child"))
    }
    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        // Already reaped (or exited now): never signal a PID that may have
        // been reused by another process.
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let pid = rustix::process::Pid::from_raw(self.pid());
        if let Some(pid) = pid {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawn a command with stdin closed and stdout piped, and wait for its
/// first stdout line (its readiness report). Returns the child and that
/// line, trimmed.
pub fn spawn_ready(cmd: &mut Command) -> (Reaped, String) {
    use std::io::BufRead;
    let mut child = Reaped::spawn(cmd.stdin(Stdio::null()).stdout(Stdio::piped()));
    let out = child.0.stdout.take().expect("piped stdout");
    let mut line = String::new();
    std::io::BufReader::new(out)
        .read_line(&mut line)
        .expect("read readiness line");
    assert!(!line.is_empty(), "{cmd:?} exited before reporting ready");
    (child, line.trim().to_string())
}

/// Run proctor with `args` inside the cgroup `cg` (a shell writes its own
/// PID there, then execs proctor: its parent is the test), bounded by
/// [`RUN_LIMIT`]: for `inspect self` and the like, whose "nothing wrong"
/// must not depend on the runner's cgroup history.
pub fn proctor_in(cg: &MemCgroupV1, args: &[&str]) -> Output {
    run_bounded(without_overrides(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && exec \"$@\""])
            .arg(cg.procs())
            .arg(bin())
            .args(args),
    ))
}

/// [`python_helper`], started inside the cgroup `cg` (a shell writes its
/// own PID there, then execs python3: the PID is the helper's, and every
/// process it forks starts in `cg` too).
pub fn python_helper_in(cg: &MemCgroupV1, script: &str, args: &[&str]) -> (Reaped, String) {
    spawn_ready(
        Command::new("sh")
            .args(["-c", "echo $$ > \"$0\" && exec python3 \"$@\""])
            .arg(cg.procs())
            .arg(helper_path(script))
            .args(args)
            .stderr(Stdio::null()),
    )
}

/// Start a python3 helper from tests/helpers and wait for its first stdout
/// line (its readiness report). Returns the child and that line.
pub fn python_helper(script: &str, args: &[&str]) -> (Reaped, String) {
    spawn_ready(
        Command::new("python3")
            .arg(helper_path(script))
            .args(args)
            .stderr(Stdio::null()),
    )
}

/// The interpreter `python3` really is (not a pyenv shim, which needs PATH
/// and HOME, and sits between the test and the helper as its parent).
pub fn real_python() -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let out = Command::new("python3")
        .args(["-c", "import sys; sys.stdout.write(sys.executable)"])
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    assert!(out.status.success(), "python3 -c failed");
    PathBuf::from(OsStr::from_bytes(&out.stdout))
}

/// The numbers after `READY` in a helper's readiness line.
pub fn ready_numbers(line: &str, n: usize) -> Vec<i64> {
    let mut it = line.split_whitespace();
    assert_eq!(it.next(), Some("READY"), "readiness line {line:?}");
    let v: Vec<i64> = it
        .take(n)
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("readiness line {line:?}"))
        })
        .collect();
    assert_eq!(v.len(), n, "readiness line {line:?}");
    v
}

/// A marker no other process has in its command line: `PREFIX-PID-N`.
pub fn marker(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A temp dir's path as an argument for a helper.
pub fn temp_str(t: &TempDir) -> &str {
    t.path().to_str().expect("utf-8 temp path")
}

/// Read a file as text (invalid UTF-8 replaced); fails the test when
/// unreadable.
pub fn read_text(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

/// Read a /proc file of a live process as text (what the test compares to).
pub fn proc_text(pid: i32, file: &str) -> String {
    read_text(Path::new(&format!("/proc/{pid}/{file}")))
}

/// A `Key:  value kB` line of a status file, in bytes (or raw number).
pub fn status_field_at(path: &Path, key: &str) -> Option<u64> {
    read_text(path).lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        if k != key {
            return None;
        }
        let mut it = v.split_whitespace();
        let n: u64 = it.next()?.parse().ok()?;
        Some(if it.next() == Some("kB") { n * 1024 } else { n })
    })
}

/// A `Key:  value kB` line from /proc/PID/status, in bytes (or raw number).
pub fn status_field(pid: i32, key: &str) -> Option<u64> {
    status_field_at(Path::new(&format!("/proc/{pid}/status")), key)
}

/// The fields of a stat file after the command name: index 0 is field 3
/// (state). None when unreadable.
pub fn stat_fields(path: &Path) -> Option<Vec<String>> {
    let b = std::fs::read(path).ok()?;
    let close = b.iter().rposition(|&c| c == b')')?;
    Some(
        String::from_utf8_lossy(b.get(close + 2..)?)
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    )
}

/// Field `n` (1-based, as in proc(5)) of a stat file's [`stat_fields`].
pub fn stat_field(fields: &[String], n: usize) -> u64 {
    fields[n - 3].parse().unwrap()
}

/// The fields of /proc/PID/stat of a live process (None when gone).
pub fn proc_stat(pid: i32) -> Option<Vec<String>> {
    stat_fields(Path::new(&format!("/proc/{pid}/stat")))
}

/// The command name of a live process (/proc/PID/comm).
pub fn comm(pid: i32) -> String {
    proc_text(pid, "comm").trim_end_matches('\n').to_string()
}

/// Number of entries in /proc/PID/fd, as the test reads it.
pub fn fd_entries(pid: i32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/PID/fd")
        .count() as u64
}

// Shared by the live test modules.

pub fn helper_path(script: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/helpers")
        .join(script)
}

/// The `Max open files` row of a limits file: (soft, hard), None = unlimited.
pub fn nofile_limits_at(path: &Path) -> (Option<u64>, Option<u64>) {
    let text = read_text(path);
    let line = text
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files row");
    let cols: Vec<&str> = line["Max open files".len()..].split_whitespace().collect();
    let v = |s: &str| {
        if s == "unlimited" {
            None
        } else {
            Some(s.parse::<u64>().expect("limit number"))
        }
    };
    (v(cols[0]), v(cols[1]))
}

/// The `Max open files` row of /proc/PID/limits: (soft, hard), None = unlimited.
pub fn nofile_limits(pid: i32) -> (Option<u64>, Option<u64>) {
    nofile_limits_at(Path::new(&format!("/proc/{pid}/limits")))
}

/// The one-letter state from /proc/PID/stat (None when unreadable).
pub fn proc_state(pid: i32) -> Option<u8> {
    proc_stat(pid)?.first()?.bytes().next()
}

/// Wait (bounded) until the child has exec'd `cmdline` and is sleeping.
pub fn wait_exec_sleeping(pid: i32, cmdline: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let cl = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cl == cmdline && proc_state(pid) == Some(b'S') {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!(
        "child {pid} never reached `{}` sleeping",
        String::from_utf8_lossy(cmdline)
    );
}

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

pub fn which(prog: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

/// Runs proctor as the unprivileged user `nobody`: a copy of the binary
/// in a world-readable temp dir (the build tree may not be). None (the
/// test skips) when not root or without runuser.
pub struct Nobody {
    dir: TempDir,
    bin: PathBuf,
}

impl Nobody {
    pub fn new() -> Option<Nobody> {
        use std::os::unix::fs::PermissionsExt;
        if !require(
            "root and runuser (util-linux), to run as nobody",
            is_root() && which("runuser").is_some(),
        ) {
            return None;
        }
        let dir = TempDir::new("nobody");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod dir");
        let bin = dir.path().join("proctor");
        std::fs::copy(self::bin(), &bin).expect("copy binary");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod bin");
        Some(Nobody { dir, bin })
    }

    pub fn run(&self, args: &[&str]) -> Output {
        without_overrides(
            Command::new(which("runuser").expect("runuser"))
                .args(["-u", "nobody", "--"])
                .arg(&self.bin)
                .args(args)
                .current_dir(self.dir.path()),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run runuser")
    }

    /// [`Nobody::run`] against a fixture tree.
    pub fn run_at(&self, root: &Path, args: &[&str]) -> Output {
        let r = root_args(root);
        let mut all = r.each_ref().map(String::as_str).to_vec();
        all.extend_from_slice(args);
        self.run(&all)
    }
}

/// A v1 memory cgroup of the test's own
/// (`/sys/fs/cgroup/memory/proctor-test-TAG-PID-N`), removed on drop.
/// With a limit ([`MemCgroupV1::new`]) it is where a test makes OOM kills;
/// without ([`MemCgroupV1::own`], [`in_own_memory_cgroup`]) it is a clean
/// slate for a "nothing wrong" test: no limit above it, no OOM kill in its
/// history, whatever happened in the test runner's own cgroup.
pub struct MemCgroupV1(PathBuf);

impl MemCgroupV1 {
    /// Limited to `limit` bytes without swap. None (the test reports itself
    /// skipped, see [`require`]) where no v1 memory cgroup can be created.
    pub fn new(tag: &str, limit: u64) -> Option<MemCgroupV1> {
        let guard = MemCgroupV1::own(tag)?;
        std::fs::write(guard.0.join("memory.limit_in_bytes"), limit.to_string()).unwrap();
        let _ = std::fs::write(guard.0.join("memory.swappiness"), "0");
        let _ = std::fs::write(
            guard.0.join("memory.memsw.limit_in_bytes"),
            limit.to_string(),
        );
        Some(guard)
    }

    /// Without a limit, directly under the hierarchy's root. None (the
    /// test reports itself skipped) where it cannot be created.
    pub fn own(tag: &str) -> Option<MemCgroupV1> {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let base = Path::new(MEMCG_V1);
        let cg = base.join(format!(
            "proctor-test-{tag}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let made = base.join("memory.limit_in_bytes").exists() && std::fs::create_dir(&cg).is_ok();
        if !require("a writable v1 memory cgroup (root, cgroup v1)", made) {
            return None;
        }
        Some(MemCgroupV1(cg))
    }

    /// Its `cgroup.procs`: a PID written there moves into the cgroup.
    pub fn procs(&self) -> PathBuf {
        self.0.join("cgroup.procs")
    }

    /// Its path as /proc/PID/cgroup shows it (`/proctor-test-...`).
    pub fn name(&self) -> String {
        format!("/{}", self.0.file_name().expect("name").to_string_lossy())
    }

    /// Move the process `pid` into this cgroup.
    pub fn adopt(&self, pid: i32) {
        std::fs::write(self.procs(), pid.to_string())
            .unwrap_or_else(|e| panic!("move {pid} into {}: {e}", self.0.display()));
    }
}

const MEMCG_V1: &str = "/sys/fs/cgroup/memory";

impl Drop for MemCgroupV1 {
    fn drop(&mut self) {
        // Processes still inside (the guard dropped before a child's
        // Reaped) move to the root, so the directory can always go.
        let root = Path::new(MEMCG_V1).join("cgroup.procs");
        for _ in 0..50 {
            if let Ok(procs) = std::fs::read_to_string(self.procs()) {
                for pid in procs.lines() {
                    let _ = std::fs::write(&root, pid);
                }
            }
            if std::fs::remove_dir(&self.0).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Move `pid` (a child of the test) into a fresh memory cgroup of its own
/// (no limit, no OOM history): what proctor judges about its memory
/// cgroup then depends on the test alone. Keep the guard while the child
/// is inspected. None: the test reports itself skipped ([`require`]).
pub fn in_own_memory_cgroup(tag: &str, pid: i32) -> Option<MemCgroupV1> {
    let g = MemCgroupV1::own(tag)?;
    g.adopt(pid);
    Some(g)
}

/// The session of a [`Tmux`] server.
const SESSION: &str = "test";

/// A tmux server of our own with one session; killed on drop.
pub struct Tmux {
    sock: String,
}

impl Tmux {
    /// Start a detached `W`x`H` session running `cmd` (through the shell),
    /// or None (the test reports itself skipped, see [`require`]) without
    /// tmux.
    pub fn start(tag: &str, width: u16, height: u16, cmd: &str) -> Option<Tmux> {
        if !require("tmux", which("tmux").is_some()) {
            return None;
        }
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let t = Tmux {
            sock: format!(
                "proctor-tmux-{tag}-{}-{}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            ),
        };
        let o = t.run(&[
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            cmd,
        ]);
        assert!(
            o.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        Some(t)
    }

    /// One tmux command on our server: no user config, UTF-8, and an
    /// environment without proctor's overrides (the session inherits it).
    pub fn run(&self, args: &[&str]) -> Output {
        without_overrides(
            Command::new("tmux")
                .args(["-u", "-f", "/dev/null", "-L", &self.sock])
                .args(args),
        )
        .env_remove("TMUX")
        .stdin(Stdio::null())
        .output()
        .expect("run tmux")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", SESSION]).stdout)
            .into_owned()
    }

    /// Named keys (`Enter`, `Escape`, `C-c`, `q`, ...).
    pub fn keys(&self, keys: &[&str]) {
        let mut a = vec!["send-keys", "-t", SESSION];
        a.extend_from_slice(keys);
        let o = self.run(&a);
        assert!(o.status.success(), "send-keys {keys:?}");
    }

    /// Literal text, typed as is.
    pub fn type_text(&self, text: &str) {
        let o = self.run(&["send-keys", "-t", SESSION, "-l", text]);
        assert!(o.status.success(), "send-keys -l {text:?}");
    }

    /// A pane/window format (`#{alternate_on}`, ...).
    pub fn format(&self, f: &str) -> String {
        String::from_utf8_lossy(&self.run(&["display", "-p", "-t", SESSION, f]).stdout)
            .trim()
            .to_string()
    }

    pub fn resize(&self, width: u16, height: u16) {
        let o = self.run(&[
            "resize-window",
            "-t",
            SESSION,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
        assert!(
            o.status.success(),
            "resize-window: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// Poll the screen until `ok` holds; the screen that satisfied it.
    /// Fails the test with the last screen when the deadline passes.
    pub fn wait(&self, what: &str, within: Duration, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {within:?} waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_for(&self, needle: &str, within: Duration) -> String {
        self.wait(&format!("{needle:?}"), within, |s| s.contains(needle))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Ends the session and whatever still runs in it (SIGHUP).
        let _ = self.run(&["kill-session", "-t", SESSION]);
        let _ = self.run(&["kill-server"]);
        // tmux leaves its socket file behind (TMUX_TMPDIR or /tmp, then
        // tmux-UID/NAME): remove it too.
        let dir = std::env::var("TMUX_TMPDIR").unwrap_or_else(|_| "/tmp".into());
        let uid = rustix::process::getuid().as_raw();
        let _ = std::fs::remove_file(format!("{dir}/tmux-{uid}/{}", self.sock));
    }
}

/// A test whose need is never met; run only by
/// [`require_reports_a_skip_and_fails_under_ci`].
#[test]
#[ignore = "run by common::require_reports_a_skip_and_fails_under_ci"]
fn needs_the_impossible() {
    if !require("the impossible", false) {
        return;
    }
    unreachable!("require(_, false) returned true");
}

/// A missing need is a visible skip on a developer's machine, and a
/// failure under CI (`CI` set, not `false`/`0`) or
/// `PROCTOR_TESTS_REQUIRE_ALL=1`: this test binary runs the test above.
#[test]
fn require_reports_a_skip_and_fails_under_ci() {
    let exe = std::env::current_exe().expect("the test binary");
    let run = |env: &[(&str, &str)]| {
        let mut c = Command::new(&exe);
        c.args([
            "--exact",
            "common::needs_the_impossible",
            "--include-ignored",
            "--test-threads",
            "1",
        ])
        .env_remove("CI")
        .env_remove("PROCTOR_TESTS_REQUIRE_ALL")
        .envs(env.iter().copied());
        run_bounded(&mut c)
    };
    let skip = "SKIPPED: common::needs_the_impossible: needs the impossible\n";
    for env in [&[][..], &[("CI", "false")], &[("CI", "0")]] {
        let o = run(env);
        assert!(o.status.success(), "{env:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(skip), "{env:?}: {}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("1 passed"));
    }
    for env in [
        &[("CI", "true")][..],
        &[("CI", "1")],
        &[("PROCTOR_TESTS_REQUIRE_ALL", "1")],
    ] {
        let o = run(env);
        assert!(!o.status.success(), "{env:?}: passed");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains("needs the impossible, which is missing here"),
            "{env:?}: {out}"
        );
        assert!(!stderr(&o).contains("SKIPPED"), "{env:?}");
    }
}

/// Directories created under the v1 memory hierarchy for a kubepods-like
/// path, innermost last; removed on drop (only those this test created,
/// innermost first, after moving any process left inside to the root).
pub struct KubepodsCgroup {
    made: Vec<PathBuf>,
    pub leaf: PathBuf,
}

impl KubepodsCgroup {
    pub fn new(rel: &str) -> Option<KubepodsCgroup> {
        let base = Path::new(MEMCG_V1);
        if !require(
            "a writable v1 memory cgroup (root, cgroup v1)",
            base.join("memory.limit_in_bytes").exists(),
        ) {
            return None;
        }
        let mut g = KubepodsCgroup {
            made: Vec::new(),
            leaf: base.join(rel),
        };
        let mut cur = base.to_path_buf();
        for c in rel.split('/') {
            cur.push(c);
            match std::fs::create_dir(&cur) {
                Ok(()) => g.made.push(cur.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    let _ = require(&format!("mkdir {}: {e}", cur.display()), false);
                    return None;
                }
            }
        }
        Some(g)
    }

    pub fn file(&self, f: &str) -> String {
        std::fs::read_to_string(self.leaf.join(f)).unwrap_or_default()
    }
}

impl Drop for KubepodsCgroup {
    fn drop(&mut self) {
        let root = Path::new(MEMCG_V1).join("cgroup.procs");
        for dir in self.made.iter().rev() {
            for _ in 0..100 {
                if let Ok(procs) = std::fs::read_to_string(dir.join("cgroup.procs")) {
                    for pid in procs.lines() {
                        let _ = std::fs::write(&root, pid);
                    }
                }
                if std::fs::remove_dir(dir).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// A v1 cgroup of the test's own under one controller's hierarchy
/// (`/sys/fs/cgroup/CONTROLLER/proctor-test-...`): processes still inside
/// when dropped are moved to the root, then the directory is removed.
pub struct CgroupV1 {
    controller: &'static str,
    pub dir: PathBuf,
}

impl CgroupV1 {
    pub fn new(controller: &'static str, tag: &str, settings: &[(&str, &str)]) -> Option<CgroupV1> {
        CgroupV1::with_suffix(controller, tag, "", settings)
    }

    /// The same, its name ending in `suffix` (`.service`: a cgroup that
    /// proctor takes for a systemd unit).
    pub fn with_suffix(
        controller: &'static str,
        tag: &str,
        suffix: &str,
        settings: &[(&str, &str)],
    ) -> Option<CgroupV1> {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let base = Path::new("/sys/fs/cgroup").join(controller);
        let dir = base.join(format!(
            "proctor-test-{tag}-{}-{}{suffix}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let made = base.join("cgroup.procs").exists()
            && !base.join("cgroup.controllers").exists()
            && std::fs::create_dir(&dir).is_ok();
        if !require(
            &format!("a writable v1 {controller} cgroup (root, cgroup v1)"),
            made,
        ) {
            return None;
        }
        let g = CgroupV1 { controller, dir };
        for (file, value) in settings {
            std::fs::write(g.dir.join(file), value)
                .unwrap_or_else(|e| panic!("write {file} in {}: {e}", g.dir.display()));
        }
        Some(g)
    }

    pub fn name(&self) -> String {
        format!("/{}", self.dir.file_name().unwrap().to_string_lossy())
    }

    /// `proctor serve`'s group labels of this cgroup taken as a systemd
    /// unit (made `with_suffix(.., ".service", ..)`).
    pub fn unit_labels(&self) -> String {
        let u = self.dir.file_name().unwrap().to_string_lossy();
        format!(r#"namespace="",pod="",container="",unit="{u}",group="{u}""#)
    }

    pub fn file(&self, f: &str) -> String {
        std::fs::read_to_string(self.dir.join(f)).unwrap_or_default()
    }

    pub fn keyed(&self, f: &str, key: &str) -> u64 {
        self.file(f)
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Moves a process into this cgroup.
    pub fn adopt(&self, pid: i32) {
        std::fs::write(self.dir.join("cgroup.procs"), pid.to_string())
            .unwrap_or_else(|e| panic!("adopt {pid} into {}: {e}", self.dir.display()));
    }

    /// A python3 script started inside this cgroup (a shell writes its own
    /// PID to cgroup.procs, then execs python3), stdin and stdout piped;
    /// returns once it printed its first line.
    pub fn python(
        &self,
        script: &str,
    ) -> (
        Reaped,
        std::process::ChildStdin,
        std::io::BufReader<std::process::ChildStdout>,
    ) {
        use std::io::BufRead;
        let mut child = Reaped::spawn(
            Command::new("sh")
                .args(["-c", "echo $$ > \"$0\" && exec \"$1\" -c \"$2\""])
                .arg(self.dir.join("cgroup.procs"))
                .arg(real_python())
                .arg(script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let stdin = child.0.stdin.take().unwrap();
        let mut out = std::io::BufReader::new(child.0.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "{script}");
        (child, stdin, out)
    }
}

impl Drop for CgroupV1 {
    fn drop(&mut self) {
        let root = Path::new("/sys/fs/cgroup")
            .join(self.controller)
            .join("cgroup.procs");
        for _ in 0..250 {
            for pid in self.file("cgroup.procs").lines() {
                let _ = std::fs::write(&root, pid);
            }
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Tests whose verdicts depend on their children running on time (the live
/// leak detector's deadlines) hold this exclusively; tests that load the
/// machine hard (spinners, many recorders or children) hold it shared.
/// They never overlap on the 2 cores CI has; everything else runs as
/// usual.
static TIMING: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// For a test judged on time: no heavy test runs meanwhile.
pub fn timing_sensitive() -> std::sync::RwLockWriteGuard<'static, ()> {
    TIMING
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// For a test that loads the machine: never during a timing-sensitive one.
pub fn heavy() -> std::sync::RwLockReadGuard<'static, ()> {
    TIMING
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
