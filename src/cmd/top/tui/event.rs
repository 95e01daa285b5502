//! Input of the interactive `top`: the thread that reads the terminal's
//! events and forwards them to the UI thread, and what each key does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;

use ratatui::crossterm::event::{
    self, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use crate::analysis::top::SortKey;
use crate::error::ExitCode;

use super::Msg;
use super::app::{App, Panel};
use super::collect::Control;
use super::signal::{self, Dialog, Stage};
use crate::render::top::SignalOutcome;

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
        // A signal's outcome stays on the status line until the next key.
        self.v.note = None;
        if self.v.editing_filter {
            self.key_filter(k);
            return None;
        }
        if self.v.searching {
            self.key_search(k);
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

    /// A key while a search is being typed: each change jumps to the first
    /// match from the selection on (the next frame finds it).
    fn key_search(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Enter => self.v.searching = false,
            KeyCode::Esc => {
                self.v.searching = false;
                self.v.search.clear();
            }
            KeyCode::Backspace => {
                self.v.search.pop();
                self.v.seek = Some(false);
            }
            KeyCode::Char(c) if !c.is_control() && self.v.search.len() < 200 => {
                self.v.search.push(c);
                self.v.seek = Some(false);
            }
            KeyCode::F(3) => self.v.seek = Some(true),
            _ => {}
        }
    }

    /// A key while a panel is open.
    fn key_panel(&mut self, k: KeyEvent) -> PanelKey {
        if matches!(self.v.panel, Panel::Columns(_)) {
            self.key_columns(k);
            return PanelKey::Done;
        }
        match &mut self.v.panel {
            Panel::None => PanelKey::ToTable,
            Panel::Help(scroll) => {
                match k.code {
                    KeyCode::Char('q') | KeyCode::F(10) => return PanelKey::Quit,
                    KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => *scroll += 1,
                    KeyCode::PageUp => *scroll = scroll.saturating_sub(5),
                    KeyCode::PageDown | KeyCode::Char(' ') => *scroll += 5,
                    KeyCode::Home => *scroll = 0,
                    _ => self.v.panel = Panel::None,
                }
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
            Panel::Signal(_) => {
                self.key_signal(k);
                PanelKey::Done
            }
            Panel::Users { .. } => {
                self.key_users(k);
                PanelKey::Done
            }
            Panel::SortMenu(i) => {
                let n = SORT_MENU.len();
                match k.code {
                    KeyCode::Up | KeyCode::Char('k') => *i = (*i + n - 1) % n,
                    KeyCode::Down | KeyCode::Char('j') => *i = (*i + 1) % n,
                    KeyCode::Enter => {
                        let key = SORT_MENU[*i % n];
                        self.v.panel = Panel::None;
                        self.v.sort = key;
                        self.v.reverse = false;
                    }
                    _ => self.v.panel = Panel::None,
                }
                PanelKey::Done
            }
        }
    }

    /// A key in the signal dialog.
    fn key_signal(&mut self, k: KeyEvent) {
        let Panel::Signal(d) = &mut self.v.panel else {
            return;
        };
        let n = signal::SIGNALS.len();
        match (d.stage, k.code) {
            (_, KeyCode::Esc) | (Stage::Confirm | Stage::ConfirmAgain(_), KeyCode::Char('n')) => {
                let line = crate::render::top::signal_status(
                    d.signal_name(),
                    d.pid,
                    &d.name,
                    &SignalOutcome::Cancelled,
                );
                self.v.panel = Panel::None;
                self.v.note = Some(line);
            }
            (Stage::Pick, KeyCode::Up | KeyCode::Char('k')) => d.chosen = (d.chosen + n - 1) % n,
            (Stage::Pick, KeyCode::Down | KeyCode::Char('j')) => d.chosen = (d.chosen + 1) % n,
            (Stage::Pick, KeyCode::Char(c)) if c.is_ascii_digit() => d.digit(c),
            (Stage::Pick, KeyCode::Enter) => d.stage = Stage::Confirm,
            (Stage::Confirm, KeyCode::Char('y')) => match d.risk {
                Some(r) => d.stage = Stage::ConfirmAgain(r),
                None => self.send_signal(),
            },
            (Stage::ConfirmAgain(_), KeyCode::Char('y')) => self.send_signal(),
            _ => {}
        }
    }

    /// The confirmed signal, sent; its outcome on the status line.
    fn send_signal(&mut self) {
        let Panel::Signal(d) = std::mem::replace(&mut self.v.panel, Panel::None) else {
            return;
        };
        let outcome = if self.can_signal && self.replay.is_none() {
            signal::send(self.fs, d.pid, d.start_ticks, signal::SIGNALS[d.chosen])
        } else {
            SignalOutcome::NotLive
        };
        self.v.note = Some(crate::render::top::signal_status(
            d.signal_name(),
            d.pid,
            &d.name,
            &outcome,
        ));
    }

    /// A key in the user picker: type to narrow, arrows to choose.
    fn key_users(&mut self, k: KeyEvent) {
        let Panel::Users { all, chosen, typed } = &mut self.v.panel else {
            return;
        };
        match k.code {
            KeyCode::Esc => self.v.panel = Panel::None,
            KeyCode::Up => *chosen = chosen.saturating_sub(1),
            KeyCode::Down => *chosen = (*chosen + 1).min(all.len().saturating_sub(1)),
            KeyCode::Backspace => {
                typed.pop();
                *chosen = 0;
            }
            KeyCode::Char(c) if !c.is_control() && typed.len() < 64 => {
                typed.push(c);
                *chosen = 0;
            }
            KeyCode::Enter => {
                let pick = all.get(*chosen).cloned();
                self.v.panel = Panel::None;
                if pick.is_some() {
                    self.v.user = pick;
                    self.v.cursor = 0;
                    self.v.offset = 0;
                }
            }
            _ => {}
        }
    }

    /// A key for the table (no panel, or under the watch panel).
    fn key_table(&mut self, k: KeyEvent) -> Option<ExitCode> {
        let n = self.v.order.len();
        match k.code {
            KeyCode::Char('q') | KeyCode::F(10) => return Some(ExitCode::Ok),
            KeyCode::Esc => {
                self.v.filter.clear();
                self.v.user = None;
                self.v.search.clear();
            }
            KeyCode::Char('?' | 'h') | KeyCode::F(1) => self.v.panel = Panel::Help(0),
            KeyCode::Up => self.move_to(self.v.cursor.saturating_sub(1)),
            KeyCode::Down | KeyCode::Char('j') => self.move_to(self.v.cursor + 1),
            KeyCode::PageUp => self.move_to(self.v.cursor.saturating_sub(self.v.page)),
            KeyCode::PageDown => self.move_to(self.v.cursor + self.v.page),
            KeyCode::Home | KeyCode::Char('g') => self.move_to(0),
            KeyCode::End | KeyCode::Char('G') => self.move_to(n.saturating_sub(1)),
            KeyCode::Char('/') => {
                self.v.searching = true;
                self.v.search.clear();
                self.v.search_missed = false;
            }
            KeyCode::Char('n') | KeyCode::F(3) if !self.v.search.is_empty() => {
                self.v.seek = Some(true)
            }
            KeyCode::Char('\\') | KeyCode::F(4) => self.v.editing_filter = true,
            KeyCode::Char(' ') => {
                self.v.paused = !self.v.paused;
                // The collector is gone only when the view is ending.
                let _ = self.control.send(Control::Paused(self.v.paused));
            }
            KeyCode::Char('t') | KeyCode::F(5) => self.v.tree = !self.v.tree,
            KeyCode::Char('r' | 'I') => self.v.reverse = !self.v.reverse,
            KeyCode::Char('<') | KeyCode::Left => self.cycle_sort(-1),
            KeyCode::Char('>') | KeyCode::Right => self.cycle_sort(1),
            KeyCode::F(6) => {
                let i = SORT_MENU.iter().position(|&k| k == self.v.sort);
                self.v.panel = Panel::SortMenu(i.unwrap_or(0));
            }
            KeyCode::Enter => self.open_inspect(),
            KeyCode::Char('w') => self.open_watch(),
            KeyCode::Char('k') | KeyCode::F(9) => self.open_signal(),
            KeyCode::Char('u') => self.user_key(),
            KeyCode::Char('H') => self.toggle_threads(),
            KeyCode::Char('K') => self.v.hide_kernel = !self.v.hide_kernel,
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

    /// `u`: the user picker, or all users again when one is chosen.
    fn user_key(&mut self) {
        if self.v.user.take().is_some() {
            return;
        }
        self.v.panel = Panel::Users {
            all: Vec::new(),
            chosen: 0,
            typed: String::new(),
        };
    }

    fn toggle_threads(&mut self) {
        if self.replay.is_some() {
            self.v.note = Some(crate::render::top::REPLAY_NO_THREADS.into());
            return;
        }
        self.v.threads = !self.v.threads;
        if !self.v.threads {
            self.threads = (None, None);
        }
        let _ = self.control.send(Control::Threads(self.v.threads));
    }

    /// `k`: the signal dialog for the selected process (or thread).
    fn open_signal(&mut self) {
        let Some(pid) = self.v.selected else {
            return;
        };
        if self.replay.is_some() || !self.can_signal {
            self.v.note = Some(crate::render::top::signal_status(
                "TERM",
                pid,
                b"",
                &SignalOutcome::NotLive,
            ));
            return;
        }
        // A thread's row: the signal goes to its process (signals such
        // as TERM and KILL act on the whole process, as `kill TID` does).
        let pid = match self.threads.1.as_ref().and_then(|t| t.find(pid)) {
            Some(t) if self.cur.find(pid).is_none() => t.ppid,
            _ => pid,
        };
        if let Some(r) = self.cur.find(pid) {
            let d = Dialog::new(pid, r.start_ticks, r.name.clone(), self.me);
            self.v.panel = Panel::Signal(Box::new(d));
        }
    }

    /// A mouse event: a left click on a column's header sorts by it (a
    /// second click reverses), on a row selects it; the wheel moves the
    /// selection three rows.
    pub fn mouse(&mut self, m: MouseEvent) -> bool {
        if !matches!(self.v.panel, Panel::None | Panel::Watch(_)) {
            return false;
        }
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {}
            MouseEventKind::ScrollUp => {
                self.move_to(self.v.cursor.saturating_sub(3));
                return true;
            }
            MouseEventKind::ScrollDown => {
                self.move_to(self.v.cursor + 3);
                return true;
            }
            _ => return false,
        }
        let hits = &self.v.hits;
        if hits.header_y == Some(m.row) {
            let key = hits
                .columns
                .iter()
                .find(|&&(x0, x1, _)| (x0..x1).contains(&m.column))
                .map(|&(_, _, k)| k);
            if let Some(k) = key {
                self.set_sort(k);
                return true;
            }
            return false;
        }
        if let Some((y0, y1)) = hits.rows {
            if (y0..y1).contains(&m.row) {
                let i = self.v.offset + usize::from(m.row - y0);
                if i < self.v.order.len() {
                    self.move_to(i);
                    return true;
                }
            }
        }
        false
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

/// The columns F6 offers: every column, shown or not, in the order of
/// `--columns`'s list.
pub const SORT_MENU: [SortKey; SortKey::ALL.len()] = SortKey::ALL;

/// The column a sort letter sorts by: htop's capitals (`P` CPU, `M`
/// memory, `T` time, `N` PID), and proctor's own for its columns (`f`
/// descriptors, `%` of the limit, `x` context switches). Lowercase
/// letters htop uses for something else are not sort keys.
fn sort_key(c: char) -> Option<SortKey> {
    Some(match c {
        'P' => SortKey::Cpu,
        'M' => SortKey::Rss,
        'T' => SortKey::Time,
        'N' => SortKey::Pid,
        'f' => SortKey::Fds,
        '%' => SortKey::Fdpct,
        'x' => SortKey::Csw,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htop_sort_letters() {
        assert_eq!(sort_key('P'), Some(SortKey::Cpu));
        assert_eq!(sort_key('M'), Some(SortKey::Rss));
        assert_eq!(sort_key('T'), Some(SortKey::Time));
        assert_eq!(sort_key('N'), Some(SortKey::Pid));
        assert_eq!(sort_key('f'), Some(SortKey::Fds));
        // Keys htop gives other meanings are not sort keys any more.
        for c in ['p', 'u', 'n', 'c', 'm', 'h', 'k', 'H', 'K', 't'] {
            assert_eq!(sort_key(c), None, "{c}");
        }
        // Every column is in the F6 menu once.
        for k in SortKey::ALL {
            assert_eq!(SORT_MENU.iter().filter(|&&m| m == k).count(), 1);
        }
        assert!(SORT_MENU.contains(&SortKey::Time));
    }
}
