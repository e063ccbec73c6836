//! Property tests (proptest, 256 cases each): the XML and JSON decoders never panic on any
//! bytes nor on mutated real documents; XML write → parse round-trips arbitrary trees; links
//! round-trip and their lookup is consistent; a filter's structure cannot be changed by any
//! value, checked with a reference parser of the documented grammar (§7.2 of REFERENCE.md).

mod common;

use common::*;
use emrest_runtime::{
    decode_json, decode_xml, encode_xml, parse_json, parse_xml, write_json, write_xml, Casing,
    Field, Filter, Link, LinkLookupError, Links, Node, Repr,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 256;

/// The test API's link form.
const LINKS: &emrest_runtime::LinkDef = &<Em as emrest_runtime::Api>::INFO.links;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

const XML_DOCS: &[&[u8]] = &[
    include_bytes!("fixtures/entry_point.xml"),
    include_bytes!("fixtures/error_bom.xml"),
    include_bytes!("fixtures/get_jobs_id.1.xml"),
    include_bytes!("fixtures/jobs_id.1.xml"),
    include_bytes!("fixtures/logging_on.1.xml"),
    include_bytes!("fixtures/lookup_query.1.xml"),
    include_bytes!("fixtures/post_jobs_id_actionstart.1.xml"),
];

fn json_docs() -> Vec<Vec<u8>> {
    let mut docs = vec![
        include_bytes!("fixtures/task_running.json").to_vec(),
        br#"{"Refs":null,"Entities":{"Jobs":[{"Name":"a","ScheduleEnabled":true,"Links":[{"Rel":"Start","Href":"https://h/api/jobs/1?action=start"}]}]},"PagingInfo":{"PageNum":1,"PageSize":100,"PagesCount":1}}"#.to_vec(),
    ];
    // Every XML sample also as camelCase JSON.
    for x in XML_DOCS {
        let node = parse_xml(x).unwrap();
        docs.push(write_json(&node, Casing::Camel, "Value").into_bytes());
    }
    docs
}

/// One edit of a document: flip a byte, insert, delete or duplicate a range, or truncate.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let interesting = prop_oneof![
        any::<u8>(),
        Just(b'<'),
        Just(b'>'),
        Just(b'/'),
        Just(b'"'),
        Just(b'&'),
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b']'),
        Just(b':'),
        Just(b','),
        Just(0xC3),
        Just(0xFF),
    ];
    prop_oneof![
        (any::<usize>(), interesting.clone()).prop_map(|(p, b)| Edit::Set(p, b)),
        (any::<usize>(), proptest::collection::vec(interesting, 1..8))
            .prop_map(|(p, b)| Edit::Insert(p, b)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), 1usize..256).prop_map(|(p, n)| Edit::Duplicate(p, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn mutate(doc: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut d = doc.to_vec();
    for e in edits {
        let len = d.len().max(1);
        match e {
            Edit::Set(p, b) => {
                if !d.is_empty() {
                    let i = p % d.len();
                    d[i] = *b;
                }
            }
            Edit::Insert(p, b) => {
                let i = p % (d.len() + 1);
                d.splice(i..i, b.iter().copied());
            }
            Edit::Delete(p, n) => {
                let i = p % len;
                let j = (i + n).min(d.len());
                if i < j {
                    d.drain(i..j);
                }
            }
            Edit::Duplicate(p, n) => {
                let i = p % len;
                let j = (i + n).min(d.len());
                if i < j {
                    let piece: Vec<u8> = d[i..j].to_vec();
                    d.splice(j..j, piece);
                }
            }
            Edit::Truncate(p) => d.truncate(p % len),
        }
    }
    d
}

/// Everything a decoder offers, on `bytes`: must return, never panic.
fn decode_everything(bytes: &[u8]) {
    if let Ok(node) = parse_xml(bytes) {
        let _ = Links::from_node(&node, LINKS);
        if let Some(l) = node.child("Links") {
            let _ = Links::from_node(l, LINKS);
        }
        let _ = write_xml(&node, "urn:x");
        let _ = write_json(&node, Casing::Camel, "Value");
    }
    let _ = decode_xml::<Task>(bytes);
    let _ = decode_xml::<Job>(bytes);
    if let Ok(node) = parse_json(bytes, "Task") {
        let _ = write_xml(&node, "");
        let _ = write_json(&node, Casing::Pascal, "Value");
    }
    let _ = decode_json::<Task>(bytes);
    let _ = decode_json::<Job>(bytes);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        decode_everything(&bytes);
    }

    #[test]
    fn xml_decoder_never_panics_on_mutated_samples(
        which in 0..XML_DOCS.len(),
        edits in proptest::collection::vec(edit(), 1..8),
    ) {
        decode_everything(&mutate(XML_DOCS[which], &edits));
    }

    #[test]
    fn json_decoder_never_panics_on_mutated_documents(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(edit(), 1..8),
    ) {
        let docs = json_docs();
        decode_everything(&mutate(&docs[which.index(docs.len())], &edits));
    }
}

// ---------------------------------------------------------------------------------------------
// XML round trip of arbitrary trees

/// Characters with a bias towards markup and unicode.
fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        1 => prop::sample::select(vec!['<', '>', '&', '"', '\'', ';', ' ', '\t', '\n', '\r', 'é', '€', '日', '🦀', '\u{0}', '\u{1}', '\u{FFFE}', ']']),
        2 => prop::char::range('a', 'z'),
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(text_char(), 0..24).prop_map(|v| v.into_iter().collect())
}

fn name() -> impl Strategy<Value = String> {
    let first = prop::sample::select(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
            .chars()
            .collect::<Vec<_>>(),
    );
    let rest = prop::sample::select(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
            .chars()
            .collect::<Vec<_>>(),
    );
    (first, proptest::collection::vec(rest, 0..8))
        .prop_map(|(f, r)| std::iter::once(f).chain(r).collect::<String>())
        // `xmlns…` attributes are namespace declarations; names starting with `xml` are reserved.
        .prop_filter("reserved", |n| !n.to_ascii_lowercase().starts_with("xml"))
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = (
        name(),
        proptest::collection::vec((name(), text()), 0..4),
        proptest::option::of(text()),
    )
        .prop_map(|(n, attrs, text)| {
            let mut node = Node::new(n);
            for (k, v) in attrs {
                if !node.attrs.iter().any(|(a, _)| a == &k) {
                    node.attrs.push((k, v));
                }
            }
            node.text = text;
            node
        });
    leaf.prop_recursive(4, 48, 5, |inner| {
        (
            name(),
            proptest::collection::vec((name(), text()), 0..3),
            proptest::option::of(text()),
            proptest::collection::vec(inner, 0..5),
        )
            .prop_map(|(n, attrs, text, children)| {
                let mut node = Node::new(n);
                for (k, v) in attrs {
                    if !node.attrs.iter().any(|(a, _)| a == &k) {
                        node.attrs.push((k, v));
                    }
                }
                node.text = text;
                node.children = children;
                node
            })
    })
}

/// What XML 1.0 can carry: other control characters and U+FFFE/U+FFFF become U+FFFD.
fn xml_chars(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// The tree as it must come back: XML-able characters, whitespace-only text dropped.
fn expected(n: &Node) -> Node {
    let mut out = Node::new(n.name.clone());
    out.attrs = n
        .attrs
        .iter()
        .map(|(k, v)| (k.clone(), xml_chars(v)))
        .collect();
    out.text = n
        .text
        .as_deref()
        .map(xml_chars)
        .filter(|t| !t.trim().is_empty());
    out.children = n.children.iter().map(expected).collect();
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn xml_write_then_parse_round_trips(tree in node()) {
        let xml = write_xml(&tree, "urn:x");
        let back = parse_xml(xml.as_bytes());
        prop_assert!(back.is_ok(), "{xml}: {back:?}");
        prop_assert_eq!(back.unwrap(), expected(&tree), "{}", xml);
    }
}

// ---------------------------------------------------------------------------------------------
// Links

fn link_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        text_char().prop_filter("no control characters", |c| {
            !(c.is_control() || *c == '\u{FFFE}' || *c == '\u{FFFF}')
        }),
        0..16,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn link() -> impl Strategy<Value = Link> {
    let rel = prop::sample::select(vec![
        "Start",
        "start",
        "Down",
        "Edit",
        "Delete",
        "Alternate",
    ]);
    (
        rel,
        link_text().prop_filter("non-empty", |s| !s.is_empty()),
        proptest::option::of(prop::sample::select(vec!["Job", "job", "Task", ""])),
        proptest::option::of(link_text()),
    )
        .prop_map(|(rel, href, type_, name)| Link {
            rel: rel.to_string().into(),
            href: href.into(),
            type_: type_.map(|t| t.to_string().into()),
            name: name.map(Into::into),
            ..Default::default()
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn links_round_trip_through_xml(links in proptest::collection::vec(link(), 0..6)) {
        let links = Links(links);
        let job = Job { links: Some(links.clone()), ..Default::default() };
        let xml = encode_xml(&job, "urn:x");
        let back = decode_xml::<Job>(xml.as_bytes()).unwrap();
        prop_assert_eq!(back.links.unwrap_or_default(), links.clone(), "{}", xml);
        // The same through a tree, as generic code reads links.
        let tree = parse_xml(xml.as_bytes()).unwrap();
        let parsed = match tree.child("Links") {
            Some(l) => Links::from_node(l, LINKS).unwrap(),
            None => Links::default(),
        };
        prop_assert_eq!(parsed, links, "{}", xml);
    }

    #[test]
    fn link_lookup_is_consistent(
        links in proptest::collection::vec(link(), 0..8),
        rel in prop::sample::select(vec!["start", "START", "Down", "edit", "Nope"]),
        type_ in proptest::option::of(prop::sample::select(vec!["JOB", "Task", ""])),
    ) {
        let links = Links(links);
        let matches = |l: &Link| {
            l.rel.eq_ignore_ascii_case(rel)
                && type_.is_none_or(|t| l.type_.as_deref().is_some_and(|lt| lt.eq_ignore_ascii_case(t)))
        };
        let candidates: Vec<&Link> = links.iter().filter(|l| matches(l)).collect();
        match links.find(rel, type_, None) {
            Ok(l) => {
                prop_assert!(matches(l));
                prop_assert!(candidates.iter().all(|c| c.href == l.href));
            }
            Err(LinkLookupError::NotOffered) => prop_assert!(candidates.is_empty()),
            Err(LinkLookupError::Ambiguous(all)) => {
                prop_assert!(all.len() >= 2);
                prop_assert!(candidates.iter().any(|c| c.href != candidates[0].href));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Filters, checked with a reference parser of the documented grammar:
//   seq   := term ((';' | ',') term)*     one kind of separator per level
//   term  := '(' seq ')' | cmp
//   cmp   := field op '"' ( [^"] | '""' )* '"'
//   op    := '==' | '!=' | '<=' | '>=' | '<' | '>'
//   field := [A-Za-z0-9_]+

#[derive(Debug, Clone, PartialEq)]
enum Tree {
    Cmp(String, String, String),
    And(Vec<Tree>),
    Or(Vec<Tree>),
}

struct P<'a> {
    s: &'a [char],
    i: usize,
}

impl P<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }
    fn seq(&mut self) -> Result<Tree, String> {
        let mut items = vec![self.term()?];
        let mut sep = None;
        while let Some(c) = self.peek().filter(|c| *c == ';' || *c == ',') {
            if sep.is_some_and(|s| s != c) {
                return Err(format!("mixed separators at {}", self.i));
            }
            sep = Some(c);
            self.i += 1;
            items.push(self.term()?);
        }
        Ok(match sep {
            None => items.pop().unwrap(),
            Some(';') => Tree::And(items),
            Some(_) => Tree::Or(items),
        })
    }
    fn term(&mut self) -> Result<Tree, String> {
        if self.peek() == Some('(') {
            self.i += 1;
            let t = self.seq()?;
            if self.peek() != Some(')') {
                return Err(format!("expected `)` at {}", self.i));
            }
            self.i += 1;
            return Ok(t);
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.i += 1;
        }
        if self.i == start {
            return Err(format!("expected a field at {}", self.i));
        }
        let field: String = self.s[start..self.i].iter().collect();
        let op = ["==", "!=", "<=", ">=", "<", ">"]
            .into_iter()
            .find(|op| {
                let o: Vec<char> = op.chars().collect();
                self.s[self.i..].starts_with(&o)
            })
            .ok_or_else(|| format!("expected an operator at {}", self.i))?;
        self.i += op.len();
        if self.peek() != Some('"') {
            return Err(format!("expected `\"` at {}", self.i));
        }
        self.i += 1;
        let mut value = String::new();
        loop {
            match self.peek() {
                None => return Err("unterminated string".into()),
                Some('"') if self.s.get(self.i + 1) == Some(&'"') => {
                    value.push('"');
                    self.i += 2;
                }
                Some('"') => {
                    self.i += 1;
                    break;
                }
                Some(c) => {
                    value.push(c);
                    self.i += 1;
                }
            }
        }
        Ok(Tree::Cmp(field, op.to_string(), value))
    }
}

fn parse_filter(text: &str) -> Result<Tree, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut p = P { s: &chars, i: 0 };
    let t = p.seq()?;
    if p.i != chars.len() {
        return Err(format!("trailing input at {}", p.i));
    }
    Ok(t)
}

const FIELDS: [Field<Job, String>; 3] = [
    Field::new("Name"),
    Field::new("Description"),
    Field::new("JobType"),
];

fn value() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        2 => prop::sample::select(vec!['"', ';', ',', '(', ')', '=', '!', '<', '>', ' ', '&', '%', '+', '#', '\'', 'é', '日', '🦀']),
        1 => any::<char>(),
        1 => prop::char::range('a', 'z'),
    ];
    prop_oneof![
        proptest::collection::vec(c, 0..24).prop_map(|v| v.into_iter().collect()),
        Just(r#"x" ; Name=="y"#.to_string()),
        Just(r#"") , (Name==""#.to_string()),
        Just(r#""""#.to_string()),
    ]
}

/// A model of a filter: comparisons combined with and/or.
#[derive(Debug, Clone)]
enum Model {
    Cmp(usize, usize, String),
    And(Vec<Model>),
    Or(Vec<Model>),
}

fn model() -> impl Strategy<Value = Model> {
    let leaf = (0..3usize, 0..6usize, value()).prop_map(|(f, o, v)| Model::Cmp(f, o, v));
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Model::And),
            proptest::collection::vec(inner, 1..4).prop_map(Model::Or),
        ]
    })
}

const OPS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];

fn build(m: &Model) -> Filter {
    match m {
        Model::Cmp(f, o, v) => {
            let field = FIELDS[*f];
            let v = v.clone();
            match o {
                0 => field.eq(v),
                1 => field.ne(v),
                2 => field.lt(v),
                3 => field.le(v),
                4 => field.gt(v),
                _ => field.ge(v),
            }
        }
        Model::And(items) => items.iter().map(build).reduce(Filter::and).unwrap(),
        Model::Or(items) => items.iter().map(build).reduce(Filter::or).unwrap(),
    }
}

/// The tree the filter must parse to: nested and-in-and / or-in-or flattened, one-item
/// groups reduced to their item (as `Filter::and`/`or` combine).
fn expected_tree(m: &Model) -> Tree {
    match m {
        Model::Cmp(f, o, v) => Tree::Cmp(FIELDS[*f].name().into(), OPS[*o].into(), v.clone()),
        Model::And(items) | Model::Or(items) => {
            let and = matches!(m, Model::And(_));
            let mut out = Vec::new();
            for t in items.iter().map(expected_tree) {
                match t {
                    Tree::And(inner) if and => out.extend(inner),
                    Tree::Or(inner) if !and => out.extend(inner),
                    t => out.push(t),
                }
            }
            if out.len() == 1 {
                out.pop().unwrap()
            } else if and {
                Tree::And(out)
            } else {
                Tree::Or(out)
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn one_comparison_stays_one_comparison(f in 0..3usize, o in 0..6usize, v in value()) {
        let text = build(&Model::Cmp(f, o, v.clone())).to_query(&<Em as emrest_runtime::Api>::INFO.query.filter);
        let tree = parse_filter(&text);
        prop_assert_eq!(
            tree,
            Ok(Tree::Cmp(FIELDS[f].name().into(), OPS[o].into(), v)),
            "{}", text
        );
    }

    #[test]
    fn combined_filters_keep_their_structure(m in model()) {
        let text = build(&m).to_query(&<Em as emrest_runtime::Api>::INFO.query.filter);
        prop_assert_eq!(parse_filter(&text), Ok(expected_tree(&m)), "{}", text);
    }
}

/// The filter also survives the trip through the query URL unchanged.
#[test]
fn filters_survive_the_query_url() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = std::sync::Arc::new(std::sync::Mutex::new(EmState::default()));
    let (_server, session) = rt.block_on(async {
        let server = fake_em(state, |_, _| None).await;
        let session = logon(&server).await;
        (server, session)
    });
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&model(), |m| {
            let filter = build(&m);
            let text = filter.to_query(&<Em as emrest_runtime::Api>::INFO.query.filter);
            let url = session.query::<Job>().filter(filter).url().unwrap();
            let sent: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let got = sent.iter().find(|(k, _)| k == "filter").map(|(_, v)| v);
            prop_assert_eq!(got, Some(&text), "{}", url);
            prop_assert_eq!(sent.iter().filter(|(k, _)| k == "filter").count(), 1);
            prop_assert_eq!(
                sent.iter()
                    .find(|(k, _)| k == "type")
                    .map(|(_, v)| v.as_str()),
                Some(Job::ROOT)
            );
            Ok(())
        })
        .unwrap();
}
