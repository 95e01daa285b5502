//! The `fds` view: one row per descriptor, and the summary.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::net::{Addr, Backlog};
use crate::parse::fdinfo;
use crate::parse::fdlink::{self, FdKind};
use crate::parse::limits::Limit;
use crate::parse::net as pnet;
use crate::reader::{FdEntry, FdSink, Sockets};
use crate::text::Text;

/// One descriptor. A plain row is 48 bytes and one allocation (its link
/// text): what few rows have (an anon kind, a read error, fdinfo's
/// values with `--long`) is boxed apart, as is a socket's detail. At
/// 20,000 rows each fresh page costs a page fault, and those were a
/// fifth of `fds`'s time with 408-byte rows (bench/fds.sh).
#[derive(Debug, Clone)]
pub struct FdRow {
    pub fd: i32,
    pub kind: FdKind,
    pub deleted: bool,
    pub target: Text,
    pub more: Option<Box<RowMore>>,
    /// A socket's protocol, endpoints and state from its network
    /// namespace's tables (absent on other descriptors, and when the
    /// tables could not be read: see `unavailable`).
    pub socket: Option<Box<SocketDetail>>,
}

/// The fields of a row that most rows do not have.
#[derive(Debug, Clone, Default)]
pub struct RowMore {
    /// For anon inodes: eventpoll, eventfd, inotify, timerfd, ...
    pub anon_kind: Option<Text>,
    /// Why the link could not be read (then `type` is `unreadable` and
    /// `target` empty).
    pub error: Option<String>,
    /// `r`, `w`, `rw` or `path` (with --long).
    pub mode: Option<&'static str>,
    /// Notable open flags (with --long).
    pub flags: Option<Vec<&'static str>>,
    /// File position (with --long).
    pub pos: Option<u64>,
    /// fdinfo values that are present but not valid numbers (their fields
    /// above are null: unknown, not absent).
    pub fdinfo_parse_error: Option<FdinfoNotANumber>,
}

impl FdRow {
    pub fn anon_kind(&self) -> Option<&Text> {
        self.more.as_ref()?.anon_kind.as_ref()
    }
    pub fn error(&self) -> Option<&str> {
        self.more.as_ref()?.error.as_deref()
    }
    pub fn mode(&self) -> Option<&'static str> {
        self.more.as_ref()?.mode
    }
    pub fn flags(&self) -> Option<&[&'static str]> {
        self.more.as_ref()?.flags.as_deref()
    }
    pub fn pos(&self) -> Option<u64> {
        self.more.as_ref()?.pos
    }
    pub fn fdinfo_parse_error(&self) -> Option<&FdinfoNotANumber> {
        self.more.as_ref()?.fdinfo_parse_error.as_ref()
    }
}

/// The JSON row: every field at the top level, as the row was before its
/// rare fields were boxed (`error`, `fdinfo_parse_error` and `socket`
/// absent when none; `anon_kind`, `mode`, `flags`, `pos` null).
impl Serialize for FdRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Row<'a> {
            fd: i32,
            #[serde(rename = "type")]
            kind: FdKind,
            anon_kind: Option<&'a Text>,
            target: &'a Text,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<&'a str>,
            deleted: bool,
            mode: Option<&'static str>,
            flags: Option<&'a [&'static str]>,
            pos: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            fdinfo_parse_error: Option<&'a FdinfoNotANumber>,
            #[serde(skip_serializing_if = "Option::is_none")]
            socket: Option<&'a SocketDetail>,
        }
        Row {
            fd: self.fd,
            kind: self.kind,
            anon_kind: self.anon_kind(),
            target: &self.target,
            error: self.error(),
            deleted: self.deleted,
            mode: self.mode(),
            flags: self.flags(),
            pos: self.pos(),
            fdinfo_parse_error: self.fdinfo_parse_error(),
            socket: self.socket.as_deref(),
        }
        .serialize(s)
    }
}

/// What a socket descriptor is, joined on its inode to the tables of the
/// process's network namespace (read once per run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketDetail {
    pub lookup: Lookup,
    /// `tcp`, `tcp6`, `udp`, `udp6`, `raw`, `raw6`, `unix`, `netlink`;
    /// null when not in the tables.
    pub proto: Option<&'static str>,
    pub local: Option<Addr>,
    pub remote: Option<Addr>,
    /// TCP state (`LISTEN`, `ESTABLISHED`...), UDP `UNCONN`/`ESTABLISHED`,
    /// unix `LISTEN`/`CONNECTED`/...; null when unknown or none.
    pub state: Option<&'static str>,
    /// Receive and send queues (bytes; for a listener the accept queue
    /// in `rx_queue`).
    pub rx_queue: Option<u64>,
    pub tx_queue: Option<u64>,
    /// A TCP listener's backlog (the most its accept queue holds; null:
    /// not known from the text tables; absent on other sockets).
    #[serde(skip_serializing_if = "Backlog::is_none")]
    pub backlog: Backlog,
    /// What only unix, netlink and untabled sockets have (boxed: most
    /// sockets are TCP; its fields are at the top level of the JSON).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub more: Option<Box<SocketMore>>,
}

/// How a socket was found in its namespace's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lookup {
    Found,
    /// A kind no table read lists: packet, vsock, ...
    NotInTables,
    /// Its table line did not parse: `proto` is known, nothing else.
    Unparsed,
}

/// The rarer fields of a [`SocketDetail`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SocketMore {
    /// unix: `stream`, `dgram`, `seqpacket`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unix_type: Option<&'static str>,
    /// unix: the socket at the other end, and its descriptor when this
    /// process holds it too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_inode: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_fd: Option<i32>,
    /// netlink: the protocol (`ROUTE`, `AUDIT`, ... or its number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub netlink: Option<String>,
    /// A socket in no table: the kernel's name of its protocol
    /// (`NETLINK` unbound, `PACKET`, ...), when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_protocol: Option<Text>,
}

impl SocketDetail {
    fn more(&mut self) -> &mut SocketMore {
        self.more.get_or_insert_with(Box::default)
    }
}

/// How many sockets found in no table get their protocol's name read
/// (one getxattr each).
pub const PROTOCOL_LOOKUPS: usize = 256;

impl FdsReport {
    /// The descriptors of the sockets found in no table (at most
    /// [`PROTOCOL_LOOKUPS`]).
    pub fn untabled_sockets(&self) -> Vec<i32> {
        self.fds
            .iter()
            .filter(|r| {
                r.socket
                    .as_ref()
                    .is_some_and(|d| d.lookup == Lookup::NotInTables)
            })
            .map(|r| r.fd)
            .take(PROTOCOL_LOOKUPS)
            .collect()
    }

    /// Name the protocol of a socket found in no table.
    pub fn set_kernel_protocol(&mut self, fd: i32, name: Vec<u8>) {
        if let Some(d) = self
            .fds
            .iter_mut()
            .find(|r| r.fd == fd)
            .and_then(|r| r.socket.as_mut())
        {
            d.more().kernel_protocol = Some(Text(name));
        }
    }
}

/// The fdinfo keys of one descriptor whose value is not a number; worded
/// (also as the JSON string) by `render::unavailable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdinfoNotANumber {
    pub keys: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FdsReport {
    pub pid: i32,
    /// All open descriptors (the summary ignores --type).
    pub count: u64,
    pub soft_limit: Option<u64>,
    pub hard_limit: Option<u64>,
    pub usage_percent: Option<f64>,
    pub by_type: BTreeMap<&'static str, u64>,
    pub deleted: u64,
    /// Descriptors whose link could not be read (counted in `count`).
    pub unreadable: u64,
    /// Rows shown (after --type).
    pub fds: Vec<FdRow>,
    /// Sections that could not be read (`limits`, `sockets`): their
    /// values are null because unknown, not because they do not apply.
    pub unavailable: Vec<super::inspect::Unavailable>,
    /// Whether directories were told from files (fdinfo's O_DIRECTORY,
    /// read with `--long` or `--type file|dir`). When false `by_type`
    /// has no `dir` key and `file` counts every path-backed descriptor.
    pub dirs_marked: bool,
}

/// Socket tables by inode, for the rows.
struct SocketIndex<'a> {
    inet: rustc_hash::FxHashMap<u64, &'a pnet::InetSocket>,
    unix: rustc_hash::FxHashMap<u64, &'a pnet::UnixSocket>,
    netlink: rustc_hash::FxHashMap<u64, u32>,
    unparsed: rustc_hash::FxHashMap<u64, pnet::Proto>,
    /// Socket descriptors by inode (a unix peer held by this process).
    fd_of: rustc_hash::FxHashMap<u64, i32>,
}

impl<'a> SocketIndex<'a> {
    fn new(sk: &'a Sockets, socket_fds: &[(u64, i32)]) -> Self {
        SocketIndex {
            inet: sk.inet.iter().map(|s| (s.inode, s)).collect(),
            unix: sk.unix.iter().map(|s| (s.inode, s)).collect(),
            netlink: sk.netlink.iter().map(|s| (s.inode, s.protocol)).collect(),
            unparsed: sk.unparsed.iter().map(|(p, i)| (*i, *p)).collect(),
            fd_of: socket_fds.iter().copied().collect(),
        }
    }

    fn detail(&self, inode: u64) -> Box<SocketDetail> {
        let mut d = Box::new(SocketDetail {
            lookup: Lookup::Found,
            proto: None,
            local: None,
            remote: None,
            state: None,
            rx_queue: None,
            tx_queue: None,
            backlog: Backlog::None,
            more: None,
        });
        if let Some(s) = self.inet.get(&inode) {
            let (state, remote) = super::net::inet_state_and_remote(s);
            d.proto = Some(s.proto.as_str());
            d.local = Some(Addr::Inet(s.local));
            d.remote = remote.map(Addr::Inet);
            d.state = Some(state);
            d.rx_queue = Some(s.rx_queue);
            d.tx_queue = Some(s.tx_queue);
            d.backlog = super::net::backlog_of(s);
        } else if let Some(u) = self.unix.get(&inode) {
            d.proto = Some("unix");
            d.local = (!u.path.is_empty()).then(|| Addr::Unix(Text(u.path.clone())));
            d.state = Some(pnet::unix_state_name(u));
            d.rx_queue = u.queues.map(|q| q.0);
            d.tx_queue = u.queues.map(|q| q.1);
            let more = d.more();
            more.unix_type = match u.sock_type {
                1 => Some("stream"),
                2 => Some("dgram"),
                5 => Some("seqpacket"),
                _ => None,
            };
            more.peer_inode = u.peer;
            more.peer_fd = u.peer.and_then(|p| self.fd_of.get(&p).copied());
        } else if let Some(&p) = self.netlink.get(&inode) {
            d.proto = Some("netlink");
            d.more().netlink =
                Some(pnet::netlink_protocol_name(p).map_or_else(|| p.to_string(), str::to_string));
        } else if let Some(p) = self.unparsed.get(&inode) {
            d.lookup = Lookup::Unparsed;
            d.proto = Some(p.as_str());
        } else {
            d.lookup = Lookup::NotInTables;
        }
        d
    }
}

/// What `fds` read besides the descriptors.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra<'a> {
    /// None when /proc/PID/limits could not be read.
    pub limit: Option<Limit>,
    /// The sockets of the namespace's tables (None: not read).
    pub sockets: Option<&'a Sockets>,
    /// fdinfo was read for path descriptors (directories told apart).
    pub dirs_marked: bool,
}

/// Build the view from a list. `types` filters rows (empty: all). The
/// entries are consumed: their link texts move into the rows.
pub fn build(
    pid: i32,
    entries: Vec<FdEntry>,
    extra: Extra<'_>,
    blocks: &HashSet<Vec<u8>>,
    types: &[FdKind],
) -> FdsReport {
    let mut b = Builder::new(blocks, types);
    b.expect(entries.len());
    for e in entries {
        b.push(e);
    }
    b.finish(pid, extra)
}

/// The view built as the descriptors are read
/// ([`crate::reader::Process::for_each_fd`]): no list of entries is
/// kept beside the rows.
pub struct Builder<'a> {
    blocks: &'a HashSet<Vec<u8>>,
    types: &'a [FdKind],
    by_type: BTreeMap<&'static str, u64>,
    count: u64,
    deleted: u64,
    unreadable: u64,
    rows: Vec<FdRow>,
    /// Every socket descriptor (inode, fd), shown or not: the tables are
    /// asked for these, and a unix peer is named by its fd.
    sockets: Vec<(u64, i32)>,
}

impl<'a> Builder<'a> {
    pub fn new(blocks: &'a HashSet<Vec<u8>>, types: &'a [FdKind]) -> Self {
        Builder {
            blocks,
            types,
            by_type: fdlink::ALL_KINDS.iter().map(|k| (k.as_str(), 0)).collect(),
            count: 0,
            deleted: 0,
            unreadable: 0,
            rows: Vec::new(),
            sockets: Vec::new(),
        }
    }

    /// The inodes of the socket descriptors read so far.
    pub fn socket_inodes(&self) -> pnet::InodeSet {
        self.sockets.iter().map(|&(inode, _)| inode).collect()
    }

    /// The report, the rows joined to the socket tables when read.
    pub fn finish(self, pid: i32, extra: Extra<'_>) -> FdsReport {
        let Builder {
            mut by_type,
            count,
            deleted,
            unreadable,
            mut rows,
            sockets,
            ..
        } = self;
        // The kernel lists descriptors in order: sorted already, as a rule.
        if !rows.is_sorted_by_key(|r| r.fd) {
            rows.sort_by_key(|r| r.fd);
        }
        if let Some(sk) = extra.sockets {
            let index = SocketIndex::new(sk, &sockets);
            for r in rows.iter_mut().filter(|r| r.kind == FdKind::Socket) {
                if let Some(inode) = fdlink::socket_inode(r.target.as_bytes()) {
                    r.socket = Some(index.detail(inode));
                }
            }
        }
        if !extra.dirs_marked {
            // Not told apart: no count of directories (never a false 0).
            by_type.remove(FdKind::Dir.as_str());
        }
        let limit = extra.limit;
        let soft_limit = limit.and_then(|l| l.soft);
        FdsReport {
            pid,
            count,
            soft_limit,
            hard_limit: limit.and_then(|l| l.hard),
            usage_percent: soft_limit
                .filter(|&l| l > 0)
                .map(|l| count as f64 * 100.0 / l as f64),
            by_type,
            deleted,
            unreadable,
            fds: rows,
            unavailable: Vec::new(),
            dirs_marked: extra.dirs_marked,
        }
    }
}

impl FdSink for Builder<'_> {
    fn expect(&mut self, n: usize) {
        if self.types.is_empty() {
            self.rows.reserve_exact(n);
        }
    }

    fn push(&mut self, e: FdEntry) {
        self.count += 1;
        let (l, error) = match &e.link {
            Ok(link) => (
                fdlink::classify(link, e.flags().map(fdinfo::is_dir_flags), self.blocks),
                None,
            ),
            Err(err) => {
                self.unreadable += 1;
                (fdlink::unreadable(), Some(err.to_string()))
            }
        };
        *self.by_type.entry(l.kind.as_str()).or_default() += 1;
        self.deleted += u64::from(l.deleted);
        if let (FdKind::Socket, Some(inode)) = (l.kind, l.inode) {
            self.sockets.push((inode, e.fd));
        }
        if !self.types.is_empty() && !self.types.contains(&l.kind) {
            return;
        }
        let flags = e.flags();
        let more = RowMore {
            anon_kind: l.anon_kind.map(Text),
            error,
            mode: flags.map(fdinfo::mode),
            flags: flags.map(fdinfo::flag_names),
            pos: e.info.and_then(|i| i.pos),
            fdinfo_parse_error: e.info.filter(|i| i.invalid != 0).map(|i| FdinfoNotANumber {
                keys: i.invalid_keys(),
            }),
        };
        let plain = more.anon_kind.is_none()
            && more.error.is_none()
            && more.mode.is_none()
            && more.flags.is_none()
            && more.pos.is_none()
            && more.fdinfo_parse_error.is_none();
        self.rows.push(FdRow {
            fd: e.fd,
            kind: l.kind,
            deleted: l.deleted,
            target: Text(e.link.unwrap_or_default()),
            more: (!plain).then(|| Box::new(more)),
            socket: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(fd: i32, link: &[u8]) -> FdEntry {
        FdEntry {
            fd,
            link: Ok(link.to_vec()),
            info: None,
        }
    }

    #[test]
    fn an_unreadable_link_is_one_counted_row() {
        let mut entries = vec![e(0, b"/dev/null"), e(3, b"socket:[10]")];
        entries.push(FdEntry {
            fd: 4,
            link: Err(crate::error::ReadError::Io {
                path: "/proc/7/fd/4".into(),
                message: "File name too long (os error 36)".into(),
            }),
            info: None,
        });
        let r = build(7, entries.clone(), Extra::default(), &HashSet::new(), &[]);
        assert_eq!(r.count, 3);
        assert_eq!(r.unreadable, 1);
        assert_eq!(r.by_type["unreadable"], 1);
        assert_eq!(r.by_type["socket"], 1);
        let row = &r.fds[2];
        assert_eq!((row.fd, row.kind), (4, FdKind::Unreadable));
        assert!(row.error().unwrap_or("").contains("too long"));
    }

    #[test]
    fn summary_counts_everything_rows_follow_the_filter() {
        let entries = vec![
            e(0, b"/dev/pts/0"),
            e(3, b"socket:[10]"),
            e(4, b"socket:[11]"),
            e(5, b"/tmp/x (deleted)"),
            e(6, b"anon_inode:[eventpoll]"),
        ];
        let r = build(
            7,
            entries.clone(),
            Extra {
                limit: Some(Limit {
                    soft: Some(10),
                    hard: Some(20),
                }),
                sockets: None,
                dirs_marked: true,
            },
            &HashSet::new(),
            &[FdKind::Socket],
        );
        assert_eq!(r.count, 5);
        assert_eq!(r.by_type["socket"], 2);
        assert_eq!(r.by_type["char_device"], 1);
        assert_eq!(r.by_type["file"], 1);
        assert_eq!(r.deleted, 1);
        assert_eq!(r.usage_percent, Some(50.0));
        assert_eq!(r.fds.len(), 2);
        assert!(r.fds.iter().all(|f| f.kind == FdKind::Socket));
        let all = build(7, entries.clone(), Extra::default(), &HashSet::new(), &[]);
        assert!(!all.by_type.contains_key("dir"), "not told apart: no count");
        assert_eq!(all.fds.len(), 5);
        assert_eq!(all.soft_limit, None);
        assert_eq!(
            all.fds[4].anon_kind(),
            Some(&Text::new(b"eventpoll".to_vec()))
        );
        assert!(all.fds[3].deleted);
    }
}
