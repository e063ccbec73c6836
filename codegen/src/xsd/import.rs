//! `import-xsd`: the `[types.*]` and `[enums.*]` TOML of a schema's complex types, in the
//! format of `spec/README.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::fields::{FieldKind, FieldType, XField};
use super::model::{Note, Schema};

/// Spec names of a schema's complex and simple types.
#[derive(Debug, Clone, Default)]
pub struct Names {
    types: BTreeMap<String, String>,
    enums: BTreeMap<String, String>,
}

impl Names {
    /// Names every type of `schema`: a complex type takes the name of the one global element
    /// of that type, else its own name without a `Type` suffix; an anonymous type takes its
    /// element's name, or its owner's name + the element's where that is taken. First letters
    /// are upper-cased; a clash keeps the schema's full name.
    pub fn new(schema: &Schema) -> Names {
        let mut roots: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in &schema.roots {
            let ty = r.ty.rsplit(':').next().unwrap_or(&r.ty);
            roots.entry(ty).or_default().push(&r.name);
        }
        let mut n = Names::default();
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for key in schema.complex.keys().filter(|k| !k.contains('/')) {
            let base = match roots.get(key.as_str()).map(Vec::as_slice) {
                Some([only]) => only.to_string(),
                _ => key
                    .strip_suffix("Type")
                    .filter(|s| !s.is_empty())
                    .unwrap_or(key)
                    .to_string(),
            };
            let mut name = upper_first(&base);
            if !taken.insert(name.clone()) {
                name = upper_first(key);
                taken.insert(name.clone());
            }
            n.types.insert(key.clone(), name);
        }
        // Anonymous types, outer before inner (shorter keys first).
        let mut anon: Vec<&String> = schema.complex.keys().filter(|k| k.contains('/')).collect();
        anon.sort_by_key(|k| (k.matches('/').count(), (*k).clone()));
        for key in anon {
            let (owner, elem) = key.rsplit_once('/').unwrap_or(("", key));
            let mut name = upper_first(elem);
            if taken.contains(&name) {
                let owner_name = n
                    .types
                    .get(owner)
                    .cloned()
                    .unwrap_or_else(|| upper_first(owner));
                name = format!("{owner_name}{}", upper_first(elem));
            }
            while !taken.insert(name.clone()) {
                name.push('_');
            }
            n.types.insert(key.clone(), name);
        }
        for (key, st) in &schema.simple {
            if st.values.is_empty() {
                continue;
            }
            let mut name = upper_first(key);
            if taken.contains(&name) {
                name.push_str("Enum");
            }
            taken.insert(name.clone());
            n.enums.insert(key.clone(), name);
        }
        n
    }

    /// Names complex type `key` `name` (the spec's own name for it).
    pub fn set_type(&mut self, key: &str, name: &str) {
        self.types.insert(key.to_string(), name.to_string());
    }

    /// The spec name of complex type `key`.
    pub fn type_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.types.get(key).map_or(key, String::as_str)
    }

    /// The spec name of enumeration `key`.
    pub fn enum_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.enums.get(key).map_or(key, String::as_str)
    }

    /// The spec type name of a field type.
    pub fn field_type(&self, ty: &FieldType) -> String {
        match ty {
            FieldType::Scalar(s) => (*s).to_string(),
            FieldType::Enum(e) => self.enum_name(e).to_string(),
            FieldType::Complex(k) => self.type_name(k).to_string(),
            FieldType::Empty | FieldType::Unknown(_) => "string".into(),
            FieldType::Links => "Links".into(),
            FieldType::Link => "Link".into(),
        }
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What `import-xsd` prints, and what it has to say about the schema.
#[derive(Debug, Clone)]
pub struct Import {
    /// The TOML text.
    pub toml: String,
    /// Constructs not represented, types skipped, names not found.
    pub notes: Vec<Note>,
}

/// One spec field entry, as the spec writes it: `{ name = "…", type = "…", … }`.
pub fn field_toml(f: &XField, names: &Names) -> String {
    let mut s = String::from("{ ");
    let name = if f.kind == FieldKind::Text {
        "Value"
    } else {
        f.name.as_str()
    };
    let _ = write!(
        s,
        "name = {}, type = {}",
        quote(name),
        quote(&names.field_type(&f.ty))
    );
    match f.kind {
        FieldKind::Attr => s.push_str(", attr = true"),
        FieldKind::Text => s.push_str(", text = true"),
        FieldKind::Element => {}
    }
    if f.repeated {
        s.push_str(", repeated = true");
    } else if f.optional {
        s.push_str(", optional = true");
    }
    if let Some(item) = &f.item {
        let _ = write!(s, ", item = {}", quote(item));
    }
    match &f.ty {
        FieldType::Empty => s.push_str(", doc = \"An empty element.\""),
        FieldType::Unknown(t) => {
            let _ = write!(
                s,
                ", doc = {}",
                quote(&format!(
                    "Schema type `{t}` is not declared; read as a string."
                ))
            );
        }
        _ => {}
    }
    s.push_str(" }");
    s
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The TOML of the complex types named in `only` (schema names such as `JobEntityType`,
/// or the spec names [`Names`] gives, such as `Job`), with the anonymous types inside them
/// and the enumerations they use; all types when `only` is empty. Types without any field
/// and link types (the spec's builtin `Link`/`Links`) are skipped with a note.
pub fn import(schema: &Schema, only: &[String]) -> Import {
    let names = Names::new(schema);
    let mut notes = schema.notes.clone();
    let mut wanted: Vec<String> = Vec::new();
    if only.is_empty() {
        wanted.extend(schema.complex.keys().filter(|k| !k.contains('/')).cloned());
    } else {
        for o in only {
            let hit = schema
                .complex
                .keys()
                .find(|k| *k == o || names.type_name(k) == o);
            match hit {
                Some(k) => wanted.push(k.clone()),
                None => notes.push(Note {
                    line: 0,
                    message: format!("no complex type `{o}` in the schema"),
                }),
            }
        }
    }
    // Anonymous types inside the wanted ones follow their owner.
    let mut keys: Vec<String> = Vec::new();
    for w in &wanted {
        keys.push(w.clone());
        let prefix = format!("{w}/");
        keys.extend(
            schema
                .complex
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned(),
        );
    }
    let mut out = String::new();
    let mut enums: BTreeSet<String> = BTreeSet::new();
    let root_of: BTreeMap<&str, &str> = schema
        .roots
        .iter()
        .map(|r| (r.ty.rsplit(':').next().unwrap_or(&r.ty), r.name.as_str()))
        .collect();
    for key in &keys {
        let (fields, more) = schema.fields(key);
        notes.extend(more);
        let line = schema.complex.get(key).map_or(0, |c| c.line);
        if fields.is_empty() {
            notes.push(Note {
                line,
                message: format!("`{key}` has no elements or attributes: no type written (fields of this type read as an empty string)"),
            });
            continue;
        }
        let is_links = fields.iter().all(|f| f.kind == FieldKind::Attr)
            && fields.iter().any(|f| f.name == "Rel")
            && fields.iter().any(|f| f.name == "Href")
            || matches!(fields.as_slice(), [f] if f.repeated && f.ty == FieldType::Link);
        if is_links {
            notes.push(Note {
                line,
                message: format!(
                    "`{key}` is a link type: the spec's builtin `Link`/`Links` stand for it"
                ),
            });
            continue;
        }
        let name = names.type_name(key);
        let _ = writeln!(out, "[types.{name}]");
        let _ = writeln!(out, "doc = {}", quote(&format!("Schema type `{key}`.")));
        if let Some(root) = root_of.get(key.as_str()) {
            if *root != name {
                let _ = writeln!(out, "root = {}", quote(root));
            }
        }
        out.push_str("fields = [\n");
        for f in &fields {
            if let FieldType::Enum(e) = &f.ty {
                enums.insert(e.clone());
            }
            let _ = writeln!(out, "  {},", field_toml(f, &names));
        }
        out.push_str("]\n\n");
    }
    let mut head = String::new();
    for e in &enums {
        if let Some(st) = schema.simple.get(e) {
            let _ = writeln!(head, "[enums.{}]", names.enum_name(e));
            let _ = writeln!(head, "doc = {}", quote(&format!("Schema type `{e}`.")));
            let vals: Vec<String> = st.values.iter().map(|v| quote(v)).collect();
            let _ = writeln!(head, "values = [{}]\n", vals.join(", "));
        }
    }
    head.push_str(&out);
    Import { toml: head, notes }
}
