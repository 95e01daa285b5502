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

pub fn run(ctx: &Ctx, a: &Settings, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
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
    // Rows are built as the links are read (no list of entries kept).
    let blocks = ctx.fs.block_devices();
    let mut rows = analysis::fds::Builder::new(&blocks, &a.types);
    proc.for_each_fd(wanted, &mut rows).map_err(gone)?;
    // The sockets' protocols and endpoints: the namespace's tables read
    // once, joined on inode (only when socket rows are shown).
    let inodes = if a.types.is_empty() || a.types.contains(&FdKind::Socket) {
        rows.socket_inodes()
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
    drop(inodes);
    proc.still_alive().map_err(gone)?;
    // The limit is part of the summary; unreadable is shown as unknown.
    let (limit, limit_err) = match proc.nofile_limit() {
        Ok(l) => (Some(l), None),
        Err(e @ ReadError::Exited { .. }) => return Err(gone(e)),
        Err(e) => (None, Some(e)),
    };
    let extra = analysis::fds::Extra {
        limit,
        sockets: sockets.as_ref(),
        dirs_marked: wanted != FdInfoWanted::None,
    };
    let mut report = rows.finish(proc.pid(), extra);
    drop(sockets);
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
    if ctx.json {
        return Ok(emit(ctx, &report, String::new));
    }
    // The text goes out 64 KiB at a time: 20,000 rows are never whole in
    // memory (fresh pages cost a page fault each; bench/fds.sh).
    let mut s = String::with_capacity(80 * 1024);
    let mut failed: Option<std::io::Error> = None;
    let mut spill = |s: &mut String| {
        if failed.is_none() {
            failed = out.write_all(s.as_bytes()).err();
        }
        s.clear();
    };
    views::fds_into(&mut s, &report, &n, a.long, ctx.palette, &mut spill);
    spill(&mut s);
    match failed {
        // A closed pipe (`proctor fds 1 | head`) is a normal end.
        None => {}
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Some(e) => {
            return Err(CliError::new(format!("cannot write output: {e}"))
                .hint("write to a file on a file system with room, or to a pipe"));
        }
    }
    Ok(Output {
        stdout: String::new(),
        code: crate::error::ExitCode::Ok,
    })
}
