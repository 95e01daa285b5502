//! The state of the interactive `top`: the latest snapshot from the
//! collector (two scans for rates, the host facts, the real refresh period
//! when late), what the user chose (sort, filter, tree, pause) and where
//! the view is (selection, scroll, open panel).

use std::sync::mpsc::Sender;
use std::time::Duration;

use crate::analysis::incomplete::Cause;
use crate::analysis::top::SortKey;
use crate::parse::host::CpuStat;
use crate::reader::{HostFacts, ProcFs, Scan, UserNames};

use super::collect::{Control, Snapshot};
use super::panels::WatchPanel;

pub enum Panel {
    None,
    /// The keys, scrolled this far.
    Help(usize),
    /// `k`: which signal, then the confirmations.
    Signal(Box<super::signal::Dialog>),
    /// `u`: the users of the table, the chosen one, what was typed.
    Users {
        all: Vec<Vec<u8>>,
        chosen: usize,
        typed: String,
    },
    /// F6: the columns, the chosen one.
    SortMenu(usize),
    Inspect {
        title: String,
        lines: Vec<String>,
        scroll: u16,
    },
    Watch(Box<WatchPanel>),
    /// The column chooser (`F2`, `C`).
    Columns(super::columns::Chooser),
}

pub struct App<'c> {
    pub fs: &'c ProcFs,
    pub cur: Scan,
    pub prev: Option<Scan>,
    pub host: HostFacts,
    pub users: UserNames,
    pub v: View,
    pub interval: Duration,
    /// The real refresh period (between the starts of the last two
    /// scans), when scans do not keep up with the interval (the header
    /// says so); None otherwise.
    pub late: Option<Duration>,
    /// hidepid on the proc root, when it hides processes from proctor.
    pub hidepid: Option<Cause>,
    /// `--reveal`: command lines shown with their secrets.
    pub reveal: bool,
    /// proctor's own PID: not one of the processes it ranks (as in doctor).
    pub me: Option<i32>,
    /// To the collector (pause).
    pub control: Sender<Control>,
    /// Clock ticks per second of the host the scans are from.
    pub ticks: u64,
    /// `--replay`: the recording shown instead of /proc.
    pub replay: Option<Box<super::replay::ReplayState>>,
    /// The last two readings of the CPU lines of PROC/stat (per-CPU use
    /// in the header); `cpu_unreadable` when the last could not be read
    /// or had lines that did not parse.
    pub cpu: (Option<CpuStat>, Option<CpuStat>),
    pub cpu_unreadable: bool,
    /// `H`: the threads of the last two refreshes (a row per thread, its
    /// TID as `pid` and its process as `ppid`), and how many processes'
    /// threads were left out (the cap).
    pub threads: (Option<Scan>, Option<Scan>),
    pub threads_cut: usize,
    /// Signals may be sent: the proc root numbers processes as this
    /// process's own PID namespace does (not a replay, not a fixture).
    pub can_signal: bool,
}

/// What the user chose and where the view is: apart from the data so a
/// frame can borrow the scan while moving the view.
pub struct View {
    pub sort: SortKey,
    pub reverse: bool,
    pub filter: String,
    pub editing_filter: bool,
    pub paused: bool,
    pub tree: bool,
    /// The selected process. Once the user has moved the selection it
    /// follows that process when the order changes (`follow`); before,
    /// and after Home, the selection stays on the top row.
    pub selected: Option<i32>,
    pub follow: bool,
    /// Index of the selection in the last drawn order, and the first row shown.
    pub cursor: usize,
    pub offset: usize,
    /// PIDs in the last drawn order, for navigation.
    pub order: Vec<i32>,
    pub page: usize,
    pub panel: Panel,
    /// `/`: the search being typed (Some) and the last one (for `n`).
    pub searching: bool,
    pub search: String,
    /// A search to run at the next frame (it has the rows): Some(true)
    /// from the row after the selection (`n`), Some(false) from it.
    pub seek: Option<bool>,
    /// The search found nothing from the selection on.
    pub search_missed: bool,
    /// `u`: only this user's processes.
    pub user: Option<Vec<u8>>,
    /// `H`: threads under their process.
    pub threads: bool,
    /// `K`: kernel threads hidden.
    pub hide_kernel: bool,
    /// A line for the status bar until the next key (a signal's outcome).
    pub note: Option<String>,
    /// Where the last frame drew the table: for the mouse.
    pub hits: Hits,
    /// The terminal's locale is UTF-8 (tree drawing).
    pub utf8: bool,
    /// The columns shown, in order (`--columns`, the config file, the
    /// chooser).
    pub columns: Vec<SortKey>,
    /// Where the chooser saves them; None with `--no-config`.
    pub config: Option<std::path::PathBuf>,
}

/// Where the table was drawn: its header's row and the columns' spans,
/// and the first row's line.
#[derive(Debug, Default, Clone)]
pub struct Hits {
    pub header_y: Option<u16>,
    pub columns: Vec<(u16, u16, SortKey)>,
    pub rows: Option<(u16, u16)>,
}

impl View {
    /// The view as `top`'s options open it (live or replay).
    pub fn opening(a: &crate::cmd::top::Settings) -> View {
        View {
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
            searching: false,
            search: String::new(),
            seek: None,
            search_missed: false,
            user: None,
            threads: false,
            hide_kernel: false,
            note: None,
            hits: Hits::default(),
            utf8: utf8_locale(),
            columns: SortKey::COLUMNS.to_vec(),
            config: None,
        }
    }
}

impl App<'_> {
    /// A refresh from the collector. While paused the view keeps what it
    /// shows: a refresh that was under way when space was pressed is
    /// dropped. Sort, filter and tree apply to the latest snapshot at the
    /// next draw.
    pub fn apply(&mut self, snap: Snapshot) {
        if self.v.paused {
            return;
        }
        if let Some(scan) = snap.scan {
            self.prev = Some(std::mem::replace(&mut self.cur, scan));
        }
        self.cpu_unreadable = snap.cpu.as_ref().is_none_or(|c| c.invalid);
        if let Some(c) = snap.cpu {
            self.cpu = (self.cpu.1.take(), Some(c));
        }
        match snap.threads {
            Some((t, cut)) => {
                self.threads = (self.threads.1.take(), Some(t));
                self.threads_cut = cut;
            }
            None => self.threads = (None, None),
        }
        self.host = snap.host;
        self.late = snap.period.filter(|&p| p > late_after(self.interval));
    }

    /// The UI's own tick (every interval, paused or not): the watch panel
    /// samples its process (a few preads).
    pub fn tick(&mut self) {
        if let Panel::Watch(w) = &mut self.v.panel {
            w.tick(self.fs);
        }
    }
}

/// Whether the terminal's locale is UTF-8 (LC_ALL, else LC_CTYPE, else
/// LANG, as the C library picks): else the tree is drawn in ASCII.
fn utf8_locale() -> bool {
    let v = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    match v {
        Some(v) => {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        }
        // No locale set: C, which is ASCII; but terminals today are
        // UTF-8 and proctor's other glyphs assume it.
        None => true,
    }
}

/// The refresh period past which the view is late: the interval plus a
/// tenth of it, at least 20 ms (the wake-up of the collector and the
/// scheduler's delays on a busy machine). A scan longer than the interval
/// always makes the period longer than this: the next scan starts an
/// interval after it ends.
fn late_after(interval: Duration) -> Duration {
    interval.saturating_add((interval / 10).max(Duration::from_millis(20)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_only_past_the_slack() {
        let ms = Duration::from_millis;
        assert_eq!(late_after(ms(500)), ms(550));
        assert_eq!(late_after(ms(100)), ms(120));
        assert_eq!(late_after(ms(10)), ms(30));
        assert_eq!(late_after(Duration::MAX), Duration::MAX);
    }
}
