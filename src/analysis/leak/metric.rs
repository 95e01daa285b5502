//! The metrics `watch` samples and the thresholds each is judged by
//! (what growth matters). Pure.

use serde::Serialize;

use super::detector::{Shape, Spec};

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
    /// A cgroup's memory working set (usage - inactive file), `watch --cgroup`.
    WorkingSet,
    /// A cgroup's tasks (pids.current), `watch --cgroup`.
    Tasks,
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
            Metric::WorkingSet => "working_set",
            Metric::Tasks => "tasks",
        }
    }

    /// The JSON key of a sample record.
    pub fn json_key(self) -> &'static str {
        match self {
            Metric::Rss => "rss_bytes",
            Metric::Pss => "pss_bytes",
            Metric::WorkingSet => "working_set_bytes",
            other => other.name(),
        }
    }

    pub fn is_bytes(self) -> bool {
        matches!(self, Metric::Rss | Metric::Pss | Metric::WorkingSet)
    }

    /// Thresholds: what growth matters. Memory: 4 MiB and 16 KiB/s;
    /// descriptors and sockets: 5 and one per 100 s; threads: 3; CLOSE_WAIT
    /// sockets: 3; mappings: 10.
    pub fn spec(self) -> Spec {
        match self {
            Metric::Rss | Metric::Pss | Metric::WorkingSet => Spec {
                shape: Shape::Memory,
                min_growth: 4.0 * MIB,
                min_rate: 16.0 * 1024.0,
            },
            Metric::Fds | Metric::Sockets => Spec {
                shape: Shape::Count,
                min_growth: 5.0,
                min_rate: 0.01,
            },
            Metric::Threads | Metric::Tasks => Spec {
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
