//! The `threads` view: one row per thread, groups of names, states.

use std::collections::BTreeMap;

use serde::Serialize;

use super::names::{self, NameGroup};
use crate::reader::ThreadDetail;
use crate::text::Text;

#[derive(Debug, Clone, Serialize)]
pub struct ThreadRow {
    pub tid: i32,
    pub name: Text,
    pub state: String,
    pub cpu_seconds: f64,
    pub voluntary_ctxt_switches: Option<u64>,
    pub nonvoluntary_ctxt_switches: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThreadsReport {
    pub pid: i32,
    pub count: u64,
    pub threads: Vec<ThreadRow>,
    pub groups: Vec<NameGroup>,
    /// State letter -> count.
    pub states: BTreeMap<String, u64>,
    /// Threads whose context switches did not parse (`parse_error`):
    /// their counters are null, and unknown, not zero.
    pub unavailable: Vec<super::inspect::Unavailable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadSort {
    /// Most CPU time first.
    Cpu,
    /// Most context switches (voluntary + nonvoluntary) first.
    Switches,
    /// By name, then TID.
    Name,
    /// By thread ID.
    Tid,
}

pub fn build(
    pid: i32,
    threads: &[ThreadDetail],
    ticks_per_sec: u64,
    sort: ThreadSort,
) -> ThreadsReport {
    let hz = ticks_per_sec.max(1) as f64;
    let mut rows: Vec<ThreadRow> = threads
        .iter()
        .map(|t| ThreadRow {
            tid: t.tid,
            name: Text(t.stat.comm.clone()),
            state: char::from(t.stat.state).to_string(),
            // Summed in f64: u64::MAX ticks from a crafted or corrupt stat must
            // not wrap (or panic in a debug build).
            cpu_seconds: (t.stat.utime as f64 + t.stat.stime as f64) / hz,
            voluntary_ctxt_switches: t.status.as_ref().and_then(|s| s.voluntary_ctxt_switches),
            nonvoluntary_ctxt_switches: t
                .status
                .as_ref()
                .and_then(|s| s.nonvoluntary_ctxt_switches),
        })
        .collect();
    let switches = |r: &ThreadRow| {
        r.voluntary_ctxt_switches
            .unwrap_or(0)
            .saturating_add(r.nonvoluntary_ctxt_switches.unwrap_or(0))
    };
    match sort {
        ThreadSort::Cpu => rows.sort_by(|a, b| {
            b.cpu_seconds
                .total_cmp(&a.cpu_seconds)
                .then(a.tid.cmp(&b.tid))
        }),
        ThreadSort::Switches => {
            rows.sort_by(|a, b| switches(b).cmp(&switches(a)).then(a.tid.cmp(&b.tid)))
        }
        ThreadSort::Name => rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.tid.cmp(&b.tid))),
        ThreadSort::Tid => rows.sort_by_key(|r| r.tid),
    }
    let unavailable = threads
        .iter()
        .filter_map(|t| {
            if let (None, Some(reason)) = (&t.status, t.status_error) {
                return Some(super::inspect::Unavailable {
                    section: "context_switches",
                    reason,
                    detail: super::inspect::Detail::ThreadStatusUnreadable { tid: t.tid },
                    hint: None,
                });
            }
            let bad: Vec<&'static str> = t
                .status
                .as_ref()?
                .invalid
                .iter()
                .copied()
                .filter(|k| k.ends_with("ctxt_switches"))
                .collect();
            (!bad.is_empty()).then_some(super::inspect::Unavailable {
                section: "context_switches",
                reason: "parse_error",
                detail: super::inspect::Detail::ThreadStatusNotANumber {
                    tid: t.tid,
                    keys: bad,
                },
                hint: None,
            })
        })
        .collect();
    let mut states = BTreeMap::new();
    for r in &rows {
        *states.entry(r.state.clone()).or_default() += 1;
    }
    ThreadsReport {
        pid,
        count: rows.len() as u64,
        groups: names::group(threads.iter().map(|t| t.stat.comm.as_slice())),
        states,
        threads: rows,
        unavailable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{stat, status};

    fn t(tid: i32, name: &str, state: char, ticks: u64, vol: u64, nonvol: u64) -> ThreadDetail {
        let line =
            format!("{tid} ({name}) {state} 1 1 1 0 -1 0 0 0 0 0 {ticks} 0 0 0 20 0 1 0 100 0 0");
        ThreadDetail {
            tid,
            stat: stat::parse(line.as_bytes()).unwrap(),
            status: Some(
                status::parse(
                    format!(
                        "voluntary_ctxt_switches:\t{vol}\nnonvoluntary_ctxt_switches:\t{nonvol}\n"
                    )
                    .as_bytes(),
                )
                .unwrap(),
            ),
            status_error: None,
        }
    }

    #[test]
    fn rows_groups_states_and_sorts() {
        let ts = vec![
            t(10, "java", 'S', 500, 10, 1),
            t(11, "pool-1-thread-1", 'R', 900, 5, 50),
            t(12, "pool-1-thread-2", 'S', 100, 1000, 2),
        ];
        let r = build(10, &ts, 100, ThreadSort::Cpu);
        assert_eq!(r.count, 3);
        assert_eq!(r.threads[0].tid, 11);
        assert_eq!(r.threads[0].cpu_seconds, 9.0);
        assert_eq!(
            r.groups[0],
            NameGroup {
                pattern: Text::new(b"pool-#-thread-#".to_vec()),
                count: 2
            }
        );
        assert_eq!(r.states["S"], 2);
        assert_eq!(r.states["R"], 1);
        let s = build(10, &ts, 100, ThreadSort::Switches);
        assert_eq!(s.threads[0].tid, 12);
        let n = build(10, &ts, 100, ThreadSort::Name);
        assert_eq!(n.threads[0].tid, 10);
        assert!(r.unavailable.is_empty());
        let i = build(10, &ts, 100, ThreadSort::Tid);
        assert_eq!(
            i.threads.iter().map(|r| r.tid).collect::<Vec<_>>(),
            [10, 11, 12]
        );
    }

    #[test]
    fn u64_max_ticks_and_invalid_switches() {
        let mut a = t(10, "a", 'S', 0, 1, 1);
        a.stat.utime = u64::MAX;
        a.stat.stime = u64::MAX;
        a.status = Some(
            status::parse(
                b"voluntary_ctxt_switches:\t18446744073709551616\nnonvoluntary_ctxt_switches:\t5\n",
            )
            .unwrap(),
        );
        let b = t(11, "b", 'S', 0, u64::MAX, u64::MAX);
        let r = build(10, &[a, b], 100, ThreadSort::Switches);
        // Summed in f64, not wrapped to 2^64 - 2 ticks... nor panicking.
        let cpu = r.threads.iter().find(|x| x.tid == 10).unwrap().cpu_seconds;
        assert!(cpu > 3.6e17, "{cpu}");
        // Saturating switch sums sort without a panic.
        assert_eq!(r.threads[0].tid, 11);
        assert_eq!(r.threads[1].voluntary_ctxt_switches, None);
        assert_eq!(r.unavailable.len(), 1);
        assert_eq!(r.unavailable[0].reason, "parse_error");
        assert!(matches!(
            &r.unavailable[0].detail,
            super::super::inspect::Detail::ThreadStatusNotANumber { tid: 10, keys }
                if keys.first() == Some(&"voluntary_ctxt_switches")
        ));
    }
}
