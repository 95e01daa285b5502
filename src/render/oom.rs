//! The words of OOM history: `proctor oom` (the kills, newest first, and
//! the host's count since boot) and `doctor`'s recent kills with what
//! runs in their place. Names and cgroup paths come from the kernel log
//! (the victim chose its name): escaped here, for the terminal and JSON.

use std::fmt::Write as _;

use crate::analysis::inspect::Unavailable;
use crate::analysis::oom::{DoctorOom, Kill, OomReport, RecentKill, Relation, Successor};
use crate::parse::kmsg::Constraint;
use crate::render::style::Palette;
use crate::render::units::{duration, iec};
use crate::text::Text;

/// What to do about an unreadable kernel log or counter.
pub fn hint(u: &Unavailable) -> Option<&'static str> {
    match (u.section, u.reason) {
        ("kernel_log", "permission_denied") => Some(
            "the kernel log is root-only here: run as root, or allow reading it with `sysctl kernel.dmesg_restrict=0`",
        ),
        ("kernel_log", "not_supported") => Some(
            "no kernel log device here (a container without /dev/kmsg?): run on the host, or mount its /dev/kmsg",
        ),
        _ => None,
    }
}

/// The JSON document of `proctor oom`: the report with each unavailable
/// entry's hint.
pub fn json(r: &OomReport) -> String {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    add_hints(&mut v, &r.unavailable);
    super::to_json(&v) + "\n"
}

/// `unavailable[i].hint` from [`hint`], where the entry has none.
pub fn add_hints(v: &mut serde_json::Value, un: &[Unavailable]) {
    let Some(list) = v.get_mut("unavailable").and_then(|l| l.as_array_mut()) else {
        return;
    };
    for (entry, u) in list.iter_mut().zip(un) {
        if let (Some(o), Some(h)) = (entry.as_object_mut(), hint(u)) {
            o.entry("hint").or_insert_with(|| h.into());
        }
    }
}

fn name(t: Option<&Text>) -> String {
    t.map_or_else(|| "?".to_string(), Text::display)
}

/// "hour", "6 hours", "30 minutes", "2 days", else "1h 30m": a window
/// in words.
fn window(secs: f64) -> String {
    let whole = secs.round();
    if (whole - secs).abs() < 1e-9 && whole >= 60.0 {
        for (unit, one, many) in [
            (86_400.0, "day", "days"),
            (3600.0, "hour", "hours"),
            (60.0, "minute", "minutes"),
        ] {
            if whole % unit == 0.0 {
                let n = (whole / unit) as u64;
                return if n == 1 {
                    one.to_string()
                } else {
                    format!("{n} {many}")
                };
            }
        }
    }
    duration(secs)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "3 OOM kills since boot, 1 in the kernel log" (and what is missing).
fn counts(r: &OomReport) -> String {
    let boot = match r.vmstat_oom_kill {
        Some(n) => format!("{} since boot", plural(n, "OOM kill", "OOM kills")),
        None => "OOM kills since boot: unknown".to_string(),
    };
    let mut s = match r.in_kernel_log {
        Some(n) => format!("{boot}, {n} in the kernel log"),
        None => format!("{boot}; the kernel log could not be read"),
    };
    if let (Some(since), Some(_)) = (r.since_seconds, r.in_kernel_log) {
        let _ = write!(s, ", {} in the last {}", r.kills.len(), window(since));
    }
    if let (Some(all), Some(n)) = (r.vmstat_oom_kill, r.in_kernel_log)
        && all > n as u64
    {
        s.push_str(" (the older ones are no longer in the log: it wraps)");
    }
    s
}

/// What limit was hit: the cgroup with its usage and limit, or the host.
fn against(k: &Kill) -> String {
    match k.constraint {
        Some(Constraint::Memcg) => {
            let cg = name(k.oom_memcg.as_ref().or(k.memory_cgroup.as_ref()));
            match (k.cgroup_usage_bytes, k.cgroup_limit_bytes) {
                (Some(u), Some(l)) => {
                    format!("memory cgroup {cg} at {} of its {} limit", iec(u), iec(l))
                }
                _ => format!("memory cgroup {cg} (its usage and limit were not logged)"),
            }
        }
        Some(Constraint::Host) => "the whole host (out of memory)".to_string(),
        Some(Constraint::Cpuset) => "its cpuset's memory nodes".to_string(),
        Some(Constraint::MemoryPolicy) => "its NUMA memory policy's nodes".to_string(),
        None => "unknown (the summary record is no longer in the log)".to_string(),
    }
}

fn opt_iec(v: Option<u64>) -> String {
    v.map_or_else(|| "?".to_string(), iec)
}

/// When: absolute (UTC) and how long ago.
fn when(k: &Kill) -> String {
    let abs = k
        .time_unix
        .filter(|t| *t >= 0.0)
        .and_then(|t| std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs_f64(t)))
        .map(|t| humantime::format_rfc3339_seconds(t).to_string());
    match (abs, k.age_seconds) {
        (Some(a), Some(age)) => format!("{a} ({} ago)", duration(age)),
        _ => format!("{:.0}s after boot", k.seconds_since_boot),
    }
}

/// One kill in three lines.
fn kill_lines(s: &mut String, k: &Kill, p: Palette) {
    let pid = k.pid.map_or_else(|| "?".to_string(), |p| p.to_string());
    let _ = writeln!(
        s,
        "{}  PID {pid} {}",
        p.heading(&when(k)),
        name(k.name.as_ref())
    );
    let _ = writeln!(s, "    limit: {}", against(k));
    let _ = writeln!(
        s,
        "    RSS {}: anon {}, file {}, shmem {}",
        opt_iec(k.rss_bytes()),
        opt_iec(k.anon_rss_bytes),
        opt_iec(k.file_rss_bytes),
        opt_iec(k.shmem_rss_bytes)
    );
    let _ = writeln!(s, "    memory cgroup {}", name(k.memory_cgroup.as_ref()));
    if let Some(w) = named_workload(k) {
        let _ = writeln!(s, "    workload {w}");
    }
}

/// The kill's workload in words, when it is more than a plain cgroup (a
/// Kubernetes container, a systemd unit, a container).
fn named_workload(k: &Kill) -> Option<String> {
    k.workload
        .as_ref()
        .filter(|w| w.kind != crate::analysis::workload::Kind::Cgroup)
        .map(super::workload::line)
}

/// The unavailable lines with their hints.
fn unavailable_lines(s: &mut String, un: &[Unavailable], p: Palette) {
    for u in un {
        let detail =
            crate::text::escape_for_terminal(super::unavailable::detail(&u.detail).as_bytes());
        let _ = writeln!(
            s,
            "{}",
            p.warning(&format!(
                "{} unavailable: {} ({detail})",
                u.section, u.reason
            ))
        );
        if let Some(h) = hint(u) {
            let _ = writeln!(s, "  hint: {h}");
        }
    }
}

/// `proctor oom` for people.
pub fn human(r: &OomReport, p: Palette) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", counts(r));
    unavailable_lines(&mut s, &r.unavailable, p);
    let mut notes = Vec::new();
    if r.malformed_records > 0 {
        notes.push(format!(
            "{} not understood (malformed or cut short)",
            plural(r.malformed_records, "OOM record", "OOM records")
        ));
    }
    if r.overwritten_records > 0 {
        notes.push(format!(
            "{} overwritten while being read",
            plural(r.overwritten_records, "record", "records")
        ));
    }
    if r.log_capped {
        notes.push("reading stopped at proctor's cap: the newest records were not read".into());
    }
    if !notes.is_empty() {
        let _ = writeln!(s, "{}", p.dim(&format!("kernel log: {}", notes.join("; "))));
    }
    if r.kills.is_empty() {
        if r.in_kernel_log.is_some() {
            let _ = match r.since_seconds {
                Some(d) => writeln!(s, "No OOM kill in the kernel log in the last {}", window(d)),
                None => writeln!(s, "No OOM kill in the kernel log"),
            };
        }
        return s;
    }
    s.push('\n');
    for k in &r.kills {
        kill_lines(&mut s, k, p);
    }
    s
}

/// "it restarted as PID 4242 (sibling cgroup X), now at 1.6 GiB ...".
fn now_words(n: &Successor) -> String {
    let mut s = match n.relation {
        Relation::SameCgroup => {
            format!("PID {} {} runs in the same cgroup", n.pid, n.name.display())
        }
        Relation::SiblingCgroup => format!(
            "it restarted as PID {} {} in {}",
            n.pid,
            n.name.display(),
            n.memory_cgroup.display()
        ),
    };
    let _ = write!(s, ", now at {}", iec(n.rss_bytes));
    if let Some(l) = n.cgroup_limit_bytes {
        let _ = write!(s, " of its {} limit", iec(l));
    }
    if let Some(rate) = n.rss_bytes_per_second.filter(|r| *r > 0.0) {
        let _ = write!(s, " and rising {}/s", iec(rate as u64));
        if let Some(t) = n.seconds_to_limit {
            let _ = write!(s, ": at this rate it is killed again in {}", duration(t));
        }
    }
    s
}

/// One recent kill in `doctor`'s words.
fn recent_line(r: &RecentKill) -> String {
    let k = &r.kill;
    let who = named_workload(k).unwrap_or_else(|| name(k.memory_cgroup.as_ref()));
    let at = match (k.constraint, k.cgroup_limit_bytes) {
        (Some(Constraint::Memcg), Some(l)) => format!(
            " at {} against its {} limit",
            opt_iec(k.cgroup_usage_bytes),
            iec(l)
        ),
        (Some(Constraint::Host), _) => " when the whole host ran out of memory".to_string(),
        _ => String::new(),
    };
    let pid = k.pid.map_or_else(|| "?".to_string(), |p| p.to_string());
    let mut s = format!(
        "{who} was OOM-killed {} ago{at} (PID {pid} {}, RSS {})",
        duration(k.age_seconds.unwrap_or(0.0)),
        name(k.name.as_ref()),
        opt_iec(k.rss_bytes())
    );
    match &r.now {
        Some(n) => {
            let _ = write!(s, "; {}", now_words(n));
        }
        None => s.push_str("; nothing runs in its place now"),
    }
    s
}

/// `doctor` lists at most this many kills (newest first); `oom` lists all.
const DOCTOR_SHOWN: usize = 5;

/// `doctor`'s section (empty when nothing to say).
pub fn doctor_section(d: &DoctorOom, p: Palette) -> String {
    let mut s = String::new();
    if d.recent.is_empty() && d.unavailable.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "\n{}",
        p.heading(&format!(
            "OOM kills in the last {}",
            window(d.window_seconds)
        ))
    );
    for r in d.recent.iter().take(DOCTOR_SHOWN) {
        let _ = writeln!(s, "  {}", p.warning(&recent_line(r)));
    }
    if d.recent.len() > DOCTOR_SHOWN {
        let _ = writeln!(s, "  ... and {} more", d.recent.len() - DOCTOR_SHOWN);
    }
    if !d.recent.is_empty() {
        let _ = writeln!(s, "  {}", p.dim("next: proctor oom --since 1h"));
    }
    unavailable_lines(&mut s, &d.unavailable, p);
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_in_words() {
        assert_eq!(super::window(3600.0), "hour");
        assert_eq!(super::window(1800.0), "30 minutes");
        assert_eq!(super::window(2.0 * 86_400.0), "2 days");
        assert_eq!(super::window(5400.0), "90 minutes");
        assert_eq!(super::window(90.4), "1m 30s");
    }
}
