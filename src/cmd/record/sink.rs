//! The recorder's end of the agent: each scan as a [`Frame`] (every
//! process with its workload, each cgroup group's counters, the host's
//! memory and load, OOM kills new in the kernel log), written to the
//! store. Command lines are masked before they are stored.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustc_hash::FxHashMap;

use crate::analysis::serve::{CgroupFacts, Identity, Labels, SocketCounts};
use crate::cmd::context::Ctx;
use crate::cmd::serve::agent::{Observation, Sink};
use crate::error::CliError;
use crate::reader::{ProcFs, ScanRow};
use crate::store::write::{Limits, Recorder};
use crate::store::{
    Frame, HostValues, OomEvent, ProcFrame, ProcValues, RunInfo, Totals, WorkloadFrame,
    WorkloadKey, WorkloadValues,
};

#[derive(Default)]
struct Shared {
    totals: Totals,
    finish_error: Option<CliError>,
}

/// The command's view of the sink's totals (the sink lives in the agent).
#[derive(Clone)]
pub struct Stats(Arc<Mutex<Shared>>);

impl Stats {
    pub fn totals(&self) -> Totals {
        self.0.lock().map(|t| t.totals.clone()).unwrap_or_default()
    }
    pub fn targets(&self) -> usize {
        self.totals().targets
    }
    pub fn targets_gone(&self) -> bool {
        self.totals().targets_gone
    }
    pub fn finish_error(&self) -> Option<CliError> {
        self.0.lock().ok().and_then(|mut t| t.finish_error.take())
    }
}

pub struct StoreSink {
    recorder: Recorder,
    fs: ProcFs,
    boot_id: String,
    boot_ms: Option<i64>,
    /// `vmstat` oom_kill at the last read of the kernel log.
    oom_count: Option<u64>,
    /// Only these processes, (pid, start): None records the host.
    targets: Option<Vec<(i32, u64)>>,
    /// Processes of the last frame, with their names: a process's command
    /// line is sent when it is new or its name changed (it exec'd).
    known: FxHashMap<(i32, u64), Vec<u8>>,
    stats: Stats,
}

/// Each TARGET resolved to its process (pid, start time).
pub fn resolve_targets(
    ctx: &Ctx,
    targets: &[crate::cmd::target::TargetSpec],
) -> Result<Option<Vec<(i32, u64)>>, CliError> {
    if targets.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for t in targets {
        let p = crate::cmd::context::open_target(ctx, t)?;
        out.push((p.pid(), p.start_ticks()));
    }
    out.sort_unstable();
    out.dedup();
    Ok(Some(out))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn text_of(fs: &ProcFs, rel: &str) -> String {
    fs.read_proc_file(rel)
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default()
}

impl StoreSink {
    pub fn open(
        ctx: &Ctx,
        path: &Path,
        limits: Limits,
        interval: Duration,
        targets: Option<Vec<(i32, u64)>>,
    ) -> Result<StoreSink, CliError> {
        let mut recorder = Recorder::open(path, limits).map_err(|e| super::store_error(&e))?;
        let fs = ctx.fs.clone();
        let boot_id = text_of(&fs, "sys/kernel/random/boot_id");
        let boot_time_s = fs.boot_time().ok();
        let info = RunInfo {
            started_ms: now_ms(),
            host: text_of(&fs, "sys/kernel/hostname"),
            boot_id: boot_id.clone(),
            kernel: text_of(&fs, "sys/kernel/osrelease"),
            version: env!("CARGO_PKG_VERSION").to_string(),
            interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
            targets: targets
                .as_ref()
                .map(|t| {
                    t.iter()
                        .map(|(p, _)| p.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default(),
            clock_ticks: crate::reader::clock_ticks(),
            boot_time_s,
        };
        recorder
            .begin_run(&info)
            .map_err(|e| super::store_error(&e))?;
        let stats = Stats(Arc::new(Mutex::new(Shared {
            totals: Totals {
                targets: targets.as_ref().map_or(0, Vec::len),
                ..Totals::default()
            },
            finish_error: None,
        })));
        Ok(StoreSink {
            recorder,
            fs,
            boot_id,
            boot_ms: boot_time_s.and_then(|b| i64::try_from(b).ok()?.checked_mul(1000)),
            oom_count: None,
            targets,
            known: FxHashMap::default(),
            stats,
        })
    }

    pub fn stats(&self) -> Stats {
        self.stats.clone()
    }

    fn wanted(&self, r: &ScanRow) -> bool {
        self.targets
            .as_ref()
            .is_none_or(|t| t.binary_search(&(r.pid, r.start_ticks)).is_ok())
    }

    /// OOM kills in the kernel log, read when the host's count moved (and
    /// at the first scan: kills before the recorder started are kept too,
    /// once each).
    fn ooms(&mut self, host_count: Option<u64>) -> Vec<OomEvent> {
        let changed = match (self.oom_count, host_count) {
            (None, _) => true,
            (Some(a), Some(b)) => a != b,
            (Some(_), None) => false,
        };
        if !changed {
            return Vec::new();
        }
        self.oom_count = host_count.or(Some(0));
        let Ok(log) = self.fs.kernel_log() else {
            return Vec::new();
        };
        let kills = crate::parse::kmsg::oom_kills(log.records.iter().map(Vec::as_slice));
        kills
            .kills
            .into_iter()
            .filter(|k| k.has_summary || k.has_kill_line)
            .map(|k| oom_event(k, &self.boot_id, self.boot_ms))
            .collect()
    }

    fn frame(&mut self, o: &Observation<'_>) -> Frame {
        let t_ms = now_ms();
        let taken_ago = o.scan.taken.elapsed();
        let t_ms = t_ms.saturating_sub(i64::try_from(taken_ago.as_millis()).unwrap_or(0));
        let sockets: FxHashMap<&Labels, &SocketCounts> =
            o.sockets.iter().map(|(l, c)| (l, c)).collect();
        let mut workloads = Vec::with_capacity(o.groups.len());
        let mut member_of: FxHashMap<(i32, u64), usize> = FxHashMap::default();
        for (i, g) in o.groups.iter().enumerate() {
            if self.targets.is_some() && !g.members.iter().any(|r| self.wanted(r)) {
                continue;
            }
            let at = workloads.len();
            for r in &g.members {
                member_of.insert((r.pid, r.start_ticks), at);
            }
            let path = o.cgroups.get(i).and_then(Option::as_ref);
            workloads.push(workload_frame(
                &g.identity,
                g.cgroup.as_ref(),
                path,
                sockets.get(&g.identity.labels).copied(),
            ));
        }
        let mut processes = Vec::with_capacity(o.scan.rows.len());
        let mut known = FxHashMap::default();
        known.reserve(o.scan.rows.len());
        for r in o.scan.rows.iter().filter(|r| self.wanted(r)) {
            let key = (r.pid, r.start_ticks);
            let cmdline = if self.known.get(&key).is_some_and(|c| *c == r.name) {
                Vec::new()
            } else {
                let raw = r.cmdline.as_deref().unwrap_or_default();
                crate::analysis::secrets::mask_nul_args(raw, r.cmdline_truncated).0
            };
            known.insert(key, r.name.clone());
            processes.push(ProcFrame {
                pid: r.pid,
                start_ticks: r.start_ticks,
                ppid: r.ppid,
                uid: r.uid.ok(),
                comm: r.name.clone(),
                cmdline,
                kernel_thread: r.kernel_thread,
                workload: member_of.get(&key).copied(),
                values: values_of(r),
            });
        }
        // Processes of the last frame the scan did not list: gone, or alive
        // but not read (a read that failed under load): told apart here.
        let still_alive: Vec<(i32, u64)> = self
            .known
            .keys()
            .filter(|k| !known.contains_key(k))
            .filter(|&&(pid, start)| {
                self.fs.open(pid).is_ok_and(|p| {
                    p.start_ticks() == start
                        && p.stat().is_ok_and(|s| s.state != b'Z' && s.state != b'X')
                })
            })
            .copied()
            .collect();
        for k in &still_alive {
            if let Some(c) = self.known.get(k) {
                known.insert(*k, c.clone());
            }
        }
        self.known = known;
        let facts = self.fs.host_facts();
        let oom_total = self.fs.vmstat_oom_kill().ok();
        let host = HostValues {
            mem_total_kb: facts.mem.total.map(|b| b / 1024),
            mem_available_kb: facts.mem.available.map(|b| b / 1024),
            swap_total_kb: facts.mem.swap_total.map(|b| b / 1024),
            swap_free_kb: facts.mem.swap_free.map(|b| b / 1024),
            load1_centi: facts
                .load
                .filter(|l| l.one.is_finite() && l.one >= 0.0)
                .map(|l| (l.one * 100.0).round() as u64),
            oom_kills: oom_total,
        };
        let ooms = self.ooms(oom_total);
        Frame {
            t_ms,
            scan_us: u64::try_from(taken_ago.as_micros()).unwrap_or(u64::MAX),
            processes,
            workloads,
            exited: o.scan.exited as u64,
            unreadable: o.scan.unreadable as u64,
            host,
            ooms,
            still_alive,
        }
    }
}

fn values_of(r: &ScanRow) -> ProcValues {
    let kernel = r.kernel_thread;
    ProcValues {
        state: Some(r.state),
        rss_kb: Some(r.rss_bytes / 1024),
        fds: if kernel { Some(0) } else { r.fds.ok() },
        threads: Some(r.threads),
        cpu_ticks: Some(r.cpu_ticks),
        switches: r.switches.ok(),
        read_bytes: r.io.ok().map(|v| v.0),
        write_bytes: r.io.ok().map(|v| v.1),
        fd_limit: r.fd_soft_limit.ok().flatten(),
    }
}

fn workload_frame(
    id: &Identity,
    facts: Option<&CgroupFacts>,
    cgroup: Option<&Vec<u8>>,
    sockets: Option<&SocketCounts>,
) -> WorkloadFrame {
    let l = &id.labels;
    let kind = if !id.is_cgroup && l.pod.is_empty() {
        "name"
    } else if !l.pod.is_empty() || !id.pod_uid.is_empty() {
        "kubernetes"
    } else if !l.unit.is_empty() {
        "systemd_unit"
    } else {
        "container"
    };
    let values = facts.map(|f| WorkloadValues {
        memory_bytes: f.memory_usage,
        working_set_bytes: f.working_set,
        memory_limit_bytes: f.memory_limit,
        oom_kills: f.oom_kills,
        pids: f.pids_current,
        pids_max: f.pids_max,
        cpu_ns: f
            .cpu_user_ns
            .zip(f.cpu_system_ns)
            .map(|(u, s)| u.saturating_add(s)),
        throttled_ns: f.throttled_ns,
        tcp_established: sockets.map(|s| s.established),
        tcp_close_wait: sockets.map(|s| s.close_wait),
        tcp_listen: sockets.map(|s| s.listen),
    });
    WorkloadFrame {
        key: WorkloadKey {
            name: l.group.clone(),
            kind: kind.to_string(),
            namespace: l.namespace.clone(),
            pod: l.pod.clone(),
            container: l.container.clone(),
            unit: l.unit.clone(),
            cgroup: cgroup
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .unwrap_or_default(),
        },
        values,
    }
}

fn oom_event(k: crate::parse::kmsg::OomKill, boot_id: &str, boot_ms: Option<i64>) -> OomEvent {
    use crate::parse::kmsg::Constraint;
    let t_ms = boot_ms
        .unwrap_or(0)
        .saturating_add(i64::try_from(k.usec / 1000).unwrap_or(i64::MAX));
    OomEvent {
        t_ms,
        seq: k.seq,
        boot_id: boot_id.to_string(),
        pid: k.pid,
        comm: k.name.unwrap_or_default(),
        uid: k.uid,
        constraint: match k.constraint {
            Some(Constraint::Memcg) => "memcg",
            Some(Constraint::Host) => "global",
            Some(Constraint::Cpuset) => "cpuset",
            Some(Constraint::MemoryPolicy) => "mempolicy",
            None => "unknown",
        }
        .to_string(),
        oom_memcg: k.oom_memcg.unwrap_or_default(),
        task_memcg: k.task_memcg.unwrap_or_default(),
        total_vm_kb: k.total_vm_kb,
        anon_rss_kb: k.anon_rss_kb,
        file_rss_kb: k.file_rss_kb,
        shmem_rss_kb: k.shmem_rss_kb,
        usage_kb: k.usage_kb,
        limit_kb: k.limit_kb,
    }
}

impl Sink for StoreSink {
    fn take(&mut self, o: &Observation<'_>) -> Result<(), CliError> {
        let frame = self.frame(o);
        let w = self
            .recorder
            .record(&frame)
            .map_err(|e| super::store_error(&e))?;
        let size = self.recorder.size();
        if let Ok(mut sh) = self.stats.0.lock() {
            let t = &mut sh.totals;
            t.scans += 1;
            t.process_rows += w.process_rows as u64;
            t.processes += w.new_processes as u64;
            t.ooms += w.ooms as u64;
            t.dropped_scans += w.dropped_scans as u64;
            t.bytes = size;
            t.targets_gone = self.targets.is_some()
                && frame.processes.is_empty()
                && frame.still_alive.is_empty();
        }
        Ok(())
    }
}

impl Drop for StoreSink {
    fn drop(&mut self) {
        if let Err(e) = self.recorder.finish() {
            if let Ok(mut t) = self.stats.0.lock() {
                t.finish_error = Some(super::store_error(&e));
            }
        }
    }
}
