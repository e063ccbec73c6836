//! Test support: a tiny HTTP/1.1 loopback server (optionally TLS) and an EM-like test API
//! whose representations are generated from a fixture spec (the production codec).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use emrest_runtime::*;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// Path and query, raw.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    /// Decoded query parameter.
    pub fn param(&self, name: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.into_owned())
    }
    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering (or before dropping the connection).
    pub delay: Option<std::time::Duration>,
}

impl Reply {
    pub fn new(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: None,
        }
    }
    pub fn delay_ms(mut self, ms: u64) -> Self {
        self.delay = Some(std::time::Duration::from_millis(ms));
        self
    }
    pub fn xml(status: u16, body: impl Into<String>) -> Self {
        Reply::new(status)
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(body.into())
    }
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Reply::new(status)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body.into())
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn body(mut self, b: impl Into<Vec<u8>>) -> Self {
        self.body = b.into();
        self
    }
    pub fn error(status: u16, message: &str) -> Self {
        Reply::xml(
            status,
            format!(
                r#"<?xml version="1.0" encoding="utf-8"?><Error Message="{message}" StatusCode="{status}" xmlns="http://www.veeam.com/ent/v1.0"><FirstChanceExceptionMessage>inner {message}</FirstChanceExceptionMessage></Error>"#
            ),
        )
    }
}

pub type Handler = Arc<dyn Fn(&Req) -> Reply + Send + Sync>;

/// A running server; records every request.
pub struct Server {
    pub port: u16,
    pub log: Arc<Mutex<Vec<Req>>>,
    pub scheme: &'static str,
    handler: Handler,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Server {
    pub async fn start(handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Server {
        Self::start_inner(Arc::new(handler), None).await
    }

    pub async fn start_tls(
        handler: impl Fn(&Req) -> Reply + Send + Sync + 'static,
        config: rustls::ServerConfig,
    ) -> Server {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        Self::start_inner(Arc::new(handler), Some(acceptor)).await
    }

    async fn start_inner(handler: Handler, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        Self::run(listener, handler, log, tls)
    }

    /// Stops listening: new connections are refused (open ones keep being served).
    pub fn stop_listening(&self) {
        self.accept.abort();
    }

    /// Listens again on the same port after `after` (plain HTTP only).
    pub fn listen_again_after(&mut self, after: std::time::Duration) {
        self.accept.abort();
        let (port, handler, log) = (self.port, self.handler.clone(), self.log.clone());
        self.accept = tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
            accept_loop(listener, handler, log, None).await;
        });
    }

    fn run(
        listener: TcpListener,
        handler: Handler,
        log: Arc<Mutex<Vec<Req>>>,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Server {
        let port = listener.local_addr().unwrap().port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let accept = tokio::spawn(accept_loop(listener, handler.clone(), log.clone(), tls));
        Server {
            port,
            log,
            scheme,
            handler,
            accept,
        }
    }

    pub fn base(&self) -> String {
        format!("{}://127.0.0.1:{}/api/", self.scheme, self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port)
    }

    pub fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }

    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.target.starts_with(path_prefix))
            .count()
    }
}

async fn accept_loop(
    listener: TcpListener,
    handler: Handler,
    log: Arc<Mutex<Vec<Req>>>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let handler = handler.clone();
        let log = log.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                Some(acc) => {
                    if let Ok(s) = acc.accept(stream).await {
                        serve(s, handler, log).await;
                    }
                }
                None => serve(stream, handler, log).await,
            }
        });
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    handler: Handler,
    log: Arc<Mutex<Vec<Req>>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).await.unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let req = Req {
            method,
            target,
            headers,
            body,
        };
        log.lock().unwrap().push(req.clone());
        let reply = handler(&req);
        if let Some(d) = reply.delay {
            tokio::time::sleep(d).await;
        }
        if reply.status == 0 {
            // Drop the connection without answering.
            return;
        }
        let mut out = format!(
            "HTTP/1.1 {} X\r\nContent-Length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let stream = reader.get_mut();
        if stream.write_all(out.as_bytes()).await.is_err()
            || stream.write_all(&reply.body).await.is_err()
            || stream.flush().await.is_err()
        {
            return;
        }
        let close = reply
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"));
        if close {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The test API

/// The test API, generated from `tests/fixtures/test_api.toml` like any client.
pub mod gen {
    emrest_macros::generate_client!("tests/fixtures/test_api.toml");
}

#[allow(unused_imports)]
pub use gen::{Api as Em, Client, Job, JobCloneSpec, JobRef, Session, Task, TaskResult};

pub const JOB_NAME: Field<Job, emrest_runtime::SharedStr> = Job::NAME;
pub const JOB_ENABLED: Field<Job, bool> = Job::SCHEDULE_ENABLED;

pub const fn op(
    rel: &'static str,
    verb: Verb,
    action: Option<&'static str>,
    status: &'static [u16],
) -> Op {
    Op {
        owner: "Job",
        rel,
        link_type: None,
        link_name: None,
        method: "m",
        verb,
        action,
        query: None,
        path: "",
        request: None,
        returns: emrest_runtime::Returns::Nothing,
        status,
        task: false,
        media: None,
    }
}

// ---------------------------------------------------------------------------------------------
// A fake EM: entry point, logon, logoff, tokens; other paths go to `extra`.

pub const NS: &str =
    r#"xmlns="http://www.veeam.com/ent/v1.0" xmlns:xsd="http://www.w3.org/2001/XMLSchema""#;

#[derive(Default)]
pub struct EmState {
    pub tokens: Vec<String>,
    pub logons: usize,
    pub deleted: Vec<String>,
    /// The accepted password (default `pw`).
    pub password: Option<String>,
    /// Tokens are this prefix and the logon count (default `tok`).
    pub token_prefix: Option<String>,
    /// Logon POSTs seen, refused ones included.
    pub logon_attempts: usize,
    /// Delay of logon answers.
    pub logon_delay_ms: u64,
    /// Answer every request with `Connection: close`.
    pub close_connections: bool,
}

pub fn entry_xml(base: &str, versions: &[&str]) -> String {
    let mut v = String::new();
    for name in versions {
        v.push_str(&format!(
            r#"<SupportedVersion Name="{name}"><Links><Link Href="{base}sessionMngr/?v={name}" Type="LogonSession" Rel="Create"/></Links></SupportedVersion>"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><EnterpriseManager {NS}><Links><Link Href="{base}logonSessions" Type="LogonSessionList" Rel="Down"/><Link Href="{base}sessionMngr/?v=latest" Type="LogonSession" Rel="Create"/></Links><SupportedVersions>{v}</SupportedVersions></EnterpriseManager>"#
    )
}

pub fn logon_xml(base: &str, id: &str) -> String {
    format!(
        r#"<LogonSession {NS} Type="LogonSession" Href="{base}logonSessions/{id}"><Links><Link Rel="Up" Type="EnterpriseManager" Href="{base}"/><Link Rel="Down" Type="JobReferenceList" Href="{base}jobs"/><Link Rel="Down" Type="QueryService" Href="{base}querySvc"/><Link Rel="Delete" Type="LogonSession" Href="{base}logonSessions/{id}"/></Links><UserName>TECH\admin</UserName><SessionId>{id}</SessionId></LogonSession>"#
    )
}

/// A fake EM on loopback. `extra` answers every authenticated request it recognises
/// (return `None` for 404).
pub async fn fake_em(
    state: Arc<Mutex<EmState>>,
    extra: impl Fn(&Req, &str) -> Option<Reply> + Send + Sync + 'static,
) -> Server {
    fake_em_inner(state, extra, None).await
}

/// [`fake_em`] over TLS with a fresh self-signed certificate for 127.0.0.1; also returns
/// the certificate (DER).
pub async fn fake_em_tls(
    state: Arc<Mutex<EmState>>,
    extra: impl Fn(&Req, &str) -> Option<Reply> + Send + Sync + 'static,
) -> (Server, Vec<u8>) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let der = ck.cert.der().clone();
    let key = ck.key_pair.serialize_der();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![der.clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(key)),
    )
    .unwrap();
    let server = fake_em_inner(state, extra, Some(config)).await;
    (server, der.as_ref().to_vec())
}

async fn fake_em_inner(
    state: Arc<Mutex<EmState>>,
    extra: impl Fn(&Req, &str) -> Option<Reply> + Send + Sync + 'static,
    tls: Option<rustls::ServerConfig>,
) -> Server {
    let port_cell: Arc<Mutex<String>> = Arc::new(Mutex::new(String::new()));
    let pc = port_cell.clone();
    let handler = move |req: &Req| {
        let base = pc.lock().unwrap().clone();
        let close = state.lock().unwrap().close_connections;
        let reply = em_reply(&state, &extra, req, &base);
        if close {
            reply.header("Connection", "close")
        } else {
            reply
        }
    };
    let server = match tls {
        Some(config) => Server::start_tls(handler, config).await,
        None => Server::start(handler).await,
    };
    *port_cell.lock().unwrap() = server.base();
    server
}

fn em_reply(
    state: &Mutex<EmState>,
    extra: &(impl Fn(&Req, &str) -> Option<Reply> + Send + Sync + 'static),
    req: &Req,
    base: &str,
) -> Reply {
    {
        let base = base.to_string();
        if req.method == "GET" && req.target == "/api/" {
            return Reply::xml(200, entry_xml(&base, &["v1_5", "v1_6", "v1_7", "v1_9"]));
        }
        if req.method == "POST" && req.path() == "/api/sessionMngr/" {
            let mut st = state.lock().unwrap();
            st.logon_attempts += 1;
            let delay = st.logon_delay_ms;
            let pw = st.password.clone().unwrap_or_else(|| "pw".into());
            let ok = req.header("authorization") == Some(&basic(r"TECH\admin", &pw)[..]);
            if !ok {
                return Reply::error(401, "Unauthorized")
                    .header("WWW-Authenticate", "Basic Realm=RestSvc")
                    .delay_ms(delay);
            }
            st.logons += 1;
            let prefix = st.token_prefix.clone().unwrap_or_else(|| "tok".into());
            let token = format!("{prefix}{}", st.logons);
            st.tokens.push(token.clone());
            let id = format!("sess{}", st.logons);
            return Reply::xml(201, logon_xml(&base, &id))
                .header("X-RestSvcSessionId", &token)
                .header("Location", &format!("{base}logonSessions/{id}"))
                .delay_ms(delay);
        }
        let token = req.header("X-RestSvcSessionId").unwrap_or("").to_string();
        if !state.lock().unwrap().tokens.contains(&token) {
            return Reply::error(401, "Authentication required");
        }
        if req.method == "DELETE" && req.path().starts_with("/api/logonSessions/") {
            let mut st = state.lock().unwrap();
            st.deleted.push(req.path().to_string());
            st.tokens.retain(|t| t != &token);
            return Reply::new(204);
        }
        extra(req, &base).unwrap_or_else(|| Reply::error(404, "Not found"))
    }
}

pub fn basic(user: &str, pw: &str) -> String {
    // Minimal base64 for the test's assertions.
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{pw}");
    let b = input.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    format!("Basic {out}")
}

pub async fn logon(server: &Server) -> Session {
    Client::builder(server.base())
        .build()
        .unwrap()
        .logon(r"TECH\admin", "pw")
        .await
        .unwrap()
}
