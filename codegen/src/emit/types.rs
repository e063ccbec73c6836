//! Representation structs: one per `[types.*]`, with their field declarations, query
//! constants, inherent operation methods and the structs of their query arguments.

#[allow(unused_imports)]
use super::*;

pub(super) fn field_decl(f: &FieldIr) -> TokenStream {
    let name = ident(&f.rust);
    let base = value_ty(&f.ty, &TokenStream::new());
    let ty = match (&f.shape, f.optional) {
        // Repeated link elements are one list of links.
        (Shape::List { .. }, _) if f.ty == Ty::Links => quote!(::std::option::Option<#base>),
        (Shape::List { .. }, _) => quote!(::std::vec::Vec<#base>),
        (Shape::Wrapped { .. }, true) => quote!(::std::option::Option<::std::vec::Vec<#base>>),
        (Shape::Wrapped { .. }, false) => quote!(::std::vec::Vec<#base>),
        (_, true) if f.boxed => quote!(::std::option::Option<::std::boxed::Box<#base>>),
        (_, true) => quote!(::std::option::Option<#base>),
        (_, false) => base,
    };
    let what = match &f.shape {
        Shape::Attr if f.interned => format!(
            " Attribute `{}`, borrowed from `Api::LINK_NAMES` when it is one of its names.",
            f.xml
        ),
        Shape::Attr => format!(" Attribute `{}`.", f.xml),
        Shape::Text => " Character data of the element.".to_string(),
        Shape::List { .. } => format!(" Repeated element `{}`.", f.xml),
        Shape::Wrapped { item, .. } => format!(" List `{}` of `{item}` elements.", f.xml),
        Shape::Single if f.boxed => format!(" Element `{}` (a large block: boxed).", f.xml),
        Shape::Single => format!(" Element `{}`.", f.xml),
    };
    let doc = match &f.doc {
        Some(d) => format!("{what} {d}"),
        None => what,
    };
    quote!(#[doc = #doc] pub #name: #ty,)
}

/// The Rust name of the field keeping unknown content (`unknown`, unless the spec took it).
pub(super) fn unknown_field(t: &TypeIr) -> Ident {
    let mut name = "unknown".to_string();
    while t.fields.iter().any(|f| f.rust == name) {
        name.push('_');
    }
    ident(&name)
}

pub(super) fn type_items(ir: &Ir, t: &TypeIr, shared: Option<&str>) -> TokenStream {
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
            let defs = t.fields.iter().map(|f| field_def(f, &quote!(Api)));
            quote!(&[#(#defs),*])
        }
    };
    let rust: Vec<(Ident, bool)> = t
        .fields
        .iter()
        .map(|f| (ident(&f.rust), f.interned))
        .collect();
    let links = t.fields.iter().position(FieldIr::is_links);
    let href = t.href;
    let record = record_impls(&quote!(#name), root, &defs, &rust, &unknown, links, href);
    let query = t.query.as_ref().map(|q| {
        let qn = &q.name;
        let plural = &q.plural;
        let reference = ident(&ir.api.query.reference);
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
    // Operations follow the links, or — a reference that is only a URL — that URL.
    let methods = match t
        .links_field()
        .or(t.href_field().filter(|_| !t.ops.is_empty()))
    {
        Some(f) => {
            let n = ident(&f.rust);
            type_methods(t, &quote!(self.#n), &TokenStream::new(), &quote!(Session))
        }
        None => TokenStream::new(),
    };
    let wait = (t.name == ir.api.task.type_).then(|| {
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
pub(super) fn args_struct(t: &TypeIr, op: &OpIr) -> TokenStream {
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
