//! The leak detector: decides from a series of samples whether a metric
//! grows persistently. Pure (no I/O, no clock); `watch` feeds it. The math,
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

use serde::Serialize;

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
pub const ALPHA: f64 = 0.01;
/// Fewer samples than this: no verdict yet.
pub const MIN_SAMPLES: usize = 8;
/// The series is reduced to at most this many points before testing
/// (bounded cost whatever the watch length).
pub const MAX_POINTS: usize = 240;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    pub leaking: bool,
    /// Theil-Sen slope, unit per second (of the floor for memory with drops).
    pub slope_per_s: f64,
    /// One-sided Mann-Kendall p-value for an upward trend.
    pub p_value: f64,
    /// Whether the floor (segment minima between drops) was judged.
    pub floor_based: bool,
    /// Why: one short sentence of evidence.
    pub reason: String,
}

impl Judgement {
    fn no(reason: impl Into<String>, slope: f64, p: f64, floor: bool) -> Judgement {
        Judgement {
            leaking: false,
            slope_per_s: slope,
            p_value: p,
            floor_based: floor,
            reason: reason.into(),
        }
    }
}

/// Standard normal upper tail, 1 - Phi(z), via erfc (W. J. Cody's rational
/// approximation as in Numerical Recipes `erfcc`, relative error < 1.2e-7).
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Mann-Kendall S statistic and its variance with tie correction.
pub fn mann_kendall(y: &[f64]) -> (f64, f64) {
    let n = y.len();
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            s += match y[j].partial_cmp(&y[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    // Tie groups: sizes of runs of equal values.
    let mut sorted: Vec<f64> = y.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i + 1;
        while j < sorted.len() && sorted[j] == sorted[i] {
            j += 1;
        }
        let t = (j - i) as f64;
        if t > 1.0 {
            ties += t * (t - 1.0) * (2.0 * t + 5.0);
        }
        i = j;
    }
    let nf = n as f64;
    let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    (s as f64, var)
}

/// One-sided p-value for an upward trend (continuity-corrected).
pub fn mk_p_up(y: &[f64]) -> f64 {
    let (s, var) = mann_kendall(y);
    if var <= 0.0 || s <= 0.0 {
        return 1.0;
    }
    normal_sf((s - 1.0) / var.sqrt())
}

/// Theil-Sen slope of y over t (median of pairwise slopes).
pub fn theil_sen(t: &[f64], y: &[f64]) -> f64 {
    let mut slopes = Vec::with_capacity(t.len() * t.len().saturating_sub(1) / 2);
    for i in 0..t.len() {
        for j in i + 1..t.len() {
            let dt = t[j] - t[i];
            if dt > 0.0 {
                slopes.push((y[j] - y[i]) / dt);
            }
        }
    }
    median(&mut slopes)
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// One-sided p-value that the increments have a positive mean (a drift),
/// with the Newey-West long-run variance of the increments (Bartlett
/// weights, bandwidth ceil(m^(1/3))). Under a driftless random walk the
/// increments are independent and this is an ordinary test at level p;
/// for a leak with independent noise around a line, the increments are
/// negatively correlated, their long-run variance is small, and the drift
/// stands out. Mann-Kendall alone flags most random walks: their values
/// are serially dependent, which it assumes away.
pub fn drift_p_up(y: &[f64]) -> f64 {
    let d: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let m = d.len();
    if m < 2 {
        return 1.0;
    }
    let mf = m as f64;
    let mean = d.iter().sum::<f64>() / mf;
    if mean <= 0.0 {
        return 1.0;
    }
    let gamma = |k: usize| {
        (k..m)
            .map(|i| (d[i] - mean) * (d[i - k] - mean))
            .sum::<f64>()
            / mf
    };
    let bw = (mf.cbrt().ceil() as usize).min(m - 1);
    let mut lrv = gamma(0);
    for k in 1..=bw {
        lrv += 2.0 * (1.0 - k as f64 / (bw as f64 + 1.0)) * gamma(k);
    }
    if lrv <= 1e-12 * mean * mean {
        // Increments all (nearly) equal and positive: a perfect staircase.
        return 0.0;
    }
    normal_sf(mean / (lrv / mf).sqrt())
}

/// Reduce a long series to at most `max` points: per time bucket, the
/// minimum (memory: keeps the troughs) or the mean (counts).
pub fn reduce(t: &[f64], y: &[f64], max: usize, keep_min: bool) -> (Vec<f64>, Vec<f64>) {
    if t.len() <= max {
        return (t.to_vec(), y.to_vec());
    }
    let per = t.len().div_ceil(max);
    let mut rt = Vec::with_capacity(max);
    let mut ry = Vec::with_capacity(max);
    for (ct, cy) in t.chunks(per).zip(y.chunks(per)) {
        if keep_min {
            let (i, v) =
                cy.iter().enumerate().fold(
                    (0, f64::INFINITY),
                    |a, (i, v)| if *v < a.1 { (i, *v) } else { a },
                );
            rt.push(ct[i]);
            ry.push(v);
        } else {
            rt.push(ct.iter().sum::<f64>() / ct.len() as f64);
            ry.push(cy.iter().sum::<f64>() / cy.len() as f64);
        }
    }
    (rt, ry)
}

/// Memory floor: split the series at significant drops (a fall larger
/// than `drop` from one sample to the next) and keep each segment's
/// minimum. Returns None when there are fewer than two drops (no
/// sawtooth: judge the series itself).
pub fn floor(t: &[f64], y: &[f64], drop: f64) -> Option<(Vec<f64>, Vec<f64>)> {
    let mut cuts = vec![0];
    for i in 1..y.len() {
        if y[i - 1] - y[i] > drop {
            cuts.push(i);
        }
    }
    if cuts.len() < 3 {
        return None;
    }
    cuts.push(y.len());
    let mut ft = Vec::new();
    let mut fy = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a >= b {
            continue;
        }
        let (i, v) = (a..b).fold((a, f64::INFINITY), |acc, i| {
            if y[i] < acc.1 { (i, y[i]) } else { acc }
        });
        ft.push(t[i]);
        fy.push(v);
    }
    Some((ft, fy))
}

/// An amount in the metric's unit: IEC bytes for memory, else a count.
fn amount(spec: &Spec, v: f64) -> String {
    match spec.shape {
        Shape::Memory => {
            let sign = if v < 0.0 { "-" } else { "+" };
            format!("{sign}{}", crate::render::units::iec(v.abs() as u64))
        }
        Shape::Count => format!("{v:+.1}"),
    }
}

/// Judge a series of (seconds, value) samples.
pub fn judge(t: &[f64], y: &[f64], spec: &Spec) -> Judgement {
    let n = t.len().min(y.len());
    if n < MIN_SAMPLES {
        return Judgement::no(format!("{n} samples, need {MIN_SAMPLES}"), 0.0, 1.0, false);
    }
    let (t, y) = reduce(&t[..n], &y[..n], MAX_POINTS, spec.shape == Shape::Memory);
    let duration = t[t.len() - 1] - t[0];
    if duration <= 0.0 {
        return Judgement::no("no time elapsed", 0.0, 1.0, false);
    }
    if spec.shape == Shape::Memory {
        let drop = (y.iter().cloned().fold(0.0, f64::max) * 0.02).max(spec.min_growth / 2.0);
        if let Some((ft, fy)) = floor(&t, &y, drop) {
            return judge_floor(&ft, &fy, duration, spec);
        }
    }
    judge_counts(&t, &y, duration, spec)
}

fn judge_counts(t: &[f64], y: &[f64], duration: f64, spec: &Spec) -> Judgement {
    let slope = theil_sen(t, y);
    // Both tests must reject; the larger p-value is the evidence reported.
    let p = mk_p_up(y).max(drift_p_up(y));
    let growth = slope * duration;
    if p >= ALPHA {
        return Judgement::no(
            format!("no significant upward trend (p = {p:.3})"),
            slope,
            p,
            false,
        );
    }
    if slope <= 0.0 || growth < spec.min_growth || slope < spec.min_rate {
        return Judgement::no(
            format!(
                "trend too small to matter ({} over the window)",
                amount(spec, growth)
            ),
            slope,
            p,
            false,
        );
    }
    // Persistence: the last third still rises, by several separate steps.
    let k = (t.len() / 3).max(4).min(t.len());
    let (rt, ry) = (&t[t.len() - k..], &y[y.len() - k..]);
    let recent = theil_sen(rt, ry);
    let half = &y[y.len() / 2..];
    let rises = half.windows(2).filter(|w| w[1] > w[0]).count();
    if recent < 0.3 * slope || rises < 3 {
        return Judgement::no(
            format!(
                "grew earlier but has levelled off (recent rate {}/s)",
                amount(spec, recent)
            ),
            slope,
            p,
            false,
        );
    }
    Judgement {
        leaking: true,
        slope_per_s: slope,
        p_value: p,
        floor_based: false,
        reason: format!(
            "rising {}/s, {} over {duration:.0}s, still rising (p = {p:.1e})",
            amount(spec, slope),
            amount(spec, growth)
        ),
    }
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
        return Judgement::no(
            format!("rises and falls; its floor ({n} troughs) does not rise (p = {p:.3})"),
            slope,
            p,
            true,
        );
    }
    if slope <= 0.0 || growth < spec.min_growth || slope < spec.min_rate {
        return Judgement::no(
            format!(
                "floor rises too little to matter ({} over the window)",
                amount(spec, growth)
            ),
            slope,
            p,
            true,
        );
    }
    let last = fy[n - 1];
    let prev = fy[n - 2];
    if last <= prev {
        return Judgement::no(
            "floor rose earlier but the last trough is not higher",
            slope,
            p,
            true,
        );
    }
    Judgement {
        leaking: true,
        slope_per_s: slope,
        p_value: p,
        floor_based: true,
        reason: format!(
            "rises and falls, but its floor rises {}/s across {n} troughs (p = {p:.1e})",
            amount(spec, slope)
        ),
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
    fn normal_tail() {
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_sf(1.959_964) - 0.025).abs() < 1e-6);
        assert!((normal_sf(-1.644_854) - 0.95).abs() < 1e-6);
        assert!(normal_sf(8.0) < 1e-14);
    }

    #[test]
    fn mann_kendall_with_ties() {
        let (s, var) = mann_kendall(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s, 6.0);
        assert!((var - 4.0 * 3.0 * 13.0 / 18.0).abs() < 1e-9);
        // Ties: [1,1,2]: S = 2, var = (3*2*11 - 2*1*9)/18 = 48/18.
        let (s, var) = mann_kendall(&[1.0, 1.0, 2.0]);
        assert_eq!(s, 2.0);
        assert!((var - 48.0 / 18.0).abs() < 1e-9);
        assert_eq!(mk_p_up(&[3.0, 3.0, 3.0, 3.0]), 1.0);
    }

    #[test]
    fn theil_sen_ignores_an_outlier() {
        let t = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [0.0, 2.0, 4.0, 600.0, 8.0, 10.0];
        assert_eq!(theil_sen(&t, &y), 2.0);
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
        assert!(j.reason.contains("need"));
    }

    #[test]
    fn long_series_are_reduced() {
        let (t, y) = series(20_000, 0.1, |_, t| (10.0 + 0.5 * t).floor());
        let (rt, ry) = reduce(&t, &y, MAX_POINTS, false);
        assert!(rt.len() <= MAX_POINTS && ry.len() == rt.len());
        assert!(judge(&t, &y, &FDS).leaking);
    }
}
