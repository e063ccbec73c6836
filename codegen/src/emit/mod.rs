//! Token emission: the IR becomes Rust items that call the runtime through one hidden path.
//! One module per shape of item: the API's own items, enums, representation structs, their
//! codecs, and their operations.

mod api;
mod codecs;
mod enums;
mod operations;
mod types;

#[allow(unused_imports)]
use self::{api::*, codecs::*, enums::*, operations::*, types::*};
pub use codecs::{derived_record, record_impls};
pub use operations::type_methods;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{ActionsIr, EnumIr, FieldIr, Ir, OpIr, ParamTy, Returns, Shape, Ty, TypeIr, Verb};
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
        Ty::String => quote!(__rt::SharedStr),
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
            .map(|f| field_def(f, &quote!(Api)).to_string())
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
    let task_alias = ir.type_named(&ir.api.task.type_).map(|t| {
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
    // The types held boxed somewhere (large optional blocks) read and write through the box.
    let mut boxed: Vec<&str> = ir
        .types
        .iter()
        .flat_map(|t| &t.fields)
        .filter(|f| f.boxed)
        .filter_map(|f| match &f.ty {
            Ty::Type(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    boxed.sort_unstable();
    boxed.dedup();
    let boxed = (!boxed.is_empty()).then(|| {
        let names = boxed.iter().map(|n| ident(n));
        quote!(__rt::boxed_record!(#(#names),*);)
    });
    quote! {
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub use #rt::__private as __rt;
        #api
        #op_table
        #(#enums)*
        #(#types)*
        #boxed
        #session
    }
}
