//! em-sim's own cost of one 1,000-item `QueryResult` page (issue 11: at most 5 ms), in
//! process: dispatch (query, filter, paging, spec shaping) and rendering, no HTTP. Prints the
//! median and minimum over rounds, per format.
//!
//! `cargo bench -p emrest-sim --bench render_page` (release build).

use std::hint::black_box;
use std::time::Instant;

use emrest_sim::inproc::InProcess;
use emrest_sim::{Casing, Size};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 10 } else { 50 };
    let mut sim = InProcess::new(Size::Default).expect("em-sim state");
    let url = "/query?type=BackupJobSession&format=Entities&pageSize=1000&page=2";
    for (name, json) in [
        ("xml", None),
        ("json-pascal", Some(Casing::Pascal)),
        ("json-camel", Some(Casing::Camel)),
    ] {
        let (status, body) = sim.get(url, json);
        assert_eq!(status, 200, "{body}");
        let items = body
            .matches("<BackupJobSession ")
            .count()
            .max(body.matches("\"JobName\"").count())
            .max(body.matches("\"jobName\"").count());
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            black_box(sim.get(black_box(url), json));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "render_page/{name}: {items} items, {} KiB, median {:.2} ms, min {:.2} ms ({rounds} rounds)",
            body.len() / 1024,
            times[rounds / 2],
            times[0]
        );
    }
}
