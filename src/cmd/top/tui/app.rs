//! The state of the interactive `top`: the latest snapshot from the
//! collector (two scans for rates, the host facts, the real refresh period
//! when late), what the user chose (sort, filter, tree, pause) and where
//! the view is (selection, scroll, open panel).

use std::sync::mpsc::Sender;
use std::time::Duration;

use crate::analysis::incomplete::Cause;
use crate::analysis::top::SortKey;
use crate::reader::{HostFacts, ProcFs, Scan, UserNames};

use super::collect::{Control, Snapshot};
use super::panels::WatchPanel;

pub enum Panel {
    None,
    Help,
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
    /// The columns shown, in order (`--columns`, the config file, the
    /// chooser).
    pub columns: Vec<SortKey>,
    /// Where the chooser saves them; None with `--no-config`.
    pub config: Option<std::path::PathBuf>,
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
