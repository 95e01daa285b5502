//! Human rendering of the `inspect` report: one function per section, in
//! the order shown; the findings' words come from `render::findings`.

use std::fmt::Write as _;

use super::findings;
use super::style::Palette;
use super::units::{duration, iec};
use crate::analysis::ceiling::percent_of;
use crate::analysis::findings::Severity;
use crate::analysis::inspect::InspectReport;
use crate::text::Text;

struct Out<'a> {
    s: String,
    p: Palette,
    r: &'a InspectReport,
}

const LABEL: usize = 14;

impl Out<'_> {
    fn heading(&mut self, h: &str) {
        let _ = writeln!(self.s, "\n{}", self.p.heading(h));
    }
    fn row(&mut self, label: &str, value: &str) {
        let _ = writeln!(self.s, "  {label:<LABEL$}{value}");
    }
    /// Why a section is missing (`?` and the reason), or "-" when it
    /// simply does not apply.
    fn missing(&self, section: &str) -> String {
        match self.r.unavailable.iter().find(|u| u.section == section) {
            Some(u) => self
                .p
                .dim(&format!("? unavailable: {}", reason_words(u.reason))),
            None => self.p.dim("-"),
        }
    }
    fn opt(&self, v: Option<String>, section: &str) -> String {
        v.unwrap_or_else(|| self.missing(section))
    }
    /// A value from one field of a section: the field's own entry (a value
    /// that did not parse) first, else the section's.
    fn field(&self, v: Option<String>, field: &str, section: &str) -> String {
        if v.is_none() && self.r.unavailable.iter().any(|u| u.section == field) {
            return self.missing(field);
        }
        self.opt(v, section)
    }
}

fn reason_words(reason: &str) -> &str {
    match reason {
        "permission_denied" => "permission denied",
        "process_exited" => "process exited",
        "not_supported" => "not available for this process",
        "parse_error" => "could not be parsed (not a valid value)",
        _ => "read error",
    }
}

/// "command line truncated at 64.0 KiB of 1.00 GiB": what a capped read
/// cut, for the human views.
pub fn truncation_note(what: &str, t: &crate::reader::Truncated) -> String {
    match t.total_bytes {
        Some(total) => format!(
            "{what} truncated at {} of {}",
            iec(t.shown_bytes),
            iec(total)
        ),
        None => format!("{what} truncated at {} (it is longer)", iec(t.shown_bytes)),
    }
}

/// The arguments, shell-like: an empty argument is `''`, and a run of
/// more than three empty ones (a NUL-padded command line area) is
/// `''x65536`, so padding does not fill the screen.
fn command_words(v: &[crate::text::Text]) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut empties = 0usize;
    let flush = |words: &mut Vec<String>, n: usize| match n {
        0 => {}
        1..=3 => words.extend(std::iter::repeat_n("''".to_string(), n)),
        _ => words.push(format!("''x{n}")),
    };
    for a in v {
        if a.0.is_empty() {
            empties += 1;
            continue;
        }
        flush(&mut words, std::mem::take(&mut empties));
        words.push(a.display());
    }
    flush(&mut words, empties);
    words.join(" ")
}

/// What the context-switch mix suggests, in one sentence (None under 100
/// switches: too few to say anything about the process's habits).
fn switch_interpretation(voluntary: u64, nonvoluntary: u64) -> Option<String> {
    let total = voluntary.saturating_add(nonvoluntary);
    if total < 100 {
        return None;
    }
    let pct = percent_of(nonvoluntary, total)?;
    Some(if pct < 10.0 {
        format!(
            "mostly voluntary ({:.0}%): the process mostly waits (I/O, locks, sleep)",
            100.0 - pct
        )
    } else if pct < 50.0 {
        format!("{pct:.0}% nonvoluntary: some preemption, usually harmless")
    } else {
        format!("{pct:.0}% nonvoluntary: often preempted, a sign of CPU contention or throttling")
    })
}

/// The `inspect` report for people, section by section.
pub fn render(r: &InspectReport, p: Palette) -> String {
    let mut o = Out {
        s: String::new(),
        p,
        r,
    };
    let _ = writeln!(
        o.s,
        "{} {} ({}) {}",
        p.heading("proctor inspect"),
        r.pid,
        r.name.display(),
        p.dim(&format!("- {}", r.state_meaning))
    );

    // What could not be checked, on the first lines (findings may hide
    // behind it).
    if let Some(inc) = &r.incomplete {
        let _ = writeln!(o.s, "{}", p.warning(&super::incomplete::line(inc)));
    }

    section_identity(&mut o);
    section_memory(&mut o);
    section_threads(&mut o);
    section_fds(&mut o);
    section_sockets(&mut o);
    section_context_switches(&mut o);
    section_io(&mut o);
    section_environment(&mut o);
    section_findings(&mut o);
    section_could_not_read(&mut o);
    o.s
}

/// Who the process is: pid, parent, name, state, user, command,
/// executable, cwd, age, CPU time.
fn section_identity(o: &mut Out<'_>) {
    let p = o.p;
    let r = o.r;
    o.heading("Identity");
    o.row("PID", &r.pid.to_string());
    let parent = match &r.parent_name {
        Some(n) => format!("{} ({})", r.ppid, n.display()),
        None => r.ppid.to_string(),
    };
    o.row("Parent", &parent);
    o.row("Name", &r.name.display());
    o.row("State", &format!("{}  {}", r.state, r.state_meaning));
    let user = match (&r.user, r.uid) {
        (Some(u), Some(id)) => Some(format!("{} (uid {id})", u.display())),
        (None, Some(id)) => Some(format!("uid {id}")),
        _ => None,
    };
    let user = o.field(user, "user", "status");
    o.row("User", &user);
    let cmd = match &r.cmdline {
        Some(v) if v.is_empty() => Some(p.dim(if r.kernel_thread {
            "(kernel thread)"
        } else {
            "(empty)"
        })),
        Some(v) => Some(command_words(v)),
        None => None,
    };
    let cmd = cmd.map(|c| match r.cmdline_secrets_masked {
        0 => c,
        n => format!(
            "{c}  {}",
            p.dim(&format!(
                "({n} secret{} masked, --reveal shows)",
                if n == 1 { "" } else { "s" }
            ))
        ),
    });
    let mut cmd = o.opt(cmd, "cmdline");
    if let Some(t) = &r.cmdline_truncated {
        let _ = write!(
            cmd,
            "  {}",
            p.warning(&format!("[{}]", truncation_note("command line", t)))
        );
    }
    o.row("Command", &cmd);
    let exe = o.opt(r.exe.as_ref().map(|t| t.display()), "exe");
    o.row("Executable", &exe);
    let cwd = o.opt(r.cwd.as_ref().map(|t| t.display()), "cwd");
    o.row("Cwd", &cwd);
    let started = match (&r.start_time, r.age_seconds) {
        (Some(t), Some(a)) => format!("{t} ({} ago)", duration(a)),
        (None, Some(a)) => format!(
            "{} ago {}",
            duration(a),
            p.dim(&format!("(start time {})", o.missing("start_time")))
        ),
        (Some(t), None) => t.clone(),
        (None, None) => o.missing("start_time"),
    };
    o.row("Started", &started);
    let cpu = o.opt(r.cpu_seconds.map(|c| format!("{c:.2}s")), "cpu");
    o.row("CPU time", &cpu);
    let workload = o.opt(r.workload.as_ref().map(super::workload::line), "cgroup");
    o.row("Workload", &workload);
    if let Some(state) = workload_state(&r.cgroup) {
        o.row("Cgroup state", &state);
    }
}

/// The workload's state on one line, under its Workload line: the
/// cgroup's working set against its limit, OOM kills, tasks against
/// pids.max, CPU throttling (each only when read; the details are in the
/// Memory section). None when nothing of it was read.
fn workload_state(c: &crate::analysis::inspect::Cgroup) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(ws) = c.working_set_bytes {
        parts.push(
            match c
                .memory_limit_bytes
                .and_then(|l| percent_of(ws, l).map(|pct| (l, pct)))
            {
                Some((l, pct)) => {
                    format!("working set {}, {pct:.0}% of its {} limit", iec(ws), iec(l))
                }
                None => format!("working set {}, no memory limit", iec(ws)),
            },
        );
    }
    let group = c
        .oom_group_kills
        .filter(|&g| g > 0)
        .map(|g| format!(" ({g} group)"))
        .unwrap_or_default();
    match c.oom_kills {
        Some(1) => parts.push(format!("1 OOM kill{group}")),
        Some(k) if k > 1 => parts.push(format!("{k} OOM kills{group}")),
        _ => {}
    }
    if let Some(x) = &c.pids {
        parts.push(match x.max {
            Some(m) => format!("{} of {m} tasks", x.current),
            None => format!("{} tasks", x.current),
        });
    }
    if let Some(pct) = c
        .cpu
        .as_ref()
        .filter(|x| x.quota_cpus.is_some())
        .and_then(|x| x.throttled_percent)
    {
        parts.push(format!("throttled in {pct:.0}% of CPU periods"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// RSS and its split, PSS, virtual, swap, peak, OOM score; then the cgroup.
fn section_memory(o: &mut Out<'_>) {
    let p = o.p;
    let r = o.r;
    o.heading("Memory");
    let m = &r.memory;
    let rss = m.rss_bytes.map(|rss| {
        let split = match (m.rss_anon_bytes, m.rss_file_bytes, m.rss_shmem_bytes) {
            (Some(a), Some(f), Some(s)) => {
                format!("   anon {}, file {}, shmem {}", iec(a), iec(f), iec(s))
            }
            _ => String::new(),
        };
        format!("{}{}", iec(rss), p.dim(&split))
    });
    let mem_section = if r.unavailable.iter().any(|u| u.section == "memory") {
        "memory"
    } else {
        "status"
    };
    let rss = o.field(rss, "memory.rss", mem_section);
    o.row("RSS", &rss);
    let pss = o.opt(m.pss_bytes.map(iec), "smaps_rollup");
    o.row("PSS", &pss);
    let v = o.field(m.vsize_bytes.map(iec), "memory.virtual", mem_section);
    o.row("Virtual", &v);
    let sw = o.field(m.swap_bytes.map(iec), "memory.swap", mem_section);
    o.row("Swap", &sw);
    let pk = o.field(m.peak_rss_bytes.map(iec), "memory.peak_rss", mem_section);
    o.row("Peak RSS", &pk);
    let oom = m.oom_score.map(|s| match m.oom_score_adj {
        Some(adj) if adj != 0 => format!("{s} (adj {adj})"),
        _ => s.to_string(),
    });
    let oom = o.opt(oom, "oom_score");
    o.row("OOM score", &oom);
    section_cgroup(o);
}

/// `, RSS at 42%` of a memory limit; nothing for an unknown RSS or a
/// limit of 0.
fn rss_share(rss: Option<u64>, limit: u64) -> String {
    rss.and_then(|rss| percent_of(rss, limit))
        .map(|pct| format!(", RSS at {pct:.0}%"))
        .unwrap_or_default()
}

/// The memory cgroup, its limit (and where it is set), usage and OOM kills.
fn section_cgroup(o: &mut Out<'_>) {
    let p = o.p;
    let r = o.r;
    let c = &r.cgroup;
    match (&c.version, &c.path) {
        (Some(ver), Some(path)) => {
            let ver = match ver {
                crate::reader::CgroupVersion::V1 => "v1",
                crate::reader::CgroupVersion::V2 => "v2",
            };
            o.row(
                "Cgroup",
                &format!("{} {}", path.display(), p.dim(&format!("(cgroup {ver})"))),
            );
            let limit = match (c.memory_limit_bytes, &c.memory_limit_path) {
                (Some(l), Some(at)) if at != path => {
                    let pct = rss_share(r.memory.rss_bytes, l);
                    format!(
                        "{}{pct} {}",
                        iec(l),
                        p.dim(&format!("(set on ancestor {})", at.display()))
                    )
                }
                (Some(l), _) => {
                    let pct = rss_share(r.memory.rss_bytes, l);
                    format!("{}{pct}", iec(l))
                }
                (None, _) => "unlimited".to_string(),
            };
            o.row("Memory limit", &limit);
            if let Some(u) = c.memory_usage_bytes {
                o.row(
                    "Cgroup usage",
                    &format!("{} {}", iec(u), p.dim("(includes page cache)")),
                );
            }
            if let Some(ws) = c.working_set_bytes {
                let pct = c
                    .memory_limit_bytes
                    .and_then(|l| percent_of(ws, l))
                    .map(|pct| format!(", {pct:.0}% of the limit"))
                    .unwrap_or_default();
                o.row(
                    "Working set",
                    &format!("{}{pct} {}", iec(ws), p.dim("(usage - inactive file)")),
                );
            }
            if let Some(k) = c.oom_kills {
                let group = c
                    .oom_group_kills
                    .map(|g| format!(" ({g} group)"))
                    .unwrap_or_default();
                o.row("OOM kills", &format!("{k}{group}"));
            }
            cgroup_pids_cpu(o, path);
        }
        _ => {
            let miss = o.missing("cgroup");
            o.row("Cgroup", &miss);
        }
    }
}

/// The pids and cpu cgroups (their path when not the memory cgroup's).
fn cgroup_pids_cpu(o: &mut Out<'_>, memory_path: &Text) {
    let p = o.p;
    let c = &o.r.cgroup;
    let at = |path: &Text| {
        if path == memory_path {
            String::new()
        } else {
            format!(" {}", p.dim(&format!("(cgroup {})", path.display())))
        }
    };
    if let Some(x) = &c.pids {
        let of = match (x.max, x.percent) {
            (Some(m), Some(pct)) => format!(" of {m} (pids.max, {pct:.0}%)"),
            _ => " (no pids.max)".to_string(),
        };
        o.row("Tasks", &format!("{}{of}{}", x.current, at(&x.path)));
    }
    if let Some(x) = &c.cpu {
        let quota = x
            .quota_cpus
            .map_or_else(|| "none".to_string(), |q| format!("{q:.2} CPU"));
        let throttled = match (x.throttled_percent, x.nr_periods, x.throttled_seconds) {
            (Some(pct), Some(n), Some(secs)) => {
                format!(", throttled in {pct:.0}% of {n} periods ({secs:.1} s lost)")
            }
            _ => String::new(),
        };
        o.row("CPU quota", &format!("{quota}{throttled}{}", at(&x.path)));
    }
}

/// The thread count and the largest groups of same-named threads.
fn section_threads(o: &mut Out<'_>) {
    let p = o.p;
    let r = o.r;
    o.heading("Threads");
    let t = o.opt(r.threads.map(|t| t.to_string()), "status");
    o.row("Count", &t);
    if r.thread_groups.len() > 1 || r.thread_groups.first().is_some_and(|g| g.count > 1) {
        for g in r.thread_groups.iter().take(5) {
            let _ = writeln!(o.s, "    {:<30} x{}", g.pattern.display(), g.count);
        }
        if r.thread_groups.len() > 5 {
            let _ = writeln!(
                o.s,
                "    {}",
                p.dim(&format!(
                    "... {} more name groups",
                    r.thread_groups.len() - 5
                ))
            );
        }
    }
}

/// Descriptors against their limits, by type, deleted ones.
fn section_fds(o: &mut Out<'_>) {
    let p = o.p;
    let r = o.r;
    o.heading("File descriptors");
    let f = &r.fds;
    let count = f.count.map(|c| match (f.soft_limit, f.usage_percent) {
        (Some(l), Some(pct)) => format!("{c} of {l} ({pct:.1}% of the soft limit)"),
        _ => c.to_string(),
    });
    let count = o.opt(count, "fds");
    o.row("Open", &count);
    let lim = match (f.soft_limit, f.hard_limit) {
        (Some(s), Some(h)) => Some(format!("soft {s}, hard {h}")),
        (None, None) if !r.unavailable.iter().any(|u| u.section == "limits") => {
            Some("unlimited".into())
        }
        (s, h) => {
            let fmt = |v: Option<u64>| v.map_or("unlimited".to_string(), |x| x.to_string());
            (s.is_some() || h.is_some()).then(|| format!("soft {}, hard {}", fmt(s), fmt(h)))
        }
    };
    let lim = o.opt(lim, "limits");
    o.row("Limit", &lim);
    if f.count.is_some() {
        let kinds: Vec<String> = f
            .by_type
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if !kinds.is_empty() {
            o.row("By type", &kinds.join(", "));
        }
        if !f.anon_kinds.is_empty() {
            let a: Vec<String> = f
                .anon_kinds
                .iter()
                .map(|(k, n)| format!("{} {n}", crate::text::escape_for_terminal(k.as_bytes())))
                .collect();
            o.row("Anon inodes", &a.join(", "));
        }
        if let Some(d) = f.deleted {
            let mut v = d.to_string();
            if let Some(first) = f.deleted_paths.first() {
                let _ = write!(v, "  {}", p.dim(&format!("e.g. {}", first.display())));
            }
            o.row("Deleted open", &v);
        }
    }
}

/// Sockets by protocol and TCP state, listening and bound addresses.
fn section_sockets(o: &mut Out<'_>) {
    let r = o.r;
    o.heading("Sockets");
    let s = &r.sockets;
    match s.count {
        Some(n) => {
            let protos: Vec<String> = s
                .by_protocol
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            o.row(
                "Count",
                &if protos.is_empty() {
                    n.to_string()
                } else {
                    format!("{n}  ({})", protos.join(", "))
                },
            );
            if !s.by_state.is_empty() {
                let st: Vec<String> = s.by_state.iter().map(|(k, v)| format!("{k} {v}")).collect();
                o.row("TCP states", &st.join(", "));
            }
            if !s.listening.is_empty() {
                o.row("Listening", &s.listening.join(", "));
            }
            if !s.udp_bound.is_empty() {
                o.row("UDP bound", &s.udp_bound.join(", "));
            }
            if !s.unix_listening.is_empty() {
                let u: Vec<String> = s.unix_listening.iter().map(|t| t.display()).collect();
                o.row("Unix listen", &u.join(", "));
            }
        }
        None => {
            let miss = o.missing("sockets");
            let miss = if r.unavailable.iter().any(|u| u.section == "sockets") {
                miss
            } else {
                o.missing("fds")
            };
            o.row("Count", &miss);
        }
    }
}

/// Voluntary and nonvoluntary switches, and what the mix suggests.
fn section_context_switches(o: &mut Out<'_>) {
    let r = o.r;
    o.heading("Context switches");
    let cs = &r.context_switches;
    match (cs.voluntary, cs.nonvoluntary) {
        (Some(v), Some(n)) => {
            o.row("Voluntary", &v.to_string());
            o.row("Nonvoluntary", &n.to_string());
            if let Some(i) = switch_interpretation(v, n) {
                o.row("Suggests", &i);
            }
        }
        _ => {
            let miss = o.field(None, "context_switches", "status");
            o.row("Voluntary", &miss);
        }
    }
}

/// Storage and syscall I/O.
fn section_io(o: &mut Out<'_>) {
    let r = o.r;
    o.heading("I/O");
    let io = &r.io;
    match (io.read_bytes, io.write_bytes) {
        (Some(rb), Some(wb)) => {
            o.row("Storage", &format!("read {}, written {}", iec(rb), iec(wb)));
            if let (Some(rc), Some(wc), Some(sr), Some(sw)) =
                (io.rchar, io.wchar, io.read_syscalls, io.write_syscalls)
            {
                o.row(
                    "Syscalls",
                    &format!("{sr} reads ({}), {sw} writes ({})", iec(rc), iec(wc)),
                );
            }
        }
        _ => {
            let miss = o.missing("io");
            o.row("Storage", &miss);
        }
    }
}

/// How many environment variables (the values: `proctor env`).
fn section_environment(o: &mut Out<'_>) {
    let p = o.p;
    let r = o.r;
    o.heading("Environment");
    let env = o.opt(
        r.environment.count.map(|c| {
            let (least, cut) = match &r.environment.truncated {
                Some(t) => (
                    "at least ",
                    format!(
                        " {}",
                        p.warning(&format!("[{}]", truncation_note("environment", t)))
                    ),
                ),
                None => ("", String::new()),
            };
            format!(
                "{least}{c} variable{}{cut} {}",
                if c == 1 { "" } else { "s" },
                p.dim(&format!("(values: proctor env {})", r.pid))
            )
        }),
        "environment",
    );
    o.row("Variables", &env);
}

/// The findings, most severe first, with their next command.
fn section_findings(o: &mut Out<'_>) {
    let p = o.p;
    let r = o.r;
    o.heading("Findings");
    if r.findings.is_empty() {
        if r.incomplete.is_some() {
            let _ = writeln!(
                o.s,
                "  {}",
                p.warning(
                    "nothing wrong found in what could be read (checks incomplete, see the top)"
                )
            );
        } else {
            let _ = writeln!(o.s, "  {}", p.good("nothing wrong found"));
        }
    }
    for f in &r.findings {
        let tag = match f.severity {
            Severity::Critical => p.critical("CRITICAL"),
            Severity::Warning => p.warning("WARNING "),
            Severity::Info => p.info("INFO    "),
        };
        let _ = writeln!(
            o.s,
            "  {tag} {}  {}",
            findings::message(f),
            p.dim(&format!("[{}]", f.id))
        );
        if let Some(next) = findings::next(f) {
            let _ = writeln!(o.s, "           {}", p.dim(&format!("next: {next}")));
        }
    }
}

/// One line per distinct reason a section could not be read.
fn section_could_not_read(o: &mut Out<'_>) {
    let p = o.p;
    let r = o.r;
    if !r.unavailable.is_empty() {
        o.heading("Could not read");
        // One line per distinct reason, naming the sections it hides.
        let mut seen: Vec<(String, Vec<&str>, Option<&str>)> = Vec::new();
        for u in &r.unavailable {
            let key = match u.reason {
                "permission_denied" => "permission denied".to_string(),
                _ => super::unavailable::detail(&u.detail),
            };
            match seen.iter_mut().find(|(d, _, _)| *d == key) {
                Some((_, secs, _)) => secs.push(u.section),
                None => seen.push((key, vec![u.section], u.hint)),
            }
        }
        for (detail, secs, hint) in seen {
            let _ = writeln!(
                o.s,
                "  {}: {}",
                secs.join(", "),
                crate::text::escape_for_terminal(detail.as_bytes())
            );
            if let Some(h) = hint {
                let _ = writeln!(o.s, "    {}", p.dim(&format!("hint: {h}")));
            }
        }
    }
}
