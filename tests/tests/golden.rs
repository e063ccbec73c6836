//! The golden file of generated code (codegen/tests/golden/library.rs) compiles warning-free
//! and behaves: its types round-trip through the format-neutral tree and its operations carry
//! the spec's facts.
#![deny(warnings)]

#[allow(clippy::all)]
pub mod library {
    include!("../../codegen/tests/golden/library.rs");
}

use emrest_runtime::{
    decode_json, decode_xml, encode_json, encode_xml, parse_xml, Casing, Repr, Scalar, SpecEnum,
};
use library::*;

fn sample_book() -> Book {
    Book {
        href: Some("http://127.0.0.1/api/books/1".into()),
        isbn: "978-0".into(),
        links: Some(emrest_runtime::Links(vec![emrest_runtime::Link::new(
            "Borrow",
            "http://127.0.0.1/api/books/1?action=borrow",
        )])),
        title: "Dune".into(),
        genre: Genre::Fiction,
        pages: Some(412),
        price: Some(9.5),
        tags: Some(vec!["sf".into(), "classic".into()]),
        added: None,
        ..Default::default()
    }
}

#[test]
fn types_round_trip_through_both_formats() {
    let book = sample_book();
    let xml = encode_xml(&book, "urn:example:library");
    let node = parse_xml(xml.as_bytes()).unwrap();
    assert_eq!(node.name, Book::ROOT);
    assert_eq!(node.attr("Isbn"), Some("978-0"));
    let order: Vec<&str> = node.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        order,
        ["Links", "Title", "Genre", "Pages", "Price", "Tags"],
        "schema order"
    );
    assert_eq!(decode_xml::<Book>(xml.as_bytes()).unwrap(), book);
    for casing in [Casing::Pascal, Casing::Camel] {
        let json = encode_json(&book, casing);
        assert_eq!(
            decode_json::<Book>(json.as_bytes()).unwrap(),
            book,
            "{json}"
        );
    }
    // A wrapped list of scalars is a bare JSON array; attributes come last, as EM writes.
    let json = encode_json(&book, Casing::Pascal);
    assert!(json.contains(r#""Tags":["sf","classic"]"#), "{json}");
    assert!(
        json.ends_with(r#""Href":"http://127.0.0.1/api/books/1","Isbn":"978-0"}"#),
        "{json}"
    );
}

#[test]
fn decoding_reports_where_a_required_field_is_missing() {
    let xml = encode_xml(&sample_book(), "urn:example:library");
    let no_title = xml.replace("<Title>Dune</Title>", "");
    let err = decode_xml::<Book>(no_title.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("missing element `Title`"), "{err}");
    let bad_pages = xml.replace("<Pages>412</Pages>", "<Pages>many</Pages>");
    let err = decode_xml::<Book>(bad_pages.as_bytes()).unwrap_err();
    assert!(err.to_string().starts_with("Book/Pages:"), "{err}");
}

#[test]
fn unknown_content_is_kept_in_place() {
    let xml = encode_xml(&sample_book(), "urn:example:library");
    let newer = xml
        .replace("<Genre>", "<Shelf n=\"3\">B</Shelf><Genre>")
        .replace("Isbn=\"978-0\"", "Isbn=\"978-0\" Edition=\"2\"");
    let book = decode_xml::<Book>(newer.as_bytes()).unwrap();
    assert_eq!(book.unknown().paths(), ["@Edition", "Shelf"]);
    let again = encode_xml(&book, "urn:example:library");
    assert_eq!(
        parse_xml(again.as_bytes()).unwrap(),
        parse_xml(newer.as_bytes()).unwrap()
    );
}

#[test]
fn enums_keep_order_and_unknown_values() {
    assert_eq!(Genre::parse_text("history").unwrap(), Genre::History);
    assert_eq!(Genre::Science.ordinal(), Some(2));
    let other = Genre::parse_text("Poetry").unwrap();
    assert_eq!(other, Genre::Other("Poetry".into()));
    assert_eq!(other.ordinal(), None);
    assert_eq!(other.to_string(), "Poetry");
}

#[test]
fn unwrapped_lists_read_xml_and_json_shapes() {
    let one = encode_xml(&sample_book(), "");
    let body = one.trim_start_matches(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    let xml = format!("<Books>{body}{body}</Books>");
    assert_eq!(decode_xml::<Books>(xml.as_bytes()).unwrap().book.len(), 2);
    let b = encode_json(&sample_book(), Casing::Pascal);
    let json = format!(r#"{{"Books":[{b},{b}]}}"#);
    assert_eq!(decode_json::<Books>(json.as_bytes()).unwrap().book.len(), 2);
}

#[test]
fn queryable_types_expose_typed_fields() {
    use emrest_runtime::Queryable;
    assert_eq!(Book::QUERY_TYPE, "Book");
    assert_eq!(Book::PLURAL, "Books");
    assert_eq!(Book::GENRE.name(), "Genre");
    assert_eq!(Book::PAGES.name(), "Pages");
}

#[test]
fn operations_have_the_spec_signatures() {
    // Each line fails to compile if the generated signature drifts from the spec.
    let _borrow = |b: &Book, s: &Session, spec: &BorrowSpec| {
        drop(b.borrow(s, spec));
    };
    let _give_back = |b: &Book, s: &Session| {
        drop(b.give_back(s));
    };
    let _wait = |j: &Job, s: &Session| {
        drop(j.wait(s));
    };
    let _books = |s: &Session| {
        drop(SessionOps::books(s));
    };
    assert_eq!(
        <Api as emrest_runtime::Api>::INFO.session_header,
        "X-Library-Token"
    );
    // The published operation table holds the spec's facts.
    let borrow = Book::OP_BORROW;
    assert_eq!(borrow.action, Some("borrow"));
    assert_eq!(borrow.request, Some("BorrowSpec"));
    assert!(borrow.task);
    assert_eq!(Book::OP_EDIT.status, [204]);
    assert!(OPERATIONS
        .iter()
        .any(|op| op.owner == "LoginSession" && op.method == "books"));
    assert_eq!(
        <Api as emrest_runtime::Api>::INFO.task.done_states,
        ["Done"]
    );
}

/// An element's own text is written in JSON under the spec's `json_text` (the library's is
/// `#text`, not EM's `Value`), and read back from it; a `Value` member is not the text.
#[test]
fn element_text_uses_the_specs_json_member() {
    let book = Book {
        note: Some(Note {
            lang: Some("en".into()),
            body: "Worn cover".into(),
            ..Default::default()
        }),
        ..sample_book()
    };
    let xml = encode_xml(&book, "urn:example:library");
    assert!(
        xml.contains(r#"<Note lang="en">Worn cover</Note>"#),
        "{xml}"
    );
    let json = encode_json(&book, Casing::Pascal);
    assert!(
        json.contains(r##""Note":{"#text":"Worn cover","lang":"en"}"##),
        "{json}"
    );
    assert_eq!(decode_json::<Book>(json.as_bytes()).unwrap(), book);
    let em_style = json.replace("#text", "Value");
    let err = decode_json::<Book>(em_style.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("Note"),
        "the text is missing: {err}"
    );
}
