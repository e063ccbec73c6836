//! `/replicas` and `/vmReplicaPoints` (failover).

use axum::http::Method;
use emrest_runtime::Node;

use super::{body, get_only, no_such, not_found, task_reply, unknown_action};
use crate::build::{entity_list, l, links, ref_list, shell, NodeExt, Vars, L};
use crate::data::PLATFORMS;
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::util::{iso, name_time, Kind};

const REPLICA_REF_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("Replica"),
        "{self}?format=Entity",
        Some("self"),
    ),
    l(
        "Down",
        Some("VmReplicaPointReferenceList"),
        "{self}/vmReplicaPoints",
        None,
    ),
];
/// Sample `replicas_id.1.xml`.
const REPLICA_LINKS: &[L] = &[
    l("Up", Some("RepositoryReference"), "{repo}", Some("repo")),
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("ReplicaReference"),
        "{self}",
        Some("self"),
    ),
    l(
        "Down",
        Some("VmReplicaPointReferenceList"),
        "{self}/vmReplicaPoints",
        None,
    ),
];
const POINT_REF_LINKS: &[L] = &[
    l("Up", Some("ReplicaReference"), "{replica}", Some("replica")),
    l(
        "Alternate",
        Some("VmReplicaPoint"),
        "{self}?format=Entity",
        Some("self"),
    ),
];
const POINT_LINKS: &[L] = &[
    l("Failover", None, "{self}?action=failover", None),
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Up", Some("ReplicaReference"), "{replica}", Some("replica")),
    l(
        "Alternate",
        Some("VmReplicaPointReference"),
        "{self}",
        Some("self"),
    ),
];

fn replica_path(sim: &Sim, r: u32) -> String {
    format!("/replicas/{}", sim.data.id(Kind::Replica, r))
}

fn point_path(sim: &Sim, p: u32) -> String {
    format!("/vmReplicaPoints/{}", sim.data.id(Kind::VmReplicaPoint, p))
}

/// `vm@yyyy-MM-dd HH:mm:ss`.
pub fn point_name(sim: &Sim, p: u32) -> String {
    let rp = &sim.data.replica_points[p as usize];
    format!(
        "{}@{}",
        sim.data.vms[rp.vm as usize].name,
        name_time(rp.time)
    )
}

fn replica_vars(sim: &Sim, req: &Req, r: u32) -> Vars {
    let job = &sim.data.jobs[sim.data.replicas[r as usize].job as usize];
    Vars::new()
        .set("self", req.url(&replica_path(sim, r)), Some(&job.name))
        .set(
            "server",
            req.url(&super::servers::path(sim, job.server)),
            Some(&sim.data.servers[job.server as usize].name),
        )
        .set(
            "repo",
            req.url(&format!(
                "/repositories/{}",
                sim.data.id(Kind::Repo, job.repo)
            )),
            Some(&sim.data.repos[job.repo as usize].name),
        )
}

/// Reference of replica `r`.
pub fn replica_ref(sim: &Sim, req: &Req, r: u32) -> Node {
    let job = &sim.data.jobs[sim.data.replicas[r as usize].job as usize];
    shell(
        "EntityRef",
        "ReplicaReference",
        &req.url(&replica_path(sim, r)),
        &job.name,
        &sim.data.uid("Replica", Kind::Replica, r),
        links(REPLICA_REF_LINKS, &replica_vars(sim, req, r)),
    )
}

/// Entity of replica `r`.
pub fn replica_entity(sim: &Sim, req: &Req, r: u32) -> Node {
    let job = &sim.data.jobs[sim.data.replicas[r as usize].job as usize];
    shell(
        "Replica",
        "Replica",
        &req.url(&format!("{}?format=Entity", replica_path(sim, r))),
        &job.name,
        &sim.data.uid("Replica", Kind::Replica, r),
        links(REPLICA_LINKS, &replica_vars(sim, req, r)),
    )
    .t("Platform", PLATFORMS[job.platform as usize])
}

/// A replica list.
pub fn replica_list(sim: &Sim, req: &Req, ids: &[u32]) -> Node {
    if req.entity() {
        entity_list(
            "Replicas",
            ids.iter().map(|r| replica_entity(sim, req, *r)).collect(),
        )
    } else {
        ref_list(ids.iter().map(|r| replica_ref(sim, req, *r)).collect())
    }
}

fn point_vars(sim: &Sim, req: &Req, p: u32) -> Vars {
    let rp = &sim.data.replica_points[p as usize];
    let job = &sim.data.jobs[sim.data.replicas[rp.replica as usize].job as usize];
    Vars::new()
        .set(
            "self",
            req.url(&point_path(sim, p)),
            Some(&point_name(sim, p)),
        )
        .set(
            "replica",
            req.url(&replica_path(sim, rp.replica)),
            Some(&job.name),
        )
        .set(
            "server",
            req.url(&super::servers::path(sim, job.server)),
            Some(&sim.data.servers[job.server as usize].name),
        )
}

/// Reference of VM replica point `p`.
pub fn point_ref(sim: &Sim, req: &Req, p: u32) -> Node {
    shell(
        "EntityRef",
        "VmReplicaPointReference",
        &req.url(&point_path(sim, p)),
        &point_name(sim, p),
        &sim.data.uid("VmReplicaPoint", Kind::VmReplicaPoint, p),
        links(POINT_REF_LINKS, &point_vars(sim, req, p)),
    )
}

/// Entity of VM replica point `p`.
pub fn point_entity(sim: &Sim, req: &Req, p: u32) -> Node {
    let rp = &sim.data.replica_points[p as usize];
    let vm = &sim.data.vms[rp.vm as usize];
    shell(
        "VmReplicaPoint",
        "VmReplicaPoint",
        &req.url(&format!("{}?format=Entity", point_path(sim, p))),
        &point_name(sim, p),
        &sim.data.uid("VmReplicaPoint", Kind::VmReplicaPoint, p),
        links(POINT_LINKS, &point_vars(sim, req, p)),
    )
    .a("VmDisplayName", vm.name.clone())
    .t("CreationTimeUTC", iso(rp.time))
    .t("VmName", vm.name.clone())
    .t("PointType", "Full")
    .t("HierarchyObjRef", vm.hier_ref.clone())
}

fn point_list(sim: &Sim, req: &Req, ids: &[u32]) -> Node {
    if req.entity() {
        entity_list(
            "VmReplicaPoints",
            ids.iter().map(|p| point_entity(sim, req, *p)).collect(),
        )
    } else {
        ref_list(ids.iter().map(|p| point_ref(sim, req, *p)).collect())
    }
}

fn live_replicas(sim: &Sim) -> Vec<u32> {
    (0..sim.data.replicas.len() as u32)
        .filter(|r| sim.data.job_alive(sim.data.replicas[*r as usize].job))
        .collect()
}

/// Routes `/replicas...` and `/vmReplicaPoints...`.
pub fn route(sim: &mut Sim, req: &Req, segs: &[&str]) -> ApiResult {
    match segs {
        ["replicas"] => {
            get_only(req)?;
            let ids = live_replicas(sim);
            Ok(Reply::ok(replica_list(sim, req, &ids)))
        }
        ["replicas", id, rest @ ..] => {
            let r = sim
                .data
                .find(Kind::Replica, id, sim.data.replicas.len())
                .filter(|r| live_replicas(sim).contains(r))
                .ok_or_else(|| no_such("Replica", id))?;
            get_only(req)?;
            match rest {
                [] => Ok(Reply::ok(if req.entity() {
                    replica_entity(sim, req, r)
                } else {
                    replica_ref(sim, req, r)
                })),
                ["vmreplicapoints"] => {
                    let ids: Vec<u32> = (0..sim.data.replica_points.len() as u32)
                        .filter(|p| sim.data.replica_points[*p as usize].replica == r)
                        .collect();
                    Ok(Reply::ok(point_list(sim, req, &ids)))
                }
                _ => Err(not_found()),
            }
        }
        ["vmreplicapoints"] => {
            get_only(req)?;
            let ids: Vec<u32> = (0..sim.data.replica_points.len() as u32).collect();
            Ok(Reply::ok(point_list(sim, req, &ids)))
        }
        ["vmreplicapoints", id] => {
            let p = sim
                .data
                .find(Kind::VmReplicaPoint, id, sim.data.replica_points.len())
                .ok_or_else(|| no_such("VM replica point", id))?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    Ok(Reply::ok(if req.entity() {
                        point_entity(sim, req, p)
                    } else {
                        point_ref(sim, req, p)
                    }))
                }
                Method::POST => match req.action().as_deref() {
                    Some("failover") => {
                        req.require_admin()?;
                        if !req.body.is_empty() {
                            body(req)?;
                        }
                        sim.count(
                            "vmReplicaPoints",
                            sim.data.id(Kind::VmReplicaPoint, p),
                            "failover",
                        );
                        let vm = sim.data.vms[sim.data.replica_points[p as usize].vm as usize]
                            .name
                            .clone();
                        task_reply(
                            sim,
                            req,
                            "StartReplicaFailover",
                            true,
                            format!("Failover of \"{vm}\" started."),
                            vec![],
                        )
                    }
                    a => Err(unknown_action(a)),
                },
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        _ => Err(not_found()),
    }
}
