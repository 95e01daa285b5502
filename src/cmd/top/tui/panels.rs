//! The panels over the table of the interactive `top`: a process's
//! `inspect` report, and the live watch of one process (RSS, descriptors,
//! threads against their ceilings, with sparklines), sampled on the UI
//! thread at each interval: a few preads of files kept open, far cheaper
//! than a scan.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::analysis::findings::Thresholds;
use crate::analysis::watch::{Metric, Window};
use crate::reader::{Ceilings, Sampler, Wanted};
use crate::render::style::Palette;
use crate::render::top::compact_size;

use super::app::{App, Panel};

pub struct WatchPanel {
    pid: i32,
    name: String,
    sampler: Option<Sampler>,
    ceilings: Ceilings,
    started: Instant,
    /// Samples taken (a metric with none of them is unreadable).
    samples: usize,
    series: Vec<(Metric, Window)>,
    /// The latest sample (the usages a ceiling is measured against).
    last: crate::reader::Sample,
    ended: Option<String>,
}

impl App<'_> {
    /// Open the selected process, checking it is still the one the table
    /// shows (same start time): a reused PID must not show another
    /// process under this row's name.
    fn open_selected(&self, pid: i32) -> Result<crate::reader::Process, crate::error::ReadError> {
        let p = self.fs.open(pid)?;
        match self.cur.find(pid) {
            Some(row) if row.start_ticks != p.start_ticks() => {
                Err(crate::error::ReadError::Exited { pid })
            }
            _ => Ok(p),
        }
    }

    pub fn open_inspect(&mut self) {
        let Some(pid) = self.v.selected else { return };
        let (title, text) = match self.open_selected(pid).and_then(|p| self.fs.snapshot(&p)) {
            Ok(snap) => {
                let mut report = crate::analysis::inspect::build(&snap, &Thresholds::default());
                if self.reveal {
                    report.reveal_secrets(&snap);
                }
                (
                    format!(" inspect {pid} "),
                    crate::render::inspect::render(&report, Palette { on: false }),
                )
            }
            Err(e) => (
                format!(" inspect {pid} "),
                format!("cannot read process {pid}: {e}"),
            ),
        };
        self.v.panel = Panel::Inspect {
            title,
            lines: text.lines().map(str::to_string).collect(),
            scroll: 0,
        };
    }

    pub fn open_watch(&mut self) {
        let Some(pid) = self.v.selected else { return };
        let name = self
            .cur
            .find(pid)
            .map(|r| crate::text::escape_for_terminal(&r.name))
            .unwrap_or_default();
        let wanted = Wanted {
            rss: true,
            fds: true,
            threads: true,
            ..Wanted::default()
        };
        let (sampler, ceilings, ended) = match self.open_selected(pid) {
            Ok(proc) => {
                let c = self.fs.ceilings(&proc);
                match Sampler::new(proc, wanted) {
                    Ok(s) => (Some(s), c, None),
                    Err(e) => (None, c, Some(format!("cannot watch: {e}"))),
                }
            }
            Err(e) => (
                None,
                Ceilings::default(),
                Some(format!("cannot watch: {e}")),
            ),
        };
        let mut w = WatchPanel {
            pid,
            name,
            sampler,
            ceilings,
            started: Instant::now(),
            samples: 0,
            series: [Metric::Rss, Metric::Fds, Metric::Threads]
                .into_iter()
                .map(|m| (m, Window::new(crate::analysis::watch::WINDOW_CAP)))
                .collect(),
            last: crate::reader::Sample::default(),
            ended,
        };
        w.sample();
        self.v.panel = Panel::Watch(Box::new(w));
    }
}

impl WatchPanel {
    /// One refresh: a sample of the process, and the usages its limits
    /// are measured against (a cgroup's pids.current, memory usage).
    pub fn tick(&mut self, fs: &crate::reader::ProcFs) {
        self.sample();
        fs.refresh_usage(&mut self.ceilings);
    }

    pub fn sample(&mut self) {
        let Some(s) = self.sampler.as_mut() else {
            return;
        };
        match s.sample() {
            Ok(Ok(sample)) => {
                self.samples += 1;
                let t = self.started.elapsed().as_secs_f64();
                for (m, w) in &mut self.series {
                    if let Some(v) = crate::analysis::ceiling::value_of(&sample, *m) {
                        w.push(t, v as f64);
                    }
                }
                self.last = sample;
            }
            Ok(Err(_)) => {
                self.ended = Some("the process has ended".into());
                self.sampler = None;
            }
            Err(e) => {
                self.ended = Some(format!("stopped: {e}"));
                self.sampler = None;
            }
        }
    }

    pub fn draw(&self, f: &mut Frame<'_>, area: Rect) {
        f.render_widget(Clear, area);
        let block = Block::default().borders(Borders::ALL).title(format!(
            " watch {} {} · {:.0}s · w or Esc closes ",
            self.pid,
            self.name,
            self.started.elapsed().as_secs_f64()
        ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let spark_w = usize::from(inner.width.saturating_sub(62)).clamp(8, 120);
        let mut lines = Vec::new();
        // Never sampled (a kernel thread, refused): only the reason below.
        let series = if self.sampler.is_none() && self.samples == 0 {
            &self.series[..0]
        } else {
            &self.series[..]
        };
        for (m, w) in series {
            let fmt = |v: f64| {
                if m.is_bytes() {
                    compact_size(v.max(0.0) as u64)
                } else {
                    format!("{}", v.round() as i64)
                }
            };
            let now = w.last().map(fmt).unwrap_or_else(|| "?".into());
            let spark = crate::render::watch::sparkline(&w.tail(spark_w));
            let denied = self.sampler.as_ref().is_some_and(|s| s.denied);
            let j = crate::analysis::watch::judge(*m, w, denied, &self.last, &self.ceilings);
            let limit = j.exhaustion.as_ref().map(|e| e.limit as f64);
            let (rate, text, _) =
                crate::render::watch::live_verdict(*m, Some(&j.verdict), j.exhaustion.as_ref());
            let verdict = if j.verdict.is_undecided() {
                text
            } else {
                format!("{rate} {text}")
            };
            let limit_txt = limit.map(|l| format!(" of {}", fmt(l))).unwrap_or_default();
            lines.push(Line::from(vec![
                Span::raw(format!("{:<8}{:>8}{:<12} ", m.name(), now, limit_txt)),
                Span::raw(spark),
                Span::raw(format!("  {verdict}")),
            ]));
        }
        if let Some(e) = &self.ended {
            lines.push(Line::from(e.clone()).bold());
        } else {
            lines.push(Line::from(format!(
                "for a verdict with time to exhaustion: proctor watch {}",
                self.pid
            )));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// A process's `inspect` report over the table, scrolled by `scroll` lines.
pub fn draw_inspect(f: &mut Frame<'_>, body: Rect, title: &str, lines: &[String], scroll: u16) {
    let r = super::view::inset(body, 2, 0);
    f.render_widget(Clear, r);
    let text: Vec<Line<'_>> = lines.iter().map(|l| Line::from(l.as_str())).collect();
    f.render_widget(
        Paragraph::new(text).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title)
                .title_bottom(" ↑↓ PgUp PgDn scroll · any other key closes "),
        ),
        r,
    );
}
