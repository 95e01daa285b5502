//! `proctor who`: its TARGET argument (a port, an address and port, or a
//! path), the ports of a /proc/net/{tcp,udp}[6] line read without decoding
//! the rest (a host table holds tens of thousands of lines; only the lines
//! on the wanted port are parsed whole), and the mount points of a
//! mountinfo. Pure; never panics on any input.

use std::net::{IpAddr, Ipv6Addr};

/// Which transport a port lookup is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
}

/// A port lookup: `:8080`, `127.0.0.1:8080`, `[::1]:8080`, `tcp:8080`,
/// `udp:53`, `8080/tcp` (fuser's form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortQuery {
    /// None: both TCP and UDP.
    pub transport: Option<Transport>,
    /// None: any address (the port alone was given).
    pub addr: Option<IpAddr>,
    pub port: u16,
}

/// What `who` was asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhoTarget {
    Port(PortQuery),
    /// A path, as typed (resolved later by the reader).
    Path(String),
}

/// Why a TARGET is not a valid port lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// A number past 65535, or 0.
    PortOutOfRange(String),
    /// Not a number where a port was expected (`udp:abc`, `:`).
    BadPort(String),
    /// Not an IP address before the port (`[zz]:80`, `1.2.3:80`).
    BadAddress(String),
    /// Empty TARGET.
    Empty,
}

/// Parse `who`'s TARGET. A text that looks like a port lookup (a leading
/// `:`, `tcp:`/`udp:`, `[`, `N/tcp`, or `IPV4:PORT`) must be a valid one;
/// anything else is a path (`who 8080` is the file `8080`: write `:8080`).
pub fn parse_target(s: &str) -> Result<WhoTarget, TargetError> {
    if s.is_empty() {
        return Err(TargetError::Empty);
    }
    let lower = s.to_ascii_lowercase();
    for (prefix, t) in [("tcp:", Transport::Tcp), ("udp:", Transport::Udp)] {
        if lower.starts_with(prefix) {
            let rest = &s[prefix.len()..];
            let mut q = endpoint(rest.strip_prefix(':').unwrap_or(rest))?;
            q.transport = Some(t);
            return Ok(WhoTarget::Port(q));
        }
    }
    for (suffix, t) in [("/tcp", Transport::Tcp), ("/udp", Transport::Udp)] {
        if let Some(num) = lower.strip_suffix(suffix)
            && !num.is_empty()
            && num.bytes().all(|c| c.is_ascii_digit())
        {
            return Ok(WhoTarget::Port(PortQuery {
                transport: Some(t),
                addr: None,
                port: port(num)?,
            }));
        }
    }
    if s.starts_with(':') || s.starts_with('[') || looks_like_ipv4_port(s) {
        return endpoint(s).map(WhoTarget::Port);
    }
    Ok(WhoTarget::Path(s.to_string()))
}

/// `DIGITS.DIGITS...:PORT`: an IPv4 address with a port (a path would
/// rarely look like this; `./1.2.3.4:80` names such a file).
fn looks_like_ipv4_port(s: &str) -> bool {
    let Some((a, _)) = s.rsplit_once(':') else {
        return false;
    };
    !a.is_empty() && a.contains('.') && a.bytes().all(|c| c.is_ascii_digit() || c == b'.')
}

/// `:PORT`, `PORT`, `ADDR:PORT`, `[V6]:PORT`.
fn endpoint(s: &str) -> Result<PortQuery, TargetError> {
    let (addr, p) = if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| TargetError::BadAddress(s.to_string()))?;
        let a: Ipv6Addr = inside
            .parse()
            .map_err(|_| TargetError::BadAddress(inside.to_string()))?;
        let p = after
            .strip_prefix(':')
            .ok_or_else(|| TargetError::BadPort(after.to_string()))?;
        (Some(IpAddr::V6(a)), p)
    } else if let Some((a, p)) = s.rsplit_once(':') {
        if a.is_empty() {
            (None, p)
        } else {
            let a: IpAddr = a
                .parse()
                .map_err(|_| TargetError::BadAddress(a.to_string()))?;
            (Some(a), p)
        }
    } else {
        (None, s)
    };
    Ok(PortQuery {
        transport: None,
        addr,
        port: port(p)?,
    })
}

fn port(p: &str) -> Result<u16, TargetError> {
    if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
        return Err(TargetError::BadPort(p.to_string()));
    }
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(TargetError::PortOutOfRange(p.to_string())),
    }
}

/// The local and remote ports of an inet table line (not the header),
/// without decoding the addresses: `sl local rem ...` with addresses as
/// `HEX:PORTHEX`.
pub fn inet_line_ports(line: &[u8]) -> Option<(u16, u16)> {
    let mut f = line
        .split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty());
    let (_sl, local, remote) = (f.next()?, f.next()?, f.next()?);
    Some((hex_port(local)?, hex_port(remote)?))
}

fn hex_port(addr: &[u8]) -> Option<u16> {
    let colon = addr.iter().rposition(|&c| c == b':')?;
    let p = &addr[colon + 1..];
    if p.is_empty() || p.len() > 4 || !p.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok()
}

/// The mount points of a mountinfo (field 5, octal escapes such as `\040`
/// decoded), in file order.
pub fn mount_points(mountinfo: &[u8]) -> Vec<Vec<u8>> {
    mountinfo
        .split(|&c| c == b'\n')
        .filter_map(|l| {
            l.split(|&c| c == b' ')
                .nth(4)
                .filter(|m| m.first() == Some(&b'/'))
        })
        .map(super::mountinfo::unescape)
        .collect()
}

/// The mount point among `points` that holds `path` (the longest one
/// that is `path` or a parent of it; the last mounted of equal ones).
pub fn mount_of<'a>(path: &[u8], points: &'a [Vec<u8>]) -> Option<&'a [u8]> {
    let mut best: Option<&[u8]> = None;
    for m in points {
        if under(path, m) && best.is_none_or(|b| m.len() >= b.len()) {
            best = Some(m);
        }
    }
    best
}

/// Whether `path` is `dir` or below it (byte-wise, on `/` boundaries).
pub fn under(path: &[u8], dir: &[u8]) -> bool {
    if dir == b"/" {
        return path.first() == Some(&b'/');
    }
    let dir = dir.strip_suffix(b"/").unwrap_or(dir);
    path == dir || (path.starts_with(dir) && path.get(dir.len()) == Some(&b'/'))
}

/// The inode of a namespace link text (`net:[4026531840]`).
pub fn ns_inode(link: &[u8]) -> Option<u64> {
    let colon = link.iter().position(|&c| c == b':')?;
    let inner = link[colon + 1..].strip_prefix(b"[")?.strip_suffix(b"]")?;
    super::parse_u64(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn port_q(t: Option<Transport>, addr: Option<IpAddr>, port: u16) -> WhoTarget {
        WhoTarget::Port(PortQuery {
            transport: t,
            addr,
            port,
        })
    }

    #[test]
    fn targets() {
        let lo = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let v6 = Some(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(parse_target(":8080"), Ok(port_q(None, None, 8080)));
        assert_eq!(parse_target("127.0.0.1:8080"), Ok(port_q(None, lo, 8080)));
        assert_eq!(parse_target("[::1]:8080"), Ok(port_q(None, v6, 8080)));
        let udp = Some(Transport::Udp);
        let tcp = Some(Transport::Tcp);
        assert_eq!(parse_target("udp:53"), Ok(port_q(udp, None, 53)));
        assert_eq!(parse_target("UDP:53"), Ok(port_q(udp, None, 53)));
        assert_eq!(parse_target("tcp::8080"), Ok(port_q(tcp, None, 8080)));
        assert_eq!(parse_target("tcp:[::1]:22"), Ok(port_q(tcp, v6, 22)));
        assert_eq!(parse_target("tcp:127.0.0.1:22"), Ok(port_q(tcp, lo, 22)));
        assert_eq!(parse_target("8080/tcp"), Ok(port_q(tcp, None, 8080)));
        assert_eq!(parse_target("53/udp"), Ok(port_q(udp, None, 53)));
        assert_eq!(
            parse_target("/var/log"),
            Ok(WhoTarget::Path("/var/log".into()))
        );
        assert_eq!(parse_target("8080"), Ok(WhoTarget::Path("8080".into())));
        assert_eq!(parse_target("a:b"), Ok(WhoTarget::Path("a:b".into())));
    }

    #[test]
    fn bad_targets() {
        assert_eq!(
            parse_target(":99999"),
            Err(TargetError::PortOutOfRange("99999".into()))
        );
        assert_eq!(
            parse_target(":0"),
            Err(TargetError::PortOutOfRange("0".into()))
        );
        assert_eq!(
            parse_target("udp:abc"),
            Err(TargetError::BadPort("abc".into()))
        );
        assert_eq!(parse_target(":"), Err(TargetError::BadPort(String::new())));
        assert_eq!(
            parse_target("[::1]"),
            Err(TargetError::BadPort(String::new()))
        );
        assert_eq!(
            parse_target("[zz]:80"),
            Err(TargetError::BadAddress("zz".into()))
        );
        assert_eq!(
            parse_target("1.2.3:80"),
            Err(TargetError::BadAddress("1.2.3".into()))
        );
        assert_eq!(parse_target(""), Err(TargetError::Empty));
        assert_eq!(
            parse_target(":18446744073709551617"),
            Err(TargetError::PortOutOfRange("18446744073709551617".into()))
        );
    }

    #[test]
    fn ports_of_kernel_lines() {
        let l = b"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23456 1 0000000000000000 100 0 0 10 0";
        assert_eq!(inet_line_ports(l), Some((8080, 0)));
        let l6 = b"   1: 00000000000000000000000001000000:0016 00000000000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 777 1";
        assert_eq!(inet_line_ports(l6), Some((22, 50000)));
        assert_eq!(inet_line_ports(b"  sl  local_address rem_address"), None);
        assert_eq!(inet_line_ports(b"0: 0100007F:1F9000 0:0"), None);
    }

    #[test]
    fn mounts() {
        let mi = b"22 1 8:1 / / rw - ext4 /dev/sda1 rw\n30 22 0:5 / /mnt/my\\040disk rw - tmpfs t rw\n31 22 0:6 / /mnt rw - tmpfs t rw\n";
        let pts = mount_points(mi);
        assert_eq!(
            pts,
            vec![b"/".to_vec(), b"/mnt/my disk".to_vec(), b"/mnt".to_vec()]
        );
        assert_eq!(
            mount_of(b"/mnt/my disk/x", &pts),
            Some(&b"/mnt/my disk"[..])
        );
        assert_eq!(mount_of(b"/mnt/my diskette", &pts), Some(&b"/mnt"[..]));
        assert_eq!(mount_of(b"/etc/passwd", &pts), Some(&b"/"[..]));
        assert_eq!(mount_of(b"relative", &pts), None);
        assert!(under(b"/a/b", b"/a/"));
        assert!(!under(b"/ab", b"/a"));
        assert_eq!(ns_inode(b"net:[4026531840]"), Some(4026531840));
        assert_eq!(ns_inode(b"net:[x]"), None);
        assert_eq!(
            super::super::mountinfo::unescape(b"a\\134b\\777\\"),
            b"a\\b\\777\\".to_vec()
        );
    }
}
