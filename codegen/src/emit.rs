//! Token emission: the IR becomes Rust items that call the runtime through one hidden path.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{EnumIr, FieldIr, Ir, OpIr, ParamTy, Returns, Shape, Ty, TypeIr, Verb};
use crate::names;

/// Options of the emitter.
#[derive(Debug, Clone)]
pub struct EmitOptions {
    /// Path of the runtime crate in the generated code's crate (`::emrest_runtime`).
    pub runtime: TokenStream,
}

impl Default for EmitOptions {
    fn default() -> Self {
        EmitOptions {
            runtime: quote!(::emrest_runtime),
        }
    }
}

fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

fn doc_attrs(doc: &Option<String>) -> TokenStream {
    match doc {
        Some(d) => {
            let lines = d.lines().map(|l| format!(" {}", l.trim_end()));
            quote!(#(#[doc = #lines])*)
        }
        None => TokenStream::new(),
    }
}

/// The Rust type of a value, with spec names resolved under `prefix`.
fn value_ty(ty: &Ty, prefix: &TokenStream) -> TokenStream {
    match ty {
        Ty::String => quote!(::std::string::String),
        Ty::Secret => quote!(__rt::SecretString),
        Ty::Bool => quote!(bool),
        Ty::Int => quote!(i32),
        Ty::Long => quote!(i64),
        Ty::Double => quote!(f64),
        Ty::DateTime => quote!(__rt::DateTime),
        Ty::Links => quote!(__rt::Links),
        Ty::Link => quote!(__rt::Link),
        Ty::Enum(n) | Ty::Type(n) => {
            let i = ident(n);
            quote!(#prefix #i)
        }
    }
}

/// Whole generated client for a checked spec.
pub fn generate(ir: &Ir, opts: &EmitOptions) -> TokenStream {
    let rt = &opts.runtime;
    let api = api_items(ir);
    let enums = ir.enums.iter().map(enum_items);
    // Types of one shape (the per-resource references, for example) share one table.
    let mut first_of_shape: std::collections::HashMap<String, &str> = Default::default();
    let mut types = Vec::new();
    for t in &ir.types {
        let key: String = t
            .fields
            .iter()
            .map(|f| field_def(f).to_string())
            .collect::<Vec<_>>()
            .join(",");
        let shared = first_of_shape
            .get(&key)
            .copied()
            .filter(|_| !t.fields.is_empty());
        types.push(type_items(ir, t, shared));
        first_of_shape.entry(key).or_insert(&t.name);
    }
    let ops = ir.types.iter().flat_map(|t| {
        let owner = ident(&t.name);
        t.ops.iter().map(move |op| {
            let c = op_const_name(op);
            quote!(&#owner::#c)
        })
    });
    let entries = ir.types.iter().map(|t| {
        let name = &t.name;
        let ty = ident(name);
        let path = match &t.path {
            Some(p) => quote!(Some(#p)),
            None => quote!(None),
        };
        let doc = t.doc.as_deref().unwrap_or("").lines().next().unwrap_or("");
        match &t.query {
            Some(_) => quote!(__rt::TypeEntry::queryable::<#ty>(#name, #path, #doc)),
            None => quote!(__rt::TypeEntry::of::<#ty>(#name, #path, #doc)),
        }
    });
    // The alias only when the task type is a type of the spec (else nothing to name).
    let task_alias = ir.type_named(&ir.api.task_type).map(|t| {
        let task = ident(&t.name);
        quote! {
            /// The spec's task type (the representation asynchronous operations answer with).
            pub type TaskRepr = #task;
        }
    });
    let op_table = quote! {
        /// Every operation of the spec, type by type in spec order.
        pub const OPERATIONS: &[&__rt::Op] = &[#(#ops),*];
        /// Every type of the spec, in spec order, with a decoder by name.
        pub const TYPES: &[__rt::TypeEntry] = &[#(#entries),*];
        #task_alias
    };
    let session = session_trait(ir);
    quote! {
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub use #rt::__private as __rt;
        #api
        #op_table
        #(#enums)*
        #(#types)*
        #session
    }
}

fn api_items(ir: &Ir) -> TokenStream {
    let a = &ir.api;
    let title = &a.title;
    let ns = &a.namespace;
    let header = &a.session_header;
    let versions = &a.versions;
    let logon_fallback = match &a.logon_fallback {
        Some(f) => quote!(Some(#f)),
        None => quote!(None),
    };
    let (logon_rel, logon_type, ve, va, logoff) = (
        &a.logon_rel,
        &a.logon_type,
        &a.version_element,
        &a.version_attr,
        &a.logoff_rel,
    );
    let task_root = ir
        .type_named(&a.task_type)
        .map_or(a.task_type.as_str(), |t| t.root.as_str());
    let (ts, td, tr, tsu, tm, to, trel) = (
        &a.task_state,
        &a.task_done,
        &a.task_result,
        &a.task_success,
        &a.task_message,
        &a.task_operation,
        &a.task_related,
    );
    let qroot = ir
        .type_named(&a.query_result)
        .map_or(a.query_result.as_str(), |t| t.root.as_str());
    let (qp, qr, qi, qe, qpg, qps) = (
        &a.query_path,
        &a.query_refs,
        &a.query_ref_item,
        &a.query_entities,
        &a.query_paging,
        a.query_page_size,
    );
    let params = &a.query_params;
    let (p_type, p_format, p_entities, p_filter) = (
        &params.type_,
        &params.format,
        &params.entities,
        &params.filter,
    );
    let (p_sort_asc, p_sort_desc, p_page_size, p_page) = (
        &params.sort_asc,
        &params.sort_desc,
        &params.page_size,
        &params.page,
    );
    let pg = &a.paging_attrs;
    let (pa_num, pa_size, pa_count) = (&pg.num, &pg.size, &pg.count);
    let pr = &a.paging_rels;
    let (pr_first, pr_previous, pr_next, pr_last) = (&pr.first, &pr.previous, &pr.next, &pr.last);
    let op_ports = &a.other_product.ports;
    let op_paths = &a.other_product.path_markers;
    let op_headers = &a.other_product.headers;
    let eroot = ir
        .type_named(&a.error_type)
        .map_or(a.error_type.as_str(), |t| t.root.as_str());
    let (em, es, ed) = (&a.error_message, &a.error_status, &a.error_detail);
    let hint = match &a.entry_url {
        Some(u) => quote!(Some(#u)),
        None => quote!(None),
    };
    let doc = format!(" Marker of the {title}: ties clients and sessions to this spec.");
    let client_doc = format!(" A client of the {title}.");
    let session_doc = format!(" A logged-on session of the {title}.");
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct Api;

        impl __rt::Api for Api {
            const ENTRY_URL_HINT: Option<&'static str> = #hint;
            const INFO: &'static __rt::ApiInfo = &__rt::ApiInfo {
                title: #title,
                namespace: #ns,
                session_header: #header,
                versions: &[#(#versions),*],
                logon_rel: #logon_rel,
                logon_type: #logon_type,
                logon_fallback: #logon_fallback,
                version_element: #ve,
                version_attr: #va,
                logoff_rel: #logoff,
                task: __rt::TaskInfo {
                    root: #task_root,
                    state: #ts,
                    done_states: &[#(#td),*],
                    result: #tr,
                    success: #tsu,
                    message: #tm,
                    operation: #to,
                    related_rel: #trel,
                },
                query: __rt::QueryInfo {
                    path: #qp,
                    result_root: #qroot,
                    refs: #qr,
                    ref_item: #qi,
                    entities: #qe,
                    paging: #qpg,
                    default_page_size: #qps,
                    params: __rt::QueryParams {
                        type_: #p_type,
                        format: #p_format,
                        entities: #p_entities,
                        filter: #p_filter,
                        sort_asc: #p_sort_asc,
                        sort_desc: #p_sort_desc,
                        page_size: #p_page_size,
                        page: #p_page,
                    },
                    page_num: #pa_num,
                    page_size: #pa_size,
                    pages_count: #pa_count,
                    rels: __rt::PagingRels {
                        first: #pr_first,
                        previous: #pr_previous,
                        next: #pr_next,
                        last: #pr_last,
                    },
                },
                error: __rt::ErrorInfo {
                    root: #eroot,
                    message: #em,
                    status: #es,
                    detail: #ed,
                },
                other_product: __rt::OtherProduct {
                    ports: &[#(#op_ports),*],
                    path_markers: &[#(#op_paths),*],
                    headers: &[#(#op_headers),*],
                },
            };
        }

        #[doc = #client_doc]
        pub type Client = __rt::Client<Api>;
        #[doc = #session_doc]
        pub type Session = __rt::Session<Api>;
    }
}

fn enum_items(e: &EnumIr) -> TokenStream {
    let name = ident(&e.name);
    let doc = match &e.doc {
        Some(_) => doc_attrs(&e.doc),
        None => {
            let d = format!(" Enumeration `{}`.", e.name);
            quote!(#[doc = #d])
        }
    };
    let wires: Vec<&str> = e.values.iter().map(|(w, _)| w.as_str()).collect();
    let variants: Vec<Ident> = e.values.iter().map(|(_, v)| ident(v)).collect();
    let idx: Vec<usize> = (0..variants.len()).collect();
    let var_docs = wires.iter().map(|w| format!(" `{w}`"));
    let defaults = (0..variants.len()).map(|i| (i == 0).then(|| quote!(#[default])));
    quote! {
        #doc
        ///
        /// The default is the first declared value.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
        pub enum #name {
            #(#[doc = #var_docs] #defaults #variants,)*
            /// A value this spec does not know, kept as written.
            Other(::std::string::String),
        }

        impl #name {
            /// Wire values in declaration order.
            pub const VALUES: &'static [&'static str] = &[#(#wires),*];

            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #wires,)*
                    Self::Other(s) => s,
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl __rt::Scalar for #name {
            fn parse_text(text: &str) -> ::std::result::Result<Self, ::std::string::String> {
                Ok(match __rt::enum_index(text.trim(), Self::VALUES) {
                    #(Some(#idx) => Self::#variants,)*
                    _ => Self::Other(text.trim().to_string()),
                })
            }
            fn to_text(&self) -> __rt::Cow<'_, str> {
                __rt::Cow::Borrowed(self.as_str())
            }
        }

        impl __rt::SpecEnum for #name {
            fn ordinal(&self) -> Option<usize> {
                match self {
                    #(Self::#variants => Some(#idx),)*
                    Self::Other(_) => None,
                }
            }
        }

        __rt::scalar_value!(#name);
    }
}

fn field_decl(f: &FieldIr) -> TokenStream {
    let name = ident(&f.rust);
    let base = value_ty(&f.ty, &TokenStream::new());
    let ty = match (&f.shape, f.optional) {
        (Shape::List { .. }, _) => quote!(::std::vec::Vec<#base>),
        (Shape::Wrapped { .. }, true) => quote!(::std::option::Option<::std::vec::Vec<#base>>),
        (Shape::Wrapped { .. }, false) => quote!(::std::vec::Vec<#base>),
        (_, true) => quote!(::std::option::Option<#base>),
        (_, false) => base,
    };
    let what = match &f.shape {
        Shape::Attr => format!(" Attribute `{}`.", f.xml),
        Shape::Text => " Character data of the element.".to_string(),
        Shape::List { .. } => format!(" Repeated element `{}`.", f.xml),
        Shape::Wrapped { item, .. } => format!(" List `{}` of `{item}` elements.", f.xml),
        Shape::Single => format!(" Element `{}`.", f.xml),
    };
    let doc = match &f.doc {
        Some(d) => format!("{what} {d}"),
        None => what,
    };
    quote!(#[doc = #doc] pub #name: #ty,)
}

/// The codec's description of a field (`__rt::FieldDef::…`).
fn field_def(f: &FieldIr) -> TokenStream {
    let xml = &f.xml;
    let req = !f.optional;
    match &f.shape {
        Shape::Attr => quote!(__rt::FieldDef::attr(#xml, #req)),
        Shape::Text => quote!(__rt::FieldDef::text(#req)),
        Shape::Single => quote!(__rt::FieldDef::elem(#xml, #req)),
        Shape::List { json } => {
            let j = json.as_deref().unwrap_or(xml);
            quote!(__rt::FieldDef::list(#xml, #j))
        }
        Shape::Wrapped { item, json } => {
            // A list of scalars is a bare JSON array; a list of representations keeps its
            // wrapper object with the items under the plural of the item name.
            let inner = match json {
                Some(j) => j.clone(),
                None if f.ty.is_scalar() => String::new(),
                None => names::plural(item),
            };
            quote!(__rt::FieldDef::wrapped(#xml, #item, #inner, #req))
        }
    }
}

/// The Rust name of the field keeping unknown content (`unknown`, unless the spec took it).
fn unknown_field(t: &TypeIr) -> Ident {
    let mut name = "unknown".to_string();
    while t.fields.iter().any(|f| f.rust == name) {
        name.push('_');
    }
    ident(&name)
}

/// The `Fields` and `Record` impls of a type named `name` whose fields are `fields` (the
/// whole type, or the subset a derive declares) stored in the Rust fields `rust`.
pub fn record_impls(
    ty: &TokenStream,
    root: &str,
    defs: &TokenStream,
    rust: &[Ident],
    unknown: &Ident,
    links: Option<usize>,
    href: Option<usize>,
) -> TokenStream {
    let idx: Vec<usize> = (0..rust.len()).collect();
    let links = links.map(|i| quote!(const LINKS: Option<usize> = Some(#i);));
    let href = href.map(|i| quote!(const HREF: Option<usize> = Some(#i);));
    // Any index beyond the fields is the unknown content (`Fields::kept` asks for it).
    quote! {
        impl __rt::Record for #ty {
            const ROOT: &'static str = #root;
            const FIELDS: &'static [__rt::FieldDef] = #defs;
            #links
            #href
            unsafe fn field(this: *mut Self, i: usize) -> *mut dyn __rt::Slot {
                // SAFETY: a place projection of the caller's valid pointer (see
                // `Record::field`): nothing is read or written.
                unsafe { match i { #(#idx => &raw mut (*this).#rust,)* _ => &raw mut (*this).#unknown } }
            }
        }
    }
}

fn type_items(ir: &Ir, t: &TypeIr, shared: Option<&str>) -> TokenStream {
    let name = ident(&t.name);
    let root = &t.root;
    let doc = match &t.doc {
        Some(_) => {
            let mut d = doc_attrs(&t.doc);
            if let Some(p) = &t.path {
                let p = format!("\n URL: `{p}`");
                d.extend(quote!(#[doc = ""] #[doc = #p]));
            }
            d
        }
        None => {
            let d = format!(" Representation `{}` (root element `{}`).", t.name, t.root);
            quote!(#[doc = #d])
        }
    };
    let decls = t.fields.iter().map(field_decl);
    let unknown = unknown_field(t);
    // Types of one shape share one table.
    let defs = match shared {
        Some(other) => {
            let o = ident(other);
            quote!(<#o as __rt::Record>::FIELDS)
        }
        None => {
            let defs = t.fields.iter().map(field_def);
            quote!(&[#(#defs),*])
        }
    };
    let rust: Vec<Ident> = t.fields.iter().map(|f| ident(&f.rust)).collect();
    let links = t
        .fields
        .iter()
        .position(|f| matches!(f.ty, Ty::Links) && matches!(f.shape, Shape::Single));
    let href = t.fields.iter().position(|f| {
        f.xml == "Href" && matches!(f.shape, Shape::Attr) && matches!(f.ty, Ty::String)
    });
    let record = record_impls(&quote!(#name), root, &defs, &rust, &unknown, links, href);
    let query = t.query.as_ref().map(|q| {
        let qn = &q.name;
        let plural = &q.plural;
        let reference = ident(&ir.api.query_reference);
        let consts = q.fields.iter().map(|(fname, ty)| {
            let c = format_ident!("{}", names::screaming(fname));
            let vt = value_ty(ty, &TokenStream::new());
            let d = format!(" Query field `{fname}`.");
            quote!(#[doc = #d] pub const #c: __rt::Field<Self, #vt> = __rt::Field::new(#fname);)
        });
        quote! {
            impl __rt::Queryable for #name {
                const QUERY_TYPE: &'static str = #qn;
                const PLURAL: &'static str = #plural;
                type Reference = #reference;
            }
            impl #name {
                #(#consts)*
            }
        }
    });
    let op_consts = t.ops.iter().map(|op| op_const(&t.name, op));
    let methods = match t.links_field() {
        Some(f) => {
            let n = ident(&f.rust);
            type_methods(t, &quote!(self.#n), &TokenStream::new(), &quote!(Session))
        }
        None => TokenStream::new(),
    };
    let wait = (t.name == ir.api.task_type).then(|| {
        quote! {
            /// Polls the task until it is done (with backoff, under the session's deadline);
            /// fails with the task's message when its result says it did not succeed.
            pub async fn wait(&self, em: &Session) -> __rt::Result<Self> {
                __rt::wait_task(em, self).await
            }
        }
    });
    let inherent = if t.ops.is_empty() && wait.is_none() {
        TokenStream::new()
    } else {
        // The operation constants are described by their methods' docs.
        quote!(#[allow(missing_docs)] impl #name { #(#op_consts)* #wait #methods })
    };
    let args = t.ops.iter().map(|op| args_struct(t, op));
    quote! {
        #doc
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct #name {
            #(#decls)*
            /// What the document carried beyond the spec's fields, kept in place and
            /// written back on encoding.
            pub #unknown: __rt::Unknown,
        }

        #record
        #query
        #inherent
        #(#args)*
    }
}

/// The struct of an operation's typed query arguments (none when it declares no `params`):
/// every argument optional, set ones written in spec order.
fn args_struct(t: &TypeIr, op: &OpIr) -> TokenStream {
    if op.params.is_empty() {
        return TokenStream::new();
    }
    let name = ident(&crate::ir::args_struct_name(&t.name, &op.method));
    let doc = format!(
        " Query arguments of [`{}::{}_with`]; those left `None` are not sent.",
        t.name, op.method
    );
    let fields = op.params.iter().map(|p| {
        let f = ident(&p.field);
        let ty = match p.ty {
            ParamTy::Str => quote!(String),
            ParamTy::Bool => quote!(bool),
            ParamTy::Int => quote!(i64),
        };
        let line = format!(
            " `{}`{}",
            p.name,
            p.doc
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
        quote!(#[doc = #line] pub #f: Option<#ty>,)
    });
    let pairs = op.params.iter().map(|p| {
        let f = ident(&p.field);
        let n = &p.name;
        quote!(if let Some(v) = &self.#f { out.push((#n, v.to_string())); })
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct #name { #(#fields)* }

        impl __rt::QueryArgs for #name {
            fn pairs(&self) -> Vec<(&'static str, String)> {
                let mut out = Vec::new();
                #(#pairs)*
                out
            }
        }
    }
}

/// The `Fields`/`Record` impls making a user's struct `ty` a representation of spec type
/// `t` (for `#[derive(Resource)]`): `chosen` pairs the struct's fields with indices of
/// `t.fields`; what the struct does not declare is kept in its field `unknown`.
pub fn derived_record(
    t: &TypeIr,
    prefix: &TokenStream,
    ty: &TokenStream,
    chosen: &[(usize, Ident)],
    unknown: &Ident,
) -> TokenStream {
    let mut chosen: Vec<&(usize, Ident)> = chosen.iter().collect();
    chosen.sort_by_key(|(i, _)| *i);
    let defs = chosen.iter().map(|(i, _)| field_def(&t.fields[*i]));
    let rust: Vec<Ident> = chosen.iter().map(|(_, r)| r.clone()).collect();
    let links = chosen.iter().position(|(i, _)| {
        let f = &t.fields[*i];
        matches!(f.ty, Ty::Links) && matches!(f.shape, Shape::Single)
    });
    let href = chosen.iter().position(|(i, _)| {
        let f = &t.fields[*i];
        f.xml == "Href" && matches!(f.shape, Shape::Attr) && matches!(f.ty, Ty::String)
    });
    let record = record_impls(
        ty,
        &t.root,
        &quote!(&[#(#defs),*]),
        &rust,
        unknown,
        links,
        href,
    );
    let spec_ty = ident(&t.name);
    quote! {
        #record
        impl __rt::BodyOf<#prefix #spec_ty> for #ty {}
    }
}

/// The name of the constant describing operation `op` (`OP_START`).
fn op_const_name(op: &OpIr) -> Ident {
    format_ident!("OP_{}", names::screaming(&op.method))
}

/// The constant `Op` describing an operation of type `owner`: the required parts, then
/// only what differs from the defaults (so most fit in a few lines).
fn op_const(owner: &str, op: &OpIr) -> TokenStream {
    let (rel, method, path) = (&op.rel, &op.method, &op.path);
    let verb = match op.verb {
        Verb::Get => quote!(get),
        Verb::Post => quote!(post),
        Verb::Put => quote!(put),
        Verb::Delete => quote!(delete),
    };
    let mut chain = quote!(.path(#path));
    let mut add = |m: &str, v: &Option<String>| {
        if let Some(v) = v {
            let m = ident(m);
            chain.extend(quote!(.#m(#v)));
        }
    };
    add("link_type", &op.link_type);
    add("link_name", &op.link_name);
    add("action", &op.action);
    add("query", &op.query);
    add("body", &op.body);
    match &op.returns {
        Returns::Nothing => {}
        Returns::Bytes => chain.extend(quote!(.download())),
        Returns::Type(t) => add("returns", &Some(t.clone())),
    }
    if op.task {
        chain.extend(quote!(.task()));
    }
    let default: &[u16] = match (op.task, op.verb) {
        (true, _) => &[202],
        (false, Verb::Get) => &[200],
        (false, _) => &[],
    };
    if op.status != default {
        let st = op
            .status
            .iter()
            .map(|s| proc_macro2::Literal::u16_unsuffixed(*s));
        chain.extend(quote!(.status(&[#(#st),*])));
    }
    let c = op_const_name(op);
    quote! {
        pub const #c: __rt::Op = __rt::Op::#verb(#owner, #method, #rel) #chain;
    }
}

fn op_doc(op: &OpIr) -> TokenStream {
    let returns = match (&op.returns, op.task) {
        (Returns::Type(t), true) => format!("the [`{t}`] started (`.wait(&em)` waits for its end)"),
        (Returns::Type(t), false) => format!("[`{t}`]"),
        (Returns::Bytes, _) => "the raw content".to_string(),
        (Returns::Nothing, _) => "nothing".to_string(),
    };
    let mut lines = vec![format!(
        " `{} {}` through the `{}` link{}; returns {returns}.",
        op.verb.as_str(),
        op.path,
        op.rel,
        op.link_type
            .as_ref()
            .map(|t| format!(" of type `{t}`"))
            .unwrap_or_default()
    )];
    if let Some(d) = &op.doc {
        lines.push(String::new());
        lines.extend(d.lines().map(|l| format!(" {l}")));
    }
    quote!(#(#[doc = #lines])*)
}

fn ret_ty(op: &OpIr, prefix: &TokenStream) -> TokenStream {
    match &op.returns {
        Returns::Nothing => quote!(()),
        Returns::Bytes => quote!(__rt::Download),
        Returns::Type(t) => {
            let i = ident(t);
            quote!(#prefix #i)
        }
    }
}

/// The action methods of type `t`, as `async fn`s taking the session.
///
/// `links` is the expression of the field holding the links (`self.links`), `prefix` the path
/// under which spec types are found (empty inside the generated module, `::emrest::` for a
/// derive), `session` the session type. The caller brings `__rt` (the runtime's hidden path)
/// into scope.
pub fn type_methods(
    t: &TypeIr,
    links: &TokenStream,
    prefix: &TokenStream,
    session: &TokenStream,
) -> TokenStream {
    let owner = ident(&t.name);
    // Inside the generated type, its own constants; from a derive, the spec type's.
    let op_path = if prefix.is_empty() {
        quote!(Self)
    } else {
        quote!(#prefix #owner)
    };
    let methods = t.ops.iter().map(|op| {
        let m = ident(&op.method);
        let c = op_const_name(op);
        let doc = op_doc(op);
        let ret = ret_ty(op, prefix);
        // A derive (`prefix` set) takes any body standing for the spec type: the spec type
        // itself or another derived struct of it.
        let (generics, arg, body) = match &op.body {
            Some(b) if !prefix.is_empty() => {
                let bt = ident(b);
                (
                    quote!(<'a, B: __rt::BodyOf<#prefix #bt>>),
                    quote!(, body: &'a B),
                    quote!(Some(body)),
                )
            }
            Some(b) => {
                let bt = ident(b);
                (quote!(<'a>), quote!(, body: &'a #bt), quote!(Some(body)))
            }
            None => (quote!(<'a>), TokenStream::new(), quote!(None)),
        };
        let with = (!op.params.is_empty()).then(|| {
            let mw = format_ident!("{}_with", op.method);
            let at = ident(&crate::ir::args_struct_name(&t.name, &op.method));
            let line = format!(" [`{}`](Self::{}) with typed query arguments.", op.method, op.method);
            quote! {
                #[doc = #line]
                pub fn #mw #generics(&'a self, em: &'a #session #arg, args: &'a #prefix #at) -> __rt::Call<'a, #ret> {
                    __rt::follow_with(em, &#links, &#op_path::#c, #body, args)
                }
            }
        });
        quote! {
            #doc
            pub fn #m #generics(&'a self, em: &'a #session #arg) -> __rt::Call<'a, #ret> {
                __rt::follow(em, &#links, &#op_path::#c, #body)
            }
            #with
        }
    });
    quote!(#(#methods)*)
}

fn session_trait(ir: &Ir) -> TokenStream {
    let Some(t) = ir.type_named(&ir.api.session) else {
        return TokenStream::new();
    };
    let owner = ident(&t.name);
    let sig = |op: &OpIr| {
        let m = ident(&op.method);
        let ret = ret_ty(op, &TokenStream::new());
        let arg = op.body.as_ref().map(|b| {
            let bt = ident(b);
            quote!(, body: &#bt)
        });
        quote!(fn #m(&self #arg) -> impl __rt::Future<Output = __rt::Result<#ret>> + Send)
    };
    let decls = t.ops.iter().map(|op| {
        let doc = op_doc(op);
        let sig = sig(op);
        quote!(#doc #sig;)
    });
    let impls = t.ops.iter().map(|op| {
        let sig = sig(op);
        let c = op_const_name(op);
        let body = if op.body.is_some() {
            quote!(Some(body as &dyn __rt::Body))
        } else {
            quote!(None)
        };
        quote!(#sig { __rt::call(self, self.links(), &#owner::#c, #body) })
    });
    let doc = format!(
        " Operations of the logon session (`{}`): the API's entry-point collections, available directly on a [`Session`].",
        t.name
    );
    quote! {
        #[doc = #doc]
        pub trait SessionOps {
            #(#decls)*
        }

        impl SessionOps for Session {
            #(#impls)*
        }
    }
}
