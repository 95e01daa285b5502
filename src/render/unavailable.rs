//! The words of what could not be read: the `detail` of an
//! `Unavailable` section (`inspect`, `maps`, `threads`, `fds`), written
//! from the typed [`Detail`] analysis returned, and the fdinfo values of
//! an `fds` row that are not numbers. `Serialize` for both is implemented
//! here, so that the JSON `detail` and `fdinfo_parse_error` strings are
//! these same words. A read error is worded by its own `Display`
//! (`error.rs` owns those messages and their hints).

use serde::{Serialize, Serializer};

use crate::analysis::fds::FdinfoNotANumber;
use crate::analysis::inspect::Detail;

/// "mapping" or "mappings".
fn mappings(n: u64) -> &'static str {
    if n == 1 { "mapping" } else { "mappings" }
}

/// The detail in one line for people (not escaped: the caller escapes
/// what goes to a terminal).
pub fn detail(d: &Detail) -> String {
    match d {
        Detail::Read(e) => e.to_string(),
        Detail::BootTime(e) => format!("boot time: {e}"),
        Detail::StartOutOfRange {
            boot_secs,
            start_ticks,
        } => format!(
            "boot time ({boot_secs} s) plus start time ({start_ticks} ticks) is out of range"
        ),
        Detail::Uptime(e) => format!("uptime: {e}"),
        Detail::StatusNotANumber { key } => format!("{key} in status is not a valid number"),
        Detail::PssNotANumber => "Pss in smaps_rollup is not a valid number".to_string(),
        Detail::NoPss => "no Pss line in smaps_rollup".to_string(),
        Detail::KernelThreadNoMemory => "kernel thread: no user memory".to_string(),
        Detail::ZombieMemoryReleased => {
            "zombie process: its memory is already released".to_string()
        }
        Detail::ZombieLeftCgroups => "zombie process: it has already left its cgroups".to_string(),
        Detail::FdLinksUnreadable { count, first } => format!(
            "{count} descriptor link(s) could not be read (counted, type unknown); first: {first}"
        ),
        Detail::SocketLinesUnparsed { count } => {
            format!("{count} socket line(s) of the net tables did not parse (state unknown)")
        }
        Detail::CpuTimeOverflow => "utime + stime in stat is past the largest number".to_string(),
        Detail::SmapsValuesUnknown { fields } => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(k, n)| format!("{k} of {n} {}", mappings(*n)))
                .collect();
            format!(
                "missing or not a valid number in smaps: {} (shown as ?; totals that include them are lower bounds)",
                fields.join(", ")
            )
        }
        Detail::RollupNotANumber { keys } => format!(
            "not a valid number in smaps_rollup: {} (summed from the mappings instead)",
            keys.join(", ")
        ),
        Detail::RollupUnreadable(e) => format!("{e} (totals summed from the mappings instead)"),
        Detail::ThreadStatusUnreadable { tid } => {
            format!("thread {tid}: status could not be read")
        }
        Detail::ThreadStatusNotANumber { tid, keys } => format!(
            "thread {tid}: {} in status not a valid number",
            keys.join(", ")
        ),
    }
}

/// The fdinfo values of a descriptor that are not numbers, in words.
pub fn fdinfo_not_a_number(f: &FdinfoNotANumber) -> String {
    format!("{} in fdinfo not a valid number", f.keys.join(", "))
}

impl Serialize for Detail {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&detail(self))
    }
}

impl Serialize for FdinfoNotANumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fdinfo_not_a_number(self))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::error::ReadError;

    fn denied() -> ReadError {
        ReadError::PermissionDenied {
            path: PathBuf::from("/proc/7/fd/3"),
        }
    }

    #[test]
    fn every_detail_in_words() {
        let cases = [
            (
                Detail::Read(denied()),
                "permission denied reading /proc/7/fd/3",
            ),
            (
                Detail::BootTime(denied()),
                "boot time: permission denied reading /proc/7/fd/3",
            ),
            (
                Detail::StartOutOfRange {
                    boot_secs: 1700,
                    start_ticks: 42,
                },
                "boot time (1700 s) plus start time (42 ticks) is out of range",
            ),
            (
                Detail::Uptime(denied()),
                "uptime: permission denied reading /proc/7/fd/3",
            ),
            (
                Detail::StatusNotANumber { key: "VmRSS" },
                "VmRSS in status is not a valid number",
            ),
            (
                Detail::PssNotANumber,
                "Pss in smaps_rollup is not a valid number",
            ),
            (Detail::NoPss, "no Pss line in smaps_rollup"),
            (
                Detail::KernelThreadNoMemory,
                "kernel thread: no user memory",
            ),
            (
                Detail::ZombieMemoryReleased,
                "zombie process: its memory is already released",
            ),
            (
                Detail::ZombieLeftCgroups,
                "zombie process: it has already left its cgroups",
            ),
            (
                Detail::FdLinksUnreadable {
                    count: 2,
                    first: denied(),
                },
                "2 descriptor link(s) could not be read (counted, type unknown); first: permission denied reading /proc/7/fd/3",
            ),
            (
                Detail::SocketLinesUnparsed { count: 3 },
                "3 socket line(s) of the net tables did not parse (state unknown)",
            ),
            (
                Detail::CpuTimeOverflow,
                "utime + stime in stat is past the largest number",
            ),
            (
                Detail::SmapsValuesUnknown {
                    fields: vec![("rss", 1), ("anonymous", 2)],
                },
                "missing or not a valid number in smaps: rss of 1 mapping, anonymous of 2 mappings (shown as ?; totals that include them are lower bounds)",
            ),
            (
                Detail::RollupNotANumber {
                    keys: vec!["Rss".to_string(), "Swap".to_string()],
                },
                "not a valid number in smaps_rollup: Rss, Swap (summed from the mappings instead)",
            ),
            (
                Detail::RollupUnreadable(denied()),
                "permission denied reading /proc/7/fd/3 (totals summed from the mappings instead)",
            ),
            (
                Detail::ThreadStatusUnreadable { tid: 12 },
                "thread 12: status could not be read",
            ),
            (
                Detail::ThreadStatusNotANumber {
                    tid: 12,
                    keys: vec!["voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"],
                },
                "thread 12: voluntary_ctxt_switches, nonvoluntary_ctxt_switches in status not a valid number",
            ),
        ];
        for (d, words) in cases {
            assert_eq!(detail(&d), words);
            // The JSON `detail` is the same words.
            assert_eq!(serde_json::to_value(&d).unwrap(), words);
        }
    }

    #[test]
    fn an_unavailable_section_serializes_its_detail_as_a_string() {
        let u = crate::analysis::inspect::Unavailable {
            section: "fd_links",
            reason: "permission_denied",
            detail: Detail::Read(denied()),
            hint: None,
        };
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"section":"fd_links","reason":"permission_denied","detail":"permission denied reading /proc/7/fd/3"}"#
        );
    }

    #[test]
    fn fdinfo_values_not_numbers_in_words() {
        let f = FdinfoNotANumber {
            keys: vec!["pos", "flags"],
        };
        assert_eq!(
            fdinfo_not_a_number(&f),
            "pos, flags in fdinfo not a valid number"
        );
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            "pos, flags in fdinfo not a valid number"
        );
    }
}
