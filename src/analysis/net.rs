//! The `net` view: the process's sockets with their fds, filtered, and
//! the summary.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::parse::fdlink;
use crate::parse::net::{self, Proto};
use crate::reader::{FdEntry, Sockets};
use crate::text::Text;

/// A socket address as shown: an inet address ("ip:port", "[v6]:port",
/// IPv4-mapped shown as IPv4) or a unix socket name. Formatted when
/// printed, not stored as text (20,000 rows, two addresses each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    Inet(std::net::SocketAddr),
    Unix(Text),
}

impl Addr {
    /// Bytes for the terminal escaper (unix names) or the text (inet).
    pub fn write_to(&self, s: &mut String) {
        match self {
            Addr::Inet(a) => {
                use std::fmt::Write as _;
                let _ = write!(s, "{}", net::AddrDisplay(a));
            }
            Addr::Unix(t) => crate::text::escape_into(s, t.as_bytes()),
        }
    }

    pub fn to_json_string(&self) -> String {
        match self {
            Addr::Inet(a) => net::format_addr(a),
            Addr::Unix(t) => t.to_json_string(),
        }
    }
}

impl Serialize for Addr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Addr::Inet(a) => s.collect_str(&net::AddrDisplay(a)),
            Addr::Unix(t) => t.serialize(s),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SocketRow {
    pub fd: Option<i32>,
    pub proto: &'static str,
    /// "ip:port" ("[v6]:port"); for unix sockets the path, `@name` for the
    /// abstract namespace, null when unnamed.
    pub local: Option<Addr>,
    pub remote: Option<Addr>,
    pub state: &'static str,
    pub inode: u64,
    pub rx_queue: Option<u64>,
    pub tx_queue: Option<u64>,
    /// A TCP listener's backlog: the most connections its accept queue
    /// (`rx_queue`) holds, as `ss -lt` shows in Send-Q. Null when the text
    /// tables were read (they do not carry it); absent on other sockets.
    #[serde(skip_serializing_if = "Backlog::is_none")]
    pub backlog: Backlog,
}

/// A TCP listener's backlog: not a listener (absent from the JSON), known,
/// or unknown (`null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backlog {
    None,
    Known(u64),
    Unknown,
}

impl Backlog {
    pub fn is_none(&self) -> bool {
        *self == Backlog::None
    }
}

impl Serialize for Backlog {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Backlog::Known(n) => s.serialize_u64(*n),
            _ => s.serialize_none(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NetReport {
    pub pid: i32,
    /// `process`: the process's own sockets; `namespace`: its descriptors
    /// could not be read, so every socket of its network namespace.
    pub scope: &'static str,
    /// All sockets of the process (the summary ignores filters).
    pub count: u64,
    pub by_protocol: BTreeMap<&'static str, u64>,
    /// TCP state name -> count (tcp and tcp6).
    pub by_state: BTreeMap<&'static str, u64>,
    /// Listening TCP addresses and bound unconnected UDP addresses.
    pub listening: Vec<String>,
    pub close_wait: u64,
    /// Rows shown (after filters), ordered by protocol, state, fd.
    pub sockets: Vec<SocketRow>,
}

/// Filters from the command line; empty lists mean "all".
#[derive(Debug, Clone, Default)]
pub struct NetFilter {
    /// `tcp`, `udp`, `unix`, `raw`: families including their v6 twin.
    pub protos: Vec<String>,
    /// State names, upper case with underscores (CLOSE_WAIT).
    pub states: Vec<String>,
    pub listening: bool,
}

fn udp_state(s: u8) -> &'static str {
    match s {
        net::TCP_CLOSE => "UNCONN",
        0x01 => "ESTABLISHED",
        _ => net::tcp_state_name(s),
    }
}

fn family(proto: &str) -> &str {
    proto.trim_end_matches('6')
}

/// Normalise a state given by a user: `close-wait` -> `CLOSE_WAIT`.
pub fn normalize_state(s: &str) -> String {
    s.trim().to_ascii_uppercase().replace('-', "_")
}

/// State names accepted by `--state`.
pub const STATES: [&str; 17] = [
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
    "NEW_SYN_RECV",
    "UNCONN",
    "CONNECTED",
    "UNCONNECTED",
    "CONNECTING",
    "DISCONNECTING",
];

/// A socket row and whether the socket listens (TCP LISTEN, bound
/// unconnected UDP, listening unix socket).
type Row = (SocketRow, bool);

/// Socket descriptors by inode.
type FdOf = rustc_hash::FxHashMap<u64, i32>;

pub fn build(pid: i32, fds: &[FdEntry], sk: &Sockets, filter: &NetFilter) -> NetReport {
    let fd_of = socket_fds(fds);
    let mut all: Vec<Row> = sk.inet.iter().map(|s| inet_row(s, &fd_of)).collect();
    all.extend(sk.unix.iter().map(|u| unix_row(u, &fd_of)));
    // On a table line that did not parse: the protocol is known, the
    // rest is not (`?`).
    all.extend(sk.unparsed.iter().map(|(proto, inode)| {
        let row = bare_row(fd_of.get(inode).copied(), proto.as_str(), "?", *inode);
        (row, false)
    }));
    all.extend(untabled(&fd_of, &all));
    let summary = summarise(&all);
    let count = all.len() as u64;
    NetReport {
        scope: "process",
        pid,
        count,
        by_protocol: summary.by_protocol,
        by_state: summary.by_state,
        listening: summary.listening,
        close_wait: summary.close_wait,
        sockets: select(all, filter),
    }
}

/// The inode of every socket descriptor, with its descriptor number.
fn socket_fds(fds: &[FdEntry]) -> FdOf {
    let none = Default::default();
    fds.iter()
        .filter_map(|e| {
            let l = fdlink::classify(e.link.as_deref().ok()?, None, &none);
            (l.kind == fdlink::FdKind::Socket).then_some((l.inode?, e.fd))
        })
        .collect()
}

/// A TCP, UDP or raw socket's state name, and its remote address when it
/// has one (connected).
pub fn inet_state_and_remote(s: &net::InetSocket) -> (&'static str, Option<std::net::SocketAddr>) {
    let state = if s.proto.is_tcp() {
        net::tcp_state_name(s.state)
    } else {
        udp_state(s.state)
    };
    let connected = s.remote.port() != 0 || !s.remote.ip().is_unspecified();
    (state, connected.then_some(s.remote))
}

/// A TCP listener's backlog (known from sock_diag only); None on any
/// other socket.
pub fn backlog_of(s: &net::InetSocket) -> Backlog {
    match (s.proto.is_tcp() && s.state == net::TCP_LISTEN, s.backlog) {
        (false, _) => Backlog::None,
        (true, Some(b)) => Backlog::Known(b),
        (true, None) => Backlog::Unknown,
    }
}

/// A TCP, UDP or raw socket (v4 or v6) of the tables.
fn inet_row(s: &net::InetSocket, fd_of: &FdOf) -> Row {
    let tcp = s.proto.is_tcp();
    let (state, remote) = inet_state_and_remote(s);
    let listening = if tcp {
        s.state == net::TCP_LISTEN
    } else {
        matches!(s.proto, Proto::Udp | Proto::Udp6)
            && s.state == net::TCP_CLOSE
            && s.local.port() != 0
    };
    let row = SocketRow {
        fd: fd_of.get(&s.inode).copied(),
        proto: s.proto.as_str(),
        local: Some(Addr::Inet(s.local)),
        remote: remote.map(Addr::Inet),
        state,
        inode: s.inode,
        rx_queue: Some(s.rx_queue),
        tx_queue: Some(s.tx_queue),
        backlog: backlog_of(s),
    };
    (row, listening)
}

/// A unix socket of the table.
fn unix_row(u: &net::UnixSocket, fd_of: &FdOf) -> Row {
    let row = SocketRow {
        fd: fd_of.get(&u.inode).copied(),
        proto: "unix",
        local: (!u.path.is_empty()).then(|| Addr::Unix(Text(u.path.clone()))),
        remote: None,
        state: net::unix_state_name(u),
        inode: u.inode,
        rx_queue: u.queues.map(|q| q.0),
        tx_queue: u.queues.map(|q| q.1),
        backlog: Backlog::None,
    };
    (row, u.listening)
}

/// A socket known only by its protocol and inode: no address, no queues.
fn bare_row(fd: Option<i32>, proto: &'static str, state: &'static str, inode: u64) -> SocketRow {
    SocketRow {
        fd,
        proto,
        local: None,
        remote: None,
        state,
        inode,
        rx_queue: None,
        tx_queue: None,
        backlog: Backlog::None,
    }
}

/// Socket descriptors found in no table (netlink, packet, vsock...), by
/// descriptor number.
fn untabled(fd_of: &FdOf, tabled: &[Row]) -> Vec<Row> {
    let known: net::InodeSet = tabled.iter().map(|r| r.0.inode).collect();
    let mut others: Vec<(&u64, &i32)> = fd_of.iter().filter(|(i, _)| !known.contains(i)).collect();
    others.sort_by_key(|(_, fd)| **fd);
    others
        .into_iter()
        .map(|(inode, fd)| (bare_row(Some(*fd), "other", "UNKNOWN", *inode), false))
        .collect()
}

/// The summary of every socket (filters do not apply to it).
struct Summary {
    by_protocol: BTreeMap<&'static str, u64>,
    by_state: BTreeMap<&'static str, u64>,
    listening: Vec<String>,
    close_wait: u64,
}

fn summarise(all: &[Row]) -> Summary {
    let mut s = Summary {
        by_protocol: BTreeMap::new(),
        by_state: BTreeMap::new(),
        listening: Vec::new(),
        close_wait: 0,
    };
    for (r, l) in all {
        *s.by_protocol.entry(r.proto).or_default() += 1;
        if r.proto.starts_with("tcp") {
            *s.by_state.entry(r.state).or_default() += 1;
            s.close_wait += u64::from(r.state == "CLOSE_WAIT");
        }
        if *l && r.proto != "unix" {
            if let Some(a) = &r.local {
                s.listening
                    .push(format!("{} {}", family(r.proto), a.to_json_string()));
            }
        }
    }
    s.listening.sort();
    s.listening.dedup();
    s
}

/// The rows the filter keeps, ordered by family, listening first, state,
/// descriptor and inode.
fn select(all: Vec<Row>, filter: &NetFilter) -> Vec<SocketRow> {
    let mut sockets: Vec<SocketRow> = all
        .into_iter()
        .filter(|(r, l)| {
            (filter.protos.is_empty() || filter.protos.iter().any(|p| p == family(r.proto)))
                && (filter.states.is_empty() || filter.states.iter().any(|s| s == r.state))
                && (!filter.listening || *l)
        })
        .map(|(r, _)| r)
        .collect();
    sockets.sort_unstable_by(|a, b| {
        let listens = |r: &SocketRow| r.state != "LISTEN";
        family(a.proto)
            .cmp(family(b.proto))
            .then(listens(a).cmp(&listens(b)))
            .then(a.state.cmp(b.state))
            .then(a.fd.cmp(&b.fd))
            .then(a.inode.cmp(&b.inode))
    });
    sockets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fd: i32, inode: u64) -> FdEntry {
        FdEntry {
            fd,
            link: Ok(format!("socket:[{inode}]").into_bytes()),
            info: None,
        }
    }

    #[test]
    fn joins_fds_filters_and_summarises() {
        let tcp = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1\n   1: 0100007F:1F90 0100007F:D431 08 00000001:00000002 00:00000000 00000000     0        0 1002 1\n";
        let udp = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n  1: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1003 2 0 0\n";
        let wanted: net::InodeSet = [1001, 1002, 1003, 1004].into_iter().collect();
        let mut sk = Sockets::default();
        sk.inet.extend(net::parse_inet(tcp, Proto::Tcp, &wanted));
        sk.inet.extend(net::parse_inet(udp, Proto::Udp, &wanted));
        sk.other = 1;
        let fds = vec![
            entry(3, 1001),
            entry(4, 1002),
            entry(5, 1003),
            entry(6, 1004),
        ];
        let r = build(9, &fds, &sk, &NetFilter::default());
        assert_eq!(r.count, 4);
        assert_eq!(r.close_wait, 1);
        assert_eq!(r.by_state["LISTEN"], 1);
        assert_eq!(r.by_protocol["other"], 1);
        assert_eq!(
            r.listening,
            vec![
                "tcp 127.0.0.1:8080".to_string(),
                "udp 127.0.0.1:53".to_string()
            ]
        );
        let cw = r.sockets.iter().find(|s| s.state == "CLOSE_WAIT").unwrap();
        assert_eq!(cw.fd, Some(4));
        assert_eq!(
            cw.remote.as_ref().unwrap().to_json_string(),
            "127.0.0.1:54321"
        );
        assert_eq!((cw.tx_queue, cw.rx_queue), (Some(1), Some(2)));
        let lst = r.sockets.iter().find(|s| s.state == "LISTEN").unwrap();
        assert!(lst.remote.is_none());

        let only = build(
            9,
            &fds,
            &sk,
            &NetFilter {
                states: vec!["CLOSE_WAIT".into()],
                ..Default::default()
            },
        );
        assert_eq!(only.sockets.len(), 1);
        assert_eq!(only.count, 4, "summary ignores filters");
        let l = build(
            9,
            &fds,
            &sk,
            &NetFilter {
                listening: true,
                ..Default::default()
            },
        );
        assert_eq!(l.sockets.len(), 2);
        let u = build(
            9,
            &fds,
            &sk,
            &NetFilter {
                protos: vec!["udp".into()],
                ..Default::default()
            },
        );
        assert_eq!(u.sockets.len(), 1);
        assert_eq!(u.sockets[0].state, "UNCONN");
        assert_eq!(normalize_state("close-wait"), "CLOSE_WAIT");
    }
}
