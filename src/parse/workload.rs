//! What a cgroup path says about the workload a process belongs to: a
//! Kubernetes container (pod UID, container ID, QoS class, runtime), a
//! systemd unit, a docker/podman/containerd container, or a plain cgroup.
//!
//! Cgroup directory names can be made by whoever has write access to a
//! delegated subtree (a user's `user@UID.service`, a container's own
//! cgroup namespace), so the path is parsed byte-wise and an id is
//! accepted only in its exact shape: a container id is 64 lowercase hex
//! digits, a pod UID is a UUID (`8-4-4-4-12` hex) or the 32 hex digits of
//! a static pod's hash. A Kubernetes pod is recognised only where the
//! kubelet puts it, at the top of the hierarchy (`/kubepods`,
//! `/kubepods.slice`, or `/kubelet.slice/kubelet-kubepods.slice` as kind
//! does): a process in a delegated subtree cannot pose as a pod.
//!
//! Also the names the kubelet writes under /var/log: the pod directories
//! `<namespace>_<pod>_<uid>` and the container log links
//! `<pod>_<namespace>_<container>-<id>.log` (see `reader::pods`).

/// A pod's QoS class, from the cgroup it sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qos {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl Qos {
    /// The stable id (JSON), as Kubernetes spells the class in lower case.
    pub fn id(self) -> &'static str {
        match self {
            Qos::Guaranteed => "guaranteed",
            Qos::Burstable => "burstable",
            Qos::BestEffort => "besteffort",
        }
    }
}

/// What the process is in a Kubernetes pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodRole {
    /// A container's process (`container_id` set).
    Container,
    /// In the pod's own cgroup, not in one of its containers.
    Pod,
    /// The runtime's monitor of a container (CRI-O's `conmon`, in
    /// `crio-conmon-<id>.scope`): the runtime's process, not the
    /// container's, though it is charged to the pod.
    RuntimeMonitor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workload {
    Kubernetes {
        /// With dashes (the systemd driver's `_` turned back into `-`).
        pod_uid: String,
        /// 64 hex digits; None in a pod-level cgroup.
        container_id: Option<String>,
        qos: Qos,
        /// `containerd`, `cri-o`, `docker`, `podman`; None when the path
        /// does not say (the cgroupfs driver names the container by id only).
        runtime: Option<&'static str>,
        role: PodRole,
    },
    /// A systemd service or scope (not a slice): the innermost one on the
    /// path. Bytes: only systemd's unit-name characters are accepted, but
    /// they still reach people only escaped.
    SystemdUnit { unit: Vec<u8> },
    /// A container outside Kubernetes (docker, podman, containerd).
    Container {
        runtime: &'static str,
        id: String,
        /// The runtime's monitor of the container (podman's
        /// `libpod-conmon-<id>.scope`), not the container itself.
        monitor: bool,
    },
    /// Anything else, "/" included: the normalized path.
    Cgroup { path: Vec<u8> },
}

/// Cgroup components kept from a path: a hostile path of a million
/// components is not walked whole.
const MAX_COMPONENTS: usize = 64;

/// Longest unit name systemd accepts.
const UNIT_NAME_MAX: usize = 255;

/// The workload of a cgroup path (as in /proc/PID/cgroup, normalized by
/// `parse::cgroup::normalize`; leading `..` components, which a reader in
/// a private cgroup namespace sees, are skipped here too).
pub fn from_cgroup_path(path: &[u8]) -> Workload {
    let all: Vec<&[u8]> = path
        .split(|&c| c == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .skip_while(|c| *c == b"..")
        .take(MAX_COMPONENTS + 1)
        .collect();
    let comps = if all.len() > MAX_COMPONENTS {
        &[][..]
    } else {
        &all[..]
    };
    kubernetes(comps)
        .or_else(|| container(comps))
        .or_else(|| unit(comps))
        .unwrap_or_else(|| Workload::Cgroup {
            path: plain_path(path),
        })
}

/// The path as shown for a plain cgroup: `..` and empty components gone.
fn plain_path(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len().min(4096) + 1);
    for c in path
        .split(|&c| c == b'/')
        .filter(|c| !c.is_empty() && *c != b"." && *c != b"..")
    {
        out.push(b'/');
        out.extend_from_slice(c);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The workload of a process from its cgroup lines, with the normalized
/// path it was read from: the first of its memory (v1), unified (v2),
/// pids, cpu and named-systemd paths that names a workload, else the first
/// of them (or the first line) as a plain cgroup. None without lines.
pub fn of_lines(lines: &[super::cgroup::CgroupLine]) -> Option<(Workload, Vec<u8>)> {
    let has = |l: &super::cgroup::CgroupLine, name: &str| l.controllers.iter().any(|c| c == name);
    let order = [
        lines.iter().find(|l| has(l, "memory")),
        lines
            .iter()
            .find(|l| l.hierarchy == 0 && l.controllers.is_empty()),
        lines.iter().find(|l| has(l, "pids")),
        lines.iter().find(|l| has(l, "cpu")),
        lines.iter().find(|l| has(l, "name=systemd")),
        lines.first(),
    ];
    let mut first_plain = None;
    for l in order.into_iter().flatten() {
        let path = super::cgroup::normalize(&l.path);
        match from_cgroup_path(&path) {
            w @ Workload::Cgroup { .. } => {
                first_plain.get_or_insert((w, path));
            }
            w => return Some((w, path)),
        }
    }
    first_plain
}

fn is_hex(b: &[u8]) -> bool {
    b.iter()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// A container id: exactly 64 lowercase hex digits.
pub fn container_id(b: &[u8]) -> Option<String> {
    (b.len() == 64 && is_hex(b)).then(|| String::from_utf8_lossy(b).into_owned())
}

/// A pod UID, its dashes written as `sep` (`-` in the cgroupfs layout and
/// the kubelet's directories, `_` in the systemd one): a UUID, or the 32
/// hex digits of a static pod. Returned with dashes, lower case as given.
pub fn pod_uid(b: &[u8], sep: u8) -> Option<String> {
    let ok = match b.len() {
        32 => is_hex(b),
        36 => b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == sep,
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        }),
        _ => false,
    };
    ok.then(|| {
        b.iter()
            .map(|&c| if c == sep { '-' } else { char::from(c) })
            .collect()
    })
}

fn strip<'a>(b: &'a [u8], prefix: &[u8], suffix: &[u8]) -> Option<&'a [u8]> {
    b.strip_prefix(prefix)?.strip_suffix(suffix)
}

/// Where the kubelet's hierarchy starts: its index, and whether it is the
/// systemd driver's (`.slice` names, with the given name prefix).
fn kube_root(comps: &[&[u8]]) -> Option<(usize, Option<&'static [u8]>)> {
    match comps {
        [b"kubepods", ..] => Some((0, None)),
        [b"kubepods.slice", ..] => Some((0, Some(b"kubepods"))),
        [b"kubelet.slice", b"kubelet-kubepods.slice", ..] => Some((1, Some(b"kubelet-kubepods"))),
        _ => None,
    }
}

/// `/kubepods/...` (cgroupfs driver) and `/kubepods.slice/...` (systemd
/// driver), then the containerd form `...:cri-containerd:<id>` anywhere.
fn kubernetes(comps: &[&[u8]]) -> Option<Workload> {
    if let Some((at, slice)) = kube_root(comps) {
        let rest = &comps[at + 1..];
        let (qos, pod_uid, rest) = match slice {
            None => cgroupfs_pod(rest)?,
            Some(prefix) => systemd_pod(prefix, rest)?,
        };
        let (container_id, runtime, role) = match rest.first() {
            None => (None, None, PodRole::Pod),
            Some(c) => match container_id(c) {
                Some(id) => (Some(id), None, PodRole::Container),
                None => {
                    let s = scope(c)?;
                    let role = if s.monitor {
                        PodRole::RuntimeMonitor
                    } else {
                        PodRole::Container
                    };
                    (Some(s.id), Some(s.runtime), role)
                }
            },
        };
        return Some(Workload::Kubernetes {
            pod_uid,
            container_id,
            qos,
            runtime,
            role,
        });
    }
    comps.iter().rev().find_map(|c| colon_form(c))
}

type PodStart<'a, 'b> = (Qos, String, &'a [&'b [u8]]);

/// `[burstable|besteffort/]pod<uid>`, dashes in the UID.
fn cgroupfs_pod<'a, 'b>(rest: &'a [&'b [u8]]) -> Option<PodStart<'a, 'b>> {
    let (qos, rest) = match rest.first() {
        Some(&b"burstable") => (Qos::Burstable, &rest[1..]),
        Some(&b"besteffort") => (Qos::BestEffort, &rest[1..]),
        _ => (Qos::Guaranteed, rest),
    };
    let uid = pod_uid(rest.first()?.strip_prefix(b"pod")?, b'-')?;
    Some((qos, uid, &rest[1..]))
}

/// `[P-burstable.slice/]P-burstable-pod<uid_>.slice` (P the prefix).
fn systemd_pod<'a, 'b>(prefix: &[u8], rest: &'a [&'b [u8]]) -> Option<PodStart<'a, 'b>> {
    let class = |c: &[u8]| -> Option<Qos> {
        let name = strip(c, prefix, b".slice")?;
        match name {
            b"-burstable" => Some(Qos::Burstable),
            b"-besteffort" => Some(Qos::BestEffort),
            _ => None,
        }
    };
    let (qos, rest) = match rest.first().and_then(|c| class(c)) {
        Some(q) => (q, &rest[1..]),
        None => (Qos::Guaranteed, rest),
    };
    let (q2, uid) = systemd_pod_name(prefix, rest.first()?)?;
    (q2 == qos).then_some((qos, uid, &rest[1..]))
}

/// `P[-burstable|-besteffort]-pod<uid_>.slice`: the class and the UID.
fn systemd_pod_name(prefix: &[u8], c: &[u8]) -> Option<(Qos, String)> {
    let name = strip(c, prefix, b".slice")?;
    let (qos, name) = if let Some(n) = name.strip_prefix(b"-burstable") {
        (Qos::Burstable, n)
    } else if let Some(n) = name.strip_prefix(b"-besteffort") {
        (Qos::BestEffort, n)
    } else {
        (Qos::Guaranteed, name)
    };
    Some((qos, pod_uid(name.strip_prefix(b"-pod")?, b'_')?))
}

/// containerd (or runc) with a systemd-style parent but cgroupfs paths:
/// `kubepods-burstable-pod<uid_>.slice:cri-containerd:<id>` as one
/// directory name (seen under `/system.slice/containerd.service/`).
fn colon_form(c: &[u8]) -> Option<Workload> {
    let mut parts = c.split(|&b| b == b':');
    let (pod, rt, id) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let runtime = match rt {
        b"cri-containerd" => "containerd",
        b"crio" => "cri-o",
        b"docker" => "docker",
        _ => return None,
    };
    let (qos, pod_uid) = systemd_pod_name(b"kubepods", pod)?;
    Some(Workload::Kubernetes {
        pod_uid,
        container_id: Some(container_id(id)?),
        qos,
        runtime: Some(runtime),
        role: PodRole::Container,
    })
}

/// A container's own cgroup, by its runtime's naming.
struct Scope {
    runtime: &'static str,
    id: String,
    monitor: bool,
}

/// `cri-containerd-<id>.scope`, `crio-<id>.scope`, `crio-conmon-<id>.scope`,
/// `docker-<id>.scope`, `libpod-<id>.scope`, `libpod-conmon-<id>.scope`,
/// `nerdctl-<id>.scope`; the cgroupfs forms of cri-o and podman have no
/// `.scope`.
fn scope(c: &[u8]) -> Option<Scope> {
    let name = c.strip_suffix(b".scope").unwrap_or(c);
    const FORMS: [(&[u8], &str, bool); 7] = [
        (b"cri-containerd-", "containerd", false),
        (b"crio-conmon-", "cri-o", true),
        (b"crio-", "cri-o", false),
        (b"docker-", "docker", false),
        (b"libpod-conmon-", "podman", true),
        (b"libpod-", "podman", false),
        (b"nerdctl-", "containerd", false),
    ];
    FORMS.iter().find_map(|&(prefix, runtime, monitor)| {
        let id = container_id(name.strip_prefix(prefix)?)?;
        Some(Scope {
            runtime,
            id,
            monitor,
        })
    })
}

/// A container outside Kubernetes: the innermost runtime scope on the path,
/// or standalone docker's `/docker/<id>` (cgroupfs driver).
fn container(comps: &[&[u8]]) -> Option<Workload> {
    let found = comps.iter().rev().find_map(|c| scope(c));
    if let Some(s) = found {
        return Some(Workload::Container {
            runtime: s.runtime,
            id: s.id,
            monitor: s.monitor,
        });
    }
    match comps {
        [b"docker", id, ..] => Some(Workload::Container {
            runtime: "docker",
            id: container_id(id)?,
            monitor: false,
        }),
        _ => None,
    }
}

/// A unit name: systemd's characters (`[A-Za-z0-9:_.\-@\\]`), at most 255
/// bytes, ending in `.service` or `.scope` with something before it.
fn unit_name(c: &[u8]) -> bool {
    let stem = c
        .strip_suffix(b".service")
        .or_else(|| c.strip_suffix(b".scope"));
    stem.is_some_and(|s| !s.is_empty())
        && c.len() <= UNIT_NAME_MAX
        && c.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b":_.-@\\".contains(&b))
}

/// The innermost systemd service or scope on the path (a process in a
/// sub-cgroup of a unit still belongs to it).
fn unit(comps: &[&[u8]]) -> Option<Workload> {
    comps
        .iter()
        .rev()
        .find(|c| unit_name(c))
        .map(|c| Workload::SystemdUnit { unit: c.to_vec() })
}

/// A kubelet pod log directory name, `<namespace>_<pod>_<uid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodDir {
    pub namespace: Vec<u8>,
    pub pod: Vec<u8>,
    pub uid: String,
}

/// Namespaces and pod names are DNS names: never `_`, never empty, at most
/// 253 bytes. Other bytes are kept (and escaped when shown).
fn dns_name(b: &[u8]) -> bool {
    !b.is_empty() && b.len() <= 253 && !b.contains(&b'_') && !b.contains(&b'/')
}

/// `<namespace>_<pod>_<uid>` (the kubelet's /var/log/pods entries).
pub fn pod_dir(name: &[u8]) -> Option<PodDir> {
    let mut parts = name.split(|&b| b == b'_');
    let (ns, pod, uid) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !dns_name(ns) || !dns_name(pod) {
        return None;
    }
    Some(PodDir {
        namespace: ns.to_vec(),
        pod: pod.to_vec(),
        uid: pod_uid(uid, b'-')?,
    })
}

/// A kubelet container log link name,
/// `<pod>_<namespace>_<container>-<64 hex id>.log` (/var/log/containers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerLog {
    pub pod: Vec<u8>,
    pub namespace: Vec<u8>,
    pub container: Vec<u8>,
    pub id: String,
}

pub fn container_log(name: &[u8]) -> Option<ContainerLog> {
    let name = name.strip_suffix(b".log")?;
    let dash = name.len().checked_sub(65)?;
    if name.get(dash) != Some(&b'-') {
        return None;
    }
    let id = container_id(&name[dash + 1..])?;
    let mut parts = name[..dash].split(|&b| b == b'_');
    let (pod, ns, container) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !dns_name(pod) || !dns_name(ns) || !dns_name(container) {
        return None;
    }
    Some(ContainerLog {
        pod: pod.to_vec(),
        namespace: ns.to_vec(),
        container: container.to_vec(),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    const UID: &str = "2c5d8e3a-1f0b-4c7e-9a3d-5b6e7f8a9b0c";
    const UID_: &str = "2c5d8e3a_1f0b_4c7e_9a3d_5b6e7f8a9b0c";

    fn k8s(qos: Qos, id: Option<&str>, runtime: Option<&'static str>, role: PodRole) -> Workload {
        Workload::Kubernetes {
            pod_uid: UID.to_string(),
            container_id: id.map(str::to_string),
            qos,
            runtime,
            role,
        }
    }

    fn w(p: &str) -> Workload {
        from_cgroup_path(p.as_bytes())
    }

    #[test]
    fn cgroupfs_driver_every_class() {
        // v1 lines as the kubelet's cgroupfs driver writes them.
        let lines = format!(
            "12:pids:/kubepods/burstable/pod{UID}/{ID}\n11:memory:/kubepods/burstable/pod{UID}/{ID}\n1:name=systemd:/kubepods/burstable/pod{UID}/{ID}\n"
        );
        let l = super::super::cgroup::parse(lines.as_bytes());
        let c = k8s(Qos::Burstable, Some(ID), None, PodRole::Container);
        assert_eq!(of_lines(&l).map(|x| x.0), Some(c));
        assert_eq!(
            w(&format!("/kubepods/besteffort/pod{UID}/{ID}")),
            k8s(Qos::BestEffort, Some(ID), None, PodRole::Container)
        );
        assert_eq!(
            w(&format!("/kubepods/pod{UID}/{ID}")),
            k8s(Qos::Guaranteed, Some(ID), None, PodRole::Container)
        );
        assert_eq!(
            w(&format!("/kubepods/burstable/pod{UID}")),
            k8s(Qos::Burstable, None, None, PodRole::Pod)
        );
        // A static pod's UID is its config hash: 32 hex digits.
        let hash = "5e2c9d4f0a1b2c3d4e5f60718293a4b5";
        match w(&format!("/kubepods/burstable/pod{hash}/{ID}")) {
            Workload::Kubernetes { pod_uid, .. } => assert_eq!(pod_uid, hash),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn systemd_driver_every_runtime() {
        let pod =
            format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_}.slice");
        assert_eq!(
            w(&format!("{pod}/cri-containerd-{ID}.scope")),
            k8s(
                Qos::Burstable,
                Some(ID),
                Some("containerd"),
                PodRole::Container
            )
        );
        assert_eq!(
            w(&format!("{pod}/crio-{ID}.scope")),
            k8s(Qos::Burstable, Some(ID), Some("cri-o"), PodRole::Container)
        );
        assert_eq!(
            w(&format!("{pod}/crio-conmon-{ID}.scope")),
            k8s(
                Qos::Burstable,
                Some(ID),
                Some("cri-o"),
                PodRole::RuntimeMonitor
            )
        );
        assert_eq!(
            w(&format!("{pod}/docker-{ID}.scope")),
            k8s(Qos::Burstable, Some(ID), Some("docker"), PodRole::Container)
        );
        assert_eq!(
            w(&format!("{pod}/libpod-{ID}.scope")),
            k8s(Qos::Burstable, Some(ID), Some("podman"), PodRole::Container)
        );
        assert_eq!(w(&pod), k8s(Qos::Burstable, None, None, PodRole::Pod));
        // Guaranteed pods sit directly under kubepods.slice.
        assert_eq!(
            w(&format!(
                "/kubepods.slice/kubepods-pod{UID_}.slice/cri-containerd-{ID}.scope"
            )),
            k8s(
                Qos::Guaranteed,
                Some(ID),
                Some("containerd"),
                PodRole::Container
            )
        );
        assert_eq!(
            w(&format!(
                "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_}.slice/crio-{ID}.scope"
            )),
            k8s(Qos::BestEffort, Some(ID), Some("cri-o"), PodRole::Container)
        );
        // kind's nodes: the kubelet under kubelet.slice.
        assert_eq!(
            w(&format!(
                "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod{UID_}.slice/cri-containerd-{ID}.scope"
            )),
            k8s(
                Qos::BestEffort,
                Some(ID),
                Some("containerd"),
                PodRole::Container
            )
        );
        // A pod slice whose class disagrees with its parent's is not a pod.
        assert!(matches!(
            w(&format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod{UID_}.slice/crio-{ID}.scope"
            )),
            Workload::Container { .. }
        ));
    }

    #[test]
    fn containerd_colon_form() {
        let p = format!(
            "/system.slice/containerd.service/kubepods-burstable-pod{UID_}.slice:cri-containerd:{ID}"
        );
        assert_eq!(
            w(&p),
            k8s(
                Qos::Burstable,
                Some(ID),
                Some("containerd"),
                PodRole::Container
            )
        );
        let g = format!("/kubepods-pod{UID_}.slice:cri-containerd:{ID}");
        assert_eq!(
            w(&g),
            k8s(
                Qos::Guaranteed,
                Some(ID),
                Some("containerd"),
                PodRole::Container
            )
        );
        // A short id is not an id.
        let bad = format!("/kubepods-pod{UID_}.slice:cri-containerd:{}", &ID[..63]);
        assert!(matches!(w(&bad), Workload::Cgroup { .. }));
    }

    #[test]
    fn standalone_containers() {
        let docker = Workload::Container {
            runtime: "docker",
            id: ID.into(),
            monitor: false,
        };
        assert_eq!(w(&format!("/docker/{ID}")), docker);
        assert_eq!(w(&format!("/system.slice/docker-{ID}.scope")), docker);
        assert_eq!(
            w(&format!("/machine.slice/libpod-{ID}.scope/container")),
            Workload::Container {
                runtime: "podman",
                id: ID.into(),
                monitor: false
            }
        );
        assert_eq!(
            w(&format!(
                "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-{ID}.scope"
            )),
            Workload::Container {
                runtime: "podman",
                id: ID.into(),
                monitor: true
            }
        );
        assert_eq!(
            w(&format!("/system.slice/nerdctl-{ID}.scope")),
            Workload::Container {
                runtime: "containerd",
                id: ID.into(),
                monitor: false
            }
        );
        // /docker/ with something that is not an id: a plain cgroup.
        assert!(matches!(w("/docker/abc"), Workload::Cgroup { .. }));
        let upper = ID.to_uppercase();
        assert!(matches!(
            w(&format!("/docker/{upper}")),
            Workload::Cgroup { .. }
        ));
    }

    #[test]
    fn systemd_units() {
        let u = |s: &str| Workload::SystemdUnit {
            unit: s.as_bytes().to_vec(),
        };
        assert_eq!(w("/system.slice/nginx.service"), u("nginx.service"));
        assert_eq!(
            w("/user.slice/user-1000.slice/session-3.scope"),
            u("session-3.scope")
        );
        assert_eq!(
            w(
                "/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-0b3c.scope"
            ),
            u("vte-spawn-0b3c.scope")
        );
        assert_eq!(
            w("/user.slice/user-1000.slice/user@1000.service/init.scope"),
            u("init.scope")
        );
        assert_eq!(
            w("/system.slice/containerd.service/sub"),
            u("containerd.service")
        );
        // Slices are not units a process runs in.
        assert_eq!(
            w("/user.slice/user-1000.slice"),
            Workload::Cgroup {
                path: b"/user.slice/user-1000.slice".to_vec()
            }
        );
        assert_eq!(
            w("/"),
            Workload::Cgroup {
                path: b"/".to_vec()
            }
        );
        assert_eq!(
            w(""),
            Workload::Cgroup {
                path: b"/".to_vec()
            }
        );
        // A name with bytes systemd never allows is not a unit.
        assert!(matches!(
            w("/user.slice/evil\x1b[31m.service"),
            Workload::Cgroup { .. }
        ));
        assert!(matches!(w("/.service"), Workload::Cgroup { .. }));
    }

    #[test]
    fn private_namespace_prefix_stripped() {
        let p = format!("/../../kubepods/besteffort/pod{UID}/{ID}");
        let want = k8s(Qos::BestEffort, Some(ID), None, PodRole::Container);
        assert_eq!(w(&p), want);
        let l = super::super::cgroup::parse(format!("0::{p}\n").as_bytes());
        assert_eq!(of_lines(&l).map(|x| x.0), Some(want));
        assert_eq!(
            w("/../.."),
            Workload::Cgroup {
                path: b"/".to_vec()
            }
        );
    }

    #[test]
    fn delegated_subtree_cannot_pose_as_a_pod() {
        // A user can make this directory under their own user@.service.
        let p = format!(
            "/user.slice/user-1000.slice/user@1000.service/kubepods/burstable/pod{UID}/{ID}"
        );
        assert_eq!(
            w(&p),
            Workload::SystemdUnit {
                unit: b"user@1000.service".to_vec()
            }
        );
        // Near-miss shapes.
        for bad in [
            format!("/kubepods/burstable/pod{}/{ID}", &UID[..35]),
            format!("/kubepods/burstable/pod{UID_}/{ID}"),
            format!("/kubepods/burstable/pod{UID}/{}", &ID[1..]),
            format!("/kubepods/burstable/pod{UID}/{ID}0"),
            "/kubepods/burstable/pod/".to_string(),
        ] {
            assert!(matches!(w(&bad), Workload::Cgroup { .. }), "{bad}");
        }
    }

    #[test]
    fn of_lines_prefers_a_named_workload() {
        // cgroup v1 hybrid: the unified line says "/", memory says the pod.
        let t = format!("4:memory:/kubepods/pod{UID}/{ID}\n0::/\n");
        let l = super::super::cgroup::parse(t.as_bytes());
        assert!(matches!(
            of_lines(&l),
            Some((Workload::Kubernetes { .. }, _))
        ));
        // Captured on this host (cgroup v1): a login session.
        let l = super::super::cgroup::parse(
            b"9:name=systemd:/user.slice/user-0.slice/session-4.scope\n4:memory:/\n0::/\n",
        );
        assert_eq!(
            of_lines(&l),
            Some((
                Workload::SystemdUnit {
                    unit: b"session-4.scope".to_vec()
                },
                b"/user.slice/user-0.slice/session-4.scope".to_vec()
            ))
        );
        assert_eq!(of_lines(&[]), None);
    }

    #[test]
    fn kubelet_names() {
        let d = pod_dir(format!("payments_api-7d9_{UID}").as_bytes()).unwrap();
        assert_eq!(d.namespace, b"payments");
        assert_eq!(d.pod, b"api-7d9");
        assert_eq!(d.uid, UID);
        assert_eq!(pod_dir(b"payments_api-7d9"), None);
        assert_eq!(pod_dir(format!("a_b_c_{UID}").as_bytes()), None);
        assert_eq!(pod_dir(format!("_api_{UID}").as_bytes()), None);
        let c = container_log(format!("api-7d9_payments_api-server-{ID}.log").as_bytes()).unwrap();
        assert_eq!(c.pod, b"api-7d9");
        assert_eq!(c.namespace, b"payments");
        assert_eq!(c.container, b"api-server");
        assert_eq!(c.id, ID);
        assert_eq!(
            container_log(format!("api_payments_{ID}.log").as_bytes()),
            None
        );
        assert_eq!(container_log(b"x.log"), None);
        assert_eq!(container_log(b""), None);
    }
}
