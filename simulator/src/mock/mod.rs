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

mod render;
mod store;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use axum::Router;
use emrest_codegen::ir::{Ir, OpIr, Returns, Shape, Ty, TypeIr, Verb};
use emrest_runtime::Node;
use tokio::sync::oneshot;

use crate::util::{b64_decode, pct_decode};
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

    /// The entry point: its links, the logon link at the top and in each version element.
    fn entry(&self) -> Node {
        let a = &self.ir.api;
        let view = self.view(None);
        let Some(t) = self.ty(&a.entry) else {
            return Node::new(&a.entry);
        };
        let mut n = view.render(t, &Res::blank(&t.name), &t.root, 0);
        let logon = self.logon_link();
        if t.fields.iter().any(|f| f.is_links()) {
            push_link(&mut n, &a.links, logon.clone());
        }
        // One element per version, each with its own logon link (or, where the spec says
        // so, the logon URL as an element's text).
        let version_field = t.fields.iter().find(|f| {
            f.xml.eq_ignore_ascii_case(&a.logon.version_element)
                && matches!(f.shape, Shape::List { .. } | Shape::Wrapped { .. })
        });
        if let Some(f) = version_field {
            n.children.retain(|c| !c.name.eq_ignore_ascii_case(&f.xml));
            let vt = match &f.ty {
                Ty::Type(x) => self.ty(x),
                _ => None,
            };
            let mut holder = match &f.shape {
                Shape::Wrapped { .. } => Some(Node::new(&f.xml)),
                _ => None,
            };
            let url = format!("{}{}", self.base, self.logon_path());
            for v in &self.versions() {
                let name = match &f.shape {
                    Shape::Wrapped { item, .. } => item.clone(),
                    _ => f.xml.clone(),
                };
                let mut r = Res::blank(&f.xml);
                r.vals
                    .insert(a.logon.version_attr.to_ascii_lowercase(), v.clone());
                if let Some(e) = &a.logon.url_element {
                    r.vals.insert(e.to_ascii_lowercase(), url.clone());
                }
                let mut e = match vt {
                    Some(vt) => view.render(vt, &r, &name, 1),
                    None => Node::new(&name),
                };
                if a.logon.url_element.is_none() {
                    push_link(&mut e, &a.links, logon.clone());
                }
                match &mut holder {
                    Some(h) => h.children.push(e),
                    None => n.children.push(e),
                }
            }
            if let Some(h) = holder {
                n.children.push(h);
            }
        }
        n
    }

    fn logon_link(&self) -> Node {
        let d = &self.ir.api.links;
        let mut l = Node::new(&d.element);
        l.attrs.push((d.rel.clone(), self.ir.api.logon.rel.clone()));
        l.attrs.push((
            d.href.clone(),
            format!("{}{}", self.base, self.logon_path()),
        ));
        l.attrs
            .push((d.type_.clone(), self.ir.api.logon.type_.clone()));
        l
    }

    /// Logon by HTTP Basic: a new session and its token in the spec's header.
    fn logon(&mut self, headers: &HeaderMap) -> Answer {
        let basic = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| b64_decode(b.trim()))
            .and_then(|b| String::from_utf8(b).ok());
        let ok = basic.as_deref().and_then(|b| b.split_once(':'))
            == Some((self.config.user.as_str(), self.config.password.as_str()));
        if !ok {
            return self.error(401, "logon refused: unknown user or wrong password");
        }
        let a = &self.ir.api;
        let id = self.store.new_id(&a.session);
        let token = format!("token-{id}");
        let path = self
            .ty(&a.session)
            .and_then(|t| t.path.as_deref())
            .map_or_else(
                || format!("/sessions/{id}"),
                |p| Form::parse(p).fill(std::slice::from_ref(&id)),
            );
        let mut res = Res::blank(&a.session);
        res.path = path.clone();
        res.ids = vec![id];
        if let Some(t) = self.ty(&a.session) {
            for f in &t.fields {
                if f.ty == Ty::String && f.shape != Shape::Attr && !f.optional
                    || f.xml.eq_ignore_ascii_case("user")
                {
                    res.vals
                        .insert(f.xml.to_ascii_lowercase(), self.config.user.clone());
                }
            }
        }
        self.store.add(res);
        self.tokens.insert(token.clone());
        self.sessions.push((token.clone(), path.clone()));
        let status = a
            .logon
            .statuses
            .iter()
            .copied()
            .find(|s| *s == 201)
            .or(a.logon.statuses.first().copied())
            .unwrap_or(200);
        let header = a.session_header.clone();
        let session = self.store.get(&path);
        let body = match (self.ty(&a.session), session) {
            (Some(t), Some(r)) => self.view(Some(r)).render(t, r, &t.root, 0),
            _ => Node::new(&a.session),
        };
        let mut ans = Answer::doc(status, body);
        ans.headers.push((header, token));
        ans
    }

    /// The operation a request names: verb, URL form and action all fitting, the most
    /// literal form first.
    fn find_op(
        &self,
        method: &Method,
        segs: &[&str],
        query: &[(String, String)],
    ) -> Option<(&TypeIr, &OpIr)> {
        let verb = match *method {
            Method::GET => Verb::Get,
            Method::POST => Verb::Post,
            Method::PUT => Verb::Put,
            Method::DELETE => Verb::Delete,
            _ => return None,
        };
        let mut best: Option<(usize, &TypeIr, &OpIr)> = None;
        for t in &self.ir.types {
            for op in t.ops.iter().filter(|o| o.verb == verb) {
                let form = Form::parse(&op.path);
                if form.capture(segs, query).is_none() {
                    continue;
                }
                let score = form.segs.iter().filter(|s| s.is_some()).count() + form.query.len();
                if best.as_ref().is_none_or(|(b, ..)| score > *b) {
                    best = Some((score, t, op));
                }
            }
        }
        best.map(|(_, t, op)| (t, op))
    }

    /// The stored resource a request path addresses: the path itself, or the nearest
    /// stored resource above it (the target of an action addressed by path).
    fn resource_at(&self, path: &str) -> Option<String> {
        let mut p = path.to_string();
        loop {
            if let Some(r) = self.store.get(&p) {
                return Some(r.path.clone());
            }
            let cut = p.rfind('/')?;
            if cut == 0 {
                return None;
            }
            p.truncate(cut);
        }
    }

    fn operation(
        &mut self,
        method: &Method,
        path: &str,
        segs: &[&str],
        query: &[(String, String)],
        sent: Sent<'_>,
        session: Option<&str>,
    ) -> Answer {
        let Sent { body, content_type } = sent;
        // A GET at a stored resource's own URL is that resource, as its own type (a task
        // polled by its Href, whatever link's form its URL also fits).
        if *method == Method::GET {
            if let Some(r) = self.store.get(path) {
                if let Some(t) = self.ty(&r.ty) {
                    let s = session.and_then(|s| self.store.get(s));
                    return Answer::doc(200, self.view(s).render(t, r, &t.root, 0));
                }
            }
        }
        let Some((t, op)) = self.find_op(method, segs, query) else {
            return self.error(
                404,
                &format!("no operation of the spec answers {method} {path}"),
            );
        };
        let (t, op) = (t.name.clone(), op.clone());
        // A body in the operation's own media type, where the spec gives one.
        if let (Some(want), Some(_)) = (&op.media, &op.body) {
            if content_type != Some(want.as_str()) {
                return self.error(
                    415,
                    &format!("expected `Content-Type: {want}`, got {content_type:?}"),
                );
            }
        }
        // The body must be the operation's declared type.
        let body_node = match &op.body {
            Some(want) => {
                let root = self.ty(want).map_or(want.clone(), |b| b.root.clone());
                match emrest_runtime::parse_xml(body.as_bytes()) {
                    Ok(n) if n.name.eq_ignore_ascii_case(&root) => Some(n),
                    Ok(n) => {
                        return self
                            .error(400, &format!("expected a `{root}` body, got `{}`", n.name))
                    }
                    Err(e) => return self.error(400, &format!("the body does not parse: {e}")),
                }
            }
            None => None,
        };
        let target = self.resource_at(path);
        let status = |default: u16| op.status.first().copied().unwrap_or(default);
        match op.verb {
            Verb::Get => {
                let Returns::Type(r) = &op.returns else {
                    return Answer::empty(status(200));
                };
                let Some(rt) = self.ty(r) else {
                    return self.error(500, "the spec's returned type is missing");
                };
                let s = session.and_then(|s| self.store.get(s));
                let view = self.view(s);
                match target.as_deref().and_then(|p| self.store.get(p)) {
                    Some(res) if Form::key(&res.path) == Form::key(path) => {
                        Answer::doc(status(200), view.render(rt, res, &rt.root, 0))
                    }
                    // A list (a type without URL form of its own) at the operation's form.
                    _ if rt.path.is_none() => {
                        let mut list = Res::blank(r);
                        list.ids = segs.iter().map(|s| s.to_string()).collect();
                        Answer::doc(status(200), view.render(rt, &list, &rt.root, 0))
                    }
                    _ => self.error(404, &format!("no resource at {path}")),
                }
            }
            Verb::Put => {
                let Some(p) = target else {
                    return self.error(404, &format!("no resource at {path}"));
                };
                if let Some(n) = &body_node {
                    self.apply(&p, n);
                }
                self.finish(&t, &op, Some(p), status(200), session)
            }
            Verb::Delete => {
                let Some(p) = target else {
                    return self.error(404, &format!("no resource at {path}"));
                };
                self.store.remove(&p);
                self.finish(&t, &op, None, status(204), session)
            }
            Verb::Post => match target {
                Some(p) => match self.created_type(&op, &p) {
                    Some(new) => self.create(&new, body_node.as_ref(), status(201), session),
                    None => self.finish(&t, &op, Some(p), status(200), session),
                },
                None => self.error(404, &format!("no resource at {path}")),
            },
        }
    }

    /// The type a POST creates: the type it returns, when that is a resource type of its
    /// own (with a URL form) other than the target's.
    fn created_type(&self, op: &OpIr, target: &str) -> Option<String> {
        let Returns::Type(r) = &op.returns else {
            return None;
        };
        let target_ty = self.store.get(target).map(|x| x.ty.as_str());
        (!op.task && target_ty != Some(r.as_str()) && self.ty(r).is_some_and(|t| t.path.is_some()))
            .then(|| r.clone())
    }

    /// A new resource of type `ty`, its fields from the body where the body names them.
    fn create(
        &mut self,
        ty: &str,
        body: Option<&Node>,
        status: u16,
        session: Option<&str>,
    ) -> Answer {
        let Some(form) = self.ty(ty).and_then(|t| t.path.as_deref()).map(Form::parse) else {
            return self.error(500, "the created type has no URL form");
        };
        let id = self.store.new_id(ty);
        let mut r = Res::blank(ty);
        r.path = form.fill(std::slice::from_ref(&id));
        r.ids = vec![id];
        let path = r.path.clone();
        self.store.add(r);
        if let Some(b) = body {
            self.apply(&path, b);
        }
        let s = session.and_then(|s| self.store.get(s));
        match (self.ty(ty), self.store.get(&path)) {
            (Some(t), Some(r)) => Answer::doc(status, self.view(s).render(t, r, &t.root, 0)),
            _ => Answer::empty(status),
        }
    }

    /// Changes the resource at `path` by a body of its type: scalar fields by name, nested
    /// elements kept as given.
    fn apply(&mut self, path: &str, body: &Node) {
        let Some(ty) = self.store.get(path).map(|r| r.ty.clone()) else {
            return;
        };
        let Some(t) = self.ty(&ty).cloned() else {
            return;
        };
        let Some(res) = self.store.get_mut(path) else {
            return;
        };
        for f in &t.fields {
            let key = f.xml.to_ascii_lowercase();
            match (&f.ty, &f.shape) {
                (Ty::Links | Ty::Link, _) => {}
                (_, Shape::Attr) => {
                    if let Some(v) = body.attr(&f.xml) {
                        res.vals.insert(key, v.to_string());
                    }
                }
                (Ty::Type(_), _) => {
                    if let Some(c) = body.child(&f.xml) {
                        res.nested.insert(key, c.clone());
                    }
                }
                (_, Shape::Single) => {
                    if let Some(c) = body.child(&f.xml) {
                        res.vals.insert(key, c.text.clone().unwrap_or_default());
                    }
                }
                _ => {}
            }
        }
    }

    /// The answer of a changing operation: a finished task naming what it affected, the
    /// resource, or nothing.
    fn finish(
        &mut self,
        _owner: &str,
        op: &OpIr,
        affected: Option<String>,
        status: u16,
        session: Option<&str>,
    ) -> Answer {
        if op.task {
            let task = self.new_task(op, affected);
            let s = session.and_then(|s| self.store.get(s));
            let (Some(t), Some(r)) = (self.ty(&self.ir.api.task.type_), self.store.get(&task))
            else {
                return self.error(500, "the spec's task type has no URL form");
            };
            return Answer::doc(
                if op.status.is_empty() { 202 } else { status },
                self.view(s).render(t, r, &t.root, 0),
            );
        }
        match (
            &op.returns,
            affected.as_deref().and_then(|p| self.store.get(p)),
        ) {
            (Returns::Type(rt), Some(r)) if status != 204 => {
                let s = session.and_then(|s| self.store.get(s));
                match self.ty(rt) {
                    Some(t) => Answer::doc(status, self.view(s).render(t, r, &t.root, 0)),
                    None => Answer::empty(status),
                }
            }
            _ => Answer::empty(if status == 200 { 204 } else { status }),
        }
    }

    /// A task that already finished well, its operation named, linking what it affected.
    fn new_task(&mut self, op: &OpIr, affected: Option<String>) -> String {
        let a = self.ir.api.clone();
        let id = self.store.new_id(&a.task.type_);
        let t = self.ty(&a.task.type_).cloned();
        let path = t.as_ref().and_then(|t| t.path.as_deref()).map_or_else(
            || format!("/tasks/{id}"),
            |p| Form::parse(p).fill(std::slice::from_ref(&id)),
        );
        let mut r = Res::blank(&a.task.type_);
        r.path = path.clone();
        r.ids = vec![id];
        let fails = self.config.failing.contains(&op.method);
        let end = match (fails, a.task.failed.first()) {
            (true, Some(f)) => f.clone(),
            _ => a.task.done.first().cloned().unwrap_or_default(),
        };
        r.vals.insert(a.task.state.to_ascii_lowercase(), end);
        r.vals
            .insert(a.task.operation.to_ascii_lowercase(), op.method.clone());
        // The result, saying success where the spec has a success attribute.
        let result_ty = t.as_ref().and_then(|t| {
            t.fields
                .iter()
                .find(|f| f.xml.eq_ignore_ascii_case(&a.task.result))
                .and_then(|f| match &f.ty {
                    Ty::Type(x) => Some((f.xml.clone(), x.clone())),
                    _ => None,
                })
        });
        if let (Some((field, x)), true) = (result_ty, fails || !a.task.success.is_empty()) {
            if let Some(xt) = self.ty(&x) {
                let mut res = Res::blank(&x);
                if !a.task.success.is_empty() {
                    res.vals
                        .insert(a.task.success.to_ascii_lowercase(), (!fails).to_string());
                }
                if fails {
                    let msg = format!("{} failed (as the mock was told)", op.method);
                    res.vals.insert(a.task.message.to_ascii_lowercase(), msg);
                }
                let node = self.view(None).render(xt, &res, &field, 1);
                r.nested.insert(field.to_ascii_lowercase(), node);
            }
        }
        if let (Some(e), Some(p)) = (&a.task.related_element, &affected) {
            let mut owner = Node::new(e);
            owner
                .attrs
                .push((a.links.href.clone(), format!("{}{p}", self.base)));
            r.nested.insert(e.to_ascii_lowercase(), owner);
        }
        r.related = affected.into_iter().collect();
        self.store.add(r);
        path
    }

    /// The query service: the spec's parameters, result shape and paging links.
    fn query(&self, query: &[(String, String)], session: Option<&str>) -> Answer {
        let a = &self.ir.api;
        let q = &a.query;
        let p = &q.params;
        let get = |k: &str| {
            query
                .iter()
                .find(|(qk, _)| qk.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let Some(type_name) = get(&p.type_) else {
            return self.error(400, &format!("the query needs `{}`", p.type_));
        };
        let Some(t) = self.ir.types.iter().find(|t| {
            t.query
                .as_ref()
                .is_some_and(|x| x.name.eq_ignore_ascii_case(type_name))
        }) else {
            return self.error(400, &format!("`{type_name}` is not a query type"));
        };
        let entities = get(&p.format).is_some_and(|f| f.eq_ignore_ascii_case(&p.entities));
        let size = match get(&p.page_size).map(str::parse::<usize>) {
            None => q.page_size as usize,
            Some(Ok(n)) if n > 0 => n,
            Some(_) => {
                return self.error(400, &format!("`{}` must be a positive number", p.page_size))
            }
        };
        let page = match get(&p.page).map(str::parse::<usize>) {
            None => 1,
            Some(Ok(n)) if n > 0 => n,
            Some(_) => return self.error(400, &format!("`{}` must be a positive number", p.page)),
        };
        let filter = match get(&p.filter).map(|f| parse_filter(f, &q.filter)) {
            None => Vec::new(),
            Some(Ok(f)) => f,
            Some(Err(e)) => return self.error(400, &e),
        };
        let source = records_source(&self.ir, t);
        let all: Vec<&Res> = self
            .store
            .of_type(&source)
            .filter(|r| {
                filter.iter().all(|(k, v)| {
                    r.vals
                        .get(&k.to_ascii_lowercase())
                        .is_some_and(|x| x.eq_ignore_ascii_case(v))
                })
            })
            .collect();
        let pages = all.len().div_ceil(size).max(1);
        let items: Vec<&Res> = all
            .iter()
            .skip((page - 1) * size)
            .take(size)
            .copied()
            .collect();
        let s = session.and_then(|s| self.store.get(s));
        let view = self.view(s);
        let Some(rt) = self.ty(&q.result) else {
            return self.error(500, "the spec's query result type is missing");
        };
        if q.shape == emrest_codegen::spec::QueryShape::Flat {
            return self.flat_page(rt, t, entities, &items, query, page, size, all.len(), view);
        }
        let mut n = Node::new(&rt.root);
        for f in &rt.fields {
            let Ty::Type(x) = &f.ty else { continue };
            let Some(xt) = self.ty(x) else { continue };
            if f.xml.eq_ignore_ascii_case(&q.refs) && !entities {
                let refs: Vec<Res> = items.iter().map(|r| as_reference(r, x)).collect();
                let refs: Vec<&Res> = refs.iter().collect();
                view.list_into(&mut n, f, xt, &refs, 0);
            } else if f.xml.eq_ignore_ascii_case(&q.entities) && entities {
                let mut holder = Node::new(&f.xml);
                if let Some(lf) = xt
                    .fields
                    .iter()
                    .find(|lf| lf.ty == Ty::Type(t.name.clone()))
                {
                    view.list_into(&mut holder, lf, t, &items, 0);
                }
                n.children.push(holder);
            } else if f.xml.eq_ignore_ascii_case(&q.paging) {
                n.children
                    .push(self.paging(xt, &f.xml, query, page, size, pages));
            }
        }
        Answer::doc(200, n)
    }

    /// A flat result page: paging attributes and links on the root, then the items.
    #[allow(clippy::too_many_arguments)]
    fn flat_page(
        &self,
        rt: &TypeIr,
        t: &TypeIr,
        entities: bool,
        items: &[&Res],
        query: &[(String, String)],
        page: usize,
        size: usize,
        records: usize,
        view: View<'_>,
    ) -> Answer {
        let q = &self.ir.api.query;
        let pages = records.div_ceil(size).max(1);
        let count = match q.paging_count {
            emrest_codegen::spec::PagingCount::Records => records,
            emrest_codegen::spec::PagingCount::Pages => pages,
        };
        let mut n = self.paging(rt, &rt.root, query, page, size, pages);
        if let Some(f) = rt
            .fields
            .iter()
            .find(|f| f.xml.eq_ignore_ascii_case(&q.paging_attrs.count))
        {
            for a in n
                .attrs
                .iter_mut()
                .filter(|(k, _)| k.eq_ignore_ascii_case(&f.xml))
            {
                a.1 = count.to_string();
            }
        }
        for r in items {
            if entities {
                n.children.push(view.render(t, r, &t.root, 1));
            } else if let Some(reft) = self.ty(&q.reference) {
                let x = as_reference(r, &q.reference);
                n.children.push(view.render(reft, &x, &q.ref_item, 1));
            }
        }
        Answer::doc(200, n)
    }

    /// The paging element: page number, size and count where its type declares them, and
    /// the links to the first, previous, next and last pages.
    fn paging(
        &self,
        pt: &TypeIr,
        name: &str,
        query: &[(String, String)],
        page: usize,
        size: usize,
        pages: usize,
    ) -> Node {
        let a = &self.ir.api;
        let q = &a.query;
        let mut n = Node::new(name);
        for (attr, v) in [
            (&q.paging_attrs.num, page),
            (&q.paging_attrs.size, size),
            (&q.paging_attrs.count, pages),
        ] {
            if let Some(f) = pt.fields.iter().find(|f| f.xml.eq_ignore_ascii_case(attr)) {
                match f.shape {
                    Shape::Attr => n.attrs.push((f.xml.clone(), v.to_string())),
                    _ => {
                        let mut c = Node::new(&f.xml);
                        c.text = Some(v.to_string());
                        n.children.push(c);
                    }
                }
            }
        }
        let url = |to: usize| {
            let mut pairs: Vec<String> = query
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case(&q.params.page))
                .map(|(k, v)| format!("{k}={}", crate::util::pct_encode(v)))
                .collect();
            pairs.push(format!("{}={to}", q.params.page));
            format!("{}/{}?{}", self.base, q.path, pairs.join("&"))
        };
        let r = &q.paging_rels;
        let mut links = vec![(&r.first, 1)];
        if page > 1 {
            links.push((&r.previous, page - 1));
        }
        if page < pages {
            links.push((&r.next, page + 1));
        }
        links.push((&r.last, pages));
        let links_field = pt
            .fields
            .iter()
            .find(|f| f.is_links())
            .map(|f| f.xml.clone());
        let d = &a.links;
        let mut nodes = Vec::new();
        for (rel, to) in links {
            let mut l = Node::new(&d.element);
            l.attrs.push((d.rel.clone(), rel.clone()));
            l.attrs.push((d.href.clone(), url(to)));
            nodes.push(l);
        }
        match (&d.wrapper, links_field) {
            (Some(_), Some(field)) => {
                let mut w = Node::new(&field);
                w.children = nodes;
                n.children.push(w);
            }
            (None, Some(_)) => n.children.extend(nodes),
            _ => {}
        }
        n
    }
}

/// The type whose stored resources a query type lists: itself when it has a URL form, or
/// the resource type whose name it extends (`VAppRecord` lists `VApp`s).
fn records_source(ir: &Ir, t: &TypeIr) -> String {
    if t.path.is_some() {
        return t.name.clone();
    }
    let lower = t.name.to_ascii_lowercase();
    ir.types
        .iter()
        .filter(|x| x.path.is_some() && lower.starts_with(&x.name.to_ascii_lowercase()))
        .max_by_key(|x| x.name.len())
        .map_or_else(|| t.name.clone(), |x| x.name.clone())
}

/// A resource as a reference of type `reference`: its path and ids, its name.
fn as_reference(r: &Res, reference: &str) -> Res {
    let mut x = Res::blank(reference);
    x.path = r.path.clone();
    x.ids = r.ids.clone();
    let name = r
        .vals
        .get("name")
        .or_else(|| r.vals.get("title"))
        .or_else(|| r.vals.values().next())
        .cloned()
        .unwrap_or_default();
    x.vals.insert("name".into(), name);
    x
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

/// A filter of equality terms joined by the grammar's AND (every term must hold), values
/// quoted (quotes doubled inside) or percent-encoded as the grammar writes them.
fn parse_filter(
    text: &str,
    g: &emrest_codegen::spec::FilterSpec,
) -> Result<Vec<(String, String)>, String> {
    text.split(g.and.as_str())
        .map(|term| {
            let (k, v) = term.split_once(g.eq.as_str()).ok_or_else(|| {
                format!(
                    "the mock understands only `FIELD{}VALUE` terms joined by `{}`, not `{term}`",
                    g.eq, g.and
                )
            })?;
            let v = v.trim();
            let v = if g.quote.is_empty() {
                pct_decode(v, false)
            } else {
                let q = g.quote.as_str();
                v.strip_prefix(q)
                    .and_then(|v| v.strip_suffix(q))
                    .unwrap_or(v)
                    .replace(&q.repeat(2), q)
            };
            Ok((k.trim().to_string(), v))
        })
        .collect()
}
