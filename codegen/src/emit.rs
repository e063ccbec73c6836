//! Token emission: the IR becomes Rust items that call the runtime through one hidden path.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{EnumIr, FieldIr, Ir, OpIr, Returns, Shape, Ty, TypeIr, Verb};
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
    let types = ir.types.iter().map(|t| type_items(ir, t));
    let session = session_trait(ir);
    quote! {
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub use #rt::__private as __rt;
        #api
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

        impl __rt::Value for #name {
            fn from_node(node: &__rt::Node) -> ::std::result::Result<Self, __rt::DecodeError> {
                __rt::scalar_from_node(node)
            }
            fn to_node(&self, name: &str) -> __rt::Node {
                __rt::scalar_to_node(self, name)
            }
            fn from_xml<'a>(
                x: &mut __rt::XmlIn<'a>,
                e: __rt::XmlElem<'a>,
            ) -> ::std::result::Result<Self, __rt::DecodeError> {
                __rt::scalar_from_xml(x, e)
            }
        }
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
        Shape::Wrapped { item } => format!(" List `{}` of `{item}` elements.", f.xml),
        Shape::Single => format!(" Element `{}`.", f.xml),
    };
    let doc = match &f.doc {
        Some(d) => format!("{what} {d}"),
        None => what,
    };
    quote!(#[doc = #doc] pub #name: #ty,)
}

fn field_decode(f: &FieldIr) -> TokenStream {
    let name = ident(&f.rust);
    let xml = &f.xml;
    let call = match (&f.shape, f.optional) {
        (Shape::Attr, false) => quote!(d.attr(#xml)?),
        (Shape::Attr, true) => quote!(d.opt_attr(#xml)?),
        (Shape::Text, _) => quote!(d.text()?),
        (Shape::Single, false) => quote!(d.elem(#xml)?),
        (Shape::Single, true) => quote!(d.opt_elem(#xml)?),
        (Shape::List { json }, _) => match json {
            Some(j) => quote!(d.list(#xml, Some(#j))?),
            None => quote!(d.list(#xml, None)?),
        },
        (Shape::Wrapped { item }, false) => quote!(d.wrapped(#xml, #item)?),
        (Shape::Wrapped { item }, true) => quote!(d.opt_wrapped(#xml, #item)?),
    };
    let call = if f.optional && f.shape == Shape::Text {
        quote!(Some(#call))
    } else {
        call
    };
    quote!(#name: #call,)
}

fn field_encode(f: &FieldIr) -> TokenStream {
    let name = ident(&f.rust);
    let xml = &f.xml;
    match (&f.shape, f.optional) {
        (Shape::Attr, false) => quote!(e.attr(#xml, &self.#name);),
        (Shape::Attr, true) => quote!(e.opt_attr(#xml, &self.#name);),
        (Shape::Text, false) => quote!(e.text(&self.#name);),
        (Shape::Text, true) => quote!(if let Some(v) = &self.#name { e.text(v); }),
        (Shape::Single, false) => quote!(e.elem(#xml, &self.#name);),
        (Shape::Single, true) => quote!(e.opt_elem(#xml, &self.#name);),
        (Shape::List { json }, _) => match json {
            Some(j) => quote!(e.list(#xml, Some(#j), &self.#name);),
            None => quote!(e.list(#xml, None, &self.#name);),
        },
        (Shape::Wrapped { item }, false) => quote!(e.wrapped(#xml, #item, &self.#name);),
        (Shape::Wrapped { item }, true) => quote!(e.opt_wrapped(#xml, #item, &self.#name);),
    }
}

fn type_items(ir: &Ir, t: &TypeIr) -> TokenStream {
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
    let decodes = t.fields.iter().map(field_decode);
    let encodes = t.fields.iter().map(field_encode);
    let value_body = if t.fields.is_empty() {
        // An element with no content (`<ForDirectDownload/>`): nothing to read or write.
        quote! {
            fn from_node(_: &__rt::Node) -> ::std::result::Result<Self, __rt::DecodeError> {
                Ok(Self {})
            }
            fn to_node(&self, name: &str) -> __rt::Node {
                __rt::Encoder::new(name).finish()
            }
            fn from_xml<'a>(
                x: &mut __rt::XmlIn<'a>,
                e: __rt::XmlElem<'a>,
            ) -> ::std::result::Result<Self, __rt::DecodeError> {
                x.skip(e)?;
                Ok(Self {})
            }
        }
    } else {
        let from_xml = from_xml_body(t);
        quote! {
            fn from_node(node: &__rt::Node) -> ::std::result::Result<Self, __rt::DecodeError> {
                let d = __rt::Decoder::new(node);
                Ok(Self { #(#decodes)* })
            }
            fn to_node(&self, name: &str) -> __rt::Node {
                let mut e = __rt::Encoder::new(name);
                #(#encodes)*
                e.finish()
            }
            #from_xml
        }
    };
    let links = t.links_field().map(|f| {
        let n = ident(&f.rust);
        if f.optional {
            quote!(fn links(&self) -> Option<&__rt::Links> { self.#n.as_ref() })
        } else {
            quote!(fn links(&self) -> Option<&__rt::Links> { Some(&self.#n) })
        }
    });
    let href = t.href_field().map(|f| {
        let n = ident(&f.rust);
        if f.optional {
            quote!(fn href(&self) -> Option<&str> { self.#n.as_deref() })
        } else {
            quote!(fn href(&self) -> Option<&str> { Some(&self.#n) })
        }
    });
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
        quote!(impl #name { #wait #methods })
    };
    quote! {
        #doc
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct #name {
            #(#decls)*
        }

        impl __rt::Value for #name {
            #value_body
        }

        impl __rt::Repr for #name {
            const ROOT: &'static str = #root;
            #links
            #href
        }

        #query
        #inherent
    }
}

/// The streaming XML decoder of a type with fields: attributes first, then one pass over
/// the children, each handed to its field's type; unknown children are skipped.
fn from_xml_body(t: &TypeIr) -> TokenStream {
    let var = |f: &FieldIr| format_ident!("f_{}", f.rust.trim_start_matches("r#"));
    let mut lets = Vec::new();
    let mut attr_arms = Vec::new();
    let mut child_arms = Vec::new();
    let mut finals = Vec::new();
    let mut text_field = None;
    for f in &t.fields {
        let v = var(f);
        let xml = &f.xml;
        let name = ident(&f.rust);
        match &f.shape {
            Shape::Attr => {
                lets.push(quote!(let mut #v = None;));
                attr_arms.push(quote!(if k.eq_ignore_ascii_case(#xml) { __rt::xml_attr(&mut #v, #xml, &val)?; }));
                finals.push(if f.optional {
                    quote!(#name: #v,)
                } else {
                    quote!(#name: __rt::required(#v, #xml, true)?,)
                });
            }
            Shape::Single => {
                lets.push(quote!(let mut #v = None;));
                child_arms.push(quote!(if n.eq_ignore_ascii_case(#xml) { x.first(&mut #v, c) }));
                finals.push(if f.optional {
                    quote!(#name: #v,)
                } else {
                    quote!(#name: __rt::required(#v, #xml, false)?,)
                });
            }
            Shape::List { .. } => {
                lets.push(quote!(let mut #v = ::std::vec::Vec::new();));
                child_arms.push(quote!(if n.eq_ignore_ascii_case(#xml) { x.push(&mut #v, c) }));
                finals.push(quote!(#name: #v,));
            }
            Shape::Wrapped { item } => {
                lets.push(quote!(let mut #v = None;));
                child_arms
                    .push(quote!(if n.eq_ignore_ascii_case(#xml) { x.wrapped(&mut #v, c, #item) }));
                finals.push(if f.optional {
                    quote!(#name: #v,)
                } else {
                    quote!(#name: __rt::required(#v, #xml, false)?,)
                });
            }
            Shape::Text => {
                text_field = Some(f);
                let parse = quote!(__rt::Scalar::parse_text(if text.trim().is_empty() {
                    ""
                } else {
                    &text
                })
                .map_err(__rt::DecodeError::new)?);
                finals.push(if f.optional {
                    quote!(#name: Some(#parse),)
                } else {
                    quote!(#name: #parse,)
                });
            }
        }
    }
    let attrs = (!attr_arms.is_empty()).then(|| {
        quote! {
            for a in e.attrs() {
                let (k, val) = a?;
                #(#attr_arms)else*
            }
        }
    });
    let text_decl = text_field.map(|_| quote!(let mut text = ::std::string::String::new();));
    let text_arg = if text_field.is_some() {
        quote!(Some(&mut text))
    } else {
        quote!(None)
    };
    let walk = if child_arms.is_empty() && text_field.is_none() {
        quote!(x.skip(e)?;)
    } else {
        quote! {
            x.children(e, #text_arg, |x, c| {
                let n = c.name();
                #(#child_arms else)* { x.skip(c) }
            })?;
        }
    };
    quote! {
        fn from_xml<'a>(
            x: &mut __rt::XmlIn<'a>,
            e: __rt::XmlElem<'a>,
        ) -> ::std::result::Result<Self, __rt::DecodeError> {
            #(#lets)*
            #text_decl
            #attrs
            #walk
            Ok(Self { #(#finals)* })
        }
    }
}

/// The static `Op` describing an operation of type `owner`.
fn op_static(owner: &str, op: &OpIr) -> TokenStream {
    let opt = |o: &Option<String>| match o {
        Some(s) => quote!(Some(#s)),
        None => quote!(None),
    };
    let rel = &op.rel;
    let lt = opt(&op.link_type);
    let ln = opt(&op.link_name);
    let method = &op.method;
    let verb = match op.verb {
        Verb::Get => quote!(__rt::Verb::Get),
        Verb::Post => quote!(__rt::Verb::Post),
        Verb::Put => quote!(__rt::Verb::Put),
        Verb::Delete => quote!(__rt::Verb::Delete),
    };
    let action = opt(&op.action);
    let query = opt(&op.query);
    let path = &op.path;
    let request = opt(&op.body);
    let response = match &op.returns {
        Returns::Nothing => quote!(None),
        Returns::Bytes => quote!(Some("bytes")),
        Returns::Type(t) => quote!(Some(#t)),
    };
    let status = &op.status;
    let task = op.task;
    quote! {
        static OP: __rt::Op = __rt::Op {
            owner: #owner, rel: #rel, link_type: #lt, link_name: #ln, method: #method,
            verb: #verb, action: #action, query: #query, path: #path, request: #request,
            response: #response, status: &[#(#status),*], task: #task,
        };
    }
}

fn op_doc(op: &OpIr) -> TokenStream {
    let mut lines = vec![format!(
        " `{} {}` — follows the `{}` link{}.",
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
    lines.push(String::new());
    lines.push(match (&op.returns, op.task) {
        (Returns::Type(t), true) => format!(
            " Returns the [`{t}`] the server started; `.wait(&em)` on it waits for the end."
        ),
        (Returns::Type(t), false) => format!(" Returns [`{t}`]."),
        (Returns::Bytes, _) => " Returns the raw content.".to_string(),
        (Returns::Nothing, _) => " Returns nothing on success.".to_string(),
    });
    lines.push(String::new());
    lines.push(
        " Fails with `LinkNotOffered` when the representation does not carry the link.".to_string(),
    );
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
    let methods = t.ops.iter().map(|op| {
        let m = ident(&op.method);
        let st = op_static(&t.name, op);
        let doc = op_doc(op);
        let ret = ret_ty(op, prefix);
        let (arg, body) = match &op.body {
            Some(b) => {
                let bt = ident(b);
                (
                    quote!(, body: &#prefix #bt),
                    quote!(Some(body as &dyn __rt::Body)),
                )
            }
            None => (TokenStream::new(), quote!(None)),
        };
        quote! {
            #doc
            pub async fn #m(&self, em: &#session #arg) -> __rt::Result<#ret> {
                #st
                let links = __rt::AsLinks::as_links(&#links);
                __rt::call(em, &links, &OP, #body).await
            }
        }
    });
    quote!(#(#methods)*)
}

fn session_trait(ir: &Ir) -> TokenStream {
    let Some(t) = ir.type_named(&ir.api.session) else {
        return TokenStream::new();
    };
    let sigs: Vec<TokenStream> = t
        .ops
        .iter()
        .map(|op| {
            let m = ident(&op.method);
            let doc = op_doc(op);
            let ret = ret_ty(op, &TokenStream::new());
            let arg = match &op.body {
                Some(b) => {
                    let bt = ident(b);
                    quote!(, body: &#bt)
                }
                None => TokenStream::new(),
            };
            quote! {
                #doc
                fn #m(&self #arg) -> impl __rt::Future<Output = __rt::Result<#ret>> + Send
            }
        })
        .collect();
    let impls = t.ops.iter().zip(&sigs).map(|(op, sig)| {
        let st = op_static(&t.name, op);
        let body = if op.body.is_some() {
            quote!(Some(body as &dyn __rt::Body))
        } else {
            quote!(None)
        };
        quote! {
            #sig {
                async move {
                    #st
                    __rt::call(self, self.links(), &OP, #body).await
                }
            }
        }
    });
    let doc = format!(
        " Operations of the logon session (`{}`): the API's entry-point collections, available directly on a [`Session`].",
        t.name
    );
    quote! {
        #[doc = #doc]
        pub trait SessionOps {
            #(#sigs;)*
        }

        impl SessionOps for Session {
            #(#impls)*
        }
    }
}
