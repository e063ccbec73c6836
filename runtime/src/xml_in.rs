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

use quick_xml::escape::EscapeError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::node::Node;
use crate::repr::DecodeError;
use crate::xml::{in_doc, strip_bom, MAX_DEPTH};

/// `raw` with its entity and character references replaced: borrowed as it is when it has
/// none (attribute values and text almost never do), which a SIMD search for `&` tells
/// faster than the general unescaper (or a byte loop: values are mostly long hrefs).
fn unescape(raw: &str) -> Result<Cow<'_, str>, EscapeError> {
    if memchr::memchr(b'&', raw.as_bytes()).is_none() {
        return Ok(Cow::Borrowed(raw));
    }
    quick_xml::escape::unescape(raw)
}

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
    /// Children of wrapper elements that no item took, with the number of items before
    /// them; the enclosing record moves them into its unknown content.
    spill: Vec<(u32, Node)>,
}

/// A start tag just read; its content has not been read yet.
pub struct XmlElem<'a> {
    doc: &'a str,
    name: &'a str,
    qname: &'a str,
    start: BytesStart<'a>,
    empty: bool,
}

impl<'a> XmlElem<'a> {
    /// The element's local name.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Whether the element was written empty (`<Link …/>`): it has no content to read.
    pub(crate) fn is_empty(&self) -> bool {
        self.empty
    }

    /// The element's name as written, prefix included (what kept content writes back).
    pub fn qname(&self) -> &'a str {
        self.qname
    }

    /// The attributes (namespace declarations excluded), unescaped, in document order, by
    /// local name.
    pub fn attrs(&self) -> impl Iterator<Item = Result<(&'a str, Cow<'a, str>), DecodeError>> + '_ {
        self.attrs_named(false, true)
    }

    /// The attributes by their names as written, prefix included.
    pub fn qattrs(
        &self,
    ) -> impl Iterator<Item = Result<(&'a str, Cow<'a, str>), DecodeError>> + '_ {
        self.attrs_named(true, true)
    }

    /// [`XmlElem::qattrs`] without the check that no name is repeated: for a caller that
    /// takes each attribute by name at most once and hands anything else (a repeat among
    /// them) to [`XmlElem::qattrs`].
    pub(crate) fn qattrs_unchecked(
        &self,
    ) -> impl Iterator<Item = Result<(&'a str, Cow<'a, str>), DecodeError>> + '_ {
        self.attrs_named(true, false)
    }

    fn attrs_named(
        &self,
        qualified: bool,
        check_repeats: bool,
    ) -> impl Iterator<Item = Result<(&'a str, Cow<'a, str>), DecodeError>> + '_ {
        let name = self.name;
        // The reader lends start tags out of the document; anything else is refused by the
        // first step of the scan instead of read.
        let mut scan = match doc_slice(self.doc, self.start.attributes_raw()) {
            Some(text) => AttrScan { text, pos: 0 },
            None => AttrScan::refused(),
        };
        // Duplicates are checked here, without quick-xml's per-element key vector (one heap
        // allocation per element with attributes, a fifth of all allocations of a decode).
        let mut keys = SeenKeys::new();
        std::iter::from_fn(move || loop {
            let (key, raw, escaped) = match scan.next()? {
                Ok(pair) => pair,
                Err(why) => {
                    return Some(Err(
                        DecodeError::new(format!("bad attribute: {why}")).within(name)
                    ))
                }
            };
            if check_repeats && keys.repeated(key.as_bytes()) {
                return Some(Err(DecodeError::new(format!(
                    "attribute `{key}` appears twice"
                ))
                .within(name)));
            }
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue; // a namespace declaration, not an attribute
            }
            let key = if qualified {
                key
            } else {
                key.split_once(':').map_or(key, |(_, local)| local)
            };
            if !escaped {
                return Some(Ok((key, Cow::Borrowed(raw))));
            }
            return Some(
                quick_xml::escape::unescape(raw)
                    .map(|v| (key, v))
                    .map_err(|e| {
                        DecodeError::new(format!("bad entity in `{key}`: {e}")).within(name)
                    }),
            );
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

/// The attribute names of one start tag read so far, for the duplicate check: the first
/// [`SeenKeys::INLINE`] in place (start tags rarely carry more), the rest on the heap.
struct SeenKeys<'k> {
    inline: [&'k [u8]; SeenKeys::INLINE],
    len: usize,
    more: Vec<&'k [u8]>,
}

impl<'k> SeenKeys<'k> {
    const INLINE: usize = 8;

    fn new() -> Self {
        SeenKeys {
            inline: [&[]; Self::INLINE],
            len: 0,
            more: Vec::new(),
        }
    }

    /// Records `key` and says whether an earlier attribute of the tag had it.
    fn repeated(&mut self, key: &'k [u8]) -> bool {
        // Lengths first: most keys differ in length, and a byte comparison is then skipped.
        let same = |k: &&[u8]| k.len() == key.len() && *k == key;
        if self.inline[..self.len].iter().any(same) || self.more.iter().any(same) {
            return true;
        }
        if self.len < Self::INLINE {
            self.inline[self.len] = key;
            self.len += 1;
        } else {
            self.more.push(key);
        }
        false
    }
}

/// XML's whitespace, as quick-xml reads it between attributes.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The attributes of one start tag read off the document's text: each a name and its raw
/// (still escaped) value, both slices of the document. It accepts and refuses what
/// quick-xml's attribute iterator does in XML mode (a name runs to `=` or whitespace; `=`
/// and a quoted value must follow), but finds a value's closing quote with a SIMD search
/// instead of a byte loop: values are mostly long hrefs.
struct AttrScan<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> AttrScan<'a> {
    /// A scan whose first step is an error (the tag was not a slice of the document).
    fn refused() -> Self {
        AttrScan {
            text: "",
            pos: usize::MAX,
        }
    }

    /// The next name, raw value and whether the value holds a `&` (an entity or character
    /// reference to replace); `Err` says what is wrong, after which the scan ends.
    fn next(&mut self) -> Option<Result<(&'a str, &'a str, bool), String>> {
        if self.pos == usize::MAX {
            self.pos = usize::MAX - 1;
            return Some(Err("the start tag is not in the document".into()));
        }
        let b = self.text.as_bytes();
        let skip_space = |mut i: usize| {
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            i
        };
        let start = skip_space(self.pos);
        if start >= b.len() {
            self.pos = b.len();
            return None;
        }
        // The name's first byte is taken as it is, then up to `=` or whitespace.
        let mut end = start + 1;
        while end < b.len() && b[end] != b'=' && !is_space(b[end]) {
            end += 1;
        }
        // Every cut is at an ASCII byte or the end, so a char boundary; `get` only keeps
        // that a fact checked rather than a panic.
        let slice = |from: usize, to: usize| self.text.get(from..to).unwrap_or_default();
        let key = slice(start, end);
        self.pos = b.len(); // ended, unless a whole attribute is read below
        let eq = skip_space(end);
        if b.get(eq) != Some(&b'=') {
            return Some(Err(format!("`{key}` is not followed by `=`")));
        }
        let open = skip_space(eq + 1);
        let quote = match b.get(open) {
            Some(&q @ (b'"' | b'\'')) => q,
            Some(_) => return Some(Err(format!("the value of `{key}` is not quoted"))),
            None => return Some(Err(format!("`{key}` has no value"))),
        };
        // The closing quote, noting on the way whether the value has a reference to
        // replace (one search for both, not a second pass for `&`).
        let mut escaped = false;
        let mut from = open + 1;
        let close = loop {
            match memchr::memchr2(quote, b'&', &b[from..]) {
                Some(n) if b[from + n] == quote => break from + n,
                Some(n) => {
                    escaped = true;
                    from += n + 1;
                }
                None => return Some(Err(format!("the value of `{key}` has no closing quote"))),
            }
        };
        self.pos = close + 1;
        Some(Ok((key, slice(open + 1, close), escaped)))
    }
}

/// Adds a run of character data to `buf`: the first run is kept as it came (borrowed when it
/// had no entities); only a second run makes the text owned.
fn append<'a>(buf: &mut Cow<'a, str>, run: Cow<'a, str>) {
    if buf.is_empty() {
        *buf = run;
    } else {
        buf.to_mut().push_str(&run);
    }
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
            spill: Vec::new(),
        })
    }

    #[inline(always)]
    fn event(&mut self) -> Result<Event<'a>, DecodeError> {
        let pos = self.reader.buffer_position();
        self.reader
            .read_event()
            .map_err(|e| DecodeError::new(format!("malformed XML at byte {pos}: {e}")))
    }

    #[inline(always)]
    fn elem(&self, start: BytesStart<'a>, empty: bool) -> Result<XmlElem<'a>, DecodeError> {
        let name = doc_slice(self.doc, start.local_name().into_inner())
            .ok_or_else(|| DecodeError::new("element name is not in the document"))?;
        let qname = doc_slice(self.doc, start.name().into_inner())
            .ok_or_else(|| DecodeError::new("element name is not in the document"))?;
        Ok(XmlElem {
            doc: self.doc,
            name,
            qname,
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
        text: Option<&mut Cow<'a, str>>,
        mut f: impl FnMut(&mut Self, XmlElem<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        self.walk(e, text, false, &mut f)
    }

    /// As [`XmlIn::children`], collecting character data into `text` except runs that are
    /// only whitespace (the indentation between elements), so that pretty-printed records
    /// allocate nothing for it.
    pub fn children_nonblank(
        &mut self,
        e: XmlElem<'a>,
        text: &mut Cow<'a, str>,
        mut f: impl FnMut(&mut Self, XmlElem<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        self.walk(e, Some(text), true, &mut f)
    }

    fn walk(
        &mut self,
        e: XmlElem<'a>,
        mut text: Option<&mut Cow<'a, str>>,
        skip_blank: bool,
        f: &mut dyn FnMut(&mut Self, XmlElem<'a>) -> Result<(), DecodeError>,
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
                        let raw = match self.text_run(t) {
                            Ok(r) => r,
                            Err(err) => break Err(err),
                        };
                        if skip_blank && raw.bytes().all(|b| b.is_ascii_whitespace()) {
                            continue;
                        }
                        let run = match raw {
                            Cow::Borrowed(r) => unescape(r),
                            Cow::Owned(r) => unescape(&r).map(|u| Cow::Owned(u.into_owned())),
                        };
                        match run {
                            Ok(s) => append(buf, s),
                            Err(err) => {
                                break Err(DecodeError::new(format!("bad entity in text: {err}")))
                            }
                        }
                    } else if let Err(err) = quick_check_text(self.doc, &t) {
                        break Err(err);
                    }
                }
                Ok(Event::CData(t)) => {
                    let raw = match t.into_inner() {
                        Cow::Borrowed(b) => std::str::from_utf8(b).map(Cow::Borrowed),
                        Cow::Owned(b) => String::from_utf8(b)
                            .map(Cow::Owned)
                            .map_err(|e| e.utf8_error()),
                    };
                    match raw {
                        Ok(s) => {
                            if let Some(buf) = text.as_deref_mut() {
                                append(buf, s);
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

    /// A text event's raw (still escaped) characters, as a slice of the document when the
    /// reader lent it one.
    fn text_run(&self, t: quick_xml::events::BytesText<'a>) -> Result<Cow<'a, str>, DecodeError> {
        let bad = |err: std::str::Utf8Error| DecodeError::new(format!("text is not UTF-8: {err}"));
        match t.into_inner() {
            Cow::Borrowed(b) => match doc_slice(self.doc, b) {
                Some(s) => Ok(Cow::Borrowed(s)),
                None => std::str::from_utf8(b).map(Cow::Borrowed).map_err(bad),
            },
            Cow::Owned(b) => String::from_utf8(b)
                .map(Cow::Owned)
                .map_err(|e| bad(e.utf8_error())),
        }
    }

    /// Reads and drops `e` and everything in it.
    pub fn skip(&mut self, e: XmlElem<'a>) -> Result<(), DecodeError> {
        self.children(e, None, |x, c| x.skip(c))
    }

    /// The character data of `e` (child elements skipped); whitespace-only text is `""`.
    pub fn text(&mut self, e: XmlElem<'a>) -> Result<String, DecodeError> {
        self.text_cow(e).map(Cow::into_owned)
    }

    /// As [`XmlIn::text`], borrowed from the document when it can be (one run of character
    /// data without entities, the common case), so that scalars parse without a copy.
    pub fn text_cow(&mut self, e: XmlElem<'a>) -> Result<Cow<'a, str>, DecodeError> {
        let mut s = Cow::Borrowed("");
        self.children(e, Some(&mut s), |x, c| x.skip(c))?;
        if crate::repr::trim_value(&s).is_empty() {
            return Ok(Cow::Borrowed(""));
        }
        Ok(s)
    }

    /// `e` as a [`Node`] tree, names as written (prefixes kept, so that kept content is
    /// written back as it came).
    pub fn node(&mut self, e: XmlElem<'a>) -> Result<Node, DecodeError> {
        let mut node = Node::new(e.qname);
        for a in e.qattrs() {
            let (k, v) = a?;
            node.attrs.push((k.to_string(), v.into_owned()));
        }
        let mut text = Cow::Borrowed("");
        let mut children = Vec::new();
        self.children(e, Some(&mut text), |x, c| {
            children.push(x.node(c)?);
            Ok(())
        })?;
        node.children = children;
        if !text.trim().is_empty() {
            node.text = Some(text.into_owned());
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

/// The spill position of a wrapper's own attributes (a node holding only them).
pub const WRAPPER_ATTRS: u32 = u32::MAX;

/// Wrapper elements and the records around them use these.
impl<'a> XmlIn<'a> {
    /// Appends the `item` children of the wrapper `e` to `into`; other children are kept
    /// in the spill (with the number of items before them) for the enclosing record. A
    /// list left with 64 bytes or more of spare room is then shrunk to its length.
    pub fn wrapped_items<T: crate::Value>(
        &mut self,
        e: XmlElem<'a>,
        item: &str,
        into: &mut Vec<T>,
    ) -> Result<(), DecodeError> {
        self.wrapped_with(e, item, &mut |x, c| T::push_xml(into, x, c))?;
        crate::codec::fit(into, crate::codec::XML_FIT_SLACK);
        Ok(())
    }

    /// As [`XmlIn::wrapped_items`], each item read by `read` (one copy for every item type).
    pub(crate) fn wrapped_with(
        &mut self,
        e: XmlElem<'a>,
        item: &str,
        read: &mut dyn FnMut(&mut Self, XmlElem<'a>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        // Attributes of the wrapper itself have no field either: kept for the record too.
        let mut attrs = Vec::new();
        for a in e.qattrs().filter(|_| crate::codec::KEEP_UNKNOWN) {
            let (k, v) = a?;
            attrs.push((k.to_string(), v.into_owned()));
        }
        if !attrs.is_empty() {
            let mut w = Node::new(e.qname());
            w.attrs = attrs;
            self.spill.push((WRAPPER_ATTRS, w));
        }
        let mut n = 0u32;
        self.walk(e, None, false, &mut |x, c| {
            if c.name().eq_ignore_ascii_case(item) {
                let name = c.name();
                read(x, c).map_err(|err| err.within(&format!("{name}[{n}]")))?;
                n += 1;
            } else if crate::codec::KEEP_UNKNOWN {
                let node = x.node(c)?;
                x.spill.push((n, node));
            } else {
                x.skip(c)?;
            }
            Ok(())
        })
    }

    /// A mark of the spill, to take what is spilled after it.
    pub fn spill_mark(&self) -> usize {
        self.spill.len()
    }

    /// What was spilled since `mark`.
    pub fn spill_take(&mut self, mark: usize) -> std::vec::Drain<'_, (u32, Node)> {
        let mark = mark.min(self.spill.len());
        self.spill.drain(mark..)
    }
}

/// Decodes a whole XML document into `T` by streaming, without building a tree.
pub fn decode_xml_streaming<T: crate::Repr>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut value: Option<T> = None;
    decode_xml_into(bytes, &mut value)?;
    value.ok_or_else(crate::codec::nothing_decoded)
}

/// Decodes a whole XML document into `slot` (an `Option<T>` of the document's type); the
/// one copy of the document loop every type shares.
pub(crate) fn decode_xml_into(bytes: &[u8], slot: &mut dyn crate::Slot) -> Result<(), DecodeError> {
    let mut x = XmlIn::new(bytes)?;
    let root = x.root()?;
    let name = root.name();
    slot.read_xml(&crate::codec::DOCUMENT, &mut x, root)
        .map_err(|e| e.within(name))?;
    x.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Link, Links};

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
        const EM: crate::LinkDef =
            crate::LinkDef::new(Some("Links"), "Link", "Rel", "Href", "Name", "Type");
        let field = crate::FieldDef::links("Links", &EM, false);
        let mut streamed = Links::default();
        crate::Slot::read_xml(&mut streamed, &field, &mut x, root).unwrap();
        // The stranger among the links waits in the spill for the enclosing record, after
        // one link; the one inside a link is that link's own unknown content.
        let spilled: Vec<(u32, Node)> = x.spill_take(0).collect();
        assert_eq!(spilled.len(), 1);
        assert_eq!((spilled[0].0, spilled[0].1.name.as_str()), (1, "Other"));
        x.finish().unwrap();
        let tree = Links::from_node(&crate::parse_xml(doc).unwrap(), &EM).unwrap();
        assert_eq!(streamed.0.len(), tree.0.len());
        assert_eq!(streamed.0[1].unknown.paths(), vec!["Ignored".to_string()]);
        assert_eq!(streamed.0[0].href, "h?a=1&b=2");
        assert_eq!(streamed.0[0].name.as_deref(), Some(""));
        assert_eq!(streamed.0[1].type_.as_deref(), Some("T"));
        let _: &Link = &streamed.0[1];
    }

    /// The attributes up to the first error (`None` for one), by quick-xml's iterator.
    fn quick_xml_attrs(tag: &str) -> (Vec<(String, String)>, bool) {
        let start = BytesStart::from_content(tag, 0);
        let mut attrs = start.attributes();
        attrs.with_checks(false);
        let mut out = Vec::new();
        for a in attrs {
            match a {
                Ok(a) => out.push((
                    String::from_utf8(a.key.into_inner().to_vec()).unwrap(),
                    String::from_utf8(a.value.to_vec()).unwrap(),
                )),
                Err(_) => return (out, false),
            }
        }
        (out, true)
    }

    fn scanned_attrs(tag: &str) -> (Vec<(String, String)>, bool) {
        let mut scan = AttrScan { text: tag, pos: 0 };
        let mut out = Vec::new();
        while let Some(a) = scan.next() {
            match a {
                Ok((k, v, escaped)) => {
                    assert_eq!(escaped, v.contains('&'), "{tag:?}");
                    out.push((k.to_string(), v.to_string()))
                }
                Err(_) => return (out, false),
            }
        }
        (out, true)
    }

    #[test]
    fn attribute_scan_reads_what_quick_xml_reads() {
        // Hand-picked shapes, then every string of a small alphabet's random draws: the
        // scan and quick-xml's iterator (the independent reader) agree on the pairs read
        // and on whether the tag is refused.
        let mut tags: Vec<String> = [
            "",
            " ",
            r#" a="1""#,
            " a = '1'  b=\"x y\"\t",
            r#" a="1"b="2""#,
            r#" a"#,
            r#" a "#,
            r#" a="#,
            r#" a=1"#,
            r#" a="1"#,
            r#" ="1""#,
            " a\n=\r\n'é&amp;'",
            r#" é:ü="'" x:y='"'"#,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let alphabet = [" ", "a", "b", "=", "\"", "'", ":", "\t", "é", "&"];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut tag = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 14) as usize;
            let mut r = seed;
            for _ in 0..len {
                tag.push_str(alphabet[(r % alphabet.len() as u64) as usize]);
                r /= alphabet.len() as u64;
                if r == 0 {
                    r = seed.rotate_left(29) | 1;
                }
            }
            tags.push(tag);
        }
        let mut refused = 0;
        for tag in &tags {
            let ours = scanned_attrs(tag);
            assert_eq!(ours, quick_xml_attrs(tag), "attributes {tag:?}");
            refused += usize::from(!ours.1);
        }
        // Both outcomes were exercised.
        assert!(
            refused > 1_000 && refused < tags.len() - 1_000,
            "{refused} refused"
        );
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
