//! The pure side of `watch`: a metric's judgement at a point of the watch
//! (its typed verdict, its value, the limit it runs into and when), what
//! a watch could not judge, and how it ended. The sampling loop (I/O,
//! clock, signals) is `cmd::watch`; the words are `render::watch`; the
//! detector, windows and metrics are `analysis::leak`.

pub use super::leak::{DEFAULT_METRICS, Metric, WINDOW_CAP, Window};

use super::ceiling::{self, Exhaustion};
use super::incomplete::{Incomplete, Reason};
use super::leak::{MIN_SAMPLES, Running, Verdict, Why};
use super::workload::{Role, WorkloadReport};
use crate::reader::{Ceilings, Sample};

/// How a watch ended.
#[derive(Debug, Clone, PartialEq)]
pub enum EndReason {
    Duration,
    Interrupted,
    /// The process ended; how, in words (`render::watch::ending`).
    TargetEnded(String),
}

/// One metric judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub metric: Metric,
    pub verdict: Verdict,
    /// The last value sampled.
    pub current: Option<f64>,
    /// The limit the metric runs into, the room left and (for a leak) the
    /// time to it at the leak's rate.
    pub exhaustion: Option<Exhaustion>,
}

/// Judge one metric's window, without history (the `top` TUI's watch
/// panel). `denied`: a read was refused; `own`: the process's last sample;
/// `c`: its limits, usages fresh.
pub fn judge(metric: Metric, window: &Window, denied: bool, own: &Sample, c: &Ceilings) -> Judged {
    let verdict = window.verdict(&metric.spec(), denied);
    judged(metric, verdict, window, own, c)
}

/// Judge one metric's window with its running verdict (`watch`: a leak
/// shown stays until the trend reverses).
pub fn judge_running(
    metric: Metric,
    window: &Window,
    running: &mut Running,
    denied: bool,
    own: &Sample,
    c: &Ceilings,
) -> Judged {
    let verdict = running.update(window, &metric.spec(), denied);
    judged(metric, verdict, window, own, c)
}

fn judged(metric: Metric, verdict: Verdict, window: &Window, own: &Sample, c: &Ceilings) -> Judged {
    let rate = match verdict {
        Verdict::Leak { rate, .. } => rate,
        _ => 0.0,
    };
    Judged {
        metric,
        verdict,
        current: window.last(),
        exhaustion: ceiling::exhaustion(metric, own, c, rate),
    }
}

/// The metrics a watch could not judge (never counted as healthy).
pub fn incompleteness(judged: &[Judged]) -> Incomplete {
    let mut inc = Incomplete::default();
    for j in judged {
        let samples = match j.verdict {
            Verdict::Undecided(Why::Unreadable { .. }) => 0,
            Verdict::Undecided(Why::TooFewSamples { samples, .. }) => samples,
            _ => continue,
        };
        inc.reasons.push(Reason::NotJudged {
            metric: j.metric.name(),
            samples,
            needed: MIN_SAMPLES,
        });
    }
    inc
}

/// What a watch that judged no metric lacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NothingJudged {
    /// Every metric had these (samples, needed), samples > 0.
    pub uniform: Option<(usize, usize)>,
    /// Some metric could not be read at all.
    pub unread: bool,
}

pub fn nothing_judged(inc: &Incomplete) -> NothingJudged {
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
    let uniform = match counts.first() {
        Some(&(s, n)) if counts.iter().all(|&c| c == (s, n)) && s > 0 => Some((s, n)),
        _ => None,
    };
    NothingJudged {
        uniform,
        unread: counts.iter().any(|&(s, _)| s == 0),
    }
}

/// A metric only a cgroup has (`watch --cgroup`).
pub fn cgroup_only(m: Metric) -> bool {
    matches!(m, Metric::WorkingSet | Metric::Tasks)
}

/// The metrics of a cgroup watch from those asked (sorted): the default
/// list (a process's) is the cgroup's descriptors, and its working set and
/// tasks where it is in a memory and a pids hierarchy (`memory`, `pids`);
/// otherwise each must be one a cgroup has (`working_set`, `tasks`,
/// `fds`), else the first that is not.
pub fn cgroup_metrics(asked: &[Metric], memory: bool, pids: bool) -> Result<Vec<Metric>, Metric> {
    let mut default = DEFAULT_METRICS.to_vec();
    default.sort();
    if asked == default.as_slice() {
        let mut m = vec![Metric::Fds];
        m.extend(memory.then_some(Metric::WorkingSet));
        m.extend(pids.then_some(Metric::Tasks));
        return Ok(m);
    }
    match asked
        .iter()
        .find(|m| !cgroup_only(**m) && **m != Metric::Fds)
    {
        Some(&m) => Err(m),
        None => Ok(asked.to_vec()),
    }
}

/// Why no single pod or container was picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    NotFound,
    /// The indices of the candidates that match (distinct workloads).
    Ambiguous(Vec<usize>),
    /// A container prefix that is not 12 to 64 hex digits.
    NotAnId,
}

/// The pod named `name` (its name, `namespace/name`, or its UID) among the
/// pod-level cgroups of `cands`.
pub fn pick_pod(cands: &[WorkloadReport], name: &str) -> Result<usize, Pick> {
    let n = name.as_bytes();
    let matches = |w: &WorkloadReport| {
        let pod = w.pod.as_ref().map(|p| p.0.as_slice());
        let ns = w.namespace.as_ref().map(|p| p.0.as_slice());
        let qualified = match (ns, pod) {
            (Some(ns), Some(pod)) => {
                n.len() == ns.len() + 1 + pod.len()
                    && n.starts_with(ns)
                    && n[ns.len()] == b'/'
                    && n.ends_with(pod)
            }
            _ => false,
        };
        w.pod_uid.as_deref() == Some(name) || pod == Some(n) || qualified
    };
    one(
        cands,
        |w| w.role == Some(Role::Pod) && matches(w),
        |w| w.pod_uid.clone(),
    )
}

/// The container whose id is or starts with `prefix` (12 to 64 hex
/// digits, case-insensitive).
pub fn pick_container(cands: &[WorkloadReport], prefix: &str) -> Result<usize, Pick> {
    let p = prefix.to_ascii_lowercase();
    if !(12..=64).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Pick::NotAnId);
    }
    one(
        cands,
        |w| {
            w.role == Some(Role::Container)
                && w.container_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with(&p))
        },
        |w| w.container_id.clone(),
    )
}

/// The one candidate that matches (candidates of the same key are one).
fn one(
    cands: &[WorkloadReport],
    matches: impl Fn(&WorkloadReport) -> bool,
    key: impl Fn(&WorkloadReport) -> Option<String>,
) -> Result<usize, Pick> {
    let mut hits: Vec<usize> = Vec::new();
    for (i, w) in cands.iter().enumerate() {
        if matches(w) && !hits.iter().any(|&h| key(&cands[h]) == key(w)) {
            hits.push(i);
        }
    }
    match hits.as_slice() {
        [] => Err(Pick::NotFound),
        [i] => Ok(*i),
        _ => Err(Pick::Ambiguous(hits)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k8s(path: &str) -> WorkloadReport {
        let w = crate::parse::workload::from_cgroup_path(path.as_bytes());
        WorkloadReport::new(&w, path.as_bytes())
    }

    const U1: &str = "00000001-1f0b-4c7e-9a3d-5b6e7f8a9b0c";
    const U2: &str = "00000002-1f0b-4c7e-9a3d-5b6e7f8a9b0c";
    const C1: &str = "013f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";
    const C2: &str = "013f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5ffff";

    fn named(path: &str, ns: &str, pod: &str) -> WorkloadReport {
        let mut w = k8s(path);
        w.namespace = Some(crate::text::Text(ns.as_bytes().to_vec()));
        w.pod = Some(crate::text::Text(pod.as_bytes().to_vec()));
        w
    }

    #[test]
    fn pods_by_name_namespace_and_uid() {
        let c = vec![
            named(&format!("/kubepods/burstable/pod{U1}/{C1}"), "shop", "cart"),
            named(&format!("/kubepods/burstable/pod{U1}"), "shop", "cart"),
            named(&format!("/kubepods/pod{U2}"), "dev", "cart"),
        ];
        // Two pods named cart: ambiguous by name, one by namespace or UID;
        // the container's cgroup is never the pod's.
        assert_eq!(pick_pod(&c, "cart"), Err(Pick::Ambiguous(vec![1, 2])));
        assert_eq!(pick_pod(&c, "shop/cart"), Ok(1));
        assert_eq!(pick_pod(&c, "dev/cart"), Ok(2));
        assert_eq!(pick_pod(&c, U1), Ok(1));
        assert_eq!(pick_pod(&c, "shop/car"), Err(Pick::NotFound));
        assert_eq!(pick_pod(&c, "/cart"), Err(Pick::NotFound));
        assert_eq!(pick_pod(&c, ""), Err(Pick::NotFound));
    }

    #[test]
    fn containers_by_id_or_unique_prefix() {
        let c = vec![
            k8s(&format!("/kubepods/burstable/pod{U1}/{C1}")),
            k8s(&format!("/kubepods/pod{U2}/{C2}")),
            k8s(&format!("/kubepods/burstable/pod{U1}")),
        ];
        assert_eq!(pick_container(&c, C1), Ok(0));
        assert_eq!(pick_container(&c, &C2.to_uppercase()), Ok(1));
        assert_eq!(pick_container(&c, &C1[..61]), Ok(0));
        assert_eq!(
            pick_container(&c, &C1[..12]),
            Err(Pick::Ambiguous(vec![0, 1]))
        );
        assert_eq!(pick_container(&c, &C1[..11]), Err(Pick::NotAnId));
        assert_eq!(pick_container(&c, "xyz123456789abc"), Err(Pick::NotAnId));
        assert_eq!(pick_container(&c, &format!("{C1}0")), Err(Pick::NotAnId));
        assert_eq!(pick_container(&c, "ffffffffffff"), Err(Pick::NotFound));
    }

    #[test]
    fn a_cgroups_metrics() {
        let mut d = DEFAULT_METRICS.to_vec();
        d.sort();
        let all = vec![Metric::Fds, Metric::WorkingSet, Metric::Tasks];
        assert_eq!(cgroup_metrics(&d, true, true), Ok(all));
        assert_eq!(
            cgroup_metrics(&d, true, false),
            Ok(vec![Metric::Fds, Metric::WorkingSet])
        );
        assert_eq!(
            cgroup_metrics(&[Metric::Tasks], true, false),
            Ok(vec![Metric::Tasks])
        );
        assert_eq!(
            cgroup_metrics(&[Metric::Fds, Metric::Rss], true, true),
            Err(Metric::Rss)
        );
        assert!(cgroup_only(Metric::WorkingSet) && !cgroup_only(Metric::Fds));
    }

    fn window(values: &[f64]) -> Window {
        let mut w = Window::new(WINDOW_CAP);
        for (i, v) in values.iter().enumerate() {
            w.push(i as f64, *v);
        }
        w
    }

    #[test]
    fn a_leak_runs_into_its_limit_and_the_rest_do_not_time() {
        let c = Ceilings {
            nofile: Some(1024),
            ..Default::default()
        };
        let own = Sample {
            fds: Some(124),
            ..Default::default()
        };
        let leak: Vec<f64> = (0..40).map(|i| 10.0 + 3.0 * f64::from(i)).collect();
        let j = judge(Metric::Fds, &window(&leak), false, &own, &c);
        assert!(j.verdict.is_leak(), "{j:?}");
        let e = j.exhaustion.unwrap();
        assert_eq!(e.headroom, Some(900));
        assert!((e.eta_s.unwrap() - 300.0).abs() < 1.0, "{e:?}");
        let j = judge(Metric::Fds, &window(&[50.0; 40]), false, &own, &c);
        assert!(matches!(j.verdict, Verdict::Healthy { .. }));
        // The limit is known (the TUI shows it); no time without growth.
        assert_eq!(j.exhaustion.unwrap().eta_s, None);
    }

    #[test]
    fn unread_and_short_series_are_undecided_and_incomplete() {
        let c = Ceilings::default();
        let own = Sample::default();
        let a = judge(Metric::Rss, &window(&[1.0, 2.0, 3.0]), false, &own, &c);
        let b = judge(Metric::Sockets, &window(&[]), true, &own, &c);
        assert_eq!(
            a.verdict,
            Verdict::Undecided(Why::TooFewSamples {
                samples: 3,
                needed: 8
            })
        );
        assert_eq!(
            b.verdict,
            Verdict::Undecided(Why::Unreadable { denied: true })
        );
        let inc = incompleteness(&[a.clone(), b]);
        assert_eq!(inc.reasons.len(), 2);
        assert_eq!(
            nothing_judged(&inc),
            NothingJudged {
                uniform: None,
                unread: true
            }
        );
        let inc = incompleteness(&[a.clone(), a]);
        assert_eq!(
            nothing_judged(&inc),
            NothingJudged {
                uniform: Some((3, 8)),
                unread: false
            }
        );
    }
}
