//! The generic layer: every operation of the spec that no hand-written family answers is
//! answered here from the spec alone — representations built from the type's field list
//! with the links its operations declare, lists from the [`Store`], `Create` adding,
//! `Edit` renaming, `Delete` removing, and actions answered with a task that finishes and
//! records the action.

use axum::http::{Method, StatusCode};
use emrest_codegen::ir::{FieldIr, OpIr, Returns, Shape, Ty, TypeIr, Verb};
use emrest_runtime::{JsonKind, Node};

use super::{not_found, task_reply, tl};
use crate::build::{link, links_node};
use crate::http::{Caller, Req};
use crate::render::{parse_body, ApiError, ApiResult, Format, Reply};
use crate::sim::{Logon, Role, Sim};
use crate::spec::{self, Route, Seg, Template};
use crate::store::{collection_path, key_of, seed_id, seed_name, Item, Origin, Slot};
use crate::util::iso;

/// Base URL of internal probes (never sent to a client).
const PROBE_BASE: &str = "http://probe.invalid/api";

/// How deep required nested types are built.
const MAX_DEPTH: usize = 4;

/// Relations an operator (Restore Operator) may use besides GET.
const OPERATOR_RELS: &[&str] = &["Restore", "Browse", "Download", "Intervals"];

/// Whether a hand-written family's error means "no such route here", so that the generic
/// layer may answer instead.
pub fn declined(e: &ApiError) -> bool {
    (e.status == StatusCode::NOT_FOUND && e.message == not_found().message)
        || e.status == StatusCode::METHOD_NOT_ALLOWED
        || (e.status == StatusCode::BAD_REQUEST
            && (e.message.starts_with("Unknown action") || e.message.contains("[action]")))
}

/// Answers `req` from the spec, or `None` when no operation's URL template matches its path.
pub fn answer(sim: &mut Sim, req: &Req) -> Option<ApiResult> {
    let spec = spec::get();
    let at: Vec<(&Route, Vec<String>)> = spec.routes_at(&req.lsegs, &req.segs).collect();
    let action = req.action();
    let verb = req.method.as_str();
    if at.is_empty() {
        // A type's URL form no operation serves (an agent job's include, listed by its
        // collection): that type, as the list's items show it.
        return (verb == "GET" && action.is_none())
            .then(|| by_type_path(sim, req))
            .flatten();
    }
    let pick = pick(&at, req);
    let Some((route, ids)) = pick else {
        if verb == "GET" && action.is_none() {
            if let Some(r) = by_type_path(sim, req) {
                return Some(r);
            }
        }
        return Some(Err(if verb == "GET" && action.is_some() {
            ApiError::method_not_allowed()
        } else if at.iter().any(|(r, _)| r.verb() == verb) {
            super::unknown_action(action.as_deref())
        } else {
            ApiError::method_not_allowed()
        }));
    };
    Some(run(sim, req, route, ids))
}

/// A GET at a type's documented URL form that no operation's link leads to (the entity of a
/// reference without links): that type, built from the store.
fn by_type_path(sim: &mut Sim, req: &Req) -> Option<ApiResult> {
    let spec = spec::get();
    let (t, ty, ids) = spec
        .type_paths
        .iter()
        .filter(|(t, _)| t.query_matches(&req.query))
        .find_map(|(t, ty)| t.capture(&req.lsegs, &req.segs).map(|ids| (t, *ty, ids)))?;
    let key = key_of(t, t.vars());
    if let Some(k) = &key {
        ensure(sim, k);
        if sim.store.slots.contains_key(k) && sim.store.find(k, &ids).is_none() {
            return Some(Err(ApiError::not_found("Resource not found.")));
        }
    }
    let name = key
        .as_ref()
        .and_then(|k| sim.store.find(k, &ids))
        .map(|i| i.name.clone())
        .unwrap_or_default();
    let path = t.fill(ty.path.as_deref().unwrap_or("/"), &ids)?;
    let ctx = Ctx {
        key,
        item: Item { ids, name },
        href: req.url(&path),
        list_key: None,
    };
    Some(Ok(Reply::ok(render(sim, req, ty, &ctx, 0))))
}

/// The operation a request calls among the routes matching its path: right verb, right
/// action, most literal query pairs.
pub fn pick<'a, 'r>(
    at: &'a [(&'r Route, Vec<String>)],
    req: &Req,
) -> Option<&'a (&'r Route, Vec<String>)> {
    let action = req.action();
    let verb = req.method.as_str();
    at.iter()
        .filter(|(r, _)| r.verb() == verb && r.template.query_matches(&req.query))
        .filter(|(r, _)| match (&r.op.action, &action) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            // `Edit` links carry no `?action=edit`; the documented request adds it.
            (Some(_), None) => {
                r.op.verb == Verb::Put && !r.template.query.iter().any(|(k, _)| k == "action")
            }
            (None, Some(_)) => false,
            (None, None) => true,
        })
        // The most specific template; between forms of one link (a mount with and without
        // its optional body), the one whose body the request matches.
        .max_by_key(|(r, _)| {
            (
                r.template.query.len(),
                r.op.body.is_some() != req.body.is_empty(),
            )
        })
}

fn run(sim: &mut Sim, req: &Req, route: &Route, ids: &[String]) -> ApiResult {
    let op = route.op;
    if req.method != Method::GET && !req.is_admin() && !OPERATOR_RELS.contains(&op.rel.as_str()) {
        return Err(ApiError::forbidden());
    }
    // The deepest stored resource the path names must exist.
    let own_key = key_of(&route.template, route.template.vars());
    if let Some(k) = &own_key {
        ensure(sim, k);
        refresh(sim, k, ids);
        if sim.store.slots.contains_key(k) && sim.store.find(k, ids).is_none() {
            return Err(ApiError::not_found(format!(
                "Resource with id [{}] was not found.",
                ids.last().map(String::as_str).unwrap_or("")
            )));
        }
    }
    if op.body.is_some() {
        parse_body(req.fmt, &req.body)?;
    }
    let status = StatusCode::from_u16(route.status()).unwrap_or(StatusCode::OK);
    let resource = route.owner.name.as_str();
    let id = ids.last().cloned().unwrap_or_default();
    match op.verb {
        Verb::Get => reply_with(sim, req, route, ids, status, None),
        Verb::Delete => {
            if let Some(k) = &own_key {
                sim.store.remove(k, ids);
            }
            sim.count(resource, id, op.method.as_str());
            reply_with(sim, req, route, ids, status, None)
        }
        Verb::Put => {
            if let (Some(k), Ok(body)) = (&own_key, parse_body(req.fmt, &req.body)) {
                if let Some(name) = body_name(&body) {
                    rename(sim, k, ids, name);
                }
            }
            sim.count(resource, id, op.method.as_str());
            reply_with(sim, req, route, ids, status, None)
        }
        Verb::Post if op.rel == "Create" && op.action.is_none() => {
            let mut t = route.template.clone();
            t.segs.push(Seg::Var);
            let created = key_of(&t, t.vars()).map(|k| {
                ensure(sim, &k);
                sim.store.created += 1;
                let n = sim.store.created;
                let new_id = seed_id(sim.data.seed ^ 0xC0FFEE, &k, n);
                let name = parse_body(req.fmt, &req.body)
                    .ok()
                    .and_then(|b| body_name(&b))
                    .unwrap_or_else(|| seed_name(&k, n as usize));
                let mut item_ids = ids.to_vec();
                item_ids.push(new_id.clone());
                let item = Item {
                    ids: item_ids,
                    name,
                };
                let slot = sim.store.slots.entry(k.clone()).or_insert(Slot {
                    origin: Origin::Generic,
                    items: Vec::new(),
                });
                slot.items.push(item.clone());
                (k, item)
            });
            sim.count(resource, id, op.method.as_str());
            reply_with(sim, req, route, ids, status, created)
        }
        Verb::Post => {
            sim.count(resource, id, op.method.as_str());
            reply_with(sim, req, route, ids, status, None)
        }
    }
}

/// The answer of an operation: a task, a representation, bytes or nothing.
fn reply_with(
    sim: &mut Sim,
    req: &Req,
    route: &Route,
    ids: &[String],
    status: StatusCode,
    created: Option<(String, Item)>,
) -> ApiResult {
    let op = route.op;
    let spec = spec::get();
    if op.task {
        let links = match &created {
            Some((k, item)) => created_links(k, item),
            None => Vec::new(),
        };
        let mut reply = task_reply(
            sim,
            req,
            op.method.as_str(),
            true,
            format!("{} finished.", op.rel),
            links,
        )?;
        if let Reply::Doc(s, ..) = &mut reply {
            *s = status;
        }
        return Ok(reply);
    }
    match &op.returns {
        Returns::Nothing => Ok(Reply::Empty(status, Vec::new())),
        Returns::Bytes => Ok(Reply::Bytes(
            status,
            "application/octet-stream",
            format!(
                "em-sim file {}\n",
                ids.last().map(String::as_str).unwrap_or("")
            )
            .into_bytes(),
        )),
        Returns::Type(name) => {
            let ty = spec.ty(name).ok_or_else(not_found)?;
            let (key, own, href) = match &created {
                Some((k, item)) => (
                    Some(k.clone()),
                    item.clone(),
                    req.url(&item_path(k, item, ty.path.as_deref())),
                ),
                None => {
                    let key = key_of(&route.template, route.template.vars());
                    let name = key
                        .as_ref()
                        .and_then(|k| sim.store.find(k, ids))
                        .map(|i| i.name.clone())
                        .unwrap_or_else(|| seed_name(&route.op.path, 0));
                    let url = route
                        .template
                        .fill(&route.op.path, ids)
                        .unwrap_or_else(|| "/".into());
                    (
                        key,
                        Item {
                            ids: ids.to_vec(),
                            name,
                        },
                        req.url(&url),
                    )
                }
            };
            // A list answered at a collection path holds the stored items below it, unless
            // its link names the resources it lists (`BackupFileReferenceList` at
            // `/backups/{ID}/backupFiles`): then those, at their own URLs and with their own
            // type, as EM lists them.
            let mut list_t = route.template.clone();
            list_t.segs.push(Seg::Var);
            let below = key_of(&list_t, list_t.vars());
            let list_key = match listed_resource(route.op) {
                Some((k, vars)) if below.as_ref() != Some(&k) => Some((
                    k,
                    ids.iter().take(vars.saturating_sub(1)).cloned().collect(),
                )),
                _ => below.map(|k| (k, ids.to_vec())),
            };
            let ctx = Ctx {
                key,
                item: own,
                href,
                list_key,
            };
            let node = render(sim, req, ty, &ctx, 0);
            Ok(Reply::Doc(status, node, Vec::new()))
        }
    }
}

/// The links a finished task shows for a resource it created: every link the task type
/// declares whose URL form the new resource has (`Related` with its type), else a plain
/// `Related` link.
fn created_links(key: &str, item: &Item) -> Vec<crate::sim::TaskLink> {
    let spec = spec::get();
    let path = item_path(key, item, None);
    let mut out = Vec::new();
    if let Some(task) = spec.ty(&spec.ir.api.task.type_) {
        for (op, t) in task.ops.iter().zip(spec.op_templates(&task.name)) {
            if op.verb == Verb::Get && t.matches_href(&path) {
                let href = t.fill(&op.path, &item.ids).unwrap_or_else(|| path.clone());
                out.push(tl(
                    op.rel.as_str(),
                    href,
                    op.link_type.as_deref(),
                    Some(item.name.clone()),
                ));
            }
        }
    }
    if out.is_empty() {
        // As EM's create tasks do: `Related` to the entity form, typed by the type whose URL
        // form it is (`Type="CloudGateway"`, `…/cloud/gateways/{ID}?format=Entity`).
        // (a nested resource without an entity form: its own form, as `CloudTenantResource`).
        let (low, raw): (Vec<String>, Vec<String>) = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| (s.to_ascii_lowercase(), s.to_string()))
            .unzip();
        let form = |entity: bool| {
            let q = if entity {
                vec![("format".to_string(), "Entity".to_string())]
            } else {
                Vec::new()
            };
            spec.type_paths.iter().find_map(|(t, ty)| {
                (t.capture(&low, &raw).is_some()
                    && t.query_matches(&q)
                    && t.query.is_empty() != entity)
                    .then_some(ty.name.as_str())
            })
        };
        let name = Some(item.name.clone());
        match (form(true), form(false)) {
            (Some(ty), _) => out.push(tl(
                "Related",
                format!("{path}?format=Entity"),
                Some(ty),
                name,
            )),
            (None, Some(ty)) => out.push(tl("Related", path, Some(ty), name)),
            (None, None) => out.push(tl("Related", path, None, name)),
        }
    }
    out
}

fn body_name(body: &Node) -> Option<String> {
    body.attr("Name")
        .map(str::to_string)
        .or_else(|| body.child("Name").and_then(|n| n.text.clone()))
        .filter(|n| !n.is_empty())
}

fn rename(sim: &mut Sim, key: &str, ids: &[String], name: String) {
    if let Some(slot) = sim.store.slots.get_mut(key) {
        for i in &mut slot.items {
            if i.ids.len() == ids.len()
                && i.ids
                    .iter()
                    .zip(ids)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
            {
                i.name = name.clone();
            }
        }
    }
}

/// The path of `item` of `key`: the type's documented form when it has one with as many
/// placeholders, else the key filled in.
fn item_path(key: &str, item: &Item, type_path: Option<&str>) -> String {
    if let Some(p) = type_path {
        let t = Template::parse(p);
        if t.vars() == item.ids.len() && key_of(&t, t.vars()).as_deref() == Some(key) {
            if let Some(s) = t.fill(p, &item.ids) {
                return s;
            }
        }
    }
    let form = spec::get().key_form(key).unwrap_or(key).to_string();
    let mut it = item.ids.iter();
    let mut out = String::new();
    for s in form.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if s.starts_with('{') {
            out.push_str(it.next().map(String::as_str).unwrap_or(""));
        } else {
            out.push_str(s);
        }
    }
    out
}

/// Adds a resource below `parent` at the URL form `form` (`/cloud/failoverSessions/{ID}`) to
/// the store, as a hand-written action that creates one does (a failover plan start opens a
/// failover session); its path and name, `None` when `form` has no placeholder.
pub fn add_item(
    sim: &mut Sim,
    form: &str,
    parent: &[String],
    name: String,
) -> Option<(String, String)> {
    let t = Template::parse(form);
    let k = key_of(&t, t.vars())?;
    ensure(sim, &k);
    sim.store.created += 1;
    let mut ids = parent.to_vec();
    ids.push(seed_id(sim.data.seed ^ 0xC0FFEE, &k, sim.store.created));
    let item = Item { ids, name };
    let path = item_path(&k, &item, None);
    let name = item.name.clone();
    sim.store
        .slots
        .entry(k)
        .or_insert(Slot {
            origin: Origin::Generic,
            items: Vec::new(),
        })
        .items
        .push(item);
    Some((path, name))
}

/// Makes sure `key` has a slot: mirrored from a hand-written family when one serves the
/// collection, else seeded.
pub fn ensure(sim: &mut Sim, key: &str) {
    if sim.store.slots.contains_key(key) {
        return;
    }
    let parent_key = key
        .strip_suffix("/{}")
        .and_then(|b| b.rfind("{}").map(|i| &key[..i + 2]))
        .map(str::to_string);
    let parents: Vec<Item> = match &parent_key {
        Some(pk) => {
            ensure(sim, pk);
            let slot = &sim.store.slots[pk.as_str()];
            if slot.origin == Origin::Generic {
                let items = slot.items.iter().take(2).cloned().collect::<Vec<_>>();
                let seeded = seed(sim, key, &items);
                sim.store.slots.insert(key.to_string(), seeded);
                return;
            }
            slot.items.iter().take(2).cloned().collect()
        }
        None => vec![Item {
            ids: Vec::new(),
            name: String::new(),
        }],
    };
    // Probe the hand-written families for each parent's collection.
    let mut hand = None;
    for p in &parents {
        let Some(path) = collection_path(key, &p.ids) else {
            continue;
        };
        if let Some(found) = probe(sim, key, &path) {
            hand.get_or_insert_with(Vec::new).extend(found);
        }
    }
    let slot = match hand {
        Some(items) => Slot {
            origin: Origin::Hand,
            items,
        },
        None => seed(sim, key, &parents),
    };
    sim.store.slots.insert(key.to_string(), slot);
}

/// A slot mirrored from a hand-written family is a snapshot: when it lacks `ids` (an object
/// the family created since, such as a session a job start opened), it is mirrored again.
fn refresh(sim: &mut Sim, key: &str, ids: &[String]) {
    let stale = sim
        .store
        .slots
        .get(key)
        .is_some_and(|s| s.origin == Origin::Hand)
        && sim.store.find(key, ids).is_none();
    if !stale {
        return;
    }
    // The family answers the object itself (a mirror holds the first items only).
    let path = item_path(
        key,
        &Item {
            ids: ids.to_vec(),
            name: String::new(),
        },
        None,
    );
    let found = match super::hand_dispatch(sim, &probe_req(&path)) {
        Ok(Reply::Doc(_, n, _)) => Some(n.attr("Name").unwrap_or_default().to_string()),
        _ => None,
    };
    if let (Some(name), Some(slot)) = (found, sim.store.slots.get_mut(key)) {
        slot.items.push(Item {
            ids: ids.to_vec(),
            name,
        });
    }
}

/// An internal GET of `path` as an administrator (never sent to a client).
fn probe_req(path: &str) -> Req {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Req {
        method: Method::GET,
        lsegs: segs.iter().map(|s| s.to_ascii_lowercase()).collect(),
        segs,
        query: Vec::new(),
        base: PROBE_BASE.into(),
        fmt: Format::Xml,
        body: Default::default(),
        token: None,
        authorization: None,
        caller: Some(Caller {
            token: String::new(),
            logon: Logon {
                id: String::new(),
                user: "probe".into(),
                role: Role::Admin,
                last: std::time::Instant::now(),
            },
        }),
    }
}

/// Seeded items of a generic key: per parent, as many as the data set's size asks.
fn seed(sim: &Sim, key: &str, parents: &[Item]) -> Slot {
    let per = match sim.data.jobs.len() {
        0..=10 => 2,
        11..=100 => 3,
        _ => 8,
    };
    let mut items = Vec::new();
    for p in parents {
        for i in 0..per {
            let n = items.len() as u64;
            let mut ids = p.ids.clone();
            ids.push(seed_id(sim.data.seed, key, n));
            items.push(Item {
                ids,
                name: seed_name(key, i + items.len()),
            });
        }
    }
    Slot {
        origin: Origin::Generic,
        items,
    }
}

/// GETs `path` from the hand-written families as an internal administrator; the items it
/// lists (by their `Href`s), or `None` when no family serves the path.
fn probe(sim: &mut Sim, key: &str, path: &str) -> Option<Vec<Item>> {
    let req = probe_req(path);
    let node = match super::hand_dispatch(sim, &req) {
        Ok(Reply::Doc(_, n, _)) => n,
        Ok(_) => return Some(Vec::new()),
        Err(e) if declined(&e) => return None,
        Err(_) => return Some(Vec::new()),
    };
    let t = Template::parse(&key.replace("{}", "{ID}"));
    let items = node
        .children
        .iter()
        .filter_map(|c| {
            let href = c.attr("Href")?;
            let rest = href.strip_prefix(PROBE_BASE)?;
            let p = rest.split('?').next().unwrap_or(rest);
            let raw: Vec<String> = p
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| crate::util::pct_decode(s, false))
                .collect();
            let low: Vec<String> = raw.iter().map(|s| s.to_ascii_lowercase()).collect();
            let ids = t.capture(&low, &raw)?;
            Some(Item {
                ids,
                name: c.attr("Name").unwrap_or_default().to_string(),
            })
        })
        .take(16)
        .collect();
    Some(items)
}

/// What a generic representation is built around.
#[derive(Debug)]
pub struct Ctx {
    /// Key of the resource itself, if it is stored.
    pub key: Option<String>,
    /// The resource (ids and name).
    pub item: Item,
    /// Its absolute URL.
    pub href: String,
    /// Key of the items a list type at this URL holds, and the ids they start with.
    pub list_key: Option<(String, Vec<String>)>,
}

/// Builds `ty` from its field list.
fn render(sim: &mut Sim, req: &Req, ty: &'static TypeIr, ctx: &Ctx, depth: usize) -> Node {
    let spec = spec::get();
    let mut n = Node::new(ty.root.as_str());
    for f in &ty.fields {
        match (&f.shape, &f.ty) {
            (Shape::Attr, t) => {
                n.attrs.push((f.xml.clone(), scalar(sim, f, t, ty, ctx)));
                if let Some(k) = json_kind(t) {
                    n.attr_kinds.push((f.xml.clone(), k));
                }
            }
            (Shape::Text, t) => n.text = Some(scalar(sim, f, t, ty, ctx)),
            (Shape::Single, Ty::Links) => {
                let ls = links_of(sim, req, ty, ctx);
                n.children.push(ls);
            }
            (Shape::Single, Ty::Link) => {}
            (Shape::Single, Ty::Type(u)) => {
                if f.optional || depth >= MAX_DEPTH {
                    continue;
                }
                if let Some(ut) = spec.ty(u) {
                    let sub = Ctx {
                        key: None,
                        item: ctx.item.clone(),
                        href: ctx.href.clone(),
                        list_key: None,
                    };
                    let mut c = render(sim, req, ut, &sub, depth + 1);
                    c.name = f.xml.clone();
                    n.children.push(c);
                }
            }
            (Shape::Single, t) => {
                let mut c = Node::new(f.xml.as_str());
                c.text = Some(scalar(sim, f, t, ty, ctx));
                c.json_kind = json_kind(t).unwrap_or_default();
                n.children.push(c);
            }
            (Shape::List { json }, Ty::Type(u)) => {
                let Some(ut) = spec.ty(u) else { continue };
                let Some((lk, parent)) = ctx.list_key.clone().filter(|_| depth == 0) else {
                    continue;
                };
                ensure(sim, &lk);
                let items: Vec<Item> = sim
                    .store
                    .children(&lk, &parent)
                    .into_iter()
                    .cloned()
                    .collect();
                let group: &'static str = json.as_deref().unwrap_or(f.xml.as_str());
                for item in items {
                    let path = item_path(&lk, &item, ut.path.as_deref());
                    let sub = Ctx {
                        key: Some(lk.clone()),
                        href: req.url(&path),
                        item,
                        list_key: None,
                    };
                    let mut c = render(sim, req, ut, &sub, depth + 1);
                    c.name = f.xml.clone();
                    c.json_group = Some(group);
                    n.children.push(c);
                }
            }
            (Shape::List { .. } | Shape::Wrapped { .. }, _) => {}
        }
    }
    n
}

/// The JSON kind of a scalar of type `t` that is not a string.
pub fn json_kind(t: &Ty) -> Option<JsonKind> {
    match t {
        Ty::Int | Ty::Long | Ty::Double => Some(JsonKind::Number),
        Ty::Bool => Some(JsonKind::Bool),
        _ => None,
    }
}

/// A plausible value for a scalar field.
fn scalar(sim: &Sim, f: &FieldIr, t: &Ty, ty: &TypeIr, ctx: &Ctx) -> String {
    let id = ctx.item.ids.last().cloned().unwrap_or_default();
    let x = f.xml.as_str();
    match t {
        Ty::String => match x {
            // The API's generic reference names the resource it points to, as EM writes
            // it (`<Ref Type="JobReference" …>` in EntityReferences lists).
            "Type" => match resource_type(ctx) {
                Some(r) if ty.name == spec::get().ir.api.query.reference => format!("{r}Reference"),
                _ => ty.name.clone(),
            },
            "Href" => ctx.href.clone(),
            "Name" | "DisplayName" => ctx.item.name.clone(),
            "UID" | "Uid" => format!("urn:veeam:{}:{id}", resource_type(ctx).unwrap_or(&ty.name)),
            _ if x.ends_with("Id") || x.ends_with("Uid") || x.ends_with("UID") => id,
            _ if x.ends_with("Name") => ctx.item.name.clone(),
            _ if x.contains("Description") => format!("{} ({})", ctx.item.name, ty.name),
            _ => format!("{x} of {}", ctx.item.name),
        },
        // em-sim never serves a real secret.
        Ty::Secret => "********".into(),
        Ty::Bool => (!x.starts_with("Is") || x.contains("Enabled")).to_string(),
        Ty::Int | Ty::Long => (ctx.item.name.len() as i64 * 1024).to_string(),
        Ty::Double => "0.5".into(),
        // A fixed time: the same resource reads the same however often it is read.
        Ty::DateTime => iso(sim.anchor()),
        Ty::Enum(e) => spec::get()
            .enum_values(e)
            .first()
            .copied()
            .unwrap_or("")
            .to_string(),
        Ty::Links | Ty::Link | Ty::Type(_) => String::new(),
    }
}

/// The store key (and its number of ids) of the resources a list operation's link names by
/// its type (`XReferenceList` or `XReference` for a type `X` with a URL form); for a link
/// without a type, the resources whose own collection is named as the list's last segment
/// (`/restorePoints/{ID}/backupFiles` lists those of `/backupFiles/{ID}`).
fn listed_resource(op: &OpIr) -> Option<(String, usize)> {
    let spec = spec::get();
    let t = match op.link_type.as_deref() {
        Some(lt) => spec.ty(lt
            .strip_suffix("List")
            .unwrap_or(lt)
            .strip_suffix("Reference")?)?,
        None => {
            let path = op.path.split('?').next().unwrap_or("");
            let last = path.rsplit('/').next().filter(|l| !l.starts_with('{'))?;
            let own = format!("/{last}/{{ID}}");
            spec.ir.types.iter().find(|t| {
                t.path
                    .as_deref()
                    .is_some_and(|p| p.split('?').next().unwrap_or("").eq_ignore_ascii_case(&own))
            })?
        }
    };
    let tp = Template::parse(t.path.as_deref()?);
    let vars = tp.vars();
    Some((key_of(&tp, vars)?, vars))
}

/// The type of the resource a representation stands for (its store key's type: a query
/// type first), so that its reference and its entity carry the same `UID`.
fn resource_type(ctx: &Ctx) -> Option<&'static str> {
    static BY_KEY: std::sync::OnceLock<std::collections::HashMap<String, &'static str>> =
        std::sync::OnceLock::new();
    let map = BY_KEY.get_or_init(|| {
        let ir = &spec::get().ir;
        let mut map = std::collections::HashMap::new();
        let ordered = ir
            .types
            .iter()
            .filter(|t| t.query.is_some())
            .chain(ir.types.iter().filter(|t| t.query.is_none()));
        for t in ordered {
            let Some(p) = t.path.as_deref() else { continue };
            let tp = Template::parse(p);
            if let Some(k) = key_of(&tp, tp.vars()) {
                map.entry(k).or_insert(t.name.as_str());
            }
        }
        map
    });
    map.get(ctx.key.as_deref()?).copied()
}

/// The links `ty` declares, with their placeholders filled: the resource's own ids where the
/// link's URL shares its key, a stored representative elsewhere.
fn links_of(sim: &mut Sim, req: &Req, ty: &'static TypeIr, ctx: &Ctx) -> Node {
    let out = ty
        .ops
        .iter()
        .filter_map(|op| op_link(sim, req, op, ctx))
        .collect();
    links_node(out)
}

/// The link of one operation for the resource of `ctx`, or `None` when a placeholder cannot
/// be filled (or the operation is a paging link, which only query results carry).
pub fn op_link(sim: &mut Sim, req: &Req, op: &OpIr, ctx: &Ctx) -> Option<Node> {
    if let Some(own) = own_link(op, ctx) {
        return own.map(|(path, name)| {
            link(
                &op.rel,
                &req.url(&path),
                op.link_type.as_deref(),
                name.as_deref(),
            )
        });
    }
    let own = own_template(ctx);
    let t = Template::parse(&op.path);
    let mut ids: Vec<String> = Vec::new();
    let mut name = None;
    for j in 1..=t.vars() {
        let kp = key_of(&t, j);
        let mine = own.as_ref().and_then(|o| key_of(o, j)) == kp && ctx.item.ids.len() >= j;
        if mine {
            ids.push(ctx.item.ids[j - 1].clone());
            name = Some(ctx.item.name.clone());
            continue;
        }
        let kp = kp?;
        // The logon session a representation links to is the caller's own.
        let session_path = spec::get()
            .ty(&spec::get().ir.api.session)
            .and_then(|t| t.path.as_deref())
            .map(Template::parse);
        if j == 1 && session_path.and_then(|t| key_of(&t, 1)).as_deref() == Some(kp.as_str()) {
            ids.push(req.logon_id().to_string());
            continue;
        }
        ensure(sim, &kp);
        let (id, n) = sim
            .store
            .children(&kp, &ids)
            .first()
            .map(|i| (i.ids[j - 1].clone(), i.name.clone()))?;
        ids.push(id);
        name = Some(n);
    }
    let path = t.fill(&op.path, &ids)?;
    let name = op
        .link_name
        .clone()
        .or(if op.rel == "Up" { name } else { None });
    Some(link(
        &op.rel,
        &req.url(&path),
        op.link_type.as_deref(),
        name.as_deref(),
    ))
}

/// The resource's own key as a template (`/jobs/{ID}`).
fn own_template(ctx: &Ctx) -> Option<Template> {
    ctx.key
        .as_deref()
        .map(|k| Template::parse(&k.replace("{}", "{ID}")))
}

/// The path and name of [`op_link`]'s link when every placeholder of the operation's path is
/// one of the resource's own ids (no stored object is looked up): `Some(None)` when there is
/// no link (a paging link), `None` when the link needs the store.
pub fn own_link(op: &OpIr, ctx: &Ctx) -> Option<Option<(String, Option<String>)>> {
    if paging_op(op) {
        return Some(None);
    }
    own_link_with(
        op,
        &Template::parse(&op.path),
        own_template(ctx).as_ref(),
        ctx,
    )
}

/// Whether `op` is a paging link (which only query results carry).
pub fn paging_op(op: &OpIr) -> bool {
    op.path.contains("{QUERY}") || op.path.contains("{N") || op.path.contains("{LAST}")
}

/// [`own_link`] of an operation that is not a paging link, with its path parsed (`t`) and
/// the resource's own key as a template (`own`).
fn own_link_with(
    op: &OpIr,
    t: &Template,
    own: Option<&Template>,
    ctx: &Ctx,
) -> Option<Option<(String, Option<String>)>> {
    for j in 1..=t.vars() {
        let kp = key_of(t, j);
        let mine = own.and_then(|o| key_of(o, j)) == kp && ctx.item.ids.len() >= j;
        if !mine {
            return None;
        }
    }
    Some(own_path(op, t, &ctx.item.ids, &ctx.item.name))
}

/// The path and name of the link of `op` (path `t`) whose placeholders are all the own ids
/// `ids` of the resource named `name` (it has at least as many).
pub fn own_path(
    op: &OpIr,
    t: &Template,
    ids: &[String],
    name: &str,
) -> Option<(String, Option<String>)> {
    let path = t.fill(&op.path, &ids[..t.vars()])?;
    let name = op
        .link_name
        .clone()
        .or_else(|| (op.rel == "Up" && t.vars() > 0).then(|| name.to_string()));
    Some((path, name))
}
