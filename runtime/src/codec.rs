//! The one codec of every representation: a type describes its fields once, as a table of
//! [`FieldDef`]s with one [`Slot`] per field ([`Record`]), and the runtime reads XML events,
//! JSON tokens and writes every format from that table. Generated code holds no decoding or
//! encoding logic of its own, so `vem decode`, a live call and a request body can never
//! disagree on the same bytes.
//!
//! What the table does not declare is kept in the record's [`Unknown`]: attributes, child
//! elements (with their position among the known fields) and text, written back when the
//! value is encoded — a read-modify-write never drops what a newer server sent. A record
//! without unknown content pays one `None` pointer and no allocation.

use std::borrow::Cow;
use std::fmt;

use crate::json_in::{JsonIn, JsonTok};
use crate::link::{LinkDef, Links};
use crate::node::{JsonKind, Node};
use crate::out::Out;
use crate::repr::{DecodeError, Value};
use crate::xml_in::{XmlElem, XmlIn};

/// How a field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An attribute (JSON: a member).
    Attr,
    /// One child element.
    Elem,
    /// A repeated child element without wrapper (JSON: an array under [`FieldDef::json`]).
    List,
    /// A list inside the wrapper element [`FieldDef::name`], one [`FieldDef::item`] element
    /// per value (JSON: the wrapper object holding an array under [`FieldDef::json`]).
    Wrapped,
    /// The element's own character data (JSON: the member [`FieldDef::json`], the API's
    /// JSON text member).
    Text,
}

/// One field of a representation, as the spec declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// XML element or attribute name; the JSON member (matched case-insensitively).
    pub name: &'static str,
    /// How the field is written.
    pub kind: Kind,
    /// [`Kind::Wrapped`]: the item element name.
    pub item: &'static str,
    /// [`Kind::List`]: the JSON array member; [`Kind::Wrapped`]: the array member inside the
    /// wrapper object (empty: a bare array). Equal to `name` when the spec says nothing.
    pub json: &'static str,
    /// Absence is a decode error.
    pub required: bool,
    /// A field of links (or of one link): the form the API writes them in.
    pub links: Option<&'static LinkDef>,
    /// Values the field usually holds: a name-like `SharedStr` field whose value is one of
    /// them borrows it instead of writing it (a link's relation and type, a generated
    /// representation's own type).
    /// Empty for every other field.
    pub names: Names,
}

/// A set of names with a hash index built at compile time ([`name_slots`]): what a
/// name-like field usually holds, so that decoding it borrows instead of allocating. The
/// names are one string, separated by spaces (a generated client's table is one literal, not
/// hundreds of lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    text: &'static str,
    /// Open addressing, linear probing: a name's start in `text` (shifted left by 8) and its
    /// length (low 8 bits), or [`Names::FREE`]. The length is a power of two at least twice
    /// the number of names, so a probe always ends.
    slots: &'static [u32],
}

impl Names {
    /// No names: every lookup misses.
    pub const EMPTY: Names = Names {
        text: "",
        slots: &[],
    };
    const FREE: u32 = u32::MAX;

    /// The set of the space-separated names of `text`, indexed by `slots`, which must be
    /// `name_slots(text)`.
    pub const fn new(text: &'static str, slots: &'static [u32]) -> Names {
        Names { text, slots }
    }

    /// The names, in the order given.
    pub fn list(&self) -> impl Iterator<Item = &'static str> {
        self.text.split(' ').filter(|n| !n.is_empty())
    }

    /// The name equal to `value`, if it is one of the set.
    pub fn get(&self, value: &str) -> Option<&'static str> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = name_hash(value.as_bytes()) as usize & mask;
        loop {
            let slot = *self.slots.get(at)?;
            if slot == Self::FREE {
                return None;
            }
            let (from, len) = ((slot >> 8) as usize, (slot & 0xFF) as usize);
            let name = self.text.get(from..from + len)?;
            if name == value {
                return Some(name);
            }
            at = (at + 1) & mask;
        }
    }
}

/// The hash of [`Names`]: the length and the first and last eight bytes, mixed. Cheap and
/// branch-free for the short identifiers it is for; a `const fn`, so that the index is
/// built by the compiler.
pub const fn name_hash(b: &[u8]) -> u64 {
    const fn word(b: &[u8], from: usize) -> u64 {
        let mut w = [0u8; 8];
        let mut i = 0;
        while i < 8 && from + i < b.len() {
            w[i] = b[from + i];
            i += 1;
        }
        u64::from_le_bytes(w)
    }
    let n = b.len();
    // Whole words where the name has them (one load, not a byte loop).
    let (first, last) = match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(f), Some(l)) => (
            u64::from_le_bytes(*f),
            if n > 8 { u64::from_le_bytes(*l) } else { 0 },
        ),
        _ => (word(b, 0), 0),
    };
    let x = first ^ last.rotate_left(31) ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

/// The index of [`Names::new`] for the space-separated names of `text`, `N` slots long:
/// `N` must be a power of two at least twice the number of names, each name shorter than
/// 256 bytes and `text` shorter than 16 MiB. A violation fails the build (this is evaluated
/// as a constant).
pub const fn name_slots<const N: usize>(text: &str) -> [u32; N] {
    let b = text.as_bytes();
    assert!(N.is_power_of_two() && b.len() < (1 << 24));
    let mut slots = [Names::FREE; N];
    let mut used = 0;
    let mut start = 0;
    while start < b.len() {
        let mut end = start;
        while end < b.len() && b[end] != b' ' {
            end += 1;
        }
        let len = end - start;
        if len > 0 {
            assert!(len < 256);
            used += 1;
            assert!(used * 2 <= N);
            let (name, _) = b.split_at(end);
            let (_, name) = name.split_at(start);
            let mut at = name_hash(name) as usize & (N - 1);
            while slots[at] != Names::FREE {
                at = (at + 1) & (N - 1);
            }
            slots[at] = ((start as u32) << 8) | len as u32;
        }
        start = end + 1;
    }
    slots
}

/// Whether a name in a document is the spec's `name`, ASCII case-insensitively. The usual
/// cases, the spec's spelling and its camelCase (`Links`, `links`), differ at most in the
/// first byte, so the rest is first compared as bytes.
#[inline]
pub(crate) fn same_name(name: &str, found: &str) -> bool {
    let (a, b) = (name.as_bytes(), found.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    match (a.split_first(), b.split_first()) {
        (Some((x, ra)), Some((y, rb))) => {
            x.eq_ignore_ascii_case(y) && (ra == rb || ra.eq_ignore_ascii_case(rb))
        }
        _ => true, // both empty
    }
}

impl FieldDef {
    /// An attribute.
    pub const fn attr(name: &'static str, required: bool) -> Self {
        Self::new(name, Kind::Attr, "", name, required)
    }
    /// A child element.
    pub const fn elem(name: &'static str, required: bool) -> Self {
        Self::new(name, Kind::Elem, "", name, required)
    }
    /// A repeated child element, listed in JSON under `json`.
    pub const fn list(name: &'static str, json: &'static str) -> Self {
        Self::new(name, Kind::List, "", json, false)
    }
    /// A list of `item` elements in the wrapper `name`; JSON `"name": {"json": [...]}`.
    pub const fn wrapped(
        name: &'static str,
        item: &'static str,
        json: &'static str,
        required: bool,
    ) -> Self {
        Self::new(name, Kind::Wrapped, item, json, required)
    }
    /// The element's character data, in JSON the member `json` (the API's text member).
    pub const fn text(json: &'static str, required: bool) -> Self {
        Self::new("", Kind::Text, "", json, required)
    }
    /// The links of a representation in the wrapper element `name` (JSON: a bare array).
    pub const fn links(name: &'static str, def: &'static LinkDef, required: bool) -> Self {
        Self::new(name, Kind::Elem, def.element, name, required).with_links(def)
    }
    /// The links of a representation as repeated link elements directly under it (JSON:
    /// the array `json`).
    pub const fn links_inline(def: &'static LinkDef, json: &'static str) -> Self {
        Self::new(def.element, Kind::List, "", json, false).with_links(def)
    }
    /// One link, as the element `name`.
    pub const fn link(name: &'static str, def: &'static LinkDef, required: bool) -> Self {
        Self::new(name, Kind::Elem, "", name, required).with_links(def)
    }
    const fn with_links(mut self, def: &'static LinkDef) -> Self {
        self.links = Some(def);
        self
    }
    /// The same field with the values it usually holds (see [`FieldDef::names`]).
    pub const fn with_names(mut self, names: Names) -> Self {
        self.names = names;
        self
    }
    const fn new(
        name: &'static str,
        kind: Kind,
        item: &'static str,
        json: &'static str,
        required: bool,
    ) -> Self {
        FieldDef {
            name,
            kind,
            item,
            json,
            required,
            links: None,
            names: Names::EMPTY,
        }
    }
}

/// The field a whole document is read as (the slots of single values ignore it).
pub(crate) const DOCUMENT: FieldDef = FieldDef::elem("", true);

/// A decoder reported success but left its value empty (cannot happen: every `Option` slot
/// sets its value when it reads without error).
pub(crate) fn nothing_decoded() -> DecodeError {
    DecodeError::new("nothing was decoded")
}

/// Where kept content sat among the known fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Before field `.0` (after every field before it); `FIELDS.len()` means at the end.
    Before(u16),
    /// Among the items of the repeated field `.0`, after `.1` of them.
    After(u16, u32),
    /// Inside the wrapper element of field `.0`, after `.1` of its items.
    Inside(u16, u32),
    /// The attributes (only) of the wrapper element of field `.0` (kept in XML; JSON has no
    /// place for them on an array).
    Wrapper(u16),
}

/// An element kept as read, with its position.
#[derive(Debug, Clone)]
pub struct UnknownElem {
    /// Where it sat.
    pub at: Anchor,
    /// The element (for JSON: the member).
    pub node: Node,
}

/// The content of a representation that its spec does not declare.
///
/// Equality compares names ASCII case-insensitively (JSON servers write them in their own
/// casing) and ignores the JSON writing hints of kept nodes.
#[derive(Debug, Clone, Default)]
pub struct UnknownParts {
    /// Attributes, in document order.
    pub attrs: Vec<(String, String)>,
    /// Child elements (JSON members), in document order.
    pub elems: Vec<UnknownElem>,
    /// Character data of an element whose spec declares none.
    pub text: Option<String>,
}

impl PartialEq for UnknownElem {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && node_eq(&self.node, &other.node)
    }
}

impl Eq for UnknownElem {}

impl PartialEq for UnknownParts {
    fn eq(&self, other: &Self) -> bool {
        self.attrs.len() == other.attrs.len()
            && self
                .attrs
                .iter()
                .zip(&other.attrs)
                .all(|((ka, va), (kb, vb))| ka.eq_ignore_ascii_case(kb) && va == vb)
            && self.elems == other.elems
            && self.text == other.text
    }
}

impl Eq for UnknownParts {}

/// Two trees with the same content (names compared ASCII case-insensitively).
fn node_eq(a: &Node, b: &Node) -> bool {
    a.name.eq_ignore_ascii_case(&b.name)
        && a.array == b.array
        && a.text.as_deref().unwrap_or("") == b.text.as_deref().unwrap_or("")
        && a.attrs.len() == b.attrs.len()
        && a.attrs
            .iter()
            .zip(&b.attrs)
            .all(|((ka, va), (kb, vb))| ka.eq_ignore_ascii_case(kb) && va == vb)
        && a.children.len() == b.children.len()
        && a.children
            .iter()
            .zip(&b.children)
            .all(|(x, y)| node_eq(x, y))
}

/// What a representation read but its spec does not declare; written back on encoding.
/// Empty (no allocation) in the common case.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Unknown(Option<Box<UnknownParts>>);

impl Unknown {
    /// No unknown content.
    pub const NONE: Unknown = Unknown(None);

    /// Whether nothing unknown was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The kept content, if any.
    pub fn parts(&self) -> Option<&UnknownParts> {
        self.0.as_deref()
    }

    /// The kept content, created on first use.
    pub fn parts_mut(&mut self) -> &mut UnknownParts {
        self.0.get_or_insert_with(Default::default)
    }

    /// Drops everything kept.
    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// Paths (`Name`, `@Attr`) of the kept content, for diagnostics (values never appear).
    pub fn paths(&self) -> Vec<String> {
        let Some(p) = &self.0 else {
            return Vec::new();
        };
        let mut out: Vec<String> = p.attrs.iter().map(|(k, _)| format!("@{k}")).collect();
        out.extend(p.elems.iter().map(|e| e.node.name.clone()));
        if p.text.is_some() {
            out.push("#text".to_string());
        }
        out
    }
}

impl fmt::Debug for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("Unknown(none)"),
            Some(_) => write!(f, "Unknown({})", self.paths().join(", ")),
        }
    }
}

/// The field access a representation gives the codec (object safe; every [`Record`] has it).
pub trait Fields {
    /// The slot of field `i` (an index into the type's [`Record::FIELDS`]; any index beyond
    /// them is the unknown content).
    fn slot(&mut self, i: usize) -> &mut dyn Slot;
    /// The slot of field `i`, for writing.
    fn get(&self, i: usize) -> &dyn Slot;
    /// The kept unknown content (the slot an index beyond the fields answers).
    fn kept(&self) -> &Unknown {
        self.get(usize::MAX).as_unknown().unwrap_or(&Unknown::NONE)
    }
    /// The kept unknown content, for decoding.
    ///
    /// # Panics
    ///
    /// When `slot(usize::MAX)` is not the unknown field: generated and derived impls always
    /// answer it there (an invariant of the generator, not of input).
    fn kept_mut(&mut self) -> &mut Unknown {
        self.slot(usize::MAX)
            .as_unknown_mut()
            .expect("generated Fields impls answer the unknown slot beyond their fields")
    }
}

/// A representation described by a field table. Every [`Record`] is a [`Value`] and a
/// [`crate::Repr`]; generated types and `#[derive(Resource)]` structs implement it.
pub trait Record: Default {
    /// The XML root element.
    const ROOT: &'static str;
    /// The fields, in schema order.
    const FIELDS: &'static [FieldDef];
    /// The field holding the links, if any.
    const LINKS: Option<usize> = None;
    /// The field holding the representation's own URL, if any.
    const HREF: Option<usize> = None;

    /// The place of field `i` of `*this` (any index beyond the fields: the unknown content),
    /// projected without reading or writing anything: the one match from index to field
    /// that both [`Fields::slot`] and [`Fields::get`] use.
    ///
    /// # Safety
    ///
    /// `this` must point to a valid `Self`. The answer points into `*this` and may be used
    /// only as `this` may (read only when it came from a shared reference).
    unsafe fn field(this: *mut Self, i: usize) -> *mut dyn Slot;
}

impl<R: Record> Fields for R {
    fn slot(&mut self, i: usize) -> &mut dyn Slot {
        // SAFETY: `self` is a valid `R`, borrowed uniquely for the answer's lifetime; the
        // field pointer keeps that borrow's provenance.
        unsafe { &mut *R::field(self, i) }
    }
    fn get(&self, i: usize) -> &dyn Slot {
        // SAFETY: `self` is a valid `R`; the pointer is only read through, for the lifetime
        // of the shared borrow it came from (`field` itself neither reads nor writes).
        unsafe { &*R::field(self as *const R as *mut R, i) }
    }
}

/// One field's storage, as the codec sees it; implemented for `T`, `Option<T>`, `Vec<T>` and
/// `Option<Vec<T>>` of every [`Value`].
pub trait Slot {
    /// Reads child element `e` into the field.
    fn read_xml<'a>(
        &mut self,
        f: &FieldDef,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError>;
    /// Reads the field from text (an attribute value or character data).
    fn read_text(&mut self, f: &FieldDef, text: &str) -> Result<(), DecodeError>;
    /// Reads the field from the next JSON value (not `null`).
    fn read_json(&mut self, f: &FieldDef, j: &mut JsonIn<'_>) -> Result<(), DecodeError>;
    /// Writes the field (elements and lists); `between(out, n)` is called after the `n`-th
    /// item of a list and inside a wrapper before its first item (`n == 0`), where kept
    /// content may be written back.
    fn write(&self, f: &FieldDef, out: &mut dyn Out, between: &mut dyn FnMut(&mut dyn Out, u32));
    /// The text of a present scalar field.
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)>;
    /// The field as links, when it holds them.
    fn links(&self) -> Option<&Links> {
        None
    }
    /// The field as a string, when it holds one.
    fn str_value(&self) -> Option<&str> {
        None
    }
    /// Calls `f` on every record the field holds.
    fn each_record(&self, f: &mut dyn FnMut(&dyn Fields, &'static [FieldDef])) {
        let _ = f;
    }
    /// The slot as the unknown content it keeps, when it is that.
    fn as_unknown(&self) -> Option<&Unknown> {
        None
    }
    /// The slot as the unknown content it keeps, when it is that.
    fn as_unknown_mut(&mut self) -> Option<&mut Unknown> {
        None
    }
}

fn json_items<T: Value>(j: &mut JsonIn<'_>, into: &mut Vec<T>) -> Result<(), DecodeError> {
    json_array(j, &mut |j| T::push_json(into, j))
}

/// Reads the items of a JSON array with `read` (`null` items are absent).
fn json_array(
    j: &mut JsonIn<'_>,
    read: &mut dyn FnMut(&mut JsonIn<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    j.begin_array()?;
    let mut n = 0usize;
    while j.next_item()? {
        if j.peek()? == JsonTok::Null {
            j.null()?;
            continue;
        }
        read(j).map_err(|e| e.within(&format!("[{n}]")))?;
        n += 1;
    }
    Ok(())
}

/// A wrapped list in JSON: a bare array, or the wrapper object holding arrays.
pub(crate) fn json_wrapped<T: Value>(
    j: &mut JsonIn<'_>,
    into: &mut Vec<T>,
) -> Result<(), DecodeError> {
    json_wrapped_with(j, &mut |j| T::push_json(into, j))?;
    fit(into, JSON_FIT_SLACK);
    Ok(())
}

/// Gives a list read whole (a wrapper's items, a representation's links) back the room its
/// growth left beyond its length, when that is at least `least` bytes. A decoded document
/// is mostly such lists, and their slack (up to half of each) is memory the allocator must
/// find, and the kernel zero, on every decode: a fifth of a decoded `Jobs`. Smaller slack is
/// left: giving it back costs a call to the allocator.
pub(crate) fn fit<T>(list: &mut Vec<T>, least: usize) {
    let slack = (list.capacity() - list.len()).saturating_mul(std::mem::size_of::<T>());
    if slack >= least {
        list.shrink_to_fit();
    }
}

/// The least slack, in bytes, that [`fit`] gives back from a JSON list. JSON lists are
/// mostly short link arrays, where a call to the allocator per list costs more than it saves.
pub(crate) const JSON_FIT_SLACK: usize = 512;

/// The least slack, in bytes, that [`fit`] gives back from an XML wrapper's items (an XML
/// representation's links are already read at their exact length).
pub(crate) const XML_FIT_SLACK: usize = 64;

/// As [`json_wrapped`], each item read by `read` (one copy for every item type).
fn json_wrapped_with(
    j: &mut JsonIn<'_>,
    read: &mut dyn FnMut(&mut JsonIn<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    match j.peek()? {
        JsonTok::Array => json_array(j, read),
        JsonTok::Object => {
            j.begin_object()?;
            while let Some(k) = j.next_key()? {
                match j.peek()? {
                    JsonTok::Array => json_array(j, read).map_err(|e| e.within(&k))?,
                    JsonTok::Null => j.null()?,
                    // One item written without its array.
                    JsonTok::Object => read(j).map_err(|e| e.within(&k))?,
                    _ => j.skip()?,
                }
            }
            Ok(())
        }
        _ => Err(DecodeError::new("expected an array or an object")),
    }
}

fn write_list<T: Value>(
    f: &FieldDef,
    items: &[T],
    out: &mut dyn Out,
    between: &mut dyn FnMut(&mut dyn Out, u32),
) {
    write_items(
        f,
        items.len(),
        &mut |i, name, out| items[i].write_value(name, out),
        out,
        between,
    );
}

/// Writes the `n` items of a list field, item `i` by `write(i, name, out)` (one copy for
/// every item type).
fn write_items(
    f: &FieldDef,
    n: usize,
    write: &mut dyn FnMut(usize, &str, &mut dyn Out),
    out: &mut dyn Out,
    between: &mut dyn FnMut(&mut dyn Out, u32),
) {
    match f.kind {
        Kind::Wrapped => {
            let inner = (!f.json.is_empty()).then_some(f.json);
            out.wrapper_open(f.name, inner);
            between(out, 0);
            for i in 0..n {
                write(i, f.item, out);
                between(out, i as u32 + 1);
            }
            out.wrapper_close(f.name, inner);
        }
        _ => {
            if n == 0 {
                return;
            }
            out.list_open(f.json);
            for i in 0..n {
                write(i, f.name, out);
                between(out, i as u32 + 1);
            }
            out.list_close();
        }
    }
}

impl<T: Value> Slot for T {
    fn read_xml<'a>(
        &mut self,
        _: &FieldDef,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        *self = T::from_xml(x, e)?;
        Ok(())
    }
    fn read_text(&mut self, _: &FieldDef, text: &str) -> Result<(), DecodeError> {
        *self = T::from_text(text)?;
        Ok(())
    }
    fn read_json(&mut self, _: &FieldDef, j: &mut JsonIn<'_>) -> Result<(), DecodeError> {
        *self = T::from_json(j)?;
        Ok(())
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, between: &mut dyn FnMut(&mut dyn Out, u32)) {
        self.write_with(f.name, out, between);
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        self.to_text()
    }
    fn links(&self) -> Option<&Links> {
        self.as_links()
    }
    fn str_value(&self) -> Option<&str> {
        self.as_str()
    }
    fn each_record(&self, f: &mut dyn FnMut(&dyn Fields, &'static [FieldDef])) {
        if let Some((r, d)) = self.as_record() {
            f(r, d);
        }
    }
}

impl<T: Value> Slot for Option<T> {
    fn read_xml<'a>(
        &mut self,
        _: &FieldDef,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        T::read_xml_option(self, x, e)
    }
    fn read_text(&mut self, _: &FieldDef, text: &str) -> Result<(), DecodeError> {
        *self = Some(T::from_text(text)?);
        Ok(())
    }
    fn read_json(&mut self, _: &FieldDef, j: &mut JsonIn<'_>) -> Result<(), DecodeError> {
        T::read_json_option(self, j)
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, between: &mut dyn FnMut(&mut dyn Out, u32)) {
        if let Some(v) = self {
            v.write_with(f.name, out, between);
        }
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        self.as_ref().and_then(Value::to_text)
    }
    fn links(&self) -> Option<&Links> {
        self.as_ref().and_then(Value::as_links)
    }
    fn str_value(&self) -> Option<&str> {
        self.as_ref().and_then(Value::as_str)
    }
    fn each_record(&self, f: &mut dyn FnMut(&dyn Fields, &'static [FieldDef])) {
        if let Some((r, d)) = self.as_ref().and_then(Value::as_record) {
            f(r, d);
        }
    }
}

impl<T: Value> Slot for Vec<T> {
    fn read_xml<'a>(
        &mut self,
        f: &FieldDef,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        if f.kind == Kind::Wrapped {
            x.wrapped_items(e, f.item, self)
        } else {
            T::push_xml(self, x, e)
        }
    }
    fn read_text(&mut self, _: &FieldDef, text: &str) -> Result<(), DecodeError> {
        self.push(T::from_text(text)?);
        Ok(())
    }
    fn read_json(&mut self, f: &FieldDef, j: &mut JsonIn<'_>) -> Result<(), DecodeError> {
        if f.kind == Kind::Wrapped {
            return json_wrapped(j, self);
        }
        match j.peek()? {
            JsonTok::Array => json_items(j, self),
            _ => T::push_json(self, j),
        }
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, between: &mut dyn FnMut(&mut dyn Out, u32)) {
        write_list(f, self, out, between);
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        None
    }
    fn each_record(&self, f: &mut dyn FnMut(&dyn Fields, &'static [FieldDef])) {
        for v in self {
            if let Some((r, d)) = v.as_record() {
                f(r, d);
            }
        }
    }
}

impl<T: Value> Slot for Option<Vec<T>> {
    fn read_xml<'a>(
        &mut self,
        f: &FieldDef,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        x.wrapped_items(e, f.item, self.get_or_insert_with(Vec::new))
    }
    fn read_text(&mut self, _: &FieldDef, _: &str) -> Result<(), DecodeError> {
        Err(DecodeError::new("expected a list, found text"))
    }
    fn read_json(&mut self, _: &FieldDef, j: &mut JsonIn<'_>) -> Result<(), DecodeError> {
        json_wrapped(j, self.get_or_insert_with(Vec::new))
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, between: &mut dyn FnMut(&mut dyn Out, u32)) {
        if let Some(v) = self {
            write_list(f, v, out, between);
        }
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        None
    }
    fn each_record(&self, f: &mut dyn FnMut(&dyn Fields, &'static [FieldDef])) {
        for v in self.iter().flatten() {
            if let Some((r, d)) = v.as_record() {
                f(r, d);
            }
        }
    }
}

/// Which fields were read (required ones are checked at the end).
struct Seen {
    small: u128,
    big: Vec<bool>,
}

impl Seen {
    fn new(n: usize) -> Self {
        Seen {
            small: 0,
            big: if n > 128 { vec![false; n] } else { Vec::new() },
        }
    }
    fn set(&mut self, i: usize) {
        if self.big.is_empty() {
            self.small |= 1 << i;
        } else {
            self.big[i] = true;
        }
    }
    fn get(&self, i: usize) -> bool {
        if self.big.is_empty() {
            self.small & (1 << i) != 0
        } else {
            self.big[i]
        }
    }
}

fn is_element(k: Kind) -> bool {
    matches!(k, Kind::Elem | Kind::List | Kind::Wrapped)
}

/// The element field named `name`, looking first at `hint` (documents follow schema order,
/// so the next field is usually the one after the last).
fn find_elem(fields: &[FieldDef], name: &str, hint: usize) -> Option<usize> {
    for i in [hint, hint + 1] {
        if let Some(f) = fields.get(i) {
            if is_element(f.kind) && same_name(f.name, name) {
                return Some(i);
            }
        }
    }
    fields
        .iter()
        .position(|f| is_element(f.kind) && same_name(f.name, name))
}

fn missing(f: &FieldDef) -> DecodeError {
    DecodeError::new(match f.kind {
        Kind::Attr => format!("missing attribute `{}`", f.name),
        Kind::Text => "missing character data".to_string(),
        _ => format!("missing element `{}`", f.name),
    })
}

fn check_required(fields: &[FieldDef], seen: &Seen) -> Result<(), DecodeError> {
    match fields
        .iter()
        .enumerate()
        .find(|(i, f)| f.required && !seen.get(*i))
    {
        Some((_, f)) => Err(missing(f)),
        None => Ok(()),
    }
}

/// Whether decoding keeps the content no field takes. Always, except in the build
/// `RUSTFLAGS="--cfg emrest_skip_unknown"` of `bench/unknown_cost.sh`, which skips it to
/// measure what keeping costs on documents that have none (the only difference between the
/// two builds: every branch this constant guards).
pub(crate) const KEEP_UNKNOWN: bool = !cfg!(emrest_skip_unknown);

/// Decodes the element `e` into `r` by its field table.
pub fn read_xml<'a>(
    r: &mut dyn Fields,
    fields: &'static [FieldDef],
    x: &mut XmlIn<'a>,
    e: XmlElem<'a>,
) -> Result<(), DecodeError> {
    let mut seen = Seen::new(fields.len());
    let mut unknown: Option<Box<UnknownParts>> = None;
    for a in e.qattrs() {
        let (q, v) = a?;
        // Known fields match the local name; kept ones keep the name as written.
        let k = q.split_once(':').map_or(q, |(_, local)| local);
        let known = fields
            .iter()
            .position(|f| f.kind == Kind::Attr && same_name(f.name, k));
        match known {
            Some(i) if !seen.get(i) => {
                r.slot(i)
                    .read_text(&fields[i], &v)
                    .map_err(|err| err.within(&format!("@{k}")))?;
                seen.set(i);
            }
            _ if !KEEP_UNKNOWN => {}
            _ => unknown
                .get_or_insert_with(Default::default)
                .attrs
                .push((q.to_string(), v.into_owned())),
        }
    }
    let mut text = Cow::Borrowed("");
    // The last known element field read, and how many times in a row.
    let mut last: Option<(usize, u32)> = None;
    // The furthest field read so far: kept content is anchored after it, so that encoding
    // puts it after every known field that came before it (a duplicate after its first).
    let mut furthest: Option<usize> = None;
    x.children_nonblank(e, &mut text, |x, c| {
        let name = c.name();
        let hint = last.map_or(0, |(i, _)| i);
        let known = find_elem(fields, name, hint)
            .filter(|&i| !(fields[i].kind == Kind::Elem && seen.get(i)));
        match known {
            Some(i) => {
                let spill = x.spill_mark();
                r.slot(i)
                    .read_xml(&fields[i], x, c)
                    .map_err(|err| err.within(name))?;
                seen.set(i);
                if KEEP_UNKNOWN {
                    // Nothing spilled (the common case): no drain to set up.
                    if x.spill_mark() > spill {
                        for (n, node) in x.spill_take(spill) {
                            let at = if n == crate::xml_in::WRAPPER_ATTRS {
                                Anchor::Wrapper(i as u16)
                            } else {
                                Anchor::Inside(i as u16, n)
                            };
                            unknown
                                .get_or_insert_with(Default::default)
                                .elems
                                .push(UnknownElem { at, node });
                        }
                    }
                    furthest = Some(furthest.map_or(i, |f| f.max(i)));
                }
                // (Also the next search's hint.)
                last = match last {
                    Some((j, n)) if j == i => Some((i, n + 1)),
                    _ => Some((i, 1)),
                };
            }
            None if !KEEP_UNKNOWN => x.skip(c)?,
            None => {
                let node = x.node(c)?;
                let at = match (last, furthest) {
                    (None, _) | (_, None) => Anchor::Before(0),
                    (Some((i, n)), Some(f)) if i == f && fields[i].kind == Kind::List => {
                        Anchor::After(i as u16, n)
                    }
                    (_, Some(f)) => Anchor::Before(f as u16 + 1),
                };
                unknown
                    .get_or_insert_with(Default::default)
                    .elems
                    .push(UnknownElem { at, node });
            }
        }
        Ok(())
    })?;
    if !text.trim().is_empty() {
        match fields.iter().position(|f| f.kind == Kind::Text) {
            Some(i) => {
                r.slot(i).read_text(&fields[i], &text)?;
                seen.set(i);
            }
            None if !KEEP_UNKNOWN => {}
            None => unknown.get_or_insert_with(Default::default).text = Some(text.into_owned()),
        }
    } else if let Some(i) = fields.iter().position(|f| f.kind == Kind::Text) {
        // An empty element still has its (empty) character data.
        r.slot(i).read_text(&fields[i], "")?;
        seen.set(i);
    }
    check_required(fields, &seen)?;
    if unknown.is_some() {
        *r.kept_mut() = Unknown(unknown);
    }
    Ok(())
}

/// Decodes the next JSON object into `r` by its field table.
pub fn read_json(
    r: &mut dyn Fields,
    fields: &'static [FieldDef],
    j: &mut JsonIn<'_>,
) -> Result<(), DecodeError> {
    let mut seen = Seen::new(fields.len());
    let mut unknown: Option<Box<UnknownParts>> = None;
    let mut last: Option<usize> = None;
    j.begin_object()?;
    while let Some(key) = j.next_key()? {
        let hint = last.map_or(0, |i| i + 1);
        // A second member for a single field (a duplicate key) is kept, not merged, as a
        // second element is in XML.
        let known = find_member(fields, &key, hint).filter(|&i| {
            !(matches!(fields[i].kind, Kind::Elem | Kind::Attr | Kind::Text) && seen.get(i))
        });
        if j.peek()? == JsonTok::Null {
            // `null` is absence.
            j.null()?;
            continue;
        }
        match known {
            Some(i) => {
                let f = &fields[i];
                if f.kind == Kind::Attr || f.kind == Kind::Text {
                    match j.scalar().map_err(|e| e.within(&key))? {
                        Some((text, _)) => r.slot(i).read_text(f, &text),
                        None => Ok(()),
                    }
                } else {
                    r.slot(i).read_json(f, j)
                }
                .map_err(|e| e.within(&key))?;
                seen.set(i);
                last = Some(last.map_or(i, |l| l.max(i)));
            }
            None if !KEEP_UNKNOWN => j.skip()?,
            None => {
                let at = Anchor::Before(last.map_or(0, |i| i as u16 + 1));
                if let Some(node) = j.node(&key)? {
                    let parts = unknown.get_or_insert_with(Default::default);
                    // JSON cannot tell an attribute from a simple element; a scalar member
                    // is kept as an attribute (EM writes attributes as scalar members).
                    if node.children.is_empty() && !node.array && node.json_kind == JsonKind::String
                    {
                        parts.attrs.push((node.name, node.text.unwrap_or_default()));
                    } else {
                        parts.elems.push(UnknownElem { at, node });
                    }
                }
            }
        }
    }
    check_required(fields, &seen)?;
    if unknown.is_some() {
        *r.kept_mut() = Unknown(unknown);
    }
    Ok(())
}

/// The field a JSON member names: element or attribute name, a list's JSON name, or the
/// text field's member.
fn find_member(fields: &[FieldDef], key: &str, hint: usize) -> Option<usize> {
    let fits = |f: &FieldDef| match f.kind {
        Kind::Text => !f.json.is_empty() && key.eq_ignore_ascii_case(f.json),
        Kind::List => same_name(f.json, key) || same_name(f.name, key),
        _ => same_name(f.name, key),
    };
    if let Some(f) = fields.get(hint) {
        if fits(f) {
            return Some(hint);
        }
    }
    fields.iter().position(fits)
}

/// Writes `r` as the element `name` by its field table, with its kept content in place.
pub fn write_record(r: &dyn Fields, fields: &'static [FieldDef], name: &str, out: &mut dyn Out) {
    let unknown = r.kept().parts();
    out.open(name);
    let write_attrs = |out: &mut dyn Out| {
        for (i, f) in fields.iter().enumerate() {
            if f.kind == Kind::Attr {
                if let Some((t, kind)) = r.get(i).text() {
                    out.attr(f.name, &t, kind);
                }
            }
        }
        if let Some(u) = unknown {
            for (k, v) in &u.attrs {
                out.attr(k, v, JsonKind::String);
            }
        }
    };
    if out.attrs_first() {
        write_attrs(out);
    }
    match fields.iter().position(|f| f.kind == Kind::Text) {
        Some(i) => {
            if let Some((t, kind)) = r.get(i).text() {
                out.text(fields[i].json, &t, kind);
            }
        }
        None => {
            // Text kept from XML. JSON writes it under the writer's text member, last (see
            // below), where a JSON reader keeps such a member among the unknown ones.
            if let (true, Some(t)) = (out.attrs_first(), unknown.and_then(|u| u.text.as_deref())) {
                out.text("", t, JsonKind::String);
            }
        }
    }
    match unknown.filter(|u| !u.elems.is_empty()) {
        None => {
            let mut none = |_: &mut dyn Out, _: u32| {};
            for (i, f) in fields.iter().enumerate() {
                if is_element(f.kind) {
                    r.get(i).write(f, out, &mut none);
                }
            }
        }
        Some(u) => {
            let kept = |out: &mut dyn Out, at: Anchor| {
                for e in u.elems.iter().filter(|e| e.at == at) {
                    out.node(&e.node);
                }
            };
            // (Wrapper attributes are written by the wrapper's first callback, below.)
            for (i, f) in fields.iter().enumerate() {
                kept(out, Anchor::Before(i as u16));
                if is_element(f.kind) {
                    // A repeated field calls back between its items; a wrapper (a wrapped
                    // list, or a value such as `Links` that is one) inside its element.
                    let mut between = |out: &mut dyn Out, n: u32| match f.kind {
                        Kind::List => kept(out, Anchor::After(i as u16, n)),
                        _ => {
                            if n == 0 {
                                let wrapper = Anchor::Wrapper(i as u16);
                                for e in u.elems.iter().filter(|e| e.at == wrapper) {
                                    for (k, v) in &e.node.attrs {
                                        out.attr(k, v, JsonKind::String);
                                    }
                                }
                            }
                            kept(out, Anchor::Inside(i as u16, n))
                        }
                    };
                    r.get(i).write(f, out, &mut between);
                }
            }
            kept(out, Anchor::Before(fields.len() as u16));
            // Content anchored to a field index this table does not have (a value moved
            // between types) is still written, at the end.
            let n = fields.len() as u16;
            for e in &u.elems {
                let beyond = match e.at {
                    Anchor::Before(i) => i > n,
                    Anchor::After(i, _) | Anchor::Inside(i, _) => i >= n,
                    // Attributes of a wrapper that is not there are dropped with it.
                    Anchor::Wrapper(_) => false,
                };
                if beyond {
                    out.node(&e.node);
                }
            }
        }
    }
    if !out.attrs_first() {
        write_attrs(out);
        let has_text = fields.iter().any(|f| f.kind == Kind::Text);
        if let (false, Some(t)) = (has_text, unknown.and_then(|u| u.text.as_deref())) {
            out.text("", t, JsonKind::String);
        }
    }
    out.close(name);
}

impl<R: Record> Value for R {
    fn from_xml<'a>(x: &mut XmlIn<'a>, e: XmlElem<'a>) -> Result<Self, DecodeError> {
        let mut r = R::default();
        read_xml(&mut r, R::FIELDS, x, e)?;
        Ok(r)
    }
    fn from_json(j: &mut JsonIn<'_>) -> Result<Self, DecodeError> {
        let mut r = R::default();
        read_json(&mut r, R::FIELDS, j)?;
        Ok(r)
    }
    fn write_value(&self, name: &str, out: &mut dyn Out) {
        write_record(self, R::FIELDS, name, out);
    }
    fn as_record(&self) -> Option<(&dyn Fields, &'static [FieldDef])> {
        Some((self, R::FIELDS))
    }
    fn read_xml_option<'a>(
        slot: &mut Option<Self>,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        read_xml(slot.insert(R::default()), R::FIELDS, x, e)
    }
    fn push_xml<'a>(
        into: &mut Vec<Self>,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        read_xml(pushed_default::<R>(into), R::FIELDS, x, e)
    }
    fn read_json_option(slot: &mut Option<Self>, j: &mut JsonIn<'_>) -> Result<(), DecodeError> {
        read_json(slot.insert(R::default()), R::FIELDS, j)
    }
    fn push_json(into: &mut Vec<Self>, j: &mut JsonIn<'_>) -> Result<(), DecodeError> {
        read_json(pushed_default::<R>(into), R::FIELDS, j)
    }
}

/// Implements [`Value`] for `Box<T>` of generated records `T`: the large optional blocks of
/// a representation are held boxed, and read (in place, on the heap) and written as the
/// record itself. A generic impl would overlap `Record`'s blanket one.
#[doc(hidden)]
#[macro_export]
macro_rules! boxed_record {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::Value for ::std::boxed::Box<$t> {
            fn from_xml<'a>(
                x: &mut $crate::__private::XmlIn<'a>,
                e: $crate::__private::XmlElem<'a>,
            ) -> ::std::result::Result<Self, $crate::DecodeError> {
                $crate::__private::boxed_from_xml(x, e)
            }
            fn from_json(
                j: &mut $crate::__private::JsonIn<'_>,
            ) -> ::std::result::Result<Self, $crate::DecodeError> {
                $crate::__private::boxed_from_json(j)
            }
            fn write_value(&self, name: &str, out: &mut dyn $crate::Out) {
                $crate::Value::write_value(&**self, name, out)
            }
            fn as_record(
                &self,
            ) -> ::std::option::Option<(&dyn $crate::__private::Fields, &'static [$crate::__private::FieldDef])> {
                $crate::Value::as_record(&**self)
            }
        }
    )*};
}

/// A record read from XML into a default one on the heap ([`boxed_record!`]).
pub fn boxed_from_xml<'a, R: Record>(
    x: &mut XmlIn<'a>,
    e: XmlElem<'a>,
) -> Result<Box<R>, DecodeError> {
    let mut r = Box::<R>::default();
    read_xml(&mut *r, R::FIELDS, x, e)?;
    Ok(r)
}

/// A record read from JSON into a default one on the heap ([`boxed_record!`]).
pub fn boxed_from_json<R: Record>(j: &mut JsonIn<'_>) -> Result<Box<R>, DecodeError> {
    let mut r = Box::<R>::default();
    read_json(&mut *r, R::FIELDS, j)?;
    Ok(r)
}

/// A default item pushed onto `into`, to be read in place (as `Option::insert` gives one for
/// an optional field). A failed read leaves it there: the whole decode fails with it.
fn pushed_default<R: Default>(into: &mut Vec<R>) -> &mut R {
    into.push(R::default());
    let last = into.len() - 1;
    &mut into[last]
}

impl<R: Record> crate::Repr for R {
    const ROOT: &'static str = R::ROOT;
    fn links(&self) -> Option<&Links> {
        R::LINKS.and_then(|i| self.get(i).links())
    }
    fn href(&self) -> Option<&str> {
        R::HREF.and_then(|i| self.get(i).str_value())
    }
    fn unknown(&self) -> &Unknown {
        self.kept()
    }
}

/// The slot generated `Fields` impls answer for an index beyond their fields: the kept
/// unknown content (reading or writing it as a field does nothing).
impl Slot for Unknown {
    fn read_xml<'a>(
        &mut self,
        _: &FieldDef,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        x.skip(e)
    }
    fn read_text(&mut self, _: &FieldDef, _: &str) -> Result<(), DecodeError> {
        Ok(())
    }
    fn read_json(&mut self, _: &FieldDef, j: &mut JsonIn<'_>) -> Result<(), DecodeError> {
        j.skip()
    }
    fn write(&self, _: &FieldDef, _: &mut dyn Out, _: &mut dyn FnMut(&mut dyn Out, u32)) {}
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        None
    }
    fn as_unknown(&self) -> Option<&Unknown> {
        Some(self)
    }
    fn as_unknown_mut(&mut self) -> Option<&mut Unknown> {
        Some(self)
    }
}

#[cfg(test)]
mod names_tests {
    use super::{name_hash, name_slots, Names};

    // Doubled and trailing separators are no names.
    const TEXT: &str = "Up Down  Alternate BackupJobSessionReference Link ";
    const LIST: &[&str] = &[
        "Up",
        "Down",
        "Alternate",
        "BackupJobSessionReference",
        "Link",
    ];
    // The smallest legal index: every probe sequence has to wrap and pass its neighbours.
    const SLOTS: [u32; 16] = name_slots::<16>(TEXT);
    const SET: Names = Names::new(TEXT, &SLOTS);

    #[test]
    fn finds_exactly_its_names() {
        assert_eq!(SET.list().collect::<Vec<_>>(), LIST);
        for n in LIST {
            assert_eq!(SET.get(n), Some(*n));
        }
        assert_eq!(SET.get(""), None);
        for other in [
            "up",
            "Upp",
            "Dow",
            "BackupJobSessionReferencf",
            "Alternate ",
        ] {
            assert_eq!(SET.get(other), None, "{other:?}");
        }
        assert_eq!(Names::EMPTY.get("Up"), None);
    }

    #[test]
    fn name_hash_mixes_the_length_and_the_first_and_last_eight_bytes() {
        // The definition, byte by byte: what the word loads must equal at every length.
        fn reference(b: &[u8]) -> u64 {
            let word = |from: usize| {
                let mut w = [0u8; 8];
                for (i, x) in b.iter().skip(from).take(8).enumerate() {
                    w[i] = *x;
                }
                u64::from_le_bytes(w)
            };
            let n = b.len();
            let last = if n > 8 { word(n - 8) } else { 0 };
            let x = word(0) ^ last.rotate_left(31) ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x ^ (x >> 29)
        }
        let text = b"BackupJobSessionReferenceList-with-more";
        for n in 0..=text.len() {
            assert_eq!(name_hash(&text[..n]), reference(&text[..n]), "length {n}");
        }
    }

    #[test]
    fn colliding_names_probe_past_each_other() {
        // Two names with the same length and the same first and last eight bytes hash
        // alike; both must still be found, each as itself.
        let (a, b) = ("ABCDEFGH-1-IJKLMNOP", "ABCDEFGH-2-IJKLMNOP");
        assert_eq!(name_hash(a.as_bytes()), name_hash(b.as_bytes()));
        static SLOTS2: [u32; 4] = name_slots::<4>("ABCDEFGH-1-IJKLMNOP ABCDEFGH-2-IJKLMNOP");
        let set = Names::new("ABCDEFGH-1-IJKLMNOP ABCDEFGH-2-IJKLMNOP", &SLOTS2);
        assert_eq!(set.get(a), Some(a));
        assert_eq!(set.get(b), Some(b));
        assert_eq!(set.get("ABCDEFGH-3-IJKLMNOP"), None);
    }
}
