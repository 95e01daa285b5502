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
    /// The growth the leak had shown when first reported.
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
/// and its lowest value is below the peak by half the growth that was
/// reported (and by the metric's minimum growth). The recent lowest value
/// when it did.
fn reversed(w: &Window, spec: &Spec, shown: &Shown) -> Option<f64> {
    let (t, y) = (w.times(), w.values());
    let k = (y.len() / 3).max(4).min(y.len());
    let (rt, ry) = (&t[t.len() - k..], &y[y.len() - k..]);
    let low = ry.iter().copied().fold(f64::INFINITY, f64::min);
    let fell = shown.peak - low >= (0.5 * shown.growth).max(spec.min_growth);
    (fell && theil_sen(rt, ry) < 0.0).then_some(ry[ry.len() - 1])
}
