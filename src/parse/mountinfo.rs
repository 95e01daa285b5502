//! `/proc/PID/mountinfo`: only what proctor needs, the options of the procfs
//! mounted at the proc root (`hidepid=`, `gid=`, `subset=pid`), which decide
//! how much of the process table an unprivileged user can see. Hand-written
//! because procfs-core's `MountInfos` keeps every mount's strings (a host can
//! have thousands of mounts) when one line is wanted, and the mount point is
//! compared as escaped bytes, with no UTF-8 requirement.

use super::parse_u64;

/// The `hidepid=` mount option of a procfs (proc(5)). Older kernels print
/// it as a number (0, 1, 2, 4), Linux >= 5.8 as a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HidePid {
    /// Every /proc/PID is visible and readable as its modes allow.
    Off,
    /// hidepid=1: other users' /proc/PID directories are listed but
    /// cannot be read.
    NoAccess,
    /// hidepid=2: other users' processes are not even listed.
    Invisible,
    /// hidepid=4: only processes one may ptrace are visible.
    Ptraceable,
}

impl HidePid {
    /// As the kernel prints it on Linux >= 5.8.
    pub fn as_str(self) -> &'static str {
        match self {
            HidePid::Off => "off",
            HidePid::NoAccess => "noaccess",
            HidePid::Invisible => "invisible",
            HidePid::Ptraceable => "ptraceable",
        }
    }

    /// Whether other users' processes are missing from the listing (as
    /// opposed to listed and unreadable).
    pub fn hides_listing(self) -> bool {
        matches!(self, HidePid::Invisible | HidePid::Ptraceable)
    }
}

/// The options of one procfs mount that limit what is visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ProcMount {
    pub hidepid: HidePid,
    /// `gid=`: members of this group see every process.
    pub gid: Option<u32>,
    /// `subset=pid`: only the process directories, no host-wide files
    /// (meminfo, loadavg, sys/...).
    pub subset_pid: bool,
}

/// Undo the kernel's octal escapes in a mount point (`\040` for a space,
/// `\011`, `\012`, `\134`). Malformed escapes are kept as they are.
pub fn unescape(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() {
            let d = &b[i + 1..i + 4];
            if d.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = d.iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
                if let Ok(byte) = u8::try_from(v) {
                    out.push(byte);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Parse the super options of a procfs line (`rw,hidepid=invisible,gid=4`).
fn options(opts: &[u8]) -> ProcMount {
    let mut m = ProcMount {
        hidepid: HidePid::Off,
        gid: None,
        subset_pid: false,
    };
    for o in opts.split(|&c| c == b',') {
        if let Some(v) = o.strip_prefix(b"hidepid=") {
            m.hidepid = match v {
                b"0" | b"off" => HidePid::Off,
                b"1" | b"noaccess" => HidePid::NoAccess,
                b"2" | b"invisible" => HidePid::Invisible,
                b"4" | b"ptraceable" => HidePid::Ptraceable,
                // An unknown value: assume the strictest listing rule, so
                // that missing processes are explained rather than ignored.
                _ => HidePid::Invisible,
            };
        } else if let Some(v) = o.strip_prefix(b"gid=") {
            m.gid = parse_u64(v).and_then(|g| u32::try_from(g).ok());
        } else if o == b"subset=pid" {
            m.subset_pid = true;
        }
    }
    m
}

/// The procfs mounted at `mount_point` (an absolute path, as bytes), from
/// the text of a mountinfo file. When several mounts are stacked on the
/// same point the last one listed is the one on top, the one visible.
/// None when no procfs is mounted there (a fixture tree, a bind mount of a
/// plain directory) or the lines are malformed.
pub fn proc_mount_at(mountinfo: &[u8], mount_point: &[u8]) -> Option<ProcMount> {
    let mut found = None;
    for line in mountinfo.split(|&c| c == b'\n') {
        // "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS"
        let fields: Vec<&[u8]> = line
            .split(|&c| c == b' ')
            .filter(|f| !f.is_empty())
            .collect();
        let Some(dash) = fields.iter().position(|f| *f == b"-") else {
            continue;
        };
        if dash < 6 {
            continue;
        }
        let (Some(fstype), Some(point)) = (fields.get(dash + 1), fields.get(4)) else {
            continue;
        };
        if *fstype != b"proc" {
            // Anything else mounted later on the same point hides the procfs.
            if unescape(point) == mount_point {
                found = None;
            }
            continue;
        }
        if unescape(point) != mount_point {
            continue;
        }
        let opts = fields.get(dash + 3).copied().unwrap_or(b"");
        found = Some(options(opts));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on Linux 6.18: the host's /proc, then two procfs mounted in
    // a private mount namespace (`mount -t proc -o hidepid=2 proc DIR`).
    const HOST: &[u8] = b"22 27 0:21 / /proc rw,relatime - proc proc rw\n\
27 1 0:25 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n";
    const STACKED: &[u8] = b"48 46 0:21 / /proc rw,relatime - proc proc rw\n\
66 46 0:40 / /tmp/hp rw,relatime - proc proc rw,hidepid=invisible\n\
67 48 0:41 / /proc rw,relatime - proc proc rw,hidepid=noaccess,subset=pid\n";

    #[test]
    fn host_proc_has_no_hidepid() {
        assert_eq!(
            proc_mount_at(HOST, b"/proc"),
            Some(ProcMount {
                hidepid: HidePid::Off,
                gid: None,
                subset_pid: false
            })
        );
        assert_eq!(proc_mount_at(HOST, b"/"), None);
        assert_eq!(proc_mount_at(HOST, b"/host/proc"), None);
    }

    #[test]
    fn the_mount_on_top_wins_and_options_are_read() {
        let m = proc_mount_at(STACKED, b"/proc").unwrap();
        assert_eq!(m.hidepid, HidePid::NoAccess);
        assert!(m.subset_pid);
        let t = proc_mount_at(STACKED, b"/tmp/hp").unwrap();
        assert_eq!(t.hidepid, HidePid::Invisible);
        assert!(t.hidepid.hides_listing());
        assert!(!t.subset_pid);
    }

    #[test]
    fn numeric_options_of_older_kernels_and_gid() {
        let l = b"30 1 0:5 / /proc rw - proc proc rw,hidepid=2,gid=27\n";
        let m = proc_mount_at(l, b"/proc").unwrap();
        assert_eq!(m.hidepid, HidePid::Invisible);
        assert_eq!(m.gid, Some(27));
        let l = b"30 1 0:5 / /proc rw - proc proc rw,hidepid=1\n";
        assert_eq!(
            proc_mount_at(l, b"/proc").unwrap().hidepid,
            HidePid::NoAccess
        );
        let l = b"30 1 0:5 / /proc rw - proc proc rw,hidepid=4\n";
        assert_eq!(
            proc_mount_at(l, b"/proc").unwrap().hidepid,
            HidePid::Ptraceable
        );
    }

    #[test]
    fn optional_fields_and_escaped_mount_points() {
        let l =
            b"31 1 0:5 / /host\\040proc rw shared:7 master:2 - proc proc rw,hidepid=invisible\n";
        let m = proc_mount_at(l, b"/host proc").unwrap();
        assert_eq!(m.hidepid, HidePid::Invisible);
        assert_eq!(unescape(b"a\\134b\\01"), b"a\\b\\01");
    }

    #[test]
    fn something_else_mounted_over_the_procfs_hides_it() {
        let l = b"30 1 0:5 / /x rw - proc proc rw,hidepid=2\n31 1 0:6 / /x rw - tmpfs tmpfs rw\n";
        assert_eq!(proc_mount_at(l, b"/x"), None);
    }

    #[test]
    fn garbage_never_panics() {
        for junk in [
            &b""[..],
            b"-",
            b"1 2 3 4 5 - proc",
            b"1 2 3 4 /proc 6 -",
            b"\\\\\\ - - - - - - proc",
            b"1 2 3 4 /proc\\ 6 - proc proc",
        ] {
            let _ = proc_mount_at(junk, b"/proc");
        }
        for cut in 0..STACKED.len() {
            let _ = proc_mount_at(&STACKED[..cut], b"/proc");
        }
    }
}
