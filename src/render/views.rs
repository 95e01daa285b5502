//! Human rendering of the resource views: fds, net, env, maps, threads.

use std::fmt::Write as _;

use super::style::Palette;
use super::table::{Align, Table};
use super::units::iec;
use crate::analysis::env::EnvReport;
use crate::analysis::fds::{FdsReport, Lookup, SocketDetail};
use crate::analysis::maps::{MapsReport, Sum};
use crate::analysis::net::{Addr, Backlog, NetReport};
use crate::analysis::threads::ThreadsReport;
use crate::text::{Text, escape_for_terminal};

fn title(p: Palette, cmd: &str, pid: i32, name: &Text, rest: &str) -> String {
    format!(
        "{} {pid} ({}) {}\n",
        p.heading(&format!("proctor {cmd}")),
        name.display(),
        p.dim(rest)
    )
}

pub fn fds(r: &FdsReport, name: &Text, long: bool, p: Palette) -> String {
    let mut s = String::new();
    fds_into(&mut s, r, name, long, p, &mut |_| {});
    s
}

/// [`fds`] at the end of `s`; `spill(s)` may write away and clear what
/// is gathered so far (every 64 KiB of rows): `proctor fds` streams
/// 20,000 rows to stdout instead of holding them.
pub fn fds_into(
    s: &mut String,
    r: &FdsReport,
    name: &Text,
    long: bool,
    p: Palette,
    spill: &mut dyn FnMut(&mut String),
) {
    let limit = match (r.soft_limit, r.usage_percent) {
        (Some(l), Some(pct)) => format!(
            "- {} of {l} descriptors ({pct:.1}% of the soft limit)",
            r.count
        ),
        _ => format!("- {} descriptors", r.count),
    };
    s.push_str(&title(p, "fds", r.pid, name, &limit));
    let kinds: Vec<String> = r
        .by_type
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let _ = writeln!(s, "  {}", kinds.join(", "));
    for u in &r.unavailable {
        let what = if u.section == "sockets" {
            "socket details unknown (shown as socket:[inode])"
        } else {
            "limit unknown"
        };
        let _ = writeln!(
            s,
            "  {}",
            p.warning(&format!(
                "{what}: {} ({})",
                super::unavailable::detail(&u.detail),
                u.reason
            ))
        );
    }
    if !r.dirs_marked && r.by_type.get("file").is_some_and(|&n| n > 0) {
        let _ = writeln!(
            s,
            "  {}",
            p.dim("directories are counted as files: --long (or --type dir) tells them apart")
        );
    }
    if r.unreadable > 0 {
        let _ = writeln!(
            s,
            "  {}",
            p.warning(&format!(
                "{} descriptor link(s) could not be read (type unreadable, reason in TARGET)",
                r.unreadable
            ))
        );
    }
    if r.deleted > 0 {
        let _ = writeln!(
            s,
            "  {}",
            p.warning(&format!(
                "{} deleted file(s) still open (marked DEL)",
                r.deleted
            ))
        );
    }
    s.push('\n');
    let mut cols = vec![("FD", Align::Right), ("TYPE", Align::Left)];
    if long {
        cols.extend([
            ("MODE", Align::Left),
            ("POS", Align::Right),
            ("FLAGS", Align::Left),
        ]);
    }
    cols.push(("TARGET", Align::Left));
    if r.fds.is_empty() {
        let _ = writeln!(s, "  {}", p.dim("no descriptors of the requested type"));
        return;
    }
    // Written straight into the output, not kept in a table first: at
    // 20,000 rows every copy of the text costs page faults.
    Table::render_virtual(
        s,
        &cols,
        r.fds.len(),
        |h| p.heading(h),
        |i, col, out| {
            let f = &r.fds[i];
            // Columns: FD, TYPE, [MODE, POS, FLAGS,] TARGET.
            let col = if long || col < 2 { col } else { 5 };
            match col {
                0 => {
                    let _ = write!(out, "{}", f.fd);
                }
                1 => match f.anon_kind() {
                    Some(k) => {
                        out.push_str("anon:");
                        crate::text::escape_into(out, k.as_bytes());
                    }
                    None => out.push_str(f.kind.as_str()),
                },
                // With --long, fdinfo applies to every descriptor: a value
                // missing (fdinfo unreadable, or not a valid number) is
                // unknown, `?`; `-` is only "no notable flags".
                2 => out.push_str(f.mode().unwrap_or("?")),
                3 => match f.pos() {
                    Some(x) => {
                        let _ = write!(out, "{x}");
                    }
                    None => out.push('?'),
                },
                4 => match f.flags() {
                    Some(v) if !v.is_empty() => out.push_str(&v.join(",")),
                    Some(_) => out.push('-'),
                    None => out.push('?'),
                },
                _ => {
                    if let Some(err) = f.error() {
                        out.push_str(&p.warning(&format!("(unreadable: {err})")));
                    } else if f.deleted {
                        let _ = write!(out, "{}  {}", f.target.display(), p.warning("DEL"));
                    } else if let Some(d) = &f.socket {
                        socket_target(out, d, &f.target, p);
                    } else {
                        crate::text::escape_into(out, f.target.as_bytes());
                    }
                }
            }
        },
        spill,
    );
}

/// A socket as lsof names it: `TCP 127.0.0.1:5432->127.0.0.1:40112
/// (ESTABLISHED)`, `TCP *:8080 (LISTEN)`, `UDP 127.0.0.1:53`, `UNIX
/// /run/x.sock (LISTEN)`, `UNIX (unnamed) peer fd 7`, `NETLINK ROUTE`;
/// the link text when the socket is in no table read. Unix names are the
/// process's text: escaped.
fn socket_target(s: &mut String, d: &SocketDetail, link: &Text, p: Palette) {
    let more = d.more.as_deref();
    let Some(proto) = d.proto.filter(|_| d.lookup == Lookup::Found) else {
        if let Some(k) = more.and_then(|m| m.kernel_protocol.as_ref()) {
            crate::text::escape_into(s, k.as_bytes());
            s.push(' ');
        }
        crate::text::escape_into(s, link.as_bytes());
        let why = match d.proto {
            Some(proto) => format!(" ({proto}: its table line did not parse)"),
            None => " (not in the namespace's tables)".to_string(),
        };
        s.push_str(&p.dim(&why));
        return;
    };
    let inet = |s: &mut String, a: &Option<Addr>| match a {
        Some(Addr::Inet(a)) if a.ip().is_unspecified() => {
            let _ = write!(s, "*:{}", a.port());
        }
        Some(a) => a.write_to(s),
        None => s.push('?'),
    };
    match proto {
        "unix" => {
            s.push_str("UNIX ");
            match &d.local {
                Some(a) => a.write_to(s),
                None => s.push_str("(unnamed)"),
            }
            if let Some(t) = more.and_then(|m| m.unix_type).filter(|&t| t != "stream") {
                let _ = write!(s, " type={}", t.to_ascii_uppercase());
            }
            match (
                more.and_then(|m| m.peer_fd),
                more.and_then(|m| m.peer_inode),
            ) {
                (Some(fd), _) => {
                    let _ = write!(s, " peer fd {fd}");
                }
                (None, Some(i)) => {
                    let _ = write!(s, " peer socket:[{i}]");
                }
                _ => {}
            }
            if d.state == Some("LISTEN") {
                s.push_str(" (LISTEN)");
            }
        }
        "netlink" => {
            s.push_str("NETLINK");
            if let Some(n) = more.and_then(|m| m.netlink.as_ref()) {
                let _ = write!(s, " {n}");
            }
        }
        _ => {
            let name = match proto {
                "tcp" | "tcp6" => "TCP",
                "udp" | "udp6" => "UDP",
                _ => "RAW",
            };
            let _ = write!(s, "{name} ");
            inet(s, &d.local);
            if d.remote.is_some() {
                s.push_str("->");
                inet(s, &d.remote);
            }
            if name == "TCP" {
                let _ = write!(s, " ({})", d.state.unwrap_or("?"));
            }
        }
    }
}

pub fn net(r: &NetReport, name: &Text, p: Palette) -> String {
    let mut s = if r.scope == "namespace" {
        let mut s = title(
            p,
            "net",
            r.pid,
            name,
            &format!("- {} sockets in its network namespace", r.count),
        );
        let _ = writeln!(
            s,
            "  {}",
            p.warning(
                "its descriptors are unreadable (permission denied): these are ALL sockets of its network namespace, not only its own; fds unknown"
            )
        );
        let _ = writeln!(
            s,
            "  {}",
            p.dim("hint: run as root or as the process's owner to see only its sockets")
        );
        s
    } else {
        title(
            p,
            "net",
            r.pid,
            name,
            &format!(
                "- {} sockets, read in the process's own network namespace",
                r.count
            ),
        )
    };
    let protos: Vec<String> = r
        .by_protocol
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !protos.is_empty() {
        let _ = writeln!(s, "  {:<11}{}", "protocols", protos.join(", "));
    }
    if !r.by_state.is_empty() {
        let st: Vec<String> = r.by_state.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(s, "  {:<11}{}", "tcp states", st.join(", "));
    }
    if !r.listening.is_empty() {
        let _ = writeln!(s, "  {:<11}{}", "listening", r.listening.join(", "));
    }
    if r.close_wait > 0 {
        let _ = writeln!(
            s,
            "  {}",
            p.warning(&format!(
                "{} in CLOSE_WAIT: the peer closed and this process never called close(); usually a socket leak",
                r.close_wait
            ))
        );
    }
    if r.sockets.iter().any(|k| !k.backlog.is_none()) {
        let unknown = r.sockets.iter().any(|k| k.backlog == Backlog::Unknown);
        let _ = writeln!(
            s,
            "  {}",
            p.dim(&format!(
                "TCP LISTEN rows (as ss -lt): RECV-Q is the accept queue (connections not yet accepted), SEND-Q the backlog (the most it holds){}",
                if unknown {
                    "; ? = unknown (read from /proc/net/tcp, which does not carry it)"
                } else {
                    ""
                }
            ))
        );
    }
    s.push('\n');
    let mut t = Table::new(&[
        ("FD", Align::Right),
        ("PROTO", Align::Left),
        ("LOCAL", Align::Left),
        ("REMOTE", Align::Left),
        ("STATE", Align::Left),
        ("RECV-Q", Align::Right),
        ("SEND-Q", Align::Right),
        ("INODE", Align::Right),
    ]);
    for k in &r.sockets {
        let dash_or = |t: &mut Table, v: Option<u64>| match v {
            Some(x) => t.cell_fmt(format_args!("{x}")),
            None => t.cell("-"),
        };
        dash_or(&mut t, k.fd.map(|f| f as u64));
        t.cell(k.proto);
        for a in [&k.local, &k.remote] {
            match a {
                Some(a) => t.cell_with(|s| a.write_to(s)),
                None => t.cell("-"),
            }
        }
        t.cell(k.state);
        dash_or(&mut t, k.rx_queue);
        // A TCP listener's Send-Q is its backlog, as `ss -lt` shows it.
        match k.backlog {
            Backlog::None => dash_or(&mut t, k.tx_queue),
            Backlog::Known(b) => t.cell_fmt(format_args!("{b}")),
            Backlog::Unknown => t.cell("?"),
        }
        t.cell_fmt(format_args!("{}", k.inode));
    }
    if t.is_empty() {
        let _ = writeln!(s, "  {}", p.dim("no sockets match"));
    } else {
        s.push_str(&t.render(0, |h| p.heading(h)));
    }
    s
}

pub fn env(r: &EnvReport, name: &Text, p: Palette) -> String {
    let masked = if r.revealed {
        "values revealed".to_string()
    } else if r.masked.is_empty() {
        "no value masked".to_string()
    } else {
        format!("{} masked as **** (--reveal to show)", r.masked.len())
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}",
        p.dim(&format!(
            "# proctor env {} ({}): {} variables, {masked}",
            r.pid,
            name.display(),
            r.count
        ))
    );
    let _ = writeln!(s, "{}", p.dim(&format!("# note: {ENV_NOTE}")));
    if let Some(t) = &r.truncated {
        let _ = writeln!(
            s,
            "{}",
            p.warning(&format!(
                "# {}: the variables after the cut are not shown, the last one shown may be cut",
                super::inspect::truncation_note("environment", t)
            ))
        );
    }
    if !r.duplicates.is_empty() {
        let d: Vec<String> = r
            .duplicates
            .iter()
            .map(|n| escape_for_terminal(n.as_bytes()))
            .collect();
        let _ = writeln!(
            s,
            "{}",
            p.dim(&format!(
                "# set more than once (getenv() returns the first): {}",
                d.join(", ")
            ))
        );
    }
    for e in &r.entries {
        match &e.value {
            Some(v) => {
                let val = if e.masked && v.as_bytes() == crate::analysis::env::MASK.as_bytes() {
                    p.dim(&v.display())
                } else {
                    v.display()
                };
                let _ = writeln!(s, "{}={val}", e.name.display());
            }
            None => {
                let _ = writeln!(
                    s,
                    "{}  {}",
                    e.name.display(),
                    p.dim("(no '=' in this entry)")
                );
            }
        }
    }
    s
}

pub fn maps(r: &MapsReport, name: &Text, p: Palette) -> String {
    let mut s = maps_summary(r, name, p);
    s.push('\n');
    s.push_str(&maps_by_kind(r, p));
    if !r.by_object.is_empty() {
        s.push('\n');
        s.push_str(&maps_by_object(r, p));
    }
    s.push('\n');
    maps_rows(&mut s, r, p);
    s
}

/// The title with the mapping count against `vm.max_map_count`, the
/// totals, and what could not be read.
fn maps_summary(r: &MapsReport, name: &Text, p: Palette) -> String {
    let cap = match r.max_map_count {
        Some(m) => format!(
            "- {} mappings of vm.max_map_count {m} ({:.1}%)",
            r.mapping_count,
            r.mapping_count as f64 * 100.0 / m.max(1) as f64
        ),
        None => format!("- {} mappings", r.mapping_count),
    };
    let mut s = title(p, "maps", r.pid, name, &cap);
    let total = |v: &Sum| match (v.value(), v.at_least()) {
        (Some(b), _) => iec(b),
        (None, Some(b)) => format!("at least {}", iec(b)),
        (None, None) => "?".into(),
    };
    let _ = writeln!(
        s,
        "  total      size {}, rss {}, pss {}, swap {}  {}",
        total(&r.total.size),
        total(&r.total.rss),
        total(&r.total.pss),
        total(&r.total.swap),
        p.dim(&format!("(from {})", r.total_source))
    );
    for u in &r.unavailable {
        let _ = writeln!(
            s,
            "  {}",
            p.warning(&format!(
                "{} {}: {}",
                u.section,
                u.reason,
                super::unavailable::detail(&u.detail)
            ))
        );
    }
    s
}

/// Totals by kind of mapping, most RSS first.
fn maps_by_kind(r: &MapsReport, p: Palette) -> String {
    let mut k = Table::new(&[
        ("KIND", Align::Left),
        ("MAPPINGS", Align::Right),
        ("SIZE", Align::Right),
        ("RSS", Align::Right),
        ("PSS", Align::Right),
        ("SWAP", Align::Right),
    ]);
    let mut kinds: Vec<_> = r.by_kind.iter().collect();
    kinds.sort_by_key(|k| std::cmp::Reverse(k.1.rss.known));
    for (name, t) in kinds {
        k.row(vec![
            name.to_string(),
            t.mappings.to_string(),
            sum_cell(&t.size),
            sum_cell(&t.rss),
            sum_cell(&t.pss),
            sum_cell(&t.swap),
        ]);
    }
    k.render(2, |h| p.heading(h))
}

/// The ten objects (files) with the most RSS, and how many more.
fn maps_by_object(r: &MapsReport, p: Palette) -> String {
    let mut o = Table::new(&[
        ("RSS", Align::Right),
        ("PSS", Align::Right),
        ("MAPS", Align::Right),
        ("OBJECT", Align::Left),
    ]);
    for ob in r.by_object.iter().take(10) {
        o.row(vec![
            sum_cell(&ob.totals.rss),
            sum_cell(&ob.totals.pss),
            ob.totals.mappings.to_string(),
            ob.path.display(),
        ]);
    }
    let mut s = o.render(2, |h| p.heading(h));
    if r.by_object.len() > 10 {
        let _ = writeln!(
            s,
            "  {}",
            p.dim(&format!("... {} more objects", r.by_object.len() - 10))
        );
    }
    s
}

/// One line per mapping (as many as kept), then how many were left out.
fn maps_rows(s: &mut String, r: &MapsReport, p: Palette) {
    // Rows are written straight out (no table of cells: 65,000 mappings
    // would mean half a million small strings).
    let w_addr = r
        .mappings
        .iter()
        .map(|m| hex_width(m.0.end))
        .max()
        .unwrap_or(12)
        .max(12);
    let w_num = r
        .mappings
        .iter()
        .map(|m| kib(m.0.size).len().max(kib(m.0.rss).len()))
        .max()
        .unwrap_or(4)
        .max(4);
    let header = format!(
        "{:<aw$}  PERM  {:>nw$}  {:>nw$}  {:>nw$}  {:>nw$}  {:>nw$}  MAPPING",
        "ADDRESS",
        "SIZE",
        "RSS",
        "PSS",
        "SWAP",
        "ANON",
        aw = 2 * w_addr + 1,
        nw = w_num
    );
    let _ = writeln!(s, "{}", p.heading(&header));
    s.reserve(r.mappings.len() * (2 * w_addr + 6 * w_num + 40));
    for row in &r.mappings {
        let m = row.0;
        let what = if m.path.is_empty() {
            p.dim("[anon]")
        } else {
            escape_for_terminal(&m.path)
        };
        let _ = writeln!(
            s,
            "{:0>aw$x}-{:0>aw$x}  {}  {:>nw$}  {:>nw$}  {:>nw$}  {:>nw$}  {:>nw$}  {what}",
            m.start,
            m.end,
            // Four bytes of smaps: kernel-formatted on a real /proc, anything
            // in a crafted --proc-root (`\e[2J` fits).
            escape_for_terminal(&m.perms),
            kib(m.size),
            kib(m.rss),
            kib(m.pss),
            kib(m.swap),
            kib(m.anonymous),
            aw = w_addr,
            nw = w_num
        );
    }
    if (r.mappings.len() as u64) < r.mapping_count {
        let _ = writeln!(
            s,
            "{}",
            p.dim(&format!(
                "... {} of {} mappings shown",
                r.mappings.len(),
                r.mapping_count
            ))
        );
    }
}

/// A total in a table cell: exact, `>=N` when some values it sums are
/// unknown, `?` when it passed u64.
fn sum_cell(v: &Sum) -> String {
    match (v.value(), v.at_least()) {
        (Some(b), _) => iec(b),
        (None, Some(b)) => format!(">={}", iec(b)),
        (None, None) => "?".into(),
    }
}

fn hex_width(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).div_ceil(4).max(1)
}

/// Per-mapping sizes in KiB, like pmap -x (exact, comparable down a
/// column); `?` when the value is unknown (missing or not a number).
fn kib(b: Option<u64>) -> String {
    match b {
        None => "?".into(),
        Some(0) => "0".into(),
        Some(b) => format!("{}K", b / 1024),
    }
}

pub fn threads(r: &ThreadsReport, name: &Text, p: Palette) -> String {
    let st: Vec<String> = r.states.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let mut s = title(
        p,
        "threads",
        r.pid,
        name,
        &format!("- {} threads ({})", r.count, st.join(", ")),
    );
    if r.groups.len() > 1 || r.groups.first().is_some_and(|g| g.count > 1) {
        let _ = writeln!(s, "  {}", p.heading("name groups"));
        for g in r.groups.iter().take(10) {
            let _ = writeln!(s, "    {:<32} x{}", g.pattern.display(), g.count);
        }
        if r.groups.len() > 10 {
            let _ = writeln!(
                s,
                "    {}",
                p.dim(&format!("... {} more groups", r.groups.len() - 10))
            );
        }
    }
    s.push('\n');
    let mut t = Table::new(&[
        ("TID", Align::Right),
        ("STATE", Align::Left),
        ("CPU", Align::Right),
        ("VOLUNTARY", Align::Right),
        ("NONVOLUNTARY", Align::Right),
        ("NAME", Align::Left),
    ]);
    for th in &r.threads {
        t.row(vec![
            th.tid.to_string(),
            th.state.clone(),
            format!("{:.2}s", th.cpu_seconds),
            // Unknown (unreadable or not a number), never "does not apply".
            th.voluntary_ctxt_switches
                .map_or("?".into(), |v| v.to_string()),
            th.nonvoluntary_ctxt_switches
                .map_or("?".into(), |v| v.to_string()),
            th.name.display(),
        ]);
    }
    s.push_str(&t.render(0, |h| p.heading(h)));
    s
}

/// What `env` shows: the environment the process started with.
pub const ENV_NOTE: &str = "this is the environment the process started with (/proc/PID/environ); changes it made later are not visible";

/// The `note` of `env --json`: [`ENV_NOTE`].
impl serde::Serialize for crate::analysis::env::StartEnvironmentNote {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(ENV_NOTE)
    }
}
