//! `proctor fds`: open descriptors, by type, against the limit.

use super::context::{Ctx, emit, gone, name, open_target};
use crate::analysis;
use crate::cmd::context::Output;
use crate::cmd::target::TargetSpec;
use crate::error::{CliError, ReadError};
use crate::parse::fdlink::FdKind;
use crate::reader::FdInfoWanted;
use crate::render::views;

/// What `fds` is asked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: TargetSpec,
    /// Only descriptors of these kinds (all when empty).
    pub types: Vec<FdKind>,
    /// Only the number of open descriptors.
    pub count: bool,
    /// Open mode, flags and position from fdinfo too.
    pub long: bool,
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    if a.count {
        let fast = crate::reader::kernel_counts_fds_in_stat() && proc.on_procfs();
        let n = proc.fd_count(fast).map_err(gone)?;
        let v = serde_json::json!({ "pid": proc.pid(), "count": n });
        return Ok(emit(ctx, &v, || format!("{n}\n")));
    }
    // Directories are told from files by fdinfo's O_DIRECTORY, one more
    // open and read per descriptor: only with --long (which reads fdinfo
    // for every descriptor anyway) or when --type asks for files or
    // directories. The plain listing is readlinks only (docs/performance.md).
    let wanted = if a.long {
        FdInfoWanted::All
    } else if a
        .types
        .iter()
        .any(|t| matches!(t, FdKind::File | FdKind::Dir))
    {
        FdInfoWanted::Paths
    } else {
        FdInfoWanted::None
    };
    let entries = proc.fds(wanted).map_err(gone)?;
    // The sockets' protocols and endpoints: the namespace's tables read
    // once, joined on inode (only when socket rows are shown).
    let inodes = if a.types.is_empty() || a.types.contains(&FdKind::Socket) {
        crate::reader::socket_inodes(&entries)
    } else {
        Default::default()
    };
    let (sockets, sockets_err) = if inodes.is_empty() {
        (None, None)
    } else {
        match proc.sockets(&inodes) {
            Ok(s) => (Some(s), None),
            Err(e @ ReadError::Exited { .. }) => return Err(gone(e)),
            Err(e) => (None, Some(e)),
        }
    };
    proc.still_alive().map_err(gone)?;
    // The limit is part of the summary; unreadable is shown as unknown.
    let (limit, limit_err) = match proc.nofile_limit() {
        Ok(l) => (Some(l), None),
        Err(e @ ReadError::Exited { .. }) => return Err(gone(e)),
        Err(e) => (None, Some(e)),
    };
    let blocks = ctx.fs.block_devices();
    let extra = analysis::fds::Extra {
        limit,
        sockets: sockets.as_ref(),
        dirs_marked: wanted != FdInfoWanted::None,
    };
    let mut report = analysis::fds::build(proc.pid(), &entries, extra, &blocks, &a.types);
    for (section, e) in [("limits", limit_err), ("sockets", sockets_err)] {
        if let Some(e) = e {
            report.unavailable.push(analysis::inspect::Unavailable {
                section,
                reason: e.reason(),
                detail: analysis::inspect::Detail::Read(e.clone()),
                hint: e.hint(),
            });
        }
    }
    for fd in report.untabled_sockets() {
        if let Some(p) = proc.socket_protocol(fd) {
            report.set_kernel_protocol(fd, p);
        }
    }
    let n = name(&proc);
    Ok(emit(ctx, &report, || {
        views::fds(&report, &n, a.long, ctx.palette)
    }))
}
