//! The flat field view of a complex type, in the spec format's terms: base type first,
//! attributes, text, then elements; occurrence folded into `optional` / `repeated`, list
//! wrappers into `item`, simple types resolved to the spec's scalars or enumerations.

use super::model::{ElementType, GroupKind, Note, Particle, Schema};

/// Where a field lives in the XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// An attribute.
    Attr,
    /// The element's own character data.
    Text,
    /// A child element.
    Element,
}

/// The type of a field, in spec terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// A spec scalar: `string`, `bool`, `int`, `long`, `double`, `datetime`.
    Scalar(&'static str),
    /// An enumeration: the simple type's name.
    Enum(String),
    /// A complex type, by its key in [`Schema::complex`].
    Complex(String),
    /// An element that carries nothing (`<xs:complexType/>`): read as an (empty) string.
    Empty,
    /// A link list (`<Links><Link …/>…</Links>`): the spec's `Links`.
    Links,
    /// One link (attributes `Href`, `Rel` and optionally `Name`, `Type`): the spec's `Link`.
    Link,
    /// A type the schema does not declare.
    Unknown(String),
}

/// One field of a complex type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XField {
    /// Element or attribute name (for text, the type's name).
    pub name: String,
    /// Attribute, text or element.
    pub kind: FieldKind,
    /// Its type (the item's type for a list wrapper).
    pub ty: FieldType,
    /// May be absent (`minOccurs="0"`, an attribute without `use="required"`, a choice member).
    pub optional: bool,
    /// May occur more than once, without a wrapper.
    pub repeated: bool,
    /// The item element when the element is a list wrapper.
    pub item: Option<String>,
    /// The wrapper's own complex type when the element is a list wrapper.
    pub list_type: Option<String>,
    /// 1-based line of the declaration.
    pub line: usize,
}

const MAX_DEPTH: usize = 32;

impl Schema {
    /// Resolves a type reference as written in the schema to a field type.
    pub fn resolve(&self, written: &str) -> FieldType {
        let mut name = written.to_string();
        for _ in 0..MAX_DEPTH {
            if let Some(b) = self.builtin(&name) {
                return match builtin_scalar(b) {
                    Some(s) => FieldType::Scalar(s),
                    None => FieldType::Unknown(name),
                };
            }
            let local = name.rsplit(':').next().unwrap_or(&name).to_string();
            if let Some(st) = self.simple.get(&local) {
                if !st.values.is_empty() {
                    return FieldType::Enum(local);
                }
                name = st.base.clone();
                continue;
            }
            if self.complex.contains_key(&local) {
                return FieldType::Complex(local);
            }
            return FieldType::Unknown(local);
        }
        FieldType::Unknown(written.to_string())
    }

    /// The XML Schema builtin a reference names (its local name), if it names one.
    fn builtin<'a>(&self, written: &'a str) -> Option<&'a str> {
        match written.split_once(':') {
            Some((p, l)) if p == self.xs_prefix => Some(l),
            Some(_) => None,
            None if self.xs_prefix.is_empty() => Some(written),
            None => None,
        }
    }

    /// The fields of complex type `key`, base type first, list wrappers and links recognised.
    /// Problems (unknown types, cycles) are returned as notes.
    pub fn fields(&self, key: &str) -> (Vec<XField>, Vec<Note>) {
        let mut notes = Vec::new();
        let mut fields = self.raw_fields(key, &mut notes);
        for f in &mut fields {
            if f.kind != FieldKind::Element {
                continue;
            }
            let FieldType::Complex(inner) = &f.ty else {
                continue;
            };
            let inner = inner.clone();
            let mut scratch = Vec::new();
            let sub = self.raw_fields(&inner, &mut scratch);
            if sub.is_empty() {
                f.ty = FieldType::Empty;
            } else if is_link(&sub) {
                f.ty = FieldType::Link;
            } else if let [only] = sub.as_slice() {
                if only.kind == FieldKind::Element && only.repeated && !f.repeated {
                    let item_ty = match &only.ty {
                        FieldType::Complex(z) => {
                            let zs = self.raw_fields(z, &mut scratch);
                            if zs.is_empty() {
                                FieldType::Empty
                            } else if is_link(&zs) {
                                FieldType::Link
                            } else {
                                only.ty.clone()
                            }
                        }
                        t => t.clone(),
                    };
                    if item_ty == FieldType::Link {
                        f.ty = FieldType::Links;
                    } else {
                        f.ty = item_ty;
                        f.item = Some(only.name.clone());
                        f.list_type = Some(inner.clone());
                    }
                }
            }
        }
        (fields, notes)
    }

    /// The fields of `key` with element types resolved but not classified.
    fn raw_fields(&self, key: &str, notes: &mut Vec<Note>) -> Vec<XField> {
        // The base chain, outermost first.
        let mut chain = Vec::new();
        let mut at = Some(key.to_string());
        while let Some(k) = at {
            let Some(ct) = self.complex.get(&k) else {
                if let Some(first) = chain.last() {
                    let line = self
                        .complex
                        .get(first)
                        .map_or(0, |c: &super::model::ComplexType| c.line);
                    notes.push(Note {
                        line,
                        message: format!("base type `{k}` of `{first}` is not declared"),
                    });
                }
                break;
            };
            if chain.contains(&k) || chain.len() > MAX_DEPTH {
                notes.push(Note {
                    line: ct.line,
                    message: format!("`{k}` derives from itself"),
                });
                break;
            }
            chain.push(k.clone());
            at = ct
                .base
                .as_ref()
                .map(|b| b.rsplit(':').next().unwrap_or(b).to_string());
        }
        chain.reverse();
        let mut attrs = Vec::new();
        let mut text = Vec::new();
        let mut elems = Vec::new();
        for k in &chain {
            let Some(ct) = self.complex.get(k) else {
                continue;
            };
            for a in &ct.attributes {
                attrs.push(XField {
                    name: a.name.clone(),
                    kind: FieldKind::Attr,
                    ty: self.resolve(&a.ty),
                    optional: !a.required,
                    repeated: false,
                    item: None,
                    list_type: None,
                    line: a.line,
                });
            }
            if let Some(t) = &ct.text {
                text.push(XField {
                    name: k.clone(),
                    kind: FieldKind::Text,
                    ty: self.resolve(t),
                    optional: false,
                    repeated: false,
                    item: None,
                    list_type: None,
                    line: ct.line,
                });
            }
            for p in &ct.content {
                self.walk(p, false, false, &mut elems);
            }
        }
        let mut out = attrs;
        out.extend(text);
        out.extend(elems);
        for f in &out {
            if let FieldType::Unknown(t) = &f.ty {
                notes.push(Note {
                    line: f.line,
                    message: format!(
                        "type `{t}` of `{}` is not declared: read as a string",
                        f.name
                    ),
                });
            }
        }
        out
    }

    fn walk(&self, p: &Particle, optional: bool, many: bool, out: &mut Vec<XField>) {
        match p {
            Particle::Element(e) => {
                let ty = match &e.ty {
                    ElementType::Named(n) => self.resolve(n),
                    ElementType::Inline(k) => FieldType::Complex(k.clone()),
                    ElementType::Any => FieldType::Unknown("xs:anyType".into()),
                };
                out.push(XField {
                    name: e.name.clone(),
                    kind: FieldKind::Element,
                    ty,
                    optional: optional || e.occurs.min == 0,
                    repeated: many || e.occurs.max != Some(1),
                    item: None,
                    list_type: None,
                    line: e.line,
                });
            }
            Particle::Group {
                kind,
                occurs,
                items,
            } => {
                let alternatives = *kind == GroupKind::Choice && items.len() > 1;
                let optional = optional || occurs.min == 0 || alternatives;
                let many = many || occurs.max != Some(1);
                for i in items {
                    self.walk(i, optional, many, out);
                }
            }
        }
    }
}

fn is_link(fields: &[XField]) -> bool {
    let all_attrs = fields.iter().all(|f| f.kind == FieldKind::Attr);
    let has = |n: &str| fields.iter().any(|f| f.name == n);
    let only = fields
        .iter()
        .all(|f| matches!(f.name.as_str(), "Href" | "Rel" | "Name" | "Type"));
    all_attrs && has("Href") && has("Rel") && only
}

fn builtin_scalar(local: &str) -> Option<&'static str> {
    Some(match local {
        "string" | "normalizedString" | "token" | "anyURI" | "QName" | "NCName" | "ID"
        | "IDREF" | "language" | "Name" | "time" | "date" | "duration" | "gYear"
        | "base64Binary" | "hexBinary" | "anySimpleType" => "string",
        "boolean" => "bool",
        "int" | "short" | "byte" | "unsignedShort" | "unsignedByte" => "int",
        "long" | "integer" | "unsignedInt" | "unsignedLong" | "nonNegativeInteger"
        | "positiveInteger" | "negativeInteger" | "nonPositiveInteger" => "long",
        "double" | "float" | "decimal" => "double",
        "dateTime" => "datetime",
        _ => return None,
    })
}
