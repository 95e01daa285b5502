//! `/proc/PID/cgroup`: `hierarchy-ID:controller-list:path` per line. Paths
//! can be named by anyone with a delegated subtree, so they are bytes.

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CgroupLine {
    pub hierarchy: u32,
    pub controllers: Vec<String>,
    pub path: Vec<u8>,
}

pub fn parse(b: &[u8]) -> Vec<CgroupLine> {
    b.split(|&c| c == b'\n')
        .filter_map(|line| {
            let mut parts = line.splitn(3, |&c| c == b':');
            let id = super::parse_u64(parts.next()?).and_then(|v| u32::try_from(v).ok())?;
            let controllers = std::str::from_utf8(parts.next()?)
                .ok()?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let path = parts.next()?.to_vec();
            Some(CgroupLine {
                hierarchy: id,
                controllers,
                path,
            })
        })
        .collect()
}

/// The v1 memory controller's path, if the process has one.
pub fn v1_memory_path(lines: &[CgroupLine]) -> Option<&[u8]> {
    lines
        .iter()
        .find(|l| l.controllers.iter().any(|c| c == "memory"))
        .map(|l| l.path.as_slice())
}

/// The v2 unified path (`0::/path`), if present.
pub fn v2_path(lines: &[CgroupLine]) -> Option<&[u8]> {
    lines
        .iter()
        .find(|l| l.hierarchy == 0 && l.controllers.is_empty())
        .map(|l| l.path.as_slice())
}

/// A cgroup path made safe to join under a cgroup mount: `.` and empty
/// components dropped, `..` removing the component before it and dropped
/// at the root. The path comes from a file the kernel writes, but a reader
/// in a private cgroup namespace sees leading `/..` components, and a
/// crafted --proc-root can write anything: the result never leaves the
/// mount. Always starts with `/`.
pub fn normalize(cg: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in cg.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(cg.len() + 1);
    for p in &parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on this kernel 6.18 host (cgroup v1).
    const V1: &[u8] =
        b"9:name=systemd:/\n8:pids:/\n4:memory:/process_api/0a9f\n3:cpuset:/\n1:cpu:/\n0::/\n";

    #[test]
    fn v1_and_v2_paths() {
        let l = parse(V1);
        assert_eq!(l.len(), 6);
        assert_eq!(v1_memory_path(&l), Some(&b"/process_api/0a9f"[..]));
        assert_eq!(v2_path(&l), Some(&b"/"[..]));
        let v2 = parse(b"0::/kubepods.slice/a:b.scope\n");
        assert_eq!(v1_memory_path(&v2), None);
        assert_eq!(v2_path(&v2), Some(&b"/kubepods.slice/a:b.scope"[..]));
        assert!(parse(b"garbage\n::\nx:y:z\n").is_empty());
    }

    #[test]
    fn normalized_paths_never_leave_the_mount() {
        assert_eq!(normalize(b"/a/b"), b"/a/b");
        assert_eq!(normalize(b"/"), b"/");
        assert_eq!(normalize(b""), b"/");
        assert_eq!(normalize(b"/../../etc"), b"/etc");
        assert_eq!(normalize(b"/a/../../../x/./y//"), b"/x/y");
        assert_eq!(normalize(b"/kubepods/../../../../root"), b"/root");
        assert_eq!(normalize(b"/a/.."), b"/");
    }
}
