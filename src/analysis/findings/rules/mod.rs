//! The finding rules, one function each, grouped by resource (one file
//! per resource), and the two tables that list them. A rule not in a
//! table never runs: the tests below check that every entry has a unique
//! id and fires on an input made for it. See the parent module for what
//! adding a rule takes.

pub mod cgroup;
mod cpu;
mod fds;
mod host_limits;
mod host_memory;
mod memory;
mod sockets;
mod state;
mod threads;

use super::{CgroupRule, HostRule, Rule, Severity};

/// Every per-process rule (`inspect`, and `doctor` for each process).
pub const PROCESS_RULES: &[Rule] = &[
    Rule::new("fds.near_limit", fds::near_limit),
    Rule::new("fds.deleted_open", fds::deleted_open),
    Rule::new("memory.near_cgroup_limit", memory::near_cgroup_limit),
    Rule::new("memory.oom_kills", memory::oom_kills),
    Rule::new("memory.swap_in_use", memory::swap_in_use),
    Rule::new("threads.high", threads::high),
    Rule::new("sockets.close_wait", sockets::close_wait),
    Rule::new("sockets.accept_queue_full", sockets::accept_queue_full),
    Rule::new("state.zombie", state::zombie),
    Rule::new("state.uninterruptible", state::uninterruptible),
    Rule::new("cpu.nonvoluntary_switches", cpu::nonvoluntary_switches),
    Rule::new("cpu.busy_thread", cpu::busy_thread),
    Rule::new("cpu.busy", cpu::busy_process),
];

/// Every cgroup rule (`inspect` for the process's cgroups, `doctor` once
/// per cgroup).
pub const CGROUP_RULES: &[CgroupRule] = &[
    CgroupRule::new("cgroup.memory_near_limit", cgroup::memory_near_limit),
    CgroupRule::new("cgroup.tasks_near_limit", cgroup::tasks_near_limit),
    CgroupRule::new("cgroup.oom_kills", cgroup::oom_kills),
    CgroupRule::new("cgroup.cpu_throttled", cgroup::cpu_throttled),
];

/// Every host rule (`doctor`).
pub const HOST_RULES: &[HostRule] = &[
    HostRule::new("host.mem_available_low", host_memory::mem_available_low),
    HostRule::new("host.swap_in_use", host_memory::swap_in_use),
    HostRule::new("host.memory_pressure", host_memory::memory_pressure),
    HostRule::new("host.zombies", host_limits::zombies),
    HostRule::new("host.file_handles", host_limits::file_handles),
    HostRule::new("host.tasks_near_limit", host_limits::tasks_near_limit),
];

/// Critical at or over `critical`, warning at or over `warning`, else
/// nothing.
fn level(value: f64, warning: f64, critical: f64) -> Option<Severity> {
    if value >= critical {
        Some(Severity::Critical)
    } else if value >= warning {
        Some(Severity::Warning)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::{
        CgroupFinding, CgroupKind, CgroupSeen, Facts, Finding, HostSeen, HostThresholds, Kind,
        Thresholds, evaluate_cgroup, evaluate_facts, evaluate_host,
    };
    use super::*;
    use crate::analysis::cpu::{Basis, CpuUse, HotThread};
    use crate::parse::cgroupfs::{OomCounts, Quota, Throttling};
    use crate::parse::host::{FileNr, MemInfo, Psi, PsiLine};
    use crate::reader::HostFacts;
    use crate::reader::{CgroupMember, CgroupVersion, CpuState, MemoryState, PidsState};
    use crate::text::Text;

    /// Every per-process rule id there must be: a rule dropped from the
    /// table (or renamed) fails here.
    const PROCESS_IDS: [&str; 13] = [
        "fds.near_limit",
        "fds.deleted_open",
        "memory.near_cgroup_limit",
        "memory.oom_kills",
        "memory.swap_in_use",
        "threads.high",
        "sockets.close_wait",
        "sockets.accept_queue_full",
        "state.zombie",
        "state.uninterruptible",
        "cpu.nonvoluntary_switches",
        "cpu.busy_thread",
        "cpu.busy",
    ];

    const HOST_IDS: [&str; 6] = [
        "host.mem_available_low",
        "host.swap_in_use",
        "host.memory_pressure",
        "host.zombies",
        "host.file_handles",
        "host.tasks_near_limit",
    ];

    /// A healthy process: no rule fires.
    fn healthy() -> Facts {
        Facts {
            pid: 42,
            ppid: 1,
            state: "S".into(),
            fds: Some(10),
            fd_soft_limit: Some(1024),
            rss_bytes: Some(10 << 20),
            memory_limit_bytes: Some(1 << 30),
            oom_kills: Some(0),
            threads: Some(4),
            close_wait: Some(0),
            deleted: Some(0),
            swap_bytes: Some(0),
            voluntary_switches: Some(5000),
            nonvoluntary_switches: Some(10),
            ..Facts::default()
        }
    }

    /// CPU use measured between two scans on a 4-CPU host: the process's
    /// percent of one CPU and its threads (name, percent), hottest first.
    fn cpu_use(percent: f64, threads: &[(&str, f64)]) -> CpuUse {
        CpuUse {
            percent,
            seconds: 5.0,
            basis: Basis::Sampled,
            cpus: Some(4),
            thread_seconds: Some(0.5),
            hottest: threads
                .iter()
                .enumerate()
                .map(|(i, (name, percent))| HotThread {
                    tid: 100 + i as i32,
                    name: Text(name.as_bytes().to_vec()),
                    percent: *percent,
                })
                .collect(),
        }
    }

    /// A process made for one rule: healthy but for what `id` judges.
    fn firing(id: &str) -> Facts {
        let mut f = healthy();
        match id {
            "fds.near_limit" => f.fds = Some(1000),
            "fds.deleted_open" => {
                f.deleted = Some(3);
                f.deleted_space = Some(space(3, 100 << 20, 90 << 20));
            }
            "memory.near_cgroup_limit" => f.rss_bytes = Some(1000 << 20),
            "memory.oom_kills" => f.oom_kills = Some(2),
            "memory.swap_in_use" => f.swap_bytes = Some(1 << 20),
            "threads.high" => f.threads = Some(5000),
            "sockets.close_wait" => f.close_wait = Some(50),
            "sockets.accept_queue_full" => {
                f.listeners = Some(vec![super::super::ListenQueue {
                    local: "127.0.0.1:8080".parse().unwrap(),
                    inode: 7,
                    accept_queue: 5,
                    backlog: Some(4),
                }]);
            }
            "state.zombie" => f.state = "Z".into(),
            "state.uninterruptible" => f.state = "D".into(),
            "cpu.nonvoluntary_switches" => f.nonvoluntary_switches = Some(9000),
            "cpu.busy_thread" => f.cpu = Some(cpu_use(99.0, &[("spin", 98.0), ("main", 1.0)])),
            "cpu.busy" => f.cpu = Some(cpu_use(180.0, &[("w1", 60.0), ("w2", 60.0)])),
            other => panic!("no synthetic input for rule {other}: add one here"),
        }
        f
    }

    /// A healthy host: 16 GiB, half available, no swap, no pressure.
    fn healthy_host() -> HostFacts {
        HostFacts {
            mem: MemInfo {
                total: Some(16 << 30),
                available: Some(8 << 30),
                swap_total: Some(1 << 30),
                swap_free: Some(1 << 30),
                invalid: 0,
            },
            psi_memory: Some(Psi::default()),
            file_nr: Some(FileNr {
                allocated: 1000,
                max: 1_000_000,
            }),
            pid_max: Some(32768),
            threads_max: Some(100_000),
            cpus: 2,
            ..HostFacts::default()
        }
    }

    /// The host, zombie and task counts made for one host rule.
    fn firing_host(id: &str) -> (HostFacts, usize, u64) {
        let mut h = healthy_host();
        let (mut zombies, mut tasks) = (0, 100);
        match id {
            "host.mem_available_low" => h.mem.available = Some(100 << 20),
            "host.swap_in_use" => h.mem.swap_free = Some(1 << 29),
            "host.memory_pressure" => {
                h.psi_memory = Some(Psi {
                    some: Some(PsiLine {
                        avg10: 30.0,
                        ..PsiLine::default()
                    }),
                    ..Psi::default()
                });
            }
            "host.zombies" => zombies = 500,
            "host.file_handles" => {
                h.file_nr = Some(FileNr {
                    allocated: 990_000,
                    max: 1_000_000,
                });
            }
            "host.tasks_near_limit" => tasks = 30_000,
            other => panic!("no synthetic input for host rule {other}: add one here"),
        }
        (h, zombies, tasks)
    }

    const CGROUP_IDS: [&str; 4] = [
        "cgroup.memory_near_limit",
        "cgroup.tasks_near_limit",
        "cgroup.oom_kills",
        "cgroup.cpu_throttled",
    ];

    fn member(pid: i32, rss_mib: u64, threads: u64, cpu_ticks: u64) -> CgroupMember {
        CgroupMember {
            pid,
            name: format!("p{pid}").into_bytes(),
            rss_bytes: rss_mib << 20,
            threads,
            cpu_ticks,
        }
    }

    /// A healthy cgroup (memory, pids, cpu), then one changed for `id`.
    fn cgroup_states(id: Option<&str>) -> (MemoryState, PidsState, CpuState) {
        let mut m = MemoryState {
            version: CgroupVersion::V2,
            path: b"/app".to_vec(),
            usage: Some(60 << 20),
            inactive_file: Some(10 << 20),
            limit: Some(100 << 20),
            limit_path: Some(b"/app".to_vec()),
            oom: OomCounts {
                oom_kill: Some(0),
                oom_group_kill: Some(0),
            },
        };
        let mut p = PidsState {
            path: b"/app".to_vec(),
            current: 10,
            max: Some(300),
        };
        let mut c = CpuState {
            path: b"/app".to_vec(),
            throttling: Some(Throttling {
                nr_periods: 1000,
                nr_throttled: 10,
                throttled_ns: 1_000_000,
            }),
            quota: Some(Quota {
                quota_us: Some(50_000),
                period_us: 100_000,
            }),
        };
        match id {
            None => {}
            // 94 MiB working set of 100 MiB (the inactive file pages are
            // not counted).
            Some("cgroup.memory_near_limit") => m.usage = Some(104 << 20),
            Some("cgroup.tasks_near_limit") => p.current = 275,
            Some("cgroup.oom_kills") => m.oom.oom_group_kill = Some(2),
            Some("cgroup.cpu_throttled") => {
                c.throttling = Some(Throttling {
                    nr_periods: 1000,
                    nr_throttled: 420,
                    throttled_ns: 3_100_000_000,
                });
            }
            Some(other) => panic!("no synthetic input for cgroup rule {other}: add one here"),
        }
        (m, p, c)
    }

    #[test]
    fn every_cgroup_rule_fires_on_its_input_and_only_it() {
        let ids: Vec<&str> = CGROUP_RULES.iter().map(|r| r.id).collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "duplicate id in {ids:?}");
        assert_eq!(unique, CGROUP_IDS.into_iter().collect());
        let members = [
            member(7, 30, 2, 100),
            member(8, 60, 1, 300),
            member(9, 10, 272, 0),
        ];
        let th = Thresholds::default();
        for id in [None].into_iter().chain(CGROUP_IDS.map(Some)) {
            let (m, p, c) = cgroup_states(id);
            let seen = CgroupSeen {
                memory: Some((&m, &members)),
                pids: Some((&p, &members)),
                cpu: Some((&c, &members)),
            };
            let found = evaluate_cgroup(&seen, &th);
            let got: Vec<&str> = found.iter().map(|f| f.id).collect();
            assert_eq!(
                got,
                id.into_iter().collect::<Vec<_>>(),
                "input made for {id:?}"
            );
        }
    }

    #[test]
    fn cgroup_findings_carry_their_values_and_rank_the_processes() {
        let th = Thresholds::default();
        let members = [
            member(7, 30, 2, 100),
            member(8, 60, 1, 300),
            member(9, 10, 272, 0),
        ];
        let (m, _, _) = cgroup_states(Some("cgroup.memory_near_limit"));
        let seen = CgroupSeen {
            memory: Some((&m, &members)),
            ..CgroupSeen::default()
        };
        let f = &evaluate_cgroup(&seen, &th)[0];
        assert_eq!(f.severity, Severity::Warning);
        // Named after its largest process by RSS.
        assert_eq!(f.pid, Some(8));
        let Kind::Cgroup(CgroupFinding {
            judged:
                CgroupKind::MemoryNearLimit {
                    working_set_bytes,
                    percent,
                    ..
                },
            top,
            ..
        }) = &f.kind
        else {
            panic!("{:?}", f.kind)
        };
        assert_eq!(*working_set_bytes, 94 << 20);
        assert!((percent - 94.0).abs() < 1e-9);
        let ranked: Vec<(i32, u64)> = top
            .iter()
            .map(|s| (s.pid, s.percent.round() as u64))
            .collect();
        assert_eq!(ranked, vec![(8, 60), (7, 30), (9, 10)]);
        // Tasks: 275/300 = 91.7%, a warning; ranked by threads.
        let (_, p, _) = cgroup_states(Some("cgroup.tasks_near_limit"));
        let seen = CgroupSeen {
            pids: Some((&p, &members)),
            ..CgroupSeen::default()
        };
        let f = &evaluate_cgroup(&seen, &th)[0];
        assert_eq!((f.severity, f.pid), (Severity::Warning, Some(9)));
        assert_eq!(f.evidence()["percent"], serde_json::json!(91.7));
        // Throttling: 42% of periods, 3.1 s lost, against 0.5 CPU.
        let (_, _, c) = cgroup_states(Some("cgroup.cpu_throttled"));
        let seen = CgroupSeen {
            cpu: Some((&c, &members)),
            ..CgroupSeen::default()
        };
        let f = &evaluate_cgroup(&seen, &th)[0];
        assert_eq!((f.severity, f.pid), (Severity::Warning, Some(8)));
        let e = f.evidence();
        assert_eq!(e["percent"], serde_json::json!(42.0));
        assert_eq!(e["throttled_seconds"], serde_json::json!(3.1));
        assert_eq!(e["quota_cpus"], serde_json::json!(0.5));
        // OOM kills by kind.
        let (m, _, _) = cgroup_states(Some("cgroup.oom_kills"));
        let seen = CgroupSeen {
            memory: Some((&m, &[][..])),
            ..CgroupSeen::default()
        };
        let f = &evaluate_cgroup(&seen, &th)[0];
        assert_eq!((f.severity, f.pid), (Severity::Critical, None));
        assert_eq!(f.evidence()["oom_group_kill"], serde_json::json!(2));
    }

    #[test]
    fn cgroup_unknowns_are_no_verdict() {
        let th = Thresholds::default();
        let (mut m, mut p, mut c) = cgroup_states(Some("cgroup.memory_near_limit"));
        // No inactive_file known: no working set, never usage as one.
        m.inactive_file = None;
        m.oom.oom_kill = Some(1);
        m.oom.oom_kill = None;
        p.current = 300;
        p.max = None;
        // Too few periods to judge.
        c.throttling = Some(Throttling {
            nr_periods: 10,
            nr_throttled: 10,
            throttled_ns: 1,
        });
        let seen = CgroupSeen {
            memory: Some((&m, &[][..])),
            pids: Some((&p, &[][..])),
            cpu: Some((&c, &[][..])),
        };
        assert_eq!(evaluate_cgroup(&seen, &th), vec![]);
        // A working set under the inactive file pages saturates at 0.
        assert_eq!(cgroup::working_set(Some(5), Some(9)), Some(0));
    }

    #[test]
    fn process_rule_ids_are_unique_and_all_listed() {
        let ids: Vec<&str> = PROCESS_RULES.iter().map(|r| r.id).collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "duplicate id in {ids:?}");
        assert_eq!(unique, PROCESS_IDS.into_iter().collect());
    }

    #[test]
    fn host_rule_ids_are_unique_and_all_listed() {
        let ids: Vec<&str> = HOST_RULES.iter().map(|r| r.id).collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "duplicate id in {ids:?}");
        assert_eq!(unique, HOST_IDS.into_iter().collect());
    }

    #[test]
    fn a_healthy_process_and_host_have_no_findings() {
        let th = Thresholds::default();
        assert_eq!(evaluate_facts(&healthy(), &th), vec![]);
        let h = healthy_host();
        let seen = HostSeen {
            host: &h,
            zombies: 0,
            tasks: 100,
        };
        assert_eq!(evaluate_host(&seen, &HostThresholds::default()), vec![]);
    }

    #[test]
    fn every_process_rule_fires_on_its_input_and_only_it() {
        let th = Thresholds::default();
        for id in PROCESS_IDS {
            let found = evaluate_facts(&firing(id), &th);
            let ids: Vec<&str> = found.iter().map(|f| f.id).collect();
            assert_eq!(ids, vec![id], "input made for {id}");
            assert_eq!(found[0].pid, Some(42));
        }
    }

    #[test]
    fn every_host_rule_fires_on_its_input_and_only_it() {
        let th = HostThresholds::default();
        for id in HOST_IDS {
            let (h, zombies, tasks) = firing_host(id);
            let seen = HostSeen {
                host: &h,
                zombies,
                tasks,
            };
            let found = evaluate_host(&seen, &th);
            let ids: Vec<&str> = found.iter().map(|f| f.id).collect();
            assert_eq!(ids, vec![id], "input made for {id}");
            assert_eq!(found[0].pid, None);
        }
    }

    #[test]
    fn the_kind_carries_the_values_judged() {
        let th = Thresholds::default();
        let f = &evaluate_facts(&firing("fds.near_limit"), &th)[0];
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(
            f.kind,
            Kind::FdsNearLimit {
                fds: 1000,
                soft_limit: 1024,
                percent: 1000.0 * 100.0 / 1024.0,
            }
        );
        // The evidence rounds to one decimal.
        assert_eq!(f.evidence()["percent"], serde_json::json!(97.7));
        let mut z = firing("state.zombie");
        z.ppid = 7;
        z.parent_name = Some(Text(b"sh".to_vec()));
        let f = &evaluate_facts(&z, &th)[0];
        assert_eq!(
            f.kind,
            Kind::Zombie {
                ppid: 7,
                parent_name: Some(Text(b"sh".to_vec())),
            }
        );
    }

    #[test]
    fn severity_levels_and_unknowns() {
        let th = Thresholds::default();
        let at = |fds: u64, limit: Option<u64>| {
            let mut f = healthy();
            f.fds = Some(fds);
            f.fd_soft_limit = limit;
            evaluate_facts(&f, &th).first().map(|f| (f.id, f.severity))
        };
        assert_eq!(
            at(990, Some(1024)),
            Some(("fds.near_limit", Severity::Critical))
        );
        assert_eq!(
            at(850, Some(1024)),
            Some(("fds.near_limit", Severity::Warning))
        );
        assert_eq!(at(500, Some(1024)), None);
        // Unlimited, or a limit of 0: no verdict, never a division by 0.
        assert_eq!(at(990, None), None);
        assert_eq!(at(990, Some(0)), None);
        // Swap: a warning from 10% of the process's memory, else info.
        let mut f = healthy();
        f.swap_bytes = Some(1 << 20);
        f.rss_bytes = Some(100 << 20);
        assert_eq!(evaluate_facts(&f, &th)[0].severity, Severity::Info);
        f.rss_bytes = None;
        assert_eq!(evaluate_facts(&f, &th)[0].severity, Severity::Warning);
        // Too few switches to judge the mix.
        let mut f = healthy();
        f.voluntary_switches = Some(10);
        f.nonvoluntary_switches = Some(900);
        assert_eq!(evaluate_facts(&f, &th), vec![]);
    }

    #[test]
    fn cpu_rules_name_the_busy_thread() {
        let th = Thresholds::default();
        let judged = |c: Option<CpuUse>, nonvoluntary: u64| {
            let mut f = healthy();
            f.cpu = c;
            f.nonvoluntary_switches = Some(nonvoluntary);
            evaluate_facts(&f, &th)
        };
        // Preempted, with a busy thread: the contention finding names it.
        let found = judged(Some(cpu_use(99.0, &[("spin", 98.0)])), 9000);
        let ids: Vec<&str> = found.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["cpu.busy_thread", "cpu.nonvoluntary_switches"]);
        match &found[1].kind {
            Kind::NonvoluntarySwitches { hot_thread, .. } => {
                let t = hot_thread.as_ref().expect("the busy thread");
                assert_eq!((t.tid, t.name.display()), (100, "spin".to_string()));
            }
            k => panic!("{k:?}"),
        }
        // Preempted, held back to 40% of a CPU (a quota) and doing most of
        // the process's work: named, though not busy.
        let found = judged(Some(cpu_use(45.0, &[("q", 40.0), ("b", 5.0)])), 9000);
        assert_eq!(found.len(), 1);
        match &found[0].kind {
            Kind::NonvoluntarySwitches {
                hot_thread: Some(t),
                ..
            } => assert_eq!(t.name.display(), "q"),
            k => panic!("{k:?}"),
        }
        // Preempted, no thread doing most of the work, or too little:
        // no thread named.
        for c in [
            cpu_use(85.0, &[("a", 40.0), ("b", 40.0)]),
            cpu_use(30.0, &[("a", 20.0)]),
        ] {
            let found = judged(Some(c), 9000);
            assert!(
                matches!(
                    found[..],
                    [Finding {
                        kind: Kind::NonvoluntarySwitches {
                            hot_thread: None,
                            ..
                        },
                        ..
                    }]
                ),
                "{found:?}"
            );
        }
        // Under both thresholds, or nothing measured: quiet.
        assert_eq!(judged(Some(cpu_use(89.0, &[("a", 79.0)])), 10), vec![]);
        assert_eq!(judged(None, 10), vec![]);
        // Busy without a busy thread: info on a 4-CPU host...
        let found = judged(Some(cpu_use(180.0, &[("a", 60.0)])), 10);
        assert_eq!(
            (found[0].id, found[0].severity),
            ("cpu.busy", Severity::Info)
        );
        // ...a warning when it takes 90% of every CPU...
        let found = judged(Some(cpu_use(370.0, &[("a", 75.0)])), 10);
        assert_eq!(
            (found[0].id, found[0].severity),
            ("cpu.busy", Severity::Warning)
        );
        // ...and info when the CPUs are unknown (inspect).
        let mut c = cpu_use(370.0, &[]);
        c.cpus = None;
        assert_eq!(judged(Some(c), 10)[0].severity, Severity::Info);
        // One busy thread on a 1-CPU host: the busy thread says it.
        let mut c = cpu_use(99.0, &[("spin", 99.0)]);
        c.cpus = Some(1);
        let ids: Vec<&str> = judged(Some(c), 10).iter().map(|f| f.id).collect();
        assert_eq!(ids, ["cpu.busy_thread"]);
    }

    #[test]
    fn host_limits_of_zero_are_no_verdict() {
        let th = HostThresholds::default();
        let mut h = healthy_host();
        h.mem.total = Some(0);
        h.mem.available = Some(0);
        h.mem.swap_total = Some(0);
        h.mem.swap_free = Some(0);
        h.file_nr = Some(FileNr {
            allocated: 10,
            max: 0,
        });
        h.pid_max = Some(0);
        h.threads_max = None;
        let seen = HostSeen {
            host: &h,
            zombies: 0,
            tasks: 100,
        };
        assert_eq!(evaluate_host(&seen, &th), vec![]);
    }

    fn space(files: u64, bytes: u64, largest: u64) -> crate::analysis::who::DeletedSpace {
        crate::analysis::who::DeletedSpace {
            files,
            bytes: Some(bytes),
            largest,
            size_unknown: 0,
        }
    }

    #[test]
    fn deleted_open_only_when_the_space_held_matters() {
        let th = Thresholds::default();
        let fired = |f: &Facts| {
            evaluate_facts(f, &th)
                .into_iter()
                .find(|x| x.id == "fds.deleted_open")
                .map(|x| x.kind)
        };
        let mut f = healthy();
        f.deleted = Some(2);
        // Two empty files: ordinary, no finding.
        f.deleted_space = Some(space(2, 0, 0));
        assert_eq!(fired(&f), None);
        // Just under 64 MiB together: none; at 64 MiB: a warning with sizes.
        f.deleted_space = Some(space(2, (64 << 20) - 1, 40 << 20));
        assert_eq!(fired(&f), None);
        f.deleted_space = Some(space(2, 64 << 20, 40 << 20));
        assert_eq!(
            fired(&f),
            Some(Kind::DeletedOpen {
                deleted: 2,
                bytes: Some(64 << 20),
                largest: Some(40 << 20)
            })
        );
        // Sizes unknown: said so, never taken as small.
        f.deleted_space = None;
        assert_eq!(
            fired(&f),
            Some(Kind::DeletedOpen {
                deleted: 2,
                bytes: None,
                largest: None
            })
        );
    }

    #[test]
    fn findings_are_sorted_most_severe_first_then_by_id() {
        let mut f = firing("fds.near_limit");
        f.state = "D".into();
        f.deleted = Some(1);
        f.close_wait = Some(30);
        let ids: Vec<&str> = evaluate_facts(&f, &Thresholds::default())
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(
            ids,
            [
                "fds.near_limit",
                "fds.deleted_open",
                "sockets.close_wait",
                "state.uninterruptible"
            ]
        );
    }
}
