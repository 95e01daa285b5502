//! `report --plot FILE [--metric M]`: which series to draw, and drawing
//! them (`render::plot`). By default the window's leaks (else its rising
//! series) of the worst one's metric, each with its trend and limit; with
//! `--metric`, that series of the selected processes (`--pid`), or of the
//! top consumers of it in the window.

use std::path::Path;

use crate::analysis::leak::Metric;
use crate::analysis::report::{Leak, PlotMetric, Subject};
use crate::error::CliError;
use crate::render::plot::{Plot, PlotSeries, process_points, workload_points};
use crate::store::{History, ProcMetric, ProcessHistory, WorkloadHistory, WorkloadMetric};

use super::Loaded;

/// Series on one plot at most.
const MAX_SERIES: usize = 8;
/// Consumers drawn for a `--metric` without `--pid`.
const TOP: usize = 5;

fn clock_ticks(h: &History) -> u64 {
    h.runs.last().map_or(100, |r| r.info.clock_ticks.max(1))
}

/// The recorded series a leak was judged on.
fn metric_of(m: Metric) -> Option<PlotMetric> {
    Some(match m {
        Metric::Rss => PlotMetric::Process(ProcMetric::Rss),
        Metric::Fds => PlotMetric::Process(ProcMetric::Fds),
        Metric::Threads => PlotMetric::Process(ProcMetric::Threads),
        Metric::WorkingSet => PlotMetric::Workload(WorkloadMetric::WorkingSet),
        Metric::Tasks => PlotMetric::Workload(WorkloadMetric::Pids),
        _ => return None,
    })
}

fn process_of(h: &History, pid: i32, first_ms: i64) -> Option<&ProcessHistory> {
    h.processes.iter().find(|p| {
        p.pid == pid
            && h.scans
                .get(p.first as usize)
                .is_some_and(|s| s.t_ms == first_ms)
    })
}

fn workload_of<'h>(h: &'h History, name: &str, cgroup: &str) -> Option<&'h WorkloadHistory> {
    h.workloads
        .iter()
        .find(|w| w.key.name == name && w.key.cgroup == cgroup)
}

/// A line of slope `rate` (per second) through the points' centre: the
/// detector's rate drawn over the series.
fn trend(points: &[(i64, f64)], rate: f64) -> Option<((i64, f64), (i64, f64))> {
    let (first, last) = (points.first()?, points.last()?);
    if !rate.is_finite() || rate == 0.0 {
        return None;
    }
    let n = points.len() as f64;
    let tm = points.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let vm = points.iter().map(|p| p.1).sum::<f64>() / n;
    let at = |t: i64| vm + rate * (t as f64 - tm) / 1000.0;
    Some(((first.0, at(first.0)), (last.0, at(last.0))))
}

fn series_of(h: &History, m: PlotMetric, l: &Leak) -> Option<PlotSeries> {
    let (label, points) = match (&l.subject, m) {
        (Subject::Process(id), PlotMetric::Process(pm)) => {
            let p = process_of(h, id.pid, id.first_ms)?;
            (
                crate::render::report::plot_label_process(p.pid, &p.comm),
                process_points(p, &h.scans, pm, clock_ticks(h)),
            )
        }
        (Subject::Workload(id), PlotMetric::Workload(wm)) => {
            let w = workload_of(h, &id.name, &id.cgroup)?;
            (
                crate::render::plot::label(w.key.name.as_bytes()),
                workload_points(w, &h.scans, wm),
            )
        }
        _ => return None,
    };
    let mut s = PlotSeries::new(label, points);
    s.trend = trend(&s.points, l.rate());
    s.limit = l.exhaustion.as_ref().map(|e| e.limit as f64);
    Some(s)
}

/// The leaks (else the rising series) of the worst one's metric.
fn leaking(l: &Loaded) -> Option<(PlotMetric, Vec<PlotSeries>)> {
    let r = &l.report;
    let listed: Vec<&Leak> = if r.leaks.iter().any(|x| x.verdict.is_leak()) {
        r.leaks.iter().filter(|x| x.verdict.is_leak()).collect()
    } else {
        r.rising.iter().collect()
    };
    let first = listed.iter().find_map(|x| metric_of(x.metric))?;
    let series: Vec<PlotSeries> = listed
        .iter()
        .filter(|x| metric_of(x.metric) == Some(first))
        .filter_map(|x| series_of(&l.history, first, x))
        .take(MAX_SERIES)
        .collect();
    Some((first, series))
}

/// The judged leak (or rise) of a series, if the report has one.
fn judged<'r>(
    l: &'r Loaded,
    m: PlotMetric,
    pid: Option<(i32, i64)>,
    wl: Option<&str>,
) -> Option<&'r Leak> {
    l.report
        .leaks
        .iter()
        .chain(l.report.rising.iter())
        .filter(|x| metric_of(x.metric) == Some(m))
        .find(|x| match (&x.subject, pid, wl) {
            (Subject::Process(id), Some((p, t)), _) => id.pid == p && id.first_ms == t,
            (Subject::Workload(id), _, Some(name)) => id.name == name,
            _ => false,
        })
}

/// `--metric`: the selected processes' (or workloads') series, else the
/// top consumers by their highest value in the window; a series the
/// report judged leaking or rising gets its trend and limit, descriptors
/// their recorded soft limit.
fn chosen(l: &Loaded, m: PlotMetric) -> Vec<PlotSeries> {
    let h = &l.history;
    let peak = |pts: &[(i64, f64)]| pts.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let mut all: Vec<PlotSeries> = match m {
        PlotMetric::Process(pm) => h
            .processes
            .iter()
            .map(|p| {
                let mut s = PlotSeries::new(
                    crate::render::report::plot_label_process(p.pid, &p.comm),
                    process_points(p, &h.scans, pm, clock_ticks(h)),
                );
                let first_ms = h.scans.get(p.first as usize).map_or(0, |s| s.t_ms);
                if let Some(j) = judged(l, m, Some((p.pid, first_ms)), None) {
                    s.trend = trend(&s.points, j.rate());
                    s.limit = j.exhaustion.as_ref().map(|e| e.limit as f64);
                } else if pm == ProcMetric::Fds {
                    s.limit = p
                        .series(ProcMetric::FdLimit)
                        .at(p.last)
                        .flatten()
                        .map(|v| v as f64);
                }
                s
            })
            .collect(),
        PlotMetric::Workload(wm) => h
            .workloads
            .iter()
            .map(|w| {
                let mut s = PlotSeries::new(
                    crate::render::plot::label(w.key.name.as_bytes()),
                    workload_points(w, &h.scans, wm),
                );
                if let Some(j) = judged(l, m, None, Some(&w.key.name)) {
                    s.trend = trend(&s.points, j.rate());
                    s.limit = j.exhaustion.as_ref().map(|e| e.limit as f64);
                }
                s
            })
            .collect(),
    };
    all.retain(|s| !s.points.is_empty());
    all.sort_by(|a, b| peak(&b.points).total_cmp(&peak(&a.points)));
    all.truncate(TOP);
    all
}

pub fn draw(l: &Loaded, metric: Option<PlotMetric>, path: &Path) -> Result<(), CliError> {
    let (m, series) = match metric {
        Some(m) => (m, chosen(l, m)),
        None => leaking(l).ok_or_else(crate::render::report::nothing_to_plot)?,
    };
    let (what, unit) = crate::render::report::plot_metric(&m);
    let (since, until) = (
        l.history.scans.first().map_or(0, |s| s.t_ms),
        l.history.scans.last().map_or(0, |s| s.t_ms),
    );
    let n = series.len();
    let plot = Plot {
        title: crate::render::report::plot_title(what, since, until),
        y_label: unit.to_string(),
        series,
    };
    crate::render::plot::draw(&plot, path).map_err(|e| e.to_cli())?;
    eprintln!("{}", crate::render::report::plotted(path, n));
    Ok(())
}
