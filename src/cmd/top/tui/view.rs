//! Drawing the interactive `top`: the host lines (and the real refresh
//! period when the scans do not keep up), the status line, the table of the
//! visible rows only, and the help panel. Draws the latest snapshot with
//! the user's sort, filter and tree as they are now.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use super::signal::Stage;

use crate::analysis::incomplete::Incomplete;
use crate::analysis::top::{self as model, RateBasis, SortKey, TopRow};
use crate::reader::Scan;
use crate::render::style::Palette;
use crate::render::top::{cell, command_cell, host_line, thread_cell};

use super::app::{App, Hits, Panel, View};
use super::panels::draw_inspect;

/// Smallest terminal the table fits in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

impl App<'_> {
    pub fn draw(&mut self, f: &mut Frame<'_>) {
        let area = f.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let msg = format!(
                "Terminal too small ({}x{}): proctor top needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge it, or press q to quit.",
                area.width, area.height
            );
            f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
            return;
        }
        let head_lines = self.head_lines(area);
        // The header's height follows its lines (host values that did not
        // parse add one, a late refresh one).
        let [head, status, body] = Layout::vertical([
            Constraint::Length(u16::try_from(head_lines.len()).unwrap_or(u16::MAX)),
            Constraint::Length(1),
            Constraint::Min(3),
        ])
        .areas(area);
        f.render_widget(Paragraph::new(head_lines), head);
        self.draw_body(f, status, body);
    }

    /// The host lines, then what the table leaves out (hidepid), then the
    /// real refresh period when the scans do not keep up with the interval.
    fn head_lines(&self, area: Rect) -> Vec<Line<'static>> {
        if let Some(lines) = self.replay_lines() {
            return lines;
        }
        let mut host = host_line(&self.host, &self.cur, Palette { on: false });
        // The TUI's third line: tasks by state and uptime (as htop's).
        if let Some(third) = host.get_mut(2) {
            *third = crate::render::top::tasks_line(
                &model::task_states(&self.cur),
                self.cur.uptime_secs,
                third,
            );
        }
        // The CPU lines take what the table leaves: at least 5 rows of it.
        let room = usize::from(area.height)
            .saturating_sub(host.len() + 3 + 1 + 6)
            .max(1);
        let usage = match &self.cpu {
            (Some(a), Some(b)) => model::cpu_use(a, b),
            _ => Vec::new(),
        };
        let cpu = crate::render::top::cpu_lines(&usage, self.cpu_unreadable, area.width, room);
        let at = host.len().min(3);
        host.splice(at..at, cpu);
        let mut lines: Vec<Line<'static>> = host.into_iter().map(Line::from).collect();
        // Other users' processes hidden: the table is not the host's.
        if let Some(c) = &self.hidepid {
            let missing = Incomplete::of_listing(self.cur.unreadable, Some(c.clone()));
            lines.push(
                Line::from(format!(
                    "incomplete: {}",
                    crate::render::incomplete::what(&missing)
                ))
                .bold(),
            );
        }
        if let Some(real) = self.late {
            lines.push(Line::from(crate::render::top::late_refresh(real, self.interval)).bold());
        }
        lines
    }

    /// The status line, the table and the open panel.
    fn draw_body(&mut self, f: &mut Frame<'_>, status: Rect, body: Rect) {
        let started = self.started_pids();
        let replaying = self.replay.is_some();
        let App {
            cur,
            prev,
            users,
            v,
            reveal,
            me,
            ticks,
            threads,
            threads_cut,
            ..
        } = self;
        let mut name = |u: u32| users.get(u).map(<[u8]>::to_vec);
        let (mut rows, basis) = model::rows(cur, prev.as_ref(), *ticks, &mut name);
        // Threads (H): rows of their own, placed under their process.
        let (mut trows, _) = match (&threads.1, v.threads) {
            (Some(t), true) => model::rows(t, threads.0.as_ref(), *ticks, &mut name),
            _ => (Vec::new(), basis),
        };
        if *reveal {
            model::reveal(&mut rows);
            model::reveal(&mut trows);
        }
        model::set_memory_total(&mut rows, self.host.mem.total);
        rows.retain(|r| Some(r.scan.pid) != *me);
        let kernel_hidden = if v.hide_kernel {
            let n = rows.len();
            rows.retain(|r| !r.scan.kernel_thread);
            n - rows.len()
        } else {
            0
        };
        if let Panel::Users { all, chosen, typed } = &mut v.panel {
            let t = typed.to_ascii_lowercase();
            *all = model::users(&rows)
                .into_iter()
                .filter(|u| {
                    u.to_ascii_lowercase()
                        .windows(t.len().max(1))
                        .any(|w| t.is_empty() || w == t.as_bytes())
                })
                .collect();
            *chosen = (*chosen).min(all.len().saturating_sub(1));
        }
        if let Some(u) = &v.user {
            rows.retain(|r| model::of_user(r, u));
        }
        if !v.filter.is_empty() {
            rows.retain(|r| model::matches(r, &v.filter));
        }
        model::sort(&mut rows, v.sort, v.reverse);
        // A process's threads in the same order as the processes (the
        // hottest first when sorted by CPU%).
        model::sort(&mut trows, v.sort, v.reverse);
        let (ordered, depth) = super::super::arrange(&rows, v.tree, None);
        let shown = ordered.len();
        let (shown_rows, depth, is_thread) = with_threads(ordered, depth, &trows);
        v.follow_selection(shown_rows.iter().map(|r| r.scan.pid).collect());
        v.seek_search(&shown_rows);
        let shapes = if v.tree || v.threads {
            model::tree_shape(&depth)
        } else {
            Vec::new()
        };

        let mut line = v.status_line(cur, basis, shown);
        let mut extra = Vec::new();
        if v.threads {
            extra.push(crate::render::top::threads_status(*threads_cut));
        }
        if kernel_hidden > 0 {
            extra.push(crate::render::top::KERNEL_HIDDEN.to_string());
        }
        for e in extra {
            line.spans
                .insert(line.spans.len() - 1, Span::raw(format!(" · {e}")));
        }
        if replaying {
            line.spans.insert(
                line.spans.len() - 1,
                crate::render::replay::status_keys().into(),
            );
        }
        f.render_widget(Paragraph::new(line), status);

        let (table_area, panel_area) = match v.panel {
            Panel::Watch(_) => {
                let [t, p] =
                    Layout::vertical([Constraint::Min(5), Constraint::Length(9)]).areas(body);
                (t, Some(p))
            }
            _ => (body, None),
        };
        let shown = Shown {
            rows: &shown_rows,
            shapes: &shapes,
            is_thread: &is_thread,
            started: &started,
        };
        v.draw_table(f, table_area, &shown);
        v.draw_panel(f, body, panel_area, replaying);
    }
}

/// The rows a frame draws: each process, then its threads (with `H`) one
/// level under it.
fn with_threads<'r, 'a>(
    ordered: Vec<&'r TopRow<'a>>,
    depth: Vec<usize>,
    threads: &'r [TopRow<'a>],
) -> (Vec<&'r TopRow<'a>>, Vec<usize>, Vec<bool>) {
    if threads.is_empty() {
        let n = ordered.len();
        return (ordered, depth, vec![false; n]);
    }
    let mut by_owner: std::collections::HashMap<i32, Vec<&'r TopRow<'a>>> =
        std::collections::HashMap::new();
    for t in threads {
        by_owner.entry(t.scan.ppid).or_default().push(t);
    }
    let mut rows = Vec::with_capacity(ordered.len() + threads.len());
    let mut depths = Vec::with_capacity(rows.capacity());
    let mut is_thread = Vec::with_capacity(rows.capacity());
    for (r, d) in ordered.into_iter().zip(depth) {
        rows.push(r);
        depths.push(d);
        is_thread.push(false);
        for t in by_owner.get(&r.scan.pid).into_iter().flatten() {
            rows.push(t);
            depths.push(d + 1);
            is_thread.push(true);
        }
    }
    (rows, depths, is_thread)
}

/// What the table shows in a frame.
struct Shown<'s, 'r, 'a> {
    rows: &'s [&'r TopRow<'a>],
    shapes: &'s [Vec<bool>],
    is_thread: &'s [bool],
    started: &'s [i32],
}

impl View {
    /// The rows now in `order`: the selection follows its process when the
    /// user has moved it, and stays within the table.
    fn follow_selection(&mut self, order: Vec<i32>) {
        self.order = order;
        // Keep the selected process selected when the order changes.
        if let Some(pid) = self.selected.filter(|_| self.follow) {
            if let Some(i) = self.order.iter().position(|&p| p == pid) {
                self.cursor = i;
            }
        }
        self.cursor = self.cursor.min(self.order.len().saturating_sub(1));
        self.selected = self.order.get(self.cursor).copied();
    }

    /// A search asked for by a key (`/` typing, `n`): the selection jumps
    /// to the first matching row from the selection on (after it for
    /// `n`), wrapping at the end.
    fn seek_search(&mut self, rows: &[&TopRow<'_>]) {
        let Some(next) = self.seek.take() else {
            return;
        };
        if self.search.is_empty() || rows.is_empty() {
            self.search_missed = false;
            return;
        }
        let n = rows.len();
        let from = self.cursor.min(n - 1) + usize::from(next);
        let hit = (0..n)
            .map(|i| (from + i) % n)
            .find(|&i| model::matches(rows[i], &self.search));
        self.search_missed = hit.is_none();
        if let Some(i) = hit {
            self.cursor = i;
            self.selected = self.order.get(i).copied();
            self.follow = true;
        }
    }

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
        if let Some(n) = &self.note {
            spans.push(Span::raw(n.clone()).bold());
            spans.push(Span::raw(" · "));
        }
        if self.editing_filter {
            spans.push(Span::raw(format!("filter: {}▏", self.filter)).reversed());
            spans.push(Span::raw(" (Enter to keep, Esc to clear)"));
        } else if self.searching || !self.search.is_empty() {
            let s = crate::render::top::search_status(
                &self.search,
                self.searching,
                !self.search_missed,
            );
            spans.push(if self.searching {
                Span::raw(s).reversed()
            } else {
                Span::raw(s)
            });
        } else if !self.filter.is_empty() {
            spans.push(Span::raw(format!("filter: {} ({shown} shown)", self.filter)).bold());
        } else {
            spans.push(Span::raw("/ search · \\ filter"));
        }
        if !self.editing_filter
            && !self.filter.is_empty()
            && (self.searching || !self.search.is_empty())
        {
            spans.push(Span::raw(format!(" · filter: {} ({shown} shown)", self.filter)).bold());
        }
        if let Some(u) = &self.user {
            spans.push(Span::raw(format!(" · {}", crate::render::top::user_status(u))).bold());
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

    /// The table's header cell of a column, with the sort arrow.
    fn header_cell(&self, k: SortKey) -> Cell<'static> {
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
    }

    fn draw_table(&mut self, f: &mut Frame<'_>, area: Rect, shown: &Shown<'_, '_, '_>) {
        let ordered = shown.rows;
        // Rows visible below the header line.
        let height = usize::from(area.height.saturating_sub(1)).max(1);
        self.page = height.saturating_sub(1).max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
        self.offset = self.offset.min(ordered.len().saturating_sub(height));
        let cols = columns_for(&self.columns, area.width);
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
        // Where each column is, for the mouse (as the table lays them out).
        let spans = Layout::horizontal(widths.clone()).spacing(1).split(area);
        self.hits = Hits {
            header_y: Some(area.y),
            columns: cols
                .iter()
                .zip(spans.iter())
                .map(|(&(k, _), r)| (r.x, r.x.saturating_add(r.width).saturating_add(1), k))
                .collect(),
            rows: Some((area.y + 1, area.y.saturating_add(area.height))),
        };
        let header = Row::new(cols.iter().map(|&(k, _)| self.header_cell(k)))
            .style(Style::default().add_modifier(Modifier::REVERSED));
        let visible = ordered.iter().enumerate().skip(self.offset).take(height);
        let rows: Vec<Row<'_>> = visible
            .map(|(i, r)| {
                let thread = shown.is_thread.get(i).copied().unwrap_or(false);
                let shape = shown.shapes.get(i).map_or(&[][..], Vec::as_slice);
                let cells = cols.iter().map(|&(k, _)| {
                    let text = match k {
                        SortKey::Cmdline if thread => thread_cell(r, shape, self.utf8),
                        SortKey::Cmdline => command_cell(r, shape, self.utf8),
                        _ => cell(r, k),
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
                } else if shown.started.contains(&r.scan.pid) {
                    // A replay: started at the shown scan.
                    row.style(Style::default().green())
                } else if thread {
                    row.style(Style::default().add_modifier(Modifier::DIM))
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

    /// The open panel over the table (the watch panel under it).
    fn draw_panel(&mut self, f: &mut Frame<'_>, body: Rect, below: Option<Rect>, replay: bool) {
        match &mut self.panel {
            Panel::None => {}
            Panel::Help(scroll) => draw_help(f, body, replay, scroll),
            Panel::Inspect {
                title,
                lines,
                scroll,
            } => draw_inspect(f, body, title, lines, *scroll),
            Panel::Watch(w) => {
                if let Some(p) = below {
                    w.draw(f, p);
                }
            }
            Panel::Signal(d) => {
                let lines = match d.stage {
                    Stage::Pick => crate::render::top::signal_menu(
                        d.pid,
                        &d.name,
                        &super::signal::numbers(),
                        d.chosen,
                    ),
                    Stage::Confirm => {
                        crate::render::top::signal_confirm(d.signal_name(), d.pid, &d.name, None)
                    }
                    Stage::ConfirmAgain(r) => {
                        crate::render::top::signal_confirm(d.signal_name(), d.pid, &d.name, Some(r))
                    }
                };
                let keep = if d.stage == Stage::Pick {
                    d.chosen + 1
                } else {
                    0
                };
                draw_dialog(f, body, " signal ", &lines, keep);
            }
            Panel::Users { all, chosen, typed } => {
                let lines = crate::render::top::user_menu(all, *chosen, typed);
                draw_dialog(f, body, " user ", &lines, *chosen + 1);
            }
            Panel::SortMenu(i) => {
                let lines = crate::render::top::sort_menu(&super::event::SORT_MENU, *i, self.sort);
                draw_dialog(f, body, " sort ", &lines, *i + 1);
            }
            Panel::Columns(c) => c.draw(f, body, &self.columns),
        }
    }
}

/// A small box of lines in the middle of `area`, scrolled so that line
/// `keep` shows.
fn draw_dialog(f: &mut Frame<'_>, area: Rect, title: &str, lines: &[String], keep: usize) {
    let want_w = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 4;
    let w = u16::try_from(want_w).unwrap_or(u16::MAX).min(area.width);
    let h = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let inner = usize::from(h.saturating_sub(2)).max(1);
    let first = keep.saturating_add(1).saturating_sub(inner);
    let text: Vec<Line<'_>> = lines
        .iter()
        .skip(first)
        .take(inner)
        .map(|l| Line::from(l.as_str()))
        .collect();
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(text).block(Block::default().borders(Borders::ALL).title(title)),
        r,
    );
}

/// The chosen columns shown at a terminal width, with their widths. When
/// they do not all fit, the least needed go first (the added ones from the
/// last, then CSW/s, USER, S, THR, FD%) rather than every column being
/// squeezed: a squeezed right-aligned PID would show its last digits only,
/// another process's number.
fn columns_for(chosen: &[SortKey], width: u16) -> Vec<(SortKey, u16)> {
    let mut cols: Vec<(SortKey, u16)> = chosen.iter().map(|&k| (k, column_width(k))).collect();
    let need = |c: &[(SortKey, u16)]| c.iter().map(|&(_, w)| w + 1).sum::<u16>();
    let mut order: Vec<SortKey> = chosen
        .iter()
        .rev()
        .copied()
        .filter(|k| !SortKey::COLUMNS.contains(k))
        .collect();
    order.extend([
        SortKey::Csw,
        SortKey::User,
        SortKey::State,
        SortKey::Threads,
        SortKey::Fdpct,
    ]);
    for drop in order {
        if need(&cols) <= width {
            break;
        }
        cols.retain(|&(k, _)| k != drop);
    }
    cols
}

/// A column's width in the interactive table (the command's is its least).
fn column_width(k: SortKey) -> u16 {
    match k {
        SortKey::Pid => 7,
        SortKey::User => 9,
        SortKey::Name => 15,
        SortKey::State => 6,
        SortKey::Cpu | SortKey::Rss | SortKey::Fds => 6,
        SortKey::Threads | SortKey::Fdpct | SortKey::Mem => 5,
        SortKey::Csw | SortKey::Virt | SortKey::Shr | SortKey::IoRead | SortKey::IoWrite => 7,
        SortKey::Cmdline => 10,
        SortKey::Time => 9,
        SortKey::Nice => 3,
        SortKey::Start => 6,
        SortKey::Tty => 7,
        SortKey::Workload => 24,
    }
}

pub fn inset(r: Rect, dx: u16, dy: u16) -> Rect {
    Rect {
        x: r.x + dx.min(r.width / 4),
        y: r.y + dy.min(r.height / 4),
        width: r.width.saturating_sub(2 * dx.min(r.width / 4)),
        height: r.height.saturating_sub(2 * dy.min(r.height / 4)),
    }
}

/// The help: over the whole body when the terminal is small (it fits
/// the smallest one, scrolled), inset on a larger one.
fn draw_help(f: &mut Frame<'_>, area: Rect, replay: bool, scroll: &mut usize) {
    let r = if area.width >= 80 && area.height >= 30 {
        inset(area, 4, 1)
    } else {
        area
    };
    f.render_widget(Clear, r);
    let keys = if replay {
        crate::render::replay::KEYS
    } else {
        crate::render::top::HELP
    };
    let kw = crate::render::top::HELP_KEY_WIDTH;
    let mut lines: Vec<Line<'_>> = keys
        .iter()
        .map(|(k, d)| Line::from(vec![Span::raw(format!("{k:<kw$}")).bold(), Span::raw(*d)]))
        .collect();
    lines.push(Line::from(""));
    lines.extend(
        crate::render::top::HELP_NOTES
            .iter()
            .map(|l| Line::from(*l)),
    );
    let inner = usize::from(r.height.saturating_sub(2)).max(1);
    let total = lines.len();
    *scroll = (*scroll).min(total.saturating_sub(inner));
    let title = crate::render::top::help_title(*scroll, inner, total);
    let shown: Vec<Line<'_>> = lines.into_iter().skip(*scroll).take(inner).collect();
    f.render_widget(
        Paragraph::new(shown).block(Block::default().borders(Borders::ALL).title(title)),
        r,
    );
}
