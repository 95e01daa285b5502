//! A cgroup as the subject of `watch --cgroup` (and `watch pod:NAME`,
//! `watch container:ID`): where it is (v1: its memory and pids
//! directories; v2: its one directory), its limits ([`Ceilings`]), and
//! [`CgroupSampler`], which reads its sums at each sample: the working set
//! (usage - inactive file), the tasks (pids.current) and the descriptors of
//! its processes (cgroup.procs, at most [`MEMBERS_SAMPLED`] of them; those
//! gone meanwhile are skipped). Raw data only: judging is `analysis`.

use std::path::{Path, PathBuf};

use super::{Ceilings, CgroupCeiling, CgroupVersion, ProcFs, Process, Sample};
use crate::error::ReadError;
use crate::parse::{self, cgroup::CgroupLine};

/// At most this many processes of the cgroup have their descriptors
/// counted at each sample; past it the sum is unknown (None), never a
/// partial sum taken for the whole.
pub const MEMBERS_SAMPLED: usize = 1024;

/// A watched cgroup: its path in the hierarchy (as /proc/PID/cgroup gives
/// it, normalized) and the directories where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupTarget {
    pub version: CgroupVersion,
    /// e.g. `/kubepods/burstable/pod.../ID`.
    pub path: Vec<u8>,
    /// v1: the memory directory (None when the memory hierarchy has no
    /// such cgroup); v2: the cgroup's directory.
    pub memory_dir: Option<PathBuf>,
    /// v1: the pids directory; v2: the cgroup's directory.
    pub pids_dir: Option<PathBuf>,
}

impl CgroupTarget {
    /// The lines /proc/PID/cgroup would have for a process of this cgroup
    /// (so the per-process cgroup readers serve it unchanged).
    pub fn lines(&self) -> Vec<CgroupLine> {
        let line = |hierarchy: u32, c: &[&str]| CgroupLine {
            hierarchy,
            controllers: c.iter().map(|s| (*s).to_string()).collect(),
            path: self.path.clone(),
        };
        match self.version {
            CgroupVersion::V1 => vec![line(2, &["memory"]), line(1, &["pids"]), line(0, &[])],
            CgroupVersion::V2 => vec![line(0, &[])],
        }
    }

    /// The directory whose cgroup.procs lists the processes.
    fn procs_dir(&self) -> Option<&Path> {
        self.memory_dir.as_deref().or(self.pids_dir.as_deref())
    }

    /// Whether the cgroup is still there (in any of its hierarchies).
    pub fn exists(&self) -> bool {
        [&self.memory_dir, &self.pids_dir]
            .into_iter()
            .flatten()
            .any(|d| d.is_dir())
    }
}

impl ProcFs {
    /// The cgroup named by `arg`: a path as /proc/PID/cgroup gives it
    /// (`/kubepods/...`), or a directory under SYS/fs/cgroup (v1: under a
    /// controller's mount, `SYS/fs/cgroup/memory/x`). None when no such
    /// cgroup exists here (neither its memory nor its pids directory).
    pub fn cgroup_target(&self, arg: &Path) -> Option<CgroupTarget> {
        let root = self.sys_root().join("fs/cgroup");
        let v2 = root.join("cgroup.controllers").exists() && !root.join("memory").is_dir();
        let raw = std::os::unix::ffi::OsStrExt::as_bytes(arg.as_os_str());
        let rel: Vec<u8> = match arg.strip_prefix(&root) {
            Ok(r) if v2 => std::os::unix::ffi::OsStrExt::as_bytes(r.as_os_str()).to_vec(),
            // v1: the first component is the controller's mount.
            Ok(r) => {
                let mut c = r.components();
                c.next()?;
                std::os::unix::ffi::OsStrExt::as_bytes(c.as_path().as_os_str()).to_vec()
            }
            Err(_) if raw.starts_with(b"/") => raw.to_vec(),
            Err(_) => return None,
        };
        let path = parse::cgroup::normalize(&rel);
        let dir = |base: PathBuf| {
            let d = super::cgroup::join(&base, &path);
            d.is_dir().then_some(d)
        };
        let t = if v2 {
            let d = dir(root.clone());
            CgroupTarget {
                version: CgroupVersion::V2,
                path,
                memory_dir: d.clone(),
                pids_dir: d,
            }
        } else {
            CgroupTarget {
                version: CgroupVersion::V1,
                memory_dir: dir(root.join("memory")),
                pids_dir: dir(root.join("pids")),
                path,
            }
        };
        t.exists().then_some(t)
    }

    /// A cgroup's own limits: the tightest memory limit and pids.max on its
    /// path, with the files where they are set, usages read now; MemTotal
    /// (for a working set without a memory limit).
    pub fn cgroup_ceilings(&self, t: &CgroupTarget) -> Ceilings {
        let lines = t.lines();
        let mut c = Ceilings {
            mem_total: self
                .read_proc_file("meminfo")
                .ok()
                .and_then(|b| parse::host::meminfo(&b).total),
            ..Ceilings::default()
        };
        if t.memory_dir.is_some() {
            if let Ok(m) = self.memory_cgroup(&lines) {
                c.oom_kills = m.oom_kills;
                c.memory = self.memory_ceiling(&m);
                c.memory_cgroup = Some(m);
            }
        }
        if t.pids_dir.is_some() {
            c.pids = self
                .pids_limit(&lines)
                .map(|(limit, current)| CgroupCeiling {
                    limit_file: current.with_file_name("pids.max"),
                    limit,
                    usage_file: current,
                    usage: None,
                });
        }
        self.refresh_usage(&mut c);
        c
    }
}

/// At most this many cgroup directories are visited looking for pods and
/// containers ([`ProcFs::kubepods_cgroups`]).
pub const WALK_CAP: usize = 16_384;

/// How deep under the hierarchy's root pods and containers are looked for
/// (`/kubepods.slice/kubepods-burstable.slice/...pod.slice/cri-....scope`
/// is 4; kind's `/kubelet.slice/kubelet-kubepods.slice/...` 5).
const WALK_DEPTH: usize = 6;

impl ProcFs {
    /// The cgroup paths under the kubelet's top cgroups (`/kubepods*`,
    /// `/kubelet*`) of the memory hierarchy (v1) or the unified one (v2),
    /// at most [`WALK_CAP`] directories, [`WALK_DEPTH`] deep; links are
    /// never followed. Which of them are pods and containers is
    /// `parse::workload`'s to say.
    pub fn kubepods_cgroups(&self) -> Vec<Vec<u8>> {
        use std::os::unix::ffi::OsStrExt;
        let root = self.sys_root().join("fs/cgroup");
        let base = if root.join("memory").is_dir() {
            root.join("memory")
        } else {
            root
        };
        let mut out: Vec<Vec<u8>> = Vec::new();
        let mut queue: std::collections::VecDeque<(PathBuf, Vec<u8>, usize)> =
            std::collections::VecDeque::new();
        queue.push_back((base, Vec::new(), 0));
        while let Some((dir, rel, depth)) = queue.pop_front() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                if out.len() >= WALK_CAP {
                    return out;
                }
                if !e.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                let name = e.file_name();
                let name = name.as_bytes();
                if depth == 0 && !(name.starts_with(b"kubepods") || name.starts_with(b"kubelet")) {
                    continue;
                }
                let mut path = rel.clone();
                path.push(b'/');
                path.extend_from_slice(name);
                if depth + 1 < WALK_DEPTH {
                    queue.push_back((e.path(), path.clone(), depth + 1));
                }
                out.push(path);
            }
        }
        out
    }
}

/// What to read of the cgroup at each sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct CgroupWanted {
    pub working_set: bool,
    pub tasks: bool,
    pub fds: bool,
}

/// Reads a cgroup's sums at each sample.
pub struct CgroupSampler {
    pub target: CgroupTarget,
    lines: Vec<CgroupLine>,
    wanted: CgroupWanted,
    /// Set when a member's descriptors could not be read (permission).
    pub denied: bool,
    /// Set when the cgroup had more than [`MEMBERS_SAMPLED`] processes.
    pub capped: bool,
}

impl CgroupSampler {
    pub fn new(target: CgroupTarget, wanted: CgroupWanted) -> CgroupSampler {
        CgroupSampler {
            lines: target.lines(),
            target,
            wanted,
            denied: false,
            capped: false,
        }
    }

    /// One sample; None when the cgroup was removed.
    pub fn sample(&mut self, fs: &ProcFs) -> Option<Sample> {
        if !self.target.exists() {
            return None;
        }
        let mut s = Sample {
            expensive_fresh: true,
            ..Sample::default()
        };
        if self.wanted.working_set || self.wanted.tasks {
            let st = fs.cgroup_state(&self.lines);
            if self.wanted.working_set && self.target.memory_dir.is_some() {
                s.working_set = st.memory.ok().and_then(|m| {
                    let usage = m.usage?;
                    Some(usage.saturating_sub(m.inactive_file?))
                });
            }
            if self.wanted.tasks && self.target.pids_dir.is_some() {
                s.tasks = st.pids.and_then(Result::ok).map(|p| p.current);
            }
        }
        if self.wanted.fds {
            s.fds = self.fds(fs);
        }
        if !self.target.exists() {
            return None;
        }
        Some(s)
    }

    /// The descriptors of the cgroup's processes, summed; None when
    /// cgroup.procs or a member's descriptors could not be read, or the
    /// cgroup has more processes than are sampled.
    fn fds(&mut self, fs: &ProcFs) -> Option<u64> {
        let dir = self.target.procs_dir()?;
        let b = fs.read_sys_file(&dir.join("cgroup.procs")).ok()?;
        let pids: Vec<i32> = b
            .split(|&c| c == b'\n')
            .filter_map(|l| parse::parse_u64(parse::trim(l)))
            .filter_map(|p| i32::try_from(p).ok())
            .take(MEMBERS_SAMPLED + 1)
            .collect();
        if pids.len() > MEMBERS_SAMPLED {
            self.capped = true;
            return None;
        }
        let fast = super::kernel_counts_fds_in_stat();
        let mut sum: u64 = 0;
        for pid in pids {
            let Ok(p) = Process::open(fs, pid) else {
                // Gone between cgroup.procs and here: skipped.
                continue;
            };
            match p.fd_count(fast && p.on_procfs()) {
                Ok(n) => sum = sum.checked_add(n)?,
                Err(ReadError::Exited { .. }) => {}
                // A zombie or kernel thread holds no descriptors.
                Err(ReadError::NotSupported { .. }) => {}
                Err(ReadError::PermissionDenied { .. }) => {
                    self.denied = true;
                    return None;
                }
                Err(_) => return None,
            }
        }
        Some(sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(v: &str) -> ProcFs {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cgroups")
            .join(v);
        ProcFs::new(root.join("proc"), root.join("sys"))
    }

    #[test]
    fn targets_by_cgroup_path_or_directory() {
        let fs = tree("v1");
        let sys = fs.sys_root().join("fs/cgroup");
        let by_path = fs.cgroup_target(Path::new("/app/web")).expect("v1 path");
        assert_eq!(by_path.path, b"/app/web");
        assert_eq!(by_path.memory_dir, Some(sys.join("memory/app/web")));
        assert_eq!(by_path.pids_dir, Some(sys.join("pids/app/web")));
        let by_dir = fs.cgroup_target(&sys.join("pids/app/web")).expect("v1 dir");
        assert_eq!(by_dir, by_path);
        // Never outside the mount, and a missing cgroup is None.
        assert_eq!(fs.cgroup_target(Path::new("/app/nope")), None);
        assert_eq!(fs.cgroup_target(Path::new("app/web")), None);
        let up = fs
            .cgroup_target(Path::new("/../../app/web"))
            .expect("normalized");
        assert_eq!(up.path, b"/app/web");
        let v2 = tree("v2");
        let t = v2
            .cgroup_target(Path::new("/app.slice/web.scope"))
            .expect("v2 path");
        assert_eq!(t.version, CgroupVersion::V2);
        let dir = v2.sys_root().join("fs/cgroup/app.slice/web.scope");
        assert_eq!(v2.cgroup_target(&dir), Some(t));
    }

    #[test]
    fn samples_and_limits_on_the_fixture_trees() {
        for (v, path, limit_file) in [
            ("v1", "/app/web", "memory/app/web/memory.limit_in_bytes"),
            (
                "v2",
                "/app.slice/web.scope",
                "app.slice/web.scope/memory.max",
            ),
        ] {
            let fs = tree(v);
            let t = fs.cgroup_target(Path::new(path)).expect(v);
            let c = fs.cgroup_ceilings(&t);
            let m = c.memory.as_ref().expect("memory limit");
            assert_eq!(m.limit, 100 << 20, "{v}");
            let want = fs.sys_root().join("fs/cgroup").join(limit_file);
            assert_eq!(m.limit_file, want, "{v}");
            assert_eq!(c.pids.as_ref().map(|p| p.limit), Some(300), "{v}");
            let wanted = CgroupWanted {
                working_set: true,
                tasks: true,
                fds: false,
            };
            let mut s = CgroupSampler::new(t, wanted);
            let got = s.sample(&fs).expect("there");
            // 104 MiB used, 10 MiB inactive file.
            assert_eq!(got.working_set, Some(94 << 20), "{v}");
            assert_eq!(got.tasks, Some(275), "{v}");
        }
    }
}
