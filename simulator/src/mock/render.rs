//! Representations of the mock's resources, built from their spec types and written in the
//! spec's own conventions: its link element, attribute names and wrapper, its task fields,
//! its query result shape.

use emrest_codegen::ir::{Ir, OpIr, Returns, Shape, Ty, TypeIr};
use emrest_runtime::Node;

use super::store::{Form, Res, Store};

/// How deep required nested types are built.
const MAX_DEPTH: usize = 4;

/// What rendering reads: the spec, the base URL and the store.
pub struct View<'a> {
    /// The checked spec.
    pub ir: &'a Ir,
    /// Base URL, without its trailing `/` (`http://127.0.0.1:PORT/api`).
    pub base: &'a str,
    /// The resources.
    pub store: &'a Store,
    /// The caller's logon session, when there is one.
    pub session: Option<&'a Res>,
}

impl View<'_> {
    /// The type named `name`.
    pub fn ty(&self, name: &str) -> Option<&TypeIr> {
        self.ir.types.iter().find(|t| t.name == name)
    }

    /// The absolute URL of a path below the base.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `res` as its type `t`, under the element `name`.
    pub fn render(&self, t: &TypeIr, res: &Res, name: &str, depth: usize) -> Node {
        let mut n = Node::new(name);
        for f in &t.fields {
            let key = f.xml.to_ascii_lowercase();
            let value = || -> Option<String> {
                if t.href_field().is_some_and(|h| h.xml == f.xml) && !res.path.is_empty() {
                    return Some(self.url(&res.path));
                }
                res.vals.get(&key).cloned()
            };
            match (&f.ty, &f.shape) {
                (Ty::Links, _) => self.links_into(&mut n, t, res, &f.xml),
                (Ty::Link, _) => {}
                (_, Shape::Attr) => {
                    if let Some(v) = value() {
                        n.attrs.push((f.xml.clone(), v));
                    }
                }
                (_, Shape::Text) => n.text = value(),
                (Ty::Type(x), Shape::Single) => match res.nested.get(&key) {
                    Some(given) => {
                        let mut c = given.clone();
                        c.name = f.xml.clone();
                        n.children.push(c);
                    }
                    None if !f.optional && depth < MAX_DEPTH => {
                        if let Some(xt) = self.ty(x) {
                            let empty = Res::blank(x);
                            n.children.push(self.render(xt, &empty, &f.xml, depth + 1));
                        }
                    }
                    None => {}
                },
                (Ty::Type(x), Shape::List { .. } | Shape::Wrapped { .. }) => {
                    // A list type (one without a URL form of its own) lists the stored
                    // resources of its item type.
                    if t.path.is_some() || depth >= MAX_DEPTH {
                        continue;
                    }
                    let Some(xt) = self.ty(x) else { continue };
                    // Items of a reference type are the resources the element names
                    // (`<Org href=…/>` in an `OrgList` lists the `Org`s).
                    let element = match &f.shape {
                        Shape::Wrapped { item, .. } => item.as_str(),
                        _ => f.xml.as_str(),
                    };
                    let source = match self.store.of_type(x).next() {
                        Some(_) => x.as_str(),
                        None => self
                            .ir
                            .types
                            .iter()
                            .find(|t| t.path.is_some() && t.name.eq_ignore_ascii_case(element))
                            .map_or(x.as_str(), |t| t.name.as_str()),
                    };
                    let items: Vec<&Res> = self.store.of_type(source).collect();
                    self.list_into(&mut n, f, xt, &items, depth);
                }
                (_, Shape::Single) => {
                    if let Some(v) = value() {
                        let mut c = Node::new(&f.xml);
                        c.text = Some(v);
                        n.children.push(c);
                    }
                }
                _ => {}
            }
        }
        n
    }

    /// The items of a list field `f` of item type `xt` into `n`: repeated, or in the
    /// field's wrapper.
    pub fn list_into(
        &self,
        n: &mut Node,
        f: &emrest_codegen::ir::FieldIr,
        xt: &TypeIr,
        items: &[&Res],
        depth: usize,
    ) {
        match &f.shape {
            Shape::Wrapped { item, .. } => {
                let mut w = Node::new(&f.xml);
                for r in items {
                    w.children.push(self.render(xt, r, item, depth + 1));
                }
                n.children.push(w);
            }
            _ => {
                for r in items {
                    n.children.push(self.render(xt, r, &f.xml, depth + 1));
                }
            }
        }
    }

    /// The links `t`'s operations offer on `res`, in the API's link form, into `n` (inside
    /// the field `field` when the API wraps links).
    fn links_into(&self, n: &mut Node, t: &TypeIr, res: &Res, field: &str) {
        let def = &self.ir.api.links;
        let mut links = Vec::new();
        for op in &t.ops {
            for href in self.targets(t, res, op) {
                let mut l = Node::new(&def.element);
                l.attrs.push((def.rel.clone(), op.rel.clone()));
                l.attrs.push((def.href.clone(), self.url(&href)));
                if let Some(ty) = &op.link_type {
                    l.attrs.push((def.type_.clone(), ty.clone()));
                }
                if let Some(name) = &op.link_name {
                    l.attrs.push((def.name.clone(), name.clone()));
                }
                links.push(l);
            }
        }
        match &def.wrapper {
            Some(_) => {
                let mut w = Node::new(field);
                w.children = links;
                n.children.push(w);
            }
            None => n.children.extend(links),
        }
    }

    /// Where `op` leads from `res` (paths below the base): the task's affected objects for
    /// the task's related relation, the resource's own form for its actions, and the form's
    /// resource otherwise (the caller's session for a link to the session type).
    fn targets(&self, t: &TypeIr, res: &Res, op: &OpIr) -> Vec<String> {
        let a = &self.ir.api;
        if t.name == a.task.type_ && op.rel == a.task.related {
            return res.related.clone();
        }
        let form = Form::parse(&op.path);
        let own = form.fill(&res.ids);
        if form.vars() == 0 || res.ids.is_empty() {
            return vec![own];
        }
        // An action or a resource below this one: at this resource's own URL.
        let below = t.path.as_deref().map(Form::parse).is_some_and(|o| {
            form.segs.len() > o.segs.len() && form.segs[..o.segs.len()] == o.segs[..]
        });
        if below || op.action.is_some() {
            return vec![own];
        }
        // A link to a resource of another type: the stored one there, the caller's
        // session, or the first stored resource of that type (a parent, say).
        let Returns::Type(r) = &op.returns else {
            return vec![own];
        };
        let stored_type = self.ty(r).filter(|x| x.path.is_some());
        if *r == t.name || stored_type.is_none() {
            return vec![own];
        }
        if self.store.get(&own).is_some_and(|x| x.ty == *r) {
            return vec![own];
        }
        if *r == a.session {
            if let Some(s) = self.session {
                return vec![s.path.clone()];
            }
        }
        match self.store.of_type(r).next() {
            Some(x) => vec![form.fill(&x.ids)],
            None => vec![own],
        }
    }

    /// The error document of the spec for `status` and `message`.
    pub fn error(&self, status: u16, message: &str) -> Node {
        let e = &self.ir.api.error;
        let mut r = Res::blank(&e.type_);
        r.vals
            .insert(e.message.to_ascii_lowercase(), message.to_string());
        r.vals
            .insert(e.status.to_ascii_lowercase(), status.to_string());
        match self.ty(&e.type_) {
            Some(t) => self.render(t, &r, &t.root, 0),
            None => Node::new(&e.type_),
        }
    }
}

impl Res {
    /// A resource with no path and no values (for nested parts and lists).
    pub fn blank(ty: &str) -> Res {
        Res {
            ty: ty.to_string(),
            path: String::new(),
            ids: Vec::new(),
            vals: Default::default(),
            nested: Default::default(),
            related: Vec::new(),
        }
    }
}
