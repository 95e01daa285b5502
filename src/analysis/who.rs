//! `proctor who`: which sockets a port lookup matches (and on which side),
//! which links a path lookup matches, deleted files grouped by identity,
//! and the reports the three forms produce. Pure: values, no sentences.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use super::net::Backlog;
use super::workload::WorkloadReport;
use crate::parse::net::{self, InetSocket, Proto};
use crate::parse::who::{PortQuery, Transport, under};
use crate::reader::{Access, HeldFile};
pub use crate::reader::{FD_LINKS_CAP, MAPPED_PATHS_CAP, SOCKETS_CAP};
use crate::text::Text;

/// Which end of a socket is on the port asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Local,
    Remote,
    Both,
}

fn same_ip(want: IpAddr, have: IpAddr, listening_any: bool) -> bool {
    let have = have.to_canonical();
    want.to_canonical() == have || (listening_any && have.is_unspecified())
}

fn end_matches(q: &PortQuery, a: &SocketAddr, local: bool) -> bool {
    a.port() == q.port && q.addr.is_none_or(|w| same_ip(w, a.ip(), local))
}

/// Whether a socket matches a port lookup, and on which side: local or
/// remote port, like `lsof -i :PORT`. With an address, a socket bound to
/// every address (0.0.0.0, ::) matches on its local side: it answers there.
pub fn side(q: &PortQuery, s: &InetSocket) -> Option<Side> {
    let tcp = s.proto.is_tcp();
    let udp = matches!(s.proto, Proto::Udp | Proto::Udp6);
    match q.transport {
        Some(Transport::Tcp) if !tcp => return None,
        Some(Transport::Udp) if !udp => return None,
        _ if !tcp && !udp => return None,
        _ => {}
    }
    let l = end_matches(q, &s.local, true);
    // An unconnected socket's remote end is 0.0.0.0:0: never a match.
    let r = s.remote.port() != 0 && end_matches(q, &s.remote, false);
    match (l, r) {
        (true, true) => Some(Side::Both),
        (true, false) => Some(Side::Local),
        (false, true) => Some(Side::Remote),
        (false, false) => None,
    }
}

/// What is known of a process holding something.
#[derive(Debug, Clone, Serialize)]
pub struct Holder {
    pub pid: i32,
    /// Its name (comm).
    pub name: Text,
    /// Effective uid and its name (None when unreadable or unknown).
    pub uid: Option<u32>,
    pub user: Option<Text>,
    /// How it holds it: `fd`, `cwd`, `rtd`, `txt`, `mem` (lsof's names).
    pub access: &'static str,
    /// The descriptor number when `access` is `fd`.
    pub fd: Option<i32>,
    /// The workload it runs in, when its cgroup names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadReport>,
}

/// lsof's name for an access, and the descriptor number.
pub fn access_name(a: Access) -> (&'static str, Option<i32>) {
    match a {
        Access::Fd(n) => ("fd", Some(n)),
        Access::Cwd => ("cwd", None),
        Access::Root => ("rtd", None),
        Access::Exe => ("txt", None),
        Access::Mem => ("mem", None),
    }
}

/// A check that did not run whole: the lookup may have missed something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// `namespace_unreadable`, `tables_unreadable`, `fds_denied`,
    /// `links_cut`, `sockets_cut`, `size_unknown`, `hits_cut`.
    pub reason: &'static str,
    /// How many processes (or namespaces, files) it concerns.
    pub count: u64,
}

/// Gaps counted by reason, in first-seen order.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct Gaps(pub Vec<Gap>);

impl Gaps {
    pub fn add(&mut self, reason: &'static str) {
        match self.0.iter_mut().find(|g| g.reason == reason) {
            Some(g) => g.count = g.count.saturating_add(1),
            None => self.0.push(Gap { reason, count: 1 }),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One socket on the port, with who holds it.
#[derive(Debug, Clone, Serialize)]
pub struct SocketRow {
    /// `tcp`, `tcp6`, `udp`, `udp6`.
    pub proto: &'static str,
    pub local: String,
    pub remote: String,
    /// TCP state name; `UNCONN` for an unconnected UDP socket.
    pub state: &'static str,
    pub matched: Side,
    /// A TCP listener, or a bound unconnected UDP socket.
    pub listening: bool,
    /// Receive queue; for a TCP listener, connections waiting in its
    /// accept queue.
    pub recv_q: u64,
    pub send_q: u64,
    /// A TCP listener's backlog (the most its accept queue holds), from
    /// sock_diag; null when only the text tables could be read; absent on
    /// other sockets.
    #[serde(skip_serializing_if = "Backlog::is_none")]
    pub backlog: Backlog,
    pub inode: u64,
    /// The network namespace's inode (None when its link did not parse).
    pub netns: Option<u64>,
    /// Whether it is proctor's own namespace.
    pub netns_host: bool,
    /// Processes holding it; empty for a socket nobody holds (TIME_WAIT,
    /// an orphan being closed), as `ss` lists them.
    pub holders: Vec<Holder>,
}

/// `who :PORT`.
#[derive(Debug, Clone, Serialize)]
pub struct PortReport {
    pub transport: Option<Transport>,
    pub address: Option<String>,
    pub port: u16,
    pub sockets: Vec<SocketRow>,
    /// Namespaces read (each once).
    pub namespaces: usize,
    pub incomplete: Gaps,
}

fn state_name(s: &InetSocket) -> &'static str {
    match (s.proto, s.state) {
        (Proto::Udp | Proto::Udp6, net::TCP_CLOSE) => "UNCONN",
        (Proto::Udp | Proto::Udp6, 0x01) => "ESTAB",
        (_, st) => net::tcp_state_name(st),
    }
}

/// One matched socket as a row (holders added by the caller).
pub fn socket_row(q: &PortQuery, s: &InetSocket, netns: &[u8], host: bool) -> Option<SocketRow> {
    let matched = side(q, s)?;
    let listening = if s.proto.is_tcp() {
        s.state == net::TCP_LISTEN
    } else {
        s.state == net::TCP_CLOSE
    };
    Some(SocketRow {
        proto: s.proto.as_str(),
        local: net::format_addr(&s.local),
        remote: net::format_addr(&s.remote),
        state: state_name(s),
        matched,
        listening,
        recv_q: s.rx_queue,
        send_q: s.tx_queue,
        backlog: super::net::backlog_of(s),
        inode: s.inode,
        netns: crate::parse::who::ns_inode(netns),
        netns_host: host,
        holders: Vec::new(),
    })
}

/// Rows in a stable order: listeners first, then by namespace (host
/// first), local address, remote address; holders by PID and descriptor.
pub fn sort_rows(rows: &mut [SocketRow]) {
    for r in rows.iter_mut() {
        r.holders.sort_by_key(|h| (h.pid, h.fd));
    }
    rows.sort_by(|a, b| {
        (
            !a.listening,
            !a.netns_host,
            a.netns,
            &a.proto,
            &a.local,
            &a.remote,
        )
            .cmp(&(
                !b.listening,
                !b.netns_host,
                b.netns,
                &b.proto,
                &b.local,
                &b.remote,
            ))
    });
}

/// What a path lookup matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathQuery {
    /// The file itself.
    Exact(Vec<u8>),
    /// The directory and anything under it.
    Under(Vec<u8>),
    /// Anything on the mount whose mount point is `point`, except under
    /// the mounts nested in it (`inner`).
    Mount { point: Vec<u8>, inner: Vec<Vec<u8>> },
}

/// The mount lookup of a resolved path: its mount point among `points`
/// (proctor's own mount namespace) and the mounts nested in it.
pub fn mount_query(path: &[u8], points: &[Vec<u8>]) -> Option<PathQuery> {
    let point = crate::parse::who::mount_of(path, points)?.to_vec();
    let inner = points
        .iter()
        .filter(|m| m.as_slice() != point.as_slice() && under(m, &point))
        .cloned()
        .collect();
    Some(PathQuery::Mount { point, inner })
}

const DELETED: &[u8] = b" (deleted)";

/// Whether a link text matches, and whether it is of a deleted file.
/// The link is compared as text (the path as proctor's mount namespace
/// shows it), with its ` (deleted)` mark taken off.
pub fn path_matches(q: &PathQuery, link: &[u8]) -> Option<bool> {
    if link.first() != Some(&b'/') {
        return None;
    }
    let (path, deleted) = match link.strip_suffix(DELETED) {
        Some(p) => (p, true),
        None => (link, false),
    };
    let hit = match q {
        PathQuery::Exact(p) => path == p.as_slice(),
        PathQuery::Under(d) => under(path, d),
        PathQuery::Mount { point, inner } => {
            under(path, point) && !inner.iter().any(|m| under(path, m))
        }
    };
    hit.then_some(deleted)
}

/// One process holding a matched path.
#[derive(Debug, Clone, Serialize)]
pub struct PathHit {
    #[serde(flatten)]
    pub holder: Holder,
    pub path: Text,
    pub deleted: bool,
}

/// `who PATH`.
#[derive(Debug, Clone, Serialize)]
pub struct PathReport {
    pub path: Text,
    pub directory: bool,
    /// With `--mount`: the mount point searched.
    pub mount: Option<Text>,
    pub hits: Vec<PathHit>,
    /// Distinct processes among the hits.
    pub processes: usize,
    pub incomplete: Gaps,
}

/// Distinct PIDs among hits.
pub fn distinct_pids<'a>(pids: impl Iterator<Item = &'a i32>) -> usize {
    pids.collect::<std::collections::HashSet<_>>().len()
}

/// One deleted file held open, counted once however many hold it.
#[derive(Debug, Clone, Serialize)]
pub struct DeletedFile {
    /// The link text without ` (deleted)` (its former path).
    pub path: Text,
    pub dev: String,
    pub inode: u64,
    pub size: u64,
    /// Space it holds on disk (st_blocks), when known.
    pub allocated: Option<u64>,
    pub holders: Vec<Holder>,
}

/// `who --deleted`.
#[derive(Debug, Clone, Serialize)]
pub struct DeletedReport {
    /// Largest first.
    pub files: Vec<DeletedFile>,
    /// Sum of sizes, each file once (None on overflow).
    pub total_size: Option<u64>,
    /// Sum of the space held on disk, each file once (None when a size is
    /// unknown or on overflow).
    pub total_allocated: Option<u64>,
    /// Deleted files held whose size could not be read (listed without).
    pub size_unknown: Vec<PathHit>,
    pub incomplete: Gaps,
}

/// Group the deleted descriptors found (holder, its link, the file's
/// identity) by file, largest first; totals count each file once.
pub fn group_deleted(
    found: Vec<(Holder, Vec<u8>, HeldFile)>,
    size_unknown: Vec<PathHit>,
    incomplete: Gaps,
) -> DeletedReport {
    let mut by: HashMap<((u32, u32), u64), DeletedFile> = HashMap::new();
    for (h, link, f) in found {
        let path = link.strip_suffix(DELETED).unwrap_or(&link).to_vec();
        by.entry((f.dev, f.ino))
            .or_insert_with(|| DeletedFile {
                path: Text(path),
                dev: format!("{}:{}", f.dev.0, f.dev.1),
                inode: f.ino,
                size: f.size,
                allocated: f.allocated,
                holders: Vec::new(),
            })
            .holders
            .push(h);
    }
    let mut files: Vec<DeletedFile> = by.into_values().collect();
    for f in &mut files {
        f.holders.sort_by_key(|h| (h.pid, h.fd));
    }
    files.sort_by(|a, b| {
        (b.size, b.allocated)
            .cmp(&(a.size, a.allocated))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.inode.cmp(&b.inode))
    });
    let total_size = files.iter().try_fold(0u64, |t, f| t.checked_add(f.size));
    let total_allocated = files
        .iter()
        .try_fold(0u64, |t, f| t.checked_add(f.allocated?));
    DeletedReport {
        files,
        total_size,
        total_allocated,
        size_unknown,
        incomplete,
    }
}

/// Space held by one process's deleted files (the `fds.deleted_open`
/// evidence): each file once, the sum and the largest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeletedSpace {
    pub files: u64,
    /// Sum of sizes of the files whose size was read (None on overflow).
    pub bytes: Option<u64>,
    pub largest: u64,
    /// Deleted files whose size could not be read.
    pub size_unknown: u64,
}

/// One process's deleted files (sizes, or None when unreadable), each
/// distinct file counted once.
pub fn deleted_space(files: &[Option<HeldFile>]) -> DeletedSpace {
    let mut seen = std::collections::HashSet::new();
    let mut out = DeletedSpace {
        bytes: Some(0),
        ..DeletedSpace::default()
    };
    for f in files {
        match f {
            Some(f) if !seen.insert((f.dev, f.ino)) => {}
            Some(f) => {
                out.files += 1;
                out.bytes = out.bytes.and_then(|b| b.checked_add(f.size));
                out.largest = out.largest.max(f.size);
            }
            None => {
                out.files += 1;
                out.size_unknown += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::who::{WhoTarget, parse_target};
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn q(s: &str) -> PortQuery {
        match parse_target(s) {
            Ok(WhoTarget::Port(q)) => q,
            other => panic!("{other:?}"),
        }
    }

    fn sock(proto: Proto, local: SocketAddr, remote: SocketAddr, state: u8) -> InetSocket {
        InetSocket {
            proto,
            inode: 1,
            local,
            remote,
            state,
            tx_queue: 0,
            rx_queue: 0,
            backlog: None,
        }
    }

    fn v4(a: [u8; 4], p: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::from(a)), p)
    }

    #[test]
    fn sides() {
        let listen = sock(Proto::Tcp, v4([0, 0, 0, 0], 8080), v4([0; 4], 0), 0x0A);
        assert_eq!(side(&q(":8080"), &listen), Some(Side::Local));
        assert_eq!(side(&q("127.0.0.1:8080"), &listen), Some(Side::Local));
        assert_eq!(side(&q("udp:8080"), &listen), None);
        assert_eq!(side(&q(":8081"), &listen), None);
        let client = sock(
            Proto::Tcp,
            v4([127, 0, 0, 1], 50000),
            v4([127, 0, 0, 1], 8080),
            1,
        );
        assert_eq!(side(&q(":8080"), &client), Some(Side::Remote));
        assert_eq!(side(&q("10.0.0.1:8080"), &client), None);
        let odd = sock(
            Proto::Tcp,
            v4([127, 0, 0, 1], 8080),
            v4([127, 0, 0, 1], 8080),
            1,
        );
        assert_eq!(side(&q(":8080"), &odd), Some(Side::Both));
        let mapped = SocketAddr::new(IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()), 53);
        let u = sock(
            Proto::Udp6,
            mapped,
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
            7,
        );
        assert_eq!(side(&q("udp:127.0.0.1:53"), &u), Some(Side::Local));
        assert_eq!(side(&q("tcp:53"), &u), None);
        let row = socket_row(&q(":53"), &u, b"net:[4026531840]", true).unwrap();
        assert_eq!(
            (row.state, row.listening, row.netns),
            ("UNCONN", true, Some(4026531840))
        );
    }

    #[test]
    fn paths() {
        let exact = PathQuery::Exact(b"/var/log/x".to_vec());
        assert_eq!(path_matches(&exact, b"/var/log/x"), Some(false));
        assert_eq!(path_matches(&exact, b"/var/log/x (deleted)"), Some(true));
        assert_eq!(path_matches(&exact, b"/var/log/xy"), None);
        assert_eq!(path_matches(&exact, b"socket:[1]"), None);
        let dir = PathQuery::Under(b"/var/log".to_vec());
        assert_eq!(path_matches(&dir, b"/var/log"), Some(false));
        assert_eq!(path_matches(&dir, b"/var/log/a/b"), Some(false));
        assert_eq!(path_matches(&dir, b"/var/logs"), None);
        let pts = vec![b"/".to_vec(), b"/srv".to_vec(), b"/srv/inner".to_vec()];
        let m = mount_query(b"/srv/data/f", &pts).unwrap();
        assert_eq!(path_matches(&m, b"/srv/data/g"), Some(false));
        assert_eq!(path_matches(&m, b"/srv/inner/g"), None);
        assert_eq!(path_matches(&m, b"/etc/passwd"), None);
    }

    fn holder(pid: i32, fd: i32) -> Holder {
        Holder {
            pid,
            name: Text::new("x"),
            uid: None,
            user: None,
            access: "fd",
            fd: Some(fd),
            workload: None,
        }
    }

    fn held(ino: u64, size: u64) -> HeldFile {
        HeldFile {
            dev: (8, 1),
            ino,
            size,
            allocated: Some(size),
        }
    }

    #[test]
    fn deleted_grouped_once_largest_first() {
        let found = vec![
            (holder(10, 3), b"/a (deleted)".to_vec(), held(1, 100)),
            (holder(11, 4), b"/a (deleted)".to_vec(), held(1, 100)),
            (holder(10, 5), b"/b (deleted)".to_vec(), held(2, 5000)),
        ];
        let r = group_deleted(found, Vec::new(), Gaps::default());
        assert_eq!(r.files.len(), 2);
        assert_eq!(r.files[0].path, Text::new("/b"));
        assert_eq!(r.files[1].holders.len(), 2);
        assert_eq!(r.total_size, Some(5100));
        assert_eq!(r.total_allocated, Some(5100));
        let s = deleted_space(&[
            Some(held(1, 100)),
            Some(held(1, 100)),
            Some(held(2, 7)),
            None,
        ]);
        assert_eq!(
            s,
            DeletedSpace {
                files: 3,
                bytes: Some(107),
                largest: 100,
                size_unknown: 1
            }
        );
    }
}
