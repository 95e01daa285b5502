//! `proctor who`'s words: the sockets on a port with their holders, the
//! processes holding a path, the deleted files held open with the space
//! they hold, what could not be checked, and the errors of its argument.

use std::fmt::Write as _;

use super::style::Palette;
use super::table::{Align, Table};
use super::units::iec;
use crate::analysis::net::Backlog;
use crate::analysis::who::{DeletedReport, Gaps, Holder, PathReport, PortReport, Side};
use crate::parse::who::{TargetError, Transport};
use crate::text::escape_for_terminal;

/// The lookup as the user would type it: `tcp:127.0.0.1:8080`, `:53`.
pub fn port_query(r: &PortReport) -> String {
    let t = match r.transport {
        Some(Transport::Tcp) => "tcp:",
        Some(Transport::Udp) => "udp:",
        None => "",
    };
    match &r.address {
        Some(a) if a.contains(':') => format!("{t}[{a}]:{}", r.port),
        Some(a) => format!("{t}{a}:{}", r.port),
        None if t.is_empty() => format!(":{}", r.port),
        None => format!("{t}{}", r.port),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn side(s: Side) -> &'static str {
    match s {
        Side::Local => "local",
        Side::Remote => "remote",
        Side::Both => "both",
    }
}

fn user(h: &Holder) -> String {
    match (&h.user, h.uid) {
        (Some(u), _) => u.display(),
        (None, Some(uid)) => uid.to_string(),
        (None, None) => "?".into(),
    }
}

fn access(h: &Holder) -> String {
    match h.fd {
        Some(fd) => fd.to_string(),
        None => h.access.to_string(),
    }
}

fn workload(h: &Holder) -> String {
    h.workload
        .as_ref()
        .map_or_else(String::new, super::workload::line)
}

/// `who :PORT`: one row per socket and holder; a socket nobody holds is
/// one row marked so.
pub fn port(r: &PortReport, p: Palette) -> String {
    let q = port_query(r);
    let mut s = String::new();
    if r.sockets.is_empty() {
        let _ = writeln!(
            s,
            "{} {}",
            p.heading(&format!("proctor who {q}")),
            p.dim(&format!(
                "- no socket on port {} in {} read",
                r.port,
                plural(r.namespaces, "network namespace", "network namespaces")
            ))
        );
        s.push_str(&gaps(&r.incomplete, p));
        return s;
    }
    let held = r.sockets.iter().filter(|x| !x.holders.is_empty()).count();
    let _ = writeln!(
        s,
        "{} {}",
        p.heading(&format!("proctor who {q}")),
        p.dim(&format!(
            "- {} ({held} held by a process), {} read",
            plural(r.sockets.len(), "socket", "sockets"),
            plural(r.namespaces, "network namespace", "network namespaces")
        ))
    );
    let mut t = Table::new(&[
        ("PROTO", Align::Left),
        ("LOCAL", Align::Left),
        ("REMOTE", Align::Left),
        ("STATE", Align::Left),
        ("MATCH", Align::Left),
        ("RECV-Q", Align::Right),
        ("SEND-Q", Align::Right),
        ("NETNS", Align::Left),
        ("PID", Align::Right),
        ("USER", Align::Left),
        ("NAME", Align::Left),
        ("FD", Align::Right),
        ("WORKLOAD", Align::Left),
    ]);
    for row in &r.sockets {
        let ns = match (row.netns_host, row.netns) {
            (true, _) => "host".to_string(),
            (false, Some(i)) => i.to_string(),
            (false, None) => "?".into(),
        };
        let head = [
            row.proto.to_string(),
            row.local.clone(),
            row.remote.clone(),
            row.state.to_string(),
            side(row.matched).to_string(),
            row.recv_q.to_string(),
            // A TCP listener's SEND-Q is its backlog, as `ss -lt` shows.
            match row.backlog {
                Backlog::None => row.send_q.to_string(),
                Backlog::Known(n) => n.to_string(),
                Backlog::Unknown => "?".into(),
            },
            ns,
        ];
        if row.holders.is_empty() {
            let mut cells = head.to_vec();
            cells.extend(["-".into(), "-".into(), "(no process)".into(), "-".into()]);
            t.row(cells);
        }
        for h in &row.holders {
            let mut cells = head.to_vec();
            cells.extend([
                h.pid.to_string(),
                user(h),
                h.name.display(),
                access(h),
                workload(h),
            ]);
            t.row(cells);
        }
    }
    s.push_str(&t.render(2, |h| p.heading(h)));
    if r.sockets
        .iter()
        .any(|x| x.listening && x.proto.starts_with("tcp"))
    {
        let _ = writeln!(
            s,
            "  {}",
            p.dim("for a TCP listener RECV-Q is the accept queue (connections not yet accepted) and SEND-Q its backlog")
        );
    }
    if r.sockets.iter().any(|x| x.holders.is_empty()) {
        let _ = writeln!(
            s,
            "  {}",
            p.dim("(no process): a socket no descriptor holds (TIME_WAIT, or closed and still draining), as ss lists it")
        );
    }
    s.push_str(&gaps(&r.incomplete, p));
    s
}

/// `who PATH`: one row per process and way of holding it.
pub fn path(r: &PathReport, p: Palette) -> String {
    let what = match &r.mount {
        Some(m) => format!("the mount {}", m.display()),
        None => r.path.display(),
    };
    let mut s = String::new();
    let rest = if r.hits.is_empty() {
        if r.mount.is_some() {
            "- no process holds anything on it".to_string()
        } else if r.directory {
            "- no process holds it or anything under it".to_string()
        } else {
            "- no process holds it".to_string()
        }
    } else {
        format!(
            "- {} by {}",
            plural(r.hits.len(), "hold", "holds"),
            plural(r.processes, "process", "processes")
        )
    };
    let _ = writeln!(
        s,
        "{} {}",
        p.heading(&format!("proctor who {what}")),
        p.dim(&rest)
    );
    if !r.hits.is_empty() {
        let mut t = Table::new(&[
            ("PID", Align::Right),
            ("USER", Align::Left),
            ("NAME", Align::Left),
            ("FD", Align::Right),
            ("PATH", Align::Left),
            ("WORKLOAD", Align::Left),
        ]);
        for h in &r.hits {
            t.cell(&h.holder.pid.to_string());
            t.cell(&user(&h.holder));
            t.cell(&h.holder.name.display());
            t.cell(&access(&h.holder));
            t.cell_with(|b| {
                crate::text::escape_into(b, h.path.as_bytes());
                if h.deleted {
                    b.push_str(" (deleted)");
                }
            });
            t.cell(&workload(&h.holder));
        }
        s.push_str(&t.render(2, |h| p.heading(h)));
        let _ = writeln!(
            s,
            "  {}",
            p.dim("FD: a descriptor number, or cwd (working directory), rtd (root directory), txt (program), mem (mapped file)")
        );
    }
    s.push_str(&gaps(&r.incomplete, p));
    s
}

/// `who --deleted`: largest first, each file once with every holder.
pub fn deleted(r: &DeletedReport, p: Palette) -> String {
    let mut s = String::new();
    let n = r.files.len() + r.size_unknown.len();
    let held = match (r.total_size, r.total_allocated) {
        (Some(t), Some(a)) => format!("{} ({} on disk)", iec(t), iec(a)),
        (Some(t), None) => iec(t),
        (None, _) => "an unknown amount".into(),
    };
    let rest = if n == 0 {
        "- no deleted file is held open".to_string()
    } else {
        format!(
            "- {} still open hold {held}",
            plural(n, "deleted file", "deleted files")
        )
    };
    let _ = writeln!(s, "{} {}", p.heading("proctor who --deleted"), p.dim(&rest));
    if n > 0 {
        let mut t = Table::new(&[
            ("SIZE", Align::Right),
            ("ON DISK", Align::Right),
            ("DEV", Align::Left),
            ("INODE", Align::Right),
            ("PID", Align::Right),
            ("USER", Align::Left),
            ("NAME", Align::Left),
            ("FD", Align::Right),
            ("PATH", Align::Left),
        ]);
        for f in &r.files {
            for (i, h) in f.holders.iter().enumerate() {
                if i == 0 {
                    t.cell(&iec(f.size));
                    t.cell(&f.allocated.map_or_else(|| "?".into(), iec));
                    t.cell(&f.dev);
                    t.cell(&f.inode.to_string());
                } else {
                    for _ in 0..4 {
                        t.cell("");
                    }
                }
                t.cell(&h.pid.to_string());
                t.cell(&user(h));
                t.cell(&h.name.display());
                t.cell(&access(h));
                if i == 0 {
                    t.cell_escaped(f.path.as_bytes());
                } else {
                    t.cell(&p.dim("(same file)"));
                }
            }
        }
        for u in &r.size_unknown {
            for c in ["?", "?", "?", "?"] {
                t.cell(c);
            }
            t.cell(&u.holder.pid.to_string());
            t.cell(&user(&u.holder));
            t.cell(&u.holder.name.display());
            t.cell(&access(&u.holder));
            t.cell_escaped(u.path.as_bytes());
        }
        s.push_str(&t.render(2, |h| p.heading(h)));
        let _ = writeln!(
            s,
            "  {}",
            p.dim("the space comes back when every holder closes and unmaps the file (or exits); each file is counted once")
        );
    }
    s.push_str(&gaps(&r.incomplete, p));
    s
}

/// What could not be checked, one line each.
pub fn gaps(g: &Gaps, p: Palette) -> String {
    let mut s = String::new();
    for gap in &g.0 {
        let n = gap.count;
        let line = match gap.reason {
            "namespace_unreadable" => format!(
                "{n} process(es) whose network namespace and socket tables could not be read (permission denied): their sockets were not searched"
            ),
            "tables_unreadable" => {
                format!("{n} network namespace(s) whose socket tables could not be read")
            }
            "fds_denied" => format!(
                "{n} process(es) whose descriptors or files could not be read (permission denied): holders may be missing"
            ),
            "links_cut" => format!(
                "{n} process(es) with more than {} descriptors or {} mapped files: read in part",
                crate::analysis::who::FD_LINKS_CAP,
                crate::analysis::who::MAPPED_PATHS_CAP
            ),
            "sockets_cut" => format!(
                "{n} network namespace(s) with more than {} sockets on the port: listed in part",
                crate::analysis::who::SOCKETS_CAP
            ),
            "size_unknown" => {
                format!("{n} deleted file(s) whose size could not be read: left out of the total")
            }
            "hits_cut" => "more matches than proctor lists: listed in part".to_string(),
            other => format!("{n} x {other}"),
        };
        let _ = writeln!(s, "  {}", p.warning(&format!("checks incomplete: {line}")));
    }
    s
}

/// A TARGET that is not a valid lookup: (message, hint).
pub fn target_error(e: &TargetError) -> (String, String) {
    let esc = |s: &str| escape_for_terminal(s.as_bytes());
    match e {
        TargetError::PortOutOfRange(p) => (
            format!("port '{}' is out of range", esc(p)),
            "a port is a number from 1 to 65535, e.g. proctor who :8080".into(),
        ),
        TargetError::BadPort(p) => (
            format!("'{}' is not a port number", esc(p)),
            "write the port as a number: :8080, 127.0.0.1:8080, [::1]:8080, tcp:8080, udp:53"
                .into(),
        ),
        TargetError::BadAddress(a) => (
            format!("'{}' is not an IP address", esc(a)),
            "write an IPv4 address as 127.0.0.1:8080 and an IPv6 one in brackets: [::1]:8080"
                .into(),
        ),
        TargetError::Empty => (
            "nothing to look up".into(),
            "give a port (:8080, udp:53), a path, or --deleted".into(),
        ),
    }
}

/// A path that does not exist: (message, hint).
pub fn path_error(path: &str, e: &std::io::Error) -> (String, String) {
    let digits = !path.is_empty() && path.bytes().all(|c| c.is_ascii_digit());
    let hint = if digits {
        format!("for a port, write :{path} (or tcp:{path}, udp:{path})")
    } else {
        "give an existing file or directory, or a port such as :8080".into()
    };
    (
        format!(
            "cannot look up {}: {e}",
            escape_for_terminal(path.as_bytes())
        ),
        hint,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::who::Gap;

    fn report(transport: Option<Transport>, address: Option<&str>) -> PortReport {
        PortReport {
            transport,
            address: address.map(str::to_string),
            port: 8080,
            sockets: Vec::new(),
            namespaces: 3,
            incomplete: Gaps::default(),
        }
    }

    #[test]
    fn the_lookup_as_typed_and_nothing_found() {
        assert_eq!(port_query(&report(None, None)), ":8080");
        assert_eq!(port_query(&report(Some(Transport::Udp), None)), "udp:8080");
        assert_eq!(
            port_query(&report(Some(Transport::Tcp), Some("::1"))),
            "tcp:[::1]:8080"
        );
        assert_eq!(
            port_query(&report(None, Some("127.0.0.1"))),
            "127.0.0.1:8080"
        );
        let mut r = report(None, None);
        r.incomplete.0.push(Gap {
            reason: "fds_denied",
            count: 2,
        });
        assert_eq!(
            port(&r, Palette { on: false }),
            "proctor who :8080 - no socket on port 8080 in 3 network namespaces read\n  checks incomplete: 2 process(es) whose descriptors or files could not be read (permission denied): holders may be missing\n"
        );
    }

    #[test]
    fn argument_errors_escape_what_was_typed() {
        let (m, h) = target_error(&TargetError::BadPort("a\x1b[31m".into()));
        assert_eq!(m, "'a\\e[31m' is not a port number");
        assert!(h.contains("tcp:8080"));
        let (m, h) = path_error("8080", &std::io::Error::from_raw_os_error(2));
        assert!(m.starts_with("cannot look up 8080: "));
        assert_eq!(h, "for a port, write :8080 (or tcp:8080, udp:8080)");
    }
}
