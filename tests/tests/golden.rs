//! The golden file of generated code (codegen/tests/golden/library.rs) compiles warning-free
//! and behaves: its types round-trip through the format-neutral tree and its operations carry
//! the spec's facts.
#![deny(warnings)]

#[allow(clippy::all)]
pub mod library {
    include!("../../codegen/tests/golden/library.rs");
}

use emrest_runtime::{Node, Repr, Scalar, SpecEnum, Value};
use library::*;

fn sample_book() -> Book {
    Book {
        href: Some("http://127.0.0.1/api/books/1".into()),
        isbn: "978-0".into(),
        links: Some(emrest_runtime::Links(vec![emrest_runtime::Link {
            rel: "Borrow".into(),
            href: "http://127.0.0.1/api/books/1?action=borrow".into(),
            type_: None,
            name: None,
        }])),
        title: "Dune".into(),
        genre: Genre::Fiction,
        pages: Some(412),
        price: Some(9.5),
        tags: Some(vec!["sf".into(), "classic".into()]),
        added: None,
    }
}

#[test]
fn types_round_trip_through_the_tree() {
    let book = sample_book();
    let node = book.to_node(Book::ROOT);
    assert_eq!(node.name, "Book");
    assert_eq!(node.attr("Isbn"), Some("978-0"));
    let order: Vec<&str> = node.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        order,
        ["Links", "Title", "Genre", "Pages", "Price", "Tags"],
        "schema order"
    );
    assert_eq!(Book::from_node(&node).unwrap(), book);
}

#[test]
fn decoding_reports_where_a_required_field_is_missing() {
    let mut node = sample_book().to_node("Book");
    node.children.retain(|c| c.name != "Title");
    let err = Book::from_node(&node).unwrap_err();
    assert!(err.to_string().contains("missing element `Title`"), "{err}");
    let mut node = sample_book().to_node("Book");
    for c in &mut node.children {
        if c.name == "Pages" {
            c.text = Some("many".into());
        }
    }
    let err = Book::from_node(&node).unwrap_err();
    assert!(err.to_string().starts_with("Pages:"), "{err}");
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
    // XML shape: <Books><Book/><Book/></Books>
    let b = sample_book().to_node("Book");
    let mut xml = Node::new("Books");
    xml.children = vec![b.clone(), b.clone()];
    assert_eq!(Books::from_node(&xml).unwrap().book.len(), 2);
    // JSON shape: {"Books": [ {...}, {...} ]}
    let mut arr = Node::new("Books");
    arr.array = true;
    arr.children = vec![b.clone(), b];
    let mut json = Node::new("Books");
    json.children = vec![arr];
    assert_eq!(Books::from_node(&json).unwrap().book.len(), 2);
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
    assert_eq!(
        <Api as emrest_runtime::Api>::INFO.task.done_states,
        ["Done"]
    );
}
