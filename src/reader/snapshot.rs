//! Everything `inspect` needs from one process, read in one pass. Each
//! section is its own `Result`: one unreadable file never hides the rest.

use std::collections::HashSet;

use super::{CgroupMemory, FdEntry, ProcFs, Process, Sockets, ThreadDetail, Truncated};
use crate::error::ReadError;
use crate::parse::{limits::Limit, stat::Stat, status::Status};

/// Clock facts needed to turn ticks into times.
#[derive(Debug, Clone)]
pub struct Clock {
    pub ticks_per_sec: u64,
    pub page_size: u64,
    pub boot_time: Result<u64, ReadError>,
    pub uptime: Result<f64, ReadError>,
}

#[derive(Debug)]
pub struct ProcessSnapshot {
    pub pid: i32,
    pub stat: Stat,
    pub status: Result<Status, ReadError>,
    pub cmdline: Result<Vec<Vec<u8>>, ReadError>,
    /// Set when the command line was cut at [`super::CMDLINE_READ_CAP`].
    pub cmdline_truncated: Option<Truncated>,
    pub exe: Result<Vec<u8>, ReadError>,
    pub cwd: Result<Vec<u8>, ReadError>,
    pub parent_name: Option<Vec<u8>>,
    pub user_name: Option<Vec<u8>>,
    pub smaps_rollup: Result<crate::parse::smaps::Rollup, ReadError>,
    pub cgroup: Result<CgroupMemory, ReadError>,
    /// /proc/PID/cgroup, every line (the workload is read from it).
    pub cgroup_lines: Result<Vec<crate::parse::cgroup::CgroupLine>, ReadError>,
    /// The memory, pids and cpu cgroups' state (None: /proc/PID/cgroup
    /// unreadable).
    pub cgroup_state: Option<super::CgroupState>,
    pub oom_score: Result<u64, ReadError>,
    pub oom_score_adj: Result<i64, ReadError>,
    /// Every thread's stat and context switches.
    pub threads: Result<Vec<ThreadDetail>, ReadError>,
    pub fds: Result<Vec<FdEntry>, ReadError>,
    /// The deleted files held open (from `fds`): identity and size, None
    /// where it could not be read.
    pub deleted_files: Vec<Option<super::HeldFile>>,
    pub nofile: Result<Limit, ReadError>,
    pub sockets: Result<Sockets, ReadError>,
    /// The namespace's listen drop counters (`net/netstat`), read when the
    /// process has a TCP listener with connections waiting.
    pub listen_counters: Option<crate::parse::net::ListenCounters>,
    pub io: Result<procfs_core::process::Io, ReadError>,
    pub environ_count: Result<usize, ReadError>,
    /// Set when the environment was cut at [`super::ENVIRON_CAP`].
    pub environ_truncated: Option<Truncated>,
    pub clock: Clock,
    /// The descriptor count alone, when the list is denied but the kernel
    /// still gives the count (stat of /proc/PID/fd, Linux >= 6.2).
    pub fd_count_only: Option<u64>,
    /// Block device names, to classify device descriptors.
    pub block_devices: HashSet<Vec<u8>>,
}

/// A read that found the process gone aborts the snapshot: a report mixing
/// a live process with a vanished one would be wrong.
fn keep<T>(r: Result<T, ReadError>) -> Result<Result<T, ReadError>, ReadError> {
    match r {
        Err(e @ ReadError::Exited { .. }) => Err(e),
        other => Ok(other),
    }
}

impl ProcFs {
    pub fn clock(&self) -> Clock {
        Clock {
            ticks_per_sec: super::clock_ticks(),
            page_size: super::page_size(),
            boot_time: self.boot_time(),
            uptime: self.uptime(),
        }
    }

    /// Read everything about one process. Fails only if the process is gone
    /// (at open or at any point while reading).
    pub fn snapshot(&self, proc: &Process) -> Result<ProcessSnapshot, ReadError> {
        let stat = proc.stat()?;
        let status = keep(proc.status())?;
        let uid = status.as_ref().ok().and_then(|s| s.uid).map(|u| u[0]);
        let fds = keep(proc.fds(super::FdInfoWanted::Paths))?;
        let deleted_files = fds
            .as_ref()
            .map(|l| proc.deleted_files(l))
            .unwrap_or_default();
        let sockets = match &fds {
            Ok(list) => {
                let inodes = super::socket_inodes(list);
                if inodes.is_empty() {
                    Ok(Sockets::default())
                } else {
                    keep(proc.sockets(&inodes))?
                }
            }
            Err(e) => Err(e.clone()),
        };
        let waiting = sockets.as_ref().is_ok_and(|s| {
            s.inet
                .iter()
                .any(|x| x.state == crate::parse::net::TCP_LISTEN && x.rx_queue > 0)
        });
        let listen_counters = if waiting {
            proc.listen_counters().ok()
        } else {
            None
        };
        let cgroup_lines = keep(proc.cgroup())?;
        let cgroup = cgroup_lines
            .clone()
            .and_then(|lines| self.memory_cgroup(&lines));
        let cgroup_state = cgroup_lines
            .as_ref()
            .ok()
            .map(|l| self.cgroup_state_with(l, cgroup.clone()));
        let (cmdline, cmdline_truncated) = match keep(proc.cmdline())? {
            Ok((args, cut)) => (Ok(args), cut),
            Err(e) => (Err(e), None),
        };
        let (environ_count, environ_truncated) = match keep(proc.environ_count())? {
            Ok((n, cut)) => (Ok(n), cut),
            Err(e) => (Err(e), None),
        };
        let snap = ProcessSnapshot {
            pid: proc.pid(),
            cmdline,
            cmdline_truncated,
            exe: keep(proc.readlink("exe"))?,
            cwd: keep(proc.readlink("cwd"))?,
            parent_name: if stat.ppid > 0 {
                self.comm(stat.ppid)
            } else {
                None
            },
            user_name: uid.and_then(super::user_name),
            smaps_rollup: keep(proc.smaps_rollup())?,
            cgroup,
            cgroup_lines,
            cgroup_state,
            oom_score: keep(proc.oom_score())?,
            oom_score_adj: keep(proc.oom_score_adj())?,
            threads: keep(proc.thread_details())?,
            nofile: keep(proc.nofile_limit())?,
            io: keep(proc.io())?,
            environ_count,
            environ_truncated,
            clock: self.clock(),
            block_devices: self.block_devices(),
            fd_count_only: None,
            status,
            fds,
            deleted_files,
            sockets,
            listen_counters,
            stat,
        };
        let mut snap = snap;
        if matches!(snap.fds, Err(ReadError::PermissionDenied { .. })) {
            let fast = super::kernel_counts_fds_in_stat() && proc.on_procfs();
            if fast {
                snap.fd_count_only = proc.fd_count(true).ok();
            }
        }
        // The process may have exited (become a zombie, or its PID been
        // reused) while being read: then the report would mix a live
        // process with a dead one. Confirm it is still the same, alive.
        proc.still_alive()?;
        Ok(snap)
    }
}
