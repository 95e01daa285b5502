//! The words of `proctor serve`'s HTTP server: its landing page, the
//! health line and the short bodies of its error answers. None of them
//! repeats anything of the request (a path or header a client sent is
//! never echoed, so hostile bytes never come back).

use std::time::Duration;

/// `/`: the exporter's name and version, and where its endpoints are.
/// The links are relative, so the page works behind a path prefix.
pub fn landing_page(name: &str, version: &str) -> String {
    format!(
        "<!DOCTYPE html>\n\
         <html><head><meta charset=\"utf-8\"><title>{name} exporter</title></head>\n\
         <body>\n\
         <h1>{name} {version}</h1>\n\
         <p>The process doctor's Prometheus exporter: every process on this node, \
         with leak verdicts and time to exhaustion.</p>\n\
         <ul>\n\
         <li><a href=\"metrics\">/metrics</a>: the latest scan (OpenMetrics or Prometheus text)</li>\n\
         <li><a href=\"healthz\">/healthz</a>: ok while scans are recent</li>\n\
         </ul>\n\
         </body></html>\n"
    )
}

/// `/healthz` when the latest scan is fresh.
pub fn healthy() -> &'static str {
    "ok\n"
}

/// `/healthz` and `/metrics` before the first scan has finished.
pub fn no_scan_yet() -> &'static str {
    "no scan has finished yet\n"
}

/// `/healthz` when the latest scan is older than allowed (the agent is
/// stuck).
pub fn stale(age: Duration, stale_after: Duration) -> String {
    format!(
        "the last scan finished {} s ago (stale after {} s)\n",
        age.as_secs(),
        stale_after.as_secs()
    )
}

/// 404.
pub fn not_found() -> &'static str {
    "not found: this exporter serves /metrics, /healthz and /\n"
}

/// 405.
pub fn method_not_allowed() -> &'static str {
    "method not allowed: only GET and HEAD\n"
}

/// 400.
pub fn bad_request() -> &'static str {
    "bad request: not an HTTP/1.x request\n"
}

/// 431.
pub fn too_large(max_bytes: usize) -> String {
    format!("request header fields too large: at most {max_bytes} bytes\n")
}

/// 408: the request's head did not arrive in time.
pub fn timed_out(limit: Duration) -> String {
    format!(
        "request timeout: the request did not arrive within {} s\n",
        limit.as_secs_f64()
    )
}

/// 505.
pub fn version_not_supported() -> &'static str {
    "HTTP version not supported: HTTP/1.0 and HTTP/1.1 only\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        let page = landing_page("proctor", "1.2.3");
        assert!(page.contains("<h1>proctor 1.2.3</h1>"));
        assert!(page.contains("href=\"metrics\"") && page.contains("href=\"healthz\""));
        assert_eq!(
            stale(Duration::from_millis(47_900), Duration::from_secs(30)),
            "the last scan finished 47 s ago (stale after 30 s)\n"
        );
        assert_eq!(
            timed_out(Duration::from_secs(5)),
            "request timeout: the request did not arrive within 5 s\n"
        );
    }
}
