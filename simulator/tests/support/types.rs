//! Decoding by spec type name with the generated client (`emrest`), for the crawl and the
//! end-to-end tests: the client's own `TYPES` table (one entry per spec type) gives the
//! decoder of each name, so no list is kept by hand.

use emrest_runtime::{Body, TypeEntry};

fn entry(name: &str) -> Option<&'static TypeEntry> {
    emrest::TYPES.iter().find(|t| t.name == name)
}

/// Every generated type name.
pub fn names() -> Vec<&'static str> {
    emrest::TYPES.iter().map(|t| t.name).collect()
}

/// Decodes `bytes` (XML, or JSON when `json`) as the generated type `name`; `None` for an
/// unknown name.
pub fn decode(name: &str, json: bool, bytes: &[u8]) -> Option<Result<(), String>> {
    entry(name).map(|t| {
        (t.decode)(bytes, json)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
}

/// The XML document `bytes` decoded as the generated type `name`, as a request body.
pub fn sample_body(name: &str, bytes: &[u8]) -> Option<Box<dyn Body>> {
    let v = (entry(name)?.decode)(bytes, false).ok()?;
    Some(Box::new(v))
}

/// A default value of the generated type `name` as a request body.
pub fn default_body(name: &str) -> Option<Box<dyn Body>> {
    entry(name).map(|t| Box::new((t.default)()) as Box<dyn Body>)
}
