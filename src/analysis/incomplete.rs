//! What a judging command (`inspect`, `doctor`, `watch`) could not check.
//! "Nothing wrong found" is only said of what was read: when checks that
//! could hide a problem did not run, the result says so on its first lines,
//! in JSON (`incomplete`), and with its own exit code ([`exit_code`]):
//!
//! - 1 when a problem (warning or above, a leak) was found, complete or not;
//! - 3 when nothing wrong was found in what could be read, but something
//!   that could hide a problem was not checked;
//! - 2 (an error, by the caller) when nothing at all could be judged;
//! - 0 only when everything was checked and nothing was wrong.
//!
//! Pure data: the typed reasons and causes, and the exit-code rule. Their
//! words (the `checks incomplete: ...` line, the JSON `summary`, the
//! hidepid remedy) are written by `render::incomplete`, which also
//! implements `Serialize` for [`Incomplete`].

use serde::Serialize;

use crate::error::ExitCode;
use crate::parse::mountinfo::{HidePid, ProcMount};

/// One reason the checks are incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Processes listed but not readable at all (not even `stat`).
    ProcessesUnreadable { count: usize },
    /// Processes with some files refused: some of their checks did not run.
    ProcessesPartlyUnreadable { count: usize },
    /// Other users' processes are not even listed (hidepid=invisible or
    /// ptraceable): how many is unknown.
    ProcessesHidden,
    /// The procfs has no host-wide files (subset=pid): host checks did not
    /// run.
    HostFilesHidden,
    /// Checks of one process that did not run because a section it needs
    /// could not be read.
    ChecksNotRun {
        section: &'static str,
        reason: &'static str,
        checks: Vec<&'static str>,
    },
    /// A `watch` metric that was not judged: too few samples, or none read.
    NotJudged {
        metric: &'static str,
        samples: usize,
        needed: usize,
    },
}

/// Why processes are missing or unreadable, when proctor can tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// The procfs at the root is mounted with hidepid (and proctor is
    /// neither root nor in its gid).
    HidePid {
        hidepid: HidePid,
        gid: Option<u32>,
        /// The proc root it is mounted on.
        root: String,
    },
    /// proctor is not root: other users' files are refused.
    NotRoot,
}

impl Cause {
    /// The hidepid cause from a mount, when it applies to proctor.
    pub fn from_mount(mount: Option<ProcMount>, exempt: bool, root: &str) -> Option<Cause> {
        let m = mount?;
        (m.hidepid != HidePid::Off && !exempt).then(|| Cause::HidePid {
            hidepid: m.hidepid,
            gid: m.gid,
            root: root.to_string(),
        })
    }
}

/// Everything that was not checked, with the cause when known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Incomplete {
    pub reasons: Vec<Reason>,
    pub cause: Option<Cause>,
}

impl Incomplete {
    pub fn is_empty(&self) -> bool {
        self.reasons.is_empty()
    }

    /// None when nothing is missing, for the reports' `incomplete` field.
    pub fn into_option(self) -> Option<Incomplete> {
        (!self.is_empty()).then_some(self)
    }

    /// What is missing from a process listing: processes hidden by
    /// hidepid, processes listed but unreadable.
    pub fn of_listing(unreadable: usize, cause: Option<Cause>) -> Incomplete {
        let mut reasons = Vec::new();
        if let Some(Cause::HidePid { hidepid, .. }) = &cause {
            if hidepid.hides_listing() {
                reasons.push(Reason::ProcessesHidden);
            }
        }
        if unreadable > 0 {
            reasons.push(Reason::ProcessesUnreadable { count: unreadable });
        }
        Incomplete { reasons, cause }
    }
}

/// The exit code of a judging command that judged something: a problem
/// wins, then incompleteness, then "all checked, nothing wrong".
pub fn exit_code(problem: bool, incomplete: Option<&Incomplete>) -> ExitCode {
    if problem {
        ExitCode::Problem
    } else if incomplete.is_some_and(|i| !i.is_empty()) {
        ExitCode::Incomplete
    } else {
        ExitCode::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidepid_does_not_apply_to_the_exempt_or_when_off() {
        let m = ProcMount {
            hidepid: HidePid::Invisible,
            gid: Some(4),
            subset_pid: false,
        };
        assert_eq!(Cause::from_mount(Some(m), true, "/proc"), None);
        assert_eq!(Cause::from_mount(None, false, "/proc"), None);
        let off = ProcMount {
            hidepid: HidePid::Off,
            ..m
        };
        assert_eq!(Cause::from_mount(Some(off), false, "/proc"), None);
        assert_eq!(
            Cause::from_mount(Some(m), false, "/proc"),
            Some(Cause::HidePid {
                hidepid: HidePid::Invisible,
                gid: Some(4),
                root: "/proc".to_string(),
            })
        );
    }

    #[test]
    fn a_listing_names_hidden_and_unreadable_processes() {
        let cause = Cause::HidePid {
            hidepid: HidePid::Invisible,
            gid: None,
            root: "/proc".to_string(),
        };
        let i = Incomplete::of_listing(3, Some(cause));
        assert_eq!(
            i.reasons,
            vec![
                Reason::ProcessesHidden,
                Reason::ProcessesUnreadable { count: 3 }
            ]
        );
        assert!(Incomplete::of_listing(0, None).is_empty());
    }

    #[test]
    fn exit_code_rule() {
        let inc = Incomplete {
            reasons: vec![Reason::NotJudged {
                metric: "fds",
                samples: 3,
                needed: 8,
            }],
            cause: None,
        };
        assert_eq!(exit_code(true, Some(&inc)), ExitCode::Problem);
        assert_eq!(exit_code(false, Some(&inc)), ExitCode::Incomplete);
        assert_eq!(exit_code(false, Some(&Incomplete::default())), ExitCode::Ok);
        assert_eq!(exit_code(false, None), ExitCode::Ok);
    }
}
