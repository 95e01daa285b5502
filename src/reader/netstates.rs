//! A whole network namespace's TCP sockets counted by state, from the
//! tables of one of its processes (`/proc/PID/net/tcp` and `tcp6`,
//! streamed line by line, bounded as every net table is): `serve`'s
//! sockets of a workload that owns its namespace (a pod, a container).

use super::Process;
use crate::error::ReadError;
use crate::parse::net;

/// TCP sockets of a namespace by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpStates {
    pub established: u64,
    pub close_wait: u64,
    pub listen: u64,
    /// Lines whose state did not parse: their state is unknown.
    pub unparsed: u64,
}

const ESTABLISHED: u8 = 0x01;
const CLOSE_WAIT: u8 = 0x08;

impl Process {
    /// The TCP states of this process's network namespace (every socket
    /// in it, not only this process's).
    pub fn namespace_tcp_states(&self) -> Result<TcpStates, ReadError> {
        let mut out = TcpStates::default();
        // No IPv6 in this kernel: nothing to count there.
        for (rel, optional) in [("net/tcp", false), ("net/tcp6", true)] {
            self.for_each_table_row(rel, optional, |line| {
                if line.iter().all(u8::is_ascii_whitespace) {
                    return true;
                }
                match net::inet_line_state(line) {
                    Some(ESTABLISHED) => out.established += 1,
                    Some(CLOSE_WAIT) => out.close_wait += 1,
                    Some(net::TCP_LISTEN) => out.listen += 1,
                    Some(_) => {}
                    None => out.unparsed += 1,
                }
                true
            })?;
        }
        Ok(out)
    }

    /// The inodes of the TCP sockets (v4 and v6) in CLOSE_WAIT in this
    /// process's network namespace (every process's, not only this one's):
    /// netlink sock_diag filtered by state where it can be asked (the
    /// kernel sends only those sockets, however large the table), else
    /// the text tables streamed line by line.
    pub fn namespace_close_wait_inodes(&self) -> Result<net::InodeSet, ReadError> {
        if let Some(mut d) = self.diag() {
            if let Ok(found) = d.tcp_inodes_in_states(1 << CLOSE_WAIT) {
                return Ok(found.into_iter().collect());
            }
        }
        let mut out = net::InodeSet::default();
        for (rel, optional) in [("net/tcp", false), ("net/tcp6", true)] {
            self.for_each_table_row(rel, optional, |line| {
                if net::inet_line_state(line) == Some(CLOSE_WAIT) {
                    if let Some(i) = net::inet_line_inode(line).filter(|&i| i != 0) {
                        out.insert(i);
                    }
                }
                true
            })?;
        }
        Ok(out)
    }
}
