//! The exporter's HTTP server: `GET /metrics`, `/` and `/healthz` only,
//! serving the latest [`Published`] page.

use std::net::TcpListener;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::page::Published;

/// What one client may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// The request line and headers must arrive within this.
    pub header_timeout: Duration,
    /// Each write of the response must progress within this.
    pub write_timeout: Duration,
    /// The request line and headers, at most.
    pub max_request_bytes: usize,
}

/// Serve until `stop` is set.
pub fn serve(
    _listener: TcpListener,
    _pages: Published,
    _limits: Limits,
    _stop: &AtomicBool,
) -> std::io::Result<()> {
    Err(std::io::Error::other("the HTTP server is not built yet"))
}
