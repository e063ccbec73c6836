//! Writers of typed values: one event interface ([`Out`]) with three sinks — XML text
//! ([`XmlOut`]), JSON text in EM's shape ([`JsonOut`]) and a [`Node`] tree ([`NodeOut`]).
//!
//! A value writes itself as events (open an element, its attributes, its text, its children,
//! close it; a repeated list; a list inside a wrapper element); each sink turns the events
//! into its format. JSON follows the server's shape: attributes become members after the
//! child elements, a repeated list becomes an array under its JSON name, a wrapped list keeps
//! its wrapper object (`"Includes": {"ObjectInJobs": [...]}`) unless it has no inner name
//! (`"Links": [...]`), and member names are written in the chosen [`Casing`].

use crate::json::Casing;
use crate::node::{JsonKind, Node};

/// The events a typed value writes itself as.
pub trait Out {
    /// Whether attributes must be written right after [`Out::open`] (XML) or may come after
    /// the children (JSON, where EM writes them last).
    fn attrs_first(&self) -> bool;
    /// Opens an element (JSON: an object).
    fn open(&mut self, name: &str);
    /// An attribute of the element just opened (JSON: a member).
    fn attr(&mut self, name: &str, text: &str, kind: JsonKind);
    /// The element's own character data; JSON writes it as the member `member` (empty: the
    /// writer's own text member, if it has one).
    fn text(&mut self, member: &str, text: &str, kind: JsonKind);
    /// Closes the element opened last.
    fn close(&mut self, name: &str);
    /// An element holding only text (JSON: a scalar member).
    fn scalar(&mut self, name: &str, text: &str, kind: JsonKind);
    /// Starts a repeated element (JSON: an array under `json`).
    fn list_open(&mut self, json: &'static str);
    /// Ends a repeated element.
    fn list_close(&mut self);
    /// Starts a list inside the wrapper element `name` (JSON: `"name": {"inner": [` or, with
    /// no inner name, `"name": [`).
    fn wrapper_open(&mut self, name: &str, inner: Option<&'static str>);
    /// Ends a wrapped list.
    fn wrapper_close(&mut self, name: &str, inner: Option<&'static str>);
    /// Content kept as it was read (unknown to the spec).
    fn node(&mut self, node: &Node);
}

// ---------------------------------------------------------------------------------------------
// XML

/// Writes XML text.
pub struct XmlOut {
    buf: String,
    ns: Option<String>,
    /// A start tag is open (attributes may still follow).
    in_tag: bool,
}

impl XmlOut {
    /// A writer whose root element gets `namespace` as default namespace (none when empty).
    pub fn new(namespace: &str) -> Self {
        let mut buf = String::with_capacity(512);
        buf.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        XmlOut {
            buf,
            ns: Some(namespace.to_string()).filter(|n| !n.is_empty()),
            in_tag: false,
        }
    }

    /// The document written.
    pub fn finish(mut self) -> String {
        self.end_tag();
        self.buf
    }

    fn end_tag(&mut self) {
        if self.in_tag {
            self.buf.push('>');
            self.in_tag = false;
        }
    }
}

impl Out for XmlOut {
    fn attrs_first(&self) -> bool {
        true
    }

    fn open(&mut self, name: &str) {
        self.end_tag();
        self.buf.push('<');
        self.buf.push_str(name);
        if let Some(ns) = self.ns.take() {
            self.buf.push_str(" xmlns=\"");
            crate::xml::escape_into(&mut self.buf, &ns, true);
            self.buf.push('"');
        }
        self.in_tag = true;
    }

    fn attr(&mut self, name: &str, text: &str, _: JsonKind) {
        if !self.in_tag {
            // An attribute after content cannot be written in XML; writers call attributes
            // first (attrs_first), so this is not reached by generated code.
            return;
        }
        self.buf.reserve(name.len() + text.len() + 4);
        self.buf.push(' ');
        self.buf.push_str(name);
        self.buf.push_str("=\"");
        xml_escape_into(&mut self.buf, text, true);
        self.buf.push('"');
    }

    fn text(&mut self, _: &str, text: &str, _: JsonKind) {
        if text.is_empty() {
            return;
        }
        self.end_tag();
        xml_escape_into(&mut self.buf, text, false);
    }

    fn close(&mut self, name: &str) {
        if self.in_tag {
            self.buf.push_str("/>");
            self.in_tag = false;
        } else {
            self.buf.push_str("</");
            self.buf.push_str(name);
            self.buf.push('>');
        }
    }

    fn scalar(&mut self, name: &str, text: &str, kind: JsonKind) {
        self.open(name);
        self.text("", text, kind);
        self.close(name);
    }

    fn list_open(&mut self, _: &'static str) {}

    fn list_close(&mut self) {}

    fn wrapper_open(&mut self, name: &str, _: Option<&'static str>) {
        self.open(name);
    }

    fn wrapper_close(&mut self, name: &str, _: Option<&'static str>) {
        self.close(name);
    }

    fn node(&mut self, node: &Node) {
        self.end_tag();
        let ns = self.ns.take();
        crate::xml::write_node(&mut self.buf, node, ns.as_deref());
    }
}

/// `crate::xml::escape_into`, with text that needs no escaping (nearly all of it: names,
/// ids, hrefs) copied at once after one pass that the compiler can vectorise.
fn xml_escape_into(out: &mut String, s: &str, attr: bool) {
    // Every byte `escape_into` may replace is one of these (a superset: `\n` and `\t` pass
    // unchanged in text, and 0xEF only starts U+FFFE/U+FFFF among others).
    let plain = !s.bytes().fold(false, |hit, b| {
        hit | (b < 0x20)
            | (b == b'&')
            | (b == b'<')
            | (b == b'>')
            | (b == b'"')
            | (b == b'\'')
            | (b == 0xEF)
    });
    if plain {
        out.push_str(s);
    } else {
        crate::xml::escape_into(out, s, attr);
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

#[derive(Clone, Copy)]
enum Ctx {
    /// Inside an object: members are named.
    Object { first: bool },
    /// Inside an array: items are unnamed.
    Array { first: bool },
}

/// Writes JSON text in the server's shape.
pub struct JsonOut {
    buf: String,
    casing: Casing,
    stack: Vec<Ctx>,
    /// Member names camel-cased so far (a document repeats a few names many times).
    cased: std::collections::HashMap<Box<str>, Box<str>>,
    /// The member an element's own text is written under (the API's `json_text`).
    text_member: &'static str,
}

impl JsonOut {
    /// A writer with member names in `casing`, an element's own text written under
    /// `text_member` (the API's JSON text member).
    pub fn new(casing: Casing, text_member: &'static str) -> Self {
        JsonOut {
            buf: String::with_capacity(512),
            casing,
            stack: Vec::with_capacity(8),
            cased: std::collections::HashMap::new(),
            text_member,
        }
    }

    /// The document written.
    pub fn finish(self) -> String {
        self.buf
    }

    /// Starts a value named `name` in the current context (a member name inside an object,
    /// nothing inside an array or at the top).
    fn begin_value(&mut self, name: &str) {
        match self.stack.last_mut() {
            Some(Ctx::Object { first }) => {
                if !std::mem::replace(first, false) {
                    self.buf.push(',');
                }
                match self.casing {
                    Casing::Pascal => json_string(&mut self.buf, name),
                    Casing::Camel => {
                        if !self.cased.contains_key(name) {
                            let key = crate::json::camel_case(name).into_boxed_str();
                            self.cased.insert(name.into(), key);
                        }
                        let key = self.cased.get(name).map_or(name, |k| k);
                        json_string(&mut self.buf, key);
                    }
                }
                self.buf.push(':');
            }
            Some(Ctx::Array { first }) => {
                let was_first = std::mem::replace(first, false);
                if !was_first {
                    self.buf.push(',');
                }
            }
            None => {}
        }
    }

    fn scalar_value(&mut self, text: &str, kind: JsonKind) {
        match kind {
            JsonKind::String => json_string(&mut self.buf, text),
            JsonKind::Bool => match text.trim() {
                t if t.eq_ignore_ascii_case("true") || t == "1" => self.buf.push_str("true"),
                t if t.eq_ignore_ascii_case("false") || t == "0" => self.buf.push_str("false"),
                _ => json_string(&mut self.buf, text),
            },
            JsonKind::Number => {
                let t = text.trim();
                if is_json_number(t) {
                    self.buf.push_str(t);
                } else {
                    json_string(&mut self.buf, text);
                }
            }
        }
    }
}

impl Out for JsonOut {
    fn attrs_first(&self) -> bool {
        false
    }

    fn open(&mut self, name: &str) {
        self.begin_value(name);
        self.buf.push('{');
        self.stack.push(Ctx::Object { first: true });
    }

    fn attr(&mut self, name: &str, text: &str, kind: JsonKind) {
        // An array has no place for attributes (a wrapper's own, kept from XML).
        if matches!(self.stack.last(), Some(Ctx::Array { .. })) {
            return;
        }
        self.begin_value(name);
        self.scalar_value(text, kind);
    }

    fn text(&mut self, member: &str, text: &str, kind: JsonKind) {
        let member = if member.is_empty() {
            self.text_member
        } else {
            member
        };
        if !member.is_empty() {
            self.attr(member, text, kind);
        }
    }

    fn close(&mut self, _: &str) {
        self.stack.pop();
        self.buf.push('}');
    }

    fn scalar(&mut self, name: &str, text: &str, kind: JsonKind) {
        self.begin_value(name);
        self.scalar_value(text, kind);
    }

    fn list_open(&mut self, json: &'static str) {
        self.begin_value(json);
        self.buf.push('[');
        self.stack.push(Ctx::Array { first: true });
    }

    fn list_close(&mut self) {
        self.stack.pop();
        self.buf.push(']');
    }

    fn wrapper_open(&mut self, name: &str, inner: Option<&'static str>) {
        match inner {
            Some(inner) => {
                self.open(name);
                self.list_open(inner);
            }
            None => {
                self.begin_value(name);
                self.buf.push('[');
                self.stack.push(Ctx::Array { first: true });
            }
        }
    }

    fn wrapper_close(&mut self, name: &str, inner: Option<&'static str>) {
        self.list_close();
        if inner.is_some() {
            self.close(name);
        }
    }

    fn node(&mut self, node: &Node) {
        // Kept XML content that sat among the items of a list (inside `<Links>`, between
        // `<Ref/>`s) has no place in a JSON array of items: an array item must be an item.
        // It is written back in XML, not in JSON.
        if matches!(self.stack.last(), Some(Ctx::Array { .. })) {
            return;
        }
        self.begin_value(&node.name);
        let value = crate::json::node_to_json(node, self.casing, self.text_member);
        self.buf.push_str(&value.to_string());
    }
}

/// Writes `s` as a JSON string literal.
fn json_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Most text needs no escaping: one pass the compiler can vectorise, then one copy.
    if !s.bytes().fold(false, |hit, b| {
        hit | (b < 0x20) | (b == b'"') | (b == b'\\')
    }) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether `t` is a number in JSON's grammar.
fn is_json_number(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > s
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

// ---------------------------------------------------------------------------------------------
// Node

/// Builds a [`Node`] tree (the shape [`crate::parse_xml`] gives, with JSON hints).
pub struct NodeOut {
    /// Open elements, each with the JSON list name that was active when it opened.
    stack: Vec<(Node, Option<&'static str>)>,
    /// JSON name of the repeated list being written.
    group: Option<&'static str>,
    done: Option<Node>,
}

impl Default for NodeOut {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeOut {
    /// An empty builder.
    pub fn new() -> Self {
        NodeOut {
            stack: Vec::with_capacity(8),
            group: None,
            done: None,
        }
    }

    /// The tree written (an empty node when nothing was).
    pub fn finish(self) -> Node {
        self.done.unwrap_or_default()
    }

    fn push_child(&mut self, mut n: Node, group: Option<&'static str>) {
        if n.json_group.is_none() {
            n.json_group = group;
        }
        match self.stack.last_mut() {
            Some((parent, _)) => parent.children.push(n),
            None => self.done = Some(n),
        }
    }

    fn push_open(&mut self, n: Node) {
        let group = self.group.take();
        self.stack.push((n, group));
    }

    fn pop_close(&mut self) {
        if let Some((n, group)) = self.stack.pop() {
            self.group = group;
            self.push_child(n, group);
        }
    }
}

impl Out for NodeOut {
    fn attrs_first(&self) -> bool {
        true
    }

    fn open(&mut self, name: &str) {
        self.push_open(Node::new(name));
    }

    fn attr(&mut self, name: &str, text: &str, kind: JsonKind) {
        if let Some((n, _)) = self.stack.last_mut() {
            n.attrs.push((name.to_string(), text.to_string()));
            if kind != JsonKind::String {
                n.attr_kinds.push((name.to_string(), kind));
            }
        }
    }

    fn text(&mut self, _: &str, text: &str, kind: JsonKind) {
        if let Some((n, _)) = self.stack.last_mut() {
            n.text = Some(text.to_string());
            n.json_kind = kind;
        }
    }

    fn close(&mut self, _: &str) {
        self.pop_close();
    }

    fn scalar(&mut self, name: &str, text: &str, kind: JsonKind) {
        let mut n = Node::new(name);
        n.text = Some(text.to_string());
        n.json_kind = kind;
        self.push_child(n, self.group);
    }

    fn list_open(&mut self, json: &'static str) {
        self.group = Some(json);
    }

    fn list_close(&mut self) {
        self.group = None;
    }

    fn wrapper_open(&mut self, name: &str, _: Option<&'static str>) {
        let mut w = Node::new(name);
        w.array = true;
        self.push_open(w);
    }

    fn wrapper_close(&mut self, _: &str, _: Option<&'static str>) {
        self.pop_close();
    }

    fn node(&mut self, node: &Node) {
        self.push_child(node.clone(), self.group);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers() {
        for ok in ["0", "-1", "1.5", "1e9", "-0.25E-3", "123"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["", "-", "01", "1.", ".5", "NaN", "inf", "1e", "0x10", "1 "] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }

    /// The writer's copy of text that needs no escaping changes nothing: every text is
    /// written as `xml::escape_into` writes it, in attributes and in content.
    #[test]
    fn xml_text_is_escaped_as_escape_into_does() {
        let texts = [
            "",
            "plain http://h/api/jobs/1",
            "a&b",
            "<x>",
            "q\"uote",
            "it's",
            "line\nbreak",
            "tab\there",
            "cr\r",
            "ctl\u{1}",
            "é ü 漢字",
            "\u{FFFE}\u{FFFF}\u{FEFF}",
        ];
        for t in texts {
            for attr in [true, false] {
                let (mut ours, mut want) = (String::new(), String::new());
                xml_escape_into(&mut ours, t, attr);
                crate::xml::escape_into(&mut want, t, attr);
                assert_eq!(ours, want, "{t:?} attr={attr}");
            }
        }
        let mut x = XmlOut::new("");
        x.open("A");
        x.attr("B", "1 < 2 & \"3\"", JsonKind::String);
        x.text("", "x > y", JsonKind::String);
        x.close("A");
        assert_eq!(
            x.finish(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><A B=\"1 &lt; 2 &amp; &quot;3&quot;\">x &gt; y</A>"
        );
    }

    /// Camel-cased member names are the runtime's casing of each name, also when a name
    /// comes again (from the writer's cache).
    #[test]
    fn camel_names_are_cased_every_time() {
        let mut j = JsonOut::new(Casing::Camel, "Value");
        j.open("Root");
        for _ in 0..2 {
            j.list_open("Items");
            for name in ["UID", "VAppRestorePoints", "HTTPServer", "Name"] {
                j.open("Item");
                j.attr(name, "v", JsonKind::String);
                j.close("Item");
            }
            j.list_close();
        }
        j.close("Root");
        let item = r#"{"uid":"v"},{"vAppRestorePoints":"v"},{"httpServer":"v"},{"name":"v"}"#;
        assert_eq!(
            j.finish(),
            format!(r#"{{"items":[{item}],"items":[{item}]}}"#)
        );
    }

    #[test]
    fn json_strings_escape_controls() {
        let mut s = String::new();
        json_string(&mut s, "a\"b\\c\nd\u{1}é");
        assert_eq!(s, r#""a\"b\\c\nd\u0001é""#);
    }
}
