//! The schema model: global elements, complex types and simple types of one XSD file.
//!
//! Built from the [`tree`](super::tree). Every construct the model does not represent is
//! reported as a [`Note`] with its line instead of being dropped silently.

use std::collections::BTreeMap;

use super::tree::XNode;

/// A note about a construct the model does not represent (or represents loosely).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// 1-based line in the schema.
    pub line: usize,
    /// What was found and what the model did with it.
    pub message: String,
}

/// How often a particle may occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurs {
    /// `minOccurs` (default 1).
    pub min: u32,
    /// `maxOccurs`; `None` for `unbounded` (default 1).
    pub max: Option<u32>,
}

impl Occurs {
    /// Exactly once.
    pub const ONCE: Occurs = Occurs {
        min: 1,
        max: Some(1),
    };
}

/// The type of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementType {
    /// A named type, as written (`string`, `xs:int`).
    Named(String),
    /// An anonymous complex type written inside the element, by its key in
    /// [`Schema::complex`] (`Owner/Element`).
    Inline(String),
    /// No type given (`xs:anyType`).
    Any,
}

/// A local element declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Element name.
    pub name: String,
    /// Its type.
    pub ty: ElementType,
    /// Its occurrence.
    pub occurs: Occurs,
    /// 1-based line.
    pub line: usize,
}

/// Kind of a model group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// `xs:sequence` (or `xs:all`): every member in order.
    Sequence,
    /// `xs:choice`: one member per occurrence.
    Choice,
}

/// Content of a complex type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Particle {
    /// One element.
    Element(Element),
    /// A sequence or choice.
    Group {
        /// Sequence or choice.
        kind: GroupKind,
        /// Occurrence of the whole group.
        occurs: Occurs,
        /// Members.
        items: Vec<Particle>,
    },
}

/// An attribute declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute name.
    pub name: String,
    /// Simple type name as written (`xs:string` when absent).
    pub ty: String,
    /// `use="required"`.
    pub required: bool,
    /// 1-based line.
    pub line: usize,
}

/// A complex type, named or anonymous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplexType {
    /// Type name (empty for an anonymous type).
    pub name: String,
    /// Base type of `xs:complexContent/xs:extension`, as written.
    pub base: Option<String>,
    /// Own content, after the base type's.
    pub content: Vec<Particle>,
    /// Own attributes.
    pub attributes: Vec<Attribute>,
    /// Simple type of the element's own text (`xs:simpleContent/xs:extension`).
    pub text: Option<String>,
    /// 1-based line.
    pub line: usize,
}

/// A simple type: a restriction of another simple type, perhaps to an enumeration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleType {
    /// Type name.
    pub name: String,
    /// Base type as written (`xs:string`, or a type of the schema without prefix).
    pub base: String,
    /// Enumerated values, in order (empty when not an enumeration).
    pub values: Vec<String>,
    /// 1-based line.
    pub line: usize,
}

/// A global element: a document root the schema declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootElement {
    /// Element name.
    pub name: String,
    /// Its type's name.
    pub ty: String,
    /// 1-based line.
    pub line: usize,
}

/// One XSD file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Prefix bound to the XML Schema namespace (`xs`).
    pub xs_prefix: String,
    /// Global elements, in order.
    pub roots: Vec<RootElement>,
    /// Complex types by name; anonymous ones under `Owner/Element`.
    pub complex: BTreeMap<String, ComplexType>,
    /// Named simple types.
    pub simple: BTreeMap<String, SimpleType>,
    /// Constructs not represented.
    pub notes: Vec<Note>,
}

const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";

impl Schema {
    /// Builds the model of a parsed `xs:schema` element.
    pub fn from_tree(root: &XNode) -> Result<Schema, Note> {
        if root.name != "schema" {
            return Err(Note {
                line: root.line,
                message: format!("the root element is `{}`, not `xs:schema`", root.name),
            });
        }
        let xs_prefix = root
            .attrs
            .iter()
            .find(|(k, v)| k.starts_with("xmlns:") && v == XS_NS)
            .map(|(k, _)| k["xmlns:".len()..].to_string())
            .unwrap_or_default();
        let mut s = Schema {
            xs_prefix,
            ..Schema::default()
        };
        for child in &root.children {
            s.global(child);
        }
        Ok(s)
    }

    fn note(&mut self, line: usize, message: impl Into<String>) {
        self.notes.push(Note {
            line,
            message: message.into(),
        });
    }

    fn is_xs(&self, n: &XNode) -> bool {
        n.prefix == self.xs_prefix
    }

    fn global(&mut self, n: &XNode) {
        if !self.is_xs(n) {
            self.note(
                n.line,
                format!(
                    "`{}:{}` outside the schema vocabulary: skipped",
                    n.prefix, n.name
                ),
            );
            return;
        }
        match n.name.as_str() {
            "element" => match (n.attr("name"), n.attr("type")) {
                (Some(name), Some(ty)) => self.roots.push(RootElement {
                    name: name.to_string(),
                    ty: ty.to_string(),
                    line: n.line,
                }),
                _ => self.note(
                    n.line,
                    "global element without both `name` and `type` (inline root types are not supported): skipped",
                ),
            },
            "complexType" => match n.attr("name") {
                Some(name) => {
                    let ct = self.complex_type(n, name);
                    if self.complex.contains_key(name) {
                        self.note(n.line, format!("complex type `{name}` declared twice: the later one kept"));
                    }
                    self.complex.insert(name.to_string(), ct);
                }
                None => self.note(n.line, "global complex type without a name: skipped"),
            },
            "simpleType" => match n.attr("name") {
                Some(name) => {
                    let st = self.simple_type(n, name);
                    self.simple.insert(name.to_string(), st);
                }
                None => self.note(n.line, "global simple type without a name: skipped"),
            },
            "annotation" => {}
            other => self.note(n.line, format!("`xs:{other}` at schema level is not supported: skipped")),
        }
    }

    fn simple_type(&mut self, n: &XNode, name: &str) -> SimpleType {
        let mut st = SimpleType {
            name: name.to_string(),
            base: "xs:string".to_string(),
            values: Vec::new(),
            line: n.line,
        };
        for c in &n.children {
            match c.name.as_str() {
                "restriction" => {
                    st.base = c.attr("base").unwrap_or("xs:string").to_string();
                    for f in &c.children {
                        match (f.name.as_str(), f.attr("value")) {
                            ("enumeration", Some(v)) => st.values.push(v.to_string()),
                            ("pattern", _) => self.note(
                                f.line,
                                format!("pattern facet of `{name}` is not checked (values are read as `{}`)", st.base),
                            ),
                            ("annotation", _) => {}
                            (other, _) => self.note(f.line, format!("facet `xs:{other}` of `{name}` ignored")),
                        }
                    }
                }
                "annotation" => {}
                other => self.note(
                    c.line,
                    format!(
                        "`xs:{other}` in simple type `{name}` is not supported: read as a string"
                    ),
                ),
            }
        }
        st
    }

    fn complex_type(&mut self, n: &XNode, name: &str) -> ComplexType {
        let mut ct = ComplexType {
            name: name.to_string(),
            base: None,
            content: Vec::new(),
            attributes: Vec::new(),
            text: None,
            line: n.line,
        };
        if n.attr("mixed") == Some("true") {
            self.note(
                n.line,
                format!("mixed content of `{}` is not represented", shown(name)),
            );
        }
        self.unrepresented(
            n,
            &["name", "abstract", "mixed"],
            &format!("complex type `{}`", shown(name)),
        );
        self.complex_body(&n.children, &mut ct);
        ct
    }

    /// Content, attributes and derivation of a complex type (or of an extension in it).
    fn complex_body(&mut self, children: &[XNode], ct: &mut ComplexType) {
        for c in children {
            match c.name.as_str() {
                "sequence" | "choice" | "all" => {
                    if let Some(p) = self.group(c, &ct.name) {
                        ct.content.push(p);
                    }
                }
                "attribute" => {
                    if let Some(a) = self.attribute(c, &ct.name) {
                        ct.attributes.push(a);
                    }
                }
                "complexContent" | "simpleContent" => {
                    for d in &c.children {
                        match d.name.as_str() {
                            "extension" => {
                                let base = d.attr("base").map(str::to_string);
                                if c.name == "simpleContent" {
                                    ct.text = Some(d.attr("base").unwrap_or("xs:string").to_string());
                                } else {
                                    ct.base = base;
                                }
                                self.complex_body(&d.children, ct);
                            }
                            "annotation" => {}
                            other => self.note(
                                d.line,
                                format!("`xs:{other}` in `{}` is not supported (only extension): skipped", shown(&ct.name)),
                            ),
                        }
                    }
                }
                "annotation" => {}
                other => self.note(
                    c.line,
                    format!(
                        "`xs:{other}` in complex type `{}` is not supported: skipped",
                        shown(&ct.name)
                    ),
                ),
            }
        }
    }

    fn group(&mut self, n: &XNode, owner: &str) -> Option<Particle> {
        let kind = if n.name == "choice" {
            GroupKind::Choice
        } else {
            GroupKind::Sequence
        };
        let occurs = self.occurs(n);
        let mut items = Vec::new();
        for c in &n.children {
            match c.name.as_str() {
                "element" => {
                    if let Some(e) = self.element(c, owner) {
                        items.push(Particle::Element(e));
                    }
                }
                "sequence" | "choice" | "all" => {
                    if let Some(p) = self.group(c, owner) {
                        items.push(p);
                    }
                }
                "any" => self.note(
                    c.line,
                    format!("`xs:any` in `{}`: any element is allowed here; not represented (kept as unknown content)", shown(owner)),
                ),
                "annotation" => {}
                other => self.note(
                    c.line,
                    format!("`xs:{other}` in `{}` is not supported: skipped", shown(owner)),
                ),
            }
        }
        Some(Particle::Group {
            kind,
            occurs,
            items,
        })
    }

    fn element(&mut self, n: &XNode, owner: &str) -> Option<Element> {
        let Some(name) = n.attr("name") else {
            let what = if n.attr("ref").is_some() {
                "element references (`ref=`) are not supported"
            } else {
                "element without a name"
            };
            self.note(n.line, format!("{what} in `{}`: skipped", shown(owner)));
            return None;
        };
        self.unrepresented(
            n,
            &["name", "type", "minOccurs", "maxOccurs"],
            &format!("element `{name}`"),
        );
        let occurs = self.occurs(n);
        let inline = n.children.iter().find(|c| c.name == "complexType");
        let ty = match (n.attr("type"), inline) {
            (Some(t), None) => ElementType::Named(t.to_string()),
            (None, Some(ct)) => {
                let anon = format!("{owner}/{name}");
                let ty = self.complex_type(ct, &anon);
                self.complex.insert(anon.clone(), ty);
                ElementType::Inline(anon)
            }
            (Some(t), Some(_)) => {
                self.note(
                    n.line,
                    format!("element `{name}` has both a type and an inline type: `{t}` used"),
                );
                ElementType::Named(t.to_string())
            }
            (None, None) => {
                if let Some(st) = n.children.iter().find(|c| c.name == "simpleType") {
                    self.note(
                        st.line,
                        format!("inline simple type of `{name}` read as a string"),
                    );
                    ElementType::Named("xs:string".into())
                } else {
                    ElementType::Any
                }
            }
        };
        for c in &n.children {
            if !matches!(c.name.as_str(), "complexType" | "simpleType" | "annotation") {
                self.note(
                    c.line,
                    format!(
                        "`xs:{}` in element `{name}` is not supported: skipped",
                        c.name
                    ),
                );
            }
        }
        Some(Element {
            name: name.to_string(),
            ty,
            occurs,
            line: n.line,
        })
    }

    fn attribute(&mut self, n: &XNode, owner: &str) -> Option<Attribute> {
        let Some(name) = n.attr("name") else {
            self.note(
                n.line,
                format!(
                    "attribute without a name in `{}` (refs are not supported): skipped",
                    shown(owner)
                ),
            );
            return None;
        };
        self.unrepresented(n, &["name", "type", "use"], &format!("attribute `{name}`"));
        Some(Attribute {
            name: name.to_string(),
            ty: n
                .attr("type")
                .map(|t| t.to_string())
                .unwrap_or_else(|| "xs:string".into()),
            required: n.attr("use") == Some("required"),
            line: n.line,
        })
    }

    /// Notes every attribute of `n` outside `known` (`default="false"`, `nillable`, `form`, …):
    /// the model does not represent it.
    fn unrepresented(&mut self, n: &XNode, known: &[&str], what: &str) {
        for (k, v) in &n.attrs {
            if !known.contains(&k.as_str()) && !k.starts_with("xmlns") {
                self.note(
                    n.line,
                    format!("`{k}=\"{v}\"` on {what} is not represented"),
                );
            }
        }
    }

    fn occurs(&mut self, n: &XNode) -> Occurs {
        let mut o = Occurs::ONCE;
        if let Some(v) = n.attr("minOccurs") {
            match v.trim().parse() {
                Ok(m) => o.min = m,
                Err(_) => self.note(
                    n.line,
                    format!("minOccurs `{v}` is not a number: 1 assumed"),
                ),
            }
        }
        if let Some(v) = n.attr("maxOccurs") {
            match v.trim() {
                "unbounded" => o.max = None,
                t => match t.parse() {
                    Ok(m) => o.max = Some(m),
                    Err(_) => self.note(
                        n.line,
                        format!("maxOccurs `{v}` is not a number: 1 assumed"),
                    ),
                },
            }
        }
        o
    }
}

fn shown(name: &str) -> &str {
    if name.is_empty() {
        "(anonymous type)"
    } else {
        name
    }
}
