//! Drawing the interactive `top`: the host lines (and the real refresh
//! period when the scans do not keep up), the status line, the table of the
//! visible rows only, and the help panel. Draws the latest snapshot with
//! the user's sort, filter and tree as they are now.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use crate::analysis::incomplete::Incomplete;
use crate::analysis::top::{self as model, RateBasis, SortKey, TopRow};
use crate::reader::Scan;
use crate::render::style::Palette;
use crate::render::top::{cell, command_cell, host_line};

use super::app::{App, Panel, View};
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
        let head_lines = self.head_lines();
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
    fn head_lines(&self) -> Vec<Line<'static>> {
        if let Some(lines) = self.replay_lines() {
            return lines;
        }
        let mut lines: Vec<Line<'static>> = host_line(&self.host, &self.cur, Palette { on: false })
            .into_iter()
            .map(Line::from)
            .collect();
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
            ..
        } = self;
        let (mut rows, basis) = model::rows(cur, prev.as_ref(), *ticks, |u| {
            users.get(u).map(<[u8]>::to_vec)
        });
        if *reveal {
            model::reveal(&mut rows);
        }
        model::set_memory_total(&mut rows, self.host.mem.total);
        rows.retain(|r| Some(r.scan.pid) != *me);
        if !v.filter.is_empty() {
            rows.retain(|r| model::matches(r, &v.filter));
        }
        model::sort(&mut rows, v.sort, v.reverse);
        let (ordered, depth) = super::super::arrange(&rows, v.tree, None);
        v.follow_selection(ordered.iter().map(|r| r.scan.pid).collect());

        let mut line = v.status_line(cur, basis, ordered.len());
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
        v.draw_table(f, table_area, &ordered, &depth, &started);
        match &v.panel {
            Panel::None => {}
            Panel::Help => draw_help(f, body, replaying),
            Panel::Inspect {
                title,
                lines,
                scroll,
            } => draw_inspect(f, body, title, lines, *scroll),
            Panel::Watch(w) => {
                if let Some(p) = panel_area {
                    w.draw(f, p);
                }
            }
            Panel::Columns(c) => c.draw(f, body, &v.columns),
        }
    }
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
        started: &[i32],
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
                } else if started.contains(&r.scan.pid) {
                    // A replay: started at the shown scan.
                    row.style(Style::default().green())
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
    ("F2  C", "choose the columns (saved in the config file)"),
    ("space", "pause / resume refreshing"),
    ("?", "this help"),
    ("q  Ctrl-C", "quit"),
];

fn draw_help(f: &mut Frame<'_>, area: Rect, replay: bool) {
    let r = inset(area, 4, 1);
    f.render_widget(Clear, r);
    let keys = if replay {
        crate::render::replay::KEYS
    } else {
        HELP
    };
    let mut lines: Vec<Line<'_>> = keys
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
