//! The query service: `/querySvc` and `/query?type=...&filter=...&sortAsc=...&pageSize=...`.
//!
//! Every queryable type is one row of [`TYPES`]: how to enumerate its objects, read a field,
//! and render a reference or an entity. Its filterable fields, the plural element of its
//! entities and the order of its enum values come from the spec (`query_fields`,
//! `query_plural`, `[enums]`).

use std::borrow::Cow;

use axum::http::StatusCode;
use emrest_codegen::ir::{QueryIr, Ty, TypeIr};
use emrest_runtime::Node;

use super::spec_query;
use super::{get_only, sessions, task_node};
use crate::build::{as_item, el, link, links_node, plain, NodeExt};
use crate::data::{
    JobType, ALGORITHMS, JOB_TYPES, PLATFORMS, POINT_TYPES, RESULTS, SESSION_STATES, S_STOPPED,
    TASK_STATES,
};
use crate::filter::{compare_vals, parse, Expr, Paging, Record, Val};
use crate::http::Req;
use crate::page::{write_page, Hole, ItemFn, Items};
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::spec;
use crate::util::{pct_encode, Kind};

/// Default page size (what every captured EM result shows).
pub const DEFAULT_PAGE_SIZE: usize = 100;

type FieldFn = for<'a> fn(&'a Sim, u32, &str) -> Option<Val<'a>>;
type RenderFn = fn(&Sim, &Req, u32) -> Node;

/// One queryable type.
pub struct QType {
    /// `type=` name.
    pub name: &'static str,
    /// Objects visible to the caller.
    pub ids: fn(&Sim, &Req) -> Vec<u32>,
    /// Field accessor (field name in lower case).
    pub field: FieldFn,
    /// Reference form.
    pub reference: RenderFn,
    /// Entity form.
    pub entity: RenderFn,
    /// Entity form written as a stream (query pages); `None`: one node per item, written into
    /// the page's buffer (`page::Items::Nodes`).
    pub entity_to: Option<ItemFn>,
    /// Reference form written as a stream.
    pub reference_to: Option<ItemFn>,
}

fn s<'a>(v: impl Into<Cow<'a, str>>) -> Val<'a> {
    Val::Str(v.into())
}

fn t(secs: i64) -> Val<'static> {
    Val::Time(if secs == 0 { None } else { Some(secs * 1000) })
}

fn server_fields(sim: &Sim, server: u32, f: &str) -> Option<Val<'static>> {
    match f {
        "backupserveruid" => Some(s(sim.data.uid("BackupServer", Kind::Server, server))),
        "backupservername" => Some(s(sim.data.servers[server as usize].name.clone())),
        _ => None,
    }
}

fn job_field<'a>(sim: &'a Sim, j: u32, f: &str) -> Option<Val<'a>> {
    let job = &sim.data.jobs[j as usize];
    Some(match f {
        "uid" => s(sim.data.uid("Job", Kind::Job, j)),
        "name" => s(job.name.as_str()),
        "description" => s(job.description.as_str()),
        "nextrun" => t(job.next_run.filter(|_| job.schedule_enabled).unwrap_or(0)),
        "jobtype" => en("JobType", JOB_TYPES, job.jtype as usize),
        "platform" => en("Platform", PLATFORMS, job.platform as usize),
        "scheduleconfigured" => Val::Bool(job.schedule_configured),
        "scheduleenabled" => Val::Bool(job.schedule_enabled),
        _ => return server_fields(sim, job.server, f),
    })
}

fn session_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let sess = &sim.data.sessions[i as usize];
    let job = &sim.data.jobs[sess.job as usize];
    let ty = if job.jtype == JobType::Replica {
        "ReplicaJobSession"
    } else {
        "BackupJobSession"
    };
    Some(match f {
        "uid" => s(sim.data.uid(ty, Kind::Session, i)),
        "name" => s(sessions::session_name(sim, i)),
        "jobtype" => en("JobType", JOB_TYPES, job.jtype as usize),
        "jobuid" => s(sim.data.uid("Job", Kind::Job, sess.job)),
        "jobname" => s(job.name.as_str()),
        "creationtime" => t(sess.start),
        "endtime" => t(if sess.state == S_STOPPED { sess.end } else { 0 }),
        "state" => en("SessionState", SESSION_STATES, sess.state as usize),
        "result" => en("JobResult", RESULTS, sess.result as usize),
        "isretry" => Val::Bool(sess.is_retry),
        "progress" => Val::Int(sess.progress as i64),
        _ => return server_fields(sim, job.server, f),
    })
}

fn task_session_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let sid = sim.data.task_session(i);
    let sess = &sim.data.sessions[sid as usize];
    let job = &sim.data.jobs[sess.job as usize];
    let (start, end) = sim.data.task_times(i);
    let ty = if job.jtype == JobType::Replica {
        ("ReplicaTaskSession", "ReplicaJobSession")
    } else {
        ("BackupTaskSession", "BackupJobSession")
    };
    Some(match f {
        "uid" => s(sim.data.uid(ty.0, Kind::TaskSession, i)),
        "name" => s(sessions::task_name(sim, i)),
        "creationtime" => t(start),
        "endtime" => t(end),
        "state" => en(
            "TaskSessionState",
            TASK_STATES,
            if sess.state == S_STOPPED { 2 } else { 0 },
        ),
        "result" => en("JobResult", RESULTS, sim.data.task_result(i) as usize),
        "reason" => s(""),
        "totalsize" => Val::Int(sim.data.task_size(i)),
        "jobsessionuid" => s(sim.data.uid(ty.1, Kind::Session, sid)),
        "jobuid" => s(sim.data.uid("Job", Kind::Job, sess.job)),
        "jobname" => s(job.name.as_str()),
        "vmdisplayname" => s(sim.data.vms[sim.data.task_vm[i as usize] as usize]
            .name
            .as_str()),
        _ => return server_fields(sim, job.server, f),
    })
}

fn server_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let srv = &sim.data.servers[i as usize];
    Some(match f {
        "uid" => s(sim.data.uid("BackupServer", Kind::Server, i)),
        "name" | "ipordnsname" => s(srv.name.as_str()),
        "description" => s(srv.description.as_str()),
        "port" => Val::Int(srv.port as i64),
        "version" => s(srv.version.as_str()),
        _ => return None,
    })
}

fn repo_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let r = &sim.data.repos[i as usize];
    Some(match f {
        "uid" => s(sim.data.uid("Repository", Kind::Repo, i)),
        "name" => s(r.name.as_str()),
        "capacity" => Val::Int(r.capacity),
        "freespace" => Val::Int(r.free),
        "kind" => s(r.kind),
        _ => return server_fields(sim, r.server, f),
    })
}

fn rp_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let rp = &sim.data.restore_points[i as usize];
    let job = sim.data.backups[rp.backup as usize].job;
    Some(match f {
        "uid" => s(sim.data.uid("RestorePoint", Kind::RestorePoint, i)),
        "name" => s(super::restore::rp_name(sim, i)),
        "creationtime" | "backupdate" => t(rp.time),
        "backupuid" => s(sim.data.uid("Backup", Kind::Backup, rp.backup)),
        "jobname" | "backupname" => s(sim.data.jobs[job as usize].name.as_str()),
        _ => return server_fields(sim, sim.data.jobs[job as usize].server, f),
    })
}

fn vrp_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let p = sim.data.vrp_point(i);
    let rp = &sim.data.restore_points[p as usize];
    let vm = &sim.data.vms[sim.data.vrp_vm[i as usize] as usize];
    let job = sim.data.backups[rp.backup as usize].job;
    Some(match f {
        "uid" => s(sim.data.uid("VmRestorePoint", Kind::VmRestorePoint, i)),
        "name" => s(super::restore::vrp_name(sim, i)),
        "creationtime" => t(rp.time),
        "type" | "pointtype" => en("RestorePointType", POINT_TYPES, usize::from(!rp.full)),
        "algorithm" => en(
            "RestorePointAlgorithm",
            ALGORITHMS,
            if rp.full { 0 } else { 2 },
        ),
        "restorepointid" | "restorepointuid" => {
            s(sim.data.uid("RestorePoint", Kind::RestorePoint, p))
        }
        "restorepointname" => s(super::restore::rp_name(sim, p)),
        "vmdisplayname" | "vmname" => s(vm.name.as_str()),
        "hierarchyobjref" => s(vm.hier_ref.as_str()),
        _ => return server_fields(sim, sim.data.jobs[job as usize].server, f),
    })
}

fn restore_session_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let r = &sim.data.restore_sessions[i as usize];
    Some(match f {
        "uid" => s(sim.data.uid("RestoreSession", Kind::RestoreSession, i)),
        "name" => s(r.name.as_str()),
        "jobtype" => s(r.kind),
        "creationtime" => t(r.start),
        "endtime" => t(r.end),
        "state" => en("SessionState", SESSION_STATES, r.state as usize),
        "result" => en("JobResult", RESULTS, r.result as usize),
        "type" => s(r.kind),
        "vmdisplayname" => s(sim.data.vms[sim.data.vrp_vm[r.vrp as usize] as usize]
            .name
            .as_str()),
        _ => {
            let vm = &sim.data.vms[sim.data.vrp_vm[r.vrp as usize] as usize];
            return server_fields(sim, vm.server, f);
        }
    })
}

fn replica_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let job = sim.data.replicas[i as usize].job;
    let j = &sim.data.jobs[job as usize];
    Some(match f {
        "uid" => s(sim.data.uid("Replica", Kind::Replica, i)),
        "name" => s(j.name.as_str()),
        "platform" => en("Platform", PLATFORMS, j.platform as usize),
        "jobuid" => s(sim.data.uid("Job", Kind::Job, job)),
        "jobname" => s(j.name.as_str()),
        "repositoryuid" => s(sim.data.uid("Repository", Kind::Repo, j.repo)),
        "repositoryname" => s(sim.data.repos[j.repo as usize].name.as_str()),
        _ => return server_fields(sim, j.server, f),
    })
}

fn replica_point_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let p = &sim.data.replica_points[i as usize];
    let vm = &sim.data.vms[p.vm as usize];
    Some(match f {
        "uid" => s(sim.data.uid("VmReplicaPoint", Kind::VmReplicaPoint, i)),
        "name" => s(super::replicas::point_name(sim, i)),
        "creationtime" => t(p.time),
        "vmdisplayname" | "vmname" => s(vm.name.as_str()),
        "hierarchyobjref" => s(vm.hier_ref.as_str()),
        // Replica points are snapshots made by replication runs.
        "type" => en("RestorePointType", POINT_TYPES, 0),
        "algorithm" => en("RestorePointAlgorithm", ALGORITHMS, 2),
        "replicauid" => s(sim.data.uid("Replica", Kind::Replica, p.replica)),
        "replicaname" => {
            let job = sim.data.replicas[p.replica as usize].job;
            s(sim.data.jobs[job as usize].name.as_str())
        }
        _ => return server_fields(sim, vm.server, f),
    })
}

fn backup_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let b = &sim.data.backups[i as usize];
    let job = &sim.data.jobs[b.job as usize];
    Some(match f {
        "uid" => s(sim.data.uid("Backup", Kind::Backup, i)),
        "name" | "jobname" => s(job.name.as_str()),
        "platform" => en("Platform", PLATFORMS, job.platform as usize),
        "backuptype" => s("Standard"),
        "repositoryuid" => s(sim.data.uid("Repository", Kind::Repo, b.repo)),
        _ => return server_fields(sim, job.server, f),
    })
}

fn plan_field<'a>(sim: &'a Sim, i: u32, f: &str) -> Option<Val<'a>> {
    let p = &sim.data.plans[i as usize];
    Some(match f {
        "uid" => s(sim.data.uid("CloudFailoverPlan", Kind::CloudPlan, i)),
        "name" => s(p.name.as_str()),
        "description" => s(p.description.as_str()),
        "tenantname" | "cloudtenantname" => s(p.tenant.as_str()),
        "cloudtenantuid" => s(format!(
            "urn:veeam:CloudTenant:{}",
            crate::store::seed_id(sim.data.seed, &p.tenant, 0)
        )),
        _ => return server_fields(sim, p.server, f),
    })
}

fn task_field<'a>(sim: &'a Sim, n: u32, f: &str) -> Option<Val<'a>> {
    const STATES: &[&str] = &["Running", "OperationFinished", "Finished"];
    let task = sim.tasks.get(&(n as u64))?;
    Some(match f {
        "taskid" => s(format!("task-{n}")),
        "state" => en("TaskState", STATES, if task.finished() { 2 } else { 0 }),
        "operation" => s(task.operation),
        _ => return None,
    })
}

fn all(n: usize) -> Vec<u32> {
    (0..n as u32).collect()
}

fn task_entity(sim: &Sim, req: &Req, n: u32) -> Node {
    task_node(sim, req, n as u64).unwrap_or_else(|| el("Task"))
}

/// The queryable types.
pub static TYPES: &[QType] = &[
    QType {
        name: "Job",
        ids: |sim, _| super::jobs::live(sim, None),
        field: job_field,
        reference: super::jobs::reference,
        entity: super::jobs::entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "BackupJobSession",
        ids: |sim, _| sessions::sessions_of(sim, false),
        field: session_field,
        reference: sessions::session_ref,
        entity: sessions::session_entity,
        entity_to: Some(sessions::session_entity_to),
        reference_to: Some(sessions::session_ref_to),
    },
    QType {
        name: "ReplicaJobSession",
        ids: |sim, _| sessions::sessions_of(sim, true),
        field: session_field,
        reference: sessions::session_ref,
        entity: sessions::session_entity,
        entity_to: Some(sessions::session_entity_to),
        reference_to: Some(sessions::session_ref_to),
    },
    QType {
        name: "BackupTaskSession",
        ids: |sim, _| sessions::tasks_of(sim, false),
        field: task_session_field,
        reference: sessions::task_ref,
        entity: sessions::task_entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "ReplicaTaskSession",
        ids: |sim, _| sessions::tasks_of(sim, true),
        field: task_session_field,
        reference: sessions::task_ref,
        entity: sessions::task_entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "BackupServer",
        ids: |sim, _| super::servers::live(sim),
        field: server_field,
        reference: super::servers::reference,
        entity: super::servers::entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "Repository",
        ids: |sim, _| all(sim.data.repos.len()),
        field: repo_field,
        reference: super::restore::repo_ref,
        entity: super::restore::repo_entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "RestorePoint",
        ids: |sim, _| all(sim.data.restore_points.len()),
        field: rp_field,
        reference: super::restore::rp_ref,
        entity: super::restore::rp_entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "VmRestorePoint",
        ids: |sim, _| all(sim.data.vrp_vm.len()),
        field: vrp_field,
        reference: super::restore::vrp_ref,
        entity: super::restore::vrp_entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "RestoreSession",
        ids: |sim, _| all(sim.data.restore_sessions.len()),
        field: restore_session_field,
        reference: super::restore::rs_ref,
        entity: super::restore::rs_entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "Replica",
        ids: |sim, _| {
            (0..sim.data.replicas.len() as u32)
                .filter(|r| sim.data.job_alive(sim.data.replicas[*r as usize].job))
                .collect()
        },
        field: replica_field,
        reference: super::replicas::replica_ref,
        entity: super::replicas::replica_entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "VmReplicaPoint",
        ids: |sim, _| all(sim.data.replica_points.len()),
        field: replica_point_field,
        reference: super::replicas::point_ref,
        entity: super::replicas::point_entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "Backup",
        ids: |sim, _| all(sim.data.backups.len()),
        field: backup_field,
        reference: super::restore::backup_ref,
        entity: super::restore::backup_entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "CloudFailoverPlan",
        ids: |sim, _| all(sim.data.plans.len()),
        field: plan_field,
        reference: super::cloud::reference,
        entity: super::cloud::entity,
        entity_to: None,
        reference_to: None,
    },
    QType {
        name: "Task",
        ids: |sim, req| {
            sim.tasks
                .values()
                .filter(|t| t.logon == req.logon_id())
                .map(|t| t.n as u32)
                .collect()
        },
        field: task_field,
        reference: task_entity,
        entity: task_entity,
        entity_to: None,
        reference_to: None,
    },
];

/// Finds a hand-written type by name (case-insensitive).
pub fn qtype(name: &str) -> Option<&'static QType> {
    TYPES.iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

/// A query type: a hand-written entry of [`TYPES`], or a type of the spec answered from the
/// spec alone (`api::spec_query`).
#[derive(Clone, Copy)]
enum Q {
    Hand(&'static QType),
    Spec(&'static TypeIr),
}

impl Q {
    /// Finds a query type of either kind by its `type=` name (case-insensitive).
    fn find(name: &str) -> Option<Q> {
        match qtype(name) {
            Some(t) => Some(Q::Hand(t)),
            None => spec::get().query_type(name).map(Q::Spec),
        }
    }

    /// The `type=` name.
    fn name(self) -> &'static str {
        match self {
            Q::Hand(t) => t.name,
            Q::Spec(ty) => ty
                .query
                .as_ref()
                .map_or(ty.name.as_str(), |q| q.name.as_str()),
        }
    }

    /// The spec's query facts (filterable fields, plural).
    fn ir(self) -> Option<&'static QueryIr> {
        match self {
            Q::Hand(t) => query_ir(t),
            Q::Spec(ty) => ty.query.as_ref(),
        }
    }

    /// The spec type of the items.
    fn ty(self) -> Option<&'static TypeIr> {
        match self {
            Q::Hand(t) => spec::get().query_type(t.name),
            Q::Spec(ty) => Some(ty),
        }
    }

    /// The element listing the items under `Entities`: the result's entities slot of the
    /// type (`AgentBackupJob`, `CloudPublicIps`), else the spec's plural.
    fn plural(self) -> &'static str {
        let spec = spec::get();
        let slot = self.ty().and_then(|ty| {
            let result = spec.ty(&spec.ir.api.query.result)?;
            let ents = result
                .fields
                .iter()
                .find(|f| f.xml == spec.ir.api.query.entities)?;
            let Ty::Type(et) = &ents.ty else { return None };
            spec.ty(et)?
                .fields
                .iter()
                .find(|f| matches!(&f.ty, Ty::Type(u) if *u == ty.name))
                .map(|f| f.xml.as_str())
        });
        slot.or_else(|| self.ir().map(|q| q.plural.as_str()))
            .unwrap_or(self.name())
    }
}

/// The `type=` names of every query type: the spec's, in its order, then any hand-written
/// type the spec does not declare.
pub fn type_names() -> Vec<&'static str> {
    let spec = spec::get();
    let mut out: Vec<&'static str> = spec
        .ir
        .types
        .iter()
        .filter_map(|t| t.query.as_ref().map(|q| q.name.as_str()))
        .collect();
    for t in TYPES {
        if !out.iter().any(|n| n.eq_ignore_ascii_case(t.name)) {
            out.push(t.name);
        }
    }
    out
}

/// `GET /querySvc`: a link per query type (sorted by name when `Name` is filterable).
pub fn query_svc(req: &Req) -> ApiResult {
    get_only(req)?;
    let href = req.url("/querySvc");
    let mut ls = vec![link(
        "Up",
        &req.url(&format!("/logonSessions/{}", req.logon_id())),
        Some("LogonSession"),
        None,
    )];
    for name in type_names() {
        let by_name = Q::find(name)
            .and_then(Q::ir)
            .is_some_and(|q| q.fields.iter().any(|(f, _)| f.eq_ignore_ascii_case("name")));
        let sort = if by_name { "&sortAsc=name" } else { "" };
        ls.push(link(
            "Down",
            &req.url(&format!(
                "/query?type={name}&format=Entities{sort}&pageSize={DEFAULT_PAGE_SIZE}&page=1"
            )),
            Some("QueryResult"),
            Some(name),
        ));
    }
    Ok(Reply::ok(plain(
        "QuerySvc",
        "QueryService",
        &href,
        links_node(ls),
    )))
}

struct Rec<'a> {
    sim: &'a Sim,
    i: u32,
    f: FieldFn,
}

impl Record for Rec<'_> {
    fn field(&self, field: &str) -> Option<Val<'_>> {
        (self.f)(self.sim, self.i, field)
    }
}

/// The spec's query facts of `t` (filterable fields, plural).
fn query_ir(t: &QType) -> Option<&'static emrest_codegen::ir::QueryIr> {
    spec::get().query_type(t.name)?.query.as_ref()
}

/// 400 unless `f` is one of the type's filterable fields in the spec (case-insensitive).
fn check_field(t: Q, f: &str) -> Result<(), ApiError> {
    let fields: Vec<&str> = t
        .ir()
        .map(|q| q.fields.iter().map(|(n, _)| n.as_str()).collect())
        .unwrap_or_default();
    if fields.iter().any(|x| x.eq_ignore_ascii_case(f)) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Unknown field [{f}] for type [{}]. Known fields: {}.",
            t.name(),
            fields.join(", ")
        )))
    }
}

/// A data-set enum value placed in the spec's enum `spec_enum`: the query service compares
/// enum values by the spec's declaration order.
fn en(spec_enum: &str, table: &'static [&'static str], i: usize) -> Val<'static> {
    let spec = spec::get();
    let name = table.get(i).copied().unwrap_or("");
    match spec.enum_index(spec_enum, name) {
        Some(k) => Val::Enum(k, spec.enum_values(spec_enum)),
        None => Val::Enum(i, table),
    }
}

fn positive(req: &Req, name: &str, default: usize) -> Result<usize, ApiError> {
    match req.param(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                ApiError::bad_request(format!("Parameter [{name}] must be a positive integer."))
            }),
    }
}

/// The paging link of page `page`: the original parameters in order, `pageSize`/`page`
/// replaced (or appended).
fn page_href(req: &Req, size: usize, page: usize) -> String {
    let mut parts = Vec::new();
    let (mut has_size, mut has_page) = (false, false);
    for (k, v) in &req.query {
        if k.eq_ignore_ascii_case("pageSize") {
            has_size = true;
            parts.push(format!("{k}={size}"));
        } else if k.eq_ignore_ascii_case("page") {
            has_page = true;
            parts.push(format!("{k}={page}"));
        } else {
            parts.push(format!("{}={}", pct_encode(k), pct_encode(v)));
        }
    }
    if !has_size {
        parts.push(format!("pageSize={size}"));
    }
    if !has_page {
        parts.push(format!("page={page}"));
    }
    req.url(&format!("/query?{}", parts.join("&")))
}

/// `GET /query?type=...`.
pub fn query(sim: &mut Sim, req: &Req) -> ApiResult {
    query_with(sim, req, true)
}

/// What a query asks for beyond its type: filter, sort, page.
struct Ask {
    filter: Option<Expr>,
    sort: Option<(String, bool)>,
    size: usize,
    page: usize,
}

/// Reads and checks the query's parameters against the type's filterable fields.
fn ask(req: &Req, t: Q) -> Result<Ask, ApiError> {
    let filter: Option<Expr> = match req.param("filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => {
            let e = parse(f).map_err(ApiError::bad_request)?;
            for field in e.fields() {
                check_field(t, field)?;
            }
            Some(e)
        }
        None => None,
    };
    let sort = match (req.param("sortAsc"), req.param("sortDesc")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "Only one of [sortAsc] and [sortDesc] can be given.",
            ))
        }
        (Some(f), None) => Some((f.to_ascii_lowercase(), false)),
        (None, Some(f)) => Some((f.to_ascii_lowercase(), true)),
        (None, None) => None,
    };
    if let Some((f, _)) = &sort {
        check_field(t, f)?;
    }
    Ok(Ask {
        filter,
        sort,
        size: positive(req, "pageSize", DEFAULT_PAGE_SIZE)?,
        page: positive(req, "page", 1)?,
    })
}

/// The indices `0..n` of records kept by the filter and in the sort's order (`rec(i)` is
/// record `i`).
fn select<R: Record>(
    n: usize,
    ask: &Ask,
    rec: impl Fn(usize) -> R,
) -> Result<Vec<usize>, ApiError> {
    let mut kept: Vec<usize> = Vec::with_capacity(n.min(4096));
    for i in 0..n {
        let keep = match &ask.filter {
            Some(e) => e.eval(&rec(i)).map_err(ApiError::bad_request)?,
            None => true,
        };
        if keep {
            kept.push(i);
        }
    }
    if let Some((f, desc)) = &ask.sort {
        let recs: Vec<R> = kept.iter().map(|i| rec(*i)).collect();
        let mut order: Vec<usize> = (0..kept.len()).collect();
        let keys: Vec<Val<'_>> = recs
            .iter()
            .map(|r| r.field(f).unwrap_or(Val::Int(0)))
            .collect();
        order.sort_by(|a, b| {
            let o = compare_vals(&keys[*a], &keys[*b]);
            if *desc {
                o.reverse()
            } else {
                o
            }
        });
        kept = order.into_iter().map(|k| kept[k]).collect();
    }
    Ok(kept)
}

/// `GET /query?type=...`, the page streamed when `stream` and the type's family can.
fn query_with(sim: &mut Sim, req: &Req, stream: bool) -> ApiResult {
    get_only(req)?;
    let tname = req
        .param("type")
        .ok_or_else(|| ApiError::bad_request("The [type] parameter is required."))?;
    let q = Q::find(tname)
        .ok_or_else(|| ApiError::bad_request(format!("Query type [{tname}] is not supported.")))?;
    let ask = ask(req, q)?;
    let t = match q {
        Q::Hand(t) => t,
        Q::Spec(ty) => return spec_page(sim, req, q, ty, &ask, stream),
    };
    let ids = {
        let sim: &Sim = sim;
        let ids = (t.ids)(sim, req);
        if ask.filter.is_none() && ask.sort.is_none() {
            // Nothing to keep out or reorder: the ids as they are (a 100,000-session page
            // walk would otherwise copy every id twice per page).
            ids
        } else {
            let kept = select(ids.len(), &ask, |k| Rec {
                sim,
                i: ids[k],
                f: t.field,
            })?;
            kept.into_iter().map(|k| ids[k]).collect::<Vec<u32>>()
        }
    };
    let p = Paging::new(ids.len(), ask.size, ask.page);
    let slice = &ids[p.start..p.end];
    let plural = q.plural();
    // The page written into one buffer: its items streamed by the family's builder when it
    // has one (no node per item), else built one node at a time.
    let items = match (req.entity(), t.entity_to, t.reference_to) {
        (true, Some(f), _) | (false, _, Some(f)) => Items::Stream(f),
        (true, None, _) => Items::Nodes(t.entity),
        (false, _, None) => Items::Nodes(t.reference),
    };
    if stream && !sim.behaviour.newer_content {
        if let Some(body) = write_one(sim, req, &p, plural, slice, items) {
            return Ok(Reply::Written(StatusCode::OK, req.fmt, body));
        }
    }
    let sim: &Sim = sim;
    let nodes = slice
        .iter()
        .map(|i| {
            if req.entity() {
                (t.entity)(sim, req, *i)
            } else {
                (t.reference)(sim, req, *i)
            }
        })
        .collect();
    Ok(Reply::ok(page_frame(
        req,
        &p,
        list_node(req, plural, nodes),
    )))
}

/// The page `p` written into one buffer, `None` when it must be written as nodes.
fn write_one(
    sim: &mut Sim,
    req: &Req,
    p: &Paging,
    plural: &'static str,
    slice: &[u32],
    items: Items<'_>,
) -> Option<String> {
    let (frame, hole) = if req.entity() {
        (
            page_frame(req, p, el("Entities").ch(el(plural))),
            Hole::Entities(plural),
        )
    } else {
        (page_frame(req, p, refs_node(Vec::new())), Hole::Refs)
    };
    write_page(sim, req, frame, hole, slice, items)
}

/// The list of a page of nodes: `Entities/<plural>` of entities or `Refs` of references.
fn list_node(req: &Req, plural: &'static str, nodes: Vec<Node>) -> Node {
    if req.entity() {
        let mut list = el(plural);
        for mut n in nodes {
            n.json_group = Some(plural);
            list.children.push(n);
        }
        el("Entities").ch(list)
    } else {
        refs_node(
            nodes
                .into_iter()
                .map(|n| as_item(n, "Refs", "Ref"))
                .collect(),
        )
    }
}

/// A page of a query type the spec alone describes: its instances (em-sim's own answers for
/// them) filtered and sorted by their entities, the page's items written into one buffer.
fn spec_page(
    sim: &mut Sim,
    req: &Req,
    q: Q,
    ty: &'static TypeIr,
    ask: &Ask,
    stream: bool,
) -> ApiResult {
    let all = spec_query::instances(sim, req, ty);
    let fields: &[(String, Ty)] = q.ir().map(|q| q.fields.as_slice()).unwrap_or(&[]);
    let kept = select(all.len(), ask, |k| spec_query::NodeRec {
        node: &all[k].entity,
        fields,
    })?;
    let p = Paging::new(kept.len(), ask.size, ask.page);
    let nodes: Vec<Node> = kept[p.start..p.end]
        .iter()
        .map(|k| {
            if req.entity() {
                all[*k].entity.clone()
            } else {
                spec_query::reference(sim, req, &all[*k])
            }
        })
        .collect();
    let plural = q.plural();
    if stream && !sim.behaviour.newer_content {
        let idx: Vec<u32> = (0..nodes.len() as u32).collect();
        if let Some(body) = write_one(sim, req, &p, plural, &idx, Items::Built(&nodes)) {
            return Ok(Reply::Written(StatusCode::OK, req.fmt, body));
        }
    }
    Ok(Reply::ok(page_frame(
        req,
        &p,
        list_node(req, plural, nodes),
    )))
}

fn refs_node(items: Vec<Node>) -> Node {
    let mut refs = el("Refs");
    refs.array = true;
    refs.children = items;
    refs
}

/// The `QueryResult` of page `p` holding `list` (its `Entities` or `Refs`), with its
/// `PagingInfo`.
fn page_frame(req: &Req, p: &Paging, list: Node) -> Node {
    let mut pl = vec![link("First", &page_href(req, p.size, 1), None, None)];
    if p.page > 1 {
        pl.push(link(
            "Previous",
            &page_href(req, p.size, (p.page - 1).min(p.pages)),
            None,
            None,
        ));
    }
    if p.page < p.pages {
        pl.push(link(
            "Next",
            &page_href(req, p.size, p.page + 1),
            None,
            None,
        ));
    }
    pl.push(link("Last", &page_href(req, p.size, p.pages), None, None));
    let paging = el("PagingInfo")
        .a("PageNum", p.page.to_string())
        .a("PageSize", p.size.to_string())
        .a("PagesCount", p.pages.to_string())
        .ch(links_node(pl));
    el("QueryResult").ch(list).ch(paging)
}

/// How many objects of type `tname` match `filter`, as an administrator without tasks of
/// its own sees them (for the test helper `SimHandle::query_count`).
pub fn count(sim: &mut Sim, tname: &str, filter: Option<&str>) -> Result<usize, String> {
    let q = Q::find(tname).ok_or_else(|| format!("Query type [{tname}] is not supported."))?;
    let mut req = Req {
        method: axum::http::Method::GET,
        segs: Vec::new(),
        lsegs: Vec::new(),
        query: Vec::new(),
        base: String::new(),
        fmt: crate::render::Format::Xml,
        body: axum::body::Bytes::new(),
        token: None,
        authorization: None,
        caller: None,
    };
    if let Some(f) = filter.filter(|f| !f.trim().is_empty()) {
        req.query.push(("filter".into(), f.to_string()));
    }
    let ask = ask(&req, q).map_err(|e| e.message)?;
    let n = match q {
        Q::Hand(t) => {
            let ids = (t.ids)(sim, &req);
            select(ids.len(), &ask, |k| Rec {
                sim,
                i: ids[k],
                f: t.field,
            })
        }
        Q::Spec(ty) => {
            // The generic layer answers an internal administrator.
            req.caller = Some(crate::http::Caller {
                token: String::new(),
                logon: crate::sim::Logon {
                    id: String::new(),
                    user: "count".into(),
                    role: crate::sim::Role::Admin,
                    last: std::time::Instant::now(),
                },
            });
            let all = spec_query::instances(sim, &req, ty);
            let fields: &[(String, Ty)] = q.ir().map(|q| q.fields.as_slice()).unwrap_or(&[]);
            select(all.len(), &ask, |k| spec_query::NodeRec {
                node: &all[k].entity,
                fields,
            })
        }
    };
    n.map(|kept| kept.len()).map_err(|e| e.message)
}

/// A small em-sim state with an admin logged on (its token and logon), for the tests below.
#[cfg(test)]
fn admin_sim() -> (Sim, String, crate::sim::Logon) {
    use crate::data::{Data, Size};
    use crate::sim::Behaviour;
    crate::spec::load().expect("spec");
    let data = Data::generate(Size::Small, 1, crate::DEFAULT_ANCHOR);
    let b = Behaviour {
        idle_timeout: std::time::Duration::from_secs(60),
        task_polls: 1,
        session_ticks: 1,
        newer_content: false,
        no_entry_point: false,
    };
    let mut sim = Sim::new(data, b, crate::DEFAULT_ANCHOR);
    let (token, _) = sim.logon("admin", crate::sim::Role::Admin);
    let logon = sim.touch(&token).expect("logon");
    (sim, token, logon)
}

#[cfg(test)]
mod stream_tests {
    use super::*;
    use crate::render::{Casing, Format};

    /// A query page written into one buffer (items streamed by their family's builder, or
    /// built one node at a time) is byte for byte the page written as nodes and shaped by
    /// `conform`, for every query type, both forms, pages (first, middle, last, beyond),
    /// filters and sorts, in XML and both JSON casings.
    #[test]
    fn written_pages_equal_node_pages() {
        let (mut sim, token, logon) = admin_sim();
        let req = |qs: &str, fmt: Format| Req {
            method: axum::http::Method::GET,
            segs: vec!["query".into()],
            lsegs: vec!["query".into()],
            query: crate::http::parse_query(qs),
            base: "http://h:9398/api".into(),
            fmt,
            body: Default::default(),
            token: Some(token.clone()),
            authorization: None,
            caller: Some(crate::http::Caller {
                token: token.clone(),
                logon: logon.clone(),
            }),
        };
        // A task of the caller's (a job started), so that `Task` pages hold an item.
        let job = super::super::jobs::path(&sim, super::super::jobs::live(&sim, None)[0]);
        let segs: Vec<String> = job.split('/').skip(1).map(str::to_string).collect();
        let start = Req {
            method: axum::http::Method::POST,
            lsegs: segs.iter().map(|s| s.to_ascii_lowercase()).collect(),
            segs,
            query: crate::http::parse_query("action=start"),
            ..req("", Format::Xml)
        };
        let started = super::super::dispatch(&mut sim, &start);
        assert!(started.is_ok(), "{started:?}");
        let mut written = 0;
        let mut expected = 0;
        for t in TYPES {
            let fields: Vec<&str> = query_ir(t)
                .map(|q| q.fields.iter().map(|(n, _)| n.as_str()).collect())
                .unwrap_or_default();
            let has = |f: &str| fields.iter().any(|x| x.eq_ignore_ascii_case(f));
            let mut qs = vec![
                "format=Entities".to_string(),
                "format=Entities&pageSize=7&page=2".into(),
                "format=Entities&pageSize=5&page=999".into(),
                "pageSize=3&page=2".into(),
            ];
            if let Some(first) = fields.first() {
                qs.push(format!("format=Entities&sortDesc={first}&pageSize=50"));
                qs.push(format!("format=References&sortAsc={first}"));
            }
            if has("Result") {
                qs.push("format=Entities&filter=Result==Failed".into());
            }
            if has("Name") {
                qs.push("format=Entities&filter=Name==nothing-matches".into());
            }
            for q in &qs {
                for fmt in [
                    Format::Xml,
                    Format::Json(Casing::Pascal),
                    Format::Json(Casing::Camel),
                ] {
                    expected += 1;
                    let qs = format!("type={}&{q}", t.name);
                    let req = req(&qs, fmt);
                    let unshaped = query_with(&mut sim, &req, false);
                    let nodes = super::super::conform::conform(&mut sim, &req, unshaped);
                    let Ok(Reply::Doc(_, node, _)) = nodes else {
                        panic!("{qs}: no node page: {nodes:?}");
                    };
                    // The page of nodes as the generated `QueryResult`, written by its codec.
                    let typed = crate::typed::as_type(&node, "QueryResult")
                        .unwrap_or_else(|e| panic!("{qs}: {e}"));
                    let want = crate::typed::write(&*typed, fmt);
                    match query_with(&mut sim, &req, true) {
                        Ok(Reply::Written(s, f, body)) => {
                            assert_eq!(s, StatusCode::OK);
                            assert_eq!(f, fmt);
                            assert_eq!(body, want, "{qs} {fmt:?}");
                            written += 1;
                            if fmt == Format::Xml && q == "format=Entities" {
                                // The page holds the type's items (with the links shaping
                                // adds).
                                let n = (t.ids)(&sim, &req).len().min(DEFAULT_PAGE_SIZE);
                                let list = node.children[0].children[0].children.len();
                                assert_eq!(list, n, "{qs}");
                                assert!(n > 0, "{qs}: no items to compare");
                                if t.name == "BackupJobSession" {
                                    // Including the restore point links.
                                    assert!(body.contains("Rel=\"Related\""), "{qs}");
                                }
                            }
                        }
                        other => panic!(
                            "{qs} {fmt:?}: not written at once: {:?}",
                            other.map(|r| r.status())
                        ),
                    }
                }
            }
        }
        assert_eq!(written, expected);

        // The types answered from the spec alone (items built first, `Items::Built`): the
        // written page is the page of nodes shaped by `conform`.
        let mut spec_written = 0;
        for name in type_names() {
            let Some(Q::Spec(_)) = Q::find(name) else {
                continue;
            };
            for q in [
                "format=Entities",
                "format=Entities&pageSize=1&page=2",
                "pageSize=1",
                "pageSize=5&page=999",
            ] {
                for fmt in [
                    Format::Xml,
                    Format::Json(Casing::Pascal),
                    Format::Json(Casing::Camel),
                ] {
                    let qs = format!("type={name}&{q}");
                    let req = req(&qs, fmt);
                    let unshaped = query_with(&mut sim, &req, false);
                    let nodes = super::super::conform::conform(&mut sim, &req, unshaped);
                    let Ok(Reply::Doc(_, node, _)) = nodes else {
                        panic!("{qs}: no node page: {nodes:?}");
                    };
                    let typed = crate::typed::as_type(&node, "QueryResult")
                        .unwrap_or_else(|e| panic!("{qs}: {e}"));
                    let want = crate::typed::write(&*typed, fmt);
                    match query_with(&mut sim, &req, true) {
                        Ok(Reply::Written(_, _, body)) => {
                            assert_eq!(body, want, "{qs} {fmt:?}");
                            spec_written += 1;
                        }
                        // (A type without an entities slot: its page is written as nodes.)
                        Ok(Reply::Doc(..)) => {}
                        other => panic!("{qs} {fmt:?}: {:?}", other.map(|r| r.status())),
                    }
                }
            }
        }
        assert!(
            spec_written > 35 * 6,
            "{spec_written} spec pages written at once"
        );
    }
}

#[cfg(test)]
mod spec_field_tests {
    use super::*;

    /// Every filterable field the spec lists is read from the data for every query type
    /// em-sim's families serve (a field without data would silently match nothing).
    #[test]
    fn every_spec_query_field_has_data() {
        let (sim, token, logon) = admin_sim();
        let req = Req {
            method: axum::http::Method::GET,
            segs: vec![],
            lsegs: vec![],
            query: vec![],
            base: "http://h/api".into(),
            fmt: crate::render::Format::Xml,
            body: Default::default(),
            token: Some(token.clone()),
            authorization: None,
            caller: Some(crate::http::Caller { token, logon }),
        };
        let mut missing = Vec::new();
        for t in TYPES {
            let Some(q) = query_ir(t) else {
                missing.push(format!("{}: not a spec query type", t.name));
                continue;
            };
            let ids = (t.ids)(&sim, &req);
            let Some(&i) = ids.first() else { continue };
            for (f, _) in &q.fields {
                if (t.field)(&sim, i, &f.to_ascii_lowercase()).is_none() {
                    missing.push(format!("{}.{f}", t.name));
                }
            }
        }
        assert!(missing.is_empty(), "fields without data: {missing:?}");
    }
}
