//! `/proc/PID/net/{tcp,tcp6,udp,udp6,raw,raw6}` and `net/unix`, parsed only
//! for the socket inodes a process holds. Hand-written rather than procfs'
//! `TcpNetEntries`: a host table can hold tens of thousands of lines, and
//! this parser skips a line after reading its inode column, without
//! decoding addresses or allocating, unless the inode is wanted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::parse_u64;

/// Socket inodes. FxHash: the sets hold up to tens of thousands of
/// kernel-assigned integers, probed once per table line; SipHash showed in
/// profiles of `net` on 20,000 sockets.
pub type InodeSet = rustc_hash::FxHashSet<u64>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Tcp6,
    Udp,
    Udp6,
    Raw,
    Raw6,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Tcp6 => "tcp6",
            Proto::Udp => "udp",
            Proto::Udp6 => "udp6",
            Proto::Raw => "raw",
            Proto::Raw6 => "raw6",
        }
    }
    pub fn is_v6(self) -> bool {
        matches!(self, Proto::Tcp6 | Proto::Udp6 | Proto::Raw6)
    }
    pub fn is_tcp(self) -> bool {
        matches!(self, Proto::Tcp | Proto::Tcp6)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InetSocket {
    pub proto: Proto,
    pub inode: u64,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: u8,
    pub tx_queue: u64,
    pub rx_queue: u64,
    /// For a TCP listener, its backlog (the most connections its accept
    /// queue holds: `listen(2)`'s argument capped by somaxconn). Only
    /// sock_diag gives it; the text tables do not (None).
    pub backlog: Option<u64>,
}

/// TCP state names from include/net/tcp_states.h.
pub fn tcp_state_name(state: u8) -> &'static str {
    match state {
        0x01 => "ESTABLISHED",
        0x02 => "SYN_SENT",
        0x03 => "SYN_RECV",
        0x04 => "FIN_WAIT1",
        0x05 => "FIN_WAIT2",
        0x06 => "TIME_WAIT",
        0x07 => "CLOSE",
        0x08 => "CLOSE_WAIT",
        0x09 => "LAST_ACK",
        0x0A => "LISTEN",
        0x0B => "CLOSING",
        0x0C => "NEW_SYN_RECV",
        _ => "UNKNOWN",
    }
}

pub const TCP_LISTEN: u8 = 0x0A;
pub const TCP_CLOSE_WAIT: u8 = 0x08;
pub const TCP_CLOSE: u8 = 0x07;

fn hex_u32(b: &[u8]) -> Option<u32> {
    if b.len() != 8 {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok()
}

fn hex_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 16 || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok()
}

/// "0100007F:1F90" or the 32-hex-digit IPv6 form. The kernel prints each
/// 32-bit word of the network-order address as a native-endian integer.
fn parse_addr(b: &[u8], v6: bool) -> Option<SocketAddr> {
    let colon = b.iter().position(|&c| c == b':')?;
    let (ip, port) = (&b[..colon], &b[colon + 1..]);
    let port = u16::try_from(hex_u64(port)?).ok()?;
    let ip = if v6 {
        if ip.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for i in 0..4 {
            let w = hex_u32(&ip[i * 8..i * 8 + 8])?;
            bytes[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
        }
        IpAddr::V6(Ipv6Addr::from(bytes))
    } else {
        IpAddr::V4(Ipv4Addr::from(hex_u32(ip)?.to_ne_bytes()))
    };
    Some(SocketAddr::new(ip, port))
}

/// Format an address the way users read it: IPv6 in brackets, IPv4-mapped
/// IPv6 shown as plain IPv4.
pub fn format_addr(a: &SocketAddr) -> String {
    AddrDisplay(a).to_string()
}

/// [`format_addr`] without an allocation.
pub struct AddrDisplay<'a>(pub &'a SocketAddr);

impl std::fmt::Display for AddrDisplay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0;
        match a.ip() {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => write!(f, "{}:{}", v4, a.port()),
                None => write!(f, "[{}]:{}", v6, a.port()),
            },
            IpAddr::V4(v4) => write!(f, "{}:{}", v4, a.port()),
        }
    }
}

/// Parse an inet table, keeping only sockets whose inode is in `wanted`.
/// Malformed lines are skipped (the kernel never writes them; a fixture may).
pub fn parse_inet(b: &[u8], proto: Proto, wanted: &InodeSet) -> Vec<InetSocket> {
    b.split(|&c| c == b'\n')
        .skip(1)
        .filter_map(|l| parse_inet_line(l, proto, wanted))
        .collect()
}

/// The inode column of an inet table line (not the header).
pub fn inet_line_inode(line: &[u8]) -> Option<u64> {
    line.split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
        .nth(9)
        .and_then(parse_u64)
}

/// The state column (`st`, hex) of an inet table line (not the header):
/// a whole namespace's sockets counted by state, whatever their inode.
pub fn inet_line_state(line: &[u8]) -> Option<u8> {
    line.split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
        .nth(3)
        .and_then(hex_u64)
        .and_then(|s| u8::try_from(s).ok())
}

/// The inode column of a unix table line (not the header).
pub fn unix_line_inode(line: &[u8]) -> Option<u64> {
    if !starts_record(line) {
        return None;
    }
    line.split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
        .nth(6)
        .and_then(parse_u64)
}

/// One line of an inet table (not the header).
pub fn parse_inet_line(line: &[u8], proto: Proto, wanted: &InodeSet) -> Option<InetSocket> {
    let mut f = line
        .split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty());
    let (_sl, local, remote, st, queues) = (f.next()?, f.next()?, f.next()?, f.next()?, f.next()?);
    // tr:tm->when, retrnsmt, uid, timeout, then inode.
    let inode = f.nth(4).and_then(parse_u64)?;
    if !wanted.contains(&inode) {
        return None;
    }
    let v6 = proto.is_v6();
    let local = parse_addr(local, v6)?;
    let remote = parse_addr(remote, v6)?;
    let state = hex_u64(st).and_then(|s| u8::try_from(s).ok())?;
    // Queues that do not parse make the line malformed (never 0 queued).
    let mut q = queues.splitn(2, |&c| c == b':');
    let tx_queue = q.next().and_then(hex_u64)?;
    let rx_queue = q.next().and_then(hex_u64)?;
    Some(InetSocket {
        proto,
        inode,
        local,
        remote,
        state,
        tx_queue,
        rx_queue,
        backlog: None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixSocket {
    pub inode: u64,
    /// SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5.
    pub sock_type: u16,
    /// 1 unconnected, 2 connecting, 3 connected, 4 disconnecting.
    pub state: u8,
    pub listening: bool,
    /// Filesystem path, `@name` for the abstract namespace, or empty.
    pub path: Vec<u8>,
    /// (receive, send) queue lengths, from sock_diag only; for a listener
    /// the accept queue and the backlog limit, as `ss` shows them.
    pub queues: Option<(u64, u64)>,
    /// The inode of the socket at the other end (a connected socket),
    /// from sock_diag only.
    pub peer: Option<u64>,
}

const SO_ACCEPTCON: u64 = 0x0001_0000;

pub fn unix_state_name(s: &UnixSocket) -> &'static str {
    if s.listening {
        return "LISTEN";
    }
    match s.state {
        1 => "UNCONNECTED",
        2 => "CONNECTING",
        3 => "CONNECTED",
        4 => "DISCONNECTING",
        _ => "UNKNOWN",
    }
}

/// `Num RefCount Protocol Flags Type St Inode Path`.
pub fn parse_unix(b: &[u8], wanted: &InodeSet) -> Vec<UnixSocket> {
    let mut t = UnixTable::default();
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    for line in b.split(|&c| c == b'\n').skip(1) {
        t.line(line, wanted);
    }
    t.finish()
}

/// Line-at-a-time unix table parser. The kernel writes socket names raw,
/// so a name holding a newline continues on the next line: a line that
/// does not start a record (`<hex>: <8 hex> ...`) is the rest of the
/// previous record's name. A name can also hold a newline followed by a
/// whole well-formed record, which no text parser can tell from a real
/// one: [`UnixTable::finish`] therefore trusts a record only when it is
/// the only one for its inode (a forged record claiming an inode that
/// really is a unix socket always makes two), and the caller must check
/// that the descriptor really is a unix socket before trusting a record
/// for an inode found nowhere else.
#[derive(Debug, Default)]
pub struct UnixTable {
    out: Vec<UnixSocket>,
    /// Whether the last record was kept (its name may continue).
    last_kept: bool,
    /// Records seen per inode kept in `out` (index, count): memory stays
    /// one record per wanted inode however many records claim it.
    seen: std::collections::HashMap<u64, (usize, u32)>,
}

fn starts_record(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&c| c == b':') else {
        return false;
    };
    let num = &line[..colon];
    let rest = line.get(colon + 1..).unwrap_or_default();
    !num.is_empty()
        && num.iter().all(u8::is_ascii_hexdigit)
        && rest.len() > 9
        && rest[0] == b' '
        && rest[1..9].iter().all(u8::is_ascii_hexdigit)
}

/// The longest socket name the kernel can print: `@` plus 107 bytes of
/// sun_path. Longer text on a record's line did not come from one name.
const UNIX_NAME_MAX: usize = 108;

impl UnixTable {
    pub fn line(&mut self, line: &[u8], wanted: &InodeSet) {
        if !starts_record(line) {
            if self.last_kept {
                if let Some(last) = self.out.last_mut() {
                    if last.path.len() + 1 + line.len() <= UNIX_NAME_MAX {
                        last.path.push(b'\n');
                        last.path.extend_from_slice(line);
                    }
                }
            }
            return;
        }
        self.last_kept = false;
        let Some(mut s) = parse_unix_line(line, wanted) else {
            return;
        };
        match self.seen.get_mut(&s.inode) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => {
                s.path.truncate(UNIX_NAME_MAX);
                self.seen.insert(s.inode, (self.out.len(), 1));
                self.out.push(s);
                self.last_kept = true;
            }
        }
    }

    /// The records, one per inode. An inode with more than one record
    /// (one of them forged by a socket name) keeps a single record with
    /// nothing taken from the text: state unknown, no name.
    pub fn finish(self) -> Vec<UnixSocket> {
        let seen = self.seen;
        self.out
            .into_iter()
            .map(|s| match seen.get(&s.inode) {
                Some(&(_, n)) if n > 1 => UnixSocket::unverified(s.inode),
                _ => s,
            })
            .collect()
    }
}

impl UnixSocket {
    /// A unix socket whose details could not be trusted: state unknown,
    /// no name.
    pub fn unverified(inode: u64) -> UnixSocket {
        UnixSocket {
            inode,
            sock_type: 0,
            state: 0,
            listening: false,
            path: Vec::new(),
            queues: None,
            peer: None,
        }
    }
}

/// One line of the unix table (not the header).
pub fn parse_unix_line(line: &[u8], wanted: &InodeSet) -> Option<UnixSocket> {
    let mut rest = line;
    let mut cols: [&[u8]; 7] = [&[]; 7];
    for col in cols.iter_mut() {
        let start = rest
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        rest = &rest[start..];
        let end = rest
            .iter()
            .position(|c| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        *col = &rest[..end];
        rest = &rest[end..];
    }
    let inode = parse_u64(cols[6])?;
    if !wanted.contains(&inode) {
        return None;
    }
    // Flags, type or state that do not parse: the record is the process's
    // socket (its inode), with nothing else known: never "not listening"
    // or type 0 read from a malformed column.
    let (Some(flags), Some(sock_type), Some(state)) = (
        hex_u64(cols[3]),
        hex_u64(cols[4]).and_then(|v| u16::try_from(v).ok()),
        hex_u64(cols[5]).and_then(|v| u8::try_from(v).ok()),
    ) else {
        return Some(UnixSocket::unverified(inode));
    };
    // The path is the rest of the line after one space; it may contain spaces.
    let path = rest.strip_prefix(b" ").unwrap_or(rest).to_vec();
    Some(UnixSocket {
        inode,
        sock_type,
        state,
        listening: flags & SO_ACCEPTCON != 0,
        path,
        queues: None,
        peer: None,
    })
}

/// A netlink socket of `/proc/PID/net/netlink`: its inode and protocol
/// (`NETLINK_ROUTE` 0, `NETLINK_AUDIT` 9, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetlinkSocket {
    pub inode: u64,
    pub protocol: u32,
}

/// One line of `/proc/PID/net/netlink` (`sk Eth Pid Groups Rmem Wmem Dump
/// Locks Drops Inode`; not the header), kept when its inode is wanted.
/// The table holds no names: nothing in it is a process's text.
pub fn parse_netlink_line(line: &[u8], wanted: &InodeSet) -> Option<NetlinkSocket> {
    let mut f = line
        .split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty());
    let _sk = f.next()?;
    let protocol = parse_u64(f.next()?).and_then(|p| u32::try_from(p).ok())?;
    let inode = f.nth(7).and_then(parse_u64)?;
    wanted
        .contains(&inode)
        .then_some(NetlinkSocket { inode, protocol })
}

/// The netlink protocol's name as `ss` and lsof print it (linux/netlink.h).
pub fn netlink_protocol_name(p: u32) -> Option<&'static str> {
    Some(match p {
        0 => "ROUTE",
        2 => "USERSOCK",
        4 => "SOCK_DIAG",
        5 => "NFLOG",
        6 => "XFRM",
        7 => "SELINUX",
        8 => "ISCSI",
        9 => "AUDIT",
        10 => "FIB_LOOKUP",
        11 => "CONNECTOR",
        12 => "NETFILTER",
        13 => "IP6_FW",
        14 => "DNRTMSG",
        15 => "KOBJECT_UEVENT",
        16 => "GENERIC",
        18 => "SCSITRANSPORT",
        19 => "ECRYPTFS",
        20 => "RDMA",
        21 => "CRYPTO",
        22 => "SMC",
        _ => return None,
    })
}

/// The namespace's listen-queue counters from `/proc/PID/net/netstat`:
/// `TcpExt: ... ListenOverflows ListenDrops ...` (a line of names, then a
/// line of values). Each None when absent or not a number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenCounters {
    /// Connections dropped because an accept queue was full.
    pub overflows: Option<u64>,
    /// Every connection dropped at a listener (overflows included).
    pub drops: Option<u64>,
}

fn words(t: &[u8]) -> impl Iterator<Item = &[u8]> {
    t.split(|c| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
}

pub fn parse_listen_counters(b: &[u8]) -> ListenCounters {
    let mut out = ListenCounters::default();
    let mut names: Option<&[u8]> = None;
    for line in b.split(|&c| c == b'\n') {
        let Some(rest) = line.strip_prefix(b"TcpExt:") else {
            continue;
        };
        let Some(keys) = names.take() else {
            names = Some(rest);
            continue;
        };
        for (k, v) in words(keys).zip(words(rest)) {
            match k {
                b"ListenOverflows" => out.overflows = parse_u64(v),
                b"ListenDrops" => out.drops = parse_u64(v),
                _ => {}
            }
        }
        break;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on kernel 6.18: a listener on 127.0.0.1:8080, an established
    // pair, and a CLOSE_WAIT; tcp6 with a [::]:22 listener and a mapped v4.
    const TCP: &[u8] = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1F90 0100007F:D431 01 00000010:00000020 00:00000000 00000000     0        0 1002 1 0000000000000000 20 4 30 10 -1\n   2: 0100007F:D432 0100007F:1F90 08 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 20 4 30 10 -1\n   3: 0100007F:D433 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 9999 1 0000000000000000 20 4 30 10 -1\n";
    const TCP6: &[u8] = b"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0\n   1: 0000000000000000FFFF00000100007F:1F91 0000000000000000FFFF00000100007F:E000 01 00000000:00000000 00:00000000 00000000     0        0 2002 1 0000000000000000 100 0 0 10 0\n   2: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0000000000000000 100 0 0 10 0\n";

    #[test]
    fn state_of_every_line_whatever_its_inode() {
        let states: Vec<Option<u8>> = TCP
            .split(|&c| c == b'\n')
            .skip(1)
            .map(inet_line_state)
            .collect();
        assert_eq!(
            states,
            vec![Some(0x0A), Some(0x01), Some(0x08), Some(0x01), None]
        );
        assert_eq!(inet_line_state(b"0: a b zz"), None);
        assert_eq!(inet_line_state(b"0: a b 1FF"), None);
    }

    #[test]
    fn tcp_v4_filtered_by_inode() {
        let wanted: InodeSet = [1001, 1002, 1003].into_iter().collect();
        let s = parse_inet(TCP, Proto::Tcp, &wanted);
        assert_eq!(s.len(), 3);
        assert_eq!(format_addr(&s[0].local), "127.0.0.1:8080");
        assert_eq!(s[0].state, TCP_LISTEN);
        assert_eq!(s[0].rx_queue, 3);
        assert_eq!(format_addr(&s[1].remote), "127.0.0.1:54321");
        assert_eq!((s[1].tx_queue, s[1].rx_queue), (16, 32));
        assert_eq!(tcp_state_name(s[2].state), "CLOSE_WAIT");
        assert!(s.iter().all(|x| x.inode != 9999));
    }

    #[test]
    fn tcp6_brackets_and_mapped_v4() {
        let wanted: InodeSet = [2001, 2002, 2003].into_iter().collect();
        let s = parse_inet(TCP6, Proto::Tcp6, &wanted);
        assert_eq!(s.len(), 3);
        assert_eq!(format_addr(&s[0].local), "[::]:22");
        assert_eq!(format_addr(&s[1].local), "127.0.0.1:8081");
        assert_eq!(format_addr(&s[2].local), "[::1]:80");
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let wanted: InodeSet = [1, 2, 3].into_iter().collect();
        let bad = b"header\n0: zz:zz 00000000:0000 0A 0:0 0 0 0 0 1\n0: 0100007F:1F90\n\n0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 2\n";
        let s = parse_inet(bad, Proto::Tcp, &wanted);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].inode, 2);
        assert!(parse_inet(b"", Proto::Tcp, &wanted).is_empty());
        // Queues that do not parse: the line is malformed (never 0 queued),
        // though its inode column can still be read.
        let q = b"0: 0100007F:1F90 00000000:0000 0A zz:00000000 00:00000000 00000000 0 0 3\n";
        assert!(parse_inet_line(q, Proto::Tcp, &wanted).is_none());
        assert_eq!(inet_line_inode(q), Some(3));
    }

    const UNIX: &[u8] = b"Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 3001 /run/app.sock\n0000000000000000: 00000003 00000000 00000000 0001 03 3002\n0000000000000000: 00000002 00000000 00000000 0002 01 3003 @abstract name\n0000000000000000: 00000002 00000000 00000000 0002 01 3999 /other\n";

    #[test]
    fn unix_sockets() {
        let wanted: InodeSet = [3001, 3002, 3003].into_iter().collect();
        let s = parse_unix(UNIX, &wanted);
        assert_eq!(s.len(), 3);
        assert_eq!(unix_state_name(&s[0]), "LISTEN");
        assert_eq!(s[0].path, b"/run/app.sock");
        assert_eq!(unix_state_name(&s[1]), "CONNECTED");
        assert!(s[1].path.is_empty());
        assert_eq!(s[2].path, b"@abstract name");
        assert_eq!(s[2].sock_type, 2);
        // Flags that do not parse: the socket, state unknown (a listener
        // is not read as "not listening" from a broken column).
        let bad = b"Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 0001000z 0001 01 3001 /run/app.sock\n";
        let s = parse_unix(bad, &wanted);
        assert_eq!(s, [UnixSocket::unverified(3001)]);
        assert_eq!(unix_state_name(&s[0]), "UNKNOWN");
    }

    #[test]
    fn unix_names_with_newlines_continue_on_the_next_line() {
        // Captured shape: a listener bound at "/tmp/s\x1b[31m\n\xff.sock",
        // written raw by the kernel across two lines.
        let t = b"Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 4001 /tmp/s\x1b[31m\n\xff.sock\n0000000000000000: 00000002 00000000 00000000 0001 01 4999 /other\nnot ours\n0000000000000000: 00000002 00000000 00000000 0002 01 4002 @x\n";
        let wanted: InodeSet = [4001, 4002].into_iter().collect();
        let s = parse_unix(t, &wanted);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].path, b"/tmp/s\x1b[31m\n\xff.sock");
        assert_eq!(s[1].path, b"@x");
    }

    #[test]
    fn a_name_that_forges_a_record_leaves_only_an_unverified_one() {
        // A real connected socket 5001, then an abstract listener whose
        // name is "x\n" + a LISTEN record claiming 5001: two records for
        // one inode. And a forged record for 5002, which only it claims
        // (the caller checks the descriptor's protocol for those).
        let t = b"Num       RefCount Protocol Flags    Type St Inode Path\n\
0000000000000000: 00000003 00000000 00000000 0001 03 5001\n\
0000000000000000: 00000002 00000000 00010000 0001 01 6001 @x\n\
0000000000000000: 00000002 00000000 00010000 0001 01 5001 /run/docker.sock\n\
0000000000000000: 00000002 00000000 00010000 0001 01 6002 @x\n\
0000000000000000: 00000002 00000000 00010000 0001 01 5002 /run/docker.sock\n";
        let wanted: InodeSet = [5001, 5002].into_iter().collect();
        let s = parse_unix(t, &wanted);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0], UnixSocket::unverified(5001));
        assert_eq!(unix_state_name(&s[0]), "UNKNOWN");
        assert_eq!(s[1].inode, 5002);
        // However many records claim one inode, one is kept.
        let mut many = b"h\n".to_vec();
        for _ in 0..1000 {
            many.extend_from_slice(
                b"0000000000000000: 00000002 00000000 00010000 0001 01 5001 /run/docker.sock\n",
            );
        }
        assert_eq!(
            parse_unix(&many, &wanted),
            vec![UnixSocket::unverified(5001)]
        );
    }

    #[test]
    fn netlink_lines_and_listen_counters() {
        // Captured on kernel 6.18.
        let nl = b"sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\nffff8f2b4a2c9000 0   4195573    00000000 0        0        0     2        0        61234\nffff8f2b4a2c9800 16  1234       00000000 0        0        0     2        0        61235\n";
        let wanted: InodeSet = [61234, 61235].into_iter().collect();
        let got: Vec<NetlinkSocket> = nl
            .split(|&c| c == b'\n')
            .skip(1)
            .filter_map(|l| parse_netlink_line(l, &wanted))
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].inode, got[0].protocol), (61234, 0));
        assert_eq!(netlink_protocol_name(got[1].protocol), Some("GENERIC"));
        assert_eq!(netlink_protocol_name(99), None);
        assert!(parse_netlink_line(b"x y", &wanted).is_none());
        let ns = b"TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPBacklogDrop\nTcpExt: 0 17 19 0\nIpExt: InNoRoutes\nIpExt: 0\n";
        let c = parse_listen_counters(ns);
        assert_eq!((c.overflows, c.drops), (Some(17), Some(19)));
        let bad = parse_listen_counters(b"TcpExt: ListenOverflows ListenDrops\nTcpExt: 1x 2\n");
        assert_eq!((bad.overflows, bad.drops), (None, Some(2)));
        assert_eq!(parse_listen_counters(b""), ListenCounters::default());
    }

    #[test]
    fn continuation_lines_cannot_grow_a_name_past_the_kernel_limit() {
        let mut t = b"h\n0000000000000000: 00000002 00000000 00000000 0001 01 7001 @a\n".to_vec();
        for _ in 0..10_000 {
            t.extend_from_slice(b"not a record\n");
        }
        let wanted: InodeSet = [7001].into_iter().collect();
        let s = parse_unix(&t, &wanted);
        assert!(s[0].path.len() <= UNIX_NAME_MAX, "{}", s[0].path.len());
    }
}
