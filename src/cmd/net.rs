//! `proctor net`: the process's sockets, in its own network namespace.

use super::context::{Ctx, emit, gone, name, open_target};
use crate::analysis;
use crate::cli::{NetArgs, NetProto};
use crate::cmd::context::Output;
use crate::error::{CliError, ReadError};
use crate::reader::FdInfoWanted;
use crate::render::views;

pub fn run(ctx: &Ctx, a: &NetArgs) -> Result<Output, CliError> {
    let mut states = Vec::new();
    for s in &a.state {
        let n = analysis::net::normalize_state(s);
        if !analysis::net::STATES.contains(&n.as_str()) {
            return Err(CliError::new(format!(
                "unknown socket state '{}'",
                crate::text::escape_for_terminal(s.as_bytes())
            ))
            .hint(format!("use one of: {}", analysis::net::STATES.join(", "))));
        }
        states.push(n);
    }
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
    let filter = analysis::net::NetFilter {
        protos: a
            .proto
            .iter()
            .map(|p| match p {
                NetProto::Tcp => "tcp",
                NetProto::Udp => "udp",
                NetProto::Unix => "unix",
                NetProto::Raw => "raw",
            })
            .map(str::to_string)
            .collect(),
        states,
        listening: a.listening,
    };
    let mut report = analysis::net::build(proc.pid(), &entries, &sockets, &filter);
    if namespace_wide {
        report.scope = "namespace";
    }
    let n = name(&proc);
    Ok(emit(ctx, &report, || views::net(&report, &n, ctx.palette)))
}
