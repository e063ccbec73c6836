//! `/jobs`: jobs, their includes, their sessions, and the job actions.

use axum::http::Method;
use emrest_runtime::Node;

use super::{body, get_only, no_such, not_found, task_reply, tl, unknown_action};
use crate::build::{el, entity_list, l, links, plain, ref_list, shell, NodeExt, Vars, L};
use crate::data::{Include, Job, JobType, PLATFORMS, RESULTS, R_FAILED, R_NONE};
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::util::{iso, Kind};

/// Reference links of a job.
const REF_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("Job"),
        "{self}?format=Entity",
        Some("self"),
    ),
    l(
        "Down",
        Some("BackupJobSessionReferenceList"),
        "{backup}/backupSessions",
        None,
    ),
    l(
        "Down",
        Some("ReplicaJobSessionReferenceList"),
        "{replica}/replicaSessions",
        None,
    ),
];

/// Entity links of a backup job (samples `jobs_id.1.xml`).
const BACKUP_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Alternate", Some("JobReference"), "{self}", Some("self")),
    l("Edit", Some("JobReference"), "{self}", Some("self")),
    l("Clone", None, "{self}?action=clone", None),
    l(
        "ToggleScheduleEnabled",
        None,
        "{self}?action=toggleScheduleEnabled",
        None,
    ),
    l("Down", Some("ObjectInJobList"), "{self}/includes", None),
    l(
        "Down",
        Some("BackupJobSessionReferenceList"),
        "{self}/backupSessions",
        None,
    ),
    l("Create", Some("ObjectInJob"), "{self}/includes", None),
    l("Start", None, "{self}?action=start", None),
    l("Stop", None, "{self}?action=stop", None),
    l("Retry", None, "{self}?action=retry", None),
    l("Delete", Some("JobReference"), "{self}", Some("self")),
];

/// Entity links of a replication job (sample `scenario_starting_a_job.2.xml`).
const REPLICA_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Alternate", Some("JobReference"), "{self}", Some("self")),
    l(
        "Down",
        Some("ReplicaJobSessionReferenceList"),
        "{self}/replicaSessions",
        None,
    ),
    l("Down", Some("ObjectInJobList"), "{self}/includes", None),
    l("Edit", Some("JobReference"), "{self}", Some("self")),
    l("Create", Some("ObjectInJob"), "{self}/includes", None),
    l("Start", None, "{self}?action=start", None),
    l("Stop", None, "{self}?action=stop", None),
    l("Retry", None, "{self}?action=retry", None),
    l("Clone", None, "{self}?action=clone", None),
    l(
        "ToggleScheduleEnabled",
        None,
        "{self}?action=toggleScheduleEnabled",
        None,
    ),
    l("Delete", Some("JobReference"), "{self}", Some("self")),
];

/// Entity links of a backup copy job (sample `get_jobs_id.1.xml`; linked jobs and linked
/// repositories are not simulated, so their links are not offered).
const COPY_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Alternate", Some("JobReference"), "{self}", Some("self")),
    l("Edit", Some("JobReference"), "{self}", Some("self")),
    l("Clone", None, "{self}?action=clone", None),
    l(
        "ToggleScheduleEnabled",
        None,
        "{self}?action=toggleScheduleEnabled",
        None,
    ),
    l(
        "Down",
        Some("BackupJobSessionReferenceList"),
        "{self}/backupSessions",
        None,
    ),
    l("Sync", None, "{self}?action=sync", None),
    l("Delete", Some("JobReference"), "{self}", Some("self")),
];

/// Links of an object in a job.
const INCLUDE_LINKS: &[L] = &[
    l("Up", Some("Job"), "{job}?format=Entity", Some("job")),
    l("Delete", None, "{self}", None),
];

/// Path of job `j`.
pub fn path(sim: &Sim, j: u32) -> String {
    let mut path = String::from("/jobs/");
    path.push_str(&sim.data.id(Kind::Job, j));
    path
}

fn vars(sim: &Sim, req: &Req, j: u32) -> Vars {
    let job = &sim.data.jobs[j as usize];
    let me = req.url(&path(sim, j));
    let mut v = Vars::new().set("self", me.clone(), Some(&job.name)).set(
        "server",
        req.url(&super::servers::path(sim, job.server)),
        Some(&sim.data.servers[job.server as usize].name),
    );
    if job.jtype == JobType::Replica {
        v = v.set("replica", me, None);
    } else {
        v = v.set("backup", me, None);
    }
    v
}

/// `EntityRef` of job `j`.
pub fn reference(sim: &Sim, req: &Req, j: u32) -> Node {
    let job = &sim.data.jobs[j as usize];
    shell(
        "EntityRef",
        "JobReference",
        &req.url(&path(sim, j)),
        &job.name,
        &sim.data.uid("Job", Kind::Job, j),
        links(REF_LINKS, &vars(sim, req, j)),
    )
}

fn include_node(sim: &Sim, req: &Req, j: u32, inc: &Include) -> Node {
    let id = sim.data.id(Kind::Include, inc.id);
    let href = req.url(&format!("{}/includes/{id}", path(sim, j)));
    let v = Vars::new().set("self", href.clone(), None).set(
        "job",
        req.url(&path(sim, j)),
        Some(&sim.data.jobs[j as usize].name),
    );
    plain(
        "ObjectInJob",
        "ObjectInJob",
        &href,
        links(INCLUDE_LINKS, &v),
    )
    .t("ObjectInJobId", id)
    .t("HierarchyObjRef", inc.hier_ref.clone())
    .t("Name", inc.name.clone())
    .t("DisplayName", inc.name.clone())
}

fn includes_node(sim: &Sim, req: &Req, j: u32, root: &str) -> Node {
    let mut n = el(root);
    for inc in &sim.data.jobs[j as usize].includes {
        let mut i = include_node(sim, req, j, inc);
        i.json_group = Some("ObjectInJobs");
        n.children.push(i);
    }
    n
}

fn schedule(job: &Job) -> Node {
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let mut daily = el("OptionsDaily")
        .a(
            "Enabled",
            if job.schedule_configured {
                "true"
            } else {
                "false"
            },
        )
        .t("Kind", "Everyday");
    for d in DAYS {
        let mut n = el("Days");
        n.text = Some(d.into());
        n.json_group = Some("Days");
        daily.children.push(n);
    }
    let daily = daily
        .t("Time", "18:00:00.0000000+00:00")
        .num("TimeOffsetUtc", 0);
    el("JobScheduleOptions").ch(el("Standart")
        .ch(el("RetryOptions")
            .num("RetryTimes", 3)
            .num("RetryTimeout", 10)
            .b("RetrySpecified", true))
        .b("WaitForBackupCompletion", true)
        .num("BackupCompetitionWaitingPeriodMin", 180)
        .ch(daily))
}

/// `Job` entity of job `j`.
pub fn entity(sim: &Sim, req: &Req, j: u32) -> Node {
    let job = &sim.data.jobs[j as usize];
    let table = match job.jtype {
        JobType::Backup => BACKUP_LINKS,
        JobType::Replica => REPLICA_LINKS,
        JobType::BackupCopy => COPY_LINKS,
    };
    let v = vars(sim, req, j);
    let info_name = match job.jtype {
        JobType::Backup => "BackupJobInfo",
        JobType::Replica => "ReplicaJobInfo",
        JobType::BackupCopy => "BackupCopyJobInfo",
    };
    let info = el(info_name).ch(includes_node(sim, req, j, "Includes"));
    shell(
        "Job",
        "Job",
        &req.url(&format!("{}?format=Entity", path(sim, j))),
        &job.name,
        &sim.data.uid("Job", Kind::Job, j),
        links(table, &v),
    )
    .t("JobType", job.jtype.name())
    .t("Platform", PLATFORMS[job.platform as usize])
    .t("Description", job.description.clone())
    .b("ScheduleConfigured", job.schedule_configured)
    .b("ScheduleEnabled", job.schedule_enabled)
    .ot(
        "NextRun",
        job.next_run.filter(|_| job.schedule_enabled).map(iso),
    )
    .ch(schedule(job))
    .ch(el("JobInfo").ch(info))
}

/// Live job indices, optionally of one server.
pub fn live(sim: &Sim, server: Option<u32>) -> Vec<u32> {
    (0..sim.data.jobs.len() as u32)
        .filter(|j| sim.data.job_alive(*j))
        .filter(|j| server.is_none_or(|s| sim.data.jobs[*j as usize].server == s))
        .collect()
}

/// A job list (references or entities).
pub fn list(sim: &Sim, req: &Req, ids: &[u32]) -> Node {
    if req.entity() {
        entity_list("Jobs", ids.iter().map(|j| entity(sim, req, *j)).collect())
    } else {
        ref_list(ids.iter().map(|j| reference(sim, req, *j)).collect())
    }
}

fn find(sim: &Sim, id: &str) -> Result<u32, ApiError> {
    sim.data
        .find(Kind::Job, id, sim.data.jobs.len())
        .filter(|j| sim.data.job_alive(*j))
        .ok_or_else(|| no_such("Job", id))
}

/// Routes `/jobs...`.
pub fn route(sim: &mut Sim, req: &Req, rest: &[&str]) -> ApiResult {
    match rest {
        [] => {
            get_only(req)?;
            let ids = live(sim, None);
            Ok(Reply::ok(list(sim, req, &ids)))
        }
        [id] => {
            let j = find(sim, id)?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    Ok(Reply::ok(if req.entity() {
                        entity(sim, req, j)
                    } else {
                        reference(sim, req, j)
                    }))
                }
                Method::POST => action(sim, req, j),
                Method::PUT => match req.action().as_deref() {
                    None | Some("edit") => edit(sim, req, j),
                    a => Err(unknown_action(a)),
                },
                Method::DELETE => {
                    req.require_admin()?;
                    if req.action().is_some() {
                        return Err(ApiError::method_not_allowed());
                    }
                    let name = sim.data.jobs[j as usize].name.clone();
                    sim.data.jobs[j as usize].deleted = true;
                    sim.count("jobs", sim.data.id(Kind::Job, j), "delete");
                    task_reply(
                        sim,
                        req,
                        "DeleteJob",
                        true,
                        format!("Job \"{name}\" deleted."),
                        vec![],
                    )
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        [id, "includes"] => {
            let j = find(sim, id)?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    Ok(Reply::ok(includes_node(sim, req, j, "ObjectsInJob")))
                }
                Method::POST => add_include(sim, req, j),
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        [id, "includes", iid] => {
            let j = find(sim, id)?;
            let pos = sim.data.jobs[j as usize]
                .includes
                .iter()
                .position(|i| sim.data.id(Kind::Include, i.id).eq_ignore_ascii_case(iid))
                .ok_or_else(|| no_such("Object in job", iid))?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    let inc = sim.data.jobs[j as usize].includes[pos].clone();
                    Ok(Reply::ok(include_node(sim, req, j, &inc)))
                }
                Method::DELETE => {
                    req.require_admin()?;
                    let inc = sim.data.jobs[j as usize].includes.remove(pos);
                    sim.count("jobs", sim.data.id(Kind::Include, inc.id), "deleteInclude");
                    task_reply(sim, req, "DeleteObjectInJob", true, "Ok", vec![])
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        [id, kind @ ("backupsessions" | "replicasessions")] => {
            let j = find(sim, id)?;
            get_only(req)?;
            let replica = *kind == "replicasessions";
            if replica != (sim.data.jobs[j as usize].jtype == JobType::Replica) {
                return Err(not_found());
            }
            let ids: Vec<u32> = (0..sim.data.sessions.len() as u32)
                .filter(|s| sim.data.sessions[*s as usize].job == j)
                .collect();
            Ok(Reply::ok(super::sessions::session_list(sim, req, &ids)))
        }
        _ => Err(not_found()),
    }
}

fn running_session(sim: &Sim, j: u32) -> Option<u32> {
    sim.running
        .iter()
        .copied()
        .find(|s| sim.data.sessions[*s as usize].job == j)
}

fn session_link(sim: &Sim, s: u32) -> crate::sim::TaskLink {
    let replica = sim.data.is_replica_session(s);
    let (coll, ty) = if replica {
        ("replicaSessions", "ReplicaJobSession")
    } else {
        ("backupSessions", "BackupJobSession")
    };
    tl(
        "Related",
        format!("/{coll}/{}?format=Entity", sim.data.id(Kind::Session, s)),
        Some(ty),
        Some(super::sessions::session_name(sim, s)),
    )
}

fn action(sim: &mut Sim, req: &Req, j: u32) -> ApiResult {
    let action = req.action();
    let jtype = sim.data.jobs[j as usize].jtype;
    let allowed: &[&str] = match jtype {
        JobType::BackupCopy => &["clone", "togglescheduleenabled", "sync"],
        _ => &["start", "stop", "retry", "clone", "togglescheduleenabled"],
    };
    let a = match action.as_deref() {
        Some(a) if allowed.contains(&a) => a.to_string(),
        other => return Err(unknown_action(other)),
    };
    req.require_admin()?;
    let id = sim.data.id(Kind::Job, j);
    let name = sim.data.jobs[j as usize].name.clone();
    match a.as_str() {
        "start" | "sync" => {
            let op = if a == "sync" {
                "StartJobSync"
            } else {
                "StartJob"
            };
            sim.count("jobs", id, if a == "sync" { "sync" } else { "start" });
            if running_session(sim, j).is_some() {
                return task_reply(
                    sim,
                    req,
                    op,
                    false,
                    format!("Job \"{name}\" is already running."),
                    vec![],
                );
            }
            let s = sim.start_session(j, false);
            let link = session_link(sim, s);
            task_reply(
                sim,
                req,
                op,
                true,
                format!("Job \"{name}\" triggered to start."),
                vec![link],
            )
        }
        "stop" => {
            sim.count("jobs", id, "stop");
            match running_session(sim, j) {
                Some(s) => {
                    sim.finish_session(s, R_FAILED);
                    task_reply(
                        sim,
                        req,
                        "StopJob",
                        true,
                        format!("Job \"{name}\" triggered to stop."),
                        vec![],
                    )
                }
                None => task_reply(
                    sim,
                    req,
                    "StopJob",
                    false,
                    format!("Job \"{name}\" is not running."),
                    vec![],
                ),
            }
        }
        "retry" => {
            let last = sim.data.jobs[j as usize].last_result;
            if last != R_FAILED {
                return Err(ApiError::bad_request(format!(
                    "Cannot retry job \"{name}\": the last result is {}, not Failed.",
                    RESULTS[last as usize]
                )));
            }
            if running_session(sim, j).is_some() {
                return Err(ApiError::bad_request(format!(
                    "Job \"{name}\" is already running."
                )));
            }
            sim.count("jobs", id, "retry");
            let s = sim.start_session(j, true);
            let link = session_link(sim, s);
            task_reply(
                sim,
                req,
                "RetryJob",
                true,
                format!("Job \"{name}\" triggered to retry."),
                vec![link],
            )
        }
        "togglescheduleenabled" => {
            let job = &mut sim.data.jobs[j as usize];
            job.schedule_enabled = !job.schedule_enabled;
            sim.count("jobs", id, "toggleScheduleEnabled");
            task_reply(sim, req, "UpdateJob", true, "Ok", vec![])
        }
        _ => clone(sim, req, j),
    }
}

fn clone(sim: &mut Sim, req: &Req, j: u32) -> ApiResult {
    let spec = body(req)?;
    let info = [
        "BackupJobCloneInfo",
        "ReplicaJobCloneInfo",
        "BackupCopyJobCloneInfo",
        "ImmediateBackupCopyJobCloneInfo",
    ]
    .iter()
    .find_map(|n| spec.child(n))
    .ok_or_else(|| ApiError::bad_request("JobCloneSpec: a clone info element is required."))?;
    let new_name = info
        .scalar("JobName")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("JobCloneSpec: JobName is required."))?
        .to_string();
    if sim
        .data
        .jobs
        .iter()
        .any(|x| !x.deleted && x.name.eq_ignore_ascii_case(&new_name))
    {
        return Err(ApiError::bad_request(format!(
            "Job \"{new_name}\" already exists."
        )));
    }
    let mut job = sim.data.jobs[j as usize].clone();
    if let Some(uid) = info.scalar("RepositoryUid") {
        let bare = uid.rsplit(':').next().unwrap_or(uid);
        let r = sim
            .data
            .find(Kind::Repo, bare, sim.data.repos.len())
            .ok_or_else(|| ApiError::bad_request(format!("Repository [{uid}] was not found.")))?;
        job.repo = r;
    }
    if let Some(d) = info.scalar("Description") {
        job.description = d.to_string();
    }
    job.name = new_name.clone();
    job.last_result = R_NONE;
    for inc in &mut job.includes {
        inc.id = sim.data.next_include;
        sim.data.next_include += 1;
    }
    sim.data.jobs.push(job);
    let nj = (sim.data.jobs.len() - 1) as u32;
    let jt = sim.data.jobs[nj as usize].jtype;
    let repo = sim.data.jobs[nj as usize].repo;
    if jt == JobType::Replica {
        sim.data.replicas.push(crate::data::Replica { job: nj });
    } else {
        sim.data.backups.push(crate::data::Backup { job: nj, repo });
    }
    sim.count("jobs", sim.data.id(Kind::Job, j), "clone");
    let link = tl(
        "Related",
        format!("{}?format=Entity", path(sim, nj)),
        Some("Job"),
        Some(new_name),
    );
    task_reply(sim, req, "CloneJob", true, "Ok", vec![link])
}

fn edit(sim: &mut Sim, req: &Req, j: u32) -> ApiResult {
    req.require_admin()?;
    let spec = body(req)?;
    let parse_bool = |name: &str| -> Result<Option<bool>, ApiError> {
        match spec.scalar(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::bad_request(format!(
                "{name}: `{v}` is not a boolean."
            ))),
        }
    };
    let configured = parse_bool("ScheduleConfigured")?;
    let enabled = parse_bool("ScheduleEnabled")?;
    let job = &mut sim.data.jobs[j as usize];
    if let Some(d) = spec.scalar("Description") {
        job.description = d.to_string();
    }
    if let Some(c) = configured {
        job.schedule_configured = c;
    }
    if let Some(e) = enabled {
        job.schedule_enabled = e;
    }
    sim.count("jobs", sim.data.id(Kind::Job, j), "edit");
    sim.last_job_edit = Some(req.body.to_vec());
    task_reply(sim, req, "EditJob", true, "Ok", vec![])
}

fn add_include(sim: &mut Sim, req: &Req, j: u32) -> ApiResult {
    req.require_admin()?;
    let spec = body(req)?;
    let href = spec
        .scalar("HierarchyObjRef")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("CreateObjectInJobSpec: HierarchyObjRef is required.")
        })?
        .to_string();
    let vm = sim
        .data
        .vms
        .iter()
        .position(|v| v.hier_ref.eq_ignore_ascii_case(&href))
        .map(|v| v as u32);
    let name = spec
        .scalar("HierarchyObjName")
        .map(str::to_string)
        .or_else(|| vm.map(|v| sim.data.vms[v as usize].name.clone()))
        .unwrap_or_else(|| href.clone());
    let id = sim.data.next_include;
    sim.data.next_include += 1;
    sim.data.jobs[j as usize].includes.push(Include {
        id,
        hier_ref: href,
        name,
        vm,
    });
    sim.count("jobs", sim.data.id(Kind::Job, j), "addInclude");
    let path = format!(
        "{}/includes/{}",
        path(sim, j),
        sim.data.id(Kind::Include, id)
    );
    let link = tl("Related", path, Some("ObjectInJob"), None);
    task_reply(sim, req, "CreateObjectInJob", true, "Ok", vec![link])
}
