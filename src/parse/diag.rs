//! Netlink sock_diag (NETLINK_SOCK_DIAG) messages for TCP and unix
//! sockets: the requests and the parsers of the dumps. This is what
//! `ss -tan` and `ss -xa` use: the kernel fills binary records instead of
//! formatting /proc/net/tcp as text, several times cheaper for tens of
//! thousands of sockets. For unix sockets it is also the only source a
//! process cannot forge: /proc/net/unix prints socket names raw, so a name
//! holding a newline can write a whole fake record (docs/SECURITY.md).
//! Pure: bytes in, sockets out.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::net::{InetSocket, InodeSet, Proto, TCP_LISTEN, UnixSocket};

pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;
const AF_UNIX: u8 = 1;
const IPPROTO_TCP: u8 = 6;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_HDRLEN: usize = 16;
const DIAG_MSG_LEN: usize = 72;

/// Every TCP state's bit: a dump of the whole table.
pub const ALL_STATES: u32 = 0xffff_ffff;

/// The TCP states' bit of a dump request (`1 << state`): LISTEN only.
pub const LISTEN_ONLY: u32 = 1 << TCP_LISTEN;

/// A dump request for the TCP sockets of one address family whose state's
/// bit (`1 << state`) is in `states`: the kernel filters, so a dump of the
/// listeners of a host with 20,000 connections returns only the listeners.
pub fn tcp_dump_request_states(family: u8, seq: u32, states: u32) -> [u8; 72] {
    let mut r = [0u8; 72];
    r[0..4].copy_from_slice(&72u32.to_ne_bytes());
    r[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    r[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    r[8..12].copy_from_slice(&seq.to_ne_bytes());
    // inet_diag_req_v2: family, protocol, ext, pad, states (all), id (zero).
    r[16] = family;
    r[17] = IPPROTO_TCP;
    r[20..24].copy_from_slice(&states.to_ne_bytes());
    r
}

/// TCPDIAG_GETSOCK: the older request, whose dump holds both address
/// families (the kernel's `inet_diag_dump_compat` asks for AF_UNSPEC).
const TCPDIAG_GETSOCK: u16 = 18;

/// The older (inet_diag_req) dump request for the TCP sockets of both
/// address families whose state is in `states`: one walk of the kernel's
/// hash table (262,144 buckets here, most empty) instead of one per
/// family. Its replies are [`parse_inodes_chunk`]'s too.
pub fn tcp_dump_request_both_states(seq: u32, states: u32) -> [u8; 76] {
    let mut r = [0u8; 76];
    r[0..4].copy_from_slice(&76u32.to_ne_bytes());
    r[4..6].copy_from_slice(&TCPDIAG_GETSOCK.to_ne_bytes());
    r[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    r[8..12].copy_from_slice(&seq.to_ne_bytes());
    // inet_diag_req: family, src_len, dst_len, ext, id (48 bytes), states, dbs.
    r[16] = AF_INET;
    r[68..72].copy_from_slice(&states.to_ne_bytes());
    r
}

/// The inodes of every TCP record in `b` whose state is in `states` (the
/// mask of [`tcp_dump_request_states`], checked again here: the filter is
/// the kernel's, the answer is ours).
pub fn parse_inodes_chunk(b: &[u8], states: u32, out: &mut Vec<u64>) -> Chunk {
    for_each_message(b, DIAG_MSG_LEN, |p| {
        let state = u32::from(p[1]);
        if state < 32 && states & (1 << state) != 0 {
            if let Some(inode) = u32_at(p, 68).filter(|&i| i != 0) {
                out.push(u64::from(inode));
            }
        }
    })
}

/// What one received buffer held.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk {
    More,
    Done,
    /// The kernel answered with an error (errno).
    Error(i32),
    /// Not a well-formed netlink buffer.
    Malformed,
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

/// Parse one buffer of TCP dump replies, keeping the sockets whose inode
/// is wanted. Never panics on any input.
pub fn parse_chunk(b: &[u8], wanted: &InodeSet, out: &mut Vec<InetSocket>) -> Chunk {
    for_each_message(b, DIAG_MSG_LEN, |p| {
        if let Some(s) = diag_msg(p, wanted) {
            out.push(s);
        }
    })
}

/// Walk the netlink messages of one buffer, handing each sock_diag record
/// payload of at least `min_len` bytes to `f`.
fn for_each_message(b: &[u8], min_len: usize, mut f: impl FnMut(&[u8])) -> Chunk {
    let mut off = 0;
    while off + NLMSG_HDRLEN <= b.len() {
        let (Some(len), Some(kind)) = (u32_at(b, off), u16_at(b, off + 4)) else {
            return Chunk::Malformed;
        };
        let len = len as usize;
        if len < NLMSG_HDRLEN || len > b.len() - off {
            return Chunk::Malformed;
        }
        let payload = &b[off + NLMSG_HDRLEN..off + len];
        match kind {
            NLMSG_DONE => return Chunk::Done,
            NLMSG_ERROR => {
                let e = payload
                    .get(0..4)
                    .and_then(|x| x.try_into().ok())
                    .map_or(0, i32::from_ne_bytes);
                return Chunk::Error(e.saturating_neg());
            }
            SOCK_DIAG_BY_FAMILY | TCPDIAG_GETSOCK if payload.len() >= min_len => f(payload),
            _ => {}
        }
        off = off.saturating_add((len + 3) & !3);
    }
    Chunk::More
}

fn diag_msg(p: &[u8], wanted: &InodeSet) -> Option<InetSocket> {
    let inode = u64::from(u32_at(p, 68)?);
    if !wanted.contains(&inode) {
        return None;
    }
    let family = p[0];
    let state = p[1];
    let sport = u16::from_be_bytes([p[4], p[5]]);
    let dport = u16::from_be_bytes([p[6], p[7]]);
    let (proto, src, dst) = match family {
        AF_INET => {
            let a: [u8; 4] = p[8..12].try_into().ok()?;
            let b: [u8; 4] = p[24..28].try_into().ok()?;
            (
                Proto::Tcp,
                IpAddr::V4(Ipv4Addr::from(a)),
                IpAddr::V4(Ipv4Addr::from(b)),
            )
        }
        AF_INET6 => {
            let a: [u8; 16] = p[8..24].try_into().ok()?;
            let b: [u8; 16] = p[24..40].try_into().ok()?;
            (
                Proto::Tcp6,
                IpAddr::V6(Ipv6Addr::from(a)),
                IpAddr::V6(Ipv6Addr::from(b)),
            )
        }
        _ => return None,
    };
    let rqueue = u64::from(u32_at(p, 56)?);
    let wqueue = u64::from(u32_at(p, 60)?);
    Some(InetSocket {
        proto,
        inode,
        local: SocketAddr::new(src, sport),
        remote: SocketAddr::new(dst, dport),
        state,
        // For a listener the kernel reports the accept queue as rqueue
        // (as /proc/net/tcp does) and the backlog as wqueue, where
        // /proc/net/tcp shows 0: the send queue is 0, the backlog its own.
        tx_queue: if state == TCP_LISTEN { 0 } else { wqueue },
        rx_queue: rqueue,
        backlog: (state == TCP_LISTEN).then_some(wqueue),
    })
}

// struct unix_diag_req and struct unix_diag_msg (linux/unix_diag.h).
const UNIX_DIAG_MSG_LEN: usize = 16;
const UDIAG_SHOW_NAME: u32 = 0x01;
const UDIAG_SHOW_PEER: u32 = 0x04;
const UDIAG_SHOW_RQLEN: u32 = 0x10;
const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_PEER: u16 = 2;
const UNIX_DIAG_RQLEN: u16 = 4;
// sk_state values the unix diag reports (include/net/tcp_states.h).
const SK_ESTABLISHED: u8 = 1;
const SK_SYN_SENT: u8 = 2;
const SK_LISTEN: u8 = 10;
/// The longest name a unix socket can have (sizeof sun_path).
const UNIX_PATH_MAX: usize = 108;

/// A dump request for every unix socket of the namespace, with names,
/// peers and queue lengths.
pub fn unix_dump_request(seq: u32) -> [u8; 40] {
    let mut r = [0u8; 40];
    r[0..4].copy_from_slice(&40u32.to_ne_bytes());
    r[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    r[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    r[8..12].copy_from_slice(&seq.to_ne_bytes());
    // unix_diag_req: family, protocol, pad, states (all), ino (any), show.
    r[16] = AF_UNIX;
    r[20..24].copy_from_slice(&0xffff_ffffu32.to_ne_bytes());
    r[28..32]
        .copy_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN).to_ne_bytes());
    r
}

/// Parse one buffer of unix dump replies, keeping the sockets whose inode
/// is wanted. Names are shown as /proc/net/unix shows them (`@` for the
/// abstract namespace and for each NUL in an abstract name). Never panics.
pub fn parse_unix_chunk(b: &[u8], wanted: &InodeSet, out: &mut Vec<UnixSocket>) -> Chunk {
    for_each_message(b, UNIX_DIAG_MSG_LEN, |p| {
        if let Some(s) = unix_msg(p, wanted) {
            out.push(s);
        }
    })
}

fn unix_msg(p: &[u8], wanted: &InodeSet) -> Option<UnixSocket> {
    if p.first() != Some(&AF_UNIX) {
        return None;
    }
    let inode = u64::from(u32_at(p, 4)?);
    if !wanted.contains(&inode) {
        return None;
    }
    let (sock_type, sk_state) = (u16::from(p[1]), p[2]);
    let mut path = Vec::new();
    let mut queues = None;
    let mut peer = None;
    // Attributes: struct rtattr { u16 len; u16 type; } + payload, 4-aligned.
    let mut off = UNIX_DIAG_MSG_LEN;
    while off + 4 <= p.len() {
        let len = usize::from(u16_at(p, off)?);
        let kind = u16_at(p, off + 2)?;
        if len < 4 || len > p.len() - off {
            break;
        }
        let data = &p[off + 4..off + len];
        match kind {
            UNIX_DIAG_NAME => path = unix_name(data),
            UNIX_DIAG_PEER => peer = u32_at(data, 0).map(u64::from).filter(|&p| p != 0),
            UNIX_DIAG_RQLEN => {
                queues = Some((u64::from(u32_at(data, 0)?), u64::from(u32_at(data, 4)?)));
            }
            _ => {}
        }
        off = off.saturating_add((len + 3) & !3);
    }
    let listening = sk_state == SK_LISTEN;
    // The socket-level state /proc/net/unix shows (SS_UNCONNECTED 1,
    // SS_CONNECTING 2, SS_CONNECTED 3), from the sock state.
    let state = match sk_state {
        SK_ESTABLISHED => 3,
        SK_SYN_SENT => 2,
        _ => 1,
    };
    Some(UnixSocket {
        inode,
        sock_type,
        state,
        listening,
        path,
        queues,
        peer,
    })
}

/// A socket name as /proc/net/unix writes it: a path up to its NUL, or
/// `@` then the abstract name with each NUL shown as `@`.
fn unix_name(data: &[u8]) -> Vec<u8> {
    let data = &data[..data.len().min(UNIX_PATH_MAX)];
    match data.split_first() {
        None => Vec::new(),
        Some((0, rest)) => {
            let mut v = Vec::with_capacity(rest.len() + 1);
            v.push(b'@');
            v.extend(rest.iter().map(|&c| if c == 0 { b'@' } else { c }));
            v
        }
        Some(_) => data.split(|&c| c == 0).next().unwrap_or_default().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sock_diag record behind its netlink header.
    fn framed(p: Vec<u8>) -> Vec<u8> {
        let mut h = vec![0u8; NLMSG_HDRLEN];
        h[0..4].copy_from_slice(&((NLMSG_HDRLEN + p.len()) as u32).to_ne_bytes());
        h[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        h.extend(p);
        h
    }

    fn msg(
        family: u8,
        state: u8,
        sport: u16,
        dport: u16,
        src: &[u8],
        dst: &[u8],
        inode: u32,
    ) -> Vec<u8> {
        let mut p = vec![0u8; DIAG_MSG_LEN];
        p[0] = family;
        p[1] = state;
        p[4..6].copy_from_slice(&sport.to_be_bytes());
        p[6..8].copy_from_slice(&dport.to_be_bytes());
        p[8..8 + src.len()].copy_from_slice(src);
        p[24..24 + dst.len()].copy_from_slice(dst);
        p[56..60].copy_from_slice(&3u32.to_ne_bytes());
        p[60..64].copy_from_slice(&5u32.to_ne_bytes());
        p[68..72].copy_from_slice(&inode.to_ne_bytes());
        framed(p)
    }

    #[test]
    fn request_layout() {
        let r = tcp_dump_request_states(AF_INET6, 7, ALL_STATES);
        assert_eq!(u32_at(&r, 0), Some(72));
        assert_eq!(u32_at(&r, 20), Some(u32::MAX));
        assert_eq!(u16_at(&r, 4), Some(20));
        assert_eq!(u16_at(&r, 6), Some(0x301));
        assert_eq!(u32_at(&r, 8), Some(7));
        assert_eq!((r[16], r[17]), (10, 6));
    }

    #[test]
    fn state_filtered_request_and_inodes() {
        let r = tcp_dump_request_states(AF_INET, 3, 1 << 8);
        assert_eq!(u32_at(&r, 20), Some(0x100));
        assert_eq!((r[16], r[17]), (2, 6));
        let lo = [127, 0, 0, 1];
        let mut b = msg(AF_INET, 8, 80, 5000, &lo, &lo, 11);
        // Another state (the kernel's filter ignored): left out.
        b.extend(msg(AF_INET, 1, 80, 5001, &lo, &lo, 12));
        // Inode 0 (an orphan, no descriptor holds it): left out.
        b.extend(msg(AF_INET, 8, 80, 5002, &lo, &lo, 0));
        b.extend(msg(AF_INET, 8, 80, 5003, &lo, &lo, 13));
        let mut out = Vec::new();
        assert_eq!(parse_inodes_chunk(&b, 1 << 8, &mut out), Chunk::More);
        assert_eq!(out, vec![11, 13]);
        // The older request's replies (type 18) are read alike.
        let r = tcp_dump_request_both_states(4, 1 << 8);
        assert_eq!(
            (u32_at(&r, 0), u16_at(&r, 4), u32_at(&r, 68)),
            (Some(76), Some(18), Some(0x100))
        );
        let mut c = msg(AF_INET6, 8, 80, 5000, &lo, &lo, 21);
        c[4..6].copy_from_slice(&18u16.to_ne_bytes());
        let mut out = Vec::new();
        assert_eq!(parse_inodes_chunk(&c, 1 << 8, &mut out), Chunk::More);
        assert_eq!(out, vec![21]);
        // A state byte past the mask's 32 bits matches nothing.
        let mut out = Vec::new();
        let b = msg(AF_INET, 200, 80, 5000, &lo, &lo, 14);
        assert_eq!(parse_inodes_chunk(&b, u32::MAX, &mut out), Chunk::More);
        assert!(out.is_empty());
    }

    #[test]
    fn parses_records_and_done() {
        let mut b = msg(
            AF_INET,
            1,
            8080,
            54321,
            &[127, 0, 0, 1],
            &[127, 0, 0, 1],
            1001,
        );
        b.extend(msg(
            AF_INET,
            0x0A,
            8080,
            0,
            &[127, 0, 0, 1],
            &[0, 0, 0, 0],
            1002,
        ));
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        b.extend(msg(AF_INET6, 8, 443, 999, &v6, &v6, 1003));
        b.extend(msg(AF_INET, 1, 1, 2, &[10, 0, 0, 1], &[10, 0, 0, 2], 9999));
        let wanted: InodeSet = [1001, 1002, 1003].into_iter().collect();
        let mut out = Vec::new();
        assert_eq!(parse_chunk(&b, &wanted, &mut out), Chunk::More);
        assert_eq!(out.len(), 3);
        assert_eq!(
            super::super::net::format_addr(&out[0].local),
            "127.0.0.1:8080"
        );
        assert_eq!(
            super::super::net::format_addr(&out[0].remote),
            "127.0.0.1:54321"
        );
        assert_eq!((out[0].rx_queue, out[0].tx_queue), (3, 5));
        assert_eq!(out[1].state, TCP_LISTEN);
        assert_eq!(out[1].tx_queue, 0);
        // A listener: rqueue the accept queue, wqueue the backlog.
        assert_eq!((out[1].rx_queue, out[1].backlog), (3, Some(5)));
        assert_eq!(out[0].backlog, None);
        assert_eq!(out[2].proto, Proto::Tcp6);
        assert_eq!(super::super::net::format_addr(&out[2].local), "[::1]:443");
        let mut done = vec![0u8; 20];
        done[0..4].copy_from_slice(&20u32.to_ne_bytes());
        done[4..6].copy_from_slice(&NLMSG_DONE.to_ne_bytes());
        assert_eq!(parse_chunk(&done, &wanted, &mut out), Chunk::Done);
    }

    #[test]
    fn errors_and_garbage() {
        let mut e = vec![0u8; 36];
        e[0..4].copy_from_slice(&36u32.to_ne_bytes());
        e[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
        e[16..20].copy_from_slice(&(-13i32).to_ne_bytes());
        let w = InodeSet::default();
        assert_eq!(parse_chunk(&e, &w, &mut Vec::new()), Chunk::Error(13));
        let mut bad = vec![0u8; 40];
        bad[0..4].copy_from_slice(&4000u32.to_ne_bytes());
        assert_eq!(parse_chunk(&bad, &w, &mut Vec::new()), Chunk::Malformed);
        for n in 0..80 {
            let junk: Vec<u8> = (0..n).map(|i| (i * 37 % 251) as u8).collect();
            let _ = parse_chunk(&junk, &w, &mut Vec::new());
        }
    }

    fn unix_msg(sk_state: u8, inode: u32, name: Option<&[u8]>, rq: Option<(u32, u32)>) -> Vec<u8> {
        unix_msg_peer(sk_state, inode, name, rq, None)
    }

    fn unix_msg_peer(
        sk_state: u8,
        inode: u32,
        name: Option<&[u8]>,
        rq: Option<(u32, u32)>,
        peer: Option<u32>,
    ) -> Vec<u8> {
        let mut p = vec![0u8; UNIX_DIAG_MSG_LEN];
        p[0] = AF_UNIX;
        p[1] = 1;
        p[2] = sk_state;
        p[4..8].copy_from_slice(&inode.to_ne_bytes());
        let mut attr = |kind: u16, data: &[u8]| {
            p.extend(((4 + data.len()) as u16).to_ne_bytes());
            p.extend(kind.to_ne_bytes());
            p.extend(data);
            while p.len() % 4 != 0 {
                p.push(0);
            }
        };
        if let Some(n) = name {
            attr(UNIX_DIAG_NAME, n);
        }
        if let Some(x) = peer {
            attr(UNIX_DIAG_PEER, &x.to_ne_bytes());
        }
        if let Some((r, w)) = rq {
            let mut d = r.to_ne_bytes().to_vec();
            d.extend(w.to_ne_bytes());
            attr(UNIX_DIAG_RQLEN, &d);
        }
        framed(p)
    }

    #[test]
    fn unix_request_layout() {
        let r = unix_dump_request(3);
        assert_eq!(u32_at(&r, 0), Some(40));
        assert_eq!(u16_at(&r, 4), Some(20));
        assert_eq!(u32_at(&r, 8), Some(3));
        assert_eq!(r[16], AF_UNIX);
        assert_eq!(u32_at(&r, 20), Some(u32::MAX));
        assert_eq!(
            u32_at(&r, 28),
            Some(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN)
        );
        let l = tcp_dump_request_states(AF_INET, 1, LISTEN_ONLY);
        assert_eq!(u32_at(&l, 20), Some(1 << 10));
    }

    #[test]
    fn unix_records_names_states_and_queues() {
        // A listener at a path (kernel includes the NUL), a connected
        // socket with no name, an abstract name holding a newline and a
        // NUL (shown as the text table shows it: never a second record),
        // and one not wanted.
        let mut b = unix_msg(SK_LISTEN, 11, Some(b"/run/a.sock\0"), Some((2, 128)));
        b.extend(unix_msg_peer(
            SK_ESTABLISHED,
            12,
            None,
            Some((0, 0)),
            Some(77),
        ));
        b.extend(unix_msg(7, 13, Some(b"\0x\n0000: 1 2 3 \0y"), None));
        b.extend(unix_msg(SK_LISTEN, 99, Some(b"/other\0"), None));
        let wanted: InodeSet = [11, 12, 13].into_iter().collect();
        let mut out = Vec::new();
        assert_eq!(parse_unix_chunk(&b, &wanted, &mut out), Chunk::More);
        assert_eq!(out.len(), 3);
        assert!(out[0].listening);
        assert_eq!(out[0].path, b"/run/a.sock");
        assert_eq!(out[0].queues, Some((2, 128)));
        assert_eq!((out[1].state, out[1].listening), (3, false));
        assert!(out[1].path.is_empty());
        assert_eq!((out[0].peer, out[1].peer), (None, Some(77)));
        assert_eq!(out[2].path, b"@x\n0000: 1 2 3 @y");
        assert_eq!(out[2].state, 1);
        // Truncated attributes and junk never panic.
        for cut in 0..b.len() {
            let _ = parse_unix_chunk(&b[..cut], &wanted, &mut Vec::new());
        }
    }
}
