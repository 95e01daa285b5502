//! `proctor serve`'s HTTP server through the library: `http::serve` on
//! 127.0.0.1:0 in a thread of the test, with a `Published` the test fills.
//! Each route and method, content negotiation, 503 before the first scan,
//! malformed, oversized and hostile requests, keep-alive and pipelining,
//! the connection cap, slow clients and parallel scrapes while a normal
//! scrape completes, a client that never reads, and `stop`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use proctor::cmd::serve::http::{self, Limits};
use proctor::cmd::serve::page::{Page, Published};

use crate::common::wait_until;

/// Longest any single client operation may block before the test fails.
const IO_LIMIT: Duration = Duration::from_secs(30);

/// A server running in a thread of the test; stopped and joined on drop.
struct Server {
    addr: SocketAddr,
    pages: Published,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    fn start(limits: Limits) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let pages = Published::new(Duration::from_secs(30));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (pages, stop) = (pages.clone(), Arc::clone(&stop));
            std::thread::spawn(move || http::serve(listener, pages, limits, &stop))
        };
        Server {
            addr,
            pages,
            stop,
            thread: Some(thread),
        }
    }

    /// Publish a page whose two formats are told apart by their text.
    fn publish(&self, prometheus: Vec<u8>, age: Duration) {
        let mut openmetrics = prometheus.clone();
        openmetrics.extend_from_slice(b"# EOF\n");
        let at = Instant::now().checked_sub(age).unwrap();
        self.pages.set(Page {
            openmetrics,
            prometheus,
            at,
        });
    }

    fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    /// One request on a fresh connection.
    fn ask(&self, raw: &str) -> Reply {
        let mut c = self.client();
        c.send(raw.as_bytes());
        c.reply(raw.starts_with("HEAD "))
    }

    /// Stop and join; how long `serve` took to return.
    fn stop(&mut self) -> Duration {
        let t = Instant::now();
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap().unwrap();
        }
        t.elapsed()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        Client::from_stream(TcpStream::connect(addr).unwrap())
    }

    fn from_stream(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(IO_LIMIT)).unwrap();
        stream.set_write_timeout(Some(IO_LIMIT)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Client { stream, reader }
    }

    fn send(&mut self, raw: &[u8]) {
        self.stream.write_all(raw).unwrap();
    }

    /// Read one response: its head, then `Content-Length` bytes of body
    /// (none for a HEAD request).
    fn reply(&mut self, head_only: bool) -> Reply {
        let mut head = String::new();
        loop {
            let mut line = Vec::new();
            let n = self.reader.read_until(b'\n', &mut line).unwrap();
            assert!(n > 0, "connection closed in a response head: {head:?}");
            let line = String::from_utf8(line).expect("response head is UTF-8");
            if line == "\r\n" {
                break;
            }
            assert!(line.ends_with("\r\n"), "{line:?}");
            head.push_str(&line);
        }
        let status = head.get(9..12).and_then(|s| s.parse().ok()).expect(&head);
        assert!(head.starts_with("HTTP/1.1 "), "{head}");
        let mut reply = Reply {
            status,
            head,
            body: Vec::new(),
        };
        let len: usize = reply.header("content-length").unwrap().parse().unwrap();
        if !head_only {
            reply.body = vec![0; len];
            self.reader.read_exact(&mut reply.body).unwrap();
        }
        reply
    }

    /// The server closed the connection: a read ends (EOF or reset)
    /// without any byte.
    fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0) | Err(_))
    }
}

fn quick() -> Limits {
    Limits {
        max_connections: 64,
        header_timeout: Duration::from_secs(5),
        write_timeout: Duration::from_secs(10),
        max_request_bytes: 8 * 1024,
    }
}

/// About `bytes` of exposition lines, one distinct series a line.
fn big_page(bytes: usize) -> Vec<u8> {
    let mut page = b"# TYPE proctor_open_fds gauge\n".to_vec();
    let mut i = 0;
    while page.len() < bytes {
        page.extend_from_slice(
            format!("proctor_open_fds{{namespace=\"ns\",pod=\"pod-{i}\",container=\"c\"}} {i}\n")
                .as_bytes(),
        );
        i += 1;
    }
    page
}

const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

#[test]
fn routes_and_methods() {
    let s = Server::start(quick());
    s.publish(b"up 1\n".to_vec(), Duration::ZERO);

    let r = s.ask("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let version = concat!("<h1>proctor ", env!("CARGO_PKG_VERSION"), "</h1>");
    assert!(r.text().contains(version), "{}", r.text());
    assert!(r.text().contains("href=\"metrics\"") && r.text().contains("href=\"healthz\""));

    let r = s.ask("GET /healthz HTTP/1.1\r\n\r\n");
    assert_eq!((r.status, r.text().as_str()), (200, "ok\n"));
    let date = r.header("date").unwrap();
    assert!(date.len() == 29 && date.ends_with(" GMT"), "{date:?}");

    let r = s.ask("GET /metrics?name[]=up HTTP/1.1\r\n\r\n");
    assert_eq!((r.status, r.text().as_str()), (200, "up 1\n"));

    // HEAD: the length of the body GET would send, and no body (the next
    // response on the connection starts right after the head).
    let mut c = s.client();
    c.send(b"HEAD /metrics HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n");
    let r = c.reply(true);
    assert_eq!((r.status, r.header("content-length")), (200, Some("5")));
    assert_eq!(c.reply(false).text(), "ok\n");

    for (req, status) in [
        (
            "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            405,
        ),
        ("PUT / HTTP/1.1\r\n\r\n", 405),
        ("OPTIONS /healthz HTTP/1.1\r\n\r\n", 405),
        ("GET /nope HTTP/1.1\r\n\r\n", 404),
        ("DELETE /nope HTTP/1.1\r\n\r\n", 404),
        ("GET /metrics/ HTTP/1.1\r\n\r\n", 404),
        ("GET /favicon.ico HTTP/1.0\r\n\r\n", 404),
    ] {
        let r = s.ask(req);
        assert_eq!(r.status, status, "{req:?}: {r:?}");
        if status == 405 {
            assert_eq!(r.header("allow"), Some("GET, HEAD"), "{req:?}");
        }
    }
}

#[test]
fn content_negotiation() {
    let s = Server::start(quick());
    s.publish(b"up 1\n".to_vec(), Duration::ZERO);
    let om = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    let text = "text/plain; version=0.0.4; charset=utf-8";
    for (accept, content_type, body) in [
        (Some(PROMETHEUS_ACCEPT), om, "up 1\n# EOF\n"),
        (Some("application/openmetrics-text"), om, "up 1\n# EOF\n"),
        (Some("text/plain;version=0.0.4"), text, "up 1\n"),
        (Some("*/*"), text, "up 1\n"),
        (
            Some("application/openmetrics-text;q=0.2, text/plain;q=0.9"),
            text,
            "up 1\n",
        ),
        (None, text, "up 1\n"),
    ] {
        let accept_line = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
        let r = s.ask(&format!("GET /metrics HTTP/1.1\r\n{accept_line}\r\n"));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some(content_type), "{accept:?}");
        assert_eq!(r.text(), body, "{accept:?}");
    }
}

#[test]
fn unavailable_before_the_first_scan_and_when_stale() {
    let s = Server::start(quick());
    let r = s.ask("GET /metrics HTTP/1.1\r\n\r\n");
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "no scan has finished yet\n")
    );
    let r = s.ask("GET /healthz HTTP/1.1\r\n\r\n");
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "no scan has finished yet\n")
    );

    // Stale after 30 s: a page 90 s old serves /metrics but fails /healthz.
    s.publish(b"up 1\n".to_vec(), Duration::from_secs(90));
    let r = s.ask("GET /healthz HTTP/1.1\r\n\r\n");
    assert_eq!(r.status, 503);
    assert!(
        r.text().starts_with("the last scan finished 9")
            && r.text().ends_with(" s ago (stale after 30 s)\n"),
        "{}",
        r.text()
    );
    assert_eq!(s.ask("GET /metrics HTTP/1.1\r\n\r\n").status, 200);
    s.publish(b"up 1\n".to_vec(), Duration::ZERO);
    assert_eq!(s.ask("GET /healthz HTTP/1.1\r\n\r\n").status, 200);
}

#[test]
fn garbage_oversized_and_hostile_requests() {
    let s = Server::start(quick());
    s.publish(b"up 1\n".to_vec(), Duration::ZERO);
    let huge = format!(
        "GET /metrics HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(16 * 1024)
    );
    let endless = "GET /metrics HTTP/1.1\r\nX-Pad: ".to_string() + &"b".repeat(64 * 1024);
    for (req, status) in [
        (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
            400,
        ),
        (b"SSH-2.0-OpenSSH_9.6\r\n".to_vec(), 400),
        (b"GET /metrics\r\n\r\n".to_vec(), 400),
        (b"GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n".to_vec(), 400),
        (b"GET /metrics HTTP/1.1\r\nX: a\x00b\r\n\r\n".to_vec(), 400),
        (b"GET / HTTP/2.0\r\n\r\n".to_vec(), 505),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), 505),
        (huge.into_bytes(), 431),
        (endless.into_bytes(), 431),
    ] {
        let mut c = s.client();
        c.send(&req);
        let r = c.reply(false);
        let shown = String::from_utf8_lossy(&req[..req.len().min(40)]).into_owned();
        assert_eq!(r.status, status, "{shown:?}");
        assert_eq!(r.header("connection"), Some("close"));
        assert!(c.closed(), "the connection is closed after a {status}");
    }
    let r = s.ask("GET / HTTP/1.1\r\nX-Pad: \r\n\r\n");
    assert_eq!(r.status, 200, "the server still serves");

    // Hostile bytes in the path never come back: not in the head, not in
    // the body, whatever the status.
    for path in [
        &b"/\x1b[31mred\x1b[0m"[..],
        b"/<script>alert(1)</script>",
        b"/metrics\xff\xfe",
        b"/%1b%5b31m",
        b"/\r\nSet-Cookie: a=b",
    ] {
        let mut req = b"GET ".to_vec();
        req.extend_from_slice(path);
        req.extend_from_slice(b" HTTP/1.1\r\nConnection: close\r\n\r\n");
        let mut c = s.client();
        c.send(&req);
        let mut raw = Vec::new();
        let _ = c.reader.read_to_end(&mut raw);
        let raw = String::from_utf8(raw).expect("the answer is plain UTF-8");
        assert!(
            raw.starts_with("HTTP/1.1 400 ") || raw.starts_with("HTTP/1.1 404 "),
            "{raw}"
        );
        for needle in ["\x1b", "script", "red", "Set-Cookie", "%1b", "\u{fffd}"] {
            assert!(!raw.contains(needle), "{needle:?} echoed: {raw:?}");
        }
    }
}

#[test]
fn keep_alive_pipelining_and_close() {
    let s = Server::start(quick());
    s.publish(b"up 1\n".to_vec(), Duration::ZERO);
    // HTTP/1.1 keeps the connection; three pipelined requests, in order.
    let mut c = s.client();
    c.send(b"GET /healthz HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n");
    let r = c.reply(false);
    assert_eq!(
        (r.status, r.header("connection")),
        (200, Some("keep-alive"))
    );
    assert_eq!(c.reply(false).text(), "up 1\n");
    assert_eq!(c.reply(false).status, 404);
    c.send(b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
    let r = c.reply(false);
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(c.closed(), "Connection: close is honoured");

    // HTTP/1.0 closes unless asked to keep the connection.
    let mut c = s.client();
    c.send(b"GET /healthz HTTP/1.0\r\n\r\n");
    assert_eq!(c.reply(false).header("connection"), Some("close"));
    assert!(c.closed());
    let mut c = s.client();
    c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(c.reply(false).header("connection"), Some("keep-alive"));
    c.send(b"GET /healthz HTTP/1.0\r\n\r\n");
    assert_eq!(c.reply(false).text(), "ok\n");

    // A request that comes in pieces is answered once whole.
    let mut c = s.client();
    c.send(b"GET /hea");
    c.send(b"lthz HTTP/1.1\r\nHost: x\r\n");
    c.send(b"\r\n");
    assert_eq!(c.reply(false).text(), "ok\n");
}

#[test]
fn header_timeout_answers_408_or_closes() {
    let s = Server::start(Limits {
        header_timeout: Duration::from_secs(1),
        ..quick()
    });
    let t = Instant::now();
    let mut partial = s.client();
    partial.send(b"GET /metr");
    let mut silent = s.client();
    // A client sending a byte every 100 ms gains nothing: the deadline
    // counts from the connection, not from the last byte.
    let mut trickle = s.client();
    let trickler = {
        let mut w = trickle.stream.try_clone().unwrap();
        std::thread::spawn(move || {
            for b in b"GET /metrics HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
                if w.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let r = partial.reply(false);
    assert_eq!(r.status, 408);
    assert_eq!(
        r.text(),
        "request timeout: the request did not arrive within 1 s\n"
    );
    assert!(partial.closed());
    assert!(
        silent.closed(),
        "a client that never spoke is closed quietly"
    );
    let r = trickle.reply(false);
    let waited = t.elapsed();
    assert_eq!(r.status, 408);
    assert!(
        waited < Duration::from_millis(2500),
        "a trickling client held its connection for {waited:?}"
    );
    trickler.join().unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "closed before the header timeout: {:?}",
        t.elapsed()
    );
}

/// 25 connections that never send a byte and 25 that send one byte a
/// second (a request that would take minutes), plus 100 parallel scrapes
/// of a ~500 KiB page: a normal scrape still completes, within 5 s where
/// the slow clients hold their connections for 30 s.
#[test]
fn slow_clients_and_parallel_scrapes_do_not_hold_a_normal_scrape() {
    let s = Server::start(Limits {
        header_timeout: Duration::from_secs(30),
        max_connections: 512,
        ..quick()
    });
    let page = big_page(500 * 1024);
    s.publish(page.clone(), Duration::ZERO);
    let addr = s.addr;

    let idle: Vec<TcpStream> = (0..25).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let trickling: Vec<TcpStream> = (0..25).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let done = Arc::new(AtomicBool::new(false));
    let trickled = Arc::new(AtomicUsize::new(0));
    let trickler = {
        let (done, trickled) = (Arc::clone(&done), Arc::clone(&trickled));
        std::thread::spawn(move || {
            let request =
                b"GET /metrics HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
            for byte in request.iter().cycle() {
                for mut t in &trickling {
                    t.write_all(&[*byte]).unwrap();
                }
                trickled.fetch_add(1, Ordering::Relaxed);
                let next = Instant::now() + Duration::from_secs(1);
                while Instant::now() < next {
                    if done.load(Ordering::Relaxed) {
                        return trickling;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            trickling
        })
    };
    wait_until("the slow clients started", IO_LIMIT, || {
        trickled.load(Ordering::Relaxed) >= 2
    });

    let started = Instant::now();
    let scrapers: Vec<_> = (0..100)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                c.send(b"GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
                c.reply(false).body.len()
            })
        })
        .collect();
    let t = Instant::now();
    let r = Server::ask(&s, "GET /metrics HTTP/1.1\r\n\r\n");
    let normal = t.elapsed();
    assert_eq!(r.body, page);
    for scraper in scrapers {
        assert_eq!(scraper.join().unwrap(), page.len());
    }
    let all = started.elapsed();
    assert!(
        normal < Duration::from_secs(5),
        "a normal scrape took {normal:?} beside 50 slow clients and 100 scrapes"
    );
    assert!(
        all < Duration::from_secs(20),
        "100 parallel scrapes took {all:?}"
    );

    // The slow clients were still connected all along: none was answered
    // or closed (their 30 s have not passed).
    done.store(true, Ordering::Relaxed);
    let trickling = trickler.join().unwrap();
    for mut c in idle.iter().chain(&trickling) {
        c.set_nonblocking(true).unwrap();
        let mut b = [0u8; 1];
        let e = c.read(&mut b).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    }
}

/// A client that asks for a large page and never reads it is reset at
/// the write timeout, and the server keeps serving meanwhile.
#[test]
fn a_client_that_never_reads_is_dropped_at_the_write_timeout() {
    use rustix::net::sockopt;
    let s = Server::start(Limits {
        write_timeout: Duration::from_secs(1),
        ..quick()
    });
    // Larger than what the kernel buffers on both sides of loopback.
    s.publish(big_page(8 << 20), Duration::ZERO);
    let mut client = not_reading_client(s.addr);
    let t = Instant::now();
    client.send(b"GET /metrics HTTP/1.1\r\n\r\n");
    let stuck = &client.stream;

    assert_eq!(s.ask("GET /healthz HTTP/1.1\r\n\r\n").text(), "ok\n");
    wait_until(
        "the server resets the client that does not read",
        IO_LIMIT,
        || {
            matches!(
                sockopt::socket_error(stuck),
                Ok(Err(rustix::io::Errno::CONNRESET))
            )
        },
    );
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "reset before the write timeout: {:?}",
        t.elapsed()
    );
    assert_eq!(s.ask("GET /healthz HTTP/1.1\r\n\r\n").text(), "ok\n");
}

/// At the cap, a new connection takes the place of the one that has
/// waited longest for its request: silent clients cannot fill the server.
#[test]
fn at_the_cap_the_longest_silent_connection_makes_room() {
    let s = Server::start(Limits {
        max_connections: 3,
        header_timeout: Duration::from_secs(30),
        ..quick()
    });
    s.publish(b"up 1\n".to_vec(), Duration::ZERO);
    // The kernel's accept queue is in order: these three take the slots.
    let mut oldest = s.client();
    let silent = s.client();
    let mut slow = s.client();
    slow.send(b"GET /me");
    let t = Instant::now();
    let r = s.ask("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(r.text(), "ok\n");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "served beside 3 silent clients at a cap of 3 after {:?} (header timeout 30 s)",
        t.elapsed()
    );
    assert!(oldest.closed(), "the longest silent connection made room");
    for c in [&silent.stream, &slow.stream] {
        c.set_nonblocking(true).unwrap();
        let e = (&*c).read(&mut [0u8; 1]).unwrap_err();
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::WouldBlock,
            "only one was closed"
        );
    }
}

/// When every connection is being answered, more wait in the backlog:
/// served once a slot frees (here when a client that does not read is
/// reset at the write timeout).
#[test]
fn when_all_are_answering_new_connections_wait_in_the_backlog() {
    let s = Server::start(Limits {
        max_connections: 1,
        write_timeout: Duration::from_secs(2),
        ..quick()
    });
    s.publish(big_page(8 << 20), Duration::ZERO);
    let mut stuck = not_reading_client(s.addr);
    stuck.send(b"GET /metrics HTTP/1.1\r\n\r\n");
    let mut first = [0u8; 9];
    stuck.stream.read_exact(&mut first).unwrap();
    let t = Instant::now();
    let r = s.ask("GET /healthz HTTP/1.1\r\n\r\n");
    assert_eq!(r.text(), "ok\n");
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "served beyond the cap of 1 after {:?}",
        t.elapsed()
    );
    wait_until("the client that does not read is reset", IO_LIMIT, || {
        matches!(
            rustix::net::sockopt::socket_error(&stuck.stream),
            Ok(Err(rustix::io::Errno::CONNRESET))
        )
    });
}

/// A client with a receive buffer of a few KiB, so a large response fills
/// the kernel's buffers on both sides of loopback.
fn not_reading_client(addr: SocketAddr) -> Client {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, sockopt};
    // Close-on-exec: children other tests spawn meanwhile must not inherit it.
    let sock = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    sockopt::set_socket_recv_buffer_size(&sock, 4096).unwrap();
    rustix::net::connect(&sock, &addr).unwrap();
    Client::from_stream(TcpStream::from(sock))
}

#[test]
fn stop_ends_serve_promptly_and_closes_connections() {
    let mut s = Server::start(quick());
    s.publish(big_page(8 << 20), Duration::ZERO);
    let mut idle = s.client();
    let mut reading = s.client();
    reading.send(b"GET /metrics HTTP/1.1\r\n\r\n");
    let mut half = s.client();
    half.send(b"GET /met");
    // The server has taken the request: the answer has started.
    let mut first = [0u8; 9];
    reading.reader.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 ");
    let took = s.stop();
    assert!(
        took < Duration::from_secs(1),
        "serve returned after {took:?}"
    );
    assert!(idle.closed() && half.closed());
    let mut rest = Vec::new();
    let _ = reading.reader.read_to_end(&mut rest);
    assert!(rest.len() < 8 << 20, "the response was cut at stop");
    assert!(
        TcpStream::connect(s.addr).is_err(),
        "the listener is closed"
    );
}

/// Limits at their extremes are clamped or saturate: no overflow panic,
/// and a cap of 0 still serves one connection at a time.
#[test]
fn extreme_limits_never_panic() {
    let s = Server::start(Limits {
        max_connections: 0,
        header_timeout: Duration::MAX,
        write_timeout: Duration::MAX,
        max_request_bytes: usize::MAX,
    });
    let r = s.ask("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "no scan has finished yet\n")
    );
    s.publish(b"up 1\n".to_vec(), Duration::ZERO);
    let r = s.ask("GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!((r.status, r.text().as_str()), (200, "up 1\n"));
}
