//! em-sim's answers and request bodies go through the generated client's own types: an answer
//! is decoded as the type the called operation returns and written by that type's codec, and
//! a request body is read as the operation's declared body type. A body the type cannot read
//! is EM's 400 with an `Error` document; an answer the type cannot read is em-sim's own bug,
//! answered 500 so that every test sees it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use emrest::runtime::{AnyRepr, TypeEntry};
use emrest_runtime::Node;

use crate::render::{ApiError, Format, NAMESPACE};

/// The generated type named `name` (the spec's type name).
pub fn entry(name: &str) -> Option<&'static TypeEntry> {
    static BY_NAME: OnceLock<HashMap<&'static str, &'static TypeEntry>> = OnceLock::new();
    BY_NAME
        .get_or_init(|| emrest::TYPES.iter().map(|t| (t.name, t)).collect())
        .get(name)
        .copied()
}

/// The name of the one generated type whose root element is `root`, if exactly one has it.
pub fn only_type_with_root(root: &str) -> Option<&'static str> {
    let mut with = emrest::TYPES.iter().filter(|t| t.root == root);
    match (with.next(), with.next()) {
        (Some(t), None) => Some(t.name),
        _ => None,
    }
}

/// Document answers written without a generated type (no operation or URL form of the spec
/// names their type), by root element, since the process started.
static UNTYPED: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

/// Counts a document answer of root `root` that no generated type wrote.
pub fn count_untyped(root: &str) {
    // A poisoned lock only means another thread panicked while counting; the map is intact.
    let mut m = UNTYPED.lock().unwrap_or_else(|p| p.into_inner());
    *m.entry(root.to_string()).or_default() += 1;
}

/// Document answers em-sim wrote without a generated type since the process started, by
/// root element (what the tests that walk every operation report; ideally none).
pub fn untyped_answers() -> Vec<(String, usize)> {
    let m = UNTYPED.lock().unwrap_or_else(|p| p.into_inner());
    m.iter().map(|(k, v)| (k.clone(), *v)).collect()
}

/// Reads a request body as the spec type `name`, in the request's format (EM's quirk: the
/// `Accept` format decides the parser). 400 with the decoder's reason when it does not read.
pub fn read_body(fmt: Format, body: &[u8], name: &str) -> Result<Box<dyn AnyRepr>, ApiError> {
    let Some(t) = entry(name) else {
        // Every spec type is generated; a missing one is a spec/client mismatch.
        return Err(ApiError::internal(format!(
            "em-sim: the body type `{name}` is not a generated type"
        )));
    };
    let bad = |why: String| {
        ApiError::bad_request(format!("The request body is not a valid {name}: {why}."))
    };
    let json = matches!(fmt, Format::Json(_));
    // A body that does not parse in the `Accept` format at all is EM's documented
    // `Node [root] does not exist.` (an XML body sent with a JSON `Accept`).
    let parsed = crate::render::parse_body(fmt, body)?;
    if !json {
        // The generated decoder takes any root (a user's type may name its own); EM's
        // deserializer expects the type's element.
        let root = parsed.name;
        if root != t.root {
            return Err(bad(format!(
                "its root element is `{root}`, not `{}`",
                t.root
            )));
        }
    }
    (t.decode)(body, json).map_err(|e| bad(e.to_string()))
}

/// `node` as the generated type `name`: written as XML and read by the type's own decoder
/// (what the client will do with it), so that what em-sim sends is what the type writes.
pub fn as_type(node: &Node, name: &str) -> Result<Box<dyn AnyRepr>, String> {
    let t = entry(name).ok_or_else(|| format!("`{name}` is not a generated type"))?;
    let xml = emrest_runtime::write_xml(node, NAMESPACE);
    (t.decode)(xml.as_bytes(), false).map_err(|e| format!("not a valid {name}: {e}"))
}

/// `node` as the generated type `name`, refused when it holds any element or attribute the
/// type does not declare (the paths named): what em-sim itself builds must be the spec's
/// shape exactly.
pub fn as_exact_type(node: &Node, name: &str) -> Result<Box<dyn AnyRepr>, String> {
    let repr = as_type(node, name)?;
    let unknown = repr.unknown_paths();
    if unknown.is_empty() {
        Ok(repr)
    } else {
        Err(format!(
            "content {name} does not declare: {}",
            unknown.join(", ")
        ))
    }
}

/// The document `repr` in `fmt`, written by its type's codec. XML carries the `xsd`/`xsi`
/// declarations EM writes on every root.
pub fn write(repr: &dyn AnyRepr, fmt: Format) -> String {
    match fmt {
        Format::Xml => with_schema_decls(repr.to_xml(NAMESPACE), repr.root()),
        Format::Json(c) => repr.to_json(c, crate::spec::json_text()),
    }
}

/// Inserts EM's `xmlns:xsd`/`xmlns:xsi` declarations right after the root element's name.
pub fn with_schema_decls(xml: String, root: &str) -> String {
    const DECLS: &str = " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
    let body_at = xml.find("?>").map_or(0, |i| i + 2);
    let at = xml[body_at..]
        .find('<')
        .map(|j| body_at + j + 1 + root.len())
        .filter(|&i| xml.is_char_boundary(i) && xml[..i].ends_with(root));
    match at {
        Some(i) => format!("{}{DECLS}{}", &xml[..i], &xml[i..]),
        None => xml,
    }
}

/// The `Error` document of `err`, built as the generated `ErrorBody`.
pub fn error_body(err: &ApiError) -> emrest::ErrorBody {
    emrest::ErrorBody {
        message: Some(err.message.as_str().into()),
        status_code: i32::from(err.status.as_u16()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_type_has_its_generated_codec() {
        let spec = crate::spec::get();
        for t in &spec.ir.types {
            assert!(entry(&t.name).is_some(), "{} is not generated", t.name);
        }
    }

    #[test]
    fn a_body_of_another_type_is_a_400_naming_the_type() {
        let err = read_body(Format::Xml, b"<JobSpec/>", "FileRestoreSpec")
            .err()
            .expect("wrong root refused");
        assert_eq!(err.status.as_u16(), 400);
        assert!(err.message.contains("FileRestoreSpec"), "{}", err.message);
    }

    #[test]
    fn an_answer_with_undeclared_content_is_refused_by_name() {
        let mut task = Node::new("Task");
        for (k, v) in [("TaskId", "task-1"), ("State", "Finished")] {
            let mut c = Node::new(k);
            c.text = Some(v.into());
            task.children.push(c);
        }
        if let Err(why) = as_exact_type(&task, "Task") {
            panic!("a declared-only Task refused: {why}");
        }
        let mut extra = Node::new("Surprise");
        extra.text = Some("x".into());
        task.children.push(extra);
        let why = as_exact_type(&task, "Task").err().expect("refused");
        assert!(why.contains("Surprise"), "{why}");
        // The lenient form (a newer EM on purpose) keeps it.
        assert!(as_type(&task, "Task").is_ok());
    }

    #[test]
    fn schema_declarations_follow_the_root_name() {
        let x = with_schema_decls(
            "<?xml version=\"1.0\"?><Task xmlns=\"n\"><TaskId/></Task>".into(),
            "Task",
        );
        assert!(
            x.starts_with("<?xml version=\"1.0\"?><Task xmlns:xsd="),
            "{x}"
        );
        assert!(x.ends_with(" xmlns=\"n\"><TaskId/></Task>"), "{x}");
    }
}
