//! Shared by the crawl and end-to-end tests: the spec as the tests read it (through
//! `emrest-codegen`, independently of em-sim), link-to-operation matching, the pairing of a
//! document's nodes with their spec types, a strict shape check, and decoding by type name.

#![allow(dead_code)]

pub mod types;

use std::collections::HashMap;

use emrest_codegen::ir::{Ir, OpIr, Shape, Ty, TypeIr};
use emrest_runtime::Node;
use emrest_sim::spec::Template;

/// The spec, loaded from the source tree.
pub fn spec() -> Ir {
    emrest_codegen::load_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/em.toml"))
        .unwrap_or_else(|d| panic!("spec/em.toml does not load: {d}"))
}

/// Every operation as (owner type, operation), in methods-table order.
pub fn operations(ir: &Ir) -> Vec<(&TypeIr, &OpIr)> {
    ir.types
        .iter()
        .flat_map(|t| t.ops.iter().map(move |o| (t, o)))
        .collect()
}

/// An href split for template matching: lower-cased segments, raw segments, query pairs.
pub type SplitHref = (Vec<String>, Vec<String>, Vec<(String, String)>);

/// Splits an absolute href below `base` (`http://h/api`) into lower-cased segments, raw
/// segments and decoded query pairs.
pub fn split_href(base: &str, href: &str) -> Option<SplitHref> {
    let rest = href.strip_prefix(base)?;
    let (p, q) = rest.split_once('?').unwrap_or((rest, ""));
    let raw: Vec<String> = p
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
        .collect();
    let low = raw.iter().map(|s| s.to_ascii_lowercase()).collect();
    let query = q
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    Some((low, raw, query))
}

/// Whether a link (rel, type, href) is the link form of `op`.
pub fn link_is_op(op: &OpIr, base: &str, rel: &str, ty: Option<&str>, href: &str) -> bool {
    if op.rel != rel || op.link_type.as_deref() != ty {
        return false;
    }
    let Some((low, raw, query)) = split_href(base, href) else {
        return false;
    };
    let t = Template::parse(&op.path);
    t.capture(&low, &raw).is_some() && t.query_matches(&query)
}

/// The nodes of a document paired with their spec types, starting from `root` as `ty`:
/// children are typed through the fields of their parent's type.
pub fn typed_nodes<'a>(ir: &'a Ir, ty: &'a TypeIr, root: &'a Node) -> Vec<(&'a TypeIr, &'a Node)> {
    let mut out = vec![(ty, root)];
    let mut i = 0;
    while i < out.len() {
        let (t, n) = out[i];
        i += 1;
        for c in &n.children {
            let Some(f) = t.fields.iter().find(|f| f.xml == c.name) else {
                continue;
            };
            let Ty::Type(u) = &f.ty else { continue };
            let Some(ut) = ir.type_named(u) else { continue };
            match &f.shape {
                Shape::Wrapped { item, .. } => {
                    for gc in c.children.iter().filter(|g| &g.name == item) {
                        out.push((ut, gc));
                    }
                }
                _ => out.push((ut, c)),
            }
        }
    }
    out
}

/// Strict shape check of `node` as `ty`: no attribute or element the type does not declare,
/// no required field missing. Returns the problems found.
pub fn strict(ir: &Ir, ty: &TypeIr, node: &Node, at: &str, out: &mut Vec<String>) {
    for (k, _) in &node.attrs {
        let known = ty
            .fields
            .iter()
            .any(|f| matches!(f.shape, Shape::Attr) && f.xml == *k);
        if !known && !k.starts_with("xmlns") && !k.contains(':') {
            out.push(format!("{at}: unknown attribute {k} on {}", ty.name));
        }
    }
    for c in &node.children {
        let Some(f) = ty.fields.iter().find(|f| f.xml == c.name) else {
            out.push(format!("{at}: unknown element {} in {}", c.name, ty.name));
            continue;
        };
        let Ty::Type(u) = &f.ty else { continue };
        let Some(ut) = ir.type_named(u) else { continue };
        match &f.shape {
            Shape::Wrapped { item, .. } => {
                for gc in c.children.iter().filter(|g| &g.name == item) {
                    strict(ir, ut, gc, &format!("{at}/{}", c.name), out);
                }
            }
            _ => strict(ir, ut, c, &format!("{at}/{}", c.name), out),
        }
    }
    for f in &ty.fields {
        if f.optional || matches!(f.shape, Shape::List { .. } | Shape::Wrapped { .. }) {
            continue;
        }
        let present = match f.shape {
            Shape::Attr => node.attr(&f.xml).is_some(),
            Shape::Text => node.text.is_some(),
            _ => node.children.iter().any(|c| c.name == f.xml),
        };
        if !present {
            out.push(format!("{at}: required {} missing in {}", f.xml, ty.name));
        }
    }
}

/// An XML document of type `ty` with every required field, and the optional scalars of the
/// root, set to a plausible value (a request body for a type without a documentation sample:
/// a schema may call optional what a server still wants, such as a credential's user name).
pub fn synth_xml(ir: &Ir, ty: &TypeIr) -> String {
    fn build(ir: &Ir, ty: &TypeIr, name: &str, depth: usize) -> Node {
        let mut n = Node::new(name);
        for f in ty
            .fields
            .iter()
            .filter(|f| !f.optional || (depth == 0 && f.ty.is_scalar() && f.ty != Ty::Link))
        {
            let value = match &f.ty {
                Ty::String => {
                    Some("urn:VMware:Vm:7f6b6270-1f3a-4dc6-a2b8-1c1b0c1d6a3e.vm-31017".to_string())
                }
                Ty::Bool => Some("true".into()),
                Ty::Int | Ty::Long => Some("1".into()),
                Ty::Double => Some("1.5".into()),
                Ty::DateTime => Some("2025-06-01T00:00:00Z".into()),
                Ty::Enum(e) => ir
                    .enums
                    .iter()
                    .find(|x| &x.name == e)
                    .and_then(|x| x.values.first())
                    .map(|(v, _)| v.clone()),
                _ => None,
            };
            match (&f.shape, value) {
                (Shape::Attr, Some(v)) => n.attrs.push((f.xml.clone(), v)),
                (Shape::Text, Some(v)) => n.text = Some(v),
                (Shape::Single, Some(v)) => {
                    let mut c = Node::new(f.xml.as_str());
                    c.text = Some(v);
                    n.children.push(c);
                }
                (Shape::Single, None) if depth < 4 => {
                    if let Ty::Type(u) = &f.ty {
                        if let Some(ut) = ir.type_named(u) {
                            n.children.push(build(ir, ut, &f.xml, depth + 1));
                        }
                    }
                }
                _ => {}
            }
        }
        n
    }
    emrest_runtime::write_xml(&build(ir, ty, &ty.root, 0), &ir.api.namespace)
}

/// Documentation samples by the spec type whose root element they have (in file order).
pub fn request_samples(ir: &Ir) -> HashMap<String, Vec<Vec<u8>>> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/em-docs/samples"
    );
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("samples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    let mut out = HashMap::new();
    for p in names {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let Ok(root) = emrest_runtime::parse_xml(&bytes) else {
            continue;
        };
        for t in ir.types.iter().filter(|t| t.root == root.name) {
            out.entry(t.name.clone())
                .or_insert_with(Vec::new)
                .push(bytes.clone());
        }
    }
    out
}
