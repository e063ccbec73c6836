//! `import-xsd --complete SPEC`: rewrites a spec so that the types the schema declares carry
//! every element and attribute of the schema, with its optionality.
//!
//! Only text is inserted or edited (comments, `doc`, `rust`, `json` and links stay as written):
//! a missing field is inserted after the spec's field that precedes it in the schema (or
//! before the first one), in the importer's format; an `optional` that differs is added or
//! removed; schema types the new fields need and the spec lacks are appended, named as the
//! importer names them. Differences of order, repetition, wrapping and type are left to the
//! author (the conformance comparison lists them).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::compare::{is_reference, Aspect, Report};
use super::fields::{FieldKind, FieldType, XField};
use super::import::{field_toml, Names};
use super::model::Schema;
use crate::spec::SpecFile;

/// What [`complete`] changed.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    /// The new spec text.
    pub source: String,
    /// Fields inserted.
    pub added: usize,
    /// `optional` flags changed.
    pub optional_changed: usize,
    /// Types appended.
    pub types_added: Vec<String>,
    /// Enumerations appended.
    pub enums_added: Vec<String>,
}

struct Edit {
    at: usize,
    remove: usize,
    text: String,
}

/// How [`complete`] treats the schema's required fields.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Fields (`Type.Field`, or `*.Field` for every type) whose `optional` is not changed.
    pub keep_optional: BTreeSet<String>,
    /// Make reference-typed fields (strings, nested types, lists) required where the schema
    /// requires them; otherwise they stay or become optional (see [`is_reference`]).
    pub require_references: bool,
}

/// Completes `src` (parsed as `spec`, compared in `report`) from `schema`.
pub fn complete(
    src: &str,
    schema: &Schema,
    spec: &SpecFile,
    report: &Report,
    policy: &Policy,
) -> Completion {
    let keep_optional = &policy.keep_optional;
    let mut names = Names::new(schema);
    // Schema types the spec already stands for keep the spec's name.
    let mut spec_of: BTreeMap<String, String> = BTreeMap::new();
    for m in &report.matches {
        let e = spec_of
            .entry(m.schema.clone())
            .or_insert_with(|| m.spec.clone());
        if m.spec == names.type_name(&m.schema) {
            *e = m.spec.clone();
        }
    }
    for (k, v) in &spec_of {
        names.set_type(k, v);
    }
    let taken: BTreeSet<&str> = spec
        .types
        .keys()
        .chain(spec.enums.keys())
        .map(String::as_str)
        .collect();
    let mut c = Completion::default();
    let mut edits: Vec<Edit> = Vec::new();
    let mut new_types: Vec<String> = Vec::new();
    let mut new_enums: BTreeSet<String> = BTreeSet::new();
    let need = |ty: &FieldType,
                names: &mut Names,
                new_types: &mut Vec<String>,
                new_enums: &mut BTreeSet<String>| {
        match ty {
            FieldType::Complex(k) if !spec_of.contains_key(k) && !new_types.contains(k) => {
                let mut n = names.type_name(k).to_string();
                while taken.contains(n.as_str()) {
                    n.push_str("Info");
                }
                names.set_type(k, &n);
                new_types.push(k.clone());
            }
            FieldType::Enum(e) if !spec.enums.contains_key(names.enum_name(e)) => {
                new_enums.insert(e.clone());
            }
            _ => {}
        }
    };
    for m in &report.matches {
        let Some(t) = spec.types.get(&m.spec) else {
            continue;
        };
        let fields = &t.get_ref().fields;
        let (xf, _) = schema.fields(&m.schema);
        let same = |x: &XField, name: &str, kind: FieldKind| {
            if x.kind == FieldKind::Text || kind == FieldKind::Text {
                x.kind == kind
            } else {
                x.name.eq_ignore_ascii_case(name)
            }
        };
        let kind_of = |f: &crate::spec::FieldSpec| {
            if f.attr {
                FieldKind::Attr
            } else if f.text {
                FieldKind::Text
            } else {
                FieldKind::Element
            }
        };
        for d in report.diffs.iter().filter(|d| d.ty == m.spec) {
            match d.aspect {
                Aspect::Missing => {
                    let Some(xi) = xf.iter().position(|x| {
                        let shown = if x.kind == FieldKind::Text {
                            "(text)"
                        } else {
                            x.name.as_str()
                        };
                        shown == d.field
                    }) else {
                        continue;
                    };
                    let x = &xf[xi];
                    need(&x.ty, &mut names, &mut new_types, &mut new_enums);
                    // After the nearest preceding schema field the spec has, else before the first field.
                    let prev = xf[..xi].iter().rev().find_map(|p| {
                        fields
                            .iter()
                            .find(|f| same(p, f.get_ref().name.get_ref(), kind_of(f.get_ref())))
                    });
                    let mut x = x.clone();
                    if !policy.require_references && is_reference(&x.ty) {
                        x.optional = true;
                    }
                    let line = format!("  {},\n", field_toml(&x, &names));
                    let at = match (prev, fields.first()) {
                        (Some(p), _) => line_end(src, p.span().end),
                        (None, Some(first)) => line_start(src, first.span().start),
                        (None, None) => continue,
                    };
                    edits.push(Edit {
                        at,
                        remove: 0,
                        text: line,
                    });
                    c.added += 1;
                }
                Aspect::Optional => {
                    if keep_optional.contains(&format!("{}.{}", d.ty, d.field))
                        || keep_optional.contains(&format!("*.{}", d.field))
                        || (!policy.require_references && d.schema.ends_with("reference-typed"))
                    {
                        continue;
                    }
                    let Some(f) = fields.iter().find(|f| {
                        let fs = f.get_ref();
                        let kind = kind_of(fs);
                        if d.field == "(text)" {
                            kind == FieldKind::Text
                        } else {
                            kind != FieldKind::Text
                                && fs.name.get_ref().eq_ignore_ascii_case(&d.field)
                        }
                    }) else {
                        continue;
                    };
                    let span = f.span();
                    let text = &src[span.clone()];
                    if d.schema.starts_with("required") {
                        if let Some((s, e)) = find_flag(text, "optional") {
                            edits.push(Edit {
                                at: span.start + s,
                                remove: e - s,
                                text: String::new(),
                            });
                            c.optional_changed += 1;
                        }
                    } else if let Some(close) = text.rfind('}') {
                        let mut at = close;
                        while at > 0 && text.as_bytes()[at - 1] == b' ' {
                            at -= 1;
                        }
                        edits.push(Edit {
                            at: span.start + at,
                            remove: 0,
                            text: ", optional = true".into(),
                        });
                        c.optional_changed += 1;
                    }
                }
                _ => {}
            }
        }
    }
    // New types may need further new types.
    let mut i = 0;
    while i < new_types.len() {
        let (xf, _) = schema.fields(&new_types[i]);
        for x in &xf {
            need(&x.ty, &mut names, &mut new_types, &mut new_enums);
        }
        i += 1;
    }
    edits.sort_by_key(|e| (e.at, e.remove));
    let mut out = String::with_capacity(src.len() + 4096);
    let mut pos = 0;
    for e in &edits {
        if e.at < pos {
            continue;
        }
        out.push_str(&src[pos..e.at]);
        out.push_str(&e.text);
        pos = e.at + e.remove;
    }
    out.push_str(&src[pos..]);
    if !new_types.is_empty() || !new_enums.is_empty() {
        out.push_str("\n# ---------------------------------------------------------------------------------------------\n# Types of EM's XML schema (RestAPI.xsd) that the documented samples do not show; added by\n# `emrest-codegen import-xsd --complete`.\n");
    }
    for e in &new_enums {
        if let Some(st) = schema.simple.get(e) {
            let vals: Vec<String> = st.values.iter().map(|v| format!("{v:?}")).collect();
            let _ = write!(
                out,
                "\n[enums.{}]\ndoc = \"Schema type `{e}`.\"\nvalues = [{}]\n",
                names.enum_name(e),
                vals.join(", ")
            );
            c.enums_added.push(names.enum_name(e).to_string());
        }
    }
    for k in &new_types {
        let (xf, _) = schema.fields(k);
        let name = names.type_name(k).to_string();
        let _ = write!(out, "\n[types.{name}]\ndoc = \"Schema type `{k}` (no sample in the 1.7 documentation).\"\nfields = [\n");
        for x in &xf {
            let mut x = x.clone();
            if !policy.require_references && is_reference(&x.ty) {
                x.optional = true;
            }
            let _ = writeln!(out, "  {},", field_toml(&x, &names));
        }
        out.push_str("]\n");
        c.types_added.push(name);
    }
    c.source = out;
    c
}

fn line_end(src: &str, at: usize) -> usize {
    src[at..].find('\n').map_or(src.len(), |i| at + i + 1)
}

fn line_start(src: &str, at: usize) -> usize {
    src[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The byte range of `, key = true` (or `key = true, `) inside an inline table.
fn find_flag(text: &str, key: &str) -> Option<(usize, usize)> {
    let k = text.find(&format!("{key} = true"))?;
    let end = k + key.len() + " = true".len();
    let before = text[..k].trim_end();
    if before.ends_with(',') {
        Some((before.len() - 1, end))
    } else {
        let after = &text[end..];
        let skip = after.len() - after.trim_start_matches([',', ' ']).len();
        Some((k, end + skip))
    }
}
