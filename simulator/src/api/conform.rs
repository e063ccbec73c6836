//! Holds the hand-written families' representations to the spec: the answer of an operation
//! is shaped as the type the spec says it returns — attributes and elements the type does not
//! declare are dropped, and its `Links` gain every link its operations declare that the
//! family did not write (the family's own links kept, so that ids and names of related
//! objects stay right).

use emrest_codegen::ir::{Shape, Ty, TypeIr};
use emrest_runtime::Node;

use super::generic::{self, op_link, Ctx};
use crate::build::links_node;
use crate::http::Req;
use crate::render::{ApiResult, Reply};
use crate::sim::Sim;
use crate::spec::{self, SplitHref, Template};
use crate::store::{key_of, Item};

/// How deep nested representations are shaped.
const MAX_DEPTH: usize = 8;

/// Shapes a hand-written answer as the type the called operation returns.
pub fn conform(sim: &mut Sim, req: &Req, out: ApiResult) -> ApiResult {
    let Ok(Reply::Doc(status, mut node, headers)) = out else {
        return out;
    };
    if let Some(t) = answer_type(req) {
        shape(sim, req, t, &mut node, 0);
    }
    Ok(Reply::Doc(status, node, headers))
}

/// The operation `req` calls, when it calls one of the spec.
pub fn called(req: &Req) -> Option<&'static spec::Route> {
    let spec = spec::get();
    let at: Vec<_> = spec.routes_at(&req.lsegs, &req.segs).collect();
    generic::pick(&at, req).map(|(r, _)| *r)
}

/// The type an answer to `req` is shaped as: what the called operation returns, or, for a
/// GET no operation's link leads to, the type whose URL form it is.
pub fn answer_type(req: &Req) -> Option<&'static TypeIr> {
    answer_type_of(req, called(req))
}

/// [`answer_type`] for `req` when the operation it calls is already known.
pub fn answer_type_of(req: &Req, called: Option<&'static spec::Route>) -> Option<&'static TypeIr> {
    let spec = spec::get();
    called
        .and_then(|r| r.returns())
        .and_then(|t| spec.ty(t))
        .or_else(|| {
            (req.method == axum::http::Method::GET && req.action().is_none())
                .then(|| {
                    spec.type_paths
                        .iter()
                        .filter(|(t, _)| t.query_matches(&req.query))
                        .find(|(t, _)| t.capture(&req.lsegs, &req.segs).is_some())
                        .map(|(_, ty)| *ty)
                })
                .flatten()
        })
}

/// Shapes `node` as `ty`.
pub fn shape(sim: &mut Sim, req: &Req, ty: &'static TypeIr, node: &mut Node, depth: usize) {
    let spec = spec::get();
    // Attributes the type does not declare go; JSON writes the declared ones that are
    // numbers or booleans as the spec types them (XML attributes are all text).
    let kinds = &mut node.attr_kinds;
    node.attrs.retain(|(k, _)| {
        let Some(f) = ty
            .fields
            .iter()
            .find(|f| matches!(f.shape, Shape::Attr) && f.xml == *k)
        else {
            return false;
        };
        if let Some(kind) = generic::json_kind(&f.ty) {
            if !kinds.iter().any(|(a, _)| a == k) {
                kinds.push((k.clone(), kind));
            }
        }
        true
    });
    node.children.retain(|c| {
        ty.fields
            .iter()
            .any(|f| !matches!(f.shape, Shape::Attr) && f.xml == c.name)
    });
    // Links follow the most specific type: the one the node names, when it declares links.
    let link_ty = node
        .attr("Type")
        .and_then(|n| spec.ty(n))
        .filter(|t| !t.ops.is_empty())
        .unwrap_or(ty);
    for c in &mut node.children {
        let Some(f) = ty.fields.iter().find(|f| f.xml == c.name) else {
            continue;
        };
        match (&f.ty, &f.shape) {
            (Ty::Links, _) => {}
            (Ty::Type(u), Shape::Wrapped { item, .. }) if depth < MAX_DEPTH => {
                if let Some(ut) = spec.ty(u) {
                    for gc in c.children.iter_mut().filter(|g| &g.name == item) {
                        shape(sim, req, ut, gc, depth + 1);
                    }
                }
            }
            (Ty::Type(u), _) if depth < MAX_DEPTH => {
                if let Some(ut) = spec.ty(u) {
                    shape(sim, req, ut, c, depth + 1);
                }
            }
            _ => {}
        }
    }
    // A task's links are what its action produced (behaviour), not every link the type can
    // offer.
    if ty.links_field().is_some() && link_ty.name != spec.ir.api.task.type_ {
        relink(sim, req, link_ty, node);
    }
}

/// One link a family wrote, as [`plan_links`] reads it.
pub struct FamilyLink<'a> {
    /// `Rel`.
    pub rel: &'a str,
    /// `Href`.
    pub href: &'a str,
    /// `Type`.
    pub ty: Option<&'a str>,
}

/// What [`relink`] makes of a family's links.
#[derive(Debug, Default)]
pub struct LinkPlan {
    /// The family links kept, in order: their index and, when their `Type` is replaced by
    /// the one of the operation they stand for, that operation's index.
    pub kept: Vec<(usize, Option<usize>)>,
    /// The operations no kept link stands for that are added, in `ops` order.
    pub add: Vec<usize>,
}

/// Decides the links of a representation of `ty` whose `Href` is `href` from the links its
/// family wrote: the family's links that stand for an operation stay (in their order) with
/// the link type the operation declares; the operations no link stands for are added;
/// links standing for no operation are dropped, except the logon link the spec declares in
/// `[api] logon`.
pub fn plan_links(base: &str, ty: &'static TypeIr, old: &[FamilyLink<'_>], href: &str) -> LinkPlan {
    let mut plan = LinkPlan::default();
    let templates = spec::get().op_templates(&ty.name);
    plan_links_into(
        base,
        ty,
        templates,
        old,
        href,
        &mut plan,
        &mut AddMemo::default(),
    );
    plan
}

/// What [`plan_links_into`] keeps between the items of a page: the operations it adds, by
/// link type, the operations covered and the first segment of the representation's own href
/// (all they depend on), and the operations of each relation of a type.
#[derive(Debug, Default)]
pub struct AddMemo {
    add: Vec<(&'static str, Vec<bool>, String, Vec<usize>)>,
    /// By type name (its address: the spec's) and relation (its address, then its text).
    rels: Vec<(&'static str, *const u8, String, Vec<u16>)>,
}

impl AddMemo {
    /// The indices of `ty`'s operations whose relation is `rel`, in `ops` order.
    fn rel_ops(&mut self, ty: &'static TypeIr, rel: &str) -> &[u16] {
        let name = ty.name.as_str();
        let at = self.rels.iter().position(|(t, p, r, _)| {
            std::ptr::eq(*t, name) && *p == rel.as_ptr() && r.as_str() == rel
        });
        let at = match at {
            Some(at) => at,
            None => {
                let ops = (0..ty.ops.len().min(usize::from(u16::MAX)))
                    .filter(|&i| ty.ops[i].rel == rel)
                    .map(|i| i as u16)
                    .collect();
                self.rels.push((name, rel.as_ptr(), rel.to_string(), ops));
                self.rels.len() - 1
            }
        };
        &self.rels[at].3
    }
}

/// [`plan_links`] into `plan` (cleared first), with `templates` the URL forms of `ty`'s
/// operations and `memo` kept between calls.
pub fn plan_links_into(
    base: &str,
    ty: &'static TypeIr,
    templates: &[Template],
    old: &[FamilyLink<'_>],
    href: &str,
    plan: &mut LinkPlan,
    memo: &mut AddMemo,
) {
    plan.kept.clear();
    plan.add.clear();
    // (On the stack for the usual handful of operations: this runs for every item.)
    let mut few = [false; 32];
    let mut many = Vec::new();
    let covered: &mut [bool] = if ty.ops.len() <= few.len() {
        &mut few[..ty.ops.len()]
    } else {
        many.resize(ty.ops.len(), false);
        &mut many
    };
    let api = &spec::get().ir.api;
    for (k, l) in old.iter().enumerate() {
        let mut exact = None;
        let mut other = None;
        // The operations of the link's relation (looked up once per relation and type),
        // each tested against the href split once.
        let rel_ops = memo.rel_ops(ty, l.rel);
        let h = (!rel_ops.is_empty())
            .then(|| l.href.strip_prefix(base).map(SplitHref::new))
            .flatten();
        for &i in rel_ops {
            let i = usize::from(i);
            if !h.as_ref().is_some_and(|h| templates[i].matches_split(h)) {
                continue;
            }
            if l.ty == ty.ops[i].link_type.as_deref() {
                exact = Some(i);
                break;
            }
            if other.is_none() && !covered[i] {
                other = Some(i);
            }
        }
        if let Some(i) = exact.or(other) {
            if covered[i] {
                continue;
            }
            covered[i] = true;
            plan.kept.push((k, exact.is_none().then_some(i)));
        } else if l.rel == api.logon.rel.as_str() && l.ty == Some(api.logon.type_.as_str()) {
            // The logon link the spec declares in `[api] logon` (not an operation).
            plan.kept.push((k, None));
        }
    }
    if covered.iter().any(|c| !c) {
        let own_first = href
            .strip_prefix(base)
            .unwrap_or("")
            .split('/')
            .find(|s| !s.is_empty())
            .unwrap_or("");
        let covered = &*covered;
        let known = memo.add.iter().find(|(t, c, f, _)| {
            std::ptr::eq(*t, ty.name.as_str()) && c.as_slice() == covered && f == own_first
        });
        if let Some((.., add)) = known {
            plan.add.extend_from_slice(add);
            return;
        }
        let first = |p: &'static str| p.split('/').find(|s| !s.is_empty()).unwrap_or("");
        for (i, op) in ty.ops.iter().enumerate() {
            // Operations of one relation and link type below another resource family are
            // alternatives (a file of a VM mount restores from that mount, not from a
            // replica's): the family's link stands for them.
            let alternative = !first(&op.path).eq_ignore_ascii_case(own_first)
                && ty
                    .ops
                    .iter()
                    .zip(covered.iter())
                    .any(|(o, c)| *c && o.rel == op.rel && o.link_type == op.link_type);
            if !covered[i] && !alternative {
                plan.add.push(i);
            }
        }
        memo.add.push((
            ty.name.as_str(),
            covered.to_vec(),
            own_first.to_string(),
            plan.add.clone(),
        ));
    }
}

/// The context the added links of a representation of `ty` are made in: its own ids, from
/// its `href` read against the type's URL form, and its name.
pub fn link_ctx(base: &str, ty: &'static TypeIr, href: &str, name: &str) -> Ctx {
    let t = ty.path.as_deref().map(Template::parse);
    link_ctx_with(base, t.as_ref(), href, name)
}

/// [`link_ctx`] with the type's URL form parsed (`path`).
fn link_ctx_with(base: &str, path: Option<&Template>, href: &str, name: &str) -> Ctx {
    let ids_key = path.and_then(|t| {
        let ids = capture_href(t, base, href)?;
        Some((key_of(t, t.vars()), ids))
    });
    let (key, ids) = ids_key.unwrap_or((None, Vec::new()));
    Ctx {
        key,
        item: Item {
            ids,
            name: name.to_string(),
        },
        href: href.to_string(),
        list_key: None,
    }
}

/// Makes `node`'s links the ones `ty`'s operations declare ([`plan_links`]).
fn relink(sim: &mut Sim, req: &Req, ty: &'static TypeIr, node: &mut Node) {
    let base = req.base.as_str();
    let slot = node.children.iter().position(|c| c.name == "Links");
    let mut old: Vec<Option<Node>> = slot
        .map(|i| std::mem::take(&mut node.children[i].children))
        .unwrap_or_default()
        .into_iter()
        .map(Some)
        .collect();
    let href = node.attr("Href").unwrap_or("");
    let fam: Vec<FamilyLink<'_>> = old
        .iter()
        .flatten()
        .map(|l| FamilyLink {
            rel: l.attr("Rel").unwrap_or(""),
            href: l.attr("Href").unwrap_or(""),
            ty: l.attr("Type"),
        })
        .collect();
    let plan = plan_links(base, ty, &fam, href);
    drop(fam);
    let mut links = Vec::with_capacity(plan.kept.len() + plan.add.len());
    for &(k, retype) in &plan.kept {
        let Some(mut l) = old[k].take() else { continue };
        if let Some(i) = retype {
            // (Rel and Href first, as the family wrote them.)
            l.attrs.retain(|(k, _)| k != "Type");
            if let Some(t) = &ty.ops[i].link_type {
                l.attrs
                    .insert(2.min(l.attrs.len()), ("Type".into(), t.clone()));
            }
        }
        links.push(l);
    }
    if !plan.add.is_empty() {
        let ctx = link_ctx(
            base,
            ty,
            node.attr("Href").unwrap_or(""),
            node.attr("Name").unwrap_or(""),
        );
        for &i in &plan.add {
            links.extend(op_link(sim, req, &ty.ops[i], &ctx));
        }
    }
    match slot {
        Some(i) => node.children[i].children = links,
        None => {
            // Where the type declares it: after the fields before `Links`.
            let at = node
                .children
                .iter()
                .position(|c| {
                    !ty.fields
                        .iter()
                        .take_while(|f| !matches!(f.ty, Ty::Links))
                        .any(|f| f.xml == c.name)
                })
                .unwrap_or(node.children.len());
            node.children.insert(at, links_node(links));
        }
    }
}

/// The placeholder values of `href` (below `base`) read against `t`: what
/// [`Template::capture`] gives for its segments percent-decoded (and lower-cased for the
/// literals), without splitting it into strings first (it runs for every item of a page).
pub fn capture_href(t: &Template, base: &str, href: &str) -> Option<Vec<String>> {
    let (mut buf, mut ids) = (String::new(), Vec::new());
    capture_href_into(t, base, href, &mut buf, &mut ids)
        .then(|| ids.into_iter().map(|r| buf[r].to_string()).collect())
}

/// [`capture_href`] into one buffer: the values appended to `buf`, their ranges to `ids`;
/// `false` when `href` does not have the form `t`.
pub fn capture_href_into(
    t: &Template,
    base: &str,
    href: &str,
    buf: &mut String,
    ids: &mut Vec<std::ops::Range<usize>>,
) -> bool {
    use crate::spec::Seg;
    use crate::util::pct_decode;
    let Some(rest) = href.strip_prefix(base) else {
        return false;
    };
    let p = rest.split_once('?').map_or(rest, |(p, _)| p);
    let mut segs = p.split('/').filter(|s| !s.is_empty());
    let decoded = |buf: &mut String, s: &str| {
        if s.contains('%') {
            buf.push_str(&pct_decode(s, false));
        } else {
            buf.push_str(s);
        }
    };
    for s in &t.segs {
        match s {
            Seg::Lit(l) => {
                let Some(seg) = segs.next() else {
                    return false;
                };
                let same = if seg.contains('%') {
                    pct_decode(seg, false).eq_ignore_ascii_case(l)
                } else {
                    seg.eq_ignore_ascii_case(l)
                };
                if !same {
                    return false;
                }
            }
            Seg::Var => {
                let Some(seg) = segs.next() else {
                    return false;
                };
                let at = buf.len();
                decoded(buf, seg);
                ids.push(at..buf.len());
            }
            Seg::Rest => {
                let at = buf.len();
                for (k, s) in segs.enumerate() {
                    if k > 0 {
                        buf.push('/');
                    }
                    decoded(buf, s);
                }
                ids.push(at..buf.len());
                return true;
            }
        }
    }
    segs.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `capture_href` is `Template::capture` over the href's decoded segments.
    #[test]
    fn capture_href_is_capture() {
        let base = "http://h/api";
        let split = |href: &str| {
            let rest = href.strip_prefix(base).unwrap();
            let p = rest.split_once('?').map_or(rest, |(p, _)| p);
            let raw: Vec<String> = p
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| crate::util::pct_decode(s, false))
                .collect();
            let low: Vec<String> = raw.iter().map(|s| s.to_ascii_lowercase()).collect();
            (low, raw)
        };
        for path in [
            "/backupSessions/{ID}?format=Entity",
            "/jobs/{ID}/includes/{ID}",
            "/vmReplicaPoints/{ID}/mounts/{ID}/{filepath}",
            "/",
        ] {
            let t = Template::parse(path);
            for href in [
                "http://h/api/backupSessions/ab-1?format=Entity",
                "http://h/api/BACKUPSESSIONS/x%2Fy",
                "http://h/api/backup%53essions/z",
                "http://h/api/jobs/1/includes/2",
                "http://h/api/jobs/1/includes",
                "http://h/api/jobs/1/includes/2/3",
                "http://h/api/vmReplicaPoints/1/mounts/2/C%3A/dir/f.txt",
                "http://h/api/vmReplicaPoints/1/mounts/2",
                "http://h/api/",
                "http://h/api",
            ] {
                let (low, raw) = split(href);
                assert_eq!(
                    capture_href(&t, base, href),
                    t.capture(&low, &raw),
                    "{path} {href}"
                );
            }
        }
        assert_eq!(
            capture_href(&Template::parse("/x"), base, "http://other/x"),
            None
        );
    }
}
