//! The typed everyday commands: jobs, one job and its actions, sessions, servers,
//! repositories, restore points, tasks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use emrest::runtime::{DateTime, Filter, Links, Repr, Scalar, SharedStr};
use emrest::{BackupJobSession, Job, JobResult, JobType, SessionOps, SessionState, VmRestorePoint};
use futures::TryStreamExt;

use crate::args::{Command, Global, JobAction, SessionsArgs};
use crate::conn::parse_duration;
use crate::error::{CliError, Result};
use crate::generic::{print_call, show};
use crate::listing::Listing;
use crate::output::{col, note, rcol, real_time, spinner, Cell, Col, Out, Table};
use crate::spec;
use crate::tasks;

/// Runs an everyday command on a logged-on session.
pub async fn run(g: &Global, out: &Out, em: &emrest::Session, cmd: &Command) -> Result<()> {
    match cmd {
        Command::Jobs => jobs_cmd(out, em).await,
        Command::Job { job, action } => job_cmd(g, out, em, job, action.as_ref()).await,
        Command::Sessions(a) => sessions_cmd(out, em, a).await,
        Command::Servers => servers_cmd(out, em).await,
        Command::Repositories => repositories_cmd(out, em).await,
        Command::RestorePoints { vm, limit } => restore_points_cmd(out, em, vm, *limit).await,
        Command::Tasks => tasks::tasks_cmd(out, em).await,
        Command::Task { id } => tasks::task_cmd(g, out, em, id).await,
        Command::Files { vm, path, point } => {
            crate::files::files_cmd(out, em, vm, path.as_deref(), point).await
        }
        Command::Restore {
            what:
                crate::args::RestoreWhat::File {
                    vm,
                    paths,
                    point,
                    to,
                },
        } => crate::files::restore_files_cmd(out, em, vm, paths, point, to).await,
        Command::Restore {
            what:
                crate::args::RestoreWhat::Vm {
                    vm,
                    point,
                    to_original: _,
                    quick_rollback,
                    power_on,
                    keep_original,
                },
        } => {
            let spec = emrest::VmRestoreSpec {
                power_on_after_restore: *power_on,
                quick_rollback: *quick_rollback,
                keep_original_vm: Some(*keep_original),
                ..Default::default()
            };
            crate::files::restore_vm_cmd(g, out, em, vm, point, spec).await
        }
        // Handled before logging on.
        Command::Decode(_)
        | Command::Api { .. }
        | Command::Demo
        | Command::Call(_)
        | Command::Query(_)
        | Command::Check(_)
        | Command::Metrics(_)
        | Command::Completions { .. }
        | Command::Man
        | Command::Doctor
        | Command::Trust { .. } => Ok(()),
    }
}

/// `Enabled`, `Disabled` or `-` (no schedule).
pub fn schedule_text(job: &Job) -> &'static str {
    match (job.schedule_configured, job.schedule_enabled) {
        (Some(false), _) => "not scheduled",
        (_, Some(true)) => "enabled",
        (_, Some(false)) => "disabled",
        _ => "-",
    }
}

/// The latest result of every job, from the newest backup job sessions (one query,
/// newest first, stopped when every job has one or after 1000 sessions).
pub async fn last_results(em: &emrest::Session, jobs: &[Job]) -> Result<HashMap<String, String>> {
    let mut want: Vec<String> = jobs
        .iter()
        .filter_map(|j| j.uid.as_deref().map(String::from))
        .collect();
    let mut found = HashMap::new();
    let stream = em
        .query::<BackupJobSession>()
        .entities()
        .sort_desc(BackupJobSession::CREATION_TIME)
        .page_size(200)
        .stream();
    futures::pin_mut!(stream);
    let mut seen = 0;
    while let Some(s) = stream.try_next().await? {
        seen += 1;
        if let (Some(uid), Some(result)) = (&s.job_uid, &s.result) {
            if let Some(i) = want.iter().position(|w| w.eq_ignore_ascii_case(uid)) {
                let key = want.swap_remove(i);
                found.insert(key, result.to_string());
            }
        }
        if want.is_empty() || seen >= 1000 {
            break;
        }
    }
    Ok(found)
}

async fn jobs_cmd(out: &Out, em: &emrest::Session) -> Result<()> {
    let jobs = em.job_entities().await?.job;
    let last = last_results(em, &jobs).await?;
    let mut t = Table::new(vec![
        col("name", "NAME"),
        col("type", "TYPE"),
        col("platform", "PLATFORM"),
        col("schedule", "SCHEDULE"),
        col("last_result", "LAST RESULT"),
        col("next_run", "NEXT RUN (UTC)"),
        col("uid", "UID").optional(),
    ]);
    for j in &jobs {
        let lr = j
            .uid
            .as_deref()
            .and_then(|u| last.get(u))
            .map(String::as_str);
        t.push(vec![
            Cell::opt(j.name.clone()),
            Cell::opt(j.job_type.as_ref().map(|v| v.to_string())),
            Cell::opt(j.platform.as_ref().map(|v| v.to_string())),
            Cell::text(schedule_text(j)),
            Cell::result(lr),
            Cell::time(j.next_run.as_ref()),
            Cell::opt(j.uid.clone()),
        ]);
    }
    out.table(&t);
    Ok(())
}

/// The ID inside a GUID or a `urn:veeam:Type:GUID` UID, when `s` is one.
pub fn id_of(s: &str) -> Option<&str> {
    let s = s.trim();
    let last = s.rsplit(':').next().unwrap_or(s);
    let is_guid = last.len() == 36
        && last.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    (is_guid && (last.len() == s.len() || s.to_ascii_lowercase().starts_with("urn:")))
        .then_some(last)
}

/// Finds a job by ID, UID or name.
pub async fn find_job(em: &emrest::Session, which: &str) -> Result<Job> {
    if let Some(id) = id_of(which) {
        let t = spec::type_or_usage("Job")?;
        return Ok(em.get::<Job>(&spec::url_of(t, id)?).await?);
    }
    let jobs: Vec<Job> = em
        .query::<Job>()
        .entities()
        .filter(Job::NAME.eq(which.to_string()))
        .stream()
        .try_collect()
        .await?;
    let mut jobs: Vec<Job> = jobs
        .into_iter()
        .filter(|j| {
            j.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(which))
        })
        .collect();
    match jobs.len() {
        0 => Err(CliError::error(format!(
            "no job named `{which}` (`vem jobs` lists them)"
        ))),
        1 => Ok(jobs.remove(0)),
        _ => Err(CliError::error(format!(
            "several jobs are named `{which}`; name one by UID: {}",
            jobs.iter()
                .filter_map(|j| j.uid.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

async fn job_cmd(
    g: &Global,
    out: &Out,
    em: &emrest::Session,
    which: &str,
    action: Option<&JobAction>,
) -> Result<()> {
    let job = find_job(em, which).await?;
    let name = job.name.as_deref().unwrap_or(which).to_string();
    let what = |verb: &str| format!("{verb} of job \"{name}\"");
    match action.unwrap_or(&JobAction::Show) {
        JobAction::Show => {
            show(out, &emrest::runtime::to_node(&job, Job::ROOT));
            Ok(())
        }
        JobAction::Sessions { limit } => {
            let a = SessionsArgs {
                job: None,
                state: None,
                result: None,
                since: None,
                limit: *limit,
            };
            let uid = job
                .uid
                .clone()
                .ok_or_else(|| CliError::error("the job has no UID"))?;
            sessions_list(out, em, &a, Some(BackupJobSession::JOB_UID.eq(uid))).await
        }
        JobAction::Start | JobAction::Retry => {
            let start = matches!(action, Some(JobAction::Start) | None);
            let call = if start { job.start(em) } else { job.retry(em) };
            if g.dry_run {
                return print_call(out, call);
            }
            let before = if g.wait {
                newest_sessions(em, &job, RECENT).await?
            } else {
                Vec::new()
            };
            let task = call.await?;
            let what = what(if start { "start" } else { "retry" });
            if !g.wait {
                return tasks::report_task(g, out, em, task, &what).await;
            }
            let task = tasks::settle(g, em, task, &what).await?;
            if !out.json {
                out.line(tasks::task_line(g, &task, &what));
            }
            let session = follow_session(g, em, &job, &before).await?;
            if out.json {
                out.json_value(&serde_json::json!({
                    "task": crate::output::node_json(&emrest::runtime::to_node(&task, spec::TaskRepr::ROOT)),
                    "session": session.as_ref().map(|s| crate::output::node_json(&emrest::runtime::to_node(s, BackupJobSession::ROOT))),
                }));
            } else if let Some(s) = &session {
                out.line(format!(
                    "session {}: {} {}",
                    s.name.as_deref().unwrap_or("?"),
                    s.state.as_ref().map(|v| v.to_string()).unwrap_or_default(),
                    s.result.as_ref().map(|v| v.to_string()).unwrap_or_default()
                ));
            }
            match session {
                Some(s) if s.result == Some(JobResult::Failed) => Err(CliError::failed(format!(
                    "job \"{name}\" finished Failed{}",
                    s.failure_message
                        .as_deref()
                        .filter(|m| !m.is_empty())
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ))),
                _ => Ok(()),
            }
        }
        JobAction::Stop => {
            let call = job.stop(em);
            if g.dry_run {
                return print_call(out, call);
            }
            let task = call.await?;
            tasks::report_task(g, out, em, task, &what("stop")).await
        }
        JobAction::ToggleSchedule => {
            let call = job.toggle_schedule_enabled(em);
            if g.dry_run {
                return print_call(out, call);
            }
            let task = call.await?;
            tasks::report_task(g, out, em, task, &what("schedule toggle")).await
        }
        JobAction::Clone {
            name: new_name,
            folder,
            repository,
            description,
        } => {
            let repository_uid = match repository {
                Some(r) => r.as_str().into(),
                None => default_repository(em, &job).await?,
            };
            let body = emrest::JobCloneSpec {
                backup_job_clone_info: Some(emrest::BackupJobCloneInfo {
                    job_name: new_name.as_str().into(),
                    folder_name: folder.as_deref().unwrap_or(new_name).into(),
                    repository_uid,
                    description: description.as_deref().map(Into::into),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let call = job.clone_job(em, &body);
            if g.dry_run {
                return print_call(out, call);
            }
            let task = call.await?;
            tasks::report_task(g, out, em, task, &what("clone")).await
        }
    }
}

/// The first repository of the job's backup server (or of EM, when the job does not say).
async fn default_repository(em: &emrest::Session, job: &Job) -> Result<SharedStr> {
    let server_uid = match job.backup_server(em).await {
        Ok(r) => r.uid,
        Err(_) => None,
    };
    let mut q = em.query::<emrest::Repository>().entities().page_size(50);
    if let Some(uid) = &server_uid {
        q = q.filter(emrest::Repository::BACKUP_SERVER_UID.eq(uid.clone()));
    }
    let page = q.first_page().await?;
    let repo = page
        .items
        .into_iter()
        .find(|r| r.uid.is_some())
        .ok_or_else(|| {
            CliError::error("no repository found for the clone: pass --repository UID")
        })?;
    note(format!(
        "vem: cloning into repository \"{}\" (pass --repository UID to choose)",
        repo.name.as_deref().unwrap_or("?")
    ));
    Ok(repo.uid.unwrap_or_default())
}

/// The newest backup sessions of `job` (at most `n`), newest first.
async fn newest_sessions(em: &emrest::Session, job: &Job, n: u32) -> Result<Vec<BackupJobSession>> {
    let Some(uid) = job.uid.clone() else {
        return Ok(Vec::new());
    };
    let page = em
        .query::<BackupJobSession>()
        .entities()
        .filter(BackupJobSession::JOB_UID.eq(uid))
        .sort_desc(BackupJobSession::CREATION_TIME)
        .page_size(n)
        .first_page()
        .await?;
    Ok(page.items)
}

/// How many of the newest sessions are remembered before a start, to recognise the new one.
const RECENT: u32 = 10;

/// After a start or retry: finds the job session it created (the newest one that was not
/// there before) and waits until it has stopped; exit 3 when its result is Failed.
async fn follow_session(
    g: &Global,
    em: &emrest::Session,
    job: &Job,
    before: &[BackupJobSession],
) -> Result<Option<BackupJobSession>> {
    let name = job.name.clone().unwrap_or_default();
    if matches!(job.job_type, Some(JobType::Replica)) {
        note(format!(
            "vem: job \"{name}\" is a replication job: its sessions are replica sessions, not waited for"
        ));
        return Ok(None);
    }
    let timeout = parse_duration(&g.timeout)?;
    let deadline = Instant::now() + timeout;
    // EM creates the session right after the task; give it two minutes at most.
    let appear_by = Instant::now() + timeout.min(Duration::from_secs(120));
    let pb = spinner(format!("job \"{name}\": waiting for its session"));
    let mut interval = Duration::from_millis(200);
    let session = loop {
        match newest_sessions(em, job, RECENT).await {
            Ok(now) => {
                if let Some(s) = now
                    .into_iter()
                    .find(|s| !before.iter().any(|b| b.uid == s.uid))
                {
                    break s;
                }
            }
            Err(e) => {
                pb.finish_and_clear();
                return Err(e);
            }
        }
        if Instant::now() >= appear_by {
            pb.finish_and_clear();
            return Err(CliError::error(format!(
                "job \"{name}\": the task finished but no new job session appeared"
            )));
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_secs(3));
    };
    let session = wait_session(g, em, session, &pb, deadline).await;
    pb.finish_and_clear();
    session.map(Some)
}

/// Polls a job session until its state is `Stopped`, showing its progress.
pub async fn wait_session(
    g: &Global,
    em: &emrest::Session,
    mut session: BackupJobSession,
    pb: &indicatif::ProgressBar,
    deadline: Instant,
) -> Result<BackupJobSession> {
    let href = session
        .href
        .clone()
        .ok_or_else(|| CliError::error("the job session has no URL"))?;
    let mut interval = Duration::from_millis(200);
    while session.state != Some(SessionState::Stopped) {
        pb.set_message(format!(
            "session {}: {} {}%",
            session.name.as_deref().unwrap_or("?"),
            session
                .state
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            session.progress
        ));
        if Instant::now() >= deadline {
            return Err(CliError::error(format!(
                "session {} still running after --timeout {}",
                session.name.as_deref().unwrap_or("?"),
                g.timeout
            )));
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_secs(2));
        session = em.get::<BackupJobSession>(&href).await?;
    }
    Ok(session)
}

/// Parses an enum value of the spec, or a usage error listing the values.
pub fn parse_enum<E: Scalar>(what: &str, s: &str, values: &[&str]) -> Result<E> {
    if !values.iter().any(|v| v.eq_ignore_ascii_case(s.trim())) {
        return Err(CliError::usage(format!(
            "--{what} `{s}` is not one of {}",
            values.join(", ")
        )));
    }
    E::parse_text(s).map_err(|e| CliError::usage(format!("--{what}: {e}")))
}

/// `24h` → now minus 24 hours; `2025-02-19T06:00:00Z` or `2025-02-19` as given (UTC).
pub fn parse_since(s: &str) -> Result<DateTime> {
    let s = s.trim();
    if let Ok(d) = parse_duration(s) {
        let now = DateTime::now_utc()
            .unix_seconds()
            .ok_or_else(|| CliError::error("cannot read the clock"))?;
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        return Ok(DateTime::from_unix_seconds(now.saturating_sub(secs)));
    }
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_string()
    };
    let dt = DateTime(full);
    match dt.unix_seconds() {
        Some(_) => Ok(dt.to_utc()),
        None => Err(CliError::usage(format!(
            "--since `{s}` is neither a period (24h, 7d) nor a date-time (2025-02-19T06:00:00Z)"
        ))),
    }
}

async fn sessions_cmd(out: &Out, em: &emrest::Session, a: &SessionsArgs) -> Result<()> {
    sessions_list(out, em, a, None).await
}

/// The typed filter of `vem sessions`.
pub fn sessions_filter(a: &SessionsArgs, extra: Option<Filter>) -> Result<Option<Filter>> {
    let mut parts: Vec<Filter> = extra.into_iter().collect();
    if let Some(j) = &a.job {
        parts.push(BackupJobSession::JOB_NAME.eq(j.clone()));
    }
    if let Some(s) = &a.state {
        let v: SessionState = parse_enum("state", s, SessionState::VALUES)?;
        parts.push(BackupJobSession::STATE.eq(v));
    }
    if let Some(r) = &a.result {
        let v: JobResult = parse_enum("result", r, JobResult::VALUES)?;
        parts.push(BackupJobSession::RESULT.eq(v));
    }
    if let Some(s) = &a.since {
        parts.push(BackupJobSession::CREATION_TIME.ge(parse_since(s)?));
    }
    Ok(parts.into_iter().reduce(Filter::and))
}

async fn sessions_list(
    out: &Out,
    em: &emrest::Session,
    a: &SessionsArgs,
    extra: Option<Filter>,
) -> Result<()> {
    let filter = sessions_filter(a, extra)?;
    let mut q = em
        .query::<BackupJobSession>()
        .entities()
        .sort_desc(BackupJobSession::CREATION_TIME)
        .page_size(a.limit.clamp(1, 200) as u32);
    if let Some(f) = filter {
        q = q.filter(f);
    }
    let stream = q.stream();
    futures::pin_mut!(stream);
    let mut l = Listing::new(*out, sessions_columns());
    let mut n = 0;
    let res = loop {
        if n >= a.limit {
            break Ok(());
        }
        match stream.try_next().await {
            Ok(Some(s)) => {
                n += 1;
                if !l.push(session_row(&s)) {
                    break Ok(());
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e.into()),
        }
    };
    l.finish();
    res
}

/// The table of job sessions.
pub fn sessions_table(sessions: &[BackupJobSession]) -> Table {
    let mut t = Table::new(sessions_columns());
    for s in sessions {
        t.push(session_row(s));
    }
    t
}

/// How long a session ran (until now while it runs); `None` without a real start.
pub fn session_seconds(s: &BackupJobSession) -> Option<i64> {
    let start = real_time(Some(&s.creation_time_utc))?.unix_seconds()?;
    let end = match real_time(s.end_time_utc.as_ref()).and_then(DateTime::unix_seconds) {
        Some(e) if s.state == Some(SessionState::Stopped) => e,
        _ => DateTime::now_utc().unix_seconds()?,
    };
    Some((end - start).max(0))
}

/// The columns of the job-session listing.
pub fn sessions_columns() -> Vec<Col> {
    vec![
        col("job", "JOB"),
        col("started", "STARTED (UTC)"),
        col("ended", "ENDED (UTC)"),
        col("state", "STATE"),
        col("result", "RESULT"),
        rcol("progress", "%"),
        rcol("duration_seconds", "DURATION"),
        col("failure_message", "MESSAGE"),
        col("uid", "UID").optional(),
    ]
}

/// One job session as a row of [`sessions_columns`].
pub fn session_row(s: &BackupJobSession) -> Vec<Cell> {
    let result = s.result.as_ref().map(|r| r.to_string());
    vec![
        Cell::opt(s.job_name.clone()),
        Cell::time(Some(&s.creation_time_utc)),
        Cell::time(s.end_time_utc.as_ref()),
        Cell::opt(s.state.as_ref().map(|v| v.to_string())),
        Cell::result(result.as_deref()),
        Cell::int(Some(i64::from(s.progress))),
        Cell::duration(session_seconds(s)),
        Cell::opt(s.failure_message.clone().filter(|m| !m.is_empty())),
        Cell::opt(s.uid.clone()),
    ]
}

async fn servers_cmd(out: &Out, em: &emrest::Session) -> Result<()> {
    let servers = em.backup_server_entities().await?.backup_server;
    let mut t = Table::new(vec![
        col("name", "NAME"),
        col("version", "VERSION"),
        rcol("port", "PORT"),
        col("description", "DESCRIPTION"),
        col("uid", "UID").optional(),
    ]);
    for s in &servers {
        t.push(vec![
            Cell::opt(s.name.clone()),
            Cell::opt(s.version.clone()),
            Cell::int(Some(i64::from(s.port))),
            Cell::opt(s.description.clone().filter(|d| !d.is_empty())),
            Cell::opt(s.uid.clone()),
        ]);
    }
    out.table(&t);
    Ok(())
}

/// The `Name` of the representation's `Up` link of type `ty`.
pub(crate) fn up_name(links: Option<&Links>, ty: &str) -> Option<String> {
    links?
        .all("Up")
        .find(|l| {
            l.type_
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(ty))
        })
        .and_then(|l| l.name.as_ref().map(String::from))
}

async fn repositories_cmd(out: &Out, em: &emrest::Session) -> Result<()> {
    let repos = em.repository_entities().await?.repository;
    let mut t = Table::new(vec![
        col("name", "NAME"),
        col("kind", "KIND"),
        rcol("capacity", "CAPACITY"),
        rcol("free_space", "FREE"),
        rcol("free_percent", "FREE %"),
        col("backup_server", "SERVER"),
        col("uid", "UID").optional(),
    ]);
    for r in &repos {
        let (c, f) = (r.capacity, r.free_space);
        let pct = (c > 0).then(|| (f as f64) * 100.0 / (c as f64));
        let mut pct_cell = match pct {
            Some(p) => Cell {
                text: format!("{p:.0}%"),
                json: serde_json::json!((p * 10.0).round() / 10.0),
                style: None,
            },
            None => Cell::none(),
        };
        if pct.is_some_and(|p| p < 10.0) {
            pct_cell.style = Some(console::Style::new().red().bold());
        } else if pct.is_some_and(|p| p < 25.0) {
            pct_cell.style = Some(console::Style::new().yellow());
        }
        t.push(vec![
            Cell::opt(r.name.clone()),
            Cell::opt(r.kind.as_ref().map(|k| k.to_string())),
            Cell::bytes(Some(r.capacity)),
            Cell::bytes(Some(r.free_space)),
            pct_cell,
            Cell::opt(up_name(r.links.as_ref(), "BackupServerReference")),
            Cell::opt(r.uid.clone()),
        ]);
    }
    out.table(&t);
    Ok(())
}

/// The VM restore points of `vm`, newest first.
pub async fn vm_restore_points(
    em: &emrest::Session,
    vm: &str,
    limit: usize,
) -> Result<Vec<VmRestorePoint>> {
    let stream = em
        .query::<VmRestorePoint>()
        .entities()
        .filter(VmRestorePoint::VM_DISPLAY_NAME.eq(vm.to_string()))
        .sort_desc(VmRestorePoint::CREATION_TIME)
        .page_size(limit.clamp(1, 200) as u32)
        .stream();
    futures::pin_mut!(stream);
    let mut points = Vec::new();
    while points.len() < limit {
        match stream.try_next().await? {
            Some(p) => points.push(p),
            None => break,
        }
    }
    Ok(points)
}

async fn restore_points_cmd(out: &Out, em: &emrest::Session, vm: &str, limit: usize) -> Result<()> {
    let points = vm_restore_points(em, vm, limit).await?;
    let mut t = Table::new(vec![
        col("created", "CREATED (UTC)"),
        col("vm", "VM"),
        col("point_type", "TYPE"),
        col("algorithm", "ALGORITHM"),
        col("restore_point", "RESTORE POINT"),
        col("uid", "UID").optional(),
    ]);
    for p in &points {
        t.push(vec![
            Cell::time(Some(&p.creation_time_utc)),
            Cell::opt(p.vm_display_name.clone().or_else(|| p.vm_name.clone())),
            Cell::opt(p.point_type.as_ref().map(|v| v.to_string())),
            Cell::opt(p.algorithm.as_ref().map(|v| v.to_string())),
            Cell::opt(up_name(p.links.as_ref(), "RestorePointReference")),
            Cell::opt(p.uid.clone()),
        ]);
    }
    out.table(&t);
    if points.is_empty() && !out.json {
        note(format!("vem: no restore points of a VM named `{vm}`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        let g = "bffeb9f5-0a3b-4bd0-8a0b-3a1d2c7e9f01";
        assert_eq!(id_of(g), Some(g));
        assert_eq!(id_of(&format!("urn:veeam:Job:{g}")), Some(g));
        assert_eq!(id_of("Backup Job 1"), None);
        assert_eq!(id_of(&format!("name:{g}")), None);
    }

    #[test]
    fn since() {
        assert!(parse_since("24h").is_ok());
        assert_eq!(parse_since("2025-02-19").unwrap().0, "2025-02-19T00:00:00Z");
        assert_eq!(parse_since("bogus").unwrap_err().code, 2);
    }

    #[test]
    fn enums_are_checked() {
        assert!(parse_enum::<JobResult>("result", "failed", JobResult::VALUES).is_ok());
        assert_eq!(
            parse_enum::<JobResult>("result", "Exploded", JobResult::VALUES)
                .unwrap_err()
                .code,
            2
        );
    }

    #[test]
    fn session_filters() {
        let a = SessionsArgs {
            job: Some("SQL Backup".into()),
            state: Some("stopped".into()),
            result: Some("Failed".into()),
            since: None,
            limit: 5,
        };
        let f = sessions_filter(&a, None)
            .unwrap()
            .unwrap()
            .to_query(&<emrest::Api as emrest::runtime::Api>::INFO.query.filter);
        assert!(f.contains("JobName==\"SQL Backup\""), "{f}");
        assert!(f.contains("Result==\"Failed\""), "{f}");
        assert!(f.contains("State==\"Stopped\""), "{f}");
    }
}
