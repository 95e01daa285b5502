//! The words of incompleteness: what a judging command (`inspect`,
//! `doctor`, `watch`) could not check and why, written from the typed
//! [`Reason`]s and [`Cause`] of `analysis::incomplete` (which keeps values,
//! never sentences). Also the JSON form of an [`Incomplete`]: `Serialize`
//! is implemented here, so that its `summary` field is filled by render
//! whenever a report is serialized, while the reports stay plain data.

use serde::{Serialize, Serializer};

use crate::analysis::incomplete::{Cause, Incomplete, Reason};

/// One reason in words: "92 processes unreadable".
pub fn reason(r: &Reason) -> String {
    match r {
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

/// What limits proctor: "hidepid=invisible is mounted on /proc".
pub fn cause_what(c: &Cause) -> String {
    match c {
        Cause::HidePid { hidepid, root, .. } => {
            format!("hidepid={} is mounted on {root}", hidepid.as_str())
        }
        Cause::NotRoot => "proctor is not root".to_string(),
    }
}

/// What the user can do about it.
pub fn cause_remedy(c: &Cause) -> String {
    match c {
        Cause::HidePid { gid: Some(g), .. } => {
            format!("run as root or as a member of its gid ({g})")
        }
        Cause::HidePid { gid: None, .. } => "run as root".to_string(),
        Cause::NotRoot => "run as root to read every process".to_string(),
    }
}

/// The cause and its remedy in one phrase, as hints and the first line
/// show it.
pub fn cause(c: &Cause) -> String {
    match c {
        Cause::HidePid { .. } => format!("{}: {}", cause_what(c), cause_remedy(c)),
        Cause::NotRoot => cause_remedy(c),
    }
}

/// The reasons and their cause, without the prefix (for views that judge
/// nothing, such as `top`).
pub fn what(i: &Incomplete) -> String {
    let what: Vec<String> = i.reasons.iter().map(reason).collect();
    match &i.cause {
        Some(c) => format!("{} ({})", what.join("; "), cause(c)),
        None => what.join("; "),
    }
}

/// The one line shown first: "checks incomplete: 92 processes
/// unreadable (hidepid=noaccess is mounted on /proc: run as root ...)".
pub fn line(i: &Incomplete) -> String {
    format!("checks incomplete: {}", what(i))
}

impl Serialize for Incomplete {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            summary: String,
            reasons: &'a [Reason],
            cause: &'a Option<Cause>,
        }
        Out {
            summary: line(self),
            reasons: &self.reasons,
            cause: &self.cause,
        }
        .serialize(s)
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
    use crate::parse::mountinfo::{HidePid, ProcMount};

    fn hidepid(h: HidePid, gid: Option<u32>) -> Cause {
        Cause::from_mount(
            Some(ProcMount {
                hidepid: h,
                gid,
                subset_pid: false,
            }),
            false,
            "/proc",
        )
        .unwrap()
    }

    #[test]
    fn the_first_line_names_what_and_why() {
        let i = Incomplete {
            reasons: vec![Reason::ProcessesUnreadable { count: 8123 }],
            cause: Some(hidepid(HidePid::NoAccess, None)),
        };
        assert_eq!(
            line(&i),
            "checks incomplete: 8,123 processes unreadable (hidepid=noaccess is mounted on /proc: run as root)"
        );
        let j = serde_json::to_value(&i).unwrap();
        assert_eq!(j["reasons"][0]["kind"], "processes_unreadable");
        assert_eq!(j["reasons"][0]["count"], 8123);
        assert_eq!(j["cause"]["hidepid"], "noaccess");
        assert_eq!(j["summary"], line(&i));
        // The field order of the JSON contract.
        let s = serde_json::to_string(&i).unwrap();
        assert!(
            s.starts_with(r#"{"summary":"checks incomplete: 8,123"#)
                && s.contains(r#"],"cause":{"#),
            "{s}"
        );
    }

    #[test]
    fn every_reason_in_words() {
        let cases = [
            (
                Reason::ProcessesUnreadable { count: 1 },
                "1 process unreadable",
            ),
            (
                Reason::ProcessesUnreadable { count: 1234 },
                "1,234 processes unreadable",
            ),
            (
                Reason::ProcessesPartlyUnreadable { count: 1 },
                "1 process partly unreadable (some of its checks did not run)",
            ),
            (
                Reason::ProcessesPartlyUnreadable { count: 2 },
                "2 processes partly unreadable (some of their checks did not run)",
            ),
            (Reason::ProcessesHidden, "other users' processes are hidden"),
            (
                Reason::HostFilesHidden,
                "host-wide files are hidden (subset=pid): host checks did not run",
            ),
            (
                Reason::ChecksNotRun {
                    section: "fds",
                    reason: "permission_denied",
                    checks: vec!["fds.near_limit", "fds.deleted_open"],
                },
                "fds.near_limit, fds.deleted_open did not run (fds: permission denied)",
            ),
            (
                Reason::NotJudged {
                    metric: "fds",
                    samples: 3,
                    needed: 8,
                },
                "fds not judged (3 samples, needs 8)",
            ),
        ];
        for (r, words) in cases {
            assert_eq!(reason(&r), words);
        }
    }

    #[test]
    fn every_cause_in_words() {
        let with_gid = hidepid(HidePid::Invisible, Some(4));
        assert_eq!(
            cause_what(&with_gid),
            "hidepid=invisible is mounted on /proc"
        );
        assert_eq!(
            cause_remedy(&with_gid),
            "run as root or as a member of its gid (4)"
        );
        assert_eq!(
            cause(&with_gid),
            "hidepid=invisible is mounted on /proc: run as root or as a member of its gid (4)"
        );
        let no_gid = hidepid(HidePid::NoAccess, None);
        assert_eq!(cause_remedy(&no_gid), "run as root");
        assert_eq!(cause_what(&Cause::NotRoot), "proctor is not root");
        assert_eq!(
            cause_remedy(&Cause::NotRoot),
            "run as root to read every process"
        );
        assert_eq!(cause(&Cause::NotRoot), "run as root to read every process");
    }

    #[test]
    fn several_reasons_are_joined_and_the_cause_follows() {
        let i = Incomplete {
            reasons: vec![
                Reason::NotJudged {
                    metric: "fds",
                    samples: 3,
                    needed: 8,
                },
                Reason::ProcessesHidden,
            ],
            cause: Some(Cause::NotRoot),
        };
        assert_eq!(
            line(&i),
            "checks incomplete: fds not judged (3 samples, needs 8); other users' processes are hidden (run as root to read every process)"
        );
        let none = Incomplete {
            reasons: vec![Reason::HostFilesHidden],
            cause: None,
        };
        assert_eq!(
            what(&none),
            "host-wide files are hidden (subset=pid): host checks did not run"
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
