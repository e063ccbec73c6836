//! The client's reliability policy against a loopback server: GET retries with backoff and
//! jitter, bounded in attempts and time; actions never re-sent once they may have reached the
//! server (only when provably never sent); 401 → one shared re-logon → one retry; call
//! deadlines; cancellation leaves the session usable.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use emrest_runtime::{call, Error, Link, Links, Node, Op, RetryPolicy, TransportKind, Verb};

static GET: Op = op("Down", Verb::Get, None, &[200]);
static POST: Op = op("Start", Verb::Post, Some("start"), &[200, 202]);
static PUT: Op = op("Edit", Verb::Put, None, &[200]);
static DELETE: Op = op("Delete", Verb::Delete, None, &[204]);

fn links(server: &Server, path: &str) -> Links {
    let href = format!("{}{path}", server.base());
    Links(
        ["Down", "Start", "Edit", "Delete"]
            .iter()
            .map(|rel| Link {
                rel: rel.to_string().into(),
                href: href.clone().into(),
                type_: None,
                name: None,
                ..Default::default()
            })
            .collect(),
    )
}

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(40),
        max_backoff: Duration::from_millis(400),
    }
}

async fn session_with(
    server: &Server,
    f: impl FnOnce(emrest_runtime::ClientBuilder<Em>) -> emrest_runtime::ClientBuilder<Em>,
) -> Session {
    f(Client::builder(server.base()))
        .build()
        .unwrap()
        .logon(r"TECH\admin", "pw")
        .await
        .unwrap()
}

async fn send(s: &Session, server: &Server, op: &'static Op, path: &str) -> Result<(), Error> {
    call::<Em, ()>(s, &links(server, path), op, None).await
}

fn ok_xml() -> Reply {
    Reply::xml(200, format!("<Ok {NS}/>"))
}

#[tokio::test]
async fn get_backs_off_exponentially_with_jitter_up_to_max_attempts() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let times = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let t = times.clone();
    let server = fake_em(state, move |req, _| {
        (req.path() == "/api/busy").then(|| {
            t.lock().unwrap().push(Instant::now());
            Reply::error(503, "busy")
        })
    })
    .await;
    let policy = RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(80),
        max_backoff: Duration::from_millis(200),
    };
    let s = session_with(&server, |b| b.retry_policy(policy)).await;
    let err = send(&s, &server, &GET, "busy").await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), 5, "bounded number of attempts");
    // Nominal delays 80, 160, 200 (capped), 200 ms; with jitter each lies in [d/2, d].
    let nominal = [80u64, 160, 200, 200];
    for (i, pair) in times.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        let d = Duration::from_millis(nominal[i]);
        assert!(gap >= d / 2, "gap {i} {gap:?} < {:?}", d / 2);
        assert!(
            gap <= d + Duration::from_millis(150),
            "gap {i} {gap:?} ≫ {d:?}"
        );
    }
}

#[tokio::test]
async fn jitter_spreads_the_delays() {
    // Many clients failing together should not come back together: over several runs the
    // first retry delay is not always the same.
    let state = Arc::new(Mutex::new(EmState::default()));
    let times = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let t = times.clone();
    let server = fake_em(state, move |req, _| {
        (req.path() == "/api/busy").then(|| {
            t.lock().unwrap().push(Instant::now());
            Reply::error(502, "busy")
        })
    })
    .await;
    let policy = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
    };
    let s = session_with(&server, |b| b.retry_policy(policy)).await;
    let mut gaps = Vec::new();
    for _ in 0..6 {
        times.lock().unwrap().clear();
        send(&s, &server, &GET, "busy").await.unwrap_err();
        let t = times.lock().unwrap().clone();
        assert_eq!(t.len(), 2);
        gaps.push((t[1] - t[0]).as_millis());
    }
    let min = gaps.iter().min().unwrap();
    let max = gaps.iter().max().unwrap();
    assert!(max - min >= 3, "no jitter: {gaps:?}");
}

#[tokio::test]
async fn get_retries_stop_at_the_call_deadline() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state, |req, _| {
        (req.path() == "/api/busy").then(|| Reply::error(503, "busy"))
    })
    .await;
    let policy = RetryPolicy {
        max_attempts: 1000,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(100),
    };
    let s = session_with(&server, |b| {
        b.retry_policy(policy)
            .call_timeout(Duration::from_millis(700))
    })
    .await;
    let start = Instant::now();
    let err = send(&s, &server, &GET, "busy").await.unwrap_err();
    let took = start.elapsed();
    assert!(took < Duration::from_millis(1200), "{took:?}");
    assert!(
        err.status() == Some(503) || matches!(err, Error::Timeout { .. }),
        "{err}"
    );
    let n = server.count("GET", "/api/busy");
    assert!((3..40).contains(&n), "{n} attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_is_retried_after_a_timeout_or_a_dropped_connection() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let hits = Arc::new(Mutex::new(0));
    let h = hits.clone();
    let server = fake_em(state, move |req, _| match req.path() {
        "/api/slow-once" => {
            let mut n = h.lock().unwrap();
            *n += 1;
            Some(if *n == 1 {
                ok_xml().delay_ms(1500)
            } else {
                ok_xml()
            })
        }
        "/api/drop" => Some(Reply::new(0)),
        _ => None,
    })
    .await;
    let s = session_with(&server, |b| {
        b.retry_policy(fast_retries(3))
            .request_timeout(Duration::from_millis(300))
    })
    .await;
    send(&s, &server, &GET, "slow-once").await.unwrap();
    assert_eq!(server.count("GET", "/api/slow-once"), 2);
    let err = send(&s, &server, &GET, "drop").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Reset,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(server.count("GET", "/api/drop"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_are_never_resent_once_they_may_have_reached_the_server() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state, |req, _| {
        let p = req.path();
        Some(if p.starts_with("/api/drop") {
            // Read the request, then close without answering: the server may have acted.
            Reply::new(0)
        } else if p.starts_with("/api/slow") {
            Reply::new(204).delay_ms(1500)
        } else if p.starts_with("/api/fail500") {
            Reply::error(500, "boom")
        } else if p.starts_with("/api/fail") {
            Reply::error(503, "busy")
        } else {
            return None;
        })
    })
    .await;
    let s = session_with(&server, |b| {
        b.retry_policy(fast_retries(5))
            .request_timeout(Duration::from_millis(300))
    })
    .await;
    for (op, verb) in [(&POST, "POST"), (&PUT, "PUT"), (&DELETE, "DELETE")] {
        for path in ["drop", "slow", "fail", "fail500"] {
            let target = format!("{path}-{verb}");
            let err = send(&s, &server, op, &target).await.unwrap_err();
            match path {
                "drop" => assert!(
                    matches!(
                        err,
                        Error::Transport {
                            kind: TransportKind::Reset,
                            ..
                        }
                    ),
                    "{verb} {path}: {err}"
                ),
                "slow" => assert!(matches!(err, Error::Timeout { .. }), "{verb} {path}: {err}"),
                _ => assert!(
                    err.status().is_some_and(|s| s >= 500),
                    "{verb} {path}: {err}"
                ),
            }
            assert_eq!(
                server.count(verb, &format!("/api/{target}")),
                1,
                "{verb} {path} must be sent exactly once"
            );
        }
    }
}

#[tokio::test]
async fn actions_are_resent_when_they_provably_never_left() {
    let state = Arc::new(Mutex::new(EmState {
        close_connections: true,
        ..EmState::default()
    }));
    let mut server = fake_em(state, |req, _| {
        (req.path() == "/api/jobs/9").then(|| Reply::xml(202, format!("<Ok {NS}/>")))
    })
    .await;
    let policy = RetryPolicy {
        max_attempts: 20,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(100),
    };
    let s = session_with(&server, |b| b.retry_policy(policy)).await;
    // Nobody listens: connections are refused, so the POST cannot have been sent.
    server.stop_listening();
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.listen_again_after(Duration::from_millis(400));
    let start = Instant::now();
    send(&s, &server, &POST, "jobs/9").await.unwrap();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(server.count("POST", "/api/jobs/9"), 1, "sent exactly once");

    // With retries off, the refusal is reported as a connect error.
    let s2 = session_with(&server, |b| b.retry_policy(RetryPolicy::none())).await;
    server.stop_listening();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = send(&s2, &server, &POST, "jobs/9").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(server.count("POST", "/api/jobs/9"), 1);
}

#[tokio::test]
async fn a_401_on_an_action_relogs_on_once_and_retries_once() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state.clone(), |req, _| match req.path() {
        "/api/jobs/9" => Some(Reply::xml(202, format!("<Ok {NS}/>"))),
        // Refuses every token.
        "/api/always401" => Some(Reply::error(401, "no")),
        _ => None,
    })
    .await;
    let s = logon(&server).await;
    state.lock().unwrap().tokens.clear();
    send(&s, &server, &POST, "jobs/9").await.unwrap();
    let posts: Vec<Req> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path() == "/api/jobs/9")
        .collect();
    assert_eq!(posts.len(), 2, "refused once with 401, then executed once");
    assert_eq!(posts[0].header("X-RestSvcSessionId"), Some("tok1"));
    assert_eq!(posts[1].header("X-RestSvcSessionId"), Some("tok2"));
    assert_eq!(state.lock().unwrap().logons, 2);

    // A second 401 after the re-logon is an error: no loop.
    let err = send(&s, &server, &POST, "always401").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(server.count("POST", "/api/always401"), 2);
    assert_eq!(state.lock().unwrap().logons, 3);
}

#[tokio::test]
async fn a_failed_relogon_is_shared_by_all_concurrent_callers() {
    let state = Arc::new(Mutex::new(EmState {
        logon_delay_ms: 0,
        ..EmState::default()
    }));
    let server = fake_em(state.clone(), |req, base| {
        (req.path() == "/api/jobs")
            .then(|| Reply::xml(200, format!("<EntityReferences {NS} Href=\"{base}jobs\"/>")))
    })
    .await;
    let s = logon(&server).await;
    {
        // The session expires and the password changed meanwhile.
        let mut st = state.lock().unwrap();
        st.tokens.clear();
        st.password = Some("changed".into());
        st.logon_delay_ms = 200;
    }
    let calls = (0..8).map(|_| {
        let s = s.clone();
        let l = links(&server, "jobs");
        tokio::spawn(async move { call::<Em, Node>(&s, &l, &GET, None).await })
    });
    for c in futures::future::join_all(calls).await {
        let err = c.unwrap().unwrap_err();
        assert_eq!(err.status(), Some(401), "{err}");
    }
    assert_eq!(
        state.lock().unwrap().logon_attempts,
        2,
        "one logon, then exactly one (failed) re-logon for 8 callers"
    );
    // A later call tries again (the password may have been fixed).
    state.lock().unwrap().password = None;
    let _: Node = call(&s, &links(&server, "jobs"), &GET, None).await.unwrap();
    assert_eq!(state.lock().unwrap().logons, 2);
}

#[tokio::test]
async fn every_call_has_a_deadline() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state.clone(), |req, _| {
        (req.path() == "/api/hang").then(|| ok_xml().delay_ms(5_000))
    })
    .await;
    let s = session_with(&server, |b| {
        b.call_timeout(Duration::from_millis(300))
            .request_timeout(Duration::from_secs(60))
    })
    .await;
    for op in [&GET, &POST] {
        let start = Instant::now();
        let err = send(&s, &server, op, "hang").await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        assert!(start.elapsed() < Duration::from_millis(1500));
    }
    assert_eq!(server.count("POST", "/api/hang"), 1);
    // A re-logon that hangs is bounded by the same deadline.
    {
        let mut st = state.lock().unwrap();
        st.tokens.clear();
        st.logon_delay_ms = 5_000;
    }
    let start = Instant::now();
    let err = send(&s, &server, &GET, "jobs").await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(start.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn a_dropped_call_leaves_the_session_usable() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state.clone(), |req, base| match req.path() {
        "/api/slow" => Some(ok_xml().delay_ms(3_000)),
        "/api/jobs" => Some(Reply::xml(
            200,
            format!("<EntityReferences {NS} Href=\"{base}jobs\"/>"),
        )),
        _ => None,
    })
    .await;
    let s = logon(&server).await;
    for op in [&GET, &POST] {
        let slow = send(&s, &server, op, "slow");
        assert!(tokio::time::timeout(Duration::from_millis(150), slow)
            .await
            .is_err());
        let _: Node = call(&s, &links(&server, "jobs"), &GET, None).await.unwrap();
    }
    // Many concurrent calls dropped halfway, then normal use.
    let mut handles = Vec::new();
    for _ in 0..10 {
        let s = s.clone();
        let l = links(&server, "slow");
        handles.push(tokio::spawn(async move {
            call::<Em, ()>(&s, &l, &GET, None).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for h in &handles {
        h.abort();
    }
    let _: Node = call(&s, &links(&server, "jobs"), &GET, None).await.unwrap();
    assert_eq!(state.lock().unwrap().logons, 1, "no spurious re-logon");
}

#[tokio::test]
async fn a_call_dropped_during_relogon_leaves_the_session_usable() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state.clone(), |req, base| {
        (req.path() == "/api/jobs")
            .then(|| Reply::xml(200, format!("<EntityReferences {NS} Href=\"{base}jobs\"/>")))
    })
    .await;
    let s = logon(&server).await;
    {
        let mut st = state.lock().unwrap();
        st.tokens.clear();
        st.logon_delay_ms = 400;
    }
    // Caller A starts the re-logon, caller B waits for it; A is dropped mid-logon.
    let a = {
        let s = s.clone();
        let l = links(&server, "jobs");
        tokio::spawn(async move { call::<Em, Node>(&s, &l, &GET, None).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let b = {
        let s = s.clone();
        let l = links(&server, "jobs");
        tokio::spawn(async move { call::<Em, Node>(&s, &l, &GET, None).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.abort();
    assert!(a.await.unwrap_err().is_cancelled());
    // B takes over the re-logon and succeeds.
    b.await.unwrap().unwrap();
    // And the session keeps working with the newest token.
    state.lock().unwrap().logon_delay_ms = 0;
    let _: Node = call(&s, &links(&server, "jobs"), &GET, None).await.unwrap();
    let last = server.requests().pop().unwrap();
    let tokens = state.lock().unwrap().tokens.clone();
    assert_eq!(
        last.header("X-RestSvcSessionId"),
        tokens.last().map(String::as_str)
    );

    // The same with a plain timeout around a single caller.
    {
        let mut st = state.lock().unwrap();
        st.tokens.clear();
        st.logon_delay_ms = 400;
    }
    let l = links(&server, "jobs");
    let r = tokio::time::timeout(
        Duration::from_millis(100),
        call::<Em, Node>(&s, &l, &GET, None),
    )
    .await;
    assert!(r.is_err(), "dropped mid re-logon");
    state.lock().unwrap().logon_delay_ms = 0;
    let _: Node = call(&s, &l, &GET, None).await.unwrap();
}

#[tokio::test]
async fn retry_after_is_heeded_for_reads() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let times = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let t = times.clone();
    let server = fake_em(state, move |req, _| {
        (req.path() == "/api/later").then(|| {
            let mut t = t.lock().unwrap();
            t.push(Instant::now());
            if t.len() == 1 {
                Reply::error(503, "busy").header("Retry-After", "1")
            } else {
                ok_xml()
            }
        })
    })
    .await;
    // Backoff alone would wait at most 40 ms; the server asked for a second.
    let s = session_with(&server, |b| b.retry_policy(fast_retries(3))).await;
    send(&s, &server, &GET, "later")
        .await
        .expect("the second attempt succeeds");
    let t = times.lock().unwrap().clone();
    assert_eq!(t.len(), 2);
    let gap = t[1] - t[0];
    assert!(gap >= Duration::from_millis(950), "waited only {gap:?}");
    assert!(gap < Duration::from_secs(3), "waited {gap:?}");
}
