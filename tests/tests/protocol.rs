//! End to end: the protocol around the relations — re-logon after idle expiry, the 403 of a
//! restore operator, the 405 of a wrong verb, account spellings, and the wrong-product error —
//! against em-sim over loopback.

use emrest::runtime::Node;
use emrest::*;
use emrest_sim::{SimConfig, SimHandle};

async fn sim() -> SimHandle {
    emrest_sim::spawn(SimConfig::small())
        .await
        .expect("em-sim starts")
}

async fn logon(sim: &SimHandle, user: &str, password: &str) -> Result<Session> {
    Client::builder(sim.url())
        .build()?
        .logon(user, password)
        .await
}

/// The first job of the data set, as an entity.
async fn first_job(em: &Session) -> Job {
    let job_ref = em.jobs().await.unwrap().ref_.remove(0);
    job_ref.alternate(em).await.unwrap()
}

#[tokio::test]
async fn expired_session_logs_on_again_once_and_the_call_succeeds() {
    let sim = sim().await;
    let em = logon(&sim, "admin", "admin").await.unwrap();
    sim.expire_all_sessions();
    assert_eq!(sim.logon_count(), 0, "no live logon session left");
    sim.clear_requests();
    let jobs = em.jobs().await.expect("the call survives the expiry");
    assert!(!jobs.ref_.is_empty());
    let logons = sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("sessionmngr"))
        .count();
    assert_eq!(logons, 1, "exactly one new logon");
    assert_eq!(sim.logon_count(), 1);
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert!(
        statuses.contains(&401),
        "the server did refuse the old token: {statuses:?}"
    );
}

/// The session's links are those of its latest logon: after a re-logon, `links()` offers the
/// new logon session's `Delete` link, not the expired one's, and logoff deletes the new one.
#[tokio::test]
async fn links_follow_the_relogon() {
    let sim = sim().await;
    let em = logon(&sim, "admin", "admin").await.unwrap();
    let delete_link = |em: &Session| {
        em.links()
            .find("Delete", None, None)
            .map(|l| l.href.to_string())
            .expect("the logon session offers its Delete link")
    };
    let first = delete_link(&em);
    assert_eq!(Some(&first), em.href().as_ref());
    sim.expire_all_sessions();
    em.jobs().await.expect("the call survives the expiry");
    let renewed = delete_link(&em);
    assert_ne!(
        renewed, first,
        "links() still offers the expired session's link"
    );
    assert_eq!(Some(&renewed), em.href().as_ref());
    assert_eq!(sim.logon_count(), 1);
    em.logoff().await.unwrap();
    assert_eq!(sim.logon_count(), 0, "logoff deleted the renewed session");
}

/// A call dropped while its re-logon is in flight: the logon still completes (it runs in a
/// task of its own), so the next call uses its token instead of logging on again, and the
/// server holds no orphan logon session.
#[tokio::test]
async fn a_call_dropped_during_its_relogon_leaves_the_new_token_to_the_next() {
    use emrest_sim::{Faults, Latency, Trigger};
    let sim = sim().await;
    let em = logon(&sim, "admin", "admin").await.unwrap();
    sim.expire_all_sessions();
    sim.set_faults(Faults {
        latency: Latency {
            trigger: Trigger::Rate(1.0),
            fixed: std::time::Duration::from_millis(300),
            jitter: std::time::Duration::ZERO,
        },
        ..Faults::default()
    });
    // The GET (300 ms, then 401), then the logon POST (300 ms): dropped during the logon.
    let dropped = tokio::time::timeout(std::time::Duration::from_millis(450), em.jobs()).await;
    assert!(dropped.is_err(), "the call was dropped mid-flight");
    // The logon finishes on its own.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    sim.set_faults(Faults::default());
    sim.clear_requests();
    let jobs = em.jobs().await.expect("the next call works");
    assert!(!jobs.ref_.is_empty());
    let logons = sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("sessionmngr"))
        .count();
    assert_eq!(
        logons, 0,
        "the next call used the token of the dropped call's logon"
    );
    assert_eq!(sim.logon_count(), 1, "one live logon session, no orphan");
}

/// A server that does not serve the entry point (a gateway exposing only the logon
/// service): logon falls back to the spec's documented logon URL with the newest version,
/// and the session works; the public entry-point read still reports the 404.
#[tokio::test]
async fn logon_falls_back_to_the_documented_logon_url_without_an_entry_point() {
    let sim = emrest_sim::spawn(SimConfig {
        no_entry_point: true,
        ..SimConfig::small()
    })
    .await
    .expect("em-sim starts");
    let client = Client::builder(sim.url()).build().unwrap();
    assert!(
        client.entry_point().await.is_err(),
        "the entry point is not served"
    );
    let em = client
        .logon("admin", "admin")
        .await
        .expect("logon falls back");
    assert!(!em.jobs().await.unwrap().ref_.is_empty());
    let posts: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| format!("{}?{}", r.path, r.query.clone().unwrap_or_default()))
        .collect();
    assert!(
        posts
            .iter()
            .any(|p| p.to_ascii_lowercase().contains("sessionmngr") && p.contains("v=latest")),
        "logged on at the documented URL with the newest version: {posts:?}"
    );
    assert_eq!(sim.logon_count(), 1);
}

/// A wrong password is its own error, with the logon URL and status, and no secret.
#[tokio::test]
async fn a_wrong_password_is_a_logon_refused_error() {
    let sim = sim().await;
    let err = logon(&sim, "admin", "not-the-password")
        .await
        .expect_err("refused");
    match &err {
        Error::LogonRefused { url, status, .. } => {
            assert_eq!(*status, 401);
            assert!(url.to_ascii_lowercase().contains("sessionmngr"), "{url}");
        }
        other => panic!("expected LogonRefused, got {other:?}"),
    }
    assert!(!err.to_string().contains("not-the-password"));
}

#[tokio::test]
async fn restore_operator_gets_403_on_job_actions() {
    let sim = sim().await;
    let op = logon(&sim, "operator", "operator").await.unwrap();
    let job_ref = op.jobs().await.unwrap().ref_.remove(0);
    let job = job_ref.alternate(&op).await.unwrap();
    let starts: usize = sim.jobs().iter().map(|j| sim.job_starts(&j.id)).sum();
    let err = job
        .start(&op)
        .await
        .expect_err("operators cannot start jobs");
    assert_eq!(err.status(), Some(403), "{err}");
    assert!(err.to_string().contains("403"), "{err}");
    let after: usize = sim.jobs().iter().map(|j| sim.job_starts(&j.id)).sum();
    assert_eq!(starts, after, "nothing was started");
}

#[tokio::test]
async fn wrong_verb_on_an_action_link_is_405_with_an_error_body() {
    let sim = sim().await;
    let em = logon(&sim, "admin", "admin").await.unwrap();
    let job = first_job(&em).await;
    let start = job
        .links
        .as_ref()
        .unwrap()
        .find("Start", None, None)
        .unwrap()
        .href
        .clone();
    let err = em
        .get::<Node>(&start)
        .await
        .expect_err("GET on an action is refused");
    assert_eq!(err.status(), Some(405), "{err}");
    match &err {
        Error::Http {
            error: Some(body), ..
        } => assert_eq!(body.status_code, Some(405)),
        other => panic!("expected an EM error body: {other:?}"),
    }
}

#[tokio::test]
async fn unknown_action_is_400() {
    let sim = sim().await;
    let em = logon(&sim, "admin", "admin").await.unwrap();
    let job = first_job(&em).await;
    let href = job.href.clone().unwrap();
    let bogus = format!("{}?action=launch", href.split('?').next().unwrap());
    // An action is a POST; this one is unknown to EM: 400 with EM's error body.
    // The spec's own start descriptor, without the action it would add.
    let mut op = emrest::Job::OP_START;
    op.action = None;
    let links = Links(vec![Link::new("Start", bogus)]);
    let op: &'static emrest::runtime::Op = Box::leak(Box::new(op));
    sim.clear_requests();
    let err = emrest::runtime::call::<_, Node>(&em, &links, op, None)
        .await
        .expect_err("no such action");
    assert_eq!(err.status(), Some(400), "{err}");
    match &err {
        Error::Http {
            error: Some(body), ..
        } => {
            assert_eq!(body.status_code, Some(400));
            let message = body.message.as_deref().unwrap_or_default();
            assert!(message.contains("launch"), "{message}");
        }
        other => panic!("expected an EM error body: {other:?}"),
    }
    let sent = sim.requests();
    assert_eq!(sent.len(), 1, "an action is never retried");
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].query.as_deref(), Some("action=launch"));
}

#[tokio::test]
async fn account_spellings_and_bad_passwords() {
    let sim = sim().await;
    for user in ["admin", "CORP\\admin", "admin@corp.example"] {
        let em = logon(&sim, user, "admin")
            .await
            .unwrap_or_else(|e| panic!("{user}: {e}"));
        em.logoff().await.unwrap();
    }
    let err = logon(&sim, "admin", "wrong")
        .await
        .expect_err("bad password");
    assert_eq!(err.status(), Some(401), "{err}");
    assert!(
        !format!("{err} {err:?}").contains("wrong"),
        "the password never shows"
    );
}

#[tokio::test]
async fn a_url_that_is_not_em_names_the_likely_fix() {
    let sim = sim().await;
    let root = sim
        .url()
        .trim_end_matches('/')
        .trim_end_matches("api")
        .to_string();
    let client = Client::builder(format!("{root}v1/")).build().unwrap();
    let err = client
        .logon("admin", "admin")
        .await
        .expect_err("not the EM entry point");
    assert!(matches!(err, Error::WrongProduct { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("9398/api/"),
        "the hint names EM's URL: {text}"
    );
}

#[tokio::test]
async fn logoff_deletes_its_own_session_only() {
    let sim = sim().await;
    let a = logon(&sim, "admin", "admin").await.unwrap();
    let b = logon(&sim, "admin", "admin").await.unwrap();
    assert_eq!(sim.logon_count(), 2);
    let b_href = b.href().unwrap();
    b.logoff().await.unwrap();
    assert_eq!(sim.logon_count(), 1);
    let last = sim
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "DELETE")
        .unwrap();
    assert!(b_href.ends_with(&last.path[last.path.rfind('/').unwrap()..]));
    a.jobs().await.expect("the other session still works");
}

#[tokio::test]
async fn prepare_shows_the_exact_request_without_sending_it() {
    let sim = sim().await;
    let em = logon(&sim, "admin", "admin").await.unwrap();
    let job = first_job(&em).await;
    let links = job.links.clone().unwrap();
    let clone_link = links.find("Clone", None, None).unwrap().href.clone();
    let repo_uid = em.repositories().await.unwrap().ref_[0]
        .uid
        .clone()
        .expect("repositories have a UID");
    let spec = JobCloneSpec {
        backup_job_clone_info: Some(BackupJobCloneInfo {
            job_name: "Preview".into(),
            folder_name: "Preview".into(),
            repository_uid: repo_uid,
            description: None,
            ..Default::default()
        }),
        ..Default::default()
    };
    // The descriptor comes from the spec, the same source the generated `clone_job` has.
    // The descriptor the generated `clone_job` uses: what --dry-run prepares is what is sent.
    let clone_op: &'static emrest::runtime::Op = &emrest::Job::OP_CLONE_JOB;
    sim.clear_requests();
    let req = em.prepare(&links, clone_op, Some(&spec)).unwrap();
    assert!(sim.requests().is_empty(), "nothing was sent");
    assert_eq!(req.verb.as_str(), "POST");
    assert_eq!(req.url, clone_link);
    assert!(req.url.ends_with("?action=clone"), "{}", req.url);
    assert_eq!(req.content_type, Some("application/xml"));
    let body = req.body.unwrap();
    assert!(
        body.contains("<JobCloneSpec xmlns=\"http://www.veeam.com/ent/v1.0\""),
        "{body}"
    );
    assert!(body.contains("<JobName>Preview</JobName>"), "{body}");
    assert!(sim.job_id("Preview").is_none());

    // The generated method sends exactly the request `prepare` showed.
    job.clone_job(&em, &spec)
        .await
        .unwrap()
        .wait(&em)
        .await
        .unwrap();
    let sent = sim.requests();
    let first = sent.first().expect("the clone was sent");
    assert_eq!(first.method, req.verb.as_str());
    let url = format!(
        "{}{}",
        first.path,
        first
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    );
    assert!(req.url.ends_with(&url), "sent {url}, prepared {}", req.url);
    assert_eq!(first.content_type.as_deref(), req.content_type);
    assert!(sim.job_id("Preview").is_some(), "the body named the clone");
    // A reload reads the representation again from its own Href.
    let again = em.reload(&job).await.unwrap();
    assert_eq!(again.uid, job.uid);
}

#[tokio::test]
async fn a_500_is_retried_for_reads_and_never_for_actions() {
    use emrest_sim::{Burst, Faults, Trigger};
    let sim = sim().await;
    let em = logon(&sim, "admin", "admin").await.unwrap();
    let job = first_job(&em).await;
    let fail_next = |sim: &SimHandle| {
        let next = sim.requests().len() as u64 + 1;
        sim.set_faults(Faults {
            http_500: Burst {
                trigger: Trigger::At(vec![next]),
                length: 1,
            },
            ..Faults::default()
        });
    };
    // A read: the 500 is absorbed by one retry.
    fail_next(&sim);
    em.jobs().await.expect("the read is retried");
    let statuses: Vec<u16> = sim
        .requests()
        .iter()
        .rev()
        .take(2)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [200, 500]);
    // An action: the 500 is reported, the request is not sent again.
    fail_next(&sim);
    let before = sim.requests().len();
    let err = job.start(&em).await.expect_err("the 500 is reported");
    assert_eq!(err.status(), Some(500), "{err}");
    let posts = sim.requests()[before..]
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1, "a start is never re-sent after a 500");
}

#[tokio::test]
async fn a_task_lost_with_its_logon_session_is_a_typed_error() {
    let sim = emrest_sim::spawn(SimConfig {
        task_polls: 3,
        ..SimConfig::small()
    })
    .await
    .unwrap();
    let em = logon(&sim, "admin", "admin").await.unwrap();
    let job = first_job(&em).await;
    let task = job.start(&em).await.unwrap();
    // The session expires while the task runs: after the re-logon, the task is unknown.
    sim.expire_all_sessions();
    let err = task
        .wait(&em)
        .await
        .expect_err("the task went with its session");
    assert!(matches!(err, Error::TaskLost { .. }), "{err:?}");
    assert!(err.to_string().contains("StartJob"), "{err}");
}
