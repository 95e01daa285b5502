//! `proctor inspect`: one report of everything about a process, judged.

use super::context::{Ctx, emit, gone, open_target};
use crate::analysis::{self, findings::Thresholds};
use crate::cmd::context::Output;
use crate::cmd::target::TargetSpec;
use crate::error::{CliError, ReadError};

/// What `inspect` is asked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: TargetSpec,
    /// Thread count from which a thread explosion is reported.
    pub thread_threshold: u64,
    /// CLOSE_WAIT sockets from which a socket leak is reported.
    pub close_wait_threshold: u64,
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    let snap = ctx.fs.snapshot(&proc).map_err(gone)?;
    let th = Thresholds {
        threads: a.thread_threshold,
        close_wait: a.close_wait_threshold,
        ..Thresholds::default()
    };
    // proctor's own descriptor limit hit while reading: its error, not a
    // section the process lacks (findings would silently go missing).
    if let Some(e) = snapshot_errors(&snap).find(|e| e.is_out_of_descriptors()) {
        return Err(CliError::out_of_descriptors(e));
    }
    let mut report = analysis::inspect::build(&snap, &th);
    if let Some(w) = report.workload.as_mut() {
        if let Some((uid, id)) = w.wanted() {
            let ids: Vec<&str> = id.into_iter().collect();
            let names = crate::reader::pods::kubelet_names(&ctx.pods_dir, &[uid], &ids);
            w.name_from(&names);
        }
    }
    name_cgroup_members(ctx, &snap, &mut report, &th);
    if let Some(inc) = report.incomplete.as_mut() {
        let denied = inc.reasons.iter().any(|r| {
            matches!(r, analysis::incomplete::Reason::ChecksNotRun { reason, .. } if *reason == "permission_denied")
        });
        if denied && !rustix::process::geteuid().is_root() {
            inc.cause = Some(analysis::incomplete::Cause::NotRoot);
        }
    }
    if ctx.reveal {
        report.reveal_secrets(&snap);
    }
    let mut out = emit(ctx, &report, || {
        crate::render::inspect::render(&report, ctx.palette)
    });
    // Exit 1 when something at warning or above was found, so scripts can
    // act on `proctor inspect PID` (info findings do not count); else 3
    // when checks that could hide a problem did not run.
    let problem = report
        .findings
        .iter()
        .any(|f| f.severity >= analysis::findings::Severity::Warning);
    out.code = analysis::incomplete::exit_code(problem, report.incomplete.as_ref());
    Ok(out)
}

/// A cgroup rule fired: read the processes of that cgroup (only then: a
/// cgroup can hold the whole host) and judge again, naming them.
fn name_cgroup_members(
    ctx: &Ctx,
    snap: &crate::reader::ProcessSnapshot,
    report: &mut analysis::inspect::InspectReport,
    th: &Thresholds,
) {
    let fired = |prefix: &[&str]| report.findings.iter().any(|f| prefix.contains(&f.id));
    let lines = snap.cgroup_lines.as_deref().unwrap_or_default();
    let members = analysis::inspect::CgroupMembers {
        memory: if fired(&["cgroup.memory_near_limit", "cgroup.oom_kills"]) {
            ctx.fs.cgroup_members(lines, "memory")
        } else {
            Vec::new()
        },
        pids: if fired(&["cgroup.tasks_near_limit"]) {
            ctx.fs.cgroup_members(lines, "pids")
        } else {
            Vec::new()
        },
        cpu: if fired(&["cgroup.cpu_throttled"]) {
            ctx.fs.cgroup_members(lines, "cpu")
        } else {
            Vec::new()
        },
    };
    analysis::inspect::judge_cgroups(report, snap, &members, th);
}

/// Every section of a snapshot that failed.
fn snapshot_errors(s: &crate::reader::ProcessSnapshot) -> impl Iterator<Item = &ReadError> {
    [
        s.status.as_ref().err(),
        s.cmdline.as_ref().err(),
        s.exe.as_ref().err(),
        s.cwd.as_ref().err(),
        s.smaps_rollup.as_ref().err(),
        s.cgroup.as_ref().err(),
        s.oom_score.as_ref().err(),
        s.oom_score_adj.as_ref().err(),
        s.threads.as_ref().err(),
        s.fds.as_ref().err(),
        s.nofile.as_ref().err(),
        s.sockets.as_ref().err(),
        s.io.as_ref().err(),
        s.environ_count.as_ref().err(),
    ]
    .into_iter()
    .flatten()
}
