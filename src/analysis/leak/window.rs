//! The bounded sample window of one metric: (seconds, value) pairs, the
//! most recent [`WINDOW_CAP`] kept, judged by the detector. Pure.

use std::collections::VecDeque;

use super::detector::{self, Judgement, Spec, Verdict};

/// A bounded window of (seconds since start, value). Long watches keep the
/// most recent `cap` samples: memory stays flat whatever the duration.
#[derive(Debug, Clone)]
pub struct Window {
    cap: usize,
    t: VecDeque<f64>,
    y: VecDeque<f64>,
    first: Option<f64>,
}

/// Samples kept per metric (an hour at 1 s; 15 minutes at 250 ms).
pub const WINDOW_CAP: usize = 3600;

impl Window {
    pub fn new(cap: usize) -> Window {
        Window {
            cap: cap.max(2),
            t: VecDeque::new(),
            y: VecDeque::new(),
            first: None,
        }
    }

    pub fn push(&mut self, t: f64, y: f64) {
        if self.first.is_none() {
            self.first = Some(y);
        }
        if self.t.len() == self.cap {
            self.t.pop_front();
            self.y.pop_front();
        }
        self.t.push_back(t);
        self.y.push_back(y);
    }

    /// Forget everything: the process behind the PID changed.
    pub fn reset(&mut self) {
        self.t.clear();
        self.y.clear();
        self.first = None;
    }

    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    pub fn last_time(&self) -> Option<f64> {
        self.t.back().copied()
    }

    pub fn last(&self) -> Option<f64> {
        self.y.back().copied()
    }

    pub fn first(&self) -> Option<f64> {
        self.first
    }

    pub fn judge(&self, spec: &Spec) -> Judgement {
        let (a, b) = self.t.as_slices();
        let t: Vec<f64> = a.iter().chain(b).copied().collect();
        let (a, b) = self.y.as_slices();
        let y: Vec<f64> = a.iter().chain(b).copied().collect();
        detector::judge(&t, &y, spec)
    }

    /// The typed verdict of this window (`denied`: a read of the metric
    /// was refused).
    pub fn verdict(&self, spec: &Spec, denied: bool) -> Verdict {
        Verdict::of(&self.judge(spec), self.len(), self.span(), denied)
    }

    /// Seconds between the first and the last sample kept.
    pub fn span(&self) -> f64 {
        match (self.t.front(), self.t.back()) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        }
    }

    /// The values kept, oldest first.
    pub fn values(&self) -> Vec<f64> {
        self.y.iter().copied().collect()
    }

    /// The times kept, oldest first.
    pub fn times(&self) -> Vec<f64> {
        self.t.iter().copied().collect()
    }

    /// The last `n` values, for a sparkline.
    pub fn tail(&self, n: usize) -> Vec<f64> {
        self.y
            .iter()
            .skip(self.y.len().saturating_sub(n))
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::leak::Metric;

    #[test]
    fn window_is_bounded_and_resets() {
        let mut w = Window::new(100);
        for i in 0..1000 {
            w.push(i as f64, i as f64);
        }
        assert_eq!(w.len(), 100);
        assert_eq!(w.first(), Some(0.0));
        assert_eq!(w.last(), Some(999.0));
        w.reset();
        assert!(w.is_empty());
        assert_eq!(w.first(), None);
    }

    #[test]
    fn a_reset_counter_is_a_new_series_never_a_negative_rate() {
        // fds grew 100 -> 220 in the old process; the PID was reused by a
        // new process starting at 10 and flat.
        let mut w = Window::new(1000);
        for i in 0..60 {
            w.push(i as f64 * 0.5, 100.0 + 4.0 * i as f64);
        }
        assert!(w.judge(&Metric::Fds.spec()).leaking);
        w.reset();
        for i in 60..120 {
            w.push(i as f64 * 0.5, 10.0);
        }
        let j = w.judge(&Metric::Fds.spec());
        assert!(!j.leaking);
        assert!(j.slope_per_s >= 0.0, "{}", j.slope_per_s);
    }
}
