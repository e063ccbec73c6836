//! The mock's operations: matching a request to the spec's operation, and what each verb
//! does to the store (render, change, remove, create, or answer with a task).

use axum::http::Method;
use emrest_codegen::ir::{OpIr, Returns, Shape, Ty, Verb};
use emrest_runtime::Node;

use super::store::{Form, Res};
use super::{Answer, Sent, State};

impl State {
    /// The operation a request names: verb, URL form and action all fitting, the most
    /// literal form first.
    fn find_op(&self, method: &Method, segs: &[&str], query: &[(String, String)]) -> Option<&OpIr> {
        let verb = match *method {
            Method::GET => Verb::Get,
            Method::POST => Verb::Post,
            Method::PUT => Verb::Put,
            Method::DELETE => Verb::Delete,
            _ => return None,
        };
        let mut best: Option<(usize, &OpIr)> = None;
        for t in &self.ir.types {
            for op in t.ops.iter().filter(|o| o.verb == verb) {
                let form = Form::parse(&op.path);
                if form.capture(segs, query).is_none() {
                    continue;
                }
                let score = form.segs.iter().filter(|s| s.is_some()).count() + form.query.len();
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, op));
                }
            }
        }
        best.map(|(_, op)| op)
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

    pub(super) fn operation(
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
        let Some(op) = self.find_op(method, segs, query) else {
            return self.error(
                404,
                &format!("no operation of the spec answers {method} {path}"),
            );
        };
        let op = op.clone();
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
                self.finish(&op, Some(p), status(200), session)
            }
            Verb::Delete => {
                let Some(p) = target else {
                    return self.error(404, &format!("no resource at {path}"));
                };
                self.store.remove(&p);
                self.finish(&op, None, status(204), session)
            }
            Verb::Post => match target {
                Some(p) => match self.created_type(&op, &p) {
                    Some(new) => self.create(&new, body_node.as_ref(), status(201), session),
                    None => self.finish(&op, Some(p), status(200), session),
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
}
