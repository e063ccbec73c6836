//! Issue #6, item 3: the cost of a typed call next to a hand-written request, on loopback
//! against em-sim (its own thread and runtime; XML).
//!
//! - `alternate/typed`: `job_ref.alternate(&em)` (link lookup, request, typed `Job`);
//!   `alternate/raw`: reqwest GET of the same `Alternate` href with the session header, then
//!   the quick-xml raw event loop over the body (the limit);
//! - `query_page100/typed`: `em.query::<BackupJobSession>().entities().page_size(100)
//!   .first_page()`; `query_page100/raw`: reqwest GET of the same URL plus the raw loop;
//! - `…/raw_typed`: the hand-written GET plus the runtime's typed decoder (`decode_xml`), which
//!   separates the call machinery from the decoding.
//!
//! Not criterion: the variants are measured *interleaved* (round after round, a short batch of
//! each), because a ratio of latencies measured seconds apart on a shared machine drifts by
//! more than the 10 % it is meant to resolve. Prints one JSON line per variant (median over
//! rounds of the mean latency of a batch) after a human-readable table.

use std::hint::black_box;
use std::time::Instant;

use emrest::{BackupJobSession, Client, Job, QueryResult, SessionOps};
use emrest_bench::{raw_xml_visit, RawEm, SimThread};
use emrest_runtime::decode_xml;
use emrest_sim::{Casing, Size};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `--quick` (from compare.sh --quick) shortens the run.
    let quick = std::env::args().any(|a| a == "--quick");
    let sim = SimThread::start(Size::Default, Casing::Pascal);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder(sim.url()).build().unwrap();
    let em = rt.block_on(client.logon("admin", "admin")).unwrap();
    let raw = rt.block_on(RawEm::logon(sim.url()));

    let job_ref = rt.block_on(em.jobs()).unwrap().ref_.remove(0);
    let alt_href = job_ref
        .links
        .as_ref()
        .and_then(|l| l.find("Alternate", None, None).ok())
        .expect("Alternate link")
        .href
        .clone();
    let query = em.query::<BackupJobSession>().entities().page_size(100);
    let query_url = query.url().unwrap().to_string();
    // Both sides fetch the same thing.
    let job = rt.block_on(job_ref.alternate(&em)).unwrap();
    let body = rt.block_on(raw.get_url(&alt_href, "application/xml"));
    assert_eq!(job, decode_xml::<Job>(&body).unwrap(), "same job both ways");
    assert!(raw_xml_visit(&body) > 0);
    let page = rt.block_on(query.first_page()).unwrap();
    assert_eq!(page.items.len(), 100);
    eprintln!(
        "alternate: {alt_href} ({} bytes); query: {query_url}",
        body.len()
    );

    type Variant<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let alternate: Vec<Variant> = vec![
        (
            "alternate/typed",
            Box::new(|| {
                black_box(rt.block_on(job_ref.alternate(&em)).unwrap());
            }),
        ),
        (
            "alternate/raw",
            Box::new(|| {
                let body = rt.block_on(raw.get_url(&alt_href, "application/xml"));
                black_box(raw_xml_visit(&body));
            }),
        ),
        (
            "alternate/raw_typed",
            Box::new(|| {
                let body = rt.block_on(raw.get_url(&alt_href, "application/xml"));
                black_box(decode_xml::<Job>(&body).unwrap());
            }),
        ),
    ];
    let paged: Vec<Variant> = vec![
        (
            "query_page100/typed",
            Box::new(|| {
                black_box(rt.block_on(query.first_page()).unwrap().items.len());
            }),
        ),
        (
            "query_page100/raw",
            Box::new(|| {
                let body = rt.block_on(raw.get_url(&query_url, "application/xml"));
                black_box(raw_xml_visit(&body));
            }),
        ),
        (
            "query_page100/raw_typed",
            Box::new(|| {
                let body = rt.block_on(raw.get_url(&query_url, "application/xml"));
                black_box(decode_xml::<QueryResult>(&body).unwrap());
            }),
        ),
    ];

    let (rounds_a, batch_a, rounds_q, batch_q) = if quick {
        (40, 10, 20, 5)
    } else {
        (200, 20, 100, 10)
    };
    let mut results = Vec::new();
    for (variants, rounds, batch) in [(&alternate, rounds_a, batch_a), (&paged, rounds_q, batch_q)]
    {
        // Warm-up: connections open, caches warm.
        for (_, f) in variants.iter() {
            for _ in 0..batch {
                f();
            }
        }
        let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); variants.len()];
        for round in 0..rounds {
            // Rotate the order so no variant always follows the same one.
            for k in 0..variants.len() {
                let i = (round + k) % variants.len();
                let t = Instant::now();
                for _ in 0..batch {
                    (variants[i].1)();
                }
                samples[i].push(t.elapsed().as_secs_f64() / batch as f64 * 1e9);
            }
        }
        for (i, (name, _)) in variants.iter().enumerate() {
            let mut s = samples[i].clone();
            let med = median(&mut s);
            let (lo, hi) = (s[s.len() / 10], s[s.len() * 9 / 10]);
            results.push((*name, med, lo, hi, rounds * batch));
        }
    }
    eprintln!(
        "{:<26} {:>12} {:>12} {:>12}",
        "variant", "median", "p10", "p90"
    );
    for (name, med, lo, hi, _) in &results {
        eprintln!(
            "{name:<26} {:>10.1}us {:>10.1}us {:>10.1}us",
            med / 1e3,
            lo / 1e3,
            hi / 1e3
        );
    }
    for (name, med, lo, hi, n) in &results {
        println!(
            "{{\"id\":\"calls/{name}\",\"median_ns\":{med:.0},\"p10_ns\":{lo:.0},\"p90_ns\":{hi:.0},\"calls\":{n}}}"
        );
    }
    drop(sim);
}
