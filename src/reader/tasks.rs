//! The threads of the scanned processes as rows of their own (`top`'s
//! `H`): each process's `task` directory read through the process's
//! descriptor (its start time checked first), bounded in rows.

use super::{Missing, ProcFs, Scan, ScanRow};

/// Most thread rows read per refresh: a process whose threads would pass
/// it is left out whole (and counted), never shown in part.
pub const THREAD_ROWS_CAP: usize = 20_000;

/// One row per thread (the main thread excepted: the process's own row is
/// it) of every process in `procs` with more than one thread, kernel
/// threads excepted: its TID as `pid`, its process as `ppid`, its own
/// name, state, start time, CPU time and context switches; memory, user,
/// descriptors and command line are its process's (threads share them).
/// Returns the rows as a scan (sorted by TID, for the rates against the
/// previous one) and how many processes were left out by the cap.
pub fn thread_rows(fs: &ProcFs, procs: &Scan, cap: usize) -> (Scan, usize) {
    let mut rows = Vec::new();
    let mut cut = 0;
    for p in procs
        .rows
        .iter()
        .filter(|p| p.threads > 1 && !p.kernel_thread)
    {
        if rows
            .len()
            .saturating_add(usize::try_from(p.threads).unwrap_or(usize::MAX))
            > cap
        {
            cut += 1;
            continue;
        }
        // The process as scanned, or nothing: a PID reused since the scan
        // is another process.
        let Ok(proc_) = fs.open(p.pid) else { continue };
        if proc_.start_ticks() != p.start_ticks {
            continue;
        }
        let Ok(threads) = proc_.thread_details() else {
            continue;
        };
        for t in threads.into_iter().filter(|t| t.tid != p.pid) {
            if rows.len() >= cap {
                break;
            }
            rows.push(ScanRow {
                pid: t.tid,
                ppid: p.pid,
                name: t.stat.comm,
                state: t.stat.state,
                kernel_thread: false,
                start_ticks: t.stat.starttime,
                cpu_ticks: t.stat.utime.saturating_add(t.stat.stime),
                system_ticks: t.stat.stime,
                threads: 1,
                switches: match &t.status {
                    Some(s) => match (s.voluntary_ctxt_switches, s.nonvoluntary_ctxt_switches) {
                        (Some(a), Some(b)) => Ok(a.saturating_add(b)),
                        _ => Err(Missing::Error),
                    },
                    None if t.status_error == Some("permission_denied") => {
                        Err(Missing::PermissionDenied)
                    }
                    None => Err(Missing::Error),
                },
                io: Err(Missing::NotApplicable),
                ..p.clone()
            });
        }
    }
    rows.sort_by_key(|r| r.pid);
    rows.dedup_by_key(|r| r.pid);
    let scan = Scan {
        rows,
        taken: procs.taken,
        uptime_secs: procs.uptime_secs,
        exited: 0,
        unreadable: 0,
        out_of_fds: false,
        wall: procs.wall,
        boot_unix: procs.boot_unix,
        pods: procs.pods.clone(),
    };
    (scan, cut)
}
