//! The interactive `top` on a recording (`top --replay FILE`): the same
//! table, sorting, filter and tree, fed by the replay's
//! [`Player`](crate::cmd::top::replay::Player) instead of the collector.
//! Keys step through time (`t`/`→` next scan, `T`/`←` previous, `]`/`[`
//! one minute, Home/End the first and last scan); the header says REPLAY,
//! the file, the shown time, the position and what started or exited at
//! this scan. Nothing is read from /proc about a recorded process: Enter
//! shows what the recording holds, `w` says the live watch is not
//! available. A step within the loaded window reads nothing; one that
//! leaves it loads the next window on the UI thread (measured in the
//! player's tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::Stylize;
use ratatui::text::Line;

use crate::cmd::context::{Ctx, Output};
use crate::cmd::top::Settings;
use crate::cmd::top::replay::{self as rp, Player};
use crate::error::CliError;
use crate::reader::UserNames;
use crate::store::HostValues;

use super::app::{App, Panel, View};
use super::{event, terminal_error};

/// The replay's state next to the table's.
pub struct ReplayState {
    pub player: Player,
    pub t_ms: i64,
    pub host: HostValues,
    pub started: Vec<(i32, Vec<u8>)>,
    pub exited: Vec<(i32, Vec<u8>)>,
    pub interval_ms: u64,
    pub damage: Vec<(String, String)>,
    /// No scan before the shown one in its recording run.
    pub first: bool,
    /// How long the last step took (read and build), for the header when
    /// it was slow.
    pub took: Duration,
    /// `b`: the time being typed.
    pub typing: Option<String>,
    /// Why the typed time was not shown (until the next step).
    pub note: Option<String>,
}

/// A step slower than this is shown in the header (the window was loaded).
const SLOW_STEP: Duration = Duration::from_millis(100);

pub fn run_replay(ctx: &Ctx, a: &Settings, r: &rp::Replay) -> Result<Output, CliError> {
    let interrupted = crate::cmd::context::interrupt_flag();
    // The file is opened and the first scan read before the terminal is
    // set up, so that a bad file or --at is a plain error.
    let (player, i, kill) = rp::open(r)?;
    let (to_ui, from_threads) = std::sync::mpsc::channel();
    // No collector: its control channel leads nowhere.
    let (control, _) = std::sync::mpsc::channel();
    let mut app = App {
        fs: &ctx.fs,
        cur: crate::reader::Scan::empty(Instant::now()),
        prev: None,
        host: crate::reader::HostFacts::default(),
        users: UserNames::default(),
        v: View::opening(a),
        interval: a.interval,
        late: None,
        hidepid: None,
        reveal: false,
        me: None,
        control,
        ticks: 100,
        cpu: (None, None),
        cpu_unreadable: false,
        threads: (None, None),
        threads_cut: 0,
        can_signal: false,
        replay: None,
    };
    app.replay = Some(Box::new(ReplayState {
        player,
        t_ms: 0,
        host: HostValues::default(),
        started: Vec::new(),
        exited: Vec::new(),
        interval_ms: 0,
        damage: Vec::new(),
        first: true,
        took: Duration::ZERO,
        typing: None,
        note: None,
    }));
    app.goto(i);
    // Why it opened here, until the first step.
    if let (Some(st), Some(k)) = (app.replay.as_mut(), &kill) {
        let millis = st.interval_ms > 0 && st.interval_ms < 1000;
        st.note = Some(crate::render::replay::before_oom(k, millis));
    }
    let mut terminal =
        super::init_terminal("use `proctor top --replay FILE --once` for a plain table")?;
    let input_stop = Arc::new(AtomicBool::new(false));
    let result = match event::spawn_input(to_ui, Arc::clone(&input_stop)) {
        Ok(input) => {
            let r = app.main_loop(&mut terminal, &from_threads, &interrupted);
            input_stop.store(true, Ordering::Relaxed);
            let _ = input.join();
            r
        }
        Err(e) => Err(terminal_error(e)),
    };
    super::restore_terminal();
    result.map(|code| Output {
        stdout: String::new(),
        code,
    })
}

impl App<'_> {
    /// Show position `i` of the recording.
    pub fn goto(&mut self, i: usize) {
        let Some(st) = self.replay.as_mut() else {
            return;
        };
        let t = Instant::now();
        let m = st.player.show(i);
        st.took = t.elapsed();
        st.note = None;
        st.t_ms = m.t_ms;
        st.host = m.host;
        st.started = m.started;
        st.exited = m.exited;
        st.interval_ms = m.interval_ms;
        st.damage = m.damage;
        st.first = m.prev.is_none();
        self.ticks = m.ticks;
        self.cur = m.cur;
        self.prev = m.prev;
    }

    /// A replay key: true when it was one (and handled).
    pub fn key_replay(&mut self, k: KeyEvent) -> bool {
        let Some(st) = self.replay.as_mut() else {
            return false;
        };
        if st.typing.is_some() {
            self.key_typing(k);
            return true;
        }
        if k.code == KeyCode::Char('b') {
            st.typing = Some(String::new());
            return true;
        }
        let p = &st.player;
        let to = match k.code {
            KeyCode::Char('t') | KeyCode::Right => p.offset(1),
            KeyCode::Char('T') | KeyCode::Left => p.offset(-1),
            KeyCode::Char(']') => p.offset_ms(60_000),
            KeyCode::Char('[') => p.offset_ms(-60_000),
            KeyCode::Home => 0,
            KeyCode::End => p.scans() - 1,
            KeyCode::Char('v') | KeyCode::F(5) => {
                self.v.tree = !self.v.tree;
                return true;
            }
            // Live-only keys: pause has nothing to pause.
            KeyCode::Char(' ') => return true,
            KeyCode::Enter => {
                self.open_recorded();
                return true;
            }
            KeyCode::Char('w') => {
                if let Some(pid) = self.v.selected {
                    self.v.panel = Panel::Inspect {
                        title: format!(" watch {pid} "),
                        lines: crate::render::replay::no_watch(pid),
                        scroll: 0,
                    };
                }
                return true;
            }
            _ => return false,
        };
        if to != p.pos() {
            self.goto(to);
        }
        true
    }

    /// A key while a time is typed (`b`): Enter goes there, Esc cancels.
    fn key_typing(&mut self, k: KeyEvent) {
        let Some(st) = self.replay.as_mut() else {
            return;
        };
        let Some(text) = st.typing.as_mut() else {
            return;
        };
        match k.code {
            KeyCode::Esc => st.typing = None,
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !c.is_control() && text.len() < 40 => text.push(c),
            KeyCode::Enter => {
                let text = st.typing.take().unwrap_or_default();
                let at = crate::analysis::replay::typed_time(&text, st.t_ms);
                let p = &st.player;
                let (first, last) = p.span();
                match at.map(|t| (t, p.index_at(t))) {
                    Some((_, Ok(i))) => self.goto(i),
                    Some((t, Err(_))) => {
                        st.note = Some(crate::render::replay::outside(p.path(), t, first, last));
                    }
                    None => st.note = Some(crate::render::replay::not_a_time(&text)),
                }
            }
            _ => {}
        }
    }

    /// Enter in a replay: what the recording holds about the selected
    /// process at the shown scan.
    fn open_recorded(&mut self) {
        let Some(pid) = self.v.selected else { return };
        let Some(st) = self.replay.as_ref() else {
            return;
        };
        let millis = st.interval_ms > 0 && st.interval_ms < 1000;
        let lines = match st.player.recorded(pid) {
            Some(r) => {
                let user = r.uid.and_then(|u| self.users.get(u).map(<[u8]>::to_vec));
                crate::render::replay::recorded(&r, millis, user.as_deref())
            }
            None => vec![format!(
                "process {pid} is not in the recording at this scan"
            )],
        };
        self.v.panel = Panel::Inspect {
            title: format!(" recorded {pid} "),
            lines,
            scroll: 0,
        };
    }

    /// The replay's header lines (instead of the live host lines).
    pub fn replay_lines(&self) -> Option<Vec<Line<'static>>> {
        let st = self.replay.as_ref()?;
        let p = &st.player;
        let pos = crate::render::replay::Position {
            path: p.path(),
            t_ms: st.t_ms,
            index: p.pos(),
            count: p.scans(),
            span: p.span(),
            interval_ms: st.interval_ms,
        };
        let mut lines = vec![Line::from(crate::render::replay::position_line(&pos)).bold()];
        if let Some(d) = crate::render::replay::damage_line(&st.damage) {
            lines.push(Line::from(d).bold());
        }
        if let Some(text) = &st.typing {
            lines.push(Line::from(crate::render::replay::typing(text)).reversed());
        } else if let Some(n) = &st.note {
            lines.push(Line::from(n.clone()).bold());
        }
        lines.push(Line::from(crate::render::replay::host_line(&st.host)));
        lines.push(Line::from(crate::render::replay::changes_line(
            &st.started,
            &st.exited,
            st.first,
        )));
        if st.took > SLOW_STEP {
            lines.push(Line::from(crate::render::replay::slow_step(st.took)));
        }
        Some(lines)
    }

    /// PIDs that started at the shown scan (marked in the table).
    pub fn started_pids(&self) -> Vec<i32> {
        self.replay
            .as_ref()
            .map(|st| st.started.iter().map(|s| s.0).collect())
            .unwrap_or_default()
    }
}
