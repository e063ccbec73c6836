//! Compares a spec with a schema: which spec types the schema declares, and where their
//! fields differ in name, order, optionality, repetition, list wrapping or type.
//!
//! Matching, in this order: a spec type whose XML root (`root`, else its name) is a global
//! element of the schema is that element's type ("by root"); a spec type reached through a
//! field of a matched type is the type of the schema's element of the same name ("by
//! field"); a remaining spec type `T` is the schema's `TType`, `TEntityType` or `TInfoType`
//! ("by name"). Element order is compared; attribute order is not (XML does not order
//! attributes).

use std::collections::{BTreeMap, VecDeque};

use super::fields::{FieldKind, FieldType, XField};
use super::model::Schema;
use crate::spec::{FieldSpec, SpecFile};

/// How a spec type was matched with a schema type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Its root element is a global element of the schema.
    Root,
    /// A field of a matched type has this type, and the schema's element of that name the other.
    Field,
    /// The schema has a type of the spec name plus `Type`, `EntityType` or `InfoType`.
    Name,
}

/// One spec type and the schema type it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMatch {
    /// Spec type name.
    pub spec: String,
    /// Schema complex type key.
    pub schema: String,
    /// How they were matched.
    pub how: How,
}

/// What differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Aspect {
    /// The schema declares it; the spec does not.
    Missing,
    /// The spec declares it; the schema does not.
    Extra,
    /// Attribute, element or text.
    Kind,
    /// Element order (the field is outside the longest common order).
    Order,
    /// `optional` against `minOccurs`/`use`.
    Optional,
    /// `repeated` against `maxOccurs`.
    Repeated,
    /// `item` against a list wrapper type.
    Item,
    /// The value type.
    Type,
}

impl Aspect {
    /// The word used in the deviation table.
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Missing => "missing",
            Aspect::Extra => "extra",
            Aspect::Kind => "kind",
            Aspect::Order => "order",
            Aspect::Optional => "optional",
            Aspect::Repeated => "repeated",
            Aspect::Item => "item",
            Aspect::Type => "type",
        }
    }
}

/// One difference between a spec type and its schema type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Spec type.
    pub ty: String,
    /// Field name (`(text)` for character data).
    pub field: String,
    /// What differs.
    pub aspect: Aspect,
    /// The spec's side (`-` when absent).
    pub spec: String,
    /// The schema's side (`-` when absent).
    pub schema: String,
    /// Schema line of the field (0 when the schema lacks it).
    pub line: usize,
}

impl Diff {
    /// The difference as a row of the deviation table (the `why` column left to fill).
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | |",
            self.ty,
            self.field,
            self.aspect.as_str(),
            cell(&self.spec),
            cell(&self.schema)
        )
    }
}

fn cell(s: &str) -> String {
    if s == "-" {
        "-".into()
    } else {
        format!("`{s}`")
    }
}

/// The whole comparison.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Matched types, in matching order.
    pub matches: Vec<TypeMatch>,
    /// Schema fields of matched types that the spec declares with no difference.
    pub fields_matched: usize,
    /// Every difference.
    pub diffs: Vec<Diff>,
    /// Spec types reached by two schema types of different shape (the first one is kept).
    pub conflicts: Vec<(String, String, String)>,
}

/// A row of the machine-readable deviation table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// Spec type, or `*` for every matched type.
    pub ty: String,
    /// Field name, or `*` for every field.
    pub field: String,
    /// Aspect word.
    pub aspect: String,
    /// Spec side.
    pub spec: String,
    /// Schema side.
    pub schema: String,
    /// Why.
    pub why: String,
    /// 1-based line in the Markdown file.
    pub line: usize,
}

impl Deviation {
    /// Whether this row lists `d`.
    pub fn covers(&self, d: &Diff) -> bool {
        (self.ty == "*" || self.ty == d.ty)
            && (self.field == "*" || self.field == d.field)
            && self.aspect == d.aspect.as_str()
            && self.spec == d.spec
            && self.schema == d.schema
    }
}

/// The rows of the table that follows the heading containing `heading` in a Markdown file:
/// `| type | field | aspect | spec | schema | why |`, backticks stripped.
pub fn parse_deviations(md: &str, heading: &str) -> Result<Vec<Deviation>, String> {
    let mut rows = Vec::new();
    let mut inside = false;
    let mut header_seen = false;
    for (i, line) in md.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') {
            if inside && header_seen {
                break;
            }
            inside = t.contains(heading);
            continue;
        }
        if !inside || !t.starts_with('|') {
            if inside && header_seen && !t.is_empty() {
                break;
            }
            continue;
        }
        let cells: Vec<String> = t
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect();
        if !header_seen {
            header_seen = true;
            continue;
        }
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
        {
            continue;
        }
        if cells.len() != 6 {
            return Err(format!(
                "line {}: a deviation row has 6 cells (type, field, aspect, spec, schema, why), not {}",
                i + 1,
                cells.len()
            ));
        }
        rows.push(Deviation {
            ty: cells[0].clone(),
            field: cells[1].clone(),
            aspect: cells[2].clone(),
            spec: cells[3].clone(),
            schema: cells[4].clone(),
            why: cells[5].clone(),
            line: i + 1,
        });
    }
    if !header_seen {
        return Err(format!("no table after a heading containing `{heading}`"));
    }
    Ok(rows)
}

struct SpecField<'a> {
    f: &'a FieldSpec,
    kind: FieldKind,
}

fn spec_fields<'a>(spec: &'a SpecFile, ty: &str) -> Vec<SpecField<'a>> {
    spec.types
        .get(ty)
        .map(|t| {
            t.get_ref()
                .fields
                .iter()
                .map(|f| {
                    let f = f.get_ref();
                    let kind = if f.attr {
                        FieldKind::Attr
                    } else if f.text {
                        FieldKind::Text
                    } else {
                        FieldKind::Element
                    };
                    SpecField { f, kind }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn field_key(name: &str, kind: FieldKind) -> String {
    if kind == FieldKind::Text {
        "(text)".into()
    } else {
        name.to_ascii_lowercase()
    }
}

/// Matches the spec's types with the schema's and compares their fields.
pub fn compare(schema: &Schema, spec: &SpecFile) -> Report {
    let mut r = Report::default();
    let mut matched: BTreeMap<String, String> = BTreeMap::new();
    let mut queue: VecDeque<String> = VecDeque::new();
    let roots: BTreeMap<&str, &str> = schema
        .roots
        .iter()
        .map(|e| (e.name.as_str(), e.ty.rsplit(':').next().unwrap_or(&e.ty)))
        .collect();
    let add = |r: &mut Report,
               matched: &mut BTreeMap<String, String>,
               spec_ty: &str,
               key: &str,
               how: How,
               q: &mut VecDeque<String>| {
        r.matches.push(TypeMatch {
            spec: spec_ty.to_string(),
            schema: key.to_string(),
            how,
        });
        matched.insert(spec_ty.to_string(), key.to_string());
        q.push_back(spec_ty.to_string());
    };
    for (name, t) in &spec.types {
        let root = t.get_ref().root.as_deref().unwrap_or(name);
        if let Some(key) = roots.get(root) {
            if schema.complex.contains_key(*key) {
                add(&mut r, &mut matched, name, key, How::Root, &mut queue);
            }
        }
    }
    let mut by_name_done = false;
    loop {
        while let Some(s) = queue.pop_front() {
            let key = matched[&s].clone();
            let (xf, _) = schema.fields(&key);
            for sf in spec_fields(spec, &s) {
                let b = sf.f.type_.get_ref();
                if !spec.types.contains_key(b) {
                    continue;
                }
                let Some(x) = xf.iter().find(|x| {
                    x.kind == sf.kind && x.name.eq_ignore_ascii_case(sf.f.name.get_ref())
                }) else {
                    continue;
                };
                let y = match (&sf.f.item, &x.list_type, &x.ty) {
                    // The spec models the wrapper as a type of its own.
                    (None, Some(list), _) => list,
                    (_, _, FieldType::Complex(y)) => y,
                    _ => continue,
                };
                match matched.get(b) {
                    Some(prev) if prev != y => {
                        if !same_shape(schema, prev, y) {
                            r.conflicts.push((b.clone(), prev.clone(), y.clone()));
                        }
                    }
                    Some(_) => {}
                    None => {
                        let y = y.clone();
                        add(&mut r, &mut matched, b, &y, How::Field, &mut queue);
                    }
                }
            }
        }
        if by_name_done {
            break;
        }
        by_name_done = true;
        for name in spec.types.keys() {
            if matched.contains_key(name) {
                continue;
            }
            let hit = ["Type", "EntityType", "InfoType"]
                .iter()
                .map(|suf| format!("{name}{suf}"))
                .find(|k| schema.complex.contains_key(k));
            if let Some(k) = hit {
                add(&mut r, &mut matched, name, &k, How::Name, &mut queue);
            }
        }
    }
    for m in r.matches.clone() {
        compare_type(schema, spec, &matched, &m, &mut r);
    }
    r
}

fn same_shape(schema: &Schema, a: &str, b: &str) -> bool {
    let strip = |k: &str| -> Vec<(String, FieldKind, FieldType, bool, bool, Option<String>)> {
        schema
            .fields(k)
            .0
            .into_iter()
            .map(|f| (f.name, f.kind, f.ty, f.optional, f.repeated, f.item))
            .collect()
    };
    strip(a) == strip(b)
}

fn schema_side(x: &XField) -> String {
    match &x.ty {
        FieldType::Scalar(s) => (*s).to_string(),
        FieldType::Enum(e) => format!("enum {e}"),
        FieldType::Complex(k) => k.clone(),
        FieldType::Empty => "empty".into(),
        FieldType::Links => "Links".into(),
        FieldType::Link => "Link".into(),
        FieldType::Unknown(t) => format!("undeclared {t}"),
    }
}

/// Whether values of this type are references (strings, nested types, lists, links), which
/// object serializers such as .NET's omit when null whatever the schema says.
pub fn is_reference(ty: &FieldType) -> bool {
    match ty {
        FieldType::Scalar(s) => *s == "string",
        FieldType::Enum(_) => false,
        _ => true,
    }
}

fn kind_word(k: FieldKind) -> &'static str {
    match k {
        FieldKind::Attr => "attribute",
        FieldKind::Text => "text",
        FieldKind::Element => "element",
    }
}

fn compare_type(
    schema: &Schema,
    spec: &SpecFile,
    matched: &BTreeMap<String, String>,
    m: &TypeMatch,
    r: &mut Report,
) {
    let (xf, _) = schema.fields(&m.schema);
    let sf = spec_fields(spec, &m.spec);
    let diff = |field: &str, aspect, s: String, x: String, line| Diff {
        ty: m.spec.clone(),
        field: field.to_string(),
        aspect,
        spec: s,
        schema: x,
        line,
    };
    let find_spec = |x: &XField| {
        sf.iter().find(|s| {
            if x.kind == FieldKind::Text || s.kind == FieldKind::Text {
                x.kind == s.kind
            } else {
                s.f.name.get_ref().eq_ignore_ascii_case(&x.name)
            }
        })
    };
    for x in &xf {
        let shown = if x.kind == FieldKind::Text {
            "(text)".to_string()
        } else {
            x.name.clone()
        };
        let Some(s) = find_spec(x) else {
            r.diffs.push(diff(
                &shown,
                Aspect::Missing,
                "-".into(),
                schema_side(x),
                x.line,
            ));
            continue;
        };
        let before = r.diffs.len();
        let f = s.f;
        if s.kind != x.kind {
            r.diffs.push(diff(
                &shown,
                Aspect::Kind,
                kind_word(s.kind).into(),
                kind_word(x.kind).into(),
                x.line,
            ));
        }
        if f.repeated != x.repeated {
            let w = |b: bool| if b { "repeated" } else { "single" }.to_string();
            r.diffs.push(diff(
                &shown,
                Aspect::Repeated,
                w(f.repeated),
                w(x.repeated),
                x.line,
            ));
        } else if !x.repeated && f.optional != x.optional {
            let w = |b: bool| if b { "optional" } else { "required" }.to_string();
            let mut xs = w(x.optional);
            if !x.optional && is_reference(&x.ty) {
                xs.push_str(", reference-typed");
            }
            r.diffs
                .push(diff(&shown, Aspect::Optional, w(f.optional), xs, x.line));
        }
        let s_item = f.item.as_ref().map(|i| i.get_ref().clone());
        if s_item != x.item {
            let w = |i: &Option<String>| i.clone().unwrap_or_else(|| "-".into());
            r.diffs
                .push(diff(&shown, Aspect::Item, w(&s_item), w(&x.item), x.line));
        }
        let st = f.type_.get_ref();
        let as_list = match (&s_item, &x.list_type) {
            (None, Some(list)) => Some(list),
            _ => None,
        };
        let type_ok = match as_list {
            Some(list) => matched.get(st).is_some_and(|k| k == list),
            None => match &x.ty {
                // A `secret` is a string on the wire (kept out of `Debug` in Rust).
                FieldType::Scalar(sc) => st == sc || (st == "secret" && *sc == "string"),
                FieldType::Enum(_) => spec.enums.contains_key(st),
                FieldType::Complex(y) => match matched.get(st) {
                    Some(k) => k == y || same_shape(schema, k, y),
                    None => false,
                },
                FieldType::Empty | FieldType::Unknown(_) => st == "string",
                FieldType::Links => st == "Links",
                FieldType::Link => st == "Link",
            },
        };
        if !type_ok {
            r.diffs.push(diff(
                &shown,
                Aspect::Type,
                st.clone(),
                schema_side(x),
                x.line,
            ));
        }
        if r.diffs.len() == before {
            r.fields_matched += 1;
        }
    }
    for s in &sf {
        let found = xf.iter().any(|x| {
            if x.kind == FieldKind::Text || s.kind == FieldKind::Text {
                x.kind == s.kind
            } else {
                s.f.name.get_ref().eq_ignore_ascii_case(&x.name)
            }
        });
        if !found {
            let shown = if s.kind == FieldKind::Text {
                "(text)".to_string()
            } else {
                s.f.name.get_ref().clone()
            };
            r.diffs.push(diff(
                &shown,
                Aspect::Extra,
                s.f.type_.get_ref().clone(),
                "-".into(),
                0,
            ));
        }
    }
    // Element order: fields outside the longest common subsequence are out of place.
    let xs: Vec<String> = xf
        .iter()
        .filter(|x| x.kind == FieldKind::Element)
        .map(|x| field_key(&x.name, x.kind))
        .collect();
    let ss: Vec<String> = sf
        .iter()
        .filter(|s| s.kind == FieldKind::Element)
        .map(|s| field_key(s.f.name.get_ref(), s.kind))
        .filter(|k| xs.contains(k))
        .collect();
    let xs: Vec<String> = xs.into_iter().filter(|k| ss.contains(k)).collect();
    let keep = lcs(&ss, &xs);
    for (i, k) in ss.iter().enumerate() {
        if !keep.contains(&i) {
            let x = xf.iter().find(|x| field_key(&x.name, x.kind) == *k);
            let name = x.map_or(k.clone(), |x| x.name.clone());
            r.diffs.push(diff(
                &name,
                Aspect::Order,
                "-".into(),
                "-".into(),
                x.map_or(0, |x| x.line),
            ));
        }
    }
}

/// Indices into `a` of one longest common subsequence of `a` and `b`.
fn lcs(a: &[String], b: &[String]) -> Vec<usize> {
    let (n, m) = (a.len(), b.len());
    let mut t = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(i);
            i += 1;
            j += 1;
        } else if t[i + 1][j] >= t[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}
