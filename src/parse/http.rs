//! One HTTP/1.x request head (for `proctor serve`'s server,
//! `cmd::serve::http`), read from bytes any client controls: pure, bounded
//! by its input, never panics (like every parser here; its property tests
//! are below and in `props.rs`). Only what the exporter needs is kept
//! (method, route, version, whether to keep the connection, the
//! exposition format asked for); nothing of the request is ever echoed.

/// What the client asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    /// Any other well-formed method: answered 405.
    Other,
}

/// Where: the path only (a query string or fragment is ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Metrics,
    Landing,
    Health,
    /// Anything else: answered 404.
    Unknown,
}

/// The exposition format of `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
    /// `text/plain; version=0.0.4`.
    Prometheus,
}

/// A well-formed request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub method: Method,
    pub route: Route,
    /// HTTP/1.1 (else HTTP/1.0).
    pub http11: bool,
    /// The client wants the connection kept after the response.
    pub keep_alive: bool,
    /// The request announces a body (`Content-Length` above 0 or any
    /// `Transfer-Encoding`). Bodies are never read: the connection is
    /// closed after the response instead.
    pub has_body: bool,
    pub format: Format,
}

/// Why a request cannot be answered normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bad {
    /// Not HTTP/1.x syntax: 400.
    Malformed,
    /// The head is longer than allowed: 431.
    TooLarge,
    /// `HTTP/x.y` other than 1.0 and 1.1: 505.
    Version,
}

/// What the bytes received so far hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// Not a whole head yet, and nothing wrong so far.
    Incomplete,
    /// A head of `len` bytes (its blank line included); bytes after it
    /// are the next (pipelined) request.
    Complete {
        head: Head,
        len: usize,
    },
    Bad(Bad),
}

/// Read the head at the start of `buf`, of at most `max` bytes.
pub fn scan(buf: &[u8], max: usize) -> Scan {
    match head_end(buf) {
        Some(end) if end > max => Scan::Bad(Bad::TooLarge),
        Some(end) => match parse_head(&buf[..end]) {
            Ok(head) => Scan::Complete { head, len: end },
            Err(bad) => Scan::Bad(bad),
        },
        None if buf.len() >= max => Scan::Bad(Bad::TooLarge),
        None => match early_check(buf) {
            Ok(()) => Scan::Incomplete,
            Err(bad) => Scan::Bad(bad),
        },
    }
}

/// The end of the head: just past the first empty line (CRLF CRLF, or
/// bare LFs, which RFC 9112 lets a server accept). Empty lines before the
/// request line (a client's stray CRLF after an earlier request) are not
/// the end.
fn head_end(buf: &[u8]) -> Option<usize> {
    let start = leading_blank_lines(buf);
    let mut line_start = start;
    for (i, &b) in buf.iter().enumerate().skip(start) {
        if b != b'\n' {
            continue;
        }
        let line = &buf[line_start..i];
        if (line.is_empty() || line == b"\r") && line_start > start {
            return Some(i + 1);
        }
        line_start = i + 1;
    }
    None
}

/// How many bytes of empty lines precede the request line.
fn leading_blank_lines(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

/// Reject what can never become a request without waiting for its end:
/// a first line that is already wrong (TLS, SSH, binary noise), or one
/// whose method is not a token.
fn early_check(buf: &[u8]) -> Result<(), Bad> {
    let rest = &buf[leading_blank_lines(buf)..];
    if let Some(nl) = rest.iter().position(|&b| b == b'\n') {
        return request_line(strip_cr(&rest[..nl])).map(|_| ());
    }
    let method_part = rest.split(|&b| b == b' ').next().unwrap_or_default();
    if method_part.iter().all(|&b| is_tchar(b)) {
        Ok(())
    } else {
        Err(Bad::Malformed)
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The head, from its request line to its blank line.
fn parse_head(head: &[u8]) -> Result<Head, Bad> {
    let head = &head[leading_blank_lines(head)..];
    let mut lines = head.split(|&b| b == b'\n').map(strip_cr);
    let (method, route, http11) = request_line(lines.next().unwrap_or_default())?;
    let mut fields = Fields::default();
    for line in lines {
        if line.is_empty() {
            break;
        }
        fields.add(line)?;
    }
    let keep_alive = if http11 {
        !fields.close
    } else {
        fields.keep_alive && !fields.close
    };
    let has_body = fields.chunked || fields.content_length.is_some_and(|n| n > 0);
    Ok(Head {
        method,
        route,
        http11,
        keep_alive: keep_alive && !has_body,
        has_body,
        format: if fields.openmetrics() {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        },
    })
}

/// `METHOD SP TARGET SP HTTP/1.x`, single spaces.
fn request_line(line: &[u8]) -> Result<(Method, Route, bool), Bad> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Bad::Malformed);
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(Bad::Malformed);
    }
    if target.is_empty() || !target.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(Bad::Malformed);
    }
    let http11 = match version {
        b"HTTP/1.1" => true,
        b"HTTP/1.0" => false,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(Bad::Version);
        }
        _ => return Err(Bad::Malformed),
    };
    let method = match method {
        b"GET" => Method::Get,
        b"HEAD" => Method::Head,
        _ => Method::Other,
    };
    Ok((method, route(target), http11))
}

/// The route of a request target: origin form (`/metrics?x`) or absolute
/// form (`http://host:9256/metrics`).
fn route(target: &[u8]) -> Route {
    let path = path_of(target);
    let path = path
        .split(|&b| b == b'?' || b == b'#')
        .next()
        .unwrap_or_default();
    match path {
        b"/metrics" => Route::Metrics,
        b"/" => Route::Landing,
        b"/healthz" => Route::Health,
        _ => Route::Unknown,
    }
}

fn path_of(target: &[u8]) -> &[u8] {
    let lower = |n: usize| target.get(..n).map(<[u8]>::to_ascii_lowercase);
    let after_scheme = if lower(7).as_deref() == Some(b"http://".as_slice()) {
        7
    } else if lower(8).as_deref() == Some(b"https://".as_slice()) {
        8
    } else {
        return target;
    };
    let rest = &target[after_scheme..];
    match rest.iter().position(|&b| b == b'/') {
        Some(i) => &rest[i..],
        None => b"/",
    }
}

/// RFC 9110 `tchar`: the characters of a token (a method, a field name).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The header fields the server acts on.
#[derive(Debug, Default)]
struct Fields {
    close: bool,
    keep_alive: bool,
    chunked: bool,
    content_length: Option<u64>,
    /// The highest quality (in thousandths) given to OpenMetrics, and to
    /// Prometheus text (`text/plain`, `text/*`, `*/*`).
    openmetrics_q: u16,
    text_q: u16,
}

impl Fields {
    /// One `name: value` line.
    fn add(&mut self, line: &[u8]) -> Result<(), Bad> {
        let colon = line.iter().position(|&b| b == b':').ok_or(Bad::Malformed)?;
        let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
        // No whitespace before the colon, no folded lines (RFC 9112 5.1, 5.2).
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(Bad::Malformed);
        }
        if value.iter().any(|&b| b.is_ascii_control() && b != b'\t') {
            return Err(Bad::Malformed);
        }
        let name = name.to_ascii_lowercase();
        match name.as_slice() {
            b"connection" => {
                for token in value.split(|&b| b == b',').map(trim) {
                    self.close |= token.eq_ignore_ascii_case(b"close");
                    self.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            }
            b"content-length" => self.content_length(value)?,
            b"transfer-encoding" => self.chunked = true,
            b"accept" => self.accept(value),
            _ => {}
        }
        Ok(())
    }

    /// A length in digits; several must agree (RFC 9112 6.3).
    fn content_length(&mut self, value: &[u8]) -> Result<(), Bad> {
        for part in value.split(|&b| b == b',').map(trim) {
            let n = digits(part).ok_or(Bad::Malformed)?;
            if self.content_length.is_some_and(|m| m != n) {
                return Err(Bad::Malformed);
            }
            self.content_length = Some(n);
        }
        Ok(())
    }

    /// Each media range of an `Accept` list with its quality.
    fn accept(&mut self, value: &[u8]) {
        for range in value.split(|&b| b == b',') {
            let mut params = range.split(|&b| b == b';').map(trim);
            let media = params.next().unwrap_or_default().to_ascii_lowercase();
            let mut q = Some(1000);
            for p in params {
                if let [b'q' | b'Q', b'=', rest @ ..] = p {
                    q = quality(rest);
                }
            }
            let Some(q) = q else { continue };
            match media.as_slice() {
                b"application/openmetrics-text" => {
                    self.openmetrics_q = self.openmetrics_q.max(q);
                }
                b"text/plain" | b"text/*" | b"*/*" => self.text_q = self.text_q.max(q),
                _ => {}
            }
        }
    }

    /// OpenMetrics when it is asked for at least as much as plain text
    /// (Prometheus asks for it first); otherwise the 0.0.4 text format.
    fn openmetrics(&self) -> bool {
        self.openmetrics_q > 0 && self.openmetrics_q >= self.text_q
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let is_ws = |c: &u8| *c == b' ' || *c == b'\t';
    let start = b.iter().position(|c| !is_ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !is_ws(c)).map_or(start, |i| i + 1);
    &b[start..end.max(start)]
}

fn digits(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// `qvalue` (RFC 9110 12.4.2) in thousandths: `0`, `0.5`, `1`, `1.000`.
fn quality(b: &[u8]) -> Option<u16> {
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for i in 0..3 {
        let d = frac.get(i).map_or(0, |&c| u16::from(c - b'0'));
        thousandths = thousandths * 10 + d;
    }
    match int {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn head(text: &str) -> Head {
        match scan(text.as_bytes(), 8192) {
            Scan::Complete { head, len } => {
                assert_eq!(len, text.len(), "{text:?}");
                head
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }

    const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

    #[test]
    fn routes_methods_and_versions() {
        let h = head("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            (h.method, h.route, h.http11, h.keep_alive),
            (Method::Get, Route::Metrics, true, true)
        );
        let h = head("HEAD /healthz?verbose=1 HTTP/1.0\r\n\r\n");
        assert_eq!(
            (h.method, h.route, h.http11, h.keep_alive),
            (Method::Head, Route::Health, false, false)
        );
        assert_eq!(head("GET / HTTP/1.1\n\n").route, Route::Landing);
        assert_eq!(
            head("GET http://node:9256/metrics HTTP/1.1\r\n\r\n").route,
            Route::Metrics
        );
        assert_eq!(
            head("GET HTTP://node HTTP/1.1\r\n\r\n").route,
            Route::Landing
        );
        assert_eq!(head("GET /metrics/ HTTP/1.1\r\n\r\n").route, Route::Unknown);
        assert_eq!(
            head("GET /%6detrics HTTP/1.1\r\n\r\n").route,
            Route::Unknown
        );
        assert_eq!(head("GET * HTTP/1.1\r\n\r\n").route, Route::Unknown);
        assert_eq!(head("POST /metrics HTTP/1.1\r\n\r\n").method, Method::Other);
        assert_eq!(head("get /metrics HTTP/1.1\r\n\r\n").method, Method::Other);
        // A stray CRLF before the request line is skipped.
        assert_eq!(
            head("\r\nGET /healthz HTTP/1.1\r\n\r\n").route,
            Route::Health
        );
    }

    #[test]
    fn connection_and_bodies() {
        assert!(!head("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.1\r\nconnection: te, close\r\n\r\n").keep_alive);
        assert!(head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
        let h = head("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n");
        assert!(h.has_body && !h.keep_alive);
        let h = head("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert!(!h.has_body && h.keep_alive);
        assert!(head("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").has_body);
        for bad in [
            "GET / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        ] {
            assert_eq!(
                scan(bad.as_bytes(), 8192),
                Scan::Bad(Bad::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn negotiation() {
        let fmt = |accept: &str| {
            head(&format!(
                "GET /metrics HTTP/1.1\r\nAccept: {accept}\r\n\r\n"
            ))
            .format
        };
        assert_eq!(fmt(PROMETHEUS_ACCEPT), Format::OpenMetrics);
        assert_eq!(fmt("application/openmetrics-text"), Format::OpenMetrics);
        assert_eq!(
            fmt("Application/OpenMetrics-Text; version=1.0.0"),
            Format::OpenMetrics
        );
        assert_eq!(
            fmt("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5"),
            Format::Prometheus
        );
        assert_eq!(fmt("application/openmetrics-text;q=0"), Format::Prometheus);
        assert_eq!(fmt("*/*"), Format::Prometheus);
        assert_eq!(fmt("application/openmetrics-text;q=2"), Format::Prometheus);
        assert_eq!(
            head("GET /metrics HTTP/1.1\r\n\r\n").format,
            Format::Prometheus
        );
        // Two Accept lines count as one list.
        let two = "GET /metrics HTTP/1.1\r\nAccept: text/plain;q=0.1\r\nAccept: application/openmetrics-text;q=0.2\r\n\r\n";
        assert_eq!(head(two).format, Format::OpenMetrics);
    }

    #[test]
    fn malformed_oversized_and_incomplete() {
        for bad in [
            "GET /metrics\r\n\r\n",
            "GET  /metrics HTTP/1.1\r\n\r\n",
            "GET /metrics HTTP/1.1 x\r\n\r\n",
            "GET /met\x1brics HTTP/1.1\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nno colon\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nX: a\x00b\r\n\r\n",
            "G(T /metrics HTTP/1.1\r\n\r\n",
            "GET /metrics FTP/1.1\r\n\r\n",
        ] {
            assert_eq!(
                scan(bad.as_bytes(), 8192),
                Scan::Bad(Bad::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(
            scan(b"GET / HTTP/2.0\r\n\r\n", 8192),
            Scan::Bad(Bad::Version)
        );
        assert_eq!(
            scan(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 8192),
            Scan::Bad(Bad::Version)
        );
        // A TLS handshake is refused at its first byte.
        assert_eq!(
            scan(b"\x16\x03\x01\x02\x00", 8192),
            Scan::Bad(Bad::Malformed)
        );
        // A bad request line is refused before the headers end.
        assert_eq!(
            scan(b"GET /metrics\r\nHost: x\r\n", 8192),
            Scan::Bad(Bad::Malformed)
        );
        assert_eq!(
            scan(b"GET /metrics HTTP/1.1\r\nHost: x\r\n", 8192),
            Scan::Incomplete
        );
        assert_eq!(scan(b"GE", 8192), Scan::Incomplete);
        assert_eq!(scan(b"", 8192), Scan::Incomplete);
        let long = format!("GET /metrics HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(100));
        assert_eq!(scan(long.as_bytes(), 64), Scan::Bad(Bad::TooLarge));
        assert_eq!(scan(&long.as_bytes()[..70], 64), Scan::Bad(Bad::TooLarge));
        assert!(matches!(
            scan(long.as_bytes(), long.len()),
            Scan::Complete { .. }
        ));
    }

    #[test]
    fn pipelined_requests_are_read_one_at_a_time() {
        let two = b"GET /healthz HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n";
        let Scan::Complete { head, len } = scan(two, 8192) else {
            panic!()
        };
        assert_eq!((head.route, len), (Route::Health, 25));
        let Scan::Complete { head, .. } = scan(&two[len..], 8192) else {
            panic!()
        };
        assert_eq!(head.route, Route::Metrics);
    }

    #[test]
    fn qualities() {
        assert_eq!(quality(b"0"), Some(0));
        assert_eq!(quality(b"0.5"), Some(500));
        assert_eq!(quality(b"0.125"), Some(125));
        assert_eq!(quality(b"1.000"), Some(1000));
        assert_eq!(quality(b"1."), Some(1000));
        assert_eq!(quality(b"1.5"), None);
        assert_eq!(quality(b"0.1234"), None);
        assert_eq!(quality(b""), None);
        assert_eq!(quality(b"-0"), None);
    }

    proptest! {
        /// Any bytes: no panic, and a complete head never claims more
        /// bytes than it was given or than allowed.
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), max in 0usize..600) {
            if let Scan::Complete { len, .. } = scan(&bytes, max) {
                prop_assert!(len <= bytes.len() && len <= max);
            }
        }

        /// Request-shaped input with hostile bytes in the target and header
        /// values: no panic, and a valid head stays valid after any cut of
        /// the bytes that follow it.
        #[test]
        fn request_shaped(
            target in proptest::collection::vec(any::<u8>(), 0..40),
            value in proptest::collection::vec(any::<u8>(), 0..40),
            cut in 0usize..120,
        ) {
            let mut req = b"GET /".to_vec();
            req.extend_from_slice(&target);
            req.extend_from_slice(b" HTTP/1.1\r\nAccept: ");
            req.extend_from_slice(&value);
            req.extend_from_slice(b"\r\n\r\n");
            let _ = scan(&req, 8192);
            let _ = scan(&req[..cut.min(req.len())], 8192);
        }
    }
}
