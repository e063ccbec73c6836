//! Issue #6, items 1 and 2: typed decoding of realistic EM documents next to the practical
//! limit of the same bytes.
//!
//! - XML: `emrest::runtime::decode_xml::<T>` vs a quick-xml raw event loop visiting every
//!   element, attribute and text (`xml/<doc>/typed` vs `xml/<doc>/raw`); `xml/<doc>/stream`
//!   is the prototype of [`emrest_bench::stream`] (same structs, no `Node` tree), for evidence;
//! - JSON (v12 PascalCase and v13 camelCase): `decode_json::<T>` vs
//!   `serde_json::from_slice::<serde_json::Value>` (`json-pascal/<doc>/typed` vs `…/value`).
//!
//! Throughput is reported in bytes; `compare.sh` turns criterion's medians into MB/s.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use emrest::{EntityReferences, QueryResult};
use emrest_bench::{raw_xml_visit, stream_decoder, typed_json, typed_xml, value_json, Docs};
use emrest_runtime::decode_xml;

/// With the `mimalloc` feature, both sides of every benchmark allocate from mimalloc.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The XML group's name: results under mimalloc are kept apart from the system allocator's.
const XML_GROUP: &str = if cfg!(feature = "mimalloc") {
    "xml-mimalloc"
} else {
    "xml"
};

fn benches(c: &mut Criterion) {
    let docs = Docs::load();
    // Sanity: the typed decoders see every item (a benchmark of a failing decode is worthless).
    for d in &docs.xml {
        assert_eq!(typed_xml(d), d.items, "xml {}", d.name);
        if let Some(stream) = stream_decoder(d.name) {
            assert_eq!(stream(&d.bytes), d.items, "stream {}", d.name);
        }
        // The prototype yields exactly what the runtime's decoder yields.
        match d.name {
            "refs10k" => assert!(
                emrest_bench::stream::entity_refs(&d.bytes)
                    == decode_xml::<EntityReferences>(&d.bytes).unwrap().ref_
            ),
            "query1k" => assert!(
                Some(emrest_bench::stream::query_sessions(&d.bytes))
                    == decode_xml::<QueryResult>(&d.bytes)
                        .unwrap()
                        .entities
                        .and_then(|e| e.backup_job_sessions)
            ),
            _ => {}
        }
        eprintln!("xml/{}: {} bytes, {} items", d.name, d.bytes.len(), d.items);
    }
    for (set, docs) in [
        ("json-pascal", &docs.json_pascal),
        ("json-camel", &docs.json_camel),
    ] {
        for d in docs {
            assert_eq!(typed_json(d), d.items, "{set} {}", d.name);
            eprintln!(
                "{set}/{}: {} bytes, {} items",
                d.name,
                d.bytes.len(),
                d.items
            );
        }
    }

    let mut g = c.benchmark_group(XML_GROUP);
    for d in &docs.xml {
        g.throughput(Throughput::Bytes(d.bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new(d.name, "typed"), d, |b, d| {
            b.iter(|| black_box(typed_xml(black_box(d))))
        });
        if let Some(stream) = stream_decoder(d.name) {
            g.bench_with_input(BenchmarkId::new(d.name, "stream"), d, |b, d| {
                b.iter(|| black_box(stream(black_box(&d.bytes))))
            });
        }
        g.bench_with_input(BenchmarkId::new(d.name, "raw"), d, |b, d| {
            b.iter(|| black_box(raw_xml_visit(black_box(&d.bytes))))
        });
    }
    g.finish();
    if cfg!(feature = "mimalloc") {
        return; // the allocator rows are XML's; JSON's targets are read with the system's
    }

    for (set, docs) in [
        ("json-pascal", &docs.json_pascal),
        ("json-camel", &docs.json_camel),
    ] {
        let mut g = c.benchmark_group(set);
        for d in docs {
            g.throughput(Throughput::Bytes(d.bytes.len() as u64));
            g.bench_with_input(BenchmarkId::new(d.name, "typed"), d, |b, d| {
                b.iter(|| black_box(typed_json(black_box(d))))
            });
            g.bench_with_input(BenchmarkId::new(d.name, "value"), d, |b, d| {
                b.iter(|| black_box(value_json(black_box(d))))
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = decode;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(decode);
