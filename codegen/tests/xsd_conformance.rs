//! spec/em.toml against EM's own XML schema (tests/fixtures/em-xsd/RestAPI.xsd, B&R 9.5).
//!
//! Every spec type the schema declares (matched by root element, then through fields, then
//! by name; see `emrest_codegen::xsd::compare`) must carry the schema's elements and
//! attributes in schema order with its optionality, repetition and types, except for the
//! differences listed in spec/DEVIATIONS.md ("Machine-readable: fields that differ from
//! RestAPI.xsd"). Listed rows that no longer match a difference fail too.

use std::path::Path;

use emrest_codegen::spec::SpecFile;
use emrest_codegen::xsd::{compare, parse_schema};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen/ has a parent") // invariant: crate lives in the workspace
}

#[test]
fn em_spec_conforms_to_the_schema() {
    let xsd = std::fs::read_to_string(root().join("tests/fixtures/em-xsd/RestAPI.xsd")).unwrap();
    let schema =
        parse_schema(&xsd).unwrap_or_else(|n| panic!("RestAPI.xsd:{}: {}", n.line, n.message));
    let src = std::fs::read_to_string(root().join("spec/em.toml")).unwrap();
    let spec: SpecFile = toml::from_str(&src).unwrap();
    let md = std::fs::read_to_string(root().join("spec/DEVIATIONS.md")).unwrap();
    let devs = compare::parse_deviations(&md, "RestAPI.xsd").unwrap();
    let report = compare::compare(&schema, &spec);

    let unlisted: Vec<&compare::Diff> = report
        .diffs
        .iter()
        .filter(|d| !devs.iter().any(|v| v.covers(d)))
        .collect();
    let unused: Vec<&compare::Deviation> = devs
        .iter()
        .filter(|v| !report.diffs.iter().any(|d| v.covers(d)))
        .collect();
    let listed = report.diffs.len() - unlisted.len();
    println!(
        "types matched {}, fields matched {}, deviations {} ({} table rows)",
        report.matches.len(),
        report.fields_matched,
        listed,
        devs.len()
    );
    for v in devs.iter().filter(|v| v.ty == "*" || v.field == "*") {
        let n = report.diffs.iter().filter(|d| v.covers(d)).count();
        println!(
            "DEVIATIONS.md:{}: `{} | {} | {}` lists {n} differences",
            v.line, v.ty, v.field, v.aspect
        );
    }
    let how = |h| report.matches.iter().filter(|m| m.how == h).count();
    println!(
        "matched by root element {}, through a field {}, by name {}",
        how(compare::How::Root),
        how(compare::How::Field),
        how(compare::How::Name)
    );
    if std::env::var_os("XSD_MATCHES").is_some() {
        for m in &report.matches {
            println!("match {} = {} ({:?})", m.spec, m.schema, m.how);
        }
    }
    for (ty, a, b) in &report.conflicts {
        println!("note: spec type {ty} stands for schema types {a} and {b} of different shapes");
    }
    let mut msg = String::new();
    for d in &unlisted {
        msg.push_str(&format!("{}    (RestAPI.xsd:{})\n", d.row(), d.line));
    }
    for v in &unused {
        msg.push_str(&format!(
            "DEVIATIONS.md:{}: row lists no difference any more: {} | {} | {}\n",
            v.line, v.ty, v.field, v.aspect
        ));
    }
    assert!(
        msg.is_empty(),
        "{} unlisted differences, {} stale rows:\n{msg}",
        unlisted.len(),
        unused.len()
    );
}
