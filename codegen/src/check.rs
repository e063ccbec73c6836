//! Validation: every rule of the spec format, errors accumulated, and lowering into the IR.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use toml::Spanned;

use crate::diag::Diagnostic;
use crate::ir::{
    ActionsIr, ApiIr, EnumIr, ErrorIr, FieldIr, Ir, LogonIr, OpIr, ParamIr, ParamTy, QueryIr,
    QueryServiceIr, Returns, Shape, TaskIr, Ty, TypeIr, Verb,
};
use crate::names;
use crate::spec::{FieldSpec, LinkSpec, SpecFile, TypeSpec};

/// Method names every generated type of the task kind already has.
const TASK_METHODS: &[&str] = &["wait"];

struct Checker<'a> {
    spec: &'a SpecFile,
    diags: Vec<Diagnostic>,
}

/// Checks a parsed spec and lowers it into the IR; every problem found is returned.
pub fn check(spec: &SpecFile) -> Result<Ir, Vec<Diagnostic>> {
    let mut c = Checker {
        spec,
        diags: Vec::new(),
    };
    let relations = c.relations();
    let enums = c.enums();
    let api = c.api();
    let mut types: Vec<TypeIr> = spec
        .types
        .iter()
        .map(|(name, t)| c.type_(name, t, &relations))
        .collect();
    crate::ir::box_large_blocks(&mut types);
    c.cross_checks(&api, &types);
    if c.diags.is_empty() {
        Ok(Ir { api, enums, types })
    } else {
        let mut d = c.diags;
        d.sort_by_key(|d| d.span.start);
        d.dedup();
        Err(d)
    }
}

impl<'a> Checker<'a> {
    fn err<T>(&mut self, at: &Spanned<T>, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(at.span(), msg));
    }

    fn relations(&mut self) -> BTreeMap<String, Verb> {
        let mut out = BTreeMap::new();
        for (name, r) in &self.spec.relations {
            match Verb::parse(r.get_ref().verb.get_ref()) {
                Some(v) => {
                    out.insert(name.clone(), v);
                }
                None => self.err(
                    &r.get_ref().verb,
                    format!(
                        "relation `{name}` has verb `{}`; expected one of GET, POST, PUT, DELETE",
                        r.get_ref().verb.get_ref()
                    ),
                ),
            }
        }
        out
    }

    fn enums(&mut self) -> Vec<EnumIr> {
        let mut out = Vec::new();
        for (name, e) in &self.spec.enums {
            let e_ref = e.get_ref();
            if !names::is_ident(name) || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
                self.err(
                    e,
                    format!("enum name `{name}` is not an UpperCamelCase identifier"),
                );
            }
            if names::is_reserved_type_name(name) {
                self.err(
                    e,
                    format!("enum name `{name}` is reserved: the generated code uses it"),
                );
            }
            if self.spec.types.contains_key(name) {
                self.err(e, format!("`{name}` is both an enum and a type"));
            }
            if e_ref.values.is_empty() {
                self.err(e, format!("enum `{name}` has no values"));
            }
            let mut seen: HashMap<String, ()> = HashMap::new();
            let mut values = Vec::new();
            for v in &e_ref.values {
                let variant = names::variant(v.get_ref());
                if seen.insert(variant.to_ascii_lowercase(), ()).is_some() {
                    self.err(
                        v,
                        format!(
                            "enum `{name}` value `{}` repeats another value (values compare ASCII case-insensitively)",
                            v.get_ref()
                        ),
                    );
                }
                values.push((v.get_ref().clone(), variant));
            }
            out.push(EnumIr {
                name: name.clone(),
                doc: e_ref.doc.clone(),
                values,
            });
        }
        out
    }

    fn known_type(&self, name: &str) -> bool {
        self.spec.types.contains_key(name)
    }

    fn need_type(&mut self, at: &Spanned<String>, what: &str) {
        if !self.known_type(at.get_ref()) {
            self.err(
                at,
                format!("{what} `{}` is not a type of this spec", at.get_ref()),
            );
        }
    }

    fn api(&mut self) -> ApiIr {
        let a = self.spec.api.get_ref();
        self.need_type(&a.entry, "api.entry");
        self.need_type(&a.session, "api.session");
        self.need_type(&a.task.type_, "api.task.type");
        self.need_type(&a.query.result, "api.query.result");
        self.need_type(&a.query.reference, "api.query.reference");
        self.need_type(&a.error.type_, "api.error.type");
        let api_at = &self.spec.api;
        let actions = match (&a.actions.query, &a.actions.path) {
            (Some(q), None) if !q.is_empty() => ActionsIr::Query(q.clone()),
            (None, Some(p)) => ActionsIr::Path(p.trim_matches('/').to_string()),
            _ => {
                self.err(
                    api_at,
                    "api.actions: give exactly one of `query = \"NAME\"` (actions as `?NAME=ACTION`) and `path = \"PREFIX\"` (actions as `/PREFIX/ACTION` below the target)",
                );
                ActionsIr::Query(String::new())
            }
        };
        let newest = a.versions.last().map(String::as_str).unwrap_or("");
        let versioned = a.media.xml.contains("{version}") || a.media.json.contains("{version}");
        let media_versions = a
            .versions
            .iter()
            .filter(|_| versioned)
            .map(|v| {
                let m = crate::spec::MediaSpec {
                    xml: a.media.xml.replace("{version}", v),
                    json: a.media.json.replace("{version}", v),
                };
                (v.clone(), m)
            })
            .collect();
        let media = crate::spec::MediaSpec {
            xml: a.media.xml.replace("{version}", newest),
            json: a.media.json.replace("{version}", newest),
        };
        for (what, m) in [("xml", &a.media.xml), ("json", &a.media.json)] {
            if m.contains("{version}") && newest.is_empty() {
                self.err(
                    api_at,
                    format!("api.media.{what} names `{{version}}` but api.versions is empty"),
                );
            }
        }
        if a.json_text.is_empty() {
            self.err(
                api_at,
                "api.json_text is empty: JSON needs a member for an element's text",
            );
        }
        let g = &a.query.filter;
        for (what, v) in [("eq", &g.eq), ("and", &g.and), ("or", &g.or)] {
            if v.is_empty() {
                self.err(api_at, format!("api.query.filter.{what} is empty"));
            }
        }
        if g.and == g.or {
            self.err(
                api_at,
                "api.query.filter: `and` and `or` are the same separator",
            );
        }
        let l = &a.links;
        for (what, n) in [
            ("element", &l.element),
            ("rel", &l.rel),
            ("href", &l.href),
            ("name", &l.name),
            ("type", &l.type_),
        ] {
            if !names::is_xml_name(n) {
                self.err(api_at, format!("api.links.{what} `{n}` is not an XML name"));
            }
        }
        ApiIr {
            title: a.title.clone(),
            namespace: a.namespace.clone(),
            session_header: a.session_header.clone(),
            versions: a.versions.clone(),
            entry_url: a.entry_url.clone(),
            entry: a.entry.get_ref().clone(),
            session: a.session.get_ref().clone(),
            logon: LogonIr {
                rel: a.logon.rel.clone(),
                type_: a.logon.type_.clone(),
                fallback: a.logon.fallback.clone(),
                version_element: a.logon.version_element.clone(),
                version_attr: a.logon.version_attr.clone(),
                statuses: a.logon.statuses.clone(),
                url_element: a.logon.url_element.clone(),
            },
            logoff_rel: a.logoff_rel.clone(),
            task: TaskIr {
                type_: a.task.type_.get_ref().clone(),
                state: a.task.state.clone(),
                done: a.task.done.clone(),
                result: a.task.result.clone(),
                success: a.task.success.clone(),
                message: a.task.message.clone(),
                operation: a.task.operation.clone(),
                related: a.task.related.clone(),
                failed: a.task.failed.clone(),
                vanished: a.task.vanished,
                related_element: a.task.related_element.clone(),
            },
            query: QueryServiceIr {
                path: a.query.path.clone(),
                result: a.query.result.get_ref().clone(),
                reference: a.query.reference.get_ref().clone(),
                refs: a.query.refs.clone(),
                ref_item: a.query.ref_item.clone(),
                entities: a.query.entities.clone(),
                paging: a.query.paging.clone(),
                page_size: a.query.page_size,
                params: a.query.params.clone(),
                paging_attrs: a.query.paging_attrs.clone(),
                paging_rels: a.query.paging_rels.clone(),
                shape: a.query.shape,
                paging_count: a.query.paging_count,
                filter: a.query.filter.clone(),
            },
            error: ErrorIr {
                type_: a.error.type_.get_ref().clone(),
                message: a.error.message.clone(),
                status: a.error.status.clone(),
                detail: a.error.detail.clone(),
            },
            other_product: a.other_product.clone(),
            links: a.links.clone(),
            actions,
            media,
            media_versions,
            json_text: a.json_text.clone(),
        }
    }

    fn resolve_ty(&mut self, at: &Spanned<String>) -> Option<Ty> {
        let name = at.get_ref().as_str();
        let ty = match name {
            "string" => Ty::String,
            "secret" => Ty::Secret,
            "bool" => Ty::Bool,
            "int" => Ty::Int,
            "long" => Ty::Long,
            "double" => Ty::Double,
            "datetime" => Ty::DateTime,
            "Links" => Ty::Links,
            "Link" => Ty::Link,
            n if self.spec.enums.contains_key(n) => Ty::Enum(n.to_string()),
            n if self.spec.types.contains_key(n) => Ty::Type(n.to_string()),
            n => {
                self.err(
                    at,
                    format!(
                        "unknown field type `{n}`; expected string, bool, int, long, double, datetime, Links, Link, or an enum or type of this spec"
                    ),
                );
                return None;
            }
        };
        Some(ty)
    }

    fn type_(
        &mut self,
        name: &str,
        t: &Spanned<TypeSpec>,
        rels: &BTreeMap<String, Verb>,
    ) -> TypeIr {
        let ts = t.get_ref();
        if !names::is_ident(name) || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
            self.err(
                t,
                format!("type name `{name}` is not an UpperCamelCase identifier"),
            );
        }
        if names::is_reserved_type_name(name) {
            self.err(
                t,
                format!("type name `{name}` is reserved: the generated code uses it"),
            );
        }
        let fields = self.fields(name, ts);
        self.links_form(name, t, &fields);
        let ops = self.links(name, ts, rels);
        // The representation's own URL: the string attribute `[api.links] href` names.
        let href_attr = &self.spec.api.get_ref().links.href;
        let href = fields.iter().position(|f| {
            f.xml.eq_ignore_ascii_case(href_attr) && f.shape == Shape::Attr && f.ty == Ty::String
        });
        if !ops.is_empty() && !fields.iter().any(FieldIr::is_links) && href.is_none() {
            self.err(
                t,
                format!("type `{name}` declares links but has neither a field of type `Links` to read them from nor a `{href_attr}` attribute to follow"),
            );
        }
        let query = match (&ts.query, &ts.query_plural) {
            (Some(q), plural) => {
                let mut qf = Vec::new();
                let mut seen = BTreeSet::new();
                for f in &ts.query_fields {
                    let fs = f.get_ref();
                    if !names::is_query_word(fs.name.get_ref()) {
                        self.err(
                            &fs.name,
                            format!(
                                "query field `{}` is not a usable name: it needs an ASCII letter or `_` first, then only ASCII letters, digits or `_`",
                                fs.name.get_ref()
                            ),
                        );
                        continue;
                    }
                    if !seen.insert(names::screaming(fs.name.get_ref())) {
                        self.err(
                            &fs.name,
                            format!("query field `{}` is declared twice", fs.name.get_ref()),
                        );
                    }
                    if let Some(ty) = self.resolve_ty(&fs.type_) {
                        if !ty.is_scalar() {
                            self.err(&fs.type_, "a query field must have a scalar type (string, bool, int, long, double, datetime or an enum)");
                        }
                        qf.push((fs.name.get_ref().clone(), ty));
                    }
                }
                Some(QueryIr {
                    name: q.clone(),
                    plural: plural.clone().unwrap_or_else(|| format!("{name}s")),
                    fields: qf,
                })
            }
            (None, _) => {
                if let Some(f) = ts.query_fields.first() {
                    self.err(
                        f,
                        format!("type `{name}` has query_fields but no `query` name"),
                    );
                }
                None
            }
        };
        TypeIr {
            href,
            name: name.to_string(),
            root: ts.root.clone().unwrap_or_else(|| name.to_string()),
            doc: ts.doc.clone(),
            path: ts.path.clone(),
            fields,
            ops,
            query,
        }
    }

    /// Every `Links` field has the form `[api.links]` declares: the wrapper element, or the
    /// repeated link element.
    fn links_form(&mut self, tname: &str, t: &Spanned<TypeSpec>, fields: &[FieldIr]) {
        let l = &self.spec.api.get_ref().links;
        for f in fields.iter().filter(|f| f.ty == Ty::Links) {
            let fits = match &l.wrapper {
                // (A wrapper of another name holds links too: EM's file entries' `Actions`.)
                Some(_) => f.shape == Shape::Single,
                None => {
                    matches!(f.shape, Shape::List { .. }) && f.xml.eq_ignore_ascii_case(&l.element)
                }
            };
            if !fits {
                let want = match &l.wrapper {
                    Some(w) => format!("a wrapper element such as `{{ name = \"{w}\", type = \"Links\" }}` (api.links has the wrapper `{w}`)"),
                    None => format!(
                        "`{{ name = \"{}\", type = \"Links\", repeated = true }}` (api.links has no wrapper: links are repeated `{}` elements)",
                        l.element, l.element
                    ),
                };
                self.err(
                    t,
                    format!("type `{tname}`: links field `{}` does not have the form api.links declares; expected {want}", f.xml),
                );
            }
        }
    }

    fn fields(&mut self, tname: &str, ts: &TypeSpec) -> Vec<FieldIr> {
        let mut out = Vec::new();
        let mut elems: HashMap<String, ()> = HashMap::new();
        let mut attrs: HashMap<String, ()> = HashMap::new();
        let mut rusts: HashMap<String, ()> = HashMap::new();
        let mut has_text = false;
        for f in &ts.fields {
            let fs: &FieldSpec = f.get_ref();
            let xml = fs.name.get_ref().clone();
            if !names::is_xml_name(&xml) {
                self.err(
                    &fs.name,
                    format!(
                        "field name `{xml}` of type `{tname}` is not an XML name (a letter or `_` first, then letters, digits, `_`, `-` or `.`)"
                    ),
                );
                continue;
            }
            let Some(ty) = self.resolve_ty(&fs.type_) else {
                continue;
            };
            let flags = [fs.attr, fs.repeated, fs.item.is_some(), fs.text]
                .iter()
                .filter(|b| **b)
                .count();
            if flags > 1 {
                self.err(
                    f,
                    format!(
                        "field `{xml}`: `attr`, `repeated`, `item` and `text` exclude each other"
                    ),
                );
                continue;
            }
            if (fs.attr || fs.text) && !ty.is_scalar() {
                self.err(
                    &fs.type_,
                    format!(
                        "field `{xml}`: an attribute or text must have a scalar type, not `{}`",
                        fs.type_.get_ref()
                    ),
                );
            }
            if fs.json.is_some() && !fs.repeated && fs.item.is_none() {
                self.err(
                    f,
                    format!(
                        "field `{xml}`: `json` names the JSON array of a `repeated` or `item` field only"
                    ),
                );
            }
            let shape = if fs.attr {
                Shape::Attr
            } else if fs.text {
                if has_text {
                    self.err(f, format!("type `{tname}` has two `text` fields"));
                }
                has_text = true;
                Shape::Text
            } else if fs.repeated {
                Shape::List {
                    json: fs.json.clone(),
                }
            } else if let Some(item) = &fs.item {
                if !names::is_xml_name(item.get_ref()) {
                    self.err(
                        item,
                        format!(
                            "`item` must be the XML name of each list item's element, not `{}`",
                            item.get_ref()
                        ),
                    );
                }
                Shape::Wrapped {
                    item: item.get_ref().clone(),
                    json: fs.json.clone(),
                }
            } else {
                Shape::Single
            };
            if shape == Shape::Attr {
                if attrs.insert(xml.to_ascii_lowercase(), ()).is_some() {
                    self.err(
                        &fs.name,
                        format!("type `{tname}` has attribute `{xml}` twice"),
                    );
                }
            } else if shape != Shape::Text && elems.insert(xml.to_ascii_lowercase(), ()).is_some() {
                self.err(
                    &fs.name,
                    format!("duplicate XML element `{xml}` in type `{tname}`"),
                );
            }
            let rust = match &fs.rust {
                Some(r) => {
                    if !names::is_ident(r.get_ref()) {
                        self.err(
                            r,
                            format!("`{}` is not a usable Rust field name", r.get_ref()),
                        );
                    }
                    r.get_ref().clone()
                }
                None => {
                    let rust = names::snake(&xml);
                    if !names::is_ident(&rust) {
                        self.err(
                            &fs.name,
                            format!("field `{xml}` of type `{tname}` has no ASCII letter or digit to make a Rust name from; set `rust = \"…\"`"),
                        );
                    }
                    rust
                }
            };
            if rusts.insert(rust.clone(), ()).is_some() {
                self.err(&fs.name, format!("two fields of type `{tname}` map to the Rust name `{rust}`; set `rust = \"…\"` on one"));
            }
            // The representation's own type, named as links name their target's type: a
            // name of the API's vocabulary, held without allocating when it is one.
            let interned = shape == Shape::Attr
                && ty == Ty::String
                && xml.eq_ignore_ascii_case(&self.spec.api.get_ref().links.type_);
            out.push(FieldIr {
                xml,
                rust,
                ty,
                shape,
                optional: fs.optional,
                interned,
                boxed: false,
                doc: fs.doc.clone(),
            });
        }
        out
    }

    /// The operations of type `tname`, one per entry of its `links`, each checked by the
    /// rules below (errors accumulate; a broken entry still yields an operation so that
    /// later rules and types are checked too).
    fn links(&mut self, tname: &str, ts: &TypeSpec, rels: &BTreeMap<String, Verb>) -> Vec<OpIr> {
        let mut out: Vec<OpIr> = Vec::new();
        let mut methods: HashMap<String, ()> = HashMap::new();
        let is_task = self.spec.api.get_ref().task.type_.get_ref() == tname;
        for l in &ts.links {
            let ls: &LinkSpec = l.get_ref();
            let verb = self.link_verb(ls, rels);
            let method = self.link_method(ls);
            self.unique_methods(tname, ls, &method, &mut methods);
            if is_task && TASK_METHODS.contains(&method.as_str()) {
                // The task type's own `wait` (and friends) would be shadowed.
                self.err(
                    l,
                    format!("method `{method}` is reserved on the task type `{tname}`"),
                );
            }
            self.link_body(ls, verb);
            let returns = self.link_returns(l);
            self.link_status(l);
            let verb = verb.unwrap_or(Verb::Get);
            let params = self.params(tname, &method, &ls.params);
            if ls.media.is_some() && ls.body.is_none() {
                self.err(
                    &ls.rel,
                    "`media` is the content type of a request body; this link sends none",
                );
            }
            out.push(OpIr {
                rel: ls.rel.get_ref().clone(),
                link_type: ls.type_.clone(),
                link_name: ls.name.clone(),
                method,
                verb,
                action: ls.action.clone(),
                query: ls.query.clone(),
                path: link_path(ls, ts, &self.spec.api.get_ref().actions),
                body: ls.body.as_ref().map(|b| b.get_ref().clone()),
                returns,
                status: default_status(ls, verb),
                task: ls.task,
                params,
                media: ls.media.clone(),
                doc: ls.doc.clone(),
            });
        }
        out
    }

    /// The verb of a link: its relation's from `[relations]`, or its own override. An
    /// unknown relation or verb would leave the generated method without a request to send.
    fn link_verb(&mut self, ls: &LinkSpec, rels: &BTreeMap<String, Verb>) -> Option<Verb> {
        let rel = ls.rel.get_ref();
        let rel_verb = rels.get(rel).copied();
        if rel_verb.is_none() && !self.spec.relations.contains_key(rel) {
            self.err(
                &ls.rel,
                format!("unknown relation `{rel}`; add it to [relations] or fix the name"),
            );
        }
        match &ls.verb {
            Some(v) => {
                let parsed = Verb::parse(v.get_ref());
                if parsed.is_none() {
                    self.err(
                        v,
                        format!(
                            "verb `{}` is not one of GET, POST, PUT, DELETE",
                            v.get_ref()
                        ),
                    );
                }
                parsed
            }
            None => rel_verb,
        }
    }

    /// The Rust method name: given, or the relation in snake case. It must be an identifier,
    /// or the generated code would not compile.
    fn link_method(&mut self, ls: &LinkSpec) -> String {
        match &ls.method {
            Some(m) => {
                if !names::is_ident(m.get_ref()) {
                    self.err(
                        m,
                        format!("`{}` is not a usable Rust method name", m.get_ref()),
                    );
                }
                m.get_ref().clone()
            }
            None => {
                let rel = ls.rel.get_ref();
                let m = names::snake(rel);
                if !names::is_ident(&m) {
                    self.err(
                        &ls.rel,
                        format!("relation `{rel}` gives no usable Rust method name (`{m}`); set `method = \"…\"`"),
                    );
                }
                m
            }
        }
    }

    /// No two methods of a type share a name (counting the `{method}_with` of an operation
    /// with query arguments): rustc would reject the duplicate in generated code.
    fn unique_methods(
        &mut self,
        tname: &str,
        ls: &LinkSpec,
        method: &str,
        seen: &mut HashMap<String, ()>,
    ) {
        let with = (!ls.params.is_empty()).then(|| format!("{method}_with"));
        let clash = with
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(method))
            .any(|m| seen.insert(m.to_string(), ()).is_some());
        if clash {
            let at = ls.method.as_ref().map_or(ls.rel.span(), |m| m.span());
            self.diags.push(Diagnostic::new(
                at,
                format!(
                    "type `{tname}` has two methods named `{method}`; give one a `method = \"…\"`"
                ),
            ));
        }
    }

    /// A request body names a spec type, and only verbs that carry bodies may have one (EM,
    /// like most servers, ignores or refuses a GET or DELETE body).
    fn link_body(&mut self, ls: &LinkSpec, verb: Option<Verb>) {
        let Some(b) = &ls.body else { return };
        self.need_type(b, "request body type");
        if matches!(verb, Some(Verb::Get | Verb::Delete)) {
            self.err(
                b,
                format!(
                    "a {} request cannot carry a body (`{}`)",
                    verb.map_or("", |v| v.as_str()),
                    b.get_ref()
                ),
            );
        }
    }

    /// What the answer decodes as: nothing, raw bytes, or a spec type; a `task = true` link
    /// must answer the task type, or `wait` could not poll it.
    fn link_returns(&mut self, l: &Spanned<LinkSpec>) -> Returns {
        let ls = l.get_ref();
        let returns = match &ls.returns {
            None => Returns::Nothing,
            Some(r) if r.get_ref() == "bytes" => Returns::Bytes,
            Some(r) => {
                self.need_type(r, "response type");
                Returns::Type(r.get_ref().clone())
            }
        };
        if ls.task {
            let task = self.spec.api.get_ref().task.type_.get_ref();
            if returns != Returns::Type(task.clone()) {
                self.err(
                    l,
                    format!("a `task = true` link must return the task type `{task}`"),
                );
            }
        }
        returns
    }

    /// Success statuses are HTTP status codes (a typo such as `2002` would make every answer
    /// an error).
    fn link_status(&mut self, l: &Spanned<LinkSpec>) {
        for s in &l.get_ref().status {
            if !(100..=599).contains(s) {
                self.err(l, format!("status {s} is not an HTTP status code"));
            }
        }
    }

    /// The typed query arguments of method `method` of `tname`: known value types, names
    /// that are Rust fields once snake-cased, no two alike, and an arguments struct name
    /// (`{Type}{Method}Args`) that no spec type or enum already has.
    fn params(
        &mut self,
        tname: &str,
        method: &str,
        params: &[Spanned<crate::spec::ParamSpec>],
    ) -> Vec<ParamIr> {
        let mut out: Vec<ParamIr> = Vec::new();
        if let Some(first) = params.first() {
            let args = crate::ir::args_struct_name(tname, method);
            if self.spec.types.contains_key(&args) || self.spec.enums.contains_key(&args) {
                self.err(
                    first,
                    format!("the arguments struct `{args}` of `{tname}.{method}` has the name of a spec type"),
                );
            }
        }
        for p in params {
            let ps = p.get_ref();
            let name = ps.name.get_ref();
            let ty = match ps.type_.as_ref().map(|t| t.get_ref().as_str()) {
                None | Some("string") => ParamTy::Str,
                Some("bool") => ParamTy::Bool,
                Some("int") => ParamTy::Int,
                Some(other) => {
                    let at = ps.type_.as_ref().unwrap_or(&ps.name);
                    self.err(
                        at,
                        format!("query argument type `{other}` is none of `string`, `bool`, `int`"),
                    );
                    ParamTy::Str
                }
            };
            // `snake` gives a keyword a trailing underscore (`type` → `type_`).
            let field = names::snake(name);
            let bare = field.trim_end_matches('_');
            if !(names::is_ident(bare) || names::is_keyword(bare)) {
                self.err(
                    &ps.name,
                    format!("query argument `{name}` cannot be a Rust field name"),
                );
                continue;
            }
            if out.iter().any(|q| q.name == *name || q.field == field) {
                self.err(&ps.name, format!("query argument `{name}` is given twice"));
                continue;
            }
            out.push(ParamIr {
                name: name.clone(),
                field,
                ty,
                doc: ps.doc.clone(),
            });
        }
        out
    }

    fn cross_checks(&mut self, api: &ApiIr, types: &[TypeIr]) {
        if let Some(t) = types.iter().find(|t| t.name == api.task.type_) {
            if t.href_field().is_none() {
                let at = &self.spec.api.get_ref().task.type_;
                self.err(
                    at,
                    format!(
                        "the task type `{}` needs a `{}` attribute field (string, as api.links.href names it) to be polled",
                        t.name, api.links.href
                    ),
                );
            }
        }
    }
}

/// The documented URL form of a link: given, or the type's path (without its query) with
/// its action addressed as `[api.actions]` says (`?action=start`, `/action/powerOn`).
fn link_path(ls: &LinkSpec, ts: &TypeSpec, actions: &crate::spec::ActionsSpec) -> String {
    ls.path.clone().unwrap_or_else(|| {
        let base = ts
            .path
            .as_deref()
            .map(|p| p.split('?').next().unwrap_or(p).to_string())
            .unwrap_or_default();
        match (&ls.action, &actions.query, &actions.path) {
            (Some(a), Some(key), _) => format!("{base}?{key}={a}"),
            (Some(a), None, Some(prefix)) => {
                let prefix = prefix.trim_matches('/');
                if prefix.is_empty() {
                    format!("{base}/{a}")
                } else {
                    format!("{base}/{prefix}/{a}")
                }
            }
            _ => base,
        }
    })
}

/// Success statuses as the spec format defaults them: 202 for a task, 200 for a GET, any
/// 2xx (empty list) otherwise.
fn default_status(ls: &LinkSpec, verb: Verb) -> Vec<u16> {
    if !ls.status.is_empty() {
        return ls.status.clone();
    }
    match (ls.task, verb) {
        (true, _) => vec![202],
        (false, Verb::Get) => vec![200],
        (false, _) => Vec::new(),
    }
}
