//! `k`: a signal to the selected process. The dialog asks which signal
//! (TERM by default), then confirms; PID 1 and proctor itself need a
//! second confirmation. The signal goes to the process the table showed,
//! (PID, start time), never to another one that reused its PID: a pidfd
//! is opened on the PID, then the start time is read again through
//! /proc; a pidfd keeps naming the process it was opened on, so when that
//! start time is the shown one the pidfd is the shown process, and the
//! signal goes through the pidfd.

use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

use crate::error::ReadError;
use crate::reader::ProcFs;
use crate::render::top::{SIGNAL_NAMES, SignalOutcome, SignalRisk};

/// The signals `k` offers, in [`SIGNAL_NAMES`]'s order.
pub const SIGNALS: [Signal; 9] = [
    Signal::TERM,
    Signal::KILL,
    Signal::INT,
    Signal::HUP,
    Signal::QUIT,
    Signal::USR1,
    Signal::USR2,
    Signal::STOP,
    Signal::CONT,
];

/// The numbers of [`SIGNALS`] on this platform.
pub fn numbers() -> [i32; 9] {
    SIGNALS.map(Signal::as_raw)
}

/// Where the dialog is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Choosing the signal.
    Pick,
    /// "send SIGTERM to 4242 (name)? y/n"
    Confirm,
    /// The second question for PID 1 or proctor itself.
    ConfirmAgain(SignalRisk),
}

#[derive(Debug, Clone)]
pub struct Dialog {
    pub pid: i32,
    pub start_ticks: u64,
    pub name: Vec<u8>,
    /// Index in [`SIGNALS`].
    pub chosen: usize,
    /// Digits typed to pick by number.
    pub typed: String,
    pub stage: Stage,
    /// Why a second confirmation is needed, if it is.
    pub risk: Option<SignalRisk>,
}

impl Dialog {
    pub fn new(pid: i32, start_ticks: u64, name: Vec<u8>, me: Option<i32>) -> Dialog {
        let risk = if pid == 1 {
            Some(SignalRisk::Init)
        } else if Some(pid) == me {
            Some(SignalRisk::Itself)
        } else {
            None
        };
        Dialog {
            pid,
            start_ticks,
            name,
            chosen: 0,
            typed: String::new(),
            stage: Stage::Pick,
            risk,
        }
    }

    pub fn signal_name(&self) -> &'static str {
        SIGNAL_NAMES[self.chosen]
    }

    /// A digit typed in the list: the signal of that number when one has
    /// it (`9` KILL, `1` then `5` TERM).
    pub fn digit(&mut self, c: char) {
        if self.typed.len() >= 2 {
            self.typed.clear();
        }
        self.typed.push(c);
        let nums = numbers();
        if let Ok(n) = self.typed.parse::<i32>() {
            if let Some(i) = nums.iter().position(|&x| x == n) {
                self.chosen = i;
                return;
            }
        }
        // Not a number of the list: start again from this digit.
        self.typed = c.to_string();
        if let Ok(n) = self.typed.parse::<i32>() {
            if let Some(i) = nums.iter().position(|&x| x == n) {
                self.chosen = i;
            }
        }
    }
}

/// Send the chosen signal to (pid, start time) on `fs`, which must be
/// this process's own PID namespace's procfs (the caller checks).
pub fn send(fs: &ProcFs, pid: i32, start_ticks: u64, sig: Signal) -> SignalOutcome {
    let Some(p) = Pid::from_raw(pid) else {
        return SignalOutcome::Gone;
    };
    let fd = match pidfd_open(p, PidfdFlags::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::SRCH) => return SignalOutcome::Gone,
        Err(e) => return SignalOutcome::Failed(format!("pidfd_open: {e}")),
    };
    // The pidfd names the process that had the PID when it was opened:
    // the shown one only if that PID still has the shown start time now.
    match fs.open(pid) {
        Ok(now) if now.start_ticks() == start_ticks => {}
        Ok(_) | Err(ReadError::Exited { .. }) => return SignalOutcome::Gone,
        Err(e) => return SignalOutcome::Failed(e.to_string()),
    }
    match pidfd_send_signal(&fd, sig) {
        Ok(()) => SignalOutcome::Sent,
        Err(rustix::io::Errno::PERM) => SignalOutcome::NoPermission,
        Err(rustix::io::Errno::SRCH) => SignalOutcome::Gone,
        Err(e) => SignalOutcome::Failed(format!("pidfd_send_signal: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picked_by_number() {
        let mut d = Dialog::new(42, 1, b"x".to_vec(), Some(7));
        assert_eq!(d.signal_name(), "TERM");
        assert_eq!(d.risk, None);
        d.digit('9');
        assert_eq!(d.signal_name(), "KILL");
        d.typed.clear();
        d.digit('1');
        assert_eq!(d.signal_name(), "HUP");
        d.digit('5');
        assert_eq!(d.signal_name(), "TERM");
        assert_eq!(Dialog::new(1, 1, vec![], None).risk, Some(SignalRisk::Init));
        assert_eq!(
            Dialog::new(7, 1, vec![], Some(7)).risk,
            Some(SignalRisk::Itself)
        );
    }

    #[test]
    fn a_reused_pid_is_not_signalled() {
        // proctor's own process, with a start time it does not have: the
        // check refuses before anything is sent (SIGTERM would end us).
        let fs = ProcFs::new("/proc", "/sys");
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let real = fs.open(me).expect("open self").start_ticks();
        assert_eq!(send(&fs, me, real + 1, Signal::TERM), SignalOutcome::Gone);
        // The real start time: a harmless signal is sent.
        assert_eq!(send(&fs, me, real, Signal::CONT), SignalOutcome::Sent);
        // No such process.
        assert_eq!(send(&fs, i32::MAX, 1, Signal::CONT), SignalOutcome::Gone);
    }
}
