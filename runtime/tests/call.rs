//! call(): link lookup, `?action=`, bodies, status and error bodies, retries; tasks; paging.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use emrest_runtime::{
    call, follow_related, wait_task, wait_task_with, Casing, Error, Filter, Format, Link, Links,
    Node, Verb, WaitOptions,
};
use futures::{StreamExt, TryStreamExt};

static OP_START: emrest_runtime::Op = op("Start", Verb::Post, Some("start"), &[202]);
static OP_CLONE: emrest_runtime::Op = op("Clone", Verb::Post, Some("clone"), &[202]);
static OP_ALT: emrest_runtime::Op = emrest_runtime::Op {
    query: Some("format=Entity"),
    ..op("Alternate", Verb::Get, None, &[200])
};
static OP_DOWN: emrest_runtime::Op = op("Down", Verb::Get, None, &[200]);

fn link(rel: &str, href: &str, type_: Option<&str>) -> Link {
    Link {
        rel: rel.to_owned().into(),
        href: href.into(),
        type_: type_.map(|t| t.to_owned().into()),
        name: None,
        ..Default::default()
    }
}

fn task_xml(base: &str, n: usize, state: &str, result: Option<(bool, &str)>) -> String {
    let result = result
        .map(|(ok, m)| format!(r#"<Result Success="{ok}"><Message>{m}</Message></Result>"#))
        .unwrap_or_default();
    format!(
        r#"<Task {NS} Type="Task" Href="{base}tasks/task-{n}"><Links><Link Rel="Delete" Type="Task" Href="{base}tasks/task-{n}"/><Link Rel="Related" Type="Job" Href="{base}jobs/1?format=Entity"/></Links><TaskId>task-{n}</TaskId><State>{state}</State><Operation>StartJob</Operation>{result}</Task>"#
    )
}

fn job_xml(base: &str) -> String {
    format!(
        r#"<Job {NS} Type="Job" Href="{base}jobs/1?format=Entity" Name="A &amp; B"><Links><Link Rel="Start" Href="{base}jobs/1?action=start"/></Links><Description>x</Description><ScheduleEnabled>true</ScheduleEnabled></Job>"#
    )
}

#[tokio::test]
async fn action_query_body_and_decoding() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state, |req, base| match (req.method.as_str(), req.path()) {
        ("POST", "/api/jobs/1") if req.param("action").as_deref() == Some("clone") => {
            Some(Reply::xml(202, task_xml(base, 1, "Running", None)))
        }
        ("POST", "/api/jobs/1") if req.param("action").as_deref() == Some("start") => {
            Some(Reply::xml(
                202,
                format!("\u{FEFF}{}", task_xml(base, 2, "Running", None)),
            ))
        }
        ("GET", "/api/jobs/1") if req.param("format").as_deref() == Some("Entity") => {
            Some(Reply::xml(200, job_xml(base)))
        }
        _ => None,
    })
    .await;
    let session = logon(&server).await;
    let b = server.base();
    // Links lacking `?action=` / `?format=` get them; a link already carrying them is kept.
    let links = Links(vec![
        link("Clone", &format!("{b}jobs/1"), None),
        link("Start", &format!("{b}jobs/1?action=start"), None),
        link("Alternate", &format!("{b}jobs/1"), Some("Job")),
    ]);
    let spec = JobCloneSpec {
        job_name: "copy <1> & \"2\"".into(),
        retries: 3,
        ..Default::default()
    };
    let t: Task = call(
        &session,
        &links,
        &OP_CLONE,
        Some(&spec as &dyn emrest_runtime::Body),
    )
    .await
    .unwrap();
    assert_eq!(t.task_id, "task-1");
    let t: Task = call(&session, &links, &OP_START, None).await.unwrap();
    assert_eq!(t.task_id, "task-2");
    let job: Job = call(&session, &links, &OP_ALT, None).await.unwrap();
    assert_eq!(job.name.as_deref(), Some("A & B"));
    assert!(job.schedule_enabled);

    let reqs = server.requests();
    let clone = reqs
        .iter()
        .find(|r| r.param("action").as_deref() == Some("clone"))
        .unwrap();
    assert_eq!(clone.target, "/api/jobs/1?action=clone");
    assert_eq!(clone.header("content-type"), Some("application/xml"));
    let body = emrest_runtime::parse_xml(&clone.body).unwrap();
    assert!(clone
        .body_str()
        .contains(r#"<JobCloneSpec xmlns="http://www.veeam.com/ent/v1.0">"#));
    assert_eq!(body.child("JobName").unwrap().text(), "copy <1> & \"2\"");
    let start = reqs
        .iter()
        .find(|r| r.param("action").as_deref() == Some("start"))
        .unwrap();
    assert_eq!(start.target, "/api/jobs/1?action=start");
    assert!(reqs.iter().any(|r| r.target == "/api/jobs/1?format=Entity"));
}

#[tokio::test]
async fn json_bodies_use_the_chosen_casing() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state, |req, base| {
        (req.method == "POST").then(|| {
            Reply::json(
                202,
                format!(r#"{{"taskId":"task-1","state":"Running","href":"{base}tasks/task-1","links":null}}"#),
            )
        })
    })
    .await;
    let session = Client::builder(server.base())
        .format(Format::Json)
        .json_casing(Casing::Camel)
        .build()
        .unwrap()
        .logon(r"TECH\admin", "pw")
        .await
        .unwrap();
    let links = Links(vec![link(
        "Clone",
        &format!("{}jobs/1?action=clone", server.base()),
        None,
    )]);
    let spec = JobCloneSpec {
        job_name: "n".into(),
        retries: 2,
        ..Default::default()
    };
    let t: Task = call(
        &session,
        &links,
        &OP_CLONE,
        Some(&spec as &dyn emrest_runtime::Body),
    )
    .await
    .unwrap();
    assert_eq!(t.state, "Running");
    let req = server
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .unwrap();
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(req.body_str(), r#"{"jobName":"n","retries":2}"#);
}

#[tokio::test]
async fn link_errors_http_errors_and_decode_errors() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state, |req, _| match req.path() {
        "/api/bad" => Some(Reply::xml(200, "<Job><unclosed></Job>")),
        "/api/html" => Some(
            Reply::new(200)
                .header("Content-Type", "text/html")
                .body("<html/>"),
        ),
        "/api/denied" => Some(Reply::error(403, "Access denied")),
        _ => None,
    })
    .await;
    let s = logon(&server).await;
    let b = server.base();
    let err = call::<Em, Task>(&s, &Links::default(), &OP_START, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::LinkNotOffered { ref rel, .. } if rel == "Start"),
        "{err}"
    );
    let two = Links(vec![
        link("Down", &format!("{b}a"), None),
        link("Down", &format!("{b}b"), None),
    ]);
    let err = call::<Em, Node>(&s, &two, &OP_DOWN, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AmbiguousLink { .. }), "{err}");

    let one = |p: &str| Links(vec![link("Down", &format!("{b}{p}"), None)]);
    let err = call::<Em, Node>(&s, &one("denied"), &OP_DOWN, None)
        .await
        .unwrap_err();
    match &err {
        Error::Http {
            status: 403,
            error: Some(e),
            method,
            ..
        } => {
            assert_eq!(e.message.as_deref(), Some("Access denied"));
            assert_eq!(e.status_code, Some(403));
            assert_eq!(e.detail.as_deref(), Some("inner Access denied"));
            assert_eq!(method, "GET");
        }
        e => panic!("{e:?}"),
    }
    assert!(!err.is_retryable());
    let err = call::<Em, Job>(&s, &one("bad"), &OP_DOWN, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    let err = call::<Em, Job>(&s, &one("html"), &OP_DOWN, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    let err = call::<Em, Job>(&s, &one("missing"), &OP_DOWN, None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn get_retries_503_but_post_is_sent_once() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = fake_em(state, move |req, base| {
        match (req.method.as_str(), req.path()) {
            ("GET", "/api/flaky") => Some(if h.fetch_add(1, Ordering::SeqCst) < 2 {
                Reply::error(503, "busy")
            } else {
                Reply::xml(200, job_xml(base))
            }),
            ("GET", "/api/drop") => Some(Reply::new(0)),
            ("POST", _) => Some(Reply::error(503, "busy")),
            _ => None,
        }
    })
    .await;
    let s = logon(&server).await;
    let b = server.base();
    let job: Job = call(
        &s,
        &Links(vec![link("Down", &format!("{b}flaky"), None)]),
        &OP_DOWN,
        None,
    )
    .await
    .unwrap();
    assert!(job.schedule_enabled);
    assert_eq!(server.count("GET", "/api/flaky"), 3);

    let err = call::<Em, Task>(
        &s,
        &Links(vec![link("Start", &format!("{b}jobs/9"), None)]),
        &OP_START,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    assert_eq!(
        server.count("POST", "/api/jobs/9"),
        1,
        "an action is never re-sent"
    );

    let err = call::<Em, Node>(
        &s,
        &Links(vec![link("Down", &format!("{b}drop"), None)]),
        &OP_DOWN,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert_eq!(server.count("GET", "/api/drop"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_timeout_applies() {
    let server = Server::start(|_: &Req| {
        std::thread::sleep(Duration::from_millis(600));
        Reply::new(200)
    })
    .await;
    let err = Client::builder(server.base())
        .request_timeout(Duration::from_millis(150))
        .build()
        .unwrap()
        .entry_point()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
}

fn task_server_state() -> Arc<Mutex<EmState>> {
    Arc::new(Mutex::new(EmState::default()))
}

#[tokio::test]
async fn wait_task_polls_until_done_then_follows_related() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = fake_em(task_server_state(), move |req, base| match req.path() {
        "/api/tasks/task-1" => {
            let n = p.fetch_add(1, Ordering::SeqCst);
            Some(Reply::xml(
                200,
                match n {
                    0 => task_xml(base, 1, "Running", None),
                    1 => task_xml(
                        base,
                        1,
                        "OperationFinished",
                        Some((true, "OperationFinished")),
                    ),
                    _ => task_xml(base, 1, "Finished", Some((true, "Job triggered to start."))),
                },
            ))
        }
        "/api/tasks/task-2" => Some(Reply::xml(
            200,
            task_xml(base, 2, "Finished", Some((false, "Job is already running"))),
        )),
        "/api/jobs/1" => Some(Reply::xml(200, job_xml(base))),
        _ => None,
    })
    .await;
    let s = logon(&server).await;
    let running: Task =
        emrest_runtime::decode_xml(task_xml(&server.base(), 1, "Running", None).as_bytes())
            .unwrap();
    let done = wait_task(&s, &running).await.unwrap();
    assert_eq!(done.state, "Finished");
    assert_eq!(
        done.result.as_ref().unwrap().message.as_deref(),
        Some("Job triggered to start.")
    );
    assert_eq!(polls.load(Ordering::SeqCst), 3);
    let job: Job = follow_related(&s, &done).await.unwrap();
    assert_eq!(job.name.as_deref(), Some("A & B"));

    let failing: Task =
        emrest_runtime::decode_xml(task_xml(&server.base(), 2, "Running", None).as_bytes())
            .unwrap();
    match wait_task(&s, &failing).await.unwrap_err() {
        Error::TaskFailed { operation, message } => {
            assert_eq!(operation, "StartJob");
            assert_eq!(message, "Job is already running");
        }
        e => panic!("{e}"),
    }
    // Already finished: no request.
    let before = server.requests().len();
    let finished: Task = emrest_runtime::decode_xml(
        task_xml(&server.base(), 1, "Finished", Some((true, "ok"))).as_bytes(),
    )
    .unwrap();
    assert_eq!(wait_task(&s, &finished).await.unwrap(), finished);
    assert_eq!(server.requests().len(), before);
}

#[tokio::test]
async fn wait_task_deadline() {
    let server = fake_em(task_server_state(), |req, base| {
        (req.path() == "/api/tasks/task-3")
            .then(|| Reply::xml(200, task_xml(base, 3, "Running", None)))
    })
    .await;
    let s = logon(&server).await;
    let t: Task =
        emrest_runtime::decode_xml(task_xml(&server.base(), 3, "Running", None).as_bytes())
            .unwrap();
    let opts = WaitOptions {
        initial_interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(40),
        deadline: Duration::from_millis(300),
    };
    let err = wait_task_with(&s, &t, opts).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let polls = server.count("GET", "/api/tasks/task-3");
    assert!((3..=15).contains(&polls), "{polls} polls");
    // The session-level default applies to wait_task.
    s.set_wait_options(opts.with_deadline(Duration::from_millis(50)));
    assert!(matches!(
        wait_task(&s, &t).await.unwrap_err(),
        Error::Timeout { .. }
    ));
}

fn page_xml(base: &str, page: u32, pages: u32, entities: bool) -> String {
    let mut items = String::new();
    for i in 0..2 {
        let n = (page - 1) * 2 + i;
        if entities {
            items.push_str(&format!(
                r#"<Job Type="Job" Href="{base}jobs/{n}?format=Entity" Name="job{n}"><ScheduleEnabled>false</ScheduleEnabled></Job>"#
            ));
        } else {
            items.push_str(&format!(
                r#"<Ref Type="JobReference" Href="{base}jobs/{n}" Name="job{n}"/>"#
            ));
        }
    }
    let body = if entities {
        format!("<Entities><Jobs>{items}</Jobs></Entities>")
    } else {
        format!("<Refs>{items}</Refs>")
    };
    let q = |p: u32| {
        format!("{base}query?type=Job&amp;pageSize=2&amp;filter=Name%3D%3D%22x%22&amp;page={p}")
    };
    let mut links = format!(r#"<Link Rel="First" Href="{}"/>"#, q(1));
    if page > 1 {
        links.push_str(&format!(r#"<Link Rel="Previous" Href="{}"/>"#, q(page - 1)));
    }
    if page < pages {
        links.push_str(&format!(r#"<Link Rel="Next" Href="{}"/>"#, q(page + 1)));
    }
    links.push_str(&format!(r#"<Link Rel="Last" Href="{}"/>"#, q(pages)));
    format!(
        r#"<QueryResult {NS}>{body}<PagingInfo PageNum="{page}" PageSize="2" PagesCount="{pages}"><Links>{links}</Links></PagingInfo></QueryResult>"#
    )
}

fn query_server() -> impl Fn(&Req, &str) -> Option<Reply> + Send + Sync + 'static {
    |req, base| {
        (req.path() == "/api/query").then(|| {
            let page = req.param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let entities = req
                .param("format")
                .is_some_and(|f| f.eq_ignore_ascii_case("entities"));
            Reply::xml(200, page_xml(base, page, 3, entities))
        })
    }
}

#[tokio::test]
async fn query_stream_follows_next_lazily() {
    let server = fake_em(task_server_state(), query_server()).await;
    let s = logon(&server).await;
    let f = JOB_NAME
        .eq(r#"a"b;c,(d)"#)
        .and(JOB_ENABLED.eq(true))
        .or(Filter::raw("jobtype==backup"));
    let mut stream = Box::pin(
        s.query::<Job>()
            .filter(f.clone())
            .sort_desc(JOB_NAME)
            .page_size(2)
            .stream(),
    );
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.name.as_deref(), Some("job0"));
    let _ = stream.next().await.unwrap().unwrap();
    assert_eq!(
        server.count("GET", "/api/query"),
        1,
        "second page not fetched yet"
    );
    let rest: Vec<JobRef> = stream.try_collect().await.unwrap();
    assert_eq!(rest.len(), 4);
    assert_eq!(server.count("GET", "/api/query"), 3);

    let q = server
        .requests()
        .into_iter()
        .find(|r| r.path() == "/api/query")
        .unwrap();
    assert_eq!(q.param("type").as_deref(), Some("Job"));
    assert_eq!(
        q.param("filter").unwrap(),
        f.to_query(&<Em as emrest_runtime::Api>::INFO.query.filter)
    );
    assert_eq!(
        q.param("filter").unwrap(),
        r#"(Name=="a""b;c,(d)";ScheduleEnabled=="true"),(jobtype==backup)"#
    );
    assert_eq!(q.param("sortDesc").as_deref(), Some("Name"));
    assert_eq!(q.param("pageSize").as_deref(), Some("2"));
    assert!(
        !q.target.contains(' ') && !q.target.contains('"'),
        "{}",
        q.target
    );
}

#[tokio::test]
async fn query_pages_and_entities() {
    let server = fake_em(task_server_state(), query_server()).await;
    let s = logon(&server).await;
    let page = s
        .query::<Job>()
        .entities()
        .page_size(2)
        .first_page()
        .await
        .unwrap();
    assert_eq!((page.page_num, page.page_size, page.pages_count), (1, 2, 3));
    assert_eq!(page.items.len(), 2);
    assert!(!page.items[0].schedule_enabled);
    assert!(page.previous(&s).await.unwrap().is_none());
    let last = page.last(&s).await.unwrap().unwrap();
    assert_eq!(last.page_num, 3);
    assert!(!last.has_next());
    assert!(last.next(&s).await.unwrap().is_none());
    let prev = last.previous(&s).await.unwrap().unwrap();
    assert_eq!(prev.page_num, 2);
    let first = prev.first(&s).await.unwrap().unwrap();
    assert_eq!(first.page_num, 1);
    let all: Vec<Job> = s
        .query::<Job>()
        .entities()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
}

/// The `page=` values the server was asked for, in order.
fn pages_asked(server: &Server) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/api/query")
        .map(|r| r.param("page").unwrap_or_else(|| "1".into()))
        .collect()
}

/// Waits (bounded) until the server has been asked for `n` pages.
async fn until_asked(server: &Server, n: usize) -> Vec<String> {
    for _ in 0..200 {
        if pages_asked(server).len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    pages_asked(server)
}

#[tokio::test]
async fn read_ahead_asks_for_the_next_page_before_the_current_one_is_consumed() {
    let server = fake_em(task_server_state(), query_server()).await;
    reads_three_pages_ahead(&server).await;
}

/// Streams the server's three pages of two references with read-ahead: page 2 is asked for
/// while page 1 is decoded, before its items are consumed, and nothing beyond page 3 (which
/// has no `Next`).
async fn reads_three_pages_ahead(server: &Server) {
    let s = logon(server).await;
    let mut stream = Box::pin(s.query::<Job>().page_size(2).read_ahead().stream());
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.name.as_deref(), Some("job0"));
    assert_eq!(until_asked(server, 2).await, ["1", "2"]);
    let rest: Vec<JobRef> = stream.try_collect().await.unwrap();
    let names: Vec<_> = rest.iter().filter_map(|r| r.name.as_deref()).collect();
    assert_eq!(names, ["job1", "job2", "job3", "job4", "job5"]);
    assert_eq!(pages_asked(server), ["1", "2", "3"]);
}

#[tokio::test]
async fn a_wrong_read_ahead_guess_is_dropped_for_the_decoded_next_link() {
    // Page 1 ends with a comment holding a decoy paging element whose `Next` is page 9: the
    // guess read from the end of the body is wrong, and the decoded page says page 2.
    let server = fake_em(task_server_state(), |req, base| {
        (req.path() == "/api/query").then(|| {
            let page = req.param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let mut body = page_xml(base, page, 3, false);
            if page == 1 {
                body.push_str(&format!(
                    r#"<!--<PagingInfo><Links><Link Rel="Next" Href="{base}query?type=Job&amp;page=9"/></Links></PagingInfo>-->"#
                ));
            }
            Reply::xml(200, body)
        })
    })
    .await;
    let s = logon(&server).await;
    let all: Vec<JobRef> = s
        .query::<Job>()
        .page_size(2)
        .read_ahead()
        .stream()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = all.iter().filter_map(|r| r.name.as_deref()).collect();
    assert_eq!(names, ["job0", "job1", "job2", "job3", "job4", "job5"]);
    let asked = pages_asked(&server);
    assert_eq!(
        asked.iter().filter(|p| *p != "9").collect::<Vec<_>>(),
        ["1", "2", "3"],
        "{asked:?}"
    );
}

/// A camelCase JSON page of references, its paging member last (as EM writes it).
fn page_json(base: &str, page: u32, pages: u32) -> String {
    let refs: Vec<String> = (0..2)
        .map(|i| {
            let n = (page - 1) * 2 + i;
            format!(
                r#"{{"type":"JobReference","href":"{base}jobs/{n}","name":"job{n}","links":[]}}"#
            )
        })
        .collect();
    let q = |p: u32| format!("{base}query?type=Job&pageSize=2&page={p}");
    let mut links = vec![format!(r#"{{"rel":"First","href":"{}"}}"#, q(1))];
    if page < pages {
        links.push(format!(r#"{{"rel":"Next","href":"{}"}}"#, q(page + 1)));
    }
    format!(
        r#"{{"refs":[{}],"pagingInfo" : {{"links":[{}],"pageNum":{page},"pageSize":2,"pagesCount":{pages}}}}}"#,
        refs.join(","),
        links.join(",")
    )
}

#[tokio::test]
async fn read_ahead_reads_the_next_link_of_a_json_page_from_its_end() {
    let server = fake_em(task_server_state(), |req, base| {
        (req.path() == "/api/query").then(|| {
            let page = req.param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            Reply::json(200, page_json(base, page, 3))
        })
    })
    .await;
    reads_three_pages_ahead(&server).await;
}

#[tokio::test]
async fn read_ahead_entities_are_those_of_the_lazy_stream() {
    let server = fake_em(task_server_state(), query_server()).await;
    let s = logon(&server).await;
    let lazy: Vec<Job> = s
        .query::<Job>()
        .entities()
        .page_size(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ahead: Vec<Job> = s
        .query::<Job>()
        .entities()
        .page_size(2)
        .read_ahead()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(lazy.len(), 6);
    assert_eq!(
        ahead.iter().map(|j| j.name.clone()).collect::<Vec<_>>(),
        lazy.iter().map(|j| j.name.clone()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn too_deep_answers_are_decode_errors() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state, |req, _| match req.path() {
        "/api/deep.xml" => Some(Reply::xml(200, "<a>".repeat(100_000))),
        "/api/deep.json" => Some(Reply::json(200, "[".repeat(100_000))),
        _ => None,
    })
    .await;
    let s = logon(&server).await;
    for (path, what) in [
        ("deep.xml", "XML nested deeper"),
        ("deep.json", "JSON nested deeper"),
    ] {
        let err = call::<Em, Node>(
            &s,
            &Links(vec![link(
                "Down",
                &format!("{}{path}", server.base()),
                None,
            )]),
            &OP_DOWN,
            None,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err}");
        assert!(err.to_string().contains(what), "{err}");
    }
}
