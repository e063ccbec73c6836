//! The generic layer's state over HTTP, on a family no hand-written code serves (Cloud
//! Connect tenants): `Create` adds (a task whose `Related` link names the new tenant), `Edit`
//! renames, `Delete` removes, actions run as finished tasks and are recorded, a Restore
//! Operator gets 403, a bad body is a 400 `Error`.

use emrest_runtime::Node;
use emrest_sim::{spawn, SimConfig, SimHandle};
use reqwest::{Client, Method, StatusCode};

struct T {
    sim: SimHandle,
    http: Client,
    token: String,
}

async fn setup(user: &str) -> T {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = spawn(SimConfig::small()).await.expect("simulator starts");
    let http = Client::new();
    let r = http
        .post(format!("{}sessionMngr/?v=latest", sim.url()))
        .basic_auth(user, Some(user))
        .send()
        .await
        .expect("logon");
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.headers()["x-restsvcsessionid"]
        .to_str()
        .expect("token")
        .to_string();
    T { sim, http, token }
}

impl T {
    async fn send(&self, m: Method, url: &str, body: Option<&str>) -> (StatusCode, Node) {
        let url = if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{}", self.sim.url(), url.trim_start_matches('/'))
        };
        let mut rb = self
            .http
            .request(m, url)
            .header("X-RestSvcSessionId", &self.token);
        if let Some(b) = body {
            rb = rb.body(b.to_string());
        }
        let r = rb.send().await.expect("request");
        let s = r.status();
        let text = r.text().await.expect("body");
        let node = if text.is_empty() {
            Node::new("")
        } else {
            emrest_runtime::parse_xml(text.as_bytes()).expect("XML answer")
        };
        (s, node)
    }

    /// Polls a task until `Finished`; the finished task.
    async fn wait(&self, task: &Node) -> Node {
        let href = task.attr("Href").expect("task Href").to_string();
        for _ in 0..5 {
            let (s, t) = self.send(Method::GET, &href, None).await;
            assert_eq!(s, StatusCode::OK);
            if t.child("State").and_then(|s| s.text.as_deref()) == Some("Finished") {
                return t;
            }
        }
        panic!("task did not finish");
    }
}

fn link<'a>(n: &'a Node, rel: &str) -> Option<&'a str> {
    n.child("Links")?
        .children
        .iter()
        .find(|l| l.attr("Rel") == Some(rel))
        .and_then(|l| l.attr("Href"))
}

#[tokio::test]
async fn tenants_are_created_edited_and_deleted() {
    let t = setup("admin").await;
    let (s, list) = t.send(Method::GET, "cloud/tenants", None).await;
    assert_eq!(s, StatusCode::OK);
    let before = list.children.len();
    assert!(before > 0, "seeded tenants");

    // Create: a task whose Related link is the new tenant.
    let spec = r#"<CreateCloudTenantSpec xmlns="http://www.veeam.com/ent/v1.0"><Name>Acme Corp</Name><Enabled>true</Enabled></CreateCloudTenantSpec>"#;
    let (s, task) = t.send(Method::POST, "cloud/tenants", Some(spec)).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let done = t.wait(&task).await;
    // The new tenant's entity form, typed as EM's create tasks do (REFERENCE.md §6).
    let tenant = link(&done, "Related").expect("Related link").to_string();
    assert!(tenant.ends_with("?format=Entity"), "{tenant}");
    let related = done
        .child("Links")
        .and_then(|l| l.children.iter().find(|c| c.attr("Rel") == Some("Related")))
        .and_then(|c| c.attr("Type"));
    assert_eq!(related, Some("CloudTenant"));
    let (s, entity) = t.send(Method::GET, &tenant, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(entity.attr("Name"), Some("Acme Corp"));
    let (_, list) = t.send(Method::GET, "cloud/tenants", None).await;
    assert_eq!(list.children.len(), before + 1);

    // Edit renames.
    let edit =
        r#"<CloudTenant xmlns="http://www.veeam.com/ent/v1.0"><Name>Acme Ltd</Name></CloudTenant>"#;
    let edit_href = link(&entity, "Edit").expect("Edit link").to_string();
    let (s, task) = t.send(Method::PUT, &edit_href, Some(edit)).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    t.wait(&task).await;
    let (_, entity) = t.send(Method::GET, &tenant, None).await;
    assert_eq!(entity.attr("Name"), Some("Acme Ltd"));

    // A body that is not XML is a 400 Error.
    let (s, err) = t.send(Method::PUT, &edit_href, Some("{nope")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err.name, "Error");

    // Delete removes.
    let delete = link(&entity, "Delete").expect("Delete link").to_string();
    let (s, task) = t.send(Method::DELETE, &delete, None).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    t.wait(&task).await;
    let (s, _) = t.send(Method::GET, &tenant, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = t.send(Method::GET, "cloud/tenants", None).await;
    assert_eq!(list.children.len(), before);

    let actions: Vec<&str> = t.sim.actions().iter().map(|a| a.action).collect();
    assert_eq!(actions, ["create_tenant", "edit", "delete"]);
}

#[tokio::test]
async fn generic_actions_are_recorded_tasks_and_operators_are_refused() {
    let t = setup("admin").await;
    let (_, jobs) = t.send(Method::GET, "agents/jobs?format=Entity", None).await;
    let job = &jobs.children[0];
    let start = link(job, "Start").expect("Start link").to_string();
    let (s, task) = t.send(Method::POST, &start, None).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let done = t.wait(&task).await;
    assert_eq!(
        done.child("Result").and_then(|r| r.attr("Success")),
        Some("true")
    );
    assert_eq!(t.sim.actions().len(), 1);
    assert_eq!(t.sim.actions()[0].action, "start");
    // GET on an action URL is 405, an unknown action 400.
    let (s, _) = t.send(Method::GET, &start, None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (s, _) = t
        .send(
            Method::POST,
            &start.replace("action=start", "action=explode"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let op = setup("operator").await;
    let (_, jobs) = op
        .send(Method::GET, "agents/jobs?format=Entity", None)
        .await;
    let start = link(&jobs.children[0], "Start")
        .expect("Start link")
        .to_string();
    let (s, err) = op.send(Method::POST, &start, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(err.name, "Error");
    assert!(op.sim.actions().is_empty());
}
