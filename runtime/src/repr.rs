//! Typed representations: the traits generated types implement, and the [`Decoder`] /
//! [`Encoder`] helpers their generated bodies call (one line per field).

use std::borrow::Cow;
use std::fmt;

use crate::node::{JsonKind, Node};

/// A decode failure inside a document: where (element path) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Element names from the root down to the offending node.
    pub path: Vec<String>,
    /// What was wrong.
    pub message: String,
}

impl DecodeError {
    /// A new error at the current node.
    pub fn new(message: impl Into<String>) -> Self {
        DecodeError {
            path: Vec::new(),
            message: message.into(),
        }
    }

    /// Prefixes the path with `name` (called while the error travels up).
    pub fn within(mut self, name: &str) -> Self {
        self.path.insert(0, name.to_string());
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path.join("/"), self.message)
        }
    }
}

impl std::error::Error for DecodeError {}

/// A value written as text: an attribute value or an element's character data.
pub trait Scalar: Sized {
    /// Parses the text form.
    fn parse_text(text: &str) -> Result<Self, String>;
    /// The text form.
    fn to_text(&self) -> Cow<'_, str>;
    /// How the value is written in JSON.
    fn json_kind() -> JsonKind {
        JsonKind::String
    }
    /// The text written in a query-service filter (date-times are written in UTC).
    fn query_text(&self) -> Cow<'_, str> {
        self.to_text()
    }
}

/// Anything that can be read from, and written to, one [`Node`].
pub trait Value: Sized {
    /// Reads the value from `node`.
    fn from_node(node: &Node) -> Result<Self, DecodeError>;
    /// Writes the value as a node named `name`.
    fn to_node(&self, name: &str) -> Node;

    /// Reads the value from an XML element, streaming. The default builds the element's
    /// [`Node`] and calls [`Value::from_node`]; generated types and scalars read the events
    /// directly.
    fn from_xml<'a>(
        x: &mut crate::xml_in::XmlIn<'a>,
        e: crate::xml_in::XmlElem<'a>,
    ) -> Result<Self, DecodeError> {
        let node = x.node(e)?;
        Self::from_node(&node)
    }
}

/// A representation that can be a whole document: it has a root element name.
pub trait Repr: Value {
    /// The XML root element name (also the spec's type name, by default).
    const ROOT: &'static str;

    /// The links the representation carries, if it carries any.
    fn links(&self) -> Option<&crate::Links> {
        None
    }

    /// The representation's own URL (`Href` attribute), if it has one.
    fn href(&self) -> Option<&str> {
        None
    }
}

/// Enumerations generated from the spec: values keep their declaration order (the query
/// service compares enums by it) and unknown values are kept, not rejected.
pub trait SpecEnum: Scalar {
    /// Declaration index, or `None` for a value the spec does not know.
    fn ordinal(&self) -> Option<usize>;
}

/// Parses an enum's text against its declared variants (ASCII case-insensitive).
pub fn enum_index(text: &str, variants: &[&str]) -> Option<usize> {
    variants.iter().position(|v| v.eq_ignore_ascii_case(text))
}

macro_rules! scalar_num {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn parse_text(text: &str) -> Result<Self, String> {
                text.trim().parse::<$t>().map_err(|e| format!("`{}` is not a valid {}: {e}", short(text), stringify!($t)))
            }
            fn to_text(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
            fn json_kind() -> JsonKind {
                JsonKind::Number
            }
        }
        impl Value for $t {
            fn from_node(node: &Node) -> Result<Self, DecodeError> { scalar_from_node(node) }
            fn to_node(&self, name: &str) -> Node { scalar_to_node(self, name) }
            fn from_xml<'a>(x: &mut crate::xml_in::XmlIn<'a>, e: crate::xml_in::XmlElem<'a>) -> Result<Self, DecodeError> {
                crate::xml_in::scalar_from_xml(x, e)
            }
        }
    )*};
}

scalar_num!(i32, i64, u32, u64, f64);

impl Scalar for bool {
    fn parse_text(text: &str) -> Result<Self, String> {
        match text.trim() {
            t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
            t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(false),
            t => Err(format!("`{}` is not a boolean", short(t))),
        }
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
    fn json_kind() -> JsonKind {
        JsonKind::Bool
    }
}

impl Value for bool {
    fn from_node(node: &Node) -> Result<Self, DecodeError> {
        scalar_from_node(node)
    }
    fn to_node(&self, name: &str) -> Node {
        scalar_to_node(self, name)
    }
    fn from_xml<'a>(
        x: &mut crate::xml_in::XmlIn<'a>,
        e: crate::xml_in::XmlElem<'a>,
    ) -> Result<Self, DecodeError> {
        crate::xml_in::scalar_from_xml(x, e)
    }
}

impl Scalar for String {
    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl Value for String {
    fn from_node(node: &Node) -> Result<Self, DecodeError> {
        scalar_from_node(node)
    }
    fn to_node(&self, name: &str) -> Node {
        scalar_to_node(self, name)
    }
    fn from_xml<'a>(
        x: &mut crate::xml_in::XmlIn<'a>,
        e: crate::xml_in::XmlElem<'a>,
    ) -> Result<Self, DecodeError> {
        crate::xml_in::scalar_from_xml(x, e)
    }
}

/// Reads a scalar from a node's text.
pub fn scalar_from_node<T: Scalar>(node: &Node) -> Result<T, DecodeError> {
    T::parse_text(node.text()).map_err(DecodeError::new)
}

/// Writes a scalar as a node with text.
pub fn scalar_to_node<T: Scalar>(value: &T, name: &str) -> Node {
    let mut n = Node::new(name);
    n.text = Some(value.to_text().into_owned());
    n.json_kind = T::json_kind();
    n
}

/// At most 60 characters of `text`, for error messages.
pub(crate) fn short(text: &str) -> Cow<'_, str> {
    if text.chars().count() <= 60 {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{}…", text.chars().take(60).collect::<String>()))
    }
}

/// Reads the fields of one node; generated `from_node` bodies call one method per field.
pub struct Decoder<'a> {
    node: &'a Node,
}

impl<'a> Decoder<'a> {
    /// A decoder over `node`.
    pub fn new(node: &'a Node) -> Self {
        Decoder { node }
    }

    /// The node being read.
    pub fn node(&self) -> &'a Node {
        self.node
    }

    /// A required attribute.
    pub fn attr<T: Scalar>(&self, name: &str) -> Result<T, DecodeError> {
        self.opt_attr(name)?
            .ok_or_else(|| DecodeError::new(format!("missing attribute `{name}`")))
    }

    /// An optional attribute (JSON: a member of that name).
    pub fn opt_attr<T: Scalar>(&self, name: &str) -> Result<Option<T>, DecodeError> {
        let raw = match self.node.attr(name) {
            Some(v) => Some(v),
            None => self.node.child(name).filter(|c| !c.array).map(|c| c.text()),
        };
        raw.map(|t| T::parse_text(t).map_err(|e| DecodeError::new(e).within(&format!("@{name}"))))
            .transpose()
    }

    /// A required child element.
    pub fn elem<T: Value>(&self, name: &str) -> Result<T, DecodeError> {
        self.opt_elem(name)?
            .ok_or_else(|| DecodeError::new(format!("missing element `{name}`")))
    }

    /// An optional child element (JSON: a member; `null` counts as absent).
    pub fn opt_elem<T: Value>(&self, name: &str) -> Result<Option<T>, DecodeError> {
        match self.node.child(name) {
            Some(c) => T::from_node(c).map(Some).map_err(|e| e.within(name)),
            None => match self.node.attr(name) {
                // Tolerate a scalar written as an attribute.
                Some(v) => {
                    let mut n = Node::new(name);
                    n.text = Some(v.to_string());
                    T::from_node(&n).map(Some).map_err(|e| e.within(name))
                }
                None => Ok(None),
            },
        }
    }

    /// A repeated element written without a wrapper (`<Days>a</Days><Days>b</Days>`); in JSON
    /// an array under `json` (or under `name` when `json` is `None`).
    pub fn list<T: Value>(&self, name: &str, json: Option<&str>) -> Result<Vec<T>, DecodeError> {
        let key = json.unwrap_or(name);
        if let Some(arr) = self.node.child(key).filter(|c| c.array) {
            return items(arr, name);
        }
        // JSON writers disagree on the array's member name (plural or the element name):
        // an array under the element name is read as the list too.
        // Sized once: a list of 1,000 entities would otherwise be reallocated ten times.
        let mut out = Vec::with_capacity(self.node.children_named(name).count());
        for c in self.node.children_named(name) {
            if c.array {
                out.extend(items::<T>(c, name)?);
            } else {
                out.push(T::from_node(c).map_err(|e| e.within(name))?);
            }
        }
        Ok(out)
    }

    /// A required list inside a wrapper element (`<Links><Link/>…</Links>`).
    pub fn wrapped<T: Value>(&self, wrapper: &str, item: &str) -> Result<Vec<T>, DecodeError> {
        self.opt_wrapped(wrapper, item)?
            .ok_or_else(|| DecodeError::new(format!("missing element `{wrapper}`")))
    }

    /// An optional list inside a wrapper element. JSON forms accepted: an array
    /// (`"Links": [...]`), or an object holding one array (`"Includes": {"ObjectInJobs": [...]}`).
    pub fn opt_wrapped<T: Value>(
        &self,
        wrapper: &str,
        item: &str,
    ) -> Result<Option<Vec<T>>, DecodeError> {
        match self.node.child(wrapper) {
            None => Ok(None),
            Some(w) => wrapped_items(w, item)
                .map(Some)
                .map_err(|e| e.within(wrapper)),
        }
    }

    /// The node's own character data (an element with attributes and text).
    pub fn text<T: Scalar>(&self) -> Result<T, DecodeError> {
        let t = match self
            .node
            .child("Value")
            .filter(|_| self.node.text.is_none())
        {
            Some(v) => v.text(),
            None => self.node.text(),
        };
        T::parse_text(t).map_err(DecodeError::new)
    }
}

/// The items of a wrapper node, in any of the shapes [`Decoder::opt_wrapped`] accepts.
pub fn wrapped_items<T: Value>(w: &Node, item: &str) -> Result<Vec<T>, DecodeError> {
    if w.array {
        return items(w, item);
    }
    if w.children.len() == 1 && w.children[0].array {
        return items(&w.children[0], item);
    }
    let mut out = Vec::with_capacity(w.children_named(item).count());
    for c in w.children_named(item) {
        out.push(T::from_node(c).map_err(|e| e.within(item))?);
    }
    Ok(out)
}

fn items<T: Value>(arr: &Node, item: &str) -> Result<Vec<T>, DecodeError> {
    // An explicit loop: `collect` into `Result<Vec<_>, _>` cannot know the length up front
    // and grows the vector by doubling.
    let mut out = Vec::with_capacity(arr.children.len());
    for (i, c) in arr.children.iter().enumerate() {
        out.push(T::from_node(c).map_err(|e| e.within(&format!("{item}[{i}]")))?);
    }
    Ok(out)
}

/// Builds the node of one value; generated `to_node` bodies call one method per field, in
/// schema order, so XML output has the element order EM requires.
pub struct Encoder {
    node: Node,
}

impl Encoder {
    /// An encoder for an element named `name`.
    pub fn new(name: &str) -> Self {
        Encoder {
            node: Node::new(name),
        }
    }

    /// Writes an attribute.
    pub fn attr<T: Scalar>(&mut self, name: &str, value: &T) {
        self.node
            .attrs
            .push((name.to_string(), value.to_text().into_owned()));
        if T::json_kind() != JsonKind::String {
            self.node
                .attr_kinds
                .push((name.to_string(), T::json_kind()));
        }
    }

    /// Writes an attribute when present.
    pub fn opt_attr<T: Scalar>(&mut self, name: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.attr(name, v);
        }
    }

    /// Writes a child element.
    pub fn elem<T: Value>(&mut self, name: &str, value: &T) {
        self.node.children.push(value.to_node(name));
    }

    /// Writes a child element when present.
    pub fn opt_elem<T: Value>(&mut self, name: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.elem(name, v);
        }
    }

    /// Writes a repeated element without wrapper; JSON groups the items under `json`.
    pub fn list<T: Value>(&mut self, name: &str, json: Option<&'static str>, values: &[T]) {
        for v in values {
            let mut n = v.to_node(name);
            n.json_group = json;
            self.node.children.push(n);
        }
    }

    /// Writes a list inside a wrapper element.
    pub fn wrapped<T: Value>(&mut self, wrapper: &str, item: &str, values: &[T]) {
        let mut w = Node::new(wrapper);
        w.array = true;
        w.children = values.iter().map(|v| v.to_node(item)).collect();
        self.node.children.push(w);
    }

    /// Writes a list inside a wrapper element when present.
    pub fn opt_wrapped<T: Value>(&mut self, wrapper: &str, item: &str, values: &Option<Vec<T>>) {
        if let Some(v) = values {
            self.wrapped(wrapper, item, v);
        }
    }

    /// Writes the node's own character data.
    pub fn text<T: Scalar>(&mut self, value: &T) {
        self.node.text = Some(value.to_text().into_owned());
        self.node.json_kind = T::json_kind();
    }

    /// The finished node.
    pub fn finish(self) -> Node {
        self.node
    }
}
