//! The statistics of the leak detector: the normal tail, Mann-Kendall
//! with tie correction, Theil-Sen, the drift test on increments, the
//! bounded reduction of a long series and the memory floor. Pure numbers.

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
/// robust to the values wandering: the Kiefer-Vogelsang-Bunzel statistic
/// (a t-statistic of the mean increment whose variance is estimated from
/// the partial sums with no truncation: Bartlett weights over the whole
/// sample). Under a driftless random walk its distribution is the same
/// whatever the length; it is heavier-tailed than the normal, and the
/// p-value comes from its quantiles ([`kvb_p`]). It asks: is the growth
/// large against how far the path strays from the straight line between
/// its ends?
pub fn drift_p_up(t: &[f64], y: &[f64]) -> f64 {
    let n = t.len().min(y.len());
    if n < 3 {
        return 1.0;
    }
    let span = t[n - 1] - t[0];
    if span <= 0.0 {
        return 1.0;
    }
    let mean = (y[n - 1] - y[0]) / span;
    if mean <= 0.0 {
        return 1.0;
    }
    // The statistic in time, so that readings taken at uneven intervals
    // (a metric read less often when it costs more) are weighed by the
    // time they cover: span^1.5 mean / sqrt(2 * integral of S(t)^2 dt),
    // S the path's distance from the straight line between its ends. At
    // even intervals it is the usual KVB statistic.
    let mut ss = 0.0;
    for k in 1..n {
        let s = (y[k] - y[0]) - mean * (t[k] - t[0]);
        ss += s * s * (t[k] - t[k - 1]);
    }
    if ss <= 1e-12 * mean * mean * span * span * span {
        // On the line at every reading: a perfect staircase.
        return 0.0;
    }
    kvb_p(span.powf(1.5) * mean / (2.0 * ss).sqrt())
}

/// Upper-tail probability of the KVB statistic under a driftless random
/// walk, interpolated (log-linearly) between its quantiles: 2.740 (10%),
/// 3.764 (5%), 6.090 (1%), 9.45 (0.1%), 12.7 (0.01%). The first three are
/// the published asymptotic values; we simulated all five (200,000 walks
/// of 8 to 1,000 Gaussian or +-1 steps) and they hold from about 20
/// steps. Beyond the last point the log-tail is extended linearly.
pub fn kvb_p(t: f64) -> f64 {
    const Q: [(f64, f64); 6] = [
        (0.0, 0.5),
        (2.740, 0.1),
        (3.764, 0.05),
        (6.090, 0.01),
        (9.45, 0.001),
        (12.7, 0.0001),
    ];
    if t.is_nan() {
        return 1.0;
    }
    if t <= 0.0 {
        // No growth: no evidence of a drift.
        return 1.0;
    }
    let i = Q
        .iter()
        .rposition(|q| q.0 <= t)
        .unwrap_or(0)
        .min(Q.len() - 2);
    let ((t0, p0), (t1, p1)) = (Q[i], Q[i + 1]);
    let lp = p0.log10() + (t - t0) * (p1.log10() - p0.log10()) / (t1 - t0);
    10f64.powf(lp).clamp(0.0, 0.5)
}

/// The Dickey-Fuller tau of a detrended series (residuals of a line),
/// with one lagged difference: how strongly the residuals pull back to
/// the line. Very negative: they do (a trend plus noise); near zero: they
/// wander (a random walk). Compare with [`df_critical`].
pub fn df_tau(e: &[f64]) -> f64 {
    let n = e.len();
    if n < 6 {
        return 0.0;
    }
    let (mut sxx, mut sxz, mut szz, mut sxy, mut szy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 2..n {
        let (x, z, y) = (e[i - 1], e[i - 1] - e[i - 2], e[i] - e[i - 1]);
        sxx += x * x;
        sxz += x * z;
        szz += z * z;
        sxy += x * y;
        szy += z * y;
    }
    let det = sxx * szz - sxz * sxz;
    if det <= 1e-12 * (sxx * szz).max(f64::MIN_POSITIVE) {
        return 0.0;
    }
    let a = (szz * sxy - sxz * szy) / det;
    let b = (sxx * szy - sxz * sxy) / det;
    let rss: f64 = (2..n)
        .map(|i| {
            let r = (e[i] - e[i - 1]) - a * e[i - 1] - b * (e[i - 1] - e[i - 2]);
            r * r
        })
        .sum();
    let s2 = rss / (n as f64 - 4.0);
    if s2 <= 0.0 {
        // Residuals exactly explained: a deterministic pattern around the
        // line (a clean staircase), which is stationary.
        return if a < 0.0 { f64::NEG_INFINITY } else { 0.0 };
    }
    a / (s2 * szz / det).sqrt()
}

/// The 0.1% critical value of [`df_tau`] under a random walk for `n`
/// points, from our simulation (100,000 +-1 walks per length): -6.69 at
/// 16 points, -5.71 at 24, -5.16 at 40, -4.82 at 80, -4.72 at 120, -4.65
/// at 240 (interpolated in 1/n; below 16 points no rejection).
pub fn df_critical(n: usize) -> f64 {
    const Q: [(f64, f64); 6] = [
        (16.0, -6.69),
        (24.0, -5.71),
        (40.0, -5.16),
        (80.0, -4.82),
        (120.0, -4.72),
        (240.0, -4.65),
    ];
    let n = n as f64;
    if n < Q[0].0 {
        return f64::NEG_INFINITY;
    }
    if n >= Q[Q.len() - 1].0 {
        return Q[Q.len() - 1].1;
    }
    let i = Q.iter().rposition(|q| q.0 <= n).unwrap_or(0);
    let ((n0, c0), (n1, c1)) = (Q[i], Q[i + 1]);
    let (x, x0, x1) = (1.0 / n, 1.0 / n0, 1.0 / n1);
    c0 + (x - x0) * (c1 - c0) / (x1 - x0)
}

/// An ordinary least-squares line through (t, y): slope, intercept, the
/// residuals and the spread of t (`sxx` = sum of (t - mean t)^2).
#[derive(Debug, Clone, PartialEq)]
pub struct Ols {
    pub slope: f64,
    pub intercept: f64,
    pub resid: Vec<f64>,
    pub sxx: f64,
}

pub fn ols(t: &[f64], y: &[f64]) -> Ols {
    let n = t.len().min(y.len()).max(1) as f64;
    let tm = t.iter().sum::<f64>() / n;
    let ym = y.iter().sum::<f64>() / n;
    let sxx: f64 = t.iter().map(|t| (t - tm) * (t - tm)).sum();
    let sxy: f64 = t.iter().zip(y).map(|(t, y)| (t - tm) * (y - ym)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let intercept = ym - slope * tm;
    let resid = t
        .iter()
        .zip(y)
        .map(|(t, y)| y - intercept - slope * t)
        .collect();
    Ols {
        slope,
        intercept,
        resid,
        sxx,
    }
}

/// Lag-1 autocorrelation of a zero-mean series (0 when it is constant).
pub fn lag1_autocorrelation(e: &[f64]) -> f64 {
    let den: f64 = e.iter().map(|x| x * x).sum();
    if den <= 0.0 {
        return 0.0;
    }
    e.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / den
}

/// Autocovariance of a zero-mean series at lag `k` (divided by n).
fn autocov(e: &[f64], k: usize) -> f64 {
    if k >= e.len() {
        return 0.0;
    }
    (k..e.len()).map(|i| e[i] * e[i - k]).sum::<f64>() / e.len() as f64
}

/// Long-run variance of a zero-mean series: Newey-West, Bartlett weights
/// up to lag `bw`. Never negative.
pub fn lrv_bartlett(e: &[f64], bw: usize) -> f64 {
    let mut v = autocov(e, 0);
    for k in 1..=bw.min(e.len().saturating_sub(1)) {
        v += 2.0 * (1.0 - k as f64 / (bw as f64 + 1.0)) * autocov(e, k);
    }
    v.max(0.0)
}

/// Andrews' (1991) plug-in bandwidth for the Bartlett kernel from an AR(1)
/// fit of the series: 1.1447 (a n)^(1/3), a = 4 rho^2 / ((1-rho)^2
/// (1+rho)^2); rho capped at 0.97 and the lag at n / 3. It grows with the
/// residuals' memory, so noise that holds its value for a while (a
/// descriptor open for half a second) is not mistaken for signal.
pub fn andrews_bandwidth(e: &[f64]) -> usize {
    let n = e.len();
    if n < 4 {
        return 0;
    }
    let den: f64 = e[..n - 1].iter().map(|x| x * x).sum();
    let num: f64 = e.windows(2).map(|w| w[0] * w[1]).sum();
    let rho = if den > 0.0 {
        (num / den).clamp(-0.97, 0.97)
    } else {
        0.0
    };
    let a = 4.0 * rho * rho / ((1.0 - rho).powi(2) * (1.0 + rho).powi(2));
    let bw = 1.1447 * (a * n as f64).cbrt();
    (bw.floor() as usize).min(n / 3)
}

/// The KPSS statistic of residuals around a trend, with the long-run
/// variance at the usual bandwidth floor(4 (n/100)^(1/4)): small when the
/// residuals are stationary (a line plus noise), large when they wander
/// (a random walk). Critical values for the trend case: 0.119 (10%),
/// 0.146 (5%), 0.216 (1%).
pub fn kpss(e: &[f64]) -> f64 {
    let n = e.len();
    if n < 4 {
        return 0.0;
    }
    let bw = (4.0 * (n as f64 / 100.0).powf(0.25)).floor() as usize;
    let lrv = lrv_bartlett(e, bw);
    if lrv <= 0.0 {
        return 0.0;
    }
    let mut s = 0.0;
    let mut sum_sq = 0.0;
    for x in e {
        s += x;
        sum_sq += s * s;
    }
    sum_sq / ((n * n) as f64 * lrv)
}

/// One-sided p-value of an upward trend in the levels: the OLS slope over
/// its standard error from the residuals' long-run variance (Andrews
/// bandwidth). Valid when the residuals are stationary (see [`kpss`]);
/// a random walk's residuals are not, and this test over-rejects on them.
pub fn levels_p_up(fit: &Ols) -> f64 {
    if fit.slope <= 0.0 || fit.sxx <= 0.0 {
        return 1.0;
    }
    // At least sqrt(n) lags: in windows this short a persistent residual
    // can look short-lived to the AR(1) plug-in.
    let n = fit.resid.len();
    let bw = andrews_bandwidth(&fit.resid).max((n as f64).sqrt().floor() as usize);
    let lrv = lrv_bartlett(&fit.resid, bw);
    let scale = fit.slope * fit.slope * fit.sxx;
    if lrv <= 1e-12 * scale {
        // (Nearly) on a line: a perfect staircase.
        return 0.0;
    }
    normal_sf(fit.slope / (lrv / fit.sxx).sqrt())
}

/// The curvature of a series: the coefficient of a quadratic term added
/// to the least-squares line (orthogonal to it), its z-score from the
/// residuals' long-run variance, and the fitted rate (slope of the
/// quadratic fit) at the first and at the last sample. A warm-up that
/// approaches a plateau is concave: its rate at the end is lower than at
/// the start, significantly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curvature {
    pub z: f64,
    pub rate_start: f64,
    pub rate_end: f64,
}

pub fn curvature(t: &[f64], y: &[f64], fit: &Ols) -> Option<Curvature> {
    let n = t.len().min(y.len());
    if n < 6 {
        return None;
    }
    let nf = n as f64;
    let tm = t.iter().sum::<f64>() / nf;
    let u: Vec<f64> = t.iter().map(|t| t - tm).collect();
    let u2m = u.iter().map(|u| u * u).sum::<f64>() / nf;
    let suu: f64 = u.iter().map(|u| u * u).sum();
    if suu <= 0.0 {
        return None;
    }
    // v: u^2 made orthogonal to 1 and u.
    let k = u.iter().map(|u| u * (u * u - u2m)).sum::<f64>() / suu;
    let v: Vec<f64> = u.iter().map(|u| u * u - u2m - k * u).collect();
    let svv: f64 = v.iter().map(|v| v * v).sum();
    if svv <= 0.0 {
        return None;
    }
    let c = v.iter().zip(&fit.resid).map(|(v, e)| v * e).sum::<f64>() / svv;
    let resid: Vec<f64> = fit.resid.iter().zip(&v).map(|(e, v)| e - c * v).collect();
    let lrv = lrv_bartlett(&resid, andrews_bandwidth(&resid));
    let se = (lrv / svv).sqrt();
    let z = if se > 0.0 {
        c / se
    } else if c < 0.0 {
        f64::NEG_INFINITY
    } else if c > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let rate = |u: f64| fit.slope + c * (2.0 * u - k);
    Some(Curvature {
        z,
        rate_start: rate(u[0]),
        rate_end: rate(u[n - 1]),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn kvb_tail_is_its_quantiles_and_never_nan() {
        assert!((kvb_p(3.764) - 0.05).abs() < 1e-9);
        assert!((kvb_p(9.45) - 0.001).abs() < 1e-9);
        // Between quantiles, log-linear: 2.74..3.764 spans 0.1..0.05.
        let mid = kvb_p((2.740 + 3.764) / 2.0);
        assert!((mid - (0.1f64 * 0.05).sqrt()).abs() < 1e-9, "{mid}");
        assert!(kvb_p(20.0) < 1e-5);
        assert_eq!(kvb_p(f64::NAN), 1.0);
        assert_eq!(kvb_p(-3.0), 1.0);
        // A path on its chord is a perfect staircase; a falling one no drift.
        assert_eq!(
            drift_p_up(&[0.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]),
            0.0
        );
        assert_eq!(drift_p_up(&[0.0, 1.0, 2.0], &[3.0, 2.0, 1.0]), 1.0);
    }

    #[test]
    fn df_critical_interpolates_and_refuses_short_series() {
        assert_eq!(df_critical(15), f64::NEG_INFINITY);
        assert_eq!(df_critical(16), -6.69);
        assert_eq!(df_critical(1000), -4.65);
        let c = df_critical(60);
        assert!(c < -4.82 && c > -5.16, "{c}");
    }

    #[test]
    fn theil_sen_ignores_an_outlier() {
        let t = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [0.0, 2.0, 4.0, 600.0, 8.0, 10.0];
        assert_eq!(theil_sen(&t, &y), 2.0);
    }
}
