//! A workload in words, on one line: `k8s container api of pod
//! payments/api-7d9 (burstable, containerd 3f2a9c1b4d5e)`, `systemd unit
//! nginx.service`, `docker container 3f2a9c1b4d5e`, `cgroup /user.slice`.
//! Names come from cgroup directories and the kubelet's log directories:
//! escaped here.

use crate::analysis::workload::{Kind, Role, WorkloadReport};

/// A container id as people read it: its first 12 hex digits.
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// `payments/api-7d9`, or the pod UID when the kubelet's directories do
/// not name it.
fn pod_name(w: &WorkloadReport) -> String {
    match (&w.namespace, &w.pod) {
        (Some(ns), Some(p)) => format!("{}/{}", ns.display(), p.display()),
        _ => w.pod_uid.clone().unwrap_or_else(|| "?".into()),
    }
}

/// `(burstable, containerd 3f2a9c1b4d5e)`: QoS class, runtime, short id.
fn pod_details(w: &WorkloadReport) -> String {
    let mut parts: Vec<String> = w.qos.iter().map(|q| (*q).to_string()).collect();
    let id = w.container_id.as_deref().map(short_id);
    match (w.runtime, id) {
        (Some(r), Some(id)) => parts.push(format!("{r} {id}")),
        (None, Some(id)) => parts.push(id.to_string()),
        (Some(r), None) => parts.push(r.to_string()),
        (None, None) => {}
    }
    format!("({})", parts.join(", "))
}

fn kubernetes(w: &WorkloadReport) -> String {
    let container = w
        .container
        .as_ref()
        .map_or_else(|| "?".to_string(), crate::text::Text::display);
    let pod = pod_name(w);
    let details = pod_details(w);
    match w.role {
        Some(Role::Pod) => format!("k8s pod {pod} {details}, in the pod's own cgroup"),
        Some(Role::RuntimeMonitor) => format!(
            "k8s runtime monitor (conmon) of container {container} of pod {pod} {details}: the runtime's process, not the container's"
        ),
        _ => format!("k8s container {container} of pod {pod} {details}"),
    }
}

/// The workload in a few characters, for a table cell (escaped):
/// `nginx.service`, `docker:3f2a9c1b4d5e`, `pod:1234abcd/3f2a9c1b4d5e`
/// (the pod UID's first 8 characters, the container's short id), or the
/// cgroup path.
pub fn short(w: &WorkloadReport) -> String {
    let text = match w.kind {
        Kind::Kubernetes => {
            let uid = w
                .pod_uid
                .as_deref()
                .map_or("?", |u| u.get(..8).unwrap_or(u));
            let pod = match (&w.namespace, &w.pod) {
                (Some(ns), Some(p)) => format!("{}/{}", ns.display(), p.display()),
                _ => format!("pod:{uid}"),
            };
            match (w.role, &w.container, w.container_id.as_deref()) {
                (Some(Role::Pod), _, _) => pod,
                (Some(Role::RuntimeMonitor), _, _) => format!("{pod}/conmon"),
                (_, Some(c), _) => format!("{pod}/{}", c.display()),
                (_, None, Some(id)) => format!("{pod}/{}", short_id(id)),
                (_, None, None) => pod,
            }
        }
        Kind::SystemdUnit => w.unit.as_ref().map_or_else(|| "?".into(), |u| u.display()),
        Kind::Container => {
            let id = w.container_id.as_deref().map_or("?", short_id);
            let rt = w.runtime.unwrap_or("container");
            match w.role {
                Some(Role::RuntimeMonitor) => format!("{rt}:{id}/conmon"),
                _ => format!("{rt}:{id}"),
            }
        }
        Kind::Cgroup => w.cgroup.display(),
    };
    crate::text::neutralize_controls(&text).into_owned()
}

/// The workload on one line.
pub fn line(w: &WorkloadReport) -> String {
    match w.kind {
        Kind::Kubernetes => kubernetes(w),
        Kind::SystemdUnit => format!(
            "systemd unit {}",
            w.unit
                .as_ref()
                .map_or_else(|| "?".into(), crate::text::Text::display)
        ),
        Kind::Container => {
            let rt = w.runtime.unwrap_or("?");
            let id = w.container_id.as_deref().map_or("?", short_id);
            if w.role == Some(Role::RuntimeMonitor) {
                format!(
                    "{rt} runtime monitor (conmon) of container {id}: the runtime's process, not the container's"
                )
            } else {
                format!("{rt} container {id}")
            }
        }
        Kind::Cgroup => format!("cgroup {}", w.cgroup.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::workload::from_cgroup_path;
    use crate::text::Text;

    const ID: &str = "3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    const UID: &str = "2c5d8e3a-1f0b-4c7e-9a3d-5b6e7f8a9b0c";
    const UID_: &str = "2c5d8e3a_1f0b_4c7e_9a3d_5b6e7f8a9b0c";

    fn of(p: &str) -> WorkloadReport {
        WorkloadReport::new(&from_cgroup_path(p.as_bytes()), p.as_bytes())
    }

    #[test]
    fn every_kind_in_words() {
        let pod =
            format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_}.slice");
        let mut w = of(&format!("{pod}/cri-containerd-{ID}.scope"));
        assert_eq!(
            line(&w),
            format!("k8s container ? of pod {UID} (burstable, containerd 3f2a9c1b4d5e)")
        );
        w.namespace = Some(Text(b"payments".to_vec()));
        w.pod = Some(Text(b"api-7d9".to_vec()));
        w.container = Some(Text(b"api\x1b[31m".to_vec()));
        assert_eq!(
            line(&w),
            "k8s container api\\e[31m of pod payments/api-7d9 (burstable, containerd 3f2a9c1b4d5e)"
        );
        assert_eq!(
            line(&of(&pod)),
            format!("k8s pod {UID} (burstable), in the pod's own cgroup")
        );
        assert!(
            line(&of(&format!("{pod}/crio-conmon-{ID}.scope")))
                .starts_with("k8s runtime monitor (conmon) of container ? of pod ")
        );
        assert_eq!(
            line(&of(&format!("/kubepods/pod{UID}/{ID}"))),
            format!("k8s container ? of pod {UID} (guaranteed, 3f2a9c1b4d5e)")
        );
        assert_eq!(
            line(&of("/system.slice/nginx.service")),
            "systemd unit nginx.service"
        );
        assert_eq!(
            line(&of(&format!("/docker/{ID}"))),
            "docker container 3f2a9c1b4d5e"
        );
        assert_eq!(line(&of("/user.slice")), "cgroup /user.slice");
        assert_eq!(line(&of("/a\x1b]0;x\x07")), "cgroup /a\\e]0;x\\x07");
    }
}
