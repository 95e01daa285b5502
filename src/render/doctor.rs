//! `doctor`'s human report: a host line, the findings grouped by workload
//! (the host's first, then each workload's, ordered by its most severe
//! finding; inside, most severe first: process, evidence, next command),
//! what was skipped, how long it took.

use std::time::Duration;

use super::findings;
use crate::analysis::doctor::{DoctorFinding, DoctorReport, Owner};
use crate::analysis::findings::Severity;
use crate::reader::{HostFacts, Scan};
use crate::render::style::Palette;

/// The report; `sections` (other checks' words, such as the recent OOM
/// kills) goes after the findings, before the footer.
#[allow(clippy::too_many_arguments)]
pub fn render(
    r: &DoctorReport,
    host: &HostFacts,
    scan: &Scan,
    all: bool,
    took: Duration,
    as_root: bool,
    p: Palette,
    sections: &str,
) -> String {
    let mut s = String::new();
    let count = |sev: Severity| {
        r.findings
            .iter()
            .filter(|f| f.finding.severity == sev)
            .count()
    };
    let (crit, warn, info) = (
        count(Severity::Critical),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let head = if crit + warn == 0 && r.incomplete.is_some() {
        p.warning("No problems found in what could be read")
    } else if crit + warn == 0 {
        p.good("No problems found")
    } else {
        let mut parts = Vec::new();
        if crit > 0 {
            parts.push(p.critical(&format!("{crit} critical")));
        }
        if warn > 0 {
            parts.push(p.warning(&format!(
                "{warn} warning{}",
                if warn == 1 { "" } else { "s" }
            )));
        }
        parts.join(", ")
    };
    s.push_str(&format!(
        "{} {head} on {} processes",
        p.heading("proctor doctor:"),
        r.host.processes
    ));
    if info > 0 {
        if all {
            s.push_str(&format!(
                "; {info} note{}",
                if info == 1 { "" } else { "s" }
            ));
        } else {
            s.push_str(&format!(
                "; {info} note{} not shown (--all)",
                if info == 1 { "" } else { "s" }
            ));
        }
    }
    s.push('\n');
    if let Some(inc) = &r.incomplete {
        s.push_str(&p.warning(&super::incomplete::line(inc)));
        s.push('\n');
    }
    for l in super::top::host_line(host, scan, p) {
        s.push_str("  ");
        s.push_str(&l);
        s.push('\n');
    }
    let shown: Vec<_> = r
        .findings
        .iter()
        .filter(|f| all || f.finding.severity >= Severity::Warning)
        .collect();
    s.push_str(&grouped(shown, p));
    s.push_str(sections);
    let sk = r.skipped;
    if sk.exited + sk.permission_denied + sk.unreadable + sk.read_errors > 0 {
        let mut unreadable = if sk.unreadable > 0 {
            format!("; {} not readable at all", sk.unreadable)
        } else {
            String::new()
        };
        if sk.read_errors > 0 {
            unreadable.push_str(&format!("; {} with read errors", sk.read_errors));
        }
        s.push_str(&format!(
            "\nSkipped: {} exited while being read{unreadable}; {} partly unreadable (permission denied{}).\n",
            sk.exited,
            sk.permission_denied,
            if as_root {
                ""
            } else {
                "; run as root to see every process"
            }
        ));
    }
    let sampled = r
        .host
        .sampled_seconds
        .map(|x| format!(" (two scans {x:.1}s apart)"))
        .unwrap_or_default();
    s.push_str(&p.dim(&format!(
        "\nChecked {} processes in {:.2}s{sampled}.\n",
        r.host.processes,
        took.as_secs_f64()
    )));
    s
}

/// The heading of one group of findings: `Host`, the workload on one
/// line, or a process of unknown workload.
fn heading(o: Owner<'_>) -> String {
    match o {
        Owner::Host => "Host".to_string(),
        Owner::Workload(w) => super::workload::line(w),
        Owner::Unknown => "Workload unknown (its /proc/PID/cgroup was not read)".to_string(),
    }
}

/// The findings shown, under one heading per workload, each after a
/// blank line.
fn grouped(shown: Vec<&DoctorFinding>, p: Palette) -> String {
    let mut s = String::new();
    for g in crate::analysis::doctor::by_workload(shown) {
        s.push('\n');
        s.push_str(&p.heading(&heading(g.owner)));
        s.push('\n');
        for DoctorFinding {
            name, finding: f, ..
        } in g.findings
        {
            let label = match f.severity {
                Severity::Critical => p.critical("CRITICAL"),
                Severity::Warning => p.warning("WARNING "),
                Severity::Info => p.info("info    "),
            };
            let who = match (f.pid, name) {
                (Some(pid), Some(n)) => format!("{pid} {}", n.display()),
                (Some(pid), None) => pid.to_string(),
                _ => "host".to_string(),
            };
            s.push_str(&format!(
                "  {label}  {}  {}\n            {}\n",
                p.heading(&who),
                p.dim(f.id),
                findings::message(f)
            ));
            if let Some(n) = findings::next(f) {
                s.push_str(&format!("            next: {n}\n"));
            }
        }
    }
    s
}
