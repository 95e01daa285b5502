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
        for (rel, required) in [("net/tcp", true), ("net/tcp6", false)] {
            let mut header = true;
            let r = self.for_each_line(rel, |line| {
                if std::mem::take(&mut header) || line.iter().all(u8::is_ascii_whitespace) {
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
            });
            match r {
                Ok(()) => {}
                // No IPv6 in this kernel: nothing to count there.
                Err(ReadError::NotSupported { .. }) if !required => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}
