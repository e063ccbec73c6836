//! End-to-end HTTP tests against `spawn()` with a plain HTTP client.

use std::time::Duration;

use emrest_runtime::Node;
use emrest_sim::render::parse_xml;
use emrest_sim::{spawn, Casing, JobResult, SimConfig, SimHandle};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value as Json;

struct T {
    sim: SimHandle,
    http: Client,
    token: String,
}

async fn start(cfg: SimConfig) -> SimHandle {
    spawn(cfg).await.expect("simulator starts")
}

/// A plain HTTP client. reqwest may be built with rustls but no default provider (feature
/// unification with the runtime), so install ring's first.
fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

async fn logon_as(sim: &SimHandle, http: &Client, user: &str, pass: &str) -> reqwest::Response {
    http.post(format!("{}sessionMngr/?v=latest", sim.url()))
        .basic_auth(user, Some(pass))
        .send()
        .await
        .expect("logon request")
}

async fn setup_with(cfg: SimConfig, user: &str, pass: &str) -> T {
    let sim = start(cfg).await;
    let http = client();
    let r = logon_as(&sim, &http, user, pass).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.headers()["x-restsvcsessionid"]
        .to_str()
        .expect("ascii token")
        .to_string();
    T { sim, http, token }
}

async fn setup() -> T {
    setup_with(SimConfig::small(), "admin", "admin").await
}

impl T {
    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.sim.url(), path.trim_start_matches('/'))
        }
    }

    async fn send(&self, m: Method, path: &str, body: Option<&str>) -> (StatusCode, String) {
        let mut rb = self
            .http
            .request(m, self.url(path))
            .header("X-RestSvcSessionId", &self.token);
        if let Some(b) = body {
            rb = rb
                .header("Content-Type", "application/xml")
                .body(b.to_string());
        }
        let r = rb.send().await.expect("request");
        let s = r.status();
        (s, r.text().await.expect("body"))
    }

    async fn xml(&self, m: Method, path: &str, body: Option<&str>) -> (StatusCode, Node) {
        let (s, text) = self.send(m, path, body).await;
        let node = if text.is_empty() {
            Node::new("")
        } else {
            parse_xml(&text).unwrap_or_else(|| panic!("XML: {text}"))
        };
        (s, node)
    }

    async fn get(&self, path: &str) -> Node {
        let (s, n) = self.xml(Method::GET, path, None).await;
        assert_eq!(s, StatusCode::OK, "GET {path}");
        n
    }

    async fn json(&self, path: &str) -> Json {
        let r = self
            .http
            .get(self.url(path))
            .header("X-RestSvcSessionId", &self.token)
            .header("Accept", "application/json")
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("application/json"));
        serde_json::from_str(&r.text().await.expect("body")).expect("JSON")
    }

    /// Polls a task until Finished.
    async fn wait(&self, task: &Node) -> Node {
        let href = task.attr("Href").expect("task href").to_string();
        for _ in 0..10 {
            let t = self.get(&href).await;
            if t.scalar("State") == Some("Finished") {
                return t;
            }
        }
        panic!("task did not finish");
    }
}

fn link<'a>(n: &'a Node, rel: &str, ty: Option<&str>) -> Option<&'a str> {
    n.child("Links")?
        .children
        .iter()
        .find(|l| l.attr("Rel") == Some(rel) && (ty.is_none() || l.attr("Type") == ty))
        .and_then(|l| l.attr("Href"))
}

fn job_href(t: &T, name: &str) -> String {
    t.url(&format!("jobs/{}", t.sim.job_id(name).expect("job exists")))
}

#[tokio::test]
async fn entry_point_lists_versions_without_auth() {
    let sim = start(SimConfig::small()).await;
    let text = client()
        .get(sim.url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("xmlns=\"http://www.veeam.com/ent/v1.0\""));
    let n = parse_xml(&text).unwrap();
    assert_eq!(n.name, "EnterpriseManager");
    let versions: Vec<_> = n
        .child("SupportedVersions")
        .unwrap()
        .children
        .iter()
        .filter_map(|v| v.attr("Name"))
        .collect();
    assert_eq!(versions, ["v1_5", "v1_6", "v1_7"]);
    assert!(link(&n, "Create", Some("LogonSession"))
        .unwrap()
        .ends_with("/api/sessionMngr/?v=latest"));
}

#[tokio::test]
async fn logon_returns_token_cookie_location_and_links() {
    let sim = start(SimConfig::small()).await;
    let http = client();
    let r = logon_as(&sim, &http, "TECH\\Admin", "admin").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.headers()["x-restsvcsessionid"]
        .to_str()
        .unwrap()
        .to_string();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert_eq!(cookie, format!("X-RestSvcSessionId={token}; Path=/api;"));
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let n = parse_xml(&r.text().await.unwrap()).unwrap();
    assert_eq!(n.name, "LogonSession");
    let id = n.scalar("SessionId").unwrap();
    assert!(location.ends_with(&format!("/api/logonSessions/{id}")));
    assert_ne!(id, token);
    let links = &n.child("Links").unwrap().children;
    assert!(links.len() >= 50, "{} links", links.len());
    assert!(link(&n, "Down", Some("QueryService")).is_some());
    assert_eq!(link(&n, "Delete", None), Some(location.as_str()));
    for user in ["admin@tech.local", "admin"] {
        assert_eq!(logon_as(&sim, &http, user, "admin").await.status(), 201);
    }
}

#[tokio::test]
async fn bad_logon_is_401_with_challenge() {
    let sim = start(SimConfig::small()).await;
    let http = client();
    let r = logon_as(&sim, &http, "admin", "wrong").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Basic Realm=RestSvc");
    let n = parse_xml(&r.text().await.unwrap()).unwrap();
    assert_eq!(n.name, "Error");
    assert_eq!(n.attr("StatusCode"), Some("401"));
    let r = http
        .post(format!("{}sessionMngr/?v=latest", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .post(format!("{}sessionMngr/?v=v1_4", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn token_rules_cookie_wins_expiry_and_logoff() {
    let t = setup().await;
    let r = t.http.get(t.url("jobs")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(parse_xml(&r.text().await.unwrap()).unwrap().name, "Error");
    // Cookie wins: a bad cookie with a good header is refused, and vice versa.
    let r = t
        .http
        .get(t.url("jobs"))
        .header("X-RestSvcSessionId", &t.token)
        .header("Cookie", "X-RestSvcSessionId=bogus")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = t
        .http
        .get(t.url("jobs"))
        .header("X-RestSvcSessionId", "bogus")
        .header("Cookie", format!("X-RestSvcSessionId={}", t.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Logoff through the session's own Delete link.
    let (_, me) = t.xml(Method::GET, "logonSessions", None).await;
    let mine = &me.children[0];
    let del = link(mine, "Delete", None).unwrap().to_string();
    let (s, _) = t.send(Method::DELETE, &del, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = t.send(Method::GET, "jobs", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn idle_sessions_expire() {
    let cfg = SimConfig {
        idle_timeout: Duration::from_millis(300),
        ..SimConfig::small()
    };
    let t = setup_with(cfg, "admin", "admin").await;
    assert_eq!(t.send(Method::GET, "jobs", None).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(450)).await;
    let (s, body) = t.send(Method::GET, "jobs", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body.contains("StatusCode=\"401\""));

    let t = setup().await;
    t.sim.expire_all_sessions();
    assert_eq!(
        t.send(Method::GET, "tasks", None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn job_start_runs_a_task_and_a_session_once() {
    let t = setup().await;
    let job = job_href(&t, "SQL Backup");
    let entity = t.get(&format!("{job}?format=Entity")).await;
    let start = link(&entity, "Start", None).unwrap().to_string();
    assert!(start.ends_with("?action=start"));
    let sessions_before = t.sim.session_count();
    let (s, task) = t.xml(Method::POST, &start, None).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(task.name, "Task");
    assert_eq!(task.scalar("State"), Some("Running"));
    assert_eq!(task.scalar("Operation"), Some("StartJob"));
    let done = t.wait(&task).await;
    assert_eq!(done.child("Result").unwrap().attr("Success"), Some("true"));
    let session = link(&done, "Related", Some("BackupJobSession"))
        .unwrap()
        .to_string();
    assert_eq!(t.sim.session_count(), sessions_before + 1);
    assert_eq!(t.sim.job_starts(&t.sim.job_id("SQL Backup").unwrap()), 1);
    let mut state = String::new();
    for _ in 0..10 {
        let n = t.get(&session).await;
        state = n.scalar("State").unwrap().to_string();
        if state == "Stopped" {
            assert_eq!(n.scalar("Result"), Some("Success"));
            assert!(n.scalar("EndTimeUTC").is_some());
            break;
        }
        assert_eq!(state, "Working");
        assert_eq!(n.scalar("Result"), Some("None"));
    }
    assert_eq!(state, "Stopped");
    // The task is listed for this logon session and can be deleted.
    let tasks = t.get("tasks").await;
    assert_eq!(tasks.children.len(), 1);
    let (s, _) = t
        .send(Method::DELETE, task.attr("Href").unwrap(), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = t.send(Method::GET, task.attr("Href").unwrap(), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Exactly one start in the request log.
    let starts = t
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.query.as_deref() == Some("action=start"))
        .count();
    assert_eq!(starts, 1);
}

#[tokio::test]
async fn stop_retry_toggle_and_errors() {
    let t = setup().await;
    let failed = t.sim.jobs()[1].clone();
    let job = t.url(&format!("jobs/{}", failed.id));
    let (s, task) = t
        .xml(Method::POST, &format!("{job}?action=retry"), None)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "job 1's last run failed");
    assert_eq!(task.scalar("Operation"), Some("RetryJob"));
    let (s, stop) = t
        .xml(Method::POST, &format!("{job}?action=stop"), None)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(
        t.wait(&stop).await.child("Result").unwrap().attr("Success"),
        Some("true")
    );
    // Stopped run failed, so retry is allowed again; after a success it is not.
    t.sim.set_job_last_result(&failed.id, JobResult::Success);
    let (s, err) = t
        .xml(Method::POST, &format!("{job}?action=retry"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err.name, "Error");
    let (s, _) = t
        .xml(
            Method::POST,
            &format!("{job}?action=toggleScheduleEnabled"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(t.sim.action_count(&failed.id, "toggleScheduleEnabled"), 1);
    // Wrong verb on an action URL, unknown action, unknown id.
    let (s, _) = t
        .xml(Method::GET, &format!("{job}?action=start"), None)
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (s, _) = t
        .xml(Method::POST, &format!("{job}?action=explode"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, e) = t
        .xml(
            Method::GET,
            "jobs/00000000-0000-0000-0000-000000000000",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(e.attr("StatusCode"), Some("404"));
    let (s, _) = t.xml(Method::PATCH, &job, None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (s, _) = t.xml(Method::GET, "nothing/here", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// The UID of the first repository em-sim lists (what a clone spec names).
async fn repository_uid(t: &T) -> String {
    let repos = t.get("repositories").await;
    let first = repos.children.first().expect("a repository");
    first.attr("UID").expect("repository UID").to_string()
}

/// `doc` with the text of its first `name` element replaced by `value`.
fn set_element(doc: &str, name: &str, value: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = doc
        .find(&open)
        .unwrap_or_else(|| panic!("no {name} in {doc}"))
        + open.len();
    let end = start + doc[start..].find(&close).expect("closed");
    format!("{}{value}{}", &doc[..start], &doc[end..])
}

#[tokio::test]
async fn clone_edit_delete_and_includes() {
    let t = setup().await;
    let job = job_href(&t, "SQL Backup");
    let repo = repository_uid(&t).await;
    let spec = format!(
        r#"<JobCloneSpec xmlns="http://www.veeam.com/ent/v1.0"><BackupJobCloneInfo><JobName>SQL Backup Copy</JobName><FolderName>x</FolderName><RepositoryUid>{repo}</RepositoryUid></BackupJobCloneInfo></JobCloneSpec>"#
    );
    let spec = spec.as_str();
    let (s, task) = t
        .xml(Method::POST, &format!("{job}?action=clone"), Some(spec))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{:?}", task.attr("Message"));
    let done = t.wait(&task).await;
    let new = link(&done, "Related", Some("Job"))
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(t.get(&new).await.attr("Name"), Some("SQL Backup Copy"));
    let (s, _) = t
        .xml(Method::POST, &format!("{job}?action=clone"), Some("<nope"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Well-formed but not a `JobCloneSpec` the generated type reads (a required element
    // missing, another root): EM's 400, naming the type and the reason.
    for (body, why) in [
        (
            "<JobCloneSpec><BackupJobCloneInfo><JobName>x</JobName><FolderName>f</FolderName></BackupJobCloneInfo></JobCloneSpec>",
            "missing element `RepositoryUid`",
        ),
        ("<RestoreSpec/>", "root element is `RestoreSpec`"),
    ] {
        let (s, e) = t
            .xml(Method::POST, &format!("{job}?action=clone"), Some(body))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let message = e.attr("Message").unwrap_or("");
        assert!(
            message.contains("not a valid JobCloneSpec") && message.contains(why),
            "{message}"
        );
    }
    let (s, _) = t
        .xml(Method::POST, &format!("{job}?action=clone"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // An edit sends the whole job back (its body type is `Job`), changed in two fields.
    let (s, entity) = t
        .send(Method::GET, &format!("{new}?format=Entity"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let edit = set_element(&entity, "Description", "edited");
    let edit = set_element(&edit, "ScheduleEnabled", "false");
    let (s, task) = t
        .xml(Method::PUT, &format!("{new}?action=edit"), Some(&edit))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(task.scalar("Operation"), Some("EditJob"));
    let e = t.get(&format!("{new}?format=Entity")).await;
    assert_eq!(e.scalar("Description"), Some("edited"));
    assert_eq!(e.scalar("ScheduleEnabled"), Some("false"));

    let inc = t.get(&format!("{new}/includes")).await;
    let n = inc.children.len();
    let add = r#"<CreateObjectInJobSpec xmlns="http://www.veeam.com/ent/v1.0"><HierarchyObjRef>urn:VMware:Vm:x.vm-9</HierarchyObjRef><HierarchyObjName>newvm</HierarchyObjName></CreateObjectInJobSpec>"#;
    let (s, _) = t
        .xml(Method::POST, &format!("{new}/includes"), Some(add))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let inc = t.get(&format!("{new}/includes")).await;
    assert_eq!(inc.children.len(), n + 1);
    let del = link(inc.children.last().unwrap(), "Delete", None)
        .unwrap()
        .to_string();
    let (s, _) = t.xml(Method::DELETE, &del, None).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(t.get(&format!("{new}/includes")).await.children.len(), n);

    let (s, task) = t.xml(Method::DELETE, &new, None).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(task.scalar("Operation"), Some("DeleteJob"));
    assert_eq!(
        t.xml(Method::GET, &new, None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn restore_operator_may_read_and_restore_but_not_run_jobs() {
    let t = setup_with(SimConfig::small(), "operator", "operator").await;
    let job = job_href(&t, "SQL Backup");
    let (s, e) = t
        .xml(Method::POST, &format!("{job}?action=start"), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(e.attr("StatusCode"), Some("403"));
    assert_eq!(t.sim.job_starts(&t.sim.job_id("SQL Backup").unwrap()), 0);
    let vrps = t.get("vmRestorePoints").await;
    let vrp = vrps.children[0].attr("Href").unwrap().to_string();
    let spec = r#"<RestoreSpec xmlns="http://www.veeam.com/ent/v1.0"><VmRestoreSpec><PowerOnAfterRestore>true</PowerOnAfterRestore><QuickRollback>false</QuickRollback></VmRestoreSpec></RestoreSpec>"#;
    let (s, task) = t
        .xml(Method::POST, &format!("{vrp}?action=restore"), Some(spec))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let done = t.wait(&task).await;
    let rs = link(&done, "Related", Some("RestoreSession"))
        .unwrap()
        .to_string();
    assert_eq!(t.get(&rs).await.name, "RestoreSession");
    assert_eq!(
        t.xml(Method::GET, "security/accounts", None).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn mounts_files_and_download() {
    let t = setup().await;
    let vrps = t.get("vmRestorePoints?format=Entity").await;
    let vrp = &vrps.children[0];
    let create = link(vrp, "Create", Some("VmRestorePointMount"))
        .unwrap()
        .to_string();
    let (s, task) = t.xml(Method::POST, &create, None).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(task.scalar("Operation"), Some("MountRestorePoint"));
    let done = t.wait(&task).await;
    let mount = link(&done, "Related", Some("VmRestorePointMount"))
        .unwrap()
        .to_string();
    assert!(mount.ends_with("/mounts/1"));
    let m = t.get(&mount).await;
    // The spec's mount has no `Down` link: a volume's listing is at its `FSRoots` entry's Href.
    let root = m
        .child("FSRoots")
        .and_then(|r| r.children.first())
        .and_then(|d| d.attr("Href"))
        .unwrap()
        .to_string();
    let listing = t.get(&root).await;
    assert_eq!(listing.name, "FileSystemEntries");
    let docs = t.get(&format!("{mount}/C:/Documents")).await;
    let files = docs.child("Files").unwrap();
    assert_eq!(files.children.len(), 3);
    let file = files.children[0].attr("Href").unwrap().to_string();
    let spec = r#"<FileRestoreSpec xmlns="http://www.veeam.com/ent/v1.0"><ForDirectDownload/></FileRestoreSpec>"#;
    let (s, task) = t
        .xml(Method::POST, &format!("{file}?action=restore"), Some(spec))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let done = t.wait(&task).await;
    let dl = link(&done, "Download", None).unwrap().to_string();
    assert!(dl.ends_with("?action=download"));
    let r = t
        .http
        .get(&dl)
        .header("X-RestSvcSessionId", &t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!r.bytes().await.unwrap().is_empty());
    // Paged listing.
    let page = t
        .get(&format!(
            "{mount}/C:/Documents?action=listFiles&pageSize=2&page=2"
        ))
        .await;
    assert_eq!(page.child("Files").unwrap().children.len(), 1);
    assert_eq!(
        page.child("PagingInfo").unwrap().attr("PagesCount"),
        Some("2")
    );
    let (s, _) = t.xml(Method::DELETE, &mount, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        t.xml(Method::GET, &mount, None).await.0,
        StatusCode::NOT_FOUND
    );
}

/// The mounts of VM replica points and agent restore points hold files as a VM restore
/// point's mount does; each file offers only its own kind of mount's `Restore`.
#[tokio::test]
async fn replica_and_agent_mounts_restore_their_own_files() {
    let t = setup().await;
    for (points, mount_type, below, resource) in [
        (
            "vmReplicaPoints?format=Entity",
            "VmReplicaPointMount",
            "/vmReplicaPoints/",
            "vmReplicaPoints",
        ),
        (
            "agents/agentRestorePoints?format=Entity",
            "AgentRestorePointMount",
            "/agents/agentRestorePoints/",
            "agentRestorePoints",
        ),
    ] {
        let list = t.get(points).await;
        let create = link(&list.children[0], "Create", Some(mount_type))
            .unwrap()
            .to_string();
        let (s, task) = t.xml(Method::POST, &create, None).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{create}");
        let done = t.wait(&task).await;
        let mount = link(&done, "Related", Some(mount_type))
            .unwrap()
            .to_string();
        let m = t.get(&mount).await;
        let root = m
            .child("FSRoots")
            .and_then(|r| r.children.first())
            .and_then(|d| d.attr("Href"))
            .unwrap()
            .to_string();
        assert!(root.starts_with(&mount), "{root}");
        let listing = t.get(&root).await;
        assert_eq!(listing.name, "FileSystemEntries");
        assert!(!listing.child("Directories").unwrap().children.is_empty());
        let docs = t.get(&format!("{mount}/C:/Documents")).await;
        let file = &docs.child("Files").unwrap().children[0];
        let restores: Vec<&str> = file
            .child("Links")
            .unwrap()
            .children
            .iter()
            .filter(|l| l.attr("Rel") == Some("Restore"))
            .filter_map(|l| l.attr("Href"))
            .collect();
        assert_eq!(restores.len(), 1, "{restores:?}");
        assert!(restores[0].contains(below), "{}", restores[0]);
        let restore = restores[0].to_string();
        let before = t.sim.actions().len();
        let original = r#"<FileRestoreSpec xmlns="http://www.veeam.com/ent/v1.0"><ToOriginalLocation Overwrite="false"/></FileRestoreSpec>"#;
        let (s, task) = t.xml(Method::POST, &restore, Some(original)).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        assert_eq!(task.scalar("State"), Some("Running"));
        let done = t.wait(&task).await;
        assert_eq!(
            done.child("Result").and_then(|r| r.attr("Success")),
            Some("true")
        );
        let actions = t.sim.actions();
        assert_eq!(actions.len(), before + 1);
        assert_eq!(actions[before].resource, resource);
        assert_eq!(actions[before].action, "restoreFile");
        let direct = r#"<FileRestoreSpec xmlns="http://www.veeam.com/ent/v1.0"><ForDirectDownload/></FileRestoreSpec>"#;
        let (s, task) = t.xml(Method::POST, &restore, Some(direct)).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let done = t.wait(&task).await;
        let dl = link(&done, "Download", None).unwrap().to_string();
        let r = t
            .http
            .get(&dl)
            .header("X-RestSvcSessionId", &t.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(!r.bytes().await.unwrap().is_empty());
        let (s, _) = t.xml(Method::POST, &restore, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = t.xml(Method::DELETE, &mount, None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            t.xml(Method::GET, &root, None).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            t.xml(Method::GET, &mount, None).await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn catalog_browse_lists_guest_files() {
    let t = setup().await;
    let vms = t.get("catalog/vms").await;
    let vm = vms.children[0].attr("Href").unwrap().to_string();
    let points = t.get(&format!("{vm}/vmRestorePoints")).await;
    let p = t
        .get(&format!(
            "{}?format=Entity",
            points.children[0].attr("Href").unwrap()
        ))
        .await;
    let browse = link(&p, "Browse", None).unwrap().to_string();
    let (s, task) = t.xml(Method::POST, &browse, None).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let done = t.wait(&task).await;
    let fs = link(&done, "Down", Some("FileSystemItemsList"))
        .unwrap()
        .to_string();
    assert!(fs.ends_with("/guestfs/"));
    let listing = t.get(&fs).await;
    assert!(!listing.child("Directories").unwrap().children.is_empty());
}

#[tokio::test]
async fn replicas_cloud_plans_security_and_credentials() {
    let t = setup().await;
    let points = t.get("vmReplicaPoints").await;
    let p = points.children[0].attr("Href").unwrap().to_string();
    let (s, task) = t
        .xml(Method::POST, &format!("{p}?action=failover"), None)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(task.scalar("Operation"), Some("StartReplicaFailover"));

    let plans = t.get("cloud/cloudFailoverPlans").await;
    let plan = plans.children[0].attr("Href").unwrap().to_string();
    for a in ["start", "test", "undo"] {
        let (s, _) = t
            .xml(Method::POST, &format!("{plan}?action={a}"), None)
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{a}");
    }

    let accounts = t.get("security/accounts?format=Entity").await;
    let acc = &accounts.children[1];
    let before = acc.scalar("AllowRestoreAllVms").unwrap().to_string();
    let toggle = link(acc, "ToggleRestoreScopesEnabled", None)
        .unwrap()
        .to_string();
    let (s, _) = t.xml(Method::POST, &toggle, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let after = t.get(&format!("{toggle}?format=Entity")).await;
    assert_ne!(after.scalar("AllowRestoreAllVms").unwrap(), before);

    let servers = t.get("backupServers").await;
    let srv = servers.children[0].attr("Href").unwrap().to_string();
    let spec = r#"<CredentialsInfoSpec xmlns="http://www.veeam.com/ent/v1.0"><Username>TECH\new</Username><Description>d</Description><Password>p</Password></CredentialsInfoSpec>"#;
    let r = t
        .http
        .post(format!("{srv}/credentials?action=create"))
        .header("X-RestSvcSessionId", &t.token)
        .body(spec)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(t.get(&loc).await.scalar("Username"), Some("TECH\\new"));
    let edit = r#"<CredentialsInfo xmlns="http://www.veeam.com/ent/v1.0"><Username>TECH\renamed</Username></CredentialsInfo>"#;
    assert_eq!(
        t.xml(Method::PUT, &loc, Some(edit)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.xml(Method::DELETE, &loc, None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.xml(Method::GET, &loc, None).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, task) = t
        .xml(Method::POST, &format!("{srv}?action=collect"), None)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(task.scalar("Operation"), Some("CollectingBackupServer"));
}

#[tokio::test]
async fn query_filters_sorts_and_pages() {
    let t = setup().await;
    let (s, text) = t
        .send(
            Method::GET,
            "query?type=BackupJobSession&format=Entities&filter=Result==Failed,Result==Warning&sortDesc=CreationTime&pageSize=2",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("&amp;pageSize=2&amp;page=1"), "{text}");
    let n = parse_xml(&text).unwrap();
    let items = &n
        .child("Entities")
        .unwrap()
        .child("BackupJobSessions")
        .unwrap()
        .children;
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.scalar("Result") != Some("Success")));
    assert!(items[0].scalar("CreationTimeUTC") >= items[1].scalar("CreationTimeUTC"));
    let paging = n.child("PagingInfo").unwrap();
    assert_eq!(paging.attr("PageNum"), Some("1"));
    let pages: usize = paging.attr("PagesCount").unwrap().parse().unwrap();
    let next = link(paging, "Next", None).unwrap().to_string();
    assert!(next.contains("page=2"));
    assert!(link(paging, "Previous", None).is_none());
    let second = t.get(&next).await;
    assert_eq!(
        second.child("PagingInfo").unwrap().attr("PageNum"),
        Some("2")
    );
    let last = link(paging, "Last", None).unwrap().to_string();
    assert!(last.ends_with(&format!("page={pages}")));

    // Default page size 100, references by default, enum order (Result>Success).
    let all = t.get("query?type=BackupJobSession").await;
    assert_eq!(
        all.child("PagingInfo").unwrap().attr("PageSize"),
        Some("100")
    );
    assert_eq!(all.child("Refs").unwrap().children.len(), 40);
    let bad = t
        .get("query?type=backupjobsession&filter=result>success")
        .await;
    let good = t
        .get("query?type=BackupJobSession&filter=Result==Success")
        .await;
    assert_eq!(
        bad.child("Refs").unwrap().children.len() + good.child("Refs").unwrap().children.len(),
        40
    );
    let q = t
        .get(r#"query?type=Job&filter=(JobType==Backup;Name=="SQL Backup"),JobType==Replica"#)
        .await;
    assert_eq!(q.child("Refs").unwrap().children.len(), 2);
    let q = t
        .get("query?type=Repository&format=Entities&sortAsc=FreeSpace")
        .await;
    let repos = &q
        .child("Entities")
        .unwrap()
        .child("Repositories")
        .unwrap()
        .children;
    let free: Vec<i64> = repos
        .iter()
        .map(|r| r.scalar("FreeSpace").unwrap().parse().unwrap())
        .collect();
    assert!(free.windows(2).all(|w| w[0] <= w[1]));
    for bad in [
        "query?type=Nope",
        "query",
        "query?type=Job&filter=Nope==1",
        "query?type=Job&filter=(Name==a",
        "query?type=Job&pageSize=0",
        "query?type=Job&sortAsc=Nope",
        "query?type=BackupJobSession&filter=Result==Great",
    ] {
        assert_eq!(
            t.send(Method::GET, bad, None).await.0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    let svc = t.get("querySvc").await;
    assert_eq!(svc.attr("Type"), Some("QueryService"));
}

#[tokio::test]
async fn json_in_both_casings_and_slash_normalisation() {
    let t = setup().await;
    let j = t.json("//jobs?format=Entity").await;
    let jobs = j["Jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 5);
    assert_eq!(jobs[0]["Type"], "Job");
    assert!(jobs[0]["ScheduleEnabled"].is_boolean());
    assert!(jobs[0]["Links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["Rel"] == "Start"));
    let q = t
        .json("query?type=BackupJobSession&format=Entities&pageSize=1")
        .await;
    assert_eq!(q["PagingInfo"]["PageSize"], 1);
    assert_eq!(
        q["Entities"]["BackupJobSessions"]["BackupJobSessions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let cfg = SimConfig {
        json_casing: Casing::Camel,
        ..SimConfig::small()
    };
    let t = setup_with(cfg, "admin", "admin").await;
    let j = t.json("backupSessions?format=Entity").await;
    let s = &j["backupJobSessions"][0];
    assert!(s["creationTimeUTC"].is_string());
    assert!(s["uid"]
        .as_str()
        .unwrap()
        .starts_with("urn:veeam:BackupJobSession:"));
    assert!(s["links"][0]["href"].is_string());
    // XML body with a JSON Accept is rejected (EM's quirk); a JSON body is accepted.
    let job = job_href(&t, "SQL Backup");
    let r = t
        .http
        .post(format!("{job}?action=clone"))
        .header("X-RestSvcSessionId", &t.token)
        .header("Accept", "application/json")
        .body("<JobCloneSpec><BackupJobCloneInfo><JobName>x</JobName></BackupJobCloneInfo></JobCloneSpec>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e: Json = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(e["statusCode"], 400);
    // EM's documented message for an XML body under a JSON `Accept` (REFERENCE.md §3.6).
    assert_eq!(e["message"], "Node [root] does not exist.");
    let r = t
        .http
        .post(format!("{job}?action=clone"))
        .header("X-RestSvcSessionId", &t.token)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(format!(
            r#"{{"BackupJobCloneInfo":{{"JobName":"From JSON","FolderName":"x","RepositoryUid":"{}"}}}}"#,
            repository_uid(&t).await
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert!(t.sim.job_id("From JSON").is_some());
}

#[tokio::test]
async fn requests_are_recorded_without_secrets() {
    let t = setup().await;
    t.sim.clear_requests();
    let _ = t.send(Method::GET, "jobs?format=Entity", None).await;
    let r = t.sim.requests();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].method, "GET");
    assert_eq!(r[0].path, "/api/jobs");
    assert_eq!(r[0].query.as_deref(), Some("format=Entity"));
    assert!(r[0].has_session_token);
    assert_eq!(r[0].status, 200);
    assert!(!format!("{r:?}").contains(&t.token));
}

#[tokio::test]
async fn task_sessions_link_to_their_job_session() {
    let t = setup().await;
    let sessions = t.get("backupSessions").await;
    let s = sessions
        .children
        .last()
        .unwrap()
        .attr("Href")
        .unwrap()
        .to_string();
    let tasks = t.get(&format!("{s}/taskSessions?format=Entity")).await;
    assert!(!tasks.children.is_empty());
    let ts = &tasks.children[0];
    assert_eq!(ts.name, "BackupTaskSession");
    assert_eq!(
        link(ts, "Up", Some("BackupJobSessionReference")),
        Some(s.as_str())
    );
    let one = t.get(ts.attr("Href").unwrap()).await;
    assert!(one.scalar("TotalSize").is_some());
    let (s2, _) = t.xml(Method::DELETE, "backupSessions", None).await;
    assert_eq!(s2, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn odd_requests_never_fail_the_server() {
    let t = setup().await;
    let job = job_href(&t, "SQL Backup");
    let vrp = t.get("vmRestorePoints").await.children[0]
        .attr("Href")
        .unwrap()
        .to_string();
    let paths = [
        String::new(),
        "/".into(),
        "%".into(),
        "%zz/%00".into(),
        "jobs/%E9%E9".into(),
        "jobs/../../etc/passwd".into(),
        format!("{job}/includes/not-a-guid"),
        format!("{job}/backupSessions?format=Entity"),
        format!("{job}/replicaSessions"),
        format!("{job}?format=entity&format=Entity&action="),
        format!("{vrp}/mounts/999/C:/x"),
        format!("{vrp}/mounts/abc"),
        "query?type=Job&filter=%22".into(),
        "query?type=Job&filter=Name==\"\"\"".into(),
        "query?type=Job&filter=((((((((((a==1".into(),
        "query?type=Job&page=99999999999999999999".into(),
        "query?type=Job&pageSize=18446744073709551615&page=18446744073709551615".into(),
        "query?type=BackupJobSession&filter=CreationTime>2025-99-99".into(),
        "query?type=Task&filter=State==Finished".into(),
        "catalog/vms/%2F%2F/vmRestorePoints".into(),
        "logonSessions/x/y/z".into(),
        "tasks/task-99999999999999999999999".into(),
        "tasks/task--1".into(),
        "sessionMngr/extra".into(),
        "security/accounts/x?action=rebuildScope".into(),
        "backupServers?action=create".into(),
    ];
    let bodies = [
        None,
        Some(""),
        Some("<"),
        Some("{}"),
        Some("<a/>"),
        Some("\u{feff}<Job/>"),
    ];
    for p in &paths {
        for m in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ] {
            for b in bodies {
                let (s, _) = t.send(m.clone(), p, b).await;
                assert!(s.as_u16() < 500, "{m} {p} {b:?} → {s}");
            }
        }
    }
    // Still alive and consistent.
    assert_eq!(t.send(Method::GET, "jobs", None).await.0, StatusCode::OK);
}
