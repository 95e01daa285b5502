//! The words of every finding: its one-line message and the next command
//! to run, written from the typed [`Kind`] the rule returned (analysis
//! keeps values, never sentences; see `analysis::findings`). Also the
//! JSON form of a finding: `Serialize` for [`Finding`] (as `inspect`
//! shows it) and for [`DoctorFinding`] (with the process), implemented
//! here so that the `message` and `next` fields are filled by render
//! whenever a report is serialized, while the reports themselves stay
//! plain derived data.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::units::iec;
use crate::analysis::doctor::DoctorFinding;
use crate::analysis::findings::{Finding, Kind, Severity};
use crate::text::Text;

/// `"es"` after "process" unless one.
fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// The finding in one line for people.
pub fn message(f: &Finding) -> String {
    match &f.kind {
        Kind::FdsNearLimit {
            fds,
            soft_limit,
            percent,
        } => format!(
            "{fds} of {soft_limit} file descriptors in use ({percent:.0}% of the soft limit): \"too many open files\" is near"
        ),
        Kind::DeletedOpen { deleted } => format!(
            "{deleted} deleted file{} still held open: its disk space is not freed until closed",
            plural(*deleted, " is", "s are")
        ),
        Kind::MemoryNearCgroupLimit {
            rss_bytes,
            limit_bytes,
            percent,
        } => format!(
            "RSS {} is {percent:.0}% of the cgroup memory limit {}: the OOM killer acts at the limit",
            iec(*rss_bytes),
            iec(*limit_bytes)
        ),
        Kind::OomKills { oom_kills, cgroup } => oom_kills_words(*oom_kills, cgroup.as_ref()),
        Kind::SwapInUse {
            swap_bytes,
            percent_of_memory,
        } => format!(
            "{} of this process is in swap ({percent_of_memory:.0}% of its memory): touching it stalls on disk",
            iec(*swap_bytes)
        ),
        Kind::ThreadsHigh {
            threads,
            threshold,
            largest_group,
        } => {
            let detail = largest_group
                .as_ref()
                .map(|(pattern, count)| format!("; largest group {} x{count}", pattern.display()))
                .unwrap_or_default();
            format!(
                "{threads} threads (threshold {threshold}){detail}: suspect a thread leak or an unbounded pool"
            )
        }
        Kind::CloseWait { close_wait, .. } => format!(
            "{close_wait} TCP sockets in CLOSE_WAIT: the peer closed and this process never called close() (a socket leak)"
        ),
        Kind::Zombie { ppid, parent_name } => format!(
            "zombie: the process exited but its parent {ppid} ({}) has not reaped it",
            name_or_unknown(parent_name.as_ref())
        ),
        Kind::Uninterruptible => {
            "in uninterruptible wait (D): blocked in the kernel, usually on disk or network I/O"
                .to_string()
        }
        Kind::NonvoluntarySwitches { percent, .. } => format!(
            "{percent:.0}% of context switches are nonvoluntary: the process is often preempted (CPU contention or a CPU quota)"
        ),
        Kind::ZombiesUnreaped {
            ppid,
            parent_name,
            zombies,
        } => zombies_unreaped_words(*ppid, parent_name.as_ref(), zombies),
        Kind::HostMemAvailableLow {
            available_bytes,
            total_bytes,
            percent,
        } => format!(
            "only {} of {} memory is available ({percent:.1}%): the kernel is close to reclaiming hard and the OOM killer",
            iec(*available_bytes),
            iec(*total_bytes)
        ),
        Kind::HostSwapInUse {
            used_bytes,
            total_bytes,
            percent,
        } => format!(
            "{} of {} swap in use ({percent:.0}%): memory was short at some point; processes touching swapped pages stall on disk",
            iec(*used_bytes),
            iec(*total_bytes)
        ),
        Kind::HostMemoryPressure {
            some_avg10,
            full_avg10,
        } => format!(
            "memory pressure: some task stalled on memory {some_avg10:.1}% and all tasks {full_avg10:.1}% of the last 10 s (PSI): the host is thrashing or reclaiming"
        ),
        Kind::HostZombies { zombies } => format!(
            "{zombies} zombie processes on the host: each holds a PID until its parent reaps it"
        ),
        Kind::HostFileHandles {
            allocated,
            file_max,
            percent,
        } => format!(
            "{allocated} of {file_max} file handles allocated host-wide ({percent:.0}% of fs.file-max): every open() will fail at the limit"
        ),
        Kind::HostTasksNearLimit {
            tasks,
            limit,
            percent,
        } => format!(
            "{tasks} tasks (threads) of at most {limit} (kernel.pid_max / threads-max, {percent:.0}%): fork() and thread creation will fail"
        ),
        Kind::Worded { message, .. } => message.clone(),
    }
}

fn name_or_unknown(name: Option<&Text>) -> String {
    name.map(Text::display).unwrap_or_else(|| "?".into())
}

fn oom_kills_words(k: u64, cgroup: Option<&Text>) -> String {
    let es = plural(k, "", "es");
    match cgroup {
        Some(cg) => format!(
            "the OOM killer has killed {k} process{es} in memory cgroup {}",
            cg.display()
        ),
        None => {
            format!("the OOM killer has killed {k} process{es} in this process's memory cgroup")
        }
    }
}

/// Zombie PIDs listed up to ten, and what to do about the parent.
fn zombies_unreaped_words(ppid: i32, parent_name: Option<&Text>, zombies: &[i32]) -> String {
    let n = zombies.len();
    let list: Vec<String> = zombies.iter().take(10).map(i32::to_string).collect();
    let more = if n > 10 {
        format!(" and {} more", n - 10)
    } else {
        String::new()
    };
    let them = if n == 1 { "it" } else { "them" };
    let advice = if ppid == 1 {
        ": PID 1 does not reap orphans here (in a container, run an init such as tini or `docker run --init`)".to_string()
    } else {
        format!(
            ": the parent has not called wait() for {them} (fix its SIGCHLD handling, or restart it so that init reaps {them})"
        )
    };
    format!(
        "{n} zombie child{} not reaped by {ppid} ({}): PID{} {}{more}{advice}",
        if n == 1 { "" } else { "ren" },
        name_or_unknown(parent_name),
        if n == 1 { "" } else { "s" },
        list.join(", ")
    )
}

/// The command to run next for the full evidence, if any.
pub fn next(f: &Finding) -> Option<String> {
    const TOP_RSS: &str = "proctor top --once --sort rss --limit 10";
    let pid = f.pid.map_or_else(|| "?".to_string(), |p| p.to_string());
    Some(match &f.kind {
        Kind::FdsNearLimit { .. } => format!("proctor fds {pid}"),
        Kind::DeletedOpen { .. } => format!("proctor fds {pid} --type file"),
        Kind::MemoryNearCgroupLimit { .. } => format!("proctor maps {pid} --sort rss"),
        // Inspect already shows the process; doctor names a cgroup
        // after one of its processes.
        Kind::OomKills { cgroup: None, .. } => return None,
        Kind::OomKills {
            cgroup: Some(_), ..
        } => format!("proctor inspect {pid}"),
        Kind::SwapInUse { .. } | Kind::Uninterruptible => return None,
        Kind::ThreadsHigh { .. } => format!("proctor threads {pid}"),
        Kind::CloseWait { .. } => format!("proctor net {pid} --state CLOSE_WAIT"),
        Kind::Zombie { ppid, .. } | Kind::ZombiesUnreaped { ppid, .. } => {
            format!("proctor inspect {ppid}")
        }
        Kind::NonvoluntarySwitches { .. } => format!("proctor threads {pid} --sort switches"),
        Kind::HostMemAvailableLow { .. }
        | Kind::HostSwapInUse { .. }
        | Kind::HostMemoryPressure { .. } => TOP_RSS.to_string(),
        Kind::HostZombies { .. } => "proctor top --once --filter defunct".to_string(),
        Kind::HostFileHandles { .. } => "proctor top --once --sort fds --limit 10".to_string(),
        Kind::HostTasksNearLimit { .. } => {
            "proctor top --once --sort threads --limit 10".to_string()
        }
        Kind::Worded { next, .. } => return next.clone(),
    })
}

/// A finding as `inspect --json` shows it.
#[derive(Serialize)]
struct FindingDoc {
    id: &'static str,
    severity: Severity,
    message: String,
    evidence: BTreeMap<&'static str, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FindingDoc {
            id: self.id,
            severity: self.severity,
            message: message(self),
            evidence: self.evidence(),
            next: next(self),
        }
        .serialize(s)
    }
}

/// A finding as `doctor --json` shows it: the process first, and `next`
/// always present (null when there is none).
#[derive(Serialize)]
struct DoctorFindingDoc<'a> {
    pid: Option<i32>,
    name: Option<&'a Text>,
    id: &'static str,
    severity: Severity,
    message: String,
    evidence: BTreeMap<&'static str, Value>,
    next: Option<String>,
}

impl Serialize for DoctorFinding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = &self.finding;
        DoctorFindingDoc {
            pid: f.pid,
            name: self.name.as_ref(),
            id: f.id,
            severity: f.severity,
            message: message(f),
            evidence: f.evidence(),
            next: next(f),
        }
        .serialize(s)
    }
}
