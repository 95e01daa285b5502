//! Leak detection, pure: the statistics ([`stats`]), the detector and the
//! typed verdict of a metric ([`detector`]), the bounded sample window
//! ([`window`]) and the metrics with their thresholds ([`metric`]). No
//! I/O, no clock, no words for people (those are in `render::watch`).

pub mod detector;
pub mod metric;
pub mod running;
pub mod stats;
pub mod suite;
pub mod window;

pub use detector::{
    ALPHA, ALPHA_RISING, Evidence, Judgement, MAX_POINTS, MIN_SAMPLES, MIN_SPAN, Shape, Spec,
    Verdict, Why, judge,
};
pub use metric::{DEFAULT_METRICS, Metric};
pub use running::Running;
pub use window::{WINDOW_CAP, Window};
