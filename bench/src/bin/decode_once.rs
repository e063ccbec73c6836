//! Runs one side of one decode benchmark a fixed number of times, for instruction counts:
//! `decode_once SET DOC SIDE [N]` with SET `xml`, `json-pascal` or `json-camel`, DOC `refs10k`,
//! `jobs1k` or `query1k`, SIDE `typed`, `raw` (XML) or `value` (JSON). `bench/instructions.sh`
//! runs it under callgrind, collecting only inside [`measured`], so that the ratio of two
//! sides' instructions is a steady stand-in for their speed ratio on a shared machine.

use std::hint::black_box;
use std::process::ExitCode;

use emrest_bench::{raw_xml_visit, typed_json, typed_xml, value_json, Doc, Docs};

/// With the `mimalloc` feature, both sides allocate from mimalloc (compare with the system's).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The decode loop; callgrind's `--toggle-collect` names this function.
#[inline(never)]
fn measured(side: fn(&Doc) -> usize, doc: &Doc, n: u32) -> usize {
    let mut sum = 0;
    for _ in 0..n {
        sum += black_box(side(black_box(doc)));
    }
    sum
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (set, name, side, n) = match args.as_slice() {
        [s, d, k] => (s.as_str(), d.as_str(), k.as_str(), 1),
        [s, d, k, n] => match n.parse::<u32>() {
            Ok(n) if n > 0 => (s.as_str(), d.as_str(), k.as_str(), n),
            _ => {
                eprintln!("decode_once: N must be a positive count, not {n:?}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: decode_once xml|json-pascal|json-camel refs10k|jobs1k|query1k typed|raw|value [N]");
            return ExitCode::from(2);
        }
    };
    let docs = Docs::load();
    let list = match set {
        "xml" => &docs.xml,
        "json-pascal" => &docs.json_pascal,
        "json-camel" => &docs.json_camel,
        other => {
            eprintln!("decode_once: unknown set {other:?}");
            return ExitCode::from(2);
        }
    };
    let Some(doc) = list.iter().find(|d| d.name == name) else {
        eprintln!("decode_once: unknown document {name:?}");
        return ExitCode::from(2);
    };
    let f: fn(&Doc) -> usize = match (set, side) {
        ("xml", "typed") => typed_xml,
        ("xml", "raw") => raw_xml_visit_doc,
        (_, "typed") if set != "xml" => typed_json,
        (_, "value") if set != "xml" => value_json,
        _ => {
            eprintln!("decode_once: no side {side:?} for {set}");
            return ExitCode::from(2);
        }
    };
    println!("{}", measured(f, doc, n));
    ExitCode::SUCCESS
}

fn raw_xml_visit_doc(doc: &Doc) -> usize {
    raw_xml_visit(&doc.bytes)
}
