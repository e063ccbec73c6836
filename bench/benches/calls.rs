//! Issue #6, item 3: the cost of a typed call next to a hand-written request, on loopback
//! against em-sim (its own thread and runtime; XML):
//!
//! - `calls/alternate/typed`: `job_ref.alternate(&em)` (link lookup, request, typed `Job`);
//!   `calls/alternate/raw`: reqwest GET of the same `Alternate` href with the session header,
//!   then the quick-xml raw event loop over the body;
//! - `calls/query_page100/typed`: `em.query::<BackupJobSession>().entities().page_size(100)
//!   .first_page()`; `calls/query_page100/raw`: reqwest GET of the same URL plus the raw loop.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use emrest::{BackupJobSession, Client, Job, QueryResult, SessionOps};
use emrest_bench::{raw_xml_visit, RawEm, SimThread};
use emrest_runtime::decode_xml;
use emrest_sim::{Casing, Size};

fn benches(c: &mut Criterion) {
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
    assert_eq!(
        job.name.as_deref(),
        job_ref.name.as_deref(),
        "typed call answered the job"
    );
    assert!(raw_xml_visit(&body) > 0);
    let page = rt.block_on(query.first_page()).unwrap();
    assert_eq!(page.items.len(), 100);
    eprintln!(
        "alternate: {alt_href} ({} bytes); query: {query_url}",
        body.len()
    );

    let mut g = c.benchmark_group("calls");
    g.bench_function("alternate/typed", |b| {
        b.iter(|| black_box(rt.block_on(job_ref.alternate(&em)).unwrap()))
    });
    g.bench_function("alternate/raw", |b| {
        b.iter(|| {
            let body = rt.block_on(raw.get_url(&alt_href, "application/xml"));
            black_box(raw_xml_visit(&body))
        })
    });
    // The same GET plus the same typed decoder the generated method uses: what is left of
    // the gap is the call machinery itself (link lookup, URL, headers, timers, body limit).
    g.bench_function("alternate/raw_typed", |b| {
        b.iter(|| {
            let body = rt.block_on(raw.get_url(&alt_href, "application/xml"));
            black_box(decode_xml::<Job>(&body).unwrap())
        })
    });
    g.bench_function("query_page100/typed", |b| {
        b.iter(|| black_box(rt.block_on(query.first_page()).unwrap().items.len()))
    });
    g.bench_function("query_page100/raw", |b| {
        b.iter(|| {
            let body = rt.block_on(raw.get_url(&query_url, "application/xml"));
            black_box(raw_xml_visit(&body))
        })
    });
    g.bench_function("query_page100/raw_typed", |b| {
        b.iter(|| {
            let body = rt.block_on(raw.get_url(&query_url, "application/xml"));
            black_box(decode_xml::<QueryResult>(&body).unwrap())
        })
    });
    g.finish();
    drop(sim);
}

criterion_group! {
    name = calls;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(calls);
