//! The column chooser of the interactive `top` (htop's F2 "Setup"): every
//! column with a check box, the shown ones first in their order. Space
//! shows or hides the selected column, `[` and `]` move it left or right;
//! each change applies at once, tells the collector what to read, and is
//! saved to the config file (`cmd::top::config`, unless `--no-config`).
//! Esc, Enter, F2 or `C` close it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use crate::analysis::top::SortKey;
use crate::render::top as words;

use super::app::{App, Panel};
use super::collect::Control;

/// The chooser's state: the selected line, and what the last save said.
pub struct Chooser {
    pub cursor: usize,
    pub note: Option<String>,
}

/// The chooser's lines: the shown columns in their order, then the others
/// in their usual order, each with whether it is shown.
fn lines(shown: &[SortKey]) -> Vec<(SortKey, bool)> {
    let mut v: Vec<(SortKey, bool)> = shown.iter().map(|&k| (k, true)).collect();
    v.extend(
        SortKey::ALL
            .iter()
            .filter(|k| !shown.contains(k))
            .map(|&k| (k, false)),
    );
    v
}

impl App<'_> {
    pub(super) fn open_columns(&mut self) {
        self.v.panel = Panel::Columns(Chooser {
            cursor: 0,
            note: None,
        });
    }

    /// A key while the chooser is open.
    pub(super) fn key_columns(&mut self, k: KeyEvent) {
        let Panel::Columns(c) = &self.v.panel else {
            return;
        };
        let all = lines(&self.v.columns);
        let n = all.len();
        let mut cursor = c.cursor.min(n.saturating_sub(1));
        let mut shown = self.v.columns.clone();
        let key = all.get(cursor).map(|&(k, _)| k);
        match k.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::F(2) | KeyCode::Char('C' | 'q') => {
                self.v.panel = Panel::None;
                return;
            }
            KeyCode::Up | KeyCode::Char('k') => cursor = cursor.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => cursor = (cursor + 1).min(n.saturating_sub(1)),
            KeyCode::Home => cursor = 0,
            KeyCode::End => cursor = n.saturating_sub(1),
            KeyCode::Char(' ') => match key {
                // At least one column stays.
                Some(k) if shown.contains(&k) && shown.len() > 1 => shown.retain(|&c| c != k),
                Some(k) if !shown.contains(&k) => {
                    // Before the command when it is last (it takes the
                    // rest of the line), else at the end; the selection
                    // follows the column.
                    let at = match shown.last() {
                        Some(&SortKey::Cmdline) => shown.len() - 1,
                        _ => shown.len(),
                    };
                    shown.insert(at, k);
                    cursor = at;
                }
                _ => {}
            },
            KeyCode::Char('[') | KeyCode::Char(']') => {
                if let Some(i) = key.and_then(|k| shown.iter().position(|&c| c == k)) {
                    let j = if k.code == KeyCode::Char('[') {
                        i.checked_sub(1)
                    } else {
                        Some(i + 1).filter(|&j| j < shown.len())
                    };
                    if let Some(j) = j {
                        shown.swap(i, j);
                        cursor = j;
                    }
                }
            }
            _ => {}
        }
        let note = if shown == self.v.columns {
            None
        } else {
            self.v.columns = shown;
            let _ = self
                .control
                .send(Control::Reads(crate::cmd::top::reads(&self.v.columns)));
            Some(self.save_columns())
        };
        if let Panel::Columns(c) = &mut self.v.panel {
            c.cursor = cursor;
            if note.is_some() {
                c.note = note;
            }
        }
    }

    /// Save the columns to the config file: what to tell the user.
    fn save_columns(&self) -> String {
        match &self.v.config {
            None => words::chooser_not_saved(),
            Some(p) => match crate::cmd::top::config::save(p, &self.v.columns) {
                Ok(()) => words::chooser_saved(p),
                Err(e) => words::chooser_save_failed(p, &e),
            },
        }
    }
}

impl Chooser {
    pub fn draw(&self, f: &mut Frame<'_>, area: Rect, shown: &[SortKey]) {
        let r = super::view::inset(area, 4, 1);
        f.render_widget(Clear, r);
        let all = lines(shown);
        let mut text: Vec<Line<'_>> =
            vec![Line::from(words::chooser_keys()).bold(), Line::from("")];
        // Scroll so that the selected line is visible.
        let room = usize::from(r.height.saturating_sub(5)).max(1);
        let first = self.cursor.saturating_sub(room - 1);
        for (i, &(k, on)) in all.iter().enumerate().skip(first).take(room) {
            let line = Line::from(words::chooser_line(k, on));
            text.push(if i == self.cursor {
                line.reversed()
            } else {
                line
            });
        }
        if let Some(n) = &self.note {
            text.push(Line::from(n.clone()));
        }
        f.render_widget(
            Paragraph::new(text).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(words::chooser_title()),
            ),
            r,
        );
    }
}
