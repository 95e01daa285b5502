//! The scenarios the detector is measured on: synthetic series of leaks
//! and of the things that look like leaks and are not, each generated
//! from a seed, and the measurement of the detector on them (detection
//! rate, false alarms in the final and the running verdict, time to
//! detection, rate error). Pure and deterministic. `cargo test` runs it
//! with a few seeds per scenario; `examples/leak_suite.rs` runs it with
//! many and prints the table of docs/leak-detection.md.

use super::detector::Verdict;
use super::detector::{Shape, Spec};
use super::running::Running;
use super::window::Window;

const MIB: f64 = 1024.0 * 1024.0;

/// A small deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Never zero; spread nearby seeds apart.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in [lo, hi].
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-300);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// What a scenario is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Truth {
    /// A leak growing at this rate (unit per second).
    Leak { rate: f64 },
    /// Not a leak.
    Control,
}

/// One scenario: its name (described in examples/leak_suite.rs), its truth, how it is judged, how long it runs
/// and at what interval, and its generator (seed -> values at each
/// sample time).
#[derive(Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub truth: Truth,
    pub spec: Spec,
    pub samples: usize,
    pub interval: f64,
    /// Time by which a leak must be reported (s).
    pub deadline: f64,
    pub generate: fn(&mut Rng, &[f64]) -> Vec<f64>,
    /// Beyond the requirements: cases shown for what they teach about
    /// the detector's limits (measured and reported, not promised).
    pub hard: bool,
}

const FDS: Spec = Spec {
    shape: Shape::Count,
    min_growth: 5.0,
    min_rate: 0.01,
};
const THREADS: Spec = Spec {
    shape: Shape::Count,
    min_growth: 3.0,
    min_rate: 0.01,
};
const MEMORY: Spec = Spec {
    shape: Shape::Memory,
    min_growth: 4.0 * MIB,
    min_rate: 16.0 * 1024.0,
};

/// A value that holds for a random 1 or 2 samples (0.25 to 0.5 s at
/// 250 ms), then is drawn again from `draw`.
fn held(r: &mut Rng, n: usize, mut draw: impl FnMut(&mut Rng) -> f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut v = draw(r);
    let mut left = 0;
    for _ in 0..n {
        if left == 0 {
            v = draw(r);
            left = r.int(1, 2);
        }
        left -= 1;
        out.push(v);
    }
    out
}

/// Page-level jitter of a resident set: up to +-`kib` KiB.
fn jitter(r: &mut Rng, kib: f64) -> f64 {
    ((r.unit() * 2.0 - 1.0) * kib).round() * 1024.0
}

fn fd_slow_noisy(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let phase = r.unit() * 2.0;
    let noise = held(r, t.len(), |r| r.int(0, 6) as f64);
    t.iter()
        .zip(noise)
        .map(|(t, u)| 40.0 + ((t + phase) / 2.0).floor() + u)
        .collect()
}

fn thread_churn(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // 4-12 short-lived workers: their number is drawn again every 0.25 to
    // 0.5 s.
    let phase = r.unit();
    let workers = held(r, t.len(), |r| r.int(4, 12) as f64);
    t.iter()
        .zip(workers)
        .map(|(t, w)| 8.0 + (t + phase).floor() + w)
        .collect()
}

fn thread_wandering_pool(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // Harder: the pool's size wanders (a bounded random walk in 4-12, a
    // few workers at a time), so the noise itself is persistent.
    let phase = r.unit();
    let mut workers = r.int(4, 12) as f64;
    t.iter()
        .map(|t| {
            workers = (workers + r.int(-2, 2) as f64).clamp(4.0, 12.0);
            8.0 + (t + phase).floor() + workers
        })
        .collect()
}

fn fd_fast(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let phase = r.unit() * 0.2;
    t.iter()
        .map(|t| 20.0 + (5.0 * (t + phase)).floor())
        .collect()
}

fn fd_fast_stalls(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // 5 a second by a child that a busy host stalls now and then (for
    // 0.5 s: two samples without a rise), then catches up.
    let phase = r.unit() * 0.2;
    let mut stall_until = f64::NEG_INFINITY;
    let mut held = 20.0;
    t.iter()
        .map(|&t| {
            if t >= stall_until && r.unit() < 0.1 {
                stall_until = t + 0.5;
            }
            if t >= stall_until {
                held = 20.0 + (5.0 * (t + phase)).floor();
            }
            held
        })
        .collect()
}

fn memory_fast(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let phase = r.unit() * 0.25;
    t.iter()
        .map(|t| 50.0 * MIB + ((t + phase) / 0.25).floor() * MIB + jitter(r, 64.0))
        .collect()
}

fn thread_fast(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let phase = r.unit() * 0.25;
    t.iter()
        .map(|t| 3.0 + (4.0 * (t + phase)).floor())
        .collect()
}

fn fd_slow_clean(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let phase = r.unit() * 2.0;
    t.iter()
        .map(|t| 30.0 + ((t + phase) / 2.0).floor())
        .collect()
}

fn memory_slow_noisy(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // 512 KiB/s under 2 MiB of allocator noise held for 1-2 samples.
    let noise = held(r, t.len(), |r| (r.unit() * 2.0 * MIB).round());
    t.iter()
        .zip(noise)
        .map(|(t, u)| 80.0 * MIB + 512.0 * 1024.0 * t + u + jitter(r, 16.0))
        .collect()
}

fn gc_rising_floor(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let period = 2.5 + r.unit();
    t.iter()
        .map(|t| 100.0 * MIB + MIB * t + 8.0 * MIB * (t % period) + jitter(r, 64.0))
        .collect()
}

fn close_wait_sparse(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // 10 sockets every 3 s left in CLOSE_WAIT, read only now and then (a
    // metric whose reading is paced by its cost, on a busy host): about
    // one sample in four, at uneven intervals. NaN: not read.
    t.iter()
        .enumerate()
        .map(|(i, t)| {
            if i == 0 || r.unit() < 0.25 {
                1.0 + (t * 10.0 / 3.0).floor()
            } else {
                f64::NAN
            }
        })
        .collect()
}

fn gc_long_teeth(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // Beyond what can be told at 3.7 s: each tooth rises for 4 s.
    t.iter()
        .map(|t| 100.0 * MIB + 8.0 * MIB * (t % 4.25) + jitter(r, 64.0))
        .collect()
}

fn onset(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // Flat for 10 s, then 2 descriptors a second, under 0-2 of noise.
    let noise = held(r, t.len(), |r| r.int(0, 2) as f64);
    t.iter()
        .zip(noise)
        .map(|(t, u)| 30.0 + (2.0 * (t - 10.0).max(0.0)).floor() + u)
        .collect()
}

fn onset_slow_noisy(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // Flat for 10 s, then the slow leak under noise (0.5/s, 0-6 others).
    let noise = held(r, t.len(), |r| r.int(0, 6) as f64);
    t.iter()
        .zip(noise)
        .map(|(t, u)| 40.0 + ((t - 10.0).max(0.0) / 2.0).floor() + u)
        .collect()
}

fn gc_flat_floor(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let period = 2.5 + r.unit();
    t.iter()
        .map(|t| 100.0 * MIB + 8.0 * MIB * (t % period) + jitter(r, 64.0))
        .collect()
}

fn warmup_linear(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // 16 descriptors a second for 2.5 s, then flat.
    let noise = held(r, t.len(), |r| r.int(0, 1) as f64);
    t.iter()
        .zip(noise)
        .map(|(t, u)| 30.0 + (16.0 * t.min(2.5)).floor() + u)
        .collect()
}

fn warmup_linear_long(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // Beyond what any detector can tell at 3.75 s: 8 a second for 4 s.
    let noise = held(r, t.len(), |r| r.int(0, 1) as f64);
    t.iter()
        .zip(noise)
        .map(|(t, u)| 30.0 + (8.0 * t.min(4.0)).floor() + u)
        .collect()
}

fn warmup_exponential(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let noise = held(r, t.len(), |r| r.int(0, 2) as f64);
    t.iter()
        .zip(noise)
        .map(|(t, u)| 100.0 + (80.0 * (1.0 - (-t / 4.0).exp())).round() + u)
        .collect()
}

fn warmup_exponential_slow(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // Harder: a time constant of 8 s, still nearly straight at 3.75 s.
    let noise = held(r, t.len(), |r| r.int(0, 2) as f64);
    t.iter()
        .zip(noise)
        .map(|(t, u)| 100.0 + (80.0 * (1.0 - (-t / 8.0).exp())).round() + u)
        .collect()
}

fn cache_warmup(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    t.iter()
        .map(|t| 20.0 * MIB + 60.0 * MIB * (1.0 - (-t / 4.0).exp()) + jitter(r, 64.0))
        .collect()
}

fn cache_fill_stop(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    t.iter()
        .map(|t| 20.0 * MIB + 40.0 * MIB * (t / 3.0).min(1.0) + jitter(r, 64.0))
        .collect()
}

fn late_load(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    t.iter()
        .map(|&t| 60.0 * MIB + if t >= 20.0 { 60.0 * MIB } else { 0.0 } + jitter(r, 64.0))
        .collect()
}

fn cron_burst(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let phase = r.unit() * 8.0;
    let noise = held(r, t.len(), |r| r.int(0, 2) as f64);
    t.iter()
        .zip(noise)
        .map(|(t, u)| 40.0 + if (t + phase) % 8.0 < 2.0 { 150.0 } else { 0.0 } + u)
        .collect()
}

fn pool_cycle(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let mut v = r.int(10, 30) as f64;
    let mut target = r.int(10, 30) as f64;
    t.iter()
        .map(|_| {
            if v == target {
                target = r.int(10, 30) as f64;
            }
            let step = r.int(1, 3) as f64;
            v = if target > v {
                (v + step).min(target)
            } else {
                (v - step).max(target)
            };
            12.0 + v
        })
        .collect()
}

fn thread_burst(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let phase = r.unit() * 5.0;
    t.iter()
        .map(|t| {
            let age = (t + phase) % 5.0;
            // 30 threads started together, ending one by one over ~1.5 s.
            let alive = if age < 1.5 {
                (30.0 * (1.0 - age / 1.5)).round()
            } else {
                0.0
            };
            6.0 + alive + r.int(0, 1) as f64
        })
        .collect()
}

fn wander(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    // A mean-reverting (AR(1), phi 0.95) count around 50.
    let mut x = r.normal() * 6.0;
    t.iter()
        .map(|_| {
            x = 0.95 * x + 2.0 * r.normal();
            (50.0 + x).round().max(0.0)
        })
        .collect()
}

fn random_walk(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    let mut v = 500.0;
    t.iter()
        .map(|_| {
            v += if r.unit() < 0.5 { 1.0 } else { -1.0 };
            v
        })
        .collect()
}

fn steady(r: &mut Rng, t: &[f64]) -> Vec<f64> {
    t.iter().map(|_| 12.0 + r.int(0, 1) as f64).collect()
}

const fn leak(
    name: &'static str,
    rate: f64,
    spec: Spec,
    deadline: f64,
    generate: fn(&mut Rng, &[f64]) -> Vec<f64>,
) -> Scenario {
    Scenario {
        name,
        truth: Truth::Leak { rate },
        spec,
        samples: 120,
        interval: 0.25,
        deadline,
        generate,
        hard: false,
    }
}

const fn control(
    name: &'static str,
    spec: Spec,
    samples: usize,
    generate: fn(&mut Rng, &[f64]) -> Vec<f64>,
) -> Scenario {
    Scenario {
        name,
        truth: Truth::Control,
        spec,
        samples,
        interval: 0.25,
        deadline: 0.0,
        generate,
        hard: false,
    }
}

const fn hard(s: Scenario) -> Scenario {
    Scenario { hard: true, ..s }
}

/// Every scenario, 30 s at 250 ms unless said otherwise.
pub const SCENARIOS: [Scenario; 30] = [
    leak("fd-slow-noisy", 0.5, FDS, 30.0, fd_slow_noisy),
    leak("thread-churn", 1.0, THREADS, 30.0, thread_churn),
    leak("fd-fast", 5.0, FDS, 4.0, fd_fast),
    leak("memory-fast", 4.0 * MIB, MEMORY, 4.0, memory_fast),
    leak("thread-fast", 4.0, THREADS, 4.0, thread_fast),
    leak("fd-slow-clean", 0.5, FDS, 30.0, fd_slow_clean),
    leak(
        "memory-slow-noisy",
        0.5 * MIB,
        MEMORY,
        30.0,
        memory_slow_noisy,
    ),
    leak(
        "close-wait-sparse",
        10.0 / 3.0,
        THREADS,
        30.0,
        close_wait_sparse,
    ),
    Scenario {
        samples: 160,
        ..leak("onset", 2.0, FDS, 40.0, onset)
    },
    Scenario {
        samples: 200,
        ..leak("onset-slow-noisy", 0.5, FDS, 50.0, onset_slow_noisy)
    },
    leak("gc-rising-floor", MIB, MEMORY, 30.0, gc_rising_floor),
    control("gc-flat-floor", MEMORY, 120, gc_flat_floor),
    control("warmup-linear", FDS, 120, warmup_linear),
    control("warmup-exponential", FDS, 120, warmup_exponential),
    control("cache-warmup", MEMORY, 120, cache_warmup),
    control("cache-fill-stop", MEMORY, 120, cache_fill_stop),
    control("late-load", MEMORY, 120, late_load),
    control("cron-burst", FDS, 120, cron_burst),
    control("pool-cycle", FDS, 120, pool_cycle),
    control("thread-burst", THREADS, 120, thread_burst),
    control("wander", FDS, 120, wander),
    control("random-walk", FDS, 240, random_walk),
    control("steady", FDS, 120, steady),
    control("steady-long", FDS, 960, steady),
    control("random-walk-long", FDS, 960, random_walk),
    hard(leak(
        "thread-wandering-pool",
        1.0,
        THREADS,
        30.0,
        thread_wandering_pool,
    )),
    hard(control("warmup-linear-4s", FDS, 120, warmup_linear_long)),
    hard(leak("fd-fast-stalls", 5.0, FDS, 4.0, fd_fast_stalls)),
    hard(control("gc-long-teeth", MEMORY, 120, gc_long_teeth)),
    hard(control(
        "warmup-exponential-slow",
        FDS,
        120,
        warmup_exponential_slow,
    )),
];

/// One run of a scenario: what the running verdict and the final verdict
/// said.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// When the running verdict first said LEAK (s from the first sample).
    pub first_leak: Option<f64>,
    /// Whether the running verdict ever said LEAK.
    pub ever_leak: bool,
    /// Whether the final verdict is a leak, and its rate.
    pub final_leak: bool,
    pub final_rate: f64,
    /// The final status.
    pub status: Verdict,
}

/// Run a scenario with one seed, judged as `watch` judges: every sample
/// goes into a window, the running verdict is updated on `watch`'s
/// schedule, and the final verdict comes at the end.
pub fn run(s: &Scenario, seed: u64) -> Run {
    let mut r = Rng::new(seed);
    let t: Vec<f64> = (0..s.samples).map(|i| i as f64 * s.interval).collect();
    let y = (s.generate)(&mut r, &t);
    let mut w = Window::new(super::WINDOW_CAP);
    let mut running = Running::default();
    let mut first_leak = None;
    let mut last_judge = f64::NEG_INFINITY;
    for (i, (&ti, &yi)) in t.iter().zip(&y).enumerate() {
        if yi.is_nan() {
            continue; // not read at this sample
        }
        w.push(ti, yi);
        if super::running::due(ti, last_judge, i + 1) {
            last_judge = ti;
            let st = running.update(&w, &s.spec, false);
            if st.is_leak() && first_leak.is_none() {
                first_leak = Some(ti);
            }
        }
    }
    let end = t.last().copied().unwrap_or(0.0);
    let status = running.update(&w, &s.spec, false);
    if status.is_leak() && first_leak.is_none() {
        first_leak = Some(end);
    }
    let (final_leak, final_rate) = match status {
        Verdict::Leak { rate, .. } => (true, rate),
        _ => (false, 0.0),
    };
    Run {
        first_leak,
        ever_leak: first_leak.is_some(),
        final_leak,
        final_rate,
        status,
    }
}

/// A scenario measured over many seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub runs: usize,
    /// Leaks: share reported leaking at the end; controls: share reported
    /// leaking at the end (a false alarm).
    pub final_leak_share: f64,
    /// Share with a LEAK in the running verdict at any sample.
    pub running_leak_share: f64,
    /// Leaks: share caught (running verdict) by the deadline.
    pub caught_by_deadline: f64,
    /// Leaks: median time to the first LEAK (s), of those caught.
    pub median_detection: Option<f64>,
    /// Leaks: median relative rate error of the final verdict.
    pub median_rate_error: Option<f64>,
    /// Leaks: share with the final rate within 25% of the truth.
    pub rate_within_25: f64,
}

pub fn measure(s: &Scenario, seeds: std::ops::Range<u64>) -> Measured {
    let runs: Vec<Run> = seeds.map(|seed| run(s, seed)).collect();
    let n = runs.len().max(1) as f64;
    let share = |f: &dyn Fn(&Run) -> bool| runs.iter().filter(|r| f(r)).count() as f64 / n;
    let mut times: Vec<f64> = runs.iter().filter_map(|r| r.first_leak).collect();
    let (errors, within): (Vec<f64>, f64) = match s.truth {
        Truth::Leak { rate } => {
            let e: Vec<f64> = runs
                .iter()
                .filter(|r| r.final_leak)
                .map(|r| ((r.final_rate - rate) / rate).abs())
                .collect();
            let within = e.iter().filter(|&&e| e <= 0.25).count() as f64 / n;
            (e, within)
        }
        Truth::Control => (Vec::new(), 0.0),
    };
    let deadline = s.deadline;
    Measured {
        runs: runs.len(),
        final_leak_share: share(&|r| r.final_leak),
        running_leak_share: share(&|r| r.ever_leak),
        caught_by_deadline: share(&|r| r.first_leak.is_some_and(|t| t <= deadline + 1e-9)),
        median_detection: median(&mut times),
        median_rate_error: median(&mut errors.clone()),
        rate_within_25: within,
    }
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeds per scenario in `cargo test` (debug build: a few seconds);
    /// examples/leak_suite.rs runs hundreds.
    const SEEDS: std::ops::Range<u64> = 1..7;

    #[test]
    fn every_leak_is_caught_by_its_deadline_with_its_rate() {
        for s in SCENARIOS.iter().filter(|s| !s.hard) {
            let Truth::Leak { .. } = s.truth else {
                continue;
            };
            let m = measure(s, SEEDS);
            assert_eq!(m.caught_by_deadline, 1.0, "{}: {m:?}", s.name);
            assert_eq!(m.final_leak_share, 1.0, "{}: {m:?}", s.name);
            assert_eq!(m.rate_within_25, 1.0, "{}: {m:?}", s.name);
        }
    }

    #[test]
    fn no_control_is_ever_a_leak_at_any_sample() {
        for s in SCENARIOS.iter().filter(|s| !s.hard) {
            let Truth::Control = s.truth else {
                continue;
            };
            for seed in SEEDS {
                let r = run(s, seed);
                assert!(!r.ever_leak, "{} seed {seed}: {r:?}", s.name);
            }
        }
    }

    #[test]
    fn the_suite_can_fail() {
        // A detector that sees a leak in a 4-second linear warm-up is
        // caught: the measurement is not vacuous.
        let s = SCENARIOS
            .iter()
            .find(|s| s.name == "warmup-linear-4s")
            .unwrap();
        assert!(measure(s, SEEDS).running_leak_share > 0.5);
    }

    #[test]
    fn generators_are_deterministic() {
        let s = &SCENARIOS[0];
        assert_eq!(run(s, 3), run(s, 3));
        let t: Vec<f64> = (0..40).map(|i| f64::from(i) * 0.25).collect();
        let (a, b) = (
            (s.generate)(&mut Rng::new(3), &t),
            (s.generate)(&mut Rng::new(4), &t),
        );
        assert_ne!(a, b);
    }
}
