//! The cgroup a `watch` of a workload watches: `--cgroup PATH`, `pod:NAME`
//! (a pod by name, namespace/name or UID) and `container:ID` (an id or its
//! unique prefix of at least 12 hex digits). Pods and containers are found
//! from their cgroups (`reader::ProcFs::kubepods_cgroups`) and named from
//! the kubelet's directories (`--pods-dir`); which one is meant is
//! `analysis::watch::pick_pod` / `pick_container`; the errors' words are
//! `render::watch`'s.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::context::Ctx;
use super::watch::WatchTarget;
use crate::analysis::watch::{self as model, Pick};
use crate::analysis::workload::{Kind, WorkloadReport};
use crate::error::CliError;
use crate::parse::workload::from_cgroup_path;
use crate::reader::CgroupTarget;
use crate::render::watch as words;

/// The cgroup `t` names, and its workload on one line (None for a plain
/// cgroup).
pub fn resolve(ctx: &Ctx, t: &WatchTarget) -> Result<(CgroupTarget, Option<String>), CliError> {
    match t {
        WatchTarget::Cgroup(path) => {
            let target = ctx
                .fs
                .cgroup_target(path)
                .ok_or_else(|| words::no_such_cgroup(path))?;
            let mut w = WorkloadReport::new(&from_cgroup_path(&target.path), &target.path);
            let line = (w.kind != Kind::Cgroup).then(|| {
                name(ctx, std::slice::from_mut(&mut w));
                crate::render::workload::line(&w)
            });
            Ok((target, line))
        }
        WatchTarget::Pod(pod) => {
            let mut c = candidates(ctx);
            name(ctx, &mut c);
            match model::pick_pod(&c, pod) {
                Ok(i) => found(ctx, &c[i]),
                Err(Pick::NotFound) => Err(words::no_such_pod(pod)),
                Err(Pick::Ambiguous(all)) => {
                    let all: Vec<&WorkloadReport> = all.iter().map(|&i| &c[i]).collect();
                    Err(words::ambiguous_pod(pod, &all))
                }
                Err(Pick::NotAnId) => Err(words::no_such_pod(pod)),
            }
        }
        WatchTarget::Container(id) => {
            let mut c = candidates(ctx);
            match model::pick_container(&c, id) {
                Ok(i) => {
                    name(ctx, std::slice::from_mut(&mut c[i]));
                    found(ctx, &c[i])
                }
                Err(Pick::NotFound) => Err(words::no_such_container(id)),
                Err(Pick::NotAnId) => Err(words::not_a_container_id(id)),
                Err(Pick::Ambiguous(all)) => {
                    let mut all: Vec<WorkloadReport> = all.iter().map(|&i| c[i].clone()).collect();
                    name(ctx, &mut all);
                    let all: Vec<&WorkloadReport> = all.iter().collect();
                    Err(words::ambiguous_container(id, &all))
                }
            }
        }
        WatchTarget::Process(_) => Err(CliError::new("not a cgroup target")),
    }
}

/// Every Kubernetes pod and container cgroup here.
fn candidates(ctx: &Ctx) -> Vec<WorkloadReport> {
    ctx.fs
        .kubepods_cgroups()
        .iter()
        .map(|p| WorkloadReport::new(&from_cgroup_path(p), p))
        .filter(|w| w.kind == Kind::Kubernetes)
        .collect()
}

/// Name the workloads from the kubelet's directories.
fn name(ctx: &Ctx, ws: &mut [WorkloadReport]) {
    let mut uids: Vec<&str> = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    for w in ws.iter() {
        if let Some((uid, id)) = w.wanted() {
            uids.push(uid);
            ids.extend(id);
        }
    }
    uids.sort_unstable();
    uids.dedup();
    ids.sort_unstable();
    ids.dedup();
    if uids.is_empty() {
        return;
    }
    let names = crate::reader::pods::kubelet_names(&ctx.pods_dir, &uids, &ids);
    for w in ws.iter_mut() {
        w.name_from(&names);
    }
}

/// The cgroup of a pod or container found.
fn found(ctx: &Ctx, w: &WorkloadReport) -> Result<(CgroupTarget, Option<String>), CliError> {
    let path = Path::new(OsStr::from_bytes(&w.cgroup.0));
    let target = ctx
        .fs
        .cgroup_target(path)
        .ok_or_else(|| words::no_such_cgroup(path))?;
    Ok((target, Some(crate::render::workload::line(w))))
}
