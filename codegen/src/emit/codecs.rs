//! Codecs: the field tables (`FieldDef`) and the `Record` impls that make a struct decode and
//! encode itself through the runtime, for generated types and derived structs alike.

#[allow(unused_imports)]
use super::*;

/// The codec's description of a field (`__rt::FieldDef::…`); `api` is the path of the
/// spec's `Api` marker (links fields read the API's link form from it).
pub(super) fn field_def(f: &FieldIr, api: &TokenStream) -> TokenStream {
    let xml = &f.xml;
    let req = !f.optional;
    let link_def = quote!(&<#api as __rt::Api>::INFO.links);
    match (&f.ty, &f.shape) {
        (Ty::Links, Shape::List { json }) => {
            let j = json.as_deref().unwrap_or(xml);
            return quote!(__rt::FieldDef::links_inline(#link_def, #j));
        }
        (Ty::Links, _) => return quote!(__rt::FieldDef::links(#xml, #link_def, #req)),
        (Ty::Link, _) => return quote!(__rt::FieldDef::link(#xml, #link_def, #req)),
        _ => {}
    }
    match &f.shape {
        Shape::Attr if f.interned => {
            quote!(__rt::FieldDef::attr(#xml, #req).with_names(<#api>::LINK_NAME_SET))
        }
        Shape::Attr => quote!(__rt::FieldDef::attr(#xml, #req)),
        Shape::Text => quote!(__rt::FieldDef::text(<#api as __rt::Api>::INFO.json_text, #req)),
        Shape::Single => quote!(__rt::FieldDef::elem(#xml, #req)),
        Shape::List { json } => {
            let j = json.as_deref().unwrap_or(xml);
            quote!(__rt::FieldDef::list(#xml, #j))
        }
        Shape::Wrapped { item, .. } => {
            // A list of scalars is a bare JSON array; a list of representations keeps its
            // wrapper object with the items under the plural of the item name.
            let inner = f.json_items().unwrap_or_default();
            quote!(__rt::FieldDef::wrapped(#xml, #item, #inner, #req))
        }
    }
}

/// The `Fields` and `Record` impls of a type named `name` whose fields are `fields` (the
/// whole type, or the subset a derive declares) stored in the Rust fields `rust`, each with
/// whether it reads as a name (a representation's own `Type`, see `FieldIr::interned`).
pub fn record_impls(
    ty: &TokenStream,
    root: &str,
    defs: &TokenStream,
    rust: &[(Ident, bool)],
    unknown: &Ident,
    links: Option<usize>,
    href: Option<usize>,
) -> TokenStream {
    let idx: Vec<usize> = (0..rust.len()).collect();
    // A name-like field (the representation's own `Type`) reads through its names table.
    let places = rust.iter().map(|(r, named)| {
        if *named {
            quote!(__rt::__private::NameField::name_slot(&raw mut (*this).#r))
        } else {
            quote!(&raw mut (*this).#r)
        }
    });
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
                unsafe { match i { #(#idx => #places,)* _ => &raw mut (*this).#unknown } }
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
    let api = quote!(#prefix Api);
    let defs = chosen.iter().map(|(i, _)| field_def(&t.fields[*i], &api));
    // The user's field types are their own: each reads as its type reads.
    let rust: Vec<(Ident, bool)> = chosen.iter().map(|(_, r)| (r.clone(), false)).collect();
    let links = chosen.iter().position(|(i, _)| t.fields[*i].is_links());
    let href = chosen.iter().position(|(i, _)| t.href == Some(*i));
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
