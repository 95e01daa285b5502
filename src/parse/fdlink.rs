//! Classify the text of a `/proc/PID/fd/N` link. Classification uses the
//! link text only (plus open flags from fdinfo for directories): proctor
//! never stat()s or opens a descriptor's target, so a dead network mount
//! cannot hang it.

use std::collections::HashSet;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FdKind {
    File,
    Dir,
    Socket,
    Pipe,
    AnonInode,
    CharDevice,
    BlockDevice,
    Memfd,
    Other,
    /// The link could not be read (a path past PATH_MAX): not a
    /// classification of link text, and not in [`ALL_KINDS`] (counted only
    /// when present).
    Unreadable,
}

impl FdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FdKind::File => "file",
            FdKind::Dir => "dir",
            FdKind::Socket => "socket",
            FdKind::Pipe => "pipe",
            FdKind::AnonInode => "anon_inode",
            FdKind::CharDevice => "char_device",
            FdKind::BlockDevice => "block_device",
            FdKind::Memfd => "memfd",
            FdKind::Other => "other",
            FdKind::Unreadable => "unreadable",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            FdKind::File => "regular files",
            FdKind::Dir => "directories",
            FdKind::Socket => "sockets",
            FdKind::Pipe => "pipes",
            FdKind::AnonInode => "anon inodes (eventfd, epoll, timerfd, ...)",
            FdKind::CharDevice => "character devices",
            FdKind::BlockDevice => "block devices",
            FdKind::Memfd => "memfd",
            FdKind::Other => "other",
            FdKind::Unreadable => "unreadable (link text not readable)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdLink {
    pub kind: FdKind,
    /// Socket or pipe inode.
    pub inode: Option<u64>,
    /// For anon inodes: `eventpoll`, `eventfd`, `inotify`, ...
    pub anon_kind: Option<Vec<u8>>,
    /// A path-backed file whose link ends in ` (deleted)`.
    pub deleted: bool,
}

const DELETED: &[u8] = b" (deleted)";

fn bracket_inode(rest: &[u8]) -> Option<u64> {
    let inner = rest.strip_prefix(b"[")?.strip_suffix(b"]")?;
    super::parse_u64(inner)
}

/// Every kind, in display order.
pub const ALL_KINDS: [FdKind; 9] = [
    FdKind::File,
    FdKind::Dir,
    FdKind::Socket,
    FdKind::Pipe,
    FdKind::AnonInode,
    FdKind::CharDevice,
    FdKind::BlockDevice,
    FdKind::Memfd,
    FdKind::Other,
];

impl std::str::FromStr for FdKind {
    type Err = String;
    /// Accepts the JSON names and a few short forms (`char`, `block`, `anon`).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.to_ascii_lowercase().replace('-', "_");
        Ok(match s.as_str() {
            "file" | "reg" | "regular" => FdKind::File,
            "dir" | "directory" => FdKind::Dir,
            "socket" | "sock" => FdKind::Socket,
            "pipe" | "fifo" => FdKind::Pipe,
            "anon_inode" | "anon" => FdKind::AnonInode,
            "char_device" | "char" | "chr" => FdKind::CharDevice,
            "block_device" | "block" | "blk" => FdKind::BlockDevice,
            "memfd" => FdKind::Memfd,
            "other" => FdKind::Other,
            _ => {
                return Err(format!(
                    "unknown descriptor type '{s}' (one of: file, dir, socket, pipe, anon_inode, char_device, block_device, memfd, other)"
                ));
            }
        })
    }
}

/// Block device or character device, by name: block when SYS/class/block
/// lists the node's name (`blocks`), or the path is under /dev/mapper or
/// /dev/disk. Never stat()s the node.
fn device_kind(link: &[u8], blocks: &HashSet<Vec<u8>>) -> FdKind {
    let path = link.strip_suffix(DELETED).unwrap_or(link);
    let name = path.rsplit(|&c| c == b'/').next().unwrap_or(path);
    if blocks.contains(name) || path.starts_with(b"/dev/mapper/") || path.starts_with(b"/dev/disk/")
    {
        FdKind::BlockDevice
    } else {
        FdKind::CharDevice
    }
}

/// The inode of a `socket:[N]` link text.
pub fn socket_inode(link: &[u8]) -> Option<u64> {
    link.strip_prefix(b"socket:").and_then(bracket_inode)
}

/// The classification of a descriptor whose link could not be read.
pub fn unreadable() -> FdLink {
    FdLink {
        kind: FdKind::Unreadable,
        inode: None,
        anon_kind: None,
        deleted: false,
    }
}

/// Classify a link target. `is_dir` is the O_DIRECTORY bit from fdinfo
/// when the caller read it (None when not read); `blocks` the names of
/// block devices (see [`crate::reader::ProcFs::block_devices`]).
pub fn classify(link: &[u8], is_dir: Option<bool>, blocks: &HashSet<Vec<u8>>) -> FdLink {
    let mut out = FdLink {
        kind: FdKind::Other,
        inode: None,
        anon_kind: None,
        deleted: false,
    };
    if let Some(rest) = link.strip_prefix(b"socket:") {
        out.kind = FdKind::Socket;
        out.inode = bracket_inode(rest);
    } else if let Some(rest) = link.strip_prefix(b"pipe:") {
        out.kind = FdKind::Pipe;
        out.inode = bracket_inode(rest);
    } else if let Some(rest) = link.strip_prefix(b"anon_inode:") {
        out.kind = FdKind::AnonInode;
        let name = rest
            .strip_prefix(b"[")
            .and_then(|r| r.strip_suffix(b"]"))
            .unwrap_or(rest);
        out.anon_kind = Some(name.to_vec());
    } else if link.starts_with(b"/memfd:") {
        // memfd links always read "/memfd:NAME (deleted)": not a leaked file.
        out.kind = FdKind::Memfd;
    } else if link.starts_with(b"/dev/") && !link.starts_with(b"/dev/shm/") {
        out.kind = device_kind(link, blocks);
        out.deleted = link.ends_with(DELETED);
    } else if link.starts_with(b"/") {
        out.kind = if is_dir == Some(true) {
            FdKind::Dir
        } else {
            FdKind::File
        };
        out.deleted = link.ends_with(DELETED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_kernel_link_texts() {
        let none = HashSet::new();
        let classify = |l: &[u8], d: Option<bool>| super::classify(l, d, &none);
        let s = classify(b"socket:[123456]", None);
        assert_eq!((s.kind, s.inode), (FdKind::Socket, Some(123456)));
        let p = classify(b"pipe:[42]", None);
        assert_eq!((p.kind, p.inode), (FdKind::Pipe, Some(42)));
        let e = classify(b"anon_inode:[eventpoll]", None);
        assert_eq!(e.kind, FdKind::AnonInode);
        assert_eq!(e.anon_kind.as_deref(), Some(&b"eventpoll"[..]));
        assert_eq!(
            classify(b"anon_inode:inotify", None).anon_kind.as_deref(),
            Some(&b"inotify"[..])
        );
        assert_eq!(classify(b"/dev/null", None).kind, FdKind::CharDevice);
        assert_eq!(classify(b"/dev/pts/0", None).kind, FdKind::CharDevice);
        let f = classify(b"/var/log/app.log", Some(false));
        assert_eq!((f.kind, f.deleted), (FdKind::File, false));
        assert_eq!(classify(b"/srv", Some(true)).kind, FdKind::Dir);
        let d = classify(b"/tmp/x (deleted)", Some(false));
        assert_eq!((d.kind, d.deleted), (FdKind::File, true));
        let shm = classify(b"/dev/shm/seg (deleted)", None);
        assert_eq!((shm.kind, shm.deleted), (FdKind::File, true));
        let m = classify(b"/memfd:jit (deleted)", None);
        assert_eq!((m.kind, m.deleted), (FdKind::Memfd, false));
        assert_eq!(classify(b"net:[4026531840]", None).kind, FdKind::Other);
        assert_eq!(classify(b"", None).kind, FdKind::Other);
        assert_eq!(classify(b"socket:[", None).inode, None);
    }

    #[test]
    fn block_devices_by_name() {
        let blocks: HashSet<Vec<u8>> = [b"vda".to_vec(), b"dm-0".to_vec()].into();
        assert_eq!(
            super::classify(b"/dev/vda", None, &blocks).kind,
            FdKind::BlockDevice
        );
        assert_eq!(
            super::classify(b"/dev/dm-0", None, &blocks).kind,
            FdKind::BlockDevice
        );
        assert_eq!(
            super::classify(b"/dev/mapper/vg-root", None, &blocks).kind,
            FdKind::BlockDevice
        );
        assert_eq!(
            super::classify(b"/dev/vdb", None, &blocks).kind,
            FdKind::CharDevice
        );
        assert_eq!(
            super::classify(b"/dev/null", None, &blocks).kind,
            FdKind::CharDevice
        );
    }

    #[test]
    fn kind_names_parse() {
        for k in ALL_KINDS {
            assert_eq!(k.as_str().parse::<FdKind>(), Ok(k));
        }
        assert_eq!("char".parse::<FdKind>(), Ok(FdKind::CharDevice));
        assert!("nonsense".parse::<FdKind>().is_err());
    }
}
