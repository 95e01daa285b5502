//! `doctor`'s second pass: for every user process the scan found, the
//! reads the `inspect` rules need beyond the scan: the descriptor links
//! (deleted files held open, socket inodes), the memory cgroup (limit and
//! OOM kills, read once per distinct cgroup) and the network namespace.
//! The cgroup lines are kept: they name the process's workload.
//! Then one TCP table per network namespace gives the CLOSE_WAIT sockets.

use std::collections::HashMap;

use super::{CgroupMemory, CgroupState, ProcFs, Process, ScanRow};
use crate::error::ReadError;
use crate::parse::{cgroup::CgroupLine, net};

/// What the survey learnt about one process. Each field is None when it
/// could not be read (permission, a file missing here).
#[derive(Debug, Clone, Default)]
pub struct Survey {
    pub pid: i32,
    /// With the pid, the identity of the surveyed process.
    pub start_ticks: u64,
    /// Deleted files held open (memfd excluded, as in `inspect`).
    pub deleted: Option<u64>,
    /// Those deleted files' identity and size (None where unreadable).
    pub deleted_files: Vec<Option<super::HeldFile>>,
    pub socket_inodes: Option<net::InodeSet>,
    pub cgroup: Option<CgroupMemory>,
    /// The memory, pids and cpu cgroups' state (read once per distinct
    /// /proc/PID/cgroup), judged once per cgroup by doctor.
    pub cgroup_state: Option<CgroupState>,
    /// Its /proc/PID/cgroup lines (its workload is read from them).
    pub cgroup_lines: Option<Vec<CgroupLine>>,
    /// Network namespace link text (`net:[4026531840]`).
    pub netns: Option<Vec<u8>>,
    /// How many TCP sockets of this process are in CLOSE_WAIT (filled by
    /// [`ProcFs::close_wait`]).
    pub close_wait: Option<u64>,
    /// Its TCP listeners with their accept queues and backlogs (filled by
    /// [`ProcFs::listen_queues`]).
    pub listeners: Option<Vec<net::InetSocket>>,
    /// Its namespace's listen drop counters, read when one of its
    /// listeners has connections waiting.
    pub listen_counters: Option<net::ListenCounters>,
    /// A read was refused (not: absent, not supported).
    pub denied: bool,
    /// A read failed otherwise (an I/O error, proctor out of descriptors):
    /// the checks that need it did not run.
    pub error: Option<ReadError>,
}

/// Memory cgroups already resolved, by the process's cgroup lines.
#[derive(Debug, Default)]
pub struct CgroupCache {
    states: HashMap<Vec<CgroupLine>, (Option<CgroupMemory>, CgroupState)>,
}

impl ProcFs {
    /// Survey one scanned process. `Err(Exited)` when it is gone or its
    /// PID now names another process.
    pub fn survey(&self, row: &ScanRow, cache: &mut CgroupCache) -> Result<Survey, ReadError> {
        let proc = Process::open(self, row.pid)?;
        if proc.start_ticks() != row.start_ticks {
            return Err(ReadError::Exited { pid: row.pid });
        }
        let mut out = Survey {
            pid: row.pid,
            start_ticks: row.start_ticks,
            ..Survey::default()
        };
        match proc.fds(super::FdInfoWanted::None) {
            Ok(list) => {
                let links = super::process::summarize_links(&list);
                out.deleted = Some(links.deleted);
                if links.deleted > 0 {
                    out.deleted_files = proc.deleted_files(&list);
                }
                out.socket_inodes = Some(links.socket_inodes);
            }
            Err(e @ ReadError::Exited { .. }) => return Err(e),
            Err(ReadError::PermissionDenied { .. }) => out.denied = true,
            Err(ReadError::NotSupported { .. }) => {}
            Err(e) => out.error = Some(e),
        }
        match proc.cgroup() {
            Ok(lines) => {
                // Once per distinct cgroup: the memory cgroup found once
                // serves both the process rules and the cgroup's state.
                let (memory, state) =
                    cache
                        .states
                        .entry(lines.clone())
                        .or_insert_with_key(|lines| {
                            let m = self.memory_cgroup(lines);
                            (m.clone().ok(), self.cgroup_state_with(lines, m))
                        });
                out.cgroup = memory.clone();
                out.cgroup_state = Some(state.clone());
                out.cgroup_lines = Some(lines);
            }
            Err(e @ ReadError::Exited { .. }) => return Err(e),
            Err(ReadError::PermissionDenied { .. }) => out.denied = true,
            Err(ReadError::NotSupported { .. }) => {}
            Err(e) => out.error = out.error.take().or(Some(e)),
        }
        out.netns = proc.readlink("ns/net").ok();
        Ok(out)
    }

    /// Fill `close_wait` for every surveyed process: one TCP table per
    /// network namespace (netlink in proctor's own, /proc/PID/net/tcp of one
    /// member elsewhere), joined to the processes' socket inodes.
    pub fn close_wait(&self, surveys: &mut [Survey]) {
        let mut by_ns: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, s) in surveys.iter().enumerate() {
            if let (Some(ns), Some(inodes)) = (&s.netns, &s.socket_inodes) {
                if !inodes.is_empty() {
                    by_ns.entry(ns.clone()).or_default().push(i);
                }
            }
        }
        for members in by_ns.values() {
            let mut wanted = net::InodeSet::default();
            for &i in members {
                if let Some(inodes) = &surveys[i].socket_inodes {
                    wanted.extend(inodes.iter().copied());
                }
            }
            // Any member still alive (the same process: a reused PID may
            // sit in another namespace) can read the namespace's tables.
            let sockets = members.iter().find_map(|&i| {
                let proc = Process::open(self, surveys[i].pid).ok()?;
                if proc.start_ticks() != surveys[i].start_ticks {
                    return None;
                }
                proc.tcp_sockets(&wanted).ok()
            });
            let Some(sockets) = sockets else { continue };
            let waiting: net::InodeSet = sockets
                .iter()
                .filter(|s| s.proto.is_tcp() && s.state == CLOSE_WAIT)
                .map(|s| s.inode)
                .collect();
            for &i in members {
                if let Some(inodes) = &surveys[i].socket_inodes {
                    let n = inodes.iter().filter(|i| waiting.contains(i)).count();
                    surveys[i].close_wait = Some(n as u64);
                }
            }
        }
    }
}

impl ProcFs {
    /// Fill `listeners` for every surveyed process with sockets: per
    /// network namespace one sock_diag dump of the listeners only
    /// (filtered by state in the kernel), joined to the processes' socket
    /// inodes; the namespace's TcpExt counters when a listener has
    /// connections waiting.
    pub fn listen_queues(&self, surveys: &mut [Survey]) {
        let mut by_ns: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, s) in surveys.iter().enumerate() {
            if let (Some(ns), Some(inodes)) = (&s.netns, &s.socket_inodes) {
                if !inodes.is_empty() {
                    by_ns.entry(ns.clone()).or_default().push(i);
                }
            }
        }
        for members in by_ns.values() {
            let mut wanted = net::InodeSet::default();
            for &i in members {
                if let Some(inodes) = &surveys[i].socket_inodes {
                    wanted.extend(inodes.iter().copied());
                }
            }
            let found = members.iter().find_map(|&i| {
                let proc = Process::open(self, surveys[i].pid).ok()?;
                if proc.start_ticks() != surveys[i].start_ticks {
                    return None;
                }
                let l = proc.tcp_listeners(&wanted).ok()?;
                let counters = l
                    .iter()
                    .any(|s| s.rx_queue > 0)
                    .then(|| proc.listen_counters().ok())
                    .flatten();
                Some((l, counters))
            });
            let Some((listeners, counters)) = found else {
                continue;
            };
            for &i in members {
                if let Some(inodes) = &surveys[i].socket_inodes {
                    let mine: Vec<net::InetSocket> = listeners
                        .iter()
                        .filter(|s| inodes.contains(&s.inode))
                        .cloned()
                        .collect();
                    surveys[i].listen_counters = counters.filter(|_| !mine.is_empty());
                    surveys[i].listeners = Some(mine);
                }
            }
        }
    }
}

/// TCP_CLOSE_WAIT from include/net/tcp_states.h.
const CLOSE_WAIT: u8 = 8;
