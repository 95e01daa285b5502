//! The exporter's HTTP server: `GET` and `HEAD` of `/metrics`, `/` and
//! `/healthz` only, serving the latest [`Published`] page.
//!
//! # Why a small event loop of its own
//!
//! One thread, one epoll instance (level-triggered), non-blocking sockets
//! and a deadline per connection. Every cost is bounded by construction:
//! at most `max_connections` sockets are open (when full, a new connection
//! takes the place of the one that has waited longest for a request, so
//! silent or slow clients cannot fill the server; when every connection
//! is being answered, new ones wait in the kernel's listen backlog, the
//! listener taken out of epoll), each holds at most `max_request_bytes`
//! of request, a few hundred bytes of response head and a clone of the
//! shared `Arc<Page>` (the body is never copied per client), and each has one
//! deadline: the whole request head by `header_timeout` (a client sending
//! a byte a second gains nothing: the deadline is not pushed back by
//! progress), the whole response by `write_timeout` (a client that does
//! not read is reset). No thread per connection, no async runtime, no
//! dependency beyond rustix: hyper would bring tokio for a server that
//! answers three paths, and tiny_http serves each connection from a thread
//! pool that slow clients can fill. Nothing here blocks, so `stop` is seen
//! within one tick (50 ms).
//!
//! Keep-alive is supported (HTTP/1.1 by default, HTTP/1.0 on request;
//! `Connection: close` honoured), and so are pipelined requests, answered
//! in order. A request with a body is answered and the connection closed:
//! bodies are never read. A connection closed after an answer (an error,
//! `Connection: close`) first shuts its write side and reads for up to
//! 1 s, so the client sees the answer rather than a reset.

use std::io::{self, IoSlice, Read};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustix::buffer::spare_capacity;
use rustix::event::{Timespec, epoll};
use rustix::io::Errno;
use rustix::net::{SendAncillaryBuffer, SendFlags, Shutdown};

use super::page::{Page, Published};
use crate::parse::http::{self as request, Bad, Format, Head, Method, Route, Scan};
use crate::render::serve_http as words;

/// What one client may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once. Beyond it, a new connection replaces the
    /// one waiting longest for its request; if all are being answered,
    /// new ones wait in the kernel's backlog. At least 1.
    pub max_connections: usize,
    /// The request line and headers must arrive within this, from the
    /// connection (or the end of the previous response on a kept
    /// connection). Progress does not extend it.
    pub header_timeout: Duration,
    /// The whole response must be written within this, from its start; a
    /// client that does not read is reset.
    pub write_timeout: Duration,
    /// The request line and headers, at most.
    pub max_request_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 512,
            header_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
            max_request_bytes: 8 * 1024,
        }
    }
}

/// How long `serve` waits for events before it looks at `stop` and the
/// deadlines again.
const TICK: Duration = Duration::from_millis(50);
/// The same with no connection open and the listener in the epoll set
/// (nothing to time out, a new connection wakes it): each wake-up costs
/// the idle agent CPU (20 a second were a third of its CPU between scans
/// on a 2-core VM), and `stop` is seen within this.
const IDLE_TICK: Duration = Duration::from_millis(250);
/// How often deadlines are checked: their precision.
const SWEEP: Duration = Duration::from_millis(25);
/// After the last response on a connection: the write side is shut and
/// what the client still sends is read and dropped for at most this, so
/// closing does not reset the connection under the client's feet.
const LINGER: Duration = Duration::from_secs(1);
/// Connections accepted per wake-up, so a flood of connections does not
/// starve the ones already open.
const ACCEPT_BATCH: usize = 64;
/// Reads of a draining connection per wake-up (of `CHUNK` bytes each).
const DRAIN_READS: usize = 16;
const CHUNK: usize = 4096;
/// After accept(2) fails for want of descriptors or memory, the listener
/// rests this long instead of waking the loop for nothing.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// Epoll data of the listener; a connection's is `gen << 32 | (slot + 1)`.
const LISTENER: u64 = 0;

/// `now + d`, without the panic of an overflow (a limit of years reads as
/// a year).
fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 86_400)))
        .unwrap_or(now)
}

/// Serve until `stop` is set (checked every 50 ms, 250 ms when idle); then close every
/// connection and return. Errors only if epoll itself fails.
pub fn serve(
    listener: TcpListener,
    pages: Published,
    limits: Limits,
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut server = Server::new(listener, pages, limits)?;
    while !stop.load(Ordering::Relaxed) {
        server.turn()?;
    }
    Ok(())
}

/// The event loop's state.
struct Server {
    epoll: OwnedFd,
    listener: TcpListener,
    /// The listener is in the epoll set.
    accepting: bool,
    /// Accepting rests until then (accept failed for want of resources).
    paused_until: Option<Instant>,
    conns: Vec<Option<Conn>>,
    /// Generation of each slot, so an event for a closed connection is
    /// never taken for the next one in its slot.
    gens: Vec<u32>,
    free: Vec<usize>,
    open: usize,
    events: Vec<epoll::Event>,
    /// Deadlines are checked at most every `SWEEP`, however busy the loop.
    next_sweep: Instant,
    ctx: Ctx,
}

/// What answering needs.
struct Ctx {
    pages: Published,
    limits: Limits,
}

impl Server {
    fn new(listener: TcpListener, pages: Published, mut limits: Limits) -> io::Result<Server> {
        limits.max_connections = limits.max_connections.max(1);
        listener.set_nonblocking(true)?;
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        epoll::add(
            &epoll,
            &listener,
            epoll::EventData::new_u64(LISTENER),
            epoll::EventFlags::IN,
        )?;
        Ok(Server {
            epoll,
            listener,
            accepting: true,
            paused_until: None,
            conns: Vec::new(),
            gens: Vec::new(),
            free: Vec::new(),
            open: 0,
            events: Vec::with_capacity(256),
            next_sweep: Instant::now(),
            ctx: Ctx { pages, limits },
        })
    }

    /// Wait for events (at most one tick), handle them, then the deadlines.
    fn turn(&mut self) -> io::Result<()> {
        self.events.clear();
        let idle = self.open == 0 && self.accepting && self.paused_until.is_none();
        let wait = if idle { IDLE_TICK } else { TICK };
        let tick = Timespec {
            tv_sec: 0,
            tv_nsec: wait.subsec_nanos().into(),
        };
        match epoll::wait(&self.epoll, spare_capacity(&mut self.events), Some(&tick)) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        let now = Instant::now();
        for i in 0..self.events.len() {
            let data = self.events[i].data.u64();
            if data == LISTENER {
                self.accept(now);
            } else {
                self.ready(data, now);
            }
        }
        let now = Instant::now();
        if now >= self.next_sweep {
            self.expire(now);
            self.next_sweep = after(now, SWEEP);
        }
        self.resume_accepting(now);
        Ok(())
    }

    fn accept(&mut self, now: Instant) {
        for _ in 0..ACCEPT_BATCH {
            // When full, the connection waiting longest for a request
            // makes room; when every one is answering, the backlog waits.
            let mut victim = None;
            if self.open >= self.ctx.limits.max_connections {
                victim = self.longest_silent();
                if victim.is_none() {
                    self.stop_accepting(None);
                    return;
                }
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(slot) = victim {
                        self.close(slot);
                    }
                    self.admit(stream, now);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                // EMFILE, ENFILE, ENOBUFS, ENOMEM: rest rather than spin.
                Err(_) => {
                    self.stop_accepting(Some(after(now, ACCEPT_PAUSE)));
                    return;
                }
            }
        }
    }

    fn admit(&mut self, stream: TcpStream, now: Instant) {
        if stream.set_nonblocking(true).is_err() {
            return;
        }
        // Small answers go out at once; a failure only costs latency.
        let _ = stream.set_nodelay(true);
        let slot = self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.gens.push(0);
            self.conns.len() - 1
        });
        self.gens[slot] = self.gens[slot].wrapping_add(1);
        let generation = self.gens[slot];
        let conn = Conn::new(stream, after(now, self.ctx.limits.header_timeout));
        let data = epoll::EventData::new_u64((u64::from(generation) << 32) | (slot as u64 + 1));
        if epoll::add(&self.epoll, &conn.stream, data, epoll::EventFlags::IN).is_err() {
            self.free.push(slot);
            return;
        }
        self.conns[slot] = Some(conn);
        self.open += 1;
        // The request often arrives with the connection: answer it now
        // rather than after another wait.
        self.ready(data.u64(), now);
    }

    /// The connection that has waited longest for a request (a silent or
    /// slow client, or an idle kept connection), if any is waiting.
    fn longest_silent(&self) -> Option<usize> {
        self.conns
            .iter()
            .enumerate()
            .filter_map(|(slot, c)| {
                let c = c.as_ref()?;
                matches!(c.state, State::Reading).then_some((c.deadline, slot))
            })
            .min()
            .map(|(_, slot)| slot)
    }

    /// A connection is readable or writable (or closed by the peer: the
    /// read or write that follows says so).
    fn ready(&mut self, data: u64, now: Instant) {
        let slot = usize::try_from(data & 0xffff_ffff)
            .unwrap_or(usize::MAX)
            .wrapping_sub(1);
        let generation = u32::try_from(data >> 32).unwrap_or(0);
        if self.gens.get(slot) != Some(&generation) {
            return;
        }
        let Some(Some(conn)) = self.conns.get_mut(slot) else {
            return;
        };
        let next = conn.on_ready(now, &self.ctx);
        self.apply(slot, next, data);
    }

    /// Close what is past its deadline; a half-received request gets a
    /// 408 first.
    fn expire(&mut self, now: Instant) {
        for slot in 0..self.conns.len() {
            let Some(conn) = self.conns[slot].as_mut() else {
                continue;
            };
            if now < conn.deadline {
                continue;
            }
            let next = conn.on_deadline(now, &self.ctx);
            let data = (u64::from(self.gens[slot]) << 32) | (slot as u64 + 1);
            self.apply(slot, next, data);
        }
    }

    fn apply(&mut self, slot: usize, next: Next, data: u64) {
        let Some(conn) = self.conns[slot].as_mut() else {
            return;
        };
        let want = match next {
            Next::Read => epoll::EventFlags::IN,
            Next::Write => epoll::EventFlags::OUT,
            Next::Close | Next::Reset => {
                if next == Next::Reset {
                    // Drop unsent data now instead of leaving it to the
                    // kernel to retransmit to a client that never reads.
                    let _ =
                        rustix::net::sockopt::set_socket_linger(&conn.stream, Some(Duration::ZERO));
                }
                self.close(slot);
                return;
            }
        };
        if conn.watching != want {
            let data = epoll::EventData::new_u64(data);
            if epoll::modify(&self.epoll, &conn.stream, data, want).is_err() {
                self.close(slot);
                return;
            }
            conn.watching = want;
        }
    }

    fn close(&mut self, slot: usize) {
        // Dropping the stream closes it, which takes it out of epoll.
        if self.conns[slot].take().is_some() {
            self.free.push(slot);
            self.open -= 1;
        }
    }

    fn stop_accepting(&mut self, until: Option<Instant>) {
        if self.accepting {
            let _ = epoll::delete(&self.epoll, &self.listener);
            self.accepting = false;
        }
        self.paused_until = until.or(self.paused_until);
    }

    fn resume_accepting(&mut self, now: Instant) {
        if self.accepting
            || self.open >= self.ctx.limits.max_connections
            || self.paused_until.is_some_and(|t| now < t)
        {
            return;
        }
        let data = epoll::EventData::new_u64(LISTENER);
        if epoll::add(&self.epoll, &self.listener, data, epoll::EventFlags::IN).is_ok() {
            self.accepting = true;
            self.paused_until = None;
        }
    }
}

/// What a connection waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Read,
    Write,
    /// Close normally.
    Close,
    /// Close with a reset, dropping unsent data.
    Reset,
}

/// One client.
struct Conn {
    stream: TcpStream,
    state: State,
    /// When the current phase (head, response, lingering) must be over.
    deadline: Instant,
    /// Received bytes not yet answered: at most `max_request_bytes + 1`.
    inbuf: Vec<u8>,
    watching: epoll::EventFlags,
}

enum State {
    /// Waiting for a request head.
    Reading,
    Writing(Response),
    /// Answered for the last time, write side shut: reading what the client
    /// still sends until it closes or the short linger ends.
    Draining,
}

/// Outcome of writing a response.
enum Written {
    Done,
    Blocked,
    Failed,
}

impl Conn {
    fn new(stream: TcpStream, deadline: Instant) -> Conn {
        Conn {
            stream,
            state: State::Reading,
            deadline,
            inbuf: Vec::new(),
            watching: epoll::EventFlags::IN,
        }
    }

    fn on_ready(&mut self, now: Instant, ctx: &Ctx) -> Next {
        match self.state {
            State::Reading => {
                let Some(eof) = self.fill(ctx.limits.max_request_bytes) else {
                    return Next::Close;
                };
                self.advance(now, ctx, eof)
            }
            State::Writing(_) => match self.write() {
                Written::Blocked => Next::Write,
                Written::Failed => Next::Reset,
                Written::Done => self.after_response(now, ctx),
            },
            State::Draining => self.drain(),
        }
    }

    fn on_deadline(&mut self, now: Instant, ctx: &Ctx) -> Next {
        match self.state {
            // Nothing asked (an idle kept connection, or a client that
            // never spoke): close quietly.
            State::Reading if self.inbuf.iter().all(|&b| b == b'\r' || b == b'\n') => Next::Close,
            State::Reading => {
                let body = words::timed_out(ctx.limits.header_timeout).into_bytes();
                let r = Response::text(Status::Timeout, body, false, false);
                self.inbuf = Vec::new();
                self.send(r, now, ctx)
            }
            State::Writing(_) => Next::Reset,
            State::Draining => Next::Close,
        }
    }

    /// Read what has arrived, up to one byte past the allowed head (enough
    /// to know it is too long). `Some(eof)`, or `None` on a read error.
    fn fill(&mut self, max: usize) -> Option<bool> {
        let mut chunk = [0u8; CHUNK];
        let cap = max.saturating_add(1);
        while self.inbuf.len() < cap {
            let room = (cap - self.inbuf.len()).min(CHUNK);
            match (&self.stream).read(&mut chunk[..room]) {
                Ok(0) => return Some(true),
                Ok(n) => self.inbuf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        Some(false)
    }

    /// Answer the requests in `inbuf`, in order, until one is incomplete
    /// or a response cannot be written at once.
    fn advance(&mut self, now: Instant, ctx: &Ctx, eof: bool) -> Next {
        loop {
            let response = match request::scan(&self.inbuf, ctx.limits.max_request_bytes) {
                Scan::Incomplete if eof => return Next::Close,
                Scan::Incomplete => {
                    if self.inbuf.is_empty() {
                        // Keep nothing of the last request while idle.
                        self.inbuf = Vec::new();
                    }
                    return Next::Read;
                }
                Scan::Bad(bad) => {
                    self.inbuf = Vec::new();
                    refuse(bad, &ctx.limits)
                }
                Scan::Complete { head, len } => {
                    self.inbuf.drain(..len);
                    // The page's age from now, not from the start of this
                    // turn: the page may be newer than the turn.
                    answer(&head, head.keep_alive && !eof, &ctx.pages, Instant::now())
                }
            };
            let keep_alive = response.keep_alive;
            match self.send(response, now, ctx) {
                Next::Read if keep_alive => {}
                next => return next,
            }
        }
    }

    /// Start a response and write what the socket takes now.
    fn send(&mut self, response: Response, now: Instant, ctx: &Ctx) -> Next {
        self.state = State::Writing(response);
        self.deadline = after(now, ctx.limits.write_timeout);
        match self.write() {
            Written::Blocked => Next::Write,
            Written::Failed => Next::Reset,
            Written::Done => {
                let State::Writing(r) = &self.state else {
                    return Next::Close;
                };
                if r.keep_alive {
                    self.state = State::Reading;
                    self.deadline = after(now, ctx.limits.header_timeout);
                    Next::Read
                } else {
                    self.linger(now)
                }
            }
        }
    }

    /// A response has been written in full.
    fn after_response(&mut self, now: Instant, ctx: &Ctx) -> Next {
        let keep_alive = matches!(&self.state, State::Writing(r) if r.keep_alive);
        if !keep_alive {
            return self.linger(now);
        }
        self.state = State::Reading;
        self.deadline = after(now, ctx.limits.header_timeout);
        if self.inbuf.is_empty() {
            // Keep nothing of the last request while idle.
            self.inbuf = Vec::new();
            return Next::Read;
        }
        self.advance(now, ctx, false)
    }

    fn linger(&mut self, now: Instant) -> Next {
        let _ = rustix::net::shutdown(&self.stream, Shutdown::Write);
        self.state = State::Draining;
        self.inbuf = Vec::new();
        self.deadline = after(now, LINGER);
        self.drain()
    }

    fn write(&mut self) -> Written {
        let State::Writing(r) = &mut self.state else {
            return Written::Done;
        };
        loop {
            let (head, body) = r.remaining();
            if head.is_empty() && body.is_empty() {
                return Written::Done;
            }
            let parts = [IoSlice::new(head), IoSlice::new(body)];
            let mut control = SendAncillaryBuffer::default();
            // NOSIGNAL: a closed peer is an error here, never SIGPIPE.
            match rustix::net::sendmsg(&self.stream, &parts, &mut control, SendFlags::NOSIGNAL) {
                Ok(n) => r.sent += n,
                Err(Errno::AGAIN) => return Written::Blocked,
                Err(Errno::INTR) => {}
                Err(_) => return Written::Failed,
            }
        }
    }

    fn drain(&mut self) -> Next {
        let mut chunk = [0u8; CHUNK];
        for _ in 0..DRAIN_READS {
            match (&self.stream).read(&mut chunk) {
                Ok(0) => return Next::Close,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Next::Close,
            }
        }
        Next::Read
    }
}

/// The statuses the server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    Timeout,
    HeadersTooLarge,
    Unavailable,
    VersionNotSupported,
}

impl Status {
    fn line(self) -> &'static str {
        match self {
            Status::Ok => "200 OK",
            Status::BadRequest => "400 Bad Request",
            Status::NotFound => "404 Not Found",
            Status::MethodNotAllowed => "405 Method Not Allowed",
            Status::Timeout => "408 Request Timeout",
            Status::HeadersTooLarge => "431 Request Header Fields Too Large",
            Status::Unavailable => "503 Service Unavailable",
            Status::VersionNotSupported => "505 HTTP Version Not Supported",
        }
    }
}

const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A response: its head, built per request (a few hundred bytes), and its
/// body, shared when it is the page.
struct Response {
    head: Vec<u8>,
    body: Body,
    /// Bytes of head then body written so far.
    sent: usize,
    keep_alive: bool,
}

enum Body {
    /// HEAD: the length is announced, nothing sent.
    None,
    Text(Vec<u8>),
    Page(Arc<Page>, Format),
}

impl Body {
    fn bytes(&self) -> &[u8] {
        match self {
            Body::None => &[],
            Body::Text(t) => t,
            Body::Page(p, Format::OpenMetrics) => &p.openmetrics,
            Body::Page(p, Format::Prometheus) => &p.prometheus,
        }
    }
}

impl Response {
    fn new(
        status: Status,
        content_type: &str,
        body: Body,
        len: usize,
        keep_alive: bool,
    ) -> Response {
        let mut head = format!(
            "HTTP/1.1 {}\r\nDate: {}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {len}\r\nCache-Control: no-store\r\n\
             X-Content-Type-Options: nosniff\r\n",
            status.line(),
            http_date(SystemTime::now())
        );
        if status == Status::MethodNotAllowed {
            head.push_str("Allow: GET, HEAD\r\n");
        }
        head.push_str(if keep_alive {
            "Connection: keep-alive\r\n\r\n"
        } else {
            "Connection: close\r\n\r\n"
        });
        Response {
            head: head.into_bytes(),
            body,
            sent: 0,
            keep_alive,
        }
    }

    /// A small body of words; `head_only` for HEAD.
    fn text(status: Status, body: Vec<u8>, head_only: bool, keep_alive: bool) -> Response {
        Response::with_body(status, TEXT, Body::Text(body), head_only, keep_alive)
    }

    fn with_body(
        status: Status,
        content_type: &str,
        body: Body,
        head_only: bool,
        keep_alive: bool,
    ) -> Response {
        let len = body.bytes().len();
        let body = if head_only { Body::None } else { body };
        Response::new(status, content_type, body, len, keep_alive)
    }

    /// What is left to write of the head and of the body.
    fn remaining(&self) -> (&[u8], &[u8]) {
        let body = self.body.bytes();
        match self.head.get(self.sent..) {
            Some(head) => (head, body),
            None => (
                &[],
                body.get(self.sent - self.head.len()..).unwrap_or_default(),
            ),
        }
    }
}

/// An IMF-fixdate (RFC 9110 5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`. A
/// clock before 1970 reads as 1970.
fn http_date(at: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days to a civil date (proleptic Gregorian), after H. Hinnant's
    // `civil_from_days`, for days since 1970 (never negative here).
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let name = |table: &[&'static str], i: u64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| table.get(i).copied())
            .unwrap_or("?")
    };
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        name(&DAYS, days % 7),
        name(&MONTHS, month - 1),
        rest / 3_600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The answer to a well-formed request.
fn answer(head: &Head, keep_alive: bool, pages: &Published, now: Instant) -> Response {
    let head_only = head.method == Method::Head;
    let text = |status, words: &str| Response::text(status, words.into(), head_only, keep_alive);
    if head.route == Route::Unknown {
        return text(Status::NotFound, words::not_found());
    }
    if head.method == Method::Other {
        return text(Status::MethodNotAllowed, words::method_not_allowed());
    }
    match head.route {
        Route::Metrics => match pages.get() {
            Some(page) => {
                let content_type = match head.format {
                    Format::OpenMetrics => OPENMETRICS,
                    Format::Prometheus => PROMETHEUS,
                };
                let body = Body::Page(page, head.format);
                Response::with_body(Status::Ok, content_type, body, head_only, keep_alive)
            }
            None => text(Status::Unavailable, words::no_scan_yet()),
        },
        Route::Health => match pages.get() {
            None => text(Status::Unavailable, words::no_scan_yet()),
            Some(page) => {
                let age = now.saturating_duration_since(page.at);
                if age <= pages.stale_after {
                    text(Status::Ok, words::healthy())
                } else {
                    text(Status::Unavailable, &words::stale(age, pages.stale_after))
                }
            }
        },
        Route::Landing | Route::Unknown => {
            let page = words::landing_page("proctor", env!("CARGO_PKG_VERSION"));
            let body = Body::Text(page.into_bytes());
            Response::with_body(Status::Ok, HTML, body, head_only, keep_alive)
        }
    }
}

/// The answer to what is not a request this server takes; the connection
/// is closed after it.
fn refuse(bad: Bad, limits: &Limits) -> Response {
    let (status, body) = match bad {
        Bad::Malformed => (Status::BadRequest, words::bad_request().to_string()),
        Bad::TooLarge => (
            Status::HeadersTooLarge,
            words::too_large(limits.max_request_bytes),
        ),
        Bad::Version => (
            Status::VersionNotSupported,
            words::version_not_supported().to_string(),
        ),
    };
    Response::text(status, body.into_bytes(), false, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(method: Method, route: Route) -> Head {
        Head {
            method,
            route,
            http11: true,
            keep_alive: true,
            has_body: false,
            format: Format::Prometheus,
        }
    }

    fn text_of(r: &Response) -> (String, String) {
        (
            String::from_utf8_lossy(&r.head).into_owned(),
            String::from_utf8_lossy(r.body.bytes()).into_owned(),
        )
    }

    #[test]
    fn head_announces_the_length_and_sends_nothing() {
        let pages = Published::new(Duration::from_secs(30));
        let now = Instant::now();
        pages.set(Page {
            openmetrics: b"a 1\n# EOF\n".to_vec(),
            prometheus: b"a 1\n".to_vec(),
            at: now,
        });
        let r = answer(&head(Method::Head, Route::Metrics), true, &pages, now);
        let (h, b) = text_of(&r);
        assert!(h.starts_with("HTTP/1.1 200 OK\r\n"), "{h}");
        assert!(
            h.contains("Content-Length: 4\r\n") && h.contains(PROMETHEUS),
            "{h}"
        );
        assert_eq!(b, "");
        let r = answer(&head(Method::Other, Route::Health), false, &pages, now);
        let (h, _) = text_of(&r);
        assert!(h.starts_with("HTTP/1.1 405 ") && h.contains("Allow: GET, HEAD\r\n"));
        assert!(h.ends_with("Connection: close\r\n\r\n"), "{h}");
    }

    #[test]
    fn dates() {
        let at = |secs| http_date(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(at(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(at(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(at(1_798_761_599), "Thu, 31 Dec 2026 23:59:59 GMT");
        assert_eq!(at(4_107_542_400), "Mon, 01 Mar 2100 00:00:00 GMT");
        assert_eq!(
            http_date(UNIX_EPOCH - Duration::from_secs(5)),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    #[test]
    fn remaining_walks_head_then_body() {
        let mut r = Response::text(Status::Ok, b"body".to_vec(), false, true);
        let n = r.head.len();
        r.sent = n - 2;
        assert_eq!(r.remaining(), (&b"\r\n"[..], &b"body"[..]));
        r.sent = n + 1;
        assert_eq!(r.remaining(), (&b""[..], &b"ody"[..]));
        r.sent = n + 4;
        assert_eq!(r.remaining(), (&b""[..], &b""[..]));
    }
}
