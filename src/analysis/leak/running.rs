//! The running verdict of a metric during a watch: what the live view
//! and the JSON sample lines show at each sample, and the final verdict.
//! A rise is `rising` until the evidence is enough for a leak; a leak,
//! once shown, stays until the trend clearly reverses (and then says
//! why). Pure: windows and judgements in, [`Verdict`] out.

use super::detector::{Evidence, Judgement, MIN_SAMPLES, Spec, Verdict, Why};
use super::stats::theil_sen;
use super::window::Window;

/// Judge at most this often (seconds) while the window is young, when a
/// decision is close and a judgement is cheap; then at most once a second.
pub const YOUNG_PERIOD: f64 = 0.25;
/// A window spanning less than this is young.
pub const YOUNG_SPAN: f64 = 60.0;

/// Whether a running verdict is due at sample `samples` taken at `t`
/// (the last one at `last`).
pub fn due(t: f64, last: f64, samples: usize) -> bool {
    let period = if t < YOUNG_SPAN { YOUNG_PERIOD } else { 1.0 };
    samples <= 2 || t - last >= period - 1e-6
}

/// A leak is shown once every judgement for this long (seconds) says so.
pub const CONFIRM_S: f64 = 0.75;

/// A leak shown.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    rate: f64,
    p_value: f64,
    evidence: Evidence,
    /// The most growth the tests have seen while it leaked.
    growth: f64,
    /// The highest value since.
    peak: f64,
}

/// A metric's running verdict, with the memory of a leak shown.
#[derive(Debug, Clone, Default)]
pub struct Running {
    shown: Option<Shown>,
    /// Since when (the window's last sample time) every judgement has
    /// been a leak by every test, shown or not.
    leaking_since: Option<f64>,
}

impl Running {
    /// Judge the window at `t` and give the verdict to show (`denied`: a
    /// read of the metric was refused).
    pub fn update(&mut self, w: &Window, spec: &Spec, denied: bool) -> Verdict {
        let n = w.len();
        if n == 0 {
            return Verdict::Undecided(Why::Unreadable { denied });
        }
        if n < MIN_SAMPLES {
            return Verdict::Undecided(Why::TooFewSamples {
                samples: n,
                needed: MIN_SAMPLES,
            });
        }
        let j = w.judge(spec);
        let last = w.last().unwrap_or(0.0);
        if let Some(shown) = &mut self.shown {
            shown.peak = shown.peak.max(last);
            if j.leaking {
                shown.rate = j.slope_per_s;
                shown.p_value = j.p_value;
                shown.evidence = j.evidence;
                shown.growth = shown.growth.max(growth(&j, w.span()));
            } else if let Some(now) = reversed(w, spec, shown) {
                let peak = shown.peak;
                self.shown = None;
                return Verdict::Healthy {
                    rate: j.slope_per_s,
                    evidence: Evidence::Reversed { peak, now },
                };
            }
            return Verdict::Leak {
                rate: shown.rate,
                p_value: shown.p_value,
                evidence: shown.evidence,
            };
        }
        let mut v = Verdict::of(&j, n, w.span(), denied);
        let now = w.last_time().unwrap_or(0.0);
        let since = match (j.leaking, self.leaking_since) {
            (false, _) => None,
            (true, None) => Some(now),
            (true, Some(s)) => Some(s),
        };
        self.leaking_since = since;
        let held = since.is_some_and(|s| now - s >= CONFIRM_S - 1e-6);
        if let (Verdict::Leak { rate, p_value, .. }, false) = (&v, held) {
            // One judgement alone is not enough: the judgements of the
            // next second must agree (looking often is looking many times).
            v = Verdict::Rising {
                rate: *rate,
                p_value: *p_value,
                evidence: Evidence::TooShort {
                    span: w.span(),
                    needed: w.span() + CONFIRM_S - (now - since.unwrap_or(now)),
                },
            };
        } else if let Verdict::Leak { .. } = v {
            self.shown = Some(Shown {
                rate: j.slope_per_s,
                p_value: j.p_value,
                evidence: j.evidence,
                growth: growth(&j, w.span()),
                peak: last,
            });
        }
        v
    }

    /// Forget: the process behind the PID changed.
    pub fn reset(&mut self) {
        self.shown = None;
        self.leaking_since = None;
    }
}

fn growth(j: &Judgement, span: f64) -> f64 {
    match j.evidence {
        Evidence::Rising { growth, .. } => growth,
        _ => j.slope_per_s * span,
    }
}

/// A shown leak clearly reversed: the recent third of the window falls,
/// and its lowest value is below the peak by half the most growth seen
/// while it leaked (and by the metric's minimum growth). The recent lowest value
/// when it did.
fn reversed(w: &Window, spec: &Spec, shown: &Shown) -> Option<f64> {
    let (t, y) = (w.times(), w.values());
    let k = (y.len() / 3).max(4).min(y.len());
    let (rt, ry) = (&t[t.len() - k..], &y[y.len() - k..]);
    let low = ry.iter().copied().fold(f64::INFINITY, f64::min);
    let fell = shown.peak - low >= (0.5 * shown.growth).max(spec.min_growth);
    (fell && theil_sen(rt, ry) < 0.0).then_some(ry[ry.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::leak::Metric;

    fn feed(run: &mut Running, w: &mut Window, spec: &Spec, pts: &[(f64, f64)]) -> Vec<Verdict> {
        pts.iter()
            .map(|&(t, y)| {
                w.push(t, y);
                run.update(w, spec, false)
            })
            .collect()
    }

    #[test]
    fn a_leak_is_rising_until_confirmed_then_stays_through_a_pause() {
        let spec = Metric::Fds.spec();
        let (mut run, mut w) = (Running::default(), Window::new(3600));
        // 5 a second, every 250 ms.
        let rise: Vec<(f64, f64)> = (0..40)
            .map(|i| (f64::from(i) * 0.25, 10.0 + 1.25 * f64::from(i)))
            .collect();
        let v = feed(&mut run, &mut w, &spec, &rise);
        let first_leak = v.iter().position(Verdict::is_leak).unwrap();
        let t_first = rise[first_leak].0;
        // Never LEAK before MIN_SPAN; rising before it, never healthy once
        // the trend is clear.
        assert!((3.7..=4.0).contains(&t_first), "{t_first}");
        assert!(v[..first_leak].iter().all(|v| !v.is_leak()));
        assert!(v[first_leak - 2].is_rising(), "{:?}", v[first_leak - 2]);
        assert!(v[first_leak..].iter().all(Verdict::is_leak));
        // It stops growing: the LEAK stays (it holds what it took).
        let flat: Vec<(f64, f64)> = (40..80).map(|i| (f64::from(i) * 0.25, 60.0)).collect();
        let v = feed(&mut run, &mut w, &spec, &flat);
        assert!(v.iter().all(Verdict::is_leak), "{:?}", v.last());
    }

    #[test]
    fn a_leak_that_clearly_reverses_is_cleared_and_says_why() {
        let spec = Metric::Fds.spec();
        let (mut run, mut w) = (Running::default(), Window::new(3600));
        let rise: Vec<(f64, f64)> = (0..40)
            .map(|i| (f64::from(i) * 0.25, 10.0 + 1.25 * f64::from(i)))
            .collect();
        assert!(
            feed(&mut run, &mut w, &spec, &rise)
                .last()
                .unwrap()
                .is_leak()
        );
        // Everything is released, steadily.
        let fall: Vec<(f64, f64)> = (40..80)
            .map(|i| {
                (
                    f64::from(i) * 0.25,
                    (58.75 - 1.25 * f64::from(i - 39)).max(10.0),
                )
            })
            .collect();
        let v = feed(&mut run, &mut w, &spec, &fall);
        let cleared = v.iter().position(|v| !v.is_leak()).expect("cleared");
        match &v[cleared] {
            Verdict::Healthy {
                evidence: Evidence::Reversed { peak, now },
                ..
            } => {
                assert_eq!(*peak, 58.75);
                assert!(*now < 40.0, "{now}");
            }
            other => panic!("{other:?}"),
        }
        // A one-sample dip is not a reversal.
        let (mut run, mut w) = (Running::default(), Window::new(3600));
        feed(&mut run, &mut w, &spec, &rise);
        let dip = [(10.0, 20.0), (10.25, 60.0), (10.5, 61.25)];
        assert!(
            feed(&mut run, &mut w, &spec, &dip)
                .iter()
                .all(Verdict::is_leak)
        );
    }

    #[test]
    fn collecting_then_unreadable_and_reset() {
        let spec = Metric::Fds.spec();
        let mut run = Running::default();
        let w = Window::new(10);
        assert_eq!(
            run.update(&w, &spec, true),
            Verdict::Undecided(Why::Unreadable { denied: true })
        );
        let mut w = Window::new(100);
        let v = feed(&mut run, &mut w, &spec, &[(0.0, 1.0), (0.25, 2.0)]);
        assert!(matches!(
            v[1],
            Verdict::Undecided(Why::TooFewSamples { samples: 2, .. })
        ));
        run.reset();
        assert!(run.shown.is_none() && run.leaking_since.is_none());
    }

    #[test]
    fn judged_every_250ms_while_young_then_every_second() {
        assert!(due(0.0, f64::NEG_INFINITY, 1));
        assert!(due(5.25, 5.0, 30));
        assert!(!due(5.1, 5.0, 30));
        assert!(!due(61.5, 61.0, 300));
        assert!(due(62.0, 61.0, 300));
    }
}
