//! `proctor oom`: the OOM kills in the kernel log, newest first, with the
//! host's count since boot (/proc/vmstat `oom_kill`). Exit 1 when a kill
//! is in the window (`--since`), 0 when none, 3 when the kernel log could
//! not be read (kills may be missing; the count since boot is still said).

use std::path::Path;
use std::time::Duration;

use crate::analysis::oom::{self, Clocks, LogInput};
use crate::cmd::context::{Ctx, Output};
use crate::error::CliError;
use crate::reader::ProcFs;
use crate::render;

/// What `oom` is asked.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Only kills this recent.
    pub since: Option<Duration>,
}

/// Read and parse the kernel log's OOM kills (shared with `doctor`).
pub fn read_log(fs: &ProcFs) -> LogInput {
    match fs.kernel_log() {
        Ok(l) => LogInput {
            log: Ok(crate::parse::kmsg::oom_kills(
                l.records.iter().map(Vec::as_slice),
            )),
            overwritten: l.overwritten,
            capped: l.capped,
        },
        Err(e) => LogInput {
            log: Err(e),
            overwritten: 0,
            capped: false,
        },
    }
}

/// Seconds since boot (an error: ages unknown) and the boot time (None:
/// no wall-clock times).
pub fn clocks(fs: &ProcFs) -> Result<Clocks, crate::error::ReadError> {
    let uptime = fs.uptime()?;
    Ok(Clocks {
        uptime: Some(uptime),
        boot_unix: fs.boot_time().ok().map(|b| b as f64),
    })
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    crate::cmd::context::check_roots(ctx)?;
    let input = read_log(&ctx.fs);
    let mut report = oom::report(
        input,
        ctx.fs.vmstat_oom_kill(),
        clocks(&ctx.fs),
        a.since.map(|d| d.as_secs_f64()),
    );
    name_workloads(&ctx.pods_dir, report.kills.iter_mut());
    let stdout = if ctx.json {
        render::oom::json(&report)
    } else {
        render::oom::human(&report, ctx.palette)
    };
    Ok(Output {
        stdout,
        code: oom::exit_code(&report),
    })
}

/// `doctor`'s OOM section: the kills of the last hour, each connected to
/// what runs now (the processes' memory cgroups are those doctor's survey
/// already read); with `before` (`doctor --sample`), the RSS growth of the
/// process in the victim's place and the time to its cgroup limit at that
/// rate (`ceiling::exhaustion`, as for the fast growers).
pub fn doctor_section(
    fs: &ProcFs,
    pods_dir: &Path,
    scan: &crate::reader::Scan,
    before: Option<&crate::reader::Scan>,
    surveys: &std::collections::HashMap<i32, crate::reader::Survey>,
) -> oom::DoctorOom {
    let input = read_log(fs);
    let clocks = clocks(fs);
    let first = oom::doctor(&input, clocks.clone(), &[]);
    if first.recent.is_empty() {
        return first;
    }
    let running = running(fs, scan, before, surveys, &first.recent);
    let mut d = oom::doctor(&input, clocks, &running);
    name_workloads(pods_dir, d.recent.iter_mut().map(|r| &mut r.kill));
    d
}

/// The kubelet's names (namespace, pod, container) for the kills'
/// workloads: one bounded listing for all of them.
fn name_workloads<'k>(pods_dir: &Path, kills: impl Iterator<Item = &'k mut oom::Kill>) {
    let mut workloads: Vec<_> = kills.filter_map(|k| k.workload.as_mut()).collect();
    let (mut uids, mut ids) = (Vec::new(), Vec::new());
    for w in &workloads {
        if let Some((uid, id)) = w.wanted() {
            uids.push(uid.to_string());
            ids.extend(id.map(str::to_string));
        }
    }
    if uids.is_empty() {
        return;
    }
    let uids: Vec<&str> = uids.iter().map(String::as_str).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let names = crate::reader::pods::kubelet_names(pods_dir, &uids, &ids);
    for w in &mut workloads {
        w.name_from(&names);
    }
}

/// Every surveyed user process with its memory cgroup (those whose cgroup
/// could not be read are left out: they cannot be placed).
fn running(
    fs: &ProcFs,
    scan: &crate::reader::Scan,
    before: Option<&crate::reader::Scan>,
    surveys: &std::collections::HashMap<i32, crate::reader::Survey>,
    recent: &[oom::RecentKill],
) -> Vec<oom::Running> {
    let dt = before.map(|b| scan.taken.saturating_duration_since(b.taken).as_secs_f64());
    let mut out = Vec::new();
    for r in &scan.rows {
        let Some(cg) = surveys
            .get(&r.pid)
            .filter(|s| s.start_ticks == r.start_ticks)
            .and_then(|s| s.cgroup.as_ref())
        else {
            continue;
        };
        let rate = match (before.and_then(|b| b.find(r.pid)), dt) {
            (Some(b), Some(dt)) if b.start_ticks == r.start_ticks && dt > 0.0 => {
                Some((r.rss_bytes as f64 - b.rss_bytes as f64) / dt)
            }
            _ => None,
        };
        // The ceilings are read only for a possible successor.
        let candidate = recent.iter().any(|k| {
            k.kill.name.as_ref().map(crate::text::Text::as_bytes) == Some(r.name.as_slice())
                || k.kill
                    .memory_cgroup
                    .as_ref()
                    .map(crate::text::Text::as_bytes)
                    == Some(cg.path.as_slice())
        });
        let seconds_to_limit = rate.filter(|v| candidate && *v > 0.0).and_then(|v| {
            let p = fs.open(r.pid).ok()?;
            if p.start_ticks() != r.start_ticks {
                return None;
            }
            let own = crate::reader::Sample {
                rss: Some(r.rss_bytes),
                ..Default::default()
            };
            crate::analysis::ceiling::exhaustion(
                crate::analysis::leak::Metric::Rss,
                &own,
                &fs.ceilings(&p),
                v,
            )
            .and_then(|e| e.eta_s)
        });
        out.push(oom::Running {
            pid: r.pid,
            name: r.name.clone(),
            memory_cgroup: cg.path.clone(),
            rss_bytes: r.rss_bytes,
            cgroup_limit: cg.limit,
            rss_rate: rate,
            seconds_to_limit,
        });
    }
    out
}
