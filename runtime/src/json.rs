//! JSON codec: serde_json values ↔ [`Node`].
//!
//! Decoding: object members become children (scalars become children with text), arrays become
//! a node with `array == true` whose items are named after the member, `null` members are
//! skipped. Encoding: attributes become members, `array` nodes become arrays, consecutive
//! children sharing a `json_group` become one array under that name, `json_kind` chooses
//! string/number/bool, and member names are written in the chosen [`Casing`].

use serde_json::{Map, Value as Json};

use crate::node::{JsonKind, Node};
use crate::repr::{DecodeError, Repr};

/// Casing of JSON member names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Casing {
    /// As the XML names (`ScheduleEnabled`, `UID`): what servers up to EM v12 write.
    #[default]
    Pascal,
    /// camelCase as .NET writes it (`scheduleEnabled`, `uid`): what EM v13 writes.
    Camel,
}

impl Casing {
    /// `name` in this casing.
    pub fn apply<'a>(self, name: &'a str) -> std::borrow::Cow<'a, str> {
        match self {
            Casing::Pascal => std::borrow::Cow::Borrowed(name),
            Casing::Camel => std::borrow::Cow::Owned(camel_case(name)),
        }
    }
}

/// .NET's camel-casing: lower-case the leading run of capitals, except a capital that starts
/// the next word (`UID` → `uid`, `VAppRestorePoints` → `vAppRestorePoints`,
/// `HTTPServer` → `httpServer`).
pub fn camel_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out: Vec<char> = chars.clone();
    for i in 0..chars.len() {
        if i == 1 && !chars[i].is_uppercase() {
            break;
        }
        let next_is_lower = chars.get(i + 1).is_some_and(|c| !c.is_uppercase());
        if i > 0 && next_is_lower {
            break;
        }
        out[i] = chars[i].to_lowercase().next().unwrap_or(chars[i]);
    }
    out.into_iter().collect()
}

/// Deepest nesting of arrays and objects accepted; deeper documents are rejected (stack
/// safety). This is serde_json's own recursion limit, which the runtime keeps switched on.
pub const MAX_DEPTH: usize = 127;

/// Parses a JSON document into a [`Node`] named `root`.
pub fn parse_json(bytes: &[u8], root: &str) -> Result<Node, DecodeError> {
    let bytes = crate::xml::strip_bom(bytes);
    let value: Json = serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        if text.contains("recursion limit") {
            DecodeError::new(format!(
                "JSON nested deeper than {MAX_DEPTH} levels (at line {} column {})",
                e.line(),
                e.column()
            ))
        } else {
            DecodeError::new(format!("malformed JSON: {text}"))
        }
    })?;
    Ok(json_to_node(root, &value))
}

/// Converts a JSON value into a node named `name`.
pub fn json_to_node(name: &str, value: &Json) -> Node {
    let mut node = Node::new(name);
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                if !v.is_null() {
                    node.children.push(json_to_node(k, v));
                }
            }
        }
        Json::Array(items) => {
            node.array = true;
            node.children = items
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| json_to_node(name, v))
                .collect();
        }
        Json::Null => {}
        Json::Bool(b) => {
            node.text = Some(b.to_string());
            node.json_kind = JsonKind::Bool;
        }
        Json::Number(n) => {
            node.text = Some(n.to_string());
            node.json_kind = JsonKind::Number;
        }
        Json::String(s) => node.text = Some(s.clone()),
    }
    node
}

/// Converts a node into a JSON value (the node's own name is not written); an element's own
/// text is written under `text_member` (the API's JSON text member).
pub fn node_to_json(node: &Node, casing: Casing, text_member: &str) -> Json {
    if node.array {
        return Json::Array(
            node.children
                .iter()
                .map(|c| node_to_json(c, casing, text_member))
                .collect(),
        );
    }
    if node.attrs.is_empty() && node.children.is_empty() {
        return match &node.text {
            Some(t) => scalar(t, node.json_kind),
            None => Json::Object(Map::new()),
        };
    }
    let mut map = Map::new();
    // Children first, then attributes, as EM writes them.
    let mut i = 0;
    while i < node.children.len() {
        let c = &node.children[i];
        match c.json_group {
            Some(group) => {
                let mut items = Vec::new();
                while let Some(c) = node.children.get(i).filter(|c| c.json_group == Some(group)) {
                    items.push(node_to_json(c, casing, text_member));
                    i += 1;
                }
                map.insert(casing.apply(group).into_owned(), Json::Array(items));
            }
            None => {
                map.insert(
                    casing.apply(&c.name).into_owned(),
                    node_to_json(c, casing, text_member),
                );
                i += 1;
            }
        }
    }
    for (k, v) in &node.attrs {
        map.insert(casing.apply(k).into_owned(), scalar(v, node.attr_kind(k)));
    }
    if let Some(t) = node.text.as_deref().filter(|t| !t.is_empty()) {
        map.insert(
            casing.apply(text_member).into_owned(),
            scalar(t, node.json_kind),
        );
    }
    Json::Object(map)
}

fn scalar(text: &str, kind: JsonKind) -> Json {
    match kind {
        JsonKind::String => Json::String(text.to_string()),
        JsonKind::Bool => match text.trim() {
            t if t.eq_ignore_ascii_case("true") || t == "1" => Json::Bool(true),
            t if t.eq_ignore_ascii_case("false") || t == "0" => Json::Bool(false),
            _ => Json::String(text.to_string()),
        },
        JsonKind::Number => match serde_json::from_str::<serde_json::Number>(text.trim()) {
            Ok(n) => Json::Number(n),
            Err(_) => Json::String(text.to_string()),
        },
    }
}

/// Writes `node` as JSON text, an element's own text under `text_member`.
pub fn write_json(node: &Node, casing: Casing, text_member: &str) -> String {
    node_to_json(node, casing, text_member).to_string()
}

/// Decodes a JSON document into `T` (member names in any casing), streaming from the
/// tokens (no tree is built).
pub fn decode_json<T: Repr>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut value: Option<T> = None;
    decode_json_into(bytes, &mut value, T::ROOT)?;
    value.ok_or_else(crate::codec::nothing_decoded)
}

/// Decodes a whole JSON document into `slot` (an `Option<T>` of the type whose root is
/// `root`); the one copy of the document loop every type shares.
pub(crate) fn decode_json_into(
    bytes: &[u8],
    slot: &mut dyn crate::Slot,
    root: &str,
) -> Result<(), DecodeError> {
    let mut j = crate::json_in::JsonIn::new(bytes)?;
    slot.read_json(&crate::codec::DOCUMENT, &mut j)
        .map_err(|e| e.within(root))?;
    j.finish()
}

/// Encodes `value` as a JSON document in the server's shape, member names in `casing`.
/// Typed text fields are written under their API's JSON text member; text kept from XML
/// in a type without a text field has no member here (see [`encode_json_with`]).
pub fn encode_json<T: Repr>(value: &T, casing: Casing) -> String {
    encode_json_with(value, casing, "")
}

/// [`encode_json`], with text kept from XML written under `text_member` (the API's JSON
/// text member, `ApiInfo::json_text`).
pub fn encode_json_with<T: Repr>(value: &T, casing: Casing, text_member: &'static str) -> String {
    let mut out = crate::out::JsonOut::new(casing, text_member);
    value.write_value(T::ROOT, &mut out);
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel() {
        for (a, b) in [
            ("UID", "uid"),
            ("Href", "href"),
            ("VAppRestorePoints", "vAppRestorePoints"),
            ("HTTPServer", "httpServer"),
            ("ScheduleEnabled", "scheduleEnabled"),
            ("already", "already"),
            ("", ""),
            ("A", "a"),
            ("ÄÖ", "äö"),
        ] {
            assert_eq!(camel_case(a), b, "{a}");
        }
    }

    #[test]
    fn parses_members_arrays_and_nulls() {
        let j = br#"{"TaskId":"task-9","State":"Running","Progress":100,"Ok":true,"Name":null,
            "Links":[{"Rel":"Delete","Href":"https://h/api/tasks/task-9"}],"Href":"https://h/api/tasks/task-9"}"#;
        let n = parse_json(j, "Task").unwrap();
        assert_eq!(n.name, "Task");
        assert_eq!(n.scalar("taskid"), Some("task-9"));
        assert_eq!(n.scalar("Progress"), Some("100"));
        assert_eq!(n.scalar("Ok"), Some("true"));
        assert!(n.child("Name").is_none());
        let links = n.child("links").unwrap();
        assert!(links.array);
        assert_eq!(links.children[0].scalar("Rel"), Some("Delete"));
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [&b""[..], b"{", b"<xml/>", b"{\"a\":}", b"\xff"] {
            assert!(parse_json(bad, "X").is_err());
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(parse_json(deep.as_bytes(), "X").is_err());
    }

    #[test]
    fn depth_limit() {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let doc = |d: usize| open.repeat(d) + "1" + &close.repeat(d);
            let ok = parse_json(doc(MAX_DEPTH).as_bytes(), "X");
            assert!(ok.is_ok(), "{ok:?}");
            let err = parse_json(doc(MAX_DEPTH + 1).as_bytes(), "X").unwrap_err();
            assert!(err.message.contains("nested deeper than 127"), "{err}");
            let err = parse_json(doc(1_000_000).as_bytes(), "X").unwrap_err();
            assert!(err.message.contains("nested deeper"), "{err}");
        }
    }

    #[test]
    fn writes_groups_kinds_and_casing() {
        let mut n = Node::new("Spec");
        n.attrs.push(("UID".into(), "urn:x".into()));
        let mut num = Node::new("RetryTimes");
        num.text = Some("3".into());
        num.json_kind = JsonKind::Number;
        n.children.push(num);
        let mut b = Node::new("Enabled");
        b.text = Some("true".into());
        b.json_kind = JsonKind::Bool;
        n.children.push(b);
        for d in ["a", "b"] {
            let mut c = Node::new("Folder");
            c.text = Some(d.into());
            c.json_group = Some("Folders");
            n.children.push(c);
        }
        let mut arr = Node::new("Links");
        arr.array = true;
        let mut l = Node::new("Link");
        l.attrs.push(("Rel".into(), "Up".into()));
        arr.children.push(l);
        n.children.push(arr);
        assert_eq!(
            write_json(&n, Casing::Pascal, "Value"),
            r#"{"RetryTimes":3,"Enabled":true,"Folders":["a","b"],"Links":[{"Rel":"Up"}],"UID":"urn:x"}"#
        );
        assert_eq!(
            write_json(&n, Casing::Camel, "Value"),
            r#"{"retryTimes":3,"enabled":true,"folders":["a","b"],"links":[{"rel":"Up"}],"uid":"urn:x"}"#
        );
    }
}
