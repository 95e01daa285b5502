//! Limits: which limit a metric of a process runs into, how much room is
//! left, and how long until it is reached at a given rate. One home, so
//! that `watch` (verdict and live view), the `top` TUI's watch panel and
//! `doctor`'s fast growers give the same answer to the same question. The
//! rules, per metric, are in docs/leak-detection.md ("Ceilings"):
//!
//! - threads: the tightest (least room left) of the pids cgroup limit
//!   (room: pids.max - pids.current, every task of the cgroup counts),
//!   kernel.threads-max and kernel.pid_max (room: the limit - the host's
//!   task count, which is what fork() is checked against: threads-max
//!   against the number of tasks, pid_max against the PIDs in use, one per
//!   task);
//! - fds and sockets: RLIMIT_NOFILE soft (room: the limit - the process's
//!   descriptors: a socket is a descriptor);
//! - maps: vm.max_map_count (room: the limit - the process's mappings);
//! - rss and pss: the tightest memory cgroup limit on the path (room: the
//!   limit - that cgroup's usage, which is what its OOM killer compares),
//!   else MemTotal (room: MemTotal - the process's own value);
//! - close_wait: none;
//! - a watched cgroup (`watch --cgroup`): its working set against the
//!   tightest memory limit on its path (room: the limit - the working
//!   set; without one, MemTotal), its tasks against the tightest pids.max (room: pids.max -
//!   pids.current of the cgroup where it is set); its descriptors, a sum
//!   over processes, have no single limit: none.
//!
//! A limit or a usage that is unknown gives no time, never a made-up one.
//! Pure: data in, data out; the words are in `render::watch`.

use std::path::PathBuf;

use crate::analysis::leak::Metric;
use crate::reader::{Ceilings, Sample};

/// `used` as a percentage of `limit`. `None` for a limit of 0: a ceiling
/// with no room at all is not a percentage (and never a division by zero).
pub fn percent_of(used: u64, limit: u64) -> Option<f64> {
    (limit > 0).then(|| used as f64 * 100.0 / limit as f64)
}

/// A metric's value in a sample: the one metric -> sample field mapping.
pub fn value_of(s: &Sample, m: Metric) -> Option<u64> {
    match m {
        Metric::Rss => s.rss,
        Metric::Pss => s.pss,
        Metric::Fds => s.fds,
        Metric::Threads => s.threads,
        Metric::Sockets => s.sockets,
        Metric::CloseWait => s.close_wait,
        Metric::Maps => s.maps,
        Metric::WorkingSet => s.working_set,
        Metric::Tasks => s.tasks,
    }
}

/// Which limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// pids.max of a pids cgroup (the file is in [`Exhaustion::file`]).
    PidsMax,
    /// kernel.threads-max.
    ThreadsMax,
    /// kernel.pid_max.
    PidMax,
    /// RLIMIT_NOFILE, soft.
    NoFile,
    /// vm.max_map_count.
    MaxMapCount,
    /// A memory cgroup's limit (memory.max, memory.limit_in_bytes).
    MemoryCgroup,
    /// MemTotal.
    MemTotal,
}

/// The limit a metric runs into, the room left and the time to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exhaustion {
    pub kind: Kind,
    /// A cgroup limit's file (raw: escaped where shown).
    pub file: Option<PathBuf>,
    pub limit: u64,
    /// What the kernel compares with the limit; None when unknown.
    pub used: Option<u64>,
    /// `limit - used`, never negative; None when `used` is unknown.
    pub headroom: Option<u64>,
    /// Seconds until the limit at the given rate: 0 when reached; None
    /// when the room is unknown or the metric does not grow.
    pub eta_s: Option<f64>,
}

/// Seconds to use up `headroom` at `rate` per second: 0 when there is no
/// room left; None when the metric does not grow (or the rate is not a
/// number).
pub fn time_left(headroom: u64, rate: f64) -> Option<f64> {
    if headroom == 0 {
        Some(0.0)
    } else if rate.is_finite() && rate > 0.0 {
        Some(headroom as f64 / rate)
    } else {
        None
    }
}

/// Which limit `metric` of a process runs into, the room left and the time
/// to it at `rate` (unit per second). `own` holds the process's current
/// values; `c` the limits and usages read for it. None when no limit
/// applies (close_wait) or none is known.
pub fn exhaustion(m: Metric, own: &Sample, c: &Ceilings, rate: f64) -> Option<Exhaustion> {
    let value = value_of(own, m);
    let mut candidates: Vec<(Kind, Option<PathBuf>, u64, Option<u64>)> = Vec::new();
    match m {
        Metric::Threads => {
            if let Some(p) = &c.pids {
                let file = Some(p.limit_file.clone());
                candidates.push((Kind::PidsMax, file, p.limit, p.usage));
            }
            if let Some(t) = c.threads_max {
                candidates.push((Kind::ThreadsMax, None, t, c.host_tasks));
            }
            if let Some(p) = c.pid_max {
                candidates.push((Kind::PidMax, None, p, c.host_tasks));
            }
        }
        Metric::Fds | Metric::Sockets => {
            if let Some(l) = c.nofile {
                candidates.push((Kind::NoFile, None, l, own.fds));
            }
        }
        Metric::Maps => {
            if let Some(l) = c.max_map_count {
                candidates.push((Kind::MaxMapCount, None, l, value));
            }
        }
        Metric::Rss | Metric::Pss => match (&c.memory, c.mem_total) {
            (Some(cg), _) => {
                let file = Some(cg.limit_file.clone());
                candidates.push((Kind::MemoryCgroup, file, cg.limit, cg.usage));
            }
            (None, Some(total)) => candidates.push((Kind::MemTotal, None, total, value)),
            (None, None) => {}
        },
        // A watched cgroup against its own limits: the working set against
        // the tightest memory limit on its path, its tasks against pids.max.
        Metric::WorkingSet => match (&c.memory, c.mem_total) {
            (Some(cg), _) => {
                let file = Some(cg.limit_file.clone());
                candidates.push((Kind::MemoryCgroup, file, cg.limit, value));
            }
            (None, Some(total)) => candidates.push((Kind::MemTotal, None, total, value)),
            (None, None) => {}
        },
        Metric::Tasks => {
            if let Some(p) = &c.pids {
                let file = Some(p.limit_file.clone());
                candidates.push((Kind::PidsMax, file, p.limit, p.usage.or(value)));
            }
        }
        Metric::CloseWait => {}
    }
    // The tightest: least room left. Where the usage is unknown, the room
    // is at most the limit minus the process's own value (it counts
    // too); ties go to the first (the cgroup's, then threads-max).
    let room_bound =
        |limit: u64, used: Option<u64>| limit.saturating_sub(used.or(value).unwrap_or(0));
    let (kind, file, limit, used) = candidates.into_iter().reduce(|best, c| {
        if room_bound(c.2, c.3) < room_bound(best.2, best.3) {
            c
        } else {
            best
        }
    })?;
    let headroom = used.map(|u| limit.saturating_sub(u));
    Some(Exhaustion {
        kind,
        file,
        limit,
        used,
        headroom,
        eta_s: headroom.and_then(|h| time_left(h, rate)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::CgroupCeiling;

    fn cg(file: &str, limit: u64, usage: Option<u64>) -> CgroupCeiling {
        CgroupCeiling {
            limit_file: PathBuf::from(file),
            limit,
            usage_file: PathBuf::from(file).with_extension("current"),
            usage,
        }
    }

    fn own(threads: u64) -> Sample {
        Sample {
            rss: Some(100 << 20),
            pss: Some(90 << 20),
            fds: Some(100),
            threads: Some(threads),
            sockets: Some(40),
            close_wait: Some(3),
            maps: Some(500),
            working_set: None,
            tasks: None,
            expensive_fresh: true,
        }
    }

    fn host() -> Ceilings {
        Ceilings {
            nofile: Some(1024),
            max_map_count: Some(65530),
            mem_total: Some(8 << 30),
            pid_max: Some(32768),
            threads_max: Some(60000),
            host_tasks: Some(700),
            ..Default::default()
        }
    }

    #[test]
    fn percent() {
        assert_eq!(percent_of(512, 1024), Some(50.0));
        assert_eq!(percent_of(0, 1024), Some(0.0));
        assert_eq!(percent_of(2048, 1024), Some(200.0));
        assert_eq!(percent_of(5, 0), None);
        assert_eq!(percent_of(u64::MAX, u64::MAX), Some(100.0));
    }

    #[test]
    fn time_left_saturates_and_never_invents() {
        assert_eq!(time_left(924, 9.8).map(f64::round), Some(94.0));
        assert_eq!(time_left(0, 1.0), Some(0.0));
        assert_eq!(time_left(0, 0.0), Some(0.0));
        assert_eq!(time_left(10, 0.0), None);
        assert_eq!(time_left(10, -1.0), None);
        assert_eq!(time_left(10, f64::NAN), None);
        assert_eq!(time_left(10, f64::INFINITY), None);
    }

    #[test]
    fn every_metric_has_its_limit() {
        let c = host();
        let o = own(10);
        let e = |m| exhaustion(m, &o, &c, 2.0);
        let fds = e(Metric::Fds).unwrap();
        assert_eq!(
            (fds.kind, fds.limit, fds.used),
            (Kind::NoFile, 1024, Some(100))
        );
        assert_eq!(fds.eta_s, Some(462.0));
        // A socket is a descriptor: the room is the descriptors'.
        let so = e(Metric::Sockets).unwrap();
        assert_eq!(
            (so.kind, so.used, so.headroom),
            (Kind::NoFile, Some(100), Some(924))
        );
        let maps = e(Metric::Maps).unwrap();
        assert_eq!((maps.kind, maps.headroom), (Kind::MaxMapCount, Some(65030)));
        let rss = e(Metric::Rss).unwrap();
        assert_eq!((rss.kind, rss.used), (Kind::MemTotal, Some(100 << 20)));
        let pss = e(Metric::Pss).unwrap();
        assert_eq!((pss.kind, pss.used), (Kind::MemTotal, Some(90 << 20)));
        let th = e(Metric::Threads).unwrap();
        // pid_max 32768 - 700 host tasks is less room than threads-max's.
        assert_eq!((th.kind, th.headroom), (Kind::PidMax, Some(32068)));
        assert_eq!(th.eta_s, Some(16034.0));
        assert_eq!(e(Metric::CloseWait), None);
    }

    #[test]
    fn memory_against_the_cgroup_usage() {
        let mut c = host();
        c.memory = Some(cg(
            "/sys/fs/cgroup/memory/x/memory.limit_in_bytes",
            512 << 20,
            Some(500 << 20),
        ));
        let e = exhaustion(Metric::Rss, &own(1), &c, f64::from(1u32 << 20)).unwrap();
        assert_eq!(e.kind, Kind::MemoryCgroup);
        assert_eq!(
            e.file,
            Some(PathBuf::from(
                "/sys/fs/cgroup/memory/x/memory.limit_in_bytes"
            ))
        );
        // 12 MiB of room in the cgroup (not 412 MiB above this RSS).
        assert_eq!(e.headroom, Some(12 << 20));
        assert_eq!(e.eta_s, Some(12.0));
        // The cgroup's usage unknown: its limit still named, no time.
        c.memory = Some(cg("/m/memory.max", 512 << 20, None));
        let e = exhaustion(Metric::Rss, &own(1), &c, 1.0).unwrap();
        assert_eq!(
            (e.kind, e.limit, e.headroom, e.eta_s),
            (Kind::MemoryCgroup, 512 << 20, None, None)
        );
    }

    #[test]
    fn each_thread_limit_can_be_the_tightest() {
        // pids.max: 100 with 95 tasks in the cgroup.
        let mut c = host();
        c.pids = Some(cg("/sys/fs/cgroup/pids/x/pids.max", 100, Some(95)));
        let e = exhaustion(Metric::Threads, &own(10), &c, 1.0).unwrap();
        assert_eq!(
            (e.kind, e.limit, e.headroom, e.eta_s),
            (Kind::PidsMax, 100, Some(5), Some(5.0))
        );
        assert_eq!(
            e.file,
            Some(PathBuf::from("/sys/fs/cgroup/pids/x/pids.max"))
        );
        // A roomy cgroup: the kernel's pid_max is nearer.
        c.pids = Some(cg("/p/pids.max", 100_000, Some(95)));
        let e = exhaustion(Metric::Threads, &own(10), &c, 1.0).unwrap();
        assert_eq!((e.kind, e.headroom), (Kind::PidMax, Some(32068)));
        // threads-max under pid_max.
        c.threads_max = Some(2000);
        let e = exhaustion(Metric::Threads, &own(10), &c, 1.0).unwrap();
        assert_eq!(
            (e.kind, e.limit, e.headroom),
            (Kind::ThreadsMax, 2000, Some(1300))
        );
        // Equal room: the cgroup's limit is named.
        c.pids = Some(cg("/p/pids.max", 1400, Some(100)));
        let e = exhaustion(Metric::Threads, &own(10), &c, 1.0).unwrap();
        assert_eq!((e.kind, e.headroom), (Kind::PidsMax, Some(1300)));
    }

    #[test]
    fn headroom_is_never_negative() {
        let mut c = host();
        // Over the limit already (a limit lowered under the usage).
        c.pids = Some(cg("/p/pids.max", 50, Some(80)));
        let e = exhaustion(Metric::Threads, &own(10), &c, 3.0).unwrap();
        assert_eq!((e.headroom, e.eta_s), (Some(0), Some(0.0)));
        // At the limit and not growing: reached, 0 s.
        let mut o = own(10);
        o.fds = Some(1024);
        let e = exhaustion(Metric::Fds, &o, &c, 0.0).unwrap();
        assert_eq!((e.headroom, e.eta_s), (Some(0), Some(0.0)));
        o.fds = Some(u64::MAX);
        let e = exhaustion(Metric::Fds, &o, &c, 1.0).unwrap();
        assert_eq!(e.headroom, Some(0));
    }

    #[test]
    fn unknown_limits_give_no_time() {
        let none = Ceilings::default();
        for m in [
            Metric::Rss,
            Metric::Pss,
            Metric::Fds,
            Metric::Threads,
            Metric::Sockets,
            Metric::CloseWait,
            Metric::Maps,
        ] {
            assert_eq!(exhaustion(m, &own(10), &none, 5.0), None, "{m:?}");
        }
        // The host's task count unknown: the kernel limits are named, with
        // no time (the process's own threads are not the host's tasks).
        let mut c = host();
        c.host_tasks = None;
        let e = exhaustion(Metric::Threads, &own(10), &c, 5.0).unwrap();
        assert_eq!((e.kind, e.used, e.eta_s), (Kind::PidMax, None, None));
        // Descriptors unread: no room known for sockets.
        let mut o = own(10);
        o.fds = None;
        let e = exhaustion(Metric::Sockets, &o, &host(), 5.0).unwrap();
        assert_eq!((e.kind, e.headroom, e.eta_s), (Kind::NoFile, None, None));
        // Not growing: no time.
        let e = exhaustion(Metric::Fds, &own(10), &host(), 0.0).unwrap();
        assert_eq!(e.eta_s, None);
    }

    #[test]
    fn a_watched_cgroup_against_its_own_limits() {
        let mut c = Ceilings {
            memory: Some(cg(
                "/sys/fs/cgroup/memory/x/memory.limit_in_bytes",
                100 << 20,
                Some(99 << 20),
            )),
            pids: Some(cg("/sys/fs/cgroup/pids/x/pids.max", 20, Some(12))),
            ..Default::default()
        };
        let s = Sample {
            working_set: Some(60 << 20),
            tasks: Some(12),
            fds: Some(300),
            ..Sample::default()
        };
        // The working set, not the usage (page cache included), is judged.
        let e = exhaustion(Metric::WorkingSet, &s, &c, f64::from(1 << 20)).unwrap();
        assert_eq!(
            (e.kind, e.limit, e.used, e.headroom),
            (
                Kind::MemoryCgroup,
                100 << 20,
                Some(60 << 20),
                Some(40 << 20)
            )
        );
        assert_eq!(e.eta_s, Some(40.0));
        assert_eq!(
            e.file,
            Some(PathBuf::from(
                "/sys/fs/cgroup/memory/x/memory.limit_in_bytes"
            ))
        );
        let e = exhaustion(Metric::Tasks, &s, &c, 2.0).unwrap();
        assert_eq!(
            (e.kind, e.limit, e.headroom, e.eta_s),
            (Kind::PidsMax, 20, Some(8), Some(4.0))
        );
        // pids.current unread: the sampled tasks stand in.
        c.pids.as_mut().unwrap().usage = None;
        let e = exhaustion(Metric::Tasks, &s, &c, 2.0).unwrap();
        assert_eq!(e.headroom, Some(8));
        // A sum of descriptors has no single limit; no limit, no time.
        assert_eq!(exhaustion(Metric::Fds, &s, &c, 5.0), None);
        let none = Ceilings::default();
        assert_eq!(exhaustion(Metric::WorkingSet, &s, &none, 5.0), None);
        let host = Ceilings {
            mem_total: Some(1 << 30),
            ..Default::default()
        };
        let e = exhaustion(Metric::WorkingSet, &s, &host, 5.0).unwrap();
        assert_eq!((e.kind, e.used), (Kind::MemTotal, Some(60 << 20)));
        assert_eq!(exhaustion(Metric::Tasks, &s, &none, 5.0), None);
        // Working set unread: the limit is named, with no time.
        let e = exhaustion(Metric::WorkingSet, &Sample::default(), &c, 5.0).unwrap();
        assert_eq!((e.headroom, e.eta_s), (None, None));
    }
}
