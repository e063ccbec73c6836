//! Procedural macros of emrest, a thin layer over `emrest-codegen`.
//!
//! - [`generate_client!`] generates the whole client of a spec file.
//! - [`derive(Resource)`](derive_resource) adds the typed action methods a spec gives one type
//!   to a user's own struct.
//! - [`default_resource_spec!`] names, in a client crate, the spec that `#[derive(Resource)]`
//!   without `spec = …` uses: this crate embeds no spec and knows no product.

use std::path::PathBuf;
use std::sync::OnceLock;

use emrest_codegen::{Diagnostics, EmitOptions, Ir};
use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitStr};

/// Generates the typed client of a spec: `generate_client!("spec/em.toml");`
///
/// The path is relative to the invoking crate's `CARGO_MANIFEST_DIR`; cargo rebuilds when the
/// file changes. Invoke it once, at a crate or module root: it emits the representation
/// types, enums, action methods, `Api`, `Client`, `Session` and the `SessionOps` trait.
///
/// Every spec error becomes a `compile_error!` on the path literal, with the TOML location
/// (`PATH:LINE:COL`) in the message; stub items are still emitted so that code using the
/// client does not drown in follow-on errors.
#[proc_macro]
pub fn generate_client(input: TokenStream) -> TokenStream {
    let lit = parse_macro_input!(input as LitStr);
    let rel = lit.value();
    let path = resolve(&rel, lit.span());
    let src = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!(
                "cannot read spec file `{rel}` (looked relative to CARGO_MANIFEST_DIR and to this source file): {}",
                io_reason(&e)
            );
            return quote_spanned!(lit.span()=> compile_error!(#msg);).into();
        }
    };
    let abs = path.display().to_string();
    // Makes cargo rebuild the invoking crate when the spec changes.
    let track = quote!(
        const _: &str = include_str!(#abs);
    );
    match emrest_codegen::load_str(&src, &rel) {
        Ok(ir) => {
            let code = emrest_codegen::generate(&ir, &EmitOptions::default());
            quote!(#track #code).into()
        }
        Err(diags) => {
            let errors = errors_at(&diags, lit.span());
            let stubs = stubs(&src);
            quote!(#track #errors #stubs).into()
        }
    }
}

/// Adds the action methods that the spec gives a type to a user's own struct.
///
/// ```ignore
/// #[derive(emrest::Resource)]
/// #[resource(type = "Job")]           // optional: spec = "my.toml", client = "crate::api"
/// struct MyJob {
///     #[resource(links)]
///     links: emrest::Links,
///     name: String,
/// }
/// // now: my_job.start(&em).await?
/// ```
///
/// `spec` is relative to `CARGO_MANIFEST_DIR`. Without it, the spec is the one the `emrest`
/// crate names with [`default_resource_spec!`] (its EM spec) and `client` defaults to
/// `::emrest`. With a custom spec, `client` defaults to `crate` (the module where
/// `generate_client!` was invoked on the same spec).
#[proc_macro_derive(Resource, attributes(resource))]
pub fn derive_resource(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match derive(&input, None) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// A spec path relative to `CARGO_MANIFEST_DIR`; when no file is there, relative to the
/// directory of the source file that names it (useful for examples and UI tests).
fn resolve(rel: &str, span: Span) -> PathBuf {
    let from_manifest = manifest_dir().join(rel);
    if from_manifest.exists() {
        return from_manifest;
    }
    span.unwrap()
        .local_file()
        .and_then(|f| f.parent().map(|d| d.join(rel)))
        .filter(|p| p.exists())
        .unwrap_or(from_manifest)
}

/// The reason of an I/O error without the OS error number (stable across platforms).
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn errors_at(diags: &Diagnostics, span: Span) -> TokenStream2 {
    let msgs = diags.items.iter().map(|d| diags.render_one(d));
    quote_spanned!(span=> #(compile_error!(#msgs);)*)
}

/// Empty items named after the spec's types and enums, plus the API aliases, so that code
/// using a client whose spec has an error sees one error, not hundreds.
fn stubs(src: &str) -> TokenStream2 {
    let Ok(table) = src.parse::<toml::Table>() else {
        return TokenStream2::new();
    };
    let names = |key: &str| -> Vec<proc_macro2::Ident> {
        table
            .get(key)
            .and_then(|v| v.as_table())
            .map(|t| {
                t.keys()
                    .filter(|k| emrest_codegen::names::is_ident(k))
                    .map(|k| proc_macro2::Ident::new(k, Span::call_site()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let types = names("types");
    let enums = names("enums");
    quote! {
        #(#[allow(dead_code)] #[derive(Debug, Clone, Default)] pub struct #types;)*
        #(#[allow(dead_code)] #[derive(Debug, Clone, Default)] pub struct #enums;)*
        #[allow(dead_code)] pub struct Api;
        #[allow(dead_code)] pub struct Client;
        #[allow(dead_code)] pub struct Session;
    }
}

/// A spec loaded once per path for every derive in one compilation.
fn cached_ir(path: &std::path::Path) -> Result<&'static Ir, String> {
    type Cache = std::sync::Mutex<Vec<(PathBuf, Result<&'static Ir, String>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // A poisoned cache only means another derive panicked; its entries are still whole.
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, ir)) = cache.iter().find(|(p, _)| p == path) {
        return ir.clone();
    }
    let ir = match std::fs::read_to_string(path) {
        Ok(src) => emrest_codegen::load_str(&src, &path.display().to_string())
            .map(|ir| &*Box::leak(Box::new(ir)))
            .map_err(|d| d.to_string()),
        Err(e) => Err(format!(
            "cannot read the default spec `{}`: {}",
            path.display(),
            io_reason(&e)
        )),
    };
    cache.push((path.to_path_buf(), ir.clone()));
    ir
}

/// Names the spec that `#[derive(Resource)]` without `spec = …` uses, for the crate that
/// invokes it (a generated client such as `emrest`): `default_resource_spec!("../spec/em.toml");`
/// at the crate root, next to `generate_client!` on the same file. The path is resolved as
/// `generate_client!` resolves it. Derives in other crates then name this crate as their
/// client (`client = …` still overrides it).
///
/// It defines the hidden `__resource_default!` macro of the invoking crate, which hands the
/// derive input back to this crate with the spec's absolute path.
#[proc_macro]
pub fn default_resource_spec(input: TokenStream) -> TokenStream {
    let lit = parse_macro_input!(input as LitStr);
    let path = resolve(&lit.value(), lit.span());
    if !path.exists() {
        let msg = format!("cannot read spec file `{}`: no such file", lit.value());
        return quote_spanned!(lit.span()=> compile_error!(#msg);).into();
    }
    let abs = path.display().to_string();
    quote! {
        #[doc(hidden)]
        #[macro_export]
        macro_rules! __resource_default {
            ($($input:tt)*) => {
                $crate::__derive_resource_with! { #abs, $crate; $($input)* }
            };
        }
    }
    .into()
}

/// The second half of a `#[derive(Resource)]` without `spec = …`: the spec's absolute path
/// and the client crate (from `__resource_default!`), then the derive input.
#[doc(hidden)]
#[proc_macro]
pub fn __derive_resource_with(input: TokenStream) -> TokenStream {
    let parsed = syn::parse::Parser::parse(
        |s: syn::parse::ParseStream| {
            let spec: LitStr = s.parse()?;
            s.parse::<syn::Token![,]>()?;
            let client: syn::Path = syn::Path::parse_mod_style(s)?;
            s.parse::<syn::Token![;]>()?;
            let input: DeriveInput = s.parse()?;
            Ok((spec, client, input))
        },
        input,
    );
    let (spec, client, input) = match parsed {
        Ok(p) => p,
        Err(e) => return e.to_compile_error().into(),
    };
    let default = DefaultSpec {
        path: PathBuf::from(spec.value()),
        client,
    };
    match derive(&input, Some(&default)) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The spec and client a derive without `spec = …` uses.
struct DefaultSpec {
    path: PathBuf,
    client: syn::Path,
}

struct ResourceArgs {
    type_: Option<LitStr>,
    spec: Option<LitStr>,
    client: Option<syn::Path>,
}

fn container_args(input: &DeriveInput) -> syn::Result<ResourceArgs> {
    let mut args = ResourceArgs {
        type_: None,
        spec: None,
        client: None,
    };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("resource")) {
        attr.parse_nested_meta(|m| {
            if m.path.is_ident("type") {
                args.type_ = Some(m.value()?.parse()?);
            } else if m.path.is_ident("spec") {
                args.spec = Some(m.value()?.parse()?);
            } else if m.path.is_ident("client") {
                let lit: LitStr = m.value()?.parse()?;
                args.client = Some(lit.parse()?);
            } else {
                return Err(m.error("expected `type = \"…\"`, `spec = \"…\"` or `client = \"…\"`"));
            }
            Ok(())
        })?;
    }
    Ok(args)
}

/// What the struct's fields are for the derive.
struct FieldRoles {
    /// The field holding the links.
    links: Option<syn::Ident>,
    /// The field keeping unknown content (makes the struct a representation).
    unknown: Option<syn::Ident>,
    /// Every other field, with the spec name it was given (`#[resource(name = "…")]`).
    data: Vec<(syn::Ident, Option<LitStr>)>,
}

fn field_roles(input: &DeriveInput) -> syn::Result<FieldRoles> {
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => Some(fields),
            _ => None,
        },
        _ => None,
    };
    let Some(fields) = named else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(Resource)] works on structs with named fields only",
        ));
    };
    let mut roles = FieldRoles {
        links: None,
        unknown: None,
        data: Vec::new(),
    };
    for f in &fields.named {
        let mut role = None;
        let mut name = None;
        for attr in f.attrs.iter().filter(|a| a.path().is_ident("resource")) {
            attr.parse_nested_meta(|m| {
                if m.path.is_ident("links") {
                    if roles.links.is_some() {
                        return Err(m.error("only one field can hold the links"));
                    }
                    role = Some("links");
                    Ok(())
                } else if m.path.is_ident("unknown") {
                    if roles.unknown.is_some() {
                        return Err(m.error("only one field can keep the unknown content"));
                    }
                    role = Some("unknown");
                    Ok(())
                } else if m.path.is_ident("name") {
                    name = Some(m.value()?.parse::<LitStr>()?);
                    Ok(())
                } else {
                    Err(m.error(
                        "expected `#[resource(links)]`, `#[resource(unknown)]` or `#[resource(name = \"…\")]`",
                    ))
                }
            })?;
        }
        let Some(id) = f.ident.clone() else { continue };
        match role {
            Some("links") => roles.links = Some(id),
            Some(_) => roles.unknown = Some(id),
            None => roles.data.push((id, name)),
        }
    }
    Ok(roles)
}

fn derive(input: &DeriveInput, default: Option<&DefaultSpec>) -> syn::Result<TokenStream2> {
    let args = container_args(input)?;
    let roles = field_roles(input)?;
    let links = roles.links.clone();
    let Some(type_lit) = args.type_ else {
        return Err(syn::Error::new(
            input.ident.span(),
            "missing `#[resource(type = \"…\")]`: name the spec type whose actions this struct gets",
        ));
    };
    let owned;
    let ir: &Ir = match (&args.spec, default) {
        // No spec named: the client crate's default, which that crate's
        // `__resource_default!` hands back with its spec (see `default_resource_spec!`).
        (None, None) => {
            // `client = …` stays among the attributes handed back and still wins there.
            let item = callback_item(input);
            return Ok(quote_spanned! {input.ident.span()=>
                ::emrest::__resource_default! { #item }
            });
        }
        (None, Some(d)) => cached_ir(&d.path).map_err(|e| syn::Error::new(type_lit.span(), e))?,
        (Some(spec), _) => {
            let path = resolve(&spec.value(), spec.span());
            let src = std::fs::read_to_string(&path).map_err(|e| {
                syn::Error::new(
                    spec.span(),
                    format!(
                        "cannot read spec file `{}` (looked relative to CARGO_MANIFEST_DIR and to this source file): {}",
                        spec.value(),
                        io_reason(&e)
                    ),
                )
            })?;
            owned = emrest_codegen::load_str(&src, &spec.value())
                .map_err(|d| syn::Error::new(spec.span(), d.to_string()))?;
            &owned
        }
    };
    let tname = type_lit.value();
    let Some(t) = ir.type_named(&tname) else {
        let mut near: Vec<&str> = ir
            .types
            .iter()
            .map(|t| t.name.as_str())
            .filter(|n| n.to_ascii_lowercase().contains(&tname.to_ascii_lowercase()))
            .collect();
        near.truncate(5);
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!("; similar: {}", near.join(", "))
        };
        return Err(syn::Error::new(
            type_lit.span(),
            format!("the spec has no type `{tname}`{hint}"),
        ));
    };
    let Some(links) = links else {
        return Err(syn::Error::new(
            input.ident.span(),
            format!(
                "mark the field that holds the links with `#[resource(links)]` (a `Links` or `Option<Links>`): the actions of `{tname}` follow them"
            ),
        ));
    };
    let client = match (&args.client, &args.spec, default) {
        (Some(p), _, _) => quote!(#p),
        (None, None, Some(d)) => {
            let p = &d.client;
            quote!(#p)
        }
        (None, _, _) => quote!(crate),
    };
    let name = &input.ident;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    let prefix = quote!(#client::);
    let methods =
        emrest_codegen::type_methods(t, &quote!(self.#links), &prefix, &quote!(#client::Session));
    let span = input.ident.span();
    // With a field keeping unknown content, the struct is a representation of the type:
    // its declared fields are read and written by name, everything else is kept.
    let record = match &roles.unknown {
        None => TokenStream2::new(),
        Some(unknown) => {
            if !input.generics.params.is_empty() {
                return Err(syn::Error::new(
                    input.generics.span(),
                    "a #[derive(Resource)] representation cannot be generic",
                ));
            }
            let Some(links_at) = t.fields.iter().position(|f| {
                matches!(f.ty, emrest_codegen::ir::Ty::Links)
                    && matches!(f.shape, emrest_codegen::ir::Shape::Single)
            }) else {
                return Err(syn::Error::new(
                    links.span(),
                    format!("`{tname}` has no links field"),
                ));
            };
            let mut chosen = vec![(links_at, links.clone())];
            for (id, given) in &roles.data {
                chosen.push((spec_field(t, id, given.as_ref())?, id.clone()));
            }
            emrest_codegen::derived_record(t, &prefix, &quote!(#name), &chosen, unknown)
        }
    };
    Ok(quote_spanned! {span=>
        const _: () = {
            use #client::__rt;
            impl #impl_g #name #ty_g #where_g {
                #methods
            }
            #record
        };
    })
}

/// The derive input as handed to the callback: the struct with only its `#[resource(...)]`
/// attributes (the callback emits impls only, never the struct).
fn callback_item(input: &DeriveInput) -> TokenStream2 {
    let mut item = input.clone();
    item.attrs.retain(|a| a.path().is_ident("resource"));
    quote!(#item)
}

/// The index of the spec field a struct field stands for: by `#[resource(name = "…")]`
/// (element or attribute name, case-insensitive), else by Rust name.
fn spec_field(
    t: &emrest_codegen::ir::TypeIr,
    id: &syn::Ident,
    given: Option<&LitStr>,
) -> syn::Result<usize> {
    let found = match given {
        Some(n) => t
            .fields
            .iter()
            .position(|f| f.xml.eq_ignore_ascii_case(&n.value())),
        None => {
            let r = id.to_string();
            let r = r.trim_start_matches("r#");
            t.fields
                .iter()
                .position(|f| f.rust.trim_start_matches("r#") == r || f.xml.eq_ignore_ascii_case(r))
        }
    };
    found.ok_or_else(|| {
        let names: Vec<&str> = t.fields.iter().map(|f| f.rust.as_str()).collect();
        syn::Error::new(
            given.map_or(id.span(), |g| g.span()),
            format!(
                "`{}` has no field `{}`; its fields: {} (or name one with `#[resource(name = \"…\")]`)",
                t.name,
                given.map_or(id.to_string(), |g| g.value()),
                names.join(", ")
            ),
        )
    })
}
