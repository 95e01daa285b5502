//! Helpers shared by the integration tests: running the binary, fixture
//! paths, temp copies of fixture trees, and children that are always
//! killed and reaped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_proctor")
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Run proctor with arguments; environment cleared of PROCTOR_*/NO_COLOR.
pub fn proctor(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("PROCTOR_PROC_ROOT")
        .env_remove("PROCTOR_SYS_ROOT")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("run proctor")
}

/// Run proctor against a fixture tree (`tests/fixtures/NAME/{proc,sys}`).
pub fn proctor_at(root: &Path, args: &[&str]) -> Output {
    let p = root.join("proc");
    let s = root.join("sys");
    let mut all: Vec<&str> = vec![
        "--proc-root",
        p.to_str().unwrap(),
        "--sys-root",
        s.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    proctor(&all)
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

/// Start a python3 helper from tests/helpers and wait for its first stdout
/// line (its readiness report). Returns the child and that line.
pub fn python_helper(script: &str, args: &[&str]) -> (Reaped, String) {
    use std::io::BufRead;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/helpers")
        .join(script);
    let mut child = Reaped::spawn(
        Command::new("python3")
            .arg(path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let out = child.0.stdout.take().expect("piped stdout");
    let mut line = String::new();
    std::io::BufReader::new(out)
        .read_line(&mut line)
        .expect("read readiness line");
    assert!(
        !line.is_empty(),
        "helper {script} exited before reporting ready"
    );
    (child, line.trim().to_string())
}

/// Read a /proc file of a live process as text (what the test compares to).
pub fn proc_text(pid: i32, file: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/{file}")).unwrap()).into_owned()
}

/// A `Key:  value kB` line from /proc/PID/status, in bytes (or raw number).
pub fn status_field(pid: i32, key: &str) -> Option<u64> {
    proc_text(pid, "status").lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        if k != key {
            return None;
        }
        let mut it = v.split_whitespace();
        let n: u64 = it.next()?.parse().ok()?;
        Some(if it.next() == Some("kB") { n * 1024 } else { n })
    })
}

// Shared by the live test modules.

pub fn helper_path(script: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/helpers")
        .join(script)
}

/// The `Max open files` row of /proc/PID/limits: (soft, hard), None = unlimited.
pub fn nofile_limits(pid: i32) -> (Option<u64>, Option<u64>) {
    let text = proc_text(pid, "limits");
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

/// The one-letter state from /proc/PID/stat (None when unreadable).
pub fn proc_state(pid: i32) -> Option<u8> {
    let b = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = b.iter().rposition(|&c| c == b')')?;
    b.get(close + 2).copied()
}

/// Wait (bounded) until the child has exec'd `cmdline` and is sleeping.
pub fn wait_exec_sleeping(pid: i32, cmdline: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(10);
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
        if !is_root() || which("runuser").is_none() {
            eprintln!("note: needs root and runuser; test skipped");
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
        Command::new(which("runuser").expect("runuser"))
            .args(["-u", "nobody", "--"])
            .arg(&self.bin)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("PROCTOR_PROC_ROOT")
            .env_remove("PROCTOR_SYS_ROOT")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .output()
            .expect("run runuser")
    }
}
