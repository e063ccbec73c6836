//! A small element tree of an XML Schema document, each element with its source line.
//!
//! Only what the schema model needs is kept: element names (prefix stripped), attributes and
//! children. Comments, processing instructions and whitespace are dropped; character data
//! other than whitespace is recorded so the model can report it.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One element of the schema document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XNode {
    /// Local name (`element` for `xs:element`).
    pub name: String,
    /// Namespace prefix as written (`xs`), empty when none.
    pub prefix: String,
    /// Attributes in document order, values unescaped.
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<XNode>,
    /// 1-based line of the start tag.
    pub line: usize,
    /// Non-whitespace character data directly inside the element.
    pub text: String,
}

impl XNode {
    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A well-formedness error, with the line where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses `src` into its root element.
pub fn parse_tree(src: &str) -> Result<XNode, TreeError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut reader = Reader::from_str(src);
    let mut stack: Vec<XNode> = Vec::new();
    let mut root: Option<XNode> = None;
    let line_at = |pos: usize| src[..pos.min(src.len())].matches('\n').count() + 1;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| TreeError {
            line: line_at(reader.error_position() as usize),
            message: format!("not well-formed XML: {e}"),
        })?;
        // The start of the tag is the first non-blank byte after the previous event.
        let tag_at = before + src[before..].len() - src[before..].trim_start().len();
        match event {
            Event::Start(start) => stack.push(node(&start, line_at(tag_at))?),
            Event::Empty(start) => {
                let n = node(&start, line_at(tag_at))?;
                attach(&mut stack, &mut root, n, line_at(tag_at))?;
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| TreeError {
                    line: line_at(tag_at),
                    message: "end tag without a start tag".into(),
                })?;
                attach(&mut stack, &mut root, done, line_at(tag_at))?;
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| TreeError {
                    line: line_at(tag_at),
                    message: format!("bad character data: {e}"),
                })?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(text.trim());
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(String::from_utf8_lossy(&c).trim());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(TreeError {
            line: open.line,
            message: format!("element `{}` is never closed", open.name),
        });
    }
    root.ok_or(TreeError {
        line: 1,
        message: "the document has no root element".into(),
    })
}

fn attach(
    stack: &mut [XNode],
    root: &mut Option<XNode>,
    n: XNode,
    line: usize,
) -> Result<(), TreeError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(n),
        None if root.is_none() => *root = Some(n),
        None => {
            return Err(TreeError {
                line,
                message: "a second root element".into(),
            })
        }
    }
    Ok(())
}

fn node(start: &BytesStart<'_>, line: usize) -> Result<XNode, TreeError> {
    let full = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let (prefix, name) = match full.split_once(':') {
        Some((p, n)) => (p.to_string(), n.to_string()),
        None => (String::new(), full),
    };
    let mut attrs = Vec::new();
    for a in start.attributes() {
        let a = a.map_err(|e| TreeError {
            line,
            message: format!("bad attribute: {e}"),
        })?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|e| TreeError {
                line,
                message: format!("bad attribute value of `{key}`: {e}"),
            })?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(XNode {
        name,
        prefix,
        attrs,
        children: Vec::new(),
        line,
        text: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_attrs_and_children() {
        let t = parse_tree("\u{feff}<?xml version=\"1.0\"?>\n<xs:schema a=\"1\">\n  <!-- c -->\n  <xs:element name=\"A\"/>\n  <b>x</b>\n</xs:schema>").unwrap();
        assert_eq!(
            (t.name.as_str(), t.prefix.as_str(), t.line),
            ("schema", "xs", 2)
        );
        assert_eq!(t.attr("a"), Some("1"));
        assert_eq!(t.children.len(), 2);
        assert_eq!(
            (t.children[0].name.as_str(), t.children[0].line),
            ("element", 4)
        );
        assert_eq!(t.children[1].text, "x");
    }

    #[test]
    fn broken_documents_are_errors_with_lines() {
        let e = parse_tree("<a>\n<b>\n</a>").unwrap_err();
        assert_eq!(e.line, 3, "{e:?}");
        let e = parse_tree("<a>\n<b>").unwrap_err();
        assert!(e.message.contains("never closed"), "{e:?}");
        assert!(parse_tree("").is_err());
    }
}
