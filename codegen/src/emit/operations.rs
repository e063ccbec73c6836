//! Operations: the per-type `Op` constants, the action methods that follow them, and the
//! `SessionOps` trait of the logon session.

#[allow(unused_imports)]
use super::*;

/// The name of the constant describing operation `op` (`OP_START`).
pub(super) fn op_const_name(op: &OpIr) -> Ident {
    format_ident!("OP_{}", names::screaming(&op.method))
}

/// The constant `Op` describing an operation of type `owner`: the required parts, then
/// only what differs from the defaults (so most fit in a few lines).
pub(super) fn op_const(owner: &str, op: &OpIr) -> TokenStream {
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
    add("media", &op.media);
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

pub(super) fn op_doc(op: &OpIr) -> TokenStream {
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

pub(super) fn ret_ty(op: &OpIr, prefix: &TokenStream) -> TokenStream {
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

pub(super) fn session_trait(ir: &Ir) -> TokenStream {
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
