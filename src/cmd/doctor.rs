//! `doctor`: scan every process, survey the user processes for what the
//! `inspect` rules need, read the host's numbers, judge, name the
//! findings' workloads from the kubelet's directories (one listing), and
//! print the findings grouped by workload, most severe first, with the next
//! command to run. Exit 1 when anything at warning or above is found.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::analysis::cpu::HotThread;
use crate::analysis::doctor::{self as model, HostThresholds, Inputs};
use crate::analysis::findings::{Severity, Thresholds};
use crate::analysis::incomplete::{Cause, Reason};
use crate::cmd::context::Ctx;
use crate::cmd::context::Output;
use crate::error::{CliError, ReadError};
use crate::reader::{CgroupCache, HostFacts, ProcFs, Scan, ScanRow, Scanner, Survey};
use crate::render;

/// What `doctor` is asked.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Scan twice this far apart and report fast growers (within its
    /// bounds: the CLI checks them).
    pub sample: Option<Duration>,
    /// List info-level findings too.
    pub all: bool,
}

/// A zombie seen by the scan is judged only if it is still a zombie this
/// long after: a child between exit and its parent's wait() is normal.
const ZOMBIE_RECHECK: Duration = Duration::from_millis(250);

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    let started = Instant::now();
    let scans = take_scans(ctx, a.sample)?;
    let cause = crate::cmd::context::hidepid_cause(ctx);
    let as_root = rustix::process::geteuid().is_root();
    check_anything_readable(ctx, &scans.scan, cause.as_ref(), as_root)?;
    crate::cmd::context::check_scan(ctx, &scans.scan)?;
    let host_files_hidden = ctx.fs.visibility().mount.is_some_and(|m| m.subset_pid);
    let host = ctx.fs.host_facts();
    let (mut report, surveys) = judge(ctx, &scans, &host)?;
    name_workloads(&ctx.pods_dir, &mut report);
    let oom = crate::cmd::oom::doctor_section(
        &ctx.fs,
        &ctx.pods_dir,
        &scans.scan,
        scans.before.as_ref(),
        &surveys,
    );
    let mut incomplete =
        model::incompleteness(&report.skipped, cause, host_files_hidden, as_root, &host);
    // A process past LINK_WALK_MAX descriptors whose links were not read
    // (no CLOSE_WAIT of its namespace needed tracing): its deleted files
    // and its listeners were not checked, and the report says so.
    if surveys
        .values()
        .any(|s| s.links_skipped && s.deleted.is_none())
    {
        incomplete.reasons.push(Reason::ChecksNotRun {
            section: "fds",
            reason: LINKS_NOT_READ,
            checks: vec!["fds.deleted_open", "sockets.accept_queue_full"],
        });
    }
    // A listener whose backlog is unknown (its namespace's netlink could
    // not be asked: only the text table) was not judged, and that is said.
    if surveys.values().any(|s| {
        s.listeners.as_deref().is_some_and(|l| {
            l.iter().any(|x| {
                x.proto.is_tcp() && x.state == crate::parse::net::TCP_LISTEN && x.backlog.is_none()
            })
        })
    }) {
        incomplete.reasons.push(Reason::ChecksNotRun {
            section: "sockets",
            reason: crate::analysis::findings::BACKLOG_UNKNOWN,
            checks: vec!["sockets.accept_queue_full"],
        });
    }
    report.incomplete = incomplete.into_option();
    // Interrupted after the sample (during the survey), the report is
    // whole: its own code stands. Else 1 when a problem was found, 3 when
    // processes could not be read.
    let code = if scans.cut_short.is_some() {
        crate::error::ExitCode::Interrupted
    } else {
        crate::analysis::incomplete::exit_code(
            report.worst() >= Some(Severity::Warning),
            report.incomplete.as_ref(),
        )
    };
    let stdout = if ctx.json {
        json(&report, scans.cut_short, &oom)
    } else {
        let body = render::doctor::render(
            &report,
            &host,
            &scans.scan,
            a.all,
            started.elapsed(),
            as_root,
            ctx.palette,
            &render::oom::doctor_section(&oom, ctx.palette),
        );
        match scans.cut_short {
            Some(cut) => format!("{}\n{body}", ctx.palette.warning(&interrupted_note(cut))),
            None => body,
        }
    };
    Ok(Output { stdout, code })
}

/// How long a sample ran before Ctrl-C, and how long it was to be.
use crate::cmd::context::CutShort;

/// The scan to judge, the one before it (`--sample`), and whether Ctrl-C
/// cut the sample short.
struct Scans {
    before: Option<Scan>,
    scan: Scan,
    cut_short: Option<CutShort>,
}

/// One scan, or two `sample` apart (within its bounds: the CLI checks
/// them). Ctrl-C during the sample stops the wait: the report is built on
/// the first scan, says that growth was not measured, and the exit code
/// is 130. proctor itself is left out.
fn take_scans(ctx: &Ctx, sample: Option<Duration>) -> Result<Scans, CliError> {
    let (mut before, mut scan, cut_short) = crate::cmd::context::scan_once_or_twice(ctx, sample)?;
    // proctor itself is not a patient: its own descriptors grow while it
    // keeps other processes' files open between the two scans.
    let me = ctx.fs.own_pid_in_root().unwrap_or(0);
    for s in before.iter_mut().chain(std::iter::once(&mut scan)) {
        s.rows.retain(|r| r.pid != me);
    }
    crate::cmd::context::check_own_fds(&scan)?;
    if let Some(b) = &before {
        crate::cmd::context::check_own_fds(b)?;
    }
    Ok(Scans {
        before,
        scan,
        cut_short,
    })
}

/// Nothing could be judged (every process hidden or unreadable): an
/// error, not "no problems on 0 processes".
fn check_anything_readable(
    ctx: &Ctx,
    scan: &Scan,
    cause: Option<&Cause>,
    as_root: bool,
) -> Result<(), CliError> {
    if !(scan.rows.is_empty() && (cause.is_some() || scan.unreadable > 0)) {
        return Ok(());
    }
    let root = ctx.fs.proc_root().display();
    let what = if scan.unreadable > 0 {
        format!(
            "none of the {} processes under {root} is readable",
            crate::render::incomplete::thousands(scan.unreadable)
        )
    } else {
        format!("no process under {root} is visible but proctor's own")
    };
    let (why, hint) = match cause {
        Some(c) => (
            format!(": {}", render::incomplete::cause_what(c)),
            render::incomplete::cause_remedy(c),
        ),
        None if !as_root => (
            String::new(),
            "run as root to read every process".to_string(),
        ),
        // Root refused everything: proctor's own descriptor limit (the
        // scan counts a process it cannot open as unreadable) or a
        // strange --proc-root.
        None => (
            String::new(),
            "check proctor's own descriptor limit (`ulimit -n`) and the --proc-root mount"
                .to_string(),
        ),
    };
    Err(CliError::new(format!("nothing could be checked: {what}{why}")).hint(hint))
}

/// Survey the user processes and judge them with the host's numbers (the
/// report's `incomplete` is left to the caller).
fn judge(
    ctx: &Ctx,
    scans: &Scans,
    host: &HostFacts,
) -> Result<(model::DoctorReport, HashMap<i32, Survey>), CliError> {
    let (surveys, exited, denied, failed) =
        survey_all(&ctx.fs, &scans.scan, Scanner::default_workers());
    // proctor out of descriptors: its own error, not processes to skip
    // (their findings would silently go missing).
    if let Some(e) = failed.iter().find(|e| e.is_out_of_descriptors()) {
        return Err(CliError::out_of_descriptors(e));
    }
    let lasting = lasting_zombies(&ctx.fs, &scans.scan);
    let th = Thresholds::default();
    let host_th = HostThresholds::default();
    let ticks_per_sec = crate::reader::clock_ticks();
    let (hot_threads, thread_seconds) = hot_threads(&ctx.fs, scans, ticks_per_sec, &th);
    let mut report = model::build(&Inputs {
        host,
        scan: &scans.scan,
        before: scans.before.as_ref(),
        surveys: &surveys,
        lasting_zombies: &lasting,
        exited_during_survey: exited,
        survey_denied: &denied,
        th: &th,
        host_th: &host_th,
        ceilings: &grower_ceilings(&ctx.fs, &scans.scan, scans.before.as_ref()),
        ticks_per_sec,
        hot_threads: &hot_threads,
        thread_seconds,
    });
    report.skipped.read_errors = failed.len();
    Ok((report, surveys))
}

/// The kubelet's names (namespace, pod, container) for the findings'
/// workloads: one bounded listing for the whole report.
fn name_workloads(pods_dir: &std::path::Path, report: &mut model::DoctorReport) {
    let (mut uids, mut ids) = (Vec::new(), Vec::new());
    for w in report.findings.iter().filter_map(|f| f.workload.as_ref()) {
        if let Some((uid, id)) = w.wanted() {
            uids.push(uid.to_string());
            ids.extend(id.map(str::to_string));
        }
    }
    if uids.is_empty() {
        return;
    }
    for v in [&mut uids, &mut ids] {
        v.sort_unstable();
        v.dedup();
    }
    let uids: Vec<&str> = uids.iter().map(String::as_str).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let names = crate::reader::pods::kubelet_names(pods_dir, &uids, &ids);
    for f in &mut report.findings {
        if let Some(w) = f.workload.as_mut() {
            w.name_from(&names);
        }
    }
}

/// The line said first when Ctrl-C cut the sample short.
fn interrupted_note((after, of): CutShort) -> String {
    format!(
        "Interrupted after {:.1}s of the {} sample: one scan only, growth (fast growers) was not measured",
        after.as_secs_f64(),
        humantime::format_duration(of)
    )
}

/// The JSON document, with `oom` (recent OOM kills) after the report's
/// own fields; with `interrupted` when Ctrl-C cut the sample short.
fn json(
    report: &model::DoctorReport,
    cut_short: Option<CutShort>,
    oom: &crate::analysis::oom::DoctorOom,
) -> String {
    #[derive(serde::Serialize)]
    struct WithOom<'a> {
        #[serde(flatten)]
        report: &'a model::DoctorReport,
        oom: serde_json::Value,
    }
    let mut section = serde_json::to_value(oom).unwrap_or_default();
    render::oom::add_hints(&mut section, &oom.unavailable);
    let doc = WithOom {
        report,
        oom: section,
    };
    let Some((after, of)) = cut_short else {
        return render::to_json(&doc) + "\n";
    };
    let mut v = serde_json::to_value(&doc).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "interrupted".into(),
            serde_json::json!({
                "after_seconds": (after.as_secs_f64() * 1000.0).round() / 1000.0,
                "sample_seconds": of.as_secs_f64(),
                "growth_measured": false,
            }),
        );
    }
    render::to_json(&v) + "\n"
}

/// What [`survey_all`] returns: surveys by pid, how many exited, the pids
/// refused in part, and the other read errors (one per process).
/// Why the deleted-file and accept-queue checks did not run on a process
/// past [`crate::reader::LINK_WALK_MAX`] descriptors (reading its links
/// would cost more than the whole scan): `proctor who --deleted` and
/// `proctor net PID` read them.
const LINKS_NOT_READ: &str = "too_many_descriptors";

type Surveyed = (HashMap<i32, Survey>, usize, Vec<i32>, Vec<ReadError>);

/// Survey every user process, in parallel.
fn survey_all(fs: &ProcFs, scan: &Scan, workers: usize) -> Surveyed {
    let wanted: Vec<&ScanRow> = scan
        .rows
        .iter()
        .filter(|r| !r.kernel_thread && r.state != b'Z' && r.state != b'X')
        .collect();
    let n = workers.min(wanted.len().div_ceil(128)).max(1);
    let run = |part: Vec<&ScanRow>| {
        let mut cache = CgroupCache::default();
        let mut out = Vec::with_capacity(part.len());
        let (mut exited, mut denied, mut failed) = (0, Vec::new(), Vec::new());
        for r in part {
            match fs.survey(r, &mut cache) {
                Ok(mut s) => {
                    if s.denied {
                        denied.push(s.pid);
                    }
                    if let Some(e) = s.error.take() {
                        failed.push(e);
                    }
                    out.push(s);
                }
                Err(ReadError::Exited { .. }) => exited += 1,
                Err(ReadError::PermissionDenied { .. }) => denied.push(r.pid),
                Err(e) => failed.push(e),
            }
        }
        (out, exited, denied, failed)
    };
    let mut parts: Vec<Vec<&ScanRow>> = vec![Vec::new(); n];
    for (i, r) in wanted.into_iter().enumerate() {
        parts[i % n].push(r);
    }
    type Part = (Vec<Survey>, usize, Vec<i32>, Vec<ReadError>);
    let results: Vec<Part> = if n == 1 {
        parts.into_iter().map(run).collect()
    } else {
        std::thread::scope(|s| {
            let hs: Vec<_> = parts.into_iter().map(|p| s.spawn(move || run(p))).collect();
            hs.into_iter().filter_map(|h| h.join().ok()).collect()
        })
    };
    let mut all = Vec::new();
    let (mut exited, mut denied, mut failed) = (0, Vec::new(), Vec::new());
    for (s, e, d, f) in results {
        all.extend(s);
        exited += e;
        denied.extend(d);
        failed.extend(f);
    }
    fs.close_wait(&mut all);
    fs.listen_queues(&mut all);
    (
        all.into_iter().map(|s| (s.pid, s)).collect(),
        exited,
        denied,
        failed,
    )
}

/// Zombies of the scan that are still zombies (same start time) at least
/// [`ZOMBIE_RECHECK`] after it.
fn lasting_zombies(fs: &ProcFs, scan: &Scan) -> Vec<i32> {
    let zombies: Vec<&ScanRow> = scan.rows.iter().filter(|r| r.state == b'Z').collect();
    if zombies.is_empty() {
        return Vec::new();
    }
    let waited = scan.taken.elapsed();
    if waited < ZOMBIE_RECHECK {
        std::thread::sleep(ZOMBIE_RECHECK - waited);
    }
    zombies
        .into_iter()
        .filter(|z| {
            fs.stat_raw(z.pid)
                .and_then(|b| crate::parse::stat::parse(&b).ok())
                .is_some_and(|s| s.state == b'Z' && s.starttime == z.start_ticks)
        })
        .map(|z| z.pid)
        .collect()
}

/// How long the threads of the busiest processes are watched, after the
/// scans, to name the hot ones (100 Hz ticks: 50 ticks, 2% a tick).
const THREAD_LOOK: Duration = Duration::from_millis(500);

/// The hottest threads of the processes that used most of a CPU between
/// the two scans (at most `model::MAX_HOT_PROCESSES`), each thread's CPU
/// time read twice [`THREAD_LOOK`] apart; and the seconds that took. A
/// process gone or replaced since the scan is left out.
fn hot_threads(
    fs: &ProcFs,
    scans: &Scans,
    ticks_per_sec: u64,
    th: &Thresholds,
) -> (HashMap<i32, Vec<HotThread>>, f64) {
    let Some(before) = scans.before.as_ref() else {
        return (HashMap::new(), 0.0);
    };
    let first: Vec<_> = model::hot_processes(&scans.scan, before, ticks_per_sec, th)
        .into_iter()
        .filter_map(|pid| {
            let p = fs.open(pid).ok()?;
            let row = scans.scan.find(pid)?;
            if p.start_ticks() != row.start_ticks {
                return None;
            }
            let threads = p.thread_details().ok()?;
            Some((pid, p, threads, Instant::now()))
        })
        .collect();
    if first.is_empty() {
        return (HashMap::new(), 0.0);
    }
    std::thread::sleep(THREAD_LOOK);
    let mut secs = THREAD_LOOK.as_secs_f64();
    let hot = first
        .into_iter()
        .filter_map(|(pid, p, was, at)| {
            let now = p.thread_details().ok()?;
            let dt = at.elapsed().as_secs_f64();
            secs = secs.max(dt);
            let hot = crate::analysis::cpu::threads_between(&was, &now, dt, ticks_per_sec);
            Some((pid, hot))
        })
        .collect();
    (hot, secs)
}

/// The limits of the growers (the processes that grew past the absolute
/// minimums: a few), read now: the same
/// ceilings `watch` uses. A process gone or replaced since the scan is
/// left out.
fn grower_ceilings(
    fs: &ProcFs,
    scan: &Scan,
    before: Option<&Scan>,
) -> HashMap<i32, crate::reader::Ceilings> {
    let Some(before) = before else {
        return HashMap::new();
    };
    model::growers(scan, before)
        .into_iter()
        .filter_map(|pid| {
            let p = fs.open(pid).ok()?;
            let row = scan.find(pid)?;
            (p.start_ticks() == row.start_ticks).then(|| (pid, fs.ceilings(&p)))
        })
        .collect()
}
