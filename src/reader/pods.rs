//! Pod and container names from what the kubelet writes on the node, never
//! from the API server:
//!
//! - PODS_DIR (`--pods-dir`, default /var/log/pods) holds one directory per
//!   pod, `<namespace>_<pod>_<uid>`, and in it one directory per container
//!   that ever ran in the pod, named after the container;
//! - its sibling `containers` directory (/var/log/containers) holds one
//!   link per container the kubelet started,
//!   `<pod>_<namespace>_<container>-<container id>.log`: the one place on
//!   the node, without the runtime's socket, that ties a container id to
//!   its container's name.
//!
//! Every listing is bounded ([`MAX_ENTRIES`] entries per directory, names
//! over [`NAME_CAP`] bytes skipped), nothing is opened or followed but the
//! directories, and names stay bytes (escaped when shown).

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::sys_error;
use crate::error::ReadError;
use crate::parse::workload::{self, ContainerLog};

/// Entries read from one directory at most.
pub const MAX_ENTRIES: usize = 16_384;

/// Longest entry name kept (a pod directory name is at most
/// 63 + 1 + 253 + 1 + 36 bytes).
pub const NAME_CAP: usize = 512;

/// Containers listed for one pod at most.
pub const MAX_CONTAINERS: usize = 256;

/// One pod's names, as the kubelet's directories give them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodNames {
    pub namespace: Vec<u8>,
    pub pod: Vec<u8>,
    /// The pod's container directories (init containers included), sorted.
    pub containers: Vec<Vec<u8>>,
}

/// What was found for the pods and containers asked about.
#[derive(Debug, Clone, Default)]
pub struct KubeletNames {
    /// Pod UID -> names.
    pub pods: HashMap<String, PodNames>,
    /// Container id -> its log link's names.
    pub containers: HashMap<String, ContainerLog>,
    /// A directory held more than [`MAX_ENTRIES`] entries: some were not read.
    pub truncated: bool,
    /// Why PODS_DIR could not be listed (absent included); the names are
    /// then what the containers directory alone gave.
    pub pods_error: Option<ReadError>,
    pub containers_error: Option<ReadError>,
}

/// The names of at most [`MAX_ENTRIES`] entries of `dir` (bytes), and
/// whether there were more.
fn list(dir: &Path, what: &str) -> Result<(Vec<Vec<u8>>, bool), ReadError> {
    let rd = std::fs::read_dir(dir).map_err(|e| sys_error(dir, &e, what))?;
    let mut names = Vec::new();
    let mut more = false;
    for (i, e) in rd.enumerate() {
        if i == MAX_ENTRIES {
            more = true;
            break;
        }
        let Ok(e) = e else { continue };
        let n = e.file_name();
        let n = n.as_bytes();
        if n.len() <= NAME_CAP {
            names.push(n.to_vec());
        }
    }
    Ok((names, more))
}

/// The kubelet's names for the pods `uids` and the containers `ids`
/// (everything else in the directories is skipped). Never an error: an
/// unreadable or absent directory is noted in the result.
pub fn kubelet_names(pods_dir: &Path, uids: &[&str], ids: &[&str]) -> KubeletNames {
    let mut out = KubeletNames::default();
    if uids.is_empty() && ids.is_empty() {
        return out;
    }
    match list(pods_dir, "kubelet pod logs") {
        Ok((names, more)) => {
            out.truncated |= more;
            for d in names.iter().filter_map(|n| workload::pod_dir(n)) {
                if !uids.contains(&d.uid.as_str()) {
                    continue;
                }
                let mut dir_name = Vec::with_capacity(NAME_CAP);
                dir_name.extend_from_slice(&d.namespace);
                dir_name.push(b'_');
                dir_name.extend_from_slice(&d.pod);
                dir_name.push(b'_');
                dir_name.extend_from_slice(d.uid.as_bytes());
                let pod_path = pods_dir.join(std::ffi::OsStr::from_bytes(&dir_name));
                let mut containers = match list(&pod_path, "kubelet pod logs") {
                    Ok((c, more)) => {
                        out.truncated |= more;
                        c
                    }
                    Err(_) => Vec::new(),
                };
                containers.sort();
                containers.truncate(MAX_CONTAINERS);
                out.pods.insert(
                    d.uid.clone(),
                    PodNames {
                        namespace: d.namespace,
                        pod: d.pod,
                        containers,
                    },
                );
            }
        }
        Err(e) => out.pods_error = Some(e),
    }
    if ids.is_empty() {
        return out;
    }
    let containers_dir = pods_dir.parent().map_or_else(
        || Path::new("/").join("containers"),
        |p| p.join("containers"),
    );
    match list(&containers_dir, "kubelet container logs") {
        Ok((names, more)) => {
            out.truncated |= more;
            for c in names.iter().filter_map(|n| workload::container_log(n)) {
                if ids.contains(&c.id.as_str()) {
                    out.containers.insert(c.id.clone(), c);
                }
            }
        }
        Err(e) => out.containers_error = Some(e),
    }
    out
}

/// How long a scan's pod names are reused while the scan's pods stay the
/// same (`top` refreshes every second; pods are renamed never, created
/// and deleted rarely).
const NAMES_KEPT: std::time::Duration = std::time::Duration::from_secs(30);

/// How long before pods the kubelet's directories did not name are looked
/// up again (their directories may appear after the container started).
const UNNAMED_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// The pod UIDs and container ids of a scan's Kubernetes processes, from
/// the cgroup lines the scan read; sorted, each once.
pub fn wanted_in(scan: &super::Scan) -> (Vec<String>, Vec<String>) {
    let mut uids = Vec::new();
    let mut ids = Vec::new();
    for r in &scan.rows {
        let Ok(raw) = &r.extra.cgroup else { continue };
        let lines = crate::parse::cgroup::parse(raw);
        if let Some((
            workload::Workload::Kubernetes {
                pod_uid,
                container_id,
                ..
            },
            _,
        )) = workload::of_lines(&lines)
        {
            uids.push(pod_uid);
            ids.extend(container_id);
        }
    }
    for v in [&mut uids, &mut ids] {
        v.sort_unstable();
        v.dedup();
    }
    (uids, ids)
}

/// The kubelet's names of the pods of successive scans: looked up again
/// when the scan's pods change, else at most every 30 s.
#[derive(Default)]
pub struct PodNameCache {
    key: (Vec<String>, Vec<String>),
    names: Option<std::sync::Arc<KubeletNames>>,
    at: Option<std::time::Instant>,
}

impl PodNameCache {
    /// The names of `scan`'s pods under `pods_dir` (None when it has no
    /// Kubernetes process).
    pub fn names_for(
        &mut self,
        scan: &super::Scan,
        pods_dir: &Path,
    ) -> Option<std::sync::Arc<KubeletNames>> {
        let key = wanted_in(scan);
        if key.0.is_empty() && key.1.is_empty() {
            return None;
        }
        let all_named = self
            .names
            .as_ref()
            .is_some_and(|n| key.0.iter().all(|u| n.pods.contains_key(u)));
        let keep = if all_named { NAMES_KEPT } else { UNNAMED_RETRY };
        let fresh = self.at.is_some_and(|t| t.elapsed() < keep);
        if self.names.is_none() || !fresh || self.key != key {
            let uids: Vec<&str> = key.0.iter().map(String::as_str).collect();
            let ids: Vec<&str> = key.1.iter().map(String::as_str).collect();
            self.names = Some(std::sync::Arc::new(kubelet_names(pods_dir, &uids, &ids)));
            self.at = Some(std::time::Instant::now());
            self.key = key;
        }
        self.names.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "2c5d8e3a-1f0b-4c7e-9a3d-5b6e7f8a9b0c";
    const ID: &str = "3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

    struct Tmp(std::path::PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tmp(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("proctor-pods-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(p.join("pods")).unwrap();
        std::fs::create_dir_all(p.join("containers")).unwrap();
        Tmp(p)
    }

    #[test]
    fn names_for_the_uid_and_id_asked() {
        let t = tmp("names");
        let pod = t.0.join(format!("pods/payments_api-7d9_{UID}"));
        for c in ["api", "init-db"] {
            std::fs::create_dir_all(pod.join(c)).unwrap();
        }
        let other = "00000000-1f0b-4c7e-9a3d-5b6e7f8a9b0c";
        std::fs::create_dir_all(t.0.join(format!("pods/x_y_{other}/z"))).unwrap();
        let link =
            t.0.join(format!("containers/api-7d9_payments_api-{ID}.log"));
        std::os::unix::fs::symlink("/nowhere", link).unwrap();
        let k = kubelet_names(&t.0.join("pods"), &[UID], &[ID]);
        assert_eq!(k.pods.len(), 1);
        let p = &k.pods[UID];
        assert_eq!(
            (p.namespace.as_slice(), p.pod.as_slice()),
            (&b"payments"[..], &b"api-7d9"[..])
        );
        assert_eq!(p.containers, vec![b"api".to_vec(), b"init-db".to_vec()]);
        assert_eq!(k.containers[ID].container, b"api");
        assert!(!k.truncated && k.pods_error.is_none() && k.containers_error.is_none());
        // Nothing asked: nothing read.
        let none = kubelet_names(&t.0.join("absent"), &[], &[]);
        assert!(none.pods_error.is_none() && none.pods.is_empty());
        // Absent: noted, never a panic or an error out.
        let gone = kubelet_names(&t.0.join("absent/pods"), &[UID], &[ID]);
        assert!(gone.pods_error.is_some() && gone.containers_error.is_some());
    }

    #[test]
    fn listing_is_bounded() {
        let t = tmp("bounded");
        let dir = t.0.join("containers");
        for i in 0..=MAX_ENTRIES {
            std::fs::write(dir.join(format!("f{i}")), "").unwrap();
        }
        let (names, more) = list(&dir, "test").unwrap();
        assert_eq!((names.len(), more), (MAX_ENTRIES, true));
    }
}
