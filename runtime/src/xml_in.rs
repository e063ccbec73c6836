//! Streaming XML decoding: generated types read themselves straight from quick-xml events,
//! with no intermediate [`Node`] tree (the tree's allocations dominated typed decoding).
//!
//! [`XmlIn`] is a pull cursor over one document; [`XmlElem`] is a start tag just read. A
//! type's `Value::from_xml` takes the cursor and its element, reads the attributes it knows,
//! then walks the children with [`XmlIn::children`], handing each to the field's type and
//! skipping the ones it does not know. The same protections as [`crate::parse_xml`] apply:
//! UTF-8 checked once, a byte-order mark tolerated, namespace prefixes and declarations
//! dropped, entities unescaped (no DTD expansion), nesting bounded by [`crate::xml::MAX_DEPTH`].

use std::borrow::Cow;

use quick_xml::escape::unescape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::node::Node;
use crate::repr::DecodeError;
use crate::xml::{in_doc, strip_bom, MAX_DEPTH};

/// `part`, a slice the reader handed out of `doc`, as a slice of `doc` itself (so it lives as
/// long as the document, not as the event); `None` when it is not inside `doc`.
fn doc_slice<'a>(doc: &'a str, part: &[u8]) -> Option<&'a str> {
    let start = (part.as_ptr() as usize).checked_sub(doc.as_ptr() as usize)?;
    let s = doc.get(start..start.checked_add(part.len())?)?;
    (s.as_ptr() == part.as_ptr()).then_some(s)
}

/// A pull cursor over one XML document.
pub struct XmlIn<'a> {
    doc: &'a str,
    reader: Reader<&'a [u8]>,
    depth: usize,
}

/// A start tag just read; its content has not been read yet.
pub struct XmlElem<'a> {
    doc: &'a str,
    name: &'a str,
    start: BytesStart<'a>,
    empty: bool,
}

impl<'a> XmlElem<'a> {
    /// The element's local name.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The attributes (namespace declarations excluded), unescaped, in document order.
    pub fn attrs(&self) -> impl Iterator<Item = Result<(&'a str, Cow<'a, str>), DecodeError>> + '_ {
        let doc = self.doc;
        let name = self.name;
        let mut attrs = self.start.attributes();
        attrs.with_checks(true);
        attrs.filter_map(move |attr| {
            let attr = match attr {
                Ok(a) => a,
                Err(err) => {
                    return Some(Err(
                        DecodeError::new(format!("bad attribute: {err}")).within(name)
                    ))
                }
            };
            if attr.key.as_namespace_binding().is_some() {
                return None;
            }
            Some(attr_pair(doc, name, attr))
        })
    }

    /// The value of attribute `key` (ASCII case-insensitive), unescaped.
    pub fn attr(&self, key: &str) -> Result<Option<Cow<'a, str>>, DecodeError> {
        for a in self.attrs() {
            let (k, v) = a?;
            if k.eq_ignore_ascii_case(key) {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }
}

fn attr_pair<'a>(
    doc: &'a str,
    name: &str,
    attr: quick_xml::events::attributes::Attribute<'_>,
) -> Result<(&'a str, Cow<'a, str>), DecodeError> {
    let key = doc_slice(doc, attr.key.local_name().into_inner())
        .ok_or_else(|| DecodeError::new("attribute name is not in the document").within(name))?;
    let value = match doc_slice(doc, &attr.value) {
        Some(raw) => unescape(raw)
            .map_err(|e| DecodeError::new(format!("bad entity in `{key}`: {e}")).within(name))?,
        None => {
            let raw = String::from_utf8(attr.value.to_vec())
                .map_err(|_| DecodeError::new(format!("`{key}` is not UTF-8")).within(name))?;
            Cow::Owned(
                unescape(&raw)
                    .map_err(|e| {
                        DecodeError::new(format!("bad entity in `{key}`: {e}")).within(name)
                    })?
                    .into_owned(),
            )
        }
    };
    Ok((key, value))
}

impl<'a> XmlIn<'a> {
    /// A cursor over `bytes` (UTF-8, a byte-order mark tolerated).
    pub fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let doc = std::str::from_utf8(strip_bom(bytes))
            .map_err(|e| DecodeError::new(format!("XML is not valid UTF-8: {e}")))?;
        let mut reader = Reader::from_str(doc);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Ok(XmlIn {
            doc,
            reader,
            depth: 0,
        })
    }

    fn event(&mut self) -> Result<Event<'a>, DecodeError> {
        let pos = self.reader.buffer_position();
        self.reader
            .read_event()
            .map_err(|e| DecodeError::new(format!("malformed XML at byte {pos}: {e}")))
    }

    fn elem(&self, start: BytesStart<'a>, empty: bool) -> Result<XmlElem<'a>, DecodeError> {
        let name = doc_slice(self.doc, start.local_name().into_inner())
            .ok_or_else(|| DecodeError::new("element name is not in the document"))?;
        Ok(XmlElem {
            doc: self.doc,
            name,
            start,
            empty,
        })
    }

    /// The root element (declaration, comments and whitespace before it skipped).
    pub fn root(&mut self) -> Result<XmlElem<'a>, DecodeError> {
        loop {
            match self.event()? {
                Event::Start(e) => return self.elem(e, false),
                Event::Empty(e) => return self.elem(e, true),
                Event::Text(t) => {
                    let raw = in_doc(self.doc, &t)
                        .map_err(|e| DecodeError::new(format!("text is not UTF-8: {e}")))?;
                    if !raw.trim().is_empty() {
                        return Err(DecodeError::new("text outside the root element"));
                    }
                }
                Event::CData(_) => return Err(DecodeError::new("CDATA outside the root element")),
                Event::End(_) => return Err(DecodeError::new("unbalanced end tag")),
                Event::Eof => return Err(DecodeError::new("XML has no root element")),
                _ => {}
            }
        }
    }

    /// After the root element: only whitespace, comments and processing instructions.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        loop {
            match self.event()? {
                Event::Eof => return Ok(()),
                Event::Start(_) | Event::Empty(_) | Event::CData(_) => {
                    return Err(DecodeError::new("content after the root element"))
                }
                Event::Text(t) => {
                    let raw = in_doc(self.doc, &t)
                        .map_err(|e| DecodeError::new(format!("text is not UTF-8: {e}")))?;
                    if !raw.trim().is_empty() {
                        return Err(DecodeError::new("content after the root element"));
                    }
                }
                Event::End(_) => return Err(DecodeError::new("unbalanced end tag")),
                _ => {}
            }
        }
    }

    /// Reads the content of `e` to its end: every child element goes to `f` (which must
    /// consume it, by decoding or [`XmlIn::skip`]); character data is appended to `text` when
    /// given, dropped otherwise.
    pub fn children(
        &mut self,
        e: XmlElem<'a>,
        mut text: Option<&mut String>,
        mut f: impl FnMut(&mut Self, XmlElem<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        if e.empty {
            return Ok(());
        }
        if self.depth >= MAX_DEPTH {
            return Err(DecodeError::new(format!(
                "XML nested deeper than {MAX_DEPTH} elements"
            )));
        }
        self.depth += 1;
        let res = loop {
            match self.event() {
                Err(err) => break Err(err),
                Ok(Event::Start(s)) => match self.elem(s, false) {
                    Ok(c) => {
                        if let Err(err) = f(self, c) {
                            break Err(err);
                        }
                    }
                    Err(err) => break Err(err),
                },
                Ok(Event::Empty(s)) => {
                    if self.depth >= MAX_DEPTH {
                        break Err(DecodeError::new(format!(
                            "XML nested deeper than {MAX_DEPTH} elements"
                        )));
                    }
                    match self.elem(s, true) {
                        Ok(c) => {
                            if let Err(err) = f(self, c) {
                                break Err(err);
                            }
                        }
                        Err(err) => break Err(err),
                    }
                }
                Ok(Event::End(_)) => break Ok(()),
                Ok(Event::Text(t)) => {
                    if let Some(buf) = text.as_deref_mut() {
                        let raw = match in_doc(self.doc, &t) {
                            Ok(r) => r,
                            Err(err) => {
                                break Err(DecodeError::new(format!("text is not UTF-8: {err}")))
                            }
                        };
                        match unescape(raw) {
                            Ok(s) => buf.push_str(&s),
                            Err(err) => {
                                break Err(DecodeError::new(format!("bad entity in text: {err}")))
                            }
                        }
                    } else if let Err(err) = quick_check_text(self.doc, &t) {
                        break Err(err);
                    }
                }
                Ok(Event::CData(t)) => {
                    let raw = t.into_inner();
                    match std::str::from_utf8(&raw) {
                        Ok(s) => {
                            if let Some(buf) = text.as_deref_mut() {
                                buf.push_str(s);
                            }
                        }
                        Err(err) => {
                            break Err(DecodeError::new(format!("CDATA is not UTF-8: {err}")))
                        }
                    }
                }
                Ok(Event::Eof) => break Err(DecodeError::new("XML ended inside an element")),
                Ok(_) => {}
            }
        };
        self.depth -= 1;
        res
    }

    /// Reads and drops `e` and everything in it.
    pub fn skip(&mut self, e: XmlElem<'a>) -> Result<(), DecodeError> {
        self.children(e, None, |x, c| x.skip(c))
    }

    /// The character data of `e` (child elements skipped); whitespace-only text is `""`.
    pub fn text(&mut self, e: XmlElem<'a>) -> Result<String, DecodeError> {
        let mut s = String::new();
        self.children(e, Some(&mut s), |x, c| x.skip(c))?;
        if s.trim().is_empty() {
            s.clear();
        }
        Ok(s)
    }

    /// `e` as a [`Node`] tree (for types without a streaming decoder).
    pub fn node(&mut self, e: XmlElem<'a>) -> Result<Node, DecodeError> {
        let mut node = Node::new(e.name);
        for a in e.attrs() {
            let (k, v) = a?;
            node.attrs.push((k.to_string(), v.into_owned()));
        }
        let mut text = String::new();
        let mut children = Vec::new();
        self.children(e, Some(&mut text), |x, c| {
            children.push(x.node(c)?);
            Ok(())
        })?;
        node.children = children;
        if !text.trim().is_empty() {
            node.text = Some(text);
        }
        Ok(node)
    }

    /// The items named `item` (ASCII case-insensitive) of the wrapper element `e`, each
    /// decoded by `f`; other children are skipped.
    pub fn items<T>(
        &mut self,
        e: XmlElem<'a>,
        item: &str,
        mut f: impl FnMut(&mut Self, XmlElem<'a>) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let mut out = Vec::new();
        self.children(e, None, |x, c| {
            if c.name().eq_ignore_ascii_case(item) {
                let n = out.len();
                let name = c.name();
                out.push(f(x, c).map_err(|err| err.within(&format!("{name}[{n}]")))?);
                Ok(())
            } else {
                x.skip(c)
            }
        })?;
        Ok(out)
    }
}

/// Text that is dropped is still checked to be well-formed (as the tree parser does).
fn quick_check_text(doc: &str, t: &[u8]) -> Result<(), DecodeError> {
    let raw = in_doc(doc, t).map_err(|e| DecodeError::new(format!("text is not UTF-8: {e}")))?;
    if raw.contains('&') {
        unescape(raw).map_err(|e| DecodeError::new(format!("bad entity in text: {e}")))?;
    }
    Ok(())
}

/// Generated `from_xml` bodies call these, one line per field.
impl<'a> XmlIn<'a> {
    /// Decodes child `c` into `slot` unless a child of that name came first (the first wins,
    /// as with the tree decoder).
    pub fn first<T: crate::Value>(
        &mut self,
        slot: &mut Option<T>,
        c: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        if slot.is_some() {
            return self.skip(c);
        }
        let name = c.name();
        *slot = Some(T::from_xml(self, c).map_err(|e| e.within(name))?);
        Ok(())
    }

    /// Decodes child `c` and appends it to `list` (a repeated element without wrapper).
    pub fn push<T: crate::Value>(
        &mut self,
        list: &mut Vec<T>,
        c: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        let name = c.name();
        list.push(T::from_xml(self, c).map_err(|e| e.within(name))?);
        Ok(())
    }

    /// Decodes the wrapper child `c` into `slot` as its `item` elements (first wrapper wins).
    pub fn wrapped<T: crate::Value>(
        &mut self,
        slot: &mut Option<Vec<T>>,
        c: XmlElem<'a>,
        item: &str,
    ) -> Result<(), DecodeError> {
        if slot.is_some() {
            return self.skip(c);
        }
        let name = c.name();
        *slot = Some(
            self.items(c, item, |x, i| T::from_xml(x, i))
                .map_err(|e| e.within(name))?,
        );
        Ok(())
    }
}

/// Parses attribute `key`'s value into `slot` (the first of that name wins).
pub fn xml_attr<T: crate::Scalar>(
    slot: &mut Option<T>,
    key: &str,
    value: &str,
) -> Result<(), DecodeError> {
    if slot.is_none() {
        *slot =
            Some(T::parse_text(value).map_err(|e| DecodeError::new(e).within(&format!("@{key}")))?);
    }
    Ok(())
}

/// A required field's value, or the error naming it.
pub fn required<T>(slot: Option<T>, name: &str, attr: bool) -> Result<T, DecodeError> {
    slot.ok_or_else(|| {
        DecodeError::new(if attr {
            format!("missing attribute `{name}`")
        } else {
            format!("missing element `{name}`")
        })
    })
}

/// Reads a scalar from an element's character data.
pub fn scalar_from_xml<'a, T: crate::Scalar>(
    x: &mut XmlIn<'a>,
    e: XmlElem<'a>,
) -> Result<T, DecodeError> {
    let t = x.text(e)?;
    T::parse_text(&t).map_err(DecodeError::new)
}

/// Decodes a whole XML document into `T` by streaming, without building a tree.
pub fn decode_xml_streaming<T: crate::Repr>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut x = XmlIn::new(bytes)?;
    let root = x.root()?;
    let name = root.name();
    let value = T::from_xml(&mut x, root).map_err(|e| e.within(name))?;
    x.finish()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Link, Links, Value};

    #[test]
    fn deep_documents_are_refused_not_overflowed() {
        let depth = MAX_DEPTH + 10;
        let doc = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        let mut x = XmlIn::new(doc.as_bytes()).unwrap();
        let root = x.root().unwrap();
        let err = x.skip(root).unwrap_err();
        assert!(err.to_string().contains("nested deeper"), "{err}");
    }

    #[test]
    fn links_stream_like_the_tree() {
        let doc = br#"<?xml version="1.0"?><Links xmlns="urn:x"><Link Rel="Up" Href="h?a=1&amp;b=2" Name=""/><Other/><Link Href="g" Rel="Down" Type="T"><Ignored/></Link></Links>"#;
        let mut x = XmlIn::new(doc).unwrap();
        let root = x.root().unwrap();
        let streamed = Links::from_xml(&mut x, root).unwrap();
        x.finish().unwrap();
        let tree = Links::from_node(&crate::parse_xml(doc).unwrap()).unwrap();
        assert_eq!(streamed, tree);
        assert_eq!(streamed.0[0].href, "h?a=1&b=2");
        assert_eq!(streamed.0[0].name.as_deref(), Some(""));
        assert_eq!(streamed.0[1].type_.as_deref(), Some("T"));
        let _: &Link = &streamed.0[1];
    }

    #[test]
    fn garbage_after_the_root_and_bad_entities_are_errors() {
        let mut x = XmlIn::new(b"<a/><b/>").unwrap();
        let root = x.root().unwrap();
        x.skip(root).unwrap();
        assert!(x.finish().is_err());
        let mut x = XmlIn::new(b"<a>&bogus;</a>").unwrap();
        let root = x.root().unwrap();
        assert!(x.text(root).is_err());
    }
}
