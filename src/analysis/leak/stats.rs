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
    fn theil_sen_ignores_an_outlier() {
        let t = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [0.0, 2.0, 4.0, 600.0, 8.0, 10.0];
        assert_eq!(theil_sen(&t, &y), 2.0);
    }
}
