//! The interactive `top` (ratatui on crossterm). One refresh per interval:
//! a scan with every process's files kept open (pread, see
//! `reader::scan`), the host numbers, then a redraw of the visible rows
//! only. Keys sort, filter, pause, fold into a tree, open a process's
//! `inspect` report or a live watch of it.
//!
//! The terminal is restored on every way out: `q`, Ctrl-C, SIGTERM, an
//! error, and a panic (ratatui's hook restores before the message).

use std::sync::atomic::Ordering as AtomicOrdering;
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use crate::analysis::findings::Thresholds;
use crate::analysis::top::{self as model, RateBasis, SortKey, TopRow};
use crate::analysis::watch::{Metric, Window, eta, sparkline};
use crate::cli::TopArgs;
use crate::cmd::context::Ctx;
use crate::cmd::context::Output;
use crate::error::{CliError, ExitCode};
use crate::reader::{Ceilings, HostFacts, ProcFs, Sampler, Scan, Scanner, UserNames, Wanted};
use crate::render::style::Palette;
use crate::render::top::{cell, command_cell, compact_size, host_line};

/// Smallest terminal the table fits in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

enum Panel {
    None,
    Help,
    Inspect {
        title: String,
        lines: Vec<String>,
        scroll: u16,
    },
    Watch(Box<WatchPanel>),
}

struct WatchPanel {
    pid: i32,
    name: String,
    sampler: Option<Sampler>,
    ceilings: Ceilings,
    started: Instant,
    /// Samples taken (a metric with none of them is unreadable).
    samples: usize,
    series: Vec<(Metric, Window)>,
    ended: Option<String>,
}

struct App<'c> {
    fs: &'c ProcFs,
    scanner: Scanner,
    cur: Scan,
    prev: Option<Scan>,
    host: HostFacts,
    users: UserNames,
    v: View,
    interval: Duration,
    /// hidepid on the proc root, when it hides processes from proctor.
    hidepid: Option<crate::analysis::incomplete::Cause>,
    /// `--reveal`: command lines shown with their secrets.
    reveal: bool,
    /// proctor's own PID: not one of the processes it ranks (as in doctor).
    me: Option<i32>,
}

/// What the user chose and where the view is: apart from the data so a
/// frame can borrow the scan while moving the view.
struct View {
    sort: SortKey,
    reverse: bool,
    filter: String,
    editing_filter: bool,
    paused: bool,
    tree: bool,
    /// The selected process. Once the user has moved the selection it
    /// follows that process when the order changes (`follow`); before,
    /// and after Home, the selection stays on the top row.
    selected: Option<i32>,
    follow: bool,
    /// Index of the selection in the last drawn order, and the first row shown.
    cursor: usize,
    offset: usize,
    /// PIDs in the last drawn order, for navigation.
    order: Vec<i32>,
    page: usize,
    panel: Panel,
}

pub fn run(ctx: &Ctx, a: &TopArgs, _out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    let interrupted = crate::cmd::context::interrupt_flag();
    let mut scanner = Scanner::new(&ctx.fs, true, 1)?;
    let cur = scanner.scan(&ctx.fs)?;
    crate::cmd::context::check_scan(ctx, &cur)?;
    let mut app = App {
        fs: &ctx.fs,
        scanner,
        cur,
        prev: None,
        host: ctx.fs.host_facts(),
        users: UserNames::default(),
        v: View {
            sort: a.sort,
            reverse: a.reverse,
            filter: a.filter.clone().unwrap_or_default(),
            editing_filter: false,
            paused: false,
            tree: a.tree,
            selected: None,
            follow: false,
            cursor: 0,
            offset: 0,
            order: Vec::new(),
            page: 10,
            panel: Panel::None,
        },
        interval: a.interval,
        hidepid: crate::cmd::context::hidepid_cause(ctx),
        reveal: ctx.reveal,
        me: ctx.fs.own_pid_in_root(),
    };
    let mut terminal = ratatui::try_init().map_err(|e| {
        CliError::new(format!("cannot start the interactive view: {e}"))
            .hint("use `proctor top --once` for a plain table")
    })?;
    let result = app.main_loop(&mut terminal, &interrupted);
    ratatui::restore();
    result.map(|code| Output {
        stdout: String::new(),
        code,
    })
}

impl App<'_> {
    fn main_loop(
        &mut self,
        terminal: &mut ratatui::DefaultTerminal,
        interrupted: &std::sync::atomic::AtomicBool,
    ) -> Result<ExitCode, CliError> {
        let io = |e: std::io::Error| {
            CliError::new(format!("terminal error: {e}"))
                .hint("use `proctor top --once` for a plain table")
        };
        // The interval is at most an hour (cli::bounds): these additions
        // cannot overflow, and are checked all the same.
        let interval = self.interval;
        let later = |t: Instant| t.checked_add(interval).unwrap_or(t);
        let mut next = later(Instant::now());
        // Draw only when something changed: a refresh, a key, a resize.
        let mut dirty = true;
        loop {
            if interrupted.load(AtomicOrdering::Relaxed) {
                return Ok(ExitCode::Interrupted);
            }
            if std::mem::take(&mut dirty) {
                terminal.draw(|f| self.draw(f)).map_err(io)?;
                // Debug builds only: a panic on demand, so the tests can
                // check that the terminal is restored on panic too.
                #[cfg(debug_assertions)]
                if std::env::var_os("PROCTOR_TEST_TUI_PANIC").is_some() {
                    panic!("PROCTOR_TEST_TUI_PANIC is set");
                }
            }
            let wait = next.saturating_duration_since(Instant::now());
            // Wake at least every 250 ms to notice SIGTERM.
            if event::poll(wait.min(Duration::from_millis(250))).map_err(io)? {
                match event::read().map_err(io)? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => {
                        if let Some(code) = self.key(k) {
                            return Ok(code);
                        }
                        dirty = true;
                    }
                    Event::Resize(..) => dirty = true,
                    _ => {}
                }
            }
            if Instant::now() >= next {
                dirty = true;
                self.tick();
                next = later(next);
                if next < Instant::now() {
                    next = later(Instant::now());
                }
            }
        }
    }

    /// One refresh: rescan (unless paused) and sample the watch panel.
    fn tick(&mut self) {
        if !self.v.paused {
            if let Ok(scan) = self.scanner.scan(self.fs) {
                self.prev = Some(std::mem::replace(&mut self.cur, scan));
            }
            self.host = self.fs.host_facts();
        }
        if let Panel::Watch(w) = &mut self.v.panel {
            w.sample();
        }
    }

    fn key(&mut self, k: KeyEvent) -> Option<ExitCode> {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Some(ExitCode::Interrupted);
        }
        if self.v.editing_filter {
            match k.code {
                KeyCode::Enter => self.v.editing_filter = false,
                KeyCode::Esc => {
                    self.v.filter.clear();
                    self.v.editing_filter = false;
                }
                KeyCode::Backspace => {
                    self.v.filter.pop();
                }
                KeyCode::Char(c) if !c.is_control() && self.v.filter.len() < 200 => {
                    self.v.filter.push(c)
                }
                _ => {}
            }
            self.v.cursor = 0;
            self.v.offset = 0;
            return None;
        }
        match &mut self.v.panel {
            Panel::None => {}
            Panel::Help => {
                if matches!(k.code, KeyCode::Char('q')) {
                    return Some(ExitCode::Ok);
                }
                self.v.panel = Panel::None;
                return None;
            }
            Panel::Inspect { scroll, lines, .. } => {
                let max = lines.len().saturating_sub(1) as u16;
                match k.code {
                    KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => *scroll = (*scroll + 1).min(max),
                    KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                    KeyCode::PageDown | KeyCode::Char(' ') => *scroll = (*scroll + 10).min(max),
                    KeyCode::Home => *scroll = 0,
                    KeyCode::Char('q') => return Some(ExitCode::Ok),
                    _ => self.v.panel = Panel::None,
                }
                return None;
            }
            Panel::Watch(_) => match k.code {
                KeyCode::Char('q') => return Some(ExitCode::Ok),
                KeyCode::Esc | KeyCode::Char('w') => {
                    self.v.panel = Panel::None;
                    return None;
                }
                // Other keys still drive the table under the panel.
                _ => {}
            },
        }
        let n = self.v.order.len();
        match k.code {
            KeyCode::Char('q') => return Some(ExitCode::Ok),
            KeyCode::Esc => {
                self.v.filter.clear();
            }
            KeyCode::Char('?') | KeyCode::F(1) => self.v.panel = Panel::Help,
            KeyCode::Up | KeyCode::Char('k') => self.move_to(self.v.cursor.saturating_sub(1)),
            KeyCode::Down | KeyCode::Char('j') => self.move_to(self.v.cursor + 1),
            KeyCode::PageUp => self.move_to(self.v.cursor.saturating_sub(self.v.page)),
            KeyCode::PageDown => self.move_to(self.v.cursor + self.v.page),
            KeyCode::Home | KeyCode::Char('g') => self.move_to(0),
            KeyCode::End | KeyCode::Char('G') => self.move_to(n.saturating_sub(1)),
            KeyCode::Char('/') => self.v.editing_filter = true,
            KeyCode::Char(' ') => self.v.paused = !self.v.paused,
            KeyCode::Char('t') => self.v.tree = !self.v.tree,
            KeyCode::Char('r') => self.v.reverse = !self.v.reverse,
            KeyCode::Char('<') | KeyCode::Left => self.cycle_sort(-1),
            KeyCode::Char('>') | KeyCode::Right => self.cycle_sort(1),
            KeyCode::Char('p') => self.set_sort(SortKey::Pid),
            KeyCode::Char('u') => self.set_sort(SortKey::User),
            KeyCode::Char('n') => self.set_sort(SortKey::Name),
            KeyCode::Char('c') => self.set_sort(SortKey::Cpu),
            KeyCode::Char('m') => self.set_sort(SortKey::Rss),
            KeyCode::Char('h') => self.set_sort(SortKey::Threads),
            KeyCode::Char('f') => self.set_sort(SortKey::Fds),
            KeyCode::Char('%') => self.set_sort(SortKey::Fdpct),
            KeyCode::Char('x') => self.set_sort(SortKey::Csw),
            KeyCode::Enter => self.open_inspect(),
            KeyCode::Char('w') => self.open_watch(),
            _ => {}
        }
        None
    }

    fn move_to(&mut self, i: usize) {
        let n = self.v.order.len();
        if n == 0 {
            return;
        }
        self.v.cursor = i.min(n - 1);
        self.v.selected = self.v.order.get(self.v.cursor).copied();
        self.v.follow = self.v.cursor > 0;
    }

    fn set_sort(&mut self, k: SortKey) {
        if self.v.sort == k {
            self.v.reverse = !self.v.reverse;
        } else {
            self.v.sort = k;
            self.v.reverse = false;
        }
    }

    fn cycle_sort(&mut self, step: isize) {
        let cols = SortKey::COLUMNS;
        let i = cols.iter().position(|&k| k == self.v.sort).unwrap_or(0) as isize;
        let j = (i + step).rem_euclid(cols.len() as isize) as usize;
        self.v.sort = cols[j];
        self.v.reverse = false;
    }

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

    fn open_inspect(&mut self) {
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

    fn open_watch(&mut self) {
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
            ended,
        };
        w.sample();
        self.v.panel = Panel::Watch(Box::new(w));
    }

    fn draw(&mut self, f: &mut Frame<'_>) {
        let area = f.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let msg = format!(
                "Terminal too small ({}x{}): proctor top needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge it, or press q to quit.",
                area.width, area.height
            );
            f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
            return;
        }
        let mut head_lines: Vec<Line<'_>> = host_line(&self.host, &self.cur, Palette { on: false })
            .into_iter()
            .map(Line::from)
            .collect();
        // Other users' processes hidden: the table is not the host's.
        if let Some(c) = &self.hidepid {
            let missing = crate::analysis::incomplete::Incomplete::of_listing(
                self.cur.unreadable,
                Some(c.clone()),
            );
            head_lines.push(Line::from(format!("incomplete: {}", missing.what())).bold());
        }
        // The header's height follows its lines (host values that did not
        // parse add one).
        let [head, status, body] = Layout::vertical([
            Constraint::Length(u16::try_from(head_lines.len()).unwrap_or(u16::MAX)),
            Constraint::Length(1),
            Constraint::Min(3),
        ])
        .areas(area);
        f.render_widget(Paragraph::new(head_lines), head);

        let App {
            cur,
            prev,
            users,
            v,
            reveal,
            me,
            ..
        } = self;
        let (mut rows, basis) =
            model::rows(cur, prev.as_ref(), crate::reader::clock_ticks(), |u| {
                users.get(u).map(<[u8]>::to_vec)
            });
        if *reveal {
            model::reveal(&mut rows);
        }
        rows.retain(|r| Some(r.scan.pid) != *me);
        if !v.filter.is_empty() {
            rows.retain(|r| model::matches(r, &v.filter));
        }
        model::sort(&mut rows, v.sort, v.reverse);
        let (ordered, depth) = super::arrange(&rows, v.tree, None);
        v.order = ordered.iter().map(|r| r.scan.pid).collect();
        // Keep the selected process selected when the order changes.
        if let Some(pid) = v.selected.filter(|_| v.follow) {
            if let Some(i) = v.order.iter().position(|&p| p == pid) {
                v.cursor = i;
            }
        }
        v.cursor = v.cursor.min(v.order.len().saturating_sub(1));
        v.selected = v.order.get(v.cursor).copied();

        f.render_widget(
            Paragraph::new(v.status_line(cur, basis, ordered.len())),
            status,
        );

        let (table_area, panel_area) = match v.panel {
            Panel::Watch(_) => {
                let [t, p] =
                    Layout::vertical([Constraint::Min(5), Constraint::Length(9)]).areas(body);
                (t, Some(p))
            }
            _ => (body, None),
        };
        v.draw_table(f, table_area, &ordered, &depth);
        match &v.panel {
            Panel::None => {}
            Panel::Help => draw_help(f, body),
            Panel::Inspect {
                title,
                lines,
                scroll,
            } => {
                let r = inset(body, 2, 0);
                f.render_widget(Clear, r);
                let text: Vec<Line<'_>> = lines.iter().map(|l| Line::from(l.as_str())).collect();
                f.render_widget(
                    Paragraph::new(text).scroll((*scroll, 0)).block(
                        Block::default()
                            .borders(Borders::ALL)
                            .title(title.as_str())
                            .title_bottom(" ↑↓ PgUp PgDn scroll · any other key closes "),
                    ),
                    r,
                );
            }
            Panel::Watch(w) => {
                if let Some(p) = panel_area {
                    w.draw(f, p);
                }
            }
        }
    }
}

impl View {
    /// The sort direction as shown: ▼ largest (or last) first.
    fn arrow(&self) -> char {
        if self.sort.descending_by_default() != self.reverse {
            '▼'
        } else {
            '▲'
        }
    }

    fn status_line(&self, cur: &Scan, basis: RateBasis, shown: usize) -> Line<'static> {
        let arrow = self.arrow();
        let mut spans = vec![
            Span::raw(format!("sort {} {arrow}", self.sort.header())),
            Span::raw(" · "),
        ];
        if self.editing_filter {
            spans.push(Span::raw(format!("filter: {}▏", self.filter)).reversed());
            spans.push(Span::raw(" (Enter to keep, Esc to clear)"));
        } else if !self.filter.is_empty() {
            spans.push(Span::raw(format!("filter: {} ({shown} shown)", self.filter)).bold());
        } else {
            spans.push(Span::raw("/ filter"));
        }
        if self.tree {
            spans.push(Span::raw(" · tree"));
        }
        if self.paused {
            spans.push(Span::raw(" · PAUSED (space)").bold());
        }
        spans.push(Span::raw(format!(
            " · {}",
            crate::render::top::basis_text(basis)
        )));
        if cur.exited > 0 {
            spans.push(Span::raw(format!(" · {} exited mid-scan", cur.exited)));
        }
        let denied = cur.permission_denied();
        if denied > 0 {
            spans.push(Span::raw(format!(" · {denied} partly unreadable (?)")));
        }
        spans.push(Span::raw(" · ? help"));
        Line::from(spans)
    }

    fn draw_table(
        &mut self,
        f: &mut Frame<'_>,
        area: Rect,
        ordered: &[&TopRow<'_>],
        depth: &[usize],
    ) {
        // Rows visible below the header line.
        let height = usize::from(area.height.saturating_sub(1)).max(1);
        self.page = height.saturating_sub(1).max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
        self.offset = self.offset.min(ordered.len().saturating_sub(height));
        let cols = columns_for(area.width);
        let widths: Vec<Constraint> = cols
            .iter()
            .map(|&(k, w)| {
                if k == SortKey::Cmdline {
                    Constraint::Min(w)
                } else {
                    Constraint::Length(w)
                }
            })
            .collect();
        let header = Row::new(cols.iter().map(|&(k, _)| {
            let mut h = k.header().to_string();
            let right = crate::render::top::align(k) == crate::render::table::Align::Right;
            if k == self.sort {
                let a = self.arrow();
                h = if right {
                    format!("{a}{h}")
                } else {
                    format!("{h}{a}")
                };
            }
            let c = if right {
                Cell::from(Line::from(h).right_aligned())
            } else {
                Cell::from(h)
            };
            if k == self.sort {
                c.style(Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED))
            } else {
                c
            }
        }))
        .style(Style::default().add_modifier(Modifier::REVERSED));
        let visible = ordered.iter().enumerate().skip(self.offset).take(height);
        let rows: Vec<Row<'_>> = visible
            .map(|(i, r)| {
                let cells = cols.iter().map(|&(k, _)| {
                    let text = if k == SortKey::Cmdline {
                        command_cell(r, depth.get(i).copied().unwrap_or(0))
                    } else {
                        cell(r, k)
                    };
                    if crate::render::top::align(k) == crate::render::table::Align::Right {
                        Cell::from(Line::from(text).right_aligned())
                    } else {
                        Cell::from(text)
                    }
                });
                let row = Row::new(cells);
                if i == self.cursor {
                    row.style(Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD))
                } else if r.fd_percent.is_some_and(|p| p >= 80.0) || r.scan.state == b'Z' {
                    row.style(Style::default().yellow())
                } else {
                    row
                }
            })
            .collect();
        f.render_widget(
            Table::new(rows, widths).header(header).column_spacing(1),
            area,
        );
    }
}

impl WatchPanel {
    fn sample(&mut self) {
        let Some(s) = self.sampler.as_mut() else {
            return;
        };
        match s.sample() {
            Ok(Ok(sample)) => {
                self.samples += 1;
                let t = self.started.elapsed().as_secs_f64();
                for (m, w) in &mut self.series {
                    let v = match m {
                        Metric::Rss => sample.rss,
                        Metric::Fds => sample.fds,
                        Metric::Threads => sample.threads,
                        _ => None,
                    };
                    if let Some(v) = v {
                        w.push(t, v as f64);
                    }
                }
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

    fn draw(&self, f: &mut Frame<'_>, area: Rect) {
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
            let spark = sparkline(&w.tail(spark_w));
            let limit = match m {
                Metric::Rss => self.ceilings.memory,
                Metric::Fds => self.ceilings.fds,
                Metric::Threads => self.ceilings.threads,
                _ => None,
            }
            .map(|v| v as f64);
            let verdict = if w.is_empty() && self.samples > 0 {
                "not readable (permission denied or not there)".to_string()
            } else if w.len() < crate::analysis::leak::MIN_SAMPLES {
                format!(
                    "undecided ({} of {} samples)",
                    w.len(),
                    crate::analysis::leak::MIN_SAMPLES
                )
            } else {
                let j = w.judge(&m.spec());
                if j.leaking {
                    let e = w
                        .last()
                        .and_then(|cur| eta(cur, limit, j.slope_per_s))
                        .map(|e| format!(", limit in {}", crate::render::units::duration(e)))
                        .unwrap_or_default();
                    format!("GROWING {}/s{e}", fmt(j.slope_per_s))
                } else {
                    "stable".to_string()
                }
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

/// The columns shown at a terminal width, with their widths. When the
/// full set does not fit, the least needed go first (CSW/s, USER, S, THR,
/// FD%) rather than every column being squeezed: a squeezed right-aligned
/// PID would show its last digits only, another process's number.
fn columns_for(width: u16) -> Vec<(SortKey, u16)> {
    let mut cols = vec![
        (SortKey::Pid, 7),
        (SortKey::User, 9),
        (SortKey::Name, 15),
        (SortKey::State, 6),
        (SortKey::Cpu, 6),
        (SortKey::Rss, 6),
        (SortKey::Threads, 5),
        (SortKey::Fds, 6),
        (SortKey::Fdpct, 5),
        (SortKey::Csw, 7),
        (SortKey::Cmdline, 10),
    ];
    let need = |c: &[(SortKey, u16)]| c.iter().map(|&(_, w)| w + 1).sum::<u16>();
    for drop in [
        SortKey::Csw,
        SortKey::User,
        SortKey::State,
        SortKey::Threads,
        SortKey::Fdpct,
    ] {
        if need(&cols) <= width {
            break;
        }
        cols.retain(|&(k, _)| k != drop);
    }
    cols
}

fn inset(r: Rect, dx: u16, dy: u16) -> Rect {
    Rect {
        x: r.x + dx.min(r.width / 4),
        y: r.y + dy.min(r.height / 4),
        width: r.width.saturating_sub(2 * dx.min(r.width / 4)),
        height: r.height.saturating_sub(2 * dy.min(r.height / 4)),
    }
}

const HELP: &[(&str, &str)] = &[
    ("↑ ↓ j k PgUp PgDn g G", "move the selection"),
    ("Enter", "inspect the selected process (full report)"),
    (
        "w",
        "watch the selected process: RSS, fds, threads with sparklines",
    ),
    ("< >  ← →", "sort by the previous / next column"),
    (
        "p u n c m h f % x",
        "sort by PID, USER, NAME, CPU%, RSS, THR, FDS, FD%, CSW/s",
    ),
    ("r", "reverse the order (or press a sort key again)"),
    (
        "/",
        "filter by name, command line, user or PID (Esc clears)",
    ),
    ("t", "tree view: children under their parent"),
    ("space", "pause / resume refreshing"),
    ("?", "this help"),
    ("q  Ctrl-C", "quit"),
];

fn draw_help(f: &mut Frame<'_>, area: Rect) {
    let r = inset(area, 4, 1);
    f.render_widget(Clear, r);
    let mut lines: Vec<Line<'_>> = HELP
        .iter()
        .map(|(k, d)| Line::from(vec![Span::raw(format!("{k:<24}")).bold(), Span::raw(*d)]))
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(
        "Columns: CPU% of one core; RSS resident memory; THR threads; FDS open descriptors;",
    ));
    lines.push(Line::from(
        "FD% descriptors against the soft RLIMIT_NOFILE; CSW/s context switches of the main thread.",
    ));
    lines.push(Line::from(
        "? = unreadable (permission), - = does not apply (kernel thread, zombie).",
    ));
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" proctor top: keys · any key closes "),
        ),
        r,
    );
}
