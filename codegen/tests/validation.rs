//! Validation rules and the IR, on small specs built from a valid base.

use emrest_codegen::ir::{Returns, Shape, Ty, Verb};
use emrest_codegen::{load_str, Diagnostics, Ir};

const BASE: &str = include_str!("../../tests/ui/specs/valid.toml");
const LIBRARY: &str = include_str!("fixtures/library.toml");

fn errors(src: &str) -> Diagnostics {
    load_str(src, "t.toml").expect_err("spec should be rejected")
}

fn ok(src: &str) -> Ir {
    load_str(src, "t.toml").unwrap_or_else(|d| panic!("spec should be valid:\n{d}"))
}

fn with_links(links: &str) -> String {
    BASE.replace(
        "links = [{ rel = \"Start\", returns = \"Task\", task = true }]",
        &format!("links = [{links}]"),
    )
}

#[test]
fn base_and_library_are_valid() {
    ok(BASE);
    let ir = ok(LIBRARY);
    assert_eq!(ir.types.len(), 15);
    assert_eq!(ir.enums.len(), 2);
}

#[test]
fn every_error_has_a_location_and_the_line() {
    let d = errors(&BASE.replace("Start = { verb = \"POST\" }", "Start = { verb = \"GETS\" }"));
    let text = d.to_string();
    assert!(
        text.starts_with("t.toml:14:18: relation `Start` has verb `GETS`"),
        "{text}"
    );
    assert!(
        text.contains("   14 | Start = { verb = \"GETS\" }"),
        "{text}"
    );
}

#[test]
fn errors_accumulate_in_source_order() {
    let src = with_links(
        "{ rel = \"Nope\" }, { rel = \"Down\", returns = \"Missing\" }, { rel = \"Down\", body = \"Spec\", method = \"d2\" }",
    )
    .replace("type = \"string\" }]", "type = \"strng\" }]");
    let d = errors(&src);
    let msgs: Vec<&str> = d.items.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(d.items.len(), 4, "{msgs:#?}");
    assert!(msgs[0].contains("unknown relation `Nope`"));
    assert!(msgs[1].contains("`Missing` is not a type"));
    assert!(msgs[2].contains("GET request cannot carry a body"));
    assert!(msgs[3].contains("unknown field type `strng`"));
    let starts: Vec<usize> = d.items.iter().map(|i| i.span.start).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
}

#[test]
fn rule_duplicate_method() {
    let d = errors(&with_links("{ rel = \"Start\", returns = \"Task\", task = true }, { rel = \"Start\", returns = \"Task\", task = true }"));
    assert!(d.items[0].message.contains("two methods named `start`"));
}

#[test]
fn rule_body_on_delete_and_verb_override() {
    let d = errors(&with_links("{ rel = \"Remove\", body = \"Spec\" }"));
    assert!(d.items[0]
        .message
        .contains("DELETE request cannot carry a body"));
    // A verb override turns the same link into a valid POST.
    let ir = ok(&with_links(
        "{ rel = \"Remove\", verb = \"POST\", body = \"Spec\" }",
    ));
    let op = &ir.type_named("Home").unwrap().ops[0];
    assert_eq!(op.verb, Verb::Post);
    let d = errors(&with_links("{ rel = \"Remove\", verb = \"PATCH\" }"));
    assert!(d.items[0].message.contains("verb `PATCH`"));
}

#[test]
fn rule_task_links_return_the_task_type() {
    let d = errors(&with_links(
        "{ rel = \"Start\", returns = \"Spec\", task = true }",
    ));
    assert!(d.items[0]
        .message
        .contains("must return the task type `Task`"));
}

#[test]
fn rule_links_need_a_links_field() {
    let src = BASE.replace(
        "[types.Spec]\nfields",
        "[types.Spec]\nlinks = [{ rel = \"Down\" }]\nfields",
    );
    let d = errors(&src);
    assert!(
        d.items[0]
            .message
            .contains("neither a field of type `Links`"),
        "{}",
        d.items[0].message
    );
}

#[test]
fn rule_field_shapes() {
    let f =
        |fields: &str| BASE.replace("fields = [{ name = \"Name\", type = \"string\" }]", fields);
    let d = errors(&f(
        "fields = [{ name = \"A\", type = \"Home\", attr = true }]",
    ));
    assert!(d.items[0].message.contains("must have a scalar type"));
    let d = errors(&f(
        "fields = [{ name = \"A\", type = \"string\", attr = true, repeated = true }]",
    ));
    assert!(d.items[0].message.contains("exclude each other"));
    let d = errors(&f("fields = [{ name = \"A\", type = \"string\", attr = true }, { name = \"a\", type = \"int\", attr = true, rust = \"b\" }]"));
    assert!(d.items[0].message.contains("attribute `a` twice"));
    let d = errors(&f("fields = [{ name = \"A\", type = \"string\" }, { name = \"B\", type = \"string\", rust = \"a\" }]"));
    assert!(d.items[0].message.contains("Rust name `a`"));
    let d = errors(&f(
        "fields = [{ name = \"A\", type = \"string\", rust = \"type\" }]",
    ));
    assert!(d.items[0].message.contains("not a usable Rust field name"));
    let d = errors(&f(
        "fields = [{ name = \"A\", type = \"string\", json = \"As\" }]",
    ));
    assert!(d.items[0].message.contains("`json` names the JSON array"));
}

#[test]
fn rule_enums() {
    let src = BASE.replace(
        "[types.Home]",
        "[enums.Color]\nvalues = [\"Red\", \"red\"]\n\n[types.Home]",
    );
    let d = errors(&src);
    assert!(d.items[0].message.contains("repeats another value"));
    let src = BASE.replace(
        "[types.Home]",
        "[enums.Spec]\nvalues = [\"A\"]\n\n[types.Home]",
    );
    let d = errors(&src);
    assert!(d.items[0].message.contains("both an enum and a type"));
}

#[test]
fn rule_api_types_must_exist() {
    let d = errors(&BASE.replace("entry = \"Home\"", "entry = \"Start\""));
    assert!(d.items[0]
        .message
        .contains("api.entry `Start` is not a type"));
}

#[test]
fn unknown_keys_are_reported_where_they_are() {
    let d = errors(&BASE.replace("[types.Spec]", "[types.Spec]\nroots = \"X\""));
    let text = d.to_string();
    assert!(text.contains("unknown field `roots`"), "{text}");
    assert!(
        text.starts_with("t.toml:31:1: unknown field `roots`"),
        "{text}"
    );
}

#[test]
fn ir_resolves_names_shapes_and_defaults() {
    let ir = ok(LIBRARY);
    let book = ir.type_named("Book").unwrap();
    assert_eq!(book.root, "Book");
    let tags = book.fields.iter().find(|f| f.xml == "Tags").unwrap();
    assert_eq!(
        tags.shape,
        Shape::Wrapped {
            item: "Tag".into(),
            json: None
        }
    );
    assert_eq!(tags.ty, Ty::String);
    assert!(tags.optional);
    let isbn = book.fields.iter().find(|f| f.xml == "Isbn").unwrap();
    assert_eq!(isbn.shape, Shape::Attr);
    assert_eq!(book.links_field().unwrap().rust, "links");
    assert_eq!(book.href_field().unwrap().rust, "href");

    let borrow = book.ops.iter().find(|o| o.rel == "Borrow").unwrap();
    assert_eq!(borrow.method, "borrow");
    assert_eq!(borrow.verb, Verb::Post);
    assert_eq!(
        borrow.path, "/books/{ID}/action/borrow",
        "default path: type path + action"
    );
    assert_eq!(borrow.body.as_deref(), Some("BorrowSpec"));
    assert_eq!(borrow.returns, Returns::Type("Job".into()));
    assert_eq!(borrow.status, [202], "tasks default to 202");
    let up = book.ops.iter().find(|o| o.rel == "Up").unwrap();
    assert_eq!(up.status, [200], "GET defaults to 200");
    let edit = book.ops.iter().find(|o| o.rel == "Edit").unwrap();
    assert_eq!(edit.status, [204]);

    let q = book.query.as_ref().unwrap();
    assert_eq!((q.name.as_str(), q.plural.as_str()), ("Book", "Books"));
    assert_eq!(q.fields[1], ("Genre".to_string(), Ty::Enum("Genre".into())));

    let books = ir.type_named("Books").unwrap();
    assert_eq!(
        books.fields[0].shape,
        Shape::List {
            json: Some("Books".into())
        }
    );
    assert_eq!(ir.api.task.done, ["Done"]);
    assert_eq!(ir.api.query.page_size, 50);
}

#[test]
fn no_panic_on_any_prefix_or_mutation_of_a_spec() {
    // Bounded: every truncation point of the library spec, and a few byte substitutions.
    let src = LIBRARY;
    let mut cut = 0;
    while cut <= src.len() {
        if src.is_char_boundary(cut) {
            let _ = load_str(&src[..cut], "t.toml")
                .map(|_| ())
                .map_err(|d| d.to_string());
        }
        cut += 7;
    }
    for (i, repl) in [
        (100, "\""),
        (400, "]"),
        (800, "="),
        (1200, "\u{0}"),
        (1500, "[[x]]\n"),
    ] {
        let at = (i * src.len() / 1600).min(src.len());
        let at = (0..=at)
            .rev()
            .find(|&j| src.is_char_boundary(j))
            .unwrap_or(0);
        let mutated = format!("{}{}{}", &src[..at], repl, &src[at..]);
        let _ = load_str(&mutated, "t.toml").map_err(|d| d.to_string());
    }
}

#[test]
fn query_arguments_are_typed_and_checked() {
    let ir = ok(&with_links(
        r#"{ rel = "Start", returns = "Task", task = true, params = [{ name = "deleteJobs", type = "bool" }, { name = "type" }, { name = "pageSize", type = "int", doc = "Per page." }] }"#,
    ));
    let op = ir
        .types
        .iter()
        .flat_map(|t| &t.ops)
        .find(|o| o.method == "start")
        .unwrap();
    let got: Vec<(&str, &str)> = op
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.field.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("deleteJobs", "delete_jobs"),
            ("type", "type_"),
            ("pageSize", "page_size")
        ]
    );

    for (params, message) in [
        (
            r#"[{ name = "n", type = "float" }]"#,
            "query argument type `float` is none of",
        ),
        (
            r#"[{ name = "n" }, { name = "n" }]"#,
            "query argument `n` is given twice",
        ),
        (r#"[{ name = "a-b" }, { name = "a_b" }]"#, "given twice"),
        (r#"[{ name = "" }]"#, "cannot be a Rust field name"),
        (
            r#"[{ name = "n", default = "x" }]"#,
            "unknown field `default`",
        ),
    ] {
        let d = errors(&with_links(&format!(
            r#"{{ rel = "Start", returns = "Task", task = true, params = {params} }}"#
        )));
        let text = d.to_string();
        assert!(text.contains(message), "{params}: {text}");
        assert!(text.starts_with("t.toml:"), "located: {text}");
    }
    // `{method}_with` is a method name of its own.
    let d = errors(&with_links(
        r#"{ rel = "Start", returns = "Task", task = true, params = [{ name = "n" }] }, { rel = "Start", method = "start_with", returns = "Task", task = true }"#,
    ));
    assert!(
        d.to_string().contains("two methods named `start_with`"),
        "{d}"
    );
}

#[test]
fn a_type_named_like_a_published_item_is_refused() {
    for name in ["TaskRepr", "Session", "SessionOps"] {
        let src = format!("{BASE}\n[types.{name}]\nfields = []\n");
        let text = errors(&src).to_string();
        assert!(
            text.contains(&format!("type name `{name}` is reserved")),
            "{name}: {text}"
        );
    }
}

/// A spec that leaves out a convention is refused where it should be, never given EM's
/// value; one that states it otherwise gets what it states.
#[test]
fn conventions_are_required_or_defaulted_as_documented() {
    let links = "links = { wrapper = \"Links\", element = \"link\", rel = \"rel\", href = \"href\", name = \"title\", type = \"type\" }\n";
    assert!(LIBRARY.contains(links));
    let text = errors(&LIBRARY.replace(links, "")).to_string();
    assert!(text.contains("missing field `links`"), "{text}");
    assert!(text.starts_with("t.toml:"), "a location first: {text}");
    let text = errors(&LIBRARY.replace("actions = { path = \"action\" }\n", "")).to_string();
    assert!(text.contains("missing field `actions`"), "{text}");
    let both = LIBRARY.replace(
        "actions = { path = \"action\" }",
        "actions = { path = \"action\", query = \"do\" }",
    );
    assert!(errors(&both).to_string().contains("exactly one of"));
    // Links in a form the declaration does not have are a located error.
    let inline = LIBRARY.replace(links, &links.replace("wrapper = \"Links\", ", ""));
    let text = errors(&inline).to_string();
    assert!(
        text.contains("links field `Links` does not have the form api.links declares"),
        "{text}"
    );

    // The defaults: media types, logon statuses, no failure states, a vanished task lost.
    let ir = ok(BASE);
    assert_eq!(ir.api.media.xml, "application/xml");
    assert_eq!(ir.api.logon.statuses, [200, 201]);
    assert!(ir.api.task.failed.is_empty());
    assert_eq!(
        ir.api.task.vanished,
        emrest_codegen::spec::VanishedSpec::Lost
    );
    // The library's own: path actions, lower-case link attributes, `{version}` filled in.
    let lib = ok(&LIBRARY.replace(
        "actions = { path = \"action\" }",
        "actions = { path = \"action\" }\nmedia = { xml = \"application/*+xml;version={version}\" }",
    ));
    assert_eq!(
        lib.api.actions,
        emrest_codegen::ir::ActionsIr::Path("action".into())
    );
    assert_eq!(lib.api.links.rel, "rel");
    assert_eq!(lib.api.media.xml, "application/*+xml;version=2.0");
    assert_eq!(lib.api.media.json, "application/json");
    let book = lib.types.iter().find(|t| t.name == "Book").unwrap();
    let borrow = book.ops.iter().find(|o| o.rel == "Borrow").unwrap();
    assert_eq!(borrow.path, "/books/{ID}/action/borrow");
}

/// Large optional blocks are held boxed (`Option<Box<T>>`), so that a representation
/// without them does not carry their room: only optional single elements of a type whose
/// estimated size passes the bound, sized with their own boxed blocks as a pointer each.
#[test]
fn large_optional_blocks_are_boxed_and_nothing_else() {
    let strings = |n: usize| {
        (0..n)
            .map(|i| format!(r#"{{ name = "S{i}", type = "string", optional = true }}"#))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Twelve strings: about 300 bytes, over the bound. Two: far under it.
    let src = format!(
        r#"{BASE}
[types.Big]
fields = [{big}]

[types.Small]
fields = [{small}]

[types.Outer]
fields = [
  {{ name = "Big", type = "Big", optional = true }},
  {{ name = "Small", type = "Small", optional = true }},
  {{ name = "Always", type = "Big" }},
  {{ name = "Bigs", type = "Big", item = "Big", optional = true }},
  {{ name = "Inner", type = "Inner", optional = true }},
]

[types.Inner]
fields = [
  {{ name = "Big", type = "Big", optional = true }},
  {{ name = "More", type = "Big", optional = true }},
]
"#,
        big = strings(12),
        small = strings(2)
    );
    let ir = ok(&src);
    let boxed = |t: &str| -> Vec<String> {
        let t = ir.type_named(t).unwrap();
        t.fields
            .iter()
            .filter(|f| f.boxed)
            .map(|f| f.xml.clone())
            .collect()
    };
    assert_eq!(
        boxed("Outer"),
        ["Big"],
        "not the small one, the required one or the list"
    );
    // Inner holds two boxed Bigs: two pointers, so Inner itself stays inline in Outer.
    assert_eq!(boxed("Inner"), ["Big", "More"]);
    assert!(boxed("Big").is_empty() && boxed("Home").is_empty());
}
