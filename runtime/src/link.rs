//! Hypermedia links: `<Link Rel="…" Href="…" Type="…" Name="…"/>` and their lookup.

use std::borrow::Cow;
use std::cell::Cell;

use crate::codec::{self, FieldDef, Fields, Kind, Slot, Unknown};
use crate::node::JsonKind;
use crate::out::Out;
use crate::repr::DecodeError;
use crate::SharedStr;

/// One link a representation offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// Relation (`Start`, `Down`, `Alternate`, …): borrowed from the spec's table of
    /// relations when it is one of them (no allocation), decoded text otherwise.
    pub rel: SharedStr,
    /// Target URL, absolute as the server wrote it. Decoded targets and names are slices of
    /// the chunks of text a decode's strings share (see [`SharedStr`]).
    pub href: SharedStr,
    /// Target representation type (`JobReference`, `TaskList`, …); absent on action links.
    /// Borrowed from the spec's table of type names when it is one of them, as `rel` is.
    pub type_: Option<SharedStr>,
    /// Human name of the target, when the server gives one.
    pub name: Option<SharedStr>,
    /// Attributes and content the link carried beyond these (kept and written back).
    pub unknown: Unknown,
}

impl Link {
    /// A link with a relation and a target.
    pub fn new(rel: impl Into<SharedStr>, href: impl Into<SharedStr>) -> Self {
        Link {
            rel: rel.into(),
            href: href.into(),
            ..Link::default()
        }
    }
}

/// How an API writes its links, as its spec declares it (`[api] links`): the link element
/// and its attributes, and where a representation's links sit. The codec reads and writes
/// links by these names (attributes matched ASCII case-insensitively, written as declared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkDef {
    /// The element wrapping a representation's links (`Links`), or `None` when its links
    /// are repeated link elements directly under it.
    pub wrapper: Option<&'static str>,
    /// The link element (`Link`).
    pub element: &'static str,
    /// The link's attributes as fields: relation, target, name and type, in that order.
    pub fields: [FieldDef; 4],
}

impl LinkDef {
    /// The links of an API writing `<element rel="…" href="…" name="…" type="…"/>` (each
    /// attribute name as given), wrapped in `wrapper` when there is one.
    pub const fn new(
        wrapper: Option<&'static str>,
        element: &'static str,
        rel: &'static str,
        href: &'static str,
        name: &'static str,
        type_: &'static str,
    ) -> Self {
        LinkDef {
            wrapper,
            element,
            fields: [
                FieldDef::attr(rel, true),
                FieldDef::attr(href, true),
                FieldDef::attr(name, false),
                FieldDef::attr(type_, false),
            ],
        }
    }

    /// RFC 8288's names (`<link rel=… href=… title=… type=…/>`, no wrapper): what a link
    /// read with no field to describe it is matched against.
    pub const PLAIN: LinkDef = LinkDef::new(None, "link", "rel", "href", "title", "type");

    /// The same form, with the relations and type names links usually carry: a link's
    /// `rel` or `type_` equal to one of them borrows it.
    pub const fn with_names(mut self, names: codec::Names) -> Self {
        self.fields[0] = self.fields[0].with_names(names);
        self.fields[3] = self.fields[3].with_names(names);
        self
    }

    /// The same form with its links wrapped in `wrapper` (`None`: repeated link elements
    /// directly under the representation).
    pub const fn with_wrapper(mut self, wrapper: Option<&'static str>) -> Self {
        self.wrapper = wrapper;
        self
    }

    /// The relations and type names of [`LinkDef::with_names`] (empty when none were given).
    pub fn names(&self) -> &codec::Names {
        &self.fields[0].names
    }

    /// The relation attribute's name.
    pub fn rel(&self) -> &'static str {
        self.fields[0].name
    }

    /// The target attribute's name.
    pub fn href(&self) -> &'static str {
        self.fields[1].name
    }
}

/// The slots of a link's fields, in [`LinkDef::fields`] order (any other index: its kept
/// content).
impl Fields for Link {
    fn slot(&mut self, i: usize) -> &mut dyn Slot {
        match i {
            0 => NameSlot::of_mut(&mut self.rel),
            1 => &mut self.href,
            2 => &mut self.name,
            3 => NameSlot::of_mut(&mut self.type_),
            _ => &mut self.unknown,
        }
    }
    fn get(&self, i: usize) -> &dyn Slot {
        match i {
            0 => NameSlot::of(&self.rel),
            1 => &self.href,
            2 => &self.name,
            3 => NameSlot::of(&self.type_),
            _ => &self.unknown,
        }
    }
}

impl SharedStr {
    /// A name-like value (a link's relation or type, a representation's own type):
    /// borrowed from `names` when it is one of them, else decoded text.
    #[inline]
    pub(crate) fn interned(names: &codec::Names, value: &str) -> Self {
        match names.get(value) {
            Some(n) => SharedStr::from_static(n),
            None => SharedStr::decoded(value),
        }
    }
}

/// A name-like field (`SharedStr` or `Option<SharedStr>`) as a slot: read borrowed from the
/// field's [`FieldDef::names`] when it is one of them, written as text. A view of the field
/// in place, since a `SharedStr` field's own slot reads plain text.
#[repr(transparent)]
struct NameSlot<T>(T);

impl<T> NameSlot<T> {
    fn of(field: &T) -> &NameSlot<T> {
        // SAFETY: `NameSlot<T>` is `repr(transparent)` over `T`.
        unsafe { &*(field as *const T).cast::<NameSlot<T>>() }
    }
    fn of_mut(field: &mut T) -> &mut NameSlot<T> {
        // SAFETY: as in `of`.
        unsafe { &mut *(field as *mut T).cast::<NameSlot<T>>() }
    }
}

impl Slot for NameSlot<SharedStr> {
    fn read_xml<'a>(
        &mut self,
        f: &FieldDef,
        x: &mut crate::XmlIn<'a>,
        e: crate::XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        self.0 = SharedStr::interned(&f.names, &x.text_cow(e)?);
        Ok(())
    }
    fn read_text(&mut self, f: &FieldDef, text: &str) -> Result<(), DecodeError> {
        self.0 = SharedStr::interned(&f.names, text);
        Ok(())
    }
    fn read_json(&mut self, f: &FieldDef, j: &mut crate::JsonIn<'_>) -> Result<(), DecodeError> {
        let text = j.scalar()?.map(|(t, _)| t).unwrap_or_default();
        self.0 = SharedStr::interned(&f.names, &text);
        Ok(())
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, _: &mut dyn FnMut(&mut dyn Out, u32)) {
        out.scalar(f.name, &self.0, JsonKind::String);
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        Some((Cow::Borrowed(&self.0), JsonKind::String))
    }
    fn str_value(&self) -> Option<&str> {
        Some(&self.0)
    }
}

impl Slot for NameSlot<Option<SharedStr>> {
    fn read_xml<'a>(
        &mut self,
        f: &FieldDef,
        x: &mut crate::XmlIn<'a>,
        e: crate::XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        NameSlot::of_mut(self.0.get_or_insert_default()).read_xml(f, x, e)
    }
    fn read_text(&mut self, f: &FieldDef, text: &str) -> Result<(), DecodeError> {
        NameSlot::of_mut(self.0.get_or_insert_default()).read_text(f, text)
    }
    fn read_json(&mut self, f: &FieldDef, j: &mut crate::JsonIn<'_>) -> Result<(), DecodeError> {
        NameSlot::of_mut(self.0.get_or_insert_default()).read_json(f, j)
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, between: &mut dyn FnMut(&mut dyn Out, u32)) {
        if let Some(v) = &self.0 {
            NameSlot::of(v).write(f, out, between);
        }
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        self.0
            .as_deref()
            .map(|v| (Cow::Borrowed(v), JsonKind::String))
    }
    fn str_value(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A generated representation's own `Type` field (`SharedStr` or `Option<SharedStr>`), read
/// as a name: the generated `Record::field` answers this slot for it, since the field's
/// type reads plain text by itself. Hidden support for generated code.
#[doc(hidden)]
pub trait NameField: Sized {
    /// The field at `field` seen as a [`NameSlot`].
    fn name_slot(field: *mut Self) -> *mut dyn Slot;
}

impl<T: 'static> NameField for T
where
    NameSlot<T>: Slot,
{
    #[inline]
    fn name_slot(field: *mut Self) -> *mut dyn Slot {
        // `NameSlot<T>` is `repr(transparent)` over `T`: the same place.
        field.cast::<NameSlot<T>>()
    }
}

/// The `Links` list of a representation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links(pub Vec<Link>);

impl Links {
    /// No links.
    pub const EMPTY: Links = Links(Vec::new());
}

/// The link form a field declares (the plain one when it declares none).
fn def_of(f: &FieldDef) -> &'static LinkDef {
    f.links.unwrap_or(&LinkDef::PLAIN)
}

fn link_from_xml<'a>(
    def: &'static LinkDef,
    x: &mut crate::XmlIn<'a>,
    e: crate::XmlElem<'a>,
) -> Result<Link, DecodeError> {
    if let Some(l) = plain_link(def, &e)? {
        return Ok(l);
    }
    let mut l = Link::default();
    codec::read_xml(&mut l, &def.fields, x, e)?;
    Ok(l)
}

/// The link `e` when it is what almost every link is: an empty element whose attributes are
/// each one of the link's own, once, relation and target among them. `None` sends anything
/// else (content, other or prefixed attributes, a repeat, a missing one) to the general
/// record reader, which keeps what no field takes and reports what is wrong. Links are most
/// of a representation's attributes, and this skips the per-field table walk for them.
fn plain_link(def: &LinkDef, e: &crate::XmlElem<'_>) -> Result<Option<Link>, DecodeError> {
    if !e.is_empty() {
        return Ok(None);
    }
    let mut l = Link::default();
    let mut seen = 0u8;
    // Unchecked: a name twice (the same field twice, or an attribute no field takes) sends
    // the link to the general reader, which reports a repeat.
    for a in e.qattrs_unchecked() {
        let (k, v) = a?;
        let Some(i) = def.fields.iter().position(|f| codec::same_name(f.name, k)) else {
            return Ok(None);
        };
        if seen & (1 << i) != 0 {
            return Ok(None);
        }
        seen |= 1 << i;
        match i {
            0 => l.rel = SharedStr::interned(def.names(), &v),
            1 => l.href = SharedStr::decoded(&v),
            2 => l.name = Some(SharedStr::decoded(&v)),
            _ => l.type_ = Some(SharedStr::interned(def.names(), &v)),
        }
    }
    Ok((seen & 0b11 == 0b11).then_some(l))
}

thread_local! {
    /// The list a thread reads a wrapper's links into, so that the representation's own
    /// list is allocated once at its final length (no growth, no copies, no slack).
    static LIST: Cell<Vec<Link>> = const { Cell::new(Vec::new()) };
}

/// Links kept in [`LIST`] between wrappers when it holds at most this many (a larger list
/// is given back).
const LIST_KEPT: usize = 256;

/// Reads the link elements of wrapper `e` onto `v` (their targets and names in the thread's
/// chunk of decoded text, see [`SharedStr`]).
fn wrapped_links_from_xml<'a>(
    def: &'static LinkDef,
    v: &mut Vec<Link>,
    x: &mut crate::XmlIn<'a>,
    e: crate::XmlElem<'a>,
) -> Result<(), DecodeError> {
    // `try_with`: a decode run by another thread-local's destructor, after it is gone,
    // works with a fresh one.
    let mut list = LIST.try_with(Cell::take).unwrap_or_default();
    let read = x.wrapped_with(e, def.element, &mut |x, c| {
        list.push(link_from_xml(def, x, c)?);
        Ok(())
    });
    v.reserve_exact(list.len());
    v.append(&mut list);
    if list.capacity() <= LIST_KEPT {
        let _ = LIST.try_with(|s| s.set(list));
    }
    read
}

fn link_from_json(def: &'static LinkDef, j: &mut crate::JsonIn<'_>) -> Result<Link, DecodeError> {
    let mut l = Link::default();
    codec::read_json(&mut l, &def.fields, j)?;
    Ok(l)
}

/// Reads a field's links into `v`: the wrapper's link elements, or (a field of repeated
/// link elements) the one element `e`.
fn links_from_xml<'a>(
    f: &FieldDef,
    v: &mut Vec<Link>,
    x: &mut crate::XmlIn<'a>,
    e: crate::XmlElem<'a>,
) -> Result<(), DecodeError> {
    let def = def_of(f);
    let from = v.len();
    if f.kind == Kind::List {
        v.push(link_from_xml(def, x, e)?);
    } else {
        wrapped_links_from_xml(def, v, x, e)?;
    }
    check_links(def, &v[from..])
}

/// Reads a field's links from JSON: an array of link objects, or an object holding one
/// (`{"Link": [...]}`, an XML-shaped converter's output).
fn links_from_json(
    f: &FieldDef,
    v: &mut Vec<Link>,
    j: &mut crate::JsonIn<'_>,
) -> Result<(), DecodeError> {
    let def = def_of(f);
    let from = v.len();
    fn items(
        def: &'static LinkDef,
        v: &mut Vec<Link>,
        j: &mut crate::JsonIn<'_>,
    ) -> Result<(), DecodeError> {
        j.begin_array()?;
        while j.next_item()? {
            if j.peek()? == crate::JsonTok::Null {
                j.null()?;
            } else {
                v.push(link_from_json(def, j)?);
            }
        }
        Ok(())
    }
    match j.peek()? {
        crate::JsonTok::Array => items(def, v, j)?,
        crate::JsonTok::Object => {
            j.begin_object()?;
            while j.next_key()?.is_some() {
                match j.peek()? {
                    crate::JsonTok::Array => items(def, v, j)?,
                    crate::JsonTok::Object => v.push(link_from_json(def, j)?),
                    _ => j.skip()?,
                }
            }
        }
        _ => return Err(DecodeError::new("expected an array of links")),
    }
    codec::fit(v, codec::JSON_FIT_SLACK);
    check_links(def, &v[from..])
}

/// Writes a field's links: inside the field's wrapper element, or as repeated link
/// elements (JSON: the array under the field's JSON name).
fn write_links(
    f: &FieldDef,
    links: &[Link],
    out: &mut dyn Out,
    between: &mut dyn FnMut(&mut dyn Out, u32),
) {
    let def = def_of(f);
    if f.kind == Kind::List {
        if links.is_empty() {
            return;
        }
        out.list_open(f.json);
        for (n, l) in links.iter().enumerate() {
            codec::write_record(l, &def.fields, f.name, out);
            between(out, n as u32 + 1);
        }
        out.list_close();
    } else {
        out.wrapper_open(f.name, None);
        between(out, 0);
        for (n, l) in links.iter().enumerate() {
            codec::write_record(l, &def.fields, def.element, out);
            between(out, n as u32 + 1);
        }
        out.wrapper_close(f.name, None);
    }
}

impl Slot for Links {
    fn read_xml<'a>(
        &mut self,
        f: &FieldDef,
        x: &mut crate::XmlIn<'a>,
        e: crate::XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        links_from_xml(f, &mut self.0, x, e)
    }
    fn read_text(&mut self, _: &FieldDef, _: &str) -> Result<(), DecodeError> {
        Err(DecodeError::new("expected links, found a plain value"))
    }
    fn read_json(&mut self, f: &FieldDef, j: &mut crate::JsonIn<'_>) -> Result<(), DecodeError> {
        links_from_json(f, &mut self.0, j)
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, between: &mut dyn FnMut(&mut dyn Out, u32)) {
        write_links(f, &self.0, out, between);
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        None
    }
    fn links(&self) -> Option<&Links> {
        Some(self)
    }
}

impl Slot for Option<Links> {
    fn read_xml<'a>(
        &mut self,
        f: &FieldDef,
        x: &mut crate::XmlIn<'a>,
        e: crate::XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        links_from_xml(f, &mut self.get_or_insert_with(Links::default).0, x, e)
    }
    fn read_text(&mut self, _: &FieldDef, _: &str) -> Result<(), DecodeError> {
        Err(DecodeError::new("expected links, found a plain value"))
    }
    fn read_json(&mut self, f: &FieldDef, j: &mut crate::JsonIn<'_>) -> Result<(), DecodeError> {
        links_from_json(f, &mut self.get_or_insert_with(Links::default).0, j)
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, between: &mut dyn FnMut(&mut dyn Out, u32)) {
        if let Some(l) = self {
            l.write(f, out, between);
        }
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        None
    }
    fn links(&self) -> Option<&Links> {
        self.as_ref()
    }
}

/// The one link of a link field (an element whose attributes are a link's), checked.
fn one_link_from_xml<'a>(
    f: &FieldDef,
    x: &mut crate::XmlIn<'a>,
    e: crate::XmlElem<'a>,
) -> Result<Link, DecodeError> {
    let def = def_of(f);
    let l = link_from_xml(def, x, e)?;
    check_links(def, std::slice::from_ref(&l))?;
    Ok(l)
}

/// [`one_link_from_xml`] from JSON.
fn one_link_from_json(f: &FieldDef, j: &mut crate::JsonIn<'_>) -> Result<Link, DecodeError> {
    let def = def_of(f);
    let l = link_from_json(def, j)?;
    check_links(def, std::slice::from_ref(&l))?;
    Ok(l)
}

/// A field holding one link that must be there.
impl Slot for Link {
    fn read_xml<'a>(
        &mut self,
        f: &FieldDef,
        x: &mut crate::XmlIn<'a>,
        e: crate::XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        *self = one_link_from_xml(f, x, e)?;
        Ok(())
    }
    fn read_text(&mut self, _: &FieldDef, _: &str) -> Result<(), DecodeError> {
        Err(DecodeError::new("expected a link, found a plain value"))
    }
    fn read_json(&mut self, f: &FieldDef, j: &mut crate::JsonIn<'_>) -> Result<(), DecodeError> {
        *self = one_link_from_json(f, j)?;
        Ok(())
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, _: &mut dyn FnMut(&mut dyn Out, u32)) {
        codec::write_record(self, &def_of(f).fields, f.name, out);
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        None
    }
}

/// A field holding one link, when there is one.
impl Slot for Option<Link> {
    fn read_xml<'a>(
        &mut self,
        f: &FieldDef,
        x: &mut crate::XmlIn<'a>,
        e: crate::XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        *self = Some(one_link_from_xml(f, x, e)?);
        Ok(())
    }
    fn read_text(&mut self, _: &FieldDef, _: &str) -> Result<(), DecodeError> {
        Err(DecodeError::new("expected a link, found a plain value"))
    }
    fn read_json(&mut self, f: &FieldDef, j: &mut crate::JsonIn<'_>) -> Result<(), DecodeError> {
        *self = Some(one_link_from_json(f, j)?);
        Ok(())
    }
    fn write(&self, f: &FieldDef, out: &mut dyn Out, between: &mut dyn FnMut(&mut dyn Out, u32)) {
        if let Some(l) = self {
            l.write(f, out, between);
        }
    }
    fn text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        None
    }
}

impl Links {
    /// The links of a representation node as `def` places them: the children of its
    /// wrapper element, or its own link elements when the API has no wrapper. A node
    /// without links has none; a JSON array of link objects reads as a wrapper.
    pub fn of_node(node: &crate::Node, def: &LinkDef) -> Result<Links, DecodeError> {
        match def.wrapper {
            Some(w) => match node.child(w) {
                Some(l) => links_from_node(l, def).map_err(|e| e.within(w)),
                None => Ok(Links::default()),
            },
            None => links_from_node(node, def),
        }
    }
}

/// The link elements among `node`'s children (all of them in a JSON array).
pub(crate) fn links_from_node(node: &crate::Node, def: &LinkDef) -> Result<Links, DecodeError> {
    let get = |n: &crate::Node, i: usize| n.scalar(def.fields[i].name).map(SharedStr::from);
    let mut v = Vec::new();
    for c in &node.children {
        if !(node.array || c.name.eq_ignore_ascii_case(def.element)) {
            continue;
        }
        let name = |i: usize| {
            c.scalar(def.fields[i].name)
                .map(|s| SharedStr::interned(def.names(), s))
        };
        v.push(Link {
            rel: name(0).unwrap_or_default(),
            href: get(c, 1).unwrap_or_default(),
            name: get(c, 2),
            type_: name(3),
            unknown: Unknown::default(),
        });
    }
    check_links(def, &v)?;
    Ok(Links(v))
}

/// A link needs a relation and a target.
fn check_links(def: &LinkDef, v: &[Link]) -> Result<(), DecodeError> {
    for (i, l) in v.iter().enumerate() {
        let at = || format!("{}[{i}]", def.element);
        if l.rel.is_empty() {
            return Err(DecodeError::new(format!("link without `{}`", def.rel())).within(&at()));
        }
        if l.href.is_empty() {
            return Err(DecodeError::new(format!("link without `{}`", def.href())).within(&at()));
        }
    }
    Ok(())
}

/// Why a link lookup failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkLookupError {
    /// No link matched.
    NotOffered,
    /// Several links matched and nothing tells them apart.
    Ambiguous(Vec<Link>),
}

impl Links {
    /// The links of a wrapper [`crate::Node`] (its `def.element` children, or a JSON array
    /// of link objects).
    pub fn from_node(node: &crate::Node, def: &LinkDef) -> Result<Links, DecodeError> {
        links_from_node(node, def)
    }

    /// All links.
    pub fn iter(&self) -> impl Iterator<Item = &Link> {
        self.0.iter()
    }

    /// The single link with relation `rel`, narrowed by `type_` and `name` when given
    /// (all ASCII case-insensitive). Several matches are an error, never a guess.
    pub fn find(
        &self,
        rel: &str,
        type_: Option<&str>,
        name: Option<&str>,
    ) -> Result<&Link, LinkLookupError> {
        let eq = |a: Option<&str>, b: Option<&str>| match b {
            None => true,
            Some(b) => a.is_some_and(|a| a.eq_ignore_ascii_case(b)),
        };
        let mut found = self.0.iter().filter(|l| {
            l.rel.eq_ignore_ascii_case(rel)
                && eq(l.type_.as_deref(), type_)
                && eq(l.name.as_deref(), name)
        });
        let first = found.next().ok_or(LinkLookupError::NotOffered)?;
        let rest: Vec<&Link> = found.filter(|l| l.href != first.href).collect();
        if rest.is_empty() {
            Ok(first)
        } else {
            let mut all = vec![first.clone()];
            all.extend(rest.into_iter().cloned());
            Err(LinkLookupError::Ambiguous(all))
        }
    }

    /// The link an operation follows: [`Links::find`] by the op's relation, type and name;
    /// when several links still match (EM's backup server offers two untyped `Create` links,
    /// for credentials and for passwords), the op's documented URL form decides, and only if
    /// exactly one candidate has that shape.
    pub fn find_for_op(
        &self,
        op: &crate::Op,
        actions: crate::ActionStyle,
    ) -> Result<&Link, LinkLookupError> {
        match self.find(op.rel, op.link_type, op.link_name) {
            Err(LinkLookupError::Ambiguous(all)) => {
                let mut fitting = self.0.iter().filter(|l| {
                    all.iter().any(|a| a.href == l.href)
                        && href_fits_path(&l.href, op.path, actions)
                });
                match (fitting.next(), fitting.next()) {
                    (Some(one), None) => Ok(one),
                    _ => Err(LinkLookupError::Ambiguous(all)),
                }
            }
            other => other,
        }
    }

    /// All links with relation `rel`.
    pub fn all<'a>(&'a self, rel: &'a str) -> impl Iterator<Item = &'a Link> + 'a {
        self.0
            .iter()
            .filter(move |l| l.rel.eq_ignore_ascii_case(rel))
    }
}

/// What an operation is followed from: a representation's links, or — for a reference
/// that is only a URL (Cloud Director's `<Org href=…/>`) — that URL itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// The operation's link is looked up among these.
    Links(&'a Links),
    /// The operation follows this URL (absent: the reference has none).
    Href(Option<&'a str>),
}

/// No links (what a representation without them offers).
static NO_LINKS: Links = Links::EMPTY;

/// Anything a generated method can read links from: `Links` or `Option<Links>`, or the own
/// URL (`SharedStr` or `String`, optional or not) of a reference that has no links.
pub trait AsLinks {
    /// The links, when there are any.
    fn links(&self) -> Option<&Links>;
    /// What an operation is followed from (the links, by default).
    fn target(&self) -> Target<'_> {
        Target::Links(self.links().unwrap_or(&NO_LINKS))
    }
    /// The links, or an empty list.
    fn as_links(&self) -> Cow<'_, Links> {
        match self.links() {
            Some(l) => Cow::Borrowed(l),
            None => Cow::Owned(Links::default()),
        }
    }
}

impl AsLinks for Links {
    fn links(&self) -> Option<&Links> {
        Some(self)
    }
}

impl AsLinks for Option<Links> {
    fn links(&self) -> Option<&Links> {
        self.as_ref()
    }
}

/// The own URL of a reference without links, in either string type a field may have.
macro_rules! href_as_links {
    ($($t:ty),*) => {$(
        impl AsLinks for $t {
            fn links(&self) -> Option<&Links> {
                None
            }
            fn target(&self) -> Target<'_> {
                Target::Href(Some(self))
            }
        }

        impl AsLinks for Option<$t> {
            fn links(&self) -> Option<&Links> {
                None
            }
            fn target(&self) -> Target<'_> {
                Target::Href(self.as_deref())
            }
        }
    )*};
}

href_as_links!(String, SharedStr);

/// True when `href` has the shape of the documented URL form `path` (`/a/{ID}/b?action=c`):
/// its last path segments match the form's (`{…}` matches any segment, case-insensitively
/// otherwise) and an action the form names (as `actions` addresses it) is the href's too.
pub fn href_fits_path(href: &str, path: &str, actions: crate::ActionStyle) -> bool {
    let form_path = path.split_once('?').map_or(path, |(p, _)| p);
    let no_fragment = href.split('#').next().unwrap_or(href);
    let href_path = no_fragment.split_once('?').map_or(no_fragment, |(p, _)| p);
    let href_path = href_path.split_once("://").map_or(href_path, |(_, rest)| {
        rest.split_once('/').map_or("", |(_, p)| p)
    });
    let form: Vec<&str> = form_path.split('/').filter(|s| !s.is_empty()).collect();
    let have: Vec<&str> = href_path.split('/').filter(|s| !s.is_empty()).collect();
    if form.len() > have.len() {
        return false;
    }
    let tail = &have[have.len() - form.len()..];
    let segments_fit = form
        .iter()
        .zip(tail)
        .all(|(f, h)| (f.starts_with('{') && f.ends_with('}')) || f.eq_ignore_ascii_case(h));
    let action_fits = match actions.action_of(path) {
        Some(want) => actions.action_of(no_fragment).is_some_and(|a| a == want),
        None => true,
    };
    segments_fit && action_fits
}

#[cfg(test)]
mod op_lookup_tests {
    use super::*;

    fn link(rel: &'static str, href: &str) -> Link {
        Link::new(rel, href)
    }

    const Q: crate::ActionStyle = crate::ActionStyle::Query("action");

    fn fits(href: &str, path: &str) -> bool {
        href_fits_path(href, path, Q)
    }

    #[test]
    fn path_shapes() {
        let h = "https://em:9398/api/backupServers/ab-1/credentials?action=create";
        assert!(fits(h, "/backupServers/{ID}/credentials?action=create"));
        assert!(!fits(h, "/backupServers/{ID}/passwords?action=create"));
        assert!(!fits(h, "/backupServers/{ID}/credentials?action=edit"));
        assert!(fits("https://em/api/jobs/1", "/jobs/{ID}"));
        assert!(!fits("https://em/api/jobs", "/jobs/{ID}/includes"));
    }

    #[test]
    fn ambiguous_links_are_told_apart_by_the_documented_path() {
        let links = Links(vec![
            link(
                "Create",
                "https://em/api/backupServers/1/credentials?action=create",
            ),
            link(
                "Create",
                "https://em/api/backupServers/1/passwords?action=create",
            ),
        ]);
        let op = |path: &'static str| crate::Op {
            owner: "BackupServer",
            rel: "Create",
            link_type: None,
            link_name: None,
            method: "m",
            verb: crate::Verb::Post,
            action: Some("create"),
            query: None,
            path,
            request: None,
            returns: crate::Returns::Nothing,
            status: &[],
            task: false,
            media: None,
        };
        let found = links
            .find_for_op(&op("/backupServers/{ID}/passwords?action=create"), Q)
            .unwrap();
        assert!(found.href.contains("passwords"));
        assert!(matches!(
            links.find_for_op(&op("/backupServers/{ID}?action=create"), Q),
            Err(LinkLookupError::Ambiguous(_))
        ));
    }

    #[test]
    fn path_addressed_actions() {
        let p = crate::ActionStyle::Path("action");
        let h = "https://vcd/api/vApp/vapp-1/action/deploy";
        assert!(href_fits_path(h, "/vApp/{ID}/action/deploy", p));
        assert!(!href_fits_path(h, "/vApp/{ID}/action/undeploy", p));
        assert_eq!(
            p.action_of("/vApp/{ID}/power/action/powerOn"),
            Some("poweron".into())
        );
        assert_eq!(p.action_of("/vApp/{ID}"), None);
        let mut url = url::Url::parse("https://vcd/api/vApp/vapp-1").unwrap();
        p.apply(&mut url, "deploy");
        assert_eq!(url.as_str(), "https://vcd/api/vApp/vapp-1/action/deploy");
        // A target that already names the action is left as it is.
        p.apply(&mut url, "deploy");
        assert_eq!(url.as_str(), "https://vcd/api/vApp/vapp-1/action/deploy");
        let mut url = url::Url::parse("https://em/api/jobs/1").unwrap();
        Q.apply(&mut url, "start");
        Q.apply(&mut url, "start");
        assert_eq!(url.as_str(), "https://em/api/jobs/1?action=start");
    }
}
