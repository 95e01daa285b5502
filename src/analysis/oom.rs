//! OOM history: the kills the kernel log holds, placed in time, filtered
//! to a window, newest first, next to the host's count since boot
//! (`/proc/vmstat` `oom_kill`); and, for `doctor`, each recent kill
//! connected to what runs now (the process that took the victim's place).
//! Pure: values in, values out; the words are in `render::oom`.

use serde::Serialize;

use crate::analysis::inspect::{Detail, Unavailable};
use crate::error::{ExitCode, ReadError};
use crate::parse::kmsg::{Constraint, OomKill, OomLog};
use crate::text::Text;

/// `doctor` shows the kills of the last hour.
pub const DOCTOR_WINDOW_SECS: f64 = 3600.0;

/// One kill, as shown.
#[derive(Debug, Clone, Serialize)]
pub struct Kill {
    /// Seconds since the epoch (None: the time since boot or the uptime
    /// is unknown).
    pub time_unix: Option<f64>,
    /// Seconds ago.
    pub age_seconds: Option<f64>,
    /// Seconds after boot (the record's own clock).
    pub seconds_since_boot: f64,
    /// The record's sequence number in the kernel log.
    pub seq: u64,
    pub pid: Option<i32>,
    pub name: Option<Text>,
    pub uid: Option<u32>,
    /// `memcg` (a cgroup limit), `host` (the whole host), `cpuset`,
    /// `memory_policy`; null when the summary line was lost.
    pub constraint: Option<Constraint>,
    /// The cgroup whose limit was hit (null: the whole host).
    pub oom_memcg: Option<Text>,
    /// The victim's own memory cgroup.
    pub memory_cgroup: Option<Text>,
    /// The workload that cgroup is (a Kubernetes container, a systemd
    /// unit, ...; names filled from the kubelet's directories by the
    /// caller). Null without a cgroup.
    pub workload: Option<crate::analysis::workload::WorkloadReport>,
    pub anon_rss_bytes: Option<u64>,
    pub file_rss_bytes: Option<u64>,
    pub shmem_rss_bytes: Option<u64>,
    pub total_vm_bytes: Option<u64>,
    pub oom_score_adj: Option<i64>,
    /// The OOM cgroup's usage and limit as the kernel printed them.
    pub cgroup_usage_bytes: Option<u64>,
    pub cgroup_limit_bytes: Option<u64>,
}

impl Kill {
    /// anon + file + shmem RSS, when all three are known.
    pub fn rss_bytes(&self) -> Option<u64> {
        self.anon_rss_bytes?
            .checked_add(self.file_rss_bytes?)?
            .checked_add(self.shmem_rss_bytes?)
    }
}

/// What `proctor oom` reports.
#[derive(Debug, Clone, Serialize)]
pub struct OomReport {
    /// Newest first, within the window.
    pub kills: Vec<Kill>,
    /// The window (`--since`), seconds; null: the whole log.
    pub since_seconds: Option<f64>,
    /// Kills found in the kernel log (null: the log was not read).
    pub in_kernel_log: Option<usize>,
    /// The host's OOM kills since boot (`oom_kill` in /proc/vmstat).
    pub vmstat_oom_kill: Option<u64>,
    /// OOM records that did not parse.
    pub malformed_records: u64,
    /// Records overwritten while being read, and whether reading stopped
    /// at proctor's cap.
    pub overwritten_records: u64,
    pub log_capped: bool,
    pub unavailable: Vec<Unavailable>,
}

/// Where the kernel log stands: what was read of it, or why not.
#[derive(Debug, Clone)]
pub struct LogInput {
    pub log: Result<OomLog, ReadError>,
    pub overwritten: u64,
    pub capped: bool,
}

/// The clocks to place a record: seconds since boot now (uptime: a
/// record's age) and the boot time (`btime`: its wall-clock time). The
/// record's clock stops during suspend, uptime's does not: on a host that
/// suspended, ages are too long by the time suspended.
#[derive(Debug, Clone, Copy)]
pub struct Clocks {
    pub uptime: Option<f64>,
    pub boot_unix: Option<f64>,
}

fn kb(v: Option<u64>) -> Option<u64> {
    v.and_then(|k| k.checked_mul(1024))
}

fn text(v: &Option<Vec<u8>>) -> Option<Text> {
    v.as_ref().map(|b| Text(b.clone()))
}

/// One parsed kill placed in time.
pub fn kill(k: &OomKill, clocks: Clocks) -> Kill {
    let since_boot = k.usec as f64 / 1e6;
    // Milliseconds: the two clocks agree no better.
    let age = clocks
        .uptime
        .map(|u| ((u - since_boot).max(0.0) * 1000.0).round() / 1000.0);
    Kill {
        time_unix: clocks.boot_unix.map(|b| b + since_boot),
        age_seconds: age,
        seconds_since_boot: since_boot,
        seq: k.seq,
        pid: k.pid,
        name: text(&k.name),
        uid: k.uid,
        constraint: k.constraint,
        oom_memcg: text(&k.oom_memcg),
        memory_cgroup: text(&k.task_memcg),
        workload: k.task_memcg.as_deref().map(|cg| {
            let cg = crate::parse::cgroup::normalize(cg);
            crate::analysis::workload::WorkloadReport::new(
                &crate::parse::workload::from_cgroup_path(&cg),
                &cg,
            )
        }),
        anon_rss_bytes: kb(k.anon_rss_kb),
        file_rss_bytes: kb(k.file_rss_kb),
        shmem_rss_bytes: kb(k.shmem_rss_kb),
        total_vm_bytes: kb(k.total_vm_kb),
        oom_score_adj: k.oom_score_adj,
        cgroup_usage_bytes: kb(k.usage_kb),
        cgroup_limit_bytes: kb(k.limit_kb),
    }
}

/// The kills within `since` seconds (all when None; a kill whose age is
/// unknown is kept: it cannot be shown to be outside), newest first.
pub fn within(log: &OomLog, clocks: Clocks, since: Option<f64>) -> Vec<Kill> {
    let mut kills: Vec<Kill> = log
        .kills
        .iter()
        .map(|k| kill(k, clocks))
        .filter(|k| match (since, k.age_seconds) {
            (Some(s), Some(a)) => a <= s,
            _ => true,
        })
        .collect();
    kills.sort_by_key(|k| std::cmp::Reverse(k.seq));
    kills
}

/// An unavailable entry for `section`.
pub fn unavailable(section: &'static str, e: ReadError) -> Unavailable {
    Unavailable {
        section,
        reason: e.reason(),
        detail: Detail::Read(e),
        hint: None,
    }
}

/// The report of `proctor oom`.
pub fn report(
    input: LogInput,
    vmstat: Result<u64, ReadError>,
    clocks: Result<Clocks, ReadError>,
    since: Option<f64>,
) -> OomReport {
    let mut un = Vec::new();
    let vmstat_oom_kill = vmstat.map_err(|e| un.push(unavailable("vmstat", e))).ok();
    let clocks = clocks.unwrap_or_else(|e| {
        un.push(unavailable("uptime", e));
        Clocks {
            uptime: None,
            boot_unix: None,
        }
    });
    let (kills, in_log, malformed) = match &input.log {
        Ok(log) => (
            within(log, clocks, since),
            Some(log.kills.len()),
            log.malformed,
        ),
        Err(e) => {
            un.push(unavailable("kernel_log", e.clone()));
            (Vec::new(), None, 0)
        }
    };
    OomReport {
        kills,
        since_seconds: since,
        in_kernel_log: in_log,
        vmstat_oom_kill,
        malformed_records: malformed,
        overwritten_records: input.overwritten,
        log_capped: input.capped,
        unavailable: un,
    }
}

/// 1 when a kill is in the window; 3 when the kernel log could not be
/// read (kills may be missing); else 0.
pub fn exit_code(r: &OomReport) -> ExitCode {
    if !r.kills.is_empty() {
        ExitCode::Problem
    } else if r.in_kernel_log.is_none() {
        ExitCode::Incomplete
    } else {
        ExitCode::Ok
    }
}

/// A process running now, as `doctor` connects it to a kill.
#[derive(Debug, Clone)]
pub struct Running {
    pub pid: i32,
    pub name: Vec<u8>,
    /// Its memory cgroup path (v1 memory hierarchy or v2).
    pub memory_cgroup: Vec<u8>,
    pub rss_bytes: u64,
    /// Its cgroup's tightest limit, when known.
    pub cgroup_limit: Option<u64>,
    /// RSS growth measured by `doctor --sample`, bytes per second.
    pub rss_rate: Option<f64>,
    /// Seconds until its memory cgroup limit at that rate
    /// (`ceiling::exhaustion`).
    pub seconds_to_limit: Option<f64>,
}

/// How a running process relates to the kill's cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The same memory cgroup.
    SameCgroup,
    /// A sibling cgroup (same parent: a restarted container under its pod).
    SiblingCgroup,
}

/// The process that took the victim's place.
#[derive(Debug, Clone, Serialize)]
pub struct Successor {
    pub pid: i32,
    pub name: Text,
    pub memory_cgroup: Text,
    pub relation: Relation,
    pub rss_bytes: u64,
    pub cgroup_limit_bytes: Option<u64>,
    pub rss_bytes_per_second: Option<f64>,
    pub seconds_to_limit: Option<f64>,
}

/// A recent kill and what runs in its place.
#[derive(Debug, Clone, Serialize)]
pub struct RecentKill {
    #[serde(flatten)]
    pub kill: Kill,
    /// The process now in the victim's place (null: none found).
    pub now: Option<Successor>,
}

/// `doctor`'s OOM section.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorOom {
    pub window_seconds: f64,
    pub recent: Vec<RecentKill>,
    pub unavailable: Vec<Unavailable>,
}

/// The parent of a cgroup path (None for the root or a top-level one:
/// every cgroup directly under the root is not one workload's sibling).
fn parent(p: &[u8]) -> Option<&[u8]> {
    let p = p.strip_suffix(b"/").unwrap_or(p);
    let i = p.iter().rposition(|&c| c == b'/')?;
    (i > 0).then(|| &p[..i])
}

/// The largest RSS first (then the lowest PID).
fn best(it: Vec<&Running>) -> Option<&Running> {
    it.into_iter()
        .max_by_key(|r| (r.rss_bytes, std::cmp::Reverse(r.pid)))
}

/// The process now in the victim's place: one with the victim's name in
/// the same memory cgroup, else in a sibling cgroup (largest RSS first);
/// else any process in the same cgroup.
pub fn successor(k: &Kill, running: &[Running]) -> Option<Successor> {
    let cg = k.memory_cgroup.as_ref()?.as_bytes();
    let name = k.name.as_ref().map(Text::as_bytes);
    let same_name = |r: &&Running| name.is_some_and(|n| n == r.name.as_slice());
    let alive_victim = |r: &&Running| Some(r.pid) != k.pid;
    let same: Vec<&Running> = running
        .iter()
        .filter(alive_victim)
        .filter(|r| r.memory_cgroup == cg)
        .collect();
    let pick = best(same.iter().copied().filter(same_name).collect())
        .map(|r| (r, Relation::SameCgroup))
        .or_else(|| {
            let p = parent(cg)?;
            let sib = running
                .iter()
                .filter(alive_victim)
                .filter(same_name)
                .filter(|r| r.memory_cgroup != cg && parent(&r.memory_cgroup) == Some(p))
                .collect();
            best(sib).map(|r| (r, Relation::SiblingCgroup))
        })
        .or_else(|| best(same).map(|r| (r, Relation::SameCgroup)))?;
    let (r, relation) = pick;
    Some(Successor {
        pid: r.pid,
        name: Text(r.name.clone()),
        memory_cgroup: Text(r.memory_cgroup.clone()),
        relation,
        rss_bytes: r.rss_bytes,
        cgroup_limit_bytes: r.cgroup_limit,
        rss_bytes_per_second: r.rss_rate,
        seconds_to_limit: r.seconds_to_limit,
    })
}

/// `doctor`'s section: the kills of the last [`DOCTOR_WINDOW_SECS`], each
/// with its successor.
pub fn doctor(
    input: &LogInput,
    clocks: Result<Clocks, ReadError>,
    running: &[Running],
) -> DoctorOom {
    let mut un = Vec::new();
    let recent = match (&input.log, clocks) {
        (Ok(log), Ok(c)) => within(log, c, Some(DOCTOR_WINDOW_SECS))
            .into_iter()
            .filter(|k| k.age_seconds.is_some())
            .map(|k| RecentKill {
                now: successor(&k, running),
                kill: k,
            })
            .collect(),
        (Err(e), _) => {
            un.push(unavailable("kernel_log", e.clone()));
            Vec::new()
        }
        (_, Err(e)) => {
            un.push(unavailable("uptime", e));
            Vec::new()
        }
    };
    DoctorOom {
        window_seconds: DOCTOR_WINDOW_SECS,
        recent,
        unavailable: un,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> OomLog {
        crate::parse::kmsg::oom_kills(
            include_bytes!("../../tests/fixtures/kmsg/memcg-v1.kmsg")
                .split(|&c| c == b'\n')
                .filter(|l| !l.is_empty()),
        )
    }

    fn clocks(uptime: f64) -> Clocks {
        Clocks {
            uptime: Some(uptime),
            boot_unix: Some(1_000_000.0),
        }
    }

    #[test]
    fn placed_in_time_and_windowed() {
        // The kill is at 12843.274127 s after boot.
        let ks = within(&log(), clocks(12843.274127 + 720.0), Some(3600.0));
        assert_eq!(ks.len(), 1);
        let k = &ks[0];
        assert!((k.age_seconds.unwrap() - 720.0).abs() < 1e-3);
        assert!((k.time_unix.unwrap() - (1_000_000.0 + 12843.274127)).abs() < 1e-3);
        assert_eq!(k.anon_rss_bytes, Some(32512 * 1024));
        assert_eq!(k.cgroup_limit_bytes, Some(32 << 20));
        assert_eq!(k.rss_bytes(), Some((32512 + 6632) * 1024));
        assert!(within(&log(), clocks(12843.3 + 3601.0), Some(3600.0)).is_empty());
    }

    #[test]
    fn exit_codes() {
        let ok = |l: OomLog| LogInput {
            log: Ok(l),
            overwritten: 0,
            capped: false,
        };
        let r = report(ok(log()), Ok(3), Ok(clocks(13000.0)), None);
        assert_eq!(exit_code(&r), ExitCode::Problem);
        assert_eq!(r.in_kernel_log, Some(1));
        let r = report(ok(OomLog::default()), Ok(3), Ok(clocks(13000.0)), None);
        assert_eq!(exit_code(&r), ExitCode::Ok);
        let denied = LogInput {
            log: Err(ReadError::PermissionDenied {
                path: "/dev/kmsg".into(),
            }),
            overwritten: 0,
            capped: false,
        };
        let r = report(denied, Ok(3), Ok(clocks(13000.0)), None);
        assert_eq!(exit_code(&r), ExitCode::Incomplete);
        assert_eq!(r.vmstat_oom_kill, Some(3));
        assert_eq!(r.unavailable[0].reason, "permission_denied");
    }

    fn running(pid: i32, name: &str, cg: &str, rss: u64) -> Running {
        Running {
            pid,
            name: name.as_bytes().to_vec(),
            memory_cgroup: cg.as_bytes().to_vec(),
            rss_bytes: rss,
            cgroup_limit: None,
            rss_rate: None,
            seconds_to_limit: None,
        }
    }

    #[test]
    fn successor_same_cgroup_then_sibling() {
        let mut k = kill(&log().kills[0], clocks(13000.0));
        k.memory_cgroup = Some(Text::new(&b"/kubepods/burstable/podA/ctr1"[..]));
        let others = [
            running(10, "python3", "/kubepods/burstable/podB/ctr9", 1 << 30),
            running(11, "python3", "/kubepods/burstable/podA/ctr2", 5 << 20),
            running(12, "sh", "/kubepods/burstable/podA/ctr2", 9 << 20),
        ];
        let s = successor(&k, &others).unwrap();
        assert_eq!((s.pid, s.relation), (11, Relation::SiblingCgroup));
        let mut more = others.to_vec();
        more.push(running(
            13,
            "python3",
            "/kubepods/burstable/podA/ctr1",
            1 << 20,
        ));
        let s = successor(&k, &more).unwrap();
        assert_eq!((s.pid, s.relation), (13, Relation::SameCgroup));
        // The victim's own PID (not yet reaped) is never its successor.
        more.push(running(
            24490,
            "python3",
            "/kubepods/burstable/podA/ctr1",
            1 << 40,
        ));
        assert_eq!(successor(&k, &more).unwrap().pid, 13);
        // Top-level cgroups are not siblings of each other.
        k.memory_cgroup = Some(Text::new(&b"/ctr1"[..]));
        assert!(successor(&k, &[running(14, "python3", "/ctr2", 1)]).is_none());
    }
}
