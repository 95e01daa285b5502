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
    /// The descriptors' links were not read: the scan counted more than
    /// [`LINK_WALK_MAX`] descriptors. Deleted files are then not checked
    /// (`deleted` None), and the links are read only if the process's
    /// network namespace has CLOSE_WAIT sockets not found elsewhere.
    pub links_skipped: bool,
    /// A read was refused (not: absent, not supported).
    pub denied: bool,
    /// A read failed otherwise (an I/O error, proctor out of descriptors):
    /// the checks that need it did not run.
    pub error: Option<ReadError>,
}

/// A process with more descriptors than this (by the scan's count) has
/// its links read only when CLOSE_WAIT sockets must be traced to it: a
/// readlink per descriptor costs about as much as the whole scan of an
/// ordinary host for each few thousand (bench/README.md, `doctor.sh`).
pub const LINK_WALK_MAX: u64 = 16_384;

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
        out.links_skipped = row.fds.as_ref().is_ok_and(|&n| n > LINK_WALK_MAX);
        if !out.links_skipped {
            match proc.fd_link_summary() {
                Ok(links) => {
                    out.deleted = Some(links.deleted);
                    // Deleted files are rare: their sizes need the list
                    // (one more walk, of this process only).
                    if links.deleted > 0 {
                        if let Ok(list) = proc.fds(super::FdInfoWanted::None) {
                            out.deleted_files = proc.deleted_files(&list);
                        }
                    }
                    out.socket_inodes = Some(links.socket_inodes);
                }
                Err(e @ ReadError::Exited { .. }) => return Err(e),
                Err(ReadError::PermissionDenied { .. }) => out.denied = true,
                Err(ReadError::NotSupported { .. }) => {}
                Err(e) => out.error = Some(e),
            }
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

    /// Fill `close_wait` for every surveyed process whose socket inodes
    /// were read, or could be: per network namespace, the kernel's TCP
    /// table filtered by state first (netlink sock_diag asked only for
    /// CLOSE_WAIT in proctor's own namespace or where it may enter; the
    /// text tables of one member elsewhere), then those few sockets traced
    /// to the members whose links were read. A member whose links were
    /// skipped ([`LINK_WALK_MAX`]) is read only while some CLOSE_WAIT
    /// socket of its namespace is still unclaimed; once every one is
    /// claimed, the rest hold none. A namespace with 40,000 sockets and
    /// none in CLOSE_WAIT costs one short reply.
    pub fn close_wait(&self, surveys: &mut [Survey]) {
        let mut by_ns: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, s) in surveys.iter().enumerate() {
            let walked = s.socket_inodes.as_ref().is_some_and(|i| !i.is_empty());
            if let (Some(ns), true) = (&s.netns, walked || s.links_skipped) {
                by_ns.entry(ns.clone()).or_default().push(i);
            }
        }
        for members in by_ns.values() {
            // Any member still alive (the same process: a reused PID may
            // sit in another namespace) can read the namespace's tables.
            let waiting = members.iter().find_map(|&i| {
                let proc = self.same_process(&surveys[i])?;
                proc.namespace_close_wait_inodes().ok()
            });
            let Some(waiting) = waiting else { continue };
            let mut left = waiting.clone();
            let (walked, skipped): (Vec<usize>, Vec<usize>) =
                members.iter().partition(|&&i| !surveys[i].links_skipped);
            for i in walked {
                let n = claim(&waiting, &mut left, surveys[i].socket_inodes.as_ref());
                surveys[i].close_wait = Some(n);
            }
            for i in skipped {
                if left.is_empty() {
                    surveys[i].close_wait = Some(0);
                    continue;
                }
                let links = self
                    .same_process(&surveys[i])
                    .and_then(|p| p.fd_link_summary().ok());
                if let Some(links) = links {
                    let n = claim(&waiting, &mut left, Some(&links.socket_inodes));
                    surveys[i].close_wait = Some(n);
                    surveys[i].deleted = Some(links.deleted);
                    surveys[i].socket_inodes = Some(links.socket_inodes);
                }
            }
        }
    }

    /// The surveyed process, if its PID still names it.
    fn same_process(&self, s: &Survey) -> Option<Process> {
        let proc = Process::open(self, s.pid).ok()?;
        (proc.start_ticks() == s.start_ticks).then_some(proc)
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

/// How many of `waiting` (a namespace's CLOSE_WAIT sockets) are among
/// `inodes` (a socket two processes share counts for both, as in
/// `inspect`); those are removed from `left`, the ones not yet traced.
fn claim(waiting: &net::InodeSet, left: &mut net::InodeSet, inodes: Option<&net::InodeSet>) -> u64 {
    let Some(inodes) = inodes else { return 0 };
    let n = waiting.iter().filter(|i| inodes.contains(i)).count();
    if n > 0 {
        left.retain(|i| !inodes.contains(i));
    }
    n as u64
}
