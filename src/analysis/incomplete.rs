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

impl Reason {
    fn words(&self) -> String {
        match self {
            Reason::ProcessesUnreadable { count } => format!(
                "{} process{} unreadable",
                thousands(*count),
                if *count == 1 { "" } else { "es" }
            ),
            Reason::ProcessesPartlyUnreadable { count } => format!(
                "{} process{} partly unreadable (some of {} checks did not run)",
                thousands(*count),
                if *count == 1 { "" } else { "es" },
                if *count == 1 { "its" } else { "their" }
            ),
            Reason::ProcessesHidden => "other users' processes are hidden".to_string(),
            Reason::HostFilesHidden => {
                "host-wide files are hidden (subset=pid): host checks did not run".to_string()
            }
            Reason::ChecksNotRun {
                section,
                reason,
                checks,
            } => format!(
                "{} did not run ({section}: {})",
                checks.join(", "),
                reason.replace('_', " ")
            ),
            Reason::NotJudged {
                metric,
                samples,
                needed,
            } => format!("{metric} not judged ({samples} samples, needs {needed})"),
        }
    }
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
        /// The proc root, for the message.
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

    /// What limits proctor ("hidepid=invisible is mounted on /proc").
    pub fn what(&self) -> String {
        match self {
            Cause::HidePid { hidepid, root, .. } => {
                format!("hidepid={} is mounted on {root}", hidepid.as_str())
            }
            Cause::NotRoot => "proctor is not root".to_string(),
        }
    }

    /// What the user can do about it.
    pub fn remedy(&self) -> String {
        match self {
            Cause::HidePid { gid: Some(g), .. } => {
                format!("run as root or as a member of its gid ({g})")
            }
            Cause::HidePid { gid: None, .. } => "run as root".to_string(),
            Cause::NotRoot => "run as root to read every process".to_string(),
        }
    }

    pub fn words(&self) -> String {
        match self {
            Cause::HidePid { .. } => format!("{}: {}", self.what(), self.remedy()),
            Cause::NotRoot => self.remedy(),
        }
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

    /// The one line shown first: "checks incomplete: 92 processes
    /// unreadable (hidepid=noaccess is mounted on /proc: run as root ...)".
    pub fn line(&self) -> String {
        format!("checks incomplete: {}", self.what())
    }

    /// The reasons and their cause, without the prefix (for views that
    /// judge nothing, such as `top`).
    pub fn what(&self) -> String {
        let what: Vec<String> = self.reasons.iter().map(Reason::words).collect();
        match &self.cause {
            Some(c) => format!("{} ({})", what.join("; "), c.words()),
            None => what.join("; "),
        }
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

impl Serialize for Incomplete {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            summary: String,
            reasons: &'a [Reason],
            cause: &'a Option<Cause>,
        }
        Out {
            summary: self.line(),
            reasons: &self.reasons,
            cause: &self.cause,
        }
        .serialize(s)
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

/// 12345 -> "12,345".
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_names_what_and_why() {
        let i = Incomplete {
            reasons: vec![Reason::ProcessesUnreadable { count: 8123 }],
            cause: Cause::from_mount(
                Some(ProcMount {
                    hidepid: HidePid::NoAccess,
                    gid: None,
                    subset_pid: false,
                }),
                false,
                "/proc",
            ),
        };
        assert_eq!(
            i.line(),
            "checks incomplete: 8,123 processes unreadable (hidepid=noaccess is mounted on /proc: run as root)"
        );
        let j = serde_json::to_value(&i).unwrap();
        assert_eq!(j["reasons"][0]["kind"], "processes_unreadable");
        assert_eq!(j["reasons"][0]["count"], 8123);
        assert_eq!(j["cause"]["hidepid"], "noaccess");
        assert_eq!(j["summary"], i.line());
    }

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
        assert!(
            Cause::from_mount(Some(m), false, "/proc")
                .unwrap()
                .words()
                .contains("member of its gid (4)")
        );
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
        assert_eq!(
            inc.line(),
            "checks incomplete: fds not judged (3 samples, needs 8)"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
