//! CPU rules: preempted more often than not (naming the busy thread when
//! there is one), one thread using most of a CPU, a process using most of
//! a CPU or more.

use super::super::{Facts, Kind, Severity, Thresholds};
use crate::analysis::ceiling::percent_of;
use crate::analysis::cpu::HotThread;

/// The hottest thread when it uses at least `busy_thread_pct` of a CPU.
fn busy(f: &Facts, th: &Thresholds) -> Option<HotThread> {
    f.cpu
        .as_ref()?
        .hottest
        .first()
        .filter(|t| t.percent >= th.busy_thread_pct)
        .cloned()
}

/// The thread behind the process's CPU use: the busy thread, else the
/// hottest when it does at least half the process's work and uses at
/// least `hot_thread_pct` of a CPU (a spinning thread held back by
/// contention or a CPU quota gets much less than a whole CPU).
fn hottest(f: &Facts, th: &Thresholds) -> Option<HotThread> {
    busy(f, th).or_else(|| {
        let c = f.cpu.as_ref()?;
        c.hottest
            .first()
            .filter(|t| t.percent >= th.hot_thread_pct && t.percent * 2.0 >= c.percent)
            .cloned()
    })
}

/// `cpu.nonvoluntary_switches`: the share of nonvoluntary context
/// switches at or over the threshold, once enough were counted; names
/// the thread behind the process's CPU use when there is one.
pub fn nonvoluntary_switches(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let (voluntary, nonvoluntary) = (f.voluntary_switches?, f.nonvoluntary_switches?);
    let total = voluntary.saturating_add(nonvoluntary);
    let percent = percent_of(nonvoluntary, total)?;
    (total >= th.min_switches && percent >= th.nonvoluntary_pct).then(|| {
        (
            Severity::Warning,
            Kind::NonvoluntarySwitches {
                voluntary,
                nonvoluntary,
                percent,
                hot_thread: hottest(f, th),
            },
        )
    })
}

/// `cpu.busy_thread`: one thread at or over `busy_thread_pct` of a CPU:
/// that thread is the bottleneck (more CPUs do not help it).
pub fn busy_thread(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let thread = busy(f, th)?;
    let c = f.cpu.as_ref()?;
    Some((
        Severity::Warning,
        Kind::BusyThread {
            thread,
            thread_seconds: c.thread_seconds,
            process_percent: c.percent,
            seconds: c.seconds,
            basis: c.basis,
        },
    ))
}

/// `cpu.busy`: the process at or over `busy_pct` of a CPU with no busy
/// thread (that is `cpu.busy_thread`'s): info, as a busy process may be
/// doing its job; a warning when it takes that share of every CPU of the
/// host (known CPUs only).
pub fn busy_process(f: &Facts, th: &Thresholds) -> Option<(Severity, Kind)> {
    let c = f.cpu.as_ref()?;
    if c.percent < th.busy_pct || busy(f, th).is_some() {
        return None;
    }
    let pins_host = c
        .cpus
        .is_some_and(|n| n > 0 && c.percent >= th.busy_pct * n as f64);
    Some((
        if pins_host {
            Severity::Warning
        } else {
            Severity::Info
        },
        Kind::CpuBusy {
            percent: c.percent,
            cpus: c.cpus,
            seconds: c.seconds,
            basis: c.basis,
            hottest: c.hottest.clone(),
        },
    ))
}
