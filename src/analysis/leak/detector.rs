//! The leak detector: decides from a series of samples whether a metric
//! grows persistently, and the typed verdict of a metric. Pure (no I/O, no
//! clock, no words: [`Evidence`] is worded in `render::watch`). The math,
//! thresholds and the scenarios it is tested on are in
//! docs/leak-detection.md.
//!
//! A leak is a persistent upward trend that is both statistically
//! significant and practically meaningful:
//! 1. significance: Mann-Kendall trend test with tie correction, and a
//!    drift test on the increments with a Newey-West long-run variance, so
//!    that a random walk's wandering is not mistaken for a trend;
//! 2. rate: Theil-Sen slope (median of pairwise slopes; robust to spikes);
//! 3. practical size: growth over the window and rate above a per-metric
//!    minimum;
//! 4. persistence: the most recent part of the window still rises, with
//!    several separate increases (a warm-up that plateaus, or one step,
//!    is not a leak);
//! 5. memory that rises and falls (garbage collection, caches) is judged on
//!    its floor: the minimum of each segment between significant drops.

use super::stats::{
    Ols, curvature, df_critical, df_tau, drift_p_up, floor, lag1_autocorrelation, levels_p_up,
    mk_p_up, ols, reduce, theil_sen,
};

/// How a metric behaves, which decides how it is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Counts that move in small steps: descriptors, threads, sockets.
    Count,
    /// Memory: may fall sharply when a collector runs; judged on its floor.
    Memory,
}

/// Per-metric thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spec {
    pub shape: Shape,
    /// Minimum growth over the window (in the metric's unit) to matter.
    pub min_growth: f64,
    /// Minimum rate (unit per second) to matter.
    pub min_rate: f64,
}

/// Significance level for the trend test (one-sided).
pub const ALPHA: f64 = 0.001;
/// The drift test (a series that may wander) must reach this level.
pub const DRIFT_ALPHA: f64 = 0.0001;
/// The levels test is used only when the residuals around the line have
/// at most this lag-1 autocorrelation: with longer memory its HAC error
/// is too small in samples this short (a slowly cycling pool passes it).
pub const MAX_RESIDUAL_MEMORY: f64 = 0.75;
/// A rise significant at this level (one-sided) but not at [`ALPHA`] is
/// "rising, not yet significant".
pub const ALPHA_RISING: f64 = 0.05;
/// Significantly concave (z below minus this) with the rate at the end
/// under this share of the rate at the start: a slowdown (a warm-up), not
/// a leak.
pub const SLOWING_RATIO: f64 = 0.85;
pub const SLOWING_Z: f64 = 2.326;
/// A rise must have been seen this long (seconds) to be a leak: before,
/// a warm-up and a leak look the same. A leak of 4 or 5 a second sampled
/// every 250 ms is reported at 3.75 s.
pub const MIN_SPAN: f64 = 3.7;
/// The recent half of a window is judged on its own (a leak that began
/// during the watch) when it has at least this many points.
pub const ONSET_MIN_POINTS: usize = 16;
/// Fewer samples than this: no verdict yet.
pub const MIN_SAMPLES: usize = 8;
/// The series is reduced to at most this many points before testing
/// (bounded cost whatever the watch length).
pub const MAX_POINTS: usize = 240;

/// Why the detector decided as it did: the evidence, as numbers (amounts
/// in the metric's unit, rates per second, p-values).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evidence {
    /// Fewer samples than [`MIN_SAMPLES`].
    TooFewSamples { samples: usize, needed: usize },
    /// All samples at the same instant.
    NoTimeElapsed,
    /// No significant upward trend.
    NoTrend { p: f64 },
    /// A trend, too small to matter: `growth` over the window.
    TooSmall { growth: f64 },
    /// Grew earlier, no longer: `recent` is the recent rate.
    LevelledOff { recent: f64 },
    /// Rose, then has not risen for `flat_s` seconds: longer than its
    /// rises have ever paused.
    Stopped { flat_s: f64 },
    /// Rises, ever slower: `early` and `recent` are the rates of the
    /// first and second half (a warm-up approaching its plateau).
    Slowing { early: f64, recent: f64 },
    /// A leak: rising `slope` per second, `growth` over `duration` s.
    Rising {
        slope: f64,
        growth: f64,
        duration: f64,
        p: f64,
    },
    /// Rises and falls; its floor (`troughs` minima) does not rise.
    FloorFlat { troughs: usize, p: f64 },
    /// The floor rises, too little to matter.
    FloorTooSmall { growth: f64 },
    /// The floor rose earlier but the last trough is not higher.
    FloorNotHigher,
    /// A leak under a sawtooth: the floor rises `slope` per second.
    FloorRising { slope: f64, troughs: usize, p: f64 },
    /// A leak by every test, seen for `span` seconds only: a leak needs
    /// `needed` (a warm-up looks the same until it levels off).
    TooShort { span: f64, needed: f64 },
    /// Was a leak; fell from `peak` to `now`, and still falls.
    Reversed { peak: f64, now: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub leaking: bool,
    /// Rises, but not (yet) enough for a leak: a trend significant at
    /// [`ALPHA_RISING`] only, or one that slows or has stopped.
    pub rising: bool,
    /// Theil-Sen slope, unit per second (of the floor for memory with drops).
    pub slope_per_s: f64,
    /// One-sided Mann-Kendall p-value for an upward trend.
    pub p_value: f64,
    /// Whether the floor (segment minima between drops) was judged.
    pub floor_based: bool,
    /// Why.
    pub evidence: Evidence,
}

impl Judgement {
    fn no(evidence: Evidence, slope: f64, p: f64, floor: bool) -> Judgement {
        Judgement {
            leaking: false,
            rising: false,
            slope_per_s: slope,
            p_value: p,
            floor_based: floor,
            evidence,
        }
    }
}

/// Why a metric has no verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Never read; `denied` when a read was refused.
    Unreadable { denied: bool },
    /// Read, but fewer samples than a verdict needs.
    TooFewSamples { samples: usize, needed: usize },
}

/// A metric's verdict. Never "healthy" for what could not be read or
/// judged: that is [`Verdict::Undecided`].
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Growing persistently at `rate` (unit per second).
    Leak {
        rate: f64,
        p_value: f64,
        evidence: Evidence,
    },
    /// Rises, not (yet) enough for a leak: the trend is not yet
    /// significant, too short, or slows down.
    Rising {
        rate: f64,
        p_value: f64,
        evidence: Evidence,
    },
    /// Judged, and not leaking.
    Healthy {
        rate: f64,
        evidence: Evidence,
    },
    Undecided(Why),
}

impl Verdict {
    /// The verdict of one judgement of `samples` samples spanning `span`
    /// seconds (`denied`: a read of the metric was refused), without
    /// history: a leak only once seen for [`MIN_SPAN`]. `watch` keeps a
    /// history instead ([`super::running::Running`]).
    pub fn of(j: &Judgement, samples: usize, span: f64, denied: bool) -> Verdict {
        if samples == 0 {
            Verdict::Undecided(Why::Unreadable { denied })
        } else if samples < MIN_SAMPLES {
            Verdict::Undecided(Why::TooFewSamples {
                samples,
                needed: MIN_SAMPLES,
            })
        } else if j.leaking && span >= MIN_SPAN {
            Verdict::Leak {
                rate: j.slope_per_s,
                p_value: j.p_value,
                evidence: j.evidence,
            }
        } else if j.leaking {
            Verdict::Rising {
                rate: j.slope_per_s,
                p_value: j.p_value,
                evidence: Evidence::TooShort {
                    span,
                    needed: MIN_SPAN,
                },
            }
        } else if j.rising {
            Verdict::Rising {
                rate: j.slope_per_s,
                p_value: j.p_value,
                evidence: j.evidence,
            }
        } else {
            Verdict::Healthy {
                rate: j.slope_per_s,
                evidence: j.evidence,
            }
        }
    }

    pub fn is_leak(&self) -> bool {
        matches!(self, Verdict::Leak { .. })
    }

    pub fn is_rising(&self) -> bool {
        matches!(self, Verdict::Rising { .. })
    }

    pub fn is_undecided(&self) -> bool {
        matches!(self, Verdict::Undecided(_))
    }
}

/// Judge a series of (seconds, value) samples.
pub fn judge(t: &[f64], y: &[f64], spec: &Spec) -> Judgement {
    let n = t.len().min(y.len());
    if n < MIN_SAMPLES {
        let few = Evidence::TooFewSamples {
            samples: n,
            needed: MIN_SAMPLES,
        };
        return Judgement::no(few, 0.0, 1.0, false);
    }
    let (t, y) = reduce(&t[..n], &y[..n], MAX_POINTS, spec.shape == Shape::Memory);
    let duration = t[t.len() - 1] - t[0];
    if duration <= 0.0 {
        return Judgement::no(Evidence::NoTimeElapsed, 0.0, 1.0, false);
    }
    if spec.shape == Shape::Memory {
        let drop = (y.iter().cloned().fold(0.0, f64::max) * 0.02).max(spec.min_growth / 2.0);
        if let Some((ft, fy)) = floor(&t, &y, drop) {
            return judge_floor(&ft, &fy, duration, spec);
        }
    }
    let whole = judge_counts(&t, &y, duration, spec);
    // A leak that began during the window: the whole window (flat, then
    // rising) strays from any one line, but its recent half is a leak.
    let h = t.len() / 2;
    if whole.leaking || t.len() - h < ONSET_MIN_POINTS || t[t.len() - 1] - t[h] < MIN_SPAN {
        return whole;
    }
    let recent = judge_counts(&t[h..], &y[h..], t[t.len() - 1] - t[h], spec);
    // An onset rises faster now than before; a warm-up rose faster before.
    if recent.leaking && theil_sen(&t[..h], &y[..h]) < recent.slope_per_s {
        recent
    } else {
        whole
    }
}

fn judge_counts(t: &[f64], y: &[f64], duration: f64, spec: &Spec) -> Judgement {
    let slope = theil_sen(t, y);
    let fit = ols(t, y);
    let p = trend_p_up_of(t, y, &fit);
    let growth = slope * duration;
    let big_enough = slope > 0.0 && growth >= spec.min_growth && slope >= spec.min_rate;
    if p >= ALPHA {
        let mut j = Judgement::no(Evidence::NoTrend { p }, slope, p, false);
        j.rising = big_enough && p < ALPHA_RISING;
        return j;
    }
    if !big_enough {
        return Judgement::no(Evidence::TooSmall { growth }, slope, p, false);
    }
    if let Some(evidence) = not_persistent(t, y, slope, &fit) {
        let mut j = Judgement::no(evidence, slope, p, false);
        j.rising = true;
        return j;
    }
    Judgement {
        leaking: true,
        rising: true,
        slope_per_s: slope,
        p_value: p,
        floor_based: false,
        evidence: Evidence::Rising {
            slope,
            growth,
            duration,
            p,
        },
    }
}

/// The significance of an upward trend: Mann-Kendall on the values, and
/// a test chosen by whether the values pull back to a line (a
/// Dickey-Fuller test on the residuals of a least-squares line rejects a
/// unit root at 0.1%): if they do, the slope over its HAC standard error
/// (powerful under noise); if they may wander (a random walk, a slow
/// mean-reverting drift), the KVB drift test on the increments (which
/// keeps its level there). Both must reject; the larger p-value is the
/// evidence.
pub fn trend_p_up(t: &[f64], y: &[f64]) -> f64 {
    trend_p_up_of(t, y, &ols(t, y))
}

/// [`trend_p_up`] with the least-squares line already fitted.
fn trend_p_up_of(t: &[f64], y: &[f64], fit: &Ols) -> f64 {
    let short_memory = lag1_autocorrelation(&fit.resid) <= MAX_RESIDUAL_MEMORY;
    let test = if short_memory && df_tau(&fit.resid) < df_critical(y.len()) {
        levels_p_up(fit)
    } else {
        // A wandering series needs stronger evidence: its p-value is
        // scaled so that it must reach DRIFT_ALPHA to pass ALPHA.
        (drift_p_up(t, y) * ALPHA / DRIFT_ALPHA).min(1.0)
    };
    // `f64::max` ignores a NaN: a test that could not be computed is no
    // evidence, never a pass.
    if test.is_nan() {
        return 1.0;
    }
    mk_p_up(y).max(test)
}

/// Why a significant rise is not (yet) a leak: it stopped, or it slows
/// down (a warm-up approaching its plateau), or its recent part no longer
/// rises. None: it persists.
fn not_persistent(t: &[f64], y: &[f64], slope: f64, fit: &Ols) -> Option<Evidence> {
    let n = t.len();
    let dt = (t[n - 1] - t[0]) / (n - 1) as f64;
    // A rise is an increase of at least a quarter of the mean step.
    let quantum = 0.25 * slope * dt;
    let rise = |w: &[f64]| w[1] - w[0] > quantum.max(0.0) && w[1] > w[0];
    let rises: Vec<bool> = y.windows(2).map(rise).collect();
    // Stopped: the run of samples without a rise at the end is too long
    // for how often this series rises (probability under 1%).
    let flat_run = rises.iter().rev().take_while(|r| !**r).count();
    let q = rises.iter().filter(|r| **r).count() as f64 / rises.len().max(1) as f64;
    if flat_run >= 3 && (1.0 - q).powi(flat_run as i32) < 0.01 {
        return Some(Evidence::Stopped {
            flat_s: flat_run as f64 * dt,
        });
    }
    // Persistence: the last third still rises, by several separate steps.
    let k = (n / 3).max(4).min(n);
    let recent = theil_sen(&t[n - k..], &y[n - k..]);
    let half_rises = rises[rises.len() / 2..].iter().filter(|r| **r).count();
    if recent < 0.5 * slope || half_rises < 3 {
        return Some(Evidence::LevelledOff { recent });
    }
    // Slowing: concave, significantly, with the rate at the end well below
    // the rate at the start (a warm-up approaching its plateau).
    if let Some(c) = curvature(t, y, fit) {
        if c.z < -SLOWING_Z && c.rate_end < SLOWING_RATIO * c.rate_start {
            return Some(Evidence::Slowing {
                early: c.rate_start,
                recent: c.rate_end,
            });
        }
    }
    None
}

fn judge_floor(ft: &[f64], fy: &[f64], duration: f64, spec: &Spec) -> Judgement {
    let slope = theil_sen(ft, fy);
    let p = mk_p_up(fy);
    let growth = slope * duration;
    let n = fy.len();
    // With few troughs the test cannot reach significance; then every
    // trough must be higher than the one before.
    let significant = if n >= 6 {
        p < ALPHA
    } else {
        n >= 3 && fy.windows(2).all(|w| w[1] > w[0])
    };
    if !significant {
        return Judgement::no(Evidence::FloorFlat { troughs: n, p }, slope, p, true);
    }
    if slope <= 0.0 || growth < spec.min_growth || slope < spec.min_rate {
        return Judgement::no(Evidence::FloorTooSmall { growth }, slope, p, true);
    }
    let last = fy[n - 1];
    let prev = fy[n - 2];
    if last <= prev {
        return Judgement::no(Evidence::FloorNotHigher, slope, p, true);
    }
    Judgement {
        leaking: true,
        rising: true,
        slope_per_s: slope,
        p_value: p,
        floor_based: true,
        evidence: Evidence::FloorRising {
            slope,
            troughs: n,
            p,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic noise in [-1, 1].
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % 20001) as f64 / 10000.0 - 1.0
        }
    }

    const FDS: Spec = Spec {
        shape: Shape::Count,
        min_growth: 5.0,
        min_rate: 0.01,
    };
    const MIB: f64 = 1024.0 * 1024.0;
    const RSS: Spec = Spec {
        shape: Shape::Memory,
        min_growth: 4.0 * MIB,
        min_rate: 1024.0,
    };

    fn series(n: usize, dt: f64, mut f: impl FnMut(usize, f64) -> f64) -> (Vec<f64>, Vec<f64>) {
        let t: Vec<f64> = (0..n).map(|i| i as f64 * dt).collect();
        let y = t.iter().enumerate().map(|(i, &ti)| f(i, ti)).collect();
        (t, y)
    }

    #[test]
    fn linear_leaks_at_several_rates_with_noise() {
        for (rate, noise) in [(5.0, 0.0), (5.0, 2.0), (1.0, 1.0), (0.5, 0.5), (20.0, 5.0)] {
            let mut r = Rng(42);
            let (t, y) = series(120, 0.25, |_, t| {
                (100.0 + rate * t + noise * r.next()).round()
            });
            let j = judge(&t, &y, &FDS);
            assert!(j.leaking, "rate {rate} noise {noise}: {j:?}");
            assert!(
                (j.slope_per_s - rate).abs() < 0.15 * rate + 0.05,
                "rate {rate}: slope {}",
                j.slope_per_s
            );
        }
    }

    #[test]
    fn five_per_second_at_250ms_within_10_seconds() {
        let (t, y) = series(41, 0.25, |_, t| (50.0 + 5.0 * t).floor());
        let first = (MIN_SAMPLES..=t.len())
            .find(|&n| judge(&t[..n], &y[..n], &FDS).leaking)
            .unwrap();
        assert!(t[first - 1] <= 10.0, "detected only at {}s", t[first - 1]);
        assert!(t[first - 1] <= 4.0, "slow: {}s", t[first - 1]);
    }

    #[test]
    fn step_then_flat_is_not_a_leak() {
        let mut r = Rng(7);
        let (t, y) = series(
            120,
            0.5,
            |i, _| if i < 30 { 100.0 } else { 160.0 } + (r.next() * 0.6).round(),
        );
        let j = judge(&t, &y, &FDS);
        assert!(!j.leaking, "{j:?}");
    }

    #[test]
    fn warmup_plateau_is_not_a_leak() {
        let (t, y) = series(120, 0.5, |_, t| {
            (100.0 + 80.0 * (1.0 - (-t / 8.0).exp())).round()
        });
        let j = judge(&t, &y, &FDS);
        assert!(!j.leaking, "{j:?}");
    }

    #[test]
    fn constant_is_not_a_leak() {
        let (t, y) = series(100, 1.0, |_, _| 42.0);
        assert!(!judge(&t, &y, &FDS).leaking);
    }

    #[test]
    fn single_outlier_spike_is_not_a_leak() {
        let (t, y) = series(100, 1.0, |i, _| if i == 60 { 900.0 } else { 42.0 });
        assert!(!judge(&t, &y, &FDS).leaking);
        let (t, y) = series(100, 1.0, |i, _| if i == 95 { 900.0 } else { 42.0 });
        assert!(!judge(&t, &y, &FDS).leaking);
    }

    #[test]
    fn random_walks_are_not_leaks() {
        let mut flagged = 0;
        for seed in 1..=40u64 {
            let mut r = Rng(seed * 7919);
            let mut v = 500.0;
            let (t, y) = series(240, 0.25, |_, _| {
                v += if r.next() > 0.0 { 1.0 } else { -1.0 };
                v
            });
            if judge(&t, &y, &FDS).leaking {
                flagged += 1;
            }
        }
        // A driftless walk wanders; at most a small share may look like a leak.
        assert!(flagged <= 2, "{flagged} of 40 random walks flagged");
    }

    #[test]
    fn sawtooth_with_flat_floor_is_not_a_leak() {
        // GC: grows 8 MiB per second for 3 s, collected back to 200 MiB.
        let (t, y) = series(240, 0.25, |_, t| 200.0 * MIB + 8.0 * MIB * (t % 3.0));
        let j = judge(&t, &y, &RSS);
        assert!(!j.leaking, "{j:?}");
        assert!(j.floor_based);
    }

    #[test]
    fn sawtooth_with_rising_floor_is_a_leak() {
        let (t, y) = series(240, 0.25, |_, t| {
            200.0 * MIB + 1.0 * MIB * t + 8.0 * MIB * (t % 3.0)
        });
        let j = judge(&t, &y, &RSS);
        assert!(j.leaking, "{j:?}");
        assert!(j.floor_based);
        assert!(
            (j.slope_per_s / MIB - 1.0).abs() < 0.2,
            "{}",
            j.slope_per_s / MIB
        );
    }

    #[test]
    fn steady_memory_growth_without_gc_is_a_leak() {
        let mut r = Rng(3);
        let (t, y) = series(40, 0.25, |_, t| {
            100.0 * MIB + 2.0 * MIB * t + 64.0 * 1024.0 * r.next()
        });
        assert!(judge(&t, &y, &RSS).leaking);
    }

    #[test]
    fn too_few_samples_no_verdict() {
        let (t, y) = series(5, 1.0, |i, _| i as f64 * 100.0);
        let j = judge(&t, &y, &FDS);
        assert!(!j.leaking);
        assert!(matches!(
            j.evidence,
            Evidence::TooFewSamples {
                samples: 5,
                needed: 8
            }
        ));
    }

    #[test]
    fn long_series_are_reduced() {
        let (t, y) = series(20_000, 0.1, |_, t| (10.0 + 0.5 * t).floor());
        let (rt, ry) = reduce(&t, &y, MAX_POINTS, false);
        assert!(rt.len() <= MAX_POINTS && ry.len() == rt.len());
        assert!(judge(&t, &y, &FDS).leaking);
    }
}
