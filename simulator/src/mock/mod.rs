//! em-sim's generic mode: a stateful mock of **any** spec, served over loopback HTTP from
//! the spec alone. Nothing in it knows EM: it reads the spec's conventions (link form,
//! action addressing, logon, task fields, query service) and serves
//!
//! - the entry point, with a logon link per version and at the top;
//! - logon by HTTP Basic at the logon URL, answered with the spec's token header;
//! - every resource of every type that has a URL form, seeded from its field types;
//! - every operation: `GET` renders, `PUT` changes the resource from its body, `DELETE`
//!   removes it, actions are recorded and answered with a finished task (or the declared
//!   status); a body that is not the operation's declared type is a 400 error document;
//! - the query service, with the spec's parameters, result shape and paging links.
//!
//! Representations are XML (the formats' common ground). EM's own behaviour lives in the
//! rest of em-sim; this mode is what a second API runs against.

mod entry;
mod ops;
mod query;
mod render;
mod store;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use axum::Router;
use emrest_codegen::ir::{Ir, TypeIr};
use emrest_runtime::Node;
use tokio::sync::oneshot;

use crate::util::pct_decode;
use render::View;
pub use store::Form;
use store::{Res, Store};

/// Largest request body the mock reads.
const MAX_BODY: usize = 1 << 20;

/// How a mock starts.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The user name logon accepts.
    pub user: String,
    /// The password logon accepts.
    pub password: String,
    /// Resources seeded per type.
    pub items: usize,
    /// Operations (by generated method name) whose tasks end in the spec's first failure
    /// state, with a message.
    pub failing: Vec<String>,
    /// The versions the entry point lists (default: the spec's).
    pub versions: Option<Vec<String>>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            user: "user".into(),
            password: "secret".into(),
            items: 3,
            failing: Vec::new(),
            versions: None,
        }
    }
}

/// One request the mock received (after logon).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// HTTP method.
    pub method: String,
    /// Path and query below the base URL (`/books/book-1/action/borrow`).
    pub target: String,
    /// The request body.
    pub body: String,
}

struct State {
    ir: Ir,
    config: MockConfig,
    base: String,
    store: Store,
    tokens: HashSet<String>,
    /// Logon session path of each token.
    sessions: Vec<(String, String)>,
    received: Vec<Received>,
}

/// A running mock; stops when dropped.
pub struct MockHandle {
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl MockHandle {
    /// The base URL, ending in `/api/`.
    pub fn url(&self) -> String {
        format!("http://{}/api/", self.addr)
    }

    /// The requests received after logon, in order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state).received.clone()
    }

    /// The resource at `path` (below the base URL) as the mock would serve it now.
    pub fn resource(&self, path: &str) -> Option<Node> {
        let st = lock(&self.state);
        let r = st.store.get(path)?;
        let t = st.ir.types.iter().find(|t| t.name == r.ty)?;
        Some(st.view(None).render(t, r, &t.root, 0))
    }

    /// Paths of the stored resources of type `ty`, in creation order.
    pub fn paths_of(&self, ty: &str) -> Vec<String> {
        lock(&self.state)
            .store
            .of_type(ty)
            .map(|r| r.path.clone())
            .collect()
    }
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A handler that panicked cannot leave the store half-changed in a way later requests
    // must not see: every change is one insertion or removal.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts a mock of the spec `source` (named `origin` in its diagnostics) on a loopback
/// port of its own.
pub async fn spawn_mock(
    source: &str,
    origin: &str,
    config: MockConfig,
) -> Result<MockHandle, String> {
    let ir = emrest_codegen::load_str(source, origin).map_err(|d| d.to_string())?;
    let tcp = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    let addr = tcp.local_addr().map_err(|e| e.to_string())?;
    let store = Store::seed(&ir, config.items);
    let state = Arc::new(Mutex::new(State {
        ir,
        config,
        base: format!("http://{addr}/api"),
        store,
        tokens: HashSet::new(),
        sessions: Vec::new(),
        received: Vec::new(),
    }));
    let shared = state.clone();
    let app = Router::new().fallback(move |req: Request<Body>| {
        let shared = shared.clone();
        async move { handle(shared, req).await }
    });
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(tcp, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Ok(MockHandle {
        state,
        addr,
        shutdown: Some(tx),
    })
}

/// An answer: status, extra headers, XML body (empty: none).
struct Answer {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: Option<Node>,
}

impl Answer {
    fn doc(status: u16, body: Node) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            headers: Vec::new(),
            body: Some(body),
        }
    }
    fn empty(status: u16) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT),
            headers: Vec::new(),
            body: None,
        }
    }
}

async fn handle(state: Arc<Mutex<State>>, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let mut st = lock(&state);
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let answer = st.answer(&parts.method, &target, &parts.headers, &body);
    let ns = st.ir.api.namespace.clone();
    let media = st.ir.api.media.xml.clone();
    drop(st);
    let mut resp = Response::builder().status(answer.status);
    for (k, v) in &answer.headers {
        resp = resp.header(k.as_str(), v.as_str());
    }
    let body = match answer.body {
        Some(n) => {
            resp = resp.header("content-type", media);
            Body::from(emrest_runtime::write_xml(&n, &ns))
        }
        None => Body::empty(),
    };
    resp.body(body)
        .unwrap_or_else(|_| Response::new(Body::from("bad header")))
}

/// A request's body and its content type.
struct Sent<'a> {
    body: &'a str,
    content_type: Option<&'a str>,
}

/// Decoded query pairs, in request order.
type Pairs = Vec<(String, String)>;

/// A request target split: path segments below `/api` and decoded query pairs.
fn split(target: &str) -> Option<(Vec<String>, Pairs)> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let rest = path.strip_prefix("/api")?;
    let segs = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| pct_decode(s, false))
        .collect();
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (pct_decode(k, true), pct_decode(v, true))
        })
        .collect();
    Some((segs, query))
}

impl State {
    fn view<'a>(&'a self, session: Option<&'a Res>) -> View<'a> {
        View {
            ir: &self.ir,
            base: &self.base,
            store: &self.store,
            session,
        }
    }

    fn ty(&self, name: &str) -> Option<&TypeIr> {
        self.ir.types.iter().find(|t| t.name == name)
    }

    /// The versions the entry point lists.
    fn versions(&self) -> Vec<String> {
        self.config
            .versions
            .clone()
            .unwrap_or_else(|| self.ir.api.versions.clone())
    }

    fn error(&self, status: u16, message: &str) -> Answer {
        Answer::doc(status, self.view(None).error(status, message))
    }

    /// The logon URL's path below the base: the spec's fallback logon URL, or the logon
    /// session type's collection (its URL form up to its first placeholder).
    fn logon_path(&self) -> String {
        if let Some(f) = &self.ir.api.logon.fallback {
            return format!("/{}", f.trim_start_matches('/'));
        }
        let form = self
            .ty(&self.ir.api.session)
            .and_then(|t| t.path.as_deref())
            .map(Form::parse);
        let segs: Vec<String> = form
            .map(|f| f.segs.into_iter().map_while(|s| s).collect())
            .unwrap_or_default();
        format!("/{}", segs.join("/"))
    }

    fn answer(&mut self, method: &Method, target: &str, headers: &HeaderMap, body: &str) -> Answer {
        let Some((segs, query)) = split(target) else {
            return self.error(404, "not below /api");
        };
        let path = format!("/{}", segs.join("/"));
        if segs.is_empty() && method == Method::GET {
            return Answer::doc(200, self.entry());
        }
        // Past the entry point, the client asks for the spec's media type of a version the
        // mock serves (where the media types name their version).
        let served = self.versions();
        let allowed: Vec<&str> = if self.ir.api.media_versions.is_empty() {
            vec![self.ir.api.media.xml.as_str()]
        } else {
            self.ir
                .api
                .media_versions
                .iter()
                .filter(|(v, _)| served.contains(v))
                .map(|(_, m)| m.xml.as_str())
                .collect()
        };
        if let Some(accept) = headers.get("accept").and_then(|v| v.to_str().ok()) {
            if !accept
                .split(',')
                .any(|a| allowed.contains(&a.trim()) || a.trim() == "*/*")
            {
                return self.error(406, &format!("`Accept: {accept}` is none of {allowed:?}"));
            }
        }
        if method == Method::POST && Form::key(&path) == Form::key(&self.logon_path()) {
            return self.logon(headers);
        }
        let header = &self.ir.api.session_header;
        let token = headers
            .get(header.as_str())
            .and_then(|v| v.to_str().ok())
            .filter(|t| self.tokens.contains(*t))
            .map(str::to_string);
        let Some(token) = token else {
            return self.error(401, &format!("no valid `{header}` header"));
        };
        self.received.push(Received {
            method: method.to_string(),
            target: target.strip_prefix("/api").unwrap_or(target).to_string(),
            body: body.to_string(),
        });
        let session = self
            .sessions
            .iter()
            .find(|(t, _)| *t == token)
            .map(|(_, p)| p.clone());
        let q = &self.ir.api.query;
        if method == Method::GET && segs.len() == 1 && segs[0].eq_ignore_ascii_case(&q.path) {
            return self.query(&query, session.as_deref());
        }
        let refs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        let sent = Sent { body, content_type };
        self.operation(method, &path, &refs, &query, sent, session.as_deref())
    }
}

/// Adds a link node to `n` as the spec places links: inside the wrapper (created when
/// missing), or directly.
fn push_link(n: &mut Node, def: &emrest_codegen::spec::LinksSpec, link: Node) {
    match &def.wrapper {
        Some(w) => match n
            .children
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(w))
        {
            Some(wrapper) => wrapper.children.push(link),
            None => {
                let mut wrapper = Node::new(w);
                wrapper.children.push(link);
                n.children.push(wrapper);
            }
        },
        None => n.children.push(link),
    }
}
