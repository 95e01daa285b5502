//! Input of the interactive `top`: the thread that reads the terminal's
//! events and forwards them to the UI thread, and what each key does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;

use ratatui::crossterm::event::{self, KeyCode, KeyEvent, KeyModifiers};

use crate::analysis::top::SortKey;
use crate::error::ExitCode;

use super::Msg;
use super::app::{App, Panel};
use super::collect::Control;

/// Longest the input thread waits without looking at its stop flag: the
/// UI thread joins it (within this) before restoring the terminal.
const POLL: Duration = Duration::from_millis(50);

/// Start the input thread: terminal events go to the UI thread as
/// `Msg::Input` until `stop` is set or the UI thread hangs up.
pub fn spawn_input(
    to_ui: Sender<Msg>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("top-input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let msg = match event::poll(POLL) {
                    Ok(false) => continue,
                    Ok(true) => match event::read() {
                        Ok(e) => Msg::Input(e),
                        Err(e) => Msg::InputError(e),
                    },
                    Err(e) => Msg::InputError(e),
                };
                let failed = matches!(msg, Msg::InputError(_));
                if to_ui.send(msg).is_err() || failed {
                    return;
                }
            }
        })
}

impl App<'_> {
    /// One key: Some(exit code) when it ends the view.
    pub fn key(&mut self, k: KeyEvent) -> Option<ExitCode> {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Some(ExitCode::Interrupted);
        }
        if self.v.editing_filter {
            self.key_filter(k);
            return None;
        }
        match self.key_panel(k) {
            PanelKey::Quit => return Some(ExitCode::Ok),
            PanelKey::Done => return None,
            PanelKey::ToTable => {}
        }
        if self.key_replay(k) {
            return None;
        }
        self.key_table(k)
    }

    /// A key while the filter is being typed.
    fn key_filter(&mut self, k: KeyEvent) {
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
    }

    /// A key while a panel is open.
    fn key_panel(&mut self, k: KeyEvent) -> PanelKey {
        if matches!(self.v.panel, Panel::Columns(_)) {
            self.key_columns(k);
            return PanelKey::Done;
        }
        match &mut self.v.panel {
            Panel::None => PanelKey::ToTable,
            Panel::Help => {
                if matches!(k.code, KeyCode::Char('q')) {
                    return PanelKey::Quit;
                }
                self.v.panel = Panel::None;
                PanelKey::Done
            }
            Panel::Inspect { scroll, lines, .. } => {
                let max = lines.len().saturating_sub(1) as u16;
                match k.code {
                    KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => *scroll = (*scroll + 1).min(max),
                    KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                    KeyCode::PageDown | KeyCode::Char(' ') => *scroll = (*scroll + 10).min(max),
                    KeyCode::Home => *scroll = 0,
                    KeyCode::Char('q') => return PanelKey::Quit,
                    _ => self.v.panel = Panel::None,
                }
                PanelKey::Done
            }
            Panel::Columns(_) => PanelKey::Done,
            Panel::Watch(_) => match k.code {
                KeyCode::Char('q') => PanelKey::Quit,
                KeyCode::Esc | KeyCode::Char('w') => {
                    self.v.panel = Panel::None;
                    PanelKey::Done
                }
                // Other keys still drive the table under the panel.
                _ => PanelKey::ToTable,
            },
        }
    }

    /// A key for the table (no panel, or under the watch panel).
    fn key_table(&mut self, k: KeyEvent) -> Option<ExitCode> {
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
            KeyCode::Char(' ') => {
                self.v.paused = !self.v.paused;
                // The collector is gone only when the view is ending.
                let _ = self.control.send(Control::Paused(self.v.paused));
            }
            KeyCode::Char('t') => self.v.tree = !self.v.tree,
            KeyCode::Char('r') => self.v.reverse = !self.v.reverse,
            KeyCode::Char('<') | KeyCode::Left => self.cycle_sort(-1),
            KeyCode::Char('>') | KeyCode::Right => self.cycle_sort(1),
            KeyCode::Enter => self.open_inspect(),
            KeyCode::Char('w') => self.open_watch(),
            KeyCode::F(2) | KeyCode::Char('C') => self.open_columns(),
            KeyCode::Char(c) => {
                if let Some(key) = sort_key(c) {
                    self.set_sort(key);
                }
            }
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
        let cols = &self.v.columns;
        if cols.is_empty() {
            return;
        }
        let i = cols.iter().position(|&k| k == self.v.sort).unwrap_or(0) as isize;
        let j = (i + step).rem_euclid(cols.len() as isize) as usize;
        self.v.sort = cols[j];
        self.v.reverse = false;
    }
}

/// What a key did to an open panel.
enum PanelKey {
    /// `q`: end the view.
    Quit,
    /// Handled by the panel.
    Done,
    /// Not the panel's: the table's.
    ToTable,
}

/// The column a sort key sorts by.
fn sort_key(c: char) -> Option<SortKey> {
    Some(match c {
        'p' => SortKey::Pid,
        'u' => SortKey::User,
        'n' => SortKey::Name,
        'c' => SortKey::Cpu,
        'm' => SortKey::Rss,
        'h' => SortKey::Threads,
        'f' => SortKey::Fds,
        '%' => SortKey::Fdpct,
        'x' => SortKey::Csw,
        _ => return None,
    })
}
