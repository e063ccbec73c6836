//! End to end: every relation of the EM "Requests" table through a generated typed method,
//! against em-sim over real HTTP on loopback, in XML, JSON (v12 PascalCase) and JSON (v13
//! camelCase). Each check asserts the typed result and the exact verb, path and query em-sim
//! received.

use emrest::runtime::{Casing, Format};
use emrest::*;
use emrest_sim::{RecordedRequest, SimConfig, SimHandle};

/// One simulator and one logged-on session in a given wire format.
struct Env {
    sim: SimHandle,
    em: Session,
}

async fn env(format: Format, casing: Casing) -> Env {
    let sim_casing = match casing {
        Casing::Pascal => emrest_sim::Casing::Pascal,
        Casing::Camel => emrest_sim::Casing::Camel,
    };
    let sim = emrest_sim::spawn(SimConfig {
        json_casing: sim_casing,
        // Started sessions stay `Working` long enough to be stopped.
        session_ticks: 50,
        ..SimConfig::small()
    })
    .await
    .expect("em-sim starts");
    let client = Client::builder(sim.url())
        .format(format)
        .json_casing(casing)
        .build()
        .expect("client builds");
    let em = client.logon("admin", "admin").await.expect("logon");
    Env { sim, em }
}

impl Env {
    /// Requests em-sim received since the last call, and forget them.
    fn take(&self) -> Vec<RecordedRequest> {
        let r = self.sim.requests();
        self.sim.clear_requests();
        r
    }

    /// Asserts the first request since the last `take` was `verb path?query`.
    #[track_caller]
    fn expect(&self, verb: &str, path_suffix: &str, query: Option<&str>) {
        let reqs = self.take();
        let first = reqs.first().expect("a request was sent");
        assert_eq!(first.method, verb, "verb of {reqs:#?}");
        assert!(
            first.path.ends_with(path_suffix),
            "path `{}` should end with `{path_suffix}`",
            first.path
        );
        assert_eq!(first.query.as_deref(), query, "query of {}", first.path);
    }

    async fn backup_job(&self, name_hint: Option<&str>) -> Job {
        let refs = self.em.jobs().await.expect("jobs");
        for r in refs.ref_ {
            let job = r.alternate(&self.em).await.expect("job entity");
            let fits = match name_hint {
                Some(n) => job.name.as_deref() == Some(n),
                None => job.job_type == Some(JobType::Backup),
            };
            if fits {
                self.take();
                return job;
            }
        }
        panic!("no backup job in the small data set");
    }
}

fn id_of(href: &str) -> String {
    let path = href.split('?').next().unwrap_or(href);
    path.rsplit('/').next().unwrap_or_default().to_string()
}

macro_rules! in_all_formats {
    ($($name:ident => $body:ident;)*) => {
        mod xml {
            use super::*;
            $(#[tokio::test] async fn $name() { let e = env(Format::Xml, Casing::Pascal).await; super::$body(e).await; })*
        }
        mod json_pascal {
            use super::*;
            $(#[tokio::test] async fn $name() { let e = env(Format::Json, Casing::Pascal).await; super::$body(e).await; })*
        }
        mod json_camel {
            use super::*;
            $(#[tokio::test] async fn $name() { let e = env(Format::Json, Casing::Camel).await; super::$body(e).await; })*
        }
    };
}

async fn alternate_up_down(e: Env) {
    e.take();
    // Down: the jobs collection (references) of the logon session.
    let refs = e.em.jobs().await.unwrap();
    e.expect("GET", "/api/jobs", None);
    assert!(refs.ref_.len() >= 3);
    let r = &refs.ref_[0];
    assert_eq!(r.type_.as_deref(), Some("JobReference"));
    // Alternate: reference → entity.
    let job = r.alternate(&e.em).await.unwrap();
    e.expect(
        "GET",
        &format!("/api/jobs/{}", id_of(r.href.as_deref().unwrap())),
        Some("format=Entity"),
    );
    assert_eq!(job.name, r.name);
    assert_eq!(job.type_.as_deref(), Some("Job"));
    // Alternate: entity → reference.
    let back = job.reference(&e.em).await.unwrap();
    e.expect(
        "GET",
        &format!("/api/jobs/{}", id_of(r.href.as_deref().unwrap())),
        None,
    );
    assert_eq!(back.uid, job.uid);
    // Up: job → its backup server.
    let server = job.backup_server(&e.em).await.unwrap();
    assert!(e.take()[0].path.contains("/api/backupServers/"));
    assert_eq!(server.type_.as_deref(), Some("BackupServerReference"));
    // Down from an entity: the job's sessions.
    let sessions = job.backup_sessions(&e.em).await.unwrap();
    e.expect("GET", "/backupSessions", None);
    assert!(!sessions.ref_.is_empty());
}

async fn start_and_related(e: Env) {
    let job = e.backup_job(None).await;
    let id = id_of(job.href.as_deref().unwrap());
    let starts_before = e.sim.job_starts(&id);
    let task = job.start(&e.em).await.unwrap();
    e.expect("POST", &format!("/api/jobs/{id}"), Some("action=start"));
    assert_eq!(task.state, TaskState::Running);
    let done = task.wait(&e.em).await.unwrap();
    assert_eq!(done.state, TaskState::Finished);
    assert_eq!(done.result.as_ref().map(|r| r.success), Some(true));
    assert_eq!(
        e.sim.job_starts(&id),
        starts_before + 1,
        "started exactly once"
    );
    // Related: task → the job session the start created.
    e.take();
    let session = done.backup_job_session(&e.em).await.unwrap();
    let reqs = e.take();
    assert_eq!(reqs[0].method, "GET");
    assert!(
        reqs[0].path.starts_with("/api/backupSessions/"),
        "{}",
        reqs[0].path
    );
    assert_eq!(reqs[0].query.as_deref(), Some("format=Entity"));
    assert_eq!(session.job_name, job.name);
    assert_eq!(session.state, Some(SessionState::Working));
}

async fn related_session_restore_point(e: Env) {
    // Related: a finished job session → the restore point it created.
    let sessions = e.em.backup_session_entities().await.unwrap();
    let session = sessions
        .backup_job_session
        .iter()
        .find(|s| {
            s.result == Some(JobResult::Success)
                && s.links
                    .as_ref()
                    .is_some_and(|l| l.find("Related", None, None).is_ok())
        })
        .expect("a successful session that created a restore point");
    e.take();
    let point = session.restore_point(&e.em).await.unwrap();
    let reqs = e.take();
    assert_eq!(reqs[0].method, "GET");
    assert!(
        reqs[0].path.starts_with("/api/restorePoints/"),
        "{}",
        reqs[0].path
    );
    assert_eq!(point.type_.as_deref(), Some("RestorePointReference"));
}

async fn create_logon_session(e: Env) {
    // Create: the logon session, through the entry point's newest version link.
    let client = Client::builder(e.sim.url()).build().unwrap();
    e.take();
    let em = client.logon("admin", "admin").await.unwrap();
    let reqs = e.take();
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("GET", "/api/")
    );
    let post = &reqs[1];
    assert_eq!(post.method, "POST");
    assert_eq!(post.path, "/api/sessionMngr/");
    assert_eq!(
        post.query.as_deref(),
        Some("v=v1_7"),
        "the newest version both sides speak"
    );
    assert_eq!(post.status, 201);
    assert!(post.has_authorization && !post.has_session_token);
    assert_eq!(em.version(), Some("v1_7"));
    em.jobs().await.unwrap();
    let reqs = e.take();
    assert!(
        reqs[0].has_session_token && !reqs[0].has_authorization,
        "token only, as a header"
    );
}

async fn stop_job_and_session(e: Env) {
    let job = e.backup_job(None).await;
    let id = id_of(job.href.as_deref().unwrap());
    // Stop: a job that runs.
    job.start(&e.em).await.unwrap().wait(&e.em).await.unwrap();
    e.take();
    let task = job.stop(&e.em).await.unwrap();
    e.expect("POST", &format!("/api/jobs/{id}"), Some("action=stop"));
    assert_eq!(task.wait(&e.em).await.unwrap().state, TaskState::Finished);
    // Stop: a job session that runs.
    let started = job.start(&e.em).await.unwrap().wait(&e.em).await.unwrap();
    let session = started.backup_job_session(&e.em).await.unwrap();
    assert_eq!(session.state, Some(SessionState::Working));
    e.take();
    let task = session.stop(&e.em).await.unwrap();
    e.expect(
        "POST",
        &format!(
            "/api/backupSessions/{}",
            id_of(session.href.as_deref().unwrap())
        ),
        Some("action=stop"),
    );
    task.wait(&e.em).await.unwrap();
    let stopped = e.em.reload(&session).await.unwrap();
    assert_ne!(stopped.state, Some(SessionState::Working));
}

async fn retry_failed_job(e: Env) {
    let job = e.backup_job(None).await;
    let id = id_of(job.href.as_deref().unwrap());
    assert!(e
        .sim
        .set_job_last_result(&id, emrest_sim::JobResult::Failed));
    let task = job.retry(&e.em).await.unwrap();
    e.expect("POST", &format!("/api/jobs/{id}"), Some("action=retry"));
    let done = task.wait(&e.em).await.unwrap();
    let session = done.backup_job_session(&e.em).await.unwrap();
    assert!(session.is_retry);
}

async fn clone_job(e: Env) {
    let job = e.backup_job(None).await;
    let id = id_of(job.href.as_deref().unwrap());
    let repo = e.em.repositories().await.unwrap().ref_.remove(0);
    let spec = JobCloneSpec {
        backup_job_clone_info: Some(BackupJobCloneInfo {
            job_name: "Clone of e2e".into(),
            folder_name: "CloneOfE2e".into(),
            repository_uid: repo.uid.clone().unwrap(),
            description: Some("made by the relation tests".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    e.take();
    let task = job.clone_job(&e.em, &spec).await.unwrap();
    e.expect("POST", &format!("/api/jobs/{id}"), Some("action=clone"));
    let done = task.wait(&e.em).await.unwrap();
    let clone = done.job(&e.em).await.unwrap();
    assert_eq!(clone.name.as_deref(), Some("Clone of e2e"));
}

async fn toggle_schedule_and_edit_job(e: Env) {
    let job = e.backup_job(None).await;
    let id = id_of(job.href.as_deref().unwrap());
    let before = job.schedule_enabled;
    let task = job.toggle_schedule_enabled(&e.em).await.unwrap();
    e.expect(
        "POST",
        &format!("/api/jobs/{id}"),
        Some("action=toggleScheduleEnabled"),
    );
    task.wait(&e.em).await.unwrap();
    let after = e.em.reload(&job).await.unwrap();
    assert_eq!(after.schedule_enabled, before.map(|b| !b));
    // Edit: PUT with a Job body → Task.
    let edit = Job {
        description: Some("edited by e2e".into()),
        ..Job::default()
    };
    e.take();
    let task = after.edit(&e.em, &edit).await.unwrap();
    e.expect("PUT", &format!("/api/jobs/{id}"), Some("action=edit"));
    task.wait(&e.em).await.unwrap();
    let edited = e.em.reload(&after).await.unwrap();
    assert_eq!(edited.description.as_deref(), Some("edited by e2e"));
}

async fn create_include(e: Env) {
    let job = e.backup_job(None).await;
    let id = id_of(job.href.as_deref().unwrap());
    let spec = CreateObjectInJobSpec {
        hierarchy_obj_ref: "urn:VMware:Vm:7f0d1c3a-0000-4000-8000-000000000001.vm-4242".into(),
        hierarchy_obj_name: "e2e-vm".into(),
        ..Default::default()
    };
    let task = job.add_include(&e.em, &spec).await.unwrap();
    e.expect("POST", &format!("/api/jobs/{id}/includes"), None);
    task.wait(&e.em).await.unwrap();
    let includes = job.includes(&e.em).await.unwrap();
    let added = includes
        .object_in_job
        .iter()
        .find(|o| o.name.as_deref() == Some("e2e-vm"))
        .expect("the new include is listed by name");
    assert_eq!(
        added.hierarchy_obj_ref.as_deref(),
        Some(spec.hierarchy_obj_ref.as_str())
    );
}

async fn credentials_create_edit_delete(e: Env) {
    let servers = e.em.backup_server_entities().await.unwrap();
    let server = &servers.backup_server[0];
    let sid = id_of(server.href.as_deref().unwrap());
    e.take();
    // Create: 201, no body.
    let spec = CredentialsInfoSpec {
        username: Some("CORP\\e2e".into()),
        description: Some("e2e".into()),
        password: Some("s3cret!".into()),
        ..Default::default()
    };
    server.create_credentials(&e.em, &spec).await.unwrap();
    e.expect(
        "POST",
        &format!("/api/backupServers/{sid}/credentials"),
        Some("action=create"),
    );
    let list = server.credentials(&e.em).await.unwrap();
    let cred = list
        .credentials_info
        .into_iter()
        .find(|c| c.username.as_deref() == Some("CORP\\e2e"))
        .unwrap_or_else(|| panic!("created credentials are listed: {:#?}", e.take()));
    assert_eq!(
        cred.password.as_deref().unwrap_or(""),
        "",
        "passwords are never returned"
    );
    let cid = id_of(cred.href.as_deref().unwrap());
    e.take();
    // Edit: 204.
    let mut changed = cred.clone();
    changed.description = Some("changed".into());
    changed.links = None;
    cred.edit(&e.em, &changed).await.unwrap();
    e.expect(
        "PUT",
        &format!("/api/backupServers/{sid}/credentials/{cid}"),
        None,
    );
    // Delete: 204.
    cred.delete(&e.em).await.unwrap();
    e.expect(
        "DELETE",
        &format!("/api/backupServers/{sid}/credentials/{cid}"),
        None,
    );
    let list = server.credentials(&e.em).await.unwrap();
    assert!(list
        .credentials_info
        .iter()
        .all(|c| c.username.as_deref() != Some("CORP\\e2e")));
}

async fn delete_task_and_logon_session(e: Env) {
    let job = e.backup_job(None).await;
    let task = job.start(&e.em).await.unwrap().wait(&e.em).await.unwrap();
    let tid = task.task_id.clone();
    e.take();
    task.delete(&e.em).await.unwrap();
    e.expect("DELETE", &format!("/api/tasks/{tid}"), None);
    let tasks = e.em.tasks().await.unwrap();
    assert!(tasks.task.iter().all(|t| t.task_id != tid));
    e.take();
    // Delete: the logon session, through its own link.
    let href = e.em.href().expect("logon session href");
    e.em.logoff().await.unwrap();
    e.expect(
        "DELETE",
        &format!("/api/logonSessions/{}", id_of(&href)),
        None,
    );
    assert!(
        e.em.jobs().await.is_err(),
        "a logged-off session cannot be used"
    );
}

async fn restore_vm(e: Env) {
    let points = e.em.vm_restore_point_entities().await.unwrap();
    let point = &points.vm_restore_point[0];
    let pid = id_of(point.href.as_deref().unwrap());
    e.take();
    let spec = RestoreSpec {
        vm_restore_spec: Some(VmRestoreSpec {
            power_on_after_restore: true,
            quick_rollback: false,
            ..Default::default()
        }),
        ..Default::default()
    };
    let task = point.restore(&e.em, &spec).await.unwrap();
    e.expect(
        "POST",
        &format!("/api/vmRestorePoints/{pid}"),
        Some("action=restore"),
    );
    let done = task.wait(&e.em).await.unwrap();
    let session = done.restore_session(&e.em).await.unwrap();
    assert!(session
        .href
        .as_deref()
        .unwrap()
        .contains("/restoreSessions/"));
}

async fn failover_replica_point(e: Env) {
    let points = e.em.vm_replica_point_entities().await.unwrap();
    let point = &points.vm_replica_point[0];
    let pid = id_of(point.href.as_deref().unwrap());
    e.take();
    let task = point.failover(&e.em).await.unwrap();
    e.expect(
        "POST",
        &format!("/api/vmReplicaPoints/{pid}"),
        Some("action=failover"),
    );
    assert_eq!(
        task.wait(&e.em).await.unwrap().result.map(|r| r.success),
        Some(true)
    );
}

async fn test_cloud_failover_plan(e: Env) {
    // An administrator's logon session does not link /cloud; the query service finds plans.
    let plans =
        e.em.query::<CloudFailoverPlan>()
            .entities()
            .first_page()
            .await
            .unwrap();
    let plan = &plans.items[0];
    let pid = id_of(plan.href.as_deref().unwrap());
    e.take();
    let task = plan.test(&e.em).await.unwrap();
    e.expect(
        "POST",
        &format!("/api/cloud/cloudFailoverPlans/{pid}"),
        Some("action=test"),
    );
    task.wait(&e.em).await.unwrap();
}

async fn toggle_restore_scopes(e: Env) {
    let security = e.em.security().await.unwrap();
    let accounts = security.accounts(&e.em).await.unwrap();
    let account = accounts.ref_[0].alternate(&e.em).await.unwrap();
    let aid = id_of(account.href.as_deref().unwrap());
    let before = account.allow_restore_all_vms;
    e.take();
    account.toggle_restore_scopes_enabled(&e.em).await.unwrap();
    e.expect("POST", &format!("/api/security/accounts/{aid}"), None);
    let after = e.em.reload(&account).await.unwrap();
    assert_eq!(after.allow_restore_all_vms, !before);
}

async fn browse_catalog(e: Env) {
    let vms = e.em.catalog_vms().await.unwrap();
    let points = vms.ref_[0].vm_restore_points(&e.em).await.unwrap();
    let point = points.ref_[0].alternate(&e.em).await.unwrap();
    e.take();
    let task = point.browse(&e.em).await.unwrap();
    let reqs = e.take();
    assert_eq!(reqs[0].method, "POST");
    assert!(
        reqs[0].path.contains("/api/catalog/vms/") && reqs[0].path.contains("/vmRestorePoints/")
    );
    assert_eq!(reqs[0].query.as_deref(), Some("action=browse"));
    let done = task.wait(&e.em).await.unwrap();
    let fs = done.file_system(&e.em).await.unwrap();
    assert!(fs.files.is_some() || fs.directories.is_some());
}

async fn download_file(e: Env) {
    let points = e.em.vm_restore_point_entities().await.unwrap();
    let point = &points.vm_restore_point[0];
    let mounted = point.mount(&e.em).await.unwrap().wait(&e.em).await.unwrap();
    let mount = mounted.mount(&e.em).await.unwrap();
    let root = &mount.fs_roots.as_ref().expect("mount lists its volumes")[0];
    let listing: FileSystemEntries = e.em.get(root.href.as_deref().unwrap()).await.unwrap();
    let file = &listing.files.as_ref().expect("the root has files")[0];
    let spec = FileRestoreSpec {
        for_direct_download: Some(Default::default()),
        ..Default::default()
    };
    let restored = file
        .restore(&e.em, &spec)
        .await
        .unwrap()
        .wait(&e.em)
        .await
        .unwrap();
    e.take();
    let bytes = restored.download(&e.em).await.unwrap();
    let reqs = e.take();
    assert_eq!(reqs[0].method, "GET", "the documented download is a GET");
    assert_eq!(reqs[0].query.as_deref(), Some("action=download"));
    assert_eq!(bytes.bytes.len() as i64, file.size);
    mount.unmount(&e.em).await.unwrap();
}

async fn paging_links(e: Env) {
    let page =
        e.em.query::<BackupJobSession>()
            .entities()
            .page_size(5)
            .first_page()
            .await
            .unwrap();
    assert!(
        page.pages_count >= 3,
        "small data set has more than 10 job sessions"
    );
    e.take();
    // Next, Previous, Last, First through the typed PagingInfo methods.
    let first: QueryResult = e.em.get(&first_href(&page.links)).await.unwrap();
    let paging = first.paging_info.clone().unwrap();
    e.take();
    let second = paging.next(&e.em).await.unwrap();
    let q = e.take()[0].query.clone().unwrap();
    assert!(q.contains("page=2") && q.contains("pageSize=5"), "{q}");
    let p2 = second.paging_info.unwrap();
    assert_eq!(p2.page_num, 2);
    let back = p2.previous(&e.em).await.unwrap();
    assert_eq!(back.paging_info.as_ref().unwrap().page_num, 1);
    let last = p2.last(&e.em).await.unwrap();
    let lp = last.paging_info.unwrap();
    assert_eq!(lp.page_num, lp.pages_count);
    let again = lp.first(&e.em).await.unwrap();
    assert_eq!(again.paging_info.unwrap().page_num, 1);
}

fn first_href(links: &Links) -> String {
    links
        .find("First", None, None)
        .expect("First link")
        .href
        .to_string()
}

in_all_formats! {
    alternate_up_down => alternate_up_down;
    related_session_restore_point => related_session_restore_point;
    create_logon_session => create_logon_session;
    start_and_related => start_and_related;
    stop_job_and_session => stop_job_and_session;
    retry_failed_job => retry_failed_job;
    clone_job => clone_job;
    toggle_schedule_and_edit_job => toggle_schedule_and_edit_job;
    create_include => create_include;
    credentials_create_edit_delete => credentials_create_edit_delete;
    delete_task_and_logon_session => delete_task_and_logon_session;
    restore_vm => restore_vm;
    failover_replica_point => failover_replica_point;
    test_cloud_failover_plan => test_cloud_failover_plan;
    toggle_restore_scopes => toggle_restore_scopes;
    browse_catalog => browse_catalog;
    download_file => download_file;
    paging_links => paging_links;
}
