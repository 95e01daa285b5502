//! The interactive `top` (ratatui on crossterm): `run` sets the terminal
//! up, runs the UI thread's loop and restores the terminal.
//!
//! Three threads. The collector ([`collect`]) scans the process table
//! (files kept open, re-read with pread, see `reader::scan`) and reads the
//! host facts once per interval, and sends each result as a snapshot. The
//! input thread ([`event`]) forwards the terminal's events. The UI thread
//! only handles what arrives on its one channel (a key, a resize, a
//! snapshot) and redraws when something changed, the visible rows only
//! ([`view`]), so keys stay responsive whatever a scan costs. Keys sort,
//! filter, pause, fold into a tree, open a process's `inspect` report or a
//! live watch of it ([`panels`]); [`app`] holds the state.
//!
//! The terminal is restored on every way out: `q`, Ctrl-C, SIGTERM, an
//! error, and a panic (ratatui's hook restores before the message).

mod app;
mod collect;
mod columns;
mod event;
mod panels;
mod replay;
mod signal;
mod view;

pub use replay::run_replay;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{Event, KeyEventKind};

use super::Settings;
use crate::cmd::context::Ctx;
use crate::cmd::context::Output;
use crate::error::{CliError, ExitCode};
use crate::reader::{Scanner, UserNames};

use app::{App, Panel, View};

/// What reaches the UI thread.
enum Msg {
    /// A terminal event (key, resize).
    Input(Event),
    /// Reading the terminal failed: the view ends with the error.
    InputError(std::io::Error),
    /// A refresh from the collector.
    Snapshot(Box<collect::Snapshot>),
    /// The collector panicked.
    CollectorGone,
}

/// Longest the UI thread waits without looking at the Ctrl-C flag
/// (SIGTERM).
const WAKE: Duration = Duration::from_millis(250);

fn terminal_error(e: std::io::Error) -> CliError {
    CliError::new(format!("terminal error: {e}")).hint("use `proctor top --once` for a plain table")
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    let interrupted = crate::cmd::context::interrupt_flag();
    let (columns, config) = super::config::columns(a)?;
    // The first scan happens here, before the terminal is set up, so that
    // an unusable proc root is a plain error.
    let mut scanner = Scanner::new(&ctx.fs, true, 1)?;
    scanner.set_reads(super::reads(&columns));
    let mut cur = scanner.scan(&ctx.fs)?;
    crate::cmd::context::check_scan(ctx, &cur)?;
    let mut pods = crate::reader::pods::PodNameCache::default();
    super::name_pods(ctx, &mut cur, &mut pods, &columns);
    let first = cur.taken;
    let (to_ui, from_threads) = std::sync::mpsc::channel();
    let control = collect::spawn(
        ctx.fs.clone(),
        scanner,
        (ctx.pods_dir.clone(), pods),
        a.interval,
        first,
        to_ui.clone(),
        Arc::clone(&interrupted),
    )
    .map_err(|e| CliError::new(format!("cannot start the scanning thread: {e}")))?;
    let mut app = App {
        fs: &ctx.fs,
        cur,
        prev: None,
        host: ctx.fs.host_facts(),
        users: UserNames::default(),
        v: View {
            columns,
            config,
            ..View::opening(a)
        },
        interval: a.interval,
        late: None,
        hidepid: crate::cmd::context::hidepid_cause(ctx),
        reveal: ctx.reveal,
        me: ctx.fs.own_pid_in_root(),
        control,
        ticks: crate::reader::clock_ticks(),
        replay: None,
        cpu: (None, ctx.fs.cpu_stat().ok()),
        cpu_unreadable: false,
        threads: (None, None),
        threads_cut: 0,
        // Signals go by PID: only when the root numbers processes as the
        // kernel does for proctor's own calls (not a fixture tree, not
        // another PID namespace's procfs).
        can_signal: ctx.fs.own_pid_in_root()
            == Some(rustix::process::getpid().as_raw_nonzero().get()),
    };
    let mut terminal = init_terminal("use `proctor top --once` for a plain table")?;
    let input_stop = Arc::new(AtomicBool::new(false));
    let result = match event::spawn_input(to_ui, Arc::clone(&input_stop)) {
        Ok(input) => {
            let r = app.main_loop(&mut terminal, &from_threads, &interrupted);
            // The input thread stops within its poll: joined before the
            // terminal is restored, so it reads nothing after.
            input_stop.store(true, Ordering::Relaxed);
            let _ = input.join();
            r
        }
        Err(e) => Err(terminal_error(e)),
    };
    restore_terminal();
    // Dropping the app hangs up on the collector: it stops at its next
    // wait (a scan under way is not waited for).
    drop(app);
    result.map(|code| Output {
        stdout: String::new(),
        code,
    })
}

impl App<'_> {
    fn main_loop(
        &mut self,
        terminal: &mut ratatui::DefaultTerminal,
        from_threads: &Receiver<Msg>,
        interrupted: &AtomicBool,
    ) -> Result<ExitCode, CliError> {
        // The UI's own tick, for the watch panel: an interval apart.
        let interval = self.interval;
        let later = |t: Instant| t.checked_add(interval).unwrap_or(t);
        let mut next = later(Instant::now());
        // Draw only when something changed: a snapshot, a key, a resize,
        // a watch panel sample.
        let mut dirty = true;
        loop {
            if interrupted.load(Ordering::Relaxed) {
                return Ok(ExitCode::Interrupted);
            }
            if std::mem::take(&mut dirty) {
                terminal.draw(|f| self.draw(f)).map_err(terminal_error)?;
                // Debug builds only: a panic on demand, so the tests can
                // check that the terminal is restored on panic too.
                #[cfg(debug_assertions)]
                if std::env::var_os("PROCTOR_TEST_TUI_PANIC").is_some() {
                    panic!("PROCTOR_TEST_TUI_PANIC is set");
                }
            }
            let wait = next.saturating_duration_since(Instant::now());
            match from_threads.recv_timeout(wait.min(WAKE)) {
                Ok(msg) => match self.handle(msg)? {
                    Step::End(code) => return Ok(code),
                    Step::Redraw => dirty = true,
                    Step::Nothing => {}
                },
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(collector_gone()),
            }
            if Instant::now() >= next {
                if matches!(self.v.panel, Panel::Watch(_)) {
                    self.tick();
                    dirty = true;
                }
                next = later(next);
                if next < Instant::now() {
                    next = later(Instant::now());
                }
            }
        }
    }

    /// One message from the input thread or the collector.
    fn handle(&mut self, msg: Msg) -> Result<Step, CliError> {
        Ok(match msg {
            Msg::Input(Event::Key(k)) if k.kind != KeyEventKind::Release => match self.key(k) {
                Some(code) => Step::End(code),
                None => Step::Redraw,
            },
            Msg::Input(Event::Resize(..)) => Step::Redraw,
            Msg::Input(Event::Mouse(m)) => {
                if self.mouse(m) {
                    Step::Redraw
                } else {
                    Step::Nothing
                }
            }
            Msg::Input(_) => Step::Nothing,
            Msg::Snapshot(s) => {
                self.apply(*s);
                Step::Redraw
            }
            Msg::InputError(e) => return Err(terminal_error(e)),
            Msg::CollectorGone => return Err(collector_gone()),
        })
    }
}

/// The terminal set up for the view: ratatui's (raw mode, alternate
/// screen, a panic hook that restores them), then mouse reports (clicks on
/// a header sort, on a row select), turned off again by a panic hook of
/// our own that runs before ratatui's.
pub(super) fn init_terminal(hint: &str) -> Result<ratatui::DefaultTerminal, CliError> {
    let terminal = ratatui::try_init()
        .map_err(|e| CliError::new(format!("cannot start the interactive view: {e}")).hint(hint))?;
    let restore_first = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        mouse_off();
        restore_first(info);
    }));
    // Without mouse reports the keys still do everything.
    let _ = ratatui::crossterm::execute!(
        std::io::stdout(),
        ratatui::crossterm::event::EnableMouseCapture
    );
    Ok(terminal)
}

fn mouse_off() {
    let _ = ratatui::crossterm::execute!(
        std::io::stdout(),
        ratatui::crossterm::event::DisableMouseCapture
    );
}

/// The terminal as it was: mouse reports off, then ratatui's restore.
pub(super) fn restore_terminal() {
    mouse_off();
    ratatui::restore();
}

/// What a message asks of the loop.
enum Step {
    End(ExitCode),
    Redraw,
    Nothing,
}

fn collector_gone() -> CliError {
    CliError::new("the scanning thread stopped").hint("use `proctor top --once` for a plain table")
}
