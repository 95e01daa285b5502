//! The workload a process belongs to, as reported: the cgroup path's
//! workload (`parse::workload`) with the names the kubelet's log
//! directories give (`reader::pods`). Serialized as the `workload` object
//! of `inspect --json`; worded by `render::workload`.

use serde::Serialize;

use crate::parse::workload::{PodRole, Workload};
use crate::reader::pods::KubeletNames;
use crate::text::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Kubernetes,
    SystemdUnit,
    Container,
    Cgroup,
}

/// What the process is in its container or pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// One of the container's processes.
    Container,
    /// In a pod's own cgroup, in none of its containers.
    Pod,
    /// The runtime's monitor of the container (conmon), charged to it.
    RuntimeMonitor,
}

/// One process's workload. Fields that do not apply, or that nothing on
/// the node names (a pod without its kubelet log directory, a container
/// id without its log link), are null.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadReport {
    pub kind: Kind,
    pub role: Option<Role>,
    pub namespace: Option<Text>,
    pub pod: Option<Text>,
    pub pod_uid: Option<String>,
    pub container: Option<Text>,
    pub container_id: Option<String>,
    /// `guaranteed`, `burstable`, `besteffort`.
    pub qos: Option<&'static str>,
    pub unit: Option<Text>,
    /// `containerd`, `cri-o`, `docker`, `podman`.
    pub runtime: Option<&'static str>,
    /// The cgroup path the workload was read from (normalized).
    pub cgroup: Text,
}

impl WorkloadReport {
    /// The report of a workload, without names yet.
    pub fn new(w: &Workload, cgroup: &[u8]) -> Self {
        let mut r = WorkloadReport {
            kind: Kind::Cgroup,
            role: None,
            namespace: None,
            pod: None,
            pod_uid: None,
            container: None,
            container_id: None,
            qos: None,
            unit: None,
            runtime: None,
            cgroup: Text(cgroup.to_vec()),
        };
        match w {
            Workload::Kubernetes {
                pod_uid,
                container_id,
                qos,
                runtime,
                role,
            } => {
                r.kind = Kind::Kubernetes;
                r.role = Some(match role {
                    PodRole::Container => Role::Container,
                    PodRole::Pod => Role::Pod,
                    PodRole::RuntimeMonitor => Role::RuntimeMonitor,
                });
                r.pod_uid = Some(pod_uid.clone());
                r.container_id.clone_from(container_id);
                r.qos = Some(qos.id());
                r.runtime = *runtime;
            }
            Workload::SystemdUnit { unit } => {
                r.kind = Kind::SystemdUnit;
                r.unit = Some(Text(unit.clone()));
            }
            Workload::Container {
                runtime,
                id,
                monitor,
            } => {
                r.kind = Kind::Container;
                r.role = Some(if *monitor {
                    Role::RuntimeMonitor
                } else {
                    Role::Container
                });
                r.container_id = Some(id.clone());
                r.runtime = Some(runtime);
            }
            Workload::Cgroup { .. } => {}
        }
        r
    }

    /// The pod UID and container id to look up in the kubelet's
    /// directories (None: not a Kubernetes workload).
    pub fn wanted(&self) -> Option<(&str, Option<&str>)> {
        (self.kind == Kind::Kubernetes)
            .then_some(())
            .and(self.pod_uid.as_deref())
            .map(|u| (u, self.container_id.as_deref()))
    }

    /// Fill in the namespace, pod and container names the kubelet's
    /// directories give: the pod directory by UID, the container's log
    /// link by id (which also names the pod when the pod directories are
    /// unreadable). A link that names another pod than the UID's directory
    /// is not believed.
    pub fn name_from(&mut self, k: &KubeletNames) {
        let Some(uid) = self.pod_uid.as_deref() else {
            return;
        };
        let pod = k.pods.get(uid);
        if let Some(p) = pod {
            self.namespace = Some(Text(p.namespace.clone()));
            self.pod = Some(Text(p.pod.clone()));
        }
        let Some(link) = self
            .container_id
            .as_deref()
            .and_then(|id| k.containers.get(id))
        else {
            return;
        };
        let agrees = pod.is_none_or(|p| p.namespace == link.namespace && p.pod == link.pod);
        if !agrees {
            return;
        }
        if pod.is_none() {
            self.namespace = Some(Text(link.namespace.clone()));
            self.pod = Some(Text(link.pod.clone()));
        }
        self.container = Some(Text(link.container.clone()));
    }
}

/// The workload of a process's cgroup lines (None without any line).
pub fn of_lines(lines: &[crate::parse::cgroup::CgroupLine]) -> Option<WorkloadReport> {
    crate::parse::workload::of_lines(lines).map(|(w, path)| WorkloadReport::new(&w, &path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::workload::ContainerLog;
    use crate::reader::pods::PodNames;

    const ID: &str = "3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    const UID: &str = "2c5d8e3a-1f0b-4c7e-9a3d-5b6e7f8a9b0c";

    fn report() -> WorkloadReport {
        let p = format!("/kubepods/burstable/pod{UID}/{ID}");
        WorkloadReport::new(
            &crate::parse::workload::from_cgroup_path(p.as_bytes()),
            p.as_bytes(),
        )
    }

    fn link(pod: &str) -> ContainerLog {
        ContainerLog {
            pod: pod.into(),
            namespace: b"payments".to_vec(),
            container: b"api".to_vec(),
            id: ID.into(),
        }
    }

    #[test]
    fn names_from_the_kubelet() {
        let mut r = report();
        assert_eq!(r.wanted(), Some((UID, Some(ID))));
        let mut k = KubeletNames::default();
        r.name_from(&k);
        assert_eq!((r.pod.is_none(), r.container.is_none()), (true, true));
        k.pods.insert(
            UID.into(),
            PodNames {
                namespace: b"payments".to_vec(),
                pod: b"api-7d9".to_vec(),
                containers: vec![b"api".to_vec()],
            },
        );
        r.name_from(&k);
        assert_eq!(r.pod, Some(Text(b"api-7d9".to_vec())));
        assert_eq!(r.container, None);
        k.containers.insert(ID.into(), link("api-7d9"));
        r.name_from(&k);
        assert_eq!(r.container, Some(Text(b"api".to_vec())));
        // A link naming another pod than the UID's directory: not believed.
        let mut r = report();
        k.containers.insert(ID.into(), link("other"));
        r.name_from(&k);
        assert_eq!(r.container, None);
        // Only the link: it names the pod too.
        let mut r = report();
        k.pods.clear();
        r.name_from(&k);
        assert_eq!(r.pod, Some(Text(b"other".to_vec())));
        assert_eq!(r.namespace, Some(Text(b"payments".to_vec())));
        assert_eq!(r.container, Some(Text(b"api".to_vec())));
    }

    #[test]
    fn other_kinds_want_no_names() {
        let w = crate::parse::workload::from_cgroup_path(b"/system.slice/nginx.service");
        let r = WorkloadReport::new(&w, b"/system.slice/nginx.service");
        assert_eq!(r.kind, Kind::SystemdUnit);
        assert_eq!(r.wanted(), None);
        assert_eq!(r.unit, Some(Text(b"nginx.service".to_vec())));
    }
}
