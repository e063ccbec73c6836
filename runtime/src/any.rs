//! Representations handled without knowing their type at compile time: what generic tools
//! (`vem decode`, a strict check, a crawler) use to decode any document of a spec.

use crate::codec::{FieldDef, Fields, Kind};
use crate::json::Casing;
use crate::node::Node;
use crate::query::{DynItems, Queryable};
use crate::repr::{DecodeError, Repr};
use crate::wire::Body;

/// A decoded representation of any type.
pub trait AnyRepr: Send + Sync {
    /// The type's root element.
    fn root(&self) -> &'static str;
    /// The value as an XML document in `namespace`.
    fn to_xml(&self, namespace: &str) -> String;
    /// The value as a JSON document in the server's shape (text kept from XML under
    /// `text_member`, the API's JSON text member).
    fn to_json(&self, casing: Casing, text_member: &'static str) -> String;
    /// The value as a tree (for display).
    fn to_tree(&self) -> Node;
    /// Paths of everything no typed field took, at any depth (`Job/JobInfo/@Extra`).
    fn unknown_paths(&self) -> Vec<String>;
    /// The value as a request body.
    fn as_body(&self) -> &dyn Body;
}

impl<T: Repr + Send + Sync> AnyRepr for T {
    fn root(&self) -> &'static str {
        T::ROOT
    }
    fn to_xml(&self, namespace: &str) -> String {
        crate::encode_xml(self, namespace)
    }
    fn to_json(&self, casing: Casing, text_member: &'static str) -> String {
        crate::json::encode_json_with(self, casing, text_member)
    }
    fn to_tree(&self) -> Node {
        crate::to_node(self, T::ROOT)
    }
    fn unknown_paths(&self) -> Vec<String> {
        slot_unknown_paths(self, T::ROOT)
    }
    fn as_body(&self) -> &dyn Body {
        self
    }
}

/// Collects the unknown paths of `r` (named `path`) and of every record inside it.
pub(crate) fn walk(r: &dyn Fields, fields: &[FieldDef], path: &str, out: &mut Vec<String>) {
    for p in r.kept().paths() {
        out.push(format!("{path}/{p}"));
    }
    for (i, f) in fields.iter().enumerate() {
        if matches!(f.kind, Kind::Attr | Kind::Text) {
            continue;
        }
        let name = if f.kind == Kind::Wrapped {
            format!("{path}/{}/{}", f.name, f.item)
        } else {
            format!("{path}/{}", f.name)
        };
        r.get(i)
            .each_record(&mut |child, child_fields| walk(child, child_fields, &name, out));
    }
}

/// Decodes `bytes` (JSON when `json`, else XML) as `T`, boxed.
pub fn decode_any<T: Repr + Send + Sync + 'static>(
    bytes: &[u8],
    json: bool,
) -> Result<Box<dyn AnyRepr>, DecodeError> {
    let v: T = if json {
        crate::decode_json(bytes)?
    } else {
        crate::decode_xml(bytes)?
    };
    Ok(Box::new(v))
}

/// Paths of the content of `value` that no typed field took.
pub fn unknown_paths<T: Repr>(value: &T) -> Vec<String> {
    slot_unknown_paths(value, T::ROOT)
}

/// Paths of the content that no typed field took, in the record `slot` holds (named `root`).
pub(crate) fn slot_unknown_paths(slot: &dyn crate::Slot, root: &str) -> Vec<String> {
    let mut out = Vec::new();
    slot.each_record(&mut |r, fields| walk(r, fields, root, &mut out));
    out
}

/// A decoder of one type: document bytes (JSON when the flag is set, else XML) to a value.
pub type DecodeAny = fn(&[u8], bool) -> Result<Box<dyn AnyRepr>, DecodeError>;

/// One type of a generated client, for tools that work by type name (`vem decode`, a
/// crawler): the generated `TYPES` table lists every type of the spec.
#[derive(Clone, Copy)]
pub struct TypeEntry {
    /// Spec (and Rust) name.
    pub name: &'static str,
    /// XML root element.
    pub root: &'static str,
    /// Documented URL form, `{ID}` for ids.
    pub path: Option<&'static str>,
    /// Query-service type name, when queryable.
    pub query: Option<&'static str>,
    /// First line of the type's documentation (empty when it has none).
    pub doc: &'static str,
    /// Decodes a document (JSON when the flag is set, else XML) as this type.
    pub decode: DecodeAny,
    /// A default value of this type.
    pub default: fn() -> Box<dyn AnyRepr>,
    /// What a query over this type decodes its items with, when queryable (see
    /// [`crate::Session::query_dyn`]).
    pub items: Option<DynItems>,
}

impl TypeEntry {
    /// The entry of `T`, a type the query service does not return; `doc` is the first
    /// line of its documentation.
    pub const fn of<T: Repr + Default + Send + Sync + 'static>(
        name: &'static str,
        path: Option<&'static str>,
        doc: &'static str,
    ) -> Self {
        TypeEntry {
            name,
            root: T::ROOT,
            path,
            query: None,
            doc,
            decode: decode_any::<T>,
            default: default_any::<T>,
            items: None,
        }
    }

    /// The entry of the queryable type `T`, with the decoders a query over it chosen at
    /// run time reads its items with.
    pub const fn queryable<T>(
        name: &'static str,
        path: Option<&'static str>,
        doc: &'static str,
    ) -> Self
    where
        T: Queryable + Default + Send + Sync + 'static,
        T::Reference: Sync + 'static,
    {
        let items = DynItems::of::<T>();
        TypeEntry {
            query: Some(items.query_type),
            items: Some(items),
            ..TypeEntry::of::<T>(name, path, doc)
        }
    }
}

impl std::fmt::Debug for TypeEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeEntry")
            .field("name", &self.name)
            .field("root", &self.root)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("doc", &self.doc)
            .finish_non_exhaustive()
    }
}

fn default_any<T: Repr + Default + Send + Sync + 'static>() -> Box<dyn AnyRepr> {
    Box::new(T::default())
}

/// A value of any type is a request body of that type.
impl Body for Box<dyn AnyRepr> {
    fn body_root(&self) -> &'static str {
        self.root()
    }
    fn write_body(&self, out: &mut dyn crate::Out) {
        self.as_body().write_body(out);
    }
}
