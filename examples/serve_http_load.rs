//! Load for `bench/serve-http.sh`: `proctor serve`'s HTTP server (the
//! library's `http::serve`, in a thread) with a page of about `--page-kib`
//! KiB, scraped alone and under load: `--slow` clients holding connections
//! (half never send a byte, half send one byte a second) and `--parallel`
//! threads scraping back to back on fresh connections.
//!
//! Usage:
//!   serve_http_load [--page-kib 500] [--scrapes 200] [--slow 50] [--parallel 100]
//!       measures itself: the latency of `--scrapes` sequential scrapes
//!       (connect, request, whole body read) on fresh connections and on
//!       one kept connection, alone and under load; prints medians.
//!   serve_http_load --hold SECONDS [--load] [...]
//!       serves (with the load running if `--load`), prints `READY PORT`,
//!       and exits after SECONDS: for an outside client such as curl.
//!   serve_http_load --target PORT [...]
//!       measures as in the first form, against a server already running
//!       on 127.0.0.1:PORT (one started with `--hold`, whose own memory
//!       and CPU time the script then reads).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use proctor::cmd::serve::http::{self, Limits};
use proctor::cmd::serve::page::{Page, Published};

struct Opts {
    page_kib: usize,
    scrapes: usize,
    slow: usize,
    parallel: usize,
    hold: Option<u64>,
    target: Option<u16>,
    load: bool,
}

fn opts() -> Result<Opts, String> {
    let mut o = Opts {
        page_kib: 500,
        scrapes: 200,
        slow: 50,
        parallel: 100,
        hold: None,
        target: None,
        load: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--load" {
            o.load = true;
            continue;
        }
        let v: u64 = args
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or(format!("{a} needs a number"))?;
        let n = usize::try_from(v).map_err(|e| e.to_string())?;
        match a.as_str() {
            "--page-kib" => o.page_kib = n,
            "--scrapes" => o.scrapes = n.max(1),
            "--slow" => o.slow = n,
            "--parallel" => o.parallel = n,
            "--hold" => o.hold = Some(v),
            "--target" => o.target = Some(u16::try_from(v).map_err(|e| e.to_string())?),
            _ => return Err(format!("unknown option {a}")),
        }
    }
    Ok(o)
}

fn page(bytes: usize) -> Vec<u8> {
    let mut page = b"# TYPE proctor_open_fds gauge\n".to_vec();
    let mut i = 0;
    while page.len() < bytes {
        let line = format!(
            "proctor_open_fds{{namespace=\"ns-{}\",pod=\"pod-{i}\",container=\"app\",unit=\"\",group=\"\"}} {i}\n",
            i % 40
        );
        page.extend_from_slice(line.as_bytes());
        i += 1;
    }
    page
}

/// One scrape on a connection: request, head, `Content-Length` bytes.
fn scrape(reader: &mut BufReader<TcpStream>, close: bool) -> std::io::Result<usize> {
    let req: &[u8] = if close {
        b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    } else {
        b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n"
    };
    reader.get_mut().write_all(req)?;
    let mut len = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.trim().parse().ok();
        }
    }
    let len = len.ok_or(std::io::ErrorKind::InvalidData)?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(len)
}

fn fresh_scrape(addr: SocketAddr) -> std::io::Result<usize> {
    let s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    scrape(&mut BufReader::new(s), true)
}

/// Slow clients and parallel scrapers, until `done`.
struct Load {
    done: Arc<AtomicBool>,
    scrapes: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<()>>,
}

impl Load {
    fn start(addr: SocketAddr, slow: usize, parallel: usize) -> std::io::Result<Load> {
        let done = Arc::new(AtomicBool::new(false));
        let scrapes = Arc::new(AtomicUsize::new(0));
        let mut idle = Vec::new();
        let mut trickling = Vec::new();
        for i in 0..slow {
            let s = TcpStream::connect(addr)?;
            if i % 2 == 0 {
                &mut idle
            } else {
                &mut trickling
            }
            .push(s);
        }
        let mut threads = Vec::new();
        let d = Arc::clone(&done);
        threads.push(std::thread::spawn(move || {
            let _idle = idle;
            for byte in b"GET /metrics HTTP/1.1\r\nX-Slow: ".iter().cycle() {
                for mut t in &trickling {
                    let _ = t.write_all(&[*byte]);
                }
                for _ in 0..50 {
                    if d.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }));
        for _ in 0..parallel {
            let (d, n) = (Arc::clone(&done), Arc::clone(&scrapes));
            threads.push(std::thread::spawn(move || {
                while !d.load(Ordering::Relaxed) {
                    if fresh_scrape(addr).is_ok() {
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        Ok(Load {
            done,
            scrapes,
            threads,
        })
    }

    fn stop(self) {
        self.done.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn median_ms(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p90 = v[(v.len() * 9 / 10).min(v.len() - 1)];
    (ms(v[v.len() / 2]), ms(p90), ms(v[v.len() - 1]))
}

/// `n` sequential scrapes: on fresh connections, then on one kept one.
fn measure(addr: SocketAddr, n: usize) -> std::io::Result<[(f64, f64, f64); 2]> {
    let mut fresh = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        fresh_scrape(addr)?;
        fresh.push(t.elapsed());
    }
    let s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut kept = BufReader::new(s);
    let mut keep = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        scrape(&mut kept, false)?;
        keep.push(t.elapsed());
    }
    Ok([median_ms(fresh), median_ms(keep)])
}

fn report(what: &str, r: [(f64, f64, f64); 2]) {
    for (how, (med, p90, max)) in ["fresh connection", "kept connection"].iter().zip(r) {
        println!("{what:<28} {how:<17} median {med:7.2} ms  p90 {p90:7.2} ms  max {max:7.2} ms");
    }
}

/// Both measurements against `addr`: alone, then under load.
fn measure_both(addr: SocketAddr, o: &Opts) -> std::io::Result<()> {
    println!("{} sequential scrapes each way", o.scrapes);
    report("alone", measure(addr, o.scrapes)?);
    let load = Load::start(addr, o.slow, o.parallel)?;
    let t = Instant::now();
    let before = load.scrapes.load(Ordering::Relaxed);
    let r = measure(addr, o.scrapes)?;
    let background = load.scrapes.load(Ordering::Relaxed) - before;
    let secs = t.elapsed().as_secs_f64();
    load.stop();
    report(&format!("{} slow + {} parallel", o.slow, o.parallel), r);
    println!(
        "background: {background} scrapes in {secs:.1} s ({:.0}/s)",
        background as f64 / secs
    );
    Ok(())
}

fn run(o: &Opts) -> std::io::Result<()> {
    if let Some(port) = o.target {
        return measure_both(SocketAddr::from(([127, 0, 0, 1], port)), o);
    }
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let pages = Published::new(Duration::from_secs(60));
    let body = page(o.page_kib * 1024);
    let mut openmetrics = body.clone();
    openmetrics.extend_from_slice(b"# EOF\n");
    pages.set(Page {
        openmetrics,
        prometheus: body.clone(),
        at: Instant::now(),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let stop = Arc::clone(&stop);
        let limits = Limits {
            // The slow clients must not time out during the measurement.
            header_timeout: Duration::from_secs(120),
            ..Limits::default()
        };
        std::thread::spawn(move || http::serve(listener, pages, limits, &stop))
    };
    if let Some(secs) = o.hold {
        let load = o
            .load
            .then(|| Load::start(addr, o.slow, o.parallel))
            .transpose()?;
        println!("READY {}", addr.port());
        std::thread::sleep(Duration::from_secs(secs));
        if let Some(l) = load {
            l.stop();
        }
    } else {
        println!("page {} bytes", body.len());
        measure_both(addr, o)?;
    }
    stop.store(true, Ordering::Relaxed);
    server
        .join()
        .map_err(|_| std::io::Error::other("server thread panicked"))?
}

fn main() -> ExitCode {
    let o = match opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("serve_http_load: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve_http_load: {e}");
            ExitCode::from(1)
        }
    }
}
