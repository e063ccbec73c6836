//! Secrets never leak: everything the runtime (and reqwest, hyper and rustls under it, through
//! tracing-log) logs at TRACE level is captured, together with the `Display` and `Debug` of
//! every error and a panic message, during logon failures, expired sessions (401 → re-logon,
//! failed re-logon), TLS refusals and wrong products; neither the password (plain or as the
//! Basic authorization value) nor any session token may appear. Also: the
//! `danger_accept_invalid_certs` warning is logged at every logon.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use common::*;
use emrest_runtime::{call, Error, Link, Links, Node, Op, SecretString, Verb};

// ---------------------------------------------------------------------------------------------
// Log capture: one global subscriber (tests of this binary run on several threads) writing
// into a buffer; each test checks the whole buffer for its own secrets.

#[derive(Clone)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Buf(buf.clone());
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buf
    })
    .clone()
}

fn captured() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

const USER: &str = r"TECH\admin";

/// Every form a secret could take in output.
fn forms(secrets: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for s in secrets {
        out.push(s.to_string());
        let basic = basic(USER, s);
        out.push(basic.trim_start_matches("Basic ").to_string());
    }
    out
}

/// Asserts that neither the logs so far nor `texts` contain any form of `secrets`.
fn assert_no_secrets(secrets: &[&str], texts: &[String]) {
    let logs = captured();
    assert!(!logs.is_empty(), "log capture is not working");
    if let Ok(path) = std::env::var("EMREST_DUMP_LOGS") {
        let _ = std::fs::write(path, &logs);
    }
    for form in forms(secrets) {
        assert!(!logs.contains(&form), "`{form}` leaked into the logs");
        for t in texts {
            assert!(!t.contains(&form), "`{form}` leaked into: {t}");
        }
    }
}

/// `Display`, `Debug` and the panic message of `unwrap()` on the error.
fn renderings(err: &Error) -> Vec<String> {
    let e = err.clone();
    let payload = std::panic::catch_unwind(move || {
        let r: Result<(), Error> = Err(e);
        #[allow(clippy::unnecessary_literal_unwrap)]
        r.unwrap();
    })
    .unwrap_err();
    let panic = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(panic.contains("unwrap"), "{panic}");
    vec![
        err.to_string(),
        format!("{err:?}"),
        format!("{err:#?}"),
        panic,
    ]
}

static JOBS: Op = op("Down", Verb::Get, None, &[200]);

fn jobs_links(server: &Server) -> Links {
    Links(vec![Link {
        rel: "Down".into(),
        href: format!("{}jobs", server.base()).into(),
        type_: None,
        name: None,
        ..Default::default()
    }])
}

fn jobs_reply(base: &str) -> Reply {
    Reply::xml(200, format!("<EntityReferences {NS} Href=\"{base}jobs\"/>"))
}

// ---------------------------------------------------------------------------------------------

#[test]
fn secret_string_is_redacted_and_wiped() {
    let s = SecretString::new("Sup3r-Secret-Value");
    for text in [format!("{s}"), format!("{s:?}"), format!("{s:#?}")] {
        assert!(!text.contains("Sup3r"), "{text}");
    }
    assert_eq!(s.expose(), "Sup3r-Secret-Value");
}

#[tokio::test]
async fn logon_failure_401() {
    logs();
    let password = "Wr0ng-Pa55w0rd-4f1c";
    let state = Arc::new(Mutex::new(EmState::default()));
    let server = fake_em(state, |_, _| None).await;
    let client = Client::builder(server.base()).build().unwrap();
    let err = client.logon(USER, password).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    let mut texts = renderings(&err);
    texts.push(format!("{client:?}"));
    assert_no_secrets(&[password], &texts);
    // The server did receive it (the test is not vacuous).
    let auth = server.requests()[1]
        .header("authorization")
        .unwrap()
        .to_string();
    assert_eq!(auth, basic(USER, password));
}

#[tokio::test]
async fn expired_session_and_failed_relogon() {
    logs();
    let password = "S3ssion-Pa55-77aa";
    let state = Arc::new(Mutex::new(EmState {
        password: Some(password.into()),
        token_prefix: Some("TOKEN-77aa-".into()),
        ..EmState::default()
    }));
    let server = fake_em(state.clone(), |req, base| {
        (req.path() == "/api/jobs").then(|| jobs_reply(base))
    })
    .await;
    let session = Client::builder(server.base())
        .build()
        .unwrap()
        .logon(USER, password)
        .await
        .unwrap();
    let _: Node = call(&session, &jobs_links(&server), &JOBS, None)
        .await
        .unwrap();
    // Expiry: 401 → re-logon → retry.
    state.lock().unwrap().tokens.clear();
    let _: Node = call(&session, &jobs_links(&server), &JOBS, None)
        .await
        .unwrap();
    assert_eq!(state.lock().unwrap().logons, 2);
    // Expiry while the password was changed: the re-logon fails.
    {
        let mut st = state.lock().unwrap();
        st.tokens.clear();
        st.password = Some("another".into());
    }
    let err = call::<Em, Node>(&session, &jobs_links(&server), &JOBS, None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    let mut texts = renderings(&err);
    texts.push(format!("{session:?}"));
    texts.push(format!("{session:#?}"));
    // The session was closed by the failure? No: still usable once fixed, and logoff works.
    state.lock().unwrap().password = Some(password.into());
    session.logoff().await.unwrap();
    assert_no_secrets(&[password, "TOKEN-77aa-1", "TOKEN-77aa-2"], &texts);
    // The tokens really were used on the wire.
    assert!(server
        .requests()
        .iter()
        .any(|r| r.header("X-RestSvcSessionId") == Some("TOKEN-77aa-2")));
}

#[tokio::test]
async fn tls_refusals() {
    logs();
    let password = "Tls-Pa55-9e9e";
    let state = Arc::new(Mutex::new(EmState {
        password: Some(password.into()),
        token_prefix: Some("TOKEN-9e9e-".into()),
        ..EmState::default()
    }));
    let (server, der) = fake_em_tls(state.clone(), |_, _| None).await;
    let mut texts = Vec::new();
    // Default verification refuses the self-signed certificate.
    let client = Client::builder(server.base()).build().unwrap();
    let err = client.logon(USER, password).await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    texts.extend(renderings(&err));
    // A wrong pin.
    let mut fp = emrest_runtime::fingerprint_sha256(&der);
    fp[0] ^= 0xff;
    let client = Client::builder(server.base())
        .pin_certificate_sha256(fp)
        .build()
        .unwrap();
    let err = client.logon(USER, password).await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    texts.extend(renderings(&err));
    texts.push(format!("{client:?}"));
    assert_eq!(state.lock().unwrap().logon_attempts, 0, "never sent");
    // The right pin works (so the refusals above were about the certificate).
    let fp = emrest_runtime::fingerprint_sha256(&der);
    let builder = Client::builder(server.base()).pin_certificate_sha256(fp);
    texts.push(format!("{builder:?}"));
    let s = builder
        .build()
        .unwrap()
        .logon(USER, password)
        .await
        .unwrap();
    texts.push(format!("{s:?}"));
    assert_no_secrets(&[password, "TOKEN-9e9e-1"], &texts);
}

#[tokio::test]
async fn wrong_products() {
    logs();
    let password = "Wr0ng-Pr0duct-Pa55-31b7";
    let mut texts = Vec::new();
    // An HTML page.
    let server = Server::start(|_: &Req| {
        Reply::new(200)
            .header("Content-Type", "text/html")
            .body("<html><body>hi</body></html>")
    })
    .await;
    let err = Client::builder(server.base())
        .build()
        .unwrap()
        .logon(USER, password)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WrongProduct { .. }), "{err}");
    texts.extend(renderings(&err));
    // An API that accepts the logon but answers without the session header (it echoes the
    // token in a cookie and the body instead).
    let server = Server::start(|req: &Req| match (req.method.as_str(), req.path()) {
        ("GET", "/api/") => Reply::xml(
            200,
            r#"<EnterpriseManager><Links><Link Href="/api/sessionMngr/?v=latest" Type="LogonSession" Rel="Create"/></Links></EnterpriseManager>"#,
        ),
        _ => Reply::xml(201, "<LogonSession><SessionId>x</SessionId></LogonSession>")
            .header("Set-Cookie", "Token=COOKIE-TOKEN-31b7; Path=/api"),
    })
    .await;
    let err = Client::builder(server.base())
        .build()
        .unwrap()
        .logon(USER, password)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WrongProduct { .. }), "{err}");
    texts.extend(renderings(&err));
    assert_no_secrets(&[password, "COOKIE-TOKEN-31b7"], &texts);
}

#[tokio::test]
async fn accepting_invalid_certificates_warns_at_every_logon() {
    logs();
    let password = "Danger-Pa55-c0de";
    let state = Arc::new(Mutex::new(EmState {
        password: Some(password.into()),
        token_prefix: Some("TOKEN-c0de-".into()),
        ..EmState::default()
    }));
    let (server, _) = fake_em_tls(state.clone(), |req, base| {
        (req.path() == "/api/jobs").then(|| jobs_reply(base))
    })
    .await;
    let warning = format!("TLS certificate verification is OFF for {}", server.base());
    let count = || {
        captured()
            .lines()
            .filter(|l| l.contains("WARN") && l.contains(&warning))
            .count()
    };
    assert_eq!(count(), 0);
    let client = Client::builder(server.base())
        .danger_accept_invalid_certs()
        .build()
        .unwrap();
    let s1 = client.logon(USER, password).await.unwrap();
    assert_eq!(count(), 1);
    let _s2 = client.logon(USER, password).await.unwrap();
    assert_eq!(count(), 2, "one warning per session");
    // A re-logon is a new server session: warned again.
    state.lock().unwrap().tokens.clear();
    let _: Node = call(&s1, &jobs_links(&server), &JOBS, None).await.unwrap();
    assert_eq!(count(), 3);
    assert_no_secrets(
        &[password, "TOKEN-c0de-1", "TOKEN-c0de-2", "TOKEN-c0de-3"],
        &[format!("{s1:?}"), format!("{client:?}")],
    );
}
