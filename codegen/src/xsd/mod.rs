//! XML Schema (XSD) support: read a schema into a small model ([`model`]), view its complex
//! types as spec fields ([`fields`]), print them as spec TOML ([`import`]), and compare a
//! spec with the schema ([`compare`]).
//!
//! Covered: global elements, named and anonymous complex types, `xs:sequence`, `xs:choice`
//! and `xs:all` (nested, with `minOccurs`/`maxOccurs`), `xs:complexContent/xs:extension`
//! (base type first), `xs:simpleContent/xs:extension` (text + attributes), attributes with
//! `use`, simple types restricting builtins or each other, enumerations. Everything else
//! (`xs:any`, `ref=`, groups, restrictions of complex types, patterns, imports) is reported
//! as a [`Note`] with its line.

pub mod compare;
pub mod complete;
pub mod fields;
pub mod import;
pub mod model;
pub mod tree;

pub use fields::{FieldKind, FieldType, XField};
pub use import::{import, Import, Names};
pub use model::{Note, Schema};

/// Parses schema source text.
pub fn parse_schema(src: &str) -> Result<Schema, Note> {
    let root = tree::parse_tree(src).map_err(|e| Note {
        line: e.line,
        message: e.message,
    })?;
    Schema::from_tree(&root)
}

#[cfg(test)]
mod tests;
