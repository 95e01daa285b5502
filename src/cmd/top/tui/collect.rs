//! The scanning thread of the interactive `top`: one scan of the process
//! table and one read of the host facts per interval, each sent to the UI
//! thread as a [`Snapshot`], so that keys stay responsive whatever a scan
//! costs (8,000 processes take 0.13-0.5 s on the 2-core machine of
//! bench/README.md, quiet or busy; more on a slower one).
//!
//! The thread owns the [`Scanner`] (its kept-open descriptors and their
//! budget are the scanner's). It waits between scans on its control
//! channel in short slices, so it stops promptly when the UI thread hangs
//! up (quit, error, panic) or the shared Ctrl-C/SIGTERM flag is set. A
//! scan already running is not cut short: the UI thread does not wait for
//! it, and the process ends with the thread still scanning.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::parse::host::CpuStat;
use crate::reader::{HostFacts, ProcFs, Scan, Scanner};

use super::Msg;

/// One refresh, as the collector saw it.
pub struct Snapshot {
    /// The new scan; None when it failed (the view keeps the last one, as
    /// it always did).
    pub scan: Option<Scan>,
    pub host: HostFacts,
    /// The CPU lines of PROC/stat; None when unreadable.
    pub cpu: Option<CpuStat>,
    /// `H`: the threads of the scanned processes as rows, and how many
    /// processes' threads the cap left out; None while threads are off.
    pub threads: Option<(Scan, usize)>,
    /// Time between the start of this refresh and the one before (what
    /// the rates are measured over); None for the first one after a
    /// pause.
    pub period: Option<Duration>,
}

/// What the UI thread tells the collector.
pub enum Control {
    /// Space: no scan while paused (the view shows what it had).
    Paused(bool),
    /// `H`: read the threads too (a refresh at once when turned on).
    Threads(bool),
    /// The columns changed: what to read from the next scan on.
    Reads(crate::reader::Reads),
}

/// Longest the collector waits without looking at the Ctrl-C flag.
const SLICE: Duration = Duration::from_millis(50);

/// Test hook, debug builds only: `PROCTOR_TEST_SCAN_DELAY_MS` adds that
/// many milliseconds to every scan, so that the tests can make a scan
/// slower than the interval without holding thousands of processes.
#[cfg(debug_assertions)]
fn test_delay() -> Option<Duration> {
    std::env::var("PROCTOR_TEST_SCAN_DELAY_MS")
        .ok()?
        .parse()
        .ok()
        .map(Duration::from_millis)
}

#[cfg(not(debug_assertions))]
fn test_delay() -> Option<Duration> {
    None
}

/// The collector's state.
struct Collector {
    fs: ProcFs,
    scanner: Scanner,
    /// `--pods-dir`, and the pod names of the scans so far (looked up
    /// while the WORKLOAD column is shown: the scans read cgroups).
    pods: (std::path::PathBuf, crate::reader::pods::PodNameCache),
    interval: Duration,
    paused: bool,
    threads: bool,
    /// Start of the last refresh (None after a pause).
    last: Option<Instant>,
    /// When the next refresh is due.
    next: Instant,
    control: Receiver<Control>,
    to_ui: Sender<Msg>,
    stop: Arc<AtomicBool>,
    delay: Option<Duration>,
}

/// Sends `Msg::CollectorGone` if the thread unwinds (a panic), so the UI
/// thread ends with an error rather than showing a table that no longer
/// refreshes.
struct PanicGuard(Sender<Msg>);

impl Drop for PanicGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.send(Msg::CollectorGone);
        }
    }
}

/// Start the collector. `first` is the start of the scan the view opened
/// with (done before the terminal was set up); the next one is due an
/// interval later. The thread is not joined: it ends on its own once the
/// UI hangs up.
pub fn spawn(
    fs: ProcFs,
    scanner: Scanner,
    pods: (std::path::PathBuf, crate::reader::pods::PodNameCache),
    interval: Duration,
    first: Instant,
    to_ui: Sender<Msg>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<Sender<Control>> {
    let (tx, control) = std::sync::mpsc::channel();
    let c = Collector {
        fs,
        scanner,
        pods,
        interval,
        paused: false,
        threads: false,
        last: Some(first),
        next: later(first, interval),
        control,
        to_ui,
        stop,
        delay: test_delay(),
    };
    std::thread::Builder::new()
        .name("top-collect".into())
        .spawn(move || c.run())?;
    Ok(tx)
}

/// `t` plus the interval. The interval is at most an hour (cli::args::bounds):
/// this cannot overflow, and is checked all the same.
fn later(t: Instant, interval: Duration) -> Instant {
    t.checked_add(interval).unwrap_or(t)
}

impl Collector {
    fn run(mut self) {
        let _guard = PanicGuard(self.to_ui.clone());
        while self.wait() {
            let start = Instant::now();
            let snap = self.refresh(start);
            if self.to_ui.send(Msg::Snapshot(Box::new(snap))).is_err() {
                return;
            }
            self.last = Some(start);
            // The same cadence as ever: the next refresh an interval after
            // the one due, or after now when this one ran late.
            self.next = later(self.next, self.interval);
            if self.next < Instant::now() {
                self.next = later(Instant::now(), self.interval);
            }
        }
    }

    /// One scan and the host facts.
    fn refresh(&mut self, start: Instant) -> Snapshot {
        if let Some(d) = self.delay {
            std::thread::sleep(d);
        }
        let mut scan = self.scanner.scan(&self.fs).ok();
        if let Some(s) = scan.as_mut().filter(|_| self.scanner.reads().cgroups) {
            s.pods = self.pods.1.names_for(s, &self.pods.0);
        }
        let host = self.fs.host_facts();
        let threads = match (&scan, self.threads) {
            (Some(s), true) => Some(crate::reader::thread_rows(
                &self.fs,
                s,
                crate::reader::THREAD_ROWS_CAP,
            )),
            _ => None,
        };
        Snapshot {
            scan,
            host,
            cpu: self.fs.cpu_stat().ok(),
            threads,
            period: self.last.map(|l| start.saturating_duration_since(l)),
        }
    }

    /// Wait until the next refresh is due and not paused: true. False when
    /// the UI thread has hung up or the Ctrl-C flag is set.
    fn wait(&mut self) -> bool {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            let left = self.next.saturating_duration_since(Instant::now());
            if left.is_zero() && !self.paused {
                return true;
            }
            let slice = if self.paused { SLICE } else { left.min(SLICE) };
            match self.control.recv_timeout(slice) {
                Ok(Control::Paused(p)) => {
                    if self.paused && !p {
                        // Resumed: the next refresh an interval from now,
                        // and no period measured across the pause.
                        self.next = later(Instant::now(), self.interval);
                        self.last = None;
                    }
                    self.paused = p;
                }
                Ok(Control::Threads(on)) => {
                    self.threads = on;
                    if on {
                        self.next = Instant::now();
                    }
                }
                Ok(Control::Reads(r)) => self.scanner.set_reads(r),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generous: a refresh of the fixture tree takes milliseconds.
    const WITHIN: Duration = Duration::from_secs(30);

    /// A collector over the v1-basic fixture tree, 10 ms apart: (its
    /// control, what it sends, the stop flag).
    fn start() -> (Sender<Control>, Receiver<Msg>, Arc<AtomicBool>) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-basic");
        let fs = ProcFs::new(root.join("proc"), root.join("sys"));
        let scanner = Scanner::new(&fs, true, 1).expect("scanner");
        let (tx, rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let control = spawn(
            fs,
            scanner,
            (std::path::PathBuf::from("/nonexistent"), Default::default()),
            Duration::from_millis(10),
            Instant::now(),
            tx,
            Arc::clone(&stop),
        )
        .expect("spawn");
        (control, rx, stop)
    }

    fn snapshot(rx: &Receiver<Msg>) -> Snapshot {
        match rx.recv_timeout(WITHIN) {
            Ok(Msg::Snapshot(s)) => *s,
            Ok(_) => panic!("not a snapshot"),
            Err(e) => panic!("no snapshot: {e}"),
        }
    }

    /// The collector's end: its sender dropped (the channel disconnects
    /// once what it sent is read).
    fn ends(rx: &Receiver<Msg>) {
        let deadline = Instant::now() + WITHIN;
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Msg::Snapshot(_)) => {}
                Ok(_) => panic!("unexpected message"),
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => panic!("the collector did not stop"),
            }
        }
    }

    #[test]
    fn refreshes_with_the_fixture_rows_and_a_period() {
        let (_control, rx, _stop) = start();
        let s = snapshot(&rx);
        let scan = s.scan.expect("a scan");
        assert_eq!(
            scan.rows.iter().map(|r| r.pid).collect::<Vec<_>>(),
            [1, 2, 4242, 4300]
        );
        // An interval (10 ms) at least since the start.
        assert!(s.period.is_some_and(|p| p >= Duration::from_millis(10)));
        assert!(s.host.mem.total.is_some());
    }

    #[test]
    fn stops_when_the_ui_hangs_up() {
        let (control, rx, _stop) = start();
        snapshot(&rx);
        drop(control);
        ends(&rx);
    }

    #[test]
    fn stops_on_the_ctrl_c_flag() {
        let (_control, rx, stop) = start();
        snapshot(&rx);
        stop.store(true, Ordering::Relaxed);
        ends(&rx);
    }

    #[test]
    fn no_period_across_a_pause() {
        let (control, rx, _stop) = start();
        snapshot(&rx);
        control.send(Control::Paused(true)).expect("send");
        control.send(Control::Paused(false)).expect("send");
        // Refreshes sent before the pause was seen have a period; the
        // first one after the resume has none.
        let deadline = Instant::now() + WITHIN;
        while snapshot(&rx).period.is_some() {
            assert!(Instant::now() < deadline, "no refresh without a period");
        }
        // And the next one has one again.
        assert!(snapshot(&rx).period.is_some());
    }
}
