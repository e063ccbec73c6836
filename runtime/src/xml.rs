//! XML codec: bytes → [`Node`] with quick-xml's streaming reader, and [`Node`] → XML text.
//!
//! Reading drops namespace prefixes and declarations (EM puts everything in one default
//! namespace), unescapes entities (Hrefs carry `&amp;`), keeps attribute order, drops
//! whitespace-only text and tolerates a UTF-8 byte-order mark. Writing emits an XML
//! declaration, the API's namespace on the root, children in order and escaped text.

use quick_xml::escape::unescape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::node::Node;
use crate::repr::{DecodeError, Repr, Value};

/// Deepest element nesting accepted; deeper documents are rejected (stack safety).
pub const MAX_DEPTH: usize = 256;

/// Strips a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Parses an XML document into its root [`Node`].
pub fn parse_xml(bytes: &[u8]) -> Result<Node, DecodeError> {
    let text = std::str::from_utf8(strip_bom(bytes))
        .map_err(|e| DecodeError::new(format!("XML is not valid UTF-8: {e}")))?;
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;

    // Elements are built in one buffer, `nodes`, in document order; `open` holds the index of
    // each element not yet ended. When an element ends, the nodes after it are exactly its
    // children: they move into it once, into a vector of exactly their number. No per-element
    // vector growth (a list of 10,000 items would otherwise be reallocated 14 times) and each
    // node is moved twice at most.
    let mut open: Vec<usize> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| DecodeError::new(format!("malformed XML at byte {pos}: {e}")))?;
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(DecodeError::new("content after the root element"));
                }
                if open.len() >= MAX_DEPTH {
                    return Err(DecodeError::new(format!(
                        "XML nested deeper than {MAX_DEPTH} elements"
                    )));
                }
                open.push(nodes.len());
                nodes.push(start_node(text, &e)?);
            }
            Event::Empty(e) => {
                if root.is_some() {
                    return Err(DecodeError::new("content after the root element"));
                }
                if open.len() >= MAX_DEPTH {
                    return Err(DecodeError::new(format!(
                        "XML nested deeper than {MAX_DEPTH} elements"
                    )));
                }
                let node = start_node(text, &e)?;
                if open.is_empty() {
                    root = Some(node);
                } else {
                    nodes.push(node);
                }
            }
            Event::End(_) => {
                let at = open
                    .pop()
                    .ok_or_else(|| DecodeError::new("unbalanced end tag"))?;
                let children: Vec<Node> = if nodes.len() > at + 1 {
                    nodes.drain(at + 1..).collect()
                } else {
                    Vec::new()
                };
                let node = &mut nodes[at];
                node.children = children;
                if node.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                    node.text = None;
                }
                if open.is_empty() {
                    root = nodes.pop();
                }
            }
            Event::Text(t) => {
                let raw = in_doc(text, &t)
                    .map_err(|e| DecodeError::new(format!("text is not UTF-8: {e}")))?;
                let s = unescape(raw)
                    .map_err(|e| DecodeError::new(format!("bad entity in text: {e}")))?;
                match open.last() {
                    Some(&at) => nodes[at].text.get_or_insert_with(String::new).push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(DecodeError::new("text outside the root element")),
                }
            }
            Event::CData(t) => {
                let raw = t.into_inner();
                let s = std::str::from_utf8(&raw)
                    .map_err(|e| DecodeError::new(format!("CDATA is not UTF-8: {e}")))?;
                match open.last() {
                    Some(&at) => nodes[at].text.get_or_insert_with(String::new).push_str(s),
                    None => return Err(DecodeError::new("CDATA outside the root element")),
                }
            }
            Event::Eof => break,
            // Declaration, comments, processing instructions, doctype: nothing to keep.
            _ => {}
        }
    }
    if !open.is_empty() {
        return Err(DecodeError::new("XML ended inside an element"));
    }
    root.ok_or_else(|| DecodeError::new("XML has no root element"))
}

/// `part` as text. The reader works on `doc`, already checked to be UTF-8, and hands out
/// slices of it: those are found by address and not checked again (quick-xml's own
/// `unescape_value`/`unescape` would validate every value a second time). Anything else is
/// checked.
pub(crate) fn in_doc<'x>(doc: &'x str, part: &'x [u8]) -> Result<&'x str, std::str::Utf8Error> {
    let start = (part.as_ptr() as usize).wrapping_sub(doc.as_ptr() as usize);
    match start
        .checked_add(part.len())
        .and_then(|end| doc.get(start..end))
    {
        Some(s) if s.as_ptr() == part.as_ptr() => Ok(s),
        _ => std::str::from_utf8(part),
    }
}

fn start_node(doc: &str, e: &BytesStart<'_>) -> Result<Node, DecodeError> {
    let name = in_doc(doc, e.local_name().into_inner())
        .map_err(|_| DecodeError::new("element name is not UTF-8"))?;
    let mut node = Node::new(name);
    for attr in e.attributes().with_checks(true) {
        let attr =
            attr.map_err(|err| DecodeError::new(format!("bad attribute: {err}")).within(name))?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let key = in_doc(doc, attr.key.local_name().into_inner())
            .map_err(|_| DecodeError::new("attribute name is not UTF-8").within(name))?;
        let raw = in_doc(doc, &attr.value)
            .map_err(|_| DecodeError::new(format!("`{key}` is not UTF-8")).within(name))?;
        let value = unescape(raw)
            .map_err(|err| DecodeError::new(format!("bad entity in `{key}`: {err}")).within(name))?
            .into_owned();
        node.attrs.push((key.to_string(), value));
    }
    Ok(node)
}

/// Writes `node` as a complete XML document with `namespace` as default namespace of the root
/// (no namespace attribute when `namespace` is empty).
pub fn write_xml(node: &Node, namespace: &str) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    write_node(&mut out, node, Some(namespace).filter(|n| !n.is_empty()));
    out
}

pub(crate) fn write_node(out: &mut String, node: &Node, ns: Option<&str>) {
    out.push('<');
    out.push_str(&node.name);
    if let Some(ns) = ns {
        out.push_str(" xmlns=\"");
        escape_into(out, ns, true);
        out.push('"');
    }
    for (k, v) in &node.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape_into(out, v, true);
        out.push('"');
    }
    let text = node.text.as_deref().filter(|t| !t.is_empty());
    if text.is_none() && node.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    if let Some(t) = text {
        escape_into(out, t, false);
    }
    for c in &node.children {
        write_node(out, c, None);
    }
    out.push_str("</");
    out.push_str(&node.name);
    out.push('>');
}

/// Escapes markup characters; characters XML 1.0 cannot carry become U+FFFD.
pub(crate) fn escape_into(out: &mut String, s: &str, attr: bool) {
    // Runs of characters that need nothing are copied at once; only the rest is looked at
    // one by one (every byte that needs escaping is ASCII, or starts U+FFFE/U+FFFF).
    let needs = |b: u8| match b {
        b'&' | b'<' | b'>' | b'\r' | 0xEF => true,
        b'"' | b'\'' | b'\n' | b'\t' => attr,
        b => b < 0x20 && b != b'\n' && b != b'\t',
    };
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(off) = bytes[start..].iter().position(|&b| needs(b)) {
        let at = start + off;
        out.push_str(&s[start..at]);
        // `at` is on a character boundary: every byte `needs` accepts is ASCII or a lead
        // byte (0xEF), never a continuation byte.
        let ch = s[at..].chars().next().unwrap_or('\u{FFFD}');
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            '\t' | '\n' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
        start = at + ch.len_utf8();
    }
    out.push_str(&s[start..]);
}

/// Decodes an XML document into `T`, streaming (no tree is built).
pub fn decode_xml<T: Repr>(bytes: &[u8]) -> Result<T, DecodeError> {
    crate::xml_in::decode_xml_streaming(bytes)
}

/// Encodes `value` as an XML document whose root is `T::ROOT` in namespace `namespace`.
pub fn encode_xml<T: Repr>(value: &T, namespace: &str) -> String {
    let mut out = crate::out::XmlOut::new(namespace);
    value.write_value(T::ROOT, &mut out);
    out.finish()
}

/// `value` as a [`Node`] tree named `name` (for generic inspection and display).
pub fn to_node<T: Value>(value: &T, name: &str) -> Node {
    let mut out = crate::out::NodeOut::new();
    value.write_value(name, &mut out);
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escape rules one character at a time (what `escape_into` did before it copied
    /// runs): the oracle of the property below.
    fn escape_by_char(s: &str, attr: bool) -> String {
        let mut out = String::new();
        for ch in s.chars() {
            match ch {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' if attr => out.push_str("&quot;"),
                '\'' if attr => out.push_str("&apos;"),
                '\n' if attr => out.push_str("&#10;"),
                '\r' => out.push_str("&#13;"),
                '\t' if attr => out.push_str("&#9;"),
                '\t' | '\n' => out.push(ch),
                c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                    out.push('\u{FFFD}')
                }
                c => out.push(c),
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn escaping_runs_equals_escaping_each_character(
            s in "[a-z&<>\"'\t\n\r\u{0}-\u{1f}\u{e9}\u{f000}\u{feff}\u{fffd}-\u{ffff}\u{1f600} ]{0,40}",
            attr: bool,
        ) {
            let mut out = String::from("x");
            escape_into(&mut out, &s, attr);
            proptest::prop_assert_eq!(&out[1..], escape_by_char(&s, attr));
        }
    }

    #[test]
    fn parses_names_attrs_and_text() {
        let xml = br#"<?xml version="1.0" encoding="utf-8"?>
<Task xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="http://www.veeam.com/ent/v1.0" Type="Task" Href="https://h/api/tasks/task-1">
  <Links><Link Rel="Delete" Type="Task" Href="https://h/api/tasks/task-1" /></Links>
  <TaskId>task-1</TaskId>
  <State>Finished</State>
</Task>"#;
        let n = parse_xml(xml).unwrap();
        assert_eq!(n.name, "Task");
        assert_eq!(n.attrs.len(), 2);
        assert_eq!(n.attrs[0], ("Type".into(), "Task".into()));
        assert_eq!(n.text, None);
        assert_eq!(n.child("state").unwrap().text(), "Finished");
        let link = &n.child("Links").unwrap().children[0];
        assert_eq!(link.attr("Rel"), Some("Delete"));
    }

    #[test]
    fn bom_prefixes_and_entities() {
        let xml = "\u{FEFF}<p:Root xmlns:p=\"urn:x\" p:Href=\"https://h/q?a=1&amp;b=%22x%22&#39;\"><p:V>a &lt; b &amp; &#x2F;c</p:V><W><![CDATA[<raw>]]></W></p:Root>";
        let n = parse_xml(xml.as_bytes()).unwrap();
        assert_eq!(n.name, "Root");
        assert_eq!(n.attr("Href"), Some("https://h/q?a=1&b=%22x%22'"));
        assert_eq!(n.child("V").unwrap().text(), "a < b & /c");
        assert_eq!(n.child("W").unwrap().text(), "<raw>");
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for bad in [
            &b""[..],
            b"   ",
            b"not xml",
            b"<a><b></a>",
            b"<a>",
            b"<a x='1' x='2'/>",
            b"<a>&bogus;</a>",
            b"<a/><b/>",
            b"\xff\xfe<a/>",
            b"<a b=></a>",
            b"</a>",
        ] {
            assert!(
                parse_xml(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn depth_limit() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        let err = parse_xml(deep.as_bytes()).unwrap_err();
        assert!(err.message.contains("deeper"), "{err}");
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse_xml(ok.as_bytes()).is_ok());
        // An empty element counts as a level too.
        let ok = "<a>".repeat(MAX_DEPTH - 1) + "<b/>" + &"</a>".repeat(MAX_DEPTH - 1);
        assert!(parse_xml(ok.as_bytes()).is_ok());
        let deep = "<a>".repeat(MAX_DEPTH) + "<b/>" + &"</a>".repeat(MAX_DEPTH);
        assert!(parse_xml(deep.as_bytes()).is_err());
        // Far deeper (an attack, not a mistake): refused quickly, no stack overflow.
        let attack = "<a>".repeat(1_000_000);
        let err = parse_xml(attack.as_bytes()).unwrap_err();
        assert!(err.message.contains("deeper"), "{err}");
    }

    #[test]
    fn entity_expansion_is_not_performed() {
        // "Billion laughs": internal DTD entities are not expanded, so the document is
        // refused instead of growing.
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"#;
        assert!(parse_xml(bomb.as_bytes()).is_err());
        // External entities are not fetched either.
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        assert!(parse_xml(xxe.as_bytes()).is_err());
    }

    #[test]
    fn writes_escaped_with_namespace() {
        let mut n = Node::new("Spec");
        n.attrs.push(("Name".into(), "a\"b<&>".into()));
        let mut c = Node::new("Description");
        c.text = Some("x < y & z".into());
        n.children.push(c);
        n.children.push(Node::new("Empty"));
        let s = write_xml(&n, "urn:ns");
        assert_eq!(
            s,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Spec xmlns=\"urn:ns\" Name=\"a&quot;b&lt;&amp;&gt;\"><Description>x &lt; y &amp; z</Description><Empty/></Spec>"
        );
        let back = parse_xml(s.as_bytes()).unwrap();
        assert_eq!(back.attr("Name"), Some("a\"b<&>"));
        assert_eq!(back.child("Description").unwrap().text(), "x < y & z");
    }

    #[test]
    fn round_trips_real_samples() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("xml") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let node = parse_xml(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let again = parse_xml(write_xml(&node, "urn:x").as_bytes()).unwrap();
            assert_eq!(node, again, "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 3);
    }
}
