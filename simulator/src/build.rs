//! Node building blocks shared by the resource families: elements, reference and entity
//! shells, lists, and link tables.
//!
//! Link sets are declared per family as static tables of [`L`] (relation, target type, href
//! template, name source), mirroring the spec facts (REFERENCE.md and `samples/`). An href
//! template is `{key}suffix`: the URL bound to `key` in [`Vars`] followed by a literal suffix;
//! a link whose key is not bound is left out (that is how optional links are expressed).

use emrest_runtime::{JsonKind, Node};

/// One row of a link table.
#[derive(Debug, Clone, Copy)]
pub struct L {
    /// Relation.
    pub rel: &'static str,
    /// Target type, if the link has one.
    pub ty: Option<&'static str>,
    /// `{key}suffix`.
    pub href: &'static str,
    /// Key whose name becomes the link's `Name`.
    pub name: Option<&'static str>,
}

/// Shorthand constructor for table rows.
pub const fn l(
    rel: &'static str,
    ty: Option<&'static str>,
    href: &'static str,
    name: Option<&'static str>,
) -> L {
    L {
        rel,
        ty,
        href,
        name,
    }
}

/// URL and name bindings for a link table.
#[derive(Debug, Default)]
pub struct Vars {
    v: Vec<(&'static str, String, Option<String>)>,
}

impl Vars {
    /// No bindings.
    pub fn new() -> Self {
        Vars::default()
    }

    /// Binds `key` to `url` with an optional name.
    pub fn set(mut self, key: &'static str, url: String, name: Option<&str>) -> Self {
        self.v.push((key, url, name.map(str::to_string)));
        self
    }

    fn get(&self, key: &str) -> Option<&(&'static str, String, Option<String>)> {
        self.v.iter().find(|(k, _, _)| *k == key)
    }
}

/// A `Link` node.
pub fn link(rel: &str, href: &str, ty: Option<&str>, name: Option<&str>) -> Node {
    let mut n = Node::new("Link");
    n.attrs.push(("Rel".into(), rel.into()));
    n.attrs.push(("Href".into(), href.into()));
    // In the order the generated codec writes a link (`Rel`, `Href`, `Name`, `Type`).
    if let Some(nm) = name {
        n.attrs.push(("Name".into(), nm.into()));
    }
    if let Some(t) = ty {
        n.attrs.push(("Type".into(), t.into()));
    }
    n
}

/// The `Links` node of a table under `vars`.
pub fn links(table: &[L], vars: &Vars) -> Node {
    let mut out = links_node(Vec::new());
    let mut href = String::new();
    for row in table {
        if let Some(name) = row_link(row, vars, &mut href) {
            out.children.push(link(row.rel, &href, row.ty, name));
        }
    }
    out
}

/// A `Links` node holding `items`.
pub fn links_node(items: Vec<Node>) -> Node {
    let mut n = Node::new("Links");
    n.array = true;
    n.children = items;
    n
}

/// What a representation builder writes, in document order: the root element, its
/// attributes, its `Links` (from a link table) and its scalar child elements. A builder
/// written against this writes either a [`Node`] ([`NodeEmit`]) or, for query pages, a
/// stream shaped as the spec's type (`crate::page`), from one definition.
pub trait Emit {
    /// The root element's name (called first).
    fn start(&mut self, name: &'static str);
    /// An attribute.
    fn attr(&mut self, k: &'static str, v: &str);
    /// The `Links` of `table` under `vars`.
    fn links(&mut self, table: &[L], vars: &Vars);
    /// A scalar child element.
    fn text(&mut self, k: &'static str, v: &str, kind: JsonKind);
}

/// The href and name a link table row gives under `vars`, or `None` when its key is unbound.
pub fn row_link<'v>(row: &L, vars: &'v Vars, href: &mut String) -> Option<Option<&'v str>> {
    let rest = row.href.strip_prefix('{')?;
    let (key, suffix) = rest.split_once('}')?;
    let (_, url, _) = vars.get(key)?;
    href.clear();
    href.push_str(url);
    href.push_str(suffix);
    Some(
        row.name
            .and_then(|k| vars.get(k))
            .and_then(|(_, _, n)| n.as_deref()),
    )
}

/// An [`Emit`] building a [`Node`].
#[derive(Debug, Default)]
pub struct NodeEmit(pub Node);

impl Emit for NodeEmit {
    fn start(&mut self, name: &'static str) {
        self.0.name = name.to_string();
    }
    fn attr(&mut self, k: &'static str, v: &str) {
        self.0.attrs.push((k.into(), v.into()));
    }
    fn links(&mut self, table: &[L], vars: &Vars) {
        self.0.children.push(links(table, vars));
    }
    fn text(&mut self, k: &'static str, v: &str, kind: JsonKind) {
        let mut c = Node::new(k);
        c.text = Some(v.into());
        c.json_kind = kind;
        self.0.children.push(c);
    }
}

/// Fluent additions to a node.
pub trait NodeExt: Sized {
    /// Adds an attribute.
    fn a(self, k: &str, v: impl Into<String>) -> Self;
    /// Adds a text child element.
    fn t(self, k: &str, v: impl Into<String>) -> Self;
    /// Adds a text child element when present.
    fn ot(self, k: &str, v: Option<String>) -> Self;
    /// Adds a number child element.
    fn num(self, k: &str, v: i64) -> Self;
    /// Adds a boolean child element.
    fn b(self, k: &str, v: bool) -> Self;
    /// Adds a child.
    fn ch(self, c: Node) -> Self;
}

impl NodeExt for Node {
    fn a(mut self, k: &str, v: impl Into<String>) -> Self {
        self.attrs.push((k.into(), v.into()));
        self
    }
    fn t(mut self, k: &str, v: impl Into<String>) -> Self {
        let mut c = Node::new(k);
        c.text = Some(v.into());
        self.children.push(c);
        self
    }
    fn ot(self, k: &str, v: Option<String>) -> Self {
        match v {
            Some(v) => self.t(k, v),
            None => self,
        }
    }
    fn num(mut self, k: &str, v: i64) -> Self {
        let mut c = Node::new(k);
        c.text = Some(v.to_string());
        c.json_kind = JsonKind::Number;
        self.children.push(c);
        self
    }
    fn b(mut self, k: &str, v: bool) -> Self {
        let mut c = Node::new(k);
        c.text = Some(v.to_string());
        c.json_kind = JsonKind::Bool;
        self.children.push(c);
        self
    }
    fn ch(mut self, c: Node) -> Self {
        self.children.push(c);
        self
    }
}

/// An element.
pub fn el(name: &str) -> Node {
    Node::new(name)
}

/// The identity part of a key resource: element `root` with `Type`, `Href`, `Name`, `UID`
/// and its `Links` first.
pub fn shell(root: &str, ty: &str, href: &str, name: &str, uid: &str, links: Node) -> Node {
    el(root)
        .a("Type", ty)
        .a("Href", href)
        .a("Name", name)
        .a("UID", uid)
        .ch(links)
}

/// A resource without name/UID (tasks, credentials, mounts...).
pub fn plain(root: &str, ty: &str, href: &str, links: Node) -> Node {
    el(root).a("Type", ty).a("Href", href).ch(links)
}

/// Turns an `EntityRef` into a list item `Ref`.
pub fn as_item(mut n: Node, group: &'static str, name: &str) -> Node {
    n.name = name.to_string();
    n.json_group = Some(group);
    n
}

/// `EntityReferences` of `Ref` items (given as `EntityRef` roots).
pub fn ref_list(items: Vec<Node>) -> Node {
    let mut n = el("EntityReferences");
    n.children = items
        .into_iter()
        .map(|i| as_item(i, "Refs", "Ref"))
        .collect();
    n
}

/// A plural entity list (`Jobs` of `Job`).
pub fn entity_list(plural: &'static str, items: Vec<Node>) -> Node {
    let mut n = el(plural);
    n.children = items
        .into_iter()
        .map(|mut i| {
            i.json_group = Some(plural);
            i
        })
        .collect();
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &[L] = &[
        l(
            "Up",
            Some("BackupServerReference"),
            "{server}",
            Some("server"),
        ),
        l(
            "Alternate",
            Some("Job"),
            "{self}?format=Entity",
            Some("self"),
        ),
        l("Start", None, "{self}?action=start", None),
        l("Related", Some("X"), "{missing}", None),
    ];

    #[test]
    fn link_tables_substitute_and_skip() {
        let v = Vars::new()
            .set("self", "http://h/api/jobs/1".into(), Some("Job 1"))
            .set("server", "http://h/api/backupServers/2".into(), Some("srv"));
        let n = links(T, &v);
        assert_eq!(n.children.len(), 3);
        assert_eq!(n.children[0].attr("Name"), Some("srv"));
        assert_eq!(
            n.children[1].attr("Href"),
            Some("http://h/api/jobs/1?format=Entity")
        );
        assert_eq!(n.children[2].attr("Type"), None);
        assert_eq!(n.children[2].attr("Name"), None);
    }
}
