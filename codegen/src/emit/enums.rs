//! Spec enums: a Rust enum per `[enums.*]`, keeping any value it does not know.

#[allow(unused_imports)]
use super::*;

pub(super) fn enum_items(e: &EnumIr) -> TokenStream {
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
                let text = __rt::trim_value(text);
                Ok(match __rt::enum_index(text, Self::VALUES) {
                    #(Some(#idx) => Self::#variants,)*
                    _ => Self::Other(text.to_string()),
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
