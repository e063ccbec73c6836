//! Query pages written into one buffer: the page's frame (`QueryResult`, its list element
//! and `PagingInfo`) is a small [`Node`] shaped as the spec's type like any answer
//! (`api::conform`), and the items go straight into the runtime's writer (`XmlOut`/`JsonOut`).
//!
//! Items of families with a streaming builder ([`Items::Stream`], [`Emit`]) are shaped as
//! they are written: attributes and elements the item type does not declare are left out and
//! its links are the ones the type's operations declare ([`conform::plan_links_into`]) — the
//! same decisions as shaping a `Node`, without building one per item. Items of the other
//! families ([`Items::Nodes`]) are built as one node each, shaped by `conform::shape` as in a
//! page of nodes, written and dropped: the page is never a tree.
//!
//! What a streaming builder cannot decide alone (a link that needs a stored object looked up,
//! a nested element of a type with links) makes [`write_page`] answer `None`; the caller then
//! writes the page as nodes.

use std::cell::RefCell;
use std::collections::HashMap;

use emrest_codegen::ir::{FieldIr, Shape, Ty, TypeIr};
use emrest_runtime::{JsonKind, JsonOut, Node, Out, XmlOut};

use crate::api::conform::{self, FamilyLink};
use crate::api::generic::{self, op_link, own_link, paging_op, Ctx};
use crate::build::{as_item, row_link, Emit, Vars, L};
use crate::http::Req;
use crate::render::{Casing, Format, NAMESPACE};
use crate::sim::Sim;
use crate::spec::{self, Template};
use crate::store::{key_of, Item};

/// Writes one item of a page (the family's builder).
pub type ItemFn = fn(&Sim, &Req, u32, &mut dyn Emit);

/// Builds one item of a page as a node (the family's builder of nodes).
pub type NodeFn = fn(&Sim, &Req, u32) -> Node;

/// How the items of a page are written into its buffer.
#[derive(Clone, Copy)]
pub enum Items<'a> {
    /// By the family's builder, shaped as they are written (no node per item).
    Stream(ItemFn),
    /// One node per item, shaped as in a page of nodes (`conform::shape`), written and
    /// dropped: the page is never a tree.
    Nodes(NodeFn),
    /// Nodes already built (the page's items, `ids` indexing them), each cloned, shaped and
    /// written as [`Items::Nodes`] are: the query types the spec alone describes, whose
    /// items are em-sim's own answers for them (`api::spec_query`).
    Built(&'a [Node]),
}

/// The list of a page's frame the items go in.
pub enum Hole {
    /// `Entities/<plural>`: items grouped in JSON under the plural.
    Entities(&'static str),
    /// `Refs`: `Ref` items.
    Refs,
}

/// Writes the page whose frame is `frame` (its list empty) with the items `ids` written as
/// `items` says, in the request's format; `None` when the page must be written as nodes.
pub fn write_page(
    sim: &mut Sim,
    req: &Req,
    mut frame: Node,
    hole: Hole,
    ids: &[u32],
    items: Items<'_>,
) -> Option<String> {
    let rt = conform::answer_type(req)?;
    conform::shape(sim, req, rt, &mut frame, 0);
    // Where the items go after shaping, and the type they are shaped as.
    let field = |t: &'static TypeIr, name: &str| t.fields.iter().find(|f| f.xml == name);
    let wrapped = |f: &FieldIr| match (&f.ty, &f.shape) {
        (Ty::Type(u), Shape::Wrapped { item, .. }) => Some((spec::get().ty(u)?, item.clone())),
        _ => None,
    };
    // (`depth`: how deep shaping the page as nodes meets its items; `items_key`: the JSON
    // member of the items' array inside the hole, named as the generated codec names it.)
    let (hole_node, group, items_key, item_ty, item_name, depth): (
        &Node,
        _,
        _,
        _,
        &'static str,
        _,
    ) = match hole {
        Hole::Entities(plural) => {
            let ents = frame.children.iter().find(|c| c.name == "Entities")?;
            let list = ents.children.iter().find(|c| c.name == plural)?;
            let et = match &field(rt, "Entities")?.ty {
                Ty::Type(u) => spec::get().ty(u)?,
                _ => return None,
            };
            let f = field(et, plural)?;
            let (it, iname) = wrapped(f)?;
            let items_key = leak(f.json_items()?);
            (list, Some(items_key), items_key, it, leak(iname), 2)
        }
        Hole::Refs => {
            let refs = frame.children.iter().find(|c| c.name == "Refs")?;
            let f = field(rt, "Refs")?;
            let (it, iname) = wrapped(f)?;
            (refs, None, leak(f.json_items()?), it, leak(iname), 1)
        }
    };
    if !hole_node.children.is_empty() || !hole_node.attrs.is_empty() {
        return None;
    }
    let item = match items {
        Items::Stream(f) => f,
        Items::Nodes(f) => {
            let shaped = (item_ty, item_name, depth);
            return Some(write_nodes(
                sim,
                req,
                &frame,
                (hole_node, items_key),
                group,
                shaped,
                ids,
                f,
            ));
        }
        Items::Built(nodes) => {
            let shaped = (item_ty, item_name, depth);
            let f = |_: &Sim, _: &Req, i: u32| {
                nodes
                    .get(i as usize)
                    .cloned()
                    .unwrap_or_else(|| Node::new(item_name))
            };
            return Some(write_nodes(
                sim,
                req,
                &frame,
                (hole_node, items_key),
                group,
                shaped,
                ids,
                f,
            ));
        }
    };
    // The links made from stored objects are looked up (with `&mut Sim`) when an item first
    // needs one, and the page is written again: the store is asked for what the page needs,
    // as when its nodes are shaped.
    let mut stored = Stored::new(item_ty);
    loop {
        match attempt(
            sim,
            req,
            &frame,
            (hole_node, items_key),
            (item_ty, item_name),
            ids,
            item,
            &stored,
        ) {
            Ok(body) => return Some(body),
            Err(Stop::Store(i)) if !stored.links.iter().any(|(k, _)| *k == i) => {
                stored.look_up(sim, req, item_ty, i)
            }
            Err(_) => return None,
        }
    }
}

/// The href and name of an operation's link.
type OpLink = (String, Option<String>);

/// A name by its address, length, and whether it is an attribute's.
type NameAt = (usize, usize, bool);

/// Why a page cannot be written as a stream (yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// It must be written as nodes.
    Nodes,
    /// The link of operation `.0` (of the item type) made from stored objects is needed.
    Store(usize),
}

/// The page with its items built as nodes by `item`, each shaped as `item_ty` (at `depth`,
/// when named `item_name`, as `conform::shape` meets it in the page) and written at once.
#[allow(clippy::too_many_arguments)]
fn write_nodes(
    sim: &mut Sim,
    req: &Req,
    frame: &Node,
    (hole, items_key): (&Node, &'static str),
    group: Option<&'static str>,
    (item_ty, item_name, depth): (&'static TypeIr, &'static str, usize),
    ids: &[u32],
    item: impl Fn(&Sim, &Req, u32) -> Node,
) -> String {
    let mut w = Writer::new(req, hole, items_key);
    let mut items = |w: &mut Writer<'_>| {
        for &i in ids {
            let mut n = item(sim, req, i);
            match group {
                // As the page of nodes holds them (`query::query_with`).
                Some(g) => n.json_group = Some(g),
                None => n = as_item(n, "Refs", "Ref"),
            }
            if n.name == item_name {
                conform::shape(sim, req, item_ty, &mut n, depth);
            }
            w.node(&n, &n.name, false, &mut |_: &mut Writer<'_>| {});
        }
    };
    w.node(frame, &frame.name, true, &mut items);
    w.finish()
}

#[allow(clippy::too_many_arguments)]
fn attempt(
    sim: &Sim,
    req: &Req,
    frame: &Node,
    (hole, items_key): (&Node, &'static str),
    (item_ty, item_name): (&'static TypeIr, &'static str),
    ids: &[u32],
    item: ItemFn,
    stored: &Stored,
) -> Result<String, Stop> {
    let mut w = Writer::new(req, hole, items_key);
    let mut items = |w: &mut Writer<'_>| {
        let mut iw = ItemWriter::new(req, item_ty, item_name, stored);
        for &i in ids {
            iw.reset();
            item(
                sim,
                req,
                i,
                &mut ItemEmit {
                    w: &mut *w,
                    iw: &mut iw,
                },
            );
            iw.finish(w);
            if w.stop.is_some() {
                return;
            }
        }
    };
    w.node(frame, &frame.name, true, &mut items);
    if let Some(stop) = w.stop {
        return Err(stop);
    }
    Ok(w.finish())
}

/// The links of the item type's operations whose path starts with a placeholder that is
/// not the resource's own id: made from stored objects alone (`generic::op_link`), the same
/// for every item of a page with the own key `key`, so looked up once.
struct Stored {
    key: Option<String>,
    /// The type's URL form, its operations' paths.
    path: Option<Template>,
    templates: Vec<Template>,
    /// Per operation: whether it is a paging link.
    paging: Vec<bool>,
    /// Per operation: whether its link is made from stored objects alone.
    foreign: Vec<bool>,
    /// Per operation: whether every placeholder of its path is one of the own ids (for the
    /// own key `key`), as `generic::own_link` reads it.
    own_keys: Vec<bool>,
    links: Vec<(usize, Option<OpLink>)>,
}

impl Stored {
    fn new(ty: &'static TypeIr) -> Stored {
        let path = ty.path.as_deref().map(Template::parse);
        let key = path.as_ref().and_then(|t| key_of(t, t.vars()));
        let own = key
            .as_deref()
            .map(|k| Template::parse(&k.replace("{}", "{ID}")));
        let templates: Vec<Template> = ty.ops.iter().map(|op| Template::parse(&op.path)).collect();
        let own_keys = templates
            .iter()
            .map(|t| {
                (1..=t.vars()).all(|j| own.as_ref().and_then(|o| key_of(o, j)) == key_of(t, j))
            })
            .collect();
        let foreign = templates
            .iter()
            .map(|t| t.vars() > 0 && own.as_ref().and_then(|o| key_of(o, 1)) != key_of(t, 1))
            .collect();
        Stored {
            key,
            path,
            templates,
            paging: ty.ops.iter().map(paging_op).collect(),
            foreign,
            own_keys,
            links: Vec::new(),
        }
    }

    fn look_up(&mut self, sim: &mut Sim, req: &Req, ty: &'static TypeIr, i: usize) {
        let ctx = Ctx {
            key: self.key.clone(),
            item: Item {
                ids: Vec::new(),
                name: String::new(),
            },
            href: String::new(),
            list_key: None,
        };
        let link = op_link(sim, req, &ty.ops[i], &ctx).map(|l| {
            (
                l.attr("Href").unwrap_or("").to_string(),
                l.attr("Name").map(str::to_string),
            )
        });
        self.links.push((i, link));
    }
}

/// A name the runtime's list events need as `&'static str` (the spec's names, a bounded set).
fn leak(name: String) -> &'static str {
    thread_local! {
        static NAMES: RefCell<HashMap<String, &'static str>> = RefCell::new(HashMap::new());
    }
    NAMES.with(|m| {
        *m.borrow_mut()
            .entry(name)
            .or_insert_with_key(|k| Box::leak(k.clone().into_boxed_str()))
    })
}

/// `name` camel-cased as the runtime's JSON writer does it (cached: the spec's names).
fn camel(name: &str) -> &'static str {
    thread_local! {
        static CAMEL: RefCell<HashMap<String, &'static str>> = RefCell::new(HashMap::new());
    }
    CAMEL.with(|m| {
        if let Some(c) = m.borrow().get(name) {
            return *c;
        }
        let c: &'static str = Box::leak(emrest_runtime::json::camel_case(name).into_boxed_str());
        m.borrow_mut().insert(name.to_string(), c);
        c
    })
}

enum Sink {
    Xml(XmlOut),
    /// The writer runs in PascalCase; camel-cased names (`true`) are given to it already
    /// cased, from a cache (the runtime cases every name it writes, allocating).
    Json(JsonOut, bool),
}

struct Writer<'f> {
    out: Sink,
    /// Why the stream cannot write this page.
    stop: Option<Stop>,
    /// `Links`, `Link`, `Rel`, `Href`, `Type`, `Name` in the page's casing.
    link_keys: [&'static str; 6],
    hole: &'f Node,
    /// JSON: the member of the items' array inside the hole.
    items_key: &'static str,
}

impl<'f> Writer<'f> {
    /// A writer in the request's format whose items go in `hole`.
    fn new(req: &Req, hole: &'f Node, items_key: &'static str) -> Writer<'f> {
        let mut w = Writer {
            out: match req.fmt {
                Format::Xml => Sink::Xml(XmlOut::new("")),
                Format::Json(c) => Sink::Json(
                    JsonOut::new(Casing::Pascal, spec::json_text()),
                    c == Casing::Camel,
                ),
            },
            stop: None,
            link_keys: ["Links", "Link", "Rel", "Href", "Type", "Name"],
            hole,
            items_key,
        };
        w.link_keys = w.link_keys.map(|k| w.key_static(k));
        w
    }

    /// The document written.
    fn finish(self) -> String {
        match self.out {
            Sink::Xml(x) => x.finish(),
            Sink::Json(j, _) => j.finish(),
        }
    }

    /// A `Link` with its attributes in the order the families, `op_link` and the generated
    /// codec write them.
    fn link(&mut self, rel: &str, href: &str, ty: Option<&str>, name: Option<&str>) {
        let [_, link, rel_k, href_k, ty_k, name_k] = self.link_keys;
        let out = self.out();
        out.open(link);
        out.attr(rel_k, rel, JsonKind::String);
        out.attr(href_k, href, JsonKind::String);
        if let Some(n) = name {
            out.attr(name_k, n, JsonKind::String);
        }
        if let Some(t) = ty {
            out.attr(ty_k, t, JsonKind::String);
        }
        out.close(link);
    }

    fn out(&mut self) -> &mut dyn Out {
        match &mut self.out {
            Sink::Xml(x) => x,
            Sink::Json(j, _) => j,
        }
    }

    fn json(&self) -> bool {
        matches!(self.out, Sink::Json(..))
    }

    /// A JSON member name in the page's casing.
    fn key<'a>(&self, name: &'a str) -> &'a str {
        match self.out {
            Sink::Json(_, true) => camel(name),
            _ => name,
        }
    }

    /// A JSON list name in the page's casing.
    fn key_static(&self, name: &'static str) -> &'static str {
        match self.out {
            Sink::Json(_, true) => camel(name),
            _ => name,
        }
    }

    /// Writes the frame node `n` (named `name`), the items in the hole.
    fn node(&mut self, n: &Node, name: &str, root: bool, items: &mut dyn FnMut(&mut Writer<'_>)) {
        let hole = std::ptr::eq(n, self.hole);
        if !self.json() {
            let out = self.out();
            out.open(&n.name);
            if root {
                // As EM writes them: the xsd/xsi declarations, then the default namespace.
                out.attr(
                    "xmlns:xsd",
                    "http://www.w3.org/2001/XMLSchema",
                    JsonKind::String,
                );
                out.attr(
                    "xmlns:xsi",
                    "http://www.w3.org/2001/XMLSchema-instance",
                    JsonKind::String,
                );
                out.attr("xmlns", NAMESPACE, JsonKind::String);
            }
            for (k, v) in &n.attrs {
                out.attr(k, v, JsonKind::String);
            }
            if let Some(t) = n.text.as_deref() {
                out.text("", t, JsonKind::String);
            }
            if hole {
                items(self);
            }
            for c in &n.children {
                self.node(c, &c.name, false, items);
            }
            self.out().close(&n.name);
            return;
        }
        // JSON, as `emrest_runtime::json::node_to_json` writes a node.
        let key = self.key(name);
        if n.array && hole {
            // A nested list keeps its wrapper object (`"Refs": {"Refs": [ … ]}`), as the
            // generated codec writes it; only `Links` is a bare array.
            let inner = self.key_static(self.items_key);
            self.out().wrapper_open(key, Some(inner));
            items(self);
            self.out().wrapper_close(key, Some(inner));
            return;
        }
        if n.array {
            self.out().wrapper_open(key, None);
            for c in &n.children {
                self.node(c, &c.name, false, items);
            }
            self.out().wrapper_close(key, None);
            return;
        }
        if n.attrs.is_empty() && n.children.is_empty() && !hole {
            match n.text.as_deref() {
                Some(t) => self.out().scalar(key, t, n.json_kind),
                None => {
                    self.out().open(key);
                    self.out().close(key);
                }
            }
            return;
        }
        self.out().open(key);
        if hole {
            // An empty list keeps its array, as the generated codec writes it.
            let g = self.key_static(self.items_key);
            self.out().list_open(g);
            items(self);
            self.out().list_close();
        }
        let mut i = 0;
        while i < n.children.len() {
            let c = &n.children[i];
            match c.json_group {
                Some(g) => {
                    let key = self.key_static(g);
                    self.out().list_open(key);
                    while let Some(c) = n.children.get(i).filter(|c| c.json_group == Some(g)) {
                        self.node(c, &c.name, false, items);
                        i += 1;
                    }
                    self.out().list_close();
                }
                None => {
                    self.node(c, &c.name, false, items);
                    i += 1;
                }
            }
        }
        for (k, v) in &n.attrs {
            // (Shaping as the spec's type marked the attributes that are not text.)
            let kind = n
                .attr_kinds
                .iter()
                .find(|(a, _)| a == k)
                .map_or(JsonKind::String, |(_, kind)| *kind);
            let k = self.key(k);
            self.out().attr(k, v, kind);
        }
        if let Some(t) = n.text.as_deref().filter(|t| !t.is_empty()) {
            // The member of an element's own text (the spec's `json_text`).
            let k = self.key(spec::json_text());
            self.out().attr(k, t, n.json_kind);
        }
        self.out().close(key);
    }
}

/// The state of the item being written.
struct ItemWriter<'r> {
    req: &'r Req,
    stored: &'r Stored,
    /// The type items are shaped as.
    ty: &'static TypeIr,
    /// Their element name in the list.
    name: &'static str,
    /// The type whose operations give the links (the one `Type` names, when it has links).
    link_ty: &'static TypeIr,
    href: String,
    item_name: String,
    /// JSON: attributes, written after the elements (as EM writes them): names and
    /// ranges of `attr_text`.
    attrs: Vec<(&'static str, std::ops::Range<usize>, JsonKind)>,
    attr_text: String,
    /// The fields of `ty` the names the builder writes are (attribute or element), by the
    /// address and length of the name, with the name in the page's casing: looked up once
    /// per page.
    fields: Vec<(NameAt, Option<&'static FieldIr>, &'static str)>,
    /// JSON member names are camel-cased.
    camel: bool,
    /// The last `Type` seen and the type whose links it gives.
    last_type: Option<(&'static str, &'static TypeIr)>,
    /// Scratch: the hrefs and names of the family's links.
    hrefs: String,
    /// Scratch: one href.
    href_buf: String,
    /// Scratch: the item's own ids (ranges of `id_buf`).
    ids: Vec<std::ops::Range<usize>>,
    id_buf: String,
    /// Scratch: the family's links (relation, href in `hrefs`, type, name).
    fam: Vec<FamLink>,
    /// Scratch: the plan of an item's links.
    plan: conform::LinkPlan,
    /// The links added, as the page's items ask.
    memo: conform::AddMemo,
}

/// One link a family wrote: relation, href, type, name (href and name as ranges of
/// `ItemWriter::hrefs`).
type FamLink = (
    &'static str,
    std::ops::Range<usize>,
    Option<&'static str>,
    Option<std::ops::Range<usize>>,
);

impl<'r> ItemWriter<'r> {
    fn new(req: &'r Req, ty: &'static TypeIr, name: &'static str, stored: &'r Stored) -> Self {
        ItemWriter {
            req,
            stored,
            ty,
            name,
            link_ty: ty,
            href: String::new(),
            item_name: String::new(),
            attrs: Vec::new(),
            attr_text: String::new(),
            fields: Vec::new(),
            camel: matches!(req.fmt, Format::Json(Casing::Camel)),
            last_type: None,
            hrefs: String::new(),
            href_buf: String::new(),
            ids: Vec::new(),
            id_buf: String::new(),
            fam: Vec::new(),
            plan: conform::LinkPlan::default(),
            memo: conform::AddMemo::default(),
        }
    }

    fn reset(&mut self) {
        self.link_ty = self.ty;
        self.href.clear();
        self.item_name.clear();
        self.attrs.clear();
        self.attr_text.clear();
    }

    /// The field of the item type an attribute (`attr`) or element named `k` is, and `k`
    /// in the page's casing.
    fn field(&mut self, k: &'static str, attr: bool) -> (Option<&'static FieldIr>, &'static str) {
        let at = (k.as_ptr() as usize, k.len(), attr);
        if let Some((_, f, key)) = self.fields.iter().find(|(a, ..)| *a == at) {
            return (*f, key);
        }
        let f = self
            .ty
            .fields
            .iter()
            .find(|f| matches!(f.shape, Shape::Attr) == attr && f.xml == k);
        let key = if self.camel { camel(k) } else { k };
        self.fields.push((at, f, key));
        (f, key)
    }

    fn finish(&mut self, w: &mut Writer<'_>) {
        if w.json() {
            for (k, at, kind) in &self.attrs {
                w.out().attr(k, &self.attr_text[at.clone()], *kind);
            }
        }
        w.out().close(self.name);
    }
}

struct ItemEmit<'a, 'w, 'f, 'r> {
    w: &'w mut Writer<'f>,
    iw: &'a mut ItemWriter<'r>,
}

impl Emit for ItemEmit<'_, '_, '_, '_> {
    fn start(&mut self, _: &'static str) {
        // The item's element is named by the list it is in.
        let name = self.w.key(self.iw.name);
        self.w.out().open(name);
    }

    fn attr(&mut self, k: &'static str, v: &str) {
        let iw = &mut *self.iw;
        let (Some(field), key) = iw.field(k, true) else {
            return;
        };
        match k {
            "Type" => {
                iw.link_ty = match iw.last_type {
                    Some((name, t)) if name == v => t,
                    _ => {
                        let t = spec::get()
                            .ty(v)
                            .filter(|t| !t.ops.is_empty())
                            .unwrap_or(iw.ty);
                        iw.last_type = spec::get().ty(v).map(|named| (named.name.as_str(), t));
                        t
                    }
                }
            }
            "Href" => iw.href.push_str(v),
            "Name" => iw.item_name.push_str(v),
            _ => {}
        }
        if self.w.json() {
            let at = iw.attr_text.len();
            iw.attr_text.push_str(v);
            let kind = generic::json_kind(&field.ty).unwrap_or(JsonKind::String);
            iw.attrs.push((key, at..iw.attr_text.len(), kind));
        } else {
            self.w.out().attr(k, v, JsonKind::String);
        }
    }

    fn links(&mut self, table: &[L], vars: &Vars) {
        let iw = &mut *self.iw;
        if iw.field("Links", false).0.is_none() {
            return;
        }
        // The family's links: hrefs one after another in one buffer (kept between items).
        iw.hrefs.clear();
        let mut fam = std::mem::take(&mut iw.fam);
        fam.clear();
        for row in table {
            if let Some(name) = row_link(row, vars, &mut iw.href_buf) {
                let at = iw.hrefs.len();
                iw.hrefs.push_str(&iw.href_buf);
                let href = at..iw.hrefs.len();
                let name = name.map(|n| {
                    iw.hrefs.push_str(n);
                    href.end..iw.hrefs.len()
                });
                fam.push((row.rel, href, row.ty, name));
            }
        }
        let hrefs = iw.hrefs.as_str();
        let name_of = |n: &Option<std::ops::Range<usize>>| n.clone().map(|r| &hrefs[r]);
        let w = &mut *self.w;
        let [links_key, ..] = w.link_keys;
        w.out().wrapper_open(links_key, None);
        let relink =
            iw.ty.links_field().is_some() && iw.link_ty.name != spec::get().ir.api.task.type_;
        if !relink {
            for (rel, at, ty, name) in &fam {
                w.link(rel, &hrefs[at.clone()], *ty, name_of(name));
            }
        } else {
            let base = iw.req.base.as_str();
            let lt = iw.link_ty;
            let links: Vec<FamilyLink<'_>> = fam
                .iter()
                .map(|(rel, at, ty, _)| FamilyLink {
                    rel,
                    href: &hrefs[at.clone()],
                    ty: *ty,
                })
                .collect();
            let templates = if std::ptr::eq(lt, iw.ty) {
                iw.stored.templates.as_slice()
            } else {
                spec::get().op_templates(&lt.name)
            };
            let plan = &mut iw.plan;
            conform::plan_links_into(base, lt, templates, &links, &iw.href, plan, &mut iw.memo);
            for &(k, retype) in &plan.kept {
                let (rel, at, ty, name) = &fam[k];
                let ty = match retype {
                    Some(i) => lt.ops[i].link_type.as_deref(),
                    None => *ty,
                };
                w.link(rel, &hrefs[at.clone()], ty, name_of(name));
            }
            if !plan.add.is_empty() {
                let st = iw.stored;
                // The item's own ids when its links are made as the page's plan says: its
                // type is the item type and its href has that type's URL form (the context
                // `conform::link_ctx` makes, with the page's own key), else `false`.
                iw.id_buf.clear();
                iw.ids.clear();
                let same = if !std::ptr::eq(lt, iw.ty) {
                    false
                } else if let Some(t) = &st.path {
                    conform::capture_href_into(t, base, &iw.href, &mut iw.id_buf, &mut iw.ids) || {
                        iw.ids.clear();
                        st.key.is_none()
                    }
                } else {
                    true
                };
                let other = (!same).then(|| conform::link_ctx(base, lt, &iw.href, &iw.item_name));
                for &i in &plan.add {
                    let op = &lt.ops[i];
                    let t = &st.templates[i];
                    if same && st.paging[i] {
                        continue;
                    }
                    if same && st.own_keys[i] && iw.ids.len() >= t.vars() {
                        // (`own_link`: the keys compared once per page, the link written
                        // from the ids in place.)
                        let ids = iw.ids[..t.vars()].iter().map(|r| &iw.id_buf[r.clone()]);
                        iw.href_buf.clear();
                        iw.href_buf.push_str(base);
                        if t.fill_into(&op.path, ids, &mut iw.href_buf) {
                            let name = op.link_name.as_deref().or_else(|| {
                                (op.rel == "Up" && t.vars() > 0).then_some(iw.item_name.as_str())
                            });
                            w.link(&op.rel, &iw.href_buf, op.link_type.as_deref(), name);
                        }
                        continue;
                    }
                    if let Some(ctx) = &other {
                        if let Some(own) = own_link(op, ctx) {
                            if let Some((path, name)) = own {
                                iw.href_buf.clear();
                                iw.href_buf.push_str(base);
                                iw.href_buf.push_str(&path);
                                let ty = op.link_type.as_deref();
                                w.link(&op.rel, &iw.href_buf, ty, name.as_deref());
                            }
                            continue;
                        }
                    }
                    match st.links.iter().find(|(k, _)| *k == i) {
                        Some((_, Some((href, name)))) if same => {
                            w.link(&op.rel, href, op.link_type.as_deref(), name.as_deref())
                        }
                        Some((_, None)) if same => {}
                        None if same && st.foreign[i] => w.stop = Some(Stop::Store(i)),
                        // A link made from the item's own ids and stored objects: the
                        // page is written as nodes.
                        _ => w.stop = Some(Stop::Nodes),
                    }
                }
            }
        }
        w.out().wrapper_close(links_key, None);
        iw.fam = fam;
    }

    fn text(&mut self, k: &'static str, v: &str, kind: JsonKind) {
        let (Some(f), key) = self.iw.field(k, false) else {
            return;
        };
        if let Ty::Type(u) = &f.ty {
            // Shaping would make a scalar of a type with links grow them: nodes do that.
            if spec::get().ty(u).is_some_and(|t| t.links_field().is_some()) {
                self.w.stop = Some(Stop::Nodes);
                return;
            }
        }
        self.w.out().scalar(key, v, kind);
    }
}
