//! The pure side of `watch`: metrics, bounded sample windows, running and
//! final verdicts, time to exhaustion. The sampling loop (I/O, clock,
//! signals) lives in `cmd::watch`; this module only sees numbers.

use std::collections::VecDeque;

use serde::Serialize;

use super::leak::{self, Judgement, Shape, Spec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Rss,
    Pss,
    Fds,
    Threads,
    Sockets,
    CloseWait,
    Maps,
}

pub const DEFAULT_METRICS: [Metric; 5] = [
    Metric::Rss,
    Metric::Fds,
    Metric::Threads,
    Metric::Sockets,
    Metric::CloseWait,
];

const MIB: f64 = 1024.0 * 1024.0;

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Rss => "rss",
            Metric::Pss => "pss",
            Metric::Fds => "fds",
            Metric::Threads => "threads",
            Metric::Sockets => "sockets",
            Metric::CloseWait => "close_wait",
            Metric::Maps => "maps",
        }
    }

    /// The JSON key of a sample record.
    pub fn json_key(self) -> &'static str {
        match self {
            Metric::Rss => "rss_bytes",
            Metric::Pss => "pss_bytes",
            other => other.name(),
        }
    }

    pub fn is_bytes(self) -> bool {
        matches!(self, Metric::Rss | Metric::Pss)
    }

    /// Thresholds: what growth matters. Memory: 4 MiB and 16 KiB/s;
    /// descriptors and sockets: 5 and one per 100 s; threads: 3; CLOSE_WAIT
    /// sockets: 3; mappings: 10.
    pub fn spec(self) -> Spec {
        match self {
            Metric::Rss | Metric::Pss => Spec {
                shape: Shape::Memory,
                min_growth: 4.0 * MIB,
                min_rate: 16.0 * 1024.0,
            },
            Metric::Fds | Metric::Sockets => Spec {
                shape: Shape::Count,
                min_growth: 5.0,
                min_rate: 0.01,
            },
            Metric::Threads => Spec {
                shape: Shape::Count,
                min_growth: 3.0,
                min_rate: 0.01,
            },
            Metric::CloseWait => Spec {
                shape: Shape::Count,
                min_growth: 3.0,
                min_rate: 0.01,
            },
            Metric::Maps => Spec {
                shape: Shape::Count,
                min_growth: 10.0,
                min_rate: 0.02,
            },
        }
    }
}

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
        leak::judge(&t, &y, spec)
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

/// Time to exhaustion in seconds at `slope` per second; None without a
/// limit or a positive slope; 0 when already at the limit.
pub fn eta(current: f64, limit: Option<f64>, slope: f64) -> Option<f64> {
    let limit = limit?;
    if slope <= 0.0 {
        return None;
    }
    Some(((limit - current) / slope).max(0.0))
}

/// The error of a watch that judged no metric: what each lacked, and what
/// to do (watch longer; read as root what could not be read).
pub fn nothing_judged(inc: &crate::analysis::incomplete::Incomplete) -> crate::error::CliError {
    use crate::analysis::incomplete::Reason;
    let counts: Vec<(usize, usize)> = inc
        .reasons
        .iter()
        .filter_map(|r| match r {
            Reason::NotJudged {
                samples, needed, ..
            } => Some((*samples, *needed)),
            _ => None,
        })
        .collect();
    let what = match counts.first() {
        Some(&(s, n)) if counts.iter().all(|&c| c == (s, n)) && s > 0 => {
            format!("nothing judged: {s} samples, a verdict needs {n}")
        }
        _ => format!("nothing judged: {}", inc.what()),
    };
    let unread = counts.iter().any(|&(s, _)| s == 0);
    crate::error::CliError::new(what).hint(if unread {
        "watch longer (e.g. --duration 30s --interval 1s); metrics with 0 samples could not be read: run as root or as the process's owner"
    } else {
        "watch longer: 8 samples per metric (e.g. --duration 30s --interval 1s)"
    })
}

/// Unicode sparkline of values (8 levels).
pub fn sparkline(v: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    v.iter()
        .map(|&x| {
            if hi - lo <= 0.0 {
                BARS[0]
            } else {
                BARS[(((x - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Leak {
    pub metric: &'static str,
    pub slope_per_s: f64,
    pub p_value: f64,
    pub current: Option<f64>,
    pub limit: Option<f64>,
    pub eta_s: Option<f64>,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn eta_against_limits() {
        assert_eq!(eta(100.0, Some(1024.0), 9.8).map(|e| e.round()), Some(94.0));
        assert_eq!(eta(2000.0, Some(1024.0), 1.0), Some(0.0));
        assert_eq!(eta(100.0, None, 1.0), None);
        assert_eq!(eta(100.0, Some(1024.0), 0.0), None);
    }

    #[test]
    fn nothing_judged_says_what_each_lacked() {
        use crate::analysis::incomplete::{Incomplete, Reason};
        let nj = |metric, samples| Reason::NotJudged {
            metric,
            samples,
            needed: 8,
        };
        let same = Incomplete {
            reasons: vec![nj("rss", 3), nj("fds", 3)],
            cause: None,
        };
        let e = nothing_judged(&same);
        assert_eq!(e.message, "nothing judged: 3 samples, a verdict needs 8");
        assert!(e.hint.unwrap().starts_with("watch longer: 8 samples"));
        let mixed = Incomplete {
            reasons: vec![nj("rss", 3), nj("sockets", 0)],
            cause: None,
        };
        let e = nothing_judged(&mixed);
        assert_eq!(
            e.message,
            "nothing judged: rss not judged (3 samples, needs 8); sockets not judged (0 samples, needs 8)"
        );
        assert!(e.hint.unwrap().contains("run as root"));
    }

    #[test]
    fn sparklines() {
        assert_eq!(sparkline(&[0.0, 7.0]), "▁█");
        assert_eq!(sparkline(&[3.0, 3.0, 3.0]), "▁▁▁");
        assert_eq!(sparkline(&[]), "");
    }
}
