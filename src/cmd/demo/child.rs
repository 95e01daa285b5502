//! The demo's child (`proctor demo-child SCENARIO`): behaves as its
//! scenario says on its own monotonic clock, deterministically from a seed,
//! until its lifetime ends or its parent dies. Every resource is capped.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Scenario;

const MIB: usize = 1 << 20;
/// Descriptors, connections and threads a scenario never goes past.
const MAX_FILES: usize = 1000;
const MAX_LEAKED_THREADS: u32 = 400;

/// xorshift64* seeded through splitmix64: small, deterministic, and good
/// enough for the shape of a noise (not for anything secret).
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub(super) fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in lo..=hi.
    pub(super) fn int(&mut self, lo: usize, hi: usize) -> usize {
        let span = (hi.saturating_sub(lo) as u64).saturating_add(1);
        lo + usize::try_from(self.next_u64() % span).unwrap_or(0)
    }

    /// Standard normal (Box-Muller).
    pub(super) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // in (0, 1]: ln is finite
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// A short-lived thread: parked until it is retired (then joined, so it is
/// gone from the thread count when `retire` returns).
struct Worker {
    until: f64,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl Worker {
    fn spawn(until: f64) -> Option<Worker> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                while !flag.load(Ordering::Acquire) {
                    std::thread::park();
                }
            })
            .ok()?;
        Some(Worker {
            until,
            stop,
            handle,
        })
    }

    fn retire(self) {
        self.stop.store(true, Ordering::Release);
        self.handle.thread().unpark();
        let _ = self.handle.join();
    }
}

/// A thread that never ends (until the process does).
fn leak_thread() -> bool {
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(|| {
            loop {
                std::thread::park();
            }
        })
        .is_ok()
}

fn open_null() -> Option<File> {
    File::open("/dev/null").ok()
}

/// Opens or closes descriptors until `v` holds `n` (at most [`MAX_FILES`]).
fn hold_files(v: &mut Vec<File>, n: usize) {
    let n = n.min(MAX_FILES);
    v.truncate(n);
    while v.len() < n {
        match open_null() {
            Some(f) => v.push(f),
            None => break,
        }
    }
}

/// Allocates and touches memory in 256 KiB blocks until `held` bytes reach
/// `target` (never frees).
fn fill_to(memory: &mut Vec<Vec<u8>>, target: usize) {
    const BLOCK: usize = 256 * 1024;
    while (memory.len() + 1) * BLOCK <= target {
        memory.push(vec![1u8; BLOCK]);
    }
}

/// One loopback connection: both ends held by this process.
fn connect(l: &TcpListener) -> Option<(TcpStream, TcpStream)> {
    let c = TcpStream::connect(l.local_addr().ok()?).ok()?;
    let (s, _) = l.accept().ok()?;
    Some((c, s))
}

/// Everything a scenario holds, and its schedule.
struct State {
    sc: Scenario,
    rng: Rng,
    /// Descriptors kept (leaked, or held by the scenario).
    files: Vec<File>,
    /// Descriptors opened and closed as noise.
    noise: Vec<File>,
    memory: Vec<Vec<u8>>,
    leaked_threads: u32,
    workers: Vec<Worker>,
    listener: Option<TcpListener>,
    /// Server ends whose peer closed: CLOSE_WAIT.
    held: Vec<TcpStream>,
    pool: Vec<(TcpStream, TcpStream)>,
    growing: bool,
    /// Seconds of the next noise event, of the next leak, and the phase of
    /// periodic scenarios.
    next_event: f64,
    next_leak: f64,
    phase: f64,
    level: f64,
    tick: u64,
}

impl State {
    fn new(sc: Scenario, seed: u64) -> State {
        let mut rng = Rng::new(seed ^ (sc as u64).wrapping_mul(0x100_0000_01B3));
        let phase = match sc {
            Scenario::CronBurst => rng.between(0.0, 8.0),
            Scenario::ThreadBurst => rng.between(0.0, 5.0),
            _ => 0.0,
        };
        let listener = matches!(sc, Scenario::SocketLeak | Scenario::PoolCycle)
            .then(|| TcpListener::bind("127.0.0.1:0").ok())
            .flatten();
        let mut s = State {
            sc,
            rng,
            files: Vec::new(),
            noise: Vec::new(),
            memory: Vec::new(),
            leaked_threads: 0,
            workers: Vec::new(),
            listener,
            held: Vec::new(),
            pool: Vec::new(),
            growing: true,
            next_event: 0.0,
            next_leak: 0.0,
            phase,
            level: 50.0,
            tick: 0,
        };
        match sc {
            Scenario::FdLeakSlow => s.next_leak = 2.0,
            Scenario::ThreadLeakChurn => s.next_leak = 1.0,
            Scenario::PoolCycle => s.resize_pool(10),
            _ => {}
        }
        s
    }

    /// Time between two steps of the child.
    fn period(&self) -> Duration {
        match self.sc {
            Scenario::FdLeak => Duration::from_millis(200),
            Scenario::SocketLeak => Duration::from_millis(300),
            Scenario::MemoryLeak
            | Scenario::ThreadLeak
            | Scenario::GcSawtooth
            | Scenario::WarmupPlateau
            | Scenario::Steady
            | Scenario::Wander => Duration::from_millis(250),
            _ => Duration::from_millis(50),
        }
    }

    /// One step at `t` seconds since the start.
    fn step(&mut self, t: f64) {
        match self.sc {
            Scenario::FdLeak | Scenario::MemoryLeak | Scenario::ThreadLeak => self.fast_leak(),
            Scenario::SocketLeak => self.socket_leak(),
            // Teeth of 2 s: a tooth that rises for longer than a leak
            // needs (3.7 s) is a leak until it falls.
            Scenario::GcSawtooth => {
                if self.memory.len() >= 8 {
                    self.memory.clear();
                } else {
                    self.memory.push(vec![1u8; 2 * MIB]);
                }
            }
            // A warm-up that ends before a rise can be told from a leak
            // (docs/leak-detection.md: a leak needs 3.7 s of rising).
            Scenario::WarmupPlateau if t < 2.0 => {
                let n = self.files.len() + 5;
                hold_files(&mut self.files, n);
                self.memory.push(vec![1u8; 2 * MIB]);
            }
            Scenario::FdLeakSlow => self.fd_leak_slow(t),
            Scenario::ThreadLeakChurn => self.thread_leak_churn(t),
            Scenario::CacheWarmup => {
                let f = 1.0 - (-t / 4.0).exp();
                fill_to(&mut self.memory, (60.0 * MIB as f64 * f) as usize);
            }
            Scenario::CacheFillStop => {
                let f = (t / 3.0).min(1.0);
                fill_to(&mut self.memory, (40.0 * MIB as f64 * f) as usize);
            }
            Scenario::LateLoad if t >= 20.0 => fill_to(&mut self.memory, 60 * MIB),
            Scenario::CronBurst => {
                let in_burst = t >= self.phase && (t - self.phase) % 8.0 < 2.0;
                hold_files(&mut self.files, if in_burst { 150 } else { 0 });
            }
            Scenario::PoolCycle => self.pool_cycle(t),
            Scenario::ThreadBurst => self.thread_burst(t),
            Scenario::Wander => {
                // Ornstein-Uhlenbeck: pulled back to 50 with a time
                // constant of 5 s (0.05 per 250 ms step); standard
                // deviation about 8 around it.
                self.level += 0.05 * (50.0 - self.level) + 2.5 * self.rng.normal();
                self.level = self.level.clamp(0.0, 150.0);
                hold_files(&mut self.files, self.level.round() as usize);
            }
            Scenario::WarmupPlateau | Scenario::LateLoad | Scenario::Steady => {}
        }
        self.tick += 1;
    }

    /// fd-leak, memory-leak, thread-leak: one unit per step.
    fn fast_leak(&mut self) {
        match self.sc {
            Scenario::FdLeak if self.files.len() < MAX_FILES => {
                let n = self.files.len() + 1;
                hold_files(&mut self.files, n);
            }
            Scenario::MemoryLeak if self.memory.len() < 256 => self.memory.push(vec![1u8; MIB]),
            Scenario::ThreadLeak if self.leaked_threads < MAX_LEAKED_THREADS && leak_thread() => {
                self.leaked_threads += 1;
            }
            _ => {}
        }
    }

    fn socket_leak(&mut self) {
        if self.held.len() >= 300 {
            return;
        }
        if let Some((c, s)) = self.listener.as_ref().and_then(connect) {
            self.held.push(s);
            drop(c);
        }
    }

    /// Due events of a random schedule: true once per event whose time
    /// has come, the next one 0.25-0.5 s later.
    fn noise_due(&mut self, t: f64) -> bool {
        if t < self.next_event {
            return false;
        }
        self.next_event = t + self.rng.between(0.25, 0.5);
        true
    }

    /// +1 descriptor every 2 s, while 0-6 others are opened and closed.
    fn fd_leak_slow(&mut self, t: f64) {
        while t >= self.next_leak && self.files.len() < MAX_FILES {
            let n = self.files.len() + 1;
            hold_files(&mut self.files, n);
            self.next_leak += 2.0;
        }
        if self.noise_due(t) {
            let k = self.rng.int(0, 6);
            // Close them all, then open k (new descriptors each time).
            self.noise.clear();
            hold_files(&mut self.noise, k);
        }
    }

    /// One thread a second that never ends, while 4-12 short-lived workers
    /// (0.5-2 s each) come and go.
    fn thread_leak_churn(&mut self, t: f64) {
        while t >= self.next_leak && self.leaked_threads < MAX_LEAKED_THREADS {
            if leak_thread() {
                self.leaked_threads += 1;
            }
            self.next_leak += 1.0;
        }
        if self.noise_due(t) {
            let k = self.rng.int(4, 12);
            let (done, alive): (Vec<Worker>, Vec<Worker>) = std::mem::take(&mut self.workers)
                .into_iter()
                .partition(|w| w.until <= t);
            done.into_iter().for_each(Worker::retire);
            self.workers = alive;
            while self.workers.len() > k {
                self.workers.remove(0).retire();
            }
            while self.workers.len() < k {
                let until = t + self.rng.between(0.5, 2.0);
                match Worker::spawn(until) {
                    Some(w) => self.workers.push(w),
                    None => break,
                }
            }
        }
    }

    /// A connection pool going from 10 to 30 connections and back, 1-3 at
    /// a time every 0.25-0.5 s.
    fn pool_cycle(&mut self, t: f64) {
        if !self.noise_due(t) {
            return;
        }
        let step = self.rng.int(1, 3);
        let n = self.pool.len();
        let target = if self.growing {
            (n + step).min(30)
        } else {
            n.saturating_sub(step).max(10)
        };
        if target == 30 {
            self.growing = false;
        } else if target == 10 {
            self.growing = true;
        }
        self.resize_pool(target);
    }

    fn resize_pool(&mut self, n: usize) {
        if self.pool.len() > n {
            // The oldest connections are closed first (both ends).
            self.pool.drain(..self.pool.len() - n);
        }
        while self.pool.len() < n {
            match self.listener.as_ref().and_then(connect) {
                Some(c) => self.pool.push(c),
                None => break,
            }
        }
    }

    /// 30 threads every 5 s, each ending 0.5-1.5 s later.
    fn thread_burst(&mut self, t: f64) {
        let (done, alive): (Vec<Worker>, Vec<Worker>) = std::mem::take(&mut self.workers)
            .into_iter()
            .partition(|w| w.until <= t);
        done.into_iter().for_each(Worker::retire);
        self.workers = alive;
        if t >= self.phase {
            self.phase += 5.0;
            for _ in 0..30 {
                let until = t + self.rng.between(0.5, 1.5);
                if let Some(w) = Worker::spawn(until) {
                    self.workers.push(w);
                }
            }
        }
    }
}

/// Runs the scenario until the lifetime ends or the parent changes.
pub(super) fn run(sc: Scenario, seed: u64, lifetime: u64) {
    if matches!(sc, Scenario::FdLeak | Scenario::FdLeakSlow) {
        // A typical default soft limit, so the demo shows a time to exhaustion
        // in minutes rather than hours.
        let mut lim = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        lim.current = Some(lim.current.unwrap_or(1024).min(1024));
        let _ = rustix::process::setrlimit(rustix::process::Resource::Nofile, lim);
    }
    let start = Instant::now();
    // A lifetime past what Instant can hold: the child ends with its parent.
    let end = start.checked_add(Duration::from_secs(lifetime));
    let parent = rustix::process::getppid();
    let mut state = State::new(sc, seed);
    let period = state.period();
    while end.is_none_or(|e| Instant::now() < e) {
        if rustix::process::getppid() != parent {
            break;
        }
        state.step(start.elapsed().as_secs_f64());
        let next = period
            .checked_mul(u32::try_from(state.tick).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX);
        if let Some(left) = next.checked_sub(start.elapsed()) {
            std::thread::sleep(left);
        }
    }
    // The workers are parked: retire them so none outlives the loop.
    for w in std::mem::take(&mut state.workers) {
        w.retire();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_uniform_enough() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
        let mut r = Rng::new(1);
        let n = 20_000;
        let u: Vec<f64> = (0..n).map(|_| r.unit()).collect();
        assert!(u.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = u.iter().sum::<f64>() / f64::from(n);
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let ints: Vec<usize> = (0..n).map(|_| r.int(4, 12)).collect();
        assert_eq!(*ints.iter().min().unwrap(), 4);
        assert_eq!(*ints.iter().max().unwrap(), 12);
        let z: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let zm = z.iter().sum::<f64>() / f64::from(n);
        let zv = z.iter().map(|x| (x - zm) * (x - zm)).sum::<f64>() / f64::from(n);
        assert!(zm.abs() < 0.03 && (zv - 1.0).abs() < 0.05, "{zm} {zv}");
    }

    /// Drives a scenario on a synthetic clock (50 ms steps up to `until`
    /// seconds), calling `check` after each step.
    fn drive(sc: Scenario, until: f64, mut check: impl FnMut(f64, &State)) -> State {
        let mut s = State::new(sc, 1);
        let mut t = 0.0;
        while t <= until {
            s.step(t);
            check(t, &s);
            t += 0.05;
        }
        s
    }

    #[test]
    fn the_slow_leaks_keep_one_unit_per_period_under_their_noise() {
        let s = drive(Scenario::FdLeakSlow, 30.01, |t, s| {
            // +1 at 2, 4, ... s; the noise is 0-6 more.
            assert_eq!(s.files.len(), (t / 2.0).floor() as usize, "t = {t}");
            assert!(s.noise.len() <= 6);
        });
        assert_eq!(s.files.len(), 15);
        let mut sizes = std::collections::BTreeSet::new();
        let s = drive(Scenario::ThreadLeakChurn, 10.01, |t, s| {
            assert_eq!(s.leaked_threads, (t.floor()) as u32, "t = {t}");
            if t > 0.0 {
                assert!((4..=12).contains(&s.workers.len()), "{}", s.workers.len());
            }
            sizes.insert(s.workers.len());
        });
        assert!(sizes.len() >= 5, "the pool churns: {sizes:?}");
        for w in s.workers {
            w.retire();
        }
    }

    #[test]
    fn the_controls_stay_within_their_shapes() {
        let mut bursts = 0;
        drive(Scenario::CronBurst, 30.0, |_, s| {
            assert!(s.files.is_empty() || s.files.len() == 150);
            bursts += usize::from(s.files.len() == 150);
        });
        // 2 s of every 8, at 50 ms steps: 3 or 4 bursts in 30 s.
        assert!((3 * 40..=4 * 41).contains(&bursts), "{bursts}");
        let mut seen = (usize::MAX, 0);
        drive(Scenario::PoolCycle, 30.0, |_, s| {
            assert!((10..=30).contains(&s.pool.len()), "{}", s.pool.len());
            seen = (seen.0.min(s.pool.len()), seen.1.max(s.pool.len()));
        });
        assert_eq!(seen, (10, 30));
        let mut most = 0;
        let s = drive(Scenario::ThreadBurst, 12.0, |_, s| {
            most = most.max(s.workers.len())
        });
        assert_eq!(most, 30);
        for w in s.workers {
            w.retire();
        }
        let mut levels = Vec::new();
        drive(Scenario::Wander, 60.0, |_, s| {
            levels.push(s.files.len() as f64)
        });
        let mean = levels.iter().sum::<f64>() / levels.len() as f64;
        assert!((35.0..65.0).contains(&mean), "{mean}");
        let s = drive(Scenario::CacheFillStop, 5.0, |t, s| {
            let held = s.memory.len() * 256 * 1024;
            assert!(held as f64 <= 40.0 * MIB as f64 * (t / 3.0).min(1.0) + 1.0);
        });
        assert_eq!(s.memory.len() * 256 * 1024, 40 * MIB);
    }

    #[test]
    fn seed_zero_is_not_stuck() {
        let mut r = Rng::new(0);
        assert_ne!(r.next_u64(), r.next_u64());
    }
}
