//! Fuzz smoke test on stable Rust: the seed corpus plus bounded random mutations (a small
//! libFuzzer-like mutator with a fixed seed, so runs are reproducible) through the same entry
//! points as the cargo-fuzz targets. A panic fails the test and saves the input under
//! `artifacts/smoke-<target>-<n>`.
//!
//! `EMREST_FUZZ_ITERS` sets the mutations per target (default 20 000 for the decoders and
//! 3 000 for the spec loader, whose seeds are large); `EMREST_FUZZ_SEED` the PRNG seed.

use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn files(dir: &str, exts: &[&str]) -> Vec<Vec<u8>> {
    let dir = Path::new(ROOT).join(dir);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
        })
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect();
    out.sort();
    out.into_iter().map(|(_, b)| b).collect()
}

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Mutates `data` with 1–3 byte-level edits; `dict` holds format tokens, `others` inputs to splice from.
fn mutate(rng: &mut Rng, data: &[u8], dict: &[&[u8]], others: &[Vec<u8>]) -> Vec<u8> {
    let mut d = data.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = d.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                d[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                d[i] = [0u8, 0xff, 0x7f, 0x80, b'<', b'"', b'&', b'{', 0xc3][rng.below(9)];
            }
            2 => {
                let i = rng.below(len + 1);
                let tok = dict[rng.below(dict.len())];
                d.splice(i..i, tok.iter().copied());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below(64.min(len - i));
                d.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below(256.min(len - i));
                let piece = d[i..i + n].to_vec();
                let at = rng.below(d.len() + 1);
                d.splice(at..at, piece);
            }
            5 if !others.is_empty() => {
                let o = &others[rng.below(others.len())];
                if !o.is_empty() {
                    let i = rng.below(o.len());
                    let n = 1 + rng.below(512.min(o.len() - i));
                    let at = rng.below(d.len() + 1);
                    d.splice(at..at, o[i..i + n].iter().copied());
                }
            }
            6 => d.truncate(rng.below(len + 1)),
            7 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                d.splice(i..i, bytes);
            }
            _ if len > 1 => {
                // Swap two bytes.
                let (a, b) = (rng.below(len), rng.below(len));
                d.swap(a, b);
            }
            _ => {}
        }
    }
    d
}

/// Line- and value-level mutations of TOML text that keep it mostly parseable, so the
/// checker (not only the TOML parser) sees the mutants: delete, duplicate or swap lines, and
/// replace a quoted value by another one taken from the file (unknown types, wrong verbs,
/// duplicate names, links to missing types…).
fn mutate_toml(rng: &mut Rng, data: &[u8], values: &[String]) -> Vec<u8> {
    let text = String::from_utf8_lossy(data);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return data.to_vec();
    }
    for _ in 0..1 + rng.below(3) {
        let n = lines.len();
        let i = rng.below(n);
        match rng.below(6) {
            0 if n > 1 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(rng.below(n + 1), l);
            }
            2 if n > 1 => {
                let j = rng.below(n);
                lines.swap(i, j);
            }
            _ => {
                // Replace the k-th quoted string of the line.
                let line = &lines[i];
                let quotes: Vec<usize> = line.match_indices('"').map(|(p, _)| p).collect();
                if quotes.len() >= 2 && !values.is_empty() {
                    let k = rng.below(quotes.len() / 2) * 2;
                    let (a, b) = (quotes[k], quotes[k + 1]);
                    let v = &values[rng.below(values.len())];
                    lines[i] = format!("{}\"{v}\"{}", &line[..a], &line[b + 1..]);
                }
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out.into_bytes()
}

fn quoted_values(seeds: &[Vec<u8>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in seeds {
        let t = String::from_utf8_lossy(s);
        for (i, part) in t.split('"').enumerate() {
            if i % 2 == 1
                && part.len() < 40
                && !part.contains('\n')
                && !out.iter().any(|o| o == part)
            {
                out.push(part.to_string());
            }
        }
    }
    out.extend(["", "é", "GET ", "Nope", "a b", "{ID}", "{", "🦀"].map(String::from));
    out
}

fn iters(default: usize) -> usize {
    std::env::var("EMREST_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(|n: usize| if default < 10_000 { n.div_ceil(7) } else { n })
        .unwrap_or(default)
}

fn seed() -> u64 {
    std::env::var("EMREST_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_0F_E3_2E57)
}

/// Runs the seeds and `n` mutants through `target`; returns the executions done.
fn run(
    name: &str,
    target: fn(&[u8]) -> bool,
    seeds: &[Vec<u8>],
    mut mutator: impl FnMut(&mut Rng, &[u8]) -> Vec<u8>,
    n: usize,
) -> usize {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut rng = Rng(seed() ^ name.len() as u64);
    let mut accepted = 0;
    let mut check = |input: &[u8], i: usize| match std::panic::catch_unwind(|| target(input)) {
        Ok(ok) => accepted += usize::from(ok),
        Err(_) => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("smoke-{name}-{i}"));
            let _ = std::fs::write(&path, input);
            panic!("{name}: panic on input #{i}, saved to {}", path.display());
        }
    };
    let mut execs = 0;
    for (i, s) in seeds.iter().enumerate() {
        check(s, i);
        execs += 1;
    }
    // Mutants of mutants too: keep a small pool of recent inputs.
    let mut pool: Vec<Vec<u8>> = seeds.to_vec();
    for i in 0..n {
        let base = &pool[rng.below(pool.len())];
        let input = mutator(&mut rng, base);
        check(&input, seeds.len() + i);
        execs += 1;
        if input.len() < 256 * 1024 {
            if pool.len() < 64 + seeds.len() {
                pool.push(input);
            } else {
                let j = seeds.len() + rng.below(64);
                pool[j] = input;
            }
        }
    }
    eprintln!(
        "fuzz smoke {name}: {execs} executions ({} seeds), {accepted} accepted by the decoder",
        seeds.len()
    );
    execs
}

const XML_DICT: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"/>",
    b"<a>",
    b"</a>",
    b"<Link Rel=\"Start\" Href=\"x\"/>",
    b"<Links>",
    b"&amp;",
    b"&#x10FFFF;",
    b"&#0;",
    b"&bogus;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?xml version=\"1.0\"?>",
    b"<!DOCTYPE a [<!ENTITY e \"x\">]>",
    b"xmlns=\"urn:x\"",
    b"xmlns:p=\"urn:p\"",
    b"p:",
    b"=\"\"",
    b"\xEF\xBB\xBF",
    b"\xC3",
    b"\xF0\x9F\xA6\x80",
];

const JSON_DICT: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"null",
    b"true",
    b"1e999",
    b"-0",
    b"18446744073709551616",
    b"\"\\u0000\"",
    b"\"\\ud800\"",
    b"{\"Links\":[{\"Rel\":\"Up\",\"Href\":\"x\"}]}",
    b"\"TaskId\":\"t\"",
    b"\xEF\xBB\xBF",
    b"\xF0\x9F\xA6\x80",
];

const SPEC_DICT: &[&[u8]] = &[
    b"[",
    b"]",
    b"[[",
    b"]]",
    b"=",
    b"\"",
    b"'''",
    b"{",
    b"}",
    b",",
    b"\n",
    b"[types.X]\n",
    b"[relations]\n",
    b"rel = \"Start\"",
    b"verb = \"GET\"",
    b"type = \"string\"",
    b"optional = true",
    b"links = [",
    b"fields = [",
    b"url = \"/x/{ID}\"",
    b"{ name = \"A\", type = \"B\" }",
    b"\xC3\xA9",
    b"\xF0\x9F\xA6\x80",
    b"#",
];

#[test]
fn xml_decoder() {
    let mut seeds = files("runtime/tests/fixtures", &["xml"]);
    // The documented EM samples the repository carries, and every input the fuzzers found a
    // fault with (each is a regression test of the production decoders).
    seeds.extend(files("tests/fixtures/em-docs/samples", &["xml"]));
    seeds.extend(files("fuzz/regressions", &["xml"]));
    seeds.push(Vec::new());
    let others = seeds.clone();
    let execs = run(
        "xml",
        emrest_fuzz::xml,
        &seeds,
        |rng, d| mutate(rng, d, XML_DICT, &others),
        iters(20_000),
    );
    assert!(execs >= seeds.len());
}

#[test]
fn json_decoder() {
    let mut seeds = files("runtime/tests/fixtures", &["json"]);
    // Every JSON input the fuzzers found a fault with.
    seeds.extend(files("fuzz/regressions", &["json"]));
    // JSON renderings of the XML fixtures, PascalCase and camelCase.
    // JSON renderings of the XML fixtures through the typed codec, PascalCase and camelCase.
    for x in files("runtime/tests/fixtures", &["xml"])
        .into_iter()
        .chain(files("tests/fixtures/em-docs/samples", &["xml"]))
    {
        for casing in [emrest_runtime::Casing::Pascal, emrest_runtime::Casing::Camel] {
            if let Ok(v) = emrest_runtime::decode_xml::<emrest::Job>(&x) {
                seeds.push(emrest_runtime::encode_json(&v, casing).into_bytes());
            }
            if let Ok(v) = emrest_runtime::decode_xml::<emrest::Task>(&x) {
                seeds.push(emrest_runtime::encode_json(&v, casing).into_bytes());
            }
            if let Ok(v) = emrest_runtime::decode_xml::<emrest::QueryResult>(&x) {
                seeds.push(emrest_runtime::encode_json(&v, casing).into_bytes());
            }
        }
    }
    seeds.push(Vec::new());
    let others = seeds.clone();
    let execs = run(
        "json",
        emrest_fuzz::json,
        &seeds,
        |rng, d| mutate(rng, d, JSON_DICT, &others),
        iters(20_000),
    );
    assert!(execs >= seeds.len());
}

#[test]
fn spec_loader() {
    let mut seeds = files("spec", &["toml"]);
    seeds.extend(files("codegen/tests/fixtures", &["toml"]));
    seeds.push(b"[api]\nnamespace = \"urn:x\"\n".to_vec());
    assert!(
        seeds.iter().any(|s| emrest_fuzz::spec(s)),
        "no seed spec loads"
    );
    let values = quoted_values(&seeds);
    let others = seeds.clone();
    let execs = run(
        "spec",
        emrest_fuzz::spec,
        &seeds,
        |rng, d| {
            // Mostly structured (reaches the checker), sometimes raw bytes (the TOML parser
            // and diagnostics on odd text).
            if rng.below(4) == 0 {
                mutate(rng, d, SPEC_DICT, &others)
            } else {
                mutate_toml(rng, d, &values)
            }
        },
        iters(3_000),
    );
    assert!(execs >= seeds.len());
}
