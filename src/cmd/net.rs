//! `proctor net`: the process's sockets, in its own network namespace.

use super::context::{Ctx, emit, gone, name, open_target};
use crate::analysis;
use crate::cmd::context::Output;
use crate::cmd::target::TargetSpec;
use crate::error::{CliError, ReadError};
use crate::reader::FdInfoWanted;
use crate::render::views;

/// What `net` is asked: the sockets wanted, as the CLI resolved them
/// (protocol families, states validated and normalized, listening only).
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: TargetSpec,
    pub filter: analysis::net::NetFilter,
}

pub fn run(ctx: &Ctx, a: &Settings) -> Result<Output, CliError> {
    let proc = open_target(ctx, &a.target)?;
    // Without access to the process's descriptors (another user's process),
    // its network namespace's tables may still be readable: show those,
    // saying they are the namespace's, not only the process's.
    let (entries, inodes, namespace_wide) = match proc.fds(FdInfoWanted::None) {
        Ok(entries) => {
            let inodes = crate::reader::socket_inodes(&entries);
            (entries, inodes, false)
        }
        Err(ReadError::PermissionDenied { path }) => match proc.namespace_socket_inodes() {
            Ok(all) => (Vec::new(), all, true),
            Err(_) => return Err(ReadError::PermissionDenied { path }.into()),
        },
        Err(e) => return Err(gone(e)),
    };
    let sockets = if inodes.is_empty() {
        Default::default()
    } else {
        proc.sockets(&inodes).map_err(gone)?
    };
    proc.still_alive().map_err(gone)?;
    let mut report = analysis::net::build(proc.pid(), &entries, &sockets, &a.filter);
    if namespace_wide {
        report.scope = "namespace";
    }
    let n = name(&proc);
    Ok(emit(ctx, &report, || views::net(&report, &n, ctx.palette)))
}
