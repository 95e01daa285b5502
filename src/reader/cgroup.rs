//! The memory cgroup of a process, for cgroup v1 (memory controller
//! mounted at SYS/fs/cgroup/memory) and v2 (unified at SYS/fs/cgroup).
//! The effective limit is the tightest among the cgroup and its ancestors:
//! a container without a limit of its own still dies at its pod's limit.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ProcFs;
use crate::error::ReadError;
use crate::parse::{self, cgroup::CgroupLine};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CgroupVersion {
    #[serde(rename = "v1")]
    V1,
    #[serde(rename = "v2")]
    V2,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMemory {
    pub version: CgroupVersion,
    /// Path inside the hierarchy, as /proc/PID/cgroup gives it.
    pub path: Vec<u8>,
    /// Tightest limit on the path (None: unlimited everywhere).
    pub limit: Option<u64>,
    /// The cgroup path where that limit is set.
    pub limit_path: Option<Vec<u8>>,
    pub usage: Option<u64>,
    pub oom_kills: Option<u64>,
}

/// v1 reports "no limit" as a huge page-aligned number (PAGE_COUNTER_MAX).
const V1_UNLIMITED: u64 = 1 << 62;

/// `base` joined with the cgroup path, which never leaves `base` (see
/// [`parse::cgroup::normalize`]).
pub(super) fn join(base: &Path, cg: &[u8]) -> PathBuf {
    let cg = parse::cgroup::normalize(cg);
    let rel = cg.strip_prefix(b"/").unwrap_or(&cg);
    if rel.is_empty() {
        base.to_path_buf()
    } else {
        base.join(std::ffi::OsStr::from_bytes(rel))
    }
}

/// The path and each of its ancestors up to the root, innermost first.
fn ancestors(cg: &[u8]) -> Vec<&[u8]> {
    let mut out = vec![cg];
    let mut cur = cg;
    while let Some(i) = cur.iter().rposition(|&c| c == b'/') {
        cur = if i == 0 { b"/" } else { &cur[..i] };
        if out.last() == Some(&cur) {
            break;
        }
        out.push(cur);
    }
    out
}

/// The tightest limit on the path and where it is set, given the limit
/// (None: unlimited) at each level.
fn tightest(
    cg: &[u8],
    mut limit_at: impl FnMut(&[u8]) -> Result<Option<u64>, ReadError>,
) -> Result<(Option<u64>, Option<Vec<u8>>), ReadError> {
    let mut best: Option<(u64, &[u8])> = None;
    for a in ancestors(cg) {
        if let Some(l) = limit_at(a)? {
            if best.is_none_or(|(cur, _)| l < cur) {
                best = Some((l, a));
            }
        }
    }
    Ok((best.map(|b| b.0), best.map(|b| b.1.to_vec())))
}

impl ProcFs {
    /// The memory cgroup for a process's /proc/PID/cgroup lines.
    pub fn memory_cgroup(&self, lines: &[CgroupLine]) -> Result<CgroupMemory, ReadError> {
        let root = self.sys_root().join("fs/cgroup");
        let v1_root = root.join("memory");
        if let Some(path) = parse::cgroup::v1_memory_path(lines) {
            if v1_root.is_dir() {
                return self.memory_v1(&v1_root, &parse::cgroup::normalize(path));
            }
        }
        if let Some(path) = parse::cgroup::v2_path(lines) {
            if root.join("cgroup.controllers").exists() {
                return self.memory_v2(&root, &parse::cgroup::normalize(path));
            }
        }
        Err(ReadError::NotSupported {
            path: root,
            detail: "no memory cgroup found (controller not mounted, or /sys not visible: try --sys-root)"
                .into(),
        })
    }

    /// The tightest pids limit on the process's pids cgroup path (v1 pids
    /// controller or v2) and the `pids.current` file of the cgroup where it
    /// is set (every task under it counts against it). None when unlimited
    /// or not found.
    pub fn pids_limit(&self, lines: &[CgroupLine]) -> Option<(u64, PathBuf)> {
        let root = self.sys_root().join("fs/cgroup");
        let (base, cg) = match lines
            .iter()
            .find(|l| l.controllers.iter().any(|c| c == "pids"))
        {
            Some(l) if root.join("pids").is_dir() => {
                (root.join("pids"), parse::cgroup::normalize(&l.path))
            }
            _ => (
                root.clone(),
                parse::cgroup::normalize(parse::cgroup::v2_path(lines)?),
            ),
        };
        let (limit, at) = tightest(&cg, |a| {
            let f = join(&base, a).join("pids.max");
            Ok(self
                .read_sys_file(&f)
                .ok()
                .and_then(|b| parse::parse_max_or_u64(&b).ok())
                .flatten())
        })
        .ok()?;
        Some((limit?, join(&base, &at?).join("pids.current")))
    }

    /// A number file read now (pids.current).
    pub fn read_number(&self, path: &Path) -> Option<u64> {
        self.read_sys_file(path)
            .ok()
            .and_then(|b| parse::parse_single_u64(&b).ok())
    }

    /// A memory cgroup's usage now (v1 memory.usage_in_bytes, v2
    /// memory.current).
    pub fn memory_usage_now(&self, m: &CgroupMemory) -> Option<u64> {
        let root = self.sys_root().join("fs/cgroup");
        let (dir, file) = match m.version {
            CgroupVersion::V1 => (join(&root.join("memory"), &m.path), "memory.usage_in_bytes"),
            CgroupVersion::V2 => (join(&root, &m.path), "memory.current"),
        };
        self.read_sys_file(&dir.join(file))
            .ok()
            .and_then(|b| parse::parse_single_u64(&b).ok())
    }

    /// The OOM-kill count of a memory cgroup, read now.
    pub fn oom_kill_count(&self, m: &CgroupMemory) -> Option<u64> {
        let root = self.sys_root().join("fs/cgroup");
        let (dir, file) = match m.version {
            CgroupVersion::V1 => (join(&root.join("memory"), &m.path), "memory.oom_control"),
            CgroupVersion::V2 => (join(&root, &m.path), "memory.events"),
        };
        self.read_sys_file(&dir.join(file))
            .ok()
            .and_then(|b| parse::flat_keyed(&b, "oom_kill"))
    }

    /// The `oom_kill` count of memory.oom_control / memory.events: None
    /// when the file or the line is missing (kernels before 4.13); an
    /// `oom_kill` line whose value is not a number is a parse error, never
    /// "no OOM kills known".
    fn oom_kills_in(&self, file: &Path) -> Result<Option<u64>, ReadError> {
        let Ok(b) = self.read_sys_file(file) else {
            return Ok(None);
        };
        parse::flat_keyed_checked(&b, "oom_kill").map_err(|f| ReadError::parse(file, f.field))
    }

    fn cg_dir(&self, base: &Path, cg: &[u8]) -> Result<PathBuf, ReadError> {
        let dir = join(base, cg);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(ReadError::NotSupported {
                path: dir.clone(),
                detail: format!(
                    "cgroup directory {} not found (another cgroup namespace? mount the host's /sys and use --sys-root)",
                    dir.display()
                ),
            })
        }
    }

    fn memory_v1(&self, base: &Path, cg: &[u8]) -> Result<CgroupMemory, ReadError> {
        let dir = self.cg_dir(base, cg)?;
        let usage_path = dir.join("memory.usage_in_bytes");
        let usage = parse::parse_single_u64(&self.read_sys_file(&usage_path)?)
            .map_err(|_| ReadError::parse(&usage_path, "memory.usage_in_bytes"))?;
        // A limit file that cannot be read is no limit at that level; one
        // that is read but is not a number is a parse error (it may be the
        // tightest), never "no limit".
        let (limit, limit_path) = tightest(cg, |a| {
            let file = join(base, a).join("memory.limit_in_bytes");
            match self.read_sys_file(&file) {
                Ok(b) => parse::parse_single_u64(&b)
                    .map(|l| (l < V1_UNLIMITED).then_some(l))
                    .map_err(|_| ReadError::parse(&file, "memory.limit_in_bytes")),
                Err(_) => Ok(None),
            }
        })?;
        let oom_kills = self.oom_kills_in(&dir.join("memory.oom_control"))?;
        Ok(CgroupMemory {
            version: CgroupVersion::V1,
            path: cg.to_vec(),
            limit,
            limit_path,
            usage: Some(usage),
            oom_kills,
        })
    }

    fn memory_v2(&self, base: &Path, cg: &[u8]) -> Result<CgroupMemory, ReadError> {
        let dir = self.cg_dir(base, cg)?;
        let (limit, limit_path) = tightest(cg, |a| {
            let file = join(base, a).join("memory.max");
            // The root cgroup has no memory.max.
            match self.read_sys_file(&file) {
                Ok(b) => {
                    parse::parse_max_or_u64(&b).map_err(|_| ReadError::parse(&file, "memory.max"))
                }
                Err(_) => Ok(None),
            }
        })?;
        let current = dir.join("memory.current");
        let usage = match self.read_sys_file(&current) {
            Ok(b) => Some(
                parse::parse_single_u64(&b)
                    .map_err(|_| ReadError::parse(&current, "memory.current"))?,
            ),
            Err(_) if cg == b"/" => None,
            Err(e) => return Err(e),
        };
        let oom_kills = self.oom_kills_in(&dir.join("memory.events"))?;
        Ok(CgroupMemory {
            version: CgroupVersion::V2,
            path: cg.to_vec(),
            limit,
            limit_path,
            usage,
            oom_kills,
        })
    }
}

/// The state of a process's cgroups that the cgroup rules judge, one
/// `Result` per controller: a cgroup gone mid-read, or a file that cannot
/// be read, is an error with its reason, never a zero. `pids` and `cpu`
/// are None when the process has no such controller here (not mounted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupState {
    pub memory: Result<MemoryState, ReadError>,
    pub pids: Option<Result<PidsState, ReadError>>,
    pub cpu: Option<Result<CpuState, ReadError>>,
}

/// A memory cgroup's usage, inactive file pages, tightest limit and OOM
/// kills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryState {
    pub version: CgroupVersion,
    pub path: Vec<u8>,
    /// v2 memory.current, v1 memory.usage_in_bytes (None: the v2 root).
    pub usage: Option<u64>,
    /// memory.stat v2 `inactive_file`, v1 `total_inactive_file`.
    pub inactive_file: Option<u64>,
    pub limit: Option<u64>,
    pub limit_path: Option<Vec<u8>>,
    pub oom: parse::cgroupfs::OomCounts,
}

/// A pids cgroup: pids.current against pids.max of the same directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidsState {
    pub path: Vec<u8>,
    pub current: u64,
    /// None: `max` (unlimited) or no pids.max (the root).
    pub max: Option<u64>,
}

/// A cpu cgroup's throttling counters and quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuState {
    pub path: Vec<u8>,
    /// None: no throttling counters (v2 without the cpu controller).
    pub throttling: Option<parse::cgroupfs::Throttling>,
    /// None: no quota file (the root cgroup).
    pub quota: Option<parse::cgroupfs::Quota>,
}

/// One process of a cgroup, with what it is ranked by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMember {
    pub pid: i32,
    pub name: Vec<u8>,
    pub rss_bytes: u64,
    pub threads: u64,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
}

/// At most this many processes of one cgroup are read (cgroup.procs).
pub const MEMBERS_CAP: usize = 4096;

impl ProcFs {
    /// The memory, pids and cpu cgroups of a process's /proc/PID/cgroup
    /// lines (v1 controllers, or v2).
    pub fn cgroup_state(&self, lines: &[CgroupLine]) -> CgroupState {
        self.cgroup_state_with(lines, self.memory_cgroup(lines))
    }

    /// [`ProcFs::cgroup_state`] with the memory cgroup already found (by
    /// [`ProcFs::memory_cgroup`] on the same lines): it is not looked up
    /// and read again.
    pub fn cgroup_state_with(
        &self,
        lines: &[CgroupLine],
        memory: Result<CgroupMemory, ReadError>,
    ) -> CgroupState {
        CgroupState {
            memory: memory.and_then(|m| self.memory_state(m)),
            // The root cgroup has no pids files (no limit there).
            pids: match self.controller_dir(lines, "pids", &["pids"]) {
                Some(Ok((_, path))) if path == b"/" => None,
                d => d.map(|d| d.and_then(|(dir, path)| self.pids_state(&dir, path))),
            },
            cpu: self
                .controller_dir(lines, "cpu", &["cpu", "cpu,cpuacct"])
                .map(|d| d.and_then(|(dir, path)| self.cpu_state(&dir, path))),
        }
    }

    /// The directory of a controller's cgroup (v1 `mounts`, else v2) and
    /// its path; None when the controller is not mounted here.
    pub(super) fn controller_dir(
        &self,
        lines: &[CgroupLine],
        controller: &str,
        mounts: &[&str],
    ) -> Option<Result<(PathBuf, Vec<u8>), ReadError>> {
        let root = self.sys_root().join("fs/cgroup");
        let v1 = lines
            .iter()
            .find(|l| l.controllers.iter().any(|c| c == controller));
        if let Some(l) = v1 {
            if let Some(base) = mounts.iter().map(|m| root.join(m)).find(|b| b.is_dir()) {
                let cg = parse::cgroup::normalize(&l.path);
                return Some(self.cg_dir(&base, &cg).map(|d| (d, cg)));
            }
        }
        let cg = parse::cgroup::normalize(parse::cgroup::v2_path(lines)?);
        if !root.join("cgroup.controllers").exists() {
            return None;
        }
        let dir = match self.cg_dir(&root, &cg) {
            Ok(d) => d,
            Err(e) => return Some(Err(e)),
        };
        // v2: the controller applies when the cgroup's own
        // cgroup.controllers lists it.
        let listed = self
            .read_sys_file(&dir.join("cgroup.controllers"))
            .ok()?
            .split(|c| c.is_ascii_whitespace())
            .any(|c| c == controller.as_bytes());
        listed.then_some(Ok((dir, cg)))
    }

    /// A file of a cgroup directory; a directory that vanished meanwhile
    /// says so.
    fn cg_file(&self, dir: &Path, file: &str) -> Result<Vec<u8>, ReadError> {
        let path = dir.join(file);
        self.read_sys_file(&path).map_err(|e| match e {
            ReadError::NotSupported { .. } if !dir.is_dir() => ReadError::NotSupported {
                detail: format!("cgroup {} disappeared while being read", dir.display()),
                path,
            },
            e => e,
        })
    }

    fn memory_state(&self, m: CgroupMemory) -> Result<MemoryState, ReadError> {
        let root = self.sys_root().join("fs/cgroup");
        let v1 = m.version == CgroupVersion::V1;
        let dir = if v1 {
            join(&root.join("memory"), &m.path)
        } else {
            join(&root, &m.path)
        };
        let stat = match self.cg_file(&dir, "memory.stat") {
            Ok(b) => Some(b),
            // The v2 root has no memory.stat.
            Err(ReadError::NotSupported { .. }) if m.path == b"/" && !v1 => None,
            Err(e) => return Err(e),
        };
        let inactive_file = match stat {
            Some(b) => parse::cgroupfs::inactive_file(&b, v1)
                .map_err(|f| ReadError::parse(&dir.join("memory.stat"), f.field))?,
            None => None,
        };
        let events_file = if v1 {
            "memory.oom_control"
        } else {
            "memory.events"
        };
        let oom = match self.cg_file(&dir, events_file) {
            Ok(b) => parse::cgroupfs::oom_counts(&b)
                .map_err(|f| ReadError::parse(&dir.join(events_file), f.field))?,
            // Missing (older kernels, the root): counts unknown.
            Err(ReadError::NotSupported { .. }) if dir.is_dir() => {
                parse::cgroupfs::OomCounts::default()
            }
            Err(e) => return Err(e),
        };
        Ok(MemoryState {
            version: m.version,
            path: m.path,
            usage: m.usage,
            inactive_file,
            limit: m.limit,
            limit_path: m.limit_path,
            oom,
        })
    }

    fn pids_state(&self, dir: &Path, path: Vec<u8>) -> Result<PidsState, ReadError> {
        let dir = dir.to_path_buf();
        let b = self.cg_file(&dir, "pids.current")?;
        let current = parse::parse_single_u64(&b)
            .map_err(|_| ReadError::parse(&dir.join("pids.current"), "pids.current"))?;
        let max = match self.cg_file(&dir, "pids.max") {
            Ok(b) => parse::parse_max_or_u64(&b)
                .map_err(|_| ReadError::parse(&dir.join("pids.max"), "pids.max"))?,
            Err(ReadError::NotSupported { .. }) if path == b"/" => None,
            Err(e) => return Err(e),
        };
        Ok(PidsState { path, current, max })
    }

    fn cpu_state(&self, dir: &Path, path: Vec<u8>) -> Result<CpuState, ReadError> {
        let dir = dir.to_path_buf();
        // v2 has cpu.max instead.
        let v1 = dir.join("cpu.cfs_period_us").exists();
        let b = self.cg_file(&dir, "cpu.stat")?;
        let throttling = parse::cgroupfs::throttling(&b)
            .map_err(|f| ReadError::parse(&dir.join("cpu.stat"), f.field))?;
        let quota = if v1 {
            let q = self.cg_file(&dir, "cpu.cfs_quota_us")?;
            let p = self.cg_file(&dir, "cpu.cfs_period_us")?;
            Some(
                parse::cgroupfs::cfs_quota(&q, &p)
                    .map_err(|f| ReadError::parse(&dir.join(f.field), f.field))?,
            )
        } else {
            match self.cg_file(&dir, "cpu.max") {
                Ok(b) => Some(
                    parse::cgroupfs::cpu_max(&b)
                        .map_err(|f| ReadError::parse(&dir.join("cpu.max"), f.field))?,
                ),
                Err(ReadError::NotSupported { .. }) if dir.is_dir() => None,
                Err(e) => return Err(e),
            }
        };
        Ok(CpuState {
            path,
            throttling,
            quota,
        })
    }

    /// The processes of the cgroup directory of `controller` at `path`
    /// (cgroup.procs, at most [`MEMBERS_CAP`]), each read once; the ones
    /// gone meanwhile are left out.
    pub fn cgroup_members(&self, lines: &[CgroupLine], controller: &str) -> Vec<CgroupMember> {
        let mounts: &[&str] = match controller {
            "cpu" => &["cpu", "cpu,cpuacct"],
            _ => &["pids"],
        };
        let dir = if controller == "memory" {
            match self.memory_cgroup(lines) {
                Ok(m) if m.version == CgroupVersion::V1 => {
                    join(&self.sys_root().join("fs/cgroup/memory"), &m.path)
                }
                Ok(m) => join(&self.sys_root().join("fs/cgroup"), &m.path),
                Err(_) => return Vec::new(),
            }
        } else {
            match self.controller_dir(lines, controller, mounts) {
                Some(Ok((dir, _))) => dir,
                _ => return Vec::new(),
            }
        };
        let Ok(b) = self.cg_file(&dir, "cgroup.procs") else {
            return Vec::new();
        };
        let page = super::page_size();
        b.split(|&c| c == b'\n')
            .filter_map(|l| parse::parse_u64(parse::trim(l)))
            .filter_map(|p| i32::try_from(p).ok())
            .take(MEMBERS_CAP)
            .filter_map(|pid| {
                let st = super::Process::open(self, pid).ok()?.stat().ok()?;
                Some(CgroupMember {
                    pid,
                    name: st.comm,
                    rss_bytes: st.rss_pages.saturating_mul(page),
                    threads: st.num_threads,
                    cpu_ticks: st.utime.saturating_add(st.stime),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_innermost_first() {
        assert_eq!(
            ancestors(b"/a/b/c"),
            vec![&b"/a/b/c"[..], b"/a/b", b"/a", b"/"]
        );
        assert_eq!(ancestors(b"/"), vec![&b"/"[..]]);
        assert_eq!(ancestors(b"/a"), vec![&b"/a"[..], b"/"]);
    }

    fn tree(v: &str) -> ProcFs {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cgroups")
            .join(v);
        ProcFs::new(root.join("proc"), root.join("sys"))
    }

    #[test]
    fn cgroup_state_on_the_v1_and_v2_trees() {
        for (v, lines, group) in [
            (
                "v1",
                &b"8:pids:/app/web\n4:memory:/app/web\n1:cpu,cpuacct:/app/web\n0::/\n"[..],
                None,
            ),
            ("v2", &b"0::/app.slice/web.scope\n"[..], Some(1)),
        ] {
            let fs = tree(v);
            let lines = parse::cgroup::parse(lines);
            let st = fs.cgroup_state(&lines);
            let m = st.memory.expect("memory");
            assert_eq!(m.usage, Some(104 << 20), "{v}");
            assert_eq!(m.inactive_file, Some(10 << 20), "{v}");
            assert_eq!(m.limit, Some(100 << 20), "{v}");
            assert_eq!(m.oom.oom_kill, Some(3), "{v}");
            assert_eq!(m.oom.oom_group_kill, group, "{v}");
            let p = st.pids.expect("pids controller").expect("pids");
            assert_eq!((p.current, p.max), (275, Some(300)), "{v}");
            let c = st.cpu.expect("cpu controller").expect("cpu");
            let t = c.throttling.expect("throttling");
            assert_eq!(
                (t.nr_periods, t.nr_throttled, t.throttled_ns),
                (1000, 420, 3_100_000_000),
                "{v}"
            );
            let q = c.quota.expect("quota");
            assert_eq!((q.quota_us, q.period_us), (Some(50_000), 100_000), "{v}");
            let members = fs.cgroup_members(&lines, "cpu");
            let got: Vec<(i32, u64, u64)> = members
                .iter()
                .map(|m| (m.pid, m.threads, m.cpu_ticks))
                .collect();
            assert_eq!(got, vec![(4242, 4, 10), (4243, 1, 30)], "{v}");
        }
    }

    #[test]
    fn no_controller_is_none_and_a_vanished_cgroup_says_so() {
        let fs = tree("v1");
        // The v1 tree has no blkio hierarchy, and pids at the root has no
        // files: neither is an error.
        let lines = parse::cgroup::parse(b"8:pids:/\n4:memory:/app/web\n0::/\n");
        let st = fs.cgroup_state(&lines);
        assert!(st.pids.is_none());
        assert!(st.cpu.is_none());
        let gone = fs.sys_root().join("fs/cgroup/memory/app/gone");
        match fs.cg_file(&gone, "memory.stat") {
            Err(ReadError::NotSupported { detail, .. }) => {
                assert!(detail.contains("disappeared while being read"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }
}
