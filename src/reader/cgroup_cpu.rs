//! A cgroup's own CPU time, user and system: v1 `cpuacct.usage_user` and
//! `cpuacct.usage_sys` (nanoseconds), v2 `cpu.stat` `user_usec` and
//! `system_usec`. It counts every task that ever ran in the cgroup, those
//! that exited included: `serve`'s CPU counter of a group that is a cgroup.

use std::path::Path;

use super::ProcFs;
use crate::error::ReadError;
use crate::parse::{self, cgroup::CgroupLine};

/// A cgroup's CPU time so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupCpu {
    /// The cgroup (normalized) it was read from.
    pub path: Vec<u8>,
    pub user_ns: u64,
    pub system_ns: u64,
}

impl ProcFs {
    /// The CPU time of a process's cpuacct (v1) or unified (v2) cgroup;
    /// None when there is no such hierarchy here.
    pub fn cgroup_cpu(&self, lines: &[CgroupLine]) -> Option<Result<CgroupCpu, ReadError>> {
        let root = self.sys_root().join("fs/cgroup");
        let on_v1 = lines
            .iter()
            .any(|l| l.controllers.iter().any(|c| c == "cpuacct"));
        if on_v1 {
            let (dir, path) =
                match self.controller_dir(lines, "cpuacct", &["cpuacct", "cpu,cpuacct"])? {
                    Ok(d) => d,
                    Err(e) => return Some(Err(e)),
                };
            return Some(self.cpuacct_v1(&dir, path));
        }
        if !root.join("cgroup.controllers").exists() {
            return None;
        }
        let path = parse::cgroup::normalize(parse::cgroup::v2_path(lines)?);
        let dir = super::cgroup::join(&root, &path);
        Some(self.cpu_stat_v2(&dir, path))
    }

    fn cpuacct_v1(&self, dir: &Path, path: Vec<u8>) -> Result<CgroupCpu, ReadError> {
        let num = |file: &str| {
            let f = dir.join(file);
            let b = self.read_sys_file(&f)?;
            parse::parse_single_u64(&b).map_err(|_| ReadError::parse(&f, "cpuacct usage"))
        };
        Ok(CgroupCpu {
            path,
            user_ns: num("cpuacct.usage_user")?,
            system_ns: num("cpuacct.usage_sys")?,
        })
    }

    fn cpu_stat_v2(&self, dir: &Path, path: Vec<u8>) -> Result<CgroupCpu, ReadError> {
        let f = dir.join("cpu.stat");
        let b = self.read_sys_file(&f)?;
        let usec = |key: &'static str| match parse::flat_keyed_checked(&b, key) {
            Ok(Some(v)) => Ok(v.saturating_mul(1000)),
            _ => Err(ReadError::parse(&f, key)),
        };
        Ok(CgroupCpu {
            path,
            user_ns: usec("user_usec")?,
            system_ns: usec("system_usec")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_of_a_v1_and_a_v2_cgroup() {
        let t = std::env::temp_dir().join(format!("proctor-cgcpu-{}", std::process::id()));
        let v1 = t.join("v1/sys/fs/cgroup/cpu,cpuacct/app");
        let v2 = t.join("v2/sys/fs/cgroup/app.slice/web.service");
        std::fs::create_dir_all(&v1).unwrap();
        std::fs::create_dir_all(&v2).unwrap();
        std::fs::write(v1.join("cpuacct.usage_user"), "3000000000\n").unwrap();
        std::fs::write(v1.join("cpuacct.usage_sys"), "1500000000\n").unwrap();
        std::fs::write(
            t.join("v2/sys/fs/cgroup/cgroup.controllers"),
            "cpu memory pids\n",
        )
        .unwrap();
        std::fs::write(
            v2.join("cpu.stat"),
            "usage_usec 7000\nuser_usec 5000\nsystem_usec 2000\n",
        )
        .unwrap();
        let fs = ProcFs::new(t.join("v1/proc"), t.join("v1/sys"));
        let lines = parse::cgroup::parse(b"3:cpu,cpuacct:/app\n0::/\n");
        let c = fs.cgroup_cpu(&lines).unwrap().unwrap();
        assert_eq!(
            (c.path.as_slice(), c.user_ns, c.system_ns),
            (&b"/app"[..], 3_000_000_000, 1_500_000_000)
        );
        let fs = ProcFs::new(t.join("v2/proc"), t.join("v2/sys"));
        let lines = parse::cgroup::parse(b"0::/app.slice/web.service\n");
        let c = fs.cgroup_cpu(&lines).unwrap().unwrap();
        assert_eq!((c.user_ns, c.system_ns), (5_000_000, 2_000_000));
        // A cpu.stat without the keys is a parse error, never 0.
        std::fs::write(v2.join("cpu.stat"), "usage_usec 7000\n").unwrap();
        assert!(matches!(
            fs.cgroup_cpu(&lines),
            Some(Err(ReadError::Parse { .. }))
        ));
        let _ = std::fs::remove_dir_all(&t);
    }
}
