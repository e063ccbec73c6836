//! The mock's entry point and logon: the versions, their logon links or URLs, and HTTP
//! Basic logon answered with the spec's token header.

use axum::http::HeaderMap;
use emrest_codegen::ir::{Shape, Ty};
use emrest_runtime::Node;

use super::store::{Form, Res};
use super::{push_link, Answer, State};
use crate::util::b64_decode;

impl State {
    /// The entry point: its links, the logon link at the top and in each version element.
    pub(super) fn entry(&self) -> Node {
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
    pub(super) fn logon(&mut self, headers: &HeaderMap) -> Answer {
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
}
