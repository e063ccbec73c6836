//! The query types of the spec that no hand-written entry of [`super::query::TYPES`] serves
//! (`AgentBackupJob`, `CloudTenant`, `Credentials`, …), answered from the spec alone.
//!
//! A type's instances are the resources em-sim already serves at the type's URL form (its
//! `path` in the spec): the items of that form's store key, mirrored from a hand-written
//! family or seeded by the generic layer (what `GET /agents/jobs?format=Entity` lists). Each
//! item is em-sim's own answer to a GET of the resource — the entity form at `path`, the
//! reference form at `path` without its query — so that a query item and the resource
//! fetched by its `Href` agree. Filterable fields (the spec's `query_fields`) are read from
//! the entity as the spec types them.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use emrest_codegen::ir::{Ty, TypeIr};
use emrest_runtime::Node;

use crate::filter::{Record, Val};
use crate::http::{parse_query, Req};
use crate::render::Reply;
use crate::sim::Sim;
use crate::spec::{self, Template};
use crate::store::{collection_path, key_of};
use crate::util::{parse_time_ms, pct_decode};

/// One instance of a spec query type.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Its path below `/api` in the type's URL form (`/agents/jobs/{id}?format=Entity`).
    pub path: String,
    /// Its entity form, as em-sim answers a GET of `path`.
    pub entity: Node,
}

/// The instances of `ty` the caller of `req` sees, in store order (none when the type has
/// no URL form with a placeholder, or em-sim does not answer a GET of an item).
pub fn instances(sim: &mut Sim, req: &Req, ty: &'static TypeIr) -> Vec<Instance> {
    let Some(form) = ty.path.as_deref() else {
        return Vec::new();
    };
    let t = Template::parse(form);
    let Some(key) = key_of(&t, t.vars()) else {
        return Vec::new();
    };
    super::generic::ensure(sim, &key);
    let ids: Vec<Vec<String>> = sim
        .store
        .slots
        .get(&key)
        .map(|s| s.items.iter().map(|i| i.ids.clone()).collect())
        .unwrap_or_default();
    // Entity lists of collections, fetched once each (for a type whose URL form answers its
    // reference, such as a VLAN range: its entity is an item of its collection's list).
    let mut lists: HashMap<String, Vec<Node>> = HashMap::new();
    ids.into_iter()
        .filter_map(|ids| {
            let path = t.fill(form, &ids)?;
            let got = get(sim, req, &path)?;
            if got.name == ty.root {
                return Some(Instance { path, entity: got });
            }
            let coll = collection_path(&key, ids.split_last()?.1)?;
            if !lists.contains_key(&coll) {
                let mut list = Vec::new();
                for at in [format!("{coll}?format=Entity"), coll.clone()] {
                    list.extend(get(sim, req, &at).map(|n| n.children).unwrap_or_default());
                }
                lists.insert(coll.clone(), list);
            }
            let href = got.attr("Href")?;
            let mut entity = lists[&coll]
                .iter()
                .find(|n| {
                    (n.name == ty.root || n.attr("Type") == Some(ty.name.as_str()))
                        && n.attr("Href") == Some(href)
                })?
                .clone();
            // (A list may name its items otherwise: `VlanConfigurations/Vlans`.)
            entity.name = ty.root.clone();
            entity.json_group = None;
            Some(Instance { path, entity })
        })
        .collect()
}

/// The reference form of `inst`: em-sim's answer at its path without the query (the entity
/// form itself when the type's URL form has no query, as a `Task` is its own reference).
pub fn reference(sim: &mut Sim, req: &Req, inst: &Instance) -> Node {
    let own = match inst.path.split_once('?') {
        Some((p, _)) => get(sim, req, p),
        None => None,
    };
    own.unwrap_or_else(|| reference_of(&inst.entity))
}

/// A reference made from an entity that has no reference form of its own: its `Type`,
/// `Href`, `Name` and `UID` (attributes, or elements of those names) and its links.
fn reference_of(e: &Node) -> Node {
    let mut r = Node::new("EntityRef");
    for k in ["Type", "Href", "Name", "UID"] {
        let v = e
            .attr(k)
            .or_else(|| e.child(k).and_then(|c| c.text.as_deref()));
        if let Some(v) = v {
            r.attrs.push((k.to_string(), v.to_string()));
        }
    }
    if let Some(l) = e.child("Links") {
        r.children.push(l.clone());
    }
    r
}

/// An internal GET of `path` (below `/api`) as the caller of `req`, answered as any request
/// is (hand-written families, then the generic layer); its document when it answers 200.
fn get(sim: &mut Sim, req: &Req, path: &str) -> Option<Node> {
    let (p, q) = path.split_once('?').unwrap_or((path, ""));
    let segs: Vec<String> = p
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| pct_decode(s, false))
        .collect();
    let inner = Req {
        method: Method::GET,
        lsegs: segs.iter().map(|s| s.to_ascii_lowercase()).collect(),
        segs,
        query: parse_query(q),
        base: req.base.clone(),
        fmt: req.fmt,
        body: Default::default(),
        token: req.token.clone(),
        authorization: None,
        caller: req.caller.clone(),
    };
    match super::dispatch(sim, &inner) {
        Ok(Reply::Doc(s, n, _)) if s == StatusCode::OK => Some(n),
        _ => None,
    }
}

/// An entity read as a filter record: the spec's query fields of its type, by name
/// (case-insensitive), from its attributes or its elements' text.
pub struct NodeRec<'a> {
    /// The entity.
    pub node: &'a Node,
    /// The type's query fields (name, value type).
    pub fields: &'a [(String, Ty)],
}

impl Record for NodeRec<'_> {
    fn field(&self, field: &str) -> Option<Val<'_>> {
        let (name, ty) = self
            .fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(field))?;
        let n = self.node;
        let raw = n
            .attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .or_else(|| {
                n.children
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(name))
                    .and_then(|c| c.text.as_deref())
            });
        Some(value(raw, ty))
    }
}

/// A field's text as a filter value of the spec's type (absent: empty, zero, false, never).
fn value<'a>(raw: Option<&'a str>, ty: &Ty) -> Val<'a> {
    let text = raw.unwrap_or("").trim();
    match ty {
        Ty::Int | Ty::Long => Val::Int(text.parse().unwrap_or(0)),
        Ty::Double => Val::Int(text.parse::<f64>().map(|d| d as i64).unwrap_or(0)),
        Ty::Bool => Val::Bool(text.eq_ignore_ascii_case("true")),
        Ty::DateTime => Val::Time(parse_time_ms(text)),
        Ty::Enum(e) => {
            let s = spec::get();
            match s.enum_index(e, text) {
                Some(k) => Val::Enum(k, s.enum_values(e)),
                None => Val::Str(Cow::Borrowed(raw.unwrap_or(""))),
            }
        }
        _ => Val::Str(Cow::Borrowed(raw.unwrap_or(""))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_as_the_spec_types_them() {
        crate::spec::load().expect("spec");
        let mut n = Node::new("X");
        n.attrs.push(("Name".into(), "Alpha".into()));
        let mut c = Node::new("Port");
        c.text = Some("9392".into());
        n.children.push(c);
        let fields = vec![
            ("Name".to_string(), Ty::String),
            ("Port".to_string(), Ty::Int),
            ("Created".to_string(), Ty::DateTime),
        ];
        let r = NodeRec {
            node: &n,
            fields: &fields,
        };
        assert!(matches!(r.field("name"), Some(Val::Str(s)) if s == "Alpha"));
        assert!(matches!(r.field("port"), Some(Val::Int(9392))));
        assert!(matches!(r.field("created"), Some(Val::Time(None))));
        assert!(r.field("other").is_none());
    }
}
