//! The importer on small schema snippets.

use super::fields::{FieldKind, FieldType};
use super::*;
use super::{compare, complete};

fn schema(body: &str) -> Schema {
    let src = format!(
        "<?xml version=\"1.0\"?>\n<xs:schema xmlns=\"urn:t\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"urn:t\">\n{body}\n</xs:schema>"
    );
    parse_schema(&src).unwrap_or_else(|n| panic!("line {}: {}", n.line, n.message))
}

const BASE: &str = r#"
  <xs:element name="Thing" type="ThingType" />
  <xs:simpleType name="string"><xs:restriction base="xs:string" /></xs:simpleType>
  <xs:simpleType name="Color"><xs:restriction base="string">
    <xs:enumeration value="Red" /><xs:enumeration value="Blue" />
  </xs:restriction></xs:simpleType>
  <xs:complexType name="LinkType">
    <xs:attribute name="Href" type="string" use="required" />
    <xs:attribute name="Rel" type="string" use="required" />
    <xs:attribute name="Name" type="string" />
  </xs:complexType>
  <xs:complexType name="LinkListType">
    <xs:choice minOccurs="0" maxOccurs="unbounded"><xs:element name="Link" type="LinkType" /></xs:choice>
  </xs:complexType>
  <xs:complexType name="ResourceType">
    <xs:sequence><xs:element name="Links" type="LinkListType" minOccurs="0" /></xs:sequence>
    <xs:attribute name="Href" type="string" use="required" />
  </xs:complexType>
  <xs:complexType name="ListType" />
  <xs:complexType name="PathListType">
    <xs:complexContent><xs:extension base="ListType">
      <xs:choice minOccurs="0" maxOccurs="unbounded"><xs:element name="Path" type="string" /></xs:choice>
    </xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="ThingType">
    <xs:complexContent><xs:extension base="ResourceType">
      <xs:sequence>
        <xs:element name="Size" type="xs:long" />
        <xs:element name="Color" type="Color" minOccurs="0" />
        <xs:element name="Tags" type="xs:string" minOccurs="0" maxOccurs="unbounded" />
        <xs:element name="Paths" type="PathListType" minOccurs="0" />
        <xs:choice>
          <xs:element name="A" type="xs:int" />
          <xs:element name="B"><xs:complexType /></xs:element>
        </xs:choice>
        <xs:element name="Day" minOccurs="0" maxOccurs="3">
          <xs:complexType><xs:simpleContent><xs:extension base="string">
            <xs:attribute name="Name" type="string" use="required" />
          </xs:extension></xs:simpleContent></xs:complexType>
        </xs:element>
        <xs:element name="When" type="xs:dateTime" />
      </xs:sequence>
      <xs:attribute name="Flag" type="xs:boolean" />
    </xs:extension></xs:complexContent>
  </xs:complexType>
"#;

#[test]
fn fields_base_first_with_occurrence_wrappers_and_links() {
    let s = schema(BASE);
    let (f, notes) = s.fields("ThingType");
    assert!(notes.is_empty(), "{notes:?}");
    let shape: Vec<(&str, FieldKind, bool, bool, Option<&str>)> = f
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.kind,
                f.optional,
                f.repeated,
                f.item.as_deref(),
            )
        })
        .collect();
    use FieldKind::*;
    assert_eq!(
        shape,
        vec![
            ("Href", Attr, false, false, None),
            ("Flag", Attr, true, false, None),
            ("Links", Element, true, false, None),
            ("Size", Element, false, false, None),
            ("Color", Element, true, false, None),
            ("Tags", Element, true, true, None),
            ("Paths", Element, true, false, Some("Path")),
            ("A", Element, true, false, None),
            ("B", Element, true, false, None),
            ("Day", Element, true, true, None),
            ("When", Element, false, false, None),
        ]
    );
    let ty = |n: &str| {
        f.iter()
            .find(|f| f.name == n)
            .map(|f| f.ty.clone())
            .unwrap()
    };
    assert_eq!(ty("Links"), FieldType::Links);
    assert_eq!(ty("Size"), FieldType::Scalar("long"));
    assert_eq!(ty("Color"), FieldType::Enum("Color".into()));
    assert_eq!(ty("Paths"), FieldType::Scalar("string"));
    assert_eq!(ty("B"), FieldType::Empty);
    assert_eq!(ty("Day"), FieldType::Complex("ThingType/Day".into()));
    assert_eq!(ty("When"), FieldType::Scalar("datetime"));
    let (day, _) = s.fields("ThingType/Day");
    assert_eq!(day[1].kind, FieldKind::Text);
    assert_eq!(day[1].ty, FieldType::Scalar("string"));
}

#[test]
fn import_prints_spec_toml_that_loads() {
    let s = schema(BASE);
    let out = import(&s, &["Thing".to_string()]);
    let t = &out.toml;
    assert!(t.contains("[enums.Color]\n"), "{t}");
    assert!(t.contains("values = [\"Red\", \"Blue\"]"), "{t}");
    assert!(t.contains("[types.Thing]\n"), "{t}");
    assert!(
        t.contains("{ name = \"Href\", type = \"string\", attr = true },"),
        "{t}"
    );
    assert!(
        t.contains("{ name = \"Paths\", type = \"string\", optional = true, item = \"Path\" },"),
        "{t}"
    );
    assert!(
        t.contains("{ name = \"Tags\", type = \"string\", repeated = true },"),
        "{t}"
    );
    assert!(
        t.contains(
            "{ name = \"B\", type = \"string\", optional = true, doc = \"An empty element.\" },"
        ),
        "{t}"
    );
    assert!(t.contains("[types.Day]\n"), "{t}");
    assert!(
        t.contains("{ name = \"Value\", type = \"string\", text = true },"),
        "{t}"
    );
    // The output is a valid spec once an [api] is put in front of it.
    let full = format!("{API}\n{t}");
    if let Err(d) = crate::load_str(&full, "imported.toml") {
        panic!("{d}\n{full}");
    }
}

const API: &str = r#"
[api]
title = "t"
session_header = "X"
entry = "Thing"
session = "Thing"
logon = { rel = "Create", type = "Thing" }
task = { type = "Thing", state = "S", done = ["D"], result = "R", success = "S", message = "M", operation = "O", related = "Related" }
query = { path = "q", result = "Thing", reference = "Thing", refs = "Refs", ref_item = "Ref", entities = "E", paging = "P", page_size = 1, params = { type = "type", format = "format", entities = "E", filter = "f", sort_asc = "a", sort_desc = "d", page_size = "ps", page = "p" }, paging_attrs = { num = "n", size = "s", count = "c" }, paging_rels = { first = "F", previous = "P", next = "N", last = "L" } }
error = { type = "Thing", message = "M", status = "S", detail = "D" }
links = { wrapper = "Links", element = "Link", rel = "Rel", href = "Href", name = "Name", type = "Type" }
actions = { query = "action" }
"#;

#[test]
fn complete_inserts_missing_fields_in_schema_order_and_sets_optional() {
    let s = schema(BASE);
    let spec_src = format!(
        "{API}\n[types.Thing]\nfields = [\n  {{ name = \"Href\", type = \"string\", attr = true, optional = true }},\n  {{ name = \"Size\", type = \"long\", optional = true, doc = \"kept\" }},\n  {{ name = \"When\", type = \"datetime\" }},\n  {{ name = \"Extra\", type = \"int\", optional = true }},\n]\n"
    );
    let spec: crate::spec::SpecFile = toml::from_str(&spec_src).unwrap();
    let report = compare::compare(&s, &spec);
    assert_eq!(report.matches.len(), 1, "{:?}", report.matches);
    assert_eq!(report.matches[0].how, compare::How::Root);
    let aspects: Vec<(&str, &str)> = report
        .diffs
        .iter()
        .map(|d| (d.field.as_str(), d.aspect.as_str()))
        .collect();
    assert!(aspects.contains(&("Color", "missing")), "{aspects:?}");
    assert!(aspects.contains(&("Size", "optional")), "{aspects:?}");
    assert!(aspects.contains(&("Extra", "extra")), "{aspects:?}");
    assert!(aspects.contains(&("Href", "optional")), "{aspects:?}");
    let done = complete::complete(&spec_src, &s, &spec, &report, &complete::Policy::default());
    let out = &done.source;
    // Size becomes required (a value type), Href stays optional (a string), doc kept.
    assert!(
        out.contains("{ name = \"Size\", type = \"long\", doc = \"kept\" }"),
        "{out}"
    );
    assert!(
        out.contains("{ name = \"Href\", type = \"string\", attr = true, optional = true }"),
        "{out}"
    );
    let pos = |n: &str| {
        out.find(&format!("name = \"{n}\""))
            .unwrap_or_else(|| panic!("{n} in {out}"))
    };
    assert!(pos("Links") < pos("Size") && pos("Size") < pos("Color") && pos("Color") < pos("Tags"));
    assert!(pos("Day") < pos("When") && pos("When") < pos("Extra"));
    assert!(
        done.types_added.contains(&"Day".to_string()),
        "{:?}",
        done.types_added
    );
    assert_eq!(done.enums_added, vec!["Color".to_string()]);
    if let Err(d) = crate::load_str(out, "completed.toml") {
        panic!("{d}\n{out}");
    }
    // Completing again changes nothing but what the author must decide (the extra field).
    let spec2: crate::spec::SpecFile = toml::from_str(out).unwrap();
    let report2 = compare::compare(&s, &spec2);
    let left: Vec<&str> = report2.diffs.iter().map(|d| d.aspect.as_str()).collect();
    assert!(
        left.iter().all(|a| *a == "extra" || *a == "optional"),
        "{left:?}"
    );
}

#[test]
fn link_and_empty_types_are_skipped_with_notes() {
    let s = schema(BASE);
    let out = import(&s, &[]);
    assert!(!out.toml.contains("[types.Link]"), "{}", out.toml);
    assert!(!out.toml.contains("[types.LinkList]"), "{}", out.toml);
    assert!(!out.toml.contains("[types.List]"), "{}", out.toml);
    assert!(out
        .notes
        .iter()
        .any(|n| n.message.contains("`ListType` has no elements")));
    assert!(out
        .notes
        .iter()
        .any(|n| n.message.contains("`LinkType` is a link type")));
    let out = import(&s, &["Nope".into()]);
    assert!(out
        .notes
        .iter()
        .any(|n| n.line == 0 && n.message.contains("`Nope`")));
}

#[test]
fn unknown_constructs_are_reported_with_their_line() {
    let s = schema(
        "<xs:complexType name=\"T\">\n  <xs:sequence>\n    <xs:any />\n    <xs:element ref=\"X\" />\n    <xs:group ref=\"G\" />\n    <xs:element name=\"E\" type=\"Undeclared\" />\n  </xs:sequence>\n  <xs:anyAttribute />\n</xs:complexType>\n<xs:import namespace=\"urn:x\" />",
    );
    let lines: Vec<(usize, &str)> = s
        .notes
        .iter()
        .map(|n| (n.line, n.message.as_str()))
        .collect();
    let has = |line: usize, word: &str| lines.iter().any(|(l, m)| *l == line && m.contains(word));
    assert!(has(5, "xs:any"), "{lines:?}");
    assert!(has(6, "ref="), "{lines:?}");
    assert!(has(7, "xs:group"), "{lines:?}");
    assert!(has(10, "xs:anyAttribute"), "{lines:?}");
    assert!(has(12, "xs:import"), "{lines:?}");
    let s2 = schema("<xs:complexType name=\"T\">\n<xs:sequence><xs:element name=\"Q\" type=\"xs:boolean\" default=\"false\" /></xs:sequence>\n</xs:complexType>");
    assert!(
        s2.notes
            .iter()
            .any(|n| n.line == 4 && n.message.contains("`default=\"false\"` on element `Q`")),
        "{:?}",
        s2.notes
    );
    let (f, notes) = s.fields("T");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].ty, FieldType::Unknown("Undeclared".into()));
    assert!(
        notes
            .iter()
            .any(|n| n.line == 8 && n.message.contains("Undeclared")),
        "{notes:?}"
    );
}

#[test]
fn broken_input_is_an_error_not_a_panic() {
    for src in [
        "",
        "<a>",
        "<xs:schema>",
        "<notschema/>",
        "<xs:schema><xs:element></xs:schema>",
        "\u{0}",
    ] {
        let _ = parse_schema(src);
    }
    assert!(parse_schema("<notschema/>").is_err());
    // Cycles and bad numbers are notes.
    let s = schema(
        "<xs:complexType name=\"A\"><xs:complexContent><xs:extension base=\"A\"/></xs:complexContent></xs:complexType>\n<xs:complexType name=\"B\"><xs:sequence><xs:element name=\"x\" type=\"xs:int\" minOccurs=\"many\"/></xs:sequence></xs:complexType>",
    );
    let (_, notes) = s.fields("A");
    assert!(
        notes
            .iter()
            .any(|n| n.message.contains("derives from itself")),
        "{notes:?}"
    );
    assert!(s
        .notes
        .iter()
        .any(|n| n.message.contains("minOccurs `many`")));
}
