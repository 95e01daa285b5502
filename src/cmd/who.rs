//! `proctor who`: reverse lookups. `who :PORT` (every network namespace
//! on the host: each namespace's tables read once through one of its
//! processes, then only that namespace's processes' descriptor links read
//! to find the holders), `who PATH` (descriptors, cwd, root, program and
//! mapped files of every process; `--mount`: anything on PATH's mount),
//! `who --deleted` (deleted files still held open, each once, with their
//! size, largest first).
//!
//! `--mount` compares link texts with the mount point of PATH in proctor's
//! own mount namespace (the longest mount point holding PATH, minus the
//! mounts nested in it): no descriptor is opened or stat()ed, and cwd, root
//! and mapped files are matched the same way as descriptors. A process in
//! another mount namespace shows paths as proctor's namespace sees them.

use std::collections::HashMap;

use super::context::{Ctx, emit};
use crate::analysis::who::{
    self as who, DeletedReport, Gaps, Holder, PathHit, PathQuery, PathReport, PortReport, SocketRow,
};
use crate::cmd::context::Output;
use crate::error::{CliError, ExitCode, ReadError};
use crate::parse::who::{PortQuery, WhoTarget, parse_target};
use crate::reader::{Access, HeldFile, Process, UserNames};
use crate::render;
use crate::text::Text;

/// The most hits (sockets with holders, held paths) listed; past it the
/// lookup says it listed only part.
pub const HITS_CAP: usize = 100_000;

/// What `who` is asked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A port lookup or a path; None with `deleted`.
    pub target: Option<String>,
    /// `--deleted`: every deleted file held open.
    pub deleted: bool,
    /// `--mount`: anything on PATH's mount.
    pub mount: bool,
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    if a.deleted {
        return run_deleted(ctx);
    }
    let t = a.target.as_deref().unwrap_or_default();
    match parse_target(t) {
        Ok(WhoTarget::Port(_)) if a.mount => Err(CliError::new("--mount needs a path, not a port")
            .hint("e.g. proctor who --mount /var/lib/docker")),
        Ok(WhoTarget::Port(q)) => run_port(ctx, &q),
        Ok(WhoTarget::Path(p)) => run_path(ctx, &p, a.mount),
        Err(e) => {
            let (m, h) = render::who::target_error(&e);
            Err(CliError::new(m).hint(h))
        }
    }
}

/// Found something: 0; nothing, and every check ran: 1; nothing, but
/// something could not be checked: 3 (it may be there).
fn code(found: bool, gaps: &Gaps) -> ExitCode {
    match (found, gaps.is_empty()) {
        (true, _) => ExitCode::Ok,
        (false, true) => ExitCode::Problem,
        (false, false) => ExitCode::Incomplete,
    }
}

/// What is known of a process, read once per process.
struct Known {
    name: Text,
    uid: Option<u32>,
    user: Option<Text>,
    workload: Option<crate::analysis::workload::WorkloadReport>,
}

fn known(proc: &Process, users: &mut UserNames) -> Known {
    let uid = proc.status().ok().and_then(|s| s.uid).map(|u| u[1]);
    let workload = proc
        .cgroup()
        .ok()
        .and_then(|l| crate::analysis::workload::of_lines(&l));
    Known {
        name: Text(proc.initial_stat().comm.clone()),
        uid,
        user: uid.and_then(|u| users.get(u)).map(Text::new),
        workload,
    }
}

fn holder(pid: i32, k: &Known, access: Access) -> Holder {
    let (access, fd) = who::access_name(access);
    Holder {
        pid,
        name: k.name.clone(),
        uid: k.uid,
        user: k.user.clone(),
        access,
        fd,
        workload: k.workload.clone(),
    }
}

/// The ordered PIDs of the host, without proctor itself.
fn others(ctx: &Ctx) -> Result<Vec<i32>, CliError> {
    let own = ctx.fs.own_pid_in_root();
    let mut pids = ctx.fs.pids()?;
    pids.retain(|&p| Some(p) != own);
    pids.sort_unstable();
    Ok(pids)
}

/// A namespace's sockets on the port, through the first member whose
/// tables can be read. None when none could (counted in `gaps`).
fn namespace_sockets(
    ctx: &Ctx,
    pids: &[i32],
    q: &PortQuery,
    gaps: &mut Gaps,
) -> Option<Vec<crate::parse::net::InetSocket>> {
    let mut denied = 0;
    for &pid in pids {
        let Ok(proc) = ctx.fs.open(pid) else { continue };
        match proc.namespace_port_sockets(q.port, |s| who::side(q, s).is_some()) {
            Ok((socks, cut)) => {
                if cut {
                    gaps.add("sockets_cut");
                }
                return Some(socks);
            }
            Err(ReadError::Exited { .. }) => {}
            // Kernel threads and zombies have no tables to offer.
            Err(ReadError::NotSupported { .. }) => {}
            Err(_) => {
                denied += 1;
                if denied >= 3 {
                    break;
                }
            }
        }
    }
    gaps.add("tables_unreadable");
    None
}

/// The holders of a namespace's matched sockets: the descriptor links of
/// the namespace's processes only.
fn find_holders(
    ctx: &Ctx,
    pids: &[i32],
    rows: &mut [SocketRow],
    users: &mut UserNames,
    gaps: &mut Gaps,
) {
    let own = ctx.fs.own_pid_in_root();
    let mut by_inode: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.inode != 0 {
            by_inode.entry(r.inode).or_default().push(i);
        }
    }
    if by_inode.is_empty() {
        return;
    }
    for &pid in pids {
        if Some(pid) == own {
            continue;
        }
        let Ok(proc) = ctx.fs.open(pid) else { continue };
        let mut hits: Vec<(usize, i32)> = Vec::new();
        let r = proc.each_fd_link(|fd, link| {
            if let Some(rows) =
                crate::parse::fdlink::socket_inode(link).and_then(|i| by_inode.get(&i))
            {
                hits.extend(rows.iter().map(|&r| (r, fd)));
            }
        });
        match r {
            Ok(cut) if cut => gaps.add("links_cut"),
            Ok(_) | Err(ReadError::Exited { .. } | ReadError::NotSupported { .. }) => {}
            Err(_) => gaps.add("fds_denied"),
        }
        if hits.is_empty() {
            continue;
        }
        let k = known(&proc, users);
        for (row, fd) in hits {
            rows[row].holders.push(holder(pid, &k, Access::Fd(fd)));
        }
    }
}

/// Processes whose namespace link is refused (one with more privilege
/// than proctor): their tables are read through them when they can be;
/// sockets found in no namespace read so far are listed with an unknown
/// namespace, and when anything matched, their descriptors are searched
/// too. Nothing missed, nothing said: a refused table is a gap.
fn unplaced(
    ctx: &Ctx,
    q: &PortQuery,
    pids: &[i32],
    rows: &mut Vec<SocketRow>,
    users: &mut UserNames,
    gaps: &mut Gaps,
) {
    for &pid in pids {
        let Ok(proc) = ctx.fs.open(pid) else { continue };
        match proc.namespace_port_sockets(q.port, |s| who::side(q, s).is_some()) {
            Ok((socks, _)) => {
                let seen = |s: &crate::parse::net::InetSocket| {
                    rows.iter().any(|r| {
                        (s.inode != 0 && r.inode == s.inode)
                            || (s.inode == 0
                                && r.inode == 0
                                && r.local == crate::parse::net::format_addr(&s.local)
                                && r.remote == crate::parse::net::format_addr(&s.remote))
                    })
                };
                let new: Vec<SocketRow> = socks
                    .iter()
                    .filter(|s| !seen(s))
                    .filter_map(|s| who::socket_row(q, s, b"", false))
                    .collect();
                rows.extend(new);
            }
            Err(ReadError::Exited { .. } | ReadError::NotSupported { .. }) => continue,
            Err(_) => gaps.add("namespace_unreadable"),
        }
    }
    if rows.is_empty() || pids.is_empty() {
        return;
    }
    find_holders(ctx, pids, rows, users, gaps);
}

fn run_port(ctx: &Ctx, q: &PortQuery) -> Result<Output, CliError> {
    let ns = ctx.fs.namespaces()?;
    let mut gaps = Gaps::default();
    let mut users = UserNames::default();
    let mut rows: Vec<SocketRow> = Vec::new();
    for (link, pids) in &ns.members {
        let host = ns.own.as_deref() == Some(link.as_slice());
        let Some(socks) = namespace_sockets(ctx, pids, q, &mut gaps) else {
            continue;
        };
        let mut found: Vec<SocketRow> = socks
            .iter()
            .filter_map(|s| who::socket_row(q, s, link, host))
            .collect();
        if found.is_empty() {
            continue;
        }
        find_holders(ctx, pids, &mut found, &mut users, &mut gaps);
        rows.extend(found);
        if rows.len() > HITS_CAP {
            rows.truncate(HITS_CAP);
            gaps.add("hits_cut");
            break;
        }
    }
    unplaced(ctx, q, &ns.unreadable, &mut rows, &mut users, &mut gaps);
    who::sort_rows(&mut rows);
    who::sort_rows(&mut rows);
    let report = PortReport {
        transport: q.transport,
        address: q.addr.map(|a| a.to_string()),
        port: q.port,
        sockets: rows,
        namespaces: ns.members.len(),
        incomplete: gaps,
    };
    let mut out = emit(ctx, &report, || render::who::port(&report, ctx.palette));
    out.code = code(!report.sockets.is_empty(), &report.incomplete);
    Ok(out)
}

fn run_path(ctx: &Ctx, path: &str, mount: bool) -> Result<Output, CliError> {
    let (abs, directory) =
        crate::reader::resolve_path(std::path::Path::new(path)).map_err(|e| {
            let (m, h) = render::who::path_error(path, &e);
            CliError::new(m).hint(h)
        })?;
    let q = if mount {
        let points = ctx.fs.own_mount_points()?;
        who::mount_query(&abs, &points).ok_or_else(|| {
            CliError::new("no mount holds this path")
                .hint("check the path with `findmnt --target PATH`")
        })?
    } else if directory {
        PathQuery::Under(abs.clone())
    } else {
        PathQuery::Exact(abs.clone())
    };
    let mut gaps = Gaps::default();
    let mut users = UserNames::default();
    let mut hits: Vec<PathHit> = Vec::new();
    for pid in others(ctx)? {
        let Some(proc) = open_or_gap(ctx, pid, &mut gaps) else {
            continue;
        };
        // Kernel threads hold no files (their cwd and root are the
        // kernel's own).
        if proc.initial_stat().is_kernel_thread() {
            continue;
        }
        let mut mine: Vec<(Access, Vec<u8>, bool)> = Vec::new();
        let walk = match proc.each_held_path(true, |access, link| {
            if let Some(deleted) = who::path_matches(&q, link) {
                let p = link.strip_suffix(b" (deleted)").unwrap_or(link);
                mine.push((access, p.to_vec(), deleted));
            }
        }) {
            Ok(w) => w,
            Err(_) => continue,
        };
        if !walk.denied.is_empty() {
            gaps.add("fds_denied");
        }
        if walk.cut {
            gaps.add("links_cut");
        }
        if mine.is_empty() {
            continue;
        }
        let k = known(&proc, &mut users);
        for (access, p, deleted) in mine {
            hits.push(PathHit {
                holder: holder(pid, &k, access),
                path: Text(p),
                deleted,
            });
        }
        if hits.len() >= HITS_CAP {
            hits.truncate(HITS_CAP);
            gaps.add("hits_cut");
            break;
        }
    }
    let report = PathReport {
        path: Text(abs),
        directory,
        mount: match &q {
            PathQuery::Mount { point, .. } => Some(Text(point.clone())),
            _ => None,
        },
        processes: who::distinct_pids(hits.iter().map(|h| &h.holder.pid)),
        hits,
        incomplete: gaps,
    };
    let mut out = emit(ctx, &report, || render::who::path(&report, ctx.palette));
    out.code = code(!report.hits.is_empty(), &report.incomplete);
    Ok(out)
}

/// Whether a link names a deleted regular file or directory (memfd
/// excluded: memory, not disk, as `fds.deleted_open` counts).
fn is_deleted_file(link: &[u8]) -> bool {
    use crate::parse::fdlink::{FdKind, classify};
    let l = classify(link, None, &std::collections::HashSet::new());
    l.deleted && matches!(l.kind, FdKind::File | FdKind::Dir)
}

/// The process `pid`, or None: gone (skipped), or refused (a gap the
/// answer reports: its holders may be missing).
fn open_or_gap(ctx: &Ctx, pid: i32, gaps: &mut Gaps) -> Option<Process> {
    match ctx.fs.open(pid) {
        Ok(p) => Some(p),
        Err(ReadError::PermissionDenied { .. }) => {
            gaps.add("fds_denied");
            None
        }
        Err(_) => None,
    }
}

fn run_deleted(ctx: &Ctx) -> Result<Output, CliError> {
    let mut gaps = Gaps::default();
    let mut users = UserNames::default();
    let mut found: Vec<(Holder, Vec<u8>, HeldFile)> = Vec::new();
    let mut size_unknown: Vec<PathHit> = Vec::new();
    for pid in others(ctx)? {
        let Some(proc) = open_or_gap(ctx, pid, &mut gaps) else {
            continue;
        };
        let mut mine: Vec<(i32, Vec<u8>)> = Vec::new();
        // One process counts once in each gap, whichever of its files
        // (descriptors, maps) was refused or cut.
        let (mut denied, mut cut) = (false, false);
        match proc.each_fd_link(|fd, link| {
            if is_deleted_file(link) {
                mine.push((fd, link.to_vec()));
            }
        }) {
            Ok(c) => cut |= c,
            Err(ReadError::PermissionDenied { .. }) => denied = true,
            Err(_) => continue,
        }
        // Mapped deleted files (lsof's DEL) hold their space too.
        let mapped = match proc.deleted_mappings() {
            Ok((m, c)) => {
                cut |= c;
                m
            }
            Err(ReadError::PermissionDenied { .. }) => {
                denied = true;
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        if denied {
            gaps.add("fds_denied");
        }
        if cut {
            gaps.add("links_cut");
        }
        if mine.is_empty() && mapped.is_empty() {
            continue;
        }
        let k = known(&proc, &mut users);
        let held = mine
            .into_iter()
            .map(|(fd, link)| {
                let p = link.strip_suffix(b" (deleted)").unwrap_or(&link).to_vec();
                (Access::Fd(fd), p, proc.deleted_file(fd))
            })
            .chain(mapped.into_iter().map(|(p, r)| (Access::Mem, p, r)));
        for (access, path, size) in held {
            if found.len() + size_unknown.len() >= HITS_CAP {
                gaps.add("hits_cut");
                break;
            }
            match size {
                Ok(Some(f)) => found.push((holder(pid, &k, access), path, f)),
                // Closed or unmapped since it was listed, linked again, or
                // the process gone.
                Ok(None) | Err(ReadError::Exited { .. }) => {}
                Err(_) => {
                    gaps.add("size_unknown");
                    size_unknown.push(PathHit {
                        holder: holder(pid, &k, access),
                        path: Text(path),
                        deleted: true,
                    });
                }
            }
        }
    }
    let report: DeletedReport = who::group_deleted(found, size_unknown, gaps);
    let mut out = emit(ctx, &report, || render::who::deleted(&report, ctx.palette));
    let any = !report.files.is_empty() || !report.size_unknown.is_empty();
    out.code = code(any, &report.incomplete);
    Ok(out)
}
