//! A format-neutral document tree: one [`Node`] per XML element or JSON object.
//!
//! The tree is what untyped callers (`vem decode`, kept unknown content, em-sim) work with: the
//! XML and JSON parsers turn bytes into a `Node` tree and back. Generated types do not go
//! through it; they decode straight from the XML events or JSON tokens (`xml_in`, `json_in`).
//! Names are matched ASCII case-insensitively, so one tree serves XML, v12 PascalCase JSON and
//! v13 camelCase JSON.

/// One element of a document.
///
/// For XML, `name` is the element's local name (prefix and namespace dropped), `attrs` its
/// attributes in document order (namespace declarations excluded), `text` its character data and
/// `children` its child elements in order.
///
/// For JSON, an object becomes a node whose members are children (scalars become children with
/// `text`); an array becomes a node with `array == true` whose children are the items, each
/// named after the member that held the array.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// Element local name, or JSON member name.
    pub name: String,
    /// Attributes in document order (XML only).
    pub attrs: Vec<(String, String)>,
    /// Character data, if any (trimmed of surrounding whitespace when it is only whitespace).
    pub text: Option<String>,
    /// Child elements in document order.
    pub children: Vec<Node>,
    /// True when this node is a JSON array (its children are the items).
    pub array: bool,
    /// For encoding: the JSON member name under which consecutive siblings of this name are
    /// grouped into one array (EM writes `<Ref/><Ref/>` in XML but `"Refs": [...]` in JSON).
    pub json_group: Option<&'static str>,
    /// For encoding: how `text` is written in JSON.
    pub json_kind: JsonKind,
    /// For encoding: JSON kinds of the attributes that are not strings (`Success` → bool);
    /// attributes not listed are written as strings.
    pub attr_kinds: Vec<(String, JsonKind)>,
}

/// How a scalar's text is written in JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JsonKind {
    /// A JSON string.
    #[default]
    String,
    /// A JSON number (the text is written as is).
    Number,
    /// A JSON boolean (`true`/`false`).
    Bool,
}

impl Node {
    /// A new empty element.
    pub fn new(name: impl Into<String>) -> Self {
        Node {
            name: name.into(),
            ..Node::default()
        }
    }

    /// The value of attribute `name` (ASCII case-insensitive).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first child named `name` (ASCII case-insensitive).
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// All children named `name` (ASCII case-insensitive).
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children
            .iter()
            .filter(move |c| c.name.eq_ignore_ascii_case(name))
    }

    /// A scalar value named `name`: an attribute, or the text of a child element. JSON puts
    /// XML attributes among the members, so both places are looked at.
    pub fn scalar(&self, name: &str) -> Option<&str> {
        if let Some(v) = self.attr(name) {
            return Some(v);
        }
        self.child(name)
            .filter(|c| !c.array)
            .map(|c| c.text.as_deref().unwrap_or(""))
    }

    /// How attribute `name` is written in JSON.
    pub fn attr_kind(&self, name: &str) -> JsonKind {
        self.attr_kinds
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, kind)| *kind)
            .unwrap_or_default()
    }

    /// The text of this node, or `""`.
    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    /// Every node of the tree, depth first (this node first).
    pub fn descendants(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(n) = stack.pop() {
            out.push(n);
            for c in n.children.iter().rev() {
                stack.push(c);
            }
        }
        out
    }
}
