//! Job sessions and task sessions: `/backupSessions`, `/replicaSessions`,
//! `/backupTaskSessions`, `/replicaTaskSessions` and their sub-lists.

use axum::http::Method;
use emrest_runtime::{JsonKind, Node};

use super::{get_only, no_such, not_found, task_reply, unknown_action};
use crate::build::{entity_list, l, links, ref_list, shell, Emit, NodeEmit, NodeExt, Vars, L};
use crate::data::{JobType, RESULTS, R_FAILED, SESSION_STATES, S_STOPPED, TASK_STATES};
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::util::{iso, name_time, Kind};

const SESSION_REF_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Up", Some("JobReference"), "{job}", Some("job")),
    l(
        "Alternate",
        Some("BackupJobSession"),
        "{self}?format=Entity",
        Some("self"),
    ),
    l(
        "Down",
        Some("BackupTaskSessionReferenceList"),
        "{self}/taskSessions",
        None,
    ),
    l("Related", Some("RestorePointReference"), "{rp}", Some("rp")),
];

/// Entity links of a backup job session (sample `backupsessions_id.1.xml`).
const SESSION_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Up", Some("JobReference"), "{job}", Some("job")),
    l(
        "Alternate",
        Some("BackupJobSessionReference"),
        "{self}",
        Some("self"),
    ),
    l(
        "Down",
        Some("BackupTaskSessionReferenceList"),
        "{self}/taskSessions",
        None,
    ),
    l("Stop", None, "{self}?action=stop", None),
    l("Related", Some("RestorePointReference"), "{rp}", Some("rp")),
];

const REPLICA_SESSION_REF_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Up", Some("JobReference"), "{job}", Some("job")),
    l(
        "Alternate",
        Some("ReplicaJobSession"),
        "{self}?format=Entity",
        Some("self"),
    ),
    l(
        "Down",
        Some("ReplicaTaskSessionReferenceList"),
        "{self}/replicaTaskSessions",
        None,
    ),
];

const REPLICA_SESSION_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Up", Some("JobReference"), "{job}", Some("job")),
    l(
        "Alternate",
        Some("ReplicaJobSessionReference"),
        "{self}",
        Some("self"),
    ),
    l(
        "Down",
        Some("ReplicaTaskSessionReferenceList"),
        "{self}/replicaTaskSessions",
        None,
    ),
];

const TASK_REF_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Up",
        Some("BackupJobSessionReference"),
        "{session}",
        Some("session"),
    ),
    l(
        "Alternate",
        Some("BackupTaskSession"),
        "{self}?format=Entity",
        Some("self"),
    ),
];

/// Entity links of a backup task session (sample `backuptasksessions_id.1.xml`).
const TASK_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Up",
        Some("BackupJobSessionReference"),
        "{session}",
        Some("session"),
    ),
    l(
        "Alternate",
        Some("BackupTaskSessionReference"),
        "{self}",
        Some("self"),
    ),
    l(
        "Related",
        Some("VmRestorePoint"),
        "{vrp}?format=Entity",
        Some("vrp"),
    ),
];

const REPLICA_TASK_REF_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Up",
        Some("ReplicaJobSessionReference"),
        "{session}",
        Some("session"),
    ),
    l(
        "Alternate",
        Some("ReplicaTaskSession"),
        "{self}?format=Entity",
        Some("self"),
    ),
];

const REPLICA_TASK_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Up",
        Some("ReplicaJobSessionReference"),
        "{session}",
        Some("session"),
    ),
    l(
        "Alternate",
        Some("ReplicaTaskSessionReference"),
        "{self}",
        Some("self"),
    ),
];

/// `JobName@yyyy-MM-dd HH:mm:ss`.
pub fn session_name(sim: &Sim, s: u32) -> String {
    let sess = &sim.data.sessions[s as usize];
    let mut name = sim.data.jobs[sess.job as usize].name.clone();
    name.push('@');
    name.push_str(&name_time(sess.start));
    name
}

/// Path of session `s`.
pub fn session_path(sim: &Sim, s: u32) -> String {
    let coll = if sim.data.is_replica_session(s) {
        "replicaSessions"
    } else {
        "backupSessions"
    };
    let mut path = String::with_capacity(52);
    path.push('/');
    path.push_str(coll);
    path.push('/');
    path.push_str(&sim.data.id(Kind::Session, s));
    path
}

/// `urn:veeam:<ty>:<id>` of the session at `path` (its id is the last segment).
fn session_uid(ty: &str, path: &str) -> String {
    let id = path.rsplit('/').next().unwrap_or("");
    let mut uid = String::with_capacity(11 + ty.len() + id.len());
    uid.push_str("urn:veeam:");
    uid.push_str(ty);
    uid.push(':');
    uid.push_str(id);
    uid
}

/// Path of task session `t`.
pub fn task_path(sim: &Sim, t: u32) -> String {
    let coll = if sim.data.is_replica_session(sim.data.task_session(t)) {
        "replicaTaskSessions"
    } else {
        "backupTaskSessions"
    };
    format!("/{coll}/{}", sim.data.id(Kind::TaskSession, t))
}

/// Name of task session `t`: `vm@yyyy-MM-dd HH:mm:ss`.
pub fn task_name(sim: &Sim, t: u32) -> String {
    let vm = &sim.data.vms[sim.data.task_vm[t as usize] as usize];
    format!("{}@{}", vm.name, name_time(sim.data.task_times(t).0))
}

/// The link bindings of session `s` at `path` named `name`.
fn session_vars_at(sim: &Sim, req: &Req, s: u32, path: &str, name: &str) -> Vars {
    let sess = &sim.data.sessions[s as usize];
    let job = &sim.data.jobs[sess.job as usize];
    let mut v = Vars::new()
        .set("self", req.url(path), Some(name))
        .set(
            "server",
            req.url(&super::servers::path(sim, job.server)),
            Some(&sim.data.servers[job.server as usize].name),
        )
        .set(
            "job",
            req.url(&super::jobs::path(sim, sess.job)),
            Some(&job.name),
        );
    if let Some(rp) = sim.data.session_rp.get(&s) {
        v = v.set(
            "rp",
            req.url(&super::restore::rp_path(sim, *rp)),
            Some(&super::restore::rp_name(sim, *rp)),
        );
    }
    v
}

/// Reference of session `s`.
pub fn session_ref(sim: &Sim, req: &Req, s: u32) -> Node {
    let mut n = NodeEmit::default();
    session_ref_to(sim, req, s, &mut n);
    n.0
}

/// Reference to session `s`, written to `e`.
pub fn session_ref_to(sim: &Sim, req: &Req, s: u32, e: &mut dyn Emit) {
    let replica = sim.data.is_replica_session(s);
    let (ty, rty, table) = if replica {
        (
            "ReplicaJobSession",
            "ReplicaJobSessionReference",
            REPLICA_SESSION_REF_LINKS,
        )
    } else {
        (
            "BackupJobSession",
            "BackupJobSessionReference",
            SESSION_REF_LINKS,
        )
    };
    let (path, name) = (session_path(sim, s), session_name(sim, s));
    let vars = session_vars_at(sim, req, s, &path, &name);
    e.start("EntityRef");
    e.attr("Type", rty);
    e.attr("Href", &req.url(&path));
    e.attr("Name", &name);
    e.attr("UID", &session_uid(ty, &path));
    e.links(table, &vars);
}

/// Entity of session `s`.
pub fn session_entity(sim: &Sim, req: &Req, s: u32) -> Node {
    let mut n = NodeEmit::default();
    session_entity_to(sim, req, s, &mut n);
    n.0
}

/// Entity of session `s`, written to `e`.
pub fn session_entity_to(sim: &Sim, req: &Req, s: u32, e: &mut dyn Emit) {
    let replica = sim.data.is_replica_session(s);
    let (ty, table) = if replica {
        ("ReplicaJobSession", REPLICA_SESSION_LINKS)
    } else {
        ("BackupJobSession", SESSION_LINKS)
    };
    let sess = &sim.data.sessions[s as usize];
    let job = &sim.data.jobs[sess.job as usize];
    let running = sess.state != S_STOPPED;
    let (path, name) = (session_path(sim, s), session_name(sim, s));
    let vars = session_vars_at(sim, req, s, &path, &name);
    e.start(ty);
    e.attr("Type", ty);
    let mut href = req.url(&path);
    href.push_str("?format=Entity");
    e.attr("Href", &href);
    e.attr("Name", &name);
    e.attr("UID", &session_uid(ty, &path));
    e.links(table, &vars);
    let str = JsonKind::String;
    e.text("JobUid", &sim.data.uid("Job", Kind::Job, sess.job), str);
    e.text("JobName", &job.name, str);
    e.text("JobType", job.jtype.name(), str);
    e.text("CreationTimeUTC", &iso(sess.start), str);
    if !running {
        e.text("EndTimeUTC", &iso(sess.end), str);
    }
    e.text("State", SESSION_STATES[sess.state as usize], str);
    e.text("Result", RESULTS[sess.result as usize], str);
    e.text(
        "Progress",
        &(sess.progress as i64).to_string(),
        JsonKind::Number,
    );
    if sess.result == R_FAILED {
        e.text(
            "FailureMessage",
            "Error: Processing failed for one or more VMs.",
            str,
        );
    }
    e.text(
        "IsRetry",
        if sess.is_retry { "true" } else { "false" },
        JsonKind::Bool,
    );
}

/// A session list.
pub fn session_list(sim: &Sim, req: &Req, ids: &[u32]) -> Node {
    if req.entity() {
        let replica = ids.first().is_some_and(|s| sim.data.is_replica_session(*s));
        let plural = if replica {
            "ReplicaJobSessions"
        } else {
            "BackupJobSessions"
        };
        entity_list(
            plural,
            ids.iter().map(|s| session_entity(sim, req, *s)).collect(),
        )
    } else {
        ref_list(ids.iter().map(|s| session_ref(sim, req, *s)).collect())
    }
}

fn task_vars(sim: &Sim, req: &Req, t: u32) -> Vars {
    let s = sim.data.task_session(t);
    let job = &sim.data.jobs[sim.data.sessions[s as usize].job as usize];
    let mut v = Vars::new()
        .set(
            "self",
            req.url(&task_path(sim, t)),
            Some(&task_name(sim, t)),
        )
        .set(
            "server",
            req.url(&super::servers::path(sim, job.server)),
            Some(&sim.data.servers[job.server as usize].name),
        )
        .set(
            "session",
            req.url(&session_path(sim, s)),
            Some(&session_name(sim, s)),
        );
    if let Some(rp) = sim.data.session_rp.get(&s) {
        let r = &sim.data.restore_points[*rp as usize];
        let slot = t - sim.data.sessions[s as usize].first_task;
        if slot < r.nvm as u32 {
            let vrp = r.first_vrp + slot;
            v = v.set(
                "vrp",
                req.url(&super::restore::vrp_path(sim, vrp)),
                Some(&super::restore::vrp_name(sim, vrp)),
            );
        }
    }
    v
}

/// Reference of task session `t`.
pub fn task_ref(sim: &Sim, req: &Req, t: u32) -> Node {
    let replica = sim.data.is_replica_session(sim.data.task_session(t));
    let (ty, table) = if replica {
        ("ReplicaTaskSession", REPLICA_TASK_REF_LINKS)
    } else {
        ("BackupTaskSession", TASK_REF_LINKS)
    };
    shell(
        "EntityRef",
        &format!("{ty}Reference"),
        &req.url(&task_path(sim, t)),
        &task_name(sim, t),
        &sim.data.uid(ty, Kind::TaskSession, t),
        links(table, &task_vars(sim, req, t)),
    )
}

/// Entity of task session `t`.
pub fn task_entity(sim: &Sim, req: &Req, t: u32) -> Node {
    let s = sim.data.task_session(t);
    let replica = sim.data.is_replica_session(s);
    let (ty, table) = if replica {
        ("ReplicaTaskSession", REPLICA_TASK_LINKS)
    } else {
        ("BackupTaskSession", TASK_LINKS)
    };
    let sess = &sim.data.sessions[s as usize];
    let vm = &sim.data.vms[sim.data.task_vm[t as usize] as usize];
    let (start, end) = sim.data.task_times(t);
    let result = sim.data.task_result(t);
    let state = if sess.state == S_STOPPED { 2 } else { 0 };
    let mut n = shell(
        ty,
        ty,
        &req.url(&format!("{}?format=Entity", task_path(sim, t))),
        &task_name(sim, t),
        &sim.data.uid(ty, Kind::TaskSession, t),
        links(table, &task_vars(sim, req, t)),
    )
    .a("VmDisplayName", vm.name.clone())
    .t(
        "JobSessionUid",
        sim.data.uid(
            if replica {
                "ReplicaJobSession"
            } else {
                "BackupJobSession"
            },
            Kind::Session,
            s,
        ),
    )
    .t("CreationTimeUTC", iso(start))
    .ot("EndTimeUTC", (end != 0).then(|| iso(end)))
    .t("State", TASK_STATES[state])
    .t("Result", RESULTS[result as usize]);
    n = match result {
        R_FAILED => n.t("Reason", "Error: There is not enough space on the disk."),
        2 => n.t(
            "Reason",
            "Changed block tracking cannot be enabled: one or more snapshots present.",
        ),
        _ => n.t("Reason", ""),
    };
    n.num("TotalSize", sim.data.task_size(t))
        .t("VmUid", vm.hier_ref.clone())
}

/// A task session list.
pub fn task_list(sim: &Sim, req: &Req, ids: &[u32], replica: bool) -> Node {
    if req.entity() {
        let plural = if replica {
            "ReplicaTaskSessions"
        } else {
            "BackupTaskSessions"
        };
        entity_list(
            plural,
            ids.iter().map(|t| task_entity(sim, req, *t)).collect(),
        )
    } else {
        ref_list(ids.iter().map(|t| task_ref(sim, req, *t)).collect())
    }
}

/// Session indices of one kind.
pub fn sessions_of(sim: &Sim, replica: bool) -> Vec<u32> {
    sim.data.sessions_by_kind[usize::from(replica)].clone()
}

/// Task session indices of one kind.
pub fn tasks_of(sim: &Sim, replica: bool) -> Vec<u32> {
    let mut out = Vec::new();
    for sess in &sim.data.sessions {
        if (sim.data.jobs[sess.job as usize].jtype == JobType::Replica) == replica {
            out.extend(sess.first_task..sess.first_task + sess.ntasks as u32);
        }
    }
    out
}

fn find_session(sim: &Sim, id: &str, replica: bool) -> Result<u32, ApiError> {
    sim.data
        .find(Kind::Session, id, sim.data.sessions.len())
        .filter(|s| sim.data.is_replica_session(*s) == replica)
        .ok_or_else(|| no_such("Session", id))
}

fn find_task(sim: &Sim, id: &str, replica: bool) -> Result<u32, ApiError> {
    sim.data
        .find(Kind::TaskSession, id, sim.data.task_vm.len())
        .filter(|t| sim.data.is_replica_session(sim.data.task_session(*t)) == replica)
        .ok_or_else(|| no_such("Task session", id))
}

/// Routes the session families (`segs` includes the first segment).
pub fn route(sim: &mut Sim, req: &Req, segs: &[&str]) -> ApiResult {
    match segs {
        [coll @ ("backupsessions" | "replicasessions")] => {
            get_only(req)?;
            let ids = sessions_of(sim, *coll == "replicasessions");
            Ok(Reply::ok(session_list(sim, req, &ids)))
        }
        [coll @ ("backupsessions" | "replicasessions"), id] => {
            let replica = *coll == "replicasessions";
            let s = find_session(sim, id, replica)?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    Ok(Reply::ok(if req.entity() {
                        session_entity(sim, req, s)
                    } else {
                        session_ref(sim, req, s)
                    }))
                }
                Method::POST if !replica => match req.action().as_deref() {
                    Some("stop") => {
                        req.require_admin()?;
                        let name = session_name(sim, s);
                        sim.count("backupSessions", sim.data.id(Kind::Session, s), "stop");
                        let running = sim.data.sessions[s as usize].state != S_STOPPED;
                        if running {
                            sim.finish_session(s, R_FAILED);
                        }
                        task_reply(
                            sim,
                            req,
                            "StopJobSession",
                            running,
                            if running {
                                format!("Job Session \"{name}\" triggered to stop.")
                            } else {
                                format!("Job Session \"{name}\" is not running.")
                            },
                            vec![],
                        )
                    }
                    a => Err(unknown_action(a)),
                },
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        [coll @ ("backupsessions" | "replicasessions"), id, sub @ ("tasksessions" | "replicatasksessions")] =>
        {
            let replica = *coll == "replicasessions";
            if replica != (*sub == "replicatasksessions") {
                return Err(not_found());
            }
            let s = find_session(sim, id, replica)?;
            get_only(req)?;
            let sess = &sim.data.sessions[s as usize];
            let ids: Vec<u32> = (sess.first_task..sess.first_task + sess.ntasks as u32).collect();
            Ok(Reply::ok(task_list(sim, req, &ids, replica)))
        }
        [coll @ ("backuptasksessions" | "replicatasksessions")] => {
            get_only(req)?;
            let replica = *coll == "replicatasksessions";
            let ids = tasks_of(sim, replica);
            Ok(Reply::ok(task_list(sim, req, &ids, replica)))
        }
        [coll @ ("backuptasksessions" | "replicatasksessions"), id] => {
            let t = find_task(sim, id, *coll == "replicatasksessions")?;
            get_only(req)?;
            Ok(Reply::ok(if req.entity() {
                task_entity(sim, req, t)
            } else {
                task_ref(sim, req, t)
            }))
        }
        _ => Err(not_found()),
    }
}
