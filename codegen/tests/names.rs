//! Spec names that cannot become Rust names: put into every place of a valid spec that turns
//! a name into Rust code, each one is either rejected with a `PATH:LINE:COL` diagnostic or
//! generates code that parses. `load` and `generate` never panic.

use proptest::prelude::*;

const LIBRARY: &str = include_str!("fixtures/library.toml");

/// Where a name goes into the library spec.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    /// A new field of `BorrowSpec` (Rust name from the XML name).
    Field,
    /// A new field of `BorrowSpec` with an explicit `rust = NAME`.
    RustName,
    /// A new query field of `Book` (a `SCREAMING` constant).
    QueryField,
    /// A new relation, followed by a new `Book` link without `method` (method from the rel).
    Relation,
    /// A new `Book` link with `method = NAME`.
    Method,
    /// A new type `[types.NAME]`.
    Type,
    /// A new enum `[enums.NAME]`.
    Enum,
    /// A new value of enum `Genre`.
    EnumValue,
}

const PLACES: [Place; 8] = [
    Place::Field,
    Place::RustName,
    Place::QueryField,
    Place::Relation,
    Place::Method,
    Place::Type,
    Place::Enum,
    Place::EnumValue,
];

/// `s` as a TOML basic string (quotes included).
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Inserts `new` after the first occurrence of `anchor`.
fn after(src: &str, anchor: &str, new: &str) -> String {
    let at = src.find(anchor).expect("anchor in library.toml") + anchor.len();
    format!("{}{new}{}", &src[..at], &src[at..])
}

/// The library spec with `name` put at `place`, and the text of the line that carries it.
fn spec_with(place: Place, name: &str) -> (String, String) {
    let q = toml_str(name);
    let (src, line) = match place {
        Place::Field | Place::RustName => {
            let line = match place {
                Place::Field => format!("  {{ name = {q}, type = \"string\", optional = true }},"),
                _ => format!(
                    "  {{ name = \"Extra\", type = \"string\", optional = true, rust = {q} }},"
                ),
            };
            let src = after(
                LIBRARY,
                "  { name = \"Member\", type = \"string\" },\n",
                &format!("{line}\n"),
            );
            (src, line)
        }
        Place::QueryField => {
            let line = format!("  {{ name = {q}, type = \"string\" }},");
            let src = after(
                LIBRARY,
                "  { name = \"Title\", type = \"string\" },\n  { name = \"Genre\", type = \"Genre\" },\n",
                &format!("{line}\n"),
            );
            (src, line)
        }
        Place::Relation => {
            let rel = format!("{q} = {{ verb = \"POST\" }}");
            let src = after(LIBRARY, "[relations]\n", &format!("{rel}\n"));
            let line =
                format!("  {{ rel = {q}, action = \"x\", returns = \"Job\", task = true }},");
            let src = after(
                &src,
                "  { rel = \"Remove\", returns = \"Job\", task = true, path = \"/books/{ID}\" },\n",
                &format!("{line}\n"),
            );
            (src, line)
        }
        Place::Method => {
            let line = format!(
                "  {{ rel = \"Return\", action = \"x\", method = {q}, returns = \"Job\", task = true }},"
            );
            let src = after(
                LIBRARY,
                "  { rel = \"Remove\", returns = \"Job\", task = true, path = \"/books/{ID}\" },\n",
                &format!("{line}\n"),
            );
            (src, line)
        }
        Place::Type => {
            let line = format!("[types.{q}]");
            (format!("{LIBRARY}\n{line}\nfields = []\n"), line)
        }
        Place::Enum => {
            let line = format!("[enums.{q}]");
            (format!("{LIBRARY}\n{line}\nvalues = [\"A\"]\n"), line)
        }
        Place::EnumValue => {
            let line = format!("values = [\"Fiction\", \"History\", \"Science\", {q}]");
            let src =
                LIBRARY.replacen("values = [\"Fiction\", \"History\", \"Science\"]", &line, 1);
            (src, line)
        }
    };
    (src, line)
}

/// What loading and generating a spec gave.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Generated code that parses as a Rust file.
    Generated,
    /// Rejected; the lines (1-based) the diagnostics point at.
    Rejected(Vec<usize>),
}

/// Loads and generates `src`; fails the test on a panic, on a diagnostic without a
/// `p.toml:LINE:COL` location, or on generated code that does not parse.
fn load_and_generate(src: &str) -> Outcome {
    match emrest_codegen::load_str(src, "p.toml") {
        Ok(ir) => {
            let code = emrest_codegen::generate_file(&ir, &Default::default());
            if let Err(e) = syn::parse_file(&code) {
                panic!("generated code does not parse: {e}\n{src}");
            }
            Outcome::Generated
        }
        Err(d) => {
            assert!(!d.items.is_empty());
            let mut lines = Vec::new();
            for item in &d.items {
                let text = d.render_one(item);
                let loc: Vec<&str> = text.splitn(4, ':').collect();
                assert_eq!(loc[0], "p.toml", "{text}");
                let line: usize = loc[1].parse().unwrap_or_else(|_| panic!("line: {text}"));
                let col: usize = loc[2].parse().unwrap_or_else(|_| panic!("column: {text}"));
                assert!(line >= 1 && col >= 1, "{text}");
                lines.push(line);
            }
            Outcome::Rejected(lines)
        }
    }
}

/// The 1-based line of `src` equal to `line`.
fn line_of(src: &str, line: &str) -> usize {
    src.lines()
        .position(|l| l == line)
        .map(|i| i + 1)
        .expect("the injected line is in the spec")
}

/// Rejected, with a diagnostic on the line that carries the name.
fn assert_rejected_at_its_line(place: Place, name: &str) {
    let (src, line) = spec_with(place, name);
    let want = line_of(&src, &line);
    match load_and_generate(&src) {
        Outcome::Rejected(lines) => assert!(
            lines.contains(&want),
            "{place:?} {name:?}: diagnostics at lines {lines:?}, the name is on line {want}"
        ),
        Outcome::Generated => panic!("{place:?} {name:?} was accepted"),
    }
}

#[test]
fn the_base_spec_generates() {
    assert_eq!(load_and_generate(LIBRARY), Outcome::Generated);
    for place in PLACES {
        let (src, _) = spec_with(place, "Plain");
        assert_eq!(load_and_generate(&src), Outcome::Generated, "{place:?}");
    }
}

#[test]
fn names_without_an_ascii_letter_or_digit_are_rejected_where_they_name_rust_items() {
    for name in ["", "_", "__", "-", "ä", "→", " ", "$", "a b"] {
        for place in [
            Place::Field,
            Place::RustName,
            Place::QueryField,
            Place::Relation,
            Place::Method,
            Place::Type,
            Place::Enum,
        ] {
            if name == "a b" && place == Place::Relation {
                // `a b` has letters; as a relation it makes the method `a_b`.
                continue;
            }
            if name == "__" && matches!(place, Place::RustName | Place::Method) {
                // `__` is a Rust identifier when written out as one.
                continue;
            }
            assert_rejected_at_its_line(place, name);
        }
    }
}

#[test]
fn keywords_digits_and_reserved_names() {
    for name in ["type", "self", "Self", "crate", "fn", "r#type", "1st", "9"] {
        assert_rejected_at_its_line(Place::RustName, name);
        assert_rejected_at_its_line(Place::Method, name);
    }
    // XML element names cannot start with a digit, nor be empty.
    for name in ["1st", "9", "", "-x", ".x"] {
        assert_rejected_at_its_line(Place::Field, name);
    }
    for name in ["1st", "9"] {
        assert_rejected_at_its_line(Place::QueryField, name);
        assert_rejected_at_its_line(Place::Type, name);
        assert_rejected_at_its_line(Place::Enum, name);
    }
    // Names the generated code itself uses unqualified.
    for name in [
        "Option",
        "Some",
        "Vec",
        "String",
        "Client",
        "Session",
        "SessionOps",
        "Api",
    ] {
        assert_rejected_at_its_line(Place::Type, name);
        assert_rejected_at_its_line(Place::Enum, name);
    }
    // Keywords as XML names are fine: the Rust name gets a trailing underscore.
    for name in ["type", "Self", "crate"] {
        let (src, _) = spec_with(Place::Field, name);
        assert_eq!(load_and_generate(&src), Outcome::Generated, "{name}");
    }
}

#[test]
fn names_that_collide_after_case_conversion_are_rejected() {
    // `BorrowSpec` already has `Member` (Rust `member`) and `Days`.
    for name in ["member", "MEMBER", "Member_"] {
        assert_rejected_at_its_line(Place::Field, name);
    }
    // `Book` already has the query field `Title` (`TITLE`) and `Genre`.
    for name in ["title", "TITLE", "Title_", "genre"] {
        assert_rejected_at_its_line(Place::QueryField, name);
    }
    // `Book` already has the methods `borrow` and `give_back`.
    assert_rejected_at_its_line(Place::Method, "borrow");
    assert_rejected_at_its_line(Place::Method, "give_back");
    // `Genre` already has `Fiction`.
    for name in ["fiction", "FICTION", "Fiction!"] {
        assert_rejected_at_its_line(Place::EnumValue, name);
    }
}

/// Names likely to break a generator: keywords, digits first, punctuation, non-ASCII, case
/// twins of existing names, reserved names, and anything printable.
fn odd_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[_\\-. $#@!?/\\\\'\"]{1,4}",
        "[0-9][A-Za-z0-9_]{0,6}",
        "[a-z]{1,6}",
        "[A-Za-z][A-Za-z0-9_\\-.]{0,10}",
        "\\PC{0,8}",
        prop::sample::select(vec![
            "type",
            "Type",
            "self",
            "Self",
            "super",
            "crate",
            "r#type",
            "async",
            "await",
            "dyn",
            "gen",
            "try",
            "union",
            "macro_rules",
            "Option",
            "Some",
            "None",
            "Ok",
            "Err",
            "Result",
            "Vec",
            "Box",
            "String",
            "Default",
            "Session",
            "Client",
            "Api",
            "SessionOps",
            "Other",
            "Other_",
            "member",
            "MEMBER",
            "title",
            "TITLE",
            "fiction",
            "wait",
            "links",
            "href",
            "VALUES",
            "values",
            "__rt",
            "_",
            "__",
            "é",
            "日本",
        ])
        .prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn odd_names_are_rejected_or_generate_code_that_parses(
        place in prop::sample::select(PLACES.to_vec()),
        name in odd_name(),
    ) {
        let (src, _) = spec_with(place, &name);
        load_and_generate(&src);
    }
}
