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
use crate::spec::{self, Template};
use crate::store::{key_of, Item};

/// How deep nested representations are shaped.
const MAX_DEPTH: usize = 8;

/// Shapes a hand-written answer as the type the called operation returns.
pub fn conform(sim: &mut Sim, req: &Req, out: ApiResult) -> ApiResult {
    let Ok(Reply::Doc(status, mut node, headers)) = out else {
        return out;
    };
    let spec = spec::get();
    let at: Vec<_> = spec.routes_at(&req.lsegs, &req.segs).collect();
    let ty = generic::pick(&at, req)
        .and_then(|(r, _)| r.returns())
        .and_then(|t| spec.ty(t))
        .or_else(|| {
            // A GET no operation's link leads to: the type whose URL form it is.
            (req.method == axum::http::Method::GET && req.action().is_none())
                .then(|| {
                    spec.type_paths
                        .iter()
                        .filter(|(t, _)| t.query_matches(&req.query))
                        .find(|(t, _)| t.capture(&req.lsegs, &req.segs).is_some())
                        .map(|(_, ty)| *ty)
                })
                .flatten()
        });
    if let Some(t) = ty {
        shape(sim, req, t, &mut node, 0);
    }
    Ok(Reply::Doc(status, node, headers))
}

/// Shapes `node` as `ty`.
pub fn shape(sim: &mut Sim, req: &Req, ty: &'static TypeIr, node: &mut Node, depth: usize) {
    let spec = spec::get();
    node.attrs.retain(|(k, _)| {
        ty.fields
            .iter()
            .any(|f| matches!(f.shape, Shape::Attr) && f.xml == *k)
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
    if ty.links_field().is_some() && link_ty.name != spec.ir.api.task_type {
        relink(sim, req, link_ty, node);
    }
}

/// Makes `node`'s links the ones `ty`'s operations declare: the family's links that stand
/// for an operation stay (in their order) with the link type the operation declares; the
/// operations no link stands for are added from the spec; links standing for no operation are
/// dropped, except the logon link the spec declares in `[api] logon`.
fn relink(sim: &mut Sim, req: &Req, ty: &'static TypeIr, node: &mut Node) {
    let base = req.base.as_str();
    let slot = node.children.iter().position(|c| c.name == "Links");
    let old: Vec<Node> = slot
        .map(|i| std::mem::take(&mut node.children[i].children))
        .unwrap_or_default();
    // Each family link against each operation's URL form (hrefs below `/api`).
    let templates = spec::get().op_templates(&ty.name);
    let matches = |l: &Node, i: usize| {
        l.attr("Rel") == Some(ty.ops[i].rel.as_str())
            && l.attr("Href")
                .and_then(|h| h.strip_prefix(base))
                .is_some_and(|rest| templates[i].matches_href(rest))
    };
    let mut covered = vec![false; ty.ops.len()];
    let mut links = Vec::with_capacity(old.len() + ty.ops.len());
    let api = &spec::get().ir.api;
    for mut l in old {
        let mut exact = None;
        let mut other = None;
        for (i, &done) in covered.iter().enumerate() {
            if !matches(&l, i) {
                continue;
            }
            if l.attr("Type") == ty.ops[i].link_type.as_deref() {
                exact = Some(i);
                break;
            }
            if other.is_none() && !done {
                other = Some(i);
            }
        }
        if let Some(i) = exact.or(other) {
            if exact.is_none() {
                l.attrs.retain(|(k, _)| k != "Type");
                if let Some(t) = &ty.ops[i].link_type {
                    l.attrs
                        .insert(2.min(l.attrs.len()), ("Type".into(), t.clone()));
                }
            }
            if covered[i] {
                continue;
            }
            covered[i] = true;
            links.push(l);
        } else if l.attr("Rel") == Some(api.logon_rel.as_str())
            && l.attr("Type") == Some(api.logon_type.as_str())
        {
            // The logon link the spec declares in `[api] logon` (not an operation).
            links.push(l);
        }
    }
    if covered.iter().any(|c| !c) {
        // The resource's own ids, from its Href read against the type's URL form.
        let href = node.attr("Href").unwrap_or("").to_string();
        let ids_key = ty.path.as_deref().and_then(|p| {
            let t = Template::parse(p);
            let (low, raw) = split(base, &href)?;
            let ids = t.capture(&low, &raw)?;
            Some((key_of(&t, t.vars()), ids))
        });
        let (key, ids) = ids_key.unwrap_or((None, Vec::new()));
        let ctx = Ctx {
            key,
            item: Item {
                ids,
                name: node.attr("Name").unwrap_or("").to_string(),
            },
            href,
            list_key: None,
        };
        let first = |p: &str| {
            p.split('/')
                .find(|s| !s.is_empty())
                .unwrap_or("")
                .to_ascii_lowercase()
        };
        let own_first = first(ctx.href.strip_prefix(base).unwrap_or(""));
        for (i, op) in ty.ops.iter().enumerate() {
            // Operations of one relation and link type below another resource family are
            // alternatives (a file of a VM mount restores from that mount, not from a
            // replica's): the family's link stands for them.
            let alternative = first(&op.path) != own_first
                && ty
                    .ops
                    .iter()
                    .zip(&covered)
                    .any(|(o, c)| *c && o.rel == op.rel && o.link_type == op.link_type);
            if !covered[i] && !alternative {
                links.extend(op_link(sim, req, op, &ctx));
            }
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

fn split(base: &str, href: &str) -> Option<(Vec<String>, Vec<String>)> {
    split_query(base, href).map(|(l, r, _)| (l, r))
}

/// An href split for template matching: lower-cased segments, raw segments, query pairs.
type SplitHref = (Vec<String>, Vec<String>, Vec<(String, String)>);

/// An href below `base` as lower-cased segments, raw segments and query pairs.
fn split_query(base: &str, href: &str) -> Option<SplitHref> {
    let rest = href.strip_prefix(base)?;
    let (p, q) = rest.split_once('?').unwrap_or((rest, ""));
    let raw: Vec<String> = p
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| crate::util::pct_decode(s, false))
        .collect();
    let low = raw.iter().map(|s| s.to_ascii_lowercase()).collect();
    let query = crate::http::parse_query(q);
    Some((low, raw, query))
}
