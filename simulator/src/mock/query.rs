//! The mock's query service: the spec's parameters, result shape (nested or flat), page
//! count, paging links and filter grammar.

use emrest_codegen::ir::{Ir, Shape, Ty, TypeIr};
use emrest_runtime::Node;

use super::render::View;
use super::store::Res;
use super::{Answer, State};
use crate::util::pct_decode;

impl State {
    /// The query service: the spec's parameters, result shape and paging links.
    pub(super) fn query(&self, query: &[(String, String)], session: Option<&str>) -> Answer {
        let a = &self.ir.api;
        let q = &a.query;
        let p = &q.params;
        let get = |k: &str| {
            query
                .iter()
                .find(|(qk, _)| qk.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let Some(type_name) = get(&p.type_) else {
            return self.error(400, &format!("the query needs `{}`", p.type_));
        };
        let Some(t) = self.ir.types.iter().find(|t| {
            t.query
                .as_ref()
                .is_some_and(|x| x.name.eq_ignore_ascii_case(type_name))
        }) else {
            return self.error(400, &format!("`{type_name}` is not a query type"));
        };
        let entities = get(&p.format).is_some_and(|f| f.eq_ignore_ascii_case(&p.entities));
        let size = match get(&p.page_size).map(str::parse::<usize>) {
            None => q.page_size as usize,
            Some(Ok(n)) if n > 0 => n,
            Some(_) => {
                return self.error(400, &format!("`{}` must be a positive number", p.page_size))
            }
        };
        let page = match get(&p.page).map(str::parse::<usize>) {
            None => 1,
            Some(Ok(n)) if n > 0 => n,
            Some(_) => return self.error(400, &format!("`{}` must be a positive number", p.page)),
        };
        let filter = match get(&p.filter).map(|f| parse_filter(f, &q.filter)) {
            None => Vec::new(),
            Some(Ok(f)) => f,
            Some(Err(e)) => return self.error(400, &e),
        };
        let source = records_source(&self.ir, t);
        let all: Vec<&Res> = self
            .store
            .of_type(&source)
            .filter(|r| {
                filter.iter().all(|(k, v)| {
                    r.vals
                        .get(&k.to_ascii_lowercase())
                        .is_some_and(|x| x.eq_ignore_ascii_case(v))
                })
            })
            .collect();
        let pages = all.len().div_ceil(size).max(1);
        let items: Vec<&Res> = all
            .iter()
            .skip((page - 1) * size)
            .take(size)
            .copied()
            .collect();
        let s = session.and_then(|s| self.store.get(s));
        let view = self.view(s);
        let Some(rt) = self.ty(&q.result) else {
            return self.error(500, "the spec's query result type is missing");
        };
        if q.shape == emrest_codegen::spec::QueryShape::Flat {
            return self.flat_page(rt, t, entities, &items, query, page, size, all.len(), view);
        }
        let mut n = Node::new(&rt.root);
        for f in &rt.fields {
            let Ty::Type(x) = &f.ty else { continue };
            let Some(xt) = self.ty(x) else { continue };
            if f.xml.eq_ignore_ascii_case(&q.refs) && !entities {
                let refs: Vec<Res> = items.iter().map(|r| as_reference(r, x)).collect();
                let refs: Vec<&Res> = refs.iter().collect();
                view.list_into(&mut n, f, xt, &refs, 0);
            } else if f.xml.eq_ignore_ascii_case(&q.entities) && entities {
                let mut holder = Node::new(&f.xml);
                if let Some(lf) = xt
                    .fields
                    .iter()
                    .find(|lf| lf.ty == Ty::Type(t.name.clone()))
                {
                    view.list_into(&mut holder, lf, t, &items, 0);
                }
                n.children.push(holder);
            } else if f.xml.eq_ignore_ascii_case(&q.paging) {
                n.children
                    .push(self.paging(xt, &f.xml, query, page, size, pages));
            }
        }
        Answer::doc(200, n)
    }

    /// A flat result page: paging attributes and links on the root, then the items.
    #[allow(clippy::too_many_arguments)]
    fn flat_page(
        &self,
        rt: &TypeIr,
        t: &TypeIr,
        entities: bool,
        items: &[&Res],
        query: &[(String, String)],
        page: usize,
        size: usize,
        records: usize,
        view: View<'_>,
    ) -> Answer {
        let q = &self.ir.api.query;
        let pages = records.div_ceil(size).max(1);
        let count = match q.paging_count {
            emrest_codegen::spec::PagingCount::Records => records,
            emrest_codegen::spec::PagingCount::Pages => pages,
        };
        let mut n = self.paging(rt, &rt.root, query, page, size, pages);
        if let Some(f) = rt
            .fields
            .iter()
            .find(|f| f.xml.eq_ignore_ascii_case(&q.paging_attrs.count))
        {
            for a in n
                .attrs
                .iter_mut()
                .filter(|(k, _)| k.eq_ignore_ascii_case(&f.xml))
            {
                a.1 = count.to_string();
            }
        }
        for r in items {
            if entities {
                n.children.push(view.render(t, r, &t.root, 1));
            } else if let Some(reft) = self.ty(&q.reference) {
                let x = as_reference(r, &q.reference);
                n.children.push(view.render(reft, &x, &q.ref_item, 1));
            }
        }
        Answer::doc(200, n)
    }

    /// The paging element: page number, size and count where its type declares them, and
    /// the links to the first, previous, next and last pages.
    fn paging(
        &self,
        pt: &TypeIr,
        name: &str,
        query: &[(String, String)],
        page: usize,
        size: usize,
        pages: usize,
    ) -> Node {
        let a = &self.ir.api;
        let q = &a.query;
        let mut n = Node::new(name);
        for (attr, v) in [
            (&q.paging_attrs.num, page),
            (&q.paging_attrs.size, size),
            (&q.paging_attrs.count, pages),
        ] {
            if let Some(f) = pt.fields.iter().find(|f| f.xml.eq_ignore_ascii_case(attr)) {
                match f.shape {
                    Shape::Attr => n.attrs.push((f.xml.clone(), v.to_string())),
                    _ => {
                        let mut c = Node::new(&f.xml);
                        c.text = Some(v.to_string());
                        n.children.push(c);
                    }
                }
            }
        }
        let url = |to: usize| {
            let mut pairs: Vec<String> = query
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case(&q.params.page))
                .map(|(k, v)| format!("{k}={}", crate::util::pct_encode(v)))
                .collect();
            pairs.push(format!("{}={to}", q.params.page));
            format!("{}/{}?{}", self.base, q.path, pairs.join("&"))
        };
        let r = &q.paging_rels;
        let mut links = vec![(&r.first, 1)];
        if page > 1 {
            links.push((&r.previous, page - 1));
        }
        if page < pages {
            links.push((&r.next, page + 1));
        }
        links.push((&r.last, pages));
        let links_field = pt
            .fields
            .iter()
            .find(|f| f.is_links())
            .map(|f| f.xml.clone());
        let d = &a.links;
        let mut nodes = Vec::new();
        for (rel, to) in links {
            let mut l = Node::new(&d.element);
            l.attrs.push((d.rel.clone(), rel.clone()));
            l.attrs.push((d.href.clone(), url(to)));
            nodes.push(l);
        }
        match (&d.wrapper, links_field) {
            (Some(_), Some(field)) => {
                let mut w = Node::new(&field);
                w.children = nodes;
                n.children.push(w);
            }
            (None, Some(_)) => n.children.extend(nodes),
            _ => {}
        }
        n
    }
}

/// The type whose stored resources a query type lists: itself when it has a URL form, or
/// the resource type whose name it extends (`VAppRecord` lists `VApp`s).
fn records_source(ir: &Ir, t: &TypeIr) -> String {
    if t.path.is_some() {
        return t.name.clone();
    }
    let lower = t.name.to_ascii_lowercase();
    ir.types
        .iter()
        .filter(|x| x.path.is_some() && lower.starts_with(&x.name.to_ascii_lowercase()))
        .max_by_key(|x| x.name.len())
        .map_or_else(|| t.name.clone(), |x| x.name.clone())
}

/// A resource as a reference of type `reference`: its path and ids, its name.
fn as_reference(r: &Res, reference: &str) -> Res {
    let mut x = Res::blank(reference);
    x.path = r.path.clone();
    x.ids = r.ids.clone();
    let name = r
        .vals
        .get("name")
        .or_else(|| r.vals.get("title"))
        .or_else(|| r.vals.values().next())
        .cloned()
        .unwrap_or_default();
    x.vals.insert("name".into(), name);
    x
}

/// A filter of equality terms joined by the grammar's AND (every term must hold), values
/// quoted (quotes doubled inside) or percent-encoded as the grammar writes them.
fn parse_filter(
    text: &str,
    g: &emrest_codegen::spec::FilterSpec,
) -> Result<Vec<(String, String)>, String> {
    text.split(g.and.as_str())
        .map(|term| {
            let (k, v) = term.split_once(g.eq.as_str()).ok_or_else(|| {
                format!(
                    "the mock understands only `FIELD{}VALUE` terms joined by `{}`, not `{term}`",
                    g.eq, g.and
                )
            })?;
            let v = v.trim();
            let v = if g.quote.is_empty() {
                pct_decode(v, false)
            } else {
                let q = g.quote.as_str();
                v.strip_prefix(q)
                    .and_then(|v| v.strip_suffix(q))
                    .unwrap_or(v)
                    .replace(&q.repeat(2), q)
            };
            Ok((k.trim().to_string(), v))
        })
        .collect()
}
