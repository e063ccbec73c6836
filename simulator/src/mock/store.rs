//! The mock's state: resources of any spec, keyed by their path below the base URL, seeded
//! from the types' declared URL forms and field types.

use std::collections::BTreeMap;

use emrest_codegen::ir::{Ir, Shape, Ty, TypeIr};
use emrest_runtime::Node;

/// A URL form of the spec (`/books/{ID}?view=full`), split for matching and filling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// Path segments: `None` for a placeholder.
    pub segs: Vec<Option<String>>,
    /// Literal query pairs of the form.
    pub query: Vec<(String, String)>,
}

impl Form {
    /// Parses a spec URL form; placeholders in the query are dropped.
    pub fn parse(form: &str) -> Form {
        let (path, query) = form.split_once('?').unwrap_or((form, ""));
        let segs = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
            .collect();
        let query = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, v)| !k.contains('{') && !v.contains('{'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Form { segs, query }
    }

    /// The placeholders' values when `segs` (a request path) has this form's path and
    /// `query` holds its literal pairs.
    pub fn capture(&self, segs: &[&str], query: &[(String, String)]) -> Option<Vec<String>> {
        if segs.len() != self.segs.len() {
            return None;
        }
        let mut ids = Vec::new();
        for (f, s) in self.segs.iter().zip(segs) {
            match f {
                Some(lit) if !lit.eq_ignore_ascii_case(s) => return None,
                Some(_) => {}
                None => ids.push(s.to_string()),
            }
        }
        let has = |(k, v): &(String, String)| {
            query
                .iter()
                .any(|(qk, qv)| qk.eq_ignore_ascii_case(k) && qv.eq_ignore_ascii_case(v))
        };
        self.query.iter().all(has).then_some(ids)
    }

    /// The form's path with its placeholders filled from `ids` (the last one repeated when
    /// there are fewer), and its literal query.
    pub fn fill(&self, ids: &[String]) -> String {
        let mut n = 0;
        let mut out = String::new();
        for s in &self.segs {
            out.push('/');
            match s {
                Some(lit) => out.push_str(lit),
                None => {
                    out.push_str(ids.get(n).or(ids.last()).map_or("", String::as_str));
                    n += 1;
                }
            }
        }
        if !self.query.is_empty() {
            let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push('?');
            out.push_str(&q.join("&"));
        }
        out
    }

    /// The number of placeholders.
    pub fn vars(&self) -> usize {
        self.segs.iter().filter(|s| s.is_none()).count()
    }

    /// The path alone, lower-cased: the store key of a resource at this form.
    pub fn key(path: &str) -> String {
        path.split('?').next().unwrap_or(path).to_ascii_lowercase()
    }
}

/// One resource.
#[derive(Debug, Clone)]
pub struct Res {
    /// Its spec type.
    pub ty: String,
    /// Its path below the base URL (`/books/book-1`).
    pub path: String,
    /// The ids its path was filled with.
    pub ids: Vec<String>,
    /// Field values by field name (lower-cased): scalars as text.
    pub vals: BTreeMap<String, String>,
    /// Element fields given as documents (a request body's nested elements).
    pub nested: BTreeMap<String, Node>,
    /// Paths of the resources its `related` links name (a task's affected object).
    pub related: Vec<String>,
}

/// Every resource, in creation order.
#[derive(Debug, Default)]
pub struct Store {
    items: Vec<Res>,
    next: u64,
}

impl Store {
    /// A store seeded with `n` resources of every type that has a URL form with one
    /// placeholder and is not one of the API's own (entry, session, task, query, error).
    pub fn seed(ir: &Ir, n: usize) -> Store {
        let mut s = Store::default();
        let a = &ir.api;
        let own = [
            &a.entry,
            &a.session,
            &a.task.type_,
            &a.query.result,
            &a.query.reference,
            &a.error.type_,
        ];
        for t in &ir.types {
            let Some(path) = &t.path else { continue };
            let form = Form::parse(path);
            if form.vars() != 1 || own.iter().any(|o| **o == t.name) {
                continue;
            }
            for i in 0..n {
                let id = format!("{}-{}", t.name.to_ascii_lowercase(), i + 1);
                let mut vals = BTreeMap::new();
                for f in &t.fields {
                    if let Some(v) = seed_value(ir, t, f, i) {
                        vals.insert(f.xml.to_ascii_lowercase(), v);
                    }
                }
                s.add(Res {
                    ty: t.name.clone(),
                    path: form.fill(std::slice::from_ref(&id)),
                    ids: vec![id],
                    vals,
                    nested: BTreeMap::new(),
                    related: Vec::new(),
                });
            }
        }
        s
    }

    /// A new id of `ty`'s kind.
    pub fn new_id(&mut self, ty: &str) -> String {
        self.next += 1;
        format!("{}-n{}", ty.to_ascii_lowercase(), self.next)
    }

    /// Adds (or replaces) a resource.
    pub fn add(&mut self, r: Res) {
        let key = Form::key(&r.path);
        self.items.retain(|x| Form::key(&x.path) != key);
        self.items.push(r);
    }

    /// The resource at `path`.
    pub fn get(&self, path: &str) -> Option<&Res> {
        let key = Form::key(path);
        self.items.iter().find(|r| Form::key(&r.path) == key)
    }

    /// The resource at `path`, to change.
    pub fn get_mut(&mut self, path: &str) -> Option<&mut Res> {
        let key = Form::key(path);
        self.items.iter_mut().find(|r| Form::key(&r.path) == key)
    }

    /// Removes the resource at `path`; whether there was one.
    pub fn remove(&mut self, path: &str) -> bool {
        let key = Form::key(path);
        let before = self.items.len();
        self.items.retain(|r| Form::key(&r.path) != key);
        before != self.items.len()
    }

    /// Every resource of type `ty`, in creation order.
    pub fn of_type<'a>(&'a self, ty: &'a str) -> impl Iterator<Item = &'a Res> + 'a {
        self.items.iter().filter(move |r| r.ty == ty)
    }
}

/// A plausible value of a scalar field for the `i`-th seeded resource (`None`: left out,
/// or not a scalar).
fn seed_value(ir: &Ir, t: &TypeIr, f: &emrest_codegen::ir::FieldIr, i: usize) -> Option<String> {
    if matches!(f.shape, Shape::List { .. } | Shape::Wrapped { .. }) {
        return None;
    }
    if t.href_field().is_some_and(|h| h.xml == f.xml) {
        return None;
    }
    let n = i + 1;
    Some(match &f.ty {
        Ty::String | Ty::Secret => format!("{} {n}", f.xml),
        Ty::Bool => "false".into(),
        Ty::Int | Ty::Long => (100 * n).to_string(),
        Ty::Double => format!("{n}.5"),
        Ty::DateTime => format!("2026-01-{:02}T10:00:00Z", n.min(28)),
        Ty::Enum(e) => {
            let values = &ir.enums.iter().find(|x| &x.name == e)?.values;
            values.get(i % values.len().max(1))?.0.clone()
        }
        Ty::Links | Ty::Link | Ty::Type(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_capture_and_fill() {
        let f = Form::parse("/books/{ID}?view=full");
        let q = vec![("VIEW".to_string(), "Full".to_string())];
        assert_eq!(f.capture(&["Books", "b-1"], &q), Some(vec!["b-1".into()]));
        assert_eq!(f.capture(&["books", "b-1"], &[]), None);
        assert_eq!(f.capture(&["books"], &q), None);
        assert_eq!(f.fill(&["b-2".into()]), "/books/b-2?view=full");
        let p = Form::parse("/vApp/{ID}/power/action/powerOn");
        assert_eq!(
            p.capture(&["vapp", "v1", "power", "action", "poweron"], &[]),
            Some(vec!["v1".into()])
        );
    }
}
