//! Logon, tokens, re-logon, logoff and wrong-product detection against a loopback server.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use emrest_runtime::{call, Error, Format, Verb};

static OP_JOBS: emrest_runtime::Op = op("Down", Verb::Get, None, &[200]);

fn jobs_reply(base: &str) -> Reply {
    Reply::xml(
        200,
        format!(
            r#"<EntityReferences {NS}><Ref Type="JobReference" Href="{base}jobs/1" Name="A"/></EntityReferences>"#
        ),
    )
}

#[tokio::test]
async fn logon_picks_newest_known_version_and_sends_token_only_as_header() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state.clone(), |req, base| {
        (req.path() == "/api/jobs").then(|| jobs_reply(base))
    })
    .await;
    let session = logon(&server).await;
    assert_eq!(session.version(), Some("v1_7"));
    assert_eq!(
        session.href().unwrap(),
        format!("{}logonSessions/sess1", server.base())
    );
    assert_eq!(session.links().iter().count(), 4);

    let _: emrest_runtime::Node = call(&session, session.links(), &OP_JOBS_LINK, None)
        .await
        .unwrap();
    let reqs = server.requests();
    let post = reqs.iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(post.target, "/api/sessionMngr/?v=v1_7");
    assert_eq!(
        post.header("authorization").unwrap(),
        basic(r"TECH\admin", "pw")
    );
    assert_eq!(post.header("content-length"), Some("0"));
    let get = reqs.iter().find(|r| r.target == "/api/jobs").unwrap();
    assert_eq!(get.header("X-RestSvcSessionId"), Some("tok1"));
    assert!(get.header("authorization").is_none());
    assert!(!get.target.contains("tok1"));
    assert_eq!(get.header("accept"), Some("application/xml"));
    // Nothing secret in Debug.
    let dbg = format!("{session:?}");
    assert!(!dbg.contains("tok1") && !dbg.contains("pw\""), "{dbg}");
}

static OP_JOBS_LINK: emrest_runtime::Op = emrest_runtime::Op {
    link_type: Some("JobReferenceList"),
    ..OP_JOBS
};

#[tokio::test]
async fn logon_accepts_200_and_falls_back_to_top_level_link() {
    let server = Server::start(|req: &Req| match (req.method.as_str(), req.path()) {
        ("GET", "/api/") => Reply::xml(
            200,
            r#"<EnterpriseManager><Links><Link Href="/api/sessionMngr/?v=latest" Type="LogonSession" Rel="Create"/></Links></EnterpriseManager>"#,
        ),
        ("POST", "/api/sessionMngr/") => Reply::xml(200, logon_xml("/api/", "x"))
            .header("X-RestSvcSessionId", "abc"),
        _ => Reply::new(404),
    })
    .await;
    let s = Client::builder(server.base().trim_end_matches('/'))
        .build()
        .unwrap()
        .logon("user@corp.example", "pw")
        .await
        .unwrap();
    assert_eq!(s.version(), None);
    assert_eq!(server.requests()[1].target, "/api/sessionMngr/?v=latest");
}

#[tokio::test]
async fn bad_password_is_http_401_without_secrets() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state, |_, _| None).await;
    let err = Client::builder(server.base())
        .build()
        .unwrap()
        .logon(r"TECH\admin", "wrong-secret")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let text = format!("{err} {err:?}");
    assert!(!text.contains("wrong-secret"), "{text}");
    assert!(text.contains("Unauthorized"), "{text}");
}

#[tokio::test]
async fn expired_token_relogs_on_once_for_all_concurrent_callers() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state.clone(), |req, base| {
        (req.path() == "/api/jobs").then(|| jobs_reply(base))
    })
    .await;
    let session = logon(&server).await;
    // Expire every token.
    state.lock().unwrap().tokens.clear();
    let calls = (0..8).map(|_| {
        let s = session.clone();
        tokio::spawn(async move {
            let links = s.links().clone();
            call::<Em, emrest_runtime::Node>(&s, &links, &OP_JOBS_LINK, None).await
        })
    });
    for c in futures::future::join_all(calls).await {
        c.unwrap().unwrap();
    }
    assert_eq!(state.lock().unwrap().logons, 2, "exactly one re-logon");
    // Later calls use the new token.
    let _: emrest_runtime::Node = call(&session, session.links(), &OP_JOBS_LINK, None)
        .await
        .unwrap();
    let last = server.requests().pop().unwrap();
    assert_eq!(last.header("X-RestSvcSessionId"), Some("tok2"));
}

#[tokio::test]
async fn logoff_deletes_own_session_by_its_link() {
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state.clone(), |_, _| None).await;
    let session = logon(&server).await;
    session.logoff().await.unwrap();
    assert_eq!(
        state.lock().unwrap().deleted,
        vec!["/api/logonSessions/sess1".to_string()]
    );
    let err = call::<Em, ()>(&session, session.links(), &OP_JOBS_LINK, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
    // Idempotent.
    session.logoff().await.unwrap();
}

#[tokio::test]
async fn wrong_product_is_detected() {
    // A versioned OpenAPI server: 404 on /api/ with x-api-version.
    let server = Server::start(|_: &Req| {
        Reply::json(404, r#"{"errorCode":"NotFound","message":"not found"}"#)
            .header("x-api-version", "1.1-rev0")
    })
    .await;
    let err = Client::builder(server.base())
        .build()
        .unwrap()
        .logon("a", "b")
        .await
        .unwrap_err();
    match &err {
        Error::WrongProduct { hint, .. } => {
            assert!(hint.contains("https://127.0.0.1:9398/api/"), "{hint}")
        }
        e => panic!("{e}"),
    }
    // JSON without the entry shape.
    let server = Server::start(|_: &Req| Reply::json(200, r#"{"name":"something"}"#)).await;
    let err = Client::builder(server.base())
        .build()
        .unwrap()
        .logon("a", "b")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WrongProduct { .. }), "{err}");
    // HTML.
    let server = Server::start(|_: &Req| {
        Reply::new(200)
            .header("Content-Type", "text/html")
            .body("<html><body>hi</body></html>")
    })
    .await;
    let err = Client::builder(server.base())
        .build()
        .unwrap()
        .logon("a", "b")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WrongProduct { .. }), "{err}");
}

#[tokio::test]
async fn json_format_sets_accept_and_reads_camel_case() {
    let server = Server::start(|req: &Req| match (req.method.as_str(), req.path()) {
        ("GET", "/api/") => Reply::json(
            200,
            r#"{"links":[{"rel":"Create","href":"/api/sessionMngr/?v=latest","type":"LogonSession"}],
                "supportedVersions":{"supportedVersion":[{"name":"v1_7","links":[{"rel":"Create","href":"/api/sessionMngr/?v=v1_7","type":"LogonSession"}]}]}}"#,
        ),
        ("POST", "/api/sessionMngr/") => Reply::json(
            201,
            r#"{"links":[{"rel":"Delete","href":"/api/logonSessions/1","name":null,"type":"LogonSession"}],"href":"/api/logonSessions/1","type":"LogonSession"}"#,
        )
        .header("X-RestSvcSessionId", "t"),
        _ => Reply::new(404),
    })
    .await;
    let s = Client::builder(server.base())
        .format(Format::Json)
        .build()
        .unwrap()
        .logon("u", "p")
        .await
        .unwrap();
    assert_eq!(s.version(), Some("v1_7"));
    assert_eq!(s.links().iter().next().unwrap().rel, "Delete");
    assert!(server
        .requests()
        .iter()
        .all(|r| r.header("accept") == Some("application/json")));
}
