//! What `vem` knows about the spec, all read from the generated client's own tables: every
//! operation, every type (with its decoder and, when queryable, its query), the task type.

use emrest::runtime::{AnyRepr, Body, DecodeError, Op};

use crate::error::{CliError, Result};

/// A type of the spec: the generated client's own entry (name, root, URL form, query name,
/// first doc line, decoders).
pub type TypeInfo = emrest::runtime::TypeEntry;

/// Every type of the spec, in spec order: the generated client's own table.
pub static TYPES: &[TypeInfo] = emrest::TYPES;

/// The spec's task representation, as the generated client names it.
pub type TaskRepr = emrest::TaskRepr;

pub use crate::query::run_query;

/// Every operation of the spec, in spec order: the generated client's own table.
pub static OPS: &[&Op] = emrest::OPERATIONS;

/// The methods table of the spec, one tab-separated line per operation (type rel method
/// verb path request response mode), as `emrest-codegen methods` prints it; built from
/// [`OPS`].
pub static METHODS_TSV: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    OPS.iter()
        .map(|o| {
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                o.owner,
                o.rel,
                o.method,
                o.verb.as_str(),
                o.path,
                o.request.unwrap_or("-"),
                o.returns.as_str(),
                if o.task { "task" } else { "sync" }
            )
        })
        .collect()
});

/// The type named `name` (ASCII case-insensitive).
pub fn type_named(name: &str) -> Option<&'static TypeInfo> {
    TYPES.iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

/// The type `name`, or a usage error naming where to look.
pub fn type_or_usage(name: &str) -> Result<&'static TypeInfo> {
    type_named(name).ok_or_else(|| {
        CliError::usage(format!(
            "`{name}` is not a type of the spec (`vem api types` lists them)"
        ))
    })
}

/// The type to decode a document with root element `root` as: the type named like the root
/// where several share it (`EntityRef`, `EntityReferences`), else the first with that root.
pub fn type_for_root(root: &str) -> Option<&'static TypeInfo> {
    let mut with_root = TYPES.iter().filter(|t| t.root.eq_ignore_ascii_case(root));
    let first = with_root.next()?;
    Some(
        TYPES
            .iter()
            .find(|t| t.root.eq_ignore_ascii_case(root) && t.name.eq_ignore_ascii_case(root))
            .unwrap_or(first),
    )
}

/// The operations of `owner` with relation `rel`, narrowed by `method` (a method name or an
/// HTTP verb) when given.
pub fn ops_for(owner: &str, rel: &str, method: Option<&str>) -> Vec<&'static Op> {
    OPS.iter()
        .copied()
        .filter(|o| o.owner.eq_ignore_ascii_case(owner) && o.rel.eq_ignore_ascii_case(rel))
        .filter(|o| match method {
            None => true,
            Some(m) => o.method.eq_ignore_ascii_case(m) || o.verb.as_str().eq_ignore_ascii_case(m),
        })
        .collect()
}

/// The URL (relative to the API root) of the representation of type `t` with id `id`.
pub fn url_of(t: &TypeInfo, id: &str) -> Result<String> {
    let path = t.path.ok_or_else(|| {
        CliError::usage(format!(
            "{} has no URL of its own in the spec: give its URL instead of an ID",
            t.name
        ))
    })?;
    if path.matches("{ID}").count() != 1 {
        return Err(CliError::usage(format!(
            "{}'s URL `{path}` needs more than one ID: give its URL instead",
            t.name
        )));
    }
    let id = id.trim();
    if id.is_empty() || id.contains(['/', '?', '#', '&']) || id.chars().any(char::is_whitespace) {
        return Err(CliError::usage(format!("`{id}` is not an ID")));
    }
    Ok(path.trim_start_matches('/').replace("{ID}", id))
}

/// A request body read from a file: any representation, decoded as its type.
pub struct DynBody {
    /// The body.
    pub value: Box<dyn AnyRepr>,
}

impl Body for DynBody {
    fn body_root(&self) -> &'static str {
        self.value.root()
    }
    fn write_body(&self, out: &mut dyn emrest::runtime::Out) {
        self.value.as_body().write_body(out);
    }
}

/// Decodes `bytes` (JSON when `json`, else XML) as type `t`.
pub fn typed(
    t: &TypeInfo,
    bytes: &[u8],
    json: bool,
) -> std::result::Result<Box<dyn AnyRepr>, DecodeError> {
    (t.decode)(bytes, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        assert!(!OPS.is_empty());
        for op in OPS {
            assert!(type_named(op.owner).is_some(), "{}", op.owner);
            if let Some(r) = op.request {
                assert!(type_named(r).is_some(), "{r}");
            }
        }
        assert_eq!(METHODS_TSV.lines().count(), OPS.len());
    }

    /// The table vem prints from the generated client equals the generator's own, built
    /// from the spec by another path (`emrest-codegen methods`).
    #[test]
    fn methods_table_is_the_generators() {
        let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/em.toml");
        let ir = emrest_codegen::load_path(spec).expect("spec/em.toml checks");
        assert_eq!(*METHODS_TSV, emrest_codegen::methods_table(&ir));
    }

    #[test]
    fn shared_roots_use_generic_types() {
        assert_eq!(
            type_for_root("EntityRef").map(|t| t.name),
            Some("EntityRef")
        );
        assert_eq!(
            type_for_root("EntityReferences").map(|t| t.name),
            Some("EntityReferences")
        );
        assert_eq!(type_for_root("Job").map(|t| t.name), Some("Job"));
        assert!(type_for_root("NoSuchRoot").is_none());
    }

    #[test]
    fn urls_of_ids() {
        let job = type_named("Job").unwrap();
        assert_eq!(url_of(job, "abc").unwrap(), "jobs/abc?format=Entity");
        assert!(url_of(job, "a/b").is_err());
        assert!(url_of(job, "").is_err());
    }
}
