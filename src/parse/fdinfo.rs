//! `/proc/PID/fdinfo/N`: `pos`, `flags` (octal), `mnt_id`, then
//! type-specific lines. Open flags are decoded with this architecture's
//! O_* values.

use rustix::fs::OFlags;

use super::{parse_u64, trim};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FdInfo {
    pub pos: Option<u64>,
    pub flags: Option<u64>,
    pub mnt_id: Option<u64>,
    /// Bits of [`FDINFO_KEYS`] whose line is present but not a valid number
    /// (the value is unknown, not absent).
    pub invalid: u8,
}

/// The fdinfo keys proctor reads, in the order of `FdInfo::invalid`'s bits.
pub const FDINFO_KEYS: [&str; 3] = ["pos", "flags", "mnt_id"];

impl FdInfo {
    pub fn invalid_keys(&self) -> Vec<&'static str> {
        FDINFO_KEYS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.invalid & (1 << i) != 0)
            .map(|(_, k)| *k)
            .collect()
    }
}

pub fn parse(b: &[u8]) -> FdInfo {
    let mut out = FdInfo::default();
    for line in b.split(|&c| c == b'\n') {
        let (bit, v) = if let Some(v) = line.strip_prefix(b"pos:") {
            out.pos = parse_u64(trim(v));
            (0, out.pos)
        } else if let Some(v) = line.strip_prefix(b"flags:") {
            // Octal; from_str_radix alone would accept a sign.
            let t = trim(v);
            out.flags = std::str::from_utf8(t)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|c| (b'0'..=b'7').contains(&c)))
                .and_then(|s| u64::from_str_radix(s, 8).ok());
            (1, out.flags)
        } else if let Some(v) = line.strip_prefix(b"mnt_id:") {
            out.mnt_id = parse_u64(trim(v));
            (2, out.mnt_id)
        } else {
            continue;
        };
        if v.is_none() {
            out.invalid |= 1 << bit;
        } else {
            out.invalid &= !(1 << bit);
        }
    }
    out
}

fn bit(f: OFlags) -> u64 {
    u64::from(f.bits())
}

/// O_DIRECTORY for this architecture.
pub fn is_dir_flags(flags: u64) -> bool {
    flags & bit(OFlags::DIRECTORY) != 0
}

/// Access mode: `r`, `w` or `rw` (O_PATH descriptors: `path`).
pub fn mode(flags: u64) -> &'static str {
    if flags & bit(OFlags::PATH) != 0 {
        return "path";
    }
    match flags & 3 {
        0 => "r",
        1 => "w",
        _ => "rw",
    }
}

/// Names of the notable open flags set, e.g. `["append", "nonblock", "cloexec"]`.
pub fn flag_names(flags: u64) -> Vec<&'static str> {
    let mut v = Vec::new();
    let has = |f: OFlags| flags & bit(f) == bit(f);
    if has(OFlags::APPEND) {
        v.push("append");
    }
    if has(OFlags::NONBLOCK) {
        v.push("nonblock");
    }
    if has(OFlags::SYNC) {
        v.push("sync");
    } else if has(OFlags::DSYNC) {
        v.push("dsync");
    }
    if has(OFlags::DIRECT) {
        v.push("direct");
    }
    if has(OFlags::NOATIME) {
        v.push("noatime");
    }
    if has(OFlags::TMPFILE) {
        v.push("tmpfile");
    } else if has(OFlags::DIRECTORY) {
        v.push("directory");
    }
    if has(OFlags::CLOEXEC) {
        v.push("cloexec");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        // Captured: an opendir() descriptor and an O_WRONLY|O_APPEND log.
        let d = parse(b"pos:\t0\nflags:\t02304000\nmnt_id:\t25\nino:\t12\n");
        assert_eq!(
            d,
            FdInfo {
                pos: Some(0),
                flags: Some(0o2304000),
                mnt_id: Some(25),
                invalid: 0,
            }
        );
        assert!(is_dir_flags(0o2304000));
        assert_eq!(mode(0o2304000), "r");
        assert_eq!(
            flag_names(0o2304000),
            vec!["nonblock", "directory", "cloexec"]
        );
        let f = parse(b"pos:\t4096\nflags:\t0102001\nmnt_id:\t30\n");
        assert_eq!(f.pos, Some(4096));
        assert_eq!(mode(0o102001), "w");
        assert_eq!(flag_names(0o102001), vec!["append"]);
        assert!(!is_dir_flags(0o102001));
        assert_eq!(mode(0o2), "rw");
        assert_eq!(parse(b"garbage"), FdInfo::default());
        assert_eq!(parse(b"flags:\t9\n").flags, None);
        // Present but not a number: unknown, and noted.
        let bad = parse(b"pos:\t-5\nflags:\t+7\nmnt_id:\t30\n");
        assert_eq!((bad.pos, bad.flags, bad.mnt_id), (None, None, Some(30)));
        assert_eq!(bad.invalid_keys(), ["pos", "flags"]);
    }
}
